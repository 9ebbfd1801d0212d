/*
 * doctor.h - is this machine fit to benchmark on? Checks what makes timings
 * drift or jitter (CPU frequency governor and scaling range, turbo boost,
 * ASLR, load, swap in use, CPU isolation, perf counter access, and GPU
 * clocks and throttle reasons through NVML), each with what was found and
 * what to do about it.
 *
 * Everything is read from files under a root directory ("" or NULL: the real
 * /proc and /sys), so tests give a fake tree. Nothing is changed on the
 * machine. Library code never prints: the caller shows the report.
 */
#ifndef BENCHLINE_DOCTOR_H
#define BENCHLINE_DOCTOR_H

#include "benchline/common.h"

enum bl_doctor_level {
	BL_DOCTOR_OK,      /* fine for benchmarking */
	BL_DOCTOR_NOTE,    /* could be better, or could not be checked; not a warning */
	BL_DOCTOR_WARNING, /* makes results noisy or drift; counted in the exit status */
};

struct bl_doctor_check {
	char *name;   /* short id: "cpu-governor", "turbo", "gpu0-clocks", ... */
	enum bl_doctor_level level;
	char *found;  /* what was found, one line */
	char *advice; /* what to do, one or more lines; NULL when nothing to do */
};

struct bl_doctor_report {
	struct bl_doctor_check *items;
	size_t n, cap;
};

struct bl_doctor_options {
	const char *root;         /* prefix of /proc and /sys paths; NULL or "": "/" */
	bool no_gpu;              /* skip NVML */
	const char *nvml_library; /* NULL: the usual libnvidia-ml.so.1 */
	double max_load;          /* warn above this 1-minute load average; 0: 1.0 */
};

/* Runs every check in a fixed order. Never fails: a file that cannot be
 * read makes its check a note saying so. */
void bl_doctor_run(const struct bl_doctor_options *opt, struct bl_doctor_report *out);
void bl_doctor_report_release(struct bl_doctor_report *r);
/* Number of checks at the given level. */
size_t bl_doctor_count(const struct bl_doctor_report *r, enum bl_doctor_level level);
const char *bl_doctor_level_name(enum bl_doctor_level level); /* "ok", "note", "WARNING" */

#endif
