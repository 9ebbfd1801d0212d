/*
 * store_pg_changes.c - save_detection on PostgreSQL: a detection's change
 * points replace those stored for the same series, in one transaction.
 * Concurrent saves are serialised by a transaction-level advisory lock: two
 * READ COMMITTED transactions deleting and inserting the same series could
 * otherwise both keep their rows. Not a hot path: plain PQexecParams.
 */
#include "benchline/change_points.h"
#include "store_pg_internal.h"

#include <math.h>
#include <stdio.h>

/* pg_advisory_xact_lock key of change point saves: "chpts" in ASCII. */
#define SAVE_LOCK "427918078067"

static const char DELETE_SQL[] =
	"DELETE FROM change_points WHERE repository = $1 AND machine_id = $2 AND name = $3 AND params = $4"
	" AND metric = $5 AND unit IS NOT DISTINCT FROM $6";

static const char INSERT_SQL[] =
	"INSERT INTO change_points (repository, machine_id, name, params, metric, unit, commit_id,"
	" previous_commit_id, unmeasured, verdict, level_before, level_after, change, change_lo, change_hi, p,"
	" head_commit_id, alpha, noise_floor, min_segment, detected_at)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)";

/* Text parameters; numbers are formatted into num[] (more than struct
 * pg_params holds). */
#define N_PARAMS 21
struct params {
	int n;
	const char *v[N_PARAMS];
	char num[N_PARAMS][40];
};

static void text(struct params *p, const char *v)
{
	p->v[p->n++] = v;
}

static void number(struct params *p, double v)
{
	snprintf(p->num[p->n], sizeof(p->num[p->n]), "%.17g", v);
	p->v[p->n] = p->num[p->n];
	p->n++;
}

static void series_params(struct params *p, const struct bl_series_detection *sd)
{
	p->n = 0;
	text(p, sd->repository);
	number(p, (double)sd->machine_id);
	text(p, sd->name);
	text(p, sd->params_json ? sd->params_json : "{}");
	text(p, sd->metric);
	text(p, sd->unit);
}

/* Runs sql; on failure err says "cannot WHAT of NAME METRIC: ...". */
static int exec(struct pg_store *s, const char *sql, const struct params *p, const struct bl_series_detection *sd,
		const char *what, struct bl_error *err)
{
	PGresult *res = PQexecParams(s->conn, sql, p->n, NULL, p->v, NULL, NULL, 0);
	int rc = 0;
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = pg_fail(s, res, err, "cannot %s of %s %s", what, sd->name, sd->metric);
	PQclear(res);
	return rc;
}

static int save_series(struct pg_store *s, const struct bl_detection *d, const struct bl_series_detection *sd,
		       const char *detected_at, struct bl_error *err)
{
	struct params p;
	series_params(&p, sd);
	if (exec(s, DELETE_SQL, &p, sd, "replace the change points", err))
		return -1;
	for (size_t k = 0; k < sd->n_changes; k++) {
		const struct bl_change_point *c = &sd->changes[k];
		series_params(&p, sd);
		text(&p, c->commit_sha);
		text(&p, c->previous_sha);
		number(&p, c->unmeasured);
		text(&p, c->verdict);
		const double v[] = {c->before, c->after, c->change, c->change_lo, c->change_hi, c->p};
		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
			number(&p, v[i]);
		text(&p, d->head_sha);
		number(&p, sd->alpha);
		number(&p, sd->noise_floor);
		number(&p, sd->min_segment);
		text(&p, detected_at);
		if (exec(s, INSERT_SQL, &p, sd, "store a change point", err))
			return -1;
	}
	return 0;
}

int pg_save_detection(struct bl_store *bs, const struct bl_detection *d, struct bl_error *err)
{
	struct pg_store *s = pg_backend(bs);
	char detected_at[32];
	bl_store_format_iso_ms(d->detected_unix_ns ? d->detected_unix_ns : bl_now_unix_ns(), detected_at);
	const char *what = "cannot save change points";
	if (pg_exec(s, "BEGIN", err, what) != 0)
		return -1;
	if (pg_exec(s, "SELECT pg_advisory_xact_lock(" SAVE_LOCK ")", err, what) != 0)
		goto fail;
	for (size_t i = 0; i < d->n_series; i++)
		if (save_series(s, d, &d->series[i], detected_at, err) != 0)
			goto fail;
	if (pg_exec(s, "COMMIT", err, what) != 0)
		goto fail;
	return 0;
fail:
	pg_rollback(s);
	return -1;
}
