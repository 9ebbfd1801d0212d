/*
 * series_bulk.c - bl_series_load_bulk: the series of a whole history read in
 * one pass of bl_store_foreach_value_parts (series.h), on every CPU.
 *
 * bl_series_load asks the store case by case and copies four strings and a
 * values array per point: for 10,000 commits x 40 cases x 5 metrics, 400,000
 * queries and 10,000,000 allocations. Here:
 * - metric keys map to (name, unit) pairs, as foreach_point groups them, the
 *   direction being the first one a run states;
 * - each case gets a family (name, params, machine) through a hash table and
 *   interned strings (SHAs, subjects, statuses and suite hashes repeat);
 * - the values are read by several parts at once while part 0's thread
 *   reads the cases; a part keeps its own cases by benchmark_id (a hash
 *   table, the last one tried first: a run's values come together) and its
 *   own pool, in which each (case, metric) owns a slice that moves to the
 *   pool's end when it outgrows its room, with the repetition index beside
 *   each value, so values are put in index order without sorting a copy;
 * - series_bulk_set.c then merges the parts case by case (the rare case
 *   whose runs two parts read is merged by repetition index, which is unique
 *   per case), sorts the cases into the store's order (commit time, SHA,
 *   suite hash, id) and turns them into points whose strings and values are
 *   borrowed from what the set owns.
 * The result is the set bl_series_load makes for the same query.
 */
#include "series_bulk_internal.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DIRECT_KEYS 65536

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

const char *bl_bulk_intern(struct intern *t, const char *s)
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

/* ---- metrics and cases (part 0's thread) ---------------------------------------------------------------------- */

static int on_metric(void *vctx, const struct bl_value_metric *m)
{
	struct loader *ld = ((struct part_loader *)vctx)->ld;
	BL_GROW(ld->metrics, ld->cap_metrics, ld->n_metrics + 1);
	struct metric_map *mm = &ld->metrics[ld->n_metrics++];
	mm->key = m->key;
	mm->better = m->better;
	mm->canon = NONE;
	mm->dropped = false;
	if (m->key >= 0 && m->key < DIRECT_KEYS) {
		size_t old = ld->cap_by_key;
		BL_GROW(ld->by_key, ld->cap_by_key, (size_t)m->key + 1);
		memset(ld->by_key + old, 0, (ld->cap_by_key - old) * sizeof(uint32_t));
		ld->by_key[m->key] = (uint32_t)ld->n_metrics;
	}
	if (ld->q->metric && strcmp(ld->q->metric, m->name) != 0)
		return 0;
	if (ld->q->keep_metric && !ld->q->keep_metric(ld->q->keep_ctx, m->name)) {
		mm->dropped = true;
		return 0;
	}
	const char *name = bl_bulk_intern(&ld->bulk->strings, m->name), *unit = bl_bulk_intern(&ld->bulk->strings, m->unit);
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

/* *table replaced by cap empty (NONE) slots of an open-addressing index. */
static void empty_table(uint32_t **table, size_t *table_cap, size_t cap)
{
	free(*table);
	*table = bl_xmalloc(cap * sizeof(uint32_t));
	memset(*table, 0xff, cap * sizeof(uint32_t));
	*table_cap = cap;
}

static uint32_t family_of(struct loader *ld, const struct bl_value_case *c)
{
	struct intern *t = &ld->bulk->strings;
	const char *name = bl_bulk_intern(t, c->name), *params = bl_bulk_intern(t, c->params_json ? c->params_json : "{}"),
		   *machine = bl_bulk_intern(t, c->machine);
	if (2 * (ld->n_families + 1) > ld->family_cap) {
		size_t cap = ld->family_cap ? 2 * ld->family_cap : 256;
		empty_table(&ld->family_table, &ld->family_cap, cap);
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
		.sha = bl_bulk_intern(t, c->commit_sha),
		.subject = bl_bulk_intern(t, c->subject),
		.status = bl_bulk_intern(t, c->status),
		.suite_hash = bl_bulk_intern(t, c->suite_hash),
		.family = family_of(ld, c),
		.first = NONE,
	};
	return 0;
}

/* ---- values (every part's thread) ----------------------------------------------------------------------------- */

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

static size_t slot_of_id(int64_t id, size_t cap)
{
	return (size_t)((uint64_t)id * 0x9e3779b97f4a7c15ULL >> 17) & (cap - 1);
}

const struct pcase *bl_bulk_part_case(const struct part_loader *p, int64_t benchmark_id)
{
	if (!p->table_cap)
		return NULL;
	for (size_t k = slot_of_id(benchmark_id, p->table_cap); p->table[k] != NONE; k = (k + 1) & (p->table_cap - 1))
		if (p->cases[p->table[k]].benchmark_id == benchmark_id)
			return &p->cases[p->table[k]];
	return NULL;
}

/* The part's case of benchmark_id, made when first met. Runs come by
 * run_id, so a case's runs come together: the last one is tried first. */
static struct pcase *part_case(struct part_loader *p, int64_t benchmark_id)
{
	if (p->memo != NONE && p->cases[p->memo].benchmark_id == benchmark_id)
		return &p->cases[p->memo];
	if (2 * (p->n_cases + 1) > p->table_cap) {
		size_t cap = p->table_cap ? 2 * p->table_cap : 1024;
		empty_table(&p->table, &p->table_cap, cap);
		for (size_t i = 0; i < p->n_cases; i++) {
			size_t k = slot_of_id(p->cases[i].benchmark_id, cap);
			while (p->table[k] != NONE)
				k = (k + 1) & (cap - 1);
			p->table[k] = (uint32_t)i;
		}
	}
	size_t k = slot_of_id(benchmark_id, p->table_cap);
	for (; p->table[k] != NONE; k = (k + 1) & (p->table_cap - 1))
		if (p->cases[p->table[k]].benchmark_id == benchmark_id) {
			p->memo = p->table[k];
			return &p->cases[p->memo];
		}
	BL_GROW(p->cases, p->cap_cases, p->n_cases + 1);
	p->cases[p->n_cases] = (struct pcase){.benchmark_id = benchmark_id, .first_slot = NONE};
	p->table[k] = p->memo = (uint32_t)p->n_cases++;
	return &p->cases[p->memo];
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
	if (p->n_values > UINT32_MAX / 4) /* offsets are 32-bit; a slice may still double */
		return bl_fail(&p->err, "too many values for one report (over %u): narrow it with --metric or "
					"--benchmark", UINT32_MAX / 4);
	const struct metric_map *mm = metric_of(ld, v->metric_key);
	if (!mm)
		return 0;
	if (mm->canon == NONE) {
		if (mm->dropped)
			part_case(p, v->benchmark_id)->dropped_values = true;
		return 0;
	}
	if (!p->typical_n)
		p->typical_n = bl_xcalloc(ld->n_canons ? ld->n_canons : 1, sizeof(uint32_t));
	struct pcase *c = part_case(p, v->benchmark_id);
	uint32_t si = c->first_slot, last = NONE;
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
			c->first_slot = si;
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
	part_case(vctx, benchmark_id)->runs_failed++;
	return 0;
}

/* ---- the load ------------------------------------------------------------------------------------------------ */

static void part_release(struct part_loader *p)
{
	free(p->cases);
	free(p->table);
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
	if (q->shas && !bl_store_has_value_parts(s))
		return bl_series_load(s, q, out, err);
	memset(out, 0, sizeof(*out));
	struct loader ld;
	memset(&ld, 0, sizeof(ld));
	ld.q = q;
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
	int rc = bl_store_foreach_value_parts(s, q, n, visit, ctx, err);
	if (rc) {
		for (unsigned k = 0; k < n; k++) /* the lowest part that stopped says why */
			if (parts[k].err.msg[0]) {
				*err = parts[k].err;
				break;
			}
	} else {
		bl_bulk_build_set(&ld, parts, n, out);
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
