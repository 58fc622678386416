/*
 * route.h - what a request path asks for.
 */
#ifndef TAILINGS_ROUTE_H
#define TAILINGS_ROUTE_H

#include <stddef.h>

/* the methods of a route (bits) */
#define ROUTE_GET 0x1u
#define ROUTE_HEAD 0x2u
#define ROUTE_POST 0x4u
#define ROUTE_PUT 0x8u
#define ROUTE_DELETE 0x10u
#define ROUTE_PATCH 0x20u
#define ROUTE_READ (ROUTE_GET | ROUTE_HEAD)

/* who a route's statements run as (the route table's access column) */
#define ROUTE_PUBLIC 0			/* none: files, the style, the catalog, health, metrics */
#define ROUTE_AS_ROLE 1			/* the request's role (auth.c), read only */
#define ROUTE_WRITE 2			/* the request's role, read write: the write API (not with --auth none) */

/*
 * THE route table: one row per endpoint, tried in this order.
 *
 *   X(KIND, metric name, path pattern, matcher, methods, access, handler)
 *
 * The pattern's text up to its first '{' or '[' is literal.  A pattern with no
 * parameter is matched whole, and its matcher (if not NULL) reads the query
 * string.  Else the path must start with the literal text and the matcher
 * reads the rest (route.c).  Rows whose literal text ends in '/' are a family:
 * a path under it that none of them takes is 404, not a static file.
 *
 * Rows of one pattern (together) are one path's methods: the path is
 * parsed by the first, and a request goes to the row that takes its method
 * (server.c; 405 naming them all when none does).
 *
 * route.c uses the patterns and matchers; server.c the methods, the access
 * (a route run as a role first learns who the request is for: auth.c) and
 * handlers (void handler(Req *, const Route *), declared in the module
 * headers) and the metric names (the endpoint label of
 * tailings_http_requests_total).  Adding an endpoint: a row here and its
 * handler (and a matcher in route.c when its path has parameters).
 *
 * One path with several methods of different access (a GET that reads, a
 * POST that writes) is several rows of the same pattern and matcher, next to
 * each other: the path matches the first; server.c then takes the row of the
 * request's method (405 with every row's methods when none takes it).
 */
#define ROUTE_TABLE(X) \
	X(TILEJSON, "tilejson", "/tiles/{layers}.json", route_match_tilejson, ROUTE_READ, ROUTE_AS_ROLE, api_tilejson) \
	X(TILE, "tile", "/tiles/{layers}/{z}/{x}/{y}.mvt", route_match_tile, ROUTE_READ, ROUTE_AS_ROLE, tiles_handle) \
	X(STYLE, "style", "/style.json", NULL, ROUTE_READ, ROUTE_PUBLIC, api_style) \
	X(SPRITE, "sprite", "/sprite[@2x].{json|png}", route_match_sprite, ROUTE_READ, ROUTE_PUBLIC, files_sprite) \
	X(GLYPHS, "glyphs", "/fonts/{fontstack}/{start}-{end}.pbf", route_match_glyphs, ROUTE_READ, ROUTE_PUBLIC, files_glyphs) \
	X(CATALOG, "catalog", "/api/catalog", NULL, ROUTE_READ, ROUTE_PUBLIC, api_catalog) \
	X(HISTORY, "history", "/api/history", NULL, ROUTE_READ, ROUTE_AS_ROLE, api_history) \
	X(COMPARE, "compare", "/api/compare", route_match_compare, ROUTE_READ, ROUTE_AS_ROLE, api_compare) \
	X(EVENTS, "events", "/events", NULL, ROUTE_READ, ROUTE_AS_ROLE, live_events) \
	X(WHOAMI, "whoami", "/api/whoami", NULL, ROUTE_READ, ROUTE_AS_ROLE, api_whoami) \
	X(SUBMISSIONS, "submissions", "/api/submissions", route_match_submissions, ROUTE_READ, ROUTE_AS_ROLE, submissions_list) \
	X(SUBMISSION, "submission", "/api/submissions/{id}", route_match_submission, ROUTE_READ, ROUTE_AS_ROLE, submissions_show) \
	X(SUBMISSION_STEP, "submission_step", "/api/submissions/{id}/{step}", route_match_submission_step, ROUTE_POST, ROUTE_WRITE, submissions_step) \
	X(PONDS, "ponds", "/api/ponds[/]", route_match_ponds, ROUTE_READ, ROUTE_AS_ROLE, api_ponds) \
	X(POND, "pond", "/api/ponds/{id}", route_match_pond, ROUTE_READ, ROUTE_AS_ROLE, api_pond) \
	X(POND_COMPLETENESS, "completeness", "/api/ponds/{id}/completeness", route_match_pond, ROUTE_READ, ROUTE_AS_ROLE, api_completeness) \
	X(POND_GEOJSON, "geojson", "/api/ponds/{id}/geojson", route_match_pond_geojson, ROUTE_READ, ROUTE_AS_ROLE, api_geojson) \
	X(POND_SUBMISSIONS, "pond_submissions", "/api/ponds/{id}/submissions", route_match_pond, ROUTE_POST, ROUTE_WRITE, submissions_create) \
	X(POND_CHECKLIST, "checklist", "/api/ponds/{id}/checklist", route_match_pond, ROUTE_READ, ROUTE_AS_ROLE, inspections_checklist) \
	X(POND_INSPECTIONS, "pond_inspections", "/api/ponds/{id}/inspections", route_match_pond, ROUTE_READ, ROUTE_AS_ROLE, inspections_list) \
	X(POND_INSPECTIONS_NEW, "inspection_create", "/api/ponds/{id}/inspections", route_match_pond, ROUTE_POST, ROUTE_WRITE, inspections_create) \
	X(POND_SAMPLES, "samples", "/api/ponds/{id}/samples", route_match_pond_samples, ROUTE_READ, ROUTE_AS_ROLE, monitoring_samples) \
	X(POND_SAMPLES_NEW, "sample_create", "/api/ponds/{id}/samples", route_match_pond_samples, ROUTE_POST, ROUTE_WRITE, monitoring_sample_create) \
	X(POND_MONITORING, "monitoring", "/api/ponds/{id}/monitoring", route_match_pond, ROUTE_READ, ROUTE_AS_ROLE, monitoring_assessment) \
	X(POND_FILE, "pond_file", "/api/ponds/{id}/file", route_match_pond, ROUTE_READ, ROUTE_AS_ROLE, pondfile_show) \
	X(POND_HAZARDS, "pond_hazards", "/api/ponds/{id}/hazards", route_match_pond, ROUTE_READ, ROUTE_AS_ROLE, hazards_of_pond) \
	X(POND_HAZARD_NEW, "pond_hazard_new", "/api/ponds/{id}/hazards", route_match_pond, ROUTE_POST, ROUTE_WRITE, hazards_create) \
	X(POND_LEDGER, "pond_ledger", "/api/ponds/{id}/ledger", route_match_pond, ROUTE_READ, ROUTE_AS_ROLE, pondfile_ledger) \
	X(POND_LEDGER_YEAR, "ledger_year", "/api/ponds/{id}/ledger/{year}", route_match_ledger, ROUTE_READ, ROUTE_AS_ROLE, pondfile_ledger_year) \
	X(POND_LEDGER_PUT, "ledger_put", "/api/ponds/{id}/ledger/{year}", route_match_ledger, ROUTE_PUT, ROUTE_WRITE, pondfile_ledger_put) \
	X(POND_DOCUMENTS, "pond_documents", "/api/ponds/{id}/documents", route_match_pond, ROUTE_READ, ROUTE_AS_ROLE, pondfile_documents) \
	X(POND_DOCUMENT_NEW, "pond_document_new", "/api/ponds/{id}/documents", route_match_pond, ROUTE_POST, ROUTE_WRITE, pondfile_document_create) \
	X(INSPECTION, "inspection", "/api/inspections/{id}", route_match_inspection, ROUTE_READ, ROUTE_AS_ROLE, inspections_show) \
	X(INSPECTION_EDIT, "inspection_edit", "/api/inspections/{id}", route_match_inspection, ROUTE_PATCH, ROUTE_WRITE, inspections_edit) \
	X(VISIT, "visit", "/api/inspections/{id}/visits/{element_id}", route_match_visit, ROUTE_PUT, ROUTE_WRITE, inspections_visit) \
	X(HAZARDS, "hazards", "/api/hazards", route_match_board, ROUTE_READ, ROUTE_AS_ROLE, hazards_board) \
	X(HAZARD, "hazard", "/api/hazards/{id}", route_match_hazard, ROUTE_READ, ROUTE_AS_ROLE, hazards_show) \
	X(HAZARD_PATCH, "hazard_patch", "/api/hazards/{id}", route_match_hazard, ROUTE_PATCH, ROUTE_WRITE, hazards_patch) \
	X(HAZARD_CHECKS, "hazard_checks", "/api/hazards/{id}/checks", route_match_hazard, ROUTE_READ, ROUTE_AS_ROLE, hazards_checks) \
	X(HAZARD_CHECK_NEW, "hazard_check_new", "/api/hazards/{id}/checks", route_match_hazard, ROUTE_POST, ROUTE_WRITE, hazards_check_create) \
	X(HAZARD_CHECK, "hazard_check", "/api/hazards/{id}/checks/{cid}", route_match_hazard_check, ROUTE_READ, ROUTE_AS_ROLE, hazards_check_show) \
	X(DOCUMENT, "document", "/api/documents/{id}", route_match_document, ROUTE_READ, ROUTE_AS_ROLE, pondfile_document) \
	X(DOCUMENT_PATCH, "document_patch", "/api/documents/{id}", route_match_document, ROUTE_PATCH, ROUTE_WRITE, pondfile_document_patch) \
	X(DOCUMENT_DELETE, "document_delete", "/api/documents/{id}", route_match_document, ROUTE_DELETE, ROUTE_WRITE, pondfile_document_delete) \
	X(SHEET, "sheet", "/sheet/{id}", route_match_sheet, ROUTE_READ, ROUTE_PUBLIC, files_sheet) \
	X(HEALTH, "health", "/health", NULL, ROUTE_READ, ROUTE_PUBLIC, metrics_health) \
	X(METRICS, "metrics", "/metrics", NULL, ROUTE_READ, ROUTE_PUBLIC, metrics_handle) \
	X(STATIC, "static", "/{file}", route_match_static, ROUTE_READ, ROUTE_PUBLIC, files_static)

typedef enum RouteKind
{
	ROUTE_NOT_FOUND,			/* 404; counted as endpoint "other", as is ROUTE_BAD */
	ROUTE_BAD,					/* malformed: 400 */
#define ROUTE_ENUM(kind, name, pattern, matcher, methods, access, handler) ROUTE_##kind,
	ROUTE_TABLE(ROUTE_ENUM)
#undef ROUTE_ENUM
	ROUTE_COUNT
} RouteKind;

/* the steps of a submission's review: POST /api/submissions/{id}/{step} */
#define ROUTE_STEPS(X) X(SUBMIT, "submit") X(WITHDRAW, "withdraw") X(APPROVE, "approve") X(REJECT, "reject")
enum
{
#define ROUTE_STEP_ENUM(k, name) ROUTE_STEP_##k,
	ROUTE_STEPS(ROUTE_STEP_ENUM)
#undef ROUTE_STEP_ENUM
	ROUTE_NSTEPS
};
/* the name of a step ("submit") */
const char *route_step_name(int step);

/* the formats of the hazard board (?format=) */
enum
{
	ROUTE_FORMAT_JSON,
	ROUTE_FORMAT_CSV,
	ROUTE_FORMAT_GEOJSON
};

/* the hazard board's filters: GET /api/hazards?status=&overdue=&county=&campaign=&severity=&pond=&format= */
typedef struct RouteBoard
{
	char		status[48];		/* a comma list of hazard statuses, or "" for any */
	int			overdue;		/* -1 either, 0 not overdue, 1 overdue */
	char		county[16];		/* a county code or its prefix (a city's, a province's), or "" */
	char		campaign[256];	/* a campaign's name (decoded, UTF-8), or "" */
	char		severity[8];	/* general or major, or "" */
	int			format;			/* ROUTE_FORMAT_* */
} RouteBoard;

/* bit 0: ponds; bit i: the category of catalog position i-1 */
#define LAYER_PONDS 1u

typedef struct Route
{
	RouteKind	kind;
	const char *error;			/* why ROUTE_BAD or ROUTE_NOT_FOUND */
	unsigned	layers;
	int			z;
	long		x,
				y;
	const char *path;			/* the path parsed (ROUTE_STATIC: the file) */
	long long	pond_id;		/* 0 for ROUTE_COMPARE without ?pond= */
	char		at[48];			/* ISO 8601 time of ?at= (of ?to= for ROUTE_COMPARE), or "" */
	char		from[48];		/* ROUTE_COMPARE: ISO 8601 time of ?from= */
	char		lang[3];		/* ?lang= of the JSON API and the sheet: "zh", "en" or "" */
	int			sprite_png;		/* ROUTE_SPRITE: png (else json) */
	int			sprite_2x;
	const char *glyph_stack;	/* ROUTE_GLYPHS: the fontstack, pointing into the path (not terminated) */
	size_t		glyph_stack_len;
	unsigned	glyph_start;	/* ROUTE_GLYPHS: the range's first code point, a multiple of 256 */
	long long	submission_id;	/* ROUTE_SUBMISSION, ROUTE_SUBMISSION_STEP */
	int			step;			/* ROUTE_SUBMISSION_STEP: a ROUTE_STEP_* */
	char		status[12];		/* ROUTE_SUBMISSIONS: ?status=, or "" */
	int			drawing;		/* ROUTE_POND_GEOJSON: ?for=drawing */
	/* inspections.c, monitoring.c */
	long long	inspection_id;	/* ROUTE_INSPECTION, ROUTE_INSPECTION_EDIT, ROUTE_VISIT */
	long long	element_id;		/* ROUTE_VISIT; ROUTE_POND_SAMPLES: ?element_id= (0: every well) */
	char		parameter[64];	/* ROUTE_POND_SAMPLES: ?parameter= (decoded), or "" */
	long long	hazard_id;		/* ROUTE_HAZARD* */
	long long	check_id;		/* ROUTE_HAZARD_CHECK */
	long long	document_id;	/* ROUTE_DOCUMENT* */
	int			year;			/* ROUTE_POND_LEDGER_YEAR, ROUTE_POND_LEDGER_PUT */
	RouteBoard	board;			/* ROUTE_HAZARDS (pond_id: ?pond=) */
	char		layer_error[64];
} Route;

/*
 * Parse a decoded path (no query string) and the query string (or NULL).
 * Never fails: unknown paths are ROUTE_NOT_FOUND, malformed ones ROUTE_BAD.
 * The route points into path (path, glyph_stack): path must outlive it.
 */
void		route_parse(const char *path, const char *query, Route *r);

/* the metric name of a route kind ("other" for ROUTE_NOT_FOUND and ROUTE_BAD) */
const char *route_name(RouteKind kind);
/* the pattern of a route kind, NULL for ROUTE_NOT_FOUND and ROUTE_BAD */
const char *route_pattern(RouteKind kind);

/* "all" or the comma list of layer names of a mask, in catalog order */
void		route_layers_name(unsigned layers, char *buf, unsigned len);
/* the mask of every layer */
unsigned	route_all_layers(void);
/* the PostgreSQL text[] literal of the layers of a mask, e.g. {ponds,site} */
void		route_layers_array(unsigned layers, char *buf, unsigned len);

/* 1 when s is an ISO 8601 date or date-time this server accepts for ?at= */
int			route_valid_time(const char *s);
/* a valid ?at= time to the second, in place (the fraction dropped; T before the time) */
void		route_normalise_time(char *s);

#endif
