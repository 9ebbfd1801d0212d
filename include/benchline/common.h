/*
 * common.h - the few building blocks every part of benchline uses:
 * error reporting, allocation that aborts on exhaustion, a growable byte
 * buffer and a growable list of strings.
 *
 * Error convention: library functions return 0 on success and -1 on failure.
 * On failure they fill the caller's struct bl_error with a complete, lowercase
 * message that says what failed and on which object ("cannot open
 * 'x.yaml': No such file or directory"). On success the error is untouched.
 * Only src/ prints messages and chooses exit codes.
 */
#ifndef BENCHLINE_COMMON_H
#define BENCHLINE_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BL_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

struct bl_error {
	char msg[4096]; /* NUL-terminated message, empty when no error was set */
};

/* Sets the message and returns -1, so `return bl_fail(err, ...)` reads well. */
int bl_fail(struct bl_error *err, const char *fmt, ...) BL_PRINTF(2, 3);
/* As bl_fail, appending ": strerror(errnum)". */
int bl_fail_errno(struct bl_error *err, int errnum, const char *fmt, ...) BL_PRINTF(3, 4);
/* Prepends context: "CONTEXT: previous message". Returns -1. */
int bl_error_prefix(struct bl_error *err, const char *fmt, ...) BL_PRINTF(2, 3);
void bl_error_clear(struct bl_error *err);

/* Allocation wrappers: they abort with a message when memory is exhausted. */
void *bl_xmalloc(size_t n);
void *bl_xcalloc(size_t n, size_t size);
void *bl_xrealloc(void *p, size_t n);
char *bl_xstrdup(const char *s);
char *bl_xstrndup(const char *s, size_t n);
char *bl_xasprintf(const char *fmt, ...) BL_PRINTF(1, 2);

/* Grows *items (of *cap elements of elem_size) so that it holds at least need. */
void bl_grow(void **items, size_t *cap, size_t need, size_t elem_size);
#define BL_GROW(arr, cap, need) bl_grow((void **)&(arr), &(cap), (need), sizeof(*(arr)))

/*
 * A growable byte buffer. data is never NULL after bl_buf_init and is always
 * NUL-terminated; len excludes the terminator. bl_buf_detach hands the
 * allocation to the caller and re-initialises the buffer.
 */
struct bl_buf {
	char *data;
	size_t len;
	size_t cap;
};
void bl_buf_init(struct bl_buf *b);
void bl_buf_release(struct bl_buf *b);
void bl_buf_reset(struct bl_buf *b);
void bl_buf_append(struct bl_buf *b, const void *data, size_t n);
void bl_buf_puts(struct bl_buf *b, const char *s);
void bl_buf_putc(struct bl_buf *b, char c);
void bl_buf_printf(struct bl_buf *b, const char *fmt, ...) BL_PRINTF(2, 3);
void bl_buf_vprintf(struct bl_buf *b, const char *fmt, va_list ap) BL_PRINTF(2, 0);
/* Removes trailing whitespace (newlines included). */
void bl_buf_rtrim(struct bl_buf *b);
char *bl_buf_detach(struct bl_buf *b);

/* A NULL-terminated, growable list of owned strings (usable as argv/envp). */
struct bl_strvec {
	char **v; /* v[n] == NULL always once initialised */
	size_t n;
	size_t cap;
};
void bl_strvec_init(struct bl_strvec *sv);
void bl_strvec_release(struct bl_strvec *sv);
void bl_strvec_push(struct bl_strvec *sv, const char *s);
void bl_strvec_push_owned(struct bl_strvec *sv, char *s);
void bl_strvec_pushf(struct bl_strvec *sv, const char *fmt, ...) BL_PRINTF(2, 3);
void bl_strvec_copy(struct bl_strvec *dst, const struct bl_strvec *src);

/* Reads a whole file into b (appending). Fails with the path in the message. */
int bl_read_file(const char *path, struct bl_buf *b, struct bl_error *err);
/* Writes data to path atomically (temp file + rename). */
int bl_write_file_atomic(const char *path, const void *data, size_t n, struct bl_error *err);
/* mkdir -p. */
int bl_mkdirs(const char *path, int mode, struct bl_error *err);
/* rm -rf of a path; never follows symlinks out of it. */
int bl_remove_tree(const char *path, struct bl_error *err);

/* Calls fn(args[k]) for k < n, each on a thread of its own (args[0] on the
 * caller's); a thread that cannot be started has its call made on the
 * caller's thread afterwards. Returns when every call has returned. */
void bl_parallel(void *(*fn)(void *), void *const *args, unsigned n);

/* Monotonic clock in nanoseconds, and wall clock (Unix epoch) in nanoseconds. */
int64_t bl_now_mono_ns(void);
int64_t bl_now_unix_ns(void);
/* Formats a Unix time (seconds) as UTC ISO-8601 "YYYY-MM-DDTHH:MM:SSZ". */
void bl_format_utc(int64_t unix_s, char out[32]);

/* Strict number parsing: the whole string must be the number. */
int bl_parse_int64(const char *s, int64_t *out);
int bl_parse_double(const char *s, double *out);

#endif
