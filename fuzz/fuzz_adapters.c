/*
 * fuzz_adapters.c - libFuzzer target: every harness adapter (lib/adapter_*.c,
 * `metrics: {from: ...}` and `benchline import`). The first byte picks the
 * adapter, the rest is its input; the regex adapter gets a fixed pattern with
 * two named groups. A parse that succeeds must give metrics with a name and a
 * finite value; one that fails must say why.
 */
#include "fuzz.h"

#include "benchline/adapter.h"

#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const struct bl_adapter *const *all = bl_adapter_all();
	size_t n = 0;
	while (all[n])
		n++;
	const struct bl_adapter *a = all[data[0] % n];
	static const struct bl_adapter_unit units[] = {{"latency", "ms"}};
	struct bl_adapter_opts o = {0};
	if (!strcmp(a->name, "regex")) {
		o.pattern = "(?<latency>[0-9.]+) ms .* (?<tokens>[0-9]+) tok";
		o.units = units;
		o.n_units = 1;
	}
	struct bl_metric_list out = {0};
	struct bl_error err = {{0}};
	if (a->parse("fuzz.out", (const char *)data + 1, size - 1, &o, &out, &err) != 0) {
		bl_fuzz_check_message(err.msg);
	} else {
		for (size_t i = 0; i < out.n; i++)
			if (!out.items[i].name || !out.items[i].name[0] || !isfinite(out.items[i].value))
				abort();
	}
	bl_metric_list_release(&out);
	return 0;
}
