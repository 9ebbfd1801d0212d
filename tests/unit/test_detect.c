/* test_detect.c - change points: found where they are, not where they are not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "benchline/detect.h"

/* deterministic noise */
static uint64_t rng;

static double unif(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((rng >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(void)
{
	return sqrt(-2 * log(unif())) * cos(2 * M_PI * unif());
}

struct series {
	struct bl_obs *obs;
	size_t n, cap;
};

static void add(struct series *s, size_t pos, double v)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		s->obs = realloc(s->obs, s->cap * sizeof(*s->obs));
	}
	s->obs[s->n++] = (struct bl_obs){.pos = pos, .value = v};
}

static struct bl_change *detect(const struct series *s, size_t *n)
{
	struct bl_change *ch = NULL;
	struct bl_error err = {{0}};
	if (bl_detect(s->obs, s->n, NULL, &ch, n, &err))
		fail_msg("bl_detect failed: %s", err.msg);
	return ch;
}

/* level(pos) * (1 + 2% gaussian noise), reps per position */
static void fill(struct series *s, size_t len, int reps, double (*level)(size_t), uint64_t seed)
{
	rng = seed;
	for (size_t c = 0; c < len; c++)
		for (int r = 0; r < reps; r++)
			add(s, c, level(c) * (1 + 0.02 * gauss()));
}

static double step_at_60(size_t c)
{
	return c < 60 ? 100 : 120;
}

static void test_clean_step(void **state)
{
	(void)state;
	struct series s = {0};
	fill(&s, 120, 3, step_at_60, 1);
	size_t n;
	struct bl_change *ch = detect(&s, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ch[0].pos, 60);
	assert_int_equal(ch[0].prev_pos, 59);
	assert_true(fabs(ch[0].change - 0.2) < 0.02);
	assert_true(ch[0].change_lo <= ch[0].change && ch[0].change <= ch[0].change_hi);
	assert_true(ch[0].change_lo > 0.17 && ch[0].change_hi < 0.23);
	assert_true(fabs(ch[0].before - 100) < 2 && fabs(ch[0].after - 120) < 2.5);
	assert_true(ch[0].p < 1e-6);
	free(ch);
	/* the same data in any order gives the same answer */
	for (size_t i = s.n - 1; i > 0; i--) {
		size_t j = (size_t)(unif() * (double)(i + 1));
		struct bl_obs t = s.obs[i];
		s.obs[i] = s.obs[j];
		s.obs[j] = t;
	}
	ch = detect(&s, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ch[0].pos, 60);
	free(ch);
	free(s.obs);
}

static void test_heavy_tails_and_outlier_spikes(void **state)
{
	(void)state;
	struct series s = {0};
	rng = 7;
	for (size_t c = 0; c < 200; c++) {
		double level = c < 100 ? 100 : 93;
		/* Student t(2)-like tails: a normal over the root of a scaled chi-square of 2 */
		double g = gauss(), a = gauss(), b = gauss();
		double t = g / sqrt((a * a + b * b) / 2);
		double v = level * (1 + 0.01 * t);
		if (c == 40 || c == 150)
			v *= 3; /* one wild run */
		add(&s, c, v > 1 ? v : 1);
	}
	size_t n;
	struct bl_change *ch = detect(&s, &n);
	assert_int_equal(n, 1);
	assert_true(ch[0].pos >= 98 && ch[0].pos <= 102);
	assert_true(ch[0].change < -0.04 && ch[0].change > -0.10);
	free(ch);
	free(s.obs);
}

static void test_bimodal_noise_no_change(void **state)
{
	(void)state;
	struct series s = {0};
	rng = 11;
	for (size_t c = 0; c < 500; c++)
		for (int r = 0; r < 3; r++)
			add(&s, c, (unif() < 0.3 ? 110 : 100) * (1 + 0.01 * gauss()));
	size_t n;
	struct bl_change *ch = detect(&s, &n);
	assert_int_equal(n, 0);
	assert_null(ch);
	free(s.obs);
}

static double drift(size_t c)
{
	return 100 * (1 + 0.0003 * (double)c); /* +30% over 1,000 commits, 0.03% a commit */
}

static double wave(size_t c)
{
	return 100 * (1 + 0.05 * sin((double)c / 150));
}

static void test_slow_drift_is_not_a_change(void **state)
{
	(void)state;
	for (int k = 0; k < 2; k++) {
		struct series s = {0};
		fill(&s, 1000, 2, k ? wave : drift, 3 + (uint64_t)k);
		size_t n;
		struct bl_change *ch = detect(&s, &n);
		if (n)
			fail_msg("%s: %zu change points, the first at %zu (%+.3f)", k ? "wave" : "drift", n, ch[0].pos,
				 ch[0].change);
		free(s.obs);
	}
}

static void test_gaps(void **state)
{
	(void)state;
	struct series s = {0};
	rng = 5;
	/* positions 20..29 not measured (inside a segment), 58..61 around the step */
	for (size_t c = 0; c < 120; c++) {
		if ((c >= 20 && c < 30) || (c >= 58 && c <= 61))
			continue;
		for (int r = 0; r < 2; r++)
			add(&s, c, step_at_60(c) * (1 + 0.02 * gauss()));
	}
	size_t n;
	struct bl_change *ch = detect(&s, &n);
	assert_int_equal(n, 1);
	/* the first measured commit at the new level, and the last at the old */
	assert_int_equal(ch[0].pos, 62);
	assert_int_equal(ch[0].prev_pos, 57);
	free(ch);
	free(s.obs);
}

static double two_steps(size_t c)
{
	return c < 50 ? 100 : c < 100 ? 130 : 115;
}

/* Measured by `benchline demo` on a noisy machine (ms, 5 runs per commit):
 * the regression is at position 5 although position 4 had three slow runs.
 * A rising line over positions 0-5 once put it at 6. */
static void test_step_after_a_noisy_commit(void **state)
{
	(void)state;
	static const double ms[12][5] = {
		{125.7, 123.0, 147.8, 135.3, 124.6}, {129.9, 126.3, 149.0, 122.4, 118.9},
		{131.5, 123.3, 155.3, 126.2, 125.6}, {126.1, 121.8, 159.9, 125.4, 126.7},
		{145.6, 151.8, 156.7, 126.2, 123.5}, {177.7, 212.5, 213.1, 183.8, 181.9},
		{197.0, 209.0, 228.4, 183.0, 186.3}, {213.8, 210.3, 216.3, 186.2, 181.0},
		{190.3, 214.6, 209.6, 183.8, 178.9}, {96.2, 126.6, 103.2, 92.8, 95.1},
		{124.6, 123.5, 101.1, 97.2, 101.8}, {95.0, 128.3, 102.9, 97.3, 92.4},
	};
	struct series s = {0};
	for (size_t c = 0; c < 12; c++)
		for (int r = 0; r < 5; r++)
			add(&s, c, ms[c][r] / 1000);
	size_t n;
	struct bl_change *ch = detect(&s, &n);
	assert_int_equal(n, 2);
	assert_int_equal(ch[0].pos, 5);
	assert_true(ch[0].change > 0.3);
	assert_int_equal(ch[1].pos, 9);
	assert_true(ch[1].change < -0.3);
	free(ch);
	free(s.obs);
}

static void test_two_steps(void **state)
{
	(void)state;
	struct series s = {0};
	fill(&s, 160, 3, two_steps, 9);
	size_t n;
	struct bl_change *ch = detect(&s, &n);
	assert_int_equal(n, 2);
	assert_int_equal(ch[0].pos, 50);
	assert_int_equal(ch[1].pos, 100);
	assert_true(ch[0].change > 0.25 && ch[1].change < -0.08);
	free(ch);
	free(s.obs);
}

static void test_short_constant_and_nonpositive(void **state)
{
	(void)state;
	struct series s = {0};
	size_t n = 9;
	/* shorter than two minimum segments: nothing, no error */
	for (size_t c = 0; c < 5; c++)
		add(&s, c, c < 3 ? 1 : 100);
	struct bl_change *ch = detect(&s, &n);
	assert_int_equal(n, 0);
	s.n = 0;
	/* constant */
	for (size_t c = 0; c < 100; c++)
		add(&s, c, 42);
	ch = detect(&s, &n);
	assert_int_equal(n, 0);
	s.n = 0;
	/* zero and negative values (a difference metric): no log, still found */
	rng = 13;
	for (size_t c = 0; c < 100; c++)
		add(&s, c, (c < 50 ? -1.0 : 4.0) + 0.5 * gauss());
	ch = detect(&s, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ch[0].pos, 50);
	assert_true(ch[0].after > ch[0].before);
	free(ch);
	/* empty */
	ch = (void *)1;
	struct bl_error err = {{0}};
	assert_int_equal(bl_detect(NULL, 0, NULL, &ch, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_null(ch);
	free(s.obs);
}

static void test_bad_values(void **state)
{
	(void)state;
	struct bl_obs obs[] = {{0, 1}, {1, 2}, {7, NAN}, {8, 1}};
	struct bl_change *ch;
	size_t n;
	struct bl_error err = {{0}};
	assert_int_equal(bl_detect(obs, 4, NULL, &ch, &n, &err), -1);
	assert_string_equal(err.msg, "value at commit 7 is not a finite number");
	obs[2].value = INFINITY;
	assert_int_equal(bl_detect(obs, 4, NULL, &ch, &n, &err), -1);
}

static void test_options(void **state)
{
	(void)state;
	struct series s = {0};
	fill(&s, 120, 3, step_at_60, 1);
	struct bl_detect_opts o;
	bl_detect_opts_default(&o);
	assert_true(o.noise_floor == 0.01 && o.alpha == 0.001 && o.min_segment == 3);
	/* a floor above the 20% step hides it */
	o.noise_floor = 0.3;
	struct bl_change *ch;
	size_t n;
	struct bl_error err = {{0}};
	assert_int_equal(bl_detect(s.obs, s.n, &o, &ch, &n, &err), 0);
	assert_int_equal(n, 0);
	/* a minimum segment longer than the new level hides it too */
	bl_detect_opts_default(&o);
	o.min_segment = 70;
	assert_int_equal(bl_detect(s.obs, s.n, &o, &ch, &n, &err), 0);
	assert_int_equal(n, 0);
	free(s.obs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clean_step),
	    cmocka_unit_test(test_heavy_tails_and_outlier_spikes),
	    cmocka_unit_test(test_bimodal_noise_no_change),
	    cmocka_unit_test(test_slow_drift_is_not_a_change),
	    cmocka_unit_test(test_gaps),
	    cmocka_unit_test(test_two_steps),
	    cmocka_unit_test(test_step_after_a_noisy_commit),
	    cmocka_unit_test(test_short_constant_and_nonpositive),
	    cmocka_unit_test(test_bad_values),
	    cmocka_unit_test(test_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
