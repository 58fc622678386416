/*
 * conn_rec.c - the records of open connections: the index by descriptor, which
 * are gone, the count by client address; and closing a connection evhttp
 * still owns, with a reply written to its socket and its last bytes read
 * (lingering).  See conn.c for why and when.
 */
#include "conn_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>

#define LINGER_S 2
#define MAX_LINGERING 8

/* ---------------------------------------------------------------------------
 * records
 */
int
conn_alive(const ConnRec *r)
{
	bufferevent_event_cb ecb = NULL;

	bufferevent_getcb(r->bev, NULL, NULL, &ecb, NULL);
	return ecb != NULL;
}

ConnRec *
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

void
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

int
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

void
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

ConnRec *
conn_of(Conns *c, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	int			fd = bev ? bufferevent_getfd(bev) : -1;

	if (fd < 0 || fd >= c->nbyfd || c->byfd[fd] == NULL || c->byfd[fd]->bev != bev)
		return NULL;
	return c->byfd[fd];
}

/* ---------------------------------------------------------------------------
 * closing
 */
/* an answer written to the socket directly: the request never reached evhttp's callback */
static int
conn_send_reply(int fd, ConnReply which)
{
	const char *status = which == REPLY_408 ? "408 Request Timeout"
		: which == REPLY_413 ? "413 Payload Too Large" : "503 Service Unavailable";
	const char *body = which == REPLY_408
		? "{\"error\":\"the request did not arrive in time\",\"status\":408}\n"
		: which == REPLY_413 ? "{\"error\":\"the body is larger than the server takes (--max-body-mb)\",\"status\":413}\n"
		: "{\"error\":\"too many connections from your address\",\"status\":503}\n";
	char		buf[512];
	int			n = snprintf(buf, sizeof buf,
							 "HTTP/1.1 %s\r\nContent-Type: application/json\r\nConnection: close\r\n"
							 "Access-Control-Allow-Origin: *\r\n%sContent-Length: %zu\r\n\r\n%s",
							 status, which == REPLY_503_IP ? "Retry-After: 1\r\n" : "", strlen(body), body);

	return send(fd, buf, (size_t) n, MSG_DONTWAIT | MSG_NOSIGNAL) > 0;
}

void
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

void
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
