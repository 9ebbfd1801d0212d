/*
 * store_copy.c - copies every result of one store into another without
 * duplicates (`benchline push`, and a worker's job into the shared store).
 *
 * The source is read whole in one snapshot (bl_store_export) and written
 * through the ordinary store operations, so the copy goes through the same
 * checks and transactions as a sweep: machines are matched by fingerprint,
 * commits upserted, cases found or created by their natural key (repository,
 * commit, machine, name, params, suite hash), and a run is copied unless the
 * target case already has a run of the same kind and index (warm-ups may
 * repeat an index: the k-th one is copied when the target has fewer than k).
 * Each run is its own transaction there (or one savepoint of the caller's
 * transaction, bl_store_begin), so an interrupted copy leaves whole runs and
 * the next copy adds the rest.
 */
#include "benchline/store.h"

#include <stdlib.h>
#include <string.h>

struct id_pair {
	int64_t from, to;
};

struct idx_count {
	int idx, n;
};

struct copy {
	struct bl_store *to;
	struct bl_error *err;
	struct id_pair *machines; /* source machine_id -> target machine_id */
	size_t n_machines, cap_machines;
	/* The case being copied: its target id and what the target held when it was opened. */
	int64_t from_case;        /* 0: none (or skipped) */
	struct bl_case_state st;
	char *from_status;
	struct idx_count *warmups_seen; /* warm-ups of this case seen in the source, per index */
	size_t n_seen, cap_seen;
	struct bl_copy_totals *t;
};

static int64_t mapped_machine(const struct copy *p, int64_t from)
{
	for (size_t i = 0; i < p->n_machines; i++)
		if (p->machines[i].from == from)
			return p->machines[i].to;
	return 0;
}

static int on_machine(void *ctx, int64_t machine_id, const struct bl_machine *m)
{
	struct copy *p = ctx;
	int64_t to = 0;
	if (bl_store_find_machine(p->to, m->fingerprint, &to, p->err) != 0)
		return -1;
	/* A machine the target knows keeps its details (the target may have newer ones). */
	if (!to) {
		if (bl_store_put_machine(p->to, m, &to, p->err) != 0)
			return -1;
		p->t->machines_added++;
	}
	BL_GROW(p->machines, p->cap_machines, p->n_machines + 1);
	p->machines[p->n_machines++] = (struct id_pair){machine_id, to};
	return 0;
}

static int on_commit(void *ctx, const char *repository, const struct bl_commit_info *ci)
{
	struct copy *p = ctx;
	if (bl_store_put_commit(p->to, repository, ci, p->err) != 0)
		return -1;
	p->t->commits++;
	return 0;
}

static int on_build(void *ctx, const struct bl_build_record *b)
{
	struct copy *p = ctx;
	struct bl_build_record copy = *b;
	copy.machine_id = mapped_machine(p, b->machine_id);
	if (!copy.machine_id)
		return bl_fail(p->err, "cannot copy the build of %.12s: its machine %lld is not in the source",
			       b->commit_sha, (long long)b->machine_id);
	bool found = false;
	if (bl_store_has_build(p->to, &copy, &found, p->err) != 0)
		return -1;
	if (found) {
		p->t->builds_present++;
		return 0;
	}
	if (bl_store_add_build(p->to, &copy, p->err) != 0)
		return -1;
	p->t->builds_added++;
	return 0;
}

/* After a case's runs: a target case still 'pending' takes the source's
 * status (complete, failed, build-failed). Not after an error: a case whose
 * runs were not all copied must stay pending, so that the next push (or a
 * sweep) completes it. */
static int finish_case(struct copy *p, bool copied)
{
	int ret = 0;
	if (copied && p->from_case && p->from_status && strcmp(p->from_status, BL_CASE_PENDING) != 0 &&
	    !strcmp(p->st.status, BL_CASE_PENDING))
		ret = bl_store_set_case_status(p->to, p->st.benchmark_id, p->from_status, p->err);
	bl_case_state_release(&p->st);
	memset(&p->st, 0, sizeof(p->st));
	free(p->from_status);
	p->from_status = NULL;
	p->from_case = 0;
	p->n_seen = 0;
	return ret;
}

static int on_case(void *ctx, const struct bl_export_case *c)
{
	struct copy *p = ctx;
	if (finish_case(p, true) != 0)
		return -1;
	struct bl_case_key key = c->key;
	key.machine_id = mapped_machine(p, c->key.machine_id);
	key.lookup_only = false;
	if (!key.machine_id)
		return bl_fail(p->err, "cannot copy benchmark case '%s': its machine %lld is not in the source", key.name,
			       (long long)c->key.machine_id);
	if (bl_store_open_case(p->to, &key, &p->st, p->err) != 0)
		return -1;
	p->from_case = c->benchmark_id;
	p->from_status = bl_xstrdup(c->status ? c->status : BL_CASE_PENDING);
	p->t->cases++;
	return 0;
}

static bool has_measured(const struct bl_case_state *st, int idx)
{
	size_t lo = 0, hi = st->n_measured_done;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (st->measured_done[mid] < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < st->n_measured_done && st->measured_done[lo] == idx;
}

/* True when the target already holds this warm-up: the k-th source warm-up
 * with index idx is there when the target has at least k with that index. */
static bool has_warmup(struct copy *p, int idx)
{
	struct idx_count *seen = NULL;
	for (size_t i = 0; i < p->n_seen; i++)
		if (p->warmups_seen[i].idx == idx)
			seen = &p->warmups_seen[i];
	if (!seen) {
		BL_GROW(p->warmups_seen, p->cap_seen, p->n_seen + 1);
		seen = &p->warmups_seen[p->n_seen++];
		*seen = (struct idx_count){idx, 0};
	}
	int k = ++seen->n, there = 0;
	for (int i = 0; i < p->st.n_warmups; i++)
		there += p->st.warmups_done[i] == idx;
	return there >= k;
}

static int on_run(void *ctx, const struct bl_run_record *r)
{
	struct copy *p = ctx;
	if (!p->from_case || r->benchmark_id != p->from_case)
		return bl_fail(p->err, "cannot copy run %d of benchmark %lld: its case was not read first", r->index,
			       (long long)r->benchmark_id);
	bool there = r->warmup ? has_warmup(p, r->index) : has_measured(&p->st, r->index);
	if (there) {
		p->t->runs_present++;
		return 0;
	}
	struct bl_run_record copy = *r;
	copy.benchmark_id = p->st.benchmark_id;
	int stored = bl_store_add_run(p->to, &copy, NULL, p->err);
	if (stored == BL_STORE_ALREADY_STORED) {
		/* Another writer stored this repetition since the case was opened. */
		bl_error_clear(p->err);
		p->t->runs_present++;
		return 0;
	}
	if (stored != 0)
		return -1;
	p->t->runs_added++;
	return 0;
}

int bl_store_copy(struct bl_store *from, struct bl_store *to, struct bl_copy_totals *t, struct bl_error *err)
{
	memset(t, 0, sizeof(*t));
	struct copy p = {.to = to, .err = err, .t = t};
	static const struct bl_export_visitor visitor = {
		.on_machine = on_machine,
		.on_commit = on_commit,
		.on_build = on_build,
		.on_case = on_case,
		.on_run = on_run,
	};
	int ret = bl_store_export(from, &visitor, &p, err);
	if (ret == 0)
		ret = finish_case(&p, true);
	else
		finish_case(&p, false);
	free(p.machines);
	free(p.warmups_seen);
	return ret;
}
