/*
 * db_conn.c - one connection of the database pool (or the LISTEN connection):
 * connecting without blocking, sending a query (as a role: the pipeline of
 * db.c's comment), collecting its results when the socket is readable,
 * notifications, and failing: the query in flight answered "unavailable",
 * the connection closed and made anew after a backoff (100 ms to 5 s).
 */
#include "db_internal.h"

#include "clock.h"
#include "lsn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void conn_io(evutil_socket_t fd, short what, void *arg);

/* the syncs of a pipeline */
#define PIPE_SYNCS 1
/* a ROLLBACK after a failed pipeline has this long to finish, or the connection goes */
#define ROLLBACK_TIMEOUT_S 10

void
db_query_free(Query *q)
{
	if (q == NULL)
		return;
	free(q->sql);
	free(q->then_sql);
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
	db_conn_start(arg);
}

void
db_conn_fail(Conn *c)
{
	db_conn_fail_as(c, 1);
}

void
db_conn_fail_as(Conn *c, int why)
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
	c->rollback_by = 0;
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
		db_query_free(q);
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
			db_query_free(w);
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
			db_conn_fail(c);
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
	db_dispatch(db);
}

void
db_conn_start(Conn *c)
{
	Db		   *db = c->db;
	/* keepalives: a peer that vanished (cable, NAT, VM) is noticed in about 25 s */
	const char *keys[] = {"dbname", "options", "application_name", "keepalives", "keepalives_idle",
	"keepalives_interval", "keepalives_count", NULL};
	const char *vals[] = {db->conninfo, c->listener ? "" : db->options,
	"tailings-tileserver", "1", "10", "5", "3", NULL};

	c->prepared = 0;			/* a new session: nothing prepared */
	c->pg = PQconnectStartParams(keys, vals, 1);
	if (c->pg == NULL || PQstatus(c->pg) == CONNECTION_BAD)
	{
		db_conn_fail(c);
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
			db_conn_fail(c);
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
conn_finish(Conn *c, PGresult *res, int broken, int why)
{
	Query	   *q = c->query;

	c->query = NULL;
	c->rollback_by = 0;
	/* a connection left in a transaction is not to be trusted with the next query */
	if (!broken && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
	{
		fprintf(stderr, "tailings-tileserver: a connection was left in a transaction: dropped\n");
		broken = 1;
	}
	/* dropped before the answer: a query its callback sends must not get this connection */
	if (broken)
		db_conn_fail(c);
	else
	{
		c->state = CONN_IDLE;
		conn_watch(c, EV_READ | EV_PERSIST);
	}
	if (q)
	{
		q->cb(res, res == NULL ? why : 0, q->arg);
		db_query_free(q);
	}
	else if (res)
		PQclear(res);
	if (!broken)
		db_dispatch(c->db);
}

/* the one text value of a result that read a WAL position (0: none, NULL) */
static uint64_t
result_lsn(const PGresult *r)
{
	uint64_t	v = 0;

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 || PQnfields(r) != 1 ||
		PQgetisnull(r, 0, 0) || lsn_parse(PQgetvalue(r, 0, 0), &v) != 0)
		return 0;
	return v;
}

/*
 * One result of a pipeline (NULL: a statement's results ended).  The query's
 * result is kept, the WAL positions read, and the first error of any
 * statement; 1 when the last sync has come.
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
	else if (c->pipe_query == c->pipe_prep && st == PGRES_COMMAND_OK)
	{
		c->prepared |= 1u << (c->pipe_prep_stmt - 1);
		PQclear(r);
	}
	else if (c->pipe_query == c->pipe_guard && st == PGRES_TUPLES_OK)
	{
		c->guard_lsn = result_lsn(r);
		c->guard_seen = 1;
		PQclear(r);
	}
	else if (c->pipe_query == c->pipe_lsn && st == PGRES_TUPLES_OK)
	{
		c->commit_lsn = result_lsn(r);
		PQclear(r);
	}
	else if (c->pipe_query == c->pipe_main && st != PGRES_PIPELINE_ABORTED)
	{
		if (c->last)
			PQclear(c->last);
		c->last = r;
	}
	else
		PQclear(r);
	return 0;
}

/*
 * A role's pipeline is over: its answer is its first error, else the query's
 * result.  An error inside the transaction left it aborted: the connection
 * sends ROLLBACK (its query answered meanwhile) and is free once that is done.
 */
static void
pipe_finish(Conn *c)
{
	PGresult   *res = c->pipe_err ? c->pipe_err : c->last;
	Query	   *q = c->query;
	Db		   *db = c->db;
	int			f,
				why = 1;

	if (res == c->pipe_err && c->last)
		PQclear(c->last);
	c->pipe_err = c->last = NULL;
	c->piped = 0;
	/* the positions read, told before the answer: a write's reader comes after it */
	if (c->guard_seen && c->guard_lsn && db->replayed_cb)
		db->replayed_cb(c->guard_lsn, db->replayed_arg);
	if (c->commit_lsn && db->commit_cb)
		db->commit_cb(c->commit_lsn, db->commit_arg);
	if (q && q->min_lsn && (!c->guard_seen || c->guard_lsn < q->min_lsn))
	{
		/* the standby had not replayed as far as asked when the snapshot was taken: its answer, or error, is not */
		if (res)
			PQclear(res);
		res = NULL;
		why = DB_BEHIND;
	}
	else if (res == NULL)
		res = PQmakeEmptyPGresult(c->pg, PGRES_FATAL_ERROR);
	c->guard_seen = 0;
	c->guard_lsn = c->commit_lsn = 0;
	if (PQexitPipelineMode(c->pg) != 1)
	{
		fprintf(stderr, "tailings-tileserver: a connection was left in pipeline mode: dropped\n");
		conn_finish(c, res, 1, why);
		return;
	}
	if (PQtransactionStatus(c->pg) != PQTRANS_INERROR)
	{
		conn_finish(c, res, 0, why);
		return;
	}
	if (!PQsendQuery(c->pg, "ROLLBACK") || (f = PQflush(c->pg)) < 0)
	{
		conn_finish(c, res, 1, why);
		return;
	}
	/* busy with the ROLLBACK, so that the callback's queries go elsewhere */
	c->query = NULL;
	c->rollback_by = clock_mono_s() + ROLLBACK_TIMEOUT_S;
	conn_watch(c, f == 1 ? EV_READ | EV_WRITE | EV_PERSIST : EV_READ | EV_PERSIST);
	if (q)
	{
		q->cb(res, res ? 0 : why, q->arg);
		db_query_free(q);
	}
	else if (res)
		PQclear(res);
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
			db_conn_fail(c);
			return;
		}
		conn_watch(c, f == 1 ? EV_READ | EV_WRITE | EV_PERSIST : EV_READ | EV_PERSIST);
	}
	if (!(what & EV_READ))
		return;
	if (!PQconsumeInput(c->pg))
	{
		db_conn_fail(c);
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
				db_conn_fail(c);
				return;
			}
			PQclear(r);
		}
		notifications(c);
		if (PQstatus(c->pg) == CONNECTION_BAD)
			db_conn_fail(c);
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
			conn_finish(c, res, 0, 1);
			return;
		}
		if (c->last)
			PQclear(c->last);
		c->last = r;
	}
	if (PQstatus(c->pg) == CONNECTION_BAD)
		db_conn_fail(c);
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
			db_conn_fail(c);
		else
		{
			PGresult   *r;

			while (!PQisBusy(c->pg) && (r = PQgetResult(c->pg)) != NULL)
				PQclear(r);
		}
	}
}

/* one statement of a pipeline, without parameters: 1 sent, 0 failed */
static int
pipe_send(Conn *c, const char *sql)
{
	return PQsendQueryParams(c->pg, sql, 0, NULL, NULL, NULL, NULL, 0);
}

/*
 * The query's own statement, statement n of the pipeline (*n counts those
 * sent): by name when it is a statement of db_prepare_always(), prepared
 * first when the connection has not yet.  1 sent, 0 failed.
 */
static int
send_main(Conn *c, Query *q, int *n)
{
	char		name[48];
	unsigned	bit;

	if (q->stmt == 0)
	{
		c->pipe_main = *n;
		return PQsendQueryParams(c->pg, q->sql, q->nparams, NULL, (const char *const *) q->params, NULL, NULL,
								 q->binary) && ++*n;
	}
	db_stmt_name(q->stmt, name, sizeof name);
	bit = 1u << (q->stmt - 1);
	if (!(c->prepared & bit))
	{
		if (!PQsendPrepare(c->pg, name, q->sql, q->nparams, NULL))
			return 0;
		c->pipe_prep = (*n)++;
		c->pipe_prep_stmt = q->stmt;
	}
	c->pipe_main = *n;
	return PQsendQueryPrepared(c->pg, name, q->nparams, (const char *const *) q->params, NULL, NULL, q->binary)
		&& ++*n;
}

/*
 * Send a query in a pipeline (db.c's comment): as its role, or on a standby
 * after reading its replay position; a write on a primary that tells commits
 * reads the WAL's end after COMMIT.  bare: a query as the login on a primary,
 * piped only to prepare its statement first: no transaction of its own, as
 * when it is sent alone.
 */
static int
conn_send_piped(Conn *c, Query *q, int bare)
{
	Db		   *db = c->db;
	char	   *set = NULL;
	int			n = 0,
				ok;

	if (q->role)
	{
		char	   *ident = PQescapeIdentifier(c->pg, q->role, strlen(q->role));

		set = ident ? malloc(strlen(ident) + 32) : NULL;
		if (set == NULL)
		{
			PQfreemem(ident);
			return -1;
		}
		sprintf(set, "SET LOCAL ROLE %s", ident);
		PQfreemem(ident);
	}
	c->pipe_guard = c->pipe_lsn = c->pipe_prep = -1;
	c->guard_seen = 0;
	c->guard_lsn = c->commit_lsn = 0;
	/* one sync: the backend answers once (an error skips the rest: pipe_finish rolls back) */
	ok = PQenterPipelineMode(c->pg);
	if (ok && q->role)
		ok = pipe_send(c, "RESET ALL") && ++n;
	if (ok && !bare)
		ok = pipe_send(c, q->write ? "BEGIN READ WRITE" : db->standby ? "BEGIN READ ONLY ISOLATION LEVEL READ COMMITTED"
					   : "BEGIN READ ONLY") && ++n;
	if (ok && set)
		ok = pipe_send(c, set) && ++n;
	if (ok && db->standby)
	{
		c->pipe_guard = n;
		ok = pipe_send(c, LSN_SQL_REPLAYED) && ++n;
	}
	if (ok)
		ok = send_main(c, q, &n);
	if (ok && q->then_sql)
	{
		c->pipe_main = n;
		ok = PQsendQueryParams(c->pg, q->then_sql, 0, NULL, NULL, NULL, NULL, q->binary) && ++n;
	}
	if (ok && !bare)
		ok = pipe_send(c, "COMMIT") && ++n;
	if (ok && !bare && q->write && db->commit_cb && !db->standby)
	{
		c->pipe_lsn = n;
		ok = pipe_send(c, "SELECT " LSN_SQL_WAL_END) && ++n;
	}
	ok = ok && PQpipelineSync(c->pg);
	free(set);
	if (!ok)
		return -1;
	c->piped = 1;
	c->pipe_query = 0;
	c->pipe_syncs = 0;
	if (q->role)
		snprintf(c->last_role, sizeof c->last_role, "%s", q->role);
	return 0;
}

int
db_conn_send(Conn *c, Query *q)
{
	int			f;

	if (q->role || c->db->standby)
	{
		if (conn_send_piped(c, q, 0) != 0)
			return -1;
	}
	else if (q->stmt && !(c->prepared & (1u << (q->stmt - 1))))
	{
		/* its first time on this connection: prepared in the same round trip */
		if (conn_send_piped(c, q, 1) != 0)
			return -1;
	}
	else if (q->stmt)
	{
		char		name[48];

		db_stmt_name(q->stmt, name, sizeof name);
		if (!PQsendQueryPrepared(c->pg, name, q->nparams, (const char *const *) q->params, NULL, NULL, q->binary))
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

void
db_conn_init(Db *db, Conn *c, int listener)
{
	memset(c, 0, sizeof(*c));
	c->db = db;
	c->listener = listener;
	c->backoff_ms = BACKOFF_MIN_MS;
	c->timer = evtimer_new(db->base, conn_timer, c);
}

void
db_conn_close(Conn *c)
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
		db_query_free(c->query);
		c->query = NULL;
	}
	if (c->pg)
		PQfinish(c->pg);
	c->pg = NULL;
}
