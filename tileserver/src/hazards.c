/*
 * hazards.c - hazards (隐患) and their checks over HTTP (design section 8):
 * the closed loop 排查 -> 治理 -> 成效核查, and the city's hazard board.
 *
 * Every statement runs as the request's role (api.c), so the database says
 * who may do what: row-level security which hazards a member sees (one it
 * does not see is 404, never its data), the grants which columns a level may
 * change (an enterprise writes the rectification, a bureau what the hazard
 * says and when it is due: 403), and the hazard's trigger which moves are
 * allowed (23514: 422 with the allowed moves in "detail").  So a PATCH names
 * in its UPDATE only the columns its body gives (api_write_patch), and a body
 * with a member that is no field is refused before the database (422).
 *
 * A write answers with the object as it is after it, the same the GET gives:
 * the change runs first and leaves the row's id in a setting of its
 * transaction (tailings_api.id), then the GET's statement reads it back
 * (api_write_then), after the triggers (a check's verdict moves its hazard).
 * Objects and arrays are made by PostgreSQL; the board's CSV is written here
 * from its rows, the same rows in the same order as its JSON.
 */
#include "hazards.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "api.h"
#include "body.h"
#include "http.h"

/*
 * A hazard's fields: X(key, SQL), over h (tailings.hazard), e (its element),
 * o (its hazard_overdue row: days_overdue), p (its pond, on the board).
 * Positions to 7 decimals (about 1 cm): what a phone gave comes back.
 */
#define HZ_HEAD(X) \
	X("id", "h.id") \
	X("pond_id", "h.pond_id") \
	X("element_id", "h.element_id") \
	X("element_name", "e.name")
#define HZ_LON "round(ST_X(h.location)::numeric, 7)::float8"
#define HZ_LAT "round(ST_Y(h.location)::numeric, 7)::float8"
#define HZ_POSITION(X) \
	X("lon", HZ_LON) \
	X("lat", HZ_LAT)
#define HZ_TAIL(X) \
	X("found_on", "h.found_on") \
	X("found_by", "h.found_by") \
	X("found_level", "h.found_level") \
	X("campaign", "h.campaign") \
	X("category", "h.category") \
	X("severity", "h.severity") \
	X("description", "h.description") \
	X("deadline", "h.deadline") \
	X("status", "h.status") \
	X("rectification", "h.rectification") \
	X("rectified_on", "h.rectified_on") \
	X("overdue", "o.days_overdue IS NOT NULL") \
	X("days_overdue", "o.days_overdue")
#define HZ_POND(X) \
	X("pond_code", "p.code") \
	X("pond_name", "p.name") \
	X("enterprise", "p.enterprise") \
	X("county_code", "p.county_code")

/* 'key', SQL, (json_build_object's arguments) */
#define HZ_PAIR(key, sql) "'" key "', " sql ", "
/* SQL's text as a CSV column named key: as JSON gives it (ISO dates, true/false), null empty */
#define HZ_TEXT(key, sql) "to_json(" sql ") #>> '{}' AS \"" key "\", "

/* a check as JSON, over c */
#define SQL_CHECK_FIELDS \
	"'id', c.id, 'hazard_id', c.hazard_id, 'checked_on', c.checked_on, 'level', c.level," \
	" 'checked_by', c.checked_by, 'passed', c.passed, 'note', c.note"

/* a hazard and what it reads: its element, and whether and how long it is overdue (the view's say) */
#define SQL_HAZARD_FROM \
	" FROM tailings.hazard h LEFT JOIN tailings.element e ON e.id = h.element_id" \
	" LEFT JOIN LATERAL (SELECT v.days_overdue FROM tailings.hazard_overdue v WHERE v.id = h.id) o ON true"

/* Hazard: its fields and its checks, oldest first */
#define SQL_HAZARD_OBJECT \
	"json_build_object(" HZ_HEAD(HZ_PAIR) HZ_POSITION(HZ_PAIR) HZ_TAIL(HZ_PAIR) \
	"'checks', (SELECT coalesce(json_agg(json_build_object(" SQL_CHECK_FIELDS ") ORDER BY c.checked_on, c.id), '[]')" \
	" FROM tailings.hazard_check c WHERE c.hazard_id = h.id))"

/* $1: a hazard */
static const char SQL_HAZARD[] =
	"SELECT " SQL_HAZARD_OBJECT "::text" SQL_HAZARD_FROM " WHERE h.id = $1::bigint";

/* after a change: the hazard changed (its path too, for a new one) */
static const char SQL_HAZARD_CHANGED[] =
	"SELECT " SQL_HAZARD_OBJECT "::text" SQL_HAZARD_FROM " WHERE h.id = " API_SQL_CHANGED_ID;
static const char SQL_HAZARD_CREATED[] =
	"SELECT " SQL_HAZARD_OBJECT "::text, '/api/hazards/' || h.id" SQL_HAZARD_FROM " WHERE h.id = " API_SQL_CHANGED_ID;

/* $1: a pond's hazards, newest found first; no row when the role does not see the pond */
static const char SQL_POND_HAZARDS[] =
	API_SQL_OF_POND(SQL_HAZARD_OBJECT, "h.found_on DESC, h.id DESC", SQL_HAZARD_FROM " WHERE h.pond_id = p.id");

/*
 * $1 pond, $2 HazardIn.  The pond as the role sees it (none: no row, 404);
 * found_by and found_level left null are the member's (the trigger), a
 * position is lon and lat together.
 */
static const char SQL_CREATE[] =
	"WITH body AS (SELECT $2::jsonb AS j),"
	" n AS (INSERT INTO tailings.hazard (pond_id, element_id, location, found_on, found_by, found_level, campaign,"
	"   category, severity, description, deadline)"
	" SELECT p.id, (j->>'element_id')::bigint,"
	"   CASE WHEN j->>'lon' IS NOT NULL OR j->>'lat' IS NOT NULL"
	"     THEN ST_SetSRID(ST_MakePoint((j->>'lon')::float8, (j->>'lat')::float8), 4490) END,"
	"   coalesce((j->>'found_on')::date, current_date), j->>'found_by', j->>'found_level', j->>'campaign',"
	"   (j->>'category')::tailings.element_category, coalesce(j->>'severity', 'general'), j->>'description',"
	"   (j->>'deadline')::date"
	" FROM tailings.pond p, body WHERE p.id = $1::bigint RETURNING id)"
	" SELECT " API_SQL_LEAVE_ID("n.id") " FROM n";

static const char *const create_fields[] = {
	"element_id", "lon", "lat", "description", "severity", "category", "campaign", "deadline", "found_on",
	"found_by", "found_level", NULL
};

/* a PATCH's fields and their assignments (j: the body); lon's sets the position from both */
static const char *const patch_fields[] = {
	"status", "rectification", "rectified_on", "deadline", "description", "severity", "category", "campaign",
	"element_id", "lon", "lat", NULL
};
static const char *const patch_sets[] = {
	"status = j->>'status'",
	"rectification = j->>'rectification'",
	"rectified_on = (j->>'rectified_on')::date",
	"deadline = (j->>'deadline')::date",
	"description = j->>'description'",
	"severity = j->>'severity'",
	"category = (j->>'category')::tailings.element_category",
	"campaign = j->>'campaign'",
	"element_id = (j->>'element_id')::bigint",
	"location = CASE WHEN j->>'lon' IS NOT NULL OR j->>'lat' IS NOT NULL"
	" THEN ST_SetSRID(ST_MakePoint((j->>'lon')::float8, (j->>'lat')::float8), 4490) END",
	NULL,
};

/* $1 hazard: its checks, oldest first; no row when the role does not see it */
static const char SQL_CHECKS[] =
	"SELECT (SELECT coalesce(json_agg(json_build_object(" SQL_CHECK_FIELDS ") ORDER BY c.checked_on, c.id), '[]')"
	" FROM tailings.hazard_check c WHERE c.hazard_id = h.id)::text FROM tailings.hazard h WHERE h.id = $1::bigint";

/* a check with its hazard's status (after it: a verdict moves a rectified hazard) */
#define SQL_CHECK_OBJECT "json_build_object(" SQL_CHECK_FIELDS ", 'hazard_status', h.status)"
#define SQL_CHECK_FROM " FROM tailings.hazard_check c JOIN tailings.hazard h ON h.id = c.hazard_id"

/* $1 hazard, $2 check */
static const char SQL_CHECK[] =
	"SELECT " SQL_CHECK_OBJECT "::text" SQL_CHECK_FROM " WHERE c.hazard_id = $1::bigint AND c.id = $2::bigint";

/* $1 hazard, $2 {passed, note, checked_on, level, checked_by}: level and checked_by left null are the member's */
static const char SQL_CHECK_CREATE[] =
	"WITH body AS (SELECT $2::jsonb AS j),"
	" n AS (INSERT INTO tailings.hazard_check (hazard_id, checked_on, level, checked_by, passed, note)"
	" SELECT h.id, coalesce((j->>'checked_on')::date, current_date), j->>'level', j->>'checked_by',"
	"   (j->>'passed')::boolean, j->>'note'"
	" FROM tailings.hazard h, body WHERE h.id = $1::bigint RETURNING id)"
	" SELECT " API_SQL_LEAVE_ID("n.id") " FROM n";
static const char SQL_CHECK_CREATED[] =
	"SELECT " SQL_CHECK_OBJECT "::text, '/api/hazards/' || c.hazard_id || '/checks/' || c.id" SQL_CHECK_FROM
	" WHERE c.id = " API_SQL_CHANGED_ID;

static const char *const check_fields[] = {"passed", "note", "checked_on", "level", "checked_by", NULL};

/*
 * The board: the hazards the role sees, with their pond and latest check,
 * filtered ($1 statuses as a comma list, $2 overdue, $3 a county code
 * prefix, $4 campaign, $5 severity, $6 pond; each null for any), overdue
 * first, then by deadline.
 */
#define SQL_BOARD_FROM \
	SQL_HAZARD_FROM " JOIN tailings.pond p ON p.id = h.pond_id" \
	" LEFT JOIN LATERAL (SELECT * FROM tailings.hazard_check c WHERE c.hazard_id = h.id" \
	"   ORDER BY c.checked_on DESC, c.id DESC LIMIT 1) c ON true" \
	" WHERE ($1::text IS NULL OR h.status = ANY (string_to_array($1::text, ',')))" \
	" AND ($2::boolean IS NULL OR (o.days_overdue IS NOT NULL) = $2::boolean)" \
	" AND ($3::text IS NULL OR p.county_code LIKE $3::text || '%')" \
	" AND ($4::text IS NULL OR h.campaign = $4::text)" \
	" AND ($5::text IS NULL OR h.severity = $5::text)" \
	" AND ($6::bigint IS NULL OR h.pond_id = $6::bigint)"
#define SQL_BOARD_ORDER " ORDER BY o.days_overdue IS NULL, h.deadline NULLS LAST, h.id"
#define SQL_LAST_CHECK "'last_check', CASE WHEN c.id IS NOT NULL THEN json_build_object(" SQL_CHECK_FIELDS ") END"

static const char SQL_BOARD[] =
	"SELECT coalesce(json_agg(json_build_object(" HZ_HEAD(HZ_PAIR) HZ_POSITION(HZ_PAIR) HZ_TAIL(HZ_PAIR)
	HZ_POND(HZ_PAIR) SQL_LAST_CHECK ")" SQL_BOARD_ORDER "), '[]')::text" SQL_BOARD_FROM;

/* the hazards with a position as a FeatureCollection: properties all but the position */
static const char SQL_BOARD_GEOJSON[] =
	"SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object("
	" 'type', 'Feature', 'id', h.id,"
	" 'geometry', json_build_object('type', 'Point', 'coordinates', json_build_array(" HZ_LON ", " HZ_LAT ")),"
	" 'properties', json_build_object(" HZ_HEAD(HZ_PAIR) HZ_TAIL(HZ_PAIR) HZ_POND(HZ_PAIR) SQL_LAST_CHECK "))"
	SQL_BOARD_ORDER "), '[]'))::text" SQL_BOARD_FROM " AND h.location IS NOT NULL";

/* the same rows as text columns, for CSV: the latest check's fields as columns of their own */
static const char SQL_BOARD_CSV[] =
	"SELECT " HZ_HEAD(HZ_TEXT) HZ_POSITION(HZ_TEXT) HZ_TAIL(HZ_TEXT) HZ_POND(HZ_TEXT)
	HZ_TEXT("last_checked_on", "c.checked_on") HZ_TEXT("last_check_level", "c.level")
	HZ_TEXT("last_checked_by", "c.checked_by") HZ_TEXT("last_check_passed", "c.passed")
	"to_json(c.note) #>> '{}' AS last_check_note" SQL_BOARD_FROM SQL_BOARD_ORDER;

/* ---------------------------------------------------------------------------
 * reads
 */
static void
hazard_done(Req *r, PGresult *res)
{
	api_json_row(r, res, "no such hazard");
}

static void
check_done(Req *r, PGresult *res)
{
	api_json_row(r, res, "no such check");
}

void
hazards_of_pond(Req *r, const Route *rt)
{
	api_query_id(r, SQL_POND_HAZARDS, rt->pond_id, api_pond_row);
}

void
hazards_show(Req *r, const Route *rt)
{
	api_query_id(r, SQL_HAZARD, rt->hazard_id, hazard_done);
}

void
hazards_checks(Req *r, const Route *rt)
{
	api_query_id(r, SQL_CHECKS, rt->hazard_id, hazard_done);
}

void
hazards_check_show(Req *r, const Route *rt)
{
	char		h[24],
				c[24];
	const char *params[2] = {h, c};

	snprintf(h, sizeof h, "%lld", rt->hazard_id);
	snprintf(c, sizeof c, "%lld", rt->check_id);
	api_query(r, SQL_CHECK, 2, params, check_done);
}

/* ---------------------------------------------------------------------------
 * writes
 */

/* a position is lon and lat together: 1, or the request answered 422 */
static int
position_whole(Req *r, const char *const *fields, unsigned given)
{
	if (body_has(fields, given, "lon") == body_has(fields, given, "lat"))
		return 1;
	http_error_detail(r, 422, "a position is lon and lat together", NULL,
					  "CGCS2000 longitude and latitude in degrees; both null: no position.");
	return 0;
}

void
hazards_create(Req *r, const Route *rt)
{
	unsigned	given;
	char	   *body = body_object(r, create_fields, &given);

	if (body == NULL)
		return;
	if (position_whole(r, create_fields, given))
		api_write_body(r, SQL_CREATE, rt->pond_id, body, SQL_HAZARD_CREATED, api_pond_row);
	free(body);
}

void
hazards_patch(Req *r, const Route *rt)
{
	unsigned	given;
	char	   *body = body_object(r, patch_fields, &given);

	if (body == NULL)
		return;
	if (position_whole(r, patch_fields, given))
		api_write_patch(r, "tailings.hazard", patch_fields, given, patch_sets, rt->hazard_id, body,
						SQL_HAZARD_CHANGED, hazard_done);
	free(body);
}

void
hazards_check_create(Req *r, const Route *rt)
{
	unsigned	given;
	char	   *body = body_object(r, check_fields, &given);

	if (body == NULL)
		return;
	api_write_body(r, SQL_CHECK_CREATE, rt->hazard_id, body, SQL_CHECK_CREATED, hazard_done);
	free(body);
}

/* ---------------------------------------------------------------------------
 * the board
 */

/* a CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, its quotes doubled */
static void
csv_field(struct evbuffer *b, const char *s)
{
	/* a cell a spreadsheet would take for a formula is written as text (a leading quote) */
	int			formula = strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0' && strspn(s, "+-0123456789.eE") != strlen(s);

	if (!formula && strpbrk(s, ",\"\r\n") == NULL)
	{
		evbuffer_add(b, s, strlen(s));
		return;
	}
	evbuffer_add(b, "\"", 1);
	if (formula)
		evbuffer_add(b, "'", 1);
	for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1)
	{
		evbuffer_add(b, s, (size_t) (q - s));
		evbuffer_add(b, "\"\"", 2);
	}
	evbuffer_add(b, s, strlen(s));
	evbuffer_add(b, "\"", 1);
}

/* the rows as CSV: UTF-8 with a byte order mark (Excel reads it as UTF-8), a header, CRLF */
static void
csv_done(Req *r, PGresult *res)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
	struct evbuffer *b = http_body(r);
	int			ncols = PQnfields(res);

	if (b == NULL)
		return;
	evbuffer_add(b, "\xEF\xBB\xBF", 3);
	for (int j = 0; j < ncols; j++)
	{
		if (j)
			evbuffer_add(b, ",", 1);
		csv_field(b, PQfname(res, j));
	}
	evbuffer_add(b, "\r\n", 2);
	for (int i = 0; i < PQntuples(res); i++)
	{
		for (int j = 0; j < ncols; j++)
		{
			if (j)
				evbuffer_add(b, ",", 1);
			csv_field(b, PQgetisnull(res, i, j) ? "" : PQgetvalue(res, i, j));
		}
		evbuffer_add(b, "\r\n", 2);
	}
	evhttp_add_header(h, "Content-Disposition", "attachment; filename=\"hazards.csv\"");
	evhttp_add_header(h, "Cache-Control", "no-store");
	http_reply(r, 200, "text/csv; charset=utf-8", b, NULL);
}

static void
board_done(Req *r, PGresult *res)
{
	api_json_row(r, res, "no hazards");
}

static void
geojson_done(Req *r, PGresult *res)
{
	api_value_row(r, res, "application/geo+json; charset=utf-8", "no hazards");
}

void
hazards_board(Req *r, const Route *rt)
{
	const RouteBoard *f = &rt->board;
	char		pond[24];
	const char *params[6];

	snprintf(pond, sizeof pond, "%lld", rt->pond_id);
	params[0] = f->status[0] ? f->status : NULL;
	params[1] = f->overdue < 0 ? NULL : f->overdue ? "true" : "false";
	params[2] = f->county[0] ? f->county : NULL;
	params[3] = f->campaign[0] ? f->campaign : NULL;
	params[4] = f->severity[0] ? f->severity : NULL;
	params[5] = rt->pond_id ? pond : NULL;
	if (f->format == ROUTE_FORMAT_CSV)
		api_query(r, SQL_BOARD_CSV, 6, params, csv_done);
	else if (f->format == ROUTE_FORMAT_GEOJSON)
		api_query(r, SQL_BOARD_GEOJSON, 6, params, geojson_done);
	else
		api_query(r, SQL_BOARD, 6, params, board_done);
}
