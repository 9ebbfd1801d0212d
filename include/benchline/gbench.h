/* gbench.h - Google Benchmark JSON output (--benchmark_format=json or
 * --benchmark_out=FILE), and the comparison google/benchmark's
 * tools/compare.py prints in its default "benchmarks" mode.
 *
 * What compare.py does, and so what we do:
 *  - entries are put in compare.py's order: a stable sort by family_index,
 *    per_family_instance_index, aggregates after repetitions, then
 *    repetition_index (missing indices count as -1);
 *  - entries are grouped by "name" (repetitions share their name; aggregates
 *    are named NAME_mean, NAME_median, ... and so form rows of their own),
 *    names in the old file's order, kept when both files have them;
 *  - a group's time unit is that of its first old entry with times; entries
 *    in other units are left out on both sides, so a benchmark whose unit
 *    changed between the files gets no row at all;
 *  - one measurement per repetition index present on both sides, with the
 *    relative change (new - old) / |old| of real and CPU time (0 when both
 *    are 0, (new - old) / mean when only old is 0);
 *  - when every side has >= 2 repetitions, the two-sided Mann-Whitney U test
 *    of the real times and of the CPU times (bl_mann_whitney, scipy's
 *    method='auto'); fewer than 9 on a side is flagged unreliable;
 *  - a last OVERALL_GEOMEAN row: the geometric means, in seconds, of the real
 *    and CPU times of every non-aggregate entry of each whole file (matched
 *    or not), present when both files have a non-zero geometric mean.
 */
#ifndef BENCHLINE_GBENCH_H
#define BENCHLINE_GBENCH_H

#include <stddef.h>

#include "benchline/common.h"

/* compare.py's thresholds for the U test. */
#define BL_GBENCH_UTEST_MIN_REPS 2
#define BL_GBENCH_UTEST_OPTIMAL_REPS 9

enum bl_gbench_run_type {
	BL_GBENCH_RUN_UNSPECIFIED = 0, /* no "run_type" (old versions) */
	BL_GBENCH_RUN_ITERATION,       /* one repetition */
	BL_GBENCH_RUN_AGGREGATE,       /* mean, median, stddev, cv, BigO, RMS, ... */
};

/* A number of an entry that is not one of the format's own fields:
 * bytes_per_second, items_per_second and user counters, in file order. */
struct bl_gbench_counter {
	char *name;
	double value;
};

/* One element of the file's "benchmarks" array. */
struct bl_gbench_entry {
	char *name;
	char *run_name;	      /* "" when absent */
	char *label;	      /* "" when absent */
	char *aggregate_name; /* "" unless the file gave one */
	enum bl_gbench_run_type run_type;
	/* real_time, cpu_time and time_unit all present. Every non-aggregate
	 * entry has them (loading fails otherwise); of aggregates, BigO and RMS
	 * do not, and are then ignored by the comparison. */
	int has_times;
	double real_time, cpu_time; /* in time_unit */
	char time_unit[4];	    /* "ns", "us", "ms" or "s"; "" when absent */
	int error_occurred;	    /* "error_occurred" or "skipped" was true */
	long long family_index, per_family_instance_index, repetition_index; /* -1 when absent */
	size_t index;							     /* position in the file's array */
	/* What the metrics adapter (adapter_gbench.c) records besides times. */
	char aggregate_unit[16];	    /* "time" or "percentage" (cv); "" when absent */
	double iterations;		    /* -1 when absent */
	struct bl_gbench_counter *counters; /* every other number: bytes_per_second, user counters */
	size_t n_counters;
};

/* The repetitions of one name in one unit, in compare.py's order. */
struct bl_gbench_bench {
	char *name;
	enum bl_gbench_run_type run_type; /* of its first entry */
	char time_unit[4];
	double *real_time, *cpu_time;
	size_t n;
};

struct bl_gbench_file {
	char *path;
	struct bl_gbench_entry *entries; /* compare.py's order (see above) */
	size_t n_entries;
	/* Entries with times grouped by name, first-seen order; each in the
	 * unit of its first entry (entries in other units are not in it). */
	struct bl_gbench_bench *benches;
	size_t n_benches;
};

/* Loads a JSON file. Errors name the file and what is wrong: the line and
 * column of a syntax error, a missing "benchmarks" array, the index and name
 * of an entry without real_time, an unknown time unit, ... On failure *out
 * is left empty (safe to free). */
int bl_gbench_load(const char *path, struct bl_gbench_file *out, struct bl_error *err);
/* Same, from text in memory; path only names it in messages. */
int bl_gbench_parse(const char *path, const char *text, size_t len, struct bl_gbench_file *out, struct bl_error *err);
void bl_gbench_file_free(struct bl_gbench_file *f);
/* The group of a name, or NULL. */
const struct bl_gbench_bench *bl_gbench_find(const struct bl_gbench_file *f, const char *name);

/* One printed line of compare.py: a repetition index present on both sides. */
struct bl_gbench_measurement {
	double real_old, real_new, cpu_old, cpu_new; /* in the row's time unit */
	double time_change, cpu_change;		     /* (new - old) / |old| */
};

struct bl_gbench_row {
	char *name;
	char *label;	      /* of the first old entry, "" when none */
	char *aggregate_name; /* "" unless an aggregate; "geomean" for the last row */
	enum bl_gbench_run_type run_type;
	char time_unit[4]; /* "s" for OVERALL_GEOMEAN */
	int is_geomean;	   /* the OVERALL_GEOMEAN row */
	struct bl_gbench_measurement *m;
	size_t n_m;
	size_t n_old, n_new; /* repetitions on each side */
	/* U test, when has_utest: both sides have >= BL_GBENCH_UTEST_MIN_REPS. */
	int has_utest;
	double time_p, cpu_p;
	int utest_unreliable; /* a side has < BL_GBENCH_UTEST_OPTIMAL_REPS:
			       * "results unreliable, 9+ repetitions recommended" */
};

/* Compares old (a) and new (b) into *rows (n of them, allocated; free with
 * bl_gbench_rows_free), rows in the old file's order, the last being
 * OVERALL_GEOMEAN when there is one. Loaded files always compare; -1 is
 * only for missing arguments. */
int bl_gbench_compare(const struct bl_gbench_file *a, const struct bl_gbench_file *b, struct bl_gbench_row **rows,
		      size_t *n, struct bl_error *err);
void bl_gbench_rows_free(struct bl_gbench_row *rows, size_t n);

/* compare.py's calculate_change: (new - old) / |old|; 0 when both are 0 and
 * (new - old) / ((old + new) / 2) when only old is 0. */
double bl_gbench_change(double old_v, double new_v);

#endif
