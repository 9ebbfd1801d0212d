/*
 * revs.c - turns what the user typed after `benchline run` (revisions,
 * ranges, the word "diff", a file of revisions) into a list of full SHAs.
 *
 * Order of work, so that nothing runs on a selection with a bad entry:
 *   1. every argument and file line is parsed and syntax-checked;
 *   2. all names are resolved in one `git cat-file --batch-check`;
 *   3. ranges are expanded (`git rev-list --reverse`), "diff" becomes the
 *      merge-base of the default branch and HEAD, then HEAD;
 *   4. duplicates are dropped (first occurrence kept);
 *   5. one `git rev-list --no-walk=sorted --parents [--since]` filters by
 *      committer date and sorts the whole set by committer date; parent links
 *      inside the set then move any parent before its children, so clock skew
 *      never puts a commit before its parent (ranges are always consistent;
 *      commits on unrelated lines are ordered by committer date); then one
 *      `git rev-list --date-order --reverse` over their history puts
 *      ancestors first even across unselected commits (equal commit times);
 *   6. `every` and `max_count` thin the result, counting from the newest.
 */
#include "git_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void bl_sha_list_release(struct bl_sha_list *l)
{
	free(l->shas);
	l->shas = NULL;
	l->n = l->cap = 0;
}

void bl_sha_list_push(struct bl_sha_list *l, const char *sha)
{
	BL_GROW(l->shas, l->cap, l->n + 1);
	snprintf(l->shas[l->n], BL_SHA_HEX + 1, "%s", sha);
	l->n++;
}

/* Splits off the next line of a buffer in place; NULL at the end. */
static char *next_line(char **cursor)
{
	char *line = *cursor;
	if (!*line)
		return NULL;
	char *nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*cursor = nl + 1;
	} else {
		*cursor = line + strlen(line);
	}
	return line;
}

enum spec_kind { SPEC_SINGLE, SPEC_RANGE, SPEC_DIFF };

/* One argument or file line. name[] index into the batch of names to resolve. */
struct spec {
	enum spec_kind kind;
	const char *text; /* as typed (owned by the caller or by the file buffer) */
	char *label;	  /* "FILE:LINE" for file lines, NULL for arguments */
	size_t name[2];	  /* SINGLE: name[0]; RANGE: from, to; DIFF: default branch, HEAD */
};

struct selection_work {
	struct spec *specs;
	size_t n_specs, cap_specs;
	struct bl_strvec names; /* names to resolve, in one batch */
	char *file_text;	/* contents of from_file; specs point into it */
};

static void work_release(struct selection_work *w)
{
	for (size_t i = 0; i < w->n_specs; i++)
		free(w->specs[i].label);
	free(w->specs);
	bl_strvec_release(&w->names);
	free(w->file_text);
}

static int spec_fail(const struct spec *s, struct bl_error *err)
{
	return s->label ? bl_error_prefix(err, "%s", s->label) : -1;
}

static size_t add_name(struct selection_work *w, const char *name, size_t len)
{
	bl_strvec_push_owned(&w->names, bl_xstrndup(name, len));
	return w->names.n - 1;
}

/* Parses one argument or line; default_branch is looked up on first need. */
static int add_spec(const char *repo, struct selection_work *w, const char *text, char *label, char **default_branch,
		    struct bl_error *err)
{
	BL_GROW(w->specs, w->cap_specs, w->n_specs + 1);
	struct spec *s = &w->specs[w->n_specs++];
	*s = (struct spec){.text = text, .label = label};
	const char *dots = strstr(text, "..");
	if (!strcmp(text, "diff")) {
		s->kind = SPEC_DIFF;
		if (!*default_branch && bl_git_default_branch(repo, default_branch, err) != 0)
			return spec_fail(s, err);
		s->name[0] = add_name(w, *default_branch, strlen(*default_branch));
		s->name[1] = add_name(w, "HEAD", 4);
	} else if (dots && text[0] != '-') {
		if (strstr(text, "...")) {
			bl_fail(err, "invalid range '%s': symmetric differences (A...B) are not supported, use A..B",
				text);
			return spec_fail(s, err);
		}
		/* Like git, an empty end means HEAD: "A.." is A..HEAD. */
		s->kind = SPEC_RANGE;
		size_t from_len = (size_t)(dots - text);
		s->name[0] = from_len ? add_name(w, text, from_len) : add_name(w, "HEAD", 4);
		s->name[1] = dots[2] ? add_name(w, dots + 2, strlen(dots + 2)) : add_name(w, "HEAD", 4);
	} else {
		s->kind = SPEC_SINGLE;
		s->name[0] = add_name(w, text, strlen(text));
	}
	return 0;
}

static int read_all_stdin(struct bl_buf *b, struct bl_error *err)
{
	char chunk[65536];
	for (;;) {
		ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return bl_fail_errno(err, errno, "cannot read revisions from standard input");
		if (n == 0)
			return 0;
		bl_buf_append(b, chunk, (size_t)n);
	}
}

/* One revision per line; blank lines and lines starting with '#' are skipped. */
static int add_file_specs(const char *repo, struct selection_work *w, const char *path, char **default_branch,
			  struct bl_error *err)
{
	bool is_stdin = !strcmp(path, "-");
	const char *shown = is_stdin ? "<stdin>" : path;
	struct bl_buf b;
	bl_buf_init(&b);
	if ((is_stdin ? read_all_stdin(&b, err) : bl_read_file(path, &b, err)) != 0) {
		bl_buf_release(&b);
		return -1;
	}
	if (memchr(b.data, '\0', b.len)) {
		bl_buf_release(&b);
		return bl_fail(err, "%s: not a text file (it contains NUL bytes)", shown);
	}
	w->file_text = bl_buf_detach(&b);
	size_t lineno = 0;
	char *cursor = w->file_text, *line;
	while ((line = next_line(&cursor)) != NULL) {
		lineno++;
		char *end = line + strlen(line);
		while (*line == ' ' || *line == '\t')
			line++;
		while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			*--end = '\0';
		if (*line && *line != '#' &&
		    add_spec(repo, w, line, bl_xasprintf("%s:%zu", shown, lineno), default_branch, err) != 0)
			return -1;
	}
	return 0;
}

/* Expands one range with rev-list; an empty range is a mistake worth saying. */
static int expand_range(const char *repo, const struct spec *s, const char *from, const char *to, bool first_parent,
			struct bl_sha_list *out, struct bl_error *err)
{
	char *not_from = bl_xasprintf("^%s", from);
	const char *args[] = {"rev-list", "--reverse", not_from, to, first_parent ? "--first-parent" : NULL, NULL};
	struct bl_git_cmd cmd = {.dir = repo};
	struct bl_buf buf;
	bl_buf_init(&buf);
	int rc = bl_git_ok(&cmd, args, &buf, err, "cannot expand range '%s'", s->text);
	free(not_from);
	size_t before = out->n;
	char *cursor = buf.data, *line;
	while (rc == 0 && (line = next_line(&cursor)) != NULL) {
		if (!bl_git_is_sha(line)) {
			rc = bl_fail(err, "cannot expand range '%s': unexpected output from git rev-list", s->text);
			break;
		}
		bl_sha_list_push(out, line);
	}
	bl_buf_release(&buf);
	if (rc == 0 && out->n == before)
		rc = bl_fail(err, "range '%s' selects no commits", s->text);
	return rc == 0 ? 0 : spec_fail(s, err);
}

static int expand_diff(const char *repo, const struct spec *s, const char *base_name, const char *base,
		       const char *head, struct bl_sha_list *out, struct bl_error *err)
{
	const char *args[] = {"merge-base", base, head, NULL};
	struct bl_git_cmd cmd = {.dir = repo};
	struct bl_buf buf, errout;
	bl_buf_init(&buf);
	bl_buf_init(&errout);
	int rc = bl_git_exec(&cmd, args, &buf, &errout, err);
	bl_buf_rtrim(&buf);
	if (rc == 1 && errout.len == 0)
		rc = bl_fail(err, "diff: '%s' and HEAD have no common ancestor", base_name);
	else if (rc > 0)
		rc = bl_git_fail(err, &errout, rc, "diff: cannot find the merge-base of '%s' and HEAD", base_name);
	else if (rc == 0 && !bl_git_is_sha(buf.data))
		rc = bl_fail(err, "diff: unexpected output from git merge-base");
	if (rc == 0) {
		bl_sha_list_push(out, buf.data);
		if (strcmp(buf.data, head) != 0)
			bl_sha_list_push(out, head);
	}
	bl_buf_release(&buf);
	bl_buf_release(&errout);
	return rc == 0 ? 0 : spec_fail(s, err);
}

static int cmp_sha_idx(const void *a, const void *b, void *ctx)
{
	const struct bl_sha_list *l = ctx;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	int c = memcmp(l->shas[ia], l->shas[ib], BL_SHA_HEX);
	return c ? c : (ia > ib) - (ia < ib);
}

/* Keeps the first occurrence of each SHA, in place. */
static void dedup(struct bl_sha_list *l)
{
	if (l->n < 2)
		return;
	size_t *idx = bl_xmalloc(l->n * sizeof(*idx));
	bool *drop = bl_xcalloc(l->n, sizeof(*drop));
	for (size_t i = 0; i < l->n; i++)
		idx[i] = i;
	qsort_r(idx, l->n, sizeof(*idx), cmp_sha_idx, l);
	for (size_t i = 1; i < l->n; i++)
		if (!memcmp(l->shas[idx[i]], l->shas[idx[i - 1]], BL_SHA_HEX))
			drop[idx[i]] = true; /* the sort put the first occurrence first */
	size_t k = 0;
	for (size_t i = 0; i < l->n; i++)
		if (!drop[i])
			memmove(l->shas[k++], l->shas[i], BL_SHA_HEX + 1);
	l->n = k;
	free(idx);
	free(drop);
}

/* A commit of the filtered set with its parent list (into rev-list's output). */
struct node {
	const char *sha;
	const char *parents; /* space-separated, may name commits outside the set */
	int state;	     /* 0 not seen, 1 on the DFS stack, 2 emitted */
};

static int cmp_node_sha(const void *a, const void *b)
{
	return memcmp((*(const struct node *const *)a)->sha, (*(const struct node *const *)b)->sha, BL_SHA_HEX);
}

static struct node *find_node(struct node **by_sha, size_t n, const char *sha)
{
	struct node key = {.sha = sha}, *kp = &key;
	struct node **hit = bsearch(&kp, by_sha, n, sizeof(*by_sha), cmp_node_sha);
	return hit ? *hit : NULL;
}

/* Emits nodes (given oldest first by date) so that parents precede children:
 * an iterative depth-first walk over parent links, in date order. */
static void topo_fix(struct node *nodes, size_t n, struct bl_sha_list *out)
{
	struct node **by_sha = bl_xmalloc(n * sizeof(*by_sha));
	struct node **stack = bl_xmalloc(n * sizeof(*stack));
	for (size_t i = 0; i < n; i++)
		by_sha[i] = &nodes[i];
	qsort(by_sha, n, sizeof(*by_sha), cmp_node_sha);
	for (size_t i = 0; i < n; i++) {
		if (nodes[i].state)
			continue;
		size_t sp = 0;
		stack[sp++] = &nodes[i];
		nodes[i].state = 1;
		while (sp) {
			struct node *top = stack[sp - 1];
			struct node *next = NULL;
			/* parents is consumed as we go: each parent is looked at once */
			while (!next && top->parents && *top->parents) {
				const char *p = top->parents;
				while (*p == ' ')
					p++;
				if (strlen(p) < BL_SHA_HEX)
					break;
				struct node *cand = find_node(by_sha, n, p);
				top->parents = p + BL_SHA_HEX;
				if (cand && cand->state == 0)
					next = cand;
			}
			if (next) {
				next->state = 1;
				stack[sp++] = next;
				continue;
			}
			sp--;
			top->state = 2;
			bl_sha_list_push(out, top->sha);
		}
	}
	free(by_sha);
	free(stack);
}

static void explain_since(const char *repo, const char *since, struct bl_error *err)
{
	char *opt = bl_xasprintf("--since=%s", since);
	const char *args[] = {"rev-parse", opt, NULL};
	struct bl_git_cmd cmd = {.dir = repo};
	struct bl_buf out;
	bl_buf_init(&out);
	int64_t t;
	if (bl_git_exec(&cmd, args, &out, NULL, NULL) == 0 && !strncmp(out.data, "--max-age=", 10)) {
		bl_buf_rtrim(&out);
		if (bl_parse_int64(out.data + 10, &t) == 0) {
			char when[32];
			bl_format_utc(t, when);
			bl_fail(err, "no selected commit is newer than --since '%s' (read as %s)", since, when);
		}
	}
	bl_buf_release(&out);
	free(opt);
}

/* Reorders l by ancestry: `git rev-list --date-order` over the selection's
 * history puts every ancestor before its descendants even when they are not
 * adjacent in the selection (parent links inside the set cannot see that
 * through an unselected commit), and falls back to dates otherwise. Ties in
 * commit time (rebased or scripted history) are common enough to matter. */
static int cmp_sha(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int ancestry_order(const char *repo, struct bl_sha_list *l, struct bl_error *err)
{
	if (l->n < 2)
		return 0;
	static const char *const args[] = {"rev-list", "--stdin", "--date-order", "--reverse", NULL};
	struct bl_buf input, buf;
	bl_buf_init(&input);
	bl_buf_init(&buf);
	for (size_t i = 0; i < l->n; i++)
		bl_buf_printf(&input, "%s\n", l->shas[i]);
	struct bl_git_cmd cmd = {.dir = repo, .in = input.data, .in_len = input.len};
	int rc = bl_git_ok(&cmd, args, &buf, err, "cannot order the selected commits");
	if (rc == 0) {
		/* Selected SHAs sorted, to find each walked commit's place quickly. */
		struct bl_sha_list sorted = {0};
		for (size_t i = 0; i < l->n; i++)
			bl_sha_list_push(&sorted, l->shas[i]);
		qsort(sorted.shas, sorted.n, sizeof(sorted.shas[0]), cmp_sha);
		struct bl_sha_list ordered = {0};
		char *cursor = buf.data, *line;
		while ((line = next_line(&cursor)) != NULL)
			if (bsearch(line, sorted.shas, sorted.n, sizeof(sorted.shas[0]), cmp_sha))
				bl_sha_list_push(&ordered, line);
		if (ordered.n == l->n) {
			memcpy(l->shas, ordered.shas, l->n * sizeof(l->shas[0]));
		}
		bl_sha_list_release(&ordered);
		bl_sha_list_release(&sorted);
	}
	bl_buf_release(&input);
	bl_buf_release(&buf);
	return rc;
}

/* Filters by --since and orders the set oldest first (see the top comment). */
static int order_and_filter(const char *repo, const struct bl_sha_list *in, const char *since, struct bl_sha_list *out,
			    struct bl_error *err)
{
	char *since_opt = since ? bl_xasprintf("--since=%s", since) : NULL;
	const char *args[] = {"rev-list", "--stdin", "--no-walk=sorted", "--parents", since_opt, NULL};
	struct bl_buf input, buf;
	bl_buf_init(&input);
	bl_buf_init(&buf);
	/* Fed newest-first: git's date sort is stable and we reverse its output,
	 * so commits with equal dates keep the order in which they were selected. */
	for (size_t i = in->n; i-- > 0;)
		bl_buf_printf(&input, "%s\n", in->shas[i]);
	struct bl_git_cmd cmd = {.dir = repo, .in = input.data, .in_len = input.len};
	int rc = bl_git_ok(&cmd, args, &buf, err, "cannot sort the selected commits");
	free(since_opt);
	bl_buf_release(&input);
	struct node *nodes = NULL;
	size_t n = 0, cap = 0;
	char *cursor = buf.data, *line;
	while (rc == 0 && (line = next_line(&cursor)) != NULL) {
		char *rest = line + strnlen(line, BL_SHA_HEX);
		const char *parents = "";
		if (rest != line + BL_SHA_HEX || (*rest && *rest != ' ')) {
			rc = bl_fail(err, "cannot sort the selected commits: unexpected output from git rev-list");
			break;
		}
		if (*rest) {
			*rest = '\0';
			parents = rest + 1;
		}
		BL_GROW(nodes, cap, n + 1);
		nodes[n++] = (struct node){.sha = line, .parents = parents};
	}
	if (rc == 0) {
		/* rev-list printed newest first */
		for (size_t i = 0; i < n / 2; i++) {
			struct node t = nodes[i];
			nodes[i] = nodes[n - 1 - i];
			nodes[n - 1 - i] = t;
		}
		topo_fix(nodes, n, out);
		rc = ancestry_order(repo, out, err);
		if (rc == 0 && out->n == 0 && since) {
			rc = bl_fail(err, "no selected commit is newer than --since '%s'", since);
			explain_since(repo, since, err);
		} else if (rc == 0 && out->n == 0) {
			rc = bl_fail(err, "no commits selected");
		}
	}
	free(nodes);
	bl_buf_release(&buf);
	return rc;
}

/* Keeps the newest commit and every Nth one going back, then the newest max. */
static void thin(struct bl_sha_list *l, int every, int max_count)
{
	size_t k = 0;
	for (size_t i = 0; i < l->n; i++)
		if ((l->n - 1 - i) % (size_t)every == 0)
			memmove(l->shas[k++], l->shas[i], BL_SHA_HEX + 1);
	l->n = k;
	if (max_count > 0 && l->n > (size_t)max_count) {
		size_t skip = l->n - (size_t)max_count;
		memmove(l->shas, l->shas + skip, (size_t)max_count * sizeof(*l->shas));
		l->n = (size_t)max_count;
	}
}

int bl_revs_select(const char *repo, const struct bl_rev_selection *sel, struct bl_sha_list *out, struct bl_error *err)
{
	int every = sel->every ? sel->every : 1;
	if (every < 1)
		return bl_fail(err, "invalid --every %d: must be 1 or more", sel->every);
	if (sel->max_count < 0)
		return bl_fail(err, "invalid --max-count %d: must be 0 (no limit) or more", sel->max_count);
	if (sel->since && !*sel->since)
		return bl_fail(err, "invalid --since '': empty date");

	struct selection_work w = {0};
	bl_strvec_init(&w.names);
	char *default_branch = NULL;
	struct bl_sha_list all = {0};
	char(*shas)[BL_SHA_HEX + 1] = NULL;
	int rc = -1;

	for (size_t i = 0; i < sel->n_args; i++)
		if (add_spec(repo, &w, sel->args[i], NULL, &default_branch, err) != 0)
			goto out;
	if (sel->from_file && add_file_specs(repo, &w, sel->from_file, &default_branch, err) != 0)
		goto out;
	if (w.n_specs == 0) {
		if (sel->from_file) {
			bl_fail(err, "%s: no revisions in the file",
				!strcmp(sel->from_file, "-") ? "<stdin>" : sel->from_file);
			goto out;
		}
		add_spec(repo, &w, "HEAD", NULL, &default_branch, err);
	}

	shas = bl_xcalloc(w.names.n, sizeof(*shas));
	size_t bad = 0;
	if (bl_git_resolve_many(repo, (const char *const *)w.names.v, w.names.n, shas, &bad, err) != 0) {
		for (size_t i = 0; i < w.n_specs && bad < w.names.n; i++) {
			const struct spec *s = &w.specs[i];
			bool owns = s->name[0] == bad || (s->kind != SPEC_SINGLE && s->name[1] == bad);
			if (owns) {
				spec_fail(s, err);
				break;
			}
		}
		goto out;
	}

	for (size_t i = 0; i < w.n_specs; i++) {
		const struct spec *s = &w.specs[i];
		int r = 0;
		if (s->kind == SPEC_SINGLE)
			bl_sha_list_push(&all, shas[s->name[0]]);
		else if (s->kind == SPEC_RANGE)
			r = expand_range(repo, s, shas[s->name[0]], shas[s->name[1]], sel->first_parent, &all, err);
		else
			r = expand_diff(repo, s, default_branch, shas[s->name[0]], shas[s->name[1]], &all, err);
		if (r != 0)
			goto out;
	}
	dedup(&all);

	struct bl_sha_list ordered = {0};
	if (order_and_filter(repo, &all, sel->since, &ordered, err) != 0) {
		bl_sha_list_release(&ordered);
		goto out;
	}
	thin(&ordered, every, sel->max_count);
	bl_sha_list_release(out);
	*out = ordered;
	rc = 0;
out:
	free(shas);
	free(default_branch);
	bl_sha_list_release(&all);
	work_release(&w);
	return rc;
}

int bl_git_first_parent_history(const char *repo, const char *sha, struct bl_sha_list *out, struct bl_error *err)
{
	out->n = 0;
	if (!bl_git_is_sha(sha))
		return bl_fail(err, "internal: history of '%.60s', which is not a full SHA", sha);
	const char *args[] = {"rev-list", "--first-parent", "--reverse", sha, NULL};
	struct bl_git_cmd cmd = {.dir = repo};
	struct bl_buf buf;
	bl_buf_init(&buf);
	int rc = bl_git_ok(&cmd, args, &buf, err, "cannot list the history of %.12s", sha);
	char *cursor = buf.data, *line;
	while (rc == 0 && (line = next_line(&cursor)) != NULL) {
		if (!bl_git_is_sha(line)) {
			rc = bl_fail(err, "cannot list the history of %.12s: unexpected output from git rev-list", sha);
			break;
		}
		bl_sha_list_push(out, line);
	}
	bl_buf_release(&buf);
	return rc;
}
