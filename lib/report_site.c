/* report_site.c - the directory a report is written to (report.h).
 *
 * A directory may take a report when it is new, empty, or holds an earlier
 * report (its index.html names benchline as generator). Only the entries a
 * report writes are ever replaced or removed: a CNAME, a README or the .git
 * of a publishing branch beside them stay.
 *
 * `benchline report` writes its site aside, into DIR/.benchline-new (the
 * same file system, so moving is renaming), and then swaps each of its
 * entries into place, the index last (renameat2 RENAME_EXCHANGE; where the
 * file system cannot exchange, two renames). The previous entries end up in
 * the staging directory, removed with it. Readers of DIR (a web server, a
 * browser tab) see the old site or the new one, never a half-written one,
 * and a report that fails or is killed while writing leaves the previous
 * site as it was; the next report removes the stale staging directory. A
 * move that fails part-way puts back the moves made before it. A
 * lock on DIR (flock of the directory) keeps two reports from writing into
 * it at once. */
#include "report_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAGING ".benchline-new"

/* What a report writes, in the order a finished site is moved in: pages that
 * link to others after what they link to, the index last. */
static const char *const OURS[] = {"assets", "commits.js", "runs", "series", "svg", "png", "compare.html", "index.html"};
#define N_OURS (sizeof(OURS) / sizeof(OURS[0]))

int bl_report_dir_check(const char *dir, bool *exists, struct bl_error *err)
{
	struct stat st;
	*exists = false;
	if (stat(dir, &st) != 0) {
		if (errno != ENOENT)
			return bl_fail_errno(err, errno, "cannot use '%s'", dir);
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return bl_fail(err, "cannot write the report into '%s': not a directory", dir);
	*exists = true;
	DIR *d = opendir(dir);
	if (!d)
		return bl_fail_errno(err, errno, "cannot read directory '%s'", dir);
	/* Empty, or a report killed while moving its site in: only what reports write, beside the staging
	 * directory (without it, a lone assets/ may well be someone else's). */
	bool empty = true, only_ours = true, staging = false;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!strcmp(e->d_name, STAGING)) {
			staging = true;
			continue;
		}
		empty = false;
		bool ours = false;
		for (size_t i = 0; i < N_OURS && !ours; i++)
			ours = !strcmp(e->d_name, OURS[i]);
		only_ours = only_ours && ours;
	}
	closedir(d);
	if (empty || (staging && only_ours))
		return 0;
	char *index = bl_xasprintf("%s/index.html", dir);
	struct bl_buf text;
	bl_buf_init(&text);
	struct bl_error ignored = {{0}};
	bool ours = bl_read_file(index, &text, &ignored) == 0 && text.data &&
		    strstr(text.data, "<meta name=\"generator\" content=\"benchline");
	bl_buf_release(&text);
	free(index);
	if (!ours)
		return bl_fail(err, "cannot write the report into '%s': the directory is not empty and holds no earlier "
				    "benchline report (choose a new or empty directory)",
			       dir);
	return 0;
}

int bl_report_dir_clear(const char *dir, struct bl_error *err)
{
	for (size_t i = 0; i < N_OURS; i++) {
		char *p = bl_xasprintf("%s/%s", dir, OURS[i]);
		int rc = access(p, F_OK) == 0 ? bl_remove_tree(p, err) : 0;
		free(p);
		if (rc)
			return -1;
	}
	return 0;
}

static void release(struct bl_report_staging *st)
{
	if (st->lock_fd >= 0)
		close(st->lock_fd); /* drops the flock */
	free(st->dir);
	free(st->path);
	st->dir = st->path = NULL;
	st->lock_fd = -1;
}

int bl_report_stage(struct bl_report_staging *st, const char *dir, struct bl_error *err)
{
	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
	struct stat sb;
	if (stat(dir, &sb) != 0 && errno == ENOENT && bl_mkdirs(dir, 0755, err))
		return -1;
	st->dir = bl_xstrdup(dir);
	st->path = bl_xasprintf("%s/" STAGING, dir);
	st->lock_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->lock_fd < 0) {
		if (errno == ENOTDIR)
			bl_fail(err, "cannot write the report into '%s': not a directory", dir);
		else
			bl_fail_errno(err, errno, "cannot open directory '%s'", dir);
		goto fail;
	}
	if (flock(st->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			bl_fail(err, "cannot write the report into '%s': another benchline report is being written there",
				dir);
		else
			bl_fail_errno(err, errno, "cannot lock directory '%s'", dir);
		goto fail;
	}
	/* checked under the lock: another report may be moving its site in */
	bool exists;
	if (bl_report_dir_check(dir, &exists, err))
		goto fail;
	/* left by a report that was killed or failed (a link is removed, not followed) */
	if (lstat(st->path, &sb) == 0 && bl_remove_tree(st->path, err))
		goto fail;
	if (mkdir(st->path, 0755) != 0) {
		bl_fail_errno(err, errno, "cannot create directory '%s'", st->path);
		goto fail;
	}
	return 0;
fail:
	release(st);
	return -1;
}

static bool no_exchange; /* a test makes the file system "unable" to exchange */
void bl_report_site_test_no_exchange(bool on); /* test hook, declared by tests only */
void bl_report_site_test_no_exchange(bool on)
{
	no_exchange = on;
}

/* Puts from in to's place and to in from's: atomically where the file
 * system can exchange names, else in two renames through aside. */
static int exchange(const char *from, const char *to, const char *aside, bool *atomic, struct bl_error *err)
{
	*atomic = true;
	if (!no_exchange && renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_EXCHANGE) == 0)
		return 0;
	*atomic = false;
	/* EPERM: a sandbox that forbids renameat2 */
	if (!no_exchange && errno != EINVAL && errno != ENOSYS && errno != ENOTSUP && errno != EXDEV && errno != EPERM)
		return bl_fail_errno(err, errno, "cannot move '%s' to '%s'", from, to);
	if (rename(to, aside) != 0)
		return bl_fail_errno(err, errno, "cannot move '%s' aside", to);
	if (rename(from, to) != 0) {
		int e = errno;
		(void)rename(aside, to);
		return bl_fail_errno(err, e, "cannot move '%s' to '%s'", from, to);
	}
	return 0;
}

/* How an entry was moved, so that a commit failing part-way can put back what it moved. */
enum move { MOVED_NONE, MOVED_EXCHANGED, MOVED_ASIDE, MOVED_IN, MOVED_OUT };

static void undo(const char *staged, const char *live, const char *aside, enum move m)
{
	switch (m) {
	case MOVED_EXCHANGED:
		(void)renameat2(AT_FDCWD, staged, AT_FDCWD, live, RENAME_EXCHANGE);
		break;
	case MOVED_ASIDE:
		if (rename(live, staged) == 0)
			(void)rename(aside, live);
		break;
	case MOVED_IN: (void)rename(live, staged); break;
	case MOVED_OUT: (void)rename(staged, live); break;
	case MOVED_NONE: break;
	}
}

int bl_report_stage_commit(struct bl_report_staging *st, struct bl_error *err)
{
	int rc = 0;
	enum move moved[N_OURS] = {MOVED_NONE};
	char *staged[N_OURS], *live[N_OURS], *aside[N_OURS];
	size_t i;
	for (i = 0; i < N_OURS; i++) {
		staged[i] = bl_xasprintf("%s/%s", st->path, OURS[i]);
		live[i] = bl_xasprintf("%s/%s", st->dir, OURS[i]);
		aside[i] = bl_xasprintf("%s/old-%s", st->path, OURS[i]);
	}
	for (i = 0; i < N_OURS && rc == 0; i++) {
		struct stat sb;
		bool have_new = lstat(staged[i], &sb) == 0, have_old = lstat(live[i], &sb) == 0;
		if (have_new && have_old) {
			bool atomic;
			rc = exchange(staged[i], live[i], aside[i], &atomic, err);
			moved[i] = rc ? MOVED_NONE : atomic ? MOVED_EXCHANGED : MOVED_ASIDE;
		} else if (have_new) {
			if (rename(staged[i], live[i]) != 0)
				rc = bl_fail_errno(err, errno, "cannot move '%s' to '%s'", staged[i], live[i]);
			else
				moved[i] = MOVED_IN;
		} else if (have_old) {
			/* an entry this report does not write (svg/ of an earlier --svg): goes with the old site */
			if (rename(live[i], staged[i]) != 0)
				rc = bl_fail_errno(err, errno, "cannot remove '%s'", live[i]);
			else
				moved[i] = MOVED_OUT;
		}
	}
	if (rc != 0) /* the previous report back as it was, as far as renames allow */
		while (i-- > 0)
			undo(staged[i], live[i], aside[i], moved[i]);
	for (i = 0; i < N_OURS; i++) {
		free(staged[i]);
		free(live[i]);
		free(aside[i]);
	}
	/* The staging directory now holds the previous site (or, after a failure, the new one). The new site is in
	 * place either way: a staging directory that cannot be removed now is removed by the next report. */
	struct bl_error ignored = {{0}};
	(void)bl_remove_tree(st->path, &ignored);
	release(st);
	return rc;
}

void bl_report_stage_abort(struct bl_report_staging *st)
{
	if (st->path) {
		struct bl_error ignored = {{0}};
		(void)bl_remove_tree(st->path, &ignored);
	}
	release(st);
}
