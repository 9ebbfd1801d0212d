/*
 * cmd-import.c - `benchline import`: results made elsewhere into the store.
 *
 * Kept thin on purpose: each form lives in its own file and this one only
 * dispatches. `import FILE --format F --commit REV` is import-file.c; any
 * argument "--from" or "--from=..." selects `import --from STORE`, the copy
 * of another benchline database (copy-stores.c).
 */
#include "cli.h"
#include "import-file.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] = CLI_IMPORT_FILE_USAGE
	"\n"
	"usage: benchline import --from STORE [--db PATH]\n"
	"\n"
	"Copies every result of another benchline database (a SQLite file or a\n"
	"postgresql:// URL) into this one without duplicates, as 'push' does the other\n"
	"way round: importing twice adds nothing.\n"
	"\n"
	"  --from STORE         the database to copy from\n";

static int import_store(int argc, char **argv)
{
	enum { OPT_FROM = 256, OPT_DB };
	static const struct option longopts[] = {
		{"from", required_argument, NULL, OPT_FROM},
		{"db", required_argument, NULL, OPT_DB},
		{NULL, 0, NULL, 0},
	};
	const char *from_opt = NULL, *db_opt = NULL;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_FROM: from_opt = optarg; break;
		case OPT_DB: db_opt = optarg; break;
		case ':': return cli_usage_error("import", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("import", "unknown option '%s' (with --from: --db only)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("import", "unexpected argument '%s' (--from copies a whole database)", argv[optind]);
	if (!from_opt || !*from_opt)
		return cli_usage_error("import", "--from needs a database");
	struct cli_context ctx;
	struct bl_error err = {{0}};
	if (cli_context_init(&ctx, NULL, db_opt, NULL, false, &err)) {
		cli_error("%s", err.msg);
		return EXIT_USAGE;
	}
	char *from = cli_absolute_target(from_opt);
	int rc = cli_copy_stores("import", from, ctx.db_path);
	free(from);
	cli_context_release(&ctx);
	return rc;
}

static int cmd_import_main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--from") || !strncmp(argv[i], "--from=", 7))
			return import_store(argc, argv);
	return cli_import_file(argc, argv);
}

const struct cli_command cli_cmd_import = {
	.name = "import",
	.fn = cmd_import_main,
	.summary = "store results made elsewhere: a harness's output file, or another database",
	.usage = usage,
};
