/* import.c - storing a harness's output made elsewhere (see import.h). */
#include "benchline/import.h"
#include "benchline/sha256.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void import_suite_hash(const struct bl_import_spec *spec, const char *name, char out[65])
{
	struct bl_sha256 h;
	const char *pattern = spec->adapter_opts && spec->adapter_opts->pattern ? spec->adapter_opts->pattern : "";
	bl_sha256_init(&h);
	const char *parts[] = {"benchline import", spec->adapter->name, name, pattern};
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		bl_sha256_update(&h, parts[i], strlen(parts[i]) + 1); /* with the NUL: no ambiguity */
	bl_sha256_hex(&h, out);
}

static char *import_metadata(const struct bl_import_spec *spec)
{
	json_t *o = json_object();
	/* One file: its name; several: the list. */
	if (spec->n_paths == 1) {
		json_object_set_new(o, "imported_from", json_string(spec->paths[0]));
	} else {
		json_t *a = json_array();
		for (size_t i = 0; i < spec->n_paths; i++)
			json_array_append_new(a, json_string(spec->paths[i]));
		json_object_set_new(o, "imported_from", a);
	}
	json_object_set_new(o, "format", json_string(spec->adapter->name));
	char *s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	char *copy = bl_xstrdup(s ? s : "{}");
	free(s);
	return copy;
}

/* The rule of benchline.yaml's benchmark names (docs/CONFIG.md), so an
 * imported case can be named on the command line like any other. */
static bool valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 128 || s[0] == '.' || s[0] == '-')
		return false;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      strchr("_.:-", *c)))
			return false;
	return true;
}

int bl_import_read(const struct bl_import_spec *spec, struct bl_metric_list *metrics, struct bl_error *err)
{
	const char *name = spec->benchmark ? spec->benchmark : spec->adapter->name;
	if (!valid_name(name))
		return bl_fail(
		    err,
		    "benchmark name '%.60s' is not valid (expected 1 to 128 characters from A-Z a-z 0-9 _ . : -, "
		    "not starting with '.' or '-')",
		    name);
	if (spec->n_paths == 0)
		return bl_fail(err, "no file to import");
	for (size_t i = 0; i < spec->n_paths; i++) {
		size_t before = metrics->n;
		if (bl_adapter_parse_file(spec->adapter, spec->paths[i], spec->adapter_opts, metrics, err))
			return -1;
		if (metrics->n == before)
			return bl_fail(err, "'%s' holds no %s result to import", spec->paths[i], spec->adapter->name);
	}
	return 0;
}

int bl_import_store(struct bl_store *s, const struct bl_import_spec *spec, const struct bl_metric_list *metrics,
		    struct bl_import_result *out, struct bl_error *err)
{
	struct bl_case_state st = {0};
	const char *name = spec->benchmark ? spec->benchmark : spec->adapter->name;
	char *meta = NULL, *diag = NULL;
	int rc = -1;
	memset(out, 0, sizeof(*out));
	import_suite_hash(spec, name, out->suite_hash);
	meta = import_metadata(spec);
	if (bl_store_put_commit(s, spec->repository, spec->commit, err))
		goto done;
	struct bl_case_key key = {
	    .repository = spec->repository,
	    .branch = spec->branch ? spec->branch : "",
	    .commit_sha = spec->commit->sha,
	    .commit_subject = spec->commit->subject,
	    .machine_id = spec->machine_id,
	    .suite_hash = out->suite_hash,
	    .name = name,
	    .params_json = spec->params_json ? spec->params_json : "{}",
	    .metadata_json = meta,
	};
	if (bl_store_open_case(s, &key, &st, err))
		goto done;
	for (size_t i = 0; i < st.n_measured_done; i++)
		if (st.measured_done[i] >= out->index)
			out->index = st.measured_done[i] + 1;
	if (spec->n_paths > 1)
		diag = bl_xasprintf("imported from %s and %zu more file%s (%s)", spec->paths[0], spec->n_paths - 1,
				    spec->n_paths == 2 ? "" : "s", spec->adapter->name);
	else
		diag = bl_xasprintf("imported from %s (%s)", spec->paths[0], spec->adapter->name);
	struct bl_run_record rec = {
	    .benchmark_id = st.benchmark_id,
	    .index = out->index,
	    .wall_s = NAN, /* not timed by benchline: stored as NULL */
	    .user_s = NAN,
	    .sys_s = NAN,
	    .peak_rss_bytes = -1,
	    .status = "ok",
	    .diagnostics = diag,
	    .metrics = metrics->items,
	    .n_metrics = metrics->n,
	};
	if (bl_store_add_run(s, &rec, &out->run_id, err) ||
	    bl_store_set_case_status(s, st.benchmark_id, BL_CASE_COMPLETE, err))
		goto done;
	out->benchmark_id = st.benchmark_id;
	out->n_metrics = metrics->n;
	rc = 0;
done:
	bl_case_state_release(&st);
	free(meta);
	free(diag);
	return rc;
}

int bl_import_file(struct bl_store *s, const struct bl_import_spec *spec, struct bl_import_result *out,
		   struct bl_error *err)
{
	struct bl_metric_list metrics = {0};
	memset(out, 0, sizeof(*out));
	int rc = bl_import_read(spec, &metrics, err);
	if (rc == 0)
		rc = bl_import_store(s, spec, &metrics, out, err);
	bl_metric_list_release(&metrics);
	return rc;
}

int bl_import_params_json(char *const *assignments, size_t n, char **out, struct bl_error *err)
{
	json_t *o = json_object();
	*out = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(assignments[i], '=');
		if (!eq || eq == assignments[i]) {
			json_decref(o);
			return bl_fail(err, "parameter '%s' must be KEY=VALUE", assignments[i]);
		}
		char *k = bl_xstrndup(assignments[i], (size_t)(eq - assignments[i]));
		json_t *v = json_string(eq + 1);
		int dup = json_object_get(o, k) != NULL;
		if (!v || dup) {
			bl_fail(err, dup ? "parameter '%s' is given twice" : "parameter '%s' is not valid UTF-8", k);
			free(k);
			json_decref(v);
			json_decref(o);
			return -1;
		}
		json_object_set_new(o, k, v);
		free(k);
	}
	char *s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	*out = bl_xstrdup(s);
	free(s);
	return 0;
}
