/* verdict.h - how a comparison of two commits reads for people: the one
 * judgement that `benchline compare` (src/cmd-compare.c) and the reports
 * (lib/report_data.c, lib/report_md.c) share. */
#ifndef BENCHLINE_VERDICT_H
#define BENCHLINE_VERDICT_H

#include "benchline/common.h"
#include "benchline/config.h"
#include "benchline/stats.h"

#include <stddef.h>

/* A verdict as shown: the statistical one plus the cases where no
 * comparison was possible, in the order reports list them. */
enum bl_report_verdict {
	BL_RV_REGRESSED = 0,
	BL_RV_IMPROVED,
	BL_RV_CHANGED,    /* significant, but the metric has no known direction */
	BL_RV_FAILED,     /* a build or benchmark failure prevented the comparison */
	BL_RV_NOT_ENOUGH, /* too few repetitions to reach alpha */
	BL_RV_MISSING,    /* not measured at one side */
	BL_RV_UNCHANGED,
	BL_RV_COUNT
};
/* "regressed", "improved", ..., "not enough data"; "?" out of range. */
const char *bl_report_verdict_name(enum bl_report_verdict v);
/* The marker of markdown tables: a coloured circle, a warning sign for failures. */
const char *bl_report_verdict_mark(enum bl_report_verdict v);
/* The statistical verdict for a metric of this direction (unknown: changed). */
enum bl_report_verdict bl_report_verdict_of(enum bl_verdict v, enum bl_better better);

/* Whether sides A (old) and B (new) of a series can be compared: each side's
 * case status (NULL: nothing stored) and its number of values. Returns
 * BL_RV_FAILED (a build or benchmark failed at a side: *problem says which,
 * B's failure first) or BL_RV_MISSING ("not measured at A", else at B), or
 * BL_RV_COUNT when both sides have values to compare (*problem NULL). */
enum bl_report_verdict bl_judge_sides(const char *old_status, size_t old_n, const char *new_status, size_t new_n,
				      const char **problem);
/* Compares the values of both sides (bl_compare_samples with alpha, the
 * noise floor and the direction) and returns the verdict. */
enum bl_report_verdict bl_judge_samples(const double *old_v, size_t old_n, const double *new_v, size_t new_n,
					double alpha, double noise_floor, enum bl_better better,
					struct bl_comparison *out);

#endif
