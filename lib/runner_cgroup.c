/*
 * runner_cgroup.c - the cgroup v2 side of a run: the once-per-process probe, the cgroup each run gets (one shared
 * cgroup in kill-only mode, a fresh one per run for memory.peak), its pids, cgroup.kill and memory.peak. Why a
 * cgroup is made at all, and when the child joins it, is in the design comment of runner.c.
 */
#include "runner_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum cg_mode {
	CG_NONE = 0,
	CG_SHARED,  /* cgroup.kill only: one cgroup reused by every run */
	CG_PER_RUN, /* memory.peak: a fresh cgroup per run */
};

/* Written once by bl_cg_probe (under runner.c's pthread_once), read-only afterwards but for cg_mode. */
static struct {
	atomic_int cg_mode;           /* enum cg_mode; dropped to CG_NONE if joining fails */
	bool cg_kill;                 /* cgroup.kill exists */
	bool cg_memory_peak;          /* memory.peak exists */
	char *cg_parent;              /* our own cgroup directory, where run cgroups go */
	pthread_mutex_t shared_lock;  /* held by the run using shared */
	struct bl_run_cgroup shared;  /* CG_SHARED: the reusable cgroup */
	pid_t owner_pid;              /* process that created shared (atexit runs in forks too) */
	atomic_uint seq;              /* names per-run cgroups */
} cgs = {
	.shared_lock = PTHREAD_MUTEX_INITIALIZER,
	.shared = {.dir_fd = -1, .procs_fd = -1},
};

/* Undoes the \ooo escapes mountinfo uses for spaces and such in paths. */
static void unescape_mountinfo(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
		    r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* Finds the cgroup2 mount (mount point and the hierarchy path it shows). */
static bool find_cgroup2_mount(char **mnt, char **root)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	char *line = NULL;
	size_t cap = 0;
	bool found = false;
	while (!found && getline(&line, &cap, f) > 0) {
		/* id parent major:minor root mount-point options ... - fstype source super-options */
		char *sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		char *save = NULL;
		char *field[5];
		int n = 0;
		for (char *t = strtok_r(line, " ", &save); t && n < 5; t = strtok_r(NULL, " ", &save))
			field[n++] = t;
		if (n < 5)
			continue;
		unescape_mountinfo(field[3]);
		unescape_mountinfo(field[4]);
		*root = bl_xstrdup(field[3]);
		*mnt = bl_xstrdup(field[4]);
		found = true;
	}
	free(line);
	fclose(f);
	return found;
}

/* Our cgroup v2 path from the "0::" line of /proc/self/cgroup. */
static char *own_cgroup_path(void)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return NULL;
	char *line = NULL, *path = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		path = bl_xstrdup(line + 3);
		break;
	}
	free(line);
	fclose(f);
	return path;
}

/* Removes empty run cgroups left by benchline processes that died. */
static void remove_stale_cgroups(const char *parent)
{
	DIR *d = opendir(parent);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		long pid;
		char rest;
		if (sscanf(e->d_name, "benchline-%ld%c", &pid, &rest) < 1 || pid <= 0 || pid > INT_MAX)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		char *p = bl_xasprintf("%s/%s", parent, e->d_name);
		rmdir(p); /* fails harmlessly if it still holds processes */
		free(p);
	}
	closedir(d);
}

static int open_run_cgroup(struct bl_run_cgroup *cg, const char *path, bool owned)
{
	cg->dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->dir_fd < 0)
		return -1;
	cg->procs_fd = openat(cg->dir_fd, "cgroup.procs", O_RDWR | O_CLOEXEC);
	if (cg->procs_fd < 0) {
		bl_rn_close_fd(&cg->dir_fd);
		return -1;
	}
	cg->path = bl_xstrdup(path);
	cg->owned = owned;
	cg->memory_peak = cgs.cg_memory_peak;
	return 0;
}

static void close_run_cgroup(struct bl_run_cgroup *cg)
{
	bl_rn_close_fd(&cg->procs_fd);
	bl_rn_close_fd(&cg->dir_fd);
	if (cg->owned && cg->path)
		rmdir(cg->path); /* EBUSY if something unkillable is left; the next probe retries */
	free(cg->path);
	cg->path = NULL;
}

static void remove_shared_cgroup(void)
{
	if (cgs.owner_pid == getpid() && cgs.shared.path) {
		cgs.shared.owned = true;
		close_run_cgroup(&cgs.shared);
	}
}

/*
 * We only use what is already delegated to us: enabling controllers in our own cgroup would change the machine's
 * configuration and, by the no-internal-process rule, would mean moving ourselves first.
 */
void bl_cg_probe(void)
{
	char *mnt = NULL, *root = NULL, *own = own_cgroup_path();
	if (!own || !find_cgroup2_mount(&mnt, &root))
		goto out;
	/* Inside a cgroup namespace or a bind mount the mount shows a subtree. */
	const char *rel = own;
	size_t rl = strlen(root);
	if (strcmp(root, "/") != 0) {
		if (strncmp(own, root, rl) != 0 || (own[rl] != '/' && own[rl] != '\0'))
			goto out;
		rel = own + rl;
	}
	cgs.cg_parent = bl_xasprintf("%s%s", mnt, strcmp(rel, "/") == 0 ? "" : rel);
	remove_stale_cgroups(cgs.cg_parent);

	char *probe = bl_xasprintf("%s/benchline-%ld", cgs.cg_parent, (long)getpid());
	if (mkdir(probe, 0755) != 0 && errno != EEXIST) {
		free(probe);
		goto out;
	}
	int dfd = open(probe, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		cgs.cg_memory_peak = faccessat(dfd, "memory.peak", R_OK, 0) == 0;
		cgs.cg_kill = faccessat(dfd, "cgroup.kill", W_OK, 0) == 0;
		close(dfd);
	}
	if (cgs.cg_memory_peak) {
		rmdir(probe);
		atomic_store(&cgs.cg_mode, CG_PER_RUN);
	} else if (cgs.cg_kill && open_run_cgroup(&cgs.shared, probe, false) == 0) {
		cgs.owner_pid = getpid();
		atexit(remove_shared_cgroup);
		atomic_store(&cgs.cg_mode, CG_SHARED);
	} else {
		rmdir(probe);
	}
	free(probe);
out:
	free(own);
	free(mnt);
	free(root);
}

void bl_cg_caps(struct bl_runner_caps *caps)
{
	/* One load, so that the fields agree even while another thread drops the mode. */
	int mode = atomic_load(&cgs.cg_mode);
	caps->cgroup = mode != CG_NONE;
	caps->cgroup_memory_peak = mode == CG_PER_RUN;
	caps->cgroup_kill = mode != CG_NONE && cgs.cg_kill;
	if (mode != CG_NONE && cgs.cg_parent)
		snprintf(caps->cgroup_parent, sizeof(caps->cgroup_parent), "%s", cgs.cg_parent);
}

bool bl_cg_acquire(struct bl_run_cgroup *cg, bool *shared_locked)
{
	*shared_locked = false;
	int mode = atomic_load(&cgs.cg_mode);
	if (mode == CG_NONE)
		return false;
	if (mode == CG_SHARED && pthread_mutex_trylock(&cgs.shared_lock) == 0) {
		*shared_locked = true;
		*cg = cgs.shared;
		cg->owned = false;
		return true;
	}
	char *path = bl_xasprintf("%s/benchline-%ld-%u", cgs.cg_parent, (long)getpid(), atomic_fetch_add(&cgs.seq, 1));
	bool ok = mkdir(path, 0755) == 0 && open_run_cgroup(cg, path, true) == 0;
	if (!ok)
		rmdir(path);
	free(path);
	return ok;
}

void bl_cg_release(struct bl_run_cgroup *cg, bool shared_locked)
{
	if (shared_locked) {
		pthread_mutex_unlock(&cgs.shared_lock);
		memset(cg, 0, sizeof(*cg));
		cg->dir_fd = cg->procs_fd = -1;
		return;
	}
	close_run_cgroup(cg);
}

bool bl_cg_join(const struct bl_run_cgroup *cg, pid_t pid)
{
	char num[24];
	int len = snprintf(num, sizeof(num), "%ld", (long)pid);
	return pwrite(cg->procs_fd, num, (size_t)len, 0) == len || errno == ESRCH;
}

void bl_cg_disable(void)
{
	atomic_store(&cgs.cg_mode, CG_NONE);
}

size_t bl_cg_pids(const struct bl_run_cgroup *cg, pid_t *pids, size_t cap)
{
	char buf[4096];
	if (bl_rn_pread_text(cg->procs_fd, buf, sizeof(buf)) < 0)
		return 0;
	return bl_rn_parse_pids(buf, pids, cap);
}

void bl_cg_signal(const struct bl_run_cgroup *cg, int sig, pid_t skip_pgid)
{
	pid_t pids[BL_CG_PIDS_MAX];
	size_t n = bl_cg_pids(cg, pids, BL_CG_PIDS_MAX);
	for (size_t i = 0; i < n; i++)
		if (!skip_pgid || (pids[i] != skip_pgid && getpgid(pids[i]) != skip_pgid))
			kill(pids[i], sig);
}

void bl_cg_kill_all(const struct bl_run_cgroup *cg)
{
	if (cgs.cg_kill) {
		int fd = openat(cg->dir_fd, "cgroup.kill", O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t w = write(fd, "1", 1);
			close(fd);
			if (w == 1)
				return;
		}
	}
	bl_cg_signal(cg, SIGKILL, 0);
}

int64_t bl_cg_memory_peak(const struct bl_run_cgroup *cg)
{
	char buf[64];
	if (bl_rn_read_text(cg->dir_fd, "memory.peak", buf, sizeof(buf)) < 0)
		return -1;
	char *end;
	long long v = strtoll(buf, &end, 10);
	return end == buf ? -1 : (int64_t)v;
}
