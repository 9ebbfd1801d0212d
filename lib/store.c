/*
 * store.c - the backend-neutral face of the result store: picks a backend
 * from the target string and forwards every call through struct bl_store_ops.
 *
 * Targets: "postgresql://..." or "postgres://..." name a PostgreSQL database
 * (store_pg*.c); any other "scheme://" is refused rather than taken for a
 * file name; everything else is a path to a SQLite file (store_sqlite*.c).
 */
#include "benchline/store.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Length of the "scheme://" prefix of target, or 0 when it has none. */
static size_t url_scheme_len(const char *target)
{
	size_t i = 0;
	if (!isalpha((unsigned char)target[0]))
		return 0;
	while (isalnum((unsigned char)target[i]) || target[i] == '+' || target[i] == '-' || target[i] == '.')
		i++;
	if (strncmp(target + i, "://", 3) != 0)
		return 0;
	return i + 3;
}

/* The target as it may appear in messages: a password in
 * "scheme://user:password@host/..." and the value of a "password=" query
 * parameter become "***", so errors and logs never carry credentials. */
char *bl_store_display_name(const char *target)
{
	size_t scheme = url_scheme_len(target);
	if (!scheme)
		return bl_xstrdup(target);
	struct bl_buf out;
	bl_buf_init(&out);
	const char *auth = target + scheme;
	size_t auth_len = strcspn(auth, "/?#");
	/* The last '@' of the authority ends the user info; a password may hold '@'. */
	const char *at = NULL;
	for (const char *p = auth; p < auth + auth_len; p++)
		if (*p == '@')
			at = p;
	const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon) {
		bl_buf_append(&out, target, (size_t)(colon + 1 - target));
		bl_buf_puts(&out, "***");
		bl_buf_append(&out, at, (size_t)(auth + auth_len - at));
	} else {
		bl_buf_append(&out, target, (size_t)(auth + auth_len - target));
	}
	/* Path, then query parameters one by one. */
	const char *rest = auth + auth_len;
	const char *query = strchr(rest, '?');
	if (!query) {
		bl_buf_puts(&out, rest);
		return bl_buf_detach(&out);
	}
	bl_buf_append(&out, rest, (size_t)(query + 1 - rest));
	for (const char *p = query + 1; *p;) {
		size_t len = strcspn(p, "&#");
		if (len >= 9 && !strncasecmp(p, "password=", 9)) {
			bl_buf_puts(&out, "password=***");
		} else {
			bl_buf_append(&out, p, len);
		}
		p += len;
		if (*p == '#') {
			bl_buf_puts(&out, p);
			break;
		}
		if (*p == '&')
			bl_buf_putc(&out, *p++);
	}
	return bl_buf_detach(&out);
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool bl_store_is_postgres(const char *target)
{
	return target && (has_prefix(target, "postgresql://") || has_prefix(target, "postgres://"));
}

int bl_store_open(const char *target, struct bl_store **out, struct bl_error *err)
{
	*out = NULL;
	if (!target || !*target)
		return bl_fail(err, "cannot open store: no path or URL given");
	if (bl_store_is_postgres(target))
		return bl_store_pg_open(target, out, err);
	size_t scheme = url_scheme_len(target);
	if (scheme) {
		char *shown = bl_store_display_name(target);
		bl_fail(err, "cannot open store '%s': unknown store type '%.*s' (expected a path or postgresql://)",
			shown, (int)(scheme - 3), target);
		free(shown);
		return -1;
	}
	return bl_store_sqlite_open(target, out, err);
}

void bl_store_close(struct bl_store *s)
{
	if (s)
		s->ops->close(s);
}

int bl_store_put_machine(struct bl_store *s, const struct bl_machine *m, int64_t *machine_id, struct bl_error *err)
{
	return s->ops->put_machine(s, m, machine_id, err);
}

int bl_store_find_machine(struct bl_store *s, const char *fingerprint, int64_t *machine_id, struct bl_error *err)
{
	return s->ops->find_machine(s, fingerprint, machine_id, err);
}

int bl_store_put_commit(struct bl_store *s, const char *repository, const struct bl_commit_info *ci,
			struct bl_error *err)
{
	return s->ops->put_commit(s, repository, ci, err);
}

int bl_store_open_case(struct bl_store *s, const struct bl_case_key *key, struct bl_case_state *st,
		       struct bl_error *err)
{
	return s->ops->open_case(s, key, st, err);
}

int bl_store_set_case_status(struct bl_store *s, int64_t benchmark_id, const char *status, struct bl_error *err)
{
	return s->ops->set_case_status(s, benchmark_id, status, err);
}

int bl_store_add_run(struct bl_store *s, const struct bl_run_record *r, int64_t *run_id, struct bl_error *err)
{
	return s->ops->add_run(s, r, run_id, err);
}

int bl_store_add_build(struct bl_store *s, const struct bl_build_record *b, struct bl_error *err)
{
	return s->ops->add_build(s, b, err);
}

int bl_store_has_build(struct bl_store *s, const struct bl_build_record *b, bool *found, struct bl_error *err)
{
	return s->ops->has_build(s, b, found, err);
}

int bl_store_export(struct bl_store *s, const struct bl_export_visitor *v, void *ctx, struct bl_error *err)
{
	if (!s->ops->export_all)
		return bl_fail(err, "cannot read store '%s': reading a %s store whole is not supported yet",
			       s->display_name, s->ops->name);
	return s->ops->export_all(s, v, ctx, err);
}

int bl_store_foreach_point(struct bl_store *s, const struct bl_point_query *q, bl_point_fn fn, void *ctx,
			   struct bl_error *err)
{
	static const struct bl_point_query everything;
	return s->ops->foreach_point(s, q ? q : &everything, fn, ctx, err);
}

int bl_store_typical_seconds(struct bl_store *s, int64_t machine_id, const char *name, const char *params_json,
			     double *run_s, double *build_s, struct bl_error *err)
{
	return s->ops->typical_seconds(s, machine_id, name, params_json, run_s, build_s, err);
}

int bl_store_run_device(struct bl_store *s, int64_t run_id, bl_device_report_fn fn, void *ctx,
			struct bl_error *err)
{
	return s->ops->run_device(s, run_id, fn, ctx, err);
}

int bl_store_case_runs(struct bl_store *s, int64_t benchmark_id, bl_run_detail_fn fn, void *ctx,
		       struct bl_error *err)
{
	if (!s->ops->case_runs)
		return bl_fail(err, "the %s store cannot list the runs of a case yet", s->ops->name);
	return s->ops->case_runs(s, benchmark_id, fn, ctx, err);
}

int bl_store_begin(struct bl_store *s, struct bl_error *err)
{
	if (!s->ops->begin)
		return bl_fail(err, "store '%s': one transaction over several operations is not supported by the %s store",
			       s->display_name, s->ops->name);
	return s->ops->begin(s, err);
}

int bl_store_commit(struct bl_store *s, struct bl_error *err)
{
	if (!s->ops->commit)
		return bl_fail(err, "store '%s': no transaction is open", s->display_name);
	return s->ops->commit(s, err);
}

void bl_store_rollback(struct bl_store *s)
{
	if (s->ops->rollback)
		s->ops->rollback(s);
}

void bl_case_state_release(struct bl_case_state *st)
{
	if (!st)
		return;
	free(st->measured_done);
	st->measured_done = NULL;
	st->n_measured_done = 0;
	free(st->warmups_done);
	st->warmups_done = NULL;
}

int bl_store_foreach_value(struct bl_store *s, const char *repository, const struct bl_value_visitor *v, void *ctx,
			   struct bl_error *err)
{
	return s->ops->foreach_value(s, repository, v, ctx, err);
}

int bl_store_foreach_value_parts(struct bl_store *s, const struct bl_point_query *q, unsigned n_parts,
				 const struct bl_value_visitor *v, void *const *ctx, struct bl_error *err)
{
	if (s->ops->foreach_value_parts)
		return s->ops->foreach_value_parts(s, q, n_parts, v, ctx, err);
	if (q->shas)
		return bl_fail(err, "the %s store reads values of chosen commits through bl_series_load", s->ops->name);
	return s->ops->foreach_value(s, q->repository, &v[0], ctx[0], err);
}

bool bl_store_has_value_parts(const struct bl_store *s)
{
	return s->ops->foreach_value_parts != NULL;
}
