/* detect.c - change points of a benchmark series (detect.h).
 *
 * The method (docs/DETECTION.md has the reasons and the evaluation):
 *  1. Values become logs when all are positive, so a change is a ratio and
 *     noise proportional to the level is stable. Positions without values
 *     are dropped: segments are counted in measured positions.
 *  2. Each measured position is summarised by the median of its
 *     repetitions; sigma, the noise of those medians, is estimated robustly
 *     from their first differences (1.4826 MAD / sqrt 2), which a few steps
 *     and a slow drift barely move.
 *  3. Outliers are tamed before segmenting: each median is clipped to within
 *     3 sigma of the running median of its neighbours (7 positions), so a
 *     heavy-tailed spike cannot pay for a segment of its own.
 *  4. Exact penalised segmentation (PELT, Killick et al. 2012) of the clipped
 *     medians with the Gaussian cost in sigma units and a minimum segment
 *     length, O(n) in practice thanks to pruning.
 *  5. Every boundary must then be confirmed on the raw repetitions: a
 *     two-sided Mann-Whitney test between the two adjacent segments, limited
 *     to the nearest WINDOW positions on each side, at alpha; a relative
 *     effect (Hodges-Lehmann on logs) above the noise floor; and a step
 *     clearly larger than the local trend on either side (a slow drift moves
 *     neighbouring windows by about as much as it moves across the
 *     boundary). The weakest failing boundary is removed and its neighbours
 *     tested again, until all pass.
 */
#include "benchline/detect.h"
#include "benchline/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW 20        /* positions on each side used to confirm a boundary */
#define TREND_WINDOW 16   /* positions per window of the drift check */
#define CLIP_HALF 3      /* running median over 2 * CLIP_HALF + 1 positions */
#define CLIP_SIGMAS 3.0
#define MIN_SLOPE_POSITIONS 8 /* per side, for the drift estimate */
/* A segment shorter than this is never a line: a few positions that rise are
 * as likely a step with a noisy neighbour as a drift, and a line there would
 * move the step (the demo's 16 MB case put its regression one commit late). */
#define MIN_LINE_POSITIONS 8

void bl_detect_opts_default(struct bl_detect_opts *o)
{
	o->noise_floor = 0.01;
	o->alpha = 0.001;
	o->penalty = 0;
	o->min_segment = 3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int cmp_obs(const void *a, const void *b)
{
	const struct bl_obs *x = a, *y = b;
	if (x->pos != y->pos)
		return (x->pos > y->pos) - (x->pos < y->pos);
	return cmp_double(&x->value, &y->value);
}

/* The series regrouped: m measured positions, the values of position i
 * being vals[start[i] .. start[i + 1]) (logs when use_log). */
struct series {
	size_t m;
	size_t *pos;
	size_t *start;
	double *vals;
	double *med;    /* median per position */
	double *y;      /* clipped medians, what is segmented */
	double sigma;
	int use_log;
};

static double median_sorted(const double *v, size_t n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Median of a few values (windows of at most 2 * TREND_WINDOW): insertion sort. */
static double median_copy(const double *v, size_t n, double *scratch)
{
	for (size_t i = 0; i < n; i++) {
		double x = v[i];
		size_t j = i;
		for (; j > 0 && scratch[j - 1] > x; j--)
			scratch[j] = scratch[j - 1];
		scratch[j] = x;
	}
	return median_sorted(scratch, n);
}

static void series_free(struct series *s)
{
	free(s->pos);
	free(s->start);
	free(s->vals);
	free(s->med);
	free(s->y);
}

static int build(const struct bl_obs *obs, size_t n_obs, struct series *s, struct bl_error *err)
{
	memset(s, 0, sizeof(*s));
	struct bl_obs *o = bl_xmalloc((n_obs ? n_obs : 1) * sizeof(*o));
	if (n_obs)
		memcpy(o, obs, n_obs * sizeof(*o));
	s->use_log = 1;
	for (size_t i = 0; i < n_obs; i++) {
		if (!isfinite(o[i].value)) {
			size_t pos = o[i].pos;
			free(o);
			return bl_fail(err, "value at commit %zu is not a finite number", pos);
		}
		if (o[i].value <= 0)
			s->use_log = 0;
	}
	/* Input usually comes in history order: sort only when it does not, and
	 * then only the few repetitions of each position. */
	bool in_order = true;
	for (size_t i = 1; i < n_obs && in_order; i++)
		in_order = o[i - 1].pos <= o[i].pos;
	if (!in_order)
		qsort(o, n_obs, sizeof(*o), cmp_obs);
	for (size_t i = 1; i < n_obs; i++) {
		struct bl_obs x = o[i];
		size_t j = i;
		for (; j > 0 && o[j - 1].pos == x.pos && o[j - 1].value > x.value; j--)
			o[j] = o[j - 1];
		o[j] = x;
	}
	s->pos = bl_xmalloc((n_obs + 1) * sizeof(size_t));
	s->start = bl_xmalloc((n_obs + 1) * sizeof(size_t));
	s->vals = bl_xmalloc((n_obs + 1) * sizeof(double));
	for (size_t i = 0; i < n_obs; i++) {
		if (i == 0 || o[i].pos != o[i - 1].pos) {
			s->pos[s->m] = o[i].pos;
			s->start[s->m] = i;
			s->m++;
		}
		s->vals[i] = s->use_log ? log(o[i].value) : o[i].value;
	}
	s->start[s->m] = n_obs;
	free(o);
	s->med = bl_xmalloc((s->m + 1) * sizeof(double));
	s->y = bl_xmalloc((s->m + 1) * sizeof(double));
	for (size_t i = 0; i < s->m; i++) /* values of a position are sorted */
		s->med[i] = median_sorted(s->vals + s->start[i], s->start[i + 1] - s->start[i]);
	return 0;
}

/* sigma of the position medians from their first differences; a floor keeps
 * a perfectly constant series (sigma 0) from making every wobble a change. */
static void estimate_sigma(struct series *s)
{
	if (s->m < 2) {
		s->sigma = 0;
		return;
	}
	double *d = bl_xmalloc((s->m - 1) * sizeof(double));
	for (size_t i = 0; i + 1 < s->m; i++)
		d[i] = fabs(s->med[i + 1] - s->med[i]);
	double mad = bl_median_inplace(d, s->m - 1);
	free(d);
	/* |difference| of two normals has median 0.6745 * sqrt(2) sigma */
	s->sigma = mad / (0.6745 * sqrt(2.0));
	/* A short history has few differences, and its steps weigh on their
	 * MAD: there the spread of the repetitions around their commit's median
	 * (as the noise of a median of the typical count) bounds sigma too. */
	if (s->m < 30) {
		size_t n_all = s->start[s->m], k = 0;
		double *dev = bl_xmalloc((n_all ? n_all : 1) * sizeof(double));
		size_t *counts = bl_xmalloc(s->m * sizeof(size_t));
		for (size_t i = 0; i < s->m; i++) {
			size_t c = s->start[i + 1] - s->start[i];
			counts[i] = c;
			if (c >= 3)
				for (size_t j = s->start[i]; j < s->start[i + 1]; j++)
					dev[k++] = fabs(s->vals[j] - s->med[i]);
		}
		if (k >= 10) {
			double rep_sigma = bl_median_inplace(dev, k) / 0.6745;
			double *cd = bl_xmalloc(s->m * sizeof(double));
			for (size_t i = 0; i < s->m; i++)
				cd[i] = (double)counts[i];
			double typical = bl_median_inplace(cd, s->m);
			free(cd);
			double med_sigma = 1.2533 * rep_sigma / sqrt(typical > 1 ? typical : 1);
			if (med_sigma < s->sigma)
				s->sigma = med_sigma;
		}
		free(dev);
		free(counts);
	}
	double level = 0;
	for (size_t i = 0; i < s->m; i++)
		level += fabs(s->med[i]);
	level /= (double)s->m;
	double floor = s->use_log ? 1e-6 : 1e-9 * (level > 0 ? level : 1);
	if (s->sigma < floor)
		s->sigma = floor;
}

static void clip_outliers(struct series *s)
{
	double win[2 * CLIP_HALF + 1], scratch[2 * CLIP_HALF + 1];
	for (size_t i = 0; i < s->m; i++) {
		size_t a = i >= CLIP_HALF ? i - CLIP_HALF : 0, b = i + CLIP_HALF + 1 < s->m ? i + CLIP_HALF + 1 : s->m;
		size_t n = 0;
		for (size_t j = a; j < b; j++)
			win[n++] = s->med[j];
		double rm = median_copy(win, n, scratch);
		double lim = CLIP_SIGMAS * s->sigma;
		double v = s->med[i];
		s->y[i] = v > rm + lim ? rm + lim : v < rm - lim ? rm - lim : v;
	}
}

/* Screening: a boundary can only be where the level moves. For bandwidths
 * of about 6, 20 and 60 positions, the moving-sum statistic (difference of
 * the means of the G positions after and before t, in units of its standard
 * error) is computed at every t; positions where any exceeds SCREEN_Z are
 * candidates. On a change-free series that leaves a few percent of the
 * positions, so the exact search below stays near-linear; next to a step
 * of 1.5 sigma or more the statistic exceeds it at one bandwidth or another.
 * Only the local maxima of each band (and the positions next to them) are
 * kept, so the positions a large step lifts above the threshold around it do
 * not all become candidates. */
#define SCREEN_Z 3.0

static bool *screen(const struct series *s, const double *c1, size_t min_seg)
{
	size_t m = s->m;
	bool *ok = bl_xcalloc(m + 1, sizeof(bool));
	double *z = bl_xcalloc(m + 1, sizeof(double));
	static const size_t bands[] = {6, 20, 60};
	for (size_t b = 0; b < sizeof(bands) / sizeof(bands[0]); b++) {
		size_t band = bands[b];
		for (size_t t = 0; t <= m; t++) {
			z[t] = 0;
			size_t g = band;
			if (g > t)
				g = t;
			if (g > m - t)
				g = m - t;
			if (t < min_seg || t + min_seg > m || g < min_seg)
				continue;
			double before = (c1[t] - c1[t - g]) / (double)g, after = (c1[t + g] - c1[t]) / (double)g;
			/* c1 is in sigma units: the difference of two means of g has sd sqrt(2 / g) */
			z[t] = fabs(after - before) * sqrt((double)g / 2);
		}
		/* a step makes the statistic a peak g wide: keep its top, and the
		 * positions next to it, where the exact search will place it */
		/* neighbours within a quarter of the band: two steps closer than the
		 * band (allowed down to min_segment apart) keep a peak each at the
		 * smallest band */
		size_t half = band / 4 ? band / 4 : 1;
		for (size_t t = 0; t <= m; t++) {
			if (z[t] < SCREEN_Z)
				continue;
			size_t a = t > half ? t - half : 0, e = t + half < m ? t + half : m;
			bool top = true;
			for (size_t u = a; u <= e && top; u++)
				top = z[u] < z[t] || (z[u] == z[t] && u >= t);
			if (!top)
				continue;
			for (size_t u = t > 2 ? t - 2 : 0; u <= t + 2 && u <= m; u++)
				ok[u] = true;
		}
	}
	free(z);
	return ok;
}

/* PELT (Killick et al. 2012) over segments [a, t) of y, each a straight line
 * fitted by least squares, the cost being its residual sum of squares in
 * sigma units. A line per segment lets a slow drift be one segment: with
 * flat segments PELT would approximate a drift by a staircase, each stair
 * put wherever the noise looks most like a step, and the tests would then
 * see selected noise. Starts are restricted to the screened positions.
 * Returns the boundaries (first index of each new segment) in *cps. */
struct sums {
	double *n, *x, *y, *xx, *xy, *yy;
};

/* The cost of a segment: the residual sum of squares of its level, or of a
 * line when the slope pays for its extra parameter (slope_penalty, in the
 * same units) and the segment has MIN_LINE_POSITIONS at least; short noisy
 * segments thus stay flat and a long drift is one sloped segment. */
static double line_cost(const struct sums *c, size_t a, size_t t, double slope_penalty)
{
	double n = c->n[t] - c->n[a], sx = c->x[t] - c->x[a], sy = c->y[t] - c->y[a];
	double sxx = c->xx[t] - c->xx[a] - sx * sx / n, sxy = c->xy[t] - c->xy[a] - sx * sy / n;
	double syy = c->yy[t] - c->yy[a] - sy * sy / n;
	double flat = syy > 0 ? syy : 0;
	if (sxx <= 1e-12 || n < MIN_LINE_POSITIONS)
		return flat;
	double line = syy - sxy * sxy / sxx;
	line = (line > 0 ? line : 0) + slope_penalty;
	return line < flat ? line : flat;
}

static size_t pelt(const struct series *s, double beta, size_t min_seg, size_t **cps)
{
	size_t m = s->m;
	*cps = NULL;
	if (m < 2 * min_seg)
		return 0;
	double *mem = bl_xcalloc(6 * (m + 1), sizeof(double));
	struct sums c = {mem, mem + (m + 1), mem + 2 * (m + 1), mem + 3 * (m + 1), mem + 4 * (m + 1), mem + 5 * (m + 1)};
	double inv = 1 / s->sigma;
	/* x centred and scaled to [-1, 1] keeps the sums well conditioned */
	double x0 = (double)s->pos[0], xs = (double)(s->pos[m - 1] - s->pos[0]) / 2 + 1;
	for (size_t i = 0; i < m; i++) {
		double v = s->y[i] * inv, x = ((double)s->pos[i] - x0) / xs - 1;
		c.n[i + 1] = c.n[i] + 1;
		c.x[i + 1] = c.x[i] + x;
		c.y[i + 1] = c.y[i] + v;
		c.xx[i + 1] = c.xx[i] + x * x;
		c.xy[i + 1] = c.xy[i] + x * v;
		c.yy[i + 1] = c.yy[i] + v * v;
	}
	bool *allowed = screen(s, c.y, min_seg);
	/* a slope is one more parameter: BIC's log m */
	double slope_penalty = log((double)m);
	double *F = bl_xmalloc((m + 1) * sizeof(double));
	size_t *last = bl_xmalloc((m + 1) * sizeof(size_t));
	size_t *cand = bl_xmalloc((m + 1) * sizeof(size_t)), n_cand = 0;
	double *fc = bl_xmalloc((m + 1) * sizeof(double));
	F[0] = -beta;
	last[0] = 0;
	for (size_t t = 1; t <= m; t++) {
		F[t] = INFINITY;
		last[t] = 0;
		/* start t - min_seg becomes eligible now */
		if (t >= min_seg && (t - min_seg == 0 || (t - min_seg >= min_seg && allowed[t - min_seg])))
			cand[n_cand++] = t - min_seg;
		if (t < min_seg)
			continue;
		for (size_t k = 0; k < n_cand; k++) {
			size_t a = cand[k];
			fc[k] = F[a] + line_cost(&c, a, t, slope_penalty);
			if (fc[k] + beta < F[t]) {
				F[t] = fc[k] + beta;
				last[t] = a;
			}
		}
		/* prune: a start already worse than the best by more than the slope
		 * penalty can never win later (Killick et al.'s condition with
		 * K = -slope_penalty: splitting a segment costs at most one more
		 * slope) */
		size_t keep = 0;
		for (size_t k = 0; k < n_cand; k++)
			if (fc[k] - slope_penalty <= F[t])
				cand[keep++] = cand[k];
		n_cand = keep;
	}
	size_t n = 0;
	for (size_t t = m; t > 0; t = last[t])
		if (last[t] > 0)
			n++;
	size_t *out = bl_xmalloc((n ? n : 1) * sizeof(size_t));
	size_t k = n;
	for (size_t t = m; t > 0; t = last[t])
		if (last[t] > 0)
			out[--k] = last[t];
	free(mem);
	free(allowed);
	free(F);
	free(last);
	free(cand);
	free(fc);
	*cps = out;
	return n;
}

/* ---- confirmation ------------------------------------------------------------------------------------------ */

struct verdict {
	double p;
	double change, lo, hi;
	double before, after; /* medians of the windows, original scale */
	int ok;
};

/* Values of positions [a, b) into out, less slope * (pos - origin). */
static size_t gather(const struct series *s, size_t a, size_t b, double slope, size_t origin, double *out)
{
	size_t n = 0;
	for (size_t i = a; i < b; i++) {
		double shift = slope * ((double)s->pos[i] - (double)origin);
		for (size_t j = s->start[i]; j < s->start[i + 1]; j++)
			out[n++] = s->vals[j] - shift;
	}
	return n;
}

/* The local trend: Theil-Sen slope (per commit) of the position medians,
 * from the pairs inside [a, t) and inside [t, b) pooled (never across the
 * boundary, so a step does not look like a slope). Kept only when it
 * explains more than half a noise sigma over the windows; a flat series
 * then gets no noise added by a spurious slope. */
static double local_slope(const struct series *s, size_t a, size_t t, size_t b, double *scratch)
{
	size_t n = 0;
	size_t ranges[2][2] = {{a, t}, {t, b}};
	for (int r = 0; r < 2; r++)
		/* a slope from a handful of noisy points is noise: sides shorter than
		 * MIN_SLOPE_POSITIONS do not contribute */
		for (size_t i = ranges[r][0]; i < ranges[r][1] && ranges[r][1] - ranges[r][0] >= MIN_SLOPE_POSITIONS; i++)
			for (size_t j = i + 1; j < ranges[r][1]; j++)
				scratch[n++] = (s->med[j] - s->med[i]) / ((double)s->pos[j] - (double)s->pos[i]);
	if (n < 10)
		return 0;
	double slope = bl_median_inplace(scratch, n);
	double span = (double)s->pos[b - 1] - (double)s->pos[a];
	return fabs(slope) * span > 0.5 * s->sigma ? slope : 0;
}

static double window_median(const struct series *s, size_t a, size_t b, double *scratch)
{
	size_t n = 0;
	for (size_t i = a; i < b; i++)
		scratch[n++] = s->med[i];
	return median_copy(scratch, n, scratch + n);
}

/* A drift moves neighbouring windows about as much as it moves across the
 * boundary; a step moves only across it. Compares the jump between the
 * TREND_WINDOW positions either side of the boundary with the jumps
 * between the windows next to them, inside each segment. */
static int beyond_trend(const struct series *s, size_t lo, size_t t, size_t hi, double *scratch)
{
	size_t w = TREND_WINDOW;
	if (t - lo < w)
		w = t - lo;
	if (hi - t < w)
		w = hi - t;
	double left = window_median(s, t - w, t, scratch), right = window_median(s, t, t + w, scratch);
	double step = fabs(right - left), trend = 0;
	if (t - lo >= 2 * w)
		trend = fmax(trend, fabs(left - window_median(s, t - 2 * w, t - w, scratch)));
	if (hi - t >= 2 * w)
		trend = fmax(trend, fabs(window_median(s, t + w, t + 2 * w, scratch) - right));
	return step > 2.0 * trend;
}

static void confirm(const struct series *s, size_t lo, size_t t, size_t hi, const struct bl_detect_opts *o,
		    double *buf_a, double *buf_b, double *scratch, struct verdict *v)
{
	size_t a = t - lo > WINDOW ? t - WINDOW : lo, b = hi - t > WINDOW ? t + WINDOW : hi;
	/* A slow drift is not a change: values are compared net of the local trend. */
	double slope = local_slope(s, a, t, b, scratch);
	size_t na = gather(s, a, t, slope, s->pos[t], buf_a), nb = gather(s, t, b, slope, s->pos[t], buf_b);
	struct bl_mwu mwu;
	bl_mann_whitney(buf_a, na, buf_b, nb, &mwu);
	v->p = mwu.p;
	v->ok = 0;
	v->change = 0;
	if (mwu.p >= o->alpha || !beyond_trend(s, lo, t, hi, scratch + WINDOW * WINDOW))
		return;
	double ma = bl_median_inplace(buf_a, na), mb = bl_median_inplace(buf_b, nb);
	v->before = s->use_log ? exp(ma) : ma;
	v->after = s->use_log ? exp(mb) : mb;
	v->change = s->use_log ? expm1(mb - ma) : (mb - ma) / (fabs(ma) > 0 ? fabs(ma) : 1);
	v->ok = fabs(v->change) > o->noise_floor;
}

/* The effect of a confirmed boundary and its 95% interval: Hodges-Lehmann on
 * the (detrended) values of the windows, as a relative change. */
static void effect(const struct series *s, size_t lo, size_t t, size_t hi, double *buf_a, double *buf_b,
		   double *scratch, struct verdict *v)
{
	size_t a = t - lo > WINDOW ? t - WINDOW : lo, b = hi - t > WINDOW ? t + WINDOW : hi;
	double slope = local_slope(s, a, t, b, scratch);
	size_t na = gather(s, a, t, slope, s->pos[t], buf_a), nb = gather(s, t, b, slope, s->pos[t], buf_b);
	struct bl_shift sh;
	int ci = bl_hodges_lehmann(buf_a, na, buf_b, nb, 0.95, &sh);
	double base = 1;
	if (!s->use_log) {
		double ma = bl_median_inplace(buf_a, na);
		base = fabs(ma) > 0 ? fabs(ma) : 1;
	}
	v->change = s->use_log ? expm1(sh.estimate) : sh.estimate / base;
	v->lo = ci != 0 ? v->change : s->use_log ? expm1(sh.lo) : sh.lo / base;
	v->hi = ci != 0 ? v->change : s->use_log ? expm1(sh.hi) : sh.hi / base;
}

int bl_detect(const struct bl_obs *obs, size_t n_obs, const struct bl_detect_opts *opts, struct bl_change **out,
	      size_t *n_out, struct bl_error *err)
{
	struct bl_detect_opts o;
	if (opts)
		o = *opts;
	else
		bl_detect_opts_default(&o);
	if (o.min_segment < 1)
		o.min_segment = 1;
	*out = NULL;
	*n_out = 0;
	struct series s;
	if (build(obs, n_obs, &s, err))
		return -1;
	if (s.m < 2 * o.min_segment) {
		series_free(&s);
		return 0;
	}
	estimate_sigma(&s);
	clip_outliers(&s);
	/* Calibrated on change-free simulated series (docs/DETECTION.md):
	 * the confirmation tests keep false alarms down, so the penalty only has
	 * to keep the number of candidate boundaries small. */
	double beta = o.penalty > 0 ? o.penalty : 3.0 * log((double)s.m);
	size_t *cps;
	size_t n = pelt(&s, beta, o.min_segment, &cps);
	/* bounds[0] = 0, bounds[1..n] = boundaries, bounds[n + 1] = m */
	size_t *bounds = bl_xmalloc((n + 2) * sizeof(size_t));
	bounds[0] = 0;
	memcpy(bounds + 1, cps, n * sizeof(size_t));
	bounds[n + 1] = s.m;
	free(cps);
	struct verdict *v = bl_xcalloc(n + 1, sizeof(*v));
	bool *fresh = bl_xcalloc(n + 2, sizeof(bool));
	double *buf_a = bl_xmalloc((n_obs + 1) * sizeof(double)), *buf_b = bl_xmalloc((n_obs + 1) * sizeof(double));
	double *scratch = bl_xmalloc((WINDOW * WINDOW + 4 * TREND_WINDOW + 2) * sizeof(double));
	for (size_t k = 1; k <= n; k++)
		fresh[k] = true;
	for (;;) {
		size_t worst = 0;
		double worst_p = -1;
		for (size_t k = 1; k <= n; k++) {
			if (fresh[k]) {
				confirm(&s, bounds[k - 1], bounds[k], bounds[k + 1], &o, buf_a, buf_b, scratch, &v[k]);
				fresh[k] = false;
			}
			/* the weakest failing boundary goes first: highest p, then smallest effect */
			double score = v[k].ok ? -1 : v[k].p;
			if (!v[k].ok && score > worst_p) {
				worst_p = score;
				worst = k;
			}
		}
		if (!worst)
			break;
		memmove(bounds + worst, bounds + worst + 1, (n + 1 - worst) * sizeof(size_t));
		memmove(v + worst, v + worst + 1, (n - worst) * sizeof(*v));
		n--;
		memset(fresh, 0, (n + 2) * sizeof(bool));
		if (worst - 1 >= 1)
			fresh[worst - 1] = true;
		if (worst <= n)
			fresh[worst] = true;
	}
	struct bl_change *res = bl_xcalloc(n ? n : 1, sizeof(*res));
	for (size_t k = 1; k <= n; k++) {
		struct bl_change *c = &res[k - 1];
		effect(&s, bounds[k - 1], bounds[k], bounds[k + 1], buf_a, buf_b, scratch, &v[k]);
		c->pos = s.pos[bounds[k]];
		c->prev_pos = s.pos[bounds[k] - 1];
		c->before = v[k].before;
		c->after = v[k].after;
		c->change = v[k].change;
		c->change_lo = v[k].lo;
		c->change_hi = v[k].hi;
		c->p = v[k].p;
	}
	*out = res;
	*n_out = n;
	if (!n) {
		free(res);
		*out = NULL;
	}
	free(bounds);
	free(v);
	free(fresh);
	free(buf_a);
	free(buf_b);
	free(scratch);
	series_free(&s);
	return 0;
}
