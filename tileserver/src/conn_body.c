/*
 * conn_body.c - the limit on request bodies (--max-body-mb), applied as the
 * bytes arrive rather than once a body has been read whole.
 *
 * libevent 2.1's evhttp reads a whole body before the server sees its
 * request, and answers a body over its limit itself, with an HTML page.  So
 * the connection's input is read alongside it: each request's head, as its
 * lines complete (evhttp takes a line only once it is whole, after this
 * callback has seen it), for Content-Length and Transfer-Encoding; then the
 * body is skipped (a fixed length) or its chunks counted (chunked).  A
 * declared length over the limit is refused as soon as the head is whole, a
 * chunked body as soon as its chunks add up to more: the client gets 413
 * with a JSON body and the connection is closed (its last bytes read, so that
 * it sees the answer), before the body is read.  evhttp's own limit stays as
 * a backstop.
 *
 * Offsets are counted from the connection's start: base is the offset of the
 * input buffer's first byte (evhttp drains from the front), pos the next byte
 * to look at.  When a request has been answered, the next one's head starts
 * at the buffer's first byte (evhttp reads no further meanwhile): the scan
 * starts again there.
 */
#include "conn_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

/* a line longer than this is evhttp's to refuse; the scan stops */
#define BODY_LINE_MAX 16384

enum
{
	BODY_HEAD,					/* the request line and the headers */
	BODY_FIXED,					/* remaining bytes of a Content-Length body */
	BODY_CHUNK_SIZE,			/* a chunk's size line */
	BODY_CHUNK_DATA,			/* remaining bytes of a chunk, then its CRLF */
	BODY_CHUNK_END,				/* the CRLF after a chunk's data */
	BODY_TRAILER,				/* trailer lines up to an empty one */
	BODY_DONE					/* not followed (a malformed message): evhttp refuses it */
};

/* the next request's head starts at pos */
static void
next_request(ConnRec *r)
{
	r->body.state = BODY_HEAD;
	r->body.length = -1;
	r->body.chunked = 0;
	r->body.total = 0;
	r->body.remaining = 0;
	r->body.head_lines = 0;
	r->body.head_start = r->body.pos;
}

void
conn_body_reset(ConnRec *r)
{
	r->body.pos = r->body.base;
	next_request(r);
}

/* the next whole line at pos, without its CR LF, into line (NUL-terminated); 0 when none yet, -1 too long */
static int
next_line(ConnRec *r, struct evbuffer *buf, char *line, size_t cap)
{
	struct evbuffer_ptr start,
				nl;
	size_t		off = (size_t) (r->body.pos - r->body.base);
	size_t		len;

	if (evbuffer_ptr_set(buf, &start, off, EVBUFFER_PTR_SET) != 0)
		return 0;
	nl = evbuffer_search(buf, "\n", 1, &start);
	if (nl.pos < 0)
		return evbuffer_get_length(buf) - off > BODY_LINE_MAX ? -1 : 0;
	len = (size_t) nl.pos - off;
	if (len >= cap)
		return -1;
	evbuffer_copyout_from(buf, &start, line, len);
	if (len > 0 && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	r->body.pos += (size_t) nl.pos - off + 1;
	return 1;
}

/* one header line of the head: the length or the coding of its body */
static void
head_line(ConnRec *r, const char *line)
{
	const char *colon = strchr(line, ':');
	const char *v;

	if (colon == NULL)
		return;
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	if ((size_t) (colon - line) == 14 && strncasecmp(line, "Content-Length", 14) == 0)
	{
		/* hygiene.c refuses what is not all digits; a value too long to count is over any limit */
		r->body.length = strspn(v, "0123456789") > 18 ? LLONG_MAX : atoll(v);
	}
	else if ((size_t) (colon - line) == 17 && strncasecmp(line, "Transfer-Encoding", 17) == 0)
		r->body.chunked = strncasecmp(v, "chunked", 7) == 0;
}

/* the head is whole: 1 when its body is declared over the limit; else the body's state */
static int
head_done(ConnRec *r)
{
	if (r->body.chunked)
	{
		r->body.state = BODY_CHUNK_SIZE;
		return 0;
	}
	if (r->body.length > 0 && (unsigned long long) r->body.length > r->c->lim.max_body)
	{
		r->body.state = BODY_DONE;
		return 1;
	}
	if (r->body.length > 0)
	{
		r->body.remaining = (unsigned long long) r->body.length;
		r->body.state = BODY_FIXED;
	}
	else
		next_request(r);
	return 0;
}

/* skip what remains of a body or a chunk, as far as the buffer goes; 1 when it all went */
static int
skip(ConnRec *r, struct evbuffer *buf)
{
	unsigned long long end = r->body.base + evbuffer_get_length(buf);
	unsigned long long n = end - r->body.pos;

	if (n > r->body.remaining)
		n = r->body.remaining;
	r->body.pos += n;
	r->body.remaining -= n;
	return r->body.remaining == 0;
}

/* a chunk's size line: the size counted, 1 when the chunks are over the limit */
static int
chunk_size(ConnRec *r, const char *line)
{
	char	   *end;
	unsigned long long size = strtoull(line, &end, 16);

	if (end == line || size > (1ULL << 40))
	{
		r->body.state = BODY_DONE;
		return 0;
	}
	r->body.total += size;
	if (r->body.total > r->c->lim.max_body)
	{
		r->body.state = BODY_DONE;
		return 1;
	}
	r->body.remaining = size;
	r->body.state = size ? BODY_CHUNK_DATA : BODY_TRAILER;
	return 0;
}

int
conn_body_scan(ConnRec *r, struct evbuffer *buf)
{
	char		line[BODY_LINE_MAX + 1];
	int			got;

	if (r->c->lim.max_body == 0)
		return 0;
	if (r->body.pos < r->body.base)
		conn_body_reset(r);
	for (;;)
		switch (r->body.state)
		{
			case BODY_FIXED:
				if (!skip(r, buf))
					return 0;
				next_request(r);
				break;
			case BODY_CHUNK_DATA:
				if (!skip(r, buf))
					return 0;
				r->body.state = BODY_CHUNK_END;
				break;
			case BODY_DONE:
				return 0;
			default:
				if ((got = next_line(r, buf, line, sizeof line)) <= 0)
				{
					if (got < 0)
						r->body.state = BODY_DONE;
					return 0;
				}
				if (r->body.state == BODY_HEAD && line[0] == '\0' && r->body.head_lines == 0)
				{
					r->body.head_start = r->body.pos;	/* a blank line between requests */
					break;
				}
				if (r->body.state == BODY_HEAD)
				{
					r->body.head_lines++;
					if (line[0] != '\0')
						head_line(r, line);
					else if (head_done(r))
						return 1;
				}
				else if (r->body.state == BODY_CHUNK_SIZE)
				{
					if (chunk_size(r, line))
						return 1;
				}
				else if (r->body.state == BODY_CHUNK_END)
					r->body.state = BODY_CHUNK_SIZE;
				else if (line[0] == '\0')	/* BODY_TRAILER */
					next_request(r);
		}
}
