/*
 * cmd-demo.c - `benchline demo`: a real sweep over a sample repository.
 *
 * Creates a git repository with a small C checksum tool and twelve commits:
 * commit 6 hashes every buffer twice (clearly slower), commit 10 hashes four
 * independent lanes at once (clearly faster). Then it runs `benchline run`
 * over all twelve commits and `benchline show` on the result, exactly as a
 * user would.
 */
#include "cli.h"
#include "benchline/git.h"
#include "benchline/proc.h"

#include <dirent.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] = "usage: benchline demo [DIR]\n"
			    "\n"
			    "Creates a sample git repository in DIR (default: a new directory under $TMPDIR\n"
			    "or /tmp): a little C checksum tool with twelve commits, one of which makes it\n"
			    "clearly slower and one clearly faster. Then runs the real sweep over every\n"
			    "commit into DIR/.benchline/results.db and prints the results table.\n"
			    "DIR must not exist or be empty. Needs git and a C compiler (cc).\n";

static const char program_template[] =
	"/* checksum - hashes a pseudo-random buffer; the demo workload of benchline. */\n"
	"#include <stdint.h>\n"
	"#include <stdio.h>\n"
	"#include <stdlib.h>\n"
	"#include <time.h>\n"
	"\n"
	"@HASH@"
	"\n"
	"int main(int argc, char **argv)\n"
	"{\n"
	"@ARGS@"
	"\tsize_t n = mb << 20;\n"
	"\tunsigned char *buf = malloc(n);\n"
	"\tif (!buf)\n"
	"\t\treturn 1;\n"
	"\tfor (size_t i = 0; i < n; i++)\n"
	"\t\tbuf[i] = (unsigned char)((i * 2654435761u) >> 13);\n"
	"\tstruct timespec t0, t1;\n"
	"\tclock_gettime(CLOCK_MONOTONIC, &t0);\n"
	"\tuint64_t h = 0;\n"
	"\tfor (uint64_t round = 0; round < 3; round++)\n"
	"\t\th ^= @PASS@;\n"
	"\tclock_gettime(CLOCK_MONOTONIC, &t1);\n"
	"\tdouble secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;\n"
	"\tprintf(\"checksum %016llx\\n\", (unsigned long long)h);\n"
	"\t/* Report throughput through benchline's metrics protocol. */\n"
	"\tconst char *metrics = getenv(\"BENCHLINE_METRICS\");\n"
	"\tFILE *f = metrics ? fopen(metrics, \"a\") : NULL;\n"
	"\tif (f) {\n"
	"\t\tfprintf(f, \"{\\\"name\\\": \\\"throughput\\\", \\\"value\\\": %.1f, \\\"unit\\\": \\\"MB/s\\\", \"\n"
	"\t\t\t   \"\\\"better\\\": \\\"higher\\\"}\\n\", 3.0 * (double)mb / secs);\n"
	"\t\tfclose(f);\n"
	"\t}\n"
	"\tfree(buf);\n"
	"\treturn 0;\n"
	"}\n";

static const char hash_simple[] = "static uint64_t checksum(const unsigned char *p, size_t n, uint64_t seed)\n"
				  "{\n"
				  "\tuint64_t h = 1469598103934665603ULL ^ seed;\n"
				  "\tfor (size_t i = 0; i < n; i++) {\n"
				  "\t\th ^= p[i];\n"
				  "\t\th *= 1099511628211ULL;\n"
				  "\t}\n"
				  "\treturn h;\n"
				  "}\n";

static const char hash_documented[] = "/* FNV-1a: one xor and one multiply per byte. */\n";

static const char hash_lanes[] =
	"/* FNV-1a over four interleaved lanes: the four multiply chains run in parallel. */\n"
	"static uint64_t checksum(const unsigned char *p, size_t n, uint64_t seed)\n"
	"{\n"
	"\tconst uint64_t prime = 1099511628211ULL;\n"
	"\tuint64_t a = 1469598103934665603ULL ^ seed, b = 7809847782465536322ULL ^ seed;\n"
	"\tuint64_t c = 6009144006238911337ULL ^ seed, d = 3348176837209581127ULL ^ seed;\n"
	"\tsize_t i = 0;\n"
	"\tfor (; i + 4 <= n; i += 4) {\n"
	"\t\ta = (a ^ p[i]) * prime;\n"
	"\t\tb = (b ^ p[i + 1]) * prime;\n"
	"\t\tc = (c ^ p[i + 2]) * prime;\n"
	"\t\td = (d ^ p[i + 3]) * prime;\n"
	"\t}\n"
	"\tfor (; i < n; i++)\n"
	"\t\ta = (a ^ p[i]) * prime;\n"
	"\treturn a ^ (b * 3) ^ (c * 5) ^ (d * 7);\n"
	"}\n";

static const char args_simple[] = "\tsize_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 8;\n";
static const char args_checked[] = "\tchar *end = NULL;\n"
				   "\tsize_t mb = argc > 1 ? strtoul(argv[1], &end, 10) : 8;\n"
				   "\tif (argc > 2 || mb == 0 || (end && *end)) {\n"
				   "\t\tfprintf(stderr, \"usage: checksum [MEGABYTES]\\n\");\n"
				   "\t\treturn 2;\n"
				   "\t}\n";

static const char pass_once[] = "checksum(buf, n, round)";
static const char pass_twice[] = "checksum(buf, n, round) ^ checksum(buf, n, round + 1000)";

static const char config_text[] =
	"# benchline.yaml of the demo repository\n"
	"version: 1\n"
	"build:\n"
	"  command: [cc, -O2, -o, checksum, checksum.c]\n"
	"  timeout: 120\n"
	"benchmarks:\n"
	"  - name: checksum\n"
	"    command: [./checksum, \"{megabytes}\"]\n"
	"    params:\n"
	"      megabytes: [4, 16]\n"
	"    warmup: 1\n"
	"    repetitions: 5\n"
	"    timeout: 60\n"
	"    metrics:\n"
	"      from: protocol\n"
	"      better: {throughput: higher}\n";

struct demo_state {
	bool documented, lanes, checked, twice;
};

static char *render(const struct demo_state *st)
{
	struct bl_buf hash, out;
	bl_buf_init(&hash);
	bl_buf_init(&out);
	if (st->lanes) {
		bl_buf_puts(&hash, hash_lanes);
	} else {
		if (st->documented)
			bl_buf_puts(&hash, hash_documented);
		bl_buf_puts(&hash, hash_simple);
	}
	const char *p = program_template;
	while (*p) {
		if (!strncmp(p, "@HASH@", 6)) {
			bl_buf_puts(&out, hash.data);
			p += 6;
		} else if (!strncmp(p, "@ARGS@", 6)) {
			bl_buf_puts(&out, st->checked ? args_checked : args_simple);
			p += 6;
		} else if (!strncmp(p, "@PASS@", 6)) {
			bl_buf_puts(&out, st->twice ? pass_twice : pass_once);
			p += 6;
		} else {
			bl_buf_putc(&out, *p++);
		}
	}
	bl_buf_release(&hash);
	return bl_buf_detach(&out);
}

static int git(const char *dir, const char *const *args, int64_t when, struct bl_error *err)
{
	struct bl_strvec argv, env;
	bl_strvec_init(&argv);
	bl_strvec_init(&env);
	bl_strvec_push(&argv, "git");
	bl_strvec_push(&argv, "-C");
	bl_strvec_push(&argv, dir);
	bl_strvec_push(&argv, "-c");
	bl_strvec_push(&argv, "user.name=Demo Developer");
	bl_strvec_push(&argv, "-c");
	bl_strvec_push(&argv, "user.email=demo@example.org");
	bl_strvec_push(&argv, "-c");
	bl_strvec_push(&argv, "commit.gpgsign=false");
	for (size_t i = 0; args[i]; i++)
		bl_strvec_push(&argv, args[i]);
	extern char **environ;
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "GIT_", 4))
			bl_strvec_push(&env, *e);
	bl_strvec_pushf(&env, "GIT_AUTHOR_DATE=@%lld +0000", (long long)when);
	bl_strvec_pushf(&env, "GIT_COMMITTER_DATE=@%lld +0000", (long long)when);
	struct bl_buf out, errb;
	bl_buf_init(&out);
	bl_buf_init(&errb);
	struct bl_proc_opts po = {.envp = env.v, .out_fd = -1};
	struct bl_proc_result res;
	int rc = bl_proc_run(argv.v, &po, &out, &errb, &res, err);
	if (rc == 0 && res.exit_code != 0) {
		bl_buf_rtrim(&errb);
		rc = bl_fail(err, "git %s failed in '%s': %s", args[0], dir, errb.data);
	}
	bl_buf_release(&out);
	bl_buf_release(&errb);
	bl_strvec_release(&argv);
	bl_strvec_release(&env);
	return rc;
}

static int write_in(const char *dir, const char *name, const char *text, struct bl_error *err)
{
	char *path = bl_xasprintf("%s/%s", dir, name);
	int rc = bl_write_file_atomic(path, text, strlen(text), err);
	free(path);
	return rc;
}

static const char readme_text[] = "# checksum\n\nHashes a buffer of MEGABYTES pseudo-random bytes.\n";
static const char readme_perf[] = "# checksum\n\nHashes a buffer of MEGABYTES pseudo-random bytes.\n\n"
				  "## Performance\n\nTracked with benchline: `benchline run` then `benchline show`.\n";
static const char changelog_text[] = "# Changelog\n\n- Hash every byte twice.\n";
static const char changelog_release[] = "# Changelog\n\n## 1.0\n\n- Four-lane hashing.\n- Hash every byte twice.\n";
static const char gitignore_text[] = "/checksum\n/.benchline/\n";

/* Builds the sample history; each step changes files then commits. */
static int make_repo(const char *dir, struct bl_error *err)
{
	static const char *const init[] = {"init", "-q", "-b", "main", NULL};
	if (git(dir, init, 1767225600, err))
		return -1;
	struct demo_state st = {0};
	struct step {
		const char *subject;
		void (*change)(struct demo_state *);
		const char *file, *text;
	};
	int64_t when = 1767225600; /* 2026-01-01 */
	const char *subjects[] = {
		"Add the checksum tool",
		"Add a README",
		"Check the command-line argument",
		"Document the hash function",
		"Ignore build outputs",
		"Hash every byte twice for robustness",
		"Add a changelog",
		"Explain how performance is tracked",
		"Tidy the metrics output",
		"Hash four independent lanes at once",
		"Note the lanes in the changelog",
		"Release 1.0",
	};
	for (int k = 0; k < 12; k++) {
		switch (k) {
		case 0:
			if (write_in(dir, "benchline.yaml", config_text, err))
				return -1;
			break;
		case 1: if (write_in(dir, "README.md", readme_text, err)) return -1; break;
		case 2: st.checked = true; break;
		case 3: st.documented = true; break;
		case 4: if (write_in(dir, ".gitignore", gitignore_text, err)) return -1; break;
		case 5: st.twice = true; break;
		case 6: if (write_in(dir, "CHANGELOG.md", changelog_text, err)) return -1; break;
		case 7: if (write_in(dir, "README.md", readme_perf, err)) return -1; break;
		case 8: if (write_in(dir, "README.md", readme_perf, err)) return -1; break;
		case 9: st.lanes = true; break;
		case 10: if (write_in(dir, "CHANGELOG.md", changelog_release, err)) return -1; break;
		default: break;
		}
		char *src = render(&st);
		int rc = write_in(dir, "checksum.c", src, err);
		free(src);
		if (rc)
			return -1;
		static const char *const add[] = {"add", "-A", NULL};
		const char *commit[] = {"commit", "-q", "--allow-empty", "-m", subjects[k], NULL};
		if (git(dir, add, when, err) || git(dir, commit, when, err))
			return -1;
		when += 86400;
	}
	static const char *const tag[] = {"tag", "v1.0", NULL};
	return git(dir, tag, when, err);
}

static int cmd_demo_main(int argc, char **argv)
{
	optind = 1;
	opterr = 0;
	static const struct option longopts[] = {{NULL, 0, NULL, 0}};
	if (getopt_long(argc, argv, "+", longopts, NULL) != -1)
		return cli_usage_error("demo", "unknown option '%s'", argv[optind - 1]);
	if (argc - optind > 1)
		return cli_usage_error("demo", "unexpected argument '%s'", argv[optind + 1]);
	struct bl_error err = {{0}};
	char *dir;
	if (optind < argc) {
		dir = bl_xstrdup(argv[optind]);
		if (bl_mkdirs(dir, 0755, &err)) {
			cli_error("%s", err.msg);
			free(dir);
			return EXIT_RUNTIME;
		}
		char *abs = realpath(dir, NULL);
		if (abs) {
			free(dir);
			dir = abs;
		}
		/* The demo commits everything in DIR: it must not take the user's files. */
		DIR *d = opendir(dir);
		bool empty = d != NULL;
		struct dirent *de;
		while (d && empty && (de = readdir(d)) != NULL)
			empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
		if (d)
			closedir(d);
		if (!empty) {
			cli_error("'%s' is not empty; give a new or empty directory for the demo repository", dir);
			free(dir);
			return EXIT_USAGE;
		}
	} else {
		const char *tmp = getenv("TMPDIR");
		char *tmpl = bl_xasprintf("%s/benchline-demo-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(tmpl)) {
			cli_error("cannot create a directory under '%s'", tmp && *tmp ? tmp : "/tmp");
			free(tmpl);
			return EXIT_RUNTIME;
		}
		dir = tmpl;
	}
	cli_info("creating the sample repository in %s", dir);
	if (make_repo(dir, &err)) {
		cli_error("%s", err.msg);
		free(dir);
		return EXIT_RUNTIME;
	}
	cli_info("benchmarking its 12 commits (2 cases x (1 warm-up + 5 repetitions) each)");
	const char *saved = cli_chdir;
	cli_chdir = dir;
	/* A range leaves out its first end: name the root commit too. The
	 * repetitions go round all twelve commits (--interleave with a worktree
	 * each), so a machine that gets busier half-way slows every commit
	 * alike, not the last ones. */
	char *run_argv[] = {"run", "--interleave", "--worktrees", "12", "v1.0~11", "v1.0~11..v1.0", NULL};
	int rc = cli_cmd_run.fn(6, run_argv);
	if (rc == EXIT_OK) {
		char *show_argv[] = {"show", NULL};
		cli_chdir = dir;
		rc = cli_cmd_show.fn(1, show_argv);
	}
	if (rc == EXIT_OK) {
		/* The point of it all: which commits changed the speed, and how sure we are. */
		char *detect_argv[] = {"detect", NULL};
		printf("\n$ benchline detect\n");
		fflush(stdout);
		cli_chdir = dir;
		rc = cli_cmd_detect.fn(1, detect_argv);
	}
	cli_chdir = saved;
	if (rc == EXIT_OK) {
		/* benchline may not be on PATH yet: name the binary that ran. */
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		self[n > 0 ? n : 0] = '\0';
		const char *me = n > 0 ? self : "benchline";
		printf("\nCommit 6 ('Hash every byte twice for robustness') made checksum slower and\n"
		       "commit 10 ('Hash four independent lanes at once') made it faster.\n"
		       "Explore:\n"
		       "  %s -C %s show --metric throughput\n"
		       "  %s -C %s compare v1.0~7 v1.0~6\n"
		       "  %s -C %s bisect v1.0~11 v1.0~3 --benchmark checksum --case 'checksum[megabytes=16]'\n",
		       me, dir, me, dir, me, dir);
	}
	free(dir);
	return rc;
}

const struct cli_command cli_cmd_demo = {
	.name = "demo",
	.fn = cmd_demo_main,
	.summary = "run a real sweep over a generated sample repository",
	.usage = usage,
};
