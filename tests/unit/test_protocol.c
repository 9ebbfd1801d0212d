/* test_protocol.c - the metrics lines a benchmark writes, good and bad. */
#include "benchline/protocol.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void parse(const char *text, struct bl_protocol_result *r)
{
	bl_protocol_result_init(r);
	bl_protocol_parse(text, strlen(text), r);
}

/* Exactly one diagnostic, on this line, whose reason contains this text. */
static void expect_one_diag(const struct bl_protocol_result *r, size_t line, const char *contains)
{
	if (r->n_diags != 1)
		fail_msg("expected 1 diagnostic, got %zu%s%s", r->n_diags, r->n_diags ? ": " : "",
			 r->n_diags ? r->diags[0].reason : "");
	assert_int_equal(r->diags[0].line, line);
	if (!strstr(r->diags[0].reason, contains))
		fail_msg("diagnostic \"%s\" does not mention \"%s\"", r->diags[0].reason, contains);
}

/* A line that must be rejected on its own, between two good lines. */
static void expect_rejected(const char *bad_line, const char *contains)
{
	struct bl_protocol_result r;
	char *text = bl_xasprintf("{\"name\":\"a\",\"value\":1}\n%s\n{\"name\":\"b\",\"value\":2}\n", bad_line);
	parse(text, &r);
	expect_one_diag(&r, 2, contains);
	assert_int_equal(r.metrics.n, 2);
	assert_string_equal(r.metrics.items[0].name, "a");
	assert_string_equal(r.metrics.items[1].name, "b");
	assert_int_equal(r.measurements.n, 0);
	bl_protocol_result_release(&r);
	free(text);
}

static void test_full_metric(void **state)
{
	struct bl_protocol_result r;
	parse("{\"name\": \"decode_latency\", \"value\": 0.0123, \"unit\": \"s\", \"better\": \"lower\"}\n", &r);
	assert_int_equal(r.n_diags, 0);
	assert_int_equal(r.metrics.n, 1);
	struct bl_metric *m = &r.metrics.items[0];
	assert_string_equal(m->name, "decode_latency");
	assert_true(m->value == 0.0123);
	assert_string_equal(m->unit, "s");
	assert_int_equal(m->better, BL_BETTER_LOWER);
	bl_protocol_result_release(&r);
}

static void test_minimal_metrics(void **state)
{
	struct bl_protocol_result r;
	/* Integer values, no unit, better higher, null unit/better, CRLF, no final newline. */
	parse("{\"name\":\"ops\",\"value\":42,\"better\":\"higher\"}\r\n"
	      "{\"name\":\"x\",\"value\":-1.5e3,\"unit\":null,\"better\":null}",
	      &r);
	assert_int_equal(r.n_diags, 0);
	assert_int_equal(r.metrics.n, 2);
	assert_string_equal(r.metrics.items[0].name, "ops");
	assert_true(r.metrics.items[0].value == 42.0);
	assert_null(r.metrics.items[0].unit);
	assert_int_equal(r.metrics.items[0].better, BL_BETTER_HIGHER);
	assert_true(r.metrics.items[1].value == -1500.0);
	assert_null(r.metrics.items[1].unit);
	assert_int_equal(r.metrics.items[1].better, BL_BETTER_UNKNOWN);
	bl_protocol_result_release(&r);
}

static void test_blank_lines_ignored(void **state)
{
	struct bl_protocol_result r;
	parse("\n   \n\t\r\n{\"name\":\"a\",\"value\":1}\n\n{\"name\":\"b\",\"value\":2}\n\n", &r);
	assert_int_equal(r.n_diags, 0);
	assert_int_equal(r.metrics.n, 2);
	bl_protocol_result_release(&r);

	parse("", &r);
	assert_int_equal(r.n_diags, 0);
	assert_int_equal(r.metrics.n, 0);
	bl_protocol_result_release(&r);
}

static void test_line_numbers(void **state)
{
	struct bl_protocol_result r;
	parse("\n{\"name\":\"a\",\"value\":1}\n\nnot json\n{\"name\":\"b\"}\n", &r);
	assert_int_equal(r.metrics.n, 1);
	assert_int_equal(r.n_diags, 2);
	assert_int_equal(r.diags[0].line, 4);
	assert_non_null(strstr(r.diags[0].reason, "invalid JSON"));
	assert_int_equal(r.diags[1].line, 5);
	assert_non_null(strstr(r.diags[1].reason, "missing \"value\""));
	bl_protocol_result_release(&r);
}

static void test_bad_json(void **state)
{
	expect_rejected("{\"name\":\"x\",\"value\":1", "invalid JSON");
	expect_rejected("{\"name\":\"x\",\"value\":1} trailing", "invalid JSON");
	expect_rejected("{\"name\":\"x\",\"value\":NaN}", "invalid JSON");
	expect_rejected("{\"name\":\"x\",\"value\":1e999}", "invalid JSON");
	expect_rejected("{\"name\":\"x\",\"name\":\"y\",\"value\":1}", "invalid JSON");
	expect_rejected("{\"name\":\"\xff\xfe\",\"value\":1}", "invalid JSON");
}

static void test_not_an_object(void **state)
{
	expect_rejected("[1, 2]", "expected a JSON object, not an array");
	expect_rejected("3.5", "expected a JSON object, not a number");
	expect_rejected("\"name\"", "expected a JSON object, not a string");
	expect_rejected("null", "expected a JSON object, not null");
}

static void test_missing_fields(void **state)
{
	expect_rejected("{\"value\":1}", "missing \"name\"");
	expect_rejected("{\"name\":\"x\"}", "metric \"x\": missing \"value\"");
	expect_rejected("{}", "missing \"name\"");
}

static void test_bad_value(void **state)
{
	expect_rejected("{\"name\":\"x\",\"value\":\"1.5\"}", "\"value\" must be a number, not a string");
	expect_rejected("{\"name\":\"x\",\"value\":true}", "\"value\" must be a number, not a boolean");
	expect_rejected("{\"name\":\"x\",\"value\":null}", "\"value\" must be a number, not null");
	expect_rejected("{\"name\":\"x\",\"value\":[1]}", "\"value\" must be a number, not an array");
}

static void test_bad_better_and_unit(void **state)
{
	expect_rejected("{\"name\":\"x\",\"value\":1,\"better\":\"smaller\"}",
			"\"better\" must be \"lower\" or \"higher\", not \"smaller\"");
	expect_rejected("{\"name\":\"x\",\"value\":1,\"better\":1}",
			"\"better\" must be \"lower\" or \"higher\", not a number");
	expect_rejected("{\"name\":\"x\",\"value\":1,\"unit\":5}", "\"unit\" must be a string, not a number");
	expect_rejected("{\"name\":\"x\",\"value\":1,\"unit\":\"\"}", "\"unit\" must be 1 to 200 printable");
}

static void test_bad_names(void **state)
{
	expect_rejected("{\"name\":\"\",\"value\":1}", "name \"\" is empty");
	expect_rejected("{\"name\":\"a\\tb\",\"value\":1}", "contains a control character");
	expect_rejected("{\"name\":\"a\\u0001\",\"value\":1}", "contains a control character");
	expect_rejected("{\"name\":7,\"value\":1}", "\"name\" must be a string, not a number");

	char long_name[202];
	memset(long_name, 'n', 201);
	long_name[201] = '\0';
	char *line = bl_xasprintf("{\"name\":\"%s\",\"value\":1}", long_name);
	expect_rejected(line, "is longer than 200 characters");
	free(line);

	/* 200 characters is fine, and so are non-ASCII ones: 150 times "\xc2\xb5"
	 * (micro sign) is 300 bytes but 150 characters. */
	struct bl_protocol_result r;
	long_name[200] = '\0';
	struct bl_buf micro;
	bl_buf_init(&micro);
	for (int i = 0; i < 150; i++)
		bl_buf_puts(&micro, "\xc2\xb5");
	line = bl_xasprintf("{\"name\":\"%s\",\"value\":1}\n{\"name\":\"%s\",\"value\":2}", long_name, micro.data);
	parse(line, &r);
	assert_int_equal(r.n_diags, 0);
	assert_int_equal(r.metrics.n, 2);
	assert_int_equal(strlen(r.metrics.items[0].name), 200);
	assert_string_equal(r.metrics.items[1].name, micro.data);
	bl_buf_release(&micro);
	bl_protocol_result_release(&r);
	free(line);
}

static void test_unknown_key(void **state)
{
	expect_rejected("{\"name\":\"x\",\"value\":1,\"units\":\"s\"}", "unknown key \"units\"");
	expect_rejected("{\"measurements\":{\"a\":1},\"name\":\"x\"}", "unknown key \"name\" next to \"measurements\"");
}

static void test_measurements(void **state)
{
	struct bl_protocol_result r;
	parse("{\"measurements\": {\"model_load_time\": 2.5, \"first_token_s\": 0.04, \"tokens\": 128}}\n", &r);
	assert_int_equal(r.n_diags, 0);
	assert_int_equal(r.metrics.n, 3);
	assert_string_equal(r.metrics.items[0].name, "model_load_time");
	assert_true(r.metrics.items[0].value == 2.5);
	assert_null(r.metrics.items[0].unit);
	assert_int_equal(r.metrics.items[0].better, BL_BETTER_UNKNOWN);
	assert_string_equal(r.metrics.items[1].name, "first_token_s");
	assert_string_equal(r.metrics.items[2].name, "tokens");
	assert_true(r.metrics.items[2].value == 128.0);
	assert_int_equal(r.measurements.n, 1);
	assert_string_equal(r.measurements.v[0], "{\"model_load_time\":2.5,\"first_token_s\":0.04,\"tokens\":128}");
	bl_protocol_result_release(&r);

	/* A value that needs all 17 digits keeps them. */
	parse("{\"measurements\": {\"x\": 0.30000000000000004, \"y\": 1e-300}}", &r);
	assert_int_equal(r.n_diags, 0);
	assert_true(r.metrics.items[0].value == 0.1 + 0.2);
	assert_string_equal(r.measurements.v[0], "{\"x\":0.30000000000000004,\"y\":1e-300}");
	bl_protocol_result_release(&r);
}

static void test_measurements_skip_non_numeric(void **state)
{
	struct bl_protocol_result r;
	parse("{\"name\":\"a\",\"value\":1}\n"
	      "{\"measurements\": {\"ok\": 1, \"label\": \"fast\", \"nested\": {\"x\": 1},"
	      " \"flag\": true, \"n\": null, \"also_ok\": 2}}\n",
	      &r);
	assert_int_equal(r.metrics.n, 3);
	assert_string_equal(r.metrics.items[1].name, "ok");
	assert_string_equal(r.metrics.items[2].name, "also_ok");
	assert_int_equal(r.n_diags, 4);
	const char *keys[] = {"\"label\" is a string", "\"nested\" is an object", "\"flag\" is a boolean",
			      "\"n\" is null"};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(r.diags[i].line, 2);
		if (!strstr(r.diags[i].reason, keys[i]))
			fail_msg("diagnostic \"%s\" does not mention %s", r.diags[i].reason, keys[i]);
		assert_non_null(strstr(r.diags[i].reason, "skipped"));
	}
	/* The object is kept whole, as the benchmark wrote it. */
	assert_int_equal(r.measurements.n, 1);
	assert_string_equal(r.measurements.v[0],
			    "{\"ok\":1,\"label\":\"fast\",\"nested\":{\"x\":1},"
			    "\"flag\":true,\"n\":null,\"also_ok\":2}");
	bl_protocol_result_release(&r);
}

static void test_measurements_bad_names(void **state)
{
	struct bl_protocol_result r;
	parse("{\"measurements\": {\"\": 1, \"a\\nb\": 2, \"good\": 3}}", &r);
	assert_int_equal(r.metrics.n, 1);
	assert_string_equal(r.metrics.items[0].name, "good");
	assert_int_equal(r.n_diags, 2);
	assert_non_null(strstr(r.diags[0].reason, "is empty"));
	assert_non_null(strstr(r.diags[1].reason, "control character"));
	bl_protocol_result_release(&r);
}

static void test_measurements_not_object(void **state)
{
	expect_rejected("{\"measurements\": [1, 2]}", "\"measurements\" must be an object, not an array");
	expect_rejected("{\"measurements\": 5}", "\"measurements\" must be an object, not a number");
	expect_rejected("{\"measurements\": null}", "\"measurements\" must be an object, not null");
}

static void test_long_line(void **state)
{
	struct bl_buf b;
	bl_buf_init(&b);
	bl_buf_puts(&b, "{\"name\":\"a\",\"value\":1}\n");
	size_t line2 = b.len;
	bl_buf_puts(&b, "{\"name\":\"");
	while (b.len - line2 < ((size_t)1 << 20) + 1)
		bl_buf_putc(&b, 'x');
	bl_buf_puts(&b, "\",\"value\":1}\n{\"name\":\"b\",\"value\":2}\n");
	struct bl_protocol_result r;
	bl_protocol_result_init(&r);
	bl_protocol_parse(b.data, b.len, &r);
	expect_one_diag(&r, 2, "longer than 1 MiB");
	assert_int_equal(r.metrics.n, 2);
	bl_protocol_result_release(&r);

	/* Just under the limit is parsed (and then fails on the name length). */
	bl_buf_reset(&b);
	bl_buf_puts(&b, "{\"name\":\"");
	while (b.len < ((size_t)1 << 20) - 20)
		bl_buf_putc(&b, 'y');
	bl_buf_puts(&b, "\",\"value\":1}");
	assert_true(b.len <= (size_t)1 << 20);
	bl_protocol_result_init(&r);
	bl_protocol_parse(b.data, b.len, &r);
	expect_one_diag(&r, 1, "longer than 200 characters");
	bl_protocol_result_release(&r);
	bl_buf_release(&b);
}

static void test_nul_byte_in_line(void **state)
{
	static const char text[] = "{\"name\":\"a\",\"value\":1}\n{\"name\":\"b\0\",\"value\":1}\n";
	struct bl_protocol_result r;
	bl_protocol_result_init(&r);
	bl_protocol_parse(text, sizeof(text) - 1, &r);
	expect_one_diag(&r, 2, "invalid JSON");
	assert_int_equal(r.metrics.n, 1);
	bl_protocol_result_release(&r);
}

static void test_metric_list(void **state)
{
	struct bl_metric_list l = {0};
	for (int i = 0; i < 100; i++)
		bl_metric_list_add(&l, "m", i, i % 2 ? "ms" : NULL, BL_BETTER_HIGHER);
	assert_int_equal(l.n, 100);
	assert_true(l.items[99].value == 99.0);
	assert_string_equal(l.items[99].unit, "ms");
	assert_null(l.items[98].unit);
	bl_metric_list_release(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.items);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_metric),
		cmocka_unit_test(test_minimal_metrics),
		cmocka_unit_test(test_blank_lines_ignored),
		cmocka_unit_test(test_line_numbers),
		cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_not_an_object),
		cmocka_unit_test(test_missing_fields),
		cmocka_unit_test(test_bad_value),
		cmocka_unit_test(test_bad_better_and_unit),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_measurements),
		cmocka_unit_test(test_measurements_skip_non_numeric),
		cmocka_unit_test(test_measurements_bad_names),
		cmocka_unit_test(test_measurements_not_object),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_nul_byte_in_line),
		cmocka_unit_test(test_metric_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
