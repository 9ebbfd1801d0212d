/* adapter_gotest.c - the text `go test -bench` prints (with -benchmem).
 *
 * A result line is "BenchmarkNAME[-PROCS] <iterations> <value> <unit> ...":
 * the name as printed (GOMAXPROCS suffix kept), a whole number of
 * iterations, then value/unit pairs. They become NAME:time_per_op (ns/op, in
 * seconds), NAME:bytes_per_op (B/op, bytes), NAME:allocs_per_op (allocs/op),
 * NAME:throughput (MB/s, in B/s, better higher) and NAME:UNIT for a unit a
 * benchmark reports itself (b.ReportMetric), without direction. -count=N
 * gives N values of each. Other lines (goos:, pkg:, PASS, ok, logs, a bare
 * name printed by -v) are skipped; a "--- FAIL" line is an error, and so is a
 * result line that cannot be read (line and column given). */
#include "adapter_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *unit, *field, *base;
	enum bl_better better;
} go_units[] = {
    {"ns/op", "time_per_op", "ns", BL_BETTER_LOWER},
    {"B/op", "bytes_per_op", "B", BL_BETTER_LOWER},
    {"allocs/op", "allocs_per_op", NULL, BL_BETTER_LOWER},
    {"MB/s", "throughput", "MB/s", BL_BETTER_HIGHER},
};

/* The next whitespace-separated field of [*p, end) into (*f, *flen). */
static bool next_field(const char **p, const char *end, const char **f, size_t *flen)
{
	while (*p < end && (**p == ' ' || **p == '\t' || **p == '\r'))
		(*p)++;
	*f = *p;
	while (*p < end && !isspace((unsigned char)**p))
		(*p)++;
	*flen = (size_t)(*p - *f);
	return *flen > 0;
}

static int parse_line(const char *path, size_t lineno, const char *line, const char *end, struct bl_metric_list *out,
		      struct bl_error *err)
{
	const char *p = line, *f;
	size_t flen;
	char name[256], tok[64], where[32];
	next_field(&p, end, &f, &flen);
	snprintf(name, sizeof(name), "%.*s", (int)(flen < 255 ? flen : 255), f);
	snprintf(where, sizeof(where), "line %zu", lineno);
	if (!next_field(&p, end, &f, &flen))
		return 0; /* a name alone: printed before the result with -v */
	snprintf(tok, sizeof(tok), "%.*s", (int)(flen < 63 ? flen : 63), f);
	int64_t iters;
	if (bl_parse_int64(tok, &iters))
		return 0; /* not a result line ("BenchmarkX-8  some log text") */
	size_t pairs = 0;
	while (next_field(&p, end, &f, &flen)) {
		size_t col = (size_t)(f - line) + 1;
		double v;
		snprintf(tok, sizeof(tok), "%.*s", (int)(flen < 63 ? flen : 63), f);
		if (flen > 63 || bl_parse_double(tok, &v))
			return bl_fail(err, "%s:%zu:%zu: expected a number after the iteration count of '%s', got '%s'",
				       path, lineno, col, name, tok);
		if (!next_field(&p, end, &f, &flen))
			return bl_fail(err, "%s:%zu:%zu: value %s of '%s' has no unit", path, lineno,
				       (size_t)(p - line) + 1, tok, name);
		char unit[64];
		snprintf(unit, sizeof(unit), "%.*s", (int)(flen < 63 ? flen : 63), f);
		const char *field = unit, *base = NULL;
		enum bl_better better = BL_BETTER_UNKNOWN;
		for (size_t k = 0; k < sizeof(go_units) / sizeof(go_units[0]); k++)
			if (!strcmp(unit, go_units[k].unit)) {
				field = go_units[k].field;
				base = go_units[k].base;
				better = go_units[k].better;
			}
		if (bl_adp_add(out, path, where, name, field, v, base, better, err))
			return -1;
		pairs++;
	}
	if (!pairs)
		return bl_fail(err, "%s:%zu:%zu: '%s' ran %lld iterations but reported no value", path, lineno,
			       (size_t)(p - line) + 1, name, (long long)iters);
	return 0;
}

static int parse(const char *path, const char *data, size_t len, const struct bl_adapter_opts *o,
		 struct bl_metric_list *out, struct bl_error *err)
{
	const char *end = data + len;
	size_t lineno = 0, before = out->n;
	for (const char *line = data; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end;
		lineno++;
		if (eol - line >= 9 && !memcmp(line, "Benchmark", 9)) {
			if (parse_line(path, lineno, line, eol, out, err))
				return -1;
		} else if (eol - line >= 8 && !memcmp(line, "--- FAIL", 8)) {
			return bl_fail(err, "%s:%zu:1: a benchmark failed: %.*s", path, lineno,
				       (int)(eol - line > 120 ? 120 : eol - line), line);
		}
		line = nl ? nl + 1 : end;
	}
	if (out->n == before)
		return bl_fail(err, "%s: no benchmark result line (\"BenchmarkName-8  1000  123 ns/op\") in %zu line%s",
			       path, lineno, lineno == 1 ? "" : "s");
	return 0;
}

const struct bl_adapter bl_adapter_gotest = {
    .name = "gotest",
    .summary = "go test -bench [-benchmem] output (text)",
    .parse = parse,
};
