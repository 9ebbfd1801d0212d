/*
 * cli.h - what the subcommands share: the command table entry, the
 * repository/config/database context, messages and exit codes.
 *
 * Exit codes (docs/CLI.md):
 *   0   success
 *   1   the command ran but found failures (failed builds or runs)
 *   2   usage or configuration error
 *   3   runtime error (git, store, file system)
 *   130 interrupted (Ctrl-C); completed work is stored
 */
#ifndef BENCHLINE_CLI_H
#define BENCHLINE_CLI_H

#include "benchline/common.h"
#include "benchline/config.h"
#include "benchline/store.h"

#include <stdio.h>

enum {
	EXIT_OK = 0,
	EXIT_FAILURES = 1,
	EXIT_USAGE = 2,
	EXIT_RUNTIME = 3,
	EXIT_INTERRUPTED = 130,
};

struct cli_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	const char *usage; /* full help text printed by `benchline CMD --help` */
};

/* Options every repository-bound command accepts. */
struct cli_context {
	char *repo;       /* top level of the repository under test */
	char *config_path;
	char *db_path;
	char *cache_dir;
};

/* Global -C DIR, set by main before dispatch (NULL: current directory). */
extern const char *cli_chdir;
extern const char *cli_program;

/* Messages: "benchline: error: ..." on stderr. */
void cli_error(const char *fmt, ...) BL_PRINTF(1, 2);
void cli_warn(const char *fmt, ...) BL_PRINTF(1, 2);
void cli_info(const char *fmt, ...) BL_PRINTF(1, 2);
/* Prints usage error + hint and returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) BL_PRINTF(2, 3);
/* True when --help or -h is among argv[1..]; prints usage. */
bool cli_wants_help(const struct cli_command *cmd, int argc, char **argv);
const struct cli_command *cli_find_command(const char *name);

/* Resolves the repository (from -C or the working directory), and the
 * config/database/cache paths from options, BENCHLINE_DB and defaults:
 * <repo>/benchline.yaml, <repo>/.benchline/results.db, <repo>/.benchline/cache. */
int cli_context_init(struct cli_context *ctx, const char *config_opt, const char *db_opt, const char *cache_opt,
		     bool need_repo, struct bl_error *err);
void cli_context_release(struct cli_context *ctx);
/* cli_context_init for the job-queue commands (enqueue, worker, queue):
 * prints the error and returns EXIT_USAGE when it fails or when the
 * database is not PostgreSQL; EXIT_OK otherwise. */
int cli_queue_context(const char *cmd, struct cli_context *ctx, const char *config_opt, const char *db_opt,
		      const char *cache_opt, bool need_repo);
/* A database as given on the command line: a URL as it is, a path made
 * absolute (owned). */
char *cli_absolute_target(const char *given);
/* Copies every result of store from_target into to_target without
 * duplicates (push, export --to, import --from; cmd names it in messages)
 * and prints what was copied; returns an exit status. */
int cli_copy_stores(const char *cmd, const char *from_target, const char *to_target);
/* Opens the store at ctx->db_path, creating its directory. */
int cli_open_store(const struct cli_context *ctx, struct bl_store **store, struct bl_error *err);

/* "2,3" or "0-3,6" -> CPU numbers (owned); -1 for anything else. */
int cli_parse_cpu_list(const char *text, int **cpus, size_t *n);

/* Terminal helpers. */
bool cli_color(FILE *f); /* isatty and NO_COLOR unset */
/* Copies s into out replacing control characters (escape sequences from
 * commit subjects must not reach the terminal). */
void cli_sanitize(const char *s, char *out, size_t out_size);
/* Shortens s in place to at most max bytes, ending in "...", without
 * cutting a UTF-8 character in half. */
void cli_truncate(char *s, size_t max);
/* Formats a value with its unit for people: 0.0123 s -> "12.3 ms". */
void cli_format_value(double v, const char *unit, char *out, size_t out_size);
void cli_format_duration(double seconds, char *out, size_t out_size);
/* "name" or "name[k=v,...]" from a name and a params JSON object. */
char *cli_case_label(const char *name, const char *params_json);

/* One entry per src/cmd-<verb>.c, listed in main.c's table. */
extern const struct cli_command cli_cmd_bisect;
extern const struct cli_command cli_cmd_compare;
extern const struct cli_command cli_cmd_demo;
extern const struct cli_command cli_cmd_detect;
extern const struct cli_command cli_cmd_doctor;
extern const struct cli_command cli_cmd_import;
extern const struct cli_command cli_cmd_init;
extern const struct cli_command cli_cmd_enqueue;
extern const struct cli_command cli_cmd_export;
extern const struct cli_command cli_cmd_push;
extern const struct cli_command cli_cmd_queue;
extern const struct cli_command cli_cmd_report;
extern const struct cli_command cli_cmd_run;
extern const struct cli_command cli_cmd_show;
extern const struct cli_command cli_cmd_worker;

#endif
