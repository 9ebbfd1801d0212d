/* machine.h - what machine the results were measured on. */
#ifndef BENCHLINE_MACHINE_H
#define BENCHLINE_MACHINE_H

#include "benchline/common.h"

struct bl_machine {
	char fingerprint[65]; /* sha256 of hostname, arch, CPU model, CPU count, memory (GiB) */
	char *hostname;
	char *os;             /* PRETTY_NAME of /etc/os-release, or uname sysname */
	char *kernel;         /* uname release */
	char *arch;           /* uname machine */
	char *cpu_model;
	int cpu_count;        /* online CPUs */
	int64_t memory_bytes; /* MemTotal */
	char *gpus_json;      /* JSON array describing GPUs, "[]" when none known */
};
int bl_machine_detect(struct bl_machine *m, struct bl_error *err);
void bl_machine_release(struct bl_machine *m);

#endif
