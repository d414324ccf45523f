/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUTD_GOLDEN_H
#define LOCKOUTD_GOLDEN_H

/* Golden files of the lockoutd unit tests: tests/unit/golden/<name>.
   Compare actual with the file (a Check failure shows what was got), or,
   with LOCKOUT_GOLDEN_UPDATE=1 in the environment, rewrite the file (review
   the diff before committing it). */
void golden_check(const char *name, const char *actual);

#endif
