/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_STORE_H
#define LOCKOUT_STORE_H

/* The ban table, the failure history and what goes with them, kept in one
   SQLite database or one PostgreSQL database shared by several nodes: all
   access to them goes through the store (fail2ban's own SQLite file is
   read by lockout-store-fail2ban.h).
   This header declares all of it; a caller that needs only a part may
   include just that part's header:

   lockout-store-sql.h      the connection: open, close, transactions,
                            change detection, busy errors (and the
                            conventions every store function follows)
   lockout-store-bans.h     the ban table: add, lift, count, list
   lockout-store-history.h  the failure history: add, list, rank, count
   lockout-store-allowed.h  networks allowed by the administrator
   lockout-store-devices.h  known devices (where users logged in from)
   lockout-store-notify.h   notable events and what lockoutd has mailed
   lockout-store-stats.h    active bans by kind and source, table sizes
   lockout-store-prune.h    bounded deletion of old rows

   The ban model itself (kinds, sources, struct lockout_ban, limits) is in
   lockout-ban.h. */

#include "lockout-store-sql.h"
#include "lockout-store-bans.h"
#include "lockout-store-history.h"
#include "lockout-store-allowed.h"
#include "lockout-store-devices.h"
#include "lockout-store-notify.h"
#include "lockout-store-stats.h"
#include "lockout-store-prune.h"

#endif
