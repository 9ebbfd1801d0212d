/* adapter.c - the table of harness output formats, unit normalisation and
 * the helpers every adapter uses (adapter_internal.h). */
#include "adapter_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <glob.h>
#include <string.h>

static const struct bl_adapter *const adapters[] = {
    &bl_adapter_gbench,
    &bl_adapter_hyperfine,
    &bl_adapter_pytest_benchmark,
    &bl_adapter_criterion,
    &bl_adapter_gotest,
    &bl_adapter_llama_bench,
    &bl_adapter_optimum_benchmark,
    &bl_adapter_regex,
    NULL,
};

const struct bl_adapter *const *bl_adapter_all(void)
{
	return adapters;
}

const struct bl_adapter *bl_adapter_find(const char *name)
{
	for (size_t i = 0; adapters[i]; i++)
		if (!strcmp(adapters[i]->name, name))
			return adapters[i];
	return NULL;
}

const char *bl_adapter_names(void)
{
	static char names[256];
	if (!names[0]) {
		size_t used = 0;
		for (size_t i = 0; adapters[i]; i++)
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
						 adapters[i]->name);
	}
	return names;
}

int bl_adapter_parse_file(const struct bl_adapter *a, const char *path, const struct bl_adapter_opts *o,
			  struct bl_metric_list *out, struct bl_error *err)
{
	struct bl_buf b;
	bl_buf_init(&b);
	int rc = bl_read_file(path, &b, err);
	if (rc == 0)
		rc = a->parse(path, b.data, b.len, o, out, err);
	bl_buf_release(&b);
	return rc;
}

bool bl_adapter_is_pattern(const char *path)
{
	return strpbrk(path, "*?[") != NULL;
}

int bl_adapter_glob(const char *dir, const char *pattern, struct bl_strvec *out, struct bl_error *err)
{
	/* dir is taken literally: its own '*', '?', '[' and '\\' are escaped */
	struct bl_buf full;
	bl_buf_init(&full);
	for (const char *c = dir; *c; c++) {
		if (strchr("*?[\\", *c))
			bl_buf_putc(&full, '\\');
		bl_buf_putc(&full, *c);
	}
	bl_buf_printf(&full, "/%s", pattern);
	glob_t g;
	int rc = glob(full.data, 0, NULL, &g); /* a directory that is missing or unreadable matches nothing */
	bl_buf_release(&full);
	if (rc == GLOB_NOMATCH) {
		globfree(&g);
		return 0;
	}
	if (rc != 0) {
		globfree(&g);
		return bl_fail(err, "cannot list the files '%s' names in '%s'%s", pattern, dir,
			       rc == GLOB_NOSPACE ? ": out of memory" : "");
	}
	for (size_t i = 0; i < g.gl_pathc; i++) /* glob sorts them */
		bl_strvec_push(out, g.gl_pathv[i]);
	globfree(&g);
	return 0;
}

int bl_adapter_parse_glob(const struct bl_adapter *a, const char *dir, const char *pattern,
			  const struct bl_adapter_opts *o, struct bl_metric_list *out, struct bl_error *err)
{
	struct bl_strvec files;
	bl_strvec_init(&files);
	int rc = bl_adapter_glob(dir, pattern, &files, err);
	if (rc == 0 && files.n == 0)
		rc = bl_fail(err, "no file matches '%s' in '%s'", pattern, dir);
	for (size_t i = 0; rc == 0 && i < files.n; i++)
		rc = bl_adapter_parse_file(a, files.v[i], o, out, err);
	bl_strvec_release(&files);
	return rc;
}

/* ---- units ---- */

/* Known units and their factor to the base unit. Decimal prefixes for SI
 * units (kB = 1000 B, as hyperfine, Go and optimum-benchmark mean them),
 * binary ones for the IEC names. */
static const struct {
	const char *unit, *base;
	double factor;
} units[] = {
    {"ns", "s", 1e-9},
    {"us", "s", 1e-6},
    {"\xc2\xb5s", "s", 1e-6},
    {"ms", "s", 1e-3},
    {"s", "s", 1},
    {"sec", "s", 1},
    {"min", "s", 60},
    {"h", "s", 3600},
    {"B", "B", 1},
    {"bytes", "B", 1},
    {"kB", "B", 1e3},
    {"KB", "B", 1e3},
    {"MB", "B", 1e6},
    {"GB", "B", 1e9},
    {"KiB", "B", 1024},
    {"MiB", "B", 1048576},
    {"GiB", "B", 1073741824.0},
    {"B/s", "B/s", 1},
    {"kB/s", "B/s", 1e3},
    {"MB/s", "B/s", 1e6},
    {"GB/s", "B/s", 1e9},
    {"MiB/s", "B/s", 1048576},
    {"GiB/s", "B/s", 1073741824.0},
    {"J", "J", 1},
    {"kJ", "J", 1e3},
    {"Wh", "J", 3600},
    {"kWh", "J", 3.6e6},
    {"W", "W", 1},
    {"mW", "W", 1e-3},
    {"Hz", "Hz", 1},
    {"kHz", "Hz", 1e3},
    {"MHz", "Hz", 1e6},
    {"GHz", "Hz", 1e9},
    {"%", "%", 1},
};

const char *bl_unit_normalise(const char *unit, double *value)
{
	if (!unit || !*unit)
		return NULL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(unit, units[i].unit)) {
			*value *= units[i].factor;
			return units[i].base;
		}
	/* Per-kWh rates (optimum-benchmark's efficiency): per joule. */
	size_t n = strlen(unit);
	if (n > 4 && !strcmp(unit + n - 4, "/kWh")) {
		*value /= 3.6e6;
		static __thread char per_j[64];
		snprintf(per_j, sizeof(per_j), "%.*s/J", (int)(n - 4 < 40 ? n - 4 : 40), unit);
		return per_j;
	}
	return unit;
}

/* ---- helpers ---- */

int bl_adp_json_load(const char *path, const char *data, size_t len, json_t **root, struct bl_error *err)
{
	json_error_t jerr;
	*root = json_loadb(data, len, 0, &jerr);
	if (!*root)
		return bl_fail(err, "%s:%d:%d: invalid JSON: %s", path, jerr.line, jerr.column, jerr.text);
	return 0;
}

int bl_adp_number(const char *path, const char *where, json_t *obj, const char *key, double *out, bool *has,
		  struct bl_error *err)
{
	json_t *v = json_object_get(obj, key);
	if (has)
		*has = v && !json_is_null(v);
	if (has && !*has)
		return 0;
	if (!json_is_number(v))
		return bl_fail(err, "%s: %s.%s must be a number, got %s", path, where, key, bl_json_type_name(v));
	*out = json_number_value(v);
	return 0;
}

int bl_adp_string(const char *path, const char *where, json_t *obj, const char *key, bool required, const char **out,
		  struct bl_error *err)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!required && (!v || json_is_null(v)))
		return 0;
	if (!json_is_string(v))
		return bl_fail(err, "%s: %s.%s must be a string, got %s", path, where, key, bl_json_type_name(v));
	*out = json_string_value(v);
	return 0;
}

int bl_adp_array(const char *path, const char *where, json_t *obj, const char *key, json_t **out, struct bl_error *err)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_array(v))
		return bl_fail(err, "%s: %s%s%s must be an array, got %s", path, where, *where ? "." : "", key,
			       bl_json_type_name(v));
	*out = v;
	return 0;
}

#define MAX_NAME_CHARS 200

static const char *bad_name(const char *s)
{
	size_t chars = 0;
	if (!*s)
		return "is empty";
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c < 0x20 || *c == 0x7f)
			return "contains a control character";
		if ((*c & 0xc0) != 0x80)
			chars++;
	}
	return chars > MAX_NAME_CHARS ? "is longer than 200 characters" : NULL;
}

int bl_adp_add(struct bl_metric_list *out, const char *path, const char *where, const char *name, const char *field,
	       double value, const char *unit, enum bl_better better, struct bl_error *err)
{
	char *full = field ? bl_xasprintf("%s:%s", name, field) : bl_xstrdup(name);
	const char *why = bad_name(full);
	if (why) {
		int rc = bl_fail(err, "%s: %s: metric name '%.60s%s' %s", path, where, full,
				 strlen(full) > 60 ? "..." : "", why);
		free(full);
		return rc;
	}
	const char *base = bl_unit_normalise(unit, &value);
	if (!isfinite(value)) {
		free(full);
		return bl_fail(err, "%s: %s: value of '%s' is not a finite number", path, where, name);
	}
	bl_metric_list_add(out, full, value, base, better);
	free(full);
	return 0;
}
