/*
 * runner.h - runs one benchmark process and measures it.
 *
 * The child is spawned without a shell (argv[0] looked up in benchline's own
 * PATH, as execvp does) in its own process group, with the given environment
 * and working directory, stdin from /dev/null, a default signal state and no
 * other inherited descriptors. Wall time comes from the monotonic clock.
 * User/system CPU covers the whole process tree: wait4() rusage of the child,
 * its waited-for descendants, and every leftover benchline reaps as the child
 * subreaper. Peak memory is the cgroup v2 memory.peak of the run when the
 * machine delegates a memory controller to us, otherwise ru_maxrss
 * (peak_source says which). On timeout the whole group gets SIGTERM, then
 * SIGKILL after grace_s. When the main process exits, anything it left
 * running in its group (or its cgroup, where one can be made) is killed and
 * reaped. The process becomes a child subreaper on the first run, and after
 * each run reaps zombie children from sessions other than its own (orphans
 * of daemonized processes): a helper that another module waits for must not
 * be started in a new session.
 *
 * stdout and stderr are written to log files capped at log_cap bytes each:
 * the first part is kept, then a marker line with the number of bytes
 * dropped, then the last 16 KiB, so a benchmark printing gigabytes costs
 * neither memory nor disk.
 */
#ifndef BENCHLINE_RUNNER_H
#define BENCHLINE_RUNNER_H

#include "benchline/common.h"
#include <sys/types.h>

enum bl_run_status {
	BL_RUN_OK = 0,       /* exited with status 0 */
	BL_RUN_FAILED,       /* exited with a non-zero status */
	BL_RUN_CRASHED,      /* killed by a signal it did not get from us */
	BL_RUN_TIMEOUT,      /* killed by us after timeout_s */
	BL_RUN_SPAWN_FAILED, /* could not start (missing program, bad cwd) */
	BL_RUN_INTERRUPTED,  /* killed by us because the sweep was interrupted */
};
const char *bl_run_status_name(enum bl_run_status s); /* "ok", "failed", "crashed", "timeout", ... */

struct bl_run_spec {
	char *const *argv;       /* argv[0] looked up in PATH */
	const char *cwd;         /* NULL: inherit */
	char *const *envp;       /* full environment of the child; NULL: inherit */
	double timeout_s;        /* 0: none */
	double grace_s;          /* between TERM and KILL; 0 means 2 s */
	const char *stdout_path; /* NULL: /dev/null */
	const char *stderr_path; /* NULL: /dev/null; the same path as stdout_path: one log of both */
	size_t log_cap;          /* bytes kept per stream; 0 means 1 MiB */
	const int *cpus;         /* CPU affinity of the child, NULL: inherit */
	size_t n_cpus;
	bool no_cgroup;          /* do not try to create a cgroup */
	/* Polled while waiting; when it becomes non-zero the run is killed and
	 * reported as BL_RUN_INTERRUPTED. May be NULL. */
	const volatile int *interrupt;
	/* Called right after the child started and right after it was reaped
	 * (e.g. to start and stop a sampler). May be NULL. cgroup_fd is the
	 * directory of the run's own cgroup v2 when it holds the child's whole
	 * tree: the child was cloned into it, or joined it before starting
	 * anything. -1 when the run has none, or when the child may have forked
	 * before joining (glibc < 2.39, runner.c). It is the runner's, open
	 * until on_exit returns (openat it, never close it). */
	void (*on_start)(void *ctx, pid_t pid, int cgroup_fd);
	void (*on_exit)(void *ctx);
	void *ctx;
};

enum bl_peak_source {
	BL_PEAK_NONE = 0,
	BL_PEAK_RUSAGE,  /* ru_maxrss of the largest waited-for process */
	BL_PEAK_CGROUP,  /* memory.peak of the run's own cgroup v2 */
};

struct bl_run_result {
	enum bl_run_status status;
	int exit_code;          /* when exited */
	int term_signal;        /* when killed by a signal */
	int64_t start_unix_ns;  /* wall-clock start, for provenance */
	double wall_s;          /* monotonic, from just before the spawn to the exit */
	double user_s;
	double sys_s;
	/* -1 when unknown; that includes a child whose ru_maxrss does not exceed
	 * benchline's own memory, which the kernel reports in its place */
	int64_t peak_rss_bytes;
	enum bl_peak_source peak_source;
	uint64_t stdout_bytes;  /* total written by the child, kept or not; 0 when not logged */
	uint64_t stderr_bytes;  /* 0 when not logged or logged together with stdout */
	char spawn_error[256];  /* why it could not start, for BL_RUN_SPAWN_FAILED */
};

/* Returns -1 only for internal failures (cannot create a pipe or log file);
 * everything that concerns the benchmark itself is reported in res. */
int bl_run(const struct bl_run_spec *spec, struct bl_run_result *res, struct bl_error *err);

/* What the runner can use on this machine, probed once per process: for the
 * environment snapshot and for notices ("peak memory from rusage"). */
struct bl_runner_caps {
	bool cgroup;             /* runs get a cgroup v2 of their own */
	bool cgroup_memory_peak; /* ... with memory.peak, so peak_source is BL_PEAK_CGROUP */
	bool cgroup_kill;        /* ... with cgroup.kill, so even daemons that left the group die */
	bool subreaper;          /* orphaned descendants are reparented to benchline and reaped */
	bool hiwater_reset;      /* a rusage peak can be told apart from benchline's own size */
	char cgroup_parent[256]; /* where run cgroups are made; empty without */
};
void bl_runner_caps(struct bl_runner_caps *caps);

/* Reads the last max_lines lines (at most 8 KiB) of a log file into out. */
int bl_log_tail(const char *path, int max_lines, struct bl_buf *out, struct bl_error *err);

#endif
