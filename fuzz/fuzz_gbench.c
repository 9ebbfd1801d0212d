/*
 * fuzz_gbench.c - libFuzzer target: a Google Benchmark --benchmark_format=json
 * file as `benchline compare --gbench` reads it. A file that parses is also
 * compared with itself, which walks every benchmark and aggregate it holds.
 */
#include "fuzz.h"

#include "benchline/gbench.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bl_gbench_file f;
	struct bl_error err = {{0}};
	memset(&f, 0, sizeof f);
	if (bl_gbench_parse("fuzz.json", (const char *)data, size, &f, &err) != 0) {
		bl_fuzz_check_message(err.msg);
		return 0;
	}
	struct bl_gbench_row *rows = NULL;
	size_t n = 0;
	if (bl_gbench_compare(&f, &f, &rows, &n, &err) == 0)
		bl_gbench_rows_free(rows, n);
	bl_gbench_file_free(&f);
	return 0;
}
