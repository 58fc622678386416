/*
 * db.c - a pool of asynchronous libpq connections on the libevent loop: the
 * queue, dispatch, deadlines, life cycle; one connection's doings are in
 * db_conn.c.
 *
 * Each connection is non-blocking: connecting with PQconnectStartParams and
 * PQconnectPoll, queries with PQsendQueryParams, results collected with
 * PQconsumeInput / PQisBusy / PQgetResult when the socket is readable.  A
 * connection that fails is retried with exponential backoff (100 ms to 5 s);
 * a query in flight on it is answered "unavailable".  Queries wait in a
 * bounded FIFO when every connection is busy.
 *
 * A query may run as a role (db_query_as): it is sent in pipeline mode, in one
 * round trip and one sync, as
 *     RESET ALL; BEGIN READ ONLY|READ WRITE; SET LOCAL ROLE "role"; the query;
 *     [its then statement;] COMMIT; [the WAL's end (db_on_commit);] sync
 * On a standby's pool (db_set_standby) every query goes so, with
 *     BEGIN READ ONLY ISOLATION LEVEL READ COMMITTED; ...; the replay position;
 * before the query (and without RESET ALL and SET LOCAL ROLE when it runs as
 * the login).
 * so that it runs in a transaction of its own as that role, and nothing a
 * request did to its session (a setting) is there for the next one: the role
 * ends with the transaction, settings are reset before.  A write's then
 * statement (db_write_then) reads what the query did, as the answer.  The
 * first error of the statements is the query's answer; after an error (the rest skipped, the
 * transaction aborted) the connection sends ROLLBACK before it takes another
 * query; a connection left inside a transaction is dropped.  A query as a role goes,
 * when it can, to an idle connection whose last query ran as the same role:
 * PostgreSQL plans anew the statements under row-level security (those of
 * tailings.tile()) whenever the role they run as changes.
 *
 * A statement registered with db_prepare_always() is prepared by each
 * connection the first time it runs it, in the same round trip (in the
 * pipeline, or in one of its own without a transaction: Parse, Bind/Execute,
 * sync), and run by name afterwards: PostgreSQL parses it once per
 * connection.  A connection made anew prepares anew.
 *
 * Nothing waits forever on a hung backend or a silent network: one timer a
 * second answers DB_TIMED_OUT to queries past their deadline (the statement
 * timeout plus a grace, counted from when they were queued) and drops their
 * connections, and fails connection attempts older than CONNECT_TIMEOUT_S;
 * TCP keepalives notice a peer that vanished.
 */
#include "db_internal.h"

#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* the statements every connection prepares (one event loop: no lock) */
static char *prepared_sql[DB_PREPARED_MAX];
static int	nprepared;

int
db_prepare_always(const char *sql)
{
	for (int i = 0; i < nprepared; i++)
		if (strcmp(prepared_sql[i], sql) == 0)
			return 0;
	if (nprepared == DB_PREPARED_MAX || (prepared_sql[nprepared] = strdup(sql)) == NULL)
		return -1;
	nprepared++;
	return 0;
}

void
db_stmt_name(int stmt, char *out, size_t len)
{
	snprintf(out, len, "tailings_tileserver_%d", stmt);
}

/* sql's number among the prepared statements (1-based), or 0 */
static int
prepared_stmt(const char *sql)
{
	for (int i = 0; i < nprepared; i++)
		if (strcmp(prepared_sql[i], sql) == 0)
			return i + 1;
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
void
db_dispatch(Db *db)
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
		if (db_conn_send(c, q) != 0)
		{
			/* put it back first in line, and drop the connection */
			q->next = db->head;
			db->head = q;
			if (db->tail == NULL)
				db->tail = q;
			db->queued++;
			c->query = NULL;
			db_conn_fail(c);
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

/* queue a query (then_sql: after it, the answer) */
static int
queue_query(Db *db, const char *role, int write, const char *sql, int nparams, const char *const *params,
			const char *then_sql, int binary_result, uint64_t min_lsn, DbResultCb cb, void *arg)
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
	q->then_sql = then_sql ? strdup(then_sql) : NULL;
	q->role = role ? strdup(role) : NULL;
	q->write = write;
	if (q->sql == NULL || (then_sql && q->then_sql == NULL) || (role && q->role == NULL))
	{
		db_query_free(q);
		return -1;
	}
	q->nparams = nparams;
	for (int i = 0; i < nparams; i++)
		q->params[i] = params[i] ? strdup(params[i]) : NULL;
	q->binary = binary_result;
	q->stmt = prepared_stmt(sql);
	q->min_lsn = min_lsn;
	q->cb = cb;
	q->arg = arg;
	q->deadline = clock_mono_s() + db->deadline_s;
	if (db->tail)
		db->tail->next = q;
	else
		db->head = q;
	db->tail = q;
	db->queued++;
	db_dispatch(db);
	return 0;
}

int
db_query_as(Db *db, const char *role, int write, const char *sql, int nparams, const char *const *params,
			int binary_result, DbResultCb cb, void *arg)
{
	return queue_query(db, role, write, sql, nparams, params, NULL, binary_result, 0, cb, arg);
}

int
db_read_after(Db *db, const char *role, uint64_t min_lsn, const char *sql, int nparams,
			  const char *const *params, int binary_result, DbResultCb cb, void *arg)
{
	if (!db->standby)
		return -1;
	return queue_query(db, role, 0, sql, nparams, params, NULL, binary_result, min_lsn, cb, arg);
}

void
db_set_standby(Db *db, DbLsnCb replayed, void *arg)
{
	db->standby = 1;
	db->replayed_cb = replayed;
	db->replayed_arg = arg;
}

void
db_on_commit(Db *db, DbLsnCb committed, void *arg)
{
	db->commit_cb = committed;
	db->commit_arg = arg;
}

int
db_write_then(Db *db, const char *role, const char *sql, int nparams, const char *const *params,
			  const char *then_sql, DbResultCb cb, void *arg)
{
	/* the pipeline of a role is the one transaction there is */
	if (role == NULL)
		return -1;
	return queue_query(db, role, 1, sql, nparams, params, then_sql, 0, 0, cb, arg);
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
			db_conn_fail(c);
		}
		else if (c->state == CONN_BUSY && c->listen_pending && now > c->connect_deadline)
		{
			fprintf(stderr, "tailings-tileserver: LISTEN took over %d s: connecting the listener anew\n",
					CONNECT_TIMEOUT_S);
			db_conn_fail(c);
		}
		else if (c->state == CONN_BUSY && c->query == NULL && c->rollback_by > 0 && now > c->rollback_by)
		{
			fprintf(stderr, "tailings-tileserver: a ROLLBACK took over its deadline: connection dropped\n");
			db_conn_fail(c);
		}
		else if (c->state == CONN_BUSY && c->query && now > c->query->deadline)
		{
			db->timeouts++;
			fprintf(stderr, "tailings-tileserver: a query ran past its deadline (%.0f s): connection dropped\n",
					db->deadline_s);
			db_conn_fail_as(c, DB_TIMED_OUT);
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
		db_query_free(q);
	}
	if (db->tail == NULL)
		for (Query *q = db->head; q; q = q->next)
			db->tail = q;
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
		db_conn_init(db, &db->conns[i], 0);
		db_conn_start(&db->conns[i]);
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
	db_conn_init(db, &db->listen, 1);
	db_conn_start(&db->listen);
}

void
db_listen_restart(Db *db)
{
	if (db->channel == NULL || db->listen.state == CONN_DOWN)
		return;
	db_conn_fail(&db->listen);
}

void
db_free(Db *db)
{
	if (db == NULL)
		return;
	if (db->ticker)
		event_free(db->ticker);
	for (int i = 0; i < db->nconns; i++)
		db_conn_close(&db->conns[i]);
	if (db->channel)
		db_conn_close(&db->listen);
	while (db->head)
	{
		Query	   *q = db->head;

		db->head = q->next;
		q->cb(NULL, 1, q->arg);
		db_query_free(q);
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
