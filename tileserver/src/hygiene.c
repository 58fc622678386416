/*
 * hygiene.c - what a request must be before it is routed: one unambiguous
 * message length, and a Host this server answers for.
 */
#include "http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>

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

int
http_hygiene(Req *r)
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
