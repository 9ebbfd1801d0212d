/*
 * store_common.c - what the SQLite and PostgreSQL backends share: the
 * timestamp format, checks on what is about to be stored, the metric
 * dictionary cache and the columns of a device report.
 */
#include "store_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void bl_store_format_iso_ms(int64_t unix_ns, char out[32])
{
	int64_t ms = unix_ns / 1000000;
	if (unix_ns % 1000000 < 0)
		ms--;
	int64_t secs = ms / 1000, frac = ms % 1000;
	if (frac < 0) {
		frac += 1000;
		secs--;
	}
	time_t t = (time_t)secs;
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03dZ", (int)frac);
}

int64_t bl_store_parse_iso_seconds(const char *s)
{
	struct tm tm = {0};
	int year, mon, day, hour, min, sec;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &year, &mon, &day, &hour, &min, &sec) != 6)
		return 0;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	return (int64_t)timegm(&tm);
}

int bl_store_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

bool bl_store_has_id(const int64_t *ids, size_t n, int64_t id)
{
	return n && bsearch(&id, ids, n, sizeof(*ids), bl_store_cmp_i64);
}

int64_t bl_store_parse_iso_ns(const char *s)
{
	int64_t secs = bl_store_parse_iso_seconds(s);
	if (!secs)
		return 0;
	int ms = 0;
	const char *dot = strchr(s, '.');
	if (dot && sscanf(dot + 1, "%3d", &ms) != 1)
		ms = 0;
	return secs * 1000000000LL + (int64_t)ms * 1000000LL;
}

char *bl_store_truncate_utf8(const char *s, size_t max_chars)
{
	size_t chars = 0, i = 0;
	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (chars == max_chars)
				break;
			chars++;
		}
	}
	return bl_xstrndup(s, i);
}

bool bl_store_is_json_object(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);
	bool ok = j && json_is_object(j);
	json_decref(j);
	return ok;
}

enum bl_better bl_store_better_from_text(const char *t)
{
	enum bl_better b = BL_BETTER_UNKNOWN;
	if (!t || bl_better_parse(t, &b) != 0)
		return BL_BETTER_UNKNOWN;
	return b;
}

int bl_store_check_case_key(const struct bl_case_key *key, const char **params, const char **metadata,
			    struct bl_error *err)
{
	if (!key->repository || !key->commit_sha || !key->name || !key->suite_hash || !*key->name)
		return bl_fail(err, "cannot open benchmark case: repository, commit, name and suite hash are required");
	*params = key->params_json ? key->params_json : "{}";
	*metadata = key->metadata_json ? key->metadata_json : "{}";
	if (!bl_store_is_json_object(*params))
		return bl_fail(err, "cannot open benchmark case '%s': params are not a JSON object: %s", key->name,
			       *params);
	if (!bl_store_is_json_object(*metadata))
		return bl_fail(err, "cannot open benchmark case '%s': metadata is not a JSON object", key->name);
	return 0;
}

int bl_store_check_run(const struct bl_run_record *r, char *what, size_t what_size, struct bl_error *err)
{
	snprintf(what, what_size, "cannot store %s run %d of benchmark %lld", r->warmup ? "warm-up" : "measured",
		 r->index, (long long)r->benchmark_id);
	if (!r->status || !*r->status)
		return bl_fail(err, "%s: it has no status", what);
	if (r->index < 0)
		return bl_fail(err, "%s: negative index", what);
	if (r->n_metrics && !r->metrics)
		return bl_fail(err, "%s: metrics missing", what);
	if (r->n_metrics > BL_STORE_VALUES_PER_RUN)
		return bl_fail(err, "%s: %zu metrics, more than the %d a run can hold", what, r->n_metrics,
			       BL_STORE_VALUES_PER_RUN);
	if (r->n_measurements && !r->measurements)
		return bl_fail(err, "%s: measurements missing", what);
	if (r->n_samples && !r->samples)
		return bl_fail(err, "%s: device samples missing", what);
	return 0;
}

/* ---- the metric dictionary cache -------------------------------------------------------------------------------- */

struct bl_dict_slot {
	char *name; /* owned; NULL: the slot is free */
	char *unit; /* owned; NULL when the metric has no unit */
	enum bl_better better;
	uint64_t hash;
	int64_t key; /* metric_names.metric_key */
};

/* FNV-1a over name, unit (a NULL unit hashes apart from "") and direction. */
static uint64_t metric_hash(const struct bl_metric *m)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (const unsigned char *p = (const unsigned char *)m->name; *p; p++)
		h = (h ^ *p) * 0x100000001b3u;
	h = (h ^ 0xff) * 0x100000001b3u;
	if (m->unit)
		for (const unsigned char *p = (const unsigned char *)m->unit; *p; p++)
			h = (h ^ *p) * 0x100000001b3u;
	else
		h = (h ^ 0xfe) * 0x100000001b3u;
	return (h ^ (uint64_t)m->better) * 0x100000001b3u;
}

static bool same_metric(const struct bl_dict_slot *e, uint64_t hash, const struct bl_metric *m)
{
	if (e->hash != hash || e->better != m->better || strcmp(e->name, m->name) != 0)
		return false;
	if (!e->unit || !m->unit)
		return !e->unit && !m->unit;
	return strcmp(e->unit, m->unit) == 0;
}

/* The slot holding m, or the free slot where it belongs (cap > 0). */
static struct bl_dict_slot *dict_slot(const struct bl_metric_dict *d, uint64_t hash, const struct bl_metric *m)
{
	size_t mask = d->cap - 1;
	for (size_t i = (size_t)hash & mask;; i = (i + 1) & mask)
		if (!d->slots[i].name || same_metric(&d->slots[i], hash, m))
			return &d->slots[i];
}

static void dict_grow(struct bl_metric_dict *d)
{
	struct bl_dict_slot *old = d->slots;
	size_t old_cap = d->cap;
	d->cap = old_cap ? old_cap * 2 : 64;
	d->slots = bl_xcalloc(d->cap, sizeof(*d->slots));
	for (size_t i = 0; i < old_cap; i++) {
		if (!old[i].name)
			continue;
		size_t mask = d->cap - 1, j = (size_t)old[i].hash & mask;
		while (d->slots[j].name)
			j = (j + 1) & mask;
		d->slots[j] = old[i];
	}
	free(old);
}

bool bl_metric_dict_find(const struct bl_metric_dict *d, const struct bl_metric *m, int64_t *key)
{
	if (!d->cap)
		return false;
	const struct bl_dict_slot *e = dict_slot(d, metric_hash(m), m);
	if (!e->name)
		return false;
	*key = e->key;
	return true;
}

void bl_metric_dict_remember(struct bl_metric_dict *d, const struct bl_metric *m, int64_t key)
{
	if ((d->n + 1) * 2 > d->cap)
		dict_grow(d);
	uint64_t hash = metric_hash(m);
	struct bl_dict_slot *e = dict_slot(d, hash, m);
	if (e->name) {
		e->key = key;
		return;
	}
	*e = (struct bl_dict_slot){
		.name = bl_xstrdup(m->name),
		.unit = m->unit ? bl_xstrdup(m->unit) : NULL,
		.better = m->better,
		.hash = hash,
		.key = key,
	};
	d->n++;
}

void bl_metric_dict_forget(struct bl_metric_dict *d)
{
	if (!d || d->n == 0)
		return;
	for (size_t i = 0; i < d->cap; i++) {
		free(d->slots[i].name);
		free(d->slots[i].unit);
		d->slots[i] = (struct bl_dict_slot){0};
	}
	d->n = 0;
}

void bl_metric_dict_free(struct bl_metric_dict *d)
{
	if (!d)
		return;
	bl_metric_dict_forget(d);
	free(d->slots);
	free(d->keys);
	free(d);
}

/* ---- device reports ---------------------------------------------------------------------------------------------- */

const char *const bl_store_proc_columns[BL_STORE_N_PROC_COLUMNS] = {"cpu_util", "mem_megabytes", "procs",
								    "sys_cpu_util", "sys_mem_megabytes"};
const char *const bl_store_gpu_columns[BL_STORE_N_GPU_COLUMNS] = {
	"gpu_util", "gpu_mem_megabytes", "gpu_power_w", "gpu_temp_c", "gpu_sm_clock_mhz", "gpu_clock_reasons",
	"gpu_proc_mem_megabytes"};

void bl_store_device_stats_sql(struct bl_buf *b, const char *run_param)
{
	bl_buf_puts(b, "SELECT gpu_index, count(DISTINCT t_ns), min(t_ns), max(t_ns)");
	for (size_t i = 0; i < BL_STORE_N_PROC_COLUMNS; i++)
		bl_buf_printf(b, ", count(%s), min(%s), avg(%s), max(%s)", bl_store_proc_columns[i],
			      bl_store_proc_columns[i], bl_store_proc_columns[i], bl_store_proc_columns[i]);
	for (size_t i = 0; i < BL_STORE_N_GPU_COLUMNS; i++)
		bl_buf_printf(b, ", count(%s), min(%s), avg(%s), max(%s)", bl_store_gpu_columns[i],
			      bl_store_gpu_columns[i], bl_store_gpu_columns[i], bl_store_gpu_columns[i]);
	bl_buf_printf(b, " FROM device_measurements WHERE run_id = %s GROUP BY gpu_index ORDER BY gpu_index NULLS FIRST",
		      run_param);
}
