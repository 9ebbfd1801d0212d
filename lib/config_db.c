/*
 * config_db.c - the 'db:' key of benchline.yaml alone, for the commands that only need the database.
 *
 * show, export, import, push and the others read benchline.yaml only to find where results are stored. Reading
 * the whole file made a mistake in a key they never use (a benchmark's command, an analysis threshold) stop them
 * from opening the store; here the document must be YAML with a top-level mapping, and only 'db' is checked.
 */
#include "config_internal.h"

#include <stdlib.h>
#include <string.h>

int bl_config_parse_db(const char *path, const char *text, size_t len, char **db, struct bl_error *err)
{
	struct bl_cfg_parser p = {.path = path, .text = text, .len = len, .err = err};
	char buf[128];
	*db = NULL;
	if (bl_cfg_load_document(&p))
		return -1;
	const struct bl_cfg_node *root = &p.doc.nodes[0], *v;
	int rc = 0;
	if (root->type != YAML_MAPPING_NODE)
		rc = bl_cfg_fail_at(&p, root, "the top level must be a mapping with 'version: 1' and 'benchmarks', got %s",
				    bl_cfg_describe(root, false, buf, sizeof(buf)));
	else if ((v = bl_cfg_find_value(&p, root, "db")) && (rc = bl_cfg_get_string(&p, v, "'db'", db)) == 0 && !**db)
		rc = bl_cfg_fail_at(&p, v, "'db' must name a database (a file path or a postgresql:// URL), got ''");
	bl_cfg_release_document(&p);
	if (rc) {
		free(*db);
		*db = NULL;
	}
	return rc ? -1 : 0;
}

int bl_config_load_db(const char *path, char **db, struct bl_error *err)
{
	struct bl_buf text;
	bl_buf_init(&text);
	*db = NULL;
	if (bl_read_file(path, &text, err)) {
		bl_buf_release(&text);
		return -1;
	}
	int rc = bl_config_parse_db(path, text.data, text.len, db, err);
	bl_buf_release(&text);
	return rc;
}
