/* suite.c - suite hashes: what exactly was measured. */
#include "benchline/suite.h"
#include "git_internal.h"
#include "benchline/sha256.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void hash_str(struct bl_sha256 *h, const char *s)
{
	bl_sha256_update(h, s, strlen(s) + 1); /* NUL keeps "ab"+"c" apart from "a"+"bc" */
}

static int hash_path(struct bl_sha256 *h, const char *root, const char *rel, struct bl_error *err)
{
	char *full = bl_xasprintf("%s/%s", root, rel);
	struct stat st;
	int rc = 0;
	if (lstat(full, &st) != 0) {
		hash_str(h, rel);
		hash_str(h, "missing");
		goto out;
	}
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlink(full, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		hash_str(h, rel);
		hash_str(h, "link");
		hash_str(h, target);
	} else if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(full);
		if (!d) {
			rc = bl_fail_errno(err, errno, "cannot read suite directory '%s'", full);
			goto out;
		}
		struct bl_strvec names;
		bl_strvec_init(&names);
		struct dirent *de;
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, ".git"))
				bl_strvec_push(&names, de->d_name);
		closedir(d);
		qsort(names.v, names.n, sizeof(char *), cmp_str);
		hash_str(h, rel);
		hash_str(h, "dir");
		for (size_t i = 0; i < names.n && rc == 0; i++) {
			char *child = bl_xasprintf("%s/%s", rel, names.v[i]);
			rc = hash_path(h, root, child, err);
			free(child);
		}
		bl_strvec_release(&names);
	} else if (S_ISREG(st.st_mode)) {
		struct bl_buf content;
		bl_buf_init(&content);
		rc = bl_read_file(full, &content, err);
		if (rc == 0) {
			hash_str(h, rel);
			hash_str(h, (st.st_mode & 0111) ? "exec" : "file");
			bl_sha256_update(h, content.data, content.len);
		}
		bl_buf_release(&content);
	}
out:
	free(full);
	return rc;
}

/* Runs `git -C repo ARGS... -- paths...` through the one git runner (its
 * clean environment included) and returns stdout in out. */
static int git_over_paths(const char *repo, const char *const *args, size_t n_args, const struct bl_strvec *paths,
			  struct bl_buf *out, struct bl_error *err, const char *what)
{
	struct bl_strvec argv;
	bl_strvec_init(&argv);
	for (size_t i = 0; i < n_args; i++)
		bl_strvec_push(&argv, args[i]);
	bl_strvec_push(&argv, "--");
	for (size_t i = 0; i < paths->n; i++)
		bl_strvec_push(&argv, paths->v[i]);
	struct bl_git_cmd cmd = {.dir = repo};
	int rc = bl_git_ok(&cmd, (const char *const *)argv.v, out, err, "%s", what);
	bl_strvec_release(&argv);
	return rc;
}

int bl_suite_list_files(const char *repo, const struct bl_strvec *paths, int flags, struct bl_strvec *files,
			struct bl_error *err)
{
	bool must_exist = flags & BL_SUITE_MUST_EXIST;
	bl_strvec_init(files);
	if (!paths->n)
		return 0;
	static const char *const args[] = {"ls-files", "-z", "--cached", "--others", "--exclude-standard"};
	struct bl_buf o;
	bl_buf_init(&o);
	char *what = bl_xasprintf("cannot list the suite files in '%s'", repo);
	/* Tracked only: "--others" and what follows are left out. */
	int rc = git_over_paths(repo, args, (flags & BL_SUITE_TRACKED_ONLY) ? 3 : 5, paths, &o, err, what);
	free(what);
	/* Tracked files deleted from the tree are listed too; they are not part
	 * of today's suite. */
	for (const char *p = o.data; rc == 0 && p < o.data + o.len; p += strlen(p) + 1) {
		char *full = bl_xasprintf("%s/%s", repo, p);
		struct stat st;
		if (lstat(full, &st) == 0)
			bl_strvec_push(files, p);
		free(full);
	}
	bl_buf_release(&o);
	if (rc == 0) {
		qsort(files->v, files->n, sizeof(char *), cmp_str);
		size_t out = 0;
		for (size_t i = 0; i < files->n; i++) {
			if (out && !strcmp(files->v[out - 1], files->v[i])) {
				free(files->v[i]);
				continue;
			}
			files->v[out++] = files->v[i];
		}
		files->n = out;
		files->v[out] = NULL;
		bool added = false;
		for (size_t i = 0; i < paths->n && rc == 0; i++) {
			char *full = bl_xasprintf("%s/%s", repo, paths->v[i]);
			struct stat st;
			if (lstat(full, &st) != 0) {
				if (must_exist)
					rc = bl_fail(err, "suite path '%s' does not exist in '%s'", paths->v[i], repo);
			} else if (!S_ISDIR(st.st_mode)) {
				/* A file named in the suite is part of it even when ignored:
				 * the filter is for what directories happen to hold. */
				bool listed = false;
				for (size_t j = 0; j < files->n && !listed; j++)
					listed = !strcmp(files->v[j], paths->v[i]);
				if (!listed) {
					bl_strvec_push(files, paths->v[i]);
					added = true;
				}
			}
			free(full);
		}
		if (added)
			qsort(files->v, files->n, sizeof(char *), cmp_str);
	}
	if (rc)
		bl_strvec_release(files);
	return rc;
}

int bl_suite_files_digest_current(const char *repo, const struct bl_strvec *files, char out[65], struct bl_error *err)
{
	struct bl_sha256 h;
	bl_sha256_init(&h);
	hash_str(&h, "current");
	for (size_t i = 0; i < files->n; i++)
		if (hash_path(&h, repo, files->v[i], err))
			return -1;
	bl_sha256_hex(&h, out);
	return 0;
}

int bl_suite_files_digest_at(const char *repo, const char *sha, const struct bl_strvec *paths, char out[65],
			     struct bl_error *err)
{
	struct bl_sha256 h;
	bl_sha256_init(&h);
	hash_str(&h, "commit");
	if (paths->n) {
		const char *args[] = {"ls-tree", "-z", sha};
		struct bl_buf o;
		bl_buf_init(&o);
		char *what = bl_xasprintf("cannot list suite files at %.12s", sha);
		int rc = git_over_paths(repo, args, 3, paths, &o, err, what);
		free(what);
		if (rc == 0)
			bl_sha256_update(&h, o.data, o.len);
		bl_buf_release(&o);
		if (rc)
			return -1;
	}
	bl_sha256_hex(&h, out);
	return 0;
}

static json_t *kv_object(const struct bl_kv *kv, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, kv[i].key, json_string(kv[i].value));
	return o;
}

char *bl_benchmark_definition_json(const struct bl_benchmark_cfg *b)
{
	json_t *o = json_object();
	json_t *argv = json_array();
	for (size_t i = 0; i < b->command.argv.n; i++)
		json_array_append_new(argv, json_string(b->command.argv.v[i]));
	json_object_set_new(o, "command", argv);
	json_object_set_new(o, "shell", json_boolean(b->command.shell));
	json_object_set_new(o, "cwd", b->cwd ? json_string(b->cwd) : json_null());
	json_object_set_new(o, "env", kv_object(b->env, b->n_env));
	json_t *params = json_object();
	for (size_t i = 0; i < b->n_params; i++) {
		json_t *vals = json_array();
		for (size_t j = 0; j < b->params[i].values.n; j++)
			json_array_append_new(vals, json_string(b->params[i].values.v[j]));
		json_object_set_new(params, b->params[i].name, vals);
	}
	json_object_set_new(o, "params", params);
	json_object_set_new(o, "files", json_string(b->files == BL_FILES_COMMIT ? "commit" : "current"));
	json_object_set_new(o, "metrics_from", json_string(b->metrics_from ? b->metrics_from : "protocol"));
	/* Only when set, so that the hash of a protocol benchmark stays what it was. */
	if (b->metrics_file)
		json_object_set_new(o, "metrics_file", json_string(b->metrics_file));
	if (b->metrics_pattern)
		json_object_set_new(o, "metrics_pattern", json_string(b->metrics_pattern));
	if (b->n_metrics_units)
		json_object_set_new(o, "metrics_units", kv_object(b->metrics_units, b->n_metrics_units));
	char *s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	char *copy = bl_xstrdup(s);
	free(s);
	return copy;
}

void bl_suite_hash(const struct bl_benchmark_cfg *b, const char files_digest[65], char out[65])
{
	struct bl_sha256 h;
	char *def = bl_benchmark_definition_json(b);
	bl_sha256_init(&h);
	hash_str(&h, def);
	hash_str(&h, files_digest);
	bl_sha256_hex(&h, out);
	free(def);
}
