/*
 * git.h - everything benchline asks of git: resolving revisions, reading
 * commit metadata, and checking commits out into benchline-managed worktrees.
 *
 * git is run as a child process (`git -C REPO ...`, never through a shell).
 * The user's working tree, index, stash and branches are never modified:
 * checkouts happen only in worktrees under the cache directory.
 */
#ifndef BENCHLINE_GIT_H
#define BENCHLINE_GIT_H

#include "benchline/common.h"

#define BL_SHA_HEX 40

/* Resolves REV to a full commit SHA. Refuses revs starting with '-' or
 * empty ones before asking git. Message: "cannot resolve revision 'X': ..." */
int bl_git_resolve(const char *repo, const char *rev, char sha[BL_SHA_HEX + 1], struct bl_error *err);

/* Top-level directory of the repository containing path. */
int bl_git_toplevel(const char *path, char **top, struct bl_error *err);

/* Default branch: origin/HEAD's target if set, else main, else master, else
 * the current branch. Returns a ref name usable as a revision. */
int bl_git_default_branch(const char *repo, char **ref, struct bl_error *err);

/* Current branch name ("HEAD" when detached). */
int bl_git_current_branch(const char *repo, char **branch, struct bl_error *err);

struct bl_commit_info {
	char sha[BL_SHA_HEX + 1];
	char *parents;        /* space-separated full SHAs, "" for a root commit */
	char *author_name;
	char *author_email;
	int64_t author_time;  /* Unix seconds */
	int64_t commit_time;
	char *subject;
};
int bl_git_commit_info(const char *repo, const char *sha, struct bl_commit_info *ci, struct bl_error *err);
void bl_commit_info_release(struct bl_commit_info *ci);

/* What the user asked for on the command line of `benchline run`. */
struct bl_rev_selection {
	const char *const *args; /* REV, A..B, or the word "diff" */
	size_t n_args;
	const char *from_file;   /* one rev per line, "-" for stdin, '#' comments */
	bool first_parent;       /* ranges follow first parents only */
	int every;               /* keep every Nth commit of the selection (>= 1) */
	int max_count;           /* keep at most N (0: no limit); the newest N */
	const char *since;       /* git date; ranges only include commits after it */
};

/* A resolved list of full SHAs, oldest first, without duplicates. */
struct bl_sha_list {
	char (*shas)[BL_SHA_HEX + 1];
	size_t n, cap;
};
void bl_sha_list_release(struct bl_sha_list *l);
void bl_sha_list_push(struct bl_sha_list *l, const char *sha);

/*
 * Resolves a selection up front. No args and no file means HEAD. Every
 * argument is validated (leading '-' refused, must resolve to a commit)
 * before anything is returned, so a bad rev fails before any work starts.
 * Ranges expand with `git rev-list --reverse` (plus --first-parent/--since).
 * "diff" is the merge-base of the default branch and HEAD, then HEAD.
 */
int bl_revs_select(const char *repo, const struct bl_rev_selection *sel, struct bl_sha_list *out, struct bl_error *err);

/*
 * Worktrees: benchline keeps a small pool of detached worktrees under
 * CACHE/worktrees/<slot>. Checking out a commit into a slot reuses the tree
 * (`git checkout --detach --force` + `git clean -ffdx`), and updates
 * submodules when .gitmodules exists. The slot remembers which commit was
 * built in it (CACHE/worktrees/<slot>.state) so a commit already built is
 * neither checked out nor rebuilt again.
 */
struct bl_worktree {
	char *path;               /* absolute path of the worktree */
	char *state_path;         /* file recording "SHA BUILDKEY STATUS" */
	char sha[BL_SHA_HEX + 1]; /* checked-out commit, "" before the first */
	char built[16];           /* "ok"/"failed" when sha was already built with
				     the same build key, "" when it must be built */
};

/* Makes sure slot exists and holds sha. When the slot already holds sha and
 * its state says it was built with build_key, wt->built says how that build
 * ended and the tree is left as it is (build outputs included). wt must be
 * zero-initialised before its first use and may be reused across calls. */
int bl_worktree_checkout(const char *repo, const char *cache_dir, int slot, const char *sha, const char *build_key,
			 struct bl_worktree *wt, struct bl_error *err);
/* Records the build outcome for the slot's current commit ("ok"/"failed"). */
int bl_worktree_mark_built(struct bl_worktree *wt, const char *build_key, const char *status, struct bl_error *err);
void bl_worktree_release(struct bl_worktree *wt);

/* Copies the listed paths (files or directories, relative to the repository
 * root) from the user's working tree into the worktree, replacing what is
 * there. Used for suites taken from the current working tree. Paths that
 * escape the repository are refused. */
int bl_worktree_overlay(const char *repo, const struct bl_worktree *wt, const struct bl_strvec *paths,
			struct bl_error *err);

#endif
