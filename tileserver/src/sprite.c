/*
 * sprite.c - the style's sprite, drawn by the server: the flow arrow, the
 * groundwater flow arrow, the pond icons and hatch patterns of the
 * completeness bands, and one icon per kind that takes points.
 *
 * Icons are vector drawings in a 100 x 100 unit box: filled paths and stroked
 * paths, each painted in the icon's colour ("ink") or white, over a white halo
 * that follows the drawing's outline, so that an icon reads on any base map.
 * They are sampled 4 x 4 times per pixel (antialiased) at the pixel ratio's
 * resolution: @2x is drawn again, not scaled up.  Both atlases are made once,
 * when the server starts.
 *
 * A kind's icon is its symbol's shape in its category's colour with the
 * symbol's mark in white.  The one table that names kinds is `symbols` below;
 * sprite_check() holds it against the catalog.
 */
#include "sprite.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "tailings/catalog.h"
#include "tailings/symbology.h"

#include "sprite_draw.h"		/* paths, drawings, the rasteriser */

/* ---------------------------------------------------------------------------
 * The symbols of the point kinds: a shape, in the category's colour, and a
 * white mark inside it, centred on the shape's anchor.
 */
enum
{
	SHAPE_CIRCLE,
	SHAPE_SQUARE,
	SHAPE_DIAMOND,
	SHAPE_TRIANGLE,
	SHAPE_TRIANGLE_DOWN,
	SHAPE_HEXAGON,
	SHAPE_PENTAGON,
	SHAPE_HOUSE,
	SHAPE_DROP,
	SHAPE_ARCH,
	SHAPE_BOAT,
	SHAPE_BOWTIE,
	SHAPE_CAMERA,
	SHAPE_OCTAGON,
	SHAPE_PUMP,
	SHAPE_TANK,
	SHAPE_TRIANGLE_RIGHT,
	N_SHAPES
};

static const struct
{
	const char *path;
	const char *path2;			/* another part, or NULL */
	double		ax,
				ay;				/* where a mark is centred */
	double		scale;			/* of the mark; 0 for 1 */
}			shapes[] = {
	[SHAPE_CIRCLE] = {"A50 50 38 0 360", NULL, 50, 50},
	[SHAPE_SQUARE] = {"M15 15 L85 15 L85 85 L15 85 Z", NULL, 50, 50},
	[SHAPE_DIAMOND] = {"M50 9 L91 50 L50 91 L9 50 Z", NULL, 50, 50},
	[SHAPE_TRIANGLE] = {"M50 9 L91 84 L9 84 Z", NULL, 50, 59},
	[SHAPE_TRIANGLE_DOWN] = {"M9 16 L91 16 L50 91 Z", NULL, 50, 41},
	[SHAPE_HEXAGON] = {"M50 11 L83.8 30.5 L83.8 69.5 L50 89 L16.2 69.5 L16.2 30.5 Z", NULL, 50, 50},
	[SHAPE_PENTAGON] = {"M50 12 L89 40.3 L74.1 86.2 L25.9 86.2 L11 40.3 Z", NULL, 50, 54},
	[SHAPE_HOUSE] = {"M50 10 L89 46 L79 46 L79 87 L21 87 L21 46 L11 46 Z", NULL, 50, 64},
	[SHAPE_DROP] = {"M50 8 L73.6 44.9 A50 60 28 -32.6 212.6 Z", NULL, 50, 62},
	[SHAPE_ARCH] = {"M21 88 L21 49 A50 49 29 180 360 L79 88 Z", NULL, 50, 60},
	[SHAPE_BOAT] = {"M36 20 L64 20 L64 46 L36 46 Z M9 46 L91 46 L76 80 L24 80 Z", NULL, 50, 58},
	[SHAPE_BOWTIE] = {"M11 22 L50 50 L11 78 Z M89 22 L50 50 L89 78 Z", NULL, 50, 50},
	[SHAPE_CAMERA] = {"M10 31 L64 31 L64 42 L90 27 L90 73 L64 58 L64 69 L10 69 Z", NULL, 37, 50},
	[SHAPE_OCTAGON] = {"M34.3 12 L65.7 12 L88 34.3 L88 65.7 L65.7 88 L34.3 88 L12 65.7 L12 34.3 Z", NULL, 50, 50},
	/* a centrifugal pump: a round casing, its outlet tangent at the top */
	[SHAPE_PUMP] = {"A46 56 32 0 360", "M46 24 L89 24 L89 44 L60 44 Z", 46, 56, 0.9},
	/* a tank raised on its legs */
	[SHAPE_TANK] = {"M13 10 L87 10 L87 56 L13 56 Z", "M23 52 L37 52 L35 90 L20 90 Z M63 52 L77 52 L80 90 L65 90 Z", 50, 33, 0.8},
	[SHAPE_TRIANGLE_RIGHT] = {"M12 10 L91 50 L12 90 Z", NULL, 38, 50},
};
_Static_assert(sizeof shapes / sizeof shapes[0] == N_SHAPES, "a path for every shape");

enum
{
	MARK_NONE,
	MARK_B,
	MARK_M,
	MARK_D,
	MARK_O,						/* the letter O, also a ring */
	MARK_EXCL,
	MARK_SPRAY,
	MARK_DOTS,
	MARK_DOT,
	MARK_WAVES,
	MARK_ARROW_DOWN,
	MARK_ARROW_UP,
	MARK_ARROW_LEFT,
	MARK_ARROW_RIGHT,
	MARK_PUMP,
	MARK_PLUS,
	N_MARKS
};

/* centred on (50, 50); white */
static const struct
{
	const char *fill;			/* white */
	const char *stroke;			/* white, in the shape's colour if inverted */
	double		width;
	int			inverted;
}			marks[] = {
	[MARK_NONE] = {NULL, NULL, 0},
	[MARK_B] = {"A50 50 29 0 360", "M40 32 L40 68 M40 32 L51 32 A51 41 9 -90 90 L40 50 M40 50 L53 50 A53 59 9 -90 90 L40 68", 8, 1},
	[MARK_M] = {NULL, "M35 68 L35 32 L50 56 L65 32 L65 68", 8},
	[MARK_D] = {NULL, "M39 32 L39 68 L45 68 A45 50 18 90 -90 Z", 8},
	[MARK_O] = {NULL, "A50 50 18 0 360", 8},
	[MARK_EXCL] = {NULL, "M50 32 L50 55 M50 67 L50 67", 9},
	[MARK_SPRAY] = {NULL, "M50 70 L31 40 M50 70 L50 32 M50 70 L69 40", 7},
	[MARK_DOTS] = {NULL, "M37 60 L37 60 M63 60 L63 60 M50 38 L50 38", 13},
	[MARK_DOT] = {NULL, "M50 50 L50 50", 18},
	[MARK_WAVES] = {NULL, "M28 43 L36 37 L43 43 L50 37 L57 43 L64 37 L72 43 "
	"M28 63 L36 57 L43 63 L50 57 L57 63 L64 57 L72 63", 7},
	[MARK_ARROW_DOWN] = {NULL, "M50 30 L50 70 M35 55 L50 70 L65 55", 8},
	[MARK_ARROW_UP] = {NULL, "M50 70 L50 30 M35 45 L50 30 L65 45", 8},
	[MARK_ARROW_LEFT] = {NULL, "M70 50 L30 50 M45 35 L30 50 L45 65", 8},
	[MARK_ARROW_RIGHT] = {NULL, "M30 50 L70 50 M55 35 L70 50 L55 65", 8},
	[MARK_PUMP] = {"M39 32 L69 50 L39 68 Z", NULL, 0},
	[MARK_PLUS] = {NULL, "M50 29 L50 71 M29 50 L71 50", 10},
};
_Static_assert(sizeof marks / sizeof marks[0] == N_MARKS, "a drawing for every mark");

/*
 * THE table of point kinds' symbols.  The circle is the groundwater well's
 * only; the four wells are told apart by their letter: B upstream (本底井,
 * the reference: drawn hollow, a coloured B on white), M and D downstream
 * (监视, 扩散), O at the drainage outlet.
 */
static const SpriteSymbol symbols[] = {
	{TL_KIND_ID_sign, SHAPE_TRIANGLE, MARK_EXCL},
	{TL_KIND_ID_sprinkler, SHAPE_PENTAGON, MARK_SPRAY},
	{TL_KIND_ID_tsp_monitor, SHAPE_HEXAGON, MARK_DOTS},
	{TL_KIND_ID_leak_detection, SHAPE_DIAMOND, MARK_DOT},
	{TL_KIND_ID_leachate_pool, SHAPE_SQUARE, MARK_WAVES},
	{TL_KIND_ID_seepage_well, SHAPE_OCTAGON, MARK_ARROW_DOWN},
	{TL_KIND_ID_leachate_pump, SHAPE_PUMP, MARK_PUMP},
	{TL_KIND_ID_gw_background_well, SHAPE_CIRCLE, MARK_B},
	{TL_KIND_ID_gw_monitoring_well, SHAPE_CIRCLE, MARK_M},
	{TL_KIND_ID_gw_diffusion_well, SHAPE_CIRCLE, MARK_D},
	{TL_KIND_ID_gw_outlet_well, SHAPE_CIRCLE, MARK_O},
	{TL_KIND_ID_spillway_tower, SHAPE_SQUARE, MARK_O},
	{TL_KIND_ID_flood_tunnel_outlet, SHAPE_ARCH, MARK_NONE},
	{TL_KIND_ID_floating_intake, SHAPE_BOAT, MARK_NONE},
	{TL_KIND_ID_high_level_tank, SHAPE_TANK, MARK_ARROW_UP},
	{TL_KIND_ID_return_pool, SHAPE_SQUARE, MARK_ARROW_LEFT},
	{TL_KIND_ID_discharge_outlet, SHAPE_TRIANGLE_RIGHT, MARK_NONE},
	{TL_KIND_ID_emergency_pool, SHAPE_SQUARE, MARK_EXCL},
	{TL_KIND_ID_emergency_gate, SHAPE_BOWTIE, MARK_NONE},
	{TL_KIND_ID_emergency_store, SHAPE_SQUARE, MARK_PLUS},
	{TL_KIND_ID_video_monitor, SHAPE_CAMERA, MARK_NONE},
	{TL_KIND_ID_residential_area, SHAPE_HOUSE, MARK_NONE},
	{TL_KIND_ID_drinking_water_source, SHAPE_DROP, MARK_NONE},
	{TL_KIND_ID_surface_water_monitor, SHAPE_HEXAGON, MARK_WAVES},
	{TL_KIND_ID_soil_monitor, SHAPE_TRIANGLE_DOWN, MARK_DOT},
};
#define N_SYMBOLS ((int) (sizeof symbols / sizeof symbols[0]))

/*
 * The pond icons, one per band of symbology.h (by code): a shape per band, so
 * that bands are not told apart by colour alone.
 */
static const struct
{
	const char *band;
	SpriteLayer	layers[SPRITE_MAXLAYER];
}			pond_icons[] = {
	/* a circle with a check mark */
	{"complete", {FILLED("A50 50 38 0 360", INK), STROKED("M31 51 L44 64 L69 37", 10, WHITE)}},
	/* a circle with its upper right quarter cut out */
	{"minor", {FILLED("M50 50 L88 50 A50 50 38 0 270 Z", INK)}},
	/* a diamond, its lower half filled */
	{"major", {FILLED("M50 10 L90 50 L50 90 L10 50 Z", WHITE), FILLED("M10 50 L90 50 L50 90 Z", INK),
	STROKED("M50 10 L90 50 L50 90 L10 50 Z", 8, INK)}},
	/* a square with an X */
	{"severe", {FILLED("M14 14 L86 14 L86 86 L14 86 Z", INK), STROKED("M32 32 L68 68 M68 32 L32 68", 10, WHITE)}},
};

/* the hatch patterns of pond boundaries: diagonal lines, every `period` px along x (1x), both ways if cross */
static const struct
{
	const char *band;
	double		period;
	int			cross;
}			hatches[] = {
	{"minor", 16, 0},
	{"major", 8, 0},
	{"severe", 8, 1},
};

/* the groundwater flow arrow: north (-y) at rotation 0 */
static const SpriteLayer gw_flow[] = {FILLED("M50 6 L91 48 L60 48 L60 90 L40 90 L40 48 L9 48 Z", INK)};

#define ARROW 24				/* the flow arrow, px at 1x */
#define KIND_ICON 20
#define GW_FLOW 28
#define POND_ICON 18
#define HATCH 16
#define ATLAS_W 160				/* px at 1x */
#define GAP 1					/* px at 1x between icons */

static int
find_pond_icon(const char *band)
{
	for (size_t i = 0; i < sizeof pond_icons / sizeof pond_icons[0]; i++)
		if (strcmp(pond_icons[i].band, band) == 0)
			return (int) i;
	return -1;
}

static int
find_hatch(const char *band)
{
	for (size_t i = 0; i < sizeof hatches / sizeof hatches[0]; i++)
		if (strcmp(hatches[i].band, band) == 0)
			return (int) i;
	return -1;
}

/* the complete band has no hatching: nothing is missing */
static int
band_hatched(const TlBand *b)
{
	return b->floor < 1.0;
}

int
sprite_check(const SpriteSymbol *table, int n, char *err, size_t errlen)
{
	if (table == NULL)
	{
		table = symbols;
		n = N_SYMBOLS;
	}
	for (int i = 0; i < n; i++)
	{
		const TlKind *k = tl_kind_by_id(table[i].kind);

		if (k == NULL || !(k->geom & TL_GEOM_POINT))
		{
			snprintf(err, errlen, "symbol %d: kind %d takes no points", i, table[i].kind);
			return -1;
		}
		if (table[i].shape < 0 || table[i].shape >= N_SHAPES || table[i].mark < 0 || table[i].mark >= N_MARKS)
		{
			snprintf(err, errlen, "symbol of %s: no such shape or mark", k->code);
			return -1;
		}
		for (int j = 0; j < i; j++)
			if (table[j].kind == table[i].kind)
			{
				snprintf(err, errlen, "%s has two symbols", k->code);
				return -1;
			}
			else if (table[j].shape == table[i].shape && table[j].mark == table[i].mark)
			{
				snprintf(err, errlen, "%s and %s share a symbol", tl_kind_by_id(table[j].kind)->code, k->code);
				return -1;
			}
	}
	for (int k = 0; k < TL_N_KINDS; k++)
	{
		const TlKind *kind = &tl_kinds()[k];
		int			found = 0;

		for (int i = 0; i < n && !found; i++)
			found = table[i].kind == kind->id;
		if ((kind->geom & TL_GEOM_POINT) && !found)
		{
			snprintf(err, errlen, "%s takes points but has no symbol", kind->code);
			return -1;
		}
	}
	for (int b = 0; b < TL_N_BANDS; b++)
		if (find_pond_icon(tl_bands()[b].code) < 0 ||
			(band_hatched(&tl_bands()[b]) && find_hatch(tl_bands()[b].code) < 0))
		{
			snprintf(err, errlen, "band %s has no pond icon or hatch", tl_bands()[b].code);
			return -1;
		}
	return 0;
}

/* ---------------------------------------------------------------------------
 * The atlas: its icons in a fixed order, packed in rows at 1x; @2x doubles
 * every position and size.
 */
enum
{
	ICON_ARROW,
	ICON_GW_FLOW,
	ICON_POND,
	ICON_HATCH,
	ICON_KIND
};

typedef struct
{
	char		name[64];
	int			type;
	int			index;			/* band or kind position */
	int			size;			/* px at 1x, square */
	int			x,
				y;				/* px at 1x */
} Icon;

#define MAX_ICONS (2 + 2 * TL_N_BANDS + TL_N_KINDS)

/* the icons and their places; returns the count, the atlas's height at 1x in *height */
static int
layout(Icon *icons, int *height)
{
	int			n = 0,
				x = 0,
				y = 0,
				row = 0;

	icons[n++] = (Icon) {"arrow", ICON_ARROW, 0, ARROW, 0, 0};
	icons[n++] = (Icon) {"gw-flow", ICON_GW_FLOW, 0, GW_FLOW, 0, 0};
	for (int b = 0; b < TL_N_BANDS; b++)
	{
		icons[n] = (Icon) {"", ICON_POND, b, POND_ICON, 0, 0};
		snprintf(icons[n++].name, sizeof icons[0].name, "pond-%s", tl_bands()[b].code);
	}
	for (int b = 0; b < TL_N_BANDS; b++)
		if (band_hatched(&tl_bands()[b]))
		{
			icons[n] = (Icon) {"", ICON_HATCH, b, HATCH, 0, 0};
			snprintf(icons[n++].name, sizeof icons[0].name, "hatch-%s", tl_bands()[b].code);
		}
	for (int k = 0; k < TL_N_KINDS; k++)
		if (tl_kinds()[k].geom & TL_GEOM_POINT)
		{
			icons[n] = (Icon) {"", ICON_KIND, k, KIND_ICON, 0, 0};
			snprintf(icons[n++].name, sizeof icons[0].name, "%s", tl_kinds()[k].code);
		}
	for (int i = 0; i < n; i++)
	{
		if (x + icons[i].size > ATLAS_W)
		{
			x = 0;
			y += row + GAP;
			row = 0;
		}
		icons[i].x = x;
		icons[i].y = y;
		x += icons[i].size + GAP;
		if (icons[i].size > row)
			row = icons[i].size;
	}
	*height = y + row;
	return n;
}

/* the flow arrow: a chevron ">" with a white halo around a dark core, apex at +x */
static void
draw_arrow(SpriteImage *img, int x0, int y0, int size)
{
	for (int y = 0; y < size; y++)
		for (int x = 0; x < size; x++)
		{
			double		u = (x + 0.5) / size,
						v = (y + 0.5) / size;
			double		d = fabs(v - 0.5);
			double		t = 0.72 - d * 0.9;	/* the centre line: u = t, its apex at the right (+x) */
			double		dist = fabs(u - t) / sqrt(1 + 0.81);
			uint8_t    *px = img->px + img->stride * (size_t) (y0 + y) + (size_t) (x0 + x) * 4;

			if (d > 0.36 || u < 0.1 || u > 0.9)
				continue;
			if (dist < 0.07)
			{
				px[0] = 0x21, px[1] = 0x25, px[2] = 0x29, px[3] = 0xff;
			}
			else if (dist < 0.12)
			{
				px[0] = px[1] = px[2] = 0xff;
				px[3] = 0xe0;
			}
		}
}

/* a repeating hatch: diagonal lines "/" (and "\" if cross) of the band's colour, seamless across tiles */
static void
draw_hatch(SpriteImage *img, int x0, int y0, int ratio, int h, const uint8_t ink[3])
{
	int			size = HATCH * ratio;
	double		period = hatches[h].period,
				half = 0.75;	/* half the line's width, px at 1x */

	for (int y = 0; y < size; y++)
		for (int x = 0; x < size; x++)
		{
			double		a = 0;

			for (int sy = 0; sy < SPRITE_SUB; sy++)
				for (int sx = 0; sx < SPRITE_SUB; sx++)
				{
					double		u = (x + (sx + 0.5) / SPRITE_SUB) / ratio,
								v = (y + (sy + 0.5) / SPRITE_SUB) / ratio;
					double		s = fmod(u + v, period),
								t = fmod(u - v + HATCH, period);
					double		d1 = fmin(s, period - s) / M_SQRT2,
								d2 = fmin(t, period - t) / M_SQRT2;

					a += d1 <= half || (hatches[h].cross && d2 <= half);
				}
			sprite_put_pixel(img, x0 + x, y0 + y, a * ink[0], a * ink[1], a * ink[2], a);
		}
}

static int
draw_icon(SpriteImage *img, const Icon *ic, int ratio, SpriteDrawing *d)
{
	int			x0 = ic->x * ratio,
				y0 = ic->y * ratio,
				size = ic->size * ratio;
	uint8_t		ink[3] = {0, 0, 0};

	memset(d, 0, sizeof *d);
	switch (ic->type)
	{
		case ICON_ARROW:
			draw_arrow(img, x0, y0, size);
			return 0;
		case ICON_HATCH:
			sprite_parse_colour(tl_bands()[ic->index].colour, ink);
			draw_hatch(img, x0, y0, ratio, find_hatch(tl_bands()[ic->index].code), ink);
			return 0;
		case ICON_GW_FLOW:
			sprite_parse_colour(tl_category_by_id(TL_CATEGORY_ID_groundwater)->colour, ink);
			if (sprite_drawing_add(d, &gw_flow[0]) < 0)
				return -1;
			break;
		case ICON_POND:
			{
				int			p = find_pond_icon(tl_bands()[ic->index].code);

				sprite_parse_colour(tl_bands()[ic->index].colour, ink);
				for (int i = 0; i < SPRITE_MAXLAYER; i++)
					if (sprite_drawing_add(d, &pond_icons[p].layers[i]) < 0)
						return -1;
				break;
			}
		case ICON_KIND:
			{
				const TlKind *k = &tl_kinds()[ic->index];
				const SpriteSymbol *s = NULL;

				for (int i = 0; i < N_SYMBOLS && s == NULL; i++)
					if (symbols[i].kind == k->id)
						s = &symbols[i];
				if (s == NULL)
					return -1;
				sprite_parse_colour(tl_category_by_id(k->category)->colour, ink);
				{
					double		dx = shapes[s->shape].ax - 50,
								dy = shapes[s->shape].ay - 50,
								scale = shapes[s->shape].scale > 0 ? shapes[s->shape].scale : 1;
					SpriteLayer	shape = FILLED(shapes[s->shape].path, INK),
								shape2 = FILLED(shapes[s->shape].path2, INK),
								fill = {marks[s->mark].fill, 0, WHITE, dx, dy, scale},
								stroke = {marks[s->mark].stroke, marks[s->mark].width * scale,
						marks[s->mark].inverted ? INK : WHITE, dx, dy, scale};

					if (sprite_drawing_add(d, &shape) < 0 || sprite_drawing_add(d, &shape2) < 0 || sprite_drawing_add(d, &fill) < 0 ||
						sprite_drawing_add(d, &stroke) < 0)
						return -1;
				}
				break;
			}
	}
	sprite_draw(img, x0, y0, size, ic->size, d, ink);
	return 0;
}

/* ---------------------------------------------------------------------------
 * PNG: 8-bit RGBA, no filter, one IDAT.
 */
static void
put32(uint8_t *q, uint32_t v)
{
	q[0] = (uint8_t) (v >> 24);
	q[1] = (uint8_t) (v >> 16);
	q[2] = (uint8_t) (v >> 8);
	q[3] = (uint8_t) v;
}

static void
png_chunk(uint8_t **p, const char *type, const uint8_t *data, uint32_t len)
{
	uint8_t    *q = *p;

	put32(q, len);
	memcpy(q + 4, type, 4);
	if (len)
		memcpy(q + 8, data, len);
	put32(q + 8 + len, (uint32_t) crc32(0, q + 4, len + 4));
	*p = q + 12 + len;
}

uint8_t *
sprite_png(int ratio, size_t *len)
{
	Icon		icons[MAX_ICONS];
	int			height,
				n;
	SpriteImage		img;
	uint8_t    *raw = NULL,
			   *z = NULL,
			   *png = NULL,
			   *p;
	SpriteDrawing    *d = malloc(sizeof(SpriteDrawing));
	uLongf		zlen = 0;
	uint8_t		ihdr[13];
	char		err[128];

	if (d == NULL || (ratio != 1 && ratio != 2) || sprite_check(NULL, 0, err, sizeof err) < 0)
		goto fail;
	n = layout(icons, &height);
	img.w = ATLAS_W * ratio;
	img.h = height * ratio;
	img.stride = (size_t) img.w * 4 + 1;
	raw = calloc(img.stride * (size_t) img.h, 1);
	if (raw == NULL)
		goto fail;
	/* each row: its filter byte (0, none), then the pixels */
	img.px = raw + 1;
	for (int i = 0; i < n; i++)
		if (draw_icon(&img, &icons[i], ratio, d) < 0)
			goto fail;
	zlen = compressBound((uLong) (img.stride * (size_t) img.h));
	z = malloc(zlen);
	png = malloc(zlen + 64);
	if (z == NULL || png == NULL || compress2(z, &zlen, raw, (uLong) (img.stride * (size_t) img.h), 9) != Z_OK)
		goto fail;
	p = png;
	memcpy(p, "\x89PNG\r\n\x1a\n", 8);
	p += 8;
	memset(ihdr, 0, sizeof ihdr);
	put32(ihdr, (uint32_t) img.w);
	put32(ihdr + 4, (uint32_t) img.h);
	ihdr[8] = 8;				/* bit depth */
	ihdr[9] = 6;				/* RGBA */
	png_chunk(&p, "IHDR", ihdr, 13);
	png_chunk(&p, "IDAT", z, (uint32_t) zlen);
	png_chunk(&p, "IEND", NULL, 0);
	*len = (size_t) (p - png);
	free(d);
	free(raw);
	free(z);
	return png;
fail:
	free(d);
	free(raw);
	free(z);
	free(png);
	return NULL;
}

void
sprite_json(struct evbuffer *out, int ratio)
{
	Icon		icons[MAX_ICONS];
	int			height;
	int			n = layout(icons, &height);

	evbuffer_add(out, "{", 1);
	for (int i = 0; i < n; i++)
		evbuffer_add_printf(out, "%s\"%s\":{\"x\":%d,\"y\":%d,\"width\":%d,\"height\":%d,\"pixelRatio\":%d}",
							i ? "," : "", icons[i].name, icons[i].x * ratio, icons[i].y * ratio,
							icons[i].size * ratio, icons[i].size * ratio, ratio);
	evbuffer_add(out, "}", 1);
}
