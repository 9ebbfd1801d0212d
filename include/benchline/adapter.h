/*
 * adapter.h - metrics read from the output of existing benchmark harnesses.
 *
 * One adapter per format, each a pure function from bytes to metric records:
 * it reads nothing but its input, keeps no state and never prints. Every value
 * is normalised to a base unit (seconds, bytes, bytes/s, joules, ...; see
 * bl_unit_normalise) and carries its unit and, where the format says so, the
 * direction that is better. docs/ADAPTERS.md lists the metric names each
 * format gives.
 *
 * Errors name the input (path), and the position of the fault: line and
 * column for JSON and text formats ("out.json:3:17: ..."), or the JSON path
 * of a value of the wrong type ("out.json: benchmarks[2].real_time: ...").
 */
#ifndef BENCHLINE_ADAPTER_H
#define BENCHLINE_ADAPTER_H

#include "benchline/common.h"
#include "benchline/protocol.h"

/* A unit for one regex group (config 'units:'). */
struct bl_adapter_unit {
	const char *metric;
	const char *unit;
};

/* What a format needs besides the bytes: only the regex adapter has options. */
struct bl_adapter_opts {
	const char *pattern;		     /* regex: POSIX ERE with (?<name>...) groups */
	const struct bl_adapter_unit *units; /* regex: unit of each named group */
	size_t n_units;
};

struct bl_adapter {
	const char *name;    /* as written in benchline.yaml and --format */
	const char *summary; /* one line for help texts */
	/* Appends the metrics of data (len bytes; need not be NUL-terminated)
	 * to out. path only names the input in messages (and, for criterion,
	 * gives the benchmark's id). On failure out holds what was appended
	 * before the fault (callers drop it) and err says what is wrong. */
	int (*parse)(const char *path, const char *data, size_t len, const struct bl_adapter_opts *o,
		     struct bl_metric_list *out, struct bl_error *err);
};

/* The adapter of a format name, or NULL. */
const struct bl_adapter *bl_adapter_find(const char *name);
/* Every adapter, NULL-terminated, in the order help texts list them. */
const struct bl_adapter *const *bl_adapter_all(void);
/* "gbench, hyperfine, ..." (static storage). */
const char *bl_adapter_names(void);
/* Reads path and parses it with adapter a. */
int bl_adapter_parse_file(const struct bl_adapter *a, const char *path, const struct bl_adapter_opts *o,
			  struct bl_metric_list *out, struct bl_error *err);
/* Whether a configured output path is a glob(3) pattern ('*', '?', '[').
 * Criterion writes one estimates.json per benchmark: file:
 * target/criterion/ * /new/estimates.json (without the spaces) reads them all. */
bool bl_adapter_is_pattern(const char *path);
/* Appends the files pattern (relative, glob(3) syntax) names under dir, in
 * sorted order; dir's own characters are literal. No match appends nothing. */
int bl_adapter_glob(const char *dir, const char *pattern, struct bl_strvec *out, struct bl_error *err);
/* Parses every file pattern names under dir, in sorted order, into out; no
 * match is an error naming the pattern and dir, so is a file that fails
 * (its message names it). */
int bl_adapter_parse_glob(const struct bl_adapter *a, const char *dir, const char *pattern,
			  const struct bl_adapter_opts *o, struct bl_metric_list *out, struct bl_error *err);

/* Checks a regex adapter pattern: it compiles, and has at least one named
 * group; names are valid metric names. The message says what is wrong. */
int bl_adapter_regex_check(const char *pattern, struct bl_error *err);

/* Normalises *value given in unit to benchline's base unit and returns that
 * unit's name ("s", "B", "B/s", "J", "W", "Hz"...), or unit itself when it is
 * not a known one (kept as given). NULL and "" stay NULL. "X/kWh" becomes
 * "X/J" in thread-local storage, valid until the thread's next call: copy it. */
const char *bl_unit_normalise(const char *unit, double *value);

#endif
