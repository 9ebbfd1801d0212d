/* series.h - stored results regrouped as series for analysis.
 *
 * A series is one metric of one benchmark case (name + params) on one
 * machine: the unit of everything compare, detect, bisect and the reports
 * judge. Different machines, units or parameter sets are never mixed. Each
 * point is one commit with the values of its measured runs (all
 * repetitions), or none when the case failed to build or run there, which is
 * a gap, not a zero.
 */
#ifndef BENCHLINE_SERIES_H
#define BENCHLINE_SERIES_H

#include "benchline/common.h"
#include "benchline/config.h"
#include "benchline/detect.h"
#include "benchline/store.h"

#include <stdbool.h>
#include <stdint.h>

struct bl_series_point {
	int64_t benchmark_id; /* the case (benchmarks row) the values come from */
	char *sha;
	char *subject;
	int64_t commit_time;
	char *status;     /* case status: complete, pending, failed, build-failed */
	char *suite_hash;
	double *values;   /* measured runs with status ok, by repetition index */
	size_t n_values;
	int runs_failed;
};

struct bl_series {
	char *name;
	char *params_json;
	char *label;      /* "name" or "name[k=v,...]" */
	int64_t machine_id;
	char *machine;    /* hostname */
	char *metric;
	char *unit;
	enum bl_better better;
	struct bl_series_point *points; /* in the store's order: commit time, sha */
	size_t n_points;
};

struct bl_series_set {
	struct bl_series *v;
	size_t n;
	/* Cases with no value under the query (build failed, every run failed):
	 * they belong to no metric, so they are kept apart, one point each. */
	struct bl_series *failed_cases; /* metric NULL */
	size_t n_failed_cases;
	/* Owned, set by bl_series_load_bulk: the memory of the points' strings
	 * and values, which the points then borrow. NULL: each point owns its
	 * copies. */
	struct bl_series_bulk *bulk;
};

/* Loads every point matching q and groups it by (name, params, machine,
 * metric, unit); series are ordered by label, machine, then metric. When a
 * commit holds the same series under several suite hashes (the suite changed
 * and was measured again), the values are kept per point: callers that need
 * one point per commit use bl_series_point_at. */
int bl_series_load(struct bl_store *s, const struct bl_point_query *q, struct bl_series_set *out,
		   struct bl_error *err);
void bl_series_set_release(struct bl_series_set *set);
/* qsort order of series in a set: label, machine, machine id, metric, unit. */
int bl_series_order(const void *a, const void *b);
/* The same set as bl_series_load, read with bl_store_foreach_value: a fixed
 * number of sequential queries instead of a couple per case, and no
 * allocation per point (their strings and values live in set->bulk). For
 * reports over whole histories; q->shas must be NULL (else this is
 * bl_series_load). One difference: a metric stored both without a unit and
 * with unit "" is one series here. */
int bl_series_load_bulk(struct bl_store *s, const struct bl_point_query *q, struct bl_series_set *out,
			struct bl_error *err);
void bl_series_bulk_release(struct bl_series_bulk *b);

/* The last point of series at commit sha (the newest suite measured there,
 * in store order), or NULL. */
const struct bl_series_point *bl_series_point_at(const struct bl_series *series, const char *sha);
/* The failed-case entry (build-failed or all runs failed) of this case at
 * sha, or NULL. */
const struct bl_series_point *bl_series_failed_at(const struct bl_series_set *set, const char *name,
						  const char *params_json, int64_t machine_id, const char *sha);

/* Metrics benchline records for every run besides wall_time (CPU times, peak
 * memory, device summaries): compare and detect skip them unless asked. */
bool bl_metric_is_auxiliary(const char *name);

/* "name" or "name[k=v,...]" from a name and a canonical params JSON object. */
char *bl_case_label(const char *name, const char *params_json);

/* The direction of a metric: as recorded, or from its unit when unknown
 * (time, byte and energy units: lower; units ending in "/s": higher). */
enum bl_better bl_metric_direction(enum bl_better recorded, const char *unit);

/* Formats a value with its unit for people: 0.0123 s -> "12.30 ms",
 * 3e6 B -> "2.9 MiB", other units "%.4g UNIT". */
void bl_format_value(double v, const char *unit, char *out, size_t out_size);

/* Series read from a CSV file for `benchline detect --input`: the header
 * "series,commit,repetition,value", then one row per repetition; commit is
 * the 0-based position in history. Series keep the order in which they first
 * appear. Errors read "FILE:LINE: message". */
struct bl_obs_series {
	char *name;
	struct bl_obs *obs;
	size_t n_obs, cap_obs;
};
int bl_series_csv_parse(const char *path, const char *text, size_t len, struct bl_obs_series **out, size_t *n_out,
			struct bl_error *err);
void bl_obs_series_free(struct bl_obs_series *v, size_t n);

#endif
