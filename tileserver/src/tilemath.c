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
