/*
 * tailings-mvtcheck: decode a Mapbox Vector Tile, check it against the
 * specification 2.1, and print a summary or GeoJSON.
 *
 *   tailings-mvtcheck [--summary | --geojson | --quiet] [--tile Z/X/Y] [--hex] [FILE]
 *
 * FILE (default: standard input) holds the tile's bytes, or with --hex their
 * hexadecimal text (PostgreSQL's \x... bytea output).  Exit status: 0 valid,
 * 1 invalid, 2 usage or I/O error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#include "mvt.h"

static void
usage(FILE *f)
{
	fputs("usage: tailings-mvtcheck [--summary | --geojson | --quiet] [--tile Z/X/Y] [--hex] [FILE]\n"
		  "Checks a Mapbox Vector Tile against the specification 2.1 and prints it.\n"
		  "  --summary   a line per layer and per feature (default)\n"
		  "  --geojson   a GeoJSON FeatureCollection; with --tile, in longitude and latitude\n"
		  "  --quiet     print nothing but problems\n"
		  "  --tile Z/X/Y  the tile's position\n"
		  "  --hex       the input is hexadecimal text (\\x prefix and blanks allowed)\n"
		  "Exit status: 0 valid, 1 invalid, 2 usage or input error.\n", f);
}

static unsigned char *
read_all(FILE *f, size_t *len)
{
	size_t		cap = 65536,
				n = 0;
	unsigned char *buf = malloc(cap);

	while (buf)
	{
		size_t		got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (got == 0)
			break;
		if (n == cap)
		{
			unsigned char *bigger = realloc(buf, cap * 2);

			if (bigger == NULL)
			{
				free(buf);
				return NULL;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	if (buf && ferror(f))
	{
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* hexadecimal text to bytes, in place; -1 on a bad digit */
static long
unhex(unsigned char *buf, size_t len)
{
	size_t		i = 0,
				out = 0;
	int			hi = -1;

	while (i < len && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t'))
		i++;
	if (i + 1 < len && buf[i] == '\\' && buf[i + 1] == 'x')
		i += 2;
	for (; i < len; i++)
	{
		int			v;

		if (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t')
			continue;
		v = hex_digit(buf[i]);
		if (v < 0)
			return -1;
		if (hi < 0)
			hi = v;
		else
		{
			buf[out++] = (unsigned char) (hi << 4 | v);
			hi = -1;
		}
	}
	return hi < 0 ? (long) out : -1;
}

int
main(int argc, char **argv)
{
	MvtFormat	format = MVT_FORMAT_SUMMARY;
	MvtTileId	tile = {0};
	int			hex = 0;
	const char *path = NULL;
	FILE	   *in = stdin;
	unsigned char *buf;
	size_t		len = 0;
	MvtReport	report = {0};
	int			rc;

	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--summary") == 0)
			format = MVT_FORMAT_SUMMARY;
		else if (strcmp(argv[i], "--geojson") == 0)
			format = MVT_FORMAT_GEOJSON;
		else if (strcmp(argv[i], "--quiet") == 0)
			format = MVT_FORMAT_NONE;
		else if (strcmp(argv[i], "--hex") == 0)
			hex = 1;
		else if (strcmp(argv[i], "--tile") == 0 && i + 1 < argc)
		{
			char		extra;

			if (sscanf(argv[++i], "%d/%ld/%ld%c", &tile.z, &tile.x, &tile.y, &extra) != 3 ||
				tile.z < 0 || tile.z > 30 || tile.x < 0 || tile.y < 0 ||
				tile.x >= (1L << tile.z) || tile.y >= (1L << tile.z))
			{
				fprintf(stderr, "tailings-mvtcheck: --tile wants Z/X/Y of an existing tile, not \"%s\"\n", argv[i]);
				return 2;
			}
			tile.set = 1;
		}
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
		{
			usage(stdout);
			return 0;
		}
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
		{
			fprintf(stderr, "tailings-mvtcheck: unknown option \"%s\"\n", argv[i]);
			usage(stderr);
			return 2;
		}
		else if (path == NULL)
			path = argv[i];
		else
		{
			usage(stderr);
			return 2;
		}
	}
	if (path && strcmp(path, "-") != 0 && (in = fopen(path, "rb")) == NULL)
	{
		fprintf(stderr, "tailings-mvtcheck: %s: %s\n", path, strerror(errno));
		return 2;
	}
	buf = read_all(in, &len);
	if (in != stdin)
		fclose(in);
	if (buf == NULL)
	{
		fprintf(stderr, "tailings-mvtcheck: cannot read the input\n");
		return 2;
	}
	if (hex)
	{
		long		n = unhex(buf, len);

		if (n < 0)
		{
			fprintf(stderr, "tailings-mvtcheck: the input is not hexadecimal text\n");
			free(buf);
			return 2;
		}
		len = (size_t) n;
	}
	report.log = stderr;
	rc = mvt_check(buf, len, format, &tile, stdout, &report);
	free(buf);
	if (rc != 0)
		fprintf(stderr, "tailings-mvtcheck: invalid tile: %d error(s), %d warning(s)\n",
				report.errors, report.warnings);
	return rc == 0 ? 0 : 1;
}
