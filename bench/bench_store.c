/*
 * bench_store.c - how fast the SQLite store takes the metric values of a sweep.
 *
 * Simulates a sweep: RUNS measured runs (spread over cases of 100 runs each)
 * of METRICS metric values each, every run stored in its own transaction as
 * benchline does. Two variants store the same runs and values into fresh
 * files, both in WAL mode with the same synchronous setting:
 *   baseline   a raw sqlite3 loop on the simple schema: one row per value
 *              with its name, unit and direction as text, clustered by
 *              (run_id, seq), the run row with two indexes; BEGIN IMMEDIATE,
 *              one prepared INSERT for the run and one per value, COMMIT
 *   benchline  bl_store_add_run on the store's schema (docs/SCHEMA.md)
 * and prints values/s for both, benchline's ratio to the baseline and the
 * bytes each wrote per run (WAL frames and checkpoints; less noisy than
 * time on a shared machine), for synchronous=NORMAL and FULL.
 *
 * With --samples S, each run carries S device samples instead (what the
 * sampler records: S = 1000 is a 10 s run at 100 Hz) and no metrics unless
 * --metrics is given; --runs defaults to 1000, so 1,000,000 samples. The
 * baseline then is a raw sqlite3 loop of a one-row prepared INSERT per
 * sample into the same device_measurements table (same columns, indexes
 * and values), plus the run row, one transaction per run; benchline stores
 * them with bl_store_add_run, in the run's transaction, as the sweep does.
 *
 * usage: bench_store [--runs N] [--metrics M] [--samples S] [--sync normal|full|both] [--repeat R]
 *                    [--dir DIR] [--only baseline|benchline]
 */
#include "benchline/device.h"
#include "benchline/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define RUNS_PER_CASE 100

struct options {
	int runs;
	int metrics;
	const char *sync; /* "normal", "full" or "both" */
	int repeat;
	int samples; /* device samples per run, 0: the metrics workload */
	const char *only; /* "baseline" or "benchline": one variant (for profiling), NULL: both */
	const char *dir;
};

struct workload {
	int runs, n_metrics, n_cases;
	char **names;              /* metric names */
	struct bl_metric *metrics; /* one run's metrics; values rewritten per run */
	int n_samples;             /* device samples per run */
	struct bl_sample *samples; /* one run's samples; values rewritten per run */
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
	*o = (struct options){.runs = -1, .metrics = -1, .sync = "both", .repeat = 1, .dir = NULL};
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--runs") == 0)
			o->runs = parse_int_arg(a, v, 1);
		else if (strcmp(a, "--metrics") == 0)
			o->metrics = parse_int_arg(a, v, 0);
		else if (strcmp(a, "--samples") == 0)
			o->samples = parse_int_arg(a, v, 1);
		else if (strcmp(a, "--repeat") == 0)
			o->repeat = parse_int_arg(a, v, 1);
		else if (strcmp(a, "--sync") == 0 && v &&
			 (strcmp(v, "normal") == 0 || strcmp(v, "full") == 0 || strcmp(v, "both") == 0))
			o->sync = v;
		else if (strcmp(a, "--dir") == 0 && v)
			o->dir = v;
		else if (strcmp(a, "--only") == 0 && v && (strcmp(v, "baseline") == 0 || strcmp(v, "benchline") == 0))
			o->only = v;
		else {
			fprintf(stderr, "usage: bench_store [--runs N] [--metrics M] [--samples S] "
					"[--sync normal|full|both] [--repeat R] [--dir DIR]\n"
					"                   [--only baseline|benchline]\n");
			exit(2);
		}
	}
	if (o->runs < 0)
		o->runs = o->samples ? 1000 : 10000;
	if (o->metrics < 0)
		o->metrics = o->samples ? 0 : 100;
	if (o->metrics == 0 && o->samples == 0)
		die("--metrics", "nothing to store");
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

/* Sample k of a run: plausible values (a busy tree, memory rising), no GPU. */
static void fill_samples(const struct workload *w, int run)
{
	for (int k = 0; k < w->n_samples; k++) {
		struct bl_sample *x = &w->samples[k];
		x->t_ns = (int64_t)k * 10000000;
		x->warmup = false;
		x->proc_cpu_pct = (struct bl_value){k ? 150.0 + (double)((run * 7 + k * 13) % 97) : 0, k > 0};
		x->proc_rss_bytes = (struct bl_value){1e8 + 4096.0 * k, true};
		x->proc_count = (struct bl_value){1 + k % 3, true};
		x->sys_cpu_pct = (struct bl_value){k ? 160.0 + (double)((run + k) % 31) : 0, k > 0};
		x->sys_mem_used_bytes = (struct bl_value){4e9 + 4096.0 * k, true};
		x->n_gpus = 0;
	}
}

static struct bl_run_record make_run(const struct workload *w, const int64_t *case_ids, int run)
{
	for (int m = 0; m < w->n_metrics; m++)
		w->metrics[m].value = metric_value(run, m);
	if (w->n_samples)
		fill_samples(w, run);
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
		.samples = w->samples,
		.n_samples = (size_t)w->n_samples,
	};
	return r;
}

/* Bytes this process has handed to write() so far (Linux), -1 when unknown. */
static int64_t bytes_written(void)
{
	FILE *f = fopen("/proc/self/io", "r");
	char line[128];
	long long n = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "wchar: %lld", &n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

struct sample {
	double secs;
	double bytes_per_run; /* < 0: unknown */
};

static struct sample finish_sample(const struct workload *w, int64_t t0, int64_t w0)
{
	int64_t t1 = bl_now_mono_ns(), w1 = bytes_written();
	struct sample sm = {(double)(t1 - t0) / 1e9, -1};
	if (w0 >= 0 && w1 >= w0)
		sm.bytes_per_run = (double)(w1 - w0) / w->runs;
	return sm;
}

static struct sample run_benchline(const char *path, const struct workload *w)
{
	int64_t *case_ids = bl_xcalloc((size_t)w->n_cases, sizeof(*case_ids));
	struct bl_store *s = prepare_db(path, w, case_ids);
	struct bl_error err = {{0}};
	int64_t t0 = bl_now_mono_ns(), w0 = bytes_written();
	for (int run = 0; run < w->runs; run++) {
		struct bl_run_record r = make_run(w, case_ids, run);
		if (bl_store_add_run(s, &r, NULL, &err) != 0)
			die("add_run", err.msg);
	}
	struct sample sm = finish_sample(w, t0, w0);
	bl_store_close(s);
	free(case_ids);
	return sm;
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

/* The simple schema the baseline writes: the runs and metrics tables of
 * benchline's first schema, one row per value with its name, unit and
 * direction as text (benchmarks only as far as the foreign key needs it). */
static const char baseline_schema[] =
	"PRAGMA journal_mode = WAL;\n"
	"CREATE TABLE benchmarks (benchmark_id INTEGER PRIMARY KEY);\n"
	"CREATE TABLE runs (\n"
	"	run_id INTEGER PRIMARY KEY,\n"
	"	benchmark_id INTEGER NOT NULL REFERENCES benchmarks (benchmark_id) ON DELETE CASCADE,\n"
	"	kind TEXT NOT NULL CHECK (kind IN ('warmup', 'measured')),\n"
	"	idx INTEGER NOT NULL CHECK (idx >= 0),\n"
	"	started_at TEXT, wall_s REAL, user_s REAL, sys_s REAL, peak_rss_bytes INTEGER, peak_source TEXT,\n"
	"	exit_code INTEGER, term_signal INTEGER, status TEXT NOT NULL, stdout_log TEXT, stderr_log TEXT,\n"
	"	env_hash TEXT, cpu_list TEXT, diagnostics TEXT\n"
	");\n"
	"CREATE UNIQUE INDEX runs_measured_unique ON runs (benchmark_id, idx) WHERE kind = 'measured';\n"
	"CREATE INDEX runs_by_benchmark ON runs (benchmark_id, kind, idx);\n"
	"CREATE TABLE metrics (\n"
	"	run_id INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,\n"
	"	seq INTEGER NOT NULL,\n"
	"	name TEXT NOT NULL CHECK (name <> ''),\n"
	"	value REAL NOT NULL,\n"
	"	unit TEXT,\n"
	"	better TEXT CHECK (better IN ('lower', 'higher')),\n"
	"	PRIMARY KEY (run_id, seq)\n"
	") WITHOUT ROWID;\n";

/* device_measurements exactly as the store makes it (store_sqlite_schema.c). */
static const char baseline_device_schema[] =
	"CREATE TABLE device_measurements (\n"
	"	measurement_id INTEGER PRIMARY KEY,\n"
	"	benchmark_id INTEGER NOT NULL REFERENCES benchmarks (benchmark_id) ON DELETE CASCADE,\n"
	"	run_id INTEGER REFERENCES runs (run_id) ON DELETE CASCADE,\n"
	"	cpu_util REAL, mem_megabytes REAL, gpu_util REAL, gpu_mem_megabytes REAL,\n"
	"	time TEXT NOT NULL,\n"
	"	warmup INTEGER NOT NULL DEFAULT 0 CHECK (warmup IN (0, 1)),\n"
	"	t_ns INTEGER, procs INTEGER, sys_cpu_util REAL, sys_mem_megabytes REAL, gpu_index INTEGER,\n"
	"	gpu_power_w REAL, gpu_temp_c REAL, gpu_sm_clock_mhz REAL, gpu_clock_reasons INTEGER,\n"
	"	gpu_proc_mem_megabytes REAL\n"
	");\n"
	"CREATE INDEX device_measurements_by_benchmark ON device_measurements (benchmark_id);\n"
	"CREATE INDEX device_measurements_by_run ON device_measurements (run_id);\n";

static void iso_ms(int64_t unix_ns, char out[32])
{
	time_t t = (time_t)(unix_ns / 1000000000);
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03dZ", (int)(unix_ns / 1000000 % 1000));
}

/* One row per sample, bound as the store binds a sample without GPU. */
static void insert_samples_raw(sqlite3 *db, sqlite3_stmt *ins, const struct bl_run_record *r, int64_t run_id)
{
	for (size_t k = 0; k < r->n_samples; k++) {
		const struct bl_sample *x = &r->samples[k];
		char when[32];
		sqlite3_bind_int64(ins, 1, r->benchmark_id);
		sqlite3_bind_int64(ins, 2, run_id);
		if (x->proc_cpu_pct.valid)
			sqlite3_bind_double(ins, 3, x->proc_cpu_pct.value);
		else
			sqlite3_bind_null(ins, 3);
		sqlite3_bind_double(ins, 4, x->proc_rss_bytes.value / 1048576.0);
		iso_ms(r->start_unix_ns + x->t_ns, when);
		sqlite3_bind_text(ins, 5, when, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(ins, 6, x->warmup);
		sqlite3_bind_int64(ins, 7, x->t_ns);
		sqlite3_bind_int64(ins, 8, (int64_t)x->proc_count.value);
		if (x->sys_cpu_pct.valid)
			sqlite3_bind_double(ins, 9, x->sys_cpu_pct.value);
		else
			sqlite3_bind_null(ins, 9);
		sqlite3_bind_double(ins, 10, x->sys_mem_used_bytes.value / 1048576.0);
		step_reset(db, ins, "insert sample");
	}
}

/* The named baseline: the least code that stores the same runs and values. */
static struct sample run_raw(const char *path, const struct workload *w, bool full_sync)
{
	int64_t *case_ids = bl_xcalloc((size_t)w->n_cases, sizeof(*case_ids));
	sqlite3 *db;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		die(path, sqlite3_errmsg(db));
	check(db, sqlite3_exec(db, baseline_schema, NULL, NULL, NULL), "baseline schema");
	check(db, sqlite3_exec(db, baseline_device_schema, NULL, NULL, NULL), "baseline device schema");
	check(db, sqlite3_exec(db, full_sync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL", NULL, NULL,
			       NULL),
	      "pragma");
	check(db, sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL), "pragma");
	sqlite3_stmt *ins_case = prep(db, "INSERT INTO benchmarks (benchmark_id) VALUES (?1)");
	for (int c = 0; c < w->n_cases; c++) {
		case_ids[c] = c + 1;
		sqlite3_bind_int64(ins_case, 1, case_ids[c]);
		step_reset(db, ins_case, "insert case");
	}
	sqlite3_finalize(ins_case);
	sqlite3_stmt *begin = prep(db, "BEGIN IMMEDIATE"), *commit = prep(db, "COMMIT");
	sqlite3_stmt *ins_run = prep(db, "INSERT INTO runs (benchmark_id, kind, idx, started_at, wall_s, user_s, sys_s,"
					 " peak_rss_bytes, peak_source, exit_code, term_signal, status, stdout_log,"
					 " stderr_log, env_hash, cpu_list, diagnostics)"
					 " VALUES (?1, 'measured', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL, ?10, ?11, ?12,"
					 " ?13, NULL, NULL)");
	sqlite3_stmt *ins_metric = prep(db, "INSERT INTO metrics (run_id, seq, name, value, unit, better)"
					    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	sqlite3_stmt *ins_sample = prep(db, "INSERT INTO device_measurements (benchmark_id, run_id, cpu_util,"
					    " mem_megabytes, gpu_util, gpu_mem_megabytes, time, warmup, t_ns, procs,"
					    " sys_cpu_util, sys_mem_megabytes, gpu_index, gpu_power_w, gpu_temp_c,"
					    " gpu_sm_clock_mhz, gpu_clock_reasons, gpu_proc_mem_megabytes)"
					    " VALUES (?1, ?2, ?3, ?4, NULL, NULL, ?5, ?6, ?7, ?8, ?9, ?10, NULL, NULL,"
					    " NULL, NULL, NULL, NULL)");
	int64_t t0 = bl_now_mono_ns(), w0 = bytes_written();
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
		insert_samples_raw(db, ins_sample, &r, run_id);
		step_reset(db, commit, "commit");
	}
	struct sample sm = finish_sample(w, t0, w0);
	sqlite3_finalize(begin);
	sqlite3_finalize(commit);
	sqlite3_finalize(ins_run);
	sqlite3_finalize(ins_metric);
	sqlite3_finalize(ins_sample);
	sqlite3_close(db);
	free(case_ids);
	return sm;
}

/* Counts what landed, so a variant that silently dropped rows cannot look fast
 * (metrics is the baseline's table and the store's view alike). */
static void verify(const char *path, const struct workload *w)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die(path, sqlite3_errmsg(db));
	st = prep(db, "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM metrics),"
		      " (SELECT count(*) FROM device_measurements), (SELECT count(*) FROM device_measurements"
		      " WHERE cpu_util IS NULL)");
	check(db, sqlite3_step(st), "count");
	int64_t runs = sqlite3_column_int64(st, 0), values = sqlite3_column_int64(st, 1);
	int64_t samples = sqlite3_column_int64(st, 2), null_cpu = sqlite3_column_int64(st, 3);
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (runs != w->runs || values != (int64_t)w->runs * w->n_metrics ||
	    samples != (int64_t)w->runs * w->n_samples || null_cpu != (w->n_samples ? w->runs : 0))
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
static struct sample measure_once(const char *dir, bool baseline, const char *sync, const struct workload *w, int rep)
{
	char *path = bl_xasprintf("%s/%s-%s-%d.db", dir, baseline ? "baseline" : "benchline", sync, rep);
	setenv("BENCHLINE_SQLITE_SYNC", sync, 1);
	struct sample sm = baseline ? run_raw(path, w, strcmp(sync, "full") == 0) : run_benchline(path, w);
	verify(path, w);
	struct bl_error err = {{0}};
	const char *suffixes[] = {"", "-wal", "-shm"};
	for (size_t j = 0; j < 3; j++) {
		char *f = bl_xasprintf("%s%s", path, suffixes[j]);
		bl_remove_tree(f, &err);
		free(f);
	}
	free(path);
	return sm;
}

/* Median of each variant over repeat rounds (seconds and bytes apart). The
 * variants alternate (ABBA...) so that a machine getting slower or faster
 * during the run (a throttled virtual disk, a busy neighbour) weighs on both
 * alike. */
static const char *only_variant;

static void measure(const char *dir, const char *sync, const struct workload *w, int repeat, struct sample *base,
		    struct sample *mine)
{
	double *bs = bl_xcalloc((size_t)repeat, sizeof(*bs)), *ms = bl_xcalloc((size_t)repeat, sizeof(*ms));
	double *bw = bl_xcalloc((size_t)repeat, sizeof(*bw)), *mw = bl_xcalloc((size_t)repeat, sizeof(*mw));
	for (int i = 0; i < repeat; i++) {
		struct sample b = {1, -1}, m = {1, -1};
		if (only_variant)
			*(strcmp(only_variant, "baseline") == 0 ? &b : &m) =
				measure_once(dir, strcmp(only_variant, "baseline") == 0, sync, w, i);
		else if (i % 2 == 0) {
			b = measure_once(dir, true, sync, w, i);
			m = measure_once(dir, false, sync, w, i);
		} else {
			m = measure_once(dir, false, sync, w, i);
			b = measure_once(dir, true, sync, w, i);
		}
		bs[i] = b.secs;
		bw[i] = b.bytes_per_run;
		ms[i] = m.secs;
		mw[i] = m.bytes_per_run;
	}
	*base = (struct sample){median(bs, repeat), median(bw, repeat)};
	*mine = (struct sample){median(ms, repeat), median(mw, repeat)};
	free(bs);
	free(bw);
	free(ms);
	free(mw);
}

static void print_row(const char *sync, const char *variant, struct sample sm, int64_t values, double ratio)
{
	char written[32] = "-";
	if (sm.bytes_per_run >= 0)
		snprintf(written, sizeof(written), "%.1f", sm.bytes_per_run / 1024);
	printf("%-8s %-34s %9.3f %12.0f %8.2f %12s\n", sync, variant, sm.secs, (double)values / sm.secs, ratio,
	       written);
}

int main(int argc, char **argv)
{
	struct options o;
	parse_args(argc, argv, &o);
	only_variant = o.only;
	struct workload w = {.runs = o.runs, .n_metrics = o.metrics, .n_samples = o.samples};
	if (o.samples)
		w.samples = bl_xcalloc((size_t)o.samples, sizeof(*w.samples));
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

	int64_t values = (int64_t)o.runs * (o.samples ? o.samples : o.metrics);
	if (o.samples)
		printf("bench_store: %d runs x %d device samples = %lld samples (and %d metrics a run) per variant, "
		       "one transaction per run, WAL, SQLite %s, median of %d, files in %s\n",
		       o.runs, o.samples, (long long)values, o.metrics, sqlite3_libversion(), o.repeat, dir);
	else
		printf("bench_store: %d runs x %d metrics = %lld values per variant, one transaction per run, WAL, "
		       "SQLite %s, median of %d, files in %s\n",
		       o.runs, o.metrics, (long long)values, sqlite3_libversion(), o.repeat, dir);
	printf("%-8s %-34s %9s %12s %8s %12s\n", "sync", "variant", "seconds", o.samples ? "samples/s" : "values/s",
	       "ratio", "KiB/run");
	const char *syncs[] = {"normal", "full"};
	for (size_t i = 0; i < 2; i++) {
		if (strcmp(o.sync, "both") != 0 && strcmp(o.sync, syncs[i]) != 0)
			continue;
		struct sample base, mine;
		measure(dir, syncs[i], &w, o.repeat, &base, &mine);
		print_row(syncs[i], "baseline (raw sqlite3, simple)", base, values, 1.0);
		print_row(syncs[i], "benchline (bl_store_add_run)", mine, values, base.secs / mine.secs);
		fflush(stdout);
	}
	bl_remove_tree(dir, &err);
	free(dir);
	for (int m = 0; m < o.metrics; m++)
		free(w.names[m]);
	free(w.names);
	free(w.metrics);
	free(w.samples);
	return 0;
}
