/*
 * cmd-import.c - `benchline import`: results made elsewhere into the store.
 *
 * Kept thin on purpose: each form lives in its own file and this one only
 * dispatches. `import FILE --format F --commit REV` is import-file.c. (The
 * store-to-store form, `import --from STORE`, is dispatched here as well when
 * present: any argument "--from" or "--from=..." selects it.)
 */
#include "cli.h"
#include "import-file.h"

const struct cli_command cli_cmd_import = {
    .name = "import",
    .fn = cli_import_file,
    .summary = "store results a harness produced elsewhere",
    .usage = cli_import_file_usage,
};
