/*
 * store_internal.h - what the store backends (SQLite, PostgreSQL) share, so
 * that both store the same things the same way. Not public: the rest of
 * benchline reaches the store through benchline/store.h.
 *
 *   store.c          picks a backend, redacts URLs for messages
 *   store_common.c   timestamps, validation of what is stored, the metric
 *                    dictionary cache, the columns of a device report
 */
#ifndef BENCHLINE_STORE_INTERNAL_H
#define BENCHLINE_STORE_INTERNAL_H

#include "benchline/store.h"

/* metric_values.value_id is run_id * BL_STORE_VALUES_PER_RUN + seq in both
 * backends (docs/SCHEMA.md); it also bounds the metrics of one run. */
#define BL_STORE_VALUES_PER_RUN 1000000
#define BL_STORE_STR(x) BL_STORE_STR_(x)
#define BL_STORE_STR_(x) #x

#define BL_STORE_COMMIT_MESSAGE_CHARS 70 /* transformers v1: commit_message VARCHAR(70) */
#define BL_STORE_MIB (1024.0 * 1024.0)    /* device megabytes are MiB, as psutil/gpustat */

/* ISO-8601 UTC with milliseconds, "2026-11-26T15:30:00.123Z" (rounded down),
 * the one timestamp format of the schema. */
void bl_store_format_iso_ms(int64_t unix_ns, char out[32]);
/* Unix seconds of such a timestamp (or of "YYYY-MM-DDTHH:MM:SS..."), 0 when
 * s is NULL or not one. */
int64_t bl_store_parse_iso_seconds(const char *s);
/* qsort order of int64_t, and whether id is among ids[0..n) (ascending):
 * how foreach_value's runs keep out the cases of other repositories. */
int bl_store_cmp_i64(const void *a, const void *b);
bool bl_store_has_id(const int64_t *ids, size_t n, int64_t id);
/* The same in nanoseconds, with the milliseconds when s has them. */
int64_t bl_store_parse_iso_ns(const char *s);
/* First max_chars characters of a UTF-8 string, never cutting a character. */
char *bl_store_truncate_utf8(const char *s, size_t max_chars);
bool bl_store_is_json_object(const char *text);
/* "lower" / "higher" / anything else (NULL included): unknown. */
enum bl_better bl_store_better_from_text(const char *t);

/* Checks a case key before anything is written; sets *params and *metadata
 * to the JSON to store ("{}" when not given). */
int bl_store_check_case_key(const struct bl_case_key *key, const char **params, const char **metadata,
			    struct bl_error *err);
/* Writes "cannot store measured run N of benchmark B" into what and checks
 * the record as far as it can be checked without a database. */
int bl_store_check_run(const struct bl_run_record *r, char *what, size_t what_size, struct bl_error *err);

/*
 * The metric dictionary cache: (name, unit, better) -> metric_names.metric_key,
 * so a sweep reporting the same metrics on every run looks each one up in
 * SQL once. A backend forgets every key after a failed transaction: a
 * rolled-back key may be handed out again to another metric by another
 * writer. keys is scratch for the backend: the key of each metric of the run
 * being stored.
 */
struct bl_dict_slot;
struct bl_metric_dict {
	struct bl_dict_slot *slots; /* open addressing, linear probing; cap is a power of two */
	size_t cap, n;
	int64_t *keys;
	size_t keys_cap;
};
bool bl_metric_dict_find(const struct bl_metric_dict *d, const struct bl_metric *m, int64_t *key);
void bl_metric_dict_remember(struct bl_metric_dict *d, const struct bl_metric *m, int64_t key);
void bl_metric_dict_forget(struct bl_metric_dict *d);
void bl_metric_dict_free(struct bl_metric_dict *d); /* and d itself */

/* Reading device_measurements back (rows ordered by t_ns, then gpu_index
 * with NULL first): a row starts a new sample unless it is the next GPU of
 * the sample before it (last: that sample, NULL at the first row; gpu: the
 * row's gpu_index, -1 for NULL). */
static inline bool bl_store_row_starts_sample(const struct bl_sample *last, int64_t t_ns, int gpu)
{
	return !last || last->t_ns != t_ns || gpu < last->n_gpus || gpu < 0;
}

/* The columns `show --device` summarises: process and system columns (the
 * same in every GPU's row of a sample), then the per-GPU ones. */
extern const char *const bl_store_proc_columns[];
extern const char *const bl_store_gpu_columns[];
#define BL_STORE_N_PROC_COLUMNS 5
#define BL_STORE_N_GPU_COLUMNS 7
/* SELECT gpu_index, count(DISTINCT t_ns), min(t_ns), max(t_ns), then
 * count/min/avg/max of each column above, of run run_param ("?1", "$1"),
 * one row per gpu_index (NULL first). */
void bl_store_device_stats_sql(struct bl_buf *b, const char *run_param);

#endif
