/*
 * import.h - results produced elsewhere (a CI job's Google Benchmark JSON, a
 * colleague's hyperfine export), stored as if benchline had run them.
 *
 * The file is parsed whole by its format's adapter before anything is
 * written: a malformed file stores nothing. Then, in the store: the commit
 * (put_commit), the case (repository, commit, machine, benchmark name, params
 * and an import suite hash), and one measured run whose index follows the
 * case's last stored one, holding every metric of the file, status "ok", no
 * process times (NULL: benchline did not time it) and a diagnostic line that
 * says where it came from. Importing the same case again adds a run, so five
 * exports of five CI jobs are five runs of one case.
 *
 * The suite hash of an imported case is sha256 over "benchline import", the
 * format, the benchmark name and the regex pattern (if any): imports of one
 * benchmark in one format form one series, apart from what `benchline run`
 * measures.
 */
#ifndef BENCHLINE_IMPORT_H
#define BENCHLINE_IMPORT_H

#include "benchline/adapter.h"
#include "benchline/git.h"
#include "benchline/store.h"

struct bl_import_spec {
	const char *const *paths; /* the files to read: their values make one run */
	size_t n_paths;
	const struct bl_adapter *adapter;
	const struct bl_adapter_opts *adapter_opts; /* regex: the pattern and units; else NULL */
	const char *repository;			    /* recorded as benchmarks.repository */
	const char *branch;			    /* recorded with the case; NULL: "" */
	const struct bl_commit_info *commit;	    /* the commit the results belong to */
	int64_t machine_id;			    /* a machine already in the store */
	const char *benchmark;			    /* the case's name; NULL: the format's name */
	const char *params_json;		    /* canonical JSON object; NULL: "{}" */
};

struct bl_import_result {
	int64_t benchmark_id, run_id;
	int index;	  /* of the stored measured run */
	size_t n_metrics; /* values stored */
	char suite_hash[65];
};

/* Reads spec->paths, in order, into metrics (the caller releases them): a
 * valid case name, files its format can parse, each with at least one value.
 * Errors name the file and the position of the fault in it. Touches no
 * store. */
int bl_import_read(const struct bl_import_spec *spec, struct bl_metric_list *metrics, struct bl_error *err);
/* Stores metrics read by bl_import_read as one run (see above). */
int bl_import_store(struct bl_store *s, const struct bl_import_spec *spec, const struct bl_metric_list *metrics,
		    struct bl_import_result *out, struct bl_error *err);
/* Both, in that order. */
int bl_import_file(struct bl_store *s, const struct bl_import_spec *spec, struct bl_import_result *out,
		   struct bl_error *err);

/* Builds the canonical params JSON ({"k":"v",...}, keys sorted) from
 * "KEY=VALUE" strings. Fails on a missing '=', an empty or repeated key. */
int bl_import_params_json(char *const *assignments, size_t n, char **out, struct bl_error *err);

#endif
