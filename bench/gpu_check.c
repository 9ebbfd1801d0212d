/*
 * gpu_check.c - runs a command under the sampler and checks the GPU columns
 * on a machine with an NVIDIA GPU (scripts/gpu-check.sh builds it with gcc
 * from lib/common.c lib/device*.c lib/sampler.c; no libyaml, jansson, cmocka
 * or sqlite needed). Not part of the CMake build (not bench_*.c).
 *
 * usage: gpu_check INTERVAL_MS CMD [ARG...]
 * Exit status 0 when every check passed, 1 when one failed, 2 on usage.
 */
#include "benchline/sampler.h"

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static int failures;

static void check(bool ok, const char *what)
{
	printf("%s: %s\n", ok ? "PASS" : "FAIL", what);
	if (!ok)
		failures++;
}

static double mb(double bytes)
{
	return bytes / 1048576.0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	struct bl_sampler *s;
	struct bl_error err = {{0}};
	struct bl_sampler_options opt = {.interval_ms = atoi(argv[1])};
	if (bl_sampler_new(&s, &opt, &err) != 0) {
		fprintf(stderr, "gpu_check: %s\n", err.msg);
		return 2;
	}
	struct bl_devices *d = bl_sampler_devices(s);
	printf("nvml: %s\n", bl_devices_active(d, "nvml") ? "active" : bl_devices_reason(d, "nvml"));
	struct bl_buf j;
	bl_buf_init(&j);
	bl_devices_gpus_json(d, &j);
	printf("gpus_json: %s\n", j.data);
	bl_buf_release(&j);

	pid_t pid;
	if (posix_spawnp(&pid, argv[2], NULL, NULL, argv + 2, environ) != 0) {
		fprintf(stderr, "gpu_check: cannot run %s\n", argv[2]);
		return 2;
	}
	bl_sampler_on_start(s, pid, -1);
	int status;
	waitpid(pid, &status, 0);
	bl_sampler_on_exit(s);
	size_t n;
	const struct bl_sample *x = bl_sampler_samples(s, &n);
	const struct bl_sampler_summary *u = bl_sampler_summary(s);
	int64_t thread_ns = bl_sampler_thread_cpu_ns(s);
	printf("workload exit status: %d, samples: %zu over %.2f s, sampler thread CPU %.1f us/sample\n",
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1, n, u->duration_s,
	       n > 2 ? (double)thread_ns / 1e3 / (double)(n - 2) : 0.0);
	printf("process tree: CPU mean %.0f%% max %.0f%%, RSS max %.0f MB\n", u->proc_cpu_pct.mean.value,
	       u->proc_cpu_pct.max.value, mb(u->proc_rss_bytes.max.value));
	printf("cpu energy (RAPL): %s%.1f J\n", u->energy.cpu_j.valid ? "" : "invalid ", u->energy.cpu_j.value);
	check(u->n_gpus > 0, "at least one GPU sampled");
	for (int g = 0; g < u->n_gpus; g++) {
		const struct bl_gpu_summary *gu = &u->gpu[g];
		/* memory rising: the first valid sample against the peak */
		double first_mem = -1;
		for (size_t i = 0; i < n && first_mem < 0; i++)
			if (g < x[i].n_gpus && x[i].gpu[g].mem_used_bytes.valid)
				first_mem = x[i].gpu[g].mem_used_bytes.value;
		printf("gpu%d: util mean %.0f%% max %.0f%% | mem first %.0f MB max %.0f MB | proc mem max %s%.0f MB | "
		       "power mean %.0f W max %.0f W | temp max %.0f C | SM clock max %.0f MHz | reasons 0x%llx | "
		       "energy %s%.1f J\n",
		       g, gu->util_pct.mean.value, gu->util_pct.max.value, mb(first_mem), mb(gu->mem_used_bytes.max.value),
		       gu->proc_mem_bytes.max.valid ? "" : "invalid ", mb(gu->proc_mem_bytes.max.value),
		       gu->power_w.mean.value, gu->power_w.max.value, gu->temp_c.max.value, gu->sm_clock_mhz.max.value,
		       (unsigned long long)gu->clock_reasons_any.value, u->energy.gpu_j[g].valid ? "" : "invalid ",
		       u->energy.gpu_j[g].value);
		if (g > 0)
			continue; /* the workload uses GPU 0 */
		check(gu->util_pct.max.valid && gu->util_pct.max.value > 50, "gpu0 utilisation > 50% at peak");
		check(gu->mem_used_bytes.max.valid && gu->mem_used_bytes.max.value > first_mem + 100e6,
		      "gpu0 memory rises by > 100 MB during the run");
		check(u->energy.gpu_j[0].valid && u->energy.gpu_j[0].value > 0, "gpu0 energy > 0");
		check(gu->power_w.max.valid && gu->temp_c.max.valid && gu->sm_clock_mhz.max.valid &&
			      gu->clock_reasons_any.valid,
		      "gpu0 power, temperature, SM clock and clock reasons valid");
		printf("%s: gpu0 process-tree memory (%s)\n", gu->proc_mem_bytes.max.valid ? "INFO" : "WARN",
		       gu->proc_mem_bytes.max.valid ? "valid" : "invalid: pid namespace or unsupported");
	}
	bl_sampler_free(s);
	printf("%s\n", failures ? "GPU CHECK FAILED" : "GPU CHECK PASSED");
	return failures ? 1 : 0;
}
