/* cmd-doctor.c - `benchline doctor`: is this machine fit to benchmark on? */
#include "cli.h"
#include "benchline/doctor.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: benchline doctor [options]\n"
	"\n"
	"Checks this machine for what makes benchmark results noisy or drift, says\n"
	"what it found and what to do: the CPU frequency governor and scaling range,\n"
	"turbo boost, ASLR, the load average, swap in use, isolated CPUs (isolcpus,\n"
	"nohz_full), perf counter access (perf_event_paranoid), and the clocks and\n"
	"throttle reasons of NVIDIA GPUs (NVML; no GPU is fine). Nothing is changed.\n"
	"\n"
	"Each check is 'ok', a 'note' (could be better, or could not be checked) or a\n"
	"'WARNING' (results will be less stable until it is fixed).\n"
	"\n"
	"Options:\n"
	"  --no-gpu            skip the GPU checks (do not load NVML)\n"
	"  --max-load LOAD     warn when the 1-minute load average is above LOAD\n"
	"                      (default 1.0)\n"
	"  --sysroot DIR       read /proc and /sys under DIR instead (for tests;\n"
	"                      default: $BENCHLINE_SYSROOT, else /)\n"
	"  -q, --quiet         print only the warnings\n"
	"\n"
	"Environment: BENCHLINE_SYSROOT (as --sysroot), BENCHLINE_NVML_LIBRARY (the\n"
	"NVML library to load instead of libnvidia-ml.so.1).\n"
	"\n"
	"Exit status: 0 no warning, 1 at least one warning, 2 usage error.\n";

static int cmd_doctor_main(int argc, char **argv)
{
	enum { OPT_NO_GPU = 256, OPT_MAX_LOAD, OPT_SYSROOT };
	static const struct option longopts[] = {
		{"no-gpu", no_argument, NULL, OPT_NO_GPU},
		{"max-load", required_argument, NULL, OPT_MAX_LOAD},
		{"sysroot", required_argument, NULL, OPT_SYSROOT},
		{"quiet", no_argument, NULL, 'q'},
		{NULL, 0, NULL, 0},
	};
	struct bl_doctor_options opt = {.root = getenv("BENCHLINE_SYSROOT"),
					.nvml_library = getenv("BENCHLINE_NVML_LIBRARY")};
	if (opt.nvml_library && !*opt.nvml_library)
		opt.nvml_library = NULL;
	bool quiet = false;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+:q", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_NO_GPU: opt.no_gpu = true; break;
		case OPT_MAX_LOAD: {
			char *end;
			opt.max_load = strtod(optarg, &end);
			if (end == optarg || *end || !(opt.max_load > 0) || opt.max_load > 1e6)
				return cli_usage_error("doctor", "--max-load needs a positive number, not '%s'", optarg);
			break;
		}
		case OPT_SYSROOT: opt.root = optarg; break;
		case 'q': quiet = true; break;
		case ':': return cli_usage_error("doctor", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("doctor", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("doctor", "unexpected argument '%s'", argv[optind]);

	struct bl_doctor_report r = {0};
	bl_doctor_run(&opt, &r);
	for (size_t i = 0; i < r.n; i++) {
		const struct bl_doctor_check *k = &r.items[i];
		if (quiet && k->level != BL_DOCTOR_WARNING)
			continue;
		char found[1024];
		cli_sanitize(k->found, found, sizeof(found));
		printf("%-8s %-15s %s\n", bl_doctor_level_name(k->level), k->name, found);
		if (k->advice && k->level != BL_DOCTOR_OK) {
			const char *p = k->advice;
			bool first = true;
			while (*p) {
				size_t len = strcspn(p, "\n");
				printf("%-24s %s %.*s\n", "", first ? "->" : "  ", (int)len, p);
				first = false;
				p += len + (p[len] == '\n');
			}
		}
	}
	size_t warnings = bl_doctor_count(&r, BL_DOCTOR_WARNING);
	size_t notes = bl_doctor_count(&r, BL_DOCTOR_NOTE);
	if (!quiet || warnings)
		printf("\n%zu warning%s, %zu note%s, %zu ok\n", warnings, warnings == 1 ? "" : "s", notes,
		       notes == 1 ? "" : "s", bl_doctor_count(&r, BL_DOCTOR_OK));
	bl_doctor_report_release(&r);
	return warnings ? EXIT_FAILURES : EXIT_OK;
}

const struct cli_command cli_cmd_doctor = {
	.name = "doctor",
	.fn = cmd_doctor_main,
	.summary = "check this machine for stable benchmarking",
	.usage = usage,
};
