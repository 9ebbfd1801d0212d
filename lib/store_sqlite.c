/*
 * store_sqlite.c - the SQLite backend of the result store.
 *
 * DESIGN
 * - One connection per struct bl_store, opened without SQLite's own mutex: a
 *   store is used by one thread at a time (the sampler never writes to it).
 * - Opening never modifies a database it is going to refuse: the schema
 *   version is read first, and only then are WAL mode (which rewrites the
 *   file header) and migrations applied.
 * - Migrations are an ordered array of SQL steps; migrations[i] takes the
 *   schema from version i to i + 1. They run in one BEGIN IMMEDIATE
 *   transaction, after re-reading the version inside it, so two processes
 *   opening a new file at once do not both create the tables.
 * - Every write that belongs together runs in one BEGIN IMMEDIATE
 *   transaction: a writer waits for the lock up front (busy timeout) instead
 *   of failing half-way with SQLITE_BUSY when a read upgrades to a write.
 * - Statements are prepared once per store, on first use, and kept until
 *   close; text is bound SQLITE_STATIC because every statement is stepped and
 *   reset before the caller's strings can go away.
 * - Durability: WAL with synchronous=NORMAL by default. A committed run
 *   survives the death of the process (kill -9); only a power loss or kernel
 *   crash may lose the last transactions. BENCHLINE_SQLITE_SYNC=full makes
 *   every commit reach the disk (docs/SCHEMA.md has the trade-off).
 */
#include "benchline/store.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define DEFAULT_BUSY_TIMEOUT_MS 10000
#define COMMIT_MESSAGE_CHARS 70 /* transformers v1: commit_message VARCHAR(70) */

/* ---- schema ---------------------------------------------------------------------------------------------------- */

static const char *const migrations[] = {
	/* Version 1: the initial schema (docs/SCHEMA.md describes every column). */
	"CREATE TABLE schema_version (\n"
	"	version INTEGER NOT NULL\n"
	");\n"
	"CREATE TABLE machines (\n"
	"	machine_id INTEGER PRIMARY KEY,\n"
	"	fingerprint TEXT NOT NULL UNIQUE CHECK (fingerprint <> ''),\n"
	"	hostname TEXT,\n"
	"	os TEXT,\n"
	"	kernel TEXT,\n"
	"	arch TEXT,\n"
	"	cpu_model TEXT,\n"
	"	cpu_count INTEGER,\n"
	"	memory_bytes INTEGER,\n"
	"	gpus TEXT NOT NULL DEFAULT '[]',\n"
	"	created_at TEXT NOT NULL\n"
	");\n"
	"CREATE TABLE commits (\n"
	"	repository TEXT NOT NULL,\n"
	"	sha TEXT NOT NULL,\n"
	"	parents TEXT NOT NULL DEFAULT '',\n"
	"	author_name TEXT,\n"
	"	author_email TEXT,\n"
	"	author_time TEXT,\n"
	"	commit_time TEXT,\n"
	"	subject TEXT,\n"
	"	PRIMARY KEY (repository, sha)\n"
	");\n"
	"CREATE TABLE benchmarks (\n"
	"	benchmark_id INTEGER PRIMARY KEY,\n"
	"	repository TEXT NOT NULL,\n"
	"	branch TEXT,\n"
	"	commit_id TEXT NOT NULL,\n"
	"	commit_message TEXT,\n"
	"	machine_id INTEGER NOT NULL REFERENCES machines (machine_id),\n"
	"	suite_hash TEXT NOT NULL,\n"
	"	name TEXT NOT NULL,\n"
	"	params TEXT NOT NULL DEFAULT '{}',\n"
	"	metadata TEXT NOT NULL DEFAULT '{}',\n"
	"	status TEXT NOT NULL DEFAULT 'pending',\n"
	"	created_at TEXT NOT NULL,\n"
	"	updated_at TEXT NOT NULL,\n"
	"	UNIQUE (repository, commit_id, machine_id, name, params, suite_hash)\n"
	");\n"
	"CREATE INDEX benchmarks_by_commit ON benchmarks (commit_id);\n"
	"CREATE INDEX benchmarks_by_case ON benchmarks (machine_id, name, params);\n"
	"CREATE TABLE builds (\n"
	"	build_id INTEGER PRIMARY KEY,\n"
	"	repository TEXT NOT NULL,\n"
	"	commit_id TEXT NOT NULL,\n"
	"	machine_id INTEGER NOT NULL REFERENCES machines (machine_id),\n"
	"	build_key TEXT,\n"
	"	status TEXT NOT NULL,\n"
	"	started_at TEXT,\n"
	"	duration_s REAL,\n"
	"	log_path TEXT\n"
	");\n"
	"CREATE INDEX builds_by_commit ON builds (repository, commit_id);\n"
	"CREATE INDEX builds_by_machine ON builds (machine_id, status);\n"
	"CREATE TABLE runs (\n"
	"	run_id INTEGER PRIMARY KEY,\n"
	"	benchmark_id INTEGER NOT NULL REFERENCES benchmarks (benchmark_id) ON DELETE CASCADE,\n"
	"	kind TEXT NOT NULL CHECK (kind IN ('warmup', 'measured')),\n"
	"	idx INTEGER NOT NULL CHECK (idx >= 0),\n"
	"	started_at TEXT,\n"
	"	wall_s REAL,\n"
	"	user_s REAL,\n"
	"	sys_s REAL,\n"
	"	peak_rss_bytes INTEGER,\n"
	"	peak_source TEXT,\n"
	"	exit_code INTEGER,\n"
	"	term_signal INTEGER,\n"
	"	status TEXT NOT NULL,\n"
	"	stdout_log TEXT,\n"
	"	stderr_log TEXT,\n"
	"	env_hash TEXT,\n"
	"	cpu_list TEXT,\n"
	"	diagnostics TEXT\n"
	");\n"
	"CREATE UNIQUE INDEX runs_measured_unique ON runs (benchmark_id, idx) WHERE kind = 'measured';\n"
	"CREATE INDEX runs_by_benchmark ON runs (benchmark_id, kind, idx);\n"
	/* Clustered by run: the primary key is also the "metrics by run" index,
	 * one b-tree to write per value instead of a table and an index. */
	"CREATE TABLE metrics (\n"
	"	run_id INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,\n"
	"	seq INTEGER NOT NULL,\n"
	"	name TEXT NOT NULL CHECK (name <> ''),\n"
	"	value REAL NOT NULL,\n"
	"	unit TEXT,\n"
	"	better TEXT CHECK (better IN ('lower', 'higher')),\n"
	"	PRIMARY KEY (run_id, seq)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE model_measurements (\n"
	"	measurement_id INTEGER PRIMARY KEY,\n"
	"	benchmark_id INTEGER NOT NULL REFERENCES benchmarks (benchmark_id) ON DELETE CASCADE,\n"
	"	run_id INTEGER REFERENCES runs (run_id) ON DELETE CASCADE,\n"
	"	measurements TEXT NOT NULL,\n"
	"	time TEXT NOT NULL\n"
	");\n"
	"CREATE INDEX model_measurements_by_benchmark ON model_measurements (benchmark_id);\n"
	"CREATE INDEX model_measurements_by_run ON model_measurements (run_id);\n"
	"CREATE TABLE device_measurements (\n"
	"	measurement_id INTEGER PRIMARY KEY,\n"
	"	benchmark_id INTEGER NOT NULL REFERENCES benchmarks (benchmark_id) ON DELETE CASCADE,\n"
	"	run_id INTEGER REFERENCES runs (run_id) ON DELETE CASCADE,\n"
	"	cpu_util REAL,\n"
	"	mem_megabytes REAL,\n"
	"	gpu_util REAL,\n"
	"	gpu_mem_megabytes REAL,\n"
	"	time TEXT NOT NULL\n"
	");\n"
	"CREATE INDEX device_measurements_by_benchmark ON device_measurements (benchmark_id);\n"
	"CREATE INDEX device_measurements_by_run ON device_measurements (run_id);\n",
};

/* Later schema versions append a step; the newest version is the number of steps. */
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == BL_SCHEMA_VERSION,
	       "one migration step per schema version");

/* ---- cached statements ----------------------------------------------------------------------------------------- */

enum stmt_id {
	ST_BEGIN,
	ST_BEGIN_IMMEDIATE,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_MACHINE_UPSERT,
	ST_MACHINE_ID,
	ST_COMMIT_UPSERT,
	ST_CASE_INSERT,
	ST_CASE_SELECT,
	ST_CASE_MEASURED,
	ST_CASE_WARMUPS,
	ST_CASE_STATUS,
	ST_RUN_INSERT,
	ST_METRIC_INSERT,
	ST_MODEL_INSERT,
	ST_BUILD_INSERT,
	ST_SHAS_CREATE,
	ST_SHAS_CLEAR,
	ST_SHAS_INSERT,
	ST_POINT_CASES,
	ST_POINT_CASES_SHAS,
	ST_POINT_VALUES,
	ST_POINT_COUNTS,
	ST_TYPICAL_RUN,
	ST_TYPICAL_BUILD,
	ST_COUNT
};

/* The cases of foreach_point, in display order; ?1 repository, ?2 benchmark name. */
#define POINT_CASES_SQL                                                                                               \
	"SELECT b.benchmark_id, b.commit_id, coalesce(c.subject, b.commit_message), c.commit_time, b.name, b.params," \
	" m.hostname, b.machine_id, b.status, b.suite_hash"                                                            \
	" FROM benchmarks b JOIN machines m ON m.machine_id = b.machine_id"                                            \
	" LEFT JOIN commits c ON c.repository = b.repository AND c.sha = b.commit_id"                                  \
	" WHERE (?1 IS NULL OR b.repository = ?1) AND (?2 IS NULL OR b.name = ?2)"
#define POINT_CASES_ORDER                                                                                             \
	" ORDER BY c.commit_time, b.commit_id, b.name, b.params, b.machine_id, b.suite_hash, b.benchmark_id"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN",
	[ST_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_MACHINE_UPSERT] =
		"INSERT INTO machines (fingerprint, hostname, os, kernel, arch, cpu_model, cpu_count, memory_bytes,"
		" gpus, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
		" ON CONFLICT (fingerprint) DO UPDATE SET hostname = excluded.hostname, os = excluded.os,"
		" kernel = excluded.kernel, arch = excluded.arch, cpu_model = excluded.cpu_model,"
		" cpu_count = excluded.cpu_count, memory_bytes = excluded.memory_bytes, gpus = excluded.gpus",
	[ST_MACHINE_ID] = "SELECT machine_id FROM machines WHERE fingerprint = ?1",
	[ST_COMMIT_UPSERT] =
		"INSERT INTO commits (repository, sha, parents, author_name, author_email, author_time, commit_time,"
		" subject) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
		" ON CONFLICT (repository, sha) DO UPDATE SET parents = excluded.parents,"
		" author_name = excluded.author_name, author_email = excluded.author_email,"
		" author_time = excluded.author_time, commit_time = excluded.commit_time, subject = excluded.subject",
	[ST_CASE_INSERT] =
		"INSERT INTO benchmarks (repository, branch, commit_id, commit_message, machine_id, suite_hash, name,"
		" params, metadata, status, created_at, updated_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending', ?10, ?10)"
		" ON CONFLICT (repository, commit_id, machine_id, name, params, suite_hash) DO NOTHING",
	[ST_CASE_SELECT] = "SELECT benchmark_id, status FROM benchmarks WHERE repository = ?1 AND commit_id = ?2"
			   " AND machine_id = ?3 AND name = ?4 AND params = ?5 AND suite_hash = ?6",
	[ST_CASE_MEASURED] = "SELECT idx FROM runs WHERE benchmark_id = ?1 AND kind = 'measured' ORDER BY idx",
	[ST_CASE_WARMUPS] = "SELECT count(*) FROM runs WHERE benchmark_id = ?1 AND kind = 'warmup'",
	[ST_CASE_STATUS] = "UPDATE benchmarks SET status = ?2, updated_at = ?3 WHERE benchmark_id = ?1",
	[ST_RUN_INSERT] =
		"INSERT INTO runs (benchmark_id, kind, idx, started_at, wall_s, user_s, sys_s, peak_rss_bytes,"
		" peak_source, exit_code, term_signal, status, stdout_log, stderr_log, env_hash, cpu_list, diagnostics)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
	[ST_METRIC_INSERT] =
		"INSERT INTO metrics (run_id, seq, name, value, unit, better) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_MODEL_INSERT] =
		"INSERT INTO model_measurements (benchmark_id, run_id, measurements, time) VALUES (?1, ?2, ?3, ?4)",
	[ST_BUILD_INSERT] = "INSERT INTO builds (repository, commit_id, machine_id, build_key, status, started_at,"
			    " duration_s, log_path) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	/* A per-connection table for the commit filter of foreach_point: any
	 * number of SHAs, where an IN (?, ?, ...) list would hit the
	 * variable limit and could not be prepared once. */
	[ST_SHAS_CREATE] = "CREATE TEMP TABLE IF NOT EXISTS query_shas (sha TEXT PRIMARY KEY) WITHOUT ROWID",
	[ST_SHAS_CLEAR] = "DELETE FROM temp.query_shas",
	[ST_SHAS_INSERT] = "INSERT OR IGNORE INTO temp.query_shas (sha) VALUES (?1)",
	[ST_POINT_CASES] = POINT_CASES_SQL POINT_CASES_ORDER,
	[ST_POINT_CASES_SHAS] =
		POINT_CASES_SQL " AND b.commit_id IN (SELECT sha FROM temp.query_shas)" POINT_CASES_ORDER,
	[ST_POINT_VALUES] = "SELECT mt.name, mt.unit, mt.better, mt.value"
			    " FROM runs r JOIN metrics mt ON mt.run_id = r.run_id"
			    " WHERE r.benchmark_id = ?1 AND r.kind = 'measured' AND r.status = 'ok'"
			    " AND (?2 IS NULL OR mt.name = ?2) ORDER BY mt.name, r.idx, mt.seq",
	[ST_POINT_COUNTS] = "SELECT count(*), coalesce(sum(status <> 'ok'), 0) FROM runs"
			    " WHERE benchmark_id = ?1 AND kind = 'measured'",
	[ST_TYPICAL_RUN] = "SELECT r.wall_s FROM benchmarks b JOIN runs r ON r.benchmark_id = b.benchmark_id"
			   " WHERE b.machine_id = ?1 AND b.name = ?2 AND b.params = ?3 AND r.kind = 'measured'"
			   " AND r.status = 'ok' AND r.wall_s IS NOT NULL ORDER BY r.wall_s",
	[ST_TYPICAL_BUILD] = "SELECT duration_s FROM builds WHERE machine_id = ?1 AND status = 'ok'"
			     " AND duration_s IS NOT NULL ORDER BY duration_s",
};

struct sqlite_store {
	struct bl_store base;         /* first, so a struct bl_store * converts back */
	sqlite3 *db;                  /* owned */
	char *path;                   /* owned; the file as given, for messages */
	int busy_timeout_ms;
	bool shas_table;              /* temp.query_shas exists on this connection */
	sqlite3_stmt *stmts[ST_COUNT]; /* owned; prepared on first use */
};

static struct sqlite_store *backend(struct bl_store *s)
{
	return (struct sqlite_store *)s;
}

/* ---- helpers --------------------------------------------------------------------------------------------------- */

/* Fails with "WHAT: REASON", REASON saying what SQLite reported in terms of
 * the database file, so that a lock, a foreign file or a full disk read as
 * such rather than as a bare SQLite code. */
static int sql_fail(struct sqlite_store *s, int rc, struct bl_error *err, const char *fmt, ...) BL_PRINTF(4, 5);
static int sql_fail(struct sqlite_store *s, int rc, struct bl_error *err, const char *fmt, ...)
{
	char what[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return bl_fail(err, "%s: database '%s' is locked by another process (gave up after %g s)", what,
			       s->path, s->busy_timeout_ms / 1000.0);
	case SQLITE_NOTADB:
		return bl_fail(err, "%s: '%s' is not a SQLite database", what, s->path);
	case SQLITE_CORRUPT:
		return bl_fail(err, "%s: database '%s' is corrupt: %s", what, s->path, sqlite3_errmsg(s->db));
	case SQLITE_FULL:
		return bl_fail(err, "%s: database '%s': disk full", what, s->path);
	case SQLITE_READONLY:
		return bl_fail(err, "%s: database '%s' is read-only: %s", what, s->path, sqlite3_errmsg(s->db));
	default:
		return bl_fail(err, "%s: database '%s': %s", what, s->path, sqlite3_errmsg(s->db));
	}
}

static sqlite3_stmt *get_stmt(struct sqlite_store *s, enum stmt_id id, struct bl_error *err)
{
	if (!s->stmts[id]) {
		int rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->stmts[id], NULL);
		if (rc != SQLITE_OK) {
			sql_fail(s, rc, err, "cannot prepare a query");
			sqlite3_finalize(s->stmts[id]);
			s->stmts[id] = NULL;
			return NULL;
		}
	}
	return s->stmts[id];
}

/* Steps a statement that returns no rows and resets it. Returns the SQLite
 * code (SQLITE_OK on success); on failure the connection's message is still
 * available to sql_fail. */
static int exec_stmt(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		rc = SQLITE_OK;
	sqlite3_reset(st);
	return rc;
}

static int tx_run(struct sqlite_store *s, enum stmt_id id, struct bl_error *err, const char *what)
{
	sqlite3_stmt *st = get_stmt(s, id, err);
	if (!st)
		return -1;
	int rc = exec_stmt(st);
	if (rc != SQLITE_OK)
		return sql_fail(s, rc, err, "%s", what);
	return 0;
}

/* Rolls back whatever transaction is open; harmless when SQLite already
 * rolled it back on its own (after SQLITE_FULL, SQLITE_IOERR, ...). */
static void tx_rollback(struct sqlite_store *s)
{
	if (sqlite3_get_autocommit(s->db))
		return;
	if (s->stmts[ST_ROLLBACK] || get_stmt(s, ST_ROLLBACK, NULL))
		exec_stmt(s->stmts[ST_ROLLBACK]);
	else
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ISO-8601 UTC with milliseconds, "2026-11-26T15:30:00.123Z", the one
 * timestamp format of the schema: it sorts as text and reads in any tool. */
static void format_iso_ms(int64_t unix_ns, char out[32])
{
	int64_t ms = unix_ns / 1000000;
	if (unix_ns % 1000000 < 0)
		ms--;
	int64_t secs = ms / 1000, frac = ms % 1000;
	if (frac < 0) {
		frac += 1000;
		secs--;
	}
	time_t t = (time_t)secs;
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03dZ", (int)frac);
}

static int64_t parse_iso_seconds(const char *s)
{
	struct tm tm = {0};
	int year, mon, day, hour, min, sec;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &year, &mon, &day, &hour, &min, &sec) != 6)
		return 0;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	return (int64_t)timegm(&tm);
}

static void now_iso(char out[32])
{
	format_iso_ms(bl_now_unix_ns(), out);
}

/* First max_chars characters of a UTF-8 string, never cutting a character
 * in two (transformers v1 keeps commit_message to 70 characters). */
static char *truncate_utf8(const char *s, size_t max_chars)
{
	size_t chars = 0, i = 0;
	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (chars == max_chars)
				break;
			chars++;
		}
	}
	return bl_xstrndup(s, i);
}

static bool is_json_object(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);
	bool ok = j && json_is_object(j);
	json_decref(j);
	return ok;
}

static const char *better_text(enum bl_better b)
{
	switch (b) {
	case BL_BETTER_LOWER:
		return "lower";
	case BL_BETTER_HIGHER:
		return "higher";
	default:
		return NULL;
	}
}

static enum bl_better better_from_text(const unsigned char *t)
{
	if (!t)
		return BL_BETTER_UNKNOWN;
	if (strcmp((const char *)t, "lower") == 0)
		return BL_BETTER_LOWER;
	if (strcmp((const char *)t, "higher") == 0)
		return BL_BETTER_HIGHER;
	return BL_BETTER_UNKNOWN;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC); /* NULL binds SQL NULL */
}

static void bind_time(sqlite3_stmt *st, int i, int64_t unix_ns, char buf[32])
{
	/* 0 means "not known" in the records, not 1970. */
	if (unix_ns == 0) {
		sqlite3_bind_null(st, i);
		return;
	}
	format_iso_ms(unix_ns, buf);
	bind_text(st, i, buf);
}

static double median_of_sorted(const double *v, size_t n)
{
	if (n == 0)
		return -1;
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- opening and migrating ------------------------------------------------------------------------------------- */

/* Reads the schema version without writing anything: 0 for an empty
 * database. A SQLite file of some other program (tables but no
 * schema_version) is refused, so benchline never adds its tables to it. */
static int read_schema_version(struct sqlite_store *s, int64_t *version, struct bl_error *err)
{
	sqlite3_stmt *st = NULL;
	int64_t tables = 0, has_version_table = 0;
	int rc = sqlite3_prepare_v2(s->db,
				    "SELECT count(*), coalesce(sum(name = 'schema_version'), 0) FROM sqlite_master"
				    " WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
				    -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		tables = sqlite3_column_int64(st, 0);
		has_version_table = sqlite3_column_int64(st, 1);
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK) {
		sql_fail(s, rc, err, "cannot open store '%s'", s->path);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	if (!has_version_table) {
		if (tables > 0)
			return bl_fail(err, "cannot open store '%s': it is a SQLite database but not a benchline one"
					    " (no schema_version table)", s->path);
		*version = 0;
		return 0;
	}
	st = NULL;
	rc = sqlite3_prepare_v2(s->db, "SELECT max(version) FROM schema_version", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = SQLITE_OK;
		if (sqlite3_column_type(st, 0) == SQLITE_NULL || sqlite3_column_int64(st, 0) < 1) {
			sqlite3_finalize(st);
			return bl_fail(err, "cannot open store '%s': its schema_version table holds no valid version",
				       s->path);
		}
		*version = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_OK) {
		sql_fail(s, rc, err, "cannot read the schema version of '%s'", s->path);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

static int check_not_newer(struct sqlite_store *s, int64_t version, struct bl_error *err)
{
	if (version > BL_SCHEMA_VERSION)
		return bl_fail(err, "database '%s' has schema version %lld, newer than this benchline (%d); %s",
			       s->path, (long long)version, BL_SCHEMA_VERSION, "upgrade benchline");
	return 0;
}

static int migrate(struct sqlite_store *s, struct bl_error *err)
{
	if (tx_run(s, ST_BEGIN_IMMEDIATE, err, "cannot upgrade the schema") != 0)
		return -1;
	int64_t version;
	/* Another process may have created or upgraded the schema since the first look. */
	if (read_schema_version(s, &version, err) != 0 || check_not_newer(s, version, err) != 0)
		goto fail;
	for (int64_t v = version; v < BL_SCHEMA_VERSION; v++) {
		int rc = sqlite3_exec(s->db, migrations[v], NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			sql_fail(s, rc, err, "cannot upgrade '%s' to schema version %lld", s->path, (long long)v + 1);
			goto fail;
		}
	}
	if (version < BL_SCHEMA_VERSION) {
		char sql[128];
		snprintf(sql, sizeof(sql), "DELETE FROM schema_version; INSERT INTO schema_version VALUES (%d)",
			 BL_SCHEMA_VERSION);
		int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			sql_fail(s, rc, err, "cannot record the schema version of '%s'", s->path);
			goto fail;
		}
	}
	if (tx_run(s, ST_COMMIT, err, "cannot upgrade the schema") != 0)
		goto fail;
	return 0;
fail:
	tx_rollback(s);
	return -1;
}

/* Runs a PRAGMA and copies its first result column (may be NULL). */
static int pragma(struct sqlite_store *s, const char *sql, char *out, size_t out_size, struct bl_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (out_size)
		out[0] = '\0';
	if (rc == SQLITE_OK) {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			if (out_size && sqlite3_column_text(st, 0))
				snprintf(out, out_size, "%s", (const char *)sqlite3_column_text(st, 0));
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK)
		sql_fail(s, rc, err, "cannot open store '%s' (%s)", s->path, sql);
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : -1;
}

static int read_settings(int *busy_ms, const char **sync_pragma, struct bl_error *err)
{
	const char *sync = getenv("BENCHLINE_SQLITE_SYNC");
	if (!sync || !*sync || strcmp(sync, "normal") == 0)
		*sync_pragma = "PRAGMA synchronous = NORMAL";
	else if (strcmp(sync, "full") == 0)
		*sync_pragma = "PRAGMA synchronous = FULL";
	else
		return bl_fail(err, "invalid BENCHLINE_SQLITE_SYNC '%s' (expected 'normal' or 'full')", sync);
	*busy_ms = DEFAULT_BUSY_TIMEOUT_MS;
	const char *busy = getenv("BENCHLINE_SQLITE_BUSY_TIMEOUT");
	if (busy && *busy) {
		double secs;
		if (bl_parse_double(busy, &secs) != 0 || secs < 0 || secs > 86400)
			return bl_fail(err, "invalid BENCHLINE_SQLITE_BUSY_TIMEOUT '%s' (expected seconds, 0 to 86400)",
				       busy);
		*busy_ms = (int)(secs * 1000 + 0.5);
	}
	return 0;
}

static void sqlite_close(struct bl_store *bs)
{
	struct sqlite_store *s = backend(bs);
	if (!s)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->stmts[i]);
	if (s->db)
		sqlite3_close(s->db);
	free(s->path);
	free(s->base.display_name);
	free(s);
}

static const struct bl_store_ops sqlite_ops;

int bl_store_sqlite_open(const char *path, struct bl_store **out, struct bl_error *err)
{
	*out = NULL;
	if (!path || !*path)
		return bl_fail(err, "cannot open store: empty path");
	int busy_ms = DEFAULT_BUSY_TIMEOUT_MS;
	const char *sync_pragma = NULL;
	if (read_settings(&busy_ms, &sync_pragma, err) != 0)
		return -1;
	struct stat sb;
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return bl_fail(err, "cannot open store '%s': it is a directory", path);

	struct sqlite_store *s = bl_xcalloc(1, sizeof(*s));
	s->base.ops = &sqlite_ops;
	s->base.display_name = bl_xstrdup(path);
	s->path = bl_xstrdup(path);
	s->busy_timeout_ms = busy_ms;
	int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		int sys = s->db ? sqlite3_system_errno(s->db) : 0;
		if (sys)
			bl_fail_errno(err, sys, "cannot open store '%s'", path);
		else
			bl_fail(err, "cannot open store '%s': %s", path,
				s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, busy_ms);

	/* Look before touching: nothing below this check may run on a file we refuse. */
	int64_t version;
	if (read_schema_version(s, &version, err) != 0 || check_not_newer(s, version, err) != 0)
		goto fail;

	char mode[32];
	if (pragma(s, "PRAGMA journal_mode = WAL", mode, sizeof(mode), err) != 0 ||
	    pragma(s, sync_pragma, NULL, 0, err) != 0 || pragma(s, "PRAGMA foreign_keys = ON", NULL, 0, err) != 0 ||
	    pragma(s, "PRAGMA foreign_keys", mode, sizeof(mode), err) != 0)
		goto fail;
	if (strcmp(mode, "1") != 0) {
		/* A SQLite built without foreign keys would silently accept orphans. */
		bl_fail(err, "cannot open store '%s': this SQLite does not enforce foreign keys", path);
		goto fail;
	}
	if (version < BL_SCHEMA_VERSION && migrate(s, err) != 0)
		goto fail;
	*out = &s->base;
	return 0;
fail:
	sqlite_close(&s->base);
	return -1;
}

/* ---- machines and commits -------------------------------------------------------------------------------------- */

static int sqlite_put_machine(struct bl_store *bs, const struct bl_machine *m, int64_t *machine_id,
			      struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	if (!m->fingerprint[0])
		return bl_fail(err, "cannot store machine '%s': it has no fingerprint",
			       m->hostname ? m->hostname : "?");
	char now[32];
	now_iso(now);
	if (tx_run(s, ST_BEGIN_IMMEDIATE, err, "cannot store the machine") != 0)
		return -1;
	sqlite3_stmt *up = get_stmt(s, ST_MACHINE_UPSERT, err), *sel = up ? get_stmt(s, ST_MACHINE_ID, err) : NULL;
	if (!sel)
		goto fail;
	bind_text(up, 1, m->fingerprint);
	bind_text(up, 2, m->hostname);
	bind_text(up, 3, m->os);
	bind_text(up, 4, m->kernel);
	bind_text(up, 5, m->arch);
	bind_text(up, 6, m->cpu_model);
	sqlite3_bind_int(up, 7, m->cpu_count);
	sqlite3_bind_int64(up, 8, m->memory_bytes);
	bind_text(up, 9, m->gpus_json ? m->gpus_json : "[]");
	bind_text(up, 10, now);
	int rc = exec_stmt(up);
	if (rc != SQLITE_OK) {
		sql_fail(s, rc, err, "cannot store machine '%s'", m->hostname ? m->hostname : m->fingerprint);
		goto fail;
	}
	bind_text(sel, 1, m->fingerprint);
	rc = sqlite3_step(sel);
	if (rc == SQLITE_ROW)
		*machine_id = sqlite3_column_int64(sel, 0);
	sqlite3_reset(sel);
	if (rc != SQLITE_ROW) {
		sql_fail(s, rc, err, "cannot read back machine '%s'", m->fingerprint);
		goto fail;
	}
	if (tx_run(s, ST_COMMIT, err, "cannot store the machine") != 0)
		goto fail;
	return 0;
fail:
	tx_rollback(s);
	return -1;
}

static int sqlite_find_machine(struct bl_store *bs, const char *fingerprint, int64_t *machine_id,
			       struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	sqlite3_stmt *sel = get_stmt(s, ST_MACHINE_ID, err);
	if (!sel)
		return -1;
	*machine_id = 0;
	bind_text(sel, 1, fingerprint);
	int rc = sqlite3_step(sel);
	if (rc == SQLITE_ROW)
		*machine_id = sqlite3_column_int64(sel, 0);
	sqlite3_reset(sel);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sql_fail(s, rc, err, "cannot look up machine '%s'", fingerprint);
	return 0;
}

static int sqlite_put_commit(struct bl_store *bs, const char *repository, const struct bl_commit_info *ci,
			     struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	if (!repository || !ci->sha[0])
		return bl_fail(err, "cannot store commit: repository and SHA are required");
	sqlite3_stmt *st = get_stmt(s, ST_COMMIT_UPSERT, err);
	if (!st)
		return -1;
	char author_time[32], commit_time[32];
	format_iso_ms(ci->author_time * 1000000000LL, author_time);
	format_iso_ms(ci->commit_time * 1000000000LL, commit_time);
	bind_text(st, 1, repository);
	bind_text(st, 2, ci->sha);
	bind_text(st, 3, ci->parents ? ci->parents : "");
	bind_text(st, 4, ci->author_name);
	bind_text(st, 5, ci->author_email);
	bind_text(st, 6, author_time);
	bind_text(st, 7, commit_time);
	bind_text(st, 8, ci->subject);
	int rc = exec_stmt(st);
	if (rc != SQLITE_OK)
		return sql_fail(s, rc, err, "cannot store commit %.12s", ci->sha);
	return 0;
}

/* ---- cases ----------------------------------------------------------------------------------------------------- */

static int read_case_state(struct sqlite_store *s, struct bl_case_state *st, struct bl_error *err)
{
	sqlite3_stmt *q = get_stmt(s, ST_CASE_MEASURED, err);
	if (!q)
		return -1;
	size_t cap = 0;
	sqlite3_bind_int64(q, 1, st->benchmark_id);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		BL_GROW(st->measured_done, cap, st->n_measured_done + 1);
		st->measured_done[st->n_measured_done++] = sqlite3_column_int(q, 0);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sql_fail(s, rc, err, "cannot read the runs of benchmark %lld", (long long)st->benchmark_id);
	q = get_stmt(s, ST_CASE_WARMUPS, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, st->benchmark_id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		st->n_warmups = sqlite3_column_int(q, 0);
	sqlite3_reset(q);
	if (rc != SQLITE_ROW)
		return sql_fail(s, rc, err, "cannot count the warm-ups of benchmark %lld", (long long)st->benchmark_id);
	return 0;
}

static int sqlite_open_case(struct bl_store *bs, const struct bl_case_key *key, struct bl_case_state *st,
			    struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	memset(st, 0, sizeof(*st));
	if (!key->repository || !key->commit_sha || !key->name || !key->suite_hash || !*key->name)
		return bl_fail(err, "cannot open benchmark case: repository, commit, name and suite hash are required");
	const char *params = key->params_json ? key->params_json : "{}";
	const char *metadata = key->metadata_json ? key->metadata_json : "{}";
	if (!is_json_object(params))
		return bl_fail(err, "cannot open benchmark case '%s': params are not a JSON object: %s", key->name,
			       params);
	if (!is_json_object(metadata))
		return bl_fail(err, "cannot open benchmark case '%s': metadata is not a JSON object", key->name);
	char *message = key->commit_subject ? truncate_utf8(key->commit_subject, COMMIT_MESSAGE_CHARS) : NULL;
	char now[32];
	now_iso(now);
	int rc;
	if (tx_run(s, key->lookup_only ? ST_BEGIN : ST_BEGIN_IMMEDIATE, err, "cannot open the benchmark case") != 0) {
		free(message);
		return -1;
	}
	sqlite3_stmt *ins = get_stmt(s, ST_CASE_INSERT, err), *sel = ins ? get_stmt(s, ST_CASE_SELECT, err) : NULL;
	if (!sel)
		goto fail;
	if (key->lookup_only)
		goto select;
	bind_text(ins, 1, key->repository);
	bind_text(ins, 2, key->branch);
	bind_text(ins, 3, key->commit_sha);
	bind_text(ins, 4, message);
	sqlite3_bind_int64(ins, 5, key->machine_id);
	bind_text(ins, 6, key->suite_hash);
	bind_text(ins, 7, key->name);
	bind_text(ins, 8, params);
	bind_text(ins, 9, metadata);
	bind_text(ins, 10, now);
	rc = exec_stmt(ins);
	if (rc != SQLITE_OK) {
		if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			bl_fail(err, "cannot open benchmark case '%s': machine %lld is not in '%s'", key->name,
				(long long)key->machine_id, s->path);
		else
			sql_fail(s, rc, err, "cannot open benchmark case '%s'", key->name);
		goto fail;
	}
select:
	bind_text(sel, 1, key->repository);
	bind_text(sel, 2, key->commit_sha);
	sqlite3_bind_int64(sel, 3, key->machine_id);
	bind_text(sel, 4, key->name);
	bind_text(sel, 5, params);
	bind_text(sel, 6, key->suite_hash);
	rc = sqlite3_step(sel);
	if (rc == SQLITE_ROW) {
		st->benchmark_id = sqlite3_column_int64(sel, 0);
		const unsigned char *status = sqlite3_column_text(sel, 1);
		snprintf(st->status, sizeof(st->status), "%s", status ? (const char *)status : "");
	}
	sqlite3_reset(sel);
	if (rc == SQLITE_DONE && key->lookup_only) {
		/* Not stored yet: an empty state, and nothing written. */
		if (tx_run(s, ST_COMMIT, err, "cannot look up the benchmark case") != 0)
			goto fail;
		free(message);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		sql_fail(s, rc, err, "cannot read back benchmark case '%s'", key->name);
		goto fail;
	}
	if (read_case_state(s, st, err) != 0)
		goto fail;
	if (tx_run(s, ST_COMMIT, err, "cannot open the benchmark case") != 0)
		goto fail;
	free(message);
	return 0;
fail:
	tx_rollback(s);
	free(message);
	bl_case_state_release(st);
	memset(st, 0, sizeof(*st));
	return -1;
}

static int sqlite_set_case_status(struct bl_store *bs, int64_t benchmark_id, const char *status,
				  struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	if (!status || !*status)
		return bl_fail(err, "cannot set the status of benchmark %lld: empty status", (long long)benchmark_id);
	sqlite3_stmt *st = get_stmt(s, ST_CASE_STATUS, err);
	if (!st)
		return -1;
	char now[32];
	now_iso(now);
	sqlite3_bind_int64(st, 1, benchmark_id);
	bind_text(st, 2, status);
	bind_text(st, 3, now);
	int rc = exec_stmt(st);
	if (rc != SQLITE_OK)
		return sql_fail(s, rc, err, "cannot set the status of benchmark %lld", (long long)benchmark_id);
	if (sqlite3_changes(s->db) == 0)
		return bl_fail(err, "cannot set the status of benchmark %lld: no such benchmark in '%s'",
			       (long long)benchmark_id, s->path);
	return 0;
}

/* ---- runs and builds ------------------------------------------------------------------------------------------- */

static int insert_run_row(struct sqlite_store *s, const struct bl_run_record *r, const char *what,
			  struct bl_error *err)
{
	sqlite3_stmt *st = get_stmt(s, ST_RUN_INSERT, err);
	if (!st)
		return -1;
	char started[32];
	sqlite3_bind_int64(st, 1, r->benchmark_id);
	bind_text(st, 2, r->warmup ? "warmup" : "measured");
	sqlite3_bind_int(st, 3, r->index);
	bind_time(st, 4, r->start_unix_ns, started);
	sqlite3_bind_double(st, 5, r->wall_s);
	sqlite3_bind_double(st, 6, r->user_s);
	sqlite3_bind_double(st, 7, r->sys_s);
	if (r->peak_rss_bytes >= 0)
		sqlite3_bind_int64(st, 8, r->peak_rss_bytes);
	else
		sqlite3_bind_null(st, 8);
	bind_text(st, 9, r->peak_source);
	/* A process killed by a signal has no exit status; one that exited has no signal. */
	if (r->term_signal)
		sqlite3_bind_null(st, 10);
	else
		sqlite3_bind_int(st, 10, r->exit_code);
	if (r->term_signal)
		sqlite3_bind_int(st, 11, r->term_signal);
	else
		sqlite3_bind_null(st, 11);
	bind_text(st, 12, r->status);
	bind_text(st, 13, r->stdout_log);
	bind_text(st, 14, r->stderr_log);
	bind_text(st, 15, r->env_hash);
	bind_text(st, 16, r->cpu_list);
	bind_text(st, 17, r->diagnostics);
	int rc = exec_stmt(st);
	if (rc == SQLITE_OK)
		return 0;
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return bl_fail(err, "%s: measured run %d of benchmark %lld is already stored in '%s'", what, r->index,
			       (long long)r->benchmark_id, s->path);
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		return bl_fail(err, "%s: benchmark %lld is not in '%s'", what, (long long)r->benchmark_id, s->path);
	return sql_fail(s, rc, err, "%s", what);
}

static int insert_metrics(struct sqlite_store *s, const struct bl_run_record *r, int64_t run_id, const char *what,
			  struct bl_error *err)
{
	if (r->n_metrics == 0)
		return 0;
	sqlite3_stmt *st = get_stmt(s, ST_METRIC_INSERT, err);
	if (!st)
		return -1;
	for (size_t i = 0; i < r->n_metrics; i++) {
		const struct bl_metric *m = &r->metrics[i];
		/* Checked here, inside the transaction, so that a bad record goes
		 * through the same rollback as a failing disk. */
		if (!m->name || !*m->name)
			return bl_fail(err, "%s: metric %zu has no name", what, i + 1);
		if (!isfinite(m->value))
			return bl_fail(err, "%s: metric '%s' has a non-finite value", what, m->name);
		sqlite3_bind_int64(st, 1, run_id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
		bind_text(st, 3, m->name);
		sqlite3_bind_double(st, 4, m->value);
		bind_text(st, 5, m->unit);
		bind_text(st, 6, better_text(m->better));
		int rc = exec_stmt(st);
		if (rc != SQLITE_OK)
			return sql_fail(s, rc, err, "%s: metric '%s'", what, m->name);
	}
	return 0;
}

static int insert_measurements(struct sqlite_store *s, const struct bl_run_record *r, int64_t run_id,
			       const char *now, const char *what, struct bl_error *err)
{
	if (r->n_measurements == 0)
		return 0;
	sqlite3_stmt *st = get_stmt(s, ST_MODEL_INSERT, err);
	if (!st)
		return -1;
	for (size_t i = 0; i < r->n_measurements; i++) {
		if (!r->measurements[i] || !is_json_object(r->measurements[i]))
			return bl_fail(err, "%s: model measurement %zu is not a JSON object", what, i + 1);
		sqlite3_bind_int64(st, 1, r->benchmark_id);
		sqlite3_bind_int64(st, 2, run_id);
		bind_text(st, 3, r->measurements[i]);
		bind_text(st, 4, now);
		int rc = exec_stmt(st);
		if (rc != SQLITE_OK)
			return sql_fail(s, rc, err, "%s: model measurement %zu", what, i + 1);
	}
	return 0;
}

static int sqlite_add_run(struct bl_store *bs, const struct bl_run_record *r, int64_t *run_id, struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	char what[160];
	snprintf(what, sizeof(what), "cannot store %s run %d of benchmark %lld", r->warmup ? "warm-up" : "measured",
		 r->index, (long long)r->benchmark_id);
	if (!r->status || !*r->status)
		return bl_fail(err, "%s: it has no status", what);
	if (r->index < 0)
		return bl_fail(err, "%s: negative index", what);
	if (r->n_metrics && !r->metrics)
		return bl_fail(err, "%s: metrics missing", what);
	if (r->n_measurements && !r->measurements)
		return bl_fail(err, "%s: measurements missing", what);
	char now[32] = "";
	if (r->n_measurements)
		now_iso(now);
	if (tx_run(s, ST_BEGIN_IMMEDIATE, err, what) != 0)
		return -1;
	if (insert_run_row(s, r, what, err) != 0)
		goto fail;
	int64_t id = sqlite3_last_insert_rowid(s->db);
	/* benchmarks.updated_at is not touched here: it would add a page to every
	 * run's commit for a time that runs.started_at already records. */
	if (insert_metrics(s, r, id, what, err) != 0 || insert_measurements(s, r, id, now, what, err) != 0)
		goto fail;
	if (tx_run(s, ST_COMMIT, err, what) != 0)
		goto fail;
	if (run_id)
		*run_id = id;
	return 0;
fail:
	tx_rollback(s);
	return -1;
}

static int sqlite_add_build(struct bl_store *bs, const struct bl_build_record *b, struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	if (!b->repository || !b->commit_sha || !b->status || !*b->status)
		return bl_fail(err, "cannot store build: repository, commit and status are required");
	sqlite3_stmt *st = get_stmt(s, ST_BUILD_INSERT, err);
	if (!st)
		return -1;
	char started[32];
	bind_text(st, 1, b->repository);
	bind_text(st, 2, b->commit_sha);
	sqlite3_bind_int64(st, 3, b->machine_id);
	bind_text(st, 4, b->build_key);
	bind_text(st, 5, b->status);
	bind_time(st, 6, b->start_unix_ns, started);
	if (b->duration_s >= 0 && isfinite(b->duration_s))
		sqlite3_bind_double(st, 7, b->duration_s);
	else
		sqlite3_bind_null(st, 7);
	bind_text(st, 8, b->log_path);
	int rc = exec_stmt(st);
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		return bl_fail(err, "cannot store the build of %.12s: machine %lld is not in '%s'", b->commit_sha,
			       (long long)b->machine_id, s->path);
	if (rc != SQLITE_OK)
		return sql_fail(s, rc, err, "cannot store the build of %.12s", b->commit_sha);
	return 0;
}

/* ---- queries --------------------------------------------------------------------------------------------------- */

static int fill_shas(struct sqlite_store *s, const struct bl_point_query *q, struct bl_error *err)
{
	if (!s->shas_table) {
		/* Created outside any statement cache entry that refers to it, so the
		 * filtered case query can be prepared afterwards. */
		if (tx_run(s, ST_SHAS_CREATE, err, "cannot prepare the commit filter") != 0)
			return -1;
		s->shas_table = true;
	}
	if (tx_run(s, ST_SHAS_CLEAR, err, "cannot prepare the commit filter") != 0)
		return -1;
	sqlite3_stmt *st = get_stmt(s, ST_SHAS_INSERT, err);
	if (!st)
		return -1;
	for (size_t i = 0; i < q->n_shas; i++) {
		bind_text(st, 1, q->shas[i]);
		int rc = exec_stmt(st);
		if (rc != SQLITE_OK)
			return sql_fail(s, rc, err, "cannot prepare the commit filter");
	}
	return 0;
}

struct point_scratch {
	double *values;
	size_t cap;
	char *metric; /* owned copies: the row they came from is gone once the next row is read */
	char *unit;
};

/* Emits the points of one case: one per metric with values, or a single
 * point without a metric when it has none, so a case that failed to build or
 * whose runs all failed is still shown. */
static int emit_case_points(struct sqlite_store *s, const struct bl_point_query *q, struct bl_point *p,
			    struct point_scratch *sc, bl_point_fn fn, void *ctx, struct bl_error *err)
{
	sqlite3_stmt *cnt = get_stmt(s, ST_POINT_COUNTS, err);
	if (!cnt)
		return -1;
	sqlite3_bind_int64(cnt, 1, p->benchmark_id);
	int rc = sqlite3_step(cnt);
	if (rc == SQLITE_ROW) {
		p->runs_total = sqlite3_column_int(cnt, 0);
		p->runs_failed = sqlite3_column_int(cnt, 1);
	}
	sqlite3_reset(cnt);
	if (rc != SQLITE_ROW)
		return sql_fail(s, rc, err, "cannot count the runs of benchmark %lld", (long long)p->benchmark_id);

	sqlite3_stmt *vals = get_stmt(s, ST_POINT_VALUES, err);
	if (!vals)
		return -1;
	sqlite3_bind_int64(vals, 1, p->benchmark_id);
	bind_text(vals, 2, q->metric);
	int emitted = 0, ret = 0;
	size_t n = 0;
	enum bl_better better = BL_BETTER_UNKNOWN;
	for (;;) {
		rc = sqlite3_step(vals);
		const char *name = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(vals, 0) : NULL;
		if (sc->metric && (!name || strcmp(name, sc->metric) != 0)) {
			p->metric = sc->metric;
			p->unit = sc->unit;
			p->better = better;
			p->values = sc->values;
			p->n_values = n;
			emitted++;
			ret = fn(ctx, p);
			free(sc->metric);
			free(sc->unit);
			sc->metric = sc->unit = NULL;
			if (ret != 0)
				break;
		}
		if (rc != SQLITE_ROW)
			break;
		if (!sc->metric) {
			sc->metric = bl_xstrdup(name ? name : "");
			n = 0;
			better = BL_BETTER_UNKNOWN;
		}
		/* Unit and direction of a metric: the first run that states them. */
		const char *unit = (const char *)sqlite3_column_text(vals, 1);
		if (!sc->unit && unit)
			sc->unit = bl_xstrdup(unit);
		if (better == BL_BETTER_UNKNOWN)
			better = better_from_text(sqlite3_column_text(vals, 2));
		BL_GROW(sc->values, sc->cap, n + 1);
		sc->values[n++] = sqlite3_column_double(vals, 3);
	}
	sqlite3_reset(vals);
	free(sc->metric);
	free(sc->unit);
	sc->metric = sc->unit = NULL;
	if (ret != 0)
		return ret;
	if (rc != SQLITE_DONE)
		return sql_fail(s, rc, err, "cannot read the metrics of benchmark %lld", (long long)p->benchmark_id);
	if (emitted)
		return 0;
	p->metric = NULL;
	p->unit = NULL;
	p->better = BL_BETTER_UNKNOWN;
	p->values = NULL;
	p->n_values = 0;
	return fn(ctx, p);
}

static int sqlite_foreach_point(struct bl_store *bs, const struct bl_point_query *q, bl_point_fn fn, void *ctx,
				struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	struct point_scratch sc = {0};
	int ret = -1, rc;
	/* One read transaction: the cases and their values come from one snapshot
	 * even while another process keeps adding runs. */
	if (tx_run(s, ST_BEGIN, err, "cannot query results") != 0)
		return -1;
	if (q->shas && fill_shas(s, q, err) != 0)
		goto out;
	sqlite3_stmt *cases = get_stmt(s, q->shas ? ST_POINT_CASES_SHAS : ST_POINT_CASES, err);
	if (!cases)
		goto out;
	bind_text(cases, 1, q->repository);
	bind_text(cases, 2, q->benchmark);
	ret = 0;
	while ((rc = sqlite3_step(cases)) == SQLITE_ROW) {
		struct bl_point p = {
			.benchmark_id = sqlite3_column_int64(cases, 0),
			.commit_sha = (const char *)sqlite3_column_text(cases, 1),
			.subject = (const char *)sqlite3_column_text(cases, 2),
			.commit_time = parse_iso_seconds((const char *)sqlite3_column_text(cases, 3)),
			.name = (const char *)sqlite3_column_text(cases, 4),
			.params_json = (const char *)sqlite3_column_text(cases, 5),
			.machine = (const char *)sqlite3_column_text(cases, 6),
			.machine_id = sqlite3_column_int64(cases, 7),
			.status = (const char *)sqlite3_column_text(cases, 8),
			.suite_hash = (const char *)sqlite3_column_text(cases, 9),
		};
		ret = emit_case_points(s, q, &p, &sc, fn, ctx, err);
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sql_fail(s, rc, err, "cannot query results");
	sqlite3_reset(cases);
out:
	free(sc.values);
	if (ret == 0 && tx_run(s, ST_COMMIT, err, "cannot query results") != 0)
		ret = -1;
	tx_rollback(s);
	return ret;
}

/* Median of the single REAL column of a query whose rows come sorted. */
static int sorted_median(struct sqlite_store *s, sqlite3_stmt *st, double *out, struct bl_error *err,
			 const char *what)
{
	double *v = NULL;
	size_t n = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		BL_GROW(v, cap, n + 1);
		v[n++] = sqlite3_column_double(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return sql_fail(s, rc, err, "%s", what);
	}
	*out = median_of_sorted(v, n);
	free(v);
	return 0;
}

static int sqlite_typical_seconds(struct bl_store *bs, int64_t machine_id, const char *name, const char *params_json,
				  double *run_s, double *build_s, struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	double run = -1, build = -1;
	int ret = -1;
	if (tx_run(s, ST_BEGIN, err, "cannot read the typical durations") != 0)
		return -1;
	sqlite3_stmt *rq = get_stmt(s, ST_TYPICAL_RUN, err), *bq = rq ? get_stmt(s, ST_TYPICAL_BUILD, err) : NULL;
	if (!bq)
		goto out;
	if (name) {
		sqlite3_bind_int64(rq, 1, machine_id);
		bind_text(rq, 2, name);
		bind_text(rq, 3, params_json ? params_json : "{}");
		if (sorted_median(s, rq, &run, err, "cannot read the typical run time") != 0)
			goto out;
	}
	sqlite3_bind_int64(bq, 1, machine_id);
	if (sorted_median(s, bq, &build, err, "cannot read the typical build time") != 0)
		goto out;
	ret = tx_run(s, ST_COMMIT, err, "cannot read the typical durations");
out:
	tx_rollback(s);
	if (ret == 0) {
		if (run_s)
			*run_s = run;
		if (build_s)
			*build_s = build;
	}
	return ret;
}

static const struct bl_store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sqlite_close,
	.put_machine = sqlite_put_machine,
	.find_machine = sqlite_find_machine,
	.put_commit = sqlite_put_commit,
	.open_case = sqlite_open_case,
	.set_case_status = sqlite_set_case_status,
	.add_run = sqlite_add_run,
	.add_build = sqlite_add_build,
	.foreach_point = sqlite_foreach_point,
	.typical_seconds = sqlite_typical_seconds,
};
