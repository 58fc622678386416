/*
 * Unit tests of the tile server's pure parts: path parsing, configuration,
 * tile bounds, and the cache (eviction, bounding-box invalidation through its
 * tile index against a walk over every entry, ETags).
 * Prints "ok N - name" / "not ok N - name" lines (TAP) and exits non-zero on
 * any failure.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "conf.h"
#include "route.h"
#include "sprite.h"
#include "json.h"
#include "lsn.h"
#include "pmtiles.h"
#include "shape.h"
#include "style.h"
#include "tailings/catalog.h"
#include "tailings/symbology.h"
#include "tilemath.h"

#include <zlib.h>

static int	ntests = 0,
			nfailed = 0;

#define CHECK(cond, name) check((cond), (name), __LINE__)

static void
check(int ok, const char *name, int line)
{
	ntests++;
	if (ok)
		printf("ok %d - %s\n", ntests, name);
	else
	{
		nfailed++;
		printf("not ok %d - %s (line %d)\n", ntests, name, line);
	}
}

static Route
parse(const char *path, const char *query)
{
	Route		r;

	route_parse(path, query, &r);
	return r;
}

static void
test_routes(void)
{
	Route		r;
	char		buf[256];

	r = parse("/tiles/all/14/12824/6942.mvt", NULL);
	CHECK(r.kind == ROUTE_TILE && r.z == 14 && r.x == 12824 && r.y == 6942 && r.layers == route_all_layers(),
		  "tile path with all layers");
	r = parse("/tiles/ponds,groundwater/0/0/0.pbf", NULL);
	CHECK(r.kind == ROUTE_TILE && r.layers == (LAYER_PONDS | (1u << 5)), "tile path with two layers, .pbf");
	route_layers_array(r.layers, buf, sizeof buf);
	CHECK(strcmp(buf, "{ponds,groundwater}") == 0, "layers as a text[] literal");
	route_layers_name(r.layers, buf, sizeof buf);
	CHECK(strcmp(buf, "ponds,groundwater") == 0, "layers as a name");
	route_layers_name(route_all_layers(), buf, sizeof buf);
	CHECK(strcmp(buf, "all") == 0, "all layers named all");
	r = parse("/tiles/wells/1/0/0.mvt", NULL);
	CHECK(r.kind == ROUTE_NOT_FOUND && strcmp(r.layer_error, "wells") == 0, "unknown layer is 404");
	r = parse("/tiles/ponds,/1/0/0.mvt", NULL);
	CHECK(r.kind == ROUTE_NOT_FOUND, "empty layer name is 404");
	CHECK(parse("/tiles/all/23/0/0.mvt", NULL).kind == ROUTE_BAD, "z 23 is 400");
	CHECK(parse("/tiles/all/3/8/0.mvt", NULL).kind == ROUTE_BAD, "x = 2^z is 400");
	CHECK(parse("/tiles/all/3/7/7.mvt", NULL).kind == ROUTE_TILE, "x, y = 2^z - 1 is a tile");
	CHECK(parse("/tiles/all/3/-1/0.mvt", NULL).kind == ROUTE_BAD, "negative x is 400");
	CHECK(parse("/tiles/all/3/1/1.png", NULL).kind == ROUTE_BAD, "wrong extension is 400");
	CHECK(parse("/tiles/all/3/1.mvt", NULL).kind == ROUTE_BAD, "missing y is 400");
	CHECK(parse("/tiles/all/a/1/1.mvt", NULL).kind == ROUTE_BAD, "letters in z are 400");
	CHECK(parse("/tiles/all/99999999999999999999/1/1.mvt", NULL).kind == ROUTE_BAD, "huge z is 400");
	r = parse("/tiles/all/3/1/1.mvt", "at=2025-03-01T08:00:00+08:00");
	CHECK(r.kind == ROUTE_TILE && strcmp(r.at, "2025-03-01T08:00:00+08:00") == 0, "at with offset");
	r = parse("/tiles/all/3/1/1.mvt", "at=2025-03-01T08:00:00 08:00");
	CHECK(r.kind == ROUTE_TILE && strcmp(r.at, "2025-03-01T08:00:00+08:00") == 0, "at: a + sent as a space");
	CHECK(parse("/tiles/all/3/1/1.mvt", "x=1&at=2025-03-01").kind == ROUTE_TILE, "at among other parameters");
	r = parse("/tiles/all/3/1/1.mvt", "at=2025-03-01T08:00:00%2B08:00");
	CHECK(r.kind == ROUTE_TILE && strcmp(r.at, "2025-03-01T08:00:00+08:00") == 0, "at percent-encoded");
	CHECK(parse("/tiles/all/3/1/1.mvt", "at=2025-03-01T08:00:00%2").kind == ROUTE_BAD, "truncated escape is 400");
	CHECK(parse("/tiles/all/3/1/1.mvt", "at=2025-03-01T08:00:00%zz").kind == ROUTE_BAD, "bad escape is 400");
	r = parse("/tiles/\xe5\xb0\xbe\"x/1/0/0.mvt", NULL);
	CHECK(r.kind == ROUTE_NOT_FOUND && strcmp(r.layer_error, "????x") == 0, "unknown layer named in ASCII only");
	CHECK(parse("/tiles/all/3/1/1.mvt", "at=yesterday").kind == ROUTE_BAD, "at not ISO 8601 is 400");
	CHECK(parse("/tiles/all/3/1/1.mvt", "at=2025-13").kind == ROUTE_BAD, "truncated at is 400");
	CHECK(route_valid_time("2025-03-01") && route_valid_time("2025-03-01T08:00Z") &&
		  route_valid_time("2025-03-01T08:00:00.123456-05") && !route_valid_time("2025-03-01T8:00") &&
		  !route_valid_time("2025-03-01T08:00:00+0800x"), "ISO 8601 forms");
	/* any fraction of a second is the same cached moment, not a query of its own */
	r = parse("/tiles/all/3/1/1.mvt", "at=2025-03-01T08:00:00.123456%2B08:00");
	CHECK(r.kind == ROUTE_TILE && strcmp(r.at, "2025-03-01T08:00:00+08:00") == 0, "at fraction dropped");
	r = parse("/tiles/all/3/1/1.mvt", "at=2025-03-01T08:00:59.9Z");
	CHECK(r.kind == ROUTE_TILE && strcmp(r.at, "2025-03-01T08:00:59Z") == 0, "at to the second");
	r = parse("/tiles/groundwater.json", NULL);
	CHECK(r.kind == ROUTE_TILEJSON && r.layers == (1u << 5), "TileJSON path");
	CHECK(parse("/tiles/nope.json", NULL).kind == ROUTE_NOT_FOUND, "TileJSON of an unknown layer is 404");
	CHECK(parse("/style.json", NULL).kind == ROUTE_STYLE, "style");
	r = parse("/sprite@2x.png", NULL);
	CHECK(r.kind == ROUTE_SPRITE && r.sprite_png && r.sprite_2x, "sprite @2x png");
	r = parse("/fonts/Noto Sans CJK SC Regular,Arial/25344-25599.pbf", NULL);
	CHECK(r.kind == ROUTE_GLYPHS && r.glyph_start == 25344 && r.glyph_stack_len == strlen("Noto Sans CJK SC Regular,Arial") &&
		  strncmp(r.glyph_stack, "Noto Sans CJK SC Regular,Arial/", r.glyph_stack_len + 1) == 0, "glyph range: stack and start");
	CHECK(parse("/fonts/x/65280-65535.pbf", NULL).kind == ROUTE_GLYPHS, "the last glyph range");
	CHECK(parse("/fonts/x/255-0.pbf", NULL).kind == ROUTE_BAD, "reversed glyph range is 400");
	CHECK(parse("/fonts/x/0-256.pbf", NULL).kind == ROUTE_BAD, "a glyph range of 257 is 400");
	CHECK(parse("/fonts/x/1-256.pbf", NULL).kind == ROUTE_BAD, "a glyph range off the 256 grid is 400");
	CHECK(parse("/fonts/x/0-511.pbf", NULL).kind == ROUTE_BAD, "two glyph ranges at once is 400");
	CHECK(parse("/fonts/x/65536-65791.pbf", NULL).kind == ROUTE_BAD, "a glyph range beyond the BMP is 400");
	CHECK(parse("/fonts//0-255.pbf", NULL).kind == ROUTE_BAD, "an empty fontstack is 400");
	CHECK(parse("/fonts/0-255.pbf", NULL).kind == ROUTE_BAD, "no fontstack is 400");
	CHECK(parse("/fonts/x/-.pbf", NULL).kind == ROUTE_BAD && parse("/fonts/x/0-.pbf", NULL).kind == ROUTE_BAD &&
		  parse("/fonts/x/-255.pbf", NULL).kind == ROUTE_BAD, "glyph range without a number is 400");
	CHECK(parse("/api/ponds", NULL).kind == ROUTE_PONDS, "pond list");
	r = parse("/api/ponds/42", NULL);
	CHECK(r.kind == ROUTE_POND && r.pond_id == 42, "one pond");
	r = parse("/api/ponds/42/completeness", NULL);
	CHECK(r.kind == ROUTE_POND_COMPLETENESS && r.pond_id == 42, "a pond's completeness");
	CHECK(parse("/api/ponds/x", NULL).kind == ROUTE_BAD, "pond id not a number is 400");
	r = parse("/api/ponds/42/geojson", "lang=en");
	CHECK(r.kind == ROUTE_POND_GEOJSON && r.pond_id == 42 && strcmp(r.lang, "en") == 0, "a pond's GeoJSON");
	CHECK(parse("/api/ponds/4x/geojson", NULL).kind == ROUTE_BAD, "GeoJSON of a malformed pond id is 400");
	CHECK(parse("/api/ponds/42/geojson", "lang=fr").kind == ROUTE_BAD, "GeoJSON in an unknown language is 400");
	CHECK(parse("/api/ponds/42/geojson/x", NULL).kind == ROUTE_NOT_FOUND, "below the GeoJSON is 404");
	r = parse("/sheet/7", NULL);
	CHECK(r.kind == ROUTE_SHEET && r.pond_id == 7, "a pond's sheet");
	CHECK(parse("/sheet/7", "lang=en").kind == ROUTE_SHEET, "a pond's sheet in English");
	CHECK(parse("/sheet/abc", NULL).kind == ROUTE_BAD && parse("/sheet/", NULL).kind == ROUTE_BAD &&
		  parse("/sheet/-1", NULL).kind == ROUTE_BAD && parse("/sheet/1234567890123456789", NULL).kind == ROUTE_BAD,
		  "a sheet of a malformed pond id is 400");
	CHECK(parse("/sheet/7", "lang=xx").kind == ROUTE_BAD, "a sheet in an unknown language is 400");
	CHECK(parse("/sheet/7/x", NULL).kind == ROUTE_NOT_FOUND, "below a sheet is 404");
	CHECK(parse("/sheet.js", NULL).kind == ROUTE_STATIC, "the sheet's script is a static file");
	CHECK(parse("/api/ponds/42/other", NULL).kind == ROUTE_NOT_FOUND, "unknown pond sub-resource is 404");
	CHECK(parse("/health", NULL).kind == ROUTE_HEALTH && parse("/metrics", NULL).kind == ROUTE_METRICS,
		  "health and metrics");
	CHECK(parse("/index.html", NULL).kind == ROUTE_STATIC && parse("/", NULL).kind == ROUTE_STATIC, "static files");
	CHECK(parse("relative", NULL).kind == ROUTE_BAD, "a path without / is 400");
	/* the route table: the family of a directory, exact paths, one metric name per endpoint */
	CHECK(parse("/api/ponds/", NULL).kind == ROUTE_PONDS && parse("/api/pondsx", NULL).kind == ROUTE_STATIC,
		  "the pond list with a trailing slash; a longer name is a file");
	CHECK(parse("/sprite.svg", NULL).kind == ROUTE_STATIC && parse("/style.json/x", NULL).kind == ROUTE_STATIC,
		  "paths beside an endpoint are files");
	CHECK(parse("/api/compare/x", "from=2025-01-01&to=2025-02-01").kind == ROUTE_STATIC, "compare is one path");
	CHECK(parse("/tiles/x", NULL).kind == ROUTE_NOT_FOUND, "under /tiles/ without a tile: 404, not a file");
	CHECK(parse("/api/ponds/x/geojson", NULL).kind == ROUTE_BAD, "a pond id is checked before its sub-resource");
	/* the write API and who the request is for */
	CHECK(parse("/api/whoami", NULL).kind == ROUTE_WHOAMI, "whoami");
	r = parse("/api/submissions", "status=submitted&pond=8");
	CHECK(r.kind == ROUTE_SUBMISSIONS && strcmp(r.status, "submitted") == 0 && r.pond_id == 8,
		  "the submissions, by status and pond");
	r = parse("/api/submissions", NULL);
	CHECK(r.kind == ROUTE_SUBMISSIONS && r.status[0] == '\0' && r.pond_id == 0, "every submission");
	CHECK(parse("/api/submissions", "status=lost").kind == ROUTE_BAD &&
		  parse("/api/submissions", "status=submittedx").kind == ROUTE_BAD &&
		  parse("/api/submissions", "pond=-1").kind == ROUTE_BAD, "a status or pond that is none: 400");
	r = parse("/api/submissions/12", NULL);
	CHECK(r.kind == ROUTE_SUBMISSION && r.submission_id == 12, "one submission");
	CHECK(parse("/api/submissions/x", NULL).kind == ROUTE_BAD, "a submission id not a number is 400");
	r = parse("/api/submissions/12/reject", NULL);
	CHECK(r.kind == ROUTE_SUBMISSION_STEP && r.submission_id == 12 && r.step == ROUTE_STEP_REJECT &&
		  strcmp(route_step_name(r.step), "reject") == 0, "a step of a submission");
	CHECK(parse("/api/submissions/12/submit", NULL).step == ROUTE_STEP_SUBMIT &&
		  parse("/api/submissions/12/withdraw", NULL).step == ROUTE_STEP_WITHDRAW &&
		  parse("/api/submissions/12/approve", NULL).step == ROUTE_STEP_APPROVE, "the four steps");
	CHECK(parse("/api/submissions/12/publish", NULL).kind == ROUTE_NOT_FOUND &&
		  parse("/api/submissions/12/submit/x", NULL).kind == ROUTE_NOT_FOUND, "no such step: 404");
	CHECK(parse("/api/submissions/x/submit", NULL).kind == ROUTE_BAD, "a submission id is checked before its step");
	CHECK(parse("/api/submissionsx", NULL).kind == ROUTE_STATIC, "beside the submissions: a file");
	r = parse("/api/ponds/8/submissions", NULL);
	CHECK(r.kind == ROUTE_POND_SUBMISSIONS && r.pond_id == 8, "a pond's new submission");
	r = parse("/api/ponds/8/geojson", "for=drawing");
	CHECK(r.kind == ROUTE_POND_GEOJSON && r.drawing, "a pond as a drawing");
	CHECK(!parse("/api/ponds/8/geojson", NULL).drawing, "a pond's GeoJSON, not as a drawing");
	CHECK(parse("/api/ponds/8/geojson", "for=draw").kind == ROUTE_BAD, "for= something else is 400");
	/* inspections, visits, samples and monitoring (inspections.c, monitoring.c) */
	r = parse("/api/ponds/8/checklist", "lang=en");
	CHECK(r.kind == ROUTE_POND_CHECKLIST && r.pond_id == 8 && strcmp(r.lang, "en") == 0, "a pond's checklist");
	r = parse("/api/ponds/8/inspections", NULL);
	CHECK(r.kind == ROUTE_POND_INSPECTIONS && r.pond_id == 8, "a pond's inspections: the GET row matches the path");
	CHECK(strcmp(route_pattern(ROUTE_POND_INSPECTIONS), route_pattern(ROUTE_POND_INSPECTIONS_NEW)) == 0 &&
		  strcmp(route_pattern(ROUTE_INSPECTION), route_pattern(ROUTE_INSPECTION_EDIT)) == 0 &&
		  strcmp(route_pattern(ROUTE_POND_SAMPLES), route_pattern(ROUTE_POND_SAMPLES_NEW)) == 0,
		  "one path, two rows (a read and a write): the same pattern");
	r = parse("/api/ponds/8/samples", "element_id=193&parameter=NH3-N");
	CHECK(r.kind == ROUTE_POND_SAMPLES && r.element_id == 193 && strcmp(r.parameter, "NH3-N") == 0,
		  "samples by well and parameter");
	r = parse("/api/ponds/8/samples", "parameter=%E9%94%B0");
	CHECK(r.kind == ROUTE_POND_SAMPLES && strcmp(r.parameter, "\xe9\x94\xb0") == 0 && r.element_id == 0,
		  "a parameter by its Chinese name, percent-encoded");
	r = parse("/api/ponds/8/samples", "parameter=Cr6%2B");
	CHECK(r.kind == ROUTE_POND_SAMPLES && strcmp(r.parameter, "Cr6+") == 0, "a parameter with a plus sign");
	CHECK(parse("/api/ponds/8/samples", "element_id=x").kind == ROUTE_BAD &&
		  parse("/api/ponds/8/samples", "element_id=0").kind == ROUTE_BAD &&
		  parse("/api/ponds/8/samples", "parameter=").kind == ROUTE_BAD &&
		  parse("/api/ponds/8/samples", "parameter=a%00b").kind == ROUTE_BAD &&
		  parse("/api/ponds/8/samples", "parameter=a%0ab").kind == ROUTE_BAD &&
		  parse("/api/ponds/8/samples", "parameter=%zz").kind == ROUTE_BAD, "bad sample filters: 400");
	{
		char		q[256];

		snprintf(q, sizeof q, "parameter=%064d", 0);
		CHECK(parse("/api/ponds/8/samples", q).kind == ROUTE_BAD, "a parameter of 64 bytes: 400");
		snprintf(q, sizeof q, "parameter=%063d", 0);
		CHECK(parse("/api/ponds/8/samples", q).kind == ROUTE_POND_SAMPLES, "a parameter of 63 bytes");
	}
	CHECK(parse("/api/ponds/8/monitoring", NULL).kind == ROUTE_POND_MONITORING, "a pond's monitoring");
	r = parse("/api/inspections/12", "lang=zh");
	CHECK(r.kind == ROUTE_INSPECTION && r.inspection_id == 12 && strcmp(r.lang, "zh") == 0, "one inspection");
	CHECK(parse("/api/inspections/12", "lang=fr").kind == ROUTE_BAD, "an inspection in an unknown language: 400");
	r = parse("/api/inspections/12/visits/193", NULL);
	CHECK(r.kind == ROUTE_VISIT && r.inspection_id == 12 && r.element_id == 193, "the visit of an element");
	CHECK(parse("/api/inspections/x", NULL).kind == ROUTE_BAD &&
		  parse("/api/inspections/12/visits/x", NULL).kind == ROUTE_BAD &&
		  parse("/api/inspections/12/visits/", NULL).kind == ROUTE_BAD, "ids not numbers: 400");
	CHECK(parse("/api/inspections/12/visits", NULL).kind == ROUTE_NOT_FOUND &&
		  parse("/api/inspections/12/visit/5", NULL).kind == ROUTE_NOT_FOUND &&
		  parse("/api/inspections/12/visits/5/x", NULL).kind == ROUTE_BAD &&
		  parse("/api/inspections/", NULL).kind == ROUTE_BAD &&
		  parse("/api/inspectionsx", NULL).kind == ROUTE_STATIC, "beside the inspections");
	/* the pond's file, hazards and their checks, the board, the ledger and the papers */
	r = parse("/api/ponds/8/file", "lang=en");
	CHECK(r.kind == ROUTE_POND_FILE && r.pond_id == 8 && strcmp(r.lang, "en") == 0, "a pond's file in English");
	CHECK(parse("/api/ponds/8/file", "lang=fr").kind == ROUTE_BAD, "a pond's file in no language served: 400");
	r = parse("/api/ponds/8/hazards", NULL);
	CHECK(r.kind == ROUTE_POND_HAZARDS && r.pond_id == 8, "a pond's hazards (GET; POST is the next row)");
	CHECK(route_pattern(ROUTE_POND_HAZARD_NEW) == route_pattern(ROUTE_POND_HAZARDS) ||
		  strcmp(route_pattern(ROUTE_POND_HAZARD_NEW), route_pattern(ROUTE_POND_HAZARDS)) == 0,
		  "a new hazard: the same path");
	r = parse("/api/ponds/8/ledger/2024", NULL);
	CHECK(r.kind == ROUTE_POND_LEDGER_YEAR && r.pond_id == 8 && r.year == 2024, "a year of a pond's ledger");
	CHECK(parse("/api/ponds/8/ledger", NULL).kind == ROUTE_POND_LEDGER, "a pond's ledger");
	CHECK(parse("/api/ponds/8/ledger/24", NULL).kind == ROUTE_BAD &&
		  parse("/api/ponds/8/ledger/20245", NULL).kind == ROUTE_BAD &&
		  parse("/api/ponds/8/ledger/2024x", NULL).kind == ROUTE_BAD &&
		  parse("/api/ponds/x/ledger/2024", NULL).kind == ROUTE_BAD, "a ledger's year has four digits, its pond an id");
	CHECK(parse("/api/ponds/8/ledger/2024/x", NULL).kind == ROUTE_BAD, "nothing under a ledger's year");
	CHECK(parse("/api/ponds/8/documents", NULL).kind == ROUTE_POND_DOCUMENTS, "a pond's papers");
	CHECK(parse("/api/ponds/8/hazardsx", NULL).kind == ROUTE_NOT_FOUND &&
		  parse("/api/ponds/8/hazards/1", NULL).kind == ROUTE_NOT_FOUND, "beside a pond's hazards: 404");
	r = parse("/api/hazards/12", NULL);
	CHECK(r.kind == ROUTE_HAZARD && r.hazard_id == 12, "a hazard");
	r = parse("/api/hazards/12/checks", NULL);
	CHECK(r.kind == ROUTE_HAZARD_CHECKS && r.hazard_id == 12, "a hazard's checks");
	r = parse("/api/hazards/12/checks/3", NULL);
	CHECK(r.kind == ROUTE_HAZARD_CHECK && r.hazard_id == 12 && r.check_id == 3, "a check of a hazard");
	CHECK(parse("/api/hazards/x", NULL).kind == ROUTE_BAD && parse("/api/hazards/0", NULL).kind == ROUTE_BAD &&
		  parse("/api/hazards/12/checks/x", NULL).kind == ROUTE_BAD, "a hazard's or a check's id that is none: 400");
	CHECK(parse("/api/hazards/12/frob", NULL).kind == ROUTE_NOT_FOUND &&
		  parse("/api/hazards/12/checks/3/x", NULL).kind == ROUTE_BAD, "beside a hazard: 404 (or a bad check id)");
	r = parse("/api/documents/5", NULL);
	CHECK(r.kind == ROUTE_DOCUMENT && r.document_id == 5, "a paper");
	CHECK(parse("/api/documents/5/x", NULL).kind == ROUTE_NOT_FOUND, "beside a paper: 404");
	r = parse("/api/hazards", NULL);
	CHECK(r.kind == ROUTE_HAZARDS && r.board.overdue == -1 && r.board.status[0] == '\0' &&
		  r.board.format == ROUTE_FORMAT_JSON && r.pond_id == 0, "the board, unfiltered, JSON");
	r = parse("/api/hazards", "status=open%2Crectifying&overdue=1&county=5104&campaign=2025%E5%B9%B4%E6%B1%9B+x"
			  "&severity=major&pond=8&format=csv");
	CHECK(r.kind == ROUTE_HAZARDS && strcmp(r.board.status, "open,rectifying") == 0 && r.board.overdue == 1 &&
		  strcmp(r.board.county, "5104") == 0 && strcmp(r.board.campaign, "2025年汛 x") == 0 &&
		  strcmp(r.board.severity, "major") == 0 && r.pond_id == 8 && r.board.format == ROUTE_FORMAT_CSV,
		  "the board's filters (a %2C comma, a + space, UTF-8 decoded)");
	CHECK(parse("/api/hazards", "overdue=false&format=geojson").board.overdue == 0 &&
		  parse("/api/hazards", "format=geojson").board.format == ROUTE_FORMAT_GEOJSON, "overdue=false, GeoJSON");
	CHECK(parse("/api/hazards", "status=open,lost").kind == ROUTE_BAD &&
		  parse("/api/hazards", "status=").kind == ROUTE_BAD &&
		  parse("/api/hazards", "status=open,").kind == ROUTE_BAD &&
		  parse("/api/hazards", "overdue=yes").kind == ROUTE_BAD &&
		  parse("/api/hazards", "county=51a").kind == ROUTE_BAD &&
		  parse("/api/hazards", "severity=minor").kind == ROUTE_BAD &&
		  parse("/api/hazards", "pond=0").kind == ROUTE_BAD &&
		  parse("/api/hazards", "format=xlsx").kind == ROUTE_BAD &&
		  parse("/api/hazards", "campaign=a%00b").kind == ROUTE_BAD &&
		  parse("/api/hazards", "campaign=%E5%B9").kind == ROUTE_HAZARDS &&
		  parse("/api/hazards", "campaign=%zz").kind == ROUTE_BAD, "the board's filters that are none: 400");
	{
		char		q[400] = "campaign=";

		memset(q + 9, 'a', 300);
		q[309] = '\0';
		CHECK(parse("/api/hazards", q).kind == ROUTE_BAD, "a campaign longer than 255 bytes: 400");
	}
	{
		/* rows of one pattern are one path's methods: together (server.c reads them in a run) */
		int			ok = 1;

		for (int a = ROUTE_BAD + 1; a < ROUTE_COUNT; a++)
			for (int b = a + 2; b < ROUTE_COUNT; b++)
				if (strcmp(route_pattern((RouteKind) a), route_pattern((RouteKind) b)) == 0)
					ok &= strcmp(route_pattern((RouteKind) (b - 1)), route_pattern((RouteKind) a)) == 0;
		CHECK(ok, "rows of one pattern are together");
	}
	CHECK(strcmp(route_name(ROUTE_TILE), "tile") == 0 && strcmp(route_name(ROUTE_BAD), "other") == 0 &&
		  strcmp(route_name(ROUTE_NOT_FOUND), "other") == 0 && route_pattern(ROUTE_BAD) == NULL,
		  "metric names of the routes");
	{
		int			ok = 1;

		for (int a = ROUTE_BAD + 1; a < ROUTE_COUNT; a++)
		{
			ok &= route_pattern((RouteKind) a) != NULL && route_pattern((RouteKind) a)[0] == '/';
			for (int b = a + 1; b < ROUTE_COUNT; b++)
				ok &= strcmp(route_name((RouteKind) a), route_name((RouteKind) b)) != 0;
		}
		CHECK(ok, "every route has a pattern and its own metric name");
	}
}

/* json_check: members of a top-level object, in order */
typedef struct Names
{
	char		all[200];
} Names;

static void
name_seen(void *arg, const char *name, size_t len)
{
	Names	   *n = arg;

	strncat(n->all, name, len);
	strcat(n->all, "|");
}

static int
checked(const char *s, int depth)
{
	return json_check(s, strlen(s), depth, NULL, NULL);
}

static void
test_json_check(void)
{
	Names		n = {""};
	static const char *const good[] = {
		"{}", "[]", " {\"a\": 1} ", "\"x\"", "0", "-0.5e+10", "1E3", "true", "false", "null", "[1, [2, {\"b\": [null]}]]",
		"\"\\u00e9\\n\\\"\\/\"", "{\"a\":{\"b\":{}}}", "\"\xe5\xb0\xbe\"", "\t\r\n[ ]\n",
	};
	static const char *const bad[] = {
		"", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a: 1}", "{'a': 1}", "01", "1.", ".5", "-", "+1", "1e",
		"tru", "nul", "True", "\"unterminated", "\"\\x\"", "\"\\u12\"", "\"tab\there\"", "{} {}", "[1] x", "NaN",
		"{\"a\":1 \"b\":2}", "[1 2]", "{\"a\"}",
	};
	int			ok = 1;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		ok &= checked(good[i], 100) >= 0;
	CHECK(ok, "json_check: JSON texts are JSON");
	ok = 1;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (checked(bad[i], 100) != JSON_BAD)
		{
			ok = 0;
			printf("# taken for JSON: %s\n", bad[i]);
		}
	CHECK(ok, "json_check: what is not JSON is refused");
	CHECK(checked("{\"a\": 1}", 100) == JSON_OBJECT && checked("[{}]", 100) == JSON_OTHER &&
		  checked("\"{}\"", 100) == JSON_OTHER, "json_check: an object, or another value");
	CHECK(checked("[[[]]]", 3) == JSON_OTHER && checked("[[[[]]]]", 3) == JSON_TOO_DEEP &&
		  checked("{\"a\":[{}]}", 2) == JSON_TOO_DEEP, "json_check: nesting deeper than allowed");
	{
		char		deep[20001];

		memset(deep, '[', 10000);
		memset(deep + 10000, ']', 10000);
		deep[20000] = '\0';
		CHECK(checked(deep, 100) == JSON_TOO_DEEP, "json_check: 10000 deep stops at the limit (no stack overflow)");
	}
	{
		const char *members = "{\"status\": \"open\", \"x\": {\"inner\": 1}, \"st\\u0061\": [\"q\"], \"status\": 2}";

		ok = json_check(members, strlen(members), 100, name_seen, &n) == JSON_OBJECT;
	}
	CHECK(ok && strcmp(n.all, "status|x|st\\u0061|status|") == 0,
		  "json_check: the top-level members, raw, in order, nested ones not");
	n.all[0] = '\0';
	CHECK(json_check("[{\"a\": 1}]", 10, 100, name_seen, &n) == JSON_OTHER && n.all[0] == '\0',
		  "json_check: no members of an array's objects");
	CHECK(json_check("{\"a\": 1}", 3, 100, NULL, NULL) == JSON_BAD, "json_check: only the length given is read");
}

/* the one JSON string escaper: quotes and backslashes escaped, control characters as \u00XX, UTF-8 kept */
static void
test_json_string(void)
{
	struct evbuffer *b = evbuffer_new();
	const char *want = "\"a\\\"b\\\\c\\u0001\\u000a\xe5\xb0\xbe\"";

	style_json_string(b, "a\"b\\c\x01\n\xe5\xb0\xbe");
	CHECK(evbuffer_get_length(b) == strlen(want) && memcmp(evbuffer_pullup(b, -1), want, strlen(want)) == 0,
		  "a JSON string escapes quotes, backslashes and control characters");
	evbuffer_free(b);
}

/* the connection limits, --public-url and the repeatable --server-name */
static void
test_conf_limits(FILE *devnull)
{
	Conf		c;
	char		err[512];
	char		path[] = "/tmp/tailings-conf-XXXXXX";
	int			fd = mkstemp(path);
	FILE	   *f = fdopen(fd, "w");

	unsetenv("TAILINGS_SERVER_NAME");
	unsetenv("TAILINGS_PUBLIC_URL");
	{
		char	   *argv[] = {"x", "--db", "d", NULL};

		CHECK(conf_load(&c, 3, argv, err, sizeof err, devnull) == 0 && c.header_timeout_s == 10 && c.max_conns == 0 &&
			  c.max_conns_per_ip == 64 && c.max_streams_per_ip == 8 && c.public_url == NULL && c.nserver_names == 0,
			  "limits: defaults");
		/* --fonts: fonts/ beside the executable (this test's: tileserver/build/fonts) */
		CHECK(c.fonts != NULL && strlen(c.fonts) > 6 && strcmp(c.fonts + strlen(c.fonts) - 6, "/fonts") == 0 &&
			  c.fonts[0] == '/', "fonts: default beside the executable");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--db", "d", "--fonts", "/nonexistent/fonts", NULL};

		CHECK(conf_load(&c, 5, argv, err, sizeof err, devnull) == 2 && strstr(err, "fonts") &&
			  strstr(err, "not a directory"), "fonts: a path that is no directory is refused");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--db", "d", "--fonts", "/tmp", NULL};

		CHECK(conf_load(&c, 5, argv, err, sizeof err, devnull) == 0 && strcmp(c.fonts, "/tmp") == 0, "fonts: --fonts DIR");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--db", "d", "--header-timeout-s", "0", NULL};

		CHECK(conf_load(&c, 5, argv, err, sizeof err, devnull) == 2 && strstr(err, "header-timeout-s"),
			  "header-timeout-s 0 is exit 2");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--db", "d", "--max-conns-per-ip=0", "--max-conns", "500", "--max-streams-per-ip", "2", NULL};

		CHECK(conf_load(&c, 8, argv, err, sizeof err, devnull) == 0 && c.max_conns_per_ip == 0 && c.max_conns == 500 &&
			  c.max_streams_per_ip == 2, "limits from flags");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--db", "d", "--public-url", "https://Maps.example.org:8443/one-map//", NULL};

		CHECK(conf_load(&c, 5, argv, err, sizeof err, devnull) == 0 &&
			  strcmp(c.public_url, "https://Maps.example.org:8443/one-map") == 0, "public-url, trailing slashes dropped");
		conf_free(&c);
	}
	{
		const char *bad[] = {"javascript:alert(1)", "http://", "https:///x", "http://a b", "http://x\"><y", "http://x?q=1",
		"ftp://x"};

		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		{
			char	   *argv[] = {"x", "--db", "d", "--public-url", (char *) bad[i], NULL};

			CHECK(conf_load(&c, 5, argv, err, sizeof err, devnull) == 2 && strstr(err, "public-url") &&
				  strchr(err, '\n') == NULL, "a bad public-url is exit 2 with a one-line message");
			conf_free(&c);
		}
	}
	setenv("TAILINGS_PUBLIC_URL", "http://env.example", 1);
	{
		char	   *argv[] = {"x", "--db", "d", NULL};

		CHECK(conf_load(&c, 3, argv, err, sizeof err, devnull) == 0 && strcmp(c.public_url, "http://env.example") == 0,
			  "public-url from the environment");
		conf_free(&c);
	}
	unsetenv("TAILINGS_PUBLIC_URL");
	fprintf(f, "db = d\nserver-name = file1.example\nserver-name = file2.example\n");
	fclose(f);
	{
		char	   *argv[] = {"x", "--config", path, NULL};

		CHECK(conf_load(&c, 3, argv, err, sizeof err, devnull) == 0 && c.nserver_names == 2 &&
			  strcmp(c.server_names[1], "file2.example") == 0, "server-name lines of the file add up");
		conf_free(&c);
	}
	setenv("TAILINGS_SERVER_NAME", "a.example, B.example", 1);
	{
		char	   *argv[] = {"x", "--config", path, NULL};

		CHECK(conf_load(&c, 3, argv, err, sizeof err, devnull) == 0 && c.nserver_names == 2 &&
			  strcmp(c.server_names[0], "a.example") == 0 && strcmp(c.server_names[1], "b.example") == 0,
			  "TAILINGS_SERVER_NAME: a list, replacing the file's, lower case");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--config", path, "--server-name", "x.example", "--server-name=y.example:8443", NULL};

		CHECK(conf_load(&c, 6, argv, err, sizeof err, devnull) == 0 && c.nserver_names == 2 &&
			  strcmp(c.server_names[0], "x.example") == 0 && strcmp(c.server_names[1], "y.example:8443") == 0,
			  "repeated --server-name flags add up and replace the environment's");
		conf_free(&c);
	}
	unsetenv("TAILINGS_SERVER_NAME");
	{
		char	   *argv[] = {"x", "--db", "d", "--server-name", "evil\"name", NULL};

		CHECK(conf_load(&c, 5, argv, err, sizeof err, devnull) == 2 && strstr(err, "server-name"),
			  "a bad server-name is exit 2");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--db", "d", "--server-name", " , ", NULL};

		CHECK(conf_load(&c, 5, argv, err, sizeof err, devnull) == 2, "an empty server-name is exit 2");
		conf_free(&c);
	}
	unlink(path);
}

/* --auth, --anonymous-role, --max-body-mb */
static void
test_conf_auth(FILE *devnull)
{
	Conf		c;
	char		err[512];

	unsetenv("TAILINGS_AUTH");
	unsetenv("TAILINGS_ANONYMOUS_ROLE");
	unsetenv("TAILINGS_MAX_BODY_MB");
	{
		char	   *argv[] = {"x", "--db", "d", NULL};

		CHECK(conf_load(&c, 3, argv, err, sizeof err, devnull) == 0 && c.auth == CONF_AUTH_NONE &&
			  c.anonymous_role == NULL && c.max_body_mb == 10, "auth: defaults none, no anonymous role, 10 MiB");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--db", "d", "--auth", "token", "--anonymous-role", "public map", "--max-body-mb", "2", NULL};

		CHECK(conf_load(&c, 9, argv, err, sizeof err, devnull) == 0 && c.auth == CONF_AUTH_TOKEN &&
			  strcmp(c.anonymous_role, "public map") == 0 && c.max_body_mb == 2, "auth: token, a role, 2 MiB");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--db", "d", "--auth", "password", NULL};

		CHECK(conf_load(&c, 5, argv, err, sizeof err, devnull) == 2 && strstr(err, "none or token"),
			  "auth: another value is exit 2");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--db", "d", "--anonymous-role", "web", NULL};

		CHECK(conf_load(&c, 5, argv, err, sizeof err, devnull) == 2 && strstr(err, "anonymous-role"),
			  "an anonymous role without --auth token is exit 2");
		conf_free(&c);
	}
	{
		char		long_role[80];
		char	   *argv[] = {"x", "--db", "d", "--auth", "token", "--anonymous-role", long_role, NULL};

		memset(long_role, 'r', 64);
		long_role[64] = '\0';
		CHECK(conf_load(&c, 7, argv, err, sizeof err, devnull) == 2, "a role name of 64 bytes is exit 2");
		conf_free(&c);
		strcpy(long_role, "a\tb");
		CHECK(conf_load(&c, 7, argv, err, sizeof err, devnull) == 2, "a role name with a control character is exit 2");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--db", "d", "--max-body-mb", "0", NULL};

		CHECK(conf_load(&c, 5, argv, err, sizeof err, devnull) == 2 && strstr(err, "max-body-mb"),
			  "a body limit of 0 is exit 2");
		conf_free(&c);
	}
	setenv("TAILINGS_AUTH", "token", 1);
	setenv("TAILINGS_ANONYMOUS_ROLE", "web", 1);
	{
		char	   *argv[] = {"x", "--db", "d", NULL};

		CHECK(conf_load(&c, 3, argv, err, sizeof err, devnull) == 0 && c.auth == CONF_AUTH_TOKEN &&
			  strcmp(c.anonymous_role, "web") == 0, "auth from the environment");
		conf_free(&c);
	}
	unsetenv("TAILINGS_AUTH");
	unsetenv("TAILINGS_ANONYMOUS_ROLE");
}

static void
test_conf(void)
{
	Conf		c;
	char		err[512];
	FILE	   *devnull = fopen("/dev/null", "w");
	char		path[] = "/tmp/tailings-conf-XXXXXX";
	int			fd = mkstemp(path);
	FILE	   *f = fdopen(fd, "w");

	unsetenv("DATABASE_URL");
	unsetenv("TAILINGS_POOL");
	unsetenv("TAILINGS_CONFIG");
	{
		char	   *argv[] = {"x", "--db", "dbname=a", NULL};

		CHECK(conf_load(&c, 3, argv, err, sizeof err, devnull) == 0 && c.pool == 8 && c.cache_mb == 256 &&
			  c.listen_port == 7800 && strcmp(c.listen_host, "127.0.0.1") == 0 && strcmp(c.cors_origin, "*") == 0,
			  "defaults");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", NULL};

		CHECK(conf_load(&c, 1, argv, err, sizeof err, devnull) == 2 && strstr(err, "DATABASE_URL") != NULL,
			  "no database is exit 2");
		conf_free(&c);
	}
	fprintf(f, "# a comment\npool = 3\ncache-mb = 7 # trailing\nlisten = 0.0.0.0:9000\ndb = dbname=file\n");
	fclose(f);
	setenv("TAILINGS_POOL", "5", 1);
	{
		char	   *argv[] = {"x", "--config", path, NULL};

		CHECK(conf_load(&c, 3, argv, err, sizeof err, devnull) == 0 && c.pool == 5 && c.cache_mb == 7 &&
			  c.listen_port == 9000 && strcmp(c.db, "dbname=file") == 0, "environment beats the file");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--config", path, "--pool=9", NULL};

		CHECK(conf_load(&c, 4, argv, err, sizeof err, devnull) == 0 && c.pool == 9, "a flag beats the environment");
		conf_free(&c);
	}
	unsetenv("TAILINGS_POOL");
	{
		char	   *argv[] = {"x", "--db", "d", "--pool", "0", NULL};

		CHECK(conf_load(&c, 5, argv, err, sizeof err, devnull) == 2 && strstr(err, "pool") != NULL,
			  "pool 0 is exit 2 with a message");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--db", "d", "--listen", "nowhere", NULL};

		CHECK(conf_load(&c, 5, argv, err, sizeof err, devnull) == 2, "bad listen address is exit 2");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--db", "d", "--frobnicate", "1", NULL};

		CHECK(conf_load(&c, 5, argv, err, sizeof err, devnull) == 2 && strstr(err, "frobnicate"), "unknown flag");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--help", NULL};

		CHECK(conf_load(&c, 2, argv, err, sizeof err, devnull) == 1, "--help");
		conf_free(&c);
	}
	{
		char	   *host;
		int			port;

		CHECK(conf_parse_listen("[::1]:8080", &host, &port) == 0 && strcmp(host, "::1") == 0 && port == 8080,
			  "IPv6 listen address");
		free(host);
		CHECK(conf_parse_listen("h:70000", &host, &port) != 0, "port out of range");
	}
	test_conf_limits(devnull);
	test_conf_auth(devnull);
	unlink(path);
	fclose(devnull);
}

/* --db-replica: repeatable flags, the file's lines, the environment's list; --replica-max-lag-s */
static void
test_conf_replicas(void)
{
	Conf		c;
	char		err[512];
	FILE	   *devnull = fopen("/dev/null", "w");
	char		path[] = "/tmp/tailings-conf-XXXXXX";
	int			fd = mkstemp(path);
	FILE	   *f = fdopen(fd, "w");

	unsetenv("TAILINGS_DB_REPLICA");
	unsetenv("TAILINGS_REPLICA_MAX_LAG_S");
	{
		char	   *argv[] = {"x", "--db", "d", NULL};

		CHECK(conf_load(&c, 3, argv, err, sizeof err, devnull) == 0 && c.nreplicas == 0 && c.replica_max_lag_s == 30,
			  "replicas: none by default, max lag 30 s");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--db", "d", "--db-replica", "host=s1 port=5433", "--db-replica=postgresql://s2/t",
		"--replica-max-lag-s", "5", NULL};

		CHECK(conf_load(&c, 8, argv, err, sizeof err, devnull) == 0 && c.nreplicas == 2 &&
			  strcmp(c.replicas[0], "host=s1 port=5433") == 0 && strcmp(c.replicas[1], "postgresql://s2/t") == 0 &&
			  c.replica_max_lag_s == 5, "replicas: repeated flags, in order (a conninfo with spaces kept whole)");
		conf_free(&c);
	}
	fprintf(f, "db = d\ndb-replica = host=f1\ndb-replica = host=f2\nreplica-max-lag-s = 7\n");
	fclose(f);
	{
		char	   *argv[] = {"x", "--config", path, NULL};

		CHECK(conf_load(&c, 3, argv, err, sizeof err, devnull) == 0 && c.nreplicas == 2 &&
			  strcmp(c.replicas[1], "host=f2") == 0 && c.replica_max_lag_s == 7, "replicas: the file's lines add up");
		conf_free(&c);
	}
	setenv("TAILINGS_DB_REPLICA", " host=e1 port=1 ; postgresql://e2/t;", 1);
	{
		char	   *argv[] = {"x", "--config", path, NULL};

		CHECK(conf_load(&c, 3, argv, err, sizeof err, devnull) == 0 && c.nreplicas == 2 &&
			  strcmp(c.replicas[0], "host=e1 port=1") == 0 && strcmp(c.replicas[1], "postgresql://e2/t") == 0,
			  "replicas: the environment's list (;) replaces the file's");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--config", path, "--db-replica", "host=flag", NULL};

		CHECK(conf_load(&c, 5, argv, err, sizeof err, devnull) == 0 && c.nreplicas == 1 &&
			  strcmp(c.replicas[0], "host=flag") == 0, "replicas: flags replace the environment's");
		conf_free(&c);
	}
	setenv("TAILINGS_DB_REPLICA", " ; ", 1);
	{
		char	   *argv[] = {"x", "--db", "d", NULL};

		CHECK(conf_load(&c, 3, argv, err, sizeof err, devnull) == 2 && strstr(err, "db-replica"),
			  "replicas: an empty list in the environment is exit 2");
		conf_free(&c);
	}
	unsetenv("TAILINGS_DB_REPLICA");
	{
		char	   *argv[40] = {"x", "--db", "d"};
		int			argc = 3;

		for (int i = 0; i < 17; i++)
		{
			argv[argc++] = "--db-replica";
			argv[argc++] = "host=s";
		}
		CHECK(conf_load(&c, argc, argv, err, sizeof err, devnull) == 2 && strstr(err, "at most 16"),
			  "replicas: 17 standbys are too many");
		conf_free(&c);
		CHECK(conf_load(&c, argc - 2, argv, err, sizeof err, devnull) == 0 && c.nreplicas == 16, "replicas: 16 are fine");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--db", "d", "--replica-max-lag-s", "0", NULL};

		CHECK(conf_load(&c, 5, argv, err, sizeof err, devnull) == 2 && strstr(err, "replica-max-lag-s"),
			  "replicas: max lag 0 is exit 2");
		conf_free(&c);
	}
	unlink(path);
	fclose(devnull);
}

/* WAL positions: pg_lsn's text both ways */
static void
test_lsn(void)
{
	uint64_t	v = 0;
	char		buf[LSN_TEXT_MAX];

	CHECK(lsn_parse("16/B374D848", &v) == 0 && v == 0x16B374D848ULL, "lsn: 16/B374D848");
	CHECK(lsn_parse("0/0", &v) == 0 && v == 0, "lsn: 0/0");
	CHECK(lsn_parse("FFFFFFFF/ffffffff", &v) == 0 && v == UINT64_MAX, "lsn: the largest, either case");
	CHECK(lsn_parse("100000000/0", &v) != 0 && lsn_parse("0/100000000", &v) != 0, "lsn: 9 hex digits refused");
	CHECK(lsn_parse("", &v) != 0 && lsn_parse("/1", &v) != 0 && lsn_parse("1/", &v) != 0 && lsn_parse("1", &v) != 0 &&
		  lsn_parse("1/2 ", &v) != 0 && lsn_parse("g/1", &v) != 0 && lsn_parse("-1/1", &v) != 0 &&
		  lsn_parse(NULL, &v) != 0, "lsn: malformed refused");
	lsn_format(0x16B374D848ULL, buf, sizeof buf);
	CHECK(strcmp(buf, "16/B374D848") == 0, "lsn: formatted as PostgreSQL does");
	lsn_format(UINT64_MAX, buf, sizeof buf);
	CHECK(strcmp(buf, "FFFFFFFF/FFFFFFFF") == 0 && lsn_parse(buf, &v) == 0 && v == UINT64_MAX, "lsn: round trip");
}

static void
test_tilemath(void)
{
	Box			b = tile_bounds(0, 0, 0, 0, 4096);
	Box			t;

	CHECK(fabs(b.xmin + 180) < 1e-9 && fabs(b.xmax - 180) < 1e-9 && fabs(b.ymax - 85.0511287798) < 1e-6,
		  "world tile bounds");
	t = tile_bounds(14, 12824, 6942, 0, 4096);
	CHECK(t.xmin < 101.792 && 101.792 < t.xmax && t.ymin < 26.468 && 26.468 < t.ymax, "tile 14/12824/6942 holds pond 8");
	b = tile_bounds(14, 12824, 6942, 64, 4096);
	CHECK(b.xmin < t.xmin && b.xmax > t.xmax && b.ymin < t.ymin && b.ymax > t.ymax, "buffer grows the bounds");
	CHECK(tile_valid(3, 7, 7, 22) && !tile_valid(3, 8, 0, 22) && !tile_valid(23, 0, 0, 22), "tile_valid");
	{
		Box			a = {0, 0, 1, 1},
					c = {1, 1, 2, 2},
					d = {1.1, 0, 2, 1};

		CHECK(box_intersects(&a, &c) && !box_intersects(&a, &d), "box intersection (touching counts)");
	}
}

static void
test_cache(void)
{
	Cache	   *c = cache_create(4000);
	uint8_t		data[1000];
	/* z8 tiles at Panzhihua, 1.4 degrees apart */
	int			z = 8;
	long		wx = 199,
				ex = 201,
				ty = 108;
	char		key[32];
	const CacheEntry *e;
	CacheStats	s;

	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t) (i * 7);
	e = cache_put(c, "a", data, 500, z, wx, ty, LAYER_PONDS, 0);
	CHECK(e != NULL && cache_get(c, "a") == e && e->raw_len == 500, "put and get");
	CHECK(e->z == z && e->x == wx && e->y == ty, "the entry knows its tile");
	{
		Box			b = tile_bounds(z, wx, ty, 64, 4096);

		CHECK(memcmp(&b, &e->bounds, sizeof b) == 0, "the entry's bounds are the tile's with the 64/4096 buffer");
	}
	CHECK(cache_get(c, "missing") == NULL, "miss");
	CHECK(e->etag[0] == '"' && strcmp(e->etag, e->etag_gz) != 0, "strong ETags differ by encoding");
	{
		char		etag2[40];

		cache_etag(data, 500, "", etag2, sizeof etag2);
		CHECK(strcmp(etag2, e->etag) == 0, "ETag depends on the bytes only");
		cache_etag(data, 499, "", etag2, sizeof etag2);
		CHECK(strcmp(etag2, e->etag) != 0, "other bytes, other ETag");
	}
	/* fill beyond capacity: the least recently used go first */
	for (int i = 0; i < 10; i++)
	{
		snprintf(key, sizeof key, "k%d", i);
		cache_put(c, key, data, 900, z, ex, ty, 2, 0);
	}
	cache_stats(c, &s);
	CHECK(s.bytes <= 4000 && s.evictions > 0 && cache_get(c, "k9") != NULL && cache_get(c, "k0") == NULL,
		  "LRU eviction within capacity");
	CHECK(cache_get(c, "a") == NULL, "oldest entry evicted");
	/* invalidation by box */
	cache_put(c, "w", data, 100, z, wx, ty, 2, 0);
	cache_put(c, "w-hist", data, 100, z, wx, ty, 2, 1);
	cache_put(c, "e-ponds", data, 100, z, ex, ty, LAYER_PONDS, 0);
	{
		Box			change = {100.5, 26.5, 100.6, 26.6};
		long		n = cache_invalidate(c, change, LAYER_PONDS, 0.05);

		CHECK(n == 1 && cache_get(c, "w") == NULL && cache_get(c, "w-hist") != NULL && cache_get(c, "e-ponds") != NULL,
			  "a change drops the current tiles it meets, not historical ones");
	}
	{
		Box			eb = tile_bounds(z, ex, ty, 64, 4096);
		Box			near = {eb.xmin - 0.02, 26.5, eb.xmin - 0.01, 26.6};	/* 0.01 degree west of the east tile */

		CHECK(cache_box_touches_tile(near, LAYER_PONDS, 0.05, z, ex, ty, LAYER_PONDS) &&
			  !cache_box_touches_tile(near, LAYER_PONDS, 0.05, z, ex, ty, 2) &&
			  !cache_box_touches_tile(near, LAYER_PONDS, 0.005, z, ex, ty, LAYER_PONDS),
			  "cache_box_touches_tile: the margin counts for extra layers only");
		CHECK(cache_invalidate(c, near, LAYER_PONDS, 0.05) == 1 && cache_get(c, "e-ponds") == NULL,
			  "pond tiles within the margin are dropped too");
	}
	cache_put(c, "p", data, 100, z, ex, ty, LAYER_PONDS | 2, 0);
	CHECK(cache_invalidate_layers(c, LAYER_PONDS) >= 1 && cache_get(c, "p") == NULL, "invalidate by layer");
	/* replacing a key keeps one entry, indexed at its new tile */
	cache_put(c, "r", data, 100, z, wx, ty, 2, 0);
	cache_put(c, "r", data, 200, z, ex, ty, 2, 0);
	e = cache_get(c, "r");
	CHECK(e && e->raw_len == 200 && e->x == ex, "a put replaces the entry");
	{
		Box			west = {100.5, 26.5, 100.6, 26.6},
					east = {103.5, 26.5, 103.6, 26.6};

		CHECK(cache_invalidate(c, west, 0, 0) == 0 && cache_get(c, "r") != NULL &&
			  cache_invalidate(c, east, 0, 0) >= 1 && cache_get(c, "r") == NULL,
			  "a replaced entry is found at its new tile only");
	}
	/* an empty tile has no gzip form */
	e = cache_put(c, "empty", data, 0, z, ex, ty, 2, 0);
	CHECK(e && e->raw_len == 0 && e->gz == NULL, "empty tile");
	CHECK(cache_put(c, "bad", data, 10, z, 256, 0, 2, 0) == NULL &&
		  cache_put(c, "bad", data, 10, CACHE_MAX_ZOOM + 1, 0, 0, 2, 0) == NULL &&
		  cache_put(c, "bad", data, 10, -1, 0, 0, 2, 0) == NULL && cache_get(c, "bad") == NULL,
		  "a put of no tile keeps nothing");
	cache_free(c);

	c = cache_create(0);
	CHECK(cache_put(c, "a", data, 10, z, wx, ty, 2, 0) == NULL && cache_get(c, "a") == NULL,
		  "a zero cache keeps nothing");
	CHECK(cache_invalidate(c, (Box) {-180, -90, 180, 90}, 1, 0.05) == 0, "a zero cache invalidates nothing");
	cache_free(c);
}

/* ---- the tile index against a brute-force walk ---- */

#define RNG_SEED 0x2545f4914f6cdd1dULL
#include "rng.h"

typedef struct TestTile
{
	char		key[64];
	int			z;
	long		x,
				y;
	unsigned	layers;
	int			historical;
	int			alive;
} TestTile;

/* the rule spelled out once more, from tilemath only */
static int
test_touches(Box box, unsigned extra, double margin, const TestTile *t)
{
	Box			b = tile_bounds(t->z, t->x, t->y, 64, 4096);
	Box			g = box_grow(box, margin);

	return box_intersects(&b, &box) || ((t->layers & extra) && box_intersects(&b, &g));
}

/* the tile of zoom z holding lon, lat (clamped to the tiles) */
static void
test_tile_of(double lon, double lat, int z, long *x, long *y)
{
	double		n = ldexp(1.0, z);
	double		fx = (lon + 180) / 360 * n;
	double		r = fmax(-85.0511, fmin(85.0511, lat)) * M_PI / 180;
	double		fy = (1 - asinh(tan(r)) / M_PI) / 2 * n;

	*x = fx < 0 ? 0 : fx >= n ? (long) n - 1 : (long) fx;
	*y = fy < 0 ? 0 : fy >= n ? (long) n - 1 : (long) fy;
}

/* around a city, at the antimeridian, at the poles' last tiles, at 0/0 */
static const double centres[][2] = {{101.72, 26.58}, {179.99, -16.5}, {-179.99, 65.0}, {12.0, 85.0},
{-60.0, -85.04}, {0.0, 0.0}};

#define NCENTRES (sizeof centres / sizeof centres[0])

static void
test_tile_random(TestTile *t)
{
	const double *c = centres[rng() % NCENTRES];
	double		spread = rng() % 4 == 0 ? 2.0 : 0.05;

	t->z = (int) (rng() % 23);
	test_tile_of(c[0] + rng_in(-spread, spread), c[1] + rng_in(-spread, spread), t->z, &t->x, &t->y);
	t->layers = (unsigned) (rng() % 63) + 1;
	t->historical = rng() % 8 == 0;
	snprintf(t->key, sizeof t->key, "%u/%d/%ld/%ld%s", t->layers, t->z, t->x, t->y,
			 t->historical ? "@2025-01-01" : "");
}

/* a change box of one of several kinds: tiny, at a tile's edge, medium, huge, antimeridian, poles, NaN, reversed */
static Box
test_box_random(const TestTile *tiles, int ntiles)
{
	const double *c = centres[rng() % NCENTRES];
	double		x = c[0] + rng_in(-0.1, 0.1),
				y = c[1] + rng_in(-0.1, 0.1);
	double		eps[] = {0, 1e-12, 1e-9, 1e-6, 1e-3};
	double		d = eps[rng() % 5];
	Box			b = {x, y, x + d, y + d};

	switch (rng() % 10)
	{
		case 0:
		case 1:
		case 2:
			{
				/* on or about an edge of a cached tile's bounds, with or without its buffer */
				const TestTile *t = &tiles[rng() % (unsigned) ntiles];
				Box			tb = tile_bounds(t->z, t->x, t->y, rng() % 2 ? 64 : 0, 4096);
				double		ex = rng() % 2 ? tb.xmin : tb.xmax,
							ey = rng() % 2 ? tb.ymin : tb.ymax;
				double		s = rng() % 2 ? d : -d;

				b = (Box) {ex + s, ey + s, ex + s + d, ey + s + d};
				if (rng() % 2)
					b.ymin = tb.ymin + (tb.ymax - tb.ymin) / 2, b.ymax = b.ymin + d;
				break;
			}
		case 3:
			b.xmax = x + rng_in(0.01, 1);
			b.ymax = y + rng_in(0.01, 1);
			break;
		case 4:
			if (rng() % 4 == 0)
				b = (Box) {-180, -90, 180, 90};
			else if (rng() % 3 == 0)
				b = (Box) {-1e300, -1e300, 1e300, 1e300};
			else
				b = (Box) {x - 20, y - 20, x + 20, y + 20};
			break;
		case 5:
			/* across the antimeridian, beyond it, at and beyond the poles, infinite */
			{
				Box			odd[] = {{179.9, -16.6, 180.3, -16.4}, {180.0, -17, 180.0, -16}, {-180.4, 64.9, -179.9, 65.1},
				{181, 60, 182, 70}, {-200, 60, -185, 70}, {11.9, 84.9, 12.1, 90}, {11.9, 85.1, 12.1, 95},
				{-60.1, -90, -59.9, -85.05}, {-60.1, -100, -59.9, -89}, {0, 0, INFINITY, 1},
				{-INFINITY, -INFINITY, INFINITY, INFINITY}, {101.7, -INFINITY, 101.71, 26.5}};

				b = odd[rng() % (sizeof odd / sizeof odd[0])];
			}
			break;
		case 6:
			/* NaN coordinates: they meet nothing */
			((double *) &b)[rng() % 4] = NAN;
			break;
		case 7:
			/* reversed */
			b = (Box) {x + 0.01, y, x, y + 0.01};
			break;
		default:
			break;
	}
	return b;
}

static void
test_cache_index(void)
{
	enum
	{
	NTILES = 3000, NBOXES = 1500
	};
	TestTile   *tiles = calloc(NTILES, sizeof(TestTile));
	Cache	   *ci = cache_create((size_t) 1 << 30),
			   *cw = cache_create((size_t) 1 << 30);
	uint8_t		data[64];
	long		wrong_count = 0,
				wrong_kept = 0,
				wrong_rule = 0,
				wrong_hist = 0,
				dropped = 0,
				margin_only = 0,
				nan_dropped = 0,
				edge_boxes = 0;
	CacheStats	si,
				sw;

	memset(data, 'x', sizeof data);
	/* distinct keys; many tiles have several (layers, ?at=) */
	for (int i = 0; i < NTILES; i++)
	{
		int			dup;

		do
		{
			test_tile_random(&tiles[i]);
			dup = 0;
			for (int j = 0; j < i && !dup; j++)
				dup = strcmp(tiles[i].key, tiles[j].key) == 0;
		} while (dup);
	}
	for (int round = 0; round < NBOXES; round++)
	{
		Box			box = test_box_random(tiles, NTILES);
		double		margins[] = {0, 0.05, 0.5, -0.01, NAN};
		double		margin = margins[rng() % 5];
		unsigned	extra = rng() % 3 == 0 ? 0 : rng() % 2 ? LAYER_PONDS : (unsigned) (rng() % 64);
		long		expect = 0,
					ni,
					nw;
		int			has_nan = isnan(box.xmin) || isnan(box.ymin) || isnan(box.xmax) || isnan(box.ymax);

		/* refill now and then: both caches hold the same entries, put in the same order */
		if (round % 25 == 0)
			for (int i = 0; i < NTILES; i++)
				if (!tiles[i].alive || rng() % 16 == 0)
				{
					TestTile   *t = &tiles[i];
					size_t		len = 1 + rng() % sizeof data;

					cache_put(ci, t->key, data, len, t->z, t->x, t->y, t->layers, t->historical);
					cache_put(cw, t->key, data, len, t->z, t->x, t->y, t->layers, t->historical);
					t->alive = 1;
				}
		for (int i = 0; i < NTILES; i++)
		{
			TestTile   *t = &tiles[i];
			int			touch = test_touches(box, extra, margin, t);

			if (touch != cache_box_touches_tile(box, extra, margin, t->z, t->x, t->y, t->layers))
				wrong_rule++;
			if (t->alive == 1 && touch && !t->historical)
			{
				Box			tb = tile_bounds(t->z, t->x, t->y, 64, 4096);

				expect++;
				margin_only += !box_intersects(&tb, &box);
			}
		}
		ni = cache_invalidate(ci, box, extra, margin);
		nw = cache_invalidate_walk(cw, box, extra, margin);
		if (ni != expect || nw != expect)
			wrong_count++;
		if (has_nan)
			nan_dropped += ni;
		edge_boxes += expect > 0;
		dropped += ni;
		for (int i = 0; i < NTILES; i++)
		{
			TestTile   *t = &tiles[i];

			if (t->alive != 1)
				continue;
			if (test_touches(box, extra, margin, t) && !t->historical)
			{
				t->alive = 0;
				wrong_kept += cache_get(ci, t->key) != NULL || cache_get(cw, t->key) != NULL;
			}
			else
			{
				wrong_kept += cache_get(ci, t->key) == NULL || cache_get(cw, t->key) == NULL;
				wrong_hist += t->historical && cache_get(ci, t->key) == NULL;
			}
		}
	}
	CHECK(wrong_rule == 0, "cache_box_touches_tile is the tile bounds rule, margin for extra layers");
	CHECK(wrong_count == 0, "the index drops as many tiles as a brute-force walk, every box");
	CHECK(wrong_kept == 0, "the index drops exactly the tiles the rule names, at every zoom");
	CHECK(wrong_hist == 0, "historical tiles are never dropped");
	CHECK(nan_dropped == 0, "a box with NaN coordinates drops nothing");
	CHECK(dropped > NTILES && margin_only > 0 && edge_boxes > NBOXES / 4,
		  "the random boxes dropped many tiles, some by the margin only");
	cache_stats(ci, &si);
	cache_stats(cw, &sw);
	{
		long		alive = 0;

		for (int i = 0; i < NTILES; i++)
			alive += tiles[i].alive == 1;
		CHECK(si.entries == alive && sw.entries == alive && si.bytes == sw.bytes &&
			  si.invalidations == sw.invalidations && si.invalidations == dropped,
			  "entries, bytes and invalidations as the walk's");
	}
	/* every current tile goes; the historical ones stay, and so do their bytes */
	cache_invalidate_layers(ci, 63);
	cache_invalidate(cw, (Box) {-180, -90, 180, 90}, 0, 0);
	cache_stats(ci, &si);
	cache_stats(cw, &sw);
	CHECK(si.entries == sw.entries && si.bytes == sw.bytes && si.entries > 0, "only historical tiles remain");
	cache_free(ci);
	cache_free(cw);
	free(tiles);
}

/* LRU eviction and byte accounting with the index: invalidated entries leave every list */
static void
test_cache_index_lru(void)
{
	uint8_t		data[300];
	Cache	   *c;
	CacheStats	s0,
				s;
	char		key[32];
	const CacheEntry *e;
	size_t		cost;

	memset(data, 'y', sizeof data);
	c = cache_create((size_t) 1 << 20);
	e = cache_put(c, "k99", data, 100, 14, 12824, 6942, 2, 0);
	cache_stats(c, &s);
	cost = s.bytes;
	CHECK(e && cost > 100, "an entry costs its bytes and more");
	cache_invalidate(c, e->bounds, 0, 0);
	cache_stats(c, &s);
	CHECK(s.bytes == 0 && s.entries == 0, "invalidation gives the bytes back");
	cache_free(c);

	/* room for 10 such entries: 12 tiles in a row, the first two evicted; then drop 5 and 6 */
	c = cache_create(cost * 10 + cost / 2);
	for (int i = 0; i < 12; i++)
	{
		snprintf(key, sizeof key, "k%02d", i);
		cache_put(c, key, data, 100, 14, 12800 + i, 6942, 2, 0);
	}
	cache_stats(c, &s0);
	CHECK(s0.entries == 10 && s0.evictions == 2 && s0.bytes == 10 * cost && cache_get(c, "k01") == NULL,
		  "eviction keeps the cache within capacity");
	{
		Box			b5 = tile_bounds(14, 12805, 6942, 0, 4096);
		Box			mid = {b5.xmax - 1e-9, b5.ymin + 0.001, b5.xmax + 1e-9, b5.ymin + 0.002};

		CHECK(cache_invalidate(c, mid, 0, 0) == 2 && cache_get(c, "k05") == NULL && cache_get(c, "k06") == NULL &&
			  cache_get(c, "k04") != NULL && cache_get(c, "k07") != NULL, "a box on an edge drops both tiles");
	}
	cache_stats(c, &s);
	CHECK(s.entries == 8 && s.bytes == 8 * cost && s.invalidations == 2, "bytes and counts after invalidation");
	/* k04 and k07 were just used: the next puts evict k02, k03, k08 ... in LRU order */
	for (int i = 12; i < 15; i++)
	{
		snprintf(key, sizeof key, "k%02d", i);
		cache_put(c, key, data, 100, 14, 12800 + i, 6942, 2, 0);
	}
	cache_stats(c, &s);
	CHECK(s.entries == 10 && s.evictions == 3 && cache_get(c, "k02") == NULL && cache_get(c, "k03") != NULL &&
		  cache_get(c, "k04") != NULL && cache_get(c, "k14") != NULL, "LRU order survives invalidation");
	cache_free(c);
}

/* ---------------------------------------------------------------------------
 * The sprite, decoded from the PNG and the JSON the server sends.
 */
typedef struct
{
	uint8_t    *px;				/* RGBA, w * 4 bytes a row */
	int			w,
				h;
} Png;

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

/* an 8-bit RGBA PNG without row filters, as the sprite writes it; 0 on success */
static int
png_decode(const uint8_t *png, size_t len, Png *out)
{
	uint8_t    *idat = NULL,
			   *raw = NULL;
	size_t		idat_len = 0,
				pos = 8;
	uLongf		rawlen;
	int			rc = -1;

	memset(out, 0, sizeof *out);
	if (png == NULL || len < 33 || memcmp(png, "\x89PNG\r\n\x1a\n", 8) != 0 || memcmp(png + 12, "IHDR", 4) != 0 ||
		png[24] != 8 || png[25] != 6)
		return -1;
	out->w = (int) be32(png + 16);
	out->h = (int) be32(png + 20);
	if (out->w <= 0 || out->h <= 0 || out->w > 4096 || out->h > 4096)
		return -1;
	while (pos + 12 <= len)
	{
		uint32_t	n = be32(png + pos);

		if (pos + 12 + n > len || be32(png + pos + 8 + n) != (uint32_t) crc32(0, png + pos + 4, n + 4))
			goto done;
		if (memcmp(png + pos + 4, "IDAT", 4) == 0)
		{
			uint8_t    *more = realloc(idat, idat_len + n);

			if (more == NULL)
				goto done;
			idat = more;
			memcpy(idat + idat_len, png + pos + 8, n);
			idat_len += n;
		}
		pos += 12 + n;
	}
	rawlen = (uLongf) ((size_t) out->w * 4 + 1) * (uLongf) out->h;
	raw = malloc(rawlen);
	out->px = malloc((size_t) out->w * 4 * (size_t) out->h);
	if (raw == NULL || out->px == NULL || uncompress(raw, &rawlen, idat, (uLong) idat_len) != Z_OK ||
		rawlen != ((size_t) out->w * 4 + 1) * (size_t) out->h)
		goto done;
	for (int y = 0; y < out->h; y++)
	{
		const uint8_t *row = raw + (size_t) y * ((size_t) out->w * 4 + 1);

		if (row[0] != 0)
			goto done;
		memcpy(out->px + (size_t) y * out->w * 4, row + 1, (size_t) out->w * 4);
	}
	rc = 0;
done:
	free(idat);
	free(raw);
	if (rc != 0)
	{
		free(out->px);
		out->px = NULL;
	}
	return rc;
}

typedef struct
{
	int			x,
				y,
				w,
				h,
				ratio;
} Rect;

/* the icon's rectangle in sprite.json; 0 when found */
static int
sprite_rect(const char *json, const char *name, Rect *r)
{
	char		key[96];
	const char *p;

	snprintf(key, sizeof key, "\"%s\":{", name);
	p = strstr(json, key);
	memset(r, 0, sizeof *r);
	return p && sscanf(p + strlen(key), "\"x\":%d,\"y\":%d,\"width\":%d,\"height\":%d,\"pixelRatio\":%d", &r->x,
					   &r->y, &r->w, &r->h, &r->ratio) == 5 ? 0 : -1;
}

static const uint8_t *
pixel(const Png *png, const Rect *r, int x, int y)
{
	return png->px + ((size_t) (r->y + y) * png->w + (size_t) (r->x + x)) * 4;
}

/* pixels of the icon that are not (almost) transparent */
static int
opaque_count(const Png *png, const Rect *r)
{
	int			n = 0;

	for (int y = 0; y < r->h; y++)
		for (int x = 0; x < r->w; x++)
			n += pixel(png, r, x, y)[3] >= 128;
	return n;
}

/* transparent 0, white (the halo, a mark) 1, else 2 (the colour): what a reader sees without hue */
static int
pixel_class(const uint8_t *p)
{
	if (p[3] < 96)
		return 0;
	return p[0] >= 200 && p[1] >= 200 && p[2] >= 200 ? 1 : 2;
}

/* pixels where two icons of the same size differ in class (or in alpha by half, if alpha_only) */
static int
icon_difference(const Png *png, const Rect *a, const Rect *b, int alpha_only)
{
	int			n = 0;

	for (int y = 0; y < a->h; y++)
		for (int x = 0; x < a->w; x++)
		{
			const uint8_t *p = pixel(png, a, x, y),
					   *q = pixel(png, b, x, y);

			n += alpha_only ? abs(p[3] - q[3]) >= 128 : pixel_class(p) != pixel_class(q);
		}
	return n;
}

/* the most frequent colour of the icon's opaque pixels that are neither white nor dark, "#rrggbb" */
static void
dominant_colour(const Png *png, const Rect *r, char out[8])
{
	static uint32_t colours[128 * 128];
	static int	counts[128 * 128];
	int			n = 0,
				best = -1;

	for (int y = 0; y < r->h; y++)
		for (int x = 0; x < r->w; x++)
		{
			const uint8_t *p = pixel(png, r, x, y);
			uint32_t	c = (uint32_t) p[0] << 16 | (uint32_t) p[1] << 8 | p[2];
			int			i;

			if (p[3] != 255 || (p[0] >= 220 && p[1] >= 220 && p[2] >= 220) ||
				(p[0] < 64 && p[1] < 64 && p[2] < 64))
				continue;
			for (i = 0; i < n && colours[i] != c; i++)
				;
			if (i == n && n < 128 * 128)
			{
				colours[n] = c;
				counts[n++] = 0;
			}
			if (i < n)
				counts[i]++;
		}
	for (int i = 0; i < n; i++)
		if (best < 0 || counts[i] > counts[best])
			best = i;
	snprintf(out, 8, "#%06x", best < 0 ? 0u : (unsigned) colours[best]);
}

typedef struct
{
	Png			png;
	char	   *json;
} Sprite;

static int
sprite_load(int ratio, Sprite *s)
{
	size_t		len = 0;
	uint8_t    *png = sprite_png(ratio, &len);
	struct evbuffer *b = evbuffer_new();
	int			rc = png_decode(png, len, &s->png);

	free(png);
	s->json = NULL;
	if (b)
	{
		sprite_json(b, ratio);
		s->json = calloc(evbuffer_get_length(b) + 1, 1);
		if (s->json)
			evbuffer_remove(b, s->json, evbuffer_get_length(b));
		evbuffer_free(b);
	}
	return rc == 0 && s->json ? 0 : -1;
}

static void
sprite_unload(Sprite *s)
{
	free(s->png.px);
	free(s->json);
}

/* the icon's rectangle, checked to lie in the image at this ratio */
static int
icon_rect(const Sprite *s, const char *name, int ratio, Rect *r)
{
	return sprite_rect(s->json, name, r) == 0 && r->ratio == ratio && r->x >= 0 && r->y >= 0 && r->w > 0 &&
		r->h > 0 && r->x + r->w <= s->png.w && r->y + r->h <= s->png.h ? 0 : -1;
}

/*
 * The flow arrow of the sprite points along +x, the direction MapLibre lays
 * an icon along a line (the line's direction is the flow's): the chevron's
 * apex, at the middle row, lies to the right of its arms.
 */
static int
arrow_rightmost(const Png *png, const Rect *r, int y)
{
	int			right = -1;

	for (int x = 0; x < r->w; x++)
		if (pixel(png, r, x, y)[3] == 0xff)
			right = x;
	return right;
}

static void
test_sprite_arrow(void)
{
	for (int ratio = 1; ratio <= 2; ratio++)
	{
		Sprite		s;
		Rect		r;
		int			ok = sprite_load(ratio, &s) == 0 && icon_rect(&s, "arrow", ratio, &r) == 0;
		char		name[96];

		snprintf(name, sizeof name, "sprite @%dx decodes, with the arrow (%d px)", ratio, ok ? r.w : 0);
		CHECK(ok && r.w == 24 * ratio && r.h == 24 * ratio, name);
		if (ok)
		{
			int			size = r.w;
			int			apex = arrow_rightmost(&s.png, &r, size / 2);
			int			arm_top = arrow_rightmost(&s.png, &r, size / 2 - size / 4);
			int			arm_bottom = arrow_rightmost(&s.png, &r, size / 2 + size / 4);

			snprintf(name, sizeof name, "arrow @%dx points along +x (apex %d, arms %d %d)", ratio, apex,
					 arm_top, arm_bottom);
			CHECK(apex >= 0 && arm_top >= 0 && arm_bottom >= 0 && apex > arm_top + size / 8 &&
				  apex > arm_bottom + size / 8, name);
		}
		sprite_unload(&s);
	}
}

/* the check of the symbol table: a good table passes, each kind of mistake is named */
static void
test_sprite_symbols(void)
{
	SpriteSymbol table[TL_N_KINDS + 1];
	int			n = 0;
	char		err[128] = "";

	CHECK(sprite_check(NULL, 0, err, sizeof err) == 0, "the sprite's symbol table fits the catalog");
	for (int k = 0; k < TL_N_KINDS; k++)
		if (tl_kinds()[k].geom & TL_GEOM_POINT)
		{
			table[n] = (SpriteSymbol) {tl_kinds()[k].id, n / 4, n % 4};
			n++;
		}
	CHECK(sprite_check(table, n, err, sizeof err) == 0, "a table with a symbol per point kind passes");
	CHECK(sprite_check(table, n - 1, err, sizeof err) < 0 && strstr(err, "no symbol") != NULL,
		  "a point kind without a symbol is refused");
	table[n] = (SpriteSymbol) {TL_KIND_ID_dam, 6, 3};
	CHECK(sprite_check(table, n + 1, err, sizeof err) < 0 && strstr(err, "takes no points") != NULL,
		  "a symbol for a kind without points (dam) is refused");
	table[1].shape = table[0].shape;
	table[1].mark = table[0].mark;
	CHECK(sprite_check(table, n, err, sizeof err) < 0 && strstr(err, "share") != NULL,
		  "two kinds with one shape and mark are refused");
}

static void
test_sprite_icons(void)
{
	Sprite		s[2];
	int			loaded = sprite_load(1, &s[0]) == 0;
	char		name[160];

	loaded = sprite_load(2, &s[1]) == 0 && loaded;
	CHECK(loaded, "sprite @1x and @2x decode");
	if (!loaded)
		goto done;

	/* every entry of sprite.json: in the image, at its ratio, and @2x exactly twice @1x */
	for (int ratio = 1; ratio <= 2; ratio++)
	{
		int			bad = 0,
					n = 0;

		for (const char *p = s[ratio - 1].json; (p = strstr(p, "\":{\"x\":")) != NULL; p++)
		{
			const char *q = p;
			char		icon[96];
			Rect		r,
						r1;

			while (q > s[ratio - 1].json && q[-1] != '"')
				q--;
			snprintf(icon, sizeof icon, "%.*s", (int) (p - q), q);
			n++;
			if (icon_rect(&s[ratio - 1], icon, ratio, &r) != 0 || sprite_rect(s[0].json, icon, &r1) != 0 ||
				r.x != r1.x * ratio || r.y != r1.y * ratio || r.w != r1.w * ratio || r.h != r1.h * ratio)
			{
				printf("# %s @%dx: bad rectangle\n", icon, ratio);
				bad++;
			}
		}
		snprintf(name, sizeof name, "sprite@%dx.json: %d icons, each in the image, @2x twice @1x", ratio, n);
		CHECK(bad == 0 && n > 1, name);
	}

	for (int ratio = 1; ratio <= 2; ratio++)
	{
		const Sprite *sp = &s[ratio - 1];
		int			missing = 0,
					faint = 0,
					wrong_colour = 0,
					least = 1 << 30;
		const char *least_a = "",
				   *least_b = "";
		Rect		wells[4],
					r;

		/* an icon per kind that takes points, drawn, in its category's colour */
		for (int k = 0; k < TL_N_KINDS; k++)
		{
			const TlKind *kind = &tl_kinds()[k];
			char		colour[8];

			if (!(kind->geom & TL_GEOM_POINT))
			{
				missing += sprite_rect(sp->json, kind->code, &r) == 0;	/* none for the others */
				continue;
			}
			if (icon_rect(sp, kind->code, ratio, &r) != 0 || r.w < 16 * ratio || r.w > 24 * ratio || r.h != r.w)
			{
				printf("# %s @%dx: no icon of about 20 px\n", kind->code, ratio);
				missing++;
				continue;
			}
			if (opaque_count(&sp->png, &r) < r.w * r.h / 3)
			{
				printf("# %s @%dx: %d opaque pixels\n", kind->code, ratio, opaque_count(&sp->png, &r));
				faint++;
			}
			dominant_colour(&sp->png, &r, colour);
			if (strcmp(colour, tl_category_by_id(kind->category)->colour) != 0)
			{
				printf("# %s @%dx: colour %s, its category's %s\n", kind->code, ratio, colour,
					   tl_category_by_id(kind->category)->colour);
				wrong_colour++;
			}
		}
		snprintf(name, sizeof name, "sprite @%dx: an icon of about 20 px for every kind that takes points, only those",
				 ratio);
		CHECK(missing == 0, name);
		snprintf(name, sizeof name, "sprite @%dx: every kind's icon is drawn (a third of it opaque or more)", ratio);
		CHECK(missing == 0 && faint == 0, name);
		snprintf(name, sizeof name, "sprite @%dx: every kind's icon is mostly its category's colour", ratio);
		CHECK(missing == 0 && wrong_colour == 0, name);

		/*
		 * Kinds are told apart by shape and mark, not colour alone: any two
		 * icons differ, in what is transparent, white or coloured, in a sixth
		 * of their pixels or more; the four wells, the officer's check of
		 * upstream against downstream, likewise.
		 */
		for (int a = 0; a < TL_N_KINDS && missing == 0; a++)
			for (int b = a + 1; b < TL_N_KINDS; b++)
			{
				Rect		ra,
							rb;
				int			d;

				if (!(tl_kinds()[a].geom & TL_GEOM_POINT) || !(tl_kinds()[b].geom & TL_GEOM_POINT))
					continue;
				icon_rect(sp, tl_kinds()[a].code, ratio, &ra);
				icon_rect(sp, tl_kinds()[b].code, ratio, &rb);
				d = ra.w == rb.w ? icon_difference(&sp->png, &ra, &rb, 0) : ra.w * ra.h;
				if (d < least)
				{
					least = d;
					least_a = tl_kinds()[a].code;
					least_b = tl_kinds()[b].code;
				}
			}
		snprintf(name, sizeof name, "sprite @%dx: any two kinds' icons differ in shape or mark (least: %s, %s, %d px)",
				 ratio, least_a, least_b, least);
		CHECK(missing == 0 && least >= 20 * 20 * ratio * ratio / 20, name);
		{
			static const char *const well_codes[4] = {"gw_background_well", "gw_monitoring_well",
			"gw_diffusion_well", "gw_outlet_well"};
			int			ok = 1,
						least_well = 1 << 30;

			for (int i = 0; i < 4; i++)
				ok = ok && icon_rect(sp, well_codes[i], ratio, &wells[i]) == 0;
			for (int i = 0; i < 4 && ok; i++)
				for (int j = i + 1; j < 4; j++)
				{
					int			d = wells[i].w == wells[j].w ? icon_difference(&sp->png, &wells[i], &wells[j], 0) : 0;

					printf("# %s / %s @%dx: %d px differ\n", well_codes[i], well_codes[j], ratio, d);
					if (d < least_well)
						least_well = d;
				}
			snprintf(name, sizeof name, "sprite @%dx: the four groundwater wells are pairwise different (least %d px)",
					 ratio, ok ? least_well : 0);
			CHECK(ok && least_well >= 20 * 20 * ratio * ratio / 20, name);
		}

		/* the groundwater flow arrow points north: its mass above its centre; blue */
		if (icon_rect(sp, "gw-flow", ratio, &r) == 0)
		{
			double		above = 0,
						below = 0;
			char		colour[8];

			for (int y = 0; y < r.h; y++)
				for (int x = 0; x < r.w; x++)
				{
					int			a = pixel(&sp->png, &r, x, y)[3];

					if (2 * y + 1 < r.h)
						above += a;
					else if (2 * y + 1 > r.h)
						below += a;
				}
			dominant_colour(&sp->png, &r, colour);
			snprintf(name, sizeof name, "sprite @%dx: gw-flow (%d px) points north (alpha above/below the centre %.2f), %s",
					 ratio, r.w, below > 0 ? above / below : 0, colour);
			CHECK(r.w >= 24 * ratio && r.w <= 32 * ratio && above > 1.3 * below &&
				  strcmp(colour, tl_category_by_id(TL_CATEGORY_ID_groundwater)->colour) == 0, name);
		}
		else
			CHECK(0, "sprite: gw-flow");

		/* pond icons: one per band, in its colour, shapes that differ (their alpha masks) */
		{
			Rect		pr[TL_N_BANDS];
			int			ok = 1,
						least_pond = 1 << 30;

			for (int b = 0; b < TL_N_BANDS; b++)
			{
				char		icon[64],
							colour[8];

				snprintf(icon, sizeof icon, "pond-%s", tl_bands()[b].code);
				if (icon_rect(sp, icon, ratio, &pr[b]) != 0 || pr[b].w != pr[0].w || pr[b].h != pr[b].w)
				{
					printf("# %s @%dx: missing\n", icon, ratio);
					ok = 0;
					continue;
				}
				dominant_colour(&sp->png, &pr[b], colour);
				if (strcmp(colour, tl_bands()[b].colour) != 0)
				{
					printf("# %s @%dx: colour %s, the band's %s\n", icon, ratio, colour, tl_bands()[b].colour);
					ok = 0;
				}
			}
			for (int a = 0; a < TL_N_BANDS && ok; a++)
				for (int b = a + 1; b < TL_N_BANDS; b++)
				{
					int			d = icon_difference(&sp->png, &pr[a], &pr[b], 1);

					printf("# pond-%s / pond-%s @%dx: alpha differs in %d px\n", tl_bands()[a].code,
						   tl_bands()[b].code, ratio, d);
					if (d < least_pond)
						least_pond = d;
				}
			snprintf(name, sizeof name, "sprite @%dx: a pond icon per band in its colour, their shapes differ (least %d px)",
					 ratio, ok ? least_pond : 0);
			CHECK(ok && least_pond >= pr[0].w * pr[0].h / 20, name);
		}

		/* hatches: one per band but complete, in its colour, denser for worse bands */
		{
			int			ok = sprite_rect(sp->json, "hatch-complete", &r) != 0,
						last = 0;

			for (int b = 0; b < TL_N_BANDS; b++)
			{
				char		icon[64],
							colour[8];
				int			ink;

				if (tl_bands()[b].floor >= 1.0)
					continue;
				snprintf(icon, sizeof icon, "hatch-%s", tl_bands()[b].code);
				if (icon_rect(sp, icon, ratio, &r) != 0)
				{
					ok = 0;
					continue;
				}
				ink = opaque_count(&sp->png, &r);
				dominant_colour(&sp->png, &r, colour);
				printf("# %s @%dx: %d of %d px, %s\n", icon, ratio, ink, r.w * r.h, colour);
				ok = ok && ink > last && ink < r.w * r.h * 3 / 4 && strcmp(colour, tl_bands()[b].colour) == 0;
				last = ink;
			}
			snprintf(name, sizeof name, "sprite @%dx: a hatch per band with gaps, in its colour, denser for worse bands",
					 ratio);
			CHECK(ok && last > 0, name);
		}
	}
done:
	sprite_unload(&s[0]);
	sprite_unload(&s[1]);
}

/* the style as a NUL-terminated string, malloc'd */
static char *
style_text(const ConfBasemap *basemaps, int nbasemaps)
{
	struct evbuffer *b = evbuffer_new();
	size_t		n;
	char	   *s;

	style_maplibre(b, "http://h", basemaps, nbasemaps);
	n = evbuffer_get_length(b);
	s = malloc(n + 1);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	evbuffer_free(b);
	return s;
}

/* the layer of id in style text s, from its "{" to the next layer's (or NULL) */
static const char *
style_layer(const char *s, const char *id, char *buf, size_t len)
{
	char		key[128];
	const char *p,
			   *end;

	snprintf(key, sizeof key, "{\"id\":\"%s\",", id);
	if ((p = strstr(s, key)) == NULL)
		return NULL;
	end = strstr(p + 1, "{\"id\":\"");
	snprintf(buf, len, "%.*s", end ? (int) (end - p) : (int) strlen(p), p);
	return buf;
}

static void
test_style_lines(void)
{
	char	   *s = style_text(NULL, 0);
	int			nline = 0,
				table_ok = 1,
				arrows_ok = 1,
				distinct = 1,
				lines_ok = 1;
	char		id[96],
				layer[4096],
				name[160];

	/* the line table has a row for exactly the kinds that take lines */
	for (int k = 0; k < TL_N_KINDS; k++)
	{
		const TlKind *kind = &tl_kinds()[k];
		int			line = (kind->geom & TL_GEOM_LINE) != 0;

		nline += line;
		if (line != (style_line(kind->id) != NULL))
		{
			printf("# %s: %s\n", kind->code, line ? "takes lines but has no line symbol" : "has a line symbol");
			table_ok = 0;
		}
	}
	CHECK(table_ok && style_line_count() == nline, "the line table covers every line kind, once");

	/* two line kinds of one category (same colour) differ in width, dashes, casing or centre line */
	for (int a = 0; a < TL_N_KINDS; a++)
		for (int b = a + 1; b < TL_N_KINDS; b++)
		{
			const TlKind *ka = &tl_kinds()[a],
					   *kb = &tl_kinds()[b];
			const StyleLine *la = style_line(ka->id),
					   *lb = style_line(kb->id);

			if (la == NULL || lb == NULL || ka->category != kb->category)
				continue;
			if (la->width == lb->width && la->casing == lb->casing && la->centre == lb->centre &&
				((la->dash == NULL && lb->dash == NULL) || (la->dash && lb->dash && strcmp(la->dash, lb->dash) == 0)))
			{
				printf("# %s and %s look the same\n", ka->code, kb->code);
				distinct = 0;
			}
		}
	CHECK(distinct, "line kinds of one category differ in width, dashes, casing or centre line");
	{
		const StyleLine *t = style_line(TL_KIND_ID_flood_tunnel),
				   *d = style_line(TL_KIND_ID_interception_ditch);

		CHECK(t && d && t->dash != NULL && d->dash == NULL, "the flood tunnel (underground) is dashed, the ditch is not");
		CHECK(style_line(TL_KIND_ID_dam)->casing > 0 && style_line(TL_KIND_ID_interception_dam)->casing > 0 &&
			  style_line(TL_KIND_ID_dam)->width >= 4, "dams are thick barrier lines on a casing");
	}

	/* arrows on directed kinds only; each line kind's line layer carries its table row */
	for (int k = 0; k < TL_N_KINDS; k++)
	{
		const TlKind *kind = &tl_kinds()[k];
		const StyleLine *ls = style_line(kind->id);
		int			has_arrows;

		snprintf(id, sizeof id, "%s-arrows", kind->code);
		has_arrows = style_layer(s, id, layer, sizeof layer) != NULL;
		if (has_arrows != (kind->directed && (kind->geom & TL_GEOM_LINE)) ||
			(has_arrows && strstr(layer, "\"icon-image\":\"arrow\"") == NULL))
		{
			printf("# %s: arrows %d, directed %d\n", kind->code, has_arrows, kind->directed);
			arrows_ok = 0;
		}
		if (ls == NULL)
			continue;
		snprintf(id, sizeof id, "%s-line", kind->code);
		if (style_layer(s, id, layer, sizeof layer) == NULL)
		{
			lines_ok = 0;
			continue;
		}
		{
			char		w[64];

			snprintf(w, sizeof w, "\"line-width\":%g", ls->width);
			if (strstr(layer, w) == NULL || (ls->dash != NULL) != (strstr(layer, "line-dasharray") != NULL))
			{
				printf("# %s-line: %s\n", kind->code, layer);
				lines_ok = 0;
			}
		}
		snprintf(id, sizeof id, "%s-casing", kind->code);
		if ((ls->casing > 0) != (style_layer(s, id, layer, sizeof layer) != NULL))
			lines_ok = 0;
	}
	CHECK(arrows_ok, "an arrows layer (icon arrow) for every directed kind, none for the others");
	CHECK(style_layer(s, "dam-arrows", layer, sizeof layer) == NULL &&
		  style_layer(s, "interception_dam-arrows", layer, sizeof layer) == NULL &&
		  style_layer(s, "flood_tunnel-arrows", layer, sizeof layer) != NULL,
		  "no arrows on dams and interception dams; arrows on the flood tunnel");
	CHECK(lines_ok, "each line kind's line layer has its width and dashes, and its casing when it has one");
	/* the casing is under the line: it comes first */
	CHECK(strstr(s, "\"id\":\"dam-casing\"") && strstr(s, "\"id\":\"dam-line\"") &&
		  strstr(s, "\"id\":\"dam-casing\"") < strstr(s, "\"id\":\"dam-line\""), "the dam's casing under its line");
	snprintf(name, sizeof name, "style.json has no case or step expression (QGIS cannot convert them)");
	CHECK(strstr(s, "[\"case\"") == NULL && strstr(s, "[\"step\"") == NULL, name);
	free(s);
}

static void
test_style_points_ponds(void)
{
	char	   *s = style_text(NULL, 0);
	char		id[96],
				layer[4096],
				want[160];
	int			points_ok = 1,
				labels_ok = 1,
				meta_ok = 1;

	for (int k = 0; k < TL_N_KINDS; k++)
	{
		const TlKind *kind = &tl_kinds()[k];
		const char *ring,
				   *point;

		/* every kind's names from zoom 15, in the font of the glyph endpoint */
		snprintf(id, sizeof id, "%s-label", kind->code);
		if (style_layer(s, id, layer, sizeof layer) == NULL || strstr(layer, "\"minzoom\":15") == NULL ||
			strstr(layer, "\"text-font\":[\"Noto Sans CJK SC Regular\"]") == NULL || strstr(layer, "allow-overlap"))
			labels_ok = 0;
		if (!(kind->geom & TL_GEOM_POINT))
			continue;
		snprintf(id, sizeof id, "%s-ring", kind->code);
		ring = strstr(s, "\"id\":\"");
		ring = strstr(s, id);
		snprintf(id, sizeof id, "%s-point", kind->code);
		point = strstr(s, id);
		snprintf(want, sizeof want, "\"icon-image\":\"%s\"", kind->code);
		if (ring == NULL || point == NULL || ring > point || style_layer(s, id, layer, sizeof layer) == NULL ||
			strstr(layer, "\"type\":\"symbol\"") == NULL || strstr(layer, want) == NULL)
		{
			printf("# %s: ring %p, point %p\n", kind->code, (void *) ring, (void *) point);
			points_ok = 0;
		}
		snprintf(want, sizeof want, "\"tailings:kind\":\"%s\",\"tailings:label\":", kind->code);
		if (strstr(layer, want) == NULL || strstr(layer, "\"tailings:label_en\":") == NULL)
			meta_ok = 0;
		snprintf(id, sizeof id, "%s-ring-verified", kind->code);
		if (style_layer(s, id, layer, sizeof layer) == NULL || strstr(layer, "[\"==\",[\"get\",\"verified\"],true]") == NULL)
			points_ok = 0;
	}
	CHECK(points_ok, "each point kind: a ring, a verified ring by filter, then an icon named by the kind's code");
	CHECK(meta_ok, "each point layer names its kind and its labels in metadata");
	CHECK(labels_ok, "each kind has a label layer from zoom 15, collision-aware, in the glyphs' font");

	/* ponds */
	CHECK(style_layer(s, "ponds-fill", layer, sizeof layer) &&
		  strstr(layer, "[\"match\",[\"get\",\"status\"],[\"in_use\"],\"#f08c00\",[\"suspended\"],") != NULL,
		  "pond fill: match on status with array labels");
	CHECK(style_layer(s, "ponds-outline-major", layer, sizeof layer) &&
		  strstr(layer, "[\">=\",[\"get\",\"score\"],0.5],[\"<\",[\"get\",\"score\"],0.8]") &&
		  strstr(layer, "\"line-color\":\"#d55e00\""), "the major band's outline: 0.5 <= score < 0.8, its colour");
	CHECK(style_layer(s, "ponds-outline-complete", layer, sizeof layer) &&
		  strstr(layer, "[\">=\",[\"get\",\"score\"],1]]") && strstr(layer, "\"#0072b2\""),
		  "the complete band's outline: score >= 1");
	CHECK(style_layer(s, "ponds-outline-unknown", layer, sizeof layer) &&
		  strstr(layer, "[\"!\",[\"has\",\"score\"]]"), "ponds without a score (past moments) drawn neutral");
	CHECK(style_layer(s, "ponds-hatch-complete", layer, sizeof layer) == NULL &&
		  style_layer(s, "ponds-hatch-severe", layer, sizeof layer) &&
		  strstr(layer, "\"fill-pattern\":\"hatch-severe\""), "hatching for the incomplete bands only");
	CHECK(style_layer(s, "ponds-icon-minor", layer, sizeof layer) && strstr(layer, "\"icon-image\":\"pond-minor\"") &&
		  strstr(layer, "[\"!=\",[\"get\",\"anchor\"],true]"), "pond points: the band's icon, never at an anchor");
	CHECK(style_layer(s, "ponds-label", layer, sizeof layer) &&
		  strstr(layer, "\"filter\":[\"==\",[\"geometry-type\"],\"Point\"]") && strstr(layer, "text-variable-anchor"),
		  "pond names from points only, on any side");
	CHECK(style_layer(s, "ponds-gw-flow", layer, sizeof layer) && strstr(layer, "\"icon-image\":\"gw-flow\"") &&
		  strstr(layer, "\"icon-rotate\":[\"get\",\"gw_flow_azimuth\"]") &&
		  strstr(layer, "\"icon-rotation-alignment\":\"map\""), "groundwater flow arrow turned by gw_flow_azimuth");
	CHECK(strstr(s, "\"tailings:bands\":[{\"code\":\"complete\",\"floor\":1,\"colour\":\"#0072b2\"") != NULL,
		  "metadata: the bands of symbology.h");
	CHECK(strstr(s, "\"id\":\"ponds-label\"") > strstr(s, "\"id\":\"soil_monitor-label\""),
		  "pond names above every other label (placed first)");
	free(s);
}

/* the wells' groundwater rings (symbology.h) and the groundwater layer's extra field (contract.h) */
static void
test_style_gw_states(void)
{
	char	   *s = style_text(NULL, 0);
	char		layer[4096];
	struct evbuffer *b = evbuffer_new();
	Box			bounds = {101, 26, 102, 27};
	char	   *tj;
	size_t		n;
	const char *gw,
			   *site;

	CHECK(style_layer(s, "groundwater-exceeds", layer, sizeof layer) &&
		  strstr(layer, "\"type\":\"circle\",\"source\":\"tailings\",\"source-layer\":\"groundwater\"") &&
		  strstr(layer, "[\"==\",[\"get\",\"gw_state\"],\"exceeds\"]") &&
		  strstr(layer, "\"circle-stroke-color\":\"#e03131\"") && strstr(layer, "\"circle-opacity\":0") &&
		  strstr(layer, "\"tailings:gw_state\":\"exceeds\""),
		  "groundwater-exceeds: a red ring around a well whose gw_state is exceeds, by a filter");
	CHECK(style_layer(s, "groundwater-no_data", layer, sizeof layer) &&
		  strstr(layer, "[\"==\",[\"get\",\"gw_state\"],\"no_data\"]") && strstr(layer, "\"circle-stroke-color\":\"#868e96\""),
		  "groundwater-no_data: a grey ring around a well without data");
	CHECK(style_layer(s, "groundwater-ok", layer, sizeof layer) == NULL, "no ring for a well within the limits");
	CHECK(strstr(s, "\"id\":\"groundwater-exceeds\"") < strstr(s, "\"id\":\"gw_monitoring_well-ring\""),
		  "the rings under the wells' discs and icons");
	CHECK(strstr(s, "\"tailings:gw_states\":[{\"code\":\"exceeds\",\"colour\":\"#e03131\"") != NULL,
		  "metadata: the wells' states for a legend");
	free(s);

	style_tilejson(b, "http://h", route_all_layers(), &bounds);
	n = evbuffer_get_length(b);
	tj = malloc(n + 1);
	evbuffer_remove(b, tj, n);
	tj[n] = '\0';
	evbuffer_free(b);
	gw = strstr(tj, "{\"id\":\"groundwater\"");
	site = strstr(tj, "{\"id\":\"site\"");
	CHECK(gw && strstr(gw, "\"gw_state\":\"String\"") && strstr(gw, "\"gw_state\":\"String\"") < strstr(gw + 1, "{\"id\":"),
		  "TileJSON: the groundwater layer has gw_state, a String");
	{
		int			k = 0;

		for (const char *q = tj; (q = strstr(q, "\"gw_state\"")) != NULL; q++)
			k++;
		CHECK(site && site < gw && k == 1, "TileJSON: no other layer has gw_state");
	}
	free(tj);
}

static void
test_style_basemaps(void)
{
	char		err[256];
	ConfBasemap bm[2] = {
		{"https://t0.example/a/{z}/{x}/{y}.png|https://t0.example/b/{z}/{x}/{y}.png", "天地图", "© \"x\"", 1},
		{"https://example.org/style.json", NULL, NULL, 0},
	};
	char	   *s;

	CHECK(conf_check_basemap("https://a.example/{z}/{x}/{y}.png", err, sizeof err) == 1, "an XYZ template is raster");
	CHECK(conf_check_basemap("https://a.example/t?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=K", err, sizeof err) == 1,
		  "a WMTS KVP template is raster");
	CHECK(conf_check_basemap("https://a.example/style.json?key=1", err, sizeof err) == 0, "a style URL");
	CHECK(conf_check_basemap("https://a.example/{z}/{x}/{y}.png|https://b.example/{z}/{x}/{y}.png", err, sizeof err) == 1,
		  "two templates joined by |");
	CHECK(conf_check_basemap("https://a.example/{z}/{x}.png", err, sizeof err) < 0 && strstr(err, "{y}"), "no {y}");
	CHECK(conf_check_basemap("https://{s}.a.example/{z}/{x}/{y}.png", err, sizeof err) < 0, "{s} refused");
	CHECK(conf_check_basemap("https://a.example/{z}/{x}/{y}.png|", err, sizeof err) < 0, "an empty part");
	CHECK(conf_check_basemap("javascript:alert(1)", err, sizeof err) < 0, "not http");
	CHECK(conf_check_basemap("https://a.example/\"{z}/{x}/{y}", err, sizeof err) < 0, "a quote");

	s = style_text(bm, 2);
	CHECK(strstr(s, "\"basemap-0\":{\"type\":\"raster\",\"tileSize\":256,\"maxzoom\":18,"
				  "\"tiles\":[\"https://t0.example/a/{z}/{x}/{y}.png\"],\"attribution\":\"© \\\"x\\\"\"}") != NULL &&
		  strstr(s, "\"basemap-0-1\":{\"type\":\"raster\",\"tileSize\":256,\"maxzoom\":18,"
				  "\"tiles\":[\"https://t0.example/b/{z}/{x}/{y}.png\"]}") != NULL,
		  "raster base map: a source per template, the attribution escaped");
	CHECK(strstr(s, "{\"id\":\"basemap-0\",\"type\":\"raster\"") &&
		  strstr(s, "{\"id\":\"background\"") < strstr(s, "{\"id\":\"basemap-0\",\"type\":\"raster\"") &&
		  strstr(s, "{\"id\":\"basemap-0-1\",\"type\":\"raster\"") < strstr(s, "{\"id\":\"ponds-fill\""),
		  "base map layers between the background and the ponds");
	CHECK(strstr(s, "{\"id\":\"basemap-1\",\"type\":\"raster\"") == NULL && strstr(s, "\"basemap-1\":") == NULL &&
		  strstr(s, "{\"id\":\"basemap-1\",\"name\":\"example.org\",\"type\":\"style\",\"url\":"
				 "\"https://example.org/style.json\",\"attribution\":null}") != NULL,
		  "a style base map in the metadata only, named by its host");
	free(s);
	{
		Conf		c;
		FILE	   *devnull = fopen("/dev/null", "w");
		char	   *argv[] = {"x", "--db", "d", "--basemap", "https://a.example/{z}/{x}/{y}.png",
			"--basemap", "https://b.example/s.json", "--basemap-attribution", "B", NULL};
		char	   *nine[22] = {"x", "--db", "d"};

		unsetenv("TAILINGS_BASEMAP");
		CHECK(conf_load(&c, 9, argv, err, sizeof err, devnull) == 0 && c.nbasemaps == 2 && c.basemaps[0].raster &&
			  !c.basemaps[1].raster && c.basemaps[0].attribution == NULL &&
			  strcmp(c.basemaps[1].attribution, "B") == 0, "--basemap-attribution belongs to the base map before it");
		conf_free(&c);
		for (int i = 0; i < 9; i++)
		{
			nine[3 + 2 * i] = "--basemap";
			nine[4 + 2 * i] = "https://a.example/{z}/{x}/{y}.png";
		}
		CHECK(conf_load(&c, 21, nine, err, sizeof err, devnull) == 2 && strstr(err, "at most 8"), "nine base maps");
		conf_free(&c);
		CHECK(conf_load(&c, 19, nine, err, sizeof err, devnull) == 0 && c.nbasemaps == 8, "eight base maps");
		conf_free(&c);
		fclose(devnull);
	}
}

/* the tile ranges of tilemath.c against tile_bounds() and box_intersects() tile by tile */
static void
test_tile_ranges(void)
{
	int			bad_cover = 0,
				bad_touch = 0;

	for (int i = 0; i < 400; i++)
	{
		int			z = (int) (rng() % 17);
		double		lon = rng_in(-179, 179),
					lat = rng_in(-80, 80);
		Box			box = {lon, lat, lon + rng_in(0, 2.0 / (1 << (z / 2))), lat + rng_in(0, 1.0 / (1 << (z / 2)))};
		TileRange	c = tile_cover(&box, z),
					t = tile_touching(&box, z, 64, 4096);
		long		n = 1L << z;

		/* every tile in a window around the box: in the range exactly when it should be */
		for (long x = c.x0 - 3; x <= c.x1 + 3; x++)
			for (long y = c.y0 - 3; y <= c.y1 + 3; y++)
			{
				Box			plain,
							grown;
				int			in_cover,
							in_touch;

				if (x < 0 || y < 0 || x >= n || y >= n)
					continue;
				plain = tile_bounds(z, x, y, 0, 4096);
				grown = tile_bounds(z, x, y, 64, 4096);
				in_cover = x >= c.x0 && x <= c.x1 && y >= c.y0 && y <= c.y1;
				in_touch = x >= t.x0 && x <= t.x1 && y >= t.y0 && y <= t.y1;
				/* cover: the tiles whose inside meets the box (an edge shared exactly is not a case here) */
				if (in_cover != (plain.xmin < box.xmax && box.xmin < plain.xmax && plain.ymin < box.ymax && box.ymin < plain.ymax))
					bad_cover++;
				if (in_touch != box_intersects(&grown, &box))
					bad_touch++;
			}
	}
	CHECK(bad_cover == 0, "tile_cover: the tiles a box covers, at random zooms and places");
	CHECK(bad_touch == 0, "tile_touching: the tiles whose buffered bounds touch a box");
	{
		Box			pond8 = {101.792, 26.468, 101.792, 26.468};
		TileRange	r = tile_cover(&pond8, 14);

		CHECK(r.x0 == 12824 && r.x1 == 12824 && r.y0 == 6942 && r.y1 == 6942, "tile_cover of a point is its tile");
	}
}

static void
test_pmtiles_ids(void)
{
	uint32_t	x,
				y;
	int			z,
				bad = 0;

	/* the specification's table */
	CHECK(pmt_tile_id(0, 0, 0) == 0, "tile id 0/0/0 = 0");
	CHECK(pmt_tile_id(1, 0, 0) == 1 && pmt_tile_id(1, 0, 1) == 2 && pmt_tile_id(1, 1, 1) == 3 && pmt_tile_id(1, 1, 0) == 4,
		  "tile ids of zoom 1: 1 2 3 4 along the Hilbert curve");
	CHECK(pmt_tile_id(2, 0, 0) == 5, "tile id 2/0/0 = 5");
	CHECK(pmt_tile_id(12, 3423, 1763) == 19078479, "tile id 12/3423/1763 = 19078479");
	CHECK(pmt_tile_zxy(19078479, &z, &x, &y) == 0 && z == 12 && x == 3423 && y == 1763, "tile 19078479 is 12/3423/1763");
	CHECK(pmt_tile_zxy(0, &z, &x, &y) == 0 && z == 0 && x == 0 && y == 0, "tile 0 is 0/0/0");
	CHECK(pmt_tile_zxy(4, &z, &x, &y) == 0 && z == 1 && x == 1 && y == 0, "tile 4 is 1/1/0");
	CHECK(pmt_tile_zxy(5, &z, &x, &y) == 0 && z == 2 && x == 0 && y == 0, "tile 5 is 2/0/0");
	/* each zoom's ids: a permutation of its own interval, neighbours on the curve are neighbours on the map */
	for (int zz = 0; zz <= 6; zz++)
	{
		uint32_t	n = 1u << zz;
		uint64_t	base = pmt_tile_id(zz, 0, 0) - 0;
		uint64_t	lo = UINT64_MAX,
					hi = 0;
		char	   *seen = calloc((size_t) n * n, 1);

		(void) base;
		for (uint32_t xx = 0; xx < n; xx++)
			for (uint32_t yy = 0; yy < n; yy++)
			{
				uint64_t	id = pmt_tile_id(zz, xx, yy);

				lo = id < lo ? id : lo;
				hi = id > hi ? id : hi;
				if (seen == NULL || id - ((((uint64_t) 1 << (2 * zz)) - 1) / 3) >= (uint64_t) n * n)
					bad++;
				else if (seen[id - ((((uint64_t) 1 << (2 * zz)) - 1) / 3)]++)
					bad++;
			}
		if (lo != ((((uint64_t) 1 << (2 * zz)) - 1) / 3) || hi != lo + (uint64_t) n * n - 1)
			bad++;
		for (uint64_t id = lo; id < hi; id++)
		{
			uint32_t	x1,
						y1,
						x2,
						y2;
			int			z1,
						z2;

			if (pmt_tile_zxy(id, &z1, &x1, &y1) != 0 || pmt_tile_zxy(id + 1, &z2, &x2, &y2) != 0 || z1 != zz || z2 != zz ||
				labs((long) x1 - (long) x2) + labs((long) y1 - (long) y2) != 1)
				bad++;
		}
		free(seen);
	}
	CHECK(bad == 0, "zooms 0-6: each zoom's ids fill its interval, and the curve moves one tile at a time");
	bad = 0;
	for (int i = 0; i < 20000; i++)
	{
		int			zz = (int) (rng() % (PMT_MAX_ZOOM + 1));
		uint32_t	xx = (uint32_t) (rng() & ((1u << zz) - 1)),
					yy = (uint32_t) (rng() & ((1u << zz) - 1));

		if (pmt_tile_zxy(pmt_tile_id(zz, xx, yy), &z, &x, &y) != 0 || z != zz || x != xx || y != yy)
			bad++;
	}
	CHECK(bad == 0, "z/x/y -> id -> z/x/y, random tiles of zooms 0-26");
	CHECK(pmt_tile_zxy(pmt_tile_id(PMT_MAX_ZOOM, 0, 0) + ((uint64_t) 1 << (2 * PMT_MAX_ZOOM)), &z, &x, &y) == -1,
		  "an id beyond zoom 26 is refused");
}

static void
test_pmtiles_varints(void)
{
	uint8_t		b[16];
	size_t		pos = 0;
	uint64_t	v = 0;
	int			bad = 0;

	CHECK(pmt_varint_put(b, 0) == 1 && b[0] == 0, "varint 0");
	CHECK(pmt_varint_put(b, 127) == 1 && b[0] == 0x7f, "varint 127: one byte");
	CHECK(pmt_varint_put(b, 128) == 2 && b[0] == 0x80 && b[1] == 0x01, "varint 128: 80 01");
	CHECK(pmt_varint_put(b, 300) == 2 && b[0] == 0xac && b[1] == 0x02, "varint 300: ac 02 (protobuf's example)");
	CHECK(pmt_varint_put(b, UINT64_MAX) == 10 && b[9] == 0x01, "varint 2^64-1: ten bytes");
	CHECK(pmt_varint_get(b, 10, &pos, &v) == 0 && v == UINT64_MAX && pos == 10, "varint 2^64-1 read back");
	pos = 0;
	CHECK(pmt_varint_get(b, 9, &pos, &v) == -1, "a truncated varint is refused");
	memset(b, 0xff, sizeof b);
	pos = 0;
	CHECK(pmt_varint_get(b, sizeof b, &pos, &v) == -1, "a varint over 64 bits is refused");
	for (int i = 0; i < 10000; i++)
	{
		uint64_t	w = rng() >> (rng() % 64);

		pos = 0;
		if (pmt_varint_get(b, pmt_varint_put(b, w), &pos, &v) != 0 || v != w)
			bad++;
	}
	CHECK(bad == 0, "random varints read back");
}

static void
test_pmtiles_directories(void)
{
	/* tile 5 at 0 (42 bytes) ; tiles 6-7 right after it; tile 42 back at 0 (a repeated tile) */
	PmtEntry	e[3] = {{5, 0, 42, 1}, {6, 42, 10, 2}, {42, 0, 42, 1}};
	const uint8_t want[] = {3, 5, 1, 36, 1, 2, 1, 42, 10, 42, 1, 0, 1};
	PmtBuf		b = {0};
	PmtEntry   *d = NULL;
	size_t		n = 0;
	int			same;

	CHECK(pmt_dir_encode(e, 3, &b) == 0 && b.len == sizeof want && memcmp(b.data, want, sizeof want) == 0,
		  "a directory: count, delta ids, run lengths, lengths, offsets (0 when contiguous, else offset + 1)");
	same = pmt_dir_decode(b.data, b.len, &d, &n) == 0 && n == 3;
	for (size_t i = 0; same && i < n; i++)
		same = d[i].tile_id == e[i].tile_id && d[i].offset == e[i].offset && d[i].length == e[i].length &&
			d[i].run_length == e[i].run_length;
	CHECK(same, "the directory reads back");
	free(d);
	CHECK(pmt_dir_decode(b.data, b.len - 1, &d, &n) == -1, "a truncated directory is refused");
	{
		uint8_t		zero_length[] = {1, 5, 1, 0, 1};

		CHECK(pmt_dir_decode(zero_length, sizeof zero_length, &d, &n) == -1, "an entry of length 0 is refused");
	}
	pmt_buf_free(&b);
}

static void
test_pmtiles_header(void)
{
	PmtHeader	h = {0},
				r;
	uint8_t		b[PMT_HEADER_LEN];

	h.root_offset = 127;
	h.root_length = 0x0102;
	h.metadata_offset = 0x0229;
	h.data_offset = UINT64_C(0x1122334455667788);
	h.addressed_tiles = 7;
	h.tile_entries = 5;
	h.tile_contents = 3;
	h.clustered = 1;
	h.internal_compression = h.tile_compression = PMT_COMPRESSION_GZIP;
	h.tile_type = PMT_TILE_MVT;
	h.min_zoom = 8;
	h.max_zoom = 16;
	h.center_zoom = 13;
	h.min_lon = 101.7847481;
	h.min_lat = -26.4360256;
	h.max_lon = 101.8253501;
	h.max_lat = 26.4868009;
	h.center_lon = -0.0000001;
	h.center_lat = 26.4614133;
	pmt_header_write(&h, b);
	CHECK(memcmp(b, "PMTiles\x03", 8) == 0 && b[8] == 127 && b[16] == 2 && b[17] == 1 && b[56] == 0x88 && b[63] == 0x11,
		  "header: magic, version 3, little-endian offsets");
	CHECK(b[96] == 1 && b[97] == 2 && b[98] == 2 && b[99] == 1 && b[100] == 8 && b[101] == 16 && b[118] == 13,
		  "header: clustered, gzip, gzip, MVT, zooms at bytes 96-101 and 118");
	/* 101.7847481 x 10^7 = 1017847481 = 0x3cab1eb9 */
	CHECK(b[102] == 0xb9 && b[103] == 0x1e && b[104] == 0xab && b[105] == 0x3c, "header: longitude x 10^7, little-endian");
	CHECK(pmt_header_read(b, &r) == 0 && r.data_offset == h.data_offset && r.tile_contents == 3 &&
		  fabs(r.min_lat - h.min_lat) < 1e-7 && fabs(r.center_lon - h.center_lon) < 1e-7 && r.center_zoom == 13,
		  "the header reads back");
	b[7] = 2;
	CHECK(pmt_header_read(b, &r) == -1, "a version 2 header is refused");
}

/* a reader's lookup, as the specification's readers do it: the entry whose run holds the id */
static const PmtEntry *
test_find(const PmtEntry *e, size_t n, uint64_t id)
{
	size_t		lo = 0,
				hi = n;

	while (lo < hi)
	{
		size_t		mid = (lo + hi) / 2;

		if (e[mid].tile_id <= id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	lo--;
	if (e[lo].run_length == 0 || id < e[lo].tile_id + e[lo].run_length)
		return &e[lo];
	return NULL;
}

/* the bytes at off..off+len of f, gunzipped */
static int
test_read_gz(FILE *f, uint64_t off, uint64_t len, PmtBuf *out)
{
	uint8_t    *raw = malloc(len ? len : 1);
	int			rc = raw && pread(fileno(f), raw, len, (off_t) off) == (ssize_t) len ? pmt_gunzip(raw, len, out) : -1;

	free(raw);
	return rc;
}

/* the tile id of an archive through its directories (root, then leaf); its bytes gunzipped */
static int
test_archive_tile(FILE *f, const PmtHeader *h, uint64_t id, PmtBuf *tile)
{
	PmtBuf		dir = {0};
	PmtEntry   *e = NULL;
	size_t		n = 0;
	uint64_t	off = h->root_offset,
				len = h->root_length;
	int			rc = -1;

	for (int depth = 0; depth < 2; depth++)
	{
		const PmtEntry *hit;

		if (test_read_gz(f, off, len, &dir) != 0 || pmt_dir_decode(dir.data, dir.len, &e, &n) != 0)
			break;
		if ((hit = test_find(e, n, id)) == NULL)
			break;
		if (hit->run_length > 0)
		{
			rc = test_read_gz(f, h->data_offset + hit->offset, hit->length, tile);
			break;
		}
		off = h->leaf_offset + hit->offset;
		len = hit->length;
		free(e);
		e = NULL;
	}
	free(e);
	pmt_buf_free(&dir);
	return rc;
}

static void
test_pmtiles_writer(void)
{
	const char *A = "tile A",
			   *B = "tile B, longer",
			   *C = "tile C";
	struct
	{
		uint64_t	id;
		const char *t;
	}			adds[] = {{10, NULL}, {11, NULL}, {12, NULL}, {20, NULL}, {21, NULL}, {22, NULL}, {30, NULL}};
	PmtWriter  *w = pmt_writer_new(PMT_ROOT_MAX, tmpfile());
	FILE	   *f = tmpfile();
	PmtHeader	info = {0},
				h;
	uint8_t		head[PMT_HEADER_LEN];
	PmtBuf		root = {0},
				meta = {0},
				tile = {0};
	PmtEntry   *e = NULL;
	size_t		n = 0;
	int			ok = 1;
	const char *json = "{\"vector_layers\":[]}";
	uint64_t	seed,
				id,
				first;

	adds[0].t = A, adds[1].t = A, adds[2].t = B, adds[3].t = A, adds[4].t = C, adds[5].t = C, adds[6].t = B;
	for (size_t i = 0; i < sizeof adds / sizeof adds[0]; i++)
		ok &= pmt_writer_add(w, adds[i].id, (const uint8_t *) adds[i].t, strlen(adds[i].t)) == 0;
	CHECK(ok, "seven tiles added");
	CHECK(pmt_writer_add(w, 30, (const uint8_t *) A, 6) == -1 && strstr(pmt_writer_error(w), "increasing") != NULL,
		  "a tile id not after the last is refused");
	CHECK(pmt_writer_add(w, 40, (const uint8_t *) A, 0) == -1, "an empty tile is refused");
	CHECK(pmt_writer_stats(w).addressed == 7 && pmt_writer_stats(w).entries == 5 && pmt_writer_stats(w).contents == 3,
		  "7 tiles addressed, 5 entries (runs of A and C), 3 distinct tiles stored");
	info.min_zoom = 3;
	info.max_zoom = 4;
	info.min_lon = 101.5;
	info.max_lon = 102;
	info.min_lat = 26;
	info.max_lat = 27;
	CHECK(pmt_writer_finish(w, f, json, strlen(json), &info) == 0, "the archive is written");
	ok = pread(fileno(f), head, sizeof head, 0) == (ssize_t) sizeof head && pmt_header_read(head, &h) == 0;
	CHECK(ok && h.root_offset == 127 && h.metadata_offset == 127 + h.root_length && h.leaf_length == 0 &&
		  h.data_offset == h.leaf_offset && h.addressed_tiles == 7 && h.tile_entries == 5 && h.tile_contents == 3 &&
		  h.clustered == 1 && h.tile_type == PMT_TILE_MVT && h.min_zoom == 3 && h.max_zoom == 4 &&
		  fabs(h.max_lat - 27) < 1e-7, "the header: sections in order, counts, zooms, bounds");
	ok = test_read_gz(f, h.root_offset, h.root_length, &root) == 0 && pmt_dir_decode(root.data, root.len, &e, &n) == 0;
	CHECK(ok && n == 5 && e[0].tile_id == 10 && e[0].run_length == 2 && e[0].offset == 0 &&
		  e[1].tile_id == 12 && e[1].offset == e[0].length &&
		  e[2].tile_id == 20 && e[2].offset == 0 && e[2].length == e[0].length &&
		  e[3].tile_id == 21 && e[3].run_length == 2 && e[4].tile_id == 30 && e[4].offset == e[1].offset,
		  "the root directory: a run of two A, B, A again at offset 0, a run of two C, B again at B's offset");
	CHECK(test_read_gz(f, h.metadata_offset, h.metadata_length, &meta) == 0 && meta.len == strlen(json) &&
		  memcmp(meta.data, json, meta.len) == 0, "the metadata, gzip-compressed, reads back");
	ok = 1;
	for (size_t i = 0; i < sizeof adds / sizeof adds[0]; i++)
		ok &= test_archive_tile(f, &h, adds[i].id, &tile) == 0 && tile.len == strlen(adds[i].t) &&
			memcmp(tile.data, adds[i].t, tile.len) == 0;
	CHECK(ok, "every tile reads back through the directory, gzip-decompressed");
	CHECK(test_archive_tile(f, &h, 13, &tile) != 0 && test_archive_tile(f, &h, 23, &tile) != 0 &&
		  test_archive_tile(f, &h, 9, &tile) != 0, "ids between runs and before the first are not in the archive");
	free(e);
	e = NULL;
	pmt_writer_free(w);
	fclose(f);
	w = pmt_writer_new(PMT_ROOT_MAX, tmpfile());
	f = tmpfile();
	CHECK(pmt_writer_finish(w, f, json, strlen(json), &info) == -1, "an archive without tiles is refused");
	pmt_writer_free(w);
	fclose(f);

	/* 10,000 distinct tiles: the root would be too large; leaf directories of 4096 entries */
	seed = rng_state;
	w = pmt_writer_new(PMT_ROOT_MAX, tmpfile());
	f = tmpfile();
	ok = 1;
	id = first = 99;
	for (int i = 0; i < 10000; i++)
	{
		char		t[64];

		id += 1 + rng() % 500;
		snprintf(t, sizeof t, "tile %d %.*s", i, (int) (rng() % 40), "0123456789abcdefghijklmnopqrstuvwxyzABCD");
		ok &= pmt_writer_add(w, id, (const uint8_t *) t, strlen(t)) == 0;
	}
	ok &= pmt_writer_finish(w, f, json, strlen(json), &info) == 0;
	ok &= pread(fileno(f), head, sizeof head, 0) == (ssize_t) sizeof head && pmt_header_read(head, &h) == 0;
	free(e);
	e = NULL;
	CHECK(ok && h.leaf_length > 0 && h.root_length <= PMT_ROOT_MAX && pmt_writer_stats(w).leaves == 3 &&
		  test_read_gz(f, h.root_offset, h.root_length, &root) == 0 && pmt_dir_decode(root.data, root.len, &e, &n) == 0 &&
		  n == 3 && e[0].run_length == 0 && e[0].tile_id > first && e[1].tile_id > e[0].tile_id &&
		  e[2].offset == e[1].offset + e[1].length,
		  "10,000 tiles: a root of 3 leaf entries (first ids, contiguous offsets), within 16 KiB with the header");
	rng_state = seed;
	ok = 1;
	id = 99;
	for (int i = 0; i < 10000; i++)
	{
		char		t[64];

		id += 1 + rng() % 500;
		snprintf(t, sizeof t, "tile %d %.*s", i, (int) (rng() % 40), "0123456789abcdefghijklmnopqrstuvwxyzABCD");
		ok &= test_archive_tile(f, &h, id, &tile) == 0 && tile.len == strlen(t) &&
			memcmp(tile.data, t, tile.len) == 0;
	}
	CHECK(ok, "every one of the 10,000 tiles reads back through its leaf");
	free(e);
	pmt_writer_free(w);
	fclose(f);

	/* a small root limit: leaves for a few tiles too */
	w = pmt_writer_new(30, tmpfile());
	f = tmpfile();
	ok = pmt_writer_add(w, 1, (const uint8_t *) A, 6) == 0 && pmt_writer_add(w, 2, (const uint8_t *) B, 6) == 0 &&
		pmt_writer_add(w, 7, (const uint8_t *) C, 6) == 0 && pmt_writer_finish(w, f, json, strlen(json), &info) == 0;
	ok &= pread(fileno(f), head, sizeof head, 0) == (ssize_t) sizeof head && pmt_header_read(head, &h) == 0;
	CHECK(ok && h.leaf_length > 0 && test_archive_tile(f, &h, 7, &tile) == 0 && tile.len == 6 &&
		  memcmp(tile.data, C, 6) == 0, "a root limit of 30 bytes: one leaf directory, read through");
	pmt_writer_free(w);
	fclose(f);
	pmt_buf_free(&root);
	pmt_buf_free(&meta);
	pmt_buf_free(&tile);
}

/* WKB writing for the shape tests: little-endian unless big */
typedef struct TestWkb
{
	uint8_t		b[4096];
	size_t		n;
	int			big;
} TestWkb;

static void
wkb_u32(TestWkb *w, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		w->b[w->n++] = (uint8_t) (v >> (8 * (w->big ? 3 - i : i)));
}

static void
wkb_f64(TestWkb *w, double d)
{
	uint64_t	u;

	memcpy(&u, &d, sizeof u);
	for (int i = 0; i < 8; i++)
		w->b[w->n++] = (uint8_t) (u >> (8 * (w->big ? 7 - i : i)));
}

static void
wkb_head(TestWkb *w, uint32_t type)
{
	w->b[w->n++] = w->big ? 0 : 1;
	wkb_u32(w, type);
}

/* a ring or line of n points from xy */
static void
wkb_points(TestWkb *w, const double *xy, uint32_t n)
{
	wkb_u32(w, n);
	for (uint32_t i = 0; i < 2 * n; i++)
		wkb_f64(w, xy[i]);
}

static int
test_reaches(const TestWkb *w, double x0, double y0, double x1, double y1)
{
	Shape		s;
	Box			b = {x0, y0, x1, y1};
	int			r;

	if (shape_from_wkb(w->b, w->n, &s) != 0)
		return -1;
	r = shape_reaches(&s, &b);
	shape_free(&s);
	return r;
}

static void
test_shapes(void)
{
	TestWkb		w = {{0}, 0, 0};
	Shape		s;
	const double square[] = {0, 0, 10, 0, 10, 10, 0, 10, 0, 0};
	const double hole[] = {3, 3, 7, 3, 7, 7, 3, 7, 3, 3};
	const double line[] = {0, 0, 10, 10};

	wkb_head(&w, 1);
	wkb_f64(&w, 101.5);
	wkb_f64(&w, 26.5);
	CHECK(shape_from_wkb(w.b, w.n, &s) == 0 && s.nparts == 1 && s.parts[0].kind == SHAPE_POINTS && s.box.xmin == 101.5 &&
		  s.box.ymax == 26.5, "WKB point: one part, its box");
	shape_free(&s);
	CHECK(test_reaches(&w, 101, 26, 102, 27) == 1 && test_reaches(&w, 101.6, 26, 102, 27) == 0 &&
		  test_reaches(&w, 101.5, 26.5, 102, 27) == 1, "a point reaches the boxes it is in (edges count)");

	w.n = 0;
	wkb_head(&w, 2);
	wkb_points(&w, line, 2);
	CHECK(test_reaches(&w, 4, 4, 6, 6) == 1, "a line crossing a box with no vertex in it reaches it");
	CHECK(test_reaches(&w, 6, 0, 7, 1) == 0 && test_reaches(&w, 0, 5, 4, 9) == 0, "a line beside a box within its bounds does not");
	CHECK(test_reaches(&w, 5, 5, 9, 5) == 1, "a line touching a box's corner reaches it");

	w.n = 0;
	wkb_head(&w, 3);
	wkb_u32(&w, 1);
	wkb_points(&w, square, 5);
	CHECK(test_reaches(&w, 4, 4, 5, 5) == 1, "a box inside a polygon, no edge near: reached");
	CHECK(test_reaches(&w, 11, 4, 12, 5) == 0, "a box beside a polygon: not reached");
	w.n = 0;
	wkb_head(&w, 3);
	wkb_u32(&w, 2);
	wkb_points(&w, square, 5);
	wkb_points(&w, hole, 5);
	CHECK(test_reaches(&w, 4, 4, 5, 5) == 0, "a box inside a polygon's hole: not reached");
	CHECK(test_reaches(&w, 1, 1, 2, 2) == 1 && test_reaches(&w, 2, 4, 8, 5) == 1,
		  "a box between the rings, or across the hole: reached");

	/* big-endian MULTIPOLYGON of two squares, ISO Z POINT, extended WKB with an SRID, an empty point */
	w.n = 0;
	w.big = 1;
	wkb_head(&w, 6);
	wkb_u32(&w, 2);
	for (int k = 0; k < 2; k++)
	{
		double		sq[10];

		for (int i = 0; i < 10; i++)
			sq[i] = square[i] + (i % 2 == 0 ? 20 * k : 0);
		wkb_head(&w, 3);
		wkb_u32(&w, 1);
		wkb_points(&w, sq, 5);
	}
	CHECK(test_reaches(&w, 24, 4, 25, 5) == 1 && test_reaches(&w, 14, 4, 15, 5) == 0,
		  "big-endian multipolygon: inside the second square, not between the two");
	w.n = 0;
	w.big = 0;
	wkb_head(&w, 1001);
	wkb_f64(&w, 1);
	wkb_f64(&w, 2);
	wkb_f64(&w, 300);
	CHECK(test_reaches(&w, 0, 0, 3, 3) == 1, "ISO WKB POINT Z: x and y read, z skipped");
	w.n = 0;
	wkb_head(&w, 0x20000001);
	wkb_u32(&w, 4490);
	wkb_f64(&w, 1);
	wkb_f64(&w, 2);
	CHECK(test_reaches(&w, 0, 0, 3, 3) == 1, "extended WKB with an SRID");
	w.n = 0;
	wkb_head(&w, 1);
	wkb_f64(&w, NAN);
	wkb_f64(&w, NAN);
	CHECK(shape_from_wkb(w.b, w.n, &s) == 0 && s.nparts == 0 && test_reaches(&w, -1e9, -1e9, 1e9, 1e9) == 0,
		  "an empty point: nothing reaches anything");
	shape_free(&s);
	CHECK(shape_from_wkb(w.b, w.n - 1, &s) == -1, "truncated WKB is refused");
	w.n = 0;
	wkb_head(&w, 8);
	wkb_points(&w, line, 2);
	CHECK(shape_from_wkb(w.b, w.n, &s) == -1, "a curve (CIRCULARSTRING) is refused: its box stands for it");
	w.n = 0;
	wkb_head(&w, 2);
	wkb_u32(&w, 1000000);
	CHECK(shape_from_wkb(w.b, w.n, &s) == -1, "a count beyond the bytes is refused");
	{
		/* collections nested 40 deep */
		w.n = 0;
		for (int i = 0; i < 40; i++)
		{
			wkb_head(&w, 7);
			wkb_u32(&w, 1);
		}
		wkb_head(&w, 1);
		wkb_f64(&w, 1);
		wkb_f64(&w, 1);
		CHECK(shape_from_wkb(w.b, w.n, &s) == -1, "collections nested 40 deep are refused");
	}
	{
		/* a multipoint of 60 points: not a nesting */
		w.n = 0;
		wkb_head(&w, 4);
		wkb_u32(&w, 60);
		for (int i = 0; i < 60; i++)
		{
			wkb_head(&w, 1);
			wkb_f64(&w, i);
			wkb_f64(&w, i);
		}
		CHECK(shape_from_wkb(w.b, w.n, &s) == 0 && s.nparts == 60 && s.box.xmax == 59, "a multipoint of 60 points");
		shape_free(&s);
	}
}

int
main(void)
{
	test_routes();
	test_json_check();
	test_json_string();
	test_conf();
	test_conf_replicas();
	test_lsn();
	test_tilemath();
	test_tile_ranges();
	test_pmtiles_ids();
	test_pmtiles_varints();
	test_pmtiles_directories();
	test_pmtiles_header();
	test_pmtiles_writer();
	test_shapes();
	test_cache();
	test_cache_index();
	test_cache_index_lru();
	test_sprite_arrow();
	test_sprite_symbols();
	test_sprite_icons();
	test_style_lines();
	test_style_points_ponds();
	test_style_gw_states();
	test_style_basemaps();
	printf("1..%d\n", ntests);
	return nfailed ? 1 : 0;
}
