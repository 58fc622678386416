/*
 * events.c - server-sent events to open viewers.
 *
 * Each client is a streamed reply (evhttp_send_reply_start) that stays open.
 * Every stream starts with "event: hello"; a client that reconnects may have
 * missed changes and should refresh what it shows.  Then every change the
 * database announces is written as "event: change" with the notification's
 * JSON, and "event: resync" when the listening connection came back (changes
 * may have been missed).  A comment line every heartbeat keeps proxies from
 * closing the stream and finds dead peers.  A client that does not read
 * (more than MAX_BACKLOG bytes of memory waiting in its output buffer) has its
 * connection closed at once, its buffer freed, rather than buffered without
 * bound.  The memory counted is the buffer's bytes plus a chunk per piece
 * queued: each event queued alone costs a chunk of about 1 KiB, however short.
 * No heartbeat is queued behind data still waiting.  A client address may hold
 * max_per_ip streams at most.
 *
 * Each client has the scope of the role it was opened as (auth.c): a change
 * goes to the clients that see everything at once, and to a scope's clients
 * once the database has said, as one of them, that the scope sees it
 * (live.c); hello, resync and heartbeats go to every client.
 *
 * Ownership: when the peer goes, libevent detaches the request from its
 * connection and calls the close callback; the request is then ours to free.
 */
#include "events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "conn.h"

#define MAX_BACKLOG (128 * 1024)
/* what a piece queued in an evbuffer costs at least: a chunk of 1 KiB and its header */
#define CHAIN_COST 1100
/*
 * the kernel's send buffer of a stream: without a bound, Linux grows it to
 * 4 MiB (tcp_wmem) for a client that does not read
 */
#define STREAM_SNDBUF (32 * 1024)
/* a stream is idle by design: the connection's own timeout must not close it */
#define STREAM_TIMEOUT_S (7 * 24 * 3600)

typedef struct Client
{
	Events	   *ev;
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	char		ip[64];
	char		scope[EVENTS_SCOPE_MAX];	/* "" or "*": sees every change */
	char		role[64];		/* the role it was opened as ("": the --db login) */
	int			chunked;		/* the reply has Transfer-Encoding: chunked (HTTP/1.1) */
	struct Client *prev,
			   *next;
} Client;

struct Events
{
	struct event *heartbeat;
	Client	   *clients;
	int			nclients;
	int			max_clients;
	int			max_per_ip;
	long long	refused_per_ip;
	long long	next_id;
	long long	sent;
	long long	dropped;
};

static void
client_unlink(Client *c)
{
	Events	   *ev = c->ev;

	if (c->prev)
		c->prev->next = c->next;
	else
		ev->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ev->nclients--;
}

static void
on_client_close(struct evhttp_connection *evcon, void *arg)
{
	Client	   *c = arg;

	(void) evcon;
	client_unlink(c);
	/* detached by libevent (peer gone): ours to free; still attached: libevent frees it */
	if (evhttp_request_get_connection(c->req) == NULL)
		evhttp_request_free(c->req);
	free(c);
}

/* end one stream politely (the last chunk is written, then the connection closes) */
static void
client_end(Client *c)
{
	struct evhttp_request *req = c->req;

	evhttp_connection_set_closecb(c->evcon, NULL, NULL);
	client_unlink(c);
	free(c);
	evhttp_send_reply_end(req);
}

/* the memory the client's output buffer holds: its bytes, and a chunk per piece */
static size_t
backlog(const Client *c)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);
	struct evbuffer *out = bev ? bufferevent_get_output(bev) : NULL;
	size_t		len = out ? evbuffer_get_length(out) : 0;

	if (len == 0)
		return 0;
	return len + (size_t) evbuffer_peek(out, -1, NULL, NULL, 0) * CHAIN_COST;
}

/* a client that does not read: its connection is closed now, and its buffer freed with it */
static void
client_drop(Client *c)
{
	struct evhttp_connection *evcon = c->evcon;

	c->ev->dropped++;
	evhttp_connection_set_closecb(evcon, NULL, NULL);
	client_unlink(c);
	free(c);
	/* the request is the connection's and freed with it */
	evhttp_connection_free(evcon);
}

/*
 * Queue text on the client's connection, framed as evhttp_send_reply_chunk()
 * would, but copied into the output buffer's last chunk: evhttp would move a
 * chunk of 1 KiB or more per event, whatever its length.
 */
static void
client_write(Client *c, const char *text, size_t len)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);
	struct evbuffer *out;

	if (bev == NULL || len == 0)
		return;
	out = bufferevent_get_output(bev);
	if (c->chunked)
		evbuffer_add_printf(out, "%zx\r\n", len);
	evbuffer_add(out, text, len);
	if (c->chunked)
		evbuffer_add(out, "\r\n", 2);
	bufferevent_enable(bev, EV_WRITE);
}

static int
client_sees_all(const Client *c)
{
	return c->scope[0] == '\0' || strcmp(c->scope, "*") == 0;
}

/* the client is one scope asks for: NULL every client, EVENTS_SEES_ALL those that see everything */
static int
client_in(const Client *c, const char *scope)
{
	if (scope == NULL)
		return 1;
	if (strcmp(scope, EVENTS_SEES_ALL) == 0)
		return client_sees_all(c);
	return !client_sees_all(c) && strcmp(c->scope, scope) == 0;
}

/* write text to the clients of scope; clients that fall too far behind are closed */
static void
send_all(Events *ev, const char *text, size_t len, int is_event, const char *scope)
{
	Client	   *c,
			   *next;

	for (c = ev->clients; c; c = next)
	{
		size_t		queued;

		next = c->next;
		if (!client_in(c, scope))
			continue;
		queued = backlog(c);
		if (queued + len + CHAIN_COST > MAX_BACKLOG)
		{
			client_drop(c);
			continue;
		}
		/* a heartbeat behind data still waiting tells nothing new */
		if (!is_event && queued > 0)
			continue;
		client_write(c, text, len);
		if (is_event)
			ev->sent++;
	}
}

static void
on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
	static const char ping[] = ": ping\n\n";
	Events	   *ev = arg;

	(void) fd;
	(void) what;
	send_all(ev, ping, sizeof ping - 1, 0, NULL);
}

Events *
events_create(struct event_base *base, int max_clients, int heartbeat_s)
{
	Events	   *ev = calloc(1, sizeof(Events));
	struct timeval tv = {heartbeat_s, 0};

	if (ev == NULL)
		return NULL;
	ev->max_clients = max_clients;
	ev->heartbeat = event_new(base, -1, EV_PERSIST, on_heartbeat, ev);
	if (ev->heartbeat == NULL || event_add(ev->heartbeat, &tv) != 0)
	{
		events_free(ev);
		return NULL;
	}
	return ev;
}

void
events_close_all(Events *ev)
{
	if (ev == NULL)
		return;
	while (ev->clients)
		client_end(ev->clients);
	if (ev->heartbeat)
		event_del(ev->heartbeat);
}

void
events_free(Events *ev)
{
	if (ev == NULL)
		return;
	events_close_all(ev);
	if (ev->heartbeat)
		event_free(ev->heartbeat);
	free(ev);
}

int
events_has_room(const Events *ev)
{
	return ev->nclients < ev->max_clients;
}

void
events_set_max_per_ip(Events *ev, int max_per_ip)
{
	ev->max_per_ip = max_per_ip;
}

int
events_has_room_for(Events *ev, struct evhttp_connection *evcon)
{
	char		ip[64];
	int			n = 0;

	if (!events_has_room(ev))
		return 0;
	if (ev->max_per_ip <= 0)
		return 1;
	conn_peer_ip(evcon, ip, sizeof ip);
	for (const Client *c = ev->clients; c; c = c->next)
		if (strcmp(c->ip, ip) == 0)
			n++;
	if (n < ev->max_per_ip)
		return 1;
	ev->refused_per_ip++;
	conn_log(CONN_LOG_STREAMS, "%s has %d change streams open (--max-streams-per-ip): refused another", ip, n);
	return 0;
}

int
events_add(Events *ev, struct evhttp_request *req, const char *scope, const char *role)
{
	Client	   *c = calloc(1, sizeof(Client));
	struct evbuffer *b = evbuffer_new();

	if (c == NULL || b == NULL)
		goto fail;
	snprintf(c->scope, sizeof c->scope, "%s", scope ? scope : "");
	snprintf(c->role, sizeof c->role, "%s", role ? role : "");
	c->ev = ev;
	c->req = req;
	c->evcon = evhttp_request_get_connection(req);
	conn_peer_ip(c->evcon, c->ip, sizeof c->ip);
	{
		struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);
		int			fd = bev ? bufferevent_getfd(bev) : -1;
		int			sz = STREAM_SNDBUF;

		if (fd >= 0)
			(void) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
	}
	evhttp_connection_set_timeout(c->evcon, STREAM_TIMEOUT_S);
	evhttp_send_reply_start(req, 200, "OK");
	{
		const char *te = evhttp_find_header(evhttp_request_get_output_headers(req), "Transfer-Encoding");

		c->chunked = te != NULL && strcasecmp(te, "chunked") == 0;
	}
	evbuffer_add_printf(b, "retry: 2000\nevent: hello\ndata: {\"next_id\":%lld}\n\n", ev->next_id + 1);
	evhttp_send_reply_chunk(req, b);
	evbuffer_free(b);
	c->next = ev->clients;
	if (ev->clients)
		ev->clients->prev = c;
	ev->clients = c;
	ev->nclients++;
	evhttp_connection_set_closecb(c->evcon, on_client_close, c);
	return 0;
fail:
	free(c);
	if (b)
		evbuffer_free(b);
	return -1;
}

long long
events_new_id(Events *ev)
{
	return ++ev->next_id;
}

void
events_send(Events *ev, long long id, const char *name, const char *data, const char *scope)
{
	size_t		dlen = strlen(data);
	size_t		cap = dlen + strlen(name) + 64;
	char	   *text;
	int			n;

	if (ev == NULL || ev->clients == NULL || (text = malloc(cap)) == NULL)
		return;
	n = snprintf(text, cap, "id: %lld\nevent: %s\ndata: ", id, name);
	/* one data line: a line break inside the data would end the field */
	for (size_t i = 0; i < dlen; i++)
		text[n++] = (data[i] == '\n' || data[i] == '\r') ? ' ' : data[i];
	text[n++] = '\n';
	text[n++] = '\n';
	send_all(ev, text, (size_t) n, 1, scope);
	free(text);
}

void
events_broadcast(Events *ev, const char *name, const char *data)
{
	if (ev == NULL)
		return;
	events_send(ev, events_new_id(ev), name, data, NULL);
}

int
events_each_scope(Events *ev, EventsScopeCb cb, void *arg)
{
	int			n = 0;

	for (Client *c = ev->clients; c; c = c->next)
	{
		int			first = 1;

		if (client_sees_all(c))
			continue;
		/* the first client of its scope in the list */
		for (Client *d = ev->clients; d != c && first; d = d->next)
			first = client_sees_all(d) || strcmp(d->scope, c->scope) != 0;
		if (!first)
			continue;
		n++;
		if (cb)
			cb(c->scope, c->role, arg);
	}
	return n;
}

void
events_stats(const Events *ev, EventsStats *out)
{
	out->clients = ev->nclients;
	out->sent = ev->sent;
	out->dropped = ev->dropped;
	out->refused_per_ip = ev->refused_per_ip;
}
