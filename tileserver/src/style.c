/*
 * style.c - TileJSON, the MapLibre style and the catalog JSON, all from the catalog
 * in include/tailings/catalog.h.
 *
 * The style works without anything from the internet: no base map, the flow
 * arrows and point icons come from this server's own sprite (sprite.c), and labels use the
 * glyph endpoint of this server, which serves the glyph ranges make builds
 * from Noto Sans CJK SC (fontstack STYLE_FONTSTACK).
 */
#include "style.h"

/* the fontstack of the glyph ranges make builds (tileserver/Makefile, FONT_FACE) */
#define STYLE_FONTSTACK "Noto Sans CJK SC Regular"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"
#include "tailings/catalog.h"

/* pond fill by status, outline by completeness */
#define COLOUR_IN_USE "#f08c00"
#define COLOUR_SUSPENDED "#868e96"
#define COLOUR_CLOSED "#5c940d"
#define COLOUR_COMPLETE "#2b8a3e"
#define COLOUR_INCOMPLETE "#e03131"

void
style_json_string(struct evbuffer *out, const char *s)
{
	evbuffer_add(out, "\"", 1);
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
	{
		if (*p == '"' || *p == '\\')
			evbuffer_add_printf(out, "\\%c", *p);
		else if (*p < 0x20)
			evbuffer_add_printf(out, "\\u%04x", *p);
		else
			evbuffer_add(out, p, 1);
	}
	evbuffer_add(out, "\"", 1);
}

void
style_tilejson(struct evbuffer *out, const char *base_url, unsigned layers, const Box *bounds)
{
	char		name[256];
	int			first = 1;

	route_layers_name(layers, name, sizeof name);
	evbuffer_add_printf(out, "{\"tilejson\":\"3.0.0\",\"name\":\"Tailings One-Map: %s\","
						"\"description\":\"尾矿库环境监管要素一张图 environmental supervision elements of tailings ponds\","
						"\"attribution\":\"Tailings One-Map\",\"scheme\":\"xyz\","
						"\"tiles\":[\"%s/tiles/%s/{z}/{x}/{y}.mvt\"],\"minzoom\":0,\"maxzoom\":%d,",
						name, base_url, name, TL_TILE_MAXZOOM);
	if (bounds)
		evbuffer_add_printf(out, "\"bounds\":[%.6f,%.6f,%.6f,%.6f],\"center\":[%.6f,%.6f,%d],",
							bounds->xmin, bounds->ymin, bounds->xmax, bounds->ymax,
							(bounds->xmin + bounds->xmax) / 2, (bounds->ymin + bounds->ymax) / 2, 9);
	evbuffer_add_printf(out, "\"vector_layers\":[");
	if (layers & LAYER_PONDS)
	{
		evbuffer_add_printf(out, "{\"id\":\"ponds\",\"description\":\"尾矿库 tailings ponds: the drawn boundary from zoom %d, else the registry point\","
							"\"minzoom\":0,\"maxzoom\":%d,\"fields\":{\"code\":\"String\",\"name\":\"String\","
							"\"enterprise\":\"String\",\"county_code\":\"String\",\"level\":\"Number: supervision level 1-3\","
							"\"status\":\"String: in_use, suspended or closed\",\"score\":\"Number: completeness 0-1\"}}",
							TL_ELEMENT_MINZOOM, TL_TILE_MAXZOOM);
		first = 0;
	}
	for (int i = 0; i < TL_N_CATEGORIES; i++)
	{
		const TlCategory *c = &tl_categories()[i];
		int			k1 = 1;

		if (!(layers & (1u << (i + 1))))
			continue;
		evbuffer_add_printf(out, "%s{\"id\":\"%s\",\"description\":", first ? "" : ",", c->code);
		{
			char		d[256];

			snprintf(d, sizeof d, "%s %s", c->label_zh, c->label_en);
			style_json_string(out, d);
		}
		evbuffer_add_printf(out, ",\"minzoom\":%d,\"maxzoom\":%d,\"fields\":{\"kind\":\"String: one of ",
							TL_ELEMENT_MINZOOM, TL_TILE_MAXZOOM);
		for (int k = 0; k < TL_N_KINDS; k++)
			if (tl_kinds()[k].category == c->id)
			{
				evbuffer_add_printf(out, "%s%s", k1 ? "" : ", ", tl_kinds()[k].code);
				k1 = 0;
			}
		evbuffer_add_printf(out, "\",\"name\":\"String\",\"pond_id\":\"Number\","
							"\"source\":\"String: satellite, drone or ground\",\"verified\":\"Boolean: ground-verified\"}}");
		first = 0;
	}
	evbuffer_add_printf(out, "]}");
}

static void
layer_head(struct evbuffer *out, const char *id, const char *type, const char *source_layer, int minzoom)
{
	evbuffer_add_printf(out, ",{\"id\":\"%s\",\"type\":\"%s\",\"source\":\"tailings\",\"source-layer\":\"%s\","
						"\"minzoom\":%d", id, type, source_layer, minzoom);
}

/* a style layer of one kind, up to its filter: "{code}-{suffix}", of one geometry type */
static void
kind_layer(struct evbuffer *out, const TlKind *kind, const TlCategory *cat, const char *suffix,
		   const char *type, const char *geometry_type)
{
	char		id[96];

	snprintf(id, sizeof id, "%s-%s", kind->code, suffix);
	layer_head(out, id, type, cat->code, TL_ELEMENT_MINZOOM);
	evbuffer_add_printf(out, ",\"filter\":[\"all\",[\"==\",[\"get\",\"kind\"],\"%s\"],"
						"[\"==\",[\"geometry-type\"],\"%s\"]]", kind->code, geometry_type);
}

/* the layer's kind and Chinese label, for legends, and the layer's end */
static void
kind_metadata(struct evbuffer *out, const TlKind *kind)
{
	evbuffer_add_printf(out, ",\"metadata\":{\"tailings:kind\":\"%s\",\"tailings:label\":", kind->code);
	style_json_string(out, kind->label_zh);
	evbuffer_add_printf(out, "}}");
}

void
style_maplibre(struct evbuffer *out, const char *base_url)
{
	evbuffer_add_printf(out, "{\"version\":8,\"name\":\"Tailings One-Map 尾矿库环境监管要素一张图\","
						"\"metadata\":{\"tailings:element-minzoom\":%d},"
						"\"sources\":{\"tailings\":{\"type\":\"vector\",\"url\":\"%s/tiles/all.json\"}},"
						"\"sprite\":\"%s/sprite\",\"glyphs\":\"%s/fonts/{fontstack}/{range}.pbf\","
						"\"layers\":[{\"id\":\"background\",\"type\":\"background\",\"paint\":{\"background-color\":\"#f4f1ea\"}}",
						TL_ELEMENT_MINZOOM, base_url, base_url, base_url);

	/* ponds: fill by status, outline by completeness, a circle where only the registry point is known */
	layer_head(out, "ponds-fill", "fill", "ponds", 0);
	evbuffer_add_printf(out, ",\"filter\":[\"==\",[\"geometry-type\"],\"Polygon\"],\"paint\":{\"fill-color\":"
						"[\"match\",[\"get\",\"status\"],\"in_use\",\"%s\",\"suspended\",\"%s\",\"closed\",\"%s\",\"#999999\"],"
						"\"fill-opacity\":0.25}}", COLOUR_IN_USE, COLOUR_SUSPENDED, COLOUR_CLOSED);
	layer_head(out, "ponds-outline", "line", "ponds", 0);
	evbuffer_add_printf(out, ",\"filter\":[\"==\",[\"geometry-type\"],\"Polygon\"],\"paint\":{\"line-color\":"
						"[\"case\",[\">=\",[\"coalesce\",[\"get\",\"score\"],0],1],\"%s\",\"%s\"],\"line-width\":2.5}}",
						COLOUR_COMPLETE, COLOUR_INCOMPLETE);
	layer_head(out, "ponds-point", "circle", "ponds", 0);
	evbuffer_add_printf(out, ",\"filter\":[\"==\",[\"geometry-type\"],\"Point\"],\"paint\":{"
						"\"circle-radius\":[\"interpolate\",[\"linear\"],[\"zoom\"],4,3,10,7,14,10],"
						"\"circle-color\":[\"match\",[\"get\",\"status\"],\"in_use\",\"%s\",\"suspended\",\"%s\",\"closed\",\"%s\",\"#999999\"],"
						"\"circle-stroke-width\":2.5,\"circle-stroke-color\":"
						"[\"case\",[\">=\",[\"coalesce\",[\"get\",\"score\"],0],1],\"%s\",\"%s\"]}}",
						COLOUR_IN_USE, COLOUR_SUSPENDED, COLOUR_CLOSED, COLOUR_COMPLETE, COLOUR_INCOMPLETE);

	/* every kind in its category's colour: polygons, then lines, then points */
	for (int pass = 0; pass < 3; pass++)
		for (int k = 0; k < TL_N_KINDS; k++)
		{
			const TlKind *kind = &tl_kinds()[k];
			const TlCategory *cat = tl_category_by_id(kind->category);

			if (pass == 0 && (kind->geom & TL_GEOM_POLYGON))
			{
				kind_layer(out, kind, cat, "fill", "fill", "Polygon");
				evbuffer_add_printf(out, ",\"paint\":{\"fill-color\":\"%s\",\"fill-opacity\":0.2,"
									"\"fill-outline-color\":\"%s\"}", cat->colour, cat->colour);
				kind_metadata(out, kind);
			}
			if (pass == 1 && (kind->geom & TL_GEOM_LINE))
			{
				kind_layer(out, kind, cat, "line", "line", "LineString");
				evbuffer_add_printf(out, ",\"layout\":{\"line-cap\":\"round\"},"
									"\"paint\":{\"line-color\":\"%s\",\"line-width\":%s}", cat->colour,
									kind->category == TL_CATEGORY_ID_site ? "4" : "2.5");
				kind_metadata(out, kind);
				if (!kind->directed)
					continue;
				/* the direction of flow: arrows along the line */
				kind_layer(out, kind, cat, "arrows", "symbol", "LineString");
				evbuffer_add_printf(out, ",\"layout\":{\"symbol-placement\":\"line\","
									"\"symbol-spacing\":60,\"icon-image\":\"arrow\",\"icon-size\":0.7,\"icon-allow-overlap\":true,"
									"\"icon-ignore-placement\":true,\"icon-rotation-alignment\":\"map\"}}");
			}
			if (pass == 2 && (kind->geom & TL_GEOM_POINT))
			{
				kind_layer(out, kind, cat, "point", "circle", "Point");
				evbuffer_add_printf(out, ",\"paint\":{\"circle-color\":\"%s\","
									"\"circle-radius\":5,\"circle-stroke-width\":1.5,"
									"\"circle-stroke-color\":[\"case\",[\"get\",\"verified\"],\"#ffffff\",\"#212529\"]}",
									cat->colour);
				kind_metadata(out, kind);
			}
		}

	/* pond names */
	layer_head(out, "ponds-label", "symbol", "ponds", 8);
	evbuffer_add_printf(out, ",\"layout\":{\"text-field\":[\"get\",\"name\"],\"text-font\":[\"" STYLE_FONTSTACK "\"],"
						"\"text-size\":13,\"text-offset\":[0,1.2],\"text-anchor\":\"top\",\"text-optional\":true},"
						"\"paint\":{\"text-color\":\"#212529\",\"text-halo-color\":\"#ffffff\",\"text-halo-width\":1.5}}");
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
