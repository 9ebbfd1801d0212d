/*
 * test_sampler.c - the sampler against real processes run through bl_run
 * with the sampler's hooks, as the sweep will use it: this binary run as
 * "--child MODE ..." burns two cores, touches 200 MB, is started twice by a
 * shell or many times in a row, or runs many threads one of which starts a
 * worker. Bounds are loose (ticks are 10 ms, CI machines are noisy) but a
 * sampler that reads the wrong process, the wrong unit or nothing fails them.
 * Runs go without a cgroup (the /proc walk) unless a test says otherwise;
 * those that take the run's cgroup are skipped where runs get none.
 */
#include "benchline/runner.h"
#include "benchline/sampler.h"

#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

/* ---- child modes of this binary ---- */

static double now_s(void)
{
	return (double)bl_now_mono_ns() / 1e9;
}

static void *spin(void *arg)
{
	double until = *(double *)arg;
	volatile unsigned long x = 0;
	while (now_s() < until)
		for (int i = 0; i < 10000; i++)
			x += (unsigned long)i;
	return NULL;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0)
		;
}

extern char **environ;
static char self_exe[4096];

struct worker_arg {
	const char *ms;
	int rc;
};

/* A thread other than the main one starts a worker and waits for it: the
 * worker hangs off this thread's children file, not the main thread's. */
static void *start_worker(void *arg)
{
	struct worker_arg *w = arg;
	char *wargv[] = {self_exe, "--child", "burn", "1", (char *)w->ms, NULL};
	pid_t pid;
	w->rc = posix_spawn(&pid, self_exe, NULL, NULL, wargv, environ);
	if (w->rc == 0 && waitpid(pid, NULL, 0) != pid)
		w->rc = -1;
	return NULL;
}

static void *sleep_until_woken(void *arg)
{
	pthread_mutex_t *mu = arg;
	pthread_mutex_lock(mu); /* held by main until the end */
	pthread_mutex_unlock(mu);
	return NULL;
}

static int child_main(int argc, char **argv)
{
	if (argc >= 5 && strcmp(argv[2], "threads") == 0) {
		/* threads N MS_WORKER: N threads, the last of which runs a busy worker */
		int n = atoi(argv[3]);
		pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
		pthread_mutex_lock(&mu);
		pthread_t t[256];
		int made = 0;
		for (; made < n - 2 && made < 254; made++)
			if (pthread_create(&t[made], NULL, sleep_until_woken, &mu) != 0)
				return 4;
		struct worker_arg w = {.ms = argv[4]};
		pthread_t wt;
		if (pthread_create(&wt, NULL, start_worker, &w) != 0)
			return 4;
		pthread_join(wt, NULL);
		pthread_mutex_unlock(&mu);
		for (int i = 0; i < made; i++)
			pthread_join(t[i], NULL);
		return w.rc == 0 ? 0 : 5;
	}
	if (argc >= 5 && strcmp(argv[2], "burn") == 0) {
		/* burn THREADS MS_BURN [MS_SLEEP] */
		int threads = atoi(argv[3]);
		double until = now_s() + atoi(argv[4]) / 1000.0;
		pthread_t t[8];
		for (int i = 1; i < threads && i < 8; i++)
			pthread_create(&t[i], NULL, spin, &until);
		spin(&until);
		for (int i = 1; i < threads && i < 8; i++)
			pthread_join(t[i], NULL);
		if (argc >= 6)
			sleep_ms(atoi(argv[5]));
		return 0;
	}
	if (argc >= 5 && strcmp(argv[2], "touch") == 0) {
		/* touch MB MS_HOLD: mmap directly, so no allocator can keep it lazy */
		size_t n = (size_t)atoi(argv[3]) << 20;
		sleep_ms(200); /* a baseline before the rise */
		char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 2;
		memset(p, 1, n);
		sleep_ms(atoi(argv[4]));
		munmap(p, n);
		return 0;
	}
	return 3;
}

/* ---- helpers ---- */

static struct bl_sampler *new_sampler(int interval_ms)
{
	struct bl_sampler *s = NULL;
	struct bl_error err = {{0}};
	struct bl_sampler_options opt = {.interval_ms = interval_ms};
	if (bl_sampler_new(&s, &opt, &err) != 0)
		fail_msg("bl_sampler_new: %s", err.msg);
	return s;
}

/* Runs argv through bl_run with the sampler's hooks, in a cgroup of its own
 * if asked and the runner makes one; returns the tree's CPU seconds per the kernel. */
static double run_sampled_cg(struct bl_sampler *s, char **argv, bool cgroup)
{
	struct bl_run_spec spec = {.argv = argv, .on_start = bl_sampler_on_start, .on_exit = bl_sampler_on_exit,
				   .ctx = s, .no_cgroup = !cgroup};
	struct bl_run_result res;
	struct bl_error err = {{0}};
	if (bl_run(&spec, &res, &err) != 0)
		fail_msg("bl_run: %s", err.msg);
	assert_int_equal(res.status, BL_RUN_OK);
	assert_string_equal(bl_sampler_error(s), "");
	assert_int_equal(res.exit_code, 0);
	if (!cgroup)
		assert_false(bl_sampler_summary(s)->proc_cgroup);
	else if (!bl_sampler_summary(s)->proc_cgroup)
		/* joined after the spawn (glibc < 2.39) and the child forked first: the runner keeps the cgroup to itself */
		print_message("note: the child was quicker than its cgroup; sampled by the /proc walk\n");
	return res.user_s + res.sys_s;
}

static double run_sampled(struct bl_sampler *s, char **argv)
{
	return run_sampled_cg(s, argv, false);
}

/* Whether runs here get a cgroup the sampler can read. */
static bool runs_get_cgroup(void)
{
	struct bl_runner_caps caps;
	bl_runner_caps(&caps);
	if (!caps.cgroup)
		print_message("note: runs get no cgroup here; the cgroup half is skipped\n");
	return caps.cgroup;
}

/* CPU seconds the samples account for: each valid % times the interval it covers. */
static double integrated_cpu_s(const struct bl_sample *x, size_t n)
{
	double sum = 0;
	for (size_t i = 1; i < n; i++)
		if (x[i].proc_cpu_pct.valid)
			sum += x[i].proc_cpu_pct.value / 100.0 * (double)(x[i].t_ns - x[i - 1].t_ns) / 1e9;
	return sum;
}

/*
 * The samples must add up to what the kernel charged the tree (wait4), and
 * when the kernel says the tree had two cores (other jobs on a small CI
 * machine can take one), the busy phase must read above 120 %.
 */
static void check_sum(const struct bl_sample *x, size_t n, double kernel_cpu_s)
{
	double seen = integrated_cpu_s(x, n);
	if (!(seen > 0.75 * kernel_cpu_s && seen < 1.25 * kernel_cpu_s + 0.05))
		fail_msg("samples add up to %.2f CPU s, the kernel charged %.2f s", seen, kernel_cpu_s);
}

static void check_busy(const struct bl_sample *x, size_t n, double kernel_cpu_s, double burn_s, double busy)
{
	check_sum(x, n, kernel_cpu_s);
	if (kernel_cpu_s / burn_s >= 1.7 && !(busy > 120 && busy < 260))
		fail_msg("two busy cores read as %.0f%% (want 120..260)", busy);
	if (kernel_cpu_s / burn_s < 1.7)
		print_message("note: the tree got only %.2f cores (machine busy); 200%% bound not checked\n",
			      kernel_cpu_s / burn_s);
}

/* Mean of the valid proc_cpu_pct samples whose time lies in [from, to) seconds. */
static double mean_cpu(const struct bl_sample *x, size_t n, double from, double to, size_t *used)
{
	double sum = 0;
	*used = 0;
	for (size_t i = 0; i < n; i++) {
		double t = (double)x[i].t_ns / 1e9;
		if (t >= from && t < to && x[i].proc_cpu_pct.valid) {
			sum += x[i].proc_cpu_pct.value;
			(*used)++;
		}
	}
	return *used ? sum / (double)*used : -1;
}

/* ---- tests ---- */

static void test_two_busy_cores_then_idle(void **state)
{
	struct bl_sampler *s = new_sampler(50);
	char *argv[] = {self_exe, "--child", "burn", "2", "1500", "1500", NULL};
	double kernel_cpu = run_sampled(s, argv);
	size_t n, used;
	const struct bl_sample *x = bl_sampler_samples(s, &n);
	assert_true(n >= 40);
	/* Margins on both sides for the child's start-up under sanitizers. */
	double busy = mean_cpu(x, n, 0.5, 1.3, &used);
	assert_true(used >= 8);
	double idle = mean_cpu(x, n, 2.0, 2.9, &used);
	assert_true(used >= 8);
	check_busy(x, n, kernel_cpu, 1.5, busy);
	if (!(idle < 30))
		fail_msg("a sleeping process read as %.0f%% CPU (want < 30)", idle);
	const struct bl_sampler_summary *u = bl_sampler_summary(s);
	assert_true(u->proc_cpu_pct.max.valid && u->proc_cpu_pct.max.value >= busy);
	assert_true(u->sys_cpu_pct.mean.valid && u->sys_mem_used_bytes.mean.valid);
	assert_true(u->duration_s > 2.5 && u->duration_s < 10);
	/* The stop sample comes after the reap: the process is gone, so invalid, not 0. */
	assert_false(x[n - 1].proc_cpu_pct.valid);
	assert_false(x[n - 1].proc_rss_bytes.valid);
	assert_true(x[n - 1].sys_mem_used_bytes.valid);
	bl_sampler_free(s);
}

static void test_rss_rises(void **state)
{
	struct bl_sampler *s = new_sampler(20);
	char *argv[] = {self_exe, "--child", "touch", "200", "600", NULL};
	run_sampled(s, argv);
	size_t n;
	const struct bl_sample *x = bl_sampler_samples(s, &n);
	double lo = -1, hi = -1;
	for (size_t i = 0; i < n; i++) {
		if (!x[i].proc_rss_bytes.valid)
			continue;
		double v = x[i].proc_rss_bytes.value;
		if (lo < 0 || v < lo)
			lo = v;
		if (v > hi)
			hi = v;
	}
	if (!(lo >= 0 && hi - lo >= 180.0 * 1024 * 1024))
		fail_msg("RSS rose from %.1f MB to %.1f MB, want +180 MB", lo / 1048576, hi / 1048576);
	assert_true(bl_sampler_summary(s)->proc_rss_bytes.max.value >= hi);
	bl_sampler_free(s);
}

static void test_shell_with_two_workers(void **state)
{
	struct bl_sampler *s = new_sampler(50);
	char *script = bl_xasprintf("'%s' --child burn 1 1500 & '%s' --child burn 1 1500 & wait", self_exe,
				    self_exe);
	char *argv[] = {"/bin/sh", "-c", script, NULL};
	double kernel_cpu = run_sampled(s, argv);
	size_t n, used;
	const struct bl_sample *x = bl_sampler_samples(s, &n);
	double busy = mean_cpu(x, n, 0.5, 1.3, &used);
	assert_true(used >= 8);
	/* the workers' CPU reaches wait4 through sh: missing them fails both checks */
	check_busy(x, n, kernel_cpu, 1.5, busy);
	/* sh plus two workers, seen at once */
	assert_true(bl_sampler_summary(s)->proc_count.max.value >= 3);
	free(script);
	bl_sampler_free(s);
}

/* Twelve workers of 60 ms one after the other, sampled every 50 ms: most
 * live between two samples. Their CPU must still count: through cpu.stat
 * with a cgroup, through sh's cutime without. */
static void short_children(bool cgroup)
{
	struct bl_sampler *s = new_sampler(50);
	char *script = bl_xasprintf("for i in 1 2 3 4 5 6 7 8 9 10 11 12; do '%s' --child burn 1 60; done", self_exe);
	char *argv[] = {"/bin/sh", "-c", script, NULL};
	double kernel_cpu = run_sampled_cg(s, argv, cgroup);
	size_t n;
	const struct bl_sample *x = bl_sampler_samples(s, &n);
	check_sum(x, n, kernel_cpu);
	assert_true(kernel_cpu > 0.05); /* it did burn, even on a loaded machine */
	free(script);
	bl_sampler_free(s);
}

static void test_short_lived_children(void **state)
{
	short_children(false);
}

static void test_short_lived_children_cgroup(void **state)
{
	if (runs_get_cgroup())
		short_children(true);
}

/* 16 threads, one of which starts a busy worker for 2.5 s: the worker is
 * found (the /proc walk reads every thread's children at its rescans) and
 * its CPU adds up. */
static void threads_and_worker(bool cgroup)
{
	struct bl_sampler *s = new_sampler(20);
	char *argv[] = {self_exe, "--child", "threads", "16", "2500", NULL};
	double kernel_cpu = run_sampled_cg(s, argv, cgroup);
	size_t n;
	const struct bl_sample *x = bl_sampler_samples(s, &n);
	check_sum(x, n, kernel_cpu);
	const struct bl_sampler_summary *u = bl_sampler_summary(s);
	if (!(u->proc_count.max.valid && u->proc_count.max.value >= 2))
		fail_msg("the worker of a thread was never seen (at most %.0f processes)", u->proc_count.max.value);
	bl_sampler_free(s);
}

static void test_threads_and_worker(void **state)
{
	threads_and_worker(false);
}

static void test_threads_and_worker_cgroup(void **state)
{
	if (runs_get_cgroup())
		threads_and_worker(true);
}

static void test_short_run_has_two_samples(void **state)
{
	struct bl_sampler *s = new_sampler(1000);
	char *argv[] = {"/bin/true", NULL};
	int64_t t0 = bl_now_mono_ns();
	run_sampled(s, argv);
	/* stop wakes the thread instead of waiting out the 1 s interval */
	assert_true(bl_now_mono_ns() - t0 < 900000000);
	size_t n;
	const struct bl_sample *x = bl_sampler_samples(s, &n);
	assert_true(n >= 2);
	assert_true(x[0].t_ns <= x[n - 1].t_ns);
	assert_int_equal(bl_sampler_summary(s)->n_samples, n);
	bl_sampler_free(s);
}

static void test_warmup_flag_and_reuse(void **state)
{
	struct bl_sampler *s = new_sampler(10);
	char *argv[] = {"/bin/sleep", "0.1", NULL};
	bl_sampler_set_warmup(s, true);
	run_sampled(s, argv);
	size_t n;
	const struct bl_sample *x = bl_sampler_samples(s, &n);
	assert_true(n >= 5);
	for (size_t i = 0; i < n; i++)
		assert_true(x[i].warmup);
	assert_true(bl_sampler_summary(s)->warmup);
	/* a second run starts from an empty series */
	bl_sampler_set_warmup(s, false);
	run_sampled(s, argv);
	x = bl_sampler_samples(s, &n);
	assert_true(n >= 5 && n < 40);
	assert_false(x[0].warmup);
	assert_false(bl_sampler_summary(s)->warmup);
	bl_sampler_free(s);
}

/* A run pinned to some CPUs gets a sampler thread on the others; pinned to
 * all of them, the thread goes where it can. */
static void test_thread_keeps_off_the_runs_cpus(void **state)
{
	(void)state;
	cpu_set_t mine;
	assert_int_equal(sched_getaffinity(0, sizeof(mine), &mine), 0);
	int cpus[CPU_SETSIZE], n = 0;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &mine))
			cpus[n++] = c;
	if (n < 2)
		skip();
	struct bl_sampler *s = new_sampler(10);
	char *argv[] = {"/bin/sleep", "0.05", NULL};
	bl_sampler_avoid_cpus(s, cpus, 1); /* the run on the first CPU */
	run_sampled(s, argv);
	assert_false(bl_sampler_thread_may_use(s, cpus[0]));
	for (int i = 1; i < n; i++)
		assert_true(bl_sampler_thread_may_use(s, cpus[i]));
	bl_sampler_avoid_cpus(s, cpus, (size_t)n); /* on every CPU: nowhere else to go */
	run_sampled(s, argv);
	for (int i = 0; i < n; i++)
		assert_true(bl_sampler_thread_may_use(s, cpus[i]));
	bl_sampler_avoid_cpus(s, NULL, 0);
	run_sampled(s, argv);
	assert_true(bl_sampler_thread_may_use(s, cpus[0]));
	bl_sampler_free(s);
}

static void test_interval_zero_is_off(void **state)
{
	struct bl_sampler *s = new_sampler(0);
	char *argv[] = {"/bin/true", NULL};
	run_sampled(s, argv);
	size_t n;
	bl_sampler_samples(s, &n);
	assert_int_equal(n, 0);
	bl_sampler_free(s);
}

/* On a machine without NVML (CI): every GPU value and energy invalid, with a reason. */
static void test_no_gpu_values_are_invalid(void **state)
{
	struct bl_sampler *s = NULL;
	struct bl_error err = {{0}};
	struct bl_sampler_options opt = {.interval_ms = 20, .dev.nvml_library = "/nonexistent/libnvidia-ml.so.1"};
	assert_int_equal(bl_sampler_new(&s, &opt, &err), 0);
	assert_false(bl_devices_active(bl_sampler_devices(s), "nvml"));
	const char *why = bl_devices_reason(bl_sampler_devices(s), "nvml");
	assert_non_null(why);
	assert_true(strncmp(why, "NVML not found: ", 16) == 0);
	assert_non_null(strstr(why, "/nonexistent/libnvidia-ml.so.1"));
	char *argv[] = {"/bin/sleep", "0.1", NULL};
	run_sampled(s, argv);
	size_t n;
	const struct bl_sample *x = bl_sampler_samples(s, &n);
	assert_true(n >= 2);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(x[i].n_gpus, 0);
		assert_false(x[i].gpu[0].util_pct.valid);
		assert_false(x[i].gpu[0].mem_used_bytes.valid);
	}
	const struct bl_sampler_summary *u = bl_sampler_summary(s);
	assert_int_equal(u->n_gpus, 0);
	assert_int_equal(u->energy.n_gpus, 0);
	assert_false(u->gpu[0].util_pct.mean.valid);
	struct bl_buf j;
	bl_buf_init(&j);
	bl_devices_gpus_json(bl_sampler_devices(s), &j);
	assert_string_equal(j.data, "[]");
	bl_buf_release(&j);
	bl_sampler_free(s);
}

int main(int argc, char **argv)
{
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0)
		return 1;
	self_exe[n] = '\0';
	if (argc >= 2 && strcmp(argv[1], "--child") == 0)
		return child_main(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_busy_cores_then_idle),
		cmocka_unit_test(test_rss_rises),
		cmocka_unit_test(test_shell_with_two_workers),
		cmocka_unit_test(test_short_lived_children),
		cmocka_unit_test(test_short_lived_children_cgroup),
		cmocka_unit_test(test_threads_and_worker),
		cmocka_unit_test(test_threads_and_worker_cgroup),
		cmocka_unit_test(test_short_run_has_two_samples),
		cmocka_unit_test(test_warmup_flag_and_reuse),
		cmocka_unit_test(test_thread_keeps_off_the_runs_cpus),
		cmocka_unit_test(test_interval_zero_is_off),
		cmocka_unit_test(test_no_gpu_values_are_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
