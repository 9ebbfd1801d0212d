/* test_stats.c - summaries, the U test, Hodges-Lehmann, the normal
 * distribution and the compare verdict.
 *
 * Expected values come from numpy 1.24 / scipy 1.10 (Debian 12's
 * python3-numpy, python3-scipy); the one-liner that produced each is next to
 * it, run with /usr/bin/python3 and, unless it says otherwise, these imports:
 *   import numpy as np; from scipy.stats import mannwhitneyu as mw, norm, binom
 * mw(...) always means mw(x, y, alternative='two-sided', method='auto').
 */
#include "benchline/common.h"
#include "benchline/stats.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* |got - want| within rel of |want| (or rel absolute near 0). */
static void near(double got, double want, double rel)
{
	double tol = rel * (fabs(want) > 1 ? fabs(want) : 1);
	if (!(fabs(got - want) <= tol))
		fail_msg("got %.17g, want %.17g (tolerance %.3g)", got, want, tol);
}

/* p-values: relative agreement matters most in the small tail. */
static void near_p(double got, double want)
{
	if (!(fabs(got - want) <= 1e-12 * want))
		fail_msg("p %.17g, want %.17g", got, want);
}

/* A small deterministic generator, so tests need no seed file. */
static uint64_t rng_state;

static double uniform(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(rng_state >> 11) / 9007199254740992.0;
}

static double gauss(void)
{
	double u = uniform(), v = uniform();
	return sqrt(-2 * log(1 - u)) * cos(2 * M_PI * v);
}

/* ---- quantiles and summaries ---- */

static void test_quantiles(void **state)
{
	static const double v[] = {1.2, 2.0, 3.1, 4.4, 5.5, 8.5, 9.9};
	/* np.percentile([3.1,1.2,8.5,4.4,2.0,9.9,5.5],[0,5,25,50,75,95,99,100]) */
	static const double q[] = {0, .05, .25, .5, .75, .95, .99, 1};
	static const double want[] = {1.2, 1.44, 2.55, 4.4, 7.0, 9.479999999999999, 9.815999999999999, 9.9};
	for (size_t i = 0; i < N_OF(q); i++)
		assert_true(bl_quantile_sorted(v, N_OF(v), q[i]) == want[i]);
	/* np.percentile([0.1,0.7],[5,50,99]) */
	static const double two[] = {0.1, 0.7};
	assert_true(bl_quantile_sorted(two, 2, 0.05) == 0.13);
	assert_true(bl_quantile_sorted(two, 2, 0.5) == 0.39999999999999997);
	assert_true(bl_quantile_sorted(two, 2, 0.99) == 0.694);
	assert_true(bl_quantile_sorted(two, 1, 0.7) == 0.1);
	assert_true(bl_quantile_sorted(two, 2, -1) == 0.1);
	assert_true(bl_quantile_sorted(two, 2, 2) == 0.7);
	assert_true(bl_quantile_sorted(NULL, 0, 0.5) == 0);
}

static void test_summary(void **state)
{
	static const double v[] = {10.2, 9.8, 10.0, 10.1, 9.9, 10.3, 9.7, 10.0, 14.5, 10.05};
	double copy[N_OF(v)];
	memcpy(copy, v, sizeof(v));
	struct bl_summary s;
	bl_summarize(v, N_OF(v), &s);
	assert_memory_equal(copy, v, sizeof(v)); /* inputs untouched */
	/* v=np.array([10.2,9.8,10.0,10.1,9.9,10.3,9.7,10.0,14.5,10.05]); m=np.median(v);
	 * mad=np.median(abs(v-m)); print(m, v.mean(), v.std(ddof=1), mad,
	 * np.percentile(v,[5,25,75,95,99]), sum(abs(0.6745*(v-m)/mad)>3.5)) */
	assert_int_equal(s.n, 10);
	near(s.median, 10.025, 1e-15);
	near(s.mean, 10.455, 1e-14);
	near(s.stddev, 1.432257348073701, 1e-13);
	near(s.mad, 0.14999999999999947, 1e-13);
	near(s.cv, 0.136992572747365, 1e-13);
	near(s.p5, 9.745, 1e-15);
	near(s.p25, 9.925, 1e-15);
	near(s.p75, 10.174999999999999, 1e-15);
	near(s.p95, 12.609999999999996, 1e-15);
	near(s.p99, 14.122, 1e-15);
	assert_true(s.min == 9.7 && s.max == 14.5);
	assert_int_equal(s.outliers, 1);
	/* n = 10 at 95%: order statistics (2, 9), see test_median_ci_anchors */
	assert_true(s.ci_valid);
	assert_true(s.median_lo == 9.8 && s.median_hi == 10.3);
	/* stddev 1.43 > 10% of 10.025; one outlier; enough runs */
	assert_int_equal(s.warnings, BL_WARN_SPREAD | BL_WARN_OUTLIERS);
}

static void test_summary_small(void **state)
{
	struct bl_summary s;
	bl_summarize(NULL, 0, &s);
	assert_int_equal(s.n, 0);
	assert_true(s.median == 0 && s.stddev == 0 && s.warnings == 0);

	static const double one[] = {5};
	bl_summarize(one, 1, &s);
	assert_true(s.median == 5 && s.stddev == 0 && s.mad == 0 && s.p99 == 5);
	assert_false(s.ci_valid);
	assert_true(s.median_lo == 5 && s.median_hi == 5);
	assert_int_equal(s.warnings, BL_WARN_FEW_RUNS);

	/* 5 values cannot give a 95% interval (best: 1 - 2/32 = 93.75%) */
	static const double five[] = {5, 1, 4, 2, 3};
	bl_summarize(five, 5, &s);
	assert_false(s.ci_valid);
	assert_true(s.median_lo == 1 && s.median_hi == 5);
	static const double six[] = {6, 5, 1, 4, 2, 3};
	bl_summarize(six, 6, &s);
	assert_true(s.ci_valid); /* 1 - 2/64 = 96.9% */
	assert_true(s.median_lo == 1 && s.median_hi == 6);

	/* MAD 0: whatever differs from the median is an outlier */
	static const double flat[] = {7, 7, 7, 7, 7, 8};
	bl_summarize_res(flat, 6, 7.5, &s);
	assert_true(s.mad == 0);
	assert_int_equal(s.outliers, 1);
	assert_int_equal(s.warnings, BL_WARN_OUTLIERS | BL_WARN_RESOLUTION);
	bl_summarize_res(flat, 6, 7, &s); /* 7 is not below 7 */
	assert_int_equal(s.warnings, BL_WARN_OUTLIERS);
}

static void test_modified_z(void **state)
{
	near(bl_modified_z(13, 10, 2), 0.6745 * 1.5, 1e-15);
	near(bl_modified_z(7, 10, 2), -0.6745 * 1.5, 1e-15);
	assert_true(bl_modified_z(3, 3, 0) == 0);
	assert_true(bl_modified_z(4, 3, 0) == INFINITY);
	assert_true(bl_modified_z(2, 3, 0) == -INFINITY);
}

/* ---- the median's interval ---- */

/*
 * The rule by brute force: every pair (j, k), coverage summed from the
 * binomial in long double; the smallest span wins, then the symmetric pair,
 * then the larger coverage, then the smaller j.
 */
static int brute_median_ci(size_t n, double level, size_t *bj, size_t *bk)
{
	long double pmf[256];
	pmf[0] = powl(0.5L, (long double)n);
	for (size_t i = 1; i <= n; i++)
		pmf[i] = pmf[i - 1] * (long double)(n - i + 1) / (long double)i;
	int found = 0;
	size_t best_span = 0;
	int best_sym = 0;
	long double best_cov = 0;
	for (size_t j = 1; j <= n; j++) {
		long double cov = 0;
		for (size_t k = j + 1; k <= n; k++) {
			cov += pmf[k - 1];
			if (cov < (long double)level - 1e-12L)
				continue;
			size_t span = k - j;
			int sym = j + k == n + 1;
			int better =
			    !found || span < best_span ||
			    (span == best_span && (sym > best_sym || (sym == best_sym && cov > best_cov + 1e-15L)));
			if (better) {
				found = 1;
				best_span = span;
				best_sym = sym;
				best_cov = cov;
				*bj = j;
				*bk = k;
			}
		}
	}
	return found;
}

static void test_median_ci_brute(void **state)
{
	static const double levels[] = {0.95, 0.9, 0.99, 0.5};
	double v[200];
	for (size_t i = 0; i < N_OF(v); i++)
		v[i] = (double)(i + 1); /* lo/hi are then the order statistics */
	for (size_t li = 0; li < N_OF(levels); li++) {
		for (size_t n = 1; n <= 120; n++) {
			size_t j = 0, k = 0;
			int want = brute_median_ci(n, levels[li], &j, &k);
			double lo, hi;
			int rc = bl_median_ci_sorted(v, n, levels[li], &lo, &hi);
			if (!want) {
				if (rc != -1 || lo != 1 || hi != (double)n)
					fail_msg("n=%zu level=%g: expected no interval", n, levels[li]);
				continue;
			}
			if (rc != 0 || lo != (double)j || hi != (double)k)
				fail_msg("n=%zu level=%g: got (%g,%g) rc %d, brute force (%zu,%zu)", n, levels[li], lo,
					 hi, rc, j, k);
		}
	}
}

static void test_median_ci_anchors(void **state)
{
	/* n=20; cov=lambda j,k: binom.cdf(k-1,n,.5)-binom.cdf(j-1,n,.5);
	 * print(min((k-j,-(j+k==n+1),-round(cov(j,k),12),j,k) for j in range(1,n+1)
	 *           for k in range(j+1,n+1) if cov(j,k)>=0.95-1e-12)[3:])
	 * with n = 6, 7, 10, 20, 50, 100, 200 in turn: */
	static const struct {
		size_t n, j, k;
	} want[] = {{6, 1, 6}, {7, 1, 7}, {10, 2, 9}, {20, 6, 15}, {50, 18, 32}, {100, 40, 60}, {200, 86, 114}};
	double *v = bl_xmalloc(200000 * sizeof(double));
	for (size_t i = 0; i < 200000; i++)
		v[i] = (double)(i + 1);
	for (size_t i = 0; i < N_OF(want); i++) {
		double lo, hi;
		assert_int_equal(bl_median_ci_sorted(v, want[i].n, 0.95, &lo, &hi), 0);
		assert_true(lo == (double)want[i].j && hi == (double)want[i].k);
	}
	/* Large n must neither overflow nor crawl: the interval is about
	 * n/2 -+ 1.96 sqrt(n)/2 (+1 for the order statistic). */
	double lo, hi;
	assert_int_equal(bl_median_ci_sorted(v, 200000, 0.95, &lo, &hi), 0);
	assert_true(fabs(lo - (100000 - 1.96 * sqrt(200000) / 2)) < 2);
	assert_true(fabs(hi - (100001 + 1.96 * sqrt(200000) / 2)) < 2);
	free(v);
}

/* ---- Mann-Whitney ---- */

struct mwu_case {
	const char *what;
	const double *x, *y;
	size_t nx, ny;
	double u, p;
	int exact;
};

static void check_mwu(const struct mwu_case *c)
{
	struct bl_mwu r;
	assert_int_equal(bl_mann_whitney(c->x, c->nx, c->y, c->ny, &r), 0);
	if (r.u != c->u || r.exact != c->exact)
		fail_msg("%s: U %g exact %d, want U %g exact %d", c->what, r.u, r.exact, c->u, c->exact);
	near_p(r.p, c->p);
}

static void test_mwu_exact(void **state)
{
	static const double x1[] = {5}, y1[] = {1, 2, 3, 4, 6, 7};
	static const double x11[] = {1}, y11[] = {2};
	static const double x2[] = {1, 2}, y2[] = {3, 4};
	static const double x3[] = {1.5, 3.2, 0.4}, y3[] = {2.2, 5.1, 4.4, 6.0, 3.9};
	static const double x7[] = {11.2, 10.4, 12.9, 10.1, 11.7, 12.2, 10.8};
	static const double y7[] = {12.5, 13.1, 11.9, 13.8, 12.7, 14.2, 13.3};
	static const double x7b[] = {1, 5, 9, 13, 3, 7, 11}, y7b[] = {2, 6, 10, 14, 4, 8, 12.5};
	static const double x320[] = {0.5, 7.25, 19.5};
	double y320[20];
	for (int i = 0; i < 20; i++)
		y320[i] = i;
	const struct mwu_case cases[] = {
	    /* mw([5.0],[1,2,3,4,6,7]) */
	    {"1x6", x1, y1, 1, 6, 4, 0.8571428571428571, 1},
	    /* mw([1.0],[2.0]) */
	    {"1x1", x11, y11, 1, 1, 0, 1.0, 1},
	    /* mw([1.,2.],[3.,4.]) */
	    {"2x2", x2, y2, 2, 2, 0, 0.3333333333333333, 1},
	    /* mw([1.5,3.2,0.4],[2.2,5.1,4.4,6.0,3.9]) */
	    {"3x5", x3, y3, 3, 5, 1, 0.07142857142857142, 1},
	    /* mw([11.2,10.4,12.9,10.1,11.7,12.2,10.8],[12.5,13.1,11.9,13.8,12.7,14.2,13.3]) */
	    {"7x7", x7, y7, 7, 7, 4, 0.006993006993006993, 1},
	    /* mw([1,5,9,13,3,7,11],[2,6,10,14,4,8,12.5]) */
	    {"7x7 interleaved", x7b, y7b, 7, 7, 21, 0.7103729603729605, 1},
	    /* scipy goes exact unless *both* sizes exceed 8:
	     * mw([0.5,7.25,19.5],[float(i) for i in range(20)]) */
	    {"3x20", x320, y320, 3, 20, 29, 0.9655561829474872, 1},
	};
	for (size_t i = 0; i < N_OF(cases); i++)
		check_mwu(&cases[i]);
}

static void test_mwu_asymptotic(void **state)
{
	double x9[9], y9[9];
	for (int i = 0; i < 9; i++) {
		x9[i] = i;
		y9[i] = i + 3.5;
	}
	static const double xt[] = {1, 2, 2, 3}, yt[] = {2, 3, 3, 4, 5};
	static const double xi[] = {1, 2, 3, 4, 5};
	static const double xs[] = {3, 3, 3}, ys[] = {3, 3};
	double xl[50], yl[60];
	for (int i = 0; i < 50; i++)
		xl[i] = (i * 37 % 101) / 10.0;
	for (int j = 0; j < 60; j++)
		yl[j] = (j * 53 % 103) / 10.0 + 1.5;
	const struct mwu_case cases[] = {
	    /* mw([float(i) for i in range(9)],[i+3.5 for i in range(9)]) */
	    {"9x9", x9, y9, 9, 9, 15, 0.0272753837615853, 0},
	    /* ties: mw([1.,2.,2.,3.],[2.,3.,3.,4.,5.]) */
	    {"ties", xt, yt, 4, 5, 3, 0.09934224785346528, 0},
	    /* mw([(i*37%101)/10 for i in range(50)],[(j*53%103)/10+1.5 for j in range(60)]) */
	    {"50x60", xl, yl, 50, 60, 1152, 0.0369636295683482, 0},
	    /* identical samples: mw([1.,2.,3.,4.,5.],[1.,2.,3.,4.,5.]) */
	    {"identical", xi, xi, 5, 5, 12.5, 1.0, 0},
	    /* mw([3.,3.,3.],[3.,3.]) */
	    {"all equal", xs, ys, 3, 2, 3, 1.0, 0},
	};
	for (size_t i = 0; i < N_OF(cases); i++)
		check_mwu(&cases[i]);
}

static void test_mwu_bad_input(void **state)
{
	static const double x[] = {1, 2}, y[] = {3, NAN};
	struct bl_mwu r;
	assert_int_equal(bl_mann_whitney(x, 0, y, 1, &r), -1);
	assert_true(r.p == 1);
	assert_int_equal(bl_mann_whitney(x, 2, y, 2, &r), -1);
}

static void test_mwu_min_p(void **state)
{
	assert_true(bl_mann_whitney_min_p(0, 5) == 1);
	near_p(bl_mann_whitney_min_p(3, 3), 0.1); /* 2 / C(6,3) */
	near_p(bl_mann_whitney_min_p(5, 5), 2.0 / 252);
	near_p(bl_mann_whitney_min_p(2, 2), 1.0 / 3);
	assert_true(bl_mann_whitney_min_p(1, 1) == 1); /* 2 / 2, clipped */
	/* mw(list(range(10)),list(range(10,20))) */
	near_p(bl_mann_whitney_min_p(10, 10), 0.00018267179110955002);
	/* mw(list(range(8)),list(range(8,108))) */
	near_p(bl_mann_whitney_min_p(8, 100), 5.681404514704238e-12);
	/* and it is what the test gives on fully separated samples */
	double x[12], y[15];
	for (int i = 0; i < 12; i++)
		x[i] = i;
	for (int i = 0; i < 15; i++)
		y[i] = 100 + i;
	struct bl_mwu r;
	bl_mann_whitney(x, 12, y, 15, &r);
	near_p(r.p, bl_mann_whitney_min_p(12, 15));
	bl_mann_whitney(x, 4, y, 6, &r);
	near_p(r.p, bl_mann_whitney_min_p(4, 6));
}

/* Exact and asymptotic p for the same data must be in the same ballpark,
 * and the exact distribution must sum to one: P(U <= mn) = 1 -> p = 1 at
 * the centre. */
static void test_mwu_exact_sane(void **state)
{
	double x[8], y[400];
	rng_state = 7;
	for (int i = 0; i < 8; i++)
		x[i] = gauss();
	for (int i = 0; i < 400; i++)
		y[i] = gauss() + 0.3;
	struct bl_mwu r;
	assert_int_equal(bl_mann_whitney(x, 8, y, 400, &r), 0);
	assert_true(r.exact);
	assert_true(r.p > 0 && r.p <= 1);
	/* 8 x 400 separated: 2 / C(408, 8) */
	for (int i = 0; i < 8; i++)
		x[i] = -10 - i;
	bl_mann_whitney(x, 8, y, 400, &r);
	assert_true(r.exact && r.u == 0);
	near(r.p / (2 / 1.7773458424095232e+16), 1, 1e-9); /* float(math.comb(408, 8)) */
}

/* ---- properties ---- */

static void test_mwu_shift_and_symmetry(void **state)
{
	rng_state = 42;
	for (int round = 0; round < 200; round++) {
		size_t nx = 1 + (size_t)(uniform() * 12), ny = 1 + (size_t)(uniform() * 25);
		double x[12], y[25], xs[12], ys[25];
		int tied = round % 3 == 0; /* integer data: ties, normal path */
		for (size_t i = 0; i < nx; i++)
			x[i] = tied ? floor(uniform() * 5) : gauss();
		for (size_t i = 0; i < ny; i++)
			y[i] = tied ? floor(uniform() * 5) : gauss() + 0.5;
		for (size_t i = 0; i < nx; i++)
			xs[i] = x[i] + 1000;
		for (size_t i = 0; i < ny; i++)
			ys[i] = y[i] + 1000;
		struct bl_mwu a, b, c;
		bl_mann_whitney(x, nx, y, ny, &a);
		bl_mann_whitney(xs, nx, ys, ny, &b);
		bl_mann_whitney(y, ny, x, nx, &c);
		assert_true(a.p == b.p && a.u == b.u);
		near(c.p, a.p, 1e-14);
		assert_true(c.u == (double)(nx * ny) - a.u);
		assert_int_equal(c.exact, a.exact);
	}
}

/* ---- Hodges-Lehmann ---- */

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* All differences, sorted: what the selection must agree with. */
static double *all_diffs(const double *x, size_t nx, const double *y, size_t ny)
{
	double *d = bl_xmalloc(nx * ny * sizeof(double));
	for (size_t i = 0; i < nx; i++)
		for (size_t j = 0; j < ny; j++)
			d[i * ny + j] = y[j] - x[i];
	qsort(d, nx * ny, sizeof(double), cmp_d);
	return d;
}

static void test_hl_anchor(void **state)
{
	static const double x[] = {11.2, 10.4, 12.9, 10.1, 11.7, 12.2, 10.8};
	static const double y[] = {12.5, 13.1, 11.9, 13.8, 12.7, 14.2, 13.3};
	struct bl_shift s;
	assert_int_equal(bl_hodges_lehmann(x, 7, y, 7, 0.95, &s), 0);
	/* np.median(np.subtract.outer([12.5,13.1,11.9,13.8,12.7,14.2,13.3],
	 *                             [11.2,10.4,12.9,10.1,11.7,12.2,10.8])) */
	near(s.estimate, 1.8000000000000007, 1e-15);
	/* k: from scipy.stats._mannwhitneyu import _mwu_state;
	 * print(sum(_mwu_state.cdf(np.arange(25), 7, 7) <= 0.025)) -> 9,
	 * the interval is the 9th smallest and 9th largest difference */
	double *d = all_diffs(x, 7, y, 7);
	assert_true(s.lo == d[8] && s.hi == d[49 - 9]);
	free(d);

	/* 3 vs 3 cannot reach 95%: the extremes, and -1 */
	assert_int_equal(bl_hodges_lehmann(x, 3, y, 3, 0.95, &s), -1);
	assert_true(s.lo == 11.9 - 12.9 && s.hi == 13.1 - 10.4);
	assert_int_equal(bl_hodges_lehmann(x, 0, y, 3, 0.95, &s), -1);
}

/* The selection against sorting all differences, ties included, on both
 * the exact and the normal path. */
static void test_hl_against_brute_force(void **state)
{
	static const size_t sizes[][2] = {{1, 1},   {1, 40},  {2, 3},	{5, 5},	   {7, 13},
					  {20, 20}, {33, 71}, {90, 60}, {200, 300}};
	rng_state = 3;
	for (size_t c = 0; c < N_OF(sizes); c++) {
		size_t nx = sizes[c][0], ny = sizes[c][1];
		double *x = bl_xmalloc(nx * sizeof(double)), *y = bl_xmalloc(ny * sizeof(double));
		for (size_t i = 0; i < nx; i++)
			x[i] = c % 2 ? floor(gauss() * 3) : gauss();
		for (size_t i = 0; i < ny; i++)
			y[i] = c % 2 ? floor(gauss() * 3 + 1) : gauss() + 1;
		double *d = all_diffs(x, nx, y, ny);
		size_t n = nx * ny;
		double med = n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2;
		struct bl_shift s;
		int rc = bl_hodges_lehmann(x, nx, y, ny, 0.95, &s);
		assert_true(s.estimate == med);
		/* whatever k was chosen, the ends are the k-th smallest and k-th
		 * largest difference for one k */
		int paired = 0;
		for (size_t k = 0; k < n && !paired; k++)
			paired = d[k] == s.lo && d[n - 1 - k] == s.hi;
		assert_true(paired);
		if (rc != 0)
			assert_true(s.lo == d[0] && s.hi == d[n - 1]);
		free(d);
		free(x);
		free(y);
	}
}

/* The critical rank on the normal path matches its formula; for 200 x 300:
 * N=60000; print(int(np.floor(N/2+0.5-norm.isf(0.025)*np.sqrt(N*501/12)))) */
static void test_hl_normal_rank(void **state)
{
	size_t nx = 200, ny = 300;
	double *x = bl_xmalloc(nx * sizeof(double)), *y = bl_xmalloc(ny * sizeof(double));
	for (size_t i = 0; i < nx; i++)
		x[i] = (double)i * 1000; /* all differences distinct */
	for (size_t i = 0; i < ny; i++)
		y[i] = (double)i;
	double *d = all_diffs(x, nx, y, ny);
	struct bl_shift s;
	assert_int_equal(bl_hodges_lehmann(x, nx, y, ny, 0.95, &s), 0);
	assert_true(s.lo == d[26898 - 1] && s.hi == d[60000 - 26898]);
	free(d);
	free(x);
	free(y);
}

/* A few thousand per side: no N^2 memory, and quick. */
static void test_hl_large(void **state)
{
	size_t n = 3000;
	double *x = bl_xmalloc(n * sizeof(double)), *y = bl_xmalloc(n * sizeof(double));
	rng_state = 11;
	for (size_t i = 0; i < n; i++) {
		x[i] = gauss();
		y[i] = gauss() + 2;
	}
	struct bl_shift s;
	assert_int_equal(bl_hodges_lehmann(x, n, y, n, 0.95, &s), 0);
	assert_true(s.lo < s.estimate && s.estimate < s.hi);
	assert_true(fabs(s.estimate - 2) < 0.15 && s.hi - s.lo < 0.3);
	free(x);
	free(y);
}

/* ---- the normal distribution ---- */

static void test_norm(void **state)
{
	/* norm.sf(1.96), norm.sf(-3.0), norm.sf(10.0), norm.sf(0.0) */
	near_p(bl_norm_sf(1.96), 0.024997895148220435);
	near_p(bl_norm_sf(-3.0), 0.9986501019683699);
	near_p(bl_norm_sf(10.0), 7.61985302416047e-24);
	assert_true(bl_norm_sf(0) == 0.5);
	/* norm.isf(0.025), norm.isf(1e-10), norm.isf(0.9), norm.isf(1e-300) */
	near(bl_norm_isf(0.025), 1.9599639845400545, 1e-15);
	near(bl_norm_isf(1e-10), 6.361340902404056, 1e-15);
	near(bl_norm_isf(0.9), -1.2815515655446004, 1e-15);
	near(bl_norm_isf(1e-300), 37.0470962993612, 1e-15);
	assert_true(bl_norm_isf(0.5) == 0);
	assert_true(bl_norm_isf(0) == INFINITY && bl_norm_isf(1) == -INFINITY);
	assert_true(isnan(bl_norm_isf(NAN)));
}

static void test_norm_round_trip(void **state)
{
	for (double lp = -300; lp < -0.001; lp += 0.37) {
		double p = pow(10, lp);
		/* sf's relative slope is about z, so z's last bit costs ~z^2 ulps */
		near(bl_norm_sf(bl_norm_isf(p)) / p, 1, 1e-12);
		near(bl_norm_sf(bl_norm_isf(1 - p)), 1 - p, 1e-15);
	}
	/* For negative z, sf(z) = 1 - tail keeps only the tail's absolute
	 * precision, 1e-16, so z comes back to about 1e-16 / pdf(z). */
	for (double z = -1; z <= 37; z += 0.125)
		near(bl_norm_isf(bl_norm_sf(z)), z, 1e-13);
	for (double z = -5; z < -1; z += 0.125)
		near(bl_norm_isf(bl_norm_sf(z)), z, 1e-9);
}

/* ---- the verdict ---- */

static void fill(double *v, size_t n, double centre, double spread)
{
	for (size_t i = 0; i < n; i++)
		v[i] = centre * (1 + spread * gauss());
}

static void test_verdict_names(void **state)
{
	assert_string_equal(bl_verdict_name(BL_UNCHANGED), "unchanged");
	assert_string_equal(bl_verdict_name(BL_IMPROVED), "improved");
	assert_string_equal(bl_verdict_name(BL_REGRESSED), "regressed");
	assert_string_equal(bl_verdict_name(BL_NOT_ENOUGH_DATA), "not enough data");
	struct bl_compare_opts o;
	bl_compare_opts_default(&o);
	assert_true(o.alpha == 0.01 && o.noise_floor == 0.01 && o.level == 0.95 && !o.higher_is_better);
}

static void test_compare_verdicts(void **state)
{
	double old_v[20], slow[20], same[20], tight[20], tiny[20];
	rng_state = 5;
	fill(old_v, 20, 100, 0.005);
	fill(slow, 20, 110, 0.005);
	fill(same, 20, 100, 0.005);
	fill(tight, 20, 100, 0.0005);
	fill(tiny, 20, 100.5, 0.0005); /* significant, but under 1% */
	struct bl_compare_opts o;
	struct bl_comparison c;
	bl_compare_opts_default(&o);

	bl_compare_samples(old_v, 20, slow, 20, &o, &c);
	assert_int_equal(c.verdict, BL_REGRESSED);
	assert_true(c.mwu.p < 1e-6 && fabs(c.change - 0.1) < 0.01);
	assert_true(c.ci_valid && c.change_lo < c.change && c.change < c.change_hi);
	assert_true(c.change_lo > 0.09 && c.change_hi < 0.11);
	assert_int_equal(c.old_sum.n, 20);

	o.higher_is_better = 1; /* throughput went up */
	bl_compare_samples(old_v, 20, slow, 20, &o, &c);
	assert_int_equal(c.verdict, BL_IMPROVED);
	bl_compare_samples(slow, 20, old_v, 20, &o, &c);
	assert_int_equal(c.verdict, BL_REGRESSED);
	o.higher_is_better = 0;
	bl_compare_samples(slow, 20, old_v, 20, &o, &c);
	assert_int_equal(c.verdict, BL_IMPROVED);

	bl_compare_samples(old_v, 20, same, 20, NULL, &c);
	assert_int_equal(c.verdict, BL_UNCHANGED);
	bl_compare_samples(tight, 20, tiny, 20, &o, &c);
	assert_true(c.mwu.p < o.alpha);
	assert_int_equal(c.verdict, BL_UNCHANGED);

	/* 4 vs 4 can never reach p < 0.01 (2/70 at best) */
	bl_compare_samples(old_v, 4, slow, 4, &o, &c);
	assert_int_equal(c.verdict, BL_NOT_ENOUGH_DATA);
	bl_compare_samples(old_v, 0, slow, 4, &o, &c);
	assert_int_equal(c.verdict, BL_NOT_ENOUGH_DATA);
	assert_false(c.ci_valid);
	/* 5 vs 5 can (2/252) */
	bl_compare_samples(old_v, 5, slow, 5, &o, &c);
	assert_int_equal(c.verdict, BL_REGRESSED);
}

static void test_compare_nonpositive(void **state)
{
	static const double a[] = {-1, 0, 1, 2, 3, 4}, b[] = {5, 6, 7, 8, 9, 10};
	struct bl_comparison c;
	bl_compare_samples(a, 6, b, 6, NULL, &c);
	assert_false(c.ci_valid);
	assert_true(c.change_lo == c.change && c.change_hi == c.change);
	near(c.change, 7.5 / 1.5 - 1, 1e-15);
	static const double z[] = {0, 0, 0, 0, 0};
	bl_compare_samples(z, 5, b, 6, NULL, &c);
	assert_true(c.change == INFINITY);
	bl_compare_samples(z, 5, z, 5, NULL, &c);
	assert_true(c.change == 0);
	assert_int_equal(c.verdict, BL_UNCHANGED);
}

/* Scaling both sides (a change of unit) must not move the relative change
 * or its interval. */
static void test_compare_scale_invariance(void **state)
{
	double a[15], b[18], as[15], bs[18];
	rng_state = 9;
	fill(a, 15, 3.0, 0.05);
	fill(b, 18, 3.2, 0.05);
	for (int r = 0; r < 4; r++) {
		double k = r == 0 ? 1000 : r == 1 ? 1e-9 : r == 2 ? 7.25 : 3.0e6;
		for (int i = 0; i < 15; i++)
			as[i] = a[i] * k;
		for (int i = 0; i < 18; i++)
			bs[i] = b[i] * k;
		struct bl_comparison c1, c2;
		bl_compare_samples(a, 15, b, 18, NULL, &c1);
		bl_compare_samples(as, 15, bs, 18, NULL, &c2);
		assert_true(c1.ci_valid && c2.ci_valid);
		near(c2.change, c1.change, 1e-12);
		near(c2.change_lo, c1.change_lo, 1e-12);
		near(c2.change_hi, c1.change_hi, 1e-12);
		assert_true(c1.mwu.p == c2.mwu.p);
		assert_int_equal(c1.verdict, c2.verdict);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_quantiles),
	    cmocka_unit_test(test_summary),
	    cmocka_unit_test(test_summary_small),
	    cmocka_unit_test(test_modified_z),
	    cmocka_unit_test(test_median_ci_brute),
	    cmocka_unit_test(test_median_ci_anchors),
	    cmocka_unit_test(test_mwu_exact),
	    cmocka_unit_test(test_mwu_asymptotic),
	    cmocka_unit_test(test_mwu_bad_input),
	    cmocka_unit_test(test_mwu_min_p),
	    cmocka_unit_test(test_mwu_exact_sane),
	    cmocka_unit_test(test_mwu_shift_and_symmetry),
	    cmocka_unit_test(test_hl_anchor),
	    cmocka_unit_test(test_hl_against_brute_force),
	    cmocka_unit_test(test_hl_normal_rank),
	    cmocka_unit_test(test_hl_large),
	    cmocka_unit_test(test_norm),
	    cmocka_unit_test(test_norm_round_trip),
	    cmocka_unit_test(test_verdict_names),
	    cmocka_unit_test(test_compare_verdicts),
	    cmocka_unit_test(test_compare_nonpositive),
	    cmocka_unit_test(test_compare_scale_invariance),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
