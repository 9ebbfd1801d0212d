/* import-file.h - `benchline import FILE ...` (import-file.c), reached from
 * cmd-import.c, which also dispatches `import --from STORE`. */
#ifndef BENCHLINE_IMPORT_FILE_H
#define BENCHLINE_IMPORT_FILE_H

/* The usage text of the FILE form. */
extern const char cli_import_file_usage[];
/* argv[0] is "import"; returns an exit status (cli.h). */
int cli_import_file(int argc, char **argv);

#endif
