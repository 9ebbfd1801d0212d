/*
 * sampler.c - one background thread that samples the device backends while a
 * benchmark runs.
 *
 * DESIGN
 *
 * What it owns: the opened backends (struct bl_devices, opened once per
 * sampler so NVML initialises once per sweep, not per run), the target (the
 * benchmark's root pid, the run's cgroup when the runner hands one over, and
 * the pid list procfs fills), the sample array, the summary, and at most one
 * thread at a time. The cgroup's directory fd is the runner's: procfs opens
 * its own files in it at begin and closes them at end, before the runner
 * removes the cgroup.
 *
 * How it starts: bl_sampler_start (or the runner's on_start hook) resets the
 * run, lets the backends begin it, reads the energy counters, takes sample 0
 * in the caller's thread and only then creates the thread. How it stops:
 * bl_sampler_stop sets the stop flag under the mutex, signals the condition
 * variable, joins, and then takes the last sample, lets the backends end the
 * run, reads energy again and computes the summary, all in the caller's
 * thread. So the caller and the thread never touch the samples, the target
 * or the backends' state at the same time: pthread_create and pthread_join
 * order every access, and the mutex guards only the stop flag (ThreadSanitizer
 * agrees: scripts/test.sh runs the sampler's tests under it). Hence at least
 * two samples per run.
 *
 * Cost: what one sample costs is the backends' business (lib/device_procfs.c
 * explains how the process tree is found cheaply, with or without a cgroup;
 * bench/bench_sampler.c and docs/PERFORMANCE.md measure it).
 *
 * Timing: the thread waits for absolute deadlines start + k * interval on the
 * monotonic clock, so sampling cost does not make it drift. It waits with
 * pthread_cond_timedwait on a CLOCK_MONOTONIC condition variable rather than
 * clock_nanosleep(TIMER_ABSTIME): the same absolute deadline, but stop can
 * wake it at once instead of waiting out the interval (which with
 * interval_ms = 1000 would add up to a second to every run). A deadline
 * already past (a slow sample, a descheduled thread) is skipped, not caught
 * up with a burst.
 *
 * Waking up, measured on a 2-vCPU VM with a benchmark keeping both CPUs
 * busy, each variant against the same runs without sampling in the same
 * minutes (docs/PERFORMANCE.md): a timer slack of 4 ms, which lets a wake-up
 * wait for the busy CPU's scheduler tick, did not lower the slowdown (and
 * made samples late: not kept); nor did waiting in ppoll on an eventfd, one
 * system call a wait instead of the condition variable's two (not kept).
 *
 * Where it runs: when the runs are pinned to CPUs (run --cpus), the thread
 * is created on the other CPUs benchline may use, if there are any, so its
 * wake-ups do not preempt the benchmark (bl_sampler_avoid_cpus).
 *
 * Memory: samples go into an array that grows by doubling and is kept across
 * runs; it starts large enough for a minute at the interval (capped), so the
 * steady state allocates nothing per sample.
 */
#include "benchline/sampler.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct bl_sampler {
	int interval_ms;
	struct bl_devices dev;
	struct bl_device_target target;     /* pids filled by procfs */
	struct bl_sample *samples;          /* the current run's, owned */
	size_t n_samples, cap_samples;
	struct bl_energy energy_start;
	struct bl_sampler_summary summary;
	bool warmup;
	int64_t start_ns;                   /* monotonic, at sample 0 */
	pthread_t thread;
	bool running;                       /* a thread exists; caller's thread only */
	pthread_mutex_t mu;
	pthread_cond_t cv;                  /* CLOCK_MONOTONIC */
	bool stop;                          /* under mu */
	int64_t thread_cpu_ns;              /* written by the thread before it exits */
	cpu_set_t avoid;                    /* CPUs the thread keeps off when it can (the run's) */
	bool avoiding;
	cpu_set_t thread_cpus;              /* the thread's affinity, written by it as it starts */
	char error[256];
};

static void take_sample(struct bl_sampler *s)
{
	BL_GROW(s->samples, s->cap_samples, s->n_samples + 1);
	struct bl_sample *x = &s->samples[s->n_samples++];
	x->t_ns = bl_now_mono_ns() - s->start_ns;
	x->warmup = s->warmup;
	bl_devices_sample(&s->dev, &s->target, x);
}

static struct timespec ts_of(int64_t ns)
{
	return (struct timespec){.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
}

static void *sampler_main(void *arg)
{
	struct bl_sampler *s = arg;
	int64_t step = (int64_t)s->interval_ms * 1000000;
	int64_t deadline = s->start_ns;
	CPU_ZERO(&s->thread_cpus);
	sched_getaffinity(0, sizeof(s->thread_cpus), &s->thread_cpus);
	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		deadline += step;
		int64_t now = bl_now_mono_ns();
		if (deadline <= now)
			deadline += (now - deadline) / step * step + step;
		struct timespec ts = ts_of(deadline);
		int rc = 0;
		while (!s->stop && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&s->cv, &s->mu, &ts);
		if (s->stop)
			break;
		pthread_mutex_unlock(&s->mu);
		take_sample(s);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	struct timespec cpu;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0)
		s->thread_cpu_ns = (int64_t)cpu.tv_sec * 1000000000 + cpu.tv_nsec;
	return NULL;
}

int bl_sampler_new(struct bl_sampler **out, const struct bl_sampler_options *opt, struct bl_error *err)
{
	if (opt->interval_ms < 0)
		return bl_fail(err, "invalid sampling interval %d ms", opt->interval_ms);
	struct bl_sampler *s = bl_xcalloc(1, sizeof(*s));
	s->interval_ms = opt->interval_ms;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&s->mu, NULL);
	if (s->interval_ms > 0) {
		bl_devices_open(&s->dev, &opt->dev);
		size_t per_minute = 60000 / (size_t)s->interval_ms + 2;
		BL_GROW(s->samples, s->cap_samples, per_minute < 8192 ? per_minute : 8192);
	}
	*out = s;
	return 0;
}

static void series_add(struct bl_series *se, struct bl_value m)
{
	if (!m.valid)
		return;
	/* mean holds the running sum until series_end. */
	se->mean.value += m.value;
	if (!se->max.valid || m.value > se->max.value)
		se->max = (struct bl_value){m.value, true};
	se->n_valid++;
}

static void series_end(struct bl_series *se)
{
	if (se->n_valid)
		se->mean = (struct bl_value){se->mean.value / (double)se->n_valid, true};
	else
		se->mean = (struct bl_value){0, false};
}

static void summarise(struct bl_sampler *s, const struct bl_energy *energy_end)
{
	struct bl_sampler_summary *u = &s->summary;
	memset(u, 0, sizeof(*u));
	u->n_samples = s->n_samples;
	u->warmup = s->warmup;
	u->interval_ms = s->interval_ms;
	if (s->n_samples > 1)
		u->duration_s = (double)(s->samples[s->n_samples - 1].t_ns - s->samples[0].t_ns) / 1e9;
	uint64_t reasons[BL_DEVICE_MAX_GPUS] = {0};
	for (size_t k = 0; k < s->n_samples; k++) {
		const struct bl_sample *x = &s->samples[k];
		series_add(&u->proc_cpu_pct, x->proc_cpu_pct);
		series_add(&u->proc_rss_bytes, x->proc_rss_bytes);
		series_add(&u->proc_count, x->proc_count);
		series_add(&u->sys_cpu_pct, x->sys_cpu_pct);
		series_add(&u->sys_mem_used_bytes, x->sys_mem_used_bytes);
		if (x->n_gpus > u->n_gpus)
			u->n_gpus = x->n_gpus;
		for (int g = 0; g < x->n_gpus; g++) {
			const struct bl_gpu_sample *gs = &x->gpu[g];
			struct bl_gpu_summary *gu = &u->gpu[g];
			series_add(&gu->util_pct, gs->util_pct);
			series_add(&gu->mem_used_bytes, gs->mem_used_bytes);
			series_add(&gu->power_w, gs->power_w);
			series_add(&gu->temp_c, gs->temp_c);
			series_add(&gu->sm_clock_mhz, gs->sm_clock_mhz);
			series_add(&gu->proc_mem_bytes, gs->proc_mem_bytes);
			if (gs->clock_reasons.valid) {
				reasons[g] |= (uint64_t)gs->clock_reasons.value;
				gu->clock_reasons_any.valid = true;
			}
		}
	}
	series_end(&u->proc_cpu_pct);
	series_end(&u->proc_rss_bytes);
	series_end(&u->proc_count);
	series_end(&u->sys_cpu_pct);
	series_end(&u->sys_mem_used_bytes);
	for (int g = 0; g < u->n_gpus; g++) {
		struct bl_gpu_summary *gu = &u->gpu[g];
		series_end(&gu->util_pct);
		series_end(&gu->mem_used_bytes);
		series_end(&gu->power_w);
		series_end(&gu->temp_c);
		series_end(&gu->sm_clock_mhz);
		series_end(&gu->proc_mem_bytes);
		gu->clock_reasons_any.value = (double)reasons[g];
	}
	bl_energy_delta(&s->energy_start, energy_end, &u->energy);
}

void bl_sampler_stop(struct bl_sampler *s)
{
	if (!s || s->interval_ms == 0 || !s->running)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	s->running = false;
	take_sample(s);
	bl_devices_end(&s->dev, &s->target);
	struct bl_energy end;
	bl_devices_energy(&s->dev, &end);
	summarise(s, &end);
	s->summary.proc_cgroup = s->target.cgroup_used;
}

int bl_sampler_start(struct bl_sampler *s, pid_t pid, int cgroup_fd, struct bl_error *err)
{
	s->error[0] = '\0';
	if (s->interval_ms == 0)
		return 0;
	bl_sampler_stop(s);
	memset(&s->summary, 0, sizeof(s->summary));
	s->n_samples = 0;
	s->target.root = pid;
	s->target.cgroup_fd = cgroup_fd;
	bl_devices_begin(&s->dev, &s->target);
	bl_devices_energy(&s->dev, &s->energy_start);
	s->start_ns = bl_now_mono_ns();
	take_sample(s);
	s->stop = false; /* no thread exists yet */
	s->thread_cpu_ns = 0;
	/* Off the run's CPUs when others are ours: a wake-up on a core the
	 * benchmark keeps busy costs it more than the sample (docs/PERFORMANCE.md). */
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	if (s->avoiding) {
		cpu_set_t mine, keep;
		if (sched_getaffinity(0, sizeof(mine), &mine) == 0) {
			CPU_ZERO(&keep);
			for (int c = 0; c < CPU_SETSIZE; c++)
				if (CPU_ISSET(c, &mine) && !CPU_ISSET(c, &s->avoid))
					CPU_SET(c, &keep);
			if (CPU_COUNT(&keep) > 0)
				pthread_attr_setaffinity_np(&attr, sizeof(keep), &keep);
		}
	}
	int rc = pthread_create(&s->thread, &attr, sampler_main, s);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		snprintf(s->error, sizeof(s->error), "cannot start the sampler thread: %s", strerror(rc));
		return bl_fail(err, "%s", s->error);
	}
	s->running = true;
	return 0;
}

void bl_sampler_free(struct bl_sampler *s)
{
	if (!s)
		return;
	bl_sampler_stop(s);
	if (s->interval_ms > 0)
		bl_devices_close(&s->dev);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->samples);
	free(s->target.pids);
	free(s);
}

void bl_sampler_set_warmup(struct bl_sampler *s, bool warmup)
{
	s->warmup = warmup;
}

void bl_sampler_on_start(void *ctx, pid_t pid, int cgroup_fd)
{
	struct bl_error err;
	bl_sampler_start(ctx, pid, cgroup_fd, &err); /* keeps the reason in s->error */
}

void bl_sampler_on_exit(void *ctx)
{
	bl_sampler_stop(ctx);
}

const char *bl_sampler_error(const struct bl_sampler *s)
{
	return s->error;
}

const struct bl_sample *bl_sampler_samples(const struct bl_sampler *s, size_t *n)
{
	*n = s->running ? 0 : s->n_samples;
	return s->samples;
}

const struct bl_sampler_summary *bl_sampler_summary(const struct bl_sampler *s)
{
	return &s->summary;
}

struct bl_devices *bl_sampler_devices(struct bl_sampler *s)
{
	return &s->dev;
}

void bl_sampler_avoid_cpus(struct bl_sampler *s, const int *cpus, size_t n)
{
	CPU_ZERO(&s->avoid);
	s->avoiding = false;
	for (size_t i = 0; i < n; i++)
		if (cpus[i] >= 0 && cpus[i] < CPU_SETSIZE) {
			CPU_SET(cpus[i], &s->avoid);
			s->avoiding = true;
		}
}

bool bl_sampler_thread_may_use(const struct bl_sampler *s, int cpu)
{
	return cpu >= 0 && cpu < CPU_SETSIZE && CPU_ISSET(cpu, &s->thread_cpus);
}

int64_t bl_sampler_thread_cpu_ns(const struct bl_sampler *s)
{
	return s->thread_cpu_ns;
}
