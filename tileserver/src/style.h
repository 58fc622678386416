/*
 * style.h - documents generated from the element catalog: TileJSON, the
 * MapLibre style (the unified symbology), the catalog JSON.  The sprite is sprite.h.
 */
#ifndef TAILINGS_STYLE_H
#define TAILINGS_STYLE_H

#include <event2/buffer.h>
#include <stddef.h>
#include <stdint.h>

#include "tilemath.h"

/* TileJSON 3.0.0 of the layers; base_url like "http://host:port" */
void		style_tilejson(struct evbuffer *out, const char *base_url, unsigned layers, const Box *bounds);
/* MapLibre style v8 over /tiles/all.json */
void		style_maplibre(struct evbuffer *out, const char *base_url);
/* the catalog as JSON: categories (code, labels, colour) with their kinds (code, labels, geometry) */
void		style_catalog_json(struct evbuffer *out);
/* s as a JSON string, quoted and escaped */
void		style_json_string(struct evbuffer *out, const char *s);

#endif
