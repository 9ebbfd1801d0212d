/*
 * copy-stores.c - what `push`, `export --to` and `import --from` share: copy
 * every result of one store into another (bl_store_copy) and say what was
 * copied, with URLs redacted.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *past(const char *cmd)
{
	return !strcmp(cmd, "push") ? "pushed" : !strcmp(cmd, "import") ? "imported" : "exported";
}

int cli_copy_stores(const char *cmd, const char *from_target, const char *to_target)
{
	struct bl_error err = {{0}};
	struct bl_store *from = NULL, *to = NULL;
	char *from_name = bl_store_display_name(from_target), *to_name = bl_store_display_name(to_target);
	struct bl_copy_totals p = {0};
	int rc = EXIT_OK;
	if (!strstr(from_target, "://") && access(from_target, F_OK) != 0) {
		cli_error("nothing to copy: database '%s' does not exist%s", from_name,
			  !strcmp(cmd, "import") ? "" : " (run 'benchline run' first)");
		rc = EXIT_USAGE;
		goto out;
	}
	char *from_real = strstr(from_target, "://") ? NULL : realpath(from_target, NULL);
	char *to_real = strstr(to_target, "://") ? NULL : realpath(to_target, NULL);
	bool same = !strcmp(from_target, to_target) || (to_real && from_real && !strcmp(from_real, to_real));
	free(from_real);
	free(to_real);
	if (same) {
		cli_error("the database to copy from and the one to copy into are the same ('%s')", from_name);
		rc = EXIT_USAGE;
		goto out;
	}
	if (bl_store_open(from_target, &from, &err) || bl_store_open(to_target, &to, &err)) {
		cli_error("%s", err.msg);
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (bl_store_copy(from, to, &p, &err) != 0) {
		cli_error("%s", err.msg);
		cli_info("%s %zu runs before the error; the same command again adds the rest", past(cmd), p.runs_added);
		rc = EXIT_RUNTIME;
		goto out;
	}
	printf("%s %zu run%s (%zu already there) of %zu benchmark case%s, %zu build%s (%zu already there)"
	       " and %zu new machine%s from %s to %s\n",
	       past(cmd), p.runs_added, p.runs_added == 1 ? "" : "s", p.runs_present, p.cases, p.cases == 1 ? "" : "s",
	       p.builds_added, p.builds_added == 1 ? "" : "s", p.builds_present, p.machines_added,
	       p.machines_added == 1 ? "" : "s", from_name, to_name);
out:
	if (from)
		bl_store_close(from);
	if (to)
		bl_store_close(to);
	free(from_name);
	free(to_name);
	return rc;
}
