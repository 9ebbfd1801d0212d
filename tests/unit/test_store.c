/*
 * test_store.c - the result store, on both backends: every test runs on
 * SQLite files in a scratch directory and, when BENCHLINE_TEST_PG_URL names
 * a PostgreSQL database (tests/pg-server.sh starts a throwaway server and
 * sets it), on PostgreSQL too, each test in a database of its own. The tests
 * check what the store wrote with plain SQL on a connection of their own.
 *
 *   test_store [--backend sqlite|postgresql|all]   (default: all)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <libpq-fe.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchline/change_points.h"
#include "benchline/series.h"
#include "benchline/store.h"

static char scratch[4096];
static int db_counter;

/* The backend of the group being run. */
static bool pg_backend;
static const char *pg_url;        /* BENCHLINE_TEST_PG_URL */
static PGconn *pg_admin;          /* to pg_url: creates and drops the test databases */
static struct bl_strvec pg_dbs;   /* databases created by this process */
static PGconn *raw_pg;            /* a connection of the tests' own, to raw_pg_target */
static char *raw_pg_target;

static bool is_pg(void)
{
	return pg_backend;
}

static int setup_scratch(void **state)
{
	const char *base = getenv("BENCHLINE_TEST_TMP");
	struct bl_error err = {{0}};
	if (!base || !*base)
		base = "/tmp";
	if (bl_mkdirs(base, 0755, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	snprintf(scratch, sizeof(scratch), "%s/test_store.XXXXXX", base);
	return mkdtemp(scratch) ? 0 : -1;
}

static int teardown_scratch(void **state)
{
	struct bl_error err = {{0}};
	return bl_remove_tree(scratch, &err);
}

static void raw_pg_close(void)
{
	if (raw_pg)
		PQfinish(raw_pg);
	raw_pg = NULL;
	free(raw_pg_target);
	raw_pg_target = NULL;
}

static int setup_pg(void **state)
{
	pg_backend = true;
	bl_strvec_init(&pg_dbs);
	pg_admin = PQconnectdb(pg_url);
	if (PQstatus(pg_admin) != CONNECTION_OK) {
		fprintf(stderr, "cannot connect to BENCHLINE_TEST_PG_URL: %s", PQerrorMessage(pg_admin));
		return -1;
	}
	return setup_scratch(state);
}

static int teardown_pg(void **state)
{
	raw_pg_close();
	for (size_t i = 0; i < pg_dbs.n; i++) {
		char *sql = bl_xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", pg_dbs.v[i]);
		PQclear(PQexec(pg_admin, sql));
		free(sql);
	}
	bl_strvec_release(&pg_dbs);
	PQfinish(pg_admin);
	pg_admin = NULL;
	pg_backend = false;
	return teardown_scratch(state);
}

/* A fresh database path for each test. */
static char *new_db_path(void)
{
	return bl_xasprintf("%s/db%d/results.db", scratch, ++db_counter);
}

static char *fresh_path(void)
{
	char *path = new_db_path();
	char *dir = bl_xstrndup(path, (size_t)(strrchr(path, '/') - path));
	struct bl_error err = {{0}};
	assert_int_equal(bl_mkdirs(dir, 0755, &err), 0);
	free(dir);
	return path;
}

/* url with its database (the path) replaced by db. */
static char *url_with_db(const char *url, const char *db)
{
	const char *auth = strstr(url, "://") + 3;
	const char *path = auth + strcspn(auth, "/?");
	const char *query = path + strcspn(path, "?");
	return bl_xasprintf("%.*s/%s%s", (int)(path - url), url, db, query);
}

static void admin_exec(const char *sql)
{
	PGresult *res = PQexec(pg_admin, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(pg_admin));
	PQclear(res);
}

/* A new, empty PostgreSQL database; its URL. */
static char *fresh_pg_url(void)
{
	char *name = bl_xasprintf("bl_test_%d_%d", (int)getpid(), ++db_counter);
	char *sql = bl_xasprintf("CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8'", name);
	admin_exec(sql);
	free(sql);
	bl_strvec_push(&pg_dbs, name);
	char *url = url_with_db(pg_url, name);
	free(name);
	return url;
}

/* A store target of the current backend, never opened before. */
static char *fresh_target(void)
{
	return is_pg() ? fresh_pg_url() : fresh_path();
}

/* How messages name the store: the URL without its password. */
static char *shown(const char *target)
{
	return bl_store_display_name(target);
}

static struct bl_store *open_ok(const char *path)
{
	struct bl_store *s = NULL;
	struct bl_error err = {{0}};
	int rc = bl_store_open(path, &s, &err);
	if (rc != 0)
		fail_msg("bl_store_open('%s'): %s", path, err.msg);
	assert_non_null(s);
	return s;
}

/* ---- raw access, to check what the store wrote ----------------------------------------------------------------- */

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

/* The tests' own connection to target (kept while tests use the same one). */
static PGconn *raw_pg_conn(const char *target)
{
	if (raw_pg && !strcmp(raw_pg_target, target))
		return raw_pg;
	raw_pg_close();
	raw_pg = PQconnectdb(target);
	if (PQstatus(raw_pg) != CONNECTION_OK)
		fail_msg("cannot connect to the test database: %s", PQerrorMessage(raw_pg));
	PQclear(PQexec(raw_pg, "SET client_min_messages = warning"));
	raw_pg_target = bl_xstrdup(target);
	return raw_pg;
}

/* Runs sql on PostgreSQL; the result of its last statement. */
static PGresult *raw_pg_exec(const char *target, const char *sql)
{
	PGconn *c = raw_pg_conn(target);
	PGresult *res = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	return res;
}

static int64_t raw_int(const char *path, const char *sql)
{
	if (bl_store_is_postgres(path)) {
		PGresult *res = raw_pg_exec(path, sql);
		assert_true(PQntuples(res) >= 1);
		int64_t v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
		return v;
	}
	sqlite3 *db = raw_open(path);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* First column of the first row as an owned string ("" for NULL). */
static char *raw_text(const char *path, const char *sql)
{
	if (bl_store_is_postgres(path)) {
		PGresult *res = raw_pg_exec(path, sql);
		assert_true(PQntuples(res) >= 1);
		char *v = bl_xstrdup(PQgetvalue(res, 0, 0));
		PQclear(res);
		return v;
	}
	sqlite3 *db = raw_open(path);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	const unsigned char *t = sqlite3_column_text(st, 0);
	char *v = bl_xstrdup(t ? (const char *)t : "");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void raw_exec(const char *path, const char *sql)
{
	if (is_pg()) {
		PQclear(raw_pg_exec(path, sql));
		return;
	}
	sqlite3 *db = raw_open(path);
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

/* Runs sql that must fail; the error message (owned). */
static char *raw_exec_error(const char *path, const char *sql)
{
	char *msg = NULL;
	if (is_pg()) {
		PGconn *c = raw_pg_conn(path);
		PGresult *res = PQexec(c, sql);
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
			fail_msg("%s: succeeded", sql);
		msg = bl_xstrdup(PQerrorMessage(c));
		PQclear(res);
		return msg;
	}
	sqlite3 *db = raw_open(path);
	char *emsg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &emsg) == SQLITE_OK)
		fail_msg("%s: succeeded", sql);
	msg = bl_xstrdup(emsg ? emsg : "");
	sqlite3_free(emsg);
	sqlite3_close(db);
	return msg;
}

/* A timestamp column as the schema's text, "2026-11-26T15:30:00.123Z", on
 * either backend (SQLite stores that text; PostgreSQL a TIMESTAMPTZ). */
static char *raw_time(const char *path, const char *column, const char *from_where)
{
	char *sql = is_pg() ? bl_xasprintf("SELECT to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') %s",
					   column, from_where)
			    : bl_xasprintf("SELECT %s %s", column, from_where);
	char *v = raw_text(path, sql);
	free(sql);
	return v;
}

/* Makes every INSERT into table whose new row meets condition (SQL over
 * NEW, the same in both dialects) fail with message. */
static void force_failure(const char *path, const char *table, const char *condition, const char *message)
{
	char *sql = is_pg() ? bl_xasprintf("CREATE FUNCTION forced_failure() RETURNS trigger LANGUAGE plpgsql AS $$"
					   " BEGIN IF %s THEN RAISE EXCEPTION '%s'; END IF; RETURN NEW; END $$;"
					   " CREATE TRIGGER forced_failure BEFORE INSERT ON %s FOR EACH ROW"
					   " EXECUTE FUNCTION forced_failure()",
					   condition, message, table)
			    : bl_xasprintf("CREATE TRIGGER forced_failure BEFORE INSERT ON %s WHEN %s"
					   " BEGIN SELECT RAISE(ABORT, '%s'); END",
					   table, condition, message);
	raw_exec(path, sql);
	free(sql);
}

static void unforce_failure(const char *path, const char *table)
{
	char *sql = is_pg() ? bl_xasprintf("DROP TRIGGER forced_failure ON %s; DROP FUNCTION forced_failure()", table)
			    : bl_xstrdup("DROP TRIGGER forced_failure");
	raw_exec(path, sql);
	free(sql);
}

/* Values of column joined with ',' in query order: group_concat or string_agg. */
static char *raw_joined(const char *path, const char *column, const char *subquery)
{
	char *sql = is_pg() ? bl_xasprintf("SELECT string_agg(%s::text, ',') FROM (%s) q", column, subquery)
			    : bl_xasprintf("SELECT group_concat(%s, ',') FROM (%s) q", column, subquery);
	char *v = raw_text(path, sql);
	free(sql);
	return v;
}

/* Everything about the schema (tables, columns, types, indexes, views), as one string. */
static char *schema_signature(const char *path)
{
	if (!is_pg())
		return raw_text(path, "SELECT group_concat(sql, ';') FROM sqlite_master");
	return raw_text(path,
			"SELECT coalesce((SELECT string_agg(table_name || '.' || column_name || ':' || data_type, ';'"
			" ORDER BY table_name, ordinal_position) FROM information_schema.columns"
			" WHERE table_schema = current_schema()), '') || '|' ||"
			" coalesce((SELECT string_agg(indexdef, ';' ORDER BY indexname) FROM pg_indexes"
			" WHERE schemaname = current_schema()), '')");
}

static int64_t table_count(const char *path)
{
	return raw_int(path, is_pg() ? "SELECT count(*) FROM information_schema.tables"
				       " WHERE table_schema = current_schema()"
				     : "SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view')");
}

static void read_bytes(const char *path, struct bl_buf *b)
{
	struct bl_error err = {{0}};
	bl_buf_init(b);
	if (bl_read_file(path, b, &err) != 0)
		fail_msg("%s", err.msg);
}

static bool file_exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

/* ---- fixtures -------------------------------------------------------------------------------------------------- */

static void fill_machine(struct bl_machine *m, const char *fingerprint, const char *hostname)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->fingerprint, sizeof(m->fingerprint), "%s", fingerprint);
	m->hostname = (char *)hostname;
	m->os = (char *)"Debian GNU/Linux 12";
	m->kernel = (char *)"6.1.0";
	m->arch = (char *)"x86_64";
	m->cpu_model = (char *)"Test CPU";
	m->cpu_count = 8;
	m->memory_bytes = 16LL << 30;
	m->gpus_json = (char *)"[]";
}

static int64_t add_machine(struct bl_store *s, const char *fingerprint, const char *hostname)
{
	struct bl_machine m;
	struct bl_error err = {{0}};
	int64_t id = -1;
	fill_machine(&m, fingerprint, hostname);
	if (bl_store_put_machine(s, &m, &id, &err) != 0)
		fail_msg("put_machine: %s", err.msg);
	return id;
}

static struct bl_case_key case_key(int64_t machine_id, const char *sha, const char *name, const char *params)
{
	struct bl_case_key k = {
		.repository = "/src/repo",
		.branch = "main",
		.commit_sha = sha,
		.commit_subject = "Make it faster",
		.machine_id = machine_id,
		.suite_hash = "suite1",
		.name = name,
		.params_json = params,
		.metadata_json = "{\"gpu_name\":\"none\"}",
	};
	return k;
}

static int64_t open_case_ok(struct bl_store *s, const struct bl_case_key *k, struct bl_case_state *st)
{
	struct bl_error err = {{0}};
	if (bl_store_open_case(s, k, st, &err) != 0)
		fail_msg("open_case: %s", err.msg);
	return st->benchmark_id;
}

static struct bl_run_record run_record(int64_t benchmark_id, bool warmup, int index, double wall,
				       const struct bl_metric *metrics, size_t n_metrics)
{
	struct bl_run_record r = {
		.benchmark_id = benchmark_id,
		.warmup = warmup,
		.index = index,
		.start_unix_ns = 1795707000123456789LL, /* 2026-11-26T... with .123 ms */
		.wall_s = wall,
		.user_s = wall / 2,
		.sys_s = 0.01,
		.peak_rss_bytes = 1 << 20,
		.peak_source = "rusage",
		.exit_code = 0,
		.status = "ok",
		.env_hash = "envhash",
		.metrics = metrics,
		.n_metrics = n_metrics,
	};
	return r;
}

static int64_t add_run_ok(struct bl_store *s, const struct bl_run_record *r)
{
	struct bl_error err = {{0}};
	int64_t id = -1;
	if (bl_store_add_run(s, r, &id, &err) != 0)
		fail_msg("add_run: %s", err.msg);
	assert_true(id > 0);
	return id;
}

static void put_commit_ok(struct bl_store *s, const char *repo, const char *sha, int64_t when, const char *subject)
{
	struct bl_commit_info ci = {0};
	struct bl_error err = {{0}};
	snprintf(ci.sha, sizeof(ci.sha), "%s", sha);
	ci.parents = (char *)"";
	ci.author_name = (char *)"A U Thor";
	ci.author_email = (char *)"author@example.com";
	ci.author_time = when - 10;
	ci.commit_time = when;
	ci.subject = (char *)subject;
	if (bl_store_put_commit(s, repo, &ci, &err) != 0)
		fail_msg("put_commit: %s", err.msg);
}

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SHA_C "cccccccccccccccccccccccccccccccccccccccc"

/* ---- tests ----------------------------------------------------------------------------------------------------- */

static bool table_exists(const char *path, const char *name, bool view)
{
	char *sql = is_pg() ? bl_xasprintf("SELECT count(*) FROM information_schema.tables WHERE table_schema ="
					   " current_schema() AND table_name = '%s' AND table_type = '%s'",
					   name, view ? "VIEW" : "BASE TABLE")
			    : bl_xasprintf("SELECT count(*) FROM sqlite_master WHERE type = '%s' AND name = '%s'",
					   view ? "view" : "table", name);
	bool found = raw_int(path, sql) == 1;
	free(sql);
	return found;
}

/* The type of a column as the backend names it ("" when there is no such column). */
static char *column_type(const char *path, const char *table, const char *column)
{
	char *sql = is_pg() ? bl_xasprintf("SELECT coalesce(max(data_type), '') FROM information_schema.columns WHERE"
					   " table_schema = current_schema() AND table_name = '%s' AND column_name = '%s'",
					   table, column)
			    : bl_xasprintf("SELECT coalesce(max(type), '') FROM pragma_table_info('%s') WHERE name = '%s'",
					   table, column);
	char *type = raw_text(path, sql);
	free(sql);
	return type;
}

static void test_schema_created(void **state)
{
	char *path = fresh_target();
	struct bl_store *s = open_ok(path);
	assert_string_equal(s->ops->name, is_pg() ? "postgresql" : "sqlite");
	bl_store_close(s);

	assert_int_equal(raw_int(path, "SELECT version FROM schema_version"), BL_SCHEMA_VERSION);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM schema_version"), 1);
	if (!is_pg()) {
		char *mode = raw_text(path, "PRAGMA journal_mode");
		assert_string_equal(mode, "wal");
		free(mode);
	}
	const char *tables[] = {"machines", "commits", "benchmarks", "builds", "runs",
				"metric_names", "metric_values", "model_measurements", "device_measurements"};
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (!table_exists(path, tables[i], false))
			fail_msg("table %s missing", tables[i]);
	/* The transformers v1 columns keep their names. */
	const char *v1_columns[][2] = {
		{"benchmarks", "benchmark_id"},		{"benchmarks", "branch"},
		{"benchmarks", "commit_id"},		{"benchmarks", "commit_message"},
		{"benchmarks", "metadata"},		{"benchmarks", "created_at"},
		{"device_measurements", "measurement_id"}, {"device_measurements", "benchmark_id"},
		{"device_measurements", "cpu_util"},	{"device_measurements", "mem_megabytes"},
		{"device_measurements", "gpu_util"},	{"device_measurements", "gpu_mem_megabytes"},
		{"device_measurements", "time"},	{"device_measurements", "run_id"},
		{"model_measurements", "measurement_id"}, {"model_measurements", "benchmark_id"},
		{"model_measurements", "measurements"},	{"model_measurements", "time"},
		{"model_measurements", "run_id"},
	};
	for (size_t i = 0; i < sizeof(v1_columns) / sizeof(v1_columns[0]); i++) {
		char *type = column_type(path, v1_columns[i][0], v1_columns[i][1]);
		if (!*type)
			fail_msg("column %s.%s missing", v1_columns[i][0], v1_columns[i][1]);
		free(type);
	}
	const char *indexes[] = {"runs_by_benchmark", "benchmarks_by_commit", "benchmarks_by_case"};
	for (size_t i = 0; i < sizeof(indexes) / sizeof(indexes[0]); i++) {
		char *sql = is_pg() ? bl_xasprintf("SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema()"
						   " AND indexname = '%s'", indexes[i])
				    : bl_xasprintf("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '%s'",
						   indexes[i]);
		assert_int_equal(raw_int(path, sql), 1);
		free(sql);
	}
	if (is_pg()) {
		/* PostgreSQL's types: JSONB where transformers v1 used JSON, BIGINT ids, TIMESTAMPTZ times. */
		const char *types[][3] = {
			{"benchmarks", "metadata", "jsonb"},
			{"model_measurements", "measurements", "jsonb"},
			{"machines", "gpus", "jsonb"},
			{"benchmarks", "params", "text"},
			{"benchmarks", "benchmark_id", "bigint"},
			{"runs", "run_id", "bigint"},
			{"device_measurements", "measurement_id", "bigint"},
			{"metric_values", "value_id", "bigint"},
			{"metric_values", "value", "double precision"},
			{"runs", "started_at", "timestamp with time zone"},
			{"device_measurements", "time", "timestamp with time zone"},
			{"commits", "commit_time", "timestamp with time zone"},
		};
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
			char *type = column_type(path, types[i][0], types[i][1]);
			if (strcmp(type, types[i][2]) != 0)
				fail_msg("%s.%s is '%s', not %s", types[i][0], types[i][1], type, types[i][2]);
			free(type);
		}
		assert_int_equal(raw_int(path, "SELECT count(*) FROM information_schema.table_constraints t"
					       " JOIN information_schema.key_column_usage k USING (constraint_name, table_name)"
					       " WHERE t.table_name = 'metric_values' AND t.constraint_type = 'PRIMARY KEY'"
					       " AND k.column_name = 'value_id'"),
				 1);
	} else {
		/* Metric values are clustered by run: their integer primary key (the rowid) is run_id * 1000000 + seq. */
		assert_int_equal(raw_int(path, "SELECT count(*) FROM pragma_table_info('metric_values')"
					       " WHERE name = 'value_id' AND pk = 1 AND type = 'INTEGER'"),
				 1);
	}
	/* SQL written against one row per value keeps working through the view. */
	assert_true(table_exists(path, "metrics", true));
	char *columns = is_pg() ? raw_text(path, "SELECT string_agg(column_name, ',' ORDER BY ordinal_position)"
						 " FROM information_schema.columns WHERE table_name = 'metrics'")
				: raw_text(path, "SELECT group_concat(name, ',') FROM pragma_table_info('metrics')");
	assert_string_equal(columns, "run_id,seq,name,value,unit,better");
	free(columns);
	free(path);
}

static void test_reopen_idempotent(void **state)
{
	char *path = fresh_target();
	struct bl_store *s = open_ok(path);
	int64_t mid = add_machine(s, "fp1", "host1");
	bl_store_close(s);
	char *schema1 = schema_signature(path);
	for (int i = 0; i < 3; i++) {
		s = open_ok(path);
		assert_int_equal(add_machine(s, "fp1", "host1"), mid);
		bl_store_close(s);
	}
	char *schema2 = schema_signature(path);
	assert_string_equal(schema1, schema2);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM schema_version"), 1);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM machines"), 1);
	free(schema1);
	free(schema2);
	free(path);
}

/* A database of schema version 2 (no jobs table) is upgraded in place and
 * keeps its rows (test_upgrade_from_v1 starts from real version-1 dumps). */
static void test_upgrade_from_version_2(void **state)
{
	char *path = fresh_target();
	struct bl_store *s = open_ok(path);
	int64_t mid = add_machine(s, "fp1", "host1");
	bl_store_close(s);
	raw_exec(path, "DROP TABLE jobs");
	raw_exec(path, "UPDATE schema_version SET version = 2");
	assert_false(table_exists(path, "jobs", false));
	s = open_ok(path);
	bl_store_close(s);
	assert_true(table_exists(path, "jobs", false));
	assert_int_equal(raw_int(path, "SELECT version FROM schema_version"), BL_SCHEMA_VERSION);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM schema_version"), 1);
	assert_int_equal(raw_int(path, "SELECT machine_id FROM machines WHERE fingerprint = 'fp1'"), mid);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM jobs"), 0);
	free(path);
}

/* What a refused open must leave as it was: the file's bytes, or the
 * database's schema, version and rows. */
static char *state_of(const char *path)
{
	if (!is_pg()) {
		struct bl_buf b;
		read_bytes(path, &b);
		/* As hex: the file may hold NUL bytes. */
		struct bl_buf hex;
		bl_buf_init(&hex);
		for (size_t i = 0; i < b.len; i++)
			bl_buf_printf(&hex, "%02x", (unsigned char)b.data[i]);
		bl_buf_release(&b);
		return bl_buf_detach(&hex);
	}
	char *schema = schema_signature(path);
	char *version = table_exists(path, "schema_version", false)
				? raw_text(path, "SELECT string_agg(version::text, ',') FROM schema_version")
				: bl_xstrdup("-");
	char *machines = table_exists(path, "machines", false)
				 ? raw_text(path, "SELECT count(*) FROM machines")
				 : bl_xstrdup("-");
	char *all = bl_xasprintf("%s|%s|%s", schema, version, machines);
	free(schema);
	free(version);
	free(machines);
	return all;
}

static void expect_refused_unchanged(const char *path, const char *expect)
{
	char *before = state_of(path);
	struct bl_store *s = NULL;
	struct bl_error err = {{0}};
	assert_int_equal(bl_store_open(path, &s, &err), -1);
	assert_null(s);
	if (!strstr(err.msg, expect))
		fail_msg("message '%s' lacks '%s'", err.msg, expect);
	char *after = state_of(path);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void test_newer_version_refused(void **state)
{
	/* A store written by a future benchline (full schema). */
	char *path = fresh_target();
	char *name = shown(path);
	struct bl_store *s = open_ok(path);
	add_machine(s, "fp1", "host1");
	bl_store_close(s);
	raw_exec(path, "UPDATE schema_version SET version = 7");
	char *expect = bl_xasprintf(
		"database '%s' has schema version 7, newer than this benchline (%d); upgrade benchline", name,
		BL_SCHEMA_VERSION);
	expect_refused_unchanged(path, expect);
	/* Refused again: nothing was migrated or rewritten on the first try. */
	expect_refused_unchanged(path, expect);
	assert_int_equal(raw_int(path, "SELECT version FROM schema_version"), 7);
	free(expect);
	free(name);
	free(path);

	/* Only a version table (SQLite: a rollback-journal file; opening must
	 * not even switch it to WAL): no table is added. */
	path = fresh_target();
	name = shown(path);
	if (is_pg()) {
		raw_exec(path, "CREATE TABLE schema_version (version INTEGER NOT NULL);"
			       " INSERT INTO schema_version VALUES (7)");
	} else {
		sqlite3 *db = NULL;
		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "CREATE TABLE schema_version (version INTEGER NOT NULL);"
						  " INSERT INTO schema_version VALUES (7);",
					      NULL, NULL, NULL),
				 SQLITE_OK);
		sqlite3_close(db);
	}
	expect = bl_xasprintf("database '%s' has schema version 7", name);
	expect_refused_unchanged(path, expect);
	assert_int_equal(table_count(path), 1);
	if (!is_pg()) {
		char *wal = bl_xasprintf("%s-wal", path);
		assert_false(file_exists(wal));
		char *mode = raw_text(path, "PRAGMA journal_mode");
		assert_string_equal(mode, "delete");
		free(mode);
		free(wal);
	}
	free(expect);
	free(name);
	free(path);
}

/* Some other program's database is not taken over. */
static void test_foreign_database(void **state)
{
	char *path = fresh_target();
	char *name = shown(path);
	if (is_pg()) {
		raw_exec(path, "CREATE TABLE notes (t TEXT)");
	} else {
		sqlite3 *db = NULL;
		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "CREATE TABLE notes (t TEXT)", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
	}
	char *expect = bl_xasprintf("'%s': it is a %s database but not a benchline one", name,
				    is_pg() ? "PostgreSQL" : "SQLite");
	expect_refused_unchanged(path, expect);
	assert_int_equal(table_count(path), 1);
	free(expect);
	free(name);
	free(path);
}

static void test_not_a_database(void **state)
{
	char *path = fresh_path();
	const char junk[] = "this is a benchline.yaml, not a database\nversion: 1\n";
	struct bl_error err = {{0}};
	assert_int_equal(bl_write_file_atomic(path, junk, strlen(junk), &err), 0);
	char *expect = bl_xasprintf("'%s' is not a SQLite database", path);
	expect_refused_unchanged(path, expect);
	free(expect);

	/* A directory, and a missing parent directory (the caller creates it). */
	char *dir = bl_xstrndup(path, (size_t)(strrchr(path, '/') - path));
	struct bl_store *s = NULL;
	assert_int_equal(bl_store_open(dir, &s, &err), -1);
	assert_non_null(strstr(err.msg, "is a directory"));
	char *missing = bl_xasprintf("%s/no/such/dir/results.db", dir);
	assert_int_equal(bl_store_open(missing, &s, &err), -1);
	assert_non_null(strstr(err.msg, missing));
	assert_null(s);
	free(missing);
	free(dir);
	free(path);
}

/* Targets: URLs are shown without their password; unknown schemes are
 * refused rather than taken for file names. */
static void test_store_targets(void **state)
{
	const char *cases[][2] = {
		{"postgresql://bench:s3cret@db.example.com/metrics", "postgresql://bench:***@db.example.com/metrics"},
		{"postgres://bench:p%40ss@db:5433/m?sslmode=require", "postgres://bench:***@db:5433/m?sslmode=require"},
		{"postgresql://bench:a@b@db/m", "postgresql://bench:***@db/m"},
		{"postgresql://bench@db/m?password=s3cret&sslmode=require",
		 "postgresql://bench@db/m?password=***&sslmode=require"},
		{"postgresql://db/metrics", "postgresql://db/metrics"},
		{"/path/to/results.db", "/path/to/results.db"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = bl_store_display_name(cases[i][0]);
		assert_string_equal(got, cases[i][1]);
		free(got);
	}
	assert_true(bl_store_is_postgres("postgres://db/m"));
	assert_true(bl_store_is_postgres("postgresql://db/m"));
	assert_false(bl_store_is_postgres("/tmp/postgresql://x"));

	struct bl_store *s = NULL;
	struct bl_error err = {{0}};
	/* Nothing listens on port 1: a clear message, the URL redacted. */
	assert_int_equal(bl_store_open("postgresql://bench:s3cret@127.0.0.1:1/metrics", &s, &err), -1);
	assert_null(s);
	if (!strstr(err.msg, "cannot connect to store 'postgresql://bench:***@127.0.0.1:1/metrics': "))
		fail_msg("unexpected message: %s", err.msg);
	assert_non_null(strstr(err.msg, "Connection refused"));
	assert_null(strstr(err.msg, "s3cret"));
	assert_null(strchr(err.msg, '\n'));
	assert_int_equal(bl_store_open("mysql://db/metrics", &s, &err), -1);
	assert_non_null(strstr(err.msg, "unknown store type 'mysql'"));
	assert_int_equal(bl_store_open("", &s, &err), -1);
}

/* A wrong password or database: the message names the server (redacted) and says why. */
static void test_pg_connection_errors(void **state)
{
	struct bl_store *s = NULL;
	struct bl_error err = {{0}};
	/* The test URL is postgresql://USER:PASSWORD@HOST:PORT/DB: swap the password. */
	const char *auth = strstr(pg_url, "://") + 3;
	const char *colon = strchr(auth, ':'), *at = strrchr(pg_url, '@');
	assert_true(colon && at && colon < at);
	char *password = bl_xstrndup(colon + 1, (size_t)(at - colon - 1));
	char *wrong = bl_xasprintf("%.*sWrongPassw0rd%s", (int)(colon + 1 - pg_url), pg_url, at);
	assert_int_equal(bl_store_open(wrong, &s, &err), -1);
	assert_null(s);
	char *name = shown(wrong);
	char *expect = bl_xasprintf("cannot connect to store '%s': ", name);
	if (!strstr(err.msg, expect) || !strstr(err.msg, "password authentication failed"))
		fail_msg("unexpected message: %s", err.msg);
	assert_null(strstr(err.msg, "WrongPassw0rd"));
	assert_null(strstr(err.msg, password));
	free(expect);
	free(name);
	free(wrong);

	char *missing = url_with_db(pg_url, "no_such_database");
	assert_int_equal(bl_store_open(missing, &s, &err), -1);
	assert_non_null(strstr(err.msg, "no_such_database"));
	assert_non_null(strstr(err.msg, "does not exist"));
	assert_null(strstr(err.msg, password));
	free(missing);
	free(password);
}

static void test_sync_setting(void **state)
{
	char *path = fresh_path();
	struct bl_store *s = NULL;
	struct bl_error err = {{0}};
	setenv("BENCHLINE_SQLITE_SYNC", "sometimes", 1);
	assert_int_equal(bl_store_open(path, &s, &err), -1);
	assert_non_null(strstr(err.msg, "BENCHLINE_SQLITE_SYNC"));
	assert_false(file_exists(path));
	setenv("BENCHLINE_SQLITE_SYNC", "full", 1);
	s = open_ok(path);
	bl_store_close(s);
	unsetenv("BENCHLINE_SQLITE_SYNC");
	free(path);
}

static void test_machine_upsert(void **state)
{
	char *path = fresh_target();
	struct bl_store *s = open_ok(path);
	int64_t a = add_machine(s, "fp-a", "alpha");
	assert_true(a > 0);
	assert_int_equal(add_machine(s, "fp-a", "alpha"), a);
	/* Same fingerprint, renamed host: same machine, new details. */
	assert_int_equal(add_machine(s, "fp-a", "alpha-renamed"), a);
	int64_t b = add_machine(s, "fp-b", "beta");
	assert_true(b != a);
	struct bl_machine m;
	struct bl_error err = {{0}};
	int64_t id;
	fill_machine(&m, "", "nofp");
	assert_int_equal(bl_store_put_machine(s, &m, &id, &err), -1);
	bl_store_close(s);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM machines"), 2);
	char *host = raw_text(path, "SELECT hostname FROM machines WHERE fingerprint = 'fp-a'");
	assert_string_equal(host, "alpha-renamed");
	free(host);
	char *created = raw_time(path, "created_at", "FROM machines WHERE fingerprint = 'fp-a'");
	assert_int_equal(strlen(created), 24); /* 2026-11-26T15:30:00.123Z */
	assert_int_equal(created[23], 'Z');
	assert_int_equal(created[19], '.');
	free(created);
	free(path);
}

static void test_put_commit_upsert(void **state)
{
	char *path = fresh_target();
	struct bl_store *s = open_ok(path);
	put_commit_ok(s, "/src/repo", SHA_A, 1795707000, "First subject");
	put_commit_ok(s, "/src/repo", SHA_A, 1795707000, "Amended subject");
	put_commit_ok(s, "/src/other", SHA_A, 1795707000, "Other repository");
	bl_store_close(s);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM commits"), 2);
	char *subj = raw_text(path, "SELECT subject FROM commits WHERE repository = '/src/repo'");
	assert_string_equal(subj, "Amended subject");
	free(subj);
	char *t = raw_time(path, "commit_time", "FROM commits WHERE repository = '/src/repo'");
	assert_string_equal(t, "2026-11-26T15:30:00.000Z");
	free(t);
	free(path);
}

static void test_open_case(void **state)
{
	char *path = fresh_target();
	struct bl_store *s = open_ok(path);
	int64_t mid = add_machine(s, "fp1", "host1");
	struct bl_case_key k = case_key(mid, SHA_A, "compress", "{\"level\":\"1\"}");
	/* 80 characters, some of them two bytes long: cut at 70 characters, not bytes. */
	k.commit_subject = "Éééééééééé make the compressor faster on short inputs by caching tables xxxxxxxx";
	struct bl_case_state st;
	int64_t id = open_case_ok(s, &k, &st);
	assert_true(id > 0);
	assert_string_equal(st.status, BL_CASE_PENDING);
	assert_int_equal(st.n_measured_done, 0);
	assert_int_equal(st.n_warmups, 0);
	bl_case_state_release(&st);

	struct bl_metric m = {.name = (char *)"ratio", .value = 2.5};
	struct bl_run_record w = run_record(id, true, 0, 0.5, &m, 1);
	add_run_ok(s, &w);
	struct bl_run_record r2 = run_record(id, false, 2, 0.4, &m, 1);
	add_run_ok(s, &r2);
	struct bl_run_record r0 = run_record(id, false, 0, 0.3, &m, 1);
	add_run_ok(s, &r0);

	assert_int_equal(open_case_ok(s, &k, &st), id);
	assert_int_equal(st.n_measured_done, 2);
	assert_int_equal(st.measured_done[0], 0);
	assert_int_equal(st.measured_done[1], 2);
	assert_int_equal(st.n_warmups, 1);
	bl_case_state_release(&st);

	struct bl_error err = {{0}};
	assert_int_equal(bl_store_set_case_status(s, id, BL_CASE_COMPLETE, &err), 0);
	assert_int_equal(open_case_ok(s, &k, &st), id);
	assert_string_equal(st.status, BL_CASE_COMPLETE);
	bl_case_state_release(&st);
	assert_int_equal(bl_store_set_case_status(s, 99999, BL_CASE_COMPLETE, &err), -1);
	assert_non_null(strstr(err.msg, "no such benchmark"));

	/* Each part of the key makes a different case. */
	struct bl_case_key k2 = k;
	k2.params_json = "{\"level\":\"9\"}";
	assert_true(open_case_ok(s, &k2, &st) != id);
	bl_case_state_release(&st);
	k2 = k;
	k2.suite_hash = "suite2";
	assert_true(open_case_ok(s, &k2, &st) != id);
	bl_case_state_release(&st);
	k2 = k;
	k2.params_json = "[1]";
	assert_int_equal(bl_store_open_case(s, &k2, &st, &err), -1);
	assert_non_null(strstr(err.msg, "not a JSON object"));
	k2 = k;
	k2.machine_id = 4242;
	assert_int_equal(bl_store_open_case(s, &k2, &st, &err), -1);
	assert_non_null(strstr(err.msg, "machine 4242"));
	bl_store_close(s);

	char *msg = raw_text(path, "SELECT commit_message FROM benchmarks WHERE benchmark_id = 1");
	assert_string_equal(msg, "Éééééééééé make the compressor faster on short inputs by caching table");
	free(msg);
	assert_int_equal(raw_int(path, "SELECT length(commit_message) FROM benchmarks WHERE benchmark_id = 1"), 70);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM benchmarks"), 3);
	free(path);
}

static int64_t count_rows(const char *path, const char *table)
{
	char *sql = bl_xasprintf("SELECT count(*) FROM %s", table);
	int64_t n = raw_int(path, sql);
	free(sql);
	return n;
}

struct row_counts {
	int64_t runs, metrics, models;
};

static struct row_counts counts(const char *path)
{
	struct row_counts c = {count_rows(path, "runs"), count_rows(path, "metrics"),
			       count_rows(path, "model_measurements")};
	return c;
}

static void assert_counts(const char *path, struct row_counts want)
{
	struct row_counts got = counts(path);
	assert_int_equal(got.runs, want.runs);
	assert_int_equal(got.metrics, want.metrics);
	assert_int_equal(got.models, want.models);
	/* The view shows every stored value: none is left without its run or name. */
	assert_int_equal(count_rows(path, "metric_values"), want.metrics);
}

static void test_add_run_stores_everything(void **state)
{
	char *path = fresh_target();
	struct bl_store *s = open_ok(path);
	int64_t mid = add_machine(s, "fp1", "host1");
	struct bl_case_state st;
	struct bl_case_key k = case_key(mid, SHA_A, "decode", "{}");
	int64_t bid = open_case_ok(s, &k, &st);
	bl_case_state_release(&st);

	struct bl_metric metrics[] = {
		{.name = (char *)"latency", .value = 0.0123, .unit = (char *)"s", .better = BL_BETTER_LOWER},
		{.name = (char *)"throughput", .value = 812.5, .unit = (char *)"tok/s", .better = BL_BETTER_HIGHER},
		{.name = (char *)"ratio", .value = 3},
	};
	char *measurements[] = {(char *)"{\"model_load_time\":2.5}", (char *)"{\"first_token_s\":0.04}"};
	struct bl_run_record r = run_record(bid, false, 0, 1.25, metrics, 3);
	r.measurements = measurements;
	r.n_measurements = 2;
	r.stdout_log = "/logs/0.out";
	r.cpu_list = "2-3";
	int64_t run_id = add_run_ok(s, &r);

	/* A second measured run with the same index is refused, and nothing of it stays. */
	struct bl_error err = {{0}};
	struct bl_run_record dup = r;
	dup.wall_s = 9.0;
	assert_int_equal(bl_store_add_run(s, &dup, NULL, &err), BL_STORE_ALREADY_STORED);
	assert_non_null(strstr(err.msg, "measured run 0 of benchmark"));
	assert_non_null(strstr(err.msg, "already stored"));
	char *name = shown(path);
	assert_non_null(strstr(err.msg, name));
	free(name);
	/* Warm-ups have their own numbering and are never unique-checked against measured runs. */
	struct bl_run_record w = run_record(bid, true, 0, 2.0, metrics, 1);
	add_run_ok(s, &w);
	/* A killed run: no exit status, the signal instead. */
	struct bl_run_record killed = run_record(bid, false, 1, 3.0, NULL, 0);
	killed.status = "timeout";
	killed.term_signal = 9;
	killed.exit_code = 0;
	killed.peak_rss_bytes = -1;
	add_run_ok(s, &killed);
	bl_store_close(s);

	assert_counts(path, (struct row_counts){3, 4, 2});
	char *sql = bl_xasprintf("SELECT count(*) FROM runs WHERE run_id = %lld AND kind = 'measured' AND idx = 0"
				 " AND wall_s = 1.25 AND status = 'ok' AND exit_code = 0 AND term_signal IS NULL"
				 " AND stdout_log = '/logs/0.out' AND stderr_log IS NULL AND cpu_list = '2-3'"
				 " AND peak_rss_bytes = 1048576 AND peak_source = 'rusage' AND env_hash = 'envhash'",
				 (long long)run_id);
	assert_int_equal(raw_int(path, sql), 1);
	free(sql);
	char *started = raw_time(path, "started_at", "FROM runs WHERE kind = 'measured' AND idx = 0");
	assert_string_equal(started, "2026-11-26T15:30:00.123Z");
	free(started);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM runs WHERE idx = 1 AND exit_code IS NULL"
				       " AND term_signal = 9 AND peak_rss_bytes IS NULL"),
			 1);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM metrics JOIN runs USING (run_id) WHERE kind = 'measured'"
				       " AND name = 'latency' AND value = 0.0123"
				       " AND unit = 's' AND better = 'lower'"),
			 1);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM metrics WHERE name = 'ratio' AND unit IS NULL"
				       " AND better IS NULL"),
			 1);
	sql = bl_xasprintf("SELECT count(*) FROM model_measurements m JOIN runs r USING (run_id)"
			   " WHERE r.kind = 'measured' AND m.benchmark_id = r.benchmark_id AND %s = 2.5",
			   is_pg() ? "(m.measurements->>'model_load_time')::float8"
				   : "json_extract(m.measurements, '$.model_load_time')");
	assert_int_equal(raw_int(path, sql), 1);
	free(sql);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM runs WHERE wall_s = 9.0"), 0);
	/* The timed-out run marked its case failed in its own transaction. */
	char *status = raw_text(path, "SELECT status FROM benchmarks");
	assert_string_equal(status, "failed");
	free(status);
	free(path);
}

/* bl_store_begin ... commit makes several operations one transaction
 * (a worker's job): a rollback leaves nothing, a failed operation inside is
 * undone alone and the rest commits. Both backends. */
static void test_batch_transaction(void **state)
{
	char *path = fresh_target();
	struct bl_store *s = open_ok(path);
	struct bl_error err = {{0}};
	int64_t mid = add_machine(s, "fp1", "host1");
	struct bl_case_state st;
	struct bl_case_key k = case_key(mid, SHA_A, "decode", "{}");
	struct bl_metric m[] = {{.name = (char *)"tokens", .value = 7}};

	/* Rolled back: no case, no run, no metric name. */
	assert_int_equal(bl_store_begin(s, &err), 0);
	assert_int_equal(bl_store_begin(s, &err), -1);
	assert_non_null(strstr(err.msg, "already open"));
	int64_t bid = open_case_ok(s, &k, &st);
	bl_case_state_release(&st);
	struct bl_run_record r = run_record(bid, false, 0, 1.0, m, 1);
	add_run_ok(s, &r);
	bl_store_rollback(s);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM benchmarks"), 0);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM runs"), 0);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM metric_names WHERE name = 'tokens'"), 0);

	/* Committed, with a failed duplicate in the middle undone on its own;
	 * the metric key forgotten with the rollback is not reused. */
	assert_int_equal(bl_store_begin(s, &err), 0);
	bid = open_case_ok(s, &k, &st);
	bl_case_state_release(&st);
	r = run_record(bid, false, 0, 1.0, m, 1);
	add_run_ok(s, &r);
	assert_int_equal(bl_store_add_run(s, &r, NULL, &err), BL_STORE_ALREADY_STORED);
	r = run_record(bid, false, 1, 1.5, m, 1);
	add_run_ok(s, &r);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM runs"), 0); /* not visible before the commit */
	assert_int_equal(bl_store_commit(s, &err), 0);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM runs"), 2);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM metrics WHERE name = 'tokens'"), 2);
	assert_int_equal(bl_store_commit(s, &err), -1);
	assert_non_null(strstr(err.msg, "no transaction is open"));

	/* Outside a batch, operations are their own transactions again. */
	r = run_record(bid, false, 2, 2.0, m, 1);
	add_run_ok(s, &r);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM runs"), 3);
	bl_store_close(s);
	free(path);
}

static void test_failed_add_run_leaves_nothing(void **state)
{
	char *path = fresh_target();
	struct bl_store *s = open_ok(path);
	int64_t mid = add_machine(s, "fp1", "host1");
	struct bl_case_state st;
	struct bl_case_key k = case_key(mid, SHA_A, "decode", "{}");
	int64_t bid = open_case_ok(s, &k, &st);
	bl_case_state_release(&st);
	struct bl_error err = {{0}};

	/* The bad metric comes after a good one: the run row and the first
	 * metric's name are already written when it is found. */
	struct bl_metric bad_name[] = {{.name = (char *)"ok", .value = 1}, {.name = NULL, .value = 2}};
	struct bl_run_record r = run_record(bid, false, 0, 1.0, bad_name, 2);
	assert_int_equal(bl_store_add_run(s, &r, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "metric 2 has no name"));
	assert_counts(path, (struct row_counts){0, 0, 0});

	struct bl_metric nan_value[] = {{.name = (char *)"ok", .value = 1}, {.name = (char *)"bad", .value = NAN}};
	r = run_record(bid, false, 0, 1.0, nan_value, 2);
	assert_int_equal(bl_store_add_run(s, &r, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "non-finite"));
	assert_counts(path, (struct row_counts){0, 0, 0});

	struct bl_metric good[] = {{.name = (char *)"a", .value = 1}, {.name = (char *)"b", .value = 2}};
	char *bad_json[] = {(char *)"{\"x\":1}", (char *)"{not json"};
	r = run_record(bid, false, 0, 1.0, good, 2);
	r.measurements = bad_json;
	r.n_measurements = 2;
	assert_int_equal(bl_store_add_run(s, &r, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "model measurement 2 is not a JSON object"));
	assert_counts(path, (struct row_counts){0, 0, 0});

	/* A constraint failure raised by SQLite itself, half-way through the run's metrics. */
	force_failure(path, "metric_values", "NEW.metric_key = (SELECT metric_key FROM metric_names WHERE name = 'boom')",
		      "forced constraint failure");
	struct bl_metric boom[] = {{.name = (char *)"a", .value = 1}, {.name = (char *)"boom", .value = 2}};
	r = run_record(bid, false, 0, 1.0, boom, 2);
	assert_int_equal(bl_store_add_run(s, &r, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "forced constraint failure"));
	assert_non_null(strstr(err.msg, "metric 'boom'"));
	assert_counts(path, (struct row_counts){0, 0, 0});
	unforce_failure(path, "metric_values");

	/* A run of a case that does not exist. */
	r = run_record(bid + 100, false, 0, 1.0, good, 2);
	assert_int_equal(bl_store_add_run(s, &r, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "is not in"));

	/* The store is still usable: no transaction was left open. */
	r = run_record(bid, false, 0, 1.0, good, 2);
	add_run_ok(s, &r);
	assert_counts(path, (struct row_counts){1, 2, 0});
	assert_int_equal(open_case_ok(s, &k, &st), bid);
	assert_int_equal(st.n_measured_done, 1);
	bl_case_state_release(&st);
	bl_store_close(s);
	free(path);
}

/* Device samples: one row per sample and GPU, in batches; an invalid value is NULL, never 0. */
static void fill_samples(struct bl_sample *x, size_t n, int n_gpus)
{
	memset(x, 0, n * sizeof(*x));
	for (size_t i = 0; i < n; i++) {
		x[i].t_ns = (int64_t)i * 10000000; /* 10 ms apart */
		x[i].warmup = false;
		x[i].proc_cpu_pct = (struct bl_value){.value = 100.0 + (double)i, .valid = true};
		x[i].proc_rss_bytes = (struct bl_value){.value = 2.0 * 1024 * 1024, .valid = true};
		x[i].proc_count = (struct bl_value){.value = 3, .valid = true};
		x[i].sys_cpu_pct = (struct bl_value){.value = 150.0, .valid = true};
		/* system memory unreadable in every sample */
		x[i].n_gpus = n_gpus;
		for (int g = 0; g < n_gpus; g++) {
			x[i].gpu[g].util_pct = (struct bl_value){.value = 50.0 + g, .valid = true};
			x[i].gpu[g].mem_used_bytes = (struct bl_value){.value = 1024.0 * 1024 * 1024, .valid = true};
			x[i].gpu[g].power_w = (struct bl_value){.value = 300.5, .valid = true};
			x[i].gpu[g].temp_c = (struct bl_value){.value = 61, .valid = true};
			x[i].gpu[g].clock_reasons = (struct bl_value){.value = 4, .valid = true};
			/* sm clock and process memory not supported */
		}
	}
	/* the last sample comes after the child was reaped: no process values */
	x[n - 1].proc_cpu_pct.valid = false;
	x[n - 1].proc_rss_bytes.valid = false;
	x[n - 1].proc_count.valid = false;
}

struct device_seen {
	size_t n_samples, n_stats;
	double duration_s;
	struct bl_device_stat cpu, gpu1_util, gpu0_sm;
	char kind[16];
};

static int seen_device(void *ctx, const struct bl_device_report *r)
{
	struct device_seen *d = ctx;
	d->n_samples = r->n_samples;
	d->n_stats = r->n_stats;
	d->duration_s = r->duration_s;
	snprintf(d->kind, sizeof(d->kind), "%s", r->kind);
	for (size_t i = 0; i < r->n_stats; i++) {
		const struct bl_device_stat *st = &r->stats[i];
		if (st->gpu_index < 0 && !strcmp(st->column, "cpu_util"))
			d->cpu = *st;
		if (st->gpu_index == 1 && !strcmp(st->column, "gpu_util"))
			d->gpu1_util = *st;
		if (st->gpu_index == 0 && !strcmp(st->column, "gpu_sm_clock_mhz"))
			d->gpu0_sm = *st;
	}
	return 0;
}

/*
 * Batching: 150 samples of which 70..79 saw one GPU, so rows of both shapes
 * (each shape its own INSERTs of 60, 8 and 1 rows, flushed when the shape
 * changes): every sample lands once, with its own values in its own columns.
 */
static void test_device_samples_batches(void **state)
{
	char *path = fresh_path();
	struct bl_store *s = open_ok(path);
	int64_t mid = add_machine(s, "fp1", "host1");
	struct bl_case_state st;
	struct bl_case_key k = case_key(mid, SHA_A, "decode", "{}");
	int64_t bid = open_case_ok(s, &k, &st);
	bl_case_state_release(&st);
	static struct bl_sample x[150];
	fill_samples(x, 150, 0);
	for (int i = 70; i < 80; i++) {
		x[i].n_gpus = 1;
		x[i].gpu[0].util_pct = (struct bl_value){.value = (double)i, .valid = true};
		x[i].gpu[0].temp_c = (struct bl_value){.value = 60, .valid = true};
	}
	x[0].proc_cpu_pct.valid = false; /* the first: no interval yet */
	struct bl_run_record r = run_record(bid, false, 0, 1.5, NULL, 0);
	r.samples = x;
	r.n_samples = 150;
	int64_t run_id = add_run_ok(s, &r);
	bl_store_close(s);
	char *sql = bl_xasprintf("SELECT count(*) FROM device_measurements WHERE run_id = %lld AND benchmark_id = %lld",
				 (long long)run_id, (long long)bid);
	assert_int_equal(raw_int(path, sql), 150);
	free(sql);
	assert_int_equal(raw_int(path, "SELECT count(DISTINCT t_ns) FROM device_measurements"), 150);
	/* each row's values are its own sample's: cpu 100 + i at t_ns i x 10 ms */
	assert_int_equal(raw_int(path, "SELECT count(*) FROM device_measurements"
				       " WHERE cpu_util = 100 + t_ns / 10000000 AND procs = 3 AND mem_megabytes = 2"),
			 148);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM device_measurements WHERE t_ns IN (0, 1490000000)"
				       " AND cpu_util IS NULL"),
			 2);
	/* the GPU rows and only those */
	assert_int_equal(raw_int(path, "SELECT count(*) FROM device_measurements WHERE gpu_index = 0"
				       " AND gpu_util = t_ns / 10000000 AND gpu_temp_c = 60 AND gpu_power_w IS NULL"
				       " AND t_ns BETWEEN 700000000 AND 790000000"),
			 10);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM device_measurements WHERE gpu_index IS NULL"
				       " AND gpu_util IS NULL AND gpu_temp_c IS NULL AND gpu_power_w IS NULL"),
			 140);
	/* times in order with the samples, milliseconds included */
	assert_int_equal(raw_int(path, "SELECT count(*) FROM device_measurements a JOIN device_measurements b"
				       " ON b.t_ns = a.t_ns + 10000000 WHERE b.time <= a.time"),
			 0);
	free(path);
}

static void test_device_samples(void **state)
{
	char *path = fresh_target();
	struct bl_store *s = open_ok(path);
	int64_t mid = add_machine(s, "fp1", "host1");
	struct bl_case_state st;
	struct bl_case_key k = case_key(mid, SHA_A, "decode", "{}");
	int64_t bid = open_case_ok(s, &k, &st);
	bl_case_state_release(&st);

	/* 40 samples without GPU: five statements of 8 rows */
	static struct bl_sample x[40];
	fill_samples(x, 40, 0);
	x[0].warmup = true;
	struct bl_run_record r = run_record(bid, true, 0, 0.4, NULL, 0);
	r.samples = x;
	r.n_samples = 40;
	int64_t warm_id = add_run_ok(s, &r);
	/* 20 samples on two GPUs: 40 rows */
	static struct bl_sample y[20];
	fill_samples(y, 20, 2);
	r = run_record(bid, false, 0, 0.2, NULL, 0);
	r.samples = y;
	r.n_samples = 20;
	int64_t run_id = add_run_ok(s, &r);
	/* a run without samples adds no row */
	r = run_record(bid, false, 1, 0.2, NULL, 0);
	add_run_ok(s, &r);
	bl_store_close(s);

	char *sql = bl_xasprintf("SELECT count(*) FROM device_measurements WHERE run_id = %lld AND benchmark_id = %lld"
				 " AND gpu_index IS NULL AND gpu_util IS NULL AND gpu_mem_megabytes IS NULL"
				 " AND gpu_power_w IS NULL AND gpu_temp_c IS NULL AND gpu_sm_clock_mhz IS NULL"
				 " AND gpu_clock_reasons IS NULL AND gpu_proc_mem_megabytes IS NULL"
				 " AND sys_cpu_util = 150 AND sys_mem_megabytes IS NULL",
				 (long long)warm_id, (long long)bid);
	assert_int_equal(raw_int(path, sql), 40);
	free(sql);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM device_measurements"), 80);
	/* process values: 39 valid, the stop sample NULL (not 0) */
	sql = bl_xasprintf("SELECT count(*) FROM device_measurements WHERE run_id = %lld AND cpu_util IS NOT NULL"
			   " AND mem_megabytes = 2 AND procs = 3",
			   (long long)warm_id);
	assert_int_equal(raw_int(path, sql), 39);
	free(sql);
	sql = bl_xasprintf("SELECT count(*) FROM device_measurements WHERE run_id = %lld AND cpu_util IS NULL"
			   " AND mem_megabytes IS NULL AND procs IS NULL AND t_ns = 390000000",
			   (long long)warm_id);
	assert_int_equal(raw_int(path, sql), 1);
	free(sql);
	/* the warm-up flag and the time: start + t_ns, in the schema's one format */
	assert_int_equal(raw_int(path, "SELECT count(*) FROM device_measurements WHERE warmup = 1"), 1);
	char *t = raw_time(path, "time", "FROM device_measurements WHERE t_ns = 10000000 AND gpu_index IS NULL");
	assert_string_equal(t, "2026-11-26T15:30:00.133Z");
	free(t);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM device_measurements WHERE cpu_util = 105 AND t_ns = 50000000"
				       " AND gpu_index IS NULL"),
			 1);
	/* two GPUs: a row each per sample */
	sql = bl_xasprintf("SELECT count(*) FROM device_measurements WHERE run_id = %lld AND gpu_index = 1"
			   " AND gpu_util = 51 AND gpu_mem_megabytes = 1024 AND gpu_power_w = 300.5 AND gpu_temp_c = 61"
			   " AND gpu_clock_reasons = 4 AND gpu_sm_clock_mhz IS NULL AND gpu_proc_mem_megabytes IS NULL",
			   (long long)run_id);
	assert_int_equal(raw_int(path, sql), 20);
	free(sql);
	sql = bl_xasprintf("SELECT count(*) FROM device_measurements WHERE run_id = %lld AND gpu_index = 0"
			   " AND gpu_util = 50",
			   (long long)run_id);
	assert_int_equal(raw_int(path, sql), 20);
	free(sql);

	/* The summary `show --device` prints: per sample, not per row; NULLs left out. */
	s = open_ok(path);
	struct device_seen seen = {0};
	struct bl_error qerr = {{0}};
	assert_int_equal(bl_store_run_device(s, run_id, seen_device, &seen, &qerr), 0);
	assert_int_equal(seen.n_samples, 20);
	assert_string_equal(seen.kind, "measured");
	assert_true(seen.duration_s > 0.189 && seen.duration_s < 0.191);
	assert_int_equal(seen.n_stats, 5 + 2 * 7);
	assert_int_equal(seen.cpu.n, 19);
	assert_true(seen.cpu.min == 100 && seen.cpu.max == 118);
	assert_int_equal(seen.gpu1_util.n, 20);
	assert_true(seen.gpu1_util.mean == 51);
	assert_int_equal(seen.gpu0_sm.n, 0);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(bl_store_run_device(s, warm_id, seen_device, &seen, &qerr), 0);
	assert_int_equal(seen.n_samples, 40);
	assert_int_equal(seen.n_stats, 5);
	assert_int_equal(bl_store_run_device(s, 12345, seen_device, &seen, &qerr), -1);
	assert_non_null(strstr(qerr.msg, "no run 12345"));
	bl_store_close(s);

	/* A failure in the middle of the samples leaves nothing of the run. */
	force_failure(path, "device_measurements", "NEW.t_ns = 350000000", "forced sample failure");
	s = open_ok(path);
	struct bl_metric good[] = {{.name = (char *)"a", .value = 1}};
	r = run_record(bid, false, 2, 0.4, good, 1);
	r.samples = x;
	r.n_samples = 40;
	struct bl_error err = {{0}};
	assert_int_equal(bl_store_add_run(s, &r, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "forced sample failure"));
	assert_non_null(strstr(err.msg, "device samples"));
	assert_int_equal(raw_int(path, "SELECT count(*) FROM runs WHERE kind = 'measured' AND idx = 2"), 0);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM device_measurements"), 80);
	/* samples missing while n_samples says there are some */
	r.samples = NULL;
	assert_int_equal(bl_store_add_run(s, &r, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "device samples missing"));
	unforce_failure(path, "device_measurements");
	/* and the store goes on */
	r.samples = x;
	add_run_ok(s, &r);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM device_measurements"), 120);
	bl_store_close(s);

	/* A sample must name a stored run of its own case... */
	const char *fk = is_pg() ? "" : "PRAGMA foreign_keys = ON; ";
	char *bad = bl_xasprintf("%sINSERT INTO device_measurements (benchmark_id, run_id, time) VALUES (%lld, 987654,"
				 " '2026-11-26T15:30:00.000Z')", fk, (long long)bid);
	char *msg = raw_exec_error(path, bad);
	assert_true(strstr(msg, "FOREIGN KEY") || strstr(msg, "does not exist"));
	free(msg);
	free(bad);
	if (is_pg()) {
		/* (PostgreSQL also refuses a run of another case: the check is per statement, see docs/SCHEMA.md) */
		bad = bl_xasprintf("INSERT INTO device_measurements (benchmark_id, run_id, time) VALUES (%lld, %lld, now())",
				   (long long)bid + 1000, (long long)run_id);
		msg = raw_exec_error(path, bad);
		assert_non_null(strstr(msg, "does not exist"));
		free(msg);
		free(bad);
	}
	/* ...and deleting a run deletes its samples. */
	char *del = bl_xasprintf("%sDELETE FROM runs WHERE run_id = %lld", fk, (long long)warm_id);
	raw_exec(path, del);
	free(del);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM device_measurements"), 80);
	free(path);
}

/* Values go in several rows per INSERT: a failure inside such a group still
 * names its metric and leaves nothing; the values keep their order. */
static void test_many_metrics(void **state)
{
	char *path = fresh_target();
	struct bl_store *s = open_ok(path);
	int64_t mid = add_machine(s, "fp1", "host1");
	struct bl_case_state st;
	struct bl_case_key k = case_key(mid, SHA_A, "decode", "{}");
	int64_t bid = open_case_ok(s, &k, &st);
	bl_case_state_release(&st);
	struct bl_error err = {{0}};

	struct bl_metric m[40];
	char names[40][8];
	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), "m%d", i);
		m[i] = (struct bl_metric){.name = names[i], .value = i * 0.5, .unit = (char *)"s"};
	}
	force_failure(path, "metric_values", "NEW.metric_key = (SELECT metric_key FROM metric_names WHERE name = 'm29')",
		      "forced constraint failure");
	struct bl_run_record r = run_record(bid, false, 0, 1.0, m, 40);
	assert_int_equal(bl_store_add_run(s, &r, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "metric 'm29'"));
	assert_non_null(strstr(err.msg, "forced constraint failure"));
	assert_counts(path, (struct row_counts){0, 0, 0});
	unforce_failure(path, "metric_values");

	int64_t run_id = add_run_ok(s, &r);
	assert_counts(path, (struct row_counts){1, 40, 0});
	char *sql = bl_xasprintf("SELECT count(*) FROM metrics WHERE run_id = %lld AND name = 'm' || seq"
				 " AND value = seq * 0.5 AND unit = 's'",
				 (long long)run_id);
	assert_int_equal(raw_int(path, sql), 40);
	free(sql);
	char *order = raw_joined(path, "name", "SELECT name FROM metrics ORDER BY seq LIMIT 3 OFFSET 15");
	assert_string_equal(order, "m15,m16,m17");
	free(order);

	/* The key of a value holds the run and the position: a run has room for a million. */
	struct bl_metric *huge = bl_xcalloc(1000001, sizeof(*huge));
	r = run_record(bid, false, 1, 1.0, huge, 1000001);
	assert_int_equal(bl_store_add_run(s, &r, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "1000001 metrics, more than the 1000000 a run can hold"));
	free(huge);
	assert_counts(path, (struct row_counts){1, 40, 0});
	bl_store_close(s);
	free(path);
}

/* Names, units and directions are stored once, in metric_names; the keys a
 * store remembers never outlive a rollback or a deleted row. */
static void test_metric_dictionary(void **state)
{
	char *path = fresh_target();
	struct bl_store *s = open_ok(path);
	int64_t mid = add_machine(s, "fp1", "host1");
	struct bl_case_state st;
	struct bl_case_key k = case_key(mid, SHA_A, "decode", "{}");
	int64_t bid = open_case_ok(s, &k, &st);
	bl_case_state_release(&st);
	struct bl_error err = {{0}};

	/* Same name, told apart by unit (none, empty, "s") and direction; a name may repeat in a run. */
	struct bl_metric variants[] = {
		{.name = (char *)"x", .value = 1},
		{.name = (char *)"x", .value = 2, .unit = (char *)""},
		{.name = (char *)"x", .value = 3, .unit = (char *)"s"},
		{.name = (char *)"x", .value = 4, .unit = (char *)"s", .better = BL_BETTER_LOWER},
		{.name = (char *)"x", .value = 5, .unit = (char *)"s"},
	};
	struct bl_run_record r = run_record(bid, false, 0, 1.0, variants, 5);
	add_run_ok(s, &r);
	r.index = 1;
	add_run_ok(s, &r);
	assert_int_equal(count_rows(path, "metric_names"), 4);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM metrics WHERE seq = 0 AND unit IS NULL"), 2);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM metrics WHERE seq = 1 AND unit = ''"), 2);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM metrics WHERE seq IN (2, 4) AND unit = 's'"
				       " AND better IS NULL"),
			 4);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM metrics WHERE seq = 3 AND better = 'lower'"), 2);

	/* A run that fails after adding a name: the name is rolled back, and
	 * its key may go to the next new name. The store must not keep it. */
	struct bl_metric first[] = {{.name = (char *)"first", .value = 1}};
	char *bad_json[] = {(char *)"{not json"};
	r = run_record(bid, false, 2, 1.0, first, 1);
	r.measurements = bad_json;
	r.n_measurements = 1;
	assert_int_equal(bl_store_add_run(s, &r, NULL, &err), -1);
	struct bl_metric second[] = {{.name = (char *)"second", .value = 2}};
	r = run_record(bid, false, 2, 1.0, second, 1);
	add_run_ok(s, &r);
	r = run_record(bid, false, 3, 1.0, first, 1);
	int64_t first_run = add_run_ok(s, &r);
	char *sql = bl_xasprintf("SELECT name FROM metrics WHERE run_id = %lld", (long long)first_run);
	char *name = raw_text(path, sql);
	assert_string_equal(name, "first");
	free(name);
	free(sql);

	/* Someone deletes a run, then the names no value uses any more, while
	 * this store still knows their keys: the next run adds them again. */
	sql = bl_xasprintf("DELETE FROM runs WHERE run_id = %lld;"
			   " DELETE FROM metric_names WHERE metric_key NOT IN (SELECT metric_key FROM metric_values)",
			   (long long)first_run);
	raw_exec(path, sql);
	free(sql);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM metric_names WHERE name = 'first'"), 0);
	r = run_record(bid, false, 4, 1.0, first, 1);
	first_run = add_run_ok(s, &r);
	sql = bl_xasprintf("SELECT name FROM metrics WHERE run_id = %lld", (long long)first_run);
	name = raw_text(path, sql);
	assert_string_equal(name, "first");
	free(name);
	free(sql);
	assert_counts(path, (struct row_counts){4, 12, 0});

	/* Deleting a case deletes its runs and their values. */
	bl_store_close(s);
	sql = bl_xasprintf("%sDELETE FROM benchmarks WHERE benchmark_id = %lld", is_pg() ? "" : "PRAGMA foreign_keys = ON; ",
			   (long long)bid);
	raw_exec(path, sql);
	free(sql);
	assert_counts(path, (struct row_counts){0, 0, 0});
	free(path);
}

/* ---- foreach_point --------------------------------------------------------------------------------------------- */

struct seen_point {
	char sha[41];
	char name[32];
	char params[32];
	char metric[32]; /* "" for NULL */
	char unit[16];
	char status[24];
	char machine[16];
	enum bl_better better;
	double values[8];
	size_t n_values;
	int runs_total, runs_failed;
	int64_t commit_time;
	char subject[64];
};

struct seen {
	struct seen_point p[64];
	size_t n;
	size_t stop_after; /* 0: never */
};

static int collect(void *ctx, const struct bl_point *p)
{
	struct seen *s = ctx;
	assert_true(s->n < 64);
	struct seen_point *o = &s->p[s->n++];
	memset(o, 0, sizeof(*o));
	snprintf(o->sha, sizeof(o->sha), "%s", p->commit_sha);
	snprintf(o->name, sizeof(o->name), "%s", p->name);
	snprintf(o->params, sizeof(o->params), "%s", p->params_json);
	snprintf(o->metric, sizeof(o->metric), "%s", p->metric ? p->metric : "");
	snprintf(o->unit, sizeof(o->unit), "%s", p->unit ? p->unit : "");
	snprintf(o->status, sizeof(o->status), "%s", p->status);
	snprintf(o->machine, sizeof(o->machine), "%s", p->machine);
	snprintf(o->subject, sizeof(o->subject), "%s", p->subject ? p->subject : "");
	o->better = p->better;
	assert_true(p->n_values <= 8);
	if (p->n_values)
		memcpy(o->values, p->values, p->n_values * sizeof(double));
	o->n_values = p->n_values;
	o->runs_total = p->runs_total;
	o->runs_failed = p->runs_failed;
	o->commit_time = p->commit_time;
	assert_true(p->metric || p->n_values == 0);
	if (s->stop_after && s->n == s->stop_after)
		return 42;
	return 0;
}

static void query(struct bl_store *s, const struct bl_point_query *q, struct seen *out)
{
	struct bl_error err = {{0}};
	memset(out, 0, sizeof(*out));
	if (bl_store_foreach_point(s, q, collect, out, &err) != 0)
		fail_msg("foreach_point: %s", err.msg);
}

static void add_measured(struct bl_store *s, int64_t bid, int idx, const char *status, double lat, double thr)
{
	struct bl_metric m[] = {
		{.name = (char *)"throughput", .value = thr, .unit = (char *)"MB/s", .better = BL_BETTER_HIGHER},
		{.name = (char *)"latency", .value = lat, .unit = (char *)"s", .better = BL_BETTER_LOWER},
	};
	struct bl_run_record r = run_record(bid, false, idx, lat * 10, m, 2);
	r.status = status;
	add_run_ok(s, &r);
}

/* Commit B is older than commit A though stored later; C has no commits row. */
static void build_history(struct bl_store *s, int64_t *build_failed_id)
{
	int64_t mid = add_machine(s, "fp1", "host1");
	struct bl_case_state st;
	put_commit_ok(s, "/src/repo", SHA_A, 2000000000, "Second commit");
	put_commit_ok(s, "/src/repo", SHA_B, 1900000000, "First commit");

	struct bl_case_key k = case_key(mid, SHA_A, "zip", "{\"level\":\"1\"}");
	int64_t a_zip = open_case_ok(s, &k, &st);
	bl_case_state_release(&st);
	add_measured(s, a_zip, 2, "ok", 0.3, 30);
	add_measured(s, a_zip, 0, "ok", 0.1, 10);
	add_measured(s, a_zip, 1, "failed", 99, 99); /* failed runs count but give no values */
	struct bl_metric warm[] = {{.name = (char *)"latency", .value = 77}};
	struct bl_run_record w = run_record(a_zip, true, 0, 1, warm, 1);
	add_run_ok(s, &w);

	k = case_key(mid, SHA_A, "unzip", "{}");
	int64_t a_unzip = open_case_ok(s, &k, &st);
	bl_case_state_release(&st);
	add_measured(s, a_unzip, 0, "ok", 0.5, 50);

	k = case_key(mid, SHA_B, "zip", "{\"level\":\"1\"}");
	int64_t b_zip = open_case_ok(s, &k, &st);
	bl_case_state_release(&st);
	add_measured(s, b_zip, 0, "ok", 0.2, 20);

	/* C failed to build: a case with no runs at all. */
	k = case_key(mid, SHA_C, "zip", "{\"level\":\"1\"}");
	k.commit_subject = "Break the build";
	*build_failed_id = open_case_ok(s, &k, &st);
	bl_case_state_release(&st);
	struct bl_error err = {{0}};
	assert_int_equal(bl_store_set_case_status(s, *build_failed_id, BL_CASE_BUILD_FAILED, &err), 0);

	/* Another repository, never part of a repository-filtered query. */
	k = case_key(mid, SHA_A, "zip", "{\"level\":\"1\"}");
	k.repository = "/src/other";
	int64_t other = open_case_ok(s, &k, &st);
	bl_case_state_release(&st);
	add_measured(s, other, 0, "ok", 5, 5);
}

void bl_store_pg_test_point_chunk(int cases); /* lib/store_pg_query.c */

static void test_foreach_point(void **state)
{
	char *path = fresh_target();
	struct bl_store *s = open_ok(path);
	int64_t failed_id;
	build_history(s, &failed_id);
	struct seen out;

	struct bl_point_query q = {.repository = "/src/repo"};
	query(s, &q, &out);
	/* C (no commit time) first, then B (older), then A; names, params, metrics in order. */
	assert_int_equal(out.n, 7);
	assert_string_equal(out.p[0].sha, SHA_C);
	assert_string_equal(out.p[0].metric, "");
	assert_string_equal(out.p[0].status, BL_CASE_BUILD_FAILED);
	assert_string_equal(out.p[0].subject, "Break the build");
	assert_int_equal(out.p[0].n_values, 0);
	assert_int_equal(out.p[0].runs_total, 0);
	assert_int_equal(out.p[0].commit_time, 0);
	assert_string_equal(out.p[1].sha, SHA_B);
	assert_string_equal(out.p[1].metric, "latency");
	assert_string_equal(out.p[1].subject, "First commit");
	assert_int_equal(out.p[1].commit_time, 1900000000);
	assert_string_equal(out.p[1].status, BL_CASE_PENDING);
	assert_string_equal(out.p[2].sha, SHA_B);
	assert_string_equal(out.p[2].metric, "throughput");
	assert_string_equal(out.p[3].sha, SHA_A);
	assert_string_equal(out.p[3].name, "unzip");
	assert_string_equal(out.p[3].metric, "latency");
	assert_string_equal(out.p[4].name, "unzip");
	assert_string_equal(out.p[4].metric, "throughput");
	assert_string_equal(out.p[5].name, "zip");
	assert_string_equal(out.p[5].metric, "latency");
	assert_string_equal(out.p[5].params, "{\"level\":\"1\"}");
	assert_string_equal(out.p[5].machine, "host1");
	assert_string_equal(out.p[5].unit, "s");
	assert_int_equal(out.p[5].better, BL_BETTER_LOWER);
	assert_int_equal(out.p[5].commit_time, 2000000000);
	/* Values of the ok measured runs, by run index; the warm-up and the failed run are left out. */
	assert_int_equal(out.p[5].n_values, 2);
	assert_true(out.p[5].values[0] == 0.1);
	assert_true(out.p[5].values[1] == 0.3);
	assert_int_equal(out.p[5].runs_total, 3);
	assert_int_equal(out.p[5].runs_failed, 1);
	assert_string_equal(out.p[6].metric, "throughput");
	assert_string_equal(out.p[6].unit, "MB/s");
	assert_int_equal(out.p[6].better, BL_BETTER_HIGHER);
	assert_int_equal(out.p[6].n_values, 2);
	assert_true(out.p[6].values[0] == 10 && out.p[6].values[1] == 30);

	/* Metric filter: the build failure stays visible, without a metric. */
	q.metric = "throughput";
	query(s, &q, &out);
	assert_int_equal(out.n, 4);
	assert_string_equal(out.p[0].sha, SHA_C);
	assert_string_equal(out.p[0].metric, "");
	for (size_t i = 1; i < out.n; i++)
		assert_string_equal(out.p[i].metric, "throughput");

	/* Benchmark filter. */
	q.metric = NULL;
	q.benchmark = "unzip";
	query(s, &q, &out);
	assert_int_equal(out.n, 2);
	assert_string_equal(out.p[0].name, "unzip");
	assert_true(out.p[0].values[0] == 0.5);

	/* Commit filter, including a SHA that has nothing stored. */
	const char *shas[] = {SHA_B, "dddddddddddddddddddddddddddddddddddddddd"};
	q.benchmark = NULL;
	q.shas = shas;
	q.n_shas = 2;
	query(s, &q, &out);
	assert_int_equal(out.n, 2);
	assert_string_equal(out.p[0].sha, SHA_B);
	assert_string_equal(out.p[1].sha, SHA_B);
	q.n_shas = 0; /* a list that names no commit matches nothing */
	query(s, &q, &out);
	assert_int_equal(out.n, 0);

	/* No repository filter: the other repository's case appears too. */
	struct bl_point_query all = {0};
	query(s, &all, &out);
	assert_int_equal(out.n, 9);
	query(s, NULL, &out);
	assert_int_equal(out.n, 9);

	/* PostgreSQL reads the values of the cases a chunk at a time: any chunk size gives the same points. */
	if (is_pg()) {
		struct seen *whole = bl_xmalloc(sizeof(*whole)), *chunked = bl_xmalloc(sizeof(*chunked));
		struct bl_point_query latency = {.metric = "latency"};
		for (int chunk = 1; chunk <= 4; chunk++) {
			bl_store_pg_test_point_chunk(0);
			query(s, &all, whole);
			bl_store_pg_test_point_chunk(chunk);
			query(s, &all, chunked);
			assert_int_equal(chunked->n, 9);
			assert_memory_equal(whole, chunked, sizeof(*whole));
			bl_store_pg_test_point_chunk(0);
			query(s, &latency, whole);
			bl_store_pg_test_point_chunk(chunk);
			query(s, &latency, chunked);
			assert_int_equal(chunked->n, 5);
			assert_memory_equal(whole, chunked, sizeof(*whole));
		}
		bl_store_pg_test_point_chunk(0);
		free(whole);
		free(chunked);
	}

	/* A non-zero return stops the walk and is returned. */
	struct bl_error err = {{0}};
	memset(&out, 0, sizeof(out));
	out.stop_after = 2;
	assert_int_equal(bl_store_foreach_point(s, &all, collect, &out, &err), 42);
	assert_int_equal(out.n, 2);
	/* ...and leaves the store usable. */
	add_measured(s, failed_id, 0, "ok", 1, 1);
	bl_store_close(s);
	free(path);
}

/* ---- foreach_value and the bulk series loader ------------------------------------------------------------------ */

struct value_log {
	struct bl_buf metrics, cases, values;
	int failed_runs;
	int stop_at_value; /* 0: never */
	int n_values;
	int64_t ids[4];    /* a_zip, a_unzip, b_zip, build failed: named in the logs as #0..#3 */
};

static int case_name(const struct value_log *l, int64_t id)
{
	for (int i = 0; i < 4; i++)
		if (l->ids[i] == id)
			return i;
	return 9; /* the other repository's */
}

static int log_metric(void *ctx, const struct bl_value_metric *m)
{
	struct value_log *l = ctx;
	bl_buf_printf(&l->metrics, "%s/%s/%d;", m->name, m->unit ? m->unit : "-", (int)m->better);
	return 0;
}

static int log_case(void *ctx, const struct bl_value_case *c)
{
	struct value_log *l = ctx;
	bl_buf_printf(&l->cases, "#%d %.1s %s %s %s %s %lld %s %s;", case_name(l, c->benchmark_id), c->commit_sha,
		      c->name, c->params_json, c->machine, c->status, (long long)c->commit_time,
		      c->subject ? c->subject : "-", c->suite_hash);
	return 0;
}

/* log_case taking its time: 50 ms a case. */
static int slow_log_case(void *ctx, const struct bl_value_case *c)
{
	struct timespec ts = {0, 50000000};
	nanosleep(&ts, NULL);
	return log_case(ctx, c);
}

static int log_value(void *ctx, const struct bl_value_row *v)
{
	struct value_log *l = ctx;
	bl_buf_printf(&l->values, "#%d.%d=%g;", case_name(l, v->benchmark_id), v->index, v->value);
	return ++l->n_values == l->stop_at_value ? 42 : 0;
}

static int log_failed_run(void *ctx, int64_t benchmark_id)
{
	struct value_log *l = ctx;
	l->failed_runs += case_name(l, benchmark_id) == 0 ? 1 : 100;
	return 0;
}

static const struct bl_value_visitor value_logger = {log_metric, log_case, log_value, log_failed_run};

static void log_release(struct value_log *l)
{
	bl_buf_release(&l->metrics);
	bl_buf_release(&l->cases);
	bl_buf_release(&l->values);
}

static void log_reset(struct value_log *l)
{
	bl_buf_release(&l->metrics);
	bl_buf_release(&l->cases);
	bl_buf_release(&l->values);
	bl_buf_init(&l->metrics);
	bl_buf_init(&l->cases);
	bl_buf_init(&l->values);
	l->failed_runs = l->n_values = 0;
}

/* Case ids of build_history, in the order it opens them. */
static void history_ids(struct bl_store *s, int64_t failed_id, int64_t ids[4])
{
	struct bl_error err = {{0}};
	const char *names[] = {"zip", "unzip", "zip"}, *shas[] = {SHA_A, SHA_A, SHA_B};
	for (int i = 0; i < 3; i++) {
		struct bl_case_key k = case_key(1, shas[i], names[i], i == 1 ? "{}" : "{\"level\":\"1\"}");
		struct bl_case_state st;
		if (bl_store_open_case(s, &k, &st, &err))
			fail_msg("open_case: %s", err.msg);
		ids[i] = st.benchmark_id;
		bl_case_state_release(&st);
	}
	ids[3] = failed_id;
}

/* A store at target holding build_history, and a fresh log that knows its case ids. */
static struct bl_store *open_value_history(const char *target, struct value_log *l)
{
	struct bl_store *s = open_ok(target);
	int64_t failed_id;
	build_history(s, &failed_id);
	memset(l, 0, sizeof(*l));
	history_ids(s, failed_id, l->ids);
	log_reset(l);
	return s;
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ';'-terminated entries of a log, sorted: the same values in any order compare equal. */
static char *sorted_entries(const char *log)
{
	char *copy = bl_xstrdup(log ? log : ""), *save = NULL;
	char *entries[64];
	size_t n = 0;
	for (char *e = strtok_r(copy, ";", &save); e && n < 64; e = strtok_r(NULL, ";", &save))
		entries[n++] = e;
	qsort(entries, n, sizeof(char *), cmp_cstr);
	struct bl_buf out;
	bl_buf_init(&out);
	for (size_t i = 0; i < n; i++)
		bl_buf_printf(&out, "%s;", entries[i]);
	free(copy);
	char *r = bl_xstrdup(out.data ? out.data : "");
	bl_buf_release(&out);
	return r;
}

static void test_foreach_value(void **state)
{
	(void)state;
	char *path = fresh_target();
	struct value_log l;
	struct bl_store *s = open_value_history(path, &l);
	struct bl_error err = {{0}};
	assert_int_equal(bl_store_foreach_value(s, "/src/repo", &value_logger, &l, &err), 0);
	/* The dictionary whole, by key: the warm-up's unitless latency too. */
	assert_string_equal(l.metrics.data, "throughput/MB/s/2;latency/s/1;latency/-/0;");
	/* Every case of the repository by id, the build failure (no commits row: time 0) included. */
	assert_string_equal(l.cases.data, "#0 a zip {\"level\":\"1\"} host1 failed 2000000000 Second commit suite1;"
					  "#1 a unzip {} host1 pending 2000000000 Second commit suite1;"
					  "#2 b zip {\"level\":\"1\"} host1 pending 1900000000 First commit suite1;"
					  "#3 c zip {\"level\":\"1\"} host1 build-failed 0 Break the build suite1;");
	/* Values of ok measured runs in the order they were stored (index 2 before 0), each run's in its
	 * metric order; the failed run counted once, the warm-up and the other repository left out. */
	assert_string_equal(l.values.data, "#0.2=30;#0.2=0.3;#0.0=10;#0.0=0.1;#1.0=50;#1.0=0.5;#2.0=20;#2.0=0.2;");
	assert_int_equal(l.failed_runs, 1);
	/* Inside a caller's transaction (PostgreSQL: a savepoint), and that transaction stays usable. */
	if (is_pg()) {
		assert_int_equal(bl_store_begin(s, &err), 0);
		log_reset(&l);
		assert_int_equal(bl_store_foreach_value(s, "/src/repo", &value_logger, &l, &err), 0);
		assert_int_equal(l.n_values, 8);
		struct seen *pts = bl_xcalloc(1, sizeof(*pts));
		assert_int_equal(bl_store_foreach_point(s, NULL, collect, pts, &err), 0);
		assert_true(pts->n > 0);
		free(pts);
		assert_int_equal(bl_store_commit(s, &err), 0);
	}

	/* Every repository. */
	log_reset(&l);
	assert_int_equal(bl_store_foreach_value(s, NULL, &value_logger, &l, &err), 0);
	assert_int_equal(l.n_values, 10);
	assert_non_null(strstr(l.values.data, "#9.0=5;"));
	/* The other repository never stored commit A: its case keeps its own message and time 0, though
	 * /src/repo stored that SHA. Once it does, each case gets its own repository's commit. */
	assert_non_null(strstr(l.cases.data, "#9 a zip {\"level\":\"1\"} host1 pending 0 Make it faster suite1;"));
	put_commit_ok(s, "/src/other", SHA_A, 1800000000, "Other history");
	log_reset(&l);
	assert_int_equal(bl_store_foreach_value(s, NULL, &value_logger, &l, &err), 0);
	assert_non_null(strstr(l.cases.data, "#9 a zip {\"level\":\"1\"} host1 pending 1800000000 Other history suite1;"));
	assert_non_null(strstr(l.cases.data, "#0 a zip {\"level\":\"1\"} host1 failed 2000000000 Second commit suite1;"));
	/* Split over parts: part 0 gets the dictionary and the cases, the parts' values together are the single
	 * pass's (each part's runs in order, which the loader does not rely on), and on SQLite more than one part
	 * reads some. */
	log_reset(&l);
	assert_int_equal(bl_store_foreach_value(s, "/src/repo", &value_logger, &l, &err), 0);
	char *single = sorted_entries(l.values.data);
	const struct bl_point_query repo_query = {.repository = "/src/repo"};
	for (unsigned n = 1; n <= 5; n++) {
		struct value_log parts[5];
		struct bl_value_visitor visit[5];
		void *ctx[5];
		for (unsigned k = 0; k < n; k++) {
			memset(&parts[k], 0, sizeof(parts[k]));
			memcpy(parts[k].ids, l.ids, sizeof(l.ids));
			log_reset(&parts[k]);
			visit[k] = value_logger;
			ctx[k] = &parts[k];
		}
		if (n == 2)
			visit[0].on_case = slow_log_case;
		assert_int_equal(bl_store_foreach_value_parts(s, &repo_query, n, visit, ctx, &err), 0);
		struct bl_buf joined;
		bl_buf_init(&joined);
		int failed = 0;
		for (unsigned k = 0; k < n; k++) {
			bl_buf_puts(&joined, parts[k].values.data ? parts[k].values.data : "");
			failed += parts[k].failed_runs;
			if (k) {
				assert_int_equal(parts[k].metrics.len + parts[k].cases.len, 0);
			}
		}
		assert_string_equal(parts[0].metrics.data, l.metrics.data);
		assert_string_equal(parts[0].cases.data, l.cases.data);
		char *together = sorted_entries(joined.data);
		assert_string_equal(together, single);
		free(together);
		assert_int_equal(failed, l.failed_runs);
		/* On SQLite the other parts read while part 0 reads the cases: made slow here, part 0 finds no
		 * range of runs left. */
		if (n == 2 && !strcmp(s->ops->name, "sqlite"))
			assert_int_equal(parts[1].n_values, l.n_values);
		bl_buf_release(&joined);
		for (unsigned k = 0; k < n; k++) {
			bl_buf_release(&parts[k].metrics);
			bl_buf_release(&parts[k].cases);
			bl_buf_release(&parts[k].values);
		}
	}
	free(single);
	/* A writer holding its transaction: the parts do not wait for it (nor fail), part 0 reads it all. */
	if (!strcmp(s->ops->name, "sqlite")) {
		sqlite3 *w;
		assert_int_equal(sqlite3_open(path, &w), SQLITE_OK);
		assert_int_equal(sqlite3_exec(w, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
		struct value_log a, b;
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		memcpy(a.ids, l.ids, sizeof(l.ids));
		memcpy(b.ids, l.ids, sizeof(l.ids));
		log_reset(&a);
		log_reset(&b);
		struct bl_value_visitor visit[2] = {value_logger, value_logger};
		void *ctx[2] = {&a, &b};
		int64_t t0 = bl_now_mono_ns();
		assert_int_equal(bl_store_foreach_value_parts(s, &repo_query, 2, visit, ctx, &err), 0);
		assert_true(bl_now_mono_ns() - t0 < 3000000000LL); /* not the 10 s busy timeout */
		assert_string_equal(a.values.data, l.values.data);
		assert_int_equal(b.n_values, 0);
		sqlite3_exec(w, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(w);
		log_release(&a);
		log_release(&b);
	}
	/* A repository with nothing stored: nothing of the others leaks in. */
	log_reset(&l);
	assert_int_equal(bl_store_foreach_value(s, "/nowhere", &value_logger, &l, &err), 0);
	assert_int_equal(l.cases.len + l.values.len, 0);
	assert_int_equal(l.failed_runs, 0);

	/* A visitor may leave members out; a non-zero return stops and is returned, the store stays usable. */
	log_reset(&l);
	struct bl_value_visitor only_values = {.on_value = log_value};
	l.stop_at_value = 3;
	assert_int_equal(bl_store_foreach_value(s, "/src/repo", &only_values, &l, &err), 42);
	assert_int_equal(l.n_values, 3);
	assert_string_equal(l.cases.data, "");
	add_measured(s, l.ids[3], 0, "ok", 1, 1); /* the build failure's case */
	log_reset(&l);
	l.stop_at_value = 0;
	assert_int_equal(bl_store_foreach_value(s, "/src/repo", &value_logger, &l, &err), 0);
	assert_int_equal(l.n_values, 10);

	/* An empty store. */
	bl_store_close(s);
	free(path);
	path = fresh_target();
	s = open_ok(path);
	log_reset(&l);
	assert_int_equal(bl_store_foreach_value(s, NULL, &value_logger, &l, &err), 0);
	assert_int_equal(l.metrics.len + l.cases.len + l.values.len, 0);
	/* One repository stored: its read needs no list of its cases (the parts take every run); a repository
	 * named before or after it in sort order still gets nothing of it, whole or in parts. */
	struct bl_case_state st;
	struct bl_case_key k = case_key(add_machine(s, "fp1", "host1"), SHA_A, "zip", "{}");
	int64_t only = open_case_ok(s, &k, &st);
	bl_case_state_release(&st);
	add_measured(s, only, 0, "ok", 0.5, 50);
	const char *names[] = {"/src/repo", "/src/aaa", "/src/zzz"};
	for (size_t i = 0; i < 3; i++)
		for (unsigned n = 1; n <= 2; n++) {
			struct value_log parts[2];
			struct bl_value_visitor visit[2] = {value_logger, value_logger};
			void *ctx[2] = {&parts[0], &parts[1]};
			memset(parts, 0, sizeof(parts));
			log_reset(&parts[0]);
			log_reset(&parts[1]);
			const struct bl_point_query q = {.repository = names[i]};
			assert_int_equal(bl_store_foreach_value_parts(s, &q, n, visit, ctx, &err), 0);
			assert_int_equal(parts[0].n_values + parts[1].n_values, i == 0 ? 2 : 0);
			assert_int_equal(parts[0].cases.len == 0, i != 0);
			log_release(&parts[0]);
			log_release(&parts[1]);
		}
	bl_store_close(s);
	free(path);
	bl_buf_release(&l.metrics);
	bl_buf_release(&l.cases);
	bl_buf_release(&l.values);
}

/* bl_series_load_bulk makes the set bl_series_load makes, field by field. */
static void same_points(const struct bl_series *a, const struct bl_series *b)
{
	assert_string_equal(a->label, b->label);
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->params_json, b->params_json);
	assert_string_equal(a->machine, b->machine);
	assert_int_equal(a->machine_id, b->machine_id);
	assert_true((a->metric == NULL) == (b->metric == NULL));
	if (a->metric) {
		assert_string_equal(a->metric, b->metric);
		assert_string_equal(a->unit, b->unit);
		assert_int_equal(a->better, b->better);
	}
	assert_int_equal(a->n_points, b->n_points);
	for (size_t j = 0; j < a->n_points; j++) {
		const struct bl_series_point *p = &a->points[j], *q = &b->points[j];
		assert_int_equal(p->benchmark_id, q->benchmark_id);
		assert_string_equal(p->sha, q->sha);
		assert_string_equal(p->subject, q->subject);
		assert_int_equal(p->commit_time, q->commit_time);
		assert_string_equal(p->status, q->status);
		assert_string_equal(p->suite_hash, q->suite_hash);
		assert_int_equal(p->runs_failed, q->runs_failed);
		assert_int_equal(p->n_values, q->n_values);
		for (size_t k = 0; k < p->n_values; k++)
			assert_true(p->values[k] == q->values[k]);
	}
}

/* build_history's first case (zip at commit A on host1). */
static int64_t history_first_case(struct bl_store *s)
{
	int64_t ids[4];
	history_ids(s, 0, ids);
	return ids[0];
}

void bl_series_bulk_test_merge_grain(size_t cases); /* test hook in series_bulk_set.c */

static bool keep_named(void *ctx, const char *metric)
{
	return !strcmp(metric, ctx);
}

/* The server goes away in the middle of a read (here: the store's backend terminated from the first value's
 * callback, the cursors still open): the read fails with a message naming the store and the cause, the next
 * call on that store fails the same way instead of crashing or hanging, and nothing stored is lost. */
static const char *kill_target; /* the database whose other backends on_value_kill terminates */

static int on_value_kill(void *ctx, const struct bl_value_row *v)
{
	struct value_log *l = ctx;
	if (l->n_values == 0) {
		/* the tests' own connection stays; waits (up to 5 s) until each backend is gone */
		PGresult *res = raw_pg_exec(kill_target, "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000))"
							 " FROM (SELECT pid FROM pg_stat_activity WHERE datname ="
							 " current_database() AND pid <> pg_backend_pid() AND"
							 " backend_type = 'client backend' OFFSET 0) other");
		l->failed_runs = atoi(PQgetvalue(res, 0, 0)); /* how many were terminated */
		PQclear(res);
	}
	return log_value(ctx, v);
}

static void test_pg_server_gone_mid_read(void **state)
{
	(void)state;
	char *url = fresh_pg_url();
	struct value_log l;
	struct bl_store *s = open_value_history(url, &l);
	kill_target = url;
	const struct bl_value_visitor killer = {log_metric, log_case, on_value_kill, NULL};
	struct bl_error err = {{0}};
	assert_int_equal(bl_store_foreach_value(s, "/src/repo", &killer, &l, &err), -1);
	assert_true(l.failed_runs >= 1); /* the store's connection was terminated (and the runs' second one) */
	char *name = shown(url);
	char *expect = bl_xasprintf("cannot read the stored values: lost the connection to '%s': ", name);
	if (!strstr(err.msg, expect) || !strstr(err.msg, "terminat"))
		fail_msg("unexpected message: %s", err.msg);
	free(expect);
	/* The connection is gone: the next read fails with a message, it does not crash or wait. */
	memset(&err, 0, sizeof(err));
	log_reset(&l);
	assert_int_equal(bl_store_foreach_value(s, "/src/repo", &value_logger, &l, &err), -1);
	assert_non_null(strstr(err.msg, name));
	assert_int_equal(l.n_values, 0);
	bl_store_close(s);
	/* Everything stored is still there. */
	s = open_ok(url);
	log_reset(&l);
	assert_int_equal(bl_store_foreach_value(s, "/src/repo", &value_logger, &l, &err), 0);
	assert_string_equal(l.values.data, "#0.2=30;#0.2=0.3;#0.0=10;#0.0=0.1;#1.0=50;#1.0=0.5;#2.0=20;#2.0=0.2;");
	bl_store_close(s);
	log_release(&l);
	free(name);
	free(url);
}

static void test_series_bulk_same(void **state)
{
	(void)state;
	char *path = fresh_target();
	struct bl_store *s = open_ok(path);
	int64_t failed_id;
	build_history(s, &failed_id);
	/* A second suite at commit A and a second machine, so series have several points per commit. */
	int64_t m2 = add_machine(s, "fp2", "host0");
	struct bl_case_state st;
	struct bl_case_key k = case_key(1, SHA_A, "zip", "{\"level\":\"1\"}");
	k.suite_hash = "suite0";
	int64_t again = open_case_ok(s, &k, &st);
	bl_case_state_release(&st);
	add_measured(s, again, 1, "ok", 0.25, 25);
	k = case_key(m2, SHA_B, "zip", "{\"level\":\"1\"}");
	int64_t other_machine = open_case_ok(s, &k, &st);
	bl_case_state_release(&st);
	add_measured(s, other_machine, 0, "failed", 1, 1); /* every run failed: a failed-case entry */
	/* Runs of early cases stored last, one with a lower index than the case's first: read in parts,
	 * these cases' values come from two parts and must still be one slice, by index. */
	add_measured(s, again, 0, "ok", 0.15, 15);
	add_measured(s, history_first_case(s), 3, "ok", 0.35, 35);
	/* A case that measured latency only: no throughput point, but not a failure either. */
	k = case_key(m2, SHA_A, "unzip", "{}");
	int64_t latency_only = open_case_ok(s, &k, &st);
	bl_case_state_release(&st);
	struct bl_metric lat[] = {{.name = (char *)"latency", .value = 0.4, .unit = (char *)"s", .better = BL_BETTER_LOWER}};
	struct bl_run_record lr = run_record(latency_only, false, 0, 4, lat, 1);
	add_run_ok(s, &lr);
	const char *at_a[] = {SHA_A}, *at_b_c[] = {SHA_B, SHA_C}, *at_none[] = {"0000000000000000000000000000000000000000"};
	struct bl_point_query queries[] = {
		{.repository = "/src/repo"}, {0}, {.repository = "/src/repo", .metric = "throughput"},
		{.repository = "/src/repo", .benchmark = "unzip"}, {.repository = "/nowhere"},
		/* chosen commits (report --last): read in parts too, where the store can */
		{.repository = "/src/repo", .shas = at_a, .n_shas = 1}, {.shas = at_b_c, .n_shas = 2},
		{.repository = "/src/repo", .shas = at_none, .n_shas = 1},
		/* series of some metrics only (report's default) */
		{.repository = "/src/repo", .keep_metric = keep_named, .keep_ctx = (void *)"throughput"},
		{.repository = "/src/repo", .shas = at_a, .n_shas = 1, .keep_metric = keep_named, .keep_ctx = (void *)"latency"},
		{.keep_metric = keep_named, .keep_ctx = (void *)"no such metric"},
	};
	/* and read by 1 to 4 threads (0: one per CPU), merged on one thread, then on as many as there are parts */
	size_t n_queries = sizeof(queries) / sizeof(queries[0]);
	for (size_t qt = 0; qt < 10 * n_queries; qt++) {
		size_t qi = qt / 5 % n_queries;
		bl_series_bulk_test_merge_grain(qt < 5 * n_queries ? 0 : 1);
		struct bl_point_query q = queries[qi];
		q.threads = (unsigned)(qt % 5);
		struct bl_series_set a, b;
		struct bl_error err = {{0}};
		if (bl_series_load(s, &q, &a, &err) || bl_series_load_bulk(s, &q, &b, &err))
			fail_msg("query %zu, %u threads: %s", qi, q.threads, err.msg);
		assert_null(a.bulk);
		if (!q.shas || bl_store_has_value_parts(s))
			assert_non_null(b.bulk); /* else (PostgreSQL) bl_series_load did it */
		assert_int_equal(a.n, b.n);
		for (size_t i = 0; i < a.n; i++)
			same_points(&a.v[i], &b.v[i]);
		if (a.n_failed_cases != b.n_failed_cases)
			fail_msg("query %zu, %u threads: %zu failed-case entries against %zu", qi, q.threads, a.n_failed_cases,
				 b.n_failed_cases);
		for (size_t i = 0; i < a.n_failed_cases; i++)
			same_points(&a.failed_cases[i], &b.failed_cases[i]);
		if (qi == 0) {
			assert_int_equal(b.n, 5); /* unzip, zip: latency and throughput each; unzip on host0: latency */
			assert_int_equal(b.n_failed_cases, 2);
		}
		if (qi == 2) /* the store filters by .metric: the latency-only case has no value there */
			assert_int_equal(b.n_failed_cases, 3);
		if (qi == 8) { /* keep_metric: what query 0 gives, less the other series */
			struct bl_series_set all;
			struct bl_point_query q0 = {.repository = "/src/repo"};
			if (bl_series_load_bulk(s, &q0, &all, &err))
				fail_msg("%s", err.msg);
			assert_int_equal(b.n, 2);
			for (size_t i = 0, j = 0; i < all.n; i++)
				if (!strcmp(all.v[i].metric, "throughput"))
					same_points(&all.v[i], &b.v[j++]);
			assert_int_equal(b.n_failed_cases, all.n_failed_cases);
			for (size_t i = 0; i < all.n_failed_cases; i++)
				same_points(&all.failed_cases[i], &b.failed_cases[i]);
			bl_series_set_release(&all);
		}
		if (qi == 10) /* nothing kept: no series, and the failures all the same */
			assert_true(b.n == 0 && b.n_failed_cases == 2);
		bl_series_set_release(&a);
		bl_series_set_release(&b);
	}
	bl_series_bulk_test_merge_grain(0);
	bl_store_close(s);
	free(path);
}

static void test_units_kept_apart(void **state)
{
	char *path = fresh_target();
	struct bl_store *s = open_ok(path);
	int64_t mid = add_machine(s, "fp1", "host1");
	struct bl_case_state st;
	struct bl_case_key k = case_key(mid, SHA_A, "lat", "{}");
	int64_t bid = open_case_ok(s, &k, &st);
	bl_case_state_release(&st);
	/* The same metric name in seconds on even runs and in milliseconds on odd ones. */
	for (int i = 0; i < 4; i++) {
		struct bl_metric m = {.name = (char *)"lat", .value = i % 2 ? 2000 : 2, .unit = (char *)(i % 2 ? "ms" : "s")};
		struct bl_run_record r = run_record(bid, false, i, 1.0, &m, 1);
		add_run_ok(s, &r);
	}
	struct seen seen;
	struct bl_point_query q = {.metric = "lat"};
	query(s, &q, &seen);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.p[0].unit, "ms");
	assert_int_equal(seen.p[0].n_values, 2);
	assert_true(seen.p[0].values[0] == 2000 && seen.p[0].values[1] == 2000);
	assert_string_equal(seen.p[1].unit, "s");
	assert_true(seen.p[1].values[0] == 2 && seen.p[1].values[1] == 2);
	bl_store_close(s);
	free(path);
}

static void test_typical_seconds(void **state)
{
	char *path = fresh_target();
	struct bl_store *s = open_ok(path);
	int64_t mid = add_machine(s, "fp1", "host1");
	int64_t other = add_machine(s, "fp2", "host2");
	struct bl_error err = {{0}};
	double run_s = 0, build_s = 0;
	assert_int_equal(bl_store_typical_seconds(s, mid, "zip", "{}", &run_s, &build_s, &err), 0);
	assert_true(run_s == -1 && build_s == -1);

	struct bl_case_state st;
	struct bl_case_key k = case_key(mid, SHA_A, "zip", "{}");
	int64_t a = open_case_ok(s, &k, &st);
	bl_case_state_release(&st);
	k.commit_sha = SHA_B;
	int64_t b = open_case_ok(s, &k, &st);
	bl_case_state_release(&st);
	k.params_json = "{\"level\":\"9\"}";
	int64_t b9 = open_case_ok(s, &k, &st);
	bl_case_state_release(&st);
	struct bl_run_record r = run_record(a, false, 0, 1.0, NULL, 0);
	add_run_ok(s, &r);
	r = run_record(a, false, 1, 3.0, NULL, 0);
	add_run_ok(s, &r);
	r = run_record(b, false, 0, 2.0, NULL, 0); /* another commit counts too */
	add_run_ok(s, &r);
	r = run_record(b, false, 1, 100.0, NULL, 0);
	r.status = "timeout";
	add_run_ok(s, &r);
	r = run_record(b, true, 0, 50.0, NULL, 0);
	add_run_ok(s, &r);
	r = run_record(b9, false, 0, 70.0, NULL, 0);
	add_run_ok(s, &r);

	double durations[] = {10, 20, 99, 1000};
	const char *statuses[] = {"ok", "ok", "failed", "ok"};
	int64_t machines[] = {mid, mid, mid, other};
	for (size_t i = 0; i < 4; i++) {
		struct bl_build_record bld = {
			.repository = "/src/repo",
			.commit_sha = SHA_A,
			.machine_id = machines[i],
			.build_key = "key",
			.status = statuses[i],
			.start_unix_ns = 1795707000000000000LL,
			.duration_s = durations[i],
			.log_path = "/logs/build.log",
		};
		assert_int_equal(bl_store_add_build(s, &bld, &err), 0);
		/* What push asks before copying a build. */
		bool found = false;
		assert_int_equal(bl_store_has_build(s, &bld, &found, &err), 0);
		assert_true(found);
		bld.build_key = NULL;
		assert_int_equal(bl_store_has_build(s, &bld, &found, &err), 0);
		assert_false(found);
	}
	assert_int_equal(bl_store_typical_seconds(s, mid, "zip", "{}", &run_s, &build_s, &err), 0);
	assert_true(run_s == 2.0);
	assert_true(build_s == 15.0);
	assert_int_equal(bl_store_typical_seconds(s, mid, "zip", "{\"level\":\"9\"}", &run_s, &build_s, &err), 0);
	assert_true(run_s == 70.0);
	assert_int_equal(bl_store_typical_seconds(s, other, "zip", "{}", &run_s, &build_s, &err), 0);
	assert_true(run_s == -1 && build_s == 1000);
	bl_store_close(s);
	free(path);
}

/* ---- export (what push copies) ----------------------------------------------------------------------------------- */

struct exported {
	int machines, commits, builds, cases, runs;
	int64_t machine_id, case_id;
	char fingerprint[65], commit_subject[64], case_status[24], metadata[64];
	int64_t author_time, case_created_ns, build_start_ns;
	double build_s;
	/* the measured run with samples */
	size_t n_metrics, n_measurements, n_samples;
	char metric_names[128], measurement[64];
	int64_t start_ns, stored_ns;
	struct bl_sample s0, s_last;
	int warmups, peak_unknown, signal;
};

static int ex_machine(void *ctx, int64_t id, const struct bl_machine *m)
{
	struct exported *e = ctx;
	e->machines++;
	e->machine_id = id;
	snprintf(e->fingerprint, sizeof(e->fingerprint), "%s", m->fingerprint);
	assert_string_equal(m->hostname, "host1");
	assert_int_equal(m->cpu_count, 8);
	assert_int_equal(m->memory_bytes, 16LL << 30);
	return 0;
}

static int ex_commit(void *ctx, const char *repository, const struct bl_commit_info *ci)
{
	struct exported *e = ctx;
	e->commits++;
	assert_string_equal(repository, "/src/repo");
	snprintf(e->commit_subject, sizeof(e->commit_subject), "%s", ci->subject);
	e->author_time = ci->author_time;
	return 0;
}

static int ex_build(void *ctx, const struct bl_build_record *b)
{
	struct exported *e = ctx;
	e->builds++;
	assert_int_equal(b->machine_id, e->machine_id);
	e->build_start_ns = b->start_unix_ns;
	e->build_s = b->duration_s;
	return 0;
}

static int ex_case(void *ctx, const struct bl_export_case *c)
{
	struct exported *e = ctx;
	e->cases++;
	e->case_id = c->benchmark_id;
	assert_int_equal(c->key.machine_id, e->machine_id);
	snprintf(e->case_status, sizeof(e->case_status), "%s", c->status);
	snprintf(e->metadata, sizeof(e->metadata), "%s", c->key.metadata_json);
	e->case_created_ns = c->key.created_unix_ns;
	return 0;
}

static int ex_run(void *ctx, const struct bl_run_record *r)
{
	struct exported *e = ctx;
	e->runs++;
	assert_int_equal(r->benchmark_id, e->case_id);
	if (r->warmup) {
		e->warmups++;
		return 0;
	}
	if (r->term_signal) {
		e->signal = r->term_signal;
		e->peak_unknown = r->peak_rss_bytes == -1;
		assert_string_equal(r->status, "timeout");
		return 0;
	}
	e->n_metrics = r->n_metrics;
	e->n_measurements = r->n_measurements;
	e->n_samples = r->n_samples;
	e->start_ns = r->start_unix_ns;
	e->stored_ns = r->stored_unix_ns;
	assert_string_equal(r->cpu_list, "2-3");
	for (size_t i = 0; i < r->n_metrics; i++)
		snprintf(e->metric_names + strlen(e->metric_names), sizeof(e->metric_names) - strlen(e->metric_names),
			 "%s%s:%s:%s:%g", i ? "," : "", r->metrics[i].name, r->metrics[i].unit ? r->metrics[i].unit : "-",
			 bl_better_name(r->metrics[i].better) ? bl_better_name(r->metrics[i].better) : "-",
			 r->metrics[i].value);
	if (r->n_measurements)
		snprintf(e->measurement, sizeof(e->measurement), "%s", r->measurements[0]);
	if (r->n_samples) {
		e->s0 = r->samples[0];
		e->s_last = r->samples[r->n_samples - 1];
	}
	return 0;
}

struct detail_seen {
	int runs, warmups;
	char first[256];
	size_t first_samples;
	int first_gpus;
	double first_rss;
};

static int seen_detail(void *ctx, const struct bl_run_detail *d)
{
	struct detail_seen *x = ctx;
	if (x->runs++ == 0) {
		snprintf(x->first, sizeof(x->first), "%s/%d/%s/%.2f/%zu:%s=%g", d->kind, d->index, d->status, d->wall_s,
			 d->n_metrics, d->n_metrics ? d->metrics[0].name : "-", d->n_metrics ? d->metrics[0].value : 0);
		x->first_samples = d->n_samples;
		x->first_gpus = d->n_samples ? d->samples[0].n_gpus : -1;
		x->first_rss = d->n_samples ? d->samples[0].proc_rss_bytes.value : -1;
	}
	x->warmups += !strcmp(d->kind, "warmup");
	return 0;
}

/* Everything comes back as it was stored: records, samples regrouped per GPU, NULLs as invalid values. */
static void test_export(void **state)
{
	char *path = fresh_target();
	struct bl_store *s = open_ok(path);
	int64_t mid = add_machine(s, "fp1", "host1");
	put_commit_ok(s, "/src/repo", SHA_A, 1795707000, "First subject");
	struct bl_case_state st;
	struct bl_case_key k = case_key(mid, SHA_A, "decode", "{}");
	int64_t bid = open_case_ok(s, &k, &st);
	bl_case_state_release(&st);
	struct bl_metric metrics[] = {
		{.name = (char *)"latency", .value = 0.0123, .unit = (char *)"s", .better = BL_BETTER_LOWER},
		{.name = (char *)"ratio", .value = 3},
	};
	char *measurements[] = {(char *)"{\"model_load_time\":2.5}"};
	static struct bl_sample y[20];
	fill_samples(y, 20, 2);
	struct bl_run_record r = run_record(bid, false, 0, 1.25, metrics, 2);
	r.measurements = measurements;
	r.n_measurements = 1;
	r.stored_unix_ns = 1795707111000000000LL;
	r.cpu_list = "2-3";
	r.samples = y;
	r.n_samples = 20;
	add_run_ok(s, &r);
	struct bl_run_record w = run_record(bid, true, 0, 2.0, NULL, 0);
	add_run_ok(s, &w);
	struct bl_run_record killed = run_record(bid, false, 1, 3.0, NULL, 0);
	killed.status = "timeout";
	killed.term_signal = 9;
	killed.peak_rss_bytes = -1;
	add_run_ok(s, &killed);
	struct bl_build_record b = {.repository = "/src/repo", .commit_sha = SHA_A, .machine_id = mid,
				    .build_key = "key", .status = "ok", .start_unix_ns = 1795707000250000000LL,
				    .duration_s = 12.5};
	struct bl_error err = {{0}};
	assert_int_equal(bl_store_add_build(s, &b, &err), 0);
	bool found = false;
	assert_int_equal(bl_store_has_build(s, &b, &found, &err), 0);
	assert_true(found);
	b.start_unix_ns += 1000000;
	assert_int_equal(bl_store_has_build(s, &b, &found, &err), 0);
	assert_false(found);

	struct exported e = {0};
	static const struct bl_export_visitor v = {ex_machine, ex_commit, ex_build, ex_case, ex_run};
	assert_int_equal(bl_store_export(s, &v, &e, &err), 0);
	assert_int_equal(e.machines, 1);
	assert_string_equal(e.fingerprint, "fp1");
	assert_int_equal(e.commits, 1);
	assert_string_equal(e.commit_subject, "First subject");
	assert_int_equal(e.author_time, 1795707000 - 10);
	assert_int_equal(e.builds, 1);
	assert_int_equal(e.build_start_ns, 1795707000250000000LL);
	assert_true(e.build_s == 12.5);
	assert_int_equal(e.cases, 1);
	assert_string_equal(e.case_status, "failed"); /* the timed-out run */
	/* JSONB gives the document back in its own spacing. */
	assert_string_equal(e.metadata, is_pg() ? "{\"gpu_name\": \"none\"}" : "{\"gpu_name\":\"none\"}");
	assert_true(e.case_created_ns > 0);
	assert_int_equal(e.runs, 3);
	assert_int_equal(e.warmups, 1);
	assert_int_equal(e.signal, 9);
	assert_int_equal(e.peak_unknown, 1);
	assert_string_equal(e.metric_names, "latency:s:lower:0.0123,ratio:-:-:3");
	assert_int_equal(e.n_measurements, 1);
	assert_string_equal(e.measurement, is_pg() ? "{\"model_load_time\": 2.5}" : "{\"model_load_time\":2.5}");
	assert_int_equal(e.stored_ns, 1795707111000000000LL);
	assert_int_equal(e.start_ns, 1795707000123000000LL); /* milliseconds */
	assert_int_equal(e.n_samples, 20);
	assert_int_equal(e.s0.n_gpus, 2);
	assert_true(e.s0.proc_cpu_pct.valid && e.s0.proc_cpu_pct.value == 100);
	assert_true(e.s0.proc_rss_bytes.valid && e.s0.proc_rss_bytes.value == 2.0 * 1024 * 1024);
	assert_false(e.s0.sys_mem_used_bytes.valid);
	assert_true(e.s0.gpu[1].util_pct.valid && e.s0.gpu[1].util_pct.value == 51);
	assert_true(e.s0.gpu[0].mem_used_bytes.value == 1024.0 * 1024 * 1024);
	assert_true(e.s0.gpu[1].clock_reasons.valid && e.s0.gpu[1].clock_reasons.value == 4);
	assert_false(e.s0.gpu[0].sm_clock_mhz.valid);
	assert_int_equal(e.s_last.t_ns, 190000000);
	assert_false(e.s_last.proc_cpu_pct.valid);

	/* One case's runs, whole, in the order they were stored (the report's run pages). */
	struct detail_seen seen = {0};
	assert_int_equal(bl_store_case_runs(s, bid, seen_detail, &seen, &err), 0);
	assert_int_equal(seen.runs, 3);
	assert_int_equal(seen.warmups, 1);
	assert_string_equal(seen.first, "measured/0/ok/1.25/2:latency=0.0123");
	assert_int_equal(seen.first_samples, 20);
	assert_int_equal(seen.first_gpus, 2);
	assert_true(seen.first_rss == 2.0 * 1024 * 1024);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(bl_store_case_runs(s, bid + 1000, seen_detail, &seen, &err), 0);
	assert_int_equal(seen.runs, 0);
	assert_int_equal(e.s_last.n_gpus, 2);
	bl_store_close(s);
	free(path);
}

/* A store with two machines, builds, and cases with warm-ups, metrics, model
 * measurements and device samples. */
static void fill_store(const char *target)
{
	struct bl_store *s = open_ok(target);
	struct bl_error err = {{0}};
	int64_t m1 = add_machine(s, "fp1", "host1"), m2 = add_machine(s, "fp2", "host2");
	put_commit_ok(s, "/src/repo", SHA_A, 1795707000, "First");
	put_commit_ok(s, "/src/repo", SHA_B, 1795708000, "Second");
	struct bl_metric metrics[] = {
		{.name = (char *)"latency", .value = 0.25, .unit = (char *)"s", .better = BL_BETTER_LOWER},
		{.name = (char *)"delta", .value = -3.5},
	};
	char *measurements[] = {(char *)"{\"model_load_time\":2.5}"};
	static struct bl_sample y[4];
	fill_samples(y, 4, 1);
	const char *shas[] = {SHA_A, SHA_B};
	for (int c = 0; c < 2; c++)
		for (int m = 0; m < 2; m++) {
			struct bl_case_state st;
			struct bl_case_key k = case_key(m ? m2 : m1, shas[c], "decode", "{\"n\":1}");
			int64_t bid = open_case_ok(s, &k, &st);
			bl_case_state_release(&st);
			struct bl_run_record w = run_record(bid, true, 0, 1.0, NULL, 0);
			add_run_ok(s, &w);
			for (int i = 0; i < 2; i++) {
				struct bl_run_record r = run_record(bid, false, i, 1.0 + i, metrics, 2);
				r.measurements = measurements;
				r.n_measurements = 1;
				r.samples = y;
				r.n_samples = 4;
				add_run_ok(s, &r);
			}
			assert_int_equal(bl_store_set_case_status(s, bid, BL_CASE_COMPLETE, &err), 0);
			struct bl_build_record b = {.repository = "/src/repo", .commit_sha = shas[c],
						    .machine_id = m ? m2 : m1, .build_key = "key", .status = "ok",
						    .start_unix_ns = 1795707000250000000LL + c, .duration_s = 2.5};
			assert_int_equal(bl_store_add_build(s, &b, &err), 0);
		}
	bl_store_close(s);
}

/* Row counts of every table, "machines=2 commits=2 ...". */
static char *row_counts(const char *target)
{
	static const char *const tables[] = {"machines", "commits", "benchmarks", "builds", "runs", "metric_values",
					     "metrics", "model_measurements", "device_measurements"};
	char buf[512] = "";
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char *sql = bl_xasprintf("SELECT count(*) FROM %s", tables[i]);
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s=%lld", i ? " " : "", tables[i],
			 (long long)raw_int(target, sql));
		free(sql);
	}
	return bl_xstrdup(buf);
}

static void copy_ok(const char *from_target, const char *to_target, struct bl_copy_totals *t)
{
	struct bl_store *from = open_ok(from_target), *to = open_ok(to_target);
	struct bl_error err = {{0}};
	memset(t, 0, sizeof(*t));
	if (bl_store_copy(from, to, t, &err) != 0)
		fail_msg("copy %s -> %s: %s", from_target, to_target, err.msg);
	bl_store_close(from);
	bl_store_close(to);
}

/* Copies from into a new store, twice: the first copy holds everything, the second adds nothing. */
static void copy_twice(const char *from, const char *to)
{
	struct bl_copy_totals t;
	copy_ok(from, to, &t);
	char *want = row_counts(from), *got = row_counts(to);
	assert_string_equal(got, want);
	assert_string_equal(want, "machines=2 commits=2 benchmarks=4 builds=4 runs=12 metric_values=16 metrics=16"
				  " model_measurements=8 device_measurements=32");
	assert_int_equal(t.runs_added, 12);
	assert_int_equal(t.builds_added, 4);
	assert_int_equal(t.machines_added, 2);
	copy_ok(from, to, &t);
	assert_int_equal(t.runs_added, 0);
	assert_int_equal(t.runs_present, 12);
	assert_int_equal(t.builds_added, 0);
	assert_int_equal(t.machines_added, 0);
	free(got);
	got = row_counts(to);
	assert_string_equal(got, want);
	/* Values come across: the metrics' sum and the negative one. */
	assert_int_equal(raw_int(to, "SELECT count(*) FROM metrics WHERE value = -3.5"), 8);
	assert_int_equal(raw_int(to, "SELECT count(*) FROM benchmarks WHERE status = 'complete'"), 4);
	free(want);
	free(got);
}

/* SQLite->SQLite on the SQLite group; SQLite->PG, PG->SQLite and PG->PG on the PostgreSQL one. */
static void test_copy_directions(void **state)
{
	(void)state;
	char *lite = fresh_path();
	fill_store(lite);
	if (!is_pg()) {
		char *lite2 = fresh_path();
		copy_twice(lite, lite2);
		free(lite2);
		free(lite);
		return;
	}
	char *pg_a = fresh_target(), *pg_b = fresh_target(), *lite2 = fresh_path();
	copy_twice(lite, pg_a);  /* SQLite -> PostgreSQL */
	copy_twice(pg_a, lite2); /* PostgreSQL -> SQLite */
	copy_twice(pg_a, pg_b);  /* PostgreSQL -> PostgreSQL */
	/* Round trip: the start times and metric values are those of the original. */
	char *a = raw_text(lite, "SELECT group_concat(started_at || '/' || wall_s, ',') FROM"
				 " (SELECT started_at, wall_s FROM runs ORDER BY run_id)");
	char *b = raw_text(lite2, "SELECT group_concat(started_at || '/' || wall_s, ',') FROM"
				  " (SELECT started_at, wall_s FROM runs ORDER BY run_id)");
	assert_string_equal(a, b);
	free(a);
	free(b);
	free(lite);
	free(lite2);
	free(pg_a);
	free(pg_b);
}

static void test_locked_database(void **state)
{
	char *path = fresh_path();
	struct bl_store *s = open_ok(path);
	int64_t mid = add_machine(s, "fp1", "host1");
	struct bl_case_state st;
	struct bl_case_key k = case_key(mid, SHA_A, "zip", "{}");
	int64_t bid = open_case_ok(s, &k, &st);
	bl_case_state_release(&st);
	bl_store_close(s);

	setenv("BENCHLINE_SQLITE_BUSY_TIMEOUT", "0.3", 1);
	s = open_ok(path);
	unsetenv("BENCHLINE_SQLITE_BUSY_TIMEOUT");
	sqlite3 *other = raw_open(path);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	struct bl_run_record r = run_record(bid, false, 0, 1.0, NULL, 0);
	struct bl_error err = {{0}};
	int64_t t0 = bl_now_mono_ns();
	assert_int_equal(bl_store_add_run(s, &r, NULL, &err), -1);
	double waited = (double)(bl_now_mono_ns() - t0) / 1e9;
	assert_true(waited >= 0.25);
	char *expect = bl_xasprintf("database '%s' is locked by another process (gave up after 0.3 s)", path);
	if (!strstr(err.msg, expect))
		fail_msg("message '%s' lacks '%s'", err.msg, expect);
	free(expect);
	/* Readers are not blocked by a writer (WAL). */
	struct seen out;
	query(s, NULL, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	add_run_ok(s, &r);
	bl_store_close(s);

	setenv("BENCHLINE_SQLITE_BUSY_TIMEOUT", "soon", 1);
	assert_int_equal(bl_store_open(path, &s, &err), -1);
	assert_non_null(strstr(err.msg, "BENCHLINE_SQLITE_BUSY_TIMEOUT"));
	unsetenv("BENCHLINE_SQLITE_BUSY_TIMEOUT");
	free(path);
}

/* Every run the store reported as stored survives kill -9 of the writer. */
static void test_committed_runs_survive_kill(void **state)
{
	char *path = fresh_target();
	struct bl_store *s = open_ok(path);
	int64_t mid = add_machine(s, "fp1", "host1");
	struct bl_case_state st;
	struct bl_case_key k = case_key(mid, SHA_A, "zip", "{}");
	int64_t bid = open_case_ok(s, &k, &st);
	bl_case_state_release(&st);
	bl_store_close(s);

	raw_pg_close(); /* the child must not share the tests' connection */
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		struct bl_store *cs = NULL;
		struct bl_error cerr = {{0}};
		if (bl_store_open(path, &cs, &cerr) != 0)
			_exit(2);
		struct bl_metric m[50];
		char names[50][16];
		for (int i = 0; i < 50; i++) {
			snprintf(names[i], sizeof(names[i]), "m%02d", i);
			m[i] = (struct bl_metric){.name = names[i], .value = i};
		}
		for (int i = 0;; i++) {
			struct bl_run_record r = run_record(bid, false, i, 1.0, m, 50);
			if (bl_store_add_run(cs, &r, NULL, &cerr) != 0)
				_exit(3);
			if (write(fds[1], &i, sizeof(i)) != (ssize_t)sizeof(i))
				_exit(4);
		}
	}
	close(fds[1]);
	int last = -1, idx;
	while (last < 200 && read(fds[0], &idx, sizeof(idx)) == (ssize_t)sizeof(idx))
		last = idx;
	assert_int_equal(kill(pid, SIGKILL), 0);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	/* Reports written before the kill but not read yet also name stored runs. */
	while (read(fds[0], &idx, sizeof(idx)) == (ssize_t)sizeof(idx))
		last = idx;
	close(fds[0]);
	assert_true(last >= 200);

	s = open_ok(path);
	assert_int_equal(open_case_ok(s, &k, &st), bid);
	assert_true(st.n_measured_done >= (size_t)last + 1);
	for (int i = 0; i <= last; i++)
		assert_int_equal(st.measured_done[i], i);
	size_t runs = st.n_measured_done;
	bl_case_state_release(&st);
	bl_store_close(s);
	char *sql = bl_xasprintf("SELECT count(*) FROM metrics");
	assert_int_equal(raw_int(path, sql), (int64_t)runs * 50); /* whole runs only */
	free(sql);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM runs"), (int64_t)runs);
	if (!is_pg()) {
		char *ok = raw_text(path, "PRAGMA integrity_check");
		assert_string_equal(ok, "ok");
		free(ok);
	}
	free(path);
}

static void test_integrity(void **state)
{
	char *path = fresh_target();
	struct bl_store *s = open_ok(path);
	int64_t failed_id;
	build_history(s, &failed_id);
	bl_store_close(s);
	/* No value without its run or its name (PostgreSQL enforces the other keys itself). */
	assert_int_equal(raw_int(path, "SELECT count(*) FROM metric_values v WHERE NOT EXISTS (SELECT 1 FROM runs r"
				       " WHERE v.value_id >= r.run_id * 1000000 AND v.value_id < (r.run_id + 1) * 1000000)"),
			 0);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM metric_values"), raw_int(path, "SELECT count(*) FROM metrics"));
	if (is_pg()) {
		free(path);
		return;
	}
	char *ok = raw_text(path, "PRAGMA integrity_check");
	assert_string_equal(ok, "ok");
	free(ok);
	sqlite3 *db = raw_open(path);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE); /* no orphans */
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(path);
}

/* ---- change points (detect --save) and the upgrade from schema version 1 --------------------------------------- */

static struct bl_change_point change_point(const char *sha, const char *prev, const char *verdict, double change)
{
	struct bl_change_point c = {
		.commit_sha = sha, .previous_sha = prev, .unmeasured = 0, .verdict = verdict,
		.before = 1.0, .after = 1.0 + change, .change = change, .change_lo = change / 2, .change_hi = change * 2,
		.p = 0.0001,
	};
	return c;
}

static struct bl_series_detection series_detection(int64_t machine_id, const char *metric, const char *unit,
						   const struct bl_change_point *changes, size_t n)
{
	struct bl_series_detection sd = {
		.repository = "/src/repo", .machine_id = machine_id, .name = "compress", .params_json = "{\"level\":\"1\"}",
		.metric = metric, .unit = unit, .alpha = 0.001, .noise_floor = 0.01, .min_segment = 3,
		.changes = changes, .n_changes = n,
	};
	return sd;
}

static void save_ok(struct bl_store *s, const struct bl_series_detection *sd, size_t n, int64_t when_ns)
{
	struct bl_detection d = {.head_sha = SHA_C, .detected_unix_ns = when_ns, .series = sd, .n_series = n};
	struct bl_error err = {{0}};
	if (bl_store_save_detection(s, &d, &err) != 0)
		fail_msg("save_detection: %s", err.msg);
}

/* Every change point, one line each, in a stable order. */
static char *stored_changes(const char *path)
{
	return raw_joined(path, "line",
			  is_pg() ? "SELECT metric || ':' || coalesce(unit, '-') || ':' || left(commit_id, 1) || ':' || verdict"
				    " || ':' || change::text AS line FROM change_points ORDER BY metric, unit, commit_id"
				  : "SELECT metric || ':' || coalesce(unit, '-') || ':' || substr(commit_id, 1, 1) || ':' ||"
				    " verdict || ':' || change AS line FROM change_points ORDER BY metric, unit, commit_id");
}

static void test_save_detection(void **state)
{
	char *path = fresh_target();
	struct bl_store *s = open_ok(path);
	int64_t mid = add_machine(s, "fp1", "host1");
	struct bl_change_point two[] = {change_point(SHA_B, SHA_A, "regressed", 0.5),
					 change_point(SHA_C, SHA_B, "improved", -0.25)};
	struct bl_change_point one[] = {change_point(SHA_B, SHA_A, "changed", 0.125)};
	/* latency in s and in ms are two series; the second has no change yet. */
	struct bl_series_detection first[] = {series_detection(mid, "latency", "s", two, 2),
					      series_detection(mid, "latency", "ms", NULL, 0),
					      series_detection(mid, "size", NULL, one, 1)};
	save_ok(s, first, 3, 1795707000123456789LL);
	char *got = stored_changes(path);
	assert_string_equal(got, "latency:s:b:regressed:0.5,latency:s:c:improved:-0.25,size:-:b:changed:0.125");
	free(got);
	char *when = raw_time(path, "detected_at", "FROM change_points LIMIT 1");
	assert_string_equal(when, "2026-11-26T15:30:00.123Z");
	free(when);
	/* Every column, joined with '|' (|| in both dialects; text casts differ). */
	char *row = raw_text(path, "SELECT repository || '|' || machine_id || '|' || name || '|' || params || '|' ||"
				" previous_commit_id || '|' || unmeasured || '|' || level_before || '|' ||"
				" level_after || '|' || change_lo || '|' || change_hi || '|' || p || '|' ||"
				" head_commit_id || '|' || alpha || '|' || noise_floor || '|' || min_segment"
				" FROM change_points WHERE verdict = 'regressed'");
	char *want = bl_xasprintf("/src/repo|%lld|compress|{\"level\":\"1\"}|%s|0|1.0|1.5|0.25|1.0|0.0001|%s|0.001|0.01|3",
				  (long long)mid, SHA_A, SHA_C);
	if (is_pg()) { /* PostgreSQL prints 1.0 as 1 */
		free(want);
		want = bl_xasprintf("/src/repo|%lld|compress|{\"level\":\"1\"}|%s|0|1|1.5|0.25|1|0.0001|%s|0.001|0.01|3",
				    (long long)mid, SHA_A, SHA_C);
	}
	assert_string_equal(row, want);
	free(row);
	free(want);

	/* A new detection of latency (s) replaces its two rows; the others stay. */
	struct bl_series_detection again[] = {series_detection(mid, "latency", "s", one, 1)};
	save_ok(s, again, 1, 0);
	got = stored_changes(path);
	assert_string_equal(got, "latency:s:b:changed:0.125,size:-:b:changed:0.125");
	free(got);
	/* A detection that finds nothing clears the series. */
	struct bl_series_detection none[] = {series_detection(mid, "size", NULL, NULL, 0)};
	save_ok(s, none, 1, 0);
	got = stored_changes(path);
	assert_string_equal(got, "latency:s:b:changed:0.125");
	free(got);

	/* Bad input: refused with a message naming it, and nothing stored changes
	 * (also not the series before the bad one). */
	struct bl_change_point bad_sha[] = {change_point("B", SHA_A, "regressed", 0.5)};
	struct bl_change_point bad_verdict[] = {change_point(SHA_B, SHA_A, "worse", 0.5)};
	struct bl_change_point bad_p[] = {change_point(SHA_B, SHA_A, "regressed", 0.5)};
	bad_p[0].p = 1.5;
	struct bl_change_point bad_level[] = {change_point(SHA_B, SHA_A, "regressed", 0.5)};
	bad_level[0].after = NAN;
	struct {
		struct bl_series_detection sd[2];
		const char *expect;
	} bad[] = {
		{{series_detection(mid, "size", NULL, one, 1), series_detection(mid, "latency", "s", bad_sha, 1)},
		 "cannot save change points of compress latency: change 1: commit 'B' or previous commit"},
		{{series_detection(mid, "size", NULL, one, 1), series_detection(mid, "latency", "s", bad_verdict, 1)},
		 "unknown verdict 'worse'"},
		{{series_detection(mid, "size", NULL, one, 1), series_detection(mid, "latency", "s", bad_p, 1)},
		 "p = 1.5 is not a probability"},
		{{series_detection(mid, "size", NULL, one, 1), series_detection(mid, "latency", "s", bad_level, 1)},
		 "not a finite number"},
		{{series_detection(mid, "size", NULL, one, 1), series_detection(mid, "latency", "s", NULL, 0)},
		 "params are not a JSON object: [1]"},
		/* Only the database can tell: a machine that is not stored (the first series was already replaced). */
		{{series_detection(mid, "latency", "s", NULL, 0), series_detection(mid + 100, "size", NULL, one, 1)},
		 "cannot store"},
	};
	bad[4].sd[1].params_json = "[1]";
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bl_detection d = {.head_sha = SHA_C, .series = bad[i].sd, .n_series = 2};
		struct bl_error err = {{0}};
		assert_int_equal(bl_store_save_detection(s, &d, &err), -1);
		if (!strstr(err.msg, bad[i].expect))
			fail_msg("case %zu: message '%s' lacks '%s'", i, err.msg, bad[i].expect);
		got = stored_changes(path);
		assert_string_equal(got, "latency:s:b:changed:0.125");
		free(got);
	}
	struct bl_detection d = {.head_sha = "HEAD", .series = again, .n_series = 1};
	struct bl_error err = {{0}};
	assert_int_equal(bl_store_save_detection(s, &d, &err), -1);
	assert_non_null(strstr(err.msg, "the analysed commit 'HEAD' is not a full lowercase SHA"));
	/* The store still works after the failures. */
	save_ok(s, first, 3, 0);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM change_points"), 3);
	bl_store_close(s);
	free(path);
}

/* The v1 tables, each as one string of its rows. */
static const char *const v1_tables[] = {"machines", "commits", "benchmarks", "builds", "runs", "metric_names",
					"metric_values", "metrics", "model_measurements", "device_measurements"};

static char *table_text(const char *path, const char *table)
{
	if (is_pg()) {
		char *sql = bl_xasprintf("SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '') FROM %s t", table);
		char *v = raw_text(path, sql);
		free(sql);
		return v;
	}
	sqlite3 *db = raw_open(path);
	char *sql = bl_xasprintf("SELECT * FROM %s ORDER BY 1, 2", table);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	struct bl_buf b;
	bl_buf_init(&b);
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(st); c++) {
			const unsigned char *t = sqlite3_column_text(st, c);
			bl_buf_printf(&b, "%s%s", c ? "|" : "", t ? (const char *)t : "NULL");
		}
		bl_buf_putc(&b, '\n');
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(sql);
	return b.data ? bl_buf_detach(&b) : bl_xstrdup("");
}

static int count_point(void *ctx, const struct bl_point *p)
{
	(*(size_t *)ctx) += p->n_values;
	return 0;
}

/* A store written by benchline with schema version 1 (tests/data/store-v1,
 * made by make-fixtures.sh from the commit before version 2) is upgraded in
 * place when opened: every row kept, the new table added, and it works. */
static void test_upgrade_from_v1(void **state)
{
	char *dir = bl_xstrndup(__FILE__, (size_t)(strrchr(__FILE__, '/') - __FILE__));
	char *fixture = bl_xasprintf("%s/../data/store-v1/%s", dir, is_pg() ? "postgresql.sql" : "sqlite.sql");
	struct bl_buf dump;
	read_bytes(fixture, &dump);
	char *path = fresh_target();
	if (is_pg()) {
		raw_exec(path, dump.data);
	} else {
		sqlite3 *db = NULL;
		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		char *msg = NULL;
		if (sqlite3_exec(db, dump.data, NULL, NULL, &msg) != SQLITE_OK)
			fail_msg("loading %s: %s", fixture, msg);
		sqlite3_close(db);
	}
	bl_buf_release(&dump);
	assert_int_equal(raw_int(path, "SELECT version FROM schema_version"), 1);
	assert_false(table_exists(path, "change_points", false));
	size_t n = sizeof(v1_tables) / sizeof(v1_tables[0]);
	char **before = bl_xcalloc(n, sizeof(*before));
	for (size_t i = 0; i < n; i++)
		before[i] = table_text(path, v1_tables[i]);
	assert_true(raw_int(path, "SELECT count(*) FROM device_measurements") > 0);
	int64_t runs = raw_int(path, "SELECT count(*) FROM runs");
	assert_int_equal(runs, 12);

	struct bl_store *s = open_ok(path);
	assert_int_equal(raw_int(path, "SELECT version FROM schema_version"), BL_SCHEMA_VERSION);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM schema_version"), 1);
	assert_true(table_exists(path, "change_points", false));
	for (size_t i = 0; i < n; i++) {
		char *after = table_text(path, v1_tables[i]);
		if (strcmp(before[i], after) != 0)
			fail_msg("table %s changed in the upgrade", v1_tables[i]);
		free(after);
	}
	/* Reading and writing work on the upgraded store; ids go on from the old ones. */
	size_t values = 0;
	struct bl_point_query q = {.metric = "score"};
	struct bl_error err = {{0}};
	assert_int_equal(bl_store_foreach_point(s, &q, count_point, &values, &err), 0);
	assert_int_equal(values, 8);
	int64_t bid = raw_int(path, "SELECT min(benchmark_id) FROM benchmarks");
	int64_t mid = raw_int(path, "SELECT min(machine_id) FROM machines");
	struct bl_run_record r = run_record(bid, true, 5, 0.5, NULL, 0);
	int64_t run_id = add_run_ok(s, &r);
	assert_true(run_id > raw_int(path, "SELECT max(run_id) FROM runs WHERE run_id <> (SELECT max(run_id) FROM runs)"));
	char *sha = raw_text(path, "SELECT min(commit_id) FROM benchmarks");
	char *repo = raw_text(path, "SELECT min(repository) FROM benchmarks");
	struct bl_change_point c[] = {change_point(sha, sha, "improved", -0.5)};
	struct bl_series_detection sd = series_detection(mid, "score", "pts", c, 1);
	sd.repository = repo;
	save_ok(s, &sd, 1, 0);
	bl_store_close(s);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM change_points c JOIN machines m USING (machine_id)"), 1);
	/* Opening again changes nothing more. */
	char *schema1 = schema_signature(path);
	bl_store_close(open_ok(path));
	char *schema2 = schema_signature(path);
	assert_string_equal(schema1, schema2);
	for (size_t i = 0; i < n; i++)
		free(before[i]);
	free(before);
	free(schema1);
	free(schema2);
	free(sha);
	free(repo);
	free(path);
	free(fixture);
	free(dir);
}

/* The tests of both backends, then those of one. */
#define COMMON_TESTS                                                                                                  \
	cmocka_unit_test(test_export), cmocka_unit_test(test_copy_directions),                                        \
	cmocka_unit_test(test_schema_created), cmocka_unit_test(test_reopen_idempotent),                              \
		cmocka_unit_test(test_newer_version_refused), cmocka_unit_test(test_foreign_database),                \
		cmocka_unit_test(test_upgrade_from_version_2), cmocka_unit_test(test_batch_transaction),                \
		cmocka_unit_test(test_machine_upsert), cmocka_unit_test(test_put_commit_upsert),                      \
		cmocka_unit_test(test_open_case), cmocka_unit_test(test_add_run_stores_everything),                   \
		cmocka_unit_test(test_failed_add_run_leaves_nothing), cmocka_unit_test(test_device_samples),          \
		cmocka_unit_test(test_many_metrics), cmocka_unit_test(test_metric_dictionary),                        \
		cmocka_unit_test(test_foreach_point), cmocka_unit_test(test_foreach_value),                            \
		cmocka_unit_test(test_series_bulk_same), cmocka_unit_test(test_units_kept_apart),                        \
		cmocka_unit_test(test_typical_seconds), cmocka_unit_test(test_committed_runs_survive_kill),           \
		cmocka_unit_test(test_integrity), cmocka_unit_test(test_save_detection),                              \
		cmocka_unit_test(test_upgrade_from_v1)

int main(int argc, char **argv)
{
	const char *which = "all";
	if (argc == 3 && !strcmp(argv[1], "--backend")) {
		which = argv[2];
	} else if (argc != 1) {
		fprintf(stderr, "usage: %s [--backend sqlite|postgresql|all]\n", argv[0]);
		return 2;
	}
	bool want_sqlite = !strcmp(which, "all") || !strcmp(which, "sqlite");
	bool want_pg = !strcmp(which, "all") || !strcmp(which, "postgresql");
	if (!want_sqlite && !want_pg) {
		fprintf(stderr, "unknown backend '%s'\n", which);
		return 2;
	}
	const struct CMUnitTest sqlite_tests[] = {
		COMMON_TESTS,
		cmocka_unit_test(test_not_a_database),
		cmocka_unit_test(test_store_targets),
		cmocka_unit_test(test_sync_setting),
		cmocka_unit_test(test_device_samples_batches),
		cmocka_unit_test(test_locked_database),
	};
	const struct CMUnitTest pg_tests[] = {
		COMMON_TESTS,
		cmocka_unit_test(test_pg_connection_errors),
		cmocka_unit_test(test_pg_server_gone_mid_read),
	};
	int failed = 0;
	if (want_sqlite)
		failed += cmocka_run_group_tests_name("store on SQLite", sqlite_tests, setup_scratch, teardown_scratch);
	if (want_pg) {
		pg_url = getenv("BENCHLINE_TEST_PG_URL");
		if (!pg_url || !*pg_url) {
			printf("store on PostgreSQL: SKIPPED (BENCHLINE_TEST_PG_URL is not set; tests/pg-server.sh sets it)\n");
			/* Asked for PostgreSQL alone: tell ctest it was skipped. */
			return want_sqlite ? failed : 77;
		}
		failed += cmocka_run_group_tests_name("store on PostgreSQL", pg_tests, setup_pg, teardown_pg);
	}
	return failed;
}
