/*
 * cache.c - LRU tile cache: its entries (raw, gzip-compressed, ETags), the
 * LRU list bounded in bytes and the hash by key (cache_get, cache_put).
 *
 * Each entry is on the LRU list (eviction) and the hash by key; a current
 * entry (not of ?at=, which no change drops) also on the index by tile that
 * cache_index.c keeps and uses to invalidate a box.
 */
#include "cache_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

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

/* the two halves of a strong ETag of some bytes: one pass over them */
static void
etag_hash(const uint8_t *data, size_t len, uint64_t *a, uint64_t *b)
{
	*a = fnv1a(data, len, 14695981039346656037ULL);
	*b = fnv1a(&len, sizeof len, *a ^ 0x9e3779b97f4a7c15ULL) & 0xffffffffULL;
}

void
cache_etag(const uint8_t *data, size_t len, const char *suffix, char *out, size_t outlen)
{
	uint64_t	a,
				b;

	etag_hash(data, len, &a, &b);
	snprintf(out, outlen, "\"%016llx%08llx%s\"", (unsigned long long) a, (unsigned long long) b, suffix);
}

/* an entry's ETags, of its raw bytes and of their gzip form ("-gz"), from one hash */
static void
entry_etags(CacheEntry *e)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t	a,
				b;
	char	   *p = e->etag;

	etag_hash(e->raw, e->raw_len, &a, &b);
	/* cache_etag's format: "%016llx%08llx", quoted */
	*p++ = '"';
	for (int i = 15; i >= 0; i--)
		*p++ = hex[(a >> (4 * i)) & 15];
	for (int i = 7; i >= 0; i--)
		*p++ = hex[(b >> (4 * i)) & 15];
	memcpy(e->etag_gz, e->etag, 25);
	memcpy(e->etag_gz + 25, "-gz\"", 5);
	*p++ = '"';
	*p = '\0';
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
						 (c->tile_buckets = calloc(NBUCKETS, sizeof(CacheEntry *))) == NULL ||
						 (c->cell_buckets = calloc(NBUCKETS, sizeof(CacheCell *))) == NULL))
	{
		free(c->buckets);
		free(c->tile_buckets);
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
	/* a made entry's key and bytes are in its own block (cache_entry_make); a borrowed one's are the maker's */
	free(e->gz);
	free(e);
}

/*
 * gzip with zlib; NULL when it fails or does not make the data smaller.  One
 * deflate stream is kept and reset between calls (the server runs one thread):
 * setting up a stream allocates some 256 KB, which costs more than
 * compressing a tile.
 */
static z_stream gz_stream;
static int	gz_ready = 0;

uint8_t *
cache_gzip(const uint8_t *raw, size_t len, size_t *outlen)
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

/* the fields of an entry besides its key and bytes */
static void
entry_fill(CacheEntry *e, int z, long x, long y, unsigned layers, int historical)
{
	entry_etags(e);
	e->z = z;
	e->x = x;
	e->y = y;
	e->bounds = tile_bounds(z, x, y, CACHE_TILE_BUFFER, CACHE_TILE_EXTENT);
	e->layers = layers;
	e->historical = historical;
	e->cost = sizeof(CacheEntry) + strlen(e->key) + 1 + e->raw_len + e->gz_len;
}

CacheEntry *
cache_entry_make(const char *key, const uint8_t *raw, size_t len, int z, long x, long y, unsigned layers,
				 int historical)
{
	/* one block: the entry, its key and its bytes (one allocation to make, one to free) */
	size_t		keylen = strlen(key);
	CacheEntry *e = calloc(1, sizeof(CacheEntry) + keylen + 1 + len);

	if (e == NULL)
		return NULL;
	e->key = (char *) (e + 1);
	memcpy(e->key, key, keylen + 1);
	e->raw = (uint8_t *) e->key + keylen + 1;
	if (len)
		memcpy(e->raw, raw, len);
	e->raw_len = len;
	e->gz = cache_gzip(raw, len, &e->gz_len);
	e->gz_tried = 1;
	entry_fill(e, z, x, y, layers, historical);
	return e;
}

CacheEntry *
cache_entry_borrow(const char *key, const uint8_t *raw, size_t len, int z, long x, long y, unsigned layers,
				   int historical)
{
	CacheEntry *e = calloc(1, sizeof(CacheEntry));

	if (e == NULL)
		return NULL;
	e->borrowed = 1;
	e->key = (char *) key;
	e->raw = (uint8_t *) raw;
	e->raw_len = len;
	entry_fill(e, z, x, y, layers, historical);
	return e;
}

int
cache_entry_gz(CacheEntry *e)
{
	if (!e->gz_tried)
	{
		e->gz = cache_gzip(e->raw, e->raw_len, &e->gz_len);
		e->gz_tried = 1;
	}
	return e->gz != NULL;
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

void
cache_entry_remove(Cache *c, CacheEntry *e)
{
	CacheEntry **p = &c->buckets[e->bucket];

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
			cache_entry_remove(c, old);
			break;
		}
	while (c->bytes + e->cost > c->capacity && c->tail)
	{
		cache_entry_remove(c, c->tail);
		c->evictions++;
	}
	if (!cache_index_add(c, e))
	{
		cache_entry_free(e);
		return NULL;
	}
	e->bucket = b;
	e->chain = c->buckets[b];
	c->buckets[b] = e;
	lru_push_front(c, e);
	c->bytes += e->cost;
	c->entries++;
	return e;
}

void
cache_free(Cache *c)
{
	if (c == NULL)
		return;
	while (c->head)
		cache_entry_remove(c, c->head);
	free(c->buckets);
	free(c->tile_buckets);
	free(c->cell_buckets);
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
