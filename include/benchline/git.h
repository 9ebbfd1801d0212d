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

/* Resolves REV to a full commit SHA. Refuses revs that are empty, start with
 * '-' or hold control characters before asking git; the name then reaches
 * git only as data on stdin (`git cat-file --batch-check`), never as an
 * argument. Messages: "invalid revision '-rf': revisions may not start with
 * '-'", "cannot resolve revision 'X': unknown revision" (or "not a commit",
 * "ambiguous ...", "repository 'R' has no commits"). */
int bl_git_resolve(const char *repo, const char *rev, char sha[BL_SHA_HEX + 1], struct bl_error *err);

/* Top-level directory of the repository containing path. */
/* `git fetch --all --quiet` in repo: a worker given a commit its clone
 * does not have yet. Fails with git's message (no remote, network). */
int bl_git_fetch(const char *repo, struct bl_error *err);
int bl_git_toplevel(const char *path, char **top, struct bl_error *err);

/* Default branch: origin/HEAD's target if set (and it exists), else main,
 * else master, else the current branch. Returns the full ref name
 * ("refs/remotes/origin/main", "refs/heads/main"), usable as a revision and
 * never ambiguous. Fails when none applies (HEAD detached). */
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
/* The same for n commits with one git process (cis has n elements). */
int bl_git_commit_infos(const char *repo, const char (*shas)[BL_SHA_HEX + 1], size_t n, struct bl_commit_info *cis,
			struct bl_error *err);

/* What the user asked for on the command line of `benchline run`. */
struct bl_rev_selection {
	const char *const *args; /* REV, A..B ("A.." and "..B" mean HEAD for the
				    missing end; A...B is refused), or the word
				    "diff" (it wins over a branch named diff) */
	size_t n_args;
	const char *from_file;   /* one rev per line (same syntax as args), "-" for
				    stdin; blank lines and lines starting with '#'
				    are skipped; errors read "FILE:LINE: ..." */
	bool first_parent;       /* ranges follow first parents only */
	int every;               /* keep every Nth commit (>= 1; 0 means 1): the
				    newest is always kept, then every Nth going
				    back, so a sparse sweep always ends at the tip */
	int max_count;           /* keep at most N (0: no limit); the newest N,
				    applied after every */
	const char *since;       /* git date ("2 weeks ago", "2024-05-01", "@unix"):
				    keep only commits whose committer date is at
				    or after it; ranges and single revs alike */
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
 * Ranges expand with `git rev-list --reverse` (plus --first-parent); a range
 * that selects nothing is an error ("range 'A..B' selects no commits").
 * "diff" is the merge-base of the default branch and HEAD, then HEAD (one
 * commit when they are the same).
 *
 * Order: duplicates are dropped, then the whole set is sorted oldest first
 * by committer date, except that a parent always comes before its child
 * when both are selected (so ranges keep history order even across clock
 * skew; commits on unrelated lines follow their dates). since is applied as
 * a filter on that set, then every, then max_count. out is replaced.
 */
int bl_revs_select(const char *repo, const struct bl_rev_selection *sel, struct bl_sha_list *out, struct bl_error *err);

/* The first-parent history of commit sha (a full SHA), oldest first and
 * ending with sha: the positions `benchline detect` places commits at. */
int bl_git_first_parent_history(const char *repo, const char *sha, struct bl_sha_list *out, struct bl_error *err);

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
	/* Set by the caller: paths the suite overlay replaces (borrowed, may be
	 * NULL). Their changes do not count as a modified tree. */
	const struct bl_strvec *overlay;
	char built[16];           /* "ok"/"failed" when sha was already built with
				     the same build key, "" when it must be built */
};

/* Makes sure slot exists and holds sha (a full 40-hex SHA). When the slot
 * already holds sha, its state says it was built with build_key and no
 * tracked file differs from sha, wt->built says how that build ended and the
 * tree is left as it is (build outputs included). Otherwise the tree is
 * checked out and cleaned (untracked and ignored files go, in submodules
 * too) and wt->built is "". build_key is one word without whitespace (NULL
 * or "" mean "none"). The user's hooks do not run in benchline's worktrees.
 * One slot serves one process at a time. wt must be zero-initialised before
 * its first use and may be reused across calls. */
int bl_worktree_checkout(const char *repo, const char *cache_dir, int slot, const char *sha, const char *build_key,
			 struct bl_worktree *wt, struct bl_error *err);
/* Records the build outcome for the slot's current commit: a word of at
 * most 15 characters, usually "ok" or "failed" ("pending" is reserved). */
int bl_worktree_mark_built(struct bl_worktree *wt, const char *build_key, const char *status, struct bl_error *err);
void bl_worktree_release(struct bl_worktree *wt);

/* Undoes an overlay: tracked files back to the commit's version, untracked
 * files under paths removed (ignored build outputs are kept). Used before
 * benchmarks that take their files from the commit. */
int bl_worktree_restore(const struct bl_worktree *wt, const struct bl_strvec *paths, struct bl_error *err);

/* Copies the listed paths (files or directories, relative to the repository
 * root) from the user's working tree, uncommitted changes included, into the
 * worktree, replacing what is there. Used for suites taken from the current
 * working tree. Permission bits are kept and symlinks are copied as symlinks;
 * symlinks already in the worktree are replaced, never followed. Absolute
 * paths, '..' and '.git' components are refused (all paths are checked
 * before anything is copied); a missing source is an error naming it.
 * Overlaid tracked files count as modifications, so the next checkout of the
 * same commit rebuilds. */
int bl_worktree_overlay(const char *repo, const struct bl_worktree *wt, const struct bl_strvec *paths,
			struct bl_error *err);

#endif
