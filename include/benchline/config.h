/*
 * config.h - benchline.yaml: what to build and which benchmarks to run.
 *
 * The parser is strict: unknown keys, wrong types, missing fields, duplicate
 * names and references to undeclared parameters are errors reported as
 * "FILE:LINE:COLUMN: message (expected ...)". Nothing is silently defaulted
 * except the documented defaults below.
 *
 * File format (see docs/CONFIG.md for the full reference):
 *
 *   version: 1
 *   suite: [bench/]                 # files that make up the benchmark suite
 *   build:
 *     command: make -j2             # string or argv list; run by /bin/sh only with shell: true
 *     shell: false
 *     timeout: 600                  # seconds
 *     env: {CFLAGS: -O2}
 *   sampling:
 *     interval_ms: 10               # device sampling period; 0 turns it off
 *   analysis:
 *     alpha: 0.01                   # significance level of compare/detect/bisect
 *     noise_floor: 1%               # smallest change reported
 *     noise_floors: {peak_memory: 5%}
 *   report:
 *     commit_url: https://github.com/OWNER/REPO/commit/{sha}
 *     title: mylib performance
 *   defaults:
 *     warmup: 1
 *     repetitions: 5
 *     timeout: 60
 *   benchmarks:
 *     - name: compress
 *       command: [./bench, --level, "{level}"]
 *       cwd: .                      # relative to the checkout of the commit
 *       env: {LEVEL: "{level}"}
 *       params: {level: [1, 9]}
 *       warmup: 1
 *       repetitions: 10
 *       timeout: 30
 *       files: current              # current (default) | commit
 *       metrics:
 *         from: protocol
 *         better: {ratio: higher}
 */
#ifndef BENCHLINE_CONFIG_H
#define BENCHLINE_CONFIG_H

#include "benchline/common.h"

enum bl_better {
	BL_BETTER_UNKNOWN = 0,
	BL_BETTER_LOWER,
	BL_BETTER_HIGHER,
};
const char *bl_better_name(enum bl_better b); /* "lower", "higher", NULL for unknown */
int bl_better_parse(const char *s, enum bl_better *out); /* 0 on "lower"/"higher" */

/* Where a benchmark's suite files come from at each commit. */
enum bl_suite_files {
	BL_FILES_CURRENT = 0, /* files of the user's current working tree (default) */
	BL_FILES_COMMIT,      /* files as they are in each benchmarked commit */
};

struct bl_kv {
	char *key;
	char *value;
};

/* A command: an argv list, or one string. A string is split into words
 * (quotes honoured, no expansion) unless shell is set, in which case it is
 * run as /bin/sh -c STRING. */
struct bl_command {
	struct bl_strvec argv; /* words, or {the string} when shell */
	bool shell;
	int line, column;      /* where it was declared */
};

struct bl_param {
	char *name;
	struct bl_strvec values; /* scalar values as written */
};

struct bl_metric_decl {
	char *name;
	enum bl_better better;
};

struct bl_benchmark_cfg {
	char *name;
	struct bl_command command;
	char *cwd;              /* NULL: root of the checkout; may contain {param} */
	struct bl_kv *env;      /* values may contain {param} */
	size_t n_env;
	struct bl_param *params; /* declaration order */
	size_t n_params;
	int warmup;             /* >= 0 */
	int repetitions;        /* >= 1 */
	double timeout_s;       /* > 0 */
	enum bl_suite_files files;
	char *metrics_from;	     /* "protocol" or a format of adapter.h ("gbench", ...) */
	char *metrics_file;	     /* where a format's output is, relative to the run's
					directory; NULL: $BENCHLINE_RESULTS_FILE if the run
					wrote it, else its standard output */
	char *metrics_pattern;	     /* regex only: the pattern */
	struct bl_kv *metrics_units; /* regex only: unit of each named group */
	size_t n_metrics_units;
	struct bl_metric_decl *metrics; /* declared directions */
	size_t n_metrics;
	int line, column;
};

struct bl_build_cfg {
	struct bl_command *commands; /* run in order; none means nothing to build */
	size_t n_commands;
	double timeout_s;
	struct bl_kv *env;
	size_t n_env;
};

/* The device sampler (CPU, memory, GPU of each run). */
struct bl_sampling_cfg {
	int interval_ms;        /* >= 0, default 10; 0: off */
};

/* 'analysis': how compare, detect and bisect judge a change. */
struct bl_metric_floor {
	char *metric;
	double floor;           /* relative, e.g. 0.02 for 2% */
};

struct bl_analysis_cfg {
	double alpha;           /* significance level, default 0.01 */
	double noise_floor;     /* relative effect floor, default 0.01 (1%) */
	struct bl_metric_floor *floors; /* per-metric floors, overriding noise_floor */
	size_t n_floors;
};
/* The noise floor for metric (its own when declared, else the default). */
double bl_analysis_floor(const struct bl_analysis_cfg *a, const char *metric);
void bl_analysis_defaults(struct bl_analysis_cfg *a);
/* "1%", "0.5 %" or a plain number of percent ("1") to a fraction; -1 when
 * s is not a finite number >= 0 and < 1000. */
int bl_parse_percent(const char *s, double *out);

/* 'report': how `benchline report` presents the results. */
struct bl_report_cfg {
	char *commit_url;       /* http(s) URL template with {sha}, or NULL */
	char *title;            /* page title, or NULL for the repository's name */
};
void bl_report_cfg_release(struct bl_report_cfg *r);
/* 0 when url is an http(s) URL with {sha} and nothing that could leave an
 * HTML attribute; else -1 with the reason ("must start with https://..."). */
int bl_report_url_check(const char *url, struct bl_error *err);

struct bl_config {
	char *path;             /* file it was read from */
	int version;
	struct bl_strvec suite; /* suite paths relative to the repository root */
	struct bl_build_cfg build;
	struct bl_sampling_cfg sampling;
	struct bl_analysis_cfg analysis;
	struct bl_report_cfg report;
	char *db;               /* 'db': the database when neither --db nor BENCHLINE_DB gives one (a path
				   relative to the repository, or a postgresql:// URL), NULL when not set */
	struct bl_benchmark_cfg *benchmarks;
	size_t n_benchmarks;
	/* sha256 of the config file's bytes; the suite hash adds the suite files */
	char file_hash[65];
};

/* Parses text (as read from path, which is only used in messages). */
int bl_config_parse(const char *path, const char *text, size_t len, struct bl_config *cfg, struct bl_error *err);
int bl_config_load(const char *path, struct bl_config *cfg, struct bl_error *err);
void bl_config_release(struct bl_config *cfg);
/* Only the top-level 'db' of the file (*db NULL when absent, else owned by the caller): the rest of the document
 * must be YAML with a mapping at the top but is not checked, so a mistake elsewhere stops only the commands that
 * read it. */
int bl_config_parse_db(const char *path, const char *text, size_t len, char **db, struct bl_error *err);
int bl_config_load_db(const char *path, char **db, struct bl_error *err);
/* The first of names that is no benchmark of cfg, NULL when all are. */
const char *bl_config_unknown_benchmark(const struct bl_config *cfg, const char *const *names, size_t n);

/* The commented example written by `benchline init`. */
const char *bl_config_example(void);

/*
 * One benchmark case: a benchmark with one combination of its parameters,
 * with every {param} already substituted.
 */
struct bl_case {
	const struct bl_benchmark_cfg *bench; /* borrowed from the config */
	struct bl_kv *params;       /* name=value in declaration order (owned) */
	size_t n_params;
	char *params_json;          /* canonical JSON object of params, e.g. {"level":"1"} */
	char *label;                /* "name" or "name[level=1,mode=fast]" */
	struct bl_command command;  /* substituted */
	char *cwd;                  /* substituted, NULL for checkout root */
	struct bl_kv *env;          /* substituted */
	size_t n_env;
	char *metrics_file;         /* the benchmark's metrics 'file', substituted; NULL when none */
};

/* Expands every benchmark into its cartesian product of parameter values,
 * in declaration order (last parameter varies fastest). */
int bl_config_cases(const struct bl_config *cfg, struct bl_case **cases, size_t *n, struct bl_error *err);
void bl_cases_free(struct bl_case *cases, size_t n);

/* Splits a command string into words: whitespace separates, '...' and "..."
 * quote, backslash escapes outside single quotes. Fails on an open quote. */
int bl_split_words(const char *s, struct bl_strvec *out, struct bl_error *err);

#endif
