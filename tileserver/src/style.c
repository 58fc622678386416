/*
 * style.c - TileJSON, the MapLibre style and the catalog JSON, all from the catalog
 * in include/tailings/catalog.h.
 *
 * The style works without anything from the internet unless base maps are
 * configured (--basemap): icons and arrows come from this server's sprite and
 * labels from its glyph endpoint.  Completeness is drawn in the bands of
 * tailings/symbology.h.  The style also converts cleanly with QGIS's MapLibre
 * style converter (tests/qgis): data-driven values are `match` with array
 * labels or filters, never `case` or `step` on a property.
 */
#include "style.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "route.h"
#include "tailings/catalog.h"
#include "tailings/contract.h"
#include "tailings/symbology.h"

static void
put_evbuffer(void *sink, const char *bytes, size_t len)
{
	evbuffer_add(sink, bytes, len);
}

void
style_json_string(struct evbuffer *out, const char *s)
{
	json_quote(s, put_evbuffer, out);
}

/*
 * The font of every label: the fontstack of the glyph ranges make builds (tileserver/Makefile,
 * FONT_FACE) and the glyph endpoint (/fonts/{fontstack}/{range}.pbf) serves.  The viewer has
 * MapLibre draw Chinese characters with the browser's fonts (localIdeographFontFamily), so it
 * fetches the Latin ranges only; clients without that (QGIS, the sheet) get the CJK ranges too.
 */
#define STYLE_FONT "Noto Sans CJK SC Regular"

/* the disc behind a point's icon, and its ring: thin grey = not ground-verified, thick dark = verified */
#define RING_RADIUS 11
#define RING_UNVERIFIED_COLOUR "#adb5bd"
#define RING_UNVERIFIED_WIDTH 1
#define RING_VERIFIED_COLOUR "#212529"
#define RING_VERIFIED_WIDTH 2.5
/* a pond whose completeness is unknown (a past moment) */
#define POND_NEUTRAL_COLOUR "#495057"
/* element labels from this zoom */
#define LABEL_MINZOOM 15
/* the pond's groundwater flow arrow from this zoom */
#define GW_FLOW_MINZOOM 11

/*
 * The line symbology, one row per kind that takes lines (a unit test checks
 * that the table and the catalog agree).  The grammar, explained in the legend:
 *   pipe            solid, narrow
 *   tailings pipe   solid on a dark casing (a heavy slurry main)
 *   open ditch      wide, with a white centre line (a channel's two banks)
 *   tunnel          dashed: it runs underground
 *   river           solid, medium
 *   dam             thick, on a dark casing (a barrier)
 *   interception dam  segmented, on a dark casing (a barrier of the emergency response)
 * The colour is the category's.  Widths in pixels; dash lengths in line widths.
 */
static const StyleLine style_lines[] = {
	{TL_KIND_ID_dam, 5, NULL, 9, "#3d2b1a", 0, "barrier: thick, on a dark casing"},
	{TL_KIND_ID_leachate_pipe, 2.5, NULL, 0, NULL, 0, "pipe: solid, narrow"},
	{TL_KIND_ID_leachate_ditch, 5, NULL, 0, NULL, 1.5, "open ditch: wide, white centre line"},
	{TL_KIND_ID_interception_ditch, 5, NULL, 0, NULL, 1.5, "open ditch: wide, white centre line"},
	{TL_KIND_ID_flood_tunnel, 3, "[2,1.5]", 0, NULL, 0, "tunnel (underground): dashed"},
	{TL_KIND_ID_return_pipe, 2.5, NULL, 0, NULL, 0, "pipe: solid, narrow"},
	{TL_KIND_ID_tailings_pipe, 3, NULL, 5.5, "#1b4d2a", 0, "slurry pipe: solid, on a dark casing"},
	{TL_KIND_ID_interception_dam, 4, "[2,0.6]", 8, "#7d1a1a", 0, "barrier: segmented, on a dark casing"},
	{TL_KIND_ID_surface_water, 3.5, NULL, 0, NULL, 0, "river: solid"},
};

const StyleLine *
style_line(int kind_id)
{
	for (size_t i = 0; i < sizeof style_lines / sizeof style_lines[0]; i++)
		if (style_lines[i].kind == kind_id)
			return &style_lines[i];
	return NULL;
}

int
style_line_count(void)
{
	return (int) (sizeof style_lines / sizeof style_lines[0]);
}

/* the bands of symbology.h, best first */
static const TlBand *
band(int i)
{
	return &tl_bands()[i];
}

/* {"field":"Type",...}: the ponds layer's fields or an element layer's, the groundwater layer's more (contract.h) */
static void
tilejson_fields(struct evbuffer *out, const char *id, int ponds)
{
	const char *sep = "{";

#define TL_FIELD_JSON_(name, type, meaning) \
	evbuffer_add_printf(out, "%s\"" #name "\":\"" type "\"", sep); \
	sep = ",";
	if (ponds)
	{
		TL_PONDS_FIELDS(TL_FIELD_JSON_)
	}
	else
	{
		TL_ELEMENT_FIELDS(TL_FIELD_JSON_)
		if (strcmp(id, TL_GROUNDWATER_LAYER) == 0)
		{
			TL_GROUNDWATER_FIELDS(TL_FIELD_JSON_)
		}
	}
#undef TL_FIELD_JSON_
	evbuffer_add_printf(out, "}");
}

/* one vector_layers entry: id, the description d holds, zooms, fields */
static void
tilejson_layer(struct evbuffer *out, const char *id, struct evbuffer *d, char sep, int ponds)
{
	size_t		dlen;

	evbuffer_add(d, "", 1);
	dlen = evbuffer_get_length(d);
	if (sep)
		evbuffer_add(out, &sep, 1);
	evbuffer_add_printf(out, "{\"id\":\"%s\",\"description\":", id);
	style_json_string(out, (const char *) evbuffer_pullup(d, (ssize_t) dlen));
	evbuffer_add_printf(out, ",\"minzoom\":%d,\"maxzoom\":%d,\"fields\":",
						ponds ? 0 : TL_ELEMENT_MINZOOM, TL_TILE_MAXZOOM);
	tilejson_fields(out, id, ponds);
	evbuffer_add_printf(out, "}");
}

void
style_tilejson(struct evbuffer *out, const char *base_url, unsigned layers, const Box *bounds)
{
	char		name[256];

	route_layers_name(layers, name, sizeof name);
	evbuffer_add_printf(out, "{\"tilejson\":\"3.0.0\",\"name\":\"Tailings One-Map: %s\","
						"\"description\":\"" STYLE_TILES_DESCRIPTION "\","
						"\"attribution\":\"" STYLE_TILES_ATTRIBUTION "\",\"scheme\":\"xyz\","
						"\"tiles\":[\"%s/tiles/%s/{z}/{x}/{y}.mvt\"],\"minzoom\":0,\"maxzoom\":%d,",
						name, base_url, name, TL_TILE_MAXZOOM);
	if (bounds)
		evbuffer_add_printf(out, "\"bounds\":[%.6f,%.6f,%.6f,%.6f],\"center\":[%.6f,%.6f,%d],",
							bounds->xmin, bounds->ymin, bounds->xmax, bounds->ymax,
							(bounds->xmin + bounds->xmax) / 2, (bounds->ymin + bounds->ymax) / 2, 9);
	evbuffer_add_printf(out, "\"vector_layers\":");
	style_vector_layers(out, layers);
	evbuffer_add_printf(out, "}");
}

void
style_vector_layers(struct evbuffer *out, unsigned layers)
{
	int			first = 1;

	/* fields: contract.h's, typed "Number", "String" or "Boolean" (what GDAL and QGIS type fields by); words in description */
	evbuffer_add_printf(out, "[");
	if (layers & LAYER_PONDS)
	{
		struct evbuffer *d = evbuffer_new();

		if (d != NULL)
		{
			evbuffer_add_printf(d, "尾矿库 tailings ponds. Below zoom %d each pond is its registry point (anchor false); "
								"from zoom %d a pond with a drawn boundary is that polygon and its registry point with "
								"anchor true, a pond without one its registry point.",
								TL_ELEMENT_MINZOOM, TL_ELEMENT_MINZOOM);
#define TL_FIELD_DESCRIBE_(name, type, meaning) evbuffer_add_printf(d, " " #name ": " meaning ";");
			TL_PONDS_FIELDS(TL_FIELD_DESCRIBE_)
			tilejson_layer(out, TL_PONDS_LAYER, d, 0, 1);
			evbuffer_free(d);
			first = 0;
		}
	}
	for (int i = 0; i < TL_N_CATEGORIES; i++)
	{
		const TlCategory *c = &tl_categories()[i];
		struct evbuffer *d;

		if (!(layers & (1u << (i + 1))))
			continue;
		d = evbuffer_new();
		if (d == NULL)
			continue;
		evbuffer_add_printf(d, "%s %s. Feature id: the element's id.", c->label_zh, c->label_en);
		TL_ELEMENT_FIELDS(TL_FIELD_DESCRIBE_)
		if (strcmp(c->code, TL_GROUNDWATER_LAYER) == 0)
		{
			TL_GROUNDWATER_FIELDS(TL_FIELD_DESCRIBE_)
		}
		evbuffer_add_printf(d, " kinds here:");
		for (int k = 0, k1 = 1; k < TL_N_KINDS; k++)
			if (tl_kinds()[k].category == c->id)
			{
				evbuffer_add_printf(d, "%s %s", k1 ? "" : ",", tl_kinds()[k].code);
				k1 = 0;
			}
		tilejson_layer(out, c->code, d, first ? 0 : ',', 0);
		evbuffer_free(d);
		first = 0;
	}
#undef TL_FIELD_DESCRIBE_
	evbuffer_add_printf(out, "]");
}

/* ,{"id":"…","type":"…","source":"tailings","source-layer":"…","minzoom":N */
static void
layer_head(struct evbuffer *out, const char *id, const char *type, const char *source_layer, int minzoom)
{
	evbuffer_add_printf(out, ",{\"id\":\"%s\",\"type\":\"%s\",\"source\":\"tailings\",\"source-layer\":\"%s\","
						"\"minzoom\":%d", id, type, source_layer, minzoom);
}

/* a style layer of one kind, up to its filter: "{code}-{suffix}", of one geometry type, maybe only verified */
static void
kind_layer(struct evbuffer *out, const TlKind *kind, const TlCategory *cat, const char *suffix,
		   const char *type, const char *geometry_type, int minzoom, int verified_only)
{
	char		id[96];

	snprintf(id, sizeof id, "%s-%s", kind->code, suffix);
	layer_head(out, id, type, cat->code, minzoom);
	evbuffer_add_printf(out, ",\"filter\":[\"all\",[\"==\",[\"get\",\"kind\"],\"%s\"],"
						"[\"==\",[\"geometry-type\"],\"%s\"]%s]", kind->code, geometry_type,
						verified_only ? ",[\"==\",[\"get\",\"verified\"],true]" : "");
}

/* the layer's kind and labels, for legends, and the layer's end */
static void
kind_metadata(struct evbuffer *out, const TlKind *kind)
{
	evbuffer_add_printf(out, ",\"metadata\":{\"tailings:kind\":\"%s\",\"tailings:label\":", kind->code);
	style_json_string(out, kind->label_zh);
	evbuffer_add_printf(out, ",\"tailings:label_en\":");
	style_json_string(out, kind->label_en);
	evbuffer_add_printf(out, "}}");
}

/* ["==",["geometry-type"],"Point"],["!=",["get","anchor"],true]: a pond drawn as its point */
#define POND_AS_POINT "[\"==\",[\"geometry-type\"],\"Point\"],[\"!=\",[\"get\",\"anchor\"],true]"

/*
 * The filter terms of band i (its score from its floor up to the next better
 * band's floor), after "all": score present, >= floor, < the better floor.
 * Filters, not step or case expressions: QGIS's converter reads filters but not
 * data-driven step/case in paint properties.
 */
static void
band_filter(struct evbuffer *out, int i)
{
	evbuffer_add_printf(out, ",[\"has\",\"score\"],[\">=\",[\"get\",\"score\"],%g]", band(i)->floor);
	if (i > 0)
		evbuffer_add_printf(out, ",[\"<\",[\"get\",\"score\"],%g]", band(i - 1)->floor);
}

/* the status colours: ["match",["get","status"],["in_use"],"#…",…,fallback] (array labels: QGIS reads them) */
static void
status_match(struct evbuffer *out)
{
#define STATUS_MATCH_(code, colour, zh, en) evbuffer_add_printf(out, ",[\"%s\"],\"%s\"", #code, colour);
	evbuffer_add_printf(out, "[\"match\",[\"get\",\"status\"]");
	TL_STATUS_LIST(STATUS_MATCH_)
	evbuffer_add_printf(out, ",\"%s\"]", POND_NEUTRAL_COLOUR);
#undef STATUS_MATCH_
}

/* metadata: bands, statuses, the ring's meaning, base maps */
static void
style_metadata(struct evbuffer *out, const ConfBasemap *basemaps, int nbasemaps)
{
	evbuffer_add_printf(out, "\"metadata\":{\"tailings:element-minzoom\":%d,\"tailings:label-minzoom\":%d,"
						"\"tailings:font\":\"%s\",\"tailings:bands\":[", TL_ELEMENT_MINZOOM, LABEL_MINZOOM, STYLE_FONT);
	for (int i = 0; i < TL_N_BANDS; i++)
	{
		evbuffer_add_printf(out, "%s{\"code\":\"%s\",\"floor\":%g,\"colour\":\"%s\",\"icon\":\"pond-%s\",\"pattern\":",
							i ? "," : "", band(i)->code, band(i)->floor, band(i)->colour, band(i)->code);
		if (i == 0)
			evbuffer_add_printf(out, "null");
		else
			evbuffer_add_printf(out, "\"hatch-%s\"", band(i)->code);
		evbuffer_add_printf(out, ",\"label_zh\":");
		style_json_string(out, band(i)->label_zh);
		evbuffer_add_printf(out, ",\"label_en\":");
		style_json_string(out, band(i)->label_en);
		evbuffer_add_printf(out, "}");
	}
	evbuffer_add_printf(out, "],\"tailings:band-unknown\":{\"colour\":\"%s\",\"label_zh\":\"未评估(历史时刻)\","
						"\"label_en\":\"Not assessed (past moment)\"},\"tailings:statuses\":[", POND_NEUTRAL_COLOUR);
	{
		int			s1 = 1;

#define STATUS_META_(code, colour, zh, en) \
		evbuffer_add_printf(out, "%s{\"code\":\"%s\",\"colour\":\"%s\",\"label_zh\":\"%s\",\"label_en\":\"%s\"}", \
							s1 ? "" : ",", #code, colour, zh, en); \
		s1 = 0;
		TL_STATUS_LIST(STATUS_META_)
#undef STATUS_META_
	}
	evbuffer_add_printf(out, "],\"tailings:ring\":{\"radius\":%d,"
						"\"verified\":{\"colour\":\"%s\",\"width\":%g,\"label_zh\":\"已现场核实\",\"label_en\":\"Ground-verified\"},"
						"\"unverified\":{\"colour\":\"%s\",\"width\":%d,\"label_zh\":\"未现场核实\",\"label_en\":\"Not ground-verified\"}},"
						"\"tailings:gw_states\":[",
						RING_RADIUS, RING_VERIFIED_COLOUR, RING_VERIFIED_WIDTH, RING_UNVERIFIED_COLOUR, RING_UNVERIFIED_WIDTH);
	{
		int			g1 = 1;

#define GW_META_(code, colour, width, zh, en) \
		evbuffer_add_printf(out, "%s{\"code\":\"%s\",\"colour\":\"%s\",\"width\":%g,\"radius\":%d,\"layer\":\"%s-%s\"," \
							"\"label_zh\":\"%s\",\"label_en\":\"%s\"}", g1 ? "" : ",", #code, colour, (double) (width), \
							TL_GW_RING_RADIUS, TL_GROUNDWATER_LAYER, #code, zh, en); \
		g1 = 0;
		TL_GW_RING_LIST(GW_META_)
#undef GW_META_
	}
	evbuffer_add_printf(out, "],\"tailings:basemaps\":[");
	for (int i = 0; i < nbasemaps; i++)
	{
		const ConfBasemap *b = &basemaps[i];

		evbuffer_add_printf(out, "%s{\"id\":\"basemap-%d\",\"name\":", i ? "," : "", i);
		if (b->name)
			style_json_string(out, b->name);
		else
		{
			/* the first URL's host */
			const char *h = strstr(b->url, "://") + 3;
			char		host[128];

			snprintf(host, sizeof host, "%.*s", (int) strcspn(h, "/:|?"), h);
			style_json_string(out, host);
		}
		evbuffer_add_printf(out, ",\"type\":\"%s\",\"url\":", b->raster ? "raster" : "style");
		style_json_string(out, b->url);
		evbuffer_add_printf(out, ",\"attribution\":");
		if (b->attribution)
			style_json_string(out, b->attribution);
		else
			evbuffer_add_printf(out, "null");
		if (b->raster)
		{
			/* the style's layers of this base map: one per '|'-joined template, bottom to top */
			int			parts = 1;

			for (const char *p = b->url; *p; p++)
				parts += *p == '|';
			evbuffer_add_printf(out, ",\"layers\":[");
			for (int k = 0; k < parts; k++)
				evbuffer_add_printf(out, k ? ",\"basemap-%d-%d\"" : "\"basemap-%d\"", i, k);
			evbuffer_add_printf(out, "]");
		}
		evbuffer_add_printf(out, "}");
	}
	evbuffer_add_printf(out, "]}");
}

/* sources: the tiles and each raster base map, one source per '|'-joined template */
static void
style_sources(struct evbuffer *out, const char *base_url, const ConfBasemap *basemaps, int nbasemaps)
{
	evbuffer_add_printf(out, ",\"sources\":{\"tailings\":{\"type\":\"vector\",\"url\":\"%s/tiles/all.json\"}", base_url);
	for (int i = 0; i < nbasemaps; i++)
	{
		const char *part = basemaps[i].url;

		if (!basemaps[i].raster)
			continue;
		for (int k = 0; part; k++)
		{
			const char *bar = strchr(part, '|');
			int			n = bar ? (int) (bar - part) : (int) strlen(part);
			char		id[32];

			snprintf(id, sizeof id, k ? "basemap-%d-%d" : "basemap-%d", i, k);
			evbuffer_add_printf(out, ",\"%s\":{\"type\":\"raster\",\"tileSize\":256,\"maxzoom\":18,\"tiles\":[\"%.*s\"]",
								id, n, part);
			if (basemaps[i].attribution && k == 0)
			{
				evbuffer_add_printf(out, ",\"attribution\":");
				style_json_string(out, basemaps[i].attribution);
			}
			evbuffer_add_printf(out, "}");
			part = bar ? bar + 1 : NULL;
		}
	}
	evbuffer_add_printf(out, "}");
}

/* the raster base maps' layers, right above the background: the first visible, the others not */
static void
style_basemap_layers(struct evbuffer *out, const ConfBasemap *basemaps, int nbasemaps)
{
	int			shown = 0;

	for (int i = 0; i < nbasemaps; i++)
	{
		int			parts = 1;

		if (!basemaps[i].raster)
			continue;
		for (const char *p = basemaps[i].url; *p; p++)
			parts += *p == '|';
		for (int k = 0; k < parts; k++)
		{
			char		id[32];

			snprintf(id, sizeof id, k ? "basemap-%d-%d" : "basemap-%d", i, k);
			evbuffer_add_printf(out, ",{\"id\":\"%s\",\"type\":\"raster\",\"source\":\"%s\","
								"\"layout\":{\"visibility\":\"%s\"},\"metadata\":{\"tailings:basemap\":\"basemap-%d\"}}",
								id, id, shown ? "none" : "visible", i);
		}
		shown = 1;
	}
}

/* ponds: fill by status, hatching and outline by completeness band, icons where a pond is a point */
static void
style_ponds(struct evbuffer *out)
{
	char		id[64];

	layer_head(out, "ponds-fill", "fill", TL_PONDS_LAYER, 0);
	evbuffer_add_printf(out, ",\"filter\":[\"==\",[\"geometry-type\"],\"Polygon\"],\"paint\":{\"fill-color\":");
	status_match(out);
	evbuffer_add_printf(out, ",\"fill-opacity\":0.3},\"metadata\":{\"tailings:legend\":\"status\"}}");
	/* hatching of the incomplete bands (the complete band has none) */
	for (int i = 1; i < TL_N_BANDS; i++)
	{
		snprintf(id, sizeof id, "ponds-hatch-%s", band(i)->code);
		layer_head(out, id, "fill", TL_PONDS_LAYER, 0);
		evbuffer_add_printf(out, ",\"filter\":[\"all\",[\"==\",[\"geometry-type\"],\"Polygon\"]");
		band_filter(out, i);
		evbuffer_add_printf(out, "],\"paint\":{\"fill-pattern\":\"hatch-%s\"},\"metadata\":{\"tailings:band\":\"%s\"}}",
							band(i)->code, band(i)->code);
	}
	/* the outline: a white casing under every pond (also what a click on any outline finds), then the band's colour */
	layer_head(out, "ponds-outline", "line", TL_PONDS_LAYER, 0);
	evbuffer_add_printf(out, ",\"filter\":[\"==\",[\"geometry-type\"],\"Polygon\"],"
						"\"paint\":{\"line-color\":\"#ffffff\",\"line-width\":5}}");
	for (int i = 0; i <= TL_N_BANDS; i++)
	{
		int			unknown = i == TL_N_BANDS;

		snprintf(id, sizeof id, "ponds-outline-%s", unknown ? "unknown" : band(i)->code);
		layer_head(out, id, "line", TL_PONDS_LAYER, 0);
		evbuffer_add_printf(out, ",\"filter\":[\"all\",[\"==\",[\"geometry-type\"],\"Polygon\"]");
		if (unknown)
			evbuffer_add_printf(out, ",[\"!\",[\"has\",\"score\"]]");
		else
			band_filter(out, i);
		evbuffer_add_printf(out, "],\"paint\":{\"line-color\":\"%s\",\"line-width\":2.5%s},"
							"\"metadata\":{\"tailings:band\":\"%s\"}}",
							unknown ? POND_NEUTRAL_COLOUR : band(i)->colour,
							unknown ? ",\"line-dasharray\":[2,1]" : "", unknown ? "unknown" : band(i)->code);
	}
	/* a pond as a point: a white disc ringed in its status colour, its band's icon on it */
	layer_head(out, "ponds-point", "circle", TL_PONDS_LAYER, 0);
	evbuffer_add_printf(out, ",\"filter\":[\"all\"," POND_AS_POINT "],\"paint\":{\"circle-radius\":%d,"
						"\"circle-color\":\"#ffffff\",\"circle-stroke-width\":2.5,\"circle-stroke-color\":\"%s\"}}",
						RING_RADIUS, POND_NEUTRAL_COLOUR);
#define STATUS_RING_(code, colour, zh, en)                                                                 \
	layer_head(out, "ponds-point-" #code, "circle", TL_PONDS_LAYER, 0);                                  \
	evbuffer_add_printf(out, ",\"filter\":[\"all\"," POND_AS_POINT ",[\"==\",[\"get\",\"status\"],\"%s\"]]," \
						"\"paint\":{\"circle-radius\":%d,\"circle-color\":\"#ffffff\","                  \
						"\"circle-stroke-width\":2.5,\"circle-stroke-color\":\"%s\"},"                     \
						"\"metadata\":{\"tailings:status\":\"%s\"}}", #code, RING_RADIUS, colour, #code);
	TL_STATUS_LIST(STATUS_RING_)
#undef STATUS_RING_
	for (int i = 0; i < TL_N_BANDS; i++)
	{
		snprintf(id, sizeof id, "ponds-icon-%s", band(i)->code);
		layer_head(out, id, "symbol", TL_PONDS_LAYER, 0);
		evbuffer_add_printf(out, ",\"filter\":[\"all\"," POND_AS_POINT);
		band_filter(out, i);
		evbuffer_add_printf(out, "],\"layout\":{\"icon-image\":\"pond-%s\",\"icon-allow-overlap\":true},"
							"\"metadata\":{\"tailings:band\":\"%s\"}}", band(i)->code, band(i)->code);
	}
}

/* the groundwater flow arrow at each pond's point, pointing the way the groundwater flows */
static void
style_gw_flow(struct evbuffer *out)
{
	layer_head(out, "ponds-gw-flow", "symbol", TL_PONDS_LAYER, GW_FLOW_MINZOOM);
	/* icon-offset is along the rotated icon: the arrow stands beside the point, downstream */
	evbuffer_add_printf(out, ",\"filter\":[\"all\",[\"==\",[\"geometry-type\"],\"Point\"],[\"has\",\"gw_flow_azimuth\"]],"
						"\"layout\":{\"icon-image\":\"gw-flow\",\"icon-rotate\":[\"get\",\"gw_flow_azimuth\"],"
						"\"icon-rotation-alignment\":\"map\",\"icon-offset\":[0,-24],"
						"\"icon-allow-overlap\":true,\"icon-ignore-placement\":true},"
						"\"metadata\":{\"tailings:label\":\"地下水流向\",\"tailings:label_en\":\"Groundwater flow direction\"}}");
}

/*
 * Each well's groundwater state (gw_state, contract.h): a ring outside its disc, under the
 * icons, from symbology.h; filters, not a match in the paint (QGIS reads filters).  The layers
 * are "groundwater-{state}", of the groundwater layer.
 */
static void
style_gw_states(struct evbuffer *out)
{
#define GW_RING_(code, colour, width, zh, en)                                                              \
	layer_head(out, TL_GROUNDWATER_LAYER "-" #code, "circle", TL_GROUNDWATER_LAYER, TL_ELEMENT_MINZOOM); \
	evbuffer_add_printf(out, ",\"filter\":[\"all\",[\"==\",[\"geometry-type\"],\"Point\"],"                   \
						"[\"==\",[\"get\",\"gw_state\"],\"%s\"]],\"paint\":{\"circle-radius\":%d,"                  \
						"\"circle-opacity\":0,\"circle-stroke-width\":%g,\"circle-stroke-color\":\"%s\"},"           \
						"\"metadata\":{\"tailings:gw_state\":\"%s\",\"tailings:label\":\"%s\",\"tailings:label_en\":\"%s\"}}", \
						#code, TL_GW_RING_RADIUS, (double) (width), colour, #code, zh, en);
	TL_GW_RING_LIST(GW_RING_)
#undef GW_RING_
}

/* the lines of a kind: casing, line (the layer the legend reads), white centre, arrows */
static void
style_kind_lines(struct evbuffer *out, const TlKind *kind, const TlCategory *cat)
{
	const StyleLine *ls = style_line(kind->id);

	if (ls == NULL)				/* the unit test keeps the table complete */
		return;
	if (ls->casing > 0)
	{
		kind_layer(out, kind, cat, "casing", "line", "LineString", TL_ELEMENT_MINZOOM, 0);
		evbuffer_add_printf(out, ",\"layout\":{\"line-cap\":\"butt\",\"line-join\":\"round\"},"
							"\"paint\":{\"line-color\":\"%s\",\"line-width\":%g}}", ls->casing_colour, ls->casing);
	}
	kind_layer(out, kind, cat, "line", "line", "LineString", TL_ELEMENT_MINZOOM, 0);
	evbuffer_add_printf(out, ",\"layout\":{\"line-cap\":\"%s\",\"line-join\":\"round\"},"
						"\"paint\":{\"line-color\":\"%s\",\"line-width\":%g",
						ls->dash ? "butt" : "round", cat->colour, ls->width);
	if (ls->dash)
		evbuffer_add_printf(out, ",\"line-dasharray\":%s", ls->dash);
	evbuffer_add_printf(out, "}");
	kind_metadata(out, kind);
	if (ls->centre > 0)
	{
		kind_layer(out, kind, cat, "centre", "line", "LineString", TL_ELEMENT_MINZOOM, 0);
		evbuffer_add_printf(out, ",\"layout\":{\"line-cap\":\"round\",\"line-join\":\"round\"},"
							"\"paint\":{\"line-color\":\"#ffffff\",\"line-width\":%g}}", ls->centre);
	}
	if (!kind->directed)
		return;
	/* the direction of flow: arrows along the line (the icon points along +x, the line's direction) */
	kind_layer(out, kind, cat, "arrows", "symbol", "LineString", TL_ELEMENT_MINZOOM, 0);
	evbuffer_add_printf(out, ",\"layout\":{\"symbol-placement\":\"line\","
						"\"symbol-spacing\":60,\"icon-image\":\"arrow\",\"icon-size\":0.7,\"icon-allow-overlap\":true,"
						"\"icon-ignore-placement\":true,\"icon-rotation-alignment\":\"map\"}}");
}

/* a kind's points: a white disc with the verification ring, the kind's icon on it */
static void
style_kind_points(struct evbuffer *out, const TlKind *kind, const TlCategory *cat)
{
	kind_layer(out, kind, cat, "ring", "circle", "Point", TL_ELEMENT_MINZOOM, 0);
	evbuffer_add_printf(out, ",\"paint\":{\"circle-radius\":%d,\"circle-color\":\"#ffffff\","
						"\"circle-stroke-width\":%d,\"circle-stroke-color\":\"%s\"}}",
						RING_RADIUS, RING_UNVERIFIED_WIDTH, RING_UNVERIFIED_COLOUR);
	/* a filter, not a case expression: QGIS reads filters, not data-driven circle paint */
	kind_layer(out, kind, cat, "ring-verified", "circle", "Point", TL_ELEMENT_MINZOOM, 1);
	evbuffer_add_printf(out, ",\"paint\":{\"circle-radius\":%d,\"circle-opacity\":0,"
						"\"circle-stroke-width\":%g,\"circle-stroke-color\":\"%s\"}}",
						RING_RADIUS, RING_VERIFIED_WIDTH, RING_VERIFIED_COLOUR);
	kind_layer(out, kind, cat, "point", "symbol", "Point", TL_ELEMENT_MINZOOM, 0);
	evbuffer_add_printf(out, ",\"layout\":{\"icon-image\":\"%s\",\"icon-allow-overlap\":true}", kind->code);
	kind_metadata(out, kind);
}

/* a kind's names from LABEL_MINZOOM: beside points, along lines, inside areas; collisions drop them */
static void
style_kind_labels(struct evbuffer *out, const TlKind *kind, const TlCategory *cat)
{
	static const struct
	{
		unsigned	geom;
		const char *type;
		const char *placement;
	}			fams[] = {
		{TL_GEOM_POINT, "Point",
			"\"text-variable-anchor\":[\"left\",\"right\",\"top\",\"bottom\"],\"text-radial-offset\":1.1,"
		"\"text-justify\":\"auto\",\"text-max-width\":8"},
		{TL_GEOM_LINE, "LineString", "\"symbol-placement\":\"line\",\"text-offset\":[0,0.9],\"symbol-spacing\":300"},
		{TL_GEOM_POLYGON, "Polygon", "\"text-max-width\":8"},
	};
	static const char *const suffix[] = {"label", "label-line", "label-area"};
	int			n = 0;

	for (size_t f = 0; f < sizeof fams / sizeof fams[0]; f++)
	{
		if (!(kind->geom & fams[f].geom))
			continue;
		/* the kind's first family is "{kind}-label" */
		kind_layer(out, kind, cat, n ? suffix[f] : "label", "symbol", fams[f].type, LABEL_MINZOOM, 0);
		evbuffer_add_printf(out, ",\"layout\":{\"text-field\":[\"get\",\"name\"],\"text-font\":[\"%s\"],"
							"\"text-size\":12,%s},\"paint\":{\"text-color\":\"%s\",\"text-halo-color\":\"#ffffff\","
							"\"text-halo-width\":1.5}}", STYLE_FONT, fams[f].placement, cat->colour);
		n++;
	}
}

void
style_maplibre(struct evbuffer *out, const char *base_url, const ConfBasemap *basemaps, int nbasemaps)
{
	evbuffer_add_printf(out, "{\"version\":8,\"name\":\"Tailings One-Map 尾矿库环境监管要素一张图\",");
	style_metadata(out, basemaps, nbasemaps);
	style_sources(out, base_url, basemaps, nbasemaps);
	evbuffer_add_printf(out, ",\"sprite\":\"%s/sprite\",\"glyphs\":\"%s/fonts/{fontstack}/{range}.pbf\","
						"\"layers\":[{\"id\":\"background\",\"type\":\"background\",\"paint\":{\"background-color\":\"#f4f1ea\"}}",
						base_url, base_url);
	style_basemap_layers(out, basemaps, nbasemaps);
	style_ponds(out);

	/* every kind in its category's colour: areas, then lines, then points, then the names */
	for (int pass = 0; pass < 4; pass++)
	{
		/* the wells' groundwater rings under every point */
		if (pass == 2)
			style_gw_states(out);
		for (int k = 0; k < TL_N_KINDS; k++)
		{
			const TlKind *kind = &tl_kinds()[k];
			const TlCategory *cat = tl_category_by_id(kind->category);

			if (pass == 0 && (kind->geom & TL_GEOM_POLYGON))
			{
				kind_layer(out, kind, cat, "fill", "fill", "Polygon", TL_ELEMENT_MINZOOM, 0);
				evbuffer_add_printf(out, ",\"paint\":{\"fill-color\":\"%s\",\"fill-opacity\":0.2,"
									"\"fill-outline-color\":\"%s\"}", cat->colour, cat->colour);
				kind_metadata(out, kind);
			}
			if (pass == 1 && (kind->geom & TL_GEOM_LINE))
				style_kind_lines(out, kind, cat);
			if (pass == 2 && (kind->geom & TL_GEOM_POINT))
				style_kind_points(out, kind, cat);
			if (pass == 3)
				style_kind_labels(out, kind, cat);
		}
	}
	style_gw_flow(out);

	/*
	 * Pond names, from the points only (a boundary cut by tiles would be named once per
	 * piece); the last layer, so placed first.  Wrapped and placed on any side of the point,
	 * so that every name of a city finds room.
	 */
	layer_head(out, "ponds-label", "symbol", TL_PONDS_LAYER, 8);
	evbuffer_add_printf(out, ",\"filter\":[\"==\",[\"geometry-type\"],\"Point\"],"
						"\"layout\":{\"text-field\":[\"get\",\"name\"],\"text-font\":[\"%s\"],\"text-size\":12,"
						"\"text-max-width\":6,\"text-line-height\":1.1,"
						"\"text-variable-anchor\":[\"top\",\"bottom\",\"left\",\"right\",\"top-left\",\"top-right\","
						"\"bottom-left\",\"bottom-right\"],\"text-radial-offset\":0.9,\"text-justify\":\"auto\","
						"\"text-padding\":0},"
						"\"paint\":{\"text-color\":\"#212529\",\"text-halo-color\":\"#ffffff\",\"text-halo-width\":1.5}}",
						STYLE_FONT);
	evbuffer_add_printf(out, "]}");
}

/* ,"label_zh":"…","label_en":"…" */
static void
json_labels(struct evbuffer *out, const char *zh, const char *en)
{
	evbuffer_add_printf(out, ",\"label_zh\":");
	style_json_string(out, zh);
	evbuffer_add_printf(out, ",\"label_en\":");
	style_json_string(out, en);
}

void
style_catalog_json(struct evbuffer *out)
{
	static const struct
	{
		unsigned	bit;
		const char *name;
	}			geoms[] = {{TL_GEOM_POINT, "point"}, {TL_GEOM_LINE, "line"}, {TL_GEOM_POLYGON, "polygon"}};

	evbuffer_add_printf(out, "{\"element_minzoom\":%d,\"categories\":[", TL_ELEMENT_MINZOOM);
	for (int i = 0; i < TL_N_CATEGORIES; i++)
	{
		const TlCategory *c = &tl_categories()[i];
		int			k1 = 1;

		evbuffer_add_printf(out, "%s{\"id\":%d,\"code\":\"%s\"", i ? "," : "", c->id, c->code);
		json_labels(out, c->label_zh, c->label_en);
		evbuffer_add_printf(out, ",\"colour\":\"%s\",\"kinds\":[", c->colour);
		for (int k = 0; k < TL_N_KINDS; k++)
		{
			const TlKind *kind = &tl_kinds()[k];
			int			g1 = 1;

			if (kind->category != c->id)
				continue;
			evbuffer_add_printf(out, "%s{\"id\":%d,\"code\":\"%s\"", k1 ? "" : ",", kind->id, kind->code);
			json_labels(out, kind->label_zh, kind->label_en);
			evbuffer_add_printf(out, ",\"geometry\":[");
			for (size_t g = 0; g < sizeof geoms / sizeof geoms[0]; g++)
				if (kind->geom & geoms[g].bit)
				{
					evbuffer_add_printf(out, "%s\"%s\"", g1 ? "" : ",", geoms[g].name);
					g1 = 0;
				}
			evbuffer_add_printf(out, "],\"directed\":%s}", kind->directed ? "true" : "false");
			k1 = 0;
		}
		evbuffer_add_printf(out, "]}");
	}
	evbuffer_add_printf(out, "]}");
}
