/*
 * api.c - the JSON API (/api/...), TileJSON and the style.  Each API answer
 * is one query whose first value is the body, made by PostgreSQL, as the
 * request's role (auth.c): row-level security decides what it holds.
 */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "auth.h"
#include "body.h"
#include "http.h"
#include "style.h"

typedef struct ApiCall
{
	Req		   *r;
	ApiDone		done;
	int			write;
} ApiCall;

static void
api_result(PGresult *res, int unavailable, void *arg)
{
	ApiCall    *c = arg;
	Req		   *r = c->r;

	if (r->gone)
		http_req_free(r);
	else if (unavailable || res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		if (c->write)
			http_db_write_error(r, res, unavailable, evhttp_request_get_uri(r->req));
		else
			http_db_error(r, res, unavailable, evhttp_request_get_uri(r->req));
	}
	else
		c->done(r, res);
	if (res)
		PQclear(res);
	free(c);
}

static void
api_send(Req *r, int write, const char *sql, int nparams, const char *const *params, const char *then_sql,
		 ApiDone done)
{
	ApiCall    *c = calloc(1, sizeof(ApiCall));
	int			rc;

	if (c == NULL)
	{
		http_error(r, 500, "out of memory");
		return;
	}
	c->r = r;
	c->done = done;
	c->write = write;
	if (then_sql)
		rc = db_write_then(r->s->db, auth_role(r), sql, nparams, params, then_sql, api_result, c);
	else if (!write && r->access == ROUTE_AS_ROLE)
		/* a read of a reading route: on a standby that has what this server knows changed */
		rc = replica_read(r->s->replicas, auth_role(r), sql, nparams, params, 0, api_result, c);
	else
		rc = db_query_as(r->s->db, auth_role(r), write, sql, nparams, params, 0, api_result, c);
	if (rc != 0)
	{
		free(c);
		http_error(r, 503, rc == -1 ? "too many requests are waiting for the database"
				   : "the database is unreachable");
		return;
	}
	http_watch_close(r);
}

void
api_query(Req *r, const char *sql, int nparams, const char *const *params, ApiDone done)
{
	api_send(r, 0, sql, nparams, params, NULL, done);
}

void
api_write(Req *r, const char *sql, int nparams, const char *const *params, ApiDone done)
{
	api_send(r, 1, sql, nparams, params, NULL, done);
}

void
api_write_then(Req *r, const char *sql, int nparams, const char *const *params, const char *then_sql, ApiDone done)
{
	api_send(r, 1, sql, nparams, params, then_sql, done);
}

void
api_query_id(Req *r, const char *sql, long long id, ApiDone done)
{
	char		v[24];
	const char *params[1] = {v};

	snprintf(v, sizeof v, "%lld", id);
	api_query(r, sql, 1, params, done);
}

void
api_write_body(Req *r, const char *sql, long long id, const char *body, const char *then_sql, ApiDone done)
{
	char		v[24];
	const char *params[2] = {v, body};

	snprintf(v, sizeof v, "%lld", id);
	api_write_then(r, sql, 2, params, then_sql, done);
}

void
api_write_patch(Req *r, const char *table, const char *const *fields, unsigned given, const char *const *sets,
				long long id, const char *body, const char *then_sql, ApiDone done)
{
	char		list[1024],
				sql[1400];

	if (body_set_list(fields, given, sets, list, sizeof list) != 0 || list[0] == '\0')
	{
		body_field_list(fields, list, sizeof list);
		http_error_detail(r, 422, "the body changes nothing", list, NULL);
		return;
	}
	snprintf(sql, sizeof sql,
			 "WITH body AS (SELECT $2::jsonb AS j),"
			 " u AS (UPDATE %s t SET %s FROM body WHERE t.id = $1::bigint RETURNING t.id)"
			 " SELECT " API_SQL_LEAVE_ID("u.id") " FROM u", table, list);
	api_write_body(r, sql, id, body, then_sql, done);
}

void
api_json_row(Req *r, PGresult *res, const char *missing)
{
	api_value_row(r, res, "application/json; charset=utf-8", missing);
}

void
api_pond_row(Req *r, PGresult *res)
{
	api_json_row(r, res, "no such pond");
}

/*
 * Column col of the one row as the body, of that content type and with that
 * Cache-Control; no row, or a NULL: 404 with missing.  location: the path
 * of a new resource, named in Location, or NULL.
 */
static void
reply_value(Req *r, int status, const PGresult *res, int col, const char *content_type,
			const char *cache_control, const char *missing, const char *location)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
	struct evbuffer *b;

	if (PQntuples(res) != 1 || col >= PQnfields(res) || PQgetisnull(res, 0, col))
	{
		http_error(r, 404, missing);
		return;
	}
	if ((b = http_body(r)) == NULL)
		return;
	evbuffer_add(b, PQgetvalue(res, 0, col), (size_t) PQgetlength(res, 0, col));
	evbuffer_add(b, "\n", 1);
	if (location != NULL)
	{
		char		base[256],
					url[512];

		http_base_url(r, base, sizeof base);
		snprintf(url, sizeof url, "%s%s", base, location);
		evhttp_add_header(h, "Location", url);
		evhttp_add_header(h, "Access-Control-Expose-Headers", "Location");
	}
	evhttp_add_header(h, "Cache-Control", cache_control);
	http_reply(r, status, content_type, b, NULL);
}

void
api_value_row(Req *r, PGresult *res, const char *content_type, const char *missing)
{
	int			created = PQnfields(res) > 1 && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) &&
		!PQgetisnull(res, 0, 1);

	reply_value(r, created ? 201 : 200, res, 0, content_type, "no-store", missing,
				created ? PQgetvalue(res, 0, 1) : NULL);
}

/* the first column of the one row as the body, of that content type; no row or NULL: 404 */
static void
first_value(Req *r, PGresult *res, const char *content_type)
{
	reply_value(r, 200, res, 0, content_type, "no-cache", "no such pond", NULL);
}

static void
json_done(Req *r, PGresult *res)
{
	first_value(r, res, "application/json; charset=utf-8");
}

static void
geojson_done(Req *r, PGresult *res)
{
	first_value(r, res, "application/geo+json; charset=utf-8");
}

static const char SQL_PONDS[] =
	"SELECT coalesce(json_agg(" API_SQL_POND_SUMMARY " ORDER BY p.code), '[]')::text"
	" FROM tailings.pond p JOIN tailings.pond_overview o USING (id)";

static const char SQL_POND[] =
	API_SQL_LANG "SELECT json_build_object("
	" 'id', p.id, 'code', p.code, 'name', p.name, 'enterprise', p.enterprise, 'county_code', p.county_code,"
	" 'level', p.supervision_level, 'status', p.status, 'gw_flow_azimuth', p.gw_flow_azimuth,"
	" 'lon', round(ST_X(p.location)::numeric, 6), 'lat', round(ST_Y(p.location)::numeric, 6),"
	" 'attrs', p.attrs, 'score', tailings.completeness(p.id),"
	" 'elements', (SELECT coalesce(json_object_agg(c.category, c.items ORDER BY c.category), '{}')"
	"   FROM (SELECT tailings.category(e.kind) AS category, json_agg(json_build_object("
	"     'id', e.id, 'kind', e.kind, 'label', tailings.label(e.kind), 'name', e.name, 'source', e.source,"
	"     'accuracy_m', e.accuracy_m, 'surveyed_on', e.surveyed_on, 'verified_on', e.verified_on,"
	"     'attrs', e.attrs, 'geometry_type', GeometryType(e.geom),"
	"     'lon', round(ST_X(ST_PointOnSurface(e.geom))::numeric, 6),"
	"     'lat', round(ST_Y(ST_PointOnSurface(e.geom))::numeric, 6)) ORDER BY e.kind, e.id) AS items"
	"   FROM tailings.element e WHERE e.pond_id = p.id GROUP BY 1) c),"
	" 'completeness', (SELECT json_agg(c) FROM tailings.check_completeness(p.id) c),"
	" 'recent_changes', (SELECT coalesce(json_agg(json_build_object('id', l.id, 'changed_at', l.changed_at,"
	"     'actor', l.actor, 'session_role', l.session_role, 'table', l.table_name, 'row_id', l.row_id, 'op', l.op, 'changed', l.changed,"
	"     'moved_m', round(l.moved_m::numeric, 2), 'kind', k.kind, 'label', tailings.label(k.kind), 'name', k.name)"
	"     ORDER BY l.id DESC), '[]')"
	"   FROM (SELECT * FROM tailings.change_log WHERE pond_id = p.id ORDER BY id DESC LIMIT 20) l,"
	"     LATERAL (SELECT CASE WHEN l.table_name = 'tailings.element'"
	"                     THEN (coalesce(l.new_row, l.old_row)->>'kind')::tailings.element_kind END AS kind,"
	"                     coalesce(l.new_row, l.old_row)->>'name' AS name) k)"
	")::text FROM lang, tailings.pond p WHERE p.id = $1::bigint";

static const char SQL_HISTORY[] =
	"SELECT json_build_object('start', tailings.history_start(), 'now', now())::text";

/* $1 pond id or NULL, $2 lang, $3 from, $4 to: a GeoJSON FeatureCollection of the differences */
#define SQL_POINT_OF(g) "CASE WHEN " g " IS NOT NULL THEN json_build_array(" \
	"round(ST_X(ST_PointOnSurface(" g "))::numeric, 6), round(ST_Y(ST_PointOnSurface(" g "))::numeric, 6)) END"
static const char SQL_COMPARE[] =
	API_SQL_LANG "SELECT json_build_object('type', 'FeatureCollection',"
	" 'from', $3::timestamptz, 'to', $4::timestamptz, 'history_start', tailings.history_start(),"
	" 'features', coalesce(json_agg(json_build_object('type', 'Feature', 'id', c.id,"
	"   'geometry', ST_AsGeoJSON(coalesce(c.new_geom, c.old_geom), 6, 0)::json,"
	"   'properties', json_build_object('change', c.change, 'pond_id', c.pond_id, 'pond_name', p.name,"
	"     'kind', c.kind, 'label', tailings.label(c.kind), 'name', c.name,"
	"     'moved_m', round(c.moved_m::numeric, 2),"
	"     'old_point', " SQL_POINT_OF("c.old_geom") ", 'new_point', " SQL_POINT_OF("c.new_geom") "))"
	"   ORDER BY c.id), '[]'))::text"
	" FROM lang CROSS JOIN tailings.compare($3::timestamptz, $4::timestamptz, $1::bigint) c"
	" LEFT JOIN tailings.pond p ON p.id = c.pond_id";

static const char SQL_COMPLETENESS[] =
	API_SQL_LANG "SELECT (SELECT coalesce(json_agg(c), '[]') FROM tailings.check_completeness($1::bigint) c)::text FROM lang";

static const char SQL_BOUNDS[] =
	"SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)"
	" FROM (SELECT ST_Extent(location) AS b FROM tailings.pond) s";

/*
 * A FeatureCollection of the pond's elements (feature id = element id;
 * coordinates CGCS2000 lon/lat to 7 decimals, read as WGS84, no "crs" member;
 * lon/lat: a point on the element to 6 decimals), plus the pond and the time
 * of its latest logged change (null when none is kept).
 */
static const char SQL_POND_GEOJSON[] =
	API_SQL_LANG "SELECT json_build_object('type', 'FeatureCollection',"
	" 'pond', json_build_object('id', p.id, 'code', p.code, 'name', p.name, 'enterprise', p.enterprise,"
	"   'county_code', p.county_code, 'level', p.supervision_level, 'status', p.status,"
	"   'gw_flow_azimuth', p.gw_flow_azimuth, 'location', ST_AsGeoJSON(p.location, 7, 0)::json),"
	" 'updated_at', (SELECT max(l.changed_at) FROM tailings.change_log l WHERE l.pond_id = p.id),"
	" 'features', (SELECT coalesce(json_agg(json_build_object('type', 'Feature', 'id', e.id,"
	"     'geometry', ST_AsGeoJSON(e.geom, 7, 0)::json, 'properties', json_build_object("
	"     'id', e.id, 'kind', e.kind, 'label', tailings.label(e.kind), 'category', tailings.category(e.kind),"
	"     'name', e.name, 'source', e.source, 'accuracy_m', e.accuracy_m, 'surveyed_on', e.surveyed_on,"
	"     'verified_on', e.verified_on, 'verified', e.verified_on IS NOT NULL, 'attrs', e.attrs,"
	"     'lon', round(ST_X(ST_PointOnSurface(e.geom))::numeric, 6),"
	"     'lat', round(ST_Y(ST_PointOnSurface(e.geom))::numeric, 6)))"
	"   ORDER BY tailings.category(e.kind), e.kind, e.id), '[]')"
	"   FROM tailings.element e WHERE e.pond_id = p.id)"
	")::text FROM lang, tailings.pond p WHERE p.id = $1::bigint";


void
api_pond_query(Req *r, const Route *rt, const char *sql, ApiDone done)
{
	char		pid[24];
	const char *params[2];

	snprintf(pid, sizeof pid, "%lld", rt->pond_id);
	params[0] = pid;
	params[1] = rt->lang[0] ? rt->lang : NULL;
	api_query(r, sql, 2, params, done);
}

void
api_ponds(Req *r, const Route *rt)
{
	(void) rt;
	api_query(r, SQL_PONDS, 0, NULL, json_done);
}

void
api_pond(Req *r, const Route *rt)
{
	api_pond_query(r, rt, SQL_POND, json_done);
}

void
api_completeness(Req *r, const Route *rt)
{
	api_pond_query(r, rt, SQL_COMPLETENESS, json_done);
}

/*
 * ?for=drawing: the map as the drawing of design section 7
 * (tailings.pond_geojson(): the properties import_geojson reads, so that the
 * drawing sent back unchanged is the same map), to download
 */
static const char SQL_POND_DRAWING[] =
	"SELECT tailings.pond_geojson($1::bigint)::text WHERE $2::text IS NULL OR true";

static void
drawing_done(Req *r, PGresult *res)
{
	char		cd[80];

	snprintf(cd, sizeof cd, "attachment; filename=\"pond-%lld.geojson\"", r->route.pond_id);
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Content-Disposition", cd);
	first_value(r, res, "application/geo+json; charset=utf-8");
}

void
api_geojson(Req *r, const Route *rt)
{
	if (rt->drawing)
		api_pond_query(r, rt, SQL_POND_DRAWING, drawing_done);
	else
		api_pond_query(r, rt, SQL_POND_GEOJSON, geojson_done);
}

/* who the request is for: its role, and the member's level, scope and name (null for no member) */
static const char SQL_WHOAMI[] =
	"SELECT json_build_object('role', current_user, 'auth', $1::text, 'level', m.level, 'scope', m.scope,"
	" 'display_name', m.display_name)::text"
	" FROM (SELECT) x LEFT JOIN (SELECT * FROM tailings.member WHERE role_name = current_user) m ON true";
static const char SQL_WHOAMI_NONE[] =
	"SELECT json_build_object('role', current_user, 'auth', $1::text, 'level', null, 'scope', null,"
	" 'display_name', null)::text";

void
api_whoami(Req *r, const Route *rt)
{
	const char *params[1];

	(void) rt;
	params[0] = r->s->conf->auth == CONF_AUTH_NONE ? "none" : "token";
	/* the server's own login is no member (and the member table is missing before extension 0.7.0) */
	api_query(r, auth_role(r) ? SQL_WHOAMI : SQL_WHOAMI_NONE, 1, params, json_done);
}

void
api_history(Req *r, const Route *rt)
{
	(void) rt;
	api_query(r, SQL_HISTORY, 0, NULL, json_done);
}

void
api_compare(Req *r, const Route *rt)
{
	char		pid[24];
	const char *params[4];

	snprintf(pid, sizeof pid, "%lld", rt->pond_id);
	params[0] = rt->pond_id ? pid : NULL;
	params[1] = rt->lang[0] ? rt->lang : NULL;
	params[2] = rt->from;
	params[3] = rt->at;
	api_query(r, SQL_COMPARE, 4, params, json_done);
}

void
api_catalog(Req *r, const Route *rt)
{
	struct evbuffer *b = http_body(r);

	(void) rt;
	if (b == NULL)
		return;
	style_catalog_json(b);
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Cache-Control", "public, max-age=3600");
	http_reply(r, 200, "application/json; charset=utf-8", b, NULL);
}

void
api_style(Req *r, const Route *rt)
{
	struct evbuffer *b = http_body(r);
	char		url[256];

	(void) rt;
	if (b == NULL)
		return;
	http_base_url(r, url, sizeof url);
	style_maplibre(b, url, r->s->conf->basemaps, r->s->conf->nbasemaps);
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Cache-Control", "no-cache");
	http_reply(r, 200, "application/json; charset=utf-8", b, NULL);
}

static void
tilejson_done(Req *r, PGresult *res)
{
	struct evbuffer *b = http_body(r);
	char		url[256];
	Box			bounds;
	int			have = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0);

	if (b == NULL)
		return;
	if (have)
	{
		bounds.xmin = atof(PQgetvalue(res, 0, 0));
		bounds.ymin = atof(PQgetvalue(res, 0, 1));
		bounds.xmax = atof(PQgetvalue(res, 0, 2));
		bounds.ymax = atof(PQgetvalue(res, 0, 3));
	}
	http_base_url(r, url, sizeof url);
	style_tilejson(b, url, r->layers, have ? &bounds : NULL);
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Cache-Control", "no-cache");
	http_reply(r, 200, "application/json; charset=utf-8", b, NULL);
}

void
api_tilejson(Req *r, const Route *rt)
{
	/* the layers travel with the request to tilejson_done */
	r->layers = rt->layers;
	api_query(r, SQL_BOUNDS, 0, NULL, tilejson_done);
}

void
api_reply_json(Req *r, int status, const PGresult *res, int col, const char *missing)
{
	reply_value(r, status, res, col, "application/json; charset=utf-8", "no-store",
				missing ? missing : "not found", NULL);
}

int
api_refused(Req *r, const PGresult *res)
{
	struct evbuffer *b;
	int			status;

	if (PQntuples(res) != 1 || PQnfields(res) < 3 || PQgetisnull(res, 0, 0))
		return 0;
	status = atoi(PQgetvalue(res, 0, 0));
	if (status < 400 || status > 499)
		status = 422;
	if ((b = evbuffer_new()) == NULL)
	{
		http_error(r, 500, "out of memory");
		return 1;
	}
	evbuffer_add_printf(b, "{\"error\":");
	style_json_string(b, PQgetisnull(res, 0, 1) ? "refused" : PQgetvalue(res, 0, 1));
	evbuffer_add_printf(b, ",\"status\":%d", status);
	if (!PQgetisnull(res, 0, 2))
	{
		evbuffer_add_printf(b, ",\"field\":");
		style_json_string(b, PQgetvalue(res, 0, 2));
	}
	evbuffer_add_printf(b, "}\n");
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Cache-Control", "no-store");
	http_reply(r, status, "application/json", b, NULL);
	return 1;
}

void
api_location(Req *r, const char *path)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
	char		base[256],
				location[512];

	http_base_url(r, base, sizeof base);
	snprintf(location, sizeof location, "%s%s", base, path);
	evhttp_add_header(h, "Location", location);
	evhttp_add_header(h, "Access-Control-Expose-Headers", "Location");
}
