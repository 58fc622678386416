/*
 * conn.c - connection limits: ceiling, cap per client address, deadline for
 * the request head.  The records of the connections and closing them are in
 * conn_rec.c, the system calls and the rate-limited log in conn_sys.c.
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
#include "conn_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#define SWEEP_MS 1000
#define PAUSED_SWEEP_MS 100
#define ACCEPT_ERROR_PAUSE_MS 100

/* ---------------------------------------------------------------------------
 * the ceiling
 */
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

static void
conn_sweep_all(Conns *c)
{
	for (int fd = 0; fd < c->nbyfd; fd++)
		if (c->byfd[fd] && !conn_alive(c->byfd[fd]))
			conn_release(c->byfd[fd]);
	conn_update_pause(c);
}

/* ---------------------------------------------------------------------------
 * accepting, settling, deadlines
 */
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

/* close a connection whose next request's body is over the limit, with 413 */
static void
conn_refuse_body(ConnRec *r)
{
	r->c->st.bodies_refused++;
	conn_log(CONN_LOG_BODY, "%s sent a body over --max-body-mb: 413, closed", r->ip);
	conn_kill(r, REPLY_413);
}

/*
 * Bytes arrived (or evhttp took some): the head of a request after the first
 * must be whole within the timeout; a body over the limit is refused as soon
 * as that is known (conn_body.c), unless a request of the connection is being
 * answered (then when it has been: conn_on_complete).
 */
static void
conn_on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	ConnRec    *r = arg;

	r->body.base += info->n_deleted;
	if (info->n_added == 0)
		return;
	if (!r->got_bytes)
	{
		r->got_bytes = 1;
		if (!r->in_request && !evtimer_pending(r->deadline, NULL))
			conn_arm(r);
	}
	/* a request before it still in the buffer: refused once that one is answered (conn_on_complete) */
	if (r->fd >= 0 && !r->in_request && conn_body_scan(r, buf) && r->body.head_start <= r->body.base &&
		conn_alive(r))
		conn_refuse_body(r);
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
		else if (r->too_large && !r->in_request)
			conn_refuse_body(r);
		else
			r->too_large = 0;
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
	/* a pipelined request already waiting: its time runs from now, its body is looked at now */
	conn_body_reset(r);
	if (evbuffer_get_length(bufferevent_get_input(r->bev)) > 0)
	{
		r->got_bytes = 1;
		conn_arm(r);
		/* refused once evhttp is done with this request (conn_on_soon), before it reads the next */
		r->too_large = conn_body_scan(r, bufferevent_get_input(r->bev));
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
