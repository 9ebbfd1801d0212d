/*
 * bench_report.c - makes the synthetic history that `benchline report` is
 * timed on (bench/report.sh runs it, then times the report).
 *
 * In DIR it creates a git repository with COMMITS commits on one
 * first-parent line (through `git fast-import`, in seconds), then stores
 * results for every commit through the real store API (bl_store_put_commit,
 * bl_store_open_case, bl_store_add_run: one transaction per run, as a sweep
 * does) into DIR/repo/.benchline/results.db: CASES benchmark cases of RUNS
 * measured runs each, every run with the five metrics benchline records for
 * every run (wall_time, user_time, system_time, cpu_time, peak_memory), so
 * there are CASES x 5 series. The values are log-normal noise (about 1%) on a
 * level that steps up or down at a few commits per case, so that detection
 * and the report have something to show; one case fails to build at every
 * 500th commit (a gap).
 *
 * usage: bench_report [--commits N] [--cases C] [--runs R] [--per-commit] DIR
 * Defaults: 10,000 commits, 40 cases (200 series), 5 runs. --per-commit
 * stores each commit's runs in one transaction (bl_store_begin/commit): the
 * same rows, minutes sooner, for a machine that is lent for minutes.
 *
 * bench_report --time REPO [--repeat K] times the report's generation in
 * process, phase by phase (wall and CPU seconds), on every metric of REPO's
 * .benchline/results.db, against two baselines measured in the same run:
 *   previous  the report as it was generated before bl_series_load_bulk:
 *             bl_series_load (foreach_point, queries per case), then the same
 *             model and pages;
 *   dump      a plain read of the same values: one prepared statement over
 *             metric_values summing them, nothing kept (a floor for any
 *             reader of this file).
 * It prints "ratio" lines: new / previous and new / dump.
 */
#include "benchline/git.h"
#include "benchline/report.h"
#include "benchline/series.h"
#include "benchline/store.h"

#include <sqlite3.h>
#include <time.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

__attribute__((noreturn)) static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_report: %s: %s\n", what, msg);
	exit(1);
}

static int parse_int_arg(const char *name, const char *v)
{
	int64_t n;
	if (!v || bl_parse_int64(v, &n) != 0 || n < 1 || n > 10000000)
		die(name, "expected a positive number");
	return (int)n;
}

/* xorshift64*: the same numbers on every machine. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static double uniform(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (double)((rng_state * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}
static double normal(void)
{
	double u = uniform(), v = uniform();
	return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

static void make_repo(const char *dir, int commits)
{
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/repo' && git init -q -b main '%s/repo'", dir, dir);
	if (system(cmd) != 0)
		die("git init", cmd);
	snprintf(cmd, sizeof(cmd), "git -C '%s/repo' fast-import --quiet", dir);
	FILE *fi = popen(cmd, "w");
	if (!fi)
		die("popen", cmd);
	int64_t t0 = 1700000000;
	for (int i = 0; i < commits; i++) {
		char msg[128];
		int n = snprintf(msg, sizeof(msg), "Change %d: tune the hot loop of module %d", i, i % 37);
		fprintf(fi, "commit refs/heads/main\nmark :%d\n", i + 1);
		fprintf(fi, "author Dev %d <dev%d@example.com> %lld +0000\n", i % 13, i % 13, (long long)(t0 + 600 * i));
		fprintf(fi, "committer Dev %d <dev%d@example.com> %lld +0000\n", i % 13, i % 13,
			(long long)(t0 + 600 * i));
		fprintf(fi, "data %d\n%s\n", n, msg);
		if (i)
			fprintf(fi, "from :%d\n", i);
		fprintf(fi, "M 644 inline file.txt\ndata %d\n%s\n\n", n, msg);
	}
	if (pclose(fi) != 0)
		die("git fast-import", "failed");
}

/* ---- --time: generation phase by phase against the baselines ---------------------------------------------------- */

struct clock_pair {
	double wall, cpu;
};

static struct clock_pair now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (struct clock_pair){(double)bl_now_mono_ns() / 1e9, (double)ts.tv_sec + (double)ts.tv_nsec / 1e9};
}

static struct clock_pair since(struct clock_pair t0)
{
	struct clock_pair t = now();
	return (struct clock_pair){t.wall - t0.wall, t.cpu - t0.cpu};
}

/* The history as `benchline report` reads it (src/cmd-report.c). */
static struct bl_report_commit *history(const char *repo, size_t *n)
{
	struct bl_error err = {{0}};
	char head[BL_SHA_HEX + 1];
	struct bl_sha_list hist = {0};
	if (bl_git_resolve(repo, "HEAD", head, &err) || bl_git_first_parent_history(repo, head, &hist, &err))
		die("git", err.msg);
	struct bl_commit_info *cis = bl_xcalloc(hist.n ? hist.n : 1, sizeof(*cis));
	if (bl_git_commit_infos(repo, (const char(*)[BL_SHA_HEX + 1])hist.shas, hist.n, cis, &err))
		die("git log", err.msg);
	struct bl_report_commit *v = bl_xcalloc(hist.n ? hist.n : 1, sizeof(*v));
	for (size_t i = 0; i < hist.n; i++) {
		memcpy(v[i].sha, cis[i].sha, sizeof(v[i].sha));
		v[i].subject = cis[i].subject;
		v[i].author = cis[i].author_name;
		cis[i].subject = cis[i].author_name = NULL;
		v[i].time = cis[i].commit_time;
		bl_commit_info_release(&cis[i]);
	}
	*n = hist.n;
	free(cis);
	bl_sha_list_release(&hist);
	return v;
}

struct gen_times {
	struct clock_pair git, load, model, pages, total;
	size_t series, changes;
	uint64_t bytes;
};

/* One generation: bulk (the report's reader) or the previous per-case reader. */
static void generate(const char *repo, const char *db, const char *site, bool bulk, struct gen_times *t)
{
	struct bl_error err = {{0}};
	struct clock_pair t0 = now(), t1;
	size_t n_commits;
	struct bl_report_commit *commits = history(repo, &n_commits);
	t->git = since(t0);
	struct bl_store *s;
	if (bl_store_open(db, &s, &err))
		die("open", err.msg);
	t1 = now();
	struct bl_series_set set;
	struct bl_point_query q = {.repository = repo};
	if ((bulk ? bl_series_load_bulk : bl_series_load)(s, &q, &set, &err))
		die("load", err.msg);
	t->load = since(t1);
	t1 = now();
	static const char *const all[] = {"all"};
	struct bl_report_opts o;
	bl_report_opts_default(&o);
	o.repository = repo;
	o.metrics = all;
	o.n_metrics = 1;
	struct bl_report r;
	if (bl_report_build(&set, commits, n_commits, &o, &r, &err))
		die("model", err.msg);
	t->model = since(t1);
	t1 = now();
	struct bl_report_site_stats st;
	if (bl_report_write_html(&r, s, 500, site, &st, &err))
		die("pages", err.msg);
	t->pages = since(t1);
	t->total = since(t0);
	t->series = r.n_series;
	t->changes = r.n_events;
	t->bytes = st.bytes;
	bl_report_release(&r);
	bl_series_set_release(&set);
	bl_store_close(s);
}

/* The plain dump: every stored value read once through SQLite, nothing kept. */
static struct clock_pair dump(const char *db, size_t *n_values)
{
	struct clock_pair t0 = now();
	sqlite3 *h;
	sqlite3_stmt *st;
	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h, "SELECT value_id, metric_key, value FROM metric_values ORDER BY value_id", -1, &st,
			       NULL) != SQLITE_OK)
		die("dump", sqlite3_errmsg(h));
	double sum = 0;
	size_t n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		sum += sqlite3_column_double(st, 2) + (double)sqlite3_column_int64(st, 1) +
		       (double)sqlite3_column_int64(st, 0);
		n++;
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	*n_values = sum != 0 ? n : n; /* sum keeps the reads from being optimised away */
	return since(t0);
}

static void print_times(const char *what, const struct gen_times *t)
{
	printf("%-9s %7.2f/%-6.2f %7.2f/%-6.2f %7.2f/%-6.2f %7.2f/%-6.2f %7.2f/%-6.2f %6zu %7zu %9.1f\n", what,
	       t->git.wall, t->git.cpu, t->load.wall, t->load.cpu, t->model.wall, t->model.cpu, t->pages.wall,
	       t->pages.cpu, t->total.wall, t->total.cpu, t->series, t->changes, (double)t->bytes / 1e6);
}

static int time_report(const char *repo_arg, int repeat, bool with_previous)
{
	char *repo = realpath(repo_arg, NULL);
	if (!repo)
		die("realpath", repo_arg);
	char *db = bl_xasprintf("%s/.benchline/results.db", repo);
	char site[] = "/tmp/bench-report-site-XXXXXX";
	if (!mkdtemp(site))
		die("mkdtemp", site);
	printf("bench_report --time %s (wall/CPU seconds; the machine: %ld CPUs online)\n", repo,
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("%-9s %14s %14s %14s %14s %14s %6s %7s %9s\n", "method", "git", "load", "model", "pages", "total",
	       "series", "changes", "site_MB");
	struct gen_times best = {0}, prev = {0}, t;
	struct clock_pair best_dump = {0};
	size_t n_values = 0;
	for (int k = 0; k < repeat; k++) {
		struct clock_pair d = dump(db, &n_values);
		printf("%-9s %14s %7.2f/%-6.2f %14s %14s %7.2f/%-6.2f   (%zu values)\n", "dump", "", d.wall, d.cpu, "",
		       "", d.wall, d.cpu, n_values);
		if (k == 0 || d.wall < best_dump.wall)
			best_dump = d;
		generate(repo, db, site, true, &t);
		print_times("bulk", &t);
		if (k == 0 || t.total.wall < best.total.wall)
			best = t;
	}
	if (with_previous) {
		generate(repo, db, site, false, &prev);
		print_times("previous", &prev);
	}
	printf("ratio bulk/dump (best of %d): load %.2fx wall, %.2fx CPU; whole generation %.2fx wall of the dump\n",
	       repeat, best.load.wall / best_dump.wall, best.load.cpu / best_dump.cpu, best.total.wall / best_dump.wall);
	if (with_previous)
		printf("ratio bulk/previous: load %.3fx wall (%.1f times faster), %.3fx CPU; whole generation %.3fx wall "
		       "(%.1f times faster), %.3fx CPU\n",
		       best.load.wall / prev.load.wall, prev.load.wall / best.load.wall, best.load.cpu / prev.load.cpu,
		       best.total.wall / prev.total.wall, prev.total.wall / best.total.wall, best.total.cpu / prev.total.cpu);
	char *rm = bl_xasprintf("rm -rf '%s'", site);
	if (system(rm) != 0)
		fprintf(stderr, "bench_report: could not remove %s\n", site);
	free(rm);
	free(db);
	free(repo);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "--time")) {
		int repeat = 3;
		bool previous = true;
		for (int i = 3; i < argc; i++) {
			if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
				repeat = parse_int_arg("--repeat", argv[++i]);
			else if (!strcmp(argv[i], "--no-previous"))
				previous = false;
			else
				die(argv[i], "usage: bench_report --time REPO [--repeat K] [--no-previous]");
		}
		return time_report(argv[2], repeat, previous);
	}
	int commits = 10000, cases = 40, runs = 5;
	bool per_commit = false;
	const char *dir = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--commits") && i + 1 < argc)
			commits = parse_int_arg("--commits", argv[++i]);
		else if (!strcmp(argv[i], "--cases") && i + 1 < argc)
			cases = parse_int_arg("--cases", argv[++i]);
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = parse_int_arg("--runs", argv[++i]);
		else if (!strcmp(argv[i], "--per-commit"))
			per_commit = true;
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else {
			fprintf(stderr, "usage: bench_report [--commits N] [--cases C] [--runs R] [--per-commit] DIR\n");
			return 2;
		}
	}
	if (!dir) {
		fprintf(stderr, "usage: bench_report [--commits N] [--cases C] [--runs R] [--per-commit] DIR\n");
		return 2;
	}
	struct bl_error err = {{0}};
	if (bl_mkdirs(dir, 0755, &err))
		die("mkdir", err.msg);
	int64_t t_start = bl_now_mono_ns();
	make_repo(dir, commits);
	char *repo = realpath(bl_xasprintf("%s/repo", dir), NULL);
	if (!repo)
		die("realpath", dir);
	char head[BL_SHA_HEX + 1];
	struct bl_sha_list hist = {0};
	if (bl_git_resolve(repo, "HEAD", head, &err) || bl_git_first_parent_history(repo, head, &hist, &err))
		die("git", err.msg);
	struct bl_commit_info *cis = bl_xcalloc(hist.n, sizeof(*cis));
	if (bl_git_commit_infos(repo, (const char(*)[BL_SHA_HEX + 1])hist.shas, hist.n, cis, &err))
		die("git log", err.msg);
	fprintf(stderr, "bench_report: %zu commits in %s (%.1f s)\n", hist.n, repo,
		(double)(bl_now_mono_ns() - t_start) / 1e9);

	char *dbdir = bl_xasprintf("%s/.benchline", repo), *db = bl_xasprintf("%s/results.db", dbdir);
	if (bl_mkdirs(dbdir, 0755, &err))
		die("mkdir", err.msg);
	struct bl_store *s;
	if (bl_store_open(db, &s, &err))
		die("open", err.msg);
	struct bl_machine m = {.hostname = (char *)"bench1", .cpu_count = 2, .gpus_json = (char *)"[]"};
	snprintf(m.fingerprint, sizeof(m.fingerprint), "bench-report-fingerprint");
	int64_t mid;
	if (bl_store_put_machine(s, &m, &mid, &err))
		die("put_machine", err.msg);

	/* Each case: a base level and a few steps at fixed commits. */
	double *level = bl_xcalloc((size_t)cases, sizeof(double));
	for (int c = 0; c < cases; c++)
		level[c] = 0.001 * (1 + c) * (1 + uniform());
	const char *names[] = {"parse", "render", "compress", "search", "sort"};
	int64_t t_store = bl_now_mono_ns();
	for (size_t k = 0; k < hist.n; k++) {
		if (per_commit && bl_store_begin(s, &err))
			die("begin", err.msg);
		if (bl_store_put_commit(s, repo, &cis[k], &err))
			die("put_commit", err.msg);
		for (int c = 0; c < cases; c++) {
			/* a +8% step and a -5% step per case, at commits spread over the history */
			if ((int)k == (int)((size_t)(c * 211 + 977) % hist.n))
				level[c] *= 1.08;
			if ((int)k == (int)((size_t)(c * 157 + 4311) % hist.n))
				level[c] *= 0.95;
			char params[64];
			snprintf(params, sizeof(params), "{\"size\":\"%d\"}", 1 << (c / 5));
			struct bl_case_key key = {
				.repository = repo,
				.branch = "main",
				.commit_sha = hist.shas[k],
				.commit_subject = cis[k].subject,
				.machine_id = mid,
				.suite_hash = "suite0",
				.name = names[c % 5],
				.params_json = params,
				.metadata_json = "{}",
			};
			struct bl_case_state st;
			if (bl_store_open_case(s, &key, &st, &err))
				die("open_case", err.msg);
			int64_t bid = st.benchmark_id;
			bl_case_state_release(&st);
			if (c == 0 && k % 500 == 250) {
				if (bl_store_set_case_status(s, bid, BL_CASE_BUILD_FAILED, &err))
					die("set_case_status", err.msg);
				continue;
			}
			for (int r = 0; r < runs; r++) {
				double wall = level[c] * exp(0.01 * normal());
				double user = wall * 0.9 * exp(0.01 * normal()), sys = wall * 0.05 * exp(0.05 * normal());
				double peak = floor(4e6 * (1 + c) * exp(0.002 * normal()));
				struct bl_metric mets[] = {
					{(char *)"wall_time", wall, (char *)"s", BL_BETTER_LOWER},
					{(char *)"user_time", user, (char *)"s", BL_BETTER_LOWER},
					{(char *)"system_time", sys, (char *)"s", BL_BETTER_LOWER},
					{(char *)"cpu_time", user + sys, (char *)"s", BL_BETTER_LOWER},
					{(char *)"peak_memory", peak, (char *)"B", BL_BETTER_LOWER},
				};
				struct bl_run_record rec = {
					.benchmark_id = bid,
					.index = r,
					.start_unix_ns = (cis[k].commit_time + 60) * 1000000000LL,
					.wall_s = wall,
					.user_s = user,
					.sys_s = sys,
					.peak_rss_bytes = (int64_t)peak,
					.peak_source = "cgroup",
					.status = "ok",
					.env_hash = "0123456789abcdef",
					.metrics = mets,
					.n_metrics = 5,
				};
				if (bl_store_add_run(s, &rec, NULL, &err))
					die("add_run", err.msg);
			}
			if (bl_store_set_case_status(s, bid, BL_CASE_COMPLETE, &err))
				die("set_case_status", err.msg);
		}
		if (per_commit && bl_store_commit(s, &err))
			die("commit", err.msg);
		if (k % 1000 == 999)
			fprintf(stderr, "bench_report: stored %zu commits (%.0f s)\n", k + 1,
				(double)(bl_now_mono_ns() - t_store) / 1e9);
	}
	bl_store_close(s);
	fprintf(stderr, "bench_report: %d cases x %d runs x 5 metrics per commit stored in %.1f s: %s\n", cases, runs,
		(double)(bl_now_mono_ns() - t_store) / 1e9, db);
	printf("%s\n", repo);
	for (size_t k = 0; k < hist.n; k++)
		bl_commit_info_release(&cis[k]);
	free(cis);
	bl_sha_list_release(&hist);
	free(level);
	free(repo);
	free(dbdir);
	free(db);
	return 0;
}
