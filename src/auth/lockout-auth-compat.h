/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_AUTH_COMPAT_H
#define LOCKOUT_AUTH_COMPAT_H

/* Where Dovecot 2.3 and 2.4 differ for the auth module, apart from the
   settings (lockout-auth-settings.h): one file per generation,
   lockout-auth-compat-23.c or -24.c, chosen by configure. */

struct auth;
struct auth_passdb;
struct auth_request;
struct event_filter;
struct passdb_module_interface;

/* The protocol of the request as the evidence and events name it ("imap",
   "smtp", ...; 2.3 calls it the service, 2.4 the protocol). */
const char *lockout_auth_request_protocol(const struct auth_request *request);
/* The name of the field of request->event holding the protocol ("service"
   on 2.3, "protocol" on 2.4), for requests known only by their events. */
const char *lockout_auth_event_protocol_field(void);
/* The protocol whose own passdbs auth has, or NULL for the default
   passdbs. */
const char *lockout_auth_protocol_name(const struct auth *auth);
/* Add src's queries to dest: either matches (2.4 names the operation). */
void lockout_auth_filter_merge_or(struct event_filter *dest,
				  const struct event_filter *src);
/* Dovecot runs passdb every time: no skip rule, no mechanism or username
   filter (auth-request.c, auth_request_want_skip_passdb()). */
bool lockout_auth_passdb_unfiltered(const struct auth_passdb *passdb);
/* Set iface->preinit to this generation's preinit of passdb lockout. */
void lockout_auth_passdb_iface_init(struct passdb_module_interface *iface);
/* The parent of the module's own event, at plugin init: auth_event on
   2.3; on 2.4 (which creates auth_event after the plugins' init) an event
   of its own with the auth category and auth_debug. */
struct event *lockout_auth_event_create(void);

#endif
