/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-tag.h"

#include <sodium.h>
#include <string.h>

#if LOCKOUT_TAG_KEY_SIZE != crypto_shorthash_KEYBYTES
#  error "LOCKOUT_TAG_KEY_SIZE must be crypto_shorthash_KEYBYTES"
#endif

uint32_t lockout_password_tag(const unsigned char key[LOCKOUT_TAG_KEY_SIZE],
			      const char *password, size_t len)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint32_t tag;

	crypto_shorthash(out, (const unsigned char *)password, len, key);
	memcpy(&tag, out, sizeof(tag));
	sodium_memzero(out, sizeof(out));
	return tag == 0 ? 1 : tag;
}
