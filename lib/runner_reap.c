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
	pid_t own_sid = getsid(0);
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
			struct rusage ru;
			int st;
			if (proc_state(kids[i], &state, &sid) && state == 'Z' && sid != own_sid &&
			    wait4(kids[i], &st, WNOHANG, &ru) == kids[i])
				add_rusage(u, &ru);
		}
	}
	closedir(tasks);
}
