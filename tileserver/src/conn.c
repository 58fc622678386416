/*
 * conn.c - connection limits: ceiling, cap per client address, deadline for
 * the request head, rate-limited logging.
 *
 * libevent 2.1's evhttp has no hook at accept nor at close.  It does let us
 * make each connection's bufferevent (evhttp_set_bevcb), which is called as a
 * connection is accepted: that is where connections are counted, and where
 * accepting pauses (evconnlistener_disable) when the ceiling is reached, so
 * the kernel's backlog holds new clients instead of accept() failing with
 * EMFILE in a loop.  We keep a reference on the bufferevent (so its memory
 * stays ours to look at), and the connection is gone once evhttp has freed it:
 * bufferevent_free() clears its callbacks.  The bufferevent closes its socket
 * (BEV_OPT_CLOSE_ON_FREE) only when our reference goes too, after its events
 * are deleted: the descriptor cannot be reused under a registered event.
 * Gone connections are found by a sweep every second, whenever a limit is
 * reached, and right after a request is answered.
 *
 * The address cap and the deadline need the socket, which evhttp sets on the
 * bufferevent after our callback returns: a "settle" event, made active from
 * the callback, runs before the new connection's first read.
 *
 * To close a connection evhttp still owns (its address is over the cap, or
 * its head is late), we call evhttp_connection_free() on the connection,
 * which evhttp gives as the argument of its bufferevent callbacks (read with
 * bufferevent_getcb()).  This is only done while no request of the connection
 * has reached on_request.
 */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#define SWEEP_MS 1000
#define PAUSED_SWEEP_MS 100
#define ACCEPT_ERROR_PAUSE_MS 100
#define LINGER_S 2
#define MAX_LINGERING 8

typedef struct ConnRec
{
	Conns	   *c;
	struct bufferevent *bev;	/* one reference is ours */
	int			fd;				/* -1 until settled */
	char		ip[64];
	int			counted_ip;		/* counted against its address's cap */
	int			got_bytes;		/* bytes of the next request have arrived */
	int			in_request;		/* a request is with on_request until answered */
	int			first;			/* no request answered yet */
	unsigned long long seq;		/* order of acceptance */
	struct event *deadline;
	struct evbuffer_cb_entry *incb;
	struct ConnRec *next_pending;
	struct ConnRec *next_check;	/* to look at soon: its request was answered */
	int			to_check;
} ConnRec;

struct Conns
{
	struct event_base *base;
	ConnLimits	lim;
	struct evconnlistener *lev;
	int			paused;
	ConnRec	  **byfd;			/* settled connections by descriptor */
	int			nbyfd;
	ConnRec    *pending;		/* made, not settled yet */
	struct event *settle;
	struct event *sweep;
	struct event *resume;
	struct event *soon;
	ConnRec    *checks;
	int			evicted_now;	/* closed to make room in this turn of the loop */
	int			lingering;		/* closed connections whose last bytes are being read */
	struct Linger *lingers;
	unsigned long long seq;
	ConnStats	st;
};

/* a closed connection's socket (a dup), read until the client closes it or LINGER_S */
typedef struct Linger
{
	Conns	   *c;
	int			fd;
	struct event *ev;
	struct Linger *prev,
			   *next;
} Linger;

/* ---------------------------------------------------------------------------
 * logging
 */
void
conn_log(ConnLogKind kind, const char *fmt,...)
{
	static time_t last[CONN_LOG_KINDS];
	static long suppressed[CONN_LOG_KINDS];
	time_t		now = time(NULL);
	va_list		ap;

	if ((int) kind < 0 || kind >= CONN_LOG_KINDS)
		return;
	if (last[kind] == now)
	{
		suppressed[kind]++;
		return;
	}
	last[kind] = now;
	fputs("tailings-tileserver: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (suppressed[kind])
		fprintf(stderr, " (and %ld more like this)", suppressed[kind]);
	fputc('\n', stderr);
	suppressed[kind] = 0;
}

/* ---------------------------------------------------------------------------
 * limits
 */
int
conn_default_max(long nofile, int pool)
{
	long		reserve = pool + 32 + nofile / 8;
	long		n = nofile - reserve;

	if (n < 16)
		n = 16;
	if (n > 1000000)
		n = 1000000;
	return (int) n;
}

long
conn_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max)
	{
		struct rlimit want = rl;

		want.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (1 << 20) ? (1 << 20) : rl.rlim_max;
		if (want.rlim_cur > rl.rlim_cur && setrlimit(RLIMIT_NOFILE, &want) == 0)
			rl = want;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1 << 20))
		return 1 << 20;
	return (long) rl.rlim_cur;
}

void
conn_peer_ip(struct evhttp_connection *evcon, char *buf, size_t len)
{
	char	   *addr = NULL;
	ev_uint16_t port = 0;

	buf[0] = '\0';
	if (evcon)
		evhttp_connection_get_peer(evcon, &addr, &port);
	if (addr)
		snprintf(buf, len, "%s", addr);
}

static void
conn_fd_ip(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t	sl = sizeof ss;

	buf[0] = '\0';
	if (getpeername(fd, (struct sockaddr *) &ss, &sl) != 0)
		return;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *) &ss)->sin_addr, buf, (socklen_t) len);
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *) &ss)->sin6_addr, buf, (socklen_t) len);
}

/* ---------------------------------------------------------------------------
 * records
 */
/* evhttp keeps its event callback on the bufferevent (the read one is unset while writing) */
static int
conn_alive(const ConnRec *r)
{
	bufferevent_event_cb ecb = NULL;

	bufferevent_getcb(r->bev, NULL, NULL, &ecb, NULL);
	return ecb != NULL;
}

/* the connection accepted first among those waiting for a request head (none: NULL) */
static ConnRec *
conn_oldest_waiting(Conns *c)
{
	ConnRec    *best = NULL;

	for (int fd = 0; fd < c->nbyfd; fd++)
	{
		ConnRec    *r = c->byfd[fd];

		if (r && !r->in_request && conn_alive(r) && (best == NULL || r->seq < best->seq))
			best = r;
	}
	return best;
}

static void
conn_update_pause(Conns *c)
{
	struct timeval tv = {0, PAUSED_SWEEP_MS * 1000};

	if (c->lev == NULL)
		return;
	if (!c->paused && c->st.open >= c->lim.max_conns && conn_oldest_waiting(c) == NULL)
	{
		evconnlistener_disable(c->lev);
		c->paused = 1;
		c->st.paused++;
		conn_log(CONN_LOG_CEILING, "%d connections open (--max-conns): new ones wait until some close",
				 c->st.open);
		event_add(c->sweep, &tv);
	}
	else if (c->paused && !evtimer_pending(c->resume, NULL) &&
			 (c->st.open < c->lim.max_conns || conn_oldest_waiting(c) != NULL))
	{
		evconnlistener_enable(c->lev);
		c->paused = 0;
	}
}

/* forget a record: its connection is gone (or the server is stopping) */
static void
conn_release(ConnRec *r)
{
	Conns	   *c = r->c;

	if (r->fd >= 0 && r->fd < c->nbyfd && c->byfd[r->fd] == r)
		c->byfd[r->fd] = NULL;
	if (r->to_check)
		for (ConnRec **p = &c->checks; *p; p = &(*p)->next_check)
			if (*p == r)
			{
				*p = r->next_check;
				break;
			}
	if (r->deadline)
		event_free(r->deadline);
	if (r->incb)
		evbuffer_remove_cb_entry(bufferevent_get_input(r->bev), r->incb);
	bufferevent_decref(r->bev);
	c->st.open--;
	free(r);
}

static int
conn_ip_count(Conns *c, const char *ip, int sweep)
{
	int			n = 0;

	for (int fd = 0; fd < c->nbyfd; fd++)
	{
		ConnRec    *r = c->byfd[fd];

		if (r == NULL || !r->counted_ip || strcmp(r->ip, ip) != 0)
			continue;
		if (sweep && !conn_alive(r))
		{
			conn_release(r);
			continue;
		}
		n++;
	}
	return n;
}

static void
conn_sweep_all(Conns *c)
{
	for (int fd = 0; fd < c->nbyfd; fd++)
		if (c->byfd[fd] && !conn_alive(c->byfd[fd]))
			conn_release(c->byfd[fd]);
	conn_update_pause(c);
}

typedef enum ConnReply
{
	REPLY_NONE,
	REPLY_408,
	REPLY_503_IP
} ConnReply;

/* an answer written to the socket directly: the request never reached evhttp's callback */
static int
conn_send_reply(int fd, ConnReply which)
{
	const char *status = which == REPLY_408 ? "408 Request Timeout" : "503 Service Unavailable";
	const char *body = which == REPLY_408
		? "{\"error\":\"the request did not arrive in time\",\"status\":408}\n"
		: "{\"error\":\"too many connections from your address\",\"status\":503}\n";
	char		buf[512];
	int			n = snprintf(buf, sizeof buf,
							 "HTTP/1.1 %s\r\nContent-Type: application/json\r\nConnection: close\r\n"
							 "Access-Control-Allow-Origin: *\r\n%sContent-Length: %zu\r\n\r\n%s",
							 status, which == REPLY_503_IP ? "Retry-After: 1\r\n" : "", strlen(body), body);

	return send(fd, buf, (size_t) n, MSG_DONTWAIT | MSG_NOSIGNAL) > 0;
}

static void
conn_linger_end(Linger *l)
{
	if (l->prev)
		l->prev->next = l->next;
	else
		l->c->lingers = l->next;
	if (l->next)
		l->next->prev = l->prev;
	l->c->lingering--;
	event_free(l->ev);
	close(l->fd);
	free(l);
}

static void
conn_on_linger(evutil_socket_t fd, short what, void *arg)
{
	Linger	   *l = arg;
	char		sink[4096];
	ssize_t		n = 0;

	if (what & EV_READ)
		for (int i = 0; i < 16 && (n = recv(fd, sink, sizeof sink, MSG_DONTWAIT)) > 0; i++)
			;
	if ((what & EV_TIMEOUT) || n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
		conn_linger_end(l);
}

/*
 * Keep reading what the client still sends on a closed connection for a
 * while: closing a socket with unread bytes resets the connection, and the
 * client would lose the reply written just before.
 */
static void
conn_linger(Conns *c, int fd)
{
	struct timeval tv = {LINGER_S, 0};
	Linger	   *l;
	int			dupfd;

	if (c->lingering >= MAX_LINGERING || (dupfd = dup(fd)) < 0)
		return;
	if ((l = calloc(1, sizeof(Linger))) == NULL ||
		(l->ev = event_new(c->base, dupfd, EV_READ | EV_PERSIST, conn_on_linger, l)) == NULL)
	{
		free(l);
		close(dupfd);
		return;
	}
	l->c = c;
	l->fd = dupfd;
	l->next = c->lingers;
	if (c->lingers)
		c->lingers->prev = l;
	c->lingers = l;
	c->lingering++;
	event_add(l->ev, &tv);
}

/*
 * Close a connection whose request has not reached on_request, after writing
 * a reply to its socket (unless REPLY_NONE).
 */
static void
conn_kill(ConnRec *r, ConnReply reply)
{
	Conns	   *c = r->c;
	bufferevent_event_cb ecb = NULL;
	void	   *evcon = NULL;

	bufferevent_getcb(r->bev, NULL, NULL, &ecb, &evcon);
	if (reply != REPLY_NONE && conn_send_reply(r->fd, reply))
		conn_linger(c, r->fd);
	conn_release(r);
	if (ecb && evcon)
		evhttp_connection_free(evcon);
}

static void
conn_arm(ConnRec *r)
{
	struct timeval tv = {r->c->lim.header_timeout_s, 0};

	evtimer_add(r->deadline, &tv);
}

static void
conn_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	ConnRec    *r = arg;

	(void) fd;
	(void) what;
	if (!conn_alive(r))
	{
		conn_release(r);
		return;
	}
	if (r->in_request || (!r->first && !r->got_bytes))
		return;
	r->c->st.header_timeouts++;
	conn_kill(r, r->got_bytes ? REPLY_408 : REPLY_NONE);
}

/* bytes arrived: the head of a request after the first must be whole within the timeout */
static void
conn_on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	ConnRec    *r = arg;

	(void) buf;
	if (info->n_added == 0 || r->got_bytes)
		return;
	r->got_bytes = 1;
	if (!r->in_request && !evtimer_pending(r->deadline, NULL))
		conn_arm(r);
}

static void
conn_index(Conns *c, ConnRec *r)
{
	if (r->fd >= c->nbyfd)
	{
		int			n = c->nbyfd ? c->nbyfd : 256;
		ConnRec   **grown;

		while (n <= r->fd)
			n *= 2;
		grown = realloc(c->byfd, (size_t) n * sizeof(ConnRec *));
		if (grown == NULL)
			return;				/* not indexed: counted in the total only */
		memset(grown + c->nbyfd, 0, (size_t) (n - c->nbyfd) * sizeof(ConnRec *));
		c->byfd = grown;
		c->nbyfd = n;
	}
	/* a descriptor is reused only once its connection is closed */
	if (c->byfd[r->fd])
		conn_release(c->byfd[r->fd]);
	c->byfd[r->fd] = r;
}

/* the new connections have their sockets now: cap per address, deadline */
static void
conn_on_settle(evutil_socket_t fd, short what, void *arg)
{
	Conns	   *c = arg;

	(void) fd;
	(void) what;
	c->evicted_now = 0;
	while (c->pending)
	{
		ConnRec    *r = c->pending;

		c->pending = r->next_pending;
		r->fd = bufferevent_getfd(r->bev);
		if (!conn_alive(r) || r->fd < 0)
		{
			r->fd = -1;
			conn_release(r);
			continue;
		}
		conn_index(c, r);
		conn_fd_ip(r->fd, r->ip, sizeof r->ip);
		conn_arm(r);
		if (c->lim.max_per_ip > 0 && r->ip[0] && conn_ip_count(c, r->ip, 0) >= c->lim.max_per_ip &&
			conn_ip_count(c, r->ip, 1) >= c->lim.max_per_ip)
		{
			c->st.refused_per_ip++;
			conn_log(CONN_LOG_PER_IP, "%s has %d connections open (--max-conns-per-ip): refused another",
					 r->ip, c->lim.max_per_ip);
			conn_kill(r, REPLY_503_IP);
			continue;
		}
		r->counted_ip = 1;
	}
	conn_update_pause(c);
}

/* evhttp_set_bevcb: a connection is being accepted */
static struct bufferevent *
conn_on_accept(struct event_base *base, void *arg)
{
	Conns	   *c = arg;
	ConnRec    *r = calloc(1, sizeof(ConnRec));

	if (r == NULL)
		return NULL;			/* evhttp makes its own: not counted */
	r->c = c;
	r->fd = -1;
	r->first = 1;
	/* the socket is closed when the last reference goes (see above) */
	r->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	r->deadline = r->bev ? evtimer_new(base, conn_on_deadline, r) : NULL;
	if (r->deadline == NULL)
	{
		if (r->bev)
			bufferevent_free(r->bev);
		free(r);
		return NULL;
	}
	r->incb = evbuffer_add_cb(bufferevent_get_input(r->bev), conn_on_input, r);
	bufferevent_incref(r->bev);
	r->seq = ++c->seq;
	r->next_pending = c->pending;
	c->pending = r;
	c->st.open++;
	c->st.accepted++;
	event_active(c->settle, EV_TIMEOUT, 0);
	/* at the ceiling, the connection waiting longest for its request head makes room */
	if (c->st.open > c->lim.max_conns)
	{
		ConnRec    *old = conn_oldest_waiting(c);

		if (old)
		{
			struct timeval next = {0, 1000};

			/*
			 * an evicted socket is closed when the loop comes round: a burst
			 * of accepts pauses there, or it would run out of descriptors
			 */
			if (++c->evicted_now >= 16 && c->lev && !c->paused)
			{
				evconnlistener_disable(c->lev);
				c->paused = 1;
				evtimer_add(c->resume, &next);
			}
			c->st.evicted++;
			conn_log(CONN_LOG_CEILING, "%d connections open (--max-conns): closed the one waiting longest"
					 " for its request", c->st.open);
			conn_kill(old, old->got_bytes ? REPLY_408 : REPLY_NONE);
		}
	}
	conn_update_pause(c);
	return r->bev;
}

static void
conn_on_sweep(evutil_socket_t fd, short what, void *arg)
{
	Conns	   *c = arg;
	struct timeval tv = {SWEEP_MS / 1000, 0};

	(void) fd;
	(void) what;
	conn_sweep_all(c);
	if (c->paused)
	{
		tv.tv_sec = 0;
		tv.tv_usec = PAUSED_SWEEP_MS * 1000;
	}
	event_add(c->sweep, &tv);
}

/* the connections whose request was just answered: closed by evhttp since? */
static void
conn_on_soon(evutil_socket_t fd, short what, void *arg)
{
	Conns	   *c = arg;

	(void) fd;
	(void) what;
	while (c->checks)
	{
		ConnRec    *r = c->checks;

		c->checks = r->next_check;
		r->to_check = 0;
		if (!conn_alive(r))
			conn_release(r);
	}
	conn_update_pause(c);
}

static void
conn_on_resume(evutil_socket_t fd, short what, void *arg)
{
	(void) fd;
	(void) what;
	conn_sweep_all(arg);
}

/*
 * the Conns of the listener: the listener's callback argument is evhttp's,
 * which the error callback gets too
 */
static Conns *listener_conns;

/* accept() failed (EMFILE, ENFILE, ENOBUFS...): pause instead of trying again at once */
static void
conn_on_accept_error(struct evconnlistener *lev, void *arg)
{
	Conns	   *c = listener_conns;
	int			err = EVUTIL_SOCKET_ERROR();
	struct timeval tv = {0, ACCEPT_ERROR_PAUSE_MS * 1000};

	(void) lev;
	(void) arg;
	if (c == NULL)
		return;
	c->st.accept_errors++;
	conn_log(CONN_LOG_ACCEPT, "accept: %s (%d connections open): pausing %d ms", strerror(err), c->st.open,
			 ACCEPT_ERROR_PAUSE_MS);
	if (c->lev && !c->paused)
	{
		evconnlistener_disable(c->lev);
		c->paused = 1;
	}
	evtimer_add(c->resume, &tv);
}

/* ---------------------------------------------------------------------------
 * life cycle
 */
Conns *
conn_create(struct event_base *base, struct evhttp *http, const ConnLimits *lim)
{
	Conns	   *c = calloc(1, sizeof(Conns));
	struct timeval tv = {SWEEP_MS / 1000, 0};

	if (c == NULL)
		return NULL;
	c->base = base;
	c->lim = *lim;
	if (c->lim.max_conns < 1)
		c->lim.max_conns = 1;
	c->st.max_conns = c->lim.max_conns;
	c->settle = event_new(base, -1, 0, conn_on_settle, c);
	c->sweep = evtimer_new(base, conn_on_sweep, c);
	c->resume = evtimer_new(base, conn_on_resume, c);
	c->soon = event_new(base, -1, 0, conn_on_soon, c);
	if (c->settle == NULL || c->sweep == NULL || c->resume == NULL || c->soon == NULL)
	{
		conn_free(c);
		return NULL;
	}
	event_add(c->sweep, &tv);
	evhttp_set_bevcb(http, conn_on_accept, c);
	return c;
}

void
conn_set_listener(Conns *c, struct evhttp_bound_socket *bound)
{
	c->lev = bound ? evhttp_bound_socket_get_listener(bound) : NULL;
	listener_conns = c->lev ? c : NULL;
	if (c->lev)
		evconnlistener_set_error_cb(c->lev, conn_on_accept_error);
}

void
conn_forget_listener(Conns *c)
{
	if (c == NULL)
		return;
	if (c->lev)
		evconnlistener_set_error_cb(c->lev, NULL);
	if (listener_conns == c)
		listener_conns = NULL;
	c->lev = NULL;
	c->paused = 0;
	if (c->resume)
		event_del(c->resume);
}

static ConnRec *
conn_of(Conns *c, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	int			fd = bev ? bufferevent_getfd(bev) : -1;

	if (fd < 0 || fd >= c->nbyfd || c->byfd[fd] == NULL || c->byfd[fd]->bev != bev)
		return NULL;
	return c->byfd[fd];
}

static void
conn_on_complete(struct evhttp_request *req, void *arg)
{
	ConnRec    *r = conn_of(arg, req);

	if (r == NULL)
		return;
	r->in_request = 0;
	r->first = 0;
	r->got_bytes = 0;
	/* evhttp frees the connection next when it is not kept alive: look then */
	if (!r->to_check)
	{
		r->to_check = 1;
		r->next_check = r->c->checks;
		r->c->checks = r;
		event_active(r->c->soon, EV_TIMEOUT, 0);
	}
	/* a pipelined request already waiting: its time runs from now */
	if (evbuffer_get_length(bufferevent_get_input(r->bev)) > 0)
	{
		r->got_bytes = 1;
		conn_arm(r);
	}
}

void
conn_request_begin(Conns *c, struct evhttp_request *req)
{
	ConnRec    *r;

	if (c == NULL)
		return;
	/* not settled: cannot be, the settle event runs before a new connection's first read */
	if ((r = conn_of(c, req)) == NULL)
		return;
	r->in_request = 1;
	evtimer_del(r->deadline);
	evhttp_request_set_on_complete_cb(req, conn_on_complete, c);
}

void
conn_stats(Conns *c, ConnStats *out)
{
	*out = c->st;
}

void
conn_free(Conns *c)
{
	if (c == NULL)
		return;
	while (c->pending)
	{
		ConnRec    *r = c->pending;

		c->pending = r->next_pending;
		conn_release(r);
	}
	for (int fd = 0; fd < c->nbyfd; fd++)
		if (c->byfd[fd])
			conn_release(c->byfd[fd]);
	free(c->byfd);
	while (c->lingers)
		conn_linger_end(c->lingers);
	if (c->settle)
		event_free(c->settle);
	if (c->sweep)
		event_free(c->sweep);
	if (c->resume)
		event_free(c->resume);
	if (c->soon)
		event_free(c->soon);
	free(c);
}
