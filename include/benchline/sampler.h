/*
 * sampler.h - samples CPU, memory and GPU of a running benchmark from a
 * background thread every interval_ms, and summarises each run.
 *
 * Use with the runner (one sampler per sweep, reused for every run, so NVML
 * is initialised once):
 *
 *	struct bl_sampler *smp;
 *	bl_sampler_new(&smp, &(struct bl_sampler_options){.interval_ms = 10}, &err);
 *	spec.on_start = bl_sampler_on_start;  // starts sampling the child's tree
 *	spec.on_exit = bl_sampler_on_exit;    // stops; the summary is ready after
 *	spec.ctx = smp;
 *	bl_sampler_set_warmup(smp, is_warmup);
 *	bl_run(&spec, &res, &err);
 *	samples = bl_sampler_samples(smp, &n);  // borrowed until the next start
 *	sum = bl_sampler_summary(smp);          // mean/max per series, energy
 *	... store them in one batch ...
 *	bl_sampler_free(smp);
 *
 * Every run has at least two samples (one at start, one at stop), however
 * short. The stop sample is taken after the child was reaped, so without a
 * cgroup its process values are invalid; with the run's cgroup its process
 * CPU is valid (what the cgroup used since the previous sample, the exited
 * processes included) and the count and memory are valid only when
 * something is left in it. System and GPU values are valid either way.
 * interval_ms 0 turns the sampler off: start and stop do nothing and a run
 * has no samples.
 *
 * start, stop and the accessors must be called from one thread (or with the
 * caller's own ordering); the sampling thread is internal.
 */
#ifndef BENCHLINE_SAMPLER_H
#define BENCHLINE_SAMPLER_H

#include "benchline/common.h"
#include "benchline/device.h"
#include <sys/types.h>

struct bl_sampler_options {
	int interval_ms;                /* 0: off */
	struct bl_device_options dev;   /* backend overrides, zero for defaults */
};

/* Mean and max over the valid values of one series; both invalid when none was. */
struct bl_series {
	struct bl_value mean;
	struct bl_value max;
	size_t n_valid;
};

struct bl_gpu_summary {
	struct bl_series util_pct;
	struct bl_series mem_used_bytes;
	struct bl_series power_w;
	struct bl_series temp_c;
	struct bl_series sm_clock_mhz;
	struct bl_series proc_mem_bytes;
	struct bl_value clock_reasons_any; /* OR of every sample's reasons bitmask */
};

struct bl_sampler_summary {
	size_t n_samples;
	bool warmup;
	double duration_s;              /* first to last sample */
	int interval_ms;                /* as configured, for the record */
	struct bl_series proc_cpu_pct;
	struct bl_series proc_rss_bytes;
	struct bl_series proc_count;
	struct bl_series sys_cpu_pct;
	struct bl_series sys_mem_used_bytes;
	int n_gpus;
	struct bl_gpu_summary gpu[BL_DEVICE_MAX_GPUS];
	struct bl_energy_used energy;   /* from start to stop, not per sample */
	bool proc_cgroup;               /* process values came from the run's cgroup, not a /proc walk */
};

struct bl_sampler;

/* Opens the device backends (NVML init can take a good fraction of a second). */
int bl_sampler_new(struct bl_sampler **out, const struct bl_sampler_options *opt, struct bl_error *err);
void bl_sampler_free(struct bl_sampler *s);

/* Marks the following runs as warm-up (or not); copied into every sample. */
void bl_sampler_set_warmup(struct bl_sampler *s, bool warmup);
/* Takes the first sample of pid's tree and starts the thread. A run still
 * going is stopped first. Fails only when the thread cannot be created.
 * cgroup_fd: the run's own cgroup v2 directory (as bl_run's on_start hook
 * gets it), borrowed until stop, or -1: then the tree is walked in /proc
 * (see lib/device_procfs.c for what each way counts). */
int bl_sampler_start(struct bl_sampler *s, pid_t pid, int cgroup_fd, struct bl_error *err);
/* Stops the thread, takes the last sample, reads energy, computes the summary. */
void bl_sampler_stop(struct bl_sampler *s);

/* Runner hooks; ctx is the sampler. A start failure is kept for bl_sampler_error. */
void bl_sampler_on_start(void *ctx, pid_t pid, int cgroup_fd);
void bl_sampler_on_exit(void *ctx);
/* Why the last start failed, "" when it did not. */
const char *bl_sampler_error(const struct bl_sampler *s);

/* The last run's samples, owned by the sampler, valid until the next start. */
const struct bl_sample *bl_sampler_samples(const struct bl_sampler *s, size_t *n);
/* The last run's summary, valid after stop until the next start. */
const struct bl_sampler_summary *bl_sampler_summary(const struct bl_sampler *s);
/* The backends, for their reasons ("NVML not found: ...") and gpus_json. */
struct bl_devices *bl_sampler_devices(struct bl_sampler *s);
/* CPU time the sampling thread used during the last run, in ns (for bench). */
int64_t bl_sampler_thread_cpu_ns(const struct bl_sampler *s);
/* The CPUs the runs are pinned to (bl_run_spec.cpus; n 0: none): the thread
 * of the following runs keeps off them, on the other CPUs benchline may use,
 * when there are any (else it runs anywhere, as without this). */
void bl_sampler_avoid_cpus(struct bl_sampler *s, const int *cpus, size_t n);
/* Whether the last run's thread was allowed on cpu (for tests and doctor). */
bool bl_sampler_thread_may_use(const struct bl_sampler *s, int cpu);

#endif
