/* report_svg.c - SVG pictures of series (report.h): the sparklines of the
 * index and one standalone chart per series for `benchline report --svg`
 * (and, through headless Chromium, --png). Written by hand, no library:
 * plain SVG 1.1 that any browser, editor or document tool displays. */
#include "benchline/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bl_report_svg_sparkline(const struct bl_report_series *s, size_t n_commits, int width, int height,
			     struct bl_buf *out)
{
	double v[256];
	size_t want = (size_t)width / 2 < 256 ? (size_t)width / 2 : 256;
	size_t n = bl_report_series_buckets(s, 0, n_commits, want ? want : 1, v);
	bl_buf_printf(out, "<svg class=\"spark\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
			   "aria-label=\"history of the median\">",
		      width, height, width, height);
	if (n) {
		double lo = INFINITY, hi = -INFINITY;
		for (size_t i = 0; i < n; i++) {
			lo = fmin(lo, v[i]);
			hi = fmax(hi, v[i]);
		}
		double span = hi > lo ? hi - lo : 1;
		bl_buf_puts(out, "<polyline points=\"");
		double x = 0, y = 0;
		for (size_t i = 0; i < n; i++) {
			x = n > 1 ? 1 + (double)i * (width - 4) / (double)(n - 1) : width / 2.0;
			y = hi > lo ? 2 + (hi - v[i]) / span * (height - 4) : height / 2.0;
			bl_buf_printf(out, "%s%.1f,%.1f", i ? " " : "", x, y);
		}
		bl_buf_printf(out, "\"/><circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\"/>", x, y);
	}
	bl_buf_puts(out, "</svg>");
}

/* ---- the chart --------------------------------------------------------------------------------------------- */

struct frame {
	double x0, y0, w, h;   /* plot area in pixels */
	double p0, p1;         /* positions shown */
	double lo, hi;         /* values shown */
};

static double fx(const struct frame *f, double pos)
{
	return f->x0 + (pos - f->p0) / (f->p1 - f->p0) * f->w;
}

static double fy(const struct frame *f, double v)
{
	return f->y0 + (f->hi - v) / (f->hi - f->lo) * f->h;
}

static double nice_step(double span, int count)
{
	double raw = span / (count > 0 ? count : 1), mag = pow(10, floor(log10(raw))), r = raw / mag;
	return (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * mag;
}

/* One column of the chart: what the commits falling into it show. */
struct column {
	double median, lo, hi, vmin, vmax;
	size_t n;
	double pos;
	bool failed;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

void bl_report_svg_chart(const struct bl_report *r, const struct bl_report_series *s, int width, int height,
			 struct bl_buf *out)
{
	struct frame f = {.x0 = 78, .y0 = 44, .w = width - 78 - 16, .h = height - 44 - 46};
	f.p0 = -0.5;
	f.p1 = (double)(r->n_commits ? r->n_commits : 1) - 0.5;
	double lo = INFINITY, hi = -INFINITY;
	for (size_t i = 0; i < s->n_pts; i++) {
		const struct bl_report_point *p = &s->pts[i];
		if (p->sum.n == 0)
			continue;
		lo = fmin(lo, fmin(p->sum.min, p->sum.median_lo));
		hi = fmax(hi, fmax(p->sum.max, p->sum.median_hi));
	}
	if (!isfinite(lo)) {
		lo = 0;
		hi = 1;
	}
	if (hi <= lo) {
		double c = lo;
		lo = c - (fabs(c) * 0.05 + 1e-12);
		hi = c + (fabs(c) * 0.05 + 1e-12);
	}
	double pad = (hi - lo) * 0.06;
	f.lo = lo - pad >= 0 || lo < 0 ? lo - pad : 0;
	f.hi = hi + pad;

	char *title = bl_report_series_title(r, s);
	bl_buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
			   "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"11\">\n",
		      width, height, width, height);
	bl_buf_puts(out, "<title>");
	bl_html_escape(out, title);
	bl_buf_printf(out, "</title>\n<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width, height);
	bl_buf_puts(out, "<text x=\"12\" y=\"20\" font-size=\"14\" font-weight=\"bold\" fill=\"#1d232b\">");
	bl_html_escape(out, title);
	bl_buf_puts(out, "</text>\n<text x=\"12\" y=\"36\" fill=\"#5f6b7a\">");
	const char *better = s->better == BL_BETTER_LOWER	 ? "lower is better"
			     : s->better == BL_BETTER_HIGHER ? "higher is better"
							     : "direction unknown";
	bl_html_escape(out, s->s->unit && *s->s->unit ? s->s->unit : "no unit");
	bl_buf_printf(out, ", %s; median per commit with its 95%% CI, every run as a dot; %zu commits of first-parent "
			   "history</text>\n",
		      better, r->n_commits);
	free(title);

	/* grid and axes */
	double step = nice_step(f.hi - f.lo, (int)(f.h / 50));
	bl_buf_puts(out, "<g stroke=\"#e6eaef\" stroke-width=\"1\">\n");
	for (double v = ceil(f.lo / step) * step; v <= f.hi + step * 1e-9; v += step)
		bl_buf_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", f.x0, fy(&f, v), f.x0 + f.w,
			      fy(&f, v));
	bl_buf_puts(out, "</g>\n<g fill=\"#5f6b7a\" text-anchor=\"end\">\n");
	for (double v = ceil(f.lo / step) * step; v <= f.hi + step * 1e-9; v += step) {
		char t[64];
		bl_format_value(fabs(v) < step * 1e-9 ? 0 : v, s->s->unit, t, sizeof(t));
		bl_buf_printf(out, "<text x=\"%.1f\" y=\"%.1f\">", f.x0 - 6, fy(&f, v) + 4);
		bl_html_escape(out, t);
		bl_buf_puts(out, "</text>\n");
	}
	bl_buf_puts(out, "</g>\n<g fill=\"#5f6b7a\" text-anchor=\"middle\">\n");
	double xstep = nice_step(f.p1 - f.p0, (int)(f.w / 150));
	if (xstep < 1)
		xstep = 1;
	for (double p = ceil(f.p0 / xstep) * xstep; p <= f.p1; p += xstep) {
		size_t i = (size_t)llround(p);
		if (i >= r->n_commits)
			continue;
		char when[32];
		bl_format_utc(r->commits[i].time, when);
		when[10] = '\0';
		bl_buf_printf(out, "<text x=\"%.1f\" y=\"%.1f\">%.7s %s</text>\n", fx(&f, p), f.y0 + f.h + 16,
			      r->commits[i].sha, when);
	}
	bl_buf_printf(out, "</g>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
			   "stroke=\"#aab4c0\"/>\n",
		      f.x0, f.y0, f.w, f.h);
	bl_buf_printf(out, "<text x=\"%.1f\" y=\"%d\" fill=\"#5f6b7a\" text-anchor=\"middle\">commits along the "
			   "first-parent history (sha, date)</text>\n",
		      f.x0 + f.w / 2, height - 8);

	/* The commits, one column per pixel at most: a long history is summarised per column (median of the
	 * medians, widest band, every run's range) so that the file stays small. */
	size_t ncol = (size_t)f.w;
	bool per_commit = s->n_pts <= ncol;
	struct column *cols = bl_xcalloc(s->n_pts + 1, sizeof(*cols));
	size_t n = 0;
	double *tmp = bl_xmalloc((s->n_pts + 1) * sizeof(double));
	for (size_t i = 0; i < s->n_pts;) {
		size_t col = per_commit ? i : (size_t)((double)s->pts[i].pos / (double)(r->n_commits ? r->n_commits : 1) * (double)ncol);
		size_t j = i, k = 0;
		struct column c = {.lo = INFINITY, .hi = -INFINITY, .vmin = INFINITY, .vmax = -INFINITY};
		double pos_sum = 0;
		while (j < s->n_pts &&
		       (per_commit ? j == i
				   : (size_t)((double)s->pts[j].pos / (double)(r->n_commits ? r->n_commits : 1) * (double)ncol) == col)) {
			const struct bl_report_point *p = &s->pts[j];
			if (p->failed)
				c.failed = true;
			if (p->sum.n) {
				tmp[k++] = p->sum.median;
				c.lo = fmin(c.lo, p->sum.median_lo);
				c.hi = fmax(c.hi, p->sum.median_hi);
				c.vmin = fmin(c.vmin, p->sum.min);
				c.vmax = fmax(c.vmax, p->sum.max);
				c.n += p->sum.n;
			}
			pos_sum += (double)p->pos;
			j++;
		}
		c.pos = pos_sum / (double)(j - i);
		if (k) {
			qsort(tmp, k, sizeof(double), cmp_double);
			c.median = k % 2 ? tmp[k / 2] : (tmp[k / 2 - 1] + tmp[k / 2]) / 2;
		}
		cols[n++] = c;
		i = j;
	}
	free(tmp);
	/* band, broken at failures */
	bl_buf_puts(out, "<g fill=\"#2f6fbd\" fill-opacity=\"0.18\">\n");
	for (size_t i = 0; i < n;) {
		while (i < n && !cols[i].n)
			i++;
		size_t j = i;
		while (j < n && cols[j].n && !(cols[j].failed && j > i))
			j++;
		if (j > i) {
			bl_buf_puts(out, "<polygon points=\"");
			for (size_t k = i; k < j; k++)
				bl_buf_printf(out, "%.1f,%.1f ", fx(&f, cols[k].pos), fy(&f, cols[k].hi));
			for (size_t k = j; k-- > i;)
				bl_buf_printf(out, "%.1f,%.1f ", fx(&f, cols[k].pos) + (j - i == 1 ? 1.5 : 0), fy(&f, cols[k].lo));
			bl_buf_puts(out, "\"/>\n");
		}
		i = j > i ? j : i + 1;
	}
	bl_buf_puts(out, "</g>\n");
	/* every run: dots per commit, or the range of the runs per column */
	if (per_commit) {
		bl_buf_puts(out, "<g fill=\"#1d232b\" fill-opacity=\"0.4\">\n");
		for (size_t i = 0; i < s->n_pts; i++) {
			const struct bl_report_point *p = &s->pts[i];
			for (size_t k = 0; p->sum.n && k < p->pt->n_values; k++)
				bl_buf_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.6\"/>", fx(&f, (double)p->pos),
					      fy(&f, p->pt->values[k]));
			if (p->sum.n)
				bl_buf_putc(out, '\n');
		}
	} else {
		bl_buf_puts(out, "<g stroke=\"#1d232b\" stroke-opacity=\"0.35\" stroke-width=\"1\">\n");
		for (size_t i = 0; i < n; i++)
			if (cols[i].n)
				bl_buf_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", fx(&f, cols[i].pos),
					      fy(&f, cols[i].vmin), fx(&f, cols[i].pos), fy(&f, cols[i].vmax) - 0.8);
	}
	bl_buf_puts(out, "</g>\n");
	/* medians, broken at failures */
	bl_buf_puts(out, "<g fill=\"none\" stroke=\"#2f6fbd\" stroke-width=\"1.6\">\n");
	bool open = false;
	for (size_t i = 0; i < n; i++) {
		if (cols[i].failed && !cols[i].n) {
			if (open)
				bl_buf_puts(out, "\"/>\n");
			open = false;
			continue;
		}
		if (!cols[i].n)
			continue;
		bl_buf_printf(out, "%s%.1f,%.1f", open ? " " : "<polyline points=\"", fx(&f, cols[i].pos),
			      fy(&f, cols[i].median));
		open = true;
	}
	if (open)
		bl_buf_puts(out, "\"/>\n");
	bl_buf_puts(out, "</g>\n<g stroke=\"#c62828\" stroke-width=\"1.5\">\n");
	for (size_t i = 0; i < n; i++) {
		if (!cols[i].failed)
			continue;
		double x = fx(&f, cols[i].pos), y = f.y0 + f.h - 8;
		bl_buf_printf(out, "<path d=\"M%.1f %.1fl8 8m0 -8l-8 8\"/>\n", x - 4, y - 4);
	}
	bl_buf_puts(out, "</g>\n");
	free(cols);
	/* change points */
	for (size_t k = 0; k < s->n_changes; k++) {
		const struct bl_change *c = &s->changes[k];
		const char *col = "#b26a00";
		if (s->better != BL_BETTER_UNKNOWN)
			col = (s->better == BL_BETTER_LOWER ? c->change > 0 : c->change < 0) ? "#c62828" : "#2e7d32";
		double x = fx(&f, (double)c->pos - 0.5);
		bl_buf_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.5\" "
				   "stroke-dasharray=\"6 3\"/>\n",
			      x, f.y0, x, f.y0 + f.h, col);
		bl_buf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\" font-weight=\"bold\">%+.1f%%</text>\n", x + 3,
			      f.y0 + 12 + 13 * (double)(k % 3), col, 100 * c->change);
	}
	bl_buf_puts(out, "</svg>\n");
}

int bl_report_write_svgs(const struct bl_report *r, const char *dir, int width, int height, struct bl_strvec *files,
			 struct bl_error *err)
{
	if (bl_mkdirs(dir, 0755, err))
		return -1;
	struct bl_buf b;
	bl_buf_init(&b);
	int rc = 0;
	for (size_t i = 0; i < r->n_series && rc == 0; i++) {
		bl_buf_reset(&b);
		bl_report_svg_chart(r, &r->series[i], width, height, &b);
		char *path = bl_xasprintf("%s/s%zu.svg", dir, r->series[i].id);
		rc = bl_write_file_atomic(path, b.data, b.len, err);
		if (rc == 0 && files)
			bl_strvec_push_owned(files, path);
		else
			free(path);
	}
	bl_buf_release(&b);
	return rc;
}
