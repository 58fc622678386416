/*
 * pondfile.c - the pond's file (一库一档) over HTTP (design section 8): the
 * whole file as tailings.pond_file() makes it, the annual ledger (年度尾矿台账)
 * and the papers (环评批复, 排污许可证, 应急预案, ...).
 *
 * As hazards.c: every statement runs as the request's role, so row-level
 * security says which ponds a member sees (an unseen pond is 404) and the
 * grants who writes what (an enterprise reports its ledger, a bureau reads
 * it: 403; only a bureau removes a paper); the tables' checks judge the
 * values (422).  A write answers with the row as the GET gives it, read back
 * in the same transaction (api_write_then).
 */
#include "pondfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "body.h"
#include "http.h"

/* $1 pond, $2 ?lang=: the file in that language; no row when the role does not see the pond */
static const char SQL_FILE[] =
	API_SQL_LANG "SELECT tailings.pond_file(p.id)::text FROM lang, tailings.pond p WHERE p.id = $1::bigint";

/* the ledger's amounts: the body's fields and the columns */
#define LEDGER_AMOUNTS(X) X(produced_t) LEDGER_AMOUNTS_AFTER_FIRST(X)
#define LEDGER_AMOUNTS_AFTER_FIRST(X) \
	X(stored_t) X(reused_t) X(stock_t) X(return_water_m3) X(discharged_m3) X(leachate_m3) X(leachate_treated_m3)
#define LEDGER_PAIR(c) "'" #c "', l." #c ", "
#define LEDGER_COLUMN(c) ", " #c
#define LEDGER_VALUE(c) ", (j->>'" #c "')::numeric"
#define LEDGER_SET(c) ", " #c " = EXCLUDED." #c

/* a year's ledger, over l */
#define SQL_LEDGER_OBJECT \
	"json_build_object('pond_id', l.pond_id, 'year', l.year, " LEDGER_AMOUNTS(LEDGER_PAIR) "'reported_on', l.reported_on)"

/* $1 pond: its ledger by year; no row when the role does not see the pond */
static const char SQL_LEDGER[] =
	API_SQL_OF_POND(SQL_LEDGER_OBJECT, "l.year", " FROM tailings.ledger l WHERE l.pond_id = p.id");

/* $1 pond, $2 year */
static const char SQL_LEDGER_YEAR[] =
	"SELECT " SQL_LEDGER_OBJECT "::text FROM tailings.ledger l WHERE l.pond_id = $1::bigint AND l.year = $2::smallint";

/*
 * $1 pond, $2 year, $3 the amounts: the year's row made or replaced whole
 * (an amount left out is none); reported_on is stamped by the table.  Leaves
 * the pond, and whether the row is new, for the answer.
 */
static const char SQL_LEDGER_PUT[] =
	"WITH body AS (SELECT $3::jsonb AS j),"
	" u AS (INSERT INTO tailings.ledger AS l (pond_id, year" LEDGER_AMOUNTS(LEDGER_COLUMN) ")"
	" SELECT p.id, $2::smallint" LEDGER_AMOUNTS(LEDGER_VALUE) " FROM tailings.pond p, body WHERE p.id = $1::bigint"
	" ON CONFLICT (pond_id, year) DO UPDATE SET produced_t = EXCLUDED.produced_t" LEDGER_AMOUNTS_AFTER_FIRST(LEDGER_SET)
	" RETURNING l.pond_id, l.year, l.xmax = 0 AS created)"
	" SELECT " API_SQL_LEAVE_ID("u.pond_id") ", set_config('tailings_api.year', u.year::text, true),"
	" set_config('tailings_api.created', u.created::text, true) FROM u";
static const char SQL_LEDGER_PUT_ANSWER[] =
	"SELECT " SQL_LEDGER_OBJECT "::text,"
	" CASE WHEN current_setting('tailings_api.created', true) = 'true'"
	"   THEN '/api/ponds/' || l.pond_id || '/ledger/' || l.year END"
	" FROM tailings.ledger l WHERE l.pond_id = " API_SQL_CHANGED_ID
	" AND l.year = nullif(current_setting('tailings_api.year', true), '')::smallint";

static const char *const ledger_fields[] = {
#define LEDGER_FIELD(c) #c,
	LEDGER_AMOUNTS(LEDGER_FIELD)
#undef LEDGER_FIELD
	NULL
};

/* a paper, over d */
#define SQL_DOCUMENT_OBJECT \
	"json_build_object('id', d.id, 'pond_id', d.pond_id, 'kind', d.kind, 'number', d.number," \
	" 'issued_on', d.issued_on, 'valid_until', d.valid_until, 'issuer', d.issuer, 'attrs', d.attrs)"

/* $1 pond: its papers by kind, the latest first; no row when the role does not see the pond */
static const char SQL_DOCUMENTS[] =
	API_SQL_OF_POND(SQL_DOCUMENT_OBJECT, "d.kind, d.issued_on DESC NULLS LAST, d.id",
					" FROM tailings.document d WHERE d.pond_id = p.id");

/* $1 paper */
static const char SQL_DOCUMENT[] =
	"SELECT " SQL_DOCUMENT_OBJECT "::text FROM tailings.document d WHERE d.id = $1::bigint";
static const char SQL_DOCUMENT_CHANGED[] =
	"SELECT " SQL_DOCUMENT_OBJECT "::text FROM tailings.document d WHERE d.id = " API_SQL_CHANGED_ID;
static const char SQL_DOCUMENT_CREATED[] =
	"SELECT " SQL_DOCUMENT_OBJECT "::text, '/api/documents/' || d.id FROM tailings.document d"
	" WHERE d.id = " API_SQL_CHANGED_ID;

/* $1 pond, $2 the paper */
static const char SQL_DOCUMENT_CREATE[] =
	"WITH body AS (SELECT $2::jsonb AS j),"
	" n AS (INSERT INTO tailings.document (pond_id, kind, number, issued_on, valid_until, issuer, attrs)"
	" SELECT p.id, j->>'kind', j->>'number', (j->>'issued_on')::date, (j->>'valid_until')::date, j->>'issuer',"
	"   coalesce(j->'attrs', '{}')"
	" FROM tailings.pond p, body WHERE p.id = $1::bigint RETURNING id)"
	" SELECT " API_SQL_LEAVE_ID("n.id") " FROM n";

/* $1 paper: removed (a bureau's, for a paper filed by mistake) */
static const char SQL_DOCUMENT_DELETE[] =
	"DELETE FROM tailings.document d WHERE d.id = $1::bigint RETURNING d.id";

static const char *const document_fields[] = {"kind", "number", "issued_on", "valid_until", "issuer", "attrs", NULL};
static const char *const document_sets[] = {
	"kind = j->>'kind'",
	"number = j->>'number'",
	"issued_on = (j->>'issued_on')::date",
	"valid_until = (j->>'valid_until')::date",
	"issuer = j->>'issuer'",
	"attrs = coalesce(j->'attrs', '{}')",
	NULL,
};

static void
ledger_done(Req *r, PGresult *res)
{
	api_json_row(r, res, "no ledger of that pond and year");
}

static void
document_done(Req *r, PGresult *res)
{
	api_json_row(r, res, "no such document");
}

void
pondfile_show(Req *r, const Route *rt)
{
	api_pond_query(r, rt, SQL_FILE, api_pond_row);
}

void
pondfile_ledger(Req *r, const Route *rt)
{
	api_query_id(r, SQL_LEDGER, rt->pond_id, api_pond_row);
}

void
pondfile_ledger_year(Req *r, const Route *rt)
{
	char		pond[24],
				year[8];
	const char *params[2] = {pond, year};

	snprintf(pond, sizeof pond, "%lld", rt->pond_id);
	snprintf(year, sizeof year, "%d", rt->year);
	api_query(r, SQL_LEDGER_YEAR, 2, params, ledger_done);
}

void
pondfile_ledger_put(Req *r, const Route *rt)
{
	char		pond[24],
				year[8];
	const char *params[3] = {pond, year, NULL};
	unsigned	given;
	char	   *body = body_object(r, ledger_fields, &given);

	if (body == NULL)
		return;
	snprintf(pond, sizeof pond, "%lld", rt->pond_id);
	snprintf(year, sizeof year, "%d", rt->year);
	params[2] = body;
	api_write_then(r, SQL_LEDGER_PUT, 3, params, SQL_LEDGER_PUT_ANSWER, api_pond_row);
	free(body);
}

void
pondfile_documents(Req *r, const Route *rt)
{
	api_query_id(r, SQL_DOCUMENTS, rt->pond_id, api_pond_row);
}

void
pondfile_document_create(Req *r, const Route *rt)
{
	unsigned	given;
	char	   *body = body_object(r, document_fields, &given);

	if (body == NULL)
		return;
	api_write_body(r, SQL_DOCUMENT_CREATE, rt->pond_id, body, SQL_DOCUMENT_CREATED, api_pond_row);
	free(body);
}

void
pondfile_document(Req *r, const Route *rt)
{
	api_query_id(r, SQL_DOCUMENT, rt->document_id, document_done);
}

void
pondfile_document_patch(Req *r, const Route *rt)
{
	unsigned	given;
	char	   *body = body_object(r, document_fields, &given);

	if (body == NULL)
		return;
	api_write_patch(r, "tailings.document", document_fields, given, document_sets, rt->document_id, body,
					SQL_DOCUMENT_CHANGED, document_done);
	free(body);
}

/* 204, or 404 when the role sees no such paper */
static void
deleted(Req *r, PGresult *res)
{
	if (PQntuples(res) != 1)
	{
		http_error(r, 404, "no such document");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Cache-Control", "no-store");
	http_reply(r, 204, NULL, NULL, NULL);
}

void
pondfile_document_delete(Req *r, const Route *rt)
{
	char		v[24];
	const char *params[1] = {v};

	snprintf(v, sizeof v, "%lld", rt->document_id);
	api_write(r, SQL_DOCUMENT_DELETE, 1, params, deleted);
}
