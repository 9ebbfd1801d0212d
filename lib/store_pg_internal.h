/*
 * store_pg_internal.h - what the files of the PostgreSQL backend share. Not
 * public: the rest of benchline reaches the store through benchline/store.h.
 *
 * The backend, one job per file (the same split as the SQLite backend):
 *   store_pg.c          the connection: connecting, errors with redacted
 *                       URLs, prepared statements, transactions, closing
 *   store_pg_schema.c   the schema and its migrations
 *   store_pg_write.c    machines, commits, cases, runs and builds
 *   store_pg_copy.c     binary COPY: a run's metric values and device samples
 *   store_pg_query.c    foreach_point, typical_seconds and run_device
 *   store_pg_read.c     export_all and case_runs: runs read back whole
 *   store_pg_changes.c  save_detection: change points of detect --save
 *   queue_pg.c          the job queue (jobs table) of `enqueue` and `worker`
 *   store_pg_values.c   foreach_value: every value in one pass (reports)
 */
#ifndef BENCHLINE_STORE_PG_INTERNAL_H
#define BENCHLINE_STORE_PG_INTERNAL_H

#include "store_internal.h"

#include <libpq-fe.h>

/* Prepared statements, one name each ("bl1", "bl2", ...); the SQL of each
 * lives with the code that uses it. */
enum pg_stmt_id {
	PG_MACHINE_UPSERT,
	PG_MACHINE_ID,
	PG_COMMIT_UPSERT,
	PG_CASE_INSERT,
	PG_CASE_SELECT,
	PG_CASE_MEASURED,
	PG_CASE_STATUS,
	PG_RUN_INSERT,
	PG_NAME_SELECT,
	PG_NAME_INSERT,
	PG_MODEL_INSERT,
	PG_BUILD_INSERT,
	PG_BUILD_FIND,
	PG_POINT_CASES,
	PG_POINT_CASES_SHAS,
	PG_POINT_VALUES,
	PG_TYPICAL,
	PG_RUN_INFO,
	PG_DEVICE_STATS,
	PG_JOB_INSERT,
	PG_JOB_CLAIM,
	PG_JOB_COMPLETE,
	PG_JOB_FAIL,
	PG_VALUE_METRICS, /* foreach_value (store_pg_values.c) */
	PG_VALUE_CASES,
	PG_STMT_COUNT
};

struct pg_store {
	struct bl_store base;         /* first, so a struct bl_store * converts back */
	PGconn *conn;                 /* owned */
	char *secrets[3];             /* owned (or NULL); passwords never to appear in a message */
	struct bl_metric_dict *dict;  /* owned; NULL until the first metric */
	bool prepared[PG_STMT_COUNT];
	/* Inside bl_store_begin ... bl_store_commit: each operation's own
	 * transaction becomes a savepoint of the caller's one. */
	bool in_batch;
};

static inline struct pg_store *pg_backend(struct bl_store *s)
{
	return (struct pg_store *)s;
}

/* The name in messages: the URL with its password shown as ***. */
static inline const char *pg_name(const struct pg_store *s)
{
	return s->base.display_name;
}

/* The values of run r (its key range of metric_values), for CROSS JOIN
 * LATERAL. Joined on the range directly, the planner cannot tell how many
 * values a range holds and guesses hundreds of thousands per run: a
 * prepared statement's generic plan then scanned every value (1.7 s a case
 * against 1 ms; `compare` of two commits on PostgreSQL took 46 s). The
 * subquery's LIMIT (never reached: a run has fewer values than that) makes
 * it one index range per run whatever the estimates. */
#define RUN_VALUES                                                                                                    \
	"(SELECT value_id, metric_key, value FROM metric_values WHERE value_id >= r.run_id * "                         \
	BL_STORE_STR(BL_STORE_VALUES_PER_RUN) " AND value_id < (r.run_id + 1) * "                                       \
	BL_STORE_STR(BL_STORE_VALUES_PER_RUN) " LIMIT " BL_STORE_STR(BL_STORE_VALUES_PER_RUN) ")"

/* Text parameters of one statement; NULL is SQL NULL. Numbers are formatted
 * into num[], so values stay valid as long as the struct. */
#define PG_MAX_PARAMS 20
struct pg_params {
	int n;
	const char *values[PG_MAX_PARAMS];
	char num[PG_MAX_PARAMS][32];
};
void pg_param_text(struct pg_params *p, const char *v);
void pg_param_int64(struct pg_params *p, int64_t v);
void pg_param_double(struct pg_params *p, double v); /* a non-finite value is NULL */
void pg_param_null(struct pg_params *p);
/* A Unix time in ns as the schema's timestamp text; 0 (unknown) is NULL. */
void pg_param_time(struct pg_params *p, int64_t unix_ns);

/* ---- store_pg.c -------------------------------------------------------------------------------------------------- */

/* SQLSTATE classes the backend tells apart. */
#define PG_UNIQUE_VIOLATION "23505"
#define PG_FOREIGN_KEY_VIOLATION "23503"

/* Fails with "WHAT: database 'URL': REASON" (or "WHAT: lost the connection
 * to 'URL': REASON"), REASON being the server's message with any password
 * scrubbed. res may be NULL: the connection's message is used. */
int pg_fail(struct pg_store *s, const PGresult *res, struct bl_error *err, const char *fmt, ...) BL_PRINTF(4, 5);
/* The SQLSTATE of a failed result, "" when there is none. */
const char *pg_sqlstate(const PGresult *res);

/* Runs prepared statement id (prepared from sql on first use) with p.
 * Returns the result when its status is PGRES_COMMAND_OK or
 * PGRES_TUPLES_OK; otherwise NULL with *failed set to the failed result
 * (caller PQclears it; may be NULL) so the caller can look at its SQLSTATE,
 * or with err set when failed is NULL. */
PGresult *pg_run(struct pg_store *s, enum pg_stmt_id id, const char *sql, const struct pg_params *p,
		 PGresult **failed, struct bl_error *err, const char *what);
/* Runs SQL without parameters (BEGIN, COMMIT, DDL); on failure err says "WHAT: REASON".
 * Inside a batch (bl_store_begin), "BEGIN..." opens a savepoint and "COMMIT"
 * releases it, so the operations keep their all-or-nothing steps. */
int pg_exec(struct pg_store *s, const char *sql, struct bl_error *err, const char *what);
/* Starts a COPY (want: PGRES_COPY_IN or PGRES_COPY_OUT); -1 with err set when the server does not. */
int pg_copy_start(struct pg_store *s, const char *sql, ExecStatusType want, struct bl_error *err, const char *what);
/* Rolls back whatever transaction is open (nothing when none is); inside a
 * batch, back to the operation's savepoint. */
void pg_rollback(struct pg_store *s);
/* Parses a text column (0 for NULL). */
int64_t pg_get_int64(const PGresult *res, int row, int col);
double pg_get_double(const PGresult *res, int row, int col);

/* ---- store_pg_schema.c --------------------------------------------------------------------------------------------- */

/* Reads the schema version without writing anything: 0 for an empty
 * database. A database with tables of some other program (no
 * schema_version) is refused, and so is a newer schema. */
int pg_read_version(struct pg_store *s, int64_t *version, struct bl_error *err);
/* Brings the schema to BL_SCHEMA_VERSION in one transaction, serialised
 * with other benchline processes opening the same database. */
int pg_migrate(struct pg_store *s, struct bl_error *err);

/* ---- store_pg_copy.c ----------------------------------------------------------------------------------------------- */

/* Inside the caller's transaction: the dictionary keys of the run's metrics
 * and their values (COPY), and the run's device samples (COPY). Return 0,
 * -1 with err set, or PG_STALE_KEYS (err set) when a cached dictionary key
 * is no longer in the database: forget the keys and retry. */
#define PG_STALE_KEYS (-2)
int pg_insert_metrics(struct pg_store *s, const struct bl_run_record *r, int64_t run_id, const char *what,
		      struct bl_error *err);
int pg_insert_samples(struct pg_store *s, const struct bl_run_record *r, int64_t run_id, const char *what,
		      struct bl_error *err);

/* ---- the operations (struct bl_store_ops) -------------------------------------------------------------------------- */

int pg_put_machine(struct bl_store *bs, const struct bl_machine *m, int64_t *machine_id, struct bl_error *err);
int pg_find_machine(struct bl_store *bs, const char *fingerprint, int64_t *machine_id, struct bl_error *err);
int pg_put_commit(struct bl_store *bs, const char *repository, const struct bl_commit_info *ci, struct bl_error *err);
int pg_open_case(struct bl_store *bs, const struct bl_case_key *key, struct bl_case_state *st, struct bl_error *err);
int pg_set_case_status(struct bl_store *bs, int64_t benchmark_id, const char *status, struct bl_error *err);
int pg_add_run(struct bl_store *bs, const struct bl_run_record *r, int64_t *run_id, struct bl_error *err);
int pg_add_build(struct bl_store *bs, const struct bl_build_record *b, struct bl_error *err);
int pg_has_build(struct bl_store *bs, const struct bl_build_record *b, bool *found, struct bl_error *err);
int pg_foreach_point(struct bl_store *bs, const struct bl_point_query *q, bl_point_fn fn, void *ctx,
		     struct bl_error *err);
int pg_typical_seconds(struct bl_store *bs, int64_t machine_id, const char *name, const char *params_json,
		       double *run_s, double *build_s, struct bl_error *err);
int pg_run_device(struct bl_store *bs, int64_t run_id, bl_device_report_fn fn, void *ctx, struct bl_error *err);
int pg_save_detection(struct bl_store *bs, const struct bl_detection *d, struct bl_error *err);
int pg_export_all(struct bl_store *bs, const struct bl_export_visitor *v, void *ctx, struct bl_error *err);
int pg_case_runs(struct bl_store *bs, int64_t benchmark_id, bl_run_detail_fn fn, void *ctx, struct bl_error *err);
int pg_begin(struct bl_store *bs, struct bl_error *err);
int pg_commit(struct bl_store *bs, struct bl_error *err);
void pg_rollback_batch(struct bl_store *bs);
int pg_foreach_value(struct bl_store *bs, const char *repository, const struct bl_value_visitor *v, void *ctx,
		     struct bl_error *err);

#endif
