/*
 * db.h - a pool of asynchronous libpq connections driven by the libevent loop,
 * a bounded queue of waiting queries, reconnection with backoff, and a
 * dedicated connection that LISTENs for change notifications.
 */
#ifndef TAILINGS_DB_H
#define TAILINGS_DB_H

#include <stdint.h>

#include <event2/event.h>
#include <libpq-fe.h>

typedef struct Db Db;

/*
 * Result of a query: res is the query's last result (PGRES_TUPLES_OK or an
 * error; owned by the caller, who PQclear()s it), or NULL when the database
 * could not be reached (connection lost, or down): then unavailable is set.
 */
typedef void (*DbResultCb) (PGresult *res, int unavailable, void *arg);
/* the value of unavailable when the query did not finish within its deadline */
#define DB_TIMED_OUT 2
/* ... when a standby had not replayed the WAL position the query asked for (db_read_after) */
#define DB_BEHIND 3
/* a WAL position a pool learnt (db_set_standby, db_on_commit) */
typedef void (*DbLsnCb) (uint64_t lsn, void *arg);
typedef void (*DbNotifyCb) (const char *payload, void *arg);
/*
 * Called when the listening connection is (re)established: notifications may
 * have been missed.  xmin is pg_snapshot_xmin() of a snapshot taken on that
 * connection just before LISTEN: every transaction whose notification can
 * reach this listener has a txid at least xmin.
 */
typedef void (*DbResyncCb) (const char *xmin, void *arg);

typedef struct DbStats
{
	int			size;			/* connections in the pool */
	int			idle;
	int			busy;
	int			queued;
	long long	reconnects;
	long long	notifications;
	long long	queries;
	long long	rejected;		/* queue full */
	long long	timeouts;		/* queries answered DB_TIMED_OUT */
	int			listening;		/* the LISTEN connection is up */
} DbStats;

/*
 * statement_timeout_ms is set on every pool connection; a query that has not
 * answered within it plus a grace (or has waited that long in the queue) is
 * answered DB_TIMED_OUT, and its connection is dropped and made anew.  TCP
 * keepalives are on, and a connection attempt has a deadline.
 */
Db		   *db_create(struct event_base *base, const char *conninfo, int pool, int queue_max,
					  int statement_timeout_ms);
void		db_free(Db *db);
/* drop the listening connection and connect it again (it seems to hear nothing) */
void		db_listen_restart(Db *db);

/* LISTEN on channel; cb for each notification, resync after each (re)connect */
void		db_listen(Db *db, const char *channel, DbNotifyCb cb, DbResyncCb resync, void *arg);

/*
 * Run a parameterised query (text parameters, result in binary or text).
 * Returns 0 when the query is running or queued; -1 when the queue is full;
 * -2 when the database is unreachable (no connection is up).  The callback
 * runs later, from the event loop, exactly once, unless db_cancel_arg() is
 * called for its arg first.
 */
int			db_query(Db *db, const char *sql, int nparams, const char *const *params,
					 int binary_result, DbResultCb cb, void *arg);

/*
 * The same, run as role (when not NULL) in a transaction of its own: READ
 * WRITE when write, else READ ONLY; nothing of it stays on the connection for
 * the next query (db.c).  role is quoted as an identifier.
 */
int			db_query_as(Db *db, const char *role, int write, const char *sql, int nparams,
						const char *const *params, int binary_result, DbResultCb cb, void *arg);

/*
 * A change and then its answer: sql, then then_sql (without parameters), in
 * one READ WRITE transaction as role (required); the answer is then_sql's
 * rows, or the first error of either.  then_sql sees what sql did, its
 * triggers' work included (AFTER triggers run at the end of sql); sql may
 * leave it values with set_config(..., true).
 */
int			db_write_then(Db *db, const char *role, const char *sql, int nparams, const char *const *params,
						  const char *then_sql, DbResultCb cb, void *arg);

/*
 * The pool's server is a hot standby: every query runs in a transaction of
 * its own, READ COMMITTED, whose first statement reads the WAL position the
 * standby has replayed (pg_last_wal_replay_lsn()); the query's own statement
 * comes after, so its snapshot holds everything replayed up to there.  Each
 * position read is told to replayed (before the query's answer).
 */
void		db_set_standby(Db *db, DbLsnCb replayed, void *arg);

/*
 * A read as role (NULL: the login) on a standby's pool (db_set_standby) that
 * is answered only if the standby had replayed the primary's WAL up to
 * min_lsn when the query's snapshot was taken; else the callback gets NULL
 * and DB_BEHIND.  min_lsn 0: any position (the standby may have been promoted).
 */
int			db_read_after(Db *db, const char *role, uint64_t min_lsn, const char *sql, int nparams,
						  const char *const *params, int binary_result, DbResultCb cb, void *arg);

/*
 * On a primary's pool: after each write as a role (db_query_as with write,
 * db_write_then) commits, the end of the primary's WAL (lsn.h) is read in the
 * same round trip and told to committed, before the write's answer.
 */
void		db_on_commit(Db *db, DbLsnCb committed, void *arg);

/*
 * A statement that every connection of every pool prepares the first time it
 * runs it (in the same round trip) and then runs by name: a query whose sql
 * is this text is parsed once per connection, not once per call.  For the
 * statements run on every request (a tile); call before the queries, at most
 * DB_PREPARED_MAX texts.  Returns 0, or -1 when there is no room.
 */
#define DB_PREPARED_MAX 8
int			db_prepare_always(const char *sql);

/* true when at least one pool connection is up */
int			db_up(const Db *db);
/* true when the listening connection's LISTEN is in effect */
int			db_listening(const Db *db);
void		db_stats(const Db *db, DbStats *out);

#endif
