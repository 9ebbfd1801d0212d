/* sweep_run.c - one benchmark run: spawn, measure, collect metrics, store. */
#include "benchline/adapter.h"
#include "benchline/proc.h"
#include "benchline/sha256.h"
#include "sweep_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

/* The standard output kept for a harness format that may be read from it
 * (the default cap, 1 MiB, would cut a large Google Benchmark JSON). */
#define HARNESS_LOG_CAP ((size_t)64 << 20)

/* Metric names benchline records for every run. */
static const char *const builtin_metrics[] = {"wall_time", "user_time", "system_time", "cpu_time", "peak_memory"};

static void add_builtin_metrics(struct bl_metric_list *m, const struct bl_run_result *r)
{
	bl_metric_list_add(m, "wall_time", r->wall_s, "s", BL_BETTER_LOWER);
	bl_metric_list_add(m, "user_time", r->user_s, "s", BL_BETTER_LOWER);
	bl_metric_list_add(m, "system_time", r->sys_s, "s", BL_BETTER_LOWER);
	bl_metric_list_add(m, "cpu_time", r->user_s + r->sys_s, "s", BL_BETTER_LOWER);
	if (r->peak_rss_bytes >= 0)
		bl_metric_list_add(m, "peak_memory", (double)r->peak_rss_bytes, "B", BL_BETTER_LOWER);
}

/* Summaries of the device samples; the per-GPU ones are gpuN_... */
static const char *const device_metrics[] = {"cpu_util_mean", "cpu_util_max", "rss_mb_mean", "rss_mb_max",
					     "gpu_energy_j", "cpu_energy_j"};

#define MIB (1024.0 * 1024.0)

static bool is_builtin(const char *name)
{
	for (size_t i = 0; i < sizeof(builtin_metrics) / sizeof(builtin_metrics[0]); i++)
		if (!strcmp(name, builtin_metrics[i]))
			return true;
	for (size_t i = 0; i < sizeof(device_metrics) / sizeof(device_metrics[0]); i++)
		if (!strcmp(name, device_metrics[i]))
			return true;
	/* gpu<digits>_... */
	if (!strncmp(name, "gpu", 3) && name[3] >= '0' && name[3] <= '9') {
		const char *c = name + 3;
		while (*c >= '0' && *c <= '9')
			c++;
		return *c == '_';
	}
	return false;
}

static void add_series(struct bl_metric_list *m, const char *name, const char *stat, const struct bl_value *v,
		       double scale, const char *unit, enum bl_better better)
{
	if (!v->valid || !isfinite(v->value))
		return;
	char full[64];
	snprintf(full, sizeof(full), "%s_%s", name, stat);
	bl_metric_list_add(m, full, v->value / scale, unit, better);
}

/* Mean and max of each device series with a valid value, and the run's energy. */
static void add_device_metrics(struct bl_metric_list *m, const struct bl_sampler_summary *sum)
{
	if (!sum || !sum->n_samples)
		return;
	add_series(m, "cpu_util", "mean", &sum->proc_cpu_pct.mean, 1.0, "%", BL_BETTER_UNKNOWN);
	add_series(m, "cpu_util", "max", &sum->proc_cpu_pct.max, 1.0, "%", BL_BETTER_UNKNOWN);
	add_series(m, "rss_mb", "mean", &sum->proc_rss_bytes.mean, MIB, "MiB", BL_BETTER_LOWER);
	add_series(m, "rss_mb", "max", &sum->proc_rss_bytes.max, MIB, "MiB", BL_BETTER_LOWER);
	int n_gpus = sum->n_gpus < BL_DEVICE_MAX_GPUS ? sum->n_gpus : BL_DEVICE_MAX_GPUS;
	for (int g = 0; g < n_gpus; g++) {
		const struct bl_gpu_summary *gs = &sum->gpu[g];
		char name[32];
		snprintf(name, sizeof(name), "gpu%d_util", g);
		add_series(m, name, "mean", &gs->util_pct.mean, 1.0, "%", BL_BETTER_UNKNOWN);
		add_series(m, name, "max", &gs->util_pct.max, 1.0, "%", BL_BETTER_UNKNOWN);
		snprintf(name, sizeof(name), "gpu%d_mem_mb", g);
		add_series(m, name, "mean", &gs->mem_used_bytes.mean, MIB, "MiB", BL_BETTER_LOWER);
		add_series(m, name, "max", &gs->mem_used_bytes.max, MIB, "MiB", BL_BETTER_LOWER);
		snprintf(name, sizeof(name), "gpu%d_power_w", g);
		add_series(m, name, "mean", &gs->power_w.mean, 1.0, "W", BL_BETTER_LOWER);
		add_series(m, name, "max", &gs->power_w.max, 1.0, "W", BL_BETTER_LOWER);
	}
	/* GPU energy: the sum over the GPUs whose counter could be read. */
	double gpu_j = 0;
	bool gpu_valid = false;
	int n_energy = sum->energy.n_gpus < BL_DEVICE_MAX_GPUS ? sum->energy.n_gpus : BL_DEVICE_MAX_GPUS;
	for (int g = 0; g < n_energy; g++) {
		if (sum->energy.gpu_j[g].valid && isfinite(sum->energy.gpu_j[g].value)) {
			gpu_j += sum->energy.gpu_j[g].value;
			gpu_valid = true;
		}
	}
	if (gpu_valid)
		bl_metric_list_add(m, "gpu_energy_j", gpu_j, "J", BL_BETTER_LOWER);
	if (sum->energy.cpu_j.valid && isfinite(sum->energy.cpu_j.value))
		bl_metric_list_add(m, "cpu_energy_j", sum->energy.cpu_j.value, "J", BL_BETTER_LOWER);
}

/* Protocol metrics, then the harness's (declared directions applied,
 * reserved names refused), followed by the built-in ones. Problems are
 * appended to diags. */
static void collect_metrics(const struct bl_case *c, const struct bl_protocol_result *pr,
			    const struct bl_metric_list *harness, const struct bl_run_result *res,
			    struct bl_metric_list *out, struct bl_buf *diags)
{
	for (size_t i = 0; i < pr->n_diags; i++)
		bl_buf_printf(diags, "metrics line %zu: %s\n", pr->diags[i].line, pr->diags[i].reason);
	for (size_t i = 0; i < pr->metrics.n + harness->n; i++) {
		const struct bl_metric *m =
		    i < pr->metrics.n ? &pr->metrics.items[i] : &harness->items[i - pr->metrics.n];
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

/*
 * Where a harness format's output is: the configured file (relative to the
 * run's directory), else $BENCHLINE_RESULTS_FILE when the run wrote it, else
 * the run's standard output. Owned.
 */
static char *harness_input(const struct sweep *s, const struct bl_case *c, const char *cwd,
			   const char *out_log)
{
	struct stat st;
	if (c->metrics_file)
		return bl_xasprintf("%s/%s", cwd, c->metrics_file);
	if (stat(s->results_path, &st) == 0)
		return bl_xstrdup(s->results_path);
	return bl_xstrdup(out_log);
}

/* Reads the metrics of a benchmark whose 'metrics: from:' names a harness
 * format. A failure is a diagnostic of the run (which is kept), said once
 * per case and commit through the notice event. */
static void read_harness(struct sweep *s, struct case_work *w, const struct bl_case *bc, const char *cwd,
			 const char *out_log, const char *sha, struct bl_metric_list *out, struct bl_buf *diags)
{
	const struct bl_benchmark_cfg *b = bc->bench;
	const struct bl_adapter *a = bl_adapter_find(b->metrics_from);
	if (!a)
		return; /* protocol */
	struct bl_adapter_unit units[64];
	struct bl_adapter_opts opts = {.pattern = b->metrics_pattern, .units = units};
	for (size_t i = 0; i < b->n_metrics_units && i < 64; i++)
		units[opts.n_units++] = (struct bl_adapter_unit){b->metrics_units[i].key, b->metrics_units[i].value};
	struct bl_error err = {{0}};
	char *path = NULL;
	int rc;
	if (bc->metrics_file && bl_adapter_is_pattern(bc->metrics_file)) {
		rc = bl_adapter_parse_glob(a, cwd, bc->metrics_file, &opts, out, &err);
	} else {
		path = harness_input(s, bc, cwd, out_log);
		rc = bl_adapter_parse_file(a, path, &opts, out, &err);
	}
	if (rc == 0) {
		free(path);
		return;
	}
	bl_metric_list_release(out);
	bl_buf_printf(diags, "%s metrics: %s\n", a->name, err.msg);
	if (!w->adapter_warned && s->o->events && s->o->events->notice) {
		char *msg = bl_xasprintf("%s at %.12s: no %s metrics (run kept without them): %s", bc->label, sha,
					 a->name, err.msg);
		s->o->events->notice(s->o->events->ctx, msg);
		free(msg);
	}
	w->adapter_warned = true;
	free(path);
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

/* Where the sweep stands during run `ordinal` of case c at commit k. */
static void run_progress(const struct sweep *s, size_t k, size_t c, bool warmup, int index, int ordinal,
			 struct bl_sweep_progress *p)
{
	const struct case_work *w = &s->commits[k].cases[c];
	bl_sweep_progress_at(s, k, p);
	p->case_label = s->cases[c].label;
	p->warmup = warmup;
	p->index = index;
	p->ordinal = ordinal + 1;
	p->count = warmup ? w->warmups : (int)w->n_todo;
}

/* One run of case c at commit k: spawn, measure, parse, store. ordinal is
 * the position among this sweep's warm-ups or repetitions of the case. */
int bl_sweep_do_run(struct sweep *s, size_t k, size_t c, bool warmup, int ordinal, struct bl_error *err)
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
	struct bl_metric_list metrics = {0}, harness = {0};
	struct bl_buf diags, mbuf;
	bl_buf_init(&diags);
	bl_buf_init(&mbuf);
	bl_sweep_command_argv(&bc->command, &argv);
	for (size_t i = 0; i < bc->n_env && n_extra < 72; i++)
		extra[n_extra++] = bc->env[i];
	extra[n_extra++] = (struct bl_kv){.key = "BENCHLINE_METRICS", .value = s->metrics_path};
	extra[n_extra++] = (struct bl_kv){.key = "BENCHLINE_RESULTS_FILE", .value = s->results_path};
	extra[n_extra++] = (struct bl_kv){.key = "BENCHLINE_COMMIT", .value = cw->ci.sha};
	extra[n_extra++] = (struct bl_kv){.key = "BENCHLINE_BENCHMARK", .value = bc->bench->name};
	extra[n_extra++] = (struct bl_kv){.key = "BENCHLINE_PARAMS", .value = bc->params_json};
	extra[n_extra++] = (struct bl_kv){.key = "BENCHLINE_REPETITION", .value = idx_text};
	extra[n_extra++] = (struct bl_kv){.key = "BENCHLINE_WARMUP", .value = warmup ? "1" : "0"};
	bl_sweep_child_env(&env, extra, n_extra);

	if (bl_mkdirs(dir, 0755, err))
		goto out;
	/* With both kinds of benchmark, switch the suite files to what this
	 * one asks for: today's (overlay) or the commit's own. */
	if (s->any_overlay) {
		bool want = bc->bench->files == BL_FILES_CURRENT;
		if (want && !cw->overlaid && bl_sweep_apply_overlay(s, cw, err))
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
	/* A harness output left by an earlier run must not pass for this one's. */
	unlink(s->results_path);
	if (bc->metrics_file && bl_adapter_is_pattern(bc->metrics_file)) {
		/* Every file of the pattern is an earlier run's (directories are the harness's to make). */
		struct bl_strvec stale;
		bl_strvec_init(&stale);
		struct bl_error ignored = {{0}};
		bl_adapter_glob(cwd, bc->metrics_file, &stale, &ignored);
		for (size_t i = 0; i < stale.n; i++)
			unlink(stale.v[i]);
		bl_strvec_release(&stale);
	} else if (bc->metrics_file) {
		/* Its directory is made, so "out/x.json" works in a fresh checkout. */
		char *stale = bl_xasprintf("%s/%s", cwd, bc->metrics_file);
		char *slash = strrchr(stale, '/');
		*slash = '\0';
		int mk = bl_mkdirs(stale, 0755, err);
		*slash = '/';
		unlink(stale);
		free(stale);
		if (mk)
			goto out;
	}

	struct bl_sweep_progress p;
	run_progress(s, k, c, warmup, index, ordinal, &p);
	if (o->events && o->events->run_begin)
		o->events->run_begin(o->events->ctx, &p);

	struct bl_run_spec spec = {
	    .argv = argv.v,
	    .cwd = cwd,
	    .envp = env.v,
	    .timeout_s = bc->bench->timeout_s,
	    .stdout_path = out_log,
	    .stderr_path = err_log,
	    /* A harness format may be read from stdout: keep all of it, up to a bound. */
	    .log_cap = strcmp(bc->bench->metrics_from, "protocol") && !bc->metrics_file ? HARNESS_LOG_CAP : 0,
	    .cpus = o->cpus,
	    .n_cpus = o->n_cpus,
	    .interrupt = o->interrupt,
	};
	if (s->sampler) {
		spec.on_start = bl_sampler_on_start;
		spec.on_exit = bl_sampler_on_exit;
		spec.ctx = s->sampler;
		bl_sampler_set_warmup(s->sampler, warmup);
		bl_sampler_avoid_cpus(s->sampler, o->cpus, o->n_cpus);
	}
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
	if (res.status == BL_RUN_OK) /* a failed run's output is not worth a second complaint */
		read_harness(s, w, bc, cwd, out_log, cw->ci.sha, &harness, &diags);
	collect_metrics(bc, &proto, &harness, &res, &metrics, &diags);
	if (res.status == BL_RUN_SPAWN_FAILED)
		bl_buf_printf(&diags, "%s\n", res.spawn_error);
	/* The samples stay the sampler's until the next run starts: stored below. */
	const struct bl_sample *samples = NULL;
	size_t n_samples = 0;
	if (s->sampler && res.status != BL_RUN_SPAWN_FAILED) {
		samples = bl_sampler_samples(s->sampler, &n_samples);
		add_device_metrics(&metrics, n_samples ? bl_sampler_summary(s->sampler) : NULL);
		if (*bl_sampler_error(s->sampler))
			bl_buf_printf(&diags, "device sampling: %s\n", bl_sampler_error(s->sampler));
	}

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
		.samples = samples,
		.n_samples = n_samples,
	};
	int64_t run_id;
	int stored = bl_store_add_run(o->store, &rec, &run_id, err);
	if (stored == BL_STORE_ALREADY_STORED && !warmup) {
		/* Another sweep of the same case (its own cache, the same database)
		 * stored this repetition first: it counts, ours is dropped, and the
		 * two sweeps together store each repetition once. */
		bl_error_clear(err);
		s->runs_done++;
		w->stored++;
		rc = 0;
		goto out;
	}
	if (stored != 0)
		goto out;
	s->runs_done++;
	if (warmup)
		w->warmups_done++;
	else
		w->stored++;
	if (res.status == BL_RUN_OK) {
		s->t->runs_ok++;
		if (!warmup)
			bl_sweep_note_wall(w, res.wall_s);
	} else {
		s->t->runs_failed++;
		/* A benchmark that fails at a commit fails the same way again:
		 * its remaining runs there are skipped, not repeated. */
		w->failed = true;
	}
	run_progress(s, k, c, warmup, index, ordinal, &p);
	if (o->events && o->events->run_end)
		o->events->run_end(o->events->ctx, &p, &res, &proto, out_log, err_log);
	rc = 0;
out:
	bl_protocol_result_release(&proto);
	bl_metric_list_release(&metrics);
	bl_metric_list_release(&harness);
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

