/*
 * bench_checkout.c - per-commit orchestration overhead of bl_worktree_checkout.
 *
 * Builds a throw-away repository of 1,000 files and 20 commits (each changing
 * three files), then checks its commits out one after another, round-robin,
 * into a benchline slot and, as the named baseline, runs the bare
 * `git checkout --detach --force SHA` + `git clean -ffdx` pair through
 * bl_proc_run on a second worktree. The two are interleaved per iteration so
 * drift in the machine affects both alike. It also times the cached path (the
 * slot already holds the commit, built with the same key).
 *
 * Usage: bench_checkout [ITERATIONS]   (default 200; scratch in $TMPDIR or /tmp)
 * Target from the issue: median under 50 ms per commit.
 */
#include "benchline/git.h"
#include "benchline/proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define N_FILES 1000
#define N_DIRS 20
#define N_COMMITS 20
#define FILES_PER_COMMIT 3

static void die(const char *what, const struct bl_error *err)
{
	fprintf(stderr, "bench_checkout: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

/* Runs git (no shell) and returns its stdout; exits on any failure. */
static char *git(const char *dir, const char *const *args)
{
	struct bl_strvec argv;
	bl_strvec_init(&argv);
	bl_strvec_push(&argv, "git");
	bl_strvec_push(&argv, "-C");
	bl_strvec_push(&argv, dir);
	for (const char *const *a = args; *a; a++)
		bl_strvec_push(&argv, *a);
	struct bl_buf out, errout;
	bl_buf_init(&out);
	bl_buf_init(&errout);
	struct bl_proc_result res;
	struct bl_error err;
	if (bl_proc_run(argv.v, NULL, &out, &errout, &res, &err) != 0)
		die("cannot run git", &err);
	if (res.exit_code != 0) {
		fprintf(stderr, "bench_checkout: git %s failed: %s\n", args[0], errout.data);
		exit(1);
	}
	bl_strvec_release(&argv);
	bl_buf_release(&errout);
	return bl_buf_detach(&out);
}

static void write_text(const char *path, const char *text)
{
	struct bl_error err;
	if (bl_write_file_atomic(path, text, strlen(text), &err) != 0)
		die("cannot write", &err);
}

static void commit_all(const char *repo, int i)
{
	char date[64];
	snprintf(date, sizeof(date), "@%d +0000", 1600000000 + i * 100);
	setenv("GIT_AUTHOR_DATE", date, 1);
	setenv("GIT_COMMITTER_DATE", date, 1);
	char msg[32];
	snprintf(msg, sizeof(msg), "commit %d", i);
	free(git(repo, (const char *const[]){"add", "-A", NULL}));
	free(git(repo, (const char *const[]){"commit", "-q", "-m", msg, NULL}));
}

static void make_repo(const char *repo)
{
	struct bl_error err;
	if (bl_mkdirs(repo, 0755, &err) != 0)
		die("cannot create the repository", &err);
	free(git(repo, (const char *const[]){"init", "-q", "-b", "main", NULL}));
	free(git(repo, (const char *const[]){"config", "user.name", "bench", NULL}));
	free(git(repo, (const char *const[]){"config", "user.email", "bench@example.com", NULL}));
	for (int d = 0; d < N_DIRS; d++) {
		char *dir = bl_xasprintf("%s/src/d%02d", repo, d);
		if (bl_mkdirs(dir, 0755, &err) != 0)
			die("cannot create a directory", &err);
		free(dir);
	}
	for (int f = 0; f < N_FILES; f++) {
		char *path = bl_xasprintf("%s/src/d%02d/file%04d.c", repo, f % N_DIRS, f);
		char *text = bl_xasprintf("/* file %d */\nint f%d(void) { return %d; }\n", f, f, f);
		write_text(path, text);
		free(path);
		free(text);
	}
	char *ignore = bl_xasprintf("%s/.gitignore", repo);
	write_text(ignore, "build/\n");
	free(ignore);
	commit_all(repo, 0);
	for (int c = 1; c < N_COMMITS; c++) {
		for (int k = 0; k < FILES_PER_COMMIT; k++) {
			int f = (c * 37 + k * 101) % N_FILES;
			char *path = bl_xasprintf("%s/src/d%02d/file%04d.c", repo, f % N_DIRS, f);
			char *text =
			    bl_xasprintf("/* file %d, commit %d */\nint f%d(void) { return %d; }\n", f, c, f, c);
			write_text(path, text);
			free(path);
			free(text);
		}
		commit_all(repo, c);
	}
	unsetenv("GIT_AUTHOR_DATE");
	unsetenv("GIT_COMMITTER_DATE");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double quantile(double *v, size_t n, double q)
{
	qsort(v, n, sizeof(*v), cmp_double);
	double pos = q * (double)(n - 1);
	size_t lo = (size_t)pos;
	size_t hi = lo + 1 < n ? lo + 1 : lo;
	return v[lo] + (v[hi] - v[lo]) * (pos - (double)lo);
}

static double ms_since(int64_t t0)
{
	return (double)(bl_now_mono_ns() - t0) / 1e6;
}

int main(int argc, char **argv)
{
	int iterations = argc > 1 ? atoi(argv[1]) : 200;
	if (iterations < 4) {
		fprintf(stderr, "usage: bench_checkout [ITERATIONS >= 4]\n");
		return 2;
	}
	const char *tmp = getenv("TMPDIR");
	char *scratch = bl_xasprintf("%s/bench_checkout.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(scratch)) {
		perror("mkdtemp");
		return 1;
	}
	char *repo = bl_xasprintf("%s/repo", scratch);
	char *cache = bl_xasprintf("%s/cache", scratch);
	char *base_wt = bl_xasprintf("%s/baseline", scratch);
	make_repo(repo);

	char *list = git(repo, (const char *const[]){"rev-list", "--reverse", "HEAD", NULL});
	char shas[N_COMMITS][BL_SHA_HEX + 1];
	int n = 0;
	for (char *save = NULL, *tok = strtok_r(list, "\n", &save); tok && n < N_COMMITS;
	     tok = strtok_r(NULL, "\n", &save))
		snprintf(shas[n++], sizeof(shas[0]), "%s", tok);
	free(list);
	free(git(repo, (const char *const[]){"worktree", "add", "-q", "--detach", base_wt, shas[0], NULL}));

	struct bl_worktree wt = {0};
	struct bl_error err;
	double *ours = bl_xcalloc((size_t)iterations, sizeof(double));
	double *base = bl_xcalloc((size_t)iterations, sizeof(double));
	double *cached = bl_xcalloc((size_t)iterations, sizeof(double));
	int warmup = 5;
	for (int i = -warmup; i < iterations; i++) {
		const char *sha = shas[(i + warmup) % n];
		int64_t t0 = bl_now_mono_ns();
		if (bl_worktree_checkout(repo, cache, 0, sha, "bench", &wt, &err) != 0)
			die("bl_worktree_checkout", &err);
		double t_ours = ms_since(t0);

		t0 = bl_now_mono_ns();
		free(git(base_wt, (const char *const[]){"checkout", "--detach", "--force", "-q", sha, NULL}));
		free(git(base_wt, (const char *const[]){"clean", "-ffdxq", NULL}));
		double t_base = ms_since(t0);

		/* The cached path: the slot holds sha, built with this key. */
		if (bl_worktree_mark_built(&wt, "bench", "ok", &err) != 0)
			die("bl_worktree_mark_built", &err);
		t0 = bl_now_mono_ns();
		if (bl_worktree_checkout(repo, cache, 0, sha, "bench", &wt, &err) != 0)
			die("bl_worktree_checkout (cached)", &err);
		double t_cached = ms_since(t0);
		if (strcmp(wt.built, "ok") != 0) {
			fprintf(stderr, "bench_checkout: the cached checkout was not recognised as built\n");
			return 1;
		}
		if (i >= 0) {
			ours[i] = t_ours;
			base[i] = t_base;
			cached[i] = t_cached;
		}
	}

	double om = quantile(ours, (size_t)iterations, 0.5), o90 = quantile(ours, (size_t)iterations, 0.9);
	double bm = quantile(base, (size_t)iterations, 0.5), b90 = quantile(base, (size_t)iterations, 0.9);
	double cm = quantile(cached, (size_t)iterations, 0.5), c90 = quantile(cached, (size_t)iterations, 0.9);
	printf("repository: %d files, %d commits, %d changed per commit; %d iterations (+%d warm-up)\n", N_FILES,
	       N_COMMITS, FILES_PER_COMMIT, iterations, warmup);
	printf("%-44s median %7.2f ms   p90 %7.2f ms\n", "bl_worktree_checkout (new commit)", om, o90);
	printf("%-44s median %7.2f ms   p90 %7.2f ms\n", "baseline: git checkout --force + clean -ffdx", bm, b90);
	printf("%-44s median %7.2f ms   p90 %7.2f ms\n", "bl_worktree_checkout (already built)", cm, c90);
	printf("ratio benchline/baseline (median): %.2fx; target: median under 50 ms: %s\n", om / bm,
	       om < 50.0 ? "met" : "NOT met");

	bl_worktree_release(&wt);
	free(ours);
	free(base);
	free(cached);
	if (!getenv("BENCHLINE_KEEP_TMP") && bl_remove_tree(scratch, &err) != 0)
		fprintf(stderr, "bench_checkout: %s\n", err.msg);
	free(scratch);
	free(repo);
	free(cache);
	free(base_wt);
	return 0;
}
