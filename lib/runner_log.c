/*
 * runner_log.c - the capped log files of a run (head, marker line, tail: why, in the design comment of runner.c)
 * and reading their tails back. bl_run drains the pipes while the child runs, since a full pipe would stall it,
 * and once more after it exited.
 */
#include "runner_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LOG_TAIL_BYTES (16 * 1024)
#define LOG_TAIL_MAX 8192

void bl_sink_init(struct bl_log_sink *s, size_t log_cap)
{
	memset(s, 0, sizeof(*s));
	s->pipe_fd = s->file_fd = -1;
	size_t tail = log_cap / 2 < LOG_TAIL_BYTES ? log_cap / 2 : LOG_TAIL_BYTES;
	s->ring_cap = tail;
	s->head_cap = log_cap - tail;
}

int bl_sink_open(struct bl_log_sink *s, const char *path, struct bl_error *err)
{
	s->path = path;
	s->file_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (s->file_fd < 0)
		return bl_fail_errno(err, errno, "cannot create log file '%s'", path);
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0) {
		int e = errno;
		bl_rn_close_fd(&s->file_fd);
		return bl_fail_errno(err, e, "cannot create a pipe for '%s'", path);
	}
	/* Only our end is non-blocking: the child writes as it always would. */
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	s->pipe_fd = p[0];
	return p[1];
}

static void sink_write(struct bl_log_sink *s, const char *p, size_t n)
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

static void sink_feed(struct bl_log_sink *s, const char *p, size_t n)
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

bool bl_sink_drain(struct bl_log_sink *s, char *buf)
{
	/* A bounded number of reads, so one chatty stream cannot starve the
	 * other or delay noticing the exit. */
	for (int i = 0; i < 16; i++) {
		ssize_t n = read(s->pipe_fd, buf, BL_SINK_READ_CHUNK);
		if (n > 0) {
			sink_feed(s, buf, (size_t)n);
			if ((size_t)n < BL_SINK_READ_CHUNK)
				return true;
			continue;
		}
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return true;
		bl_rn_close_fd(&s->pipe_fd);
		return false;
	}
	return true;
}

void bl_sink_drain_until(struct bl_log_sink *a, struct bl_log_sink *b, char *buf, int64_t deadline_ns)
{
	while (a->pipe_fd >= 0 || b->pipe_fd >= 0) {
		int64_t now = bl_now_mono_ns();
		if (now >= deadline_ns)
			break;
		struct pollfd pfd[2];
		struct bl_log_sink *sinks[2];
		nfds_t np = 0;
		if (a->pipe_fd >= 0) {
			sinks[np] = a;
			pfd[np++] = (struct pollfd){.fd = a->pipe_fd, .events = POLLIN};
		}
		if (b->pipe_fd >= 0) {
			sinks[np] = b;
			pfd[np++] = (struct pollfd){.fd = b->pipe_fd, .events = POLLIN};
		}
		struct timespec ts = bl_rn_timespec(deadline_ns - now);
		if (ppoll(pfd, np, &ts, NULL) <= 0)
			continue;
		for (nfds_t i = 0; i < np; i++)
			if (pfd[i].revents)
				bl_sink_drain(sinks[i], buf);
	}
}

void bl_sink_finish(struct bl_log_sink *s)
{
	bl_rn_close_fd(&s->pipe_fd);
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

void bl_sink_close(struct bl_log_sink *s)
{
	bl_rn_close_fd(&s->pipe_fd);
	bl_rn_close_fd(&s->file_fd);
	free(s->ring);
	s->ring = NULL;
}

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
