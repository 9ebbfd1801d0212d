/* adapter_pytest.c - pytest-benchmark's --benchmark-json FILE.
 *
 * Each element of "benchmarks" is one test, named by its "fullname"
 * (tests/test_sort.py::test_sort[100]). Its "stats" give FULLNAME:mean,
 * :median, :min, :max, :stddev and :iqr in seconds (better lower) and :ops
 * in 1/s (better higher); with --benchmark-save-data the file also holds every
 * round's time, recorded as FULLNAME:time, one value per round. */
#include "adapter_internal.h"

#include <stdio.h>

static const char *const time_stats[] = {"mean", "median", "min", "max", "stddev", "iqr", NULL};

static int add_bench(const char *path, json_t *b, size_t i, struct bl_metric_list *out, struct bl_error *err)
{
	char where[48], swhere[64];
	const char *name;
	json_t *stats;
	snprintf(where, sizeof(where), "benchmarks[%zu]", i);
	snprintf(swhere, sizeof(swhere), "%s.stats", where);
	if (!json_is_object(b))
		return bl_fail(err, "%s: %s must be an object, got %s", path, where, bl_json_type_name(b));
	if (bl_adp_string(path, where, b, "fullname", true, &name, err))
		return -1;
	stats = json_object_get(b, "stats");
	if (!json_is_object(stats))
		return bl_fail(err, "%s: %s.stats must be an object, got %s", path, where, bl_json_type_name(stats));
	for (size_t k = 0; time_stats[k]; k++) {
		double v;
		bool has;
		if (bl_adp_number(path, swhere, stats, time_stats[k], &v, &has, err) ||
		    (has && bl_adp_add(out, path, swhere, name, time_stats[k], v, "s", BL_BETTER_LOWER, err)))
			return -1;
	}
	double ops;
	bool has_ops;
	if (bl_adp_number(path, swhere, stats, "ops", &ops, &has_ops, err) ||
	    (has_ops && bl_adp_add(out, path, swhere, name, "ops", ops, "1/s", BL_BETTER_HIGHER, err)))
		return -1;
	json_t *data = json_object_get(stats, "data");
	if (!data)
		return 0;
	if (!json_is_array(data))
		return bl_fail(err, "%s: %s.data must be an array, got %s", path, swhere, bl_json_type_name(data));
	size_t j;
	json_t *v;
	json_array_foreach(data, j, v)
	{
		char at[96];
		snprintf(at, sizeof(at), "%s.data[%zu]", swhere, j);
		if (!json_is_number(v))
			return bl_fail(err, "%s: %s must be a number, got %s", path, at, bl_json_type_name(v));
		if (bl_adp_add(out, path, at, name, "time", json_number_value(v), "s", BL_BETTER_LOWER, err))
			return -1;
	}
	return 0;
}

static int parse(const char *path, const char *data, size_t len, const struct bl_adapter_opts *o,
		 struct bl_metric_list *out, struct bl_error *err)
{
	json_t *root, *benches;
	if (bl_adp_json_load(path, data, len, &root, err))
		return -1;
	int rc = -1;
	if (!json_is_object(root)) {
		bl_fail(err, "%s: expected pytest-benchmark JSON (an object with \"benchmarks\"), got %s", path,
			bl_json_type_name(root));
		goto out;
	}
	if (bl_adp_array(path, "", root, "benchmarks", &benches, err))
		goto out;
	size_t i;
	json_t *b;
	json_array_foreach(benches, i, b) if (add_bench(path, b, i, out, err)) goto out;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

const struct bl_adapter bl_adapter_pytest_benchmark = {
    .name = "pytest-benchmark",
    .summary = "pytest-benchmark --benchmark-json FILE",
    .parse = parse,
};
