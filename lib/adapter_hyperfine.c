/* adapter_hyperfine.c - hyperfine's --export-json: every timed run.
 *
 * Each element of "results" is one command, named by "command" (the name
 * given with --command-name when there was one). It gives COMMAND:time, one
 * value per run (the "times" array, seconds), COMMAND:user_time and
 * COMMAND:system_time (hyperfine keeps only their means), and, from hyperfine
 * versions that record it, COMMAND:peak_memory per run (bytes). */
#include "adapter_internal.h"

#include <stdio.h>

static int add_array(const char *path, const char *where, json_t *r, const char *key, const char *name,
		     const char *field, const char *unit, struct bl_metric_list *out, struct bl_error *err)
{
	json_t *arr = json_object_get(r, key);
	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return bl_fail(err, "%s: %s.%s must be an array, got %s", path, where, key, bl_json_type_name(arr));
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		char at[96];
		snprintf(at, sizeof(at), "%s.%s[%zu]", where, key, i);
		if (!json_is_number(v))
			return bl_fail(err, "%s: %s must be a number, got %s", path, at, bl_json_type_name(v));
		if (bl_adp_add(out, path, at, name, field, json_number_value(v), unit, BL_BETTER_LOWER, err))
			return -1;
	}
	return 0;
}

static int parse(const char *path, const char *data, size_t len, const struct bl_adapter_opts *o,
		 struct bl_metric_list *out, struct bl_error *err)
{
	json_t *root, *results;
	if (bl_adp_json_load(path, data, len, &root, err))
		return -1;
	int rc = -1;
	if (!json_is_object(root) || bl_adp_array(path, "", root, "results", &results, err)) {
		if (!json_is_object(root))
			bl_fail(err, "%s: expected hyperfine's JSON export (an object with \"results\"), got %s", path,
				bl_json_type_name(root));
		goto out;
	}
	size_t i;
	json_t *r;
	json_array_foreach(results, i, r)
	{
		char where[48];
		const char *cmd;
		double user = 0, sys = 0;
		bool has_user, has_sys;
		snprintf(where, sizeof(where), "results[%zu]", i);
		if (!json_is_object(r)) {
			bl_fail(err, "%s: %s must be an object, got %s", path, where, bl_json_type_name(r));
			goto out;
		}
		json_t *times;
		if (bl_adp_string(path, where, r, "command", true, &cmd, err) ||
		    bl_adp_array(path, where, r, "times", &times, err) ||
		    add_array(path, where, r, "times", cmd, "time", "s", out, err) ||
		    bl_adp_number(path, where, r, "user", &user, &has_user, err) ||
		    bl_adp_number(path, where, r, "system", &sys, &has_sys, err) ||
		    (has_user && bl_adp_add(out, path, where, cmd, "user_time", user, "s", BL_BETTER_LOWER, err)) ||
		    (has_sys && bl_adp_add(out, path, where, cmd, "system_time", sys, "s", BL_BETTER_LOWER, err)) ||
		    add_array(path, where, r, "memory_usage_byte", cmd, "peak_memory", "B", out, err))
			goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

const struct bl_adapter bl_adapter_hyperfine = {
    .name = "hyperfine",
    .summary = "hyperfine --export-json FILE",
    .parse = parse,
};
