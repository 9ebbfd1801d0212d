/*
 * sweep.c - the orchestrator: plan, check out, build, run, store.
 *
 * A sweep has two passes. The planning pass resolves, for every commit and
 * benchmark case, the suite hash and what is already stored, so the number of
 * runs still to do is known before anything runs (progress, ETA, --dry-run).
 * The work pass takes the commits that have work in groups (one commit at a
 * time by default, --worktrees commits when interleaving), prepares each in
 * its own worktree slot (checkout, suite overlay, build), then executes the
 * group's runs in schedule order: back to back per case, or in rounds across
 * the group's commits with --interleave so machine drift spreads evenly.
 *
 * Every run is stored in its own transaction right after it ends; nothing of
 * a run killed or interrupted half-way is stored, so a resumed sweep simply
 * runs the indexes that are missing.
 */
#include "benchline/sweep.h"
#include "benchline/machine.h"
#include "benchline/proc.h"
#include "benchline/sha256.h"
#include "benchline/suite.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

extern char **environ;

/* Metric names benchline records for every run. */
static const char *const builtin_metrics[] = {"wall_time", "user_time", "system_time", "cpu_time", "peak_memory"};

struct case_work {
	struct bl_case_state st;
	char suite_hash[65];
	int *todo;         /* measured indexes still to run */
	size_t n_todo;
	int warmups;       /* warm-ups to run before them */
	size_t stored;     /* measured runs stored by this sweep */
	int warmups_done;  /* warm-ups run by this sweep */
	bool failed;       /* a run failed: the rest of the case is skipped */
	bool build_failed;
	char log_name[96]; /* directory of its logs under the commit's */
};

struct commit_work {
	struct bl_commit_info ci;
	char commit_digest[65]; /* suite files at this commit, when a case needs it */
	struct case_work *cases;
	size_t runs;            /* runs planned at this commit */
	int slot;
	struct bl_worktree wt;
	bool ready;             /* checked out and built */
	bool overlaid;          /* the suite overlay is in place */
};

struct sweep {
	const struct bl_sweep_opts *o;
	struct bl_sweep_totals *t;
	struct bl_case *cases;
	size_t n_cases;
	struct bl_machine machine;
	int64_t machine_id;
	char current_digest[65];
	char build_key[65];
	char *repository;
	char *metrics_path;
	char *logs_dir;
	struct commit_work *commits;
	size_t n_commits;
	int64_t t0;
	size_t runs_done;
	bool any_overlay;       /* some case takes its suite from the current tree */
	struct bl_strvec suite_files; /* today's suite files, what the overlay copies */
};

static void notice(struct sweep *s, const char *fmt, ...) BL_PRINTF(2, 3);
static void notice(struct sweep *s, const char *fmt, ...)
{
	const struct bl_sweep_events *ev = s->o->events;
	if (!ev || !ev->notice)
		return;
	struct bl_buf b;
	va_list ap;
	bl_buf_init(&b);
	va_start(ap, fmt);
	bl_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	ev->notice(ev->ctx, b.data);
	bl_buf_release(&b);
}

static bool interrupted(const struct sweep *s)
{
	return s->o->interrupt && *s->o->interrupt;
}

static bool selected(const struct bl_sweep_opts *o, const char *name)
{
	if (!o->only)
		return true;
	for (size_t i = 0; i < o->n_only; i++)
		if (!strcmp(o->only[i], name))
			return true;
	return false;
}

static void progress_at(const struct sweep *s, size_t k, struct bl_sweep_progress *p)
{
	memset(p, 0, sizeof(*p));
	p->commit_k = k + 1;
	p->n_commits = s->n_commits;
	p->sha = s->commits[k].ci.sha;
	p->subject = s->commits[k].ci.subject;
	p->runs_done = s->runs_done;
	p->runs_total = s->t->runs_planned;
	p->elapsed_s = (double)(bl_now_mono_ns() - s->t0) / 1e9;
	p->eta_s = -1;
	if (s->runs_done > 0 && p->runs_total >= s->runs_done)
		p->eta_s = p->elapsed_s / (double)s->runs_done * (double)(p->runs_total - s->runs_done);
}

/* sha256 over everything that decides what a build produces. */
static void compute_build_key(struct sweep *s)
{
	const struct bl_build_cfg *b = &s->o->cfg->build;
	struct bl_sha256 h;
	bl_sha256_init(&h);
	for (size_t i = 0; i < b->n_commands; i++) {
		bl_sha256_update(&h, b->commands[i].shell ? "sh" : "argv", 3);
		for (size_t j = 0; j < b->commands[i].argv.n; j++)
			bl_sha256_update(&h, b->commands[i].argv.v[j], strlen(b->commands[i].argv.v[j]) + 1);
		bl_sha256_update(&h, "\n", 1);
	}
	for (size_t i = 0; i < b->n_env; i++) {
		bl_sha256_update(&h, b->env[i].key, strlen(b->env[i].key) + 1);
		bl_sha256_update(&h, b->env[i].value, strlen(b->env[i].value) + 1);
	}
	/* Suite files copied from the current tree are part of what is built. */
	if (s->any_overlay)
		bl_sha256_update(&h, s->current_digest, 64);
	bl_sha256_hex(&h, s->build_key);
}

static char *case_metadata(const struct sweep *s, const struct bl_case *c)
{
	json_t *o = json_object();
	json_object_set_new(o, "label", json_string(c->label));
	json_t *argv = json_array();
	for (size_t i = 0; i < c->command.argv.n; i++)
		json_array_append_new(argv, json_string(c->command.argv.v[i]));
	json_object_set_new(o, "command", argv);
	json_object_set_new(o, "shell", json_boolean(c->command.shell));
	json_object_set_new(o, "warmup", json_integer(c->bench->warmup));
	json_object_set_new(o, "repetitions", json_integer(c->bench->repetitions));
	json_object_set_new(o, "timeout_s", json_real(c->bench->timeout_s));
	json_object_set_new(o, "files", json_string(c->bench->files == BL_FILES_COMMIT ? "commit" : "current"));
	json_object_set_new(o, "config", json_string(s->o->cfg->path ? s->o->cfg->path : ""));
	json_object_set_new(o, "hostname", json_string(s->machine.hostname));
	json_object_set_new(o, "cpu_model", json_string(s->machine.cpu_model));
	json_t *gpus = json_loads(s->machine.gpus_json, 0, NULL);
	json_object_set_new(o, "gpus", gpus ? gpus : json_array());
	char *txt = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	char *copy = bl_xstrdup(txt);
	free(txt);
	return copy;
}

/* Directory name of a case's logs: readable, bounded in length, and unique
 * per (label, suite) because of the hash, since sanitising alone maps
 * "a b" and "a_b" to the same name. */
static void log_name(const char *label, const char *suite_hash, char out[96])
{
	size_t j = 0;
	for (const char *q = label; *q && j < 64; q++) {
		char ch = *q;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
			  ch == '_' || ch == '-' || ch == '=';
		out[j++] = ok ? ch : '_';
	}
	struct bl_sha256 h;
	char hex[65];
	bl_sha256_init(&h);
	bl_sha256_update(&h, label, strlen(label) + 1);
	bl_sha256_update(&h, suite_hash, strlen(suite_hash));
	bl_sha256_hex(&h, hex);
	snprintf(out + j, 96 - j, "-%.12s", hex);
}

static int plan_commit(struct sweep *s, struct commit_work *cw, struct bl_error *err)
{
	const struct bl_sweep_opts *o = s->o;
	cw->cases = bl_xcalloc(s->n_cases, sizeof(*cw->cases));
	bool need_commit_digest = false;
	for (size_t c = 0; c < s->n_cases; c++)
		need_commit_digest |= s->cases[c].bench->files == BL_FILES_COMMIT;
	if (need_commit_digest &&
	    bl_suite_files_digest_at(o->repo, cw->ci.sha, &o->cfg->suite, cw->commit_digest, err))
		return -1;
	for (size_t c = 0; c < s->n_cases; c++) {
		const struct bl_case *bc = &s->cases[c];
		struct case_work *w = &cw->cases[c];
		bl_suite_hash(bc->bench, bc->bench->files == BL_FILES_COMMIT ? cw->commit_digest : s->current_digest,
			      w->suite_hash);
		log_name(bc->label, w->suite_hash, w->log_name);
		char *meta = case_metadata(s, bc);
		struct bl_case_key key = {
			.repository = s->repository,
			.branch = o->branch ? o->branch : "",
			.commit_sha = cw->ci.sha,
			.commit_subject = cw->ci.subject,
			.machine_id = s->machine_id,
			.suite_hash = w->suite_hash,
			.name = bc->bench->name,
			.params_json = bc->params_json,
			.metadata_json = meta,
			.lookup_only = o->dry_run,
		};
		int rc = bl_store_open_case(o->store, &key, &w->st, err);
		free(meta);
		if (rc)
			return -1;
		/* Failures are results: not retried unless --force. */
		bool failed = !strcmp(w->st.status, BL_CASE_BUILD_FAILED) || !strcmp(w->st.status, BL_CASE_FAILED);
		int reps = bc->bench->repetitions;
		w->todo = bl_xcalloc((size_t)reps, sizeof(int));
		size_t j = 0;
		for (int i = 0; i < reps && !failed; i++) {
			while (j < w->st.n_measured_done && w->st.measured_done[j] < i)
				j++;
			if (j < w->st.n_measured_done && w->st.measured_done[j] == i)
				continue;
			w->todo[w->n_todo++] = i; /* missing, e.g. after raising repetitions */
		}
		if (o->force && w->n_todo == 0) {
			/* --force measures a fresh set after what is stored. */
			int next = 0;
			for (size_t i = 0; i < w->st.n_measured_done; i++)
				if (w->st.measured_done[i] >= next)
					next = w->st.measured_done[i] + 1;
			for (int i = 0; i < reps; i++)
				w->todo[w->n_todo++] = next + i;
		}
		if (w->n_todo == 0) {
			if (failed)
				s->t->cases_failed_before++;
			else
				s->t->cases_skipped++;
			if (!failed && strcmp(w->st.status, BL_CASE_COMPLETE) && !o->dry_run && w->st.benchmark_id &&
			    bl_store_set_case_status(o->store, w->st.benchmark_id, BL_CASE_COMPLETE, err))
				return -1;
			continue;
		}
		w->warmups = bc->bench->warmup;
		cw->runs += w->n_todo + (size_t)w->warmups;
	}
	s->t->runs_planned += cw->runs;
	return 0;
}

static void free_commit(struct sweep *s, struct commit_work *cw)
{
	if (cw->cases)
		for (size_t c = 0; c < s->n_cases; c++) {
			bl_case_state_release(&cw->cases[c].st);
			free(cw->cases[c].todo);
		}
	free(cw->cases);
	bl_commit_info_release(&cw->ci);
	bl_worktree_release(&cw->wt);
}

/* Environment of a child: ours, minus BENCHLINE_* of an outer run, plus extra. */
static void child_env(struct bl_strvec *env, const struct bl_kv *extra, size_t n_extra)
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

static void command_argv(const struct bl_command *cmd, struct bl_strvec *argv)
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
	child_env(&env, extra, n_extra);
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
		command_argv(&b->commands[i], &argv);
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
static int prepare_commit(struct sweep *s, size_t k, struct bl_error *err)
{
	const struct bl_sweep_opts *o = s->o;
	struct commit_work *cw = &s->commits[k];
	struct bl_sweep_progress p;
	progress_at(s, k, &p);
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
		notice(s, "cannot check out %.12s: %s", cw->ci.sha, cerr.msg);
	} else if (!strcmp(cw->wt.built, "ok")) {
		status = o->cfg->build.n_commands ? "cached" : "none";
		/* The last benchmark may have restored the commit's own suite. */
		if (s->any_overlay && bl_worktree_overlay(o->repo, &cw->wt, &s->suite_files, err)) {
			free(log_path);
			return -1;
		}
		cw->overlaid = s->any_overlay;
	} else {
		/* Not built here yet, or a build that failed: build (again). */
		if (s->any_overlay && bl_worktree_overlay(o->repo, &cw->wt, &s->suite_files, err)) {
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
		progress_at(s, k, &p);
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

static void add_builtin_metrics(struct bl_metric_list *m, const struct bl_run_result *r)
{
	bl_metric_list_add(m, "wall_time", r->wall_s, "s", BL_BETTER_LOWER);
	bl_metric_list_add(m, "user_time", r->user_s, "s", BL_BETTER_LOWER);
	bl_metric_list_add(m, "system_time", r->sys_s, "s", BL_BETTER_LOWER);
	bl_metric_list_add(m, "cpu_time", r->user_s + r->sys_s, "s", BL_BETTER_LOWER);
	if (r->peak_rss_bytes >= 0)
		bl_metric_list_add(m, "peak_memory", (double)r->peak_rss_bytes, "B", BL_BETTER_LOWER);
}

static bool is_builtin(const char *name)
{
	for (size_t i = 0; i < sizeof(builtin_metrics) / sizeof(builtin_metrics[0]); i++)
		if (!strcmp(name, builtin_metrics[i]))
			return true;
	return false;
}

/* Protocol metrics (declared directions applied, reserved names refused)
 * followed by the built-in ones. Problems are appended to diags. */
static void collect_metrics(const struct bl_case *c, const struct bl_protocol_result *pr,
			    const struct bl_run_result *res, struct bl_metric_list *out, struct bl_buf *diags)
{
	for (size_t i = 0; i < pr->n_diags; i++)
		bl_buf_printf(diags, "metrics line %zu: %s\n", pr->diags[i].line, pr->diags[i].reason);
	for (size_t i = 0; i < pr->metrics.n; i++) {
		const struct bl_metric *m = &pr->metrics.items[i];
		if (is_builtin(m->name)) {
			bl_buf_printf(diags, "metric '%s' ignored: the name is reserved for benchline's own measurement\n",
				      m->name);
			continue;
		}
		enum bl_better better = m->better;
		for (size_t j = 0; j < c->bench->n_metrics; j++)
			if (!strcmp(c->bench->metrics[j].name, m->name))
				better = c->bench->metrics[j].better;
		bl_metric_list_add(out, m->name, m->value, m->unit, better);
	}
	add_builtin_metrics(out, res);
}

static void env_hash(char *const *envp, const char *cpu_list, char out[65])
{
	size_t n = 0;
	while (envp[n])
		n++;
	char **sorted = bl_xmalloc((n + 1) * sizeof(char *));
	memcpy(sorted, envp, n * sizeof(char *));
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(sorted[j - 1], sorted[j]) > 0; j--) {
			char *t = sorted[j];
			sorted[j] = sorted[j - 1];
			sorted[j - 1] = t;
		}
	struct bl_sha256 h;
	bl_sha256_init(&h);
	for (size_t i = 0; i < n; i++) {
		/* benchline's own variables name the commit, case and run; the
		 * hash is about the environment they run in. */
		if (!strncmp(sorted[i], "BENCHLINE_", 10))
			continue;
		bl_sha256_update(&h, sorted[i], strlen(sorted[i]) + 1);
	}
	if (cpu_list)
		bl_sha256_update(&h, cpu_list, strlen(cpu_list) + 1);
	bl_sha256_hex(&h, out);
	free(sorted);
}

/* One run of case c at commit k: spawn, measure, parse, store. ordinal is
 * the position among this sweep's warm-ups or repetitions of the case. */
static int do_run(struct sweep *s, size_t k, size_t c, bool warmup, int ordinal, struct bl_error *err)
{
	const struct bl_sweep_opts *o = s->o;
	struct commit_work *cw = &s->commits[k];
	const struct bl_case *bc = &s->cases[c];
	struct case_work *w = &cw->cases[c];
	int index = warmup ? w->st.n_warmups + ordinal : w->todo[ordinal];
	int rc = -1;

	char *dir = bl_xasprintf("%s/%.12s/%s", s->logs_dir, cw->ci.sha, w->log_name);
	char *out_log = bl_xasprintf("%s/%s%d.out", dir, warmup ? "warmup" : "run", index);
	char *err_log = bl_xasprintf("%s/%s%d.err", dir, warmup ? "warmup" : "run", index);
	char *cwd = bc->cwd ? bl_xasprintf("%s/%s", cw->wt.path, bc->cwd) : bl_xstrdup(cw->wt.path);
	struct bl_strvec argv, env;
	struct bl_kv extra[80];
	size_t n_extra = 0;
	char idx_text[16];
	snprintf(idx_text, sizeof(idx_text), "%d", index);
	struct bl_protocol_result proto;
	bl_protocol_result_init(&proto);
	struct bl_metric_list metrics = {0};
	struct bl_buf diags, mbuf;
	bl_buf_init(&diags);
	bl_buf_init(&mbuf);
	command_argv(&bc->command, &argv);
	for (size_t i = 0; i < bc->n_env && n_extra < 72; i++)
		extra[n_extra++] = bc->env[i];
	extra[n_extra++] = (struct bl_kv){.key = "BENCHLINE_METRICS", .value = s->metrics_path};
	extra[n_extra++] = (struct bl_kv){.key = "BENCHLINE_COMMIT", .value = cw->ci.sha};
	extra[n_extra++] = (struct bl_kv){.key = "BENCHLINE_BENCHMARK", .value = bc->bench->name};
	extra[n_extra++] = (struct bl_kv){.key = "BENCHLINE_PARAMS", .value = bc->params_json};
	extra[n_extra++] = (struct bl_kv){.key = "BENCHLINE_REPETITION", .value = idx_text};
	extra[n_extra++] = (struct bl_kv){.key = "BENCHLINE_WARMUP", .value = warmup ? "1" : "0"};
	child_env(&env, extra, n_extra);

	if (bl_mkdirs(dir, 0755, err))
		goto out;
	/* With both kinds of benchmark, switch the suite files to what this
	 * one asks for: today's (overlay) or the commit's own. */
	if (s->any_overlay) {
		bool want = bc->bench->files == BL_FILES_CURRENT;
		if (want && !cw->overlaid && bl_worktree_overlay(o->repo, &cw->wt, &s->suite_files, err))
			goto out;
		if (!want && cw->overlaid && bl_worktree_restore(&cw->wt, &o->cfg->suite, err))
			goto out;
		cw->overlaid = want;
	}
	int mfd = open(s->metrics_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (mfd < 0) {
		bl_fail_errno(err, errno, "cannot create metrics file '%s'", s->metrics_path);
		goto out;
	}
	close(mfd);

	struct bl_sweep_progress p;
	progress_at(s, k, &p);
	p.case_label = bc->label;
	p.warmup = warmup;
	p.index = index;
	p.ordinal = ordinal + 1;
	p.count = warmup ? w->warmups : (int)w->n_todo;
	if (o->events && o->events->run_begin)
		o->events->run_begin(o->events->ctx, &p);

	struct bl_run_spec spec = {
		.argv = argv.v,
		.cwd = cwd,
		.envp = env.v,
		.timeout_s = bc->bench->timeout_s,
		.stdout_path = out_log,
		.stderr_path = err_log,
		.cpus = o->cpus,
		.n_cpus = o->n_cpus,
		.interrupt = o->interrupt,
	};
	struct bl_run_result res;
	if (bl_run(&spec, &res, err))
		goto out;
	if (res.status == BL_RUN_INTERRUPTED) {
		s->t->interrupted = true;
		rc = 0;
		goto out;
	}
	if (bl_read_file(s->metrics_path, &mbuf, err))
		goto out;
	bl_protocol_parse(mbuf.data, mbuf.len, &proto);
	collect_metrics(bc, &proto, &res, &metrics, &diags);
	if (res.status == BL_RUN_SPAWN_FAILED)
		bl_buf_printf(&diags, "%s\n", res.spawn_error);

	char ehash[65];
	env_hash(env.v, o->cpu_list, ehash);
	bl_buf_rtrim(&diags);
	struct bl_run_record rec = {
		.benchmark_id = w->st.benchmark_id,
		.warmup = warmup,
		.index = index,
		.start_unix_ns = res.start_unix_ns,
		.wall_s = res.wall_s,
		.user_s = res.user_s,
		.sys_s = res.sys_s,
		.peak_rss_bytes = res.peak_rss_bytes,
		.peak_source = res.peak_source == BL_PEAK_CGROUP   ? "cgroup"
			       : res.peak_source == BL_PEAK_RUSAGE ? "rusage"
								   : NULL,
		.exit_code = res.exit_code,
		.term_signal = res.term_signal,
		.status = bl_run_status_name(res.status),
		.stdout_log = out_log,
		.stderr_log = err_log,
		.env_hash = ehash,
		.cpu_list = o->cpu_list,
		.diagnostics = diags.len ? diags.data : NULL,
		.metrics = metrics.items,
		.n_metrics = metrics.n,
		.measurements = proto.measurements.v,
		.n_measurements = proto.measurements.n,
	};
	int64_t run_id;
	if (bl_store_add_run(o->store, &rec, &run_id, err))
		goto out;
	s->runs_done++;
	if (warmup)
		w->warmups_done++;
	else
		w->stored++;
	if (res.status == BL_RUN_OK) {
		s->t->runs_ok++;
	} else {
		s->t->runs_failed++;
		/* A benchmark that fails at a commit fails the same way again:
		 * its remaining runs there are skipped, not repeated. */
		w->failed = true;
	}
	progress_at(s, k, &p);
	p.case_label = bc->label;
	p.warmup = warmup;
	p.index = index;
	p.ordinal = ordinal + 1;
	p.count = warmup ? w->warmups : (int)w->n_todo;
	if (o->events && o->events->run_end)
		o->events->run_end(o->events->ctx, &p, &res, &proto, out_log, err_log);
	rc = 0;
out:
	bl_protocol_result_release(&proto);
	bl_metric_list_release(&metrics);
	bl_buf_release(&diags);
	bl_buf_release(&mbuf);
	bl_strvec_release(&argv);
	bl_strvec_release(&env);
	free(cwd);
	free(out_log);
	free(err_log);
	free(dir);
	return rc;
}

/* After a case's runs: failed when a run failed, complete only when every
 * planned repetition is stored (an interrupt between runs leaves it pending). */
static int finish_case(struct sweep *s, struct commit_work *cw, size_t c, struct bl_error *err)
{
	struct case_work *w = &cw->cases[c];
	if (w->n_todo == 0 || w->build_failed)
		return 0;
	const char *status = w->failed ? BL_CASE_FAILED : w->stored == w->n_todo ? BL_CASE_COMPLETE : NULL;
	if (!status)
		return 0;
	return bl_store_set_case_status(s->o->store, w->st.benchmark_id, status, err);
}

static bool case_runnable(const struct commit_work *cw, size_t c)
{
	const struct case_work *w = &cw->cases[c];
	return cw->ready && w->n_todo && !w->failed && !w->build_failed;
}

/* Runs of a failed case that will not happen still count as done for the ETA. */
static void skip_remaining(struct sweep *s, const struct case_work *w)
{
	s->runs_done += (size_t)(w->warmups - w->warmups_done) + (w->n_todo - w->stored);
}

static int run_group_sequential(struct sweep *s, size_t k, struct bl_error *err)
{
	struct commit_work *cw = &s->commits[k];
	for (size_t c = 0; c < s->n_cases && !interrupted(s); c++) {
		struct case_work *w = &cw->cases[c];
		if (!case_runnable(cw, c))
			continue;
		for (int i = 0; i < w->warmups && !w->failed && !interrupted(s); i++)
			if (do_run(s, k, c, true, i, err))
				return -1;
		for (size_t i = 0; i < w->n_todo && !w->failed && !interrupted(s); i++)
			if (do_run(s, k, c, false, (int)i, err))
				return -1;
		if (w->failed)
			skip_remaining(s, w);
		if (finish_case(s, cw, c, err))
			return -1;
	}
	return 0;
}

/* Rounds across the group's commits: warm-ups first, then repetition r of
 * every (commit, case) before repetition r + 1 of any. */
static int run_group_interleaved(struct sweep *s, const size_t *members, size_t n_members, struct bl_error *err)
{
	int max_warm = 0;
	size_t max_todo = 0;
	for (size_t m = 0; m < n_members; m++)
		for (size_t c = 0; c < s->n_cases; c++) {
			struct case_work *w = &s->commits[members[m]].cases[c];
			if (w->warmups > max_warm)
				max_warm = w->warmups;
			if (w->n_todo > max_todo)
				max_todo = w->n_todo;
		}
	for (size_t r = 0; r < (size_t)max_warm + max_todo && !interrupted(s); r++) {
		bool warm = r < (size_t)max_warm;
		size_t i = warm ? r : r - (size_t)max_warm;
		for (size_t m = 0; m < n_members && !interrupted(s); m++)
			for (size_t c = 0; c < s->n_cases && !interrupted(s); c++) {
				struct case_work *w = &s->commits[members[m]].cases[c];
				if (!case_runnable(&s->commits[members[m]], c) || i >= (warm ? (size_t)w->warmups : w->n_todo))
					continue;
				if (do_run(s, members[m], c, warm, (int)i, err))
					return -1;
				if (w->failed)
					skip_remaining(s, w);
			}
	}
	for (size_t m = 0; m < n_members; m++)
		for (size_t c = 0; c < s->n_cases; c++)
			if (s->commits[members[m]].ready && finish_case(s, &s->commits[members[m]], c, err))
				return -1;
	return 0;
}

static int estimate(struct sweep *s, struct bl_error *err)
{
	double total = 0;
	for (size_t k = 0; k < s->n_commits; k++) {
		struct commit_work *cw = &s->commits[k];
		if (!cw->runs)
			continue;
		for (size_t c = 0; c < s->n_cases; c++) {
			struct case_work *w = &cw->cases[c];
			if (!w->n_todo)
				continue;
			double run_s, build_s;
			if (bl_store_typical_seconds(s->o->store, s->machine_id, s->cases[c].bench->name,
						     s->cases[c].params_json, &run_s, &build_s, err))
				return -1;
			if (run_s < 0) {
				s->t->estimate_s = -1;
				return 0;
			}
			total += run_s * (double)(w->n_todo + (size_t)w->warmups);
		}
		double run_s, build_s;
		if (bl_store_typical_seconds(s->o->store, s->machine_id, "", "{}", &run_s, &build_s, err))
			return -1;
		if (build_s > 0)
			total += build_s;
	}
	s->t->estimate_s = total;
	return 0;
}

static int sweep_body(struct sweep *s, struct bl_error *err)
{
	const struct bl_sweep_opts *o = s->o;
	struct bl_case *all;
	size_t n_all;
	if (bl_config_cases(o->cfg, &all, &n_all, err))
		return -1;
	/* Keep only the selected benchmarks; the rest of the array is freed. */
	s->cases = bl_xcalloc(n_all ? n_all : 1, sizeof(*s->cases));
	for (size_t i = 0; i < n_all; i++) {
		if (selected(o, all[i].bench->name)) {
			s->cases[s->n_cases++] = all[i];
			memset(&all[i], 0, sizeof(all[i]));
		}
	}
	bl_cases_free(all, n_all);
	for (size_t i = 0; i < o->n_only; i++) {
		bool found = false;
		for (size_t b = 0; b < o->cfg->n_benchmarks && !found; b++)
			found = !strcmp(o->cfg->benchmarks[b].name, o->only[i]);
		if (!found)
			return bl_fail(err, "no benchmark named '%s' in '%s'", o->only[i], o->cfg->path);
	}
	s->t->cases = s->n_cases;
	s->t->commits = o->commits->n;
	for (size_t c = 0; c < s->n_cases; c++)
		s->any_overlay |= s->cases[c].bench->files == BL_FILES_CURRENT && o->cfg->suite.n > 0;

	if (bl_machine_detect(&s->machine, err))
		return -1;
	if (!o->dry_run && bl_store_put_machine(o->store, &s->machine, &s->machine_id, err))
		return -1;
	if (o->dry_run && bl_store_find_machine(o->store, s->machine.fingerprint, &s->machine_id, err))
		return -1;
	if (bl_suite_list_files(o->repo, &o->cfg->suite, &s->suite_files, err) ||
	    bl_suite_files_digest_current(o->repo, &s->suite_files, s->current_digest, err))
		return -1;
	compute_build_key(s);

	s->n_commits = o->commits->n;
	s->commits = bl_xcalloc(s->n_commits ? s->n_commits : 1, sizeof(*s->commits));
	struct bl_commit_info *infos = bl_xcalloc(s->n_commits ? s->n_commits : 1, sizeof(*infos));
	if (bl_git_commit_infos(o->repo, (const char(*)[BL_SHA_HEX + 1])o->commits->shas, s->n_commits, infos, err)) {
		free(infos);
		return -1;
	}
	for (size_t k = 0; k < s->n_commits; k++)
		s->commits[k].ci = infos[k]; /* ownership moves */
	free(infos);
	for (size_t k = 0; k < s->n_commits; k++) {
		struct commit_work *cw = &s->commits[k];
		if (!o->dry_run && bl_store_put_commit(o->store, s->repository, &cw->ci, err))
			return -1;
		if (plan_commit(s, cw, err))
			return -1;
		if (interrupted(s)) {
			s->t->interrupted = true;
			return 0;
		}
	}
	if (o->dry_run)
		return estimate(s, err);

	s->metrics_path = bl_xasprintf("%s/tmp/metrics-%ld.jsonl", o->cache_dir, (long)getpid());
	s->logs_dir = bl_xasprintf("%s/logs", o->cache_dir);
	char *tmpdir = bl_xasprintf("%s/tmp", o->cache_dir);
	int rc = bl_mkdirs(tmpdir, 0755, err);
	free(tmpdir);
	if (rc || bl_mkdirs(s->logs_dir, 0755, err))
		return -1;

	size_t group = o->interleave ? (size_t)(o->worktrees > 0 ? o->worktrees : 1) : 1;
	size_t k = 0;
	while (k < s->n_commits && !interrupted(s) && !s->t->interrupted) {
		size_t members[256], n_members = 0;
		while (k < s->n_commits && n_members < group && n_members < 256) {
			if (s->commits[k].runs) {
				s->commits[k].slot = (int)n_members;
				members[n_members++] = k;
			}
			k++;
		}
		for (size_t i = 0; i < n_members && !interrupted(s) && !s->t->interrupted; i++)
			if (prepare_commit(s, members[i], err))
				return -1;
		if (interrupted(s) || s->t->interrupted)
			break;
		if (!o->interleave) {
			for (size_t i = 0; i < n_members; i++)
				if (run_group_sequential(s, members[i], err))
					return -1;
		} else if (run_group_interleaved(s, members, n_members, err)) {
			return -1;
		}
		for (size_t i = 0; i < n_members; i++)
			s->commits[members[i]].ready = false;
	}
	if (interrupted(s))
		s->t->interrupted = true;
	if (s->t->interrupted)
		notice(s, "interrupted: completed runs are stored; run the same command again to resume");
	return 0;
}

/* One sweep at a time per cache directory: two would share worktree slots
 * and measure each other's commits. The lock dies with the process. */
static int lock_cache(const char *cache_dir, int *fd_out, struct bl_error *err)
{
	if (bl_mkdirs(cache_dir, 0755, err))
		return -1;
	char *path = bl_xasprintf("%s/lock", cache_dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		bl_fail_errno(err, errno, "cannot open lock file '%s'", path);
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		char pid[32] = "";
		ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		bl_fail(err, "another benchline%s%s%s is running a sweep with cache '%s'; wait for it to finish or give --cache-dir",
			pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "", cache_dir);
		close(fd);
		free(path);
		return -1;
	}
	char pid[32];
	int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
		/* The pid is only for the message above; the lock is what counts. */
	}
	free(path);
	*fd_out = fd;
	return 0;
}

int bl_sweep(const struct bl_sweep_opts *o, struct bl_sweep_totals *totals, struct bl_error *err)
{
	struct sweep s = {0};
	memset(totals, 0, sizeof(*totals));
	s.o = o;
	s.t = totals;
	s.t0 = bl_now_mono_ns();
	s.repository = bl_xstrdup(o->repository_name ? o->repository_name : o->repo);
	int lock_fd = -1;
	int rc = o->dry_run ? 0 : lock_cache(o->cache_dir, &lock_fd, err);
	if (rc == 0)
		rc = sweep_body(&s, err);
	if (lock_fd >= 0)
		close(lock_fd);
	if (s.metrics_path)
		unlink(s.metrics_path);
	for (size_t k = 0; k < s.n_commits; k++)
		free_commit(&s, &s.commits[k]);
	free(s.commits);
	bl_cases_free(s.cases, s.n_cases);
	bl_machine_release(&s.machine);
	bl_strvec_release(&s.suite_files);
	free(s.repository);
	free(s.metrics_path);
	free(s.logs_dir);
	return rc;
}
