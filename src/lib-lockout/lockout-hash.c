/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-hash.h"

#include <sodium.h>
#include <string.h>

#if LOCKOUT_HASH_KEY_SIZE != crypto_shorthash_KEYBYTES
#  error "LOCKOUT_HASH_KEY_SIZE must be crypto_shorthash_KEYBYTES"
#endif

/* Folded bytes hashed at a time by lockout_hash_lower(). */
#define HASH_LOWER_CHUNK 64

void lockout_hash_key_random(unsigned char key_r[LOCKOUT_HASH_KEY_SIZE])
{
	randombytes_buf(key_r, LOCKOUT_HASH_KEY_SIZE);
}

/* little-endian on every host (one load where the host is) */
static uint64_t hash_out(const unsigned char out[crypto_shorthash_BYTES])
{
	return (uint64_t)out[0] | (uint64_t)out[1] << 8 |
		(uint64_t)out[2] << 16 | (uint64_t)out[3] << 24 |
		(uint64_t)out[4] << 32 | (uint64_t)out[5] << 40 |
		(uint64_t)out[6] << 48 | (uint64_t)out[7] << 56;
}

uint64_t lockout_hash(const unsigned char key[LOCKOUT_HASH_KEY_SIZE],
		      const void *data, size_t size)
{
	unsigned char out[crypto_shorthash_BYTES];

	crypto_shorthash(out, data, size, key);
	return hash_out(out);
}

uint64_t lockout_hash_lower(const unsigned char key[LOCKOUT_HASH_KEY_SIZE],
			    const char *str, size_t len)
{
	/* a long name goes in chunks, each after the hash of all before it:
	   one pass and one small buffer for names of any length */
	unsigned char buf[crypto_shorthash_BYTES + HASH_LOWER_CHUNK];
	unsigned char out[crypto_shorthash_BYTES];
	size_t i, n = 0, chunk;

	for (;;) {
		chunk = sizeof(buf) - n < len ? sizeof(buf) - n : len;
		for (i = 0; i < chunk; i++) {
			unsigned char c = (unsigned char)str[i];

			/* branch-free, so that the loop vectorizes */
			buf[n + i] = (unsigned char)
				(c | ((unsigned char)(c - 'A') < 26 ? 0x20 : 0));
		}
		str += chunk;
		len -= chunk;
		n += chunk;
		crypto_shorthash(out, buf, n, key);
		if (len == 0)
			return hash_out(out);
		memcpy(buf, out, sizeof(out));
		n = sizeof(out);
	}
}
