/*
 * db.c - asynchronous libpq connections on the libevent loop.
 *
 * Each connection is non-blocking: connecting with PQconnectStartParams and
 * PQconnectPoll, queries with PQsendQueryParams, results collected with
 * PQconsumeInput / PQisBusy / PQgetResult when the socket is readable.  A
 * connection that fails is retried with exponential backoff (100 ms to 5 s);
 * a query in flight on it is answered "unavailable".  Queries wait in a
 * bounded FIFO when every connection is busy.
 */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define MAX_PARAMS 8

typedef struct Query
{
	char	   *sql;
	int			nparams;
	char	   *params[MAX_PARAMS];
	int			binary;
	DbResultCb	cb;
	void	   *arg;
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
};

static void conn_start(Conn *c);
static void conn_io(evutil_socket_t fd, short what, void *arg);
static void dispatch(Db *db);

static void
query_free(Query *q)
{
	if (q == NULL)
		return;
	free(q->sql);
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
static void
conn_fail(Conn *c)
{
	Query	   *q = c->query;
	struct timeval tv;

	c->query = NULL;
	if (c->last)
	{
		PQclear(c->last);
		c->last = NULL;
	}
	conn_watch(c, 0);
	if (c->pg)
	{
		PQfinish(c->pg);
		c->pg = NULL;
	}
	c->state = CONN_DOWN;
	if (q)
	{
		q->cb(NULL, 1, q->arg);
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

		snprintf(sql, sizeof sql, "LISTEN %s", chan ? chan : "tailings_changes");
		PQfreemem(chan);
		if (!PQsendQuery(c->pg, sql))
		{
			conn_fail(c);
			return;
		}
		c->state = CONN_BUSY;
		conn_watch(c, EV_READ | EV_PERSIST);
		if (db->resync_cb)
			db->resync_cb(db->notify_arg);
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
	const char *keys[] = {"dbname", "options", "application_name", NULL};
	const char *vals[] = {db->conninfo, c->listener ? "" : db->options,
	"tailings-tileserver", NULL};

	c->pg = PQconnectStartParams(keys, vals, 1);
	if (c->pg == NULL || PQstatus(c->pg) == CONNECTION_BAD)
	{
		conn_fail(c);
		return;
	}
	c->state = CONN_CONNECTING;
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
		/* the LISTEN command's own results, then notifications */
		while (!PQisBusy(c->pg))
		{
			PGresult   *r = PQgetResult(c->pg);

			if (r == NULL)
				break;
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

		if (r == NULL)
		{
			Query	   *q = c->query;
			PGresult   *res = c->last;

			c->query = NULL;
			c->last = NULL;
			c->state = CONN_IDLE;
			conn_watch(c, EV_READ | EV_PERSIST);
			if (q)
			{
				q->cb(res, res == NULL, q->arg);
				query_free(q);
			}
			else if (res)
				PQclear(res);
			dispatch(c->db);
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

static int
conn_send(Conn *c, Query *q)
{
	int			f;

	if (!PQsendQueryParams(c->pg, q->sql, q->nparams, NULL, (const char *const *) q->params,
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

/* Give waiting queries to idle connections. */
static void
dispatch(Db *db)
{
	for (int i = 0; i < db->nconns && db->head; i++)
	{
		Conn	   *c = &db->conns[i];
		Query	   *q;

		if (c->state != CONN_IDLE)
			continue;
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
db_query(Db *db, const char *sql, int nparams, const char *const *params, int binary_result,
		 DbResultCb cb, void *arg)
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
	q->nparams = nparams;
	for (int i = 0; i < nparams; i++)
		q->params[i] = params[i] ? strdup(params[i]) : NULL;
	q->binary = binary_result;
	q->cb = cb;
	q->arg = arg;
	if (db->tail)
		db->tail->next = q;
	else
		db->head = q;
	db->tail = q;
	db->queued++;
	dispatch(db);
	return 0;
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
	db->nconns = pool;
	db->conns = calloc((size_t) pool, sizeof(Conn));
	if (db->conninfo == NULL || db->conns == NULL)
	{
		db_free(db);
		return NULL;
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
db_free(Db *db)
{
	if (db == NULL)
		return;
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
	out->listening = db->channel && (db->listen.state == CONN_BUSY);
}
