/*
 * store_sqlite_schema.c - the schema of the SQLite store and its migrations.
 *
 * Migrations are an ordered array of SQL steps; migrations[i] takes the
 * schema from version i to i + 1. They run in one BEGIN IMMEDIATE
 * transaction, after re-reading the version inside it, so two processes
 * opening a new file at once do not both create the tables. A released step
 * is never edited: a later change appends a step and bumps BL_SCHEMA_VERSION.
 */
#include "store_sqlite_internal.h"

#include <stdio.h>

#define PER_RUN BL_SQLITE_STR(BL_SQLITE_VALUES_PER_RUN)
_Static_assert(BL_SQLITE_VALUES_PER_RUN == 1000000, "the schema of version 1 stores values at run_id * 1000000 + seq");

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
	/* One index finds the runs of a case and keeps measured repetitions
	 * unique: its last column is 0 for a measured run, so a second one with
	 * the same index collides, and the run's own id for a warm-up, so
	 * warm-ups never do. One index is one page less to write per run. */
	"CREATE UNIQUE INDEX runs_by_benchmark ON runs (benchmark_id, kind, idx,\n"
	"	CASE kind WHEN 'measured' THEN 0 ELSE run_id END);\n"
	/* The metric dictionary: a value row carries a small integer instead of
	 * its name, unit and direction. AUTOINCREMENT: a key is never reused,
	 * so a writer that cached a key of a deleted row fails on the foreign
	 * key instead of filing values under another metric. */
	"CREATE TABLE metric_names (\n"
	"	metric_key INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"	name TEXT NOT NULL CHECK (name <> ''),\n"
	"	unit TEXT,\n"
	"	better TEXT CHECK (better IN ('lower', 'higher')),\n"
	"	UNIQUE (name, unit, better)\n"
	");\n"
	/* value_id = run_id * 1000000 + seq. An integer primary key is the
	 * rowid: the values of a run are one key range (clustered by run, with
	 * no index to write), and each run's values go at the end of the
	 * b-tree, which SQLite appends to without rebalancing neighbours. */
	"CREATE TABLE metric_values (\n"
	"	value_id INTEGER PRIMARY KEY,\n"
	"	metric_key INTEGER NOT NULL REFERENCES metric_names (metric_key),\n"
	"	value REAL NOT NULL\n"
	");\n"
	/* What ON DELETE CASCADE would do if value_id were a column of its own. */
	"CREATE TRIGGER runs_delete_metric_values AFTER DELETE ON runs BEGIN\n"
	"	DELETE FROM metric_values WHERE value_id >= OLD.run_id * " PER_RUN "\n"
	"		AND value_id < (OLD.run_id + 1) * " PER_RUN ";\n"
	"END;\n"
	/* The readable form, one row per value. CROSS JOIN fixes the order runs,
	 * values, names: each run's values are then one range of the key, never
	 * a scan of all values per run, whatever the query around it. */
	"CREATE VIEW metrics (run_id, seq, name, value, unit, better) AS\n"
	"	SELECT r.run_id, v.value_id - r.run_id * " PER_RUN ", n.name, v.value, n.unit, n.better\n"
	"	FROM runs r\n"
	"	CROSS JOIN metric_values v ON v.value_id >= r.run_id * " PER_RUN "\n"
	"		AND v.value_id < (r.run_id + 1) * " PER_RUN "\n"
	"	CROSS JOIN metric_names n ON n.metric_key = v.metric_key;\n"
	"CREATE TABLE model_measurements (\n"
	"	measurement_id INTEGER PRIMARY KEY,\n"
	"	benchmark_id INTEGER NOT NULL REFERENCES benchmarks (benchmark_id) ON DELETE CASCADE,\n"
	"	run_id INTEGER REFERENCES runs (run_id) ON DELETE CASCADE,\n"
	"	measurements TEXT NOT NULL,\n"
	"	time TEXT NOT NULL\n"
	");\n"
	"CREATE INDEX model_measurements_by_benchmark ON model_measurements (benchmark_id);\n"
	"CREATE INDEX model_measurements_by_run ON model_measurements (run_id);\n"
	/* The transformers v1 columns first, then what benchline adds: one row
	 * per sample and GPU (gpu_index NULL without a GPU); a value that could
	 * not be read is NULL, never 0. Megabytes are MiB, as psutil/gpustat. */
	"CREATE TABLE device_measurements (\n"
	"	measurement_id INTEGER PRIMARY KEY,\n"
	"	benchmark_id INTEGER NOT NULL REFERENCES benchmarks (benchmark_id) ON DELETE CASCADE,\n"
	"	run_id INTEGER REFERENCES runs (run_id) ON DELETE CASCADE,\n"
	"	cpu_util REAL,\n"
	"	mem_megabytes REAL,\n"
	"	gpu_util REAL,\n"
	"	gpu_mem_megabytes REAL,\n"
	"	time TEXT NOT NULL,\n"
	"	warmup INTEGER NOT NULL DEFAULT 0 CHECK (warmup IN (0, 1)),\n"
	"	t_ns INTEGER,\n"
	"	procs INTEGER,\n"
	"	sys_cpu_util REAL,\n"
	"	sys_mem_megabytes REAL,\n"
	"	gpu_index INTEGER,\n"
	"	gpu_power_w REAL,\n"
	"	gpu_temp_c REAL,\n"
	"	gpu_sm_clock_mhz REAL,\n"
	"	gpu_clock_reasons INTEGER,\n"
	"	gpu_proc_mem_megabytes REAL\n"
	");\n"
	"CREATE INDEX device_measurements_by_benchmark ON device_measurements (benchmark_id);\n"
	"CREATE INDEX device_measurements_by_run ON device_measurements (run_id);\n",
	/* Version 2: the change points `benchline detect --save` found, one row
	 * each; a series' rows are replaced whole by its next detection. */
	"CREATE TABLE change_points (\n"
	"	change_id INTEGER PRIMARY KEY,\n"
	"	repository TEXT NOT NULL,\n"
	"	machine_id INTEGER NOT NULL REFERENCES machines (machine_id),\n"
	"	name TEXT NOT NULL CHECK (name <> ''),\n"
	"	params TEXT NOT NULL DEFAULT '{}',\n"
	"	metric TEXT NOT NULL CHECK (metric <> ''),\n"
	"	unit TEXT,\n"
	"	commit_id TEXT NOT NULL,\n"
	"	previous_commit_id TEXT NOT NULL,\n"
	"	unmeasured INTEGER NOT NULL DEFAULT 0 CHECK (unmeasured >= 0),\n"
	"	verdict TEXT NOT NULL CHECK (verdict IN ('regressed', 'improved', 'changed')),\n"
	"	level_before REAL NOT NULL,\n"
	"	level_after REAL NOT NULL,\n"
	"	change REAL NOT NULL,\n"
	"	change_lo REAL NOT NULL,\n"
	"	change_hi REAL NOT NULL,\n"
	"	p REAL NOT NULL CHECK (p >= 0 AND p <= 1),\n"
	"	head_commit_id TEXT NOT NULL,\n"
	"	alpha REAL NOT NULL,\n"
	"	noise_floor REAL NOT NULL,\n"
	"	min_segment INTEGER NOT NULL,\n"
	"	detected_at TEXT NOT NULL\n"
	");\n"
	"CREATE INDEX change_points_by_series ON change_points (repository, machine_id, name, params, metric);\n"
	"CREATE INDEX change_points_by_commit ON change_points (commit_id);\n",
	/* Version 3: the job queue (docs/SCHEMA.md). Only PostgreSQL stores
	 * serve it (`benchline worker`); the table is here so both schemas stay
	 * the same and a copy between them keeps one shape. */
	"CREATE TABLE jobs (\n"
	"	job_id INTEGER PRIMARY KEY,\n"
	"	repository TEXT NOT NULL,\n"
	"	commit_sha TEXT NOT NULL,\n"
	"	benchmarks TEXT NOT NULL DEFAULT '[]',\n"
	"	machine_class TEXT NOT NULL DEFAULT '',\n"
	"	state TEXT NOT NULL DEFAULT 'pending'\n"
	"		CHECK (state IN ('pending', 'running', 'done', 'failed', 'cancelled')),\n"
	"	priority INTEGER NOT NULL DEFAULT 0,\n"
	"	attempts INTEGER NOT NULL DEFAULT 0,\n"
	"	max_attempts INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),\n"
	"	options TEXT NOT NULL DEFAULT '{}',\n"
	"	worker TEXT,\n"
	"	lease_token TEXT,\n"
	"	lease_until TEXT,\n"
	"	machine_id INTEGER REFERENCES machines (machine_id),\n"
	"	last_error TEXT,\n"
	"	created_at TEXT NOT NULL,\n"
	"	started_at TEXT,\n"
	"	finished_at TEXT\n"
	");\n"
	"CREATE INDEX jobs_open ON jobs (priority DESC, job_id) WHERE state IN ('pending', 'running');\n"
	"CREATE INDEX jobs_by_commit ON jobs (repository, commit_sha);\n",
};

/* Later schema versions append a step; the newest version is the number of steps. */
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == BL_SCHEMA_VERSION,
	       "one migration step per schema version");

int bl_sqlite_read_version(struct sqlite_store *s, int64_t *version, struct bl_error *err)
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
		bl_sqlite_fail(s, rc, err, "cannot open store '%s'", s->path);
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
		bl_sqlite_fail(s, rc, err, "cannot read the schema version of '%s'", s->path);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

int bl_sqlite_check_not_newer(struct sqlite_store *s, int64_t version, struct bl_error *err)
{
	if (version > BL_SCHEMA_VERSION)
		return bl_fail(err, "database '%s' has schema version %lld, newer than this benchline (%d); %s",
			       s->path, (long long)version, BL_SCHEMA_VERSION, "upgrade benchline");
	return 0;
}

int bl_sqlite_migrate(struct sqlite_store *s, struct bl_error *err)
{
	if (bl_sqlite_tx(s, ST_BEGIN_IMMEDIATE, err, "cannot upgrade the schema") != 0)
		return -1;
	int64_t version;
	/* Another process may have created or upgraded the schema since the first look. */
	if (bl_sqlite_read_version(s, &version, err) != 0 || bl_sqlite_check_not_newer(s, version, err) != 0)
		goto fail;
	for (int64_t v = version; v < BL_SCHEMA_VERSION; v++) {
		int rc = sqlite3_exec(s->db, migrations[v], NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			bl_sqlite_fail(s, rc, err, "cannot upgrade '%s' to schema version %lld", s->path,
				       (long long)v + 1);
			goto fail;
		}
	}
	if (version < BL_SCHEMA_VERSION) {
		char sql[128];
		snprintf(sql, sizeof(sql), "DELETE FROM schema_version; INSERT INTO schema_version VALUES (%d)",
			 BL_SCHEMA_VERSION);
		int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			bl_sqlite_fail(s, rc, err, "cannot record the schema version of '%s'", s->path);
			goto fail;
		}
	}
	if (bl_sqlite_tx(s, ST_COMMIT, err, "cannot upgrade the schema") != 0)
		goto fail;
	return 0;
fail:
	bl_sqlite_rollback(s);
	return -1;
}
