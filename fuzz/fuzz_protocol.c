/*
 * fuzz_protocol.c - libFuzzer target: the $BENCHLINE_METRICS file a benchmark
 * writes (JSON lines). Parsing never fails; every diagnostic must carry a line
 * number inside the input and a reason.
 */
#include "fuzz.h"

#include "benchline/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bl_protocol_result r;
	bl_protocol_result_init(&r);
	bl_protocol_parse((const char *)data, size, &r);
	for (size_t i = 0; i < r.metrics.n; i++) {
		const char *name = r.metrics.items[i].name;
		if (name == NULL || name[0] == '\0')
			abort();
		/* The header promises 1..200 characters: UTF-8 code points, so count
		 * every byte but continuation bytes. */
		size_t chars = 0;
		for (const unsigned char *c = (const unsigned char *)name; *c; c++)
			chars += (*c & 0xc0) != 0x80;
		if (chars > 200)
			abort();
	}
	for (size_t i = 0; i < r.n_diags; i++) {
		if (r.diags[i].line == 0 || r.diags[i].reason == NULL)
			abort();
		bl_fuzz_check_message(r.diags[i].reason);
	}
	bl_protocol_result_release(&r);
	return 0;
}
