/*
 * cache.h - the tile cache: an LRU bounded in bytes, holding each tile as it
 * came from the database and gzip-compressed once, with its strong ETag, its
 * z/x/y and its bounds, so that a change notification drops exactly the tiles
 * whose bounds meet the changed area.  Single-threaded: the server runs one
 * event loop.
 *
 * Besides the LRU list and the hash by key, the cache indexes its current
 * (not historical) entries by tile: a hash from (z, x, y) to the entries of
 * that tile (every layer set), a hash from cells of 16 x 16 tiles of one
 * zoom level to their entries grouped by layer set, and per zoom level a
 * list of its entries and their count.  To invalidate a box, for each zoom
 * level that has entries the cache computes the range of tiles that the box
 * (grown by the tile buffer, and for extra layers by the margin) can meet,
 * and looks those tiles up one by one when the range is small, or its cells
 * when it is larger (a cell's groups without extra layers only where the box
 * itself is), or walks the zoom's list when the range has as many cells as
 * the zoom has entries: the cost follows the tiles the change touches, not
 * the size of the cache.  Which entries go is decided by one rule,
 * cache_box_touches_tile().
 */
#ifndef TAILINGS_CACHE_H
#define TAILINGS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "tailings/contract.h"
#include "tilemath.h"

/* the buffer of the server's tiles, in tile units out of the extent: a tile's bounds include it */
#define CACHE_TILE_EXTENT TL_TILE_EXTENT
#define CACHE_TILE_BUFFER TL_TILE_BUFFER
/* tiles deeper than this are not kept */
#define CACHE_MAX_ZOOM 30

typedef struct Cache Cache;

typedef struct CacheEntry
{
	char	   *key;
	uint8_t    *raw;
	size_t		raw_len;
	uint8_t    *gz;				/* NULL when gzip would not be smaller, or the tile is empty (or not made yet: gz_tried) */
	size_t		gz_len;
	char		etag[40];		/* quoted strong ETag of the raw bytes */
	char		etag_gz[44];
	int			z;				/* the tile */
	long		x,
				y;
	Box			bounds;			/* its bounds, with the tile buffer */
	unsigned	layers;
	int			historical;		/* a tile of ?at=: never invalidated */
	int			gz_tried;		/* gz was made (or found not smaller): always, but in a borrowed entry */
	int			borrowed;		/* key and raw are the maker's (cache_entry_borrow); else in the entry's block */
	/* internal */
	struct CacheEntry *prev,	/* LRU list */
			   *next,
			   *chain,			/* hash by key, in bucket "bucket" */
			   *tile_chain,		/* hash by (z, x, y) */
			   *zprev,			/* the entries of zoom z */
			   *znext;
	struct CacheCell *cell;		/* its cell of tiles, and its place there */
	int			cell_group;
	long		cell_index;
	size_t		cost;
	unsigned	bucket;
} CacheEntry;

typedef struct CacheStats
{
	long long	hits,
				misses,
				evictions,
				invalidations,
				entries;
	size_t		bytes,
				capacity;
} CacheStats;

/* capacity in bytes; 0: a cache that keeps nothing */
Cache	   *cache_create(size_t capacity);
void		cache_free(Cache *c);
/* the entry, or NULL; counts a hit or a miss */
const CacheEntry *cache_get(Cache *c, const char *key);
/*
 * Store tile z/x/y (copied; compressed here) under key, replacing an entry of
 * the same key.  Returns the stored entry, or NULL when the cache keeps
 * nothing, the tile is larger than the cache, or z/x/y is not a tile of zoom
 * 0 to CACHE_MAX_ZOOM.
 */
const CacheEntry *cache_put(Cache *c, const char *key, const uint8_t *raw, size_t len, int z, long x,
							long y, unsigned layers, int historical);
/* a stand-alone entry, for a tile the cache does not keep; free with cache_entry_free */
CacheEntry *cache_entry_make(const char *key, const uint8_t *raw, size_t len, int z, long x, long y,
							 unsigned layers, int historical);
/*
 * A stand-alone entry without copies: its key and bytes are the caller's,
 * who keeps them until cache_entry_free; its gzip form is made only when
 * asked for (cache_entry_gz), once.
 */
CacheEntry *cache_entry_borrow(const char *key, const uint8_t *raw, size_t len, int z, long x, long y,
							   unsigned layers, int historical);
/* 1 when the entry has a gzip form (made now if it was not yet), else 0 */
int			cache_entry_gz(CacheEntry *e);
void		cache_entry_free(CacheEntry *e);
/*
 * 1 when a change in box invalidates tile z/x/y of these layers: its bounds
 * (with the tile buffer) meet box, or it has a layer of extra_layers and its
 * bounds meet box grown by margin degrees.  A box with a NaN coordinate meets
 * nothing.  The rule of cache_invalidate; historical tiles aside.
 */
int			cache_box_touches_tile(Box box, unsigned extra_layers, double margin, int z, long x, long y,
								   unsigned layers);
/*
 * Drop the current (not historical) tiles that a change in box touches
 * (cache_box_touches_tile).  Returns how many were dropped.
 */
long		cache_invalidate(Cache *c, Box box, unsigned extra_layers, double margin);
/* the same by walking every entry, without the index: a reference for the tests and the benchmark */
long		cache_invalidate_walk(Cache *c, Box box, unsigned extra_layers, double margin);
/* drop every current tile that has any of these layers */
long		cache_invalidate_layers(Cache *c, unsigned layers);
void		cache_stats(const Cache *c, CacheStats *out);

/* free the compressor kept between tiles (at exit) */
/* gzip-compressed copy (malloc'd), or NULL when that fails or is not smaller */
uint8_t    *cache_gzip(const uint8_t *raw, size_t len, size_t *outlen);
void		cache_gzip_release(void);

/* the strong ETag of some bytes */
void		cache_etag(const uint8_t *data, size_t len, const char *suffix, char *out, size_t outlen);

#endif
