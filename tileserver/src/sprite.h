/*
 * sprite.h - the style's sprite: one RGBA atlas (PNG) and its index (JSON),
 * at pixel ratio 1 and 2.
 *
 * Icons (names as the style uses them):
 *   arrow          the flow arrow laid along directed lines, a chevron pointing +x
 *   gw-flow        the groundwater flow arrow, pointing north (-y) at rotation 0
 *   pond-{band}    a pond drawn as a point, one shape per completeness band
 *   hatch-{band}   the fill pattern of a pond boundary (not for the complete band)
 *   {kind code}    one icon per kind that takes points, in its category's colour
 * Bands come from include/tailings/symbology.h, kinds and colours from
 * include/tailings/catalog.h.  @2x is drawn at double resolution, and its
 * rectangles are exactly twice the 1x ones.
 */
#ifndef TAILINGS_SPRITE_H
#define TAILINGS_SPRITE_H

#include <event2/buffer.h>
#include <stddef.h>
#include <stdint.h>

/* the atlas as PNG at pixel ratio 1 or 2, malloc'd; NULL on failure (out of memory, bad symbol table) */
uint8_t    *sprite_png(int ratio, size_t *len);
/* the index: {"name":{"x","y","width","height","pixelRatio"},…} */
void		sprite_json(struct evbuffer *out, int ratio);

/*
 * The symbol of a point kind: its shape and the mark drawn inside it (indexes
 * into the sprite's tables of shapes and marks).
 */
typedef struct SpriteSymbol
{
	int			kind;			/* TL_KIND_ID_* */
	int			shape;
	int			mark;
} SpriteSymbol;

/*
 * Checks a symbol table against the catalog: every kind that takes points has
 * exactly one symbol, every symbol names such a kind, shapes and marks exist,
 * and no two kinds share a shape and a mark.  table NULL: the sprite's own.
 * 0 when good; else -1 with the reason in err.
 */
int			sprite_check(const SpriteSymbol *table, int n, char *err, size_t errlen);

#endif
