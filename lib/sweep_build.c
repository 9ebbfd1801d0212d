/* sweep_build.c - checking a commit out in its worktree slot and building it. */
#include "sweep_internal.h"
#include "benchline/proc.h"
#include "benchline/sha256.h"
#include "benchline/suite.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* Today's suite in the checkout: the commit's tracked suite files that
 * today's suite no longer has (deleted or renamed since) go first, so that
 * what runs is what the suite hash describes. Untracked files, such as build
 * outputs inside a suite directory, stay. */
int bl_sweep_apply_overlay(struct sweep *s, struct commit_work *cw, struct bl_error *err)
{
	struct bl_strvec old;
	if (bl_suite_list_files(cw->wt.path, &s->o->cfg->suite, BL_SUITE_TRACKED_ONLY, &old, err))
		return -1;
	size_t j = 0;
	for (size_t i = 0; i < old.n; i++) {
		while (j < s->suite_files.n && strcmp(s->suite_files.v[j], old.v[i]) < 0)
			j++;
		if (j < s->suite_files.n && !strcmp(s->suite_files.v[j], old.v[i]))
			continue;
		char *path = bl_xasprintf("%s/%s", cw->wt.path, old.v[i]);
		if (unlink(path) != 0 && errno != ENOENT && errno != EISDIR) {
			bl_fail_errno(err, errno, "cannot remove '%s' before copying today's suite", path);
			free(path);
			bl_strvec_release(&old);
			return -1;
		}
		free(path);
	}
	bl_strvec_release(&old);
	return bl_worktree_overlay(s->o->repo, &cw->wt, &s->suite_files, err);
}

/* Environment of a child: ours, minus BENCHLINE_* of an outer run, plus extra. */
void bl_sweep_child_env(struct bl_strvec *env, const struct bl_kv *extra, size_t n_extra)
{
	bl_strvec_init(env);
	for (char **e = environ; *e; e++) {
		if (!strncmp(*e, "BENCHLINE_", 10))
			continue;
		bool overridden = false;
		for (size_t i = 0; i < n_extra && !overridden; i++) {
			size_t kl = strlen(extra[i].key);
			overridden = !strncmp(*e, extra[i].key, kl) && (*e)[kl] == '=';
		}
		if (!overridden)
			bl_strvec_push(env, *e);
	}
	for (size_t i = 0; i < n_extra; i++)
		bl_strvec_pushf(env, "%s=%s", extra[i].key, extra[i].value);
}

void bl_sweep_command_argv(const struct bl_command *cmd, struct bl_strvec *argv)
{
	bl_strvec_init(argv);
	if (cmd->shell) {
		bl_strvec_push(argv, "/bin/sh");
		bl_strvec_push(argv, "-c");
		bl_strvec_push(argv, cmd->argv.n ? cmd->argv.v[0] : "");
	} else {
		for (size_t i = 0; i < cmd->argv.n; i++)
			bl_strvec_push(argv, cmd->argv.v[i]);
	}
}

static int record_build(struct sweep *s, struct commit_work *cw, const char *status, int64_t start, double secs,
			const char *log_path, struct bl_error *err)
{
	struct bl_build_record br = {
		.repository = s->repository,
		.commit_sha = cw->ci.sha,
		.machine_id = s->machine_id,
		.build_key = s->build_key,
		.status = status,
		.start_unix_ns = start,
		.duration_s = secs,
		.log_path = log_path,
	};
	return bl_store_add_build(s->o->store, &br, err);
}

/* Runs the configured build commands in the worktree. *status becomes "ok",
 * "failed", "timeout" or "interrupted". */
static int run_build(struct sweep *s, struct commit_work *cw, const char *log_path, const char **status,
		     struct bl_error *err)
{
	const struct bl_build_cfg *b = &s->o->cfg->build;
	int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return bl_fail_errno(err, errno, "cannot create build log '%s'", log_path);
	struct bl_kv extra[64];
	size_t n_extra = 0;
	for (size_t i = 0; i < b->n_env && n_extra < 63; i++)
		extra[n_extra++] = b->env[i];
	extra[n_extra++] = (struct bl_kv){.key = "BENCHLINE_COMMIT", .value = cw->ci.sha};
	struct bl_strvec env;
	bl_sweep_child_env(&env, extra, n_extra);
	int64_t t0 = bl_now_mono_ns();
	*status = "ok";
	int rc = 0;
	for (size_t i = 0; i < b->n_commands && rc == 0; i++) {
		double left = b->timeout_s - (double)(bl_now_mono_ns() - t0) / 1e9;
		if (left <= 0) {
			*status = "timeout";
			break;
		}
		struct bl_strvec argv;
		bl_sweep_command_argv(&b->commands[i], &argv);
		dprintf(fd, "$");
		for (size_t w = 0; w < argv.n; w++)
			dprintf(fd, " %s", argv.v[w]);
		dprintf(fd, "\n");
		struct bl_proc_opts po = {
			.cwd = cw->wt.path,
			.envp = env.v,
			.timeout_s = left,
			.out_fd = fd,
			.interrupt = s->o->interrupt,
		};
		struct bl_proc_result pr;
		struct bl_error perr = {{0}};
		if (bl_proc_run(argv.v, &po, NULL, NULL, &pr, &perr) != 0) {
			dprintf(fd, "benchline: %s\n", perr.msg);
			*status = "failed";
		} else if (pr.interrupted) {
			*status = "interrupted";
		} else if (pr.timed_out) {
			dprintf(fd, "benchline: build timed out after %.0f s\n", b->timeout_s);
			*status = "timeout";
		} else if (pr.exit_code != 0) {
			if (pr.term_signal)
				dprintf(fd, "benchline: build command killed by signal %d\n", pr.term_signal);
			else
				dprintf(fd, "benchline: build command exited with status %d\n", pr.exit_code);
			*status = "failed";
		}
		bl_strvec_release(&argv);
		if (strcmp(*status, "ok"))
			break;
	}
	bl_strvec_release(&env);
	close(fd);
	return rc;
}

static int mark_cases_build_failed(struct sweep *s, struct commit_work *cw, struct bl_error *err)
{
	for (size_t c = 0; c < s->n_cases; c++) {
		struct case_work *w = &cw->cases[c];
		if (w->n_todo == 0)
			continue;
		w->build_failed = true;
		if (bl_store_set_case_status(s->o->store, w->st.benchmark_id, BL_CASE_BUILD_FAILED, err))
			return -1;
		s->runs_done += w->n_todo + (size_t)w->warmups;
	}
	return 0;
}

/* Checks out and builds one commit in its slot. */
int bl_sweep_prepare_commit(struct sweep *s, size_t k, struct bl_error *err)
{
	const struct bl_sweep_opts *o = s->o;
	struct commit_work *cw = &s->commits[k];
	struct bl_sweep_progress p;
	bl_sweep_progress_at(s, k, &p);
	if (o->events && o->events->commit_begin)
		o->events->commit_begin(o->events->ctx, &p);
	cw->wt.overlay = s->any_overlay ? &o->cfg->suite : NULL;
	char *dir = bl_xasprintf("%s/%.12s", s->logs_dir, cw->ci.sha);
	if (bl_mkdirs(dir, 0755, err)) {
		free(dir);
		return -1;
	}
	char *log_path = bl_xasprintf("%s/build.log", dir);
	free(dir);
	const char *status = "none";
	double secs = 0;
	int64_t start = bl_now_unix_ns();
	int rc = 0;
	struct bl_error cerr = {{0}};
	if (bl_worktree_checkout(o->repo, o->cache_dir, cw->slot, cw->ci.sha, s->build_key, &cw->wt, &cerr)) {
		/* One commit that cannot be checked out (a submodule that is gone,
		 * a corrupt object) is that commit's failure, not the sweep's. */
		bl_write_file_atomic(log_path, cerr.msg, strlen(cerr.msg), NULL);
		status = "checkout-failed";
		bl_sweep_notice(s, "cannot check out %.12s: %s", cw->ci.sha, cerr.msg);
	} else if (!strcmp(cw->wt.built, "ok")) {
		status = o->cfg->build.n_commands ? "cached" : "none";
		/* The last benchmark may have restored the commit's own suite. */
		if (s->any_overlay && bl_sweep_apply_overlay(s, cw, err)) {
			free(log_path);
			return -1;
		}
		cw->overlaid = s->any_overlay;
	} else {
		/* Not built here yet, or a build that failed: build (again). */
		if (s->any_overlay && bl_sweep_apply_overlay(s, cw, err)) {
			free(log_path);
			return -1;
		}
		cw->overlaid = s->any_overlay;
		int64_t t0 = bl_now_mono_ns();
		if (o->cfg->build.n_commands && run_build(s, cw, log_path, &status, err)) {
			free(log_path);
			return -1;
		}
		secs = (double)(bl_now_mono_ns() - t0) / 1e9;
		if (!strcmp(status, "interrupted")) {
			free(log_path);
			s->t->interrupted = true;
			return 0;
		}
		rc = bl_worktree_mark_built(&cw->wt, s->build_key,
					    strcmp(status, "ok") && strcmp(status, "none") ? "failed" : "ok", err);
	}
	if (rc == 0 && strcmp(status, "none"))
		rc = record_build(s, cw, status, start, secs, log_path, err);
	if (rc == 0) {
		bool ok = !strcmp(status, "ok") || !strcmp(status, "cached") || !strcmp(status, "none");
		if (!strcmp(status, "ok") || !strcmp(status, "none"))
			s->t->builds_ok++;
		else if (!strcmp(status, "cached"))
			s->t->builds_cached++;
		else
			s->t->builds_failed++;
		bl_sweep_progress_at(s, k, &p);
		if (o->events && o->events->build_end)
			o->events->build_end(o->events->ctx, &p, status, secs, log_path);
		if (ok)
			cw->ready = true;
		else
			rc = mark_cases_build_failed(s, cw, err);
	}
	free(log_path);
	return rc;
}

