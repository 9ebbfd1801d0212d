/* sweep_adaptive.c - `run --until-ci`: repetitions until the median is known
 * well enough.
 *
 * After a case's planned repetitions, another one is measured while the 95%
 * confidence interval of the median wall time (distribution-free, from order
 * statistics, so it needs at least 6 runs) is wider than the target fraction
 * of the median, until max_runs measured runs are stored or max_time_s
 * seconds went into the case in this sweep. Runs stored by earlier sweeps
 * count, so a rerun only tops up the cases that still need it. The interval
 * is the one `benchline compare` and the reports show, not a separate rule.
 */
#include "sweep_internal.h"

#include "benchline/stats.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_RUNS 100

void bl_sweep_note_wall(struct case_work *w, double wall_s)
{
	if (!w->measure_t0)
		w->measure_t0 = bl_now_mono_ns() - (int64_t)(wall_s * 1e9);
	BL_GROW(w->walls, w->cap_walls, w->n_walls + 1);
	w->walls[w->n_walls++] = wall_s;
}

struct stored_walls {
	int64_t benchmark_id;
	struct case_work *w;
};

static int on_point(void *ctx, const struct bl_point *p)
{
	struct stored_walls *sw = ctx;
	if (p->benchmark_id != sw->benchmark_id || !p->metric)
		return 0;
	for (size_t i = 0; i < p->n_values; i++) {
		BL_GROW(sw->w->walls, sw->w->cap_walls, sw->w->n_walls + 1);
		sw->w->walls[sw->w->n_walls++] = p->values[i];
	}
	return 0;
}

static bool target_met(const struct sweep *s, const struct case_work *w)
{
	if (w->n_walls < 6)
		return false;
	struct bl_summary sum;
	bl_summarize(w->walls, w->n_walls, &sum);
	if (!sum.ci_valid || sum.median <= 0)
		return false;
	return (sum.median_hi - sum.median_lo) / sum.median <= s->o->until_ci;
}

static size_t stored_runs(const struct case_work *w)
{
	return w->st.n_measured_done + w->stored;
}

static void push_next_index(struct case_work *w)
{
	int next = 0;
	for (size_t i = 0; i < w->st.n_measured_done; i++)
		if (w->st.measured_done[i] >= next)
			next = w->st.measured_done[i] + 1;
	for (size_t i = 0; i < w->n_todo; i++)
		if (w->todo[i] >= next)
			next = w->todo[i] + 1;
	BL_GROW(w->todo, w->cap_todo, w->n_todo + 1);
	w->todo[w->n_todo++] = next;
}

int bl_sweep_adaptive_plan(struct sweep *s, struct commit_work *cw, size_t c, struct bl_error *err)
{
	struct case_work *w = &cw->cases[c];
	if (!w->st.benchmark_id)
		return 0; /* dry run of a case never stored */
	const char *shas[] = {cw->ci.sha};
	struct bl_point_query q = {.shas = shas, .n_shas = 1, .metric = "wall_time",
				   .benchmark = s->cases[c].bench->name};
	struct stored_walls sw = {.benchmark_id = w->st.benchmark_id, .w = w};
	if (bl_store_foreach_point(s->o->store, &q, on_point, &sw, err))
		return -1;
	int max_runs = s->o->max_runs > 0 ? s->o->max_runs : DEFAULT_MAX_RUNS;
	if (w->n_todo == 0 && !target_met(s, w) && stored_runs(w) < (size_t)max_runs)
		push_next_index(w);
	return 0;
}

bool bl_sweep_adaptive_more(struct sweep *s, struct case_work *w)
{
	const struct bl_sweep_opts *o = s->o;
	if (o->until_ci <= 0 || w->failed || w->build_failed || w->ci_state || bl_sweep_interrupted(s))
		return false;
	/* Planned repetitions first. */
	if (w->stored < w->n_todo)
		return false;
	if (target_met(s, w)) {
		w->ci_state = 1;
		s->t->cases_ci_met++;
		return false;
	}
	int max_runs = o->max_runs > 0 ? o->max_runs : DEFAULT_MAX_RUNS;
	bool out_of_time = o->max_time_s > 0 && w->measure_t0 &&
			   (double)(bl_now_mono_ns() - w->measure_t0) / 1e9 >= o->max_time_s;
	if (stored_runs(w) >= (size_t)max_runs || out_of_time) {
		w->ci_state = 2;
		s->t->cases_ci_unmet++;
		return false;
	}
	push_next_index(w);
	s->t->runs_planned++;
	return true;
}
