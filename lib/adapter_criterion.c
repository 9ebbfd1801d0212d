/* adapter_criterion.c - Criterion.rs's estimates.json
 * (target/criterion/<id>/new/estimates.json).
 *
 * The file holds no benchmark name: it comes from the path, the directories
 * between "criterion/" and "/new" (or "/base", "/change"), so
 * target/criterion/fib 20/new/estimates.json gives "fib 20:mean". Other
 * paths give bare names ("mean"). Estimates are in nanoseconds: ID:mean,
 * :median, :std_dev, :median_abs_dev and :slope (when present) are recorded
 * in seconds, with ID:mean_lower and ID:mean_upper, the bounds of the mean's
 * confidence interval. */
#include "adapter_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const estimates[] = {"mean", "median", "std_dev", "median_abs_dev", "slope", NULL};

/* The benchmark id in path, or NULL (owned). */
static char *id_of(const char *path)
{
	const char *start = NULL;
	for (const char *p = strstr(path, "criterion/"); p; p = strstr(p + 1, "criterion/"))
		start = p + strlen("criterion/");
	if (!start)
		return NULL;
	const char *end = strrchr(path, '/');
	if (!end || end <= start)
		return NULL;
	const char *dir = end; /* ".../<id>/new/estimates.json": drop "/new" */
	while (dir > start && dir[-1] != '/')
		dir--;
	if (dir <= start + 1)
		return NULL;
	return bl_xstrndup(start, (size_t)(dir - 1 - start));
}

static int parse(const char *path, const char *data, size_t len, const struct bl_adapter_opts *o,
		 struct bl_metric_list *out, struct bl_error *err)
{
	json_t *root;
	if (bl_adp_json_load(path, data, len, &root, err))
		return -1;
	char *id = id_of(path);
	int rc = -1;
	size_t found = 0;
	if (!json_is_object(root)) {
		bl_fail(err,
			"%s: expected Criterion's estimates.json (an object with \"mean\", \"median\", ...), got %s",
			path, bl_json_type_name(root));
		goto out;
	}
	for (size_t k = 0; estimates[k]; k++) {
		json_t *e = json_object_get(root, estimates[k]);
		if (!e || json_is_null(e))
			continue;
		if (!json_is_object(e)) {
			bl_fail(err, "%s: %s must be an object, got %s", path, estimates[k], bl_json_type_name(e));
			goto out;
		}
		double v;
		if (bl_adp_number(path, estimates[k], e, "point_estimate", &v, NULL, err) ||
		    bl_adp_add(out, path, estimates[k], id ? id : estimates[k], id ? estimates[k] : NULL, v, "ns",
			       BL_BETTER_LOWER, err))
			goto out;
		found++;
		if (strcmp(estimates[k], "mean"))
			continue;
		json_t *ci = json_object_get(e, "confidence_interval");
		if (!ci)
			continue;
		double lo, hi;
		if (!json_is_object(ci)) {
			bl_fail(err, "%s: mean.confidence_interval must be an object, got %s", path,
				bl_json_type_name(ci));
			goto out;
		}
		if (bl_adp_number(path, "mean.confidence_interval", ci, "lower_bound", &lo, NULL, err) ||
		    bl_adp_number(path, "mean.confidence_interval", ci, "upper_bound", &hi, NULL, err) ||
		    bl_adp_add(out, path, "mean.confidence_interval", id ? id : "mean", id ? "mean_lower" : "lower", lo,
			       "ns", BL_BETTER_LOWER, err) ||
		    bl_adp_add(out, path, "mean.confidence_interval", id ? id : "mean", id ? "mean_upper" : "upper", hi,
			       "ns", BL_BETTER_LOWER, err))
			goto out;
	}
	if (!found) {
		bl_fail(err,
			"%s: no estimate found (expected \"mean\", \"median\", ...): not Criterion's estimates.json",
			path);
		goto out;
	}
	rc = 0;
out:
	free(id);
	json_decref(root);
	return rc;
}

const struct bl_adapter bl_adapter_criterion = {
    .name = "criterion",
    .summary = "Criterion.rs target/criterion/<id>/new/estimates.json",
    .parse = parse,
};
