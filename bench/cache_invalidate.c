/*
 * bench/cache_invalidate.c - the tile cache's invalidation, indexed against a
 * walk over every entry, in the same run over the same entries.
 *
 * Fills two caches with the same TILES tiles (default 100,000) around one city
 * (Panzhihua), z10 to z18, as a map viewer leaves them: each tile under a few
 * layer sets, some with ?at= (historical); then runs the same CHANGES (default
 * 1,000) single-element changes (a box of some 30 m at a random place of the
 * area, the server's rule: pond tiles within POND_MARGIN degrees too) with
 * cache_invalidate on one and cache_invalidate_walk on the other, and prints
 * the time of each, per change, the ratio, and how many tiles each dropped
 * (which must be equal).
 *   bench_cache_invalidate [TILES [CHANGES [MARGIN [index|walk|both [empty]]]]]
 * With index or walk only that side runs.  empty: tiles of no bytes, not
 * compressed, and no second pass (for callgrind: zlib's deflateReset clears
 * 128 KB a tile).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "clock.h"

#define CITY_LON 101.72
#define CITY_LAT 26.58
#define AREA 0.25				/* degrees either side of the city */
#define LAYER_PONDS 1u

#define RNG_SEED 0x9e3779b97f4a7c15ULL
#include "../tests/c/rng.h"

/* the tile of zoom z holding lon, lat */
static void
tile_of(double lon, double lat, int z, long *x, long *y)
{
	double		n = (double) (1L << z);
	double		r = lat * M_PI / 180;

	*x = (long) ((lon + 180) / 360 * n);
	*y = (long) ((1 - asinh(tan(r)) / M_PI) / 2 * n);
}

/* put tiles until c holds n entries (or after 3n puts) */
static int	empty_tiles = 0;

static void
fill(Cache *c, long n)
{
	static const unsigned layer_sets[] = {63, 63, 63, 1, 2, 1 | 4, 8 | 16};
	uint8_t		data[200];
	CacheStats	s;

	if (c == NULL)
		return;
	memset(data, 'm', sizeof data);
	for (long i = 0; i < 3 * n; i++)
	{
		int			z = 10 + (int) (rng() % 9);
		long		x,
					y;
		unsigned	layers = layer_sets[rng() % (sizeof layer_sets / sizeof layer_sets[0])];
		int			historical = rng() % 10 == 0;
		char		key[96];

		tile_of(CITY_LON + rng_in(-AREA, AREA), CITY_LAT + rng_in(-AREA, AREA), z, &x, &y);
		snprintf(key, sizeof key, "%u/%d/%ld/%ld%s", layers, z, x, y, historical ? "@2025-03-01" : "");
		cache_put(c, key, data, empty_tiles ? 0 : 50 + rng() % 150, z, x, y, layers, historical);
		cache_stats(c, &s);
		if (s.entries >= n)
			break;
	}
}

/* the changes: boxes of about 30 m at random places of the area */
static Box *
changes(int n)
{
	Box		   *b = malloc((size_t) n * sizeof(Box));

	for (int i = 0; b && i < n; i++)
	{
		double		x = CITY_LON + rng_in(-AREA, AREA),
					y = CITY_LAT + rng_in(-AREA, AREA);

		b[i] = (Box) {x, y, x + 0.0003, y + 0.0003};
	}
	return b;
}

/* seconds to run the changes on c with f; *dropped: how many tiles they dropped */
static double
run(Cache *c, long (*f) (Cache *, Box, unsigned, double), const Box *boxes, int n, double margin, long *dropped)
{
	double		t0 = clock_mono_s();

	*dropped = 0;
	for (int i = 0; i < n; i++)
		*dropped += f(c, boxes[i], LAYER_PONDS, margin);
	return clock_mono_s() - t0;
}

int
main(int argc, char **argv)
{
	long		ntiles = argc > 1 ? atol(argv[1]) : 100000;
	int			nchanges = argc > 2 ? atoi(argv[2]) : 1000;
	double		margin = argc > 3 ? atof(argv[3]) : 0.05;
	const char *mode = argc > 4 ? argv[4] : "both";
	int			do_index = strcmp(mode, "walk") != 0,
				do_walk = strcmp(mode, "index") != 0;
	Cache	   *ci = do_index ? cache_create((size_t) 4 << 30) : NULL;
	Cache	   *cw = do_walk ? cache_create((size_t) 4 << 30) : NULL;
	Box		   *boxes;
	CacheStats	s;
	long		di = 0,
				dw = 0;
	double		ti = 0,
				tw = 0;

	empty_tiles = argc > 5 && strcmp(argv[5], "empty") == 0;
	if ((do_index && !ci) || (do_walk && !cw) || ntiles <= 0 || nchanges <= 0)
		return 2;
	/* the same random sequence fills both */
	{
		uint64_t	seed = rng_state;

		fill(ci, ntiles);
		rng_state = seed;
		fill(cw, ntiles);
	}
	boxes = changes(nchanges);
	if (!boxes)
		return 2;
	cache_stats(ci ? ci : cw, &s);
	printf("cache: %lld tiles z10-z18 around %.2f,%.2f (+-%.2f degrees), %.1f MB\n", s.entries, CITY_LON, CITY_LAT,
		   AREA, (double) s.bytes / 1048576);
	printf("changes: %d boxes of 0.0003 degrees, pond tiles within %.3f degrees too\n", nchanges, margin);
	if (do_index)
		ti = run(ci, cache_invalidate, boxes, nchanges, margin, &di);
	if (do_walk)
		tw = run(cw, cache_invalidate_walk, boxes, nchanges, margin, &dw);
	if (do_index)
		printf("index: %.3f ms for %d changes, %.2f us per change, %ld tiles dropped\n", ti * 1e3, nchanges,
			   ti * 1e6 / nchanges, di);
	if (do_walk)
		printf("walk:  %.3f ms for %d changes, %.2f us per change, %ld tiles dropped\n", tw * 1e3, nchanges,
			   tw * 1e6 / nchanges, dw);
	/* the same changes again: nothing is left to drop, what remains is the search */
	if (do_index && !empty_tiles)
	{
		long		again;
		double		t = run(ci, cache_invalidate, boxes, nchanges, margin, &again);

		printf("index, the same changes again: %.3f ms, %.2f us per change, %ld tiles dropped\n", t * 1e3,
			   t * 1e6 / nchanges, again);
	}
	if (do_index && do_walk)
	{
		printf("ratio walk/index: %.1f\n", tw / ti);
		if (di != dw)
		{
			printf("MISMATCH: the index dropped %ld tiles, the walk %ld\n", di, dw);
			return 1;
		}
	}
	cache_free(ci);
	cache_free(cw);
	cache_gzip_release();
	free(boxes);
	return 0;
}
