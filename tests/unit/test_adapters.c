/* test_adapters.c - every harness format: real output of the real tool
 * (tests/data/adapters/, made by regen.sh there) or, where Debian packages
 * no tool, a sample written from the format's documentation; then malformed
 * input of each format, whose error must name the file and the position. */
#include "benchline/adapter.h"
#include "benchline/common.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char *data_path(const char *name)
{
	const char *slash = strrchr(__FILE__, '/');
	int dir = slash ? (int)(slash - __FILE__) : 1;
	return bl_xasprintf("%.*s/../data/adapters/%s", dir, slash ? __FILE__ : ".", name);
}

static void parse_data(const char *format, const char *name, const struct bl_adapter_opts *o,
		       struct bl_metric_list *out)
{
	const struct bl_adapter *a = bl_adapter_find(format);
	struct bl_error err = {{0}};
	char *path = data_path(name);
	assert_non_null(a);
	if (bl_adapter_parse_file(a, path, o, out, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		fail();
	}
	free(path);
}

/* Parses text that must fail; returns the message (static). */
static const char *parse_bad(const char *format, const char *path, const char *text, const struct bl_adapter_opts *o)
{
	static struct bl_error err;
	struct bl_metric_list out = {0};
	memset(&err, 0, sizeof(err));
	assert_int_equal(bl_adapter_find(format)->parse(path, text, strlen(text), o, &out, &err), -1);
	bl_metric_list_release(&out);
	assert_true(err.msg[0] != '\0');
	return err.msg;
}

static size_t count(const struct bl_metric_list *l, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++)
		n += !strcmp(l->items[i].name, name);
	return n;
}

/* The k-th value of name (it must exist). */
static const struct bl_metric *nth(const struct bl_metric_list *l, const char *name, size_t k)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i].name, name) && k-- == 0)
			return &l->items[i];
	fprintf(stderr, "no metric '%s'\n", name);
	fail();
	return NULL;
}

static void assert_unit(const struct bl_metric *m, const char *unit, enum bl_better better)
{
	if (unit)
		assert_string_equal(m->unit, unit);
	else
		assert_null(m->unit);
	assert_int_equal(m->better, better);
}

static void assert_close_at(double a, double b, int line)
{
	if (!(fabs(a - b) <= 1e-9 * fabs(b) + 1e-300)) {
		fprintf(stderr, "line %d: %.17g != %.17g\n", line, a, b);
		fail();
	}
}
#define assert_close(a, b) assert_close_at((a), (double)(b), __LINE__)

static void test_table(void **state)
{
	assert_string_equal(
	    bl_adapter_names(),
	    "gbench, hyperfine, pytest-benchmark, criterion, gotest, llama-bench, optimum-benchmark, regex");
	assert_null(bl_adapter_find("protocol"));
	assert_null(bl_adapter_find("GBENCH"));
	for (const struct bl_adapter *const *a = bl_adapter_all(); *a; a++)
		assert_ptr_equal(bl_adapter_find((*a)->name), *a);
}

static void test_units(void **state)
{
	double v = 1500;
	assert_string_equal(bl_unit_normalise("ms", &v), "s");
	assert_close(v, 1.5);
	v = 2;
	assert_string_equal(bl_unit_normalise("MiB", &v), "B");
	assert_close(v, 2097152);
	v = 3;
	assert_string_equal(bl_unit_normalise("MB", &v), "B");
	assert_close(v, 3e6);
	v = 1;
	assert_string_equal(bl_unit_normalise("kWh", &v), "J");
	assert_close(v, 3.6e6);
	v = 7.2e6;
	assert_string_equal(bl_unit_normalise("tokens/kWh", &v), "tokens/J");
	assert_close(v, 2);
	v = 5;
	assert_string_equal(bl_unit_normalise("widgets", &v), "widgets");
	assert_close(v, 5);
	assert_null(bl_unit_normalise("", &v));
	assert_null(bl_unit_normalise(NULL, &v));
}

/* Real output of a Google Benchmark 1.7.1 binary (src/bm_sum.cc), 3 repetitions. */
static void test_gbench(void **state)
{
	struct bl_metric_list l = {0};
	parse_data("gbench", "gbench.json", NULL, &l);
	assert_int_equal(count(&l, "BM_sum/64:real_time"), 3);
	assert_int_equal(count(&l, "BM_sum/64:cpu_time"), 3);
	assert_int_equal(count(&l, "BM_sum/4096:bytes_per_second"), 3);
	assert_int_equal(count(&l, "BM_sum/64:elements"), 3);
	/* The aggregates are there too, each once, in seconds like the repetitions. */
	assert_int_equal(count(&l, "BM_sum/64_mean:real_time"), 1);
	assert_int_equal(count(&l, "BM_sum/64_median:real_time"), 1);
	assert_int_equal(count(&l, "BM_sum/64_stddev:real_time"), 1);
	double sum = 0;
	for (size_t k = 0; k < 3; k++) {
		const struct bl_metric *m = nth(&l, "BM_sum/64:real_time", k);
		assert_unit(m, "s", BL_BETTER_LOWER);
		assert_true(m->value > 1e-9 && m->value < 1e-5); /* tens of ns, in seconds */
		sum += m->value;
	}
	assert_true(fabs(nth(&l, "BM_sum/64_mean:real_time", 0)->value - sum / 3) < 1e-12);
	assert_unit(nth(&l, "BM_sum/64_cv:real_time", 0), "ratio", BL_BETTER_LOWER);
	assert_true(nth(&l, "BM_sum/64_cv:real_time", 0)->value < 5);
	assert_unit(nth(&l, "BM_sum/4096:bytes_per_second", 0), "B/s", BL_BETTER_HIGHER);
	assert_unit(nth(&l, "BM_sum/64:elements", 0), NULL, BL_BETTER_UNKNOWN);
	assert_close(nth(&l, "BM_sum/64:elements", 0)->value, 64);
	/* BM_fails reported an error: nothing of it. */
	for (size_t i = 0; i < l.n; i++)
		assert_null(strstr(l.items[i].name, "BM_fails"));
	bl_metric_list_release(&l);
}

static void test_gbench_malformed(void **state)
{
	const char *msg = parse_bad("gbench", "out.json", "{\"benchmarks\": [\n  {\"name\": \"x\",, }]}", NULL);
	assert_non_null(strstr(msg, "'out.json':2:16: invalid JSON"));
	msg = parse_bad("gbench", "out.json",
			"{\"benchmarks\": [{\"name\": \"BM_x\", \"run_type\": \"iteration\", \"cpu_time\": 1, "
			"\"time_unit\": \"ns\"}]}",
			NULL);
	assert_non_null(strstr(msg, "'out.json': benchmarks[0] (\"BM_x\") has no \"real_time\" number"));
	msg = parse_bad("gbench", "out.json", "{\"context\": {}}", NULL);
	assert_non_null(strstr(msg, "has no \"benchmarks\" array"));
}

/* Real hyperfine 1.15 export: two commands, five runs each. */
static void test_hyperfine(void **state)
{
	struct bl_metric_list l = {0};
	parse_data("hyperfine", "hyperfine.json", NULL, &l);
	assert_int_equal(count(&l, "sleep 0.01:time"), 5);
	assert_int_equal(count(&l, "true:time"), 5);
	assert_int_equal(count(&l, "sleep 0.01:user_time"), 1);
	assert_int_equal(count(&l, "sleep 0.01:system_time"), 1);
	for (size_t k = 0; k < 5; k++) {
		const struct bl_metric *m = nth(&l, "sleep 0.01:time", k);
		assert_unit(m, "s", BL_BETTER_LOWER);
		assert_true(m->value >= 0.01 && m->value < 5); /* it slept 10 ms each time */
	}
	bl_metric_list_release(&l);
}

static void test_hyperfine_malformed(void **state)
{
	const char *msg =
	    parse_bad("hyperfine", "h.json", "{\"results\": [\n{\"command\": \"a\" \"times\": []}]}", NULL);
	assert_non_null(strstr(msg, "h.json:2:23: invalid JSON"));
	msg = parse_bad("hyperfine", "h.json", "{\"results\": [{\"command\": \"a\", \"times\": [0.1, \"x\"]}]}", NULL);
	assert_string_equal(msg, "h.json: results[0].times[1] must be a number, got a string");
	msg = parse_bad("hyperfine", "h.json", "{\"results\": [{\"command\": \"a\"}]}", NULL);
	assert_string_equal(msg, "h.json: results[0].times must be an array, got nothing");
	msg = parse_bad("hyperfine", "h.json", "[1]", NULL);
	assert_non_null(strstr(msg, "h.json: expected hyperfine's JSON export"));
}

/* Real pytest-benchmark 3.2.2 output: test_sum[10] and test_sum[1000] with every round. */
static void test_pytest(void **state)
{
	struct bl_metric_list l = {0};
	parse_data("pytest-benchmark", "pytest-benchmark.json", NULL, &l);
	const char *n = "test_sum.py::test_sum[1000]";
	char name[128];
	snprintf(name, sizeof(name), "%s:mean", n);
	assert_int_equal(count(&l, name), 1);
	double mean = nth(&l, name, 0)->value;
	assert_unit(nth(&l, name, 0), "s", BL_BETTER_LOWER);
	snprintf(name, sizeof(name), "%s:ops", n);
	assert_unit(nth(&l, name, 0), "1/s", BL_BETTER_HIGHER);
	assert_true(fabs(nth(&l, name, 0)->value * mean - 1) < 1e-9); /* ops is 1 / mean */
	snprintf(name, sizeof(name), "%s:time", n);
	size_t rounds = count(&l, name);
	assert_true(rounds >= 5);
	double sum = 0;
	for (size_t k = 0; k < rounds; k++)
		sum += nth(&l, name, k)->value;
	assert_true(fabs(sum / (double)rounds - mean) < 1e-9 * mean + 1e-15);
	assert_int_equal(count(&l, "test_sum.py::test_sum[10]:median"), 1);
	bl_metric_list_release(&l);
}

static void test_pytest_malformed(void **state)
{
	const char *msg = parse_bad("pytest-benchmark", "p.json", "{\"benchmarks\": [}", NULL);
	assert_non_null(strstr(msg, "p.json:1:17: invalid JSON"));
	msg = parse_bad("pytest-benchmark", "p.json",
			"{\"benchmarks\": [{\"fullname\": \"t::a\", \"stats\": {\"mean\": \"fast\"}}]}", NULL);
	assert_string_equal(msg, "p.json: benchmarks[0].stats.mean must be a number, got a string");
	msg = parse_bad("pytest-benchmark", "p.json", "{\"benchmarks\": [{\"name\": \"a\", \"stats\": {}}]}", NULL);
	assert_string_equal(msg, "p.json: benchmarks[0].fullname must be a string, got nothing");
}

static void test_criterion(void **state)
{
	struct bl_metric_list l = {0};
	parse_data("criterion", "criterion/fib_20/new/estimates.json", NULL, &l);
	assert_close(nth(&l, "fib_20:mean", 0)->value, 26030.2e-9);
	assert_unit(nth(&l, "fib_20:mean", 0), "s", BL_BETTER_LOWER);
	assert_close(nth(&l, "fib_20:mean_lower", 0)->value, 25894.0e-9);
	assert_close(nth(&l, "fib_20:mean_upper", 0)->value, 26181.5e-9);
	assert_close(nth(&l, "fib_20:median", 0)->value, 25940.7e-9);
	assert_close(nth(&l, "fib_20:slope", 0)->value, 26011.9e-9);
	assert_close(nth(&l, "fib_20:std_dev", 0)->value, 735.9e-9);
	assert_close(nth(&l, "fib_20:median_abs_dev", 0)->value, 201.5e-9);
	assert_int_equal(l.n, 7);
	bl_metric_list_release(&l);
	/* Outside target/criterion/ there is no id: bare names. */
	struct bl_error err = {{0}};
	const char *text = "{\"mean\": {\"point_estimate\": 5.0}, \"slope\": null}";
	assert_int_equal(bl_adapter_find("criterion")->parse("estimates.json", text, strlen(text), NULL, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.items[0].name, "mean");
	assert_close(l.items[0].value, 5e-9);
	bl_metric_list_release(&l);
}

static void test_criterion_malformed(void **state)
{
	const char *msg = parse_bad("criterion", "e.json", "{\"mean\": {\"point_estimate\": }", NULL);
	assert_non_null(strstr(msg, "e.json:1:29: invalid JSON"));
	msg = parse_bad("criterion", "e.json", "{\"mean\": {\"point_estimate\": \"1\"}}", NULL);
	assert_string_equal(msg, "e.json: mean.point_estimate must be a number, got a string");
	msg = parse_bad("criterion", "e.json", "{\"id\": 1}", NULL);
	assert_non_null(strstr(msg, "no estimate found"));
}

/* Real `go test -bench . -benchmem -count 2` of go 1.19 (src/gomod). */
static void test_gotest(void **state)
{
	struct bl_metric_list l = {0};
	parse_data("gotest", "gotest.txt", NULL, &l);
	assert_int_equal(count(&l, "BenchmarkSum-2:time_per_op"), 2);
	assert_int_equal(count(&l, "BenchmarkSum-2:throughput"), 2);
	assert_int_equal(count(&l, "BenchmarkAlloc-2:bytes_per_op"), 2);
	assert_int_equal(count(&l, "BenchmarkAlloc-2:allocs_per_op"), 2);
	assert_int_equal(count(&l, "BenchmarkAlloc-2:widgets/op"), 2);
	/* The first line's figures, as go printed them. */
	struct bl_buf text;
	struct bl_error err = {{0}};
	char *path = data_path("gotest.txt");
	double ns, mbs;
	bl_buf_init(&text);
	assert_int_equal(bl_read_file(path, &text, &err), 0);
	assert_int_equal(sscanf(strstr(text.data, "BenchmarkSum-2"), "%*s %*d %lf ns/op %lf MB/s", &ns, &mbs), 2);
	bl_buf_release(&text);
	free(path);
	assert_close(nth(&l, "BenchmarkSum-2:time_per_op", 0)->value, ns * 1e-9);
	assert_close(nth(&l, "BenchmarkSum-2:throughput", 0)->value, mbs * 1e6);
	assert_unit(nth(&l, "BenchmarkSum-2:time_per_op", 0), "s", BL_BETTER_LOWER);
	assert_unit(nth(&l, "BenchmarkSum-2:throughput", 1), "B/s", BL_BETTER_HIGHER);
	assert_close(nth(&l, "BenchmarkAlloc-2:bytes_per_op", 0)->value, 72);
	assert_unit(nth(&l, "BenchmarkAlloc-2:bytes_per_op", 0), "B", BL_BETTER_LOWER);
	assert_unit(nth(&l, "BenchmarkAlloc-2:allocs_per_op", 0), NULL, BL_BETTER_LOWER);
	assert_unit(nth(&l, "BenchmarkAlloc-2:widgets/op", 0), NULL, BL_BETTER_UNKNOWN);
	bl_metric_list_release(&l);
}

static void test_gotest_malformed(void **state)
{
	const char *msg = parse_bad("gotest", "bench.txt", "goos: linux\nBenchmarkX-8   100   12x ns/op\n", NULL);
	assert_string_equal(msg,
			    "bench.txt:2:22: expected a number after the iteration count of 'BenchmarkX-8', got '12x'");
	msg = parse_bad("gotest", "bench.txt", "BenchmarkX-8 100 12 ns/op 5\n", NULL);
	assert_string_equal(msg, "bench.txt:1:28: value 5 of 'BenchmarkX-8' has no unit");
	msg = parse_bad("gotest", "bench.txt", "BenchmarkX\n--- FAIL: BenchmarkX\nFAIL\n", NULL);
	assert_string_equal(msg, "bench.txt:2:1: a benchmark failed: --- FAIL: BenchmarkX");
	msg = parse_bad("gotest", "bench.txt", "PASS\nok  x 0.1s\n", NULL);
	assert_non_null(strstr(msg, "bench.txt: no benchmark result line"));
}

static void test_llama(void **state)
{
	struct bl_metric_list l = {0};
	parse_data("llama-bench", "llama-bench.json", NULL, &l);
	assert_int_equal(count(&l, "pp512:time"), 3);
	assert_int_equal(count(&l, "pp512:tokens_per_second"), 3);
	assert_int_equal(count(&l, "tg128:time"), 3);
	assert_close(nth(&l, "pp512:time", 1)->value, 1.262);
	assert_unit(nth(&l, "pp512:time", 1), "s", BL_BETTER_LOWER);
	assert_close(nth(&l, "tg128:tokens_per_second", 2)->value, 60.69);
	assert_unit(nth(&l, "tg128:tokens_per_second", 2), "tokens/s", BL_BETTER_HIGHER);
	/* The second tg128 (16 threads) has no samples: its averages, once. */
	assert_int_equal(count(&l, "tg128#2:time"), 1);
	assert_close(nth(&l, "tg128#2:time", 0)->value, 1.83);
	assert_close(nth(&l, "tg128#2:tokens_per_second", 0)->value, 69.94);
	bl_metric_list_release(&l);
}

static void test_llama_malformed(void **state)
{
	const char *msg = parse_bad("llama-bench", "l.json", "[\n {\"n_prompt\": 512,\n \"n_gen\" 0}]", NULL);
	assert_non_null(strstr(msg, "l.json:3:10: invalid JSON"));
	msg =
	    parse_bad("llama-bench", "l.json", "[{\"n_prompt\": 512, \"n_gen\": 0, \"samples_ns\": [1, null]}]", NULL);
	assert_string_equal(msg, "l.json: [0].samples_ns[1] must be a number, got null");
	msg = parse_bad("llama-bench", "l.json", "[{\"n_gen\": 0}]", NULL);
	assert_string_equal(msg, "l.json: [0].n_prompt must be a number, got nothing");
	msg = parse_bad("llama-bench", "l.json", "{\"tests\": []}", NULL);
	assert_non_null(strstr(msg, "expected llama-bench -o json output"));
}

static void test_optimum(void **state)
{
	struct bl_metric_list l = {0};
	parse_data("optimum-benchmark", "optimum-benchmark.json", NULL, &l);
	assert_int_equal(count(&l, "load:latency"), 1);
	assert_int_equal(count(&l, "decode:latency"), 3);
	assert_close(nth(&l, "decode:latency", 1)->value, 0.508);
	assert_unit(nth(&l, "decode:latency", 1), "s", BL_BETTER_LOWER);
	assert_close(nth(&l, "prefill:throughput", 0)->value, 12132.7);
	assert_unit(nth(&l, "prefill:throughput", 0), "tokens/s", BL_BETTER_HIGHER);
	assert_close(nth(&l, "prefill:max_ram", 0)->value, 2210.5e6);
	assert_unit(nth(&l, "prefill:max_ram", 0), "B", BL_BETTER_LOWER);
	assert_close(nth(&l, "prefill:energy_total", 0)->value, 1.06e-6 * 3.6e6);
	assert_unit(nth(&l, "prefill:energy_total", 0), "J", BL_BETTER_LOWER);
	assert_close(nth(&l, "prefill:efficiency", 0)->value, 241509433.9 / 3.6e6);
	assert_unit(nth(&l, "prefill:efficiency", 0), "tokens/J", BL_BETTER_HIGHER);
	assert_int_equal(count(&l, "decode:energy_total"), 0);
	bl_metric_list_release(&l);
	/* benchmark.json: the same report under "report". */
	const char *text =
	    "{\"config\": {}, \"report\": {\"forward\": {\"latency\": {\"unit\": \"ms\", \"values\": [2]}}}}";
	struct bl_error err = {{0}};
	assert_int_equal(
	    bl_adapter_find("optimum-benchmark")->parse("benchmark.json", text, strlen(text), NULL, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.items[0].name, "forward:latency");
	assert_close(l.items[0].value, 0.002);
	bl_metric_list_release(&l);
}

static void test_optimum_malformed(void **state)
{
	const char *msg = parse_bad("optimum-benchmark", "r.json",
				    "{\"forward\": {\"latency\": {\"unit\": \"s\", \"values\": [0.1,]}}}", NULL);
	assert_non_null(strstr(msg, "r.json:1:54: invalid JSON"));
	msg = parse_bad("optimum-benchmark", "r.json", "{\"forward\": {\"latency\": {\"values\": [0.1]}}}", NULL);
	assert_string_equal(msg, "r.json: forward.latency.unit must be a string, got nothing");
	msg = parse_bad("optimum-benchmark", "r.json",
			"{\"forward\": {\"memory\": {\"unit\": \"MB\", \"max_ram\": \"big\"}}}", NULL);
	assert_string_equal(msg, "r.json: forward.memory.max_ram must be a number, got a string");
	msg = parse_bad("optimum-benchmark", "r.json", "{\"forward\": {}}", NULL);
	assert_non_null(strstr(msg, "r.json: no measurement found"));
}

static void test_regex(void **state)
{
	struct bl_metric_list l = {0};
	const struct bl_adapter_unit units[] = {{"seconds", "s"}, {"heap", "MiB"}};
	struct bl_adapter_opts o = {
	    .pattern = "level [0-9]+: (?<seconds>[0-9.]+) s, ratio (?P<ratio>[0-9.]+)|peak heap (?<heap>[0-9.]+)",
	    .units = units,
	    .n_units = 2,
	};
	parse_data("regex", "regex.txt", &o, &l);
	assert_int_equal(count(&l, "seconds"), 2);
	assert_int_equal(count(&l, "ratio"), 2);
	assert_int_equal(count(&l, "heap"), 1);
	assert_close(nth(&l, "seconds", 1)->value, 0.0871);
	assert_unit(nth(&l, "seconds", 1), "s", BL_BETTER_UNKNOWN);
	assert_close(nth(&l, "ratio", 0)->value, 2.91);
	assert_null(nth(&l, "ratio", 0)->unit);
	assert_close(nth(&l, "heap", 0)->value, 12.5 * 1048576);
	assert_unit(nth(&l, "heap", 0), "B", BL_BETTER_UNKNOWN);
	bl_metric_list_release(&l);
	/* name/value/unit groups: the metric's name and unit come from the output. */
	struct bl_adapter_opts nv = {.pattern = "^(?<name>[a-z_]+) = (?<value>[-0-9.e]+) ?(?<unit>[a-zA-Z/]*)$"};
	const char *text = "decode = 12 ms\nnoise\nrss = 3 MiB\ncount = 7\n";
	struct bl_error err = {{0}};
	assert_int_equal(bl_adapter_find("regex")->parse("stdout", text, strlen(text), &nv, &l, &err), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.items[0].name, "decode");
	assert_close(l.items[0].value, 0.012);
	assert_string_equal(l.items[0].unit, "s");
	assert_string_equal(l.items[1].name, "rss");
	assert_close(l.items[1].value, 3 * 1048576.0);
	assert_string_equal(l.items[2].name, "count");
	assert_null(l.items[2].unit);
	bl_metric_list_release(&l);
}

static void test_regex_malformed(void **state)
{
	struct bl_adapter_opts o = {.pattern = "time: (?<t>[^ ]+)"};
	const char *msg = parse_bad("regex", "run0.out", "start\nok\ntime: 1.5x s\n", &o);
	assert_string_equal(msg, "run0.out:3:7: metric 't': matched '1.5x', which is not a number");
	msg = parse_bad("regex", "run0.out", "nothing here\n", &o);
	assert_string_equal(msg, "run0.out: the pattern matched no number in 13 bytes of output");
	struct bl_error err = {{0}};
	assert_int_equal(bl_adapter_regex_check("t=([0-9]+)", &err), -1);
	assert_non_null(strstr(err.msg, "no named group"));
	assert_int_equal(bl_adapter_regex_check("(?:x)(?<a>[0-9]+)", &err), -1);
	assert_string_equal(err.msg, "pattern column 1: '(?' must start a named group (?<name>...); POSIX extended "
				     "expressions have no other (?...) groups");
	assert_int_equal(bl_adapter_regex_check("(?<a>[0-9]+) (?<a>[0-9]+)", &err), -1);
	assert_non_null(strstr(err.msg, "group name 'a' is used twice"));
	assert_int_equal(bl_adapter_regex_check("(?<a>[0-9]+", &err), -1);
	assert_non_null(strstr(err.msg, "not a valid POSIX extended regular expression"));
	assert_int_equal(bl_adapter_regex_check("(?<1a>x)", &err), -1);
	assert_non_null(strstr(err.msg, "pattern column 4: a group name"));
	assert_int_equal(bl_adapter_regex_check("(?<name>x)", &err), -1);
	assert_non_null(strstr(err.msg, "none named 'value'"));
	/* '^' is the start of a line, also after an earlier match on the same line. */
	struct bl_metric_list bol = {0};
	struct bl_adapter_opts anchored = {.pattern = "^x=(?<x>[0-9])"};
	const char *lines = "x=1 x=2\nx=3";
	assert_int_equal(bl_adapter_find("regex")->parse("out", lines, strlen(lines), &anchored, &bol, &err), 0);
	assert_int_equal(bol.n, 2);
	assert_close(bol.items[0].value, 1);
	assert_close(bol.items[1].value, 3);
	bl_metric_list_release(&bol);
	/* Brackets and escapes do not open groups: group 1 is still 'n'. */
	assert_int_equal(bl_adapter_regex_check("[(]\\((?<n>[0-9]+)[[:space:]]", &err), 0);
	struct bl_metric_list l = {0};
	struct bl_adapter_opts b = {.pattern = "[(]\\((?<n>[0-9]+)\\)"};
	const char *text = "((42)";
	assert_int_equal(bl_adapter_find("regex")->parse("out", text, strlen(text), &b, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_close(l.items[0].value, 42);
	bl_metric_list_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),     cmocka_unit_test(test_units),
	    cmocka_unit_test(test_gbench),    cmocka_unit_test(test_gbench_malformed),
	    cmocka_unit_test(test_hyperfine), cmocka_unit_test(test_hyperfine_malformed),
	    cmocka_unit_test(test_pytest),    cmocka_unit_test(test_pytest_malformed),
	    cmocka_unit_test(test_criterion), cmocka_unit_test(test_criterion_malformed),
	    cmocka_unit_test(test_gotest),    cmocka_unit_test(test_gotest_malformed),
	    cmocka_unit_test(test_llama),     cmocka_unit_test(test_llama_malformed),
	    cmocka_unit_test(test_optimum),   cmocka_unit_test(test_optimum_malformed),
	    cmocka_unit_test(test_regex),     cmocka_unit_test(test_regex_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
