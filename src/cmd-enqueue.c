/*
 * cmd-enqueue.c - `benchline enqueue`: records jobs (commit x benchmark
 * selection x machine class) in the queue of a shared PostgreSQL store for
 * `benchline worker`s to run (benchline/queue.h).
 */
#include "cli.h"

#include "benchline/git.h"
#include "benchline/queue.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: benchline enqueue [REV...] [options]\n"
	"\n"
	"Records one job per selected commit in the queue of a shared PostgreSQL\n"
	"database; 'benchline worker' processes on any machines take and run them.\n"
	"Revisions are chosen as for 'benchline run' (REV, A..B, diff; default HEAD) and\n"
	"resolved here, before anything is recorded. A job equal to one pending, running\n"
	"or done (same commit, benchmarks and class) is not recorded twice.\n"
	"\n"
	"Options:\n"
	"  --db URL              the shared store: postgresql://USER@HOST/DB (default:\n"
	"                        $BENCHLINE_DB, then 'db:' in benchline.yaml)\n"
	"  --benchmark NAME      only this benchmark (repeatable; default: every one)\n"
	"  --machine-class NAME  only workers started with --machine-class NAME take it\n"
	"  --priority N          higher runs first (default 0)\n"
	"  --max-attempts N      how often a failing job is tried (default 3)\n"
	"  --force               record the jobs even when equal ones exist\n"
	"  --repository NAME     the repository name the results are stored under\n"
	"                        (default: this repository's path, as 'run' stores it)\n"
	"  --first-parent        ranges follow first parents only (as for 'run')\n"
	"  --every N             keep every Nth commit of the selection\n"
	"  --max-count N         keep at most the newest N commits\n"
	"  --since DATE          only commits newer than DATE\n"
	"  --from-file FILE      one revision per line ('-': standard input)\n"
	"  --config FILE         benchline.yaml, to check --benchmark names\n"
	"\n"
	"Exit status 0 when the jobs were recorded, 2 for a bad revision or option, 3\n"
	"when the database cannot be reached (nothing is recorded then).\n";

static int int_opt(const char *opt, const char *text, int lo, int *out)
{
	int64_t v;
	if (bl_parse_int64(text, &v) || v < lo || v > INT_MAX)
		return cli_usage_error("enqueue", "%s needs a whole number >= %d, got '%s'", opt, lo, text);
	*out = (int)v;
	return 0;
}

static int cmd_enqueue_main(int argc, char **argv)
{
	enum { OPT_DB = 256, OPT_BENCH, OPT_CLASS, OPT_PRIORITY, OPT_ATTEMPTS, OPT_FORCE, OPT_REPOSITORY,
	       OPT_FIRST_PARENT, OPT_EVERY, OPT_MAX_COUNT, OPT_SINCE, OPT_FROM_FILE, OPT_CONFIG };
	static const struct option longopts[] = {
		{"db", required_argument, NULL, OPT_DB},
		{"benchmark", required_argument, NULL, OPT_BENCH},
		{"machine-class", required_argument, NULL, OPT_CLASS},
		{"priority", required_argument, NULL, OPT_PRIORITY},
		{"max-attempts", required_argument, NULL, OPT_ATTEMPTS},
		{"force", no_argument, NULL, OPT_FORCE},
		{"repository", required_argument, NULL, OPT_REPOSITORY},
		{"first-parent", no_argument, NULL, OPT_FIRST_PARENT},
		{"every", required_argument, NULL, OPT_EVERY},
		{"max-count", required_argument, NULL, OPT_MAX_COUNT},
		{"since", required_argument, NULL, OPT_SINCE},
		{"from-file", required_argument, NULL, OPT_FROM_FILE},
		{"config", required_argument, NULL, OPT_CONFIG},
		{NULL, 0, NULL, 0},
	};
	struct bl_rev_selection sel = {.every = 1};
	struct bl_job_spec base = {.max_attempts = 3};
	const char *db_opt = NULL, *config_opt = NULL, *repository_opt = NULL;
	struct bl_strvec only;
	bl_strvec_init(&only);
	struct cli_context ctx = {0};
	struct bl_config cfg = {0};
	struct bl_sha_list commits = {0};
	struct bl_store *store = NULL;
	struct bl_job_spec *specs = NULL;
	struct bl_error err = {{0}};
	int rc = EXIT_OK;
	char *shown = NULL;

	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DB: db_opt = optarg; break;
		case OPT_BENCH: bl_strvec_push(&only, optarg); break;
		case OPT_CLASS:
			if (!*optarg) {
				rc = cli_usage_error("enqueue", "--machine-class needs a name");
				goto out;
			}
			base.machine_class = optarg;
			break;
		case OPT_PRIORITY: {
			int64_t v;
			if (bl_parse_int64(optarg, &v) || v < -1000000 || v > 1000000) {
				rc = cli_usage_error("enqueue", "--priority needs a whole number, got '%s'", optarg);
				goto out;
			}
			base.priority = (int)v;
			break;
		}
		case OPT_ATTEMPTS: if (int_opt("--max-attempts", optarg, 1, &base.max_attempts)) { rc = EXIT_USAGE; goto out; } break;
		case OPT_FORCE: base.force = true; break;
		case OPT_REPOSITORY: repository_opt = optarg; break;
		case OPT_FIRST_PARENT: sel.first_parent = true; break;
		case OPT_EVERY: if (int_opt("--every", optarg, 1, &sel.every)) { rc = EXIT_USAGE; goto out; } break;
		case OPT_MAX_COUNT: if (int_opt("--max-count", optarg, 1, &sel.max_count)) { rc = EXIT_USAGE; goto out; } break;
		case OPT_SINCE: sel.since = optarg; break;
		case OPT_FROM_FILE: sel.from_file = optarg; break;
		case OPT_CONFIG: config_opt = optarg; break;
		case ':': rc = cli_usage_error("enqueue", "option '%s' needs a value", argv[optind - 1]); goto out;
		default: rc = cli_usage_error("enqueue", "unknown option '%s'", argv[optind - 1]); goto out;
		}
	}
	sel.args = (const char *const *)(argv + optind);
	sel.n_args = (size_t)(argc - optind);
	if (repository_opt && !*repository_opt) {
		rc = cli_usage_error("enqueue", "--repository needs a name");
		goto out;
	}
	if ((rc = cli_queue_context("enqueue", &ctx, config_opt, db_opt, NULL, true)) != EXIT_OK)
		goto out;
	shown = bl_store_display_name(ctx.db_path);
	/* Benchmark names are checked against this checkout's suite. */
	if (only.n) {
		if (bl_config_load(ctx.config_path, &cfg, &err)) {
			cli_error("%s", err.msg);
			rc = EXIT_USAGE;
			goto out;
		}
		const char *unknown = bl_config_unknown_benchmark(&cfg, (const char *const *)only.v, only.n);
		if (unknown)
			cli_error("no benchmark named '%s' in '%s'", unknown, ctx.config_path);
		bl_config_release(&cfg);
		if (unknown) {
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (bl_revs_select(ctx.repo, &sel, &commits, &err)) {
		cli_error("%s", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	if (bl_store_open(ctx.db_path, &store, &err)) {
		cli_error("%s", err.msg);
		rc = EXIT_RUNTIME;
		goto out;
	}
	base.repository = repository_opt ? repository_opt : ctx.repo;
	base.benchmarks = only.n ? (const char *const *)only.v : NULL;
	base.n_benchmarks = only.n;
	specs = bl_xcalloc(commits.n ? commits.n : 1, sizeof(*specs));
	for (size_t i = 0; i < commits.n; i++) {
		specs[i] = base;
		specs[i].commit_sha = commits.shas[i];
	}
	size_t added, skipped;
	if (bl_queue_enqueue(store, specs, commits.n, &added, &skipped, &err)) {
		cli_error("%s", err.msg);
		rc = EXIT_RUNTIME;
		goto out;
	}
	printf("enqueued %zu job%s", added, added == 1 ? "" : "s");
	if (skipped)
		printf(" (%zu already queued or done; --force records them again)", skipped);
	printf(" in %s\n", shown);
out:
	if (store)
		bl_store_close(store);
	free(specs);
	free(shown);
	bl_sha_list_release(&commits);
	bl_strvec_release(&only);
	cli_context_release(&ctx);
	return rc;
}

const struct cli_command cli_cmd_enqueue = {
	.name = "enqueue",
	.fn = cmd_enqueue_main,
	.summary = "record jobs for workers in the shared PostgreSQL queue",
	.usage = usage,
};
