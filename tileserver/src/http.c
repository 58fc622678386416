/*
 * http.c - the one reply of every request: headers, gzip of the JSON made per
 * request, HEAD, the access log and the metrics; errors as short JSON; the
 * meaning of database errors to a client.
 */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/keyvalq_struct.h>

#include "metrics.h"
#include "style.h"
#include "tailings/contract.h"

double
http_seconds(const Req *r)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double) (now.tv_sec - r->start.tv_sec) + (double) (now.tv_nsec - r->start.tv_nsec) / 1e9;
}

static const char *
method_name(enum evhttp_cmd_type cmd)
{
	switch (cmd)
	{
		case EVHTTP_REQ_GET:
			return "GET";
		case EVHTTP_REQ_HEAD:
			return "HEAD";
		case EVHTTP_REQ_OPTIONS:
			return "OPTIONS";
		case EVHTTP_REQ_POST:
			return "POST";
		case EVHTTP_REQ_PUT:
			return "PUT";
		case EVHTTP_REQ_DELETE:
			return "DELETE";
		case EVHTTP_REQ_PATCH:
			return "PATCH";
		default:
			return "OTHER";
	}
}


void
http_access_log(Req *r, int status, size_t bytes, double secs, const char *note)
{
	char	   *peer = NULL;
	ev_uint16_t port = 0;
	char		when[32];
	time_t		now = time(NULL);
	struct tm	tm;

	if (!r->s->conf->access_log)
		return;
	if (r->evcon)
		evhttp_connection_get_peer(r->evcon, &peer, &port);
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s %s \"%s %s\" %d %zu %.1fms%s%s\n", when, peer ? peer : "-",
		   method_name(evhttp_request_get_command(r->req)),
		   evhttp_request_get_uri(r->req), status, bytes, secs * 1000, note ? " " : "", note ? note : "");
	fflush(stdout);
}

void
http_req_free(Req *r)
{
	r->s->active--;
	free(r->path);
	free(r);
}

static void
on_connection_close(struct evhttp_connection *evcon, void *arg)
{
	Req		   *r = arg;

	(void) evcon;
	r->gone = 1;
	r->evcon = NULL;
}

void
http_watch_close(Req *r)
{
	evhttp_connection_set_closecb(r->evcon, on_connection_close, r);
}

void
http_common_headers(Req *r, const char *ctype)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);

	if (ctype)
		evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Access-Control-Allow-Origin", r->s->conf->cors_origin);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	if (r->s->shutting_down)
		evhttp_add_header(h, "Connection", "close");
	if (r->evcon)
		evhttp_connection_set_closecb(r->evcon, NULL, NULL);
}

static int
compressible(const char *ctype)
{
	return strncmp(ctype, "application/json", 16) == 0 || strncmp(ctype, "application/geo+json", 20) == 0;
}

/* JSON made per request (the style, the API) is gzipped when the client accepts it */
static size_t
reply_gzip(Req *r, const char *ctype, struct evbuffer *body, size_t bytes)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
	size_t		zlen;
	uint8_t    *z;

	if (ctype == NULL || !compressible(ctype))
		return bytes;
	evhttp_add_header(h, "Vary", "Accept-Encoding");
	if (bytes < 1024 || !http_accepts_gzip(r->req) || evhttp_find_header(h, "Content-Encoding") != NULL)
		return bytes;
	if ((z = cache_gzip(evbuffer_pullup(body, -1), bytes, &zlen)) == NULL)
		return bytes;
	evbuffer_drain(body, bytes);
	evbuffer_add(body, z, zlen);
	free(z);
	evhttp_add_header(h, "Content-Encoding", "gzip");
	return zlen;
}

void
http_reply(Req *r, int status, const char *ctype, struct evbuffer *body, const char *note)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
	double		secs = http_seconds(r);
	size_t		bytes = body ? evbuffer_get_length(body) : 0;

	http_common_headers(r, ctype);
	if (status == 200 && body)
		bytes = reply_gzip(r, ctype, body, bytes);
	if (body && evhttp_request_get_command(r->req) == EVHTTP_REQ_HEAD)
	{
		/* HEAD: the headers a GET would have, no body (libevent would send it) */
		char		len[24];

		snprintf(len, sizeof len, "%zu", bytes);
		evhttp_add_header(h, "Content-Length", len);
		evbuffer_free(body);
		body = NULL;
	}
	evhttp_send_reply(r->req, status, NULL, body);
	if (body)
		evbuffer_free(body);
	metrics_count(r, status, secs);
	http_access_log(r, status, bytes, secs, note);
	http_req_free(r);
}

/* "key": value of a string field of the error (none when absent) */
static void
error_field(struct evbuffer *b, const char *key, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	evbuffer_add_printf(b, ",\"%s\":", key);
	style_json_string(b, value);
}

void
http_error(Req *r, int status, const char *message)
{
	http_error_detail(r, status, message, NULL, NULL);
}

void
http_error_detail(Req *r, int status, const char *message, const char *detail, const char *hint)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
	struct evbuffer *b = evbuffer_new();

	if (status == 503)
		evhttp_add_header(h, "Retry-After", "1");
	evhttp_add_header(h, "Cache-Control", "no-store");
	/* no memory for a body: the status alone */
	if (b != NULL)
	{
		evbuffer_add_printf(b, "{\"error\":");
		style_json_string(b, message);
		evbuffer_add_printf(b, ",\"status\":%d", status);
		error_field(b, "detail", detail);
		error_field(b, "hint", hint);
		evbuffer_add_printf(b, "}\n");
	}
	http_reply(r, status, "application/json", b, NULL);
}

struct evbuffer *
http_body(Req *r)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL)
		http_error(r, 500, "out of memory");
	return b;
}

static const struct
{
	const char *sqlstate;
	int			status;
	int			write_status;
	const char *message;
}			sqlstate_http[] = {
#define SQLSTATE_ROW(code, status, write_status, message) {code, status, write_status, message},
	TL_SQLSTATE_HTTP(SQLSTATE_ROW)
#undef SQLSTATE_ROW
};

int
http_db_status(const PGresult *res, int unavailable, int write, const char **message)
{
	const char *st;

	if (unavailable == DB_TIMED_OUT)
	{
		*message = "the database did not answer in time";
		return 504;
	}
	if (unavailable || res == NULL)
	{
		*message = "the database is unreachable";
		return 503;
	}
	st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	for (size_t i = 0; st != NULL && i < sizeof sqlstate_http / sizeof sqlstate_http[0]; i++)
		if (strcmp(st, sqlstate_http[i].sqlstate) == 0)
		{
			*message = write ? NULL : sqlstate_http[i].message;
			if (*message == NULL)
				*message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
			if (*message == NULL)
				*message = "bad request";
			return write ? sqlstate_http[i].write_status : sqlstate_http[i].status;
		}
	*message = "database error";
	return 500;
}

void
http_db_error(Req *r, const PGresult *res, int unavailable, const char *what)
{
	const char *message;
	int			status = http_db_status(res, unavailable, 0, &message);

	if (status == 500)
		fprintf(stderr, "%s: %s", what, PQresultErrorMessage(res));
	http_error(r, status, message);
}

/*
 * The index of the feature a drawing's error names, or -1: "feature 3",
 * "feature #3", "feature [3]", "feature_index 3", "feature index: 3",
 * "features[3]" (the first such, case aside).
 */
long
http_feature_index(const char *text)
{
	static const char *const skip[] = {"s[", "_index", " index", "[", "#", ":", "=", " "};

	for (const char *p = text; p && (p = strcasestr(p, "feature")) != NULL; p++)
	{
		const char *q = p + 7;
		int			again = 1;

		while (again)
		{
			again = 0;
			for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
				if (strncasecmp(q, skip[i], strlen(skip[i])) == 0)
				{
					q += strlen(skip[i]);
					again = 1;
				}
		}
		if (*q >= '0' && *q <= '9')
		{
			long		v = 0;

			while (*q >= '0' && *q <= '9' && v < 100000000)
				v = v * 10 + (*q++ - '0');
			return v;
		}
	}
	return -1;
}


void
http_db_write_error(Req *r, const PGresult *res, int unavailable, const char *what)
{
	const char *message;
	int			status = http_db_status(res, unavailable, 1, &message);
	struct evbuffer *b;
	const char *detail,
			   *hint;
	long		feature;

	if (status == 500)
		fprintf(stderr, "%s: %s", what, PQresultErrorMessage(res));
	if (status == 500 || status == 503 || status == 504)
	{
		http_error(r, status, message);
		return;
	}
	if ((b = evbuffer_new()) == NULL)
	{
		http_error(r, 500, "out of memory");
		return;
	}
	detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	evbuffer_add_printf(b, "{\"error\":");
	style_json_string(b, message);
	evbuffer_add_printf(b, ",\"status\":%d", status);
	error_field(b, "sqlstate", PQresultErrorField(res, PG_DIAG_SQLSTATE));
	error_field(b, "detail", detail);
	error_field(b, "hint", hint);
	/* a drawing refused: the feature at fault, from the DETAIL or else the message */
	if (status == 422 && ((feature = http_feature_index(detail)) >= 0 || (feature = http_feature_index(message)) >= 0))
		evbuffer_add_printf(b, ",\"feature_index\":%ld", feature);
	evbuffer_add_printf(b, "}\n");
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Cache-Control", "no-store");
	http_reply(r, status, "application/json", b, NULL);
}

int
http_accepts_gzip(struct evhttp_request *req)
{
	const char *ae = evhttp_find_header(evhttp_request_get_input_headers(req), "Accept-Encoding");
	const char *g;

	if (ae == NULL || (g = strstr(ae, "gzip")) == NULL)
		return 0;
	/* "gzip;q=0" refuses it */
	g += 4;
	while (*g == ' ')
		g++;
	if (strncmp(g, ";q=0", 4) == 0 && (g[4] == '\0' || g[4] == ',' || (g[4] == '.' && strspn(g + 5, "0") && (g[5 + strspn(g + 5, "0")] == '\0' || g[5 + strspn(g + 5, "0")] == ','))))
		return 0;
	return 1;
}

/* If-None-Match names this ETag (or is *) */
int
http_etag_matches(struct evhttp_request *req, const char *etag)
{
	const char *inm = evhttp_find_header(evhttp_request_get_input_headers(req), "If-None-Match");

	if (inm == NULL)
		return 0;
	if (strcmp(inm, "*") == 0)
		return 1;
	return strstr(inm, etag) != NULL;
}

/*
 * scheme://host of absolute URLs: --public-url when set; else the Host the
 * request was sent to (on_request let only the listen address and the
 * --server-name names through); else the listen address.  X-Forwarded-Proto
 * is not read: behind a TLS proxy, set --public-url.
 */
void
http_base_url(Req *r, char *buf, size_t len)
{
	const Conf *conf = r->s->conf;
	const char *host = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Host");

	if (conf->public_url)
		snprintf(buf, len, "%s", conf->public_url);
	else if (host != NULL && *host && strlen(host) < 200 && conf_check_host_name(host) == 0)
		snprintf(buf, len, "http://%s", host);
	else if (strchr(conf->listen_host, ':'))
		snprintf(buf, len, "http://[%s]:%d", conf->listen_host, conf->listen_port);
	else
		snprintf(buf, len, "http://%s:%d", conf->listen_host, conf->listen_port);
}
