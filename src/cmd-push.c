/*
 * cmd-push.c - `benchline push`: copies every result of a local SQLite store
 * into another store (a shared PostgreSQL database) without duplicates.
 *
 * The source is read whole in one snapshot (bl_store_export) and written
 * through the ordinary store operations, so the copy goes through the same
 * checks and transactions as a sweep: machines are matched by fingerprint,
 * commits upserted, cases found or created by their natural key (repository,
 * commit, machine, name, params, suite hash), and a run is copied unless the
 * target case already has a run of the same kind and index (warm-ups may
 * repeat an index: the k-th one is copied when the target has fewer than k).
 * Each run is its own transaction there, so an interrupted push leaves whole
 * runs and the next push adds the rest.
 */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: benchline push --to URL [--db PATH]\n"
	"\n"
	"Copies every result of a local SQLite database (machines, commits, benchmark\n"
	"cases, runs with their metrics, model measurements and device samples, and\n"
	"builds) into another store, normally a shared PostgreSQL database, without\n"
	"duplicates: a run already there (same case, kind and index) is skipped, so\n"
	"pushing twice adds nothing and pushing after more runs adds only the new ones.\n"
	"Runners without network can benchmark into SQLite and push later.\n"
	"\n"
	"Options:\n"
	"  --to URL     the store to copy into: postgresql://[USER[:PASSWORD]@]HOST[:PORT]/DB\n"
	"               (a libpq URL: .pgpass, PGPASSWORD and the other PG* variables work\n"
	"               as in psql), or the path of another SQLite database\n"
	"  --db PATH    the SQLite database to copy from (default: $BENCHLINE_DB or\n"
	"               <repo>/.benchline/results.db)\n"
	"\n"
	"Passwords are never printed: URLs are shown as postgresql://USER:***@HOST/DB.\n"
	"Exit status 3 when either store cannot be opened (wrong password, server\n"
	"unreachable) or a write fails; what was copied before stays, whole runs only.\n";

struct id_pair {
	int64_t from, to;
};

struct idx_count {
	int idx, n;
};

struct push {
	struct bl_store *to;
	struct bl_error *err;
	struct id_pair *machines; /* source machine_id -> target machine_id */
	size_t n_machines, cap_machines;
	/* The case being copied: its target id and what the target held when it was opened. */
	int64_t from_case;        /* 0: none (or skipped) */
	struct bl_case_state st;
	char *from_status;
	struct idx_count *warmups_seen; /* warm-ups of this case seen in the source, per index */
	size_t n_seen, cap_seen;
	/* What was done. */
	size_t cases, runs_added, runs_present, builds_added, builds_present, commits, machines_added;
};

static int64_t mapped_machine(const struct push *p, int64_t from)
{
	for (size_t i = 0; i < p->n_machines; i++)
		if (p->machines[i].from == from)
			return p->machines[i].to;
	return 0;
}

static int on_machine(void *ctx, int64_t machine_id, const struct bl_machine *m)
{
	struct push *p = ctx;
	int64_t to = 0;
	if (bl_store_find_machine(p->to, m->fingerprint, &to, p->err) != 0)
		return -1;
	/* A machine the target knows keeps its details (the target may have newer ones). */
	if (!to) {
		if (bl_store_put_machine(p->to, m, &to, p->err) != 0)
			return -1;
		p->machines_added++;
	}
	BL_GROW(p->machines, p->cap_machines, p->n_machines + 1);
	p->machines[p->n_machines++] = (struct id_pair){machine_id, to};
	return 0;
}

static int on_commit(void *ctx, const char *repository, const struct bl_commit_info *ci)
{
	struct push *p = ctx;
	if (bl_store_put_commit(p->to, repository, ci, p->err) != 0)
		return -1;
	p->commits++;
	return 0;
}

static int on_build(void *ctx, const struct bl_build_record *b)
{
	struct push *p = ctx;
	struct bl_build_record copy = *b;
	copy.machine_id = mapped_machine(p, b->machine_id);
	if (!copy.machine_id)
		return bl_fail(p->err, "cannot push the build of %.12s: its machine %lld is not in the source",
			       b->commit_sha, (long long)b->machine_id);
	bool found = false;
	if (bl_store_has_build(p->to, &copy, &found, p->err) != 0)
		return -1;
	if (found) {
		p->builds_present++;
		return 0;
	}
	if (bl_store_add_build(p->to, &copy, p->err) != 0)
		return -1;
	p->builds_added++;
	return 0;
}

/* After a case's runs: a target case still 'pending' takes the source's
 * status (complete, failed, build-failed). Not after an error: a case whose
 * runs were not all copied must stay pending, so that the next push (or a
 * sweep) completes it. */
static int finish_case(struct push *p, bool copied)
{
	int ret = 0;
	if (copied && p->from_case && p->from_status && strcmp(p->from_status, BL_CASE_PENDING) != 0 &&
	    !strcmp(p->st.status, BL_CASE_PENDING))
		ret = bl_store_set_case_status(p->to, p->st.benchmark_id, p->from_status, p->err);
	bl_case_state_release(&p->st);
	memset(&p->st, 0, sizeof(p->st));
	free(p->from_status);
	p->from_status = NULL;
	p->from_case = 0;
	p->n_seen = 0;
	return ret;
}

static int on_case(void *ctx, const struct bl_export_case *c)
{
	struct push *p = ctx;
	if (finish_case(p, true) != 0)
		return -1;
	struct bl_case_key key = c->key;
	key.machine_id = mapped_machine(p, c->key.machine_id);
	key.lookup_only = false;
	if (!key.machine_id)
		return bl_fail(p->err, "cannot push benchmark case '%s': its machine %lld is not in the source", key.name,
			       (long long)c->key.machine_id);
	if (bl_store_open_case(p->to, &key, &p->st, p->err) != 0)
		return -1;
	p->from_case = c->benchmark_id;
	p->from_status = bl_xstrdup(c->status ? c->status : BL_CASE_PENDING);
	p->cases++;
	return 0;
}

static bool has_measured(const struct bl_case_state *st, int idx)
{
	size_t lo = 0, hi = st->n_measured_done;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (st->measured_done[mid] < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < st->n_measured_done && st->measured_done[lo] == idx;
}

/* True when the target already holds this warm-up: the k-th source warm-up
 * with index idx is there when the target has at least k with that index. */
static bool has_warmup(struct push *p, int idx)
{
	struct idx_count *seen = NULL;
	for (size_t i = 0; i < p->n_seen; i++)
		if (p->warmups_seen[i].idx == idx)
			seen = &p->warmups_seen[i];
	if (!seen) {
		BL_GROW(p->warmups_seen, p->cap_seen, p->n_seen + 1);
		seen = &p->warmups_seen[p->n_seen++];
		*seen = (struct idx_count){idx, 0};
	}
	int k = ++seen->n, there = 0;
	for (int i = 0; i < p->st.n_warmups; i++)
		there += p->st.warmups_done[i] == idx;
	return there >= k;
}

static int on_run(void *ctx, const struct bl_run_record *r)
{
	struct push *p = ctx;
	if (!p->from_case || r->benchmark_id != p->from_case)
		return bl_fail(p->err, "cannot push run %d of benchmark %lld: its case was not read first", r->index,
			       (long long)r->benchmark_id);
	bool there = r->warmup ? has_warmup(p, r->index) : has_measured(&p->st, r->index);
	if (there) {
		p->runs_present++;
		return 0;
	}
	struct bl_run_record copy = *r;
	copy.benchmark_id = p->st.benchmark_id;
	if (bl_store_add_run(p->to, &copy, NULL, p->err) != 0)
		return -1;
	p->runs_added++;
	return 0;
}

static int cmd_push_main(int argc, char **argv)
{
	enum { OPT_TO = 256, OPT_DB };
	static const struct option longopts[] = {
		{"to", required_argument, NULL, OPT_TO},
		{"db", required_argument, NULL, OPT_DB},
		{NULL, 0, NULL, 0},
	};
	const char *to_opt = NULL, *db_opt = NULL;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+:", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_TO: to_opt = optarg; break;
		case OPT_DB: db_opt = optarg; break;
		case ':': return cli_usage_error("push", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("push", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("push", "unexpected argument '%s'", argv[optind]);
	if (!to_opt || !*to_opt)
		return cli_usage_error("push", "--to URL is required (the store to copy into)");

	struct cli_context ctx;
	struct bl_error err = {{0}};
	struct bl_store *from = NULL, *to = NULL;
	char *from_name = NULL, *to_name = bl_store_display_name(to_opt);
	struct push p = {.err = &err};
	int rc = EXIT_OK;
	if (cli_context_init(&ctx, NULL, db_opt, NULL, false, &err)) {
		cli_error("%s", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	from_name = bl_store_display_name(ctx.db_path);
	if (!strstr(ctx.db_path, "://") && access(ctx.db_path, F_OK) != 0) {
		cli_error("nothing to push: database '%s' does not exist (run 'benchline run' first)", from_name);
		rc = EXIT_USAGE;
		goto out;
	}
	char *to_real = strstr(to_opt, "://") ? NULL : realpath(to_opt, NULL);
	bool same = !strcmp(ctx.db_path, to_opt) || (to_real && !strcmp(ctx.db_path, to_real));
	free(to_real);
	if (same) {
		cli_error("--to names the database being pushed ('%s')", from_name);
		rc = EXIT_USAGE;
		goto out;
	}
	if (bl_store_open(ctx.db_path, &from, &err)) {
		cli_error("%s", err.msg);
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (bl_store_open(to_opt, &to, &err)) {
		cli_error("%s", err.msg);
		rc = EXIT_RUNTIME;
		goto out;
	}
	p.to = to;
	static const struct bl_export_visitor visitor = {
		.on_machine = on_machine,
		.on_commit = on_commit,
		.on_build = on_build,
		.on_case = on_case,
		.on_run = on_run,
	};
	if (bl_store_export(from, &visitor, &p, &err) != 0 || finish_case(&p, true) != 0) {
		cli_error("%s", err.msg);
		cli_info("pushed %zu runs before the error; pushing again adds the rest", p.runs_added);
		rc = EXIT_RUNTIME;
		goto out;
	}
	printf("pushed %zu run%s (%zu already there) of %zu benchmark case%s, %zu build%s (%zu already there)"
	       " and %zu new machine%s from %s to %s\n",
	       p.runs_added, p.runs_added == 1 ? "" : "s", p.runs_present, p.cases, p.cases == 1 ? "" : "s",
	       p.builds_added, p.builds_added == 1 ? "" : "s", p.builds_present, p.machines_added,
	       p.machines_added == 1 ? "" : "s", from_name, to_name);
out:
	finish_case(&p, false);
	free(p.machines);
	free(p.warmups_seen);
	if (from)
		bl_store_close(from);
	if (to)
		bl_store_close(to);
	free(from_name);
	free(to_name);
	cli_context_release(&ctx);
	return rc;
}

const struct cli_command cli_cmd_push = {
	.name = "push",
	.fn = cmd_push_main,
	.summary = "copy the results of a local SQLite store into PostgreSQL",
	.usage = usage,
};
