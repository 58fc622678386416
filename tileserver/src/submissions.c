/*
 * submissions.c - the write API (design section 9): an enterprise's drawing
 * of its pond (a GeoJSON FeatureCollection) becomes a submission, which its
 * author submits or withdraws and a reviewer approves or rejects.  Every
 * statement is the extension's function (import_geojson, submission_diff,
 * check_submission, submit, withdraw, approve, reject), run as the request's
 * role in a read-write transaction of its own: the database decides who may
 * do what (403), what is a bad drawing (422, with the feature's index), and
 * what is stale (409).
 *
 * A body is JSON, read and limited as every write's (body.c), and goes to the
 * database as one text parameter, which parses it (not JSON: 400).
 */
#include "submissions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "api.h"
#include "body.h"
#include "http.h"
#include "style.h"

/* a submission as JSON: everything but its features, and the pond's name */
#define SQL_SUBMISSION_FIELDS \
	"'id', s.id, 'pond_id', s.pond_id, 'pond_name', p.name, 'status', s.status," \
	" 'created_by', s.created_by, 'created_at', s.created_at, 'submitted_at', s.submitted_at," \
	" 'withdrawn_at', s.withdrawn_at," \
	" 'reviewed_by', s.reviewed_by, 'reviewed_at', s.reviewed_at, 'review_note', s.review_note," \
	" 'feature_count', jsonb_array_length(CASE jsonb_typeof(s.features->'features')" \
	"   WHEN 'array' THEN s.features->'features' ELSE '[]' END)"

/* $1 status or NULL, $2 pond or NULL: the submissions the role sees, newest first */
static const char SQL_LIST[] =
	"SELECT coalesce(json_agg(json_build_object(" SQL_SUBMISSION_FIELDS ") ORDER BY s.id DESC), '[]')::text"
	" FROM tailings.submission s LEFT JOIN tailings.pond p ON p.id = s.pond_id"
	" WHERE ($1::text IS NULL OR s.status = $1::text) AND ($2::bigint IS NULL OR s.pond_id = $2::bigint)";

/* $1: one submission with its drawing, its differences from the map and the map's check as it would be */
static const char SQL_SHOW[] =
	"SELECT json_build_object(" SQL_SUBMISSION_FIELDS ", 'features', s.features,"
	" 'diff', (SELECT coalesce(json_agg(d ORDER BY d.feature_index NULLS LAST, d.element_id), '[]')"
	"   FROM tailings.submission_diff(s.id) d),"
	" 'check', (SELECT coalesce(json_agg(c), '[]') FROM tailings.check_submission(s.id) c))::text"
	" FROM tailings.submission s LEFT JOIN tailings.pond p ON p.id = s.pond_id WHERE s.id = $1::bigint";

/* $1 pond, $2 the drawing */
static const char SQL_CREATE[] = "SELECT tailings.import_geojson($1::bigint, $2::jsonb)";

/*
 * $1 submission, $2 the body ({"note": ...}) or NULL (parsed all the same:
 * a body that is not JSON is refused); the submission's new status
 */
static const char *const SQL_STEP[ROUTE_NSTEPS] = {
	[ROUTE_STEP_SUBMIT] = "SELECT tailings.submit($1::bigint) WHERE $2::jsonb IS NULL OR true",
	[ROUTE_STEP_WITHDRAW] = "SELECT tailings.withdraw($1::bigint) WHERE $2::jsonb IS NULL OR true",
	[ROUTE_STEP_APPROVE] = "SELECT tailings.approve($1::bigint, $2::jsonb ->> 'note')",
	[ROUTE_STEP_REJECT] = "SELECT tailings.reject($1::bigint, $2::jsonb ->> 'note')",
};

static void
list_done(Req *r, PGresult *res)
{
	api_json_row(r, res, "no submissions");
}

static void
show_done(Req *r, PGresult *res)
{
	api_json_row(r, res, "no such submission");
}

void
submissions_list(Req *r, const Route *rt)
{
	char		pid[24];
	const char *params[2];

	snprintf(pid, sizeof pid, "%lld", rt->pond_id);
	params[0] = rt->status[0] ? rt->status : NULL;
	params[1] = rt->pond_id ? pid : NULL;
	api_query(r, SQL_LIST, 2, params, list_done);
}

void
submissions_show(Req *r, const Route *rt)
{
	char		sid[24];
	const char *params[1] = {sid};

	snprintf(sid, sizeof sid, "%lld", rt->submission_id);
	api_query(r, SQL_SHOW, 1, params, show_done);
}

/* 201, Location: the new submission */
static void
create_done(Req *r, PGresult *res)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
	struct evbuffer *b;
	char		base[256],
				location[320];
	const char *id;

	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
	{
		http_error(r, 500, "the database made no submission");
		return;
	}
	id = PQgetvalue(res, 0, 0);
	if ((b = http_body(r)) == NULL)
		return;
	http_base_url(r, base, sizeof base);
	snprintf(location, sizeof location, "%s/api/submissions/%s", base, id);
	evhttp_add_header(h, "Location", location);
	evhttp_add_header(h, "Access-Control-Expose-Headers", "Location");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evbuffer_add_printf(b, "{\"id\":%s,\"pond_id\":%lld,\"status\":\"draft\",\"url\":", id, r->route.pond_id);
	style_json_string(b, location);
	evbuffer_add_printf(b, "}\n");
	http_reply(r, 201, "application/json; charset=utf-8", b, NULL);
}

void
submissions_create(Req *r, const Route *rt)
{
	body_write(r, &rt->pond_id, 1, SQL_CREATE, "the body is the drawing: a GeoJSON FeatureCollection", create_done);
}

/* a step done: the submission's id and new status */
static void
step_done(Req *r, PGresult *res)
{
	struct evbuffer *b;

	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
	{
		http_error(r, 500, "the step gave no status");
		return;
	}
	if ((b = http_body(r)) == NULL)
		return;
	evbuffer_add_printf(b, "{\"id\":%lld,\"status\":", r->route.submission_id);
	style_json_string(b, PQgetvalue(res, 0, 0));
	evbuffer_add_printf(b, "}\n");
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Cache-Control", "no-store");
	http_reply(r, 200, "application/json; charset=utf-8", b, NULL);
}

void
submissions_step(Req *r, const Route *rt)
{
	body_write(r, &rt->submission_id, 1, SQL_STEP[rt->step], NULL, step_done);
}
