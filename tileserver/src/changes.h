/*
 * changes.h - change notifications the server can trust.
 *
 * Anyone who can connect to the database can NOTIFY tailings_changes with any
 * payload, so a notification is only a hint: it names a change-log id, and
 * the change is read from tailings.change_log (which only the extension
 * writes) before the cache is touched or viewers are told.  What the viewers
 * get is made from the log row, not from the notification.
 *
 * Replays of real ids are refused: a change is applied once (ids seen are
 * remembered), and an id whose transaction is older than the listener's
 * floor is refused.  The floor starts at the xmin of a snapshot taken just
 * before LISTEN, and is raised by pings: every CHANGES_PING_S seconds the
 * server sends itself a notification with a random nonce from a snapshot
 * whose xmin it keeps; when the listener hears it, every transaction below
 * that xmin had committed before the ping did, so its notification came
 * before the ping.  A ping not heard in CHANGES_PING_TIMEOUT_S means the
 * listener hears nothing (its backend hung, a proxy ate it): the server stops
 * trusting its cache until the listener is connected anew.
 */
#ifndef TAILINGS_CHANGES_H
#define TAILINGS_CHANGES_H

#include <event2/event.h>

#include <stdint.h>

#include "db.h"
#include "tilemath.h"

#define CHANGES_PING_S 5
#define CHANGES_PING_TIMEOUT_S 15

typedef struct Changes Changes;

/* a change confirmed by the log */
typedef struct Change
{
	long long	id;				/* change_log.id */
	long long	pond_id;		/* 0: none */
	int			has_bbox;
	Box			bbox;			/* EPSG:4326 */
	int			limits;			/* a change of the groundwater limits (TL_GW_LIMIT_TABLE): any well's state */
	const char *json;			/* the change event for viewers, built from the log row */
	uint64_t	lsn;			/* the primary's WAL end read when it was confirmed (lsn.h; 0: unknown):
								 * a standby that has replayed it has the change */
} Change;

/* the changes one confirming query found (a bulk UPDATE comes as one batch), in log order */
typedef void (*ChangeApplyCb) (const Change *changes, int n, void *arg);
/* the listener is not to be trusted any more (a ping went unheard), or was connected anew */
typedef void (*ChangesResetCb) (void *arg);

typedef struct ChangesStats
{
	long long	received;		/* notifications naming a change */
	long long	applied;		/* confirmed by the log and applied */
	long long	refused;		/* not in the log, replayed, or malformed */
	long long	pings_sent;
	long long	pings_heard;
	int			trusted;		/* the listener heard its last ping in time */
	int			pending;		/* ids waiting to be confirmed */
} ChangesStats;

Changes    *changes_create(struct event_base *base, Db *db, const char *channel, ChangeApplyCb apply,
						   ChangesResetCb reset, void *arg);
void		changes_free(Changes *ch);
/* a notification on the channel */
void		changes_notify(Changes *ch, const char *payload);
/* the listener was (re)connected; xmin as DbResyncCb gives it */
void		changes_listening(Changes *ch, const char *xmin);
/* 1 when cached tiles may be trusted: listening, and the last ping was heard in time */
int			changes_trusted(const Changes *ch);
void		changes_stats(const Changes *ch, ChangesStats *out);

#endif
