/*
 * store_sqlite_changes.c - save_detection on SQLite: a detection's change
 * points replace those stored for the same series, in one BEGIN IMMEDIATE
 * transaction (which also serialises concurrent saves). Not a hot path: the
 * two statements are prepared per call, outside the statement cache.
 */
#include "benchline/change_points.h"
#include "store_sqlite_internal.h"

static const char DELETE_SQL[] =
	"DELETE FROM change_points WHERE repository = ?1 AND machine_id = ?2 AND name = ?3 AND params = ?4"
	" AND metric = ?5 AND unit IS ?6";

static const char INSERT_SQL[] =
	"INSERT INTO change_points (repository, machine_id, name, params, metric, unit, commit_id,"
	" previous_commit_id, unmeasured, verdict, level_before, level_after, change, change_lo, change_hi, p,"
	" head_commit_id, alpha, noise_floor, min_segment, detected_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)";

static void bind_series(sqlite3_stmt *st, const struct bl_series_detection *sd)
{
	bind_text(st, 1, sd->repository);
	sqlite3_bind_int64(st, 2, sd->machine_id);
	bind_text(st, 3, sd->name);
	bind_text(st, 4, sd->params_json ? sd->params_json : "{}");
	bind_text(st, 5, sd->metric);
	bind_text(st, 6, sd->unit);
}

static int save_series(struct sqlite_store *s, sqlite3_stmt *del, sqlite3_stmt *ins, const struct bl_detection *d,
		       const struct bl_series_detection *sd, const char *detected_at, struct bl_error *err)
{
	bind_series(del, sd);
	int rc = exec_stmt(del);
	if (rc != SQLITE_OK)
		return bl_sqlite_fail(s, rc, err, "cannot replace the change points of %s %s", sd->name, sd->metric);
	for (size_t k = 0; k < sd->n_changes; k++) {
		const struct bl_change_point *c = &sd->changes[k];
		bind_series(ins, sd);
		bind_text(ins, 7, c->commit_sha);
		bind_text(ins, 8, c->previous_sha);
		sqlite3_bind_int(ins, 9, c->unmeasured);
		bind_text(ins, 10, c->verdict);
		sqlite3_bind_double(ins, 11, c->before);
		sqlite3_bind_double(ins, 12, c->after);
		sqlite3_bind_double(ins, 13, c->change);
		sqlite3_bind_double(ins, 14, c->change_lo);
		sqlite3_bind_double(ins, 15, c->change_hi);
		sqlite3_bind_double(ins, 16, c->p);
		bind_text(ins, 17, d->head_sha);
		sqlite3_bind_double(ins, 18, sd->alpha);
		sqlite3_bind_double(ins, 19, sd->noise_floor);
		sqlite3_bind_int(ins, 20, sd->min_segment);
		bind_text(ins, 21, detected_at);
		rc = exec_stmt(ins);
		if (rc != SQLITE_OK)
			return bl_sqlite_fail(s, rc, err, "cannot store the change point of %s %s at %.10s", sd->name,
					      sd->metric, c->commit_sha);
	}
	return 0;
}

int bl_sqlite_save_detection(struct bl_store *bs, const struct bl_detection *d, struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	char detected_at[32];
	bl_store_format_iso_ms(d->detected_unix_ns ? d->detected_unix_ns : bl_now_unix_ns(), detected_at);
	sqlite3_stmt *del = NULL, *ins = NULL;
	int rc = sqlite3_prepare_v2(s->db, DELETE_SQL, -1, &del, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(s->db, INSERT_SQL, -1, &ins, NULL);
	if (rc != SQLITE_OK) {
		bl_sqlite_fail(s, rc, err, "cannot save change points in '%s'", s->path);
		goto out;
	}
	rc = -1;
	if (bl_sqlite_tx(s, ST_BEGIN_IMMEDIATE, err, "cannot save change points") != 0)
		goto out;
	for (size_t i = 0; i < d->n_series; i++)
		if (save_series(s, del, ins, d, &d->series[i], detected_at, err) != 0)
			goto fail;
	if (bl_sqlite_tx(s, ST_COMMIT, err, "cannot save change points") != 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	bl_sqlite_rollback(s);
out:
	sqlite3_finalize(del);
	sqlite3_finalize(ins);
	return rc == 0 ? 0 : -1;
}
