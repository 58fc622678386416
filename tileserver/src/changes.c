/*
 * changes.c - change notifications confirmed from the change log (see
 * changes.h for why, and for the floor and the pings).
 */
#include "changes.h"

#include "clock.h"
#include "lsn.h"
#include "style.h"
#include "tailings/contract.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include <event2/buffer.h>

/* ids waiting at most; beyond, the server forgets them and drops every current tile */
#define PENDING_MAX 1000000
/* ids confirmed by one query at most */
#define BATCH_MAX 10000
/* ids remembered as applied at most (between two pings); beyond, the set starts afresh */
#define SEEN_MAX (1 << 22)

typedef struct Pending
{
	long long	id;
	uint64_t	floor;			/* the floor when its notification came */
} Pending;

typedef struct Seen
{
	long long	id;				/* 0: empty slot */
	uint64_t	txid;
} Seen;

struct Changes
{
	struct event_base *base;
	Db		   *db;
	char	   *channel;
	ChangeApplyCb apply;
	ChangesResetCb reset;
	void	   *arg;

	int			listening;
	int			trusted;
	uint64_t	floor;

	Pending    *pending;
	int			npending,
				cap_pending;
	Pending    *batch;			/* being confirmed, sorted by id */
	int			nbatch;
	int			confirming;
	struct event *kick;

	Seen	   *seen;
	size_t		nseen,
				cap_seen;

	struct event *ticker;
	char		nonce[33];
	unsigned	ping_gen;
	int			ping_out;		/* a ping is on its way */
	int			ping_heard;
	int			ping_have_xmin;
	uint64_t	ping_xmin;
	double		ping_sent_at;
	double		ping_last;

	ChangesStats st;
};

typedef struct PingCall
{
	Changes    *ch;
	unsigned	gen;
} PingCall;

static int
parse_u64(const char *s, uint64_t *out)
{
	char	   *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = (uint64_t) v;
	return 0;
}

/* ---------------------------------------------------------------------------
 * the set of applied ids
 */
static size_t
seen_slot(const Seen *tab, size_t cap, long long id)
{
	uint64_t	h = (uint64_t) id * 0x9e3779b97f4a7c15ULL;
	size_t		i = (size_t) (h >> 17) & (cap - 1);

	while (tab[i].id != 0 && tab[i].id != id)
		i = (i + 1) & (cap - 1);
	return i;
}

static int
seen_has(const Changes *ch, long long id)
{
	return ch->cap_seen > 0 && ch->seen[seen_slot(ch->seen, ch->cap_seen, id)].id == id;
}

/* rebuild into a table of cap slots, keeping the entries at or above the floor */
static int
seen_rebuild(Changes *ch, size_t cap)
{
	Seen	   *tab = calloc(cap, sizeof(Seen));
	size_t		n = 0;

	if (tab == NULL)
		return -1;
	for (size_t i = 0; i < ch->cap_seen; i++)
		if (ch->seen[i].id != 0 && ch->seen[i].txid >= ch->floor)
		{
			tab[seen_slot(tab, cap, ch->seen[i].id)] = ch->seen[i];
			n++;
		}
	free(ch->seen);
	ch->seen = tab;
	ch->cap_seen = cap;
	ch->nseen = n;
	return 0;
}

static void
seen_add(Changes *ch, long long id, uint64_t txid)
{
	size_t		i;

	if (ch->nseen >= SEEN_MAX)
	{
		/* forget them all: replays of these ids are refused by the floor once a ping is heard */
		free(ch->seen);
		ch->seen = NULL;
		ch->cap_seen = ch->nseen = 0;
	}
	if ((ch->nseen + 1) * 2 > ch->cap_seen &&
		seen_rebuild(ch, ch->cap_seen ? ch->cap_seen * 2 : 1024) != 0)
		return;
	i = seen_slot(ch->seen, ch->cap_seen, id);
	if (ch->seen[i].id == 0)
	{
		ch->seen[i].id = id;
		ch->seen[i].txid = txid;
		ch->nseen++;
	}
}

/* ---------------------------------------------------------------------------
 * confirming ids from the log
 */
static const char SQL_CONFIRM[] =
	"SELECT c.id, c.txid::text, c.bbox[1], c.bbox[2], c.bbox[3], c.bbox[4],"
	" c.table_name, c.op, c.pond_id, c.row_id, to_json(c.changed_at)::text, " LSN_SQL_WAL_END
	" FROM tailings.change_log c WHERE c.id = ANY ($1::bigint[]) ORDER BY c.id";

enum
{
	COL_ID, COL_TXID, COL_XMIN, COL_YMIN, COL_XMAX, COL_YMAX, COL_TABLE, COL_OP, COL_POND, COL_ROW, COL_AT, COL_LSN
};

/* the change event, compact JSON in the notification's order, from the log row; malloc'd, NULL when out of memory */
static char *
change_json(const PGresult *res, int i)
{
	struct evbuffer *b = evbuffer_new();
	const char *at = PQgetvalue(res, i, COL_AT);
	char	   *out = NULL;
	size_t		n;

	if (b == NULL)
		return NULL;
	evbuffer_add_printf(b, "{\"id\":%s,\"table\":", PQgetvalue(res, i, COL_ID));
	style_json_string(b, PQgetvalue(res, i, COL_TABLE));
	evbuffer_add_printf(b, ",\"op\":");
	style_json_string(b, PQgetvalue(res, i, COL_OP));
	evbuffer_add_printf(b, ",\"pond_id\":%s,\"row_id\":%s,\"bbox\":",
						PQgetisnull(res, i, COL_POND) ? "null" : PQgetvalue(res, i, COL_POND),
						PQgetisnull(res, i, COL_ROW) ? "null" : PQgetvalue(res, i, COL_ROW));
	if (PQgetisnull(res, i, COL_XMIN))
		evbuffer_add_printf(b, "null");
	else
		evbuffer_add_printf(b, "[%s,%s,%s,%s]", PQgetvalue(res, i, COL_XMIN), PQgetvalue(res, i, COL_YMIN),
							PQgetvalue(res, i, COL_XMAX), PQgetvalue(res, i, COL_YMAX));
	evbuffer_add_printf(b, ",\"changed_at\":%s}", *at ? at : "null");
	n = evbuffer_get_length(b);
	if ((out = malloc(n + 1)) != NULL)
	{
		evbuffer_copyout(b, out, n);
		out[n] = '\0';
	}
	evbuffer_free(b);
	return out;
}

static void confirm_next(Changes *ch);

static int
pending_cmp(const void *a, const void *b)
{
	long long	x = ((const Pending *) a)->id,
				y = ((const Pending *) b)->id;

	return (x > y) - (x < y);
}

static const Pending *
batch_find(const Changes *ch, long long id)
{
	Pending		key = {id, 0};

	return bsearch(&key, ch->batch, (size_t) ch->nbatch, sizeof(Pending), pending_cmp);
}

static void
confirm_result(PGresult *res, int unavailable, void *arg)
{
	Changes    *ch = arg;
	int			applied = 0;
	Change	   *found = NULL;

	ch->confirming = 0;
	if (unavailable || res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		/* the changes cannot be confirmed: nothing cached can be trusted */
		if (res)
			fprintf(stderr, "tailings-tileserver: confirming changes failed: %s", PQresultErrorMessage(res));
		ch->st.refused += ch->nbatch;
		ch->nbatch = 0;
		if (ch->reset)
			ch->reset(ch->arg);
		goto done;
	}
	found = calloc((size_t) PQntuples(res) + 1, sizeof(Change));
	if (found == NULL)
	{
		ch->st.refused += ch->nbatch;
		ch->nbatch = 0;
		if (ch->reset)
			ch->reset(ch->arg);
		goto done;
	}
	for (int i = 0; i < PQntuples(res); i++)
	{
		long long	id = atoll(PQgetvalue(res, i, COL_ID));
		const Pending *p = batch_find(ch, id);
		uint64_t	txid;
		Change	   *c = &found[applied];

		if (p == NULL || parse_u64(PQgetvalue(res, i, COL_TXID), &txid) != 0)
			continue;
		/* older than the floor when it came: a replay of history, not news */
		if (txid < p->floor || seen_has(ch, id))
			continue;
		if ((c->json = change_json(res, i)) == NULL)
			continue;
		seen_add(ch, id, txid);
		c->id = id;
		/* read after the notification came, so after the commit: a standby past it sees the change */
		if (lsn_parse(PQgetvalue(res, i, COL_LSN), &c->lsn) != 0)
			c->lsn = 0;
		c->pond_id = PQgetisnull(res, i, COL_POND) ? 0 : atoll(PQgetvalue(res, i, COL_POND));
		c->limits = strcmp(PQgetvalue(res, i, COL_TABLE), TL_GW_LIMIT_TABLE) == 0;
		c->has_bbox = !PQgetisnull(res, i, COL_XMIN) && !PQgetisnull(res, i, COL_YMAX);
		if (c->has_bbox)
		{
			c->bbox.xmin = atof(PQgetvalue(res, i, COL_XMIN));
			c->bbox.ymin = atof(PQgetvalue(res, i, COL_YMIN));
			c->bbox.xmax = atof(PQgetvalue(res, i, COL_XMAX));
			c->bbox.ymax = atof(PQgetvalue(res, i, COL_YMAX));
		}
		applied++;
	}
	if (applied > 0)
		ch->apply(found, applied, ch->arg);
	for (int i = 0; i < applied; i++)
		free((char *) found[i].json);
	ch->st.applied += applied;
	ch->st.refused += ch->nbatch - applied;
	ch->nbatch = 0;
done:
	free(found);
	if (res)
		PQclear(res);
	confirm_next(ch);
}

/* send the next batch of pending ids to the log, one query at a time */
static void
confirm_next(Changes *ch)
{
	char	   *list,
			   *p;
	int			n,
				rc;
	const char *params[1];

	if (ch->confirming || ch->npending == 0)
		return;
	n = ch->npending < BATCH_MAX ? ch->npending : BATCH_MAX;
	free(ch->batch);
	ch->batch = malloc(sizeof(Pending) * (size_t) n);
	list = malloc((size_t) n * 21 + 3);
	if (ch->batch == NULL || list == NULL)
	{
		free(list);
		return;
	}
	memcpy(ch->batch, ch->pending, sizeof(Pending) * (size_t) n);
	memmove(ch->pending, ch->pending + n, sizeof(Pending) * (size_t) (ch->npending - n));
	ch->npending -= n;
	qsort(ch->batch, (size_t) n, sizeof(Pending), pending_cmp);
	/* one entry per id: the first notification's floor is the lowest */
	ch->nbatch = 0;
	for (int i = 0; i < n; i++)
		if (ch->nbatch == 0 || ch->batch[ch->nbatch - 1].id != ch->batch[i].id)
			ch->batch[ch->nbatch++] = ch->batch[i];
	p = list;
	*p++ = '{';
	for (int i = 0; i < ch->nbatch; i++)
		p += sprintf(p, "%s%lld", i ? "," : "", ch->batch[i].id);
	*p++ = '}';
	*p = '\0';
	params[0] = list;
	rc = db_query(ch->db, SQL_CONFIRM, 1, params, 0, confirm_result, ch);
	free(list);
	if (rc != 0)
	{
		/* the database is out of reach or swamped: these changes are lost to the cache */
		ch->st.refused += ch->nbatch;
		ch->nbatch = 0;
		if (ch->reset)
			ch->reset(ch->arg);
		return;
	}
	ch->confirming = 1;
}

static void
on_kick(evutil_socket_t fd, short what, void *arg)
{
	(void) fd;
	(void) what;
	confirm_next(arg);
}

/* ---------------------------------------------------------------------------
 * pings
 */
static void
ping_done(Changes *ch)
{
	if (!ch->ping_heard || !ch->ping_have_xmin)
		return;
	if (ch->ping_xmin > ch->floor)
	{
		ch->floor = ch->ping_xmin;
		if (ch->cap_seen > 0)
			seen_rebuild(ch, ch->cap_seen);
	}
	ch->ping_out = 0;
	ch->ping_last = clock_mono_s();
	ch->trusted = ch->listening;
}

static void
ping_result(PGresult *res, int unavailable, void *arg)
{
	PingCall   *call = arg;
	Changes    *ch = call->ch;

	if (call->gen == ch->ping_gen && ch->ping_out)
	{
		if (unavailable || res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
			parse_u64(PQgetvalue(res, 0, 0), &ch->ping_xmin) != 0)
			ch->ping_out = 0;	/* the pool failed, not the listener: try again later */
		else
		{
			ch->ping_have_xmin = 1;
			ping_done(ch);
		}
	}
	if (res)
		PQclear(res);
	free(call);
}

static void
make_nonce(char *out)
{
	unsigned char r[16];
	ssize_t		got = getrandom(r, sizeof r, GRND_NONBLOCK);

	if (got != (ssize_t) sizeof r)
	{
		/* no entropy yet: a nonce that is unique is enough (a forger must guess it in advance) */
		unsigned long long t = (unsigned long long) time(NULL) ^ ((unsigned long long) getpid() << 32);

		memcpy(r, &t, sizeof t);
		t ^= (unsigned long long) clock();
		memcpy(r + 8, &t, sizeof t);
	}
	for (int i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", r[i]);
}

static void
ping_send(Changes *ch)
{
	char		payload[64];
	const char *params[2];
	PingCall   *call = malloc(sizeof(PingCall));

	if (call == NULL)
		return;
	make_nonce(ch->nonce);
	ch->ping_gen++;
	call->ch = ch;
	call->gen = ch->ping_gen;
	snprintf(payload, sizeof payload, "{\"" TL_CHANGE_KEY_PING "\":\"%s\"}", ch->nonce);
	params[0] = ch->channel;
	params[1] = payload;
	ch->ping_out = 1;
	ch->ping_heard = 0;
	ch->ping_have_xmin = 0;
	ch->ping_sent_at = clock_mono_s();
	if (db_query(ch->db, "SELECT pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())::text,"
				 " pg_catalog.pg_notify($1, $2)", 2, params, 0, ping_result, call) != 0)
	{
		ch->ping_out = 0;
		free(call);
		return;
	}
	ch->st.pings_sent++;
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	Changes    *ch = arg;
	double		now = clock_mono_s();

	(void) fd;
	(void) what;
	if (!ch->listening || !db_listening(ch->db))
	{
		/* reconnecting: it is judged again once it listens */
		ch->ping_out = 0;
		return;
	}
	if (ch->ping_out && now - ch->ping_sent_at > CHANGES_PING_TIMEOUT_S)
	{
		fprintf(stderr, "tailings-tileserver: the change listener did not hear its ping in %d s:"
				" not caching, connecting it anew\n", CHANGES_PING_TIMEOUT_S);
		ch->ping_out = 0;
		ch->trusted = 0;
		ch->listening = 0;
		if (ch->reset)
			ch->reset(ch->arg);
		db_listen_restart(ch->db);
		return;
	}
	if (!ch->ping_out && now - ch->ping_last >= CHANGES_PING_S)
		ping_send(ch);
}

/* ---------------------------------------------------------------------------
 * the module
 */
Changes *
changes_create(struct event_base *base, Db *db, const char *channel, ChangeApplyCb apply,
			   ChangesResetCb reset, void *arg)
{
	Changes    *ch = calloc(1, sizeof(Changes));
	struct timeval second = {1, 0};

	if (ch == NULL)
		return NULL;
	ch->base = base;
	ch->db = db;
	ch->apply = apply;
	ch->reset = reset;
	ch->arg = arg;
	ch->channel = strdup(channel);
	ch->kick = event_new(base, -1, 0, on_kick, ch);
	ch->ticker = event_new(base, -1, EV_PERSIST, on_tick, ch);
	if (ch->channel == NULL || ch->kick == NULL || ch->ticker == NULL)
	{
		changes_free(ch);
		return NULL;
	}
	event_add(ch->ticker, &second);
	return ch;
}

void
changes_free(Changes *ch)
{
	if (ch == NULL)
		return;
	if (ch->kick)
		event_free(ch->kick);
	if (ch->ticker)
		event_free(ch->ticker);
	free(ch->channel);
	free(ch->pending);
	free(ch->batch);
	free(ch->seen);
	free(ch);
}

/* the value of "key": in a JSON object, as the text after it (NULL when absent) */
static const char *
json_member(const char *payload, const char *key)
{
	const char *p = strstr(payload, key);

	if (p == NULL)
		return NULL;
	p += strlen(key);
	while (*p == ' ')
		p++;
	if (*p != ':')
		return NULL;
	p++;
	while (*p == ' ')
		p++;
	return p;
}

void
changes_notify(Changes *ch, const char *payload)
{
	const char *v;
	char	   *end;
	long long	id;

	if ((v = json_member(payload, "\"" TL_CHANGE_KEY_PING "\"")) != NULL)
	{
		/* ours only: the nonce outstanding, heard once */
		if (ch->ping_out && !ch->ping_heard && v[0] == '"' && strncmp(v + 1, ch->nonce, 32) == 0 &&
			v[33] == '"')
		{
			ch->ping_heard = 1;
			ch->st.pings_heard++;
			ping_done(ch);
		}
		return;
	}
	ch->st.received++;
	if ((v = json_member(payload, "\"" TL_CHANGE_KEY_ID "\"")) == NULL || *v < '1' || *v > '9')
	{
		ch->st.refused++;
		return;
	}
	errno = 0;
	id = strtoll(v, &end, 10);
	if (errno != 0 || (*end != ',' && *end != '}' && *end != ' '))
	{
		ch->st.refused++;
		return;
	}
	if (!ch->listening)
		return;
	if (ch->npending >= PENDING_MAX)
	{
		/* a flood: forget what waits, trust nothing cached */
		ch->st.refused += ch->npending + 1;
		ch->npending = 0;
		if (ch->reset)
			ch->reset(ch->arg);
		return;
	}
	if (ch->npending == ch->cap_pending)
	{
		int			cap = ch->cap_pending ? ch->cap_pending * 2 : 256;
		Pending    *grown = realloc(ch->pending, sizeof(Pending) * (size_t) cap);

		if (grown == NULL)
			return;
		ch->pending = grown;
		ch->cap_pending = cap;
	}
	ch->pending[ch->npending].id = id;
	ch->pending[ch->npending].floor = ch->floor;
	ch->npending++;
	/* confirmed from the loop, so that a burst of notifications goes in one query */
	if (!ch->confirming)
		event_active(ch->kick, 0, 0);
}

void
changes_listening(Changes *ch, const char *xmin)
{
	uint64_t	v;

	if (parse_u64(xmin, &v) == 0 && v > ch->floor)
		ch->floor = v;
	if (ch->cap_seen > 0)
		seen_rebuild(ch, ch->cap_seen);
	ch->listening = 1;
	ch->trusted = 1;
	ch->ping_out = 0;
	ch->ping_last = clock_mono_s() - CHANGES_PING_S;	/* a first ping at once */
}

int
changes_trusted(const Changes *ch)
{
	return db_listening(ch->db) && ch->listening && ch->trusted;
}

void
changes_stats(const Changes *ch, ChangesStats *out)
{
	*out = ch->st;
	out->trusted = changes_trusted(ch);
	out->pending = ch->npending + ch->nbatch;
}
