/* cli.c - helpers shared by the subcommands. */
#include "cli.h"
#include "benchline/series.h"
#include "benchline/git.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *cli_chdir;
const char *cli_program = "benchline";

static void vmsg(const char *level, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "benchline: %s", level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void cli_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
	fprintf(stderr, "Run 'benchline %s --help' for usage.\n", cmd);
	return EXIT_USAGE;
}

bool cli_wants_help(const struct cli_command *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(cmd->usage, stdout);
			return true;
		}
	}
	return false;
}

static char *absolute(const char *path)
{
	char buf[PATH_MAX];
	if (realpath(path, buf))
		return bl_xstrdup(buf);
	if (path[0] == '/')
		return bl_xstrdup(path);
	if (!getcwd(buf, sizeof(buf)))
		return bl_xstrdup(path);
	return bl_xasprintf("%s/%s", buf, path);
}

/* A database as given: a URL stays as it is, a path becomes absolute. */
static char *db_target(const char *given)
{
	return strstr(given, "://") ? bl_xstrdup(given) : absolute(given);
}

char *cli_absolute_target(const char *given)
{
	return db_target(given);
}

int cli_context_init(struct cli_context *ctx, const char *config_opt, const char *db_opt, const char *cache_opt,
		     bool need_repo, struct bl_error *err)
{
	memset(ctx, 0, sizeof(*ctx));
	if (cli_chdir && chdir(cli_chdir) != 0)
		return bl_fail_errno(err, errno, "cannot change to directory '%s'", cli_chdir);
	if (bl_git_toplevel(".", &ctx->repo, err)) {
		if (need_repo)
			return bl_error_prefix(err, "benchline works inside a git repository");
		ctx->repo = NULL;
		bl_error_clear(err);
	}
	const char *env_db = getenv("BENCHLINE_DB");
	if (db_opt)
		ctx->db_path = db_target(db_opt);
	else if (env_db && *env_db)
		ctx->db_path = db_target(env_db);
	else if (ctx->repo)
		ctx->db_path = bl_xasprintf("%s/.benchline/results.db", ctx->repo);
	if (config_opt)
		ctx->config_path = absolute(config_opt);
	else if (ctx->repo)
		ctx->config_path = bl_xasprintf("%s/benchline.yaml", ctx->repo);
	if (cache_opt)
		ctx->cache_dir = absolute(cache_opt);
	else if (ctx->repo)
		ctx->cache_dir = bl_xasprintf("%s/.benchline/cache", ctx->repo);
	/* Then 'db:' of benchline.yaml (a relative path is the repository's). Only that key is read here: a mistake
	 * elsewhere in the file is reported by the commands that use it (run, compare, ...), and does not keep show,
	 * export or import from the store. */
	if (!db_opt && !(env_db && *env_db) && ctx->config_path && access(ctx->config_path, F_OK) == 0) {
		char *db;
		if (bl_config_load_db(ctx->config_path, &db, err) != 0)
			return -1;
		if (db) {
			free(ctx->db_path);
			ctx->db_path = strstr(db, "://") || db[0] == '/' || !ctx->repo ? db_target(db)
										 : bl_xasprintf("%s/%s", ctx->repo, db);
		}
		free(db);
	}
	if (!ctx->db_path)
		return bl_fail(err, "no database: run inside a git repository, or give --db PATH or BENCHLINE_DB");
	return 0;
}

void cli_context_release(struct cli_context *ctx)
{
	free(ctx->repo);
	free(ctx->config_path);
	free(ctx->db_path);
	free(ctx->cache_dir);
	memset(ctx, 0, sizeof(*ctx));
}

/* benchline's own directory in the repository ignores itself, so that git
 * status in the user's tree stays as it was. */
static int mark_state_dir(const struct cli_context *ctx, struct bl_error *err)
{
	if (!ctx->repo)
		return 0;
	char *dir = bl_xasprintf("%s/.benchline", ctx->repo);
	size_t dl = strlen(dir);
	bool used = (ctx->db_path && !strncmp(ctx->db_path, dir, dl) && ctx->db_path[dl] == '/') ||
		    (ctx->cache_dir && !strncmp(ctx->cache_dir, dir, dl) && ctx->cache_dir[dl] == '/');
	int rc = 0;
	if (used) {
		char *ignore = bl_xasprintf("%s/.gitignore", dir);
		if (access(ignore, F_OK) != 0) {
			static const char text[] = "# written by benchline: results, worktrees and logs are not sources\n*\n";
			rc = bl_mkdirs(dir, 0755, err);
			if (rc == 0)
				rc = bl_write_file_atomic(ignore, text, sizeof(text) - 1, err);
		}
		free(ignore);
	}
	free(dir);
	return rc;
}

int cli_open_store(const struct cli_context *ctx, struct bl_store **store, struct bl_error *err)
{
	if (mark_state_dir(ctx, err))
		return -1;
	if (!strstr(ctx->db_path, "://")) {
		char *dir = bl_xstrdup(ctx->db_path);
		char *slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = '\0';
			if (bl_mkdirs(dir, 0755, err)) {
				free(dir);
				return -1;
			}
		}
		free(dir);
	}
	return bl_store_open(ctx->db_path, store, err);
}

bool cli_color(FILE *f)
{
	const char *nc = getenv("NO_COLOR");
	if (nc && *nc)
		return false;
	const char *term = getenv("TERM");
	if (term && !strcmp(term, "dumb"))
		return false;
	return isatty(fileno(f));
}

void cli_sanitize(const char *s, char *out, size_t out_size)
{
	size_t j = 0, i = 0;
	for (; s[i] && j + 1 < out_size; i++) {
		unsigned char c = (unsigned char)s[i];
		/* C0 controls, DEL, and C1 controls (U+0080..U+009F, UTF-8 C2 80..9F:
		 * terminals act on CSI U+009B too). */
		if (c == 0xc2 && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0x9f) {
			out[j++] = '?';
			i++;
		} else {
			out[j++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
		}
	}
	/* Cut short: never end inside a multi-byte character. */
	if (s[i]) {
		size_t lead = j;
		while (lead > 0 && ((unsigned char)out[lead - 1] & 0xc0) == 0x80)
			lead--;
		if (lead > 0 && ((unsigned char)out[lead - 1] & 0xc0) == 0xc0) {
			unsigned char b = (unsigned char)out[lead - 1];
			size_t need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
			if (j - (lead - 1) < need)
				j = lead - 1;
		}
	}
	out[j] = '\0';
}

void cli_truncate(char *s, size_t max)
{
	if (strlen(s) <= max || max < 4)
		return;
	size_t cut = max - 3;
	while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
		cut--;
	memcpy(s + cut, "...", 4);
}

void cli_format_value(double v, const char *unit, char *out, size_t out_size)
{
	bl_format_value(v, unit, out, out_size);
}

void cli_format_duration(double seconds, char *out, size_t out_size)
{
	if (seconds < 0) {
		snprintf(out, out_size, "?");
		return;
	}
	long s = lround(seconds);
	if (s >= 3600)
		snprintf(out, out_size, "%ldh%02ldm", s / 3600, s / 60 % 60);
	else
		snprintf(out, out_size, "%02ld:%02ld", s / 60, s % 60);
}

char *cli_case_label(const char *name, const char *params_json)
{
	return bl_case_label(name, params_json);
}

int cli_parse_cpu_list(const char *text, int **cpus, size_t *n)
{
	*cpus = NULL;
	*n = 0;
	size_t cap = 0;
	const char *p = text;
	while (*p) {
		char *end;
		long a = strtol(p, &end, 10);
		if (end == p || a < 0 || a > 4095)
			goto bad;
		long b = a;
		p = end;
		if (*p == '-') {
			b = strtol(p + 1, &end, 10);
			if (end == p + 1 || b < a || b > 4095)
				goto bad;
			p = end;
		}
		for (long c = a; c <= b; c++) {
			BL_GROW(*cpus, cap, *n + 1);
			(*cpus)[(*n)++] = (int)c;
		}
		if (*p == ',')
			p++;
		else if (*p)
			goto bad;
	}
	if (*n)
		return 0;
bad:
	free(*cpus);
	*cpus = NULL;
	*n = 0;
	return -1;
}

int cli_queue_context(const char *cmd, struct cli_context *ctx, const char *config_opt, const char *db_opt,
		      const char *cache_opt, bool need_repo)
{
	struct bl_error err = {{0}};
	if (cli_context_init(ctx, config_opt, db_opt, cache_opt, need_repo, &err)) {
		cli_error("%s", err.msg);
		return EXIT_USAGE;
	}
	if (!bl_store_is_postgres(ctx->db_path)) {
		char *shown = bl_store_display_name(ctx->db_path);
		cli_usage_error(cmd, "the job queue lives in a PostgreSQL database; '%s' is not one "
				     "(give --db postgresql://...)", shown);
		free(shown);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}
