/*
 * mvt.c - decode a Mapbox Vector Tile with protobuf-c and check it against
 * the specification 2.1: layer version 2, unique non-empty layer names,
 * positive extent, tags in pairs with indexes in range, one value field per
 * value, geometry command encoding by geometry type, polygon rings closed
 * and wound as the specification says (exterior rings positive area).
 */
#include "mvt.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "vector_tile.pb-c.h"

#define CMD_MOVE_TO 1
#define CMD_LINE_TO 2
#define CMD_CLOSE_PATH 7

typedef VectorTile__Tile Tile;
typedef VectorTile__Tile__Layer Layer;
typedef VectorTile__Tile__Feature Feature;
typedef VectorTile__Tile__Value Value;

static void mvt_problem(MvtReport *r, int error, const char *layer, long feature,
						const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
mvt_problem(MvtReport *r, int error, const char *layer, long feature, const char *fmt, ...)
{
	va_list		ap;

	if (error)
		r->errors++;
	else
		r->warnings++;
	if (r->log == NULL)
		return;
	fprintf(r->log, "%s: ", error ? "error" : "warning");
	if (layer)
		fprintf(r->log, "layer \"%s\": ", layer);
	if (feature >= 0)
		fprintf(r->log, "feature %ld: ", feature);
	va_start(ap, fmt);
	vfprintf(r->log, fmt, ap);
	va_end(ap);
	fputc('\n', r->log);
}

static int32_t
zigzag(uint32_t v)
{
	return (int32_t) ((v >> 1) ^ (~(v & 1) + 1));
}

/* A decoded geometry: rings or lines of points in tile coordinates */
typedef struct Path
{
	long	   *xy;				/* x0, y0, x1, y1, ... */
	size_t		n;				/* points */
	int			closed;
} Path;

typedef struct Geom
{
	Path	   *paths;
	size_t		npaths;
} Geom;

static void
geom_free(Geom *g)
{
	for (size_t i = 0; i < g->npaths; i++)
		free(g->paths[i].xy);
	free(g->paths);
	g->paths = NULL;
	g->npaths = 0;
}

static Path *
geom_new_path(Geom *g)
{
	Path	   *p;

	g->paths = realloc(g->paths, (g->npaths + 1) * sizeof(Path));
	if (g->paths == NULL)
		abort();
	p = &g->paths[g->npaths++];
	memset(p, 0, sizeof(*p));
	return p;
}

static void
path_add(Path *p, long x, long y)
{
	p->xy = realloc(p->xy, (p->n + 1) * 2 * sizeof(long));
	if (p->xy == NULL)
		abort();
	p->xy[2 * p->n] = x;
	p->xy[2 * p->n + 1] = y;
	p->n++;
}

/* twice the signed area of a ring (surveyor's formula, tile coordinates) */
static double
ring_area2(const Path *p)
{
	double		a = 0;

	for (size_t i = 0; i < p->n; i++)
	{
		size_t		j = (i + 1) % p->n;

		a += (double) p->xy[2 * i] * p->xy[2 * j + 1] - (double) p->xy[2 * j] * p->xy[2 * i + 1];
	}
	return a;
}

/* the paths of a decoded geometry against its type: lines of 2 points, closed rings of some area */
static int
check_paths(const Geom *g, int type, MvtReport *r, const char *layer, long fno)
{
	int			ok = 1;
	switch (type)
	{
		case VECTOR_TILE__TILE__GEOM_TYPE__POINT:
			break;
		case VECTOR_TILE__TILE__GEOM_TYPE__LINESTRING:
			for (size_t p = 0; p < g->npaths; p++)
				if (g->paths[p].n < 2)
				{
					mvt_problem(r, 1, layer, fno, "line %zu has fewer than 2 points", p + 1);
					ok = 0;
				}
			break;
		case VECTOR_TILE__TILE__GEOM_TYPE__POLYGON:
			for (size_t p = 0; p < g->npaths; p++)
			{
				double		a = ring_area2(&g->paths[p]);

				if (!g->paths[p].closed)
				{
					mvt_problem(r, 1, layer, fno, "ring %zu not closed by ClosePath", p + 1);
					ok = 0;
				}
				if (g->paths[p].n < 3)
				{
					mvt_problem(r, 1, layer, fno, "ring %zu has fewer than 3 points", p + 1);
					ok = 0;
				}
				else if (a == 0)
				{
					mvt_problem(r, 1, layer, fno, "ring %zu has no area", p + 1);
					ok = 0;
				}
				else if (p == 0 && a < 0)
				{
					mvt_problem(r, 1, layer, fno, "first ring is not an exterior ring (negative area: wrong winding)");
					ok = 0;
				}
			}
			break;
		default:
			mvt_problem(r, 1, layer, fno, "geometry type UNKNOWN");
			ok = 0;
	}
	return ok;
}

/* Decode the command stream and check it against the geometry type. */
static int
decode_geometry(const Feature *f, Geom *g, MvtReport *r, const char *layer, long fno)
{
	long		x = 0,
				y = 0;
	size_t		i = 0;
	int			type = f->has_type ? (int) f->type : 0;
	Path	   *cur = NULL;
	int			ok = 1;

	if (f->n_geometry == 0)
	{
		mvt_problem(r, 1, layer, fno, "no geometry");
		return 0;
	}
	while (i < f->n_geometry)
	{
		uint32_t	cmd = f->geometry[i] & 7;
		uint32_t	count = f->geometry[i] >> 3;

		i++;
		if (cmd == CMD_MOVE_TO || cmd == CMD_LINE_TO)
		{
			if (count == 0)
			{
				mvt_problem(r, 1, layer, fno, "%s with a count of 0", cmd == CMD_MOVE_TO ? "MoveTo" : "LineTo");
				return 0;
			}
			if (i + 2 * (size_t) count > f->n_geometry)
			{
				mvt_problem(r, 1, layer, fno, "command runs past the end of the geometry");
				return 0;
			}
			if (cmd == CMD_MOVE_TO)
			{
				if (type != VECTOR_TILE__TILE__GEOM_TYPE__POINT && count != 1)
				{
					mvt_problem(r, 1, layer, fno, "MoveTo with count %u in a line or polygon", count);
					ok = 0;
				}
				if (type == VECTOR_TILE__TILE__GEOM_TYPE__POLYGON && cur && !cur->closed)
				{
					mvt_problem(r, 1, layer, fno, "polygon ring not closed by ClosePath");
					ok = 0;
				}
				if (type == VECTOR_TILE__TILE__GEOM_TYPE__POINT && g->npaths > 0)
				{
					mvt_problem(r, 1, layer, fno, "a point geometry with more than one MoveTo command");
					ok = 0;
				}
				cur = geom_new_path(g);
			}
			else if (cur == NULL || type == VECTOR_TILE__TILE__GEOM_TYPE__POINT)
			{
				mvt_problem(r, 1, layer, fno, "LineTo %s", cur ? "in a point geometry" : "before MoveTo");
				return 0;
			}
			else if (cur->closed)
			{
				mvt_problem(r, 1, layer, fno, "LineTo after ClosePath without MoveTo");
				return 0;
			}
			for (uint32_t k = 0; k < count; k++)
			{
				int32_t		dx = zigzag(f->geometry[i++]);
				int32_t		dy = zigzag(f->geometry[i++]);

				if (cmd == CMD_LINE_TO && dx == 0 && dy == 0)
				{
					mvt_problem(r, 1, layer, fno, "LineTo to the same point");
					ok = 0;
				}
				x += dx;
				y += dy;
				path_add(cur, x, y);
			}
		}
		else if (cmd == CMD_CLOSE_PATH)
		{
			if (count != 1)
			{
				mvt_problem(r, 1, layer, fno, "ClosePath with count %u", count);
				ok = 0;
			}
			if (type != VECTOR_TILE__TILE__GEOM_TYPE__POLYGON || cur == NULL || cur->closed)
			{
				mvt_problem(r, 1, layer, fno, "ClosePath outside a polygon ring");
				return 0;
			}
			cur->closed = 1;
		}
		else
		{
			mvt_problem(r, 1, layer, fno, "unknown command %u", cmd);
			return 0;
		}
	}

	return check_paths(g, type, r, layer, fno) && ok;
}

static const char *
type_name(int type, int geojson, size_t parts)
{
	switch (type)
	{
		case VECTOR_TILE__TILE__GEOM_TYPE__POINT:
			return geojson ? (parts > 1 ? "MultiPoint" : "Point") : "POINT";
		case VECTOR_TILE__TILE__GEOM_TYPE__LINESTRING:
			return geojson ? (parts > 1 ? "MultiLineString" : "LineString") : "LINESTRING";
		case VECTOR_TILE__TILE__GEOM_TYPE__POLYGON:
			return geojson ? "MultiPolygon" : "POLYGON";
		default:
			return "UNKNOWN";
	}
}

static void
put_file(void *sink, const char *bytes, size_t len)
{
	fwrite(bytes, 1, len, sink);
}

static void
print_json_string(FILE *out, const char *s)
{
	json_quote(s, put_file, out);
}

/* a value, JSON-style (strings quoted) */
static void
print_value(FILE *out, const Value *v)
{
	if (v->string_value)
		print_json_string(out, v->string_value);
	else if (v->has_float_value)
		fprintf(out, "%.9g", (double) v->float_value);
	else if (v->has_double_value)
		fprintf(out, "%.17g", v->double_value);
	else if (v->has_int_value)
		fprintf(out, "%" PRId64, v->int_value);
	else if (v->has_uint_value)
		fprintf(out, "%" PRIu64, v->uint_value);
	else if (v->has_sint_value)
		fprintf(out, "%" PRId64, v->sint_value);
	else if (v->has_bool_value)
		fputs(v->bool_value ? "true" : "false", out);
	else
		fputs("null", out);
}

static int
value_fields(const Value *v)
{
	return (v->string_value != NULL) + v->has_float_value + v->has_double_value + v->has_int_value +
		v->has_uint_value + v->has_sint_value + v->has_bool_value;
}

/* a point in GeoJSON: tile coordinates, or longitude and latitude */
static void
print_point(FILE *out, long px, long py, uint32_t extent, const MvtTileId *tile)
{
	if (tile && tile->set)
	{
		double		n = ldexp(1.0, tile->z);
		double		fx = (tile->x + (double) px / extent) / n;
		double		fy = (tile->y + (double) py / extent) / n;
		double		lon = fx * 360.0 - 180.0;
		double		lat = atan(sinh(M_PI * (1 - 2 * fy))) * 180.0 / M_PI;

		fprintf(out, "[%.7f,%.7f]", lon, lat);
	}
	else
		fprintf(out, "[%ld,%ld]", px, py);
}

static void
print_path(FILE *out, const Path *p, uint32_t extent, const MvtTileId *tile)
{
	fputc('[', out);
	for (size_t i = 0; i < p->n; i++)
	{
		if (i)
			fputc(',', out);
		print_point(out, p->xy[2 * i], p->xy[2 * i + 1], extent, tile);
	}
	if (p->closed && p->n > 0)
	{
		fputc(',', out);
		print_point(out, p->xy[0], p->xy[1], extent, tile);
	}
	fputc(']', out);
}

static void
print_geojson_geometry(FILE *out, int type, const Geom *g, uint32_t extent, const MvtTileId *tile)
{
	fprintf(out, "{\"type\":\"%s\",\"coordinates\":", type_name(type, 1, g->npaths));
	if (type == VECTOR_TILE__TILE__GEOM_TYPE__POINT)
	{
		const Path *p = &g->paths[0];

		if (p->n == 1)
			print_point(out, p->xy[0], p->xy[1], extent, tile);
		else
		{
			fputc('[', out);
			for (size_t i = 0; i < p->n; i++)
			{
				if (i)
					fputc(',', out);
				print_point(out, p->xy[2 * i], p->xy[2 * i + 1], extent, tile);
			}
			fputc(']', out);
		}
	}
	else if (type == VECTOR_TILE__TILE__GEOM_TYPE__LINESTRING)
	{
		if (g->npaths > 1)
			fputc('[', out);
		for (size_t i = 0; i < g->npaths; i++)
		{
			if (i)
				fputc(',', out);
			print_path(out, &g->paths[i], extent, tile);
		}
		if (g->npaths > 1)
			fputc(']', out);
	}
	else
	{
		/* polygons: a new polygon starts at each exterior (positive) ring */
		fputc('[', out);
		for (size_t i = 0; i < g->npaths; i++)
		{
			int			exterior = ring_area2(&g->paths[i]) > 0;

			if (i && exterior)
				fputs("],", out);
			else if (i)
				fputc(',', out);
			if (exterior)
				fputc('[', out);
			print_path(out, &g->paths[i], extent, tile);
		}
		fputs("]]", out);
	}
	fputc('}', out);
}

/* the checks of layer li as a whole */
static void
check_layer_head(const Tile *t, size_t li, const char *name, uint32_t extent, MvtReport *r)
{
	const Layer *l = t->layers[li];

	if (l->version != 2)
		mvt_problem(r, 1, name, -1, "version %u, not 2", l->version);
	if (name[0] == '\0')
		mvt_problem(r, 1, NULL, -1, "layer %zu has an empty name", li + 1);
	for (size_t j = 0; j < li; j++)
		if (t->layers[j]->name && strcmp(t->layers[j]->name, name) == 0)
			mvt_problem(r, 1, name, -1, "more than one layer with this name");
	if (extent == 0)
		mvt_problem(r, 1, name, -1, "extent 0");
	for (size_t k = 0; k < l->n_keys; k++)
		for (size_t j = 0; j < k; j++)
			if (strcmp(l->keys[j], l->keys[k]) == 0)
				mvt_problem(r, 0, name, -1, "key \"%s\" appears twice", l->keys[k]);
	for (size_t v = 0; v < l->n_values; v++)
		if (value_fields(l->values[v]) != 1)
			mvt_problem(r, 1, name, -1, "value %zu has %d fields set, not 1", v, value_fields(l->values[v]));
	if (l->n_features == 0)
		mvt_problem(r, 0, name, -1, "no features");
}

/* the checks of feature fi's tags and id */
static void
check_feature(const Layer *l, const char *name, size_t fi, MvtReport *r)
{
	const Feature *f = l->features[fi];
	long		fno = (long) fi;

	if (f->n_tags % 2)
		mvt_problem(r, 1, name, fno, "odd number of tags");
	for (size_t k = 0; k + 1 < f->n_tags; k += 2)
	{
		if (f->tags[k] >= l->n_keys)
			mvt_problem(r, 1, name, fno, "key index %u out of range", f->tags[k]);
		if (f->tags[k + 1] >= l->n_values)
			mvt_problem(r, 1, name, fno, "value index %u out of range", f->tags[k + 1]);
	}
	if (f->has_id)
		for (size_t j = 0; j < fi; j++)
			if (l->features[j]->has_id && l->features[j]->id == f->id)
			{
				mvt_problem(r, 0, name, fno, "id %" PRIu64 " not unique in the layer", f->id);
				break;
			}
}

/* a feature on a line of the summary: id, type, parts, points, tags */
static void
print_feature_summary(FILE *out, const Layer *l, const Feature *f, const Geom *g)
{
	size_t		npts = 0;

	for (size_t p = 0; p < g->npaths; p++)
		npts += g->paths[p].n;
	if (f->has_id)
		fprintf(out, "  id=%" PRIu64 " ", f->id);
	else
		fputs("  id=- ", out);
	fprintf(out, "%s parts=%zu points=%zu", type_name(f->has_type ? (int) f->type : 0, 0, 0), g->npaths, npts);
	for (size_t k = 0; k + 1 < f->n_tags; k += 2)
		if (f->tags[k] < l->n_keys && f->tags[k + 1] < l->n_values)
		{
			fprintf(out, " %s=", l->keys[f->tags[k]]);
			print_value(out, l->values[f->tags[k + 1]]);
		}
	fputc('\n', out);
}

/* a feature as a GeoJSON Feature, its layer's name a property */
static void
print_feature_geojson(FILE *out, const Layer *l, const char *name, const Feature *f, const Geom *g,
					  uint32_t extent, const MvtTileId *tile)
{
	fputs("{\"type\":\"Feature\",", out);
	if (f->has_id)
		fprintf(out, "\"id\":%" PRIu64 ",", f->id);
	fputs("\"properties\":{\"layer\":", out);
	print_json_string(out, name);
	for (size_t k = 0; k + 1 < f->n_tags; k += 2)
		if (f->tags[k] < l->n_keys && f->tags[k + 1] < l->n_values)
		{
			fputc(',', out);
			print_json_string(out, l->keys[f->tags[k]]);
			fputc(':', out);
			print_value(out, l->values[f->tags[k + 1]]);
		}
	fputs("},\"geometry\":", out);
	print_geojson_geometry(out, f->has_type ? (int) f->type : 0, g, extent, tile);
	fputc('}', out);
}

static void
check_layer(const Tile *t, size_t li, MvtFormat format, const MvtTileId *tile, FILE *out,
			MvtReport *r, int *first_feature)
{
	const Layer *l = t->layers[li];
	const char *name = l->name ? l->name : "";
	uint32_t	extent = l->has_extent ? l->extent : 4096;

	r->layers++;
	check_layer_head(t, li, name, extent, r);
	if (format == MVT_FORMAT_SUMMARY)
		fprintf(out, "layer %s: version %u, extent %u, %zu features, %zu keys, %zu values\n",
				name, l->version, extent, l->n_features, l->n_keys, l->n_values);

	for (size_t fi = 0; fi < l->n_features; fi++)
	{
		const Feature *f = l->features[fi];
		Geom		g = {0};
		int			geom_ok;

		r->features++;
		check_feature(l, name, fi, r);
		geom_ok = decode_geometry(f, &g, r, name, (long) fi);
		if (format == MVT_FORMAT_SUMMARY)
			print_feature_summary(out, l, f, &g);
		else if (format == MVT_FORMAT_GEOJSON && geom_ok)
		{
			fputs(*first_feature ? "\n" : ",\n", out);
			*first_feature = 0;
			print_feature_geojson(out, l, name, f, &g, extent, tile);
		}
		geom_free(&g);
	}
}

int
mvt_check(const uint8_t *buf, size_t len, MvtFormat format, const MvtTileId *tile, FILE *out,
		  MvtReport *report)
{
	Tile	   *t;
	int			first_feature = 1;
	FILE	   *log = report->log;

	memset(report, 0, sizeof(*report));
	report->log = log;
	if (len == 0)
	{
		if (format == MVT_FORMAT_GEOJSON)
			fputs("{\"type\":\"FeatureCollection\",\"features\":[]}\n", out);
		else if (format == MVT_FORMAT_SUMMARY)
			fputs("empty tile\n", out);
		return 0;
	}
	t = vector_tile__tile__unpack(NULL, len, buf);
	if (t == NULL)
	{
		mvt_problem(report, 1, NULL, -1, "not a vector tile: the protocol buffer does not decode");
		return -1;
	}
	if (format == MVT_FORMAT_GEOJSON)
		fputs("{\"type\":\"FeatureCollection\",\"features\":[", out);
	for (size_t li = 0; li < t->n_layers; li++)
		check_layer(t, li, format, tile, out, report, &first_feature);
	if (format == MVT_FORMAT_GEOJSON)
		fputs("\n]}\n", out);
	vector_tile__tile__free_unpacked(t, NULL);
	return report->errors ? -1 : 0;
}
