/*
 * fuzz_series_csv.c - libFuzzer target: the CSV file of `benchline detect
 * --input` ("series,commit,repetition,value" rows).
 */
#include "fuzz.h"

#include "benchline/series.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bl_obs_series *series = NULL;
	size_t n = 0;
	struct bl_error err = {{0}};
	if (bl_series_csv_parse("fuzz.csv", (const char *)data, size, &series, &n, &err) == 0)
		bl_obs_series_free(series, n);
	else
		bl_fuzz_check_message(err.msg);
	return 0;
}
