/* stats_rank.c - the Mann-Whitney U test, the Hodges-Lehmann shift with its
 * interval, and the normal distribution they fall back on.
 *
 * The U test follows scipy.stats.mannwhitneyu(x, y, alternative='two-sided',
 * method='auto') as scipy 1.7 to 1.10 compute it, so that a p-value printed
 * by benchline can be checked with one line of Python.
 */
#include "benchline/common.h"
#include "benchline/stats.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* scipy's 'auto' rule: both samples above this size go asymptotic. */
#define MWU_EXACT_MAX_SMALLER 8
/*
 * The exact null distribution costs min(m, n) passes over K + 1 counts, K up
 * to m * n / 2. Past this much work (and memory: 8 bytes a count) we use the
 * normal approximation instead, the one place where we part from scipy, which
 * would grind through the recursion for minutes there.
 */
#define EXACT_WORK_MAX ((size_t)1 << 22)
/* When a selection has narrowed to this many candidates per row, sort them. */
#define SELECT_GATHER_FACTOR 2
/* Work bound of the exact critical rank of the Hodges-Lehmann interval. */
#define HL_EXACT_WORK_MAX ((size_t)1 << 13)

/* ---- the standard normal ---- */

double bl_norm_sf(double z)
{
	return 0.5 * erfc(z * M_SQRT1_2);
}

static double poly7(const double c[8], double x)
{
	double r = c[7];
	for (int i = 6; i >= 0; i--)
		r = r * x + c[i];
	return r;
}

/*
 * Wichura's AS 241 (PPND16): the lower-tail normal quantile to about 1e-16
 * relative, from three rational approximations: one for the centre and two
 * for the tails in r = sqrt(-log(tail)).
 */
static double ppnd16(double p)
{
	static const double a[8] = {3.3871328727963666080e0,  1.3314166789178437745e+2, 1.9715909503065514427e+3,
				    1.3731693765509461125e+4, 4.5921953931549871457e+4, 6.7265770927008700853e+4,
				    3.3430575583588128105e+4, 2.5090809287301226727e+3};
	static const double b[8] = {1.0,
				    4.2313330701600911252e+1,
				    6.8718700749205790830e+2,
				    5.3941960214247511077e+3,
				    2.1213794301586595867e+4,
				    3.9307895800092710610e+4,
				    2.8729085735721942674e+4,
				    5.2264952788528545610e+3};
	static const double c[8] = {1.42343711074968357734e0,  4.63033784615654529590e0, 5.76949722146069140550e0,
				    3.64784832476320460504e0,  1.27045825245236838258e0, 2.41780725177450611770e-1,
				    2.27238449892691845833e-2, 7.74545014278341407640e-4};
	static const double d[8] = {1.0,
				    2.05319162663775882187e0,
				    1.67638483018380384940e0,
				    6.89767334985100004550e-1,
				    1.48103976427480074590e-1,
				    1.51986665636164571966e-2,
				    5.47593808499534494600e-4,
				    1.05075007164441684324e-9};
	static const double e[8] = {6.65790464350110377720e0,  5.46378491116411436990e0,  1.78482653991729133580e0,
				    2.96560571828504891230e-1, 2.65321895265761230930e-2, 1.24266094738807843860e-3,
				    2.71155556874348757815e-5, 2.01033439929228813265e-7};
	static const double f[8] = {1.0,
				    5.99832206555887937690e-1,
				    1.36929880922735805310e-1,
				    1.48753612908506148525e-2,
				    7.86869131145613259100e-4,
				    1.84631831751005468180e-5,
				    1.42151175831644588870e-7,
				    2.04426310338993978564e-15};
	double q = p - 0.5;
	if (fabs(q) <= 0.425) {
		double r = 0.180625 - q * q;
		return q * poly7(a, r) / poly7(b, r);
	}
	double r = sqrt(-log(q < 0 ? p : 1 - p));
	double v;
	if (r <= 5) {
		r -= 1.6;
		v = poly7(c, r) / poly7(d, r);
	} else {
		r -= 5;
		v = poly7(e, r) / poly7(f, r);
	}
	return q < 0 ? -v : v;
}

double bl_norm_isf(double p)
{
	if (isnan(p))
		return p;
	if (p <= 0)
		return INFINITY;
	if (p >= 1)
		return -INFINITY;
	/* isf(p) = -ppf(p): using the symmetry avoids forming 1 - p. */
	return -ppnd16(p);
}

/* ---- the exact null distribution of U ---- */

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* C(m + n, m) in floating point (exact while it fits 53 bits). */
static double binom_count(size_t m, size_t n)
{
	size_t k = min_size(m, n), top = m + n;
	double c = 1;
	for (size_t i = 1; i <= k; i++)
		c = c * (double)(top - k + i) / (double)i;
	return c;
}

static int exact_feasible(size_t m, size_t n, size_t kmax)
{
	size_t small = min_size(m, n);
	return kmax < EXACT_WORK_MAX && small <= EXACT_WORK_MAX / (kmax + 1);
}

/*
 * P(U <= k) for k = 0..kmax, for samples of m and n without ties, written to
 * cdf[]. The counts of arrangements by U are the coefficients of the Gaussian
 * binomial [m + n choose m] = prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i); each
 * factor is a division (a running sum with stride i) and a multiplication (a
 * difference with stride n + i), truncated at kmax (Harding, 1984). After
 * each factor the series is again a Gaussian binomial, with non-negative
 * coefficients, so little is lost to cancellation.
 */
static void mwu_exact_cdf(size_t m, size_t n, size_t kmax, double *cdf)
{
	size_t small = min_size(m, n), big = m + n - small;
	memset(cdf, 0, (kmax + 1) * sizeof(double));
	cdf[0] = 1;
	for (size_t i = 1; i <= small; i++) {
		for (size_t j = i; j <= kmax; j++)
			cdf[j] += cdf[j - i];
		for (size_t j = kmax; j + 1 > big + i; j--)
			cdf[j] -= cdf[j - big - i];
	}
	double total = binom_count(m, n), acc = 0;
	for (size_t j = 0; j <= kmax; j++) {
		acc += cdf[j];
		cdf[j] = acc / total;
	}
}

/* ---- Mann-Whitney U ---- */

struct tagged {
	double v;
	int from_x;
};

static int cmp_tagged(const void *a, const void *b)
{
	double x = ((const struct tagged *)a)->v, y = ((const struct tagged *)b)->v;
	return (x > y) - (x < y);
}

/*
 * Rank sum of x in the pooled sample (mid-ranks for ties), and the tie term
 * sum(t^3 - t) over groups of equal values.
 */
static void rank_sum(const double *x, size_t nx, const double *y, size_t ny, double *r1, double *ties)
{
	size_t n = nx + ny;
	struct tagged *t = bl_xmalloc(n * sizeof(*t));
	for (size_t i = 0; i < nx; i++)
		t[i] = (struct tagged){x[i], 1};
	for (size_t i = 0; i < ny; i++)
		t[nx + i] = (struct tagged){y[i], 0};
	qsort(t, n, sizeof(*t), cmp_tagged);
	*r1 = 0;
	*ties = 0;
	for (size_t i = 0; i < n;) {
		size_t e = i + 1, in_x = (size_t)t[i].from_x;
		while (e < n && t[e].v == t[i].v)
			in_x += (size_t)t[e++].from_x;
		double g = (double)(e - i);
		/* ranks i+1..e share their average */
		*r1 += (double)in_x * ((double)i + (g + 1) / 2);
		*ties += g * g * g - g;
		i = e;
	}
	free(t);
}

static int has_nan(const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (isnan(v[i]))
			return 1;
	return 0;
}

static double clip_p(double p)
{
	return p > 1 ? 1 : p < 0 ? 0 : p;
}

/* scipy's _get_mwu_z with continuity correction, folded into a two-sided p. */
static double mwu_asymptotic_p(double u, size_t nx, size_t ny, double ties)
{
	double n1 = (double)nx, n2 = (double)ny, n = n1 + n2;
	double mu = n1 * n2 / 2;
	double s = sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))));
	if (!(s > 0)) /* every value equal: no evidence at all */
		return 1;
	return clip_p(2 * bl_norm_sf((u - mu - 0.5) / s));
}

/* Two-sided exact p of the larger U, or -1 when too costly to compute. */
static double mwu_exact_p(double u, size_t nx, size_t ny)
{
	size_t k = (size_t)((double)nx * (double)ny - u); /* sf(u) = cdf(mn - u) by symmetry */
	if (!exact_feasible(nx, ny, k))
		return -1;
	double *cdf = bl_xmalloc((k + 1) * sizeof(double));
	mwu_exact_cdf(nx, ny, k, cdf);
	double p = clip_p(2 * cdf[k]);
	free(cdf);
	return p;
}

static int mwu_wants_exact(size_t nx, size_t ny, double ties)
{
	return !(nx > MWU_EXACT_MAX_SMALLER && ny > MWU_EXACT_MAX_SMALLER) && ties == 0;
}

int bl_mann_whitney(const double *x, size_t nx, const double *y, size_t ny, struct bl_mwu *out)
{
	memset(out, 0, sizeof(*out));
	out->p = 1;
	if (nx == 0 || ny == 0 || has_nan(x, nx) || has_nan(y, ny))
		return -1;
	double r1, ties;
	rank_sum(x, nx, y, ny, &r1, &ties);
	double n1 = (double)nx, n2 = (double)ny;
	out->u = r1 - n1 * (n1 + 1) / 2;
	double u = fmax(out->u, n1 * n2 - out->u);
	if (mwu_wants_exact(nx, ny, ties)) {
		double p = mwu_exact_p(u, nx, ny);
		if (p >= 0) {
			out->p = p;
			out->exact = 1;
			return 0;
		}
	}
	out->p = mwu_asymptotic_p(u, nx, ny, ties);
	return 0;
}

double bl_mann_whitney_min_p(size_t nx, size_t ny)
{
	if (nx == 0 || ny == 0)
		return 1;
	if (mwu_wants_exact(nx, ny, 0) && exact_feasible(nx, ny, 0))
		return clip_p(2 / binom_count(nx, ny));
	return mwu_asymptotic_p((double)nx * (double)ny, nx, ny, 0);
}

/* ---- selecting among the pairwise differences ---- */

/*
 * The nx * ny differences y[j] - x[i] of two ascending arrays form a matrix
 * whose rows ascend and whose columns descend. Rounding is monotone, so that
 * stays true of the computed differences, and the count of entries <= p in
 * each row can be found for all rows with one pass of two pointers. The k-th
 * smallest is found by random pivots that shrink, row by row, the window of
 * columns still in play (Monahan, 1984): O((nx + ny) log(nx * ny)) time
 * expected and O(nx + ny) memory, never the whole matrix.
 */
struct diffsel {
	const double *x, *y;
	size_t nx, ny;
	size_t *lb, *rb; /* columns [lb, rb) of each row are still candidates */
	size_t *le, *lt; /* per row: entries <= pivot, entries < pivot */
	uint64_t rng;
};

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void count_rows(struct diffsel *s, double p, size_t *tot_le, size_t *tot_lt)
{
	size_t jle = 0, jlt = 0;
	*tot_le = *tot_lt = 0;
	for (size_t i = 0; i < s->nx; i++) {
		while (jle < s->ny && s->y[jle] - s->x[i] <= p)
			jle++;
		while (jlt < s->ny && s->y[jlt] - s->x[i] < p)
			jlt++;
		s->le[i] = jle;
		s->lt[i] = jlt;
		*tot_le += jle;
		*tot_lt += jlt;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The rank-th smallest of the candidates left (1-based), by sorting them. */
static double gather_select(struct diffsel *s, size_t active, size_t rank)
{
	double *v = bl_xmalloc(active * sizeof(double));
	size_t n = 0;
	for (size_t i = 0; i < s->nx; i++)
		for (size_t j = s->lb[i]; j < s->rb[i]; j++)
			v[n++] = s->y[j] - s->x[i];
	qsort(v, n, sizeof(double), cmp_double);
	double r = v[rank - 1];
	free(v);
	return r;
}

static double random_candidate(struct diffsel *s, size_t active)
{
	size_t r = (size_t)(splitmix64(&s->rng) % active);
	for (size_t i = 0;; i++) {
		size_t w = s->rb[i] - s->lb[i];
		if (r < w)
			return s->y[s->lb[i] + r] - s->x[i];
		r -= w;
	}
}

/* k-th smallest (1-based) difference y[j] - x[i]. */
static double select_diff(struct diffsel *s, size_t k)
{
	for (size_t i = 0; i < s->nx; i++) {
		s->lb[i] = 0;
		s->rb[i] = s->ny;
	}
	for (;;) {
		size_t active = 0, below = 0;
		for (size_t i = 0; i < s->nx; i++) {
			active += s->rb[i] - s->lb[i];
			below += s->lb[i];
		}
		if (active <= SELECT_GATHER_FACTOR * (s->nx + s->ny))
			return gather_select(s, active, k - below);
		double p = random_candidate(s, active);
		size_t le, lt;
		count_rows(s, p, &le, &lt);
		if (lt < k && k <= le)
			return p;
		for (size_t i = 0; i < s->nx; i++) {
			if (k <= lt) {
				if (s->rb[i] > s->lt[i])
					s->rb[i] = s->lt[i];
			} else if (s->lb[i] < s->le[i]) {
				s->lb[i] = s->le[i];
			}
		}
	}
}

/* ---- Hodges-Lehmann ---- */

static int all_finite(const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return 0;
	return 1;
}

static double *sorted_copy(const double *v, size_t n)
{
	double *c = bl_xmalloc(n * sizeof(double));
	memcpy(c, v, n * sizeof(double));
	qsort(c, n, sizeof(double), cmp_double);
	return c;
}

/*
 * The interval is [D(k), D(N + 1 - k)] for the largest k with
 * P(U <= k - 1) <= (1 - level) / 2 (Hollander and Wolfe, ch. 4.3), ties
 * ignored as usual. Returns k, or 0 when no k qualifies.
 */
static size_t hl_rank(size_t nx, size_t ny, double level)
{
	double half_alpha = (1 - level) / 2;
	size_t mn = nx * ny, kmax = mn / 2;
	/* Exact while cheap (up to about 25 x 25); beyond, the normal
	 * approximation of the critical rank is off by at most one rank, and the
	 * exact one would cost milliseconds per call (detect calls it often). */
	size_t small = min_size(nx, ny);
	if (kmax < HL_EXACT_WORK_MAX && small <= HL_EXACT_WORK_MAX / (kmax + 1)) {
		double *cdf = bl_xmalloc((kmax + 1) * sizeof(double));
		mwu_exact_cdf(nx, ny, kmax, cdf);
		size_t k = 0; /* count of j with P(U <= j) <= half_alpha */
		while (k <= kmax && cdf[k] <= half_alpha * (1 + 1e-12))
			k++;
		free(cdf);
		return k;
	}
	/* Normal approximation with continuity correction, rounded down so the
	 * interval errs on the wide side. */
	double n1 = (double)nx, n2 = (double)ny;
	double sd = sqrt(n1 * n2 * (n1 + n2 + 1) / 12);
	double k = floor(n1 * n2 / 2 + 0.5 - bl_norm_isf(half_alpha) * sd);
	return k < 1 ? 0 : (size_t)k;
}

int bl_hodges_lehmann(const double *x, size_t nx, const double *y, size_t ny, double level, struct bl_shift *out)
{
	memset(out, 0, sizeof(*out));
	if (nx == 0 || ny == 0 || nx > SIZE_MAX / 2 / ny || !all_finite(x, nx) || !all_finite(y, ny))
		return -1;
	struct diffsel s = {.nx = nx, .ny = ny, .rng = 0x6c62272e07bb0142ULL};
	double *xs = sorted_copy(x, nx), *ys = sorted_copy(y, ny);
	size_t *idx = bl_xmalloc(4 * nx * sizeof(size_t));
	s.x = xs;
	s.y = ys;
	s.lb = idx;
	s.rb = idx + nx;
	s.le = idx + 2 * nx;
	s.lt = idx + 3 * nx;

	size_t n = nx * ny;
	out->estimate = select_diff(&s, (n + 1) / 2);
	if (n % 2 == 0)
		out->estimate = (out->estimate + select_diff(&s, n / 2 + 1)) / 2;
	size_t k = level > 0 && level < 1 ? hl_rank(nx, ny, level) : 0;
	int rc = k >= 1 ? 0 : -1;
	if (k < 1)
		k = 1;
	out->lo = select_diff(&s, k);
	out->hi = select_diff(&s, n + 1 - k);
	free(idx);
	free(xs);
	free(ys);
	return rc;
}
