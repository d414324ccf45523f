/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_AUTH_PASSDB_H
#define LOCKOUT_AUTH_PASSDB_H

/* passdb "lockout": refuses banned sources before the password check. Its
   init opens the ban table and starts the observer's health check (after
   the privilege drop, with the ioloop running). A source whose failures
   plus checks in flight reached lockout_ip_failures has its next requests
   held until one of them ends (asynchronous passdbs). */

struct auth_request;
struct lockout_request_ctx;

/* The outcome of a request with a reserved slot was observed (or the
   request ends): give the slot back and let held requests re-check. */
void lockout_auth_passdb_release(struct auth_request *request,
				 struct lockout_request_ctx *ctx);
void lockout_auth_passdb_register(void);
void lockout_auth_passdb_unregister(void);

#endif
