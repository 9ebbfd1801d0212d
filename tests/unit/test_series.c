/* test_series.c - CSV series for `detect --input`, and metric classification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "benchline/series.h"

static void parse_ok(const char *text, struct bl_obs_series **s, size_t *n)
{
	struct bl_error err = {{0}};
	if (bl_series_csv_parse("in.csv", text, strlen(text), s, n, &err))
		fail_msg("unexpected error: %s", err.msg);
}

static void expect_error(const char *text, const char *want)
{
	struct bl_error err = {{0}};
	struct bl_obs_series *s = (void *)1;
	size_t n = 7;
	assert_int_equal(bl_series_csv_parse("in.csv", text, strlen(text), &s, &n, &err), -1);
	assert_null(s);
	assert_int_equal(n, 0);
	if (strncmp(err.msg, want, strlen(want)))
		fail_msg("expected '%s...', got '%s'", want, err.msg);
}

static void test_csv_groups_series_in_first_seen_order(void **state)
{
	(void)state;
	struct bl_obs_series *s;
	size_t n;
	parse_ok("series,commit,repetition,value\r\n"
		 "b,0,0,1.5\r\n"
		 "a,3,0,2\r\n"
		 "\r\n"
		 "b,1,1,-2.5e-3\n"
		 "\"a,\"\"x\"\"\",2,0,4\n",
		 &s, &n);
	assert_int_equal(n, 3);
	assert_string_equal(s[0].name, "b");
	assert_int_equal(s[0].n_obs, 2);
	assert_int_equal(s[0].obs[1].pos, 1);
	assert_true(s[0].obs[1].value == -2.5e-3);
	assert_string_equal(s[1].name, "a");
	assert_int_equal(s[1].obs[0].pos, 3);
	assert_string_equal(s[2].name, "a,\"x\"");
	bl_obs_series_free(s, n);
	/* a byte-order mark and a header alone */
	parse_ok("\xef\xbb\xbfseries,commit,repetition,value\n", &s, &n);
	assert_int_equal(n, 0);
	bl_obs_series_free(s, n);
}

static void test_csv_errors_name_the_line(void **state)
{
	(void)state;
	expect_error("", "in.csv: empty file");
	expect_error("series,commit,value\n", "in.csv:1: expected the header");
	expect_error("series,commit,repetition,value,extra\n", "in.csv:1: expected the header");
	expect_error("series,commit,repetition,value\na,0,0,1\na,x,0,1\n", "in.csv:3: commit must be a position");
	expect_error("series,commit,repetition,value\na,0,0,inf\n", "in.csv:2: value must be a finite number");
	expect_error("series,commit,repetition,value\na,0,0,0x10\n", "in.csv:2: value must be a finite number");
	expect_error("series,commit,repetition,value\na,0,-1,1\n", "in.csv:2: repetition must be");
	expect_error("series,commit,repetition,value\n,0,0,1\n", "in.csv:2: empty series name");
	expect_error("series,commit,repetition,value\na,0,0\n", "in.csv:2: expected 4 fields");
	expect_error("series,commit,repetition,value\na,0,0,1,2\n", "in.csv:2: more than 4 fields");
	expect_error("series,commit,repetition,value\n\"a,0,0,1\n", "in.csv:2: a quoted field spans lines");
	expect_error("series,commit,repetition,value\n\"a\"b,0,0,1\n", "in.csv:2: text after a closing quote");
	expect_error("series,commit,repetition,value\na\"b,0,0,1\n", "in.csv:2: a quote inside an unquoted field");
	expect_error("series,commit,repetition,value\na,0,0,1\rb\n", "in.csv:2: a stray carriage return");
	expect_error("series,commit,repetition,value\na,999999999999,0,1\n", "in.csv:2: commit must be a position");
	/* a NUL byte is not a silent end of the file */
	struct bl_error err = {{0}};
	struct bl_obs_series *s;
	size_t n;
	static const char nul[] = "series,commit,repetition,value\na,0,0,1\0junk\n";
	assert_int_equal(bl_series_csv_parse("in.csv", nul, sizeof(nul) - 1, &s, &n, &err), -1);
}

static void test_auxiliary_metrics(void **state)
{
	(void)state;
	assert_true(bl_metric_is_auxiliary("user_time"));
	assert_true(bl_metric_is_auxiliary("peak_memory"));
	assert_true(bl_metric_is_auxiliary("gpu0_util_mean"));
	assert_true(bl_metric_is_auxiliary("gpu12_energy_j"));
	assert_false(bl_metric_is_auxiliary("wall_time"));
	assert_false(bl_metric_is_auxiliary("gpu_tokens"));
	assert_false(bl_metric_is_auxiliary("gpux_util"));
	assert_false(bl_metric_is_auxiliary("throughput"));
}

static void test_case_label(void **state)
{
	(void)state;
	char *l = bl_case_label("zip", "{\"level\":\"9\",\"mode\":\"fast\"}");
	assert_string_equal(l, "zip[level=9,mode=fast]");
	free(l);
	l = bl_case_label("zip", "{}");
	assert_string_equal(l, "zip");
	free(l);
	l = bl_case_label("zip", "not json");
	assert_string_equal(l, "zip");
	free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_csv_groups_series_in_first_seen_order),
	    cmocka_unit_test(test_csv_errors_name_the_line),
	    cmocka_unit_test(test_auxiliary_metrics),
	    cmocka_unit_test(test_case_label),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
