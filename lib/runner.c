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
 * still in the process group, unless it calls setsid at once). We accept that
 * rather than reimplement a vfork-style spawn on clone3 ourselves. CPU
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
 *   6. drain the pipes to end of file (bounded, in case an escaped process we
 *      could not kill still holds them) and write the log tails.
 *
 * Logs keep the first log_cap - 16 KiB bytes as they come, the last 16 KiB in
 * a ring buffer, and a marker line in between when bytes were dropped, so a
 * benchmark printing gigabytes costs 16 KiB of memory and log_cap of disk.
 */
#include "benchline/runner.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define LOG_TAIL_BYTES (16 * 1024)
#define DEFAULT_LOG_CAP ((size_t)1 << 20)
#define DEFAULT_GRACE_S 2.0
#define INTERRUPT_POLL_NS (50 * 1000000LL)
#define LEFTOVER_REAP_NS (5 * 1000000000LL)  /* how long we wait for killed leftovers to die */
#define FINAL_DRAIN_NS (1 * 1000000000LL)    /* how long pipes may stay open after the kill */
#define READ_CHUNK (64 * 1024)
#define LOG_TAIL_MAX 8192

/* ---- process-wide state, set up once ---------------------------------- */

enum cg_mode {
	CG_NONE = 0,
	CG_SHARED,  /* cgroup.kill only: one cgroup reused by every run */
	CG_PER_RUN, /* memory.peak: a fresh cgroup per run */
};

struct run_cgroup {
	char *path;
	int dir_fd;   /* O_DIRECTORY; for CLONE_INTO_CGROUP and openat */
	int procs_fd; /* cgroup.procs, read and write */
	bool owned;   /* created for this run: removed at its end */
};

static struct {
	pthread_once_t once;
	atomic_int cg_mode;      /* enum cg_mode; dropped to CG_NONE if joining fails */
	bool cg_kill;            /* cgroup.kill exists */
	bool cg_memory_peak;     /* memory.peak exists */
	char *cg_parent;         /* our own cgroup directory, where run cgroups go */
	pthread_mutex_t shared_lock;
	struct run_cgroup shared; /* CG_SHARED: the reusable cgroup */
	pid_t owner_pid;          /* process that created shared (atexit runs in forks too) */
	atomic_uint seq;          /* names per-run cgroups */
	int clear_refs_fd;        /* /proc/self/clear_refs, -1 if unavailable */
	int status_fd;            /* /proc/self/status, -1 if unavailable */
	pthread_mutex_t spawn_lock; /* one hiwater reset/spawn/read at a time */
	bool subreaper;
	atomic_bool no_pidfd;     /* test hook: force the waiter-thread fallback */
} g = {
	.once = PTHREAD_ONCE_INIT,
	.shared_lock = PTHREAD_MUTEX_INITIALIZER,
	.spawn_lock = PTHREAD_MUTEX_INITIALIZER,
	.shared = {.dir_fd = -1, .procs_fd = -1},
	.clear_refs_fd = -1,
	.status_fd = -1,
};

/* Test hook, declared by tests only: use the waitid thread instead of pidfd. */
void bl_runner_test_force_no_pidfd(bool on);
void bl_runner_test_force_no_pidfd(bool on)
{
	atomic_store(&g.no_pidfd, on);
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* Undoes the \ooo escapes mountinfo uses for spaces and such in paths. */
static void unescape_mountinfo(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
		    r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* Finds the cgroup2 mount (mount point and the hierarchy path it shows). */
static bool find_cgroup2_mount(char **mnt, char **root)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	char *line = NULL;
	size_t cap = 0;
	bool found = false;
	while (!found && getline(&line, &cap, f) > 0) {
		/* id parent major:minor root mount-point options ... - fstype source super-options */
		char *sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		char *save = NULL;
		char *field[5];
		int n = 0;
		for (char *t = strtok_r(line, " ", &save); t && n < 5; t = strtok_r(NULL, " ", &save))
			field[n++] = t;
		if (n < 5)
			continue;
		unescape_mountinfo(field[3]);
		unescape_mountinfo(field[4]);
		*root = bl_xstrdup(field[3]);
		*mnt = bl_xstrdup(field[4]);
		found = true;
	}
	free(line);
	fclose(f);
	return found;
}

/* Our cgroup v2 path from the "0::" line of /proc/self/cgroup. */
static char *own_cgroup_path(void)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return NULL;
	char *line = NULL, *path = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		path = bl_xstrdup(line + 3);
		break;
	}
	free(line);
	fclose(f);
	return path;
}

/* Removes empty run cgroups left by benchline processes that died. */
static void remove_stale_cgroups(const char *parent)
{
	DIR *d = opendir(parent);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		long pid;
		char rest;
		if (sscanf(e->d_name, "benchline-%ld%c", &pid, &rest) < 1 || pid <= 0 || pid > INT_MAX)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		char *p = bl_xasprintf("%s/%s", parent, e->d_name);
		rmdir(p); /* fails harmlessly if it still holds processes */
		free(p);
	}
	closedir(d);
}

static int open_run_cgroup(struct run_cgroup *cg, const char *path, bool owned)
{
	cg->dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->dir_fd < 0)
		return -1;
	cg->procs_fd = openat(cg->dir_fd, "cgroup.procs", O_RDWR | O_CLOEXEC);
	if (cg->procs_fd < 0) {
		close_fd(&cg->dir_fd);
		return -1;
	}
	cg->path = bl_xstrdup(path);
	cg->owned = owned;
	return 0;
}

static void close_run_cgroup(struct run_cgroup *cg)
{
	close_fd(&cg->procs_fd);
	close_fd(&cg->dir_fd);
	if (cg->owned && cg->path)
		rmdir(cg->path); /* EBUSY if something unkillable is left; the next probe retries */
	free(cg->path);
	cg->path = NULL;
}

static void remove_shared_cgroup(void)
{
	if (g.owner_pid == getpid() && g.shared.path) {
		g.shared.owned = true;
		close_run_cgroup(&g.shared);
	}
}

/*
 * Decides once whether runs get a cgroup. We only use what is already
 * delegated to us: enabling controllers in our own cgroup would change the
 * machine's configuration and, by the no-internal-process rule, would mean
 * moving ourselves first.
 */
static void probe_cgroup(void)
{
	char *mnt = NULL, *root = NULL, *own = own_cgroup_path();
	if (!own || !find_cgroup2_mount(&mnt, &root))
		goto out;
	/* Inside a cgroup namespace or a bind mount the mount shows a subtree. */
	const char *rel = own;
	size_t rl = strlen(root);
	if (strcmp(root, "/") != 0) {
		if (strncmp(own, root, rl) != 0 || (own[rl] != '/' && own[rl] != '\0'))
			goto out;
		rel = own + rl;
	}
	g.cg_parent = bl_xasprintf("%s%s", mnt, strcmp(rel, "/") == 0 ? "" : rel);
	remove_stale_cgroups(g.cg_parent);

	char *probe = bl_xasprintf("%s/benchline-%ld", g.cg_parent, (long)getpid());
	if (mkdir(probe, 0755) != 0 && errno != EEXIST) {
		free(probe);
		goto out;
	}
	int dfd = open(probe, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		g.cg_memory_peak = faccessat(dfd, "memory.peak", R_OK, 0) == 0;
		g.cg_kill = faccessat(dfd, "cgroup.kill", W_OK, 0) == 0;
		close(dfd);
	}
	if (g.cg_memory_peak) {
		rmdir(probe);
		atomic_store(&g.cg_mode, CG_PER_RUN);
	} else if (g.cg_kill && open_run_cgroup(&g.shared, probe, false) == 0) {
		g.owner_pid = getpid();
		atexit(remove_shared_cgroup);
		atomic_store(&g.cg_mode, CG_SHARED);
	} else {
		rmdir(probe);
	}
	free(probe);
out:
	free(own);
	free(mnt);
	free(root);
}

static void runner_init(void)
{
	/* Orphans of the benchmark are reparented to us, so we can kill and reap
	 * them; without this a daemonized grandchild would outlive the run. */
	g.subreaper = prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
	g.clear_refs_fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	g.status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	probe_cgroup();
}

void bl_runner_caps(struct bl_runner_caps *caps)
{
	pthread_once(&g.once, runner_init);
	memset(caps, 0, sizeof(*caps));
	int mode = atomic_load(&g.cg_mode);
	caps->cgroup = mode != CG_NONE;
	caps->cgroup_memory_peak = mode == CG_PER_RUN;
	caps->cgroup_kill = mode != CG_NONE && g.cg_kill;
	caps->subreaper = g.subreaper;
	caps->hiwater_reset = g.clear_refs_fd >= 0 && g.status_fd >= 0;
	if (mode != CG_NONE && g.cg_parent)
		snprintf(caps->cgroup_parent, sizeof(caps->cgroup_parent), "%s", g.cg_parent);
}

/* Gets the cgroup for one run: the shared one if free, else a fresh one. */
static bool acquire_cgroup(struct run_cgroup *cg, bool *shared_locked)
{
	*shared_locked = false;
	int mode = atomic_load(&g.cg_mode);
	if (mode == CG_NONE)
		return false;
	if (mode == CG_SHARED && pthread_mutex_trylock(&g.shared_lock) == 0) {
		*shared_locked = true;
		*cg = g.shared;
		cg->owned = false;
		return true;
	}
	char *path = bl_xasprintf("%s/benchline-%ld-%u", g.cg_parent, (long)getpid(), atomic_fetch_add(&g.seq, 1));
	bool ok = mkdir(path, 0755) == 0 && open_run_cgroup(cg, path, true) == 0;
	if (!ok)
		rmdir(path);
	free(path);
	return ok;
}

static void release_cgroup(struct run_cgroup *cg, bool shared_locked)
{
	if (shared_locked) {
		pthread_mutex_unlock(&g.shared_lock);
		memset(cg, 0, sizeof(*cg));
		cg->dir_fd = cg->procs_fd = -1;
		return;
	}
	close_run_cgroup(cg);
}

/* Reads the pids in the cgroup (at most cap of them); returns how many. */
static size_t cgroup_pids(const struct run_cgroup *cg, pid_t *pids, size_t cap)
{
	char buf[4096];
	ssize_t n = pread(cg->procs_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	size_t k = 0;
	char *p = buf;
	while (k < cap && *p) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p)
			break;
		if (v > 0)
			pids[k++] = (pid_t)v;
		p = end;
		while (*p == '\n')
			p++;
	}
	return k;
}

static void cgroup_kill_all(const struct run_cgroup *cg)
{
	if (g.cg_kill) {
		int fd = openat(cg->dir_fd, "cgroup.kill", O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t w = write(fd, "1", 1);
			close(fd);
			if (w == 1)
				return;
		}
	}
	pid_t pids[512];
	size_t n = cgroup_pids(cg, pids, 512);
	for (size_t i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
}

static int64_t cgroup_memory_peak(const struct run_cgroup *cg)
{
	int fd = openat(cg->dir_fd, "memory.peak", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char buf[64];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *end;
	long long v = strtoll(buf, &end, 10);
	return end == buf ? -1 : (int64_t)v;
}

/* Our memory map's hiwater RSS in bytes (VmHWM), -1 when unknown. */
static int64_t own_hiwater_bytes(void)
{
	char buf[4096];
	ssize_t n = pread(g.status_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	const char *p = strstr(buf, "\nVmHWM:");
	if (!p)
		return -1;
	return (int64_t)strtoll(p + 7, NULL, 10) * 1024;
}

/* ---- capped log files ------------------------------------------------- */

struct log_sink {
	int pipe_fd;        /* read end, -1 once at end of file */
	int file_fd;        /* -1 when the stream goes to /dev/null */
	const char *path;
	uint64_t total;     /* everything the child wrote */
	uint64_t head_cap;  /* first bytes, written to the file as they come */
	uint64_t head_len;
	char last_head;     /* last byte of the head, to start the marker on its own line */
	char *ring;         /* last bytes, allocated once the head is full */
	size_t ring_cap, ring_len, ring_pos;
	int write_errno;    /* first write error; draining goes on regardless */
};

static void sink_init(struct log_sink *s, size_t log_cap)
{
	memset(s, 0, sizeof(*s));
	s->pipe_fd = s->file_fd = -1;
	size_t tail = log_cap / 2 < LOG_TAIL_BYTES ? log_cap / 2 : LOG_TAIL_BYTES;
	s->ring_cap = tail;
	s->head_cap = log_cap - tail;
}

static void sink_write(struct log_sink *s, const char *p, size_t n)
{
	while (n && !s->write_errno) {
		ssize_t w = write(s->file_fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			s->write_errno = w < 0 ? errno : EIO;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void sink_feed(struct log_sink *s, const char *p, size_t n)
{
	s->total += n;
	if (s->head_len < s->head_cap) {
		size_t k = n;
		if (k > s->head_cap - s->head_len)
			k = (size_t)(s->head_cap - s->head_len);
		sink_write(s, p, k);
		s->head_len += k;
		s->last_head = p[k - 1];
		p += k;
		n -= k;
	}
	if (!n || !s->ring_cap)
		return;
	if (!s->ring)
		s->ring = bl_xmalloc(s->ring_cap);
	if (n >= s->ring_cap) {
		memcpy(s->ring, p + (n - s->ring_cap), s->ring_cap);
		s->ring_pos = 0;
		s->ring_len = s->ring_cap;
		return;
	}
	size_t first = s->ring_cap - s->ring_pos < n ? s->ring_cap - s->ring_pos : n;
	memcpy(s->ring + s->ring_pos, p, first);
	memcpy(s->ring, p + first, n - first);
	s->ring_pos = (s->ring_pos + n) % s->ring_cap;
	s->ring_len = s->ring_len + n > s->ring_cap ? s->ring_cap : s->ring_len + n;
}

/* Reads what is there; returns false once the pipe reached end of file. */
static bool sink_drain(struct log_sink *s, char *buf)
{
	/* A bounded number of reads, so one chatty stream cannot starve the
	 * other or delay noticing the exit. */
	for (int i = 0; i < 16; i++) {
		ssize_t n = read(s->pipe_fd, buf, READ_CHUNK);
		if (n > 0) {
			sink_feed(s, buf, (size_t)n);
			if ((size_t)n < READ_CHUNK)
				return true;
			continue;
		}
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return true;
		close_fd(&s->pipe_fd);
		return false;
	}
	return true;
}

static void sink_finish(struct log_sink *s)
{
	close_fd(&s->pipe_fd);
	if (s->file_fd < 0)
		return;
	uint64_t omitted = s->total - s->head_len - s->ring_len;
	if (omitted) {
		char marker[96];
		int m = snprintf(marker, sizeof(marker), "%s[benchline: %llu bytes omitted]\n",
				 s->head_len && s->last_head != '\n' ? "\n" : "", (unsigned long long)omitted);
		sink_write(s, marker, (size_t)m);
	}
	if (s->ring_len == s->ring_cap && s->ring_len) {
		sink_write(s, s->ring + s->ring_pos, s->ring_cap - s->ring_pos);
		sink_write(s, s->ring, s->ring_pos);
	} else if (s->ring_len) {
		sink_write(s, s->ring, s->ring_len);
	}
	free(s->ring);
	s->ring = NULL;
	if (close(s->file_fd) != 0 && !s->write_errno)
		s->write_errno = errno;
	s->file_fd = -1;
}

/* ---- spawning ----------------------------------------------------------- */

static int open_log(struct log_sink *s, const char *path, struct bl_error *err)
{
	s->path = path;
	s->file_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (s->file_fd < 0)
		return bl_fail_errno(err, errno, "cannot create log file '%s'", path);
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0) {
		int e = errno;
		close_fd(&s->file_fd);
		return bl_fail_errno(err, e, "cannot create a pipe for '%s'", path);
	}
	/* Only our end is non-blocking: the child writes as it always would. */
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	s->pipe_fd = p[0];
	return p[1];
}

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

/* ---- waiting ------------------------------------------------------------ */

struct waiter {
	pthread_t thread;
	pid_t pid;
	int notify[2]; /* the thread writes one byte when the child has exited */
	bool started;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	siginfo_t si;
	/* WNOWAIT: only observe the exit; bl_run reaps after killing the group. */
	while (waitid(P_PID, (id_t)w->pid, &si, WEXITED | WNOWAIT) != 0 && errno == EINTR)
		;
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
		close_fd(&w->notify[0]);
		close_fd(&w->notify[1]);
		return -1;
	}
	w->started = true;
	return w->notify[0];
}

static void exit_fd_close(int fd, struct waiter *w)
{
	if (w->started) {
		pthread_join(w->thread, NULL);
		close_fd(&w->notify[0]);
		close_fd(&w->notify[1]);
		w->started = false;
		return;
	}
	if (fd >= 0)
		close(fd);
}

static void signal_run(pid_t pid, int sig, struct run_cgroup *cg, bool have_cg)
{
	/* The main process may have left its group (setsid); then signal it too. */
	if (kill(-pid, sig) != 0 || getpgid(pid) != pid)
		kill(pid, sig);
	if (have_cg && sig == SIGKILL) {
		cgroup_kill_all(cg);
	} else if (have_cg) {
		/* Those in the cgroup that left the group get the warning too. */
		pid_t pids[512];
		size_t n = cgroup_pids(cg, pids, 512);
		for (size_t i = 0; i < n; i++)
			if (pids[i] != pid && getpgid(pids[i]) != pid)
				kill(pids[i], sig);
	}
}

/* Seconds to nanoseconds, saturating: a timeout of 1e300 s means "never". */
static int64_t seconds_to_ns(double s)
{
	return s >= 1e9 ? (int64_t)1e18 : (int64_t)(s * 1e9);
}

static struct timespec ns_to_timespec(int64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000LL), .tv_nsec = (long)(ns % 1000000000LL)};
	return ts;
}

static double tv_seconds(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

struct tree_usage {
	double user_s, sys_s;
	long leftover_maxrss_kb;
};

static void add_rusage(struct tree_usage *u, const struct rusage *ru)
{
	u->user_s += tv_seconds(ru->ru_utime);
	u->sys_s += tv_seconds(ru->ru_stime);
	if (ru->ru_maxrss > u->leftover_maxrss_kb)
		u->leftover_maxrss_kb = ru->ru_maxrss;
}

/*
 * Reaps what the run left behind: members of the process group and the pids
 * listed (from the cgroup), which are ours as the subreaper. Returns when all
 * are gone or at the deadline, whichever comes first.
 */
static void reap_leftovers(pid_t pgid, pid_t *pids, size_t n, int64_t deadline, struct tree_usage *u)
{
	int64_t nap = 100 * 1000;
	bool group_done = false;
	for (;;) {
		struct rusage ru;
		int st;
		while (!group_done) {
			pid_t r = wait4(-pgid, &st, WNOHANG, &ru);
			if (r > 0)
				add_rusage(u, &ru);
			else if (r < 0 && errno == EINTR)
				continue;
			else {
				group_done = r < 0; /* ECHILD: none of our children left in it */
				break;
			}
		}
		bool all = group_done;
		for (size_t i = 0; i < n; i++) {
			if (!pids[i])
				continue;
			pid_t r = wait4(pids[i], &st, WNOHANG, &ru);
			if (r == pids[i]) {
				add_rusage(u, &ru);
				pids[i] = 0;
			} else if (r < 0 && errno == ECHILD && kill(pids[i], 0) != 0 && errno == ESRCH) {
				pids[i] = 0; /* gone, reaped by its own parent */
			} else {
				all = false; /* dying, or not yet reparented to us */
			}
		}
		if (all || bl_now_mono_ns() >= deadline)
			return;
		struct timespec ts = ns_to_timespec(nap);
		nanosleep(&ts, NULL);
		if (nap < 20 * 1000000LL)
			nap *= 2;
	}
}

/* Reads state and session of a process from /proc/PID/stat. */
static bool proc_state(pid_t pid, char *state, pid_t *sid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* pid (comm) state ppid pgrp session ...; comm may hold anything but ')' ends it last. */
	char *p = strrchr(buf, ')');
	long ppid, pgrp, session;
	if (!p || sscanf(p + 1, " %c %ld %ld %ld", state, &ppid, &pgrp, &session) != 4)
		return false;
	*sid = (pid_t)session;
	return true;
}

/*
 * Reaps zombie children from other sessions. A process that called setsid()
 * and exited while its parent was alive is reparented to us as a zombie when
 * the parent dies: it is in neither the process group nor cgroup.procs, and
 * nobody else will ever wait for it. Our own helper commands (proc.c) stay in
 * our session, so they are never touched; nor is anything still running.
 */
static void reap_orphan_zombies(struct tree_usage *u)
{
	siginfo_t si = {0};
	/* One syscall in the usual case: no zombie child at all. */
	if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid == 0)
		return;
	pid_t own_sid = getsid(0);
	DIR *tasks = opendir("/proc/self/task");
	if (!tasks)
		return;
	struct dirent *t;
	while ((t = readdir(tasks))) {
		long tid = strtol(t->d_name, NULL, 10);
		if (tid <= 0)
			continue;
		char path[64], buf[4096];
		snprintf(path, sizeof(path), "/proc/self/task/%ld/children", tid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		for (char *p = buf, *end; *p; p = end) {
			long v = strtol(p, &end, 10);
			if (end == p)
				break;
			char state;
			pid_t sid;
			struct rusage ru;
			int st;
			if (v > 0 && proc_state((pid_t)v, &state, &sid) && state == 'Z' && sid != own_sid &&
			    wait4((pid_t)v, &st, WNOHANG, &ru) == (pid_t)v)
				add_rusage(u, &ru);
		}
	}
	closedir(tasks);
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
	struct log_sink out, errs;
	sink_init(&out, log_cap);
	sink_init(&errs, log_cap);
	int out_w = -1, err_w = -1;
	bool merged = spec->stdout_path && spec->stderr_path && strcmp(spec->stdout_path, spec->stderr_path) == 0;
	int rc = 0;
	char *buf = NULL;

	if (spec->stdout_path && (out_w = open_log(&out, spec->stdout_path, err)) < 0)
		goto fail_logs;
	if (spec->stderr_path && !merged && (err_w = open_log(&errs, spec->stderr_path, err)) < 0)
		goto fail_logs;

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (out_w >= 0)
		posix_spawn_file_actions_adddup2(&fa, out_w, 1);
	else
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (err_w >= 0 || merged)
		posix_spawn_file_actions_adddup2(&fa, merged ? out_w : err_w, 2);
	else
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
	/* Descriptors other modules opened without O_CLOEXEC must not leak into
	 * the benchmark, nor keep our pipes open. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
	if (spec->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, spec->cwd);

	struct run_cgroup cg = {.dir_fd = -1, .procs_fd = -1};
	bool shared_locked = false;
	bool have_cg = !spec->no_cgroup && acquire_cgroup(&cg, &shared_locked);
	bool into_cgroup = false; /* cloned straight into it */
#ifdef POSIX_SPAWN_SETCGROUP
	into_cgroup = have_cg;
#endif
	bool rusage_peak = !(have_cg && g.cg_memory_peak);

	cpu_set_t *saved_cpus = NULL;
	size_t saved_size = 0;
	if (spec->cpus && spec->n_cpus &&
	    pin_thread(spec->cpus, spec->n_cpus, &saved_cpus, &saved_size, res->spawn_error,
		       sizeof(res->spawn_error)) != 0) {
		res->status = BL_RUN_SPAWN_FAILED;
		posix_spawn_file_actions_destroy(&fa);
		if (have_cg)
			release_cgroup(&cg, shared_locked);
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
			atomic_store(&g.cg_mode, CG_NONE);
			into_cgroup = false;
		}
	}
	if (src == 0 && have_cg && !into_cgroup) {
		/* First thing after the spawn: every microsecond here is one in
		 * which the child could fork something outside the cgroup. */
		char num[24];
		int len = snprintf(num, sizeof(num), "%ld", (long)pid);
		if (pwrite(cg.procs_fd, num, (size_t)len, 0) != len && errno != ESRCH) {
			/* Not allowed to move it after all: stop trying for good. */
			atomic_store(&g.cg_mode, CG_NONE);
			release_cgroup(&cg, shared_locked);
			have_cg = false;
			rusage_peak = true;
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
	close_fd(&out_w);
	close_fd(&err_w);

	if (src != 0) {
		res->status = BL_RUN_SPAWN_FAILED;
		spawn_error(spec, src, res);
		if (have_cg)
			release_cgroup(&cg, shared_locked);
		goto closed;
	}
	if (spec->on_start)
		spec->on_start(spec->ctx, pid);

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
		siginfo_t si;
		while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) != 0 && errno == EINTR)
			;
		t_exit = bl_now_mono_ns();
	} else {
		buf = bl_xmalloc(READ_CHUNK);
		efd = exit_fd(pid, &waiter);
		int64_t deadline = spec->timeout_s > 0 ? t0 + seconds_to_ns(spec->timeout_s) : 0;
		while (!t_exit) {
			int64_t now = bl_now_mono_ns();
			if (!term_sent && ((deadline && now >= deadline) || interrupted(spec))) {
				killed_for = deadline && now >= deadline ? BL_RUN_TIMEOUT : BL_RUN_INTERRUPTED;
				signal_run(pid, SIGTERM, &cg, have_cg);
				term_sent = true;
				kill_at = now + seconds_to_ns(grace_s);
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
			struct timespec ts = ns_to_timespec(wait_ns < 0 ? 0 : wait_ns);
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
				sink_drain(&out, buf);
			if (errs.pipe_fd >= 0 && pr > 0)
				sink_drain(&errs, buf);
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

	struct tree_usage usage = {0};
	pid_t left[512];
	size_t n_left = have_cg ? cgroup_pids(&cg, left, 512) : 0;
	if (term_sent && !kill_sent) {
		/* Stopped for time: the rest of the tree got SIGTERM too and keeps
		 * what is left of the grace period to finish on it. */
		reap_leftovers(pid, left, n_left, kill_at, &usage);
	}
	/* Signal the group only while some of our children are still in it:
	 * they hold its id, so it cannot have been reused by now. */
	siginfo_t si;
	if (waitid(P_PGID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0)
		kill(-pid, SIGKILL);
	if (have_cg) {
		n_left = cgroup_pids(&cg, left, 512);
		if (n_left)
			cgroup_kill_all(&cg);
	}
	reap_leftovers(pid, left, n_left, bl_now_mono_ns() + LEFTOVER_REAP_NS, &usage);
	reap_orphan_zombies(&usage);

	/* Whatever is still in the pipes, up to end of file. */
	int64_t drain_until = bl_now_mono_ns() + FINAL_DRAIN_NS;
	while (out.pipe_fd >= 0 || errs.pipe_fd >= 0) {
		int64_t now = bl_now_mono_ns();
		if (now >= drain_until)
			break;
		struct pollfd pfd[2];
		struct log_sink *sinks[2];
		nfds_t np = 0;
		if (out.pipe_fd >= 0) {
			sinks[np] = &out;
			pfd[np++] = (struct pollfd){.fd = out.pipe_fd, .events = POLLIN};
		}
		if (errs.pipe_fd >= 0) {
			sinks[np] = &errs;
			pfd[np++] = (struct pollfd){.fd = errs.pipe_fd, .events = POLLIN};
		}
		struct timespec ts = ns_to_timespec(drain_until - now);
		if (ppoll(pfd, np, &ts, NULL) <= 0)
			continue;
		for (nfds_t i = 0; i < np; i++)
			if (pfd[i].revents)
				sink_drain(sinks[i], buf);
	}

	res->wall_s = (double)(t_exit - t0) / 1e9;
	res->user_s = tv_seconds(ru.ru_utime) + usage.user_s;
	res->sys_s = tv_seconds(ru.ru_stime) + usage.sys_s;
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
		res->peak_rss_bytes = cgroup_memory_peak(&cg);
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
		release_cgroup(&cg, shared_locked);

closed:
	close_fd(&out_w);
	close_fd(&err_w);
	free(buf);
	sink_finish(&out);
	sink_finish(&errs);
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
	close_fd(&out_w);
	close_fd(&out.pipe_fd);
	close_fd(&out.file_fd);
	close_fd(&errs.pipe_fd);
	close_fd(&errs.file_fd);
	return -1;
}

/* ---- log tails ---------------------------------------------------------- */

int bl_log_tail(const char *path, int max_lines, struct bl_buf *out, struct bl_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bl_fail_errno(err, errno, "cannot open log file '%s'", path);
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return bl_fail_errno(err, e, "cannot read log file '%s'", path);
	}
	char buf[LOG_TAIL_MAX];
	off_t from = st.st_size > LOG_TAIL_MAX ? st.st_size - LOG_TAIL_MAX : 0;
	size_t len = 0;
	while (len < sizeof(buf)) {
		ssize_t n = pread(fd, buf + len, sizeof(buf) - len, from + (off_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			return bl_fail_errno(err, e, "cannot read log file '%s'", path);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (max_lines <= 0 || len == 0)
		return 0;
	/* A final newline ends the last line; it does not start an empty one. */
	size_t end = len;
	if (buf[end - 1] == '\n')
		end--;
	size_t start = end;
	int lines = 0;
	while (start > 0) {
		if (buf[start - 1] == '\n' && ++lines == max_lines)
			break;
		start--;
	}
	/* Started mid-file without finding enough lines: the first one is cut;
	 * drop it unless it is all we have. */
	if (start == 0 && from > 0) {
		char *nl = memchr(buf, '\n', end);
		if (nl)
			start = (size_t)(nl - buf) + 1;
	}
	bl_buf_append(out, buf + start, len - start);
	return 0;
}
