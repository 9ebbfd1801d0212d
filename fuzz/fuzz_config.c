/*
 * fuzz_config.c - libFuzzer target: benchline.yaml as `benchline run` reads it.
 * The input is the file's text; a config that parses is also expanded into its
 * cases (parameter substitution), the next thing every command does with it.
 */
#include "fuzz.h"

#include "benchline/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bl_config cfg;
	struct bl_error err = {{0}};
	memset(&cfg, 0, sizeof cfg);
	if (bl_config_parse("fuzz.yaml", (const char *)data, size, &cfg, &err) == 0) {
		struct bl_case *cases = NULL;
		size_t n = 0;
		if (bl_config_cases(&cfg, &cases, &n, &err) == 0)
			bl_cases_free(cases, n);
		bl_config_release(&cfg);
	} else {
		bl_fuzz_check_message(err.msg);
	}
	return 0;
}
