/*
 * bench_sampler.c - CPU time one sample costs, against the 25 us target.
 *
 * Measured with CLOCK_THREAD_CPUTIME_ID around N back-to-back samples in this
 * thread (what the sampler thread would burn, without the sleeps):
 *   baseline   open+read+close of /proc/self/stat and /proc/stat per sample,
 *              the floor any procfs sampler pays;
 *   procfs     bl_devices_sample with procfs only: the process tree of a
 *              running child (sh with two sleeping children) plus /proc/stat
 *              and /proc/meminfo;
 *   procfs+nvml  the same with NVML on, when it is active here; the NVML
 *              share is the difference.
 * Builds from lib/common.c lib/device*.c alone (scripts/gpu-check.sh does).
 *
 * usage: bench_sampler [N]   (default 10000)
 */
#include "benchline/device.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define TARGET_US 25.0

static double thread_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bare_read(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

static double bench_baseline(int n)
{
	double t0 = thread_cpu_s();
	for (int i = 0; i < n; i++) {
		bare_read("/proc/self/stat");
		bare_read("/proc/stat");
	}
	return (thread_cpu_s() - t0) / n * 1e6;
}

/* us per sample; *pids gets the tree size seen, *gpus the GPUs sampled. */
static double bench_devices(int n, pid_t root, bool nvml, size_t *pids, int *gpus, char *reason, size_t rlen)
{
	struct bl_devices d;
	struct bl_device_options opt = {.no_nvml = !nvml};
	bl_devices_open(&d, &opt);
	if (nvml && !bl_devices_active(&d, "nvml")) {
		snprintf(reason, rlen, "%s", bl_devices_reason(&d, "nvml"));
		bl_devices_close(&d);
		return -1;
	}
	struct bl_device_target t = {.root = root};
	struct bl_sample s = {0};
	bl_devices_begin(&d, &t);
	bl_devices_sample(&d, &t, &s); /* warm: opens the kept fds */
	double t0 = thread_cpu_s();
	for (int i = 0; i < n; i++)
		bl_devices_sample(&d, &t, &s);
	double us = (thread_cpu_s() - t0) / n * 1e6;
	*pids = t.n_pids;
	*gpus = s.n_gpus;
	free(t.pids);
	bl_devices_close(&d);
	return us;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	if (n <= 0)
		n = 10000;
	char *child_argv[] = {"/bin/sh", "-c", "sleep 600 & sleep 600 & wait", NULL};
	pid_t child;
	posix_spawnattr_t attr;
	posix_spawnattr_init(&attr);
	/* its own group, so the two sleeps die with it */
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	int rc = posix_spawn(&child, "/bin/sh", NULL, &attr, child_argv, environ);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		fprintf(stderr, "bench_sampler: cannot start /bin/sh\n");
		return 1;
	}
	usleep(100000); /* let sh start its two children */
	size_t pids = 0;
	int gpus = 0;
	char reason[BL_DEVICE_REASON_LEN] = "";
	double base = bench_baseline(n);
	double procfs = bench_devices(n, child, false, &pids, &gpus, reason, sizeof(reason));
	double both = bench_devices(n, child, true, &pids, &gpus, reason, sizeof(reason));
	kill(-child, SIGTERM);
	waitpid(child, NULL, 0);

	printf("samples: %d, process tree: %zu processes\n", n, pids);
	printf("%-28s %8.2f us/sample\n", "baseline (bare reads)", base);
	printf("%-28s %8.2f us/sample  %.2fx target (%.0f us)  %.2fx baseline\n", "procfs tree+system", procfs,
	       procfs / TARGET_US, TARGET_US, procfs / base);
	if (both >= 0)
		printf("%-28s %8.2f us/sample  (%d GPUs; NVML share %.2f us/sample)\n", "procfs+nvml", both, gpus,
		       both - procfs);
	else
		printf("%-28s skipped: %s\n", "procfs+nvml", reason);
	return 0;
}
