/* cmd-init.c - `benchline init`: write a commented example benchline.yaml. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

static const char usage[] = "usage: benchline init [--force] [--config FILE]\n"
			    "\n"
			    "Writes a commented example configuration to benchline.yaml at the root of the\n"
			    "repository (or FILE). An existing file is kept unless --force is given.\n"
			    "Every key is described in docs/CONFIG.md.\n";

static int cmd_init_main(int argc, char **argv)
{
	enum { OPT_FORCE = 256, OPT_CONFIG };
	static const struct option longopts[] = {
		{"force", no_argument, NULL, OPT_FORCE},
		{"config", required_argument, NULL, OPT_CONFIG},
		{NULL, 0, NULL, 0},
	};
	bool force = false;
	const char *config_opt = NULL;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_FORCE: force = true; break;
		case OPT_CONFIG: config_opt = optarg; break;
		case ':': return cli_usage_error("init", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("init", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("init", "unexpected argument '%s'", argv[optind]);
	struct cli_context ctx;
	struct bl_error err = {{0}};
	if (cli_context_init(&ctx, config_opt, config_opt ? "unused" : NULL, NULL, config_opt == NULL, &err)) {
		cli_error("%s", err.msg);
		cli_context_release(&ctx);
		return EXIT_USAGE;
	}
	int rc = EXIT_OK;
	if (!force && access(ctx.config_path, F_OK) == 0) {
		cli_error("'%s' already exists; use --force to overwrite it", ctx.config_path);
		rc = EXIT_USAGE;
	} else {
		const char *text = bl_config_example();
		if (bl_write_file_atomic(ctx.config_path, text, strlen(text), &err)) {
			cli_error("%s", err.msg);
			rc = EXIT_RUNTIME;
		} else {
			printf("wrote %s\n", ctx.config_path);
		}
	}
	cli_context_release(&ctx);
	return rc;
}

const struct cli_command cli_cmd_init = {
	.name = "init",
	.fn = cmd_init_main,
	.summary = "write a commented example benchline.yaml",
	.usage = usage,
};
