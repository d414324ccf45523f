/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_AUTH_OBSERVER_H
#define LOCKOUT_AUTH_OBSERVER_H

/* The outcome observer: sees the outcome of every request the passdb saw
   (through the handler's reply, else its auth_request_finished event) and
   of those whose username Dovecot refused, feeds it to the policy engine
   and carries out its decisions (log, event, ban table). */

struct auth_request;
struct lockout_request_ctx;

/* Make the finished events reach us. At plugin init. */
void lockout_auth_observer_init(void);
void lockout_auth_observer_deinit(void);
/* The passdbs are set up (from the passdb's init): ask Dovecot for the
   passdb results the observer needs. */
void lockout_auth_observer_passdbs(void);
/* passdb lockout saw request (ctx its context): observe its outcome at
   the handler's reply rather than through its finished event, when its
   handler can be wrapped. */
void lockout_auth_observer_watch(struct auth_request *request,
				 struct lockout_request_ctx *ctx);
/* Start the periodic check that outcomes are still observed (it needs the
   ioloop: from the passdb's init). */
void lockout_auth_observer_start(void);
/* A request reached the passdb: its outcome should follow (health). */
void lockout_auth_observer_expect_outcome(void);
/* Are outcomes reaching us (the health check has not found them missing)?
   Requests are held for a slot only then: a slot is released by the
   outcome. */
bool lockout_auth_observer_outcomes_flow(void);

struct event;
/* Could anything want an event named name (a constant string), a child of
   parent sent with e_debug(): a log filter, the debug send filter (the
   stats process's metrics and exporters), or forced debug or a debug log
   level on parent? FALSE only when nothing can; then the event need not be
   built. The verdict on the filters is kept until one is replaced. */
bool lockout_auth_event_wanted(struct event *parent, const char *name);

struct lockout_attempt;
/* count failures written by another node sharing the ban table (from ip):
   fed to the engine as if seen here, their decisions carried out, but not
   queued for the failure history (their rows are there already). */
void lockout_auth_observer_record_remote(const struct lockout_attempt *attempt,
					 unsigned int count, const char *ip);

#endif
