/*
 * store_changes.c - bl_store_save_detection: the checks both backends rely
 * on, then the backend's save_detection (store_sqlite_changes.c,
 * store_pg_changes.c). Everything is checked before a backend writes, so a
 * bad value never leaves half a detection behind.
 */
#include "benchline/change_points.h"
#include "benchline/git.h"
#include "store_internal.h"

#include <math.h>
#include <string.h>

static bool is_sha(const char *s)
{
	if (!s || strlen(s) != BL_SHA_HEX)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static bool is_verdict(const char *v)
{
	return v && (!strcmp(v, "regressed") || !strcmp(v, "improved") || !strcmp(v, "changed"));
}

static int check_change(const struct bl_series_detection *sd, size_t k, struct bl_error *err)
{
	const struct bl_change_point *c = &sd->changes[k];
	const char *what = "cannot save change points";
	if (!is_sha(c->commit_sha) || !is_sha(c->previous_sha))
		return bl_fail(err,
			       "%s of %s %s: change %zu: commit '%s' or previous commit '%s' is not a full"
			       " lowercase SHA",
			       what, sd->name, sd->metric, k + 1, c->commit_sha ? c->commit_sha : "(none)",
			       c->previous_sha ? c->previous_sha : "(none)");
	if (!is_verdict(c->verdict))
		return bl_fail(err,
			       "%s of %s %s at %.10s: unknown verdict '%s' (expected regressed, improved or changed)",
			       what, sd->name, sd->metric, c->commit_sha, c->verdict ? c->verdict : "(none)");
	const double v[] = {c->before, c->after, c->change, c->change_lo, c->change_hi};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (!isfinite(v[i]))
			return bl_fail(err, "%s of %s %s at %.10s: a level or change is not a finite number", what,
				       sd->name, sd->metric, c->commit_sha);
	if (!(c->p >= 0 && c->p <= 1))
		return bl_fail(err, "%s of %s %s at %.10s: p = %g is not a probability", what, sd->name, sd->metric,
			       c->commit_sha, c->p);
	if (c->unmeasured < 0)
		return bl_fail(err, "%s of %s %s at %.10s: negative count of unmeasured commits", what, sd->name,
			       sd->metric, c->commit_sha);
	return 0;
}

static int check_series(const struct bl_series_detection *sd, struct bl_error *err)
{
	if (!sd->repository || !*sd->repository || !sd->name || !*sd->name || !sd->metric || !*sd->metric)
		return bl_fail(err, "cannot save change points: a series needs a repository, a benchmark name and a"
				    " metric");
	if (sd->machine_id <= 0)
		return bl_fail(err, "cannot save change points of %s %s: no machine", sd->name, sd->metric);
	const char *params = sd->params_json ? sd->params_json : "{}";
	if (!bl_store_is_json_object(params))
		return bl_fail(err, "cannot save change points of %s %s: params are not a JSON object: %s", sd->name,
			       sd->metric, params);
	if (!(sd->alpha > 0 && sd->alpha < 1) || !(sd->noise_floor >= 0 && isfinite(sd->noise_floor)) ||
	    sd->min_segment < 1)
		return bl_fail(err,
			       "cannot save change points of %s %s: invalid detection settings (alpha %g,"
			       " noise floor %g, minimum segment %d)",
			       sd->name, sd->metric, sd->alpha, sd->noise_floor, sd->min_segment);
	if (sd->n_changes && !sd->changes)
		return bl_fail(err, "cannot save change points of %s %s: changes missing", sd->name, sd->metric);
	for (size_t k = 0; k < sd->n_changes; k++)
		if (check_change(sd, k, err))
			return -1;
	return 0;
}

int bl_store_save_detection(struct bl_store *s, const struct bl_detection *d, struct bl_error *err)
{
	if (!s->ops->save_detection)
		return bl_fail(err, "the %s store cannot save change points", s->ops->name);
	if (!is_sha(d->head_sha))
		return bl_fail(err, "cannot save change points: the analysed commit '%s' is not a full lowercase SHA",
			       d->head_sha ? d->head_sha : "(none)");
	if (d->n_series && !d->series)
		return bl_fail(err, "cannot save change points: series missing");
	for (size_t i = 0; i < d->n_series; i++)
		if (check_series(&d->series[i], err))
			return -1;
	return s->ops->save_detection(s, d, err);
}
