/* stats.h - statistics that are honest about noise.
 *
 * Descriptive summaries (lib/stats.c), rank tests and effect sizes
 * (lib/stats_rank.c), the two-sample verdict used by `compare` and `bisect`
 * (lib/stats_compare.c). Change-point detection lives in detect.h.
 *
 * Every function leaves its inputs unmodified unless its name ends in
 * _inplace. None of them allocate on failure paths that the caller must free.
 */
#ifndef BENCHLINE_STATS_H
#define BENCHLINE_STATS_H

#include <stddef.h>

/* Warnings attached to a summary, pyperf-style. */
enum {
	BL_WARN_FEW_RUNS = 1u << 0,   /* n < 5: the interval is wide or undefined */
	BL_WARN_SPREAD = 1u << 1,     /* stddev over 10% of |median| (pyperf's rule) */
	BL_WARN_RESOLUTION = 1u << 2, /* the minimum is below the clock's resolution */
	BL_WARN_OUTLIERS = 1u << 3,   /* at least one |modified z| > 3.5 */
};

struct bl_summary {
	size_t n;
	double median;
	double mean;
	double min;
	double max;
	double stddev; /* sample standard deviation, 0 when n < 2 */
	double mad;    /* median absolute deviation (unscaled) */
	double cv;     /* stddev / |mean|, 0 when the mean is 0 */
	/* Quantiles by linear interpolation between order statistics (the
	 * default of numpy.percentile / R type 7). */
	double p5, p25, p75, p95, p99;
	/* 95% confidence interval of the median from order statistics
	 * (binomial, distribution-free); ci_valid is 0 when n is too small for
	 * the interval to reach 95% (n < 6), and then lo/hi are min/max. */
	double median_lo, median_hi;
	int ci_valid;
	size_t outliers;   /* count of |modified z-score| > 3.5 (never dropped) */
	unsigned warnings; /* BL_WARN_* bits */
};

/* Summarises values. n == 0 gives a zeroed summary. The median interval is
 * the 95% one of bl_median_ci_sorted. */
void bl_summarize(const double *values, size_t n, struct bl_summary *out);
/* Same, and flags BL_WARN_RESOLUTION when a value is below resolution
 * (resolution <= 0 disables that check). */
void bl_summarize_res(const double *values, size_t n, double resolution, struct bl_summary *out);
/* Median of values (0 when n is 0), reordering the array (not sorting it). */
double bl_median_inplace(double *values, size_t n);
/* The k-th smallest (0-based, k < n) of v, reordering it so that v[0..k)
 * are no larger and v(k..n) no smaller: Hoare's selection. */
double bl_select_kth(double *v, size_t n, size_t k);
/* Quantile q in [0,1] of an ascending array, numpy's default (linear),
 * bit-for-bit; q outside [0,1] is clamped, n == 0 gives 0. */
double bl_quantile_sorted(const double *sorted, size_t n, double q);
/* Distribution-free confidence interval of the median of an ascending array
 * at the given level (e.g. 0.95): the order statistics (j, k) with the
 * smallest span k - j whose binomial coverage P(j <= Bin(n, 1/2) <= k - 1)
 * is >= level; among equal spans the symmetric pair (k = n + 1 - j) wins,
 * else the one nearest the centre with the smaller j. Returns 0 and sets
 * lo/hi, or -1 when n is too small to reach the level (lo/hi = min/max;
 * n < 6 at 0.95). */
int bl_median_ci_sorted(const double *sorted, size_t n, double level, double *lo, double *hi);
/* Modified z-score of x: 0.6745 (x - median) / MAD (Iglewicz-Hoaglin); 0
 * when MAD is 0 and x == median, +-inf when MAD is 0 and x differs. */
double bl_modified_z(double x, double median, double mad);

/* Two-sided Mann-Whitney U test, reproducing scipy.stats.mannwhitneyu(x, y,
 * alternative='two-sided', method='auto') of scipy 1.7-1.10: the exact
 * distribution when there are no ties and not both samples are larger than 8
 * (scipy's code tests `n1 > 8 and n2 > 8`, so 3 vs 1000 is exact), otherwise
 * the normal approximation with tie and continuity corrections; p is clipped
 * to 1. u is U1, the U of the first sample (scipy's statistic). One
 * deliberate difference: when the exact distribution would need more than
 * about 4M operations (e.g. 8 vs 200000 without ties) the normal
 * approximation is used and exact is 0. Returns -1 (p = 1) when a sample is
 * empty or holds a NaN. */
struct bl_mwu {
	double u;
	double p;
	int exact;
};
int bl_mann_whitney(const double *x, size_t nx, const double *y, size_t ny, struct bl_mwu *out);
/* The smallest two-sided p-value the test can give for these sizes (all of
 * one sample below all of the other, no ties); 1 when a size is 0. */
double bl_mann_whitney_min_p(size_t nx, size_t ny);

/* Hodges-Lehmann shift estimate of y - x (median of all pairwise
 * differences) with its distribution-free confidence interval from the
 * Mann-Whitney distribution (exact critical value for small samples, normal
 * otherwise). Returns -1 when the samples are too small for the level (then
 * lo/hi are the extreme pairwise differences).
 *
 * The interval is [D(k), D(nx*ny + 1 - k)] of the sorted differences D for
 * the largest k with P(U <= k - 1) <= (1 - level) / 2; the exact null
 * distribution is used while it costs under about 4M operations (both sizes
 * up to ~160, or one tiny and the other large), else the normal
 * approximation with continuity correction rounded down. The differences are
 * never stored: order statistics are selected in O((nx + ny) log(nx * ny))
 * expected time and O(nx + ny) memory, so any size that fits in memory
 * works. Returns -1 with everything 0 for an empty sample or a non-finite
 * value. */
struct bl_shift {
	double estimate;
	double lo, hi;
};
int bl_hodges_lehmann(const double *x, size_t nx, const double *y, size_t ny, double level,
		      struct bl_shift *out);

/* Standard normal survival function (via erfc) and its inverse (Wichura's
 * AS 241, about 1e-16 relative); isf(0) = +inf, isf(1) = -inf. */
double bl_norm_sf(double z);
double bl_norm_isf(double p);

/* Two-sample verdict used by compare and bisect. */
enum bl_verdict {
	BL_UNCHANGED = 0,
	BL_IMPROVED,
	BL_REGRESSED,
	BL_NOT_ENOUGH_DATA,
};
const char *bl_verdict_name(enum bl_verdict v);

struct bl_compare_opts {
	double alpha;       /* significance level, default 0.01 */
	double noise_floor; /* relative, default 0.01 (1%) */
	double level;       /* confidence level of the change's interval, default 0.95 */
	int higher_is_better;
};
void bl_compare_opts_default(struct bl_compare_opts *o);

struct bl_comparison {
	struct bl_summary old_sum, new_sum;
	/* Relative change new/old - 1 of the medians, and its interval from the
	 * Hodges-Lehmann interval of the log values (exp(lo) - 1, exp(hi) - 1);
	 * ci_valid 0 when undefined (too few values or non-positive values, in
	 * which case the interval collapses to the change of the medians:
	 * change_lo == change_hi == change). A zero old median gives a change of
	 * +-inf (0 when both are 0). */
	double change, change_lo, change_hi;
	int ci_valid;
	struct bl_mwu mwu;
	enum bl_verdict verdict;
};
/* A change is reported only when it is significant (p < alpha) and larger
 * than the noise floor (|change| > noise_floor); direction follows
 * higher_is_better. NOT_ENOUGH_DATA when either side is empty or the test
 * cannot reach alpha at these sample sizes. mwu is the U test of old (x)
 * against new (y). o may be NULL for the defaults. */
void bl_compare_samples(const double *old_v, size_t n_old, const double *new_v, size_t n_new,
			const struct bl_compare_opts *o, struct bl_comparison *out);

#endif
