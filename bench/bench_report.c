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
 * usage: bench_report [--commits N] [--cases C] [--runs R] DIR
 * Defaults: 10,000 commits, 40 cases (200 series), 5 runs.
 */
#include "benchline/git.h"
#include "benchline/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

int main(int argc, char **argv)
{
	int commits = 10000, cases = 40, runs = 5;
	const char *dir = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--commits") && i + 1 < argc)
			commits = parse_int_arg("--commits", argv[++i]);
		else if (!strcmp(argv[i], "--cases") && i + 1 < argc)
			cases = parse_int_arg("--cases", argv[++i]);
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = parse_int_arg("--runs", argv[++i]);
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else {
			fprintf(stderr, "usage: bench_report [--commits N] [--cases C] [--runs R] DIR\n");
			return 2;
		}
	}
	if (!dir) {
		fprintf(stderr, "usage: bench_report [--commits N] [--cases C] [--runs R] DIR\n");
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
