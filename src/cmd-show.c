/* cmd-show.c - `benchline show`: results per commit and benchmark case. */
#include "cli.h"
#include "analysis.h"
#include "benchline/git.h"
#include "benchline/report.h"
#include "benchline/stats.h"

#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: benchline show [options] [REV | A..B]...\n"
	"\n"
	"Prints, for each commit (oldest first) and benchmark case, the number of\n"
	"measured runs n, the median, the minimum, the spread (MAD: median absolute\n"
	"deviation, and CV: coefficient of variation) of one metric, and the status of\n"
	"the case (complete, pending, failed, build-failed). Without revisions, every\n"
	"commit in the database is shown.\n"
	"\n"
	"Options:\n"
	"  --metric NAME       metric to summarise (default: wall_time; 'all' for every metric)\n"
	"  --benchmark NAME    only this benchmark\n"
	"  --format FORMAT     table (default), json or csv\n"
	"  --db PATH           database (default: $BENCHLINE_DB or <repo>/.benchline/results.db)\n"
	"  --device RUN        instead, summarise the device samples of run RUN (runs.run_id):\n"
	"                      samples, duration, and min/mean/max of each series\n"
	"  --sparklines        instead, one line per series: a unicode sparkline of its\n"
	"                      median over the commits shown (oldest to newest), the\n"
	"                      latest median and its change; on a terminal, steps that\n"
	"                      are more than 5% worse than the commit before are red,\n"
	"                      better ones green, failures a red 'x' (NO_COLOR: plain)\n"
	"  --width N           commits per sparkline, the newest N (default 40)\n"
	"\n"
	"Built-in metrics of every run: wall_time, user_time, system_time, cpu_time (s)\n"
	"and peak_memory (bytes); benchmarks add their own through BENCHLINE_METRICS.\n";

struct row {
	size_t order;   /* position of the commit in history */
	char *display;  /* label with its series, when a case has several */
	char *params;
	char *suite;
	int64_t machine_id;
	char *sha;
	char *subject;
	char *label;
	char *machine;
	char *status;
	char *metric;
	char *unit;
	const char *better;
	struct bl_summary sum;
	int runs_total, runs_failed;
};

struct rows {
	struct row *v;
	size_t n, cap;
};

static int collect(void *ctx, const struct bl_point *p)
{
	struct rows *rows = ctx;
	BL_GROW(rows->v, rows->cap, rows->n + 1);
	struct row *r = &rows->v[rows->n++];
	memset(r, 0, sizeof(*r));
	r->sha = bl_xstrdup(p->commit_sha);
	r->params = bl_xstrdup(p->params_json ? p->params_json : "{}");
	r->suite = bl_xstrdup(p->suite_hash ? p->suite_hash : "");
	r->machine_id = p->machine_id;
	r->subject = bl_xstrdup(p->subject ? p->subject : "");
	r->label = cli_case_label(p->name, p->params_json);
	r->machine = bl_xstrdup(p->machine ? p->machine : "");
	r->status = bl_xstrdup(p->status ? p->status : "");
	r->metric = p->metric ? bl_xstrdup(p->metric) : NULL;
	r->unit = p->unit ? bl_xstrdup(p->unit) : NULL;
	r->better = bl_better_name(p->better);
	bl_summarize(p->values, p->n_values, &r->sum);
	r->runs_total = p->runs_total;
	r->runs_failed = p->runs_failed;
	return 0;
}

static void rows_release(struct rows *rows)
{
	for (size_t i = 0; i < rows->n; i++) {
		struct row *r = &rows->v[i];
		free(r->sha);
		free(r->params);
		free(r->display);
		free(r->suite);
		free(r->subject);
		free(r->label);
		free(r->machine);
		free(r->status);
		free(r->metric);
		free(r->unit);
	}
	free(rows->v);
}

static void csv_field(const char *s)
{
	cli_csv_field(stdout, s);
}

/* pyperf-like warnings of a summary, by name. */
static const struct {
	unsigned bit;
	const char *name;
} warnings[] = {
	{BL_WARN_FEW_RUNS, "few-runs"},
	{BL_WARN_SPREAD, "spread"},
	{BL_WARN_RESOLUTION, "resolution"},
	{BL_WARN_OUTLIERS, "outliers"},
};

/* "few-runs;spread" */
static void warning_text(unsigned bits, char *out, size_t size)
{
	out[0] = '\0';
	for (size_t k = 0; k < sizeof(warnings) / sizeof(warnings[0]); k++)
		if (bits & warnings[k].bit)
			snprintf(out + strlen(out), size - strlen(out), "%s%s", out[0] ? ";" : "", warnings[k].name);
}

static void print_csv(const struct rows *rows)
{
	printf("commit,subject,benchmark,params,machine,suite_hash,status,metric,unit,better,n,median,min,max,mean,"
	       "stddev,mad,cv,runs_failed,p5,p25,p75,p95,p99,median_ci_lo,median_ci_hi,outliers,warnings\n");
	for (size_t i = 0; i < rows->n; i++) {
		const struct row *r = &rows->v[i];
		csv_field(r->sha);
		putchar(',');
		csv_field(r->subject);
		putchar(',');
		csv_field(r->label);
		putchar(',');
		csv_field(r->params);
		putchar(',');
		csv_field(r->machine);
		putchar(',');
		csv_field(r->suite);
		putchar(',');
		csv_field(r->status);
		putchar(',');
		csv_field(r->metric ? r->metric : "");
		putchar(',');
		csv_field(r->unit ? r->unit : "");
		putchar(',');
		csv_field(r->better ? r->better : "");
		if (r->sum.n) {
			char warn[128];
			warning_text(r->sum.warnings, warn, sizeof(warn));
			printf(",%zu,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.6g,%d,%.9g,%.9g,%.9g,%.9g,%.9g,", r->sum.n,
			       r->sum.median, r->sum.min, r->sum.max, r->sum.mean, r->sum.stddev, r->sum.mad, r->sum.cv,
			       r->runs_failed, r->sum.p5, r->sum.p25, r->sum.p75, r->sum.p95, r->sum.p99);
			if (r->sum.ci_valid)
				printf("%.9g,%.9g,", r->sum.median_lo, r->sum.median_hi);
			else
				printf(",,");
			printf("%zu,%s\n", r->sum.outliers, warn);
		} else {
			printf(",0,,,,,,,,%d,,,,,,,,,\n", r->runs_failed);
		}
	}
}

static void print_json(const struct rows *rows)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < rows->n; i++) {
		const struct row *r = &rows->v[i];
		json_t *o = json_object();
		json_object_set_new(o, "commit", json_string(r->sha));
		json_object_set_new(o, "subject", json_string(r->subject));
		json_object_set_new(o, "benchmark", json_string(r->label));
		json_object_set_new(o, "machine", json_string(r->machine));
		json_object_set_new(o, "machine_id", json_integer((json_int_t)r->machine_id));
		json_t *params = json_loads(r->params, 0, NULL);
		json_object_set_new(o, "params", params ? params : json_object());
		json_object_set_new(o, "suite_hash", json_string(r->suite));
		json_object_set_new(o, "status", json_string(r->status));
		json_object_set_new(o, "metric", r->metric ? json_string(r->metric) : json_null());
		json_object_set_new(o, "unit", r->unit ? json_string(r->unit) : json_null());
		json_object_set_new(o, "better", r->better ? json_string(r->better) : json_null());
		json_object_set_new(o, "n", json_integer((json_int_t)r->sum.n));
		json_object_set_new(o, "runs_failed", json_integer(r->runs_failed));
		if (r->sum.n) {
			json_object_set_new(o, "median", json_real(r->sum.median));
			json_object_set_new(o, "min", json_real(r->sum.min));
			json_object_set_new(o, "max", json_real(r->sum.max));
			json_object_set_new(o, "mean", json_real(r->sum.mean));
			json_object_set_new(o, "stddev", json_real(r->sum.stddev));
			json_object_set_new(o, "mad", json_real(r->sum.mad));
			json_object_set_new(o, "cv", json_real(r->sum.cv));
			json_object_set_new(o, "p5", json_real(r->sum.p5));
			json_object_set_new(o, "p25", json_real(r->sum.p25));
			json_object_set_new(o, "p75", json_real(r->sum.p75));
			json_object_set_new(o, "p95", json_real(r->sum.p95));
			json_object_set_new(o, "p99", json_real(r->sum.p99));
			json_object_set_new(o, "median_ci", r->sum.ci_valid ? json_pack("[ff]", r->sum.median_lo,
											  r->sum.median_hi)
									     : json_null());
			json_object_set_new(o, "outliers", json_integer((json_int_t)r->sum.outliers));
			json_t *w = json_array();
			for (size_t k = 0; k < sizeof(warnings) / sizeof(warnings[0]); k++)
				if (r->sum.warnings & warnings[k].bit)
					json_array_append_new(w, json_string(warnings[k].name));
			json_object_set_new(o, "warnings", w);
		}
		json_array_append_new(arr, o);
	}
	char *s = json_dumps(arr, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	puts(s);
	free(s);
	json_decref(arr);
}

static int cmp_row_label(const void *a, const void *b)
{
	return strcmp((*(struct row *const *)a)->label, (*(struct row *const *)b)->label);
}

/* When one case has several series (its suite changed, or several machines
 * share the database), the label says which one each row belongs to. Rows
 * are grouped by label through a sort: comparing every row with every other
 * took minutes for a whole history (80,000 rows). */
static void decorate_labels(struct rows *rows)
{
	struct row **by = bl_xmalloc((rows->n ? rows->n : 1) * sizeof(*by));
	for (size_t i = 0; i < rows->n; i++)
		by[i] = &rows->v[i];
	qsort(by, rows->n, sizeof(*by), cmp_row_label);
	for (size_t g = 0, e; g < rows->n; g = e) {
		bool other_suite = false, other_machine = false;
		for (e = g + 1; e < rows->n && !strcmp(by[e]->label, by[g]->label); e++) {
			other_suite |= strcmp(by[e]->suite, by[g]->suite) != 0;
			other_machine |= by[e]->machine_id != by[g]->machine_id;
		}
		if (!other_suite && !other_machine)
			continue;
		for (size_t i = g; i < e; i++) {
			struct row *r = by[i];
			struct bl_buf b;
			bl_buf_init(&b);
			bl_buf_puts(&b, r->label);
			if (other_machine)
				bl_buf_printf(&b, " on %s", r->machine);
			if (other_suite)
				bl_buf_printf(&b, " suite %.7s", r->suite);
			r->display = bl_buf_detach(&b);
		}
	}
	free(by);
}

static int cmp_order(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	return (x->order > y->order) - (x->order < y->order);
}

struct sha_pos {
	const char *sha;
	size_t k;
};

static int cmp_sha_pos(const void *a, const void *b)
{
	return strcmp(((const struct sha_pos *)a)->sha, ((const struct sha_pos *)b)->sha);
}

/* Orders rows by history (parents before children) instead of commit time,
 * which ties for rebased or scripted commits. Without the repository the
 * store's order (commit time) stays. */
static void order_by_history(const char *repo, struct rows *rows)
{
	struct bl_strvec shas;
	bl_strvec_init(&shas);
	for (size_t i = 0; i < rows->n; i++)
		if (i == 0 || strcmp(rows->v[i].sha, rows->v[i - 1].sha))
			bl_strvec_push(&shas, rows->v[i].sha);
	struct bl_rev_selection sel = {.args = (const char *const *)shas.v, .n_args = shas.n, .every = 1};
	struct bl_sha_list order = {0};
	struct bl_error err = {{0}};
	if (shas.n && bl_revs_select(repo, &sel, &order, &err) == 0 && order.n == shas.n) {
		/* each commit's place in the history, found by SHA through a sort */
		struct sha_pos *pos = bl_xmalloc(order.n * sizeof(*pos));
		for (size_t k = 0; k < order.n; k++)
			pos[k] = (struct sha_pos){.sha = order.shas[k], .k = k};
		qsort(pos, order.n, sizeof(*pos), cmp_sha_pos);
		for (size_t i = 0; i < rows->n; i++) {
			rows->v[i].order = i; /* stable among rows of one commit */
			struct sha_pos key = {.sha = rows->v[i].sha};
			const struct sha_pos *hit = bsearch(&key, pos, order.n, sizeof(*pos), cmp_sha_pos);
			if (hit)
				rows->v[i].order += hit->k * rows->n;
		}
		free(pos);
		qsort(rows->v, rows->n, sizeof(rows->v[0]), cmp_order);
	}
	bl_sha_list_release(&order);
	bl_strvec_release(&shas);
}

/* Shortens a label to max bytes by cutting the middle of the name, so that
 * the [params] part, which tells cases apart, stays whole when it can. */
static void shorten_label(char *label, size_t max)
{
	size_t len = strlen(label);
	if (len <= max)
		return;
	char *bracket = strchr(label, '[');
	size_t tail = bracket ? len - (size_t)(bracket - label) : 0;
	if (!bracket || tail + 6 > max) {
		cli_truncate(label, max);
		return;
	}
	size_t head = max - tail - 3;
	memmove(label + head + 3, bracket, tail + 1);
	memcpy(label + head, "...", 3);
}

static void print_table(const struct rows *rows, bool all_metrics)
{
	bool color = cli_color(stdout);
	size_t w_label = 9, w_metric = 6;
	for (size_t i = 0; i < rows->n; i++) {
		size_t l = strlen(rows->v[i].display ? rows->v[i].display : rows->v[i].label);
		if (l > w_label)
			w_label = l > 40 ? 40 : l;
		if (rows->v[i].metric && strlen(rows->v[i].metric) > w_metric)
			w_metric = strlen(rows->v[i].metric) > 24 ? 24 : strlen(rows->v[i].metric);
	}
	printf("%-12s  %-32s  %-*s  ", "commit", "subject", (int)w_label, "benchmark");
	if (all_metrics)
		printf("%-*s  ", (int)w_metric, "metric");
	printf("%3s  %11s  %8s  %8s  %11s  %11s  %6s  %s\n", "n", "median", "CI", "change", "min", "MAD", "CV",
	       "status");
	const char *prev_sha = "";
	for (size_t i = 0; i < rows->n; i++) {
		const struct row *r = &rows->v[i];
		char subj[128], label[128], med[32] = "-", mn[32] = "-", mad[32] = "-", cv[16] = "-", ci[16] = "-";
		cli_sanitize(r->subject, subj, sizeof(subj));
		cli_truncate(subj, 32);
		cli_sanitize(r->display ? r->display : r->label, label, sizeof(label));
		shorten_label(label, w_label);
		if (r->sum.n) {
			cli_format_value(r->sum.median, r->unit, med, sizeof(med));
			cli_format_value(r->sum.min, r->unit, mn, sizeof(mn));
			cli_format_value(r->sum.mad, r->unit, mad, sizeof(mad));
			if (r->sum.n > 1)
				snprintf(cv, sizeof(cv), "%.1f%%", r->sum.cv * 100);
			/* half the 95% interval of the median, relative to it */
			if (r->sum.ci_valid && r->sum.median != 0)
				snprintf(ci, sizeof(ci), "+-%.1f%%",
					 50 * (r->sum.median_hi - r->sum.median_lo) / fabs(r->sum.median));
		}
		/* Change of the median against the previous commit of the same series. */
		char change[16] = "";
		bool worse = false;
		for (size_t j = i; r->sum.n && j-- > 0;) {
			const struct row *q = &rows->v[j];
			if (!q->sum.n || strcmp(q->label, r->label) || q->machine_id != r->machine_id || strcmp(q->suite, r->suite) ||
			    strcmp(q->unit ? q->unit : "", r->unit ? r->unit : "") ||
			    (q->metric && r->metric && strcmp(q->metric, r->metric)) || !strcmp(q->sha, r->sha))
				continue;
			if (q->sum.median != 0) {
				double rel = r->sum.median / q->sum.median - 1;
				snprintf(change, sizeof(change), "%+.1f%%", rel * 100);
				worse = (r->better && !strcmp(r->better, "lower") && rel > 0.05) ||
					(r->better && !strcmp(r->better, "higher") && rel < -0.05);
			}
			break;
		}
		bool same = !strcmp(prev_sha, r->sha);
		char shortsha[13];
		snprintf(shortsha, sizeof(shortsha), "%.12s", r->sha);
		printf("%-12s  %-32s  %-*s  ", same ? "" : shortsha, same ? "" : subj, (int)w_label, label);
		if (all_metrics) {
			char m[64];
			cli_sanitize(r->metric ? r->metric : "-", m, sizeof(m));
			printf("%-*.*s  ", (int)w_metric, (int)w_metric, m);
		}
		bool bad = strcmp(r->status, "complete") && strcmp(r->status, "pending");
		printf("%3zu  %11s  %8s  %s%8s%s  %11s  %11s  %6s  %s%s%s", r->sum.n, med, ci, worse && color ? "\033[31m" : "", change,
		       worse && color ? "\033[0m" : "", mn, mad, cv, bad && color ? "\033[31m" : "",
		       r->status, bad && color ? "\033[0m" : "");
		if (r->runs_failed)
			printf(" (%d failed run%s)", r->runs_failed, r->runs_failed == 1 ? "" : "s");
		if (r->sum.n && r->sum.warnings) {
			char warn[128];
			warning_text(r->sum.warnings, warn, sizeof(warn));
			printf(" [%s]", warn);
		}
		putchar('\n');
		prev_sha = r->sha;
	}
}

/* One line per series: the rows of one (case label, machine, suite, metric, unit), in history order. */
static bool same_series(const struct row *a, const struct row *b)
{
	return !strcmp(a->label, b->label) && a->machine_id == b->machine_id && !strcmp(a->suite, b->suite) &&
	       !strcmp(a->metric ? a->metric : "", b->metric ? b->metric : "") &&
	       !strcmp(a->unit ? a->unit : "", b->unit ? b->unit : "");
}

static bool worse_step(const struct row *r, double rel)
{
	return (r->better && !strcmp(r->better, "lower") && rel > 0.05) ||
	       (r->better && !strcmp(r->better, "higher") && rel < -0.05);
}

static bool better_step(const struct row *r, double rel)
{
	return (r->better && !strcmp(r->better, "lower") && rel < -0.05) ||
	       (r->better && !strcmp(r->better, "higher") && rel > 0.05);
}

static void print_sparklines(const struct rows *rows, size_t width)
{
	bool color = cli_color(stdout);
	bool *done = bl_xcalloc(rows->n ? rows->n : 1, sizeof(bool));
	size_t *members = bl_xcalloc(rows->n ? rows->n : 1, sizeof(size_t));
	printf("%-40s  %-14s  %-*.*s  %11s  %8s\n", "series", "metric", (int)width, (int)width,
	       "history (oldest to newest)", "latest", "change");
	for (size_t i = 0; i < rows->n; i++) {
		if (done[i] || !rows->v[i].metric)
			continue;
		/* its commits, and those where the case has no value at all (a failed build) */
		size_t n = 0;
		for (size_t j = 0; j < rows->n; j++) {
			const struct row *q = &rows->v[j];
			bool same_case = !strcmp(q->label, rows->v[i].label) && q->machine_id == rows->v[i].machine_id &&
					 !strcmp(q->suite, rows->v[i].suite);
			if (q->metric ? !done[j] && same_series(&rows->v[i], q) : same_case) {
				members[n++] = j;
				done[j] = q->metric != NULL;
			}
		}
		size_t first = n > width ? n - width : 0;
		const struct row *r = &rows->v[i];
		char label[128], metric[64], latest[32] = "-", change[16] = "";
		cli_sanitize(r->display ? r->display : r->label, label, sizeof(label));
		cli_truncate(label, 40);
		cli_sanitize(r->metric, metric, sizeof(metric));
		cli_truncate(metric, 14);
		printf("%-40s  %-14s  ", label, metric);
		/* the sparkline, one character per commit, scaled over the commits shown */
		double *med = bl_xcalloc(n - first + 1, sizeof(double));
		for (size_t k = first; k < n; k++) {
			const struct row *q = &rows->v[members[k]];
			bool failed = strcmp(q->status, "complete") && strcmp(q->status, "pending");
			med[k - first] = q->sum.n && !failed ? q->sum.median : NAN;
		}
		double lo = INFINITY, hi = -INFINITY;
		for (size_t m = 0; m < n - first; m++)
			if (isfinite(med[m])) {
				lo = fmin(lo, med[m]);
				hi = fmax(hi, med[m]);
			}
		const struct row *prev = NULL; /* the measured commit before */
		for (size_t k = first; k < n; k++) {
			const struct row *q = &rows->v[members[k]];
			const char *glyph = bl_spark_glyph(med[k - first], lo, hi), *on = "", *off = "";
			if (!isfinite(med[k - first]) && q->sum.n == 0 && strcmp(q->status, "complete") &&
			    strcmp(q->status, "pending"))
				glyph = "x";
			if (color && !strcmp(glyph, "x"))
				on = "\033[31m", off = "\033[0m";
			if (isfinite(med[k - first]) && prev && prev->sum.median != 0) {
				double rel = q->sum.median / prev->sum.median - 1;
				if (color && worse_step(q, rel))
					on = "\033[31m", off = "\033[0m";
				else if (color && better_step(q, rel))
					on = "\033[32m", off = "\033[0m";
			}
			printf("%s%s%s", on, glyph, off);
			if (isfinite(med[k - first]))
				prev = q;
		}
		for (size_t k = n - first; k < width; k++)
			putchar(' ');
		/* the latest median and its change from the measured commit before it */
		const struct row *newest = NULL, *before = NULL;
		for (size_t k = n; k-- > 0;) {
			const struct row *q = &rows->v[members[k]];
			if (!q->sum.n || (strcmp(q->status, "complete") && strcmp(q->status, "pending")))
				continue;
			if (!newest)
				newest = q;
			else {
				before = q;
				break;
			}
		}
		bool worse = false;
		if (newest) {
			cli_format_value(newest->sum.median, newest->unit, latest, sizeof(latest));
			if (before && before->sum.median != 0) {
				double rel = newest->sum.median / before->sum.median - 1;
				snprintf(change, sizeof(change), "%+.1f%%", 100 * rel);
				worse = worse_step(newest, rel);
			}
		}
		printf("  %11s  %s%8s%s\n", latest, worse && color ? "\033[31m" : "", change, worse && color ? "\033[0m" : "");
		free(med);
	}
	free(done);
	free(members);
}

static const char *device_unit(const char *column)
{
	static const char *const units[][2] = {
	    {"cpu_util", "% of a core"},  {"mem_megabytes", "MiB"},	   {"procs", "processes"},
	    {"sys_cpu_util", "% of a core"}, {"sys_mem_megabytes", "MiB"},  {"gpu_util", "%"},
	    {"gpu_mem_megabytes", "MiB"},	 {"gpu_power_w", "W"},	   {"gpu_temp_c", "C"},
	    {"gpu_sm_clock_mhz", "MHz"},	 {"gpu_clock_reasons", "bits"}, {"gpu_proc_mem_megabytes", "MiB"},
	};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(units[i][0], column))
			return units[i][1];
	return "";
}

static int print_device(void *ctx, const struct bl_device_report *r)
{
	(void)ctx;
	char name[128], params[256];
	cli_sanitize(r->benchmark ? r->benchmark : "?", name, sizeof(name));
	cli_sanitize(r->params_json ? r->params_json : "{}", params, sizeof(params));
	printf("run %lld: %s %s at %.12s, %s run %d (%s): %zu samples over %.3f s\n", (long long)r->run_id, name,
	       params, r->commit_sha ? r->commit_sha : "?", r->kind ? r->kind : "?", r->index,
	       r->status ? r->status : "?", r->n_samples, r->duration_s);
	if (!r->n_samples) {
		printf("no device samples (sampling off, or the run did not start)\n");
		return 0;
	}
	printf("%-28s %6s %12s %12s %12s  %s\n", "series", "n", "min", "mean", "max", "unit");
	for (size_t i = 0; i < r->n_stats; i++) {
		const struct bl_device_stat *st = &r->stats[i];
		char label[64];
		if (st->gpu_index >= 0)
			snprintf(label, sizeof(label), "gpu%d %s", st->gpu_index, st->column);
		else
			snprintf(label, sizeof(label), "%s", st->column);
		if (st->n)
			printf("%-28s %6zu %12.2f %12.2f %12.2f  %s\n", label, st->n, st->min, st->mean, st->max,
			       device_unit(st->column));
		else
			printf("%-28s %6zu %12s %12s %12s  %s\n", label, st->n, "-", "-", "-", device_unit(st->column));
	}
	return 0;
}

static int cmd_show_main(int argc, char **argv)
{
	enum { OPT_METRIC = 256, OPT_BENCH, OPT_FORMAT, OPT_DB, OPT_DEVICE, OPT_SPARK, OPT_WIDTH };
	static const struct option longopts[] = {
		{"metric", required_argument, NULL, OPT_METRIC},
		{"benchmark", required_argument, NULL, OPT_BENCH},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"db", required_argument, NULL, OPT_DB},
		{"device", required_argument, NULL, OPT_DEVICE},
		{"sparklines", no_argument, NULL, OPT_SPARK},
		{"width", required_argument, NULL, OPT_WIDTH},
		{NULL, 0, NULL, 0},
	};
	const char *metric = "wall_time", *bench = NULL, *format = "table", *db_opt = NULL, *device = NULL;
	bool sparklines = false;
	long width = 40;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_METRIC: metric = optarg; break;
		case OPT_BENCH: bench = optarg; break;
		case OPT_FORMAT: format = optarg; break;
		case OPT_DB: db_opt = optarg; break;
		case OPT_DEVICE: device = optarg; break;
		case OPT_SPARK: sparklines = true; break;
		case OPT_WIDTH: {
			char *end;
			width = strtol(optarg, &end, 10);
			if (!*optarg || *end || width < 2 || width > 1000)
				return cli_usage_error("show", "--width needs a number of commits from 2 to 1000, got '%s'",
						       optarg);
			break;
		}
		case ':': return cli_usage_error("show", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("show", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (strcmp(format, "table") && strcmp(format, "json") && strcmp(format, "csv"))
		return cli_usage_error("show", "unknown --format '%s': expected table, json or csv", format);
	if (sparklines && (device || strcmp(format, "table")))
		return cli_usage_error("show", "--sparklines is a table of its own: not with --device or --format");
	bool all_metrics = !strcmp(metric, "all");
	long long device_run = 0;
	if (device) {
		char *end;
		device_run = strtoll(device, &end, 10);
		if (!*device || *end || device_run <= 0)
			return cli_usage_error("show", "--device needs a run id (a positive integer), got '%s'", device);
		if (optind < argc)
			return cli_usage_error("show", "--device RUN takes no revisions");
	}

	struct cli_context ctx;
	struct bl_error err = {{0}};
	struct bl_sha_list shas = {0};
	struct bl_store *store = NULL;
	struct rows rows = {0};
	int rc = EXIT_OK;
	if (cli_context_init(&ctx, NULL, db_opt, NULL, false, &err)) {
		cli_error("%s", err.msg);
		cli_context_release(&ctx);
		return EXIT_USAGE;
	}
	if (optind < argc) {
		if (!ctx.repo) {
			rc = EXIT_USAGE;
			cli_error("revisions need a git repository; run inside one or use -C DIR");
			goto out;
		}
		struct bl_rev_selection sel = {.args = (const char *const *)(argv + optind),
					       .n_args = (size_t)(argc - optind), .every = 1};
		if (bl_revs_select(ctx.repo, &sel, &shas, &err)) {
			cli_error("%s", err.msg);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (access(ctx.db_path, F_OK) != 0 && !strstr(ctx.db_path, "://")) {
		cli_error("no results yet: database '%s' does not exist (run 'benchline run' first)", ctx.db_path);
		rc = EXIT_USAGE;
		goto out;
	}
	if (bl_store_open(ctx.db_path, &store, &err)) {
		cli_error("%s", err.msg);
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (device) {
		if (bl_store_run_device(store, device_run, print_device, NULL, &err)) {
			cli_error("%s", err.msg);
			rc = EXIT_RUNTIME;
		}
		goto out;
	}
	const char **list = NULL;
	if (shas.n) {
		list = bl_xcalloc(shas.n, sizeof(char *));
		for (size_t i = 0; i < shas.n; i++)
			list[i] = shas.shas[i];
	}
	struct bl_point_query q = {
		.repository = ctx.repo, /* a shared database may hold other repositories */
		.shas = list,
		.n_shas = shas.n,
		.metric = all_metrics ? NULL : metric,
		.benchmark = bench,
	};
	int qrc = bl_store_foreach_point(store, &q, collect, &rows, &err);
	free(list);
	if (qrc) {
		cli_error("%s", err.msg);
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (ctx.repo)
		order_by_history(ctx.repo, &rows);
	decorate_labels(&rows);
	bool metric_seen = all_metrics;
	for (size_t i = 0; i < rows.n && !metric_seen; i++)
		metric_seen = rows.v[i].metric != NULL;
	if (rows.n && !metric_seen)
		cli_warn("no run has a metric named '%s'; 'benchline show --metric all' lists the metrics recorded",
			 metric);
	if (!strcmp(format, "json"))
		print_json(&rows);
	else if (!strcmp(format, "csv"))
		print_csv(&rows);
	else if (rows.n == 0)
		printf("no results%s\n", shas.n ? " for these commits" : "");
	else if (sparklines)
		print_sparklines(&rows, (size_t)width);
	else
		print_table(&rows, all_metrics);
out:
	rows_release(&rows);
	if (store)
		bl_store_close(store);
	bl_sha_list_release(&shas);
	cli_context_release(&ctx);
	return rc;
}

const struct cli_command cli_cmd_show = {
	.name = "show",
	.fn = cmd_show_main,
	.summary = "print results per commit and benchmark (table, json, csv)",
	.usage = usage,
};
