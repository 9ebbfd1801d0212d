/* machine.c - describe the machine results are measured on. */
#include "benchline/machine.h"
#include "benchline/sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* Value of the first line "KEY<sep>value" in a text file, trimmed. */
static char *field_of(const char *path, const char *key, char sep)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	char line[1024];
	size_t klen = strlen(key);
	char *found = NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) != 0)
			continue;
		char *p = line + klen;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != sep)
			continue;
		p++;
		while (*p == ' ' || *p == '\t' || *p == '"')
			p++;
		size_t n = strcspn(p, "\"\n");
		found = bl_xstrndup(p, n);
	}
	fclose(f);
	return found;
}

int bl_machine_detect(struct bl_machine *m, struct bl_error *err)
{
	memset(m, 0, sizeof(*m));
	struct utsname u;
	if (uname(&u) != 0)
		return bl_fail(err, "cannot read the machine's name (uname)");
	m->hostname = bl_xstrdup(u.nodename);
	m->kernel = bl_xstrdup(u.release);
	m->arch = bl_xstrdup(u.machine);
	m->os = field_of("/etc/os-release", "PRETTY_NAME", '=');
	if (!m->os)
		m->os = bl_xstrdup(u.sysname);
	m->cpu_model = field_of("/proc/cpuinfo", "model name", ':');
	if (!m->cpu_model)
		m->cpu_model = bl_xstrdup("unknown");
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	m->cpu_count = n > 0 ? (int)n : 1;
	char *mem = field_of("/proc/meminfo", "MemTotal", ':');
	m->memory_bytes = mem ? strtoll(mem, NULL, 10) * 1024 : 0;
	free(mem);
	m->gpus_json = bl_xstrdup("[]");

	/* Memory is rounded to GiB so that a few pages reserved differently after
	 * a reboot do not make a new machine. */
	struct bl_sha256 h;
	char buf[1024];
	int len = snprintf(buf, sizeof(buf), "%s\n%s\n%s\n%d\n%lld\n", m->hostname, m->arch, m->cpu_model, m->cpu_count,
			   (long long)((m->memory_bytes + (1LL << 29)) >> 30));
	bl_sha256_init(&h);
	bl_sha256_update(&h, buf, (size_t)len);
	bl_sha256_hex(&h, m->fingerprint);
	return 0;
}

void bl_machine_release(struct bl_machine *m)
{
	free(m->hostname);
	free(m->os);
	free(m->kernel);
	free(m->arch);
	free(m->cpu_model);
	free(m->gpus_json);
	memset(m, 0, sizeof(*m));
}
