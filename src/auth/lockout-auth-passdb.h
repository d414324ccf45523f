/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_AUTH_PASSDB_H
#define LOCKOUT_AUTH_PASSDB_H

/* passdb "lockout": refuses banned sources before the password check. Its
   init opens the ban table and starts the observer's health check (after
   the privilege drop, with the ioloop running). */
void lockout_auth_passdb_register(void);
void lockout_auth_passdb_unregister(void);

#endif
