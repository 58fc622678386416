/*
 * glyphs_sdf.c - one glyph of a face as a signed distance field.
 *
 * The conventions are the ones of the Mapbox GL / MapLibre ecosystem
 * (node-fontnik, sdf-glyph-foundry), which MapLibre's shaders and text
 * layout assume: a 24 px em, a 3 px border around each glyph's box, one
 * byte a pixel, 192 on the outline, 32 levels a pixel (255 two pixels
 * inside, 0 six pixels outside); left and top of the box in whole pixels,
 * top measured from the ascender; advance in whole pixels.
 *
 * The distance field: the glyph is rasterised unhinted at SS times the size
 * (FreeType, anti-aliased coverage, inside where it is at least half), the
 * Euclidean distance from every fine pixel to the nearest pixel of the other
 * side is computed exactly by the separable transform of Felzenszwalb and
 * Huttenlocher (linear in the pixel count), and each output pixel takes the
 * mean signed distance of the SSxSS fine pixels at its centre.
 */
#include "glyphs_sdf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include FT_OUTLINE_H
#include FT_BBOX_H

#define EM_PX 24				/* the size MapLibre's glyphs are drawn at */
#define EDGE 192				/* the value on the outline */
#define PER_PX 32				/* value steps a pixel */
#define SS 4					/* supersampling of the rasterisation */
#define BIG 1e20

/* ---------------------------------------------------------------------------
 * the distance transform
 */

/*
 * Squared distances along one line of n samples: d[q] = min over p of
 * (q-p)^2 + f[p] (the lower envelope of parabolas).  v and z are scratch of
 * n and n+1 entries.
 */
static void
edt_1d(const double *f, double *d, int n, int *v, double *z)
{
	int			k = 0;

	v[0] = 0;
	z[0] = -BIG;
	z[1] = BIG;
	for (int q = 1; q < n; q++)
	{
		double		s;

		/* BIG stands for infinity: such a parabola lies above the others wherever one is finite */
		for (;;)
		{
			int			p = v[k];

			s = ((f[q] + (double) q * q) - (f[p] + (double) p * p)) / (2.0 * q - 2.0 * p);
			if (s > z[k] || k == 0)
				break;
			k--;
		}
		if (s <= z[k])
		{
			/* k == 0 and q's parabola is lower everywhere: it replaces it */
			v[0] = q;
			z[1] = BIG;
			continue;
		}
		k++;
		v[k] = q;
		z[k] = s;
		z[k + 1] = BIG;
	}
	k = 0;
	for (int q = 0; q < n; q++)
	{
		while (z[k + 1] < q)
			k++;
		d[q] = (double) (q - v[k]) * (q - v[k]) + f[v[k]];
	}
}

static int
scratch_fit(SdfScratch *s, int n)
{
	if (n <= s->n)
		return 0;
	free(s->f);
	free(s->d);
	free(s->z);
	free(s->v);
	s->f = malloc(sizeof(double) * n);
	s->d = malloc(sizeof(double) * n);
	s->z = malloc(sizeof(double) * (n + 1));
	s->v = malloc(sizeof(int) * n);
	s->n = n;
	return s->f && s->d && s->z && s->v ? 0 : -1;
}

/*
 * In place: grid[w*h] holds 0 on feature pixels and BIG elsewhere; on return,
 * the squared Euclidean distance of each pixel to the nearest feature pixel.
 */
static void
edt_2d(double *grid, int w, int h, SdfScratch *s)
{
	for (int x = 0; x < w; x++)
	{
		for (int y = 0; y < h; y++)
			s->f[y] = grid[(size_t) y * w + x];
		edt_1d(s->f, s->d, h, s->v, s->z);
		for (int y = 0; y < h; y++)
			grid[(size_t) y * w + x] = s->d[y];
	}
	for (int y = 0; y < h; y++)
	{
		memcpy(s->f, grid + (size_t) y * w, sizeof(double) * w);
		edt_1d(s->f, grid + (size_t) y * w, w, s->v, s->z);
	}
}

/* ---------------------------------------------------------------------------
 * one glyph
 */
static int
work_fit(SdfWork *wk, size_t n)
{
	if (n <= wk->cap)
		return 0;
	free(wk->out);
	free(wk->in);
	free(wk->cov);
	wk->out = malloc(sizeof(double) * n);
	wk->in = malloc(sizeof(double) * n);
	wk->cov = malloc(n);
	wk->cap = n;
	return wk->out && wk->in && wk->cov ? 0 : -1;
}

/* the fine raster of the outline, its box's corner (x0, y0) less the border at the origin, in wk->cov */
static int
sdf_raster(SdfWork *wk, FT_Outline *outline, int x0, int y0, int fw, int fh)
{
	FT_Bitmap	bm;

	FT_Outline_Translate(outline, -(FT_Pos) (x0 - SDF_BORDER) * SS * 64, -(FT_Pos) (y0 - SDF_BORDER) * SS * 64);
	memset(wk->cov, 0, (size_t) fw * fh);
	memset(&bm, 0, sizeof bm);
	bm.rows = (unsigned) fh;
	bm.width = (unsigned) fw;
	bm.pitch = fw;
	bm.buffer = wk->cov;
	bm.num_grays = 256;
	bm.pixel_mode = FT_PIXEL_MODE_GRAY;
	return FT_Outline_Get_Bitmap(wk->lib, outline, &bm) != 0 ? -1 : 0;
}

/* the distance field of bw x bh output pixels from the fine raster in wk->cov, into g->bitmap */
static int
sdf_field(SdfWork *wk, SdfGlyph *g, int bw, int bh)
{
	int			fw = bw * SS,
				fh = bh * SS;

	/* distances to the nearest inside pixel (out) and to the nearest outside pixel (in) */
	for (size_t i = 0; i < (size_t) fw * fh; i++)
	{
		int			inside = wk->cov[i] >= 128;

		wk->out[i] = inside ? 0 : BIG;
		wk->in[i] = inside ? BIG : 0;
	}
	edt_2d(wk->out, fw, fh, &wk->s);
	edt_2d(wk->in, fw, fh, &wk->s);

	if ((g->bitmap = malloc((size_t) bw * bh)) == NULL)
		return -1;
	for (int y = 0; y < bh; y++)
		for (int x = 0; x < bw; x++)
		{
			double		sum = 0;
			long		v;

			/* the SSxSS fine pixels of the output pixel; the outline lies half a fine pixel between sides */
			for (int j = 0; j < SS; j++)
				for (int i = 0; i < SS; i++)
				{
					size_t		k = (size_t) (y * SS + j) * fw + (size_t) (x * SS + i);

					if (wk->in[k] > 0)
						sum -= sqrt(wk->in[k]) - 0.5;
					else
						sum += sqrt(wk->out[k]) - 0.5;
				}
			/* fine pixels to output pixels; positive outside */
			v = lround(EDGE - PER_PX * (sum / (SS * SS) / SS));
			g->bitmap[(size_t) y * bw + x] = (uint8_t) (v < 0 ? 0 : v > 255 ? 255 : v);
		}
	return 0;
}

int
sdf_render(SdfWork *wk, uint32_t cp, SdfGlyph *g)
{
	FT_UInt		gi = FT_Get_Char_Index(wk->face, cp);
	FT_GlyphSlot slot;
	FT_BBox		bb;
	int			x0,
				y0,
				x1,
				y1,
				fw,
				fh,
				bw,
				bh;

	memset(g, 0, sizeof *g);
	if (gi == 0)
		return 1;
	if (FT_Load_Glyph(wk->face, gi, FT_LOAD_NO_HINTING | FT_LOAD_NO_BITMAP) != 0)
		return -1;
	slot = wk->face->glyph;
	g->id = cp;
	g->advance = (uint32_t) lround(slot->metrics.horiAdvance / (64.0 * SS));
	if (slot->format != FT_GLYPH_FORMAT_OUTLINE || slot->outline.n_points == 0)
	{
		/* a blank: metrics only */
		g->top = (int32_t) lround(-wk->ascender);
		return 0;
	}
	FT_Outline_Get_BBox(&slot->outline, &bb);
	x0 = (int) floor(bb.xMin / (64.0 * SS));
	y0 = (int) floor(bb.yMin / (64.0 * SS));
	x1 = (int) ceil(bb.xMax / (64.0 * SS));
	y1 = (int) ceil(bb.yMax / (64.0 * SS));
	if (x1 <= x0 || y1 <= y0)
	{
		g->top = (int32_t) lround(-wk->ascender);
		return 0;
	}
	g->width = (uint32_t) (x1 - x0);
	g->height = (uint32_t) (y1 - y0);
	g->left = x0;
	g->top = (int32_t) lround(y1 - wk->ascender);
	bw = x1 - x0 + 2 * SDF_BORDER;
	bh = y1 - y0 + 2 * SDF_BORDER;
	fw = bw * SS;
	fh = bh * SS;
	if (work_fit(wk, (size_t) fw * fh) != 0 || scratch_fit(&wk->s, fw > fh ? fw : fh) != 0)
		return -1;
	/* the fine raster: the box with its border, the bottom-left corner at the origin */
	if (sdf_raster(wk, &slot->outline, x0, y0, fw, fh) != 0)
		return -1;
	return sdf_field(wk, g, bw, bh);
}

int
sdf_work_start(SdfWork *wk)
{
	if (FT_Set_Pixel_Sizes(wk->face, 0, EM_PX * SS) != 0)
		return -1;
	/* the ascender at EM_PX, whole pixels up (as FreeType's own size metrics) */
	wk->ascender = ceil((double) wk->face->ascender * EM_PX / wk->face->units_per_EM);
	return 0;
}

void
sdf_work_free(SdfWork *wk)
{
	free(wk->s.f);
	free(wk->s.d);
	free(wk->s.z);
	free(wk->s.v);
	free(wk->out);
	free(wk->in);
	free(wk->cov);
}
