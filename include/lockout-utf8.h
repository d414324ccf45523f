/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_UTF8_H
#define LOCKOUT_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decode the UTF-8 sequence at p (RFC 3629: no overlong forms, no
   surrogates, nothing above U+10FFFF). Returns its length with *cp_r set
   to the code point, or when it is invalid, the length of its maximal
   invalid subpart (at least 1, as Unicode recommends for replacement) with
   *cp_r set to UINT32_MAX. Stops at a NUL byte, which is never a
   continuation byte: p must be NUL-terminated or hold a whole sequence. */
size_t lockout_utf8_decode(const unsigned char *p, uint32_t *cp_r);

#endif
