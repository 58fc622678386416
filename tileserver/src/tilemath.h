/*
 * tilemath.h - Web Mercator tile geometry.
 */
#ifndef TAILINGS_TILEMATH_H
#define TAILINGS_TILEMATH_H

/* a box in longitude and latitude: xmin, ymin, xmax, ymax */
typedef struct Box
{
	double		xmin,
				ymin,
				xmax,
				ymax;
} Box;

/* The tile's box in degrees, grown by buffer tile-units out of extent on each side. */
Box			tile_bounds(int z, long x, long y, int buffer, int extent);
/* 1 when x and y are tile coordinates at zoom z (0 <= x, y < 2^z) */
int			tile_valid(int z, long x, long y, int maxzoom);
int			box_intersects(const Box *a, const Box *b);
Box			box_grow(Box b, double degrees);

#endif
