/*
 * pmtiles.c - the PMTiles version 3 format: tile ids, varints, directories,
 * the header, and the archive writer (see pmtiles.h).  Written from the
 * specification (protomaps/PMTiles spec/v3/spec.md).
 */
#include "pmtiles.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

/* ---------------------------------------------------------------------------
 * tile ids
 */

/* the tiles of the zooms below z: 1 + 4 + ... + 4^(z-1) */
static uint64_t
zoom_base(int z)
{
	return ((UINT64_C(1) << (2 * z)) - 1) / 3;
}

uint64_t
pmt_tile_id(int z, uint32_t x, uint32_t y)
{
	uint64_t	n = UINT64_C(1) << z;
	uint64_t	xx = x,
				yy = y,
				d = 0;

	/*
	 * The Hilbert curve's index of x, y on an n x n grid: from the largest
	 * quadrant down, the quadrant's place on the curve, then the
	 * coordinates turned into the quadrant's own frame.
	 */
	for (uint64_t s = n / 2; s > 0; s /= 2)
	{
		int			rx = (xx & s) != 0;
		int			ry = (yy & s) != 0;

		d += s * s * (uint64_t) ((3 * rx) ^ ry);
		if (!ry)
		{
			uint64_t	t;

			if (rx)
			{
				xx = n - 1 - xx;
				yy = n - 1 - yy;
			}
			t = xx;
			xx = yy;
			yy = t;
		}
	}
	return zoom_base(z) + d;
}

int
pmt_tile_zxy(uint64_t id, int *z, uint32_t *x, uint32_t *y)
{
	int			zz = 0;
	uint64_t	d,
				xx = 0,
				yy = 0;

	while (zz <= PMT_MAX_ZOOM && id >= zoom_base(zz + 1))
		zz++;
	if (zz > PMT_MAX_ZOOM)
		return -1;
	d = id - zoom_base(zz);
	for (uint64_t s = 1; s < (UINT64_C(1) << zz); s *= 2)
	{
		uint64_t	rx = 1 & (d / 2);
		uint64_t	ry = 1 & (d ^ rx);

		if (!ry)
		{
			uint64_t	t;

			if (rx)
			{
				xx = s - 1 - xx;
				yy = s - 1 - yy;
			}
			t = xx;
			xx = yy;
			yy = t;
		}
		xx += s * rx;
		yy += s * ry;
		d /= 4;
	}
	*z = zz;
	*x = (uint32_t) xx;
	*y = (uint32_t) yy;
	return 0;
}

/* ---------------------------------------------------------------------------
 * varints and buffers
 */

size_t
pmt_varint_put(uint8_t *buf, uint64_t v)
{
	size_t		n = 0;

	while (v >= 0x80)
	{
		buf[n++] = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	buf[n++] = (uint8_t) v;
	return n;
}

int
pmt_varint_get(const uint8_t *buf, size_t len, size_t *pos, uint64_t *v)
{
	uint64_t	r = 0;

	for (int shift = 0; shift < 64; shift += 7)
	{
		uint8_t		b;

		if (*pos >= len)
			return -1;
		b = buf[(*pos)++];
		/* the tenth byte holds the top bit only */
		if (shift == 63 && b > 1)
			return -1;
		r |= (uint64_t) (b & 0x7f) << shift;
		if (!(b & 0x80))
		{
			*v = r;
			return 0;
		}
	}
	return -1;
}

/* room for len bytes more */
static int
buf_reserve(PmtBuf *b, size_t len)
{
	if (b->len + len > b->cap)
	{
		size_t		cap = b->cap ? b->cap : 256;
		uint8_t    *grown;

		while (cap < b->len + len)
			cap *= 2;
		if ((grown = realloc(b->data, cap)) == NULL)
			return -1;
		b->data = grown;
		b->cap = cap;
	}
	return 0;
}

int
pmt_buf_add(PmtBuf *b, const void *bytes, size_t len)
{
	if (buf_reserve(b, len) != 0)
		return -1;
	if (len)
		memcpy(b->data + b->len, bytes, len);
	b->len += len;
	return 0;
}

void
pmt_buf_free(PmtBuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

static int
buf_varint(PmtBuf *b, uint64_t v)
{
	uint8_t		tmp[10];

	return pmt_buf_add(b, tmp, pmt_varint_put(tmp, v));
}

/* ---------------------------------------------------------------------------
 * gzip
 */

int
pmt_gzip(const uint8_t *in, size_t len, int level, PmtBuf *out)
{
	z_stream	zs;
	uLong		bound;
	int			rc;

	memset(&zs, 0, sizeof zs);
	/* 16 + 15: a gzip wrapper around the deflate stream; its header has no time, so equal tiles compress equally */
	if (deflateInit2(&zs, level, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(&zs, (uLong) len);
	out->len = 0;
	if (buf_reserve(out, bound) != 0)
	{
		deflateEnd(&zs);
		return -1;
	}
	zs.next_in = (Bytef *) in;
	zs.avail_in = (uInt) len;
	zs.next_out = out->data;
	zs.avail_out = (uInt) out->cap;
	rc = deflate(&zs, Z_FINISH);
	out->len = zs.total_out;
	deflateEnd(&zs);
	return rc == Z_STREAM_END ? 0 : -1;
}

int
pmt_gunzip(const uint8_t *in, size_t len, PmtBuf *out)
{
	z_stream	zs;
	int			rc = Z_OK;

	memset(&zs, 0, sizeof zs);
	if (inflateInit2(&zs, 16 + 15) != Z_OK)
		return -1;
	out->len = 0;
	zs.next_in = (Bytef *) in;
	zs.avail_in = (uInt) len;
	while (rc == Z_OK)
	{
		if (out->len == out->cap && buf_reserve(out, out->cap ? out->cap : 4 * len + 64) != 0)
			break;
		zs.next_out = out->data + out->len;
		zs.avail_out = (uInt) (out->cap - out->len);
		rc = inflate(&zs, Z_NO_FLUSH);
		out->len = out->cap - zs.avail_out;
		if (rc == Z_BUF_ERROR && zs.avail_out > 0)
			break;				/* the input ended early */
		if (rc == Z_BUF_ERROR)
			rc = Z_OK;
	}
	inflateEnd(&zs);
	return rc == Z_STREAM_END && zs.avail_in == 0 ? 0 : -1;
}

/* ---------------------------------------------------------------------------
 * directories
 */

int
pmt_dir_encode(const PmtEntry *e, size_t n, PmtBuf *out)
{
	uint64_t	last = 0;
	int			rc = buf_varint(out, n);

	for (size_t i = 0; i < n && rc == 0; i++)
	{
		rc = buf_varint(out, e[i].tile_id - last);
		last = e[i].tile_id;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = buf_varint(out, e[i].run_length);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = buf_varint(out, e[i].length);
	/* an offset right after the previous entry's bytes is 0, any other offset + 1 */
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = buf_varint(out, i > 0 && e[i].offset == e[i - 1].offset + e[i - 1].length ? 0 : e[i].offset + 1);
	return rc;
}

int
pmt_dir_decode(const uint8_t *buf, size_t len, PmtEntry **out, size_t *n)
{
	size_t		pos = 0;
	uint64_t	count,
				v,
				last = 0;
	PmtEntry   *e;

	*out = NULL;
	*n = 0;
	/* each entry takes four bytes at least */
	if (pmt_varint_get(buf, len, &pos, &count) != 0 || count > len / 4 + 1)
		return -1;
	if ((e = calloc(count ? count : 1, sizeof *e)) == NULL)
		return -1;
	for (uint64_t i = 0; i < count; i++)
	{
		if (pmt_varint_get(buf, len, &pos, &v) != 0)
			goto bad;
		last += v;
		e[i].tile_id = last;
	}
	for (uint64_t i = 0; i < count; i++)
	{
		if (pmt_varint_get(buf, len, &pos, &v) != 0 || v > UINT32_MAX)
			goto bad;
		e[i].run_length = (uint32_t) v;
	}
	for (uint64_t i = 0; i < count; i++)
	{
		if (pmt_varint_get(buf, len, &pos, &v) != 0 || v == 0 || v > UINT32_MAX)
			goto bad;
		e[i].length = (uint32_t) v;
	}
	for (uint64_t i = 0; i < count; i++)
	{
		if (pmt_varint_get(buf, len, &pos, &v) != 0)
			goto bad;
		if (v == 0 && i > 0)
			e[i].offset = e[i - 1].offset + e[i - 1].length;
		else if (v == 0)
			goto bad;
		else
			e[i].offset = v - 1;
	}
	if (pos != len)
		goto bad;
	*out = e;
	*n = (size_t) count;
	return 0;
bad:
	free(e);
	return -1;
}

/* ---------------------------------------------------------------------------
 * the header
 */

static void
put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

static uint64_t
get_u64(const uint8_t *p)
{
	uint64_t	v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* a longitude or latitude: degrees x 10^7 as a little-endian int32 */
static void
put_degrees(uint8_t *p, double deg)
{
	double		scaled = deg * 1e7;
	int32_t		v = (int32_t) (scaled < 0 ? scaled - 0.5 : scaled + 0.5);
	uint32_t	u = (uint32_t) v;

	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t) (u >> (8 * i));
}

static double
get_degrees(const uint8_t *p)
{
	uint32_t	u = (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;

	return (int32_t) u / 1e7;
}

static const uint8_t MAGIC[7] = {'P', 'M', 'T', 'i', 'l', 'e', 's'};

void
pmt_header_write(const PmtHeader *h, uint8_t out[PMT_HEADER_LEN])
{
	memcpy(out, MAGIC, 7);
	out[7] = 3;
	put_u64(out + 8, h->root_offset);
	put_u64(out + 16, h->root_length);
	put_u64(out + 24, h->metadata_offset);
	put_u64(out + 32, h->metadata_length);
	put_u64(out + 40, h->leaf_offset);
	put_u64(out + 48, h->leaf_length);
	put_u64(out + 56, h->data_offset);
	put_u64(out + 64, h->data_length);
	put_u64(out + 72, h->addressed_tiles);
	put_u64(out + 80, h->tile_entries);
	put_u64(out + 88, h->tile_contents);
	out[96] = (uint8_t) (h->clustered ? 1 : 0);
	out[97] = (uint8_t) h->internal_compression;
	out[98] = (uint8_t) h->tile_compression;
	out[99] = (uint8_t) h->tile_type;
	out[100] = (uint8_t) h->min_zoom;
	out[101] = (uint8_t) h->max_zoom;
	put_degrees(out + 102, h->min_lon);
	put_degrees(out + 106, h->min_lat);
	put_degrees(out + 110, h->max_lon);
	put_degrees(out + 114, h->max_lat);
	out[118] = (uint8_t) h->center_zoom;
	put_degrees(out + 119, h->center_lon);
	put_degrees(out + 123, h->center_lat);
}

int
pmt_header_read(const uint8_t in[PMT_HEADER_LEN], PmtHeader *h)
{
	if (memcmp(in, MAGIC, 7) != 0 || in[7] != 3)
		return -1;
	h->root_offset = get_u64(in + 8);
	h->root_length = get_u64(in + 16);
	h->metadata_offset = get_u64(in + 24);
	h->metadata_length = get_u64(in + 32);
	h->leaf_offset = get_u64(in + 40);
	h->leaf_length = get_u64(in + 48);
	h->data_offset = get_u64(in + 56);
	h->data_length = get_u64(in + 64);
	h->addressed_tiles = get_u64(in + 72);
	h->tile_entries = get_u64(in + 80);
	h->tile_contents = get_u64(in + 88);
	h->clustered = in[96];
	h->internal_compression = in[97];
	h->tile_compression = in[98];
	h->tile_type = in[99];
	h->min_zoom = in[100];
	h->max_zoom = in[101];
	h->min_lon = get_degrees(in + 102);
	h->min_lat = get_degrees(in + 106);
	h->max_lon = get_degrees(in + 110);
	h->max_lat = get_degrees(in + 114);
	h->center_zoom = in[118];
	h->center_lon = get_degrees(in + 119);
	h->center_lat = get_degrees(in + 123);
	return 0;
}

/* ---------------------------------------------------------------------------
 * the writer
 */

/* a stored tile, by the hash of its compressed bytes (length 0: a free slot) */
typedef struct Stored
{
	uint64_t	hash;
	uint64_t	offset;
	uint32_t	length;
} Stored;

struct PmtWriter
{
	size_t		root_max;
	FILE	   *data;
	uint64_t	data_len;
	PmtEntry   *e;
	size_t		n,
				cap;
	Stored	   *table;
	size_t		tcap,
				tused;
	uint64_t	addressed,
				leaves;
	PmtBuf		gz,
				back;
	char		err[256];
};

static int
fail(PmtWriter *w, const char *fmt, ...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(w->err, sizeof w->err, fmt, ap);
	va_end(ap);
	return -1;
}

PmtWriter *
pmt_writer_new(size_t root_max, FILE *data)
{
	PmtWriter  *w = calloc(1, sizeof *w);

	if (w == NULL)
	{
		if (data)
			fclose(data);
		return NULL;
	}
	w->root_max = root_max;
	w->data = data;
	w->tcap = 1024;
	if (data == NULL || (w->table = calloc(w->tcap, sizeof(Stored))) == NULL)
	{
		pmt_writer_free(w);
		return NULL;
	}
	return w;
}

void
pmt_writer_free(PmtWriter *w)
{
	if (w == NULL)
		return;
	if (w->data)
		fclose(w->data);
	free(w->e);
	free(w->table);
	pmt_buf_free(&w->gz);
	pmt_buf_free(&w->back);
	free(w);
}

const char *
pmt_writer_error(const PmtWriter *w)
{
	return w->err;
}

PmtStats
pmt_writer_stats(const PmtWriter *w)
{
	PmtStats	s;

	s.addressed = w->addressed;
	s.entries = w->n;
	s.contents = w->tused;
	s.data_bytes = w->data_len;
	s.leaves = w->leaves;
	return s;
}

/* FNV-1a, 64 bits */
static uint64_t
hash_bytes(const uint8_t *p, size_t len)
{
	uint64_t	h = UINT64_C(14695981039346656037);

	for (size_t i = 0; i < len; i++)
	{
		h ^= p[i];
		h *= UINT64_C(1099511628211);
	}
	return h;
}

/* the slot of these bytes, or the free slot where they would go; *same: found */
static Stored *
table_find(PmtWriter *w, uint64_t hash, const uint8_t *bytes, size_t len, int *same)
{
	size_t		i = (size_t) (hash & (w->tcap - 1));

	*same = 0;
	for (;; i = (i + 1) & (w->tcap - 1))
	{
		Stored	   *s = &w->table[i];

		if (s->length == 0)
			return s;
		if (s->hash != hash || s->length != len)
			continue;
		/* the same hash: the same bytes only when they read back the same */
		w->back.len = 0;
		if (buf_reserve(&w->back, len) != 0 || fflush(w->data) != 0 ||
			pread(fileno(w->data), w->back.data, len, (off_t) s->offset) != (ssize_t) len)
			return NULL;
		if (memcmp(w->back.data, bytes, len) == 0)
		{
			*same = 1;
			return s;
		}
	}
}

static int
table_grow(PmtWriter *w)
{
	Stored	   *old = w->table;
	size_t		oldcap = w->tcap;

	w->table = calloc(oldcap * 2, sizeof(Stored));
	if (w->table == NULL)
	{
		w->table = old;
		return -1;
	}
	w->tcap = oldcap * 2;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].length)
		{
			size_t		j = (size_t) (old[i].hash & (w->tcap - 1));

			while (w->table[j].length)
				j = (j + 1) & (w->tcap - 1);
			w->table[j] = old[i];
		}
	free(old);
	return 0;
}

int
pmt_writer_add(PmtWriter *w, uint64_t tile_id, const uint8_t *tile, size_t len)
{
	PmtEntry   *last = w->n ? &w->e[w->n - 1] : NULL;
	uint64_t	hash,
				offset;
	Stored	   *slot;
	int			same;

	if (len == 0)
		return fail(w, "tile %llu is empty: an archive holds no empty tiles", (unsigned long long) tile_id);
	if (last && tile_id < last->tile_id + last->run_length)
		return fail(w, "tile %llu after tile %llu: tiles are added in increasing id order",
					(unsigned long long) tile_id, (unsigned long long) (last->tile_id + last->run_length - 1));
	if (pmt_gzip(tile, len, 6, &w->gz) != 0)
		return fail(w, "out of memory compressing tile %llu", (unsigned long long) tile_id);
	if (w->gz.len > UINT32_MAX)
		return fail(w, "tile %llu is too large", (unsigned long long) tile_id);
	hash = hash_bytes(w->gz.data, w->gz.len);
	if ((slot = table_find(w, hash, w->gz.data, w->gz.len, &same)) == NULL)
		return fail(w, "cannot read the tile data back: %s", strerror(errno));
	if (same)
		offset = slot->offset;
	else
	{
		offset = w->data_len;
		if (fwrite(w->gz.data, 1, w->gz.len, w->data) != w->gz.len)
			return fail(w, "cannot write the tile data: %s", strerror(errno));
		w->data_len += w->gz.len;
		slot->hash = hash;
		slot->offset = offset;
		slot->length = (uint32_t) w->gz.len;
		if (++w->tused * 10 > w->tcap * 7 && table_grow(w) != 0)
			return fail(w, "out of memory");
	}
	w->addressed++;
	/* the same tile right after the last run: the run grows */
	if (last && last->offset == offset && last->length == w->gz.len &&
		last->tile_id + last->run_length == tile_id && last->run_length < UINT32_MAX)
	{
		last->run_length++;
		return 0;
	}
	if (w->n == w->cap)
	{
		size_t		cap = w->cap ? w->cap * 2 : 1024;
		PmtEntry   *grown = realloc(w->e, cap * sizeof *grown);

		if (grown == NULL)
			return fail(w, "out of memory");
		w->e = grown;
		w->cap = cap;
	}
	w->e[w->n].tile_id = tile_id;
	w->e[w->n].offset = offset;
	w->e[w->n].length = (uint32_t) w->gz.len;
	w->e[w->n].run_length = 1;
	w->n++;
	return 0;
}

/* entries encoded and gzip-compressed, appended to out */
static int
dir_compressed(const PmtEntry *e, size_t n, PmtBuf *scratch, PmtBuf *gz, PmtBuf *out)
{
	scratch->len = 0;
	if (pmt_dir_encode(e, n, scratch) != 0 || pmt_gzip(scratch->data, scratch->len, 9, gz) != 0)
		return -1;
	return pmt_buf_add(out, gz->data, gz->len);
}

/*
 * The root directory, and the leaf directories when all the entries do not
 * fit in the root: leaves of PMT_LEAF_ENTRIES entries, twice as many while
 * the root of their entries is still too large.
 */
static int
directories(PmtWriter *w, PmtBuf *root, PmtBuf *leaves)
{
	PmtBuf		scratch = {0},
				gz = {0};
	PmtEntry   *index = NULL;
	int			rc = -1;

	if (dir_compressed(w->e, w->n, &scratch, &gz, root) != 0)
		goto done;
	if (root->len <= w->root_max)
	{
		rc = 0;
		goto done;
	}
	for (size_t per = PMT_LEAF_ENTRIES;; per *= 2)
	{
		size_t		nleaves = (w->n + per - 1) / per;

		root->len = leaves->len = 0;
		free(index);
		if ((index = calloc(nleaves, sizeof *index)) == NULL)
			goto done;
		for (size_t i = 0; i < nleaves; i++)
		{
			size_t		first = i * per,
						count = w->n - first < per ? w->n - first : per;
			size_t		at = leaves->len;

			if (dir_compressed(w->e + first, count, &scratch, &gz, leaves) != 0)
				goto done;
			index[i].tile_id = w->e[first].tile_id;
			index[i].offset = at;
			index[i].length = (uint32_t) (leaves->len - at);
			index[i].run_length = 0;
		}
		if (dir_compressed(index, nleaves, &scratch, &gz, root) != 0)
			goto done;
		if (root->len <= w->root_max)
		{
			w->leaves = nleaves;
			rc = 0;
			goto done;
		}
		if (nleaves == 1)
			break;
	}
	fail(w, "the root directory does not fit in %zu bytes", w->root_max);
	rc = -2;
done:
	if (rc == -1)
		fail(w, "out of memory making the directories");
	free(index);
	pmt_buf_free(&scratch);
	pmt_buf_free(&gz);
	return rc == 0 ? 0 : -1;
}

int
pmt_writer_finish(PmtWriter *w, FILE *out, const char *metadata, size_t metadata_len,
				  const PmtHeader *info)
{
	PmtBuf		root = {0},
				leaves = {0},
				meta = {0};
	PmtHeader	h = *info;
	uint8_t		head[PMT_HEADER_LEN];
	char		chunk[65536];
	size_t		got;
	int			rc = -1;

	if (w->n == 0)
		return fail(w, "no tiles: an archive holds one tile at least");
	if (directories(w, &root, &leaves) != 0)
		goto done;
	if (pmt_gzip((const uint8_t *) metadata, metadata_len, 9, &meta) != 0)
	{
		fail(w, "out of memory compressing the metadata");
		goto done;
	}
	h.root_offset = PMT_HEADER_LEN;
	h.root_length = root.len;
	h.metadata_offset = h.root_offset + root.len;
	h.metadata_length = meta.len;
	h.leaf_offset = h.metadata_offset + meta.len;
	h.leaf_length = leaves.len;
	h.data_offset = h.leaf_offset + leaves.len;
	h.data_length = w->data_len;
	h.addressed_tiles = w->addressed;
	h.tile_entries = w->n;
	h.tile_contents = w->tused;
	h.clustered = 1;
	h.internal_compression = PMT_COMPRESSION_GZIP;
	h.tile_compression = PMT_COMPRESSION_GZIP;
	h.tile_type = PMT_TILE_MVT;
	pmt_header_write(&h, head);
	if (fwrite(head, 1, sizeof head, out) != sizeof head ||
		fwrite(root.data, 1, root.len, out) != root.len ||
		fwrite(meta.data, 1, meta.len, out) != meta.len ||
		(leaves.len && fwrite(leaves.data, 1, leaves.len, out) != leaves.len))
	{
		fail(w, "cannot write the archive: %s", strerror(errno));
		goto done;
	}
	if (fflush(w->data) != 0 || fseek(w->data, 0, SEEK_SET) != 0)
	{
		fail(w, "cannot read the tile data back: %s", strerror(errno));
		goto done;
	}
	while ((got = fread(chunk, 1, sizeof chunk, w->data)) > 0)
		if (fwrite(chunk, 1, got, out) != got)
		{
			fail(w, "cannot write the archive: %s", strerror(errno));
			goto done;
		}
	if (ferror(w->data) || fflush(out) != 0)
	{
		fail(w, "cannot write the archive: %s", strerror(errno));
		goto done;
	}
	rc = 0;
done:
	pmt_buf_free(&root);
	pmt_buf_free(&leaves);
	pmt_buf_free(&meta);
	return rc;
}
