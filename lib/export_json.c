/*
 * export_json.c - the store as one JSON document (benchline/export.h),
 * written while bl_store_export reads it: each record becomes a jansson
 * object that is dumped and freed at once, so memory stays that of one run.
 */
#include "benchline/export.h"
#include "store_internal.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <string.h>

struct json_export {
	FILE *out;
	struct bl_export_counts *n;
	int section;     /* 0 machines, 1 commits, 2 builds, 3 benchmarks; -1 before any */
	size_t in_section; /* items written in the current section */
	bool case_open;  /* a benchmark object whose "runs" array is open */
	size_t runs_in_case;
};

static const char *const sections[] = {"machines", "commits", "builds", "benchmarks"};

static json_t *str(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *number(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *opt(struct bl_value v, double scale)
{
	return v.valid ? number(v.value / scale) : json_null();
}

static json_t *iso(int64_t unix_ns)
{
	if (!unix_ns)
		return json_null();
	char buf[32];
	bl_store_format_iso_ms(unix_ns, buf);
	return json_string(buf);
}

/* A JSON text stored by benchline (metadata, measurements, gpus) as a value, or as a string when it is not JSON. */
static json_t *embedded(const char *text)
{
	if (!text)
		return json_null();
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
	return v ? v : json_string(text);
}

static void close_case(struct json_export *e)
{
	if (e->case_open)
		fputs("]}", e->out);
	e->case_open = false;
}

/* Moves to section k, closing the ones before. */
static void enter(struct json_export *e, int k)
{
	while (e->section < k) {
		if (e->section == 3)
			close_case(e);
		if (e->section >= 0)
			fputs("\n  ]", e->out);
		e->section++;
		fprintf(e->out, "%s\n  \"%s\": [", e->section ? "," : "{", sections[e->section]);
		e->in_section = 0;
	}
}

static void item(struct json_export *e, json_t *o)
{
	fputs(e->in_section++ ? ",\n    " : "\n    ", e->out);
	json_dumpf(o, e->out, JSON_COMPACT | JSON_REAL_PRECISION(17));
	json_decref(o);
}

static int on_machine(void *ctx, int64_t machine_id, const struct bl_machine *m)
{
	struct json_export *e = ctx;
	enter(e, 0);
	item(e, json_pack("{s:I,s:s,s:o,s:o,s:o,s:o,s:o,s:i,s:I,s:o}", "machine_id", (json_int_t)machine_id,
			  "fingerprint", m->fingerprint, "hostname", str(m->hostname), "os", str(m->os), "kernel",
			  str(m->kernel), "arch", str(m->arch), "cpu_model", str(m->cpu_model), "cpu_count", m->cpu_count,
			  "memory_bytes", (json_int_t)m->memory_bytes, "gpus", embedded(m->gpus_json)));
	e->n->machines++;
	return 0;
}

static int on_commit(void *ctx, const char *repository, const struct bl_commit_info *ci)
{
	struct json_export *e = ctx;
	enter(e, 1);
	item(e, json_pack("{s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:o}", "repository", str(repository), "sha", ci->sha, "parents",
			  str(ci->parents), "author_name", str(ci->author_name), "author_email", str(ci->author_email),
			  "author_time", iso(ci->author_time * 1000000000LL), "commit_time",
			  iso(ci->commit_time * 1000000000LL), "subject", str(ci->subject)));
	e->n->commits++;
	return 0;
}

static int on_build(void *ctx, const struct bl_build_record *b)
{
	struct json_export *e = ctx;
	enter(e, 2);
	item(e, json_pack("{s:o,s:o,s:I,s:o,s:o,s:o,s:o,s:o}", "repository", str(b->repository), "commit_id",
			  str(b->commit_sha), "machine_id", (json_int_t)b->machine_id, "build_key", str(b->build_key),
			  "status", str(b->status), "started_at", iso(b->start_unix_ns), "duration_s",
			  b->duration_s >= 0 ? number(b->duration_s) : json_null(), "log_path", str(b->log_path)));
	e->n->builds++;
	return 0;
}

static int on_case(void *ctx, const struct bl_export_case *c)
{
	struct json_export *e = ctx;
	enter(e, 3);
	close_case(e);
	json_t *o = json_pack("{s:I,s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:o,s:o,s:o,s:o}", "benchmark_id",
			      (json_int_t)c->benchmark_id, "repository", str(c->key.repository), "branch",
			      str(c->key.branch), "commit_id", str(c->key.commit_sha), "commit_message",
			      str(c->key.commit_subject), "machine_id", (json_int_t)c->key.machine_id, "suite_hash",
			      str(c->key.suite_hash), "name", str(c->key.name), "params", embedded(c->key.params_json),
			      "metadata", embedded(c->key.metadata_json), "status", str(c->status), "created_at",
			      iso(c->key.created_unix_ns));
	/* The object without its closing brace, then the runs as they come. */
	char *text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17));
	json_decref(o);
	size_t len = strlen(text);
	fputs(e->in_section++ ? ",\n    " : "\n    ", e->out);
	fwrite(text, 1, len - 1, e->out);
	fputs(",\"runs\":[", e->out);
	free(text);
	e->case_open = true;
	e->runs_in_case = 0;
	e->n->cases++;
	return 0;
}

static json_t *sample_json(const struct bl_sample *x)
{
	json_t *gpus = json_array();
	for (int g = 0; g < x->n_gpus; g++) {
		const struct bl_gpu_sample *s = &x->gpu[g];
		json_array_append_new(gpus, json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "util_pct", opt(s->util_pct, 1),
						      "mem_megabytes", opt(s->mem_used_bytes, BL_STORE_MIB), "power_w",
						      opt(s->power_w, 1), "temp_c", opt(s->temp_c, 1), "sm_clock_mhz",
						      opt(s->sm_clock_mhz, 1), "clock_reasons", opt(s->clock_reasons, 1),
						      "proc_mem_megabytes", opt(s->proc_mem_bytes, BL_STORE_MIB)));
	}
	return json_pack("{s:I,s:b,s:o,s:o,s:o,s:o,s:o,s:o}", "t_ns", (json_int_t)x->t_ns, "warmup", x->warmup,
			 "cpu_util", opt(x->proc_cpu_pct, 1), "mem_megabytes", opt(x->proc_rss_bytes, BL_STORE_MIB),
			 "procs", opt(x->proc_count, 1), "sys_cpu_util", opt(x->sys_cpu_pct, 1), "sys_mem_megabytes",
			 opt(x->sys_mem_used_bytes, BL_STORE_MIB), "gpus", gpus);
}

static int on_run(void *ctx, const struct bl_run_record *r)
{
	struct json_export *e = ctx;
	json_t *metrics = json_array(), *models = json_array(), *samples = json_array();
	for (size_t i = 0; i < r->n_metrics; i++)
		json_array_append_new(metrics, json_pack("{s:o,s:o,s:o,s:o}", "name", str(r->metrics[i].name), "value",
							 number(r->metrics[i].value), "unit", str(r->metrics[i].unit),
							 "better", str(bl_better_name(r->metrics[i].better))));
	for (size_t i = 0; i < r->n_measurements; i++)
		json_array_append_new(models, embedded(r->measurements[i]));
	for (size_t i = 0; i < r->n_samples; i++)
		json_array_append_new(samples, sample_json(&r->samples[i]));
	json_t *o = json_pack("{s:s,s:i,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "kind",
			      r->warmup ? "warmup" : "measured", "idx", r->index, "started_at", iso(r->start_unix_ns),
			      "wall_s", number(r->wall_s), "user_s", number(r->user_s), "sys_s", number(r->sys_s),
			      "peak_rss_bytes", r->peak_rss_bytes >= 0 ? json_integer(r->peak_rss_bytes) : json_null(),
			      "exit_code", r->term_signal ? json_null() : json_integer(r->exit_code), "term_signal",
			      r->term_signal ? json_integer(r->term_signal) : json_null(), "status", str(r->status),
			      "env_hash", str(r->env_hash), "cpu_list", str(r->cpu_list), "diagnostics",
			      str(r->diagnostics), "metrics", metrics, "model_measurements", models, "measured_at",
			      iso(r->stored_unix_ns), "device_samples", samples);
	if (e->runs_in_case++)
		fputc(',', e->out);
	json_dumpf(o, e->out, JSON_COMPACT | JSON_REAL_PRECISION(17));
	json_decref(o);
	e->n->runs++;
	e->n->metrics += r->n_metrics;
	e->n->measurements += r->n_measurements;
	e->n->samples += r->n_samples;
	return 0;
}

int bl_export_json(struct bl_store *s, FILE *out, struct bl_export_counts *n, struct bl_error *err)
{
	memset(n, 0, sizeof(*n));
	struct json_export e = {.out = out, .n = n, .section = -1};
	static const struct bl_export_visitor v = {on_machine, on_commit, on_build, on_case, on_run};
	if (bl_store_export(s, &v, &e, err) != 0)
		return -1;
	enter(&e, 3);
	close_case(&e);
	fputs("\n  ]\n}\n", out);
	if (fflush(out) != 0 || ferror(out))
		return bl_fail_errno(err, errno ? errno : EIO, "cannot write the JSON export");
	return 0;
}
