/*
 * store_pg_write.c - what the PostgreSQL store writes: machines, commits,
 * benchmark cases, runs (with their metrics, model measurements and device
 * samples) and builds. A run is one transaction: it is stored whole or not
 * at all. The statements are prepared once per connection (store_pg.c).
 */
#include "store_pg_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char MACHINE_UPSERT_SQL[] =
	"INSERT INTO machines (fingerprint, hostname, os, kernel, arch, cpu_model, cpu_count, memory_bytes, gpus,"
	" created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
	" ON CONFLICT (fingerprint) DO UPDATE SET hostname = excluded.hostname, os = excluded.os,"
	" kernel = excluded.kernel, arch = excluded.arch, cpu_model = excluded.cpu_model,"
	" cpu_count = excluded.cpu_count, memory_bytes = excluded.memory_bytes, gpus = excluded.gpus"
	" RETURNING machine_id";
static const char MACHINE_ID_SQL[] = "SELECT machine_id FROM machines WHERE fingerprint = $1";
static const char COMMIT_UPSERT_SQL[] =
	"INSERT INTO commits (repository, sha, parents, author_name, author_email, author_time, commit_time, subject)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
	" ON CONFLICT (repository, sha) DO UPDATE SET parents = excluded.parents, author_name = excluded.author_name,"
	" author_email = excluded.author_email, author_time = excluded.author_time,"
	" commit_time = excluded.commit_time, subject = excluded.subject";
static const char CASE_INSERT_SQL[] =
	"INSERT INTO benchmarks (repository, branch, commit_id, commit_message, machine_id, suite_hash, name, params,"
	" metadata, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $10)"
	" ON CONFLICT (repository, commit_id, machine_id, name, params, suite_hash) DO NOTHING";
static const char CASE_SELECT_SQL[] = "SELECT benchmark_id, status FROM benchmarks WHERE repository = $1"
				      " AND commit_id = $2 AND machine_id = $3 AND name = $4 AND params = $5"
				      " AND suite_hash = $6";
/* In the order of the runs_by_benchmark index: measured runs, then warm-ups, each by index. */
static const char CASE_RUNS_SQL[] = "SELECT kind = 'measured', idx FROM runs WHERE benchmark_id = $1 ORDER BY kind, idx";
static const char CASE_STATUS_SQL[] = "UPDATE benchmarks SET status = $2, updated_at = $3 WHERE benchmark_id = $1";
static const char RUN_INSERT_SQL[] =
	"INSERT INTO runs (benchmark_id, kind, idx, started_at, wall_s, user_s, sys_s, peak_rss_bytes, peak_source,"
	" exit_code, term_signal, status, stdout_log, stderr_log, env_hash, cpu_list, diagnostics)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING run_id";
static const char MODEL_INSERT_SQL[] =
	"INSERT INTO model_measurements (benchmark_id, run_id, measurements, time) VALUES ($1, $2, $3, $4)";
static const char BUILD_FIND_SQL[] =
	"SELECT 1 FROM builds WHERE repository = $1 AND commit_id = $2 AND machine_id = $3"
	" AND build_key IS NOT DISTINCT FROM $4::text AND status = $5"
	" AND started_at IS NOT DISTINCT FROM $6::timestamptz LIMIT 1";
static const char BUILD_INSERT_SQL[] =
	"INSERT INTO builds (repository, commit_id, machine_id, build_key, status, started_at, duration_s, log_path)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

static bool has_state(PGresult *res, const char *sqlstate)
{
	return res && !strcmp(pg_sqlstate(res), sqlstate);
}

/* ---- machines and commits -------------------------------------------------------------------------------------- */

int pg_put_machine(struct bl_store *bs, const struct bl_machine *m, int64_t *machine_id, struct bl_error *err)
{
	struct pg_store *s = pg_backend(bs);
	if (!m->fingerprint[0])
		return bl_fail(err, "cannot store machine '%s': it has no fingerprint",
			       m->hostname ? m->hostname : "?");
	struct pg_params p = {0};
	pg_param_text(&p, m->fingerprint);
	pg_param_text(&p, m->hostname);
	pg_param_text(&p, m->os);
	pg_param_text(&p, m->kernel);
	pg_param_text(&p, m->arch);
	pg_param_text(&p, m->cpu_model);
	pg_param_int64(&p, m->cpu_count);
	pg_param_int64(&p, m->memory_bytes);
	pg_param_text(&p, m->gpus_json ? m->gpus_json : "[]");
	pg_param_time(&p, bl_now_unix_ns());
	char what[256];
	snprintf(what, sizeof(what), "cannot store machine '%s'", m->hostname ? m->hostname : m->fingerprint);
	PGresult *res = pg_run(s, PG_MACHINE_UPSERT, MACHINE_UPSERT_SQL, &p, NULL, err, what);
	if (!res)
		return -1;
	*machine_id = pg_get_int64(res, 0, 0);
	PQclear(res);
	return 0;
}

int pg_find_machine(struct bl_store *bs, const char *fingerprint, int64_t *machine_id, struct bl_error *err)
{
	struct pg_store *s = pg_backend(bs);
	struct pg_params p = {0};
	pg_param_text(&p, fingerprint);
	char what[160];
	snprintf(what, sizeof(what), "cannot look up machine '%.80s'", fingerprint);
	PGresult *res = pg_run(s, PG_MACHINE_ID, MACHINE_ID_SQL, &p, NULL, err, what);
	if (!res)
		return -1;
	*machine_id = PQntuples(res) ? pg_get_int64(res, 0, 0) : 0;
	PQclear(res);
	return 0;
}

int pg_put_commit(struct bl_store *bs, const char *repository, const struct bl_commit_info *ci, struct bl_error *err)
{
	struct pg_store *s = pg_backend(bs);
	if (!repository || !ci->sha[0])
		return bl_fail(err, "cannot store commit: repository and SHA are required");
	struct pg_params p = {0};
	pg_param_text(&p, repository);
	pg_param_text(&p, ci->sha);
	pg_param_text(&p, ci->parents ? ci->parents : "");
	pg_param_text(&p, ci->author_name);
	pg_param_text(&p, ci->author_email);
	char author_time[32], commit_time[32];
	bl_store_format_iso_ms(ci->author_time * 1000000000LL, author_time);
	bl_store_format_iso_ms(ci->commit_time * 1000000000LL, commit_time);
	pg_param_text(&p, author_time);
	pg_param_text(&p, commit_time);
	pg_param_text(&p, ci->subject);
	char what[64];
	snprintf(what, sizeof(what), "cannot store commit %.12s", ci->sha);
	PGresult *res = pg_run(s, PG_COMMIT_UPSERT, COMMIT_UPSERT_SQL, &p, NULL, err, what);
	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

/* ---- cases ----------------------------------------------------------------------------------------------------- */

static int read_case_state(struct pg_store *s, struct bl_case_state *st, struct bl_error *err)
{
	struct pg_params p = {0};
	pg_param_int64(&p, st->benchmark_id);
	char what[96];
	snprintf(what, sizeof(what), "cannot read the runs of benchmark %lld", (long long)st->benchmark_id);
	PGresult *res = pg_run(s, PG_CASE_MEASURED, CASE_RUNS_SQL, &p, NULL, err, what);
	if (!res)
		return -1;
	size_t cap = 0, wcap = 0;
	for (int i = 0; i < PQntuples(res); i++) {
		int idx = (int)pg_get_int64(res, i, 1);
		if (PQgetvalue(res, i, 0)[0] == 't') {
			BL_GROW(st->measured_done, cap, st->n_measured_done + 1);
			st->measured_done[st->n_measured_done++] = idx;
		} else {
			BL_GROW(st->warmups_done, wcap, (size_t)st->n_warmups + 1);
			st->warmups_done[st->n_warmups++] = idx;
		}
	}
	PQclear(res);
	return 0;
}

int pg_open_case(struct bl_store *bs, const struct bl_case_key *key, struct bl_case_state *st, struct bl_error *err)
{
	struct pg_store *s = pg_backend(bs);
	memset(st, 0, sizeof(*st));
	const char *params, *metadata;
	if (bl_store_check_case_key(key, &params, &metadata, err) != 0)
		return -1;
	char *message = key->commit_subject
				? bl_store_truncate_utf8(key->commit_subject, BL_STORE_COMMIT_MESSAGE_CHARS)
				: NULL;
	char what[160];
	snprintf(what, sizeof(what), "cannot open benchmark case '%.100s'", key->name);
	PGresult *res = NULL, *failed = NULL;
	if (pg_exec(s, key->lookup_only ? "BEGIN READ ONLY" : "BEGIN", err, what) != 0)
		goto fail;
	if (!key->lookup_only) {
		struct pg_params p = {0};
		pg_param_text(&p, key->repository);
		pg_param_text(&p, key->branch);
		pg_param_text(&p, key->commit_sha);
		pg_param_text(&p, message);
		pg_param_int64(&p, key->machine_id);
		pg_param_text(&p, key->suite_hash);
		pg_param_text(&p, key->name);
		pg_param_text(&p, params);
		pg_param_text(&p, metadata);
		pg_param_time(&p, key->created_unix_ns ? key->created_unix_ns : bl_now_unix_ns());
		res = pg_run(s, PG_CASE_INSERT, CASE_INSERT_SQL, &p, &failed, err, what);
		if (!res) {
			if (has_state(failed, PG_FOREIGN_KEY_VIOLATION))
				bl_fail(err, "%s: machine %lld is not in '%s'", what, (long long)key->machine_id, pg_name(s));
			PQclear(failed);
			goto fail;
		}
		PQclear(res);
	}
	struct pg_params p = {0};
	pg_param_text(&p, key->repository);
	pg_param_text(&p, key->commit_sha);
	pg_param_int64(&p, key->machine_id);
	pg_param_text(&p, key->name);
	pg_param_text(&p, params);
	pg_param_text(&p, key->suite_hash);
	res = pg_run(s, PG_CASE_SELECT, CASE_SELECT_SQL, &p, NULL, err, what);
	if (!res)
		goto fail;
	if (PQntuples(res) == 0) {
		PQclear(res);
		if (!key->lookup_only) {
			bl_fail(err, "%s: it is not there after it was stored", what);
			goto fail;
		}
		/* Not stored yet: an empty state, and nothing written. */
		if (pg_exec(s, "COMMIT", err, what) != 0)
			goto fail;
		free(message);
		return 0;
	}
	st->benchmark_id = pg_get_int64(res, 0, 0);
	snprintf(st->status, sizeof(st->status), "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	if (read_case_state(s, st, err) != 0 || pg_exec(s, "COMMIT", err, what) != 0)
		goto fail;
	free(message);
	return 0;
fail:
	pg_rollback(s);
	free(message);
	bl_case_state_release(st);
	memset(st, 0, sizeof(*st));
	return -1;
}

static int update_status(struct pg_store *s, int64_t benchmark_id, const char *status, const char *what,
			 bool *changed, struct bl_error *err)
{
	struct pg_params p = {0};
	pg_param_int64(&p, benchmark_id);
	pg_param_text(&p, status);
	pg_param_time(&p, bl_now_unix_ns());
	PGresult *res = pg_run(s, PG_CASE_STATUS, CASE_STATUS_SQL, &p, NULL, err, what);
	if (!res)
		return -1;
	*changed = strcmp(PQcmdTuples(res), "0") != 0;
	PQclear(res);
	return 0;
}

int pg_set_case_status(struct bl_store *bs, int64_t benchmark_id, const char *status, struct bl_error *err)
{
	struct pg_store *s = pg_backend(bs);
	if (!status || !*status)
		return bl_fail(err, "cannot set the status of benchmark %lld: empty status", (long long)benchmark_id);
	char what[96];
	snprintf(what, sizeof(what), "cannot set the status of benchmark %lld", (long long)benchmark_id);
	bool changed = false;
	if (update_status(s, benchmark_id, status, what, &changed, err) != 0)
		return -1;
	if (!changed)
		return bl_fail(err, "%s: no such benchmark in '%s'", what, pg_name(s));
	return 0;
}

/* ---- runs and builds ------------------------------------------------------------------------------------------- */

static int insert_run_row(struct pg_store *s, const struct bl_run_record *r, int64_t *run_id, const char *what,
			  struct bl_error *err)
{
	struct pg_params p = {0};
	pg_param_int64(&p, r->benchmark_id);
	pg_param_text(&p, r->warmup ? "warmup" : "measured");
	pg_param_int64(&p, r->index);
	pg_param_time(&p, r->start_unix_ns);
	pg_param_double(&p, r->wall_s);
	pg_param_double(&p, r->user_s);
	pg_param_double(&p, r->sys_s);
	if (r->peak_rss_bytes >= 0)
		pg_param_int64(&p, r->peak_rss_bytes);
	else
		pg_param_null(&p);
	pg_param_text(&p, r->peak_source);
	/* A process killed by a signal has no exit status; one that exited has no signal. */
	if (r->term_signal)
		pg_param_null(&p);
	else
		pg_param_int64(&p, r->exit_code);
	if (r->term_signal)
		pg_param_int64(&p, r->term_signal);
	else
		pg_param_null(&p);
	pg_param_text(&p, r->status);
	pg_param_text(&p, r->stdout_log);
	pg_param_text(&p, r->stderr_log);
	pg_param_text(&p, r->env_hash);
	pg_param_text(&p, r->cpu_list);
	pg_param_text(&p, r->diagnostics);
	PGresult *failed = NULL;
	PGresult *res = pg_run(s, PG_RUN_INSERT, RUN_INSERT_SQL, &p, &failed, err, what);
	if (res) {
		*run_id = pg_get_int64(res, 0, 0);
		PQclear(res);
		return 0;
	}
	int ret = -1;
	if (has_state(failed, PG_UNIQUE_VIOLATION)) {
		bl_fail(err, "%s: measured run %d of benchmark %lld is already stored in '%s'", what, r->index,
			(long long)r->benchmark_id, pg_name(s));
		ret = BL_STORE_ALREADY_STORED;
	} else if (has_state(failed, PG_FOREIGN_KEY_VIOLATION)) {
		bl_fail(err, "%s: benchmark %lld is not in '%s'", what, (long long)r->benchmark_id, pg_name(s));
	}
	PQclear(failed);
	return ret;
}

static int insert_measurements(struct pg_store *s, const struct bl_run_record *r, int64_t run_id, const char *what,
			       struct bl_error *err)
{
	if (r->n_measurements == 0)
		return 0;
	int64_t now = r->stored_unix_ns ? r->stored_unix_ns : bl_now_unix_ns();
	for (size_t i = 0; i < r->n_measurements; i++) {
		if (!r->measurements[i] || !bl_store_is_json_object(r->measurements[i]))
			return bl_fail(err, "%s: model measurement %zu is not a JSON object", what, i + 1);
		struct pg_params p = {0};
		pg_param_int64(&p, r->benchmark_id);
		pg_param_int64(&p, run_id);
		pg_param_text(&p, r->measurements[i]);
		pg_param_time(&p, now);
		char item[224];
		snprintf(item, sizeof(item), "%s: model measurement %zu", what, i + 1);
		PGresult *res = pg_run(s, PG_MODEL_INSERT, MODEL_INSERT_SQL, &p, NULL, err, item);
		if (!res)
			return -1;
		PQclear(res);
	}
	return 0;
}

/* One attempt at storing run r in its own transaction. */
static int add_run_once(struct pg_store *s, const struct bl_run_record *r, const char *what, int64_t *run_id,
			struct bl_error *err)
{
	if (pg_exec(s, "BEGIN", err, what) != 0)
		return -1;
	int64_t id = 0;
	int ret = insert_run_row(s, r, &id, what, err);
	if (ret == 0)
		ret = pg_insert_metrics(s, r, id, what, err);
	if (ret == 0)
		ret = insert_measurements(s, r, id, what, err);
	if (ret == 0)
		ret = pg_insert_samples(s, r, id, what, err);
	/* A failed run marks its case failed in the same transaction. */
	if (ret == 0 && strcmp(r->status, "ok")) {
		char step[224];
		bool changed;
		snprintf(step, sizeof(step), "%s: cannot mark its case failed", what);
		ret = update_status(s, r->benchmark_id, BL_CASE_FAILED, step, &changed, err);
	}
	if (ret == 0)
		ret = pg_exec(s, "COMMIT", err, what);
	if (ret != 0) {
		pg_rollback(s);
		bl_metric_dict_forget(s->dict);
		return ret;
	}
	*run_id = id;
	return 0;
}

int pg_add_run(struct bl_store *bs, const struct bl_run_record *r, int64_t *run_id, struct bl_error *err)
{
	struct pg_store *s = pg_backend(bs);
	char what[160];
	if (bl_store_check_run(r, what, sizeof(what), err) != 0)
		return -1;
	int64_t id = 0;
	int ret = add_run_once(s, r, what, &id, err);
	/* Someone deleted a dictionary row this store had cached; the keys are
	 * forgotten by now, so a second attempt looks the names up afresh. */
	if (ret == PG_STALE_KEYS)
		ret = add_run_once(s, r, what, &id, err);
	if (ret != 0)
		return ret == BL_STORE_ALREADY_STORED ? ret : -1;
	if (run_id)
		*run_id = id;
	return 0;
}

int pg_add_build(struct bl_store *bs, const struct bl_build_record *b, struct bl_error *err)
{
	struct pg_store *s = pg_backend(bs);
	if (!b->repository || !b->commit_sha || !b->status || !*b->status)
		return bl_fail(err, "cannot store build: repository, commit and status are required");
	struct pg_params p = {0};
	pg_param_text(&p, b->repository);
	pg_param_text(&p, b->commit_sha);
	pg_param_int64(&p, b->machine_id);
	pg_param_text(&p, b->build_key);
	pg_param_text(&p, b->status);
	pg_param_time(&p, b->start_unix_ns);
	if (b->duration_s >= 0 && isfinite(b->duration_s))
		pg_param_double(&p, b->duration_s);
	else
		pg_param_null(&p);
	pg_param_text(&p, b->log_path);
	char what[96];
	snprintf(what, sizeof(what), "cannot store the build of %.12s", b->commit_sha);
	PGresult *failed = NULL;
	PGresult *res = pg_run(s, PG_BUILD_INSERT, BUILD_INSERT_SQL, &p, &failed, err, what);
	if (res) {
		PQclear(res);
		return 0;
	}
	if (has_state(failed, PG_FOREIGN_KEY_VIOLATION))
		bl_fail(err, "%s: machine %lld is not in '%s'", what, (long long)b->machine_id, pg_name(s));
	PQclear(failed);
	return -1;
}

int pg_has_build(struct bl_store *bs, const struct bl_build_record *b, bool *found, struct bl_error *err)
{
	struct pg_store *s = pg_backend(bs);
	*found = false;
	if (!b->repository || !b->commit_sha || !b->status)
		return bl_fail(err, "cannot look up a build: repository, commit and status are required");
	struct pg_params p = {0};
	pg_param_text(&p, b->repository);
	pg_param_text(&p, b->commit_sha);
	pg_param_int64(&p, b->machine_id);
	pg_param_text(&p, b->build_key);
	pg_param_text(&p, b->status);
	pg_param_time(&p, b->start_unix_ns);
	char what[96];
	snprintf(what, sizeof(what), "cannot look up the build of %.12s", b->commit_sha);
	PGresult *res = pg_run(s, PG_BUILD_FIND, BUILD_FIND_SQL, &p, NULL, err, what);
	if (!res)
		return -1;
	*found = PQntuples(res) > 0;
	PQclear(res);
	return 0;
}
