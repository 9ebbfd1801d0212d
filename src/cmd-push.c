/*
 * cmd-push.c - `benchline push`: copies every result of one store (a local
 * SQLite file, or a PostgreSQL database) into another without duplicates.
 *
 * The copying itself is bl_store_copy (lib/store_copy.c).
 */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: benchline push --to URL [--db PATH]\n"
	"\n"
	"Copies every result of a database (machines, commits, benchmark\n"
	"cases, runs with their metrics, model measurements and device samples, and\n"
	"builds) into another store, normally a shared PostgreSQL database, without\n"
	"duplicates: a run already there (same case, kind and index) is skipped, so\n"
	"pushing twice adds nothing and pushing after more runs adds only the new ones.\n"
	"Runners without network can benchmark into SQLite and push later.\n"
	"\n"
	"Options:\n"
	"  --to URL     the store to copy into: postgresql://[USER[:PASSWORD]@]HOST[:PORT]/DB\n"
	"               (a libpq URL: .pgpass, PGPASSWORD and the other PG* variables work\n"
	"               as in psql), or the path of another SQLite database\n"
	"  --db PATH    the database to copy from, a SQLite file or a PostgreSQL URL\n"
	"               (default: $BENCHLINE_DB or <repo>/.benchline/results.db)\n"
	"\n"
	"Passwords are never printed: URLs are shown as postgresql://USER:***@HOST/DB.\n"
	"Exit status 3 when either store cannot be opened (wrong password, server\n"
	"unreachable) or a write fails; what was copied before stays, whole runs only.\n";

static int cmd_push_main(int argc, char **argv)
{
	enum { OPT_TO = 256, OPT_DB };
	static const struct option longopts[] = {
		{"to", required_argument, NULL, OPT_TO},
		{"db", required_argument, NULL, OPT_DB},
		{NULL, 0, NULL, 0},
	};
	const char *to_opt = NULL, *db_opt = NULL;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+:", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_TO: to_opt = optarg; break;
		case OPT_DB: db_opt = optarg; break;
		case ':': return cli_usage_error("push", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("push", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("push", "unexpected argument '%s'", argv[optind]);
	if (!to_opt || !*to_opt)
		return cli_usage_error("push", "--to URL is required (the store to copy into)");

	struct cli_context ctx;
	struct bl_error err = {{0}};
	struct bl_store *from = NULL, *to = NULL;
	char *from_name = NULL, *to_name = bl_store_display_name(to_opt);
	struct bl_copy_totals p = {0};
	int rc = EXIT_OK;
	if (cli_context_init(&ctx, NULL, db_opt, NULL, false, &err)) {
		cli_error("%s", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	from_name = bl_store_display_name(ctx.db_path);
	if (!strstr(ctx.db_path, "://") && access(ctx.db_path, F_OK) != 0) {
		cli_error("nothing to push: database '%s' does not exist (run 'benchline run' first)", from_name);
		rc = EXIT_USAGE;
		goto out;
	}
	char *to_real = strstr(to_opt, "://") ? NULL : realpath(to_opt, NULL);
	bool same = !strcmp(ctx.db_path, to_opt) || (to_real && !strcmp(ctx.db_path, to_real));
	free(to_real);
	if (same) {
		cli_error("--to names the database being pushed ('%s')", from_name);
		rc = EXIT_USAGE;
		goto out;
	}
	if (bl_store_open(ctx.db_path, &from, &err)) {
		cli_error("%s", err.msg);
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (bl_store_open(to_opt, &to, &err)) {
		cli_error("%s", err.msg);
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (bl_store_copy(from, to, &p, &err) != 0) {
		cli_error("%s", err.msg);
		cli_info("pushed %zu runs before the error; pushing again adds the rest", p.runs_added);
		rc = EXIT_RUNTIME;
		goto out;
	}
	printf("pushed %zu run%s (%zu already there) of %zu benchmark case%s, %zu build%s (%zu already there)"
	       " and %zu new machine%s from %s to %s\n",
	       p.runs_added, p.runs_added == 1 ? "" : "s", p.runs_present, p.cases, p.cases == 1 ? "" : "s",
	       p.builds_added, p.builds_added == 1 ? "" : "s", p.builds_present, p.machines_added,
	       p.machines_added == 1 ? "" : "s", from_name, to_name);
out:
	if (from)
		bl_store_close(from);
	if (to)
		bl_store_close(to);
	free(from_name);
	free(to_name);
	cli_context_release(&ctx);
	return rc;
}

const struct cli_command cli_cmd_push = {
	.name = "push",
	.fn = cmd_push_main,
	.summary = "copy every result of one database into another (SQLite, PostgreSQL)",
	.usage = usage,
};
