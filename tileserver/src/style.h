/*
 * style.h - documents generated from the element catalog: TileJSON, the
 * MapLibre style (the unified symbology), the catalog JSON.  The sprite is sprite.h.
 */
#ifndef TAILINGS_STYLE_H
#define TAILINGS_STYLE_H

#include <event2/buffer.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "tilemath.h"

/* what TileJSON and an exported archive's metadata say of the tiles */
#define STYLE_TILES_DESCRIPTION "尾矿库环境监管要素一张图 environmental supervision elements of tailings ponds"
#define STYLE_TILES_ATTRIBUTION "Tailings One-Map"

/* TileJSON 3.0.0 of the layers; base_url like "http://host:port" */
void		style_tilejson(struct evbuffer *out, const char *base_url, unsigned layers, const Box *bounds);
/* TileJSON's vector_layers of the layers, a JSON array: the TileJSON's and a PMTiles archive's metadata */
void		style_vector_layers(struct evbuffer *out, unsigned layers);
/* MapLibre style v8 over /tiles/all.json, with the configured base maps under it */
void		style_maplibre(struct evbuffer *out, const char *base_url, const ConfBasemap *basemaps, int nbasemaps);

/* how a kind's lines are drawn (see style.c); one row per kind that takes lines */
typedef struct StyleLine
{
	int			kind;			/* TL_KIND_ID_* */
	double		width;			/* px */
	const char *dash;			/* line-dasharray as JSON, NULL: solid */
	double		casing;			/* width of a dark casing under it, 0: none */
	const char *casing_colour;
	double		centre;			/* width of a white centre line (open channels), 0: none */
	const char *legend_en;		/* the symbol in words */
} StyleLine;

/* the row of a kind, NULL when it has none */
const StyleLine *style_line(int kind_id);
int			style_line_count(void);
/* the catalog as JSON: categories (code, labels, colour) with their kinds (code, labels, geometry) */
void		style_catalog_json(struct evbuffer *out);
/* s as a JSON string, quoted and escaped */
void		style_json_string(struct evbuffer *out, const char *s);

#endif
