/* series.c - stored points regrouped into series (series.h). */
#include "benchline/series.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *bl_case_label(const char *name, const char *params_json)
{
	json_t *o = params_json ? json_loads(params_json, 0, NULL) : NULL;
	if (!o || !json_is_object(o) || json_object_size(o) == 0) {
		json_decref(o);
		return bl_xstrdup(name);
	}
	struct bl_buf b;
	bl_buf_init(&b);
	bl_buf_printf(&b, "%s[", name);
	const char *key;
	json_t *val;
	bool first = true;
	json_object_foreach(o, key, val)
	{
		bl_buf_printf(&b, "%s%s=%s", first ? "" : ",", key, json_is_string(val) ? json_string_value(val) : "?");
		first = false;
	}
	bl_buf_putc(&b, ']');
	json_decref(o);
	return bl_buf_detach(&b);
}

bool bl_metric_is_auxiliary(const char *name)
{
	static const char *const names[] = {"user_time",     "system_time",  "cpu_time",    "peak_memory",
					    "cpu_util_mean", "cpu_util_max", "rss_mb_mean", "rss_mb_max",
					    "gpu_energy_j",  "cpu_energy_j"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return true;
	/* gpu<digits>_... per-GPU summaries */
	if (!strncmp(name, "gpu", 3) && name[3] >= '0' && name[3] <= '9') {
		const char *c = name + 3;
		while (*c >= '0' && *c <= '9')
			c++;
		return *c == '_';
	}
	return false;
}

enum bl_better bl_metric_direction(enum bl_better recorded, const char *unit)
{
	if (recorded != BL_BETTER_UNKNOWN || !unit)
		return recorded;
	static const char *const lower[] = {"s", "ms", "us", "ns", "B", "KiB", "MiB", "GiB", "KB", "MB", "GB", "J"};
	for (size_t i = 0; i < sizeof(lower) / sizeof(lower[0]); i++)
		if (!strcmp(unit, lower[i]))
			return BL_BETTER_LOWER;
	size_t n = strlen(unit);
	if (n > 2 && !strcmp(unit + n - 2, "/s"))
		return BL_BETTER_HIGHER;
	return BL_BETTER_UNKNOWN;
}

void bl_format_value(double v, const char *unit, char *out, size_t out_size)
{
	if (unit && !strcmp(unit, "s")) {
		double a = fabs(v);
		if (a >= 1 || a == 0)
			snprintf(out, out_size, "%.3f s", v);
		else if (a >= 1e-3)
			snprintf(out, out_size, "%.2f ms", v * 1e3);
		else if (a >= 1e-6)
			snprintf(out, out_size, "%.2f us", v * 1e6);
		else
			snprintf(out, out_size, "%.1f ns", v * 1e9);
	} else if (unit && !strcmp(unit, "B")) {
		double a = fabs(v);
		if (a >= 1 << 30)
			snprintf(out, out_size, "%.2f GiB", v / (1 << 30));
		else if (a >= 1 << 20)
			snprintf(out, out_size, "%.1f MiB", v / (1 << 20));
		else if (a >= 1 << 10)
			snprintf(out, out_size, "%.1f KiB", v / (1 << 10));
		else
			snprintf(out, out_size, "%.0f B", v);
	} else {
		snprintf(out, out_size, "%.4g%s%s", v, unit && *unit ? " " : "", unit ? unit : "");
	}
}

static bool same_str(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

/* Loading keeps series in a growing array; finding a point's series goes
 * through the last one used first (the store returns a commit's points
 * together and series repeat in the same order at every commit), then a
 * linear scan. Series counts are small (cases x metrics x machines). */
struct loader {
	struct bl_series_set *set;
	size_t cap, cap_failed;
	size_t last;
};

static struct bl_series *find_series(struct loader *ld, const struct bl_point *p)
{
	struct bl_series_set *set = ld->set;
	for (size_t k = 0; k < set->n; k++) {
		size_t i = (ld->last + k) % set->n;
		struct bl_series *s = &set->v[i];
		if (s->machine_id == p->machine_id && !strcmp(s->name, p->name) &&
		    same_str(s->params_json, p->params_json) && !strcmp(s->metric, p->metric) &&
		    same_str(s->unit, p->unit)) {
			ld->last = i;
			return s;
		}
	}
	BL_GROW(set->v, ld->cap, set->n + 1);
	struct bl_series *s = &set->v[set->n];
	memset(s, 0, sizeof(*s));
	s->name = bl_xstrdup(p->name);
	s->params_json = bl_xstrdup(p->params_json ? p->params_json : "{}");
	s->label = bl_case_label(p->name, p->params_json);
	s->machine_id = p->machine_id;
	s->machine = bl_xstrdup(p->machine ? p->machine : "");
	s->metric = bl_xstrdup(p->metric);
	s->unit = bl_xstrdup(p->unit ? p->unit : "");
	s->better = p->better;
	ld->last = set->n;
	set->n++;
	return s;
}

static void add_point(struct bl_series *s, size_t *cap, const struct bl_point *p)
{
	BL_GROW(s->points, *cap, s->n_points + 1);
	struct bl_series_point *pt = &s->points[s->n_points++];
	memset(pt, 0, sizeof(*pt));
	pt->benchmark_id = p->benchmark_id;
	pt->sha = bl_xstrdup(p->commit_sha);
	pt->subject = bl_xstrdup(p->subject ? p->subject : "");
	pt->commit_time = p->commit_time;
	pt->status = bl_xstrdup(p->status ? p->status : "");
	pt->suite_hash = bl_xstrdup(p->suite_hash ? p->suite_hash : "");
	if (p->n_values) {
		pt->values = bl_xmalloc(p->n_values * sizeof(double));
		memcpy(pt->values, p->values, p->n_values * sizeof(double));
	}
	pt->n_values = p->n_values;
	pt->runs_failed = p->runs_failed;
}

/* Point capacities live beside the set while loading. */
struct caps {
	size_t *v;
	size_t n, cap;
};

struct load_ctx {
	struct loader ld;
	struct caps caps, failed_caps;
	const struct bl_point_query *q;
};

static size_t *cap_of(struct caps *c, size_t i)
{
	while (c->n <= i) {
		BL_GROW(c->v, c->cap, c->n + 1);
		c->v[c->n++] = 0;
	}
	return &c->v[i];
}

static int on_point(void *vctx, const struct bl_point *p)
{
	struct load_ctx *ctx = vctx;
	struct bl_series_set *set = ctx->ld.set;
	if (p->metric && ctx->q && ctx->q->keep_metric && !ctx->q->keep_metric(ctx->q->keep_ctx, p->metric))
		return 0; /* its case is measured all the same: not a failure entry */
	if (!p->metric) {
		/* A case without a value here: one entry per case, one point per commit. */
		size_t i;
		for (i = 0; i < set->n_failed_cases; i++) {
			struct bl_series *f = &set->failed_cases[i];
			if (f->machine_id == p->machine_id && !strcmp(f->name, p->name) &&
			    same_str(f->params_json, p->params_json))
				break;
		}
		if (i == set->n_failed_cases) {
			BL_GROW(set->failed_cases, ctx->ld.cap_failed, set->n_failed_cases + 1);
			struct bl_series *f = &set->failed_cases[set->n_failed_cases++];
			memset(f, 0, sizeof(*f));
			f->name = bl_xstrdup(p->name);
			f->params_json = bl_xstrdup(p->params_json ? p->params_json : "{}");
			f->label = bl_case_label(p->name, p->params_json);
			f->machine_id = p->machine_id;
			f->machine = bl_xstrdup(p->machine ? p->machine : "");
		}
		add_point(&set->failed_cases[i], cap_of(&ctx->failed_caps, i), p);
		return 0;
	}
	struct bl_series *s = find_series(&ctx->ld, p);
	add_point(s, cap_of(&ctx->caps, (size_t)(s - set->v)), p);
	return 0;
}

int bl_series_order(const void *a, const void *b)
{
	const struct bl_series *x = a, *y = b;
	int c = strcmp(x->label, y->label);
	if (!c)
		c = strcmp(x->machine, y->machine);
	if (!c)
		c = (x->machine_id > y->machine_id) - (x->machine_id < y->machine_id);
	if (!c)
		c = strcmp(x->metric ? x->metric : "", y->metric ? y->metric : "");
	if (!c)
		c = strcmp(x->unit ? x->unit : "", y->unit ? y->unit : "");
	return c;
}

int bl_series_load(struct bl_store *s, const struct bl_point_query *q, struct bl_series_set *out,
		   struct bl_error *err)
{
	memset(out, 0, sizeof(*out));
	struct load_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.ld.set = out;
	ctx.q = q;
	int rc = bl_store_foreach_point(s, q, on_point, &ctx, err);
	free(ctx.caps.v);
	free(ctx.failed_caps.v);
	if (rc) {
		bl_series_set_release(out);
		return -1;
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(out->v[0]), bl_series_order);
	if (out->n_failed_cases > 1)
		qsort(out->failed_cases, out->n_failed_cases, sizeof(out->failed_cases[0]), bl_series_order);
	return 0;
}

static void series_release(struct bl_series *s, bool borrowed)
{
	for (size_t j = 0; j < s->n_points && !borrowed; j++) {
		struct bl_series_point *pt = &s->points[j];
		free(pt->sha);
		free(pt->subject);
		free(pt->status);
		free(pt->suite_hash);
		free(pt->values);
	}
	free(s->points);
	free(s->name);
	free(s->params_json);
	free(s->label);
	free(s->machine);
	free(s->metric);
	free(s->unit);
}

void bl_series_set_release(struct bl_series_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		series_release(&set->v[i], set->bulk != NULL);
	for (size_t i = 0; i < set->n_failed_cases; i++)
		series_release(&set->failed_cases[i], set->bulk != NULL);
	bl_series_bulk_release(set->bulk);
	free(set->v);
	free(set->failed_cases);
	memset(set, 0, sizeof(*set));
}

const struct bl_series_point *bl_series_point_at(const struct bl_series *series, const char *sha)
{
	const struct bl_series_point *found = NULL;
	for (size_t j = 0; j < series->n_points; j++)
		if (!strcmp(series->points[j].sha, sha))
			found = &series->points[j];
	return found;
}

const struct bl_series_point *bl_series_failed_at(const struct bl_series_set *set, const char *name,
						  const char *params_json, int64_t machine_id, const char *sha)
{
	for (size_t i = 0; i < set->n_failed_cases; i++) {
		const struct bl_series *f = &set->failed_cases[i];
		if (f->machine_id == machine_id && !strcmp(f->name, name) && same_str(f->params_json, params_json))
			return bl_series_point_at(f, sha);
	}
	return NULL;
}
