/* report_internal.h - what the writers of the HTML report share (not public):
 *   report_html.c      the site: directory, assets, commits.js, index, series and compare pages
 *   report_html_run.c  the run pages (device timelines), through bl_store_case_runs
 *   report_site.c      the directory: checked, and a site written aside and moved in
 */
#ifndef BENCHLINE_REPORT_INTERNAL_H
#define BENCHLINE_REPORT_INTERNAL_H

#include "benchline/report.h"

/* lib/report_assets/, embedded at build time by cmake/embed.cmake. */
extern const unsigned char bl_asset_report_js[];
extern const size_t bl_asset_report_js_len;
extern const unsigned char bl_asset_report_css[];
extern const size_t bl_asset_report_css_len;

/* report_site.c: whether dir may take a report (missing: *exists false; a
 * file, or a directory holding other things than an earlier report: -1),
 * and removing the entries an earlier report wrote there. */
int bl_report_dir_check(const char *dir, bool *exists, struct bl_error *err);
int bl_report_dir_clear(const char *dir, struct bl_error *err);

/* Files written so far, for the summary. */
struct bl_site {
	const char *dir;
	struct bl_report_site_stats *stats;
};

/* Writes dir/rel (atomically) and counts it. */
int bl_site_write(struct bl_site *site, const char *rel, const struct bl_buf *content, struct bl_error *err);

/* The start of a page up to and including <body ...><header>...</header><main>; root is
 * the way back to the site's top ("" or "../"); current is "index", "compare" or NULL. */
void bl_page_begin(struct bl_buf *b, const struct bl_report *r, const char *root, const char *page_kind,
		   const char *title, const char *current);
/* </main>, the error and self-test holders and the scripts; commits: load commits.js too. */
void bl_page_end(struct bl_buf *b, const char *root, bool commits);
/* An <a> to the commit's web page when a URL template is set, else the short SHA in <code>. */
void bl_page_commit(struct bl_buf *b, const struct bl_report *r, const char *sha);
/* "+1.2%" (or "-" when not finite). */
void bl_page_percent(struct bl_buf *b, double ratio);

/* A run page written for a case: links from series pages. */
struct bl_run_link {
	int64_t benchmark_id;
	int64_t run_id;
	int index;
};
/* Writes runs/r<RUN>.html for the measured runs of the cases at the head
 * commit and on both sides of each change point, at most max_pages; the links
 * come back sorted by benchmark_id, then index. */
int bl_report_run_pages(const struct bl_report *r, struct bl_store *store, size_t max_pages, struct bl_site *site,
			struct bl_run_link **links, size_t *n_links, struct bl_error *err);

#endif
