/*
 * queue.h - the job queue that lets many machines share the benchmarking of
 * one repository (`benchline enqueue`, `benchline worker`, `benchline queue`).
 *
 * Jobs live in the jobs table of a PostgreSQL store (docs/SCHEMA.md): one
 * job is one commit x benchmark selection x machine class. A worker claims
 * the oldest open job of its class with SELECT ... FOR UPDATE SKIP LOCKED,
 * so workers never wait for each other's claims, and holds it by a lease: a
 * random token and an expiry time on the server's clock, extended by
 * heartbeats from a thread with its own connection. A job whose lease ran out
 * (its worker died, hung or lost the network) is claimed again by the next
 * worker. Completion checks the token in the same transaction as the job's
 * results: a worker that lost its lease can never store a job twice, and
 * nothing of a job is stored until all of it is.
 */
#ifndef BENCHLINE_QUEUE_H
#define BENCHLINE_QUEUE_H

#include "benchline/common.h"
#include "benchline/store.h"

#define BL_JOB_PENDING "pending"
#define BL_JOB_RUNNING "running"
#define BL_JOB_DONE "done"
#define BL_JOB_FAILED "failed"
#define BL_JOB_CANCELLED "cancelled"

/* What enqueue records. */
struct bl_job_spec {
	const char *repository;     /* benchmarks.repository of the results */
	const char *commit_sha;
	const char *const *benchmarks; /* names; NULL / 0: every benchmark of the suite */
	size_t n_benchmarks;
	const char *machine_class;  /* NULL or "": any worker */
	int priority;               /* higher first */
	int max_attempts;           /* >= 1 */
	bool force;                 /* measure again even where results are complete */
};

/* A job as read back (all strings owned; bl_job_release). */
struct bl_job {
	int64_t job_id;
	char *repository, *commit_sha, *machine_class, *state, *worker, *last_error;
	struct bl_strvec benchmarks;
	int priority, attempts, max_attempts;
	bool force;
	char lease_token[33];       /* set by bl_queue_claim */
	int64_t created_ns, started_ns, finished_ns, lease_until_ns; /* 0: NULL */
	int64_t machine_id;         /* the machine that did it (done jobs), 0 */
	bool lease_expired;         /* running, and its lease has run out */
};
void bl_job_release(struct bl_job *job);

/* True when the store can hold a queue (PostgreSQL). */
bool bl_queue_supported(const struct bl_store *s);

/* Records jobs in one transaction. Unless spec->force, a job equal to one
 * already pending, running or done (same repository, commit, benchmarks and
 * class) is skipped and counted in *skipped. Wakes waiting workers. */
int bl_queue_enqueue(struct bl_store *s, const struct bl_job_spec *specs, size_t n, size_t *added, size_t *skipped,
		     struct bl_error *err);

/* Claims the next job for a worker of machine_class (NULL: only jobs of no
 * class; a class takes its own jobs and those of no class): the highest
 * priority, then the oldest, pending or with an expired lease. Jobs whose
 * lease expired on their last attempt become failed instead. *got false:
 * nothing to claim. The lease lasts lease_s seconds of server time. */
int bl_queue_claim(struct bl_store *s, const char *machine_class, const char *worker, double lease_s,
		   struct bl_job *job, bool *got, struct bl_error *err);

/* Marks the job done (last_error keeps what an earlier attempt met), inside the caller's transaction (bl_store_begin) that
 * holds its results. *lost: the lease is no longer this worker's (expired
 * and claimed by another): the caller must roll back. */
int bl_queue_complete(struct bl_store *s, const struct bl_job *job, int64_t machine_id, bool *lost,
		      struct bl_error *err);

/* Gives the job back with why: pending again while attempts remain (and
 * retry), else failed. Does nothing when the lease is no longer ours. */
int bl_queue_fail(struct bl_store *s, const struct bl_job *job, const char *reason, bool retry,
		  struct bl_error *err);

struct bl_queue_counts {
	size_t pending, running, expired, done, failed, cancelled;
};
int bl_queue_counts(struct bl_store *s, struct bl_queue_counts *c, struct bl_error *err);

/* Calls fn for each job in one of the states (NULL: all), oldest first;
 * a non-zero return stops and is returned. */
typedef int (*bl_job_fn)(void *ctx, const struct bl_job *job);
int bl_queue_list(struct bl_store *s, const char *const *states, size_t n_states, bl_job_fn fn, void *ctx,
		  struct bl_error *err);

/* Failed (and, with cancelled, cancelled) jobs become pending again with
 * fresh attempts; *n how many. */
int bl_queue_retry_failed(struct bl_store *s, size_t *n, struct bl_error *err);
/* Pending jobs become cancelled; *n how many. */
int bl_queue_cancel_pending(struct bl_store *s, size_t *n, struct bl_error *err);

/* Sleeps until a job is enqueued (LISTEN/NOTIFY) or timeout_s passes, or
 * *interrupt is set. */
int bl_queue_wait(struct bl_store *s, double timeout_s, const volatile int *interrupt, struct bl_error *err);

/* Heartbeats: a thread with its own connection to url that extends the
 * job's lease every lease_s / 3 seconds. When the job turns out to be
 * someone else's (the lease expired and was claimed again, or it was
 * cancelled), lost(ctx) is called once from that thread. A connection
 * that fails is retried at each beat; the lease only ends by expiring. */
struct bl_lease;
int bl_lease_start(const char *url, const struct bl_job *job, double lease_s, void (*lost)(void *ctx), void *ctx,
		   struct bl_lease **out, struct bl_error *err);
void bl_lease_stop(struct bl_lease *l);

#endif
