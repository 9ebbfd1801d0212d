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
#include "sweep_internal.h"
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

void bl_sweep_notice(struct sweep *s, const char *fmt, ...)
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

bool bl_sweep_interrupted(const struct sweep *s)
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

void bl_sweep_progress_at(const struct sweep *s, size_t k, struct bl_sweep_progress *p)
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
		w->cap_todo = (size_t)reps;
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
		if (o->until_ci > 0 && !failed && bl_sweep_adaptive_plan(s, cw, c, err))
			return -1;
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
		/* Work to do makes the case pending until it is all stored, so an
		 * interrupted top-up or --force never leaves it marked complete. */
		if (!o->dry_run && strcmp(w->st.status, BL_CASE_PENDING) &&
		    bl_store_set_case_status(o->store, w->st.benchmark_id, BL_CASE_PENDING, err))
			return -1;
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
			free(cw->cases[c].walls);
		}
	free(cw->cases);
	bl_commit_info_release(&cw->ci);
	bl_worktree_release(&cw->wt);
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
	for (size_t c = 0; c < s->n_cases && !bl_sweep_interrupted(s); c++) {
		struct case_work *w = &cw->cases[c];
		if (!case_runnable(cw, c))
			continue;
		for (int i = 0; i < w->warmups && !w->failed && !bl_sweep_interrupted(s); i++)
			if (bl_sweep_do_run(s, k, c, true, i, err))
				return -1;
		for (size_t i = 0; i < w->n_todo && !w->failed && !bl_sweep_interrupted(s); i++)
			if (bl_sweep_do_run(s, k, c, false, (int)i, err))
				return -1;
		while (!w->failed && bl_sweep_adaptive_more(s, w))
			if (bl_sweep_do_run(s, k, c, false, (int)w->n_todo - 1, err))
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
	for (size_t r = 0; r < (size_t)max_warm + max_todo && !bl_sweep_interrupted(s); r++) {
		bool warm = r < (size_t)max_warm;
		size_t i = warm ? r : r - (size_t)max_warm;
		for (size_t m = 0; m < n_members && !bl_sweep_interrupted(s); m++)
			for (size_t c = 0; c < s->n_cases && !bl_sweep_interrupted(s); c++) {
				struct case_work *w = &s->commits[members[m]].cases[c];
				if (!case_runnable(&s->commits[members[m]], c) || i >= (warm ? (size_t)w->warmups : w->n_todo))
					continue;
				if (bl_sweep_do_run(s, members[m], c, warm, (int)i, err))
					return -1;
				if (w->failed)
					skip_remaining(s, w);
			}
	}
	/* --until-ci: further rounds, each over the cases still short of the target. */
	for (bool more = true; more && !bl_sweep_interrupted(s);) {
		more = false;
		for (size_t m = 0; m < n_members && !bl_sweep_interrupted(s); m++)
			for (size_t c = 0; c < s->n_cases && !bl_sweep_interrupted(s); c++) {
				struct case_work *w = &s->commits[members[m]].cases[c];
				if (!case_runnable(&s->commits[members[m]], c) || !bl_sweep_adaptive_more(s, w))
					continue;
				more = true;
				if (bl_sweep_do_run(s, members[m], c, false, (int)w->n_todo - 1, err))
					return -1;
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

/* Opens the device sampler (one per sweep, so NVML initialises once), says
 * once which backends sample and why the others do not, and records the GPUs
 * in the machine's provenance. */
static void open_sampler(struct sweep *s)
{
	const struct bl_sweep_opts *o = s->o;
	int ms = o->cfg->sampling.interval_ms;
	if (o->dry_run)
		return;
	struct bl_buf gpus;
	bl_buf_init(&gpus);
	if (ms > 0) {
		struct bl_error e = {{0}};
		if (bl_sampler_new(&s->sampler, &(struct bl_sampler_options){.interval_ms = ms}, &e)) {
			s->sampler = NULL;
			bl_sweep_notice(s, "device sampling off: %s", e.msg);
		} else {
			struct bl_devices *d = bl_sampler_devices(s->sampler);
			struct bl_buf msg;
			bl_buf_init(&msg);
			bl_buf_printf(&msg, "device sampling every %d ms:", ms);
			size_t active = 0;
			for (size_t i = 0; i < d->n; i++)
				if (d->dev[i])
					bl_buf_printf(&msg, "%s %s", active++ ? "," : "", d->ops[i]->name);
			if (!active)
				bl_buf_puts(&msg, " no backend");
			for (size_t i = 0; i < d->n; i++) {
				if (d->dev[i])
					continue;
				const char *why = d->reason[i];
				size_t nl = strlen(d->ops[i]->name);
				/* "nvml unavailable" alone, or "nvml unavailable: NVML not found: ..." */
				if (!strncmp(why, d->ops[i]->name, nl) && !strncmp(why + nl, " unavailable", 12))
					bl_buf_printf(&msg, "; %s", why);
				else
					bl_buf_printf(&msg, "; %s unavailable: %s", d->ops[i]->name, why);
			}
			bl_sweep_notice(s, "%s", msg.data);
			bl_buf_release(&msg);
			bl_devices_gpus_json(d, &gpus);
		}
	} else {
		bl_sweep_notice(s, "device sampling off (sampling.interval_ms is 0)");
	}
	free(s->machine.gpus_json);
	if (gpus.len) {
		s->machine.gpus_json = bl_buf_detach(&gpus);
	} else {
		bl_buf_release(&gpus);
		s->machine.gpus_json = bl_device_gpus_json();
	}
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
	open_sampler(s);
	if (!o->dry_run && bl_store_put_machine(o->store, &s->machine, &s->machine_id, err))
		return -1;
	if (o->dry_run && bl_store_find_machine(o->store, s->machine.fingerprint, &s->machine_id, err))
		return -1;
	if (bl_suite_list_files(o->repo, &o->cfg->suite, BL_SUITE_MUST_EXIST, &s->suite_files, err) ||
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
		if (bl_sweep_interrupted(s)) {
			s->t->interrupted = true;
			return 0;
		}
	}
	if (o->dry_run)
		return estimate(s, err);

	s->metrics_path = bl_xasprintf("%s/tmp/metrics-%ld.jsonl", o->cache_dir, (long)getpid());
	s->results_path = bl_xasprintf("%s/tmp/results-%ld", o->cache_dir, (long)getpid());
	s->logs_dir = bl_xasprintf("%s/logs", o->cache_dir);
	char *tmpdir = bl_xasprintf("%s/tmp", o->cache_dir);
	int rc = bl_mkdirs(tmpdir, 0755, err);
	free(tmpdir);
	if (rc || bl_mkdirs(s->logs_dir, 0755, err))
		return -1;

	size_t group = o->interleave ? (size_t)(o->worktrees > 0 ? o->worktrees : 1) : 1;
	size_t k = 0;
	while (k < s->n_commits && !bl_sweep_interrupted(s) && !s->t->interrupted) {
		size_t members[256], n_members = 0;
		while (k < s->n_commits && n_members < group && n_members < 256) {
			if (s->commits[k].runs) {
				s->commits[k].slot = (int)n_members;
				members[n_members++] = k;
			}
			k++;
		}
		for (size_t i = 0; i < n_members && !bl_sweep_interrupted(s) && !s->t->interrupted; i++)
			if (bl_sweep_prepare_commit(s, members[i], err))
				return -1;
		if (bl_sweep_interrupted(s) || s->t->interrupted)
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
	if (bl_sweep_interrupted(s))
		s->t->interrupted = true;
	if (s->t->interrupted)
		bl_sweep_notice(s, "interrupted: completed runs are stored; run the same command again to resume");
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
	if (s.results_path)
		unlink(s.results_path);
	for (size_t k = 0; k < s.n_commits; k++)
		free_commit(&s, &s.commits[k]);
	free(s.commits);
	bl_cases_free(s.cases, s.n_cases);
	bl_sampler_free(s.sampler);
	bl_machine_release(&s.machine);
	bl_strvec_release(&s.suite_files);
	free(s.repository);
	free(s.metrics_path);
	free(s.results_path);
	free(s.logs_dir);
	return rc;
}
