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

/* a range of tiles of one zoom: columns x0..x1, rows y0..y1 (y0 the northernmost) */
typedef struct TileRange
{
	long		x0,
				y0,
				x1,
				y1;
} TileRange;

/* the tiles of zoom z covering box (a point on the line between two tiles is in the east or south one) */
TileRange	tile_cover(const Box *box, int z);
/*
 * The tiles of zoom z whose bounds, grown by buffer/extent of a tile on each
 * side, touch box: those whose features clipped to that buffer may hold a
 * feature inside box (the same test as tile_bounds() and box_intersects()).
 */
TileRange	tile_touching(const Box *box, int z, int buffer, int extent);
Box			box_grow(Box b, double degrees);

#endif
