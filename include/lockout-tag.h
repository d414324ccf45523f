/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_TAG_H
#define LOCKOUT_TAG_H

#include <stddef.h>
#include <stdint.h>

/* Password tags: what the policy engine knows of an attempted password.
   The auth module computes them in verify_plain, the replay tool from
   traces and logs, both with this one function. */

/* Size of the per-install key (libsodium crypto_shorthash). */
#define LOCKOUT_TAG_KEY_SIZE 16

/* The tag of len bytes of password under key: a keyed 32-bit hash, never 0
   (0 means "no plaintext" to the engine). Equal passwords give equal tags;
   nothing about the password can be learnt from a tag. */
uint32_t lockout_password_tag(const unsigned char key[LOCKOUT_TAG_KEY_SIZE],
			      const char *password, size_t len);

#endif
