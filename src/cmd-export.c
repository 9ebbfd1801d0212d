/*
 * cmd-export.c - `benchline export`: every result of the store as CSV files
 * or one JSON document (benchline/export.h), or copied into another store
 * (`--to`, the same copy as `push`).
 */
#include "cli.h"

#include "benchline/export.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: benchline export --format csv|json [-o PATH] [--db PATH]\n"
	"       benchline export --to STORE [--db PATH]\n"
	"\n"
	"Writes every result of the database for other tools. csv: one file per table in\n"
	"the layout of the transformers benchmark v1 CSV output (benchmarks.csv,\n"
	"device_measurements.csv, model_measurements.csv, benchmark_summary.csv) plus\n"
	"machines.csv, commits.csv, builds.csv, runs.csv and metrics.csv, in the directory\n"
	"-o (default ./benchline-export); text cells a spreadsheet would run as a formula\n"
	"(starting with = + - @) are prefixed with an apostrophe. json: one document with\n"
	"every machine, commit, build and benchmark case, each case with its runs, their\n"
	"metrics, model measurements and device samples, to -o FILE (default: standard\n"
	"output). --to copies everything into another database (SQLite file or\n"
	"postgresql:// URL) without duplicates, as 'push' does.\n"
	"\n"
	"Options:\n"
	"  --format FMT       csv or json\n"
	"  -o, --output PATH  the directory (csv) or file (json) to write\n"
	"  --to STORE         copy into this database instead\n"
	"  --db PATH          the database to export (default: $BENCHLINE_DB, 'db:' in\n"
	"                     benchline.yaml, <repo>/.benchline/results.db)\n"
	"\n"
	"Exit status 2 for a bad option or a database that does not exist, 3 when the\n"
	"database cannot be read or the files cannot be written (files already there are\n"
	"replaced only when the whole export succeeded).\n";

static int cmd_export_main(int argc, char **argv)
{
	enum { OPT_FORMAT = 256, OPT_TO, OPT_DB };
	static const struct option longopts[] = {
		{"format", required_argument, NULL, OPT_FORMAT},
		{"output", required_argument, NULL, 'o'},
		{"to", required_argument, NULL, OPT_TO},
		{"db", required_argument, NULL, OPT_DB},
		{NULL, 0, NULL, 0},
	};
	const char *format = NULL, *output = NULL, *to_opt = NULL, *db_opt = NULL;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_FORMAT: format = optarg; break;
		case 'o': output = optarg; break;
		case OPT_TO: to_opt = optarg; break;
		case OPT_DB: db_opt = optarg; break;
		case ':': return cli_usage_error("export", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("export", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("export", "unexpected argument '%s'", argv[optind]);
	if (to_opt && (format || output))
		return cli_usage_error("export", "--to copies into a database; it does not go with --format or -o");
	if (!to_opt && !format)
		return cli_usage_error("export", "say what to write: --format csv, --format json, or --to STORE");
	if (format && strcmp(format, "csv") && strcmp(format, "json"))
		return cli_usage_error("export", "--format is csv or json, not '%s'", format);
	if (to_opt && !*to_opt)
		return cli_usage_error("export", "--to needs a database");

	struct cli_context ctx;
	struct bl_error err = {{0}};
	if (cli_context_init(&ctx, NULL, db_opt, NULL, false, &err)) {
		cli_error("%s", err.msg);
		return EXIT_USAGE;
	}
	int rc = EXIT_OK;
	struct bl_store *store = NULL;
	char *shown = bl_store_display_name(ctx.db_path);
	if (to_opt) {
		char *to = cli_absolute_target(to_opt);
		rc = cli_copy_stores("export", ctx.db_path, to);
		free(to);
		goto out;
	}
	if (!strstr(ctx.db_path, "://") && access(ctx.db_path, F_OK) != 0) {
		cli_error("nothing to export: database '%s' does not exist (run 'benchline run' first)", shown);
		rc = EXIT_USAGE;
		goto out;
	}
	if (bl_store_open(ctx.db_path, &store, &err)) {
		cli_error("%s", err.msg);
		rc = EXIT_RUNTIME;
		goto out;
	}
	struct bl_export_counts n;
	if (!strcmp(format, "csv")) {
		const char *dir = output ? output : "benchline-export";
		if (bl_export_csv(store, dir, &n, &err) != 0) {
			cli_error("%s", err.msg);
			rc = EXIT_RUNTIME;
			goto out;
		}
		printf("exported %zu benchmark case%s, %zu run%s, %zu metric value%s, %zu device sample%s and %zu model "
		       "measurement%s from %s to %s/\n",
		       n.cases, n.cases == 1 ? "" : "s", n.runs, n.runs == 1 ? "" : "s", n.metrics,
		       n.metrics == 1 ? "" : "s", n.samples, n.samples == 1 ? "" : "s", n.measurements,
		       n.measurements == 1 ? "" : "s", shown, dir);
		goto out;
	}
	/* JSON: to a temporary file renamed into place, or to standard output. */
	char *tmp = output ? bl_xasprintf("%s.tmp", output) : NULL;
	FILE *f = output ? fopen(tmp, "w") : stdout;
	if (!f) {
		cli_error("cannot write '%s': %s", tmp, strerror(errno));
		free(tmp);
		rc = EXIT_RUNTIME;
		goto out;
	}
	int r = bl_export_json(store, f, &n, &err);
	if (output) {
		if (fclose(f) != 0 && r == 0)
			r = bl_fail_errno(&err, errno, "cannot write '%s'", tmp);
		if (r == 0 && rename(tmp, output) != 0)
			r = bl_fail_errno(&err, errno, "cannot write '%s'", output);
		if (r != 0)
			unlink(tmp);
	}
	free(tmp);
	if (r != 0) {
		cli_error("%s", err.msg);
		rc = EXIT_RUNTIME;
	} else if (output) {
		printf("exported %zu benchmark case%s and %zu run%s from %s to %s\n", n.cases, n.cases == 1 ? "" : "s",
		       n.runs, n.runs == 1 ? "" : "s", shown, output);
	}
out:
	if (store)
		bl_store_close(store);
	free(shown);
	cli_context_release(&ctx);
	return rc;
}

const struct cli_command cli_cmd_export = {
	.name = "export",
	.fn = cmd_export_main,
	.summary = "write every result as CSV or JSON, or copy it into another database",
	.usage = usage,
};
