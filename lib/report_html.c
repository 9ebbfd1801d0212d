/* report_html.c - the static HTML site of `benchline report` (report.h):
 * index.html (every series, detected changes, filters), series/s<ID>.html
 * (one chart per series, its data as one compact JSON blob), compare.html,
 * commits.js (the history, shared by the series pages) and the assets.
 * Run pages are in report_html_run.c. Every string from the database or git
 * goes through bl_html_escape or bl_json_string (report_escape.c). */
#include "report_internal.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GENERATOR "benchline " BENCHLINE_VERSION
#define MAX_INDEX_EVENTS 2000
/* Changes listed at first; the others are in a hidden <tbody> the page shows on request (a click, a filter, a
 * sort): laying out 316 rows made the index of a 10,000-commit history interactive 350 ms later in Chromium. */
#define INDEX_EVENTS_FIRST 50

/* ---- the site's files -------------------------------------------------------------------------------------- */

int bl_site_write(struct bl_site *site, const char *rel, const struct bl_buf *content, struct bl_error *err)
{
	char *path = bl_xasprintf("%s/%s", site->dir, rel);
	int rc = bl_write_file_atomic(path, content->data, content->len, err);
	free(path);
	if (rc == 0 && site->stats) {
		site->stats->files++;
		site->stats->bytes += content->len;
	}
	return rc;
}

/* dir made or emptied of an earlier report (report_site.c says which directories may be). */
static int prepare_dir(const char *dir, struct bl_error *err)
{
	bool exists;
	if (bl_report_dir_check(dir, &exists, err))
		return -1;
	return exists ? bl_report_dir_clear(dir, err) : bl_mkdirs(dir, 0755, err);
}

/* ---- page parts -------------------------------------------------------------------------------------------- */

static void fmt_date(int64_t t, char out[32])
{
	bl_format_utc(t, out);
	out[10] = ' ';
	out[16] = '\0'; /* "2026-01-02 15:04" */
}

void bl_page_begin(struct bl_buf *b, const struct bl_report *r, const char *root, const char *page_kind,
		   const char *title, const char *current)
{
	bl_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		       "<meta name=\"generator\" content=\"" GENERATOR "\">\n"
		       /* Nothing but the report's own files: no network, and an injected inline script or
			* handler would not run even if escaping failed. */
		       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'self'; "
		       "style-src 'self'; img-src 'self' data:; form-action 'none'; base-uri 'none'\">\n"
		       "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
	bl_html_escape(b, title);
	/* the index's heading is the report's title: said once */
	bool own_title = strcmp(page_kind, "index") != 0;
	if (own_title) {
		bl_buf_puts(b, " \xe2\x80\x94 ");
		bl_html_escape(b, r->title);
	}
	bl_buf_printf(b, "</title>\n<link rel=\"stylesheet\" href=\"%sassets/report.css\">\n</head>\n", root);
	bl_buf_printf(b, "<body data-page=\"%s\">\n<header class=\"bl-top\">\n<nav>", page_kind);
	bl_buf_printf(b, "<a href=\"%sindex.html\"%s>Series</a>", root,
		      current && !strcmp(current, "index") ? " aria-current=\"page\"" : "");
	bl_buf_printf(b, "<a href=\"%scompare.html\"%s>Compare</a>", root,
		      current && !strcmp(current, "compare") ? " aria-current=\"page\"" : "");
	bl_buf_puts(b, "</nav>\n<h1>");
	bl_html_escape(b, title);
	bl_buf_puts(b, "</h1>\n<p class=\"bl-meta\">");
	const char *sep = "";
	if (own_title) {
		bl_html_escape(b, r->title);
		sep = " \xc2\xb7 ";
	}
	if (r->repository && *r->repository) {
		bl_buf_puts(b, sep);
		bl_html_escape(b, r->repository);
		sep = " \xc2\xb7 ";
	}
	if (r->n_commits) {
		const struct bl_report_commit *head = &r->commits[r->n_commits - 1];
		bl_buf_printf(b, "%sfirst-parent history of <code>%.10s</code>, %zu commit%s", sep, head->sha,
			      r->n_commits, r->n_commits == 1 ? "" : "s");
		sep = " \xc2\xb7 ";
	}
	char when[32];
	fmt_date(r->generated_at, when);
	bl_buf_printf(b, "%sgenerated %s UTC by " GENERATOR "</p>\n</header>\n<main>\n", sep, when);
}

void bl_page_end(struct bl_buf *b, const char *root, bool commits)
{
	bl_buf_puts(b, "<pre id=\"bl-errors\" hidden></pre>\n</main>\n");
	if (commits)
		bl_buf_printf(b, "<script data-bl src=\"%scommits.js\"></script>\n", root);
	bl_buf_printf(b, "<script data-bl src=\"%sassets/report.js\"></script>\n</body>\n</html>\n", root);
}

void bl_page_commit(struct bl_buf *b, const struct bl_report *r, const char *sha)
{
	if (r->commit_url) {
		bl_buf_puts(b, "<a class=\"sha\" rel=\"noopener noreferrer\" target=\"_blank\" href=\"");
		/* the template was checked (bl_report_url_check); sha is hex */
		const char *t = r->commit_url, *hole;
		struct bl_buf url;
		bl_buf_init(&url);
		while ((hole = strstr(t, "{sha}")) != NULL) {
			bl_buf_append(&url, t, (size_t)(hole - t));
			bl_buf_puts(&url, sha);
			t = hole + 5;
		}
		bl_buf_puts(&url, t);
		bl_html_escape(b, url.data);
		bl_buf_release(&url);
		bl_buf_printf(b, "\">%.10s</a>", sha);
	} else {
		bl_buf_printf(b, "<code class=\"sha\">%.10s</code>", sha);
	}
}

void bl_page_percent(struct bl_buf *b, double ratio)
{
	if (isfinite(ratio))
		bl_buf_printf(b, "%+.1f%%", 100 * ratio);
	else
		bl_buf_puts(b, "-");
}

static void page_value(struct bl_buf *b, double v, const char *unit)
{
	char tmp[64];
	bl_format_value(v, unit, tmp, sizeof(tmp));
	bl_html_escape(b, tmp);
}

static const char *better_text(enum bl_better b)
{
	return b == BL_BETTER_LOWER ? "lower is better \xe2\x86\x93" : b == BL_BETTER_HIGHER ? "higher is better \xe2\x86\x91" : "direction unknown";
}

static const char *verdict_class(enum bl_report_verdict v)
{
	switch (v) {
	case BL_RV_REGRESSED: return "v-regressed";
	case BL_RV_IMPROVED: return "v-improved";
	case BL_RV_CHANGED: return "v-changed";
	case BL_RV_FAILED: return "v-failed";
	default: return "";
	}
}

/* The params of a series as "k=v" lines (for the filters), in the order of its JSON object. */
static void param_lines(const struct bl_series *s, struct bl_strvec *out)
{
	json_t *o = s->params_json ? json_loads(s->params_json, 0, NULL) : NULL;
	const char *key;
	json_t *val;
	if (o && json_is_object(o))
		json_object_foreach(o, key, val)
		{
			if (json_is_string(val))
				bl_strvec_pushf(out, "%s=%s", key, json_string_value(val));
			else {
				char *t = json_dumps(val, JSON_ENCODE_ANY | JSON_COMPACT);
				bl_strvec_pushf(out, "%s=%s", key, t ? t : "?");
				free(t);
			}
		}
	json_decref(o);
}

/* data-* attributes the filters of the index read. */
static void filter_attrs(struct bl_buf *b, const struct bl_report_series *rs)
{
	struct bl_strvec params;
	bl_strvec_init(&params);
	param_lines(rs->s, &params);
	bl_buf_puts(b, " data-b=\"");
	bl_html_escape(b, rs->s->name);
	bl_buf_puts(b, "\" data-p=\"");
	for (size_t i = 0; i < params.n; i++) {
		if (i)
			bl_buf_puts(b, "&#10;");
		bl_html_escape(b, params.v[i]);
	}
	bl_buf_puts(b, "\" data-m=\"");
	bl_html_escape(b, rs->s->metric);
	bl_buf_puts(b, "\" data-h=\"");
	bl_html_escape(b, rs->s->machine);
	bl_buf_puts(b, "\"");
	bl_strvec_release(&params);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void unique_sorted(struct bl_strvec *v)
{
	if (v->n < 2)
		return;
	qsort(v->v, v->n, sizeof(char *), cmp_str);
	size_t out = 1;
	for (size_t i = 1; i < v->n; i++) {
		if (!strcmp(v->v[i], v->v[out - 1])) {
			free(v->v[i]);
			continue;
		}
		v->v[out++] = v->v[i];
	}
	v->n = out;
	v->v[out] = NULL;
}

static void filter_select(struct bl_buf *b, const char *id, const char *label, struct bl_strvec *values)
{
	unique_sorted(values);
	bl_buf_printf(b, "<label>%s <select id=\"%s\"><option value=\"\">all</option>", label, id);
	for (size_t i = 0; i < values->n; i++) {
		bl_buf_puts(b, "<option value=\"");
		bl_html_escape(b, values->v[i]);
		bl_buf_puts(b, "\">");
		bl_html_escape(b, values->v[i]);
		bl_buf_puts(b, "</option>");
	}
	bl_buf_puts(b, "</select></label>\n");
}

static void series_link(struct bl_buf *b, const struct bl_report *r, const struct bl_report_series *rs,
			const char *root, size_t focus_pos)
{
	bl_buf_printf(b, "<a href=\"%sseries/s%zu.html", root, rs->id);
	if (focus_pos != BL_REPORT_NONE)
		bl_buf_printf(b, "#c=%zu", focus_pos);
	bl_buf_puts(b, "\">");
	bl_html_escape(b, rs->s->label);
	bl_buf_puts(b, "</a>");
	(void)r;
}

static void change_cells(struct bl_buf *b, const struct bl_change *c)
{
	bl_buf_printf(b, "<td class=\"num\" data-v=\"%.6g\">", c->change);
	bl_page_percent(b, c->change);
	bl_buf_puts(b, "</td><td class=\"num\">[");
	bl_page_percent(b, c->change_lo);
	bl_buf_puts(b, ", ");
	bl_page_percent(b, c->change_hi);
	bl_buf_printf(b, "]</td><td class=\"num\" data-v=\"%.6g\">", c->p);
	if (c->p < 0.0001)
		bl_buf_puts(b, "&lt;0.0001");
	else
		bl_buf_printf(b, "%.4f", c->p);
	bl_buf_puts(b, "</td>");
}

/* ---- index.html -------------------------------------------------------------------------------------------- */

static void index_events(struct bl_buf *b, const struct bl_report *r)
{
	bl_buf_puts(b, "<section>\n<h2>Detected changes <small>newest first: the first commit at each new level, "
		       "its effect with 95% CI and the rank test's p</small></h2>\n");
	if (r->n_events == 0) {
		bl_buf_puts(b, "<p class=\"bl-empty\">No change point was detected along the history.</p>\n</section>\n");
		return;
	}
	bl_buf_printf(b, "<p class=\"bl-note\">%zu regression%s, %zu improvement%s, %zu change%s of metrics without "
			 "a direction.</p>\n",
		      r->event_counts[BL_RV_REGRESSED], r->event_counts[BL_RV_REGRESSED] == 1 ? "" : "s",
		      r->event_counts[BL_RV_IMPROVED], r->event_counts[BL_RV_IMPROVED] == 1 ? "" : "s",
		      r->event_counts[BL_RV_CHANGED], r->event_counts[BL_RV_CHANGED] == 1 ? "" : "s");
	bl_buf_puts(b, "<table id=\"events\" class=\"bl-sortable\">\n<thead><tr><th>commit</th><th>subject</th>"
		       "<th>benchmark</th><th>metric</th><th>machine</th><th class=\"num\">effect</th>"
		       "<th class=\"num\">95% CI</th><th class=\"num\">p</th><th>verdict</th></tr></thead>\n<tbody>\n");
	size_t shown = r->n_events < MAX_INDEX_EVENTS ? r->n_events : MAX_INDEX_EVENTS;
	for (size_t i = 0; i < shown; i++) {
		if (i == INDEX_EVENTS_FIRST)
			bl_buf_puts(b, "</tbody>\n<tbody class=\"bl-rest\" hidden>\n");
		const struct bl_report_event *ev = &r->events[i];
		const struct bl_report_series *rs = &r->series[ev->series];
		const struct bl_change *c = &rs->changes[ev->change];
		const struct bl_report_commit *ci = &r->commits[c->pos];
		bl_buf_printf(b, "<tr class=\"%s\"", verdict_class(ev->verdict));
		filter_attrs(b, rs);
		bl_buf_printf(b, "><td data-v=\"%zu\">", c->pos);
		bl_page_commit(b, r, ci->sha);
		size_t gap = c->pos - c->prev_pos - 1;
		if (c->pos > c->prev_pos && gap)
			bl_buf_printf(b, " <small>or one of the %zu unmeasured commit%s before it</small>", gap,
				      gap == 1 ? "" : "s");
		bl_buf_puts(b, "</td><td class=\"text\">");
		bl_html_escape(b, ci->subject);
		bl_buf_puts(b, "</td><td class=\"text\">");
		series_link(b, r, rs, "", c->pos);
		bl_buf_puts(b, "</td><td>");
		bl_html_escape(b, rs->s->metric);
		bl_buf_puts(b, "</td><td>");
		bl_html_escape(b, rs->s->machine);
		bl_buf_puts(b, "</td>");
		change_cells(b, c);
		bl_buf_printf(b, "<td class=\"verdict\">%s</td></tr>\n", bl_report_verdict_name(ev->verdict));
	}
	bl_buf_puts(b, "</tbody></table>\n");
	if (shown > INDEX_EVENTS_FIRST)
		bl_buf_printf(b, "<p class=\"bl-note\"><button type=\"button\" data-rest=\"events\">Show all %zu changes</button> "
				 "(the %d newest are listed; a filter, the search or a sort shows all)</p>\n",
			      shown, INDEX_EVENTS_FIRST);
	if (shown < r->n_events)
		bl_buf_printf(b, "<p class=\"bl-note\">%zu older changes are not listed here; each series page shows all "
				 "of its own.</p>\n",
			      r->n_events - shown);
	bl_buf_puts(b, "</section>\n");
}

static void index_series(struct bl_buf *b, const struct bl_report *r)
{
	bl_buf_puts(b, "<section>\n<h2>Series <small>one metric of one benchmark case on one machine; the change is "
		       "the newest measured commit against the one before it</small></h2>\n");
	bl_buf_puts(b, "<table id=\"series\" class=\"bl-sortable\">\n<thead><tr><th>benchmark</th><th>metric</th>"
		       "<th>machine</th><th>history</th><th class=\"num\">latest</th><th class=\"num\">change</th>"
		       "<th class=\"num\">p</th><th>better</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < r->n_series; i++) {
		const struct bl_report_series *rs = &r->series[i];
		bl_buf_puts(b, "<tr");
		filter_attrs(b, rs);
		bl_buf_puts(b, "><td class=\"text\">");
		series_link(b, r, rs, "", BL_REPORT_NONE);
		bl_buf_puts(b, "</td><td>");
		bl_html_escape(b, rs->s->metric);
		bl_buf_puts(b, "</td><td>");
		bl_html_escape(b, rs->s->machine);
		bl_buf_puts(b, "</td><td class=\"spark\">");
		bl_report_svg_sparkline(rs, r->n_commits, 120, 24, b);
		bl_buf_puts(b, "</td>");
		if (rs->latest != BL_REPORT_NONE) {
			const struct bl_report_point *p = &rs->pts[rs->latest];
			bl_buf_printf(b, "<td class=\"num\" data-v=\"%.6g\" title=\"n=%zu at %.10s\">", p->sum.median,
				      p->sum.n, r->commits[p->pos].sha);
			page_value(b, p->sum.median, rs->s->unit);
			bl_buf_puts(b, "</td>");
		} else {
			bl_buf_puts(b, "<td class=\"num\">-</td>");
		}
		const char *cls = rs->latest_verdict == BL_RV_REGRESSED  ? " worse"
				  : rs->latest_verdict == BL_RV_IMPROVED ? " better"
									 : "";
		bl_buf_printf(b, "<td class=\"num%s\" data-v=\"%.6g\" title=\"%s\">", cls,
			      isfinite(rs->latest_change) ? rs->latest_change : 0,
			      bl_report_verdict_name(rs->latest_verdict));
		bl_page_percent(b, rs->latest_change);
		bl_buf_puts(b, "</td>");
		if (rs->latest_cmp_done)
			bl_buf_printf(b, "<td class=\"num\" data-v=\"%.6g\">%.4f</td>", rs->latest_cmp.mwu.p,
				      rs->latest_cmp.mwu.p);
		else
			bl_buf_puts(b, "<td class=\"num\">-</td>");
		bl_buf_printf(b, "<td>%s</td></tr>\n", better_text(rs->better));
	}
	bl_buf_puts(b, "</tbody></table>\n</section>\n");
}

static int write_index(const struct bl_report *r, struct bl_site *site, struct bl_error *err)
{
	struct bl_buf b;
	bl_buf_init(&b);
	bl_page_begin(&b, r, "", "index", r->title, "index");
	struct bl_strvec benches, params, metrics, machines;
	bl_strvec_init(&benches);
	bl_strvec_init(&params);
	bl_strvec_init(&metrics);
	bl_strvec_init(&machines);
	for (size_t i = 0; i < r->n_series; i++) {
		bl_strvec_push(&benches, r->series[i].s->name);
		param_lines(r->series[i].s, &params);
		bl_strvec_push(&metrics, r->series[i].s->metric);
		bl_strvec_push(&machines, r->series[i].s->machine);
	}
	bl_buf_puts(&b, "<section class=\"bl-filters\" aria-label=\"filters\">\n");
	filter_select(&b, "f-bench", "Benchmark", &benches);
	filter_select(&b, "f-param", "Parameter", &params);
	filter_select(&b, "f-metric", "Metric", &metrics);
	filter_select(&b, "f-machine", "Machine", &machines);
	bl_buf_puts(&b, "<label>Search <input type=\"search\" id=\"f-search\" placeholder=\"name, subject, ...\">"
			"</label>\n<span class=\"bl-count\" id=\"f-count\"></span>\n</section>\n");
	bl_strvec_release(&benches);
	bl_strvec_release(&params);
	bl_strvec_release(&metrics);
	bl_strvec_release(&machines);
	if (r->n_series == 0)
		bl_buf_puts(&b, "<p class=\"bl-empty\">No measured series on this history (run 'benchline run' "
				"first).</p>\n");
	index_events(&b, r);
	index_series(&b, r);
	bl_page_end(&b, "", false);
	int rc = bl_site_write(site, "index.html", &b, err);
	bl_buf_release(&b);
	return rc;
}

/* ---- compare.html ------------------------------------------------------------------------------------------ */

static void compare_side(struct bl_buf *b, const struct bl_report_series *rs, const struct bl_report_point *p)
{
	if (!p || p->sum.n == 0) {
		bl_buf_puts(b, "<td class=\"num\">-</td>");
		return;
	}
	bl_buf_printf(b, "<td class=\"num\" data-v=\"%.6g\">", p->sum.median);
	page_value(b, p->sum.median, rs->s->unit);
	bl_buf_printf(b, " <small>(n=%zu)</small></td>", p->sum.n);
}

static void commit_line(struct bl_buf *b, const struct bl_report *r, const char *tag, size_t pos)
{
	const struct bl_report_commit *c = &r->commits[pos];
	char when[32];
	fmt_date(c->time, when);
	bl_buf_printf(b, "<p><b>%s</b> ", tag);
	bl_page_commit(b, r, c->sha);
	bl_buf_puts(b, " ");
	bl_html_escape(b, c->subject);
	bl_buf_puts(b, " <span class=\"bl-note\">");
	bl_html_escape(b, c->author);
	bl_buf_printf(b, ", %s UTC</span></p>\n", when);
}

static int write_compare(const struct bl_report *r, struct bl_site *site, struct bl_error *err)
{
	struct bl_buf b;
	bl_buf_init(&b);
	bl_page_begin(&b, r, "", "compare", "Compare two commits", "compare");
	if (r->head_pos == BL_REPORT_NONE) {
		bl_buf_puts(&b, "<p class=\"bl-empty\">There are not two measured commits to compare.</p>\n");
	} else {
		commit_line(&b, r, "A", r->base_pos);
		commit_line(&b, r, "B", r->head_pos);
		bl_buf_puts(&b, "<p class=\"bl-note\">");
		bool first = true;
		for (int v = 0; v < BL_RV_COUNT; v++) {
			if (!r->counts[v])
				continue;
			bl_buf_printf(&b, "%s%zu %s", first ? "" : ", ", r->counts[v],
				      bl_report_verdict_name((enum bl_report_verdict)v));
			first = false;
		}
		bl_buf_printf(&b, ". As <code>benchline compare %.10s %.10s</code>: change = ratio of the medians "
				  "minus one, its 95%% CI from the Hodges-Lehmann interval of the log values, p from "
				  "the two-sided Mann-Whitney U test; a change is reported when p &lt; %g and it exceeds "
				  "the metric's noise floor. Click a heading to sort.</p>\n",
			      r->commits[r->base_pos].sha, r->commits[r->head_pos].sha, r->alpha);
		bl_buf_puts(&b, "<table id=\"compare\" class=\"bl-sortable\">\n<thead><tr><th>benchmark</th>"
				"<th>metric</th><th>machine</th><th class=\"num\">A</th><th class=\"num\">B</th>"
				"<th class=\"num\">change</th><th class=\"num\">95% CI</th><th class=\"num\">p</th>"
				"<th>verdict</th></tr></thead>\n<tbody>\n");
		for (size_t i = 0; i < r->n_rows; i++) {
			const struct bl_report_row *row = &r->rows[i];
			const struct bl_report_series *rs = &r->series[row->series];
			bl_buf_printf(&b, "<tr class=\"%s\"><td class=\"text\">", verdict_class(row->verdict));
			series_link(&b, r, rs, "", r->head_pos);
			bl_buf_puts(&b, "</td><td>");
			bl_html_escape(&b, rs->s->metric);
			bl_buf_puts(&b, "</td><td>");
			bl_html_escape(&b, rs->s->machine);
			bl_buf_puts(&b, "</td>");
			compare_side(&b, rs, row->old_pt);
			compare_side(&b, rs, row->new_pt);
			if (row->problem) {
				bl_buf_printf(&b, "<td class=\"num\">-</td><td class=\"num\">-</td><td class=\"num\">-</td>"
						  "<td class=\"verdict\" data-v=\"%d\">%s: %s</td></tr>\n",
					      (int)row->verdict, bl_report_verdict_name(row->verdict), row->problem);
				continue;
			}
			bl_buf_printf(&b, "<td class=\"num\" data-v=\"%.6g\">", row->cmp.change);
			bl_page_percent(&b, row->cmp.change);
			bl_buf_puts(&b, "</td><td class=\"num\">");
			if (row->cmp.ci_valid) {
				bl_buf_puts(&b, "[");
				bl_page_percent(&b, row->cmp.change_lo);
				bl_buf_puts(&b, ", ");
				bl_page_percent(&b, row->cmp.change_hi);
				bl_buf_puts(&b, "]");
			} else {
				bl_buf_puts(&b, "-");
			}
			bl_buf_printf(&b, "</td><td class=\"num\" data-v=\"%.6g\">", row->cmp.mwu.p);
			if (row->cmp.mwu.p < 0.0001)
				bl_buf_puts(&b, "&lt;0.0001");
			else
				bl_buf_printf(&b, "%.4f", row->cmp.mwu.p);
			bl_buf_printf(&b, "</td><td class=\"verdict\" data-v=\"%d\">%s</td></tr>\n", (int)row->verdict,
				      bl_report_verdict_name(row->verdict));
		}
		bl_buf_puts(&b, "</tbody></table>\n");
	}
	bl_page_end(&b, "", false);
	int rc = bl_site_write(site, "compare.html", &b, err);
	bl_buf_release(&b);
	return rc;
}

/* ---- commits.js -------------------------------------------------------------------------------------------- */

static int write_commits(const struct bl_report *r, struct bl_site *site, struct bl_error *err)
{
	struct bl_buf b;
	bl_buf_init(&b);
	bl_buf_puts(&b, "/* the first-parent history of this benchline report: sha, subject, author, time by "
			"position */\nwindow.BL_COMMITS = {\"n\": ");
	bl_buf_printf(&b, "%zu, \"digits\": ", r->n_commits);
	bl_json_string(&b, BL_REPORT_DIGITS);
	bl_buf_puts(&b, ",\n\"sha\": \"");
	for (size_t i = 0; i < r->n_commits; i++)
		bl_buf_puts(&b, r->commits[i].sha);
	bl_buf_puts(&b, "\",\n\"subject\": [");
	for (size_t i = 0; i < r->n_commits; i++) {
		if (i)
			bl_buf_putc(&b, ',');
		bl_json_string(&b, r->commits[i].subject);
	}
	/* authors once each, then an index per commit */
	struct bl_strvec authors;
	bl_strvec_init(&authors);
	size_t *author_of = bl_xcalloc(r->n_commits ? r->n_commits : 1, sizeof(size_t));
	for (size_t i = 0; i < r->n_commits; i++) {
		const char *a = r->commits[i].author ? r->commits[i].author : "";
		size_t k = authors.n;
		/* recent authors first: histories repeat a few names */
		for (size_t j = 0; j < authors.n; j++)
			if (!strcmp(authors.v[authors.n - 1 - j], a)) {
				k = authors.n - 1 - j;
				break;
			}
		if (k == authors.n)
			bl_strvec_push(&authors, a);
		author_of[i] = k;
	}
	bl_buf_puts(&b, "],\n\"authors\": [");
	for (size_t i = 0; i < authors.n; i++) {
		if (i)
			bl_buf_putc(&b, ',');
		bl_json_string(&b, authors.v[i]);
	}
	bl_buf_puts(&b, "],\n\"author\": \"");
	for (size_t i = 0; i < r->n_commits; i++)
		bl_report_put_uint(&b, author_of[i]);
	bl_buf_puts(&b, "\",\n\"time\": \"");
	int64_t prev = 0;
	for (size_t i = 0; i < r->n_commits; i++) {
		bl_report_put_int(&b, r->commits[i].time - prev);
		prev = r->commits[i].time;
	}
	bl_buf_puts(&b, "\"};\n");
	free(author_of);
	bl_strvec_release(&authors);
	int rc = bl_site_write(site, "commits.js", &b, err);
	bl_buf_release(&b);
	return rc;
}

/* ---- series pages ------------------------------------------------------------------------------------------ */

static int cmp_link_bid(const void *a, const void *b)
{
	const struct bl_run_link *x = a, *y = b;
	return (x->benchmark_id > y->benchmark_id) - (x->benchmark_id < y->benchmark_id);
}

static int cmp_double_asc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The JSON blob of one series page (docs/REPORT.md, "Data format"). */
static void series_json(struct bl_buf *b, const struct bl_report *r, const struct bl_report_series *rs,
			const struct bl_run_link *links, size_t n_links, bool coarse)
{
	double q = bl_report_quantum(rs, coarse);
	bl_buf_printf(b, "{\"id\":%zu,\"unit\":", rs->id);
	bl_json_string(b, rs->s->unit);
	bl_buf_printf(b, ",\"better\":\"%s\",\"q\":%.0e,\"digits\":",
		      rs->better == BL_BETTER_LOWER ? "lower" : rs->better == BL_BETTER_HIGHER ? "higher" : "", q);
	bl_json_string(b, BL_REPORT_DIGITS);
	bl_buf_puts(b, ",\"url\":");
	if (r->commit_url)
		bl_json_string(b, r->commit_url);
	else
		bl_buf_puts(b, "null");
	/* layout: runs of consecutive commits with the same number of values (0: a failure) */
	struct bl_buf layout, vals, fail;
	bl_buf_init(&layout);
	bl_buf_init(&vals);
	bl_buf_init(&fail);
	size_t max_n = 0, end = 0; /* end: position after the previous run */
	int64_t first = 0;
	double *sorted = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < rs->n_pts;) {
		const struct bl_report_point *p = &rs->pts[i];
		size_t code = p->failed ? 0 : p->sum.n, len = 1;
		if (!p->failed && p->sum.n == 0) {
			i++; /* nothing to draw */
			continue;
		}
		while (i + len < rs->n_pts && rs->pts[i + len].pos == p->pos + len &&
		       (rs->pts[i + len].failed ? 0 : rs->pts[i + len].sum.n) == code &&
		       (code || rs->pts[i + len].failed))
			len++;
		bl_report_put_uint(&layout, p->pos - end);
		bl_report_put_uint(&layout, len);
		bl_report_put_uint(&layout, code);
		for (size_t k = 0; k < len; k++) {
			const struct bl_report_point *pk = &rs->pts[i + k];
			if (pk->failed) {
				bl_buf_putc(&fail, !strcmp(pk->status, BL_CASE_BUILD_FAILED) ? 'b' : 'f');
				continue;
			}
			size_t n = pk->pt->n_values;
			BL_GROW(sorted, cap, n);
			memcpy(sorted, pk->pt->values, n * sizeof(double));
			if (n > 16) {
				qsort(sorted, n, sizeof(double), cmp_double_asc);
			} else { /* a few repetitions: insertion, without a call per comparison */
				for (size_t a = 1; a < n; a++) {
					double x = sorted[a];
					size_t j = a;
					for (; j > 0 && sorted[j - 1] > x; j--)
						sorted[j] = sorted[j - 1];
					sorted[j] = x;
				}
			}
			int64_t prev = 0;
			for (size_t j = 0; j < n; j++) {
				int64_t kq = (int64_t)llround(sorted[j] / q);
				if (j == 0) {
					bl_report_put_int(&vals, kq - first);
					first = kq;
				} else {
					bl_report_put_uint(&vals, (uint64_t)(kq - prev));
				}
				prev = kq;
			}
			max_n = n > max_n ? n : max_n;
		}
		end = p->pos + len;
		i += len;
	}
	free(sorted);
	bl_buf_puts(b, ",\"layout\":\"");
	bl_buf_append(b, layout.data, layout.len);
	bl_buf_puts(b, "\",\"fail\":\"");
	bl_buf_append(b, fail.data, fail.len);
	bl_buf_puts(b, "\",\"v\":\"");
	bl_buf_append(b, vals.data, vals.len);
	bl_buf_release(&layout);
	bl_buf_release(&vals);
	bl_buf_release(&fail);
	/* which order statistics bound the 95% interval of the median, by n (bl_median_ci_sorted) */
	bl_buf_puts(b, "\",\"ci\":[");
	double *idx = bl_xmalloc((max_n + 1) * sizeof(double));
	for (size_t n = 0; n <= max_n; n++) {
		for (size_t k = 0; k < n; k++)
			idx[k] = (double)k;
		double lo, hi;
		if (n)
			bl_buf_putc(b, ',');
		if (n && bl_median_ci_sorted(idx, n, 0.95, &lo, &hi) == 0)
			bl_buf_printf(b, "[%.0f,%.0f]", lo, hi);
		else
			bl_buf_puts(b, "null");
	}
	free(idx);
	bl_buf_puts(b, "],\"changes\":[");
	for (size_t k = 0; k < rs->n_changes; k++) {
		const struct bl_change *c = &rs->changes[k];
		enum bl_report_verdict v = BL_RV_CHANGED;
		if (rs->better != BL_BETTER_UNKNOWN)
			v = (rs->better == BL_BETTER_LOWER ? c->change > 0 : c->change < 0) ? BL_RV_REGRESSED : BL_RV_IMPROVED;
		bl_buf_printf(b, "%s[%zu,%zu,", k ? "," : "", c->pos, c->prev_pos);
		bl_json_number(b, c->before);
		bl_buf_putc(b, ',');
		bl_json_number(b, c->after);
		bl_buf_putc(b, ',');
		bl_json_number(b, c->change);
		bl_buf_putc(b, ',');
		bl_json_number(b, c->change_lo);
		bl_buf_putc(b, ',');
		bl_json_number(b, c->change_hi);
		bl_buf_putc(b, ',');
		bl_json_number(b, c->p);
		bl_buf_printf(b, ",\"%s\"]", bl_report_verdict_name(v));
	}
	bl_buf_puts(b, "],\"runs\":{");
	bool first_run = true;
	for (size_t i = 0; n_links && i < rs->n_pts; i++) {
		const struct bl_report_point *p = &rs->pts[i];
		if (!p->pt)
			continue;
		struct bl_run_link key = {.benchmark_id = p->pt->benchmark_id};
		const struct bl_run_link *l = bsearch(&key, links, n_links, sizeof(*links), cmp_link_bid);
		if (!l)
			continue;
		while (l > links && l[-1].benchmark_id == key.benchmark_id)
			l--;
		bl_buf_printf(b, "%s\"%zu\":[", first_run ? "" : ",", p->pos);
		first_run = false;
		for (size_t k = 0; l + k < links + n_links && l[k].benchmark_id == key.benchmark_id; k++)
			bl_buf_printf(b, "%s[%lld,%d]", k ? "," : "", (long long)l[k].run_id, l[k].index);
		bl_buf_putc(b, ']');
	}
	bl_buf_puts(b, "}}");
}

static void series_changes_table(struct bl_buf *b, const struct bl_report *r, const struct bl_report_series *rs)
{
	bl_buf_puts(b, "<section>\n<h2>Change points</h2>\n");
	if (rs->n_changes == 0) {
		bl_buf_puts(b, "<p class=\"bl-empty\">None detected.</p>\n</section>\n");
		return;
	}
	bl_buf_puts(b, "<table class=\"bl-sortable\">\n<thead><tr><th>commit</th><th>subject</th>"
		       "<th class=\"num\">before</th><th class=\"num\">after</th><th class=\"num\">effect</th>"
		       "<th class=\"num\">95% CI</th><th class=\"num\">p</th><th>verdict</th></tr></thead>\n<tbody>\n");
	for (size_t k = rs->n_changes; k-- > 0;) {
		const struct bl_change *c = &rs->changes[k];
		enum bl_report_verdict v = BL_RV_CHANGED;
		if (rs->better != BL_BETTER_UNKNOWN)
			v = (rs->better == BL_BETTER_LOWER ? c->change > 0 : c->change < 0) ? BL_RV_REGRESSED : BL_RV_IMPROVED;
		bl_buf_printf(b, "<tr class=\"%s\"><td data-v=\"%zu\"><a href=\"#c=%zu\">%.10s</a> ", verdict_class(v),
			      c->pos, c->pos, r->commits[c->pos].sha);
		bl_page_commit(b, r, r->commits[c->pos].sha);
		bl_buf_puts(b, "</td><td class=\"text\">");
		bl_html_escape(b, r->commits[c->pos].subject);
		bl_buf_printf(b, "</td><td class=\"num\" data-v=\"%.6g\">", c->before);
		page_value(b, c->before, rs->s->unit);
		bl_buf_printf(b, "</td><td class=\"num\" data-v=\"%.6g\">", c->after);
		page_value(b, c->after, rs->s->unit);
		bl_buf_puts(b, "</td>");
		change_cells(b, c);
		bl_buf_printf(b, "<td class=\"verdict\">%s</td></tr>\n", bl_report_verdict_name(v));
	}
	bl_buf_puts(b, "</tbody></table>\n</section>\n");
}

static int write_series_page(const struct bl_report *r, const struct bl_report_series *rs, struct bl_site *site,
			     const struct bl_run_link *links, size_t n_links, bool coarse, struct bl_buf *b,
			     struct bl_error *err)
{
	bl_buf_reset(b);
	char *title = bl_report_series_title(r, rs);
	bl_page_begin(b, r, "../", "series", title, NULL);
	free(title);
	size_t measured = 0, failed = 0;
	for (size_t i = 0; i < rs->n_pts; i++) {
		measured += rs->pts[i].sum.n > 0;
		failed += rs->pts[i].failed;
	}
	bl_buf_puts(b, "<p class=\"bl-meta\">benchmark <b>");
	bl_html_escape(b, rs->s->name);
	bl_buf_puts(b, "</b>, parameters <code>");
	bl_html_escape(b, rs->s->params_json);
	bl_buf_puts(b, "</code>, metric <b>");
	bl_html_escape(b, rs->s->metric);
	bl_buf_puts(b, "</b>");
	if (rs->s->unit && *rs->s->unit) {
		bl_buf_puts(b, " in ");
		bl_html_escape(b, rs->s->unit);
	}
	bl_buf_puts(b, ", machine ");
	bl_html_escape(b, rs->s->machine);
	bl_buf_printf(b, " \xc2\xb7 <b>%s</b> \xc2\xb7 %zu commit%s measured, %zu failed, of %zu</p>\n",
		      better_text(rs->better), measured, measured == 1 ? "" : "s", failed, r->n_commits);
	bl_buf_puts(b, "<div class=\"bl-toolbar\"><label><input type=\"checkbox\" id=\"log\"> log scale</label>"
		       "<button id=\"zoom-in\" title=\"zoom in\">+</button><button id=\"zoom-out\" title=\"zoom out\">"
		       "\xe2\x88\x92</button><button id=\"recent\">last 100</button><button id=\"reset\">all</button>"
		       "<span class=\"bl-hint\">wheel: zoom \xc2\xb7 drag: pan \xc2\xb7 double-click: all \xc2\xb7 "
		       "hover: details \xc2\xb7 click: select");
	if (r->commit_url)
		bl_buf_puts(b, " and open the commit");
	bl_buf_puts(b, "</span></div>\n<div class=\"bl-chart\" id=\"chart\"></div>\n"
		       "<div class=\"bl-legend\"><span><i class=\"lg-median\"></i>median per commit (dashed over "
		       "unmeasured commits)</span><span><i class=\"lg-band\"></i>95% CI of the median (the range under "
		       "6 runs)</span><span><i class=\"lg-run\"></i>each run</span><span class=\"v-regressed\">\xc3\x97 "
		       "build or benchmark failed</span><span><i class=\"lg-change\"></i>change point with its effect"
		       "</span></div>\n"
		       "<div class=\"bl-detail\" id=\"detail\" aria-live=\"polite\"></div>\n");
	series_changes_table(b, r, rs);
	bl_buf_puts(b, "<script type=\"application/json\" id=\"bl-data\" data-bl>");
	series_json(b, r, rs, links, n_links, coarse);
	bl_buf_puts(b, "</script>\n");
	bl_page_end(b, "../", true);
	char rel[64];
	snprintf(rel, sizeof(rel), "series/s%zu.html", rs->id);
	return bl_site_write(site, rel, b, err);
}

/* ---- the site ---------------------------------------------------------------------------------------------- */

static int write_assets(struct bl_site *site, struct bl_error *err)
{
	struct bl_buf b;
	bl_buf_init(&b);
	bl_buf_append(&b, bl_asset_report_js, bl_asset_report_js_len);
	int rc = bl_site_write(site, "assets/report.js", &b, err);
	bl_buf_reset(&b);
	bl_buf_append(&b, bl_asset_report_css, bl_asset_report_css_len);
	if (!rc)
		rc = bl_site_write(site, "assets/report.css", &b, err);
	bl_buf_release(&b);
	return rc;
}

/* Series pages are independent: written on every CPU (bl_report_threads),
 * each worker with its own buffer and counts. */
struct pages_job {
	const struct bl_report *r;
	const struct bl_site *site;
	const struct bl_run_link *links;
	size_t n_links;
	bool coarse;
	atomic_size_t next;
	pthread_mutex_t lock; /* guards failed_at and err */
	size_t failed_at;     /* the first series whose page failed, BL_REPORT_NONE */
	struct bl_error err;
};

struct pages_worker {
	struct pages_job *job;
	struct bl_site site; /* the site's directory, this worker's counts */
	struct bl_report_site_stats stats;
};

static void *pages_worker(void *arg)
{
	struct pages_worker *w = arg;
	struct pages_job *job = w->job;
	struct bl_buf b;
	bl_buf_init(&b);
	for (;;) {
		size_t i = atomic_fetch_add(&job->next, 1);
		if (i >= job->r->n_series)
			break;
		struct bl_error err = {{0}};
		if (write_series_page(job->r, &job->r->series[i], &w->site, job->links, job->n_links, job->coarse, &b,
				      &err) == 0) {
			w->stats.series_pages++;
			continue;
		}
		pthread_mutex_lock(&job->lock);
		if (job->failed_at == BL_REPORT_NONE || i < job->failed_at) {
			job->failed_at = i;
			job->err = err;
		}
		pthread_mutex_unlock(&job->lock);
		break;
	}
	bl_buf_release(&b);
	return NULL;
}

int bl_report_write_html(const struct bl_report *r, struct bl_store *store, size_t max_run_pages, const char *dir,
			 struct bl_report_site_stats *stats, struct bl_error *err)
{
	struct bl_report_site_stats local;
	memset(&local, 0, sizeof(local));
	struct bl_site site = {.dir = dir, .stats = stats ? stats : &local};
	memset(site.stats, 0, sizeof(*site.stats));
	if (prepare_dir(dir, err))
		return -1;
	static const char *const subdirs[] = {"assets", "series", "runs"};
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		char *p = bl_xasprintf("%s/%s", dir, subdirs[i]);
		int rc = bl_mkdirs(p, 0755, err);
		free(p);
		if (rc)
			return -1;
	}
	struct bl_run_link *links = NULL;
	size_t n_links = 0;
	if (write_assets(&site, err) || write_commits(r, &site, err))
		return -1;
	if (store && max_run_pages &&
	    bl_report_run_pages(r, store, max_run_pages, &site, &links, &n_links, err))
		return -1;
	site.stats->run_pages = n_links;
	size_t values = 0;
	for (size_t i = 0; i < r->n_series; i++)
		for (size_t k = 0; k < r->series[i].n_pts; k++)
			values += r->series[i].pts[k].sum.n;
	bool coarse = values > BL_REPORT_FINE_VALUES;
	struct pages_job job = {.r = r, .site = &site, .links = links, .n_links = n_links, .coarse = coarse,
				.failed_at = BL_REPORT_NONE};
	unsigned n_threads = bl_report_threads(r->threads, r->n_series);
	struct pages_worker *w = bl_xcalloc(n_threads, sizeof(*w));
	void **args = bl_xcalloc(n_threads, sizeof(*args));
	atomic_init(&job.next, 0);
	pthread_mutex_init(&job.lock, NULL);
	for (unsigned k = 0; k < n_threads; k++) {
		w[k].job = &job;
		w[k].site = (struct bl_site){.dir = dir, .stats = &w[k].stats};
		args[k] = &w[k];
	}
	bl_parallel(pages_worker, args, n_threads);
	free(args);
	for (unsigned k = 0; k < n_threads; k++) {
		site.stats->files += w[k].stats.files;
		site.stats->bytes += w[k].stats.bytes;
		site.stats->series_pages += w[k].stats.series_pages;
	}
	int rc = 0;
	if (job.failed_at != BL_REPORT_NONE) {
		*err = job.err;
		rc = -1;
	}
	pthread_mutex_destroy(&job.lock);
	free(w);
	free(links);
	if (rc || write_compare(r, &site, err) || write_index(r, &site, err))
		return -1;
	return 0;
}
