/* cmd-run.c - `benchline run`: benchmark a selection of commits. */
#include "cli.h"
#include "benchline/git.h"
#include "benchline/runner.h"
#include "benchline/sweep.h"

#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "benchline/stats.h"

static const char usage[] =
	"usage: benchline run [options] [REV | A..B | diff]...\n"
	"\n"
	"Checks each selected commit out in a benchline-managed worktree (never your\n"
	"working tree), builds it, runs every benchmark of benchline.yaml with warm-ups\n"
	"and repetitions, and stores each run in the database. Rerunning the same command\n"
	"resumes: complete cases are skipped, missing repetitions are run.\n"
	"\n"
	"Selecting commits (default: HEAD):\n"
	"  REV                 one commit (sha, tag, branch, HEAD~3, ...)\n"
	"  A..B                the commits in B not in A, oldest first\n"
	"  diff                the merge-base of the default branch and HEAD, and HEAD\n"
	"  --first-parent      ranges follow first parents only\n"
	"  --every N           keep every Nth commit of the selection (the newest is kept)\n"
	"  --max-count N       keep at most the newest N commits\n"
	"  --since DATE        only commits committed after DATE (git date syntax)\n"
	"  --from-file FILE    read revisions from FILE, one per line ('-' for stdin)\n"
	"\n"
	"Running:\n"
	"  --benchmark NAME    run only this benchmark (repeatable)\n"
	"  --dry-run           print the plan and a time estimate; run nothing\n"
	"  --force             run complete cases again (adds a new set of repetitions)\n"
	"  --interleave        run repetitions in rounds across commits against drift\n"
	"  --worktrees N       commits prepared at once with --interleave (default 4)\n"
	"  --cpu-list LIST     pin benchmark processes to CPUs, e.g. 2,3 or 0-3\n"
	"  --until-ci PCT      adaptive repetitions: after a case's repetitions, keep\n"
	"                      measuring it until the 95% confidence interval of its\n"
	"                      median wall time is narrower than PCT of the median\n"
	"                      (e.g. 1%; needs at least 6 runs), or a limit is hit:\n"
	"  --max-runs N        with --until-ci: at most N measured runs per case (default 100)\n"
	"  --max-time SECONDS  with --until-ci: at most this long measuring one case\n"
	"  --branch NAME       branch name recorded with the results (default: current)\n"
	"  -q, --quiet         print only failures and the summary\n"
	"\n"
	"Files:\n"
	"  --config FILE       configuration (default: <repo>/benchline.yaml)\n"
	"  --db PATH           database (default: $BENCHLINE_DB or <repo>/.benchline/results.db)\n"
	"  --cache-dir DIR     worktrees and logs (default: <repo>/.benchline/cache)\n"
	"\n"
	"Exit status: 0 all runs ok, 1 some builds or runs failed (they are recorded),\n"
	"2 usage or configuration error, 3 runtime error, 130 interrupted (resume by\n"
	"running the same command again).\n";

static volatile sig_atomic_t stop_requested;
static volatile int interrupt_flag;

static void on_signal(int sig)
{
	/* A second Ctrl-C is the user insisting: default action, now. */
	if (stop_requested && sig == SIGINT)
		signal(SIGINT, SIG_DFL);
	stop_requested = 1;
	interrupt_flag = 1;
}

struct progress {
	bool interleave;     /* runs of a case are not contiguous: no per-case lines */
	bool tty;
	bool color;
	bool quiet;
	bool line_open;      /* a \r status line is on screen */
	char last_label[256]; /* case whose diagnostics were shown */
	/* wall times of the case being run, for its summary line */
	char case_key[320];
	double *walls;
	size_t n_walls, cap_walls;
};

static void clear_line(struct progress *pg)
{
	if (pg->line_open) {
		fputs("\r\033[K", stderr);
		pg->line_open = false;
	}
}

static void ev_notice(void *ctx, const char *msg)
{
	struct progress *pg = ctx;
	clear_line(pg);
	cli_info("%s", msg);
}

static void short_subject(const char *subject, char *out, size_t n)
{
	cli_sanitize(subject ? subject : "", out, n);
	cli_truncate(out, 50);
}

static void ev_commit_begin(void *ctx, const struct bl_sweep_progress *p)
{
	struct progress *pg = ctx;
	if (pg->quiet)
		return;
	char subj[128];
	short_subject(p->subject, subj, sizeof(subj));
	clear_line(pg);
	fprintf(stderr, "[%zu/%zu] %.12s %s\n", p->commit_k, p->n_commits, p->sha, subj);
}

static void show_tail(const char *path, int lines)
{
	struct bl_buf tail;
	struct bl_error err = {{0}};
	bl_buf_init(&tail);
	if (path && bl_log_tail(path, lines, &tail, &err) == 0 && tail.len) {
		char *line = tail.data;
		while (line && *line) {
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			char clean[512];
			cli_sanitize(line, clean, sizeof(clean));
			fprintf(stderr, "    | %s\n", clean);
			line = nl ? nl + 1 : NULL;
		}
	}
	bl_buf_release(&tail);
}

static void ev_build_end(void *ctx, const struct bl_sweep_progress *p, const char *status, double seconds,
			 const char *log_path)
{
	struct progress *pg = ctx;
	clear_line(pg);
	bool bad = strcmp(status, "ok") && strcmp(status, "cached") && strcmp(status, "none");
	if (bad) {
		const char *red = pg->color ? "\033[31m" : "", *reset = pg->color ? "\033[0m" : "";
		fprintf(stderr, "  %sbuild %s%s at %.12s after %.1f s; its cases are recorded as build-failed (log: %s)\n",
			red, status, reset, p->sha, seconds, log_path);
		show_tail(log_path, 15);
	} else if (!pg->quiet && strcmp(status, "none")) {
		fprintf(stderr, "  build %s%s\n", status, !strcmp(status, "ok") ? "" : " (worktree still holds it)");
	}
}

static int terminal_width(void)
{
	struct winsize ws;
	if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		return ws.ws_col;
	return 80;
}

static void ev_run_begin(void *ctx, const struct bl_sweep_progress *p)
{
	struct progress *pg = ctx;
	if (!pg->tty || pg->quiet)
		return;
	char el[32], eta[32], label[128], line[512];
	cli_format_duration(p->elapsed_s, el, sizeof(el));
	cli_format_duration(p->eta_s, eta, sizeof(eta));
	cli_sanitize(p->case_label, label, sizeof(label));
	snprintf(line, sizeof(line), "  [%zu/%zu %.7s] %s %s %d/%d | %zu/%zu runs, %s elapsed, ETA %s", p->commit_k,
		 p->n_commits, p->sha, label, p->warmup ? "warm-up" : "run", p->ordinal, p->count, p->runs_done + 1,
		 p->runs_total, el, eta);
	/* One screen line, or \r cannot take it back. */
	int width = terminal_width() - 1;
	if ((int)strlen(line) > width)
		cli_truncate(line, (size_t)width);
	fprintf(stderr, "\r\033[K%s", line);
	pg->line_open = true;
}

/* One line per case in logs (and with the results on a terminal). */
static void case_summary(struct progress *pg, const struct bl_sweep_progress *p, const struct bl_run_result *res)
{
	char key[320];
	snprintf(key, sizeof(key), "%s %s", p->sha, p->case_label);
	if (strcmp(key, pg->case_key)) {
		snprintf(pg->case_key, sizeof(pg->case_key), "%s", key);
		pg->n_walls = 0;
	}
	if (p->warmup || res->status != BL_RUN_OK || pg->interleave)
		return;
	BL_GROW(pg->walls, pg->cap_walls, pg->n_walls + 1);
	pg->walls[pg->n_walls++] = res->wall_s;
	if (p->ordinal != p->count || pg->quiet)
		return;
	struct bl_summary sum;
	bl_summarize(pg->walls, pg->n_walls, &sum);
	char label[128], med[32], mad[32];
	cli_sanitize(p->case_label, label, sizeof(label));
	cli_format_value(sum.median, "s", med, sizeof(med));
	cli_format_value(sum.mad, "s", mad, sizeof(mad));
	clear_line(pg);
	fprintf(stderr, "  %s at %.7s: %zu run%s, median %s, MAD %s\n", label, p->sha, sum.n, sum.n == 1 ? "" : "s", med,
		mad);
}

static void ev_run_end(void *ctx, const struct bl_sweep_progress *p, const struct bl_run_result *res,
		       const struct bl_protocol_result *proto, const char *out_log, const char *err_log)
{
	struct progress *pg = ctx;
	if (proto->n_diags && strcmp(pg->last_label, p->case_label)) {
		clear_line(pg);
		snprintf(pg->last_label, sizeof(pg->last_label), "%s", p->case_label);
		for (size_t i = 0; i < proto->n_diags && i < 5; i++) {
			char clean[512];
			cli_sanitize(proto->diags[i].reason, clean, sizeof(clean));
			cli_warn("%s at %.12s: metrics line %zu: %s (line skipped, run kept)", p->case_label, p->sha,
				 proto->diags[i].line, clean);
		}
		if (proto->n_diags > 5)
			cli_warn("%s: %zu more invalid metrics lines", p->case_label, proto->n_diags - 5);
	}
	case_summary(pg, p, res);
	if (res->status != BL_RUN_OK) {
		clear_line(pg);
		const char *red = pg->color ? "\033[31m" : "", *reset = pg->color ? "\033[0m" : "";
		char why[300];
		switch (res->status) {
		case BL_RUN_FAILED:
			snprintf(why, sizeof(why), "exited with status %d", res->exit_code);
			break;
		case BL_RUN_CRASHED:
			snprintf(why, sizeof(why), "killed by signal %d (%s)", res->term_signal, strsignal(res->term_signal));
			break;
		case BL_RUN_TIMEOUT:
			snprintf(why, sizeof(why), "timed out after %.1f s", res->wall_s);
			break;
		default:
			snprintf(why, sizeof(why), "%s", res->spawn_error[0] ? res->spawn_error : bl_run_status_name(res->status));
		}
		char label[128];
		cli_sanitize(p->case_label, label, sizeof(label));
		bool more = p->warmup || p->ordinal < p->count;
		fprintf(stderr, "  %s%s %s %d/%d at %.12s: %s%s%s\n", red, label, p->warmup ? "warm-up" : "run",
			p->ordinal, p->count, p->sha, why, reset,
			more ? "; the case's remaining runs at this commit are skipped" : "");
		struct stat st;
		show_tail(stat(err_log, &st) == 0 && st.st_size > 0 ? err_log : out_log, 10);
		if (out_log)
			fprintf(stderr, "    logs: %s, %s\n", out_log, err_log);
	}
}

static int positive_int(const char *opt, const char *text, int *out)
{
	int64_t v;
	if (bl_parse_int64(text, &v) || v < 1 || v > 1000000)
		return cli_usage_error("run", "option '%s' needs a positive integer, got '%s'", opt, text);
	*out = (int)v;
	return 0;
}

static bool listed(const struct bl_strvec *only, const char *name)
{
	if (!only->n)
		return true;
	for (size_t i = 0; i < only->n; i++)
		if (!strcmp(only->v[i], name))
			return true;
	return false;
}

static void print_plan(const struct cli_context *ctx, const struct bl_sha_list *commits, const struct bl_config *cfg,
		       const struct bl_strvec *only, const struct bl_sweep_totals *t)
{
	printf("plan: %zu commit%s x %zu case%s (benchmark x params)\n", commits->n, commits->n == 1 ? "" : "s",
	       t->cases, t->cases == 1 ? "" : "s");
	struct bl_commit_info *infos = bl_xcalloc(commits->n ? commits->n : 1, sizeof(*infos));
	struct bl_error err = {{0}};
	bool have = bl_git_commit_infos(ctx->repo, (const char(*)[BL_SHA_HEX + 1])commits->shas, commits->n, infos,
					&err) == 0;
	for (size_t i = 0; i < commits->n; i++) {
		char subj[128] = "";
		if (have)
			short_subject(infos[i].subject, subj, sizeof(subj));
		printf("  commit %.12s %s\n", commits->shas[i], subj);
		if (have)
			bl_commit_info_release(&infos[i]);
	}
	free(infos);
	for (size_t b = 0; b < cfg->n_benchmarks; b++) {
		const struct bl_benchmark_cfg *bc = &cfg->benchmarks[b];
		if (!listed(only, bc->name))
			continue;
		size_t combos = 1;
		for (size_t p = 0; p < bc->n_params; p++)
			combos *= bc->params[p].values.n;
		printf("  benchmark %s: %zu param combination%s x (%d warm-up%s + %d repetition%s), timeout %.0f s\n",
		       bc->name, combos, combos == 1 ? "" : "s", bc->warmup, bc->warmup == 1 ? "" : "s",
		       bc->repetitions, bc->repetitions == 1 ? "" : "s", bc->timeout_s);
	}
	printf("runs to do: %zu (%zu of %zu commit x case pairs already complete)\n", t->runs_planned,
	       t->cases_skipped, t->commits * t->cases);
	if (t->runs_planned == 0)
		printf("estimate: nothing to do\n");
	else if (t->estimate_s >= 0) {
		char d[32];
		cli_format_duration(t->estimate_s, d, sizeof(d));
		printf("estimate: %s (from earlier runs on this machine)\n", d);
	} else {
		printf("estimate: unknown (no earlier runs of these benchmarks on this machine)\n");
	}
}


static int cmd_run_main(int argc, char **argv)
{
	enum { OPT_FIRST_PARENT = 256, OPT_EVERY, OPT_MAX_COUNT, OPT_SINCE, OPT_FROM_FILE, OPT_DRY_RUN, OPT_FORCE,
	       OPT_INTERLEAVE, OPT_WORKTREES, OPT_CPU_LIST, OPT_BRANCH, OPT_CONFIG, OPT_DB, OPT_CACHE, OPT_BENCH,
	       OPT_UNTIL_CI, OPT_MAX_RUNS, OPT_MAX_TIME };
	static const struct option longopts[] = {
		{"first-parent", no_argument, NULL, OPT_FIRST_PARENT},
		{"every", required_argument, NULL, OPT_EVERY},
		{"max-count", required_argument, NULL, OPT_MAX_COUNT},
		{"since", required_argument, NULL, OPT_SINCE},
		{"from-file", required_argument, NULL, OPT_FROM_FILE},
		{"dry-run", no_argument, NULL, OPT_DRY_RUN},
		{"force", no_argument, NULL, OPT_FORCE},
		{"interleave", no_argument, NULL, OPT_INTERLEAVE},
		{"worktrees", required_argument, NULL, OPT_WORKTREES},
		{"cpu-list", required_argument, NULL, OPT_CPU_LIST},
		{"branch", required_argument, NULL, OPT_BRANCH},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"db", required_argument, NULL, OPT_DB},
		{"cache-dir", required_argument, NULL, OPT_CACHE},
		{"benchmark", required_argument, NULL, OPT_BENCH},
		{"until-ci", required_argument, NULL, OPT_UNTIL_CI},
		{"max-runs", required_argument, NULL, OPT_MAX_RUNS},
		{"max-time", required_argument, NULL, OPT_MAX_TIME},
		{"quiet", no_argument, NULL, 'q'},
		{NULL, 0, NULL, 0},
	};
	struct bl_rev_selection sel = {.every = 1};
	struct bl_sweep_opts so = {.worktrees = 4};
	const char *config_opt = NULL, *db_opt = NULL, *cache_opt = NULL, *branch_opt = NULL;
	struct bl_strvec only;
	bl_strvec_init(&only);
	int *cpus = NULL;
	size_t n_cpus = 0;
	bool quiet = false;
	int rc = EXIT_OK;
	struct cli_context ctx = {0};
	struct bl_config cfg = {0};
	struct bl_sha_list commits = {0};
	struct bl_store *store = NULL;
	char *branch = NULL;
	struct bl_error err = {{0}};
	bool cfg_loaded = false;

	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+q", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_FIRST_PARENT: sel.first_parent = true; break;
		case OPT_EVERY: if (positive_int("--every", optarg, &sel.every)) { rc = EXIT_USAGE; goto out; } break;
		case OPT_MAX_COUNT: if (positive_int("--max-count", optarg, &sel.max_count)) { rc = EXIT_USAGE; goto out; } break;
		case OPT_SINCE: sel.since = optarg; break;
		case OPT_FROM_FILE: sel.from_file = optarg; break;
		case OPT_DRY_RUN: so.dry_run = true; break;
		case OPT_FORCE: so.force = true; break;
		case OPT_INTERLEAVE: so.interleave = true; break;
		case OPT_WORKTREES: if (positive_int("--worktrees", optarg, &so.worktrees)) { rc = EXIT_USAGE; goto out; } break;
		case OPT_CPU_LIST:
			if (cli_parse_cpu_list(optarg, &cpus, &n_cpus)) {
				rc = cli_usage_error("run", "invalid --cpu-list '%s': expected CPU numbers like 2,3 or 0-3", optarg);
				goto out;
			}
			so.cpu_list = optarg;
			break;
		case OPT_BRANCH: branch_opt = optarg; break;
		case OPT_CONFIG: config_opt = optarg; break;
		case OPT_DB: db_opt = optarg; break;
		case OPT_CACHE: cache_opt = optarg; break;
		case OPT_BENCH: bl_strvec_push(&only, optarg); break;
		case OPT_UNTIL_CI:
			if (bl_parse_percent(optarg, &so.until_ci) || so.until_ci <= 0) {
				rc = cli_usage_error("run", "--until-ci needs a percentage above 0 such as 1%%, got '%s'",
						     optarg);
				goto out;
			}
			break;
		case OPT_MAX_RUNS: if (positive_int("--max-runs", optarg, &so.max_runs)) { rc = EXIT_USAGE; goto out; } break;
		case OPT_MAX_TIME: {
			char *end;
			so.max_time_s = strtod(optarg, &end);
			if (!*optarg || *end || !(so.max_time_s > 0 && so.max_time_s < 1e7)) {
				rc = cli_usage_error("run", "--max-time needs a number of seconds > 0, got '%s'", optarg);
				goto out;
			}
			break;
		}
		case 'q': quiet = true; break;
		case ':':
			rc = cli_usage_error("run", "option '%s' needs a value", argv[optind - 1]);
			goto out;
		default:
			rc = cli_usage_error("run", "unknown option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	sel.args = (const char *const *)(argv + optind);
	sel.n_args = (size_t)(argc - optind);
	if ((so.max_runs || so.max_time_s > 0) && so.until_ci <= 0) {
		rc = cli_usage_error("run", "--max-runs and --max-time go with --until-ci");
		goto out;
	}
	if (so.worktrees > 256) {
		rc = cli_usage_error("run", "--worktrees is at most 256");
		goto out;
	}

	if (cli_context_init(&ctx, config_opt, db_opt, cache_opt, true, &err)) {
		cli_error("%s", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	if (bl_config_load(ctx.config_path, &cfg, &err)) {
		cli_error("%s", err.msg);
		if (access(ctx.config_path, F_OK) != 0)
			fprintf(stderr, "Run 'benchline init' to write an example benchline.yaml.\n");
		rc = EXIT_USAGE;
		goto out;
	}
	cfg_loaded = true;
	for (size_t i = 0; i < cfg.suite.n; i++) {
		char *path = bl_xasprintf("%s/%s", ctx.repo, cfg.suite.v[i]);
		struct stat st;
		bool exists = lstat(path, &st) == 0;
		free(path);
		if (!exists) {
			cli_error("%s: suite path '%s' does not exist in '%s'", ctx.config_path, cfg.suite.v[i], ctx.repo);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	const char *unknown = bl_config_unknown_benchmark(&cfg, (const char *const *)only.v, only.n);
	if (unknown) {
		cli_error("no benchmark named '%s' in '%s'", unknown, ctx.config_path);
		rc = EXIT_USAGE;
		goto out;
	}
	if (n_cpus) {
		cpu_set_t allowed;
		CPU_ZERO(&allowed);
		sched_getaffinity(0, sizeof(allowed), &allowed);
		for (size_t i = 0; i < n_cpus; i++)
			if (cpus[i] >= CPU_SETSIZE || !CPU_ISSET(cpus[i], &allowed)) {
				rc = cli_usage_error("run", "--cpu-list names CPU %d, which this process may not use", cpus[i]);
				goto out;
			}
	}
	/* Every revision is resolved before any work starts. */
	if (bl_revs_select(ctx.repo, &sel, &commits, &err)) {
		cli_error("%s", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	if (branch_opt)
		branch = bl_xstrdup(branch_opt);
	else if (bl_git_current_branch(ctx.repo, &branch, &err))
		branch = bl_xstrdup("");
	/* A dry run writes nothing: without a database yet, plan against an
	 * empty one in memory. */
	if (so.dry_run && access(ctx.db_path, F_OK) != 0 && !strstr(ctx.db_path, "://")) {
		if (bl_store_open(":memory:", &store, &err)) {
			cli_error("%s", err.msg);
			rc = EXIT_RUNTIME;
			goto out;
		}
	} else if (cli_open_store(&ctx, &store, &err)) {
		cli_error("%s", err.msg);
		rc = EXIT_RUNTIME;
		goto out;
	}

	struct progress pg = {.tty = isatty(2), .color = cli_color(stderr), .quiet = quiet, .interleave = so.interleave};
	struct bl_sweep_events ev = {
		.ctx = &pg,
		.notice = ev_notice,
		.commit_begin = ev_commit_begin,
		.build_end = ev_build_end,
		.run_begin = ev_run_begin,
		.run_end = ev_run_end,
	};
	so.repo = ctx.repo;
	so.cache_dir = ctx.cache_dir;
	so.cfg = &cfg;
	so.commits = &commits;
	so.store = store;
	so.branch = branch;
	so.only = only.n ? (const char *const *)only.v : NULL;
	so.n_only = only.n;
	so.cpus = cpus;
	so.n_cpus = n_cpus;
	so.interrupt = &interrupt_flag;
	so.events = &ev;

	/* Ctrl-C, kill, a closed terminal: stop the benchmark (it runs in its
	 * own process group and would not get the signal) and store what is done. */
	static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	struct sigaction sa = {0}, old[4];
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 4; i++)
		sigaction(stop_signals[i], &sa, &old[i]);
	struct bl_sweep_totals t;
	int src = bl_sweep(&so, &t, &err);
	for (int i = 0; i < 4; i++)
		sigaction(stop_signals[i], &old[i], NULL);
	clear_line(&pg);
	free(pg.walls);
	if (src) {
		cli_error("%s", err.msg);
		rc = stop_requested ? EXIT_INTERRUPTED : EXIT_RUNTIME;
		goto out;
	}
	if (so.dry_run) {
		print_plan(&ctx, &commits, &cfg, &only, &t);
		goto out;
	}
	fprintf(stderr,
		"%s: %zu commit%s x %zu case%s: %zu runs ok, %zu failed, %zu build%s failed, %zu cached build%s, %zu "
		"case%s already complete",
		t.interrupted ? "interrupted" : "done", t.commits, t.commits == 1 ? "" : "s", t.cases,
		t.cases == 1 ? "" : "s", t.runs_ok, t.runs_failed, t.builds_failed, t.builds_failed == 1 ? "" : "s",
		t.builds_cached, t.builds_cached == 1 ? "" : "s", t.cases_skipped, t.cases_skipped == 1 ? "" : "s");
	if (t.cases_failed_before)
		fprintf(stderr, ", %zu failed earlier (not retried; --force retries them)", t.cases_failed_before);
	fputc('\n', stderr);
	if (so.until_ci > 0 && (t.cases_ci_met || t.cases_ci_unmet))
		fprintf(stderr, "--until-ci %g%%: %zu case%s reached the interval, %zu stopped at --max-runs/--max-time\n",
			so.until_ci * 100, t.cases_ci_met, t.cases_ci_met == 1 ? "" : "s", t.cases_ci_unmet);
	if (!t.interrupted && !quiet) {
		/* A URL's password is never printed. */
		char *shown = db_opt ? bl_store_display_name(db_opt) : NULL;
		fprintf(stderr, "results: benchline show%s%s\n", shown ? " --db " : "", shown ? shown : "");
		free(shown);
	}
	if (t.interrupted)
		rc = EXIT_INTERRUPTED;
	else if (t.runs_failed || t.builds_failed)
		rc = EXIT_FAILURES;
out:
	if (store)
		bl_store_close(store);
	if (cfg_loaded)
		bl_config_release(&cfg);
	bl_sha_list_release(&commits);
	cli_context_release(&ctx);
	bl_strvec_release(&only);
	free(cpus);
	free(branch);
	return rc;
}

const struct cli_command cli_cmd_run = {
	.name = "run",
	.fn = cmd_run_main,
	.summary = "benchmark commits into the database (resumable)",
	.usage = usage,
};
