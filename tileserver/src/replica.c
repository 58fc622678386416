/*
 * replica.c - reads on hot standbys that are never staler than the changes
 * the server knows of (replica.h says how).
 */
#include "replica.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "lsn.h"

/* standbys at most (conf.c refuses more) */
#define REPLICA_MAX 16
#define POLL_MS 500
/* the primary's WAL end over time, for the standbys' lag in seconds: samples kept, and their spacing at least */
#define SAMPLES 512
#define SAMPLE_GAP_S 0.25

typedef struct Replica
{
	Replicas   *rs;
	int			index;
	Db		   *db;
	uint64_t	replayed;		/* its replay position last seen (0: unknown) */
	int			polled;			/* a poll answered since its pool came up */
	int			standby;		/* ... and said it is in recovery */
	int			poll_out;
	ReplicaState state;
	const char *why;
	long long	reads;
	long long	retried;
} Replica;

typedef struct Sample
{
	double		t;				/* monotonic seconds */
	uint64_t	lsn;
} Sample;

struct Replicas
{
	Db		   *primary;
	const Changes *changes;
	int			max_lag_s;
	Replica    *r;
	int			n;
	unsigned	next;			/* where the search for the least busy starts (ties go round) */
	uint64_t	barrier;		/* a read's standby must have replayed this */
	int			barrier_known;
	unsigned	gen;			/* replica_reset()s so far */
	int			poll_gen_out;	/* a primary poll of this generation is on its way (-1: none) */
	uint64_t	primary_lsn;	/* the newest WAL end of the primary seen */
	Sample		samples[SAMPLES];
	int			first,
				nsamples;
	long long	primary_reads;
	struct event *ticker;
	int			stopped;
};

/* a poll on its way: the primary's (replica -1) or a standby's */
typedef struct Poll
{
	Replicas   *rs;
	int			replica;
	unsigned	gen;
} Poll;

/* a read on a standby, kept whole so that the primary can take it over */
typedef struct ReadCall
{
	Replicas   *rs;
	int			replica;
	char	   *role;
	char	   *sql;
	int			nparams;
	char	   *params[8];
	int			binary;
	DbResultCb	cb;
	void	   *arg;
} ReadCall;

static const char SQL_PRIMARY_POLL[] = "SELECT " LSN_SQL_WAL_END;
static const char SQL_STANDBY_POLL[] = "SELECT pg_catalog.pg_is_in_recovery()";

/* ---------------------------------------------------------------------------
 * the primary's WAL end over time, and the barrier
 */
static void
sample_add(Replicas *rs, uint64_t lsn)
{
	double		now = clock_mono_s();
	Sample	   *last;

	if (lsn <= rs->primary_lsn)
		return;
	rs->primary_lsn = lsn;
	last = rs->nsamples ? &rs->samples[(rs->first + rs->nsamples - 1) % SAMPLES] : NULL;
	if (last && now - last->t < SAMPLE_GAP_S)
	{
		/* within the gap: the earlier time stays (a lag measured from it errs long, never short) */
		last->lsn = lsn;
		return;
	}
	if (rs->nsamples == SAMPLES)
	{
		rs->first = (rs->first + 1) % SAMPLES;
		rs->nsamples--;
	}
	rs->samples[(rs->first + rs->nsamples) % SAMPLES] = (Sample) {now, lsn};
	rs->nsamples++;
}

/* how long ago the primary first had WAL beyond replayed (0: it has nothing newer) */
static double
lag_seconds(const Replicas *rs, uint64_t replayed, double now)
{
	if (replayed >= rs->primary_lsn)
		return 0;
	for (int i = 0; i < rs->nsamples; i++)
	{
		const Sample *s = &rs->samples[(rs->first + i) % SAMPLES];

		if (s->lsn > replayed)
			return now - s->t;
	}
	return 0;
}

static void
raise_barrier(Replicas *rs, uint64_t lsn)
{
	if (lsn > rs->barrier)
		rs->barrier = lsn;
	sample_add(rs, lsn);
}

/* a write of this server committed: its readers must see it */
static void
on_commit(uint64_t lsn, void *arg)
{
	raise_barrier(arg, lsn);
}

/* a standby's replay position, read before one of its queries */
static void
on_replayed(uint64_t lsn, void *arg)
{
	Replica    *r = arg;

	r->replayed = lsn;
}

/* ---------------------------------------------------------------------------
 * polls
 */
static void
poll_done(PGresult *res, int unavailable, void *arg)
{
	Poll	   *p = arg;
	Replicas   *rs = p->rs;
	int			ok = !unavailable && res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
		!PQgetisnull(res, 0, 0);

	if (p->replica < 0)
	{
		uint64_t	lsn;

		if ((int) p->gen == rs->poll_gen_out)
			rs->poll_gen_out = -1;
		if (ok && lsn_parse(PQgetvalue(res, 0, 0), &lsn) == 0)
		{
			sample_add(rs, lsn);
			/* the first WAL end read after a reset: every change missed before is under it */
			if (p->gen == rs->gen && !rs->barrier_known)
			{
				if (lsn > rs->barrier)
					rs->barrier = lsn;
				rs->barrier_known = 1;
			}
		}
		else if (res && PQresultStatus(res) != PGRES_TUPLES_OK)
			fprintf(stderr, "tailings-tileserver: reading the primary's WAL position: %s", PQresultErrorMessage(res));
	}
	else
	{
		Replica    *r = &rs->r[p->replica];

		r->poll_out = 0;
		if (ok)
		{
			r->polled = 1;
			r->standby = PQgetvalue(res, 0, 0)[0] == 't';
			if (!r->standby)
				r->replayed = 0;
		}
	}
	if (res)
		PQclear(res);
	free(p);
}

static void
poll_send(Replicas *rs, int replica)
{
	Poll	   *p = malloc(sizeof(Poll));
	Db		   *db = replica < 0 ? rs->primary : rs->r[replica].db;

	if (p == NULL)
		return;
	p->rs = rs;
	p->replica = replica;
	p->gen = rs->gen;
	if (db_query(db, replica < 0 ? SQL_PRIMARY_POLL : SQL_STANDBY_POLL, 0, NULL, 0, poll_done, p) != 0)
	{
		free(p);
		return;
	}
	if (replica < 0)
		rs->poll_gen_out = (int) rs->gen;
	else
		rs->r[replica].poll_out = 1;
}

/* a standby's state from what is known of it now */
static void
judge(Replicas *rs, Replica *r, double now)
{
	if (!db_up(r->db))
	{
		/* a standby that restarts may come back at an earlier position: forget it */
		r->state = REPLICA_DOWN;
		r->why = "unreachable";
		r->polled = r->standby = 0;
		r->replayed = 0;
	}
	else if (!r->polled)
	{
		r->state = REPLICA_DOWN;
		r->why = "connecting";
	}
	else if (!r->standby)
	{
		r->state = REPLICA_DOWN;
		r->why = "not a standby (not in recovery)";
	}
	else if (r->replayed == 0 || lag_seconds(rs, r->replayed, now) > rs->max_lag_s)
	{
		r->state = REPLICA_LAGGING;
		r->why = "lags more than --replica-max-lag-s";
	}
	else
	{
		r->state = REPLICA_UP;
		r->why = "";
	}
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	Replicas   *rs = arg;
	double		now = clock_mono_s();

	(void) fd;
	(void) what;
	if (rs->stopped)
		return;
	if (rs->poll_gen_out != (int) rs->gen)
		poll_send(rs, -1);
	for (int i = 0; i < rs->n; i++)
	{
		Replica    *r = &rs->r[i];

		judge(rs, r, now);
		if (!r->poll_out && db_up(r->db))
			poll_send(rs, i);
	}
}

/* ---------------------------------------------------------------------------
 * reads
 */
static void
call_free(ReadCall *c)
{
	if (c == NULL)
		return;
	free(c->role);
	free(c->sql);
	for (int i = 0; i < c->nparams; i++)
		free(c->params[i]);
	free(c);
}

static ReadCall *
call_new(Replicas *rs, int replica, const char *role, const char *sql, int nparams, const char *const *params,
		 int binary, DbResultCb cb, void *arg)
{
	ReadCall   *c;

	if (nparams > (int) (sizeof c->params / sizeof c->params[0]) || (c = calloc(1, sizeof(ReadCall))) == NULL)
		return NULL;
	c->rs = rs;
	c->replica = replica;
	c->role = role ? strdup(role) : NULL;
	c->sql = strdup(sql);
	c->binary = binary;
	c->cb = cb;
	c->arg = arg;
	if ((role && c->role == NULL) || c->sql == NULL)
	{
		call_free(c);
		return NULL;
	}
	for (; c->nparams < nparams; c->nparams++)
		if (params[c->nparams] && (c->params[c->nparams] = strdup(params[c->nparams])) == NULL)
		{
			call_free(c);
			return NULL;
		}
	return c;
}

/*
 * What a standby could not answer and the primary may: it was behind, its
 * connection went, or it refused for being a standby (a recovery conflict:
 * SQLSTATE class 40; a write: 25006; an operator's shutdown: 57P).
 */
static int
retryable(const PGresult *res, int unavailable)
{
	const char *st;

	if (unavailable == DB_BEHIND || unavailable == 1)
		return 1;
	if (unavailable || res == NULL || PQresultStatus(res) == PGRES_TUPLES_OK ||
		(st = PQresultErrorField(res, PG_DIAG_SQLSTATE)) == NULL)
		return 0;
	return strncmp(st, "40", 2) == 0 || strcmp(st, "25006") == 0 || strncmp(st, "57P", 3) == 0;
}

static void
read_done(PGresult *res, int unavailable, void *arg)
{
	ReadCall   *c = arg;
	Replicas   *rs = c->rs;
	Replica    *r = &rs->r[c->replica];

	if (!rs->stopped && retryable(res, unavailable))
	{
		int			rc;

		r->retried++;
		if (res)
			PQclear(res);
		rc = db_query_as(rs->primary, c->role, 0, c->sql, c->nparams, (const char *const *) c->params, c->binary,
						 c->cb, c->arg);
		if (rc == 0)
			rs->primary_reads++;
		else
			c->cb(NULL, 1, c->arg);
	}
	else
	{
		if (!unavailable)
			r->reads++;
		c->cb(res, unavailable, c->arg);
	}
	call_free(c);
}

/*
 * The standby for a read (NULL: the primary), the least busy of those in
 * rotation that have replayed what it needs (*need); tried: those that
 * refused it already (bits).
 */
static Replica *
pick(Replicas *rs, unsigned tried, uint64_t *need)
{
	Replica    *best = NULL;
	long		best_load = 0;

	if (!db_up(rs->primary))
		/* out of reach: all it had written when last seen (nothing is cached meanwhile) */
		*need = rs->primary_lsn ? rs->primary_lsn : 1;
	else if (!rs->barrier_known || (rs->changes && !changes_trusted(rs->changes)))
		/* changes may go unheard: only the primary is sure to have them */
		return NULL;
	else
		*need = rs->barrier;
	for (int k = 0; k < rs->n; k++)
	{
		int			i = (int) ((rs->next + (unsigned) k) % (unsigned) rs->n);
		Replica    *r = &rs->r[i];
		DbStats		d;
		long		load;

		if ((tried & (1u << i)) || r->state != REPLICA_UP || !db_up(r->db))
			continue;
		if (r->replayed < *need)
		{
			/* behind as last seen: look again now, so that it is back as soon as it has replayed */
			if (!r->poll_out)
				poll_send(rs, i);
			continue;
		}
		db_stats(r->db, &d);
		load = (long) (d.busy + d.queued) * 1024 / (d.size ? d.size : 1);
		if (best == NULL || load < best_load)
		{
			best = r;
			best_load = load;
		}
	}
	if (best)
		rs->next = (unsigned) (best->index + 1);
	return best;
}

int
replica_read(Replicas *rs, const char *role, const char *sql, int nparams, const char *const *params,
			 int binary_result, DbResultCb cb, void *arg)
{
	unsigned	tried = 0;
	Replica    *r;
	uint64_t	need = 0;
	int			rc;

	while (rs->n > 0 && !rs->stopped && (r = pick(rs, tried, &need)) != NULL)
	{
		ReadCall   *c = call_new(rs, r->index, role, sql, nparams, params, binary_result, cb, arg);

		if (c == NULL)
			break;
		if (db_read_after(r->db, role, need, sql, nparams, params, binary_result, read_done, c) == 0)
			return 0;
		call_free(c);
		tried |= 1u << r->index;
	}
	rc = db_query_as(rs->primary, role, 0, sql, nparams, params, binary_result, cb, arg);
	if (rc == 0 && rs->n > 0)
		rs->primary_reads++;
	return rc;
}

void
replica_changed(Replicas *rs, uint64_t lsn)
{
	if (rs == NULL || rs->n == 0)
		return;
	if (lsn == 0)
		replica_reset(rs);
	else
		raise_barrier(rs, lsn);
}

void
replica_reset(Replicas *rs)
{
	if (rs == NULL || rs->n == 0 || rs->stopped)
		return;
	rs->barrier_known = 0;
	rs->gen++;
	poll_send(rs, -1);
}

/* ---------------------------------------------------------------------------
 * the module
 */
Replicas *
replica_create(struct event_base *base, const Conf *conf, Db *primary, const Changes *changes)
{
	Replicas   *rs = calloc(1, sizeof(Replicas));
	struct timeval tick = {0, POLL_MS * 1000};

	if (rs == NULL)
		return NULL;
	rs->primary = primary;
	rs->changes = changes;
	rs->max_lag_s = conf->replica_max_lag_s;
	rs->poll_gen_out = -1;
	if (conf->nreplicas == 0)
		return rs;
	rs->n = conf->nreplicas < REPLICA_MAX ? conf->nreplicas : REPLICA_MAX;
	rs->r = calloc((size_t) rs->n, sizeof(Replica));
	rs->ticker = event_new(base, -1, EV_PERSIST, on_tick, rs);
	if (rs->r == NULL || rs->ticker == NULL)
		goto fail;
	for (int i = 0; i < rs->n; i++)
	{
		Replica    *r = &rs->r[i];

		r->rs = rs;
		r->index = i;
		r->state = REPLICA_DOWN;
		r->why = "connecting";
		if ((r->db = db_create(base, conf->replicas[i], conf->pool, conf->queue, conf->statement_timeout_ms)) == NULL)
			goto fail;
		db_set_standby(r->db, on_replayed, r);
	}
	db_on_commit(primary, on_commit, rs);
	event_add(rs->ticker, &tick);
	poll_send(rs, -1);
	return rs;
fail:
	replica_stop(rs);
	replica_free(rs);
	return NULL;
}

void
replica_stop(Replicas *rs)
{
	if (rs == NULL || rs->stopped)
		return;
	rs->stopped = 1;
	if (rs->ticker)
		event_del(rs->ticker);
	for (int i = 0; i < rs->n; i++)
	{
		db_free(rs->r ? rs->r[i].db : NULL);
		if (rs->r)
			rs->r[i].db = NULL;
	}
}

void
replica_free(Replicas *rs)
{
	if (rs == NULL)
		return;
	if (rs->ticker)
		event_free(rs->ticker);
	free(rs->r);
	free(rs);
}

int
replica_count(const Replicas *rs)
{
	return rs ? rs->n : 0;
}

const char *
replica_state_name(ReplicaState st)
{
	return st == REPLICA_UP ? "up" : st == REPLICA_LAGGING ? "lagging" : "down";
}

void
replica_stats(const Replicas *rs, int i, ReplicaStats *out)
{
	const Replica *r = &rs->r[i];

	memset(out, 0, sizeof(*out));
	out->state = r->state;
	out->why = r->why ? r->why : "";
	out->replayed = r->replayed;
	out->reads = r->reads;
	out->retried = r->retried;
	if (r->replayed && r->replayed < rs->primary_lsn)
		out->lag_bytes = rs->primary_lsn - r->replayed;
	out->lag_s = r->replayed ? lag_seconds(rs, r->replayed, clock_mono_s()) : 0;
}

long long
replica_primary_reads(const Replicas *rs)
{
	return rs ? rs->primary_reads : 0;
}

uint64_t
replica_barrier(const Replicas *rs)
{
	return rs && rs->barrier_known ? rs->barrier : 0;
}
