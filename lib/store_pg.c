/*
 * store_pg.c - the PostgreSQL backend of the result store: the connection.
 *
 * DESIGN
 * - The URL goes to libpq as the user wrote it (as the dbname of
 *   PQconnectdbParams, which expands it), so .pgpass, the PG* environment
 *   variables, sslmode and every other libpq parameter work as they do in
 *   psql. benchline only adds defaults the URL or environment may override:
 *   connect_timeout=10 (unless PGCONNECT_TIMEOUT is set), client_encoding
 *   UTF8 and application_name benchline.
 * - Credentials never reach a message: the store is named by its URL with
 *   the password shown as *** (bl_store_display_name), and every message
 *   from libpq or the server is scrubbed of the password the connection used
 *   (from the URL or from .pgpass) before it is passed on.
 * - Opening never modifies a database it is going to refuse: the schema
 *   version is read first (store_pg_schema.c).
 * - The statements of the hot paths are prepared once per connection, on
 *   first use, and run with text parameters; bulk rows (metric values,
 *   device samples) go in with binary COPY (store_pg_copy.c).
 * - A run is one transaction (BEGIN ... COMMIT) with its metrics,
 *   measurements and samples: it is there whole or not at all.
 */
#include "store_pg_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_SERVER_VERSION 110000 /* identity columns, EXECUTE FUNCTION */

/* ---- parameters -------------------------------------------------------------------------------------------------- */

static void add_value(struct pg_params *p, const char *v)
{
	if (p->n >= PG_MAX_PARAMS)
		abort(); /* a statement of this backend has more parameters than PG_MAX_PARAMS */
	p->values[p->n++] = v;
}

void pg_param_text(struct pg_params *p, const char *v)
{
	add_value(p, v);
}

void pg_param_null(struct pg_params *p)
{
	add_value(p, NULL);
}

void pg_param_int64(struct pg_params *p, int64_t v)
{
	if (p->n >= PG_MAX_PARAMS)
		abort();
	snprintf(p->num[p->n], sizeof(p->num[p->n]), "%lld", (long long)v);
	add_value(p, p->num[p->n]);
}

void pg_param_double(struct pg_params *p, double v)
{
	if (p->n >= PG_MAX_PARAMS)
		abort();
	if (!isfinite(v)) {
		add_value(p, NULL);
		return;
	}
	snprintf(p->num[p->n], sizeof(p->num[p->n]), "%.17g", v);
	add_value(p, p->num[p->n]);
}

void pg_param_time(struct pg_params *p, int64_t unix_ns)
{
	if (p->n >= PG_MAX_PARAMS)
		abort();
	if (unix_ns == 0) {
		add_value(p, NULL);
		return;
	}
	bl_store_format_iso_ms(unix_ns, p->num[p->n]);
	add_value(p, p->num[p->n]);
}

/* ---- errors ------------------------------------------------------------------------------------------------------- */

/* Replaces every occurrence of each secret in msg with "***" (in place; the
 * result is never longer unless a secret is shorter than 3 bytes, and
 * those are left alone). */
static void scrub(const struct pg_store *s, char *msg)
{
	for (size_t k = 0; k < sizeof(s->secrets) / sizeof(s->secrets[0]); k++) {
		const char *secret = s->secrets[k];
		size_t n = secret ? strlen(secret) : 0;
		if (n < 3)
			continue;
		char *hit;
		while ((hit = strstr(msg, secret)) != NULL) {
			memcpy(hit, "***", 3);
			memmove(hit + 3, hit + n, strlen(hit + n) + 1);
		}
	}
}

/* One line: libpq's multi-line messages ("...failed: X\n\tIs the server
 * running...") with their line breaks and tabs folded into spaces. */
static void one_line(char *msg)
{
	char *w = msg;
	bool space = false;
	for (const char *r = msg; *r; r++) {
		if (isspace((unsigned char)*r)) {
			space = true;
			continue;
		}
		if (space && w != msg)
			*w++ = ' ';
		space = false;
		*w++ = *r;
	}
	*w = '\0';
}

int pg_fail(struct pg_store *s, const PGresult *res, struct bl_error *err, const char *fmt, ...)
{
	char what[1024], reason[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	if (primary)
		snprintf(reason, sizeof(reason), "%s%s%s", primary, detail ? " (" : "", detail ? detail : "");
	else
		snprintf(reason, sizeof(reason), "%s", PQerrorMessage(s->conn));
	if (primary && detail)
		strncat(reason, ")", sizeof(reason) - strlen(reason) - 1);
	one_line(reason);
	if (!*reason)
		snprintf(reason, sizeof(reason), "unknown error");
	scrub(s, reason);
	scrub(s, what);
	if (PQstatus(s->conn) == CONNECTION_BAD)
		return bl_fail(err, "%s: lost the connection to '%s': %s", what, pg_name(s), reason);
	return bl_fail(err, "%s: database '%s': %s", what, pg_name(s), reason);
}

const char *pg_sqlstate(const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	return state ? state : "";
}

/* ---- statements and transactions --------------------------------------------------------------------------------- */

PGresult *pg_run(struct pg_store *s, enum pg_stmt_id id, const char *sql, const struct pg_params *p,
		 PGresult **failed, struct bl_error *err, const char *what)
{
	char name[16];
	snprintf(name, sizeof(name), "bl%d", (int)id);
	if (failed)
		*failed = NULL;
	if (!s->prepared[id]) {
		PGresult *prep = PQprepare(s->conn, name, sql, 0, NULL);
		if (PQresultStatus(prep) != PGRES_COMMAND_OK) {
			pg_fail(s, prep, err, "%s", what);
			PQclear(prep);
			return NULL;
		}
		PQclear(prep);
		s->prepared[id] = true;
	}
	PGresult *res = PQexecPrepared(s->conn, name, p ? p->n : 0, p ? p->values : NULL, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	pg_fail(s, res, err, "%s", what);
	if (failed)
		*failed = res;
	else
		PQclear(res);
	return NULL;
}

int pg_exec(struct pg_store *s, const char *sql, struct bl_error *err, const char *what)
{
	if (s->in_batch) {
		if (!strncmp(sql, "BEGIN", 5))
			sql = "SAVEPOINT bl_op";
		else if (!strcmp(sql, "COMMIT"))
			sql = "RELEASE SAVEPOINT bl_op";
	}
	PGresult *res = PQexec(s->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int ret = 0;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		ret = pg_fail(s, res, err, "%s", what);
	PQclear(res);
	return ret;
}

int pg_copy_start(struct pg_store *s, const char *sql, ExecStatusType want, struct bl_error *err, const char *what)
{
	PGresult *res = PQexec(s->conn, sql);
	int ret = PQresultStatus(res) == want ? 0 : pg_fail(s, res, err, "%s", what);
	PQclear(res);
	return ret;
}

void pg_rollback(struct pg_store *s)
{
	PGTransactionStatusType ts = PQtransactionStatus(s->conn);
	if (ts != PQTRANS_INTRANS && ts != PQTRANS_INERROR)
		return;
	/* Without the savepoint (the error came before it), the rollback fails
	 * and leaves the batch aborted: bl_store_commit then fails, as it must. */
	PQclear(PQexec(s->conn, s->in_batch ? "ROLLBACK TO SAVEPOINT bl_op; RELEASE SAVEPOINT bl_op" : "ROLLBACK"));
}

int pg_begin(struct bl_store *bs, struct bl_error *err)
{
	struct pg_store *s = pg_backend(bs);
	if (s->in_batch)
		return bl_fail(err, "store '%s': a transaction is already open", pg_name(s));
	if (pg_exec(s, "BEGIN", err, "cannot begin a transaction") != 0)
		return -1;
	s->in_batch = true;
	return 0;
}

int pg_commit(struct bl_store *bs, struct bl_error *err)
{
	struct pg_store *s = pg_backend(bs);
	if (!s->in_batch)
		return bl_fail(err, "store '%s': no transaction is open", pg_name(s));
	s->in_batch = false;
	/* COMMIT of an aborted transaction reports success but rolls back: refuse it. */
	if (PQtransactionStatus(s->conn) != PQTRANS_INTRANS) {
		pg_rollback(s);
		bl_metric_dict_forget(s->dict);
		return bl_fail(err, "cannot commit to '%s': an earlier statement of the transaction failed", pg_name(s));
	}
	if (pg_exec(s, "COMMIT", err, "cannot commit") != 0) {
		pg_rollback(s);
		bl_metric_dict_forget(s->dict);
		return -1;
	}
	return 0;
}

void pg_rollback_batch(struct bl_store *bs)
{
	struct pg_store *s = pg_backend(bs);
	s->in_batch = false;
	pg_rollback(s);
	/* Keys added in the transaction are gone with it. */
	bl_metric_dict_forget(s->dict);
}

int64_t pg_get_int64(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return 0;
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

double pg_get_double(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return 0;
	return strtod(PQgetvalue(res, row, col), NULL);
}

/* ---- opening and closing ------------------------------------------------------------------------------------------ */

static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The password of "scheme://user:password@host..." as written and
 * percent-decoded, or NULLs; used only to scrub messages, so a URL libpq
 * cannot even parse still never shows its password. */
static void url_passwords(const char *url, char **raw, char **decoded)
{
	*raw = *decoded = NULL;
	const char *auth = strstr(url, "://");
	if (!auth)
		return;
	auth += 3;
	size_t auth_len = strcspn(auth, "/?#");
	const char *at = NULL;
	for (const char *p = auth; p < auth + auth_len; p++)
		if (*p == '@')
			at = p;
	if (!at)
		return;
	const char *colon = memchr(auth, ':', (size_t)(at - auth));
	if (!colon || colon + 1 == at)
		return;
	*raw = bl_xstrndup(colon + 1, (size_t)(at - colon - 1));
	char *d = bl_xstrdup(*raw), *w = d;
	for (const char *r = *raw; *r; r++) {
		if (*r == '%' && hexval(r[1]) >= 0 && hexval(r[2]) >= 0) {
			*w++ = (char)(hexval(r[1]) * 16 + hexval(r[2]));
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	*decoded = d;
}

static void pg_close(struct bl_store *bs)
{
	struct pg_store *s = pg_backend(bs);
	if (!s)
		return;
	if (s->conn)
		PQfinish(s->conn);
	bl_metric_dict_free(s->dict);
	for (size_t k = 0; k < sizeof(s->secrets) / sizeof(s->secrets[0]); k++)
		if (s->secrets[k]) {
			memset(s->secrets[k], 0, strlen(s->secrets[k]));
			free(s->secrets[k]);
		}
	free(s->base.display_name);
	free(s);
}

static const struct bl_store_ops pg_ops = {
	.name = "postgresql",
	.close = pg_close,
	.put_machine = pg_put_machine,
	.find_machine = pg_find_machine,
	.put_commit = pg_put_commit,
	.open_case = pg_open_case,
	.set_case_status = pg_set_case_status,
	.add_run = pg_add_run,
	.add_build = pg_add_build,
	.has_build = pg_has_build,
	.foreach_point = pg_foreach_point,
	.typical_seconds = pg_typical_seconds,
	.run_device = pg_run_device,
	.export_all = pg_export_all,
	.case_runs = pg_case_runs,
	.save_detection = pg_save_detection,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback_batch,
	.foreach_value = pg_foreach_value,
};

int bl_store_pg_open(const char *url, struct bl_store **out, struct bl_error *err)
{
	*out = NULL;
	struct pg_store *s = bl_xcalloc(1, sizeof(*s));
	s->base.ops = &pg_ops;
	s->base.display_name = bl_store_display_name(url);
	url_passwords(url, &s->secrets[0], &s->secrets[1]);

	/* Defaults first: the URL's own parameters (and the environment, for
	 * the ones left empty here) override them. */
	const char *keys[5], *values[5];
	int n = 0;
	const char *env_timeout = getenv("PGCONNECT_TIMEOUT");
	if (!env_timeout || !*env_timeout) {
		keys[n] = "connect_timeout";
		values[n++] = "10";
	}
	keys[n] = "fallback_application_name";
	values[n++] = "benchline";
	keys[n] = "client_encoding";
	values[n++] = "UTF8";
	keys[n] = "dbname";
	values[n++] = url;
	keys[n] = NULL;
	values[n] = NULL;
	s->conn = PQconnectdbParams(keys, values, 1);
	if (!s->conn) {
		bl_fail(err, "cannot connect to store '%s': out of memory", pg_name(s));
		goto fail;
	}
	PQsetNoticeProcessor(s->conn, ignore_notice, NULL);
	if (PQstatus(s->conn) != CONNECTION_OK) {
		char reason[2048];
		snprintf(reason, sizeof(reason), "%s", PQerrorMessage(s->conn));
		one_line(reason);
		scrub(s, reason);
		bl_fail(err, "cannot connect to store '%s': %s", pg_name(s), *reason ? reason : "unknown error");
		goto fail;
	}
	/* The password may have come from .pgpass: scrub it too. */
	const char *used = PQpass(s->conn);
	if (used && *used)
		s->secrets[2] = bl_xstrdup(used);
	if (PQserverVersion(s->conn) < MIN_SERVER_VERSION) {
		bl_fail(err, "cannot open store '%s': PostgreSQL %d is too old (11 or newer is needed)", pg_name(s),
			PQserverVersion(s->conn) / 10000);
		goto fail;
	}

	/* The planner cannot tell how many values a run's key range holds
	 * (value_id from run_id * 10^6 to the next run's): it guesses hundreds
	 * of thousands per run, so reading one case's runs got JIT-compiled
	 * (20 ms to 1 s a query) and ran as a parallel scan of every run. The
	 * store's reads are key lookups and ordered scans, which neither helps:
	 * both off for this connection (a report's run pages took 34 ms each). */
	char what[1024];
	snprintf(what, sizeof(what), "cannot open store '%s'", pg_name(s));
	if (pg_exec(s, "SET jit = off; SET max_parallel_workers_per_gather = 0", err, what) != 0)
		goto fail;
	/* Look before touching: nothing below this check may run on a database we refuse. */
	int64_t version;
	if (pg_read_version(s, &version, err) != 0)
		goto fail;
	if (version < BL_SCHEMA_VERSION && pg_migrate(s, err) != 0)
		goto fail;
	*out = &s->base;
	return 0;
fail:
	pg_close(&s->base);
	return -1;
}
