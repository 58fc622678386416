/*
 * tiles.c - the vector tiles.  A current tile comes from the cache while the
 * change listener is trusted; else it is made by tailings.tile() once for all
 * the requests that wait for it (an Inflight).  Maps of past moments cost
 * more: at most a quarter of the pool makes them at once, the others wait
 * their turn (HISTORY_WAIT_MAX at most, then 503).
 *
 * With --auth token a tile is made as the request's role, and cached,
 * coalesced and revalidated within its scope (auth.c): the cache key and the
 * ETag carry the scope, so a tile of one scope is never the answer, nor the
 * 304, of a request of another; it varies by Authorization, and a member's
 * (a request with a token) is Cache-Control: private.
 *
 * --s-maxage-s N: current tiles other than a member's say "public,
 * max-age=M, s-maxage=N" (M: --max-age-s, default 0), so that a shared cache
 * in front (nginx, docker/nginx.conf) keeps them N seconds and then
 * revalidates them with the ETag, while browsers revalidate after M.
 */
#include "tiles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "http.h"

/*
 * A tile and whether its moment is before the history horizon (then it never
 * changes; NULL for a current tile); prepared once per connection
 * (tiles_prepare).  The CASE: a prepared statement's generic plan would
 * evaluate history_horizon() (it reads pg_stat_activity) for every current
 * tile too, where a plan made with the parameters folded NULL < ... away.
 */
static const char TILE_SQL[] = "SELECT tailings.tile($1::int, $2::int, $3::int, $4::text[], $5::timestamptz),"
	" CASE WHEN $5::timestamptz IS NOT NULL THEN $5::timestamptz < tailings.history_horizon() END";

int
tiles_prepare(void)
{
	return db_prepare_always(TILE_SQL);
}

/* tiles of past moments waiting for their turn, at most */
#define HISTORY_WAIT_MAX 256

/* a tile being fetched, and the requests waiting for it */
struct Inflight
{
	char	   *key;
	unsigned	layers;
	int			z;
	long		x,
				y;
	char		at[48];
	Principal	who;			/* the scope it is made for, as the role of the request that asked first */
	int			stale;			/* a change touched the tile while it was on its way: do not cache it */
	int			waiting;		/* a past moment's tile waiting for its turn (not sent yet) */
	Server	   *server;
	Req		   *waiters;
	struct Inflight *next;
};

/*
 * A tile made for its waiters alone (not cached): the result it came in and
 * an entry that borrows its bytes, freed when the last reply that refers to
 * them has been sent (evbuffer_add_reference: the bytes are not copied).
 */
typedef struct TileBytes
{
	PGresult   *res;
	char	   *key;
	CacheEntry *entry;
	int			refs;
} TileBytes;

static void
tile_bytes_unref(TileBytes *t)
{
	if (--t->refs > 0)
		return;
	cache_entry_free(t->entry);
	PQclear(t->res);
	free(t->key);
	free(t);
}

static void
tile_bytes_sent(const void *data, size_t len, void *arg)
{
	(void) data;
	(void) len;
	tile_bytes_unref(arg);
}

/*
 * reply with a tile: 204 when empty, 304 when the client has it, gzip when
 * accepted (a tile not cached, own: compressed then, once)
 */
static void
reply_tile(Req *r, const CacheEntry *e, TileBytes *own, const char *note)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
	int			gz = http_accepts_gzip(r->req) && (own ? cache_entry_gz(own->entry) : e->gz != NULL);
	const char *etag = gz ? e->etag_gz : e->etag;
	const Conf *conf = r->s->conf;
	int			scoped = conf->auth != CONF_AUTH_NONE;
	/*
	 * A member's tile (a request with a token) is its scope's alone: private.
	 * Without a token (--auth none, or the anonymous role's) every request
	 * gets the same tile, which any cache may share (Vary: Authorization keeps
	 * it from requests with a token).
	 */
	int			member = scoped && evhttp_find_header(evhttp_request_get_input_headers(r->req), "Authorization") != NULL;
	const char *shared = member ? "private" : "public";
	char		cc[80],
				scoped_etag[64];
	struct evbuffer *b;

	if (e->historical)
		snprintf(cc, sizeof cc, "%s, max-age=31536000, immutable", shared);
	else if (!member && conf->s_maxage_s > 0)
		/* a shared cache in front keeps it s-maxage, then revalidates; browsers after max-age */
		snprintf(cc, sizeof cc, "public, max-age=%d, s-maxage=%d", conf->max_age_s, conf->s_maxage_s);
	else if (conf->max_age_s > 0)
		snprintf(cc, sizeof cc, "%s, max-age=%d", shared, conf->max_age_s);
	else
		snprintf(cc, sizeof cc, "%sno-cache", member ? "private, " : "");
	if (scoped)
	{
		/* the scope's tag inside the quotes: "hash[-gz].sXXXXXXXX" */
		snprintf(scoped_etag, sizeof scoped_etag, "%.*s%s\"", (int) strlen(etag) - 1, etag, r->who.etag);
		etag = scoped_etag;
	}
	evhttp_add_header(h, "Cache-Control", cc);
	evhttp_add_header(h, "ETag", etag);
	evhttp_add_header(h, "Vary", scoped ? "Accept-Encoding, Authorization" : "Accept-Encoding");
	if (http_etag_matches(r->req, etag))
	{
		http_reply(r, 304, NULL, NULL, note);
		return;
	}
	if (e->raw_len == 0)
	{
		http_reply(r, 204, NULL, NULL, note);
		return;
	}
	if ((b = http_body(r)) == NULL)
		return;
	if (gz)
		evhttp_add_header(h, "Content-Encoding", "gzip");
	if (own)
	{
		/* the bytes stay with own until this reply is sent */
		own->refs++;
		if (evbuffer_add_reference(b, gz ? e->gz : e->raw, gz ? e->gz_len : e->raw_len, tile_bytes_sent, own) != 0)
		{
			/* not referenced: the cleanup will not run */
			own->refs--;
			evbuffer_free(b);
			http_error(r, 500, "out of memory");
			return;
		}
	}
	else if (gz)
		evbuffer_add(b, e->gz, e->gz_len);
	else
		evbuffer_add(b, e->raw, e->raw_len);
	http_reply(r, 200, "application/vnd.mapbox-vector-tile", b, note);
}

static int
cache_trusted(Server *s)
{
	return changes_trusted(s->changes);
}

/* tiles of ?at= made at once: a quarter of the pool */
static int
history_slots(const Server *s)
{
	return (s->conf->pool + 3) / 4;
}

static void tile_send(Server *s, Inflight *f);
static void history_next(Server *s);
static void inflight_fail(Server *s, Inflight *f, int status, const char *msg);

/* the tile's key in the cache and among the tiles on their way: its scope's, when it has one */
static void
tile_key(const Req *r, const Route *rt, char *key, size_t len)
{
	snprintf(key, len, "%s%s%x/%d/%ld/%ld%s%s", r->who.scope, r->who.scope[0] ? "|" : "", rt->layers, rt->z,
			 rt->x, rt->y, rt->at[0] ? "@" : "", rt->at);
}



static void
inflight_remove(Server *s, Inflight *f)
{
	Inflight  **p = &s->inflight;

	while (*p && *p != f)
		p = &(*p)->next;
	if (*p)
		*p = f->next;
}


/*
 * The tile of the query's one row: cached when it may be (a moment before the
 * history horizon never changes; a current tile only when no change touched
 * it on its way, as its snapshot may predate the change, and the listener is
 * trusted to report the next one), else made for these waiters alone (*own:
 * its bytes stay in res, which it takes).
 */
static const CacheEntry *
tile_entry(Inflight *f, PGresult *res, TileBytes **own)
{
	Server	   *s = f->server;
	const uint8_t *bytes = (const uint8_t *) PQgetvalue(res, 0, 0);
	size_t		len = PQgetisnull(res, 0, 0) ? 0 : (size_t) PQgetlength(res, 0, 0);
	int			historical = PQnfields(res) > 1 && !PQgetisnull(res, 0, 1) &&
		PQgetlength(res, 0, 1) == 1 && PQgetvalue(res, 0, 1)[0] == 1;
	const CacheEntry *e = NULL;
	TileBytes  *t;

	if (historical || (!f->stale && cache_trusted(s)))
		e = cache_put(s->cache, f->key, bytes, len, f->z, f->x, f->y, f->layers, historical);
	if (e != NULL)
		return e;
	if ((t = calloc(1, sizeof(TileBytes))) == NULL)
		return NULL;
	if ((t->entry = cache_entry_borrow(f->key, bytes, len, f->z, f->x, f->y, f->layers, historical)) == NULL)
	{
		free(t);
		return NULL;
	}
	t->res = res;
	t->refs = 1;
	*own = t;
	return t->entry;
}

static void tile_send(Server *s, Inflight *f);
static void history_next(Server *s);
static void inflight_fail(Server *s, Inflight *f, int status, const char *msg);

/* answer every waiter of a tile with it, and forget the tile */
static void
inflight_done(Server *s, Inflight *f, const CacheEntry *e, TileBytes *own)
{
	Req		   *r,
			   *next;

	for (r = f->waiters; r; r = next)
	{
		next = r->next;
		if (r->gone)
			http_req_free(r);
		else
			reply_tile(r, e, own, r == f->waiters ? "miss" : "coalesced");
	}
	inflight_remove(s, f);
	free(f->key);
	free(f);
}

static void
tile_result(PGresult *res, int unavailable, void *arg)
{
	Inflight   *f = arg;
	Server	   *s = f->server;
	const CacheEntry *e = NULL;
	TileBytes  *own = NULL;
	int			history = f->at[0] != '\0';

	if (unavailable || res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
	{
		const char *msg;
		int			status = http_db_status(res, unavailable, 0, &msg);

		if (status == 500)
		{
			msg = "the database could not make the tile";
			fprintf(stderr, "tile %s: %s", f->key, PQresultErrorMessage(res));
		}
		inflight_fail(s, f, status, msg);
	}
	else if ((e = tile_entry(f, res, &own)) == NULL)
		inflight_fail(s, f, 500, "out of memory");
	else
	{
		if (own)
		{
			/* own has the result now, and the key: its entry borrows both */
			res = NULL;
			own->key = f->key;
			f->key = NULL;
		}
		inflight_done(s, f, e, own);
	}
	if (history)
	{
		s->history_running--;
		history_next(s);
	}
	if (own)
		tile_bytes_unref(own);
	if (res)
		PQclear(res);
}

void
tiles_handle(Req *r, const Route *rt)
{
	Server	   *s = r->s;
	char		key[SRV_SCOPE_MAX + 128];
	const CacheEntry *e;
	Inflight   *f;

	tile_key(r, rt, key, sizeof key);
	/*
	 * A cached current tile is served while the listener is trusted; and while
	 * the database is out of reach altogether (nothing can change then, as far
	 * as this server can know: the last map it saw beats a 503; the cache is
	 * dropped when the listener is back).  Not while the database answers and
	 * the listener does not: changes would go unseen.
	 */
	if ((e = cache_get(s->cache, key)) != NULL && (e->historical || cache_trusted(s) || !db_up(s->db)))
	{
		reply_tile(r, e, NULL, "hit");
		return;
	}
	/*
	 * The same tile already on its way: wait for it; not for one a change
	 * touched on its way (it may be older than the change, which this request
	 * came after: a new one is made).
	 */
	for (f = s->inflight; f; f = f->next)
		if (!f->stale && strcmp(f->key, key) == 0)
		{
			r->next = f->waiters;
			f->waiters = r;
			s->m.coalesced++;
			http_watch_close(r);
			return;
		}
	/*
	 * Maps of past moments cost more than current ones (they are rebuilt from
	 * the change log): at most a quarter of the pool makes them at once, the
	 * others wait their turn (HISTORY_WAIT_MAX at most, then 503), so that
	 * requests for many different moments cannot take every connection from
	 * the current map.
	 */
	if (rt->at[0] && s->history_waiting >= HISTORY_WAIT_MAX)
	{
		s->m.history_refused++;
		http_error(r, 503, "too many maps of past moments are waiting: try again in a moment");
		return;
	}
	f = calloc(1, sizeof(Inflight));
	if (f == NULL || (f->key = strdup(key)) == NULL)
	{
		free(f);
		http_error(r, 500, "out of memory");
		return;
	}
	f->layers = rt->layers;
	f->z = rt->z;
	f->x = rt->x;
	f->y = rt->y;
	snprintf(f->at, sizeof f->at, "%s", rt->at);
	f->who = r->who;
	f->waiters = r;
	f->server = s;
	f->next = s->inflight;
	s->inflight = f;
	http_watch_close(r);
	if (f->at[0] && s->history_running >= history_slots(s))
	{
		f->waiting = 1;
		s->history_waiting++;
		return;
	}
	tile_send(s, f);
}

/* answer every waiter of a tile that cannot be made, and forget it */
static void
inflight_fail(Server *s, Inflight *f, int status, const char *msg)
{
	Req		   *r,
			   *next;

	inflight_remove(s, f);
	for (r = f->waiters; r; r = next)
	{
		next = r->next;
		if (r->gone)
			http_req_free(r);
		else
			http_error(r, status, msg);
	}
	free(f->key);
	free(f);
}

/* send the tile's query */
static void
tile_send(Server *s, Inflight *f)
{
	char		zs[8],
				xs[16],
				ys[16],
				layers[256];
	const char *params[5];
	int			rc;

	snprintf(zs, sizeof zs, "%d", f->z);
	snprintf(xs, sizeof xs, "%ld", f->x);
	snprintf(ys, sizeof ys, "%ld", f->y);
	params[0] = zs;
	params[1] = xs;
	params[2] = ys;
	params[3] = NULL;
	if (f->layers != route_all_layers())
	{
		route_layers_array(f->layers, layers, sizeof layers);
		params[3] = layers;
	}
	params[4] = f->at[0] ? f->at : NULL;
	rc = replica_read(s->replicas, f->who.role[0] ? f->who.role : NULL, TILE_SQL, 5, params, 1, tile_result, f);
	if (rc != 0)
	{
		inflight_fail(s, f, 503, rc == -1 ? "too many requests are waiting for the database"
					  : "the database is unreachable");
		return;
	}
	if (f->at[0])
		s->history_running++;
}

/* a tile of a past moment is done: the next waiting one (whose clients are still there) goes */
static void
history_next(Server *s)
{
	while (!s->freeing && s->history_waiting > 0 && s->history_running < history_slots(s))
	{
		Inflight   *f,
				   *oldest = NULL;
		int			alive = 0;

		/* the list is newest first: the last waiting one came first */
		for (f = s->inflight; f; f = f->next)
			if (f->waiting)
				oldest = f;
		if (oldest == NULL)
			break;
		oldest->waiting = 0;
		s->history_waiting--;
		for (Req *r = oldest->waiters; r; r = r->next)
			alive += !r->gone;
		if (!alive)
		{
			inflight_fail(s, oldest, 503, "gone");
			continue;
		}
		tile_send(s, oldest);
	}
}

void
tiles_touched(Server *s, const Box *box, unsigned extra_layers, double margin)
{
	for (Inflight *f = s->inflight; f; f = f->next)
		if (box == NULL ? (f->layers & extra_layers) != 0
			: cache_box_touches_tile(*box, extra_layers, margin, f->z, f->x, f->y, f->layers))
			f->stale = 1;
}

void
tiles_free_all(Server *s)
{
	while (s->inflight)
	{
		Inflight   *f = s->inflight;

		s->inflight = f->next;
		free(f->key);
		free(f);
	}
}
