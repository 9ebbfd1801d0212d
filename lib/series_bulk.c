/*
 * series_bulk.c - bl_series_load_bulk: the series of a whole history read in
 * one pass of bl_store_foreach_value (series.h).
 *
 * bl_series_load asks the store case by case and copies four strings and a
 * values array per point: for 10,000 commits x 40 cases x 5 metrics, 400,000
 * queries and 10,000,000 allocations. Here:
 * - metric keys map to (name, unit) pairs, as foreach_point groups them, the
 *   direction being the first one a run states;
 * - each case gets a family (name, params, machine) through a hash table and
 *   interned strings (SHAs, subjects, statuses and suite hashes repeat);
 * - values go into one pool: each (case, metric) owns a slice that moves to
 *   the pool's end when it outgrows its room, with the repetition index
 *   beside it, so values are put in index order without sorting a copy;
 * - the cases are then sorted into the store's order (commit time, SHA,
 *   suite hash, id) and turned into points whose strings and values are
 *   borrowed from the arena the set owns.
 * The result is the set bl_series_load makes for the same query.
 */
#include "benchline/series.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NONE UINT32_MAX
#define DIRECT_KEYS 65536
#define MAX_PARTS 64

/* Interned strings: an open-addressing table over an arena of chunks. */
struct intern {
	const char **slots;
	size_t cap, n;
	char **chunks;
	size_t n_chunks, cap_chunks, chunk_used, chunk_size;
};

static uint64_t hash_str(const char *s, uint64_t h)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static char *arena_copy(struct intern *t, const char *s)
{
	size_t len = strlen(s) + 1;
	if (!t->n_chunks || t->chunk_used + len > t->chunk_size) {
		t->chunk_size = len > 65536 ? len : 65536;
		BL_GROW(t->chunks, t->cap_chunks, t->n_chunks + 1);
		t->chunks[t->n_chunks++] = bl_xmalloc(t->chunk_size);
		t->chunk_used = 0;
	}
	char *p = t->chunks[t->n_chunks - 1] + t->chunk_used;
	memcpy(p, s, len);
	t->chunk_used += len;
	return p;
}

static const char *intern(struct intern *t, const char *s)
{
	if (!s)
		return "";
	if (2 * (t->n + 1) > t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 1024;
		const char **slots = bl_xcalloc(cap, sizeof(*slots));
		for (size_t i = 0; i < t->cap; i++)
			if (t->slots[i]) {
				size_t k = hash_str(t->slots[i], 0xcbf29ce484222325ULL) & (cap - 1);
				while (slots[k])
					k = (k + 1) & (cap - 1);
				slots[k] = t->slots[i];
			}
		free(t->slots);
		t->slots = slots;
		t->cap = cap;
	}
	size_t k = hash_str(s, 0xcbf29ce484222325ULL) & (t->cap - 1);
	while (t->slots[k]) {
		if (!strcmp(t->slots[k], s))
			return t->slots[k];
		k = (k + 1) & (t->cap - 1);
	}
	t->n++;
	return t->slots[k] = arena_copy(t, s);
}

/* What a set loaded in bulk owns besides its series (bl_series_set.bulk). */
struct bl_series_bulk {
	struct intern strings;
	double **pools; /* one per part that read values, and the merged slices */
	size_t n_pools;
};

struct metric_map {
	int64_t key;
	uint32_t canon; /* NONE: filtered out */
	enum bl_better better;
};

struct canon {
	const char *name, *unit; /* interned; no unit is "", as bl_series_load has it */
};

struct family {
	const char *name, *params, *machine; /* interned */
	int64_t machine_id;
};

/* The values of one case for one (name, unit), in a part's pool. */
struct slot {
	uint32_t canon, next; /* next slot of the same case, NONE at the end */
	uint32_t off, n, cap; /* in the pools */
	enum bl_better better;
};

struct bcase {
	int64_t benchmark_id, commit_time;
	const char *sha, *subject, *status, *suite_hash;
	uint32_t family, first; /* first: the case's first merged slice, NONE when it has no value */
	int runs_failed;
};

/* What every part shares: filled by the metrics and cases, before any value,
 * and only read while the parts run. */
struct loader {
	const struct bl_point_query *q;
	struct bl_error *err;
	struct bl_series_bulk *bulk;
	struct metric_map *metrics;
	size_t n_metrics, cap_metrics;
	uint32_t *by_key; /* metrics index + 1 of keys below DIRECT_KEYS (they are small: a dictionary) */
	size_t cap_by_key;
	struct canon *canons;
	size_t n_canons, cap_canons;
	struct family *families;
	size_t n_families, cap_families;
	uint32_t *family_table; /* open addressing: family index, NONE empty */
	size_t family_cap;
	struct bcase *cases; /* by benchmark_id */
	size_t n_cases, cap_cases;
};

/* One part of the values (bl_store_foreach_value_parts): its own slots and
 * pools, so that parts run at once without locks. */
struct part_loader {
	struct loader *ld;
	struct bl_error err;
	size_t memo;           /* the last case found */
	uint32_t *first_slot;  /* by case index, NONE: no slot in this part */
	int *runs_failed;      /* by case index */
	struct slot *slots;
	size_t n_slots, cap_slots;
	double *values;
	int32_t *idx;
	size_t n_values, cap_values, cap_idx;
	uint32_t *typical_n;   /* by canon: the most values a slot has held, the room a new one gets */
};

/* A case's values of one (name, unit) once the parts are merged. */
struct merged {
	uint32_t canon, next;
	uint32_t pool, off, n; /* pool: a part's, or the merged slices' (the last) */
	enum bl_better better;
};

static int on_metric(void *vctx, const struct bl_value_metric *m)
{
	struct loader *ld = ((struct part_loader *)vctx)->ld;
	BL_GROW(ld->metrics, ld->cap_metrics, ld->n_metrics + 1);
	struct metric_map *mm = &ld->metrics[ld->n_metrics++];
	mm->key = m->key;
	mm->better = m->better;
	mm->canon = NONE;
	if (m->key >= 0 && m->key < DIRECT_KEYS) {
		size_t old = ld->cap_by_key;
		BL_GROW(ld->by_key, ld->cap_by_key, (size_t)m->key + 1);
		memset(ld->by_key + old, 0, (ld->cap_by_key - old) * sizeof(uint32_t));
		ld->by_key[m->key] = (uint32_t)ld->n_metrics;
	}
	if (ld->q->metric && strcmp(ld->q->metric, m->name) != 0)
		return 0;
	const char *name = intern(&ld->bulk->strings, m->name), *unit = intern(&ld->bulk->strings, m->unit);
	for (size_t i = 0; i < ld->n_canons; i++)
		if (ld->canons[i].name == name && ld->canons[i].unit == unit)
			mm->canon = (uint32_t)i;
	if (mm->canon == NONE) {
		BL_GROW(ld->canons, ld->cap_canons, ld->n_canons + 1);
		ld->canons[ld->n_canons] = (struct canon){.name = name, .unit = unit};
		mm->canon = (uint32_t)ld->n_canons++;
	}
	return 0;
}

static uint32_t family_of(struct loader *ld, const struct bl_value_case *c)
{
	struct intern *t = &ld->bulk->strings;
	const char *name = intern(t, c->name), *params = intern(t, c->params_json ? c->params_json : "{}"),
		   *machine = intern(t, c->machine);
	if (2 * (ld->n_families + 1) > ld->family_cap) {
		size_t cap = ld->family_cap ? 2 * ld->family_cap : 256;
		free(ld->family_table);
		ld->family_table = bl_xmalloc(cap * sizeof(uint32_t));
		memset(ld->family_table, 0xff, cap * sizeof(uint32_t));
		ld->family_cap = cap;
		for (size_t i = 0; i < ld->n_families; i++) {
			const struct family *f = &ld->families[i];
			size_t k = (((uintptr_t)f->name * 31 + (uintptr_t)f->params) * 31 + (uint64_t)f->machine_id) *
				   0x9e3779b97f4a7c15ULL >> 20 & (cap - 1);
			while (ld->family_table[k] != NONE)
				k = (k + 1) & (cap - 1);
			ld->family_table[k] = (uint32_t)i;
		}
	}
	size_t k = (((uintptr_t)name * 31 + (uintptr_t)params) * 31 + (uint64_t)c->machine_id) * 0x9e3779b97f4a7c15ULL >>
		   20 & (ld->family_cap - 1);
	for (; ld->family_table[k] != NONE; k = (k + 1) & (ld->family_cap - 1)) {
		const struct family *f = &ld->families[ld->family_table[k]];
		if (f->name == name && f->params == params && f->machine_id == c->machine_id)
			return ld->family_table[k];
	}
	BL_GROW(ld->families, ld->cap_families, ld->n_families + 1);
	ld->families[ld->n_families] =
		(struct family){.name = name, .params = params, .machine = machine, .machine_id = c->machine_id};
	ld->family_table[k] = (uint32_t)ld->n_families;
	return (uint32_t)ld->n_families++;
}

static int on_case(void *vctx, const struct bl_value_case *c)
{
	struct loader *ld = ((struct part_loader *)vctx)->ld;
	if (ld->q->benchmark && strcmp(ld->q->benchmark, c->name) != 0)
		return 0;
	struct intern *t = &ld->bulk->strings;
	BL_GROW(ld->cases, ld->cap_cases, ld->n_cases + 1);
	ld->cases[ld->n_cases++] = (struct bcase){
		.benchmark_id = c->benchmark_id,
		.commit_time = c->commit_time,
		.sha = intern(t, c->commit_sha),
		.subject = intern(t, c->subject),
		.status = intern(t, c->status),
		.suite_hash = intern(t, c->suite_hash),
		.family = family_of(ld, c),
		.first = NONE,
	};
	return 0;
}

/* The index of the case of benchmark_id (cases come by id), or NONE when it
 * is filtered out. Runs come by id too, so the last answer is tried first. */
static uint32_t case_of(struct part_loader *p, int64_t benchmark_id)
{
	const struct loader *ld = p->ld;
	if (p->memo < ld->n_cases && ld->cases[p->memo].benchmark_id == benchmark_id)
		return (uint32_t)p->memo;
	size_t lo = 0, hi = ld->n_cases;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ld->cases[mid].benchmark_id < benchmark_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == ld->n_cases || ld->cases[lo].benchmark_id != benchmark_id)
		return NONE;
	p->memo = lo;
	return (uint32_t)lo;
}

static const struct metric_map *metric_of(const struct loader *ld, int64_t key)
{
	if (key >= 0 && (size_t)key < ld->cap_by_key)
		return ld->by_key[key] ? &ld->metrics[ld->by_key[key] - 1] : NULL;
	size_t lo = 0, hi = ld->n_metrics;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ld->metrics[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ld->n_metrics && ld->metrics[lo].key == key ? &ld->metrics[lo] : NULL;
}

/* The part's per-case arrays, made when its first run arrives (every case is known by then). */
static void part_ready(struct part_loader *p)
{
	if (p->first_slot)
		return;
	size_t n = p->ld->n_cases ? p->ld->n_cases : 1;
	p->first_slot = bl_xmalloc(n * sizeof(uint32_t));
	memset(p->first_slot, 0xff, n * sizeof(uint32_t));
	p->runs_failed = bl_xcalloc(n, sizeof(int));
	p->typical_n = bl_xcalloc(p->ld->n_canons ? p->ld->n_canons : 1, sizeof(uint32_t));
}

static uint32_t pool_take(struct part_loader *p, uint32_t n)
{
	BL_GROW(p->values, p->cap_values, p->n_values + n);
	BL_GROW(p->idx, p->cap_idx, p->n_values + n);
	uint32_t off = (uint32_t)p->n_values;
	p->n_values += n;
	return off;
}

static int on_value(void *vctx, const struct bl_value_row *v)
{
	struct part_loader *p = vctx;
	const struct loader *ld = p->ld;
	part_ready(p);
	if (p->n_values > UINT32_MAX / 4) /* offsets are 32-bit; a slice may still double */
		return bl_fail(&p->err, "too many values for one report (over %u): narrow it with --metric or "
					"--benchmark", UINT32_MAX / 4);
	uint32_t ci = case_of(p, v->benchmark_id);
	const struct metric_map *mm = ci != NONE ? metric_of(ld, v->metric_key) : NULL;
	if (!mm || mm->canon == NONE)
		return 0;
	uint32_t si = p->first_slot[ci], last = NONE;
	while (si != NONE && p->slots[si].canon != mm->canon) {
		last = si;
		si = p->slots[si].next;
	}
	if (si == NONE) {
		BL_GROW(p->slots, p->cap_slots, p->n_slots + 1);
		si = (uint32_t)p->n_slots++;
		uint32_t room = p->typical_n[mm->canon] ? p->typical_n[mm->canon] : 1;
		p->slots[si] = (struct slot){.canon = mm->canon, .next = NONE, .off = pool_take(p, room), .cap = room,
					     .better = BL_BETTER_UNKNOWN};
		if (last == NONE)
			p->first_slot[ci] = si;
		else
			p->slots[last].next = si;
	}
	struct slot *s = &p->slots[si];
	if (s->n == s->cap) {
		if (s->off + s->cap == p->n_values) {
			pool_take(p, s->cap); /* the slice is last: it grows in place */
		} else {
			uint32_t off = pool_take(p, 2 * s->cap);
			memcpy(p->values + off, p->values + s->off, s->n * sizeof(double));
			memcpy(p->idx + off, p->idx + s->off, s->n * sizeof(int32_t));
			s->off = off;
		}
		s->cap *= 2;
	}
	/* by repetition index, as foreach_point orders them; runs come in index order as a rule */
	double *vals = p->values + s->off;
	int32_t *idx = p->idx + s->off;
	uint32_t j = s->n++;
	while (j > 0 && idx[j - 1] > v->index) {
		vals[j] = vals[j - 1];
		idx[j] = idx[j - 1];
		j--;
	}
	vals[j] = v->value;
	idx[j] = v->index;
	if (s->n > p->typical_n[mm->canon])
		p->typical_n[mm->canon] = s->n; /* new slots get the room the largest one needed */
	if (s->better == BL_BETTER_UNKNOWN)
		s->better = mm->better;
	return 0;
}

static int on_failed_run(void *vctx, int64_t benchmark_id)
{
	struct part_loader *p = vctx;
	part_ready(p);
	uint32_t ci = case_of(p, benchmark_id);
	if (ci != NONE)
		p->runs_failed[ci]++;
	return 0;
}

/* ---- merging the parts --------------------------------------------------------------------------------------- */

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
 * index (f's first among equals: it comes from earlier runs). */
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

/* Every case's slices from every part, in part order (the order of the runs). */
static void merge_parts(struct loader *ld, struct merger *g)
{
	for (size_t ci = 0; ci < ld->n_cases; ci++) {
		struct bcase *c = &ld->cases[ci];
		for (unsigned p = 0; p < g->n_parts; p++) {
			const struct part_loader *pl = &g->parts[p];
			if (!pl->first_slot)
				continue; /* the part had no run */
			c->runs_failed += pl->runs_failed[ci];
			for (uint32_t si = pl->first_slot[ci]; si != NONE; si = pl->slots[si].next) {
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
static void build_set(struct loader *ld, const struct merger *g, struct bl_series_set *out)
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

static void part_release(struct part_loader *p)
{
	free(p->first_slot);
	free(p->runs_failed);
	free(p->slots);
	free(p->values);
	free(p->idx);
	free(p->typical_n);
}

int bl_series_load_bulk(struct bl_store *s, const struct bl_point_query *q, struct bl_series_set *out,
			struct bl_error *err)
{
	static const struct bl_point_query everything;
	if (!q)
		q = &everything;
	if (q->shas)
		return bl_series_load(s, q, out, err);
	memset(out, 0, sizeof(*out));
	struct loader ld;
	memset(&ld, 0, sizeof(ld));
	ld.q = q;
	ld.err = err;
	ld.bulk = bl_xcalloc(1, sizeof(*ld.bulk));
	out->bulk = ld.bulk;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned n = q->threads ? q->threads : cpus > 0 ? (unsigned)cpus : 1;
	if (n > MAX_PARTS)
		n = MAX_PARTS;
	struct part_loader parts[MAX_PARTS];
	struct bl_value_visitor visit[MAX_PARTS];
	void *ctx[MAX_PARTS];
	memset(parts, 0, sizeof(parts));
	for (unsigned k = 0; k < n; k++) {
		parts[k].ld = &ld;
		parts[k].memo = NONE;
		ctx[k] = &parts[k];
		/* metric names and cases go to part 0 (store.h) */
		visit[k] = (struct bl_value_visitor){.on_metric = on_metric, .on_case = on_case, .on_value = on_value,
						     .on_failed_run = on_failed_run};
	}
	int rc = bl_store_foreach_value_parts(s, q->repository, n, visit, ctx, err);
	if (rc) {
		for (unsigned k = 0; k < n; k++) /* the lowest part that stopped says why */
			if (parts[k].err.msg[0]) {
				*err = parts[k].err;
				break;
			}
	} else {
		struct merger g = {.parts = parts, .n_parts = n};
		merge_parts(&ld, &g);
		ld.bulk->pools = bl_xcalloc(n + 1, sizeof(double *));
		ld.bulk->n_pools = n + 1;
		for (unsigned k = 0; k < n; k++) {
			ld.bulk->pools[k] = parts[k].values;
			parts[k].values = NULL;
		}
		ld.bulk->pools[n] = g.values;
		build_set(&ld, &g, out);
		free(g.m);
		free(g.idx);
	}
	for (unsigned k = 0; k < n; k++)
		part_release(&parts[k]);
	free(ld.metrics);
	free(ld.by_key);
	free(ld.canons);
	free(ld.families);
	free(ld.family_table);
	free(ld.cases);
	if (rc) {
		bl_series_set_release(out);
		return -1;
	}
	return 0;
}

void bl_series_bulk_release(struct bl_series_bulk *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->strings.n_chunks; i++)
		free(b->strings.chunks[i]);
	free(b->strings.chunks);
	free(b->strings.slots);
	for (size_t i = 0; i < b->n_pools; i++)
		free(b->pools[i]);
	free(b->pools);
	free(b);
}
