/* textstats.c - the library the example benchmarks. */
#include "textstats.h"

#include <ctype.h>

size_t ts_count_words(const char *text, size_t len)
{
	size_t words = 0;
	int in_word = 0;
	for (size_t i = 0; i < len; i++) {
		int space = isspace((unsigned char)text[i]);
		if (!space && !in_word)
			words++;
		in_word = !space;
	}
	return words;
}

uint64_t ts_hash(const char *text, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)text[i];
		h *= 1099511628211ULL;
	}
	return h;
}
