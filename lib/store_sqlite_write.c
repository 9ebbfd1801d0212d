/*
 * store_sqlite_write.c - what the SQLite store writes: machines, commits,
 * benchmark cases, runs (with their metrics and model measurements) and
 * builds. A run is one BEGIN IMMEDIATE transaction: it is stored whole or
 * not at all.
 */
#include "store_sqlite_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char MACHINE_UPSERT_SQL[] =
	"INSERT INTO machines (fingerprint, hostname, os, kernel, arch, cpu_model, cpu_count, memory_bytes, gpus,"
	" created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
	" ON CONFLICT (fingerprint) DO UPDATE SET hostname = excluded.hostname, os = excluded.os,"
	" kernel = excluded.kernel, arch = excluded.arch, cpu_model = excluded.cpu_model,"
	" cpu_count = excluded.cpu_count, memory_bytes = excluded.memory_bytes, gpus = excluded.gpus";
static const char MACHINE_ID_SQL[] = "SELECT machine_id FROM machines WHERE fingerprint = ?1";
static const char COMMIT_UPSERT_SQL[] =
	"INSERT INTO commits (repository, sha, parents, author_name, author_email, author_time, commit_time, subject)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
	" ON CONFLICT (repository, sha) DO UPDATE SET parents = excluded.parents, author_name = excluded.author_name,"
	" author_email = excluded.author_email, author_time = excluded.author_time,"
	" commit_time = excluded.commit_time, subject = excluded.subject";
static const char CASE_INSERT_SQL[] =
	"INSERT INTO benchmarks (repository, branch, commit_id, commit_message, machine_id, suite_hash, name, params,"
	" metadata, status, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending', ?10, ?10)"
	" ON CONFLICT (repository, commit_id, machine_id, name, params, suite_hash) DO NOTHING";
static const char CASE_SELECT_SQL[] = "SELECT benchmark_id, status FROM benchmarks WHERE repository = ?1"
				      " AND commit_id = ?2 AND machine_id = ?3 AND name = ?4 AND params = ?5"
				      " AND suite_hash = ?6";
/* In the order of the runs_by_benchmark index: measured runs, then warm-ups, each by index. */
static const char CASE_RUNS_SQL[] = "SELECT kind = 'measured', idx FROM runs WHERE benchmark_id = ?1 ORDER BY kind, idx";
static const char CASE_STATUS_SQL[] = "UPDATE benchmarks SET status = ?2, updated_at = ?3 WHERE benchmark_id = ?1";
static const char RUN_INSERT_SQL[] =
	"INSERT INTO runs (benchmark_id, kind, idx, started_at, wall_s, user_s, sys_s, peak_rss_bytes, peak_source,"
	" exit_code, term_signal, status, stdout_log, stderr_log, env_hash, cpu_list, diagnostics)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";
static const char MODEL_INSERT_SQL[] =
	"INSERT INTO model_measurements (benchmark_id, run_id, measurements, time) VALUES (?1, ?2, ?3, ?4)";
static const char BUILD_INSERT_SQL[] =
	"INSERT INTO builds (repository, commit_id, machine_id, build_key, status, started_at, duration_s, log_path)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

static void now_iso(char out[32])
{
	bl_store_format_iso_ms(bl_now_unix_ns(), out);
}

static void bind_time(sqlite3_stmt *st, int i, int64_t unix_ns, char buf[32])
{
	/* 0 means "not known" in the records, not 1970. */
	if (unix_ns == 0) {
		sqlite3_bind_null(st, i);
		return;
	}
	bl_store_format_iso_ms(unix_ns, buf);
	bind_text(st, i, buf);
}

/* ---- machines and commits -------------------------------------------------------------------------------------- */

int bl_sqlite_put_machine(struct bl_store *bs, const struct bl_machine *m, int64_t *machine_id,
			      struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	if (!m->fingerprint[0])
		return bl_fail(err, "cannot store machine '%s': it has no fingerprint",
			       m->hostname ? m->hostname : "?");
	char now[32];
	now_iso(now);
	if (bl_sqlite_tx(s, ST_BEGIN_IMMEDIATE, err, "cannot store the machine") != 0)
		return -1;
	sqlite3_stmt *up = bl_sqlite_stmt(s, ST_MACHINE_UPSERT, MACHINE_UPSERT_SQL, err);
	sqlite3_stmt *sel = up ? bl_sqlite_stmt(s, ST_MACHINE_ID, MACHINE_ID_SQL, err) : NULL;
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
		bl_sqlite_fail(s, rc, err, "cannot store machine '%s'", m->hostname ? m->hostname : m->fingerprint);
		goto fail;
	}
	bind_text(sel, 1, m->fingerprint);
	rc = sqlite3_step(sel);
	if (rc == SQLITE_ROW)
		*machine_id = sqlite3_column_int64(sel, 0);
	sqlite3_reset(sel);
	if (rc != SQLITE_ROW) {
		bl_sqlite_fail(s, rc, err, "cannot read back machine '%s'", m->fingerprint);
		goto fail;
	}
	if (bl_sqlite_tx(s, ST_COMMIT, err, "cannot store the machine") != 0)
		goto fail;
	return 0;
fail:
	bl_sqlite_rollback(s);
	return -1;
}

int bl_sqlite_find_machine(struct bl_store *bs, const char *fingerprint, int64_t *machine_id,
			       struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	sqlite3_stmt *sel = bl_sqlite_stmt(s, ST_MACHINE_ID, MACHINE_ID_SQL, err);
	if (!sel)
		return -1;
	*machine_id = 0;
	bind_text(sel, 1, fingerprint);
	int rc = sqlite3_step(sel);
	if (rc == SQLITE_ROW)
		*machine_id = sqlite3_column_int64(sel, 0);
	sqlite3_reset(sel);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return bl_sqlite_fail(s, rc, err, "cannot look up machine '%s'", fingerprint);
	return 0;
}

int bl_sqlite_put_commit(struct bl_store *bs, const char *repository, const struct bl_commit_info *ci,
			     struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	if (!repository || !ci->sha[0])
		return bl_fail(err, "cannot store commit: repository and SHA are required");
	sqlite3_stmt *st = bl_sqlite_stmt(s, ST_COMMIT_UPSERT, COMMIT_UPSERT_SQL, err);
	if (!st)
		return -1;
	char author_time[32], commit_time[32];
	bl_store_format_iso_ms(ci->author_time * 1000000000LL, author_time);
	bl_store_format_iso_ms(ci->commit_time * 1000000000LL, commit_time);
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
		return bl_sqlite_fail(s, rc, err, "cannot store commit %.12s", ci->sha);
	return 0;
}

/* ---- cases ----------------------------------------------------------------------------------------------------- */

static int read_case_state(struct sqlite_store *s, struct bl_case_state *st, struct bl_error *err)
{
	sqlite3_stmt *q = bl_sqlite_stmt(s, ST_CASE_MEASURED, CASE_RUNS_SQL, err);
	if (!q)
		return -1;
	size_t cap = 0, wcap = 0;
	sqlite3_bind_int64(q, 1, st->benchmark_id);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int idx = sqlite3_column_int(q, 1);
		if (sqlite3_column_int(q, 0)) {
			BL_GROW(st->measured_done, cap, st->n_measured_done + 1);
			st->measured_done[st->n_measured_done++] = idx;
		} else {
			BL_GROW(st->warmups_done, wcap, (size_t)st->n_warmups + 1);
			st->warmups_done[st->n_warmups++] = idx;
		}
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return bl_sqlite_fail(s, rc, err, "cannot read the runs of benchmark %lld",
				      (long long)st->benchmark_id);
	return 0;
}

int bl_sqlite_open_case(struct bl_store *bs, const struct bl_case_key *key, struct bl_case_state *st,
			    struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	memset(st, 0, sizeof(*st));
	const char *params, *metadata;
	if (bl_store_check_case_key(key, &params, &metadata, err) != 0)
		return -1;
	char *message = key->commit_subject ? bl_store_truncate_utf8(key->commit_subject, BL_STORE_COMMIT_MESSAGE_CHARS) : NULL;
	char now[32];
	bl_store_format_iso_ms(key->created_unix_ns ? key->created_unix_ns : bl_now_unix_ns(), now);
	int rc;
	enum stmt_id begin = key->lookup_only ? ST_BEGIN : ST_BEGIN_IMMEDIATE;
	if (bl_sqlite_tx(s, begin, err, "cannot open the benchmark case") != 0) {
		free(message);
		return -1;
	}
	sqlite3_stmt *ins = bl_sqlite_stmt(s, ST_CASE_INSERT, CASE_INSERT_SQL, err);
	sqlite3_stmt *sel = ins ? bl_sqlite_stmt(s, ST_CASE_SELECT, CASE_SELECT_SQL, err) : NULL;
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
			bl_sqlite_fail(s, rc, err, "cannot open benchmark case '%s'", key->name);
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
		if (bl_sqlite_tx(s, ST_COMMIT, err, "cannot look up the benchmark case") != 0)
			goto fail;
		free(message);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		bl_sqlite_fail(s, rc, err, "cannot read back benchmark case '%s'", key->name);
		goto fail;
	}
	if (read_case_state(s, st, err) != 0)
		goto fail;
	if (bl_sqlite_tx(s, ST_COMMIT, err, "cannot open the benchmark case") != 0)
		goto fail;
	free(message);
	return 0;
fail:
	bl_sqlite_rollback(s);
	free(message);
	bl_case_state_release(st);
	memset(st, 0, sizeof(*st));
	return -1;
}

int bl_sqlite_set_case_status(struct bl_store *bs, int64_t benchmark_id, const char *status,
				  struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	if (!status || !*status)
		return bl_fail(err, "cannot set the status of benchmark %lld: empty status", (long long)benchmark_id);
	sqlite3_stmt *st = bl_sqlite_stmt(s, ST_CASE_STATUS, CASE_STATUS_SQL, err);
	if (!st)
		return -1;
	char now[32];
	now_iso(now);
	sqlite3_bind_int64(st, 1, benchmark_id);
	bind_text(st, 2, status);
	bind_text(st, 3, now);
	int rc = exec_stmt(st);
	if (rc != SQLITE_OK)
		return bl_sqlite_fail(s, rc, err, "cannot set the status of benchmark %lld", (long long)benchmark_id);
	if (sqlite3_changes(s->db) == 0)
		return bl_fail(err, "cannot set the status of benchmark %lld: no such benchmark in '%s'",
			       (long long)benchmark_id, s->path);
	return 0;
}

/* ---- runs and builds ------------------------------------------------------------------------------------------- */

static int insert_run_row(struct sqlite_store *s, const struct bl_run_record *r, const char *what,
			  struct bl_error *err)
{
	sqlite3_stmt *st = bl_sqlite_stmt(s, ST_RUN_INSERT, RUN_INSERT_SQL, err);
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
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
		bl_fail(err, "%s: measured run %d of benchmark %lld is already stored in '%s'", what, r->index,
			(long long)r->benchmark_id, s->path);
		return BL_STORE_ALREADY_STORED;
	}
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		return bl_fail(err, "%s: benchmark %lld is not in '%s'", what, (long long)r->benchmark_id, s->path);
	return bl_sqlite_fail(s, rc, err, "%s", what);
}

static int insert_measurements(struct sqlite_store *s, const struct bl_run_record *r, int64_t run_id,
			       const char *now, const char *what, struct bl_error *err)
{
	if (r->n_measurements == 0)
		return 0;
	sqlite3_stmt *st = bl_sqlite_stmt(s, ST_MODEL_INSERT, MODEL_INSERT_SQL, err);
	if (!st)
		return -1;
	for (size_t i = 0; i < r->n_measurements; i++) {
		if (!r->measurements[i] || !bl_store_is_json_object(r->measurements[i]))
			return bl_fail(err, "%s: model measurement %zu is not a JSON object", what, i + 1);
		sqlite3_bind_int64(st, 1, r->benchmark_id);
		sqlite3_bind_int64(st, 2, run_id);
		bind_text(st, 3, r->measurements[i]);
		bind_text(st, 4, now);
		int rc = exec_stmt(st);
		if (rc != SQLITE_OK)
			return bl_sqlite_fail(s, rc, err, "%s: model measurement %zu", what, i + 1);
	}
	return 0;
}

/* ---- device samples ------------------------------------------------------------------------------------------ */

/*
 * One row per (sample, GPU), or per sample without GPU. Rows go in
 * multi-row INSERTs of DEVICE_ROWS_MANY, then DEVICE_ROWS_FEW, then single
 * rows for the rest, so a run of 1000 samples takes 16 statements, not 1000:
 * a statement step costs more than a row. The run's benchmark_id and run_id
 * are bound once per statement (?1, ?2); a row without GPU has its eight GPU
 * columns as NULL in the SQL, not bound. Rows of one shape (with or without
 * GPU) are batched together; a change of shape flushes the batch.
 */
#define DEVICE_ROWS_MANY 60 /* 2 + 60 x 16 = 962 variables, under SQLite's oldest limit of 999 */
#define DEVICE_ROWS_FEW 8
#define DEVICE_COLS_CPU 8   /* bound per row without GPU */
#define DEVICE_COLS_GPU 16  /* ... and with */
#define MIB BL_STORE_MIB

static const int device_sizes[3] = {DEVICE_ROWS_MANY, DEVICE_ROWS_FEW, 1};

static void device_insert_sql(struct bl_buf *b, bool gpu, int rows)
{
	bl_buf_puts(b, "INSERT INTO device_measurements (benchmark_id, run_id, cpu_util, mem_megabytes, gpu_util,"
		       " gpu_mem_megabytes, time, warmup, t_ns, procs, sys_cpu_util, sys_mem_megabytes, gpu_index,"
		       " gpu_power_w, gpu_temp_c, gpu_sm_clock_mhz, gpu_clock_reasons, gpu_proc_mem_megabytes) VALUES ");
	/* The 16 columns after benchmark_id and run_id: which a row without GPU binds. */
	static const bool cpu_col[DEVICE_COLS_GPU] = {1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0};
	int p = 3;
	for (int r = 0; r < rows; r++) {
		bl_buf_puts(b, r ? ", (?1, ?2" : "(?1, ?2");
		for (int c = 0; c < DEVICE_COLS_GPU; c++) {
			if (gpu || cpu_col[c])
				bl_buf_printf(b, ", ?%d", p++);
			else
				bl_buf_puts(b, ", NULL");
		}
		bl_buf_putc(b, ')');
	}
}

/* The cached INSERT of `rows` rows (one of device_sizes) of one shape, its SQL built on first use. */
static sqlite3_stmt *device_stmt(struct sqlite_store *s, bool gpu, int size_index, struct bl_error *err)
{
	enum stmt_id id = (enum stmt_id)(ST_DEVICE_CPU_MANY + (gpu ? 3 : 0) + size_index);
	if (s->stmts[id])
		return s->stmts[id];
	struct bl_buf sql;
	bl_buf_init(&sql);
	device_insert_sql(&sql, gpu, device_sizes[size_index]);
	sqlite3_stmt *st = bl_sqlite_stmt(s, id, sql.data, err);
	bl_buf_release(&sql);
	return st;
}

/* An invalid (or non-finite) value is NULL, never 0. */
static void bind_value(sqlite3_stmt *st, int i, struct bl_value v, double scale)
{
	if (v.valid && isfinite(v.value))
		sqlite3_bind_double(st, i, v.value / scale);
	else
		sqlite3_bind_null(st, i);
}

static void bind_value_int(sqlite3_stmt *st, int i, struct bl_value v)
{
	if (v.valid && isfinite(v.value) && v.value >= -9.2e18 && v.value <= 9.2e18)
		sqlite3_bind_int64(st, i, (int64_t)v.value);
	else
		sqlite3_bind_null(st, i);
}

/*
 * The time column of a sample, "YYYY-MM-DDTHH:MM:SS.mmmZ" as format_iso_ms
 * writes it, with the part up to the seconds kept from the previous call:
 * samples 10 ms apart share it 100 times, and gmtime_r plus strftime cost
 * more than the rest of the row's binding.
 */
struct iso_cache {
	int64_t secs; /* of prefix; INT64_MIN: none yet */
	char prefix[24];
	size_t len;
};

static void format_iso_ms_cached(struct iso_cache *c, int64_t unix_ns, char out[32])
{
	int64_t ms = unix_ns / 1000000;
	if (unix_ns % 1000000 < 0)
		ms--;
	int64_t secs = ms / 1000, frac = ms % 1000;
	if (frac < 0) {
		frac += 1000;
		secs--;
	}
	if (secs != c->secs) {
		char full[32];
		bl_store_format_iso_ms(secs * 1000000000, full);
		c->len = strlen(full) - 5; /* without ".000Z" */
		if (c->len >= sizeof(c->prefix)) {
			bl_store_format_iso_ms(unix_ns, out); /* a year past 9999: not worth caching */
			return;
		}
		memcpy(c->prefix, full, c->len);
		c->secs = secs;
	}
	memcpy(out, c->prefix, c->len);
	char *p = out + c->len;
	p[0] = '.';
	p[1] = (char)('0' + frac / 100);
	p[2] = (char)('0' + frac / 10 % 10);
	p[3] = (char)('0' + frac % 10);
	p[4] = 'Z';
	p[5] = '\0';
}

struct device_row {
	const struct bl_sample *x;
	int gpu; /* -1: none */
};

/* Binds the row at parameters p.. in its shape's order (see device_insert_sql).
 * when holds the row's time text until the statement has run. */
static void bind_device_row(sqlite3_stmt *st, int p, int64_t t0_ns, struct device_row row, struct iso_cache *ic,
			    char when[32])
{
	const struct bl_sample *x = row.x;
	bind_value(st, p, x->proc_cpu_pct, 1.0);
	bind_value(st, p + 1, x->proc_rss_bytes, MIB);
	int q = p + 2;
	if (row.gpu >= 0) {
		const struct bl_gpu_sample *g = &x->gpu[row.gpu];
		bind_value(st, p + 2, g->util_pct, 1.0);
		bind_value(st, p + 3, g->mem_used_bytes, MIB);
		q = p + 4;
	}
	format_iso_ms_cached(ic, t0_ns + x->t_ns, when);
	sqlite3_bind_text(st, q, when, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, q + 1, x->warmup ? 1 : 0);
	sqlite3_bind_int64(st, q + 2, x->t_ns);
	bind_value_int(st, q + 3, x->proc_count);
	bind_value(st, q + 4, x->sys_cpu_pct, 1.0);
	bind_value(st, q + 5, x->sys_mem_used_bytes, MIB);
	if (row.gpu < 0)
		return;
	const struct bl_gpu_sample *g = &x->gpu[row.gpu];
	sqlite3_bind_int(st, q + 6, row.gpu);
	bind_value(st, q + 7, g->power_w, 1.0);
	bind_value(st, q + 8, g->temp_c, 1.0);
	bind_value(st, q + 9, g->sm_clock_mhz, 1.0);
	bind_value_int(st, q + 10, g->clock_reasons);
	bind_value(st, q + 11, g->proc_mem_bytes, MIB);
}

struct device_batch {
	struct sqlite_store *s;
	const struct bl_run_record *r;
	int64_t run_id, t0_ns;
	struct iso_cache ic;
	struct device_row rows[DEVICE_ROWS_MANY];
	int n;
	char when[DEVICE_ROWS_MANY][32];
};

/* Stores the batched rows (all of one shape): as few statements as the sizes allow. */
static int device_flush(struct device_batch *b, const char *what, struct bl_error *err)
{
	bool gpu = b->n && b->rows[0].gpu >= 0;
	int cols = gpu ? DEVICE_COLS_GPU : DEVICE_COLS_CPU;
	int done = 0;
	for (int k = 0; k < 3; k++) {
		int size = device_sizes[k];
		while (b->n - done >= size) {
			sqlite3_stmt *st = device_stmt(b->s, gpu, k, err);
			if (!st)
				return -1;
			sqlite3_bind_int64(st, 1, b->r->benchmark_id);
			sqlite3_bind_int64(st, 2, b->run_id);
			for (int j = 0; j < size; j++)
				bind_device_row(st, 3 + j * cols, b->t0_ns, b->rows[done + j], &b->ic, b->when[j]);
			int rc = exec_stmt(st);
			if (rc != SQLITE_OK)
				return bl_sqlite_fail(b->s, rc, err, "%s: device samples", what);
			done += size;
		}
	}
	b->n = 0;
	return 0;
}

static int insert_device_samples(struct sqlite_store *s, const struct bl_run_record *r, int64_t run_id,
				 const char *what, struct bl_error *err)
{
	if (r->n_samples == 0)
		return 0;
	struct device_batch *b = bl_xmalloc(sizeof(*b));
	b->s = s;
	b->r = r;
	b->run_id = run_id;
	b->t0_ns = r->start_unix_ns ? r->start_unix_ns : bl_now_unix_ns();
	b->ic = (struct iso_cache){.secs = INT64_MIN};
	b->n = 0;
	int ret = 0;
	for (size_t i = 0; i < r->n_samples && ret == 0; i++) {
		const struct bl_sample *x = &r->samples[i];
		int n_gpus = x->n_gpus < 0 ? 0 : x->n_gpus > BL_DEVICE_MAX_GPUS ? BL_DEVICE_MAX_GPUS : x->n_gpus;
		for (int g = n_gpus ? 0 : -1; g < n_gpus && ret == 0; g++) {
			if (b->n && ((b->rows[0].gpu >= 0) != (g >= 0) || b->n == DEVICE_ROWS_MANY))
				ret = device_flush(b, what, err);
			b->rows[b->n++] = (struct device_row){x, g};
		}
	}
	if (ret == 0)
		ret = device_flush(b, what, err);
	free(b);
	return ret;
}

/* One attempt at storing run r in its own transaction. */
static int add_run_once(struct sqlite_store *s, const struct bl_run_record *r, const char *now, const char *what,
			int64_t *run_id, struct bl_error *err)
{
	if (bl_sqlite_tx(s, ST_BEGIN_IMMEDIATE, err, what) != 0)
		return -1;
	int ret = insert_run_row(s, r, what, err);
	int64_t id = sqlite3_last_insert_rowid(s->db);
	/* benchmarks.updated_at is not touched here: it would add a page to every
	 * run's commit for a time that runs.started_at already records. */
	if (ret == 0)
		ret = bl_sqlite_insert_metrics(s, r, id, what, err);
	if (ret == 0)
		ret = insert_measurements(s, r, id, now, what, err);
	if (ret == 0)
		ret = insert_device_samples(s, r, id, what, err);
	/* A failed run marks its case failed in the same transaction, so no
	 * crash between two writes can leave a failure behind a 'pending' case
	 * that a resume would then complete. */
	if (ret == 0 && r->status && strcmp(r->status, "ok")) {
		sqlite3_stmt *st = bl_sqlite_stmt(s, ST_CASE_STATUS, CASE_STATUS_SQL, err);
		if (!st) {
			ret = -1;
		} else {
			sqlite3_bind_int64(st, 1, r->benchmark_id);
			bind_text(st, 2, BL_CASE_FAILED);
			bind_text(st, 3, now);
			int rc = exec_stmt(st);
			if (rc != SQLITE_OK)
				ret = bl_sqlite_fail(s, rc, err, "%s: cannot mark its case failed", what);
		}
	}
	if (ret == 0)
		ret = bl_sqlite_tx(s, ST_COMMIT, err, what);
	if (ret != 0) {
		bl_sqlite_rollback(s);
		bl_sqlite_forget_metric_keys(s);
		return ret;
	}
	*run_id = id;
	return 0;
}

int bl_sqlite_add_run(struct bl_store *bs, const struct bl_run_record *r, int64_t *run_id, struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	char what[160];
	if (bl_store_check_run(r, what, sizeof(what), err) != 0)
		return -1;
	char now[32] = "";
	if (r->n_measurements)
		bl_store_format_iso_ms(r->stored_unix_ns ? r->stored_unix_ns : bl_now_unix_ns(), now);
	int64_t id = 0;
	int ret = add_run_once(s, r, now, what, &id, err);
	/* Someone deleted a dictionary row this store had cached; the keys are
	 * forgotten by now, so a second attempt looks the names up afresh. */
	if (ret == BL_SQLITE_STALE_KEYS)
		ret = add_run_once(s, r, now, what, &id, err);
	if (ret != 0)
		return ret == BL_STORE_ALREADY_STORED ? ret : -1;
	if (run_id)
		*run_id = id;
	return 0;
}

int bl_sqlite_add_build(struct bl_store *bs, const struct bl_build_record *b, struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	if (!b->repository || !b->commit_sha || !b->status || !*b->status)
		return bl_fail(err, "cannot store build: repository, commit and status are required");
	sqlite3_stmt *st = bl_sqlite_stmt(s, ST_BUILD_INSERT, BUILD_INSERT_SQL, err);
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
		return bl_sqlite_fail(s, rc, err, "cannot store the build of %.12s", b->commit_sha);
	return 0;
}

static const char BUILD_FIND_SQL[] =
	"SELECT 1 FROM builds WHERE repository = ?1 AND commit_id = ?2 AND machine_id = ?3 AND build_key IS ?4"
	" AND status = ?5 AND started_at IS ?6 LIMIT 1";

int bl_sqlite_has_build(struct bl_store *bs, const struct bl_build_record *b, bool *found, struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	*found = false;
	if (!b->repository || !b->commit_sha || !b->status)
		return bl_fail(err, "cannot look up a build: repository, commit and status are required");
	sqlite3_stmt *st = bl_sqlite_stmt(s, ST_BUILD_FIND, BUILD_FIND_SQL, err);
	if (!st)
		return -1;
	char started[32];
	bind_text(st, 1, b->repository);
	bind_text(st, 2, b->commit_sha);
	sqlite3_bind_int64(st, 3, b->machine_id);
	bind_text(st, 4, b->build_key);
	bind_text(st, 5, b->status);
	bind_time(st, 6, b->start_unix_ns, started);
	int rc = sqlite3_step(st);
	*found = rc == SQLITE_ROW;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return bl_sqlite_fail(s, rc, err, "cannot look up the build of %.12s", b->commit_sha);
	return 0;
}
