/* adapter_internal.h - what the adapter_<format>.c files share: the JSON
 * loader with positions, typed field access with paths in messages, and the
 * one way a metric is added (name checked, value finite, unit normalised). */
#ifndef BENCHLINE_ADAPTER_INTERNAL_H
#define BENCHLINE_ADAPTER_INTERNAL_H

#include "benchline/adapter.h"

#include <jansson.h>

/* Parses JSON; a syntax error is "PATH:LINE:COLUMN: invalid JSON: ...". */
int bl_adp_json_load(const char *path, const char *data, size_t len, json_t **root, struct bl_error *err);

/* Adds metric "NAME:FIELD" (just NAME when field is NULL) with value in unit
 * (normalised). Fails, naming path and where (a JSON path or "line N"), when
 * the value is not finite or the name is empty, has control characters or is
 * longer than 200 characters. */
int bl_adp_add(struct bl_metric_list *out, const char *path, const char *where, const char *name, const char *field,
	       double value, const char *unit, enum bl_better better, struct bl_error *err);

/* A number member of obj (where names obj in messages, e.g. "benchmarks[2]").
 * Missing: *has = false when has is given (optional), else an error. Present
 * but not a number: always an error "PATH: WHERE.KEY must be a number, got
 * a string". */
int bl_adp_number(const char *path, const char *where, json_t *obj, const char *key, double *out, bool *has,
		  struct bl_error *err);
/* A string member: NULL when missing and optional (required false). */
int bl_adp_string(const char *path, const char *where, json_t *obj, const char *key, bool required, const char **out,
		  struct bl_error *err);
/* A member that must be an array (or object), or fails naming it. */
int bl_adp_array(const char *path, const char *where, json_t *obj, const char *key, json_t **out, struct bl_error *err);

/* The adapters, one per file. */
extern const struct bl_adapter bl_adapter_gbench;
extern const struct bl_adapter bl_adapter_hyperfine;
extern const struct bl_adapter bl_adapter_pytest_benchmark;
extern const struct bl_adapter bl_adapter_criterion;
extern const struct bl_adapter bl_adapter_gotest;
extern const struct bl_adapter bl_adapter_llama_bench;
extern const struct bl_adapter bl_adapter_optimum_benchmark;
extern const struct bl_adapter bl_adapter_regex;

#endif
