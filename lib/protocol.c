/*
 * protocol.c - reads the JSON lines a benchmark wrote to $BENCHLINE_METRICS.
 *
 * Each line is parsed on its own with json_loadb, so one bad line costs only
 * itself: it becomes a diagnostic with its line number and every other line
 * is still read. A line is either one metric ({"name", "value", "unit",
 * "better"}) or one measurements object whose numeric members become metrics
 * and whose compact JSON is kept whole for model_measurements. Anything else,
 * unknown keys included, is reported rather than guessed at.
 */
#include "benchline/protocol.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE_BYTES ((size_t)1 << 20)
#define MAX_NAME_CHARS 200

void bl_metric_list_add(struct bl_metric_list *l, const char *name, double value, const char *unit,
			enum bl_better better)
{
	BL_GROW(l->items, l->cap, l->n + 1);
	struct bl_metric *m = &l->items[l->n++];
	m->name = bl_xstrdup(name);
	m->value = value;
	m->unit = unit ? bl_xstrdup(unit) : NULL;
	m->better = better;
}

void bl_metric_list_release(struct bl_metric_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].name);
		free(l->items[i].unit);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

void bl_protocol_result_init(struct bl_protocol_result *r)
{
	memset(r, 0, sizeof(*r));
	bl_strvec_init(&r->measurements);
}

void bl_protocol_result_release(struct bl_protocol_result *r)
{
	bl_metric_list_release(&r->metrics);
	bl_strvec_release(&r->measurements);
	for (size_t i = 0; i < r->n_diags; i++)
		free(r->diags[i].reason);
	free(r->diags);
	/* Released, not re-initialised: reusable, and nothing left to free. */
	memset(r, 0, sizeof(*r));
}

static void diag(struct bl_protocol_result *r, size_t line, const char *fmt, ...) BL_PRINTF(3, 4);
static void diag(struct bl_protocol_result *r, size_t line, const char *fmt, ...)
{
	struct bl_buf b;
	va_list ap;
	bl_buf_init(&b);
	va_start(ap, fmt);
	bl_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	BL_GROW(r->diags, r->cap_diags, r->n_diags + 1);
	r->diags[r->n_diags].line = line;
	r->diags[r->n_diags].reason = bl_buf_detach(&b);
	r->n_diags++;
}

/*
 * Checks a metric name: 1..200 characters (UTF-8 code points; jansson has
 * already rejected invalid UTF-8), no control characters. Returns NULL when
 * fine, else why not.
 */
static const char *bad_name(const char *s, size_t bytes)
{
	if (bytes == 0)
		return "is empty";
	if (memchr(s, '\0', bytes))
		return "contains a NUL character";
	size_t chars = 0;
	for (size_t i = 0; i < bytes; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return "contains a control character";
		if ((c & 0xc0) != 0x80)
			chars++;
	}
	if (chars > MAX_NAME_CHARS)
		return "is longer than 200 characters";
	return NULL;
}

/* For messages: the name as given, shortened so a diagnostic stays readable. */
static void quote_name(struct bl_buf *b, const char *s, size_t bytes)
{
	bl_buf_putc(b, '"');
	for (size_t i = 0; i < bytes && i < 60; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			bl_buf_printf(b, "\\x%02x", c);
		else
			bl_buf_putc(b, (char)c);
	}
	bl_buf_puts(b, bytes > 60 ? "...\"" : "\"");
}

const char *bl_json_type_name(const json_t *v)
{
	if (!v)
		return "nothing";
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "something else";
}

static void parse_measurements(json_t *obj, size_t line, struct bl_protocol_result *out)
{
	json_t *m = json_object_get(obj, "measurements");
	if (!json_is_object(m)) {
		diag(out, line, "\"measurements\" must be an object, not %s", bl_json_type_name(m));
		return;
	}
	const char *key;
	size_t key_len;
	json_t *v;
	json_object_keylen_foreach(m, key, key_len, v)
	{
		struct bl_buf q;
		bl_buf_init(&q);
		quote_name(&q, key, key_len);
		const char *why = bad_name(key, key_len);
		if (why)
			diag(out, line, "measurement name %s %s; skipped", q.data, why);
		else if (!json_is_number(v))
			diag(out, line, "measurement %s is %s, not a number; skipped", q.data, bl_json_type_name(v));
		else if (!isfinite(json_number_value(v)))
			diag(out, line, "measurement %s is not a finite number; skipped", q.data);
		else
			bl_metric_list_add(&out->metrics, key, json_number_value(v), NULL, BL_BETTER_UNKNOWN);
		bl_buf_release(&q);
	}
	/* 15 significant digits read back as the same doubles for numbers as
	 * people write them (0.04, not 0.040000000000000001); when some value
	 * needs more, all get the 17 that always round-trip. */
	char *text = json_dumps(m, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_t *back = text ? json_loads(text, 0, NULL) : NULL;
	if (!back || !json_equal(back, m)) {
		free(text);
		text = json_dumps(m, JSON_COMPACT);
	}
	json_decref(back);
	if (text)
		bl_strvec_push(&out->measurements, text);
	free(text);
}

static void parse_metric(json_t *obj, size_t line, struct bl_protocol_result *out)
{
	json_t *name = json_object_get(obj, "name");
	json_t *value = json_object_get(obj, "value");
	json_t *unit = json_object_get(obj, "unit");
	json_t *better = json_object_get(obj, "better");
	if (!name) {
		diag(out, line, "missing \"name\"");
		return;
	}
	if (!json_is_string(name)) {
		diag(out, line, "\"name\" must be a string, not %s", bl_json_type_name(name));
		return;
	}
	const char *why = bad_name(json_string_value(name), json_string_length(name));
	if (why) {
		struct bl_buf q;
		bl_buf_init(&q);
		quote_name(&q, json_string_value(name), json_string_length(name));
		diag(out, line, "name %s %s", q.data, why);
		bl_buf_release(&q);
		return;
	}
	const char *n = json_string_value(name);
	if (!value) {
		diag(out, line, "metric \"%s\": missing \"value\"", n);
		return;
	}
	if (!json_is_number(value)) {
		diag(out, line, "metric \"%s\": \"value\" must be a number, not %s", n, bl_json_type_name(value));
		return;
	}
	if (!isfinite(json_number_value(value))) {
		diag(out, line, "metric \"%s\": \"value\" is not a finite number", n);
		return;
	}
	const char *unit_s = NULL;
	if (unit && !json_is_null(unit)) {
		if (!json_is_string(unit)) {
			diag(out, line, "metric \"%s\": \"unit\" must be a string, not %s", n, bl_json_type_name(unit));
			return;
		}
		unit_s = json_string_value(unit);
		if (bad_name(unit_s, json_string_length(unit))) {
			diag(out, line, "metric \"%s\": \"unit\" must be 1 to 200 printable characters", n);
			return;
		}
	}
	enum bl_better dir = BL_BETTER_UNKNOWN;
	if (better && !json_is_null(better)) {
		if (!json_is_string(better) || bl_better_parse(json_string_value(better), &dir) != 0) {
			if (json_is_string(better))
				diag(out, line, "metric \"%s\": \"better\" must be \"lower\" or \"higher\", not \"%s\"",
				     n, json_string_value(better));
			else
				diag(out, line, "metric \"%s\": \"better\" must be \"lower\" or \"higher\", not %s", n,
				     bl_json_type_name(better));
			return;
		}
	}
	bl_metric_list_add(&out->metrics, n, json_number_value(value), unit_s, dir);
}

static void parse_line(const char *s, size_t len, size_t line, struct bl_protocol_result *out)
{
	json_error_t jerr;
	json_t *obj = json_loadb(s, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!obj) {
		diag(out, line, "invalid JSON at column %d: %s", jerr.column, jerr.text);
		return;
	}
	if (!json_is_object(obj)) {
		diag(out, line, "expected a JSON object, not %s", bl_json_type_name(obj));
		json_decref(obj);
		return;
	}
	bool is_dict = json_object_get(obj, "measurements") != NULL;
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		bool known = is_dict ? strcmp(key, "measurements") == 0
				     : (strcmp(key, "name") == 0 || strcmp(key, "value") == 0 ||
					strcmp(key, "unit") == 0 || strcmp(key, "better") == 0);
		if (!known) {
			if (is_dict)
				diag(out, line, "unknown key \"%s\" next to \"measurements\" (expected it alone)", key);
			else
				diag(out, line, "unknown key \"%s\" (expected name, value, unit, better)", key);
			json_decref(obj);
			return;
		}
	}
	if (is_dict)
		parse_measurements(obj, line, out);
	else
		parse_metric(obj, line, out);
	json_decref(obj);
}

static bool blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\v' && s[i] != '\f')
			return false;
	return true;
}

void bl_protocol_parse(const char *data, size_t len, struct bl_protocol_result *out)
{
	size_t line = 0;
	size_t pos = 0;
	while (pos < len) {
		const char *s = data + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		pos += n + (nl ? 1 : 0);
		line++;
		if (n > MAX_LINE_BYTES) {
			diag(out, line, "line is longer than 1 MiB (%zu bytes)", n);
			continue;
		}
		if (n && s[n - 1] == '\r')
			n--;
		if (blank(s, n))
			continue;
		parse_line(s, n, line, out);
	}
}
