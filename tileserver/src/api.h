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
 * a change (sql, with the parameters) and then its answer (then_sql, without
 * parameters, which reads what the change did: db_write_then), in one
 * transaction as the request's role; errors as api_write
 */
void		api_write_then(Req *r, const char *sql, int nparams, const char *const *params, const char *then_sql,
						   ApiDone done);
/* sql with an id (of a pond, a hazard, ...) as $1 */
void		api_query_id(Req *r, const char *sql, long long id, ApiDone done);
/* api_write_then with an id as $1 and a JSON body as $2 */
void		api_write_body(Req *r, const char *sql, long long id, const char *body, const char *then_sql, ApiDone done);

/*
 * A PATCH of one row of table ($1 its id, $2 the body, j in the
 * assignments): the assignments sets[i] of the fields the body has
 * (body_object's fields and given), then then_sql, its answer.  When the
 * body changes nothing the request is answered 422, the fields listed.
 */
void		api_write_patch(Req *r, const char *table, const char *const *fields, unsigned given,
							const char *const *sets, long long id, const char *body, const char *then_sql,
							ApiDone done);

/*
 * A change leaves the id of the row it made or changed for its answer (the
 * then statement), in a setting of its transaction; none: no row was
 * touched that the role sees.
 */
#define API_SQL_LEAVE_ID(expr) "set_config('tailings_api.id', (" expr ")::text, true)"
#define API_SQL_CHANGED_ID "nullif(current_setting('tailings_api.id', true), '')::bigint"

/*
 * A pond's rows as a JSON array ($1 the pond): object over the rows that
 * from_where (FROM ... WHERE ..., reading p.id) gives, in that order; no row
 * when the role does not see the pond (404), [] when it has none.
 */
#define API_SQL_OF_POND(object, order, from_where) \
	"SELECT (SELECT coalesce(json_agg(" object " ORDER BY " order "), '[]')" from_where ")::text" \
	" FROM tailings.pond p WHERE p.id = $1::bigint"

/*
 * A pond as GET /api/ponds lists it, over p (tailings.pond) and o
 * (tailings.pond_overview of p): also the ponds of an exported archive's
 * index (export.c).
 */
#define API_SQL_POND_SUMMARY "json_build_object(" \
	" 'id', p.id, 'code', p.code, 'name', p.name, 'enterprise', p.enterprise, 'county_code', p.county_code," \
	" 'level', p.supervision_level, 'status', p.status, 'score', o.score, 'rules', o.rules," \
	" 'errors_failed', o.errors_failed, 'warnings_failed', o.warnings_failed, 'elements', o.elements," \
	" 'lon', round(ST_X(p.location)::numeric, 6), 'lat', round(ST_Y(p.location)::numeric, 6))"

/*
 * The answer of a JSON API route that changes with every edit (no-store):
 * the first value of res's one row, 200; or 201 with Location when res has a
 * second column not null (the new resource's path, after the base URL).  No
 * row or a null value: 404 with missing.
 */
void		api_json_row(Req *r, PGresult *res, const char *missing);
/* the same, "no such pond" */
void		api_pond_row(Req *r, PGresult *res);
/* the same of another content type (GeoJSON) */
void		api_value_row(Req *r, PGresult *res, const char *content_type, const char *missing);

/*
 * ?lang= ($2) sets tailings.language for this statement only (is_local: its
 * transaction); the CTE is read before any row is built.  A statement starts
 * with it and reads FROM lang.  Without ?lang= the setting is not read: on a
 * connection that has not loaded the extension's library yet it is unknown
 * (current_setting() would fail), and the library's default holds.
 */
#define API_SQL_LANG "WITH lang AS MATERIALIZED (SELECT CASE WHEN $2::text IS NOT NULL" \
	" THEN set_config('tailings.language', $2::text, true) END) "

/* sql with the pond's id and ?lang= as parameters $1 and $2 */
void		api_pond_query(Req *r, const Route *rt, const char *sql, ApiDone done);

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
