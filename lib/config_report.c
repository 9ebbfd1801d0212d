/* config_report.c - the 'report' section of benchline.yaml: how `benchline
 * report` links commits to the repository's web page, and its title. */
#include "config_internal.h"

#include <stdlib.h>
#include <string.h>

static const char *const report_keys[] = {"commit_url", "title", NULL};

void bl_report_cfg_release(struct bl_report_cfg *r)
{
	free(r->commit_url);
	free(r->title);
	memset(r, 0, sizeof(*r));
}

int bl_report_url_check(const char *url, struct bl_error *err)
{
	/* Only web addresses: a javascript: or data: "URL" would run in the report. */
	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
		return bl_fail(err, "must start with https:// or http://");
	if (!strstr(url, "{sha}"))
		return bl_fail(err, "must contain {sha}, replaced by each commit's full SHA");
	for (const unsigned char *c = (const unsigned char *)url; *c; c++)
		if (*c <= 0x20 || *c == 0x7f || *c == '"' || *c == '\'' || *c == '<' || *c == '>' || *c == '\\' ||
		    *c == '`')
			return bl_fail(err, "must not contain spaces, quotes, '<', '>', '\\' or control characters");
	return 0;
}

int bl_cfg_parse_report(struct bl_cfg_parser *p, const struct bl_cfg_node *n, struct bl_report_cfg *r)
{
	char buf[128];
	const struct bl_cfg_node *v;
	if (n->type != YAML_MAPPING_NODE)
		return bl_cfg_fail_at(p, n, "'report' must be a mapping with 'commit_url' and/or 'title', got %s",
				      bl_cfg_describe(n, false, buf, sizeof(buf)));
	if (bl_cfg_check_keys(p, n, "'report'", report_keys))
		return -1;
	if ((v = bl_cfg_find_value(p, n, "commit_url"))) {
		if (bl_cfg_get_string(p, v, "'commit_url'", &r->commit_url))
			return -1;
		struct bl_error why = {{0}};
		if (bl_report_url_check(r->commit_url, &why))
			return bl_cfg_fail_at(p, v, "'commit_url' %s, e.g. https://github.com/OWNER/REPO/commit/{sha}; got %s",
					      why.msg, bl_cfg_shown(r->commit_url, buf, sizeof(buf)));
	}
	if ((v = bl_cfg_find_value(p, n, "title")) && bl_cfg_get_string(p, v, "'title'", &r->title))
		return -1;
	return 0;
}
