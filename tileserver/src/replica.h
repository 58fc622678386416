/*
 * replica.h - reads on hot standbys (--db-replica) that are never staler
 * than what the server knows has changed.
 *
 * The primary keeps the change listener and every write; reads (tiles, the
 * JSON API's reads) go to a standby, the least busy of those in rotation,
 * when it has replayed the primary's WAL up to the barrier: the primary's
 * WAL end read when the newest change the server knows of was confirmed
 * (changes.c reads it with the change, right after its notification), or
 * when one of its own writes committed.  Else, and whenever the standby
 * answers that it was behind after all (each read first reads its replay
 * position in the read's own transaction: db_read_after), or fails, the
 * read goes to the primary.  A tile made on a standby is thus at least as new
 * as every change that dropped tiles before its request came, which is what
 * the cache needs (tiles.c, live.c).
 *
 * While changes may have been missed (the listener reconnects, or does not
 * hear its pings) reads go to the primary until its WAL end is known anew.
 * While the primary is unreachable, a standby that had replayed all the
 * primary had written when last seen serves reads (nothing is cached then).
 *
 * Each standby is polled twice a second (its replay position, and that it is
 * in recovery); the primary's WAL end too, kept with its time, so that a
 * standby's lag is known in bytes and in seconds (since the primary first
 * wrote WAL the standby has not replayed).  A standby that is unreachable or
 * not in recovery is down; one lagging more than --replica-max-lag-s is out
 * of rotation until it catches up.  Its pool reconnects with backoff.
 */
#ifndef TAILINGS_REPLICA_H
#define TAILINGS_REPLICA_H

#include <stdint.h>

#include <event2/event.h>

#include "changes.h"
#include "conf.h"
#include "db.h"

typedef struct Replicas Replicas;

typedef enum ReplicaState
{
	REPLICA_DOWN,				/* unreachable, not polled yet, or not a standby */
	REPLICA_UP,					/* in rotation */
	REPLICA_LAGGING				/* more than --replica-max-lag-s behind: out of rotation */
} ReplicaState;

typedef struct ReplicaStats
{
	ReplicaState state;
	const char *why;			/* why down or lagging ("" when up) */
	uint64_t	replayed;		/* its replay position last seen (0: unknown) */
	uint64_t	lag_bytes;
	double		lag_s;
	long long	reads;			/* reads it answered */
	long long	retried;		/* reads it could not answer (behind, failed, a conflict): the primary did */
} ReplicaStats;

/* the standbys of conf->replicas, the primary's pool and its change listener (NULL: none yet) */
Replicas   *replica_create(struct event_base *base, const Conf *conf, Db *primary, const Changes *changes);
/* close the standbys' pools and stop polling (their reads in flight are answered unavailable) */
void		replica_stop(Replicas *rs);
/* free (after replica_stop, and after the primary's pool is freed) */
void		replica_free(Replicas *rs);

/*
 * A read as role (NULL: the login), as db_query_as(primary, role, 0, ...):
 * on a standby in rotation that has replayed the barrier, else on the
 * primary.  A standby that fails it, or turns out to be behind, hands it to
 * the primary.  0, -1 (queue full) or -2 (unreachable), as db_query_as.
 */
int			replica_read(Replicas *rs, const char *role, const char *sql, int nparams, const char *const *params,
						 int binary_result, DbResultCb cb, void *arg);

/* changes were confirmed; lsn: the primary's WAL end read right after their notifications (0: unknown) */
void		replica_changed(Replicas *rs, uint64_t lsn);
/* changes may have been missed: reads go to the primary until its WAL end is read anew */
void		replica_reset(Replicas *rs);

int			replica_count(const Replicas *rs);
void		replica_stats(const Replicas *rs, int i, ReplicaStats *out);
const char *replica_state_name(ReplicaState st);
/* reads the primary answered while standbys are configured; the barrier (0: unknown) */
long long	replica_primary_reads(const Replicas *rs);
uint64_t	replica_barrier(const Replicas *rs);

#endif
