/*
 * cache.h - the tile cache: an LRU bounded in bytes, holding each tile as it
 * came from the database and gzip-compressed once, with its strong ETag and
 * its bounds, so that a change notification drops exactly the tiles whose
 * bounds meet the changed area.  Single-threaded: the server runs one event
 * loop.
 */
#ifndef TAILINGS_CACHE_H
#define TAILINGS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "tilemath.h"

typedef struct Cache Cache;

typedef struct CacheEntry
{
	char	   *key;
	uint8_t    *raw;
	size_t		raw_len;
	uint8_t    *gz;				/* NULL when gzip would not be smaller, or the tile is empty */
	size_t		gz_len;
	char		etag[40];		/* quoted strong ETag of the raw bytes */
	char		etag_gz[44];
	Box			bounds;			/* with the tile's buffer */
	unsigned	layers;
	int			historical;		/* a tile of ?at=: never invalidated */
	/* internal */
	struct CacheEntry *prev,
			   *next,
			   *chain;
	size_t		cost;
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
 * Store a tile (copied; compressed here).  Returns the stored entry, or NULL
 * when the cache keeps nothing or the tile is larger than the cache.
 */
const CacheEntry *cache_put(Cache *c, const char *key, const uint8_t *raw, size_t len, Box bounds,
							unsigned layers, int historical);
/* a stand-alone entry, for a tile the cache does not keep; free with cache_entry_free */
CacheEntry *cache_entry_make(const char *key, const uint8_t *raw, size_t len, Box bounds,
							 unsigned layers, int historical);
void		cache_entry_free(CacheEntry *e);
/*
 * Drop the current (not historical) tiles whose bounds meet box; tiles with
 * any layer of extra_layers also when they meet the box grown by margin
 * degrees.  Returns how many were dropped.
 */
long		cache_invalidate(Cache *c, Box box, unsigned extra_layers, double margin);
/* drop every current tile that has any of these layers */
long		cache_invalidate_layers(Cache *c, unsigned layers);
void		cache_stats(const Cache *c, CacheStats *out);

/* free the compressor kept between tiles (at exit) */
void		cache_gzip_release(void);

/* the strong ETag of some bytes */
void		cache_etag(const uint8_t *data, size_t len, const char *suffix, char *out, size_t outlen);

#endif
