/*
 * http.h - the HTTP plumbing of tailings-tileserver: the one reply of a
 * request (headers, gzip, HEAD, the access log, the metrics), errors as short
 * JSON bodies, database errors as HTTP statuses, and request hygiene.
 */
#ifndef TAILINGS_HTTP_H
#define TAILINGS_HTTP_H

#include <event2/buffer.h>
#include <libpq-fe.h>

#include "srv.h"

/* The one way out for every request.  body may be NULL; it is consumed. */
void		http_reply(Req *r, int status, const char *ctype, struct evbuffer *body, const char *note);
/* a JSON error {"error": message, "status": status} (no-store; 503: Retry-After) */
void		http_error(Req *r, int status, const char *message);
/* the same with "detail" and "hint" (each left out when NULL) */
void		http_error_detail(Req *r, int status, const char *message, const char *detail, const char *hint);
/*
 * A new body buffer, or NULL when there is no memory for one: the request was
 * then answered (500) and the caller must not touch it again.
 */
struct evbuffer *http_body(Req *r);
/*
 * The error reply of a query that did not give its rows: the database out of
 * reach (503) or too slow (504), or a database error by its SQLSTATE
 * (tailings/contract.h; others 500, logged with what).
 */
void		http_db_error(Req *r, const PGresult *res, int unavailable, const char *what);
/*
 * The same for a request that changes something (the write API): the
 * statuses of writes (422 for a drawing refused), and a body with the
 * database's message, "sqlstate", "detail", "hint" and "feature_index".
 */
void		http_db_write_error(Req *r, const PGresult *res, int unavailable, const char *what);
/* the status and the message of those (write: the write API's); the message may point into res */
int			http_db_status(const PGresult *res, int unavailable, int write, const char **message);
/* the index of the feature an error's text names ("feature 3"), or -1 */
long		http_feature_index(const char *text);

/* the headers of every answer (http_reply sends them; the change stream on its own) */
void		http_common_headers(Req *r, const char *ctype);
/* write the access log line (--access-log) */
void		http_access_log(Req *r, int status, size_t bytes, double secs, const char *note);
/* seconds since the request came in */
double		http_seconds(const Req *r);
/* the request is done without a reply of http_reply (a stream kept by events.c, a client gone) */
void		http_req_free(Req *r);
/* mark the request gone when its client closes the connection while it waits */
void		http_watch_close(Req *r);

int			http_accepts_gzip(struct evhttp_request *req);
/* If-None-Match names this ETag (or is *) */
int			http_etag_matches(struct evhttp_request *req, const char *etag);
/* scheme://host of absolute URLs (--public-url, the Host asked, or the listen address) */
void		http_base_url(Req *r, char *buf, size_t len);

/* 1 when the request may go on (framing, Host); else it was answered (hygiene.c) */
int			http_hygiene(Req *r);

#endif
