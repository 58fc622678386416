/*
 * route.h - what a request path asks for.
 */
#ifndef TAILINGS_ROUTE_H
#define TAILINGS_ROUTE_H

typedef enum RouteKind
{
	ROUTE_NOT_FOUND,
	ROUTE_BAD,					/* malformed: 400 */
	ROUTE_TILE,
	ROUTE_TILEJSON,
	ROUTE_STYLE,
	ROUTE_SPRITE,				/* /sprite.json, /sprite.png, @2x */
	ROUTE_GLYPHS,				/* /fonts/{stack}/{range}.pbf */
	ROUTE_PONDS,
	ROUTE_POND,
	ROUTE_POND_COMPLETENESS,
	ROUTE_HEALTH,
	ROUTE_METRICS,
	ROUTE_EVENTS,				/* /events: the change stream */
	ROUTE_CATALOG,				/* /api/catalog */
	ROUTE_HISTORY,				/* /api/history: where history starts */
	ROUTE_COMPARE,				/* /api/compare?from=&to=[&pond=]: what changed between two moments */
	ROUTE_STATIC
} RouteKind;

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
	long long	pond_id;		/* 0 for ROUTE_COMPARE without ?pond= */
	char		at[48];			/* ISO 8601 time of ?at= (of ?to= for ROUTE_COMPARE), or "" */
	char		from[48];		/* ROUTE_COMPARE: ISO 8601 time of ?from= */
	char		lang[3];		/* ?lang= of the pond API: "zh", "en" or "" */
	int			sprite_png;		/* ROUTE_SPRITE: png (else json) */
	int			sprite_2x;
	char		layer_error[64];
} Route;

/*
 * Parse a decoded path (no query string) and the query string (or NULL).
 * Never fails: unknown paths are ROUTE_NOT_FOUND, malformed ones ROUTE_BAD.
 */
void		route_parse(const char *path, const char *query, Route *r);

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
