/*
 * cache_index.c - the tile cache's index of its current entries, and
 * bounding-box invalidation through it.
 *
 * A current entry (not of ?at=, which no change drops) is on the hash by
 * (z, x, y) (tile_buckets: the entries of one tile, every layer set), its
 * cell (cell_buckets: 16 x 16 tiles of one zoom level, the entries in groups
 * by layer set, each item with its tile so that a scan reads no entry) and
 * its zoom level's list (zhead, with zcount entries).
 *
 * cache_invalidate goes zoom level by zoom level: it computes the tiles the
 * changed box can touch there (cache_tile_range: Web Mercator, grown by the
 * tile buffer and, for extra layers, the margin, with 1e-3 tile of slack
 * against rounding), then
 *   - walks the zoom's list when the range has as many cells as the zoom has
 *     entries (a big box),
 *   - looks each tile of the range up when it holds at most 4 tiles a cell
 *     (a small box),
 *   - else looks its cells up (a box grown by the margin), and in each cell
 *     scans the groups with an extra layer, the others only where the box
 *     itself is; or looks the cell's tiles in the range up when the cell
 *     holds more than 8 entries a tile of them.
 * Each candidate is decided by the one rule, cache_rule, so a range only has
 * to hold every tile the rule may drop.
 */
#include "cache_internal.h"

#include <math.h>
#include <stdlib.h>

/* a cell: 2^CACHE_CELL_SHIFT tiles a side of one zoom level */
#define CACHE_CELL_SHIFT 4
/* a range of tiles is looked up tile by tile when it holds at most this many per cell */
#define CACHE_TILES_PER_CELL_LOOKUP 4
/* a cell's items are scanned when fewer than this many per tile of the range in it, else its tiles looked up */
#define CACHE_ITEMS_PER_TILE_LOOKUP 8

/* an entry in its cell, with its tile, so that scanning a cell reads no entry */
typedef struct CacheCellItem
{
	CacheEntry *e;
	long		x,
				y;
} CacheCellItem;

/* the items of one cell that have the same layers, in no order */
typedef struct CacheCellGroup
{
	unsigned	layers;
	long		count,
				cap;
	CacheCellItem *items;
} CacheCellGroup;

/* the current entries of one zoom level in one cell, grouped by layers */
struct CacheCell
{
	int			z;
	long		cx,
				cy;
	long		count;
	int			ngroups;
	CacheCellGroup *groups;
	struct CacheCell *chain;	/* hash by (z, cx, cy) */
};

/* the tile hash's bucket of z/x/y */
static unsigned
cache_tile_bucket(int z, long x, long y)
{
	uint64_t	h = (uint64_t) x * 0x9e3779b97f4a7c15ULL ^ (uint64_t) y * 0xc2b2ae3d27d4eb4fULL ^
		(uint64_t) z * 0x165667b19e3779f9ULL;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return (unsigned) (h % NBUCKETS);
}

static int
cache_entry_is_tile(const CacheEntry *e, int z, long x, long y)
{
	return e->z == z && e->x == x && e->y == y;
}

static CacheCell *
cache_cell_find(const Cache *c, int z, long cx, long cy)
{
	CacheCell  *cell = c->cell_buckets[cache_tile_bucket(z, cx, cy)];

	while (cell && !(cell->z == z && cell->cx == cx && cell->cy == cy))
		cell = cell->chain;
	return cell;
}

/* the cell of z/cx/cy, made when missing; NULL when out of memory */
static CacheCell *
cache_cell_get(Cache *c, int z, long cx, long cy)
{
	CacheCell  *cell = cache_cell_find(c, z, cx, cy);
	CacheCell **b = &c->cell_buckets[cache_tile_bucket(z, cx, cy)];

	if (cell != NULL || (cell = calloc(1, sizeof(CacheCell))) == NULL)
		return cell;
	cell->z = z;
	cell->cx = cx;
	cell->cy = cy;
	cell->chain = *b;
	*b = cell;
	return cell;
}

static void
cache_cell_free(Cache *c, CacheCell *cell)
{
	CacheCell **p = &c->cell_buckets[cache_tile_bucket(cell->z, cell->cx, cell->cy)];

	while (*p && *p != cell)
		p = &(*p)->chain;
	if (*p)
		*p = cell->chain;
	for (int g = 0; g < cell->ngroups; g++)
		free(cell->groups[g].items);
	free(cell->groups);
	free(cell);
}

/* the index of the cell's group of these layers, made when missing; -1 when out of memory */
static int
cache_cell_group(CacheCell *cell, unsigned layers)
{
	CacheCellGroup *groups;

	for (int g = 0; g < cell->ngroups; g++)
		if (cell->groups[g].layers == layers)
			return g;
	groups = realloc(cell->groups, (size_t) (cell->ngroups + 1) * sizeof(CacheCellGroup));
	if (groups == NULL)
		return -1;
	cell->groups = groups;
	groups[cell->ngroups] = (CacheCellGroup) {layers, 0, 0, NULL};
	return cell->ngroups++;
}

/* room for one more item in the group; 0 when out of memory */
static int
cache_group_reserve(CacheCellGroup *g)
{
	long		cap = g->cap ? 2 * g->cap : 4;
	CacheCellItem *items;

	if (g->count < g->cap)
		return 1;
	if ((items = realloc(g->items, (size_t) cap * sizeof(CacheCellItem))) == NULL)
		return 0;
	g->items = items;
	g->cap = cap;
	return 1;
}

/* put e in its cell, making the cell; 0 when out of memory */
static int
cache_cell_join(Cache *c, CacheEntry *e)
{
	CacheCell  *cell = cache_cell_get(c, e->z, e->x >> CACHE_CELL_SHIFT, e->y >> CACHE_CELL_SHIFT);
	int			g = cell ? cache_cell_group(cell, e->layers) : -1;
	CacheCellGroup *group;

	if (g < 0 || !cache_group_reserve(&cell->groups[g]))
	{
		if (cell && cell->count == 0)
			cache_cell_free(c, cell);
		return 0;
	}
	group = &cell->groups[g];
	group->items[group->count] = (CacheCellItem) {e, e->x, e->y};
	e->cell = cell;
	e->cell_group = g;
	e->cell_index = group->count++;
	cell->count++;
	return 1;
}

/*
 * Take e out of its cell (its group's last item takes its place); the cell
 * goes with its last entry, unless it is being scanned.
 */
static void
cache_cell_leave(Cache *c, CacheEntry *e)
{
	CacheCell  *cell = e->cell;
	CacheCellGroup *g = &cell->groups[e->cell_group];
	long		i = e->cell_index;

	g->items[i] = g->items[--g->count];
	g->items[i].e->cell_index = i;
	e->cell = NULL;
	if (--cell->count == 0 && cell != c->scanning)
		cache_cell_free(c, cell);
}

/*
 * Put e on the tile hash, its cell and its zoom's list; 0 when out of memory.
 * Historical entries, never invalidated by a box, are not indexed.
 */
int
cache_index_add(Cache *c, CacheEntry *e)
{
	CacheEntry **b = &c->tile_buckets[cache_tile_bucket(e->z, e->x, e->y)];

	if (e->historical)
		return 1;
	if (!cache_cell_join(c, e))
		return 0;
	e->tile_chain = *b;
	*b = e;
	e->zprev = NULL;
	e->znext = c->zhead[e->z];
	if (e->znext)
		e->znext->zprev = e;
	c->zhead[e->z] = e;
	c->zcount[e->z]++;
	return 1;
}

void
cache_index_remove(Cache *c, CacheEntry *e)
{
	CacheEntry **p = &c->tile_buckets[cache_tile_bucket(e->z, e->x, e->y)];

	if (e->historical)
		return;
	while (*p && *p != e)
		p = &(*p)->tile_chain;
	if (*p)
		*p = e->tile_chain;
	if (e->zprev)
		e->zprev->znext = e->znext;
	else
		c->zhead[e->z] = e->znext;
	if (e->znext)
		e->znext->zprev = e->zprev;
	e->zprev = e->znext = e->tile_chain = NULL;
	c->zcount[e->z]--;
	cache_cell_leave(c, e);
}

/*
 * The rule: a tile with these bounds and layers is touched by a change in
 * box when its bounds meet box, or when it has a layer of extra_layers and
 * its bounds meet grown (box grown by the margin).
 */
static int
cache_rule(const Box *bounds, const Box *box, const Box *grown, unsigned extra_layers, unsigned layers)
{
	return box_intersects(bounds, box) || ((layers & extra_layers) && box_intersects(bounds, grown));
}

int
cache_box_touches_tile(Box box, unsigned extra_layers, double margin, int z, long x, long y,
					   unsigned layers)
{
	Box			bounds = tile_bounds(z, x, y, CACHE_TILE_BUFFER, CACHE_TILE_EXTENT);
	Box			grown = box_grow(box, margin);

	return cache_rule(&bounds, &box, &grown, extra_layers, layers);
}

/* what a change drops: current tiles by the rule, or, by_layers_only, current tiles having extra_layers */
typedef struct CacheChange
{
	Box			box,
				grown;
	unsigned	extra_layers;
	int			by_layers_only;
} CacheChange;

static int
cache_change_drops(const CacheEntry *e, const CacheChange *d)
{
	if (e->historical)
		return 0;
	if (d->by_layers_only)
		return (e->layers & d->extra_layers) != 0;
	return cache_rule(&e->bounds, &d->box, &d->grown, d->extra_layers, e->layers);
}

static void
cache_drop(Cache *c, CacheEntry *e, long *n)
{
	cache_entry_remove(c, e);
	(*n)++;
}

/* the full walk: every entry in LRU order */
static long
cache_drop_all(Cache *c, const CacheChange *d)
{
	long		n = 0;
	CacheEntry *e = c->head;

	while (e)
	{
		CacheEntry *next = e->next;

		if (cache_change_drops(e, d))
			cache_drop(c, e, &n);
		e = next;
	}
	c->invalidations += n;
	return n;
}

/* a range of tiles of one zoom level, x0..x1 by y0..y1 (empty when x0 > x1 or y0 > y1) */
typedef struct CacheTileRange
{
	long		x0,
				x1,
				y0,
				y1;
} CacheTileRange;

/* v as a tile index of a zoom with n tiles a side, clamped to -1..n (v is not NaN) */
static long
cache_tile_index(double v, long n)
{
	if (v < -1)
		return -1;
	if (v > (double) n)
		return n;
	return (long) v;
}

/* longitude and latitude as fractional tile coordinates, n tiles a side (Web Mercator) */
static double
cache_tile_fx(double lon, long n)
{
	return (lon + 180.0) / 360.0 * (double) n;
}

static double
cache_tile_fy(double lat, long n)
{
	/* beyond the last tile's edge (85.05 degrees, 85.52 with its buffer at z0), and finite */
	double		r = fmax(-89.9, fmin(89.9, lat)) * M_PI / 180.0;

	return (1.0 - asinh(tan(r)) / M_PI) / 2.0 * (double) n;
}

/*
 * The tiles of zoom z whose bounds (with the buffer) may meet b: every tile
 * cache_rule can find meeting b is in the range, which is clamped to the
 * zoom's tiles; empty when b has a NaN coordinate.  Tile x meets b when
 * lon(x - buffer) <= b.xmax and lon(x + 1 + buffer) >= b.xmin, that is
 * fx(b.xmin) - 1 - buffer <= x <= fx(b.xmax) + buffer in tile units; likewise
 * for y, latitude decreasing as y grows.  CACHE_RANGE_SLACK widens it against
 * rounding (the inverse projection's error is some 1e-6 tile at z30).
 */
#define CACHE_RANGE_SLACK 1e-3

static CacheTileRange
cache_tile_range(const Box *b, int z)
{
	long		n = 1L << z;
	double		grow = (double) CACHE_TILE_BUFFER / CACHE_TILE_EXTENT + CACHE_RANGE_SLACK;
	CacheTileRange r = {0, -1, 0, -1};

	if (isnan(b->xmin) || isnan(b->xmax) || isnan(b->ymin) || isnan(b->ymax))
		return r;
	r.x0 = cache_tile_index(ceil(cache_tile_fx(b->xmin, n) - 1 - grow), n);
	r.x1 = cache_tile_index(floor(cache_tile_fx(b->xmax, n) + grow), n);
	r.y0 = cache_tile_index(ceil(cache_tile_fy(b->ymax, n) - 1 - grow), n);
	r.y1 = cache_tile_index(floor(cache_tile_fy(b->ymin, n) + grow), n);
	r.x0 = r.x0 < 0 ? 0 : r.x0;
	r.y0 = r.y0 < 0 ? 0 : r.y0;
	r.x1 = r.x1 > n - 1 ? n - 1 : r.x1;
	r.y1 = r.y1 > n - 1 ? n - 1 : r.y1;
	return r;
}

static int
cache_range_empty(const CacheTileRange *r)
{
	return r->x0 > r->x1 || r->y0 > r->y1;
}

/* the smallest range holding a and b */
static CacheTileRange
cache_range_union(CacheTileRange a, CacheTileRange b)
{
	if (cache_range_empty(&a))
		return b;
	if (cache_range_empty(&b))
		return a;
	a.x0 = b.x0 < a.x0 ? b.x0 : a.x0;
	a.y0 = b.y0 < a.y0 ? b.y0 : a.y0;
	a.x1 = b.x1 > a.x1 ? b.x1 : a.x1;
	a.y1 = b.y1 > a.y1 ? b.y1 : a.y1;
	return a;
}

/* the tiles of one zoom level a change may touch */
typedef struct CacheZoomRange
{
	CacheTileRange box,			/* the box's */
				grown,			/* the grown box's, for extra layers (empty without) */
				all;			/* a range holding both */
} CacheZoomRange;

static CacheZoomRange
cache_change_range(const CacheChange *d, int z)
{
	CacheZoomRange zr;

	zr.box = cache_tile_range(&d->box, z);
	zr.grown = d->extra_layers ? cache_tile_range(&d->grown, z) : (CacheTileRange) {0, -1, 0, -1};
	zr.all = cache_range_union(zr.box, zr.grown);
	return zr;
}

/* how many tiles the range holds */
static unsigned long long
cache_range_tiles(const CacheTileRange *r)
{
	if (cache_range_empty(r))
		return 0;
	return (unsigned long long) (r->x1 - r->x0 + 1) * (unsigned long long) (r->y1 - r->y0 + 1);
}

/* drop what the change touches among the entries of tile z/x/y */
static void
cache_drop_tile(Cache *c, const CacheChange *d, int z, long x, long y, long *n)
{
	CacheEntry *e = c->tile_buckets[cache_tile_bucket(z, x, y)];

	while (e)
	{
		CacheEntry *next = e->tile_chain;

		if (cache_entry_is_tile(e, z, x, y) && cache_change_drops(e, d))
			cache_drop(c, e, n);
		e = next;
	}
}

/* drop what the change touches among the entries of zoom z, walking them all */
static void
cache_drop_zoom(Cache *c, const CacheChange *d, int z, long *n)
{
	CacheEntry *e = c->zhead[z];

	while (e)
	{
		CacheEntry *next = e->znext;

		if (cache_change_drops(e, d))
			cache_drop(c, e, n);
		e = next;
	}
}

static int
cache_range_has(const CacheTileRange *r, long x, long y)
{
	return x >= r->x0 && x <= r->x1 && y >= r->y0 && y <= r->y1;
}

/*
 * A cell item the change may drop: current, and in the box's range, or in
 * the grown box's with an extra layer.
 */
/* 1 when ranges a and b share a tile */
static int
cache_range_meets(const CacheTileRange *a, const CacheTileRange *b)
{
	return a->x0 <= b->x1 && b->x0 <= a->x1 && a->y0 <= b->y1 && b->y0 <= a->y1;
}

/*
 * Drop what the change touches among a group's items of the zoom range r
 * (the box's, or for a group with extra layers the box's and the grown
 * box's).  Backwards: a drop moves the last item, already seen, into its
 * place.
 */
static void
cache_drop_group(Cache *c, const CacheChange *d, CacheCellGroup *g, const CacheTileRange *r, long *n)
{
	for (long i = g->count - 1; i >= 0; i--)
	{
		CacheCellItem *it = &g->items[i];

		if (cache_range_has(r, it->x, it->y) && cache_change_drops(it->e, d))
			cache_drop(c, it->e, n);
	}
}

/* drop what the change touches among the entries of the range's tiles, looking each tile up */
static void
cache_drop_tiles(Cache *c, const CacheChange *d, int z, const CacheTileRange *r, long *n)
{
	for (long x = r->x0; x <= r->x1; x++)
		for (long y = r->y0; y <= r->y1; y++)
			cache_drop_tile(c, d, z, x, y, n);
}

/* the part of range r in cell cx/cy */
static CacheTileRange
cache_range_in_cell(const CacheTileRange *r, long cx, long cy)
{
	CacheTileRange in = {cx << CACHE_CELL_SHIFT, ((cx + 1) << CACHE_CELL_SHIFT) - 1, cy << CACHE_CELL_SHIFT,
	((cy + 1) << CACHE_CELL_SHIFT) - 1};

	in.x0 = r->x0 > in.x0 ? r->x0 : in.x0;
	in.x1 = r->x1 < in.x1 ? r->x1 : in.x1;
	in.y0 = r->y0 > in.y0 ? r->y0 : in.y0;
	in.y1 = r->y1 < in.y1 ? r->y1 : in.y1;
	return in;
}

/*
 * Drop what the change touches among the entries of cell z/cx/cy: scan its
 * items, or, when they are many for the part of the range in the cell, look
 * that part's tiles up.
 */
static void
cache_drop_cell(Cache *c, const CacheChange *d, const CacheZoomRange *zr, int z, long cx, long cy, long *n)
{
	CacheCell  *cell = cache_cell_find(c, z, cx, cy);
	CacheTileRange in;

	if (cell == NULL)
		return;
	in = cache_range_in_cell(&zr->all, cx, cy);
	if ((unsigned long long) cell->count > CACHE_ITEMS_PER_TILE_LOOKUP * cache_range_tiles(&in))
	{
		cache_drop_tiles(c, d, z, &in, n);
		return;
	}
	/* groups without extra layers only matter where the box itself is */
	c->scanning = cell;
	for (int g = 0; g < cell->ngroups; g++)
		if (cell->groups[g].layers & d->extra_layers)
			cache_drop_group(c, d, &cell->groups[g], &zr->all, n);
		else if (cache_range_meets(&zr->box, &in))
			cache_drop_group(c, d, &cell->groups[g], &zr->box, n);
	c->scanning = NULL;
	if (cell->count == 0)
		cache_cell_free(c, cell);
}

/* the cells holding the range's tiles */
static CacheTileRange
cache_cell_range(const CacheTileRange *r)
{
	CacheTileRange cr = {r->x0 >> CACHE_CELL_SHIFT, r->x1 >> CACHE_CELL_SHIFT, r->y0 >> CACHE_CELL_SHIFT,
	r->y1 >> CACHE_CELL_SHIFT};

	return cr;
}

/*
 * One zoom level: walk its entries when the range has as many cells as the
 * zoom has entries, else look the range's tiles up one by one when they are
 * few per cell (a small box), else look its cells up (the box grown by the
 * margin: most of them empty, or their entries mostly dropped).
 */
static void
cache_invalidate_zoom(Cache *c, const CacheChange *d, int z, long *n)
{
	CacheZoomRange zr = cache_change_range(d, z);
	CacheTileRange r = zr.all;
	CacheTileRange cr = cache_cell_range(&r);
	unsigned long long tiles = cache_range_tiles(&r),
				cells = cache_range_tiles(&cr);

	if (tiles == 0)
		return;
	if (cells >= (unsigned long long) c->zcount[z])
		cache_drop_zoom(c, d, z, n);
	else if (tiles <= CACHE_TILES_PER_CELL_LOOKUP * cells)
		cache_drop_tiles(c, d, z, &r, n);
	else
		for (long cx = cr.x0; cx <= cr.x1; cx++)
			for (long cy = cr.y0; cy <= cr.y1; cy++)
				cache_drop_cell(c, d, &zr, z, cx, cy, n);
}

long
cache_invalidate(Cache *c, Box box, unsigned extra_layers, double margin)
{
	CacheChange d = {box, box_grow(box, margin), extra_layers, 0};
	long		n = 0;

	if (c->capacity == 0)
		return 0;
	for (int z = 0; z <= CACHE_MAX_ZOOM; z++)
		if (c->zcount[z] > 0)
			cache_invalidate_zoom(c, &d, z, &n);
	c->invalidations += n;
	return n;
}

long
cache_invalidate_walk(Cache *c, Box box, unsigned extra_layers, double margin)
{
	CacheChange d = {box, box_grow(box, margin), extra_layers, 0};

	return cache_drop_all(c, &d);
}

long
cache_invalidate_layers(Cache *c, unsigned layers)
{
	CacheChange d = {{0, 0, 0, 0}, {0, 0, 0, 0}, layers, 1};

	return cache_drop_all(c, &d);
}
