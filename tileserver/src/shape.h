/*
 * shape.h - a feature's geometry read from WKB, and whether it reaches a box
 * (the export's test of which tiles hold something: export.c).  Pure; in the
 * plane of longitude and latitude.
 */
#ifndef TAILINGS_SHAPE_H
#define TAILINGS_SHAPE_H

#include <stddef.h>
#include <stdint.h>

#include "tilemath.h"

/* a part: points, a line's vertices, or a polygon's ring */
#define SHAPE_POINTS 1
#define SHAPE_LINE 2
#define SHAPE_RING 3

typedef struct ShapePart
{
	int			kind;
	size_t		n;				/* vertices */
	size_t		at;				/* the first one's index in xy (pairs) */
} ShapePart;

typedef struct Shape
{
	Box			box;			/* the vertices' bounds */
	ShapePart  *parts;
	size_t		nparts;
	double	   *xy;				/* x0, y0, x1, y1, ... */
	size_t		nxy;			/* vertices */
} Shape;

/*
 * The geometry of WKB (ISO or extended, either byte order; points, lines,
 * polygons, their multi forms and collections; Z and M ignored).  0, or -1
 * when malformed or of another type (curves), with *s empty.
 */
int			shape_from_wkb(const uint8_t *wkb, size_t len, Shape *s);
/* 1 when the shape meets the closed box: a vertex in it, an edge across it, or the box inside a polygon */
int			shape_reaches(const Shape *s, const Box *b);
void		shape_free(Shape *s);

#endif
