/* cmd-detect.c - `benchline detect`: which commits changed the level of a
 * series along first-parent history, by how much, and how sure we are. */
#include "cli.h"
#include "analysis.h"
#include "benchline/change_points.h"
#include "benchline/detect.h"
#include "benchline/git.h"
#include "benchline/series.h"

#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: benchline detect [options] [REV]\n"
	"       benchline detect --input FILE.csv [--format json]\n"
	"\n"
	"Finds change points in every benchmark series along the first-parent history\n"
	"of REV (default HEAD): the first commit at a new level, the relative change\n"
	"with its 95% confidence interval, and the Mann-Whitney p-value of the segments\n"
	"on either side. All repetitions are used; commits that failed to build or were\n"
	"not measured are gaps. The method (robust penalised segmentation on log values,\n"
	"each change confirmed by a rank test and an effect floor) is described in\n"
	"docs/DETECTION.md.\n"
	"\n"
	"Options:\n"
	"  --metric NAME       metric to analyse (repeatable); 'all' for every metric\n"
	"                      (default: wall_time and the benchmarks' own metrics)\n"
	"  --benchmark NAME    only this benchmark (repeatable)\n"
	"  --last N            only the newest N commits of the history\n"
	"  --alpha P           level of the confirming rank test (default 0.001: many\n"
	"                      boundaries are tested, so it is stricter than compare's)\n"
	"  --noise-floor PCT   smallest change reported (default: analysis.noise_floor(s)\n"
	"                      of benchline.yaml, or 1%)\n"
	"  --min-segment N     fewest measured commits at a level (default 3)\n"
	"  --input FILE        read series from CSV instead of the database: header\n"
	"                      'series,commit,repetition,value', commit being the\n"
	"                      0-based position in history ('-' for stdin)\n"
	"  --format FORMAT     table (default), json or csv\n"
	"  --save              store the change points found in the database (table\n"
	"                      change_points), replacing what an earlier --save stored\n"
	"                      for the same series, in one transaction\n"
	"  --config FILE       configuration (default: <repo>/benchline.yaml, optional)\n"
	"  --db PATH           database (default: $BENCHLINE_DB or <repo>/.benchline/results.db)\n"
	"\n"
	"JSON output is an object keyed by series, each a list of change points\n"
	"{\"commit\": K, \"change\": R, ...}: K is the position of the first commit at the\n"
	"new level (and its sha from the database), R = after / before - 1.\n"
	"\n"
	"Exit status: 0 (also when changes are found), 2 usage, configuration or input\n"
	"error, 3 runtime error.\n";

/* One analysed series and its change points. */
struct found {
	char *key;            /* JSON key / table label */
	const struct bl_series *series; /* NULL for CSV input */
	struct bl_change *changes;
	size_t n_changes;
};

struct detect {
	struct found *v;
	size_t n, cap;
	struct bl_sha_list history; /* database mode: positions */
	char head[BL_SHA_HEX + 1];  /* database mode: the commit whose history was analysed */
	const char *format;
	bool csv_input;
	struct cli_analysis an;
	struct bl_detect_opts base;
};

static void add_found(struct detect *d, char *key, const struct bl_series *s, struct bl_change *ch, size_t n)
{
	BL_GROW(d->v, d->cap, d->n + 1);
	d->v[d->n++] = (struct found){.key = key, .series = s, .changes = ch, .n_changes = n};
}

static int run_one(struct detect *d, const char *metric, const struct bl_obs *obs, size_t n_obs, const char *what,
		   struct bl_change **ch, size_t *n_ch)
{
	struct bl_detect_opts o = d->base;
	o.noise_floor = cli_analysis_floor(&d->an, metric);
	struct bl_error err = {{0}};
	if (bl_detect(obs, n_obs, &o, ch, n_ch, &err)) {
		cli_error("%s: %s", what, err.msg);
		return -1;
	}
	return 0;
}

/* ---- database mode ----------------------------------------------------------------------------------------- */

struct pos_entry {
	const char *sha;
	size_t pos;
};

static int cmp_pos_entry(const void *a, const void *b)
{
	return strcmp(((const struct pos_entry *)a)->sha, ((const struct pos_entry *)b)->sha);
}

static bool wanted(const char *value, char **list, size_t n)
{
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], value))
			return true;
	return false;
}

struct metric_list {
	char **v;
	size_t n;
};

/* The metrics whose series are detected (the loader builds no others):
 * without --metric every one but the auxiliary ones, else those named. */
static bool keep_metric(void *ctx, const char *metric)
{
	const struct metric_list *m = ctx;
	return m->n ? wanted(metric, m->v, m->n) : !bl_metric_is_auxiliary(metric);
}

static char *series_key(const struct bl_series *s, bool multi_machine)
{
	if (multi_machine)
		return bl_xasprintf("%s %s @%s", s->label, s->metric, s->machine);
	return bl_xasprintf("%s %s", s->label, s->metric);
}

static int detect_db(struct detect *d, const struct cli_context *ctx, const char *rev, long last, char **metrics,
		     size_t n_metrics, char **benches, size_t n_benches, struct bl_series_set *set)
{
	struct bl_error err = {{0}};
	char sha[BL_SHA_HEX + 1];
	if (bl_git_resolve(ctx->repo, rev, sha, &err)) {
		cli_error("%s", err.msg);
		return EXIT_USAGE;
	}
	memcpy(d->head, sha, sizeof(d->head));
	if (bl_git_first_parent_history(ctx->repo, sha, &d->history, &err)) {
		cli_error("%s", err.msg);
		return EXIT_RUNTIME;
	}
	size_t first = 0;
	if (last > 0 && (size_t)last < d->history.n)
		first = d->history.n - (size_t)last;
	if (access(ctx->db_path, F_OK) != 0 && !strstr(ctx->db_path, "://")) {
		cli_error("no results yet: database '%s' does not exist (run 'benchline run' first)", ctx->db_path);
		return EXIT_RUNTIME;
	}
	struct bl_store *store;
	if (bl_store_open(ctx->db_path, &store, &err)) {
		cli_error("%s", err.msg);
		return EXIT_RUNTIME;
	}
	bool all = n_metrics == 1 && !strcmp(metrics[0], "all");
	struct metric_list keep = {.v = metrics, .n = n_metrics};
	const char **window = NULL; /* --last: only the window's commits are read */
	if (first) {
		window = bl_xmalloc((d->history.n - first) * sizeof(*window));
		for (size_t i = first; i < d->history.n; i++)
			window[i - first] = d->history.shas[i];
	}
	struct bl_point_query q = {
		.repository = ctx->repo,
		.metric = n_metrics == 1 && !all ? metrics[0] : NULL,
		.benchmark = n_benches == 1 ? benches[0] : NULL,
		.shas = window,
		.n_shas = window ? d->history.n - first : 0,
		/* one metric: the store filters; all: nothing to leave out */
		.keep_metric = n_metrics == 1 ? NULL : keep_metric,
		.keep_ctx = &keep,
	};
	/* one pass over the store, not a query per case: a whole history is
	 * hundreds of thousands of cases */
	int rc = bl_series_load_bulk(store, &q, set, &err);
	bl_store_close(store);
	free(window);
	if (rc) {
		cli_error("%s", err.msg);
		return EXIT_RUNTIME;
	}
	size_t n_hist = d->history.n - first;
	struct pos_entry *index = bl_xcalloc(n_hist ? n_hist : 1, sizeof(*index));
	for (size_t i = 0; i < n_hist; i++)
		index[i] = (struct pos_entry){.sha = d->history.shas[first + i], .pos = first + i};
	qsort(index, n_hist, sizeof(*index), cmp_pos_entry);
	bool multi_machine = false;
	for (size_t i = 1; i < set->n; i++)
		multi_machine |= set->v[i].machine_id != set->v[0].machine_id;
	struct bl_obs *obs = NULL;
	size_t cap = 0;
	rc = EXIT_OK;
	for (size_t i = 0; i < set->n && rc == EXIT_OK; i++) {
		const struct bl_series *s = &set->v[i];
		bool metric_ok = all || (n_metrics ? wanted(s->metric, metrics, n_metrics) : !bl_metric_is_auxiliary(s->metric));
		if (!metric_ok || !wanted(s->name, benches, n_benches))
			continue;
		size_t n_obs = 0;
		for (size_t j = 0; j < s->n_points; j++) {
			const struct bl_series_point *pt = &s->points[j];
			/* A failed case is a gap even when some runs succeeded before the failure. */
			if (!strcmp(pt->status, BL_CASE_FAILED) || !strcmp(pt->status, BL_CASE_BUILD_FAILED))
				continue;
			struct pos_entry key = {.sha = pt->sha};
			const struct pos_entry *e = bsearch(&key, index, n_hist, sizeof(*index), cmp_pos_entry);
			if (!e)
				continue; /* not on this line of history */
			for (size_t r = 0; r < pt->n_values; r++) {
				BL_GROW(obs, cap, n_obs + 1);
				obs[n_obs++] = (struct bl_obs){.pos = e->pos, .value = pt->values[r]};
			}
		}
		if (n_obs == 0)
			continue;
		char *key = series_key(s, multi_machine);
		struct bl_change *ch = NULL;
		size_t n_ch = 0;
		if (run_one(d, s->metric, obs, n_obs, key, &ch, &n_ch)) {
			free(key);
			rc = EXIT_RUNTIME;
			break;
		}
		add_found(d, key, s, ch, n_ch);
	}
	free(obs);
	free(index);
	if (rc == EXIT_OK && d->n == 0) {
		cli_error("no measured series on the first-parent history of %s%s (run 'benchline run' first)", rev,
			  n_metrics || n_benches ? " with these --metric/--benchmark filters" : "");
		return EXIT_RUNTIME;
	}
	return rc;
}

/* ---- CSV mode ---------------------------------------------------------------------------------------------- */

static int detect_csv(struct detect *d, const char *path)
{
	struct bl_error err = {{0}};
	struct bl_buf text;
	bl_buf_init(&text);
	const char *shown = strcmp(path, "-") ? path : "<stdin>";
	if (!strcmp(path, "-")) {
		char chunk[65536];
		size_t got;
		while ((got = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
			bl_buf_append(&text, chunk, got);
		if (ferror(stdin)) {
			bl_buf_release(&text);
			cli_error("cannot read the CSV from standard input");
			return EXIT_USAGE;
		}
	} else if (bl_read_file(path, &text, &err)) {
		bl_buf_release(&text);
		cli_error("%s", err.msg);
		return EXIT_USAGE;
	}
	struct bl_obs_series *series = NULL;
	size_t n = 0;
	int rc = bl_series_csv_parse(shown, text.data ? text.data : "", text.len, &series, &n, &err);
	bl_buf_release(&text);
	if (rc) {
		cli_error("%s", err.msg);
		return EXIT_USAGE;
	}
	rc = EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		struct bl_change *ch = NULL;
		size_t n_ch = 0;
		if (run_one(d, NULL, series[i].obs, series[i].n_obs, series[i].name, &ch, &n_ch)) {
			rc = EXIT_USAGE;
			break;
		}
		add_found(d, bl_xstrdup(series[i].name), NULL, ch, n_ch);
	}
	bl_obs_series_free(series, n);
	return rc;
}

/* ---- output ------------------------------------------------------------------------------------------------ */

static enum bl_report_verdict change_verdict(const struct found *f, const struct bl_change *c)
{
	enum bl_better dir = f->series ? cli_metric_direction(f->series->better, f->series->unit) : BL_BETTER_LOWER;
	if (dir == BL_BETTER_UNKNOWN)
		return BL_RV_CHANGED;
	bool worse = dir == BL_BETTER_LOWER ? c->change > 0 : c->change < 0;
	return worse ? BL_RV_REGRESSED : BL_RV_IMPROVED;
}

static const char *sha_at(const struct detect *d, size_t pos)
{
	return d->csv_input || pos >= d->history.n ? NULL : d->history.shas[pos];
}

static json_t *change_json(const struct detect *d, const struct found *f, const struct bl_change *c)
{
	json_t *o = json_object();
	json_object_set_new(o, "commit", json_integer((json_int_t)c->pos));
	json_object_set_new(o, "change", json_real(c->change));
	json_object_set_new(o, "change_ci", json_pack("[ff]", c->change_lo, c->change_hi));
	json_object_set_new(o, "p", json_real(c->p));
	json_object_set_new(o, "before", json_real(c->before));
	json_object_set_new(o, "after", json_real(c->after));
	json_object_set_new(o, "previous_commit", json_integer((json_int_t)c->prev_pos));
	if (!d->csv_input) {
		json_object_set_new(o, "sha", json_string(sha_at(d, c->pos)));
		json_object_set_new(o, "previous_sha", json_string(sha_at(d, c->prev_pos)));
		json_object_set_new(o, "verdict", json_string(bl_report_verdict_name(change_verdict(f, c))));
		json_object_set_new(o, "metric", json_string(f->series->metric));
		json_object_set_new(o, "unit", json_string(f->series->unit));
	}
	return o;
}

static void print_json(const struct detect *d)
{
	json_t *root = json_object();
	for (size_t i = 0; i < d->n; i++) {
		const struct found *f = &d->v[i];
		json_t *arr = json_array();
		for (size_t k = 0; k < f->n_changes; k++)
			json_array_append_new(arr, change_json(d, f, &f->changes[k]));
		json_object_set_new(root, f->key, arr);
	}
	json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(root);
}

static void print_csv(const struct detect *d)
{
	printf("series,commit,sha,previous_commit,change,change_lo,change_hi,p,before,after,verdict\n");
	for (size_t i = 0; i < d->n; i++) {
		const struct found *f = &d->v[i];
		for (size_t k = 0; k < f->n_changes; k++) {
			const struct bl_change *c = &f->changes[k];
			cli_csv_field(stdout, f->key);
			const char *sha = sha_at(d, c->pos);
			printf(",%zu,%s,%zu,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%s\n", c->pos, sha ? sha : "", c->prev_pos,
			       c->change, c->change_lo, c->change_hi, c->p, c->before, c->after,
			       bl_report_verdict_name(change_verdict(f, c)));
		}
	}
}


static int cmp_sha(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void print_table(const struct detect *d, const struct cli_context *ctx)
{
	bool color = cli_color(stdout);
	size_t total = 0, counts[BL_RV_COUNT] = {0};
	/* the subjects of the changes' commits, from one git (one per change
	 * took 3 of the 7 s of a detect with 300 changes); git lists a commit
	 * once, so each is asked once */
	size_t n_shas = 0;
	for (size_t i = 0; i < d->n; i++)
		n_shas += d->v[i].n_changes;
	char(*shas)[BL_SHA_HEX + 1] = bl_xcalloc(n_shas ? n_shas : 1, sizeof(*shas));
	n_shas = 0;
	for (size_t i = 0; i < d->n; i++)
		for (size_t k = 0; k < d->v[i].n_changes; k++) {
			const char *sha = sha_at(d, d->v[i].changes[k].pos);
			if (sha)
				snprintf(shas[n_shas++], sizeof(shas[0]), "%s", sha);
		}
	qsort(shas, n_shas, sizeof(*shas), cmp_sha);
	size_t n_unique = 0;
	for (size_t i = 0; i < n_shas; i++)
		if (!n_unique || strcmp(shas[i], shas[n_unique - 1]))
			memmove(shas[n_unique++], shas[i], sizeof(*shas));
	struct bl_commit_info *cis = bl_xcalloc(n_unique ? n_unique : 1, sizeof(*cis));
	struct bl_error err = {{0}};
	bool subjects = n_unique && bl_git_commit_infos(ctx->repo, (const char(*)[BL_SHA_HEX + 1])shas, n_unique, cis,
							&err) == 0;
	for (size_t i = 0; i < d->n; i++) {
		const struct found *f = &d->v[i];
		if (f->n_changes == 0)
			continue;
		char key[300];
		cli_sanitize(f->key, key, sizeof(key));
		printf("%s\n", key);
		for (size_t k = 0; k < f->n_changes; k++) {
			const struct bl_change *c = &f->changes[k];
			enum bl_report_verdict v = change_verdict(f, c);
			counts[v]++;
			total++;
			char before[48], after[48], where[128], subj[256] = "";
			const char *unit = f->series ? f->series->unit : NULL;
			cli_format_value(c->before, unit, before, sizeof(before));
			cli_format_value(c->after, unit, after, sizeof(after));
			const char *sha = sha_at(d, c->pos);
			if (sha) {
				const char(*hit)[BL_SHA_HEX + 1] = subjects ? bsearch(sha, shas, n_unique, sizeof(*shas), cmp_sha)
									     : NULL;
				if (hit) {
					const struct bl_commit_info *ci = &cis[hit - shas];
					cli_sanitize(ci->subject ? ci->subject : "", subj, sizeof(subj));
					cli_truncate(subj, 50);
				}
				size_t gap = c->pos - c->prev_pos - 1;
				if (gap)
					snprintf(where, sizeof(where), "%.10s (or one of the %zu unmeasured commits before it)",
						 sha, gap);
				else
					snprintf(where, sizeof(where), "%.10s", sha);
			} else {
				snprintf(where, sizeof(where), "commit %zu", c->pos);
			}
			const char *on = "", *off = "";
			if (color && v == BL_RV_REGRESSED)
				on = "\033[31m", off = "\033[0m";
			else if (color && v == BL_RV_IMPROVED)
				on = "\033[32m", off = "\033[0m";
			printf("  %s%-9s%s %+7.1f%% [%+.1f%%, %+.1f%%]  p=%.2g  %s -> %s  at %s%s%s\n", on,
			       bl_report_verdict_name(v), off, 100 * c->change, 100 * c->change_lo, 100 * c->change_hi, c->p,
			       before, after, where, *subj ? "  " : "", subj);
		}
	}
	for (size_t i = 0; i < n_unique; i++)
		bl_commit_info_release(&cis[i]);
	free(cis);
	free(shas);
	if (total)
		printf("\n");
	printf("%zu series analysed, %zu change point%s", d->n, total, total == 1 ? "" : "s");
	if (total) {
		printf(": ");
		cli_print_verdict_counts(stdout, counts);
	}
	printf("\n");
}

/* ---- --save ------------------------------------------------------------------------------------------------ */

/* Stores every analysed series' change points (none replaces stored ones too). */
static int save_changes(const struct detect *d, const struct cli_context *ctx)
{
	struct bl_series_detection *sds = bl_xcalloc(d->n ? d->n : 1, sizeof(*sds));
	struct bl_change_point **cps = bl_xcalloc(d->n ? d->n : 1, sizeof(*cps));
	size_t total = 0;
	for (size_t i = 0; i < d->n; i++) {
		const struct found *f = &d->v[i];
		cps[i] = bl_xcalloc(f->n_changes ? f->n_changes : 1, sizeof(**cps));
		for (size_t k = 0; k < f->n_changes; k++) {
			const struct bl_change *c = &f->changes[k];
			cps[i][k] = (struct bl_change_point){
				.commit_sha = sha_at(d, c->pos), .previous_sha = sha_at(d, c->prev_pos),
				.unmeasured = (int)(c->pos - c->prev_pos - 1),
				.verdict = bl_report_verdict_name(change_verdict(f, c)),
				.before = c->before, .after = c->after, .change = c->change,
				.change_lo = c->change_lo, .change_hi = c->change_hi, .p = c->p,
			};
		}
		total += f->n_changes;
		sds[i] = (struct bl_series_detection){
			.repository = ctx->repo, .machine_id = f->series->machine_id, .name = f->series->name,
			.params_json = f->series->params_json, .metric = f->series->metric, .unit = f->series->unit,
			.alpha = d->base.alpha, .noise_floor = cli_analysis_floor(&d->an, f->series->metric),
			.min_segment = (int)d->base.min_segment, .changes = cps[i], .n_changes = f->n_changes,
		};
	}
	struct bl_detection det = {.head_sha = d->head, .series = sds, .n_series = d->n};
	struct bl_error err = {{0}};
	struct bl_store *store = NULL;
	int rc = bl_store_open(ctx->db_path, &store, &err);
	if (rc == 0)
		rc = bl_store_save_detection(store, &det, &err);
	if (rc)
		cli_error("%s", err.msg);
	else
		fprintf(stderr, "benchline: saved %zu change point%s of %zu series in '%s'\n", total,
			total == 1 ? "" : "s", d->n, store->display_name);
	bl_store_close(store);
	for (size_t i = 0; i < d->n; i++)
		free(cps[i]);
	free(cps);
	free(sds);
	return rc ? EXIT_RUNTIME : EXIT_OK;
}

/* ---- the command ------------------------------------------------------------------------------------------- */

enum {
	OPT_METRIC = 256, OPT_BENCH, OPT_LAST, OPT_ALPHA, OPT_FLOOR, OPT_MINSEG, OPT_INPUT, OPT_FORMAT, OPT_CONFIG, OPT_DB,
	OPT_SAVE
};

static int parse_count(const char *cmd, const char *opt, const char *s, long min, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < min || v > 100000000)
		return cli_usage_error(cmd, "%s needs an integer >= %ld, got '%s'", opt, min, s);
	*out = v;
	return 0;
}

static int cmd_detect_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"metric", required_argument, NULL, OPT_METRIC}, {"benchmark", required_argument, NULL, OPT_BENCH},
		{"last", required_argument, NULL, OPT_LAST},     {"alpha", required_argument, NULL, OPT_ALPHA},
		{"noise-floor", required_argument, NULL, OPT_FLOOR}, {"min-segment", required_argument, NULL, OPT_MINSEG},
		{"input", required_argument, NULL, OPT_INPUT},   {"format", required_argument, NULL, OPT_FORMAT},
		{"config", required_argument, NULL, OPT_CONFIG}, {"db", required_argument, NULL, OPT_DB},
		{"save", no_argument, NULL, OPT_SAVE},           {NULL, 0, NULL, 0},
	};
	const char *alpha_opt = NULL, *floor_opt = NULL, *input = NULL, *config_opt = NULL, *db_opt = NULL;
	long last = 0, min_segment = 0;
	bool save = false;
	struct detect d;
	memset(&d, 0, sizeof(d));
	d.format = "table";
	bl_detect_opts_default(&d.base);
	struct bl_strvec metrics, benches;
	bl_strvec_init(&metrics);
	bl_strvec_init(&benches);
	struct cli_context ctx;
	memset(&ctx, 0, sizeof(ctx));
	struct bl_series_set set = {0};
	int rc = EXIT_OK;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_METRIC: bl_strvec_push(&metrics, optarg); break;
		case OPT_BENCH: bl_strvec_push(&benches, optarg); break;
		case OPT_LAST:
			if ((rc = parse_count("detect", "--last", optarg, 2, &last)))
				goto out;
			break;
		case OPT_ALPHA: alpha_opt = optarg; break;
		case OPT_FLOOR: floor_opt = optarg; break;
		case OPT_MINSEG:
			if ((rc = parse_count("detect", "--min-segment", optarg, 1, &min_segment)))
				goto out;
			break;
		case OPT_INPUT: input = optarg; break;
		case OPT_FORMAT: d.format = optarg; break;
		case OPT_CONFIG: config_opt = optarg; break;
		case OPT_DB: db_opt = optarg; break;
		case OPT_SAVE: save = true; break;
		case ':': rc = cli_usage_error("detect", "option '%s' needs a value", argv[optind - 1]); goto out;
		default: rc = cli_usage_error("detect", "unknown option '%s'", argv[optind - 1]); goto out;
		}
	}
	if (strcmp(d.format, "table") && strcmp(d.format, "json") && strcmp(d.format, "csv")) {
		rc = cli_usage_error("detect", "unknown --format '%s': expected table, json or csv", d.format);
		goto out;
	}
	if (argc - optind > 1 || (input && argc - optind > 0)) {
		rc = cli_usage_error("detect", input ? "--input takes no revision" : "expected at most one revision");
		goto out;
	}
	if (save && input) {
		rc = cli_usage_error("detect", "--save stores what is found in the database; it cannot be used with --input");
		goto out;
	}
	d.csv_input = input != NULL;
	struct bl_error err = {{0}};
	if (!input || config_opt) {
		if (cli_context_init(&ctx, config_opt, db_opt, NULL, !input, &err)) {
			cli_error("%s", err.msg);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (cli_analysis_init(&d.an, "detect", input && !config_opt ? NULL : &ctx, config_opt != NULL, NULL, floor_opt)) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (alpha_opt) {
		char *end;
		double a = strtod(alpha_opt, &end);
		if (!*alpha_opt || *end || !(a > 0 && a < 0.5)) {
			rc = cli_usage_error("detect", "--alpha must be a probability between 0 and 0.5 such as 0.001, got '%s'",
					     alpha_opt);
			goto out;
		}
		d.base.alpha = a;
	}
	if (min_segment)
		d.base.min_segment = (size_t)min_segment;
	if (input)
		rc = detect_csv(&d, input);
	else
		rc = detect_db(&d, &ctx, optind < argc ? argv[optind] : "HEAD", last, metrics.v, metrics.n, benches.v,
			       benches.n, &set);
	if (rc == EXIT_OK) {
		if (!strcmp(d.format, "json"))
			print_json(&d);
		else if (!strcmp(d.format, "csv"))
			print_csv(&d);
		else
			print_table(&d, &ctx);
		if (save)
			rc = save_changes(&d, &ctx);
	}
out:
	for (size_t i = 0; i < d.n; i++) {
		free(d.v[i].key);
		free(d.v[i].changes);
	}
	free(d.v);
	bl_sha_list_release(&d.history);
	cli_analysis_release(&d.an);
	bl_series_set_release(&set);
	cli_context_release(&ctx);
	bl_strvec_release(&metrics);
	bl_strvec_release(&benches);
	return rc;
}

const struct cli_command cli_cmd_detect = {
	.name = "detect",
	.fn = cmd_detect_main,
	.summary = "find the commits that changed each series along history",
	.usage = usage,
};
