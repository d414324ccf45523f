/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_HASH_H
#define LOCKOUT_HASH_H

#include <stddef.h>
#include <stdint.h>

/* The keyed hash of the core library: SipHash-2-4 through libsodium's
   crypto_shorthash(), for every table whose keys an attacker chooses
   (addresses, usernames, session ids). Without the key nobody can make two
   inputs collide or aim many of them at one bucket or set.

   Tables that live in a server process take a random key
   (lockout_hash_key_random()). Replays, tests and benchmarks pass a fixed
   key of their own, so that a run gives the same answer every time: with
   full tables the key decides which entry is evicted. */

/* Bytes of a key (crypto_shorthash_KEYBYTES). */
#define LOCKOUT_HASH_KEY_SIZE 16

/* Fill key_r with a fresh random key (libsodium's randombytes_buf(), which
   needs no sodium_init()). */
void lockout_hash_key_random(unsigned char key_r[LOCKOUT_HASH_KEY_SIZE]);

/* The keyed hash of the size bytes of data (the 8 output bytes of
   crypto_shorthash() read as a little-endian number, the same on every
   host). Equal inputs give equal hashes for the same key. */
uint64_t lockout_hash(const unsigned char key[LOCKOUT_HASH_KEY_SIZE],
		      const void *data, size_t size);

/* The keyed hash of the len bytes of str with the ASCII letters A-Z folded
   to lower case, so that names matched case-insensitively (accounts) hash
   alike; other bytes are taken as they are. Any length; nothing is
   allocated. */
uint64_t lockout_hash_lower(const unsigned char key[LOCKOUT_HASH_KEY_SIZE],
			    const char *str, size_t len);

#endif
