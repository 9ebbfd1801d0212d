/*
 * suite.h - identity of a benchmark suite, stored with every result.
 *
 * The suite hash of a benchmark is sha256 over its definition in
 * benchline.yaml (command, shell, cwd, env, params, files, metrics source;
 * not warm-up, repetitions or timeout, which change how much is measured,
 * not what) and over the suite files: their contents in the user's current
 * working tree (files: current), or their git object ids at the benchmarked
 * commit (files: commit). Editing a benchmark or its files makes a new
 * series instead of silently mixing old and new measurements.
 */
#ifndef BENCHLINE_SUITE_H
#define BENCHLINE_SUITE_H

#include "benchline/common.h"
#include "benchline/config.h"

/* The files of the suite paths in the working tree at repo, as git sees
 * them: tracked and untracked, but not ignored (build outputs, editor swap
 * files and caches are not the suite), plus suite paths that name a file
 * even when ignored. Sorted, relative to repo. flags: see below. */
enum bl_suite_list_flags {
	BL_SUITE_MUST_EXIST = 1 << 0,   /* a missing suite path is an error */
	BL_SUITE_TRACKED_ONLY = 1 << 1, /* only files git tracks (no untracked ones) */
};
int bl_suite_list_files(const char *repo, const struct bl_strvec *paths, int flags, struct bl_strvec *files,
			struct bl_error *err);
/* Digest (64 hex) of those files' names, modes and contents. */
int bl_suite_files_digest_current(const char *repo, const struct bl_strvec *files, char out[65], struct bl_error *err);
/* Digest of the suite paths as recorded at commit sha (git ls-tree). */
int bl_suite_files_digest_at(const char *repo, const char *sha, const struct bl_strvec *paths, char out[65],
			     struct bl_error *err);
/* Canonical JSON text of a benchmark's definition (owned by the caller). */
char *bl_benchmark_definition_json(const struct bl_benchmark_cfg *b);
/* sha256(definition, files digest) as 64 hex characters. */
void bl_suite_hash(const struct bl_benchmark_cfg *b, const char files_digest[65], char out[65]);

#endif
