/*
 * bench_adapters.c - how fast the harness-format parsers read large outputs.
 *
 * Generates, in memory, a Google Benchmark JSON of 10,000 entries (each with
 * two counters), a hyperfine export of one command with 200,000 timed runs, a
 * `go test -bench` text of 50,000 result lines and a 50,000-line stdout for
 * the regex adapter, then times each adapter's parse against a named baseline
 * run on the same bytes in the same process, interleaved: for the JSON formats
 * jansson's json_loadb alone (what any JSON reader must at least do), for
 * the text formats one strtod per number after a memchr line split.
 *
 * Usage: bench_adapters [ROUNDS]   (default 15; the median round is printed)
 */
#include "benchline/adapter.h"
#include "benchline/common.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double now_s(void)
{
	return (double)bl_now_mono_ns() / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void make_gbench(struct bl_buf *b)
{
	bl_buf_puts(b, "{\"context\": {\"json_schema_version\": 1}, \"benchmarks\": [\n");
	for (int i = 0; i < 10000; i++)
		bl_buf_printf(b,
			      "%s{\"name\": \"BM_case/%d\", \"family_index\": %d, \"per_family_instance_index\": 0, "
			      "\"run_name\": \"BM_case/%d\", \"run_type\": \"iteration\", \"repetitions\": 1, "
			      "\"repetition_index\": 0, \"threads\": 1, \"iterations\": 1000, \"real_time\": %d.5e+01, "
			      "\"cpu_time\": %d.25e+01, \"time_unit\": \"ns\", \"bytes_per_second\": 1.5e+09, "
			      "\"items\": %d}\n",
			      i ? "," : "", i, i, i, i % 97 + 1, i % 89 + 1, i);
	bl_buf_puts(b, "]}\n");
}

static void make_hyperfine(struct bl_buf *b)
{
	bl_buf_puts(b, "{\"results\": [{\"command\": \"tool\", \"mean\": 0.01, \"user\": 0.001, \"system\": 0.002, "
		       "\"times\": [");
	for (int i = 0; i < 200000; i++)
		bl_buf_printf(b, "%s0.0%05d", i ? ", " : "", i % 99991 + 1);
	bl_buf_puts(b, "]}]}\n");
}

static void make_gotest(struct bl_buf *b)
{
	bl_buf_puts(b, "goos: linux\ngoarch: amd64\npkg: example.com/x\n");
	for (int i = 0; i < 50000; i++)
		bl_buf_printf(b, "BenchmarkCase%d-8   \t 100000\t      %d.5 ns/op\t  %d B/op\t       2 allocs/op\n",
			      i % 100, i % 997 + 10, i % 64);
	bl_buf_puts(b, "PASS\nok  \texample.com/x\t12.345s\n");
}

static void make_stdout(struct bl_buf *b)
{
	for (int i = 0; i < 50000; i++)
		bl_buf_printf(b, "iteration %d: decode %d.%03d ms, encode %d.%03d ms\n", i, i % 50, i % 1000, i % 30,
			      i % 997);
}

/* The text baseline: split lines with memchr and read each number with strtod. */
static size_t baseline_text(const char *data, size_t len)
{
	size_t numbers = 0;
	for (const char *p = data, *end = data + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		for (const char *q = p; q < eol; q++)
			if (*q >= '0' && *q <= '9' && (q == p || q[-1] == ' ' || q[-1] == '\t')) {
				char *e;
				(void)strtod(q, &e);
				numbers++;
				q = e;
			}
		p = eol + 1;
	}
	return numbers;
}

struct fmt {
	const char *name, *baseline;
	void (*make)(struct bl_buf *);
	bool json;
	struct bl_adapter_opts opts;
};

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 15;
	struct fmt fmts[] = {
	    {"gbench", "json_loadb", make_gbench, true, {0}},
	    {"hyperfine", "json_loadb", make_hyperfine, true, {0}},
	    {"gotest", "memchr+strtod", make_gotest, false, {0}},
	    {"regex",
	     "memchr+strtod",
	     make_stdout,
	     false,
	     {.pattern = "decode (?<decode>[0-9.]+) ms, encode (?<encode>[0-9.]+) ms"}},
	};
	printf("%-10s %9s %9s %10s %12s %10s %6s\n", "format", "MB", "values", "adapter", "baseline", "", "ratio");
	for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
		struct bl_buf in;
		bl_buf_init(&in);
		fmts[f].make(&in);
		const struct bl_adapter *a = bl_adapter_find(fmts[f].name);
		double *ta = bl_xcalloc((size_t)rounds, sizeof(double)),
		       *tb = bl_xcalloc((size_t)rounds, sizeof(double));
		size_t values = 0;
		for (int r = 0; r < rounds; r++) {
			struct bl_metric_list l = {0};
			struct bl_error err = {{0}};
			double t0 = now_s();
			if (a->parse("bench", in.data, in.len, &fmts[f].opts, &l, &err)) {
				fprintf(stderr, "bench_adapters: %s: %s\n", fmts[f].name, err.msg);
				return 1;
			}
			ta[r] = now_s() - t0;
			values = l.n;
			bl_metric_list_release(&l);
			t0 = now_s();
			if (fmts[f].json) {
				json_t *j = json_loadb(in.data, in.len, 0, NULL);
				json_decref(j);
			} else {
				volatile size_t n = baseline_text(in.data, in.len);
				(void)n;
			}
			tb[r] = now_s() - t0;
		}
		qsort(ta, (size_t)rounds, sizeof(double), cmp_double);
		qsort(tb, (size_t)rounds, sizeof(double), cmp_double);
		double ma = ta[rounds / 2], mb = tb[rounds / 2];
		printf("%-10s %9.2f %9zu %8.1f ms %9.1f ms %-13s %5.2fx\n", fmts[f].name, (double)in.len / 1e6, values,
		       ma * 1e3, mb * 1e3, fmts[f].baseline, ma / mb);
		free(ta);
		free(tb);
		bl_buf_release(&in);
	}
	return 0;
}
