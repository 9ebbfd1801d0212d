/*
 * proc.c - run a helper command (git, a build step) and collect its output.
 *
 * The child gets its own process group so a timeout can kill everything it
 * started. The parent drains stdout/stderr through pipes with poll() so a
 * chatty child never blocks on a full pipe; output beyond max_output is read
 * and dropped.
 */
#include "benchline/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void drain(int *fd, struct bl_buf *into, size_t cap)
{
	char chunk[16384];
	ssize_t n = read(*fd, chunk, sizeof(chunk));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(*fd);
		*fd = -1;
		return;
	}
	if (into && into->len < cap) {
		size_t keep = (size_t)n;
		if (keep > cap - into->len)
			keep = cap - into->len;
		bl_buf_append(into, chunk, keep);
	}
}

static void kill_group(pid_t pid, int sig)
{
	if (kill(-pid, sig) != 0)
		kill(pid, sig);
}

int bl_proc_run(char *const argv[], const struct bl_proc_opts *opts, struct bl_buf *out, struct bl_buf *err_out,
		struct bl_proc_result *res, struct bl_error *err)
{
	static const struct bl_proc_opts defaults = {.out_fd = -1};
	if (!opts)
		opts = &defaults;
	size_t cap = opts->max_output ? opts->max_output : (size_t)64 << 20;
	int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1}, in_pipe[2] = {-1, -1};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	memset(res, 0, sizeof(*res));

	if (opts->out_fd < 0 && (pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC)))
		goto pipe_fail;
	if (opts->stdin_data && pipe2(in_pipe, O_CLOEXEC))
		goto pipe_fail;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	if (opts->stdin_data)
		posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (opts->out_fd >= 0) {
		posix_spawn_file_actions_adddup2(&fa, opts->out_fd, 1);
		posix_spawn_file_actions_adddup2(&fa, opts->out_fd, 2);
	} else {
		posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
		posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
	}
	if (opts->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, opts->cwd);

	int64_t t0 = bl_now_mono_ns();
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, opts->envp ? opts->envp : environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (out_pipe[1] >= 0)
		close(out_pipe[1]);
	if (err_pipe[1] >= 0)
		close(err_pipe[1]);
	if (in_pipe[0] >= 0)
		close(in_pipe[0]);
	if (rc != 0) {
		if (out_pipe[0] >= 0)
			close(out_pipe[0]);
		if (err_pipe[0] >= 0)
			close(err_pipe[0]);
		if (in_pipe[1] >= 0)
			close(in_pipe[1]);
		if (opts->cwd && rc == ENOENT && access(opts->cwd, X_OK) != 0)
			return bl_fail_errno(err, errno, "cannot run '%s' in '%s'", argv[0], opts->cwd);
		return bl_fail_errno(err, rc, "cannot run '%s'", argv[0]);
	}

	/* Feed stdin while draining output; stdin data is small (rev lists). */
	const char *in_p = opts->stdin_data;
	size_t in_left = opts->stdin_len;
	if (in_pipe[1] >= 0)
		fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
	int ofd = out_pipe[0], efd = err_pipe[0], ifd = in_pipe[1];
	if (ifd >= 0 && in_left == 0) {
		close(ifd);
		ifd = -1;
	}
	int64_t deadline = opts->timeout_s > 0 ? t0 + (int64_t)(opts->timeout_s * 1e9) : 0;
	int64_t kill_at = 0;
	int status = 0;
	bool reaped = false;
	/* A pidfd becomes readable when the child exits, so one poll() waits for
	 * output, exit and the deadline together without busy waiting. */
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	while (ofd >= 0 || efd >= 0 || ifd >= 0 || !reaped) {
		struct pollfd pfd[4];
		int np = 0;
		if (ofd >= 0)
			pfd[np++] = (struct pollfd){.fd = ofd, .events = POLLIN};
		if (efd >= 0)
			pfd[np++] = (struct pollfd){.fd = efd, .events = POLLIN};
		if (ifd >= 0)
			pfd[np++] = (struct pollfd){.fd = ifd, .events = POLLOUT};
		if (!reaped && pidfd >= 0)
			pfd[np++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
		bool watching = deadline || opts->interrupt || kill_at;
		if (!reaped && np == 0 && !watching) {
			/* Nothing to read and nothing to watch: just wait. */
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			reaped = true;
			continue;
		}
		int wait_ms = watching ? 50 : reaped ? 100 : pidfd >= 0 ? 1000 : 10;
		/* Whether this poll started after the child was reaped: only such a
		 * poll finding nothing proves the pipes hold no more of its output. */
		bool polled_after_reap = reaped;
		int pr = poll(pfd, (nfds_t)np, wait_ms);
		if (pr < 0 && errno != EINTR)
			break;
		for (int i = 0; i < np && pr > 0; i++) {
			if (!pfd[i].revents)
				continue;
			if (pfd[i].fd == ofd)
				drain(&ofd, out, cap);
			else if (pfd[i].fd == efd)
				drain(&efd, err_out, cap);
			else if (pfd[i].fd == ifd) {
				ssize_t w = write(ifd, in_p, in_left);
				if (w > 0) {
					in_p += w;
					in_left -= (size_t)w;
				}
				if ((w < 0 && errno != EAGAIN && errno != EINTR) || in_left == 0) {
					close(ifd);
					ifd = -1;
				}
			}
		}
		if (!reaped && waitpid(pid, &status, WNOHANG) == pid)
			reaped = true;
		int64_t now = bl_now_mono_ns();
		bool stop = deadline && now > deadline;
		if (!stop && opts->interrupt && *opts->interrupt) {
			stop = true;
			res->interrupted = true;
		}
		if (!reaped && (stop || kill_at)) {
			if (!kill_at) {
				res->timed_out = !res->interrupted;
				kill_group(pid, SIGTERM);
				kill_at = now + 2000000000LL;
			} else if (now > kill_at) {
				kill_group(pid, SIGKILL);
				kill_at = INT64_MAX;
			}
		}
		/* Grandchildren may hold the pipes open after the child exited;
		 * stop listening once the group leader is gone and killed. */
		if (reaped && (ofd >= 0 || efd >= 0)) {
			kill_group(pid, SIGKILL);
			/* Not after a poll that timed out before the reap: the child
			 * may have written its last output and exited in between
			 * (seen under valgrind, where there is no pidfd and the poll
			 * waits 10 ms: 'git cat-file gave no answer'). */
			if (pr == 0 && polled_after_reap) {
				if (ofd >= 0)
					close(ofd);
				if (efd >= 0)
					close(efd);
				ofd = efd = -1;
			}
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	if (ifd >= 0)
		close(ifd);
	if (!reaped)
		waitpid(pid, &status, 0);
	res->wall_s = (double)(bl_now_mono_ns() - t0) / 1e9;
	if (WIFEXITED(status)) {
		res->exit_code = WEXITSTATUS(status);
	} else {
		res->exit_code = -1;
		res->term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	}
	if (res->timed_out || res->interrupted)
		res->exit_code = -1;
	return 0;

pipe_fail:;
	int e = errno;
	int fds[6] = {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1], in_pipe[0], in_pipe[1]};
	for (int i = 0; i < 6; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return bl_fail_errno(err, e, "cannot create pipe for '%s'", argv[0]);
}
