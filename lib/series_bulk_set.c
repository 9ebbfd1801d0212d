/*
 * series_bulk_set.c - the second half of bl_series_load_bulk: the parts that
 * read the values merged case by case, and the cases turned into series
 * (series_bulk.c says how they were read).
 */
#include "series_bulk_internal.h"

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
	struct merged *m;
	size_t n, cap;
	double *values; /* slices of a case that more than one part holds */
	int32_t *idx;
	size_t n_values, cap_values, cap_idx;
};

static const int32_t *merged_idx(const struct merger *g, const struct merged *f)
{
	return f->pool == g->n_parts ? g->idx + f->off : g->parts[f->pool].idx + f->off;
}

static const double *merged_values(const struct merger *g, const struct merged *f)
{
	return f->pool == g->n_parts ? g->values + f->off : g->parts[f->pool].values + f->off;
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
	f->pool = g->n_parts;
	f->off = (uint32_t)g->n_values;
	f->n = (uint32_t)n;
	g->n_values += n;
}

/* Every case's slices from every part. Cases a part met that the loader does
 * not know (filtered out by benchmark name) are left behind. */
static void merge_parts(struct loader *ld, struct merger *g)
{
	for (size_t ci = 0; ci < ld->n_cases; ci++) {
		struct bcase *c = &ld->cases[ci];
		for (unsigned p = 0; p < g->n_parts; p++) {
			const struct part_loader *pl = &g->parts[p];
			const struct pcase *pc = bl_bulk_part_case(pl, c->benchmark_id);
			if (!pc)
				continue;
			c->runs_failed += pc->runs_failed;
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

/* Turns the loaded cases into series and failed-case entries; the values
 * stay in the pools the set's bulk now owns. Two passes: the first makes
 * the series and counts their points, so that the second writes 2,000,000
 * points of a long history without growing an array. */
static void build_points(struct loader *ld, const struct merger *g, struct bl_series_set *out)
{
	if (ld->n_cases > 1)
		qsort(ld->cases, ld->n_cases, sizeof(*ld->cases), cmp_case_order);
	size_t nf = ld->n_families, nc = ld->n_canons;
	size_t *series_of = bl_xcalloc(nf * nc + 1, sizeof(size_t)); /* series index + 1 */
	size_t *failed_of = bl_xcalloc(nf + 1, sizeof(size_t));
	size_t cap_v = 0, cap_f = 0;
	double *const *pools = ld->bulk->pools;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			for (size_t i = 0; i < out->n; i++) {
				out->v[i].points = bl_xcalloc(out->v[i].n_points, sizeof(struct bl_series_point));
				out->v[i].n_points = 0;
			}
			for (size_t i = 0; i < out->n_failed_cases; i++) {
				out->failed_cases[i].points =
					bl_xcalloc(out->failed_cases[i].n_points, sizeof(struct bl_series_point));
				out->failed_cases[i].n_points = 0;
			}
		}
		for (size_t i = 0; i < ld->n_cases; i++) {
			const struct bcase *c = &ld->cases[i];
			const struct family *f = &ld->families[c->family];
			if (c->first == NONE) {
				size_t *k = &failed_of[c->family];
				if (!*k) {
					new_series(&out->failed_cases, &out->n_failed_cases, &cap_f, f);
					*k = out->n_failed_cases;
				}
				if (pass == 0)
					out->failed_cases[*k - 1].n_points++;
				else
					add_point(&out->failed_cases[*k - 1], c, NULL, 0);
				continue;
			}
			for (uint32_t fi = c->first; fi != NONE; fi = g->m[fi].next) {
				const struct merged *m = &g->m[fi];
				size_t *k = &series_of[c->family * nc + m->canon];
				if (!*k) {
					struct bl_series *s = new_series(&out->v, &out->n, &cap_v, f);
					const struct canon *cn = &ld->canons[m->canon];
					s->metric = bl_xstrdup(cn->name);
					s->unit = bl_xstrdup(cn->unit);
					s->better = m->better;
					*k = out->n;
				}
				if (pass == 0)
					out->v[*k - 1].n_points++;
				else
					add_point(&out->v[*k - 1], c, pools[m->pool] + m->off, m->n);
			}
		}
	}
	free(series_of);
	free(failed_of);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(out->v[0]), bl_series_order);
	if (out->n_failed_cases > 1)
		qsort(out->failed_cases, out->n_failed_cases, sizeof(out->failed_cases[0]), bl_series_order);
}

void bl_bulk_build_set(struct loader *ld, struct part_loader *parts, unsigned n_parts, struct bl_series_set *out)
{
	struct merger g = {.parts = parts, .n_parts = n_parts};
	merge_parts(ld, &g);
	ld->bulk->pools = bl_xcalloc(n_parts + 1, sizeof(double *));
	ld->bulk->n_pools = n_parts + 1;
	for (unsigned k = 0; k < n_parts; k++) {
		ld->bulk->pools[k] = parts[k].values;
		parts[k].values = NULL;
	}
	ld->bulk->pools[n_parts] = g.values;
	build_points(ld, &g, out);
	free(g.m);
	free(g.idx);
}
