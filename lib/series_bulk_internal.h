/* series_bulk_internal.h - what the two halves of bl_series_load_bulk share:
 * series_bulk.c reads the store into parts, series_bulk_set.c merges them
 * into a series set. */
#ifndef BENCHLINE_SERIES_BULK_INTERNAL_H
#define BENCHLINE_SERIES_BULK_INTERNAL_H

#include "benchline/series.h"

#define NONE UINT32_MAX
#define MAX_PARTS 64

/* Interned strings: an open-addressing table over an arena of chunks. */
struct intern {
	const char **slots;
	size_t cap, n;
	char **chunks;
	size_t n_chunks, cap_chunks, chunk_used, chunk_size;
};

/* What a set loaded in bulk owns besides its series (bl_series_set.bulk). */
struct bl_series_bulk {
	struct intern strings;
	double **pools; /* one per part, and the merged slices' (the last) */
	size_t n_pools;
};

struct metric_map {
	int64_t key;
	uint32_t canon; /* NONE: filtered out */
	enum bl_better better;
	bool dropped;   /* left out by keep_metric: its values still make a case measured */
};

struct canon {
	const char *name, *unit; /* interned; no unit is "", as bl_series_load has it */
};

struct family {
	const char *name, *params, *machine; /* interned */
	int64_t machine_id;
};

struct bcase {
	int64_t benchmark_id, commit_time;
	const char *sha, *subject, *status, *suite_hash;
	uint32_t family, first; /* first: the case's first merged slice, NONE when it has no value */
	int runs_failed;
	bool dropped_values; /* has values of metrics keep_metric left out: no point, but not failed */
};

/* What the parts share: the metrics, filled before any value and only read
 * while the parts run; the cases, which part 0's thread fills while the
 * other parts read values (so parts never look at them). */
struct loader {
	const struct bl_point_query *q;
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

/* The values of one case for one (name, unit), in a part's pool. */
struct slot {
	uint32_t canon, next; /* next slot of the same case, NONE at the end */
	uint32_t off, n, cap; /* in the part's pool */
	enum bl_better better;
};

/* A case as one part saw it. */
struct pcase {
	int64_t benchmark_id;
	uint32_t first_slot; /* NONE: no value in this part */
	int runs_failed;
	bool dropped_values;
};

/* One part of the values (bl_store_foreach_value_parts): its own cases,
 * slots and pool, so that parts run at once without locks. */
struct part_loader {
	struct loader *ld;
	struct bl_error err;
	struct pcase *cases;   /* in the order met */
	size_t n_cases, cap_cases;
	uint32_t *table;       /* open addressing over cases by benchmark_id, NONE empty */
	size_t table_cap;
	uint32_t memo;         /* the last case met */
	struct slot *slots;
	size_t n_slots, cap_slots;
	double *values;
	int32_t *idx;
	size_t n_values, cap_values, cap_idx;
	uint32_t *typical_n;   /* by canon: the most values a slot has held, the room a new one gets */
};

const char *bl_bulk_intern(struct intern *t, const char *s);
/* The part's case of benchmark_id, or NULL when it met none. */
const struct pcase *bl_bulk_part_case(const struct part_loader *p, int64_t benchmark_id);
/* The set from the loaded cases and parts; the pools move to out->bulk. */
void bl_bulk_build_set(struct loader *ld, struct part_loader *parts, unsigned n_parts, struct bl_series_set *out);

#endif
