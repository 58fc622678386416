/*
 * sprite_draw.h - the sprite's rasteriser (sprite_draw.c): vector drawings
 * in a 100 x 100 unit box, made of filled and stroked paths, sampled
 * SPRITE_SUB x SPRITE_SUB times per pixel over a white halo.  Shared by
 * sprite.c (the icon tables, the atlas, PNG and JSON) and sprite_draw.c only.
 */
#ifndef TAILINGS_SPRITE_DRAW_H
#define TAILINGS_SPRITE_DRAW_H

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------------
 * Paths: "M x y", "L x y", "A cx cy r a0 a1" (an arc, degrees, clockwise on
 * screen from a0 to a1; joined to the current point by a line), "Z".  A
 * filled path closes each of its subpaths; its inside is the even-odd rule.
 */
#define SPRITE_MAXSEG 256

typedef struct
{
	double		ax,
				ay,
				bx,
				by;
} SpriteSeg;

typedef struct
{
	int			n;
	SpriteSeg	seg[SPRITE_MAXSEG];
} SpritePath;

/* ---------------------------------------------------------------------------
 * Drawings: up to four layers, each a filled (width 0) or stroked path,
 * painted in ink or white, later layers on top.
 */
enum
{
	INK,
	WHITE
};

typedef struct
{
	const char *path;
	double		width;			/* 0: filled; else the stroke's width, units */
	int			paint;
	double		dx,
				dy;				/* moved by */
	double		scale;			/* about (50, 50), before the move; 0 for 1 */
} SpriteLayer;

#define SPRITE_MAXLAYER 4
#define FILLED(p, colour) {.path = (p), .width = 0, .paint = (colour)}
#define STROKED(p, w, colour) {.path = (p), .width = (w), .paint = (colour)}

typedef struct
{
	int			n;
	SpritePath		path[SPRITE_MAXLAYER];
	double		width[SPRITE_MAXLAYER];
	int			paint[SPRITE_MAXLAYER];
} SpriteDrawing;

typedef struct
{
	uint8_t    *px;				/* RGBA, rows of stride bytes */
	size_t		stride;
	int			w,
				h;
} SpriteImage;

#define SPRITE_SUB 4			/* samples per pixel along each axis */

/* add layer l to d; -1 when d is full or l's path is malformed (a layer without a path adds nothing) */
int			sprite_drawing_add(SpriteDrawing *d, const SpriteLayer *l);
/* pixel (x, y) from r, g, b summed premultiplied over a of the pixel's samples; outside img: nothing */
void		sprite_put_pixel(SpriteImage *img, int x, int y, double r, double g, double b, double a);
/* the drawing, its 100-unit box on size x size pixels at (x0, y0); size_1x its size at pixel ratio 1 */
void		sprite_draw(SpriteImage *img, int x0, int y0, int size, int size_1x, const SpriteDrawing *d,
						const uint8_t ink[3]);
/* "#rrggbb" as bytes */
void		sprite_parse_colour(const char *hex, uint8_t rgb[3]);

#endif
