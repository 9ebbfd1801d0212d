/*
 * config_internal.h - what the parts of the benchline.yaml reader share. Not public: the rest of benchline uses
 * benchline/config.h.
 *
 *   config_yaml.c   loads the one YAML document and gives positioned messages and typed scalars
 *   config.c        walks that document section by section into struct bl_config
 *   config_cases.c  {param} substitution and the expansion of benchmarks into cases
 *   config_index.c  a string index, so duplicate checks and name lookups stay linear on large files
 *   words.c         bl_split_words
 */
#ifndef BENCHLINE_CONFIG_INTERNAL_H
#define BENCHLINE_CONFIG_INTERNAL_H

#include "benchline/config.h"

#include <yaml.h>

#define DEFAULT_BUILD_TIMEOUT_S 1800.0
#define DEFAULT_WARMUP 1
#define DEFAULT_REPETITIONS 5
#define DEFAULT_TIMEOUT_S 60.0
#define DEFAULT_SAMPLING_INTERVAL_MS 10
#define MAX_SAMPLING_INTERVAL_MS 3600000 /* an hour */
/* Bounds that keep later arithmetic (nanoseconds in int64, run counts in int) far from overflow. */
#define MAX_RUNS 1000000
#define MAX_TIMEOUT_S 1000000.0
/* A matrix larger than this is almost certainly a mistake, and expanding it would exhaust memory. */
#define MAX_CASES 100000
#define MAX_NAME_LEN 128
/* benchline.yaml needs 5 levels; libyaml spends time quadratic in the depth, so a deeper file is stopped early. */
#define MAX_DEPTH 64
/* What expanding every case may take (an estimate, see bl_cfg_case_bytes): a sweep holds all cases at once, and a
 * big matrix times long values must be refused with its position rather than abort on malloc mid-run. */
#define MAX_EXPANSION_MIB 512

#define LETTERS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#define DIGITS "0123456789"

/* ---- config_index.c --------------------------------------------------------------------------------------- */

/*
 * Borrowed strings, each with a number: finds a duplicate or a name in O(1) where a scan of the earlier ones would
 * make 100000 benchmarks take a minute. Not hardened against crafted collisions: whoever writes benchline.yaml
 * already chooses the commands benchline runs. All zero is an empty index.
 */
struct bl_cfg_index {
	struct bl_cfg_slot *slots; /* open addressing; NULL until the first add */
	size_t cap;		   /* a power of two, or 0 */
	size_t n;
};
#define BL_CFG_NONE ((size_t)-1)

/* Adds key as number id, unless an equal key is there: returns BL_CFG_NONE when added, else that key's number.
 * key (len bytes) must outlive the index. */
size_t bl_cfg_index_add(struct bl_cfg_index *ix, const char *key, size_t len, size_t id);
/* The number of key, or BL_CFG_NONE. */
size_t bl_cfg_index_find(const struct bl_cfg_index *ix, const char *key, size_t len);
void bl_cfg_index_release(struct bl_cfg_index *ix);

/* ---- config_yaml.c ---------------------------------------------------------------------------------------- */

/*
 * A node of the document. The tree is built from libyaml's events rather than by its loader, which takes time and
 * stack quadratic or linear in the nesting depth and about 30 times the file's size in memory. Children of a list
 * are kids[first .. first+n) of the document; those of a mapping are 2n entries there, key then value.
 */
struct bl_cfg_node {
	yaml_node_type_t type;	   /* YAML_SCALAR_NODE, YAML_SEQUENCE_NODE or YAML_MAPPING_NODE */
	yaml_scalar_style_t style; /* of a scalar */
	yaml_mark_t start_mark;
	union {
		struct {		  /* a scalar */
			const char *text; /* NUL-terminated; a "\0" escape puts a NUL before len */
			size_t len;	  /* bytes of text */
		};
		struct {	      /* a list or mapping */
			size_t first; /* where its children start in kids */
			size_t n;     /* items of a list, pairs of a mapping */
		};
	};
};

/* The one document of the file, owned by the parser. */
struct bl_cfg_doc {
	struct bl_cfg_node *nodes; /* the root first, then in file order */
	size_t n_nodes, cap_nodes;
	size_t *kids; /* node numbers */
	size_t n_kids, cap_kids;
	char **chunks; /* the scalars' texts: blocks that never move, so a node can point into them at once */
	size_t n_chunks, cap_chunks;
	char *free_at; /* the unused end of the last chunk */
	size_t free_left;
};

struct bl_cfg_parser {
	const char *path; /* shown in messages */
	const char *text; /* the file's bytes: reader errors come as offsets into them */
	size_t len;
	struct bl_cfg_doc doc; /* built by bl_cfg_load_document, walked by config.c */
	struct bl_error *err;
	struct bl_cfg_index bench_names; /* config.c: names of the benchmarks so far, borrowed from the config */
	size_t expansion;		 /* config.c: estimated bytes of the cases of the benchmarks so far */
};

/* Builds the one document of the file into p->doc, refusing anchors, aliases, tags, more documents and deep
 * nesting, and an empty file. On success the root is p->doc.nodes[0]; on failure nothing is left to release. */
int bl_cfg_load_document(struct bl_cfg_parser *p);
void bl_cfg_release_document(struct bl_cfg_parser *p);

/* "FILE:LINE:COLUMN: message" for the node or mark; both return -1. */
int bl_cfg_fail_at(struct bl_cfg_parser *p, const struct bl_cfg_node *node, const char *fmt, ...) BL_PRINTF(3, 4);
int bl_cfg_fail_mark(struct bl_cfg_parser *p, yaml_mark_t mark, const char *fmt, ...) BL_PRINTF(3, 4);
/* At most ~60 bytes of s for a message (size >= 4), control characters as '?', "..." when cut. */
const char *bl_cfg_shown(const char *s, char *buf, size_t size);
/* "a list", "a mapping", "an empty value" or 'TEXT'; with number_hint, says why a quoted number is refused. */
const char *bl_cfg_describe(const struct bl_cfg_node *n, bool number_hint, char *buf, size_t size);

static inline const char *scalar_text(const struct bl_cfg_node *n)
{
	return n->text;
}

static inline const struct bl_cfg_node *kid(const struct bl_cfg_parser *p, const struct bl_cfg_node *n, size_t i)
{
	return &p->doc.nodes[p->doc.kids[n->first + i]];
}

static inline size_t n_pairs(const struct bl_cfg_node *map)
{
	return map->n;
}

static inline const struct bl_cfg_node *key_at(const struct bl_cfg_parser *p, const struct bl_cfg_node *map, size_t i)
{
	return kid(p, map, 2 * i);
}

static inline const struct bl_cfg_node *value_at(const struct bl_cfg_parser *p, const struct bl_cfg_node *map, size_t i)
{
	return kid(p, map, 2 * i + 1);
}

static inline size_t n_items(const struct bl_cfg_node *seq)
{
	return seq->n;
}

static inline const struct bl_cfg_node *item_at(const struct bl_cfg_parser *p, const struct bl_cfg_node *seq, size_t i)
{
	return kid(p, seq, i);
}

bool bl_cfg_is_null(const struct bl_cfg_node *n);
/* A non-null scalar: what every string-valued key takes. */
bool bl_cfg_is_value(const struct bl_cfg_node *n);
/* The text of a scalar in any style; NULL for a list, a mapping, or a scalar with a "\0" in it, which would
 * otherwise let "current\0x" pass as "current". */
const char *bl_cfg_scalar(const struct bl_cfg_node *n);
/* The text of a plain scalar, "" for anything else: numbers and booleans are read only from plain scalars. */
const char *bl_cfg_plain_text(const struct bl_cfg_node *n);
bool bl_cfg_all_of(const char *s, const char *chars);
bool bl_cfg_in_list(const char *s, const char *const *list);
/* "a, b, c" from a NULL-ended list of known words, cut to fit size. */
const char *bl_cfg_join_list(const char *const *list, char *buf, size_t size);
/* [A-Za-z_][A-Za-z0-9_]*: what a shell accepts as a variable name, and what a {param} can be called. */
bool bl_cfg_is_identifier(const char *s);

/* Every key must be a scalar name, appear once, and (with allowed) be one of the known keys. */
int bl_cfg_check_keys(struct bl_cfg_parser *p, const struct bl_cfg_node *map, const char *what,
		      const char *const *allowed);
/* Lookups in a mapping whose keys bl_cfg_check_keys has accepted: the number of the pair, or BL_CFG_NONE. */
size_t bl_cfg_find_pair(struct bl_cfg_parser *p, const struct bl_cfg_node *map, const char *key);
/* The value of key, or NULL. */
const struct bl_cfg_node *bl_cfg_find_value(struct bl_cfg_parser *p, const struct bl_cfg_node *map, const char *key);

/* Typed values: each fails with the node's position and `what` in the message. */
int bl_cfg_get_string(struct bl_cfg_parser *p, const struct bl_cfg_node *n, const char *what, char **out);
int bl_cfg_get_bool(struct bl_cfg_parser *p, const struct bl_cfg_node *n, const char *what, bool *out);
int bl_cfg_get_int(struct bl_cfg_parser *p, const struct bl_cfg_node *n, const char *what, int min, int max, int *out);
int bl_cfg_get_seconds(struct bl_cfg_parser *p, const struct bl_cfg_node *n, const char *what, double *out);

/* ---- config_analysis.c ------------------------------------------------------------------------------------ */

/* The 'analysis' mapping: alpha, noise_floor, noise_floors. */
int bl_cfg_parse_analysis(struct bl_cfg_parser *p, const struct bl_cfg_node *n, struct bl_analysis_cfg *a);

/* ---- config_report.c ------------------------------------------------------------------------------------- */

/* The 'report' mapping: commit_url, title. */
int bl_cfg_parse_report(struct bl_cfg_parser *p, const struct bl_cfg_node *n, struct bl_report_cfg *r);

/* ---- config_metrics.c ------------------------------------------------------------------------------------ */

/* A benchmark's 'metrics': a source name, or a mapping with from, file, pattern, units and better. */
/* Why a metrics 'file' (after substitution) is refused, or NULL: empty,
 * absolute, or leaving the benchmark's directory. */
const char *bl_cfg_file_problem(const char *s);
int bl_cfg_parse_metrics(struct bl_cfg_parser *p, const struct bl_cfg_node *n, struct bl_benchmark_cfg *b);

/* ---- config_cases.c --------------------------------------------------------------------------------------- */

/* A benchmark's parameters as {param} substitution needs them. All zero is "no parameters" and releasable. */
struct bl_cfg_params {
	const struct bl_param *v; /* borrowed from the benchmark */
	size_t n;
	struct bl_cfg_index by_name;
	size_t *widest; /* bytes of the longest value of each */
};
void bl_cfg_params_init(struct bl_cfg_params *pp, const struct bl_param *params, size_t n);
void bl_cfg_params_release(struct bl_cfg_params *pp);

/*
 * Replaces each {name} in s with the value choice[i] of parameter i, appending to out; {{ and }} are literal
 * braces. With out NULL nothing is written and choice may be NULL: the references are only checked. len, if not
 * NULL, gets the result's length, or with out NULL the longest any choice gives. On error, why says what is wrong,
 * to follow the name of the string ("'cwd' has an unclosed '{' ...").
 */
int bl_cfg_substitute(const struct bl_cfg_params *pp, const char *s, const size_t *choice, struct bl_buf *out,
		      size_t *len, struct bl_error *why);
/* Steps choice to the next combination, last parameter fastest; false after the last one. */
bool bl_cfg_next_choice(const struct bl_cfg_params *pp, size_t *choice);
/* "level=1,mode=fast" */
void bl_cfg_put_assignments(struct bl_buf *b, const struct bl_cfg_params *pp, const size_t *choice);
size_t bl_cfg_count_cases(const struct bl_benchmark_cfg *b);
/* About how many bytes one case of b takes at most, once expanded by bl_config_cases. */
size_t bl_cfg_case_bytes(const struct bl_cfg_params *pp, const struct bl_benchmark_cfg *b);

/* ---- config.c --------------------------------------------------------------------------------------------- */

void bl_cfg_free_kvs(struct bl_kv *kv, size_t n);

#endif
