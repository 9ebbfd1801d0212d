/* common.c - errors, allocation, buffers, string lists, small file helpers. */
#include "benchline/common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int bl_fail(struct bl_error *err, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -1;
}

int bl_fail_errno(struct bl_error *err, int errnum, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < sizeof(err->msg))
			snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", strerror(errnum));
	}
	return -1;
}

int bl_error_prefix(struct bl_error *err, const char *fmt, ...)
{
	if (err) {
		char prefix[1024];
		char old[sizeof(err->msg)];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(prefix, sizeof(prefix), fmt, ap);
		va_end(ap);
		memcpy(old, err->msg, sizeof(old));
		size_t n = strlen(prefix);
		if (n > sizeof(err->msg) - 3)
			n = sizeof(err->msg) - 3;
		memcpy(err->msg, prefix, n);
		memcpy(err->msg + n, ": ", 2);
		size_t rest = sizeof(err->msg) - n - 3;
		size_t ol = strnlen(old, rest);
		memcpy(err->msg + n + 2, old, ol);
		err->msg[n + 2 + ol] = '\0';
	}
	return -1;
}

void bl_error_clear(struct bl_error *err)
{
	if (err)
		err->msg[0] = '\0';
}

static void oom(size_t n)
{
	fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", n);
	abort();
}

void *bl_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *bl_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *bl_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *bl_xstrdup(const char *s)
{
	return bl_xstrndup(s, strlen(s));
}

char *bl_xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = bl_xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *bl_xasprintf(const char *fmt, ...)
{
	struct bl_buf b;
	va_list ap;
	bl_buf_init(&b);
	va_start(ap, fmt);
	bl_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return bl_buf_detach(&b);
}

void bl_grow(void **items, size_t *cap, size_t need, size_t elem_size)
{
	if (need <= *cap)
		return;
	size_t n = *cap ? *cap : 8;
	while (n < need) {
		if (n > SIZE_MAX / 2 / elem_size)
			oom(SIZE_MAX);
		n *= 2;
	}
	*items = bl_xrealloc(*items, n * elem_size);
	*cap = n;
}

static char bl_buf_empty[1];

void bl_buf_init(struct bl_buf *b)
{
	b->data = bl_buf_empty;
	b->len = 0;
	b->cap = 0;
}

void bl_buf_release(struct bl_buf *b)
{
	if (b->cap)
		free(b->data);
	bl_buf_init(b);
}

void bl_buf_reset(struct bl_buf *b)
{
	b->len = 0;
	if (b->cap)
		b->data[0] = '\0';
}

static void buf_reserve(struct bl_buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t want = b->len + extra + 1;
	size_t n = b->cap ? b->cap : 64;
	while (n < want) {
		if (n > SIZE_MAX / 2)
			oom(want);
		n *= 2;
	}
	char *p = b->cap ? bl_xrealloc(b->data, n) : bl_xmalloc(n);
	if (!b->cap)
		p[0] = '\0';
	b->data = p;
	b->cap = n;
}

void bl_buf_append(struct bl_buf *b, const void *data, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void bl_buf_puts(struct bl_buf *b, const char *s)
{
	bl_buf_append(b, s, strlen(s));
}

void bl_buf_putc(struct bl_buf *b, char c)
{
	buf_reserve(b, 1); /* no memcpy call for one byte: report data is written a character at a time */
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void bl_buf_vprintf(struct bl_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	char small[256];
	int n = vsnprintf(small, sizeof(small), fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		bl_buf_append(b, small, (size_t)n);
		return;
	}
	buf_reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void bl_buf_printf(struct bl_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bl_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void bl_buf_rtrim(struct bl_buf *b)
{
	while (b->len && (b->data[b->len - 1] == '\n' || b->data[b->len - 1] == '\r' || b->data[b->len - 1] == ' ' ||
			  b->data[b->len - 1] == '\t'))
		b->len--;
	if (b->cap)
		b->data[b->len] = '\0';
}

char *bl_buf_detach(struct bl_buf *b)
{
	char *p = b->cap ? b->data : bl_xstrdup("");
	bl_buf_init(b);
	return p;
}

void bl_strvec_init(struct bl_strvec *sv)
{
	sv->v = bl_xcalloc(1, sizeof(char *));
	sv->n = 0;
	sv->cap = 1;
}

void bl_strvec_release(struct bl_strvec *sv)
{
	if (sv->v) {
		for (size_t i = 0; i < sv->n; i++)
			free(sv->v[i]);
		free(sv->v);
	}
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

void bl_strvec_push_owned(struct bl_strvec *sv, char *s)
{
	if (!sv->v)
		bl_strvec_init(sv);
	BL_GROW(sv->v, sv->cap, sv->n + 2);
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void bl_strvec_push(struct bl_strvec *sv, const char *s)
{
	bl_strvec_push_owned(sv, bl_xstrdup(s));
}

void bl_strvec_pushf(struct bl_strvec *sv, const char *fmt, ...)
{
	struct bl_buf b;
	va_list ap;
	bl_buf_init(&b);
	va_start(ap, fmt);
	bl_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	bl_strvec_push_owned(sv, bl_buf_detach(&b));
}

void bl_strvec_copy(struct bl_strvec *dst, const struct bl_strvec *src)
{
	bl_strvec_init(dst);
	for (size_t i = 0; i < src->n; i++)
		bl_strvec_push(dst, src->v[i]);
}

int bl_read_file(const char *path, struct bl_buf *b, struct bl_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bl_fail_errno(err, errno, "cannot open '%s'", path);
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			return bl_fail_errno(err, e, "cannot read '%s'", path);
		}
		if (n == 0)
			break;
		bl_buf_append(b, chunk, (size_t)n);
	}
	close(fd);
	return 0;
}

int bl_write_file_atomic(const char *path, const void *data, size_t n, struct bl_error *err)
{
	char *tmp = bl_xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;
		free(tmp);
		return bl_fail_errno(err, e, "cannot create '%s'", path);
	}
	const char *p = data;
	size_t left = n;
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			unlink(tmp);
			free(tmp);
			return bl_fail_errno(err, e, "cannot write '%s'", path);
		}
		p += w;
		left -= (size_t)w;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		free(tmp);
		return bl_fail_errno(err, e, "cannot write '%s'", path);
	}
	free(tmp);
	return 0;
}

int bl_mkdirs(const char *path, int mode, struct bl_error *err)
{
	char *p = bl_xstrdup(path);
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) {
				int e = errno;
				bl_fail_errno(err, e, "cannot create directory '%s'", p);
				free(p);
				return -1;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	struct stat st;
	if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
		bl_fail(err, "cannot create directory '%s': not a directory", p);
		free(p);
		return -1;
	}
	free(p);
	return 0;
}

static int remove_at(int parent, const char *name, const char *shown, struct bl_error *err)
{
	struct stat st;
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : bl_fail_errno(err, errno, "cannot remove '%s'", shown);
	if (S_ISDIR(st.st_mode)) {
		int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return bl_fail_errno(err, errno, "cannot remove '%s'", shown);
		DIR *d = fdopendir(fd);
		if (!d) {
			close(fd);
			return bl_fail_errno(err, errno, "cannot remove '%s'", shown);
		}
		struct dirent *de;
		int rc = 0;
		while (rc == 0 && (de = readdir(d)) != NULL) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			rc = remove_at(dirfd(d), de->d_name, shown, err);
		}
		closedir(d);
		if (rc)
			return rc;
		if (unlinkat(parent, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
			return bl_fail_errno(err, errno, "cannot remove '%s'", shown);
		return 0;
	}
	if (unlinkat(parent, name, 0) != 0 && errno != ENOENT)
		return bl_fail_errno(err, errno, "cannot remove '%s'", shown);
	return 0;
}

int bl_remove_tree(const char *path, struct bl_error *err)
{
	return remove_at(AT_FDCWD, path, path, err);
}

int64_t bl_now_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t bl_now_unix_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void bl_format_utc(int64_t unix_s, char out[32])
{
	time_t t = (time_t)unix_s;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int bl_parse_int64(const char *s, int64_t *out)
{
	if (!s || !*s)
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || end == s)
		return -1;
	*out = v;
	return 0;
}

int bl_parse_double(const char *s, double *out)
{
	if (!s || !*s)
		return -1;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || end == s || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

void bl_parallel(void *(*fn)(void *), void *const *args, unsigned n)
{
	pthread_t *t = bl_xcalloc(n ? n : 1, sizeof(*t));
	bool *started = bl_xcalloc(n ? n : 1, sizeof(bool));
	for (unsigned k = 1; k < n; k++)
		started[k] = pthread_create(&t[k], NULL, fn, args[k]) == 0;
	if (n)
		fn(args[0]);
	/* a worker that could not start: its share is done here, after the others */
	for (unsigned k = 1; k < n; k++)
		if (started[k])
			pthread_join(t[k], NULL);
		else
			fn(args[k]);
	free(started);
	free(t);
}
