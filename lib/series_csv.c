/* series_csv.c - labelled series from CSV for `benchline detect --input`.
 *
 * Format: a header line "series,commit,repetition,value", then rows. Fields
 * may be quoted RFC 4180 style ("a,b" and "" for a quote); lines end in \n or
 * \r\n; blank lines are skipped. Everything else is an error naming the line.
 */
#include "benchline/series.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELD 4096
#define MAX_POSITION 100000000ULL

struct cursor {
	const char *p, *end;
	size_t line;
};

/* Reads one field into out (NUL-terminated); stops after the separator or
 * before the end of the line. Returns 1 when a field was read and more follow
 * on the line, 0 when it was the last one, -1 on a malformed field. */
static int next_field(struct cursor *c, char *out, size_t size, const char **why)
{
	size_t n = 0;
	if (c->p < c->end && *c->p == '"') {
		c->p++;
		for (;;) {
			if (c->p >= c->end) {
				*why = "a quoted field is not closed";
				return -1;
			}
			char ch = *c->p++;
			if (ch == '"') {
				if (c->p < c->end && *c->p == '"') {
					c->p++;
				} else {
					break;
				}
			} else if (ch == '\n') {
				*why = "a quoted field spans lines";
				return -1;
			} else if (ch == '\0') {
				*why = "a NUL byte";
				return -1;
			}
			if (n + 1 >= size) {
				*why = "a field is longer than 4096 bytes";
				return -1;
			}
			out[n++] = ch;
		}
		if (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r') {
			*why = "text after a closing quote";
			return -1;
		}
	} else {
		while (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r') {
			if (*c->p == '"') {
				*why = "a quote inside an unquoted field";
				return -1;
			}
			if (*c->p == '\0') {
				*why = "a NUL byte";
				return -1;
			}
			if (n + 1 >= size) {
				*why = "a field is longer than 4096 bytes";
				return -1;
			}
			out[n++] = *c->p++;
		}
	}
	out[n] = '\0';
	if (c->p < c->end && *c->p == ',') {
		c->p++;
		return 1;
	}
	return 0;
}

/* Moves past the end of the line; -1 when something other than \r\n or \n is there. */
static int end_line(struct cursor *c)
{
	if (c->p < c->end && *c->p == '\r')
		c->p++;
	if (c->p < c->end && *c->p != '\n')
		return -1;
	if (c->p < c->end)
		c->p++;
	c->line++;
	return 0;
}

static int fail_line(struct bl_error *err, const char *path, size_t line, const char *fmt, ...) BL_PRINTF(4, 5);
static int fail_line(struct bl_error *err, const char *path, size_t line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return bl_fail(err, "%s:%zu: %s", path, line, msg);
}

static int parse_position(const char *s, size_t *out)
{
	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 12)
		return -1;
	unsigned long long v = strtoull(s, NULL, 10);
	if (v > MAX_POSITION)
		return -1;
	*out = (size_t)v;
	return 0;
}

static int parse_value(const char *s, double *out)
{
	if (!*s || strspn(s, "0123456789.eE+-") != strlen(s))
		return -1;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (*end || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

struct parsed {
	struct bl_obs_series *v;
	size_t n, cap;
	size_t last;
};

static struct bl_obs_series *series_named(struct parsed *ps, const char *name)
{
	if (ps->n && !strcmp(ps->v[ps->last].name, name))
		return &ps->v[ps->last];
	for (size_t i = 0; i < ps->n; i++)
		if (!strcmp(ps->v[i].name, name)) {
			ps->last = i;
			return &ps->v[i];
		}
	BL_GROW(ps->v, ps->cap, ps->n + 1);
	struct bl_obs_series *s = &ps->v[ps->n];
	memset(s, 0, sizeof(*s));
	s->name = bl_xstrdup(name);
	ps->last = ps->n++;
	return s;
}

static int parse_header(struct cursor *c, const char *path, struct bl_error *err)
{
	static const char *const want[] = {"series", "commit", "repetition", "value"};
	char field[MAX_FIELD];
	const char *why = NULL;
	for (size_t i = 0; i < 4; i++) {
		int more = next_field(c, field, sizeof(field), &why);
		if (more < 0)
			return fail_line(err, path, c->line, "%s", why);
		if (strcmp(field, want[i]) || (more == 0) != (i == 3))
			return fail_line(err, path, c->line, "%s", "expected the header 'series,commit,repetition,value'");
	}
	if (end_line(c))
		return fail_line(err, path, c->line, "%s", "expected the header 'series,commit,repetition,value'");
	return 0;
}

int bl_series_csv_parse(const char *path, const char *text, size_t len, struct bl_obs_series **out, size_t *n_out,
			struct bl_error *err)
{
	struct cursor c = {.p = text, .end = text + len, .line = 1};
	struct parsed ps = {0};
	char name[MAX_FIELD], commit[MAX_FIELD], rep[MAX_FIELD], value[MAX_FIELD];
	*out = NULL;
	*n_out = 0;
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		c.p += 3; /* a byte-order mark from a spreadsheet */
	if (c.p >= c.end)
		return bl_fail(err, "%s: empty file (expected the header 'series,commit,repetition,value')", path);
	if (parse_header(&c, path, err))
		return -1;
	while (c.p < c.end) {
		if (*c.p == '\n' || (*c.p == '\r' && c.p + 1 < c.end && c.p[1] == '\n')) {
			end_line(&c);
			continue;
		}
		const char *why = NULL;
		char *fields[4] = {name, commit, rep, value};
		int more = 1;
		size_t k = 0;
		for (; k < 4 && more == 1; k++)
			if ((more = next_field(&c, fields[k], MAX_FIELD, &why)) < 0)
				goto bad;
		if (k < 4 || more) {
			why = k < 4 ? "expected 4 fields: series,commit,repetition,value" : "more than 4 fields";
			goto bad;
		}
		if (end_line(&c)) {
			why = "a stray carriage return";
			goto bad;
		}
		size_t pos, repetition;
		double v;
		if (!*name) {
			fail_line(err, path, c.line - 1, "%s", "empty series name");
			goto fail;
		}
		if (parse_position(commit, &pos)) {
			fail_line(err, path, c.line - 1, "commit must be a position 0..100000000, got '%.60s'", commit);
			goto fail;
		}
		if (parse_position(rep, &repetition)) {
			fail_line(err, path, c.line - 1, "repetition must be a non-negative integer, got '%.60s'", rep);
			goto fail;
		}
		if (parse_value(value, &v)) {
			fail_line(err, path, c.line - 1, "value must be a finite number, got '%.60s'", value);
			goto fail;
		}
		struct bl_obs_series *s = series_named(&ps, name);
		BL_GROW(s->obs, s->cap_obs, s->n_obs + 1);
		s->obs[s->n_obs].pos = pos;
		s->obs[s->n_obs].value = v;
		s->n_obs++;
		continue;
bad:
		fail_line(err, path, c.line, "%s", why);
		goto fail;
	}
	*out = ps.v;
	*n_out = ps.n;
	return 0;
fail:
	bl_obs_series_free(ps.v, ps.n);
	return -1;
}

void bl_obs_series_free(struct bl_obs_series *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].obs);
	}
	free(v);
}
