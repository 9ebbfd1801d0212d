/*
 * store.h - where results live. A backend (SQLite, PostgreSQL)
 * implements struct bl_store_ops; callers only use the bl_store_* functions.
 *
 * Schema (docs/SCHEMA.md has every column). The names benchmarks,
 * device_measurements and model_measurements keep the meaning they have in the
 * Hugging Face transformers benchmark v1 schema:
 *   schema_version(version)
 *   machines(machine_id, fingerprint UNIQUE, hostname, os, kernel, arch,
 *            cpu_model, cpu_count, memory_bytes, gpus, created_at)
 *   commits(repository, sha, parents, author_name, author_email, author_time,
 *           commit_time, subject)                 PRIMARY KEY(repository, sha)
 *   benchmarks(benchmark_id, repository, branch, commit_id, commit_message,
 *              machine_id, suite_hash, name, params, metadata, status,
 *              created_at, updated_at)
 *              UNIQUE(repository, commit_id, machine_id, name, params, suite_hash)
 *   builds(build_id, repository, commit_id, machine_id, build_key, status,
 *          started_at, duration_s, log_path)
 *   runs(run_id, benchmark_id, kind 'warmup'|'measured', idx, started_at,
 *        wall_s, user_s, sys_s, peak_rss_bytes, peak_source, exit_code,
 *        term_signal, status, stdout_log, stderr_log, env_hash, cpu_list,
 *        diagnostics)    one unique index keeps measured (benchmark_id, idx) unique
 *   metric_names(metric_key, name, unit, better)    each distinct metric once
 *   metric_values(value_id = run_id * 1000000 + seq, metric_key, value)
 *   metrics      a read-only VIEW (run_id, seq, name, value, unit, better)
 *   model_measurements(measurement_id, benchmark_id, run_id, measurements, time)
 *   device_measurements(measurement_id, benchmark_id, run_id, cpu_util,
 *        mem_megabytes, gpu_util, gpu_mem_megabytes, time, warmup, t_ns,
 *        procs, sys_cpu_util, sys_mem_megabytes, gpu_index, gpu_power_w,
 *        gpu_temp_c, gpu_sm_clock_mhz, gpu_clock_reasons,
 *        gpu_proc_mem_megabytes)     one row per sample and GPU
 *   change_points(change_id, repository, machine_id, name, params, metric,
 *        unit, commit_id, previous_commit_id, unmeasured, verdict,
 *        level_before, level_after, change, change_lo, change_hi, p,
 *        head_commit_id, alpha, noise_floor, min_segment, detected_at)
 *        what `detect --save` found (benchline/change_points.h)
 *   jobs(job_id, repository, commit_sha, benchmarks, machine_class, state,
 *        priority, attempts, max_attempts, options, worker, lease_token,
 *        lease_until, machine_id, last_error, created_at, started_at,
 *        finished_at)          the job queue (version 3; served by PostgreSQL)
 *
 * A run is stored in one transaction with its metrics and measurements: it is
 * there whole or not at all. A run whose status is not "ok" marks its case
 * 'failed' in that same transaction. A case (benchmark row) becomes 'complete' when
 * all its measured repetitions are stored.
 *
 * A struct bl_store is used by one thread at a time (the SQLite connection is
 * opened without its own mutex; a PostgreSQL connection is one libpq PGconn).
 */
#ifndef BENCHLINE_STORE_H
#define BENCHLINE_STORE_H

#include "benchline/common.h"
#include "benchline/config.h"
#include "benchline/device.h"
#include "benchline/git.h"
#include "benchline/machine.h"
#include "benchline/protocol.h"

#define BL_SCHEMA_VERSION 3

struct bl_store;
struct bl_detection; /* benchline/change_points.h */

/* Identifies one benchmark case at one commit on one machine. */
struct bl_case_key {
	const char *repository;   /* absolute path or URL of the repository under test */
	const char *branch;
	const char *commit_sha;
	const char *commit_subject;
	int64_t machine_id;
	const char *suite_hash;
	const char *name;
	const char *params_json;  /* canonical JSON object, "{}" without params */
	const char *metadata_json; /* JSON object stored in benchmarks.metadata */
	bool lookup_only;          /* report what is stored, create nothing (a
				      missing case gives benchmark_id 0, status "") */
	int64_t created_unix_ns;   /* benchmarks.created_at of a new case; 0: now
				      (a copy keeps the original's time) */
};

/* Case status values stored in benchmarks.status. */
#define BL_CASE_PENDING "pending"
#define BL_CASE_COMPLETE "complete"
#define BL_CASE_BUILD_FAILED "build-failed"
#define BL_CASE_FAILED "failed" /* a measured run failed; the rest was skipped */

struct bl_case_state {
	int64_t benchmark_id;
	char status[24];
	int *measured_done;   /* indexes of stored measured runs, ascending (owned) */
	size_t n_measured_done;
	int n_warmups;        /* warm-up runs stored so far */
	int *warmups_done;    /* their indexes, ascending, with repeats (owned; n_warmups of them) */
};
void bl_case_state_release(struct bl_case_state *st);

struct bl_run_record {
	int64_t benchmark_id;
	bool warmup;
	int index;               /* repetition index (0-based); warm-ups count separately */
	int64_t start_unix_ns;   /* 0: unknown (stored as NULL) */
	double wall_s, user_s, sys_s;
	int64_t peak_rss_bytes;  /* -1: unknown (stored as NULL) */
	const char *peak_source; /* "cgroup", "rusage" or NULL */
	int exit_code;           /* stored as NULL when term_signal is set */
	int term_signal;         /* 0: none (stored as NULL) */
	const char *status;      /* bl_run_status_name() */
	const char *stdout_log, *stderr_log; /* paths, may be NULL */
	const char *env_hash;
	const char *cpu_list;    /* NULL when not pinned */
	const char *diagnostics; /* protocol problems, one per line, or NULL */
	const struct bl_metric *metrics;
	size_t n_metrics;
	char *const *measurements; /* JSON objects for model_measurements */
	size_t n_measurements;
	/* Device samples for device_measurements (one row per sample and GPU;
	 * time is start_unix_ns + t_ns, or the time of storing when unknown). */
	const struct bl_sample *samples;
	size_t n_samples;
	int64_t stored_unix_ns;  /* model_measurements.time; 0: the time of storing */
};

struct bl_build_record {
	const char *repository;
	const char *commit_sha;
	int64_t machine_id;
	const char *build_key;
	const char *status;      /* "ok", "failed", "timeout", "cached" */
	int64_t start_unix_ns;
	double duration_s;
	const char *log_path;
};

/* One benchmark case at one commit with the values of one metric over its
 * measured runs, as returned by queries. All pointers are borrowed and valid
 * only during the callback. */
struct bl_point {
	int64_t benchmark_id;
	const char *commit_sha;
	const char *subject;
	int64_t commit_time;
	const char *name;
	const char *params_json;
	const char *machine;     /* hostname */
	int64_t machine_id;
	const char *status;      /* case status */
	const char *suite_hash;
	const char *metric;      /* NULL when the case has no measured run with it */
	const char *unit;
	enum bl_better better;
	const double *values;    /* one per measured run with status ok, by index */
	size_t n_values;
	int runs_total;          /* measured runs stored */
	int runs_failed;         /* measured runs whose status is not ok */
};

struct bl_point_query {
	const char *repository;      /* NULL: any */
	const char *const *shas;     /* NULL: all commits */
	size_t n_shas;
	const char *metric;          /* NULL: every metric */
	const char *benchmark;       /* NULL: every benchmark */
	unsigned threads;            /* bl_series_load_bulk: threads reading (0: one per CPU) */
	/* bl_series_load(_bulk): NULL, every metric's series; else only the
	 * series of the metrics it keeps are made, and the set is the one made
	 * without it less the other series: a case with values of other metrics
	 * only is not a failed case (unlike .metric, which the store filters
	 * by). Saves a report the work of series it does not show. */
	bool (*keep_metric)(void *ctx, const char *metric);
	void *keep_ctx;
};
/* Must not call back into the same store. */
typedef int (*bl_point_fn)(void *ctx, const struct bl_point *p);

/* One series of a run's device samples (`benchline show --device`). */
struct bl_device_stat {
	const char *column;      /* device_measurements column, e.g. "cpu_util" */
	int gpu_index;           /* -1 for process and system columns */
	size_t n;                /* samples with a value (NULL ones left out) */
	double min, mean, max;   /* meaningless when n is 0 */
};

/* A run's device samples, summarised; pointers borrowed during the callback. */
struct bl_device_report {
	int64_t run_id;
	const char *benchmark, *params_json, *commit_sha, *kind, *status;
	int index;
	size_t n_samples;        /* samples (not rows: a sample has a row per GPU) */
	double duration_s;       /* first to last sample */
	const struct bl_device_stat *stats;
	size_t n_stats;
};
typedef int (*bl_device_report_fn)(void *ctx, const struct bl_device_report *r);

/* A benchmark case as bl_store_export reads it. */
struct bl_export_case {
	int64_t benchmark_id;     /* in the store being read */
	struct bl_case_key key;   /* key.machine_id is the reading store's; created_unix_ns is set */
	const char *status;
};

/* What bl_store_export calls, in an order a copy can be written in: every
 * machine first, then every commit, every build, then each case followed by
 * its runs (by run_id). Machine and benchmark ids are those of the store
 * being read. Pointers are borrowed during the call; a non-zero return stops
 * the export and is returned. NULL members are skipped. */
struct bl_export_visitor {
	int (*on_machine)(void *ctx, int64_t machine_id, const struct bl_machine *m);
	int (*on_commit)(void *ctx, const char *repository, const struct bl_commit_info *ci);
	int (*on_build)(void *ctx, const struct bl_build_record *b);
	int (*on_case)(void *ctx, const struct bl_export_case *c);
	/* With its metrics (in order), model measurements and device samples. */
	int (*on_run)(void *ctx, const struct bl_run_record *r);
};
/* One stored run of a case, whole: its metrics and its device samples (the
 * report's run pages). Pointers are borrowed during the callback. */
struct bl_run_detail {
	int64_t run_id;
	const char *kind;        /* "measured" or "warmup" */
	int index;
	const char *status;
	int64_t start_unix_ns;   /* 0 when unknown */
	double wall_s;
	const struct bl_metric *metrics; /* in the order the run reported them */
	size_t n_metrics;
	/* In time order; a value stored as NULL is not valid; memory in bytes
	 * (the table's MiB converted back); gpu[k] is the row with gpu_index k. */
	const struct bl_sample *samples;
	size_t n_samples;
};
typedef int (*bl_run_detail_fn)(void *ctx, const struct bl_run_detail *r);

/* What bl_store_foreach_value reports: every measured value of a
 * repository in one pass, for reports over whole histories. Pointers are
 * borrowed during each call. */
struct bl_value_metric {
	int64_t key;             /* referred to by bl_value_row.metric_key */
	const char *name, *unit; /* unit NULL when none */
	enum bl_better better;
};
struct bl_value_case {
	int64_t benchmark_id, machine_id;
	const char *commit_sha;
	const char *subject;     /* the commit's, else the case's commit message; may be NULL */
	int64_t commit_time;     /* 0 when the commit was never stored with put_commit */
	const char *name, *params_json, *machine, *status, *suite_hash;
};
struct bl_value_row {
	int64_t benchmark_id;
	int index;               /* repetition of the measured run */
	int64_t metric_key;
	double value;
};
struct bl_value_visitor {
	int (*on_metric)(void *ctx, const struct bl_value_metric *m); /* every metric name first, by key */
	int (*on_case)(void *ctx, const struct bl_value_case *c);     /* then every case, by benchmark_id */
	/* then, run by run in the order runs were stored (run_id), each value of a
	 * measured run whose status is ok, in the run's metric order, and a call
	 * of on_failed_run for each measured run whose status is not ok */
	int (*on_value)(void *ctx, const struct bl_value_row *v);
	int (*on_failed_run)(void *ctx, int64_t benchmark_id);
};

struct bl_store_ops {
	const char *name; /* "sqlite", "postgresql" */
	void (*close)(struct bl_store *s);
	int (*put_machine)(struct bl_store *s, const struct bl_machine *m, int64_t *machine_id, struct bl_error *err);
	int (*find_machine)(struct bl_store *s, const char *fingerprint, int64_t *machine_id, struct bl_error *err);
	int (*put_commit)(struct bl_store *s, const char *repository, const struct bl_commit_info *ci,
			  struct bl_error *err);
	int (*open_case)(struct bl_store *s, const struct bl_case_key *key, struct bl_case_state *st,
			 struct bl_error *err);
	int (*set_case_status)(struct bl_store *s, int64_t benchmark_id, const char *status, struct bl_error *err);
	int (*add_run)(struct bl_store *s, const struct bl_run_record *r, int64_t *run_id, struct bl_error *err);
	int (*add_build)(struct bl_store *s, const struct bl_build_record *b, struct bl_error *err);
	int (*has_build)(struct bl_store *s, const struct bl_build_record *b, bool *found, struct bl_error *err);
	int (*foreach_point)(struct bl_store *s, const struct bl_point_query *q, bl_point_fn fn, void *ctx,
			     struct bl_error *err);
	int (*typical_seconds)(struct bl_store *s, int64_t machine_id, const char *name, const char *params_json,
			       double *run_s, double *build_s, struct bl_error *err);
	int (*run_device)(struct bl_store *s, int64_t run_id, bl_device_report_fn fn, void *ctx,
			  struct bl_error *err);
	int (*export_all)(struct bl_store *s, const struct bl_export_visitor *v, void *ctx, struct bl_error *err);
	int (*case_runs)(struct bl_store *s, int64_t benchmark_id, bl_run_detail_fn fn, void *ctx,
			 struct bl_error *err);
	/* bl_store_save_detection (benchline/change_points.h). */
	int (*save_detection)(struct bl_store *s, const struct bl_detection *d, struct bl_error *err);
	/* NULL where the backend cannot group operations (SQLite). */
	int (*begin)(struct bl_store *s, struct bl_error *err);
	int (*commit)(struct bl_store *s, struct bl_error *err);
	void (*rollback)(struct bl_store *s);
	int (*foreach_value)(struct bl_store *s, const char *repository, const struct bl_value_visitor *v, void *ctx,
			     struct bl_error *err);
	/* NULL where the backend reads on one connection only (PostgreSQL):
	 * bl_store_foreach_value_parts then hands everything to part 0. */
	int (*foreach_value_parts)(struct bl_store *s, const struct bl_point_query *q, unsigned n_parts,
				   const struct bl_value_visitor *v, void *const *ctx, struct bl_error *err);
};

struct bl_store {
	const struct bl_store_ops *ops;
	char *display_name; /* for messages; credentials redacted */
};

/* Opens (creating and migrating as needed) the store at target: a file path
 * for SQLite (its directory must exist: the caller creates it). A database
 * whose schema is newer than BL_SCHEMA_VERSION, a file that is not a SQLite
 * database and another program's SQLite database are refused without being
 * modified. "postgresql://" and "postgres://" targets name a PostgreSQL
 * database (libpq connection URL, passed to libpq as given: .pgpass and the
 * PG* variables apply); the same checks hold there (a newer schema, another
 * program's tables). Passwords in URLs are never shown in messages.
 * Environment: BENCHLINE_SQLITE_SYNC=normal (default) or full chooses
 * PRAGMA synchronous (docs/SCHEMA.md); BENCHLINE_SQLITE_BUSY_TIMEOUT=SECONDS
 * (default 10) is how long a writer waits for a lock held by another process
 * before failing with a message naming the file. */
int bl_store_open(const char *target, struct bl_store **out, struct bl_error *err);
void bl_store_close(struct bl_store *s);
/* The target as messages may show it (owned): a URL's password, in its user
 * info or as a password= parameter, becomes "***". */
char *bl_store_display_name(const char *target);
/* True when target names a PostgreSQL database (postgresql:// or postgres://). */
bool bl_store_is_postgres(const char *target);

int bl_store_put_machine(struct bl_store *s, const struct bl_machine *m, int64_t *machine_id, struct bl_error *err);
/* machine_id of the machine with this fingerprint, 0 when not stored. */
int bl_store_find_machine(struct bl_store *s, const char *fingerprint, int64_t *machine_id, struct bl_error *err);
int bl_store_put_commit(struct bl_store *s, const char *repository, const struct bl_commit_info *ci,
			struct bl_error *err);
/* Finds or creates the benchmarks row of key and reports what is stored. */
int bl_store_open_case(struct bl_store *s, const struct bl_case_key *key, struct bl_case_state *st,
		       struct bl_error *err);
int bl_store_set_case_status(struct bl_store *s, int64_t benchmark_id, const char *status, struct bl_error *err);
/* Stores a run, its metrics and measurements in one transaction. A second
 * measured run with the same index for the same case is an error that
 * returns BL_STORE_ALREADY_STORED (another sweep of the same case stored it
 * meanwhile) instead of -1; warm-ups are never checked for duplicates. */
#define BL_STORE_ALREADY_STORED (-3)
int bl_store_add_run(struct bl_store *s, const struct bl_run_record *r, int64_t *run_id, struct bl_error *err);
int bl_store_add_build(struct bl_store *s, const struct bl_build_record *b, struct bl_error *err);
/* Whether a build with b's repository, commit, machine, key, status and
 * start time is stored (how a copy avoids storing one twice). */
int bl_store_has_build(struct bl_store *s, const struct bl_build_record *b, bool *found, struct bl_error *err);
/* Calls fn for every (case, metric) matching q (NULL: everything), ordered by
 * commit time (cases whose commit was never stored with put_commit first,
 * with commit_time 0), commit SHA, name, params, machine, suite hash, then
 * metric. A case with no value to show under q (no measured run, all runs
 * failed, or none with q->metric) yields one point with metric NULL and
 * n_values 0, so build failures stay visible. q->shas non-NULL with n_shas 0
 * matches nothing. A non-zero return from fn stops and is returned. */
int bl_store_foreach_point(struct bl_store *s, const struct bl_point_query *q, bl_point_fn fn, void *ctx,
			   struct bl_error *err);
/* Median wall time of a measured run (status "ok") of this case on this
 * machine at any commit, and the median duration of a build ("ok") on this
 * machine; -1 when there is no history. name NULL: only build_s. Either output
 * pointer may be NULL. */
int bl_store_typical_seconds(struct bl_store *s, int64_t machine_id, const char *name, const char *params_json,
			     double *run_s, double *build_s, struct bl_error *err);

/* Summarises the device samples of run run_id and calls fn once with the
 * result (n_samples 0 when the run has none). A run that is not stored is an
 * error ("no run N in 'FILE'"). A non-zero return from fn is returned. */
int bl_store_run_device(struct bl_store *s, int64_t run_id, bl_device_report_fn fn, void *ctx,
			struct bl_error *err);

/* Reads everything the store holds, in one snapshot, calling v's members
 * (see struct bl_export_visitor). Device samples come back as they were
 * given, except that a sample's time is recomputed from the run's start
 * (milliseconds) and t_ns. Both backends; the visitor must not use this
 * store meanwhile (another one it may). */
int bl_store_export(struct bl_store *s, const struct bl_export_visitor *v, void *ctx, struct bl_error *err);
/* Calls fn for every run (warm-ups and measured) of the case benchmark_id,
 * in the order they were stored, with the run's metrics and device samples.
 * A case without runs calls nothing. A non-zero return from fn stops and is
 * returned. */
int bl_store_case_runs(struct bl_store *s, int64_t benchmark_id, bl_run_detail_fn fn, void *ctx,
		       struct bl_error *err);

/* What bl_store_copy did. */
struct bl_copy_totals {
	size_t cases, runs_added, runs_present, builds_added, builds_present, commits, machines_added;
};
/* Copies everything from holds into to without duplicates: machines by
 * fingerprint, commits upserted, cases by their natural key, a run unless
 * the target case has one of the same kind and index. Each run is stored
 * whole; after an error, what was copied stays and a second copy adds the
 * rest. A copy inside bl_store_begin on to is one transaction. */
int bl_store_copy(struct bl_store *from, struct bl_store *to, struct bl_copy_totals *t, struct bl_error *err);

/* Makes every write until bl_store_commit one transaction: all of it is
 * stored or none (a worker's job). Each operation inside keeps its own
 * all-or-nothing step; one that fails can be retried or skipped, and the
 * rest still commits. Both backends (SQLite: one BEGIN IMMEDIATE, each
 * operation a savepoint in it; readers elsewhere see none of it until the
 * commit). */
int bl_store_begin(struct bl_store *s, struct bl_error *err);
int bl_store_commit(struct bl_store *s, struct bl_error *err);
/* Discards every write since bl_store_begin (nothing when none is open). */
void bl_store_rollback(struct bl_store *s);
/* Every case of repository (NULL: any) and every value of their measured
 * runs, in one read transaction and a fixed number of sequential queries
 * (not one per case as foreach_point): the metric names, then the cases
 * (failed and pending ones included), then the values run by run (see
 * struct bl_value_visitor). NULL members of v are skipped. A non-zero return
 * from a member stops and is returned. */
int bl_store_foreach_value(struct bl_store *s, const char *repository, const struct bl_value_visitor *v, void *ctx,
			   struct bl_error *err);
/* The same read split over n_parts threads, for whole-history reports on
 * machines with several CPUs, of the cases of q->repository (NULL: any) at
 * q->shas (NULL: any commit; the other members of q are the visitor's
 * business): the runs read are then only those from the oldest run of those
 * cases on, so a window of a long history costs its share. v[0] with ctx[0] gets every metric name
 * first, then every case, on the calling thread. Meanwhile the measured
 * runs, cut into ranges of the order they were stored in, are read by
 * n_parts parts, each taking the next range left until none is: part k's
 * values and failed runs go to v[k] with ctx[k], on a thread of its own
 * (part 0's on the calling thread, after the cases), each range in the
 * order of bl_store_foreach_value. So on_value may run before, or while,
 * on_case reports the case it names, and parts must not share unguarded
 * state; the values of one case may reach several parts. Every part reads
 * the same snapshot of the store. A backend or a database that cannot be
 * read that way (PostgreSQL, a database in memory, one that is read-only
 * but may change, the writer lock not won in time) gives everything to
 * part 0, after the cases, and nothing to the others. The first non-zero
 * return of a member stops the read and is returned (the lowest part's when
 * several stop); a member says why through its own ctx, err says why the
 * store failed. */
int bl_store_foreach_value_parts(struct bl_store *s, const struct bl_point_query *q, unsigned n_parts,
				 const struct bl_value_visitor *v, void *const *ctx, struct bl_error *err);
/* Whether bl_store_foreach_value_parts reads in parts and honours q->shas
 * here (SQLite); elsewhere q->shas must be NULL. */
bool bl_store_has_value_parts(const struct bl_store *s);

/* Backends (internal): */
int bl_store_sqlite_open(const char *path, struct bl_store **out, struct bl_error *err);
int bl_store_pg_open(const char *url, struct bl_store **out, struct bl_error *err);

#endif
