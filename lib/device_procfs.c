/*
 * device_procfs.c - CPU and memory of a process tree and of the system from
 * /proc (or from the run's cgroup), and CPU package energy from RAPL
 * (/sys/class/powercap).
 *
 * Cost matters: this runs every interval_ms for the whole run (target: 25 us
 * of CPU a sample, bench/bench_sampler.c). Files read every sample stay open
 * and are re-read with one pread at offset 0 (procfs, sysfs and cgroupfs
 * regenerate them and hand the whole text over in one read), so a sample
 * costs a few preads, not open/read/close each. A process's files are opened
 * once and kept while it lives; an fd of a dead process fails with ESRCH
 * instead of reading whoever reuses its pid, so a kept fd also pins the
 * process's identity.
 *
 * Two ways to find the processes and their CPU, chosen per run at begin:
 *
 * With the run's cgroup (target->cgroup_fd: bl_run's own cgroup v2, handed
 * over only when the whole tree is in it): the processes are cgroup.procs
 * and the CPU is usage_usec of cpu.stat, in microseconds, which also counts
 * every process that has exited since, however short-lived, and daemons that
 * left the process tree; one pread, however many threads. Memory is still
 * the sum of each process's resident set (statm, kept open), as without a
 * cgroup: memory.current would add the page cache the run caused, and needs
 * the memory controller. Reading cgroup.procs walks every thread in the
 * kernel, so it is reread on the same budget as the children files below.
 *
 * Without (no cgroup v2, no permission, no_cgroup, or a child that forked
 * before it joined): the tree is walked from the root pid through
 * /proc/PID/task/TID/children. Finding children is the expensive part: a
 * process's children hang off the thread that forked them, so a process with
 * many threads (PyTorch: ~100) needs one open/read/close per thread, about
 * 4 us each. So the tree is rescanned at a lower rate than it is sampled, on
 * a CPU budget: after a scan that took C ns (counted as at most
 * SCAN_FILE_CAP_NS a file, against preemption), the next is due once
 * SCAN_BUDGET_NS x samples since, or C x SCAN_TIME_FACTOR of time, has
 * passed, whichever comes first; and a scan costing more than SCAN_CHEAP_NS
 * is only done if /proc/loadavg says a pid was handed out since the last
 * one (else the budget starts again). A tree of a few single-threaded
 * processes costs a few us to scan, so it is rescanned every sample or two;
 * one of 128 threads every 2-3 s at 10 ms while something on the machine
 * forks, never while nothing does. Between scans every known process is
 * sampled (its stat, kept open), orphans included. The trade-off: a process
 * born between two scans is picked up at the next scan, and its CPU until
 * then is counted in the interval it is found in. CPU is utime + stime + cutime + cstime, so the
 * CPU of a child that was born and reaped by a process of the tree between
 * two samples (or two scans) still counts, in the parent's cutime, when the
 * parent waits for it; what the tree had already counted of a child that
 * ends is taken off its parent's cutime growth, so nothing counts twice.
 * What is lost without a cgroup: a child whose parent does not wait for it
 * (SIGCHLD ignored, or the parent exited first, so benchline's subreaper
 * reaps it) and that ended unseen, plus the CPU a seen one burnt after the
 * last sample.
 *
 * Known limits: CPU time in /proc comes in clock ticks (usually 100 Hz), so
 * at 10 ms intervals a single sample is coarse (0, 100, 200 %) and only the
 * mean is precise (cpu.stat is not coarse); the process count and resident
 * memory only see the processes alive at a sample.
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

#define SCAN_BUDGET_NS 2000   /* children scans may cost this much per sample, amortised */
#define SCAN_TIME_FACTOR 5000 /* ... or this fraction of the time (0.02 %: 2 us per 10 ms) */
#define SCAN_CHEAP_NS 4000    /* a scan this cheap is done without asking /proc/loadavg first */
#define SCAN_FILE_CAP_NS 20000 /* a scan's cost is taken as at most this per file it read */

struct proc_entry {
	pid_t pid;
	pid_t ppid;           /* at the last read */
	int stat_fd;          /* /proc/<pid>/stat, or statm in cgroup mode; kept open */
	int children_fd;      /* /proc/<pid>/task/<pid>/children, -1 when unavailable or unneeded */
	uint64_t own;         /* utime + stime at the last read, ticks */
	uint64_t reaped;      /* cutime + cstime at the last read */
	uint64_t credit;      /* ticks of ended children already counted, due off reaped's growth */
	uint64_t new_own, new_reaped;
	uint64_t seen;        /* generation of the last sample that read it */
	bool fresh;           /* not read in any sample before this one */
};

struct procfs_dev {
	char proc_root[256];
	int stat_fd;          /* /proc/stat */
	int meminfo_fd;       /* /proc/meminfo */
	int loadavg_fd;       /* /proc/loadavg: its last field is the last pid handed out */
	long hz;              /* clock ticks per second */
	long page_size;
	long ncpu;            /* online CPUs, read once: sysconf reads sysfs every call */
	struct proc_entry *ent;
	size_t n_ent, cap_ent;
	uint64_t gen;         /* sample generation, for dropping dead entries */
	int64_t prev_ns;      /* time of the previous process sample, 0: none this run */
	/* without a cgroup: when to look for children next */
	int64_t scan_ns;      /* when the last scan ended, 0: none this run */
	int64_t scan_cost_ns;
	uint64_t since_scan;  /* samples since */
	long scan_last_pid;   /* the last pid handed out before the last scan, -1: unknown */
	/* with a cgroup (cg_procs_fd >= 0) */
	int cg_procs_fd;      /* cgroup.procs */
	int cg_cpu_fd;        /* cpu.stat */
	uint64_t prev_usage_us;
	char *procs_buf;      /* cgroup.procs text; grows when a read fills it */
	size_t procs_cap;
	uint64_t prev_sys_busy, prev_sys_total;
	int64_t prev_sys_ns;  /* 0: no previous system sample */
	int n_rapl;
	int rapl_fd[BL_DEVICE_MAX_RAPL];
	uint64_t rapl_range[BL_DEVICE_MAX_RAPL];
	char buf[8192];       /* read buffer for every other file */
};

/* One read from the start; returns the length (buf NUL-terminated) or -1.
 * These files are generated whole on each read: a short read is the end. */
static ssize_t pread_text(int fd, char *buf, size_t cap)
{
	ssize_t r;
	while ((r = pread(fd, buf, cap - 1, 0)) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -1;
	buf[r] = '\0';
	return r;
}

static int open_proc(const struct procfs_dev *p, pid_t pid, const char *file)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%d/%s", p->proc_root, (int)pid, file);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static int open_children(const struct procfs_dev *p, pid_t pid)
{
	char file[64];
	snprintf(file, sizeof(file), "task/%d/children", (int)pid);
	return open_proc(p, pid, file);
}

struct stat_fields {
	pid_t ppid;
	uint64_t own, reaped;
	long threads;
	uint64_t rss_pages;
};

/* Fields after the command name (which may hold spaces and parentheses). */
static int parse_stat(const char *s, struct stat_fields *f)
{
	const char *p = strrchr(s, ')');
	if (!p)
		return -1;
	p++;
	/* p now points before field 3 (state); count fields from there, and
	 * convert only those used (negative ones, which these are not, read 0). */
	uint64_t v[25] = {0};
	int field = 2;
	while (*p && field < 24) {
		while (*p == ' ')
			p++;
		field++;
		bool used = field == 4 || (field >= 14 && field <= 17) || field == 20 || field == 24;
		uint64_t x = 0;
		for (; *p && *p != ' '; p++)
			if (used && *p >= '0' && *p <= '9')
				x = x * 10 + (uint64_t)(*p - '0');
		v[field] = x;
	}
	if (field < 24)
		return -1;
	f->ppid = (pid_t)v[4];
	f->own = v[14] + v[15];    /* utime + stime */
	f->reaped = v[16] + v[17]; /* cutime + cstime: children waited for */
	f->threads = (long)v[20];
	f->rss_pages = v[24];
	return 0;
}

static bool cgroup_mode(const struct procfs_dev *p)
{
	return p->cg_procs_fd >= 0;
}

static struct proc_entry *find_entry(struct procfs_dev *p, pid_t pid)
{
	for (size_t i = 0; i < p->n_ent; i++)
		if (p->ent[i].pid == pid)
			return &p->ent[i];
	return NULL;
}

static struct proc_entry *entry_for(struct procfs_dev *p, pid_t pid)
{
	struct proc_entry *e = find_entry(p, pid);
	if (e)
		return e;
	int fd = open_proc(p, pid, cgroup_mode(p) ? "statm" : "stat");
	if (fd < 0)
		return NULL;
	BL_GROW(p->ent, p->cap_ent, p->n_ent + 1);
	e = &p->ent[p->n_ent++];
	memset(e, 0, sizeof(*e));
	e->pid = pid;
	e->stat_fd = fd;
	e->children_fd = cgroup_mode(p) ? -1 : open_children(p, pid);
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

static void drop_all(struct procfs_dev *p)
{
	while (p->n_ent)
		drop_entry(p, p->n_ent - 1);
}

static void push_pid(struct bl_device_target *t, pid_t pid)
{
	for (size_t i = 0; i < t->n_pids; i++)
		if (t->pids[i] == pid)
			return; /* a pid listed by two threads' children files */
	BL_GROW(t->pids, t->cap_pids, t->n_pids + 1);
	t->pids[t->n_pids++] = pid;
}

static void push_pids_text(struct bl_device_target *t, const char *s)
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

/* Children of every thread: a thread other than the main one may fork too.
 * Returns the number of files read, the task directory included. */
static int push_children_all_tasks(struct procfs_dev *p, struct bl_device_target *t, pid_t pid)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%d/task", p->proc_root, (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return 1;
	int files = 1;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		char rel[300];
		snprintf(rel, sizeof(rel), "%s/children", de->d_name);
		int fd = openat(dirfd(d), rel, O_RDONLY | O_CLOEXEC);
		files++;
		if (fd < 0)
			continue;
		if (pread_text(fd, p->buf, sizeof(p->buf)) > 0)
			push_pids_text(t, p->buf);
		close(fd);
	}
	closedir(d);
	return files;
}

/* The last pid the kernel handed out in our pid namespace (any process or
 * thread, anywhere on the machine), -1 when unknown. */
static long last_pid(struct procfs_dev *p)
{
	char b[128];
	if (p->loadavg_fd < 0 || pread_text(p->loadavg_fd, b, sizeof(b)) <= 0)
		return -1;
	const char *sp = strrchr(b, ' ');
	return sp ? strtol(sp + 1, NULL, 10) : -1;
}

/* A scan took `took` ns reading `files` files: what later scans are budgeted
 * on. Capped per file, so that one scan preempted half-way (a loaded
 * machine) does not put the next one off for seconds. */
static void scan_done(struct procfs_dev *p, int64_t took, int files, long pid_mark)
{
	int64_t cap = (int64_t)(files > 0 ? files : 1) * SCAN_FILE_CAP_NS;
	p->scan_cost_ns = took < cap ? took : cap;
	p->scan_ns = bl_now_mono_ns();
	p->since_scan = 0;
	p->scan_last_pid = pid_mark;
}

/* Whether to look for new children in this sample; *pid_mark gets the last
 * pid handed out before the look, -1 when not read. */
static bool scan_due(struct procfs_dev *p, int64_t now, long *pid_mark)
{
	*pid_mark = -1;
	if (!p->scan_ns) {
		*pid_mark = last_pid(p);
		return true;
	}
	if ((int64_t)p->since_scan * SCAN_BUDGET_NS < p->scan_cost_ns &&
	    now - p->scan_ns < p->scan_cost_ns * SCAN_TIME_FACTOR)
		return false; /* over budget */
	if (p->scan_cost_ns <= SCAN_CHEAP_NS)
		return true; /* cheaper to look than to ask whether to */
	/* No pid handed out since the last scan: nothing can have been born.
	 * Ask again after another budget's worth of samples. */
	*pid_mark = last_pid(p);
	if (*pid_mark >= 0 && *pid_mark == p->scan_last_pid) {
		p->since_scan = 0;
		p->scan_ns = now;
		return false;
	}
	return true;
}

/* Keeps only the pids of entries read in this sample, for nvml's process filter. */
static void keep_read_pids(struct procfs_dev *p, struct bl_device_target *t)
{
	size_t k = 0;
	for (size_t i = 0; i < t->n_pids; i++) {
		struct proc_entry *e = find_entry(p, t->pids[i]);
		if (e && e->seen == p->gen)
			t->pids[k++] = t->pids[i];
	}
	t->n_pids = k;
}

static void set_cpu(struct procfs_dev *p, struct bl_sample *s, double cpu_s, int64_t now)
{
	if (p->prev_ns && now > p->prev_ns) {
		double dt = (double)(now - p->prev_ns) / 1e9;
		s->proc_cpu_pct = (struct bl_value){cpu_s / dt * 100.0, true};
	}
	p->prev_ns = now;
}

/* Without a cgroup: the tree from the root pid, see the top of the file. */
static void sample_tree(struct procfs_dev *p, struct bl_device_target *t, struct bl_sample *s, int64_t now)
{
	p->gen++;
	long pid_mark;
	bool scan = scan_due(p, now, &pid_mark);
	int64_t scan_cost = 0; /* the children files only: the stat reads are paid anyway */
	int scan_files = 0;
	t->n_pids = 0;
	push_pid(t, t->root);
	for (size_t i = 0; i < p->n_ent; i++)
		push_pid(t, p->ent[i].pid); /* known ones, orphans included, while they live */
	uint64_t rss_pages = 0;
	size_t found = 0;
	for (size_t i = 0; i < t->n_pids; i++) {
		struct proc_entry *e = entry_for(p, t->pids[i]);
		if (!e)
			continue;
		struct stat_fields f;
		if (pread_text(e->stat_fd, p->buf, sizeof(p->buf)) <= 0 || parse_stat(p->buf, &f) < 0)
			continue; /* gone: left unseen, dropped below */
		e->seen = p->gen;
		e->ppid = f.ppid;
		e->new_own = f.own;
		e->new_reaped = f.reaped;
		found++;
		rss_pages += f.rss_pages;
		if (!scan)
			continue;
		int64_t t0 = bl_now_mono_ns();
		if (f.threads <= 1 && e->children_fd >= 0) {
			if (pread_text(e->children_fd, p->buf, sizeof(p->buf)) > 0)
				push_pids_text(t, p->buf);
			scan_files++;
		} else {
			scan_files += push_children_all_tasks(p, t, e->pid);
		}
		scan_cost += bl_now_mono_ns() - t0;
	}
	if (scan)
		scan_done(p, scan_cost, scan_files, pid_mark);
	p->since_scan++;
	/* Ended processes: what was counted of them is already in their
	 * parent's cutime, or will be once it waits for them. */
	for (size_t i = p->n_ent; i-- > 0;) {
		struct proc_entry *e = &p->ent[i];
		if (e->seen == p->gen)
			continue;
		struct proc_entry *parent = e->fresh ? NULL : find_entry(p, e->ppid);
		if (parent && parent->seen == p->gen)
			parent->credit += e->own + e->reaped;
		drop_entry(p, i);
	}
	uint64_t delta_ticks = 0;
	for (size_t i = 0; i < p->n_ent; i++) {
		struct proc_entry *e = &p->ent[i];
		if (e->fresh) {
			/* Found after the first sample: born since, so all of its CPU
			 * (and its reaped children's) belongs to this run. */
			if (p->prev_ns)
				delta_ticks += e->new_own + e->new_reaped;
		} else {
			uint64_t d_own = e->new_own > e->own ? e->new_own - e->own : 0;
			uint64_t d_reaped = e->new_reaped > e->reaped ? e->new_reaped - e->reaped : 0;
			uint64_t take = d_reaped < e->credit ? d_reaped : e->credit;
			e->credit -= take;
			delta_ticks += d_own + d_reaped - take;
		}
		e->fresh = false;
		e->own = e->new_own;
		e->reaped = e->new_reaped;
	}
	keep_read_pids(p, t);
	if (!found)
		return;
	s->proc_rss_bytes = (struct bl_value){(double)rss_pages * (double)p->page_size, true};
	s->proc_count = (struct bl_value){(double)found, true};
	set_cpu(p, s, (double)delta_ticks / (double)p->hz, now);
}

/* With the run's cgroup: its processes and its cpu.stat. */
static void sample_cgroup(struct procfs_dev *p, struct bl_device_target *t, struct bl_sample *s, int64_t now)
{
	p->gen++;
	t->n_pids = 0;
	long pid_mark;
	if (scan_due(p, now, &pid_mark)) {
		/* cgroup.procs walks every thread of the cgroup: rescanned on the
		 * same budget as the children files, and never while no pid was
		 * handed out. Between scans the known processes are read. */
		int64_t t0 = bl_now_mono_ns();
		ssize_t n;
		while ((n = pread_text(p->cg_procs_fd, p->procs_buf, p->procs_cap)) >= 0 &&
		       (size_t)n + 1 >= p->procs_cap) {
			/* Filled the buffer: maybe more pids than fit. Rare; grows once. */
			size_t cap = p->procs_cap * 2;
			free(p->procs_buf);
			p->procs_buf = bl_xmalloc(cap);
			p->procs_cap = cap;
		}
		if (n > 0)
			push_pids_text(t, p->procs_buf);
		/* it walks every task: a cap of one file per pid listed */
		scan_done(p, bl_now_mono_ns() - t0, (int)t->n_pids, pid_mark);
	} else {
		for (size_t i = 0; i < p->n_ent; i++)
			push_pid(t, p->ent[i].pid);
	}
	p->since_scan++;
	uint64_t rss_pages = 0;
	size_t found = 0;
	for (size_t i = 0; i < t->n_pids; i++) {
		struct proc_entry *e = entry_for(p, t->pids[i]);
		unsigned long long size, resident;
		if (!e || pread_text(e->stat_fd, p->buf, sizeof(p->buf)) <= 0 ||
		    sscanf(p->buf, "%llu %llu", &size, &resident) != 2)
			continue;
		e->seen = p->gen;
		found++;
		rss_pages += resident;
	}
	for (size_t i = p->n_ent; i-- > 0;)
		if (p->ent[i].seen != p->gen)
			drop_entry(p, i);
	keep_read_pids(p, t);
	if (found) {
		s->proc_rss_bytes = (struct bl_value){(double)rss_pages * (double)p->page_size, true};
		s->proc_count = (struct bl_value){(double)found, true};
	}
	/* "usage_usec N" is the first line. CPU stays valid with no process
	 * left (the stop sample): it is what the last interval used. */
	uint64_t usage;
	if (pread_text(p->cg_cpu_fd, p->buf, sizeof(p->buf)) <= 0 ||
	    sscanf(p->buf, "usage_usec %" SCNu64, &usage) != 1)
		return;
	if (p->prev_ns)
		set_cpu(p, s, (double)(usage >= p->prev_usage_us ? usage - p->prev_usage_us : 0) / 1e6, now);
	else
		p->prev_ns = now;
	p->prev_usage_us = usage;
}

static void sample_system(struct procfs_dev *p, struct bl_sample *s, int64_t now)
{
	if (p->stat_fd >= 0 && pread_text(p->stat_fd, p->buf, 512) > 0 && strncmp(p->buf, "cpu ", 4) == 0) {
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
	if (p->meminfo_fd >= 0 && pread_text(p->meminfo_fd, p->buf, 512) > 0) {
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
	ssize_t n = pread_text(fd, b, sizeof(b));
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
		if (pread_text(fd, b, sizeof(b)) <= 0 || sscanf(b, "%" SCNu64, &probe) != 1) {
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
	p->cg_procs_fd = p->cg_cpu_fd = -1;
	snprintf(path, sizeof(path), "%s/loadavg", p->proc_root);
	p->loadavg_fd = open(path, O_RDONLY | O_CLOEXEC);
	p->hz = sysconf(_SC_CLK_TCK);
	if (p->hz <= 0)
		p->hz = 100;
	p->page_size = sysconf(_SC_PAGESIZE);
	p->ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	open_rapl(p, opt && opt->rapl_root ? opt->rapl_root : "/sys/class/powercap");
	return (struct bl_device *)p;
}

static void close_cgroup(struct procfs_dev *p)
{
	if (p->cg_procs_fd >= 0)
		close(p->cg_procs_fd);
	if (p->cg_cpu_fd >= 0)
		close(p->cg_cpu_fd);
	p->cg_procs_fd = p->cg_cpu_fd = -1;
}

static void procfs_begin(struct bl_device *dev, struct bl_device_target *t)
{
	struct procfs_dev *p = (struct procfs_dev *)dev;
	drop_all(p);
	close_cgroup(p);
	p->prev_ns = 0;
	p->prev_sys_ns = 0;
	p->scan_ns = 0;
	p->since_scan = 0;
	t->n_pids = 0;
	t->cgroup_used = false;
	if (t->cgroup_fd > 0 && t->root > 0) {
		/* Files of our own, so the runner's fd is not needed after begin. */
		p->cg_procs_fd = openat(t->cgroup_fd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
		p->cg_cpu_fd = openat(t->cgroup_fd, "cpu.stat", O_RDONLY | O_CLOEXEC);
		uint64_t usage;
		if (p->cg_procs_fd < 0 || p->cg_cpu_fd < 0 || pread_text(p->cg_cpu_fd, p->buf, sizeof(p->buf)) <= 0 ||
		    sscanf(p->buf, "usage_usec %" SCNu64, &usage) != 1)
			close_cgroup(p); /* not readable as expected: walk /proc instead */
		t->cgroup_used = cgroup_mode(p);
		if (cgroup_mode(p) && !p->procs_buf) {
			p->procs_cap = 4096;
			p->procs_buf = bl_xmalloc(p->procs_cap);
		}
	}
}

static void procfs_sample(struct bl_device *dev, struct bl_device_target *t, struct bl_sample *s)
{
	struct procfs_dev *p = (struct procfs_dev *)dev;
	int64_t now = bl_now_mono_ns();
	if (cgroup_mode(p))
		sample_cgroup(p, t, s, now);
	else if (t->root > 0)
		sample_tree(p, t, s, now);
	sample_system(p, s, now);
}

static void procfs_end(struct bl_device *dev, struct bl_device_target *t)
{
	struct procfs_dev *p = (struct procfs_dev *)dev;
	drop_all(p);
	close_cgroup(p);
}

static void procfs_energy(struct bl_device *dev, struct bl_energy *e)
{
	struct procfs_dev *p = (struct procfs_dev *)dev;
	e->n_rapl = 0;
	e->rapl_valid = false;
	for (int i = 0; i < p->n_rapl; i++) {
		char b[64];
		uint64_t v;
		if (pread_text(p->rapl_fd[i], b, sizeof(b)) <= 0 || sscanf(b, "%" SCNu64, &v) != 1)
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
	drop_all(p);
	close_cgroup(p);
	free(p->ent);
	free(p->procs_buf);
	if (p->stat_fd >= 0)
		close(p->stat_fd);
	if (p->meminfo_fd >= 0)
		close(p->meminfo_fd);
	if (p->loadavg_fd >= 0)
		close(p->loadavg_fd);
	for (int i = 0; i < p->n_rapl; i++)
		close(p->rapl_fd[i]);
	free(p);
}

const struct bl_device_ops bl_device_procfs_ops = {
	.name = "procfs",
	.open = procfs_open,
	.begin = procfs_begin,
	.sample = procfs_sample,
	.end = procfs_end,
	.energy = procfs_energy,
	.describe = procfs_describe,
	.close = procfs_close,
};
