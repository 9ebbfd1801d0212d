/*
 * test_runner.c - bl_run against real processes: /bin/sh scripts, dd for a
 * known peak memory, and this test binary itself run as "--child busy-cpu S"
 * to burn an exact amount of CPU time.
 */
#include "benchline/runner.h"
#include "runner_internal.h" /* bl_rn_parse_pids */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

void bl_runner_test_force_no_pidfd(bool on); /* test hook in runner.c */

static char self_exe[PATH_MAX];
static char tmpdir[PATH_MAX];

/* ---- helpers ---- */

static char *tpath(const char *name)
{
	return bl_xasprintf("%s/%s", tmpdir, name);
}

static void slurp(const char *path, struct bl_buf *b)
{
	struct bl_error err;
	bl_buf_reset(b);
	if (bl_read_file(path, b, &err) != 0)
		fail_msg("%s", err.msg);
}

static void spit(const char *path, const char *text)
{
	struct bl_error err;
	if (bl_write_file_atomic(path, text, strlen(text), &err) != 0)
		fail_msg("%s", err.msg);
}

static pid_t read_pid(const char *path)
{
	struct bl_buf b;
	bl_buf_init(&b);
	slurp(path, &b);
	int64_t v = 0;
	bl_buf_rtrim(&b);
	assert_int_equal(bl_parse_int64(b.data, &v), 0);
	bl_buf_release(&b);
	return (pid_t)v;
}

/* True when no process (not even a zombie) has this pid any more. */
static bool gone(pid_t pid)
{
	return kill(pid, 0) != 0 && errno == ESRCH;
}

static void run_ok(struct bl_run_spec *spec, struct bl_run_result *res)
{
	struct bl_error err = {{0}};
	if (bl_run(spec, res, &err) != 0)
		fail_msg("bl_run: %s", err.msg);
}

/* Runs /bin/sh -c script with the given spec fields (argv is filled in). */
static void run_sh(const char *script, struct bl_run_spec *spec, struct bl_run_result *res)
{
	char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
	spec->argv = argv;
	run_ok(spec, res);
	spec->argv = NULL;
}

static double elapsed_since(int64_t t0)
{
	return (double)(bl_now_mono_ns() - t0) / 1e9;
}

/* ---- child modes of this binary ---- */

static int child_main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[2], "busy-cpu") == 0) {
		double want = atof(argv[3]);
		struct timespec ts;
		volatile unsigned long x = 0;
		do {
			for (int i = 0; i < 100000; i++)
				x += (unsigned long)i;
			/* This thread's time: a sanitizer's own threads come on top. */
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
		} while ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9 < want);
		return 0;
	}
	return 3;
}

/* ---- exit, signal, spawn failure ---- */

static void test_exit_ok(void **state)
{
	struct bl_run_spec spec = {0};
	struct bl_run_result res;
	run_sh("exit 0", &spec, &res);
	assert_int_equal(res.status, BL_RUN_OK);
	assert_int_equal(res.exit_code, 0);
	assert_int_equal(res.term_signal, 0);
	assert_true(res.wall_s > 0 && res.wall_s < 5);
	assert_true(res.start_unix_ns > 1600000000LL * 1000000000LL);
}

static void test_exit_failed(void **state)
{
	struct bl_run_spec spec = {0};
	struct bl_run_result res;
	run_sh("exit 3", &spec, &res);
	assert_int_equal(res.status, BL_RUN_FAILED);
	assert_int_equal(res.exit_code, 3);
	assert_int_equal(res.term_signal, 0);
}

static void test_crash(void **state)
{
	struct bl_run_spec spec = {0};
	struct bl_run_result res;
	run_sh("kill -SEGV $$", &spec, &res);
	assert_int_equal(res.status, BL_RUN_CRASHED);
	assert_int_equal(res.term_signal, SIGSEGV);
	assert_int_equal(res.exit_code, -1);
}

static void test_wall_time(void **state)
{
	struct bl_run_spec spec = {0};
	struct bl_run_result res;
	run_sh("sleep 0.2", &spec, &res);
	assert_int_equal(res.status, BL_RUN_OK);
	assert_true(res.wall_s >= 0.2);
	assert_true(res.wall_s < 1.0);
}

static void test_spawn_missing_program(void **state)
{
	char *argv[] = {"./does-not-exist", NULL};
	struct bl_run_spec spec = {.argv = argv};
	struct bl_run_result res;
	run_ok(&spec, &res);
	assert_int_equal(res.status, BL_RUN_SPAWN_FAILED);
	assert_string_equal(res.spawn_error, "cannot run './does-not-exist': No such file or directory");
	assert_string_equal(bl_run_status_name(res.status), "spawn_failed");

	char *argv2[] = {"no-such-benchline-program", NULL};
	spec.argv = argv2;
	run_ok(&spec, &res);
	assert_int_equal(res.status, BL_RUN_SPAWN_FAILED);
	assert_string_equal(res.spawn_error, "cannot run 'no-such-benchline-program': No such file or directory");
}

static void test_spawn_bad_cwd(void **state)
{
	char *argv[] = {"/bin/true", NULL};
	char *nope = tpath("no-such-dir");
	struct bl_run_spec spec = {.argv = argv, .cwd = nope};
	struct bl_run_result res;
	run_ok(&spec, &res);
	assert_int_equal(res.status, BL_RUN_SPAWN_FAILED);
	char *want = bl_xasprintf("cannot change to directory '%s': No such file or directory", nope);
	assert_string_equal(res.spawn_error, want);
	free(want);

	/* The directory exists, the program in it does not. */
	char *argv2[] = {"./bench", NULL};
	spec.argv = argv2;
	spec.cwd = tmpdir;
	run_ok(&spec, &res);
	assert_int_equal(res.status, BL_RUN_SPAWN_FAILED);
	want = bl_xasprintf("cannot run './bench' in '%s': No such file or directory", tmpdir);
	assert_string_equal(res.spawn_error, want);
	free(want);
	free(nope);
}

static void test_spawn_not_executable(void **state)
{
	char *path = tpath("not-exec");
	spit(path, "#!/bin/sh\nexit 0\n");
	chmod(path, 0644);
	char *argv[] = {path, NULL};
	struct bl_run_spec spec = {.argv = argv};
	struct bl_run_result res;
	run_ok(&spec, &res);
	assert_int_equal(res.status, BL_RUN_SPAWN_FAILED);
	assert_non_null(strstr(res.spawn_error, "Permission denied"));
	free(path);
}

static void test_log_file_error(void **state)
{
	char *argv[] = {"/bin/true", NULL};
	char *bad = tpath("no-such-dir/out.log");
	struct bl_run_spec spec = {.argv = argv, .stdout_path = bad};
	struct bl_run_result res;
	struct bl_error err = {{0}};
	assert_int_equal(bl_run(&spec, &res, &err), -1);
	assert_non_null(strstr(err.msg, "cannot create log file"));
	assert_non_null(strstr(err.msg, bad));
	assert_int_equal(res.status, BL_RUN_SPAWN_FAILED);
	free(bad);
}

/* ---- timeouts, interrupts, leftovers ---- */

static void test_timeout_kills_group(void **state)
{
	char *pidfile = tpath("timeout.pid");
	char *script = bl_xasprintf("sleep 1000 & echo $! > %s; sleep 1000", pidfile);
	struct bl_run_spec spec = {.timeout_s = 0.3};
	struct bl_run_result res;
	run_sh(script, &spec, &res);
	assert_int_equal(res.status, BL_RUN_TIMEOUT);
	assert_int_equal(res.term_signal, SIGTERM);
	assert_true(res.wall_s >= 0.3 && res.wall_s < 1.5);
	pid_t grandchild = read_pid(pidfile);
	assert_true(gone(grandchild));
	assert_string_equal(bl_run_status_name(res.status), "timeout");
	free(script);
	free(pidfile);
}

static void test_term_ignored_gets_killed(void **state)
{
	struct bl_run_spec spec = {.timeout_s = 0.2, .grace_s = 0.3};
	struct bl_run_result res;
	run_sh("trap '' TERM; while :; do sleep 0.05; done", &spec, &res);
	assert_int_equal(res.status, BL_RUN_TIMEOUT);
	assert_int_equal(res.term_signal, SIGKILL);
	assert_true(res.wall_s >= 0.5);
	assert_true(res.wall_s < 2.0);
}

static void test_leftover_background_killed(void **state)
{
	char *pidfile = tpath("leftover.pid");
	char *log = tpath("leftover.log");
	/* The background sleep also holds the stdout pipe: the run must neither
	 * leave it running nor wait for it to close the pipe. */
	char *script = bl_xasprintf("sleep 1000 & echo $! > %s; echo started", pidfile);
	struct bl_run_spec spec = {.stdout_path = log};
	struct bl_run_result res;
	int64_t t0 = bl_now_mono_ns();
	run_sh(script, &spec, &res);
	assert_true(elapsed_since(t0) < 0.9);
	assert_int_equal(res.status, BL_RUN_OK);
	pid_t bg = read_pid(pidfile);
	assert_true(gone(bg));
	struct bl_buf b;
	bl_buf_init(&b);
	slurp(log, &b);
	assert_string_equal(b.data, "started\n");
	bl_buf_release(&b);
	free(script);
	free(log);
	free(pidfile);
}

static void test_daemon_that_left_the_group_killed(void **state)
{
	struct bl_runner_caps caps;
	bl_runner_caps(&caps);
	if (!caps.cgroup_kill)
		skip(); /* only a cgroup can find a process that called setsid() */
	char *pidfile = tpath("daemon.pid");
	/* The sleep 0.1 keeps this about killing, not about the microseconds
	 * before the child joins its cgroup (see runner.c). */
	char *script = bl_xasprintf("sleep 0.1; setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo $! > %s", pidfile);
	struct bl_run_spec spec = {0};
	struct bl_run_result res;
	run_sh(script, &spec, &res);
	assert_int_equal(res.status, BL_RUN_OK);
	pid_t daemon = read_pid(pidfile);
	bool was_gone = gone(daemon);
	if (!was_gone)
		kill(daemon, SIGKILL); /* no stray process, even when failing */
	assert_true(was_gone);
	free(script);
	free(pidfile);
}

/* Without a cgroup, a daemon that called setsid() at once is in neither the
 * process group nor a cgroup: it is found among our children (we are the
 * subreaper) in a session of its own, and killed. A child of ours in our own
 * session that is not the run's stays. */
static void test_daemon_escaped_without_cgroup(void **state)
{
	pid_t bystander = fork();
	assert_true(bystander >= 0);
	if (bystander == 0) {
		execl("/bin/sleep", "sleep", "1000", (char *)NULL);
		_exit(127);
	}
	char *pidfile = tpath("escaped.pid");
	/* The sleep 0.1 lets the daemon call setsid() before the group is killed. */
	char *script = bl_xasprintf("setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo $! > %s; sleep 0.1", pidfile);
	struct bl_run_spec spec = {.no_cgroup = true};
	struct bl_run_result res;
	run_sh(script, &spec, &res);
	assert_int_equal(res.status, BL_RUN_OK);
	pid_t daemon = read_pid(pidfile);
	bool was_gone = gone(daemon), bystander_alive = !gone(bystander);
	if (!was_gone)
		kill(daemon, SIGKILL); /* no stray process, even when failing */
	kill(bystander, SIGKILL);
	waitpid(bystander, NULL, 0);
	assert_true(was_gone);
	assert_true(bystander_alive);
	free(script);
	free(pidfile);
}

static void test_timeout_warns_daemon_first(void **state)
{
	struct bl_runner_caps caps;
	bl_runner_caps(&caps);
	if (!caps.cgroup)
		skip();
	/* On timeout, a process that left the group still gets SIGTERM before
	 * the SIGKILL, so it can clean up like the rest of the run. */
	char *flag = tpath("daemon.term");
	char *pidfile = tpath("daemon2.pid");
	char *script = bl_xasprintf("sleep 0.1; setsid sh -c 'trap \"echo term > %s; exit 0\" TERM; "
				    "while :; do sleep 0.05; done' </dev/null >/dev/null 2>&1 & "
				    "echo $! > %s; sleep 1000",
				    flag, pidfile);
	struct bl_run_spec spec = {.timeout_s = 0.4, .grace_s = 1.0};
	struct bl_run_result res;
	run_sh(script, &spec, &res);
	assert_int_equal(res.status, BL_RUN_TIMEOUT);
	pid_t daemon = read_pid(pidfile);
	bool was_gone = gone(daemon);
	if (!was_gone)
		kill(daemon, SIGKILL);
	assert_true(was_gone);
	free(pidfile);
	struct bl_buf b;
	bl_buf_init(&b);
	slurp(flag, &b);
	assert_string_equal(b.data, "term\n");
	bl_buf_release(&b);
	free(script);
	free(flag);
}

static void test_zombie_from_other_session_reaped(void **state)
{
	/* A child that calls setsid() and exits while its parent lives on
	 * without waiting (exec) becomes our zombie when the parent exits: in
	 * neither the group nor the cgroup. It must still be reaped. */
	char *pidfile = tpath("zombie.pid");
	char *script = bl_xasprintf("setsid sh -c 'exit 0' & echo $! > %s; exec sleep 0.3", pidfile);
	for (int no_cgroup = 0; no_cgroup < 2; no_cgroup++) {
		struct bl_run_spec spec = {.no_cgroup = no_cgroup};
		struct bl_run_result res;
		run_sh(script, &spec, &res);
		assert_int_equal(res.status, BL_RUN_OK);
		assert_true(gone(read_pid(pidfile)));
	}
	free(script);
	free(pidfile);
}

static void test_leftovers_without_cgroup(void **state)
{
	/* The process group alone must do for a background child. */
	char *pidfile = tpath("nocg.pid");
	char *script = bl_xasprintf("sleep 1000 & echo $! > %s", pidfile);
	struct bl_run_spec spec = {.no_cgroup = true};
	struct bl_run_result res;
	run_sh(script, &spec, &res);
	assert_int_equal(res.status, BL_RUN_OK);
	assert_true(gone(read_pid(pidfile)));
	free(script);

	script = bl_xasprintf("sleep 1000 & echo $! > %s; sleep 1000", pidfile);
	spec.timeout_s = 0.2;
	run_sh(script, &spec, &res);
	assert_int_equal(res.status, BL_RUN_TIMEOUT);
	assert_true(gone(read_pid(pidfile)));
	free(script);
	free(pidfile);
}

struct concurrent_run {
	char *pidfile;
	struct bl_run_result res;
};

static void *run_in_thread(void *arg)
{
	struct concurrent_run *c = arg;
	char *script = bl_xasprintf("sleep 1000 & echo $! > %s; sleep 0.3", c->pidfile);
	char *argv[] = {"/bin/sh", "-c", script, NULL};
	struct bl_run_spec spec = {.argv = argv};
	struct bl_error err;
	if (bl_run(&spec, &c->res, &err) != 0)
		c->res.status = BL_RUN_SPAWN_FAILED;
	free(script);
	return NULL;
}

static void test_concurrent_runs(void **state)
{
	/* Two runs at once: each kills its own leftovers and none of the
	 * other's, and whatever cgroups they made are gone afterwards. */
	struct concurrent_run c[2] = {{.pidfile = tpath("conc0.pid")}, {.pidfile = tpath("conc1.pid")}};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, run_in_thread, &c[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(c[i].res.status, BL_RUN_OK);
		assert_true(c[i].res.wall_s >= 0.3);
		assert_true(gone(read_pid(c[i].pidfile)));
		free(c[i].pidfile);
	}
	struct bl_runner_caps caps;
	bl_runner_caps(&caps);
	if (caps.cgroup) {
		char *mine = bl_xasprintf("%s/benchline-%ld-", caps.cgroup_parent, (long)getpid());
		for (unsigned i = 0; i < 64; i++) {
			char *p = bl_xasprintf("%s%u", mine, i);
			struct stat st;
			if (stat(p, &st) == 0)
				fail_msg("run cgroup '%s' was left behind", p);
			free(p);
		}
		free(mine);
	}
}

struct flag_setter {
	volatile int *flag;
	double after_s;
};

static void *set_flag_later(void *arg)
{
	struct flag_setter *fs = arg;
	struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(fs->after_s * 1e9)};
	nanosleep(&ts, NULL);
	__atomic_store_n(fs->flag, 1, __ATOMIC_RELAXED);
	return NULL;
}

struct hook_log {
	int starts, exits;
	pid_t pid;
	int cgroup_fd;
	bool cgroup_is_dir;
	bool exit_after_start;
};

static void on_start(void *ctx, pid_t pid, int cgroup_fd)
{
	struct hook_log *h = ctx;
	h->starts++;
	h->pid = pid;
	h->cgroup_fd = cgroup_fd;
	struct stat st;
	h->cgroup_is_dir = cgroup_fd >= 0 && fstat(cgroup_fd, &st) == 0 && S_ISDIR(st.st_mode);
}

static void on_exit_hook(void *ctx)
{
	struct hook_log *h = ctx;
	h->exits++;
	h->exit_after_start = h->starts == 1;
}

static void test_interrupt(void **state)
{
	volatile int flag = 0;
	struct flag_setter fs = {.flag = &flag, .after_s = 0.15};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, set_flag_later, &fs), 0);
	struct hook_log h = {0};
	struct bl_run_spec spec = {.interrupt = &flag, .on_start = on_start, .on_exit = on_exit_hook, .ctx = &h};
	struct bl_run_result res;
	run_sh("sleep 1000", &spec, &res);
	pthread_join(t, NULL);
	assert_int_equal(res.status, BL_RUN_INTERRUPTED);
	assert_true(res.wall_s >= 0.15);
	assert_true(res.wall_s < 0.15 + 0.05 + 0.5); /* polled every 50 ms; sleep dies on TERM */
	assert_int_equal(h.starts, 1);
	assert_int_equal(h.exits, 1);
	assert_true(gone(h.pid));
}

static void test_interrupt_before_start(void **state)
{
	volatile int flag = 1;
	struct hook_log h = {0};
	struct bl_run_spec spec = {.interrupt = &flag, .on_start = on_start, .ctx = &h};
	struct bl_run_result res;
	run_sh("exit 0", &spec, &res);
	assert_int_equal(res.status, BL_RUN_INTERRUPTED);
	assert_int_equal(h.starts, 0);
}

static void test_hooks(void **state)
{
	struct hook_log h = {0};
	char *pidfile = tpath("hooks.pid");
	char *script = bl_xasprintf("echo $$ > %s", pidfile);
	struct bl_run_spec spec = {.on_start = on_start, .on_exit = on_exit_hook, .ctx = &h};
	struct bl_run_result res;
	run_sh(script, &spec, &res);
	assert_int_equal(res.status, BL_RUN_OK);
	assert_int_equal(h.starts, 1);
	assert_int_equal(h.exits, 1);
	assert_true(h.exit_after_start);
	assert_int_equal(h.pid, read_pid(pidfile));
	/* The run's cgroup reaches the hook (a sampler reads it) when there is one. */
	struct bl_runner_caps caps;
	bl_runner_caps(&caps);
	if (caps.cgroup)
		assert_true(h.cgroup_is_dir);
	else
		assert_int_equal(h.cgroup_fd, -1);
	spec.no_cgroup = true;
	run_sh(script, &spec, &res);
	assert_int_equal(h.cgroup_fd, -1);
	free(script);
	free(pidfile);
}

/* ---- environment of the child ---- */

static void test_cwd_and_env(void **state)
{
	char *log = tpath("env.log");
	char *envp[] = {"FOO=bar baz", "PATH=/usr/bin:/bin", NULL};
	struct bl_run_spec spec = {.cwd = tmpdir, .envp = envp, .stdout_path = log};
	struct bl_run_result res;
	run_sh("pwd -P; echo \"$FOO\"; echo \"${HOME-unset}\"", &spec, &res);
	assert_int_equal(res.status, BL_RUN_OK);
	char real[PATH_MAX];
	assert_non_null(realpath(tmpdir, real));
	char *want = bl_xasprintf("%s\nbar baz\nunset\n", real);
	struct bl_buf b;
	bl_buf_init(&b);
	slurp(log, &b);
	assert_string_equal(b.data, want);
	assert_int_equal(res.stdout_bytes, strlen(want));
	bl_buf_release(&b);
	free(want);
	free(log);
}

static void test_signal_defaults(void **state)
{
	/* A caller that ignores SIGINT and SIGPIPE and blocks SIGUSR1 must not
	 * pass any of that on to the benchmark. */
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_pipe;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGPIPE, &ign, &old_pipe);
	sigset_t block, old_mask;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, &old_mask);

	char *log = tpath("sig.log");
	char *argv[] = {"grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status", NULL};
	struct bl_run_spec spec = {.argv = argv, .stdout_path = log};
	struct bl_run_result res;
	run_ok(&spec, &res);

	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);

	assert_int_equal(res.status, BL_RUN_OK);
	struct bl_buf b;
	bl_buf_init(&b);
	slurp(log, &b);
	unsigned long long blk = 1, ignored = 1;
	assert_int_equal(sscanf(b.data, "SigBlk:\t%llx\nSigIgn:\t%llx\n", &blk, &ignored), 2);
	assert_int_equal(blk, 0);
	/* glibc's spawn leaves its own two internal signals (32, 33) ignored,
	 * and its sigfillset() leaves no way to ask otherwise; everything else
	 * must be back to default. */
	assert_int_equal(ignored & ~0x180000000ULL, 0);
	bl_buf_release(&b);
	free(log);
}

static void test_cpu_affinity(void **state)
{
	cpu_set_t before, after;
	assert_int_equal(sched_getaffinity(0, sizeof(before), &before), 0);
	int cpu = -1;
	for (int i = CPU_SETSIZE - 1; i >= 0 && cpu < 0; i--)
		if (CPU_ISSET(i, &before))
			cpu = i;
	assert_true(cpu >= 0);

	char *log = tpath("cpus.log");
	char *argv[] = {"grep", "^Cpus_allowed_list", "/proc/self/status", NULL};
	int cpus[] = {cpu};
	struct bl_run_spec spec = {.argv = argv, .stdout_path = log, .cpus = cpus, .n_cpus = 1};
	struct bl_run_result res;
	run_ok(&spec, &res);
	assert_int_equal(res.status, BL_RUN_OK);
	struct bl_buf b;
	bl_buf_init(&b);
	slurp(log, &b);
	char *want = bl_xasprintf("Cpus_allowed_list:\t%d\n", cpu);
	assert_string_equal(b.data, want);
	free(want);
	/* The caller's own affinity is back as it was. */
	assert_int_equal(sched_getaffinity(0, sizeof(after), &after), 0);
	assert_true(CPU_EQUAL(&before, &after));

	int bad[] = {100000};
	spec.cpus = bad;
	run_ok(&spec, &res);
	assert_int_equal(res.status, BL_RUN_SPAWN_FAILED);
	assert_non_null(strstr(res.spawn_error, "cannot pin to CPUs 100000"));
	bl_buf_release(&b);
	free(log);
}

/* ---- logs ---- */

/* Byte i of `yes 0123456789`. */
static char yes_byte(uint64_t i)
{
	return "0123456789\n"[i % 11];
}

static void test_log_cap_50mb(void **state)
{
	const uint64_t total = 50000000;
	const size_t cap = (size_t)1 << 20, tail = 16384, head = cap - tail;
	char *log = tpath("big.log");
	char *errlog = tpath("big.err");
	struct bl_run_spec spec = {.stdout_path = log, .stderr_path = errlog};
	struct bl_run_result res;
	run_sh("yes 0123456789 | head -c 50000000; echo done >&2", &spec, &res);
	assert_int_equal(res.status, BL_RUN_OK);
	assert_int_equal(res.stdout_bytes, total);
	assert_int_equal(res.stderr_bytes, 5);

	struct bl_buf b;
	bl_buf_init(&b);
	slurp(log, &b);
	char marker[64];
	int m = snprintf(marker, sizeof(marker), "[benchline: %llu bytes omitted]\n",
			 (unsigned long long)(total - head - tail));
	/* head ends with a newline by luck or not: allow the separating one. */
	bool nl = yes_byte(head - 1) != '\n';
	assert_int_equal(b.len, head + (nl ? 1 : 0) + (size_t)m + tail);
	assert_true(b.len <= cap + 64);
	for (size_t i = 0; i < head; i++)
		if (b.data[i] != yes_byte(i))
			fail_msg("head differs at byte %zu", i);
	assert_memory_equal(b.data + head + (nl ? 1 : 0), marker, (size_t)m);
	const char *t = b.data + b.len - tail;
	for (size_t i = 0; i < tail; i++)
		if (t[i] != yes_byte(total - tail + i))
			fail_msg("tail differs at byte %zu", i);
	slurp(errlog, &b);
	assert_string_equal(b.data, "done\n");
	bl_buf_release(&b);
	free(log);
	free(errlog);
}

static void test_log_cap_small(void **state)
{
	char *log = tpath("small.log");
	struct bl_run_spec spec = {.stdout_path = log, .log_cap = 100};
	struct bl_run_result res;
	struct bl_buf b;
	bl_buf_init(&b);

	/* 1000 bytes, no newlines: 50 kept, a marker on its own line, 50 kept. */
	run_sh("i=0; while [ $i -lt 100 ]; do printf abcdefghij; i=$((i+1)); done", &spec, &res);
	assert_int_equal(res.stdout_bytes, 1000);
	slurp(log, &b);
	assert_string_equal(b.data, "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij\n"
				    "[benchline: 900 bytes omitted]\n"
				    "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij");

	/* Exactly the cap: everything kept, no marker. */
	run_sh("i=0; while [ $i -lt 10 ]; do printf abcdefghij; i=$((i+1)); done", &spec, &res);
	slurp(log, &b);
	assert_int_equal(b.len, 100);
	assert_null(strstr(b.data, "benchline"));

	/* One byte over. */
	run_sh("i=0; while [ $i -lt 10 ]; do printf abcdefghij; i=$((i+1)); done; printf X", &spec, &res);
	slurp(log, &b);
	assert_non_null(strstr(b.data, "\n[benchline: 1 bytes omitted]\n"));
	assert_int_equal(b.data[b.len - 1], 'X');
	bl_buf_release(&b);
	free(log);
}

static void test_closed_stdout(void **state)
{
	char *log = tpath("closed.out");
	char *errlog = tpath("closed.err");
	struct bl_run_spec spec = {.stdout_path = log, .stderr_path = errlog};
	struct bl_run_result res;
	run_sh("echo first; exec >&-; echo err >&2; sleep 0.1; echo more >&2", &spec, &res);
	assert_int_equal(res.status, BL_RUN_OK);
	struct bl_buf b;
	bl_buf_init(&b);
	slurp(log, &b);
	assert_string_equal(b.data, "first\n");
	slurp(errlog, &b);
	assert_string_equal(b.data, "err\nmore\n");
	assert_int_equal(res.stdout_bytes, 6);
	assert_int_equal(res.stderr_bytes, 9);
	bl_buf_release(&b);
	free(log);
	free(errlog);
}

static void test_no_logs(void **state)
{
	struct bl_run_spec spec = {0};
	struct bl_run_result res;
	run_sh("echo out; echo err >&2", &spec, &res);
	assert_int_equal(res.status, BL_RUN_OK);
	assert_int_equal(res.stdout_bytes, 0);
	assert_int_equal(res.stderr_bytes, 0);
}

static void test_merged_log(void **state)
{
	char *log = tpath("merged.log");
	struct bl_run_spec spec = {.stdout_path = log, .stderr_path = log};
	struct bl_run_result res;
	run_sh("echo out; echo err >&2; echo out2", &spec, &res);
	assert_int_equal(res.status, BL_RUN_OK);
	struct bl_buf b;
	bl_buf_init(&b);
	slurp(log, &b);
	assert_string_equal(b.data, "out\nerr\nout2\n");
	assert_int_equal(res.stdout_bytes, 13);
	assert_int_equal(res.stderr_bytes, 0);
	bl_buf_release(&b);
	free(log);
}

static void test_log_tail(void **state)
{
	char *path = tpath("tail.log");
	struct bl_buf text, out;
	struct bl_error err = {{0}};
	bl_buf_init(&text);
	bl_buf_init(&out);
	for (int i = 1; i <= 100; i++)
		bl_buf_printf(&text, "line %d\n", i);
	spit(path, text.data);
	assert_int_equal(bl_log_tail(path, 3, &out, &err), 0);
	assert_string_equal(out.data, "line 98\nline 99\nline 100\n");

	/* No final newline. */
	bl_buf_reset(&out);
	spit(path, "a\nb\nc");
	assert_int_equal(bl_log_tail(path, 2, &out, &err), 0);
	assert_string_equal(out.data, "b\nc");

	/* Fewer lines than asked for. */
	bl_buf_reset(&out);
	assert_int_equal(bl_log_tail(path, 50, &out, &err), 0);
	assert_string_equal(out.data, "a\nb\nc");

	/* Long file: at most 8 KiB, starting on a line boundary. */
	bl_buf_reset(&text);
	char filler[92];
	memset(filler, 'x', sizeof(filler) - 1);
	filler[sizeof(filler) - 1] = '\0';
	for (int i = 0; i < 1000; i++)
		bl_buf_printf(&text, "%04d %s\n", i, filler);
	spit(path, text.data);
	bl_buf_reset(&out);
	assert_int_equal(bl_log_tail(path, 1000, &out, &err), 0);
	assert_true(out.len <= 8192);
	assert_true(out.len > 7000);
	assert_true(out.data[0] >= '0' && out.data[0] <= '9' && out.data[4] == ' ');
	assert_int_equal(out.data[out.len - 1], '\n');
	assert_non_null(strstr(out.data, "0999 "));

	bl_buf_reset(&out);
	assert_int_equal(bl_log_tail(path, 0, &out, &err), 0);
	assert_int_equal(out.len, 0);

	char *missing = tpath("missing.log");
	assert_int_equal(bl_log_tail(missing, 5, &out, &err), -1);
	assert_non_null(strstr(err.msg, missing));
	free(missing);
	bl_buf_release(&text);
	bl_buf_release(&out);
	free(path);
}

/* ---- accounting ---- */

static void test_cpu_time(void **state)
{
	char *argv[] = {self_exe, "--child", "busy-cpu", "0.3", NULL};
	struct bl_run_spec spec = {.argv = argv};
	struct bl_run_result res;
	run_ok(&spec, &res);
	assert_int_equal(res.status, BL_RUN_OK);
	/* The child's thread burns 0.3 s of CPU, nearly all in user space, so
	 * rusage must show that much, and no more than the wall time it had
	 * (one busy thread; a sanitizer's start-up adds some system time). */
	double cpu = res.user_s + res.sys_s;
	if (cpu < 0.29 || cpu > 0.7 || res.user_s < 0.2 || cpu > res.wall_s + 0.05)
		fail_msg("user %.3f s, sys %.3f s, wall %.3f s for 0.3 s of CPU", res.user_s, res.sys_s, res.wall_s);
}

/* Makes this process that much bigger. MAP_POPULATE faults the pages in
 * from the kernel, so a sanitizer does not add shadow memory on top. */
static void *touch_mmap(size_t mib)
{
	size_t n = mib << 20;
	char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	assert_true(p != MAP_FAILED);
	return p;
}

/* A child whose peak is known: dd reads MIB MiB of zeros into one buffer.
 * An uninstrumented program, so sanitizer builds measure the same. */
static void run_touch(const char *mib, struct bl_run_result *res)
{
	char *bs = bl_xasprintf("bs=%sM", mib);
	char *argv[] = {"dd", "if=/dev/zero", "of=/dev/null", "count=1", bs, NULL};
	struct bl_run_spec spec = {.argv = argv};
	run_ok(&spec, res);
	assert_int_equal(res->status, BL_RUN_OK);
	free(bs);
}

static void test_peak_memory_not_the_parents(void **state)
{
	/* We were 500 MB a moment ago; the kernel would hand that hiwater mark
	 * to the child's ru_maxrss unless the runner resets it. */
	void *big = touch_mmap(500);
	munmap(big, (size_t)500 << 20);
	struct bl_run_result res;
	run_touch("200", &res);
	assert_true(res.peak_source == BL_PEAK_RUSAGE || res.peak_source == BL_PEAK_CGROUP);
	assert_true(res.peak_rss_bytes >= (int64_t)200 << 20);
	assert_true(res.peak_rss_bytes < (int64_t)400 << 20);
}

static void test_peak_memory_masked_by_parent(void **state)
{
	struct bl_runner_caps caps;
	bl_runner_caps(&caps);
	void *big = touch_mmap(300);
	struct bl_run_result res;
	/* Smaller than we are now: rusage cannot tell, so no figure at all. */
	run_touch("100", &res);
	if (caps.cgroup_memory_peak) {
		assert_int_equal(res.peak_source, BL_PEAK_CGROUP);
		assert_true(res.peak_rss_bytes >= (int64_t)100 << 20);
		assert_true(res.peak_rss_bytes < (int64_t)250 << 20);
	} else {
		assert_int_equal(res.peak_source, BL_PEAK_NONE);
		assert_int_equal(res.peak_rss_bytes, -1);
	}
	/* Bigger than we are: that is the child's own. */
	run_touch("450", &res);
	assert_true(res.peak_source == BL_PEAK_RUSAGE || res.peak_source == BL_PEAK_CGROUP);
	assert_true(res.peak_rss_bytes >= (int64_t)450 << 20);
	assert_true(res.peak_rss_bytes < (int64_t)700 << 20);
	munmap(big, (size_t)300 << 20);
}

/* ---- without pidfd ---- */

static void test_without_pidfd(void **state)
{
	bl_runner_test_force_no_pidfd(true);
	struct bl_run_spec spec = {0};
	struct bl_run_result res;
	run_sh("exit 4", &spec, &res);
	assert_int_equal(res.status, BL_RUN_FAILED);
	assert_int_equal(res.exit_code, 4);

	char *log = tpath("nopidfd.log");
	spec.stdout_path = log;
	run_sh("echo hello; sleep 0.1", &spec, &res);
	assert_int_equal(res.status, BL_RUN_OK);
	assert_true(res.wall_s >= 0.1 && res.wall_s < 0.5);
	struct bl_buf b;
	bl_buf_init(&b);
	slurp(log, &b);
	assert_string_equal(b.data, "hello\n");
	bl_buf_release(&b);

	spec.stdout_path = NULL;
	spec.timeout_s = 0.2;
	run_sh("sleep 1000", &spec, &res);
	assert_int_equal(res.status, BL_RUN_TIMEOUT);
	assert_true(res.wall_s < 1.0);
	bl_runner_test_force_no_pidfd(false);
	free(log);
}

static void test_status_names(void **state)
{
	assert_string_equal(bl_run_status_name(BL_RUN_OK), "ok");
	assert_string_equal(bl_run_status_name(BL_RUN_FAILED), "failed");
	assert_string_equal(bl_run_status_name(BL_RUN_CRASHED), "crashed");
	assert_string_equal(bl_run_status_name(BL_RUN_TIMEOUT), "timeout");
	assert_string_equal(bl_run_status_name(BL_RUN_SPAWN_FAILED), "spawn_failed");
	assert_string_equal(bl_run_status_name(BL_RUN_INTERRUPTED), "interrupted");
}

/* cgroup.procs has a pid a line, /proc/.../children separates them by spaces: one parser reads both, for the
 * cgroup kill and for the orphan reaper. */
static void test_parse_pids(void **state)
{
	pid_t pids[4];
	assert_int_equal(bl_rn_parse_pids("12\n345\n", pids, 4), 2);
	assert_int_equal(pids[0], 12);
	assert_int_equal(pids[1], 345);
	assert_int_equal(bl_rn_parse_pids("7 8 9 10 11 ", pids, 4), 4); /* no more than cap */
	assert_int_equal(pids[3], 10);
	assert_int_equal(bl_rn_parse_pids("0 -3 5\n", pids, 4), 1); /* not a pid: skipped */
	assert_int_equal(pids[0], 5);
	assert_int_equal(bl_rn_parse_pids("", pids, 4), 0);
	assert_int_equal(bl_rn_parse_pids("\n", pids, 4), 0);
}

static int setup(void **state)
{
	const char *base = getenv("BENCHLINE_TEST_TMP");
	struct bl_error err;
	if (!base || !*base)
		base = "/tmp";
	if (bl_mkdirs(base, 0755, &err) != 0)
		return -1;
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_runner.XXXXXX", base);
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	struct bl_error err;
	return bl_remove_tree(tmpdir, &err);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "--child") == 0)
		return child_main(argc, argv);
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0)
		return 1;
	self_exe[n] = '\0';

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_ok),
		cmocka_unit_test(test_exit_failed),
		cmocka_unit_test(test_crash),
		cmocka_unit_test(test_wall_time),
		cmocka_unit_test(test_spawn_missing_program),
		cmocka_unit_test(test_spawn_bad_cwd),
		cmocka_unit_test(test_spawn_not_executable),
		cmocka_unit_test(test_log_file_error),
		cmocka_unit_test(test_timeout_kills_group),
		cmocka_unit_test(test_term_ignored_gets_killed),
		cmocka_unit_test(test_leftover_background_killed),
		cmocka_unit_test(test_daemon_that_left_the_group_killed),
		cmocka_unit_test(test_daemon_escaped_without_cgroup),
		cmocka_unit_test(test_timeout_warns_daemon_first),
		cmocka_unit_test(test_zombie_from_other_session_reaped),
		cmocka_unit_test(test_leftovers_without_cgroup),
		cmocka_unit_test(test_concurrent_runs),
		cmocka_unit_test(test_interrupt),
		cmocka_unit_test(test_interrupt_before_start),
		cmocka_unit_test(test_hooks),
		cmocka_unit_test(test_cwd_and_env),
		cmocka_unit_test(test_signal_defaults),
		cmocka_unit_test(test_cpu_affinity),
		cmocka_unit_test(test_log_cap_50mb),
		cmocka_unit_test(test_log_cap_small),
		cmocka_unit_test(test_closed_stdout),
		cmocka_unit_test(test_no_logs),
		cmocka_unit_test(test_merged_log),
		cmocka_unit_test(test_log_tail),
		cmocka_unit_test(test_cpu_time),
		cmocka_unit_test(test_peak_memory_not_the_parents),
		cmocka_unit_test(test_peak_memory_masked_by_parent),
		cmocka_unit_test(test_without_pidfd),
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_parse_pids),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
