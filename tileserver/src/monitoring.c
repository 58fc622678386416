/*
 * monitoring.c - groundwater monitoring (design section 8): the samples of a
 * pond's wells, which the enterprise that runs the monitoring records, and
 * each well's latest values against GB/T 14848-2017 class III
 * (tailings.monitoring_assessment), as JSON made by the database.
 *
 * As for inspections.c: the request's role reads and writes, row-level
 * security decides (a sample is the enterprise's to record: a bureau gets
 * 403), the extension's trigger what a sample is (a well's; its parameter's
 * name as the limit's code; a unit that converts to the limit's: 422), and
 * the body's fields are checked in the statement first (body.h).  A second
 * sample of a well, parameter and day is 409 (the one there is kept).
 */
#include "monitoring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "body.h"
#include "http.h"

/*
 * A sample as JSON, from tailings.sample s (or a row like it), its well e,
 * its limit g (none for a parameter without one) and its value in the
 * limit's unit c.v: exceeds is null without a limit.
 */
#define SQL_SAMPLE_FIELDS \
	"'id', s.id, 'element_id', s.element_id, 'element_name', e.name, 'sampled_on', s.sampled_on," \
	" 'parameter', s.parameter, 'value', s.value, 'unit', s.unit, 'limit_max', g.max_value," \
	" 'limit_min', g.min_value, 'limit_unit', g.unit, 'value_in_limit_unit', c.v," \
	" 'exceeds', CASE WHEN c.v IS NOT NULL THEN coalesce(c.v > g.max_value, false) OR coalesce(c.v < g.min_value, false) END"
#define SQL_SAMPLE_JOINS \
	" LEFT JOIN tailings.element e ON e.id = s.element_id LEFT JOIN tailings.gw_limit g ON g.parameter = s.parameter" \
	" CROSS JOIN LATERAL (SELECT tailings._unit_convert(s.value, s.unit, g.unit) AS v) c"

/*
 * $1 pond, $2 well or NULL, $3 parameter or NULL (a code, a label or a
 * symbol, as a sample may give it): the samples, by well, parameter and date
 */
static const char SQL_SAMPLES[] =
	"SELECT (SELECT coalesce(json_agg(json_build_object(" SQL_SAMPLE_FIELDS ")"
	"   ORDER BY s.element_id, s.parameter, s.sampled_on, s.id), '[]')"
	"   FROM tailings.sample s " SQL_SAMPLE_JOINS
	"   WHERE s.pond_id = p.id AND ($2::bigint IS NULL OR s.element_id = $2::bigint)"
	"     AND ($3::text IS NULL OR s.parameter = coalesce((tailings._gw_parameter($3::text)).parameter, btrim($3::text))))::text"
	" FROM tailings.pond p WHERE p.id = $1::bigint";

#define SAMPLE_FIELDS "'element_id', 'sampled_on', 'parameter', 'value', 'unit'"

/* $1 pond, $2 the body: a new sample; the sample as JSON */
static const char SQL_SAMPLE_CREATE[] =
	"WITH b AS (SELECT $2::jsonb AS j),"
	" bad AS (SELECT x.status, x.message, x.field FROM b, LATERAL (VALUES"
	"  (1, 404, NULL::text, NOT EXISTS (SELECT FROM tailings.pond p WHERE p.id = $1::bigint), 'no such pond'),"
	"  (2, 422, NULL, NOT " BODY_OBJECT ","
	"   'the body is a sample: {\"element_id\": ..., \"sampled_on\": \"YYYY-MM-DD\", \"parameter\": ..., \"value\": ...,"
	" \"unit\": ...}'),"
	"  (3, 422, " BODY_UNKNOWN(SAMPLE_FIELDS) ", " BODY_UNKNOWN(SAMPLE_FIELDS) " IS NOT NULL,"
	"   'unknown field ' || " BODY_UNKNOWN(SAMPLE_FIELDS) " || ': a sample has element_id, sampled_on, parameter,"
	" value and unit'),"
	"  (4, 422, 'element_id', NOT " BODY_IS_ID("element_id") ", 'element_id is the well''s id, a positive integer'),"
	"  (5, 422, 'element_id', EXISTS (SELECT FROM tailings.element e WHERE e.id = " BODY_ID("element_id")
	"     AND e.pond_id <> $1::bigint),"
	"   (SELECT format('element %s is of pond %s, not of pond %s', e.id, e.pond_id, $1::bigint)"
	"      FROM tailings.element e WHERE e.id = " BODY_ID("element_id") ")),"
	"  (6, 422, 'sampled_on', NOT " BODY_IS_DATE("sampled_on") ", 'sampled_on is a date, YYYY-MM-DD'),"
	"  (7, 422, 'parameter', NOT coalesce(btrim(" BODY_TEXT("parameter") ") <> '', false),"
	"   'parameter is a text: the parameter''s code, label or symbol (manganese, 锰, Mn)'),"
	"  (8, 422, 'value', NOT " BODY_IS_NUMBER("value", "1e300") ", 'value is a number'),"
	"  (9, 422, 'unit', NOT (" BODY_NULL("unit") " OR " BODY_IS("unit", "string") "),"
	"   'unit is a text: mg/L (the default), µg/L, g/L or ng/L; none for pH')"
	" ) x(ord, status, field, failing, message) WHERE x.failing ORDER BY x.ord LIMIT 1),"
	" w AS (INSERT INTO tailings.sample (element_id, sampled_on, parameter, value, unit)"
	"   SELECT " BODY_ID("element_id") ", " BODY_DATE("sampled_on") ", " BODY_TEXT("parameter") ", "
	BODY_NUMBER("value", "1e300") ", coalesce(" BODY_TEXT("unit") ", 'mg/L')"
	"   FROM b WHERE NOT EXISTS (SELECT FROM bad) RETURNING *)"
	" SELECT x.status, x.message, x.field,"
	"  (SELECT json_build_object(" SQL_SAMPLE_FIELDS ")::text FROM w s " SQL_SAMPLE_JOINS ")"
	" FROM (SELECT) one LEFT JOIN bad x ON true";

/*
 * $1 pond, $2 lang: tailings.monitoring_assessment in its order, with the
 * labels of the wells' kinds and of the parameters in the language
 */
static const char SQL_MONITORING[] =
	"WITH lang AS MATERIALIZED (SELECT set_config('tailings.language',"
	" coalesce($2, current_setting('tailings.language')), true) AS lang)"
	" SELECT (SELECT coalesce(json_agg(json_build_object('element_id', m.element_id, 'kind', m.kind,"
	"   'label', tailings.label(m.kind), 'name', m.name, 'parameter', m.parameter,"
	"   'parameter_label', CASE WHEN lang.lang = 'en' THEN g.label_en ELSE g.label_zh END,"
	"   'sampled_on', m.sampled_on, 'value', m.value, 'unit', m.unit, 'limit_max', m.limit_max,"
	"   'limit_min', m.limit_min, 'exceeds', m.exceeds, 'background', m.background,"
	"   'ratio_to_background', m.ratio_to_background) ORDER BY m.o), '[]')"
	"   FROM tailings.monitoring_assessment(p.id) WITH ORDINALITY m(element_id, kind, parameter, sampled_on, value,"
	"     limit_max, exceeds, background, ratio_to_background, limit_min, unit, name, o)"
	"   LEFT JOIN tailings.gw_limit g ON g.parameter = m.parameter)::text"
	" FROM lang, tailings.pond p WHERE p.id = $1::bigint";

static void
pond_done(Req *r, PGresult *res)
{
	api_reply_json(r, 200, res, 0, "no such pond");
}

void
monitoring_samples(Req *r, const Route *rt)
{
	char		pid[24],
				eid[24];
	const char *params[3];

	snprintf(pid, sizeof pid, "%lld", rt->pond_id);
	snprintf(eid, sizeof eid, "%lld", rt->element_id);
	params[0] = pid;
	params[1] = rt->element_id ? eid : NULL;
	params[2] = rt->parameter[0] ? rt->parameter : NULL;
	api_query(r, SQL_SAMPLES, 3, params, pond_done);
}

static void
created(Req *r, PGresult *res)
{
	if (api_refused(r, res))
		return;
	if (PQntuples(res) != 1 || PQnfields(res) < 4 || PQgetisnull(res, 0, 3))
	{
		http_error(r, 500, "the database wrote no sample");
		return;
	}
	api_reply_json(r, 201, res, 3, NULL);
}

void
monitoring_sample_create(Req *r, const Route *rt)
{
	body_write(r, &rt->pond_id, 1, SQL_SAMPLE_CREATE,
			   "the body is the sample: {\"element_id\": ..., \"sampled_on\": \"YYYY-MM-DD\","
			   " \"parameter\": \"manganese\", \"value\": 0.05, \"unit\": \"mg/L\"}", created);
}

void
monitoring_assessment(Req *r, const Route *rt)
{
	char		pid[24];
	const char *params[2];

	snprintf(pid, sizeof pid, "%lld", rt->pond_id);
	params[0] = pid;
	params[1] = rt->lang[0] ? rt->lang : NULL;
	api_query(r, SQL_MONITORING, 2, params, pond_done);
}
