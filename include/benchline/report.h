/* report.h - what `benchline report` shows, and the writers that show it.
 *
 * The data model (lib/report_data.c) is built from the stored series
 * (series.h), the first-parent history of one commit, the change points of
 * every series (detect.h) and the comparison of two commits (stats.h, the
 * same judgement as `benchline compare`). The writers turn it into a static,
 * self-contained HTML site (lib/report_html.c, lib/report_html_run.c, with
 * the JavaScript and CSS of lib/report_assets/ built in), a markdown summary
 * (lib/report_md.c) and SVG charts (lib/report_svg.c). docs/REPORT.md
 * describes what each page shows.
 *
 * Everything that comes from the database or from git (names, parameters,
 * machine names, subjects, authors) is untrusted text: the writers escape it
 * for the place it lands in (lib/report_escape.c).
 */
#ifndef BENCHLINE_REPORT_H
#define BENCHLINE_REPORT_H

#include "benchline/common.h"
#include "benchline/config.h"
#include "benchline/detect.h"
#include "benchline/git.h"
#include "benchline/series.h"
#include "benchline/stats.h"
#include "benchline/store.h"
#include "benchline/verdict.h"

#include <stdint.h>

#define BL_REPORT_NONE ((size_t)-1)

/* One commit of the report's history (first-parent line, oldest first). */
struct bl_report_commit {
	char sha[BL_SHA_HEX + 1];
	char *subject;
	char *author;
	int64_t time; /* commit time, Unix seconds */
};

/* How a change reads for people (enum bl_report_verdict): benchline/verdict.h,
 * the same words and judgement as `benchline compare`. */

/* A series at one commit of the history. */
struct bl_report_point {
	size_t pos;                       /* position in the history */
	const struct bl_series_point *pt; /* borrowed; NULL for a case that has no value of any metric there */
	const char *status;               /* case status (complete, failed, build-failed, ...) */
	bool failed;                      /* the build or a run failed: a gap, whatever values it has */
	/* Of the values (n == 0 when failed): the fields of struct bl_summary that
	 * reports show, computed as bl_summarize does (a long history has
	 * millions of points: the whole summary would triple the model's size). */
	struct bl_report_summary {
		size_t n;
		double median, min, max, mad;
		double median_lo, median_hi; /* the median's 95% interval; min and max when !ci_valid */
		int ci_valid;
	} sum;
};

struct bl_report_series {
	const struct bl_series *s; /* borrowed from the series set */
	size_t id;                 /* pages are series/s<id>.html */
	enum bl_better better;     /* declared, or from the unit (bl_metric_direction) */
	double floor;              /* noise floor of its metric */
	struct bl_report_point *pts; /* by position; measured points and failures */
	size_t n_pts;
	struct bl_change *changes; /* change points along the history, by position */
	size_t n_changes;
	size_t latest;             /* index in pts of the newest measured point, BL_REPORT_NONE if none */
	size_t previous;           /* the measured point before it, or BL_REPORT_NONE */
	double latest_change;      /* median(latest) / median(previous) - 1; NAN without previous */
	/* previous against latest, judged as `benchline compare` would */
	struct bl_comparison latest_cmp;
	bool latest_cmp_done;
	enum bl_report_verdict latest_verdict; /* BL_RV_MISSING without a previous point */
};

/* A detected change point of one series. */
struct bl_report_event {
	size_t series, change;
	enum bl_report_verdict verdict; /* regressed, improved or changed */
};

/* One row of the compare view: a series at the base and head commits. */
struct bl_report_row {
	size_t series;
	const struct bl_report_point *old_pt, *new_pt; /* NULL when not measured there */
	const char *problem;                           /* why there is no comparison, or NULL */
	struct bl_comparison cmp;
	enum bl_report_verdict verdict;
};

typedef int (*bl_detect_fn)(const struct bl_obs *obs, size_t n_obs, const struct bl_detect_opts *opts,
			    struct bl_change **out, size_t *n_out, struct bl_error *err);

struct bl_report_opts {
	const char *title;        /* NULL: the repository's directory name */
	const char *repository;   /* shown in the header */
	const char *commit_url;   /* URL template with {sha} (bl_report_url_check), or NULL */
	const struct bl_analysis_cfg *analysis; /* alpha and noise floors; NULL: defaults */
	double alpha;             /* compare's level; <= 0: analysis->alpha */
	double noise_floor;       /* > 0: this floor for every metric, over analysis */
	struct bl_detect_opts detect; /* noise_floor is replaced by the metric's floor */
	bl_detect_fn detect_fn;   /* NULL: bl_detect */
	/* Which series: metrics (none: every metric except bl_metric_is_auxiliary
	 * ones; "all": every metric) and benchmarks (none: all). */
	const char *const *metrics;
	size_t n_metrics;
	const char *const *benchmarks;
	size_t n_benchmarks;
	/* Compare view: positions of the two commits; BL_REPORT_NONE: head is
	 * the newest commit with a measurement, base the one before it. */
	size_t base_pos, head_pos;
	/* Threads that build series and write their pages (each series is
	 * independent); 0: one per CPU online. The result is the same. */
	unsigned threads;
};
void bl_report_opts_default(struct bl_report_opts *o);
/* The threads to use for n_items items: asked (0: CPUs online), at most 64 and n_items, at least 1. */
unsigned bl_report_threads(unsigned asked, size_t n_items);

struct bl_report {
	char *title, *repository, *commit_url;
	int64_t generated_at; /* Unix seconds */
	struct bl_report_commit *commits; /* the history, oldest first (owned) */
	size_t n_commits;
	struct bl_report_series *series;  /* ordered as the series set: label, machine, metric */
	size_t n_series;
	struct bl_report_event *events;   /* newest first, larger effects first within a commit */
	size_t n_events;
	size_t event_counts[BL_RV_COUNT];
	size_t base_pos, head_pos;        /* compare view, BL_REPORT_NONE when there is nothing to compare */
	struct bl_report_row *rows;       /* regressions first, as `benchline compare` orders them */
	size_t n_rows;
	size_t counts[BL_RV_COUNT];       /* of rows by verdict */
	double alpha;
	bool multi_machine;               /* series come from more than one machine */
	unsigned threads;                 /* opts.threads: for the writers */
};

/* Builds the model. Takes ownership of commits (n_commits of them, the
 * first-parent history oldest first; released with the report even on
 * failure); set must outlive the report. Points of commits that are not in
 * the history are left out. */
int bl_report_build(const struct bl_series_set *set, struct bl_report_commit *commits, size_t n_commits,
		    const struct bl_report_opts *o, struct bl_report *out, struct bl_error *err);
void bl_report_release(struct bl_report *r);
/* Position of sha (a full SHA or a unique prefix of 7+ hex digits) in the history, or BL_REPORT_NONE. */
size_t bl_report_find(const struct bl_report *r, const char *sha);
/* "name[k=v] metric" or, with several machines, "... @machine". Owned by the caller. */
char *bl_report_series_title(const struct bl_report *r, const struct bl_report_series *s);

/* ---- writers ------------------------------------------------------------------------------------------------ */

/* The HTML site in dir (created; a previous report there is replaced, any
 * other non-empty directory is refused): index.html, compare.html,
 * series/s<ID>.html, runs/r<RUN>.html for the runs of the head commit and
 * of the commits on both sides of each change point (at most max_run_pages;
 * store NULL: none), commits.js, assets/report.js and assets/report.css. */
struct bl_report_site_stats {
	size_t files, series_pages, run_pages;
	uint64_t bytes;
};
int bl_report_write_html(const struct bl_report *r, struct bl_store *store, size_t max_run_pages, const char *dir,
			 struct bl_report_site_stats *stats, struct bl_error *err);

/* Markdown for a CI job summary or a pull-request comment: detected
 * regressions and the compare view's regressions first, then a compact table
 * of every series; never longer than max_bytes (GitHub refuses comments over
 * 65,536 characters): rows that do not fit are left out with a note saying
 * how many. max_bytes below 1024 is taken as 1024. */
void bl_report_markdown(const struct bl_report *r, size_t max_bytes, struct bl_buf *out);

/* Writing a site aside and moving it in (report_site.c): bl_report_stage
 * checks dir as bl_report_write_html does (new, empty, or an earlier report;
 * created when new), locks it against another report, and makes an empty
 * staging directory inside it (path) to write the site into; after every
 * writer succeeded, bl_report_stage_commit swaps each entry a report owns
 * into dir (the index last) and removes what they replaced, entries of
 * dir that no report writes left alone (a move that fails undoes the ones
 * made before it and returns -1); on failure bl_report_stage_abort
 * removes the staging directory and dir keeps its previous report. Both
 * release the lock. A report killed while writing leaves dir as it was,
 * and a staging directory the next bl_report_stage removes. */
struct bl_report_staging {
	char *dir, *path;
	int lock_fd;
};
int bl_report_stage(struct bl_report_staging *st, const char *dir, struct bl_error *err);
int bl_report_stage_commit(struct bl_report_staging *st, struct bl_error *err);
void bl_report_stage_abort(struct bl_report_staging *st);

/* One SVG chart of a series (median line, confidence band, every run, gaps,
 * change points, axes) of width x height pixels. */
void bl_report_svg_chart(const struct bl_report *r, const struct bl_report_series *s, int width, int height,
			 struct bl_buf *out);
/* A small inline SVG sparkline of the series' medians (at most max_points,
 * the history bucketed). */
void bl_report_svg_sparkline(const struct bl_report_series *s, size_t n_commits, int width, int height,
			     struct bl_buf *out);
/* Writes dir/s<ID>.svg for every series; the names are returned in files
 * (paths, owned by the caller). */
int bl_report_write_svgs(const struct bl_report *r, const char *dir, int width, int height, struct bl_strvec *files,
			 struct bl_error *err);

/* PNG pictures through headless Chromium (lib/report_png.c). The browser:
 * $BENCHLINE_CHROMIUM, else the first of chromium, chromium-browser,
 * google-chrome and google-chrome-stable found in PATH; NULL when none
 * (owned by the caller). */
char *bl_report_find_chromium(void);
/* Renders svg_path (a file) as png_path of width x height pixels. */
int bl_report_png(const char *chromium, const char *svg_path, const char *png_path, int width, int height,
		  struct bl_error *err);

/* ---- text helpers (lib/report_escape.c) ------------------------------------------------------------------- */

/* HTML text and attribute values: & < > " ' escaped; control characters
 * (but tab and newline) and invalid UTF-8 become U+FFFD. */
void bl_html_escape(struct bl_buf *b, const char *s);
/* A JSON string literal ("...") that is also safe inside an HTML <script>
 * element and attribute: < > & ' as \u003c..., U+2028/U+2029 escaped,
 * invalid UTF-8 as U+FFFD. */
void bl_json_string(struct bl_buf *b, const char *s);
/* Markdown table cell text: | \ ` * _ [ ] < > & and control characters made inert. */
void bl_md_escape(struct bl_buf *b, const char *s);
/* Appends a number with 6 significant digits in JSON syntax (non-finite: null). */
void bl_json_number(struct bl_buf *b, double v);
/* Unicode sparkline of values (one of ▁▂▃▄▅▆▇█ per value, scaled between the
 * minimum and maximum; NAN values, the gaps, as gap_char). */
void bl_sparkline(const double *v, size_t n, const char *gap_char, struct bl_buf *out);
/* The bar for v between lo and hi (the middle one when lo == hi), " " for NAN. */
const char *bl_spark_glyph(double v, double lo, double hi);
/* The medians of the measured points of a series within [first_pos,
 * first_pos + n_positions), split into at most width equal groups, the
 * median of each group's medians. Returns the count. */
size_t bl_report_series_buckets(const struct bl_report_series *s, size_t first_pos, size_t n_positions,
				size_t width, double *out);

/* The compact number stream of series pages (docs/REPORT.md): unsigned
 * integers as base-44 digits, least significant first, every digit but the
 * last from the continuation half of BL_REPORT_DIGITS. */
#define BL_REPORT_DIGITS_HALF 44
extern const char BL_REPORT_DIGITS[2 * BL_REPORT_DIGITS_HALF + 1];
void bl_report_put_uint(struct bl_buf *b, uint64_t v);
/* Signed, zigzag-coded first (0, -1, 1, -2, ... -> 0, 1, 2, 3, ...). */
void bl_report_put_int(struct bl_buf *b, int64_t v);
/* Reads back one number from *p (for tests); -1 on a malformed stream. */
int bl_report_get_uint(const char **p, uint64_t *v);

/* The resolution of a series' values in the HTML data: a power of ten, 6
 * significant digits of its typical value (the median of its medians).
 * coarse (a site with more than BL_REPORT_FINE_VALUES values in all, where
 * size matters) makes it as coarse as 1/20 of the series' typical spread at
 * one commit (the median of its MADs): rounding then moves a value by at most
 * 1/40 of that noise. Never so fine that a value needs more than 2^50 steps.
 * 0 when the series has no value. */
#define BL_REPORT_FINE_VALUES 1000000
double bl_report_quantum(const struct bl_report_series *s, bool coarse);

#endif
