/*
 * config_cases.c - {param} substitution, and the expansion of each benchmark into one case per combination of its
 * parameter values.
 *
 * config.c substitutes at load time too, to check every reference and every combination where the error can still
 * point into the file; bl_config_cases then only fails on a config built or changed by hand.
 */
#include "config_internal.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* What each string a case owns costs beyond its bytes, about: the NUL, the allocator's header and a pointer. */
#define STRING_OVERHEAD 32

/* ---- {param} substitution ---------------------------------------------------------------------------------- */

void bl_cfg_params_init(struct bl_cfg_params *pp, const struct bl_param *params, size_t n)
{
	memset(pp, 0, sizeof(*pp));
	pp->v = params;
	pp->n = n;
	pp->widest = n ? bl_xcalloc(n, sizeof(*pp->widest)) : NULL;
	for (size_t i = 0; i < n; i++) {
		/* a name declared twice, possible only in a config built by hand, means its first declaration */
		bl_cfg_index_add(&pp->by_name, params[i].name, strlen(params[i].name), i);
		for (size_t j = 0; j < params[i].values.n; j++) {
			size_t len = strlen(params[i].values.v[j]);
			if (len > pp->widest[i])
				pp->widest[i] = len;
		}
	}
}

void bl_cfg_params_release(struct bl_cfg_params *pp)
{
	bl_cfg_index_release(&pp->by_name);
	free(pp->widest);
	memset(pp, 0, sizeof(*pp));
}

static int not_a_reference(const char *s, const char *ref, size_t len, struct bl_error *why)
{
	char buf[80], copy[40], shown_ref[36];
	/* one byte more than is shown, so that a longer reference is shown cut, with "..." */
	size_t n = len < sizeof(shown_ref) - 3 ? len : sizeof(shown_ref) - 3;
	memcpy(copy, ref, n);
	copy[n] = '\0';
	return bl_fail(why,
		       "has '{%s}', which is not a parameter reference, in '%s' (write '{{' and '}}' for literal "
		       "braces)",
		       bl_cfg_shown(copy, shown_ref, sizeof(shown_ref)), bl_cfg_shown(s, buf, sizeof(buf)));
}

static int undeclared(const struct bl_cfg_params *pp, const char *ref, size_t len, struct bl_error *why)
{
	struct bl_buf declared;
	bl_buf_init(&declared);
	for (size_t k = 0; k < pp->n; k++)
		bl_buf_printf(&declared, "%s%s", k ? ", " : "", pp->v[k].name);
	bl_fail(why, "refers to undeclared parameter '{%.*s}' (%s%s)", len > 64 ? 64 : (int)len, ref,
		pp->n ? "declared params: " : "this benchmark declares no params", declared.data);
	bl_buf_release(&declared);
	return -1;
}

int bl_cfg_substitute(const struct bl_cfg_params *pp, const char *s, const size_t *choice, struct bl_buf *out,
		      size_t *len, struct bl_error *why)
{
	char buf[80];
	size_t n = 0;
	for (const char *c = s; *c;) {
		size_t run = strcspn(c, "{}");
		if (run) {
			if (out)
				bl_buf_append(out, c, run);
			n += run;
			c += run;
			continue;
		}
		if (c[1] == c[0]) {
			if (out)
				bl_buf_putc(out, c[0]);
			n++;
			c += 2;
			continue;
		}
		if (*c == '}')
			return bl_fail(why, "has a lone '}' in '%s' (write '}}' for a literal brace)",
				       bl_cfg_shown(s, buf, sizeof(buf)));
		const char *end = strchr(c + 1, '}');
		if (!end)
			return bl_fail(why, "has an unclosed '{' in '%s' (write '{{' for a literal brace)",
				       bl_cfg_shown(s, buf, sizeof(buf)));
		size_t ref_len = (size_t)(end - c - 1);
		size_t i = bl_cfg_index_find(&pp->by_name, c + 1, ref_len);
		/* JSON or a shell group in a command is the usual way to get here: say how to write it */
		if (i == BL_CFG_NONE &&
		    (!ref_len || strspn(c + 1, LETTERS DIGITS "_") != ref_len || strchr(DIGITS, c[1])))
			return not_a_reference(s, c + 1, ref_len, why);
		if (i == BL_CFG_NONE)
			return undeclared(pp, c + 1, ref_len, why);
		if (out) {
			const char *value = pp->v[i].values.v[choice[i]];
			bl_buf_puts(out, value);
			n += strlen(value);
		} else {
			n += pp->widest[i];
		}
		c = end + 1;
	}
	if (len)
		*len = n;
	return 0;
}

bool bl_cfg_next_choice(const struct bl_cfg_params *pp, size_t *choice)
{
	for (size_t i = pp->n; i-- > 0;) {
		if (++choice[i] < pp->v[i].values.n)
			return true;
		choice[i] = 0;
	}
	return false;
}

void bl_cfg_put_assignments(struct bl_buf *b, const struct bl_cfg_params *pp, const size_t *choice)
{
	for (size_t i = 0; i < pp->n; i++)
		bl_buf_printf(b, "%s%s=%s", i ? "," : "", pp->v[i].name, pp->v[i].values.v[choice[i]]);
}

/* ---- cases ------------------------------------------------------------------------------------------------- */

size_t bl_cfg_count_cases(const struct bl_benchmark_cfg *b)
{
	size_t n = 1;
	for (size_t i = 0; i < b->n_params; i++)
		n *= b->params[i].values.n;
	return n;
}

/* The longest s becomes in any case; its references were checked when the file was read. */
static size_t widest_expansion(const struct bl_cfg_params *pp, const char *s)
{
	size_t len = 0;
	bl_cfg_substitute(pp, s, NULL, NULL, &len, NULL);
	return len + STRING_OVERHEAD;
}

/* Mirrors make_case: within a small factor of what it allocates (JSON escapes can take more), never far below. */
size_t bl_cfg_case_bytes(const struct bl_cfg_params *pp, const struct bl_benchmark_cfg *b)
{
	/* the label and the JSON, with their brackets */
	size_t bytes = sizeof(struct bl_case) + 2 * (strlen(b->name) + STRING_OVERHEAD + 2);
	/* each name=value in params, in the label and in the JSON */
	for (size_t i = 0; i < pp->n; i++)
		bytes += 3 * (strlen(pp->v[i].name) + pp->widest[i] + 6) + 2 * STRING_OVERHEAD;
	for (size_t i = 0; i < b->command.argv.n; i++)
		bytes += widest_expansion(pp, b->command.argv.v[i]);
	if (b->cwd)
		bytes += widest_expansion(pp, b->cwd);
	for (size_t i = 0; i < b->n_env; i++)
		bytes += strlen(b->env[i].key) + STRING_OVERHEAD + widest_expansion(pp, b->env[i].value);
	return bytes;
}

/* Keys sorted, values always strings: the same combination always gives the same bytes, whatever the YAML. */
static char *params_json(const struct bl_cfg_params *pp, const size_t *choice)
{
	if (!pp->n)
		return bl_xstrdup("{}"); /* most benchmarks: not worth a JSON object each */
	json_t *obj = json_object();
	char *out = NULL;
	for (size_t i = 0; obj && i < pp->n; i++)
		if (json_object_set_new(obj, pp->v[i].name, json_string(pp->v[i].values.v[choice[i]])))
			goto done;
	if (obj)
		out = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
done:
	json_decref(obj);
	return out;
}

static int subst_owned(const struct bl_cfg_params *pp, const struct bl_benchmark_cfg *b, const size_t *choice,
		       const char *s, char **out, struct bl_error *err)
{
	char shown[80];
	struct bl_buf buf;
	bl_buf_init(&buf);
	if (bl_cfg_substitute(pp, s, choice, &buf, NULL, err)) {
		bl_buf_release(&buf);
		return bl_error_prefix(err, "benchmark '%s' at line %d: '%s'", b->name, b->line,
				       bl_cfg_shown(s, shown, sizeof(shown)));
	}
	*out = bl_buf_detach(&buf);
	return 0;
}

static int make_case(const struct bl_cfg_params *pp, const struct bl_benchmark_cfg *b, const size_t *choice,
		     struct bl_case *c, struct bl_error *err)
{
	struct bl_buf label;
	c->bench = b;
	c->params = bl_xcalloc(b->n_params, sizeof(*c->params));
	for (size_t i = 0; i < b->n_params; i++, c->n_params++) {
		c->params[i].key = bl_xstrdup(b->params[i].name);
		c->params[i].value = bl_xstrdup(b->params[i].values.v[choice[i]]);
	}
	if (!(c->params_json = params_json(pp, choice)))
		return bl_fail(err, "benchmark '%s': cannot encode its parameters as JSON", b->name);
	bl_buf_init(&label);
	bl_buf_puts(&label, b->name);
	if (b->n_params) {
		bl_buf_putc(&label, '[');
		bl_cfg_put_assignments(&label, pp, choice);
		bl_buf_putc(&label, ']');
	}
	c->label = bl_buf_detach(&label);
	c->command.shell = b->command.shell;
	c->command.line = b->command.line;
	c->command.column = b->command.column;
	bl_strvec_init(&c->command.argv);
	for (size_t i = 0; i < b->command.argv.n; i++) {
		char *word = NULL;
		if (subst_owned(pp, b, choice, b->command.argv.v[i], &word, err))
			return -1;
		bl_strvec_push_owned(&c->command.argv, word);
	}
	if (b->cwd && subst_owned(pp, b, choice, b->cwd, &c->cwd, err))
		return -1;
	if (b->metrics_file && subst_owned(pp, b, choice, b->metrics_file, &c->metrics_file, err))
		return -1;
	c->env = bl_xcalloc(b->n_env, sizeof(*c->env));
	for (size_t i = 0; i < b->n_env; i++) {
		struct bl_kv *kv = &c->env[c->n_env++];
		kv->key = bl_xstrdup(b->env[i].key);
		if (subst_owned(pp, b, choice, b->env[i].value, &kv->value, err))
			return -1;
	}
	return 0;
}

int bl_config_cases(const struct bl_config *cfg, struct bl_case **cases, size_t *n, struct bl_error *err)
{
	size_t total = 0, filled = 0;
	for (size_t i = 0; i < cfg->n_benchmarks; i++)
		total += bl_cfg_count_cases(&cfg->benchmarks[i]);
	struct bl_case *out = bl_xcalloc(total, sizeof(*out));
	for (size_t i = 0; i < cfg->n_benchmarks; i++) {
		const struct bl_benchmark_cfg *b = &cfg->benchmarks[i];
		if (!bl_cfg_count_cases(b))
			continue; /* a parameter without values, possible only in a config built by hand */
		struct bl_cfg_params pp;
		bl_cfg_params_init(&pp, b->params, b->n_params);
		size_t *choice = bl_xcalloc(b->n_params, sizeof(*choice));
		int rc = 0;
		do
			rc = make_case(&pp, b, choice, &out[filled++], err);
		while (rc == 0 && bl_cfg_next_choice(&pp, choice));
		free(choice);
		bl_cfg_params_release(&pp);
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
		bl_cfg_free_kvs(cases[i].params, cases[i].n_params);
		free(cases[i].params_json);
		free(cases[i].label);
		bl_strvec_release(&cases[i].command.argv);
		free(cases[i].cwd);
		free(cases[i].metrics_file);
		bl_cfg_free_kvs(cases[i].env, cases[i].n_env);
	}
	free(cases);
}
