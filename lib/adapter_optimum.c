/* adapter_optimum.c - optimum-benchmark's benchmark_report.json (or
 * benchmark.json, whose "report" member is the same object).
 *
 * The report has one member per target ("load", "forward", "prefill",
 * "decode", "per_token", "call", ...), each with optional "latency",
 * "throughput", "memory", "energy" and "efficiency" objects that carry their
 * "unit". They give TARGET:latency, one value per measured call ("values", in
 * seconds), TARGET:throughput (its unit, e.g. tokens/s; better higher),
 * TARGET:max_ram, :max_global_vram, :max_process_vram, :max_reserved and
 * :max_allocated (MB, in bytes), TARGET:energy_cpu, :energy_ram, :energy_gpu
 * and :energy_total (kWh, in joules) and TARGET:efficiency (per kWh, stored
 * per joule; better higher). */
#include "adapter_internal.h"

#include <stdio.h>
#include <string.h>

static int unit_of(const char *path, const char *where, json_t *obj, const char **unit, struct bl_error *err)
{
	return bl_adp_string(path, where, obj, "unit", true, unit, err);
}

static int add_latency(const char *path, const char *where, const char *target, json_t *lat, struct bl_metric_list *out,
		       struct bl_error *err)
{
	const char *unit;
	json_t *values;
	if (unit_of(path, where, lat, &unit, err) || bl_adp_array(path, where, lat, "values", &values, err))
		return -1;
	size_t i;
	json_t *v;
	json_array_foreach(values, i, v)
	{
		char at[192];
		snprintf(at, sizeof(at), "%s.values[%zu]", where, i);
		if (!json_is_number(v))
			return bl_fail(err, "%s: %s must be a number, got %s", path, at, bl_json_type_name(v));
		if (bl_adp_add(out, path, at, target, "latency", json_number_value(v), unit, BL_BETTER_LOWER, err))
			return -1;
	}
	return 0;
}

/* Metric TARGET:PREFIXKEY for each key of obj present; prefix "=NAME" names
 * the one key NAME instead. */
static int add_fields(const char *path, const char *where, const char *target, json_t *obj, const char *const *keys,
		      const char *prefix, enum bl_better better, struct bl_metric_list *out, struct bl_error *err)
{
	const char *unit;
	if (unit_of(path, where, obj, &unit, err))
		return -1;
	for (size_t k = 0; keys[k]; k++) {
		double v;
		bool has;
		char field[64];
		if (*prefix == '=')
			snprintf(field, sizeof(field), "%s", prefix + 1);
		else
			snprintf(field, sizeof(field), "%s%s", prefix, keys[k]);
		if (bl_adp_number(path, where, obj, keys[k], &v, &has, err) ||
		    (has && bl_adp_add(out, path, where, target, field, v, unit, better, err)))
			return -1;
	}
	return 0;
}

static const char *const memory_keys[] = {"max_ram",	  "max_global_vram", "max_process_vram",
					  "max_reserved", "max_allocated",   NULL};
static const char *const energy_keys[] = {"cpu", "ram", "gpu", "total", NULL};
static const char *const value_key[] = {"value", NULL};

static int add_target(const char *path, const char *target, json_t *t, struct bl_metric_list *out, struct bl_error *err)
{
	static const char *const parts[] = {"latency", "throughput", "memory", "energy", "efficiency", NULL};
	for (size_t k = 0; parts[k]; k++) {
		json_t *obj = json_object_get(t, parts[k]);
		char where[160];
		snprintf(where, sizeof(where), "%.100s.%s", target, parts[k]);
		if (!obj || json_is_null(obj))
			continue;
		if (!json_is_object(obj))
			return bl_fail(err, "%s: %s must be an object, got %s", path, where, bl_json_type_name(obj));
		int rc = 0;
		switch (k) {
		case 0:
			rc = add_latency(path, where, target, obj, out, err);
			break;
		case 1:
			rc = add_fields(path, where, target, obj, value_key, "=throughput", BL_BETTER_HIGHER, out, err);
			break;
		case 2:
			rc = add_fields(path, where, target, obj, memory_keys, "", BL_BETTER_LOWER, out, err);
			break;
		case 3:
			rc = add_fields(path, where, target, obj, energy_keys, "energy_", BL_BETTER_LOWER, out, err);
			break;
		default:
			rc = add_fields(path, where, target, obj, value_key, "=efficiency", BL_BETTER_HIGHER, out, err);
		}
		if (rc)
			return -1;
	}
	return 0;
}

static int parse(const char *path, const char *data, size_t len, const struct bl_adapter_opts *o,
		 struct bl_metric_list *out, struct bl_error *err)
{
	json_t *root;
	if (bl_adp_json_load(path, data, len, &root, err))
		return -1;
	int rc = -1;
	json_t *report = json_is_object(root) && json_is_object(json_object_get(root, "report"))
			     ? json_object_get(root, "report")
			     : root;
	size_t before = out->n;
	if (!json_is_object(report)) {
		bl_fail(err, "%s: expected optimum-benchmark's benchmark_report.json (an object of targets), got %s",
			path, bl_json_type_name(report));
		goto out;
	}
	const char *target;
	json_t *t;
	json_object_foreach(report, target, t)
	{
		if (json_is_null(t))
			continue;
		if (!json_is_object(t)) {
			bl_fail(err, "%s: %s must be an object (a target with latency, memory, ...), got %s", path,
				target, bl_json_type_name(t));
			goto out;
		}
		if (add_target(path, target, t, out, err))
			goto out;
	}
	if (out->n == before) {
		bl_fail(err, "%s: no measurement found (expected targets such as \"forward\" with \"latency\")", path);
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

const struct bl_adapter bl_adapter_optimum_benchmark = {
    .name = "optimum-benchmark",
    .summary = "optimum-benchmark benchmark_report.json",
    .parse = parse,
};
