/*
 * shape.c - WKB into vertices and parts, and the shape-box test (shape.h).
 */
#include "shape.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* a WKB reader over bytes */
typedef struct Reader
{
	const uint8_t *p;
	size_t		len,
				pos;
	int			depth;
} Reader;

static int
read_u32(Reader *r, int little, uint32_t *v)
{
	const uint8_t *b;

	if (r->len - r->pos < 4)
		return -1;
	b = r->p + r->pos;
	*v = little ? (uint32_t) b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16 | (uint32_t) b[3] << 24
		: (uint32_t) b[3] | (uint32_t) b[2] << 8 | (uint32_t) b[1] << 16 | (uint32_t) b[0] << 24;
	r->pos += 4;
	return 0;
}

static int
read_f64(Reader *r, int little, double *v)
{
	uint64_t	u = 0;

	if (r->len - r->pos < 8)
		return -1;
	for (int i = 0; i < 8; i++)
		u |= (uint64_t) r->p[r->pos + (size_t) (little ? i : 7 - i)] << (8 * i);
	memcpy(v, &u, sizeof *v);
	r->pos += 8;
	return 0;
}

static int
add_part(Shape *s, int kind, size_t at, size_t n)
{
	ShapePart  *grown = realloc(s->parts, (s->nparts + 1) * sizeof *grown);

	if (grown == NULL)
		return -1;
	s->parts = grown;
	s->parts[s->nparts].kind = kind;
	s->parts[s->nparts].at = at;
	s->parts[s->nparts].n = n;
	s->nparts++;
	return 0;
}

/* n vertices of dims coordinates into xy (NaN ones, as of an empty point, left out); their count in *kept */
static int
read_points(Reader *r, Shape *s, int little, int dims, uint32_t n, size_t *kept)
{
	double	   *grown;

	*kept = 0;
	if (n > (r->len - r->pos) / (8u * (unsigned) dims))
		return -1;
	if ((grown = realloc(s->xy, (s->nxy + n) * 2 * sizeof *grown)) == NULL)
		return -1;
	s->xy = grown;
	for (uint32_t i = 0; i < n; i++)
	{
		double		c[4];

		for (int d = 0; d < dims; d++)
			if (read_f64(r, little, &c[d]) != 0)
				return -1;
		if (isnan(c[0]) || isnan(c[1]))
			continue;
		s->xy[2 * s->nxy] = c[0];
		s->xy[2 * s->nxy + 1] = c[1];
		s->nxy++;
		(*kept)++;
	}
	return 0;
}

static int	read_geometry(Reader *r, Shape *s);

/* one geometry at r (its byte order, type, then its coordinates or members) */
static int
read_one(Reader *r, Shape *s)
{
	uint8_t		order;
	uint32_t	type,
				n;
	int			little,
				dims = 2,
				base;
	size_t		at,
				kept;

	if (r->len - r->pos < 1)
		return -1;
	order = r->p[r->pos++];
	if (order > 1)
		return -1;
	little = order == 1;
	if (read_u32(r, little, &type) != 0)
		return -1;
	/* extended WKB: flags for Z, M and an SRID; ISO: 1000s for Z, M, ZM */
	if (type & 0x20000000)
	{
		uint32_t	srid;

		if (read_u32(r, little, &srid) != 0)
			return -1;
	}
	dims += (type & 0x80000000) ? 1 : 0;
	dims += (type & 0x40000000) ? 1 : 0;
	type &= 0x0fffffff;
	dims += type / 1000 == 1 || type / 1000 == 2 ? 1 : type / 1000 == 3 ? 2 : 0;
	if (type / 1000 > 3 || dims > 4)
		return -1;
	base = (int) (type % 1000);
	switch (base)
	{
		case 1:
			at = s->nxy;
			if (read_points(r, s, little, dims, 1, &kept) != 0)
				return -1;
			return kept ? add_part(s, SHAPE_POINTS, at, kept) : 0;
		case 2:
			at = s->nxy;
			if (read_u32(r, little, &n) != 0 || read_points(r, s, little, dims, n, &kept) != 0)
				return -1;
			return kept ? add_part(s, SHAPE_LINE, at, kept) : 0;
		case 3:
			{
				uint32_t	rings;

				if (read_u32(r, little, &rings) != 0 || rings > r->len - r->pos)
					return -1;
				for (uint32_t i = 0; i < rings; i++)
				{
					at = s->nxy;
					if (read_u32(r, little, &n) != 0 || read_points(r, s, little, dims, n, &kept) != 0)
						return -1;
					if (kept && add_part(s, SHAPE_RING, at, kept) != 0)
						return -1;
				}
				return 0;
			}
		case 4:
		case 5:
		case 6:
		case 7:
			if (read_u32(r, little, &n) != 0 || n > r->len - r->pos)
				return -1;
			for (uint32_t i = 0; i < n; i++)
				if (read_geometry(r, s) != 0)
					return -1;
			return 0;
		default:
			return -1;
	}
}

/* read_one, collections nested 32 deep at most */
static int
read_geometry(Reader *r, Shape *s)
{
	int			rc;

	if (++r->depth > 32)
		return -1;
	rc = read_one(r, s);
	r->depth--;
	return rc;
}

int
shape_from_wkb(const uint8_t *wkb, size_t len, Shape *s)
{
	Reader		r = {wkb, len, 0, 0};

	memset(s, 0, sizeof *s);
	if (read_geometry(&r, s) != 0 || r.pos != len)
	{
		shape_free(s);
		return -1;
	}
	for (size_t i = 0; i < s->nxy; i++)
	{
		double		x = s->xy[2 * i],
					y = s->xy[2 * i + 1];

		if (i == 0 || x < s->box.xmin)
			s->box.xmin = x;
		if (i == 0 || x > s->box.xmax)
			s->box.xmax = x;
		if (i == 0 || y < s->box.ymin)
			s->box.ymin = y;
		if (i == 0 || y > s->box.ymax)
			s->box.ymax = y;
	}
	return 0;
}

void
shape_free(Shape *s)
{
	free(s->parts);
	free(s->xy);
	memset(s, 0, sizeof *s);
}

static int
inside(const Box *b, double x, double y)
{
	return x >= b->xmin && x <= b->xmax && y >= b->ymin && y <= b->ymax;
}

/* the segment meets the closed box (Liang-Barsky: the part of the segment between the box's slabs) */
static int
segment_meets(const Box *b, double x0, double y0, double x1, double y1)
{
	double		t0 = 0,
				t1 = 1;
	double		d[2] = {x1 - x0, y1 - y0};
	double		lo[2] = {b->xmin - x0, b->ymin - y0};
	double		hi[2] = {b->xmax - x0, b->ymax - y0};

	for (int k = 0; k < 2; k++)
	{
		if (d[k] == 0)
		{
			if (lo[k] > 0 || hi[k] < 0)
				return 0;
			continue;
		}
		{
			double		a = lo[k] / d[k],
						c = hi[k] / d[k];

			if (a > c)
			{
				double		t = a;

				a = c;
				c = t;
			}
			if (a > t0)
				t0 = a;
			if (c < t1)
				t1 = c;
			if (t0 > t1)
				return 0;
		}
	}
	return 1;
}

int
shape_reaches(const Shape *s, const Box *b)
{
	int			crossings = 0,
				polygon = 0;
	double		cx = (b->xmin + b->xmax) / 2,
				cy = (b->ymin + b->ymax) / 2;

	if (!box_intersects(&s->box, b))
		return 0;
	for (size_t p = 0; p < s->nparts; p++)
	{
		const ShapePart *part = &s->parts[p];
		const double *v = s->xy + 2 * part->at;

		for (size_t i = 0; i < part->n; i++)
			if (inside(b, v[2 * i], v[2 * i + 1]))
				return 1;
		if (part->kind == SHAPE_POINTS)
			continue;
		for (size_t i = 0; i + 1 < part->n; i++)
			if (segment_meets(b, v[2 * i], v[2 * i + 1], v[2 * i + 2], v[2 * i + 3]))
				return 1;
		if (part->kind != SHAPE_RING)
			continue;
		/* no edge in the box: the box is wholly inside or outside; its centre says which (even-odd over every ring) */
		polygon = 1;
		for (size_t i = 0, j = part->n - 1; i < part->n; j = i++)
		{
			double		xi = v[2 * i],
						yi = v[2 * i + 1],
						xj = v[2 * j],
						yj = v[2 * j + 1];

			if ((yi > cy) != (yj > cy) && cx < (xj - xi) * (cy - yi) / (yj - yi) + xi)
				crossings++;
		}
	}
	return polygon && (crossings & 1);
}
