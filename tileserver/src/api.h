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
