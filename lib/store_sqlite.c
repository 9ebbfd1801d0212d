/*
 * store_sqlite.c - the SQLite backend of the result store: the connection.
 *
 * DESIGN
 * - One connection per struct bl_store, opened without SQLite's own mutex: a
 *   store is used by one thread at a time (the sampler never writes to it).
 * - Opening never modifies a database it is going to refuse: the schema
 *   version is read first, and only then are WAL mode (which rewrites the
 *   file header) and migrations (store_sqlite_schema.c) applied.
 * - Every write that belongs together runs in one BEGIN IMMEDIATE
 *   transaction: a writer waits for the lock up front (busy timeout) instead
 *   of failing half-way with SQLITE_BUSY when a read upgrades to a write.
 *   Between bl_store_begin and bl_store_commit (a batch) the BEGIN IMMEDIATE
 *   is the batch's, and each operation is a savepoint inside it: one that
 *   fails is undone alone, as on PostgreSQL. When SQLite rolls back the whole
 *   transaction itself (disk full, I/O error) the commit says so and fails.
 * - Statements are prepared once per store, on first use, and kept until
 *   close; text is bound SQLITE_STATIC because every statement is stepped and
 *   reset before the caller's strings can go away.
 * - Durability: WAL with synchronous=NORMAL by default. A committed run
 *   survives the death of the process (kill -9); only a power loss or kernel
 *   crash may lose the transactions since the last checkpoint.
 *   BENCHLINE_SQLITE_SYNC=full makes every commit reach the disk
 *   (docs/SCHEMA.md has the trade-off).
 */
#include "store_sqlite_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define DEFAULT_BUSY_TIMEOUT_MS 10000

/* ---- errors, statements, transactions ------------------------------------------------------------------------- */

int bl_sqlite_fail(struct sqlite_store *s, int rc, struct bl_error *err, const char *fmt, ...)
{
	char what[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return bl_fail(err, "%s: database '%s' is locked by another process (gave up after %g s)", what,
			       s->path, s->busy_timeout_ms / 1000.0);
	case SQLITE_NOTADB:
		return bl_fail(err, "%s: '%s' is not a SQLite database", what, s->path);
	case SQLITE_CORRUPT:
		return bl_fail(err, "%s: database '%s' is corrupt: %s", what, s->path, sqlite3_errmsg(s->db));
	case SQLITE_FULL:
		return bl_fail(err, "%s: database '%s': disk full", what, s->path);
	case SQLITE_READONLY:
		return bl_fail(err, "%s: database '%s' is read-only: %s", what, s->path, sqlite3_errmsg(s->db));
	case SQLITE_IOERR: {
		/* "disk I/O error" alone does not say what to do. SQLite keeps no
		 * reliable errno, but a failed write is nearly always a full disk, a
		 * quota or the file size limit (ulimit -f): say so. */
		int ext = s->db ? sqlite3_extended_errcode(s->db) : rc;
		if (ext == SQLITE_IOERR_WRITE || ext == SQLITE_IOERR_FSYNC || ext == SQLITE_IOERR_TRUNCATE ||
		    ext == SQLITE_IOERR_SHMSIZE)
			return bl_fail(err, "%s: database '%s': cannot write to it (disk full, quota or file size limit?): %s",
				       what, s->path, sqlite3_errmsg(s->db));
		return bl_fail(err, "%s: database '%s': %s", what, s->path, sqlite3_errmsg(s->db));
	}
	default:
		return bl_fail(err, "%s: database '%s': %s", what, s->path, sqlite3_errmsg(s->db));
	}
}

sqlite3_stmt *bl_sqlite_stmt(struct sqlite_store *s, enum stmt_id id, const char *sql, struct bl_error *err)
{
	if (!s->stmts[id]) {
		int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->stmts[id], NULL);
		if (rc != SQLITE_OK) {
			bl_sqlite_fail(s, rc, err, "cannot prepare a query");
			sqlite3_finalize(s->stmts[id]);
			s->stmts[id] = NULL;
			return NULL;
		}
	}
	return s->stmts[id];
}

static const char *tx_sql(enum stmt_id id)
{
	switch (id) {
	case ST_BEGIN:
		return "BEGIN";
	case ST_BEGIN_IMMEDIATE:
		return "BEGIN IMMEDIATE";
	case ST_COMMIT:
		return "COMMIT";
	case ST_SAVEPOINT:
		return "SAVEPOINT bl_op";
	case ST_RELEASE:
		return "RELEASE bl_op";
	default:
		return "ROLLBACK";
	}
}

int bl_sqlite_tx(struct sqlite_store *s, enum stmt_id id, struct bl_error *err, const char *what)
{
	if (s->in_batch) {
		/* After SQLite rolled the batch back itself, a savepoint would
		 * start a new transaction and commit on its own: refuse. */
		if (sqlite3_get_autocommit(s->db))
			return bl_fail(err, "%s: database '%s': the transaction was rolled back after an earlier error",
				       what, s->path);
		id = id == ST_COMMIT ? ST_RELEASE : ST_SAVEPOINT;
	}
	sqlite3_stmt *st = bl_sqlite_stmt(s, id, tx_sql(id), err);
	if (!st)
		return -1;
	int rc = exec_stmt(st);
	if (rc != SQLITE_OK)
		return bl_sqlite_fail(s, rc, err, "%s", what);
	return 0;
}

void bl_sqlite_rollback(struct sqlite_store *s)
{
	if (sqlite3_get_autocommit(s->db))
		return;
	if (s->in_batch) {
		/* Fails harmlessly when the error came before the savepoint. */
		sqlite3_exec(s->db, "ROLLBACK TO bl_op; RELEASE bl_op", NULL, NULL, NULL);
		return;
	}
	if (s->stmts[ST_ROLLBACK] || bl_sqlite_stmt(s, ST_ROLLBACK, tx_sql(ST_ROLLBACK), NULL))
		exec_stmt(s->stmts[ST_ROLLBACK]);
	else
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- opening and closing --------------------------------------------------------------------------------------- */

/* Runs a PRAGMA and copies its first result column (may be NULL). */
static int pragma(struct sqlite_store *s, const char *sql, char *out, size_t out_size, struct bl_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (out_size)
		out[0] = '\0';
	if (rc == SQLITE_OK) {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			if (out_size && sqlite3_column_text(st, 0))
				snprintf(out, out_size, "%s", (const char *)sqlite3_column_text(st, 0));
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK)
		bl_sqlite_fail(s, rc, err, "cannot open store '%s' (%s)", s->path, sql);
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : -1;
}

static int read_settings(int *busy_ms, const char **sync_pragma, struct bl_error *err)
{
	const char *sync = getenv("BENCHLINE_SQLITE_SYNC");
	if (!sync || !*sync || strcmp(sync, "normal") == 0)
		*sync_pragma = "PRAGMA synchronous = NORMAL";
	else if (strcmp(sync, "full") == 0)
		*sync_pragma = "PRAGMA synchronous = FULL";
	else
		return bl_fail(err, "invalid BENCHLINE_SQLITE_SYNC '%s' (expected 'normal' or 'full')", sync);
	*busy_ms = DEFAULT_BUSY_TIMEOUT_MS;
	const char *busy = getenv("BENCHLINE_SQLITE_BUSY_TIMEOUT");
	if (busy && *busy) {
		double secs;
		if (bl_parse_double(busy, &secs) != 0 || secs < 0 || secs > 86400)
			return bl_fail(err, "invalid BENCHLINE_SQLITE_BUSY_TIMEOUT '%s' (expected seconds, 0 to 86400)",
				       busy);
		*busy_ms = (int)(secs * 1000 + 0.5);
	}
	return 0;
}

/* ---- batches: several operations in one transaction ---------------------------------------------------------- */

static int sqlite_begin(struct bl_store *bs, struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	if (s->in_batch)
		return bl_fail(err, "store '%s': a transaction is already open", s->base.display_name);
	if (bl_sqlite_tx(s, ST_BEGIN_IMMEDIATE, err, "cannot begin a transaction") != 0)
		return -1;
	s->in_batch = true;
	return 0;
}

static int sqlite_commit(struct bl_store *bs, struct bl_error *err)
{
	struct sqlite_store *s = backend(bs);
	if (!s->in_batch)
		return bl_fail(err, "store '%s': no transaction is open", s->base.display_name);
	s->in_batch = false;
	if (sqlite3_get_autocommit(s->db)) {
		/* SQLite rolled it all back after an error (disk full, I/O). */
		bl_sqlite_forget_metric_keys(s);
		return bl_fail(err, "cannot commit to '%s': an earlier statement of the transaction failed and "
				    "SQLite rolled the transaction back",
			       s->path);
	}
	if (bl_sqlite_tx(s, ST_COMMIT, err, "cannot commit") != 0) {
		bl_sqlite_rollback(s);
		bl_sqlite_forget_metric_keys(s);
		return -1;
	}
	return 0;
}

static void sqlite_rollback_batch(struct bl_store *bs)
{
	struct sqlite_store *s = backend(bs);
	s->in_batch = false;
	bl_sqlite_rollback(s);
	/* Keys added in the transaction are gone with it. */
	bl_sqlite_forget_metric_keys(s);
}

static void sqlite_close(struct bl_store *bs)
{
	struct sqlite_store *s = backend(bs);
	if (!s)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->stmts[i]);
	if (s->db)
		sqlite3_close(s->db);
	bl_sqlite_free_metric_keys(s);
	free(s->reader_uri);
	free(s->path);
	free(s->base.display_name);
	free(s);
}

static const struct bl_store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sqlite_close,
	.put_machine = bl_sqlite_put_machine,
	.find_machine = bl_sqlite_find_machine,
	.put_commit = bl_sqlite_put_commit,
	.open_case = bl_sqlite_open_case,
	.set_case_status = bl_sqlite_set_case_status,
	.add_run = bl_sqlite_add_run,
	.add_build = bl_sqlite_add_build,
	.has_build = bl_sqlite_has_build,
	.foreach_point = bl_sqlite_foreach_point,
	.typical_seconds = bl_sqlite_typical_seconds,
	.run_device = bl_sqlite_run_device,
	.export_all = bl_sqlite_export,
	.case_runs = bl_sqlite_case_runs,
	.save_detection = bl_sqlite_save_detection,
	.foreach_value = bl_sqlite_foreach_value,
	.foreach_value_parts = bl_sqlite_foreach_value_parts,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback_batch,
};

int bl_store_sqlite_open(const char *path, struct bl_store **out, struct bl_error *err)
{
	*out = NULL;
	if (!path || !*path)
		return bl_fail(err, "cannot open store: empty path");
	int busy_ms = DEFAULT_BUSY_TIMEOUT_MS;
	const char *sync_pragma = NULL;
	if (read_settings(&busy_ms, &sync_pragma, err) != 0)
		return -1;
	struct stat sb;
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return bl_fail(err, "cannot open store '%s': it is a directory", path);

	/* A database we may read but not write (someone else's results, a
	 * read-only mount) is opened read-only and immutable: WAL mode would
	 * otherwise need to create its -shm file next to it. */
	bool readonly = false;
	if (!strcmp(path, ":memory:")) {
		/* nothing on disk */
	} else if (stat(path, &sb) == 0) {
		char *dir = bl_xstrdup(path);
		char *slash = strrchr(dir, '/');
		if (slash)
			slash[slash == dir ? 1 : 0] = '\0';
		readonly = access(path, W_OK) != 0 || access(slash ? dir : ".", W_OK) != 0;
		free(dir);
	} else {
		char *dir = bl_xstrdup(path);
		char *slash = strrchr(dir, '/');
		if (slash)
			slash[slash == dir ? 1 : 0] = '\0';
		if (access(slash ? dir : ".", W_OK) != 0) {
			int e = errno;
			bl_fail_errno(err, e, "cannot create store '%s' in '%s'", path, slash ? dir : ".");
			free(dir);
			return -1;
		}
		free(dir);
	}

	struct sqlite_store *s = bl_xcalloc(1, sizeof(*s));
	s->base.ops = &sqlite_ops;
	s->base.display_name = bl_xstrdup(path);
	s->path = bl_xstrdup(path);
	s->busy_timeout_ms = busy_ms;
	int rc;
	if (readonly) {
		struct bl_buf uri;
		bl_buf_init(&uri);
		bl_buf_puts(&uri, "file:");
		for (const char *p = path; *p; p++) {
			if (*p == '%' || *p == '?' || *p == '#')
				bl_buf_printf(&uri, "%%%02X", (unsigned char)*p);
			else
				bl_buf_putc(&uri, *p);
		}
		/* immutable is only true of a database with no WAL pending: with a
		 * -wal file, newer runs live there and SQLite must read it (through
		 * the existing -shm) rather than trust the main file. */
		char *wal = bl_xasprintf("%s-wal", path);
		bool pending = access(wal, F_OK) == 0;
		free(wal);
		bl_buf_puts(&uri, pending ? "?mode=ro" : "?mode=ro&immutable=1");
		rc = sqlite3_open_v2(uri.data, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
		/* more readers (store_sqlite_values.c) need no lock on an immutable
		 * file, and cannot agree on a snapshot of one that may change */
		if (!pending)
			s->reader_uri = bl_xstrdup(uri.data);
		s->reader_immutable = !pending;
		bl_buf_release(&uri);
	} else {
		rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
		if (strcmp(path, ":memory:") != 0)
			s->reader_uri = bl_xstrdup(path);
	}
	if (rc != SQLITE_OK) {
		int sys = s->db ? sqlite3_system_errno(s->db) : 0;
		if (sys)
			bl_fail_errno(err, sys, "cannot open store '%s'", path);
		else
			bl_fail(err, "cannot open store '%s': %s", path,
				s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, busy_ms);

	/* Look before touching: nothing below this check may run on a file we refuse. */
	int64_t version;
	if (bl_sqlite_read_version(s, &version, err) != 0 || bl_sqlite_check_not_newer(s, version, err) != 0)
		goto fail;

	if (readonly) {
		if (version < BL_SCHEMA_VERSION) {
			bl_fail(err, "database '%s' has schema version %lld and needs an upgrade to %d, but it is read-only; "
				     "open it once with write access",
				path, (long long)version, BL_SCHEMA_VERSION);
			goto fail;
		}
		*out = &s->base;
		return 0;
	}
	char mode[32];
	if (pragma(s, "PRAGMA journal_mode = WAL", mode, sizeof(mode), err) != 0 ||
	    pragma(s, sync_pragma, NULL, 0, err) != 0 || pragma(s, "PRAGMA foreign_keys = ON", NULL, 0, err) != 0 ||
	    pragma(s, "PRAGMA foreign_keys", mode, sizeof(mode), err) != 0)
		goto fail;
	if (strcmp(mode, "1") != 0) {
		/* A SQLite built without foreign keys would silently accept orphans. */
		bl_fail(err, "cannot open store '%s': this SQLite does not enforce foreign keys", path);
		goto fail;
	}
	if (version < BL_SCHEMA_VERSION && bl_sqlite_migrate(s, err) != 0)
		goto fail;
	*out = &s->base;
	return 0;
fail:
	sqlite_close(&s->base);
	return -1;
}
