/* cmd-bisect.c - `benchline bisect GOOD BAD --benchmark NAME`: find the
 * first commit whose distribution differs from GOOD's, measuring only the
 * commits a binary search needs, with more repetitions where noise leaves a
 * step undecided. */
#include "cli.h"
#include "analysis.h"
#include "benchline/git.h"
#include "benchline/machine.h"
#include "benchline/series.h"
#include "benchline/stats.h"
#include "benchline/sweep.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: benchline bisect [options] GOOD BAD --benchmark NAME\n"
	"\n"
	"Finds the first commit on the first-parent line from GOOD to BAD whose\n"
	"measurements differ from GOOD's, like 'git bisect run' driven by measurements.\n"
	"It builds and measures only the commits a binary search needs (about log2 N),\n"
	"adds repetitions to a commit until its step is decided (it differs from GOOD,\n"
	"or it differs from BAD and not from GOOD; one that differs from both goes with\n"
	"the end its median is nearer) or --max-runs is reached, skips\n"
	"commits that fail to build or run (as git bisect skip), and reports the culprit\n"
	"with its effect and confidence, or the commits it could not decide between.\n"
	"Results are stored like 'benchline run' results and reused on the next call.\n"
	"\n"
	"Options:\n"
	"  --benchmark NAME    the benchmark to follow (required)\n"
	"  --case LABEL        its case when it has parameters, e.g. 'compress[level=9]'\n"
	"  --metric NAME       metric to follow (default wall_time)\n"
	"  --max-runs N        most repetitions measured at one commit (default 40)\n"
	"  --alpha P           significance level (default: analysis.alpha or 0.01)\n"
	"  --noise-floor PCT   smallest change that counts (default: benchline.yaml or 1%)\n"
	"  --config FILE       configuration (default: <repo>/benchline.yaml)\n"
	"  --db PATH           database (default: $BENCHLINE_DB or <repo>/.benchline/results.db)\n"
	"  --cache-dir DIR     worktrees and logs (default: <repo>/.benchline/cache)\n"
	"\n"
	"Exit status: 0 culprit found, 1 no single culprit (GOOD and BAD do not differ,\n"
	"or noise or skipped commits leave several candidates), 2 usage or configuration\n"
	"error, 3 GOOD or BAD could not be measured, or a runtime error, 130 interrupted.\n";

static volatile sig_atomic_t stop_requested;
static volatile int interrupt_flag;

static void on_signal(int sig)
{
	if (stop_requested && sig == SIGINT)
		signal(SIGINT, SIG_DFL);
	stop_requested = 1;
	interrupt_flag = 1;
}

/* What is known about one commit of the line. */
struct node {
	const char *sha;
	bool measured;
	bool skipped;     /* failed to build or run */
	double *values;
	size_t n_values;
	int reps_asked;
};

struct bisect {
	struct cli_context ctx;
	struct bl_config cfg;
	struct bl_store *store;
	char *branch;
	const char *bench;
	char *case_label;     /* label of the followed case */
	const char *metric;
	int max_runs;
	int base_reps;
	struct cli_analysis an;
	int64_t machine_id;
	struct node *nodes;   /* GOOD, then the line up to BAD */
	size_t n_nodes;
	size_t runs;          /* repetitions measured by this bisect */
};

/* Each sweep repeats its notices (active device backends, ...): say them once. */
static void ev_notice(void *ctx, const char *msg)
{
	static char *said[16];
	(void)ctx;
	for (size_t i = 0; i < 16 && said[i]; i++)
		if (!strcmp(said[i], msg))
			return;
	for (size_t i = 0; i < 16; i++)
		if (!said[i]) {
			said[i] = bl_xstrdup(msg);
			break;
		}
	cli_info("%s", msg);
}

static void ev_build_end(void *ctx, const struct bl_sweep_progress *p, const char *status, double seconds,
			 const char *log_path)
{
	(void)ctx;
	(void)seconds;
	if (strcmp(status, "ok") && strcmp(status, "cached") && strcmp(status, "none"))
		cli_warn("%.10s: build %s (log: %s)", p->sha, status, log_path ? log_path : "-");
}

/* Reads the followed case's stored values at node k back. */
static int reload(struct bisect *b, size_t k)
{
	struct node *nd = &b->nodes[k];
	struct bl_error err = {{0}};
	const char *shas[] = {nd->sha};
	struct bl_point_query q = {.repository = b->ctx.repo, .shas = shas, .n_shas = 1, .metric = b->metric,
				   .benchmark = b->bench};
	struct bl_series_set set;
	if (bl_series_load(b->store, &q, &set, &err)) {
		cli_error("%s", err.msg);
		return -1;
	}
	free(nd->values);
	nd->values = NULL;
	nd->n_values = 0;
	nd->skipped = true;
	nd->measured = true;
	for (size_t i = 0; i < set.n; i++) {
		const struct bl_series *s = &set.v[i];
		if (s->machine_id != b->machine_id || strcmp(s->label, b->case_label))
			continue;
		const struct bl_series_point *pt = bl_series_point_at(s, nd->sha);
		if (pt && pt->n_values && strcmp(pt->status, BL_CASE_FAILED) && strcmp(pt->status, BL_CASE_BUILD_FAILED)) {
			nd->values = bl_xmalloc(pt->n_values * sizeof(double));
			memcpy(nd->values, pt->values, pt->n_values * sizeof(double));
			nd->n_values = pt->n_values;
			nd->skipped = false;
		}
	}
	bl_series_set_release(&set);
	return 0;
}

/* Measures nodes a and b (in that order, a < b in history) interleaved, in
 * rounds, so that drift of the machine hits both alike: each gets its
 * missing repetitions up to reps; with fresh_a, node a (already complete)
 * gets reps new ones measured beside b's. Then reads both back. */
static int measure_pair(struct bisect *b, size_t a, size_t c, int reps, bool fresh_a)
{
	struct bl_error err = {{0}};
	if (reps > b->max_runs)
		reps = b->max_runs;
	struct bl_config cfg = b->cfg;
	cfg.benchmarks = bl_xcalloc(b->cfg.n_benchmarks, sizeof(*cfg.benchmarks));
	memcpy(cfg.benchmarks, b->cfg.benchmarks, b->cfg.n_benchmarks * sizeof(*cfg.benchmarks));
	for (size_t i = 0; i < cfg.n_benchmarks; i++)
		if (!strcmp(cfg.benchmarks[i].name, b->bench))
			cfg.benchmarks[i].repetitions = reps;
	struct bl_sha_list pair = {0};
	bl_sha_list_push(&pair, b->nodes[a].sha);
	bl_sha_list_push(&pair, b->nodes[c].sha);
	const char *only[] = {b->bench};
	struct bl_sweep_events ev = {.notice = ev_notice, .build_end = ev_build_end};
	struct bl_sweep_opts so = {
		.repo = b->ctx.repo,
		.cache_dir = b->ctx.cache_dir,
		.cfg = &cfg,
		.commits = &pair,
		.store = b->store,
		.branch = b->branch,
		.only = only,
		.n_only = 1,
		.interleave = true,
		.force = fresh_a,
		.worktrees = 2,
		.interrupt = &interrupt_flag,
		.events = &ev,
	};
	struct bl_sweep_totals t;
	int rc = bl_sweep(&so, &t, &err);
	free(cfg.benchmarks);
	bl_sha_list_release(&pair);
	if (rc) {
		cli_error("%s", err.msg);
		return -1;
	}
	if (t.interrupted)
		return -1;
	b->runs += t.runs_ok + t.runs_failed;
	b->nodes[c].reps_asked = reps;
	return reload(b, a) || reload(b, c) ? -1 : 0;
}

static void judge(const struct bisect *b, const struct node *old, const struct node *new, struct bl_comparison *out)
{
	struct bl_compare_opts o;
	bl_compare_opts_default(&o);
	o.alpha = b->an.alpha;
	o.noise_floor = cli_analysis_floor(&b->an, b->metric);
	bl_compare_samples(old->values, old->n_values, new->values, new->n_values, &o, out);
}

static bool differs(const struct bl_comparison *c)
{
	return c->verdict == BL_REGRESSED || c->verdict == BL_IMPROVED;
}

/* How far a commit's median is on the way from GOOD's to BAD's (0 at GOOD,
 * 1 at BAD), from its change against GOOD and BAD's: used when it differs
 * from both ends. */
static double way_to_bad(const struct bl_comparison *vs_good, const struct bl_comparison *bad_vs_good)
{
	return bad_vs_good->change != 0 ? vs_good->change / bad_vs_good->change : 0;
}

static void print_cmp(const char *what, const struct bl_comparison *c)
{
	if (c->ci_valid)
		fprintf(stderr, "%s %+.1f%% [%+.1f%%, %+.1f%%] p=%.2g", what, 100 * c->change, 100 * c->change_lo,
			100 * c->change_hi, c->mwu.p);
	else
		fprintf(stderr, "%s %+.1f%% p=%.2g", what, 100 * c->change, c->mwu.p);
}

/* Picks the untested, unskipped commit strictly between lo and hi nearest
 * to their middle; 0 when there is none. */
static size_t pick_mid(const struct bisect *b, size_t lo, size_t hi)
{
	size_t mid = lo + (hi - lo) / 2;
	for (size_t d = 0; d < hi - lo; d++) {
		size_t cands[2] = {mid + d, mid >= d ? mid - d : 0};
		for (int i = 0; i < 2; i++) {
			size_t c = cands[i];
			if (c > lo && c < hi && !b->nodes[c].skipped)
				return c;
		}
	}
	return 0;
}

/* Measures GOOD and BAD until they differ or the budget is spent. */
static int establish(struct bisect *b, struct bl_comparison *gb)
{
	size_t bad = b->n_nodes - 1;
	int reps = b->base_reps;
	for (;;) {
		if (measure_pair(b, 0, bad, reps, false))
			return stop_requested ? EXIT_INTERRUPTED : EXIT_RUNTIME;
		if (b->nodes[0].skipped || b->nodes[bad].skipped) {
			cli_error("%s %.10s could not be measured (build or benchmark failed); bisect needs both ends",
				  b->nodes[0].skipped ? "GOOD" : "BAD", b->nodes[0].skipped ? b->nodes[0].sha : b->nodes[bad].sha);
			return EXIT_RUNTIME;
		}
		judge(b, &b->nodes[0], &b->nodes[bad], gb);
		if (differs(gb))
			return EXIT_OK;
		if (reps >= b->max_runs)
			break;
		reps *= 2;
	}
	fprintf(stderr, "benchline: GOOD and BAD do not differ after %d repetitions each: ", reps);
	print_cmp("BAD vs GOOD", gb);
	fprintf(stderr, " (alpha %g, noise floor %s)\n", b->an.alpha, b->an.floor_text);
	return EXIT_FAILURES;
}

static void print_commit(const struct bisect *b, const char *tag, const char *sha)
{
	struct bl_commit_info ci;
	struct bl_error err = {{0}};
	char subj[256] = "";
	if (bl_git_commit_info(b->ctx.repo, sha, &ci, &err) == 0) {
		cli_sanitize(ci.subject ? ci.subject : "", subj, sizeof(subj));
		cli_truncate(subj, 70);
		bl_commit_info_release(&ci);
	}
	printf("%s%s %s\n", tag, sha, subj);
}

static int search(struct bisect *b)
{
	struct bl_comparison gb;
	int rc = establish(b, &gb);
	if (rc)
		return rc;
	size_t lo = 0, hi = b->n_nodes - 1;
	fprintf(stderr, "benchline: BAD differs from GOOD: ");
	print_cmp("", &gb);
	fprintf(stderr, "; %zu commits to search\n", hi - lo - 1);
	bool undecided = false;
	size_t step = 0;
	while (hi - lo > 1) {
		size_t mid = pick_mid(b, lo, hi);
		if (!mid)
			break; /* everything between is skipped */
		/* GOOD is measured again beside each midpoint, and the midpoint is
		 * judged against those runs: a machine that got slower since GOOD was
		 * first measured must not make an unchanged commit look bad. */
		size_t good_from = b->nodes[0].n_values;
		for (;;) {
			/* each round: base_reps fresh runs of GOOD beside as many of mid */
			if (measure_pair(b, 0, mid, b->base_reps, true))
				return stop_requested ? EXIT_INTERRUPTED : EXIT_RUNTIME;
			if (b->nodes[mid].skipped) {
				fprintf(stderr, "benchline: step %zu: %.10s skipped (build or benchmark failed)\n", ++step,
					b->nodes[mid].sha);
				break;
			}
			struct bl_comparison vs_good, vs_bad;
			struct node good_now = b->nodes[0];
			if (good_now.n_values > good_from) {
				good_now.values += good_from;
				good_now.n_values -= good_from;
			}
			judge(b, &good_now, &b->nodes[mid], &vs_good);
			judge(b, &b->nodes[mid], &b->nodes[b->n_nodes - 1], &vs_bad);
			bool dg = differs(&vs_good), db = differs(&vs_bad);
			if (dg || db) {
				/* Different from both ends: a machine drifting since GOOD was
				 * measured, or a part of the change (a range with two). It goes
				 * with the end it is nearer, so that a small shift that passes
				 * the test does not lead the search away from the large one. */
				double way = way_to_bad(&vs_good, &gb);
				bool bad = dg && (!db || way >= 0.5);
				fprintf(stderr, "benchline: step %zu: %.10s is %s (n=%zu; ", ++step, b->nodes[mid].sha,
					bad ? "bad" : "good", b->nodes[mid].n_values);
				print_cmp("vs GOOD", &vs_good);
				if (dg && db)
					fprintf(stderr, "; differs from both, %.0f%% of the way to BAD", 100 * way);
				fprintf(stderr, ")\n");
				if (bad)
					hi = mid;
				else
					lo = mid;
				break;
			}
			if (b->nodes[mid].n_values >= (size_t)b->max_runs) {
				fprintf(stderr, "benchline: step %zu: %.10s undecided after %zu runs (", ++step, b->nodes[mid].sha,
					b->nodes[mid].n_values);
				print_cmp("vs GOOD", &vs_good);
				fprintf(stderr, ")\n");
				undecided = true;
				break;
			}
		}
		if (undecided)
			break;
	}
	/* The candidates: what lies in (lo, hi] that was not shown good. */
	size_t n_cands = 0;
	for (size_t k = lo + 1; k <= hi; k++)
		if (undecided || !b->nodes[k].skipped || k == hi)
			n_cands++;
	if (!undecided && n_cands == 1) {
		struct bl_comparison eff;
		judge(b, &b->nodes[lo], &b->nodes[hi], &eff);
		print_commit(b, "culprit: ", b->nodes[hi].sha);
		printf("effect:  %+.1f%%", 100 * eff.change);
		if (eff.ci_valid)
			printf(" [95%% CI %+.1f%%, %+.1f%%]", 100 * eff.change_lo, 100 * eff.change_hi);
		printf(", p=%.2g (Mann-Whitney, %zu vs %zu runs) against %.10s, the last good commit\n", eff.mwu.p,
		       b->nodes[lo].n_values, b->nodes[hi].n_values, b->nodes[lo].sha);
		printf("cost:    %zu runs at %zu of %zu commits\n", b->runs, (size_t)0 + step + 2, b->n_nodes);
		return EXIT_OK;
	}
	printf("no single culprit: %s; the first commit that differs from GOOD is one of:\n",
	       undecided ? "noise left a step undecided at --max-runs" : "commits next to it failed to build or run");
	for (size_t k = lo + 1; k <= hi; k++)
		print_commit(b, b->nodes[k].skipped ? "  (skipped) " : "  ", b->nodes[k].sha);
	return EXIT_FAILURES;
}

/* The followed case: the benchmark itself, or --case among its cases. */
static int choose_case(struct bisect *b, const char *case_opt)
{
	struct bl_case *cases = NULL;
	size_t n = 0;
	struct bl_error err = {{0}};
	if (bl_config_cases(&b->cfg, &cases, &n, &err)) {
		cli_error("%s", err.msg);
		return EXIT_USAGE;
	}
	struct bl_strvec labels;
	bl_strvec_init(&labels);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(cases[i].bench->name, b->bench)) {
			char *l = bl_case_label(b->bench, cases[i].params_json);
			bl_strvec_push(&labels, l);
			free(l);
		}
	bl_cases_free(cases, n);
	int rc = EXIT_OK;
	if (labels.n == 0) {
		cli_error("no benchmark named '%s' in '%s'", b->bench, b->ctx.config_path);
		rc = EXIT_USAGE;
	} else if (case_opt) {
		for (size_t i = 0; i < labels.n && !b->case_label; i++)
			if (!strcmp(labels.v[i], case_opt))
				b->case_label = bl_xstrdup(case_opt);
		if (!b->case_label) {
			cli_error("benchmark '%s' has no case '%s'; its cases: %s%s", b->bench, case_opt, labels.v[0],
				  labels.n > 1 ? ", ..." : "");
			rc = EXIT_USAGE;
		}
	} else if (labels.n > 1) {
		cli_error("benchmark '%s' has %zu cases; choose one with --case, e.g. --case '%s'", b->bench, labels.n,
			  labels.v[0]);
		rc = EXIT_USAGE;
	} else {
		b->case_label = bl_xstrdup(labels.v[0]);
	}
	bl_strvec_release(&labels);
	return rc;
}

static int prepare(struct bisect *b, const char *good, const char *bad, const char *config_opt, const char *db_opt,
		   const char *cache_opt, const char *case_opt, const char *alpha_opt, const char *floor_opt,
		   struct bl_sha_list *line)
{
	struct bl_error err = {{0}};
	if (cli_context_init(&b->ctx, config_opt, db_opt, cache_opt, true, &err)) {
		cli_error("%s", err.msg);
		return EXIT_USAGE;
	}
	if (bl_config_load(b->ctx.config_path, &b->cfg, &err)) {
		cli_error("%s", err.msg);
		return EXIT_USAGE;
	}
	int rc = choose_case(b, case_opt);
	if (rc)
		return rc;
	for (size_t i = 0; i < b->cfg.n_benchmarks; i++)
		if (!strcmp(b->cfg.benchmarks[i].name, b->bench))
			b->base_reps = b->cfg.benchmarks[i].repetitions;
	if (cli_analysis_init(&b->an, "bisect", &b->ctx, config_opt != NULL, alpha_opt, floor_opt))
		return EXIT_USAGE;
	/* The rank test needs a few values on each side to reach alpha at all. */
	while (b->base_reps < b->max_runs &&
	       bl_mann_whitney_min_p((size_t)b->base_reps, (size_t)b->base_reps) >= b->an.alpha)
		b->base_reps++;
	char good_sha[BL_SHA_HEX + 1], bad_sha[BL_SHA_HEX + 1];
	if (bl_git_resolve(b->ctx.repo, good, good_sha, &err) || bl_git_resolve(b->ctx.repo, bad, bad_sha, &err)) {
		cli_error("%s", err.msg);
		return EXIT_USAGE;
	}
	char *range = bl_xasprintf("%s..%s", good_sha, bad_sha);
	const char *args[] = {range};
	struct bl_rev_selection sel = {.args = args, .n_args = 1, .first_parent = true, .every = 1};
	rc = bl_revs_select(b->ctx.repo, &sel, line, &err);
	free(range);
	if (rc) {
		cli_error("GOOD %s is not an ancestor of BAD %s on its first-parent line (%s)", good, bad, err.msg);
		return EXIT_USAGE;
	}
	if (strcmp(line->shas[line->n - 1], bad_sha)) {
		cli_error("GOOD %s is not an ancestor of BAD %s", good, bad);
		return EXIT_USAGE;
	}
	b->n_nodes = line->n + 1;
	b->nodes = bl_xcalloc(b->n_nodes, sizeof(*b->nodes));
	b->nodes[0].sha = bl_xstrdup(good_sha);
	for (size_t i = 0; i < line->n; i++)
		b->nodes[i + 1].sha = line->shas[i];
	if (bl_git_current_branch(b->ctx.repo, &b->branch, &err))
		b->branch = bl_xstrdup("");
	if (cli_open_store(&b->ctx, &b->store, &err)) {
		cli_error("%s", err.msg);
		return EXIT_RUNTIME;
	}
	struct bl_machine m;
	if (bl_machine_detect(&m, &err) == 0) {
		rc = bl_store_put_machine(b->store, &m, &b->machine_id, &err);
		bl_machine_release(&m);
		if (rc) {
			cli_error("%s", err.msg);
			return EXIT_RUNTIME;
		}
	} else {
		cli_error("%s", err.msg);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static int cmd_bisect_main(int argc, char **argv)
{
	enum { OPT_BENCH = 256, OPT_CASE, OPT_METRIC, OPT_MAX_RUNS, OPT_ALPHA, OPT_FLOOR, OPT_CONFIG, OPT_DB, OPT_CACHE };
	static const struct option longopts[] = {
		{"benchmark", required_argument, NULL, OPT_BENCH}, {"case", required_argument, NULL, OPT_CASE},
		{"metric", required_argument, NULL, OPT_METRIC},   {"max-runs", required_argument, NULL, OPT_MAX_RUNS},
		{"alpha", required_argument, NULL, OPT_ALPHA},     {"noise-floor", required_argument, NULL, OPT_FLOOR},
		{"config", required_argument, NULL, OPT_CONFIG},   {"db", required_argument, NULL, OPT_DB},
		{"cache-dir", required_argument, NULL, OPT_CACHE}, {NULL, 0, NULL, 0},
	};
	const char *case_opt = NULL, *alpha_opt = NULL, *floor_opt = NULL, *config_opt = NULL, *db_opt = NULL,
		   *cache_opt = NULL;
	struct bisect b;
	memset(&b, 0, sizeof(b));
	b.metric = "wall_time";
	b.max_runs = 40;
	struct bl_sha_list line = {0};
	int rc = EXIT_OK;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_BENCH: b.bench = optarg; break;
		case OPT_CASE: case_opt = optarg; break;
		case OPT_METRIC: b.metric = optarg; break;
		case OPT_MAX_RUNS: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < 2 || v > 100000) {
				rc = cli_usage_error("bisect", "--max-runs needs an integer from 2 to 100000, got '%s'", optarg);
				goto out;
			}
			b.max_runs = (int)v;
			break;
		}
		case OPT_ALPHA: alpha_opt = optarg; break;
		case OPT_FLOOR: floor_opt = optarg; break;
		case OPT_CONFIG: config_opt = optarg; break;
		case OPT_DB: db_opt = optarg; break;
		case OPT_CACHE: cache_opt = optarg; break;
		case ':': rc = cli_usage_error("bisect", "option '%s' needs a value", argv[optind - 1]); goto out;
		default: rc = cli_usage_error("bisect", "unknown option '%s'", argv[optind - 1]); goto out;
		}
	}
	if (argc - optind != 2) {
		rc = cli_usage_error("bisect", "expected GOOD and BAD revisions, got %d argument%s", argc - optind,
				     argc - optind == 1 ? "" : "s");
		goto out;
	}
	if (!b.bench) {
		rc = cli_usage_error("bisect", "--benchmark NAME is required");
		goto out;
	}
	rc = prepare(&b, argv[optind], argv[optind + 1], config_opt, db_opt, cache_opt, case_opt, alpha_opt, floor_opt,
		     &line);
	if (rc)
		goto out;
	static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	struct sigaction sa = {0}, old[4];
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 4; i++)
		sigaction(stop_signals[i], &sa, &old[i]);
	rc = search(&b);
	for (int i = 0; i < 4; i++)
		sigaction(stop_signals[i], &old[i], NULL);
	if (stop_requested)
		rc = EXIT_INTERRUPTED;
out:
	if (b.store)
		bl_store_close(b.store);
	for (size_t i = 0; i < b.n_nodes; i++)
		free(b.nodes[i].values);
	if (b.nodes)
		free((char *)b.nodes[0].sha);
	free(b.nodes);
	bl_sha_list_release(&line);
	if (b.cfg.path)
		bl_config_release(&b.cfg);
	cli_analysis_release(&b.an);
	free(b.case_label);
	free(b.branch);
	cli_context_release(&b.ctx);
	return rc;
}

const struct cli_command cli_cmd_bisect = {
	.name = "bisect",
	.fn = cmd_bisect_main,
	.summary = "find the commit that changed a benchmark, measuring only what it needs",
	.usage = usage,
};
