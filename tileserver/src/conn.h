/*
 * conn.h - connection limits of tailings-tileserver: a ceiling on open
 * connections below the descriptor limit (the listener pauses instead of
 * spinning on EMFILE), a cap per client address, a deadline for the request
 * head, and rate-limited error logging.
 */
#ifndef TAILINGS_CONN_H
#define TAILINGS_CONN_H

#include <event2/event.h>
#include <event2/http.h>

typedef struct Conns Conns;

typedef struct ConnLimits
{
	int			max_conns;		/* open connections at most (> 0) */
	int			max_per_ip;		/* from one client address; 0: no cap */
	int			header_timeout_s;	/* the request head (and body) must arrive within this */
	unsigned long long max_body;	/* a request body's bytes at most (413 beyond); 0: no limit here */
} ConnLimits;

typedef struct ConnStats
{
	int			open;			/* connections open now */
	int			max_conns;
	long long	accepted;
	long long	refused_per_ip; /* closed at once: their address had max_per_ip open */
	long long	header_timeouts;	/* closed: the request head did not arrive in time */
	long long	evicted;		/* closed at the ceiling: waiting longest for a request head */
	long long	paused;			/* times the ceiling was reached and accepting paused */
	long long	accept_errors;
	long long	bodies_refused; /* closed with 413: a body over --max-body-mb */
} ConnStats;

/* rate-limited stderr lines: at most one a second per kind, with a count of the ones left out */
typedef enum ConnLogKind
{
	CONN_LOG_ACCEPT,
	CONN_LOG_PER_IP,
	CONN_LOG_CEILING,
	CONN_LOG_STREAMS,
	CONN_LOG_BODY,
	CONN_LOG_AUTH,
	CONN_LOG_KINDS
} ConnLogKind;

/*
 * The default ceiling for a descriptor limit of nofile and a database pool of
 * pool connections: nofile minus a reserve for the pool, the listener, the
 * change listener, the event loop and static files being sent.
 */
int			conn_default_max(long nofile, int pool);

/* the soft descriptor limit, raised to the hard limit (at most 1 << 20) when it can be */
long		conn_raise_nofile(void);

/* Install on http (before any connection is accepted); NULL when out of memory. */
Conns	   *conn_create(struct event_base *base, struct evhttp *http, const ConnLimits *lim);
/* the listening socket whose accepting is paused at the ceiling */
void		conn_set_listener(Conns *c, struct evhttp_bound_socket *bound);
/* before the bound socket is freed */
void		conn_forget_listener(Conns *c);

/*
 * A request has arrived whole (on_request): its connection's deadline is
 * stopped; once answered, the next request's head must arrive within the
 * timeout of its first byte.
 */
void		conn_request_begin(Conns *c, struct evhttp_request *req);

void		conn_stats(Conns *c, ConnStats *out);
/* after evhttp_free(): drops what is left */
void		conn_free(Conns *c);

void		conn_log(ConnLogKind kind, const char *fmt,...) __attribute__((format(printf, 2, 3)));

/* "a.b.c.d" or the IPv6 text of a connection's peer, "" when unknown */
void		conn_peer_ip(struct evhttp_connection *evcon, char *buf, size_t len);

#endif
