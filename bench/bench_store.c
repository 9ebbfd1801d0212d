/*
 * bench_store.c - how fast the SQLite store takes the metric values of a sweep.
 *
 * Simulates a sweep: RUNS measured runs (spread over cases of 100 runs each)
 * of METRICS metric values each, every run stored in its own transaction as
 * benchline does. Two variants write the same rows into fresh files with the
 * same schema and pragmas:
 *   baseline   a raw sqlite3 loop: BEGIN IMMEDIATE, one prepared INSERT for the
 *              run and one for its metrics, COMMIT
 *   benchline  bl_store_add_run (validation, error handling, case touch)
 * and prints values/s for both and benchline's ratio to the baseline, for
 * synchronous=NORMAL and FULL (both in WAL mode; see docs/SCHEMA.md).
 *
 * usage: bench_store [--runs N] [--metrics M] [--sync normal|full|both] [--repeat R] [--dir DIR]
 */
#include "benchline/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RUNS_PER_CASE 100

struct options {
	int runs;
	int metrics;
	const char *sync; /* "normal", "full" or "both" */
	int repeat;
	const char *dir;
};

struct workload {
	int runs, n_metrics, n_cases;
	char **names;              /* metric names */
	struct bl_metric *metrics; /* one run's metrics; values rewritten per run */
};

__attribute__((noreturn)) static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_store: %s: %s\n", what, msg);
	exit(1);
}

static int parse_int_arg(const char *name, const char *v, int min)
{
	int64_t n;
	if (!v || bl_parse_int64(v, &n) != 0 || n < min || n > 100000000)
		die(name, "expected a positive number");
	return (int)n;
}

static void parse_args(int argc, char **argv, struct options *o)
{
	*o = (struct options){.runs = 10000, .metrics = 100, .sync = "both", .repeat = 1, .dir = NULL};
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--runs") == 0)
			o->runs = parse_int_arg(a, v, 1);
		else if (strcmp(a, "--metrics") == 0)
			o->metrics = parse_int_arg(a, v, 1);
		else if (strcmp(a, "--repeat") == 0)
			o->repeat = parse_int_arg(a, v, 1);
		else if (strcmp(a, "--sync") == 0 && v &&
			 (strcmp(v, "normal") == 0 || strcmp(v, "full") == 0 || strcmp(v, "both") == 0))
			o->sync = v;
		else if (strcmp(a, "--dir") == 0 && v)
			o->dir = v;
		else {
			fprintf(stderr, "usage: bench_store [--runs N] [--metrics M] [--sync normal|full|both] "
					"[--repeat R] [--dir DIR]\n");
			exit(2);
		}
	}
}

static double metric_value(int run, int m)
{
	return 0.001 * (run % 997) + m;
}

/* Creates the schema, the machine and the cases through the store (untimed). */
static struct bl_store *prepare_db(const char *path, const struct workload *w, int64_t *case_ids)
{
	struct bl_store *s;
	struct bl_error err = {{0}};
	if (bl_store_open(path, &s, &err) != 0)
		die("open", err.msg);
	struct bl_machine m = {.hostname = (char *)"bench", .cpu_count = 1, .gpus_json = (char *)"[]"};
	snprintf(m.fingerprint, sizeof(m.fingerprint), "bench-fingerprint");
	int64_t mid;
	if (bl_store_put_machine(s, &m, &mid, &err) != 0)
		die("put_machine", err.msg);
	for (int c = 0; c < w->n_cases; c++) {
		char sha[41], params[32];
		snprintf(sha, sizeof(sha), "%040d", c / 4);
		snprintf(params, sizeof(params), "{\"level\":\"%d\"}", c % 4);
		struct bl_case_key k = {
			.repository = "/bench/repo",
			.branch = "main",
			.commit_sha = sha,
			.commit_subject = "bench commit",
			.machine_id = mid,
			.suite_hash = "suite",
			.name = "sweep",
			.params_json = params,
			.metadata_json = "{}",
		};
		struct bl_case_state st;
		if (bl_store_open_case(s, &k, &st, &err) != 0)
			die("open_case", err.msg);
		case_ids[c] = st.benchmark_id;
		bl_case_state_release(&st);
	}
	return s;
}

static struct bl_run_record make_run(const struct workload *w, const int64_t *case_ids, int run)
{
	for (int m = 0; m < w->n_metrics; m++)
		w->metrics[m].value = metric_value(run, m);
	struct bl_run_record r = {
		.benchmark_id = case_ids[run / RUNS_PER_CASE],
		.index = run % RUNS_PER_CASE,
		.start_unix_ns = bl_now_unix_ns(),
		.wall_s = 1.0 + 0.001 * run,
		.user_s = 0.9,
		.sys_s = 0.1,
		.peak_rss_bytes = 1 << 24,
		.peak_source = "cgroup",
		.exit_code = 0,
		.status = "ok",
		.stdout_log = "/bench/logs/stdout",
		.stderr_log = "/bench/logs/stderr",
		.env_hash = "0123456789abcdef",
		.metrics = w->metrics,
		.n_metrics = (size_t)w->n_metrics,
	};
	return r;
}

static double run_benchline(const char *path, const struct workload *w)
{
	int64_t *case_ids = bl_xcalloc((size_t)w->n_cases, sizeof(*case_ids));
	struct bl_store *s = prepare_db(path, w, case_ids);
	struct bl_error err = {{0}};
	int64_t t0 = bl_now_mono_ns();
	for (int run = 0; run < w->runs; run++) {
		struct bl_run_record r = make_run(w, case_ids, run);
		if (bl_store_add_run(s, &r, NULL, &err) != 0)
			die("add_run", err.msg);
	}
	int64_t t1 = bl_now_mono_ns();
	bl_store_close(s);
	free(case_ids);
	return (double)(t1 - t0) / 1e9;
}

static void check(sqlite3 *db, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
		die(what, sqlite3_errmsg(db));
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	check(db, sqlite3_prepare_v2(db, sql, -1, &st, NULL), sql);
	return st;
}

static void step_reset(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	check(db, sqlite3_step(st), what);
	sqlite3_reset(st);
}

/* The named baseline: the least code that writes the same rows. */
static double run_raw(const char *path, const struct workload *w, bool full_sync)
{
	int64_t *case_ids = bl_xcalloc((size_t)w->n_cases, sizeof(*case_ids));
	bl_store_close(prepare_db(path, w, case_ids)); /* same schema and cases as the store */
	sqlite3 *db;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		die(path, sqlite3_errmsg(db));
	check(db, sqlite3_exec(db, full_sync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL", NULL, NULL,
			       NULL),
	      "pragma");
	check(db, sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL), "pragma");
	sqlite3_stmt *begin = prep(db, "BEGIN IMMEDIATE"), *commit = prep(db, "COMMIT");
	sqlite3_stmt *ins_run = prep(db, "INSERT INTO runs (benchmark_id, kind, idx, started_at, wall_s, user_s, sys_s,"
					 " peak_rss_bytes, peak_source, exit_code, term_signal, status, stdout_log,"
					 " stderr_log, env_hash, cpu_list, diagnostics)"
					 " VALUES (?1, 'measured', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL, ?10, ?11, ?12,"
					 " ?13, NULL, NULL)");
	sqlite3_stmt *ins_metric = prep(db, "INSERT INTO metrics (run_id, seq, name, value, unit, better)"
					    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	int64_t t0 = bl_now_mono_ns();
	for (int run = 0; run < w->runs; run++) {
		struct bl_run_record r = make_run(w, case_ids, run);
		char started[40];
		bl_format_utc(r.start_unix_ns / 1000000000, started);
		snprintf(started + 19, sizeof(started) - 19, ".%03dZ", (int)(r.start_unix_ns / 1000000 % 1000));
		step_reset(db, begin, "begin");
		sqlite3_bind_int64(ins_run, 1, r.benchmark_id);
		sqlite3_bind_int(ins_run, 2, r.index);
		sqlite3_bind_text(ins_run, 3, started, -1, SQLITE_STATIC);
		sqlite3_bind_double(ins_run, 4, r.wall_s);
		sqlite3_bind_double(ins_run, 5, r.user_s);
		sqlite3_bind_double(ins_run, 6, r.sys_s);
		sqlite3_bind_int64(ins_run, 7, r.peak_rss_bytes);
		sqlite3_bind_text(ins_run, 8, r.peak_source, -1, SQLITE_STATIC);
		sqlite3_bind_int(ins_run, 9, r.exit_code);
		sqlite3_bind_text(ins_run, 10, r.status, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins_run, 11, r.stdout_log, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins_run, 12, r.stderr_log, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins_run, 13, r.env_hash, -1, SQLITE_STATIC);
		step_reset(db, ins_run, "insert run");
		int64_t run_id = sqlite3_last_insert_rowid(db);
		for (int m = 0; m < w->n_metrics; m++) {
			sqlite3_bind_int64(ins_metric, 1, run_id);
			sqlite3_bind_int(ins_metric, 2, m);
			sqlite3_bind_text(ins_metric, 3, w->names[m], -1, SQLITE_STATIC);
			sqlite3_bind_double(ins_metric, 4, w->metrics[m].value);
			sqlite3_bind_text(ins_metric, 5, "s", -1, SQLITE_STATIC);
			sqlite3_bind_text(ins_metric, 6, "lower", -1, SQLITE_STATIC);
			step_reset(db, ins_metric, "insert metric");
		}
		step_reset(db, commit, "commit");
	}
	int64_t t1 = bl_now_mono_ns();
	sqlite3_finalize(begin);
	sqlite3_finalize(commit);
	sqlite3_finalize(ins_run);
	sqlite3_finalize(ins_metric);
	sqlite3_close(db);
	free(case_ids);
	return (double)(t1 - t0) / 1e9;
}

/* Counts what landed, so a variant that silently dropped rows cannot look fast. */
static void verify(const char *path, const struct workload *w)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die(path, sqlite3_errmsg(db));
	st = prep(db, "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM metrics)");
	check(db, sqlite3_step(st), "count");
	int64_t runs = sqlite3_column_int64(st, 0), values = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (runs != w->runs || values != (int64_t)w->runs * w->n_metrics)
		die(path, "row counts do not match the workload");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One variant into a fresh file, verified and removed afterwards. */
static double measure_once(const char *dir, bool baseline, const char *sync, const struct workload *w, int rep)
{
	char *path = bl_xasprintf("%s/%s-%s-%d.db", dir, baseline ? "baseline" : "benchline", sync, rep);
	setenv("BENCHLINE_SQLITE_SYNC", sync, 1);
	double secs = baseline ? run_raw(path, w, strcmp(sync, "full") == 0) : run_benchline(path, w);
	verify(path, w);
	struct bl_error err = {{0}};
	const char *suffixes[] = {"", "-wal", "-shm"};
	for (size_t j = 0; j < 3; j++) {
		char *f = bl_xasprintf("%s%s", path, suffixes[j]);
		bl_remove_tree(f, &err);
		free(f);
	}
	free(path);
	return secs;
}

/* Median seconds of each variant over repeat rounds. The variants alternate
 * (ABBA...) so that a machine getting slower or faster during the run (a
 * throttled virtual disk, a busy neighbour) weighs on both alike. */
static void measure(const char *dir, const char *sync, const struct workload *w, int repeat, double *base,
		    double *mine)
{
	double *b = bl_xcalloc((size_t)repeat, sizeof(*b)), *m = bl_xcalloc((size_t)repeat, sizeof(*m));
	for (int i = 0; i < repeat; i++) {
		if (i % 2 == 0) {
			b[i] = measure_once(dir, true, sync, w, i);
			m[i] = measure_once(dir, false, sync, w, i);
		} else {
			m[i] = measure_once(dir, false, sync, w, i);
			b[i] = measure_once(dir, true, sync, w, i);
		}
	}
	*base = median(b, repeat);
	*mine = median(m, repeat);
	free(b);
	free(m);
}

int main(int argc, char **argv)
{
	struct options o;
	parse_args(argc, argv, &o);
	struct workload w = {.runs = o.runs, .n_metrics = o.metrics};
	w.n_cases = (o.runs + RUNS_PER_CASE - 1) / RUNS_PER_CASE;
	w.names = bl_xcalloc((size_t)o.metrics, sizeof(*w.names));
	w.metrics = bl_xcalloc((size_t)o.metrics, sizeof(*w.metrics));
	for (int m = 0; m < o.metrics; m++) {
		w.names[m] = bl_xasprintf("metric_%03d", m);
		w.metrics[m] = (struct bl_metric){.name = w.names[m], .unit = (char *)"s", .better = BL_BETTER_LOWER};
	}

	struct bl_error err = {{0}};
	char *dir;
	if (o.dir) {
		if (bl_mkdirs(o.dir, 0755, &err) != 0)
			die("--dir", err.msg);
		dir = bl_xasprintf("%s/bench_store.XXXXXX", o.dir);
	} else {
		const char *tmp = getenv("TMPDIR");
		dir = bl_xasprintf("%s/bench_store.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	}
	if (!mkdtemp(dir))
		die(dir, "cannot create the scratch directory");

	int64_t values = (int64_t)o.runs * o.metrics;
	printf("bench_store: %d runs x %d metrics = %lld values per variant, one transaction per run, WAL, "
	       "SQLite %s, median of %d, files in %s\n",
	       o.runs, o.metrics, (long long)values, sqlite3_libversion(), o.repeat, dir);
	printf("%-8s %-34s %9s %12s %8s\n", "sync", "variant", "seconds", "values/s", "ratio");
	const char *syncs[] = {"normal", "full"};
	for (size_t i = 0; i < 2; i++) {
		if (strcmp(o.sync, "both") != 0 && strcmp(o.sync, syncs[i]) != 0)
			continue;
		double base, mine;
		measure(dir, syncs[i], &w, o.repeat, &base, &mine);
		printf("%-8s %-34s %9.3f %12.0f %8s\n", syncs[i], "baseline (raw sqlite3 loop)", base,
		       (double)values / base, "1.00");
		printf("%-8s %-34s %9.3f %12.0f %8.2f\n", syncs[i], "benchline (bl_store_add_run)", mine,
		       (double)values / mine, base / mine);
		fflush(stdout);
	}
	bl_remove_tree(dir, &err);
	free(dir);
	for (int m = 0; m < o.metrics; m++)
		free(w.names[m]);
	free(w.names);
	free(w.metrics);
	return 0;
}
