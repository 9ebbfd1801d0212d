/*
 * worktree.c - benchline's pool of detached worktrees under
 * CACHE/worktrees/<slot>, and copying files from the user's tree into them.
 *
 * Safety: every git command that runs in a slot gets -C on the slot and
 * GIT_CEILING_DIRECTORIES set to CACHE/worktrees, so a slot whose .git was
 * deleted can never make git find the user's repository further up and
 * check out or clean there. A slot is used only when its .git links it to
 * this repository's .git/worktrees/<id> and back; anything else in the
 * slot's place is deleted (without following symlinks) and the worktree
 * added again, and so is a slot git then fails to move (a stale index.lock).
 * Nothing here creates branches or touches the user's working tree, index
 * or stash: `git worktree add` only registers the slot in .git/worktrees.
 *
 * Cost per commit (the budget is 50 ms on 1,000 files): a new commit
 * takes the same two git runs as a bare `git checkout --force` + `git clean
 * -ffdx` (plus submodule commands when .gitmodules exists); the slot checks
 * are file reads, not git runs. A commit already built takes one `git
 * status`. bench/bench_checkout.c measures both against the bare pair.
 *
 * State file CACHE/worktrees/<slot>.state holds "SHA BUILDKEY STATUS". Before
 * a checkout changes the tree it is rewritten as "SHA - pending", so a crash
 * mid-checkout or mid-build never leaves a state claiming a finished build.
 *
 * Concurrency: one slot serves one process at a time; callers that run
 * several benchline processes on one cache must give them different slots.
 */
#include "git_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PENDING "pending"

struct slot_state {
	char sha[BL_SHA_HEX + 1];
	char key[256];
	char status[16];
};

/* A word that fits the state file: no whitespace or control characters. */
static bool is_word(const char *s, size_t max)
{
	size_t n = 0;
	for (; s[n]; n++)
		if ((unsigned char)s[n] <= ' ' || s[n] == 0x7f)
			return false;
	return n > 0 && n < max;
}

/* NULL or "" mean "none"; anything else must fit the state file as a word. */
static int check_build_key(const char **key, struct bl_error *err)
{
	if (!*key || !**key)
		*key = "none";
	if (!is_word(*key, sizeof(((struct slot_state *)0)->key)))
		return bl_fail(err, "invalid build key '%.64s': must be one word of at most 255 characters", *key);
	return 0;
}

/* A missing or damaged state file reads as an empty state: rebuild. */
static void read_state(const char *path, struct slot_state *st)
{
	memset(st, 0, sizeof(*st));
	struct bl_buf b;
	bl_buf_init(&b);
	if (bl_read_file(path, &b, NULL) == 0) {
		char sha[BL_SHA_HEX + 2], key[sizeof(st->key) + 1], status[sizeof(st->status) + 1];
		char extra;
		if (sscanf(b.data, "%41s %256s %16s %c", sha, key, status, &extra) == 3 && bl_git_is_sha(sha) &&
		    strlen(key) < sizeof(st->key) && strlen(status) < sizeof(st->status)) {
			memcpy(st->sha, sha, sizeof(st->sha));
			memcpy(st->key, key, strlen(key) + 1);
			memcpy(st->status, status, strlen(status) + 1);
		}
	}
	bl_buf_release(&b);
}

static int write_state(const char *path, const char *sha, const char *key, const char *status, struct bl_error *err)
{
	char line[BL_SHA_HEX + sizeof(((struct slot_state *)0)->key) + 32];
	int n = snprintf(line, sizeof(line), "%s %s %s\n", sha, key, status);
	return bl_write_file_atomic(path, line, (size_t)n, err);
}

/*
 * The repository's common git directory, as a real path. A repository whose
 * .git is a directory needs no git run for this (the usual case, and this is
 * on the per-commit path); a linked worktree or submodule asks git.
 */
static int repo_common_dir(const char *repo, char **dir, struct bl_error *err)
{
	static const char *const args[] = {"rev-parse", "--path-format=absolute", "--git-common-dir", NULL};
	char *dotgit = bl_xasprintf("%s/.git", repo);
	struct stat st;
	*dir = stat(dotgit, &st) == 0 && S_ISDIR(st.st_mode) ? realpath(dotgit, NULL) : NULL;
	free(dotgit);
	if (*dir)
		return 0;
	struct bl_git_cmd cmd = {.dir = repo};
	struct bl_buf out;
	bl_buf_init(&out);
	if (bl_git_ok(&cmd, args, &out, err, "'%s' is not a git repository", repo) != 0) {
		bl_buf_release(&out);
		return -1;
	}
	bl_buf_rtrim(&out);
	*dir = realpath(out.data, NULL);
	if (!*dir)
		bl_fail_errno(err, errno, "cannot find the git directory of '%s' ('%s')", repo, out.data);
	bl_buf_release(&out);
	return *dir ? 0 : -1;
}

/* Reads a small file holding one path ("gitdir: " links, worktrees/x/gitdir)
 * and returns its real path, relative paths taken from base_dir. */
static char *read_path_file(const char *file, const char *prefix, const char *base_dir)
{
	struct bl_buf b;
	bl_buf_init(&b);
	char *real = NULL;
	if (bl_read_file(file, &b, NULL) == 0 && b.len < PATH_MAX && !strncmp(b.data, prefix, strlen(prefix))) {
		bl_buf_rtrim(&b);
		const char *p = b.data + strlen(prefix);
		char *abs = p[0] == '/' ? bl_xstrdup(p) : bl_xasprintf("%s/%s", base_dir, p);
		real = realpath(abs, NULL);
		free(abs);
	}
	bl_buf_release(&b);
	return real;
}

/*
 * True when the slot is a linked worktree of the repository whose common
 * directory is common: SLOT/.git is a file naming common/worktrees/<id>, and
 * that id's gitdir file names SLOT/.git back (a copied slot would share
 * another slot's index and HEAD). Checked by reading git's worktree files
 * (gitrepository-layout(5)) rather than running git, because it happens for
 * every commit; anything unexpected reads as invalid and the slot is rebuilt.
 */
static bool slot_is_linked(const struct bl_worktree *wt, const char *common)
{
	struct stat st;
	char *dotgit = bl_xasprintf("%s/.git", wt->path);
	char *admin = NULL, *back = NULL, *admin_parent = NULL, *worktrees = NULL, *dotgit_real = NULL;
	bool ok = false;
	if (lstat(dotgit, &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	admin = read_path_file(dotgit, "gitdir: ", wt->path);
	if (!admin)
		goto out;
	char *gitdir_file = bl_xasprintf("%s/gitdir", admin);
	back = read_path_file(gitdir_file, "", admin);
	free(gitdir_file);
	admin_parent = bl_xasprintf("%s/..", admin);
	worktrees = bl_xasprintf("%s/worktrees", common);
	dotgit_real = realpath(dotgit, NULL);
	char *parent_real = realpath(admin_parent, NULL), *worktrees_real = realpath(worktrees, NULL);
	ok = back && dotgit_real && !strcmp(back, dotgit_real) && parent_real && worktrees_real &&
	     !strcmp(parent_real, worktrees_real);
	free(parent_real);
	free(worktrees_real);
out:
	free(dotgit);
	free(admin);
	free(back);
	free(admin_parent);
	free(worktrees);
	free(dotgit_real);
	return ok;
}

enum slot_kind { SLOT_MISSING, SLOT_VALID, SLOT_INVALID };

static enum slot_kind probe_slot(const struct bl_worktree *wt, const char *common)
{
	struct stat st;
	if (lstat(wt->path, &st) != 0)
		return errno == ENOENT ? SLOT_MISSING : SLOT_INVALID;
	if (!S_ISDIR(st.st_mode))
		return SLOT_INVALID;
	return slot_is_linked(wt, common) ? SLOT_VALID : SLOT_INVALID;
}

/* True when path (from git status) is one of the overlay paths or under one:
 * the suite overlay changes those on purpose. */
static bool expected_change(const struct bl_worktree *wt, const char *path, size_t len)
{
	if (!wt->overlay)
		return false;
	for (size_t i = 0; i < wt->overlay->n; i++) {
		const char *o = wt->overlay->v[i];
		size_t ol = strlen(o);
		while (ol > 1 && o[ol - 1] == '/')
			ol--;
		if (len >= ol && !strncmp(path, o, ol) && (len == ol || path[ol] == '/'))
			return true;
	}
	return false;
}

/* Path of a porcelain v2 change entry ("1 XY sub mH mI mW hH hI path" or
 * "2 ... path", the original path following as its own -z record); NULL
 * for other records. */
static const char *entry_path(const char *line, size_t len, size_t *plen)
{
	int fields = line[0] == '1' ? 8 : line[0] == '2' ? 9 : -1;
	if (fields < 0)
		return NULL;
	const char *p = line, *end = line + len;
	for (int f = 0; f < fields && p < end; f++) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		if (!sp)
			return NULL;
		p = sp + 1;
	}
	*plen = (size_t)(end - p);
	return p;
}

/* True when the slot's HEAD is sha and no tracked file or submodule differs
 * from it, except under the overlay paths; one git run answers both. */
static bool holds_unmodified(const struct bl_worktree *wt, const char *ceiling, const char *sha)
{
	/* -z: paths come unquoted (non-ASCII names too), records end in NUL,
	 * and a rename's original path is a record of its own. */
	static const char *const args[] = {"status", "--porcelain=v2", "-z", "--branch", "--untracked-files=no", NULL};
	struct bl_git_cmd cmd = {.dir = wt->path, .ceiling = ceiling};
	struct bl_buf out;
	bl_buf_init(&out);
	bool head_ok = false, clean = bl_git_exec(&cmd, args, &out, NULL, NULL) == 0;
	const char *end = out.data + out.len;
	for (const char *line = out.data; clean && line < end;) {
		size_t len = strlen(line);
		size_t plen = 0;
		const char *path = line[0] != '#' ? entry_path(line, len, &plen) : NULL;
		if (line[0] != '#' && !(path && expected_change(wt, path, plen)))
			clean = false; /* a changed entry */
		else if (len == strlen("# branch.oid ") + BL_SHA_HEX && !strncmp(line, "# branch.oid ", 13) &&
			 !memcmp(line + 13, sha, BL_SHA_HEX))
			head_ok = true;
		bool renamed = line[0] == '2';
		line += len + 1;
		if (renamed && line < end)
			line += strlen(line) + 1;
	}
	bl_buf_release(&out);
	return clean && head_ok;
}

/*
 * Removes whatever is in the slot's place and adds the worktree afresh.
 * `worktree add --force` takes over a registration of this path whose
 * directory is gone; no `git worktree prune`, which would also drop the
 * user's own worktrees that merely sit on an unmounted disk.
 *
 * A failed add is tried again after 0.1, 0.3 and 0.9 s: `git worktree add`
 * reads every registered worktree's files first and dies on one that
 * another process (a second benchline worker on the same clone, the user's
 * own git) is adding at that moment ("failed to read
 * .git/worktrees/<id>/commondir"), which lasts milliseconds. No lock: a
 * process frozen while holding it would stop every other one.
 */
enum { ADD_TRIES = 4 };

static int recreate(const char *repo, const struct bl_worktree *wt, const char *sha, struct bl_error *err)
{
	const char *add[] = {"worktree", "add", "--detach", "--force", "--quiet", wt->path, sha, NULL};
	struct bl_git_cmd cmd = {.dir = repo, .no_hooks = true};
	long wait_ms = 100;
	for (int i = 1;; i++, wait_ms *= 3) {
		if (bl_remove_tree(wt->path, err) != 0)
			return bl_error_prefix(err, "cannot recreate worktree '%s'", wt->path);
		if (bl_git_ok(&cmd, add, NULL, err, "cannot create worktree '%s' at '%s'", wt->path, sha) == 0)
			return 0;
		if (i == ADD_TRIES)
			return bl_error_prefix(err, "after %d tries", ADD_TRIES);
		struct timespec ts = {wait_ms / 1000, (wait_ms % 1000) * 1000000L};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
}

/* Moves an existing worktree to sha and removes every untracked and ignored
 * file: a fresh commit must not see the previous commit's build outputs. */
static int reset_to(const struct bl_worktree *wt, const char *ceiling, const char *sha, struct bl_error *err)
{
	const char *checkout[] = {"checkout", "--detach", "--force", "--quiet", sha, NULL};
	static const char *const clean[] = {"clean", "-ffdxq", NULL};
	struct bl_git_cmd cmd = {.dir = wt->path, .ceiling = ceiling, .no_hooks = true};
	if (bl_git_ok(&cmd, checkout, NULL, err, "cannot check out '%s' in '%s'", sha, wt->path) != 0)
		return -1;
	return bl_git_ok(&cmd, clean, NULL, err, "cannot clean worktree '%s'", wt->path);
}

static int update_submodules(const struct bl_worktree *wt, const char *ceiling, const char *sha, struct bl_error *err)
{
	static const char *const update[] = {"submodule", "update",  "--init", "--recursive",
					     "--force",	  "--quiet", NULL};
	/* Several words, so git runs the command without a shell. */
	static const char *const clean[] = {"submodule", "foreach", "--recursive", "--quiet",
					    "git",	 "clean",   "-ffdxq",	   NULL};
	char *gitmodules = bl_xasprintf("%s/.gitmodules", wt->path);
	struct stat st;
	bool has = lstat(gitmodules, &st) == 0;
	free(gitmodules);
	if (!has)
		return 0;
	struct bl_git_cmd cmd = {.dir = wt->path, .ceiling = ceiling, .no_hooks = true};
	if (bl_git_ok(&cmd, update, NULL, err, "cannot update the submodules of '%s' in '%s'", sha, wt->path) != 0)
		return -1;
	return bl_git_ok(&cmd, clean, NULL, err, "cannot clean the submodules of '%s' in '%s'", sha, wt->path);
}

/* Fills wt->path and wt->state_path; *ceiling is CACHE/worktrees (real path). */
static int slot_paths(const char *cache_dir, int slot, struct bl_worktree *wt, char **ceiling, struct bl_error *err)
{
	char *dir = bl_xasprintf("%s/worktrees", cache_dir);
	if (bl_mkdirs(dir, 0755, err) != 0) {
		free(dir);
		return -1;
	}
	*ceiling = realpath(dir, NULL);
	if (!*ceiling) {
		bl_fail_errno(err, errno, "cannot use cache directory '%s'", dir);
		free(dir);
		return -1;
	}
	free(dir);
	free(wt->path);
	free(wt->state_path);
	wt->path = bl_xasprintf("%s/%d", *ceiling, slot);
	wt->state_path = bl_xasprintf("%s/%d.state", *ceiling, slot);
	return 0;
}

int bl_worktree_checkout(const char *repo, const char *cache_dir, int slot, const char *sha, const char *build_key,
			 struct bl_worktree *wt, struct bl_error *err)
{
	if (!bl_git_is_sha(sha))
		return bl_fail(err, "cannot check out '%.64s': not a full commit id", sha);
	if (slot < 0)
		return bl_fail(err, "invalid worktree slot %d", slot);
	if (check_build_key(&build_key, err) != 0)
		return -1;

	char *ceiling = NULL, *common = NULL;
	int rc = -1;
	if (slot_paths(cache_dir, slot, wt, &ceiling, err) != 0 || repo_common_dir(repo, &common, err) != 0)
		goto out;
	enum slot_kind kind = probe_slot(wt, common);

	struct slot_state st;
	read_state(wt->state_path, &st);
	if (kind == SLOT_VALID && !strcmp(st.sha, sha) && !strcmp(st.key, build_key) && st.status[0] &&
	    strcmp(st.status, PENDING) != 0 && holds_unmodified(wt, ceiling, sha)) {
		memcpy(wt->sha, sha, BL_SHA_HEX + 1);
		snprintf(wt->built, sizeof(wt->built), "%s", st.status);
		rc = 0;
		goto out;
	}

	wt->sha[0] = '\0';
	wt->built[0] = '\0';
	if (write_state(wt->state_path, sha, "-", PENDING, err) != 0)
		goto out;
	if (kind == SLOT_VALID) {
		/* A worktree git cannot move (stale index.lock, damaged index) is
		 * rebuilt once from scratch; if that fails too, the first error
		 * says more. */
		struct bl_error first;
		if (reset_to(wt, ceiling, sha, &first) != 0 && recreate(repo, wt, sha, err) != 0) {
			bl_fail(err, "%s", first.msg);
			goto out;
		}
	} else if (recreate(repo, wt, sha, err) != 0) {
		goto out;
	}
	if (update_submodules(wt, ceiling, sha, err) != 0)
		goto out;
	memcpy(wt->sha, sha, BL_SHA_HEX + 1);
	rc = 0;
out:
	free(ceiling);
	free(common);
	return rc;
}

int bl_worktree_mark_built(struct bl_worktree *wt, const char *build_key, const char *status, struct bl_error *err)
{
	if (!wt->state_path || !bl_git_is_sha(wt->sha))
		return bl_fail(err, "cannot record a build: the worktree holds no commit");
	if (check_build_key(&build_key, err) != 0)
		return -1;
	if (!is_word(status, sizeof(wt->built)) || !strcmp(status, PENDING))
		return bl_fail(err, "invalid build status '%.64s': expected a word such as 'ok' or 'failed'", status);
	if (write_state(wt->state_path, wt->sha, build_key, status, err) != 0)
		return -1;
	snprintf(wt->built, sizeof(wt->built), "%s", status);
	return 0;
}

int bl_worktree_restore(const struct bl_worktree *wt, const struct bl_strvec *paths, struct bl_error *err)
{
	if (!wt->path || !bl_git_is_sha(wt->sha))
		return bl_fail(err, "cannot restore a worktree that holds no commit");
	char *ceiling = bl_xstrdup(wt->path);
	char *slash = strrchr(ceiling, '/');
	if (slash)
		*slash = '\0';
	const char *checkout[] = {"checkout", "--detach", "--force", "--quiet", wt->sha, NULL};
	struct bl_git_cmd cmd = {.dir = wt->path, .ceiling = ceiling, .no_hooks = true};
	int rc = bl_git_ok(&cmd, checkout, NULL, err, "cannot restore '%s' in '%s'", wt->sha, wt->path);
	if (rc == 0 && paths && paths->n) {
		/* Untracked files the overlay added; ignored build outputs stay. */
		struct bl_strvec clean;
		bl_strvec_init(&clean);
		bl_strvec_push(&clean, "clean");
		bl_strvec_push(&clean, "-fdq");
		bl_strvec_push(&clean, "--");
		for (size_t i = 0; i < paths->n; i++)
			bl_strvec_push(&clean, paths->v[i]);
		rc = bl_git_ok(&cmd, (const char *const *)clean.v, NULL, err, "cannot clean the suite paths of '%s'",
			       wt->path);
		bl_strvec_release(&clean);
	}
	free(ceiling);
	return rc;
}

void bl_worktree_release(struct bl_worktree *wt)
{
	free(wt->path);
	free(wt->state_path);
	memset(wt, 0, sizeof(*wt));
}

/* ---- overlay: copying paths from the user's tree into a worktree ---- */

/* Splits a relative path into its components; refuses anything that could
 * leave the worktree or overwrite its .git link. */
static int overlay_components(const char *path, struct bl_strvec *comps, struct bl_error *err)
{
	if (!*path)
		return bl_fail(err, "invalid overlay path '': empty path");
	if (path[0] == '/')
		return bl_fail(err, "invalid overlay path '%s': must be relative to the repository root", path);
	char *copy = bl_xstrdup(path), *save = NULL;
	int rc = 0;
	for (char *c = strtok_r(copy, "/", &save); c && rc == 0; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, ".."))
			rc = bl_fail(err, "invalid overlay path '%s': '..' is not allowed", path);
		else if (!strcasecmp(c, ".git"))
			rc = bl_fail(err, "invalid overlay path '%s': '.git' is not allowed", path);
		else
			bl_strvec_push(comps, c);
	}
	free(copy);
	if (rc == 0 && comps->n == 0)
		rc = bl_fail(err, "invalid overlay path '%s': names the repository root", path);
	return rc;
}

static int copy_fd(int in, int out)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (int)n;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -1;
			off += w;
		}
	}
}

/* Copies sname (under sdir) to dname (under ddir, which must not exist yet),
 * keeping symlinks as symlinks and permission bits as they are. */
static int copy_entry(int sdir, const char *sname, int ddir, const char *dname, const char *shown, struct bl_error *err)
{
	struct stat st;
	if (fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return bl_fail_errno(err, errno, "cannot overlay '%s'", shown);
	if (S_ISLNK(st.st_mode)) {
		size_t cap = (size_t)st.st_size + 1;
		char *target = bl_xmalloc(cap);
		ssize_t n = readlinkat(sdir, sname, target, cap);
		int rc = 0;
		if (n < 0 || (size_t)n >= cap) {
			rc = bl_fail_errno(err, n < 0 ? errno : ENAMETOOLONG, "cannot read symlink '%s'", shown);
		} else {
			target[n] = '\0';
			if (symlinkat(target, ddir, dname) != 0)
				rc = bl_fail_errno(err, errno, "cannot overlay symlink '%s'", shown);
		}
		free(target);
		return rc;
	}
	if (S_ISREG(st.st_mode)) {
		int in = openat(sdir, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (in < 0)
			return bl_fail_errno(err, errno, "cannot overlay '%s'", shown);
		int out = openat(ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		int rc = 0;
		if (out < 0 || copy_fd(in, out) != 0 || fchmod(out, st.st_mode & 07777) != 0)
			rc = bl_fail_errno(err, errno, "cannot overlay '%s'", shown);
		if (out >= 0 && close(out) != 0 && rc == 0)
			rc = bl_fail_errno(err, errno, "cannot overlay '%s'", shown);
		close(in);
		return rc;
	}
	if (!S_ISDIR(st.st_mode))
		return bl_fail(err, "cannot overlay '%s': not a regular file, directory or symbolic link", shown);
	if (mkdirat(ddir, dname, 0700) != 0)
		return bl_fail_errno(err, errno, "cannot overlay '%s'", shown);
	int sfd = openat(sdir, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int dfd = openat(ddir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = sfd >= 0 ? fdopendir(sfd) : NULL;
	if (!d || dfd < 0) {
		int e = errno;
		if (d)
			closedir(d);
		else if (sfd >= 0)
			close(sfd);
		if (dfd >= 0)
			close(dfd);
		return bl_fail_errno(err, e, "cannot overlay '%s'", shown);
	}
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *child = bl_xasprintf("%s/%s", shown, de->d_name);
		rc = copy_entry(dirfd(d), de->d_name, dfd, de->d_name, child, err);
		free(child);
	}
	if (rc == 0 && fchmod(dfd, st.st_mode & 07777) != 0)
		rc = bl_fail_errno(err, errno, "cannot overlay '%s'", shown);
	closedir(d);
	close(dfd);
	return rc;
}

/*
 * Opens the directory that will hold the last component, inside the
 * worktree, creating directories on the way. A symlink or file in the way is
 * replaced by a directory, never followed: a committed symlink must not send
 * the copy outside the worktree.
 */
static int open_dest_parent(const char *root, const struct bl_strvec *comps, const char *shown, struct bl_error *err)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return bl_fail_errno(err, errno, "cannot open worktree '%s'", root);
	for (size_t i = 0; i + 1 < comps->n; i++) {
		const char *c = comps->v[i];
		int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && (errno == ENOTDIR || errno == ELOOP) && unlinkat(fd, c, 0) != 0) {
			bl_fail_errno(err, errno, "cannot overlay '%s'", shown);
			close(fd);
			return -1;
		}
		if (next < 0 && (mkdirat(fd, c, 0755) != 0 ||
				 (next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)) {
			bl_fail_errno(err, errno, "cannot overlay '%s'", shown);
			close(fd);
			return -1;
		}
		close(fd);
		fd = next;
	}
	return fd;
}

static int overlay_one(const char *repo, const struct bl_worktree *wt, const char *path, struct bl_error *err)
{
	struct bl_strvec comps;
	bl_strvec_init(&comps);
	if (overlay_components(path, &comps, err) != 0) {
		bl_strvec_release(&comps);
		return -1;
	}
	struct bl_buf rel;
	bl_buf_init(&rel);
	for (size_t i = 0; i < comps.n; i++)
		bl_buf_printf(&rel, "%s%s", i ? "/" : "", comps.v[i]);
	char *src = bl_xasprintf("%s/%s", repo, rel.data);
	char *dst = bl_xasprintf("%s/%s", wt->path, rel.data);
	const char *leaf = comps.v[comps.n - 1];
	int rc = -1, parent = -1;
	struct stat st;
	if (lstat(src, &st) != 0) {
		bl_fail_errno(err, errno, "cannot overlay '%s': cannot read '%s'", path, src);
		goto out;
	}
	parent = open_dest_parent(wt->path, &comps, path, err);
	if (parent < 0)
		goto out;
	/* The parents were just opened without following symlinks, so
	 * removing by path stays inside the worktree. */
	if (bl_remove_tree(dst, err) != 0) {
		bl_error_prefix(err, "cannot overlay '%s'", path);
		goto out;
	}
	rc = copy_entry(AT_FDCWD, src, parent, leaf, rel.data, err);
out:
	if (parent >= 0)
		close(parent);
	free(src);
	free(dst);
	bl_buf_release(&rel);
	bl_strvec_release(&comps);
	return rc;
}

int bl_worktree_overlay(const char *repo, const struct bl_worktree *wt, const struct bl_strvec *paths,
			struct bl_error *err)
{
	if (!wt->path || !wt->sha[0])
		return bl_fail(err, "cannot overlay files: the worktree holds no commit");
	/* Check every path before copying any, so a typo changes nothing. */
	for (size_t i = 0; i < paths->n; i++) {
		struct bl_strvec comps;
		bl_strvec_init(&comps);
		int rc = overlay_components(paths->v[i], &comps, err);
		bl_strvec_release(&comps);
		if (rc != 0)
			return -1;
	}
	for (size_t i = 0; i < paths->n; i++)
		if (overlay_one(repo, wt, paths->v[i], err) != 0)
			return -1;
	return 0;
}
