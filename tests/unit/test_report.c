/* test_report.c - the report's data model, its escaping, the compact number
 * stream of series pages (decoded back here and checked against the
 * summaries), the markdown size limit, SVG charts and the run-page store op.
 * Series are built by hand, and change points come from a fake detector, so
 * these tests do not depend on bl_detect's judgement. */
#include "benchline/common.h"
#include "benchline/report.h"
#include "benchline/stats.h"

#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define HOSTILE "<script>alert(1)</script>\"quoted\" 'single' </textarea><!-- & </script>"

static char scratch[4096];

static int setup(void **state)
{
	(void)state;
	const char *base = getenv("BENCHLINE_TEST_TMP");
	if (!base || !*base)
		base = "/tmp";
	struct bl_error err = {{0}};
	if (bl_mkdirs(base, 0755, &err))
		return -1;
	snprintf(scratch, sizeof(scratch), "%s/test_report.XXXXXX", base);
	return mkdtemp(scratch) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	struct bl_error err = {{0}};
	return bl_remove_tree(scratch, &err);
}

static char *html(const char *s)
{
	struct bl_buf b;
	bl_buf_init(&b);
	bl_html_escape(&b, s);
	return bl_buf_detach(&b);
}

static char *json(const char *s)
{
	struct bl_buf b;
	bl_buf_init(&b);
	bl_json_string(&b, s);
	return bl_buf_detach(&b);
}

/* ---- escaping ------------------------------------------------------------------------------------------------ */

static void test_html_escape(void **state)
{
	(void)state;
	char *e = html(HOSTILE);
	assert_null(strchr(e, '<'));
	assert_null(strchr(e, '>'));
	assert_null(strchr(e, '"'));
	assert_null(strchr(e, '\''));
	assert_non_null(strstr(e, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;quoted&quot; &#39;single&#39; "
				  "&lt;/textarea&gt;&lt;!-- &amp; &lt;/script&gt;"));
	free(e);
	/* control characters and broken UTF-8 do not pass; valid UTF-8 does */
	e = html("a\x01" "b\xff" "c\xc3\xa9\xe2\x80\x94\t\n");
	assert_string_equal(e, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xc3\xa9\xe2\x80\x94\t\n");
	free(e);
	e = html("\xed\xa0\x80\xc0\xaf"); /* a surrogate, an overlong '/' */
	assert_null(strchr(e, '/'));
	free(e);
}

static void test_json_string(void **state)
{
	(void)state;
	const char *cases[] = {HOSTILE, "line\nbreak\ttab\x01\x1f", "\xe2\x80\xa8 and \xe2\x80\xa9", "back\\slash",
			       "<!--<script>", "]]>", ""};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *e = json(cases[i]);
		/* nothing that could end a <script> element or open a comment, no raw separators */
		assert_null(strchr(e, '<'));
		assert_null(strchr(e, '>'));
		assert_null(strchr(e, '&'));
		assert_null(strstr(e, "\xe2\x80\xa8"));
		/* and it is the same string for a JSON reader */
		char *doc = bl_xasprintf("[%s]", e);
		json_error_t jerr;
		json_t *v = json_loads(doc, 0, &jerr);
		assert_non_null(v);
		assert_string_equal(json_string_value(json_array_get(v, 0)), cases[i]);
		json_decref(v);
		free(doc);
		free(e);
	}
	char *e = json("a\xff" "b");
	assert_string_equal(e, "\"a\\ufffdb\"");
	free(e);
}

static void test_md_escape(void **state)
{
	(void)state;
	struct bl_buf b;
	bl_buf_init(&b);
	bl_md_escape(&b, "a|b <script> `x` *y* _z_ [l](u) @alice #1\nnext");
	assert_null(strstr(b.data, "<script>"));
	assert_non_null(strstr(b.data, "a\\|b &lt;script&gt; \\`x\\` \\*y\\* \\_z\\_ \\[l\\](u)"));
	assert_null(strstr(b.data, "@alice")); /* no GitHub mention */
	assert_null(strchr(b.data, '\n'));
	bl_buf_release(&b);
}

/* ---- the number stream --------------------------------------------------------------------------------------- */

static void test_number_stream(void **state)
{
	(void)state;
	assert_int_equal(strlen(BL_REPORT_DIGITS), 2 * BL_REPORT_DIGITS_HALF);
	for (size_t i = 0; i < strlen(BL_REPORT_DIGITS); i++) {
		assert_null(strchr("\"&'<>\\", BL_REPORT_DIGITS[i]));
		assert_true(BL_REPORT_DIGITS[i] > 0x20 && BL_REPORT_DIGITS[i] < 0x7f);
		assert_ptr_equal(strchr(BL_REPORT_DIGITS, BL_REPORT_DIGITS[i]), BL_REPORT_DIGITS + i); /* distinct */
	}
	static const int64_t values[] = {0, 1, -1, 43, 44, -44, 1935, 1936, 85183, -85184, 1234567, -987654321,
					 (int64_t)1 << 50, -((int64_t)1 << 50)};
	struct bl_buf b;
	bl_buf_init(&b);
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		bl_report_put_int(&b, values[i]);
	bl_report_put_uint(&b, 0);
	bl_report_put_uint(&b, 43);
	assert_int_equal(b.len > 0, 1);
	const char *p = b.data;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		uint64_t u;
		assert_int_equal(bl_report_get_uint(&p, &u), 0);
		int64_t v = u & 1 ? -(int64_t)(u >> 1) - 1 : (int64_t)(u >> 1);
		assert_true(v == values[i]);
	}
	uint64_t u;
	assert_int_equal(bl_report_get_uint(&p, &u), 0);
	assert_true(u == 0);
	assert_int_equal(bl_report_get_uint(&p, &u), 0);
	assert_true(u == 43);
	assert_int_equal(*p, '\0');
	/* one digit for small numbers */
	bl_buf_reset(&b);
	bl_report_put_uint(&b, 43);
	assert_int_equal(b.len, 1);
	const char *bad = "<";
	assert_int_equal(bl_report_get_uint(&bad, &u), -1);
	bl_buf_release(&b);
}

static void test_sparkline(void **state)
{
	(void)state;
	struct bl_buf b;
	bl_buf_init(&b);
	double v[] = {1, 2, NAN, 3, 8};
	bl_sparkline(v, 5, "\xc2\xb7", &b);
	assert_string_equal(b.data, "\xe2\x96\x81\xe2\x96\x82\xc2\xb7\xe2\x96\x83\xe2\x96\x88");
	bl_buf_reset(&b);
	double flat[] = {5, 5};
	bl_sparkline(flat, 2, " ", &b);
	assert_string_equal(b.data, "\xe2\x96\x84\xe2\x96\x84");
	bl_buf_release(&b);
}

/* ---- a hand-made series set ------------------------------------------------------------------------------------ */

#define N_COMMITS 12

static struct bl_report_commit *make_commits(void)
{
	struct bl_report_commit *c = bl_xcalloc(N_COMMITS, sizeof(*c));
	for (int i = 0; i < N_COMMITS; i++) {
		snprintf(c[i].sha, sizeof(c[i].sha), "%02d%038d", i, i);
		c[i].subject = i == 7 ? bl_xstrdup("Slower: " HOSTILE) : bl_xasprintf("commit %d", i);
		c[i].author = bl_xstrdup(i % 2 ? "Ann <ann@example.com>" : "Bob");
		c[i].time = 1700000000 + 3600 * i;
	}
	return c;
}

static void add_point(struct bl_series *s, size_t *cap, int commit, const char *status, const double *v, size_t n,
		      int64_t bid)
{
	BL_GROW(s->points, *cap, s->n_points + 1);
	struct bl_series_point *p = &s->points[s->n_points++];
	memset(p, 0, sizeof(*p));
	p->benchmark_id = bid;
	p->sha = bl_xasprintf("%02d%038d", commit, commit);
	p->subject = bl_xstrdup("");
	p->status = bl_xstrdup(status);
	p->suite_hash = bl_xstrdup("suite");
	if (n) {
		p->values = bl_xmalloc(n * sizeof(double));
		memcpy(p->values, v, n * sizeof(double));
	}
	p->n_values = n;
}

static void init_series(struct bl_series *s, const char *name, const char *params, const char *metric,
			const char *unit, enum bl_better better)
{
	memset(s, 0, sizeof(*s));
	s->name = bl_xstrdup(name);
	s->params_json = bl_xstrdup(params);
	s->label = bl_case_label(name, params);
	s->machine_id = 1;
	s->machine = bl_xstrdup("host \"1\"");
	s->metric = metric ? bl_xstrdup(metric) : NULL;
	s->unit = unit ? bl_xstrdup(unit) : NULL;
	s->better = better;
}

/* Series 0: a hostile name, wall_time, 0.1 s then 0.12 s from commit 7, a build failure at commit 4, not
 * measured at 9; series 1: throughput (higher is better), improves at commit 7; series 2: an auxiliary metric;
 * series 3: measured only at a commit outside the history. */
static void make_set(struct bl_series_set *set)
{
	memset(set, 0, sizeof(*set));
	set->v = bl_xcalloc(4, sizeof(*set->v));
	set->n = 4;
	init_series(&set->v[0], HOSTILE, "{\"size\":\"</textarea>\"}", "wall_time", "s", BL_BETTER_LOWER);
	init_series(&set->v[1], "parse", "{}", "throughput", "MB/s", BL_BETTER_UNKNOWN);
	init_series(&set->v[2], "parse", "{}", "user_time", "s", BL_BETTER_LOWER);
	init_series(&set->v[3], "gone", "{}", "wall_time", "s", BL_BETTER_LOWER);
	size_t caps[4] = {0};
	for (int c = 0; c < N_COMMITS; c++) {
		if (c == 4 || c == 9)
			continue;
		double level = c >= 7 ? 0.12 : 0.1, v[7];
		for (int k = 0; k < 7; k++)
			v[k] = level * (1 + 0.001 * ((k * 37 + c * 11) % 13 - 6));
		add_point(&set->v[0], &caps[0], c, "complete", v, 7, 100 + c);
		double t[5];
		for (int k = 0; k < 5; k++)
			t[k] = (c >= 7 ? 300.0 : 200.0) + k;
		add_point(&set->v[1], &caps[1], c, "complete", t, 5, 200 + c);
		add_point(&set->v[2], &caps[2], c, "complete", v, 7, 200 + c);
	}
	double one = 1;
	add_point(&set->v[3], &caps[3], 99, "complete", &one, 1, 999);
	/* the build failure: a case without any metric value */
	set->failed_cases = bl_xcalloc(1, sizeof(*set->failed_cases));
	set->n_failed_cases = 1;
	init_series(&set->failed_cases[0], HOSTILE, "{\"size\":\"</textarea>\"}", NULL, NULL, BL_BETTER_UNKNOWN);
	size_t cap_f = 0;
	add_point(&set->failed_cases[0], &cap_f, 4, "build-failed", NULL, 0, 104);
}

/* A detector that finds one step at commit 7 in every series with data there. */
static int fake_detect(const struct bl_obs *obs, size_t n_obs, const struct bl_detect_opts *opts,
		       struct bl_change **out, size_t *n_out, struct bl_error *err)
{
	(void)opts;
	(void)err;
	bool has = false;
	double before = 0, after = 0;
	for (size_t i = 0; i < n_obs; i++) {
		has |= obs[i].pos == 7;
		if (obs[i].pos == 6)
			before = obs[i].value;
		if (obs[i].pos == 7)
			after = obs[i].value;
	}
	*out = NULL;
	*n_out = 0;
	if (!has)
		return 0;
	*out = bl_xcalloc(1, sizeof(**out));
	**out = (struct bl_change){.pos = 7, .prev_pos = 6, .before = before, .after = after,
				   .change = after / before - 1, .change_lo = after / before - 1.01,
				   .change_hi = after / before - 0.99, .p = 1e-5};
	*n_out = 1;
	return 0;
}

static void build(struct bl_series_set *set, struct bl_report *r, const char *metric)
{
	make_set(set);
	struct bl_report_opts o;
	bl_report_opts_default(&o);
	o.detect_fn = fake_detect;
	o.repository = "/repo/x";
	o.commit_url = "https://example.com/c/{sha}";
	const char *metrics[] = {metric};
	if (metric) {
		o.metrics = metrics;
		o.n_metrics = 1;
	}
	struct bl_error err = {{0}};
	assert_int_equal(bl_report_build(set, make_commits(), N_COMMITS, &o, r, &err), 0);
}

static void test_model(void **state)
{
	(void)state;
	struct bl_series_set set;
	struct bl_report r;
	build(&set, &r, NULL);
	/* the auxiliary user_time and the series outside the history are left out */
	assert_int_equal(r.n_series, 2);
	const struct bl_report_series *s0 = &r.series[0], *s1 = &r.series[1];
	assert_string_equal(s0->s->metric, "wall_time");
	assert_string_equal(s1->s->metric, "throughput");
	assert_string_equal(r.title, "x performance");
	/* 10 measured commits and the build failure, in order */
	assert_int_equal(s0->n_pts, 11);
	assert_int_equal(s0->pts[4].pos, 4);
	assert_true(s0->pts[4].failed);
	assert_int_equal(s0->pts[4].sum.n, 0);
	assert_int_equal(s0->pts[9].pos, 10);
	/* the report's summaries are bl_summarize's */
	for (size_t i = 0; i < s0->n_pts; i++) {
		const struct bl_report_point *p = &s0->pts[i];
		if (!p->sum.n)
			continue;
		struct bl_summary full;
		bl_summarize(p->pt->values, p->pt->n_values, &full);
		assert_true(full.median == p->sum.median && full.min == p->sum.min && full.max == p->sum.max);
		assert_true(full.mad == p->sum.mad && full.ci_valid == p->sum.ci_valid);
		assert_true(full.median_lo == p->sum.median_lo && full.median_hi == p->sum.median_hi);
	}
	/* newest measured and its comparison with the one before */
	assert_int_equal(s0->pts[s0->latest].pos, 11);
	assert_int_equal(s0->pts[s0->previous].pos, 10);
	assert_true(s0->latest_cmp_done);
	/* direction from the unit: MB/s is higher-is-better, so throughput going up improved */
	assert_int_equal(s1->better, BL_BETTER_HIGHER);
	assert_int_equal(r.n_events, 2);
	assert_int_equal(r.event_counts[BL_RV_REGRESSED], 1);
	assert_int_equal(r.event_counts[BL_RV_IMPROVED], 1);
	assert_int_equal(r.events[0].verdict, BL_RV_REGRESSED); /* within a commit: regressions first */
	/* compare view: the two newest measured commits */
	assert_int_equal(r.head_pos, 11);
	assert_int_equal(r.base_pos, 10);
	assert_int_equal(r.n_rows, 2);
	assert_int_equal(bl_report_find(&r, "1100000"), 11);
	assert_int_equal(bl_report_find(&r, "123"), BL_REPORT_NONE);
	bl_report_release(&r);
	bl_series_set_release(&set);
}

static void test_compare_rows(void **state)
{
	(void)state;
	struct bl_series_set set;
	make_set(&set);
	struct bl_report_opts o;
	bl_report_opts_default(&o);
	o.detect_fn = fake_detect;
	o.base_pos = 6;
	o.head_pos = 7;
	struct bl_report r;
	struct bl_error err = {{0}};
	assert_int_equal(bl_report_build(&set, make_commits(), N_COMMITS, &o, &r, &err), 0);
	/* 7 runs each side, fully separated: p = 0.0006 < 0.01, +20% > 1%: regressed, first */
	assert_int_equal(r.rows[0].verdict, BL_RV_REGRESSED);
	assert_string_equal(r.series[r.rows[0].series].s->metric, "wall_time");
	assert_true(fabs(r.rows[0].cmp.change - 0.2) < 0.01);
	/* throughput has no declared direction but MB/s says higher: +50% is an improvement */
	assert_int_equal(r.rows[1].verdict, BL_RV_IMPROVED);
	assert_int_equal(r.counts[BL_RV_REGRESSED], 1);
	bl_report_release(&r);
	/* against the build failure at commit 4 */
	o.base_pos = 4;
	assert_int_equal(bl_report_build(&set, make_commits(), N_COMMITS, &o, &r, &err), 0);
	bool seen = false;
	for (size_t i = 0; i < r.n_rows; i++)
		if (r.rows[i].verdict == BL_RV_FAILED) {
			assert_string_equal(r.rows[i].problem, "build failed at A");
			seen = true;
		}
	assert_true(seen);
	bl_report_release(&r);
	bl_series_set_release(&set);
}

/* ---- the site ------------------------------------------------------------------------------------------------- */

static char *read_all(const char *path)
{
	struct bl_buf b;
	bl_buf_init(&b);
	struct bl_error err = {{0}};
	if (bl_read_file(path, &b, &err))
		fail_msg("%s", err.msg);
	return bl_buf_detach(&b);
}

/* No raw hostile markup anywhere, only our own <script> elements. */
static void assert_inert(const char *page)
{
	assert_null(strstr(page, "<script>alert"));
	assert_null(strstr(page, "</textarea>"));
	assert_null(strstr(page, "\"quoted\""));
	for (const char *p = page; (p = strstr(p, "<script")) != NULL; p++)
		if (strncmp(p, "<script data-bl src=", strlen("<script data-bl src=")) &&
		    strncmp(p, "<script type=\"application/json\" id=\"bl-data\" data-bl>",
			    strlen("<script type=\"application/json\" id=\"bl-data\" data-bl>")))
			fail_msg("foreign <script> at: %.80s", p);
	/* the only </script> are the ends of those */
	size_t opens = 0, closes = 0;
	for (const char *p = page; (p = strstr(p, "<script")) != NULL; p++)
		opens++;
	for (const char *p = page; (p = strstr(p, "</script>")) != NULL; p++)
		closes++;
	assert_int_equal(opens, closes);
}

static json_t *page_data(const char *page)
{
	const char *start = strstr(page, "id=\"bl-data\" data-bl>");
	assert_non_null(start);
	start += strlen("id=\"bl-data\" data-bl>");
	const char *end = strstr(start, "</script>");
	assert_non_null(end);
	json_error_t jerr;
	json_t *v = json_loadb(start, (size_t)(end - start), 0, &jerr);
	if (!v)
		fail_msg("bad JSON: %s", jerr.text);
	return v;
}

/* Decodes a series page's layout and values the way report.js does and checks them against the model. */
static void check_series_data(const struct bl_report_series *rs, json_t *d)
{
	double q = json_real_value(json_object_get(d, "q"));
	assert_true(q > 0);
	const char *layout = json_string_value(json_object_get(d, "layout"));
	const char *v = json_string_value(json_object_get(d, "v"));
	const char *fail = json_string_value(json_object_get(d, "fail"));
	json_t *ci = json_object_get(d, "ci");
	int64_t pos = -1, first = 0;
	size_t k = 0, fi = 0;
	uint64_t gap, len, code;
	while (*layout) {
		assert_int_equal(bl_report_get_uint(&layout, &gap), 0);
		assert_int_equal(bl_report_get_uint(&layout, &len), 0);
		assert_int_equal(bl_report_get_uint(&layout, &code), 0);
		for (uint64_t j = 0; j < len; j++, k++) {
			pos = j == 0 ? pos + 1 + (int64_t)gap : pos + 1;
			assert_true(k < rs->n_pts);
			const struct bl_report_point *p = &rs->pts[k];
			assert_int_equal((size_t)pos, p->pos);
			if (code == 0) {
				assert_true(p->failed);
				assert_int_equal(fail[fi++], 'b');
				continue;
			}
			assert_int_equal(code, p->sum.n);
			double vals[64];
			uint64_t u;
			assert_int_equal(bl_report_get_uint(&v, &u), 0);
			int64_t kq = first + (u & 1 ? -(int64_t)(u >> 1) - 1 : (int64_t)(u >> 1));
			first = kq;
			vals[0] = (double)kq * q;
			for (uint64_t m = 1; m < code; m++) {
				assert_int_equal(bl_report_get_uint(&v, &u), 0);
				kq += (int64_t)u;
				vals[m] = (double)kq * q;
			}
			/* the median and its interval as the page computes them */
			size_t n = (size_t)code;
			double med = n % 2 ? vals[n / 2] : (vals[n / 2 - 1] + vals[n / 2]) / 2;
			assert_true(fabs(med - p->sum.median) <= q);
			json_t *pair = json_array_get(ci, n);
			if (p->sum.ci_valid) {
				assert_true(json_is_array(pair));
				double lo = vals[json_integer_value(json_array_get(pair, 0))];
				double hi = vals[json_integer_value(json_array_get(pair, 1))];
				assert_true(fabs(lo - p->sum.median_lo) <= q / 2 + 1e-12);
				assert_true(fabs(hi - p->sum.median_hi) <= q / 2 + 1e-12);
			} else {
				assert_true(json_is_null(pair));
			}
		}
	}
	assert_int_equal(k, rs->n_pts);
	assert_int_equal(*v, '\0');
}

static bool exists(const char *dir, const char *rel)
{
	char *p = bl_xasprintf("%s/%s", dir, rel);
	bool e = access(p, F_OK) == 0;
	free(p);
	return e;
}

static void put(const char *dir, const char *rel, const char *text)
{
	struct bl_error err = {{0}};
	char *p = bl_xasprintf("%s/%s", dir, rel);
	assert_int_equal(bl_write_file_atomic(p, text, strlen(text), &err), 0);
	free(p);
}

void bl_report_site_test_no_exchange(bool on); /* lib/report_site.c */

/* Past its first 50 changes, the index lists the others in a hidden <tbody> with a button to show them: the
 * page is laid out sooner, and nothing is left out. */
static void test_index_events_rest(void **state)
{
	(void)state;
	struct bl_series_set set;
	struct bl_report r;
	build(&set, &r, "all");
	assert_true(r.n_events >= 1);
	struct bl_report_event *many = bl_xcalloc(60, sizeof(*many));
	for (size_t i = 0; i < 60; i++)
		many[i] = r.events[0];
	free(r.events);
	r.events = many;
	r.n_events = 60;
	char *dir = bl_xasprintf("%s/site-rest", scratch);
	struct bl_report_site_stats st;
	struct bl_error err = {{0}};
	assert_int_equal(bl_report_write_html(&r, NULL, 0, dir, &st, &err), 0);
	char *path = bl_xasprintf("%s/index.html", dir);
	char *page = read_all(path);
	const char *table = strstr(page, "<table id=\"events\""), *end = strstr(table, "</table>");
	const char *rest = strstr(table, "<tbody class=\"bl-rest\" hidden>");
	assert_true(rest && rest < end);
	size_t first = 0, later = 0;
	for (const char *p = strstr(table, "<tr class=\"v-"); p && p < end; p = strstr(p + 1, "<tr class=\"v-"))
		if (p < rest)
			first++;
		else
			later++;
	assert_int_equal(first, 50);
	assert_int_equal(later, 10);
	assert_non_null(strstr(end, "<button type=\"button\" data-rest=\"events\">Show all 60 changes</button>"));
	free(page);
	free(path);
	/* up to 50: one <tbody>, no button */
	r.n_events = 50;
	assert_int_equal(bl_report_write_html(&r, NULL, 0, dir, &st, &err), 0);
	path = bl_xasprintf("%s/index.html", dir);
	page = read_all(path);
	assert_null(strstr(page, "bl-rest"));
	assert_null(strstr(page, "data-rest"));
	free(page);
	free(path);
	free(dir);
	bl_report_release(&r);
	bl_series_set_release(&set);
}

/* A site written aside and moved in: the directory keeps its previous report until the commit, loses nothing
 * a report does not write, and refuses a second writer; a stale staging directory is cleared. */
static void test_site_staged(void **state)
{
	(void)state;
	struct bl_series_set set;
	struct bl_report r;
	build(&set, &r, "all");
	char *dir = bl_xasprintf("%s/staged", scratch);
	struct bl_report_staging st, other;
	struct bl_report_site_stats stats;
	struct bl_error err = {{0}};
	/* a new directory: made, then the site moved in */
	assert_int_equal(bl_report_stage(&st, dir, &err), 0);
	assert_non_null(strstr(st.path, "/staged/"));
	assert_int_equal(bl_report_write_html(&r, NULL, 0, st.path, &stats, &err), 0);
	assert_false(exists(dir, "index.html"));
	/* a second report into it waits for nobody: refused while the first holds it */
	assert_int_equal(bl_report_stage(&other, dir, &err), -1);
	assert_non_null(strstr(err.msg, "another benchline report"));
	assert_int_equal(bl_report_stage_commit(&st, &err), 0);
	assert_true(exists(dir, "index.html") && exists(dir, "series/s0.html") && exists(dir, "assets/report.js"));
	assert_false(exists(dir, ".benchline-new"));
	char *index = bl_xasprintf("%s/index.html", dir);
	char *first = read_all(index);
	/* the user's files beside it; an entry of an earlier report this one does not write (svg/) */
	put(dir, "CNAME", "example.org");
	char *svg = bl_xasprintf("%s/svg", dir);
	assert_int_equal(bl_mkdirs(svg, 0755, &err), 0);
	put(dir, "svg/s0.svg", "<svg/>");
	/* aborted: nothing changes */
	assert_int_equal(bl_report_stage(&st, dir, &err), 0);
	put(st.path, "index.html", "half");
	bl_report_stage_abort(&st);
	char *now = read_all(index);
	assert_string_equal(now, first);
	free(now);
	assert_false(exists(dir, ".benchline-new"));
	/* killed: the stale staging directory is cleared by the next report, and the directory still counts as
	 * an earlier report's */
	assert_int_equal(bl_report_stage(&st, dir, &err), 0);
	put(st.path, "index.html", "stale");
	free(st.dir);
	free(st.path);
	close(st.lock_fd); /* what the kernel does for a killed process */
	assert_int_equal(bl_report_stage(&st, dir, &err), 0);
	assert_false(exists(st.path, "index.html"));
	free(r.title);
	r.title = bl_xstrdup("Second");
	assert_int_equal(bl_report_write_html(&r, NULL, 0, st.path, &stats, &err), 0);
	assert_int_equal(bl_report_stage_commit(&st, &err), 0);
	now = read_all(index);
	assert_non_null(strstr(now, "<title>Second</title>"));
	free(now);
	assert_true(exists(dir, "CNAME"));
	assert_false(exists(dir, "svg"));
	assert_false(exists(dir, ".benchline-new"));
	/* where the file system cannot exchange names: moved aside, then in */
	bl_report_site_test_no_exchange(true);
	assert_int_equal(bl_report_stage(&st, dir, &err), 0);
	free(r.title);
	r.title = bl_xstrdup("Third");
	assert_int_equal(bl_report_write_html(&r, NULL, 0, st.path, &stats, &err), 0);
	assert_int_equal(bl_report_stage_commit(&st, &err), 0);
	bl_report_site_test_no_exchange(false);
	now = read_all(index);
	assert_non_null(strstr(now, "<title>Third</title>"));
	free(now);
	assert_true(exists(dir, "CNAME") && exists(dir, "series/s0.html"));
	assert_false(exists(dir, ".benchline-new"));
	/* a commit failing part-way (here the move of series/ aside, blocked) puts back what it had moved */
	put(dir, "runs/marker", "old");
	bl_report_site_test_no_exchange(true);
	assert_int_equal(bl_report_stage(&st, dir, &err), 0);
	assert_int_equal(bl_report_write_html(&r, NULL, 0, st.path, &stats, &err), 0);
	char *block = bl_xasprintf("%s/old-series", st.path);
	assert_int_equal(bl_mkdirs(block, 0755, &err), 0);
	put(block, "x", "x");
	assert_int_equal(bl_report_stage_commit(&st, &err), -1);
	assert_non_null(strstr(err.msg, "series"));
	bl_report_site_test_no_exchange(false);
	assert_true(exists(dir, "runs/marker") && exists(dir, "series/s0.html") && exists(dir, "assets/report.js"));
	assert_true(exists(dir, "commits.js") && exists(dir, "CNAME"));
	assert_false(exists(dir, ".benchline-new"));
	free(block);
	/* a staging name that is a dangling link is removed, not followed */
	char *link = bl_xasprintf("%s/.benchline-new", dir);
	assert_int_equal(symlink("/nonexistent/benchline-target", link), 0);
	assert_int_equal(bl_report_stage(&st, dir, &err), 0);
	bl_report_stage_abort(&st);
	assert_false(exists(dir, ".benchline-new"));
	free(link);
	/* a directory holding only a killed first report's staging directory is still usable */
	char *fresh = bl_xasprintf("%s/fresh", scratch);
	assert_int_equal(bl_report_stage(&st, fresh, &err), 0);
	close(st.lock_fd);
	st.lock_fd = -1;
	put(st.path, "index.html", "stale");
	free(st.dir);
	free(st.path);
	assert_int_equal(bl_report_stage(&st, fresh, &err), 0);
	bl_report_stage_abort(&st);
	/* a first report killed while moving in (part of the site beside the staging directory) is still ours;
	 * the same entries without it may be someone else's */
	char *part = bl_xasprintf("%s/part", scratch);
	char *part_assets = bl_xasprintf("%s/part/assets", scratch);
	assert_int_equal(bl_mkdirs(part_assets, 0755, &err), 0);
	put(part, "assets/report.js", "x");
	assert_int_equal(bl_report_stage(&st, part, &err), -1);
	char *part_staging = bl_xasprintf("%s/part/.benchline-new", scratch);
	assert_int_equal(bl_mkdirs(part_staging, 0755, &err), 0);
	assert_int_equal(bl_report_stage(&st, part, &err), 0);
	bl_report_stage_abort(&st);
	free(part_staging);
	free(part_assets);
	free(part);
	/* a foreign directory is refused and nothing is made inside it */
	char *foreign = bl_xasprintf("%s/foreign-staged", scratch);
	assert_int_equal(bl_mkdirs(foreign, 0755, &err), 0);
	put(foreign, "notes.txt", "keep");
	assert_int_equal(bl_report_stage(&st, foreign, &err), -1);
	assert_non_null(strstr(err.msg, "not empty"));
	assert_false(exists(foreign, ".benchline-new"));
	free(foreign);
	free(fresh);
	free(svg);
	free(first);
	free(index);
	free(dir);
	bl_report_release(&r);
	bl_series_set_release(&set);
}

static void test_site(void **state)
{
	(void)state;
	struct bl_series_set set;
	struct bl_report r;
	build(&set, &r, "all");
	assert_int_equal(r.n_series, 3);
	char *dir = bl_xasprintf("%s/site", scratch);
	struct bl_report_site_stats st;
	struct bl_error err = {{0}};
	assert_int_equal(bl_report_write_html(&r, NULL, 0, dir, &st, &err), 0);
	assert_int_equal(st.series_pages, 3);
	assert_int_equal(st.files, 3 + 3 + 2); /* assets + commits.js, series, index + compare */
	static const char *const pages[] = {"index.html", "compare.html", "series/s0.html", "series/s1.html",
					    "series/s2.html", "commits.js"};
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		char *path = bl_xasprintf("%s/%s", dir, pages[i]);
		char *page = read_all(path);
		assert_inert(page);
		if (i < 2)
			assert_non_null(strstr(page, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;quoted&quot;"));
		if (i == 0) {
			/* the culprit of the regression with its subject, and the filters carry escaped values */
			assert_non_null(strstr(page, "Slower: &lt;script&gt;"));
			assert_non_null(strstr(page, "data-p=\"size=&lt;/textarea&gt;\""));
			assert_non_null(strstr(page, "href=\"https://example.com/c/07"));
			assert_non_null(strstr(page, "<svg class=\"spark\""));
			/* its heading is the report's title: the tab and the line under it do not repeat it */
			const char *title = strstr(page, "<title>"), *end = strstr(page, "</title>");
			assert_true(title && end && title < end);
			assert_null(memmem(title, (size_t)(end - title), "\xe2\x80\x94", 3));
			assert_non_null(strstr(page, "<p class=\"bl-meta\">/repo/x \xc2\xb7 first-parent history of <code>"));
		}
		if (i == 1) { /* another page: its own title, then the report's */
			assert_non_null(strstr(page, "<title>Compare two commits \xe2\x80\x94 "));
			assert_non_null(strstr(page, "<p class=\"bl-meta\">"));
		}
		free(page);
		free(path);
	}
	/* the hostile series' page: data decodes to the model's numbers */
	for (size_t i = 0; i < r.n_series; i++) {
		char *path = bl_xasprintf("%s/series/s%zu.html", dir, r.series[i].id);
		char *page = read_all(path);
		json_t *d = page_data(page);
		check_series_data(&r.series[i], d);
		json_t *changes = json_object_get(d, "changes");
		assert_int_equal(json_array_size(changes), r.series[i].n_changes);
		json_decref(d);
		free(page);
		free(path);
	}
	/* commits.js: JSON after the assignment, subjects intact */
	char *path = bl_xasprintf("%s/commits.js", dir);
	char *js = read_all(path);
	const char *brace = strchr(strstr(js, "window.BL_COMMITS = "), '{');
	json_error_t jerr;
	json_t *c = json_loadb(brace, strlen(brace) - 2, 0, &jerr);
	assert_non_null(c);
	assert_string_equal(json_string_value(json_array_get(json_object_get(c, "subject"), 7)), "Slower: " HOSTILE);
	assert_int_equal(json_string_length(json_object_get(c, "sha")), 40 * N_COMMITS);
	json_decref(c);
	free(js);
	free(path);
	/* a second report replaces the first; a foreign directory is refused */
	assert_int_equal(bl_report_write_html(&r, NULL, 0, dir, &st, &err), 0);
	char *foreign = bl_xasprintf("%s/foreign", scratch);
	assert_int_equal(bl_mkdirs(foreign, 0755, &err), 0);
	char *keep = bl_xasprintf("%s/precious.txt", foreign);
	assert_int_equal(bl_write_file_atomic(keep, "x", 1, &err), 0);
	assert_int_equal(bl_report_write_html(&r, NULL, 0, foreign, &st, &err), -1);
	assert_non_null(strstr(err.msg, "not empty"));
	assert_int_equal(access(keep, F_OK), 0);
	free(keep);
	free(foreign);
	free(dir);
	bl_report_release(&r);
	bl_series_set_release(&set);
}

static void test_quantum(void **state)
{
	(void)state;
	struct bl_series_set set;
	struct bl_report r;
	build(&set, &r, NULL);
	/* 0.1 s: six significant digits; coarse: 1/20 of the MAD at most, a power of ten */
	double fine = bl_report_quantum(&r.series[0], false), coarse = bl_report_quantum(&r.series[0], true);
	assert_true(fabs(fine - 1e-6) < 1e-18);
	assert_true(coarse >= fine);
	double mad = r.series[0].pts[0].sum.mad;
	assert_true(coarse <= mad / 20 || coarse == fine);
	assert_true(fabs(log10(coarse) - round(log10(coarse))) < 1e-9);
	bl_report_release(&r);
	bl_series_set_release(&set);
}

static void test_markdown_limit(void **state)
{
	(void)state;
	struct bl_series_set set;
	struct bl_report r;
	build(&set, &r, NULL);
	struct bl_buf md;
	bl_buf_init(&md);
	bl_report_markdown(&r, 65000, &md);
	assert_true(md.len <= 65000);
	/* regressions come before the table of all series */
	const char *reg = strstr(md.data, "### Regressions"), *all = strstr(md.data, "### All series");
	assert_non_null(reg);
	assert_non_null(all);
	assert_true(reg < all);
	assert_null(strstr(md.data, "<script>"));
	assert_null(strstr(md.data, "</textarea>"));
	/* one row per line: nothing from the database breaks a table row */
	for (const char *line = md.data; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		if (len && line[0] == '|') {
			size_t bars = 0;
			for (size_t i = 0; i < len; i++)
				bars += line[i] == '|' && (i == 0 || line[i - 1] != '\\');
			assert_true(bars == 8 || bars == 9); /* 7 or 8 columns */
		}
		line += len + (nl ? 1 : 0);
	}
	/* tiny limits are honoured with a note */
	for (size_t max = 1024; max <= 4096; max += 512) {
		bl_buf_reset(&md);
		bl_report_markdown(&r, max, &md);
		assert_true(md.len <= max);
	}
	bl_buf_release(&md);
	bl_report_release(&r);
	bl_series_set_release(&set);
}

/* Thousands of series with long hostile names: still under GitHub's limit, with a note. */
static void test_markdown_huge(void **state)
{
	(void)state;
	struct bl_series_set set;
	memset(&set, 0, sizeof(set));
	size_t n = 3000;
	set.v = bl_xcalloc(n, sizeof(*set.v));
	set.n = n;
	for (size_t i = 0; i < n; i++) {
		char name[256];
		snprintf(name, sizeof(name), "bench_%04zu_%s_%s", i, HOSTILE, "|||||||||||||||||||||||||");
		init_series(&set.v[i], name, "{}", "wall_time", "s", BL_BETTER_LOWER);
		size_t cap = 0;
		for (int c = 0; c < N_COMMITS; c++) {
			double v[5] = {1, 1.01, 0.99, 1.02, 0.98};
			add_point(&set.v[i], &cap, c, "complete", v, 5, (int64_t)(i * 100 + (size_t)c));
		}
	}
	struct bl_report_opts o;
	bl_report_opts_default(&o);
	o.detect_fn = fake_detect;
	struct bl_report r;
	struct bl_error err = {{0}};
	assert_int_equal(bl_report_build(&set, make_commits(), N_COMMITS, &o, &r, &err), 0);
	struct bl_buf md;
	bl_buf_init(&md);
	bl_report_markdown(&r, 65000, &md);
	assert_true(md.len <= 65000);
	assert_true(md.len > 60000);
	assert_non_null(strstr(md.data, "more series not shown"));
	bl_buf_release(&md);
	bl_report_release(&r);
	bl_series_set_release(&set);
}

/* Series are built and their pages written on several threads: the same model and the same pages as on one. */
static int failing_detect(const struct bl_obs *obs, size_t n_obs, const struct bl_detect_opts *opts,
			  struct bl_change **out, size_t *n_out, struct bl_error *err)
{
	(void)opts;
	*out = NULL;
	*n_out = 0;
	/* the throughput series (values around 200) cannot be analysed */
	return n_obs && obs[0].value > 100 ? bl_fail(err, "cannot analyse this one") : 0;
}

static void test_threads_same(void **state)
{
	(void)state;
	struct bl_series_set set;
	make_set(&set);
	struct bl_report r[2];
	char *dirs[2];
	static const char *const all[] = {"all"};
	for (int k = 0; k < 2; k++) {
		struct bl_report_opts o;
		bl_report_opts_default(&o); /* the real detector */
		o.repository = "/repo/x";
		o.metrics = all;
		o.n_metrics = 1;
		o.threads = k ? 3 : 1;
		struct bl_error err = {{0}};
		assert_int_equal(bl_report_build(&set, make_commits(), N_COMMITS, &o, &r[k], &err), 0);
		r[k].generated_at = 1700000000;
		dirs[k] = bl_xasprintf("%s/threads%d", scratch, k);
		struct bl_report_site_stats st;
		assert_int_equal(bl_report_write_html(&r[k], NULL, 0, dirs[k], &st, &err), 0);
		assert_int_equal(st.series_pages, r[k].n_series);
	}
	assert_int_equal(r[0].n_series, 3);
	assert_int_equal(r[0].n_series, r[1].n_series);
	assert_int_equal(r[0].n_events, r[1].n_events);
	for (size_t i = 0; i < r[0].n_series; i++) {
		const struct bl_report_series *a = &r[0].series[i], *b = &r[1].series[i];
		assert_ptr_equal(a->s, b->s);
		assert_int_equal(a->id, i);
		assert_int_equal(a->n_pts, b->n_pts);
		for (size_t j = 0; j < a->n_pts; j++) {
			assert_int_equal(a->pts[j].pos, b->pts[j].pos);
			assert_true(a->pts[j].sum.median == b->pts[j].sum.median);
		}
		assert_int_equal(a->n_changes, b->n_changes);
		for (size_t j = 0; j < a->n_changes; j++)
			assert_int_equal(a->changes[j].pos, b->changes[j].pos);
		char *pa = bl_xasprintf("%s/series/s%zu.html", dirs[0], i), *pb = bl_xasprintf("%s/series/s%zu.html", dirs[1], i);
		char *ta = read_all(pa), *tb = read_all(pb);
		assert_string_equal(ta, tb);
		free(ta);
		free(tb);
		free(pa);
		free(pb);
	}
	for (int k = 0; k < 2; k++) {
		bl_report_release(&r[k]);
		free(dirs[k]);
	}
	/* A failing detector fails the build, naming the series, whichever thread met it. */
	struct bl_report_opts o;
	bl_report_opts_default(&o);
	o.detect_fn = failing_detect;
	o.metrics = all;
	o.n_metrics = 1;
	o.threads = 4;
	struct bl_error err = {{0}};
	struct bl_report bad;
	assert_int_equal(bl_report_build(&set, make_commits(), N_COMMITS, &o, &bad, &err), -1);
	if (!strstr(err.msg, "parse throughput") || !strstr(err.msg, "cannot analyse this one"))
		fail_msg("unexpected error: %s", err.msg);
	bl_series_set_release(&set);
	assert_int_equal(bl_report_threads(0, 0), 1);
	assert_int_equal(bl_report_threads(8, 3), 3);
	assert_int_equal(bl_report_threads(1000, 1000), 64);
}

static void test_svg(void **state)
{
	(void)state;
	struct bl_series_set set;
	struct bl_report r;
	build(&set, &r, NULL);
	struct bl_buf b;
	bl_buf_init(&b);
	bl_report_svg_chart(&r, &r.series[0], 960, 420, &b);
	assert_true(!strncmp(b.data, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39));
	assert_non_null(strstr(b.data, "</svg>\n"));
	assert_null(strstr(b.data, "<script"));
	assert_non_null(strstr(b.data, "&lt;script&gt;alert(1)"));
	char label[32];
	snprintf(label, sizeof(label), "%+.1f%%", 100 * r.series[0].changes[0].change);
	assert_non_null(strstr(b.data, label)); /* the change point's label */
	assert_non_null(strstr(b.data, "<path d=\"M")); /* the build failure */
	bl_buf_release(&b);
	char *dir = bl_xasprintf("%s/svg", scratch);
	struct bl_strvec files;
	bl_strvec_init(&files);
	struct bl_error err = {{0}};
	assert_int_equal(bl_report_write_svgs(&r, dir, 600, 300, &files, &err), 0);
	assert_int_equal(files.n, r.n_series);
	assert_int_equal(access(files.v[0], F_OK), 0);
	bl_strvec_release(&files);
	free(dir);
	bl_report_release(&r);
	bl_series_set_release(&set);
}

/* ---- the store op behind run pages ---------------------------------------------------------------------------- */

struct seen_runs {
	int n, measured;
	size_t samples, metrics;
	double cpu, rss;
	int gpus;
};

static int on_run(void *ctx, const struct bl_run_detail *d)
{
	struct seen_runs *s = ctx;
	s->n++;
	s->measured += !strcmp(d->kind, "measured");
	s->samples += d->n_samples;
	s->metrics += d->n_metrics;
	if (d->n_samples == 3) {
		s->cpu = d->samples[1].proc_cpu_pct.value;
		s->rss = d->samples[1].proc_rss_bytes.value;
		s->gpus = d->samples[1].n_gpus;
		assert_false(d->samples[0].proc_cpu_pct.valid); /* stored NULL */
	}
	return 0;
}

static void test_case_runs(void **state)
{
	(void)state;
	char *path = bl_xasprintf("%s/runs.db", scratch);
	struct bl_store *s;
	struct bl_error err = {{0}};
	assert_int_equal(bl_store_open(path, &s, &err), 0);
	struct bl_machine m = {.hostname = (char *)"h", .cpu_count = 1, .gpus_json = (char *)"[]"};
	snprintf(m.fingerprint, sizeof(m.fingerprint), "fp");
	int64_t mid;
	assert_int_equal(bl_store_put_machine(s, &m, &mid, &err), 0);
	struct bl_case_key key = {.repository = "/r", .branch = "main", .commit_sha = "0123456789012345678901234567890123456789",
				  .commit_subject = "s", .machine_id = mid, .suite_hash = "x", .name = "b",
				  .params_json = "{}", .metadata_json = "{}"};
	struct bl_case_state st;
	assert_int_equal(bl_store_open_case(s, &key, &st, &err), 0);
	struct bl_sample samples[3];
	memset(samples, 0, sizeof(samples));
	for (int i = 0; i < 3; i++) {
		samples[i].t_ns = i * 10000000;
		samples[i].proc_cpu_pct = (struct bl_value){50.0 * i, i > 0};
		samples[i].proc_rss_bytes = (struct bl_value){8.0 * 1024 * 1024, true};
		samples[i].n_gpus = 1;
		samples[i].gpu[0].util_pct = (struct bl_value){90, true};
	}
	struct bl_metric met = {(char *)"wall_time", 0.5, (char *)"s", BL_BETTER_LOWER};
	for (int r = 0; r < 2; r++) {
		struct bl_run_record rec = {.benchmark_id = st.benchmark_id, .warmup = r == 0, .index = 0, .wall_s = 0.5,
					    .status = "ok", .metrics = &met, .n_metrics = 1, .samples = samples,
					    .n_samples = 3, .start_unix_ns = 1700000000000000000LL};
		assert_int_equal(bl_store_add_run(s, &rec, NULL, &err), 0);
	}
	struct seen_runs seen = {0};
	assert_int_equal(bl_store_case_runs(s, st.benchmark_id, on_run, &seen, &err), 0);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.measured, 1);
	assert_int_equal(seen.samples, 6);
	assert_int_equal(seen.metrics, 2);
	assert_true(fabs(seen.cpu - 50) < 1e-9);
	assert_true(fabs(seen.rss - 8.0 * 1024 * 1024) < 1);
	assert_int_equal(seen.gpus, 1);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(bl_store_case_runs(s, 12345, on_run, &seen, &err), 0);
	assert_int_equal(seen.n, 0);
	bl_case_state_release(&st);
	bl_store_close(s);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_escape),   cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_md_escape),     cmocka_unit_test(test_number_stream),
		cmocka_unit_test(test_sparkline),     cmocka_unit_test(test_model),
		cmocka_unit_test(test_compare_rows),  cmocka_unit_test(test_site), cmocka_unit_test(test_site_staged), cmocka_unit_test(test_index_events_rest),
		cmocka_unit_test(test_quantum),	      cmocka_unit_test(test_markdown_limit),
		cmocka_unit_test(test_markdown_huge), cmocka_unit_test(test_svg),
		cmocka_unit_test(test_case_runs),	      cmocka_unit_test(test_threads_same),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
