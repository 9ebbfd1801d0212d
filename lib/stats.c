/* stats.c - descriptive summaries: centre, spread, quantiles, the median's
 * confidence interval and the warnings that tell a reader not to trust them. */
#include "benchline/stats.h"
#include "benchline/common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Iglewicz and Hoaglin: 0.6745 is the 0.75 quantile of the standard normal,
 * which makes the MAD a consistent estimate of sigma; 3.5 is their cut-off. */
#define MODZ_SCALE 0.6745
#define MODZ_OUTLIER 3.5
/* pyperf warns when the standard deviation reaches 10% of the centre. */
#define SPREAD_LIMIT 0.10
#define FEW_RUNS 5
/*
 * Coverage sums are computed in floating point; an interval whose exact
 * coverage equals the level must not be lost to the last bit of rounding.
 */
#define COVERAGE_SLACK 1e-12

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bl_select_kth(double *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;
	while (lo < hi) {
		double pivot = v[lo + (hi - lo) / 2];
		size_t i = lo, j = hi;
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				double t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return v[k];
	}
	return v[k];
}

/* Selection, not a sort: linear time, which matters for the long arrays of
 * reports (a series' medians) and detection (Theil-Sen slopes). */
double bl_median_inplace(double *values, size_t n)
{
	if (n == 0)
		return 0;
	double hi = bl_select_kth(values, n, n / 2);
	if (n % 2)
		return hi;
	double lo = values[0];
	for (size_t i = 1; i < n / 2; i++) /* after selection, values[0 .. n/2) are the smaller ones */
		if (values[i] > lo)
			lo = values[i];
	return (lo + hi) / 2;
}

/*
 * numpy's lerp: from below for t < 0.5 and from above otherwise, so that
 * t == 1 gives b exactly. Doing the same keeps our quantiles bit-identical to
 * numpy.percentile's, not merely close.
 */
static double lerp(double a, double b, double t)
{
	double d = b - a;
	return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

double bl_quantile_sorted(const double *sorted, size_t n, double q)
{
	if (n == 0)
		return 0;
	if (!(q > 0)) /* also catches NaN */
		return sorted[0];
	if (q >= 1)
		return sorted[n - 1];
	double h = (double)(n - 1) * q;
	double fl = floor(h);
	size_t lo = (size_t)fl;
	if (lo >= n - 1)
		return sorted[n - 1];
	return lerp(sorted[lo], sorted[lo + 1], h - fl);
}

/*
 * P(B <= i) for B ~ Binomial(n, 1/2), i = 0.., written into cdf[] until the
 * lower tail reaches `need` (or i reaches n / 2). Terms come from lgamma so
 * that large n cannot overflow; tail terms that underflow are negligible.
 * Returns how many entries were filled.
 */
/* lgamma sets the global signgam: lgamma_r does not, so the reports' worker
 * threads (lib/report_data.c) may summarise at once. */
static double log_gamma(double x)
{
	int sign;
	return lgamma_r(x, &sign);
}

static size_t binom_half_cdf(size_t n, double need, double *cdf)
{
	double lfn = log_gamma((double)n + 1) - (double)n * M_LN2;
	double acc = 0;
	size_t i;
	for (i = 0; i <= n / 2; i++) {
		acc += exp(lfn - log_gamma((double)i + 1) - log_gamma((double)(n - i) + 1));
		cdf[i] = acc;
		if (acc > need)
			return i + 1;
	}
	return i;
}

/*
 * The interval [X(j), X(k)] (1-based order statistics) covers the median
 * with probability P(j <= B <= k - 1). The symmetric pair (j, n + 1 - j)
 * centres that window on n / 2, where the binomial is densest, so for its
 * span it is the best there is; any window of a smaller span of the same
 * parity fits in a narrower symmetric one that already failed. Only a window
 * one narrower than the symmetric winner (the other parity, so never
 * symmetric) can still beat it, and the best such window is the one closest
 * to the centre.
 */
int bl_median_ci_sorted(const double *sorted, size_t n, double level, double *lo, double *hi)
{
	if (n == 0) {
		*lo = *hi = 0;
		return -1;
	}
	*lo = sorted[0];
	*hi = sorted[n - 1];
	if (n < 2 || !(level > 0 && level < 1))
		return -1;
	double tail = (1 - level) / 2 + COVERAGE_SLACK;
	double *cdf = bl_xmalloc((n / 2 + 1) * sizeof(double));
	size_t filled = binom_half_cdf(n, tail, cdf);
	/* Largest j with F(j - 1) <= tail, i.e. coverage 1 - 2 F(j - 1) >= level. */
	size_t j = 0;
	while (j < filled && cdf[j] <= tail)
		j++;
	if (j == 0 || j > n / 2) {
		free(cdf);
		return -1;
	}
	size_t k = n + 1 - j;
	size_t span = k - j;
	if (span > 1) {
		size_t d = span - 1;
		size_t j2 = (n - d + 1) / 2; /* window {j2..j2+d-1} nearest n/2 */
		size_t k2 = j2 + d;
		/* F(k2 - 1) - F(j2 - 1) = 1 - F(j2 - 1) - F(n - k2) by symmetry. */
		double below = j2 >= 1 && j2 - 1 < filled ? cdf[j2 - 1] : 0;
		double above = n - k2 < filled ? cdf[n - k2] : 1;
		if (j2 >= 1 && 1 - below - above >= level - COVERAGE_SLACK) {
			j = j2;
			k = k2;
		}
	}
	free(cdf);
	*lo = sorted[j - 1];
	*hi = sorted[k - 1];
	return 0;
}

double bl_modified_z(double x, double median, double mad)
{
	if (mad == 0) {
		if (x == median)
			return 0;
		return x > median ? INFINITY : -INFINITY;
	}
	return MODZ_SCALE * (x - median) / mad;
}

static void moments(const double *v, size_t n, struct bl_summary *out)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	out->mean = sum / (double)n;
	if (n > 1) {
		double ss = 0;
		for (size_t i = 0; i < n; i++)
			ss += (v[i] - out->mean) * (v[i] - out->mean);
		out->stddev = sqrt(ss / (double)(n - 1));
	}
	out->cv = out->mean != 0 ? out->stddev / fabs(out->mean) : 0;
}

static void quantiles(const double *sorted, size_t n, struct bl_summary *out)
{
	out->min = sorted[0];
	out->max = sorted[n - 1];
	out->median = bl_quantile_sorted(sorted, n, 0.5);
	out->p5 = bl_quantile_sorted(sorted, n, 0.05);
	out->p25 = bl_quantile_sorted(sorted, n, 0.25);
	out->p75 = bl_quantile_sorted(sorted, n, 0.75);
	out->p95 = bl_quantile_sorted(sorted, n, 0.95);
	out->p99 = bl_quantile_sorted(sorted, n, 0.99);
	out->ci_valid = bl_median_ci_sorted(sorted, n, 0.95, &out->median_lo, &out->median_hi) == 0;
}

/* MAD and outlier count; scratch (n doubles) is overwritten. */
static void deviations(const double *sorted, size_t n, double *scratch, struct bl_summary *out)
{
	for (size_t i = 0; i < n; i++)
		scratch[i] = fabs(sorted[i] - out->median);
	out->mad = bl_median_inplace(scratch, n);
	for (size_t i = 0; i < n; i++)
		if (fabs(bl_modified_z(sorted[i], out->median, out->mad)) > MODZ_OUTLIER)
			out->outliers++;
}

static unsigned warnings(const struct bl_summary *s, double resolution)
{
	unsigned w = 0;
	if (s->n < FEW_RUNS)
		w |= BL_WARN_FEW_RUNS;
	if (s->stddev > SPREAD_LIMIT * fabs(s->median))
		w |= BL_WARN_SPREAD;
	if (resolution > 0 && s->min < resolution)
		w |= BL_WARN_RESOLUTION;
	if (s->outliers)
		w |= BL_WARN_OUTLIERS;
	return w;
}

void bl_summarize_res(const double *values, size_t n, double resolution, struct bl_summary *out)
{
	memset(out, 0, sizeof(*out));
	if (n == 0)
		return;
	double *v = bl_xmalloc(2 * n * sizeof(double));
	double *scratch = v + n;
	memcpy(v, values, n * sizeof(double));
	qsort(v, n, sizeof(double), cmp_double);
	out->n = n;
	quantiles(v, n, out);
	moments(v, n, out);
	deviations(v, n, scratch, out);
	out->warnings = warnings(out, resolution);
	free(v);
}

void bl_summarize(const double *values, size_t n, struct bl_summary *out)
{
	bl_summarize_res(values, n, 0, out);
}
