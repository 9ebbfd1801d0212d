/* import-file.h - `benchline import FILE... ...` (import-file.c), reached from
 * cmd-import.c, which also dispatches `import --from STORE`. */
#ifndef BENCHLINE_IMPORT_FILE_H
#define BENCHLINE_IMPORT_FILE_H

/* The usage text of the FILE form (a literal, so cmd-import.c can add the
 * --from form to it). */
#define CLI_IMPORT_FILE_USAGE \
    "usage: benchline import FILE... --format FORMAT --commit REV [--benchmark NAME]\n" \
    "                        [--param KEY=VALUE]... [--machine FINGERPRINT] [--branch NAME]\n" \
    "                        [--pattern REGEX] [--unit METRIC=UNIT]... [--db PATH]\n" \
    "\n" \
    "Stores results a harness produced elsewhere (a CI job, another machine) as one\n" \
    "measured run of a benchmark case at commit REV, with every metric of the file,\n" \
    "units normalised as in `benchline run`. Several files (Criterion writes one\n" \
    "estimates.json per benchmark) make one run with the metrics of them all, as\n" \
    "`metrics: file:` with a pattern does in a run. Every file is read whole first:\n" \
    "a malformed one stores nothing. Importing again adds another run to the case.\n" \
    "\n" \
    "Options:\n" \
    "  --format FORMAT      gbench, hyperfine, pytest-benchmark, criterion, gotest,\n" \
    "                       llama-bench, optimum-benchmark or regex (docs/ADAPTERS.md)\n" \
    "  --commit REV         the commit the results belong to (sha, tag, branch, HEAD~3)\n" \
    "                       in the repository (-C DIR or the current directory)\n" \
    "  --benchmark NAME     the case's benchmark name (default: the format's name)\n" \
    "  --param KEY=VALUE    a parameter of the case (repeatable), as `run` records\n" \
    "                       params: {KEY: [VALUE]}\n" \
    "  --machine FP         file the results under the machine with this fingerprint,\n" \
    "                       which must be in the store already (default: this machine)\n" \
    "  --branch NAME        branch recorded with the results (default: current)\n" \
    "  --pattern REGEX      regex only: the pattern with (?<name>...) groups\n" \
    "  --unit METRIC=UNIT   regex only: the unit of a group (repeatable)\n" \
    "  --db PATH            the store (default: $BENCHLINE_DB or <repo>/.benchline/results.db;\n" \
    "                       a postgresql:// URL works too)\n" \
    "\n" \
    "Exit status 2 for a bad option, an unknown revision or a file that cannot be read\n" \
    "(the message gives the file and the line and column or JSON path at fault), 3 when\n" \
    "the store cannot be opened or written.\n"

extern const char cli_import_file_usage[];
/* argv[0] is "import"; returns an exit status (cli.h). */
int cli_import_file(int argc, char **argv);

#endif
