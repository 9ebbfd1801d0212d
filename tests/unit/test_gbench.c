/* test_gbench.c - Google Benchmark JSON: loading, errors, and the
 * comparison of google/benchmark's tools/compare.py.
 *
 * tests/data/gbench/ holds our own files in Google Benchmark's format that
 * carry the names, units and numbers of compare.py's test inputs
 * (tools/gbench/Inputs/test1_run{1,2}.json and test3_run{0,1}.json); run
 * compare.py on either pair and it prints the same table as on the
 * originals. Expected figures are compare.py's own, at full precision, from
 * (in google/benchmark's tools/ directory, scipy 1.10):
 *   /usr/bin/python3 -c "from gbench import util, report
 *   L=lambda f: util.sort_benchmark_results(util.load_benchmark_results(f, None))
 *   print(report.get_difference_report(L(OLD), L(NEW), True))"
 * which is what `compare.py benchmarks OLD NEW` computes before printing.
 */
#include "benchline/common.h"
#include "benchline/gbench.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char scratch[4096];

static int setup_scratch(void **state)
{
	const char *base = getenv("BENCHLINE_TEST_TMP");
	struct bl_error err = {{0}};
	if (!base || !*base)
		base = "/tmp";
	if (bl_mkdirs(base, 0755, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	snprintf(scratch, sizeof(scratch), "%s/test_gbench.XXXXXX", base);
	return mkdtemp(scratch) ? 0 : -1;
}

static int teardown_scratch(void **state)
{
	struct bl_error err = {{0}};
	return bl_remove_tree(scratch, &err);
}

/* CMake compiles us by absolute path, so the data sits next to __FILE__. */
static char *data_path(const char *name)
{
	const char *slash = strrchr(__FILE__, '/');
	int dir = slash ? (int)(slash - __FILE__) : 1;
	return bl_xasprintf("%.*s/../data/gbench/%s", dir, slash ? __FILE__ : ".", name);
}

static void load_data(const char *name, struct bl_gbench_file *f)
{
	char *path = data_path(name);
	struct bl_error err = {{0}};
	if (bl_gbench_load(path, f, &err))
		fail_msg("%s", err.msg);
	free(path);
}

static void near(double got, double want)
{
	double tol = 1e-12 * (fabs(want) > 1 ? fabs(want) : 1);
	if (!(fabs(got - want) <= tol))
		fail_msg("got %.17g, want %.17g", got, want);
}

struct want_m {
	double ro, rn, co, cn, time, cpu;
};

static void check_m(const struct bl_gbench_row *r, size_t i, struct want_m w)
{
	if (i >= r->n_m)
		fail_msg("%s: no measurement %zu", r->name, i);
	const struct bl_gbench_measurement *m = &r->m[i];
	assert_true(m->real_old == w.ro && m->real_new == w.rn);
	assert_true(m->cpu_old == w.co && m->cpu_new == w.cn);
	near(m->time_change, w.time);
	near(m->cpu_change, w.cpu);
}

static void compare_files(const char *old_name, const char *new_name, struct bl_gbench_row **rows, size_t *n)
{
	struct bl_gbench_file a, b;
	struct bl_error err = {{0}};
	load_data(old_name, &a);
	load_data(new_name, &b);
	assert_int_equal(bl_gbench_compare(&a, &b, rows, n, &err), 0);
	bl_gbench_file_free(&a);
	bl_gbench_file_free(&b);
}

/* test1: one repetition each, so no U test; a unit change drops a row. */
static void test_compare_test1(void **state)
{
	struct bl_gbench_row *r;
	size_t n;
	compare_files("test1_old.json", "test1_new.json", &r, &n);
	static const char *names[] = {
	    "BM_SameTimes",	  "BM_2xFaster",	"BM_2xSlower",	 "BM_1PercentFaster", "BM_1PercentSlower",
	    "BM_10PercentFaster", "BM_10PercentSlower", "BM_100xSlower", "BM_100xFaster",     "BM_10PercentCPUToTime",
	    "BM_ThirdFaster",	  "BM_NotBadTimeUnit",	"BM_hasLabel",	 "OVERALL_GEOMEAN",
	};
	assert_int_equal(n, sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(r[i].name, names[i]);
		assert_false(r[i].has_utest);
		assert_int_equal(r[i].n_m, 1);
	}
	check_m(&r[0], 0, (struct want_m){10, 10, 10, 10, 0.0, 0.0});
	check_m(&r[1], 0, (struct want_m){50, 25, 50, 25, -0.5, -0.5});
	check_m(&r[2], 0, (struct want_m){50, 100, 50, 100, 1.0, 1.0});
	check_m(&r[3], 0,
		(struct want_m){100, 98.9999999, 100, 98.9999999, -0.01000000099999994, -0.01000000099999994});
	check_m(&r[4], 0,
		(struct want_m){100, 100.9999999, 100, 100.9999999, 0.00999999900000006, 0.00999999900000006});
	check_m(&r[5], 0, (struct want_m){100, 90, 100, 90, -0.1, -0.1});
	check_m(&r[6], 0, (struct want_m){100, 110, 100, 110, 0.1, 0.1});
	check_m(&r[7], 0, (struct want_m){100, 10000, 100, 10000, 99.0, 99.0});
	check_m(&r[8], 0, (struct want_m){10000, 100, 10000, 100, -0.99, -0.99});
	check_m(&r[9], 0, (struct want_m){100, 110, 100, 90, 0.1, -0.1});
	/* compare.py prints -0.3333 and -0.3334 */
	check_m(&r[10], 0, (struct want_m){100, 66.665, 100, 66.664, -0.3333499999999999, -0.33336});
	check_m(&r[11], 0, (struct want_m){0.4, 0.04, 0.5, 0.6, -0.9, 0.19999999999999996});
	assert_string_equal(r[11].time_unit, "s");
	assert_string_equal(r[12].label, "a label");
	assert_string_equal(r[0].label, "");
	assert_int_equal(r[0].run_type, BL_GBENCH_RUN_UNSPECIFIED);
	/* Every non-aggregate entry of each file, BM_DifferentTimeUnit too. */
	const struct bl_gbench_row *g = &r[13];
	assert_true(g->is_geomean);
	assert_string_equal(g->time_unit, "s");
	assert_string_equal(g->aggregate_name, "geomean");
	assert_int_equal(g->run_type, BL_GBENCH_RUN_AGGREGATE);
	near(g->m[0].real_old, 3.1622776601683826e-06);
	near(g->m[0].real_new, 5.96729226736723e-07);
	near(g->m[0].cpu_old, 3.2130844755623912e-06);
	near(g->m[0].cpu_new, 7.137700977937563e-07);
	near(g->m[0].time_change, -0.8112976497120911);
	near(g->m[0].cpu_change, -0.7778551721181174);
	bl_gbench_rows_free(r, n);
}

static void test_load_test1(void **state)
{
	struct bl_gbench_file f;
	load_data("test1_old.json", &f);
	assert_int_equal(f.n_entries, 16);
	/* BigO and RMS carry coefficients, not times: kept, but not compared */
	const struct bl_gbench_entry *bigo = NULL;
	for (size_t i = 0; i < f.n_entries; i++)
		if (!strcmp(f.entries[i].name, "Complexity_BigO"))
			bigo = &f.entries[i];
	assert_non_null(bigo);
	assert_false(bigo->has_times);
	assert_int_equal(bigo->run_type, BL_GBENCH_RUN_AGGREGATE);
	assert_string_equal(bigo->aggregate_name, "BigO");
	assert_string_equal(bigo->run_name, "Complexity");
	assert_null(bl_gbench_find(&f, "Complexity_BigO"));
	assert_int_equal(f.n_benches, 14);
	const struct bl_gbench_bench *b = bl_gbench_find(&f, "BM_NotBadTimeUnit");
	assert_non_null(b);
	assert_string_equal(b->time_unit, "s");
	assert_int_equal(b->n, 1);
	assert_true(b->real_time[0] == 0.4 && b->cpu_time[0] == 0.5);
	bl_gbench_file_free(&f);
}

/*
 * test3: repetitions and aggregates mixed under one name. compare.py sorts
 * aggregates after repetitions (so its table is not in file order) and
 * groups by name alone, so "short" pairs 2 old aggregates with 1 new
 * repetition and 2 new aggregates.
 */
static void test_compare_test3(void **state)
{
	struct bl_gbench_row *r;
	size_t n;
	compare_files("test3_old.json", "test3_new.json", &r, &n);
	assert_int_equal(n, 5);
	assert_string_equal(r[0].name, "BM_Two");
	assert_string_equal(r[1].name, "medium");
	assert_string_equal(r[2].name, "BM_One");
	assert_string_equal(r[3].name, "short");
	assert_string_equal(r[4].name, "OVERALL_GEOMEAN");

	check_m(&r[0], 0, (struct want_m){9, 7, 90, 72, -0.2222222222222222, -0.2});
	check_m(&r[0], 1, (struct want_m){8, 10, 86, 89, 0.25, 0.03488372093023256});
	assert_true(r[0].has_utest && r[0].utest_unreliable);
	assert_int_equal(r[0].n_old, 2);
	assert_int_equal(r[0].n_new, 2);
	assert_true(r[0].time_p == 1.0);      /* exact, 2 vs 2 */
	near(r[0].cpu_p, 0.6666666666666666); /* exact */
	assert_int_equal(r[0].run_type, BL_GBENCH_RUN_UNSPECIFIED);

	check_m(&r[1], 0, (struct want_m){8, 5, 80, 53, -0.375, -0.3375});
	assert_false(r[1].has_utest); /* 2 vs 1 */
	assert_int_equal(r[1].run_type, BL_GBENCH_RUN_ITERATION);

	check_m(&r[2], 0, (struct want_m){10, 9, 100, 110, -0.1, 0.1});
	assert_int_equal(r[2].run_type, BL_GBENCH_RUN_AGGREGATE);

	check_m(&r[3], 0, (struct want_m){8, 800, 80, 1, 99.0, -0.9875});
	check_m(&r[3], 1, (struct want_m){8, 7, 77, 75, -0.125, -0.025974025974025976});
	assert_int_equal(r[3].n_m, 2);
	assert_true(r[3].has_utest && r[3].utest_unreliable);
	assert_int_equal(r[3].n_old, 2);
	assert_int_equal(r[3].n_new, 3);
	near(r[3].time_p, 0.7670968684102772); /* ties (8, 8): asymptotic */
	near(r[3].cpu_p, 0.2);		       /* exact */

	const struct bl_gbench_row *g = &r[4];
	near(g->m[0].real_old, 8.48528137423858e-09);
	near(g->m[0].real_new, 2.2405267593145244e-08);
	near(g->m[0].cpu_old, 8.441336246629264e-08);
	near(g->m[0].cpu_new, 2.5453661413660466e-08);
	near(g->m[0].time_change, 1.6404861082353634); /* +1.6405 */
	near(g->m[0].cpu_change, -0.6984640740519673); /* -0.6985 */
	bl_gbench_rows_free(r, n);
}

/* A JSON text with `reps` copies of one benchmark entry. */
static char *repeated(const char *entry, size_t reps)
{
	struct bl_buf b;
	bl_buf_init(&b);
	bl_buf_puts(&b, "{\"context\": {\"json_schema_version\": 1}, \"benchmarks\": [");
	for (size_t i = 0; i < reps; i++)
		bl_buf_printf(&b, "%s%s", i ? "," : "", entry);
	bl_buf_puts(&b, "]}");
	return bl_buf_detach(&b);
}

/*
 * test5: report.py's TestReportDifferenceWithUTestWhileDisplayingAggregatesOnly2
 * repeats test5_run{0,1}.json's single entry 1000 times:
 *   a=json.load(open('gbench/Inputs/test5_run0.json')); b=...run1...
 *   a['benchmarks']=a['benchmarks']*1000; b['benchmarks']=b['benchmarks']*1000
 *   report.get_difference_report(a,b,True)
 * -> p 0.0 for both (asymptotic, underflows), optimal repetitions, and the
 * geomean changes 999.0000000000691 and -0.9990000000000001.
 */
static void test_compare_test5(void **state)
{
	char *ta = repeated("{\"name\": \"BM_ManyRepetitions\", \"iterations\": 1000, \"real_time\": 1, "
			    "\"cpu_time\": 1000, \"time_unit\": \"s\"}",
			    1000);
	char *tb = repeated("{\"name\": \"BM_ManyRepetitions\", \"iterations\": 1000, \"real_time\": 1000, "
			    "\"cpu_time\": 1, \"time_unit\": \"s\"}",
			    1000);
	struct bl_gbench_file a, b;
	struct bl_error err = {{0}};
	assert_int_equal(bl_gbench_parse("run0", ta, strlen(ta), &a, &err), 0);
	assert_int_equal(bl_gbench_parse("run1", tb, strlen(tb), &b, &err), 0);
	struct bl_gbench_row *r;
	size_t n;
	assert_int_equal(bl_gbench_compare(&a, &b, &r, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(r[0].name, "BM_ManyRepetitions");
	assert_int_equal(r[0].n_m, 1000);
	assert_true(r[0].has_utest && !r[0].utest_unreliable);
	assert_int_equal(r[0].n_old, 1000);
	assert_true(r[0].time_p == 0.0 && r[0].cpu_p == 0.0);
	check_m(&r[0], 999, (struct want_m){1, 1000, 1000, 1, 999.0, -0.999});
	near(r[1].m[0].time_change, 999.0000000000691);
	near(r[1].m[0].cpu_change, -0.9990000000000001);
	bl_gbench_rows_free(r, n);
	bl_gbench_file_free(&a);
	bl_gbench_file_free(&b);
	free(ta);
	free(tb);
}

/*
 * What google/benchmark writes with --benchmark_repetitions=3: repetitions
 * then the _mean/_median/_stddev/_cv aggregates, with family and instance
 * indices. Written shuffled here; loading puts it in compare.py's order.
 */
static const char *const reps_old =
    "{\"context\": {\"json_schema_version\": 1}, \"benchmarks\": ["
    "{\"name\": \"BM_A_mean\", \"family_index\": 0, \"per_family_instance_index\": 0, \"run_name\": \"BM_A\","
    " \"run_type\": \"aggregate\", \"repetitions\": 3, \"threads\": 1, \"aggregate_name\": \"mean\","
    " \"aggregate_unit\": \"time\", \"iterations\": 3, \"real_time\": 12.0, \"cpu_time\": 120.0,"
    " \"time_unit\": \"us\"},"
    "{\"name\": \"BM_A\", \"family_index\": 0, \"per_family_instance_index\": 0, \"run_name\": \"BM_A\","
    " \"run_type\": \"iteration\", \"repetitions\": 3, \"repetition_index\": 2, \"threads\": 1,"
    " \"iterations\": 5000, \"real_time\": 12.5, \"cpu_time\": 125.0, \"time_unit\": \"us\"},"
    "{\"name\": \"BM_B/8\", \"family_index\": 1, \"per_family_instance_index\": 0, \"run_name\": \"BM_B/8\","
    " \"run_type\": \"iteration\", \"repetitions\": 3, \"repetition_index\": 0, \"threads\": 1,"
    " \"iterations\": 100, \"real_time\": 3.0, \"cpu_time\": 3.0, \"time_unit\": \"ms\"},"
    "{\"name\": \"BM_A\", \"family_index\": 0, \"per_family_instance_index\": 0, \"run_name\": \"BM_A\","
    " \"run_type\": \"iteration\", \"repetitions\": 3, \"repetition_index\": 0, \"threads\": 1,"
    " \"iterations\": 5000, \"real_time\": 12.0, \"cpu_time\": 120.0, \"time_unit\": \"us\"},"
    "{\"name\": \"BM_A_cv\", \"family_index\": 0, \"per_family_instance_index\": 0, \"run_name\": \"BM_A\","
    " \"run_type\": \"aggregate\", \"repetitions\": 3, \"threads\": 1, \"aggregate_name\": \"cv\","
    " \"aggregate_unit\": \"percentage\", \"iterations\": 3, \"real_time\": 0.0417, \"cpu_time\": 0.0417,"
    " \"time_unit\": \"us\"},"
    "{\"name\": \"BM_A\", \"family_index\": 0, \"per_family_instance_index\": 0, \"run_name\": \"BM_A\","
    " \"run_type\": \"iteration\", \"repetitions\": 3, \"repetition_index\": 1, \"threads\": 1,"
    " \"iterations\": 5000, \"real_time\": 11.5, \"cpu_time\": 115.0, \"time_unit\": \"us\","
    " \"error_occurred\": false}"
    "]}";

static const char *const reps_new =
    "{\"benchmarks\": ["
    "{\"name\": \"BM_A\", \"family_index\": 0, \"per_family_instance_index\": 0, \"run_name\": \"BM_A\","
    " \"run_type\": \"iteration\", \"repetition_index\": 0, \"iterations\": 5000, \"real_time\": 10.0,"
    " \"cpu_time\": 101.0, \"time_unit\": \"us\"},"
    "{\"name\": \"BM_A\", \"family_index\": 0, \"per_family_instance_index\": 0, \"run_name\": \"BM_A\","
    " \"run_type\": \"iteration\", \"repetition_index\": 1, \"iterations\": 5000, \"real_time\": 10.5,"
    " \"cpu_time\": 104.0, \"time_unit\": \"us\"},"
    "{\"name\": \"BM_A\", \"family_index\": 0, \"per_family_instance_index\": 0, \"run_name\": \"BM_A\","
    " \"run_type\": \"iteration\", \"repetition_index\": 2, \"iterations\": 5000, \"real_time\": 9.5,"
    " \"cpu_time\": 96.0, \"time_unit\": \"us\"},"
    "{\"name\": \"BM_A_mean\", \"family_index\": 0, \"per_family_instance_index\": 0, \"run_name\": \"BM_A\","
    " \"run_type\": \"aggregate\", \"aggregate_name\": \"mean\", \"iterations\": 3, \"real_time\": 10.0,"
    " \"cpu_time\": 100.33, \"time_unit\": \"us\"},"
    "{\"name\": \"BM_B/8\", \"family_index\": 1, \"per_family_instance_index\": 0, \"run_name\": \"BM_B/8\","
    " \"run_type\": \"iteration\", \"repetition_index\": 0, \"iterations\": 100, \"real_time\": 3.3,"
    " \"cpu_time\": 3.3, \"time_unit\": \"ms\", \"error_occurred\": true, \"error_message\": \"boom\"}"
    "]}";

static void test_repetitions(void **state)
{
	struct bl_gbench_file a, b;
	struct bl_error err = {{0}};
	assert_int_equal(bl_gbench_parse("old.json", reps_old, strlen(reps_old), &a, &err), 0);
	assert_int_equal(bl_gbench_parse("new.json", reps_new, strlen(reps_new), &b, &err), 0);
	/* repetitions by index, then BM_A's aggregates, then family 1 */
	static const char *order[] = {"BM_A", "BM_A", "BM_A", "BM_A_mean", "BM_A_cv", "BM_B/8"};
	assert_int_equal(a.n_entries, 6);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(a.entries[i].name, order[i]);
	assert_true(a.entries[0].real_time == 12.0 && a.entries[1].real_time == 11.5 && a.entries[2].real_time == 12.5);
	assert_int_equal(a.entries[2].repetition_index, 2);
	assert_int_equal(a.entries[3].repetition_index, -1);
	assert_true(b.entries[4].error_occurred);
	assert_false(a.entries[2].error_occurred);

	struct bl_gbench_row *r;
	size_t n;
	assert_int_equal(bl_gbench_compare(&a, &b, &r, &n, &err), 0);
	/* BM_A_cv has no counterpart; aggregates are rows of their own */
	assert_int_equal(n, 4);
	assert_string_equal(r[0].name, "BM_A");
	assert_int_equal(r[0].run_type, BL_GBENCH_RUN_ITERATION);
	assert_int_equal(r[0].n_m, 3);
	assert_true(r[0].has_utest && r[0].utest_unreliable);
	/* mw([12.0,11.5,12.5],[10.0,10.5,9.5]).pvalue, and for cpu
	 * mw([120.0,115.0,125.0],[101.0,104.0,96.0]).pvalue: both 0.1 (exact) */
	near(r[0].time_p, 0.1);
	near(r[0].cpu_p, 0.1);
	check_m(&r[0], 1, (struct want_m){11.5, 10.5, 115.0, 104.0, -1.0 / 11.5, -11.0 / 115.0});
	assert_string_equal(r[1].name, "BM_A_mean");
	assert_int_equal(r[1].run_type, BL_GBENCH_RUN_AGGREGATE);
	assert_string_equal(r[1].aggregate_name, "mean");
	assert_false(r[1].has_utest);
	check_m(&r[1], 0, (struct want_m){12.0, 10.0, 120.0, 100.33, -1.0 / 6, (100.33 - 120.0) / 120.0});
	assert_string_equal(r[2].name, "BM_B/8");
	assert_string_equal(r[2].time_unit, "ms");
	assert_true(r[3].is_geomean);
	bl_gbench_rows_free(r, n);
	bl_gbench_file_free(&a);
	bl_gbench_file_free(&b);
}

static void test_change(void **state)
{
	assert_true(bl_gbench_change(0, 0) == 0);
	assert_true(bl_gbench_change(0, 5) == 2); /* (5 - 0) / 2.5 */
	assert_true(bl_gbench_change(-10, -5) == 0.5);
	assert_true(bl_gbench_change(4, 3) == -0.25);
}

/* ---- errors ---- */

/* Loads text from a scratch file and expects failure with each of `needles`
 * in the message. */
static void expect_load_error(const char *text, const char *needle1, const char *needle2)
{
	char *path = bl_xasprintf("%s/bad.json", scratch);
	struct bl_error err = {{0}};
	assert_int_equal(bl_write_file_atomic(path, text, strlen(text), &err), 0);
	struct bl_gbench_file f;
	assert_int_equal(bl_gbench_load(path, &f, &err), -1);
	assert_int_equal(f.n_entries, 0);
	assert_null(f.entries);
	if (!strstr(err.msg, path))
		fail_msg("\"%s\" does not name the file", err.msg);
	if (!strstr(err.msg, needle1) || (needle2 && !strstr(err.msg, needle2)))
		fail_msg("\"%s\" does not say \"%s\"%s%s", err.msg, needle1, needle2 ? " and " : "",
			 needle2 ? needle2 : "");
	bl_gbench_file_free(&f);
	free(path);
}

static void test_errors(void **state)
{
	/* line 3, column 18: the second comma */
	expect_load_error("{\n  \"benchmarks\": [\n    {\"name\": \"x\",, \"real_time\": 1}\n  ]\n}\n",
			  ":3:18:", "invalid JSON");
	/* console output instead of JSON: jansson points at the end of "Run" */
	expect_load_error("Run on (8 X 3000 MHz CPU s)\nBM_x 10 ns 10 ns 1000\n", ":1:3:", "invalid JSON");
	expect_load_error("", "invalid JSON", NULL);
	expect_load_error("{\"context\": {}}", "no \"benchmarks\" array", NULL);
	expect_load_error("{\"benchmarks\": {}}", "no \"benchmarks\" array", NULL);
	expect_load_error("[1, 2]", "no \"benchmarks\" array", NULL);
	expect_load_error(
	    "{\"benchmarks\": [{\"name\": \"a\", \"real_time\": 1, \"cpu_time\": 1, \"time_unit\": \"ns\"},"
	    " {\"name\": \"BM_x\", \"cpu_time\": 1, \"time_unit\": \"ns\"}]}",
	    "benchmarks[1] (\"BM_x\")", "no \"real_time\" number");
	expect_load_error("{\"benchmarks\": [{\"name\": \"BM_x\", \"real_time\": \"fast\", \"cpu_time\": 1,"
			  " \"time_unit\": \"ns\"}]}",
			  "no \"real_time\" number", NULL);
	expect_load_error("{\"benchmarks\": [{\"name\": \"BM_x\", \"real_time\": 1, \"time_unit\": \"ns\"}]}",
			  "no \"cpu_time\" number", NULL);
	expect_load_error("{\"benchmarks\": [{\"name\": \"BM_x\", \"real_time\": 1, \"cpu_time\": 1}]}",
			  "no \"time_unit\" string", NULL);
	expect_load_error("{\"benchmarks\": [{\"name\": \"BM_x\", \"real_time\": 1, \"cpu_time\": 1,"
			  " \"time_unit\": \"min\"}]}",
			  "unknown time_unit \"min\"", NULL);
	expect_load_error("{\"benchmarks\": [{\"real_time\": 1}]}", "benchmarks[0] has no \"name\"", NULL);
	expect_load_error("{\"benchmarks\": [3]}", "benchmarks[0] is not an object", NULL);
	expect_load_error("{\"context\": {\"json_schema_version\": 2}, \"benchmarks\": []}", "json_schema_version",
			  NULL);

	char *missing = bl_xasprintf("%s/nope.json", scratch);
	struct bl_gbench_file f;
	struct bl_error err = {{0}};
	assert_int_equal(bl_gbench_load(missing, &f, &err), -1);
	assert_non_null(strstr(err.msg, missing));
	assert_non_null(strstr(err.msg, "No such file"));
	free(missing);
}

/* Empty files compare to nothing, not to an error. */
static void test_empty(void **state)
{
	static const char *text = "{\"benchmarks\": []}";
	struct bl_gbench_file a;
	struct bl_error err = {{0}};
	assert_int_equal(bl_gbench_parse("e.json", text, strlen(text), &a, &err), 0);
	struct bl_gbench_row *r;
	size_t n = 99;
	assert_int_equal(bl_gbench_compare(&a, &a, &r, &n, &err), 0);
	assert_int_equal(n, 0);
	bl_gbench_rows_free(r, n);
	bl_gbench_file_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_compare_test1), cmocka_unit_test(test_load_test1),
	    cmocka_unit_test(test_compare_test3), cmocka_unit_test(test_compare_test5),
	    cmocka_unit_test(test_repetitions),	  cmocka_unit_test(test_change),
	    cmocka_unit_test(test_errors),	  cmocka_unit_test(test_empty),
	};
	return cmocka_run_group_tests(tests, setup_scratch, teardown_scratch);
}
