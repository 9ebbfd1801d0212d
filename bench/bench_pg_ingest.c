/*
 * bench_pg_ingest.c - how fast device samples go into PostgreSQL.
 *
 * Stores SAMPLES device samples (one device_measurements row each: a machine
 * without GPU; --gpus G makes G rows per sample) into the database of URL,
 * two ways, in the same run against the same server and table:
 *   store      bl_store_add_run: runs of PER_RUN samples, each run in one
 *              transaction, its samples sent with binary COPY (what
 *              `benchline run --db postgresql://...` does)
 *   baseline   the transformers benchmark v1 recorder's method: one INSERT
 *              per sample row in autocommit mode (a transaction and a commit
 *              per row), the same 18 columns with the same values, sent as
 *              text parameters without a prepared statement, as a client
 *              library that interpolates on its side would
 * The baseline is slow, so it stores BASELINE_ROWS rows (default 20,000) and
 * its time for SAMPLES rows is extrapolated from its rate; the output says so.
 * Prints rows/s of both, the ratio, and the server's durability settings
 * (fsync, synchronous_commit), which decide the baseline's commit cost.
 *
 * usage: bench_pg_ingest [--url URL] [--samples N] [--per-run N] [--gpus G]
 *                        [--baseline-rows N] [--repeat R]
 * URL defaults to $BENCHLINE_TEST_PG_URL; with a throwaway server:
 *   PG_SERVER_DURABLE=1 tests/pg-server.sh build-rel/bench_pg_ingest
 */
#include "benchline/store.h"

#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct options {
	const char *url;
	int64_t samples, per_run, baseline_rows;
	int gpus, repeat;
};

__attribute__((noreturn)) static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_pg_ingest: %s: %s\n", what, msg);
	exit(1);
}

static int64_t parse_count(const char *name, const char *v, int64_t min, int64_t max)
{
	int64_t n;
	if (!v || bl_parse_int64(v, &n) != 0 || n < min || n > max)
		die(name, "expected a number in range");
	return n;
}

static void parse_args(int argc, char **argv, struct options *o)
{
	*o = (struct options){.url = getenv("BENCHLINE_TEST_PG_URL"), .samples = 1000000, .per_run = 10000,
			      .baseline_rows = 20000, .gpus = 0, .repeat = 1};
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--url") && v)
			o->url = v;
		else if (!strcmp(a, "--samples"))
			o->samples = parse_count(a, v, 1, 100000000);
		else if (!strcmp(a, "--per-run"))
			o->per_run = parse_count(a, v, 1, 100000000);
		else if (!strcmp(a, "--baseline-rows"))
			o->baseline_rows = parse_count(a, v, 0, 100000000);
		else if (!strcmp(a, "--gpus"))
			o->gpus = (int)parse_count(a, v, 0, BL_DEVICE_MAX_GPUS);
		else if (!strcmp(a, "--repeat"))
			o->repeat = (int)parse_count(a, v, 1, 100);
		else {
			fprintf(stderr, "usage: bench_pg_ingest [--url URL] [--samples N] [--per-run N] [--gpus G]"
					" [--baseline-rows N] [--repeat R]\n");
			exit(2);
		}
	}
	if (!o->url || !*o->url)
		die("no database", "give --url postgresql://... or set BENCHLINE_TEST_PG_URL (tests/pg-server.sh does)");
}

static struct bl_value val(double v)
{
	return (struct bl_value){.value = v, .valid = true};
}

/* What the sampler records at 10 ms on a machine with gpus GPUs. */
static void fill_samples(struct bl_sample *x, size_t n, int gpus)
{
	memset(x, 0, n * sizeof(*x));
	for (size_t i = 0; i < n; i++) {
		x[i].t_ns = (int64_t)i * 10000000;
		x[i].proc_cpu_pct = val(95.0 + (double)(i % 10));
		x[i].proc_rss_bytes = val(512.0 * 1024 * 1024 + (double)(i % 1000) * 4096);
		x[i].proc_count = val(3);
		x[i].sys_cpu_pct = val(180.0 + (double)(i % 20));
		x[i].sys_mem_used_bytes = val(8.0 * 1024 * 1024 * 1024);
		x[i].n_gpus = gpus;
		for (int g = 0; g < gpus; g++) {
			x[i].gpu[g].util_pct = val(97);
			x[i].gpu[g].mem_used_bytes = val(20.0 * 1024 * 1024 * 1024);
			x[i].gpu[g].power_w = val(310.5);
			x[i].gpu[g].temp_c = val(66);
			x[i].gpu[g].sm_clock_mhz = val(1980);
			x[i].gpu[g].clock_reasons = val(0);
			x[i].gpu[g].proc_mem_bytes = val(18.0 * 1024 * 1024 * 1024);
		}
	}
}

static void check(int rc, const struct bl_error *err)
{
	if (rc != 0)
		die("store", err->msg);
}

static char *show_setting(PGconn *c, const char *name)
{
	char sql[64];
	snprintf(sql, sizeof(sql), "SHOW %s", name);
	PGresult *res = PQexec(c, sql);
	char *v = bl_xstrdup(PQresultStatus(res) == PGRES_TUPLES_OK ? PQgetvalue(res, 0, 0) : "?");
	PQclear(res);
	return v;
}

static int64_t count_rows(PGconn *c)
{
	PGresult *res = PQexec(c, "SELECT count(*) FROM device_measurements");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		die("count", PQerrorMessage(c));
	int64_t n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return n;
}

/* The store's path: samples in runs of o->per_run, one add_run each. Returns seconds. */
static double store_samples(struct bl_store *s, int64_t bid, int *next_index, const struct bl_sample *x,
			    const struct options *o)
{
	struct bl_error err = {{0}};
	int64_t t0 = bl_now_mono_ns();
	for (int64_t done = 0; done < o->samples; done += o->per_run) {
		int64_t n = o->samples - done < o->per_run ? o->samples - done : o->per_run;
		struct bl_run_record r = {
			.benchmark_id = bid,
			.index = (*next_index)++,
			.start_unix_ns = bl_now_unix_ns(),
			.wall_s = (double)n * 0.01,
			.peak_rss_bytes = -1,
			.status = "ok",
			.samples = x,
			.n_samples = (size_t)n,
		};
		check(bl_store_add_run(s, &r, NULL, &err), &err);
	}
	return (double)(bl_now_mono_ns() - t0) / 1e9;
}

/* The v1 recorder's way: one INSERT per row, autocommit. Returns seconds. */
static double insert_rows(PGconn *c, int64_t bid, int64_t run_id, const struct bl_sample *x, int64_t rows, int gpus)
{
	static const char sql[] =
		"INSERT INTO device_measurements (benchmark_id, run_id, cpu_util, mem_megabytes, gpu_util,"
		" gpu_mem_megabytes, time, warmup, t_ns, procs, sys_cpu_util, sys_mem_megabytes, gpu_index, gpu_power_w,"
		" gpu_temp_c, gpu_sm_clock_mhz, gpu_clock_reasons, gpu_proc_mem_megabytes)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";
	const double mib = 1024.0 * 1024.0;
	char buf[18][40];
	const char *values[18];
	int64_t start = bl_now_unix_ns();
	int64_t t0 = bl_now_mono_ns();
	int rows_per_sample = gpus ? gpus : 1;
	for (int64_t row = 0; row < rows; row++) {
		const struct bl_sample *s = &x[row / rows_per_sample];
		int g = gpus ? (int)(row % gpus) : -1;
		char when[32];
		bl_format_utc((start + s->t_ns) / 1000000000, when);
		snprintf(buf[0], 40, "%lld", (long long)bid);
		snprintf(buf[1], 40, "%lld", (long long)run_id);
		snprintf(buf[2], 40, "%.17g", s->proc_cpu_pct.value);
		snprintf(buf[3], 40, "%.17g", s->proc_rss_bytes.value / mib);
		snprintf(buf[6], 40, "%s", when);
		snprintf(buf[7], 40, "0");
		snprintf(buf[8], 40, "%lld", (long long)s->t_ns);
		snprintf(buf[9], 40, "%.0f", s->proc_count.value);
		snprintf(buf[10], 40, "%.17g", s->sys_cpu_pct.value);
		snprintf(buf[11], 40, "%.17g", s->sys_mem_used_bytes.value / mib);
		for (int k = 0; k < 18; k++)
			values[k] = buf[k];
		if (g < 0) {
			values[4] = values[5] = NULL;
			for (int k = 12; k < 18; k++)
				values[k] = NULL;
		} else {
			const struct bl_gpu_sample *gs = &s->gpu[g];
			snprintf(buf[4], 40, "%.17g", gs->util_pct.value);
			snprintf(buf[5], 40, "%.17g", gs->mem_used_bytes.value / mib);
			snprintf(buf[12], 40, "%d", g);
			snprintf(buf[13], 40, "%.17g", gs->power_w.value);
			snprintf(buf[14], 40, "%.17g", gs->temp_c.value);
			snprintf(buf[15], 40, "%.17g", gs->sm_clock_mhz.value);
			snprintf(buf[16], 40, "%.0f", gs->clock_reasons.value);
			snprintf(buf[17], 40, "%.17g", gs->proc_mem_bytes.value / mib);
		}
		PGresult *res = PQexecParams(c, sql, 18, NULL, values, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			die("baseline insert", PQerrorMessage(c));
		PQclear(res);
	}
	return (double)(bl_now_mono_ns() - t0) / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct options o;
	parse_args(argc, argv, &o);
	struct bl_error err = {{0}};
	struct bl_store *s = NULL;
	check(bl_store_open(o.url, &s, &err), &err);
	struct bl_machine m = {.hostname = (char *)"bench", .os = (char *)"Linux", .cpu_count = 2, .gpus_json = (char *)"[]"};
	snprintf(m.fingerprint, sizeof(m.fingerprint), "bench_pg_ingest");
	int64_t mid = 0;
	check(bl_store_put_machine(s, &m, &mid, &err), &err);
	char sha[41];
	snprintf(sha, sizeof(sha), "%040lld", (long long)bl_now_unix_ns());
	struct bl_case_key key = {.repository = "/bench/pg_ingest", .commit_sha = sha, .machine_id = mid,
				  .suite_hash = "bench", .name = "ingest", .params_json = "{}"};
	struct bl_case_state st;
	check(bl_store_open_case(s, &key, &st, &err), &err);
	int64_t bid = st.benchmark_id;
	bl_case_state_release(&st);

	size_t per_run = (size_t)(o.per_run < o.samples ? o.per_run : o.samples);
	size_t n_x = per_run > (size_t)o.baseline_rows ? per_run : (size_t)o.baseline_rows;
	struct bl_sample *x = bl_xcalloc(n_x, sizeof(*x));
	fill_samples(x, n_x, o.gpus);
	int rows_per_sample = o.gpus ? o.gpus : 1;
	int64_t rows = o.samples * rows_per_sample;

	PGconn *c = PQconnectdb(o.url);
	if (PQstatus(c) != CONNECTION_OK)
		die("connect", PQerrorMessage(c));
	char *fsync = show_setting(c, "fsync"), *sync_commit = show_setting(c, "synchronous_commit");
	char *version = show_setting(c, "server_version");
	printf("PostgreSQL %s, fsync=%s, synchronous_commit=%s; %lld samples x %d row%s, runs of %lld samples\n",
	       version, fsync, sync_commit, (long long)o.samples, rows_per_sample, rows_per_sample == 1 ? "" : "s",
	       (long long)per_run);

	/* The store's COPY path, o.repeat times; the median is reported. */
	int index = 0;
	double *secs = bl_xcalloc((size_t)o.repeat, sizeof(double));
	for (int i = 0; i < o.repeat; i++) {
		int64_t before = count_rows(c);
		secs[i] = store_samples(s, bid, &index, x, &o);
		if (count_rows(c) - before != rows)
			die("store", "the table did not grow by the rows stored");
		printf("store (COPY, a transaction per run): %lld rows in %.3f s = %.0f rows/s\n", (long long)rows, secs[i],
		       (double)rows / secs[i]);
		fflush(stdout);
	}
	qsort(secs, (size_t)o.repeat, sizeof(double), cmp_double);
	double copy_s = secs[o.repeat / 2];
	double copy_rate = (double)rows / copy_s;

	if (o.baseline_rows > 0) {
		/* The baseline's rows belong to a run of their own. */
		struct bl_run_record r = {.benchmark_id = bid, .index = index++, .peak_rss_bytes = -1, .status = "ok"};
		int64_t run_id = 0;
		check(bl_store_add_run(s, &r, &run_id, &err), &err);
		double base_s = insert_rows(c, bid, run_id, x, o.baseline_rows, o.gpus);
		double base_rate = (double)o.baseline_rows / base_s;
		printf("baseline (INSERT per row, autocommit): %lld rows in %.3f s = %.0f rows/s;"
		       " %lld rows would take %.1f s (extrapolated from that rate)\n",
		       (long long)o.baseline_rows, base_s, base_rate, (long long)rows, (double)rows / base_rate);
		printf("store / baseline: %.1fx (median of %d store pass%s: %.0f rows/s)\n", copy_rate / base_rate,
		       o.repeat, o.repeat == 1 ? "" : "es", copy_rate);
	}
	PQfinish(c);
	free(fsync);
	free(sync_commit);
	free(version);
	free(secs);
	free(x);
	bl_store_close(s);
	return 0;
}
