/* stats_compare.c - the verdict on two samples of one benchmark: did it get
 * faster, slower, or can we not tell? */
#include "benchline/common.h"
#include "benchline/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *bl_verdict_name(enum bl_verdict v)
{
	switch (v) {
	case BL_UNCHANGED:
		return "unchanged";
	case BL_IMPROVED:
		return "improved";
	case BL_REGRESSED:
		return "regressed";
	case BL_NOT_ENOUGH_DATA:
		return "not enough data";
	}
	return "unknown";
}

void bl_compare_opts_default(struct bl_compare_opts *o)
{
	o->alpha = 0.01;
	o->noise_floor = 0.01;
	o->level = 0.95;
	o->higher_is_better = 0;
}

static int all_positive(const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(v[i] > 0) || isinf(v[i]))
			return 0;
	return 1;
}

static double *logs(const double *v, size_t n)
{
	double *l = bl_xmalloc(n * sizeof(double));
	for (size_t i = 0; i < n; i++)
		l[i] = log(v[i]);
	return l;
}

/*
 * Relative change of the medians. A zero baseline has no relative change; we
 * call it infinite (or 0 when both are 0) so that it can never hide under the
 * noise floor.
 */
static double relative_change(double old_m, double new_m)
{
	if (old_m == 0)
		return new_m == 0 ? 0 : copysign(INFINITY, new_m);
	return new_m / old_m - 1;
}

/*
 * A ratio's interval: the Hodges-Lehmann interval of log(new) - log(old) is
 * an interval for the log of the typical ratio, and it is scale-free, which
 * the difference of medians divided by a median is not.
 */
static void change_interval(const double *old_v, size_t n_old, const double *new_v, size_t n_new, double level,
			    struct bl_comparison *out)
{
	out->change_lo = out->change_hi = out->change;
	out->ci_valid = 0;
	if (!all_positive(old_v, n_old) || !all_positive(new_v, n_new))
		return;
	double *lo = logs(old_v, n_old), *ln = logs(new_v, n_new);
	struct bl_shift sh;
	if (bl_hodges_lehmann(lo, n_old, ln, n_new, level, &sh) == 0) {
		out->change_lo = expm1(sh.lo);
		out->change_hi = expm1(sh.hi);
		out->ci_valid = 1;
	}
	free(lo);
	free(ln);
}

static enum bl_verdict verdict(const struct bl_comparison *c, size_t n_old, size_t n_new,
			       const struct bl_compare_opts *o)
{
	if (n_old == 0 || n_new == 0 || bl_mann_whitney_min_p(n_old, n_new) >= o->alpha)
		return BL_NOT_ENOUGH_DATA;
	if (!(c->mwu.p < o->alpha) || !(fabs(c->change) > o->noise_floor))
		return BL_UNCHANGED;
	int got_higher = c->change > 0;
	return got_higher == !!o->higher_is_better ? BL_IMPROVED : BL_REGRESSED;
}

void bl_compare_samples(const double *old_v, size_t n_old, const double *new_v, size_t n_new,
			const struct bl_compare_opts *o, struct bl_comparison *out)
{
	struct bl_compare_opts def;
	if (!o) {
		bl_compare_opts_default(&def);
		o = &def;
	}
	memset(out, 0, sizeof(*out));
	out->mwu.p = 1;
	bl_summarize(old_v, n_old, &out->old_sum);
	bl_summarize(new_v, n_new, &out->new_sum);
	if (n_old && n_new) {
		out->change = relative_change(out->old_sum.median, out->new_sum.median);
		change_interval(old_v, n_old, new_v, n_new, o->level, out);
		if (bl_mann_whitney(old_v, n_old, new_v, n_new, &out->mwu) != 0)
			out->mwu.p = 1; /* NaN in the data: no evidence either way */
	}
	out->verdict = verdict(out, n_old, n_new, o);
}
