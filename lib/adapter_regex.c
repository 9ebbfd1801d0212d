/* adapter_regex.c - numbers a program prints itself, picked out of its
 * standard output by a pattern with named groups.
 *
 * The pattern is a POSIX extended regular expression (regcomp, REG_EXTENDED |
 * REG_NEWLINE: '.' and [^...] never cross a line, ^ and $ match at each line)
 * in which a group may be named, (?<NAME>...) or (?P<NAME>...). It is applied
 * to the whole output, match after match. Each named group that matched gives
 * one value of metric NAME, with the unit config 'units:' gives it. Three
 * names are special: with a group named "value", each match gives one metric
 * whose name is the text of group "name" (or "value" without one) and whose
 * unit is the text of group "unit" (or from 'units:'). Units are normalised
 * (ms -> s, MiB -> B, ...). A matched text that is not a number is an error
 * giving its line and column; so is a pattern that matches nothing. */
#include "adapter_internal.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct named {
	char name[64];
	size_t group;
};

struct compiled {
	regex_t re;
	struct named *names;
	size_t n_names, n_groups;
	size_t g_name, g_value, g_unit; /* 0 when absent */
};

static bool name_char(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || (!first && c >= '0' && c <= '9');
}

/* Rewrites pattern into a plain ERE in out, noting each named group. */
static int translate(const char *pattern, struct bl_buf *out, struct compiled *c, struct bl_error *err)
{
	size_t cap = 0;
	bool bracket = false;
	for (size_t i = 0; pattern[i];) {
		char ch = pattern[i];
		if (bracket) {
			if (ch == '[' && (pattern[i + 1] == ':' || pattern[i + 1] == '.' || pattern[i + 1] == '=')) {
				const char *close = strstr(pattern + i + 2, (char[]){pattern[i + 1], ']', 0});
				size_t n = close ? (size_t)(close - (pattern + i)) + 2 : 1;
				bl_buf_append(out, pattern + i, n);
				i += n;
				continue;
			}
			if (ch == ']')
				bracket = false;
			bl_buf_putc(out, ch);
			i++;
			continue;
		}
		if (ch == '\\') {
			if (!pattern[i + 1])
				return bl_fail(err, "pattern column %zu: a trailing backslash escapes nothing", i + 1);
			bl_buf_append(out, pattern + i, 2);
			i += 2;
			continue;
		}
		if (ch == '[') {
			bracket = true;
			bl_buf_putc(out, ch);
			i++;
			if (pattern[i] == '^')
				bl_buf_putc(out, pattern[i++]);
			if (pattern[i] == ']')
				bl_buf_putc(out, pattern[i++]);
			continue;
		}
		if (ch != '(') {
			bl_buf_putc(out, ch);
			i++;
			continue;
		}
		c->n_groups++;
		bl_buf_putc(out, '(');
		i++;
		if (pattern[i] != '?')
			continue;
		size_t at = i;
		i++;
		if (pattern[i] == 'P')
			i++;
		if (pattern[i] != '<')
			return bl_fail(err,
				       "pattern column %zu: '(?' must start a named group (?<name>...); "
				       "POSIX extended expressions have no other (?...) groups",
				       at);
		i++;
		size_t start = i;
		while (name_char(pattern[i], i == start))
			i++;
		if (pattern[i] != '>' || i == start || i - start >= sizeof(c->names->name))
			return bl_fail(err,
				       "pattern column %zu: a group name must be a letter or '_' then letters, "
				       "digits or '_' (at most 63), closed by '>'",
				       start + 1);
		BL_GROW(c->names, cap, c->n_names + 1);
		struct named *n = &c->names[c->n_names];
		snprintf(n->name, sizeof(n->name), "%.*s", (int)(i - start), pattern + start);
		n->group = c->n_groups;
		for (size_t k = 0; k < c->n_names; k++)
			if (!strcmp(c->names[k].name, n->name))
				return bl_fail(err, "pattern column %zu: group name '%s' is used twice", start + 1,
					       n->name);
		c->n_names++;
		if (!strcmp(n->name, "name"))
			c->g_name = n->group;
		else if (!strcmp(n->name, "value"))
			c->g_value = n->group;
		else if (!strcmp(n->name, "unit"))
			c->g_unit = n->group;
		i++;
	}
	if (bracket)
		return bl_fail(err, "pattern: '[' is never closed by ']'");
	return 0;
}

static void compiled_free(struct compiled *c, bool re)
{
	if (re)
		regfree(&c->re);
	free(c->names);
}

static int compile(const char *pattern, struct compiled *c, struct bl_error *err)
{
	struct bl_buf ere;
	memset(c, 0, sizeof(*c));
	bl_buf_init(&ere);
	int rc = translate(pattern, &ere, c, err);
	if (rc == 0 && !c->n_names)
		rc = bl_fail(err, "pattern has no named group: write (?<metric>[0-9.]+) for each number to record");
	if (rc == 0 && (c->g_name || c->g_unit) && !c->g_value)
		rc = bl_fail(err, "pattern has a group 'name' or 'unit' but none named 'value' to go with it");
	if (rc == 0) {
		int e = regcomp(&c->re, ere.data, REG_EXTENDED | REG_NEWLINE);
		if (e) {
			char msg[256];
			regerror(e, &c->re, msg, sizeof(msg));
			rc = bl_fail(err, "pattern is not a valid POSIX extended regular expression: %s", msg);
		} else {
			bl_buf_release(&ere);
			return 0;
		}
	}
	bl_buf_release(&ere);
	compiled_free(c, false);
	return rc;
}

int bl_adapter_regex_check(const char *pattern, struct bl_error *err)
{
	struct compiled c;
	if (compile(pattern, &c, err))
		return -1;
	compiled_free(&c, true);
	return 0;
}

static const char *unit_for(const struct bl_adapter_opts *o, const char *metric)
{
	for (size_t i = 0; o && i < o->n_units; i++)
		if (!strcmp(o->units[i].metric, metric))
			return o->units[i].unit;
	return NULL;
}

/* A place in the text, moved forward match by match, so that naming the line
 * of a value costs the bytes since the last match, not since the start. */
struct cursor {
	size_t off, line, bol; /* offset, its line (1-based), where that line begins */
};

static void advance(const char *text, struct cursor *c, size_t off)
{
	for (; c->off < off; c->off++)
		if (text[c->off] == '\n')
			c->line++, c->bol = c->off + 1;
}

static int add_group(const char *path, const char *text, struct cursor at, const regmatch_t *m, const char *metric,
		     const char *unit, struct bl_metric_list *out, struct bl_error *err)
{
	char num[64], where[48];
	size_t len = (size_t)(m->rm_eo - m->rm_so);
	double v;
	advance(text, &at, (size_t)m->rm_so); /* a copy: groups of one match come in any order */
	size_t line = at.line, col = at.off - at.bol + 1;
	snprintf(num, sizeof(num), "%.*s", (int)(len < 63 ? len : 63), text + m->rm_so);
	if (len > 63 || bl_parse_double(num, &v))
		return bl_fail(err, "%s:%zu:%zu: metric '%s': matched '%s%s', which is not a number", path, line, col,
			       metric, num, len > 63 ? "..." : "");
	snprintf(where, sizeof(where), "line %zu", line);
	return bl_adp_add(out, path, where, metric, NULL, v, unit, BL_BETTER_UNKNOWN, err);
}

static int add_match(const char *path, const char *text, struct cursor at, const struct compiled *c,
		     const regmatch_t *m, const struct bl_adapter_opts *o, struct bl_metric_list *out,
		     struct bl_error *err)
{
	for (size_t k = 0; k < c->n_names; k++) {
		size_t g = c->names[k].group;
		if (m[g].rm_so < 0 || g == c->g_name || g == c->g_unit || g == c->g_value)
			continue;
		if (add_group(path, text, at, &m[g], c->names[k].name, unit_for(o, c->names[k].name), out, err))
			return -1;
	}
	if (!c->g_value || m[c->g_value].rm_so < 0)
		return 0;
	char *metric = c->g_name && m[c->g_name].rm_so >= 0
			   ? bl_xstrndup(text + m[c->g_name].rm_so, (size_t)(m[c->g_name].rm_eo - m[c->g_name].rm_so))
			   : bl_xstrdup("value");
	char *unit = c->g_unit && m[c->g_unit].rm_so >= 0 && m[c->g_unit].rm_eo > m[c->g_unit].rm_so
			 ? bl_xstrndup(text + m[c->g_unit].rm_so, (size_t)(m[c->g_unit].rm_eo - m[c->g_unit].rm_so))
			 : NULL;
	int rc = add_group(path, text, at, &m[c->g_value], metric, unit ? unit : unit_for(o, metric), out, err);
	free(metric);
	free(unit);
	return rc;
}

static int parse(const char *path, const char *data, size_t len, const struct bl_adapter_opts *o,
		 struct bl_metric_list *out, struct bl_error *err)
{
	struct compiled c;
	if (!o || !o->pattern)
		return bl_fail(err, "%s: the regex format needs a pattern", path);
	if (compile(o->pattern, &c, err))
		return bl_error_prefix(err, "%s", path);
	/* regexec reads C strings: the output up to its first NUL byte. */
	char *text = bl_xstrndup(data, len);
	regmatch_t *m = bl_xcalloc(c.n_groups + 1, sizeof(*m));
	size_t before = out->n, off = 0, tlen = strlen(text);
	struct cursor at = {0, 1, 0};
	int rc = 0;
	while (rc == 0 && off <= tlen) {
		/* REG_STARTEND: search [off, tlen) of the whole text, offsets
		 * relative to its start, '^' seeing the byte before off, and no
		 * strlen of the rest on every call (quadratic on long output). */
		m[0].rm_so = (regoff_t)off;
		m[0].rm_eo = (regoff_t)tlen;
		if (regexec(&c.re, text, c.n_groups + 1, m, REG_STARTEND))
			break;
		advance(text, &at, (size_t)m[0].rm_so);
		rc = add_match(path, text, at, &c, m, o, out, err);
		off = (size_t)m[0].rm_eo + (m[0].rm_eo == m[0].rm_so);
	}
	if (rc == 0 && out->n == before)
		rc = bl_fail(err, "%s: the pattern matched no number in %zu bytes of output", path, tlen);
	free(m);
	free(text);
	compiled_free(&c, true);
	return rc;
}

const struct bl_adapter bl_adapter_regex = {
    .name = "regex",
    .summary = "named groups of a pattern applied to the standard output",
    .parse = parse,
};
