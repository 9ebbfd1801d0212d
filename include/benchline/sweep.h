/*
 * sweep.h - the orchestrator behind `benchline run`: for every selected
 * commit, check it out in a benchline-managed worktree, build it (unless that
 * worktree still holds the build), run every benchmark case with warm-ups and
 * repetitions, and store each run whole in one transaction.
 *
 * Resuming is the default: a (commit, case, machine, suite) whose measured
 * repetitions are all stored is skipped, and a partly measured case only runs
 * the missing repetition indexes. Build failures mark the commit's cases
 * 'build-failed' and the sweep goes on. Interrupting (the interrupt flag)
 * kills the running child, drops the unfinished run and returns.
 */
#ifndef BENCHLINE_SWEEP_H
#define BENCHLINE_SWEEP_H

#include "benchline/common.h"
#include "benchline/config.h"
#include "benchline/git.h"
#include "benchline/protocol.h"
#include "benchline/runner.h"
#include "benchline/store.h"

/* Where the sweep stands, passed to the progress callbacks. */
struct bl_sweep_progress {
	size_t commit_k;        /* 1-based position of the commit in the selection */
	size_t n_commits;
	const char *sha;
	const char *subject;
	const char *case_label; /* NULL outside a run */
	bool warmup;
	int index;              /* stored repetition (or warm-up) index, 0-based */
	int ordinal;            /* 1-based position among this sweep's warm-ups
				   (or repetitions) of the case */
	int count;              /* warm-ups (or repetitions) of the case in this sweep */
	size_t runs_done;       /* runs finished in this sweep */
	size_t runs_total;      /* runs planned in this sweep */
	double elapsed_s;
	double eta_s;           /* -1 when unknown */
};

struct bl_sweep_events {
	void *ctx;
	void (*notice)(void *ctx, const char *msg);
	void (*commit_begin)(void *ctx, const struct bl_sweep_progress *p);
	/* status: "ok", "cached", "failed", "timeout", "none" (nothing to build) */
	void (*build_end)(void *ctx, const struct bl_sweep_progress *p, const char *status, double seconds,
			  const char *log_path);
	void (*run_begin)(void *ctx, const struct bl_sweep_progress *p);
	void (*run_end)(void *ctx, const struct bl_sweep_progress *p, const struct bl_run_result *res,
			const struct bl_protocol_result *proto, const char *stdout_log, const char *stderr_log);
};

struct bl_sweep_opts {
	const char *repo;              /* top level of the repository under test */
	const char *repository_name;   /* recorded as benchmarks.repository; NULL: repo */
	const char *cache_dir;         /* worktrees, logs, metric files */
	const struct bl_config *cfg;
	const struct bl_sha_list *commits;
	struct bl_store *store;
	const char *branch;            /* recorded with the results */
	const char *const *only;       /* benchmark names to run, NULL: all */
	size_t n_only;
	bool force;                    /* run complete cases again (adds repetitions) */
	bool interleave;               /* rounds across commits instead of back to back */
	int worktrees;                 /* commits prepared at once when interleaving (>= 1) */
	const int *cpus;               /* pin benchmark processes, NULL: no pinning */
	size_t n_cpus;
	const char *cpu_list;          /* the --cpu-list text, recorded with runs */
	bool dry_run;                  /* only plan: nothing is built, run or stored */
	/* Adaptive repetitions (--until-ci): > 0 keeps measuring each case past
	 * its repetitions until the 95% confidence interval of its median wall
	 * time is narrower than this fraction of the median (at least 6 runs, the
	 * fewest for which that interval exists), or max_runs measured runs are
	 * stored (default 100 when 0), or max_time_s seconds went into the case
	 * in this sweep (0: no limit). */
	double until_ci;
	int max_runs;
	double max_time_s;
	const volatile int *interrupt; /* set asynchronously (SIGINT) to stop */
	const struct bl_sweep_events *events;
};

struct bl_sweep_totals {
	size_t commits;
	size_t cases;            /* benchmark cases per commit */
	size_t cases_skipped;    /* (commit, case) already complete */
	size_t cases_failed_before; /* (commit, case) that failed in an earlier sweep (not retried) */
	size_t runs_planned;     /* warm-ups + repetitions still to run */
	size_t runs_ok;
	size_t runs_failed;      /* stored with a status other than ok */
	size_t builds_ok, builds_cached, builds_failed;
	double estimate_s;       /* dry run: estimated seconds, -1 without history */
	size_t cases_ci_met;     /* --until-ci: cases whose interval reached the target */
	size_t cases_ci_unmet;   /* --until-ci: cases stopped by max_runs / max_time */
	bool interrupted;
};

/* Runs (or with dry_run, plans) the sweep. Returns -1 on errors that stop
 * the sweep (store failures, git failures); benchmark and build failures are
 * recorded and counted, not errors. */
int bl_sweep(const struct bl_sweep_opts *opts, struct bl_sweep_totals *totals, struct bl_error *err);

#endif
