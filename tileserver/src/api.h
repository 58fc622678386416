/*
 * api.h - the JSON API, TileJSON and the style: documents the database or
 * the catalog makes per request.
 */
#ifndef TAILINGS_API_H
#define TAILINGS_API_H

#include <libpq-fe.h>

#include "srv.h"

/* what to do with the rows of a query that succeeded (res is freed after) */
typedef void (*ApiDone) (Req *r, PGresult *res);

/*
 * send sql as the request's role; done gets its rows, or the request is
 * answered with the database's error
 */
void		api_query(Req *r, const char *sql, int nparams, const char *const *params, ApiDone done);
/* the same in a transaction that may write, errors as the write API answers them (http_db_write_error) */
void		api_write(Req *r, const char *sql, int nparams, const char *const *params, ApiDone done);

/*
 * ?lang= sets tailings.language for this statement only (is_local: its
 * implicit transaction), $2 the language or NULL; the CTE is read before any
 * row is built: "SQL_LANG SELECT ... FROM lang, ...".
 */
#define SQL_LANG "WITH lang AS MATERIALIZED (SELECT set_config('tailings.language'," \
	" coalesce($2, current_setting('tailings.language')), true)) "

/*
 * The value of column col of the one row as the JSON body, with this status
 * and Cache-Control: no-store; no row, or a NULL: 404 with the message missing.
 */
void		api_reply_json(Req *r, int status, const PGresult *res, int col, const char *missing);
/*
 * A write its route's own checks refused, in the statement: the row's first
 * three values are the status (NULL: not refused), the message and the field
 * at fault (or NULL).  Then the request is answered ({"error", "status",
 * "field"}) and 1 returned; else 0.
 */
int			api_refused(Req *r, const PGresult *res);
/* Location: base URL + path, exposed to scripts of other origins */
void		api_location(Req *r, const char *path);

void		api_tilejson(Req *r, const Route *rt);
void		api_style(Req *r, const Route *rt);
void		api_catalog(Req *r, const Route *rt);
void		api_history(Req *r, const Route *rt);
void		api_compare(Req *r, const Route *rt);
void		api_ponds(Req *r, const Route *rt);
void		api_pond(Req *r, const Route *rt);
void		api_completeness(Req *r, const Route *rt);
void		api_geojson(Req *r, const Route *rt);
void		api_whoami(Req *r, const Route *rt);

#endif
