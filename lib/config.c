/*
 * config.c - reads benchline.yaml into struct bl_config: walks the document that config_yaml.c loaded, section by
 * section.
 *
 * Each section is checked against a fixed list of keys and typed by hand, because the error must name
 * FILE:LINE:COLUMN of the node at fault and what was expected there. Everything allocated while parsing hangs off
 * the config being built, so one bl_config_release() cleans up after an error at any point. Whatever a parameter
 * value can break (a reference, cwd leaving the checkout, an empty program, the size of the expansion) is checked
 * here for every combination, so that it is reported at its place in the file and never halfway through a run.
 */
#include "benchline/sha256.h"
#include "config_internal.h"

#include <stdlib.h>
#include <string.h>

static const char *const root_keys[] = {"version", "suite", "build", "defaults", "sampling", "analysis", "report", "db", "benchmarks", NULL};
static const char *const build_keys[] = {"command", "commands", "shell", "timeout", "env", NULL};
static const char *const defaults_keys[] = {"warmup", "repetitions", "timeout", NULL};
static const char *const bench_keys[] = {"name",   "command",	  "shell",   "cwd",   "env",	 "params",
					 "warmup", "repetitions", "timeout", "files", "metrics", NULL};
static const char *const sampling_keys[] = {"interval_ms", NULL};

/* How a benchmark runs: the 'defaults' section, which each benchmark may override. */
struct run_settings {
	int warmup;
	int repetitions;
	double timeout_s;
};

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

/* With refs (a benchmark's params), each {param} in s must be declared; without, braces are plain text. */
static int check_refs(struct bl_cfg_parser *p, const struct bl_cfg_node *n, const char *what, const char *s,
		      const struct bl_cfg_params *refs)
{
	struct bl_error why; /* not cleared: 4 KiB per string of a 100000-benchmark file, and only read once set */
	if (!refs || !bl_cfg_substitute(refs, s, NULL, NULL, NULL, &why))
		return 0;
	return bl_cfg_fail_at(p, n, "%s %s", what, why.msg);
}

/* Names of environment variables and of parameters. */
static int check_identifier(struct bl_cfg_parser *p, const struct bl_cfg_node *key, const char *what)
{
	char buf[80];
	if (bl_cfg_is_identifier(scalar_text(key)))
		return 0;
	return bl_cfg_fail_at(p, key,
			      "%s '%s' is not valid (expected letters, digits and '_', not starting with a digit)",
			      what, bl_cfg_shown(scalar_text(key), buf, sizeof(buf)));
}

/* ---- sections ---------------------------------------------------------------------------------------------- */

/* A command is an argv list or a string; with refs, {param} references are checked against those params. */
static int parse_command(struct bl_cfg_parser *p, const struct bl_cfg_node *n, bool shell, const char *what,
			 const struct bl_cfg_params *refs, struct bl_command *cmd)
{
	char buf[128];
	bl_strvec_init(&cmd->argv);
	cmd->shell = shell;
	cmd->line = (int)n->start_mark.line + 1;
	cmd->column = (int)n->start_mark.column + 1;
	if (n->type == YAML_SEQUENCE_NODE) {
		if (shell)
			return bl_cfg_fail_at(p, n, "%s must be a single string when 'shell' is true, got a list",
					      what);
		if (!n_items(n))
			return bl_cfg_fail_at(
			    p, n, "%s must not be an empty list (expected the program and its arguments)", what);
		for (size_t i = 0; i < n_items(n); i++) {
			const struct bl_cfg_node *item = item_at(p, n, i);
			char *word;
			if (!bl_cfg_is_value(item))
				return bl_cfg_fail_at(p, item, "each word of %s must be a string, got %s", what,
						      bl_cfg_describe(item, false, buf, sizeof(buf)));
			if (bl_cfg_get_string(p, item, what, &word))
				return -1;
			bl_strvec_push_owned(&cmd->argv, word);
			if (check_refs(p, item, what, word, refs))
				return -1;
		}
	} else if (bl_cfg_is_value(n)) {
		char *s;
		if (bl_cfg_get_string(p, n, what, &s))
			return -1;
		if (shell) {
			bl_strvec_push_owned(&cmd->argv, s);
			if (!s[strspn(s, " \t\r\n\v\f")])
				return bl_cfg_fail_at(p, n, "%s must not be empty", what);
		} else {
			struct bl_error why = {{0}};
			int rc = bl_split_words(s, &cmd->argv, &why);
			free(s);
			if (rc)
				return bl_cfg_fail_at(p, n, "cannot split %s into words: %s", what, why.msg);
			if (!cmd->argv.n)
				return bl_cfg_fail_at(p, n, "%s must not be empty", what);
		}
		for (size_t i = 0; i < cmd->argv.n; i++)
			if (check_refs(p, n, what, cmd->argv.v[i], refs))
				return -1;
	} else {
		return bl_cfg_fail_at(p, n, "%s must be a string or a list of strings, got %s", what,
				      bl_cfg_describe(n, false, buf, sizeof(buf)));
	}
	/* a benchmark's program may come from a parameter: check_combinations looks at every value instead */
	if (!refs && !*cmd->argv.v[0])
		return bl_cfg_fail_at(p, n, "the program (first word) of %s is empty", what);
	return 0;
}

static int parse_env(struct bl_cfg_parser *p, const struct bl_cfg_node *n, const struct bl_cfg_params *refs,
		     struct bl_kv **env, size_t *n_env)
{
	char buf[128], name_buf[80];
	if (n->type != YAML_MAPPING_NODE)
		return bl_cfg_fail_at(p, n, "'env' must be a mapping of variable names to values, got %s",
				      bl_cfg_describe(n, false, buf, sizeof(buf)));
	if (bl_cfg_check_keys(p, n, "'env'", NULL))
		return -1;
	*env = bl_xcalloc(n_pairs(n), sizeof(**env));
	for (size_t i = 0; i < n_pairs(n); i++) {
		const struct bl_cfg_node *key = key_at(p, n, i), *value = value_at(p, n, i);
		const char *name = scalar_text(key);
		struct bl_error why;
		if (check_identifier(p, key, "environment variable name"))
			return -1;
		bl_cfg_shown(name, name_buf, sizeof(name_buf));
		if (!strncmp(name, "BENCHLINE_", 10))
			return bl_cfg_fail_at(
			    p, key, "environment variable '%s' is reserved (benchline sets BENCHLINE_*)", name_buf);
		if (!bl_cfg_is_value(value))
			return bl_cfg_fail_at(p, value, "environment variable '%s' must be a string or number, got %s",
					      name_buf, bl_cfg_describe(value, false, buf, sizeof(buf)));
		struct bl_kv *kv = &(*env)[(*n_env)++];
		kv->key = bl_xstrdup(name);
		if (bl_cfg_get_string(p, value, "value", &kv->value))
			return -1;
		if (refs && bl_cfg_substitute(refs, kv->value, NULL, NULL, NULL, &why))
			return bl_cfg_fail_at(p, value, "environment variable '%s' %s", name_buf, why.msg);
	}
	return 0;
}

static int parse_suite(struct bl_cfg_parser *p, const struct bl_cfg_node *n, struct bl_config *cfg)
{
	char buf[128];
	struct bl_buf norm;
	struct bl_cfg_index seen = {0};
	int rc = 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return bl_cfg_fail_at(p, n, "'suite' must be a list of paths relative to the repository root, got %s",
				      bl_cfg_describe(n, false, buf, sizeof(buf)));
	bl_buf_init(&norm);
	for (size_t i = 0; rc == 0 && i < n_items(n); i++) {
		const struct bl_cfg_node *item = item_at(p, n, i);
		char *path = NULL;
		if ((rc = bl_cfg_get_string(p, item, "each 'suite' path", &path)))
			break;
		const char *why = normalize_rel_path(path, &norm);
		if (!why && !norm.len)
			why = "names the whole repository (list the benchmark directories or files instead)";
		if (why)
			rc = bl_cfg_fail_at(p, item, "'suite' path '%s' %s", bl_cfg_shown(path, buf, sizeof(buf)), why);
		free(path);
		if (rc)
			break;
		bl_strvec_push(&cfg->suite, norm.data);
		const char *added = cfg->suite.v[cfg->suite.n - 1];
		if (bl_cfg_index_add(&seen, added, norm.len, i) != BL_CFG_NONE)
			rc = bl_cfg_fail_at(p, item, "'suite' lists '%s' twice", bl_cfg_shown(added, buf, sizeof(buf)));
	}
	bl_cfg_index_release(&seen);
	bl_buf_release(&norm);
	return rc;
}

static int parse_build(struct bl_cfg_parser *p, const struct bl_cfg_node *n, struct bl_build_cfg *build)
{
	char buf[128];
	bool shell = false;
	const struct bl_cfg_node *v;
	if (n->type != YAML_MAPPING_NODE)
		return bl_cfg_fail_at(p, n, "'build' must be a mapping with 'command' or 'commands', got %s",
				      bl_cfg_describe(n, false, buf, sizeof(buf)));
	if (bl_cfg_check_keys(p, n, "'build'", build_keys))
		return -1;
	if ((v = bl_cfg_find_value(p, n, "shell")) && bl_cfg_get_bool(p, v, "'shell'", &shell))
		return -1;
	if ((v = bl_cfg_find_value(p, n, "timeout")) && bl_cfg_get_seconds(p, v, "'timeout'", &build->timeout_s))
		return -1;
	if ((v = bl_cfg_find_value(p, n, "env")) && parse_env(p, v, NULL, &build->env, &build->n_env))
		return -1;
	size_t one = bl_cfg_find_pair(p, n, "command"), many = bl_cfg_find_pair(p, n, "commands");
	if (one != BL_CFG_NONE && many != BL_CFG_NONE)
		return bl_cfg_fail_at(p, key_at(p, n, one < many ? many : one),
				      "'command' and 'commands' are mutually exclusive in 'build' (use 'commands' for "
				      "several steps)");
	if (one == BL_CFG_NONE && many == BL_CFG_NONE)
		return bl_cfg_fail_at(p, n,
				      "missing 'command' or 'commands' in 'build' (expected what builds a commit)");
	if (one != BL_CFG_NONE) {
		build->commands = bl_xcalloc(1, sizeof(*build->commands));
		build->n_commands = 1;
		return parse_command(p, value_at(p, n, one), shell, "'command'", NULL, &build->commands[0]);
	}
	v = value_at(p, n, many);
	if (v->type != YAML_SEQUENCE_NODE || !n_items(v))
		return bl_cfg_fail_at(p, v, "'commands' must be a non-empty list of commands, got %s",
				      bl_cfg_describe(v, false, buf, sizeof(buf)));
	build->commands = bl_xcalloc(n_items(v), sizeof(*build->commands));
	for (size_t i = 0; i < n_items(v); i++)
		if (parse_command(p, item_at(p, v, i), shell, "each of 'commands'", NULL,
				  &build->commands[build->n_commands++]))
			return -1;
	return 0;
}

/* warmup, repetitions and timeout: in 'defaults', and in each benchmark over the defaults. */
static int parse_run_settings(struct bl_cfg_parser *p, const struct bl_cfg_node *map, struct run_settings *run)
{
	const struct bl_cfg_node *v;
	if ((v = bl_cfg_find_value(p, map, "warmup")) && bl_cfg_get_int(p, v, "'warmup'", 0, MAX_RUNS, &run->warmup))
		return -1;
	if ((v = bl_cfg_find_value(p, map, "repetitions")) &&
	    bl_cfg_get_int(p, v, "'repetitions'", 1, MAX_RUNS, &run->repetitions))
		return -1;
	if ((v = bl_cfg_find_value(p, map, "timeout")) && bl_cfg_get_seconds(p, v, "'timeout'", &run->timeout_s))
		return -1;
	return 0;
}

static int parse_defaults(struct bl_cfg_parser *p, const struct bl_cfg_node *n, struct run_settings *d)
{
	char buf[128];
	if (n->type != YAML_MAPPING_NODE)
		return bl_cfg_fail_at(
		    p, n, "'defaults' must be a mapping with 'warmup', 'repetitions' and/or 'timeout', got %s",
		    bl_cfg_describe(n, false, buf, sizeof(buf)));
	if (bl_cfg_check_keys(p, n, "'defaults'", defaults_keys))
		return -1;
	return parse_run_settings(p, n, d);
}

/* 'sampling': how often the device sampler reads CPU, memory and GPU during a run. */
static int parse_sampling(struct bl_cfg_parser *p, const struct bl_cfg_node *n, struct bl_config *cfg)
{
	char buf[128];
	const struct bl_cfg_node *v;
	if (n->type != YAML_MAPPING_NODE)
		return bl_cfg_fail_at(p, n, "'sampling' must be a mapping with 'interval_ms', got %s",
				      bl_cfg_describe(n, false, buf, sizeof(buf)));
	if (bl_cfg_check_keys(p, n, "'sampling'", sampling_keys))
		return -1;
	if ((v = bl_cfg_find_value(p, n, "interval_ms")) &&
	    bl_cfg_get_int(p, v, "'interval_ms'", 0, MAX_SAMPLING_INTERVAL_MS, &cfg->sampling.interval_ms))
		return -1;
	return 0;
}

/* One value of a parameter, which must differ from the values before it (in seen). */
static int parse_param_value(struct bl_cfg_parser *p, const struct bl_cfg_node *item, const char *name,
			     struct bl_param *param, struct bl_cfg_index *seen)
{
	char buf[128];
	char *value;
	if (!bl_cfg_is_value(item))
		return bl_cfg_fail_at(p, item, "values of parameter '%s' must be strings or numbers, got %s", name,
				      bl_cfg_describe(item, false, buf, sizeof(buf)));
	if (bl_cfg_get_string(p, item, "value", &value))
		return -1;
	bl_strvec_push_owned(&param->values, value);
	if (bl_cfg_index_add(seen, value, strlen(value), param->values.n - 1) != BL_CFG_NONE)
		return bl_cfg_fail_at(p, item, "parameter '%s' lists the value '%s' twice", name,
				      bl_cfg_shown(value, buf, sizeof(buf)));
	return 0;
}

static int parse_params(struct bl_cfg_parser *p, const struct bl_cfg_node *n, struct bl_benchmark_cfg *b)
{
	char buf[128], name_buf[80];
	size_t cases = 1;
	int rc = 0;
	if (n->type != YAML_MAPPING_NODE)
		return bl_cfg_fail_at(p, n, "'params' must be a mapping of parameter names to lists of values, got %s",
				      bl_cfg_describe(n, false, buf, sizeof(buf)));
	if (bl_cfg_check_keys(p, n, "'params'", NULL))
		return -1;
	b->params = bl_xcalloc(n_pairs(n), sizeof(*b->params));
	for (size_t i = 0; rc == 0 && i < n_pairs(n); i++) {
		const struct bl_cfg_node *key = key_at(p, n, i), *list = value_at(p, n, i);
		const char *name = bl_cfg_shown(scalar_text(key), name_buf, sizeof(name_buf));
		if (check_identifier(p, key, "parameter name"))
			return -1;
		if (list->type != YAML_SEQUENCE_NODE || !n_items(list))
			return bl_cfg_fail_at(p, list, "parameter '%s' must be a non-empty list of values, got %s",
					      name, bl_cfg_describe(list, false, buf, sizeof(buf)));
		struct bl_param *param = &b->params[b->n_params++];
		struct bl_cfg_index seen = {0};
		param->name = bl_xstrdup(scalar_text(key));
		bl_strvec_init(&param->values);
		for (size_t j = 0; rc == 0 && j < n_items(list); j++)
			rc = parse_param_value(p, item_at(p, list, j), name, param, &seen);
		bl_cfg_index_release(&seen);
		cases *= n_items(list);
		if (rc == 0 && cases > MAX_CASES)
			rc = bl_cfg_fail_at(p, n, "'params' make more than %d combinations (expected a smaller matrix)",
					    MAX_CASES);
	}
	return rc;
}

/* Names become file names and command-line arguments: no '/', no spaces, no leading '.' or '-'. */
static int check_name(struct bl_cfg_parser *p, const struct bl_cfg_node *n, struct bl_config *cfg, size_t index)
{
	char buf[80];
	const char *name = cfg->benchmarks[index].name;
	size_t len = strlen(name), first;
	if (len > MAX_NAME_LEN || !bl_cfg_all_of(name, LETTERS DIGITS "_.:-") || strchr(".:-", *name))
		return bl_cfg_fail_at(
		    p, n,
		    "benchmark name '%s' is not valid (expected 1 to %d characters from "
		    "[A-Za-z0-9_.:-], starting with a letter, digit or '_'; it is used in file names)",
		    bl_cfg_shown(name, buf, sizeof(buf)), MAX_NAME_LEN);
	if ((first = bl_cfg_index_add(&p->bench_names, name, len, index)) != BL_CFG_NONE)
		return bl_cfg_fail_at(p, n, "duplicate benchmark name '%s' (first defined at line %d, column %d)", name,
				      cfg->benchmarks[first].line, cfg->benchmarks[first].column);
	return 0;
}

/* What a parameter value can break: cwd escaping the checkout, or an empty program name. NULL when fine. */
static const char *check_case(const struct bl_benchmark_cfg *b, const struct bl_cfg_params *pp, const size_t *choice,
			      struct bl_buf *s, struct bl_buf *norm, bool *in_cwd)
{
	const char *why = NULL;
	*in_cwd = b->cwd != NULL;
	if (b->cwd) {
		bl_buf_reset(s);
		bl_cfg_substitute(pp, b->cwd, choice, s, NULL, NULL);
		why = normalize_rel_path(s->data, norm);
	}
	if (!why && !b->command.shell) {
		*in_cwd = false;
		bl_buf_reset(s);
		bl_cfg_substitute(pp, b->command.argv.v[0], choice, s, NULL, NULL);
		why = s->len ? NULL : "is empty";
	}
	return why;
}

/*
 * Substitutes every combination into cwd and the program name, so that a value which makes cwd escape the
 * checkout or leaves no program is reported now, at its place in the file, and never halfway through a run.
 */
static int check_combinations(struct bl_cfg_parser *p, const struct bl_benchmark_cfg *b, const struct bl_cfg_params *pp,
			      const struct bl_cfg_node *cwd_node, const struct bl_cfg_node *cmd_node)
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
		why = check_case(b, pp, choice, &s, &norm, &in_cwd);
	while (!why && varies && bl_cfg_next_choice(pp, choice));
	if (why) {
		if (varies && b->n_params) {
			bl_buf_puts(&with, " with ");
			bl_cfg_put_assignments(&with, pp, choice);
		}
		if (in_cwd)
			bl_cfg_fail_at(p, cwd_node, "'cwd' '%s'%s %s", bl_cfg_shown(s.data, buf, sizeof(buf)),
				       with.data, why);
		else
			bl_cfg_fail_at(p, cmd_node, "the program (first word) of 'command'%s is empty", with.data);
	}
	free(choice);
	bl_buf_release(&s);
	bl_buf_release(&norm);
	bl_buf_release(&with);
	return why ? -1 : 0;
}

/* A metrics 'file' with {param}: every combination must stay a relative path inside the benchmark's directory. */
static int check_file_combinations(struct bl_cfg_parser *p, const struct bl_benchmark_cfg *b,
				   const struct bl_cfg_params *pp, const struct bl_cfg_node *file_node)
{
	if (!b->metrics_file || !strchr(b->metrics_file, '{'))
		return 0;
	char buf[128];
	struct bl_buf s, with;
	const char *why = NULL;
	size_t *choice = bl_xcalloc(b->n_params ? b->n_params : 1, sizeof(*choice));
	bl_buf_init(&s);
	bl_buf_init(&with);
	do {
		bl_buf_reset(&s);
		bl_cfg_substitute(pp, b->metrics_file, choice, &s, NULL, NULL);
		why = bl_cfg_file_problem(s.data ? s.data : "");
	} while (!why && bl_cfg_next_choice(pp, choice));
	if (why) {
		bl_cfg_put_assignments(&with, pp, choice);
		bl_cfg_fail_at(p, file_node, "'file' '%s' with %s %s", bl_cfg_shown(s.data ? s.data : "", buf, sizeof(buf)),
			       with.data, why);
	}
	free(choice);
	bl_buf_release(&s);
	bl_buf_release(&with);
	return why ? -1 : 0;
}

/*
 * A sweep expands every case at once. A big matrix times long values that would not fit in memory is refused here,
 * where the error can point at it, rather than aborting in malloc; it also bounds what check_combinations walks.
 */
static int check_expansion(struct bl_cfg_parser *p, const struct bl_cfg_node *n, const struct bl_benchmark_cfg *b,
			   const struct bl_cfg_params *pp)
{
	const size_t limit = (size_t)MAX_EXPANSION_MIB << 20;
	size_t cases = bl_cfg_count_cases(b), each = bl_cfg_case_bytes(pp, b);
	if (each <= (limit - p->expansion) / cases) {
		p->expansion += cases * each;
		return 0;
	}
	return bl_cfg_fail_at(p, n,
			      "the cases of benchmark '%s' would take more than %d MiB%s (%zu case%s of about %zu KiB "
			      "each; expected fewer combinations or shorter values)",
			      b->name, MAX_EXPANSION_MIB, p->expansion ? " with those of the benchmarks before it" : "",
			      cases, cases == 1 ? "" : "s", (each + 1023) / 1024);
}

static int parse_benchmark_fields(struct bl_cfg_parser *p, const struct bl_cfg_node *n, const struct run_settings *d,
				  struct bl_config *cfg, struct bl_benchmark_cfg *b, struct bl_cfg_params *pp)
{
	char buf[128];
	const struct bl_cfg_node *v, *cmd, *cwd;
	bool shell = false;
	struct run_settings run = *d;
	if (!(v = bl_cfg_find_value(p, n, "name")))
		return bl_cfg_fail_at(p, n,
				      "missing required key 'name' in benchmark (expected a mapping with 'name' and "
				      "'command')");
	if (bl_cfg_get_string(p, v, "'name'", &b->name) || check_name(p, v, cfg, (size_t)(b - cfg->benchmarks)))
		return -1;
	if ((v = bl_cfg_find_value(p, n, "params")) && parse_params(p, v, b))
		return -1;
	bl_cfg_params_init(pp, b->params, b->n_params);
	if ((v = bl_cfg_find_value(p, n, "shell")) && bl_cfg_get_bool(p, v, "'shell'", &shell))
		return -1;
	if (!(cmd = bl_cfg_find_value(p, n, "command")))
		return bl_cfg_fail_at(p, n,
				      "missing required key 'command' in benchmark '%s' (expected a string or a list "
				      "of strings)",
				      b->name);
	if (parse_command(p, cmd, shell, "'command'", pp, &b->command))
		return -1;
	if ((cwd = bl_cfg_find_value(p, n, "cwd")) &&
	    (bl_cfg_get_string(p, cwd, "'cwd'", &b->cwd) || check_refs(p, cwd, "'cwd'", b->cwd, pp)))
		return -1;
	if ((v = bl_cfg_find_value(p, n, "env")) && parse_env(p, v, pp, &b->env, &b->n_env))
		return -1;
	if (parse_run_settings(p, n, &run))
		return -1;
	b->warmup = run.warmup;
	b->repetitions = run.repetitions;
	b->timeout_s = run.timeout_s;
	if ((v = bl_cfg_find_value(p, n, "files"))) {
		const char *s = bl_cfg_scalar(v);
		if (s && !strcmp(s, "current"))
			b->files = BL_FILES_CURRENT;
		else if (s && !strcmp(s, "commit"))
			b->files = BL_FILES_COMMIT;
		else
			return bl_cfg_fail_at(p, v, "'files' must be current or commit, got %s",
					      bl_cfg_describe(v, false, buf, sizeof(buf)));
	}
	const struct bl_cfg_node *file = NULL;
	if ((v = bl_cfg_find_value(p, n, "metrics")) && bl_cfg_parse_metrics(p, v, b))
		return -1;
	if (b->metrics_file) {
		file = v->type == YAML_MAPPING_NODE ? bl_cfg_find_value(p, v, "file") : v;
		if (check_refs(p, file, "'file'", b->metrics_file, pp))
			return -1;
	}
	if (!b->metrics_from)
		b->metrics_from = bl_xstrdup("protocol");
	if (check_expansion(p, n, b, pp))
		return -1;
	if (check_file_combinations(p, b, pp, file))
		return -1;
	return check_combinations(p, b, pp, cwd, cmd);
}

static int parse_benchmarks(struct bl_cfg_parser *p, const struct bl_cfg_node *n, const struct run_settings *d,
			    struct bl_config *cfg)
{
	char buf[128];
	if (n->type != YAML_SEQUENCE_NODE || !n_items(n))
		return bl_cfg_fail_at(p, n, "'benchmarks' must be a non-empty list of benchmarks, got %s",
				      bl_cfg_describe(n, false, buf, sizeof(buf)));
	cfg->benchmarks = bl_xcalloc(n_items(n), sizeof(*cfg->benchmarks));
	for (size_t i = 0; i < n_items(n); i++) {
		const struct bl_cfg_node *item = item_at(p, n, i);
		if (item->type != YAML_MAPPING_NODE)
			return bl_cfg_fail_at(p, item,
					      "each benchmark must be a mapping with 'name' and 'command', got %s",
					      bl_cfg_describe(item, false, buf, sizeof(buf)));
		if (bl_cfg_check_keys(p, item, "benchmark", bench_keys))
			return -1;
		struct bl_benchmark_cfg *b = &cfg->benchmarks[cfg->n_benchmarks++];
		struct bl_cfg_params pp = {0};
		b->line = (int)item->start_mark.line + 1;
		b->column = (int)item->start_mark.column + 1;
		int rc = parse_benchmark_fields(p, item, d, cfg, b, &pp);
		bl_cfg_params_release(&pp);
		if (rc)
			return -1;
	}
	return 0;
}

/* A newer file format gets its own message: the fix is a newer benchline, not an edit. */
static int parse_version(struct bl_cfg_parser *p, const struct bl_cfg_node *n, int *version)
{
	char buf[128];
	const char *s = bl_cfg_plain_text(n);
	if (!strcmp(s, "1")) {
		*version = 1;
		return 0;
	}
	if (bl_cfg_all_of(s, DIGITS))
		return bl_cfg_fail_at(p, n,
				      "unsupported 'version' %s (expected 1, the only version this benchline reads)",
				      bl_cfg_shown(s, buf, sizeof(buf)));
	return bl_cfg_fail_at(p, n, "'version' must be 1, got %s", bl_cfg_describe(n, true, buf, sizeof(buf)));
}

static int parse_root(struct bl_cfg_parser *p, struct bl_config *cfg)
{
	char buf[128];
	const struct bl_cfg_node *root = &p->doc.nodes[0], *v;
	struct run_settings d = {DEFAULT_WARMUP, DEFAULT_REPETITIONS, DEFAULT_TIMEOUT_S};
	if (root->type != YAML_MAPPING_NODE)
		return bl_cfg_fail_at(p, root,
				      "the top level must be a mapping with 'version: 1' and 'benchmarks', got %s",
				      bl_cfg_describe(root, false, buf, sizeof(buf)));
	if (bl_cfg_check_keys(p, root, "the top level", root_keys))
		return -1;
	if (!(v = bl_cfg_find_value(p, root, "version")))
		return bl_cfg_fail_at(p, root,
				      "missing required key 'version' (expected 'version: 1' at the top level)");
	if (parse_version(p, v, &cfg->version))
		return -1;
	cfg->build.timeout_s = DEFAULT_BUILD_TIMEOUT_S;
	bl_strvec_init(&cfg->suite);
	if ((v = bl_cfg_find_value(p, root, "suite")) && parse_suite(p, v, cfg))
		return -1;
	if ((v = bl_cfg_find_value(p, root, "build")) && parse_build(p, v, &cfg->build))
		return -1;
	if ((v = bl_cfg_find_value(p, root, "defaults")) && parse_defaults(p, v, &d))
		return -1;
	cfg->sampling.interval_ms = DEFAULT_SAMPLING_INTERVAL_MS;
	if ((v = bl_cfg_find_value(p, root, "sampling")) && parse_sampling(p, v, cfg))
		return -1;
	bl_analysis_defaults(&cfg->analysis);
	if ((v = bl_cfg_find_value(p, root, "analysis")) && bl_cfg_parse_analysis(p, v, &cfg->analysis))
		return -1;
	if ((v = bl_cfg_find_value(p, root, "report")) && bl_cfg_parse_report(p, v, &cfg->report))
		return -1;
	if ((v = bl_cfg_find_value(p, root, "db")) && bl_cfg_get_string(p, v, "'db'", &cfg->db))
		return -1;
	if (cfg->db && !*cfg->db)
		return bl_cfg_fail_at(p, v, "'db' must name a database (a file path or a postgresql:// URL), got ''");
	if (!(v = bl_cfg_find_value(p, root, "benchmarks")))
		return bl_cfg_fail_at(p, root, "missing required key 'benchmarks' (expected a list of benchmarks)");
	return parse_benchmarks(p, v, &d, cfg);
}

/* ---- the public API ---------------------------------------------------------------------------------------- */

int bl_config_parse(const char *path, const char *text, size_t len, struct bl_config *cfg, struct bl_error *err)
{
	struct bl_cfg_parser p = {.path = path, .text = text, .len = len, .err = err};
	struct bl_sha256 h;
	memset(cfg, 0, sizeof(*cfg));
	if (bl_cfg_load_document(&p))
		return -1;
	int rc = parse_root(&p, cfg);
	bl_cfg_release_document(&p);
	bl_cfg_index_release(&p.bench_names);
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

const char *bl_config_unknown_benchmark(const struct bl_config *cfg, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool found = false;
		for (size_t b = 0; b < cfg->n_benchmarks && !found; b++)
			found = !strcmp(cfg->benchmarks[b].name, names[i]);
		if (!found)
			return names[i];
	}
	return NULL;
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

void bl_cfg_free_kvs(struct bl_kv *kv, size_t n)
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
	bl_cfg_free_kvs(b->env, b->n_env);
	for (size_t i = 0; i < b->n_params; i++) {
		free(b->params[i].name);
		bl_strvec_release(&b->params[i].values);
	}
	free(b->params);
	free(b->metrics_from);
	free(b->metrics_file);
	free(b->metrics_pattern);
	bl_cfg_free_kvs(b->metrics_units, b->n_metrics_units);
	for (size_t i = 0; i < b->n_metrics; i++)
		free(b->metrics[i].name);
	free(b->metrics);
}

void bl_config_release(struct bl_config *cfg)
{
	free(cfg->path);
	free(cfg->db);
	bl_strvec_release(&cfg->suite);
	for (size_t i = 0; i < cfg->build.n_commands; i++)
		bl_strvec_release(&cfg->build.commands[i].argv);
	free(cfg->build.commands);
	bl_cfg_free_kvs(cfg->build.env, cfg->build.n_env);
	for (size_t i = 0; i < cfg->n_benchmarks; i++)
		release_benchmark(&cfg->benchmarks[i]);
	free(cfg->benchmarks);
	for (size_t i = 0; i < cfg->analysis.n_floors; i++)
		free(cfg->analysis.floors[i].metric);
	free(cfg->analysis.floors);
	bl_report_cfg_release(&cfg->report);
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
