/*
 * walk.c - the order of an inspector's walk (tailings.inspection_checklist).
 *
 * _walk_order(x0, y0, x[], y[]) -> integer[]: the stops (x[i], y[i]), in
 * metres on a local plane, in the order of a short open walk from the start
 * (x0, y0) that visits each once and ends anywhere.  The order given is the
 * starting tour (the checklist gives the nearest-neighbour walk); it is
 * improved by local search until no move shortens it:
 *   - 2-opt: a stretch of the walk is walked backwards;
 *   - Or-opt: a run of one to three consecutive stops is taken out and put
 *     back elsewhere, either way round (this finds what 2-opt cannot on an
 *     open walk, such as going first to the one stop behind the start).
 * Every move accepted shortens the walk by more than a micrometre, so the
 * search ends; it is deterministic (the first improving move, in a fixed
 * scan order), so the same map always gives the same checklist.
 */
#include "tailings.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

/* a move must shorten the walk by more than this (metres) */
#define WALK_EPS 1e-6
/* a bound on the passes, far above what a walk of a pond's elements takes */
#define WALK_MAX_PASSES 10000

typedef struct Walk
{
	int			n;				/* stops; points 1..n, point 0 is the start */
	const double *x;
	const double *y;
	int		   *o;				/* o[0] = 0, then the stops in walking order */
	int		   *tmp;			/* room for a rebuilt order */
} Walk;

static inline double
dist(const Walk *w, int a, int b)
{
	return hypot(w->x[a] - w->x[b], w->y[a] - w->y[b]);
}

/* one pass of 2-opt moves; true when one was made */
static bool
two_opt_pass(Walk *w)
{
	int			n = w->n;
	int		   *o = w->o;
	bool		improved = false;

	for (int i = 1; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		for (int j = i + 1; j <= n; j++)
		{
			/* walk o[i..j] backwards: edges (o[i-1], o[i]) and (o[j], o[j+1]) become (o[i-1], o[j]) and (o[i], o[j+1]) */
			double		delta = dist(w, o[i - 1], o[j]) - dist(w, o[i - 1], o[i]);

			if (j < n)
				delta += dist(w, o[i], o[j + 1]) - dist(w, o[j], o[j + 1]);
			if (delta < -WALK_EPS)
			{
				for (int a = i, b = j; a < b; a++, b--)
				{
					int			t = o[a];

					o[a] = o[b];
					o[b] = t;
				}
				improved = true;
			}
		}
	}
	return improved;
}

/* one pass of Or-opt moves (runs of 1 to 3 stops); true when one was made */
static bool
or_opt_pass(Walk *w)
{
	int			n = w->n;
	bool		improved = false;

	for (int len = 1; len <= 3 && len < n; len++)
		for (int i = 1; i + len - 1 <= n; i++)
		{
			int		   *o = w->o;
			int			first = o[i],
						last = o[i + len - 1],
						prev = o[i - 1],
						next = i + len <= n ? o[i + len] : -1;
			/* what taking the run out saves */
			double		gain = dist(w, prev, first);
			int			m = 0;
			int			best_t = -1;
			bool		best_rev = false;
			double		best = -WALK_EPS;

			CHECK_FOR_INTERRUPTS();
			if (next >= 0)
				gain += dist(w, last, next) - dist(w, prev, next);
			/* the walk without the run: o[0..i-1], o[i+len..n], in tmp */
			for (int k = 0; k <= n; k++)
				if (k < i || k >= i + len)
					w->tmp[m++] = o[k];
			/* put it back after tmp[t], either way round */
			for (int t = 0; t < m; t++)
				for (int rev = 0; rev <= 1; rev++)
				{
					int			a = rev ? last : first,
								b = rev ? first : last;
					double		add = dist(w, w->tmp[t], a);

					if (t + 1 < m)
						add += dist(w, b, w->tmp[t + 1]) - dist(w, w->tmp[t], w->tmp[t + 1]);
					if (add - gain < best)
					{
						best = add - gain;
						best_t = t;
						best_rev = rev;
					}
				}
			if (best_t < 0)
				continue;
			/* rebuild the order: tmp[0..best_t], the run, tmp[best_t+1..] */
			{
				int			run[3];
				int			k = 0;

				for (int r = 0; r < len; r++)
					run[r] = o[i + r];
				for (int t = 0; t <= best_t; t++)
					o[k++] = w->tmp[t];
				for (int r = 0; r < len; r++)
					o[k++] = run[best_rev ? len - 1 - r : r];
				for (int t = best_t + 1; t < m; t++)
					o[k++] = w->tmp[t];
			}
			improved = true;
		}
	return improved;
}

/* the float8 array argument n as a C array of its length; 22023 when it is not a plain one */
static double *
float8_arg(ArrayType *a, const char *name, int *len)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	double	   *out;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional array", name)));
	deconstruct_array(a, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &n);
	out = palloc(sizeof(double) * (n + 1));
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s[%d] is null", name, i + 1)));
		out[i + 1] = DatumGetFloat8(elems[i]);
		if (!isfinite(out[i + 1]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s[%d] is not a finite number", name, i + 1)));
	}
	*len = n;
	return out;
}

PG_FUNCTION_INFO_V1(tl_walk_order);
Datum
tl_walk_order(PG_FUNCTION_ARGS)
{
	double		x0 = PG_GETARG_FLOAT8(0),
				y0 = PG_GETARG_FLOAT8(1);
	int			nx,
				ny;
	double	   *x = float8_arg(PG_GETARG_ARRAYTYPE_P(2), "x", &nx);
	double	   *y = float8_arg(PG_GETARG_ARRAYTYPE_P(3), "y", &ny);
	Walk		w;
	Datum	   *out;

	if (nx != ny)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("x and y must have as many elements (%d and %d)", nx, ny)));
	if (!isfinite(x0) || !isfinite(y0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the start must be finite numbers")));
	x[0] = x0;
	y[0] = y0;
	w.n = nx;
	w.x = x;
	w.y = y;
	w.o = palloc(sizeof(int) * (nx + 1));
	w.tmp = palloc(sizeof(int) * (nx + 1));
	for (int i = 0; i <= nx; i++)
		w.o[i] = i;
	for (int pass = 0; pass < WALK_MAX_PASSES; pass++)
	{
		bool		a = two_opt_pass(&w);
		bool		b = or_opt_pass(&w);

		if (!a && !b)
			break;
	}
	out = palloc(sizeof(Datum) * (nx > 0 ? nx : 1));
	for (int i = 1; i <= nx; i++)
		out[i - 1] = Int32GetDatum(w.o[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(out, nx, INT4OID, sizeof(int32), true, TYPALIGN_INT));
}
