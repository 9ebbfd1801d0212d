/* report_data.c - the report's data model (report.h): series placed on the
 * first-parent history, their change points, and the compare view. */
#include "benchline/report.h"
#include "report_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void bl_report_opts_default(struct bl_report_opts *o)
{
	memset(o, 0, sizeof(*o));
	bl_detect_opts_default(&o->detect);
	o->base_pos = o->head_pos = BL_REPORT_NONE;
}

/* ---- positions --------------------------------------------------------------------------------------------- */

struct pos_entry {
	const char *sha;
	size_t pos;
};

static int cmp_pos_entry(const void *a, const void *b)
{
	return strcmp(((const struct pos_entry *)a)->sha, ((const struct pos_entry *)b)->sha);
}

static size_t find_pos(const struct pos_entry *index, size_t n, const char *sha)
{
	struct pos_entry key = {.sha = sha};
	const struct pos_entry *e = bsearch(&key, index, n, sizeof(*index), cmp_pos_entry);
	return e ? e->pos : BL_REPORT_NONE;
}

size_t bl_report_find(const struct bl_report *r, const char *sha)
{
	size_t len = strlen(sha), found = BL_REPORT_NONE;
	if (len < 7 || len > BL_SHA_HEX)
		return BL_REPORT_NONE;
	for (size_t i = 0; i < r->n_commits; i++)
		if (!strncmp(r->commits[i].sha, sha, len)) {
			if (found != BL_REPORT_NONE)
				return BL_REPORT_NONE; /* ambiguous */
			found = i;
		}
	return found;
}

/* ---- series selection ---------------------------------------------------------------------------------------- */

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

static bool series_wanted(const struct bl_report_opts *o, const struct bl_series *s)
{
	if (o->n_benchmarks && !in_list(s->name, o->benchmarks, o->n_benchmarks))
		return false;
	if (o->n_metrics == 1 && !strcmp(o->metrics[0], "all"))
		return true;
	if (o->n_metrics)
		return in_list(s->metric, o->metrics, o->n_metrics);
	return !bl_metric_is_auxiliary(s->metric);
}

static bool is_failure(const char *status)
{
	return status && (!strcmp(status, BL_CASE_FAILED) || !strcmp(status, BL_CASE_BUILD_FAILED));
}

/* The failure entry (a case with no value of any metric) of this series' case, or NULL. */
static const struct bl_series *failed_case_of(const struct bl_series_set *set, const struct bl_series *s)
{
	for (size_t i = 0; i < set->n_failed_cases; i++) {
		const struct bl_series *f = &set->failed_cases[i];
		if (f->machine_id == s->machine_id && !strcmp(f->name, s->name) &&
		    !strcmp(f->params_json ? f->params_json : "{}", s->params_json ? s->params_json : "{}"))
			return f;
	}
	return NULL;
}

static int cmp_point_pos(const void *a, const void *b)
{
	const struct bl_report_point *x = a, *y = b;
	if (x->pos != y->pos)
		return (x->pos > y->pos) - (x->pos < y->pos);
	return (x->sum.n > y->sum.n) - (x->sum.n < y->sum.n);
}

static void sort_small(double *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		double x = v[i];
		size_t j = i;
		while (j > 0 && v[j - 1] > x) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median_sorted(const double *s, size_t n)
{
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* The fields of bl_summarize that the report shows (n, median, min, max, MAD
 * and the median's 95% interval, computed the same way), without the rest:
 * a long history has millions of points. */
struct ci_cache {
	int8_t known[65];   /* 0 unknown, 1 valid, -1 no interval at this n */
	uint16_t lo[65], hi[65]; /* which order statistics bound it */
};

/* The order statistics of the median's interval depend on n alone: computed
 * once per n with bl_median_ci_sorted on the ranks themselves. */
static bool ci_bounds(struct ci_cache *c, size_t n, size_t *lo, size_t *hi)
{
	if (n > 64)
		return false;
	if (!c->known[n]) {
		double ranks[64], l, h;
		for (size_t i = 0; i < n; i++)
			ranks[i] = (double)i;
		c->known[n] = bl_median_ci_sorted(ranks, n, 0.95, &l, &h) == 0 ? 1 : -1;
		c->lo[n] = (uint16_t)l;
		c->hi[n] = (uint16_t)h;
	}
	*lo = c->lo[n];
	*hi = c->hi[n];
	return true;
}

static void point_summary(const double *v, size_t n, struct ci_cache *cache, struct bl_report_summary *out)
{
	memset(out, 0, sizeof(*out));
	if (!n)
		return;
	double small[32], *s = n <= 16 ? small : bl_xmalloc(2 * n * sizeof(double)), *d = s + n;
	memcpy(s, v, n * sizeof(double));
	if (n <= 16)
		sort_small(s, n);
	else
		qsort(s, n, sizeof(double), cmp_double);
	out->n = n;
	out->min = s[0];
	out->max = s[n - 1];
	out->median = median_sorted(s, n);
	size_t lo, hi;
	if (ci_bounds(cache, n, &lo, &hi)) {
		out->ci_valid = cache->known[n] == 1;
		out->median_lo = out->ci_valid ? s[lo] : s[0];
		out->median_hi = out->ci_valid ? s[hi] : s[n - 1];
	} else {
		out->ci_valid = bl_median_ci_sorted(s, n, 0.95, &out->median_lo, &out->median_hi) == 0;
	}
	for (size_t i = 0; i < n; i++)
		d[i] = fabs(s[i] - out->median);
	if (n <= 16)
		sort_small(d, n);
	else
		qsort(d, n, sizeof(double), cmp_double);
	out->mad = median_sorted(d, n);
	if (s != small)
		free(s);
}

/* Position of sha in the history: the hint (the position after the previous
 * point's: points come in commit order, which is history order as a rule)
 * before a binary search. */
static size_t pos_of(const struct bl_report_commit *commits, const struct pos_entry *index, size_t n_commits,
		     const char *sha, size_t hint)
{
	if (hint < n_commits && !strcmp(commits[hint].sha, sha))
		return hint;
	return find_pos(index, n_commits, sha);
}

/* Places the series' points (and its case's failures without values) on the
 * history: one point per position, the newest suite measured there winning,
 * as bl_series_point_at chooses. */
static void place_points(struct bl_report_series *rs, const struct bl_series *failed,
			 const struct bl_report_commit *commits, const struct pos_entry *index, size_t n_commits,
			 struct ci_cache *cache)
{
	const struct bl_series *s = rs->s;
	size_t cap = s->n_points + (failed ? failed->n_points : 0), hint = 0;
	rs->pts = bl_xmalloc((cap ? cap : 1) * sizeof(*rs->pts));
	bool sorted = true; /* strictly increasing positions: nothing to sort or merge */
	for (size_t j = 0; j < s->n_points; j++) {
		const struct bl_series_point *pt = &s->points[j];
		size_t pos = pos_of(commits, index, n_commits, pt->sha, hint);
		if (pos == BL_REPORT_NONE)
			continue;
		if (rs->n_pts && rs->pts[rs->n_pts - 1].pos >= pos)
			sorted = false;
		hint = pos + 1;
		rs->pts[rs->n_pts++] = (struct bl_report_point){.pos = pos, .pt = pt, .status = pt->status};
	}
	for (size_t j = 0; failed && j < failed->n_points; j++) {
		const struct bl_series_point *pt = &failed->points[j];
		size_t pos = find_pos(index, n_commits, pt->sha);
		if (pos == BL_REPORT_NONE || !is_failure(pt->status))
			continue; /* pending without runs: nothing to show */
		rs->pts[rs->n_pts++] = (struct bl_report_point){.pos = pos, .pt = NULL, .status = pt->status};
		sorted = false;
	}
	if (!sorted) {
		/* Of several entries at one commit, the last one (newest suite, store
		 * order) is kept, but a value beats a bare failure. qsort is not
		 * stable: sum.n holds the original order as the tie-break until the
		 * summaries. */
		for (size_t i = 0; i < rs->n_pts; i++)
			rs->pts[i].sum.n = i;
		qsort(rs->pts, rs->n_pts, sizeof(*rs->pts), cmp_point_pos);
		size_t out = 0;
		for (size_t i = 0; i < rs->n_pts; i++) {
			if (out && rs->pts[out - 1].pos == rs->pts[i].pos) {
				struct bl_report_point *prev = &rs->pts[out - 1];
				if (!(prev->pt && !rs->pts[i].pt))
					*prev = rs->pts[i]; /* later in store order */
				continue;
			}
			rs->pts[out++] = rs->pts[i];
		}
		rs->n_pts = out;
	}
	for (size_t i = 0; i < rs->n_pts; i++) {
		struct bl_report_point *p = &rs->pts[i];
		p->failed = is_failure(p->status);
		if (p->pt && !p->failed)
			point_summary(p->pt->values, p->pt->n_values, cache, &p->sum);
		else
			memset(&p->sum, 0, sizeof(p->sum));
	}
}

static int detect_series(struct bl_report_series *rs, const struct bl_report_opts *o, struct bl_obs **obs,
			 size_t *cap, struct bl_error *err)
{
	size_t n_obs = 0;
	for (size_t i = 0; i < rs->n_pts; i++) {
		const struct bl_report_point *p = &rs->pts[i];
		if (p->failed || !p->pt)
			continue;
		for (size_t k = 0; k < p->pt->n_values; k++) {
			BL_GROW(*obs, *cap, n_obs + 1);
			(*obs)[n_obs++] = (struct bl_obs){.pos = p->pos, .value = p->pt->values[k]};
		}
	}
	if (n_obs == 0)
		return 0;
	struct bl_detect_opts d = o->detect;
	d.noise_floor = rs->floor;
	bl_detect_fn fn = o->detect_fn ? o->detect_fn : bl_detect;
	if (fn(*obs, n_obs, &d, &rs->changes, &rs->n_changes, err))
		return bl_error_prefix(err, "%s %s", rs->s->label, rs->s->metric);
	return 0;
}

static enum bl_report_verdict compare_points(const struct bl_report_series *rs, double alpha,
					     const struct bl_report_point *o, const struct bl_report_point *n,
					     struct bl_comparison *out)
{
	return bl_judge_samples(o->pt->values, o->pt->n_values, n->pt->values, n->pt->n_values, alpha, rs->floor,
				rs->better, out);
}

static void find_latest(struct bl_report_series *rs, double alpha)
{
	rs->latest_verdict = BL_RV_MISSING;
	rs->latest = rs->previous = BL_REPORT_NONE;
	rs->latest_change = NAN;
	for (size_t i = rs->n_pts; i-- > 0;) {
		if (rs->pts[i].sum.n == 0)
			continue;
		if (rs->latest == BL_REPORT_NONE) {
			rs->latest = i;
			continue;
		}
		rs->previous = i;
		break;
	}
	if (rs->previous == BL_REPORT_NONE)
		return;
	rs->latest_verdict = compare_points(rs, alpha, &rs->pts[rs->previous], &rs->pts[rs->latest], &rs->latest_cmp);
	rs->latest_cmp_done = true;
	rs->latest_change = rs->latest_cmp.change;
}

/* ---- events -------------------------------------------------------------------------------------------------- */

static enum bl_report_verdict change_verdict(const struct bl_report_series *rs, const struct bl_change *c)
{
	if (rs->better == BL_BETTER_UNKNOWN)
		return BL_RV_CHANGED;
	bool worse = rs->better == BL_BETTER_LOWER ? c->change > 0 : c->change < 0;
	return worse ? BL_RV_REGRESSED : BL_RV_IMPROVED;
}

static const struct bl_report *sort_report; /* qsort has no context argument */

static int cmp_events(const void *a, const void *b)
{
	const struct bl_report_event *x = a, *y = b;
	const struct bl_change *cx = &sort_report->series[x->series].changes[x->change];
	const struct bl_change *cy = &sort_report->series[y->series].changes[y->change];
	if (cx->pos != cy->pos)
		return cx->pos < cy->pos ? 1 : -1; /* newest first */
	if (x->verdict != y->verdict)
		return (int)x->verdict - (int)y->verdict;
	double ex = fabs(cx->change), ey = fabs(cy->change);
	if (ex != ey)
		return ex < ey ? 1 : -1;
	if (x->series != y->series)
		return x->series < y->series ? -1 : 1;
	return (x->change > y->change) - (x->change < y->change);
}

/* ---- compare view -------------------------------------------------------------------------------------------- */

static const struct bl_report_point *point_at(const struct bl_report_series *rs, size_t pos)
{
	size_t lo = 0, hi = rs->n_pts;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rs->pts[mid].pos < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < rs->n_pts && rs->pts[lo].pos == pos ? &rs->pts[lo] : NULL;
}

/* The same judgement as `benchline compare` (benchline/verdict.h). */
static void judge(struct bl_report *r, struct bl_report_row *row)
{
	const struct bl_report_series *rs = &r->series[row->series];
	const struct bl_report_point *o = row->old_pt, *n = row->new_pt;
	row->verdict = bl_judge_sides(o ? o->status : NULL, o ? o->sum.n : 0, n ? n->status : NULL, n ? n->sum.n : 0,
				      &row->problem);
	if (row->verdict == BL_RV_COUNT)
		row->verdict = compare_points(rs, r->alpha, o, n, &row->cmp);
}

static int cmp_rows(const void *a, const void *b)
{
	const struct bl_report_row *x = a, *y = b;
	if (x->verdict != y->verdict)
		return (int)x->verdict - (int)y->verdict;
	double ex = x->problem ? 0 : fabs(x->cmp.change), ey = y->problem ? 0 : fabs(y->cmp.change);
	if (ex != ey)
		return ex < ey ? 1 : -1;
	return (x->series > y->series) - (x->series < y->series);
}

/* The newest position before limit where any series was measured or failed. */
static size_t newest_before(const struct bl_report *r, size_t limit)
{
	size_t best = BL_REPORT_NONE;
	for (size_t i = 0; i < r->n_series; i++) {
		const struct bl_report_series *rs = &r->series[i];
		for (size_t k = rs->n_pts; k-- > 0;) {
			size_t p = rs->pts[k].pos;
			if (p >= limit)
				continue;
			if (best == BL_REPORT_NONE || p > best)
				best = p;
			break;
		}
	}
	return best;
}

static void build_compare(struct bl_report *r, const struct bl_report_opts *o)
{
	r->head_pos = o->head_pos != BL_REPORT_NONE ? o->head_pos : newest_before(r, r->n_commits);
	r->base_pos = o->base_pos;
	if (r->base_pos == BL_REPORT_NONE && r->head_pos != BL_REPORT_NONE)
		r->base_pos = newest_before(r, r->head_pos);
	if (r->head_pos == BL_REPORT_NONE || r->base_pos == BL_REPORT_NONE || r->base_pos == r->head_pos) {
		r->head_pos = r->base_pos = BL_REPORT_NONE;
		return;
	}
	r->rows = bl_xcalloc(r->n_series ? r->n_series : 1, sizeof(*r->rows));
	for (size_t i = 0; i < r->n_series; i++) {
		const struct bl_report_point *op = point_at(&r->series[i], r->base_pos);
		const struct bl_report_point *np = point_at(&r->series[i], r->head_pos);
		if (!op && !np)
			continue;
		struct bl_report_row *row = &r->rows[r->n_rows++];
		row->series = i;
		row->old_pt = op;
		row->new_pt = np;
		judge(r, row);
		r->counts[row->verdict]++;
	}
	qsort(r->rows, r->n_rows, sizeof(*r->rows), cmp_rows);
}

/* ---- the model ----------------------------------------------------------------------------------------------- */

char *bl_report_series_title(const struct bl_report *r, const struct bl_report_series *s)
{
	if (r->multi_machine)
		return bl_xasprintf("%s %s @%s", s->s->label, s->s->metric, s->s->machine);
	return bl_xasprintf("%s %s", s->s->label, s->s->metric);
}

static char *default_title(const char *repository)
{
	if (!repository || !*repository)
		return bl_xstrdup("benchline report");
	const char *slash = strrchr(repository, '/');
	const char *base = slash && slash[1] ? slash + 1 : repository;
	return bl_xasprintf("%s performance", base);
}

/* ---- the series, on every CPU ------------------------------------------------------------------------------- */

unsigned bl_report_threads(unsigned asked, size_t n_items)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned n = asked ? asked : cpus > 0 ? (unsigned)cpus : 1;
	if (n > 64)
		n = 64;
	if (n > n_items)
		n = n_items ? (unsigned)n_items : 1;
	return n;
}

struct model_job {
	const struct bl_series_set *set;
	const struct bl_report_commit *commits;
	const struct pos_entry *index;
	size_t n_commits;
	const struct bl_report_opts *o;
	const struct bl_analysis_cfg *an;
	double alpha;
	struct bl_report_series *series; /* the wanted ones, in the set's order */
	size_t n_series;
	atomic_size_t next;
	pthread_mutex_t lock; /* guards failed_at and err */
	size_t failed_at;     /* the first series whose detection failed, BL_REPORT_NONE */
	struct bl_error err;
};

/* Takes series until none is left; every worker has its own scratch. */
static void *model_worker(void *arg)
{
	struct model_job *job = arg;
	struct ci_cache cache;
	memset(&cache, 0, sizeof(cache));
	struct bl_obs *obs = NULL;
	size_t cap_obs = 0;
	for (;;) {
		size_t i = atomic_fetch_add(&job->next, 1);
		if (i >= job->n_series)
			break;
		struct bl_report_series *rs = &job->series[i];
		const struct bl_series *s = rs->s;
		rs->better = bl_metric_direction(s->better, s->unit);
		rs->floor = job->o->noise_floor > 0 ? job->o->noise_floor : bl_analysis_floor(job->an, s->metric);
		place_points(rs, failed_case_of(job->set, s), job->commits, job->index, job->n_commits, &cache);
		find_latest(rs, job->alpha);
		if (rs->latest == BL_REPORT_NONE)
			continue; /* nothing measured: left out */
		struct bl_error err = {{0}};
		if (detect_series(rs, job->o, &obs, &cap_obs, &err)) {
			pthread_mutex_lock(&job->lock);
			if (job->failed_at == BL_REPORT_NONE || i < job->failed_at) {
				job->failed_at = i;
				job->err = err;
			}
			pthread_mutex_unlock(&job->lock);
		}
	}
	free(obs);
	return NULL;
}

static void run_model_job(struct model_job *job, unsigned n_threads)
{
	atomic_init(&job->next, 0);
	pthread_mutex_init(&job->lock, NULL);
	void **args = bl_xcalloc(n_threads, sizeof(*args));
	for (unsigned k = 0; k < n_threads; k++)
		args[k] = job; /* the workers share the job: each takes the next series */
	bl_parallel(model_worker, args, n_threads);
	free(args);
	pthread_mutex_destroy(&job->lock);
}

int bl_report_build(const struct bl_series_set *set, struct bl_report_commit *commits, size_t n_commits,
		    const struct bl_report_opts *o, struct bl_report *out, struct bl_error *err)
{
	memset(out, 0, sizeof(*out));
	out->commits = commits;
	out->n_commits = n_commits;
	out->base_pos = out->head_pos = BL_REPORT_NONE;
	out->generated_at = bl_now_unix_ns() / 1000000000;
	out->repository = bl_xstrdup(o->repository ? o->repository : "");
	out->title = o->title ? bl_xstrdup(o->title) : default_title(o->repository);
	out->commit_url = o->commit_url ? bl_xstrdup(o->commit_url) : NULL;
	struct bl_analysis_cfg defaults;
	bl_analysis_defaults(&defaults);
	const struct bl_analysis_cfg *an = o->analysis ? o->analysis : &defaults;
	out->alpha = o->alpha > 0 ? o->alpha : an->alpha;
	out->threads = o->threads;

	struct pos_entry *index = bl_xcalloc(n_commits ? n_commits : 1, sizeof(*index));
	for (size_t i = 0; i < n_commits; i++)
		index[i] = (struct pos_entry){.sha = commits[i].sha, .pos = i};
	qsort(index, n_commits, sizeof(*index), cmp_pos_entry);

	/* The series wanted, then each one's points, summaries, latest change
	 * and change points, series by series on every CPU (bl_report_threads),
	 * then the measured ones kept in the set's order. */
	struct model_job job = {.set = set, .commits = commits, .index = index, .n_commits = n_commits, .o = o,
				.an = an, .alpha = out->alpha, .failed_at = BL_REPORT_NONE};
	job.series = bl_xcalloc(set->n ? set->n : 1, sizeof(*job.series));
	for (size_t i = 0; i < set->n; i++)
		if (series_wanted(o, &set->v[i]))
			job.series[job.n_series++].s = &set->v[i];
	run_model_job(&job, bl_report_threads(o->threads, job.n_series));
	free(index);
	out->series = job.series;
	int rc = 0;
	for (size_t i = 0; i < job.n_series; i++) {
		struct bl_report_series *rs = &job.series[i];
		if (rc || !rs->n_pts || rs->latest == BL_REPORT_NONE) {
			free(rs->pts);
			free(rs->changes);
			continue;
		}
		rs->id = out->n_series;
		out->series[out->n_series++] = *rs;
		if (i == job.failed_at) {
			*err = job.err;
			rc = -1;
		}
	}
	if (rc) {
		bl_report_release(out);
		return -1;
	}
	for (size_t i = 1; i < out->n_series; i++)
		out->multi_machine |= out->series[i].s->machine_id != out->series[0].s->machine_id;

	size_t n_events = 0;
	for (size_t i = 0; i < out->n_series; i++)
		n_events += out->series[i].n_changes;
	out->events = bl_xcalloc(n_events ? n_events : 1, sizeof(*out->events));
	for (size_t i = 0; i < out->n_series; i++)
		for (size_t k = 0; k < out->series[i].n_changes; k++) {
			enum bl_report_verdict v = change_verdict(&out->series[i], &out->series[i].changes[k]);
			out->events[out->n_events++] = (struct bl_report_event){.series = i, .change = k, .verdict = v};
			out->event_counts[v]++;
		}
	sort_report = out;
	qsort(out->events, out->n_events, sizeof(*out->events), cmp_events);
	sort_report = NULL;
	build_compare(out, o);
	return 0;
}

void bl_report_release(struct bl_report *r)
{
	for (size_t i = 0; i < r->n_commits; i++) {
		free(r->commits[i].subject);
		free(r->commits[i].author);
	}
	free(r->commits);
	for (size_t i = 0; i < r->n_series; i++) {
		free(r->series[i].pts);
		free(r->series[i].changes);
	}
	free(r->series);
	free(r->events);
	free(r->rows);
	free(r->title);
	free(r->repository);
	free(r->commit_url);
	memset(r, 0, sizeof(*r));
}
