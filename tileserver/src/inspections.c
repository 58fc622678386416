/*
 * inspections.c - inspections on the ground, driven by the map (三级核查,
 * design section 8): the walking checklist of a pond, the inspections of a
 * bureau, each element's visit, and the coverage (the missed points and the
 * positions to correct), as JSON made by the database.
 *
 * Every statement runs as the request's role (auth.c): the extension's
 * row-level security decides what is seen (an inspection of a pond out of
 * scope is 404) and written (a county, city or province member records its
 * own level's inspections; an enterprise reads them: 403), its triggers what
 * is valid (a visit of another pond's element, a day outside the inspection:
 * 422).  The fields of a body are checked in the same statement, before it
 * writes (body.h): a field of the wrong type or an unknown one is 422 naming
 * it, not a cast error.
 *
 * A visit is an upsert on (inspection, element): the phone's offline queue
 * sends it again until it hears an answer, and the same body again changes
 * nothing (the change log records an UPDATE only when a column changed): 201
 * the first time, 200 after.  visited_at, when the body leaves it out, is
 * the time the server first heard of the visit, and stays so.
 */
#include "inspections.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "body.h"
#include "http.h"

/* an inspection as JSON, from tailings.inspection i and its counts n (SQL_COUNTS) */
#define SQL_INSPECTION_FIELDS \
	"'id', i.id, 'pond_id', i.pond_id, 'level', i.level, 'campaign', i.campaign, 'inspector', i.inspector," \
	" 'started_on', i.started_on, 'finished_on', i.finished_on, 'elements', n.elements, 'visited', n.visited," \
	" 'missed', n.elements - n.visited, 'to_correct', n.to_correct"
/* the counts n of the coverage rows c (elements to visit, visited, to correct) */
#define SQL_COUNTS(coverage) \
	"(SELECT count(*)::int AS elements, (count(*) FILTER (WHERE c.visited))::int AS visited," \
	" (count(*) FILTER (WHERE c.to_correct))::int AS to_correct FROM " coverage " c) n"
/* a visit as JSON, from tailings.inspection_visit v (or a row like it) and its element e */
#define SQL_VISIT_FIELDS \
	"'id', v.id, 'inspection_id', v.inspection_id, 'element_id', v.element_id, 'visited_at', v.visited_at," \
	" 'lon', ST_X(v.position), 'lat', ST_Y(v.position), 'state', v.state, 'note', v.note," \
	" 'offset_m', round(ST_Distance(v.position::geography, e.geom::geography, true)::numeric, 2)"

/* $1 pond, $2 lang: the elements in walking order from the registry point */
static const char SQL_CHECKLIST[] =
	API_SQL_LANG "SELECT (SELECT coalesce(json_agg(json_build_object('seq', c.seq, 'element_id', c.element_id,"
	"   'kind', c.kind, 'label', tailings.label(c.kind), 'name', c.name, 'lon', c.lon, 'lat', c.lat)"
	"   ORDER BY c.seq), '[]') FROM tailings.inspection_checklist(p.id) c)::text"
	" FROM lang, tailings.pond p WHERE p.id = $1::bigint";

/* $1 pond: its inspections, newest first */
static const char SQL_LIST[] =
	"SELECT (SELECT coalesce(json_agg(json_build_object(" SQL_INSPECTION_FIELDS ")"
	"   ORDER BY i.started_on DESC, i.id DESC), '[]')"
	"   FROM tailings.inspection i CROSS JOIN LATERAL " SQL_COUNTS("tailings.inspection_coverage(i.id)")
	"   WHERE i.pond_id = p.id)::text"
	" FROM tailings.pond p WHERE p.id = $1::bigint";

/*
 * $1 inspection, $2 lang: the inspection, every element of its coverage with
 * the element's point (lon, lat: the point itself, or a point on the line or
 * area), and its visits in the order made
 */
static const char SQL_SHOW[] =
	API_SQL_LANG ", i AS (SELECT * FROM tailings.inspection WHERE id = $1::bigint),"
	" cov AS (SELECT c.*, e.geom FROM i CROSS JOIN LATERAL tailings.inspection_coverage(i.id) c"
	"   JOIN tailings.element e ON e.id = c.element_id)"
	" SELECT json_build_object(" SQL_INSPECTION_FIELDS ","
	" 'coverage', (SELECT coalesce(json_agg(json_build_object('element_id', c.element_id, 'kind', c.kind,"
	"     'label', tailings.label(c.kind), 'name', c.name, 'visited', c.visited, 'state', c.state,"
	"     'offset_m', round(c.offset_m::numeric, 2), 'to_correct', c.to_correct,"
	"     'lon', ST_X(ST_PointOnSurface(c.geom)), 'lat', ST_Y(ST_PointOnSurface(c.geom)))"
	"     ORDER BY c.element_id), '[]') FROM cov c),"
	" 'visits', (SELECT coalesce(json_agg(json_build_object(" SQL_VISIT_FIELDS ") ORDER BY v.visited_at, v.id), '[]')"
	"   FROM tailings.inspection_visit v LEFT JOIN tailings.element e ON e.id = v.element_id"
	"   WHERE v.inspection_id = i.id))::text"
	" FROM lang, i CROSS JOIN LATERAL " SQL_COUNTS("cov");

/*
 * The checks of a write's body, first failing first: a VALUES list of (order,
 * status, field, failing, message); "bad" is the first that fails, or none.
 */
#define SQL_BAD_BEGIN "bad AS (SELECT x.status, x.message, x.field FROM b, LATERAL (VALUES "
#define SQL_BAD_END ") x(ord, status, field, failing, message) WHERE x.failing ORDER BY x.ord LIMIT 1)"
/* the statement's row: the refusal (api_refused) or else the written row's value */
#define SQL_OUTCOME(value) " SELECT x.status, x.message, x.field, " value \
	" FROM (SELECT) one LEFT JOIN bad x ON true LEFT JOIN w ON true"

#define INSPECTION_FIELDS "'campaign', 'started_on', 'inspector'"

/* $1 pond, $2 the body or NULL: a new inspection at the member's level; its id */
static const char SQL_CREATE[] =
	"WITH b AS (SELECT coalesce($2::jsonb, '{}') AS j),"
	" " SQL_BAD_BEGIN
	"  (1, 404, NULL::text, NOT EXISTS (SELECT FROM tailings.pond p WHERE p.id = $1::bigint), 'no such pond'),"
	"  (2, 422, NULL, NOT " BODY_OBJECT ","
	"   'the body is an inspection: {\"campaign\": ..., \"started_on\": \"YYYY-MM-DD\", \"inspector\": ...}, each optional'),"
	"  (3, 422, " BODY_UNKNOWN(INSPECTION_FIELDS) ", " BODY_UNKNOWN(INSPECTION_FIELDS) " IS NOT NULL,"
	"   'unknown field ' || " BODY_UNKNOWN(INSPECTION_FIELDS) " || ': an inspection has campaign, started_on and inspector'),"
	"  (4, 422, 'campaign', NOT (" BODY_NULL("campaign") " OR " BODY_IS("campaign", "string") "),"
	"   'campaign is a text (2025年汛前检查) or null'),"
	"  (5, 422, 'started_on', NOT (" BODY_NULL("started_on") " OR " BODY_IS_DATE("started_on") "),"
	"   'started_on is a date, YYYY-MM-DD'),"
	"  (6, 422, 'inspector', NOT (" BODY_NULL("inspector") " OR " BODY_IS("inspector", "string") "),"
	"   'inspector is a text (default: the member''s name)')"
	SQL_BAD_END ","
	" w AS (INSERT INTO tailings.inspection (pond_id, campaign, started_on, inspector)"
	"   SELECT $1::bigint, " BODY_TEXT("campaign") ", coalesce(" BODY_DATE("started_on") ", current_date), "
	BODY_TEXT("inspector")
	"   FROM b WHERE NOT EXISTS (SELECT FROM bad) RETURNING id)"
	SQL_OUTCOME("w.id");

#define EDIT_FIELDS "'finished_on', 'started_on', 'campaign', 'inspector'"

/*
 * $1 inspection, $2 the body: the fields it names changed (finished_on null
 * opens it again); its id.  Seen but not changed (another level's): 403.
 */
static const char SQL_EDIT[] =
	"WITH b AS (SELECT $2::jsonb AS j),"
	" i AS (SELECT * FROM tailings.inspection WHERE id = $1::bigint),"
	" " SQL_BAD_BEGIN
	"  (1, 404, NULL::text, NOT EXISTS (SELECT FROM i), 'no such inspection'),"
	"  (2, 422, NULL, NOT " BODY_OBJECT ","
	"   'the body is the change: {\"finished_on\": \"YYYY-MM-DD\"} (or started_on, campaign, inspector)'),"
	"  (3, 422, " BODY_UNKNOWN(EDIT_FIELDS) ", " BODY_UNKNOWN(EDIT_FIELDS) " IS NOT NULL,"
	"   'unknown field ' || " BODY_UNKNOWN(EDIT_FIELDS) " || ': an inspection changes finished_on, started_on,"
	" campaign and inspector'),"
	"  (4, 422, 'finished_on', NOT (" BODY_NULL("finished_on") " OR " BODY_IS_DATE("finished_on") "),"
	"   'finished_on is a date, YYYY-MM-DD (null: not finished)'),"
	"  (5, 422, 'started_on', b.j ? 'started_on' AND NOT " BODY_IS_DATE("started_on") ","
	"   'started_on is a date, YYYY-MM-DD'),"
	"  (6, 422, 'campaign', NOT (" BODY_NULL("campaign") " OR " BODY_IS("campaign", "string") "),"
	"   'campaign is a text or null'),"
	"  (7, 422, 'inspector', b.j ? 'inspector' AND NOT " BODY_IS("inspector", "string") ","
	"   'inspector is a text')"
	SQL_BAD_END ","
	" w AS (UPDATE tailings.inspection t SET"
	"   finished_on = CASE WHEN b.j ? 'finished_on' THEN " BODY_DATE("finished_on") " ELSE t.finished_on END,"
	"   started_on = CASE WHEN b.j ? 'started_on' THEN " BODY_DATE("started_on") " ELSE t.started_on END,"
	"   campaign = CASE WHEN b.j ? 'campaign' THEN " BODY_TEXT("campaign") " ELSE t.campaign END,"
	"   inspector = CASE WHEN b.j ? 'inspector' THEN " BODY_TEXT("inspector") " ELSE t.inspector END"
	"   FROM b WHERE t.id = $1::bigint AND NOT EXISTS (SELECT FROM bad) RETURNING t.id)"
	" SELECT coalesce(x.status, CASE WHEN w.id IS NULL THEN 403 END),"
	"  coalesce(x.message, CASE WHEN w.id IS NULL THEN (SELECT format('inspection %s is a %s inspection:"
	" a member changes its own level''s inspections only', i.id, i.level) FROM i) END), x.field, w.id"
	" FROM (SELECT) one LEFT JOIN bad x ON true LEFT JOIN w ON true";

#define VISIT_FIELDS "'state', 'visited_at', 'lon', 'lat', 'note'"
#define VISIT_STATES "'normal', 'abnormal', 'out_of_service', 'not_found'"

/*
 * $1 inspection, $2 element, $3 the body: the visit, inserted or updated
 * (visited_at kept when the body leaves it out); the visit as JSON and
 * whether it is new
 */
static const char SQL_VISIT[] =
	"WITH b AS (SELECT $3::jsonb AS j),"
	" " SQL_BAD_BEGIN
	"  (1, 422, NULL::text, NOT " BODY_OBJECT ","
	"   'the body is a visit: {\"state\": ..., \"visited_at\": ..., \"lon\": ..., \"lat\": ..., \"note\": ...},"
	" state required'),"
	"  (2, 422, " BODY_UNKNOWN(VISIT_FIELDS) ", " BODY_UNKNOWN(VISIT_FIELDS) " IS NOT NULL,"
	"   'unknown field ' || " BODY_UNKNOWN(VISIT_FIELDS) " || ': a visit has state, visited_at, lon, lat and note'),"
	"  (3, 422, 'state', NOT coalesce(" BODY_TEXT("state") " IN (" VISIT_STATES "), false),"
	"   'state is normal, abnormal, out_of_service or not_found (正常、异常、停用、未找到)'),"
	"  (4, 422, 'visited_at', NOT (" BODY_NULL("visited_at") " OR " BODY_IS_TIME("visited_at") "),"
	"   'visited_at is a time, ISO 8601 with its offset: 2025-03-01T08:30:00+08:00'),"
	"  (5, 422, 'lon', NOT ((" BODY_NULL("lon") " AND " BODY_NULL("lat") ") OR (" BODY_IS_NUMBER("lon", "180")
	" AND " BODY_IS_NUMBER("lat", "90") ")),"
	"   'lon and lat are where the inspector stood, degrees (CGCS2000), both or neither'),"
	"  (6, 422, 'note', NOT (" BODY_NULL("note") " OR " BODY_IS("note", "string") "), 'note is a text or null')"
	SQL_BAD_END ","
	" w AS (INSERT INTO tailings.inspection_visit AS v (inspection_id, element_id, visited_at, position, state, note)"
	"   SELECT $1::bigint, $2::bigint, coalesce(" BODY_TIME("visited_at") ", now()),"
	"     CASE WHEN " BODY_IS_NUMBER("lon", "180") " AND " BODY_IS_NUMBER("lat", "90")
	"     THEN ST_SetSRID(ST_MakePoint(" BODY_NUMBER("lon", "180") ", " BODY_NUMBER("lat", "90") "), 4490) END,"
	"     " BODY_TEXT("state") ", " BODY_TEXT("note")
	"   FROM b WHERE NOT EXISTS (SELECT FROM bad)"
	"   ON CONFLICT (inspection_id, element_id) DO UPDATE SET"
	"     visited_at = coalesce((SELECT " BODY_TIME("visited_at") " FROM b), v.visited_at),"
	"     position = excluded.position, state = excluded.state, note = excluded.note"
	"   RETURNING v.id, v.inspection_id, v.element_id, v.visited_at, v.position, v.state, v.note,"
	"     v.xmax = 0 AS created)"
	" SELECT x.status, x.message, x.field,"
	"  (SELECT json_build_object(" SQL_VISIT_FIELDS ")::text FROM w v LEFT JOIN tailings.element e ON e.id = v.element_id),"
	"  w.created"
	" FROM (SELECT) one LEFT JOIN bad x ON true LEFT JOIN w ON true";

/* the pond's id and ?lang= as $1 and $2 */
static void
id_lang_query(Req *r, long long id, const char *lang, const char *sql, ApiDone done)
{
	char		sid[24];
	const char *params[2];

	snprintf(sid, sizeof sid, "%lld", id);
	params[0] = sid;
	params[1] = lang[0] ? lang : NULL;
	api_query(r, sql, 2, params, done);
}

static void
pond_done(Req *r, PGresult *res)
{
	api_reply_json(r, 200, res, 0, "no such pond");
}

void
inspections_checklist(Req *r, const Route *rt)
{
	id_lang_query(r, rt->pond_id, rt->lang, SQL_CHECKLIST, pond_done);
}

void
inspections_list(Req *r, const Route *rt)
{
	char		pid[24];
	const char *params[1] = {pid};

	snprintf(pid, sizeof pid, "%lld", rt->pond_id);
	api_query(r, SQL_LIST, 1, params, pond_done);
}

static void
show_done(Req *r, PGresult *res)
{
	api_reply_json(r, 200, res, 0, "no such inspection");
}

void
inspections_show(Req *r, const Route *rt)
{
	id_lang_query(r, rt->inspection_id, rt->lang, SQL_SHOW, show_done);
}

/* the inspection as GET gives it, once written (201 and its Location for a new one) */
static void
created_shown(Req *r, PGresult *res)
{
	char		path[64];

	snprintf(path, sizeof path, "/api/inspections/%lld", r->route.inspection_id);
	api_location(r, path);
	api_reply_json(r, 201, res, 0, "the new inspection is not to be seen");
}

static void
written(Req *r, PGresult *res, ApiDone then)
{
	if (api_refused(r, res))
		return;
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 3))
	{
		http_error(r, 500, "the database wrote no inspection");
		return;
	}
	r->route.inspection_id = atoll(PQgetvalue(res, 0, 3));
	id_lang_query(r, r->route.inspection_id, r->route.lang, SQL_SHOW, then);
}

static void
create_done(Req *r, PGresult *res)
{
	written(r, res, created_shown);
}

void
inspections_create(Req *r, const Route *rt)
{
	body_write(r, &rt->pond_id, 1, SQL_CREATE, NULL, create_done);
}

static void
edit_done(Req *r, PGresult *res)
{
	written(r, res, show_done);
}

void
inspections_edit(Req *r, const Route *rt)
{
	body_write(r, &rt->inspection_id, 1, SQL_EDIT, "the body is the change: {\"finished_on\": \"YYYY-MM-DD\"}", edit_done);
}

/* the visit: 201 when the row is new, 200 when it was there (a replay or a correction) */
static void
visit_done(Req *r, PGresult *res)
{
	if (api_refused(r, res))
		return;
	if (PQntuples(res) != 1 || PQnfields(res) < 5 || PQgetisnull(res, 0, 3))
	{
		http_error(r, 500, "the database wrote no visit");
		return;
	}
	api_reply_json(r, strcmp(PQgetvalue(res, 0, 4), "t") == 0 ? 201 : 200, res, 3, NULL);
}

void
inspections_visit(Req *r, const Route *rt)
{
	long long	ids[2] = {rt->inspection_id, rt->element_id};

	body_write(r, ids, 2, SQL_VISIT,
			   "the body is the visit: {\"state\": \"normal\", \"visited_at\": ..., \"lon\": ..., \"lat\": ...}", visit_done);
}
