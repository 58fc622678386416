/*
 * mvt.h - reading and checking Mapbox Vector Tiles (specification 2.1).
 */
#ifndef TAILINGS_MVT_H
#define TAILINGS_MVT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct MvtReport
{
	int			errors;			/* violations of the specification */
	int			warnings;		/* violations of its SHOULDs */
	int			layers;
	int			features;
	FILE	   *log;			/* where errors and warnings are written; NULL: nowhere */
} MvtReport;

/* Output of mvt_print */
typedef enum MvtFormat
{
	MVT_FORMAT_NONE,			/* check only */
	MVT_FORMAT_SUMMARY,			/* a line per layer and per feature */
	MVT_FORMAT_GEOJSON			/* a GeoJSON FeatureCollection */
} MvtFormat;

/* The tile's position, to write GeoJSON in longitude and latitude. */
typedef struct MvtTileId
{
	int			z;
	long		x;
	long		y;
	int			set;			/* 0: write tile coordinates */
} MvtTileId;

/*
 * Decode and check a tile; print it in the given format to out.  An empty
 * buffer is a valid tile with no layers.  Returns 0 when the tile is valid
 * (report->errors == 0), -1 otherwise; a buffer that is not a protocol
 * buffer of the MVT schema counts as one error.
 */
int			mvt_check(const uint8_t *buf, size_t len, MvtFormat format, const MvtTileId *tile,
					  FILE *out, MvtReport *report);

#endif
