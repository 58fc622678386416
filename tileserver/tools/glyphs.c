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
 * Each glyph is rendered as MapLibre expects it (glyphs_sdf.c); here are the
 * ranges, their protocol buffer encoding, the files and the workers.
 *
 * Ranges are shared among N worker processes (default: the online CPUs).
 * Exit status: 0 done, 1 a font or file error, 2 usage.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "glyphs_sdf.h"

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
do_range(SdfWork *wk, const Opts *o, const char *dir, uint32_t start, Stats *st)
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
		SdfGlyph	g;
		Buf			one = {0};
		int			r = sdf_render(wk, cp, &g);

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
			pb_bytes(&one, 2, g.bitmap, (size_t) (g.width + 2 * SDF_BORDER) * (g.height + 2 * SDF_BORDER));
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
	SdfWork		wk;
	int			rc = 0;

	memset(&wk, 0, sizeof wk);
	if (FT_Init_FreeType(&wk.lib) != 0)
		return -1;
	if ((wk.face = open_face(wk.lib, o)) == NULL || sdf_work_start(&wk) != 0)
		rc = -1;
	for (int i = w; i < nstarts && rc == 0; i += n)
		rc = do_range(&wk, o, dir, starts[i], st);
	sdf_work_free(&wk);
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


/* the ranges to make: START of each */
typedef struct Ranges
{
	uint32_t	starts[256];
	int			n;
	int			all;			/* "all": every block of the face holding a glyph */
} Ranges;

/* what the steps of main return to go on; any other value is the exit status */
#define GO_ON (-1)

static int
parse_args(int argc, char **argv, Opts *o, Ranges *rg)
{
	int			i;

	for (i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--face") == 0 && i + 1 < argc)
			o->family = argv[++i];
		else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			o->name = argv[++i];
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			o->outdir = argv[++i];
		else if (strcmp(argv[i], "-j") == 0 && i + 1 < argc)
			o->jobs = atoi(argv[++i]);
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
	if (o->outdir == NULL || i >= argc - 1)
	{
		usage(stderr);
		return 2;
	}
	o->font = argv[i++];
	for (; i < argc; i++)
	{
		unsigned	a,
					b;
		char		end;

		if (strcmp(argv[i], "all") == 0)
			rg->all = 1;
		else if (sscanf(argv[i], "%u-%u%c", &a, &b, &end) == 2 && a % 256 == 0 && b == a + 255 && b <= 65535)
		{
			int			dup = 0;

			for (int k = 0; k < rg->n; k++)
				dup |= rg->starts[k] == a;
			if (!dup)
				rg->starts[rg->n++] = a;
		}
		else
		{
			fprintf(stderr, "tailings-glyphs: a range is START-END, START a multiple of 256 and END = START+255: %s\n", argv[i]);
			return 2;
		}
	}
	return GO_ON;
}

/* the fontstack name of the face (unless --name gave one, in name) and, for "all", its ranges, sorted */
static int
read_face(Opts *o, Ranges *rg, char *name, size_t namelen)
{
	FT_Library	lib;
	FT_Face		face;

	if (FT_Init_FreeType(&lib) != 0)
		return 1;
	if ((face = open_face(lib, o)) == NULL)
	{
		FT_Done_FreeType(lib);
		return 1;
	}
	if (o->name == NULL)
	{
		snprintf(name, namelen, "%s%s%s", face->family_name ? face->family_name : "font",
				 face->style_name ? " " : "", face->style_name ? face->style_name : "");
		o->name = name;
	}
	if (rg->all)
	{
		FT_UInt		gi;
		FT_ULong	c = FT_Get_First_Char(face, &gi);

		rg->n = 0;
		while (gi != 0 && c < 65536)
		{
			uint32_t	s = (uint32_t) c & ~255u;

			if (rg->n == 0 || rg->starts[rg->n - 1] != s)
				rg->starts[rg->n++] = s;
			c = FT_Get_Next_Char(face, c, &gi);
		}
	}
	FT_Done_Face(face);
	FT_Done_FreeType(lib);
	qsort(rg->starts, (size_t) rg->n, sizeof rg->starts[0], cmp_u32);
	return GO_ON;
}

/* o->jobs worker processes over the ranges, their totals added to *total; 0, or 1 when one failed */
static int
run_workers(const Opts *o, const char *dir, const Ranges *rg, Stats *total)
{
	pid_t		pids[256];
	int			fds[256];
	int			failed = 0;

	for (int w = 0; w < o->jobs; w++)
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
			rc = worker(o, dir, rg->starts, rg->n, w, o->jobs, &st);
			if (write(p[1], &st, sizeof st) != (ssize_t) sizeof st)
				rc = -1;
			_exit(rc == 0 ? 0 : 1);
		}
		close(p[1]);
		fds[w] = p[0];
	}
	for (int w = 0; w < o->jobs; w++)
	{
		Stats		st;
		int			status;

		if (read(fds[w], &st, sizeof st) == (ssize_t) sizeof st)
		{
			total->ranges += st.ranges;
			total->glyphs += st.glyphs;
			total->bytes += st.bytes;
			total->gzbytes += st.gzbytes;
		}
		close(fds[w]);
		if (waitpid(pids[w], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	}
	return failed;
}

int
main(int argc, char **argv)
{
	Opts		o = {0};
	Ranges		rg = {{0}, 0, 0};
	char		dir[4096];
	char		name[512];
	Stats		total = {0};
	struct timespec t0,
				t1;
	int			rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((rc = parse_args(argc, argv, &o, &rg)) != GO_ON || (rc = read_face(&o, &rg, name, sizeof name)) != GO_ON)
		return rc;
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
	if (o.jobs > rg.n)
		o.jobs = rg.n > 0 ? rg.n : 1;
	if (run_workers(&o, dir, &rg, &total) != 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("tailings-glyphs: %s: %ld ranges, %ld glyphs, %.1f MB (%.1f MB gzip), %d workers, %.1f s\n",
		   dir, total.ranges, total.glyphs, total.bytes / 1e6, total.gzbytes / 1e6, o.jobs,
		   (double) (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
