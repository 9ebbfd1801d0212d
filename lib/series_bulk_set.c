/*
 * series_bulk_set.c - the second half of bl_series_load_bulk: the parts that
 * read the values merged case by case, and the cases turned into series
 * (series_bulk.c says how they were read).
 */
#include "series_bulk_internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* A case's values of one (name, unit) once the parts are merged. */
struct merged {
	uint32_t canon, next;
	uint32_t pool, off, n; /* pool: a part's, or the merged slices' (n_parts) */
	enum bl_better better;
};

struct merger {
	struct part_loader *parts;
	unsigned n_parts;
	uint32_t own_pool; /* the pool index of values below: n_parts + the merging thread's number */
	struct merged *m;
	size_t n, cap;
	double *values; /* slices of a case that more than one part holds */
	int32_t *idx;
	size_t n_values, cap_values, cap_idx;
};

static const int32_t *merged_idx(const struct merger *g, const struct merged *f)
{
	return f->pool == g->own_pool ? g->idx + f->off : g->parts[f->pool].idx + f->off;
}

static const double *merged_values(const struct merger *g, const struct merged *f)
{
	return f->pool == g->own_pool ? g->values + f->off : g->parts[f->pool].values + f->off;
}

/* f and part p's slot sl of the same case and metric, merged by repetition
 * index (unique among a case's measured runs). */
static void merge_slice(struct merger *g, struct merged *f, unsigned p, const struct slot *sl)
{
	size_t n = (size_t)f->n + sl->n;
	BL_GROW(g->values, g->cap_values, g->n_values + n);
	BL_GROW(g->idx, g->cap_idx, g->n_values + n);
	const double *av = merged_values(g, f), *bv = g->parts[p].values + sl->off;
	const int32_t *ai = merged_idx(g, f), *bi = g->parts[p].idx + sl->off;
	double *ov = g->values + g->n_values;
	int32_t *oi = g->idx + g->n_values;
	size_t i = 0, j = 0, k = 0;
	while (i < f->n || j < sl->n) {
		if (j == sl->n || (i < f->n && ai[i] <= bi[j])) {
			ov[k] = av[i];
			oi[k++] = ai[i++];
		} else {
			ov[k] = bv[j];
			oi[k++] = bi[j++];
		}
	}
	f->pool = g->own_pool;
	f->off = (uint32_t)g->n_values;
	f->n = (uint32_t)n;
	g->n_values += n;
}

/* The slices of cases [from, to) from every part, into g (indices of g->m).
 * Cases a part met that the loader does not know (filtered out by benchmark
 * name) are left behind. */
static void merge_cases(struct loader *ld, struct merger *g, size_t from, size_t to)
{
	for (size_t ci = from; ci < to; ci++) {
		struct bcase *c = &ld->cases[ci];
		for (unsigned p = 0; p < g->n_parts; p++) {
			const struct part_loader *pl = &g->parts[p];
			const struct pcase *pc = bl_bulk_part_case(pl, c->benchmark_id);
			if (!pc)
				continue;
			c->runs_failed += pc->runs_failed;
			c->dropped_values |= pc->dropped_values;
			for (uint32_t si = pc->first_slot; si != NONE; si = pl->slots[si].next) {
				const struct slot *sl = &pl->slots[si];
				uint32_t fi = c->first, last = NONE;
				while (fi != NONE && g->m[fi].canon != sl->canon) {
					last = fi;
					fi = g->m[fi].next;
				}
				if (fi == NONE) {
					BL_GROW(g->m, g->cap, g->n + 1);
					fi = (uint32_t)g->n++;
					g->m[fi] = (struct merged){.canon = sl->canon, .next = NONE, .pool = p, .off = sl->off,
								   .n = sl->n, .better = sl->better};
					if (last == NONE)
						c->first = fi;
					else
						g->m[last].next = fi;
				} else {
					merge_slice(g, &g->m[fi], p, sl);
					if (g->m[fi].better == BL_BETTER_UNKNOWN)
						g->m[fi].better = sl->better;
				}
			}
		}
	}
}

static int cmp_case_order(const void *a, const void *b)
{
	const struct bcase *x = a, *y = b;
	if (x->commit_time != y->commit_time)
		return x->commit_time < y->commit_time ? -1 : 1;
	int c = x->sha == y->sha ? 0 : strcmp(x->sha, y->sha);
	if (!c)
		c = x->suite_hash == y->suite_hash ? 0 : strcmp(x->suite_hash, y->suite_hash);
	if (!c)
		c = (x->benchmark_id > y->benchmark_id) - (x->benchmark_id < y->benchmark_id);
	return c;
}

static struct bl_series *new_series(struct bl_series **v, size_t *n, size_t *cap, const struct family *f)
{
	BL_GROW(*v, *cap, *n + 1);
	struct bl_series *s = &(*v)[(*n)++];
	memset(s, 0, sizeof(*s));
	s->name = bl_xstrdup(f->name);
	s->params_json = bl_xstrdup(f->params);
	s->label = bl_case_label(f->name, f->params);
	s->machine_id = f->machine_id;
	s->machine = bl_xstrdup(f->machine);
	return s;
}

/* Appends a point to s, whose points array build_set sized beforehand. */
static void add_point(struct bl_series *s, const struct bcase *c, const double *values, size_t n)
{
	s->points[s->n_points++] = (struct bl_series_point){
		.benchmark_id = c->benchmark_id,
		.sha = (char *)c->sha,
		.subject = (char *)c->subject,
		.commit_time = c->commit_time,
		.status = (char *)c->status,
		.suite_hash = (char *)c->suite_hash,
		.values = (double *)values,
		.n_values = n,
		.runs_failed = c->runs_failed,
	};
}

/* One series of a family, as the counting pass found it. */
struct fam_series {
	uint32_t canon;
	enum bl_better better;
	size_t count;
};

/* What the counting pass found in one family, and where its series went. */
struct fam_out {
	struct fam_series *series; /* in the order first met along the sorted cases */
	size_t n, cap;
	size_t failed;     /* points of its cases without a value */
	size_t base;       /* out->v index of its first series */
	size_t failed_idx; /* out->failed_cases index + 1; 0: none */
};

struct build_job {
	const struct loader *ld;
	const struct merger *g;
	const uint32_t *fam_start, *fam_cases; /* the cases of family f: fam_cases[fam_start[f] .. fam_start[f + 1]) */
	struct fam_out *fam;
	struct bl_series_set *out;
	double *const *pools;
	atomic_size_t *next; /* the next family to take */
	int pass;            /* 0: count, 1: write */
};

/* One family: pass 0 counts the points of each of its series, pass 1 writes
 * them into the arrays sized in between. local maps a canon to the family's
 * series index (NONE elsewhere, as it is left). */
static void build_family(const struct build_job *j, struct fam_out *fo, size_t f, uint32_t *local)
{
	if (j->pass == 1)
		for (size_t i = 0; i < fo->n; i++)
			local[fo->series[i].canon] = (uint32_t)i;
	for (uint32_t k = j->fam_start[f]; k < j->fam_start[f + 1]; k++) {
		const struct bcase *c = &j->ld->cases[j->fam_cases[k]];
		if (c->first == NONE) {
			if (c->dropped_values)
				continue; /* measured, in series left out */
			if (j->pass == 0)
				fo->failed++;
			else
				add_point(&j->out->failed_cases[fo->failed_idx - 1], c, NULL, 0);
			continue;
		}
		for (uint32_t fi = c->first; fi != NONE; fi = j->g->m[fi].next) {
			const struct merged *m = &j->g->m[fi];
			uint32_t *l = &local[m->canon];
			if (j->pass == 1) {
				add_point(&j->out->v[fo->base + *l], c, j->pools[m->pool] + m->off, m->n);
				continue;
			}
			if (*l == NONE) {
				BL_GROW(fo->series, fo->cap, fo->n + 1);
				fo->series[fo->n] = (struct fam_series){.canon = m->canon, .better = m->better};
				*l = (uint32_t)fo->n++;
			}
			fo->series[*l].count++;
		}
	}
	for (size_t i = 0; i < fo->n; i++)
		local[fo->series[i].canon] = NONE;
}

static void *build_worker(void *arg)
{
	const struct build_job *j = arg;
	size_t nc = j->ld->n_canons;
	uint32_t *local = bl_xmalloc((nc ? nc : 1) * sizeof(uint32_t));
	for (size_t i = 0; i < nc; i++)
		local[i] = NONE;
	size_t f;
	while ((f = atomic_fetch_add(j->next, 1)) < j->ld->n_families)
		build_family(j, &j->fam[f], f, local);
	free(local);
	return NULL;
}

static void run_pass(struct build_job *j, unsigned n_threads, int pass)
{
	atomic_size_t next = 0;
	j->next = &next;
	j->pass = pass;
	void **args = bl_xcalloc(n_threads, sizeof(void *));
	for (unsigned k = 0; k < n_threads; k++)
		args[k] = j;
	bl_parallel(build_worker, args, n_threads);
	free(args);
}

/* Turns the loaded cases into series and failed-case entries; the values
 * stay in the pools the set's bulk now owns. The cases, sorted by commit
 * time, are grouped by family (name, parameters, machine), and families are
 * independent: on n_threads threads, a pass counts each series' points, the
 * series are made with arrays of that size, and a second pass writes the
 * 2,000,000 points of a long history without growing an array. */
static void build_points(struct loader *ld, const struct merger *g, struct bl_series_set *out, unsigned n_threads)
{
	if (ld->n_cases > 1)
		qsort(ld->cases, ld->n_cases, sizeof(*ld->cases), cmp_case_order);
	size_t nf = ld->n_families;
	uint32_t *fam_start = bl_xcalloc(nf + 1, sizeof(uint32_t));
	uint32_t *fam_cases = bl_xcalloc(ld->n_cases ? ld->n_cases : 1, sizeof(uint32_t));
	for (size_t i = 0; i < ld->n_cases; i++)
		fam_start[ld->cases[i].family + 1]++;
	for (size_t f = 0; f < nf; f++)
		fam_start[f + 1] += fam_start[f];
	uint32_t *cursor = bl_xcalloc(nf ? nf : 1, sizeof(uint32_t));
	for (size_t i = 0; i < ld->n_cases; i++) {
		uint32_t f = ld->cases[i].family;
		fam_cases[fam_start[f] + cursor[f]++] = (uint32_t)i;
	}
	free(cursor);

	struct fam_out *fam = bl_xcalloc(nf ? nf : 1, sizeof(*fam));
	struct build_job j = {.ld = ld, .g = g, .fam_start = fam_start, .fam_cases = fam_cases, .fam = fam, .out = out,
			      .pools = ld->bulk->pools};
	if (n_threads > nf)
		n_threads = nf ? (unsigned)nf : 1;
	run_pass(&j, n_threads, 0);

	size_t cap_v = 0, cap_f = 0;
	for (size_t f = 0; f < nf; f++) {
		struct fam_out *fo = &fam[f];
		fo->base = out->n;
		for (size_t i = 0; i < fo->n; i++) {
			struct bl_series *s = new_series(&out->v, &out->n, &cap_v, &ld->families[f]);
			const struct canon *cn = &ld->canons[fo->series[i].canon];
			s->metric = bl_xstrdup(cn->name);
			s->unit = bl_xstrdup(cn->unit);
			s->better = fo->series[i].better;
			s->points = bl_xcalloc(fo->series[i].count ? fo->series[i].count : 1, sizeof(struct bl_series_point));
		}
		if (fo->failed) {
			struct bl_series *s = new_series(&out->failed_cases, &out->n_failed_cases, &cap_f, &ld->families[f]);
			s->points = bl_xcalloc(fo->failed, sizeof(struct bl_series_point));
			fo->failed_idx = out->n_failed_cases;
		}
	}
	run_pass(&j, n_threads, 1);

	for (size_t f = 0; f < nf; f++)
		free(fam[f].series);
	free(fam);
	free(fam_start);
	free(fam_cases);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(out->v[0]), bl_series_order);
	if (out->n_failed_cases > 1)
		qsort(out->failed_cases, out->n_failed_cases, sizeof(out->failed_cases[0]), bl_series_order);
}

/* Cases per merging thread at least; a test makes it 1 to merge small sets on several threads. */
static size_t merge_grain = 4096;
void bl_series_bulk_test_merge_grain(size_t cases); /* test hook, declared by tests only */
void bl_series_bulk_test_merge_grain(size_t cases)
{
	merge_grain = cases ? cases : 4096;
}

struct merge_job {
	struct loader *ld;
	struct merger g;
	size_t from, to;
};

static void *merge_worker(void *arg)
{
	struct merge_job *j = arg;
	merge_cases(j->ld, &j->g, j->from, j->to);
	return NULL;
}

/* Cases are independent: each of n threads merges a range of them into a
 * merger of its own (its slices and a values pool of its own, pool
 * n_parts + k), then the slices are put end to end in one array and the
 * indices into it moved by each range's offset. */
void bl_bulk_build_set(struct loader *ld, struct part_loader *parts, unsigned n_parts, struct bl_series_set *out)
{
	unsigned n = n_parts;
	if (n > ld->n_cases / merge_grain + 1)
		n = (unsigned)(ld->n_cases / merge_grain + 1);
	struct merge_job *jobs = bl_xcalloc(n, sizeof(*jobs));
	void **args = bl_xcalloc(n, sizeof(void *));
	for (unsigned k = 0; k < n; k++) {
		jobs[k] = (struct merge_job){.ld = ld,
					     .g = {.parts = parts, .n_parts = n_parts, .own_pool = n_parts + k},
					     .from = ld->n_cases * k / n,
					     .to = ld->n_cases * (k + 1) / n};
		args[k] = &jobs[k];
	}
	bl_parallel(merge_worker, args, n);
	free(args);

	struct merger g = {.parts = parts, .n_parts = n_parts};
	for (unsigned k = 0; k < n; k++)
		g.n += jobs[k].g.n;
	g.m = bl_xcalloc(g.n ? g.n : 1, sizeof(*g.m));
	size_t off = 0;
	for (unsigned k = 0; k < n; k++) {
		const struct merger *t = &jobs[k].g;
		for (size_t i = 0; i < t->n; i++) {
			g.m[off + i] = t->m[i];
			if (t->m[i].next != NONE)
				g.m[off + i].next += (uint32_t)off;
		}
		for (size_t ci = jobs[k].from; ci < jobs[k].to; ci++)
			if (ld->cases[ci].first != NONE)
				ld->cases[ci].first += (uint32_t)off;
		off += t->n;
	}
	ld->bulk->n_pools = n_parts + n;
	ld->bulk->pools = bl_xcalloc(ld->bulk->n_pools, sizeof(double *));
	for (unsigned k = 0; k < n_parts; k++) {
		ld->bulk->pools[k] = parts[k].values;
		parts[k].values = NULL;
	}
	for (unsigned k = 0; k < n; k++) {
		ld->bulk->pools[n_parts + k] = jobs[k].g.values;
		free(jobs[k].g.m);
		free(jobs[k].g.idx);
	}
	free(jobs);
	build_points(ld, &g, out, n_parts);
	free(g.m);
}
