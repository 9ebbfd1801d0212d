/* report_md.c - `benchline report --format markdown`: a summary for CI job
 * summaries and pull-request comments (report.h). Regressions first, then a
 * compact table of every series; the whole text never exceeds the size
 * asked for (GitHub refuses a comment over 65,536 characters), rows that do
 * not fit being counted in a note instead. */
#include "benchline/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTE_RESERVE 800 /* always kept free for the notes that say what was left out */
#define SPARK_WIDTH 16

struct md {
	struct bl_buf *out;
	size_t max;
	size_t left_out; /* rows of the current table that did not fit */
	bool full;       /* a row did not fit: later tables only get their notes */
};

/* At most max bytes of s, never cutting a UTF-8 character, "..." when cut. */
static void cut(const char *s, size_t max, struct bl_buf *out)
{
	size_t len = strlen(s ? s : "");
	if (len <= max) {
		bl_buf_puts(out, s ? s : "");
		return;
	}
	size_t n = max > 3 ? max - 3 : 0;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	bl_buf_append(out, s, n);
	bl_buf_puts(out, "...");
}

static void esc_cut(struct bl_buf *b, const char *s, size_t max)
{
	struct bl_buf t;
	bl_buf_init(&t);
	cut(s, max, &t);
	bl_md_escape(b, t.data);
	bl_buf_release(&t);
}

/* Appends row when it fits with the reserve left; otherwise counts it. */
static bool put_row(struct md *m, const struct bl_buf *row)
{
	if (m->full || m->out->len + row->len + NOTE_RESERVE > m->max) {
		m->full = true;
		m->left_out++;
		return false;
	}
	bl_buf_append(m->out, row->data, row->len);
	return true;
}

/* Text outside tables (headings, notes): kept when it fits. */
static void put_text(struct md *m, const struct bl_buf *text, bool note)
{
	if (m->out->len + text->len + (note ? 0 : NOTE_RESERVE) <= m->max)
		bl_buf_append(m->out, text->data, text->len);
	else if (!note)
		m->full = true;
}

static void end_table(struct md *m, const char *what)
{
	if (!m->left_out)
		return;
	struct bl_buf t;
	bl_buf_init(&t);
	bl_buf_printf(&t, "\n_%zu more %s not shown: the comment would exceed %zu bytes (the HTML report of "
			  "`benchline report` has all)._\n",
		      m->left_out, what, m->max);
	put_text(m, &t, true);
	bl_buf_release(&t);
	m->left_out = 0;
}

static void percent(struct bl_buf *b, double r)
{
	if (isfinite(r))
		bl_buf_printf(b, "%+.1f%%", 100 * r);
	else
		bl_buf_puts(b, "-");
}

static void interval(struct bl_buf *b, double lo, double hi)
{
	bl_buf_puts(b, "[");
	percent(b, lo);
	bl_buf_puts(b, ", ");
	percent(b, hi);
	bl_buf_puts(b, "]");
}

static void pvalue(struct bl_buf *b, double p)
{
	if (p < 0.0001)
		bl_buf_puts(b, "<0.0001");
	else
		bl_buf_printf(b, "%.4f", p);
}

static void value(struct bl_buf *b, double v, const char *unit)
{
	char t[64];
	bl_format_value(v, unit, t, sizeof(t));
	bl_md_escape(b, t);
}

static void series_cells(struct bl_buf *row, const struct bl_report *r, const struct bl_report_series *rs)
{
	bl_buf_puts(row, " | ");
	esc_cut(row, rs->s->label, 80);
	if (r->multi_machine) {
		bl_buf_puts(row, " @");
		esc_cut(row, rs->s->machine, 40);
	}
	bl_buf_puts(row, " | ");
	esc_cut(row, rs->s->metric, 40);
}

static void commit_cell(struct bl_buf *row, const struct bl_report *r, size_t pos)
{
	const struct bl_report_commit *c = &r->commits[pos];
	if (r->commit_url) {
		/* the template is a checked http(s) URL; the sha is hex */
		bl_buf_printf(row, "[`%.10s`](", c->sha);
		const char *t = r->commit_url, *hole;
		while ((hole = strstr(t, "{sha}")) != NULL) {
			bl_buf_append(row, t, (size_t)(hole - t));
			bl_buf_puts(row, c->sha);
			t = hole + 5;
		}
		bl_buf_puts(row, t);
		bl_buf_puts(row, ")");
	} else {
		bl_buf_printf(row, "`%.10s`", c->sha);
	}
}

static void compare_regressions(struct md *m, const struct bl_report *r)
{
	size_t n = r->counts[BL_RV_REGRESSED];
	if (!n)
		return;
	struct bl_buf t, row;
	bl_buf_init(&t);
	bl_buf_init(&row);
	bl_buf_printf(&t, "**At the newest commit** (`%.10s` against `%.10s`):\n\n| benchmark | metric | A | B | change | 95%% CI | p |\n"
			  "|---|---|--:|--:|--:|---|--:|\n",
		      r->commits[r->head_pos].sha, r->commits[r->base_pos].sha);
	put_text(m, &t, false);
	for (size_t i = 0; i < r->n_rows; i++) {
		const struct bl_report_row *rw = &r->rows[i];
		if (rw->verdict != BL_RV_REGRESSED)
			continue;
		const struct bl_report_series *rs = &r->series[rw->series];
		bl_buf_reset(&row);
		series_cells(&row, r, rs);
		bl_buf_puts(&row, " | ");
		value(&row, rw->old_pt->sum.median, rs->s->unit);
		bl_buf_puts(&row, " | ");
		value(&row, rw->new_pt->sum.median, rs->s->unit);
		bl_buf_puts(&row, " | **");
		percent(&row, rw->cmp.change);
		bl_buf_puts(&row, "** | ");
		if (rw->cmp.ci_valid)
			interval(&row, rw->cmp.change_lo, rw->cmp.change_hi);
		else
			bl_buf_puts(&row, "-");
		bl_buf_puts(&row, " | ");
		pvalue(&row, rw->cmp.mwu.p);
		bl_buf_puts(&row, " |\n");
		memmove(row.data, row.data + 1, row.len); /* the leading space of " | " */
		row.len--;
		put_row(m, &row);
	}
	end_table(m, "regressions");
	bl_buf_reset(&t);
	bl_buf_puts(&t, "\n");
	put_text(m, &t, false);
	bl_buf_release(&t);
	bl_buf_release(&row);
}

static void detected_regressions(struct md *m, const struct bl_report *r)
{
	size_t n = r->event_counts[BL_RV_REGRESSED];
	if (!n)
		return;
	struct bl_buf t, row;
	bl_buf_init(&t);
	bl_buf_init(&row);
	bl_buf_puts(&t, "**Along the history** (change points, newest first; the culprit is the first commit at the "
			"new level):\n\n| commit | subject | benchmark | metric | effect | 95% CI | p |\n"
			"|---|---|---|---|--:|---|--:|\n");
	put_text(m, &t, false);
	for (size_t i = 0; i < r->n_events; i++) {
		const struct bl_report_event *ev = &r->events[i];
		if (ev->verdict != BL_RV_REGRESSED)
			continue;
		const struct bl_report_series *rs = &r->series[ev->series];
		const struct bl_change *c = &rs->changes[ev->change];
		bl_buf_reset(&row);
		bl_buf_puts(&row, "| ");
		commit_cell(&row, r, c->pos);
		bl_buf_puts(&row, " | ");
		esc_cut(&row, r->commits[c->pos].subject, 60);
		series_cells(&row, r, rs);
		bl_buf_puts(&row, " | **");
		percent(&row, c->change);
		bl_buf_puts(&row, "** | ");
		interval(&row, c->change_lo, c->change_hi);
		bl_buf_puts(&row, " | ");
		pvalue(&row, c->p);
		bl_buf_puts(&row, " |\n");
		put_row(m, &row);
	}
	end_table(m, "regressions");
	bl_buf_reset(&t);
	bl_buf_puts(&t, "\n");
	put_text(m, &t, false);
	bl_buf_release(&t);
	bl_buf_release(&row);
}

static const struct bl_report_row *row_of(const struct bl_report *r, size_t series)
{
	for (size_t i = 0; i < r->n_rows; i++)
		if (r->rows[i].series == series)
			return &r->rows[i];
	return NULL;
}

/* Every series: the compare view's rows in their order (regressions first), then the series it has no row for. */
static void all_series(struct md *m, const struct bl_report *r)
{
	struct bl_buf t, row;
	bl_buf_init(&t);
	bl_buf_init(&row);
	bl_buf_puts(&t, "### All series\n\n");
	if (r->head_pos != BL_REPORT_NONE)
		bl_buf_printf(&t, "Change and p: `%.10s` (B) against `%.10s` (A), as `benchline compare` judges them "
				  "(alpha %g). Trend: the medians along the history.\n\n",
			      r->commits[r->head_pos].sha, r->commits[r->base_pos].sha, r->alpha);
	bl_buf_puts(&t, "| | benchmark | metric | trend | latest | change | p |\n|---|---|---|---|--:|--:|--:|\n");
	put_text(m, &t, false);
	size_t *order = bl_xcalloc(r->n_series ? r->n_series : 1, sizeof(size_t));
	bool *seen = bl_xcalloc(r->n_series ? r->n_series : 1, sizeof(bool));
	size_t n = 0;
	for (size_t i = 0; i < r->n_rows; i++) {
		order[n++] = r->rows[i].series;
		seen[r->rows[i].series] = true;
	}
	for (size_t i = 0; i < r->n_series; i++)
		if (!seen[i])
			order[n++] = i;
	double spark[SPARK_WIDTH];
	for (size_t k = 0; k < n; k++) {
		const struct bl_report_series *rs = &r->series[order[k]];
		const struct bl_report_row *rw = row_of(r, order[k]);
		enum bl_report_verdict v = rw ? rw->verdict : rs->latest_verdict;
		bl_buf_reset(&row);
		bl_buf_printf(&row, "| %s", bl_report_verdict_mark(v));
		series_cells(&row, r, rs);
		bl_buf_puts(&row, " | ");
		size_t ns = bl_report_series_buckets(rs, 0, r->n_commits, SPARK_WIDTH, spark);
		bl_sparkline(spark, ns, " ", &row);
		bl_buf_puts(&row, " | ");
		if (rs->latest != BL_REPORT_NONE)
			value(&row, rs->pts[rs->latest].sum.median, rs->s->unit);
		else
			bl_buf_puts(&row, "-");
		bl_buf_puts(&row, " | ");
		if (rw && rw->problem) {
			bl_buf_puts(&row, rw->problem);
			bl_buf_puts(&row, " | - |\n");
		} else if (rw) {
			percent(&row, rw->cmp.change);
			bl_buf_puts(&row, " | ");
			pvalue(&row, rw->cmp.mwu.p);
			bl_buf_puts(&row, " |\n");
		} else {
			bl_buf_puts(&row, "- | - |\n");
		}
		put_row(m, &row);
	}
	free(order);
	free(seen);
	end_table(m, "series");
	bl_buf_release(&t);
	bl_buf_release(&row);
}

void bl_report_markdown(const struct bl_report *r, size_t max_bytes, struct bl_buf *out)
{
	if (max_bytes < 1024)
		max_bytes = 1024;
	size_t start = out->len;
	struct md m = {.out = out, .max = start + max_bytes};
	struct bl_buf t;
	bl_buf_init(&t);
	bl_buf_puts(&t, "## benchline: ");
	esc_cut(&t, r->title, 120);
	bl_buf_puts(&t, "\n\n");
	if (r->n_commits)
		bl_buf_printf(&t, "First-parent history of `%.10s` (%zu commits), %zu series. ",
			      r->commits[r->n_commits - 1].sha, r->n_commits, r->n_series);
	size_t regress = r->event_counts[BL_RV_REGRESSED], at_head = r->counts[BL_RV_REGRESSED];
	if (regress || at_head)
		bl_buf_printf(&t, "**%zu regression%s at the newest commit, %zu detected along the history.** ", at_head,
			      at_head == 1 ? "" : "s", regress);
	else
		bl_buf_puts(&t, "No regression found. ");
	bl_buf_printf(&t, "%zu improvement%s along the history; %zu failed comparison%s at the newest commit.\n\n",
		      r->event_counts[BL_RV_IMPROVED], r->event_counts[BL_RV_IMPROVED] == 1 ? "" : "s",
		      r->counts[BL_RV_FAILED], r->counts[BL_RV_FAILED] == 1 ? "" : "s");
	put_text(&m, &t, false);
	if (regress || at_head) {
		bl_buf_reset(&t);
		bl_buf_puts(&t, "### Regressions\n\n");
		put_text(&m, &t, false);
		compare_regressions(&m, r);
		detected_regressions(&m, r);
	}
	all_series(&m, r);
	bl_buf_release(&t);
	/* By construction the text fits; should it ever not, it is cut rather than refused by GitHub. */
	if (out->len > m.max) {
		static const char tail[] = "\n\n_(cut to fit)_\n";
		size_t keep = m.max - sizeof(tail);
		while (keep > start && ((unsigned char)out->data[keep] & 0xc0) == 0x80)
			keep--;
		out->len = keep;
		out->data[keep] = '\0';
		bl_buf_puts(out, tail);
	}
}
