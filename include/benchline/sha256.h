/* sha256.h - SHA-256, used for suite hashes, environment hashes and fingerprints. */
#ifndef BENCHLINE_SHA256_H
#define BENCHLINE_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct bl_sha256 {
	uint32_t state[8];
	uint64_t bytes;
	uint8_t block[64];
	size_t used;
};
void bl_sha256_init(struct bl_sha256 *h);
void bl_sha256_update(struct bl_sha256 *h, const void *data, size_t n);
void bl_sha256_final(struct bl_sha256 *h, uint8_t out[32]);
/* Final digest as 64 lowercase hex characters plus NUL. */
void bl_sha256_hex(struct bl_sha256 *h, char out[65]);

#endif
