/*
 * srv.h - the state the tile server's modules share: the server and a request.
 *
 * server.c creates the server and dispatches each request by the route table
 * (route.h) to a handler of a module: tiles.c, api.c, submissions.c,
 * inspections.c, monitoring.c, files.c, metrics.c, live.c; a route whose
 * statements run as the request's role first learns who that is (auth.c).
 * http.c answers: every request gets exactly one reply through http_reply()
 * (or http_error()).
 */
#ifndef TAILINGS_SRV_H
#define TAILINGS_SRV_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>
#include <event2/http.h>

#include "cache.h"
#include "changes.h"
#include "conf.h"
#include "conn.h"
#include "db.h"
#include "events.h"
#include "replica.h"
#include "route.h"

/* the HTTP statuses counted one by one (others as "other"), and the tile latency buckets (metrics.c) */
#define SRV_NSTATUS 17
#define SRV_NBUCKETS 12

typedef struct Server Server;
typedef struct Req Req;
typedef struct Inflight Inflight;	/* a tile on its way (tiles.c) */
typedef struct Auth Auth;		/* who requests act for (auth.c) */
typedef struct Fanout Fanout;	/* changes on their way to scoped viewers (live.c) */

/* the longest scope (auth.c makes it from the member's level and scope, or the role's name) */
#define SRV_SCOPE_MAX 160

/*
 * Who a request acts for (auth.c): the role its statements run as, and the
 * scope of what that role sees, by which tiles are cached.  Roles that see
 * the same (readers and the anonymous role, a county's officers) share a
 * scope; tiles are never served across scopes.
 */
typedef struct Principal
{
	char		role[64];		/* "": the --db login itself (--auth none) */
	char		scope[SRV_SCOPE_MAX];	/* "": --auth none; "*": sees everything; "county:510421"; "role:NAME" */
	char		etag[16];		/* added to its tiles' ETags: "" with --auth none, else ".s" and 8 hex digits */
} Principal;

/* a request, from on_request until its reply */
struct Req
{
	Server	   *s;
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	struct timespec start;
	RouteKind	kind;			/* its route: the metric's endpoint */
	int			access;			/* its route's access (route.h): ROUTE_AS_ROLE reads may go to a standby */
	int			gone;			/* the client went away while waiting */
	Req		   *next;			/* among an Inflight's waiters */
	unsigned	layers;			/* TileJSON: the layers asked */
	char	   *path;			/* the decoded path (malloc'd; the route points into it) */
	Route		route;
	Principal	who;			/* set by auth.c before a handler whose route runs as a role */
	void		(*then) (Req *r, const Route *rt);	/* the handler, while auth.c finds who */
	Req		   *auth_next;		/* among the requests waiting for the same token */
};

typedef struct Metrics
{
	long long	requests[ROUTE_COUNT][SRV_NSTATUS + 1];	/* last: other statuses */
	long long	tile_buckets[SRV_NBUCKETS + 1];
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
	Db		   *db;				/* the primary: the change listener, writes, and reads without standbys */
	Replicas   *replicas;		/* hot standbys for reads (replica.h; none without --db-replica) */
	Cache	   *cache;
	Changes    *changes;
	Events	   *events;
	Conns	   *conns;
	Auth	   *auth;
	Inflight   *inflight;
	Fanout	   *fanouts;		/* first come first */
	int			nfanouts;
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

#endif
