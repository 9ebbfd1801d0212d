/*
 * runner_internal.h - what the files of the runner share. Not public: the rest of benchline runs processes through
 * benchline/runner.h.
 *
 * The runner, one job per file:
 *   runner.c         spawn, wait, kill and measure one run (bl_run); the design comment for all of them
 *   runner_cgroup.c  the cgroup v2 probe, the run's cgroup (shared or per run), its pids, kill and memory.peak
 *   runner_log.c     the capped log files (head, marker, tail) and bl_log_tail
 *   runner_reap.c    what a run leaves behind: leftovers of its group or cgroup, zombies from other sessions
 */
#ifndef BENCHLINE_RUNNER_INTERNAL_H
#define BENCHLINE_RUNNER_INTERNAL_H

#include "benchline/runner.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* Bounds the pids handled per look at a cgroup, so that their lists can live on the stack. */
#define BL_CG_PIDS_MAX 512
/* One read from a pipe; also the size of the buffer bl_run hands to bl_sink_drain. */
#define BL_SINK_READ_CHUNK (64 * 1024)

static inline void bl_rn_close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* Seconds to nanoseconds, saturating: a timeout of 1e300 s means "never". */
static inline int64_t bl_rn_seconds_to_ns(double s)
{
	return s >= 1e9 ? (int64_t)1e18 : (int64_t)(s * 1e9);
}

static inline struct timespec bl_rn_timespec(int64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000LL), .tv_nsec = (long)(ns % 1000000000LL)};
	return ts;
}

static inline double bl_rn_tv_seconds(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* ---- runner.c: small readers for /proc and cgroup files ------------------------------------------------------ */

/* Reads fd from its start with a single read, as /proc and cgroup files hand over their text, into buf (size > 1)
 * and NUL-terminates it; returns the length, or -1 when unreadable or empty. */
ssize_t bl_rn_pread_text(int fd, char *buf, size_t size);
/* The same for dir_fd/path (AT_FDCWD for an absolute path), opened for just this read. */
ssize_t bl_rn_read_text(int dir_fd, const char *path, char *buf, size_t size);
/* Parses a list of pids separated by white space (cgroup.procs, /proc/.../children), skipping any that are not
 * positive; stores at most cap and returns how many. */
size_t bl_rn_parse_pids(const char *text, pid_t *pids, size_t cap);

/* ---- runner_cgroup.c ----------------------------------------------------------------------------------------- */

/* The cgroup of one run, from bl_cg_acquire to bl_cg_release. */
struct bl_run_cgroup {
	char *path;
	int dir_fd;       /* O_DIRECTORY; for CLONE_INTO_CGROUP and openat */
	int procs_fd;     /* cgroup.procs, read and write */
	bool owned;       /* created for this run: removed at its end */
	bool memory_peak; /* memory.peak is there: the run's peak comes from it, not from rusage */
};

/* Decides, once per process (from runner_init), whether runs get a cgroup and which kind. */
void bl_cg_probe(void);
/* Fills the cgroup fields of caps from the probe and from what later runs found out. */
void bl_cg_caps(struct bl_runner_caps *caps);
/* Gets the cgroup for one run: the shared one if free (then *shared_locked), else a fresh one. False: none. */
bool bl_cg_acquire(struct bl_run_cgroup *cg, bool *shared_locked);
void bl_cg_release(struct bl_run_cgroup *cg, bool shared_locked);
/* Moves a freshly spawned child into the cgroup. False when the kernel refused (a child that is already gone is
 * fine): the caller then drops the cgroup with bl_cg_disable. */
bool bl_cg_join(const struct bl_run_cgroup *cg, pid_t pid);
/* Stops giving runs a cgroup, for the rest of the process: joining one failed and would fail again. */
void bl_cg_disable(void);
/* The pids in the cgroup, at most cap of them; returns how many. */
size_t bl_cg_pids(const struct bl_run_cgroup *cg, pid_t *pids, size_t cap);
/* Sends sig to what the cgroup lists, except members of process group skip_pgid (0: skips none). */
void bl_cg_signal(const struct bl_run_cgroup *cg, int sig, pid_t skip_pgid);
/* SIGKILL to everything in the cgroup: cgroup.kill where there is one, else to each pid listed. */
void bl_cg_kill_all(const struct bl_run_cgroup *cg);
/* memory.peak of the cgroup in bytes, -1 when unreadable. */
int64_t bl_cg_memory_peak(const struct bl_run_cgroup *cg);

/* ---- runner_log.c -------------------------------------------------------------------------------------------- */

/* One output stream of the child: a pipe read by us, a log file capped at head_cap + ring_cap bytes. */
struct bl_log_sink {
	int pipe_fd;        /* read end, -1 once at end of file */
	int file_fd;        /* -1 when the stream goes to /dev/null */
	const char *path;   /* borrowed from the spec, for messages */
	uint64_t total;     /* everything the child wrote */
	uint64_t head_cap;  /* first bytes, written to the file as they come */
	uint64_t head_len;
	char last_head;     /* last byte of the head, to start the marker on its own line */
	char *ring;         /* last bytes, allocated once the head is full */
	size_t ring_cap, ring_len, ring_pos;
	int write_errno;    /* first write error; draining goes on regardless */
};

void bl_sink_init(struct bl_log_sink *s, size_t log_cap);
/* Creates the log file and the pipe; returns the write end for the child, or -1 with err set. */
int bl_sink_open(struct bl_log_sink *s, const char *path, struct bl_error *err);
/* Reads what is in the pipe (buf: BL_SINK_READ_CHUNK bytes); returns false once it reached end of file. */
bool bl_sink_drain(struct bl_log_sink *s, char *buf);
/* Drains both sinks until their pipes reach end of file or the monotonic deadline passes. */
void bl_sink_drain_until(struct bl_log_sink *a, struct bl_log_sink *b, char *buf, int64_t deadline_ns);
/* Writes the marker and the tail, closes everything; write_errno tells whether the log is complete. */
void bl_sink_finish(struct bl_log_sink *s);
/* Closes the pipe and the file without writing anything more: the run never started. */
void bl_sink_close(struct bl_log_sink *s);

/* ---- runner_reap.c ------------------------------------------------------------------------------------------- */

/* CPU time and peak of the processes reaped besides the main one. */
struct bl_tree_usage {
	double user_s, sys_s;
	long leftover_maxrss_kb;
};

/* Reaps members of process group pgid and the listed pids (ours as the subreaper; each is zeroed once gone) until
 * all are gone or the monotonic deadline passes, adding their rusage to u. */
void bl_reap_leftovers(pid_t pgid, pid_t *pids, size_t n, int64_t deadline_ns, struct bl_tree_usage *u);
/* Reaps zombie children from sessions other than ours, adding their rusage to u. */
void bl_reap_orphan_zombies(struct bl_tree_usage *u);
/* SIGKILLs every live child of ours (reparented to us as the subreaper) in a session other than ours: a process
 * of the run that called setsid() outside its cgroup. Lists up to cap of them in pids, returns how many. */
size_t bl_kill_escaped(pid_t *pids, size_t cap);

#endif
