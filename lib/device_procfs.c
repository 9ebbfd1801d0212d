/*
 * device_procfs.c - CPU and memory of a process tree and of the system from
 * /proc, and CPU package energy from RAPL (/sys/class/powercap).
 *
 * Cost matters: this runs every interval_ms for the whole run. Files read
 * every sample stay open and are re-read with pread at offset 0 (procfs
 * regenerates them), so a sample costs a few preads, not open/read/close
 * each. A process's stat and children files are opened once and kept while
 * it lives; an fd of a dead process fails with ESRCH instead of reading
 * whoever reuses its pid, so a kept fd also pins the process's identity.
 *
 * Known limits: CPU time comes in clock ticks (usually 100 Hz), so at 10 ms
 * intervals a single sample is coarse (0, 100, 200 %) and only the mean is
 * precise; a process that starts and exits between two samples is missed,
 * and the CPU a process burnt after the previous sample is lost when it
 * exits before the next one.
 */
#include "benchline/device.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct proc_entry {
	pid_t pid;
	int stat_fd;          /* /proc/<pid>/stat, kept open */
	int children_fd;      /* /proc/<pid>/task/<pid>/children, -1 when unavailable */
	uint64_t ticks;       /* utime + stime at the last sample */
	uint64_t seen;        /* generation of the last sample that found it */
	bool fresh;           /* first seen in the current sample */
};

struct procfs_dev {
	char proc_root[256];
	int stat_fd;          /* /proc/stat */
	int meminfo_fd;       /* /proc/meminfo */
	long hz;              /* clock ticks per second */
	long page_size;
	long ncpu;            /* online CPUs, read once: sysconf reads sysfs every call */
	struct proc_entry *ent;
	size_t n_ent, cap_ent;
	uint64_t gen;         /* sample generation, for dropping dead entries */
	int64_t prev_ns;      /* time of the previous process sample, 0: none this run */
	uint64_t prev_sys_busy, prev_sys_total;
	int64_t prev_sys_ns;  /* 0: no previous system sample */
	int n_rapl;
	int rapl_fd[BL_DEVICE_MAX_RAPL];
	uint64_t rapl_range[BL_DEVICE_MAX_RAPL];
	char buf[8192];       /* read buffer for every file */
};

static ssize_t pread_all(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	while (len + 1 < cap) {
		ssize_t r = pread(fd, buf + len, cap - 1 - len, (off_t)len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

/* /proc/<pid>/stat, or the main thread's /proc/<pid>/task/<pid>/children. */
static int open_proc(const struct procfs_dev *p, pid_t pid, bool in_task)
{
	char path[512];
	if (in_task)
		snprintf(path, sizeof(path), "%s/%d/task/%d/children", p->proc_root, (int)pid, (int)pid);
	else
		snprintf(path, sizeof(path), "%s/%d/stat", p->proc_root, (int)pid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* Fields after the command name (which may hold spaces and parentheses). */
static int parse_stat(const char *s, uint64_t *ticks, long *threads, uint64_t *rss_pages)
{
	const char *p = strrchr(s, ')');
	if (!p)
		return -1;
	p++;
	/* p now points before field 3 (state); count fields from there. */
	uint64_t utime = 0, stime = 0;
	int field = 2;
	while (*p && field < 24) {
		while (*p == ' ')
			p++;
		field++;
		char *end;
		unsigned long long v = strtoull(p, &end, 10);
		if (field == 14)
			utime = v;
		else if (field == 15)
			stime = v;
		else if (field == 20)
			*threads = (long)v;
		else if (field == 24)
			*rss_pages = v;
		while (*p && *p != ' ')
			p++;
	}
	if (field < 24)
		return -1;
	*ticks = utime + stime;
	return 0;
}

static struct proc_entry *entry_for(struct procfs_dev *p, pid_t pid)
{
	for (size_t i = 0; i < p->n_ent; i++)
		if (p->ent[i].pid == pid)
			return &p->ent[i];
	int fd = open_proc(p, pid, false);
	if (fd < 0)
		return NULL;
	BL_GROW(p->ent, p->cap_ent, p->n_ent + 1);
	struct proc_entry *e = &p->ent[p->n_ent++];
	memset(e, 0, sizeof(*e));
	e->pid = pid;
	e->stat_fd = fd;
	e->children_fd = open_proc(p, pid, true);
	e->fresh = true;
	return e;
}

static void drop_entry(struct procfs_dev *p, size_t i)
{
	close(p->ent[i].stat_fd);
	if (p->ent[i].children_fd >= 0)
		close(p->ent[i].children_fd);
	p->ent[i] = p->ent[--p->n_ent];
}

static void push_pid(struct bl_device_target *t, pid_t pid)
{
	for (size_t i = 0; i < t->n_pids; i++)
		if (t->pids[i] == pid)
			return; /* a pid listed by two threads' children files */
	BL_GROW(t->pids, t->cap_pids, t->n_pids + 1);
	t->pids[t->n_pids++] = pid;
}

static void push_children_text(struct bl_device_target *t, const char *s)
{
	while (*s) {
		char *end;
		long v = strtol(s, &end, 10);
		if (end == s) {
			s++;
			continue;
		}
		if (v > 0)
			push_pid(t, (pid_t)v);
		s = end;
	}
}

/* Children of every thread: a thread other than the main one may fork too. */
static void push_children_all_tasks(struct procfs_dev *p, struct bl_device_target *t, pid_t pid)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%d/task", p->proc_root, (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		char rel[300];
		snprintf(rel, sizeof(rel), "%s/children", de->d_name);
		int fd = openat(dirfd(d), rel, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (pread_all(fd, p->buf, sizeof(p->buf)) > 0)
			push_children_text(t, p->buf);
		close(fd);
	}
	closedir(d);
}

static void sample_tree(struct procfs_dev *p, struct bl_device_target *t, struct bl_sample *s, int64_t now)
{
	p->gen++;
	t->n_pids = 0;
	push_pid(t, t->root);
	uint64_t delta_ticks = 0;
	uint64_t rss_pages = 0;
	size_t found = 0;
	for (size_t i = 0; i < t->n_pids; i++) {
		struct proc_entry *e = entry_for(p, t->pids[i]);
		if (!e)
			continue;
		uint64_t ticks = 0, rss = 0;
		long threads = 1;
		if (pread_all(e->stat_fd, p->buf, sizeof(p->buf)) <= 0 ||
		    parse_stat(p->buf, &ticks, &threads, &rss) < 0)
			continue; /* gone: left unseen, dropped below */
		e->seen = p->gen;
		found++;
		rss_pages += rss;
		/* A process first seen after the first sample started since the
		 * previous one, so all of its CPU time belongs to this interval. */
		if (e->fresh)
			delta_ticks += p->prev_ns ? ticks : 0;
		else if (ticks > e->ticks)
			delta_ticks += ticks - e->ticks;
		e->fresh = false;
		e->ticks = ticks;
		if (threads <= 1 && e->children_fd >= 0) {
			if (pread_all(e->children_fd, p->buf, sizeof(p->buf)) > 0)
				push_children_text(t, p->buf);
		} else {
			push_children_all_tasks(p, t, e->pid);
		}
	}
	for (size_t i = p->n_ent; i-- > 0;)
		if (p->ent[i].seen != p->gen)
			drop_entry(p, i);
	/* Keep only the pids actually read, for nvml's process filter. */
	size_t k = 0;
	for (size_t i = 0; i < t->n_pids; i++)
		for (size_t j = 0; j < p->n_ent; j++)
			if (p->ent[j].pid == t->pids[i]) {
				t->pids[k++] = t->pids[i];
				break;
			}
	t->n_pids = k;
	if (!found)
		return;
	s->proc_rss_bytes = (struct bl_value){(double)rss_pages * (double)p->page_size, true};
	s->proc_count = (struct bl_value){(double)found, true};
	if (p->prev_ns && now > p->prev_ns) {
		double dt = (double)(now - p->prev_ns) / 1e9;
		s->proc_cpu_pct = (struct bl_value){(double)delta_ticks / (double)p->hz / dt * 100.0, true};
	}
	p->prev_ns = now;
}

static void sample_system(struct procfs_dev *p, struct bl_sample *s, int64_t now)
{
	if (p->stat_fd >= 0 && pread_all(p->stat_fd, p->buf, 512) > 0 && strncmp(p->buf, "cpu ", 4) == 0) {
		uint64_t v[8] = {0};
		const char *c = p->buf + 4;
		for (int i = 0; i < 8; i++) {
			char *end;
			v[i] = strtoull(c, &end, 10);
			c = end;
		}
		uint64_t total = 0;
		for (int i = 0; i < 8; i++)
			total += v[i];
		uint64_t busy = total - v[3] - v[4]; /* minus idle and iowait */
		if (p->prev_sys_ns && total > p->prev_sys_total) {
			/* Ticks are summed over CPUs, so the ratio is of the whole
			 * machine; times the number of CPUs gives % of one core. */
			long ncpu = p->ncpu;
			double frac = (double)(busy - p->prev_sys_busy) / (double)(total - p->prev_sys_total);
			s->sys_cpu_pct = (struct bl_value){frac * 100.0 * (double)(ncpu > 0 ? ncpu : 1), true};
		}
		p->prev_sys_busy = busy;
		p->prev_sys_total = total;
		p->prev_sys_ns = now;
	}
	/* MemTotal and MemAvailable are among the first lines. */
	if (p->meminfo_fd >= 0 && pread_all(p->meminfo_fd, p->buf, 512) > 0) {
		char *tot = strstr(p->buf, "MemTotal:");
		char *avail = strstr(p->buf, "MemAvailable:");
		if (tot && avail) {
			double t_kb = strtod(tot + 9, NULL);
			double a_kb = strtod(avail + 13, NULL);
			s->sys_mem_used_bytes = (struct bl_value){(t_kb - a_kb) * 1024.0, true};
		}
	}
}

static bool read_u64_file(const char *path, uint64_t *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	char b[64];
	ssize_t n = pread_all(fd, b, sizeof(b));
	close(fd);
	if (n <= 0)
		return false;
	char *end;
	*out = strtoull(b, &end, 10);
	return end != b;
}

/* Package domains only ("intel-rapl:0", not the "intel-rapl:0:1" subzones,
 * which the package already includes). */
static void open_rapl(struct procfs_dev *p, const char *root)
{
	DIR *d = opendir(root);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL && p->n_rapl < BL_DEVICE_MAX_RAPL) {
		const char *n = de->d_name;
		if (strncmp(n, "intel-rapl:", 11) != 0 || strchr(n + 11, ':'))
			continue;
		char path[600];
		uint64_t range = 0, probe = 0;
		snprintf(path, sizeof(path), "%s/%s/max_energy_range_uj", root, n);
		if (!read_u64_file(path, &range) || range == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s/energy_uj", root, n);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* root-only on most kernels since 2020 */
		char b[64];
		if (pread_all(fd, b, sizeof(b)) <= 0 || sscanf(b, "%" SCNu64, &probe) != 1) {
			close(fd);
			continue;
		}
		p->rapl_fd[p->n_rapl] = fd;
		p->rapl_range[p->n_rapl] = range;
		p->n_rapl++;
	}
	closedir(d);
}

static struct bl_device *procfs_open(const struct bl_device_options *opt, char *reason, size_t reason_len)
{
	struct procfs_dev *p = bl_xcalloc(1, sizeof(*p));
	snprintf(p->proc_root, sizeof(p->proc_root), "%s", opt && opt->proc_root ? opt->proc_root : "/proc");
	char path[300];
	snprintf(path, sizeof(path), "%s/stat", p->proc_root);
	p->stat_fd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/meminfo", p->proc_root);
	p->meminfo_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (p->stat_fd < 0 && p->meminfo_fd < 0) {
		snprintf(reason, reason_len, "cannot read '%s/stat': %s", p->proc_root, strerror(errno));
		free(p);
		return NULL;
	}
	p->hz = sysconf(_SC_CLK_TCK);
	if (p->hz <= 0)
		p->hz = 100;
	p->page_size = sysconf(_SC_PAGESIZE);
	p->ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	open_rapl(p, opt && opt->rapl_root ? opt->rapl_root : "/sys/class/powercap");
	return (struct bl_device *)p;
}

static void procfs_begin(struct bl_device *dev, struct bl_device_target *t)
{
	struct procfs_dev *p = (struct procfs_dev *)dev;
	while (p->n_ent)
		drop_entry(p, p->n_ent - 1);
	p->prev_ns = 0;
	p->prev_sys_ns = 0;
	t->n_pids = 0;
}

static void procfs_sample(struct bl_device *dev, struct bl_device_target *t, struct bl_sample *s)
{
	struct procfs_dev *p = (struct procfs_dev *)dev;
	int64_t now = bl_now_mono_ns();
	if (t->root > 0)
		sample_tree(p, t, s, now);
	sample_system(p, s, now);
}

static void procfs_energy(struct bl_device *dev, struct bl_energy *e)
{
	struct procfs_dev *p = (struct procfs_dev *)dev;
	e->n_rapl = 0;
	e->rapl_valid = false;
	for (int i = 0; i < p->n_rapl; i++) {
		char b[64];
		uint64_t v;
		if (pread_all(p->rapl_fd[i], b, sizeof(b)) <= 0 || sscanf(b, "%" SCNu64, &v) != 1)
			return; /* one package unreadable: the sum would be wrong */
		e->rapl_uj[i] = v;
		e->rapl_range_uj[i] = p->rapl_range[i];
		e->n_rapl = i + 1;
	}
	e->rapl_valid = p->n_rapl > 0;
}

static void procfs_describe(struct bl_device *dev, struct bl_buf *json)
{
}

static void procfs_close(struct bl_device *dev)
{
	struct procfs_dev *p = (struct procfs_dev *)dev;
	if (!p)
		return;
	while (p->n_ent)
		drop_entry(p, p->n_ent - 1);
	free(p->ent);
	if (p->stat_fd >= 0)
		close(p->stat_fd);
	if (p->meminfo_fd >= 0)
		close(p->meminfo_fd);
	for (int i = 0; i < p->n_rapl; i++)
		close(p->rapl_fd[i]);
	free(p);
}

const struct bl_device_ops bl_device_procfs_ops = {
	.name = "procfs",
	.open = procfs_open,
	.begin = procfs_begin,
	.sample = procfs_sample,
	.energy = procfs_energy,
	.describe = procfs_describe,
	.close = procfs_close,
};
