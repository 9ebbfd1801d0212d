/*
 * store_sqlite_internal.h - what the files of the SQLite backend share. Not
 * public: the rest of benchline reaches the store through benchline/store.h.
 *
 * The backend, one job per file:
 *   store_sqlite.c          the connection: opening, pragmas, closing, the
 *                           statement cache, transactions, error messages
 *   store_sqlite_schema.c   the schema and its migrations
 *   store_sqlite_write.c    machines, commits, cases, runs and builds
 *   store_sqlite_metrics.c  the metric dictionary and the values of a run
 *   store_sqlite_query.c    foreach_point, typical_seconds and run_device
 *   store_sqlite_export.c   the whole store, read back for a copy (push)
 *   store_sqlite_runs.c     case_runs: the runs of a case, whole
 *   store_sqlite_changes.c  save_detection: change points of detect --save
 *   store_sqlite_values.c   foreach_value: every value in one pass (reports)
 *   store_sqlite_cases.c    the cases of that pass, with commits and machines
 */
#ifndef BENCHLINE_STORE_SQLITE_INTERNAL_H
#define BENCHLINE_STORE_SQLITE_INTERNAL_H

#include "store_internal.h"

#include <sqlite3.h>

/* metric_values.value_id is run_id * BL_SQLITE_VALUES_PER_RUN + seq: the
 * values of a run are one range of the table's integer key, so they are
 * stored together and appended at the end of the b-tree (docs/SCHEMA.md). It
 * also bounds the metrics of one run. */
#define BL_SQLITE_VALUES_PER_RUN BL_STORE_VALUES_PER_RUN
#define BL_SQLITE_STR(x) BL_STORE_STR(x)

/* Slots of the statement cache; the SQL of each lives with the code that uses it. */
enum stmt_id {
	ST_BEGIN,
	ST_BEGIN_IMMEDIATE,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT, /* an operation's own step inside bl_store_begin ... commit */
	ST_RELEASE,
	ST_MACHINE_UPSERT,
	ST_MACHINE_ID,
	ST_COMMIT_UPSERT,
	ST_CASE_INSERT,
	ST_CASE_SELECT,
	ST_CASE_MEASURED,
	ST_CASE_STATUS,
	ST_RUN_INSERT,
	ST_NAME_SELECT,
	ST_NAME_INSERT,
	ST_VALUE_INSERT,
	ST_VALUE_INSERT_MANY,
	ST_MODEL_INSERT,
	ST_DEVICE_CPU_MANY, /* device rows without GPU: DEVICE_ROWS_MANY, _FEW, one (store_sqlite_write.c) */
	ST_DEVICE_CPU_FEW,
	ST_DEVICE_CPU_ONE,
	ST_DEVICE_GPU_MANY, /* ... with GPU, in the same order */
	ST_DEVICE_GPU_FEW,
	ST_DEVICE_GPU_ONE,
	ST_BUILD_INSERT,
	ST_BUILD_FIND,
	ST_SHAS_CREATE,
	ST_SHAS_CLEAR,
	ST_SHAS_INSERT,
	ST_POINT_CASES,
	ST_POINT_CASES_SHAS,
	ST_POINT_VALUES,
	ST_POINT_COUNTS,
	ST_TYPICAL_RUN,
	ST_TYPICAL_BUILD,
	ST_VALUE_METRICS, /* foreach_value (store_sqlite_values.c) */
	ST_VALUE_IDS,
	ST_VALUE_IDS_SHAS,
	ST_VALUE_CASES_SHAS,
	ST_VALUE_SHAS_BOUNDS,
	ST_VALUE_CASES,
	ST_VALUE_BOUNDS,
	ST_VALUE_RUNS,
	ST_VALUE_ROWS,
	ST_VALUE_OTHER_REPOS,
	ST_VALUE_COMMITS, /* its cases (store_sqlite_cases.c) */
	ST_VALUE_COMMITS_SHAS,
	ST_VALUE_MACHINES,
	ST_COUNT
};

struct sqlite_store {
	struct bl_store base;          /* first, so a struct bl_store * converts back */
	sqlite3 *db;                   /* owned */
	char *path;                    /* owned; the file as given, for messages */
	int busy_timeout_ms;
	char *reader_uri;              /* owned; how more connections open this file, NULL: they cannot */
	bool reader_immutable;         /* reader_uri is an immutable file: no writer to lock out */
	bool shas_table;               /* temp.query_shas exists on this connection */
	bool in_batch;                 /* inside bl_store_begin ... commit: operations are savepoints */
	struct bl_metric_dict *dict;   /* owned by store_sqlite_metrics.c; NULL until the first metric */
	sqlite3_stmt *stmts[ST_COUNT]; /* owned; prepared on first use */
};

static inline struct sqlite_store *backend(struct bl_store *s)
{
	return (struct sqlite_store *)s;
}

/* Steps a statement that returns no rows and resets it. Returns the SQLite
 * code (SQLITE_OK on success); on failure the connection's message is still
 * available to bl_sqlite_fail. */
static inline int exec_stmt(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		rc = SQLITE_OK;
	sqlite3_reset(st);
	return rc;
}

static inline void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC); /* NULL binds SQL NULL */
}

/* ---- store_sqlite.c -------------------------------------------------------------------------------------------- */

/* Fails with "WHAT: REASON", REASON saying what SQLite reported in terms of
 * the database file, so that a lock, a foreign file or a full disk read as
 * such rather than as a bare SQLite code. */
int bl_sqlite_fail(struct sqlite_store *s, int rc, struct bl_error *err, const char *fmt, ...) BL_PRINTF(4, 5);

/* The cached statement of slot id, prepared from sql on first use; every
 * caller of one slot passes the same SQL. Text is bound SQLITE_STATIC: each
 * statement is stepped and reset before the caller's strings can go away. */
sqlite3_stmt *bl_sqlite_stmt(struct sqlite_store *s, enum stmt_id id, const char *sql, struct bl_error *err);

/* Runs BEGIN (ST_BEGIN), BEGIN IMMEDIATE or COMMIT; on failure err says
 * "WHAT: REASON". Inside a batch (bl_store_begin) BEGIN opens a savepoint
 * and COMMIT releases it. */
int bl_sqlite_tx(struct sqlite_store *s, enum stmt_id id, struct bl_error *err, const char *what);

/* Rolls back whatever transaction is open; harmless when SQLite already
 * rolled it back on its own (after SQLITE_FULL, SQLITE_IOERR, ...). Inside a
 * batch, only the failed operation's savepoint. */
void bl_sqlite_rollback(struct sqlite_store *s);

/* ---- store_sqlite_schema.c ------------------------------------------------------------------------------------- */

/* Reads the schema version without writing anything: 0 for an empty
 * database. A SQLite file of some other program (tables but no
 * schema_version) is refused, so benchline never adds its tables to it. */
int bl_sqlite_read_version(struct sqlite_store *s, int64_t *version, struct bl_error *err);
int bl_sqlite_check_not_newer(struct sqlite_store *s, int64_t version, struct bl_error *err);
/* Brings the schema to BL_SCHEMA_VERSION in one BEGIN IMMEDIATE transaction. */
int bl_sqlite_migrate(struct sqlite_store *s, struct bl_error *err);

/* ---- store_sqlite_metrics.c ------------------------------------------------------------------------------------ */

/* Inserts the metric values of run run_id, adding their names to the
 * dictionary as needed. Runs inside the caller's transaction; the caller
 * rolls back on failure and then calls bl_sqlite_forget_metric_keys. Returns
 * 0, -1 with err set, or BL_SQLITE_STALE_KEYS (err set too) when a cached
 * dictionary key is no longer in the database: forget the keys and retry. */
#define BL_SQLITE_STALE_KEYS (-2)
int bl_sqlite_insert_metrics(struct sqlite_store *s, const struct bl_run_record *r, int64_t run_id, const char *what,
			     struct bl_error *err);
/* Drops the cached dictionary keys: after a rollback some may name rows
 * that were never committed, whose keys another writer may reuse. */
void bl_sqlite_forget_metric_keys(struct sqlite_store *s);
void bl_sqlite_free_metric_keys(struct sqlite_store *s);

/* ---- the operations (struct bl_store_ops), one file per group --------------------------------------------------- */

int bl_sqlite_put_machine(struct bl_store *bs, const struct bl_machine *m, int64_t *machine_id, struct bl_error *err);
int bl_sqlite_find_machine(struct bl_store *bs, const char *fingerprint, int64_t *machine_id, struct bl_error *err);
int bl_sqlite_put_commit(struct bl_store *bs, const char *repository, const struct bl_commit_info *ci,
			 struct bl_error *err);
int bl_sqlite_open_case(struct bl_store *bs, const struct bl_case_key *key, struct bl_case_state *st,
			struct bl_error *err);
int bl_sqlite_set_case_status(struct bl_store *bs, int64_t benchmark_id, const char *status, struct bl_error *err);
int bl_sqlite_add_run(struct bl_store *bs, const struct bl_run_record *r, int64_t *run_id, struct bl_error *err);
int bl_sqlite_add_build(struct bl_store *bs, const struct bl_build_record *b, struct bl_error *err);
int bl_sqlite_has_build(struct bl_store *bs, const struct bl_build_record *b, bool *found, struct bl_error *err);
int bl_sqlite_export(struct bl_store *bs, const struct bl_export_visitor *v, void *ctx, struct bl_error *err);
int bl_sqlite_foreach_point(struct bl_store *bs, const struct bl_point_query *q, bl_point_fn fn, void *ctx,
			    struct bl_error *err);
int bl_sqlite_run_device(struct bl_store *bs, int64_t run_id, bl_device_report_fn fn, void *ctx,
			 struct bl_error *err);
int bl_sqlite_case_runs(struct bl_store *bs, int64_t benchmark_id, bl_run_detail_fn fn, void *ctx,
			struct bl_error *err);
int bl_sqlite_save_detection(struct bl_store *bs, const struct bl_detection *d, struct bl_error *err);
int bl_sqlite_foreach_value(struct bl_store *bs, const char *repository, const struct bl_value_visitor *v, void *ctx,
			    struct bl_error *err);
int bl_sqlite_foreach_value_parts(struct bl_store *bs, const struct bl_point_query *q, unsigned n_parts,
				  const struct bl_value_visitor *v, void *const *ctx, struct bl_error *err);
/* The cases of foreach_value (store_sqlite_cases.c), inside its read
 * transaction: those of repository (NULL: any), at the SHAs in
 * temp.query_shas when by_sha, by benchmark_id, to on_case. Returns what
 * on_case returned (reading stops there), or -1 when a statement would not
 * prepare (err says why); *rc is SQLITE_DONE, or the SQLite error that ended
 * the read. */
int bl_sqlite_read_cases(struct sqlite_store *s, const char *repository, bool by_sha,
			 int (*on_case)(void *ctx, const struct bl_value_case *c), void *ctx, int *rc,
			 struct bl_error *err);
/* Puts q's SHAs into temp.query_shas (created on first use), outside any transaction. */
int bl_sqlite_fill_shas(struct sqlite_store *s, const struct bl_point_query *q, struct bl_error *err);
int bl_sqlite_typical_seconds(struct bl_store *bs, int64_t machine_id, const char *name, const char *params_json,
			      double *run_s, double *build_s, struct bl_error *err);

#endif
