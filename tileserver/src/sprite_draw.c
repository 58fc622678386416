/*
 * sprite_draw.c - the sprite's rasteriser: paths parsed from their text,
 * drawings of up to four of them, and each drawing sampled SPRITE_SUB x
 * SPRITE_SUB times per pixel (antialiased) in the icon's colour ("ink") or
 * white, over a white halo that follows the drawing's outline.
 */
#include "sprite_draw.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ARC_STEP 6.0			/* degrees per segment of an arc */
#define HALO_PX 1.5				/* the white halo, pixels at 1x */

static int
path_add(SpritePath *p, double ax, double ay, double bx, double by)
{
	if (p->n >= SPRITE_MAXSEG)
		return -1;
	p->seg[p->n++] = (SpriteSeg) {ax, ay, bx, by};
	return 0;
}

/* parse s, every point scaled about (50, 50) then moved by (dx, dy), into p; -1 on a malformed path */
static int
path_parse(const char *s, double dx, double dy, double scale, int fill, SpritePath *p)
{
	double		cx = 0,
				cy = 0,
				sx = 0,
				sy = 0;
	int			have = 0;		/* a current point */

	p->n = 0;
	while (*s)
	{
		char		cmd = *s++;
		double		v[5];
		int			nv = cmd == 'M' || cmd == 'L' ? 2 : cmd == 'A' ? 5 : 0;

		if (cmd == ' ')
			continue;
		if (cmd != 'M' && cmd != 'L' && cmd != 'A' && cmd != 'Z')
			return -1;
		for (int i = 0; i < nv; i++)
		{
			char	   *end;

			v[i] = strtod(s, &end);
			if (end == s)
				return -1;
			s = end;
		}
		/* scaled about (50, 50): points, an arc's centre and radius */
		for (int i = 0; i < (cmd == 'A' ? 3 : nv); i++)
			v[i] = i == 2 ? v[i] * scale : 50 + (v[i] - 50) * scale;
		if (cmd == 'M')
		{
			if (fill && have && (cx != sx || cy != sy) && path_add(p, cx, cy, sx, sy) < 0)
				return -1;
			cx = sx = v[0] + dx;
			cy = sy = v[1] + dy;
			have = 1;
		}
		else if (cmd == 'L')
		{
			if (!have || path_add(p, cx, cy, v[0] + dx, v[1] + dy) < 0)
				return -1;
			cx = v[0] + dx;
			cy = v[1] + dy;
		}
		else if (cmd == 'A')
		{
			int			steps = (int) ceil(fabs(v[4] - v[3]) / ARC_STEP);

			if (v[2] <= 0 || steps < 1)
				return -1;
			for (int i = 0; i <= steps; i++)
			{
				double		a = (v[3] + (v[4] - v[3]) * i / steps) * M_PI / 180;
				double		x = v[0] + dx + v[2] * cos(a),
							y = v[1] + dy + v[2] * sin(a);

				if (!have)
				{
					sx = x;
					sy = y;
					have = 1;
				}
				else if (path_add(p, cx, cy, x, y) < 0)
					return -1;
				cx = x;
				cy = y;
			}
		}
		else
		{
			if (!have || path_add(p, cx, cy, sx, sy) < 0)
				return -1;
			cx = sx;
			cy = sy;
		}
	}
	if (fill && have && (cx != sx || cy != sy) && path_add(p, cx, cy, sx, sy) < 0)
		return -1;
	return p->n > 0 || (!fill && have) ? 0 : -1;
}

/* distance from (x, y) to the path; *inside: the point is inside it (even-odd) */
static double
path_distance(const SpritePath *p, double x, double y, int *inside)
{
	double		best = INFINITY;
	int			in = 0;

	for (int i = 0; i < p->n; i++)
	{
		const SpriteSeg  *s = &p->seg[i];
		double		ex = s->bx - s->ax,
					ey = s->by - s->ay;
		double		len2 = ex * ex + ey * ey;
		double		t = len2 > 0 ? ((x - s->ax) * ex + (y - s->ay) * ey) / len2 : 0;
		double		qx,
					qy,
					d;

		t = t < 0 ? 0 : t > 1 ? 1 : t;
		qx = s->ax + t * ex - x;
		qy = s->ay + t * ey - y;
		d = qx * qx + qy * qy;
		if (d < best)
			best = d;
		if ((s->ay > y) != (s->by > y) && x < s->ax + (y - s->ay) * ex / ey)
			in = !in;
	}
	*inside = in;
	return sqrt(best);
}

int
sprite_drawing_add(SpriteDrawing *d, const SpriteLayer *l)
{
	if (l->path == NULL)
		return 0;
	if (d->n >= SPRITE_MAXLAYER || path_parse(l->path, l->dx, l->dy, l->scale > 0 ? l->scale : 1, l->width == 0, &d->path[d->n]) < 0)
		return -1;
	d->width[d->n] = l->width;
	d->paint[d->n] = l->paint;
	d->n++;
	return 0;
}

void
sprite_put_pixel(SpriteImage *img, int x, int y, double r, double g, double b, double a)
{
	uint8_t    *q;

	if (x < 0 || y < 0 || x >= img->w || y >= img->h || a <= 0)
		return;
	q = img->px + img->stride * (size_t) y + (size_t) x * 4;
	/* r, g, b premultiplied sums over a's samples */
	q[0] = (uint8_t) lround(r / a);
	q[1] = (uint8_t) lround(g / a);
	q[2] = (uint8_t) lround(b / a);
	q[3] = (uint8_t) lround(255.0 * a / (SPRITE_SUB * SPRITE_SUB));
}

/* the drawing, its 100-unit box on size x size pixels at (x0, y0) */
void
sprite_draw(SpriteImage *img, int x0, int y0, int size, int size_1x, const SpriteDrawing *d, const uint8_t ink[3])
{
	double		halo = HALO_PX * 100.0 / size_1x;

	for (int y = 0; y < size; y++)
		for (int x = 0; x < size; x++)
		{
			double		r = 0,
						g = 0,
						b = 0,
						a = 0;

			for (int sy = 0; sy < SPRITE_SUB; sy++)
				for (int sx = 0; sx < SPRITE_SUB; sx++)
				{
					double		u = (x + (sx + 0.5) / SPRITE_SUB) * 100.0 / size,
								v = (y + (sy + 0.5) / SPRITE_SUB) * 100.0 / size;
					double		nearest = INFINITY;
					int			top = -1;

					for (int i = 0; i < d->n; i++)
					{
						int			in;
						double		dist = path_distance(&d->path[i], u, v, &in);
						double		sd = d->width[i] == 0 ? (in ? -dist : dist) : dist - d->width[i] / 2;

						if (sd <= 0)
							top = i;
						if (sd < nearest)
							nearest = sd;
					}
					if (top >= 0 && d->paint[top] == INK)
					{
						r += ink[0], g += ink[1], b += ink[2];
						a += 1;
					}
					else if (top >= 0 || nearest <= halo)
					{
						r += 255, g += 255, b += 255;
						a += 1;
					}
				}
			sprite_put_pixel(img, x0 + x, y0 + y, r, g, b, a);
		}
}

void
sprite_parse_colour(const char *hex, uint8_t rgb[3])
{
	unsigned	v = (unsigned) strtoul(hex + 1, NULL, 16);

	rgb[0] = (uint8_t) (v >> 16);
	rgb[1] = (uint8_t) (v >> 8);
	rgb[2] = (uint8_t) v;
}
