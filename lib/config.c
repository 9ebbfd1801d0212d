/*
 * config.c - reads benchline.yaml into struct bl_config and expands benchmarks into cases.
 *
 * The YAML is loaded with libyaml's document API so that every node keeps its position; each section is then
 * checked against a fixed list of keys and typed by hand, because the error must name FILE:LINE:COLUMN of the node
 * at fault and what was expected there. Everything allocated while parsing hangs off the config being built, so
 * one bl_config_release() cleans up after an error at any point.
 *
 * Scalars: numbers and booleans must be plain (unquoted) scalars; a quoted "5" is a string and is refused where a
 * number is needed, so a value's type never depends on guessing. Strings may be written in any style.
 */
#include "benchline/config.h"
#include "benchline/sha256.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define DEFAULT_BUILD_TIMEOUT_S 1800.0
#define DEFAULT_WARMUP 1
#define DEFAULT_REPETITIONS 5
#define DEFAULT_TIMEOUT_S 60.0
/* Bounds that keep later arithmetic (nanoseconds in int64, run counts in int) far from overflow. */
#define MAX_RUNS 1000000
#define MAX_TIMEOUT_S 1000000.0
/* A matrix larger than this is almost certainly a mistake, and expanding it would exhaust memory. */
#define MAX_CASES 100000
#define MAX_NAME_LEN 128

#define LETTERS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#define DIGITS "0123456789"
#define VFMT(fmt) __attribute__((format(printf, fmt, 0)))

/* Sources a benchmark's metrics may come from; the first is the default. */
static const char *const metric_sources[] = {"protocol", NULL};

static const char *const root_keys[] = {"version", "suite", "build", "defaults", "benchmarks", NULL};
static const char *const build_keys[] = {"command", "commands", "shell", "timeout", "env", NULL};
static const char *const defaults_keys[] = {"warmup", "repetitions", "timeout", NULL};
static const char *const bench_keys[] = {"name",   "command",	  "shell",   "cwd",   "env",	 "params",
					 "warmup", "repetitions", "timeout", "files", "metrics", NULL};
static const char *const metrics_keys[] = {"from", "better", NULL};

struct parser {
	const char *path; /* shown in messages */
	const char *text;
	size_t len;
	yaml_document_t doc;
	struct bl_error *err;
};

struct defaults {
	int warmup;
	int repetitions;
	double timeout_s;
};

/* ---- messages ---------------------------------------------------------------------------------------------- */

static VFMT(3) int vfail_mark(struct parser *p, yaml_mark_t mark, const char *fmt, va_list ap)
{
	char msg[3072];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	return bl_fail(p->err, "%s:%zu:%zu: %s", p->path, mark.line + 1, mark.column + 1, msg);
}

static BL_PRINTF(3, 4) int fail_mark(struct parser *p, yaml_mark_t mark, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail_mark(p, mark, fmt, ap);
	va_end(ap);
	return -1;
}

static BL_PRINTF(3, 4) int fail_at(struct parser *p, const yaml_node_t *node, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail_mark(p, node->start_mark, fmt, ap);
	va_end(ap);
	return -1;
}

/* Copies at most ~60 bytes of s for a message, control characters shown as '?', so one bad value cannot flood
 * or garble the terminal. */
static const char *shown(const char *s, char *buf, size_t size)
{
	size_t limit = size - 4, i = 0;
	for (; s[i] && i < limit && i < 60; i++)
		buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	if (s[i]) {
		/* do not cut a UTF-8 sequence in half: step back to the byte that starts it */
		while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80)
			i--;
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

static const char *scalar_text(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool is_plain(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static bool is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	if (!is_plain(n))
		return false;
	for (size_t i = 0; nulls[i]; i++)
		if (!strcmp(scalar_text(n), nulls[i]))
			return true;
	return false;
}

/* "a list", "a mapping", "an empty value" or 'TEXT'; with number_hint, says why a quoted number is refused. */
static const char *describe(const yaml_node_t *n, bool number_hint, char *buf, size_t size)
{
	char text[80];
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (is_null(n))
		return *scalar_text(n) ? "null" : "an empty value";
	bool quoted = !is_plain(n) && number_hint;
	snprintf(buf, size, "'%s'%s", shown(scalar_text(n), text, sizeof(text)),
		 quoted ? " (quoted: write numbers and booleans without quotes)" : "");
	return buf;
}

/* ---- nodes ------------------------------------------------------------------------------------------------- */

static yaml_node_t *node_at(struct parser *p, int id)
{
	return yaml_document_get_node(&p->doc, id);
}

static size_t n_pairs(const yaml_node_t *map)
{
	return (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

static size_t n_items(const yaml_node_t *seq)
{
	return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

static yaml_node_t *item_at(struct parser *p, const yaml_node_t *seq, size_t i)
{
	return node_at(p, seq->data.sequence.items.start[i]);
}

/* A NUL inside a scalar ("\0" in double quotes) would silently truncate the C string. */
static int check_no_nul(struct parser *p, const yaml_node_t *n)
{
	if (strlen(scalar_text(n)) != n->data.scalar.length)
		return fail_at(p, n, "value contains a NUL character (\\0), which cannot be passed to a program");
	return 0;
}

static bool in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

static void join_list(struct bl_buf *b, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		bl_buf_printf(b, "%s%s", i ? ", " : "", list[i]);
}

/*
 * Every key of a mapping must be a scalar, appear once, and (with allowed) be one of the known keys. Checking all
 * keys up front means a typo is reported as such instead of as a missing required key.
 */
static int check_keys(struct parser *p, const yaml_node_t *map, const char *what, const char *const *allowed)
{
	char buf[80], other[80];
	for (size_t i = 0; i < n_pairs(map); i++) {
		yaml_node_t *key = node_at(p, map->data.mapping.pairs.start[i].key);
		if (key->type != YAML_SCALAR_NODE || is_null(key))
			return fail_at(p, key, "keys in %s must be names, got %s", what,
				       describe(key, false, other, sizeof(other)));
		if (check_no_nul(p, key))
			return -1;
		const char *name = scalar_text(key);
		if (allowed && !in_list(name, allowed)) {
			struct bl_buf list;
			bl_buf_init(&list);
			join_list(&list, allowed);
			fail_at(p, key, "unknown key '%s' in %s (allowed: %s)", shown(name, buf, sizeof(buf)), what,
				list.data);
			bl_buf_release(&list);
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			yaml_node_t *prev = node_at(p, map->data.mapping.pairs.start[j].key);
			if (!strcmp(scalar_text(prev), name))
				return fail_at(p, key, "duplicate key '%s' in %s (first at line %zu, column %zu)",
					       shown(name, buf, sizeof(buf)), what, prev->start_mark.line + 1,
					       prev->start_mark.column + 1);
		}
	}
	return 0;
}

static yaml_node_pair_t *find_pair(struct parser *p, const yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++)
		if (!strcmp(scalar_text(node_at(p, pair->key)), key))
			return pair;
	return NULL;
}

static yaml_node_t *find_value(struct parser *p, const yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pair = find_pair(p, map, key);
	return pair ? node_at(p, pair->value) : NULL;
}

/* ---- typed values ------------------------------------------------------------------------------------------ */

/* Any non-null scalar, as written: numbers and booleans are strings here ("values scalars as written"). */
static int get_string(struct parser *p, const yaml_node_t *n, const char *what, char **out)
{
	char buf[128];
	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return fail_at(p, n, "%s must be a string, got %s", what, describe(n, false, buf, sizeof(buf)));
	if (check_no_nul(p, n))
		return -1;
	*out = bl_xstrdup(scalar_text(n));
	return 0;
}

static int get_bool(struct parser *p, const yaml_node_t *n, const char *what, bool *out)
{
	char buf[128];
	if (is_plain(n) && !strcmp(scalar_text(n), "true"))
		*out = true;
	else if (is_plain(n) && !strcmp(scalar_text(n), "false"))
		*out = false;
	else
		return fail_at(p, n, "%s must be true or false, got %s", what, describe(n, true, buf, sizeof(buf)));
	return 0;
}

static bool all_of(const char *s, const char *chars)
{
	return *s && strspn(s, chars) == strlen(s);
}

static int get_int(struct parser *p, const yaml_node_t *n, const char *what, int min, int max, int *out)
{
	char buf[128];
	int64_t v;
	const char *s = is_plain(n) ? scalar_text(n) : "";
	const char *digits = *s == '-' ? s + 1 : s;
	if (!all_of(digits, DIGITS))
		return fail_at(p, n, "%s must be an integer >= %d, got %s", what, min,
			       describe(n, true, buf, sizeof(buf)));
	if (bl_parse_int64(s, &v) || v < min || v > max)
		return fail_at(p, n, "%s is out of range: expected an integer from %d to %d, got %s", what, min, max,
			       describe(n, true, buf, sizeof(buf)));
	*out = (int)v;
	return 0;
}

/* A positive number of seconds, e.g. 60, 2.5 or 1e3. */
static int get_seconds(struct parser *p, const yaml_node_t *n, const char *what, double *out)
{
	char buf[128];
	double v;
	const char *s = is_plain(n) ? scalar_text(n) : "";
	/* the character set keeps out what strtod would also take: inf, nan, hex and leading blanks */
	if (!all_of(s, DIGITS ".eE+-") || bl_parse_double(s, &v) || v <= 0)
		return fail_at(p, n, "%s must be a number of seconds > 0, got %s", what,
			       describe(n, true, buf, sizeof(buf)));
	if (v > MAX_TIMEOUT_S)
		return fail_at(p, n, "%s is out of range: expected at most %.0f seconds, got %s", what, MAX_TIMEOUT_S,
			       describe(n, true, buf, sizeof(buf)));
	*out = v;
	return 0;
}

/* [A-Za-z_][A-Za-z0-9_]*: what a shell accepts as a variable name, and what a {param} can be called. */
static bool is_identifier(const char *s)
{
	return *s && strchr(LETTERS "_", *s) && all_of(s, LETTERS DIGITS "_");
}

/*
 * Normalises a path that must stay inside the repository ("./a//b/" -> "a/b", "" for the root). Returns NULL when
 * it is fine, or why it is not.
 */
static const char *normalize_rel_path(const char *s, struct bl_buf *out)
{
	bl_buf_reset(out);
	if (!*s)
		return "is empty";
	if (*s == '/')
		return "must be relative to the repository root, not absolute";
	for (const char *c = s; *c;) {
		size_t len = strcspn(c, "/");
		if (len == 2 && !strncmp(c, "..", 2)) {
			if (!out->len)
				return "escapes the repository through '..'";
			char *slash = strrchr(out->data, '/');
			out->len = slash ? (size_t)(slash - out->data) : 0;
			out->data[out->len] = '\0';
		} else if (len == 4 && !strncmp(c, ".git", 4)) {
			return "must not point into '.git'";
		} else if (len && !(len == 1 && *c == '.')) {
			if (out->len)
				bl_buf_putc(out, '/');
			bl_buf_append(out, c, len);
		}
		c += len;
		c += *c == '/';
	}
	return NULL;
}

/* ---- {param} substitution ---------------------------------------------------------------------------------- */

static size_t find_param(const struct bl_param *params, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(params[i].name) == len && !strncmp(params[i].name, name, len))
			return i;
	return n;
}

/*
 * Replaces each {name} in s with the value choice[i] of params[i]; with choice NULL it only checks the
 * references. {{ and }} are literal braces. On error, why says what is wrong, to follow the name of the string.
 */
static int substitute(const char *s, const struct bl_param *params, size_t n_params, const size_t *choice,
		      struct bl_buf *out, struct bl_error *why)
{
	char buf[80];
	for (const char *c = s; *c;) {
		if ((c[0] == '{' || c[0] == '}') && c[1] == c[0]) {
			bl_buf_putc(out, c[0]);
			c += 2;
			continue;
		}
		if (*c == '}')
			return bl_fail(why, "has a lone '}' in '%s' (write '}}' for a literal brace)",
				       shown(s, buf, sizeof(buf)));
		if (*c != '{') {
			bl_buf_putc(out, *c++);
			continue;
		}
		const char *end = strchr(c + 1, '}');
		if (!end)
			return bl_fail(why, "has an unclosed '{' in '%s' (write '{{' for a literal brace)",
				       shown(s, buf, sizeof(buf)));
		size_t len = (size_t)(end - c - 1);
		size_t i = find_param(params, n_params, c + 1, len);
		/* JSON or a shell group in a command is the usual way to get here: say how to write it */
		if (i == n_params && (!len || strspn(c + 1, LETTERS DIGITS "_") != len || strchr(DIGITS, c[1])))
			return bl_fail(why,
				       "has '{%.*s}', which is not a parameter reference, in '%s' (write '{{' and '}}' "
				       "for literal braces)",
				       len > 32 ? 32 : (int)len, c + 1, shown(s, buf, sizeof(buf)));
		if (i == n_params) {
			struct bl_buf declared;
			bl_buf_init(&declared);
			for (size_t k = 0; k < n_params; k++)
				bl_buf_printf(&declared, "%s%s", k ? ", " : "", params[k].name);
			bl_fail(why, "refers to undeclared parameter '{%.*s}' (%s%s)", len > 64 ? 64 : (int)len, c + 1,
				n_params ? "declared params: " : "this benchmark declares no params", declared.data);
			bl_buf_release(&declared);
			return -1;
		}
		if (choice)
			bl_buf_puts(out, params[i].values.v[choice[i]]);
		c = end + 1;
	}
	return 0;
}

static int check_refs(struct parser *p, const yaml_node_t *n, const char *what, const char *s,
		      const struct bl_benchmark_cfg *b)
{
	struct bl_error why = {{0}};
	struct bl_buf scratch;
	bl_buf_init(&scratch);
	int rc = substitute(s, b->params, b->n_params, NULL, &scratch, &why);
	bl_buf_release(&scratch);
	return rc ? fail_at(p, n, "%s %s", what, why.msg) : 0;
}

/* Steps choice to the next combination, last parameter fastest; false after the last one. */
static bool next_choice(const struct bl_param *params, size_t n, size_t *choice)
{
	for (size_t i = n; i-- > 0;) {
		if (++choice[i] < params[i].values.n)
			return true;
		choice[i] = 0;
	}
	return false;
}

static void put_assignments(struct bl_buf *b, const struct bl_param *params, size_t n, const size_t *choice)
{
	for (size_t i = 0; i < n; i++)
		bl_buf_printf(b, "%s%s=%s", i ? "," : "", params[i].name, params[i].values.v[choice[i]]);
}

/* ---- sections ---------------------------------------------------------------------------------------------- */

/* A command is an argv list or a string; with refs, {param} references are checked against its params. */
static int parse_command(struct parser *p, const yaml_node_t *n, bool shell, const char *what,
			 const struct bl_benchmark_cfg *refs, struct bl_command *cmd)
{
	char buf[128];
	bl_strvec_init(&cmd->argv);
	cmd->shell = shell;
	cmd->line = (int)n->start_mark.line + 1;
	cmd->column = (int)n->start_mark.column + 1;
	if (n->type == YAML_SEQUENCE_NODE) {
		if (shell)
			return fail_at(p, n, "%s must be a single string when 'shell' is true, got a list", what);
		if (!n_items(n))
			return fail_at(p, n, "%s must not be an empty list (expected the program and its arguments)",
				       what);
		for (size_t i = 0; i < n_items(n); i++) {
			yaml_node_t *item = item_at(p, n, i);
			char *word;
			if (item->type != YAML_SCALAR_NODE || is_null(item))
				return fail_at(p, item, "each word of %s must be a string, got %s", what,
					       describe(item, false, buf, sizeof(buf)));
			if (get_string(p, item, what, &word))
				return -1;
			bl_strvec_push_owned(&cmd->argv, word);
			if (refs && check_refs(p, item, what, word, refs))
				return -1;
		}
	} else if (n->type == YAML_SCALAR_NODE && !is_null(n)) {
		if (check_no_nul(p, n))
			return -1;
		const char *s = scalar_text(n);
		if (shell) {
			if (!s[strspn(s, " \t\r\n\v\f")])
				return fail_at(p, n, "%s must not be empty", what);
			bl_strvec_push(&cmd->argv, s);
		} else {
			struct bl_error why = {{0}};
			if (bl_split_words(s, &cmd->argv, &why))
				return fail_at(p, n, "cannot split %s into words: %s", what, why.msg);
			if (!cmd->argv.n)
				return fail_at(p, n, "%s must not be empty", what);
		}
		for (size_t i = 0; refs && i < cmd->argv.n; i++)
			if (check_refs(p, n, what, cmd->argv.v[i], refs))
				return -1;
	} else {
		return fail_at(p, n, "%s must be a string or a list of strings, got %s", what,
			       describe(n, false, buf, sizeof(buf)));
	}
	if (!refs && !*cmd->argv.v[0])
		return fail_at(p, n, "the program (first word) of %s is empty", what);
	return 0;
}

static int parse_env(struct parser *p, const yaml_node_t *n, const struct bl_benchmark_cfg *refs, struct bl_kv **env,
		     size_t *n_env)
{
	char buf[128], name_buf[80];
	if (n->type != YAML_MAPPING_NODE)
		return fail_at(p, n, "'env' must be a mapping of variable names to values, got %s",
			       describe(n, false, buf, sizeof(buf)));
	if (check_keys(p, n, "'env'", NULL))
		return -1;
	*env = bl_xcalloc(n_pairs(n), sizeof(**env));
	for (size_t i = 0; i < n_pairs(n); i++) {
		yaml_node_t *key = node_at(p, n->data.mapping.pairs.start[i].key);
		yaml_node_t *value = node_at(p, n->data.mapping.pairs.start[i].value);
		const char *name = scalar_text(key);
		if (!is_identifier(name))
			return fail_at(p, key,
				       "environment variable name '%s' is not valid (expected letters, digits and '_', "
				       "not starting with a digit)",
				       shown(name, name_buf, sizeof(name_buf)));
		if (!strncmp(name, "BENCHLINE_", 10))
			return fail_at(p, key, "environment variable '%s' is reserved (benchline sets BENCHLINE_*)",
				       shown(name, name_buf, sizeof(name_buf)));
		if (value->type != YAML_SCALAR_NODE || is_null(value))
			return fail_at(p, value, "environment variable '%s' must be a string or number, got %s", name,
				       describe(value, false, buf, sizeof(buf)));
		struct bl_kv *kv = &(*env)[(*n_env)++];
		kv->key = bl_xstrdup(name);
		if (get_string(p, value, "value", &kv->value))
			return -1;
		if (refs) {
			char *what = bl_xasprintf("environment variable '%s'", name);
			int rc = check_refs(p, value, what, kv->value, refs);
			free(what);
			if (rc)
				return -1;
		}
	}
	return 0;
}

static int parse_suite(struct parser *p, const yaml_node_t *n, struct bl_config *cfg)
{
	char buf[128];
	struct bl_buf norm;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail_at(p, n, "'suite' must be a list of paths relative to the repository root, got %s",
			       describe(n, false, buf, sizeof(buf)));
	bl_buf_init(&norm);
	for (size_t i = 0; i < n_items(n); i++) {
		yaml_node_t *item = item_at(p, n, i);
		char *path = NULL;
		if (get_string(p, item, "each 'suite' path", &path))
			goto fail;
		const char *why = normalize_rel_path(path, &norm);
		if (!why && !norm.len)
			why = "names the whole repository (list the benchmark directories or files instead)";
		if (why) {
			fail_at(p, item, "'suite' path '%s' %s", shown(path, buf, sizeof(buf)), why);
			free(path);
			goto fail;
		}
		free(path);
		for (size_t j = 0; j < cfg->suite.n; j++)
			if (!strcmp(cfg->suite.v[j], norm.data)) {
				fail_at(p, item, "'suite' lists '%s' twice", shown(norm.data, buf, sizeof(buf)));
				goto fail;
			}
		bl_strvec_push(&cfg->suite, norm.data);
	}
	bl_buf_release(&norm);
	return 0;
fail:
	bl_buf_release(&norm);
	return -1;
}

static int parse_build(struct parser *p, const yaml_node_t *n, struct bl_build_cfg *build)
{
	char buf[128];
	bool shell = false;
	yaml_node_t *v;
	if (n->type != YAML_MAPPING_NODE)
		return fail_at(p, n, "'build' must be a mapping with 'command' or 'commands', got %s",
			       describe(n, false, buf, sizeof(buf)));
	if (check_keys(p, n, "'build'", build_keys))
		return -1;
	if ((v = find_value(p, n, "shell")) && get_bool(p, v, "'shell'", &shell))
		return -1;
	if ((v = find_value(p, n, "timeout")) && get_seconds(p, v, "'timeout'", &build->timeout_s))
		return -1;
	if ((v = find_value(p, n, "env")) && parse_env(p, v, NULL, &build->env, &build->n_env))
		return -1;
	yaml_node_pair_t *one = find_pair(p, n, "command"), *many = find_pair(p, n, "commands");
	if (one && many) {
		yaml_node_t *second = node_at(p, one->key < many->key ? many->key : one->key);
		return fail_at(p, second,
			       "'command' and 'commands' are mutually exclusive in 'build' (use 'commands' for several "
			       "steps)");
	}
	if (!one && !many)
		return fail_at(p, n, "missing 'command' or 'commands' in 'build' (expected what builds a commit)");
	if (one) {
		build->commands = bl_xcalloc(1, sizeof(*build->commands));
		build->n_commands = 1;
		return parse_command(p, node_at(p, one->value), shell, "'command'", NULL, &build->commands[0]);
	}
	v = node_at(p, many->value);
	if (v->type != YAML_SEQUENCE_NODE || !n_items(v))
		return fail_at(p, v, "'commands' must be a non-empty list of commands, got %s",
			       describe(v, false, buf, sizeof(buf)));
	build->commands = bl_xcalloc(n_items(v), sizeof(*build->commands));
	for (size_t i = 0; i < n_items(v); i++)
		if (parse_command(p, item_at(p, v, i), shell, "each of 'commands'", NULL,
				  &build->commands[build->n_commands++]))
			return -1;
	return 0;
}

static int parse_defaults(struct parser *p, const yaml_node_t *n, struct defaults *d)
{
	char buf[128];
	yaml_node_t *v;
	if (n->type != YAML_MAPPING_NODE)
		return fail_at(p, n,
			       "'defaults' must be a mapping with 'warmup', 'repetitions' and/or 'timeout', got %s",
			       describe(n, false, buf, sizeof(buf)));
	if (check_keys(p, n, "'defaults'", defaults_keys))
		return -1;
	if ((v = find_value(p, n, "warmup")) && get_int(p, v, "'warmup'", 0, MAX_RUNS, &d->warmup))
		return -1;
	if ((v = find_value(p, n, "repetitions")) && get_int(p, v, "'repetitions'", 1, MAX_RUNS, &d->repetitions))
		return -1;
	if ((v = find_value(p, n, "timeout")) && get_seconds(p, v, "'timeout'", &d->timeout_s))
		return -1;
	return 0;
}

static int parse_params(struct parser *p, const yaml_node_t *n, struct bl_benchmark_cfg *b)
{
	char buf[128], name_buf[80];
	size_t cases = 1;
	if (n->type != YAML_MAPPING_NODE)
		return fail_at(p, n, "'params' must be a mapping of parameter names to lists of values, got %s",
			       describe(n, false, buf, sizeof(buf)));
	if (check_keys(p, n, "'params'", NULL))
		return -1;
	b->params = bl_xcalloc(n_pairs(n), sizeof(*b->params));
	for (size_t i = 0; i < n_pairs(n); i++) {
		yaml_node_t *key = node_at(p, n->data.mapping.pairs.start[i].key);
		yaml_node_t *list = node_at(p, n->data.mapping.pairs.start[i].value);
		const char *name = scalar_text(key);
		if (!is_identifier(name))
			return fail_at(p, key,
				       "parameter name '%s' is not valid (expected letters, digits and '_', not "
				       "starting with a digit)",
				       shown(name, name_buf, sizeof(name_buf)));
		if (list->type != YAML_SEQUENCE_NODE || !n_items(list))
			return fail_at(p, list, "parameter '%s' must be a non-empty list of values, got %s", name,
				       describe(list, false, buf, sizeof(buf)));
		struct bl_param *param = &b->params[b->n_params++];
		param->name = bl_xstrdup(name);
		bl_strvec_init(&param->values);
		for (size_t j = 0; j < n_items(list); j++) {
			yaml_node_t *item = item_at(p, list, j);
			char *value;
			if (item->type != YAML_SCALAR_NODE || is_null(item))
				return fail_at(p, item, "values of parameter '%s' must be strings or numbers, got %s",
					       name, describe(item, false, buf, sizeof(buf)));
			if (get_string(p, item, "value", &value))
				return -1;
			bl_strvec_push_owned(&param->values, value);
			for (size_t k = 0; k < j; k++)
				if (!strcmp(param->values.v[k], value))
					return fail_at(p, item, "parameter '%s' lists the value '%s' twice", name,
						       shown(value, buf, sizeof(buf)));
		}
		cases *= n_items(list);
		if (cases > MAX_CASES)
			return fail_at(p, n, "'params' make more than %d combinations (expected a smaller matrix)",
				       MAX_CASES);
	}
	return 0;
}

static int parse_metrics(struct parser *p, const yaml_node_t *n, struct bl_benchmark_cfg *b)
{
	char buf[128], name_buf[80];
	const yaml_node_t *from = n;
	yaml_node_t *better = NULL;
	if (n->type == YAML_MAPPING_NODE) {
		if (check_keys(p, n, "'metrics'", metrics_keys))
			return -1;
		from = find_value(p, n, "from");
		better = find_value(p, n, "better");
	} else if (n->type != YAML_SCALAR_NODE || is_null(n)) {
		return fail_at(p, n,
			       "'metrics' must be a source such as 'protocol' or a mapping with 'from' and "
			       "'better', got %s",
			       describe(n, false, buf, sizeof(buf)));
	}
	if (from && get_string(p, from, "'from'", &b->metrics_from))
		return -1;
	if (!from)
		b->metrics_from = bl_xstrdup(metric_sources[0]);
	if (!in_list(b->metrics_from, metric_sources)) {
		struct bl_buf list;
		bl_buf_init(&list);
		join_list(&list, metric_sources);
		fail_at(p, from, "unsupported metrics source '%s' (supported: %s)",
			shown(b->metrics_from, buf, sizeof(buf)), list.data);
		bl_buf_release(&list);
		return -1;
	}
	if (!better)
		return 0;
	if (better->type != YAML_MAPPING_NODE)
		return fail_at(p, better, "'better' must be a mapping of metric names to lower or higher, got %s",
			       describe(better, false, buf, sizeof(buf)));
	if (check_keys(p, better, "'better'", NULL))
		return -1;
	b->metrics = bl_xcalloc(n_pairs(better), sizeof(*b->metrics));
	for (size_t i = 0; i < n_pairs(better); i++) {
		yaml_node_t *key = node_at(p, better->data.mapping.pairs.start[i].key);
		yaml_node_t *value = node_at(p, better->data.mapping.pairs.start[i].value);
		struct bl_metric_decl *m = &b->metrics[b->n_metrics++];
		m->name = bl_xstrdup(scalar_text(key));
		if (value->type != YAML_SCALAR_NODE || bl_better_parse(scalar_text(value), &m->better))
			return fail_at(p, value, "'better' for metric '%s' must be lower or higher, got %s",
				       shown(m->name, name_buf, sizeof(name_buf)),
				       describe(value, false, buf, sizeof(buf)));
	}
	return 0;
}

/* Names become file names and command-line arguments: no '/', no spaces, no leading '.' or '-'. */
static int check_name(struct parser *p, const yaml_node_t *n, struct bl_config *cfg, const char *name)
{
	char buf[80];
	if (strlen(name) > MAX_NAME_LEN || !all_of(name, LETTERS DIGITS "_.:-") || strchr(".:-", *name))
		return fail_at(p, n,
			       "benchmark name '%s' is not valid (expected 1 to %d characters from [A-Za-z0-9_.:-], "
			       "starting with a letter, digit or '_'; it is used in file names)",
			       shown(name, buf, sizeof(buf)), MAX_NAME_LEN);
	for (size_t i = 0; i + 1 < cfg->n_benchmarks; i++)
		if (!strcmp(cfg->benchmarks[i].name, name))
			return fail_at(p, n, "duplicate benchmark name '%s' (first defined at line %d, column %d)",
				       name, cfg->benchmarks[i].line, cfg->benchmarks[i].column);
	return 0;
}

/* What a parameter value can break: cwd escaping the checkout, or an empty program name. NULL when fine. */
static const char *check_case(const struct bl_benchmark_cfg *b, const size_t *choice, struct bl_buf *s,
			      struct bl_buf *norm, bool *in_cwd)
{
	const char *why = NULL;
	*in_cwd = b->cwd != NULL;
	if (b->cwd) {
		bl_buf_reset(s);
		substitute(b->cwd, b->params, b->n_params, choice, s, NULL);
		why = normalize_rel_path(s->data, norm);
	}
	if (!why && !b->command.shell) {
		*in_cwd = false;
		bl_buf_reset(s);
		substitute(b->command.argv.v[0], b->params, b->n_params, choice, s, NULL);
		why = s->len ? NULL : "is empty";
	}
	return why;
}

/*
 * Substitutes every combination into cwd and the program name, so that a value which makes cwd escape the
 * checkout or leaves no program is reported now, at its place in the file, and never halfway through a run.
 */
static int check_combinations(struct parser *p, const struct bl_benchmark_cfg *b, const yaml_node_t *cwd_node,
			      const yaml_node_t *cmd_node)
{
	char buf[128];
	struct bl_buf s, norm, with;
	bool in_cwd;
	const char *why = NULL;
	/* without references every combination gives the same strings: checking the first is enough */
	bool varies = (b->cwd && strchr(b->cwd, '{')) || (!b->command.shell && strchr(b->command.argv.v[0], '{'));
	size_t *choice = bl_xcalloc(b->n_params, sizeof(*choice));
	bl_buf_init(&s);
	bl_buf_init(&norm);
	bl_buf_init(&with);
	do
		why = check_case(b, choice, &s, &norm, &in_cwd);
	while (!why && varies && next_choice(b->params, b->n_params, choice));
	if (why) {
		if (varies && b->n_params) {
			bl_buf_puts(&with, " with ");
			put_assignments(&with, b->params, b->n_params, choice);
		}
		if (in_cwd)
			fail_at(p, cwd_node, "'cwd' '%s'%s %s", shown(s.data, buf, sizeof(buf)), with.data, why);
		else
			fail_at(p, cmd_node, "the program (first word) of 'command'%s is empty", with.data);
	}
	free(choice);
	bl_buf_release(&s);
	bl_buf_release(&norm);
	bl_buf_release(&with);
	return why ? -1 : 0;
}

static int parse_benchmark_fields(struct parser *p, const yaml_node_t *n, const struct defaults *d,
				  struct bl_config *cfg, struct bl_benchmark_cfg *b)
{
	char buf[128];
	yaml_node_t *v, *cmd, *cwd = NULL;
	bool shell = false;
	if (!(v = find_value(p, n, "name")))
		return fail_at(p, n,
			       "missing required key 'name' in benchmark (expected a mapping with 'name' and "
			       "'command')");
	if (get_string(p, v, "'name'", &b->name) || check_name(p, v, cfg, b->name))
		return -1;
	if ((v = find_value(p, n, "params")) && parse_params(p, v, b))
		return -1;
	if ((v = find_value(p, n, "shell")) && get_bool(p, v, "'shell'", &shell))
		return -1;
	if (!(cmd = find_value(p, n, "command")))
		return fail_at(p, n,
			       "missing required key 'command' in benchmark '%s' (expected a string or a list "
			       "of strings)",
			       b->name);
	if (parse_command(p, cmd, shell, "'command'", b, &b->command))
		return -1;
	if ((cwd = find_value(p, n, "cwd")) &&
	    (get_string(p, cwd, "'cwd'", &b->cwd) || check_refs(p, cwd, "'cwd'", b->cwd, b)))
		return -1;
	if ((v = find_value(p, n, "env")) && parse_env(p, v, b, &b->env, &b->n_env))
		return -1;
	b->warmup = d->warmup;
	b->repetitions = d->repetitions;
	b->timeout_s = d->timeout_s;
	if ((v = find_value(p, n, "warmup")) && get_int(p, v, "'warmup'", 0, MAX_RUNS, &b->warmup))
		return -1;
	if ((v = find_value(p, n, "repetitions")) && get_int(p, v, "'repetitions'", 1, MAX_RUNS, &b->repetitions))
		return -1;
	if ((v = find_value(p, n, "timeout")) && get_seconds(p, v, "'timeout'", &b->timeout_s))
		return -1;
	if ((v = find_value(p, n, "files"))) {
		if (v->type == YAML_SCALAR_NODE && !strcmp(scalar_text(v), "current"))
			b->files = BL_FILES_CURRENT;
		else if (v->type == YAML_SCALAR_NODE && !strcmp(scalar_text(v), "commit"))
			b->files = BL_FILES_COMMIT;
		else
			return fail_at(p, v, "'files' must be current or commit, got %s",
				       describe(v, false, buf, sizeof(buf)));
	}
	if ((v = find_value(p, n, "metrics")) && parse_metrics(p, v, b))
		return -1;
	if (!b->metrics_from)
		b->metrics_from = bl_xstrdup(metric_sources[0]);
	return check_combinations(p, b, cwd, cmd);
}

static int parse_benchmarks(struct parser *p, const yaml_node_t *n, const struct defaults *d, struct bl_config *cfg)
{
	char buf[128];
	if (n->type != YAML_SEQUENCE_NODE || !n_items(n))
		return fail_at(p, n, "'benchmarks' must be a non-empty list of benchmarks, got %s",
			       describe(n, false, buf, sizeof(buf)));
	cfg->benchmarks = bl_xcalloc(n_items(n), sizeof(*cfg->benchmarks));
	for (size_t i = 0; i < n_items(n); i++) {
		yaml_node_t *item = item_at(p, n, i);
		if (item->type != YAML_MAPPING_NODE)
			return fail_at(p, item, "each benchmark must be a mapping with 'name' and 'command', got %s",
				       describe(item, false, buf, sizeof(buf)));
		if (check_keys(p, item, "benchmark", bench_keys))
			return -1;
		struct bl_benchmark_cfg *b = &cfg->benchmarks[cfg->n_benchmarks++];
		b->line = (int)item->start_mark.line + 1;
		b->column = (int)item->start_mark.column + 1;
		if (parse_benchmark_fields(p, item, d, cfg, b))
			return -1;
	}
	return 0;
}

/* A newer file format gets its own message: the fix is a newer benchline, not an edit. */
static int parse_version(struct parser *p, const yaml_node_t *n, int *version)
{
	char buf[128];
	const char *s = is_plain(n) ? scalar_text(n) : "";
	if (!strcmp(s, "1")) {
		*version = 1;
		return 0;
	}
	if (all_of(s, DIGITS))
		return fail_at(p, n, "unsupported 'version' %s (expected 1, the only version this benchline reads)",
			       shown(s, buf, sizeof(buf)));
	return fail_at(p, n, "'version' must be 1, got %s", describe(n, true, buf, sizeof(buf)));
}

static int parse_root(struct parser *p, struct bl_config *cfg)
{
	char buf[128];
	yaml_node_t *root = yaml_document_get_root_node(&p->doc), *v;
	struct defaults d = {DEFAULT_WARMUP, DEFAULT_REPETITIONS, DEFAULT_TIMEOUT_S};
	if (root->type != YAML_MAPPING_NODE)
		return fail_at(p, root, "the top level must be a mapping with 'version: 1' and 'benchmarks', got %s",
			       describe(root, false, buf, sizeof(buf)));
	if (check_keys(p, root, "the top level", root_keys))
		return -1;
	if (!(v = find_value(p, root, "version")))
		return fail_at(p, root, "missing required key 'version' (expected 'version: 1' at the top level)");
	if (parse_version(p, v, &cfg->version))
		return -1;
	cfg->build.timeout_s = DEFAULT_BUILD_TIMEOUT_S;
	bl_strvec_init(&cfg->suite);
	if ((v = find_value(p, root, "suite")) && parse_suite(p, v, cfg))
		return -1;
	if ((v = find_value(p, root, "build")) && parse_build(p, v, &cfg->build))
		return -1;
	if ((v = find_value(p, root, "defaults")) && parse_defaults(p, v, &d))
		return -1;
	if (!(v = find_value(p, root, "benchmarks")))
		return fail_at(p, root, "missing required key 'benchmarks' (expected a list of benchmarks)");
	return parse_benchmarks(p, v, &d, cfg);
}

/* ---- loading ----------------------------------------------------------------------------------------------- */

/* libyaml reports reader errors (bad UTF-8, control characters) by byte offset rather than by mark. */
static yaml_mark_t mark_of_offset(const char *text, size_t len, size_t offset)
{
	yaml_mark_t m = {0, 0, 0};
	for (size_t i = 0; i < offset && i < len; i++) {
		if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= len || text[i + 1] != '\n'))) {
			m.line++;
			m.column = 0;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80 && text[i] != '\r') {
			m.column++;
		}
	}
	return m;
}

static int yaml_error(struct parser *p, yaml_parser_t *yp)
{
	if (yp->error == YAML_MEMORY_ERROR)
		return bl_fail(p->err, "%s: out of memory while reading YAML", p->path);
	yaml_mark_t mark =
	    yp->error == YAML_READER_ERROR ? mark_of_offset(p->text, p->len, yp->problem_offset) : yp->problem_mark;
	if (yp->context)
		return fail_mark(p, mark, "invalid YAML: %s (%s at line %zu, column %zu)",
				 yp->problem ? yp->problem : "unknown error", yp->context, yp->context_mark.line + 1,
				 yp->context_mark.column + 1);
	return fail_mark(p, mark, "invalid YAML: %s", yp->problem ? yp->problem : "unknown error");
}

/*
 * The document API resolves aliases into shared nodes and drops tags, which would make errors point at the
 * anchor and let '!!str 5' pass as a number; both are refused here, where the events still show them.
 */
static int check_events(struct parser *p)
{
	yaml_parser_t yp;
	yaml_event_t ev;
	char buf[80];
	int rc = 0;
	bool done = false;
	if (!yaml_parser_initialize(&yp))
		return bl_fail(p->err, "%s: out of memory while reading YAML", p->path);
	yaml_parser_set_input_string(&yp, (const unsigned char *)p->text, p->len);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&yp, &ev)) {
			rc = yaml_error(p, &yp);
			break;
		}
		yaml_char_t *anchor = NULL, *tag = NULL;
		if (ev.type == YAML_SCALAR_EVENT) {
			anchor = ev.data.scalar.anchor;
			tag = ev.data.scalar.tag;
		} else if (ev.type == YAML_SEQUENCE_START_EVENT) {
			anchor = ev.data.sequence_start.anchor;
			tag = ev.data.sequence_start.tag;
		} else if (ev.type == YAML_MAPPING_START_EVENT) {
			anchor = ev.data.mapping_start.anchor;
			tag = ev.data.mapping_start.tag;
		}
		if (ev.type == YAML_ALIAS_EVENT)
			rc = fail_mark(p, ev.start_mark, "YAML aliases ('*%s') are not supported (write the value out)",
				       shown((const char *)ev.data.alias.anchor, buf, sizeof(buf)));
		else if (anchor)
			rc = fail_mark(p, ev.start_mark, "YAML anchors ('&%s') are not supported (write values out)",
				       shown((const char *)anchor, buf, sizeof(buf)));
		else if (tag)
			rc = fail_mark(p, ev.start_mark,
				       "YAML tags ('%s') are not supported (quote a value to make it a string)",
				       shown((const char *)tag, buf, sizeof(buf)));
		done = ev.type == YAML_DOCUMENT_END_EVENT || ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&yp);
	return rc;
}

/* Loads exactly one document into p->doc; on failure nothing is left to delete. */
static int load_document(struct parser *p)
{
	yaml_parser_t yp;
	yaml_document_t extra;
	if (!yaml_parser_initialize(&yp))
		return bl_fail(p->err, "%s: out of memory while reading YAML", p->path);
	yaml_parser_set_input_string(&yp, (const unsigned char *)p->text, p->len);
	if (!yaml_parser_load(&yp, &p->doc)) {
		yaml_error(p, &yp);
		yaml_parser_delete(&yp);
		return -1;
	}
	int rc = 0;
	if (!yaml_document_get_root_node(&p->doc)) {
		rc =
		    bl_fail(p->err, "%s:1:1: the file is empty (expected a mapping with 'version: 1' and 'benchmarks')",
			    p->path);
	} else if (!yaml_parser_load(&yp, &extra)) {
		rc = yaml_error(p, &yp);
	} else {
		if (yaml_document_get_root_node(&extra))
			rc = fail_mark(p, extra.start_mark,
				       "a second YAML document starts here (expected exactly one document; remove "
				       "the '---' and what follows)");
		yaml_document_delete(&extra);
	}
	yaml_parser_delete(&yp);
	if (rc == 0)
		rc = check_events(p);
	if (rc)
		yaml_document_delete(&p->doc);
	return rc;
}

int bl_config_parse(const char *path, const char *text, size_t len, struct bl_config *cfg, struct bl_error *err)
{
	struct parser p = {.path = path, .text = text, .len = len, .err = err};
	struct bl_sha256 h;
	memset(cfg, 0, sizeof(*cfg));
	if (load_document(&p))
		return -1;
	int rc = parse_root(&p, cfg);
	yaml_document_delete(&p.doc);
	if (rc) {
		bl_config_release(cfg);
		return -1;
	}
	cfg->path = bl_xstrdup(path);
	bl_sha256_init(&h);
	bl_sha256_update(&h, text, len);
	bl_sha256_hex(&h, cfg->file_hash);
	return 0;
}

int bl_config_load(const char *path, struct bl_config *cfg, struct bl_error *err)
{
	struct bl_buf text;
	bl_buf_init(&text);
	memset(cfg, 0, sizeof(*cfg));
	if (bl_read_file(path, &text, err)) {
		bl_buf_release(&text);
		return -1;
	}
	int rc = bl_config_parse(path, text.data, text.len, cfg, err);
	bl_buf_release(&text);
	return rc;
}

static void free_kvs(struct bl_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static void release_benchmark(struct bl_benchmark_cfg *b)
{
	free(b->name);
	bl_strvec_release(&b->command.argv);
	free(b->cwd);
	free_kvs(b->env, b->n_env);
	for (size_t i = 0; i < b->n_params; i++) {
		free(b->params[i].name);
		bl_strvec_release(&b->params[i].values);
	}
	free(b->params);
	free(b->metrics_from);
	for (size_t i = 0; i < b->n_metrics; i++)
		free(b->metrics[i].name);
	free(b->metrics);
}

void bl_config_release(struct bl_config *cfg)
{
	free(cfg->path);
	bl_strvec_release(&cfg->suite);
	for (size_t i = 0; i < cfg->build.n_commands; i++)
		bl_strvec_release(&cfg->build.commands[i].argv);
	free(cfg->build.commands);
	free_kvs(cfg->build.env, cfg->build.n_env);
	for (size_t i = 0; i < cfg->n_benchmarks; i++)
		release_benchmark(&cfg->benchmarks[i]);
	free(cfg->benchmarks);
	memset(cfg, 0, sizeof(*cfg));
}

const char *bl_better_name(enum bl_better b)
{
	switch (b) {
	case BL_BETTER_LOWER:
		return "lower";
	case BL_BETTER_HIGHER:
		return "higher";
	default:
		return NULL;
	}
}

int bl_better_parse(const char *s, enum bl_better *out)
{
	if (!strcmp(s, "lower"))
		*out = BL_BETTER_LOWER;
	else if (!strcmp(s, "higher"))
		*out = BL_BETTER_HIGHER;
	else
		return -1;
	return 0;
}

/* ---- cases ------------------------------------------------------------------------------------------------- */

static size_t count_cases(const struct bl_benchmark_cfg *b)
{
	size_t n = 1;
	for (size_t i = 0; i < b->n_params; i++)
		n *= b->params[i].values.n;
	return n;
}

/* Keys sorted, values always strings: the same combination always gives the same bytes, whatever the YAML. */
static char *params_json(const struct bl_param *params, size_t n, const size_t *choice)
{
	json_t *obj = json_object();
	char *out = NULL;
	for (size_t i = 0; obj && i < n; i++)
		if (json_object_set_new(obj, params[i].name, json_string(params[i].values.v[choice[i]])))
			goto done;
	if (obj)
		out = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
done:
	json_decref(obj);
	return out;
}

static int subst_owned(const struct bl_benchmark_cfg *b, const size_t *choice, const char *s, char **out,
		       struct bl_error *err)
{
	struct bl_buf buf;
	bl_buf_init(&buf);
	if (substitute(s, b->params, b->n_params, choice, &buf, err)) {
		bl_buf_release(&buf);
		return bl_error_prefix(err, "benchmark '%s' at line %d: '%s'", b->name, b->line, s);
	}
	*out = bl_buf_detach(&buf);
	return 0;
}

static int make_case(const struct bl_benchmark_cfg *b, const size_t *choice, struct bl_case *c, struct bl_error *err)
{
	struct bl_buf label;
	c->bench = b;
	c->params = bl_xcalloc(b->n_params, sizeof(*c->params));
	for (size_t i = 0; i < b->n_params; i++, c->n_params++) {
		c->params[i].key = bl_xstrdup(b->params[i].name);
		c->params[i].value = bl_xstrdup(b->params[i].values.v[choice[i]]);
	}
	if (!(c->params_json = params_json(b->params, b->n_params, choice)))
		return bl_fail(err, "benchmark '%s': cannot encode its parameters as JSON", b->name);
	bl_buf_init(&label);
	bl_buf_puts(&label, b->name);
	if (b->n_params) {
		bl_buf_putc(&label, '[');
		put_assignments(&label, b->params, b->n_params, choice);
		bl_buf_putc(&label, ']');
	}
	c->label = bl_buf_detach(&label);
	c->command.shell = b->command.shell;
	c->command.line = b->command.line;
	c->command.column = b->command.column;
	bl_strvec_init(&c->command.argv);
	for (size_t i = 0; i < b->command.argv.n; i++) {
		char *word;
		if (subst_owned(b, choice, b->command.argv.v[i], &word, err))
			return -1;
		bl_strvec_push_owned(&c->command.argv, word);
	}
	if (b->cwd && subst_owned(b, choice, b->cwd, &c->cwd, err))
		return -1;
	c->env = bl_xcalloc(b->n_env, sizeof(*c->env));
	for (size_t i = 0; i < b->n_env; i++) {
		struct bl_kv *kv = &c->env[c->n_env++];
		kv->key = bl_xstrdup(b->env[i].key);
		if (subst_owned(b, choice, b->env[i].value, &kv->value, err))
			return -1;
	}
	return 0;
}

int bl_config_cases(const struct bl_config *cfg, struct bl_case **cases, size_t *n, struct bl_error *err)
{
	size_t total = 0, filled = 0;
	for (size_t i = 0; i < cfg->n_benchmarks; i++)
		total += count_cases(&cfg->benchmarks[i]);
	struct bl_case *out = bl_xcalloc(total, sizeof(*out));
	for (size_t i = 0; i < cfg->n_benchmarks; i++) {
		const struct bl_benchmark_cfg *b = &cfg->benchmarks[i];
		if (!count_cases(b))
			continue; /* a parameter without values, possible only in a config built by hand */
		size_t *choice = bl_xcalloc(b->n_params, sizeof(*choice));
		int rc = 0;
		do
			rc = make_case(b, choice, &out[filled++], err);
		while (rc == 0 && next_choice(b->params, b->n_params, choice));
		free(choice);
		if (rc) {
			bl_cases_free(out, filled);
			return -1;
		}
	}
	*cases = out;
	*n = total;
	return 0;
}

void bl_cases_free(struct bl_case *cases, size_t n)
{
	if (!cases)
		return;
	for (size_t i = 0; i < n; i++) {
		free_kvs(cases[i].params, cases[i].n_params);
		free(cases[i].params_json);
		free(cases[i].label);
		bl_strvec_release(&cases[i].command.argv);
		free(cases[i].cwd);
		free_kvs(cases[i].env, cases[i].n_env);
	}
	free(cases);
}

/* ---- words ------------------------------------------------------------------------------------------------- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Reads one quoted part starting at the quote *s; returns where it ends, or NULL when the quote is not closed. */
static const char *read_quoted(const char *s, struct bl_buf *word)
{
	char quote = *s++;
	for (; *s != quote; s++) {
		if (!*s)
			return NULL;
		/* Inside double quotes, as in sh, a backslash only escapes the characters that are special there. */
		if (quote == '"' && *s == '\\' && s[1] && strchr("\"\\$`", s[1]))
			s++;
		bl_buf_putc(word, *s);
	}
	return s + 1;
}

int bl_split_words(const char *s, struct bl_strvec *out, struct bl_error *err)
{
	struct bl_strvec words = {0};
	struct bl_buf word;
	bool in_word = false;
	bl_buf_init(&word);
	for (const char *c = s; *c;) {
		if (c[0] == '\\' && c[1] == '\n') {
			c += 2; /* a backslash-newline continues the line, as in sh */
			continue;
		}
		if (is_space(*c)) {
			if (in_word)
				bl_strvec_push_owned(&words, bl_buf_detach(&word));
			in_word = false;
			c++;
			continue;
		}
		in_word = true;
		if (*c == '\'' || *c == '"') {
			const char *end = read_quoted(c, &word);
			if (!end) {
				bl_fail(err, "unclosed %s quote starting at character %zu (expected a closing %c)",
					*c == '"' ? "double" : "single", (size_t)(c - s) + 1, *c);
				goto fail;
			}
			c = end;
		} else if (*c == '\\') {
			if (!c[1]) {
				bl_fail(err, "lone backslash at the end (expected a character after it)");
				goto fail;
			}
			bl_buf_putc(&word, c[1]);
			c += 2;
		} else {
			bl_buf_putc(&word, *c++);
		}
	}
	if (in_word)
		bl_strvec_push_owned(&words, bl_buf_detach(&word));
	for (size_t i = 0; i < words.n; i++)
		bl_strvec_push_owned(out, words.v[i]);
	words.n = 0;
	bl_strvec_release(&words);
	bl_buf_release(&word);
	return 0;
fail:
	bl_strvec_release(&words);
	bl_buf_release(&word);
	return -1;
}
