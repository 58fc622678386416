/*
 * pmtiles.h - the PMTiles version 3 format (protomaps' single-file tile
 * archive): tile ids on the Hilbert curves of each zoom, varints, directories,
 * the 127-byte header, and a writer that deduplicates and run-length encodes
 * tiles and lays an archive out.  Pure: no database, no network; zlib for gzip.
 *
 * An archive as the writer lays it out:
 *   header (127 bytes) | root directory | JSON metadata | leaf directories | tile data
 * Tiles are gzip-compressed (tile compression gzip), as are the directories
 * and the metadata (internal compression gzip).  Tile data is clustered: in
 * tile id order, a repeated tile pointing back at the first copy.
 */
#ifndef TAILINGS_PMTILES_H
#define TAILINGS_PMTILES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PMT_HEADER_LEN 127
/* the header and the compressed root directory fit in the first 16 KiB */
#define PMT_ROOT_MAX (16384 - PMT_HEADER_LEN)
/* a leaf directory holds this many entries at first (more when the root would not fit) */
#define PMT_LEAF_ENTRIES 4096
/* the deepest zoom whose tile ids fit in 64 bits with room to spare */
#define PMT_MAX_ZOOM 26

/* compression and tile type codes of the header */
#define PMT_COMPRESSION_NONE 1
#define PMT_COMPRESSION_GZIP 2
#define PMT_TILE_MVT 1

/* the tile id of z/x/y: the tiles of every lower zoom, then the position on zoom z's Hilbert curve */
uint64_t	pmt_tile_id(int z, uint32_t x, uint32_t y);
/* z/x/y of a tile id; -1 when the id is beyond PMT_MAX_ZOOM */
int			pmt_tile_zxy(uint64_t id, int *z, uint32_t *x, uint32_t *y);

/* v as a little-endian base-128 varint into buf (10 bytes at most); its length */
size_t		pmt_varint_put(uint8_t *buf, uint64_t v);
/* the varint at buf[*pos]; advances *pos; -1 when it runs past len or over 64 bits */
int			pmt_varint_get(const uint8_t *buf, size_t len, size_t *pos, uint64_t *v);

/* a growable byte buffer */
typedef struct PmtBuf
{
	uint8_t    *data;
	size_t		len,
				cap;
} PmtBuf;

int			pmt_buf_add(PmtBuf *b, const void *bytes, size_t len);
void		pmt_buf_free(PmtBuf *b);

/* gzip (level 9 for directories and metadata, 6 for tiles is the caller's choice) and back */
int			pmt_gzip(const uint8_t *in, size_t len, int level, PmtBuf *out);
int			pmt_gunzip(const uint8_t *in, size_t len, PmtBuf *out);

/* a directory entry: a tile (run_length > 0) or a leaf directory (run_length 0) */
typedef struct PmtEntry
{
	uint64_t	tile_id;
	uint64_t	offset;
	uint32_t	length;
	uint32_t	run_length;
} PmtEntry;

/* the entries encoded (count, delta-coded ids, run lengths, lengths, offsets), not compressed */
int			pmt_dir_encode(const PmtEntry *e, size_t n, PmtBuf *out);
/* the entries of an encoded (uncompressed) directory; malloc'd into *out; -1 when malformed */
int			pmt_dir_decode(const uint8_t *buf, size_t len, PmtEntry **out, size_t *n);

typedef struct PmtHeader
{
	uint64_t	root_offset,
				root_length,
				metadata_offset,
				metadata_length,
				leaf_offset,
				leaf_length,
				data_offset,
				data_length,
				addressed_tiles,
				tile_entries,
				tile_contents;
	int			clustered;
	int			internal_compression,
				tile_compression,
				tile_type;
	int			min_zoom,
				max_zoom,
				center_zoom;
	double		min_lon,
				min_lat,
				max_lon,
				max_lat,
				center_lon,
				center_lat;
} PmtHeader;

void		pmt_header_write(const PmtHeader *h, uint8_t out[PMT_HEADER_LEN]);
/* -1 unless the bytes are a version 3 header */
int			pmt_header_read(const uint8_t in[PMT_HEADER_LEN], PmtHeader *h);

/*
 * The writer: tiles are added in increasing tile id order (each one's bytes
 * uncompressed, not empty); each is gzip-compressed, a tile equal to one
 * already stored points at it (found by hash, confirmed byte for byte), and
 * a run of consecutive ids with the same tile is one entry.  The tile data
 * goes to data, a scratch file opened for reading and writing (the writer
 * closes it); pmt_writer_finish copies it into the archive.
 */
typedef struct PmtWriter PmtWriter;

/*
 * root_max: the compressed root directory's size at most (PMT_ROOT_MAX; less
 * makes leaf directories of small archives, for tests).  NULL when out of memory
 * (data is closed then too).
 */
PmtWriter  *pmt_writer_new(size_t root_max, FILE *data);
/* 0, or -1 with the reason in pmt_writer_error() */
int			pmt_writer_add(PmtWriter *w, uint64_t tile_id, const uint8_t *tile, size_t len);
/*
 * The archive into out (at its current position 0): the header from info's
 * zooms, bounds and centre (the rest is the writer's), the directories, the
 * metadata (JSON, gzip-compressed here) and the tile data.
 */
int			pmt_writer_finish(PmtWriter *w, FILE *out, const char *metadata, size_t metadata_len,
							  const PmtHeader *info);
const char *pmt_writer_error(const PmtWriter *w);
void		pmt_writer_free(PmtWriter *w);

/* what the writer has taken so far */
typedef struct PmtStats
{
	uint64_t	addressed;		/* tiles added */
	uint64_t	entries;		/* directory entries (runs) */
	uint64_t	contents;		/* distinct tiles stored */
	uint64_t	data_bytes;		/* their compressed bytes */
	uint64_t	leaves;			/* leaf directories (after finish) */
} PmtStats;

PmtStats	pmt_writer_stats(const PmtWriter *w);

#endif
