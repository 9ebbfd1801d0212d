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
	if (cli_context_init(&ctx, NULL, db_opt, NULL, false, &err)) {
		cli_error("%s", err.msg);
		return EXIT_USAGE;
	}
	int rc = cli_copy_stores("push", ctx.db_path, to_opt);
	cli_context_release(&ctx);
	return rc;
}

const struct cli_command cli_cmd_push = {
	.name = "push",
	.fn = cmd_push_main,
	.summary = "copy every result of one database into another (SQLite, PostgreSQL)",
	.usage = usage,
};
