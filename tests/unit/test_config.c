/*
 * test_config.c - benchline.yaml parsing, case expansion and word splitting.
 *
 * Error tests assert the exact FILE:LINE:COLUMN and the words a user needs to fix the file. Run under ASan, every
 * error path is also a leak test: a path that forgets to free fails the run at exit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "benchline/config.h"

#define FILE_NAME "benchline.yaml"

static void parse_ok(const char *text, struct bl_config *cfg)
{
	struct bl_error err = {{0}};
	if (bl_config_parse(FILE_NAME, text, strlen(text), cfg, &err) != 0)
		fail_msg("unexpected error: %s", err.msg);
}

/* Parses text, expecting failure at `where` ("benchline.yaml:L:C: ") with every word of the NULL-ended list. */
static void expect_error_v(const char *text, size_t len, const char *where, va_list ap)
{
	struct bl_config cfg;
	struct bl_error err = {{0}};
	memset(&cfg, 0x5a, sizeof(cfg));
	int rc = bl_config_parse(FILE_NAME, text, len, &cfg, &err);
	if (rc == 0) {
		bl_config_release(&cfg);
		fail_msg("parse succeeded, expected an error at %s", where);
	}
	assert_int_equal(rc, -1);
	if (strncmp(err.msg, where, strlen(where)) != 0)
		fail_msg("expected the error at '%s', got '%s'", where, err.msg);
	for (const char *w = va_arg(ap, const char *); w; w = va_arg(ap, const char *))
		if (!strstr(err.msg, w))
			fail_msg("expected '%s' in '%s'", w, err.msg);
	/* a failed parse leaves nothing to release */
	assert_null(cfg.benchmarks);
	assert_null(cfg.path);
	assert_null(cfg.suite.v);
}

static void expect_error(const char *text, const char *where, ...)
{
	va_list ap;
	va_start(ap, where);
	expect_error_v(text, strlen(text), where, ap);
	va_end(ap);
}

static void expect_error_len(const char *text, size_t len, const char *where, ...)
{
	va_list ap;
	va_start(ap, where);
	expect_error_v(text, len, where, ap);
	va_end(ap);
}

static void expect_exact_error(const char *text, const char *message)
{
	struct bl_config cfg;
	struct bl_error err = {{0}};
	if (bl_config_parse(FILE_NAME, text, strlen(text), &cfg, &err) == 0) {
		bl_config_release(&cfg);
		fail_msg("parse succeeded, expected '%s'", message);
	}
	assert_string_equal(err.msg, message);
}

#define HEAD "version: 1\nbenchmarks:\n" /* lines 1 and 2 of most error tests */

/* ---- a full configuration ---------------------------------------------------------------------------------- */

static const char full[] = "version: 1\n"
			   "suite: [bench/, ./tools//gen.py, bench/../scripts/]\n"
			   "build:\n"
			   "  commands:\n"
			   "    - [cmake, -S, ., -B, build]\n"
			   "    - make -C build 'CFLAGS=-O2 -g'\n"
			   "  timeout: 600.5\n"
			   "  env: {CC: gcc, JOBS: 4, BRACE: '{x}'}\n"
			   "defaults:\n"
			   "  warmup: 3\n"
			   "  repetitions: 7\n"
			   "  timeout: 12\n"
			   "benchmarks:\n"
			   "  - name: compress\n"
			   "    command: [./bench, --level, \"{level}\", \"--mode={mode}\"]\n"
			   "    cwd: bench/{mode}\n"
			   "    env:\n"
			   "      LEVEL: \"{level}\"\n"
			   "      PLAIN: yes\n"
			   "    params:\n"
			   "      level: [1, 9, 5]\n"
			   "      mode: [fast, \"very small\"]\n"
			   "    warmup: 0\n"
			   "    repetitions: 10\n"
			   "    timeout: 0.25\n"
			   "    files: commit\n"
			   "    metrics:\n"
			   "      from: protocol\n"
			   "      better: {ratio: higher, seconds: lower}\n"
			   "  - name: startup.cold:v2\n"
			   "    command: ./tool --x \"a b\" 'c d'\n"
			   "    metrics: protocol\n"
			   "  - name: piped\n"
			   "    shell: true\n"
			   "    command: 'echo {{x}} | wc -c'\n";

static void test_full_round_trip(void **state)
{
	struct bl_config cfg;
	parse_ok(full, &cfg);
	assert_string_equal(cfg.path, FILE_NAME);
	assert_int_equal(cfg.version, 1);
	/* suite paths come back normalised */
	assert_int_equal(cfg.suite.n, 3);
	assert_string_equal(cfg.suite.v[0], "bench");
	assert_string_equal(cfg.suite.v[1], "tools/gen.py");
	assert_string_equal(cfg.suite.v[2], "scripts");
	assert_null(cfg.suite.v[3]);

	assert_int_equal(cfg.build.n_commands, 2);
	assert_false(cfg.build.commands[0].shell);
	assert_int_equal(cfg.build.commands[0].argv.n, 5);
	assert_string_equal(cfg.build.commands[0].argv.v[4], "build");
	assert_int_equal(cfg.build.commands[0].line, 5);
	assert_int_equal(cfg.build.commands[0].column, 7);
	assert_int_equal(cfg.build.commands[1].argv.n, 4);
	assert_string_equal(cfg.build.commands[1].argv.v[0], "make");
	assert_string_equal(cfg.build.commands[1].argv.v[3], "CFLAGS=-O2 -g");
	assert_int_equal(cfg.build.commands[1].line, 6);
	assert_true(cfg.build.timeout_s == 600.5);
	assert_int_equal(cfg.build.n_env, 3);
	assert_string_equal(cfg.build.env[0].key, "CC");
	assert_string_equal(cfg.build.env[0].value, "gcc");
	assert_string_equal(cfg.build.env[1].key, "JOBS");
	assert_string_equal(cfg.build.env[1].value, "4");
	/* no parameters in the build: braces stay as written */
	assert_string_equal(cfg.build.env[2].value, "{x}");

	assert_int_equal(cfg.n_benchmarks, 3);
	const struct bl_benchmark_cfg *b = &cfg.benchmarks[0];
	assert_string_equal(b->name, "compress");
	assert_int_equal(b->line, 14);
	assert_int_equal(b->column, 5);
	assert_false(b->command.shell);
	assert_int_equal(b->command.line, 15);
	assert_int_equal(b->command.column, 14);
	assert_int_equal(b->command.argv.n, 4);
	assert_string_equal(b->command.argv.v[0], "./bench");
	assert_string_equal(b->command.argv.v[2], "{level}");
	assert_string_equal(b->command.argv.v[3], "--mode={mode}");
	assert_string_equal(b->cwd, "bench/{mode}");
	assert_int_equal(b->n_env, 2);
	assert_string_equal(b->env[0].key, "LEVEL");
	assert_string_equal(b->env[0].value, "{level}");
	assert_string_equal(b->env[1].key, "PLAIN");
	assert_string_equal(b->env[1].value, "yes");
	assert_int_equal(b->n_params, 2);
	assert_string_equal(b->params[0].name, "level");
	assert_int_equal(b->params[0].values.n, 3);
	assert_string_equal(b->params[0].values.v[0], "1");
	assert_string_equal(b->params[0].values.v[1], "9");
	assert_string_equal(b->params[0].values.v[2], "5");
	assert_string_equal(b->params[1].name, "mode");
	assert_string_equal(b->params[1].values.v[1], "very small");
	assert_int_equal(b->warmup, 0);
	assert_int_equal(b->repetitions, 10);
	assert_true(b->timeout_s == 0.25);
	assert_int_equal(b->files, BL_FILES_COMMIT);
	assert_string_equal(b->metrics_from, "protocol");
	assert_int_equal(b->n_metrics, 2);
	assert_string_equal(b->metrics[0].name, "ratio");
	assert_int_equal(b->metrics[0].better, BL_BETTER_HIGHER);
	assert_string_equal(b->metrics[1].name, "seconds");
	assert_int_equal(b->metrics[1].better, BL_BETTER_LOWER);

	b = &cfg.benchmarks[1];
	assert_string_equal(b->name, "startup.cold:v2");
	assert_int_equal(b->command.argv.n, 4);
	assert_string_equal(b->command.argv.v[2], "a b");
	assert_string_equal(b->command.argv.v[3], "c d");
	assert_null(b->cwd);
	assert_int_equal(b->n_env, 0);
	assert_int_equal(b->n_params, 0);
	/* defaults apply where the benchmark says nothing */
	assert_int_equal(b->warmup, 3);
	assert_int_equal(b->repetitions, 7);
	assert_true(b->timeout_s == 12.0);
	assert_int_equal(b->files, BL_FILES_CURRENT);
	assert_string_equal(b->metrics_from, "protocol");
	assert_int_equal(b->n_metrics, 0);

	b = &cfg.benchmarks[2];
	assert_true(b->command.shell);
	assert_int_equal(b->command.argv.n, 1);
	assert_string_equal(b->command.argv.v[0], "echo {{x}} | wc -c");
	assert_int_equal(strlen(cfg.file_hash), 64);
	bl_config_release(&cfg);
	assert_null(cfg.benchmarks);
	bl_config_release(&cfg); /* releasing twice is harmless */
}

static void test_builtin_defaults(void **state)
{
	struct bl_config cfg;
	parse_ok(HEAD "  - {name: a, command: [./a]}\n", &cfg);
	assert_int_equal(cfg.suite.n, 0);
	assert_non_null(cfg.suite.v);
	assert_int_equal(cfg.build.n_commands, 0);
	assert_true(cfg.build.timeout_s == 1800.0);
	assert_int_equal(cfg.build.n_env, 0);
	assert_int_equal(cfg.benchmarks[0].warmup, 1);
	assert_int_equal(cfg.benchmarks[0].repetitions, 5);
	assert_true(cfg.benchmarks[0].timeout_s == 60.0);
	assert_int_equal(cfg.benchmarks[0].files, BL_FILES_CURRENT);
	assert_string_equal(cfg.benchmarks[0].metrics_from, "protocol");
	assert_int_equal(cfg.sampling.interval_ms, 10);
	bl_config_release(&cfg);

	/* a harness format, with where its output is */
	parse_ok(HEAD "  - {name: a, command: [./a], metrics: {from: gbench, file: out/bm.json}}\n"
		      "  - {name: b, command: [./b], metrics: {from: regex, pattern: 't=(?<t>[0-9.]+)', units: {t: ms}}}\n"
		      "  - {name: c, command: [./c], metrics: hyperfine}\n",
		 &cfg);
	assert_string_equal(cfg.benchmarks[0].metrics_from, "gbench");
	assert_string_equal(cfg.benchmarks[0].metrics_file, "out/bm.json");
	assert_null(cfg.benchmarks[0].metrics_pattern);
	assert_string_equal(cfg.benchmarks[1].metrics_pattern, "t=(?<t>[0-9.]+)");
	assert_int_equal(cfg.benchmarks[1].n_metrics_units, 1);
	assert_string_equal(cfg.benchmarks[1].metrics_units[0].key, "t");
	assert_string_equal(cfg.benchmarks[1].metrics_units[0].value, "ms");
	assert_null(cfg.benchmarks[1].metrics_file);
	assert_string_equal(cfg.benchmarks[2].metrics_from, "hyperfine");
	bl_config_release(&cfg);
	/* a metrics mapping without 'from' reads the protocol */
	parse_ok(HEAD "  - {name: a, command: [./a], metrics: {better: {x: lower}}}\n", &cfg);
	assert_string_equal(cfg.benchmarks[0].metrics_from, "protocol");
	assert_int_equal(cfg.benchmarks[0].metrics[0].better, BL_BETTER_LOWER);
	bl_config_release(&cfg);
}

static void test_build_command_forms(void **state)
{
	struct bl_config cfg;
	parse_ok("version: 1\nbuild:\n  command: make -j2 \"CFLAGS=-O2 -g\"\n  timeout: 5\n"
		 "benchmarks: [{name: a, command: x}]\n",
		 &cfg);
	assert_int_equal(cfg.build.n_commands, 1);
	assert_false(cfg.build.commands[0].shell);
	assert_int_equal(cfg.build.commands[0].line, 3);
	assert_int_equal(cfg.build.commands[0].column, 12);
	assert_int_equal(cfg.build.commands[0].argv.n, 3);
	assert_string_equal(cfg.build.commands[0].argv.v[2], "CFLAGS=-O2 -g");
	assert_true(cfg.build.timeout_s == 5.0);
	bl_config_release(&cfg);

	parse_ok("version: 1\nbuild:\n  command: [make, install]\nbenchmarks: [{name: a, command: x}]\n", &cfg);
	assert_int_equal(cfg.build.commands[0].argv.n, 2);
	assert_string_equal(cfg.build.commands[0].argv.v[1], "install");
	bl_config_release(&cfg);

	/* with shell, each command is one string given to /bin/sh -c, braces untouched */
	parse_ok("version: 1\nbuild:\n  shell: true\n  commands:\n    - ./configure && make\n    - echo ${HOME}\n"
		 "benchmarks: [{name: a, command: x}]\n",
		 &cfg);
	assert_int_equal(cfg.build.n_commands, 2);
	assert_true(cfg.build.commands[0].shell);
	assert_true(cfg.build.commands[1].shell);
	assert_int_equal(cfg.build.commands[0].argv.n, 1);
	assert_string_equal(cfg.build.commands[0].argv.v[0], "./configure && make");
	assert_string_equal(cfg.build.commands[1].argv.v[0], "echo ${HOME}");
	assert_int_equal(cfg.build.commands[1].line, 6);
	bl_config_release(&cfg);

	/* a benchmark's shell string is kept whole */
	parse_ok(HEAD "  - {name: a, shell: true, command: \"  x  | y \"}\n", &cfg);
	assert_true(cfg.benchmarks[0].command.shell);
	assert_int_equal(cfg.benchmarks[0].command.argv.n, 1);
	assert_string_equal(cfg.benchmarks[0].command.argv.v[0], "  x  | y ");
	bl_config_release(&cfg);
}

static void test_file_hash_and_load(void **state)
{
	char path[] = "/tmp/test_config_XXXXXX";
	const char text[] = HEAD "  - {name: a, command: [./a]}\n";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct bl_config cfg;
	struct bl_error err = {{0}};
	assert_int_equal(bl_config_load(path, &cfg, &err), 0);
	assert_string_equal(cfg.path, path);
	/* printf 'version: 1\nbenchmarks:\n  - {name: a, command: [./a]}\n' | sha256sum */
	assert_string_equal(cfg.file_hash, "f7198206d412b91fc1d67a0b9c2c6f977697ad63faa1ad2da042536253c41d8d");
	bl_config_release(&cfg);
	unlink(path);
}

static void test_load_missing_file(void **state)
{
	struct bl_config cfg;
	struct bl_error err = {{0}};
	assert_int_equal(bl_config_load("/nonexistent/benchline.yaml", &cfg, &err), -1);
	assert_string_equal(err.msg, "cannot open '/nonexistent/benchline.yaml': No such file or directory");
	assert_null(cfg.benchmarks);
	bl_config_release(&cfg);
}

static void test_example_parses(void **state)
{
	struct bl_config cfg;
	const char *text = bl_config_example();
	parse_ok(text, &cfg);
	assert_int_equal(cfg.version, 1);
	assert_int_equal(cfg.suite.n, 1);
	assert_true(cfg.build.n_commands >= 1);
	assert_int_equal(cfg.n_benchmarks, 3);
	bool shell = false, commit = false, params = false, better = false;
	for (size_t i = 0; i < cfg.n_benchmarks; i++) {
		shell |= cfg.benchmarks[i].command.shell;
		commit |= cfg.benchmarks[i].files == BL_FILES_COMMIT;
		params |= cfg.benchmarks[i].n_params > 0;
		better |= cfg.benchmarks[i].n_metrics > 0;
	}
	assert_true(shell && commit && params && better);
	/* every key of the format appears in the example */
	static const char *const keys[] = {
	    "version:", "suite:",    "build:",	 "command:",	 "commands:",	"shell:", "timeout:",
	    "env:",	"defaults:", "warmup:",	 "repetitions:", "benchmarks:", "name:",  "cwd:",
	    "params:",	"files:",    "metrics:", "from:",	 "better:",	"sampling:", "interval_ms:",
	    "file:",	"pattern:",  "units:",	 NULL};
	for (size_t i = 0; keys[i]; i++)
		if (!strstr(text, keys[i]))
			fail_msg("the example does not show '%s'", keys[i]);
	struct bl_case *cases;
	size_t n;
	struct bl_error err = {{0}};
	assert_int_equal(bl_config_cases(&cfg, &cases, &n, &err), 0);
	assert_int_equal(n, 6);
	bl_cases_free(cases, n);
	assert_int_equal(cfg.sampling.interval_ms, 10);
	bl_config_release(&cfg);
}

/* 'sampling: {interval_ms: N}': 0 turns sampling off; strict like every other section. */
static void test_sampling(void **state)
{
	struct bl_config cfg;
	parse_ok("version: 1\nsampling:\n  interval_ms: 0\nbenchmarks:\n  - {name: a, command: [./a]}\n", &cfg);
	assert_int_equal(cfg.sampling.interval_ms, 0);
	bl_config_release(&cfg);
	parse_ok("version: 1\nsampling: {interval_ms: 250}\nbenchmarks:\n  - {name: a, command: [./a]}\n", &cfg);
	assert_int_equal(cfg.sampling.interval_ms, 250);
	bl_config_release(&cfg);
	/* an empty mapping keeps the default */
	parse_ok("version: 1\nsampling: {}\nbenchmarks:\n  - {name: a, command: [./a]}\n", &cfg);
	assert_int_equal(cfg.sampling.interval_ms, 10);
	bl_config_release(&cfg);

	expect_error("version: 1\nsampling:\n  interval: 5\nbenchmarks:\n  - {name: a, command: [./a]}\n",
		     FILE_NAME ":3:3: ", "interval", "'sampling'", NULL);
	expect_error("version: 1\nsampling:\n  interval_ms: -1\nbenchmarks:\n  - {name: a, command: [./a]}\n",
		     FILE_NAME ":3:16: ", "'interval_ms'", NULL);
	expect_error("version: 1\nsampling:\n  interval_ms: 2.5\nbenchmarks:\n  - {name: a, command: [./a]}\n",
		     FILE_NAME ":3:16: ", "'interval_ms'", NULL);
	expect_error("version: 1\nsampling:\n  interval_ms: fast\nbenchmarks:\n  - {name: a, command: [./a]}\n",
		     FILE_NAME ":3:16: ", "'interval_ms'", NULL);
	expect_error("version: 1\nsampling: 10\nbenchmarks:\n  - {name: a, command: [./a]}\n", FILE_NAME ":2:11: ",
		     "'sampling' must be a mapping", NULL);
}

#define BENCH_TAIL "benchmarks:\n  - {name: a, command: [./a]}\n"

static void test_report_section(void **state)
{
	(void)state;
	struct bl_config cfg;
	parse_ok("version: 1\n" BENCH_TAIL, &cfg);
	assert_null(cfg.report.commit_url);
	assert_null(cfg.report.title);
	bl_config_release(&cfg);
	parse_ok("version: 1\nreport:\n  commit_url: https://github.com/o/r/commit/{sha}\n  title: \"<b>x</b>\"\n" BENCH_TAIL,
		 &cfg);
	assert_string_equal(cfg.report.commit_url, "https://github.com/o/r/commit/{sha}");
	assert_string_equal(cfg.report.title, "<b>x</b>"); /* escaped where it is shown, not here */
	bl_config_release(&cfg);
	expect_error("version: 1\nreport:\n  commit_url: javascript:alert(1)//{sha}\n" BENCH_TAIL, FILE_NAME ":3:15: ",
		     "https://", NULL);
	expect_error("version: 1\nreport:\n  commit_url: https://example.com/commit/\n" BENCH_TAIL, FILE_NAME ":3:15: ",
		     "{sha}", NULL);
	expect_error("version: 1\nreport:\n  commit_url: 'https://x/{sha}\"onmouseover=\"a'\n" BENCH_TAIL,
		     FILE_NAME ":3:15: ", "quotes", NULL);
	expect_error("version: 1\nreport:\n  url: https://x/{sha}\n" BENCH_TAIL, FILE_NAME ":3:3: ", "'report'", NULL);
	expect_error("version: 1\nreport: [a]\n" BENCH_TAIL, FILE_NAME ":2:9: ", "mapping", NULL);
}

static void test_analysis(void **state)
{
	struct bl_config cfg;
	parse_ok("version: 1\n" BENCH_TAIL, &cfg);
	assert_true(cfg.analysis.alpha == 0.01);
	assert_true(cfg.analysis.noise_floor == 0.01);
	assert_true(bl_analysis_floor(&cfg.analysis, "wall_time") == 0.01);
	bl_config_release(&cfg);
	parse_ok("version: 1\nanalysis:\n  alpha: 0.05\n  noise_floor: 2.5%\n"
		 "  noise_floors: {peak_memory: 5%, wall_time: \"0.5 %\", ratio: 3}\n" BENCH_TAIL,
		 &cfg);
	assert_true(cfg.analysis.alpha == 0.05);
	assert_true(fabs(cfg.analysis.noise_floor - 0.025) < 1e-12);
	assert_true(fabs(bl_analysis_floor(&cfg.analysis, "peak_memory") - 0.05) < 1e-12);
	assert_true(fabs(bl_analysis_floor(&cfg.analysis, "wall_time") - 0.005) < 1e-12);
	assert_true(fabs(bl_analysis_floor(&cfg.analysis, "ratio") - 0.03) < 1e-12);
	assert_true(fabs(bl_analysis_floor(&cfg.analysis, "other") - 0.025) < 1e-12);
	bl_config_release(&cfg);

	expect_error("version: 1\nanalysis:\n  alpha: 0.7\n" BENCH_TAIL, FILE_NAME ":3:10: ", "'alpha'", NULL);
	expect_error("version: 1\nanalysis:\n  alpha: often\n" BENCH_TAIL, FILE_NAME ":3:10: ", "'alpha'", NULL);
	expect_error("version: 1\nanalysis:\n  noise_floor: -1%\n" BENCH_TAIL, FILE_NAME ":3:16: ", "percentage",
		     NULL);
	expect_error("version: 1\nanalysis:\n  noise_floor: 1e3%\n" BENCH_TAIL, FILE_NAME ":3:16: ", "percentage",
		     NULL);
	expect_error("version: 1\nanalysis:\n  floor: 1%\n" BENCH_TAIL, FILE_NAME ":3:3: ", "floor", "'analysis'",
		     NULL);
	expect_error("version: 1\nanalysis:\n  noise_floors: [wall_time]\n" BENCH_TAIL, FILE_NAME ":3:17: ",
		     "'noise_floors'", NULL);
	expect_error("version: 1\nanalysis:\n  noise_floors: {a: 1%, a: 2%}\n" BENCH_TAIL, FILE_NAME ":3:",
		     NULL);
	expect_error("version: 1\nanalysis: 1%\n" BENCH_TAIL, FILE_NAME ":2:11: ", "'analysis' must be a mapping",
		     NULL);
}

static void test_parse_percent(void **state)
{
	double v;
	assert_int_equal(bl_parse_percent("1%", &v), 0);
	assert_true(fabs(v - 0.01) < 1e-15);
	assert_int_equal(bl_parse_percent("0.5", &v), 0);
	assert_true(fabs(v - 0.005) < 1e-15);
	assert_int_equal(bl_parse_percent("12 %", &v), 0);
	assert_true(fabs(v - 0.12) < 1e-15);
	const char *bad[] = {"", "%", "-1%", "1e2", "nan", "inf", "1%%", "x1", "1000", " 1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (bl_parse_percent(bad[i], &v) == 0)
			fail_msg("'%s' was accepted as a percentage", bad[i]);
}

/* Every prefix of the example is some kind of broken file: each must fail cleanly or parse, never crash or leak,
 * and every error must be positioned. */
static void test_truncated_example_never_crashes(void **state)
{
	const char *text = bl_config_example();
	size_t len = strlen(text);
	for (size_t i = 0; i < len; i++) {
		struct bl_config cfg;
		struct bl_error err = {{0}};
		if (bl_config_parse(FILE_NAME, text, i, &cfg, &err) == 0) {
			bl_config_release(&cfg);
			continue;
		}
		unsigned line, col;
		char colon;
		if (sscanf(err.msg, FILE_NAME ":%u:%u%c", &line, &col, &colon) != 3 || colon != ':' || !line || !col)
			fail_msg("prefix %zu: unpositioned error '%s'", i, err.msg);
	}
}

/* ---- errors ------------------------------------------------------------------------------------------------ */

static void test_error_wrong_types(void **state)
{
	expect_exact_error(HEAD "  - name: a\n    command: [./a]\n    repetitions: five\n",
			   FILE_NAME ":5:18: 'repetitions' must be an integer >= 1, got 'five'");
	expect_error(HEAD "  - name: a\n    command: [./a]\n    warmup: 1.5\n",
		     FILE_NAME ":5:13: ", "'warmup' must be an integer >= 0", "'1.5'", NULL);
	/* quoted numbers are strings: refused, with the reason */
	expect_error(HEAD "  - name: a\n    command: [./a]\n    repetitions: \"5\"\n",
		     FILE_NAME ":5:18: ", "'repetitions' must be an integer", "quoted", NULL);
	expect_error(HEAD "  - name: a\n    command: [./a]\n    timeout: fast\n",
		     FILE_NAME ":5:14: ", "'timeout' must be a number of seconds > 0", "'fast'", NULL);
	expect_error(HEAD "  - name: a\n    command: [./a]\n    timeout: 0\n",
		     FILE_NAME ":5:14: ", "'timeout' must be a number of seconds > 0", NULL);
	expect_error(HEAD "  - name: a\n    command: [./a]\n    timeout: -3\n", FILE_NAME ":5:14: ", "> 0", NULL);
	expect_error(HEAD "  - name: a\n    command: [./a]\n    timeout: inf\n", FILE_NAME ":5:14: ", "> 0", NULL);
	expect_error(HEAD "  - name: a\n    command: [./a]\n    shell: yes\n",
		     FILE_NAME ":5:12: ", "'shell' must be true or false", "'yes'", NULL);
	expect_error(HEAD "  - name: [a]\n    command: [./a]\n", FILE_NAME ":3:11: ", "'name' must be a string",
		     "a list", NULL);
	expect_error(HEAD "  - name:\n    command: [./a]\n", FILE_NAME ":3:10: ", "'name' must be a string",
		     "an empty value", NULL);
	expect_error(HEAD "  - name: a\n    command: {x: y}\n",
		     FILE_NAME ":4:14: ", "'command' must be a string or a list of strings", "a mapping", NULL);
	expect_error(HEAD "  - name: a\n    command: [./a, [b]]\n", FILE_NAME ":4:20: ", "must be a string", NULL);
	expect_error(HEAD "  - name: a\n    command: []\n", FILE_NAME ":4:14: ", "must not be an empty list", NULL);
	expect_error(HEAD "  - name: a\n    command: \"  \"\n", FILE_NAME ":4:14: ", "must not be empty", NULL);
	expect_error(HEAD "  - name: a\n    command: [\"\", x]\n", FILE_NAME ":4:14: ", "program", "empty", NULL);
	expect_error("version: 1\nbenchmarks: {a: 1}\n", FILE_NAME ":2:13: ", "'benchmarks' must be a non-empty list",
		     "a mapping", NULL);
	expect_error("version: 1\nbenchmarks: []\n", FILE_NAME ":2:13: ", "'benchmarks' must be a non-empty list",
		     NULL);
	expect_error(HEAD "  - just-a-string\n", FILE_NAME ":3:5: ", "each benchmark must be a mapping", NULL);
	expect_error("- version: 1\n", FILE_NAME ":1:1: ", "the top level must be a mapping", "a list", NULL);
	expect_error("version: 1\nsuite: bench\n"
		     "benchmarks: [{name: a, command: x}]\n",
		     FILE_NAME ":2:8: ", "'suite' must be a list of paths", NULL);
	expect_error(HEAD "  - name: a\n    command: [./a]\n    env: {A: [1]}\n",
		     FILE_NAME ":5:14: ", "environment variable 'A' must be a string or number", "a list", NULL);
	expect_error(HEAD "  - name: a\n    command: [./a]\n    env: [A]\n",
		     FILE_NAME ":5:10: ", "'env' must be a mapping", NULL);
	expect_error(HEAD "  - name: a\n    command: [./a]\n    files: later\n",
		     FILE_NAME ":5:12: ", "'files' must be current or commit", "'later'", NULL);
	expect_error("version: 1\nbuild: make\n"
		     "benchmarks: [{name: a, command: x}]\n",
		     FILE_NAME ":2:8: ", "'build' must be a mapping", NULL);
	expect_error("version: 1\ndefaults: 3\n"
		     "benchmarks: [{name: a, command: x}]\n",
		     FILE_NAME ":2:11: ", "'defaults' must be a mapping", NULL);
	expect_error("version: 1\ndefaults: {repetitions: 0}\n"
		     "benchmarks: [{name: a, command: x}]\n",
		     FILE_NAME ":2:25: ", "'repetitions'", "out of range", "from 1", NULL);
	expect_error(HEAD "  - {name: a, command: x, cwd: ~}\n", FILE_NAME ":3:32: ", "'cwd' must be a string", "null",
		     NULL);
}

static void test_error_out_of_range(void **state)
{
	expect_error(HEAD "  - name: a\n    command: [./a]\n    repetitions: 99999999999999999999\n",
		     FILE_NAME ":5:18: ", "'repetitions' is out of range", "1 to 1000000", "99999999999999999999",
		     NULL);
	expect_error(HEAD "  - name: a\n    command: [./a]\n    warmup: -1\n",
		     FILE_NAME ":5:13: ", "'warmup' is out of range", "from 0", NULL);
	expect_error(HEAD "  - name: a\n    command: [./a]\n    repetitions: 2000000\n",
		     FILE_NAME ":5:18: ", "out of range", NULL);
	expect_error(HEAD "  - name: a\n    command: [./a]\n    timeout: 1e300\n",
		     FILE_NAME ":5:14: ", "'timeout' is out of range", "at most 1000000 seconds", NULL);
	expect_error("version: 2\nbenchmarks: [{name: a, command: x}]\n",
		     FILE_NAME ":1:10: ", "unsupported 'version' 2", "expected 1", NULL);
	expect_error("version: 99999999999\nbenchmarks: [{name: a, command: x}]\n",
		     FILE_NAME ":1:10: ", "unsupported 'version' 99999999999", NULL);
	expect_error("version: \"1\"\nbenchmarks: [{name: a, command: x}]\n",
		     FILE_NAME ":1:10: ", "'version' must be 1, got '1' (quoted", NULL);
	expect_error("version: 1.0\nbenchmarks: [{name: a, command: x}]\n",
		     FILE_NAME ":1:10: ", "'version' must be 1, got '1.0'", NULL);
}

static void test_error_unknown_keys(void **state)
{
	expect_error(HEAD "  - name: a\n    command: [./a]\n    repetition: 3\n",
		     FILE_NAME ":5:5: ", "unknown key 'repetition' in benchmark",
		     "allowed: name, command, shell, cwd, env, params, warmup, repetitions, timeout, files, metrics",
		     NULL);
	expect_error("version: 1\nbenchmark: []\n", FILE_NAME ":2:1: ", "unknown key 'benchmark' in the top level",
		     "allowed: version, suite, build, defaults, sampling, analysis, report, db, benchmarks", NULL);
	expect_error("version: 1\nbuild: {cmd: make}\nbenchmarks: [{name: a, command: x}]\n",
		     FILE_NAME ":2:9: ", "unknown key 'cmd' in 'build'",
		     "allowed: command, commands, shell, timeout, env", NULL);
	expect_error("version: 1\ndefaults: {warmups: 1}\nbenchmarks: [{name: a, command: x}]\n",
		     FILE_NAME ":2:12: ", "unknown key 'warmups' in 'defaults'",
		     "allowed: warmup, repetitions, timeout", NULL);
	expect_error(HEAD "  - {name: a, command: x, metrics: {source: protocol}}\n",
		     FILE_NAME ":3:37: ", "unknown key 'source' in 'metrics'", "allowed: from, file, pattern, units, better", NULL);
	expect_error(HEAD "  - {name: a, command: x, [k]: v}\n", FILE_NAME ":3:27: ", "keys in benchmark must be names",
		     NULL);
}

static void test_error_missing_required(void **state)
{
	expect_error("benchmarks: [{name: a, command: x}]\n", FILE_NAME ":1:1: ", "missing required key 'version'",
		     "version: 1", NULL);
	expect_error("version: 1\nsuite: [a]\n", FILE_NAME ":1:1: ", "missing required key 'benchmarks'", NULL);
	expect_error(HEAD "  - command: [./a]\n", FILE_NAME ":3:5: ", "missing required key 'name' in benchmark", NULL);
	expect_error(HEAD "  - name: a\n", FILE_NAME ":3:5: ", "missing required key 'command' in benchmark 'a'", NULL);
	expect_error("version: 1\nbuild:\n  shell: true\nbenchmarks: [{name: a, command: x}]\n",
		     FILE_NAME ":3:3: ", "missing 'command' or 'commands' in 'build'", NULL);
}

static void test_error_duplicates(void **state)
{
	expect_exact_error(HEAD
			   "  - name: a\n    command: x\n  - name: b\n    command: y\n  - name: a\n    command: z\n",
			   FILE_NAME ":7:11: duplicate benchmark name 'a' (first defined at line 3, column 5)");
	expect_error(HEAD "  - name: a\n    command: x\n    name: b\n",
		     FILE_NAME ":5:5: ", "duplicate key 'name' in benchmark", "first at line 3, column 5", NULL);
	expect_error("version: 1\nversion: 1\nbenchmarks: [{name: a, command: x}]\n",
		     FILE_NAME ":2:1: ", "duplicate key 'version'", NULL);
	expect_error(HEAD "  - {name: a, command: x, env: {A: 1, A: 2}}\n",
		     FILE_NAME ":3:39: ", "duplicate key 'A' in 'env'", "first at line 3, column 33", NULL);
	expect_error(HEAD "  - {name: a, command: x, params: {p: [1, 2, 1]}}\n",
		     FILE_NAME ":3:46: ", "parameter 'p' lists the value '1' twice", NULL);
	expect_error("version: 1\nsuite: [bench, ./bench/]\nbenchmarks: [{name: a, command: x}]\n",
		     FILE_NAME ":2:16: ", "'suite' lists 'bench' twice", NULL);
}

static void test_error_param_references(void **state)
{
	/* the location is that of the string holding the reference */
	expect_exact_error(HEAD "  - name: a\n    command: [./a, --n, \"{n}\", \"{foo}\"]\n    params: {n: [1, 2]}\n",
			   FILE_NAME ":4:32: 'command' refers to undeclared parameter '{foo}' (declared params: n)");
	expect_error(HEAD "  - name: a\n    command: ./a --level {level}\n",
		     FILE_NAME ":4:14: ", "'command' refers to undeclared parameter '{level}'", "declares no params",
		     NULL);
	expect_error(HEAD "  - name: a\n    command: [./a]\n    cwd: dir/{where}\n",
		     FILE_NAME ":5:10: ", "'cwd' refers to undeclared parameter '{where}'", NULL);
	expect_error(HEAD "  - name: a\n    command: [./a]\n    env:\n      LEVEL: x{lvl}\n",
		     FILE_NAME ":6:14: ", "environment variable 'LEVEL' refers to undeclared parameter '{lvl}'", NULL);
	expect_error(HEAD "  - name: a\n    shell: true\n    command: echo ${HOME}\n",
		     FILE_NAME ":5:14: ", "undeclared parameter '{HOME}'", NULL);
	expect_error(HEAD "  - name: a\n    command: [./a, \"{n\"]\n    params: {n: [1]}\n",
		     FILE_NAME ":4:20: ", "unclosed '{'", "'{{'", NULL);
	expect_error(HEAD "  - name: a\n    command: [./a, \"n}\"]\n    params: {n: [1]}\n",
		     FILE_NAME ":4:20: ", "lone '}'", "'}}'", NULL);
	/* JSON in a command needs its braces doubled; the message says so */
	expect_error(HEAD "  - name: a\n    shell: true\n    command: |-\n      echo '{\"n\": 1}' >> out\n",
		     FILE_NAME ":5:14: ", "'command' has '{\"n\": 1}', which is not a parameter reference",
		     "write '{{' and '}}' for literal braces", NULL);
	expect_error(HEAD "  - {name: a, command: [x, '{}']}\n", FILE_NAME ":3:28: ", "'{}', which is not a parameter",
		     NULL);
	struct bl_config json;
	parse_ok(HEAD "  - name: a\n    shell: true\n    command: |-\n      echo '{{\"n\": {{\"m\": 1}}}}'\n", &json);
	struct bl_case *cases;
	size_t n;
	struct bl_error err = {{0}};
	assert_int_equal(bl_config_cases(&json, &cases, &n, &err), 0);
	assert_string_equal(cases[0].command.argv.v[0], "echo '{\"n\": {\"m\": 1}}'");
	bl_cases_free(cases, n);
	bl_config_release(&json);
	/* declared but unused is fine */
	struct bl_config cfg;
	parse_ok(HEAD "  - {name: a, command: [./a], params: {unused: [1, 2]}}\n", &cfg);
	bl_config_release(&cfg);
}

static void test_error_empty_and_documents(void **state)
{
	expect_exact_error("", FILE_NAME ":1:1: the file is empty (expected a mapping with 'version: 1' and "
					 "'benchmarks')");
	expect_error("# only a comment\n\n", FILE_NAME ":1:1: ", "the file is empty", NULL);
	expect_error(HEAD "  - {name: a, command: x}\n---\nversion: 1\n", FILE_NAME ":4:1: ", "second YAML document",
		     "exactly one", NULL);
	expect_error(HEAD "  - {name: a, command: x}\n---\n", FILE_NAME ":4:1: ", "second YAML document", NULL);
	expect_error("---\n", FILE_NAME ":2:1: ", "the top level must be a mapping", "an empty value", NULL);
}

static void test_error_yaml_syntax(void **state)
{
	expect_exact_error("version: 1\nbenchmarks: [a\n",
			   FILE_NAME ":3:1: invalid YAML: did not find expected ',' or ']' (while parsing a flow "
				     "sequence at line 2, column 13)");
	expect_error("version: 1\nsuite: a: b\n", FILE_NAME ":2:9: ", "invalid YAML",
		     "mapping values are not allowed in this context", NULL);
	expect_error("version: 1\nname: \"open\n", FILE_NAME ":3:1: ", "invalid YAML", "quoted scalar", NULL);
	/* libyaml reports reader errors by offset; still a line and column */
	expect_error("version: 1\nsuite: [\xff]\n", FILE_NAME ":2:9: ", "invalid YAML", "UTF-8", NULL);
	static const char nul[] = "version: 1\nsuite: [\"a\\0b\"]\nbenchmarks: [{name: a, command: x}]\n";
	expect_error_len(nul, sizeof(nul) - 1, FILE_NAME ":2:9: ", "NUL", NULL);
	/* a raw NUL byte in the file is refused by the reader */
	static const char raw_nul[] = "version: 1\nsuite: [a\0b]\n";
	expect_error_len(raw_nul, sizeof(raw_nul) - 1, FILE_NAME ":2:10: ", "invalid YAML", NULL);
}

static void test_error_aliases_and_tags(void **state)
{
	expect_error("version: 1\nx: &cmd [./a]\n", FILE_NAME ":2:4: ", "anchors ('&cmd') are not supported", NULL);
	expect_error("version: 1\nbenchmarks: [{name: a, command: *cmd}]\n", FILE_NAME ":2:33: ", "invalid YAML",
		     "undefined alias", NULL);
	expect_error("version: 1\nbenchmarks:\n  - {name: a, command: !!str x}\n", FILE_NAME ":3:24: ", "YAML tags",
		     "not supported", NULL);
}

static void test_error_commands(void **state)
{
	expect_error("version: 1\nbuild:\n  command: make\n  commands: [make]\nbenchmarks: [{name: a, command: x}]\n",
		     FILE_NAME ":4:3: ", "'command' and 'commands' are mutually exclusive", NULL);
	expect_error("version: 1\nbuild:\n  shell: true\n  commands: [make, [make, install]]\n"
		     "benchmarks: [{name: a, command: x}]\n",
		     FILE_NAME ":4:20: ", "must be a single string when 'shell' is true", NULL);
	expect_error("version: 1\nbuild:\n  commands: []\nbenchmarks: [{name: a, command: x}]\n",
		     FILE_NAME ":3:13: ", "'commands' must be a non-empty list", NULL);
	expect_error(HEAD "  - name: a\n    shell: true\n    command: [sh, -c, x]\n",
		     FILE_NAME ":5:14: ", "'command' must be a single string when 'shell' is true", NULL);
	expect_error(HEAD "  - name: a\n    command: ./a 'open\n", FILE_NAME ":4:14: ", "cannot split 'command'",
		     "unclosed single quote", NULL);
}

static void test_error_paths(void **state)
{
	expect_error("version: 1\nsuite: [/abs/bench]\nbenchmarks: [{name: a, command: x}]\n",
		     FILE_NAME ":2:9: ", "'suite' path '/abs/bench' must be relative", NULL);
	expect_error("version: 1\nsuite: [bench/../../x]\nbenchmarks: [{name: a, command: x}]\n",
		     FILE_NAME ":2:9: ", "escapes the repository through '..'", NULL);
	expect_error("version: 1\nsuite: [.]\nbenchmarks: [{name: a, command: x}]\n",
		     FILE_NAME ":2:9: ", "names the whole repository", NULL);
	expect_error("version: 1\nsuite: [.git/hooks]\nbenchmarks: [{name: a, command: x}]\n",
		     FILE_NAME ":2:9: ", "'.git'", NULL);
	expect_error(HEAD "  - {name: a, command: x, cwd: ../other}\n",
		     FILE_NAME ":3:32: ", "'cwd' '../other' escapes the repository", NULL);
	expect_error(HEAD "  - {name: a, command: x, cwd: ''}\n", FILE_NAME ":3:32: ", "'cwd' '' is empty", NULL);
	/* a parameter value can make cwd escape: found at load time, with the combination */
	expect_error(HEAD "  - name: a\n    command: x\n    cwd: \"{d}/sub\"\n    params: {d: [ok, ../..]}\n",
		     FILE_NAME ":5:10: ", "'cwd' '../../sub' with d=../..", "escapes", NULL);
	expect_error(HEAD "  - name: a\n    command: [\"{prog}\"]\n    params: {prog: [./a, '']}\n",
		     FILE_NAME ":4:14: ", "the program (first word) of 'command' with prog= is empty", NULL);
}

static void test_error_names(void **state)
{
	expect_error(HEAD "  - {name: 'a b', command: x}\n", FILE_NAME ":3:12: ", "benchmark name 'a b' is not valid",
		     "[A-Za-z0-9_.:-]", NULL);
	expect_error(HEAD "  - {name: a/b, command: x}\n", FILE_NAME ":3:12: ", "not valid", NULL);
	expect_error(HEAD "  - {name: .., command: x}\n", FILE_NAME ":3:12: ", "not valid", NULL);
	expect_error(HEAD "  - {name: '', command: x}\n", FILE_NAME ":3:12: ", "not valid", NULL);
	expect_error(HEAD "  - {name: a, command: x, env: {1A: x}}\n",
		     FILE_NAME ":3:33: ", "environment variable name '1A' is not valid", NULL);
	expect_error(HEAD "  - {name: a, command: x, env: {BENCHLINE_METRICS: x}}\n", FILE_NAME ":3:33: ", "reserved",
		     NULL);
	expect_error(HEAD "  - {name: a, command: x, params: {my-p: [1]}}\n",
		     FILE_NAME ":3:36: ", "parameter name 'my-p' is not valid", NULL);
	expect_error(HEAD "  - {name: a, command: x, params: {p: []}}\n",
		     FILE_NAME ":3:39: ", "parameter 'p' must be a non-empty list", NULL);
	expect_error(HEAD "  - {name: a, command: x, params: {p: 3}}\n",
		     FILE_NAME ":3:39: ", "parameter 'p' must be a non-empty list", "'3'", NULL);
	expect_error(HEAD "  - {name: a, command: x, params: {p: [1, {a: b}]}}\n",
		     FILE_NAME ":3:43: ", "values of parameter 'p' must be strings or numbers", NULL);
	expect_error(HEAD "  - {name: a, command: x, params: [p]}\n", FILE_NAME ":3:35: ", "'params' must be a mapping",
		     NULL);
}

static void test_error_metrics(void **state)
{
	expect_exact_error(HEAD "  - {name: a, command: x, metrics: gbenchmark}\n",
			   FILE_NAME ":3:36: unsupported metrics source 'gbenchmark' (supported: protocol, gbench, "
				     "hyperfine, pytest-benchmark, criterion, gotest, llama-bench, optimum-benchmark, regex)");
	expect_error(HEAD "  - {name: a, command: x, metrics: {from: csv}}\n",
		     FILE_NAME ":3:43: ", "unsupported metrics source 'csv'", "supported: protocol, gbench", NULL);
	/* Keys that do not fit the source are errors, not ignored. */
	expect_error(HEAD "  - {name: a, command: x, metrics: {from: protocol, file: out.json}}\n",
		     FILE_NAME ":3:59: ", "'file' needs a harness format in 'from'", NULL);
	expect_error(HEAD "  - {name: a, command: x, metrics: {from: gbench, pattern: 'x'}}\n",
		     FILE_NAME ":3:60: ", "'pattern' is only for 'from: regex'", NULL);
	expect_error(HEAD "  - {name: a, command: x, metrics: {from: gbench, units: {a: s}}}\n",
		     FILE_NAME ":3:58: ", "'units' is only for 'from: regex'", NULL);
	expect_error(HEAD "  - {name: a, command: x, metrics: regex}\n", FILE_NAME ":3:36: ",
		     "'from: regex' needs a 'pattern' with named groups", NULL);
	expect_error(HEAD "  - {name: a, command: x, metrics: {from: regex, pattern: 't=([0-9]+)'}}\n",
		     FILE_NAME ":3:59: ", "pattern has no named group", NULL);
	expect_error(HEAD "  - {name: a, command: x, metrics: {from: regex, pattern: '(?<t>[0-9]+'}}\n",
		     FILE_NAME ":3:59: ", "not a valid POSIX extended regular expression", NULL);
	expect_error(HEAD "  - {name: a, command: x, metrics: {from: regex, pattern: '(?<t>x)', units: [s]}}\n",
		     FILE_NAME ":3:77: ", "'units' must be a mapping", NULL);
	expect_error(HEAD "  - {name: a, command: x, metrics: {from: gbench, file: /tmp/out.json}}\n",
		     FILE_NAME ":3:57: ", "'file' '/tmp/out.json' must be relative", NULL);
	expect_error(HEAD "  - {name: a, command: x, metrics: {from: gbench, file: ../out.json}}\n",
		     FILE_NAME ":3:57: ", "must not leave the benchmark's directory", NULL);
	/* {param} in 'file': declared, and no value may make it leave the directory */
	expect_error(HEAD "  - {name: a, command: x, metrics: {from: gbench, file: 'out-{size}.json'}}\n",
		     FILE_NAME ":3:57: ", "'file'", "size", NULL);
	expect_error(HEAD "  - {name: a, command: x, params: {d: [ok, ..]}, metrics: {from: gbench, file: '{d}/o.json'}}\n",
		     FILE_NAME ":3:", "'file' '../o.json' with d=..", "must not leave the benchmark's directory", NULL);
	expect_error(HEAD "  - {name: a, command: x, metrics: {better: {t: smaller}}}\n",
		     FILE_NAME ":3:49: ", "'better' for metric 't' must be lower or higher", "'smaller'", NULL);
	expect_error(HEAD "  - {name: a, command: x, metrics: {better: [t]}}\n",
		     FILE_NAME ":3:45: ", "'better' must be a mapping", NULL);
	expect_error(HEAD "  - {name: a, command: x, metrics: [protocol]}\n",
		     FILE_NAME ":3:36: ", "'metrics' must be a source", NULL);
}

static void test_error_matrix_too_large(void **state)
{
	expect_error(HEAD "  - name: a\n    command: x\n    params:\n"
			  "      a: [0,1,2,3,4,5,6,7,8,9]\n      b: [0,1,2,3,4,5,6,7,8,9]\n"
			  "      c: [0,1,2,3,4,5,6,7,8,9]\n      d: [0,1,2,3,4,5,6,7,8,9]\n"
			  "      e: [0,1,2,3,4,5,6,7,8,9]\n      f: [0,1]\n",
		     FILE_NAME ":6:7: ", "more than 100000 combinations", NULL);
}

/* ---- cases ------------------------------------------------------------------------------------------------- */

static void test_cases_product_and_substitution(void **state)
{
	struct bl_config cfg;
	struct bl_case *cases;
	size_t n;
	struct bl_error err = {{0}};
	parse_ok(full, &cfg);
	assert_int_equal(bl_config_cases(&cfg, &cases, &n, &err), 0);
	assert_int_equal(n, 3 * 2 + 1 + 1);
	/* declaration order, last parameter fastest */
	static const char *const labels[] = {"compress[level=1,mode=fast]",
					     "compress[level=1,mode=very small]",
					     "compress[level=9,mode=fast]",
					     "compress[level=9,mode=very small]",
					     "compress[level=5,mode=fast]",
					     "compress[level=5,mode=very small]",
					     "startup.cold:v2",
					     "piped"};
	for (size_t i = 0; i < n; i++)
		assert_string_equal(cases[i].label, labels[i]);
	const struct bl_case *c = &cases[3];
	assert_ptr_equal(c->bench, &cfg.benchmarks[0]);
	assert_int_equal(c->n_params, 2);
	assert_string_equal(c->params[0].key, "level");
	assert_string_equal(c->params[0].value, "9");
	assert_string_equal(c->params[1].key, "mode");
	assert_string_equal(c->params[1].value, "very small");
	assert_string_equal(c->params_json, "{\"level\":\"9\",\"mode\":\"very small\"}");
	/* a value with a space stays one word */
	assert_int_equal(c->command.argv.n, 4);
	assert_string_equal(c->command.argv.v[0], "./bench");
	assert_string_equal(c->command.argv.v[2], "9");
	assert_string_equal(c->command.argv.v[3], "--mode=very small");
	assert_null(c->command.argv.v[4]);
	assert_false(c->command.shell);
	assert_int_equal(c->command.line, 15);
	assert_string_equal(c->cwd, "bench/very small");
	assert_int_equal(c->n_env, 2);
	assert_string_equal(c->env[0].key, "LEVEL");
	assert_string_equal(c->env[0].value, "9");
	assert_string_equal(c->env[1].value, "yes");
	/* the config keeps its templates */
	assert_string_equal(cfg.benchmarks[0].command.argv.v[2], "{level}");

	c = &cases[6];
	assert_string_equal(c->params_json, "{}");
	assert_int_equal(c->n_params, 0);
	assert_null(c->cwd);
	assert_string_equal(c->command.argv.v[2], "a b");
	/* shell strings are substituted too, {{ }} become single braces */
	c = &cases[7];
	assert_true(c->command.shell);
	assert_string_equal(c->command.argv.v[0], "echo {x} | wc -c");
	bl_cases_free(cases, n);
	bl_config_release(&cfg);
}

static void test_cases_json_sorted_and_escaped(void **state)
{
	struct bl_config cfg;
	struct bl_case *cases;
	size_t n;
	struct bl_error err = {{0}};
	parse_ok(HEAD "  - name: a\n    command: [./a, \"{zeta}{alpha}\"]\n"
		      "    params: {zeta: ['q\"\\'], alpha: [\"\\u00e9\"]}\n",
		 &cfg);
	assert_int_equal(bl_config_cases(&cfg, &cases, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(cases[0].label, "a[zeta=q\"\\,alpha=\xc3\xa9]");
	assert_string_equal(cases[0].params_json, "{\"alpha\":\"\xc3\xa9\",\"zeta\":\"q\\\"\\\\\"}");
	assert_string_equal(cases[0].command.argv.v[1], "q\"\\\xc3\xa9");
	bl_cases_free(cases, n);
	bl_config_release(&cfg);
}

static void test_brace_escapes(void **state)
{
	struct bl_config cfg;
	struct bl_case *cases;
	size_t n;
	struct bl_error err = {{0}};
	parse_ok(HEAD "  - name: a\n    command: [awk, \"{{ print {{{n}}} }}\", \"}}{n}{{\"]\n"
		      "    env: {E: \"{{n}}\"}\n    cwd: \"d{{{n}}}\"\n    params: {n: [7]}\n",
		 &cfg);
	assert_int_equal(bl_config_cases(&cfg, &cases, &n, &err), 0);
	assert_string_equal(cases[0].command.argv.v[1], "{ print {7} }");
	assert_string_equal(cases[0].command.argv.v[2], "}7{");
	assert_string_equal(cases[0].env[0].value, "{n}");
	assert_string_equal(cases[0].cwd, "d{7}");
	bl_cases_free(cases, n);
	bl_config_release(&cfg);
}

/* A config built or changed by hand can hold a bad reference; expansion fails cleanly, freeing the cases it made. */
static void test_cases_error_frees_partial(void **state)
{
	struct bl_config cfg;
	struct bl_case *cases = NULL;
	size_t n = 99;
	struct bl_error err = {{0}};
	parse_ok(HEAD "  - {name: a, command: [./a, '{p}'], params: {p: [1, 2]}, env: {X: '{p}'}}\n", &cfg);
	free(cfg.benchmarks[0].env[0].value);
	cfg.benchmarks[0].env[0].value = strdup("{nope}");
	assert_int_equal(bl_config_cases(&cfg, &cases, &n, &err), -1);
	assert_null(cases);
	assert_int_equal(n, 99);
	assert_non_null(strstr(err.msg, "benchmark 'a' at line 3"));
	assert_non_null(strstr(err.msg, "undeclared parameter '{nope}'"));
	bl_config_release(&cfg);
}

/* ---- words ------------------------------------------------------------------------------------------------- */

/* Splits s and compares with the NULL-ended expected words. */
static void expect_words(const char *s, ...)
{
	struct bl_strvec words;
	struct bl_error err = {{0}};
	va_list ap;
	size_t i = 0;
	bl_strvec_init(&words);
	if (bl_split_words(s, &words, &err))
		fail_msg("cannot split '%s': %s", s, err.msg);
	va_start(ap, s);
	for (const char *w = va_arg(ap, const char *); w; w = va_arg(ap, const char *), i++) {
		if (i >= words.n)
			fail_msg("'%s': expected word %zu '%s', got only %zu words", s, i, w, words.n);
		assert_string_equal(words.v[i], w);
	}
	va_end(ap);
	assert_int_equal(words.n, i);
	assert_null(words.v[words.n]);
	bl_strvec_release(&words);
}

static void expect_split_error(const char *s, const char *message)
{
	struct bl_strvec words;
	struct bl_error err = {{0}};
	bl_strvec_init(&words);
	bl_strvec_push(&words, "kept");
	assert_int_equal(bl_split_words(s, &words, &err), -1);
	assert_string_equal(err.msg, message);
	/* nothing is appended on failure */
	assert_int_equal(words.n, 1);
	bl_strvec_release(&words);
}

static void test_split_words(void **state)
{
	expect_words("", NULL);
	expect_words(" \t\n ", NULL);
	expect_words("a", "a", NULL);
	expect_words("  ./bench  --x=1\t-y \n z ", "./bench", "--x=1", "-y", "z", NULL);
	expect_words("'a b' \"c d\"", "a b", "c d", NULL);
	expect_words("a'b c'd", "ab cd", NULL);
	expect_words("'' \"\" x", "", "", "x", NULL);
	expect_words("'\\n $HOME \"'", "\\n $HOME \"", NULL);
	expect_words("\"\\\" \\\\ \\$ \\` \\n \\a\"", "\" \\ $ ` \\n \\a", NULL);
	expect_words("a\\ b \\'c\\\" \\\\", "a b", "'c\"", "\\", NULL);
	expect_words("$HOME *.c ~ `x` #c", "$HOME", "*.c", "~", "`x`", "#c", NULL);
	expect_words("make \\\n  -j2", "make", "-j2", NULL);
	expect_words("ab\\\ncd", "abcd", NULL);
	expect_words("\"a\nb\"", "a\nb", NULL);
	expect_split_error("a 'b", "unclosed single quote starting at character 3 (expected a closing ')");
	expect_split_error("say \"hi", "unclosed double quote starting at character 5 (expected a closing \")");
	expect_split_error("\"a\\\"", "unclosed double quote starting at character 1 (expected a closing \")");
	expect_split_error("a\\", "lone backslash at the end (expected a character after it)");
}

static void test_better_names(void **state)
{
	enum bl_better b = BL_BETTER_UNKNOWN;
	assert_string_equal(bl_better_name(BL_BETTER_LOWER), "lower");
	assert_string_equal(bl_better_name(BL_BETTER_HIGHER), "higher");
	assert_null(bl_better_name(BL_BETTER_UNKNOWN));
	assert_int_equal(bl_better_parse("higher", &b), 0);
	assert_int_equal(b, BL_BETTER_HIGHER);
	assert_int_equal(bl_better_parse("lower", &b), 0);
	assert_int_equal(b, BL_BETTER_LOWER);
	assert_int_equal(bl_better_parse("Lower", &b), -1);
	assert_int_equal(b, BL_BETTER_LOWER);
}

/* ---- hostile input ----------------------------------------------------------------------------------------- */

/*
 * Each of these once crashed, hung or took minutes, or could have: the parser must fail cleanly with a position,
 * leak nothing (the ASan build checks), and stay linear in the size of the file.
 */

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of the fastest of `tries` parses: the least disturbed by whatever else the machine runs. */
static double parse_seconds(const struct bl_buf *text, int tries)
{
	double best = 1e9;
	for (int i = 0; i < tries; i++) {
		struct bl_config cfg;
		struct bl_error err = {{0}};
		double start = cpu_now();
		int rc = bl_config_parse(FILE_NAME, text->data, text->len, &cfg, &err);
		double took = cpu_now() - start;
		if (rc != 0)
			fail_msg("unexpected error: %s", err.msg);
		bl_config_release(&cfg);
		best = took < best ? took : best;
	}
	return best;
}

/*
 * Parsing 16 times the items must take about 16 times as long. A check that scans every earlier item for each new
 * one makes it 256: that is how 100000 benchmarks once took 53 s, and 100000 values of one parameter 23 s. The
 * bound of 64 leaves room for caches and a busy machine; a timing this short is not judged at all.
 */
static void expect_linear(const char *what, void (*make)(struct bl_buf *, size_t), size_t n)
{
	struct bl_buf small, big;
	bl_buf_init(&small);
	bl_buf_init(&big);
	make(&small, n);
	make(&big, 16 * n);
	double t1 = parse_seconds(&small, 3), t16 = parse_seconds(&big, 1);
	/* the large one is timed again only when it looks wrong, as it costs 16 of the small one */
	if (t16 > 0.02 && t16 > 64 * t1)
		t16 = parse_seconds(&big, 2);
	bl_buf_release(&small);
	bl_buf_release(&big);
	if (t16 > 0.02 && t16 > 64 * t1)
		fail_msg("%s: 16 times as many took %.0f times as long (%.3f s, %.3f s)", what, t16 / t1, t1, t16);
}

static void make_benchmarks(struct bl_buf *b, size_t n)
{
	bl_buf_puts(b, HEAD);
	for (size_t i = 0; i < n; i++)
		bl_buf_printf(b, "  - {name: b%zu, command: [./x, --n, '%zu']}\n", i, i);
}

static void make_values(struct bl_buf *b, size_t n)
{
	bl_buf_puts(b, HEAD "  - name: a\n    command: [./x, '{p}']\n    params:\n      p: [");
	for (size_t i = 0; i < n; i++)
		bl_buf_printf(b, "%sv%zu", i ? ", " : "", i);
	bl_buf_puts(b, "]\n");
}

static void make_env(struct bl_buf *b, size_t n)
{
	bl_buf_puts(b, HEAD "  - name: a\n    command: [./x]\n    env:\n");
	for (size_t i = 0; i < n; i++)
		bl_buf_printf(b, "      E%zu: x\n", i);
}

static void make_suite(struct bl_buf *b, size_t n)
{
	bl_buf_puts(b, "version: 1\nsuite:\n");
	for (size_t i = 0; i < n; i++)
		bl_buf_printf(b, "  - dir%zu/\n", i);
	bl_buf_puts(b, "benchmarks: [{name: a, command: x}]\n");
}

/* Many single-valued parameters, all referred to from one word: each {param} is looked up by name. */
static void make_params(struct bl_buf *b, size_t n)
{
	bl_buf_puts(b, HEAD "  - name: a\n    command: [./x, '");
	for (size_t i = 0; i < n; i++)
		bl_buf_printf(b, "{p%zu}", i);
	bl_buf_puts(b, "']\n    params:\n");
	for (size_t i = 0; i < n; i++)
		bl_buf_printf(b, "      p%zu: [%zu]\n", i, i);
}

static void test_hostile_many_benchmarks(void **state)
{
	expect_linear("benchmarks", make_benchmarks, 1000);

	/* a duplicate name is still found, however late it comes */
	struct bl_buf text;
	bl_buf_init(&text);
	make_benchmarks(&text, 20000);
	bl_buf_puts(&text, "  - {name: b0, command: x}\n");
	expect_error(text.data, FILE_NAME ":20003:12: ", "duplicate benchmark name 'b0'",
		     "first defined at line 3, column 5", NULL);
	bl_buf_release(&text);
}

static void test_hostile_large_collections(void **state)
{
	expect_linear("values of a parameter", make_values, 1000);
	expect_linear("env variables", make_env, 1000);
	expect_linear("suite paths", make_suite, 1000);
	expect_linear("parameters", make_params, 1000);
	/* duplicates are still found, wherever they are */
	struct bl_buf text;
	bl_buf_init(&text);
	make_values(&text, 20000);
	text.data[text.len - 2] = '\0'; /* drop the closing ']' */
	text.len -= 2;
	bl_buf_puts(&text, ", v19999]\n");
	expect_error(text.data, FILE_NAME ":6:", "parameter 'p' lists the value 'v19999' twice", NULL);
	bl_buf_reset(&text);
	make_env(&text, 20000);
	bl_buf_puts(&text, "      E7: y\n");
	expect_error(text.data, FILE_NAME ":20006:7: ", "duplicate key 'E7' in 'env'", "first at line 13, column 7",
		     NULL);
	bl_buf_release(&text);
}

/* libyaml's loader took time quadratic in the depth (10000 levels: a second) and recursed in some versions. */
static void test_hostile_deep_nesting(void **state)
{
	struct bl_buf text;
	bl_buf_init(&text);
	/* 64 levels in all is still read, and gets the ordinary message */
	bl_buf_puts(&text, "version: 1\nbenchmarks: ");
	for (int i = 0; i < 63; i++)
		bl_buf_putc(&text, '[');
	for (int i = 0; i < 63; i++)
		bl_buf_putc(&text, ']');
	expect_error(text.data, FILE_NAME ":2:14: ", "each benchmark must be a mapping", NULL);
	/* one more is refused where it opens: the 64th '[' after the root mapping */
	for (size_t depth = 64; depth <= 1000000; depth *= 125) {
		bl_buf_reset(&text);
		bl_buf_puts(&text, "version: 1\nbenchmarks: ");
		for (size_t i = 0; i < depth; i++)
			bl_buf_putc(&text, '[');
		expect_error(text.data, FILE_NAME ":2:76: ", "nested more than 64 deep", "expected at most 5", NULL);
	}
	bl_buf_reset(&text);
	bl_buf_puts(&text, "version: 1\nx: ");
	for (int i = 0; i < 1000000; i++)
		bl_buf_puts(&text, "{a: ");
	expect_error(text.data, FILE_NAME ":2:256: ", "nested more than 64 deep", NULL);
	/* block style: "- - - x" nests too */
	bl_buf_reset(&text);
	bl_buf_puts(&text, "version: 1\nbenchmarks:\n");
	for (int i = 0; i < 1000; i++)
		bl_buf_puts(&text, "- ");
	bl_buf_puts(&text, "x\n");
	expect_error(text.data, FILE_NAME ":3:127: ", "nested more than 64 deep", NULL);
	bl_buf_release(&text);
}

/* The loader also searched all earlier anchors for each new one: refused at the first, before anything loads. */
static void test_hostile_anchors(void **state)
{
	struct bl_buf text;
	bl_buf_init(&text);
	bl_buf_puts(&text, "version: 1\nx:\n");
	for (int i = 0; i < 50000; i++)
		bl_buf_printf(&text, "  - &a%d v\n", i);
	expect_error(text.data, FILE_NAME ":3:5: ", "anchors ('&a0') are not supported", NULL);
	bl_buf_release(&text);
	/* errors come in file order: an anchor before a syntax error is what gets reported */
	expect_error("version: 1\nx: &a 1\nbad: [\n", FILE_NAME ":2:4: ", "anchors ('&a')", NULL);
	expect_error("version: 1\nbad: a: b\nx: &a 1\n", FILE_NAME ":2:7: ", "invalid YAML", NULL);
	/* a second document is refused where it starts, before its contents are read */
	expect_error(HEAD "  - {name: a, command: x}\n---\n[[[[[&a\n", FILE_NAME ":4:1: ", "second YAML document",
		     NULL);
}

/* s, n times over: filled by doubling, so that a 10 MB value takes a few copies rather than millions of appends */
static void append_repeated(struct bl_buf *b, const char *s, size_t n)
{
	size_t unit = strlen(s), total = n * unit, done = unit;
	char *block = bl_xmalloc(total + 1);
	memcpy(block, s, unit);
	while (done < total) {
		size_t more = done < total - done ? done : total - done;
		memcpy(block + done, block, more);
		done += more;
	}
	bl_buf_append(b, block, total);
	free(block);
}

static void test_hostile_huge_scalars(void **state)
{
	const size_t huge = 10 << 20;
	struct bl_buf text;
	struct bl_config cfg;
	struct bl_case *cases;
	size_t n;
	struct bl_error err = {{0}};
	bl_buf_init(&text);
	/* a 10 MB word, and an env value of a million references */
	bl_buf_puts(&text, HEAD "  - name: a\n    command: [./x, \"");
	append_repeated(&text, "w", huge);
	bl_buf_puts(&text, "\"]\n    params: {p: [1, '22']}\n    env:\n      E: \"");
	append_repeated(&text, "{p}", 1000000);
	bl_buf_puts(&text, "\"\n");
	parse_ok(text.data, &cfg);
	assert_int_equal(strlen(cfg.benchmarks[0].command.argv.v[1]), huge);
	assert_int_equal(bl_config_cases(&cfg, &cases, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(strlen(cases[0].command.argv.v[1]), huge);
	assert_int_equal(strlen(cases[0].env[0].value), 1000000);
	assert_int_equal(strlen(cases[1].env[0].value), 2000000);
	bl_cases_free(cases, n);
	bl_config_release(&cfg);
	/* in an error, a huge value is cut short */
	bl_buf_reset(&text);
	bl_buf_puts(&text, HEAD "  - name: ");
	append_repeated(&text, "n", huge);
	bl_buf_puts(&text, "\n    command: x\n");
	expect_error(text.data, FILE_NAME ":3:11: ", "benchmark name 'nnnnnnnnnn", "...' is not valid", NULL);
	struct bl_config bad;
	assert_int_equal(bl_config_parse(FILE_NAME, text.data, text.len, &bad, &err), -1);
	assert_true(strlen(err.msg) < 300);
	bl_buf_release(&text);
}

/* A "\0" escape would cut a C string short: refused everywhere, including where "current\0x" once read as current. */
static void test_hostile_nul_bytes(void **state)
{
	expect_error(HEAD "  - {name: a, command: x, files: \"current\\0x\"}\n",
		     FILE_NAME ":3:34: ", "'files' must be current or commit", "'current' and a NUL character", NULL);
	expect_error(HEAD "  - {name: a, command: x, metrics: {better: {t: \"lower\\0\"}}}\n",
		     FILE_NAME ":3:49: ", "must be lower or higher", "NUL", NULL);
	expect_error(HEAD "  - {name: \"a\\0\", command: x}\n", FILE_NAME ":3:12: ", "NUL character", NULL);
	expect_error(HEAD "  - {name: a, command: \"x\\0y\"}\n", FILE_NAME ":3:24: ", "NUL character", NULL);
	expect_error(HEAD "  - {name: a, command: [x, \"\\0\"]}\n", FILE_NAME ":3:28: ", "NUL character", NULL);
	expect_error(HEAD "  - {name: a, command: x, cwd: \"a\\0\"}\n", FILE_NAME ":3:32: ", "NUL character", NULL);
	expect_error(HEAD "  - {name: a, command: x, env: {A: \"x\\0y\"}}\n", FILE_NAME ":3:36: ", "NUL character",
		     NULL);
	expect_error(HEAD "  - {name: a, command: x, env: {\"A\\0\": x}}\n", FILE_NAME ":3:33: ", "NUL character",
		     NULL);
	expect_error(HEAD "  - {name: a, command: x, params: {p: [\"\\0\"]}}\n", FILE_NAME ":3:40: ", "NUL character",
		     NULL);
	/* raw NUL bytes are refused by the reader wherever they are, a comment included */
	static const char first[] = "\0version: 1\n";
	expect_error_len(first, sizeof(first) - 1, FILE_NAME ":1:1: ", "invalid YAML", NULL);
	static const char comment[] = "version: 1 # a\0b\n";
	expect_error_len(comment, sizeof(comment) - 1, FILE_NAME ":1:15: ", "invalid YAML", NULL);
	static const char key[] = "version: 1\nbench\0marks: []\n";
	expect_error_len(key, sizeof(key) - 1, FILE_NAME ":2:6: ", "invalid YAML", NULL);
}

static bool valid_utf8(const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c;) {
		size_t n = *c < 0x80		 ? 1
			   : (*c & 0xe0) == 0xc0 ? 2
			   : (*c & 0xf0) == 0xe0 ? 3
			   : (*c & 0xf8) == 0xf0 ? 4
						 : 0;
		if (!n)
			return false;
		for (size_t i = 1; i < n; i++)
			if ((c[i] & 0xc0) != 0x80)
				return false;
		c += n;
	}
	return true;
}

static void test_hostile_invalid_utf8(void **state)
{
	expect_error("\xff", FILE_NAME ":1:1: ", "invalid YAML", "UTF-8", NULL);
	expect_error("version: 1\nsuite: [a\xc3", FILE_NAME ":2:10: ", "incomplete UTF-8", NULL);
	expect_error("version: 1\nsuite: [\xc0\xaf]\n", FILE_NAME ":2:9: ", "invalid length of a UTF-8", NULL);
	expect_error("version: 1\nsuite: [\xed\xa0\x80]\n", FILE_NAME ":2:9: ", "invalid Unicode character", NULL);
	expect_error(HEAD "  - {name: a, command: x}\n  - {name: b, command: \"y\xfez\"}\n",
		     FILE_NAME ":4:26: ", "invalid YAML", NULL);
	expect_error("version: 1\nsuite: [\"\\ud800\"]\n", FILE_NAME ":2:12: ", "invalid Unicode character escape",
		     NULL);
	/* positions of reader errors count lines and columns as libyaml does everywhere else */
	expect_error("version: 1\r\nsuite: [\xff]\r\n", FILE_NAME ":2:9: ", "invalid YAML", NULL);
	expect_error("version: 1\rsuite: [\xff]\r", FILE_NAME ":2:9: ", "invalid YAML", NULL);
	expect_error("\xef\xbb\xbf\xff", FILE_NAME ":1:1: ", "invalid YAML", NULL);
	expect_error("a: 1\xe2\x80\xa8\x01", FILE_NAME ":2:1: ", "control characters", NULL);
	/* a message never cuts a character in half, however the value is cut short */
	struct bl_config cfg;
	struct bl_error err = {{0}};
	static const char long_name[] =
	    HEAD "  - name: \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		 "\n    command: x\n";
	assert_int_equal(bl_config_parse(FILE_NAME, long_name, strlen(long_name), &cfg, &err), -1);
	assert_non_null(strstr(err.msg, "...' is not valid"));
	assert_true(valid_utf8(err.msg));
}

static void test_load_directory_and_empty_file(void **state)
{
	char dir[] = "/tmp/test_config_XXXXXX";
	struct bl_config cfg;
	struct bl_error err = {{0}};
	assert_non_null(mkdtemp(dir));
	assert_int_equal(bl_config_load(dir, &cfg, &err), -1);
	assert_non_null(strstr(err.msg, "cannot read"));
	assert_non_null(strstr(err.msg, "Is a directory"));
	assert_null(cfg.benchmarks);

	static const char *const empties[] = {"", "\xef\xbb\xbf", "\n\n  \n", "# nothing\n", NULL};
	char *path = bl_xasprintf("%s/benchline.yaml", dir);
	for (size_t i = 0; empties[i]; i++) {
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs(empties[i], f);
		fclose(f);
		assert_int_equal(bl_config_load(path, &cfg, &err), -1);
		char *want = bl_xasprintf("%s:1:1: the file is empty", path);
		if (strncmp(err.msg, want, strlen(want)))
			fail_msg("case %zu: expected '%s...', got '%s'", i, want, err.msg);
		free(want);
		assert_null(cfg.benchmarks);
	}
	unlink(path);
	free(path);
	rmdir(dir);
}

static void make_matrix(struct bl_buf *b, const char *first_values, const char *extra)
{
	bl_buf_printf(b,
		      HEAD "  - name: m\n    command: [\"./{e}\", '{a}{b}{c}{d}']\n    cwd: \"d/{a}/{b}\"\n%s"
			   "    params:\n      a: [%s]\n",
		      extra, first_values);
	for (char p = 'b'; p <= 'e'; p++)
		bl_buf_printf(b, "      %c: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n", p);
}

static void test_hostile_matrix_at_limit(void **state)
{
	struct bl_buf text;
	struct bl_config cfg;
	struct bl_case *cases;
	size_t n;
	struct bl_error err = {{0}};
	bl_buf_init(&text);
	/* exactly 100000 combinations: every one is checked, then expanded */
	make_matrix(&text, "0, 1, 2, 3, 4, 5, 6, 7, 8, 9", "");
	parse_ok(text.data, &cfg);
	assert_int_equal(bl_config_cases(&cfg, &cases, &n, &err), 0);
	assert_int_equal(n, 100000);
	assert_string_equal(cases[0].label, "m[a=0,b=0,c=0,d=0,e=0]");
	assert_string_equal(cases[99999].label, "m[a=9,b=9,c=9,d=9,e=9]");
	assert_string_equal(cases[99999].cwd, "d/9/9");
	assert_string_equal(cases[12345].command.argv.v[0], "./5");
	bl_cases_free(cases, n);
	bl_config_release(&cfg);
	/* the one bad combination is found however late it comes */
	bl_buf_reset(&text);
	make_matrix(&text, "0, 1, 2, 3, 4, 5, 6, 7, 8, ../../..", "");
	expect_error(text.data, FILE_NAME ":5:10: ", "'cwd' 'd/../../../0' with a=../../..,b=0,c=0,d=0,e=0", "escapes",
		     NULL);
	/* every case would carry a 6000-byte value: 100000 of them is more memory than a sweep may take */
	bl_buf_reset(&text);
	char *big = bl_xcalloc(6001, 1);
	memset(big, 'v', 6000);
	char *env = bl_xasprintf("    env: {BIG: %s}\n", big);
	make_matrix(&text, "0, 1, 2, 3, 4, 5, 6, 7, 8, 9", env);
	expect_error(text.data, FILE_NAME ":3:5: ", "the cases of benchmark 'm' would take more than 512 MiB",
		     "100000 cases of about", "expected fewer combinations or shorter values", NULL);
	/* and so are two that fit alone but not together */
	memset(big, 'v', 3500);
	big[3500] = '\0';
	free(env);
	env = bl_xasprintf("    env: {BIG: %s}\n", big);
	bl_buf_reset(&text);
	make_matrix(&text, "0, 1, 2, 3, 4, 5, 6, 7, 8, 9", env);
	parse_ok(text.data, &cfg);
	bl_config_release(&cfg);
	size_t one = text.len;
	make_matrix(&text, "0, 1, 2, 3, 4, 5, 6, 7, 8, 9", env);
	memmove(text.data + one, text.data + one + strlen(HEAD), text.len - one - strlen(HEAD) + 1);
	text.len -= strlen(HEAD);
	text.data[one + 10] = 'n'; /* the second is named 'n' */
	expect_error(text.data, FILE_NAME ":13:5: ", "the cases of benchmark 'n' would take more than 512 MiB",
		     "with those of the benchmarks before it", NULL);
	free(env);
	free(big);
	bl_buf_release(&text);
}

/* What a reference that is not one holds is shown cut short and without control characters, like any value. */
static void test_messages_stay_readable(void **state)
{
	expect_error(HEAD "  - {name: a, command: [x, \"{a\\tb}\"]}\n",
		     FILE_NAME ":3:28: ", "has '{a?b}', which is not", NULL);
	expect_error(HEAD "  - {name: a, command: [x, \"{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b}\"]}\n",
		     FILE_NAME ":3:28: ", "has '{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...}', which is not", NULL);
}

/* bl_config_parse_db: only 'db' is read, so a mistake in another key does not keep a command from its store. */
static void expect_db(const char *text, const char *want)
{
	struct bl_error err = {{0}};
	char *db = (char *)"unset";
	if (bl_config_parse_db(FILE_NAME, text, strlen(text), &db, &err) != 0)
		fail_msg("unexpected error: %s", err.msg);
	if (want)
		assert_string_equal(db, want);
	else
		assert_null(db);
	free(db);
}

static void expect_db_error(const char *text, const char *where, const char *words)
{
	struct bl_error err = {{0}};
	char *db = (char *)"unset";
	assert_int_equal(bl_config_parse_db(FILE_NAME, text, strlen(text), &db, &err), -1);
	assert_null(db);
	if (strncmp(err.msg, where, strlen(where)) || !strstr(err.msg, words))
		fail_msg("expected '%s...%s', got '%s'", where, words, err.msg);
}

static void test_db_only(void **state)
{
	(void)state;
	expect_db("version: 1\ndb: results/x.db\nbenchmarks: []\n", "results/x.db");
	expect_db("version: 1\nbenchmarks: []\n", NULL);
	/* errors elsewhere are not this reader's: a bad version, an unknown key, a bad benchmark */
	expect_db("version: 7\nfrobnicate: 1\ndb: postgresql://h/d\nbenchmarks:\n  - name: a\n    repetitions: many\n",
		  "postgresql://h/d");
	expect_db("db: only.db\n", "only.db");
	/* and the full parser still refuses that file */
	struct bl_config cfg;
	struct bl_error err = {{0}};
	const char *bad = "version: 1\ndb: a.db\nbenchmarks:\n  - {name: a, command: [x], repetitions: many}\n";
	assert_int_equal(bl_config_parse(FILE_NAME, bad, strlen(bad), &cfg, &err), -1);
	expect_db(bad, "a.db");
	/* what 'db' itself must be is still checked, at its line */
	expect_db_error("version: 1\ndb: [a, b]\n", "benchline.yaml:2:", "'db'");
	expect_db_error("version: 1\ndb: \"\"\n", "benchline.yaml:2:", "'db' must name a database");
	expect_db_error("- a\n- b\n", "benchline.yaml:1:1:", "the top level must be a mapping");
	expect_db_error("version: 1\ndb: [unclosed\n", "benchline.yaml:", "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_round_trip),
	    cmocka_unit_test(test_builtin_defaults),
	    cmocka_unit_test(test_build_command_forms),
	    cmocka_unit_test(test_file_hash_and_load),
	    cmocka_unit_test(test_load_missing_file),
	    cmocka_unit_test(test_example_parses),
	    cmocka_unit_test(test_sampling),
	    cmocka_unit_test(test_analysis),
		cmocka_unit_test(test_report_section),
	    cmocka_unit_test(test_parse_percent),
	    cmocka_unit_test(test_truncated_example_never_crashes),
	    cmocka_unit_test(test_error_wrong_types),
	    cmocka_unit_test(test_error_out_of_range),
	    cmocka_unit_test(test_error_unknown_keys),
	    cmocka_unit_test(test_error_missing_required),
	    cmocka_unit_test(test_error_duplicates),
	    cmocka_unit_test(test_error_param_references),
	    cmocka_unit_test(test_error_empty_and_documents),
	    cmocka_unit_test(test_error_yaml_syntax),
	    cmocka_unit_test(test_error_aliases_and_tags),
	    cmocka_unit_test(test_error_commands),
	    cmocka_unit_test(test_error_paths),
	    cmocka_unit_test(test_error_names),
	    cmocka_unit_test(test_error_metrics),
	    cmocka_unit_test(test_error_matrix_too_large),
	    cmocka_unit_test(test_cases_product_and_substitution),
	    cmocka_unit_test(test_cases_json_sorted_and_escaped),
	    cmocka_unit_test(test_brace_escapes),
	    cmocka_unit_test(test_cases_error_frees_partial),
	    cmocka_unit_test(test_split_words),
	    cmocka_unit_test(test_better_names),
	    cmocka_unit_test(test_hostile_many_benchmarks),
	    cmocka_unit_test(test_hostile_large_collections),
	    cmocka_unit_test(test_hostile_deep_nesting),
	    cmocka_unit_test(test_hostile_anchors),
	    cmocka_unit_test(test_hostile_huge_scalars),
	    cmocka_unit_test(test_hostile_nul_bytes),
	    cmocka_unit_test(test_hostile_invalid_utf8),
	    cmocka_unit_test(test_load_directory_and_empty_file),
	    cmocka_unit_test(test_hostile_matrix_at_limit),
	    cmocka_unit_test(test_messages_stay_readable),
	    cmocka_unit_test(test_db_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
