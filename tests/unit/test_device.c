/*
 * test_device.c - the backends without the thread: the registry, procfs
 * values of this very process and of the system, the process tree's CPU
 * accounting and the cgroup way through a fake /proc and a fake cgroup
 * directory, RAPL through a fake powercap tree (present, absent, wrapping),
 * the energy arithmetic, and NVML being absent or failing as a normal state.
 */
#include "benchline/device.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static char tmpdir[4096];

static void put(const char *rel, const char *text)
{
	char *path = bl_xasprintf("%s/%s", tmpdir, rel);
	FILE *f = fopen(path, "w"); /* truncate in place: the backend keeps the fd */
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static int setup(void **state)
{
	const char *base = getenv("BENCHLINE_TEST_TMP");
	struct bl_error err;
	snprintf(tmpdir, sizeof(tmpdir), "%s/device-%d", base ? base : "/tmp/benchline-test", (int)getpid());
	bl_remove_tree(tmpdir, &err);
	if (bl_mkdirs(tmpdir, 0755, &err) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct bl_error err;
	bl_remove_tree(tmpdir, &err);
	return 0;
}

static void test_registry(void **state)
{
	size_t n;
	const struct bl_device_ops *const *ops = bl_device_backends(&n);
	assert_int_equal(n, 2);
	/* procfs before nvml: nvml filters its process list by procfs's pids */
	assert_string_equal(ops[0]->name, "procfs");
	assert_string_equal(ops[1]->name, "nvml");
	for (size_t i = 0; i < n; i++)
		assert_true(ops[i]->open && ops[i]->begin && ops[i]->sample && ops[i]->end && ops[i]->energy &&
			    ops[i]->describe && ops[i]->close);
}

static void test_procfs_self_and_system(void **state)
{
	struct bl_devices d;
	struct bl_device_options opt = {.no_nvml = true};
	bl_devices_open(&d, &opt);
	assert_true(bl_devices_active(&d, "procfs"));
	assert_string_equal(bl_devices_reason(&d, "procfs"), "");
	assert_string_equal(bl_devices_reason(&d, "nvml"), "NVML disabled");
	assert_null(bl_devices_reason(&d, "nope"));
	struct bl_device_target t = {.root = getpid()};
	struct bl_sample s = {0};
	struct timespec c0, c1;
	int64_t w0 = bl_now_mono_ns();
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	bl_devices_begin(&d, &t);
	bl_devices_sample(&d, &t, &s);
	/* first sample: no interval yet, so no CPU % (invalid, not 0) */
	assert_false(s.proc_cpu_pct.valid);
	assert_false(s.sys_cpu_pct.valid);
	assert_true(s.proc_rss_bytes.valid && s.proc_rss_bytes.value > 1e6);
	assert_true(s.sys_mem_used_bytes.valid && s.sys_mem_used_bytes.value > 1e6);
	assert_int_equal(t.n_pids, 1);
	assert_int_equal(t.pids[0], getpid());
	/* burn ~100 ms of this thread so the next sample sees CPU */
	int64_t until = bl_now_mono_ns() + 100000000;
	volatile unsigned long x = 0;
	while (bl_now_mono_ns() < until)
		x++;
	bl_devices_sample(&d, &t, &s);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	int64_t w1 = bl_now_mono_ns();
	assert_true(s.proc_cpu_pct.valid);
	/* What the kernel says this process used over the window: on a loaded
	 * machine a busy thread may get half a core, and the sample must agree
	 * with that, within the 10 ms tick quantisation of /proc. */
	double cpu_s = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
	double expected = cpu_s / ((double)(w1 - w0) / 1e9) * 100;
	if (!(s.proc_cpu_pct.value > 0 && fabs(s.proc_cpu_pct.value - expected) <= 35 + 0.25 * expected))
		fail_msg("a busy thread read as %.0f%% CPU, the kernel says %.0f%%", s.proc_cpu_pct.value, expected);
	assert_true(s.sys_cpu_pct.valid && s.sys_cpu_pct.value > 20);
	assert_int_equal(s.n_gpus, 0);
	free(t.pids);
	bl_devices_close(&d);
}

static void test_procfs_missing_pid_is_invalid(void **state)
{
	struct bl_devices d;
	struct bl_device_options opt = {.no_nvml = true};
	bl_devices_open(&d, &opt);
	/* above any pid_max */
	struct bl_device_target t = {.root = 99999999};
	struct bl_sample s = {0};
	bl_devices_begin(&d, &t);
	bl_devices_sample(&d, &t, &s);
	usleep(50000); /* /proc/stat moves in 10 ms ticks */
	bl_devices_sample(&d, &t, &s);
	assert_false(s.proc_cpu_pct.valid);
	assert_false(s.proc_rss_bytes.valid);
	assert_false(s.proc_count.valid);
	assert_int_equal(t.n_pids, 0);
	assert_true(s.sys_cpu_pct.valid); /* the system is still there */
	free(t.pids);
	bl_devices_close(&d);
}

/* ---- a fake /proc and a fake cgroup ---- */

static void put_stat(int pid, int ppid, int utime, int cutime, int threads, int rss_pages)
{
	char rel[64], text[256];
	snprintf(rel, sizeof(rel), "proc/%d/stat", pid);
	snprintf(text, sizeof(text), "%d (fake (proc)) S %d 0 0 0 0 0 0 0 0 0 %d 0 %d 0 20 0 %d 0 0 0 %d\n", pid, ppid,
		 utime, cutime, threads, rss_pages);
	put(rel, text);
}

static void make_fake_proc(void)
{
	struct bl_error err;
	char *dir = bl_xasprintf("%s/proc/100/task/100", tmpdir);
	assert_int_equal(bl_mkdirs(dir, 0755, &err), 0);
	free(dir);
	for (int pid = 101; pid <= 102; pid++) {
		dir = bl_xasprintf("%s/proc/%d", tmpdir, pid);
		assert_int_equal(bl_mkdirs(dir, 0755, &err), 0);
		free(dir);
	}
	put("proc/stat", "cpu  100 0 100 1000 0 0 0 0 0 0\n");
	put("proc/meminfo", "MemTotal:  1000 kB\nMemFree:  100 kB\nMemAvailable:  400 kB\n");
	put("proc/loadavg", "0.00 0.00 0.00 1/100 500\n");
}

/* Samples, and tells the bounds of the interval since the previous sample. */
struct clocked {
	int64_t before, after, prev_before, prev_after;
};

static void sample_clocked(struct bl_devices *d, struct bl_device_target *t, struct bl_sample *s, struct clocked *c)
{
	usleep(20000);
	c->prev_before = c->before;
	c->prev_after = c->after;
	c->before = bl_now_mono_ns();
	bl_devices_sample(d, t, s);
	c->after = bl_now_mono_ns();
}

/* The sample's CPU % must be cpu_s over the interval, whose length lies between the bounds. */
static void expect_cpu(const struct bl_sample *s, const struct clocked *c, double cpu_s)
{
	assert_true(s->proc_cpu_pct.valid);
	double lo = cpu_s / ((double)(c->after - c->prev_before) / 1e9) * 100;
	double hi = cpu_s / ((double)(c->before - c->prev_after) / 1e9) * 100;
	if (!(s->proc_cpu_pct.value >= lo * 0.999 && s->proc_cpu_pct.value <= hi * 1.001))
		fail_msg("%.3f CPU s read as %.2f%%, want %.2f..%.2f%%", cpu_s, s->proc_cpu_pct.value, lo, hi);
}

/*
 * The walk's accounting: what a child burnt counts once, whether it is seen
 * alive (its own stat), ends (its parent's cutime, less what was seen of it)
 * or is born and reaped between samples (the cutime alone); a child born
 * after the first sample counts from its start.
 */
static void test_procfs_tree_accounting(void **state)
{
	make_fake_proc();
	double hz = (double)sysconf(_SC_CLK_TCK);
	long page = sysconf(_SC_PAGESIZE);
	put_stat(100, 1, 10, 0, 1, 50);
	put("proc/100/task/100/children", "101 ");
	put_stat(101, 100, 5, 0, 1, 20);
	char *root = bl_xasprintf("%s/proc", tmpdir);
	struct bl_devices d;
	struct bl_device_options opt = {.no_nvml = true, .proc_root = root, .rapl_root = "/nonexistent"};
	bl_devices_open(&d, &opt);
	struct bl_device_target t = {.root = 100};
	struct bl_sample s = {0};
	struct clocked c = {0};
	bl_devices_begin(&d, &t);
	assert_false(t.cgroup_used);
	sample_clocked(&d, &t, &s, &c);
	assert_false(s.proc_cpu_pct.valid); /* no interval yet */
	assert_true(s.proc_count.valid && s.proc_count.value == 2);
	assert_float_equal(s.proc_rss_bytes.value, 70.0 * (double)page, 0.5);
	assert_int_equal(t.n_pids, 2);
	/* both alive: their own CPU */
	put_stat(100, 1, 12, 0, 1, 50);
	put_stat(101, 100, 25, 0, 1, 20);
	sample_clocked(&d, &t, &s, &c);
	expect_cpu(&s, &c, 22 / hz);
	/* the child ended at 30 ticks and its parent waited for it: 5 more */
	put("proc/101/stat", "gone");
	put("proc/100/task/100/children", "");
	put_stat(100, 1, 12, 30, 1, 50);
	sample_clocked(&d, &t, &s, &c);
	expect_cpu(&s, &c, 5 / hz);
	assert_true(s.proc_count.value == 1);
	assert_int_equal(t.n_pids, 1);
	/* a child born and reaped between two samples: its 8 ticks */
	put_stat(100, 1, 12, 38, 1, 50);
	sample_clocked(&d, &t, &s, &c);
	expect_cpu(&s, &c, 8 / hz);
	/* a child born since: all its 7 ticks, in the sample that finds it
	 * (the next rescan, which the scan budget may put a few samples off) */
	put("proc/loadavg", "0.00 0.00 0.00 1/100 501\n");
	put("proc/100/task/100/children", "102 ");
	put_stat(102, 100, 7, 0, 1, 30);
	for (int i = 0;; i++) {
		sample_clocked(&d, &t, &s, &c);
		if (s.proc_count.value == 2)
			break;
		expect_cpu(&s, &c, 0);
		assert_true(i < 100);
	}
	expect_cpu(&s, &c, 7 / hz);
	assert_true(s.proc_count.value == 2);
	assert_float_equal(s.proc_rss_bytes.value, 80.0 * (double)page, 0.5);
	/* nothing moved: 0 %, not invalid */
	sample_clocked(&d, &t, &s, &c);
	expect_cpu(&s, &c, 0);
	bl_devices_end(&d, &t);
	free(t.pids);
	bl_devices_close(&d);
	free(root);
}

/*
 * With the run's cgroup: processes from cgroup.procs (their memory from
 * statm), CPU from cpu.stat in microseconds, valid even with nobody left.
 * A cgroup directory without cpu.stat falls back to the walk.
 */
static void test_procfs_cgroup(void **state)
{
	make_fake_proc();
	long page = sysconf(_SC_PAGESIZE);
	struct bl_error err;
	char *cg = bl_xasprintf("%s/cg", tmpdir);
	assert_int_equal(bl_mkdirs(cg, 0755, &err), 0);
	put("cg/cgroup.procs", "100\n101\n");
	put("cg/cpu.stat", "usage_usec 1000000\nuser_usec 600000\nsystem_usec 400000\n");
	put("proc/100/statm", "1000 50 10 1 0 40 0\n");
	put("proc/101/statm", "1000 20 10 1 0 40 0\n");
	put_stat(100, 1, 10, 0, 1, 50);
	put("proc/100/task/100/children", "");
	char *root = bl_xasprintf("%s/proc", tmpdir);
	struct bl_devices d;
	struct bl_device_options opt = {.no_nvml = true, .proc_root = root, .rapl_root = "/nonexistent"};
	bl_devices_open(&d, &opt);
	int cg_fd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(cg_fd > 0);
	struct bl_device_target t = {.root = 100, .cgroup_fd = cg_fd};
	struct bl_sample s = {0};
	struct clocked c = {0};
	bl_devices_begin(&d, &t);
	assert_true(t.cgroup_used);
	sample_clocked(&d, &t, &s, &c);
	assert_false(s.proc_cpu_pct.valid);
	assert_true(s.proc_count.valid && s.proc_count.value == 2);
	assert_float_equal(s.proc_rss_bytes.value, 70.0 * (double)page, 0.5);
	assert_int_equal(t.n_pids, 2);
	/* one ended */
	put("cg/cpu.stat", "usage_usec 1030000\nuser_usec 600000\nsystem_usec 430000\n");
	put("cg/cgroup.procs", "101\n");
	put("proc/100/statm", "gone");
	sample_clocked(&d, &t, &s, &c);
	expect_cpu(&s, &c, 0.030);
	assert_true(s.proc_count.value == 1);
	assert_int_equal(t.n_pids, 1);
	assert_int_equal(t.pids[0], 101);
	/* one born (a new pid handed out), found at the next rescan of
	 * cgroup.procs, and one listed that cannot be read */
	put("proc/102/statm", "1000 30 10 1 0 40 0\n");
	put("cg/cgroup.procs", "101\n102\n99999999\n");
	put("proc/loadavg", "0.00 0.00 0.00 1/100 502\n");
	for (int i = 0;; i++) {
		sample_clocked(&d, &t, &s, &c);
		expect_cpu(&s, &c, 0);
		if (s.proc_count.value == 2)
			break;
		assert_true(i < 100);
	}
	assert_float_equal(s.proc_rss_bytes.value, 50.0 * (double)page, 0.5);
	/* nobody left (the stop sample): no count or memory, but the CPU */
	put("cg/cpu.stat", "usage_usec 1035000\n");
	put("cg/cgroup.procs", "");
	put("proc/101/statm", "gone");
	put("proc/102/statm", "gone");
	sample_clocked(&d, &t, &s, &c);
	expect_cpu(&s, &c, 0.005);
	assert_false(s.proc_count.valid);
	assert_false(s.proc_rss_bytes.valid);
	bl_devices_end(&d, &t);
	/* without cpu.stat the cgroup is not used: the walk from the root */
	char *cpu = bl_xasprintf("%s/cpu.stat", cg);
	assert_int_equal(unlink(cpu), 0);
	bl_devices_begin(&d, &t);
	assert_false(t.cgroup_used);
	sample_clocked(&d, &t, &s, &c);
	assert_true(s.proc_count.valid && s.proc_count.value == 1);
	assert_int_equal(t.pids[0], 100);
	bl_devices_end(&d, &t);
	close(cg_fd);
	free(t.pids);
	bl_devices_close(&d);
	free(cpu);
	free(root);
	free(cg);
}

static void test_rapl_absent_is_invalid(void **state)
{
	struct bl_devices d;
	struct bl_device_options opt = {.no_nvml = true, .rapl_root = "/nonexistent/powercap"};
	bl_devices_open(&d, &opt);
	struct bl_energy a, b;
	struct bl_energy_used u;
	bl_devices_energy(&d, &a);
	bl_devices_energy(&d, &b);
	bl_energy_delta(&a, &b, &u);
	assert_false(a.rapl_valid);
	assert_false(u.cpu_j.valid);
	assert_int_equal(u.n_gpus, 0);
	bl_devices_close(&d);
}

static void test_rapl_fake_tree_and_wraparound(void **state)
{
	char *dir = bl_xasprintf("%s/intel-rapl:0", tmpdir);
	char *sub = bl_xasprintf("%s/intel-rapl:0:0", tmpdir); /* a subzone: must not be counted twice */
	struct bl_error err;
	assert_int_equal(bl_mkdirs(dir, 0755, &err), 0);
	assert_int_equal(bl_mkdirs(sub, 0755, &err), 0);
	put("intel-rapl:0/max_energy_range_uj", "1000000\n");
	put("intel-rapl:0/energy_uj", "999000\n");
	put("intel-rapl:0:0/max_energy_range_uj", "1000000\n");
	put("intel-rapl:0:0/energy_uj", "5\n");
	struct bl_devices d;
	struct bl_device_options opt = {.no_nvml = true, .rapl_root = tmpdir};
	bl_devices_open(&d, &opt);
	struct bl_energy a, b;
	struct bl_energy_used u;
	bl_devices_energy(&d, &a);
	assert_true(a.rapl_valid);
	assert_int_equal(a.n_rapl, 1);
	/* the counter wrapped: 999000 -> 1000000 -> 0 -> 3000 is 4000 uJ */
	put("intel-rapl:0/energy_uj", "3000\n");
	bl_devices_energy(&d, &b);
	bl_energy_delta(&a, &b, &u);
	assert_true(u.cpu_j.valid);
	assert_float_equal(u.cpu_j.value, 0.004, 1e-9);
	/* no wrap: plain difference */
	put("intel-rapl:0/energy_uj", "2003000\n");
	bl_devices_energy(&d, &a);
	bl_energy_delta(&b, &a, &u);
	assert_float_equal(u.cpu_j.value, 2.0, 1e-9);
	/* a counter unreadable at the end: invalid, never 0 */
	put("intel-rapl:0/energy_uj", "garbage\n");
	bl_devices_energy(&d, &a);
	bl_energy_delta(&b, &a, &u);
	assert_false(u.cpu_j.valid);
	bl_devices_close(&d);
	free(dir);
	free(sub);
}

static void test_gpu_energy_delta(void **state)
{
	struct bl_energy a = {.n_gpus = 2, .gpu_mj = {1000, 5}, .gpu_valid = {true, false}};
	struct bl_energy b = {.n_gpus = 2, .gpu_mj = {4500, 9}, .gpu_valid = {true, true}};
	struct bl_energy_used u;
	bl_energy_delta(&a, &b, &u);
	assert_int_equal(u.n_gpus, 2);
	assert_true(u.gpu_j[0].valid);
	assert_float_equal(u.gpu_j[0].value, 3.5, 1e-9);
	assert_false(u.gpu_j[1].valid); /* valid at one end only */
}

/* No libnvidia-ml here, or one that is not NVML at all: inactive with a reason. */
static void test_nvml_absent_or_broken(void **state)
{
	struct bl_devices d;
	struct bl_device_options opt = {.nvml_library = "/nonexistent/libnvidia-ml.so.1"};
	bl_devices_open(&d, &opt);
	assert_false(bl_devices_active(&d, "nvml"));
	const char *why = bl_devices_reason(&d, "nvml");
	assert_true(strncmp(why, "NVML not found: ", 16) == 0);
	assert_null(strchr(why, '\n'));
	bl_devices_close(&d);
	/* libc is a real library without nvmlInit */
	opt.nvml_library = "libc.so.6";
	bl_devices_open(&d, &opt);
	assert_false(bl_devices_active(&d, "nvml"));
	assert_non_null(strstr(bl_devices_reason(&d, "nvml"), "lacks nvmlInit"));
	bl_devices_close(&d);
	/* the default search: either a working NVML or a reason, never silence */
	bl_devices_open(&d, NULL);
	if (!bl_devices_active(&d, "nvml"))
		assert_true(strncmp(bl_devices_reason(&d, "nvml"), "NVML", 4) == 0);
	bl_devices_close(&d);
	char *json = bl_device_gpus_json();
	assert_true(json[0] == '[' && json[strlen(json) - 1] == ']');
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_procfs_self_and_system),
		cmocka_unit_test(test_procfs_missing_pid_is_invalid),
		cmocka_unit_test(test_procfs_tree_accounting),
		cmocka_unit_test(test_procfs_cgroup),
		cmocka_unit_test(test_rapl_absent_is_invalid),
		cmocka_unit_test(test_rapl_fake_tree_and_wraparound),
		cmocka_unit_test(test_gpu_energy_delta),
		cmocka_unit_test(test_nvml_absent_or_broken),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
