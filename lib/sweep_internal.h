/*
 * sweep_internal.h - what the orchestrator's files share: the state of one
 * sweep and the steps that sweep.c (planning, scheduling), sweep_build.c
 * (checkout and build of a commit) and sweep_run.c (one benchmark run) call
 * in each other. Not public.
 */
#ifndef BENCHLINE_SWEEP_INTERNAL_H
#define BENCHLINE_SWEEP_INTERNAL_H

#include "benchline/machine.h"
#include "benchline/sampler.h"
#include "benchline/sweep.h"

struct case_work {
	struct bl_case_state st;
	char suite_hash[65];
	int *todo;         /* measured indexes still to run */
	size_t n_todo;
	int warmups;       /* warm-ups to run before them */
	size_t stored;     /* measured runs stored by this sweep */
	int warmups_done;  /* warm-ups run by this sweep */
	bool failed;       /* a run failed: the rest of the case is skipped */
	bool build_failed;
	bool adapter_warned; /* its harness output could not be read: said once */
	char log_name[96]; /* directory of its logs under the commit's */
	/* --until-ci: wall times of the case's ok measured runs (stored before
	 * and during this sweep), and when this sweep started measuring it. */
	double *walls;
	size_t n_walls, cap_walls;
	size_t cap_todo;
	int64_t measure_t0;
	int ci_state;      /* 0 open, 1 target met, 2 stopped short of it */
};

struct commit_work {
	struct bl_commit_info ci;
	char commit_digest[65]; /* suite files at this commit, when a case needs it */
	struct case_work *cases;
	size_t runs;            /* runs planned at this commit */
	int slot;
	struct bl_worktree wt;
	bool ready;             /* checked out and built */
	bool overlaid;          /* the suite overlay is in place */
};

struct sweep {
	const struct bl_sweep_opts *o;
	struct bl_sweep_totals *t;
	struct bl_case *cases;
	size_t n_cases;
	struct bl_machine machine;
	int64_t machine_id;
	char current_digest[65];
	char build_key[65];
	char *repository;
	char *metrics_path;
	char *results_path; /* $BENCHLINE_RESULTS_FILE: where a harness may write its output */
	char *logs_dir;
	struct commit_work *commits;
	size_t n_commits;
	int64_t t0;
	size_t runs_done;
	bool any_overlay;       /* some case takes its suite from the current tree */
	struct bl_strvec suite_files; /* today's suite files, what the overlay copies */
	struct bl_sampler *sampler;   /* NULL: sampling off (interval 0, dry run) */
};

void bl_sweep_notice(struct sweep *s, const char *fmt, ...) BL_PRINTF(2, 3);
bool bl_sweep_interrupted(const struct sweep *s);
void bl_sweep_progress_at(const struct sweep *s, size_t k, struct bl_sweep_progress *p);
/* Environment of a child: ours, minus BENCHLINE_* of an outer run, plus extra. */
void bl_sweep_child_env(struct bl_strvec *env, const struct bl_kv *extra, size_t n_extra);
/* argv of a configured command: its words, or /bin/sh -c STRING. */
void bl_sweep_command_argv(const struct bl_command *cmd, struct bl_strvec *argv);
/* Copies today's suite into commit cw's checkout, removing its suite files
 * that today's suite no longer has (sweep_build.c). */
int bl_sweep_apply_overlay(struct sweep *s, struct commit_work *cw, struct bl_error *err);
/* Checks out and builds commit k in its slot (sweep_build.c). */
int bl_sweep_prepare_commit(struct sweep *s, size_t k, struct bl_error *err);
/* One run of case c at commit k (sweep_run.c). */
int bl_sweep_do_run(struct sweep *s, size_t k, size_t c, bool warmup, int ordinal, struct bl_error *err);

/* sweep_adaptive.c: --until-ci */
void bl_sweep_note_wall(struct case_work *w, double wall_s);
/* Loads the stored wall times of a planned case; when the stored runs already
 * meet the target nothing changes, otherwise one more index is planned. */
int bl_sweep_adaptive_plan(struct sweep *s, struct commit_work *cw, size_t c, struct bl_error *err);
/* True when the case should get another repetition; appends its index. */
bool bl_sweep_adaptive_more(struct sweep *s, struct case_work *w);

#endif
