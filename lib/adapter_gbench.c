/* adapter_gbench.c - Google Benchmark JSON (--benchmark_format=json or
 * --benchmark_out=FILE): every repetition and every aggregate, read by the
 * same loader `compare --gbench` uses (gbench.c).
 *
 * Entry NAME (aggregates are NAME_mean, NAME_median, NAME_stddev, NAME_cv)
 * gives NAME:real_time and NAME:cpu_time in seconds, and NAME:COUNTER for each
 * counter (bytes_per_second in B/s and items_per_second in 1/s, better
 * higher; user counters without unit). Repetitions of one name are several
 * values of the same metric. A cv aggregate is a ratio (aggregate_unit
 * "percentage": 0.01 is 1%). Entries that report an error or were skipped,
 * and BigO/RMS aggregates (coefficients, not times) give nothing. */
#include "adapter_internal.h"
#include "benchline/gbench.h"

#include <string.h>

static int add_entry(const char *path, const struct bl_gbench_entry *e, struct bl_metric_list *out,
		     struct bl_error *err)
{
	char where[64];
	snprintf(where, sizeof(where), "benchmarks[%zu]", e->index);
	bool ratio = !strcmp(e->aggregate_unit, "percentage");
	if (e->has_times) {
		const char *unit = ratio ? "ratio" : e->time_unit;
		if (bl_adp_add(out, path, where, e->name, "real_time", e->real_time, unit, BL_BETTER_LOWER, err) ||
		    bl_adp_add(out, path, where, e->name, "cpu_time", e->cpu_time, unit, BL_BETTER_LOWER, err))
			return -1;
	}
	if (!e->has_times && e->run_type == BL_GBENCH_RUN_AGGREGATE)
		return 0; /* BigO, RMS */
	for (size_t i = 0; i < e->n_counters; i++) {
		const char *c = e->counters[i].name, *unit = NULL;
		enum bl_better better = BL_BETTER_UNKNOWN;
		if (!strcmp(c, "bytes_per_second"))
			unit = "B/s", better = BL_BETTER_HIGHER;
		else if (!strcmp(c, "items_per_second"))
			unit = "1/s", better = BL_BETTER_HIGHER;
		if (ratio)
			unit = "ratio", better = BL_BETTER_LOWER;
		if (bl_adp_add(out, path, where, e->name, c, e->counters[i].value, unit, better, err))
			return -1;
	}
	return 0;
}

static int parse(const char *path, const char *data, size_t len, const struct bl_adapter_opts *o,
		 struct bl_metric_list *out, struct bl_error *err)
{
	struct bl_gbench_file f;
	if (bl_gbench_parse(path, data, len, &f, err))
		return -1;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < f.n_entries; i++)
		if (!f.entries[i].error_occurred)
			rc = add_entry(path, &f.entries[i], out, err);
	bl_gbench_file_free(&f);
	return rc;
}

const struct bl_adapter bl_adapter_gbench = {
    .name = "gbench",
    .summary = "Google Benchmark JSON (--benchmark_out=FILE or --benchmark_format=json)",
    .parse = parse,
};
