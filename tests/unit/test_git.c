/*
 * test_git.c - revisions, commit metadata and worktrees against real
 * throw-away repositories built with git in $BENCHLINE_TEST_TMP (or /tmp).
 *
 * The fixture history (times are seconds after T0, committer = author date):
 *
 *   main:    c1(100) - c2(200) - c3(300) - c4(450) - M(600) - c6(700)
 *                                  \                  /
 *   feature:                        f1(400) - f2(500)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "benchline/git.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define T0 1600000000LL

static char *root;    /* this run's scratch directory */
static char *repo;    /* the fixture repository */
static int n_scratch; /* counter for fresh directories */

struct fixture_shas {
	char c1[41], c2[41], c3[41], c4[41], f1[41], f2[41], m[41], c6[41];
};
static struct fixture_shas S;

#define assert_contains(hay, needle)                                                                                   \
	do {                                                                                                           \
		if (!strstr((hay), (needle)))                                                                          \
			fail_msg("'%s' does not contain '%s'", (hay), (needle));                                       \
	} while (0)

static void sh(const char *fmt, ...) BL_PRINTF(1, 2);
static void sh(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = NULL;
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	va_end(ap);
	int rc = system(cmd);
	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
	free(cmd);
}

/* Runs a shell command and returns its stdout without the trailing newline. */
static char *sh_out(const char *fmt, ...) BL_PRINTF(1, 2);
static char *sh_out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = NULL;
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	va_end(ap);
	FILE *p = popen(cmd, "r");
	if (!p)
		fail_msg("popen failed: %s", cmd);
	struct bl_buf b;
	bl_buf_init(&b);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		bl_buf_append(&b, chunk, n);
	int rc = pclose(p);
	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
	free(cmd);
	bl_buf_rtrim(&b);
	return bl_buf_detach(&b);
}

static void rev_sha(const char *r, const char *rev, char out[41])
{
	char *s = sh_out("git -C '%s' rev-parse '%s'", r, rev);
	snprintf(out, 41, "%s", s);
	free(s);
}

static char *scratch(const char *what)
{
	char *d = bl_xasprintf("%s/%s-%d", root, what, ++n_scratch);
	struct bl_error err;
	if (bl_mkdirs(d, 0755, &err) != 0)
		fail_msg("%s", err.msg);
	return d;
}

static char *new_repo(const char *what)
{
	char *d = scratch(what);
	sh("git init -q -b main '%s' && git -C '%s' config user.name 'Test User' && "
	   "git -C '%s' config user.email test@example.com",
	   d, d, d);
	return d;
}

/* Writes content to r/file (creating directories) and commits everything at T0+t. */
static void commit_file(const char *r, const char *file, const char *content, long t, const char *msg)
{
	sh("cd '%s' && mkdir -p \"$(dirname '%s')\" && printf '%%s' '%s' > '%s' && git add -A && "
	   "GIT_AUTHOR_DATE='@%lld +0000' GIT_COMMITTER_DATE='@%lld +0000' git commit -q -m '%s'",
	   r, file, content, file, T0 + t, T0 + t, msg);
}

static void merge_at(const char *r, const char *branch, long t)
{
	sh("cd '%s' && GIT_AUTHOR_DATE='@%lld +0000' GIT_COMMITTER_DATE='@%lld +0000' "
	   "git merge -q --no-ff --no-edit -m 'merge %s' '%s'",
	   r, T0 + t, T0 + t, branch, branch);
}

static int group_setup(void **state)
{
	/* Tests must not depend on the developer's git configuration. */
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	const char *base = getenv("BENCHLINE_TEST_TMP");
	base = base && *base ? base : "/tmp";
	struct bl_error err;
	if (bl_mkdirs(base, 0755, &err) != 0)
		fail_msg("%s", err.msg);
	char *tmpl = bl_xasprintf("%s/test_git.XXXXXX", base);
	if (!mkdtemp(tmpl))
		fail_msg("mkdtemp: %s", strerror(errno));
	root = realpath(tmpl, NULL);
	free(tmpl);
	/* Local clones of file:// submodules need this since git 2.38.1; a
	 * repository's own config does not reach the clone's child process. */
	char *global = bl_xasprintf("%s/gitconfig", root);
	const char *cfg = "[protocol \"file\"]\n\tallow = always\n";
	if (bl_write_file_atomic(global, cfg, strlen(cfg), &err) != 0)
		fail_msg("%s", err.msg);
	setenv("GIT_CONFIG_GLOBAL", global, 1);
	free(global);

	repo = new_repo("fixture");
	commit_file(repo, "a.txt", "1", 100, "c1");
	commit_file(repo, "a.txt", "2", 200, "c2");
	commit_file(repo, "a.txt", "3", 300, "c3");
	sh("git -C '%s' branch -q feature", repo);
	sh("git -C '%s' checkout -q feature", repo);
	commit_file(repo, "f.txt", "f1", 400, "f1");
	commit_file(repo, "f.txt", "f2", 500, "f2");
	sh("git -C '%s' checkout -q main", repo);
	commit_file(repo, "b.txt", "4", 450, "c4");
	merge_at(repo, "feature", 600);
	commit_file(repo, "a.txt", "6", 700, "c6");
	rev_sha(repo, "main~5", S.c1);
	rev_sha(repo, "main~4", S.c2);
	rev_sha(repo, "main~3", S.c3);
	rev_sha(repo, "main~2", S.c4);
	rev_sha(repo, "feature~1", S.f1);
	rev_sha(repo, "feature", S.f2);
	rev_sha(repo, "main~1", S.m);
	rev_sha(repo, "main", S.c6);
	return 0;
}

static int group_teardown(void **state)
{
	if (root && !getenv("BENCHLINE_KEEP_TMP")) {
		struct bl_error err;
		bl_remove_tree(root, &err);
	}
	free(root);
	free(repo);
	return 0;
}

/* ---- resolving ---- */

static void test_resolve(void **state)
{
	char sha[BL_SHA_HEX + 1];
	struct bl_error err = {""};
	assert_int_equal(bl_git_resolve(repo, "HEAD", sha, &err), 0);
	assert_string_equal(sha, S.c6);
	assert_int_equal(bl_git_resolve(repo, "main~1", sha, &err), 0);
	assert_string_equal(sha, S.m);
	char short_sha[9];
	memcpy(short_sha, S.c3, 8);
	short_sha[8] = '\0';
	assert_int_equal(bl_git_resolve(repo, short_sha, sha, &err), 0);
	assert_string_equal(sha, S.c3);
	sh("git -C '%s' tag -a -m v1 v1.0 '%s'", repo, S.c2); /* an annotated tag peels to its commit */
	assert_int_equal(bl_git_resolve(repo, "v1.0", sha, &err), 0);
	assert_string_equal(sha, S.c2);

	assert_int_equal(bl_git_resolve(repo, "nosuch", sha, &err), -1);
	assert_string_equal(err.msg, "cannot resolve revision 'nosuch': unknown revision");
	assert_int_equal(bl_git_resolve(repo, "HEAD:a.txt", sha, &err), -1);
	assert_string_equal(err.msg, "cannot resolve revision 'HEAD:a.txt': not a commit");

	char *notrepo = scratch("notrepo");
	assert_int_equal(bl_git_resolve(notrepo, "HEAD", sha, &err), -1);
	assert_contains(err.msg, "not a git repository");
	free(notrepo);
}

static void test_hostile_revs(void **state)
{
	char *dir = scratch("hostile");
	char *pwned = bl_xasprintf("%s/pwned", dir);
	char *out_file = bl_xasprintf("%s/x", dir);
	char *subst = bl_xasprintf("$(touch %s)", pwned);
	char *backtick = bl_xasprintf("`touch %s`", pwned);
	char *output_opt = bl_xasprintf("--output=%s", out_file);
	char *semicolon = bl_xasprintf("a;touch %s", pwned);
	char sha[BL_SHA_HEX + 1];
	struct bl_error err;

	assert_int_equal(bl_git_resolve(repo, "-rf", sha, &err), -1);
	assert_string_equal(err.msg, "invalid revision '-rf': revisions may not start with '-'");
	assert_int_equal(bl_git_resolve(repo, "-x", sha, &err), -1);
	assert_contains(err.msg, "may not start with '-'");
	assert_int_equal(bl_git_resolve(repo, output_opt, sha, &err), -1);
	assert_contains(err.msg, "may not start with '-'");
	assert_int_equal(bl_git_resolve(repo, "", sha, &err), -1);
	assert_string_equal(err.msg, "invalid revision '': empty revision");
	assert_int_equal(bl_git_resolve(repo, "HEAD\nmain", sha, &err), -1);
	assert_string_equal(err.msg, "invalid revision 'HEAD?main': contains a control character");

	const char *unresolvable[] = {subst, backtick, semicolon, "a;b", "HEAD|x", "HEAD && x"};
	for (size_t i = 0; i < sizeof(unresolvable) / sizeof(unresolvable[0]); i++) {
		assert_int_equal(bl_git_resolve(repo, unresolvable[i], sha, &err), -1);
		char *want = bl_xasprintf("cannot resolve revision '%s': unknown revision", unresolvable[i]);
		assert_string_equal(err.msg, want);
		free(want);
	}

	/* The same through a selection: refused before anything is expanded. */
	const char *args[] = {"HEAD", "main~2..main", subst, "-rf"};
	struct bl_rev_selection sel = {.args = args, .n_args = 4};
	struct bl_sha_list l = {0};
	assert_int_equal(bl_revs_select(repo, &sel, &l, &err), -1);
	assert_string_equal(err.msg, "invalid revision '-rf': revisions may not start with '-'");
	sel.n_args = 3;
	assert_int_equal(bl_revs_select(repo, &sel, &l, &err), -1);
	char *want = bl_xasprintf("cannot resolve revision '%s': unknown revision", subst);
	assert_string_equal(err.msg, want);
	free(want);
	args[2] = "HEAD..-rf";
	assert_int_equal(bl_revs_select(repo, &sel, &l, &err), -1);
	assert_string_equal(err.msg, "invalid revision '-rf': revisions may not start with '-'");
	assert_int_equal(l.n, 0);

	struct stat st;
	assert_int_equal(stat(pwned, &st), -1);
	assert_int_equal(stat(out_file, &st), -1);
	free(dir);
	free(pwned);
	free(out_file);
	free(subst);
	free(backtick);
	free(output_opt);
	free(semicolon);
}

/* Selects and compares with the expected SHAs (NULL-terminated). */
static void expect_selection(const struct bl_rev_selection *sel, const char *const *want)
{
	struct bl_sha_list l = {0};
	struct bl_error err = {""};
	if (bl_revs_select(repo, sel, &l, &err) != 0)
		fail_msg("selection failed: %s", err.msg);
	size_t n = 0;
	while (want[n])
		n++;
	if (l.n != n) {
		for (size_t i = 0; i < l.n; i++)
			print_message("got %s\n", l.shas[i]);
		fail_msg("selected %zu commits, want %zu", l.n, n);
	}
	for (size_t i = 0; i < n; i++)
		assert_string_equal(l.shas[i], want[i]);
	bl_sha_list_release(&l);
}

static void expect_select_error(const struct bl_rev_selection *sel, const char *want)
{
	struct bl_sha_list l = {0};
	struct bl_error err = {""};
	assert_int_equal(bl_revs_select(repo, sel, &l, &err), -1);
	assert_contains(err.msg, want);
	assert_int_equal(l.n, 0);
	bl_sha_list_release(&l);
}

static void test_ranges(void **state)
{
	char *range = bl_xasprintf("%.10s..main", S.c3);
	const char *args[] = {range};
	struct bl_rev_selection sel = {.args = args, .n_args = 1};
	const char *all[] = {S.f1, S.c4, S.f2, S.m, S.c6, NULL};
	expect_selection(&sel, all);
	sel.first_parent = true;
	const char *fp[] = {S.c4, S.m, S.c6, NULL};
	expect_selection(&sel, fp);

	/* "A.." means A..HEAD */
	args[0] = "main~1..";
	const char *last[] = {S.c6, NULL};
	expect_selection(&sel, last);

	args[0] = "main..main~2";
	sel.first_parent = false;
	expect_select_error(&sel, "range 'main..main~2' selects no commits");
	args[0] = "main...feature";
	expect_select_error(&sel, "symmetric differences");
	args[0] = "main..nosuch";
	expect_select_error(&sel, "cannot resolve revision 'nosuch': unknown revision");
	free(range);
}

static void test_single_revs_dedup_order(void **state)
{
	/* Given newest first and with duplicates; comes back oldest first. */
	const char *args[] = {S.c6, "main~5", "HEAD", S.c3, "main"};
	struct bl_rev_selection sel = {.args = args, .n_args = 5};
	const char *want[] = {S.c1, S.c3, S.c6, NULL};
	expect_selection(&sel, want);

	/* A range plus singles inside and outside it. */
	const char *args2[] = {"feature", "main~3..main", S.c1};
	struct bl_rev_selection sel2 = {.args = args2, .n_args = 3};
	const char *want2[] = {S.c1, S.f1, S.c4, S.f2, S.m, S.c6, NULL};
	expect_selection(&sel2, want2);

	/* No arguments: HEAD. */
	struct bl_rev_selection none = {0};
	const char *head[] = {S.c6, NULL};
	expect_selection(&none, head);
}

static void test_every_max_since(void **state)
{
	const char *args[] = {"main~5..main"};
	struct bl_rev_selection sel = {.args = args, .n_args = 1, .first_parent = true};
	const char *fp[] = {S.c2, S.c3, S.c4, S.m, S.c6, NULL};
	expect_selection(&sel, fp);
	sel.every = 2; /* the newest, then every second going back */
	const char *every2[] = {S.c2, S.c4, S.c6, NULL};
	expect_selection(&sel, every2);
	sel.max_count = 2;
	const char *max2[] = {S.c4, S.c6, NULL};
	expect_selection(&sel, max2);
	sel.every = 1;
	const char *max2b[] = {S.m, S.c6, NULL};
	expect_selection(&sel, max2b);
	sel.every = -1;
	expect_select_error(&sel, "invalid --every");
	sel.every = 1;
	sel.max_count = -3;
	expect_select_error(&sel, "invalid --max-count");
	sel.max_count = 0;

	char *since = bl_xasprintf("@%lld", T0 + 449);
	sel.since = since;
	const char *after[] = {S.c4, S.m, S.c6, NULL};
	expect_selection(&sel, after);

	/* Singles are filtered by committer date too. */
	const char *singles[] = {S.c1, S.f2, S.c6};
	struct bl_rev_selection sel2 = {.args = singles, .n_args = 3, .since = since};
	const char *want2[] = {S.f2, S.c6, NULL};
	expect_selection(&sel2, want2);

	free(since);
	since = bl_xasprintf("@%lld", T0 + 10000);
	sel2.since = since;
	expect_select_error(&sel2, "no selected commit is newer than --since");
	sel2.since = "yesterday";
	expect_select_error(&sel2, "no selected commit is newer than --since 'yesterday' (read as 20");
	free(since);
}

/* Committer clocks can go backwards; a parent still comes before its child. */
static void test_clock_skew(void **state)
{
	char *r = new_repo("skew");
	commit_file(r, "a", "1", 100, "one");
	commit_file(r, "a", "2", 300, "two");
	commit_file(r, "a", "3", 200, "three, committed with a slow clock");
	commit_file(r, "a", "4", 250, "four");
	char c[4][41];
	for (int i = 0; i < 4; i++) {
		char rev[16];
		snprintf(rev, sizeof(rev), "HEAD~%d", 3 - i);
		rev_sha(r, rev, c[i]);
	}
	const char *args[] = {"HEAD~3..HEAD"};
	struct bl_rev_selection sel = {.args = args, .n_args = 1};
	struct bl_sha_list l = {0};
	struct bl_error err = {""};
	assert_int_equal(bl_revs_select(r, &sel, &l, &err), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.shas[0], c[1]);
	assert_string_equal(l.shas[1], c[2]);
	assert_string_equal(l.shas[2], c[3]);
	const char *singles[] = {c[3], c[1], c[2]};
	struct bl_rev_selection sel2 = {.args = singles, .n_args = 3};
	assert_int_equal(bl_revs_select(r, &sel2, &l, &err), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.shas[0], c[1]);
	assert_string_equal(l.shas[1], c[2]);
	assert_string_equal(l.shas[2], c[3]);
	bl_sha_list_release(&l);
	free(r);
}

static char *write_text(const char *name, const char *text)
{
	char *dir = scratch("files");
	char *path = bl_xasprintf("%s/%s", dir, name);
	struct bl_error err;
	if (bl_write_file_atomic(path, text, strlen(text), &err) != 0)
		fail_msg("%s", err.msg);
	free(dir);
	return path;
}

static void test_from_file(void **state)
{
	char *text =
	    bl_xasprintf("# revisions to benchmark\n\n  %s  \r\nmain~5\n\t# indented comment\nHEAD\n%s\n", S.c3, S.c3);
	char *path = write_text("revs.txt", text);
	struct bl_rev_selection sel = {.from_file = path};
	const char *want[] = {S.c1, S.c3, S.c6, NULL};
	expect_selection(&sel, want);

	/* Arguments and a file together. */
	const char *args[] = {"feature"};
	sel.args = args;
	sel.n_args = 1;
	const char *want_both[] = {S.c1, S.c3, S.f2, S.c6, NULL};
	expect_selection(&sel, want_both);
	sel.n_args = 0;

	/* A bad line is reported with its file and line number. */
	char *bad = write_text("bad.txt", "HEAD\n# fine\n\nnosuch\n");
	sel.from_file = bad;
	char *want_msg = bl_xasprintf("%s:4: cannot resolve revision 'nosuch': unknown revision", bad);
	expect_select_error(&sel, want_msg);
	free(want_msg);
	char *dash = write_text("dash.txt", "HEAD\n--all\n");
	sel.from_file = dash;
	want_msg = bl_xasprintf("%s:2: invalid revision '--all': revisions may not start with '-'", dash);
	expect_select_error(&sel, want_msg);
	free(want_msg);
	char *empty = write_text("empty.txt", "# nothing\n\n");
	sel.from_file = empty;
	expect_select_error(&sel, "no revisions in the file");
	sel.from_file = "/nonexistent/revs.txt";
	expect_select_error(&sel, "cannot open '/nonexistent/revs.txt'");

	/* '-' reads standard input. */
	char *stdin_text = bl_xasprintf("%s\nmain~4..main~3\n", S.c6);
	char *in_path = write_text("stdin.txt", stdin_text);
	int saved = dup(STDIN_FILENO);
	int fd = open(in_path, O_RDONLY);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, STDIN_FILENO);
	close(fd);
	sel.from_file = "-";
	const char *want_stdin[] = {S.c3, S.c6, NULL};
	expect_selection(&sel, want_stdin);
	dup2(saved, STDIN_FILENO);
	close(saved);

	free(text);
	free(path);
	free(bad);
	free(dash);
	free(empty);
	free(stdin_text);
	free(in_path);
}

static void test_diff_and_branches(void **state)
{
	char *r = new_repo("diff");
	commit_file(r, "a", "1", 100, "one");
	commit_file(r, "a", "2", 200, "two");
	char base[41], one[41], tip[41];
	rev_sha(r, "HEAD", base);
	rev_sha(r, "HEAD~1", one);
	sh("git -C '%s' checkout -q -b feature", r);
	commit_file(r, "b", "1", 300, "f1");
	commit_file(r, "b", "2", 400, "f2");
	rev_sha(r, "HEAD", tip);
	sh("git -C '%s' checkout -q main", r);
	commit_file(r, "c", "later", 500, "later on main");
	sh("git -C '%s' checkout -q feature", r);

	char *s = NULL;
	struct bl_error err = {""};
	assert_int_equal(bl_git_current_branch(r, &s, &err), 0);
	assert_string_equal(s, "feature");
	free(s);
	assert_int_equal(bl_git_default_branch(r, &s, &err), 0);
	assert_string_equal(s, "refs/heads/main");
	free(s);

	const char *args[] = {"diff"};
	struct bl_rev_selection sel = {.args = args, .n_args = 1};
	struct bl_sha_list l = {0};
	assert_int_equal(bl_revs_select(r, &sel, &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.shas[0], base);
	assert_string_equal(l.shas[1], tip);

	/* origin/HEAD wins over main when it points somewhere real. */
	sh("git -C '%s' update-ref refs/remotes/origin/trunk '%s' && "
	   "git -C '%s' symbolic-ref refs/remotes/origin/HEAD refs/remotes/origin/trunk",
	   r, one, r);
	assert_int_equal(bl_git_default_branch(r, &s, &err), 0);
	assert_string_equal(s, "refs/remotes/origin/trunk");
	free(s);
	assert_int_equal(bl_revs_select(r, &sel, &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.shas[0], one);
	sh("git -C '%s' update-ref -d refs/remotes/origin/trunk", r); /* origin/HEAD now dangles */
	assert_int_equal(bl_git_default_branch(r, &s, &err), 0);
	assert_string_equal(s, "refs/heads/main");
	free(s);

	/* On the default branch itself: one commit. */
	sh("git -C '%s' checkout -q main", r);
	assert_int_equal(bl_revs_select(r, &sel, &l, &err), 0);
	assert_int_equal(l.n, 1);

	/* Detached HEAD; master as the fallback name. */
	sh("git -C '%s' checkout -q --detach HEAD~1 && git -C '%s' branch -q -m main master", r, r);
	assert_int_equal(bl_git_current_branch(r, &s, &err), 0);
	assert_string_equal(s, "HEAD");
	free(s);
	assert_int_equal(bl_git_default_branch(r, &s, &err), 0);
	assert_string_equal(s, "refs/heads/master");
	free(s);
	sh("git -C '%s' branch -q -m master trunk && git -C '%s' branch -q -m feature other", r, r);
	assert_int_equal(bl_git_default_branch(r, &s, &err), -1);
	assert_contains(err.msg, "cannot find the default branch");
	assert_int_equal(bl_revs_select(r, &sel, &l, &err), -1);
	assert_contains(err.msg, "cannot find the default branch");

	/* Top level from a subdirectory. */
	sh("mkdir -p '%s/sub/dir'", r);
	char *subdir = bl_xasprintf("%s/sub/dir", r);
	assert_int_equal(bl_git_toplevel(subdir, &s, &err), 0);
	assert_string_equal(s, r);
	free(s);
	char *outside = scratch("outside");
	assert_int_equal(bl_git_toplevel(outside, &s, &err), -1);
	assert_contains(err.msg, "is not in a git working tree");

	/* Unrelated histories have no merge-base. */
	sh("git -C '%s' checkout -q --orphan lonely && git -C '%s' commit -q --allow-empty -m lonely && "
	   "git -C '%s' branch -q main trunk",
	   r, r, r);
	struct bl_sha_list l2 = {0};
	assert_int_equal(bl_revs_select(r, &sel, &l2, &err), -1);
	assert_string_equal(err.msg, "diff: 'refs/heads/main' and HEAD have no common ancestor");

	bl_sha_list_release(&l);
	bl_sha_list_release(&l2);
	free(subdir);
	free(outside);
	free(r);
}

static void test_empty_repo(void **state)
{
	char *r = new_repo("empty");
	struct bl_rev_selection sel = {0};
	struct bl_sha_list l = {0};
	struct bl_error err = {""};
	assert_int_equal(bl_revs_select(r, &sel, &l, &err), -1);
	char *want = bl_xasprintf("cannot resolve revision 'HEAD': repository '%s' has no commits", r);
	assert_string_equal(err.msg, want);
	free(want);
	free(r);
}

static void test_commit_info(void **state)
{
	char *r = new_repo("info");
	const char *subject = "fix <script>alert(\"x\")</script>\tand a tab & \\n 'quotes' $(x)";
	char *msg = bl_xasprintf("%s\n\nbody line\n", subject);
	char *msg_file = write_text("msg.txt", msg);
	sh("cd '%s' && echo x > x && git add x && GIT_AUTHOR_NAME='Zoë Ünïcode 日本' "
	   "GIT_AUTHOR_EMAIL='zoe@example.org' "
	   "GIT_AUTHOR_DATE='@1700000000 +0200' GIT_COMMITTER_DATE='@1700000500 +0000' git commit -q -F '%s'",
	   r, msg_file);
	free(msg);
	free(msg_file);
	char sha[41];
	rev_sha(r, "HEAD", sha);
	struct bl_commit_info ci;
	struct bl_error err = {""};
	assert_int_equal(bl_git_commit_info(r, sha, &ci, &err), 0);
	assert_string_equal(ci.sha, sha);
	assert_string_equal(ci.parents, "");
	assert_string_equal(ci.author_name, "Zoë Ünïcode 日本");
	assert_string_equal(ci.author_email, "zoe@example.org");
	assert_int_equal(ci.author_time, 1700000000);
	assert_int_equal(ci.commit_time, 1700000500);
	assert_string_equal(ci.subject, subject);
	bl_commit_info_release(&ci);

	/* A merge has both parents, first parent first. */
	assert_int_equal(bl_git_commit_info(repo, S.m, &ci, &err), 0);
	char *parents = bl_xasprintf("%s %s", S.c4, S.f2);
	assert_string_equal(ci.parents, parents);
	assert_string_equal(ci.subject, "merge feature");
	assert_int_equal(ci.commit_time, T0 + 600);
	free(parents);
	bl_commit_info_release(&ci);

	assert_int_equal(bl_git_commit_info(repo, "HEAD", &ci, &err), -1);
	assert_contains(err.msg, "not a full commit id");
	assert_int_equal(bl_git_commit_info(repo, "0123456789012345678901234567890123456789", &ci, &err), -1);
	assert_contains(err.msg, "cannot read commit '0123456789012345678901234567890123456789'");
	free(r);
}

/* ---- worktrees ---- */

static bool exists(const char *fmt, ...) BL_PRINTF(1, 2);
static bool exists(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = NULL;
	if (vasprintf(&p, fmt, ap) < 0)
		abort();
	va_end(ap);
	struct stat st;
	bool yes = lstat(p, &st) == 0;
	free(p);
	return yes;
}

static void checkout_ok(const char *r, const char *cache, int slot, const char *sha, const char *key,
			struct bl_worktree *wt)
{
	struct bl_error err = {""};
	if (bl_worktree_checkout(r, cache, slot, sha, key, wt, &err) != 0)
		fail_msg("checkout of %s failed: %s", sha, err.msg);
	assert_string_equal(wt->sha, sha);
	char *head = sh_out("git -C '%s' rev-parse HEAD", wt->path);
	assert_string_equal(head, sha);
	free(head);
}

static void test_worktree_reuse_and_build_state(void **state)
{
	char *cache = scratch("cache");
	struct bl_worktree wt = {0};
	struct bl_error err = {""};
	checkout_ok(repo, cache, 0, S.c1, "k1", &wt);
	char *want_path = bl_xasprintf("%s/worktrees/0", cache);
	assert_string_equal(wt.path, want_path);
	assert_string_equal(wt.built, "");
	char *a = sh_out("cat '%s/a.txt'", wt.path);
	assert_string_equal(a, "1");
	free(a);

	/* Reuse: same path, still one benchline worktree, no branch made. */
	checkout_ok(repo, cache, 0, S.c6, "k1", &wt);
	assert_string_equal(wt.path, want_path);
	char *count = sh_out("git -C '%s' worktree list --porcelain | grep -c '^worktree '", repo);
	assert_string_equal(count, "2");
	free(count);
	char *branches = sh_out("git -C '%s' branch --format='%%(refname)'", repo);
	assert_string_equal(branches, "refs/heads/feature\nrefs/heads/main");
	free(branches);

	/* Built once: the same commit and key come back as built, outputs kept. */
	assert_int_equal(bl_worktree_mark_built(&wt, "k1", "ok", &err), 0);
	assert_string_equal(wt.built, "ok");
	char *st = sh_out("cat '%s'", wt.state_path);
	char *want_state = bl_xasprintf("%s k1 ok", S.c6);
	assert_string_equal(st, want_state);
	free(st);
	free(want_state);
	sh("echo out > '%s/build.out' && mkdir -p '%s/build' && echo o > '%s/build/x.o'", wt.path, wt.path, wt.path);
	memset(wt.built, 0, sizeof(wt.built));
	checkout_ok(repo, cache, 0, S.c6, "k1", &wt);
	assert_string_equal(wt.built, "ok");
	assert_true(exists("%s/build.out", wt.path));
	assert_true(exists("%s/build/x.o", wt.path));

	/* Another build key: rebuild from a clean tree. */
	checkout_ok(repo, cache, 0, S.c6, "k2", &wt);
	assert_string_equal(wt.built, "");
	assert_false(exists("%s/build.out", wt.path));
	st = sh_out("cat '%s'", wt.state_path);
	want_state = bl_xasprintf("%s - pending", S.c6);
	assert_string_equal(st, want_state);
	free(st);
	free(want_state);

	/* A failed build is remembered as failed. */
	assert_int_equal(bl_worktree_mark_built(&wt, "k2", "failed", &err), 0);
	checkout_ok(repo, cache, 0, S.c6, "k2", &wt);
	assert_string_equal(wt.built, "failed");

	/* A different commit clears the build and its outputs. */
	assert_int_equal(bl_worktree_mark_built(&wt, "k1", "ok", &err), 0);
	sh("echo out > '%s/build.out'", wt.path);
	checkout_ok(repo, cache, 0, S.c1, "k1", &wt);
	assert_string_equal(wt.built, "");
	assert_false(exists("%s/build.out", wt.path));
	checkout_ok(repo, cache, 0, S.c6, "k1", &wt);
	assert_string_equal(wt.built, "");

	/* A modified tracked file means the tree is not what was built. */
	assert_int_equal(bl_worktree_mark_built(&wt, "k1", "ok", &err), 0);
	sh("echo changed > '%s/a.txt'", wt.path);
	checkout_ok(repo, cache, 0, S.c6, "k1", &wt);
	assert_string_equal(wt.built, "");
	a = sh_out("cat '%s/a.txt'", wt.path);
	assert_string_equal(a, "6");
	free(a);

	/* A crash mid-checkout leaves "pending": never read as built. */
	assert_int_equal(bl_worktree_mark_built(&wt, "k1", "ok", &err), 0);
	sh("printf '%%s - pending\\n' '%s' > '%s'", S.c6, wt.state_path);
	checkout_ok(repo, cache, 0, S.c6, "k1", &wt);
	assert_string_equal(wt.built, "");
	sh("echo garbage > '%s'", wt.state_path);
	checkout_ok(repo, cache, 0, S.c6, "k1", &wt);
	assert_string_equal(wt.built, "");

	/* Bad arguments. */
	assert_int_equal(bl_worktree_checkout(repo, cache, 0, "HEAD", "k1", &wt, &err), -1);
	assert_contains(err.msg, "not a full commit id");
	assert_int_equal(bl_worktree_checkout(repo, cache, 0, S.c6, "two words", &wt, &err), -1);
	assert_contains(err.msg, "invalid build key");
	assert_int_equal(bl_worktree_checkout(repo, cache, -1, S.c6, "k1", &wt, &err), -1);
	assert_int_equal(bl_worktree_mark_built(&wt, "k1", "pending", &err), -1);
	assert_int_equal(bl_worktree_mark_built(&wt, "k1", "a status far too long", &err), -1);
	assert_int_equal(
	    bl_worktree_checkout(repo, cache, 0, "0123456789012345678901234567890123456789", "k1", &wt, &err), -1);
	assert_contains(err.msg, "0123456789012345678901234567890123456789");
	struct bl_worktree fresh = {0};
	assert_int_equal(bl_worktree_mark_built(&fresh, "k1", "ok", &err), -1);

	/* A second slot is a second tree. */
	struct bl_worktree wt1 = {0};
	checkout_ok(repo, cache, 1, S.c3, "k1", &wt1);
	assert_string_not_equal(wt1.path, wt.path);
	bl_worktree_release(&wt1);

	bl_worktree_release(&wt);
	free(want_path);
	free(cache);
}

static void test_worktree_recovery(void **state)
{
	char *r = new_repo("recover");
	commit_file(r, "a", "1", 100, "one");
	commit_file(r, "a", "2", 200, "two");
	char one[41], two[41];
	rev_sha(r, "HEAD~1", one);
	rev_sha(r, "HEAD", two);
	sh("echo '/.cache/' > '%s/.git/info/exclude'", r);
	/* The cache inside the user's repository: a slot without .git must not
	 * let git find the user's repository above it. */
	char *cache = bl_xasprintf("%s/.cache", r);
	struct bl_worktree wt = {0};
	struct bl_error err = {""};
	checkout_ok(r, cache, 0, one, "k", &wt);
	assert_int_equal(bl_worktree_mark_built(&wt, "k", "ok", &err), 0);
	sh("rm '%s/.git' && echo junk > '%s/junk'", wt.path, wt.path);
	checkout_ok(r, cache, 0, one, "k", &wt);
	assert_string_equal(wt.built, "");
	assert_false(exists("%s/junk", wt.path));
	char *user_head = sh_out("git -C '%s' rev-parse HEAD", r);
	assert_string_equal(user_head, two);
	free(user_head);
	char *status = sh_out("git -C '%s' --no-optional-locks status --porcelain", r);
	assert_string_equal(status, "");
	free(status);

	/* Metadata gone from the user's .git (a pruned worktree). */
	sh("rm -rf '%s/.git/worktrees'", r);
	checkout_ok(r, cache, 0, two, "k", &wt);

	/* A symlink in the slot's place pointing outside: removed, not followed. */
	char *outside = scratch("outside");
	sh("echo keep > '%s/precious' && rm -rf '%s' && ln -s '%s' '%s'", outside, wt.path, outside, wt.path);
	checkout_ok(r, cache, 0, one, "k", &wt);
	assert_true(exists("%s/precious", outside));
	struct stat st;
	assert_int_equal(lstat(wt.path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));

	/* A worktree of another repository in the slot. */
	char *other = new_repo("other");
	commit_file(other, "o", "o", 100, "other");
	sh("rm -rf '%s' && git -C '%s' worktree add -q --detach '%s'", wt.path, other, wt.path);
	checkout_ok(r, cache, 0, two, "k", &wt);
	assert_false(exists("%s/o", wt.path));

	/* The user's own worktree on a disk that is not mounted now keeps its
	 * registration while benchline rebuilds its slot. */
	char *away = scratch("away");
	sh("git -C '%s' worktree add -q --detach '%s/wt' && rm -rf '%s/wt' && rm -rf '%s'", r, away, away, wt.path);
	checkout_ok(r, cache, 0, two, "k", &wt);
	char *listed = sh_out("git -C '%s' worktree list --porcelain | grep -c '^worktree '", r);
	assert_string_equal(listed, "3");
	free(listed);
	free(away);

	/* A stale index.lock: the slot is rebuilt rather than failing. */
	char *admin = sh_out("git -C '%s' rev-parse --absolute-git-dir", wt.path);
	sh("touch '%s/index.lock'", admin);
	checkout_ok(r, cache, 0, one, "k", &wt);
	free(admin);

	bl_worktree_release(&wt);
	free(outside);
	free(other);
	free(cache);
	free(r);
}

/*
 * Another process adding a worktree to the same repository (a second
 * benchline worker on one clone) leaves .git/worktrees/<id> half written
 * for a moment, and `git worktree add` dies reading it: the add is tried
 * again instead of failing the commit. Here the half-made entry (an empty
 * commondir) is removed 0.3 s after the checkout starts.
 */
static void test_worktree_add_beside_another(void **state)
{
	(void)state;
	char *r = new_repo("beside");
	commit_file(r, "a", "1", 100, "one");
	char one[41];
	rev_sha(r, "HEAD", one);
	char *cache = scratch("beside-cache");
	sh("mkdir -p '%s/.git/worktrees/zz' && echo '%s/zz/.git' > '%s/.git/worktrees/zz/gitdir' && "
	   ": > '%s/.git/worktrees/zz/commondir'",
	   r, cache, r, r);
	char *out = sh_out("git -C '%s' worktree add -q --detach '%s/probe' 2>&1; echo rc=$?", r, cache);
	assert_non_null(strstr(out, "rc=128"));
	free(out);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		usleep(300000);
		char *zz = bl_xasprintf("%s/.git/worktrees/zz", r);
		execlp("rm", "rm", "-rf", zz, (char *)NULL);
		_exit(127);
	}
	struct bl_worktree wt = {0};
	checkout_ok(r, cache, 0, one, "k", &wt);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	bl_worktree_release(&wt);
	free(cache);
	free(r);
}

static void test_worktree_submodule(void **state)
{
	char *sub = new_repo("sub");
	commit_file(sub, "s.txt", "s1", 100, "s1");
	char *super = new_repo("super");
	commit_file(super, "top.txt", "t", 100, "top");
	sh("cd '%s' && git -c protocol.file.allow=always submodule add -q '%s' sm && "
	   "GIT_AUTHOR_DATE='@%lld +0000' GIT_COMMITTER_DATE='@%lld +0000' git commit -q -m sm",
	   super, sub, T0 + 200, T0 + 200);
	commit_file(sub, "s.txt", "s2", 300, "s2");
	sh("cd '%s/sm' && git pull -q && cd .. && git add sm && GIT_AUTHOR_DATE='@%lld +0000' "
	   "GIT_COMMITTER_DATE='@%lld +0000' git commit -q -m bump",
	   super, T0 + 400, T0 + 400);
	char first[41], second[41];
	rev_sha(super, "HEAD~1", first);
	rev_sha(super, "HEAD", second);

	char *cache = scratch("subcache");
	struct bl_worktree wt = {0};
	checkout_ok(super, cache, 0, first, "k", &wt);
	char *s = sh_out("cat '%s/sm/s.txt'", wt.path);
	assert_string_equal(s, "s1");
	free(s);
	sh("echo junk > '%s/sm/junk.o'", wt.path);
	checkout_ok(super, cache, 0, second, "k", &wt);
	s = sh_out("cat '%s/sm/s.txt'", wt.path);
	assert_string_equal(s, "s2");
	free(s);
	assert_false(exists("%s/sm/junk.o", wt.path));
	bl_worktree_release(&wt);
	free(cache);
	free(sub);
	free(super);
}

static void test_overlay(void **state)
{
	char *r = new_repo("overlay");
	sh("cd '%s' && mkdir -p bench tools && echo old > bench/run.sh && echo gone > bench/old.txt && "
	   "ln -s /tmp tools/escape && git add -A && git commit -q -m base",
	   r);
	char sha[41];
	rev_sha(r, "HEAD", sha);
	/* The user's uncommitted state: a modified executable, a new file, a
	 * symlink and a nested directory. */
	sh("cd '%s' && rm bench/old.txt && echo new > bench/run.sh && chmod 755 bench/run.sh && "
	   "echo untracked > bench/new.txt && ln -s run.sh bench/link && mkdir -p bench/deep/er && "
	   "echo d > bench/deep/er/f && echo cfg > cfg",
	   r);
	char *cache = scratch("ovcache");
	struct bl_worktree wt = {0};
	struct bl_error err = {""};
	checkout_ok(r, cache, 0, sha, "k", &wt);

	struct bl_strvec paths;
	bl_strvec_init(&paths);
	bl_strvec_push(&paths, "bench");
	bl_strvec_push(&paths, "./cfg");
	assert_int_equal(bl_worktree_overlay(r, &wt, &paths, &err), 0);
	char *s = sh_out("cat '%s/bench/run.sh' '%s/bench/new.txt' '%s/bench/deep/er/f' '%s/cfg'", wt.path, wt.path,
			 wt.path, wt.path);
	assert_string_equal(s, "new\nuntracked\nd\ncfg");
	free(s);
	assert_false(exists("%s/bench/old.txt", wt.path));
	struct stat st;
	char *p = bl_xasprintf("%s/bench/run.sh", wt.path);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
	free(p);
	p = bl_xasprintf("%s/bench/link", wt.path);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	char target[64] = "";
	assert_int_equal(readlink(p, target, sizeof(target) - 1), 6);
	assert_string_equal(target, "run.sh");
	free(p);

	/* A committed symlink in the way is replaced, never followed. */
	char *outside = scratch("ov-outside");
	sh("rm '%s/tools/escape' && ln -s '%s' '%s/tools/escape' && rm '%s/tools/escape' && mkdir '%s/tools/escape' && "
	   "echo user > '%s/tools/escape/f'",
	   wt.path, outside, wt.path, r, r, r);
	bl_strvec_release(&paths);
	bl_strvec_init(&paths);
	bl_strvec_push(&paths, "tools/escape/f");
	assert_int_equal(bl_worktree_overlay(r, &wt, &paths, &err), 0);
	assert_false(exists("%s/f", outside));
	s = sh_out("cat '%s/tools/escape/f'", wt.path);
	assert_string_equal(s, "user");
	free(s);

	/* Refused paths change nothing, even when listed after good ones. */
	const char *refused[][2] = {
	    {"../x", "'..' is not allowed"},
	    {"bench/../../x", "'..' is not allowed"},
	    {"/etc/passwd", "must be relative"},
	    {".git", "'.git' is not allowed"},
	    {"sub/.git/config", "'.git' is not allowed"},
	    {".", "names the repository root"},
	    {"", "empty path"},
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		bl_strvec_release(&paths);
		bl_strvec_init(&paths);
		bl_strvec_push(&paths, "cfg");
		bl_strvec_push(&paths, refused[i][0]);
		sh("rm -f '%s/cfg'", wt.path);
		assert_int_equal(bl_worktree_overlay(r, &wt, &paths, &err), -1);
		assert_contains(err.msg, refused[i][1]);
		assert_false(exists("%s/cfg", wt.path));
	}
	bl_strvec_release(&paths);
	bl_strvec_init(&paths);
	bl_strvec_push(&paths, "no/such/file");
	assert_int_equal(bl_worktree_overlay(r, &wt, &paths, &err), -1);
	assert_contains(err.msg, "cannot overlay 'no/such/file'");
	assert_contains(err.msg, "No such file or directory");

	/* A fresh checkout of the same commit undoes the overlay. */
	checkout_ok(r, cache, 0, sha, "k", &wt);
	s = sh_out("cat '%s/bench/run.sh'", wt.path);
	assert_string_equal(s, "old");
	free(s);
	assert_false(exists("%s/bench/new.txt", wt.path));

	struct bl_worktree empty = {0};
	assert_int_equal(bl_worktree_overlay(r, &empty, &paths, &err), -1);
	bl_strvec_release(&paths);
	bl_worktree_release(&wt);
	free(outside);
	free(cache);
	free(r);
}

/* Everything about the user's repository that benchline promises to leave alone. */
static char *snapshot(const char *r)
{
	return sh_out("cd '%s' && { find . -path ./.git -prune -o -print | LC_ALL=C sort; "
		      "find . -path ./.git -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; "
		      "find . -path ./.git -prune -o -type f -perm -u+x -print | LC_ALL=C sort; "
		      "sha256sum .git/index; cat .git/HEAD; git rev-parse HEAD; "
		      "git for-each-ref --format='%%(refname) %%(objectname)'; git stash list; git branch -a; "
		      "git --no-optional-locks status --porcelain=v1 --untracked-files=all; } 2>&1",
		      r);
}

static void test_user_tree_untouched(void **state)
{
	char *r = new_repo("user");
	commit_file(r, "src/a.c", "int a;", 100, "one");
	commit_file(r, "bench/run.sh", "v1", 200, "two");
	sh("cd '%s' && git checkout -q -b work && echo wip > src/a.c && echo staged > src/b.c && git add src/b.c && "
	   "echo stash-me > bench/run.sh && git stash -q && echo dirty > bench/run.sh && chmod +x bench/run.sh && "
	   "echo new > untracked.txt && mkdir -p build && echo o > build/ignored.o && echo build/ > .gitignore",
	   r);
	char *before = snapshot(r);

	char *cache = scratch("usercache");
	struct bl_rev_selection sel = {0};
	const char *args[] = {"HEAD~1..HEAD", "diff", "main"};
	sel.args = args;
	sel.n_args = 3;
	struct bl_sha_list l = {0};
	struct bl_error err = {""};
	assert_int_equal(bl_revs_select(r, &sel, &l, &err), 0);
	/* Even with a git environment that points at the user's index. */
	char *index = bl_xasprintf("%s/.git/index", r);
	char *gitdir = bl_xasprintf("%s/.git", r);
	setenv("GIT_INDEX_FILE", index, 1);
	setenv("GIT_DIR", gitdir, 1);
	setenv("GIT_WORK_TREE", r, 1);
	struct bl_worktree wt = {0};
	struct bl_strvec paths;
	bl_strvec_init(&paths);
	bl_strvec_push(&paths, "bench");
	bl_strvec_push(&paths, "untracked.txt");
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < l.n; i++) {
			if (bl_worktree_checkout(r, cache, 0, l.shas[i], "k", &wt, &err) != 0)
				fail_msg("%s", err.msg);
			assert_int_equal(bl_worktree_overlay(r, &wt, &paths, &err), 0);
			assert_int_equal(bl_worktree_mark_built(&wt, "k", "ok", &err), 0);
		}
	}
	unsetenv("GIT_INDEX_FILE");
	unsetenv("GIT_DIR");
	unsetenv("GIT_WORK_TREE");
	char *after = snapshot(r);
	assert_string_equal(before, after);

	bl_strvec_release(&paths);
	bl_worktree_release(&wt);
	bl_sha_list_release(&l);
	free(index);
	free(gitdir);
	free(before);
	free(after);
	free(cache);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_resolve),
	    cmocka_unit_test(test_hostile_revs),
	    cmocka_unit_test(test_ranges),
	    cmocka_unit_test(test_single_revs_dedup_order),
	    cmocka_unit_test(test_every_max_since),
	    cmocka_unit_test(test_clock_skew),
	    cmocka_unit_test(test_from_file),
	    cmocka_unit_test(test_diff_and_branches),
	    cmocka_unit_test(test_empty_repo),
	    cmocka_unit_test(test_commit_info),
	    cmocka_unit_test(test_worktree_reuse_and_build_state),
	    cmocka_unit_test(test_worktree_recovery),
	    cmocka_unit_test(test_worktree_add_beside_another),
	    cmocka_unit_test(test_worktree_submodule),
	    cmocka_unit_test(test_overlay),
	    cmocka_unit_test(test_user_tree_untouched),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
