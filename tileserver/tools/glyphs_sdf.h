/*
 * glyphs_sdf.h - one glyph of a FreeType face as a MapLibre signed distance
 * field (glyphs_sdf.c), for tailings-glyphs (glyphs.c).
 */
#ifndef TAILINGS_GLYPHS_SDF_H
#define TAILINGS_GLYPHS_SDF_H

#include <stddef.h>
#include <stdint.h>

#include <ft2build.h>
#include FT_FREETYPE_H

#define SDF_BORDER 3			/* pixels of distance field around each glyph's box */

typedef struct SdfGlyph
{
	uint32_t	id;
	uint32_t	width,
				height;
	int32_t		left,
				top;
	uint32_t	advance;
	uint8_t    *bitmap;			/* (width+2*SDF_BORDER) * (height+2*SDF_BORDER), or NULL */
} SdfGlyph;

/* scratch of the separable distance transform (one line of samples) */
typedef struct SdfScratch
{
	double	   *f,
			   *d,
			   *z;
	int		   *v;
	int			n;
} SdfScratch;

/* a face and the buffers its glyphs are rendered in; zeroed, then lib and face set */
typedef struct SdfWork
{
	FT_Library	lib;
	FT_Face		face;
	double		ascender;		/* pixels at the em size */
	SdfScratch	s;
	double	   *out,
			   *in;
	uint8_t    *cov;
	size_t		cap;
} SdfWork;

/* size wk->face for rendering; 0, or -1 when FreeType cannot */
int			sdf_work_start(SdfWork *wk);
/* 0 with *g filled; 1 when the face has no glyph for cp; -1 on an error */
int			sdf_render(SdfWork *wk, uint32_t cp, SdfGlyph *g);
/* the buffers (not the face nor the library) */
void		sdf_work_free(SdfWork *wk);

#endif
