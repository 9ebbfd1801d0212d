/* gbench.c - reading Google Benchmark JSON and comparing two files the way
 * google/benchmark's tools/compare.py does (see gbench.h for the rules). */
#include "benchline/gbench.h"
#include "benchline/stats.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- loading ---- */

static const struct {
	const char *name;
	double seconds;
} time_units[] = {
    {"ns", 1e-9},
    {"us", 1e-6},
    {"ms", 1e-3},
    {"s", 1.0},
};

static double unit_seconds(const char *unit)
{
	for (size_t i = 0; i < sizeof(time_units) / sizeof(time_units[0]); i++)
		if (!strcmp(unit, time_units[i].name))
			return time_units[i].seconds;
	return 0;
}

static char *str_field(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return bl_xstrdup(json_is_string(v) ? json_string_value(v) : "");
}

static long long index_field(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

static enum bl_gbench_run_type run_type_field(json_t *obj)
{
	json_t *v = json_object_get(obj, "run_type");
	const char *s = json_is_string(v) ? json_string_value(v) : "";
	if (!strcmp(s, "aggregate"))
		return BL_GBENCH_RUN_AGGREGATE;
	if (!strcmp(s, "iteration"))
		return BL_GBENCH_RUN_ITERATION;
	return BL_GBENCH_RUN_UNSPECIFIED;
}

static void entry_free(struct bl_gbench_entry *e)
{
	free(e->name);
	free(e->run_name);
	free(e->label);
	free(e->aggregate_name);
	for (size_t i = 0; i < e->n_counters; i++)
		free(e->counters[i].name);
	free(e->counters);
}

/* Members Google Benchmark itself writes; any other number is a counter. */
static const char *const own_fields[] = {
    "name",
    "family_index",
    "per_family_instance_index",
    "run_name",
    "run_type",
    "repetitions",
    "repetition_index",
    "threads",
    "iterations",
    "real_time",
    "cpu_time",
    "time_unit",
    "aggregate_name",
    "aggregate_unit",
    "label",
    "error_occurred",
    "error_message",
    "skipped",
    "skip_message",
    "big_o",
    "cpu_coefficient",
    "real_coefficient",
    "rms",
    NULL,
};

static void entry_counters(json_t *obj, struct bl_gbench_entry *e)
{
	const char *key;
	json_t *v;
	size_t cap = 0;
	json_t *it = json_object_get(obj, "iterations");
	e->iterations = json_is_number(it) ? json_number_value(it) : -1;
	json_t *au = json_object_get(obj, "aggregate_unit");
	snprintf(e->aggregate_unit, sizeof(e->aggregate_unit), "%s", json_is_string(au) ? json_string_value(au) : "");
	json_object_foreach(obj, key, v)
	{
		bool own = false;
		for (size_t i = 0; own_fields[i] && !own; i++)
			own = !strcmp(key, own_fields[i]);
		if (own || !json_is_number(v))
			continue;
		BL_GROW(e->counters, cap, e->n_counters + 1);
		e->counters[e->n_counters].name = bl_xstrdup(key);
		e->counters[e->n_counters++].value = json_number_value(v);
	}
}

/*
 * The times of one entry. BigO and RMS aggregates carry coefficients instead
 * of times; that is normal and leaves has_times 0. A repetition without
 * them is a broken file.
 */
static int entry_times(const char *path, json_t *obj, struct bl_gbench_entry *e, struct bl_error *err)
{
	json_t *rt = json_object_get(obj, "real_time"), *ct = json_object_get(obj, "cpu_time");
	json_t *tu = json_object_get(obj, "time_unit");
	int aggregate = e->run_type == BL_GBENCH_RUN_AGGREGATE;
	if (json_is_string(tu)) {
		const char *u = json_string_value(tu);
		if (!unit_seconds(u))
			return bl_fail(
			    err,
			    "'%s': benchmarks[%zu] (\"%s\") has unknown time_unit \"%s\" (expected ns, us, ms or s)",
			    path, e->index, e->name, u);
		snprintf(e->time_unit, sizeof(e->time_unit), "%s", u);
	}
	if (json_is_number(rt) && json_is_number(ct) && e->time_unit[0]) {
		e->real_time = json_number_value(rt);
		e->cpu_time = json_number_value(ct);
		e->has_times = 1;
		return 0;
	}
	if (aggregate)
		return 0;
	if (!json_is_number(rt))
		return bl_fail(err, "'%s': benchmarks[%zu] (\"%s\") has no \"real_time\" number", path, e->index,
			       e->name);
	if (!json_is_number(ct))
		return bl_fail(err, "'%s': benchmarks[%zu] (\"%s\") has no \"cpu_time\" number", path, e->index,
			       e->name);
	return bl_fail(err, "'%s': benchmarks[%zu] (\"%s\") has no \"time_unit\" string", path, e->index, e->name);
}

static int parse_entry(const char *path, json_t *obj, size_t index, struct bl_gbench_entry *e, struct bl_error *err)
{
	memset(e, 0, sizeof(*e));
	e->index = index;
	if (!json_is_object(obj))
		return bl_fail(err, "'%s': benchmarks[%zu] is not an object", path, index);
	json_t *name = json_object_get(obj, "name");
	if (!json_is_string(name))
		return bl_fail(err, "'%s': benchmarks[%zu] has no \"name\" string", path, index);
	e->name = bl_xstrdup(json_string_value(name));
	e->run_name = str_field(obj, "run_name");
	e->label = str_field(obj, "label");
	e->aggregate_name = str_field(obj, "aggregate_name");
	e->run_type = run_type_field(obj);
	e->error_occurred =
	    json_is_true(json_object_get(obj, "error_occurred")) || json_is_true(json_object_get(obj, "skipped"));
	e->family_index = index_field(obj, "family_index");
	e->per_family_instance_index = index_field(obj, "per_family_instance_index");
	e->repetition_index = index_field(obj, "repetition_index");
	entry_counters(obj, e);
	return entry_times(path, obj, e, err);
}

/* compare.py's sort_benchmark_results as one stable sort on the full key. */
static int cmp_ll(long long a, long long b)
{
	return (a > b) - (a < b);
}

static int cmp_entry(const void *pa, const void *pb)
{
	const struct bl_gbench_entry *a = pa, *b = pb;
	int c = cmp_ll(a->family_index, b->family_index);
	if (!c)
		c = cmp_ll(a->per_family_instance_index, b->per_family_instance_index);
	if (!c)
		c = cmp_ll(a->run_type == BL_GBENCH_RUN_AGGREGATE, b->run_type == BL_GBENCH_RUN_AGGREGATE);
	if (!c)
		c = cmp_ll(a->repetition_index, b->repetition_index);
	if (!c) /* stability: file order */
		c = (a->index > b->index) - (a->index < b->index);
	return c;
}

/* FNV-1a of a name, for the grouping index. */
static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Groups by name in first-seen order, through an open-addressing index of
 * the groups (slot: group number + 1), so a file of many thousand names
 * groups in linear time. */
static void group(struct bl_gbench_file *f)
{
	size_t cap = 0, n_slots = 16;
	while (n_slots < 2 * f->n_entries)
		n_slots *= 2;
	size_t *slots = bl_xcalloc(n_slots, sizeof(*slots));
	for (size_t i = 0; i < f->n_entries; i++) {
		const struct bl_gbench_entry *e = &f->entries[i];
		if (!e->has_times)
			continue;
		size_t k = (size_t)name_hash(e->name) & (n_slots - 1);
		while (slots[k] && strcmp(f->benches[slots[k] - 1].name, e->name))
			k = (k + 1) & (n_slots - 1);
		if (!slots[k]) {
			BL_GROW(f->benches, cap, f->n_benches + 1);
			memset(&f->benches[f->n_benches], 0, sizeof(*f->benches));
			f->benches[f->n_benches].name = bl_xstrdup(e->name);
			slots[k] = ++f->n_benches;
		}
		struct bl_gbench_bench *b = &f->benches[slots[k] - 1];
		if (b->n == 0) {
			b->run_type = e->run_type;
			memcpy(b->time_unit, e->time_unit, sizeof(b->time_unit));
		} else if (strcmp(b->time_unit, e->time_unit)) {
			continue;
		}
		b->real_time = bl_xrealloc(b->real_time, (b->n + 1) * sizeof(double));
		b->cpu_time = bl_xrealloc(b->cpu_time, (b->n + 1) * sizeof(double));
		b->real_time[b->n] = e->real_time;
		b->cpu_time[b->n] = e->cpu_time;
		b->n++;
	}
	free(slots);
}

static int check_schema(const char *path, json_t *root, struct bl_error *err)
{
	json_t *v = json_object_get(json_object_get(root, "context"), "json_schema_version");
	if (v && (!json_is_integer(v) || json_integer_value(v) != 1))
		return bl_fail(err, "'%s': unsupported json_schema_version (expected 1)", path);
	return 0;
}

static int parse_root(const char *path, json_t *root, struct bl_gbench_file *out, struct bl_error *err)
{
	json_t *arr = json_object_get(root, "benchmarks");
	if (!json_is_object(root) || !json_is_array(arr))
		return bl_fail(err, "'%s' has no \"benchmarks\" array: not Google Benchmark JSON output", path);
	if (check_schema(path, root, err))
		return -1;
	size_t n = json_array_size(arr);
	out->entries = bl_xcalloc(n, sizeof(*out->entries));
	for (size_t i = 0; i < n; i++) {
		int rc = parse_entry(path, json_array_get(arr, i), i, &out->entries[i], err);
		out->n_entries = i + 1; /* freed by the caller even when half made */
		if (rc)
			return -1;
	}
	qsort(out->entries, out->n_entries, sizeof(*out->entries), cmp_entry);
	group(out);
	return 0;
}

int bl_gbench_parse(const char *path, const char *text, size_t len, struct bl_gbench_file *out, struct bl_error *err)
{
	memset(out, 0, sizeof(*out));
	json_error_t jerr;
	json_t *root = json_loadb(text, len, 0, &jerr);
	if (!root)
		return bl_fail(err, "'%s':%d:%d: invalid JSON: %s", path, jerr.line, jerr.column, jerr.text);
	out->path = bl_xstrdup(path);
	int rc = parse_root(path, root, out, err);
	json_decref(root);
	if (rc)
		bl_gbench_file_free(out);
	return rc;
}

int bl_gbench_load(const char *path, struct bl_gbench_file *out, struct bl_error *err)
{
	struct bl_buf b;
	memset(out, 0, sizeof(*out));
	bl_buf_init(&b);
	if (bl_read_file(path, &b, err)) {
		bl_buf_release(&b);
		return -1;
	}
	int rc = bl_gbench_parse(path, b.data, b.len, out, err);
	bl_buf_release(&b);
	return rc;
}

void bl_gbench_file_free(struct bl_gbench_file *f)
{
	for (size_t i = 0; i < f->n_entries; i++)
		entry_free(&f->entries[i]);
	for (size_t i = 0; i < f->n_benches; i++) {
		free(f->benches[i].name);
		free(f->benches[i].real_time);
		free(f->benches[i].cpu_time);
	}
	free(f->entries);
	free(f->benches);
	free(f->path);
	memset(f, 0, sizeof(*f));
}

const struct bl_gbench_bench *bl_gbench_find(const struct bl_gbench_file *f, const char *name)
{
	for (size_t i = 0; i < f->n_benches; i++)
		if (!strcmp(f->benches[i].name, name))
			return &f->benches[i];
	return NULL;
}

/* ---- comparing ---- */

double bl_gbench_change(double old_v, double new_v)
{
	if (old_v == 0 && new_v == 0)
		return 0;
	if (old_v == 0)
		return (new_v - old_v) / ((old_v + new_v) / 2);
	return (new_v - old_v) / fabs(old_v);
}

/* The first entry of a name in a file (for its label and kind). */
static const struct bl_gbench_entry *first_entry(const struct bl_gbench_file *f, const char *name)
{
	for (size_t i = 0; i < f->n_entries; i++)
		if (f->entries[i].has_times && !strcmp(f->entries[i].name, name))
			return &f->entries[i];
	return NULL;
}

/* The new side: entries of the name in the old side's unit, in order. */
static size_t collect(const struct bl_gbench_file *f, const char *name, const char *unit, double **real, double **cpu)
{
	size_t n = 0;
	*real = bl_xmalloc((f->n_entries + 1) * sizeof(double));
	*cpu = bl_xmalloc((f->n_entries + 1) * sizeof(double));
	for (size_t i = 0; i < f->n_entries; i++) {
		const struct bl_gbench_entry *e = &f->entries[i];
		if (e->has_times && !strcmp(e->name, name) && !strcmp(e->time_unit, unit)) {
			(*real)[n] = e->real_time;
			(*cpu)[n] = e->cpu_time;
			n++;
		}
	}
	return n;
}

static void utest(struct bl_gbench_row *r, const struct bl_gbench_bench *old, const double *real_new,
		  const double *cpu_new, size_t n_new)
{
	if (old->n < BL_GBENCH_UTEST_MIN_REPS || n_new < BL_GBENCH_UTEST_MIN_REPS)
		return;
	struct bl_mwu t, c;
	if (bl_mann_whitney(old->real_time, old->n, real_new, n_new, &t) ||
	    bl_mann_whitney(old->cpu_time, old->n, cpu_new, n_new, &c))
		return;
	r->has_utest = 1;
	r->time_p = t.p;
	r->cpu_p = c.p;
	r->utest_unreliable = old->n < BL_GBENCH_UTEST_OPTIMAL_REPS || n_new < BL_GBENCH_UTEST_OPTIMAL_REPS;
}

static void measure(struct bl_gbench_measurement *m, double ro, double rn, double co, double cn)
{
	m->real_old = ro;
	m->real_new = rn;
	m->cpu_old = co;
	m->cpu_new = cn;
	m->time_change = bl_gbench_change(ro, rn);
	m->cpu_change = bl_gbench_change(co, cn);
}

/* Fills row r for one old group; 0 when the new file has nothing to pair. */
static int bench_row(const struct bl_gbench_file *a, const struct bl_gbench_bench *old, const struct bl_gbench_file *b,
		     struct bl_gbench_row *r)
{
	double *real_new, *cpu_new;
	size_t n_new = collect(b, old->name, old->time_unit, &real_new, &cpu_new);
	size_t pairs = old->n < n_new ? old->n : n_new;
	if (pairs == 0) {
		free(real_new);
		free(cpu_new);
		return 0;
	}
	const struct bl_gbench_entry *first = first_entry(a, old->name);
	memset(r, 0, sizeof(*r));
	r->name = bl_xstrdup(old->name);
	r->label = bl_xstrdup(first->label);
	r->run_type = first->run_type;
	r->aggregate_name = bl_xstrdup(first->run_type == BL_GBENCH_RUN_AGGREGATE ? first->aggregate_name : "");
	memcpy(r->time_unit, old->time_unit, sizeof(r->time_unit));
	r->n_old = old->n;
	r->n_new = n_new;
	r->n_m = pairs;
	r->m = bl_xcalloc(pairs, sizeof(*r->m));
	for (size_t i = 0; i < pairs; i++)
		measure(&r->m[i], old->real_time[i], real_new[i], old->cpu_time[i], cpu_new[i]);
	utest(r, old, real_new, cpu_new, n_new);
	free(real_new);
	free(cpu_new);
	return 1;
}

/*
 * scipy.stats.gmean of the (real, cpu) pairs in seconds of every
 * non-aggregate entry: exp of the mean log. Returns 0 when there are none,
 * like compare.py's empty array.
 */
static int geomean(const struct bl_gbench_file *f, double *real, double *cpu)
{
	double sr = 0, sc = 0;
	size_t n = 0;
	for (size_t i = 0; i < f->n_entries; i++) {
		const struct bl_gbench_entry *e = &f->entries[i];
		if (e->run_type == BL_GBENCH_RUN_AGGREGATE)
			continue;
		double k = unit_seconds(e->time_unit);
		sr += log(e->real_time * k);
		sc += log(e->cpu_time * k);
		n++;
	}
	if (n == 0)
		return 0;
	*real = exp(sr / (double)n);
	*cpu = exp(sc / (double)n);
	return 1;
}

/* compare.py adds the row when either geometric mean of each file is
 * non-zero (numpy's any(); NaN counts as non-zero). */
static int geomean_row(const struct bl_gbench_file *a, const struct bl_gbench_file *b, struct bl_gbench_row *r)
{
	double ra, ca, rb, cb;
	if (!geomean(a, &ra, &ca) || !geomean(b, &rb, &cb))
		return 0;
	if ((ra == 0 && ca == 0) || (rb == 0 && cb == 0))
		return 0;
	memset(r, 0, sizeof(*r));
	r->name = bl_xstrdup("OVERALL_GEOMEAN");
	r->label = bl_xstrdup("");
	r->aggregate_name = bl_xstrdup("geomean");
	r->run_type = BL_GBENCH_RUN_AGGREGATE;
	strcpy(r->time_unit, "s");
	r->is_geomean = 1;
	r->n_m = 1;
	r->n_old = r->n_new = 1;
	r->m = bl_xcalloc(1, sizeof(*r->m));
	measure(r->m, ra, rb, ca, cb);
	return 1;
}

int bl_gbench_compare(const struct bl_gbench_file *a, const struct bl_gbench_file *b, struct bl_gbench_row **rows,
		      size_t *n, struct bl_error *err)
{
	if (!a || !b || !rows || !n)
		return bl_fail(err, "gbench compare: missing argument");
	struct bl_gbench_row *r = bl_xcalloc(a->n_benches + 1, sizeof(*r));
	size_t k = 0;
	for (size_t i = 0; i < a->n_benches; i++)
		k += (size_t)bench_row(a, &a->benches[i], b, &r[k]);
	k += (size_t)geomean_row(a, b, &r[k]);
	*rows = r;
	*n = k;
	return 0;
}

void bl_gbench_rows_free(struct bl_gbench_row *rows, size_t n)
{
	if (!rows)
		return;
	for (size_t i = 0; i < n; i++) {
		free(rows[i].name);
		free(rows[i].label);
		free(rows[i].aggregate_name);
		free(rows[i].m);
	}
	free(rows);
}
