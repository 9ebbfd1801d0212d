/*
 * git.c - running git, resolving revisions, and reading what benchline needs
 * to know about a repository (top level, branches, commit metadata).
 *
 * Revision selection lives in revs.c and worktrees in worktree.c; both run
 * git through bl_git_exec here so every git process gets the same scrubbed
 * environment.
 */
#include "git_internal.h"

#include "benchline/proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

/*
 * Variables that would make git act on a repository, index or object store
 * other than the one named with -C (set, for example, when benchline is run
 * from a git hook), plus the ones benchline sets itself.
 */
static const char *const scrubbed_env[] = {
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_PREFIX",
    "GIT_IMPLICIT_WORK_TREE",
    "GIT_GRAFT_FILE",
    "GIT_SHALLOW_FILE",
    "GIT_INTERNAL_SUPER_PREFIX",
    "GIT_NAMESPACE",
    "GIT_REPLACE_REF_BASE",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_TERMINAL_PROMPT",
    "GIT_PAGER",
    "PAGER",
    "GIT_EDITOR",
    "GIT_SEQUENCE_EDITOR",
};

static bool env_is_scrubbed(const char *entry, bool drop_ceiling)
{
	const char *eq = strchr(entry, '=');
	if (!eq)
		return true;
	size_t len = (size_t)(eq - entry);
	if (drop_ceiling && len == strlen("GIT_CEILING_DIRECTORIES") && !strncmp(entry, "GIT_CEILING_DIRECTORIES", len))
		return true;
	for (size_t i = 0; i < sizeof(scrubbed_env) / sizeof(scrubbed_env[0]); i++)
		if (strlen(scrubbed_env[i]) == len && !strncmp(entry, scrubbed_env[i], len))
			return true;
	return false;
}

static void build_env(struct bl_strvec *env, const char *ceiling)
{
	bl_strvec_init(env);
	for (char **e = environ; e && *e; e++)
		if (!env_is_scrubbed(*e, ceiling != NULL))
			bl_strvec_push(env, *e);
	bl_strvec_push(env, "GIT_TERMINAL_PROMPT=0");
	bl_strvec_push(env, "GIT_PAGER=cat");
	bl_strvec_push(env, "PAGER=cat");
	bl_strvec_push(env, "GIT_EDITOR=:");
	bl_strvec_push(env, "GIT_SEQUENCE_EDITOR=:");
	if (ceiling)
		bl_strvec_pushf(env, "GIT_CEILING_DIRECTORIES=%s", ceiling);
}

int bl_git_exec(const struct bl_git_cmd *cmd, const char *const *args, struct bl_buf *out, struct bl_buf *errout,
		struct bl_error *err)
{
	struct bl_strvec argv, env;
	bl_strvec_init(&argv);
	bl_strvec_push(&argv, "git");
	bl_strvec_push(&argv, "-C");
	bl_strvec_push(&argv, cmd->dir);
	if (cmd->no_hooks) {
		bl_strvec_push(&argv, "-c");
		bl_strvec_push(&argv, "core.hooksPath=/dev/null");
	}
	for (const char *const *a = args; *a; a++)
		bl_strvec_push(&argv, *a);
	build_env(&env, cmd->ceiling);

	struct bl_proc_opts opts = {.envp = env.v, .stdin_data = cmd->in, .stdin_len = cmd->in_len, .out_fd = -1};
	struct bl_proc_result res;
	int rc = bl_proc_run(argv.v, &opts, out, errout, &res, err);
	bl_strvec_release(&argv);
	bl_strvec_release(&env);
	if (rc != 0)
		return -1;
	if (res.exit_code < 0)
		return bl_fail(err, "git was killed by signal %d", res.term_signal);
	return res.exit_code;
}

/* The first few meaningful lines of git's stderr, joined with "; ". */
static void summarize_stderr(const struct bl_buf *errout, int exit_code, char *dst, size_t cap)
{
	size_t used = 0;
	int lines = 0;
	dst[0] = '\0';
	const char *p = errout ? errout->data : "";
	while (p && *p && lines < 3) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *s = p;
		p = nl ? nl + 1 : NULL;
		while (len && (*s == ' ' || *s == '\t')) {
			s++;
			len--;
		}
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
			len--;
		/* hints repeat what the error already said, in many words */
		if (!len || !strncmp(s, "hint:", 5))
			continue;
		int n = snprintf(dst + used, cap - used, "%s%.*s", lines ? "; " : "", (int)len, s);
		if (n < 0 || (size_t)n >= cap - used)
			break;
		used += (size_t)n;
		lines++;
	}
	if (!lines)
		snprintf(dst, cap, "git exited with status %d", exit_code);
}

int bl_git_fail(struct bl_error *err, const struct bl_buf *errout, int exit_code, const char *fmt, ...)
{
	char context[1024], detail[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(context, sizeof(context), fmt, ap);
	va_end(ap);
	summarize_stderr(errout, exit_code, detail, sizeof(detail));
	return bl_fail(err, "%s: %s", context, detail);
}

int bl_git_ok(const struct bl_git_cmd *cmd, const char *const *args, struct bl_buf *out, struct bl_error *err,
	      const char *fmt, ...)
{
	struct bl_buf errout;
	bl_buf_init(&errout);
	int rc = bl_git_exec(cmd, args, out, &errout, err);
	if (rc != 0) {
		char context[1024];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(context, sizeof(context), fmt, ap);
		va_end(ap);
		if (rc < 0)
			bl_error_prefix(err, "%s", context);
		else
			bl_git_fail(err, &errout, rc, "%s", context);
	}
	bl_buf_release(&errout);
	return rc == 0 ? 0 : -1;
}

bool bl_git_is_sha(const char *s)
{
	size_t i = 0;
	for (; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == BL_SHA_HEX;
}

/* A copy of a user-supplied name that is safe to put in a message. */
static void shown_name(const char *name, char *dst, size_t cap)
{
	size_t i = 0;
	for (; name[i] && i + 4 < cap; i++)
		dst[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
	if (name[i]) {
		memcpy(dst + i, "...", 3);
		i += 3;
	}
	dst[i] = '\0';
}

static int check_rev_syntax(const char *name, struct bl_error *err)
{
	char shown[256];
	shown_name(name, shown, sizeof(shown));
	if (!*name)
		return bl_fail(err, "invalid revision '': empty revision");
	if (name[0] == '-')
		return bl_fail(err, "invalid revision '%s': revisions may not start with '-'", shown);
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return bl_fail(err, "invalid revision '%s': contains a control character", shown);
	return 0;
}

/* Distinguishes "no commits at all" from "no such revision" for messages. */
static bool repo_has_no_commits(const char *repo)
{
	static const char *const args[] = {"rev-list", "-n", "1", "--all", NULL};
	struct bl_git_cmd cmd = {.dir = repo};
	struct bl_buf out;
	bl_buf_init(&out);
	int rc = bl_git_exec(&cmd, args, &out, NULL, NULL);
	bool empty = rc == 0 && out.len == 0;
	bl_buf_release(&out);
	return empty;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len >= n && !memcmp(s + len - n, suffix, n);
}

/* Second look at a name that did not peel to a commit: does it name some
 * other object? Only on the error path, so it may cost another git run. */
static bool names_other_object(const char *repo, const char *name)
{
	static const char *const args[] = {"cat-file", "--batch-check", NULL};
	char *in = bl_xasprintf("%s\n", name);
	struct bl_git_cmd cmd = {.dir = repo, .in = in, .in_len = strlen(in)};
	struct bl_buf out;
	bl_buf_init(&out);
	bool found = bl_git_exec(&cmd, args, &out, NULL, NULL) == 0;
	bl_buf_rtrim(&out);
	found = found && out.len > BL_SHA_HEX && out.data[BL_SHA_HEX] == ' ' &&
		!ends_with(out.data, out.len, " missing") && !ends_with(out.data, out.len, " ambiguous");
	bl_buf_release(&out);
	free(in);
	return found;
}

int bl_git_resolve_many(const char *repo, const char *const *names, size_t n, char (*shas)[BL_SHA_HEX + 1], size_t *bad,
			struct bl_error *err)
{
	static const char *const args[] = {"cat-file", "--batch-check", NULL};
	for (size_t i = 0; i < n; i++) {
		if (check_rev_syntax(names[i], err) != 0) {
			*bad = i;
			return -1;
		}
	}
	if (n == 0)
		return 0;
	struct bl_buf in, out, errout;
	bl_buf_init(&in);
	bl_buf_init(&out);
	bl_buf_init(&errout);
	for (size_t i = 0; i < n; i++)
		bl_buf_printf(&in, "%s^{commit}\n", names[i]);
	struct bl_git_cmd cmd = {.dir = repo, .in = in.data, .in_len = in.len};
	int rc = bl_git_exec(&cmd, args, &out, &errout, err);
	int ret = -1;
	*bad = n;
	if (rc != 0) {
		if (rc > 0)
			bl_git_fail(err, &errout, rc, "cannot resolve revisions in '%s'", repo);
		else
			bl_error_prefix(err, "cannot resolve revisions in '%s'", repo);
		goto out;
	}
	const char *p = out.data;
	for (size_t i = 0; i < n; i++) {
		char shown[256];
		shown_name(names[i], shown, sizeof(shown));
		const char *nl = p ? strchr(p, '\n') : NULL;
		if (!nl) {
			bl_fail(err, "cannot resolve revision '%s': git cat-file gave no answer", shown);
			*bad = i;
			goto out;
		}
		size_t len = (size_t)(nl - p);
		/* The name is echoed in these answers, so test the fixed suffix
		 * first: a name can never make git print a found object's line. */
		if (ends_with(p, len, " missing")) {
			*bad = i;
			if (repo_has_no_commits(repo))
				bl_fail(err, "cannot resolve revision '%s': repository '%s' has no commits", shown,
					repo);
			else if (names_other_object(repo, names[i]))
				bl_fail(err, "cannot resolve revision '%s': not a commit", shown);
			else
				bl_fail(err, "cannot resolve revision '%s': unknown revision", shown);
			goto out;
		}
		if (ends_with(p, len, " ambiguous")) {
			*bad = i;
			bl_fail(err, "cannot resolve revision '%s': ambiguous (it names several objects)", shown);
			goto out;
		}
		char sha[BL_SHA_HEX + 1];
		if (len < BL_SHA_HEX + 8 || memcmp(p + BL_SHA_HEX, " commit ", 8) != 0) {
			*bad = i;
			bl_fail(err, "cannot resolve revision '%s': unexpected answer from git cat-file: '%.*s'", shown,
				(int)(len > 100 ? 100 : len), p);
			goto out;
		}
		memcpy(sha, p, BL_SHA_HEX);
		sha[BL_SHA_HEX] = '\0';
		if (!bl_git_is_sha(sha)) {
			*bad = i;
			bl_fail(err, "cannot resolve revision '%s': unexpected object id '%s'", shown, sha);
			goto out;
		}
		memcpy(shas[i], sha, sizeof(sha));
		p = nl + 1;
	}
	ret = 0;
out:
	bl_buf_release(&in);
	bl_buf_release(&out);
	bl_buf_release(&errout);
	return ret;
}

int bl_git_resolve(const char *repo, const char *rev, char sha[BL_SHA_HEX + 1], struct bl_error *err)
{
	const char *names[1] = {rev};
	char shas[1][BL_SHA_HEX + 1];
	size_t bad;
	if (bl_git_resolve_many(repo, names, 1, shas, &bad, err) != 0)
		return -1;
	memcpy(sha, shas[0], BL_SHA_HEX + 1);
	return 0;
}

int bl_git_fetch(const char *repo, struct bl_error *err)
{
	static const char *const args[] = {"fetch", "--all", "--quiet", "--no-recurse-submodules", NULL};
	struct bl_git_cmd cmd = {.dir = repo};
	return bl_git_ok(&cmd, args, NULL, err, "cannot fetch new commits into '%s'", repo) < 0 ? -1 : 0;
}

/* Runs git and returns its stdout without trailing whitespace. */
static int git_output(const char *dir, const char *const *args, char **result, struct bl_error *err, const char *what)
{
	struct bl_git_cmd cmd = {.dir = dir};
	struct bl_buf out;
	bl_buf_init(&out);
	if (bl_git_ok(&cmd, args, &out, err, "%s", what) != 0) {
		bl_buf_release(&out);
		return -1;
	}
	bl_buf_rtrim(&out);
	*result = bl_buf_detach(&out);
	return 0;
}

int bl_git_toplevel(const char *path, char **top, struct bl_error *err)
{
	static const char *const args[] = {"rev-parse", "--show-toplevel", NULL};
	char what[1024];
	snprintf(what, sizeof(what), "'%s' is not in a git working tree", path);
	if (git_output(path, args, top, err, what) != 0)
		return -1;
	if (!**top) {
		free(*top);
		*top = NULL;
		return bl_fail(err, "'%s' is not in a git working tree", path);
	}
	return 0;
}

int bl_git_current_branch(const char *repo, char **branch, struct bl_error *err)
{
	static const char *const args[] = {"symbolic-ref", "--quiet", "--short", "HEAD", NULL};
	struct bl_git_cmd cmd = {.dir = repo};
	struct bl_buf out, errout;
	bl_buf_init(&out);
	bl_buf_init(&errout);
	int rc = bl_git_exec(&cmd, args, &out, &errout, err);
	if (rc < 0) {
		bl_buf_release(&out);
		bl_buf_release(&errout);
		return bl_error_prefix(err, "cannot read the current branch of '%s'", repo);
	}
	/* symbolic-ref --quiet exits 1 without a word when HEAD is detached */
	if (rc == 1 && errout.len == 0) {
		bl_buf_reset(&out);
		bl_buf_puts(&out, "HEAD");
	} else if (rc != 0) {
		bl_git_fail(err, &errout, rc, "cannot read the current branch of '%s'", repo);
		bl_buf_release(&out);
		bl_buf_release(&errout);
		return -1;
	}
	bl_buf_rtrim(&out);
	bl_buf_release(&errout);
	*branch = bl_buf_detach(&out);
	return 0;
}

int bl_git_default_branch(const char *repo, char **ref, struct bl_error *err)
{
	/* One git run answers all three questions; for-each-ref patterns also
	 * match below a prefix (refs/heads/main/x), so compare names exactly. */
	static const char *const args[] = {"for-each-ref",
					   "--format=%(refname)%00%(symref)",
					   "refs/remotes/origin/HEAD",
					   "refs/heads/main",
					   "refs/heads/master",
					   NULL};
	static const char *const verify[] = {"rev-parse", "--verify", "--quiet", NULL, NULL};
	struct bl_git_cmd cmd = {.dir = repo};
	struct bl_buf out;
	bl_buf_init(&out);
	if (bl_git_ok(&cmd, args, &out, err, "cannot read the branches of '%s'", repo) != 0) {
		bl_buf_release(&out);
		return -1;
	}
	char *origin_target = NULL;
	bool has_main = false, has_master = false;
	/* Lines are "REFNAME\0SYMREF\n"; the NUL rules out strchr. */
	const char *end = out.data + out.len;
	for (const char *line = out.data; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			nl = end;
		const char *target = memchr(line, '\0', (size_t)(nl - line));
		size_t name_len = target ? (size_t)(target - line) : (size_t)(nl - line);
		target = target ? target + 1 : nl;
		char *name = bl_xstrndup(line, name_len);
		if (!strcmp(name, "refs/remotes/origin/HEAD") && target < nl && !origin_target)
			origin_target = bl_xstrndup(target, (size_t)(nl - target));
		else if (!strcmp(name, "refs/heads/main"))
			has_main = true;
		else if (!strcmp(name, "refs/heads/master"))
			has_master = true;
		free(name);
		line = nl + 1;
	}
	bl_buf_release(&out);
	if (origin_target) {
		/* origin/HEAD may dangle after the remote branch was deleted */
		const char *v[5];
		memcpy(v, verify, sizeof(v));
		v[3] = origin_target;
		if (bl_git_exec(&cmd, v, NULL, NULL, NULL) == 0) {
			*ref = origin_target;
			return 0;
		}
		free(origin_target);
	}
	if (has_main || has_master) {
		*ref = bl_xstrdup(has_main ? "refs/heads/main" : "refs/heads/master");
		return 0;
	}
	char *branch;
	if (bl_git_current_branch(repo, &branch, err) != 0)
		return -1;
	if (!strcmp(branch, "HEAD")) {
		free(branch);
		return bl_fail(err,
			       "cannot find the default branch of '%s': no origin/HEAD, main or master, and HEAD is "
			       "detached",
			       repo);
	}
	*ref = bl_xasprintf("refs/heads/%s", branch);
	free(branch);
	return 0;
}

void bl_commit_info_release(struct bl_commit_info *ci)
{
	free(ci->parents);
	free(ci->author_name);
	free(ci->author_email);
	free(ci->subject);
	memset(ci, 0, sizeof(*ci));
}

int bl_git_commit_infos(const char *repo, const char (*shas)[BL_SHA_HEX + 1], size_t n, struct bl_commit_info *cis,
			struct bl_error *err)
{
	memset(cis, 0, n * sizeof(*cis));
	struct bl_buf in;
	bl_buf_init(&in);
	for (size_t i = 0; i < n; i++) {
		if (!bl_git_is_sha(shas[i])) {
			bl_buf_release(&in);
			return bl_fail(err, "cannot read commit '%.64s': not a full commit id", shas[i]);
		}
		bl_buf_printf(&in, "%s\n", shas[i]);
	}
	/* One git for all commits: ids travel on stdin, in order, unwalked.
	 * NUL separators: a subject may hold tabs, quotes or markup, and names
	 * anything UTF-8; --encoding makes git re-encode legacy commits, and
	 * --no-show-signature keeps log.showSignature=true from adding lines. */
	static const char *const args[] = {"log",
					   "--stdin",
					   "--no-walk=unsorted",
					   "-s",
					   "--no-show-signature",
					   "--no-color",
					   "--encoding=UTF-8",
					   "--format=%H%x00%P%x00%an%x00%ae%x00%at%x00%ct%x00%s%x00",
					   NULL};
	struct bl_git_cmd cmd = {.dir = repo, .in = in.data, .in_len = in.len};
	struct bl_buf out;
	bl_buf_init(&out);
	int rc = n ? bl_git_ok(&cmd, args, &out, err, "cannot read commit '%s'%s", shas[0], n > 1 ? " and others" : "") : 0;
	const char *p = out.data, *end = out.data + out.len;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const char *field[7];
		int nf = 0;
		while (p < end && *p == '\n')
			p++;
		while (nf < 7 && p < end) {
			field[nf++] = p;
			p += strlen(p) + 1;
		}
		int64_t at, ct;
		if (nf < 7 || p > end || strcmp(field[0], shas[i]) != 0 || bl_parse_int64(field[4], &at) != 0 ||
		    bl_parse_int64(field[5], &ct) != 0) {
			rc = bl_fail(err, "cannot read commit '%s': unexpected output from git log", shas[i]);
			break;
		}
		struct bl_commit_info *ci = &cis[i];
		memcpy(ci->sha, shas[i], BL_SHA_HEX + 1);
		ci->parents = bl_xstrdup(field[1]);
		ci->author_name = bl_xstrdup(field[2]);
		ci->author_email = bl_xstrdup(field[3]);
		ci->author_time = at;
		ci->commit_time = ct;
		ci->subject = bl_xstrdup(field[6]);
	}
	bl_buf_release(&out);
	bl_buf_release(&in);
	if (rc)
		for (size_t i = 0; i < n; i++)
			bl_commit_info_release(&cis[i]);
	return rc;
}

int bl_git_commit_info(const char *repo, const char *sha, struct bl_commit_info *ci, struct bl_error *err)
{
	char one[1][BL_SHA_HEX + 1];
	if (!bl_git_is_sha(sha)) {
		memset(ci, 0, sizeof(*ci));
		return bl_fail(err, "cannot read commit '%.64s': not a full commit id", sha);
	}
	memcpy(one[0], sha, BL_SHA_HEX + 1);
	return bl_git_commit_infos(repo, (const char(*)[BL_SHA_HEX + 1])one, 1, ci, err);
}
