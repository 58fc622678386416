/*
 * tailings-glyphs: MapLibre glyph ranges (signed distance fields in the
 * protocol buffer "glyphs" message) from a font, made at build time.
 *
 *   tailings-glyphs [--face FAMILY] [--name FONTSTACK] [-j N] --out DIR FONT RANGE...
 *
 * RANGE is START-END (START a multiple of 256, END = START+255), or "all":
 * every 256-code-point block of the Basic Multilingual Plane holding a glyph
 * of the face.  Each range with at least one glyph becomes
 * DIR/FONTSTACK/START-END.pbf and, beside it, its gzip-compressed copy
 * START-END.pbf.gz (the server sends that one to clients that accept gzip).
 * A range without a glyph in the face is not written: the server answers an
 * empty range for it.
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
 *
 * Ranges are shared among N worker processes (default: the online CPUs).
 * Exit status: 0 done, 1 a font or file error, 2 usage.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_OUTLINE_H
#include FT_BBOX_H
#include <zlib.h>

#define EM_PX 24				/* the size MapLibre's glyphs are drawn at */
#define BORDER 3				/* pixels of distance field around each glyph's box */
#define EDGE 192				/* the value on the outline */
#define PER_PX 32				/* value steps a pixel */
#define SS 4					/* supersampling of the rasterisation */
#define BIG 1e20

typedef struct Buf
{
	uint8_t    *p;
	size_t		len,
				cap;
	int			failed;
} Buf;

static void
buf_add(Buf *b, const void *data, size_t n)
{
	if (b->failed || n == 0)
		return;
	if (b->len + n > b->cap)
	{
		size_t		cap = b->cap ? b->cap : 4096;
		uint8_t    *p;

		while (cap < b->len + n)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL)
		{
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void
pb_varint(Buf *b, uint64_t v)
{
	uint8_t		tmp[10];
	size_t		n = 0;

	do
	{
		tmp[n++] = (uint8_t) ((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	buf_add(b, tmp, n);
}

/* field key: number << 3 | wire type (0 varint, 2 length-delimited) */
static void
pb_uint(Buf *b, unsigned field, uint64_t v)
{
	pb_varint(b, (uint64_t) field << 3);
	pb_varint(b, v);
}

static void
pb_sint(Buf *b, unsigned field, int32_t v)
{
	pb_uint(b, field, ((uint32_t) v << 1) ^ (uint32_t) (v >> 31));
}

static void
pb_bytes(Buf *b, unsigned field, const void *data, size_t n)
{
	pb_varint(b, (uint64_t) field << 3 | 2);
	pb_varint(b, n);
	buf_add(b, data, n);
}

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

/*
 * In place: grid[w*h] holds 0 on feature pixels and BIG elsewhere; on return,
 * the squared Euclidean distance of each pixel to the nearest feature pixel.
 */
typedef struct Scratch
{
	double	   *f,
			   *d,
			   *z;
	int		   *v;
	int			n;
} Scratch;

static int
scratch_fit(Scratch *s, int n)
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

static void
edt_2d(double *grid, int w, int h, Scratch *s)
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
typedef struct Glyph
{
	uint32_t	id;
	uint32_t	width,
				height;
	int32_t		left,
				top;
	uint32_t	advance;
	uint8_t    *bitmap;			/* (width+2*BORDER) * (height+2*BORDER), or NULL */
} Glyph;

typedef struct Work
{
	FT_Library	lib;
	FT_Face		face;
	double		ascender;		/* pixels at EM_PX */
	Scratch		s;
	double	   *out,
			   *in;
	uint8_t    *cov;
	size_t		cap;
} Work;

static int
work_fit(Work *wk, size_t n)
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

/* 0 with *g filled; 1 when the face has no glyph for cp; -1 on an error */
static int
render_glyph(Work *wk, uint32_t cp, Glyph *g)
{
	FT_UInt		gi = FT_Get_Char_Index(wk->face, cp);
	FT_GlyphSlot slot;
	FT_BBox		bb;
	FT_Bitmap	bm;
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
	bw = x1 - x0 + 2 * BORDER;
	bh = y1 - y0 + 2 * BORDER;
	fw = bw * SS;
	fh = bh * SS;
	if (work_fit(wk, (size_t) fw * fh) != 0 || scratch_fit(&wk->s, fw > fh ? fw : fh) != 0)
		return -1;

	/* the fine raster: the box with its border, the bottom-left corner at the origin */
	FT_Outline_Translate(&slot->outline, -(FT_Pos) (x0 - BORDER) * SS * 64, -(FT_Pos) (y0 - BORDER) * SS * 64);
	memset(wk->cov, 0, (size_t) fw * fh);
	memset(&bm, 0, sizeof bm);
	bm.rows = (unsigned) fh;
	bm.width = (unsigned) fw;
	bm.pitch = fw;
	bm.buffer = wk->cov;
	bm.num_grays = 256;
	bm.pixel_mode = FT_PIXEL_MODE_GRAY;
	if (FT_Outline_Get_Bitmap(wk->lib, &slot->outline, &bm) != 0)
		return -1;

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

/* ---------------------------------------------------------------------------
 * ranges and files
 */
static int
write_file(const char *path, const void *data, size_t len)
{
	char		tmp[4200];
	FILE	   *f;

	snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long) getpid());
	if ((f = fopen(tmp, "wb")) == NULL)
		return -1;
	if ((len > 0 && fwrite(data, 1, len, f) != len) | (fclose(f) != 0) || rename(tmp, path) != 0)
	{
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* gzip (RFC 1952) of data, no name nor time in the header, so equal input gives equal files */
static int
gzip_bytes(const uint8_t *data, size_t len, Buf *out)
{
	z_stream	z;
	int			rc;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	out->len = 0;
	{
		size_t		bound = deflateBound(&z, (uLong) len);

		if (out->cap < bound)
		{
			uint8_t    *p = realloc(out->p, bound);

			if (p == NULL)
			{
				deflateEnd(&z);
				return -1;
			}
			out->p = p;
			out->cap = bound;
		}
	}
	z.next_in = (Bytef *) data;
	z.avail_in = (uInt) len;
	z.next_out = out->p;
	z.avail_out = (uInt) out->cap;
	rc = deflate(&z, Z_FINISH);
	out->len = z.total_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -1;
}

typedef struct Opts
{
	const char *font;
	const char *family;
	const char *name;
	const char *outdir;
	int			jobs;
} Opts;

/* the face of the file named family (or the first face); NULL with a message */
static FT_Face
open_face(FT_Library lib, const Opts *o)
{
	FT_Face		face = NULL;
	long		n;

	if (FT_New_Face(lib, o->font, -1, &face) != 0)
	{
		fprintf(stderr, "tailings-glyphs: cannot open the font %s\n", o->font);
		return NULL;
	}
	n = face->num_faces;
	FT_Done_Face(face);
	for (long i = 0; i < n; i++)
	{
		if (FT_New_Face(lib, o->font, i, &face) != 0)
			break;
		if (o->family == NULL || (face->family_name && strcmp(face->family_name, o->family) == 0))
			return face;
		FT_Done_Face(face);
	}
	fprintf(stderr, "tailings-glyphs: %s has no face of the family \"%s\"\n", o->font, o->family ? o->family : "");
	return NULL;
}

typedef struct Stats
{
	long		ranges,
				glyphs;
	unsigned long long bytes,
				gzbytes;
} Stats;

/* render range start..start+255 into its files; 0 done (or nothing to write), -1 error */
static int
do_range(Work *wk, const Opts *o, const char *dir, uint32_t start, Stats *st)
{
	Buf			glyphs = {0},
				stack = {0},
				msg = {0},
				gz = {0};
	char		range[32],
				path[4200];
	int			n = 0,
				rc = -1;

	snprintf(range, sizeof range, "%u-%u", start, start + 255);
	for (uint32_t cp = start; cp <= start + 255; cp++)
	{
		Glyph		g;
		Buf			one = {0};
		int			r = render_glyph(wk, cp, &g);

		if (r < 0)
		{
			fprintf(stderr, "tailings-glyphs: cannot render U+%04X\n", cp);
			free(g.bitmap);
			goto done;
		}
		if (r > 0)
			continue;
		pb_uint(&one, 1, g.id);
		if (g.bitmap)
			pb_bytes(&one, 2, g.bitmap, (size_t) (g.width + 2 * BORDER) * (g.height + 2 * BORDER));
		pb_uint(&one, 3, g.width);
		pb_uint(&one, 4, g.height);
		pb_sint(&one, 5, g.left);
		pb_sint(&one, 6, g.top);
		pb_uint(&one, 7, g.advance);
		free(g.bitmap);
		pb_bytes(&glyphs, 3, one.p, one.len);
		free(one.p);
		if (one.failed)
			glyphs.failed = 1;
		n++;
	}
	if (n == 0)
	{
		rc = 0;
		goto done;
	}
	pb_bytes(&stack, 1, o->name, strlen(o->name));
	pb_bytes(&stack, 2, range, strlen(range));
	buf_add(&stack, glyphs.p, glyphs.len);
	pb_bytes(&msg, 1, stack.p, stack.len);
	if (glyphs.failed || stack.failed || msg.failed || gzip_bytes(msg.p, msg.len, &gz) != 0)
	{
		fprintf(stderr, "tailings-glyphs: out of memory\n");
		goto done;
	}
	snprintf(path, sizeof path, "%s/%s.pbf", dir, range);
	if (write_file(path, msg.p, msg.len) != 0)
		goto fail_write;
	snprintf(path, sizeof path, "%s/%s.pbf.gz", dir, range);
	if (write_file(path, gz.p, gz.len) != 0)
		goto fail_write;
	st->ranges++;
	st->glyphs += n;
	st->bytes += msg.len;
	st->gzbytes += gz.len;
	rc = 0;
	goto done;
fail_write:
	fprintf(stderr, "tailings-glyphs: cannot write %s: %s\n", path, strerror(errno));
done:
	free(glyphs.p);
	free(stack.p);
	free(msg.p);
	free(gz.p);
	return rc;
}

/* worker w of n: ranges w, w+n, ...; its totals on the pipe fd */
static int
worker(const Opts *o, const char *dir, const uint32_t *starts, int nstarts, int w, int n, Stats *st)
{
	Work		wk;
	int			rc = 0;

	memset(&wk, 0, sizeof wk);
	if (FT_Init_FreeType(&wk.lib) != 0)
		return -1;
	if ((wk.face = open_face(wk.lib, o)) == NULL ||
		FT_Set_Pixel_Sizes(wk.face, 0, EM_PX * SS) != 0)
		rc = -1;
	if (rc == 0)
	{
		/* the ascender at EM_PX, whole pixels up (as FreeType's own size metrics) */
		wk.ascender = ceil((double) wk.face->ascender * EM_PX / wk.face->units_per_EM);
		for (int i = w; i < nstarts && rc == 0; i += n)
			rc = do_range(&wk, o, dir, starts[i], st);
	}
	free(wk.s.f);
	free(wk.s.d);
	free(wk.s.z);
	free(wk.s.v);
	free(wk.out);
	free(wk.in);
	free(wk.cov);
	if (wk.face)
		FT_Done_Face(wk.face);
	FT_Done_FreeType(wk.lib);
	return rc;
}

static void
usage(FILE *f)
{
	fputs("usage: tailings-glyphs [--face FAMILY] [--name FONTSTACK] [-j N] --out DIR FONT RANGE...\n"
		  "Renders MapLibre glyph ranges (signed distance fields, 24 px em, 3 px border) of a font into\n"
		  "DIR/FONTSTACK/START-END.pbf and .pbf.gz.\n"
		  "  --face FAMILY     the face of a collection (.ttc) of this family name (default: the first)\n"
		  "  --name FONTSTACK  the fontstack name (default: the face's family and style names)\n"
		  "  -j N              worker processes (default: the online CPUs)\n"
		  "  RANGE             START-END, START a multiple of 256 and END = START+255; or \"all\": every\n"
		  "                    block of the Basic Multilingual Plane holding a glyph of the face\n", f);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *) a,
				y = *(const uint32_t *) b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	Opts		o = {0};
	uint32_t	starts[256];
	int			nstarts = 0,
				all = 0,
				i;
	char		dir[4096];
	char		name[512];
	FT_Library	lib;
	FT_Face		face;
	Stats		total = {0};
	struct timespec t0,
				t1;
	int			failed = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--face") == 0 && i + 1 < argc)
			o.family = argv[++i];
		else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			o.name = argv[++i];
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			o.outdir = argv[++i];
		else if (strcmp(argv[i], "-j") == 0 && i + 1 < argc)
			o.jobs = atoi(argv[++i]);
		else if (strcmp(argv[i], "--help") == 0)
		{
			usage(stdout);
			return 0;
		}
		else if (argv[i][0] == '-')
		{
			usage(stderr);
			return 2;
		}
		else
			break;
	}
	if (o.outdir == NULL || i >= argc - 1)
	{
		usage(stderr);
		return 2;
	}
	o.font = argv[i++];
	for (; i < argc; i++)
	{
		unsigned	a,
					b;
		char		end;

		if (strcmp(argv[i], "all") == 0)
			all = 1;
		else if (sscanf(argv[i], "%u-%u%c", &a, &b, &end) == 2 && a % 256 == 0 && b == a + 255 && b <= 65535)
		{
			int			dup = 0;

			for (int k = 0; k < nstarts; k++)
				dup |= starts[k] == a;
			if (!dup)
				starts[nstarts++] = a;
		}
		else
		{
			fprintf(stderr, "tailings-glyphs: a range is START-END, START a multiple of 256 and END = START+255: %s\n", argv[i]);
			return 2;
		}
	}

	if (FT_Init_FreeType(&lib) != 0)
		return 1;
	if ((face = open_face(lib, &o)) == NULL)
	{
		FT_Done_FreeType(lib);
		return 1;
	}
	if (o.name == NULL)
	{
		snprintf(name, sizeof name, "%s%s%s", face->family_name ? face->family_name : "font",
				 face->style_name ? " " : "", face->style_name ? face->style_name : "");
		o.name = name;
	}
	if (all)
	{
		FT_UInt		gi;
		FT_ULong	c = FT_Get_First_Char(face, &gi);

		nstarts = 0;
		while (gi != 0 && c < 65536)
		{
			uint32_t	s = (uint32_t) c & ~255u;

			if (nstarts == 0 || starts[nstarts - 1] != s)
				starts[nstarts++] = s;
			c = FT_Get_Next_Char(face, c, &gi);
		}
	}
	FT_Done_Face(face);
	FT_Done_FreeType(lib);
	qsort(starts, (size_t) nstarts, sizeof starts[0], cmp_u32);
	if (strchr(o.name, '/') || strchr(o.name, ',') || o.name[0] == '.' || o.name[0] == '\0')
	{
		fprintf(stderr, "tailings-glyphs: a fontstack name has no '/' nor ',' and does not start with '.'\n");
		return 2;
	}
	snprintf(dir, sizeof dir, "%s/%s", o.outdir, o.name);
	if ((mkdir(o.outdir, 0777) != 0 && errno != EEXIST) || (mkdir(dir, 0777) != 0 && errno != EEXIST))
	{
		fprintf(stderr, "tailings-glyphs: cannot create %s: %s\n", dir, strerror(errno));
		return 1;
	}

	if (o.jobs <= 0)
	{
		long		n = sysconf(_SC_NPROCESSORS_ONLN);

		o.jobs = n > 0 ? (int) n : 1;
	}
	if (o.jobs > nstarts)
		o.jobs = nstarts > 0 ? nstarts : 1;
	{
		pid_t		pids[256];
		int			fds[256];

		for (int w = 0; w < o.jobs; w++)
		{
			int			p[2];

			if (pipe(p) != 0 || (pids[w] = fork()) < 0)
			{
				fprintf(stderr, "tailings-glyphs: cannot start a worker: %s\n", strerror(errno));
				return 1;
			}
			if (pids[w] == 0)
			{
				Stats		st = {0};
				int			rc;

				close(p[0]);
				rc = worker(&o, dir, starts, nstarts, w, o.jobs, &st);
				if (write(p[1], &st, sizeof st) != (ssize_t) sizeof st)
					rc = -1;
				_exit(rc == 0 ? 0 : 1);
			}
			close(p[1]);
			fds[w] = p[0];
		}
		for (int w = 0; w < o.jobs; w++)
		{
			Stats		st;
			int			status;

			if (read(fds[w], &st, sizeof st) == (ssize_t) sizeof st)
			{
				total.ranges += st.ranges;
				total.glyphs += st.glyphs;
				total.bytes += st.bytes;
				total.gzbytes += st.gzbytes;
			}
			close(fds[w]);
			if (waitpid(pids[w], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
				failed = 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (failed)
		return 1;
	printf("tailings-glyphs: %s: %ld ranges, %ld glyphs, %.1f MB (%.1f MB gzip), %d workers, %.1f s\n",
		   dir, total.ranges, total.glyphs, total.bytes / 1e6, total.gzbytes / 1e6, o.jobs,
		   (double) (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
