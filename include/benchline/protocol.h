/*
 * protocol.h - metrics written by a benchmark to $BENCHLINE_METRICS.
 *
 * One JSON object per line, either one metric:
 *   {"name": "decode_latency", "value": 0.0123, "unit": "s", "better": "lower"}
 * ("unit" and "better" optional; "better" is "lower" or "higher"), or a dict of
 * named values in the shape of the transformers benchmark's model measurements:
 *   {"measurements": {"model_load_time": 2.5, "first_token_s": 0.04}}
 * Blank lines are ignored. Every other line is reported as a diagnostic with
 * its line number and the reason; valid lines are kept.
 */
#ifndef BENCHLINE_PROTOCOL_H
#define BENCHLINE_PROTOCOL_H

#include "benchline/common.h"
#include "benchline/config.h"

struct bl_metric {
	char *name;
	double value;
	char *unit;          /* NULL when not given */
	enum bl_better better;
};

struct bl_metric_list {
	struct bl_metric *items;
	size_t n, cap;
};
void bl_metric_list_release(struct bl_metric_list *l);
/* "an object", "a number", ..., "nothing" for NULL: a jansson value's type
 * for error messages (the protocol's and the adapters'). */
struct json_t;
const char *bl_json_type_name(const struct json_t *v);
void bl_metric_list_add(struct bl_metric_list *l, const char *name, double value, const char *unit,
			enum bl_better better);

struct bl_diag {
	size_t line;   /* 1-based */
	char *reason;
};

struct bl_protocol_result {
	struct bl_metric_list metrics;
	struct bl_strvec measurements; /* compact JSON of each "measurements" object */
	struct bl_diag *diags;
	size_t n_diags, cap_diags;
};
void bl_protocol_result_init(struct bl_protocol_result *r);
void bl_protocol_result_release(struct bl_protocol_result *r);

/* Never fails: problems become diagnostics. Metric names must be 1..200
 * printable characters; values must be finite numbers. */
void bl_protocol_parse(const char *data, size_t len, struct bl_protocol_result *out);

#endif
