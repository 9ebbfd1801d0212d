/*
 * export.h - every result of a store written as files for other tools
 * (`benchline export --format csv|json`).
 *
 * CSV: one file per table in the layout of the transformers benchmark v1
 * CSV output (benchmarks.csv, device_measurements.csv,
 * model_measurements.csv and benchmark_summary.csv, a join of each case with
 * the mean, max, standard deviation and count of its device columns), plus
 * benchline's own tables (machines.csv, commits.csv, builds.csv, runs.csv,
 * metrics.csv). RFC 4180 quoting; a text cell that a spreadsheet would take
 * for a formula (first character =, +, -, @, tab or carriage return) is
 * prefixed with an apostrophe, while numbers are written as numbers.
 *
 * JSON: one document {"machines": [...], "commits": [...], "builds": [...],
 * "benchmarks": [{..., "runs": [{..., "metrics": [...],
 * "model_measurements": [...], "device_samples": [...]}]}]}, written as the
 * store is read, so memory does not grow with the store.
 */
#ifndef BENCHLINE_EXPORT_H
#define BENCHLINE_EXPORT_H

#include "benchline/store.h"

#include <stdio.h>

struct bl_export_counts {
	size_t machines, commits, builds, cases, runs, metrics, samples, measurements;
};

/* Writes the CSV files into dir (created if needed; files of the same names
 * are replaced, each written whole under a temporary name first). */
int bl_export_csv(struct bl_store *s, const char *dir, struct bl_export_counts *n, struct bl_error *err);
/* Writes the JSON document to out. */
int bl_export_json(struct bl_store *s, FILE *out, struct bl_export_counts *n, struct bl_error *err);

/* Appends a CSV cell for text t (NULL: empty) to f: quoted when needed,
 * neutralised when it could be read as a formula. */
void bl_csv_text(FILE *f, const char *t);

#endif
