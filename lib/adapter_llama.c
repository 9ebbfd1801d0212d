/* adapter_llama.c - llama.cpp's `llama-bench -o json`: an array of tests.
 *
 * A test is named by what it runs, as llama-bench's own table does: ppN for
 * n_prompt N tokens, tgN for n_gen N, ppN+tgM for both. When the file holds
 * several tests with the same name (other models, thread counts, batch
 * sizes), the second is NAME#2, the third NAME#3, in file order. Each test
 * gives NAME:time per repetition (samples_ns, in seconds) and
 * NAME:tokens_per_second per repetition (samples_ts, better higher); files
 * without the samples arrays give avg_ns and avg_ts once. */
#include "adapter_internal.h"

#include <stdio.h>
#include <string.h>

static int add_samples(const char *path, const char *where, json_t *t, const char *key, const char *avg_key,
		       const char *name, const char *field, const char *unit, enum bl_better better,
		       struct bl_metric_list *out, struct bl_error *err)
{
	json_t *arr = json_object_get(t, key);
	if (arr && !json_is_null(arr)) {
		if (!json_is_array(arr))
			return bl_fail(err, "%s: %s.%s must be an array, got %s", path, where, key,
				       bl_json_type_name(arr));
		size_t i;
		json_t *v;
		json_array_foreach(arr, i, v)
		{
			char at[96];
			snprintf(at, sizeof(at), "%s.%s[%zu]", where, key, i);
			if (!json_is_number(v))
				return bl_fail(err, "%s: %s must be a number, got %s", path, at, bl_json_type_name(v));
			if (bl_adp_add(out, path, at, name, field, json_number_value(v), unit, better, err))
				return -1;
		}
		return 0;
	}
	double avg;
	if (bl_adp_number(path, where, t, avg_key, &avg, NULL, err))
		return -1;
	return bl_adp_add(out, path, where, name, field, avg, unit, better, err);
}

static int parse(const char *path, const char *data, size_t len, const struct bl_adapter_opts *o,
		 struct bl_metric_list *out, struct bl_error *err)
{
	json_t *root;
	if (bl_adp_json_load(path, data, len, &root, err))
		return -1;
	int rc = -1;
	struct bl_strvec names;
	bl_strvec_init(&names);
	if (!json_is_array(root)) {
		bl_fail(err, "%s: expected llama-bench -o json output (an array of tests), got %s", path,
			bl_json_type_name(root));
		goto out;
	}
	if (json_array_size(root) == 0) {
		bl_fail(err, "%s: the array of tests is empty", path);
		goto out;
	}
	size_t i;
	json_t *t;
	json_array_foreach(root, i, t)
	{
		char where[32], name[64];
		double np = 0, ng = 0;
		snprintf(where, sizeof(where), "[%zu]", i);
		if (!json_is_object(t)) {
			bl_fail(err, "%s: %s must be an object, got %s", path, where, bl_json_type_name(t));
			goto out;
		}
		if (bl_adp_number(path, where, t, "n_prompt", &np, NULL, err) ||
		    bl_adp_number(path, where, t, "n_gen", &ng, NULL, err))
			goto out;
		if (np > 0 && ng > 0)
			snprintf(name, sizeof(name), "pp%.0f+tg%.0f", np, ng);
		else if (ng > 0)
			snprintf(name, sizeof(name), "tg%.0f", ng);
		else
			snprintf(name, sizeof(name), "pp%.0f", np);
		size_t seen = 1;
		for (size_t k = 0; k < names.n; k++)
			seen += !strcmp(names.v[k], name);
		bl_strvec_push(&names, name);
		if (seen > 1)
			snprintf(name + strlen(name), sizeof(name) - strlen(name), "#%zu", seen);
		if (add_samples(path, where, t, "samples_ns", "avg_ns", name, "time", "ns", BL_BETTER_LOWER, out,
				err) ||
		    add_samples(path, where, t, "samples_ts", "avg_ts", name, "tokens_per_second", "tokens/s",
				BL_BETTER_HIGHER, out, err))
			goto out;
	}
	rc = 0;
out:
	bl_strvec_release(&names);
	json_decref(root);
	return rc;
}

const struct bl_adapter bl_adapter_llama_bench = {
    .name = "llama-bench",
    .summary = "llama.cpp llama-bench -o json",
    .parse = parse,
};
