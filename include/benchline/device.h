/*
 * device.h - what the machine was doing while a benchmark ran: CPU and memory
 * of the benchmark's process tree and of the whole system (procfs), CPU
 * package energy (RAPL) and, per NVIDIA GPU, utilisation, memory, power,
 * temperature, clocks and energy (NVML loaded with dlopen; no SDK needed).
 *
 * Every backend sits behind one small ops struct, registered in a static
 * array in lib/device.c (procfs first, then nvml; order matters: procfs finds
 * the process tree that nvml filters its process list by). A backend that
 * cannot work here (no libnvidia-ml, no GPU, no RAPL) is a normal state: it
 * stays inactive with a one-line reason and its values are "not valid".
 * Every value carries a validity flag, so an unsupported value is stored as
 * NULL, never as 0.
 *
 * Library code never prints: reasons are strings for the caller to show.
 */
#ifndef BENCHLINE_DEVICE_H
#define BENCHLINE_DEVICE_H

#include "benchline/common.h"
#include <sys/types.h>

#define BL_DEVICE_MAX_GPUS 8    /* GPUs sampled per machine; more are ignored */
#define BL_DEVICE_MAX_RAPL 8    /* RAPL package domains summed for CPU energy */
#define BL_DEVICE_REASON_LEN 256

/* One measured value; value is meaningless when valid is false. */
struct bl_value {
	double value;
	bool valid;
};

struct bl_gpu_sample {
	struct bl_value util_pct;       /* % of the last NVML window with a kernel running */
	struct bl_value mem_used_bytes; /* device-wide */
	struct bl_value power_w;        /* board power (NVML reports mW) */
	struct bl_value temp_c;
	struct bl_value sm_clock_mhz;
	struct bl_value clock_reasons;  /* bitmask of NVML clocks-event (throttle) reasons, as a number */
	struct bl_value proc_mem_bytes; /* used by the benchmark's own process tree */
};

struct bl_sample {
	int64_t t_ns;                     /* monotonic, since bl_sampler_start */
	bool warmup;                      /* copied from the run being sampled */
	struct bl_value proc_cpu_pct;    /* process tree, % of one core: two busy cores = 200 */
	struct bl_value proc_rss_bytes;  /* sum of RSS over the tree (shared pages count twice) */
	struct bl_value proc_count;      /* processes found in the tree */
	struct bl_value sys_cpu_pct;     /* whole machine, % of one core (max 100 x CPUs) */
	struct bl_value sys_mem_used_bytes; /* MemTotal - MemAvailable */
	int n_gpus;                       /* entries of gpu[] filled, 0 without NVML */
	struct bl_gpu_sample gpu[BL_DEVICE_MAX_GPUS];
};

/*
 * Raw cumulative energy counters, read at the start and the end of a run
 * (never per sample); bl_energy_delta turns two readings into joules.
 */
struct bl_energy {
	int n_rapl;                                  /* RAPL package domains read */
	uint64_t rapl_uj[BL_DEVICE_MAX_RAPL];        /* energy_uj */
	uint64_t rapl_range_uj[BL_DEVICE_MAX_RAPL];  /* max_energy_range_uj, for wraparound */
	bool rapl_valid;
	int n_gpus;
	uint64_t gpu_mj[BL_DEVICE_MAX_GPUS];         /* nvmlDeviceGetTotalEnergyConsumption */
	bool gpu_valid[BL_DEVICE_MAX_GPUS];
};

/* What a run consumed between two readings. */
struct bl_energy_used {
	struct bl_value cpu_j;                      /* all RAPL packages together */
	int n_gpus;
	struct bl_value gpu_j[BL_DEVICE_MAX_GPUS];
};
void bl_energy_delta(const struct bl_energy *start, const struct bl_energy *end, struct bl_energy_used *out);

/*
 * What a backend samples: the root pid of the benchmark (0: none, system-wide
 * values only), the run's own cgroup when it has one, and the pids of its
 * tree, which procfs fills and nvml reads. Owned by the caller of the ops
 * (the sampler); pids grows as needed.
 */
struct bl_device_target {
	pid_t root;
	/* Directory fd of the run's own cgroup v2 (bl_run's on_start hands it
	 * over), borrowed for the run; 0 or less: none (so a zeroed target has
	 * none). With it procfs takes the processes from cgroup.procs and their
	 * CPU from cpu.stat instead of walking /proc. */
	int cgroup_fd;
	bool cgroup_used;   /* set by procfs at begin: the cgroup is read, not /proc */
	pid_t *pids;
	size_t n_pids;
	size_t cap_pids;
};

/* Overrides for tests and odd machines; NULL fields mean the defaults. */
struct bl_device_options {
	const char *proc_root;     /* "/proc" */
	const char *rapl_root;     /* "/sys/class/powercap" */
	const char *nvml_library;  /* tried alone instead of libnvidia-ml.so.1 and libnvidia-ml.so */
	bool no_nvml;              /* do not even try */
};

struct bl_device; /* a backend's open state, opaque */

struct bl_device_ops {
	const char *name; /* "procfs", "nvml" */
	/* Probes and opens. Returns NULL when the backend cannot work here and
	 * writes why into reason (one line); that is not an error. */
	struct bl_device *(*open)(const struct bl_device_options *opt, char *reason, size_t reason_len);
	/* A new run starts: forget per-process history (CPU deltas). */
	void (*begin)(struct bl_device *dev, struct bl_device_target *t);
	/* Fills the fields of s this backend owns; leaves the others alone.
	 * Must not allocate in steady state; called from the sampler thread. */
	void (*sample)(struct bl_device *dev, struct bl_device_target *t, struct bl_sample *s);
	/* The run ended, after its last sample: let go of what was the run's
	 * (the files of its processes and of its cgroup, which the runner is
	 * about to remove). */
	void (*end)(struct bl_device *dev, struct bl_device_target *t);
	/* Fills the counters of e this backend owns. */
	void (*energy)(struct bl_device *dev, struct bl_energy *e);
	/* Appends JSON objects (comma-separated, no brackets) describing the
	 * hardware for provenance; appends nothing when there is none. */
	void (*describe)(struct bl_device *dev, struct bl_buf *json);
	void (*close)(struct bl_device *dev);
};

/* The registry: the static array of backends, in sampling order. */
const struct bl_device_ops *const *bl_device_backends(size_t *n);

/* Every backend opened together; what the sampler holds. */
struct bl_devices {
	size_t n;                                   /* number of backends */
	const struct bl_device_ops *const *ops;     /* the registry */
	struct bl_device *dev[4];                   /* NULL: inactive */
	char reason[4][BL_DEVICE_REASON_LEN];       /* why inactive; empty when active */
};
void bl_devices_open(struct bl_devices *d, const struct bl_device_options *opt);
void bl_devices_close(struct bl_devices *d);
/* The reason a backend is inactive, "" when active, NULL when no such backend. */
const char *bl_devices_reason(const struct bl_devices *d, const char *name);
bool bl_devices_active(const struct bl_devices *d, const char *name);
/* A new run: every backend forgets per-process history. */
void bl_devices_begin(struct bl_devices *d, struct bl_device_target *t);
/* Resets s (every value invalid, t_ns and warmup kept) and lets each active backend fill it. */
void bl_devices_sample(struct bl_devices *d, struct bl_device_target *t, struct bl_sample *s);
/* The run ended: every backend lets go of the run's files. */
void bl_devices_end(struct bl_devices *d, struct bl_device_target *t);
void bl_devices_energy(struct bl_devices *d, struct bl_energy *e);
/* JSON array for bl_machine.gpus_json: "[]" when there is no GPU. Appended to out. */
void bl_devices_gpus_json(struct bl_devices *d, struct bl_buf *out);
/* One-shot convenience: opens NVML, describes the GPUs, closes. */
char *bl_device_gpus_json(void);

#endif
