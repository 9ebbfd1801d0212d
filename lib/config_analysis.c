/* config_analysis.c - the 'analysis' section of benchline.yaml: how compare,
 * detect and bisect judge a change (significance level, noise floors). */
#include "config_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DIGITS "0123456789"

static const char *const analysis_keys[] = {"alpha", "noise_floor", "noise_floors", NULL};

void bl_analysis_defaults(struct bl_analysis_cfg *a)
{
	memset(a, 0, sizeof(*a));
	a->alpha = 0.01;
	a->noise_floor = 0.01;
}

double bl_analysis_floor(const struct bl_analysis_cfg *a, const char *metric)
{
	for (size_t i = 0; metric && i < a->n_floors; i++)
		if (!strcmp(a->floors[i].metric, metric))
			return a->floors[i].floor;
	return a->noise_floor;
}

int bl_parse_percent(const char *s, double *out)
{
	char buf[64];
	size_t len = strlen(s);
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len + 1);
	if (buf[len - 1] == '%') {
		buf[--len] = '\0';
		while (len && buf[len - 1] == ' ')
			buf[--len] = '\0';
	}
	/* digits and a point only: no sign, exponent, inf or nan */
	if (!len || strspn(buf, DIGITS ".") != len)
		return -1;
	char *end;
	double v = strtod(buf, &end);
	if (*end || !isfinite(v) || v < 0 || v >= 1000)
		return -1;
	*out = v / 100;
	return 0;
}

static int get_percent(struct bl_cfg_parser *p, const struct bl_cfg_node *n, const char *what, double *out)
{
	char buf[128];
	const char *s = bl_cfg_scalar(n);
	if (!s || bl_parse_percent(s, out))
		return bl_cfg_fail_at(p, n, "%s must be a percentage such as 1%% or 0.5%%, got %s", what,
				      bl_cfg_describe(n, false, buf, sizeof(buf)));
	return 0;
}

static int get_alpha(struct bl_cfg_parser *p, const struct bl_cfg_node *n, double *out)
{
	char buf[128];
	const char *s = bl_cfg_plain_text(n);
	char *end;
	double v = strtod(s, &end);
	if (!*s || *end || strspn(s, DIGITS ".eE-") != strlen(s) || !(v > 0 && v < 0.5))
		return bl_cfg_fail_at(p, n, "'alpha' must be a probability between 0 and 0.5 such as 0.01, got %s",
				      bl_cfg_describe(n, true, buf, sizeof(buf)));
	*out = v;
	return 0;
}

static int parse_floors(struct bl_cfg_parser *p, const struct bl_cfg_node *n, struct bl_analysis_cfg *a)
{
	char buf[128];
	if (n->type != YAML_MAPPING_NODE)
		return bl_cfg_fail_at(p, n, "'noise_floors' must map metric names to percentages, got %s",
				      bl_cfg_describe(n, false, buf, sizeof(buf)));
	a->floors = bl_xcalloc(n_pairs(n) ? n_pairs(n) : 1, sizeof(*a->floors));
	for (size_t i = 0; i < n_pairs(n); i++) {
		const struct bl_cfg_node *k = key_at(p, n, i);
		const char *name = bl_cfg_scalar(k);
		if (!name || !*name)
			return bl_cfg_fail_at(p, k, "a metric name in 'noise_floors' must be a non-empty string");
		for (size_t j = 0; j < a->n_floors; j++)
			if (!strcmp(a->floors[j].metric, name))
				return bl_cfg_fail_at(p, k, "metric '%s' appears twice in 'noise_floors'",
						      bl_cfg_shown(name, buf, sizeof(buf)));
		double f;
		if (get_percent(p, value_at(p, n, i), "a noise floor", &f))
			return -1;
		a->floors[a->n_floors].metric = bl_xstrdup(name);
		a->floors[a->n_floors].floor = f;
		a->n_floors++;
	}
	return 0;
}

int bl_cfg_parse_analysis(struct bl_cfg_parser *p, const struct bl_cfg_node *n, struct bl_analysis_cfg *a)
{
	char buf[128];
	const struct bl_cfg_node *v;
	if (n->type != YAML_MAPPING_NODE)
		return bl_cfg_fail_at(p, n, "'analysis' must be a mapping with 'alpha', 'noise_floor' and/or "
					    "'noise_floors', got %s",
				      bl_cfg_describe(n, false, buf, sizeof(buf)));
	if (bl_cfg_check_keys(p, n, "'analysis'", analysis_keys))
		return -1;
	if ((v = bl_cfg_find_value(p, n, "alpha")) && get_alpha(p, v, &a->alpha))
		return -1;
	if ((v = bl_cfg_find_value(p, n, "noise_floor")) && get_percent(p, v, "'noise_floor'", &a->noise_floor))
		return -1;
	if ((v = bl_cfg_find_value(p, n, "noise_floors")) && parse_floors(p, v, a))
		return -1;
	return 0;
}
