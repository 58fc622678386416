/*
 * cache.c - LRU tile cache with bounding-box invalidation.
 *
 * Each entry is on four structures: the LRU list (eviction), the hash by key
 * (cache_get, cache_put), the hash by (z, x, y) (tile_buckets: the entries of
 * one tile, every layer set and ?at= variant) and its zoom level's list
 * (zhead, with zcount entries).  cache_invalidate goes zoom level by zoom
 * level: it computes the tiles the changed box can touch at that zoom
 * (cache_tile_range: Web Mercator, grown by the tile buffer and, for extra
 * layers, the margin, with up to a tile of slack against rounding) and looks
 * them up in the tile hash when they are fewer than the zoom's entries, else
 * walks the zoom's list.  Either way each candidate is decided by the one
 * rule, cache_rule, so the range only has to hold every tile the rule may
 * drop.
 */
#include "cache.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define NBUCKETS 65536

struct Cache
{
	size_t		capacity;
	size_t		bytes;
	CacheEntry *head,			/* most recently used */
			   *tail;
	CacheEntry **buckets;		/* by key */
	CacheEntry **tile_buckets;	/* by (z, x, y) */
	CacheEntry *zhead[CACHE_MAX_ZOOM + 1];	/* the entries of each zoom level */
	long		zcount[CACHE_MAX_ZOOM + 1];
	long long	hits,
				misses,
				evictions,
				invalidations,
				entries;
};

static uint64_t
fnv1a(const void *data, size_t len, uint64_t h)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++)
	{
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

void
cache_etag(const uint8_t *data, size_t len, const char *suffix, char *out, size_t outlen)
{
	uint64_t	a = fnv1a(data, len, 14695981039346656037ULL);
	uint64_t	b = fnv1a(&len, sizeof len, a ^ 0x9e3779b97f4a7c15ULL);

	snprintf(out, outlen, "\"%016llx%08llx%s\"", (unsigned long long) a,
			 (unsigned long long) (b & 0xffffffffULL), suffix);
}

static unsigned
bucket_of(const char *key)
{
	return (unsigned) (fnv1a(key, strlen(key), 14695981039346656037ULL) % NBUCKETS);
}

Cache *
cache_create(size_t capacity)
{
	Cache	   *c = calloc(1, sizeof(Cache));

	if (c == NULL)
		return NULL;
	c->capacity = capacity;
	if (capacity > 0 && ((c->buckets = calloc(NBUCKETS, sizeof(CacheEntry *))) == NULL ||
						 (c->tile_buckets = calloc(NBUCKETS, sizeof(CacheEntry *))) == NULL))
	{
		free(c->buckets);
		free(c);
		return NULL;
	}
	return c;
}

void
cache_entry_free(CacheEntry *e)
{
	if (e == NULL)
		return;
	free(e->key);
	free(e->raw);
	free(e->gz);
	free(e);
}

/*
 * gzip with zlib; NULL when it fails or does not make the tile smaller.  One
 * deflate stream is kept and reset between tiles (the server runs one thread):
 * setting up a stream allocates some 256 KB, which costs more than
 * compressing a tile.
 */
static z_stream gz_stream;
static int	gz_ready = 0;

static uint8_t *
gzip(const uint8_t *raw, size_t len, size_t *outlen)
{
	size_t		cap = len + len / 100 + 64;
	uint8_t    *out;
	int			rc;

	if (len == 0)
		return NULL;
	if (!gz_ready)
	{
		memset(&gz_stream, 0, sizeof gz_stream);
		if (deflateInit2(&gz_stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			return NULL;
		gz_ready = 1;
	}
	else if (deflateReset(&gz_stream) != Z_OK)
		return NULL;
	if ((out = malloc(cap)) == NULL)
		return NULL;
	gz_stream.next_in = (Bytef *) raw;
	gz_stream.avail_in = (uInt) len;
	gz_stream.next_out = out;
	gz_stream.avail_out = (uInt) cap;
	rc = deflate(&gz_stream, Z_FINISH);
	if (rc != Z_STREAM_END || gz_stream.total_out >= len)
	{
		free(out);
		return NULL;
	}
	*outlen = gz_stream.total_out;
	return out;
}

void
cache_gzip_release(void)
{
	if (gz_ready)
		deflateEnd(&gz_stream);
	gz_ready = 0;
}

CacheEntry *
cache_entry_make(const char *key, const uint8_t *raw, size_t len, int z, long x, long y, unsigned layers,
				 int historical)
{
	CacheEntry *e = calloc(1, sizeof(CacheEntry));

	if (e == NULL)
		return NULL;
	e->key = strdup(key);
	e->raw = malloc(len ? len : 1);
	if (e->key == NULL || e->raw == NULL)
	{
		cache_entry_free(e);
		return NULL;
	}
	if (len)
		memcpy(e->raw, raw, len);
	e->raw_len = len;
	e->gz = gzip(raw, len, &e->gz_len);
	cache_etag(raw, len, "", e->etag, sizeof e->etag);
	cache_etag(raw, len, "-gz", e->etag_gz, sizeof e->etag_gz);
	e->z = z;
	e->x = x;
	e->y = y;
	e->bounds = tile_bounds(z, x, y, CACHE_TILE_BUFFER, CACHE_TILE_EXTENT);
	e->layers = layers;
	e->historical = historical;
	e->cost = sizeof(CacheEntry) + strlen(key) + 1 + len + e->gz_len;
	return e;
}

static void
lru_unlink(Cache *c, CacheEntry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_push_front(Cache *c, CacheEntry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (c->tail == NULL)
		c->tail = e;
}

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

/* put e on the tile hash and its zoom's list */
static void
cache_index_add(Cache *c, CacheEntry *e)
{
	CacheEntry **b = &c->tile_buckets[cache_tile_bucket(e->z, e->x, e->y)];

	e->tile_chain = *b;
	*b = e;
	e->zprev = NULL;
	e->znext = c->zhead[e->z];
	if (e->znext)
		e->znext->zprev = e;
	c->zhead[e->z] = e;
	c->zcount[e->z]++;
}

static void
cache_index_remove(Cache *c, CacheEntry *e)
{
	CacheEntry **p = &c->tile_buckets[cache_tile_bucket(e->z, e->x, e->y)];

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
}

static void
remove_entry(Cache *c, CacheEntry *e)
{
	CacheEntry **p = &c->buckets[bucket_of(e->key)];

	while (*p && *p != e)
		p = &(*p)->chain;
	if (*p)
		*p = e->chain;
	cache_index_remove(c, e);
	lru_unlink(c, e);
	c->bytes -= e->cost;
	c->entries--;
	cache_entry_free(e);
}

const CacheEntry *
cache_get(Cache *c, const char *key)
{
	CacheEntry *e;

	if (c->capacity == 0)
	{
		c->misses++;
		return NULL;
	}
	for (e = c->buckets[bucket_of(key)]; e; e = e->chain)
		if (strcmp(e->key, key) == 0)
		{
			c->hits++;
			lru_unlink(c, e);
			lru_push_front(c, e);
			return e;
		}
	c->misses++;
	return NULL;
}

const CacheEntry *
cache_put(Cache *c, const char *key, const uint8_t *raw, size_t len, int z, long x, long y,
		  unsigned layers, int historical)
{
	CacheEntry *e,
			   *old;
	unsigned	b;

	if (c->capacity == 0 || !tile_valid(z, x, y, CACHE_MAX_ZOOM))
		return NULL;
	e = cache_entry_make(key, raw, len, z, x, y, layers, historical);
	if (e == NULL || e->cost > c->capacity)
	{
		cache_entry_free(e);
		return NULL;
	}
	b = bucket_of(key);
	for (old = c->buckets[b]; old; old = old->chain)
		if (strcmp(old->key, key) == 0)
		{
			remove_entry(c, old);
			break;
		}
	while (c->bytes + e->cost > c->capacity && c->tail)
	{
		remove_entry(c, c->tail);
		c->evictions++;
	}
	e->chain = c->buckets[b];
	c->buckets[b] = e;
	cache_index_add(c, e);
	lru_push_front(c, e);
	c->bytes += e->cost;
	c->entries++;
	return e;
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
	remove_entry(c, e);
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

/* the tiles of zoom z the change may touch: the box's, and the grown box's for extra layers */
static CacheTileRange
cache_change_range(const CacheChange *d, int z)
{
	CacheTileRange r = cache_tile_range(&d->box, z);

	if (d->extra_layers)
		r = cache_range_union(r, cache_tile_range(&d->grown, z));
	return r;
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

/* one zoom level: look the range's tiles up when they are fewer than the zoom's entries */
static void
cache_invalidate_zoom(Cache *c, const CacheChange *d, int z, long *n)
{
	CacheTileRange r = cache_change_range(d, z);
	unsigned long long tiles = cache_range_tiles(&r);

	if (tiles == 0)
		return;
	if (tiles >= (unsigned long long) c->zcount[z])
	{
		cache_drop_zoom(c, d, z, n);
		return;
	}
	for (long x = r.x0; x <= r.x1; x++)
		for (long y = r.y0; y <= r.y1; y++)
			cache_drop_tile(c, d, z, x, y, n);
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

void
cache_free(Cache *c)
{
	if (c == NULL)
		return;
	while (c->head)
		remove_entry(c, c->head);
	free(c->buckets);
	free(c->tile_buckets);
	free(c);
}

void
cache_stats(const Cache *c, CacheStats *out)
{
	out->hits = c->hits;
	out->misses = c->misses;
	out->evictions = c->evictions;
	out->invalidations = c->invalidations;
	out->entries = c->entries;
	out->bytes = c->bytes;
	out->capacity = c->capacity;
}
