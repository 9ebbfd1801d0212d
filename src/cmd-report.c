/* cmd-report.c - `benchline report`: the results as a static HTML site, a
 * markdown summary, or SVG/PNG charts (docs/REPORT.md). */
#include "cli.h"
#include "analysis.h"
#include "benchline/git.h"
#include "benchline/report.h"
#include "benchline/series.h"

#include <getopt.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: benchline report [options] [REV]\n"
	"\n"
	"Writes what the database knows about the first-parent history of REV (default\n"
	"HEAD) as a static HTML site that opens from the file system, without network:\n"
	"index.html lists every series (a metric of a benchmark case on one machine)\n"
	"with a sparkline, its latest value and change, and the detected regressions and\n"
	"improvements, newest first, with filters and a search box; each series has a\n"
	"page with an interactive chart (median per commit with its 95% confidence band,\n"
	"every run, failures as gaps, change points with their effect; hover for\n"
	"details, wheel to zoom, drag to pan, log scale); compare.html compares the two\n"
	"newest measured commits as 'benchline compare' does; run pages show the device\n"
	"timeline of runs. docs/REPORT.md describes every page.\n"
	"\n"
	"Options:\n"
	"  -o, --output PATH   the site's directory (default <repo>/.benchline/report); a\n"
	"                      previous report there is replaced once the new one is\n"
	"                      complete (files no report writes stay); with --format\n"
	"                      markdown, a file (default: standard output)\n"
	"  --format FORMAT     html (default) or markdown: a summary for CI job summaries\n"
	"                      and pull-request comments, regressions first, never longer\n"
	"                      than --max-size\n"
	"  --svg               also write svg/s<ID>.svg, one chart per series\n"
	"  --png               also write png/s<ID>.png, one chart per series, through\n"
	"                      headless Chromium ($BENCHLINE_CHROMIUM or chromium in PATH)\n"
	"  --base REV          compare view: REV (A) against the newest measured commit (B);\n"
	"                      default: the measured commit before that one\n"
	"  --last N            only the newest N commits of the history\n"
	"  --metric NAME       metric to report (repeatable); 'all' for every metric\n"
	"                      (default: wall_time and the benchmarks' own metrics)\n"
	"  --benchmark NAME    only this benchmark (repeatable)\n"
	"  --alpha P           compare view's significance level (default: analysis.alpha\n"
	"                      of benchline.yaml, or 0.01)\n"
	"  --noise-floor PCT   smallest change reported (default: analysis.noise_floor(s),\n"
	"                      or 1%)\n"
	"  --title TEXT        title of the pages (default: report.title of\n"
	"                      benchline.yaml, or '<repository> performance')\n"
	"  --commit-url URL    link commits to URL, {sha} replaced by the commit's SHA\n"
	"                      (default: report.commit_url of benchline.yaml)\n"
	"  --max-run-pages N   run pages to write at most (default 500; 0: none)\n"
	"  --max-size BYTES    markdown: at most this many bytes (default 65000, under\n"
	"                      GitHub's 65,536-character limit for comments)\n"
	"  --config FILE       configuration (default: <repo>/benchline.yaml, optional)\n"
	"  --db PATH           database (default: $BENCHLINE_DB or <repo>/.benchline/results.db)\n"
	"\n"
	"Exit status: 0 written, 2 usage or configuration error, 3 runtime error\n"
	"(no results, an unreadable database, Chromium missing or failing for --png,\n"
	"another report writing into the same directory).\n";

enum {
	OPT_FORMAT = 256, OPT_SVG, OPT_PNG, OPT_BASE, OPT_LAST, OPT_METRIC, OPT_BENCH, OPT_ALPHA, OPT_FLOOR, OPT_TITLE,
	OPT_URL, OPT_RUNS, OPT_MAXSIZE, OPT_CONFIG, OPT_DB
};

struct options {
	const char *output, *format, *base, *title, *url, *alpha, *floor, *config, *db, *rev;
	bool svg, png;
	long last, max_run_pages, max_size;
	struct bl_strvec metrics, benches;
};

static int parse_long(const char *opt, const char *s, long min, long max, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < min || v > max)
		return cli_usage_error("report", "%s needs an integer from %ld to %ld, got '%s'", opt, min, max, s);
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},	  {"format", required_argument, NULL, OPT_FORMAT},
		{"svg", no_argument, NULL, OPT_SVG},		  {"png", no_argument, NULL, OPT_PNG},
		{"base", required_argument, NULL, OPT_BASE},	  {"last", required_argument, NULL, OPT_LAST},
		{"metric", required_argument, NULL, OPT_METRIC},  {"benchmark", required_argument, NULL, OPT_BENCH},
		{"alpha", required_argument, NULL, OPT_ALPHA},	  {"noise-floor", required_argument, NULL, OPT_FLOOR},
		{"title", required_argument, NULL, OPT_TITLE},	  {"commit-url", required_argument, NULL, OPT_URL},
		{"max-run-pages", required_argument, NULL, OPT_RUNS}, {"max-size", required_argument, NULL, OPT_MAXSIZE},
		{"config", required_argument, NULL, OPT_CONFIG},  {"db", required_argument, NULL, OPT_DB},
		{NULL, 0, NULL, 0},
	};
	optind = 1;
	opterr = 0;
	int c, rc;
	while ((c = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': o->output = optarg; break;
		case OPT_FORMAT: o->format = optarg; break;
		case OPT_SVG: o->svg = true; break;
		case OPT_PNG: o->png = o->svg = true; break;
		case OPT_BASE: o->base = optarg; break;
		case OPT_LAST:
			if ((rc = parse_long("--last", optarg, 2, 100000000, &o->last)))
				return rc;
			break;
		case OPT_METRIC: bl_strvec_push(&o->metrics, optarg); break;
		case OPT_BENCH: bl_strvec_push(&o->benches, optarg); break;
		case OPT_ALPHA: o->alpha = optarg; break;
		case OPT_FLOOR: o->floor = optarg; break;
		case OPT_TITLE: o->title = optarg; break;
		case OPT_URL: o->url = optarg; break;
		case OPT_RUNS:
			if ((rc = parse_long("--max-run-pages", optarg, 0, 1000000, &o->max_run_pages)))
				return rc;
			break;
		case OPT_MAXSIZE:
			if ((rc = parse_long("--max-size", optarg, 1024, 100000000, &o->max_size)))
				return rc;
			break;
		case OPT_CONFIG: o->config = optarg; break;
		case OPT_DB: o->db = optarg; break;
		case ':': return cli_usage_error("report", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("report", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (strcmp(o->format, "html") && strcmp(o->format, "markdown"))
		return cli_usage_error("report", "unknown --format '%s': expected html or markdown", o->format);
	if (!strcmp(o->format, "markdown") && o->svg)
		return cli_usage_error("report", "--svg and --png write files next to the HTML site, not with "
						 "--format markdown");
	if (argc - optind > 1)
		return cli_usage_error("report", "expected at most one revision, got %d", argc - optind);
	o->rev = optind < argc ? argv[optind] : "HEAD";
	for (size_t i = 0; i < o->metrics.n; i++)
		if (!strcmp(o->metrics.v[i], "all") && o->metrics.n > 1)
			return cli_usage_error("report", "--metric all cannot be combined with other --metric names");
	if (o->url) {
		struct bl_error why = {{0}};
		if (bl_report_url_check(o->url, &why))
			return cli_usage_error("report", "--commit-url %s, e.g. https://github.com/OWNER/REPO/commit/{sha}",
					       why.msg);
	}
	return 0;
}

/* The first-parent history of rev with each commit's subject, author and
 * time (two git processes), read on a thread of its own beside the database:
 * its error is printed by the caller, in order. */
struct history {
	const char *repo, *rev;
	long last;
	struct bl_report_commit *commits;
	size_t n;
	int rc;
	int64_t ns; /* how long it took */
	struct bl_error err;
};

static void *load_history(void *arg)
{
	struct history *h = arg;
	int64_t t0 = bl_now_mono_ns();
	char sha[BL_SHA_HEX + 1];
	struct bl_sha_list hist = {0};
	struct bl_commit_info *cis = NULL;
	h->rc = EXIT_USAGE;
	if (bl_git_resolve(h->repo, h->rev, sha, &h->err))
		goto out;
	h->rc = EXIT_RUNTIME;
	if (bl_git_first_parent_history(h->repo, sha, &hist, &h->err))
		goto out;
	size_t first = h->last > 0 && (size_t)h->last < hist.n ? hist.n - (size_t)h->last : 0, n = hist.n - first;
	cis = bl_xcalloc(n ? n : 1, sizeof(*cis));
	if (bl_git_commit_infos(h->repo, (const char(*)[BL_SHA_HEX + 1])hist.shas + first, n, cis, &h->err))
		goto out;
	struct bl_report_commit *v = bl_xcalloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		memcpy(v[i].sha, cis[i].sha, sizeof(v[i].sha));
		v[i].subject = cis[i].subject;
		v[i].author = cis[i].author_name;
		v[i].time = cis[i].commit_time;
		cis[i].subject = cis[i].author_name = NULL;
		bl_commit_info_release(&cis[i]);
	}
	h->commits = v;
	h->n = n;
	h->rc = EXIT_OK;
out:
	free(cis);
	bl_sha_list_release(&hist);
	h->ns = bl_now_mono_ns() - t0;
	return NULL;
}

static int write_pngs(const struct bl_strvec *svgs, const char *dir, const char *chromium)
{
	struct bl_error err = {{0}};
	if (bl_mkdirs(dir, 0755, &err)) {
		cli_error("%s", err.msg);
		return EXIT_RUNTIME;
	}
	for (size_t i = 0; i < svgs->n; i++) {
		const char *base = strrchr(svgs->v[i], '/');
		base = base ? base + 1 : svgs->v[i];
		char *png = bl_xasprintf("%s/%.*s.png", dir, (int)(strlen(base) - 4), base);
		int rc = bl_report_png(chromium, svgs->v[i], png, 960, 420, &err);
		free(png);
		if (rc) {
			cli_error("%s", err.msg);
			return EXIT_RUNTIME;
		}
	}
	return EXIT_OK;
}

/* The series the report shows (bl_report_opts.metrics says the same to the
 * model): without --metric, every metric but the auxiliary ones; with
 * several, those. Told to the loader, so it builds no other series. */
static bool keep_metric(void *ctx, const char *metric)
{
	const struct bl_strvec *metrics = ctx;
	if (!metrics->n)
		return !bl_metric_is_auxiliary(metric);
	for (size_t i = 0; i < metrics->n; i++)
		if (!strcmp(metrics->v[i], metric))
			return true;
	return false;
}

static int run_report(struct options *o, const struct cli_context *ctx, const struct cli_analysis *an,
		      const struct bl_config *cfg)
{
	struct bl_error err = {{0}};
	char *chromium = NULL;
	if (o->png && !(chromium = bl_report_find_chromium())) {
		cli_error("--png needs headless Chromium, and none was found: install it (Debian: apt-get install "
			  "chromium) or set BENCHLINE_CHROMIUM to the browser's path; --svg writes the same charts "
			  "without it");
		return EXIT_RUNTIME;
	}
#ifdef __GLIBC__
	/* A report of a long history takes and frees hundreds of MB in blocks
	 * of 0.1 to 40 MB on every CPU (the loader's pools and points, each
	 * series' detection scratch). By default glibc gives a freed block over
	 * 128 KB back to the kernel (munmap, heap trimming), so the next series
	 * faults the same memory in again, and each munmap interrupts the other
	 * threads' CPUs. Kept in the process instead: about 8% of a
	 * 10,000-commit report, 20,000 fewer page faults (docs/PERFORMANCE.md);
	 * the process is short-lived. */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
	int64_t t_start = bl_now_mono_ns(), t_db = 0, t_model = 0;
	/* git and the database at once: neither needs the other until the model */
	struct history hist = {.repo = ctx->repo, .rev = o->rev, .last = o->last};
	pthread_t hist_thread;
	bool hist_started = pthread_create(&hist_thread, NULL, load_history, &hist) == 0;
	if (!hist_started)
		load_history(&hist);
	bool db_missing = access(ctx->db_path, F_OK) != 0 && !strstr(ctx->db_path, "://");
	struct bl_store *store = NULL;
	struct bl_series_set set = {0};
	int rc = EXIT_OK, db_rc = EXIT_OK;
	struct bl_error db_err = {{0}};
	/* --last: the window's commits first, so that only their runs are read */
	const char **window = NULL;
	if (o->last > 0 && hist_started) {
		pthread_join(hist_thread, NULL);
		hist_started = false;
	}
	if (o->last > 0 && hist.rc == EXIT_OK) {
		window = bl_xcalloc(hist.n ? hist.n : 1, sizeof(*window));
		for (size_t i = 0; i < hist.n; i++)
			window[i] = hist.commits[i].sha;
	}
	if (!db_missing && !(o->last > 0 && hist.rc)) {
		if (bl_store_open(ctx->db_path, &store, &db_err)) {
			db_rc = EXIT_RUNTIME;
		} else {
			bool all = o->metrics.n == 1 && !strcmp(o->metrics.v[0], "all");
			struct bl_point_query q = {
				.repository = ctx->repo,
				.metric = o->metrics.n == 1 && !all ? o->metrics.v[0] : NULL,
				.benchmark = o->benches.n == 1 ? o->benches.v[0] : NULL,
				.shas = window,
				.n_shas = window ? hist.n : 0,
				/* one metric: the store filters; all: nothing to filter */
				.keep_metric = o->metrics.n == 1 ? NULL : keep_metric,
				.keep_ctx = &o->metrics,
			};
			if (bl_series_load_bulk(store, &q, &set, &db_err))
				db_rc = EXIT_RUNTIME;
		}
	}
	if (hist_started)
		pthread_join(hist_thread, NULL);
	free(window);
	t_db = bl_now_mono_ns();
	struct bl_report_commit *commits = hist.commits;
	size_t n_commits = hist.n;
	if (hist.rc) {
		cli_error("%s", hist.err.msg);
		rc = hist.rc;
	}
	struct bl_report_opts ro;
	bl_report_opts_default(&ro);
	ro.repository = ctx->repo;
	ro.title = o->title ? o->title : cfg->report.title;
	ro.commit_url = o->url ? o->url : cfg->report.commit_url;
	ro.analysis = &an->cfg;
	ro.alpha = an->alpha;
	ro.noise_floor = an->floor_forced ? an->forced_floor : 0;
	ro.metrics = (const char *const *)o->metrics.v;
	ro.n_metrics = o->metrics.n;
	ro.benchmarks = (const char *const *)o->benches.v;
	ro.n_benchmarks = o->benches.n;
	if (o->base) {
		char sha[BL_SHA_HEX + 1];
		if (bl_git_resolve(ctx->repo, o->base, sha, &err)) {
			cli_error("--base: %s", err.msg);
			rc = EXIT_USAGE;
		} else {
			for (size_t i = 0; i < n_commits; i++)
				if (!strcmp(commits[i].sha, sha))
					ro.base_pos = i;
			if (ro.base_pos == BL_REPORT_NONE) {
				cli_error("--base %s (%.10s) is not on the first-parent history of %s%s", o->base, sha, o->rev,
					  o->last ? " within --last" : "");
				rc = EXIT_USAGE;
			}
		}
	}
	if (!rc && db_missing) {
		cli_error("no results yet: database '%s' does not exist (run 'benchline run' first)", ctx->db_path);
		rc = EXIT_RUNTIME;
	}
	if (!rc && db_rc) {
		cli_error("%s", db_err.msg);
		rc = db_rc;
	}
	struct bl_report rep;
	memset(&rep, 0, sizeof(rep));
	bool built = false;
	if (!rc) {
		rc = bl_report_build(&set, commits, n_commits, &ro, &rep, &err) ? EXIT_RUNTIME : EXIT_OK;
		t_model = bl_now_mono_ns();
		commits = NULL; /* owned by the report now */
		built = rc == EXIT_OK;
		if (rc)
			cli_error("%s", err.msg);
		else if (rep.n_series == 0)
			cli_warn("no measured series on the first-parent history of %s%s (run 'benchline run' first)",
				 o->rev, o->metrics.n || o->benches.n ? " with these --metric/--benchmark filters" : "");
	}
	if (!rc && !strcmp(o->format, "markdown")) {
		struct bl_buf md;
		bl_buf_init(&md);
		bl_report_markdown(&rep, o->max_size ? (size_t)o->max_size : 65000, &md);
		if (o->output) {
			if (bl_write_file_atomic(o->output, md.data, md.len, &err)) {
				cli_error("%s", err.msg);
				rc = EXIT_RUNTIME;
			}
		} else {
			fwrite(md.data, 1, md.len, stdout);
		}
		bl_buf_release(&md);
	} else if (!rc) {
		char *dir = o->output ? bl_xstrdup(o->output) : bl_xasprintf("%s/.benchline/report", ctx->repo);
		struct bl_report_site_stats st;
		/* written aside and moved in when complete: a failed or killed report leaves the previous one */
		struct bl_report_staging stage;
		if (bl_report_stage(&stage, dir, &err) ||
		    bl_report_write_html(&rep, store, o->max_run_pages >= 0 ? (size_t)o->max_run_pages : 500,
					 stage.path, &st, &err)) {
			cli_error("%s", err.msg);
			rc = EXIT_RUNTIME;
		}
		struct bl_strvec svgs;
		bl_strvec_init(&svgs);
		if (!rc && o->svg) {
			char *svgdir = bl_xasprintf("%s/svg", stage.path);
			if (bl_report_write_svgs(&rep, svgdir, 960, 420, &svgs, &err)) {
				cli_error("%s", err.msg);
				rc = EXIT_RUNTIME;
			}
			free(svgdir);
		}
		if (!rc && o->png) {
			char *pngdir = bl_xasprintf("%s/png", stage.path);
			rc = write_pngs(&svgs, pngdir, chromium);
			free(pngdir);
		}
		if (!rc && bl_report_stage_commit(&stage, &err)) {
			cli_error("%s", err.msg);
			rc = EXIT_RUNTIME;
		} else if (rc) {
			bl_report_stage_abort(&stage);
		}
		if (!rc) {
			int64_t t_end = bl_now_mono_ns();
			printf("report: %zu series, %zu change point%s (%zu regression%s), %zu commits; %zu files, %.1f MB "
			       "in %s/index.html\n",
			       rep.n_series, rep.n_events, rep.n_events == 1 ? "" : "s", rep.event_counts[BL_RV_REGRESSED],
			       rep.event_counts[BL_RV_REGRESSED] == 1 ? "" : "s", rep.n_commits, st.files,
			       (double)st.bytes / 1e6, dir);
			printf("time: %.2f s (database %.2f with git %.2f beside it, analysis %.2f, pages %.2f)\n",
			       (double)(t_end - t_start) / 1e9, (double)(t_db - t_start) / 1e9, (double)hist.ns / 1e9,
			       (double)(t_model - t_db) / 1e9, (double)(t_end - t_model) / 1e9);
			if (o->svg)
				printf("charts: %zu SVG in %s/svg%s\n", svgs.n, dir, o->png ? " and PNG in png/" : "");
		}
		bl_strvec_release(&svgs);
		free(dir);
	}
	if (built)
		bl_report_release(&rep);
	else if (commits) {
		for (size_t i = 0; i < n_commits; i++) {
			free(commits[i].subject);
			free(commits[i].author);
		}
		free(commits);
	}
	bl_series_set_release(&set);
	if (store)
		bl_store_close(store);
	free(chromium);
	return rc;
}

static int cmd_report_main(int argc, char **argv)
{
	struct options o;
	memset(&o, 0, sizeof(o));
	o.format = "html";
	o.max_run_pages = -1;
	bl_strvec_init(&o.metrics);
	bl_strvec_init(&o.benches);
	struct cli_context ctx;
	memset(&ctx, 0, sizeof(ctx));
	struct cli_analysis an;
	memset(&an, 0, sizeof(an));
	struct bl_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	struct bl_error err = {{0}};
	int rc = parse_args(argc, argv, &o);
	if (rc)
		goto out;
	if (cli_context_init(&ctx, o.config, o.db, NULL, true, &err)) {
		cli_error("%s", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	if (cli_analysis_init(&an, "report", &ctx, o.config != NULL, o.alpha, o.floor)) {
		rc = EXIT_USAGE;
		goto out;
	}
	/* The 'report' section: read here, the 'analysis' one came through cli_analysis_init. */
	if (ctx.config_path && access(ctx.config_path, F_OK) == 0 && bl_config_load(ctx.config_path, &cfg, &err)) {
		cli_error("%s", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	rc = run_report(&o, &ctx, &an, &cfg);
out:
	bl_config_release(&cfg);
	cli_analysis_release(&an);
	cli_context_release(&ctx);
	bl_strvec_release(&o.metrics);
	bl_strvec_release(&o.benches);
	return rc;
}

const struct cli_command cli_cmd_report = {
	.name = "report",
	.fn = cmd_report_main,
	.summary = "write the results as an HTML site, markdown summary or charts",
	.usage = usage,
};
