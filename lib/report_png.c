/* report_png.c - PNG charts for `benchline report --png`: each SVG chart of
 * report_svg.c is opened by headless Chromium from the file system and
 * screenshot at its own size. Chromium is a program the user installs (on
 * Debian: apt-get install chromium); benchline links no image library. */
#include "benchline/report.h"
#include "benchline/proc.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *in_path(const char *name)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");
		char *cand = bl_xasprintf("%.*s/%s", (int)len, len ? path : ".", name);
		if (access(cand, X_OK) == 0)
			return cand;
		free(cand);
		path += len;
		if (*path == ':')
			path++;
	}
	return NULL;
}

char *bl_report_find_chromium(void)
{
	const char *env = getenv("BENCHLINE_CHROMIUM");
	if (env && *env)
		return strchr(env, '/') ? (access(env, X_OK) == 0 ? bl_xstrdup(env) : NULL) : in_path(env);
	static const char *const names[] = {"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *p = in_path(names[i]);
		if (p)
			return p;
	}
	return NULL;
}

int bl_report_png(const char *chromium, const char *svg_path, const char *png_path, int width, int height,
		  struct bl_error *err)
{
	char svg_abs[PATH_MAX];
	if (!realpath(svg_path, svg_abs))
		return bl_fail_errno(err, errno, "cannot find '%s'", svg_path);
	const char *tmpdir = getenv("TMPDIR");
	char *profile = bl_xasprintf("%s/benchline-chromium-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(profile)) {
		free(profile);
		return bl_fail_errno(err, errno, "cannot make a profile directory for Chromium");
	}
	struct bl_strvec argv;
	bl_strvec_init(&argv);
	bl_strvec_push(&argv, chromium);
	bl_strvec_push(&argv, "--headless");
	if (geteuid() == 0)
		bl_strvec_push(&argv, "--no-sandbox"); /* Chromium refuses to run as root with its sandbox */
	bl_strvec_push(&argv, "--disable-gpu");
	bl_strvec_push(&argv, "--hide-scrollbars");
	bl_strvec_push(&argv, "--no-first-run");
	bl_strvec_push(&argv, "--no-default-browser-check");
	bl_strvec_push(&argv, "--disable-extensions");
	bl_strvec_pushf(&argv, "--user-data-dir=%s", profile);
	bl_strvec_pushf(&argv, "--window-size=%d,%d", width, height);
	bl_strvec_pushf(&argv, "--screenshot=%s", png_path);
	bl_strvec_pushf(&argv, "file://%s", svg_abs);
	struct bl_proc_opts opts = {.out_fd = -1, .timeout_s = 60};
	struct bl_buf out, errout;
	bl_buf_init(&out);
	bl_buf_init(&errout);
	struct bl_proc_result res;
	unlink(png_path);
	int rc = bl_proc_run(argv.v, &opts, &out, &errout, &res, err);
	if (rc == 0 && (res.exit_code != 0 || access(png_path, F_OK) != 0)) {
		bl_buf_rtrim(&errout);
		const char *last = strrchr(errout.data, '\n');
		rc = bl_fail(err, "chromium could not render '%s'%s%s%s", svg_path, res.timed_out ? " (timed out)" : "",
			     errout.len ? ": " : "", last ? last + 1 : errout.data);
	}
	struct bl_error ignored = {{0}};
	bl_remove_tree(profile, &ignored);
	free(profile);
	bl_buf_release(&out);
	bl_buf_release(&errout);
	bl_strvec_release(&argv);
	return rc;
}
