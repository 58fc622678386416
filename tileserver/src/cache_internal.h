/*
 * cache_internal.h - the tile cache's state, shared by cache.c (entries, LRU,
 * hash by key) and cache_index.c (the index by tile, invalidation); not for
 * the cache's users, who see cache.h.
 */
#ifndef TAILINGS_CACHE_INTERNAL_H
#define TAILINGS_CACHE_INTERNAL_H

#include "cache.h"

/* buckets of each hash: by key, by tile, by cell */
#define NBUCKETS 65536

/* the current entries of one zoom level in one cell of tiles (cache_index.c) */
typedef struct CacheCell CacheCell;

struct Cache
{
	size_t		capacity;
	size_t		bytes;
	CacheEntry *head,			/* most recently used */
			   *tail;
	CacheEntry **buckets;		/* by key */
	CacheEntry **tile_buckets;	/* by (z, x, y) */
	CacheCell **cell_buckets;	/* by (z, cx, cy) */
	CacheCell  *scanning;		/* the cell being scanned: not freed when it empties */
	CacheEntry *zhead[CACHE_MAX_ZOOM + 1];	/* the entries of each zoom level */
	long		zcount[CACHE_MAX_ZOOM + 1];
	long long	hits,
				misses,
				evictions,
				invalidations,
				entries;
};

/*
 * Put e on the index (tile hash, cell, zoom list); 0 when out of memory.
 * Historical entries are not indexed.
 */
int			cache_index_add(Cache *c, CacheEntry *e);
void		cache_index_remove(Cache *c, CacheEntry *e);
/* take e out of the cache (hash by key, index, LRU) and free it */
void		cache_entry_remove(Cache *c, CacheEntry *e);

#endif
