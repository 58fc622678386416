/*
 * db_internal.h - the pool's state, shared by db.c (the pool: the queue,
 * dispatch, deadlines, life cycle) and db_conn.c (one connection: connecting,
 * sending, results, the pipeline of a query as a role, failing and backing
 * off); not for the pool's users, who see db.h.
 */
#ifndef TAILINGS_DB_INTERNAL_H
#define TAILINGS_DB_INTERNAL_H

#include "db.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define MAX_PARAMS 8
#define CONNECT_TIMEOUT_S 10
/* a query's deadline: the statement timeout and this much more (network, queue) */
#define DEADLINE_GRACE_S 5
/* without a statement timeout */
#define DEADLINE_DEFAULT_S 60

typedef struct Query
{
	char	   *sql;
	char	   *then_sql;		/* run after sql in its transaction, without parameters: its rows are the answer */
	char	   *role;			/* run as this role (pipeline), or NULL */
	int			write;			/* with role: READ WRITE, else READ ONLY */
	int			nparams;
	char	   *params[MAX_PARAMS];
	int			binary;
	int			stmt;			/* sql is the statement of db_prepare_always() number stmt (1-based), or 0 */
	uint64_t	min_lsn;		/* on a standby: the WAL position it must have replayed (db_read_after) */
	DbResultCb	cb;
	void	   *arg;
	double		deadline;		/* monotonic seconds */
	struct Query *next;
} Query;

typedef enum
{
	CONN_DOWN,					/* waiting for the backoff timer */
	CONN_CONNECTING,
	CONN_IDLE,
	CONN_BUSY
} ConnState;

typedef struct Conn
{
	Db		   *db;
	PGconn	   *pg;
	ConnState	state;
	struct event *io;			/* socket readiness */
	struct event *timer;		/* reconnect backoff */
	int			backoff_ms;
	int			listener;		/* the LISTEN connection */
	PostgresPollingStatusType poll;
	Query	   *query;			/* in flight */
	PGresult   *last;			/* last result of the query in flight */
	int			ever_up;
	double		connect_deadline;	/* monotonic seconds, while connecting */
	int			listen_pending; /* the listener's LISTEN has not completed yet */
	int			piped;			/* the query in flight runs in a pipeline (as a role, or on a standby) */
	int			pipe_query;		/* the statement of the pipeline whose results come now */
	int			pipe_main;		/* the statement whose rows are the answer */
	int			pipe_guard;		/* the statement reading the standby's replay position, or -1 */
	int			pipe_lsn;		/* the statement reading the primary's WAL end after COMMIT, or -1 */
	int			pipe_prep;		/* the statement preparing pipe_prep_stmt, or -1 */
	int			pipe_prep_stmt;
	int			pipe_bare;		/* a pipeline only to prepare a statement: no transaction of its own */
	unsigned	prepared;		/* the statements of db_prepare_always() this connection has prepared (bit stmt - 1) */
	uint64_t	guard_lsn;		/* what pipe_guard read (0: NULL, not in recovery) */
	int			guard_seen;
	uint64_t	commit_lsn;		/* what pipe_lsn read, or 0 */
	int			pipe_syncs;		/* syncs of the pipeline seen */
	PGresult   *pipe_err;		/* its first error */
	char		last_role[64];	/* the role of the last query sent as one ("" none yet) */
	double		rollback_by;	/* busy with the ROLLBACK of a failed pipeline until then (monotonic s), or 0 */
	char		listen_xmin[32];
} Conn;

struct Db
{
	struct event_base *base;
	char	   *conninfo;
	char		options[64];
	Conn	   *conns;
	int			nconns;
	Conn		listen;
	char	   *channel;
	DbNotifyCb	notify_cb;
	DbResyncCb	resync_cb;
	void	   *notify_arg;
	Query	   *head,
			   *tail;
	int			queued;
	int			queue_max;
	long long	reconnects;
	long long	notifications;
	long long	queries;
	long long	rejected;
	long long	timeouts;
	double		deadline_s;		/* a query's time from db_query to its answer, at most */
	int			standby;		/* db_set_standby */
	DbLsnCb		replayed_cb;
	void	   *replayed_arg;
	DbLsnCb		commit_cb;		/* db_on_commit */
	void	   *commit_arg;
	struct event *ticker;		/* deadlines, once a second */
};

/* db_conn.c */
void		db_query_free(Query *q);
void		db_conn_init(Db *db, Conn *c, int listener);
/* connect (the connection is down) */
void		db_conn_start(Conn *c);
/* the connection failed: answer its query "unavailable", close it, connect again after a backoff */
void		db_conn_fail(Conn *c);
void		db_conn_fail_as(Conn *c, int why);
/* send q on an idle connection: 0, or -1 (the connection is to be failed) */
int			db_conn_send(Conn *c, Query *q);
/* close for good (db_free): a query in flight is answered "unavailable" */
void		db_conn_close(Conn *c);

/* db.c: give waiting queries to idle connections */
void		db_dispatch(Db *db);
/* db.c: the name of statement stmt (db_prepare_always) on every connection */
void		db_stmt_name(int stmt, char *out, size_t len);

#endif
