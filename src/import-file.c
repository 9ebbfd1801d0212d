/*
 * import-file.c - `benchline import FILE... --format F --commit REV`: a harness's
 * output made elsewhere (several files: one run), stored with this machine's (or a named machine's)
 * context. The work is lib/import.c's; this file reads options and prints.
 * Reached through cmd-import.c, which owns the command table entry.
 */
#include "import-file.h"
#include "benchline/import.h"
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

const char cli_import_file_usage[] = CLI_IMPORT_FILE_USAGE;

enum { OPT_FORMAT = 256, OPT_COMMIT, OPT_BENCH, OPT_PARAM, OPT_MACHINE, OPT_BRANCH, OPT_PATTERN, OPT_UNIT, OPT_DB };

struct import_args {
	const char *const *files;
	size_t n_files;
	const char *format, *rev, *bench, *machine_fp, *branch, *pattern, *db;
	struct bl_strvec params, units;
};

static int parse_args(int argc, char **argv, struct import_args *a)
{
	static const struct option longopts[] = {
	    {"format", required_argument, NULL, OPT_FORMAT},   {"commit", required_argument, NULL, OPT_COMMIT},
	    {"benchmark", required_argument, NULL, OPT_BENCH}, {"param", required_argument, NULL, OPT_PARAM},
	    {"machine", required_argument, NULL, OPT_MACHINE}, {"branch", required_argument, NULL, OPT_BRANCH},
	    {"pattern", required_argument, NULL, OPT_PATTERN}, {"unit", required_argument, NULL, OPT_UNIT},
	    {"db", required_argument, NULL, OPT_DB},	       {NULL, 0, NULL, 0},
	};
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_FORMAT:
			a->format = optarg;
			break;
		case OPT_COMMIT:
			a->rev = optarg;
			break;
		case OPT_BENCH:
			a->bench = optarg;
			break;
		case OPT_PARAM:
			bl_strvec_push(&a->params, optarg);
			break;
		case OPT_MACHINE:
			a->machine_fp = optarg;
			break;
		case OPT_BRANCH:
			a->branch = optarg;
			break;
		case OPT_PATTERN:
			a->pattern = optarg;
			break;
		case OPT_UNIT:
			bl_strvec_push(&a->units, optarg);
			break;
		case OPT_DB:
			a->db = optarg;
			break;
		case ':':
			return cli_usage_error("import", "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error("import", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("import", "missing FILE to import");
	a->files = (const char *const *)argv + optind;
	a->n_files = (size_t)(argc - optind);
	if (!a->format)
		return cli_usage_error("import", "missing --format (one of: %s)", bl_adapter_names());
	if (!a->rev)
		return cli_usage_error("import", "missing --commit REV: the commit the results belong to");
	bool regex = !strcmp(a->format, "regex");
	if (regex && !a->pattern)
		return cli_usage_error("import", "--format regex needs --pattern with (?<name>...) groups");
	if (!regex && (a->pattern || a->units.n))
		return cli_usage_error("import", "--pattern and --unit are only for --format regex");
	return 0;
}

/* Machine of the results: the named one (which must be stored) or this one. */
static int import_machine(struct bl_store *store, const char *fp, int64_t *id, struct bl_error *err)
{
	if (fp) {
		if (bl_store_find_machine(store, fp, id, err))
			return EXIT_RUNTIME;
		if (!*id) {
			bl_fail(err,
				"no machine with fingerprint '%s' in '%s' (a machine is stored by `benchline run` "
				"or `push` from it)",
				fp, store->display_name);
			return EXIT_USAGE;
		}
		return 0;
	}
	struct bl_machine m;
	int rc = bl_machine_detect(&m, err) || bl_store_put_machine(store, &m, id, err) ? EXIT_RUNTIME : 0;
	bl_machine_release(&m);
	return rc;
}

int cli_import_file(int argc, char **argv)
{
	struct import_args a = {0};
	struct cli_context ctx = {0};
	struct bl_store *store = NULL;
	struct bl_commit_info ci = {0};
	struct bl_error err = {{0}};
	struct bl_adapter_unit units[64];
	struct bl_adapter_opts opts = {.units = units};
	struct bl_metric_list metrics = {0};
	char sha[BL_SHA_HEX + 1], *params = NULL, *branch = NULL;
	bl_strvec_init(&a.params);
	bl_strvec_init(&a.units);
	int rc = parse_args(argc, argv, &a);
	if (rc)
		goto out;
	const struct bl_adapter *adapter = bl_adapter_find(a.format);
	if (!adapter) {
		rc = cli_usage_error("import", "unknown --format '%s' (one of: %s)", a.format, bl_adapter_names());
		goto out;
	}
	opts.pattern = a.pattern;
	for (size_t i = 0; i < a.units.n; i++) {
		char *eq = strchr(a.units.v[i], '=');
		if (!eq || eq == a.units.v[i] || !eq[1] || opts.n_units == 64) {
			rc = cli_usage_error("import", "--unit '%s' must be METRIC=UNIT", a.units.v[i]);
			goto out;
		}
		*eq = '\0';
		units[opts.n_units++] = (struct bl_adapter_unit){a.units.v[i], eq + 1};
	}
	if ((a.pattern && bl_adapter_regex_check(a.pattern, &err)) ||
	    bl_import_params_json(a.params.v, a.params.n, &params, &err)) {
		rc = cli_usage_error("import", "%s", err.msg);
		goto out;
	}
	rc = EXIT_USAGE;
	if (cli_context_init(&ctx, NULL, a.db, NULL, true, &err) || bl_git_resolve(ctx.repo, a.rev, sha, &err) ||
	    bl_git_commit_info(ctx.repo, sha, &ci, &err)) {
		cli_error("%s", err.msg);
		goto out;
	}
	if (a.branch)
		branch = bl_xstrdup(a.branch);
	else if (bl_git_current_branch(ctx.repo, &branch, &err))
		branch = bl_xstrdup("");
	struct bl_import_spec spec = {
	    .paths = a.files,
	    .n_paths = a.n_files,
	    .adapter = adapter,
	    .adapter_opts = &opts,
	    .repository = ctx.repo,
	    .branch = branch,
	    .commit = &ci,
	    .benchmark = a.bench,
	    .params_json = params,
	};
	/* The whole file first: a bad one stores nothing, not even a database. */
	if (bl_import_read(&spec, &metrics, &err)) {
		cli_error("%s", err.msg);
		goto out;
	}
	if (cli_open_store(&ctx, &store, &err)) {
		cli_error("%s", err.msg);
		rc = EXIT_RUNTIME;
		goto out;
	}
	if ((rc = import_machine(store, a.machine_fp, &spec.machine_id, &err))) {
		cli_error("%s", err.msg);
		goto out;
	}
	struct bl_import_result res;
	if (bl_import_store(store, &spec, &metrics, &res, &err)) {
		cli_error("%s", err.msg);
		rc = EXIT_RUNTIME;
		goto out;
	}
	char *label = cli_case_label(a.bench ? a.bench : adapter->name, params);
	if (a.n_files == 1)
		cli_info("imported %zu value%s from %s (%s) as run %d of %s at %.12s", res.n_metrics,
			 res.n_metrics == 1 ? "" : "s", a.files[0], adapter->name, res.index, label, sha);
	else
		cli_info("imported %zu value%s from %zu files (%s) as run %d of %s at %.12s", res.n_metrics,
			 res.n_metrics == 1 ? "" : "s", a.n_files, adapter->name, res.index, label, sha);
	free(label);
	rc = EXIT_OK;
out:
	if (store)
		bl_store_close(store);
	bl_commit_info_release(&ci);
	cli_context_release(&ctx);
	bl_strvec_release(&a.params);
	bl_strvec_release(&a.units);
	bl_metric_list_release(&metrics);
	free(params);
	free(branch);
	return rc;
}
