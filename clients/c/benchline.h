/*
 * benchline.h - report a C or C++ benchmark's measurements to benchline.
 *
 * Header only, no dependencies beyond POSIX: copy it into your project and
 * include it. Under `benchline run`, BENCHLINE_METRICS names a file and every
 * value is appended to it as one JSON line of benchline's metrics protocol
 * (docs/CLI.md, "The metrics protocol"):
 *
 *   {"name":"parse_time","value":0.0123,"unit":"s","better":"lower"}
 *
 * Outside benchline (BENCHLINE_METRICS unset or empty) each value is printed to
 * stderr as "benchline: name = value unit" instead, unless
 * BENCHLINE_RECORDER_QUIET=1, so the program still runs by hand.
 *
 *   #include "benchline.h"
 *   bl_record("items_per_s", n / secs, "1/s", BL_HIGHER);
 *
 *   struct bl_timer t = bl_timer_start();
 *   work();
 *   bl_timer_stop(&t, "work_time");          // seconds, lower is better
 *
 *   BL_TIME("work_time") { work(); }         // the same for a block
 *
 * Each line is written with a single write() on an O_APPEND descriptor, so
 * threads and child processes may record at once. Functions return 0, or -1
 * with errno set (EINVAL for a bad name or a value that is not finite); a
 * benchmark may ignore the result. Names are 1 to 200 characters without
 * control characters; quotes and backslashes are escaped here.
 */
#ifndef BENCHLINE_RECORDER_H
#define BENCHLINE_RECORDER_H

/* clock_gettime and O_CLOEXEC are POSIX: under a strict -std=c11 this takes
 * effect when benchline.h is included first (or pass -D_POSIX_C_SOURCE=200809L). */
#if !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE) && !defined(_XOPEN_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

#ifdef __cplusplus
extern "C" {
#endif

enum bl_direction { BL_UNKNOWN = 0, BL_LOWER, BL_HIGHER };

/* Appends s to buf as JSON string contents; returns -1 when it does not fit
 * or s has a control character or is not 1..200 characters. */
static inline int bl__put_string(char *buf, size_t cap, size_t *len, const char *s)
{
	size_t chars = 0;
	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)
			return -1;
		if ((c & 0xc0) != 0x80 && ++chars > 200)
			return -1;
		if (*len + 3 >= cap)
			return -1;
		if (c == '"' || c == '\\')
			buf[(*len)++] = '\\';
		buf[(*len)++] = (char)c;
	}
	buf[*len] = '\0';
	return 0;
}

static inline int bl__put(char *buf, size_t cap, size_t *len, const char *s)
{
	size_t n = strlen(s);
	if (*len + n + 1 >= cap)
		return -1;
	memcpy(buf + *len, s, n + 1);
	*len += n;
	return 0;
}

/* Records one metric. unit may be NULL; better is BL_LOWER, BL_HIGHER or BL_UNKNOWN. */
static inline int bl_record(const char *name, double value, const char *unit, enum bl_direction better)
{
	char line[1024], num[40];
	size_t len = 0;
	if (!isfinite(value)) {
		errno = EINVAL;
		return -1;
	}
	/* %.17g reads back as the same double. */
	snprintf(num, sizeof(num), "%.17g", value);
	if (bl__put(line, sizeof(line), &len, "{\"name\":\"") || bl__put_string(line, sizeof(line), &len, name) ||
	    bl__put(line, sizeof(line), &len, "\",\"value\":") || bl__put(line, sizeof(line), &len, num)) {
		errno = EINVAL;
		return -1;
	}
	if (unit && *unit &&
	    (bl__put(line, sizeof(line), &len, ",\"unit\":\"") || bl__put_string(line, sizeof(line), &len, unit) ||
	     bl__put(line, sizeof(line), &len, "\""))) {
		errno = EINVAL;
		return -1;
	}
	if (better != BL_UNKNOWN &&
	    bl__put(line, sizeof(line), &len, better == BL_LOWER ? ",\"better\":\"lower\"" : ",\"better\":\"higher\"")) {
		errno = EINVAL;
		return -1;
	}
	if (bl__put(line, sizeof(line), &len, "}\n")) {
		errno = EINVAL;
		return -1;
	}

	const char *path = getenv("BENCHLINE_METRICS");
	if (!path || !*path) {
		const char *quiet = getenv("BENCHLINE_RECORDER_QUIET");
		if (!quiet || strcmp(quiet, "1") != 0)
			fprintf(stderr, "benchline: %s = %.9g%s%s\n", name, value, unit && *unit ? " " : "",
				unit && *unit ? unit : "");
		return 0;
	}
	int fd;
	do
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -1;
	ssize_t w;
	do
		w = write(fd, line, len);
	while (w < 0 && errno == EINTR);
	int saved = errno;
	close(fd);
	if (w != (ssize_t)len) {
		errno = w < 0 ? saved : EIO;
		return -1;
	}
	return 0;
}

/* A region timed with CLOCK_MONOTONIC (never jumps with the wall clock). */
struct bl_timer {
	struct timespec start;
	double elapsed; /* seconds, set by bl_timer_stop / bl_timer_elapsed */
};

static inline struct bl_timer bl_timer_start(void)
{
	struct bl_timer t;
	t.elapsed = 0;
	clock_gettime(CLOCK_MONOTONIC, &t.start);
	return t;
}

/* Seconds since bl_timer_start; records nothing. */
static inline double bl_timer_elapsed(struct bl_timer *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	t->elapsed = (double)(now.tv_sec - t->start.tv_sec) + (double)(now.tv_nsec - t->start.tv_nsec) * 1e-9;
	return t->elapsed;
}

/* Records the seconds since bl_timer_start as metric name (unit s, lower is better). */
static inline int bl_timer_stop(struct bl_timer *t, const char *name)
{
	return bl_record(name, bl_timer_elapsed(t), "s", BL_LOWER);
}

/* BL_TIME("name") { ... } times the block and records it when the block
 * ends normally (a break, return or goto out of it records nothing). */
#define BL__CAT2(a, b) a##b
#define BL__CAT(a, b) BL__CAT2(a, b)
#define BL_TIME(name)                                                                                          \
	for (struct bl_timer BL__CAT(bl__t, __LINE__) = bl_timer_start(), *BL__CAT(bl__p, __LINE__) = NULL;      \
	     !BL__CAT(bl__p, __LINE__);                                                                            \
	     BL__CAT(bl__p, __LINE__) = &BL__CAT(bl__t, __LINE__), bl_timer_stop(&BL__CAT(bl__t, __LINE__), (name)))

#ifdef __cplusplus
}
#endif

#endif
