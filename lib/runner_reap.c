/*
 * runner_reap.c - collects what a run leaves behind once its main process has exited: the rest of its process group
 * and cgroup (ours to reap as the child subreaper) and zombies from other sessions, adding their CPU time to the
 * run's. Steps 3 to 5 of "How it ends" in the design comment of runner.c.
 */
#include "runner_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static void add_rusage(struct bl_tree_usage *u, const struct rusage *ru)
{
	u->user_s += bl_rn_tv_seconds(ru->ru_utime);
	u->sys_s += bl_rn_tv_seconds(ru->ru_stime);
	if (ru->ru_maxrss > u->leftover_maxrss_kb)
		u->leftover_maxrss_kb = ru->ru_maxrss;
}

void bl_reap_leftovers(pid_t pgid, pid_t *pids, size_t n, int64_t deadline_ns, struct bl_tree_usage *u)
{
	int64_t nap = 100 * 1000;
	bool group_done = false;
	for (;;) {
		struct rusage ru;
		int st;
		while (!group_done) {
			pid_t r = wait4(-pgid, &st, WNOHANG, &ru);
			if (r > 0)
				add_rusage(u, &ru);
			else if (r < 0 && errno == EINTR)
				continue;
			else {
				group_done = r < 0; /* ECHILD: none of our children left in it */
				break;
			}
		}
		bool all = group_done;
		for (size_t i = 0; i < n; i++) {
			if (!pids[i])
				continue;
			pid_t r = wait4(pids[i], &st, WNOHANG, &ru);
			if (r == pids[i]) {
				add_rusage(u, &ru);
				pids[i] = 0;
			} else if (r < 0 && errno == ECHILD && kill(pids[i], 0) != 0 && errno == ESRCH) {
				pids[i] = 0; /* gone, reaped by its own parent */
			} else {
				all = false; /* dying, or not yet reparented to us */
			}
		}
		if (all || bl_now_mono_ns() >= deadline_ns)
			return;
		struct timespec ts = bl_rn_timespec(nap);
		nanosleep(&ts, NULL);
		if (nap < 20 * 1000000LL)
			nap *= 2;
	}
}

/* Reads state and session of a process from /proc/PID/stat. */
static bool proc_state(pid_t pid, char *state, pid_t *sid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (bl_rn_read_text(AT_FDCWD, path, buf, sizeof(buf)) < 0)
		return false;
	/* pid (comm) state ppid pgrp session ...; comm may hold anything but ')' ends it last. */
	char *p = strrchr(buf, ')');
	long ppid, pgrp, session;
	if (!p || sscanf(p + 1, " %c %ld %ld %ld", state, &ppid, &pgrp, &session) != 4)
		return false;
	*sid = (pid_t)session;
	return true;
}

/* Calls fn for each child of ours listed in /proc/self/task/<tid>/children, with its state and session. */
static void foreach_child(void (*fn)(pid_t pid, char state, pid_t sid, void *ctx), void *ctx)
{
	DIR *tasks = opendir("/proc/self/task");
	if (!tasks)
		return;
	struct dirent *t;
	while ((t = readdir(tasks))) {
		long tid = strtol(t->d_name, NULL, 10);
		if (tid <= 0)
			continue;
		char path[64], buf[4096];
		/* Every entry takes at least two bytes ("1 "), so this holds all that one read returns. */
		pid_t kids[sizeof(buf) / 2];
		snprintf(path, sizeof(path), "/proc/self/task/%ld/children", tid);
		if (bl_rn_read_text(AT_FDCWD, path, buf, sizeof(buf)) < 0)
			continue;
		size_t n = bl_rn_parse_pids(buf, kids, sizeof(kids) / sizeof(kids[0]));
		for (size_t i = 0; i < n; i++) {
			char state;
			pid_t sid;
			if (proc_state(kids[i], &state, &sid))
				fn(kids[i], state, sid, ctx);
		}
	}
	closedir(tasks);
}

struct zombies {
	pid_t own_sid;
	struct bl_tree_usage *u;
};

static void reap_zombie(pid_t pid, char state, pid_t sid, void *ctx)
{
	struct zombies *z = ctx;
	struct rusage ru;
	int st;
	if (state == 'Z' && sid != z->own_sid && wait4(pid, &st, WNOHANG, &ru) == pid)
		add_rusage(z->u, &ru);
}

/*
 * A process that called setsid() and exited while its parent was alive is reparented to us as a zombie when the
 * parent dies: it is in neither the process group nor cgroup.procs, and nobody else will ever wait for it. Our own
 * helper commands (proc.c) stay in our session, so they are never touched; nor is anything still running.
 */
void bl_reap_orphan_zombies(struct bl_tree_usage *u)
{
	siginfo_t si = {0};
	/* One syscall in the usual case: no zombie child at all. */
	if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid == 0)
		return;
	struct zombies z = {.own_sid = getsid(0), .u = u};
	foreach_child(reap_zombie, &z);
}

struct escaped {
	pid_t own_sid;
	pid_t *pids;
	size_t n, cap;
};

static void kill_escaped(pid_t pid, char state, pid_t sid, void *ctx)
{
	struct escaped *e = ctx;
	if (state == 'Z' || sid == e->own_sid)
		return;
	kill(pid, SIGKILL);
	if (e->n < e->cap)
		e->pids[e->n++] = pid;
}

/*
 * Without a cgroup that holds the whole tree, a benchmark's daemon that called setsid() is in neither the process
 * group nor a cgroup we can kill. Once its parent has died it is our child (we are the subreaper), and it is in a
 * session of its own, which nothing benchline starts itself is (proc.c's commands stay in ours): that tells it
 * apart. A daemon whose parent is still alive is not found; runner.c calls this after the group was killed and
 * reaped, when no such parent is left.
 */
size_t bl_kill_escaped(pid_t *pids, size_t cap)
{
	struct escaped e = {.own_sid = getsid(0), .pids = pids, .cap = cap};
	foreach_child(kill_escaped, &e);
	return e.n;
}
