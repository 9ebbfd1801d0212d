/*
 * cmd-worker.c - `benchline worker`: takes jobs from the queue of a shared
 * PostgreSQL store (benchline/queue.h) and runs them with the sweep engine
 * of `benchline run`, one after another, until stopped (or, with
 * --exit-when-empty, until no job is pending or running).
 *
 * A job's results never appear in part: the sweep writes into a SQLite file
 * of its own (<cache>/jobs/job-ID.db), and when the job is finished that
 * file is copied into the shared store in one transaction which also marks
 * the job done - if, and only if, the lease is still this worker's. A worker
 * killed mid-job leaves no trace in the shared store; its lease runs out and
 * another worker runs the job again. When the shared store goes away (a
 * restarted server, a network cut), the worker reconnects with back-off and
 * uploads again; if its lease was taken over meanwhile, the other worker's
 * results stand and this one's are dropped.
 */
#include "cli.h"

#include "benchline/git.h"
#include "benchline/machine.h"
#include "benchline/queue.h"
#include "benchline/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static const char usage[] =
	"usage: benchline worker [--db URL] [options]\n"
	"\n"
	"Takes jobs recorded by 'benchline enqueue' from a shared PostgreSQL database and\n"
	"runs them like 'benchline run' in this clone of the repository: check out the\n"
	"commit (fetching it when the clone does not have it yet), build, run the job's\n"
	"benchmarks, then store all of the job's results in one transaction. Start any\n"
	"number of workers on any number of machines; results are grouped per machine.\n"
	"A worker holds its job by a lease that it renews; a worker that dies loses the\n"
	"lease and the job is run again by another, and its partial results never appear.\n"
	"\n"
	"Options:\n"
	"  --db URL              the shared store: postgresql://USER@HOST/DB (default:\n"
	"                        $BENCHLINE_DB, then 'db:' in benchline.yaml)\n"
	"  --machine-class NAME  take jobs enqueued for this class and jobs of no class\n"
	"                        (default: only jobs of no class)\n"
	"  --exit-when-empty     stop once no job is pending or running (batch use in CI);\n"
	"                        without it the worker waits for new jobs\n"
	"  --max-jobs N          stop after N jobs\n"
	"  --lease SECONDS       how long a job stays this worker's without a heartbeat\n"
	"                        (default 60; heartbeats every third of it)\n"
	"  --poll SECONDS        how often an idle worker looks for jobs whose lease ran\n"
	"                        out (default 10; new jobs wake it at once)\n"
	"  --name NAME           the worker's name in 'benchline queue' (default HOST:PID)\n"
	"  --cpu-list LIST       pin benchmark processes to these CPUs, as 'run' does\n"
	"  --config FILE         benchline.yaml (default: at the top of the repository)\n"
	"  --cache-dir DIR       worktrees, logs and job files (default <repo>/.benchline/cache)\n"
	"  -q, --quiet           print only job results and errors\n"
	"\n"
	"A job that fails (the commit cannot be found, the database write fails) goes back\n"
	"to the queue until it has used its attempts (enqueue --max-attempts); build and\n"
	"benchmark failures are results, stored like 'run' stores them.\n"
	"Exit status: 0 when stopped by --exit-when-empty or --max-jobs, 3 when the\n"
	"database stays unreachable, 130 when interrupted (the current job is given back).\n";

static volatile sig_atomic_t stop_requested;
static volatile int interrupt_flag;
static volatile sig_atomic_t lease_lost;
static pthread_t main_thread;

static void on_signal(int sig)
{
	if (sig == SIGUSR1) {
		lease_lost = 1;
	} else {
		stop_requested = 1;
	}
	interrupt_flag = 1;
}

/* Called from the heartbeat thread: the main thread stops the job. */
static void on_lease_lost(void *ctx)
{
	(void)ctx;
	pthread_kill(main_thread, SIGUSR1);
}

struct worker {
	const char *url;
	char *shown;             /* url, redacted */
	struct bl_store *store;  /* the shared store; NULL while disconnected */
	struct cli_context ctx;
	struct bl_config cfg;
	const char *machine_class;
	char *name;
	double lease_s, poll_s;
	int *cpus;
	size_t n_cpus;
	const char *cpu_list;
	bool quiet;
	size_t jobs_done, jobs_failed, jobs_lost;
};

/* (Re)connects, retrying with back-off for up to five minutes. */
static int connect_store(struct worker *w, struct bl_error *err)
{
	if (w->store)
		return 0;
	double delay = 1;
	int64_t give_up = bl_now_mono_ns() + 300 * (int64_t)1000000000;
	for (;;) {
		if (bl_store_open(w->url, &w->store, err) == 0)
			return 0;
		if (interrupt_flag || bl_now_mono_ns() > give_up)
			return -1;
		cli_warn("%s; trying again in %.0f s", err->msg, delay);
		for (int i = 0; i < (int)(delay * 10) && !interrupt_flag; i++)
			usleep(100000);
		delay = delay * 2 > 30 ? 30 : delay * 2;
	}
}

static void disconnect(struct worker *w)
{
	if (w->store)
		bl_store_close(w->store);
	w->store = NULL;
}

static void ev_notice(void *ctx, const char *msg)
{
	const struct worker *w = ctx;
	if (!w->quiet)
		cli_info("%s", msg);
}

static void ev_build_end(void *ctx, const struct bl_sweep_progress *p, const char *status, double seconds,
			 const char *log_path)
{
	const struct worker *w = ctx;
	if (!strcmp(status, "failed") || !strcmp(status, "timeout"))
		cli_warn("build of %.12s %s after %.1f s (log: %s)", p->sha, status, seconds, log_path ? log_path : "-");
	else if (!w->quiet)
		cli_info("build of %.12s: %s (%.1f s)", p->sha, status, seconds);
}

/* Deletes a job's SQLite file and its WAL companions. */
static void remove_db(const char *path)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < 4; i++) {
		char *p = bl_xasprintf("%s%s", path, suffix[i]);
		unlink(p);
		free(p);
	}
}

/* Uploads the job's results and marks it done, in one transaction.
 * 0: stored; 1: the lease was someone else's (nothing stored); -1: error. */
static int upload(struct worker *w, struct bl_store *staging, const struct bl_job *job, struct bl_copy_totals *t,
		  struct bl_error *err)
{
	struct bl_machine m;
	int64_t machine_id = 0;
	if (bl_machine_detect(&m, err) != 0)
		return -1;
	int ret = -1;
	bool lost = false;
	if (bl_store_begin(w->store, err) != 0)
		goto out;
	if (bl_store_copy(staging, w->store, t, err) != 0 ||
	    bl_store_find_machine(w->store, m.fingerprint, &machine_id, err) != 0 ||
	    bl_queue_complete(w->store, job, machine_id, &lost, err) != 0) {
		bl_store_rollback(w->store);
		goto out;
	}
	if (lost) {
		bl_store_rollback(w->store);
		ret = 1;
		goto out;
	}
	ret = bl_store_commit(w->store, err);
out:
	bl_machine_release(&m);
	return ret;
}

/* Gives the job back, reconnecting once if needed; errors only warn (an
 * unreturned job comes back when its lease runs out). */
static void give_back(struct worker *w, const struct bl_job *job, const char *reason, bool retry)
{
	struct bl_error err = {{0}};
	for (int attempt = 0; attempt < 2; attempt++) {
		if (connect_store(w, &err) == 0 && bl_queue_fail(w->store, job, reason, retry, &err) == 0)
			return;
		disconnect(w);
	}
	cli_warn("cannot give job %lld back (%s); it returns to the queue when its lease runs out",
		 (long long)job->job_id, err.msg);
}

/* Runs one claimed job. Returns -1 only when the worker must stop. */
static int run_job(struct worker *w, struct bl_job *job)
{
	struct bl_error err = {{0}};
	char sha[BL_SHA_HEX + 1];
	char *label = job->benchmarks.n ? bl_xstrdup("") : bl_xstrdup("all benchmarks");
	for (size_t i = 0; i < job->benchmarks.n; i++) {
		char *next = bl_xasprintf("%s%s%s", label, i ? ", " : "", job->benchmarks.v[i]);
		free(label);
		label = next;
	}
	cli_info("job %lld: %.12s (%s), attempt %d of %d", (long long)job->job_id, job->commit_sha, label,
		 job->attempts, job->max_attempts);
	free(label);

	/* The commit may be newer than this clone. */
	if (bl_git_resolve(w->ctx.repo, job->commit_sha, sha, &err) != 0) {
		struct bl_error fetch_err = {{0}};
		if (bl_git_fetch(w->ctx.repo, &fetch_err) != 0 || bl_git_resolve(w->ctx.repo, job->commit_sha, sha, &err)) {
			char *why = bl_xasprintf("%s: commit %s is not in '%s'%s%s", w->name, job->commit_sha, w->ctx.repo,
						 fetch_err.msg[0] ? " and fetching failed: " : " (even after git fetch)",
						 fetch_err.msg);
			cli_error("job %lld: %s", (long long)job->job_id, why);
			give_back(w, job, why, true);
			free(why);
			w->jobs_failed++;
			return 0;
		}
	}
	const char *unknown =
		bl_config_unknown_benchmark(&w->cfg, (const char *const *)job->benchmarks.v, job->benchmarks.n);
	if (unknown) {
		char *why = bl_xasprintf("%s: no benchmark named '%s' in '%s'", w->name, unknown, w->ctx.config_path);
		cli_error("job %lld: %s", (long long)job->job_id, why);
		give_back(w, job, why, true);
		free(why);
		w->jobs_failed++;
		return 0;
	}

	char *jobs_dir = bl_xasprintf("%s/jobs", w->ctx.cache_dir);
	char *path = bl_xasprintf("%s/job-%lld.db", jobs_dir, (long long)job->job_id);
	struct bl_store *staging = NULL;
	struct bl_lease *lease = NULL;
	struct bl_sha_list commits = {0};
	bl_sha_list_push(&commits, sha);
	int ret = 0;
	lease_lost = 0;
	if (bl_mkdirs(jobs_dir, 0755, &err) != 0)
		goto job_failed;
	remove_db(path);
	if (bl_store_open(path, &staging, &err) != 0)
		goto job_failed;
	if (bl_lease_start(w->url, job, w->lease_s, on_lease_lost, NULL, &lease, &err) != 0)
		goto job_failed;

	struct bl_sweep_events ev = {.ctx = w, .notice = ev_notice, .build_end = ev_build_end};
	struct bl_sweep_opts so = {
		.repo = w->ctx.repo,
		.repository_name = job->repository,
		.cache_dir = w->ctx.cache_dir,
		.cfg = &w->cfg,
		.commits = &commits,
		.store = staging,
		.branch = "",
		.only = job->benchmarks.n ? (const char *const *)job->benchmarks.v : NULL,
		.n_only = job->benchmarks.n,
		.worktrees = 1,
		.cpus = w->cpus,
		.n_cpus = w->n_cpus,
		.cpu_list = w->cpu_list,
		.interrupt = &interrupt_flag,
		.events = &ev,
	};
	struct bl_sweep_totals t;
	/* What the shared store already holds (a `run` and `push`, an earlier
	 * job) is not measured again: plan against it first. */
	struct bl_sweep_opts plan = so;
	plan.store = w->store;
	plan.dry_run = true;
	plan.events = NULL;
	if (bl_sweep(&plan, &t, &err) == 0 && t.runs_planned == 0 && !t.interrupted) {
		bl_lease_stop(lease);
		lease = NULL;
		struct bl_copy_totals none = {0};
		int up = upload(w, staging, job, &none, &err);
		if (up == 0) {
			printf("job %lld: done: %.12s, nothing to measure (%zu case%s already complete)\n",
			       (long long)job->job_id, sha, t.cases_skipped, t.cases_skipped == 1 ? "" : "s");
			fflush(stdout);
			w->jobs_done++;
		} else if (up < 0) {
			goto job_failed;
		} else {
			cli_warn("job %lld: the lease was lost (expired and taken by another worker)",
				 (long long)job->job_id);
			w->jobs_lost++;
		}
		goto out;
	}
	int src = bl_sweep(&so, &t, &err);
	bl_lease_stop(lease);
	lease = NULL;
	if (lease_lost) {
		/* Another worker has the job now: drop what was measured. */
		cli_warn("job %lld: the lease was lost (expired and taken by another worker); its results are dropped",
			 (long long)job->job_id);
		interrupt_flag = stop_requested;
		w->jobs_lost++;
		goto out;
	}
	if (stop_requested || t.interrupted) {
		give_back(w, job, "the worker was stopped", true);
		ret = -1;
		goto out;
	}
	if (src != 0)
		goto job_failed;

	/* Store it all, or nothing; a broken connection is retried. */
	struct bl_copy_totals ct = {0};
	int up = -1;
	for (int attempt = 0; attempt < 5 && up < 0 && !interrupt_flag; attempt++) {
		if (connect_store(w, &err) != 0)
			break;
		up = upload(w, staging, job, &ct, &err);
		if (up < 0) {
			cli_warn("job %lld: cannot store the results (%s); trying again", (long long)job->job_id, err.msg);
			disconnect(w);
			sleep(1);
		}
	}
	if (up == 1) {
		cli_warn("job %lld: the lease was lost before the results were stored; another worker's stand",
			 (long long)job->job_id);
		w->jobs_lost++;
	} else if (up == 0) {
		printf("job %lld: done: %.12s, %zu runs stored (%zu ok, %zu failed, %zu already there), %zu failed build%s\n",
		       (long long)job->job_id, sha, ct.runs_added, t.runs_ok, t.runs_failed, ct.runs_present,
		       t.builds_failed, t.builds_failed == 1 ? "" : "s");
		fflush(stdout);
		w->jobs_done++;
	} else {
		cli_error("job %lld: the results could not be stored: %s", (long long)job->job_id, err.msg);
		give_back(w, job, err.msg, true);
		w->jobs_failed++;
		if (!w->store)
			ret = -1;
	}
	goto out;

job_failed:
	bl_lease_stop(lease);
	lease = NULL;
	cli_error("job %lld: %s", (long long)job->job_id, err.msg);
	{
		char *why = bl_xasprintf("%s: %s", w->name, err.msg);
		give_back(w, job, why, true);
		free(why);
	}
	w->jobs_failed++;
out:
	if (staging)
		bl_store_close(staging);
	remove_db(path);
	bl_sha_list_release(&commits);
	free(path);
	free(jobs_dir);
	return ret;
}

/* One worker per cache directory: their sweeps would share worktrees. The
 * lock lives as long as the process (the descriptor is never closed). */
static int lock_worker(const char *cache_dir, struct bl_error *err)
{
	if (bl_mkdirs(cache_dir, 0755, err) != 0)
		return -1;
	char *path = bl_xasprintf("%s/worker.lock", cache_dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		bl_fail_errno(err, errno, "cannot open lock file '%s'", path);
		free(path);
		return -1;
	}
	free(path);
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		char pid[32] = "";
		ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		close(fd);
		return bl_fail(err, "another benchline worker%s%s%s uses the cache '%s'; give each worker of a clone its own "
				    "--cache-dir",
			       pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "", cache_dir);
	}
	char pid[32];
	int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
		/* The pid only makes the message above nicer. */
	}
	return 0;
}

static int parse_seconds(const char *opt, const char *text, double *out)
{
	char *end;
	double v = strtod(text, &end);
	if (!*text || *end || !(v > 0 && v < 1e6))
		return cli_usage_error("worker", "%s needs a number of seconds > 0, got '%s'", opt, text);
	*out = v;
	return 0;
}

static int cmd_worker_main(int argc, char **argv)
{
	enum { OPT_DB = 256, OPT_CLASS, OPT_EMPTY, OPT_MAX_JOBS, OPT_LEASE, OPT_POLL, OPT_NAME, OPT_CPU_LIST,
	       OPT_CONFIG, OPT_CACHE };
	static const struct option longopts[] = {
		{"db", required_argument, NULL, OPT_DB},
		{"machine-class", required_argument, NULL, OPT_CLASS},
		{"exit-when-empty", no_argument, NULL, OPT_EMPTY},
		{"max-jobs", required_argument, NULL, OPT_MAX_JOBS},
		{"lease", required_argument, NULL, OPT_LEASE},
		{"poll", required_argument, NULL, OPT_POLL},
		{"name", required_argument, NULL, OPT_NAME},
		{"cpu-list", required_argument, NULL, OPT_CPU_LIST},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"cache-dir", required_argument, NULL, OPT_CACHE},
		{"quiet", no_argument, NULL, 'q'},
		{NULL, 0, NULL, 0},
	};
	struct worker w = {.lease_s = 60, .poll_s = 10};
	const char *db_opt = NULL, *config_opt = NULL, *cache_opt = NULL, *name_opt = NULL;
	bool exit_when_empty = false, cfg_loaded = false;
	long max_jobs = 0;
	int claim_failures = 0;
	int rc = EXIT_OK;
	struct bl_error err = {{0}};

	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":q", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DB: db_opt = optarg; break;
		case OPT_CLASS: w.machine_class = optarg; break;
		case OPT_EMPTY: exit_when_empty = true; break;
		case OPT_MAX_JOBS: {
			int64_t v;
			if (bl_parse_int64(optarg, &v) || v < 1) {
				rc = cli_usage_error("worker", "--max-jobs needs a whole number >= 1, got '%s'", optarg);
				goto out;
			}
			max_jobs = (long)v;
			break;
		}
		case OPT_LEASE: if (parse_seconds("--lease", optarg, &w.lease_s)) { rc = EXIT_USAGE; goto out; } break;
		case OPT_POLL: if (parse_seconds("--poll", optarg, &w.poll_s)) { rc = EXIT_USAGE; goto out; } break;
		case OPT_NAME: name_opt = optarg; break;
		case OPT_CPU_LIST:
			if (cli_parse_cpu_list(optarg, &w.cpus, &w.n_cpus)) {
				rc = cli_usage_error("worker", "invalid --cpu-list '%s': expected CPU numbers like 2,3 or 0-3",
						     optarg);
				goto out;
			}
			w.cpu_list = optarg;
			break;
		case OPT_CONFIG: config_opt = optarg; break;
		case OPT_CACHE: cache_opt = optarg; break;
		case 'q': w.quiet = true; break;
		case ':': rc = cli_usage_error("worker", "option '%s' needs a value", argv[optind - 1]); goto out;
		default: rc = cli_usage_error("worker", "unknown option '%s'", argv[optind - 1]); goto out;
		}
	}
	if (optind < argc) {
		rc = cli_usage_error("worker", "unexpected argument '%s' (jobs come from the queue)", argv[optind]);
		goto out;
	}
	if ((rc = cli_queue_context("worker", &w.ctx, config_opt, db_opt, cache_opt, true)) != EXIT_OK)
		goto out;
	if (lock_worker(w.ctx.cache_dir, &err) != 0) {
		cli_error("%s", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	if (bl_config_load(w.ctx.config_path, &w.cfg, &err)) {
		cli_error("%s", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	cfg_loaded = true;
	w.url = w.ctx.db_path;
	w.shown = bl_store_display_name(w.url);
	if (name_opt) {
		w.name = bl_xstrdup(name_opt);
	} else {
		char host[256] = "";
		gethostname(host, sizeof(host) - 1);
		w.name = bl_xasprintf("%s:%d", host, (int)getpid());
	}
	if (bl_store_open(w.url, &w.store, &err)) {
		cli_error("%s", err.msg);
		rc = EXIT_RUNTIME;
		goto out;
	}

	main_thread = pthread_self();
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1};
	struct sigaction sa = {0}, old[5];
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 5; i++)
		sigaction(sigs[i], &sa, &old[i]);
	if (!w.quiet)
		cli_info("worker %s: taking jobs%s%s from %s", w.name, w.machine_class ? " of class " : "",
			 w.machine_class ? w.machine_class : "", w.shown);

	while (!stop_requested && (max_jobs == 0 || (long)(w.jobs_done + w.jobs_failed + w.jobs_lost) < max_jobs)) {
		interrupt_flag = 0;
		if (connect_store(&w, &err) != 0) {
			cli_error("%s", err.msg);
			rc = stop_requested ? EXIT_INTERRUPTED : EXIT_RUNTIME;
			break;
		}
		struct bl_job job;
		bool got = false;
		if (bl_queue_claim(w.store, w.machine_class, w.name, w.lease_s, &job, &got, &err) != 0) {
			/* Reconnecting cures a lost connection; anything else persists. */
			if (++claim_failures >= 5) {
				cli_error("%s", err.msg);
				rc = EXIT_RUNTIME;
				break;
			}
			cli_warn("%s; trying again", err.msg);
			disconnect(&w);
			sleep(1);
			continue;
		}
		claim_failures = 0;
		if (got) {
			int r = run_job(&w, &job);
			bl_job_release(&job);
			if (r != 0) {
				rc = stop_requested ? EXIT_INTERRUPTED : EXIT_RUNTIME;
				break;
			}
			continue;
		}
		if (exit_when_empty) {
			struct bl_queue_counts qc;
			if (bl_queue_counts(w.store, &qc, &err) != 0) {
				cli_warn("%s", err.msg);
				disconnect(&w);
				continue;
			}
			/* Jobs running elsewhere may still come back (a worker dies, a job fails). */
			if (qc.pending == 0 && qc.running == 0 && qc.expired == 0)
				break;
		}
		if (bl_queue_wait(w.store, w.poll_s, &interrupt_flag, &err) != 0) {
			cli_warn("%s", err.msg);
			disconnect(&w);
		}
	}
	if (stop_requested)
		rc = EXIT_INTERRUPTED;
	for (int i = 0; i < 5; i++)
		sigaction(sigs[i], &old[i], NULL);
	cli_info("worker %s: %zu job%s done, %zu failed, %zu lost to another worker", w.name, w.jobs_done,
		 w.jobs_done == 1 ? "" : "s", w.jobs_failed, w.jobs_lost);
out:
	disconnect(&w);
	if (cfg_loaded)
		bl_config_release(&w.cfg);
	cli_context_release(&w.ctx);
	free(w.cpus);
	free(w.name);
	free(w.shown);
	return rc;
}

const struct cli_command cli_cmd_worker = {
	.name = "worker",
	.fn = cmd_worker_main,
	.summary = "run jobs from the shared PostgreSQL queue",
	.usage = usage,
};
