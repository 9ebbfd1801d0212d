/*
 * fuzz.h - shared by the libFuzzer targets in fuzz/ (one fuzz_<name>.c per
 * input format; CMakeLists.txt builds each as fuzz_<name> when
 * -DBENCHLINE_FUZZ=ON, and bench/fuzz.sh runs it on fuzz/seeds/<name>/).
 */
#ifndef BENCHLINE_FUZZ_H
#define BENCHLINE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An error message is what the user reads: never empty, and it never runs past
 * struct bl_error's buffer (strnlen would find no NUL). */
static inline void bl_fuzz_check_message(const char *msg)
{
	if (msg == NULL || msg[0] == '\0' || strnlen(msg, 4096) == 4096)
		abort();
}

#endif
