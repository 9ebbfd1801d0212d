/* report_html_run.c - the run pages of the HTML report: one measured run,
 * its metrics and the device timeline the sampler recorded while it ran
 * (device_measurements, read through bl_store_case_runs). A site cannot hold
 * a page for every run of a long history, so pages are written for the runs
 * that matter most: those of the head commit and of the commits on both
 * sides of each change point. */
#include "report_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1024.0 * 1024.0)

/* A case to write run pages for, with the series and position it was found at. */
struct wanted {
	int64_t benchmark_id;
	size_t series, pos;
};

struct run_ctx {
	const struct bl_report *r;
	const struct wanted *w;
	struct bl_site *site;
	struct bl_run_link *links;
	size_t n_links, cap_links, max_pages;
	struct bl_buf page;
	struct bl_error *err;
};

static void add_wanted(struct wanted **v, size_t *n, size_t *cap, const struct bl_report_series *rs, size_t series,
		       size_t pos)
{
	for (size_t i = 0; i < rs->n_pts; i++) {
		const struct bl_report_point *p = &rs->pts[i];
		if (p->pos != pos || !p->pt || p->pt->benchmark_id <= 0)
			continue;
		for (size_t k = 0; k < *n; k++)
			if ((*v)[k].benchmark_id == p->pt->benchmark_id)
				return;
		BL_GROW(*v, *cap, *n + 1);
		(*v)[(*n)++] = (struct wanted){.benchmark_id = p->pt->benchmark_id, .series = series, .pos = pos};
		return;
	}
}

/* One timeline of the samples: a value per sample, NULL where it was not read. */
struct column {
	const char *label, *unit;
	double scale;
	int gpu;                                        /* -1: process or system */
	size_t offset;                                  /* of the struct bl_value in the sample or GPU sample */
};

#define PROC(field) offsetof(struct bl_sample, field)
#define GPU(field) offsetof(struct bl_gpu_sample, field)

static const struct column proc_columns[] = {
	{"CPU of the benchmark's processes", "% of a core", 1, -1, PROC(proc_cpu_pct)},
	{"memory of the benchmark's processes (RSS)", "MiB", MIB, -1, PROC(proc_rss_bytes)},
	{"processes", "", 1, -1, PROC(proc_count)},
	{"CPU of the whole machine", "% of a core", 1, -1, PROC(sys_cpu_pct)},
	{"memory used on the machine", "MiB", MIB, -1, PROC(sys_mem_used_bytes)},
};
static const struct column gpu_columns[] = {
	{"utilisation", "%", 1, 0, GPU(util_pct)},
	{"memory used", "MiB", MIB, 0, GPU(mem_used_bytes)},
	{"memory of the benchmark", "MiB", MIB, 0, GPU(proc_mem_bytes)},
	{"power", "W", 1, 0, GPU(power_w)},
	{"temperature", "\xc2\xb0" "C", 1, 0, GPU(temp_c)},
	{"SM clock", "MHz", 1, 0, GPU(sm_clock_mhz)},
};

static const struct bl_value *value_at(const struct bl_sample *s, const struct column *c, int gpu)
{
	if (gpu < 0)
		return (const struct bl_value *)((const char *)s + c->offset);
	if (gpu >= s->n_gpus)
		return NULL;
	return (const struct bl_value *)((const char *)&s->gpu[gpu] + c->offset);
}

static void timeline(struct bl_buf *b, const struct bl_run_detail *d, const struct column *c, int gpu, bool *first)
{
	bool any = false;
	for (size_t i = 0; i < d->n_samples && !any; i++) {
		const struct bl_value *v = value_at(&d->samples[i], c, gpu);
		any = v && v->valid;
	}
	if (!any)
		return;
	bl_buf_puts(b, *first ? "{\"label\":" : ",{\"label\":");
	*first = false;
	char label[128];
	if (gpu >= 0)
		snprintf(label, sizeof(label), "GPU %d %s", gpu, c->label);
	else
		snprintf(label, sizeof(label), "%s", c->label);
	bl_json_string(b, label);
	bl_buf_puts(b, ",\"unit\":");
	bl_json_string(b, c->unit);
	bl_buf_puts(b, ",\"v\":[");
	for (size_t i = 0; i < d->n_samples; i++) {
		const struct bl_value *v = value_at(&d->samples[i], c, gpu);
		if (i)
			bl_buf_putc(b, ',');
		bl_json_number(b, v && v->valid ? v->value / c->scale : NAN);
	}
	bl_buf_puts(b, "]}");
}

static void run_json(struct bl_buf *b, const struct bl_run_detail *d)
{
	bl_buf_puts(b, "{\"t\":[");
	int64_t t0 = d->n_samples ? d->samples[0].t_ns : 0;
	for (size_t i = 0; i < d->n_samples; i++) {
		if (i)
			bl_buf_putc(b, ',');
		bl_json_number(b, (double)(d->samples[i].t_ns - t0) / 1e9);
	}
	bl_buf_puts(b, "],\"series\":[");
	bool first = true;
	for (size_t k = 0; k < sizeof(proc_columns) / sizeof(proc_columns[0]); k++)
		timeline(b, d, &proc_columns[k], -1, &first);
	int gpus = 0;
	for (size_t i = 0; i < d->n_samples; i++)
		gpus = d->samples[i].n_gpus > gpus ? d->samples[i].n_gpus : gpus;
	for (int g = 0; g < gpus; g++)
		for (size_t k = 0; k < sizeof(gpu_columns) / sizeof(gpu_columns[0]); k++)
			timeline(b, d, &gpu_columns[k], g, &first);
	bl_buf_puts(b, "]}");
}

static int on_run(void *vctx, const struct bl_run_detail *d)
{
	struct run_ctx *ctx = vctx;
	if (!d->kind || strcmp(d->kind, "measured"))
		return 0;
	if (ctx->n_links >= ctx->max_pages)
		return 1; /* enough: stop */
	const struct bl_report *r = ctx->r;
	const struct bl_report_series *rs = &r->series[ctx->w->series];
	const struct bl_report_commit *ci = &r->commits[ctx->w->pos];
	struct bl_buf *b = &ctx->page;
	bl_buf_reset(b);
	char title[96];
	snprintf(title, sizeof(title), "Run %lld", (long long)d->run_id);
	bl_page_begin(b, r, "../", "run", title, NULL);
	bl_buf_puts(b, "<p class=\"bl-meta\">");
	bl_buf_printf(b, "<a href=\"../series/s%zu.html#c=%zu\">", rs->id, ctx->w->pos);
	bl_html_escape(b, rs->s->label);
	bl_buf_puts(b, "</a> on ");
	bl_html_escape(b, rs->s->machine);
	bl_buf_puts(b, " at ");
	bl_page_commit(b, r, ci->sha);
	bl_buf_puts(b, " ");
	bl_html_escape(b, ci->subject);
	bl_buf_printf(b, " \xc2\xb7 measured run %d, status <b>", d->index);
	bl_html_escape(b, d->status ? d->status : "?");
	bl_buf_puts(b, "</b>");
	if (d->start_unix_ns) {
		char when[32];
		bl_format_utc(d->start_unix_ns / 1000000000, when);
		bl_buf_printf(b, ", started %s", when);
	}
	char wall[64];
	bl_format_value(d->wall_s, "s", wall, sizeof(wall));
	bl_buf_printf(b, ", wall time %s, %zu device sample%s</p>\n", wall, d->n_samples, d->n_samples == 1 ? "" : "s");
	bl_buf_puts(b, "<section><h2>Metrics</h2>\n<table class=\"bl-sortable\"><thead><tr><th>metric</th>"
		       "<th class=\"num\">value</th><th>unit</th><th>better</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < d->n_metrics; i++) {
		const struct bl_metric *m = &d->metrics[i];
		char v[64];
		bl_format_value(m->value, m->unit, v, sizeof(v));
		bl_buf_puts(b, "<tr><td>");
		bl_html_escape(b, m->name);
		bl_buf_printf(b, "</td><td class=\"num\" data-v=\"%.9g\">", m->value);
		bl_html_escape(b, v);
		bl_buf_puts(b, "</td><td>");
		bl_html_escape(b, m->unit ? m->unit : "");
		const char *better = bl_better_name(m->better);
		bl_buf_printf(b, "</td><td>%s</td></tr>\n", better ? better : "");
	}
	bl_buf_puts(b, "</tbody></table></section>\n<section><h2>Device timeline <small>while the run executed; "
		       "hover for values</small></h2>\n<div id=\"timelines\"></div></section>\n"
		       "<script type=\"application/json\" id=\"bl-data\" data-bl>");
	run_json(b, d);
	bl_buf_puts(b, "</script>\n");
	bl_page_end(b, "../", false);
	char rel[64];
	snprintf(rel, sizeof(rel), "runs/r%lld.html", (long long)d->run_id);
	if (bl_site_write(ctx->site, rel, b, ctx->err))
		return -1;
	BL_GROW(ctx->links, ctx->cap_links, ctx->n_links + 1);
	ctx->links[ctx->n_links++] =
		(struct bl_run_link){.benchmark_id = ctx->w->benchmark_id, .run_id = d->run_id, .index = d->index};
	return 0;
}

static int cmp_links(const void *a, const void *b)
{
	const struct bl_run_link *x = a, *y = b;
	if (x->benchmark_id != y->benchmark_id)
		return (x->benchmark_id > y->benchmark_id) - (x->benchmark_id < y->benchmark_id);
	return (x->index > y->index) - (x->index < y->index);
}

int bl_report_run_pages(const struct bl_report *r, struct bl_store *store, size_t max_pages, struct bl_site *site,
			struct bl_run_link **links, size_t *n_links, struct bl_error *err)
{
	struct wanted *w = NULL;
	size_t n = 0, cap = 0;
	/* the head commit first, then the changes, newest first */
	for (size_t i = 0; r->head_pos != BL_REPORT_NONE && i < r->n_series; i++)
		add_wanted(&w, &n, &cap, &r->series[i], i, r->head_pos);
	for (size_t e = 0; e < r->n_events; e++) {
		const struct bl_report_series *rs = &r->series[r->events[e].series];
		const struct bl_change *c = &rs->changes[r->events[e].change];
		add_wanted(&w, &n, &cap, rs, r->events[e].series, c->pos);
		add_wanted(&w, &n, &cap, rs, r->events[e].series, c->prev_pos);
	}
	struct run_ctx ctx = {.r = r, .site = site, .max_pages = max_pages, .err = err};
	bl_buf_init(&ctx.page);
	int rc = 0;
	for (size_t i = 0; i < n && ctx.n_links < max_pages; i++) {
		ctx.w = &w[i];
		rc = bl_store_case_runs(store, w[i].benchmark_id, on_run, &ctx, err);
		if (rc == 1)
			rc = 0;
		if (rc)
			break;
	}
	bl_buf_release(&ctx.page);
	free(w);
	if (rc) {
		free(ctx.links);
		return -1;
	}
	if (ctx.n_links > 1)
		qsort(ctx.links, ctx.n_links, sizeof(*ctx.links), cmp_links);
	*links = ctx.links;
	*n_links = ctx.n_links;
	return 0;
}
