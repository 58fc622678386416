/*
 * server.c - request handling of tailings-tileserver on libevent's evhttp.
 *
 * One event loop runs everything: HTTP, the database pool and the change
 * listener.  Every request gets exactly one reply through http_reply(), which
 * also writes the access log line and counts the metrics.
 */
#include "server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "cache.h"
#include "changes.h"
#include "clock.h"
#include "conn.h"
#include "db.h"
#include "events.h"
#include "route.h"
#include "sprite.h"
#include "style.h"
#include "tailings/catalog.h"
#include "tilemath.h"

#define MAX_URI 2048
/* a changed element can change its pond's score: pond tiles this far around are dropped too */
#define POND_MARGIN_DEG 0.05
/* tiles of past moments waiting for their turn, at most */
#define HISTORY_WAIT_MAX 256

typedef enum Endpoint
{
	EP_TILE,
	EP_TILEJSON,
	EP_STYLE,
	EP_SPRITE,
	EP_GLYPHS,
	EP_PONDS,
	EP_POND,
	EP_COMPLETENESS,
	EP_GEOJSON,
	EP_SHEET,
	EP_HEALTH,
	EP_METRICS,
	EP_EVENTS,
	EP_CATALOG,
	EP_HISTORY,
	EP_COMPARE,
	EP_STATIC,
	EP_OTHER,
	EP_COUNT
} Endpoint;

static const char *const endpoint_names[EP_COUNT] = {
	"tile", "tilejson", "style", "sprite", "glyphs", "ponds", "pond", "completeness",
	"geojson", "sheet", "health", "metrics", "events", "catalog", "history", "compare", "static", "other"
};

static const int tracked_status[] = {200, 204, 304, 400, 404, 405, 414, 500, 503, 504};
#define NSTATUS (sizeof(tracked_status) / sizeof(tracked_status[0]))

static const double latency_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
#define NBUCKETS (sizeof(latency_buckets) / sizeof(latency_buckets[0]))

typedef struct Req Req;

/* a tile being fetched, and the requests waiting for it */
typedef struct Inflight
{
	char	   *key;
	unsigned	layers;
	int			z;
	long		x,
				y;
	char		at[48];
	int			stale;			/* a change touched the tile while it was on its way: do not cache it */
	int			waiting;		/* a past moment's tile waiting for its turn (not sent yet) */
	Server	   *server;
	Req		   *waiters;
	struct Inflight *next;
} Inflight;

struct Req
{
	Server	   *s;
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	struct timespec start;
	Endpoint	ep;
	int			gone;			/* the client went away while waiting */
	Req		   *next;			/* among an Inflight's waiters */
	long long	pond_id;
};

typedef struct Metrics
{
	long long	requests[EP_COUNT][NSTATUS + 1];	/* last: other statuses */
	long long	tile_buckets[NBUCKETS + 1];
	double		tile_seconds;
	long long	tile_count;
	long long	coalesced;
	long long	history_refused;	/* ?at= tiles refused: too many on their way */
	double		changes_seconds;	/* spent dropping tiles and telling viewers of confirmed changes */
	long long	changes_batches;
} Metrics;

struct Server
{
	const Conf *conf;
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	Db		   *db;
	Cache	   *cache;
	Changes    *changes;
	Events	   *events;
	Conns	   *conns;
	Inflight   *inflight;
	int			history_running;	/* ?at= tiles sent to the database */
	int			history_waiting;	/* ?at= tiles waiting for their turn */
	int			freeing;		/* server_free() is under way: send nothing new */
	Metrics		m;
	int			active;			/* requests not yet answered */
	int			shutting_down;
	struct event *drain;
	time_t		started;
	uint8_t    *sprite[2];
	size_t		sprite_len[2];
};

/* ---------------------------------------------------------------------------
 * replies
 */
static double
seconds_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double) (now.tv_sec - t0->tv_sec) + (double) (now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void
count(Server *s, Endpoint ep, int status)
{
	size_t		i;

	for (i = 0; i < NSTATUS; i++)
		if (tracked_status[i] == status)
			break;
	s->m.requests[ep][i]++;
}

static const char *
method_name(enum evhttp_cmd_type cmd)
{
	switch (cmd)
	{
		case EVHTTP_REQ_GET:
			return "GET";
		case EVHTTP_REQ_HEAD:
			return "HEAD";
		case EVHTTP_REQ_OPTIONS:
			return "OPTIONS";
		case EVHTTP_REQ_POST:
			return "POST";
		case EVHTTP_REQ_PUT:
			return "PUT";
		case EVHTTP_REQ_DELETE:
			return "DELETE";
		case EVHTTP_REQ_PATCH:
			return "PATCH";
		default:
			return "OTHER";
	}
}

static void
access_log(Req *r, int status, size_t bytes, double secs, const char *note)
{
	char	   *peer = NULL;
	ev_uint16_t port = 0;
	char		when[32];
	time_t		now = time(NULL);
	struct tm	tm;

	if (!r->s->conf->access_log)
		return;
	if (r->evcon)
		evhttp_connection_get_peer(r->evcon, &peer, &port);
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s %s \"%s %s\" %d %zu %.1fms%s%s\n", when, peer ? peer : "-",
		   method_name(evhttp_request_get_command(r->req)),
		   evhttp_request_get_uri(r->req), status, bytes, secs * 1000, note ? " " : "", note ? note : "");
	fflush(stdout);
}

static void
req_free(Req *r)
{
	Server	   *s = r->s;

	s->active--;
	free(r);
}

/* the headers of every answer */
static void
common_headers(Req *r, const char *ctype)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);

	if (ctype)
		evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Access-Control-Allow-Origin", r->s->conf->cors_origin);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	if (r->s->shutting_down)
		evhttp_add_header(h, "Connection", "close");
	if (r->evcon)
		evhttp_connection_set_closecb(r->evcon, NULL, NULL);
}

static int	accepts_gzip(struct evhttp_request *req);

/* a body of this content type made per request, worth compressing: JSON */
static int
compressible(const char *ctype)
{
	return strncmp(ctype, "application/json", 16) == 0 || strncmp(ctype, "application/geo+json", 20) == 0;
}

/* The one way out for every request.  body may be NULL; it is consumed. */
static void
http_reply(Req *r, int status, const char *ctype, struct evbuffer *body, const char *note)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
	double		secs = seconds_since(&r->start);
	size_t		bytes = body ? evbuffer_get_length(body) : 0;

	common_headers(r, ctype);
	if (status == 200 && body && ctype && compressible(ctype))
	{
		/* JSON made per request (the style, the API) is gzipped when the client accepts it */
		evhttp_add_header(h, "Vary", "Accept-Encoding");
		if (bytes >= 1024 && accepts_gzip(r->req) && evhttp_find_header(h, "Content-Encoding") == NULL)
		{
			size_t		zlen;
			uint8_t    *z = cache_gzip(evbuffer_pullup(body, -1), bytes, &zlen);

			if (z != NULL)
			{
				evbuffer_drain(body, bytes);
				evbuffer_add(body, z, zlen);
				free(z);
				bytes = zlen;
				evhttp_add_header(h, "Content-Encoding", "gzip");
			}
		}
	}
	if (body && evhttp_request_get_command(r->req) == EVHTTP_REQ_HEAD)
	{
		/* HEAD: the headers a GET would have, no body (libevent would send it) */
		char		len[24];

		snprintf(len, sizeof len, "%zu", bytes);
		evhttp_add_header(h, "Content-Length", len);
		evbuffer_free(body);
		body = NULL;
	}
	evhttp_send_reply(r->req, status, NULL, body);
	if (body)
		evbuffer_free(body);
	count(r->s, r->ep, status);
	if (r->ep == EP_TILE)
	{
		size_t		b = 0;

		while (b < NBUCKETS && secs > latency_buckets[b])
			b++;
		r->s->m.tile_buckets[b]++;
		r->s->m.tile_seconds += secs;
		r->s->m.tile_count++;
	}
	access_log(r, status, bytes, secs, note);
	req_free(r);
}

static void
http_error(Req *r, int status, const char *message)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add_printf(b, "{\"error\":\"");
	for (const char *p = message; *p; p++)
	{
		if (*p == '"' || *p == '\\')
			evbuffer_add_printf(b, "\\%c", *p);
		else if ((unsigned char) *p >= 0x20)
			evbuffer_add(b, p, 1);
	}
	evbuffer_add_printf(b, "\",\"status\":%d}\n", status);
	if (status == 503)
		evhttp_add_header(evhttp_request_get_output_headers(r->req), "Retry-After", "1");
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Cache-Control", "no-store");
	http_reply(r, status, "application/json", b, NULL);
}

static int
accepts_gzip(struct evhttp_request *req)
{
	const char *ae = evhttp_find_header(evhttp_request_get_input_headers(req), "Accept-Encoding");
	const char *g;

	if (ae == NULL || (g = strstr(ae, "gzip")) == NULL)
		return 0;
	/* "gzip;q=0" refuses it */
	g += 4;
	while (*g == ' ')
		g++;
	if (strncmp(g, ";q=0", 4) == 0 && (g[4] == '\0' || g[4] == ',' || (g[4] == '.' && strspn(g + 5, "0") && (g[5 + strspn(g + 5, "0")] == '\0' || g[5 + strspn(g + 5, "0")] == ','))))
		return 0;
	return 1;
}

/* If-None-Match names this ETag (or is *) */
static int
etag_matches(struct evhttp_request *req, const char *etag)
{
	const char *inm = evhttp_find_header(evhttp_request_get_input_headers(req), "If-None-Match");

	if (inm == NULL)
		return 0;
	if (strcmp(inm, "*") == 0)
		return 1;
	return strstr(inm, etag) != NULL;
}

/* reply with a tile: 204 when empty, 304 when the client has it, gzip when accepted */
static void
reply_tile(Req *r, const CacheEntry *e, const char *note)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
	int			gz = e->gz != NULL && accepts_gzip(r->req);
	const char *etag = gz ? e->etag_gz : e->etag;
	char		cc[64];
	struct evbuffer *b;

	if (e->historical)
		snprintf(cc, sizeof cc, "public, max-age=31536000, immutable");
	else if (r->s->conf->max_age_s > 0)
		snprintf(cc, sizeof cc, "public, max-age=%d", r->s->conf->max_age_s);
	else
		snprintf(cc, sizeof cc, "no-cache");
	evhttp_add_header(h, "Cache-Control", cc);
	evhttp_add_header(h, "ETag", etag);
	evhttp_add_header(h, "Vary", "Accept-Encoding");
	if (etag_matches(r->req, etag))
	{
		http_reply(r, 304, NULL, NULL, note);
		return;
	}
	if (e->raw_len == 0)
	{
		http_reply(r, 204, NULL, NULL, note);
		return;
	}
	b = evbuffer_new();
	if (gz)
	{
		evhttp_add_header(h, "Content-Encoding", "gzip");
		evbuffer_add(b, e->gz, e->gz_len);
	}
	else
		evbuffer_add(b, e->raw, e->raw_len);
	http_reply(r, 200, "application/vnd.mapbox-vector-tile", b, note);
}

/* ---------------------------------------------------------------------------
 * tiles
 */

/* current tiles may be cached and served from the cache: the listener hears every change */
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

static void
tile_key(const Route *rt, char *key, size_t len)
{
	snprintf(key, len, "%x/%d/%ld/%ld%s%s", rt->layers, rt->z, rt->x, rt->y, rt->at[0] ? "@" : "", rt->at);
}

static void
on_connection_close(struct evhttp_connection *evcon, void *arg)
{
	Req		   *r = arg;

	(void) evcon;
	r->gone = 1;
	r->evcon = NULL;
}

static int
sqlstate_is(const PGresult *res, const char *code)
{
	const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return st && strcmp(st, code) == 0;
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

static void
tile_result(PGresult *res, int unavailable, void *arg)
{
	Inflight   *f = arg;
	Server	   *s = f->server;
	Req		   *r,
			   *next;
	int			status = 0;
	const char *msg = NULL;
	const CacheEntry *e = NULL;
	CacheEntry *own = NULL;
	int			history = f->at[0] != '\0';

	if (unavailable == DB_TIMED_OUT)
	{
		status = 504;
		msg = "the database did not answer in time";
	}
	else if (unavailable || res == NULL)
	{
		status = 503;
		msg = "the database is unreachable";
	}
	else if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
	{
		if (sqlstate_is(res, "22023") || sqlstate_is(res, "22007") || sqlstate_is(res, "22008") ||
			sqlstate_is(res, "22009"))
		{
			status = 400;
			msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		}
		else if (sqlstate_is(res, "57014"))
		{
			status = 504;
			msg = "the tile took longer than the statement timeout";
		}
		else
		{
			status = 500;
			msg = "the database could not make the tile";
			fprintf(stderr, "tile %s: %s", f->key, PQresultErrorMessage(res));
		}
	}
	else
	{
		const uint8_t *bytes = (const uint8_t *) PQgetvalue(res, 0, 0);
		size_t		len = PQgetisnull(res, 0, 0) ? 0 : (size_t) PQgetlength(res, 0, 0);
		/* a moment before the history horizon: that map never changes */
		int			historical = PQnfields(res) > 1 && !PQgetisnull(res, 0, 1) &&
			PQgetlength(res, 0, 1) == 1 && PQgetvalue(res, 0, 1)[0] == 1;

		/*
		 * A current tile is kept only when no change touched it while it was
		 * on its way (its snapshot may predate the change) and the listener
		 * is trusted to report the next one.
		 */
		if (historical || (!f->stale && cache_trusted(s)))
			e = cache_put(s->cache, f->key, bytes, len, f->z, f->x, f->y, f->layers, historical);
		if (e == NULL)
			e = own = cache_entry_make(f->key, bytes, len, f->z, f->x, f->y, f->layers, historical);
		if (e == NULL)
		{
			status = 500;
			msg = "out of memory";
		}
	}
	if (e == NULL)
		inflight_fail(s, f, status, msg ? msg : "error");
	else
	{
		for (r = f->waiters; r; r = next)
		{
			next = r->next;
			if (r->gone)
				req_free(r);
			else
				reply_tile(r, e, r == f->waiters ? "miss" : "coalesced");
		}
		inflight_remove(s, f);
		free(f->key);
		free(f);
	}
	if (history)
	{
		s->history_running--;
		history_next(s);
	}
	cache_entry_free(own);
	if (res)
		PQclear(res);
}

static void
handle_tile(Req *r, const Route *rt)
{
	Server	   *s = r->s;
	char		key[128];
	const CacheEntry *e;
	Inflight   *f;

	tile_key(rt, key, sizeof key);
	/*
	 * A cached current tile is served while the listener is trusted; and while
	 * the database is out of reach altogether (nothing can change then, as far
	 * as this server can know: the last map it saw beats a 503; the cache is
	 * dropped when the listener is back).  Not while the database answers and
	 * the listener does not: changes would go unseen.
	 */
	if ((e = cache_get(s->cache, key)) != NULL && (e->historical || cache_trusted(s) || !db_up(s->db)))
	{
		reply_tile(r, e, "hit");
		return;
	}
	/* the same tile already on its way: wait for it */
	for (f = s->inflight; f; f = f->next)
		if (strcmp(f->key, key) == 0)
		{
			r->next = f->waiters;
			f->waiters = r;
			s->m.coalesced++;
			evhttp_connection_set_closecb(r->evcon, on_connection_close, r);
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
	f->waiters = r;
	f->server = s;
	f->next = s->inflight;
	s->inflight = f;
	evhttp_connection_set_closecb(r->evcon, on_connection_close, r);
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
			req_free(r);
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
	route_layers_array(f->layers, layers, sizeof layers);
	params[0] = zs;
	params[1] = xs;
	params[2] = ys;
	params[3] = f->layers == route_all_layers() ? NULL : layers;
	params[4] = f->at[0] ? f->at : NULL;
	rc = db_query(s->db, "SELECT tailings.tile($1::int, $2::int, $3::int, $4::text[], $5::timestamptz),"
				  " $5::timestamptz < tailings.history_horizon()", 5, params, 1, tile_result, f);
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

/* ---------------------------------------------------------------------------
 * JSON API and TileJSON: one query each, answered from the first column
 */
typedef void (*JsonDone) (Req *r, PGresult *res);

typedef struct JsonCall
{
	Req		   *r;
	JsonDone	done;
	unsigned	layers;			/* TileJSON */
} JsonCall;

static void
json_result(PGresult *res, int unavailable, void *arg)
{
	JsonCall   *c = arg;
	Req		   *r = c->r;

	if (r->gone)
		req_free(r);
	else if (unavailable == DB_TIMED_OUT)
		http_error(r, 504, "the database did not answer in time");
	else if (unavailable || res == NULL)
		http_error(r, 503, "the database is unreachable");
	else if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		if (sqlstate_is(res, "P0002"))
			http_error(r, 404, "no such pond");
		else if (sqlstate_is(res, "22023") || sqlstate_is(res, "22007") || sqlstate_is(res, "22008") ||
				 sqlstate_is(res, "22009"))
			http_error(r, 400, PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
		else if (sqlstate_is(res, "57014"))
			http_error(r, 504, "the query took longer than the statement timeout");
		else
		{
			fprintf(stderr, "%s: %s", evhttp_request_get_uri(r->req), PQresultErrorMessage(res));
			http_error(r, 500, "database error");
		}
	}
	else
		c->done(r, res);
	if (res)
		PQclear(res);
	free(c);
}

static void
json_query(Req *r, const char *sql, int nparams, const char *const *params, JsonDone done, unsigned layers)
{
	JsonCall   *c = calloc(1, sizeof(JsonCall));
	int			rc;

	if (c == NULL)
	{
		http_error(r, 500, "out of memory");
		return;
	}
	c->r = r;
	c->done = done;
	c->layers = layers;
	rc = db_query(r->s->db, sql, nparams, params, 0, json_result, c);
	if (rc != 0)
	{
		free(c);
		http_error(r, 503, rc == -1 ? "too many requests are waiting for the database"
				   : "the database is unreachable");
		return;
	}
	evhttp_connection_set_closecb(r->evcon, on_connection_close, r);
}

/* the first column of the one row as the body, of that content type; no row or NULL: 404 */
static void
json_first_value(Req *r, PGresult *res, const char *content_type)
{
	struct evbuffer *b;

	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
	{
		http_error(r, 404, "no such pond");
		return;
	}
	b = evbuffer_new();
	evbuffer_add(b, PQgetvalue(res, 0, 0), (size_t) PQgetlength(res, 0, 0));
	evbuffer_add(b, "\n", 1);
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Cache-Control", "no-cache");
	http_reply(r, 200, content_type, b, NULL);
}

static void
json_body_done(Req *r, PGresult *res)
{
	json_first_value(r, res, "application/json; charset=utf-8");
}

static const char SQL_PONDS[] =
	"SELECT coalesce(json_agg(json_build_object("
	" 'id', p.id, 'code', p.code, 'name', p.name, 'enterprise', p.enterprise, 'county_code', p.county_code,"
	" 'level', p.supervision_level, 'status', p.status, 'score', o.score, 'rules', o.rules,"
	" 'errors_failed', o.errors_failed, 'warnings_failed', o.warnings_failed, 'elements', o.elements,"
	" 'lon', round(ST_X(p.location)::numeric, 6), 'lat', round(ST_Y(p.location)::numeric, 6))"
	" ORDER BY p.code), '[]')::text"
	" FROM tailings.pond p JOIN tailings.pond_overview o USING (id)";

/*
 * ?lang= sets tailings.language for this statement only (is_local: its
 * implicit transaction); the CTE is read before any row is built.
 */
#define SQL_LANG "WITH lang AS MATERIALIZED (SELECT set_config('tailings.language'," \
	" coalesce($2, current_setting('tailings.language')), true)) "

static const char SQL_POND[] =
	SQL_LANG "SELECT json_build_object("
	" 'id', p.id, 'code', p.code, 'name', p.name, 'enterprise', p.enterprise, 'county_code', p.county_code,"
	" 'level', p.supervision_level, 'status', p.status, 'gw_flow_azimuth', p.gw_flow_azimuth,"
	" 'lon', round(ST_X(p.location)::numeric, 6), 'lat', round(ST_Y(p.location)::numeric, 6),"
	" 'attrs', p.attrs, 'score', tailings.completeness(p.id),"
	" 'elements', (SELECT coalesce(json_object_agg(c.category, c.items ORDER BY c.category), '{}')"
	"   FROM (SELECT tailings.category(e.kind) AS category, json_agg(json_build_object("
	"     'id', e.id, 'kind', e.kind, 'label', tailings.label(e.kind), 'name', e.name, 'source', e.source,"
	"     'accuracy_m', e.accuracy_m, 'surveyed_on', e.surveyed_on, 'verified_on', e.verified_on,"
	"     'attrs', e.attrs, 'geometry_type', GeometryType(e.geom),"
	"     'lon', round(ST_X(ST_PointOnSurface(e.geom))::numeric, 6),"
	"     'lat', round(ST_Y(ST_PointOnSurface(e.geom))::numeric, 6)) ORDER BY e.kind, e.id) AS items"
	"   FROM tailings.element e WHERE e.pond_id = p.id GROUP BY 1) c),"
	" 'completeness', (SELECT json_agg(c) FROM tailings.check_completeness(p.id) c),"
	" 'recent_changes', (SELECT coalesce(json_agg(json_build_object('id', l.id, 'changed_at', l.changed_at,"
	"     'actor', l.actor, 'session_role', l.session_role, 'table', l.table_name, 'row_id', l.row_id, 'op', l.op, 'changed', l.changed,"
	"     'moved_m', round(l.moved_m::numeric, 2), 'kind', k.kind, 'label', tailings.label(k.kind), 'name', k.name)"
	"     ORDER BY l.id DESC), '[]')"
	"   FROM (SELECT * FROM tailings.change_log WHERE pond_id = p.id ORDER BY id DESC LIMIT 20) l,"
	"     LATERAL (SELECT CASE WHEN l.table_name = 'tailings.element'"
	"                     THEN (coalesce(l.new_row, l.old_row)->>'kind')::tailings.element_kind END AS kind,"
	"                     coalesce(l.new_row, l.old_row)->>'name' AS name) k)"
	")::text FROM lang, tailings.pond p WHERE p.id = $1::bigint";

static const char SQL_HISTORY[] =
	"SELECT json_build_object('start', tailings.history_start(), 'now', now())::text";

/* $1 pond id or NULL, $2 lang, $3 from, $4 to: a GeoJSON FeatureCollection of the differences */
#define SQL_POINT_OF(g) "CASE WHEN " g " IS NOT NULL THEN json_build_array(" \
	"round(ST_X(ST_PointOnSurface(" g "))::numeric, 6), round(ST_Y(ST_PointOnSurface(" g "))::numeric, 6)) END"
static const char SQL_COMPARE[] =
	SQL_LANG "SELECT json_build_object('type', 'FeatureCollection',"
	" 'from', $3::timestamptz, 'to', $4::timestamptz, 'history_start', tailings.history_start(),"
	" 'features', coalesce(json_agg(json_build_object('type', 'Feature', 'id', c.id,"
	"   'geometry', ST_AsGeoJSON(coalesce(c.new_geom, c.old_geom), 6, 0)::json,"
	"   'properties', json_build_object('change', c.change, 'pond_id', c.pond_id, 'pond_name', p.name,"
	"     'kind', c.kind, 'label', tailings.label(c.kind), 'name', c.name,"
	"     'moved_m', round(c.moved_m::numeric, 2),"
	"     'old_point', " SQL_POINT_OF("c.old_geom") ", 'new_point', " SQL_POINT_OF("c.new_geom") "))"
	"   ORDER BY c.id), '[]'))::text"
	" FROM lang CROSS JOIN tailings.compare($3::timestamptz, $4::timestamptz, $1::bigint) c"
	" LEFT JOIN tailings.pond p ON p.id = c.pond_id";

static const char SQL_COMPLETENESS[] =
	SQL_LANG "SELECT (SELECT coalesce(json_agg(c), '[]') FROM tailings.check_completeness($1::bigint) c)::text FROM lang";

static const char SQL_BOUNDS[] =
	"SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)"
	" FROM (SELECT ST_Extent(location) AS b FROM tailings.pond) s";

/*
 * scheme://host of absolute URLs: --public-url when set; else the Host the
 * request was sent to (on_request let only the listen address and the
 * --server-name names through); else the listen address.  X-Forwarded-Proto
 * is not read: behind a TLS proxy, set --public-url.
 */
static void
base_url(Req *r, char *buf, size_t len)
{
	const Conf *conf = r->s->conf;
	const char *host = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Host");

	if (conf->public_url)
		snprintf(buf, len, "%s", conf->public_url);
	else if (host != NULL && *host && strlen(host) < 200 && conf_check_host_name(host) == 0)
		snprintf(buf, len, "http://%s", host);
	else if (strchr(conf->listen_host, ':'))
		snprintf(buf, len, "http://[%s]:%d", conf->listen_host, conf->listen_port);
	else
		snprintf(buf, len, "http://%s:%d", conf->listen_host, conf->listen_port);
}

static void
tilejson_done(Req *r, PGresult *res)
{
	struct evbuffer *b = evbuffer_new();
	char		url[256];
	Box			bounds;
	int			have = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0);

	if (have)
	{
		bounds.xmin = atof(PQgetvalue(res, 0, 0));
		bounds.ymin = atof(PQgetvalue(res, 0, 1));
		bounds.xmax = atof(PQgetvalue(res, 0, 2));
		bounds.ymax = atof(PQgetvalue(res, 0, 3));
	}
	base_url(r, url, sizeof url);
	/* the layers were parsed into the route; they travel in pond_id's place */
	style_tilejson(b, url, (unsigned) r->pond_id, have ? &bounds : NULL);
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Cache-Control", "no-cache");
	http_reply(r, 200, "application/json; charset=utf-8", b, NULL);
}

/* ---------------------------------------------------------------------------
 * health and metrics
 */
static void
handle_health(Req *r)
{
	Server	   *s = r->s;
	DbStats		d;
	CacheStats	c;
	ChangesStats ch;
	int			up = db_up(s->db);
	int			trusted;
	struct evbuffer *b = evbuffer_new();
	EventsStats es;

	db_stats(s->db, &d);
	cache_stats(s->cache, &c);
	events_stats(s->events, &es);
	changes_stats(s->changes, &ch);
	trusted = ch.trusted;
	/*
	 * degraded: the database answers but the change listener is down or deaf,
	 * so the server serves fresh tiles only, uncached
	 */
	evbuffer_add_printf(b, "{\"status\":\"%s\",\"database\":{\"up\":%s,\"pool\":%d,\"idle\":%d,\"busy\":%d,"
						"\"queued\":%d,\"listening\":%s,\"reconnects\":%lld,\"timeouts\":%lld},"
						"\"changes\":{\"trusted\":%s,\"applied\":%lld,\"refused\":%lld,\"pending\":%d,"
						"\"pings_sent\":%lld,\"pings_heard\":%lld},"
						"\"cache\":{\"entries\":%lld,\"bytes\":%zu,\"capacity\":%zu},\"event_streams\":%d,\"uptime_s\":%lld}\n",
						!up ? "unavailable" : trusted ? "ok" : "degraded", up ? "true" : "false", d.size, d.idle,
						d.busy, d.queued, d.listening ? "true" : "false", d.reconnects, d.timeouts,
						trusted ? "true" : "false", ch.applied, ch.refused, ch.pending, ch.pings_sent,
						ch.pings_heard, c.entries, c.bytes, c.capacity, es.clients,
						(long long) (time(NULL) - s->started));
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Cache-Control", "no-store");
	if (!up || !trusted)
		evhttp_add_header(evhttp_request_get_output_headers(r->req), "Retry-After", "1");
	http_reply(r, up && trusted ? 200 : 503, "application/json", b, NULL);
}

/* the connection limits' counters, after the others */
static void
metrics_connections(Server *s, struct evbuffer *b)
{
	ConnStats	cs;
	EventsStats es;

	conn_stats(s->conns, &cs);
	events_stats(s->events, &es);
	evbuffer_add_printf(b,
						"# TYPE tailings_connections gauge\ntailings_connections %d\n"
						"# TYPE tailings_connections_max gauge\ntailings_connections_max %d\n"
						"# TYPE tailings_connections_accepted_total counter\ntailings_connections_accepted_total %lld\n"
						"# TYPE tailings_connections_refused_total counter\n"
						"tailings_connections_refused_total{reason=\"per_ip\"} %lld\n"
						"tailings_connections_refused_total{reason=\"header_timeout\"} %lld\n"
						"tailings_connections_refused_total{reason=\"evicted\"} %lld\n"
						"# TYPE tailings_connections_paused_total counter\ntailings_connections_paused_total %lld\n"
						"# TYPE tailings_accept_errors_total counter\ntailings_accept_errors_total %lld\n"
						"# TYPE tailings_event_streams_refused_per_ip_total counter\n"
						"tailings_event_streams_refused_per_ip_total %lld\n",
						cs.open, cs.max_conns, cs.accepted, cs.refused_per_ip, cs.header_timeouts, cs.evicted, cs.paused,
						cs.accept_errors, es.refused_per_ip);
}

static void
handle_metrics(Req *r)
{
	Server	   *s = r->s;
	DbStats		d;
	CacheStats	c;
	struct evbuffer *b = evbuffer_new();
	long long	cum = 0;
	EventsStats es;

	db_stats(s->db, &d);
	cache_stats(s->cache, &c);
	events_stats(s->events, &es);
	evbuffer_add_printf(b, "# HELP tailings_http_requests_total HTTP requests by endpoint and status.\n"
						"# TYPE tailings_http_requests_total counter\n");
	for (int e = 0; e < EP_COUNT; e++)
		for (size_t i = 0; i <= NSTATUS; i++)
			if (s->m.requests[e][i])
			{
				if (i < NSTATUS)
					evbuffer_add_printf(b, "tailings_http_requests_total{endpoint=\"%s\",status=\"%d\"} %lld\n",
										endpoint_names[e], tracked_status[i], s->m.requests[e][i]);
				else
					evbuffer_add_printf(b, "tailings_http_requests_total{endpoint=\"%s\",status=\"other\"} %lld\n",
										endpoint_names[e], s->m.requests[e][i]);
			}
	evbuffer_add_printf(b, "# HELP tailings_tile_seconds Time to answer a tile request.\n"
						"# TYPE tailings_tile_seconds histogram\n");
	for (size_t i = 0; i < NBUCKETS; i++)
	{
		cum += s->m.tile_buckets[i];
		evbuffer_add_printf(b, "tailings_tile_seconds_bucket{le=\"%g\"} %lld\n", latency_buckets[i], cum);
	}
	cum += s->m.tile_buckets[NBUCKETS];
	evbuffer_add_printf(b, "tailings_tile_seconds_bucket{le=\"+Inf\"} %lld\n"
						"tailings_tile_seconds_sum %.6f\ntailings_tile_seconds_count %lld\n",
						cum, s->m.tile_seconds, s->m.tile_count);
	evbuffer_add_printf(b,
						"# TYPE tailings_cache_hits_total counter\ntailings_cache_hits_total %lld\n"
						"# TYPE tailings_cache_misses_total counter\ntailings_cache_misses_total %lld\n"
						"# TYPE tailings_cache_evictions_total counter\ntailings_cache_evictions_total %lld\n"
						"# TYPE tailings_cache_invalidations_total counter\ntailings_cache_invalidations_total %lld\n"
						"# TYPE tailings_cache_entries gauge\ntailings_cache_entries %lld\n"
						"# TYPE tailings_cache_bytes gauge\ntailings_cache_bytes %zu\n"
						"# TYPE tailings_cache_capacity_bytes gauge\ntailings_cache_capacity_bytes %zu\n"
						"# TYPE tailings_tile_coalesced_total counter\ntailings_tile_coalesced_total %lld\n"
						"# TYPE tailings_db_pool_connections gauge\ntailings_db_pool_connections %d\n"
						"# TYPE tailings_db_pool_busy gauge\ntailings_db_pool_busy %d\n"
						"# TYPE tailings_db_pool_idle gauge\ntailings_db_pool_idle %d\n"
						"# TYPE tailings_db_queue_waiting gauge\ntailings_db_queue_waiting %d\n"
						"# TYPE tailings_db_queue_rejected_total counter\ntailings_db_queue_rejected_total %lld\n"
						"# TYPE tailings_db_queries_total counter\ntailings_db_queries_total %lld\n"
						"# TYPE tailings_db_reconnects_total counter\ntailings_db_reconnects_total %lld\n"
						"# TYPE tailings_db_up gauge\ntailings_db_up %d\n"
						"# TYPE tailings_notifications_total counter\ntailings_notifications_total %lld\n"
						"# TYPE tailings_event_streams gauge\ntailings_event_streams %d\n"
						"# TYPE tailings_events_sent_total counter\ntailings_events_sent_total %lld\n"
						"# TYPE tailings_event_streams_dropped_total counter\ntailings_event_streams_dropped_total %lld\n",
						c.hits, c.misses, c.evictions, c.invalidations, c.entries, c.bytes, c.capacity,
						s->m.coalesced, d.size, d.busy, d.idle, d.queued, d.rejected, d.queries, d.reconnects,
						db_up(s->db), d.notifications, es.clients, es.sent, es.dropped);
	{
		ChangesStats ch;

		changes_stats(s->changes, &ch);
		evbuffer_add_printf(b, "# TYPE tailings_db_timeouts_total counter\ntailings_db_timeouts_total %lld\n"
							"# HELP tailings_changes_applied_total Changes confirmed by the change log and applied.\n"
							"# TYPE tailings_changes_applied_total counter\ntailings_changes_applied_total %lld\n"
							"# HELP tailings_changes_refused_total Notifications not confirmed by the log (forged, replayed, malformed).\n"
							"# TYPE tailings_changes_refused_total counter\ntailings_changes_refused_total %lld\n"
							"# TYPE tailings_changes_pings_sent_total counter\ntailings_changes_pings_sent_total %lld\n"
							"# TYPE tailings_changes_pings_heard_total counter\ntailings_changes_pings_heard_total %lld\n"
							"# HELP tailings_changes_trusted 1 while the change listener hears its pings: current tiles are cached.\n"
							"# TYPE tailings_changes_trusted gauge\ntailings_changes_trusted %d\n"
							"# HELP tailings_history_tiles_running ?at= tiles being made (at most a quarter of the pool).\n"
							"# TYPE tailings_history_tiles_running gauge\ntailings_history_tiles_running %d\n"
							"# TYPE tailings_history_tiles_waiting gauge\ntailings_history_tiles_waiting %d\n"
							"# HELP tailings_history_tiles_refused_total ?at= tiles answered 503: too many waiting.\n"
							"# TYPE tailings_history_tiles_refused_total counter\ntailings_history_tiles_refused_total %lld\n"
							"# HELP tailings_changes_apply_seconds Time spent dropping the tiles of confirmed changes and telling viewers.\n"
							"# TYPE tailings_changes_apply_seconds summary\n"
							"tailings_changes_apply_seconds_sum %.6f\ntailings_changes_apply_seconds_count %lld\n",
							d.timeouts, ch.applied, ch.refused, ch.pings_sent, ch.pings_heard, ch.trusted,
							s->history_running, s->history_waiting, s->m.history_refused,
							s->m.changes_seconds, s->m.changes_batches);
	}
	metrics_connections(s, b);
	http_reply(r, 200, "text/plain; version=0.0.4", b, NULL);
}

/* ---------------------------------------------------------------------------
 * the change stream: the request is handed to the events module, which keeps it
 */
static void
handle_events(Req *r)
{
	Server	   *s = r->s;
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);

	if (s->shutting_down || !events_has_room_for(s->events, r->evcon))
	{
		http_error(r, 503, "too many open change streams");
		return;
	}
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Accel-Buffering", "no");
	if (evhttp_request_get_command(r->req) == EVHTTP_REQ_HEAD)
	{
		http_reply(r, 200, "text/event-stream", NULL, NULL);
		return;
	}
	common_headers(r, "text/event-stream");
	if (events_add(s->events, r->req) != 0)
	{
		evhttp_clear_headers(h);
		http_error(r, 500, "out of memory");
		return;
	}
	count(s, r->ep, 200);
	access_log(r, 200, 0, seconds_since(&r->start), "stream");
	req_free(r);
}

/* ---------------------------------------------------------------------------
 * static files
 */
static const char *
content_type(const char *path)
{
	static const struct
	{
		const char *ext,
				   *type;
	}			types[] = {
		{".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
		{".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
		{".json", "application/json"}, {".png", "image/png"}, {".svg", "image/svg+xml"},
		{".ico", "image/x-icon"}, {".map", "application/json"}, {".txt", "text/plain; charset=utf-8"},
		{".wasm", "application/wasm"}, {".pbf", "application/x-protobuf"},
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/*
 * Open the regular file rel (a path under dir, "/"-separated) without leaving
 * dir: every component is opened relative to the one before with O_NOFOLLOW,
 * so a symbolic link anywhere in the path is refused, and "." and ".." too;
 * O_NONBLOCK, so that a FIFO cannot block the event loop in open(); and the
 * file must be a regular file.  -1 when not.
 */
static int
static_open(const char *dir, const char *rel, struct stat *st)
{
	char		part[256];
	int			at = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int			fd = -1;
	const char *p = rel;

	if (at < 0)
		return -1;
	for (;;)
	{
		size_t		n;
		int			last;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		last = p[n] == '\0' || p[n + strspn(p + n, "/")] == '\0';
		if (n == 0 || n >= sizeof part)
			goto fail;
		memcpy(part, p, n);
		part[n] = '\0';
		if (strcmp(part, ".") == 0 || strcmp(part, "..") == 0)
			goto fail;
		fd = openat(at, part, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (last ? O_NONBLOCK : O_DIRECTORY));
		close(at);
		at = -1;
		if (fd < 0)
			goto fail;
		if (last)
			break;
		at = fd;
		fd = -1;
		p += n;
	}
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode))
		goto fail;
	return fd;
fail:
	if (at >= 0)
		close(at);
	if (fd >= 0)
		close(fd);
	return -1;
}

/*
 * Send the regular file rel under dir (static_open), with an ETag of its size
 * and time and Cache-Control cc.  When the client accepts gzip and rel.gz
 * exists beside it, at least as new (make compresses the viewer's vendored
 * files and the glyph ranges so), that is sent instead, with
 * Content-Encoding: gzip.  1 when the request was answered; 0 when there is
 * no such file (nothing sent).
 */
static int
static_send(Req *r, const char *dir, const char *rel, const char *cc)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
	char		gzfile[4100];
	char		etag[64];
	struct stat st,
				gst;
	int			fd = -1;
	int			gfd;
	int			gz = 0;
	struct evbuffer *b;

	if ((fd = static_open(dir, rel, &st)) < 0)
	{
		if (errno != EMFILE && errno != ENFILE)
			return 0;
		http_error(r, 503, "too many open files");
		return 1;
	}
	snprintf(gzfile, sizeof gzfile, "%s.gz", rel);
	gfd = static_open(dir, gzfile, &gst);
	if (gfd >= 0)
		evhttp_add_header(h, "Vary", "Accept-Encoding");
	/* only a compressed copy at least as new as the file */
	if (gfd >= 0 && accepts_gzip(r->req) && gst.st_mtime >= st.st_mtime)
	{
		close(fd);
		fd = gfd;
		st = gst;
		gz = 1;
	}
	else if (gfd >= 0)
		close(gfd);
	snprintf(etag, sizeof etag, "\"%llx-%llx%s\"", (unsigned long long) st.st_size,
			 (unsigned long long) st.st_mtime, gz ? "-gz" : "");
	evhttp_add_header(h, "ETag", etag);
	evhttp_add_header(h, "Cache-Control", cc);
	if (etag_matches(r->req, etag))
	{
		close(fd);
		http_reply(r, 304, NULL, NULL, NULL);
		return 1;
	}
	b = evbuffer_new();
	if (st.st_size > 0 && evbuffer_add_file(b, fd, 0, st.st_size) != 0)
	{
		close(fd);
		evbuffer_free(b);
		http_error(r, 500, "cannot read the file");
		return 1;
	}
	if (st.st_size == 0)
		close(fd);
	if (gz)
		evhttp_add_header(h, "Content-Encoding", "gzip");
	http_reply(r, 200, content_type(rel), b, NULL);
	return 1;
}

/* A file of --www: only regular files inside the directory (static_send). */
static void
handle_static(Req *r, const char *path)
{
	Server	   *s = r->s;
	char		file[4096];

	if (s->conf->www == NULL)
	{
		http_error(r, 404, "not found");
		return;
	}
	/* no way out of the directory: no "..", no hidden files */
	if (strstr(path, "/.") != NULL || strchr(path, '\\') != NULL)
	{
		http_error(r, 404, "not found");
		return;
	}
	snprintf(file, sizeof file, "%s%s", path, path[strlen(path) - 1] == '/' ? "index.html" : "");
	if (!static_send(r, s->conf->www, file, "no-cache"))
		http_error(r, 404, "not found");
}

/*
 * /fonts/{fontstack}/{start}-{end}.pbf: the range of the first font of the
 * comma-separated stack that --fonts holds (a directory of that name, made by
 * tailings-glyphs).  A range that font has no file for (no glyph of it in the
 * face) is an empty but valid glyph range, which MapLibre needs rather than
 * an error; a stack naming no font of --fonts is 404.
 */
#define GLYPH_CC "public, max-age=86400"

static void
pb_len_field(struct evbuffer *b, unsigned field, size_t len)
{
	uint8_t		tmp[11];
	size_t		n = 0;

	tmp[n++] = (uint8_t) (field << 3 | 2);
	do
	{
		tmp[n++] = (uint8_t) ((len & 0x7f) | (len > 0x7f ? 0x80 : 0));
		len >>= 7;
	} while (len);
	evbuffer_add(b, tmp, n);
}

/* 1 when name can be a font of --fonts: a directory entry's name, not hidden */
static int
font_name_ok(const char *name, size_t len)
{
	if (len == 0 || len > 255 || name[0] == '.')
		return 0;
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == '\\' || name[i] == '\0')
			return 0;
	return 1;
}

/* 1 when --fonts has the directory name (no symbolic link followed) */
static int
font_exists(const char *dir, const char *name)
{
	int			at = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int			fd;

	if (at < 0)
		return 0;
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(at);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static void
handle_glyphs(Req *r, const Route *rt)
{
	const char *dir = r->s->conf->fonts;
	const char *p = rt->glyph_stack,
			   *end = rt->glyph_stack + rt->glyph_stack_len;
	char		name[256],
				file[320],
				range[16],
				etag[48];
	struct evbuffer *b,
			   *stack;
	uint32_t	hash = 2166136261u;

	snprintf(range, sizeof range, "%u-%u", rt->glyph_start, rt->glyph_start + 255);
	while (p < end)
	{
		const char *comma = memchr(p, ',', (size_t) (end - p));
		const char *e = comma ? comma : end;

		/* MapLibre joins the names with ","; blanks around them are not part of them */
		while (p < e && *p == ' ')
			p++;
		while (e > p && e[-1] == ' ')
			e--;
		if (font_name_ok(p, (size_t) (e - p)))
		{
			memcpy(name, p, (size_t) (e - p));
			name[e - p] = '\0';
			if (font_exists(dir, name))
				goto found;
		}
		p = comma ? comma + 1 : end;
	}
	{
		char		msg[160];
		int			plain = rt->glyph_stack_len <= 80;

		/* the stack in the message only when it is plain ASCII (the JSON stays valid) */
		for (size_t i = 0; plain && i < rt->glyph_stack_len; i++)
			plain = rt->glyph_stack[i] >= 0x20 && rt->glyph_stack[i] < 0x7f;
		if (plain)
			snprintf(msg, sizeof msg, "unknown fontstack \"%.*s\": no font of it here",
					 (int) rt->glyph_stack_len, rt->glyph_stack);
		else
			snprintf(msg, sizeof msg, "unknown fontstack: no font of it here");
		http_error(r, 404, msg);
		return;
	}
found:
	snprintf(file, sizeof file, "%s/%s.pbf", name, range);
	if (static_send(r, dir, file, GLYPH_CC))
		return;
	/* glyphs { stacks { name, range } }: no glyph of the range */
	stack = evbuffer_new();
	b = evbuffer_new();
	pb_len_field(stack, 1, strlen(name));
	evbuffer_add(stack, name, strlen(name));
	pb_len_field(stack, 2, strlen(range));
	evbuffer_add(stack, range, strlen(range));
	pb_len_field(b, 1, evbuffer_get_length(stack));
	evbuffer_add_buffer(b, stack);
	evbuffer_free(stack);
	{
		const uint8_t *bytes = evbuffer_pullup(b, -1);

		for (size_t i = 0; i < evbuffer_get_length(b); i++)
			hash = (hash ^ bytes[i]) * 16777619u;
	}
	snprintf(etag, sizeof etag, "\"empty-%08x\"", hash);
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "ETag", etag);
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Cache-Control", GLYPH_CC);
	if (etag_matches(r->req, etag))
	{
		evbuffer_free(b);
		http_reply(r, 304, NULL, NULL, NULL);
		return;
	}
	http_reply(r, 200, "application/x-protobuf", b, NULL);
}

/* ---------------------------------------------------------------------------
 * the pond's sheet: its elements as GeoJSON, and the print page /sheet/{id}
 */

/*
 * A FeatureCollection of the pond's elements (feature id = element id;
 * coordinates CGCS2000 lon/lat to 7 decimals, read as WGS84, no "crs" member;
 * lon/lat: a point on the element to 6 decimals), plus the pond and the time
 * of its latest logged change (null when none is kept).
 */
static const char SQL_POND_GEOJSON[] =
	SQL_LANG "SELECT json_build_object('type', 'FeatureCollection',"
	" 'pond', json_build_object('id', p.id, 'code', p.code, 'name', p.name, 'enterprise', p.enterprise,"
	"   'county_code', p.county_code, 'level', p.supervision_level, 'status', p.status,"
	"   'gw_flow_azimuth', p.gw_flow_azimuth, 'location', ST_AsGeoJSON(p.location, 7, 0)::json),"
	" 'updated_at', (SELECT max(l.changed_at) FROM tailings.change_log l WHERE l.pond_id = p.id),"
	" 'features', (SELECT coalesce(json_agg(json_build_object('type', 'Feature', 'id', e.id,"
	"     'geometry', ST_AsGeoJSON(e.geom, 7, 0)::json, 'properties', json_build_object("
	"     'id', e.id, 'kind', e.kind, 'label', tailings.label(e.kind), 'category', tailings.category(e.kind),"
	"     'name', e.name, 'source', e.source, 'accuracy_m', e.accuracy_m, 'surveyed_on', e.surveyed_on,"
	"     'verified_on', e.verified_on, 'verified', e.verified_on IS NOT NULL, 'attrs', e.attrs,"
	"     'lon', round(ST_X(ST_PointOnSurface(e.geom))::numeric, 6),"
	"     'lat', round(ST_Y(ST_PointOnSurface(e.geom))::numeric, 6)))"
	"   ORDER BY tailings.category(e.kind), e.kind, e.id), '[]')"
	"   FROM tailings.element e WHERE e.pond_id = p.id)"
	")::text FROM lang, tailings.pond p WHERE p.id = $1::bigint";

static const char SQL_POND_EXISTS[] = "SELECT 1 FROM tailings.pond WHERE id = $1::bigint";

static void
geojson_done(Req *r, PGresult *res)
{
	json_first_value(r, res, "application/geo+json; charset=utf-8");
}

/* the page (www/sheet.html) for a pond that exists; it reads the pond's id from its path */
static void
sheet_done(Req *r, PGresult *res)
{
	if (PQntuples(res) != 1)
		http_error(r, 404, "no such pond");
	else
		handle_static(r, "/sheet.html");
}

/* ---------------------------------------------------------------------------
 * dispatch
 */
static Endpoint
endpoint_of(RouteKind k)
{
	switch (k)
	{
		case ROUTE_TILE:
			return EP_TILE;
		case ROUTE_TILEJSON:
			return EP_TILEJSON;
		case ROUTE_STYLE:
			return EP_STYLE;
		case ROUTE_SPRITE:
			return EP_SPRITE;
		case ROUTE_GLYPHS:
			return EP_GLYPHS;
		case ROUTE_PONDS:
			return EP_PONDS;
		case ROUTE_POND:
			return EP_POND;
		case ROUTE_POND_COMPLETENESS:
			return EP_COMPLETENESS;
		case ROUTE_POND_GEOJSON:
			return EP_GEOJSON;
		case ROUTE_SHEET:
			return EP_SHEET;
		case ROUTE_HEALTH:
			return EP_HEALTH;
		case ROUTE_METRICS:
			return EP_METRICS;
		case ROUTE_EVENTS:
			return EP_EVENTS;
		case ROUTE_CATALOG:
			return EP_CATALOG;
		case ROUTE_HISTORY:
			return EP_HISTORY;
		case ROUTE_COMPARE:
			return EP_COMPARE;
		case ROUTE_STATIC:
			return EP_STATIC;
		default:
			return EP_OTHER;
	}
}

/* ---------------------------------------------------------------------------
 * request hygiene: message framing and the Host header
 */

/*
 * 0 when the body's length is unambiguous.  libevent 2.1 reads the first
 * Content-Length and lets Transfer-Encoding: chunked win over it, where a
 * proxy in front may read another: two lengths, a length beside a transfer
 * coding, a coding other than chunked, or a length that is not all digits
 * (libevent refuses some of these itself, not all: HEAD reads no body) are
 * refused with 400 and the connection closed.
 */
static int
req_framing_ok(struct evhttp_request *req)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evkeyval *h;
	int			ncl = 0,
				nte = 0,
				nhost = 0;

	for (h = in->tqh_first; h != NULL; h = h->next.tqe_next)
	{
		if (strcasecmp(h->key, "Content-Length") == 0)
		{
			ncl++;
			if (h->value[0] == '\0' || strspn(h->value, "0123456789") != strlen(h->value) || strlen(h->value) > 18)
				return 0;
		}
		else if (strcasecmp(h->key, "Transfer-Encoding") == 0)
		{
			nte++;
			if (strcasecmp(h->value, "chunked") != 0)
				return 0;
		}
		else if (strcasecmp(h->key, "Host") == 0)
			nhost++;
	}
	return ncl <= 1 && nte <= 1 && !(ncl && nte) && nhost <= 1;
}

static int
host_is_loopback(const char *name)
{
	return strcmp(name, "localhost") == 0 || strncmp(name, "127.", 4) == 0 || strcmp(name, "[::1]") == 0 ||
		strcmp(name, "::1") == 0;
}

/* the address this connection was accepted on, as a Host would name it ("[v6]" in brackets) */
static void
local_address(struct evhttp_connection *evcon, char *buf, size_t len)
{
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	int			fd = bev ? bufferevent_getfd(bev) : -1;
	struct sockaddr_storage ss;
	socklen_t	sl = sizeof ss;
	char		ip[INET6_ADDRSTRLEN];

	buf[0] = '\0';
	if (fd < 0 || getsockname(fd, (struct sockaddr *) &ss, &sl) != 0)
		return;
	if (ss.ss_family == AF_INET && inet_ntop(AF_INET, &((struct sockaddr_in *) &ss)->sin_addr, ip, sizeof ip))
		snprintf(buf, len, "%s", ip);
	else if (ss.ss_family == AF_INET6 && inet_ntop(AF_INET6, &((struct sockaddr_in6 *) &ss)->sin6_addr, ip, sizeof ip))
		snprintf(buf, len, "[%s]", ip);
}

/*
 * 1 when the request may be answered for this Host.  With --public-url the
 * Host is not read.  Else it must name the listen address (host, or
 * host:port with the listen port): the listen host, the address the
 * connection came in on, and for a loopback address localhost, 127.0.0.1 and
 * [::1]; or be a --server-name (with any port).  A request without Host
 * (HTTP/1.0) is answered.  This refuses DNS rebinding and keeps other
 * names out of the URLs of style.json and TileJSON.
 */
static int
host_allowed(Req *r)
{
	const Conf *conf = r->s->conf;
	const char *host = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Host");
	char		name[256],
				local[64],
				listen[280];
	const char *colon;
	size_t		nlen;

	if (conf->public_url || host == NULL)
		return 1;
	if (strlen(host) >= sizeof name || conf_check_host_name(host) != 0)
		return 0;
	/* NAME[:PORT] or [V6][:PORT] */
	colon = host[0] == '[' ? strchr(host, ']') : host;
	if (colon == NULL)
		return 0;
	colon = strchr(colon, ':');
	nlen = colon ? (size_t) (colon - host) : strlen(host);
	for (size_t i = 0; i < nlen; i++)
		name[i] = (char) tolower((unsigned char) host[i]);
	name[nlen] = '\0';
	if (nlen == 0)
		return 0;
	for (int i = 0; i < conf->nserver_names; i++)
		if (strcmp(conf->server_names[i], name) == 0 || strcasecmp(conf->server_names[i], host) == 0)
			return 1;
	if (colon && (strspn(colon + 1, "0123456789") != strlen(colon + 1) || atoi(colon + 1) != conf->listen_port))
		return 0;
	snprintf(listen, sizeof listen, strchr(conf->listen_host, ':') ? "[%s]" : "%s", conf->listen_host);
	for (char *p = listen; *p; p++)
		*p = (char) tolower((unsigned char) *p);
	if (strcmp(name, listen) == 0)
		return 1;
	local_address(r->evcon, local, sizeof local);
	if (local[0] && strcmp(name, local) == 0)
		return 1;
	if ((host_is_loopback(local) || host_is_loopback(listen)) &&
		(strcmp(name, "localhost") == 0 || strcmp(name, "127.0.0.1") == 0 || strcmp(name, "[::1]") == 0))
		return 1;
	return 0;
}

/* 1 when on_request may go on; else the request was answered */
static int
request_hygiene(Req *r)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(r->req);

	if (!req_framing_ok(r->req))
	{
		/* the next request's start is not known: the connection is closed */
		evhttp_add_header(out, "Connection", "close");
		http_error(r, 400, "ambiguous message length: one Content-Length of digits, or Transfer-Encoding: chunked");
		return 0;
	}
	if (!host_allowed(r))
	{
		http_error(r, 400, "unknown Host: this server answers for its listen address and its --server-name names");
		return 0;
	}
	return 1;
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	Server	   *s = arg;
	Req		   *r = calloc(1, sizeof(Req));
	const char *uri = evhttp_request_get_uri(req);
	const struct evhttp_uri *parsed = evhttp_request_get_evhttp_uri(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	char	   *path = NULL;
	size_t		decoded_len = 0;
	const char *raw_path;
	Route		rt;
	char		url[256];
	char		pid[24];
	const char *params[4];

	if (r == NULL)
	{
		evhttp_send_error(req, 500, NULL);
		return;
	}
	s->active++;
	r->s = s;
	r->req = req;
	r->evcon = evhttp_request_get_connection(req);
	r->ep = EP_OTHER;
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	conn_request_begin(s->conns, req);
	if (!request_hygiene(r))
		return;

	if (uri == NULL || strlen(uri) > MAX_URI)
	{
		http_error(r, 414, "the URI is too long");
		return;
	}
	if (cmd == EVHTTP_REQ_OPTIONS)
	{
		struct evkeyvalq *h = evhttp_request_get_output_headers(req);

		evhttp_add_header(h, "Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
		evhttp_add_header(h, "Access-Control-Allow-Headers", "If-None-Match, Accept-Encoding, Content-Type");
		evhttp_add_header(h, "Access-Control-Max-Age", "86400");
		http_reply(r, 204, NULL, NULL, NULL);
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD)
	{
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD, OPTIONS");
		http_error(r, 405, "only GET and HEAD are served");
		return;
	}
	raw_path = parsed ? evhttp_uri_get_path(parsed) : NULL;
	if (raw_path)
		path = evhttp_uridecode(raw_path, 0, &decoded_len);
	/* a path that decodes to a NUL byte or does not start with / is malformed */
	if (path == NULL || decoded_len != strlen(path) || path[0] != '/')
	{
		free(path);
		http_error(r, 400, "malformed path");
		return;
	}
	route_parse(path, parsed ? evhttp_uri_get_query(parsed) : NULL, &rt);
	r->ep = endpoint_of(rt.kind);
	switch (rt.kind)
	{
		case ROUTE_BAD:
			http_error(r, 400, rt.error);
			break;
		case ROUTE_NOT_FOUND:
			if (rt.layer_error[0])
			{
				char		msg[128];

				snprintf(msg, sizeof msg, "unknown layer \"%s\": layers are all, ponds and the category codes", rt.layer_error);
				http_error(r, 404, msg);
			}
			else
				http_error(r, 404, "not found");
			break;
		case ROUTE_TILE:
			handle_tile(r, &rt);
			break;
		case ROUTE_TILEJSON:
			r->pond_id = rt.layers;
			json_query(r, SQL_BOUNDS, 0, NULL, tilejson_done, rt.layers);
			break;
		case ROUTE_STYLE:
			{
				struct evbuffer *b = evbuffer_new();

				base_url(r, url, sizeof url);
				style_maplibre(b, url, r->s->conf->basemaps, r->s->conf->nbasemaps);
				evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-cache");
				http_reply(r, 200, "application/json; charset=utf-8", b, NULL);
				break;
			}
		case ROUTE_SPRITE:
			{
				struct evbuffer *b = evbuffer_new();
				int			i = rt.sprite_2x ? 1 : 0;

				evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "public, max-age=86400");
				if (rt.sprite_png)
				{
					evbuffer_add(b, s->sprite[i], s->sprite_len[i]);
					http_reply(r, 200, "image/png", b, NULL);
				}
				else
				{
					sprite_json(b, i + 1);
					http_reply(r, 200, "application/json", b, NULL);
				}
				break;
			}
		case ROUTE_GLYPHS:
			handle_glyphs(r, &rt);
			break;
		case ROUTE_PONDS:
			json_query(r, SQL_PONDS, 0, NULL, json_body_done, 0);
			break;
		case ROUTE_POND:
		case ROUTE_POND_COMPLETENESS:
			snprintf(pid, sizeof pid, "%lld", rt.pond_id);
			params[0] = pid;
			params[1] = rt.lang[0] ? rt.lang : NULL;
			json_query(r, rt.kind == ROUTE_POND ? SQL_POND : SQL_COMPLETENESS, 2, params, json_body_done, 0);
			break;
		case ROUTE_HISTORY:
			json_query(r, SQL_HISTORY, 0, NULL, json_body_done, 0);
			break;
		case ROUTE_COMPARE:
			snprintf(pid, sizeof pid, "%lld", rt.pond_id);
			params[0] = rt.pond_id ? pid : NULL;
			params[1] = rt.lang[0] ? rt.lang : NULL;
			params[2] = rt.from;
			params[3] = rt.at;
			json_query(r, SQL_COMPARE, 4, params, json_body_done, 0);
			break;
		case ROUTE_POND_GEOJSON:
			snprintf(pid, sizeof pid, "%lld", rt.pond_id);
			params[0] = pid;
			params[1] = rt.lang[0] ? rt.lang : NULL;
			json_query(r, SQL_POND_GEOJSON, 2, params, geojson_done, 0);
			break;
		case ROUTE_SHEET:
			snprintf(pid, sizeof pid, "%lld", rt.pond_id);
			params[0] = pid;
			json_query(r, SQL_POND_EXISTS, 1, params, sheet_done, 0);
			break;
		case ROUTE_HEALTH:
			handle_health(r);
			break;
		case ROUTE_METRICS:
			handle_metrics(r);
			break;
		case ROUTE_EVENTS:
			handle_events(r);
			break;
		case ROUTE_CATALOG:
			{
				struct evbuffer *b = evbuffer_new();

				style_catalog_json(b);
				evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "public, max-age=3600");
				http_reply(r, 200, "application/json; charset=utf-8", b, NULL);
				break;
			}
		case ROUTE_STATIC:
			handle_static(r, path);
			break;
	}
	free(path);
}

/* ---------------------------------------------------------------------------
 * change notifications
 */
/* the tiles on their way that a change in box touches are not to be cached (the cache's own rule) */
static void
inflight_touched(Server *s, const Box *box, unsigned extra_layers, double margin)
{
	for (Inflight *f = s->inflight; f; f = f->next)
		if (box == NULL ? (f->layers & extra_layers) != 0
			: cache_box_touches_tile(*box, extra_layers, margin, f->z, f->x, f->y, f->layers))
			f->stale = 1;
}

static void
on_change(const char *payload, void *arg)
{
	Server	   *s = arg;

	/* only a hint: the change is read from the log before anything is done */
	changes_notify(s->changes, payload);
}

/*
 * Changes confirmed by the log, a batch at a time.  The tiles are dropped by
 * one box per pond (the union of its changes' areas: a 1,000-row UPDATE over
 * 40 ponds is 40 invalidations, not 1,000), then the viewers are told of each
 * change: a viewer that refetches at once gets the new tiles.
 */
static int
change_pond_cmp(const void *a, const void *b)
{
	const Change *x = *(const Change *const *) a,
			   *y = *(const Change *const *) b;

	return (x->pond_id > y->pond_id) - (x->pond_id < y->pond_id);
}

static void
invalidate_box(Server *s, const Box *box)
{
	if (box)
	{
		/* the changed area's tiles; and, as the pond's score may change, its pond tiles nearby */
		cache_invalidate(s->cache, *box, LAYER_PONDS, POND_MARGIN_DEG);
		inflight_touched(s, box, LAYER_PONDS, POND_MARGIN_DEG);
	}
	else
	{
		/* no area (a template rule changed): every pond's score may change */
		cache_invalidate_layers(s->cache, LAYER_PONDS);
		inflight_touched(s, NULL, LAYER_PONDS, 0);
	}
}

static void
on_changes_confirmed(const Change *changes, int n, void *arg)
{
	Server	   *s = arg;
	const Change **order = malloc(sizeof(Change *) * (size_t) n);
	int			no_area = 0;
	double		t0 = clock_mono_s();

	if (order == NULL)
	{
		/* no room to merge: each on its own */
		for (int i = 0; i < n; i++)
			invalidate_box(s, changes[i].has_bbox ? &changes[i].bbox : NULL);
	}
	else
	{
		for (int i = 0; i < n; i++)
			order[i] = &changes[i];
		qsort(order, (size_t) n, sizeof(Change *), change_pond_cmp);
		for (int i = 0; i < n;)
		{
			Box			u;
			int			j = i;

			if (!order[i]->has_bbox)
			{
				no_area = 1;
				i++;
				continue;
			}
			u = order[i]->bbox;
			/* a pond's changes in one box; changes of no pond each alone */
			while (++j < n && order[i]->pond_id != 0 && order[j]->pond_id == order[i]->pond_id &&
				   order[j]->has_bbox)
			{
				u.xmin = u.xmin < order[j]->bbox.xmin ? u.xmin : order[j]->bbox.xmin;
				u.ymin = u.ymin < order[j]->bbox.ymin ? u.ymin : order[j]->bbox.ymin;
				u.xmax = u.xmax > order[j]->bbox.xmax ? u.xmax : order[j]->bbox.xmax;
				u.ymax = u.ymax > order[j]->bbox.ymax ? u.ymax : order[j]->bbox.ymax;
			}
			invalidate_box(s, &u);
			i = j;
		}
		if (no_area)
			invalidate_box(s, NULL);
		free(order);
	}
	for (int i = 0; i < n; i++)
		events_broadcast(s->events, "change", changes[i].json);
	s->m.changes_seconds += clock_mono_s() - t0;
	s->m.changes_batches++;
}

/* changes may have been missed: nothing current that is cached or on its way can be trusted */
static void
on_changes_reset(void *arg)
{
	Server	   *s = arg;

	cache_invalidate_layers(s->cache, route_all_layers());
	inflight_touched(s, NULL, route_all_layers(), 0);
	events_broadcast(s->events, "resync", "{}");
}

static void
on_listen_resync(const char *xmin, void *arg)
{
	Server	   *s = arg;

	changes_listening(s->changes, xmin);
	on_changes_reset(s);
}

/* ---------------------------------------------------------------------------
 * life cycle
 */

/* the connection ceiling (below the descriptor limit), the cap per address, the head's deadline */
static int
server_limit_connections(Server *s)
{
	const Conf *conf = s->conf;
	long		nofile = conn_raise_nofile();
	int			ceiling = conn_default_max(nofile, conf->pool);
	ConnLimits	lim;

	lim.max_conns = conf->max_conns > 0 ? conf->max_conns : ceiling;
	if (lim.max_conns > ceiling)
	{
		fprintf(stderr, "tailings-tileserver: --max-conns %d is more than %ld descriptors allow: %d\n",
				conf->max_conns, nofile, ceiling);
		lim.max_conns = ceiling;
	}
	lim.max_per_ip = conf->max_conns_per_ip;
	lim.header_timeout_s = conf->header_timeout_s;
	s->conns = conn_create(s->base, s->http, &lim);
	if (s->conns == NULL)
	{
		fprintf(stderr, "tailings-tileserver: out of memory\n");
		return -1;
	}
	return 0;
}

Server *
server_create(struct event_base *base, const Conf *conf)
{
	Server	   *s = calloc(1, sizeof(Server));
	struct timeval tv;
	char		err[128];

	if (s == NULL)
		return NULL;
	s->conf = conf;
	s->base = base;
	s->started = time(NULL);
	s->http = evhttp_new(base);
	s->cache = cache_create((size_t) conf->cache_mb * 1024 * 1024);
	s->events = events_create(base, conf->max_streams, 15);
	if (s->events)
		events_set_max_per_ip(s->events, conf->max_streams_per_ip);
	if (sprite_check(NULL, 0, err, sizeof err) < 0)
	{
		fprintf(stderr, "tailings-tileserver: sprite: %s\n", err);
		goto fail;
	}
	/* drawn once, served from memory */
	for (int i = 0; i < 2; i++)
		s->sprite[i] = sprite_png(i + 1, &s->sprite_len[i]);
	if (s->http == NULL || s->cache == NULL || s->events == NULL || s->sprite[0] == NULL || s->sprite[1] == NULL)
	{
		fprintf(stderr, "tailings-tileserver: out of memory\n");
		goto fail;
	}
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS |
							   EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH |
							   EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT);
	evhttp_set_max_headers_size(s->http, 8192);
	evhttp_set_max_body_size(s->http, 65536);
	tv.tv_sec = conf->timeout_s;
	tv.tv_usec = 0;
	evhttp_set_timeout_tv(s->http, &tv);
	evhttp_set_gencb(s->http, on_request, s);
	if (server_limit_connections(s) != 0)
		goto fail;
	s->bound = evhttp_bind_socket_with_handle(s->http, conf->listen_host, (ev_uint16_t) conf->listen_port);
	if (s->bound == NULL)
	{
		fprintf(stderr, "tailings-tileserver: cannot listen on %s:%d: %s\n", conf->listen_host,
				conf->listen_port, strerror(errno));
		goto fail;
	}
	conn_set_listener(s->conns, s->bound);
	{
		struct stat st;

		/* the default --fonts may be missing (make fonts builds it): labels then lose their text */
		if (stat(conf->fonts, &st) != 0 || !S_ISDIR(st.st_mode))
			fprintf(stderr, "tailings-tileserver: no glyph ranges in %s (make builds them; see --fonts): "
					"/fonts/ answers 404\n", conf->fonts);
	}
	s->db = db_create(base, conf->db, conf->pool, conf->queue, conf->statement_timeout_ms);
	if (s->db == NULL)
	{
		fprintf(stderr, "tailings-tileserver: out of memory\n");
		goto fail;
	}
	s->changes = changes_create(base, s->db, "tailings_changes", on_changes_confirmed, on_changes_reset, s);
	if (s->changes == NULL)
	{
		fprintf(stderr, "tailings-tileserver: out of memory\n");
		goto fail;
	}
	db_listen(s->db, "tailings_changes", on_change, on_listen_resync, s);
	return s;
fail:
	server_free(s);
	return NULL;
}

static void
drain_check(evutil_socket_t fd, short what, void *arg)
{
	Server	   *s = arg;
	static int	ticks = 0;

	(void) fd;
	(void) what;
	/* in-flight requests finished, or 10 s passed */
	if (s->active == 0 || ++ticks > 200)
		event_base_loopexit(s->base, NULL);
}

void
server_shutdown(Server *s)
{
	struct timeval tv = {0, 50000};

	if (s->shutting_down)
	{
		event_base_loopexit(s->base, NULL);
		return;
	}
	s->shutting_down = 1;
	events_close_all(s->events);
	conn_forget_listener(s->conns);
	if (s->bound)
		evhttp_del_accept_socket(s->http, s->bound);
	s->bound = NULL;
	s->drain = event_new(s->base, -1, EV_PERSIST, drain_check, s);
	event_add(s->drain, &tv);
}

void
server_free(Server *s)
{
	if (s == NULL)
		return;
	s->freeing = 1;
	if (s->drain)
		event_free(s->drain);
	/* the database first: queries still waiting are answered while their requests exist */
	db_free(s->db);
	changes_free(s->changes);
	if (s->http)
		evhttp_free(s->http);
	/* after evhttp: the connections it frees are then gone */
	conn_forget_listener(s->conns);
	conn_free(s->conns);
	while (s->inflight)
	{
		Inflight   *f = s->inflight;

		s->inflight = f->next;
		free(f->key);
		free(f);
	}
	events_free(s->events);
	cache_free(s->cache);
	cache_gzip_release();
	free(s->sprite[0]);
	free(s->sprite[1]);
	free(s);
}
