/*
 * bench_spawn.c - what bl_run costs per run, against the floor of a raw
 * posix_spawn() + wait4() of the same program.
 *
 * Each round runs, in alternating order so that drift hits both alike:
 *   raw        posix_spawn("/bin/true") + wait4(), nothing else (the floor);
 *   bl_run     /bin/true through bl_run as a sweep uses it: stdout and stderr
 *              log files, a timeout and an interrupt flag;
 *   bl_run/0   bl_run without logs, timeout or interrupt (its fastest path).
 * The time is taken around the whole call, set-up and clean-up included. The
 * wall time bl_run itself reports for the run is printed too: that is the
 * figure benchline stores, comparable to what hyperfine reports.
 *
 * usage: bench_spawn [--runs N] [--program PATH] [--dump PREFIX]
 *   --dump writes every sample, one per line in microseconds, to PREFIX.raw,
 *   PREFIX.bl_run, PREFIX.bare and PREFIX.reported (for spawn_vs_hyperfine.sh).
 */
#include "benchline/runner.h"

#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double mean(const double *v, size_t n)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	return sum / (double)n;
}

static double quantile(double *v, size_t n, double q)
{
	qsort(v, n, sizeof(*v), cmp_double);
	double pos = q * (double)(n - 1);
	size_t i = (size_t)pos;
	double frac = pos - (double)i;
	return i + 1 < n ? v[i] * (1 - frac) + v[i + 1] * frac : v[i];
}

static double raw_run(char *const *argv)
{
	pid_t pid;
	int status;
	struct rusage ru;
	int64_t t0 = bl_now_mono_ns();
	if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0) {
		perror("posix_spawn");
		exit(1);
	}
	wait4(pid, &status, 0, &ru);
	return (double)(bl_now_mono_ns() - t0) / 1e3;
}

static double bl_run_once(const struct bl_run_spec *spec, double *reported_us)
{
	struct bl_run_result res;
	struct bl_error err;
	int64_t t0 = bl_now_mono_ns();
	if (bl_run(spec, &res, &err) != 0 || res.status != BL_RUN_OK) {
		fprintf(stderr, "bench_spawn: bl_run: %s%s\n", err.msg, res.spawn_error);
		exit(1);
	}
	double us = (double)(bl_now_mono_ns() - t0) / 1e3;
	if (reported_us)
		*reported_us = res.wall_s * 1e6;
	return us;
}

static void dump(const char *prefix, const char *series, const double *v, size_t n)
{
	char *path = bl_xasprintf("%s.%s", prefix, series);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%.1f\n", v[i]);
	fclose(f);
	free(path);
}

static void row(const char *name, double *v, size_t n, double *median, double *avg)
{
	double m = quantile(v, n, 0.5);
	*avg = mean(v, n);
	printf("%-26s %10.1f %10.1f %10.1f %10.1f\n", name, m, quantile(v, n, 0.1), quantile(v, n, 0.9), *avg);
	*median = m;
}

int main(int argc, char **argv)
{
	size_t runs = 2000;
	const char *program = "/bin/true";
	const char *dump_prefix = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
			runs = (size_t)atol(argv[++i]);
		else if (strcmp(argv[i], "--program") == 0 && i + 1 < argc)
			program = argv[++i];
		else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc)
			dump_prefix = argv[++i];
		else {
			fprintf(stderr, "usage: bench_spawn [--runs N] [--program PATH] [--dump PREFIX]\n");
			return 2;
		}
	}
	if (runs < 10)
		runs = 10;

	char dir[] = "/tmp/bench_spawn.XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char *out_log = bl_xasprintf("%s/stdout.log", dir);
	char *err_log = bl_xasprintf("%s/stderr.log", dir);
	char *const run_argv[] = {(char *)program, NULL};
	volatile int interrupt = 0;
	struct bl_run_spec logged = {
		.argv = run_argv,
		.timeout_s = 60,
		.stdout_path = out_log,
		.stderr_path = err_log,
		.interrupt = &interrupt,
	};
	struct bl_run_spec bare = {.argv = run_argv};

	double *raw = bl_xcalloc(runs, sizeof(double));
	double *full = bl_xcalloc(runs, sizeof(double));
	double *fast = bl_xcalloc(runs, sizeof(double));
	double *reported = bl_xcalloc(runs, sizeof(double));

	for (size_t i = 0; i < 50; i++) { /* warm-up: page cache, probe, allocator */
		raw_run(run_argv);
		bl_run_once(&logged, NULL);
		bl_run_once(&bare, NULL);
	}
	for (size_t i = 0; i < runs; i++) {
		if (i % 2 == 0) {
			raw[i] = raw_run(run_argv);
			full[i] = bl_run_once(&logged, &reported[i]);
			fast[i] = bl_run_once(&bare, NULL);
		} else {
			fast[i] = bl_run_once(&bare, NULL);
			full[i] = bl_run_once(&logged, &reported[i]);
			raw[i] = raw_run(run_argv);
		}
	}

	if (dump_prefix) {
		dump(dump_prefix, "raw", raw, runs);
		dump(dump_prefix, "bl_run", full, runs);
		dump(dump_prefix, "bare", fast, runs);
		dump(dump_prefix, "reported", reported, runs);
	}
	struct bl_runner_caps caps;
	bl_runner_caps(&caps);
	printf("bench_spawn: %zu interleaved runs of %s (cgroup: %s)\n", runs, program,
	       caps.cgroup ? (caps.cgroup_memory_peak ? "per run, memory.peak" : "shared, cgroup.kill") : "none");
	printf("%-26s %10s %10s %10s %10s\n", "per run, microseconds", "median", "p10", "p90", "mean");
	double m_raw, m_full, m_fast, m_rep, a_raw, a_full, a_fast, a_rep;
	row("raw posix_spawn+wait4", raw, runs, &m_raw, &a_raw);
	row("bl_run, logs+timeout", full, runs, &m_full, &a_full);
	row("bl_run, bare", fast, runs, &m_fast, &a_fast);
	row("bl_run reported wall_s", reported, runs, &m_rep, &a_rep);
	printf("ratio bl_run/raw (median): %.3f  (target <= 1.10)\n", m_full / m_raw);
	printf("ratio bl_run bare/raw:     %.3f\n", m_fast / m_raw);
	printf("ratio reported/raw:        %.3f\n", m_rep / m_raw);
	/* One line for scripts. */
	printf("RESULT raw_median_us=%.1f bl_run_median_us=%.1f bare_median_us=%.1f reported_median_us=%.1f "
	       "raw_mean_us=%.1f bl_run_mean_us=%.1f bare_mean_us=%.1f reported_mean_us=%.1f ratio=%.3f\n",
	       m_raw, m_full, m_fast, m_rep, a_raw, a_full, a_fast, a_rep, m_full / m_raw);

	unlink(out_log);
	unlink(err_log);
	rmdir(dir);
	free(out_log);
	free(err_log);
	free(raw);
	free(full);
	free(fast);
	free(reported);
	return 0;
}
