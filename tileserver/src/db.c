/*
 * db.c - asynchronous libpq connections on the libevent loop.
 *
 * Each connection is non-blocking: connecting with PQconnectStartParams and
 * PQconnectPoll, queries with PQsendQueryParams, results collected with
 * PQconsumeInput / PQisBusy / PQgetResult when the socket is readable.  A
 * connection that fails is retried with exponential backoff (100 ms to 5 s);
 * a query in flight on it is answered "unavailable".  Queries wait in a
 * bounded FIFO when every connection is busy.
 *
 * A query may run as a role (db_query_as): it is sent in pipeline mode, in one
 * round trip, as
 *     RESET ALL; sync; BEGIN READ ONLY|READ WRITE; SET LOCAL ROLE "role";
 *     the query; sync; COMMIT; sync
 * so that it runs in a transaction of its own as that role, and nothing a
 * request did to its session (a setting) is there for the next one: the role
 * ends with the transaction (COMMIT rolls an aborted one back), settings are
 * reset before.  The first error of the five is the query's answer; a
 * connection left inside a transaction is dropped.  A query as a role goes,
 * when it can, to an idle connection whose last query ran as the same role:
 * PostgreSQL plans anew the statements under row-level security (those of
 * tailings.tile()) whenever the role they run as changes.
 *
 * Nothing waits forever on a hung backend or a silent network: one timer a
 * second answers DB_TIMED_OUT to queries past their deadline (the statement
 * timeout plus a grace, counted from when they were queued) and drops their
 * connections, and fails connection attempts older than CONNECT_TIMEOUT_S;
 * TCP keepalives notice a peer that vanished.
 */
#include "db.h"

#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	char	   *role;			/* run as this role (pipeline), or NULL */
	int			write;			/* with role: READ WRITE, else READ ONLY */
	int			nparams;
	char	   *params[MAX_PARAMS];
	int			binary;
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
	int			piped;			/* the query in flight runs as a role, in pipeline mode */
	int			pipe_query;		/* the statement of the pipeline whose results come now */
	int			pipe_syncs;		/* syncs of the pipeline seen */
	PGresult   *pipe_err;		/* its first error */
	char		last_role[64];	/* the role of the last query sent as one ("" none yet) */
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
	struct event *ticker;		/* deadlines, once a second */
};

static void conn_start(Conn *c);
static void conn_io(evutil_socket_t fd, short what, void *arg);
static void dispatch(Db *db);
static void conn_fail(Conn *c);

/* the statements of a role's pipeline: which is the query, and the syncs */
#define PIPE_MAIN 3
#define PIPE_SYNCS 3

static void
query_free(Query *q)
{
	if (q == NULL)
		return;
	free(q->sql);
	free(q->role);
	for (int i = 0; i < q->nparams; i++)
		free(q->params[i]);
	free(q);
}

static void
conn_watch(Conn *c, short what)
{
	if (c->io)
	{
		event_del(c->io);
		event_free(c->io);
		c->io = NULL;
	}
	if (c->pg && PQsocket(c->pg) >= 0 && what)
	{
		c->io = event_new(c->db->base, PQsocket(c->pg), what, conn_io, c);
		event_add(c->io, NULL);
	}
}

static void
conn_timer(evutil_socket_t fd, short what, void *arg)
{
	(void) fd;
	(void) what;
	conn_start(arg);
}

/* The connection failed: answer its query, close it, retry after a backoff. */
static void conn_fail_as(Conn *c, int why);

static void
conn_fail(Conn *c)
{
	conn_fail_as(c, 1);
}

static void
conn_fail_as(Conn *c, int why)
{
	Query	   *q = c->query;
	struct timeval tv;

	c->query = NULL;
	if (c->last)
	{
		PQclear(c->last);
		c->last = NULL;
	}
	if (c->pipe_err)
	{
		PQclear(c->pipe_err);
		c->pipe_err = NULL;
	}
	c->piped = 0;
	conn_watch(c, 0);
	if (c->pg)
	{
		PQfinish(c->pg);
		c->pg = NULL;
	}
	c->state = CONN_DOWN;
	if (q)
	{
		q->cb(NULL, why, q->arg);
		query_free(q);
	}
	tv.tv_sec = c->backoff_ms / 1000;
	tv.tv_usec = (c->backoff_ms % 1000) * 1000;
	c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
	evtimer_add(c->timer, &tv);
	/* with no connection left up, waiting queries cannot be served */
	if (!db_up(c->db))
	{
		while (c->db->head)
		{
			Query	   *w = c->db->head;

			c->db->head = w->next;
			c->db->queued--;
			w->cb(NULL, 1, w->arg);
			query_free(w);
		}
		c->db->tail = NULL;
	}
}

static void
conn_ready(Conn *c)
{
	Db		   *db = c->db;

	PQsetnonblocking(c->pg, 1);
	c->state = CONN_IDLE;
	c->backoff_ms = BACKOFF_MIN_MS;
	if (c->ever_up)
		db->reconnects++;
	c->ever_up = 1;
	if (c->listener)
	{
		char	   *chan = PQescapeIdentifier(c->pg, db->channel, strlen(db->channel));
		char		sql[256];

		/* the snapshot first: its xmin bounds the txids of every notification to come */
		snprintf(sql, sizeof sql, "SELECT pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())::text;"
				 " LISTEN %s", chan ? chan : "tailings_changes");
		PQfreemem(chan);
		if (!PQsendQuery(c->pg, sql))
		{
			conn_fail(c);
			return;
		}
		c->state = CONN_BUSY;
		c->listen_pending = 1;
		c->connect_deadline = clock_mono_s() + CONNECT_TIMEOUT_S;	/* for LISTEN to take effect */
		c->listen_xmin[0] = '\0';
		conn_watch(c, EV_READ | EV_PERSIST);
		return;
	}
	/* idle connections are watched too, so that a server going away is noticed at once */
	conn_watch(c, EV_READ | EV_PERSIST);
	dispatch(db);
}

static void
conn_start(Conn *c)
{
	Db		   *db = c->db;
	/* keepalives: a peer that vanished (cable, NAT, VM) is noticed in about 25 s */
	const char *keys[] = {"dbname", "options", "application_name", "keepalives", "keepalives_idle",
	"keepalives_interval", "keepalives_count", NULL};
	const char *vals[] = {db->conninfo, c->listener ? "" : db->options,
	"tailings-tileserver", "1", "10", "5", "3", NULL};

	c->pg = PQconnectStartParams(keys, vals, 1);
	if (c->pg == NULL || PQstatus(c->pg) == CONNECTION_BAD)
	{
		conn_fail(c);
		return;
	}
	c->state = CONN_CONNECTING;
	c->connect_deadline = clock_mono_s() + CONNECT_TIMEOUT_S;
	c->poll = PGRES_POLLING_WRITING;
	conn_watch(c, EV_WRITE);
}

static void
connecting_io(Conn *c)
{
	c->poll = PQconnectPoll(c->pg);
	switch (c->poll)
	{
		case PGRES_POLLING_READING:
			conn_watch(c, EV_READ);
			break;
		case PGRES_POLLING_WRITING:
			conn_watch(c, EV_WRITE);
			break;
		case PGRES_POLLING_OK:
			conn_ready(c);
			break;
		default:
			conn_fail(c);
	}
}

static void
notifications(Conn *c)
{
	PGnotify   *n;
	Db		   *db = c->db;

	while ((n = PQnotifies(c->pg)) != NULL)
	{
		db->notifications++;
		if (db->notify_cb)
			db->notify_cb(n->extra, db->notify_arg);
		PQfreemem(n);
	}
}

/*
 * The query in flight is answered (res, NULL when none came: unavailable):
 * the connection is idle again, or dropped when broken (its state is not to
 * be trusted for the next query), and waiting queries go.
 */
static void
conn_finish(Conn *c, PGresult *res, int broken)
{
	Query	   *q = c->query;

	c->query = NULL;
	/* dropped before the answer: a query its callback sends must not get this connection */
	if (broken)
		conn_fail(c);
	else
	{
		c->state = CONN_IDLE;
		conn_watch(c, EV_READ | EV_PERSIST);
	}
	if (q)
	{
		q->cb(res, res == NULL, q->arg);
		query_free(q);
	}
	else if (res)
		PQclear(res);
	if (!broken)
		dispatch(c->db);
}

/*
 * One result of a role's pipeline (NULL: a statement's results ended).  The
 * query's result is kept, and the first error of any statement; 1 when the
 * last sync has come.
 */
static int
pipe_result(Conn *c, PGresult *r)
{
	ExecStatusType st;

	if (r == NULL)
	{
		c->pipe_query++;
		return 0;
	}
	st = PQresultStatus(r);
	if (st == PGRES_PIPELINE_SYNC)
	{
		PQclear(r);
		return ++c->pipe_syncs == PIPE_SYNCS;
	}
	if ((st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE || st == PGRES_NONFATAL_ERROR) && c->pipe_err == NULL)
		c->pipe_err = r;
	else if (c->pipe_query == PIPE_MAIN && st != PGRES_PIPELINE_ABORTED)
	{
		if (c->last)
			PQclear(c->last);
		c->last = r;
	}
	else
		PQclear(r);
	return 0;
}

/* a role's pipeline is over: its answer is its first error, else the query's result */
static void
pipe_finish(Conn *c)
{
	PGresult   *res = c->pipe_err ? c->pipe_err : c->last;
	int			broken;

	if (res == c->pipe_err && c->last)
		PQclear(c->last);
	c->pipe_err = c->last = NULL;
	c->piped = 0;
	/* out of pipeline mode, and out of any transaction, or the connection goes */
	broken = PQexitPipelineMode(c->pg) != 1 || PQtransactionStatus(c->pg) != PQTRANS_IDLE;
	if (broken)
		fprintf(stderr, "tailings-tileserver: a connection was left in a transaction or pipeline: dropped\n");
	if (res == NULL)
		res = PQmakeEmptyPGresult(c->pg, PGRES_FATAL_ERROR);
	conn_finish(c, res, broken);
}

/* Socket readable (or writable while flushing): collect results. */
static void
busy_io(Conn *c, short what)
{
	if (what & EV_WRITE)
	{
		int			f = PQflush(c->pg);

		if (f < 0)
		{
			conn_fail(c);
			return;
		}
		conn_watch(c, f == 1 ? EV_READ | EV_WRITE | EV_PERSIST : EV_READ | EV_PERSIST);
	}
	if (!(what & EV_READ))
		return;
	if (!PQconsumeInput(c->pg))
	{
		conn_fail(c);
		return;
	}
	if (c->listener)
	{
		/* the snapshot's xmin and the LISTEN command's result, then notifications */
		while (!PQisBusy(c->pg))
		{
			PGresult   *r = PQgetResult(c->pg);

			if (r == NULL)
			{
				/* LISTEN is in effect now (at the end of its implicit transaction) */
				if (c->listen_pending && c->db->resync_cb)
					c->db->resync_cb(c->listen_xmin, c->db->notify_arg);
				c->listen_pending = 0;
				break;
			}
			if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
				snprintf(c->listen_xmin, sizeof c->listen_xmin, "%s", PQgetvalue(r, 0, 0));
			else if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
			{
				fprintf(stderr, "tailings-tileserver: LISTEN failed: %s", PQresultErrorMessage(r));
				PQclear(r);
				conn_fail(c);
				return;
			}
			PQclear(r);
		}
		notifications(c);
		if (PQstatus(c->pg) == CONNECTION_BAD)
			conn_fail(c);
		return;
	}
	while (!PQisBusy(c->pg))
	{
		PGresult   *r = PQgetResult(c->pg);

		if (c->piped)
		{
			if (pipe_result(c, r))
			{
				pipe_finish(c);
				return;
			}
			continue;
		}
		if (r == NULL)
		{
			PGresult   *res = c->last;

			c->last = NULL;
			conn_finish(c, res, 0);
			return;
		}
		if (c->last)
			PQclear(c->last);
		c->last = r;
	}
	if (PQstatus(c->pg) == CONNECTION_BAD)
		conn_fail(c);
}

static void
conn_io(evutil_socket_t fd, short what, void *arg)
{
	Conn	   *c = arg;

	(void) fd;
	if (c->state == CONN_CONNECTING)
		connecting_io(c);
	else if (c->state == CONN_BUSY)
		busy_io(c, what);
	else if (c->state == CONN_IDLE)
	{
		/* nothing is expected on an idle connection but its end (or a notice) */
		if (PQconsumeInput(c->pg) == 0 || PQstatus(c->pg) == CONNECTION_BAD)
			conn_fail(c);
		else
		{
			PGresult   *r;

			while (!PQisBusy(c->pg) && (r = PQgetResult(c->pg)) != NULL)
				PQclear(r);
		}
	}
}

/* send a query as its role: the pipeline (above) */
static int
conn_send_piped(Conn *c, Query *q)
{
	char	   *ident = PQescapeIdentifier(c->pg, q->role, strlen(q->role));
	char	   *set = ident ? malloc(strlen(ident) + 32) : NULL;
	int			ok;

	if (set == NULL)
	{
		PQfreemem(ident);
		return -1;
	}
	sprintf(set, "SET LOCAL ROLE %s", ident);
	PQfreemem(ident);
	ok = PQenterPipelineMode(c->pg) &&
		PQsendQueryParams(c->pg, "RESET ALL", 0, NULL, NULL, NULL, NULL, 0) && PQpipelineSync(c->pg) &&
		PQsendQueryParams(c->pg, q->write ? "BEGIN READ WRITE" : "BEGIN READ ONLY", 0, NULL, NULL, NULL, NULL, 0) &&
		PQsendQueryParams(c->pg, set, 0, NULL, NULL, NULL, NULL, 0) &&
		PQsendQueryParams(c->pg, q->sql, q->nparams, NULL, (const char *const *) q->params, NULL, NULL, q->binary) &&
		PQpipelineSync(c->pg) &&
		PQsendQueryParams(c->pg, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) && PQpipelineSync(c->pg);
	free(set);
	if (!ok)
		return -1;
	c->piped = 1;
	c->pipe_query = 0;
	c->pipe_syncs = 0;
	snprintf(c->last_role, sizeof c->last_role, "%s", q->role);
	return 0;
}

static int
conn_send(Conn *c, Query *q)
{
	int			f;

	if (q->role)
	{
		if (conn_send_piped(c, q) != 0)
			return -1;
	}
	else if (!PQsendQueryParams(c->pg, q->sql, q->nparams, NULL, (const char *const *) q->params,
								NULL, NULL, q->binary))
		return -1;
	c->query = q;
	c->state = CONN_BUSY;
	c->db->queries++;
	f = PQflush(c->pg);
	if (f < 0)
		return -1;
	conn_watch(c, f == 1 ? EV_READ | EV_WRITE | EV_PERSIST : EV_READ | EV_PERSIST);
	return 0;
}

/* an idle connection for a query as role (NULL: the login): one that ran as role last, else any; NULL when none */
static Conn *
idle_conn(Db *db, const char *role)
{
	Conn	   *any = NULL;

	for (int i = 0; i < db->nconns; i++)
	{
		Conn	   *c = &db->conns[i];

		if (c->state != CONN_IDLE)
			continue;
		if (role == NULL || strcmp(c->last_role, role) == 0)
			return c;
		if (any == NULL)
			any = c;
	}
	return any;
}

/* Give waiting queries to idle connections. */
static void
dispatch(Db *db)
{
	Conn	   *c;

	while (db->head && (c = idle_conn(db, db->head->role)) != NULL)
	{
		Query	   *q;

		q = db->head;
		db->head = q->next;
		if (db->head == NULL)
			db->tail = NULL;
		db->queued--;
		q->next = NULL;
		if (conn_send(c, q) != 0)
		{
			/* put it back first in line, and drop the connection */
			q->next = db->head;
			db->head = q;
			if (db->tail == NULL)
				db->tail = q;
			db->queued++;
			c->query = NULL;
			conn_fail(c);
		}
	}
}

int
db_up(const Db *db)
{
	for (int i = 0; i < db->nconns; i++)
		if (db->conns[i].state == CONN_IDLE || db->conns[i].state == CONN_BUSY)
			return 1;
	return 0;
}

int
db_listening(const Db *db)
{
	return db->channel && db->listen.state == CONN_BUSY && !db->listen.listen_pending;
}

int
db_query(Db *db, const char *sql, int nparams, const char *const *params, int binary_result,
		 DbResultCb cb, void *arg)
{
	return db_query_as(db, NULL, 0, sql, nparams, params, binary_result, cb, arg);
}

int
db_query_as(Db *db, const char *role, int write, const char *sql, int nparams, const char *const *params,
			int binary_result, DbResultCb cb, void *arg)
{
	Query	   *q;

	if (!db_up(db))
		return -2;
	if (db->queued >= db->queue_max)
	{
		int			idle = 0;

		for (int i = 0; i < db->nconns; i++)
			idle += db->conns[i].state == CONN_IDLE;
		if (!idle)
		{
			db->rejected++;
			return -1;
		}
	}
	if (nparams > MAX_PARAMS || (q = calloc(1, sizeof(Query))) == NULL)
		return -1;
	q->sql = strdup(sql);
	q->role = role ? strdup(role) : NULL;
	q->write = write;
	if (q->sql == NULL || (role && q->role == NULL))
	{
		query_free(q);
		return -1;
	}
	q->nparams = nparams;
	for (int i = 0; i < nparams; i++)
		q->params[i] = params[i] ? strdup(params[i]) : NULL;
	q->binary = binary_result;
	q->cb = cb;
	q->arg = arg;
	q->deadline = clock_mono_s() + db->deadline_s;
	if (db->tail)
		db->tail->next = q;
	else
		db->head = q;
	db->tail = q;
	db->queued++;
	dispatch(db);
	return 0;
}

/*
 * Once a second: queries past their deadline are answered DB_TIMED_OUT (a
 * running one takes its connection down with it: the backend may be hung, and
 * a new connection is the only sure way on), connection attempts past theirs
 * fail.
 */
static void
db_tick(evutil_socket_t fd, short what, void *arg)
{
	Db		   *db = arg;
	double		now = clock_mono_s();
	Query	  **p;

	(void) fd;
	(void) what;
	for (int i = 0; i <= db->nconns; i++)
	{
		Conn	   *c = i < db->nconns ? &db->conns[i] : &db->listen;

		if (i == db->nconns && db->channel == NULL)
			break;
		if (c->state == CONN_CONNECTING && now > c->connect_deadline)
		{
			fprintf(stderr, "tailings-tileserver: connecting to the database took over %d s\n", CONNECT_TIMEOUT_S);
			conn_fail(c);
		}
		else if (c->state == CONN_BUSY && c->listen_pending && now > c->connect_deadline)
		{
			fprintf(stderr, "tailings-tileserver: LISTEN took over %d s: connecting the listener anew\n",
					CONNECT_TIMEOUT_S);
			conn_fail(c);
		}
		else if (c->state == CONN_BUSY && c->query && now > c->query->deadline)
		{
			db->timeouts++;
			fprintf(stderr, "tailings-tileserver: a query ran past its deadline (%.0f s): connection dropped\n",
					db->deadline_s);
			conn_fail_as(c, DB_TIMED_OUT);
		}
	}
	/* waiting in the queue counts too */
	p = &db->head;
	while (*p)
	{
		Query	   *q = *p;

		if (now <= q->deadline)
		{
			p = &q->next;
			continue;
		}
		*p = q->next;
		if (db->tail == q)
			db->tail = NULL;
		db->queued--;
		db->timeouts++;
		q->cb(NULL, DB_TIMED_OUT, q->arg);
		query_free(q);
	}
	if (db->tail == NULL)
		for (Query *q = db->head; q; q = q->next)
			db->tail = q;
}

static void
conn_init(Db *db, Conn *c, int listener)
{
	memset(c, 0, sizeof(*c));
	c->db = db;
	c->listener = listener;
	c->backoff_ms = BACKOFF_MIN_MS;
	c->timer = evtimer_new(db->base, conn_timer, c);
}

Db *
db_create(struct event_base *base, const char *conninfo, int pool, int queue_max, int statement_timeout_ms)
{
	Db		   *db = calloc(1, sizeof(Db));

	if (db == NULL)
		return NULL;
	db->base = base;
	db->conninfo = strdup(conninfo);
	db->queue_max = queue_max;
	snprintf(db->options, sizeof db->options, "-c statement_timeout=%d", statement_timeout_ms);
	db->deadline_s = statement_timeout_ms > 0 ? statement_timeout_ms / 1000.0 + DEADLINE_GRACE_S : DEADLINE_DEFAULT_S;
	db->nconns = pool;
	db->conns = calloc((size_t) pool, sizeof(Conn));
	db->ticker = event_new(base, -1, EV_PERSIST, db_tick, db);
	if (db->conninfo == NULL || db->conns == NULL || db->ticker == NULL)
	{
		db_free(db);
		return NULL;
	}
	{
		struct timeval second = {1, 0};

		event_add(db->ticker, &second);
	}
	for (int i = 0; i < pool; i++)
	{
		conn_init(db, &db->conns[i], 0);
		conn_start(&db->conns[i]);
	}
	return db;
}

void
db_listen(Db *db, const char *channel, DbNotifyCb cb, DbResyncCb resync, void *arg)
{
	db->channel = strdup(channel);
	db->notify_cb = cb;
	db->resync_cb = resync;
	db->notify_arg = arg;
	conn_init(db, &db->listen, 1);
	conn_start(&db->listen);
}

static void
conn_close(Conn *c)
{
	if (c->timer)
		event_free(c->timer);
	c->timer = NULL;
	conn_watch(c, 0);
	if (c->last)
		PQclear(c->last);
	c->last = NULL;
	if (c->pipe_err)
		PQclear(c->pipe_err);
	c->pipe_err = NULL;
	if (c->query)
	{
		c->query->cb(NULL, 1, c->query->arg);
		query_free(c->query);
		c->query = NULL;
	}
	if (c->pg)
		PQfinish(c->pg);
	c->pg = NULL;
}

void
db_listen_restart(Db *db)
{
	if (db->channel == NULL || db->listen.state == CONN_DOWN)
		return;
	conn_fail(&db->listen);
}

void
db_free(Db *db)
{
	if (db == NULL)
		return;
	if (db->ticker)
		event_free(db->ticker);
	for (int i = 0; i < db->nconns; i++)
		conn_close(&db->conns[i]);
	if (db->channel)
		conn_close(&db->listen);
	while (db->head)
	{
		Query	   *q = db->head;

		db->head = q->next;
		q->cb(NULL, 1, q->arg);
		query_free(q);
	}
	free(db->conns);
	free(db->conninfo);
	free(db->channel);
	free(db);
}

void
db_stats(const Db *db, DbStats *out)
{
	memset(out, 0, sizeof(*out));
	out->size = db->nconns;
	for (int i = 0; i < db->nconns; i++)
	{
		out->idle += db->conns[i].state == CONN_IDLE;
		out->busy += db->conns[i].state == CONN_BUSY;
	}
	out->queued = db->queued;
	out->reconnects = db->reconnects;
	out->notifications = db->notifications;
	out->queries = db->queries;
	out->rejected = db->rejected;
	out->timeouts = db->timeouts;
	out->listening = db_listening(db);
}
