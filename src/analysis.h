/* analysis.h - what compare, detect and bisect share in the CLI: the
 * significance level and noise floors (flags over benchline.yaml over
 * defaults), verdict names and how a metric's direction is decided. */
#ifndef BENCHLINE_CLI_ANALYSIS_H
#define BENCHLINE_CLI_ANALYSIS_H

#include "cli.h"
#include "benchline/stats.h"
#include "benchline/verdict.h"

#include <stdio.h>

/* Verdicts (enum bl_report_verdict, names, markdown marks, the judgement of
 * two sides) come from benchline/verdict.h, shared with the reports. */
/* "1 regressed, 2 improved, 5 unchanged" (zero counts left out). */
void cli_print_verdict_counts(FILE *f, const size_t counts[BL_RV_COUNT]);

/* The direction of a metric: as recorded, or from its unit when unknown
 * (time and byte units: lower; units ending in "/s": higher). */
enum bl_better cli_metric_direction(enum bl_better recorded, const char *unit);

struct cli_analysis {
	double alpha;
	bool floor_forced;        /* --noise-floor given: it wins over the config */
	double forced_floor;
	struct bl_analysis_cfg cfg; /* from benchline.yaml, or the defaults */
	bool have_config;
	char floor_text[64];      /* for summaries: "1%" or "1% (per-metric floors in benchline.yaml)" */
};
/* Reads the 'analysis' section of ctx->config_path when the file exists
 * (config_required: it must exist), then applies --alpha and --noise-floor.
 * Prints the error and returns -1 on bad values. */
int cli_analysis_init(struct cli_analysis *an, const char *cmd, const struct cli_context *ctx, bool config_required,
		      const char *alpha_opt, const char *floor_opt);
void cli_analysis_release(struct cli_analysis *an);
double cli_analysis_floor(const struct cli_analysis *an, const char *metric);

/* A CSV cell: quoted when needed, formulas (=, +, -, @) neutralised. */
void cli_csv_field(FILE *f, const char *s);

/* `benchline compare --gbench OLD NEW` (src/compare-gbench.c). */
int cli_compare_gbench(const char *old_path, const char *new_path, const char *alpha_opt, const char *format);

#endif
