/*
 * cmd-queue.c - `benchline queue`: what the shared job queue holds (pending,
 * running by whom and since when, done, failed and why), and the two
 * repairs a person needs: retry failed jobs, cancel pending ones.
 */
#include "cli.h"

#include "benchline/queue.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: benchline queue [--db URL] [options]\n"
	"\n"
	"Shows the job queue of a shared PostgreSQL database: how many jobs are pending,\n"
	"running, done and failed; each running job with its worker, start and lease; each\n"
	"failed job with the reason; the pending jobs in the order workers will take them.\n"
	"\n"
	"Options:\n"
	"  --db URL          the shared store (default: $BENCHLINE_DB, then 'db:' in\n"
	"                    benchline.yaml)\n"
	"  --all             list done and cancelled jobs too\n"
	"  --format FMT      table (default) or json (every job with every field)\n"
	"  --retry-failed    put failed and cancelled jobs back in the queue, attempts reset\n"
	"  --cancel-pending  cancel every pending job (running ones finish)\n"
	"\n"
	"A running job whose lease ran out (its worker died or lost the network) is shown\n"
	"as 'expired': the next worker to look for work takes it over.\n";

struct list_ctx {
	json_t *array; /* json format */
	bool all;
	size_t shown_pending;
};

static void fmt_time(int64_t ns, char out[32])
{
	if (!ns) {
		snprintf(out, 32, "-");
		return;
	}
	bl_format_utc(ns / 1000000000, out);
}

static char *job_benchmarks(const struct bl_job *job)
{
	struct bl_buf b;
	bl_buf_init(&b);
	for (size_t i = 0; i < job->benchmarks.n; i++)
		bl_buf_printf(&b, "%s%s", i ? "," : "", job->benchmarks.v[i]);
	if (!job->benchmarks.n)
		bl_buf_puts(&b, "all");
	return bl_buf_detach(&b);
}

static int print_job(void *vctx, const struct bl_job *job)
{
	struct list_ctx *lc = vctx;
	char created[32], started[32], finished[32], lease[32];
	fmt_time(job->created_ns, created);
	fmt_time(job->started_ns, started);
	fmt_time(job->finished_ns, finished);
	fmt_time(job->lease_until_ns, lease);
	char *benches = job_benchmarks(job);
	if (lc->array) {
		json_t *o = json_object();
		json_object_set_new(o, "job_id", json_integer(job->job_id));
		json_object_set_new(o, "state", json_string(job->lease_expired ? "expired" : job->state));
		json_object_set_new(o, "repository", json_string(job->repository));
		json_object_set_new(o, "commit", json_string(job->commit_sha));
		json_t *names = json_array();
		for (size_t i = 0; i < job->benchmarks.n; i++)
			json_array_append_new(names, json_string(job->benchmarks.v[i]));
		json_object_set_new(o, "benchmarks", names);
		json_object_set_new(o, "machine_class", json_string(job->machine_class));
		json_object_set_new(o, "priority", json_integer(job->priority));
		json_object_set_new(o, "attempts", json_integer(job->attempts));
		json_object_set_new(o, "max_attempts", json_integer(job->max_attempts));
		json_object_set_new(o, "worker", job->worker ? json_string(job->worker) : json_null());
		json_object_set_new(o, "last_error", job->last_error ? json_string(job->last_error) : json_null());
		json_object_set_new(o, "created_at", json_string(created));
		json_object_set_new(o, "started_at", job->started_ns ? json_string(started) : json_null());
		json_object_set_new(o, "finished_at", job->finished_ns ? json_string(finished) : json_null());
		json_object_set_new(o, "lease_until", job->lease_until_ns ? json_string(lease) : json_null());
		json_array_append_new(lc->array, o);
		free(benches);
		return 0;
	}
	char worker[128] = "", why[512] = "";
	cli_sanitize(job->worker ? job->worker : "", worker, sizeof(worker));
	cli_sanitize(job->last_error ? job->last_error : "", why, sizeof(why));
	cli_truncate(why, 200);
	cli_truncate(benches, 40);
	const char *state = job->lease_expired ? "expired" : job->state;
	if (!strcmp(job->state, BL_JOB_RUNNING))
		printf("%-8lld %-9s %.12s  %-20s %-14s %d/%d  %s since %s, lease until %s\n", (long long)job->job_id,
		       state, job->commit_sha, benches, *job->machine_class ? job->machine_class : "-", job->attempts,
		       job->max_attempts, worker, started, lease);
	else if (!strcmp(job->state, BL_JOB_PENDING))
		printf("%-8lld %-9s %.12s  %-20s %-14s %d/%d  queued %s%s%s\n", (long long)job->job_id, state,
		       job->commit_sha, benches, *job->machine_class ? job->machine_class : "-", job->attempts,
		       job->max_attempts, created, *why ? "; last error: " : "", why);
	else
		printf("%-8lld %-9s %.12s  %-20s %-14s %d/%d  %s at %s%s%s\n", (long long)job->job_id, state,
		       job->commit_sha, benches, *job->machine_class ? job->machine_class : "-", job->attempts,
		       job->max_attempts, *worker ? worker : "-", finished, *why ? ": " : "", why);
	free(benches);
	return 0;
}

static int cmd_queue_main(int argc, char **argv)
{
	enum { OPT_DB = 256, OPT_ALL, OPT_FORMAT, OPT_RETRY, OPT_CANCEL };
	static const struct option longopts[] = {
		{"db", required_argument, NULL, OPT_DB},
		{"all", no_argument, NULL, OPT_ALL},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"retry-failed", no_argument, NULL, OPT_RETRY},
		{"cancel-pending", no_argument, NULL, OPT_CANCEL},
		{NULL, 0, NULL, 0},
	};
	const char *db_opt = NULL;
	bool all = false, json = false, retry = false, cancel = false;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DB: db_opt = optarg; break;
		case OPT_ALL: all = true; break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "json"))
				json = true;
			else if (strcmp(optarg, "table"))
				return cli_usage_error("queue", "--format is table or json, not '%s'", optarg);
			break;
		case OPT_RETRY: retry = true; break;
		case OPT_CANCEL: cancel = true; break;
		case ':': return cli_usage_error("queue", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("queue", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("queue", "unexpected argument '%s'", argv[optind]);
	if (retry && cancel)
		return cli_usage_error("queue", "--retry-failed and --cancel-pending go one at a time");

	struct cli_context ctx = {0};
	struct bl_error err = {{0}};
	struct bl_store *store = NULL;
	char *shown = NULL;
	int rc = EXIT_OK;
	if ((rc = cli_queue_context("queue", &ctx, NULL, db_opt, NULL, false)) != EXIT_OK)
		goto out;
	shown = bl_store_display_name(ctx.db_path);
	if (bl_store_open(ctx.db_path, &store, &err)) {
		cli_error("%s", err.msg);
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (retry || cancel) {
		size_t n;
		if ((retry ? bl_queue_retry_failed(store, &n, &err) : bl_queue_cancel_pending(store, &n, &err)) != 0) {
			cli_error("%s", err.msg);
			rc = EXIT_RUNTIME;
			goto out;
		}
		printf("%s %zu job%s\n", retry ? "requeued" : "cancelled", n, n == 1 ? "" : "s");
		goto out;
	}
	struct bl_queue_counts qc;
	if (bl_queue_counts(store, &qc, &err) != 0) {
		cli_error("%s", err.msg);
		rc = EXIT_RUNTIME;
		goto out;
	}
	struct list_ctx lc = {.all = all};
	static const char *const open_states[] = {BL_JOB_RUNNING, BL_JOB_FAILED, BL_JOB_PENDING};
	if (json) {
		lc.array = json_array();
		int r = bl_queue_list(store, all ? NULL : open_states, all ? 0 : 3, print_job, &lc, &err);
		if (r == 0) {
			json_t *doc = json_pack("{s:{s:I,s:I,s:I,s:I,s:I,s:I},s:o}", "counts", "pending", (json_int_t)qc.pending,
						"running", (json_int_t)qc.running, "expired", (json_int_t)qc.expired, "done",
						(json_int_t)qc.done, "failed", (json_int_t)qc.failed, "cancelled",
						(json_int_t)qc.cancelled, "jobs", lc.array);
			char *text = json_dumps(doc, JSON_INDENT(2));
			puts(text);
			free(text);
			json_decref(doc);
		} else {
			json_decref(lc.array);
		}
		if (r != 0) {
			cli_error("%s", err.msg);
			rc = EXIT_RUNTIME;
		}
		goto out;
	}
	printf("queue in %s: %zu pending, %zu running, %zu expired, %zu done, %zu failed, %zu cancelled\n", shown,
	       qc.pending, qc.running, qc.expired, qc.done, qc.failed, qc.cancelled);
	if (qc.pending + qc.running + qc.expired + qc.failed + (all ? qc.done + qc.cancelled : 0) > 0) {
		printf("%-8s %-9s %-12s  %-20s %-14s %-4s  %s\n", "JOB", "STATE", "COMMIT", "BENCHMARKS", "CLASS", "TRY",
		       "DETAILS");
		/* Running first, then failed, then the pending ones in claim order. */
		for (size_t k = 0; k < 3 && rc == EXIT_OK; k++) {
			const char *one[1] = {open_states[k]};
			if (bl_queue_list(store, one, 1, print_job, &lc, &err) != 0) {
				cli_error("%s", err.msg);
				rc = EXIT_RUNTIME;
			}
		}
		static const char *const closed[] = {BL_JOB_DONE, BL_JOB_CANCELLED};
		if (all && rc == EXIT_OK && bl_queue_list(store, closed, 2, print_job, &lc, &err) != 0) {
			cli_error("%s", err.msg);
			rc = EXIT_RUNTIME;
		}
	}
out:
	if (store)
		bl_store_close(store);
	free(shown);
	cli_context_release(&ctx);
	return rc;
}

const struct cli_command cli_cmd_queue = {
	.name = "queue",
	.fn = cmd_queue_main,
	.summary = "show the shared job queue; retry failed or cancel pending jobs",
	.usage = usage,
};
