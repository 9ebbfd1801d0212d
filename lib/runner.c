/*
 * runner.c - runs one benchmark process and measures it.
 *
 * DESIGN
 *
 * What it owns. For the length of one bl_run() call: the child, its process
 * group (pgid == child pid), the run's cgroup when there is one, two pipes
 * and two log files. Process-wide, set up once: the child-subreaper flag,
 * the cgroup probe (and, in kill-only mode, one reusable cgroup, removed at
 * exit), and cached /proc/self file descriptors for the peak-memory check.
 *
 * How a run starts. posix_spawnp() (glibc clones with CLONE_VM|CLONE_VFORK,
 * so there is no page-table copy of a large parent) puts the child in its own
 * process group with an empty signal mask, default signal dispositions, stdin
 * from /dev/null, stdout/stderr on pipes (or /dev/null when no log is wanted)
 * and every other descriptor closed. CPU affinity is set on the calling
 * thread around the spawn, because the child inherits it from its first
 * instruction; setting it on the child afterwards would race with whatever
 * it starts. The monotonic clock is read right before the spawn.
 *
 * Joining the cgroup. With glibc >= 2.39 the child is cloned straight into it
 * (CLONE_INTO_CGROUP through posix_spawnattr_setcgroup_np). Otherwise its pid
 * is written to cgroup.procs first thing after the spawn: the trade-off is a
 * window (microseconds, more if we get preempted) in which the freshly exec'd
 * child runs outside the cgroup, so memory it touches then is not in
 * memory.peak and a child forked in that window is not in the cgroup (it is
 * still in the process group, unless it calls setsid at once: then step 5
 * below finds it among our children in a session of their own). We accept that
 * rather than reimplement a vfork-style spawn on clone3 ourselves, but the
 * on_start hook (the device sampler, which would take the cgroup's processes
 * and cpu.stat for the run's) gets the cgroup only when the child had no
 * child and one thread right after joining it, so that nothing can have
 * escaped; else -1, and the sampler walks the process tree instead. CPU
 * time therefore always comes from wait4(): as a child subreaper we reap
 * every descendant that outlives its parent, so rusage covers the same tree as
 * cpu.stat and the exec window as well. A cgroup is only created when it adds
 * something rusage cannot: memory.peak (then a fresh cgroup per run, since
 * the peak cannot be reset on older kernels) or cgroup.kill (then one cgroup
 * is reused by every run of this process, saving a mkdir/rmdir per run).
 *
 * Peak memory without a cgroup. Linux records the hiwater RSS of the memory
 * map an exec replaces in the new program's ru_maxrss; with vfork-style
 * spawning that map is ours, so a child of a 500 MB benchline would report at
 * least 500 MB. We reset our own hiwater mark (/proc/self/clear_refs, "5")
 * right before the spawn and read it back right after: a child ru_maxrss above
 * that mark is the child's own peak; at or below it the kernel's figure tells
 * nothing, and the peak is reported as unknown rather than as our size.
 *
 * How it ends. The wait watches a pidfd (or, where pidfd_open is missing, a
 * thread blocked in waitid) together with the pipes, so output is drained
 * while the child runs and exit is seen at once. On timeout or interrupt the
 * group and anything in the cgroup that left it get SIGTERM, and SIGKILL
 * (group and cgroup.kill) after grace_s. Once the main process has exited,
 * in this order:
 *   1. note the wall time (exit seen, not yet reaped);
 *   2. wait4() the main process (status and rusage), then call on_exit;
 *   3. if it was stopped for time and SIGKILL has not gone out yet, let what
 *      it left (which got SIGTERM too) use the rest of the grace period;
 *   4. SIGKILL the process group, but only while some of our children are
 *      still in it (they hold its id, so it cannot have been reused), and
 *      write cgroup.kill if anything is still listed in the cgroup;
 *   5. reap the leftovers, which were reparented to us as the subreaper, and
 *      add their rusage (bounded wait), zombies from other sessions included;
 *      when no cgroup held the whole tree (none, or the child forked before
 *      it joined: the window above), first SIGKILL our live children in
 *      other sessions: daemons that escaped the group by setsid();
 *   6. drain the pipes to end of file (bounded, in case an escaped process we
 *      could not kill still holds them) and write the log tails.
 *
 * Logs keep the first log_cap - 16 KiB bytes as they come, the last 16 KiB in
 * a ring buffer, and a marker line in between when bytes were dropped, so a
 * benchmark printing gigabytes costs 16 KiB of memory and log_cap of disk.
 *
 * Where the code is. This file spawns, waits, kills and measures;
 * runner_cgroup.c makes and kills cgroups, runner_log.c writes the capped
 * logs, runner_reap.c collects leftovers (steps 3 to 5); runner_internal.h
 * is what they share.
 */
#include "runner_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

extern char **environ;

#define DEFAULT_LOG_CAP ((size_t)1 << 20)
#define DEFAULT_GRACE_S 2.0
#define INTERRUPT_POLL_NS (50 * 1000000LL)
#define LEFTOVER_REAP_NS (5 * 1000000000LL)  /* how long we wait for killed leftovers to die */
#define FINAL_DRAIN_NS (1 * 1000000000LL)    /* how long pipes may stay open after the kill */

/* ---- process-wide state, set up once ---------------------------------- */

/* The cgroup part of it is in runner_cgroup.c. */
static struct {
	pthread_once_t once;
	int clear_refs_fd;          /* /proc/self/clear_refs, -1 if unavailable */
	int status_fd;              /* /proc/self/status, -1 if unavailable */
	pthread_mutex_t spawn_lock; /* one hiwater reset/spawn/read at a time */
	bool subreaper;
	atomic_bool no_pidfd;       /* test hook: force the waiter-thread fallback */
} g = {
	.once = PTHREAD_ONCE_INIT,
	.spawn_lock = PTHREAD_MUTEX_INITIALIZER,
	.clear_refs_fd = -1,
	.status_fd = -1,
};

/* Test hook, declared by tests only: use the waitid thread instead of pidfd. */
void bl_runner_test_force_no_pidfd(bool on);
void bl_runner_test_force_no_pidfd(bool on)
{
	atomic_store(&g.no_pidfd, on);
}

/* ---- /proc and cgroup text --------------------------------------------- */

ssize_t bl_rn_pread_text(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return n;
}

ssize_t bl_rn_read_text(int dir_fd, const char *path, char *buf, size_t size)
{
	int fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = bl_rn_pread_text(fd, buf, size);
	close(fd);
	return n;
}

size_t bl_rn_parse_pids(const char *text, pid_t *pids, size_t cap)
{
	size_t k = 0;
	while (k < cap) {
		char *end;
		long v = strtol(text, &end, 10);
		if (end == text)
			break;
		if (v > 0)
			pids[k++] = (pid_t)v;
		text = end;
	}
	return k;
}

static void runner_init(void)
{
	/* Orphans of the benchmark are reparented to us, so we can kill and reap
	 * them; without this a daemonized grandchild would outlive the run. */
	g.subreaper = prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
	g.clear_refs_fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	g.status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	bl_cg_probe();
}

void bl_runner_caps(struct bl_runner_caps *caps)
{
	pthread_once(&g.once, runner_init);
	memset(caps, 0, sizeof(*caps));
	bl_cg_caps(caps);
	caps->subreaper = g.subreaper;
	caps->hiwater_reset = g.clear_refs_fd >= 0 && g.status_fd >= 0;
}

/* Our memory map's hiwater RSS in bytes (VmHWM), -1 when unknown. */
static int64_t own_hiwater_bytes(void)
{
	char buf[4096];
	if (bl_rn_pread_text(g.status_fd, buf, sizeof(buf)) < 0)
		return -1;
	const char *p = strstr(buf, "\nVmHWM:");
	if (!p)
		return -1;
	return (int64_t)strtoll(p + 7, NULL, 10) * 1024;
}

/* ---- spawning ----------------------------------------------------------- */

/* Pins the calling thread to the run's CPUs; the child inherits it. */
static int pin_thread(const int *cpus, size_t n, cpu_set_t **saved, size_t *saved_size, char *why, size_t why_len)
{
	int max = 0;
	for (size_t i = 0; i < n; i++) {
		if (cpus[i] < 0) {
			snprintf(why, why_len, "cannot pin to CPU %d: not a CPU number", cpus[i]);
			return -1;
		}
		if (cpus[i] > max)
			max = cpus[i];
	}
	/* Big enough for the kernel's CPU mask, which sched_getaffinity insists on. */
	int ncpu = max + 1 > 4096 ? max + 1 : 4096;
	*saved_size = CPU_ALLOC_SIZE(ncpu);
	*saved = CPU_ALLOC(ncpu);
	cpu_set_t *want = CPU_ALLOC(ncpu);
	if (!*saved || !want) {
		CPU_FREE(want);
		CPU_FREE(*saved);
		*saved = NULL;
		snprintf(why, why_len, "cannot pin to CPUs: out of memory");
		return -1;
	}
	CPU_ZERO_S(*saved_size, want);
	for (size_t i = 0; i < n; i++)
		CPU_SET_S((size_t)cpus[i], *saved_size, want);
	int rc = 0;
	if (sched_getaffinity(0, *saved_size, *saved) != 0) {
		snprintf(why, why_len, "cannot read CPU affinity: %s", strerror(errno));
		rc = -1;
	} else if (sched_setaffinity(0, *saved_size, want) != 0) {
		struct bl_buf list;
		bl_buf_init(&list);
		for (size_t i = 0; i < n; i++)
			bl_buf_printf(&list, "%s%d", i ? "," : "", cpus[i]);
		snprintf(why, why_len, "cannot pin to CPUs %s: %s", list.data, strerror(errno));
		bl_buf_release(&list);
		rc = -1;
	}
	CPU_FREE(want);
	if (rc) {
		CPU_FREE(*saved);
		*saved = NULL;
	}
	return rc;
}

static void spawn_error(const struct bl_run_spec *spec, int rc, struct bl_run_result *res)
{
	/* posix_spawn says ENOENT both for a missing program and a missing
	 * directory; looking at the directory only now keeps the good path free. */
	if (spec->cwd) {
		int fd = open(spec->cwd, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			snprintf(res->spawn_error, sizeof(res->spawn_error), "cannot change to directory '%s': %s",
				 spec->cwd, strerror(errno));
			return;
		}
		close(fd);
		snprintf(res->spawn_error, sizeof(res->spawn_error), "cannot run '%s' in '%s': %s", spec->argv[0],
			 spec->cwd, strerror(rc));
		return;
	}
	snprintf(res->spawn_error, sizeof(res->spawn_error), "cannot run '%s': %s", spec->argv[0], strerror(rc));
}

/*
 * Called right after the child joined its cgroup: true when it has one
 * thread and no child, so that everything it starts is born in the cgroup
 * (a fork and a cgroup migration never overlap). False when it was quicker
 * than us, or when /proc cannot tell.
 */
static bool nothing_forked_yet(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", (long)pid, (long)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (n != 0)
		return false; /* a child already, or unreadable */
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (bl_rn_read_text(AT_FDCWD, path, buf, sizeof(buf)) < 0)
		return false;
	/* num_threads is the 18th field after the command name */
	const char *p = strrchr(buf, ')');
	for (int field = 2; p && field < 20; field++)
		p = strchr(p + 1, ' ');
	return p && strtol(p + 1, NULL, 10) == 1;
}

/* Builds the spawn attributes; in_cgroup_fd >= 0 clones straight into it. */
static void make_attr(posix_spawnattr_t *attr, int in_cgroup_fd)
{
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	short flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	posix_spawnattr_init(attr);
	posix_spawnattr_setpgroup(attr, 0);
	posix_spawnattr_setsigmask(attr, &none);
	/* Every signal back to default: ignored ones (SIGPIPE, SIGINT under
	 * nohup) would otherwise survive the exec and change the benchmark. */
	posix_spawnattr_setsigdefault(attr, &all);
#ifdef POSIX_SPAWN_SETCGROUP
	if (in_cgroup_fd >= 0 && posix_spawnattr_setcgroup_np(attr, in_cgroup_fd) == 0)
		flags |= POSIX_SPAWN_SETCGROUP;
#else
	(void)in_cgroup_fd;
#endif
	posix_spawnattr_setflags(attr, flags);
}

/* stdin from /dev/null, stdout and stderr on the given pipe ends (-1: /dev/null), nothing else open. */
static void make_file_actions(posix_spawn_file_actions_t *fa, int out_w, int err_w, const char *cwd)
{
	posix_spawn_file_actions_init(fa);
	posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
	if (out_w >= 0)
		posix_spawn_file_actions_adddup2(fa, out_w, 1);
	else
		posix_spawn_file_actions_addopen(fa, 1, "/dev/null", O_WRONLY, 0);
	if (err_w >= 0)
		posix_spawn_file_actions_adddup2(fa, err_w, 2);
	else
		posix_spawn_file_actions_addopen(fa, 2, "/dev/null", O_WRONLY, 0);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
	/* Descriptors other modules opened without O_CLOEXEC must not leak into
	 * the benchmark, nor keep our pipes open. */
	posix_spawn_file_actions_addclosefrom_np(fa, 3);
#endif
	if (cwd)
		posix_spawn_file_actions_addchdir_np(fa, cwd);
}

/* ---- waiting ------------------------------------------------------------ */

struct waiter {
	pthread_t thread;
	pid_t pid;
	int notify[2]; /* the thread writes one byte when the child has exited */
	bool started;
};

/* Blocks until the child has exited. WNOWAIT: only observe the exit; bl_run reaps after killing the group. */
static void wait_exit_unreaped(pid_t pid)
{
	siginfo_t si;
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) != 0 && errno == EINTR)
		;
}

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	wait_exit_unreaped(w->pid);
	ssize_t r = write(w->notify[1], "x", 1);
	(void)r;
	return NULL;
}

/* A descriptor that becomes readable when the child exits. */
static int exit_fd(pid_t pid, struct waiter *w)
{
	w->started = false;
	w->notify[0] = w->notify[1] = -1;
#ifdef SYS_pidfd_open
	if (!atomic_load(&g.no_pidfd)) {
		int fd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (fd >= 0) {
			fcntl(fd, F_SETFD, FD_CLOEXEC);
			return fd;
		}
	}
#endif
	/* No pidfd (kernel < 5.3, or a seccomp filter): a thread blocked in
	 * waitid tells us, which keeps the exit time exact. */
	w->pid = pid;
	if (pipe2(w->notify, O_CLOEXEC) != 0)
		return -1;
	if (pthread_create(&w->thread, NULL, waiter_main, w) != 0) {
		bl_rn_close_fd(&w->notify[0]);
		bl_rn_close_fd(&w->notify[1]);
		return -1;
	}
	w->started = true;
	return w->notify[0];
}

static void exit_fd_close(int fd, struct waiter *w)
{
	if (w->started) {
		pthread_join(w->thread, NULL);
		bl_rn_close_fd(&w->notify[0]);
		bl_rn_close_fd(&w->notify[1]);
		w->started = false;
		return;
	}
	if (fd >= 0)
		close(fd);
}

static void signal_run(pid_t pid, int sig, const struct bl_run_cgroup *cg, bool have_cg)
{
	/* The main process may have left its group (setsid); then signal it too. */
	if (kill(-pid, sig) != 0 || getpgid(pid) != pid)
		kill(pid, sig);
	if (have_cg && sig == SIGKILL)
		bl_cg_kill_all(cg);
	else if (have_cg)
		bl_cg_signal(cg, sig, pid); /* those in the cgroup that left the group get the warning too */
}

/* ---- the run ------------------------------------------------------------ */

const char *bl_run_status_name(enum bl_run_status s)
{
	switch (s) {
	case BL_RUN_OK:
		return "ok";
	case BL_RUN_FAILED:
		return "failed";
	case BL_RUN_CRASHED:
		return "crashed";
	case BL_RUN_TIMEOUT:
		return "timeout";
	case BL_RUN_SPAWN_FAILED:
		return "spawn_failed";
	case BL_RUN_INTERRUPTED:
		return "interrupted";
	}
	return "unknown";
}

static bool interrupted(const struct bl_run_spec *spec)
{
	/* An atomic load, so a flag set from another thread is no data race;
	 * from a signal handler (volatile sig_atomic_t) it reads the same. */
	return spec->interrupt && __atomic_load_n(spec->interrupt, __ATOMIC_RELAXED);
}

int bl_run(const struct bl_run_spec *spec, struct bl_run_result *res, struct bl_error *err)
{
	struct bl_error no_err;
	if (!err)
		err = &no_err;
	memset(res, 0, sizeof(*res));
	res->exit_code = -1;
	res->peak_rss_bytes = -1;
	res->peak_source = BL_PEAK_NONE;
	if (!spec->argv || !spec->argv[0])
		return bl_fail(err, "cannot run a benchmark with an empty command");
	pthread_once(&g.once, runner_init);

	if (interrupted(spec)) {
		res->status = BL_RUN_INTERRUPTED;
		return 0;
	}

	size_t log_cap = spec->log_cap ? spec->log_cap : DEFAULT_LOG_CAP;
	double grace_s = spec->grace_s > 0 ? spec->grace_s : DEFAULT_GRACE_S;
	struct bl_log_sink out, errs;
	bl_sink_init(&out, log_cap);
	bl_sink_init(&errs, log_cap);
	int out_w = -1, err_w = -1;
	bool merged = spec->stdout_path && spec->stderr_path && strcmp(spec->stdout_path, spec->stderr_path) == 0;
	int rc = 0;
	char *buf = NULL;

	if (spec->stdout_path && (out_w = bl_sink_open(&out, spec->stdout_path, err)) < 0)
		goto fail_logs;
	if (spec->stderr_path && !merged && (err_w = bl_sink_open(&errs, spec->stderr_path, err)) < 0)
		goto fail_logs;

	posix_spawn_file_actions_t fa;
	make_file_actions(&fa, out_w, merged ? out_w : err_w, spec->cwd);

	struct bl_run_cgroup cg = {.dir_fd = -1, .procs_fd = -1};
	bool shared_locked = false;
	bool have_cg = !spec->no_cgroup && bl_cg_acquire(&cg, &shared_locked);
	bool into_cgroup = false; /* cloned straight into it */
#ifdef POSIX_SPAWN_SETCGROUP
	into_cgroup = have_cg;
#endif
	bool rusage_peak = !(have_cg && cg.memory_peak);

	cpu_set_t *saved_cpus = NULL;
	size_t saved_size = 0;
	if (spec->cpus && spec->n_cpus &&
	    pin_thread(spec->cpus, spec->n_cpus, &saved_cpus, &saved_size, res->spawn_error,
		       sizeof(res->spawn_error)) != 0) {
		res->status = BL_RUN_SPAWN_FAILED;
		posix_spawn_file_actions_destroy(&fa);
		if (have_cg)
			bl_cg_release(&cg, shared_locked);
		goto closed;
	}

	char *const *envp = spec->envp ? spec->envp : environ;
	pid_t pid = -1;
	int64_t parent_hiwater = -1;
	/* Done with a cgroup too, in case joining it fails and rusage is all we get. */
	pthread_mutex_lock(&g.spawn_lock);
	if (g.clear_refs_fd >= 0 && g.status_fd >= 0) {
		ssize_t w = pwrite(g.clear_refs_fd, "5", 1, 0);
		(void)w;
	}
	posix_spawnattr_t attr;
	make_attr(&attr, into_cgroup ? cg.dir_fd : -1);
	res->start_unix_ns = bl_now_unix_ns();
	int64_t t0 = bl_now_mono_ns();
	int src = posix_spawnp(&pid, spec->argv[0], &fa, &attr, spec->argv, envp);
	posix_spawnattr_destroy(&attr);
	if (src != 0 && into_cgroup) {
		/* Maybe the cgroup refused us (EBUSY, EOPNOTSUPP): go without it. */
		make_attr(&attr, -1);
		t0 = bl_now_mono_ns();
		src = posix_spawnp(&pid, spec->argv[0], &fa, &attr, spec->argv, envp);
		posix_spawnattr_destroy(&attr);
		if (src == 0) {
			bl_cg_disable();
			into_cgroup = false;
		}
	}
	/* Whether the cgroup holds the whole tree: on_start hands it over only then. */
	bool cg_whole = src == 0 && have_cg && into_cgroup;
	if (src == 0 && have_cg && !into_cgroup) {
		/* First thing after the spawn: every microsecond here is one in
		 * which the child could fork something outside the cgroup. */
		if (!bl_cg_join(&cg, pid)) {
			/* Not allowed to move it after all: stop trying for good. */
			bl_cg_disable();
			bl_cg_release(&cg, shared_locked);
			have_cg = false;
			rusage_peak = true;
		} else {
			cg_whole = nothing_forked_yet(pid);
		}
	}
	if (g.status_fd >= 0 && src == 0)
		parent_hiwater = own_hiwater_bytes();
	pthread_mutex_unlock(&g.spawn_lock);
	if (saved_cpus) {
		sched_setaffinity(0, saved_size, saved_cpus);
		CPU_FREE(saved_cpus);
	}
	posix_spawn_file_actions_destroy(&fa);
	bl_rn_close_fd(&out_w);
	bl_rn_close_fd(&err_w);

	if (src != 0) {
		res->status = BL_RUN_SPAWN_FAILED;
		spawn_error(spec, src, res);
		if (have_cg)
			bl_cg_release(&cg, shared_locked);
		goto closed;
	}
	if (spec->on_start)
		spec->on_start(spec->ctx, pid, cg_whole ? cg.dir_fd : -1);

	/* Wait for the exit while draining output and watching the clock. */
	struct waiter waiter = {.notify = {-1, -1}};
	int efd = -1;
	bool fast = out.pipe_fd < 0 && errs.pipe_fd < 0 && spec->timeout_s <= 0 && !spec->interrupt;
	int64_t t_exit = 0, kill_at = 0;
	bool term_sent = false, kill_sent = false;
	enum bl_run_status killed_for = BL_RUN_OK;
	if (fast) {
		/* Nothing to drain and nothing to watch: block, observing the exit
		 * without reaping, exactly like the raw spawn-and-wait floor. */
		wait_exit_unreaped(pid);
		t_exit = bl_now_mono_ns();
	} else {
		buf = bl_xmalloc(BL_SINK_READ_CHUNK);
		efd = exit_fd(pid, &waiter);
		int64_t deadline = spec->timeout_s > 0 ? t0 + bl_rn_seconds_to_ns(spec->timeout_s) : 0;
		while (!t_exit) {
			int64_t now = bl_now_mono_ns();
			if (!term_sent && ((deadline && now >= deadline) || interrupted(spec))) {
				killed_for = deadline && now >= deadline ? BL_RUN_TIMEOUT : BL_RUN_INTERRUPTED;
				signal_run(pid, SIGTERM, &cg, have_cg);
				term_sent = true;
				kill_at = now + bl_rn_seconds_to_ns(grace_s);
			}
			if (term_sent && !kill_sent && now >= kill_at) {
				signal_run(pid, SIGKILL, &cg, have_cg);
				kill_sent = true;
			}
			int64_t wait_ns = -1;
			if (!term_sent && deadline)
				wait_ns = deadline - now;
			if (term_sent && !kill_sent)
				wait_ns = kill_at - now;
			if (spec->interrupt && !term_sent && (wait_ns < 0 || wait_ns > INTERRUPT_POLL_NS))
				wait_ns = INTERRUPT_POLL_NS;
			struct pollfd pfd[3];
			nfds_t np = 0;
			pfd[np++] = (struct pollfd){.fd = efd, .events = POLLIN};
			if (out.pipe_fd >= 0)
				pfd[np++] = (struct pollfd){.fd = out.pipe_fd, .events = POLLIN};
			if (errs.pipe_fd >= 0)
				pfd[np++] = (struct pollfd){.fd = errs.pipe_fd, .events = POLLIN};
			if (efd < 0) {
				/* Could not watch the exit at all: fall back to short naps. */
				siginfo_t si = {0};
				if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT | WNOHANG) == 0 &&
				    si.si_pid == pid) {
					t_exit = bl_now_mono_ns();
					break;
				}
				if (wait_ns < 0 || wait_ns > 1000000)
					wait_ns = 1000000;
				pfd[0].fd = -1;
			}
			struct timespec ts = bl_rn_timespec(wait_ns < 0 ? 0 : wait_ns);
			int pr = ppoll(pfd, np, wait_ns < 0 ? NULL : &ts, NULL);
			if (pr < 0 && errno != EINTR) {
				/* Cannot happen with valid descriptors; if it does, end the
				 * run rather than wait blind. */
				rc = bl_fail_errno(err, errno, "cannot wait for '%s'", spec->argv[0]);
				signal_run(pid, SIGKILL, &cg, have_cg);
				break;
			}
			if (pr > 0 && efd >= 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
				t_exit = bl_now_mono_ns();
			if (out.pipe_fd >= 0 && pr > 0)
				bl_sink_drain(&out, buf);
			if (errs.pipe_fd >= 0 && pr > 0)
				bl_sink_drain(&errs, buf);
		}
		if (!t_exit)
			t_exit = bl_now_mono_ns();
	}

	/* The main process has exited: collect it, then what it left. */
	int status = 0;
	struct rusage ru;
	memset(&ru, 0, sizeof(ru));
	pid_t reaped;
	while ((reaped = wait4(pid, &status, 0, &ru)) < 0 && errno == EINTR)
		;
	if (reaped != pid) {
		/* Someone else reaped it (SIGCHLD ignored, or a waitpid(-1) elsewhere). */
		rc = bl_fail_errno(err, errno, "cannot collect the exit status of '%s' (pid %ld)", spec->argv[0],
				   (long)pid);
	}
	if (efd >= 0 || waiter.started)
		exit_fd_close(efd, &waiter);
	if (spec->on_exit)
		spec->on_exit(spec->ctx);

	struct bl_tree_usage usage = {0};
	pid_t left[BL_CG_PIDS_MAX];
	size_t n_left = have_cg ? bl_cg_pids(&cg, left, BL_CG_PIDS_MAX) : 0;
	if (term_sent && !kill_sent) {
		/* Stopped for time: the rest of the tree got SIGTERM too and keeps
		 * what is left of the grace period to finish on it. */
		bl_reap_leftovers(pid, left, n_left, kill_at, &usage);
	}
	/* Signal the group only while some of our children are still in it:
	 * they hold its id, so it cannot have been reused by now. */
	siginfo_t si;
	if (waitid(P_PGID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0)
		kill(-pid, SIGKILL);
	if (have_cg) {
		n_left = bl_cg_pids(&cg, left, BL_CG_PIDS_MAX);
		if (n_left)
			bl_cg_kill_all(&cg);
	}
	bl_reap_leftovers(pid, left, n_left, bl_now_mono_ns() + LEFTOVER_REAP_NS, &usage);
	if (!cg_whole) {
		/* Step 5b: what left the group by setsid() outside a cgroup. */
		n_left = bl_kill_escaped(left, BL_CG_PIDS_MAX);
		if (n_left)
			bl_reap_leftovers(pid, left, n_left, bl_now_mono_ns() + LEFTOVER_REAP_NS, &usage);
	}
	bl_reap_orphan_zombies(&usage);

	/* Whatever is still in the pipes, up to end of file. */
	bl_sink_drain_until(&out, &errs, buf, bl_now_mono_ns() + FINAL_DRAIN_NS);

	res->wall_s = (double)(t_exit - t0) / 1e9;
	res->user_s = bl_rn_tv_seconds(ru.ru_utime) + usage.user_s;
	res->sys_s = bl_rn_tv_seconds(ru.ru_stime) + usage.sys_s;
	if (reaped != pid) {
		res->status = BL_RUN_FAILED; /* exit_code stays -1: unknown */
	} else if (WIFEXITED(status)) {
		res->exit_code = WEXITSTATUS(status);
		res->status = res->exit_code == 0 ? BL_RUN_OK : BL_RUN_FAILED;
	} else if (WIFSIGNALED(status)) {
		res->term_signal = WTERMSIG(status);
		res->status = BL_RUN_CRASHED;
	}
	if (killed_for != BL_RUN_OK)
		res->status = killed_for;

	if (have_cg && !rusage_peak) {
		res->peak_rss_bytes = bl_cg_memory_peak(&cg);
		res->peak_source = res->peak_rss_bytes >= 0 ? BL_PEAK_CGROUP : BL_PEAK_NONE;
	} else {
		int64_t main_peak = (int64_t)ru.ru_maxrss * 1024;
		/* At or below our own hiwater mark the figure may be ours (see the
		 * design note at the top): unknown is better than wrong. */
		if (parent_hiwater < 0 || main_peak > parent_hiwater) {
			int64_t peak = main_peak;
			if ((int64_t)usage.leftover_maxrss_kb * 1024 > peak)
				peak = (int64_t)usage.leftover_maxrss_kb * 1024;
			res->peak_rss_bytes = peak;
			res->peak_source = BL_PEAK_RUSAGE;
		}
	}
	if (have_cg)
		bl_cg_release(&cg, shared_locked);

closed:
	bl_rn_close_fd(&out_w);
	bl_rn_close_fd(&err_w);
	free(buf);
	bl_sink_finish(&out);
	bl_sink_finish(&errs);
	res->stdout_bytes = out.total;
	res->stderr_bytes = errs.total;
	if (out.write_errno)
		return bl_fail_errno(err, out.write_errno, "cannot write log file '%s'", out.path);
	if (errs.write_errno)
		return bl_fail_errno(err, errs.write_errno, "cannot write log file '%s'", errs.path);
	return rc;

fail_logs:
	res->status = BL_RUN_SPAWN_FAILED;
	size_t k = strnlen(err->msg, sizeof(res->spawn_error) - 1);
	memcpy(res->spawn_error, err->msg, k);
	res->spawn_error[k] = '\0';
	bl_rn_close_fd(&out_w);
	bl_sink_close(&out);
	bl_sink_close(&errs);
	return -1;
}
