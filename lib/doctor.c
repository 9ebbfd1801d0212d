/*
 * doctor.c - the machine checks of `benchline doctor`.
 *
 * Each check reads a few files of /proc and /sys (under opt->root, so tests
 * give a fake tree), decides a level and says what it found and what to do.
 * A file that does not exist is normal on many machines (no cpufreq in a VM,
 * no intel_pstate on AMD): the check then says it could not tell, as a note,
 * never as a warning, and never as "ok" it cannot vouch for. The GPU check
 * reuses the NVML backend of the sampler (lib/device_nvml.c, dlopen).
 */
#include "benchline/doctor.h"
#include "benchline/device.h"

#include <dirent.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ctx {
	const char *root;
	struct bl_doctor_report *out;
};

static void add(struct ctx *c, const char *name, enum bl_doctor_level level, const char *advice, const char *fmt, ...)
    BL_PRINTF(5, 6);
static void add(struct ctx *c, const char *name, enum bl_doctor_level level, const char *advice, const char *fmt, ...)
{
	struct bl_buf b;
	va_list ap;
	bl_buf_init(&b);
	va_start(ap, fmt);
	bl_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	BL_GROW(c->out->items, c->out->cap, c->out->n + 1);
	struct bl_doctor_check *k = &c->out->items[c->out->n++];
	k->name = bl_xstrdup(name);
	k->level = level;
	k->found = bl_buf_detach(&b);
	k->advice = advice ? bl_xstrdup(advice) : NULL;
}

/* Reads root+path, trailing whitespace removed, into b; -1 when unreadable. */
static int read_text(struct ctx *c, const char *path, struct bl_buf *b)
{
	struct bl_error err = {{0}};
	char *full = bl_xasprintf("%s%s", c->root, path);
	bl_buf_reset(b);
	int rc = bl_read_file(full, b, &err);
	free(full);
	if (rc == 0)
		bl_buf_rtrim(b);
	return rc;
}

/* Reads an integer file; -1 when missing or not a number. */
static int read_long(struct ctx *c, const char *path, long *v)
{
	struct bl_buf b;
	bl_buf_init(&b);
	int rc = read_text(c, path, &b);
	char *end = NULL;
	if (rc == 0) {
		*v = strtol(b.data, &end, 10);
		if (end == b.data || (*end && *end != '\n' && *end != ' '))
			rc = -1;
	}
	bl_buf_release(&b);
	return rc;
}

/* The CPU numbers that have a cpufreq directory, ascending. */
static size_t cpufreq_cpus(struct ctx *c, int *cpus, size_t max)
{
	char *dir = bl_xasprintf("%s/sys/devices/system/cpu", c->root);
	DIR *d = opendir(dir);
	free(dir);
	size_t n = 0;
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < max) {
		int cpu;
		char tail;
		if (sscanf(e->d_name, "cpu%d%c", &cpu, &tail) != 1 || cpu < 0)
			continue;
		char *p = bl_xasprintf("/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor", cpu);
		struct bl_buf b;
		bl_buf_init(&b);
		if (read_text(c, p, &b) == 0)
			cpus[n++] = cpu;
		bl_buf_release(&b);
		free(p);
	}
	closedir(d);
	for (size_t i = 1; i < n; i++) /* insertion sort: a few hundred CPUs at most */
		for (size_t j = i; j > 0 && cpus[j - 1] > cpus[j]; j--) {
			int t = cpus[j];
			cpus[j] = cpus[j - 1];
			cpus[j - 1] = t;
		}
	return n;
}

#define MAX_CPUS 4096

static void check_governor(struct ctx *c, const int *cpus, size_t n)
{
	if (n == 0) {
		add(c, "cpu-governor", BL_DOCTOR_NOTE, NULL,
		    "no cpufreq governor found (/sys/devices/system/cpu/cpu*/cpufreq): a VM or a kernel without "
		    "frequency scaling; cannot tell whether the CPU clock changes");
		return;
	}
	size_t performance = 0;
	struct bl_buf b, other;
	bl_buf_init(&b);
	bl_buf_init(&other);
	for (size_t i = 0; i < n; i++) {
		char *p = bl_xasprintf("/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor", cpus[i]);
		if (read_text(c, p, &b) == 0 && !strcmp(b.data, "performance"))
			performance++;
		else if (!other.len)
			bl_buf_printf(&other, "cpu%d uses '%s'", cpus[i], b.data);
		free(p);
	}
	if (performance == n)
		add(c, "cpu-governor", BL_DOCTOR_OK, NULL, "'performance' on all %zu CPUs", n);
	else
		add(c, "cpu-governor", BL_DOCTOR_WARNING,
		    "set the 'performance' governor: sudo cpupower frequency-set -g performance\n"
		    "(or write 'performance' to /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor)",
		    "%zu of %zu CPUs not on the 'performance' governor (%s): the clock follows the load",
		    n - performance, n, other.data);
	bl_buf_release(&b);
	bl_buf_release(&other);
}

static void check_scaling(struct ctx *c, const int *cpus, size_t n)
{
	if (n == 0)
		return; /* the governor check already said there is no cpufreq */
	size_t varying = 0, known = 0;
	long lo = 0, hi = 0;
	int first = -1;
	for (size_t i = 0; i < n; i++) {
		char *pmin = bl_xasprintf("/sys/devices/system/cpu/cpu%d/cpufreq/scaling_min_freq", cpus[i]);
		char *pmax = bl_xasprintf("/sys/devices/system/cpu/cpu%d/cpufreq/scaling_max_freq", cpus[i]);
		long mn, mx;
		if (read_long(c, pmin, &mn) == 0 && read_long(c, pmax, &mx) == 0) {
			known++;
			if (mn < mx && varying++ == 0) {
				first = cpus[i];
				lo = mn;
				hi = mx;
			}
		}
		free(pmin);
		free(pmax);
	}
	struct bl_buf drv;
	bl_buf_init(&drv);
	char *p = bl_xasprintf("/sys/devices/system/cpu/cpu%d/cpufreq/scaling_driver", cpus[0]);
	if (read_text(c, p, &drv) != 0)
		bl_buf_puts(&drv, "unknown");
	free(p);
	if (known == 0)
		add(c, "cpu-freq-range", BL_DOCTOR_NOTE, NULL,
		    "scaling_min_freq/scaling_max_freq unreadable (driver %s)", drv.data);
	else if (varying)
		add(c, "cpu-freq-range", BL_DOCTOR_WARNING,
		    "pin the frequency: sudo cpupower frequency-set -d MAX -u MAX with MAX a sustainable\n"
		    "frequency (e.g. the base clock), or set scaling_min_freq = scaling_max_freq",
		    "%zu of %zu CPUs may run between %ld and %ld MHz (cpu%d; driver %s)", varying, known, lo / 1000,
		    hi / 1000, first, drv.data);
	else
		add(c, "cpu-freq-range", BL_DOCTOR_OK, NULL, "minimum = maximum frequency on %zu CPUs (driver %s)",
		    known, drv.data);
	bl_buf_release(&drv);
}

static void check_turbo(struct ctx *c)
{
	long v;
	if (read_long(c, "/sys/devices/system/cpu/intel_pstate/no_turbo", &v) == 0) {
		if (v == 0)
			add(c, "turbo", BL_DOCTOR_WARNING,
			    "disable it: echo 1 | sudo tee /sys/devices/system/cpu/intel_pstate/no_turbo",
			    "Turbo Boost is on (intel_pstate/no_turbo = 0): the clock depends on temperature and on "
			    "the other cores");
		else
			add(c, "turbo", BL_DOCTOR_OK, NULL, "Turbo Boost is off (intel_pstate/no_turbo = %ld)", v);
		return;
	}
	if (read_long(c, "/sys/devices/system/cpu/cpufreq/boost", &v) == 0) {
		if (v != 0)
			add(c, "turbo", BL_DOCTOR_WARNING,
			    "disable it: echo 0 | sudo tee /sys/devices/system/cpu/cpufreq/boost",
			    "CPU boost is on (cpufreq/boost = %ld): the clock depends on temperature and on the other "
			    "cores",
			    v);
		else
			add(c, "turbo", BL_DOCTOR_OK, NULL, "CPU boost is off (cpufreq/boost = 0)");
		return;
	}
	add(c, "turbo", BL_DOCTOR_NOTE, NULL,
	    "no turbo control found (intel_pstate/no_turbo, cpufreq/boost): cannot tell whether boost is on");
}

static void check_aslr(struct ctx *c)
{
	long v;
	if (read_long(c, "/proc/sys/kernel/randomize_va_space", &v) != 0)
		add(c, "aslr", BL_DOCTOR_NOTE, NULL, "/proc/sys/kernel/randomize_va_space unreadable");
	else if (v == 0)
		add(c, "aslr", BL_DOCTOR_OK, NULL, "address space layout randomisation is off");
	else
		add(c, "aslr", BL_DOCTOR_NOTE,
		    "for layout-sensitive micro-benchmarks: sudo sysctl kernel.randomize_va_space=0,\n"
		    "or run the benchmark command under 'setarch -R'; repetitions average it out otherwise",
		    "address space layout randomisation is on (randomize_va_space = %ld): code and data addresses "
		    "change from run to run",
		    v);
}

/* CPUs the kernel lists, from /sys/devices/system/cpu/online ("0-3,6"). */
static long count_cpu_list(const char *s)
{
	long total = 0;
	while (*s) {
		char *end;
		long a = strtol(s, &end, 10), b = a;
		if (end == s)
			return -1;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || b < a)
				return -1;
		}
		total += b - a + 1;
		s = end;
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -1;
		else
			break;
	}
	return total;
}

static void check_load(struct ctx *c, double max_load)
{
	struct bl_buf b;
	bl_buf_init(&b);
	double l1, l5, l15;
	if (read_text(c, "/proc/loadavg", &b) != 0 || sscanf(b.data, "%lf %lf %lf", &l1, &l5, &l15) != 3) {
		add(c, "load", BL_DOCTOR_NOTE, NULL, "/proc/loadavg unreadable");
		bl_buf_release(&b);
		return;
	}
	long ncpu = -1;
	if (read_text(c, "/sys/devices/system/cpu/online", &b) == 0)
		ncpu = count_cpu_list(b.data);
	char cpus[48] = "";
	if (ncpu > 0)
		snprintf(cpus, sizeof(cpus), " on %ld CPUs", ncpu);
	if (l1 > max_load)
		add(c, "load", BL_DOCTOR_WARNING,
		    "stop other work while benchmarking ('top' shows what runs), or isolate CPUs for the\n"
		    "benchmark (see isolated-cpus)",
		    "load average %.2f %.2f %.2f%s: other processes compete for the CPUs (above %.2f)", l1, l5, l15,
		    cpus, max_load);
	else
		add(c, "load", BL_DOCTOR_OK, NULL, "load average %.2f %.2f %.2f%s", l1, l5, l15, cpus);
	bl_buf_release(&b);
}

/* The value of a kernel command-line parameter ("isolcpus=2-3"), or NULL. */
static char *cmdline_param(const char *cmdline, const char *key)
{
	size_t k = strlen(key);
	for (const char *p = cmdline; *p;) {
		while (*p == ' ')
			p++;
		const char *end = p + strcspn(p, " \n");
		if ((size_t)(end - p) > k && !strncmp(p, key, k) && p[k] == '=')
			return bl_xstrndup(p + k + 1, (size_t)(end - p) - k - 1);
		p = *end ? end + 1 : end;
	}
	return NULL;
}

static void check_isolation(struct ctx *c)
{
	struct bl_buf iso, nohz, cmd;
	bl_buf_init(&iso);
	bl_buf_init(&nohz);
	bl_buf_init(&cmd);
	bool have_iso = read_text(c, "/sys/devices/system/cpu/isolated", &iso) == 0;
	bool have_nohz = read_text(c, "/sys/devices/system/cpu/nohz_full", &nohz) == 0;
	if (have_nohz && !strcmp(nohz.data, "(null)"))
		bl_buf_reset(&nohz);
	char *isolcpus = NULL, *rcu = NULL;
	if (read_text(c, "/proc/cmdline", &cmd) == 0) {
		isolcpus = cmdline_param(cmd.data, "isolcpus");
		rcu = cmdline_param(cmd.data, "rcu_nocbs");
	}
	const char *how = "boot with isolcpus=LIST nohz_full=LIST rcu_nocbs=LIST (e.g. 2-3) and run\n"
			  "'benchline run --cpu-list LIST' so only the benchmark runs there";
	if (!have_iso && !isolcpus) {
		add(c, "isolated-cpus", BL_DOCTOR_NOTE, how,
		    "cannot tell: /sys/devices/system/cpu/isolated and /proc/cmdline unreadable");
	} else if ((!have_iso || !iso.len) && !isolcpus) {
		add(c, "isolated-cpus", BL_DOCTOR_NOTE, how,
		    "no CPU is isolated: the scheduler may run anything next to the benchmark");
	} else {
		const char *list = iso.len ? iso.data : isolcpus;
		if (!nohz.len)
			add(c, "isolated-cpus", BL_DOCTOR_NOTE,
			    "add nohz_full=LIST rcu_nocbs=LIST for the same CPUs to stop the timer tick there",
			    "CPUs %s are isolated, but without nohz_full (the timer tick still interrupts them)%s",
			    list, rcu ? "" : "; no rcu_nocbs");
		else
			add(c, "isolated-cpus", BL_DOCTOR_OK, NULL,
			    "CPUs %s isolated, nohz_full=%s%s%s; pass them to 'benchline run --cpu-list'", list,
			    nohz.data, rcu ? ", rcu_nocbs=" : "", rcu ? rcu : "");
	}
	free(isolcpus);
	free(rcu);
	bl_buf_release(&iso);
	bl_buf_release(&nohz);
	bl_buf_release(&cmd);
}

static void check_perf(struct ctx *c)
{
	long v;
	if (read_long(c, "/proc/sys/kernel/perf_event_paranoid", &v) != 0)
		add(c, "perf-counters", BL_DOCTOR_NOTE, NULL,
		    "/proc/sys/kernel/perf_event_paranoid missing: the kernel has no perf events (or hides them)");
	else if (v <= 2)
		add(c, "perf-counters", BL_DOCTOR_OK, NULL,
		    "perf_event_paranoid = %ld: a user may count a process's own events", v);
	else
		add(c, "perf-counters", BL_DOCTOR_NOTE, "allow them: sudo sysctl kernel.perf_event_paranoid=2",
		    "perf_event_paranoid = %ld: hardware counters (perf stat) need root", v);
}

/* "SwapTotal:  2097148 kB" -> kB, or -1. */
static long meminfo_kb(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	size_t k = strlen(key);
	while (p && p != text && p[-1] != '\n')
		p = strstr(p + k, key);
	if (!p || p[k] != ':')
		return -1;
	return strtol(p + k + 1, NULL, 10);
}

static void check_swap(struct ctx *c)
{
	struct bl_buf b;
	bl_buf_init(&b);
	long total = -1, free_kb = -1;
	if (read_text(c, "/proc/meminfo", &b) == 0) {
		total = meminfo_kb(b.data, "SwapTotal");
		free_kb = meminfo_kb(b.data, "SwapFree");
	}
	if (total < 0 || free_kb < 0)
		add(c, "swap", BL_DOCTOR_NOTE, NULL, "SwapTotal/SwapFree not found in /proc/meminfo");
	else if (total == 0)
		add(c, "swap", BL_DOCTOR_OK, NULL, "no swap");
	else if (total - free_kb > 0)
		add(c, "swap", BL_DOCTOR_WARNING, "free memory or turn swap off while benchmarking: sudo swapoff -a",
		    "%.1f MiB swapped out of %.1f MiB: page-ins stall processes at random",
		    (double)(total - free_kb) / 1024, (double)total / 1024);
	else
		add(c, "swap", BL_DOCTOR_OK, NULL, "%.1f MiB of swap, none in use", (double)total / 1024);
	bl_buf_release(&b);
}

/* NVML clocks-event (throttle) reasons, nvmlClocksEventReason*. */
static const struct {
	unsigned long long bit;
	const char *name;
	bool bad; /* slows a running benchmark */
} gpu_reasons[] = {
    {0x1, "idle", false},
    {0x2, "applications clocks setting", false},
    {0x4, "software power cap", true},
    {0x8, "hardware slowdown", true},
    {0x10, "sync boost", false},
    {0x20, "software thermal slowdown", true},
    {0x40, "hardware thermal slowdown", true},
    {0x80, "hardware power brake", true},
    {0x100, "display clocks setting", false},
};

static void check_gpus(struct ctx *c, const struct bl_doctor_options *opt)
{
	size_t nb;
	const struct bl_device_ops *const *ops = bl_device_backends(&nb);
	const struct bl_device_ops *nvml = NULL;
	for (size_t i = 0; i < nb; i++)
		if (!strcmp(ops[i]->name, "nvml"))
			nvml = ops[i];
	char reason[BL_DEVICE_REASON_LEN] = "";
	struct bl_device_options dopt = {.nvml_library = opt->nvml_library};
	struct bl_device *dev = nvml ? nvml->open(&dopt, reason, sizeof(reason)) : NULL;
	if (!dev) {
		add(c, "gpu", BL_DOCTOR_OK, NULL, "no NVIDIA GPU (%s)", reason[0] ? reason : "no NVML backend");
		return;
	}
	struct bl_buf desc;
	bl_buf_init(&desc);
	bl_buf_putc(&desc, '[');
	nvml->describe(dev, &desc);
	bl_buf_putc(&desc, ']');
	json_t *gpus = json_loads(desc.data, 0, NULL);
	struct bl_device_target target = {0};
	struct bl_sample s;
	memset(&s, 0, sizeof(s));
	nvml->begin(dev, &target);
	nvml->sample(dev, &target, &s);
	nvml->end(dev, &target);
	for (int i = 0; i < s.n_gpus; i++) {
		const char *name = json_string_value(json_object_get(json_array_get(gpus, (size_t)i), "name"));
		char id[32];
		snprintf(id, sizeof(id), "gpu%d-clocks", i);
		const struct bl_gpu_sample *g = &s.gpu[i];
		struct bl_buf what;
		bl_buf_init(&what);
		bl_buf_printf(&what, "%s: ", name ? name : "GPU");
		if (g->sm_clock_mhz.valid)
			bl_buf_printf(&what, "SM clock %.0f MHz", g->sm_clock_mhz.value);
		else
			bl_buf_puts(&what, "SM clock not reported");
		if (g->temp_c.valid)
			bl_buf_printf(&what, ", %.0f C", g->temp_c.value);
		bool bad = false;
		if (g->clock_reasons.valid) {
			unsigned long long r = (unsigned long long)g->clock_reasons.value;
			bl_buf_puts(&what, r ? ", clocks held down by: " : ", no clock limit active");
			bool first = true;
			for (size_t k = 0; k < sizeof(gpu_reasons) / sizeof(gpu_reasons[0]); k++)
				if (r & gpu_reasons[k].bit) {
					bl_buf_printf(&what, "%s%s", first ? "" : ", ", gpu_reasons[k].name);
					first = false;
					bad |= gpu_reasons[k].bad;
				}
		} else {
			bl_buf_puts(&what, ", throttle reasons not reported");
		}
		if (bad)
			add(c, id, BL_DOCTOR_WARNING,
			    "let the GPU cool down and check its power limit (nvidia-smi -q -d PERFORMANCE,POWER);\n"
			    "lock clocks for stable timings: sudo nvidia-smi -lgc BASE,BASE and -pm 1",
			    "%s", what.data);
		else
			add(c, id, BL_DOCTOR_NOTE,
			    "for stable timings lock the clocks: sudo nvidia-smi -pm 1; sudo nvidia-smi -lgc "
			    "BASE,BASE\n"
			    "(unlock with nvidia-smi -rgc)",
			    "%s", what.data);
		bl_buf_release(&what);
	}
	json_decref(gpus);
	bl_buf_release(&desc);
	nvml->close(dev);
}

void bl_doctor_run(const struct bl_doctor_options *opt, struct bl_doctor_report *out)
{
	static const struct bl_doctor_options defaults = {0};
	if (!opt)
		opt = &defaults;
	struct ctx c = {.root = opt->root && strcmp(opt->root, "/") ? opt->root : "", .out = out};
	int *cpus = bl_xmalloc(sizeof(int) * MAX_CPUS);
	size_t n = cpufreq_cpus(&c, cpus, MAX_CPUS);
	check_governor(&c, cpus, n);
	check_scaling(&c, cpus, n);
	check_turbo(&c);
	check_aslr(&c);
	check_load(&c, opt->max_load > 0 ? opt->max_load : 1.0);
	check_isolation(&c);
	check_perf(&c);
	check_swap(&c);
	free(cpus);
	if (!opt->no_gpu)
		check_gpus(&c, opt);
}

void bl_doctor_report_release(struct bl_doctor_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->items[i].name);
		free(r->items[i].found);
		free(r->items[i].advice);
	}
	free(r->items);
	memset(r, 0, sizeof(*r));
}

size_t bl_doctor_count(const struct bl_doctor_report *r, enum bl_doctor_level level)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++)
		n += r->items[i].level == level;
	return n;
}

const char *bl_doctor_level_name(enum bl_doctor_level level)
{
	switch (level) {
	case BL_DOCTOR_OK:
		return "ok";
	case BL_DOCTOR_NOTE:
		return "note";
	case BL_DOCTOR_WARNING:
		return "WARNING";
	}
	return "?";
}
