/*
 * config_metrics.c - a benchmark's 'metrics': where its metrics come from and which direction is better.
 *
 *   metrics: gbench                       # a source name alone
 *   metrics:
 *     from: regex                         # protocol (default) or a format of adapter.h
 *     file: out/result.txt                # formats only: where the output is (else BENCHLINE_RESULTS_FILE or stdout)
 *     pattern: 'took (?<seconds>[0-9.]+)' # regex only, required there
 *     units: {seconds: s}                 # regex only
 *     better: {seconds: lower}
 *
 * A key that does not fit the source (a pattern for gbench, a file for protocol) is an error rather than ignored:
 * it is a sign the user meant another source.
 */
#include "benchline/adapter.h"
#include "config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const metrics_keys[] = {"from", "file", "pattern", "units", "better", NULL};

static int parse_better(struct bl_cfg_parser *p, const struct bl_cfg_node *better, struct bl_benchmark_cfg *b)
{
	char buf[128], name_buf[80];
	if (better->type != YAML_MAPPING_NODE)
		return bl_cfg_fail_at(p, better,
				      "'better' must be a mapping of metric names to lower or higher, got %s",
				      bl_cfg_describe(better, false, buf, sizeof(buf)));
	if (bl_cfg_check_keys(p, better, "'better'", NULL))
		return -1;
	b->metrics = bl_xcalloc(n_pairs(better), sizeof(*b->metrics));
	for (size_t i = 0; i < n_pairs(better); i++) {
		const struct bl_cfg_node *value = value_at(p, better, i);
		struct bl_metric_decl *m = &b->metrics[b->n_metrics++];
		m->name = bl_xstrdup(scalar_text(key_at(p, better, i)));
		const char *s = bl_cfg_scalar(value);
		if (!s || bl_better_parse(s, &m->better))
			return bl_cfg_fail_at(p, value, "'better' for metric '%s' must be lower or higher, got %s",
					      bl_cfg_shown(m->name, name_buf, sizeof(name_buf)),
					      bl_cfg_describe(value, false, buf, sizeof(buf)));
	}
	return 0;
}

static int parse_units(struct bl_cfg_parser *p, const struct bl_cfg_node *units, struct bl_benchmark_cfg *b)
{
	char buf[128];
	if (units->type != YAML_MAPPING_NODE)
		return bl_cfg_fail_at(p, units, "'units' must be a mapping of group names to units such as ms, got %s",
				      bl_cfg_describe(units, false, buf, sizeof(buf)));
	if (bl_cfg_check_keys(p, units, "'units'", NULL))
		return -1;
	b->metrics_units = bl_xcalloc(n_pairs(units), sizeof(*b->metrics_units));
	for (size_t i = 0; i < n_pairs(units); i++) {
		struct bl_kv *kv = &b->metrics_units[b->n_metrics_units++];
		kv->key = bl_xstrdup(scalar_text(key_at(p, units, i)));
		if (bl_cfg_get_string(p, value_at(p, units, i), "a unit", &kv->value))
			return -1;
		if (!*kv->value)
			return bl_cfg_fail_at(p, value_at(p, units, i), "the unit of '%s' is empty",
					      bl_cfg_shown(kv->key, buf, sizeof(buf)));
	}
	return 0;
}

/* A relative path that stays below the run's directory. */
const char *bl_cfg_file_problem(const char *s)
{
	if (!*s)
		return "is empty";
	if (*s == '/')
		return "must be relative to the benchmark's directory, not absolute";
	for (const char *c = s; *c; c += strcspn(c, "/"), c += *c == '/')
		if (!strncmp(c, "..", 2) && (c[2] == '/' || !c[2]))
			return "must not leave the benchmark's directory through '..'";
	return NULL;
}

static int check_file(struct bl_cfg_parser *p, const struct bl_cfg_node *n, const char *s)
{
	char buf[80];
	const char *why = bl_cfg_file_problem(s);
	if (why)
		return bl_cfg_fail_at(p, n, "'file' '%s' %s", bl_cfg_shown(s, buf, sizeof(buf)), why);
	return 0;
}

int bl_cfg_parse_metrics(struct bl_cfg_parser *p, const struct bl_cfg_node *n, struct bl_benchmark_cfg *b)
{
	char buf[128];
	const struct bl_cfg_node *from = n, *file = NULL, *pattern = NULL, *units = NULL, *better = NULL;
	if (n->type == YAML_MAPPING_NODE) {
		if (bl_cfg_check_keys(p, n, "'metrics'", metrics_keys))
			return -1;
		from = bl_cfg_find_value(p, n, "from");
		file = bl_cfg_find_value(p, n, "file");
		pattern = bl_cfg_find_value(p, n, "pattern");
		units = bl_cfg_find_value(p, n, "units");
		better = bl_cfg_find_value(p, n, "better");
	} else if (!bl_cfg_is_value(n)) {
		return bl_cfg_fail_at(p, n,
				      "'metrics' must be a source such as 'protocol' or 'gbench', or a mapping with "
				      "'from' and 'better', got %s",
				      bl_cfg_describe(n, false, buf, sizeof(buf)));
	}
	if (from && bl_cfg_get_string(p, from, "'from'", &b->metrics_from))
		return -1;
	if (!from)
		b->metrics_from = bl_xstrdup("protocol");
	bool protocol = !strcmp(b->metrics_from, "protocol"), regex = !strcmp(b->metrics_from, "regex");
	if (!protocol && !bl_adapter_find(b->metrics_from))
		return bl_cfg_fail_at(p, from, "unsupported metrics source '%s' (supported: protocol, %s)",
				      bl_cfg_shown(b->metrics_from, buf, sizeof(buf)), bl_adapter_names());
	if (file) {
		if (protocol)
			return bl_cfg_fail_at(p, file,
					      "'file' needs a harness format in 'from' (the protocol file "
					      "is always $BENCHLINE_METRICS)");
		if (bl_cfg_get_string(p, file, "'file'", &b->metrics_file) || check_file(p, file, b->metrics_file))
			return -1;
	}
	if (regex && !pattern)
		return bl_cfg_fail_at(p, n,
				      "'from: regex' needs a 'pattern' with named groups, such as "
				      "'took (?<seconds>[0-9.]+)'");
	if (!regex && (pattern || units))
		return bl_cfg_fail_at(p, pattern ? pattern : units, "'%s' is only for 'from: regex'",
				      pattern ? "pattern" : "units");
	if (pattern) {
		struct bl_error why = {{0}};
		if (bl_cfg_get_string(p, pattern, "'pattern'", &b->metrics_pattern))
			return -1;
		if (bl_adapter_regex_check(b->metrics_pattern, &why))
			return bl_cfg_fail_at(p, pattern, "%s", why.msg);
	}
	if (units && parse_units(p, units, b))
		return -1;
	return better ? parse_better(p, better, b) : 0;
}
