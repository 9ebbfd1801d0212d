/* verdict.c - the judgement of two commits shared by compare and the reports (verdict.h). */
#include "benchline/verdict.h"

#include "benchline/store.h"

#include <string.h>

static const char *const verdict_names[BL_RV_COUNT] = {
	[BL_RV_REGRESSED] = "regressed", [BL_RV_IMPROVED] = "improved",	      [BL_RV_CHANGED] = "changed",
	[BL_RV_FAILED] = "failed",	 [BL_RV_NOT_ENOUGH] = "not enough data", [BL_RV_MISSING] = "missing",
	[BL_RV_UNCHANGED] = "unchanged",
};

const char *bl_report_verdict_name(enum bl_report_verdict v)
{
	return v < BL_RV_COUNT ? verdict_names[v] : "?";
}

const char *bl_report_verdict_mark(enum bl_report_verdict v)
{
	switch (v) {
	case BL_RV_REGRESSED: return "\xf0\x9f\x94\xb4"; /* red circle */
	case BL_RV_IMPROVED: return "\xf0\x9f\x9f\xa2";  /* green circle */
	case BL_RV_CHANGED: return "\xf0\x9f\x9f\xa1";   /* yellow circle */
	case BL_RV_FAILED: return "\xe2\x9a\xa0\xef\xb8\x8f";
	default: return "\xe2\x9a\xaa";
	}
}

enum bl_report_verdict bl_report_verdict_of(enum bl_verdict v, enum bl_better better)
{
	switch (v) {
	case BL_REGRESSED: return better == BL_BETTER_UNKNOWN ? BL_RV_CHANGED : BL_RV_REGRESSED;
	case BL_IMPROVED: return better == BL_BETTER_UNKNOWN ? BL_RV_CHANGED : BL_RV_IMPROVED;
	case BL_NOT_ENOUGH_DATA: return BL_RV_NOT_ENOUGH;
	default: return BL_RV_UNCHANGED;
	}
}

static bool failed_status(const char *status)
{
	return status && (!strcmp(status, BL_CASE_BUILD_FAILED) || !strcmp(status, BL_CASE_FAILED));
}

static const char *failure_text(const char *status, bool is_old)
{
	if (!strcmp(status, BL_CASE_BUILD_FAILED))
		return is_old ? "build failed at A" : "build failed at B";
	return is_old ? "benchmark failed at A" : "benchmark failed at B";
}

enum bl_report_verdict bl_judge_sides(const char *old_status, size_t old_n, const char *new_status, size_t new_n,
				      const char **problem)
{
	*problem = NULL;
	if (failed_status(new_status)) {
		*problem = failure_text(new_status, false);
		return BL_RV_FAILED;
	}
	if (failed_status(old_status)) {
		*problem = failure_text(old_status, true);
		return BL_RV_FAILED;
	}
	if (old_n == 0 || new_n == 0) {
		*problem = old_n == 0 ? "not measured at A" : "not measured at B";
		return BL_RV_MISSING;
	}
	return BL_RV_COUNT;
}

enum bl_report_verdict bl_judge_samples(const double *old_v, size_t old_n, const double *new_v, size_t new_n,
					double alpha, double noise_floor, enum bl_better better,
					struct bl_comparison *out)
{
	struct bl_compare_opts o;
	bl_compare_opts_default(&o);
	o.alpha = alpha;
	o.noise_floor = noise_floor;
	o.higher_is_better = better == BL_BETTER_HIGHER;
	bl_compare_samples(old_v, old_n, new_v, new_n, &o, out);
	return bl_report_verdict_of(out->verdict, better);
}
