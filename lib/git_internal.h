/*
 * git_internal.h - how git.c, revs.c and worktree.c run git. Not public:
 * the rest of benchline asks git for things through benchline/git.h.
 *
 * Every git process gets the same environment: no terminal prompt, no pager,
 * no editor, and none of the variables that point git at another repository
 * or index (GIT_DIR, GIT_INDEX_FILE, ...). Those would let a benchline run
 * started from a git hook write the user's index while it means a worktree.
 */
#ifndef BENCHLINE_GIT_INTERNAL_H
#define BENCHLINE_GIT_INTERNAL_H

#include "benchline/common.h"
#include "benchline/git.h"

struct bl_git_cmd {
	const char *dir;     /* git -C dir; required */
	const char *ceiling; /* GIT_CEILING_DIRECTORIES: NULL, or the directory above a
				worktree so git never finds a repository further up */
	bool no_hooks;	     /* -c core.hooksPath=/dev/null: checkouts in benchline's
				worktrees must not run the user's post-checkout hooks */
	const char *in;	     /* stdin data, NULL: /dev/null */
	size_t in_len;
};

/*
 * Runs `git -C dir ARGS` (args is NULL-terminated). Returns git's exit code
 * (>= 0), or -1 with err set when git could not be started. out and errout
 * (may be NULL) receive stdout and stderr.
 */
int bl_git_exec(const struct bl_git_cmd *cmd, const char *const *args, struct bl_buf *out, struct bl_buf *errout,
		struct bl_error *err);

/*
 * As bl_git_exec, but any non-zero exit is a failure whose message is the
 * formatted context followed by the first lines of git's stderr:
 * "cannot check out 'abc' in '/c/0': fatal: reference is not a tree: abc".
 */
int bl_git_ok(const struct bl_git_cmd *cmd, const char *const *args, struct bl_buf *out, struct bl_error *err,
	      const char *fmt, ...) BL_PRINTF(5, 6);

/* Fails with "CONTEXT: <first lines of stderr>" ("git exited with status N"
 * when git printed nothing). */
int bl_git_fail(struct bl_error *err, const struct bl_buf *errout, int exit_code, const char *fmt, ...) BL_PRINTF(4, 5);

/* True when s is exactly 40 lowercase hex digits. */
bool bl_git_is_sha(const char *s);

/*
 * Resolves n revision names to commit SHAs with one `git cat-file
 * --batch-check`. Names travel on stdin, so git never parses one as an
 * option. Each name is checked first (empty, leading '-', control
 * characters). On failure names[*bad] is the name that failed and err says
 * why ("cannot resolve revision 'x': unknown revision").
 */
int bl_git_resolve_many(const char *repo, const char *const *names, size_t n, char (*shas)[BL_SHA_HEX + 1], size_t *bad,
			struct bl_error *err);

#endif
