/* main.c - benchline's entry point: global options and the command table. */
#include "cli.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Sorted by name; `benchline --help` lists them in this order. */
static const struct cli_command *const commands[] = {
	&cli_cmd_bisect,
	&cli_cmd_compare,
	&cli_cmd_demo,
	&cli_cmd_detect,
	&cli_cmd_doctor,
	&cli_cmd_enqueue,
	&cli_cmd_export,
	&cli_cmd_import,
	&cli_cmd_init,
	&cli_cmd_push,
	&cli_cmd_queue,
	&cli_cmd_report,
	&cli_cmd_run,
	&cli_cmd_show,
	&cli_cmd_worker,
};

const struct cli_command *cli_find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

static void print_help(FILE *f)
{
	fprintf(f, "usage: benchline [-C DIR] <command> [options]\n"
		   "\n"
		   "Benchmarks a code base across git commits, stores every measurement with its\n"
		   "provenance, and shows which commit changed performance.\n"
		   "\n"
		   "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\n"
		   "Global options:\n"
		   "  -C DIR       run as if started in DIR (the repository under test)\n"
		   "  -h, --help   show this help; `benchline <command> --help` for a command\n"
		   "  --version    print the version\n"
		   "\n"
		   "Environment: BENCHLINE_DB (database), NO_COLOR (plain output).\n"
		   "Exit codes: 0 ok, 1 failures found, 2 usage or config error, 3 runtime error,\n"
		   "130 interrupted.\n");
}

int main(int argc, char **argv)
{
	/* A write past the file size limit (ulimit -f) then fails with EFBIG and
	 * is reported like a full disk, instead of killing benchline between two
	 * writes. Children get every signal back to default (lib/proc.c, runner.c). */
	signal(SIGXFSZ, SIG_IGN);
	int i = 1;
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			print_help(stdout);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "--version")) {
			printf("benchline %s\n", BENCHLINE_VERSION);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "-C")) {
			if (i + 1 >= argc) {
				cli_error("option '-C' needs a directory");
				return EXIT_USAGE;
			}
			cli_chdir = argv[i + 1];
			i += 2;
			continue;
		}
		cli_error("unknown option '%s'", argv[i]);
		fprintf(stderr, "Run 'benchline --help' for usage.\n");
		return EXIT_USAGE;
	}
	if (i >= argc) {
		print_help(stderr);
		return EXIT_USAGE;
	}
	const struct cli_command *cmd = cli_find_command(argv[i]);
	if (!cmd) {
		cli_error("unknown command '%s'", argv[i]);
		fprintf(stderr, "Run 'benchline --help' for the list of commands.\n");
		return EXIT_USAGE;
	}
	if (cli_wants_help(cmd, argc - i, argv + i))
		return EXIT_OK;
	int rc = cmd->fn(argc - i, argv + i);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write to standard output");
		return rc ? rc : EXIT_RUNTIME;
	}
	return rc;
}
