/*
 * store_pg_copy.c - the bulk rows of a run: its metric values and its device
 * samples, sent with COPY ... FROM STDIN (FORMAT binary) inside the run's
 * transaction.
 *
 * DESIGN
 * - COPY streams rows without a round trip or a parse per row; binary
 *   format also spares the server parsing numbers and timestamps, and keeps
 *   every double exact. Rows are encoded into a buffer that is handed to
 *   libpq every COPY_CHUNK bytes, so a run of a million samples never holds
 *   them all encoded in memory.
 * - A failing row (a constraint, a trigger) fails the whole COPY and with it
 *   the run's transaction; the server names the row ("COPY t, line N"), which
 *   is turned back into the metric or sample it came from.
 * - Metric names go through the dictionary (metric_names), cached per store
 *   (store_common.c); a cached key whose row someone deleted fails the
 *   foreign key, and the caller forgets the cache and retries once.
 */
#include "store_pg_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COPY_CHUNK (1 << 20)
#define MAX_ROW_BYTES 512
/* PostgreSQL timestamps count microseconds from 2000-01-01 00:00:00 UTC. */
#define PG_EPOCH_UNIX_US 946684800000000LL

static const char NAME_SELECT_SQL[] =
	"SELECT metric_key FROM metric_names WHERE name = $1 AND coalesce(unit, '') = coalesce($2::text, '')"
	" AND (unit IS NULL) = ($2::text IS NULL) AND coalesce(better, '') = coalesce($3::text, '')";
static const char NAME_INSERT_SQL[] =
	"INSERT INTO metric_names (name, unit, better) VALUES ($1, $2, $3)"
	" ON CONFLICT (name, coalesce(unit, ''), (unit IS NULL), coalesce(better, '')) DO NOTHING RETURNING metric_key";
static const char VALUES_COPY_SQL[] = "COPY metric_values (value_id, metric_key, value) FROM STDIN (FORMAT binary)";
static const char SAMPLES_COPY_SQL[] =
	"COPY device_measurements (benchmark_id, run_id, cpu_util, mem_megabytes, gpu_util, gpu_mem_megabytes, time,"
	" warmup, t_ns, procs, sys_cpu_util, sys_mem_megabytes, gpu_index, gpu_power_w, gpu_temp_c, gpu_sm_clock_mhz,"
	" gpu_clock_reasons, gpu_proc_mem_megabytes) FROM STDIN (FORMAT binary)";

/* ---- the binary COPY stream --------------------------------------------------------------------------------------- */

struct copy {
	struct pg_store *s;
	char *buf;
	size_t len, cap;
	bool failed; /* PQputCopyData failed: the connection is gone */
};

static void put_be(struct copy *c, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--)
		c->buf[c->len++] = (char)(v >> (8 * i));
}

static void put_i16(struct copy *c, int16_t v)
{
	put_be(c, (uint16_t)v, 2);
}

static void put_null(struct copy *c)
{
	put_be(c, 0xffffffffu, 4);
}

static void put_int4(struct copy *c, int32_t v)
{
	put_be(c, 4, 4);
	put_be(c, (uint32_t)v, 4);
}

static void put_int8(struct copy *c, int64_t v)
{
	put_be(c, 8, 4);
	put_be(c, (uint64_t)v, 8);
}

static void put_float8(struct copy *c, double v)
{
	uint64_t bits;
	memcpy(&bits, &v, sizeof(bits));
	put_be(c, 8, 4);
	put_be(c, bits, 8);
}

/* An invalid (or non-finite) value is NULL, never 0. */
static void put_value(struct copy *c, struct bl_value v, double scale)
{
	if (v.valid && isfinite(v.value))
		put_float8(c, v.value / scale);
	else
		put_null(c);
}

static void put_value_int(struct copy *c, struct bl_value v, bool four_bytes)
{
	double lim = four_bytes ? 2.1e9 : 9.2e18;
	if (!v.valid || !isfinite(v.value) || v.value < -lim || v.value > lim)
		put_null(c);
	else if (four_bytes)
		put_int4(c, (int32_t)v.value);
	else
		put_int8(c, (int64_t)v.value);
}

static void copy_flush(struct copy *c)
{
	if (c->len && !c->failed && PQputCopyData(c->s->conn, c->buf, (int)c->len) != 1)
		c->failed = true;
	c->len = 0;
}

/* Makes room for one more row, sending what is buffered when the chunk is full. */
static void copy_row(struct copy *c, int16_t fields)
{
	if (c->len + MAX_ROW_BYTES > c->cap)
		copy_flush(c);
	put_i16(c, fields);
}

static int copy_begin(struct copy *c, struct pg_store *s, const char *sql, const char *what, struct bl_error *err)
{
	memset(c, 0, sizeof(*c));
	c->s = s;
	if (pg_copy_start(s, sql, PGRES_COPY_IN, err, what))
		return -1;
	c->cap = COPY_CHUNK;
	c->buf = bl_xmalloc(c->cap);
	static const char header[] = "PGCOPY\n\377\r\n";
	memcpy(c->buf, header, 11);
	c->len = 11;
	put_be(c, 0, 4); /* flags */
	put_be(c, 0, 4); /* header extension length */
	return 0;
}

/* The 1-based row the server named in its error context ("COPY t, line N"), 0 when none. */
static size_t failed_row(const PGresult *res)
{
	const char *ctx = res ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
	const char *line = ctx ? strstr(ctx, ", line ") : NULL;
	return line ? (size_t)strtoull(line + 7, NULL, 10) : 0;
}

/* Ends the stream and reads the outcome. On failure *failed is the failed
 * result (the caller clears it) and err is set by the caller's describe. */
static int copy_end(struct copy *c, PGresult **failed)
{
	*failed = NULL;
	int ret = 0;
	if (!c->failed) {
		put_i16(c, -1); /* trailer */
		copy_flush(c);
	}
	if (PQputCopyEnd(c->s->conn, c->failed ? "benchline could not send the rows" : NULL) != 1)
		ret = -1;
	PGresult *res;
	while ((res = PQgetResult(c->s->conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			ret = -1;
			if (!*failed) {
				*failed = res;
				continue;
			}
		}
		PQclear(res);
	}
	free(c->buf);
	c->buf = NULL;
	return c->failed ? -1 : ret;
}

/* ---- metric values ------------------------------------------------------------------------------------------------ */

/* The dictionary key of m, from the cache, the table, or a new row. */
static int metric_key(struct pg_store *s, const struct bl_metric *m, int64_t *key, const char *what,
		      struct bl_error *err)
{
	if (bl_metric_dict_find(s->dict, m, key))
		return 0;
	char step[256];
	snprintf(step, sizeof(step), "%s: metric '%.80s'", what, m->name);
	struct pg_params p = {0};
	pg_param_text(&p, m->name);
	pg_param_text(&p, m->unit);
	pg_param_text(&p, bl_better_name(m->better));
	/* Looked up first: the usual case, and an INSERT that finds the row
	 * would still take a lock and burn an identity value. The second look
	 * finds a row another writer committed after the first. */
	for (int attempt = 0; attempt < 2; attempt++) {
		PGresult *res = pg_run(s, PG_NAME_SELECT, NAME_SELECT_SQL, &p, NULL, err, step);
		if (!res)
			return -1;
		bool found = PQntuples(res) > 0;
		if (found)
			*key = pg_get_int64(res, 0, 0);
		PQclear(res);
		if (found)
			break;
		if (attempt == 1)
			return bl_fail(err, "%s: it is neither there nor could it be added", step);
		res = pg_run(s, PG_NAME_INSERT, NAME_INSERT_SQL, &p, NULL, err, step);
		if (!res)
			return -1;
		found = PQntuples(res) > 0;
		if (found)
			*key = pg_get_int64(res, 0, 0);
		PQclear(res);
		if (found)
			break;
	}
	bl_metric_dict_remember(s->dict, m, *key);
	return 0;
}

int pg_insert_metrics(struct pg_store *s, const struct bl_run_record *r, int64_t run_id, const char *what,
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
		 * through the same rollback as a failing server. */
		if (!m->name || !*m->name)
			return bl_fail(err, "%s: metric %zu has no name", what, i + 1);
		if (!isfinite(m->value))
			return bl_fail(err, "%s: metric '%s' has a non-finite value", what, m->name);
		if (metric_key(s, m, &d->keys[i], what, err) != 0)
			return -1;
	}
	struct copy c;
	char step[224];
	snprintf(step, sizeof(step), "%s: metrics", what);
	if (copy_begin(&c, s, VALUES_COPY_SQL, step, err) != 0)
		return -1;
	for (size_t i = 0; i < r->n_metrics; i++) {
		copy_row(&c, 3);
		put_int8(&c, run_id * BL_STORE_VALUES_PER_RUN + (int64_t)i);
		put_int8(&c, d->keys[i]);
		put_float8(&c, r->metrics[i].value);
	}
	PGresult *failed;
	if (copy_end(&c, &failed) == 0)
		return 0;
	size_t row = failed_row(failed);
	if (row >= 1 && row <= r->n_metrics)
		pg_fail(s, failed, err, "%s: metric '%.80s'", what, r->metrics[row - 1].name);
	else
		pg_fail(s, failed, err, "%s", step);
	bool stale = failed && !strcmp(pg_sqlstate(failed), PG_FOREIGN_KEY_VIOLATION);
	PQclear(failed);
	return stale ? PG_STALE_KEYS : -1;
}

/* ---- device samples ----------------------------------------------------------------------------------------------- */

/* Row (sample x, GPU gpu) of run run_id; gpu -1: no GPU. */
static void put_sample_row(struct copy *c, const struct bl_run_record *r, int64_t run_id, int64_t t0_ns,
			   const struct bl_sample *x, int gpu)
{
	const struct bl_gpu_sample *g = gpu >= 0 ? &x->gpu[gpu] : NULL;
	copy_row(c, 18);
	put_int8(c, r->benchmark_id);
	put_int8(c, run_id);
	put_value(c, x->proc_cpu_pct, 1.0);
	put_value(c, x->proc_rss_bytes, BL_STORE_MIB);
	if (g) {
		put_value(c, g->util_pct, 1.0);
		put_value(c, g->mem_used_bytes, BL_STORE_MIB);
	} else {
		put_null(c);
		put_null(c);
	}
	/* Milliseconds, rounded down, as the SQLite store keeps them. */
	int64_t ns = t0_ns + x->t_ns;
	int64_t ms = ns / 1000000 - (ns % 1000000 < 0);
	put_int8(c, ms * 1000 - PG_EPOCH_UNIX_US);
	put_int4(c, x->warmup ? 1 : 0);
	put_int8(c, x->t_ns);
	put_value_int(c, x->proc_count, true);
	put_value(c, x->sys_cpu_pct, 1.0);
	put_value(c, x->sys_mem_used_bytes, BL_STORE_MIB);
	if (!g) {
		for (int k = 0; k < 6; k++)
			put_null(c);
		return;
	}
	put_int4(c, gpu);
	put_value(c, g->power_w, 1.0);
	put_value(c, g->temp_c, 1.0);
	put_value(c, g->sm_clock_mhz, 1.0);
	put_value_int(c, g->clock_reasons, false);
	put_value(c, g->proc_mem_bytes, BL_STORE_MIB);
}

int pg_insert_samples(struct pg_store *s, const struct bl_run_record *r, int64_t run_id, const char *what,
		      struct bl_error *err)
{
	if (r->n_samples == 0)
		return 0;
	int64_t t0 = r->start_unix_ns ? r->start_unix_ns : bl_now_unix_ns();
	char step[224];
	snprintf(step, sizeof(step), "%s: device samples", what);
	struct copy c;
	if (copy_begin(&c, s, SAMPLES_COPY_SQL, step, err) != 0)
		return -1;
	for (size_t i = 0; i < r->n_samples; i++) {
		const struct bl_sample *x = &r->samples[i];
		int n_gpus = x->n_gpus < 0 ? 0 : x->n_gpus > BL_DEVICE_MAX_GPUS ? BL_DEVICE_MAX_GPUS : x->n_gpus;
		for (int g = n_gpus ? 0 : -1; g < n_gpus; g++)
			put_sample_row(&c, r, run_id, t0, x, g);
	}
	PGresult *failed;
	if (copy_end(&c, &failed) == 0)
		return 0;
	size_t row = failed_row(failed);
	if (row)
		pg_fail(s, failed, err, "%s (row %zu)", step, row);
	else
		pg_fail(s, failed, err, "%s", step);
	PQclear(failed);
	return -1;
}
