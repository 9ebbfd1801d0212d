/*
 * store_sqlite_metrics.c - the metric values of a run and the dictionary of
 * metric names they refer to.
 *
 * DESIGN
 * - A value row is (value_id = run_id * 1000000 + seq, metric_key, value);
 *   the name, unit and direction live once in metric_names. The view
 *   `metrics` joins them back (store_sqlite_schema.c, docs/SCHEMA.md).
 * - Keys are cached per store in a hash table of (name, unit, better), so a
 *   sweep that reports the same metrics on every run looks each one up in
 *   SQL once. The cache only holds keys that may be committed: any failed
 *   add_run forgets them all, since a rolled-back key can be handed out
 *   again to another metric by another writer. A key whose row someone
 *   deleted fails the foreign key; add_run then forgets and retries once.
 * - Values go in VALUES_PER_STMT rows per INSERT: one statement step per
 *   row costs more than the row itself. When such an INSERT fails, its rows
 *   are retried one by one, so the error names the metric that failed.
 */
#include "store_sqlite_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VALUES_PER_STMT 16

static const char NAME_SELECT_SQL[] =
	"SELECT metric_key FROM metric_names WHERE name = ?1 AND unit IS ?2 AND better IS ?3";
static const char NAME_INSERT_SQL[] = "INSERT INTO metric_names (name, unit, better) VALUES (?1, ?2, ?3)";
static const char VALUE_INSERT_SQL[] = "INSERT INTO metric_values (value_id, metric_key, value) VALUES (?, ?, ?)";
#define ROW "(?, ?, ?)"
#define ROWS4 ROW ", " ROW ", " ROW ", " ROW
static const char VALUE_INSERT_MANY_SQL[] = "INSERT INTO metric_values (value_id, metric_key, value) VALUES " ROWS4
					    ", " ROWS4 ", " ROWS4 ", " ROWS4;
#undef ROWS4
#undef ROW
_Static_assert(VALUES_PER_STMT == 16, "VALUE_INSERT_MANY_SQL has 16 rows");

void bl_sqlite_forget_metric_keys(struct sqlite_store *s)
{
	bl_metric_dict_forget(s->dict);
}

void bl_sqlite_free_metric_keys(struct sqlite_store *s)
{
	bl_metric_dict_free(s->dict);
	s->dict = NULL;
}

/* The dictionary key of m, from the cache, the table, or a new row. */
static int metric_key(struct sqlite_store *s, const struct bl_metric *m, int64_t *key, const char *what,
		      struct bl_error *err)
{
	if (bl_metric_dict_find(s->dict, m, key))
		return 0;
	sqlite3_stmt *sel = bl_sqlite_stmt(s, ST_NAME_SELECT, NAME_SELECT_SQL, err);
	sqlite3_stmt *ins = sel ? bl_sqlite_stmt(s, ST_NAME_INSERT, NAME_INSERT_SQL, err) : NULL;
	if (!ins)
		return -1;
	bind_text(sel, 1, m->name);
	bind_text(sel, 2, m->unit);
	bind_text(sel, 3, bl_better_name(m->better));
	int rc = sqlite3_step(sel);
	if (rc == SQLITE_ROW)
		*key = sqlite3_column_int64(sel, 0);
	sqlite3_reset(sel);
	if (rc == SQLITE_DONE) {
		bind_text(ins, 1, m->name);
		bind_text(ins, 2, m->unit);
		bind_text(ins, 3, bl_better_name(m->better));
		rc = exec_stmt(ins);
		if (rc == SQLITE_OK) {
			*key = sqlite3_last_insert_rowid(s->db);
			rc = SQLITE_ROW;
		}
	}
	if (rc != SQLITE_ROW)
		return bl_sqlite_fail(s, rc, err, "%s: metric '%s'", what, m->name);
	bl_metric_dict_remember(s->dict, m, *key);
	return 0;
}

/* Inserts the value of metric i alone. */
static int insert_value(struct sqlite_store *s, const struct bl_run_record *r, int64_t run_id, size_t i,
			const char *what, struct bl_error *err)
{
	sqlite3_stmt *st = bl_sqlite_stmt(s, ST_VALUE_INSERT, VALUE_INSERT_SQL, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, run_id * BL_SQLITE_VALUES_PER_RUN + (int64_t)i);
	sqlite3_bind_int64(st, 2, s->dict->keys[i]);
	sqlite3_bind_double(st, 3, r->metrics[i].value);
	int rc = exec_stmt(st);
	if (rc == SQLITE_OK)
		return 0;
	bl_sqlite_fail(s, rc, err, "%s: metric '%s'", what, r->metrics[i].name);
	return rc == SQLITE_CONSTRAINT_FOREIGNKEY ? BL_SQLITE_STALE_KEYS : -1;
}

/* Inserts the values of metrics first .. first + VALUES_PER_STMT - 1. */
static int insert_value_rows(struct sqlite_store *s, const struct bl_run_record *r, int64_t run_id, size_t first,
			     const char *what, struct bl_error *err)
{
	sqlite3_stmt *st = bl_sqlite_stmt(s, ST_VALUE_INSERT_MANY, VALUE_INSERT_MANY_SQL, err);
	if (!st)
		return -1;
	for (int j = 0; j < VALUES_PER_STMT; j++) {
		size_t i = first + (size_t)j;
		sqlite3_bind_int64(st, 3 * j + 1, run_id * BL_SQLITE_VALUES_PER_RUN + (int64_t)i);
		sqlite3_bind_int64(st, 3 * j + 2, s->dict->keys[i]);
		sqlite3_bind_double(st, 3 * j + 3, r->metrics[i].value);
	}
	int rc = exec_stmt(st);
	if (rc == SQLITE_OK)
		return 0;
	if (sqlite3_get_autocommit(s->db))
		/* SQLite ended the transaction itself (disk full, I/O error):
		 * rows inserted now would each commit on their own. */
		return bl_sqlite_fail(s, rc, err, "%s: metrics %zu to %zu", what, first + 1, first + VALUES_PER_STMT);
	/* Only the failed statement was undone: find the row that fails. */
	for (size_t i = first; i < first + VALUES_PER_STMT; i++) {
		int ret = insert_value(s, r, run_id, i, what, err);
		if (ret != 0)
			return ret;
	}
	return 0;
}

int bl_sqlite_insert_metrics(struct sqlite_store *s, const struct bl_run_record *r, int64_t run_id, const char *what,
			     struct bl_error *err)
{
	if (r->n_metrics == 0)
		return 0;
	if (!s->dict)
		s->dict = bl_xcalloc(1, sizeof(*s->dict));
	struct bl_metric_dict *d = s->dict;
	BL_GROW(d->keys, d->keys_cap, r->n_metrics);
	for (size_t i = 0; i < r->n_metrics; i++) {
		const struct bl_metric *m = &r->metrics[i];
		/* Checked here, inside the transaction, so that a bad record goes
		 * through the same rollback as a failing disk. */
		if (!m->name || !*m->name)
			return bl_fail(err, "%s: metric %zu has no name", what, i + 1);
		if (!isfinite(m->value))
			return bl_fail(err, "%s: metric '%s' has a non-finite value", what, m->name);
		if (metric_key(s, m, &d->keys[i], what, err) != 0)
			return -1;
	}
	size_t i = 0;
	for (; i + VALUES_PER_STMT <= r->n_metrics; i += VALUES_PER_STMT) {
		int ret = insert_value_rows(s, r, run_id, i, what, err);
		if (ret != 0)
			return ret;
	}
	for (; i < r->n_metrics; i++) {
		int ret = insert_value(s, r, run_id, i, what, err);
		if (ret != 0)
			return ret;
	}
	return 0;
}
