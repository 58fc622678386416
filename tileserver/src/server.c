/*
 * server.c - tailings-tileserver's HTTP server on libevent's evhttp: its life
 * cycle, and the dispatch of each request by the route table (route.h) to the
 * handler of its row.
 *
 * One event loop runs everything: HTTP, the database pool and the change
 * listener.  Every request gets exactly one reply through http_reply() (http.c),
 * which also writes the access log line and counts the metrics.
 */
#include "server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/keyvalq_struct.h>

#include "api.h"
#include "auth.h"
#include "files.h"
#include "hazards.h"
#include "http.h"
#include "inspections.h"
#include "live.h"
#include "metrics.h"
#include "pondfile.h"
#include "monitoring.h"
#include "sprite.h"
#include "srv.h"
#include "submissions.h"
#include "tiles.h"

#define MAX_URI 2048

typedef void (*Handler) (Req *r, const Route *rt);

/* the route table's methods, access and handlers, by route kind */
static const struct
{
	unsigned	methods;
	int			access;
	Handler		handle;
}			handlers[ROUTE_COUNT] = {
#define ROUTE_HANDLER(kind, name, pattern, matcher, methods, access, handler) [ROUTE_##kind] = {methods, access, handler},
	ROUTE_TABLE(ROUTE_HANDLER)
#undef ROUTE_HANDLER
};

static const struct
{
	enum evhttp_cmd_type cmd;
	unsigned	bit;
	const char *name;
}			methods[] = {
	{EVHTTP_REQ_GET, ROUTE_GET, "GET"}, {EVHTTP_REQ_HEAD, ROUTE_HEAD, "HEAD"},
	{EVHTTP_REQ_POST, ROUTE_POST, "POST"}, {EVHTTP_REQ_PUT, ROUTE_PUT, "PUT"},
	{EVHTTP_REQ_DELETE, ROUTE_DELETE, "DELETE"}, {EVHTTP_REQ_PATCH, ROUTE_PATCH, "PATCH"},
};

/* the route method bit of a request's method (0: none the table knows) */
static unsigned
method_bit(enum evhttp_cmd_type cmd)
{
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (methods[i].cmd == cmd)
			return methods[i].bit;
	return 0;
}

/* every method some route takes */
static unsigned
methods_served(void)
{
	unsigned	all = 0;

	for (int k = 0; k < ROUTE_COUNT; k++)
		all |= handlers[k].methods;
	return all;
}

/*
 * The row of the path's pattern that takes the method (rows of one pattern
 * are together: route.h), or ROUTE_NOT_FOUND; *allowed: the methods of them all.
 */
static RouteKind
method_row(RouteKind kind, unsigned bit, unsigned *allowed)
{
	const char *pattern = route_pattern(kind);
	RouteKind	found = ROUTE_NOT_FOUND;

	*allowed = 0;
	for (int k = kind; k < ROUTE_COUNT && strcmp(route_pattern((RouteKind) k), pattern) == 0; k++)
	{
		*allowed |= handlers[k].methods;
		if (found == ROUTE_NOT_FOUND && (handlers[k].methods & bit))
			found = (RouteKind) k;
	}
	return found;
}

/* 405 with the Allow header of these methods (and OPTIONS) */
static void
not_allowed(Req *r, unsigned allowed)
{
	char		allow[80] = "";
	char		msg[120];

	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (allowed & methods[i].bit)
			snprintf(allow + strlen(allow), sizeof allow - strlen(allow), "%s, ", methods[i].name);
	snprintf(allow + strlen(allow), sizeof allow - strlen(allow), "OPTIONS");
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Allow", allow);
	snprintf(msg, sizeof msg, "%s", allowed == ROUTE_READ ? "only GET and HEAD are served" : "method not allowed here");
	http_error(r, 405, msg);
}

/* CORS preflight */
static void
preflight(Req *r)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);

	evhttp_add_header(h, "Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
	evhttp_add_header(h, "Access-Control-Allow-Headers", "Authorization, If-None-Match, Accept-Encoding, Content-Type");
	evhttp_add_header(h, "Access-Control-Max-Age", "86400");
	http_reply(r, 204, NULL, NULL, NULL);
}

/* a route that is no endpoint: 400 or 404, with why */
static void
route_failed(Req *r, const Route *rt)
{
	char		msg[128];

	if (rt->kind == ROUTE_BAD)
		http_error(r, 400, rt->error);
	else if (rt->layer_error[0])
	{
		snprintf(msg, sizeof msg, "unknown layer \"%s\": layers are all, ponds and the category codes", rt->layer_error);
		http_error(r, 404, msg);
	}
	else
		http_error(r, 404, "not found");
}

/* the decoded path of the request, malloc'd; NULL when malformed (a NUL byte, no leading /) */
static char *
request_path(struct evhttp_request *req)
{
	const struct evhttp_uri *parsed = evhttp_request_get_evhttp_uri(req);
	const char *raw = parsed ? evhttp_uri_get_path(parsed) : NULL;
	size_t		len = 0;
	char	   *path = raw ? evhttp_uridecode(raw, 0, &len) : NULL;

	if (path != NULL && (len != strlen(path) || path[0] != '/'))
	{
		free(path);
		path = NULL;
	}
	return path;
}

/* route the request and hand it to its row's handler (once who it is for is known, when it runs as a role) */
static void
dispatch(Req *r)
{
	const struct evhttp_uri *parsed = evhttp_request_get_evhttp_uri(r->req);
	const Route *rt = &r->route;
	RouteKind	kind;
	unsigned	allowed;

	if ((r->path = request_path(r->req)) == NULL)
	{
		http_error(r, 400, "malformed path");
		return;
	}
	route_parse(r->path, parsed ? evhttp_uri_get_query(parsed) : NULL, &r->route);
	r->kind = rt->kind;
	if (rt->kind == ROUTE_NOT_FOUND || rt->kind == ROUTE_BAD)
	{
		route_failed(r, rt);
		return;
	}
	if ((kind = method_row(rt->kind, method_bit(evhttp_request_get_command(r->req)), &allowed)) == ROUTE_NOT_FOUND)
	{
		not_allowed(r, allowed);
		return;
	}
	r->kind = r->route.kind = kind;
	r->access = handlers[kind].access;
	if (handlers[kind].access == ROUTE_WRITE && r->s->conf->auth == CONF_AUTH_NONE)
		http_error(r, 403, "this server only reads (--auth none): the write API needs --auth token");
	else if (handlers[kind].access == ROUTE_PUBLIC)
		handlers[kind].handle(r, rt);
	else
		auth_request(r, handlers[rt->kind].handle);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	Server	   *s = arg;
	Req		   *r = calloc(1, sizeof(Req));
	const char *uri = evhttp_request_get_uri(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (r == NULL)
	{
		evhttp_send_error(req, 500, NULL);
		return;
	}
	s->active++;
	r->s = s;
	r->req = req;
	r->evcon = evhttp_request_get_connection(req);
	r->kind = ROUTE_NOT_FOUND;
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	conn_request_begin(s->conns, req);
	if (!http_hygiene(r))
		return;
	if (uri == NULL || strlen(uri) > MAX_URI)
		http_error(r, 414, "the URI is too long");
	else if (cmd == EVHTTP_REQ_OPTIONS)
		preflight(r);
	else if (!(methods_served() & method_bit(cmd)))
		not_allowed(r, methods_served());
	else
		dispatch(r);
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
	lim.max_body = (unsigned long long) conf->max_body_mb * 1024 * 1024;
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
	/* conn_body.c refuses a larger body first, with a JSON 413; this is evhttp's backstop */
	evhttp_set_max_body_size(s->http, (ev_ssize_t) conf->max_body_mb * 1024 * 1024);
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
	s->db = tiles_prepare() == 0 ? db_create(base, conf->db, conf->pool, conf->queue, conf->statement_timeout_ms) : NULL;
	if (s->db == NULL)
	{
		fprintf(stderr, "tailings-tileserver: out of memory\n");
		goto fail;
	}
	if (live_listen(s) != 0 || (s->auth = auth_create(s)) == NULL ||
		(s->replicas = replica_create(base, conf, s->db, s->changes)) == NULL)
	{
		fprintf(stderr, "tailings-tileserver: out of memory\n");
		goto fail;
	}
	return s;
fail:
	server_free(s);
	return NULL;
}

static void
drain_check(evutil_socket_t fd, short what, void *arg)
{
	Server	   *s = arg;
	static int	ticks = 0,
				idle_ticks = 0;
	ConnStats	st;

	(void) fd;
	(void) what;
	/*
	 * In-flight requests finished and their answers written (a connection
	 * answered during shutdown closes once its reply is out: "Connection:
	 * close"), or 10 s passed.  Idle keep-alive connections do not hold the
	 * exit back for more than 4 ticks (200 ms) after the last answer.
	 */
	ticks++;
	if (s->active != 0)
	{
		idle_ticks = 0;
		if (ticks <= 200)
			return;
	}
	conn_stats(s->conns, &st);
	if (st.open == 0 || ++idle_ticks > 4 || ticks > 200)
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
	/* the databases first: queries still waiting are answered while their requests exist */
	replica_stop(s->replicas);
	db_free(s->db);
	replica_free(s->replicas);
	changes_free(s->changes);
	if (s->http)
		evhttp_free(s->http);
	/* after evhttp: the connections it frees are then gone */
	conn_forget_listener(s->conns);
	conn_free(s->conns);
	tiles_free_all(s);
	live_free(s);
	auth_free(s->auth);
	events_free(s->events);
	cache_free(s->cache);
	cache_gzip_release();
	free(s->sprite[0]);
	free(s->sprite[1]);
	free(s);
}
