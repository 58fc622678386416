/*
 * conn_internal.h - the connection limits' state, shared by conn.c (accept,
 * settle, deadlines, the ceiling's pause, life cycle), conn_rec.c (the records
 * of open connections, closing one evhttp still owns) and conn_sys.c (what is
 * asked of the system); not for conn's users, who see conn.h.
 */
#ifndef TAILINGS_CONN_INTERNAL_H
#define TAILINGS_CONN_INTERNAL_H

#include "conn.h"

#include <event2/bufferevent.h>

/* where the scan of a connection's input for bodies over the limit is (conn_body.c) */
typedef struct ConnBody
{
	int			state;
	unsigned long long base;	/* offset of the input buffer's first byte from the connection's start */
	unsigned long long pos;		/* of the next byte to look at */
	unsigned long long remaining;	/* of the body or the chunk being skipped */
	unsigned long long total;	/* a chunked body's bytes so far */
	long long	length;			/* Content-Length, -1 when none */
	int			chunked;
	int			head_lines;		/* lines of the head so far */
	unsigned long long head_start;	/* offset of the head being read */
} ConnBody;

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
	ConnBody	body;
	int			too_large;		/* the next request's body is over the limit: 413 once it may be */
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

typedef enum ConnReply
{
	REPLY_NONE,
	REPLY_408,
	REPLY_413,
	REPLY_503_IP
} ConnReply;

/* conn_rec.c: the records */
/* evhttp keeps its event callback on the bufferevent (the read one is unset while writing) */
int			conn_alive(const ConnRec *r);
/* the connection accepted first among those waiting for a request head (none: NULL) */
ConnRec    *conn_oldest_waiting(Conns *c);
/* forget a record: its connection is gone (or the server is stopping) */
void		conn_release(ConnRec *r);
/* settled connections from ip counted against its cap; sweep: releasing the gone ones */
int			conn_ip_count(Conns *c, const char *ip, int sweep);
/* index a settled record by its descriptor (not indexed when out of memory) */
void		conn_index(Conns *c, ConnRec *r);
/* the record of a request's connection; NULL when it has none */
ConnRec    *conn_of(Conns *c, struct evhttp_request *req);

/* conn_rec.c: closing */
/*
 * Close a connection whose request has not reached on_request, after writing
 * a reply to its socket (unless REPLY_NONE).
 */
void		conn_kill(ConnRec *r, ConnReply reply);
/* stop reading a closed connection's socket and close it */
void		conn_linger_end(Linger *l);

/* conn_body.c: the scan for bodies over the limit starts at the input buffer's first byte */
void		conn_body_reset(ConnRec *r);
/*
 * look at what arrived; 1 when the request being read has a body over the
 * limit (its head starts at body.head_start: at or before body.base, no
 * request before it is still in the buffer, unread by evhttp)
 */
int			conn_body_scan(ConnRec *r, struct evbuffer *buf);

/* conn_sys.c: the text of a socket's peer address, "" when unknown */
void		conn_fd_ip(int fd, char *buf, size_t len);

#endif
