/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUTD_NOTIFY_H
#define LOCKOUTD_NOTIFY_H

/* The postmaster's mail: the digest (new address and network bans with
   their evidence, the most targeted usernames, stale clients, successes
   after many failures) and the immediate mail for accounts put under
   protection. Each names the command that undoes what it reports. Text
   read from the ban table is printed as printable ASCII only (anything
   else as \xHH) and cut to a bounded length, so no row can add headers or
   forge content; the whole mail is bounded too. Time is passed in. */

#include "lockout-json.h"
#include "lockout-store.h"

#include <stddef.h>
#include <stdint.h>

/* Most bans and events a mail lists in full; the rest are counted (and
   claimed with it). */
#define LOCKOUTD_NOTIFY_LISTED 100
/* Most rows one mail covers; the rest wait for the next one. */
#define LOCKOUTD_NOTIFY_SCAN 10000
/* Most targeted usernames shown. */
#define LOCKOUTD_NOTIFY_TOP 10

struct lockoutd_notify_settings {
	/* lockout_notify: the recipient (To:) */
	const char *to;
	/* this host's name, for From:, Message-ID: and the text */
	const char *hostname;
	/* lockout_notify_from: From: as written (checked when the settings
	   were read), or "" for "lockoutd <root@hostname>" */
	const char *from;
	/* lockout_notify_interval, in seconds */
	uint32_t interval;
};

/* A composed mail and the rows it covers. */
struct lockoutd_mail {
	struct lockout_str text;
	int64_t *ban_ids;
	size_t ban_count, ban_size;
	int64_t *event_ids;
	size_t event_count, event_size;
	/* an allocation failed: the mail is unusable */
	bool failed;
};

void lockoutd_mail_init(struct lockoutd_mail *mail);
void lockoutd_mail_free(struct lockoutd_mail *mail);

/* Compose the digest of the ip and net bans and the events (but
   "protected") not yet notified, with the most targeted usernames since
   `since`, at now (unix seconds). Returns 1 with *mail filled, 0 when there
   is nothing new (nothing to send), -1 with *error_r. */
int lockoutd_notify_digest(struct lockout_store *store,
			   const struct lockoutd_notify_settings *set,
			   int64_t now, int64_t since,
			   struct lockoutd_mail *mail, const char **error_r)
	__attribute__((warn_unused_result));

/* Compose the mail about accounts put under protection (user bans and
   "protected" events not yet notified). Returns as above. */
int lockoutd_notify_protection(struct lockout_store *store,
			       const struct lockoutd_notify_settings *set,
			       int64_t now, struct lockoutd_mail *mail,
			       const char **error_r)
	__attribute__((warn_unused_result));

/* Claim the rows of a composed mail before sending it, in one transaction
   (lockout_store_claim_bans_notified()): committed only when every row was
   still unclaimed. Returns 1 (claimed: send it), 0 when another lockoutd
   sharing the table claimed some first (rolled back: drop the mail, the
   next round composes from what is left), -1 with *error_r (rolled back).
   Several lockoutds on one table thus mail each row once. */
int lockoutd_notify_claim(struct lockout_store *store,
			  const struct lockoutd_mail *mail,
			  const char **error_r)
	__attribute__((warn_unused_result));
/* Give the rows of a claimed mail that could not be sent back, in one
   transaction, for the next round of any lockoutd. */
int lockoutd_notify_unclaim(struct lockout_store *store,
			    const struct lockoutd_mail *mail,
			    const char **error_r)
	__attribute__((warn_unused_result));

/* Print untrusted text as printable ASCII, escaped by
   lockout_utf8_escape() with LOCKOUT_UTF8_ESCAPE_ASCII (control characters
   as \x1b, other characters outside ASCII as \u00e9, \u202e, invalid
   UTF-8 as \xff), at most max output characters (then "..."). */
void lockoutd_notify_append_safe(struct lockout_str *str, const char *text,
				 size_t max);

#endif
