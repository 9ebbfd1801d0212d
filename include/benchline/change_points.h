/* change_points.h - the change points `benchline detect --save` stores.
 *
 * Detection (benchline/detect.h) is computed from the stored runs on demand;
 * saving it puts its result in the table change_points (docs/SCHEMA.md), so
 * that SQL clients such as Grafana (grafana/, docs/GRAFANA.md) can list
 * regressions without running benchline. A series is one metric (with its
 * unit) of one benchmark case on one machine in one repository, as in
 * benchline/series.h; saving a series replaces every change point stored for
 * it before, so a change that later data no longer supports disappears.
 */
#ifndef BENCHLINE_CHANGE_POINTS_H
#define BENCHLINE_CHANGE_POINTS_H

#include "benchline/store.h"

/* One change point, as change_points stores it. Strings are borrowed. */
struct bl_change_point {
	const char *commit_sha;   /* first commit at the new level (40 hex digits) */
	const char *previous_sha; /* last commit with data at the old level */
	int unmeasured;           /* commits between the two without data (>= 0) */
	const char *verdict;      /* "regressed", "improved" or "changed" (direction unknown) */
	double before, after;     /* levels (medians) of the segments either side */
	double change;            /* after / before - 1 */
	double change_lo, change_hi; /* its 95% confidence interval */
	double p;                 /* Mann-Whitney p of the adjacent segments, in [0, 1] */
};

/* The detection of one series: which series, with which settings, and every
 * change point found (none is a valid result: it clears the stored ones). */
struct bl_series_detection {
	const char *repository;
	int64_t machine_id;       /* machines.machine_id */
	const char *name;         /* benchmark name */
	const char *params_json;  /* canonical JSON object, "{}" without params */
	const char *metric;
	const char *unit;         /* NULL when the metric has none */
	double alpha, noise_floor;
	int min_segment;
	const struct bl_change_point *changes;
	size_t n_changes;
};

struct bl_detection {
	const char *head_sha;     /* the commit whose first-parent history was analysed */
	int64_t detected_unix_ns; /* change_points.detected_at; 0: now */
	const struct bl_series_detection *series;
	size_t n_series;
};

/* Stores d in one transaction: for each series, deletes its stored change
 * points and inserts d's. Series not in d are left alone. Everything is
 * checked before anything is written; on any error nothing changes and err
 * names the series and the value at fault. Concurrent saves are serialised. */
int bl_store_save_detection(struct bl_store *s, const struct bl_detection *d, struct bl_error *err);

#endif
