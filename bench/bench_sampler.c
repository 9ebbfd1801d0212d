/*
 * bench_sampler.c - CPU time one sample costs, against the 25 us target.
 *
 * Measured with CLOCK_THREAD_CPUTIME_ID around back-to-back samples in this
 * thread (what the sampler thread would burn, without the sleeps). The
 * variants take turns in rounds (N / ROUNDS samples each per round), so a
 * noisy minute hits all of them alike:
 *   baseline   open+read+close of /proc/self/stat and /proc/stat per sample,
 *              the floor any procfs sampler pays;
 *   tree       bl_devices_sample with procfs only: the process tree of a
 *              running child (sh with two sleeping children) plus /proc/stat
 *              and /proc/meminfo;
 *   threads    the same for a process with THREADS sleeping threads and
 *              CHILDREN sleeping child processes (a PyTorch-like process:
 *              its per-thread children files are what made it expensive);
 *   threads+cgroup  the same process moved into a cgroup of its own, which
 *              the target names, as bl_run does for a run with a cgroup
 *              (skipped when no cgroup v2 directory can be made here);
 *   tree+nvml  the tree with NVML on, when it is active here; the NVML
 *              share is the difference.
 * Builds from lib/common.c lib/device*.c alone (scripts/gpu-check.sh does).
 *
 * usage: bench_sampler [N] [--threads T] [--children C] [--rounds R] [--only NAME]
 *        (defaults 10000 samples, 128 threads, 3 children, 10 rounds; --only
 *        runs the baseline and the variants whose name starts with NAME)
 */
#include "benchline/device.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* ---- the processes sampled ---- */

static void *sleeper(void *arg)
{
	for (;;)
		pause();
	return NULL;
}

/* A process group of its own: one process with `threads` threads (the main
 * one included) and `children` sleeping children, as a forked copy of us. */
static pid_t start_threaded(int threads, int children)
{
	int ready[2];
	if (pipe(ready) != 0)
		return -1;
	pid_t pid = fork();
	if (pid != 0) {
		close(ready[1]);
		char c;
		if (pid < 0 || read(ready[0], &c, 1) != 1) {
			close(ready[0]);
			return -1;
		}
		close(ready[0]);
		return pid;
	}
	setpgid(0, 0);
	close(ready[0]);
	for (int i = 0; i < children; i++)
		if (fork() == 0)
			for (;;)
				pause();
	for (int i = 1; i < threads; i++) {
		pthread_t t;
		pthread_attr_t a;
		pthread_attr_init(&a);
		pthread_attr_setstacksize(&a, 64 * 1024);
		if (pthread_create(&t, &a, sleeper, NULL) != 0)
			_exit(1);
		pthread_attr_destroy(&a);
	}
	if (write(ready[1], "x", 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

static pid_t start_tree(void)
{
	char *child_argv[] = {"/bin/sh", "-c", "sleep 600 & sleep 600 & wait", NULL};
	pid_t child;
	posix_spawnattr_t attr;
	posix_spawnattr_init(&attr);
	/* its own group, so the two sleeps die with it */
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	int rc = posix_spawn(&child, "/bin/sh", NULL, &attr, child_argv, environ);
	posix_spawnattr_destroy(&attr);
	if (rc != 0)
		return -1;
	usleep(100000); /* let sh start its two children */
	return child;
}

/* ---- a cgroup of our own, as the runner would make one ---- */

static char cg_path[1024];

/* Our cgroup v2 directory: the cgroup2 mount plus the "0::" path of /proc/self/cgroup. */
static bool own_cgroup_dir(char *out, size_t len)
{
	char line[1024], mnt[512] = "", root[512] = "", own[1024] = "";
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "0::", 3) == 0) {
			snprintf(own, sizeof(own), "%s", line + 3);
			own[strcspn(own, "\n")] = '\0';
		}
	fclose(f);
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		if (sscanf(line, "%*s %*s %*s %511s %511s", root, mnt) == 2)
			break;
		mnt[0] = '\0';
	}
	fclose(f);
	if (!own[0] || !mnt[0])
		return false;
	size_t rl = strlen(root);
	const char *rel = own;
	if (strcmp(root, "/") != 0) {
		if (strncmp(own, root, rl) != 0)
			return false;
		rel += rl;
	}
	snprintf(out, len, "%s%s", mnt, strcmp(rel, "/") == 0 ? "" : rel);
	return true;
}

/* Moves pid and its children into a new cgroup; returns its directory fd, or -1 with why. */
static int make_cgroup(pid_t pid, const pid_t *kids, size_t n_kids, char *why, size_t wlen)
{
	char parent[900];
	if (!own_cgroup_dir(parent, sizeof(parent))) {
		snprintf(why, wlen, "no cgroup v2 mount");
		return -1;
	}
	snprintf(cg_path, sizeof(cg_path), "%s/bench-sampler-%ld", parent, (long)getpid());
	if (mkdir(cg_path, 0755) != 0) {
		snprintf(why, wlen, "cannot make %s: %s", cg_path, strerror(errno));
		cg_path[0] = '\0';
		return -1;
	}
	int dfd = open(cg_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int pfd = dfd >= 0 ? openat(dfd, "cgroup.procs", O_WRONLY | O_CLOEXEC) : -1;
	bool ok = pfd >= 0;
	for (size_t i = 0; ok && i <= n_kids; i++) {
		char num[24];
		int len = snprintf(num, sizeof(num), "%ld", (long)(i == 0 ? pid : kids[i - 1]));
		ok = pwrite(pfd, num, (size_t)len, 0) == len;
	}
	if (!ok)
		snprintf(why, wlen, "cannot move processes into %s: %s", cg_path, strerror(errno));
	if (pfd >= 0)
		close(pfd);
	if (!ok && dfd >= 0) {
		close(dfd);
		dfd = -1;
	}
	return dfd;
}

/* ---- the variants ---- */

struct variant {
	const char *name;
	bool nvml;
	struct bl_device_target t;
	struct bl_devices d;
	struct bl_sample s;
	double cpu_s;        /* summed over the rounds */
	double best_round;   /* us per sample in the fastest round, the least disturbed */
	bool on;
	char reason[BL_DEVICE_REASON_LEN];
};

static void variant_open(struct variant *v)
{
	struct bl_device_options opt = {.no_nvml = !v->nvml};
	bl_devices_open(&v->d, &opt);
	if (v->nvml && !bl_devices_active(&v->d, "nvml")) {
		snprintf(v->reason, sizeof(v->reason), "%s", bl_devices_reason(&v->d, "nvml"));
		bl_devices_close(&v->d);
		return;
	}
	v->on = true;
	v->best_round = -1;
	bl_devices_begin(&v->d, &v->t);
	bl_devices_sample(&v->d, &v->t, &v->s); /* warm: opens the kept fds */
}

static void variant_round(struct variant *v, int n)
{
	double t0 = thread_cpu_s();
	for (int i = 0; i < n; i++)
		bl_devices_sample(&v->d, &v->t, &v->s);
	double dt = thread_cpu_s() - t0;
	v->cpu_s += dt;
	double us = dt / n * 1e6;
	if (v->best_round < 0 || us < v->best_round)
		v->best_round = us;
}

static void stop_group(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int int_arg(const char *v)
{
	int n = v ? atoi(v) : 0;
	if (n <= 0) {
		fprintf(stderr, "bench_sampler: expected a positive number, got '%s'\n", v ? v : "");
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	int n = 10000, threads = 128, children = 3, rounds = 10;
	const char *only = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--threads") == 0)
			threads = int_arg(argv[++i]);
		else if (strcmp(argv[i], "--children") == 0)
			children = int_arg(argv[++i]);
		else if (strcmp(argv[i], "--rounds") == 0)
			rounds = int_arg(argv[++i]);
		else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			only = argv[++i];
		else
			n = int_arg(argv[i]);
	}
	if (rounds > n)
		rounds = n;
	int per_round = n / rounds;
	n = per_round * rounds;

	pid_t tree = start_tree();
	pid_t thr = start_threaded(threads, children);
	pid_t thr_cg = start_threaded(threads, children);
	if (tree < 0 || thr < 0 || thr_cg < 0) {
		fprintf(stderr, "bench_sampler: cannot start the processes to sample\n");
		return 1;
	}
	/* The children of thr_cg: whatever has it as parent, from its main thread's children file. */
	pid_t kids[64];
	size_t n_kids = 0;
	char path[128];
	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", (long)thr_cg, (long)thr_cg);
	FILE *f = fopen(path, "re");
	if (f) {
		long k;
		while (n_kids < 64 && fscanf(f, "%ld", &k) == 1)
			kids[n_kids++] = (pid_t)k;
		fclose(f);
	}
	char cg_why[1200] = "";
	int cg_fd = make_cgroup(thr_cg, kids, n_kids, cg_why, sizeof(cg_why));

	struct variant v[] = {
		{.name = "tree (sh + 2 children)", .t = {.root = tree}},
		{.name = "threads", .t = {.root = thr}},
		{.name = "threads, in a cgroup", .t = {.root = thr_cg, .cgroup_fd = cg_fd}},
		{.name = "tree + nvml", .t = {.root = tree}, .nvml = true},
	};
	size_t nv = sizeof(v) / sizeof(v[0]);
	for (size_t i = 0; i < nv; i++) {
		if (only && strncmp(v[i].name, only, strlen(only)) != 0) {
			snprintf(v[i].reason, sizeof(v[i].reason), "not asked for (--only)");
			continue;
		}
		if (i == 2 && cg_fd < 0) {
			snprintf(v[i].reason, sizeof(v[i].reason), "%.200s", cg_why);
			continue;
		}
		variant_open(&v[i]);
	}
	double base_cpu = 0, base_best = -1;
	for (int r = 0; r < rounds; r++) {
		double t0 = thread_cpu_s();
		for (int i = 0; i < per_round; i++) {
			bare_read("/proc/self/stat");
			bare_read("/proc/stat");
		}
		double dt = thread_cpu_s() - t0;
		base_cpu += dt;
		if (base_best < 0 || dt / per_round * 1e6 < base_best)
			base_best = dt / per_round * 1e6;
		for (size_t i = 0; i < nv; i++)
			if (v[i].on)
				variant_round(&v[i], per_round);
	}
	double base = base_cpu / n * 1e6;

	printf("samples: %d per variant, in %d interleaved rounds; threaded process: %d threads, %d children\n", n,
	       rounds, threads, children);
	printf("%-26s %9s %9s %7s %9s %6s\n", "per sample", "mean us", "best rnd", "procs", "x target", "x base");
	printf("%-26s %9.2f %9.2f %7s %9s %6s\n", "baseline (bare reads)", base, base_best, "", "", "1.00");
	for (size_t i = 0; i < nv; i++) {
		if (!v[i].on) {
			printf("%-26s skipped: %s\n", v[i].name, v[i].reason);
			continue;
		}
		double us = v[i].cpu_s / n * 1e6;
		printf("%-26s %9.2f %9.2f %7zu %9.2f %6.2f", v[i].name, us, v[i].best_round, v[i].t.n_pids,
		       us / TARGET_US, us / base);
		if (v[i].nvml)
			printf("  (%d GPUs; NVML share %.2f us)", v[i].s.n_gpus, us - v[0].cpu_s / n * 1e6);
		printf("\n");
		free(v[i].t.pids);
		bl_devices_close(&v[i].d);
	}
	stop_group(tree);
	stop_group(thr);
	stop_group(thr_cg);
	if (cg_fd >= 0) {
		close(cg_fd);
		for (int i = 0; i < 100 && rmdir(cg_path) != 0 && errno == EBUSY; i++)
			usleep(10000); /* the killed children may take a moment to go */
	}
	return 0;
}
