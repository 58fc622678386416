/*
 * tilemath.c - Web Mercator tile geometry (EPSG:3857 tiles, degrees out).
 */
#include "tilemath.h"

#include <math.h>

static double
tile_lon(double x, int z)
{
	return x / ldexp(1.0, z) * 360.0 - 180.0;
}

static double
tile_lat(double y, int z)
{
	double		n = M_PI * (1.0 - 2.0 * y / ldexp(1.0, z));

	return atan(sinh(n)) * 180.0 / M_PI;
}

Box
tile_bounds(int z, long x, long y, int buffer, int extent)
{
	double		b = extent > 0 ? (double) buffer / extent : 0;
	Box			r;

	r.xmin = tile_lon((double) x - b, z);
	r.xmax = tile_lon((double) x + 1 + b, z);
	/* tile y grows southwards */
	r.ymax = tile_lat((double) y - b, z);
	r.ymin = tile_lat((double) y + 1 + b, z);
	return r;
}

/* longitude and latitude as tile coordinates (fractional) at zoom z; latitudes beyond Web Mercator's are its edge */
static double
tile_fx(double lon, int z)
{
	return (lon + 180.0) / 360.0 * ldexp(1.0, z);
}

static double
tile_fy(double lat, int z)
{
	double		lim = 85.0511287798066;
	double		r;

	lat = lat > lim ? lim : lat < -lim ? -lim : lat;
	r = lat * M_PI / 180.0;
	return (1.0 - asinh(tan(r)) / M_PI) / 2.0 * ldexp(1.0, z);
}

static long
clamp_tile(double v, int z)
{
	double		n = ldexp(1.0, z);

	return v < 0 ? 0 : v > n - 1 ? (long) n - 1 : (long) v;
}

TileRange
tile_cover(const Box *box, int z)
{
	TileRange	r;

	r.x0 = clamp_tile(floor(tile_fx(box->xmin, z)), z);
	r.x1 = clamp_tile(floor(tile_fx(box->xmax, z)), z);
	r.y0 = clamp_tile(floor(tile_fy(box->ymax, z)), z);
	r.y1 = clamp_tile(floor(tile_fy(box->ymin, z)), z);
	return r;
}

TileRange
tile_touching(const Box *box, int z, int buffer, int extent)
{
	double		b = extent > 0 ? (double) buffer / extent : 0;
	TileRange	r;

	/* tile x spans [x - b, x + 1 + b]: it touches [fx0, fx1] when x + 1 + b >= fx0 and x - b <= fx1 */
	r.x0 = clamp_tile(ceil(tile_fx(box->xmin, z) - 1 - b), z);
	r.x1 = clamp_tile(floor(tile_fx(box->xmax, z) + b), z);
	r.y0 = clamp_tile(ceil(tile_fy(box->ymax, z) - 1 - b), z);
	r.y1 = clamp_tile(floor(tile_fy(box->ymin, z) + b), z);
	return r;
}

int
tile_valid(int z, long x, long y, int maxzoom)
{
	long		n;

	if (z < 0 || z > maxzoom)
		return 0;
	n = 1L << z;
	return x >= 0 && x < n && y >= 0 && y < n;
}

int
box_intersects(const Box *a, const Box *b)
{
	return a->xmin <= b->xmax && b->xmin <= a->xmax && a->ymin <= b->ymax && b->ymin <= a->ymax;
}

Box
box_grow(Box b, double d)
{
	b.xmin -= d;
	b.ymin -= d;
	b.xmax += d;
	b.ymax += d;
	return b;
}
