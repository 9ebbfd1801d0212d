/*
 * device.c - the registry of device backends and what they share: opening
 * them all, sampling in order, energy deltas, the GPU provenance JSON.
 *
 * The registry is a static array, not constructor attributes: a linker drops
 * an object file nobody references from a static archive, constructor and all.
 */
#include "benchline/device.h"

#include <stdio.h>
#include <string.h>

extern const struct bl_device_ops bl_device_procfs_ops;
extern const struct bl_device_ops bl_device_nvml_ops;

/* Sampling order: procfs finds the tree's pids, which nvml filters by. */
static const struct bl_device_ops *const backends[] = {
	&bl_device_procfs_ops,
	&bl_device_nvml_ops,
};

const struct bl_device_ops *const *bl_device_backends(size_t *n)
{
	*n = sizeof(backends) / sizeof(backends[0]);
	return backends;
}

void bl_devices_open(struct bl_devices *d, const struct bl_device_options *opt)
{
	memset(d, 0, sizeof(*d));
	d->ops = bl_device_backends(&d->n);
	for (size_t i = 0; i < d->n; i++) {
		d->dev[i] = d->ops[i]->open(opt, d->reason[i], sizeof(d->reason[i]));
		if (d->dev[i])
			d->reason[i][0] = '\0';
		else if (!d->reason[i][0])
			snprintf(d->reason[i], sizeof(d->reason[i]), "%s unavailable", d->ops[i]->name);
	}
}

void bl_devices_close(struct bl_devices *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->dev[i])
			d->ops[i]->close(d->dev[i]);
	memset(d, 0, sizeof(*d));
}

static int index_of(const struct bl_devices *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->ops[i]->name, name) == 0)
			return (int)i;
	return -1;
}

const char *bl_devices_reason(const struct bl_devices *d, const char *name)
{
	int i = index_of(d, name);
	return i < 0 ? NULL : d->reason[i];
}

bool bl_devices_active(const struct bl_devices *d, const char *name)
{
	int i = index_of(d, name);
	return i >= 0 && d->dev[i] != NULL;
}

void bl_devices_begin(struct bl_devices *d, struct bl_device_target *t)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->dev[i])
			d->ops[i]->begin(d->dev[i], t);
}

void bl_devices_sample(struct bl_devices *d, struct bl_device_target *t, struct bl_sample *s)
{
	/* Every value starts invalid; a backend sets only what it measured. */
	int64_t t_ns = s->t_ns;
	bool warmup = s->warmup;
	memset(s, 0, sizeof(*s));
	s->t_ns = t_ns;
	s->warmup = warmup;
	for (size_t i = 0; i < d->n; i++)
		if (d->dev[i])
			d->ops[i]->sample(d->dev[i], t, s);
}

void bl_devices_end(struct bl_devices *d, struct bl_device_target *t)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->dev[i])
			d->ops[i]->end(d->dev[i], t);
}

void bl_devices_energy(struct bl_devices *d, struct bl_energy *e)
{
	memset(e, 0, sizeof(*e));
	for (size_t i = 0; i < d->n; i++)
		if (d->dev[i])
			d->ops[i]->energy(d->dev[i], e);
}

void bl_energy_delta(const struct bl_energy *a, const struct bl_energy *b, struct bl_energy_used *out)
{
	memset(out, 0, sizeof(*out));
	if (a->rapl_valid && b->rapl_valid && a->n_rapl == b->n_rapl && a->n_rapl > 0) {
		double uj = 0;
		for (int i = 0; i < a->n_rapl; i++) {
			uint64_t d = b->rapl_uj[i] - a->rapl_uj[i];
			/* The counter wraps at max_energy_range_uj (every ~hour on big parts). */
			if (b->rapl_uj[i] < a->rapl_uj[i])
				d = b->rapl_range_uj[i] - a->rapl_uj[i] + b->rapl_uj[i];
			uj += (double)d;
		}
		out->cpu_j = (struct bl_value){uj / 1e6, true};
	}
	out->n_gpus = a->n_gpus < b->n_gpus ? a->n_gpus : b->n_gpus;
	for (int i = 0; i < out->n_gpus; i++)
		if (a->gpu_valid[i] && b->gpu_valid[i] && b->gpu_mj[i] >= a->gpu_mj[i])
			out->gpu_j[i] = (struct bl_value){(double)(b->gpu_mj[i] - a->gpu_mj[i]) / 1e3, true};
}

void bl_devices_gpus_json(struct bl_devices *d, struct bl_buf *out)
{
	bl_buf_putc(out, '[');
	size_t before = out->len;
	for (size_t i = 0; i < d->n; i++) {
		if (!d->dev[i])
			continue;
		size_t at = out->len;
		if (at > before)
			bl_buf_putc(out, ',');
		size_t mark = out->len;
		d->ops[i]->describe(d->dev[i], out);
		if (out->len == mark) { /* described nothing: take the comma back */
			out->len = at;
			out->data[at] = '\0';
		}
	}
	bl_buf_putc(out, ']');
}

char *bl_device_gpus_json(void)
{
	struct bl_devices d;
	struct bl_buf b;
	bl_buf_init(&b);
	bl_devices_open(&d, NULL);
	bl_devices_gpus_json(&d, &b);
	bl_devices_close(&d);
	return bl_buf_detach(&b);
}
