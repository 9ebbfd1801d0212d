/*
 * device_nvml.c - NVIDIA GPUs through NVML, loaded with dlopen so benchline
 * builds and runs without the CUDA toolkit or the driver.
 *
 * As nvtop does: no nvml.h; only the types and constants used below are
 * declared, copied from the documented ABI; every entry point is a function
 * pointer looked up newest versioned name first. Required symbols missing,
 * no library, nvmlInit failing or zero GPUs leave the backend inactive with a
 * one-line reason. A query that answers NVML_ERROR_NOT_SUPPORTED is not asked
 * again for that GPU (it costs a driver round trip every sample) and its
 * value stays invalid.
 */
#include "benchline/device.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int nvml_return;      /* nvmlReturn_t */
typedef void *nvml_device;    /* nvmlDevice_t, opaque */

#define NVML_SUCCESS 0
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_TEMPERATURE_GPU 0
#define NVML_CLOCK_SM 1
#define NVML_VALUE_NOT_AVAILABLE_ULL (~0ULL)
#define NVML_NAME_LEN 96
#define NVML_VERSION_LEN 80

struct nvml_utilization {     /* nvmlUtilization_t */
	unsigned int gpu;
	unsigned int memory;
};

struct nvml_memory {          /* nvmlMemory_t (v1) */
	unsigned long long total;
	unsigned long long free;
	unsigned long long used;
};

struct nvml_process_info {    /* nvmlProcessInfo_v2_t, also what _v3 fills */
	unsigned int pid;
	unsigned long long used_gpu_memory;
	unsigned int gpu_instance_id;
	unsigned int compute_instance_id;
};

/* Per-GPU query, set in unsupported once NVML said NOT_SUPPORTED. */
enum {
	Q_UTIL = 1 << 0,
	Q_MEM = 1 << 1,
	Q_POWER = 1 << 2,
	Q_TEMP = 1 << 3,
	Q_CLOCK = 1 << 4,
	Q_REASONS = 1 << 5,
	Q_PROCS = 1 << 6,
	Q_ENERGY = 1 << 7,
};

#define MAX_PROCS 256

struct nvml_dev {
	void *lib;                                  /* dlopen handle */
	unsigned n;                                 /* GPUs sampled */
	nvml_device h[BL_DEVICE_MAX_GPUS];
	unsigned unsupported[BL_DEVICE_MAX_GPUS];   /* Q_* bits */
	struct nvml_process_info procs[MAX_PROCS];  /* reused every sample */
	nvml_return (*init)(void);
	nvml_return (*shutdown)(void);
	const char *(*error_string)(nvml_return);
	nvml_return (*get_count)(unsigned *);
	nvml_return (*get_handle)(unsigned, nvml_device *);
	nvml_return (*get_name)(nvml_device, char *, unsigned);
	nvml_return (*get_uuid)(nvml_device, char *, unsigned);
	nvml_return (*get_util)(nvml_device, struct nvml_utilization *);
	nvml_return (*get_mem)(nvml_device, struct nvml_memory *);
	nvml_return (*get_power)(nvml_device, unsigned *);
	nvml_return (*get_temp)(nvml_device, int, unsigned *);
	nvml_return (*get_clock)(nvml_device, int, unsigned *);
	nvml_return (*get_reasons)(nvml_device, unsigned long long *);
	nvml_return (*get_procs)(nvml_device, unsigned *, struct nvml_process_info *);
	nvml_return (*get_energy)(nvml_device, unsigned long long *);
	nvml_return (*driver_version)(char *, unsigned);
	nvml_return (*cuda_version)(int *);
};

/* The first of names that the library exports, or NULL. */
static void *sym(void *lib, const char *const *names)
{
	for (; *names; names++) {
		void *p = dlsym(lib, *names);
		if (p)
			return p;
	}
	return NULL;
}

#define SYM(lib, ...) sym((lib), (const char *const[]){__VA_ARGS__, NULL})

static void *open_library(const struct bl_device_options *opt, char *reason, size_t reason_len)
{
	const char *names[] = {"libnvidia-ml.so.1", "libnvidia-ml.so", NULL};
	const char *one[] = {opt && opt->nvml_library ? opt->nvml_library : NULL, NULL};
	const char *const *try = one[0] ? one : names;
	char first_error[200] = "";
	for (; *try; try++) {
		void *lib = dlopen(*try, RTLD_NOW | RTLD_LOCAL);
		if (lib)
			return lib;
		if (!first_error[0]) {
			const char *e = dlerror();
			snprintf(first_error, sizeof(first_error), "%s", e ? e : *try);
		}
	}
	snprintf(reason, reason_len, "NVML not found: %s", first_error);
	return NULL;
}

static struct bl_device *nvml_open(const struct bl_device_options *opt, char *reason, size_t reason_len)
{
	if (opt && opt->no_nvml) {
		snprintf(reason, reason_len, "NVML disabled");
		return NULL;
	}
	void *lib = open_library(opt, reason, reason_len);
	if (!lib)
		return NULL;
	struct nvml_dev *d = bl_xcalloc(1, sizeof(*d));
	d->lib = lib;
	/* Casting void * to function pointers: POSIX guarantees it works. */
	*(void **)&d->init = SYM(lib, "nvmlInit_v2", "nvmlInit");
	*(void **)&d->shutdown = SYM(lib, "nvmlShutdown");
	*(void **)&d->error_string = SYM(lib, "nvmlErrorString");
	*(void **)&d->get_count = SYM(lib, "nvmlDeviceGetCount_v2", "nvmlDeviceGetCount");
	*(void **)&d->get_handle = SYM(lib, "nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex");
	*(void **)&d->get_name = SYM(lib, "nvmlDeviceGetName");
	*(void **)&d->get_uuid = SYM(lib, "nvmlDeviceGetUUID");
	*(void **)&d->get_util = SYM(lib, "nvmlDeviceGetUtilizationRates");
	*(void **)&d->get_mem = SYM(lib, "nvmlDeviceGetMemoryInfo");
	*(void **)&d->get_power = SYM(lib, "nvmlDeviceGetPowerUsage");
	*(void **)&d->get_temp = SYM(lib, "nvmlDeviceGetTemperature");
	*(void **)&d->get_clock = SYM(lib, "nvmlDeviceGetClockInfo");
	*(void **)&d->get_reasons =
		SYM(lib, "nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetCurrentClocksThrottleReasons");
	*(void **)&d->get_procs =
		SYM(lib, "nvmlDeviceGetComputeRunningProcesses_v3", "nvmlDeviceGetComputeRunningProcesses_v2");
	*(void **)&d->get_energy = SYM(lib, "nvmlDeviceGetTotalEnergyConsumption");
	*(void **)&d->driver_version = SYM(lib, "nvmlSystemGetDriverVersion");
	*(void **)&d->cuda_version = SYM(lib, "nvmlSystemGetCudaDriverVersion_v2", "nvmlSystemGetCudaDriverVersion");
	if (!d->init || !d->shutdown || !d->get_count || !d->get_handle) {
		snprintf(reason, reason_len, "NVML unusable: libnvidia-ml lacks nvmlInit or nvmlDeviceGetCount");
		goto fail;
	}
	/* Init last, as nvtop does: everything before it is free to undo. */
	nvml_return rc = d->init();
	if (rc != NVML_SUCCESS) {
		snprintf(reason, reason_len, "NVML init failed: %s",
			 d->error_string ? d->error_string(rc) : "unknown error");
		goto fail;
	}
	unsigned count = 0;
	rc = d->get_count(&count);
	if (rc != NVML_SUCCESS || count == 0) {
		snprintf(reason, reason_len, "NVML found no GPU");
		d->shutdown();
		goto fail;
	}
	for (unsigned i = 0; i < count && d->n < BL_DEVICE_MAX_GPUS; i++)
		if (d->get_handle(i, &d->h[d->n]) == NVML_SUCCESS)
			d->n++;
	if (d->n == 0) {
		snprintf(reason, reason_len, "NVML: no GPU handle could be opened");
		d->shutdown();
		goto fail;
	}
	return (struct bl_device *)d;
fail:
	dlclose(lib);
	free(d);
	return NULL;
}

static void nvml_begin(struct bl_device *dev, struct bl_device_target *t)
{
}

static void nvml_end(struct bl_device *dev, struct bl_device_target *t)
{
}

/* Calls a query unless known unsupported; remembers NOT_SUPPORTED. */
static bool asked(struct nvml_dev *d, unsigned i, unsigned q, nvml_return rc)
{
	if (rc == NVML_ERROR_NOT_SUPPORTED)
		d->unsupported[i] |= q;
	return rc == NVML_SUCCESS;
}

static bool want(const struct nvml_dev *d, unsigned i, unsigned q, const void *fn)
{
	return fn && !(d->unsupported[i] & q);
}

static bool in_target(const struct bl_device_target *t, pid_t pid)
{
	for (size_t i = 0; i < t->n_pids; i++)
		if (t->pids[i] == pid)
			return true;
	return false;
}

/*
 * GPU memory of the benchmark's tree. NVML lists host pids: in a pid
 * namespace they name nobody here (or someone else), so when a listed pid
 * does not exist for us, the sum cannot be trusted and stays invalid.
 */
static void sample_procs(struct nvml_dev *d, unsigned i, const struct bl_device_target *t, struct bl_gpu_sample *g)
{
	unsigned n = MAX_PROCS;
	if (!asked(d, i, Q_PROCS, d->get_procs(d->h[i], &n, d->procs)))
		return;
	double sum = 0;
	for (unsigned k = 0; k < n && k < MAX_PROCS; k++) {
		pid_t pid = (pid_t)d->procs[k].pid;
		if (in_target(t, pid)) {
			if (d->procs[k].used_gpu_memory == NVML_VALUE_NOT_AVAILABLE_ULL)
				return;
			sum += (double)d->procs[k].used_gpu_memory;
		} else if (kill(pid, 0) < 0 && errno == ESRCH) {
			return;
		}
	}
	g->proc_mem_bytes = (struct bl_value){sum, true};
}

static void nvml_sample(struct bl_device *dev, struct bl_device_target *t, struct bl_sample *s)
{
	struct nvml_dev *d = (struct nvml_dev *)dev;
	s->n_gpus = (int)d->n;
	for (unsigned i = 0; i < d->n; i++) {
		struct bl_gpu_sample *g = &s->gpu[i];
		nvml_device h = d->h[i];
		struct nvml_utilization u;
		struct nvml_memory m;
		unsigned v;
		unsigned long long r;
		if (want(d, i, Q_UTIL, d->get_util) && asked(d, i, Q_UTIL, d->get_util(h, &u)))
			g->util_pct = (struct bl_value){u.gpu, true};
		if (want(d, i, Q_MEM, d->get_mem) && asked(d, i, Q_MEM, d->get_mem(h, &m)))
			g->mem_used_bytes = (struct bl_value){(double)m.used, true};
		if (want(d, i, Q_POWER, d->get_power) && asked(d, i, Q_POWER, d->get_power(h, &v)))
			g->power_w = (struct bl_value){v / 1000.0, true};
		if (want(d, i, Q_TEMP, d->get_temp) && asked(d, i, Q_TEMP, d->get_temp(h, NVML_TEMPERATURE_GPU, &v)))
			g->temp_c = (struct bl_value){v, true};
		if (want(d, i, Q_CLOCK, d->get_clock) && asked(d, i, Q_CLOCK, d->get_clock(h, NVML_CLOCK_SM, &v)))
			g->sm_clock_mhz = (struct bl_value){v, true};
		if (want(d, i, Q_REASONS, d->get_reasons) && asked(d, i, Q_REASONS, d->get_reasons(h, &r)))
			g->clock_reasons = (struct bl_value){(double)r, true};
		if (t->root > 0 && want(d, i, Q_PROCS, d->get_procs))
			sample_procs(d, i, t, g);
	}
}

static void nvml_energy(struct bl_device *dev, struct bl_energy *e)
{
	struct nvml_dev *d = (struct nvml_dev *)dev;
	e->n_gpus = (int)d->n;
	for (unsigned i = 0; i < d->n; i++) {
		unsigned long long mj;
		e->gpu_valid[i] = want(d, i, Q_ENERGY, d->get_energy) &&
				  asked(d, i, Q_ENERGY, d->get_energy(d->h[i], &mj));
		e->gpu_mj[i] = e->gpu_valid[i] ? mj : 0;
	}
}

static void json_string(struct bl_buf *b, const char *s)
{
	bl_buf_putc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			bl_buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			bl_buf_printf(b, "\\u%04x", c);
		else
			bl_buf_putc(b, (char)c);
	}
	bl_buf_putc(b, '"');
}

static void nvml_describe(struct bl_device *dev, struct bl_buf *json)
{
	struct nvml_dev *d = (struct nvml_dev *)dev;
	char driver[NVML_VERSION_LEN] = "";
	int cuda = 0;
	if (!d->driver_version || d->driver_version(driver, sizeof(driver)) != NVML_SUCCESS)
		driver[0] = '\0';
	bool have_cuda = d->cuda_version && d->cuda_version(&cuda) == NVML_SUCCESS;
	for (unsigned i = 0; i < d->n; i++) {
		char name[NVML_NAME_LEN] = "", uuid[NVML_NAME_LEN] = "";
		struct nvml_memory m;
		if (i > 0)
			bl_buf_putc(json, ',');
		bl_buf_printf(json, "{\"vendor\":\"nvidia\",\"index\":%u,\"count\":%u,\"name\":", i, d->n);
		if (!d->get_name || d->get_name(d->h[i], name, sizeof(name)) != NVML_SUCCESS)
			snprintf(name, sizeof(name), "unknown");
		json_string(json, name);
		if (d->get_uuid && d->get_uuid(d->h[i], uuid, sizeof(uuid)) == NVML_SUCCESS) {
			bl_buf_puts(json, ",\"uuid\":");
			json_string(json, uuid);
		}
		if (d->get_mem && d->get_mem(d->h[i], &m) == NVML_SUCCESS)
			bl_buf_printf(json, ",\"memory_bytes\":%llu", m.total);
		bl_buf_puts(json, ",\"driver_version\":");
		if (driver[0])
			json_string(json, driver);
		else
			bl_buf_puts(json, "null");
		/* NVML encodes CUDA 12.4 as 12040. */
		if (have_cuda)
			bl_buf_printf(json, ",\"cuda_driver_version\":\"%d.%d\"}", cuda / 1000, cuda % 1000 / 10);
		else
			bl_buf_puts(json, ",\"cuda_driver_version\":null}");
	}
}

static void nvml_close(struct bl_device *dev)
{
	struct nvml_dev *d = (struct nvml_dev *)dev;
	if (!d)
		return;
	d->shutdown();
	dlclose(d->lib);
	free(d);
}

const struct bl_device_ops bl_device_nvml_ops = {
	.name = "nvml",
	.open = nvml_open,
	.begin = nvml_begin,
	.sample = nvml_sample,
	.end = nvml_end,
	.energy = nvml_energy,
	.describe = nvml_describe,
	.close = nvml_close,
};
