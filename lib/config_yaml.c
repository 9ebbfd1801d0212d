/*
 * config_yaml.c - the YAML layer of the config reader: loads the one document, and gives config.c positioned
 * messages, mapping lookups and typed scalars.
 *
 * The file becomes a tree of nodes that keep their positions, because an error must name FILE:LINE:COLUMN of the
 * node at fault and what was expected there. The tree is built from libyaml's events in one pass that also refuses
 * what benchline does not read (anchors, aliases, tags, a second document, deep nesting), in file order with
 * syntax errors.
 *
 * Scalars: numbers and booleans must be plain (unquoted) scalars; a quoted "5" is a string and is refused where a
 * number is needed, so a value's type never depends on guessing. Strings may be written in any style.
 */
#include "config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VFMT(fmt) __attribute__((format(printf, fmt, 0)))

/* ---- messages ---------------------------------------------------------------------------------------------- */

static VFMT(3) int vfail_mark(struct bl_cfg_parser *p, yaml_mark_t mark, const char *fmt, va_list ap)
{
	char msg[3072];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	return bl_fail(p->err, "%s:%zu:%zu: %s", p->path, mark.line + 1, mark.column + 1, msg);
}

int bl_cfg_fail_mark(struct bl_cfg_parser *p, yaml_mark_t mark, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail_mark(p, mark, fmt, ap);
	va_end(ap);
	return -1;
}

int bl_cfg_fail_at(struct bl_cfg_parser *p, const struct bl_cfg_node *node, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail_mark(p, node->start_mark, fmt, ap);
	va_end(ap);
	return -1;
}

/* Shortened and cleaned, so one bad value cannot flood or garble the terminal. */
const char *bl_cfg_shown(const char *s, char *buf, size_t size)
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

static bool is_plain(const struct bl_cfg_node *n)
{
	return n->type == YAML_SCALAR_NODE && n->style == YAML_PLAIN_SCALAR_STYLE;
}

const char *bl_cfg_plain_text(const struct bl_cfg_node *n)
{
	return is_plain(n) ? scalar_text(n) : "";
}

bool bl_cfg_is_null(const struct bl_cfg_node *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	return is_plain(n) && bl_cfg_in_list(scalar_text(n), nulls);
}

bool bl_cfg_is_value(const struct bl_cfg_node *n)
{
	return n->type == YAML_SCALAR_NODE && !bl_cfg_is_null(n);
}

const char *bl_cfg_scalar(const struct bl_cfg_node *n)
{
	if (n->type != YAML_SCALAR_NODE || strlen(scalar_text(n)) != n->len)
		return NULL;
	return scalar_text(n);
}

const char *bl_cfg_describe(const struct bl_cfg_node *n, bool number_hint, char *buf, size_t size)
{
	char text[80];
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (bl_cfg_is_null(n))
		return *scalar_text(n) ? "null" : "an empty value";
	const char *note = "";
	if (!bl_cfg_scalar(n))
		note = " and a NUL character (\\0)"; /* what is shown stops at the NUL: say why it is wrong */
	else if (number_hint && !is_plain(n))
		note = " (quoted: write numbers and booleans without quotes)";
	snprintf(buf, size, "'%s'%s", bl_cfg_shown(scalar_text(n), text, sizeof(text)), note);
	return buf;
}

/* ---- names and keys ---------------------------------------------------------------------------------------- */

bool bl_cfg_all_of(const char *s, const char *chars)
{
	return *s && strspn(s, chars) == strlen(s);
}

bool bl_cfg_in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

bool bl_cfg_is_identifier(const char *s)
{
	return *s && strchr(LETTERS "_", *s) && bl_cfg_all_of(s, LETTERS DIGITS "_");
}

const char *bl_cfg_join_list(const char *const *list, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; list[i] && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", list[i]);
	return buf;
}

/* A NUL inside a scalar ("\0" in double quotes) would silently truncate the C string. */
static int check_no_nul(struct bl_cfg_parser *p, const struct bl_cfg_node *n)
{
	if (!bl_cfg_scalar(n))
		return bl_cfg_fail_at(p, n,
				      "value contains a NUL character (\\0), which cannot be passed to a program");
	return 0;
}

/* Checking all keys up front means a typo is reported as such instead of as a missing required key. */
int bl_cfg_check_keys(struct bl_cfg_parser *p, const struct bl_cfg_node *map, const char *what,
		      const char *const *allowed)
{
	char buf[80], other[80], list[256];
	struct bl_cfg_index seen = {0};
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n_pairs(map); i++) {
		const struct bl_cfg_node *key = key_at(p, map, i);
		const char *name = scalar_text(key);
		size_t first;
		if (!bl_cfg_is_value(key))
			rc = bl_cfg_fail_at(p, key, "keys in %s must be names, got %s", what,
					    bl_cfg_describe(key, false, other, sizeof(other)));
		else if (check_no_nul(p, key))
			rc = -1;
		else if (allowed && !bl_cfg_in_list(name, allowed))
			rc = bl_cfg_fail_at(p, key, "unknown key '%s' in %s (allowed: %s)",
					    bl_cfg_shown(name, buf, sizeof(buf)), what,
					    bl_cfg_join_list(allowed, list, sizeof(list)));
		else if ((first = bl_cfg_index_add(&seen, name, key->len, i)) != BL_CFG_NONE)
			rc = bl_cfg_fail_at(p, key, "duplicate key '%s' in %s (first at line %zu, column %zu)",
					    bl_cfg_shown(name, buf, sizeof(buf)), what,
					    key_at(p, map, first)->start_mark.line + 1,
					    key_at(p, map, first)->start_mark.column + 1);
	}
	bl_cfg_index_release(&seen);
	return rc;
}

size_t bl_cfg_find_pair(struct bl_cfg_parser *p, const struct bl_cfg_node *map, const char *key)
{
	for (size_t i = 0; i < n_pairs(map); i++)
		if (!strcmp(scalar_text(key_at(p, map, i)), key))
			return i;
	return BL_CFG_NONE;
}

const struct bl_cfg_node *bl_cfg_find_value(struct bl_cfg_parser *p, const struct bl_cfg_node *map, const char *key)
{
	size_t i = bl_cfg_find_pair(p, map, key);
	return i == BL_CFG_NONE ? NULL : value_at(p, map, i);
}

/* ---- typed values ------------------------------------------------------------------------------------------ */

/* Any non-null scalar, as written: numbers and booleans are strings here ("values scalars as written"). */
int bl_cfg_get_string(struct bl_cfg_parser *p, const struct bl_cfg_node *n, const char *what, char **out)
{
	char buf[128];
	if (!bl_cfg_is_value(n))
		return bl_cfg_fail_at(p, n, "%s must be a string, got %s", what,
				      bl_cfg_describe(n, false, buf, sizeof(buf)));
	if (check_no_nul(p, n))
		return -1;
	*out = bl_xstrdup(scalar_text(n));
	return 0;
}

int bl_cfg_get_bool(struct bl_cfg_parser *p, const struct bl_cfg_node *n, const char *what, bool *out)
{
	char buf[128];
	const char *s = bl_cfg_plain_text(n);
	if (strcmp(s, "true") && strcmp(s, "false"))
		return bl_cfg_fail_at(p, n, "%s must be true or false, got %s", what,
				      bl_cfg_describe(n, true, buf, sizeof(buf)));
	*out = !strcmp(s, "true");
	return 0;
}

int bl_cfg_get_int(struct bl_cfg_parser *p, const struct bl_cfg_node *n, const char *what, int min, int max, int *out)
{
	char buf[128];
	int64_t v;
	const char *s = bl_cfg_plain_text(n);
	if (!bl_cfg_all_of(*s == '-' ? s + 1 : s, DIGITS))
		return bl_cfg_fail_at(p, n, "%s must be an integer >= %d, got %s", what, min,
				      bl_cfg_describe(n, true, buf, sizeof(buf)));
	if (bl_parse_int64(s, &v) || v < min || v > max)
		return bl_cfg_fail_at(p, n, "%s is out of range: expected an integer from %d to %d, got %s", what, min,
				      max, bl_cfg_describe(n, true, buf, sizeof(buf)));
	*out = (int)v;
	return 0;
}

/* A positive number of seconds, e.g. 60, 2.5 or 1e3. */
int bl_cfg_get_seconds(struct bl_cfg_parser *p, const struct bl_cfg_node *n, const char *what, double *out)
{
	char buf[128];
	double v;
	const char *s = bl_cfg_plain_text(n);
	/* the character set keeps out what strtod would also take: inf, nan, hex and leading blanks */
	if (!bl_cfg_all_of(s, DIGITS ".eE+-") || bl_parse_double(s, &v) || v <= 0)
		return bl_cfg_fail_at(p, n, "%s must be a number of seconds > 0, got %s", what,
				      bl_cfg_describe(n, true, buf, sizeof(buf)));
	if (v > MAX_TIMEOUT_S)
		return bl_cfg_fail_at(p, n, "%s is out of range: expected at most %.0f seconds, got %s", what,
				      MAX_TIMEOUT_S, bl_cfg_describe(n, true, buf, sizeof(buf)));
	*out = v;
	return 0;
}

/* ---- loading ----------------------------------------------------------------------------------------------- */

/* Bytes of the line break at text[i], 0 for none: YAML 1.1 also ends lines with NEL, LS and PS. */
static size_t line_break(const char *text, size_t len, size_t i)
{
	static const char *const breaks[] = {"\r\n", "\n", "\r", "\xc2\x85", "\xe2\x80\xa8", "\xe2\x80\xa9", NULL};
	for (size_t k = 0; breaks[k]; k++) {
		size_t n = strlen(breaks[k]);
		if (len - i >= n && !memcmp(text + i, breaks[k], n))
			return n;
	}
	return 0;
}

/*
 * libyaml reports reader errors (bad UTF-8, control characters) by byte offset rather than by mark. Counted as its
 * scanner counts, so that these positions agree with all the others: a leading BOM takes no column.
 */
static yaml_mark_t mark_of_offset(const char *text, size_t len, size_t offset)
{
	yaml_mark_t m = {0, 0, 0};
	size_t i = len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3) ? 3 : 0, brk;
	if (offset > len)
		offset = len;
	while (i < offset) {
		if ((brk = line_break(text, len, i))) {
			m.line++;
			m.column = 0;
			i += brk;
		} else {
			m.column += ((unsigned char)text[i++] & 0xc0) != 0x80;
		}
	}
	return m;
}

static int yaml_error(struct bl_cfg_parser *p, yaml_parser_t *yp)
{
	if (yp->error == YAML_MEMORY_ERROR)
		return bl_fail(p->err, "%s: out of memory while reading YAML", p->path);
	yaml_mark_t mark =
	    yp->error == YAML_READER_ERROR ? mark_of_offset(p->text, p->len, yp->problem_offset) : yp->problem_mark;
	if (yp->context)
		return bl_cfg_fail_mark(p, mark, "invalid YAML: %s (%s at line %zu, column %zu)",
					yp->problem ? yp->problem : "unknown error", yp->context,
					yp->context_mark.line + 1, yp->context_mark.column + 1);
	return bl_cfg_fail_mark(p, mark, "invalid YAML: %s", yp->problem ? yp->problem : "unknown error");
}

/* Node number and where its children start in the pending stack, for each list or mapping not yet closed. */
struct open_node {
	size_t node;
	size_t first_kid;
};

struct builder {
	struct bl_cfg_doc *doc;
	size_t *pending; /* children of the open nodes, in order: each closing node moves its own to doc->kids */
	size_t n_pending, cap_pending;
	struct open_node *open;
	size_t depth, cap_open;
};

/* A copy of a scalar's text in the document's chunks, where it stays put while the node array grows. */
static const char *store_text(struct bl_cfg_doc *doc, const char *s, size_t len)
{
	if (len >= doc->free_left) {
		size_t size = len + 1 > 65536 ? len + 1 : 65536;
		BL_GROW(doc->chunks, doc->cap_chunks, doc->n_chunks + 1);
		doc->chunks[doc->n_chunks++] = doc->free_at = bl_xmalloc(size);
		doc->free_left = size;
	}
	char *text = doc->free_at;
	memcpy(text, s, len);
	text[len] = '\0';
	doc->free_at += len + 1;
	doc->free_left -= len + 1;
	return text;
}

static size_t add_node(struct builder *b, const yaml_event_t *ev, yaml_node_type_t type)
{
	struct bl_cfg_doc *doc = b->doc;
	BL_GROW(doc->nodes, doc->cap_nodes, doc->n_nodes + 1);
	struct bl_cfg_node *n = &doc->nodes[doc->n_nodes];
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->start_mark = ev->start_mark;
	if (type == YAML_SCALAR_NODE) {
		n->style = ev->data.scalar.style;
		n->len = ev->data.scalar.length;
		n->text = store_text(doc, (const char *)ev->data.scalar.value, n->len);
	}
	if (b->depth) {
		BL_GROW(b->pending, b->cap_pending, b->n_pending + 1);
		b->pending[b->n_pending++] = doc->n_nodes;
	}
	return doc->n_nodes++;
}

static void open_node(struct builder *b, size_t node)
{
	BL_GROW(b->open, b->cap_open, b->depth + 1);
	b->open[b->depth++] = (struct open_node){node, b->n_pending};
}

static void close_node(struct builder *b)
{
	struct bl_cfg_doc *doc = b->doc;
	struct open_node top = b->open[--b->depth];
	size_t count = b->n_pending - top.first_kid;
	struct bl_cfg_node *n = &doc->nodes[top.node];
	if (count) { /* an empty [] or {} may come before any kid: no array to copy into yet */
		BL_GROW(doc->kids, doc->cap_kids, doc->n_kids + count);
		memcpy(doc->kids + doc->n_kids, b->pending + top.first_kid, count * sizeof(*doc->kids));
	}
	n->first = doc->n_kids;
	n->n = n->type == YAML_MAPPING_NODE ? count / 2 : count;
	doc->n_kids += count;
	b->n_pending = top.first_kid;
}

/* What benchline refuses in an event that libyaml accepts; 0 for the events it takes. */
static int check_event(struct bl_cfg_parser *p, const yaml_event_t *ev, size_t depth, size_t documents)
{
	char buf[80];
	yaml_char_t *anchor = NULL, *tag = NULL;
	if (ev->type == YAML_SCALAR_EVENT) {
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
	} else if (ev->type == YAML_SEQUENCE_START_EVENT) {
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
	} else if (ev->type == YAML_MAPPING_START_EVENT) {
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
	}
	/* anchors are refused, so an alias cannot have one to refer to: the message libyaml's loader gave */
	if (ev->type == YAML_ALIAS_EVENT)
		return bl_cfg_fail_mark(p, ev->start_mark, "invalid YAML: found undefined alias '*%s'",
					bl_cfg_shown((const char *)ev->data.alias.anchor, buf, sizeof(buf)));
	if (anchor)
		return bl_cfg_fail_mark(p, ev->start_mark, "YAML anchors ('&%s') are not supported (write values out)",
					bl_cfg_shown((const char *)anchor, buf, sizeof(buf)));
	/* the tree keeps no tags: '!!str 5' would pass as the number 5 */
	if (tag)
		return bl_cfg_fail_mark(p, ev->start_mark,
					"YAML tags ('%s') are not supported (quote a value to make it a string)",
					bl_cfg_shown((const char *)tag, buf, sizeof(buf)));
	if ((ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT) && depth >= MAX_DEPTH)
		return bl_cfg_fail_mark(p, ev->start_mark,
					"lists and mappings are nested more than %d deep here (expected at most 5: the "
					"top level > benchmarks > a benchmark > metrics > better)",
					MAX_DEPTH);
	if (ev->type == YAML_DOCUMENT_START_EVENT && documents > 0)
		return bl_cfg_fail_mark(p, ev->start_mark,
					"a second YAML document starts here (expected exactly one document; remove the "
					"'---' and what follows)");
	return 0;
}

/* One pass over the events: every error comes in file order, syntax errors included. */
static int build_document(struct bl_cfg_parser *p, yaml_parser_t *yp, struct builder *b)
{
	yaml_event_t ev;
	size_t documents = 0;
	for (;;) {
		if (!yaml_parser_parse(yp, &ev))
			return yaml_error(p, yp);
		int rc = check_event(p, &ev, b->depth, documents);
		if (rc == 0) {
			switch (ev.type) {
			case YAML_DOCUMENT_START_EVENT:
				documents++;
				break;
			case YAML_SCALAR_EVENT:
				add_node(b, &ev, YAML_SCALAR_NODE);
				break;
			case YAML_SEQUENCE_START_EVENT:
				open_node(b, add_node(b, &ev, YAML_SEQUENCE_NODE));
				break;
			case YAML_MAPPING_START_EVENT:
				open_node(b, add_node(b, &ev, YAML_MAPPING_NODE));
				break;
			case YAML_SEQUENCE_END_EVENT:
			case YAML_MAPPING_END_EVENT:
				close_node(b);
				break;
			default:
				break;
			}
		}
		bool end = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		if (rc || end)
			return rc;
	}
}

int bl_cfg_load_document(struct bl_cfg_parser *p)
{
	yaml_parser_t yp;
	struct builder b = {.doc = &p->doc};
	memset(&p->doc, 0, sizeof(p->doc));
	if (!yaml_parser_initialize(&yp))
		return bl_fail(p->err, "%s: out of memory while reading YAML", p->path);
	yaml_parser_set_input_string(&yp, (const unsigned char *)p->text, p->len);
	int rc = build_document(p, &yp, &b);
	yaml_parser_delete(&yp);
	free(b.pending);
	free(b.open);
	if (rc == 0 && !p->doc.n_nodes)
		rc =
		    bl_fail(p->err, "%s:1:1: the file is empty (expected a mapping with 'version: 1' and 'benchmarks')",
			    p->path);
	if (rc)
		bl_cfg_release_document(p);
	return rc;
}

void bl_cfg_release_document(struct bl_cfg_parser *p)
{
	for (size_t i = 0; i < p->doc.n_chunks; i++)
		free(p->doc.chunks[i]);
	free(p->doc.chunks);
	free(p->doc.nodes);
	free(p->doc.kids);
	memset(&p->doc, 0, sizeof(p->doc));
}
