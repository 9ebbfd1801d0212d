/*
 * store_sqlite_cases.c - the cases of a foreach_value read (store.h,
 * store_sqlite_values.c): every benchmarks row of the repository by
 * benchmark_id, with its commit's subject and time and its machine's
 * hostname.
 *
 * A report reads a case per commit and benchmark (400,000 for 10,000
 * commits x 40 benchmarks) while the other parts wait for no one, so this
 * read is the one serial stretch of the load. Joining commits and machines
 * in SQL looks both up by key once per case, and each commit time was parsed
 * from its text once per case: 0.49 s of CPU against 0.21 s for the
 * benchmarks rows alone (sqlite3 shell, the 10,000 x 200 history of
 * bench/report.sh). Here the commits (a few thousand rows) and the machines
 * (a handful) are read first into tables, their times parsed once, and each
 * case finds its own there: consecutive cases mostly share both, so the
 * last answer is tried first.
 *
 * What the join gave is kept exactly: a case whose commit was never stored
 * takes its own commit message and time 0 (the LEFT JOIN's NULLs), a stored
 * commit without subject the case's message too (coalesce), and a case whose
 * machine is missing is left out (the inner join). Commits are matched on
 * repository and SHA, as the join matched them.
 */
#include "store_sqlite_internal.h"

#include <stdlib.h>
#include <string.h>

/* The repository's commits (every repository's when none is named); with a
 * commit filter, those commits only. */
static const char COMMITS_SQL[] =
	"SELECT repository, sha, subject, commit_time FROM commits WHERE (?1 IS NULL OR repository = ?1)";
static const char COMMITS_SHAS_SQL[] =
	"SELECT repository, sha, subject, commit_time FROM commits WHERE (?1 IS NULL OR repository = ?1)"
	" AND sha IN (SELECT sha FROM temp.query_shas)";
static const char MACHINES_SQL[] = "SELECT machine_id, hostname FROM machines ORDER BY machine_id";
/* The IS NULL test keeps SQLite on the table's own order (no sort of the rows). */
static const char CASES_SQL[] = "SELECT benchmark_id, machine_id, repository, commit_id, commit_message, name, params,"
				" status, suite_hash FROM benchmarks WHERE (?1 IS NULL OR repository = ?1)"
				" ORDER BY benchmark_id";
static const char CASES_SHAS_SQL[] =
	"SELECT benchmark_id, machine_id, repository, commit_id, commit_message, name, params, status, suite_hash"
	" FROM benchmarks WHERE (?1 IS NULL OR repository = ?1) AND commit_id IN (SELECT sha FROM temp.query_shas)"
	" ORDER BY benchmark_id";

#define NO_ENTRY UINT32_MAX

struct commit_entry {
	char *repository, *sha, *subject; /* subject NULL when the row has none */
	int64_t time;
};

struct machine_entry {
	int64_t id;
	char *hostname; /* NULL when the row has none */
};

struct lookup {
	struct commit_entry *commits;
	size_t n_commits, cap_commits;
	uint32_t *table; /* open addressing over commits by SHA, NO_ENTRY empty */
	size_t table_cap;
	struct machine_entry *machines; /* by id */
	size_t n_machines, cap_machines;
};

static uint64_t hash_sha(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static void lookup_release(struct lookup *l)
{
	for (size_t i = 0; i < l->n_commits; i++) {
		free(l->commits[i].repository);
		free(l->commits[i].sha);
		free(l->commits[i].subject);
	}
	free(l->commits);
	free(l->table);
	for (size_t i = 0; i < l->n_machines; i++)
		free(l->machines[i].hostname);
	free(l->machines);
}

static char *dup_text(sqlite3_stmt *st, int col)
{
	const char *t = (const char *)sqlite3_column_text(st, col);
	return t ? bl_xstrdup(t) : NULL;
}

/* Reads the commits (cq) and the machines (mq); returns SQLITE_DONE or SQLite's error. */
static int read_lookup(sqlite3_stmt *cq, sqlite3_stmt *mq, const char *repository, struct lookup *l)
{
	int rc;
	bind_text(cq, 1, repository);
	while ((rc = sqlite3_step(cq)) == SQLITE_ROW) {
		const char *repo = (const char *)sqlite3_column_text(cq, 0), *sha = (const char *)sqlite3_column_text(cq, 1);
		if (!repo || !sha)
			continue; /* NOT NULL columns: never met */
		BL_GROW(l->commits, l->cap_commits, l->n_commits + 1);
		l->commits[l->n_commits++] = (struct commit_entry){
			.repository = bl_xstrdup(repo),
			.sha = bl_xstrdup(sha),
			.subject = dup_text(cq, 2),
			.time = bl_store_parse_iso_seconds((const char *)sqlite3_column_text(cq, 3)),
		};
	}
	sqlite3_reset(cq);
	if (rc != SQLITE_DONE)
		return rc;
	size_t cap = 16;
	while (cap < 2 * l->n_commits)
		cap *= 2;
	l->table = bl_xmalloc(cap * sizeof(*l->table));
	l->table_cap = cap;
	memset(l->table, 0xff, cap * sizeof(*l->table));
	for (size_t i = 0; i < l->n_commits; i++) {
		size_t k = hash_sha(l->commits[i].sha) & (cap - 1);
		while (l->table[k] != NO_ENTRY)
			k = (k + 1) & (cap - 1);
		l->table[k] = (uint32_t)i;
	}
	while ((rc = sqlite3_step(mq)) == SQLITE_ROW) {
		BL_GROW(l->machines, l->cap_machines, l->n_machines + 1);
		l->machines[l->n_machines++] =
			(struct machine_entry){.id = sqlite3_column_int64(mq, 0), .hostname = dup_text(mq, 1)};
	}
	sqlite3_reset(mq);
	return rc;
}

static const struct commit_entry *find_commit(const struct lookup *l, const char *repository, const char *sha)
{
	if (!repository || !sha || !l->n_commits)
		return NULL;
	for (size_t k = hash_sha(sha) & (l->table_cap - 1); l->table[k] != NO_ENTRY; k = (k + 1) & (l->table_cap - 1)) {
		const struct commit_entry *c = &l->commits[l->table[k]];
		if (!strcmp(c->sha, sha) && !strcmp(c->repository, repository))
			return c;
	}
	return NULL;
}

static int cmp_machine(const void *a, const void *b)
{
	return bl_store_cmp_i64(&((const struct machine_entry *)a)->id, &((const struct machine_entry *)b)->id);
}

static const struct machine_entry *find_machine(const struct lookup *l, int64_t id)
{
	const struct machine_entry key = {.id = id};
	return l->n_machines ? bsearch(&key, l->machines, l->n_machines, sizeof(*l->machines), cmp_machine) : NULL;
}

int bl_sqlite_read_cases(struct sqlite_store *s, const char *repository, bool by_sha,
			 int (*on_case)(void *ctx, const struct bl_value_case *c), void *ctx, int *rc_out,
			 struct bl_error *err)
{
	sqlite3_stmt *cq = by_sha ? bl_sqlite_stmt(s, ST_VALUE_COMMITS_SHAS, COMMITS_SHAS_SQL, err)
				  : bl_sqlite_stmt(s, ST_VALUE_COMMITS, COMMITS_SQL, err);
	sqlite3_stmt *mq = cq ? bl_sqlite_stmt(s, ST_VALUE_MACHINES, MACHINES_SQL, err) : NULL;
	sqlite3_stmt *q = !mq ? NULL
		: by_sha ? bl_sqlite_stmt(s, ST_VALUE_CASES_SHAS, CASES_SHAS_SQL, err)
			 : bl_sqlite_stmt(s, ST_VALUE_CASES, CASES_SQL, err);
	*rc_out = SQLITE_DONE;
	if (!q)
		return -1; /* err says why */
	struct lookup l;
	memset(&l, 0, sizeof(l));
	int ret = 0, rc = read_lookup(cq, mq, repository, &l);
	if (rc != SQLITE_DONE) {
		lookup_release(&l);
		*rc_out = rc;
		return 0;
	}
	bind_text(q, 1, repository);
	const struct commit_entry *commit = NULL;
	const struct machine_entry *machine = NULL;
	while (ret == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t machine_id = sqlite3_column_int64(q, 1);
		if (!machine || machine->id != machine_id)
			machine = find_machine(&l, machine_id);
		if (!machine)
			continue; /* no such machine: the join left it out */
		const char *repo = (const char *)sqlite3_column_text(q, 2), *sha = (const char *)sqlite3_column_text(q, 3);
		if (!commit || !sha || !repo || strcmp(commit->sha, sha) || strcmp(commit->repository, repo))
			commit = find_commit(&l, repo, sha);
		const char *subject = commit && commit->subject ? commit->subject
								: (const char *)sqlite3_column_text(q, 4);
		struct bl_value_case c = {
			.benchmark_id = sqlite3_column_int64(q, 0),
			.machine_id = machine_id,
			.commit_sha = sha,
			.subject = subject,
			.commit_time = commit ? commit->time : 0,
			.name = (const char *)sqlite3_column_text(q, 5),
			.params_json = (const char *)sqlite3_column_text(q, 6),
			.machine = machine->hostname,
			.status = (const char *)sqlite3_column_text(q, 7),
			.suite_hash = (const char *)sqlite3_column_text(q, 8),
		};
		if (on_case)
			ret = on_case(ctx, &c);
	}
	sqlite3_reset(q);
	lookup_release(&l);
	*rc_out = ret ? SQLITE_DONE : rc;
	return ret;
}
