/* textstats.h - a small C library: counts words and hashes text. */
#ifndef TEXTSTATS_H
#define TEXTSTATS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Number of whitespace-separated words in text[0..len). */
size_t ts_count_words(const char *text, size_t len);
/* 64-bit FNV-1a hash of text[0..len). */
uint64_t ts_hash(const char *text, size_t len);

#ifdef __cplusplus
}
#endif

#endif
