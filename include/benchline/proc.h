/*
 * proc.h - run a helper command (git, the build) and collect its output.
 *
 * This is for commands benchline itself needs. Benchmarks are run with
 * runner.h, which adds resource accounting, process-group kills and size
 * capped logs. Both spawn without a shell: argv[0] is looked up in PATH.
 */
#ifndef BENCHLINE_PROC_H
#define BENCHLINE_PROC_H

#include "benchline/common.h"

struct bl_proc_opts {
	const char *cwd;          /* NULL: inherit */
	char *const *envp;        /* NULL: inherit environ */
	const char *stdin_data;   /* NULL: stdin is /dev/null */
	size_t stdin_len;
	size_t max_output;        /* cap per stream, 0: 64 MiB; the rest is discarded */
	double timeout_s;         /* 0: none. On expiry the process group gets TERM then KILL */
	int out_fd;               /* >= 0: stdout AND stderr go to this fd instead of buffers */
	/* Polled while waiting; when non-zero the group is killed as on a
	 * timeout and res->interrupted is set. May be NULL. */
	const volatile int *interrupt;
};

struct bl_proc_result {
	int exit_code;   /* exit status, or -1 when signalled/timed out */
	int term_signal; /* signal number when killed by a signal, else 0 */
	bool timed_out;
	bool interrupted;
	double wall_s;
};

/*
 * Runs argv to completion. out/err (may be NULL) receive stdout/stderr when
 * opts->out_fd < 0. Returns -1 only when the command could not be started
 * (message names argv[0]); a non-zero exit is reported in res, not as error.
 */
int bl_proc_run(char *const argv[], const struct bl_proc_opts *opts, struct bl_buf *out, struct bl_buf *err_out,
		struct bl_proc_result *res, struct bl_error *err);

#endif
