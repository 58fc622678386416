/*
 * export.c - `tailings-tileserver export`: the one map of an area as a
 * PMTiles archive (pmtiles.c) for inspectors without a network, and with
 * --with-files each pond's file (tailings.pond_file) beside it.
 *
 * The area is a pond (its registry point and its elements), a county (its
 * ponds') or a box.  At each zoom the tiles made are those that cover the
 * area and that some feature reaches: tailings.tile() takes a feature into a
 * tile when its box meets the tile's bounds grown by the tiles' buffer
 * (contract.h), so a tile whose grown bounds meet no pond's registry point
 * (nor, from the element zoom, any element's box) is empty and is not asked
 * for.  The others are made by tailings.tile() on --jobs connections at once,
 * all in one snapshot (exported by the first connection, as pg_dump -j does:
 * the archive is the map of one moment, its pond files too), and written in
 * tile id order; empty tiles are left out.
 *
 * Nothing is left behind on a failure or an interruption: the archive and
 * the files are made under temporary names beside the output and renamed
 * into place at the end; the scratch file of the tile data is unlinked as
 * soon as it is made.
 */
#include "export.h"

#include <errno.h>
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <libpq-fe.h>

#include "api.h"
#include "pmtiles.h"
#include "route.h"
#include "shape.h"
#include "style.h"
#include "tailings/catalog.h"
#include "tailings/contract.h"
#include "tilemath.h"

#define EXPORT_JOBS_DEFAULT 4
#define EXPORT_JOBS_MAX 64
/* tiles made ahead of the next one to write, at most, per connection */
#define EXPORT_AHEAD 16
/* a feature's box grown by this much (degrees, about 1 cm): boxes in the index are float4, rounded outwards */
#define EXPORT_BOX_SLACK 1e-7

enum
{
	AREA_NONE, AREA_POND, AREA_COUNTY, AREA_BBOX
};

/* the default zooms of each kind of area */
static const int default_minzoom[] = {0, 8, 8, 8};
static const int default_maxzoom[] = {0, 16, 16, 14};

typedef struct ExportArgs
{
	const char *out;
	const char *db;
	int			area;
	long long	pond;
	const char *county;
	Box			bbox;
	int			minzoom,
				maxzoom;
	int			with_files;
	int			jobs;
} ExportArgs;

/*
 * A feature that can put something in a tile: a pond's registry point, or an
 * element (from the element zoom), with its shape (none when its WKB could
 * not be read: its box stands for it then).
 */
typedef struct Feature
{
	Box			box;
	int			element;
	int			shaped;
	Shape		shape;
} Feature;

/* a connection making tiles: the index (into the work list) of the tile on its way, -1 none */
typedef struct Worker
{
	PGconn	   *conn;
	long		idx;
} Worker;

/* a tile made, waiting for its turn to be written */
typedef struct Slot
{
	int			done;
	uint8_t    *data;
	size_t		len;
} Slot;

typedef struct Export
{
	ExportArgs	a;
	PGconn	   *conn;			/* the first connection: the snapshot, the area, the files */
	char		snapshot[128];
	char		exported_at[64];
	char	   *title;
	Box			area;
	long long  *ponds;
	int			nponds;
	Feature    *features;
	size_t		nfeatures;
	uint64_t   *ids;			/* the tiles to make, in tile id order */
	size_t		nids;
	Worker	   *workers;		/* the connections making tiles */
	int			nworkers;
	char		tmp_out[PATH_MAX];
	char		files_dir[PATH_MAX];
	char		tmp_files[PATH_MAX];
	mode_t		umask;			/* the process's, for the modes of what mkstemp and mkdtemp make */
} Export;

static volatile sig_atomic_t export_stop = 0;

static void
on_stop(int sig)
{
	(void) sig;
	export_stop = 1;
}

static void
usage(FILE *f)
{
	fputs("usage: tailings-tileserver export --out FILE.pmtiles (--pond ID | --county CODE | --bbox W,S,E,N)\n"
		  "           [--minzoom N] [--maxzoom N] [--with-files] [--jobs N] [--db URL]\n"
		  "The one map of an area as a PMTiles archive, for inspectors without a network.\n\n"
		  "  --out FILE       the archive (replaced when it exists)\n"
		  "  --pond ID        a pond: its registry point and its elements (zooms 8-16 unless given)\n"
		  "  --county CODE    the ponds of a county, by its code (GB/T 2260; zooms 8-16)\n"
		  "  --bbox W,S,E,N   a box in degrees of longitude and latitude (zooms 8-14)\n"
		  "  --minzoom N, --maxzoom N   the zooms, 0-22\n"
		  "  --with-files     each pond's file as JSON beside the archive: FILE.files/ID.json\n"
		  "                   (Chinese), ID.en.json (English) and index.json (the ponds)\n"
		  "  --jobs N         database connections making tiles at once (default 4)\n"
		  "  --db URL         database connection string or URL (default: $DATABASE_URL)\n\n"
		  "Tiles that cover the area and hold something are written; the archive is the map of\n"
		  "one moment (one snapshot).  Exit status: 0 written; 1 failed or interrupted (nothing\n"
		  "is left behind); 2 invalid arguments.\n", f);
}

/* ---------------------------------------------------------------------------
 * arguments
 */

static int
parse_int(const char *s, long long lo, long long hi, long long *v)
{
	char	   *end;

	errno = 0;
	*v = strtoll(s, &end, 10);
	return *s != '\0' && *end == '\0' && errno == 0 && *v >= lo && *v <= hi ? 0 : -1;
}

static int
parse_bbox(const char *s, Box *b)
{
	double		v[4];
	const char *p = s;

	for (int i = 0; i < 4; i++)
	{
		char	   *end;

		errno = 0;
		v[i] = strtod(p, &end);
		if (end == p || errno != 0 || !isfinite(v[i]) || (*end != (i < 3 ? ',' : '\0')))
			return -1;
		p = end + 1;
	}
	b->xmin = v[0];
	b->ymin = v[1];
	b->xmax = v[2];
	b->ymax = v[3];
	return b->xmin >= -180 && b->xmax <= 180 && b->ymin >= -85.0511 && b->ymax <= 85.0511 &&
		b->xmin < b->xmax && b->ymin < b->ymax ? 0 : -1;
}

/* 0, 1 (--help: usage printed) or 2 with the reason in err */
static int
parse_args(int argc, char **argv, ExportArgs *a, char *err, size_t errlen)
{
	int			areas = 0,
				minzoom = -1,
				maxzoom = -1;
	long long	v;

	memset(a, 0, sizeof *a);
	a->jobs = EXPORT_JOBS_DEFAULT;
	a->db = getenv("DATABASE_URL");
	for (int i = 1; i < argc; i++)
	{
		const char *arg = argv[i];
		const char *value = NULL;
		char		name[32];
		const char *eq;

		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
		{
			usage(stdout);
			return 1;
		}
		if (strncmp(arg, "--", 2) != 0)
		{
			snprintf(err, errlen, "unexpected argument \"%s\" (see export --help)", arg);
			return 2;
		}
		arg += 2;
		eq = strchr(arg, '=');
		snprintf(name, sizeof name, "%.*s", eq ? (int) (eq - arg) : (int) strlen(arg), arg);
		if (strcmp(name, "with-files") == 0)
		{
			if (eq)
			{
				snprintf(err, errlen, "--with-files takes no value");
				return 2;
			}
			a->with_files = 1;
			continue;
		}
		if (eq)
			value = eq + 1;
		else if (i + 1 < argc)
			value = argv[++i];
		else
		{
			snprintf(err, errlen, "option --%s needs a value", name);
			return 2;
		}
		if (strcmp(name, "out") == 0)
			a->out = value;
		else if (strcmp(name, "db") == 0)
			a->db = value;
		else if (strcmp(name, "pond") == 0)
		{
			if (parse_int(value, 1, LLONG_MAX, &v) != 0)
			{
				snprintf(err, errlen, "invalid value \"%s\" for --pond: expected a pond's id (a positive integer)", value);
				return 2;
			}
			a->pond = v;
			a->area = AREA_POND;
			areas++;
		}
		else if (strcmp(name, "county") == 0)
		{
			size_t		n = strlen(value);

			if (n < 2 || n > 12 || strspn(value, "0123456789") != n)
			{
				snprintf(err, errlen, "invalid value \"%s\" for --county: expected a county code (digits, e.g. 510411)", value);
				return 2;
			}
			a->county = value;
			a->area = AREA_COUNTY;
			areas++;
		}
		else if (strcmp(name, "bbox") == 0)
		{
			if (parse_bbox(value, &a->bbox) != 0)
			{
				snprintf(err, errlen, "invalid value \"%s\" for --bbox: expected W,S,E,N in degrees, "
						 "W < E within -180..180, S < N within -85.0511..85.0511", value);
				return 2;
			}
			a->area = AREA_BBOX;
			areas++;
		}
		else if (strcmp(name, "minzoom") == 0 || strcmp(name, "maxzoom") == 0)
		{
			if (parse_int(value, 0, TL_TILE_MAXZOOM, &v) != 0)
			{
				snprintf(err, errlen, "invalid value \"%s\" for --%s: expected 0 to %d", value, name, TL_TILE_MAXZOOM);
				return 2;
			}
			if (name[1] == 'i')
				minzoom = (int) v;
			else
				maxzoom = (int) v;
		}
		else if (strcmp(name, "jobs") == 0)
		{
			if (parse_int(value, 1, EXPORT_JOBS_MAX, &v) != 0)
			{
				snprintf(err, errlen, "invalid value \"%s\" for --jobs: expected 1 to %d", value, EXPORT_JOBS_MAX);
				return 2;
			}
			a->jobs = (int) v;
		}
		else
		{
			snprintf(err, errlen, "unknown option --%s (see export --help)", name);
			return 2;
		}
	}
	if (a->out == NULL || a->out[0] == '\0')
	{
		snprintf(err, errlen, "no --out FILE.pmtiles");
		return 2;
	}
	if (strlen(a->out) > PATH_MAX - 64)
	{
		snprintf(err, errlen, "--out: the path is too long");
		return 2;
	}
	if (areas != 1)
	{
		snprintf(err, errlen, areas ? "one area only: --pond, --county or --bbox" : "no area: give --pond ID, --county CODE or --bbox W,S,E,N");
		return 2;
	}
	if (a->db == NULL || a->db[0] == '\0')
	{
		snprintf(err, errlen, "no database: give --db or set DATABASE_URL");
		return 2;
	}
	a->minzoom = minzoom >= 0 ? minzoom : default_minzoom[a->area];
	a->maxzoom = maxzoom >= 0 ? maxzoom : default_maxzoom[a->area];
	/* one zoom given beyond the other's default: the default follows */
	if (minzoom < 0 && a->minzoom > a->maxzoom)
		a->minzoom = a->maxzoom;
	if (maxzoom < 0 && a->maxzoom < a->minzoom)
		a->maxzoom = a->minzoom;
	if (a->minzoom > a->maxzoom)
	{
		snprintf(err, errlen, "--minzoom %d is above --maxzoom %d", a->minzoom, a->maxzoom);
		return 2;
	}
	return 0;
}

/* ---------------------------------------------------------------------------
 * the database
 */

static PGconn *
connect_db(const char *db)
{
	const char *keys[] = {"dbname", "fallback_application_name", NULL};
	const char *vals[] = {db, "tailings-tileserver export", NULL};
	PGconn	   *c = PQconnectdbParams(keys, vals, 1);

	if (c == NULL || PQstatus(c) != CONNECTION_OK)
	{
		fprintf(stderr, "tailings-tileserver export: cannot connect to the database: %s",
				c ? PQerrorMessage(c) : "out of memory\n");
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* sql on c; the result when it succeeded, else NULL with the database's message said */
static PGresult *
run(PGconn *c, const char *sql, int nparams, const char *const *params)
{
	PGresult   *res = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return res;
	fprintf(stderr, "tailings-tileserver export: %s", PQerrorMessage(c));
	PQclear(res);
	return NULL;
}

/* run() with the rows in binary */
static PGresult *
run_binary(PGconn *c, const char *sql, int nparams, const char *const *params)
{
	PGresult   *res = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 1);

	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return res;
	fprintf(stderr, "tailings-tileserver export: %s", PQerrorMessage(c));
	PQclear(res);
	return NULL;
}

/* a float8 column in binary */
static double
binary_f64(const PGresult *res, int row, int col)
{
	const uint8_t *p = (const uint8_t *) PQgetvalue(res, row, col);
	uint64_t	u = 0;
	double		d;

	for (int i = 0; i < 8; i++)
		u = (u << 8) | p[i];
	memcpy(&d, &u, sizeof d);
	return d;
}

static int
run_ok(PGconn *c, const char *sql)
{
	PGresult   *res = run(c, sql, 0, NULL);

	PQclear(res);
	return res ? 0 : -1;
}

/*
 * The first connection's transaction, whose snapshot the others import: the
 * archive and the files are the map of one moment.  A server that cannot
 * export snapshots (a standby of an old release) gives one per connection.
 */
static int
begin_snapshot(Export *x)
{
	PGresult   *res;

	if (run_ok(x->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY") != 0)
		return -1;
	res = PQexec(x->conn, "SELECT pg_export_snapshot()");
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		snprintf(x->snapshot, sizeof x->snapshot, "%s", PQgetvalue(res, 0, 0));
	else
	{
		fprintf(stderr, "tailings-tileserver export: no snapshot shared by the connections (%s)",
				PQerrorMessage(x->conn));
		PQclear(res);
		if (run_ok(x->conn, "ROLLBACK") != 0 || run_ok(x->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY") != 0)
			return -1;
		res = NULL;
	}
	PQclear(res);
	if ((res = run(x->conn, "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
				   " (SELECT extversion FROM pg_extension WHERE extname = 'tailings')", 0, NULL)) == NULL)
		return -1;
	if (PQgetisnull(res, 0, 1))
	{
		fprintf(stderr, "tailings-tileserver export: the database has no tailings extension\n");
		PQclear(res);
		return -1;
	}
	snprintf(x->exported_at, sizeof x->exported_at, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* a box from four text columns from col on */
static Box
box_of(const PGresult *res, int row, int col)
{
	Box			b;

	b.xmin = strtod(PQgetvalue(res, row, col), NULL);
	b.ymin = strtod(PQgetvalue(res, row, col + 1), NULL);
	b.xmax = strtod(PQgetvalue(res, row, col + 2), NULL);
	b.ymax = strtod(PQgetvalue(res, row, col + 3), NULL);
	return b;
}

#define SQL_EXTENT(of) "ST_XMin(" of "), ST_YMin(" of "), ST_XMax(" of "), ST_YMax(" of ")"

/* the pond's registry point and elements */
static const char SQL_POND_AREA[] =
	"SELECT p.name, p.code, " SQL_EXTENT("x.b") " FROM tailings.pond p,"
	" LATERAL (SELECT ST_Extent(s.g) AS b FROM (SELECT p.location AS g UNION ALL"
	"   SELECT e.geom FROM tailings.element e WHERE e.pond_id = p.id) s) x"
	" WHERE p.id = $1::bigint";

/* the county's ponds' registry points and elements */
static const char SQL_COUNTY_AREA[] =
	"SELECT " SQL_EXTENT("x.b") " FROM (SELECT ST_Extent(s.g) AS b FROM ("
	"   SELECT p.location AS g FROM tailings.pond p WHERE p.county_code = $1 UNION ALL"
	"   SELECT e.geom FROM tailings.element e JOIN tailings.pond p ON p.id = e.pond_id WHERE p.county_code = $1) s) x"
	" WHERE x.b IS NOT NULL";

#define SQL_ENVELOPE "ST_MakeEnvelope($1::float8, $2::float8, $3::float8, $4::float8, 4490)"
/* boxes overlap: the operator tailings.tile() filters with, which row-level security lets use the spatial index */
#define SQL_OVERLAPS "OPERATOR(tailings.&&#)"

/* the ponds of the area (their files, the index): a county's; in a box, those with their point or an element in it */
static const char SQL_COUNTY_PONDS[] =
	"SELECT p.id FROM tailings.pond p WHERE p.county_code = $1 ORDER BY p.code";
static const char SQL_BBOX_PONDS[] =
	"SELECT p.id FROM tailings.pond p WHERE p.location " SQL_OVERLAPS " " SQL_ENVELOPE
	" OR EXISTS (SELECT 1 FROM tailings.element e WHERE e.pond_id = p.id AND e.geom " SQL_OVERLAPS " " SQL_ENVELOPE ")"
	" ORDER BY p.code";

/*
 * What can put something into a tile in the box: ponds' registry points, and
 * elements when $5; each one's box and WKB (binary results).
 */
static const char SQL_FEATURES[] =
	"SELECT false, " SQL_EXTENT("p.location") ", ST_AsBinary(p.location) FROM tailings.pond p"
	" WHERE p.location " SQL_OVERLAPS " " SQL_ENVELOPE
	" UNION ALL"
	" SELECT true, " SQL_EXTENT("e.geom") ", ST_AsBinary(e.geom) FROM tailings.element e"
	" WHERE $5::boolean AND e.geom " SQL_OVERLAPS " " SQL_ENVELOPE;

static void
format_box(const Box *b, char v[4][32])
{
	snprintf(v[0], 32, "%.10f", b->xmin);
	snprintf(v[1], 32, "%.10f", b->ymin);
	snprintf(v[2], 32, "%.10f", b->xmax);
	snprintf(v[3], 32, "%.10f", b->ymax);
}

static int
ponds_of(Export *x, PGresult *res)
{
	x->nponds = PQntuples(res);
	x->ponds = calloc((size_t) x->nponds + 1, sizeof *x->ponds);
	if (x->ponds == NULL)
		return -1;
	for (int i = 0; i < x->nponds; i++)
		x->ponds[i] = strtoll(PQgetvalue(res, i, 0), NULL, 10);
	return 0;
}

/* a malloc'd formatted text; NULL when out of memory */
static char *
text_of(const char *fmt,...) __attribute__((format(printf, 1, 2)));
static char *
text_of(const char *fmt,...)
{
	va_list		ap;
	int			n;
	char	   *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (s = malloc((size_t) n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t) n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* the area's box, title and ponds */
static int
find_area(Export *x)
{
	const ExportArgs *a = &x->a;
	PGresult   *res = NULL;
	char		buf[160];
	int			rc = -1;

	if (a->area == AREA_POND)
	{
		const char *params[1];

		snprintf(buf, sizeof buf, "%lld", a->pond);
		params[0] = buf;
		if ((res = run(x->conn, SQL_POND_AREA, 1, params)) == NULL)
			goto done;
		if (PQntuples(res) != 1)
		{
			fprintf(stderr, "tailings-tileserver export: no pond %lld (or this database role does not see it)\n", a->pond);
			goto done;
		}
		x->area = box_of(res, 0, 2);
		if ((x->title = text_of("%s (%s)", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1))) == NULL)
			goto done;
		if ((x->ponds = malloc(sizeof *x->ponds)) == NULL)
			goto done;
		x->ponds[0] = a->pond;
		x->nponds = 1;
	}
	else if (a->area == AREA_COUNTY)
	{
		const char *params[1] = {a->county};

		if ((res = run(x->conn, SQL_COUNTY_AREA, 1, params)) == NULL)
			goto done;
		if (PQntuples(res) != 1)
		{
			fprintf(stderr, "tailings-tileserver export: no pond in county %s (or none this database role sees)\n", a->county);
			goto done;
		}
		x->area = box_of(res, 0, 0);
		PQclear(res);
		if ((res = run(x->conn, SQL_COUNTY_PONDS, 1, params)) == NULL || ponds_of(x, res) != 0)
			goto done;
		if ((x->title = text_of("county %s", a->county)) == NULL)
			goto done;
	}
	else
	{
		char		v[4][32];
		const char *params[4];

		x->area = a->bbox;
		format_box(&x->area, v);
		for (int i = 0; i < 4; i++)
			params[i] = v[i];
		if ((res = run(x->conn, SQL_BBOX_PONDS, 4, params)) == NULL || ponds_of(x, res) != 0)
			goto done;
		if ((x->title = text_of("box %.5f,%.5f,%.5f,%.5f", x->area.xmin, x->area.ymin, x->area.xmax, x->area.ymax)) == NULL)
			goto done;
	}
	rc = 0;
done:
	PQclear(res);
	return rc;
}

/* ---------------------------------------------------------------------------
 * the tiles to make
 */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *) a,
				y = *(const uint64_t *) b;

	return x < y ? -1 : x > y;
}

static int
add_id(Export *x, size_t *cap, uint64_t id)
{
	if (x->nids == *cap)
	{
		size_t		n = *cap ? *cap * 2 : 4096;
		uint64_t   *grown = realloc(x->ids, n * sizeof *grown);

		if (grown == NULL)
			return -1;
		x->ids = grown;
		*cap = n;
	}
	x->ids[x->nids++] = id;
	return 0;
}

/*
 * The features near the area (within the minimum zoom's tiles over it, with
 * their buffer), then at each zoom the tiles over the area that one of them
 * reaches, in tile id order.  Reaches: a pond's registry point, or an
 * element's shape, meets the tile's bounds grown by the tiles' buffer and
 * one tile unit more (tailings.tile() clips a feature to the buffer, in Web
 * Mercator: a tile's box is a box in degrees too, and a straight edge
 * between two vertices strays from its Web Mercator image by less than a
 * millimetre over a kilometre).  A tile reached by nothing would be empty:
 * it is not asked for, as tailings.tile() takes as long over an empty tile
 * as over a full one.
 */
static int
plan_tiles(Export *x)
{
	const ExportArgs *a = &x->a;
	TileRange	r = tile_cover(&x->area, a->minzoom);
	Box			nw = tile_bounds(a->minzoom, r.x0, r.y0, TL_TILE_BUFFER + 1, TL_TILE_EXTENT),
				se = tile_bounds(a->minzoom, r.x1, r.y1, TL_TILE_BUFFER + 1, TL_TILE_EXTENT);
	Box			near = {nw.xmin, se.ymin, se.xmax, nw.ymax};
	char		v[4][32];
	const char *params[5];
	PGresult   *res;
	size_t		cap = 0,
				kept = 0;

	near = box_grow(near, EXPORT_BOX_SLACK);
	format_box(&near, v);
	for (int i = 0; i < 4; i++)
		params[i] = v[i];
	params[4] = a->maxzoom >= TL_ELEMENT_MINZOOM ? "true" : "false";
	if ((res = run_binary(x->conn, SQL_FEATURES, 5, params)) == NULL)
		return -1;
	x->nfeatures = (size_t) PQntuples(res);
	if ((x->features = calloc(x->nfeatures + 1, sizeof *x->features)) == NULL)
	{
		PQclear(res);
		return -1;
	}
	for (size_t i = 0; i < x->nfeatures; i++)
	{
		Feature    *f = &x->features[i];
		int			row = (int) i;

		f->element = PQgetvalue(res, row, 0)[0] != 0;
		f->box.xmin = binary_f64(res, row, 1);
		f->box.ymin = binary_f64(res, row, 2);
		f->box.xmax = binary_f64(res, row, 3);
		f->box.ymax = binary_f64(res, row, 4);
		f->box = box_grow(f->box, EXPORT_BOX_SLACK);
		f->shaped = shape_from_wkb((const uint8_t *) PQgetvalue(res, row, 5), (size_t) PQgetlength(res, row, 5),
								   &f->shape) == 0;
	}
	PQclear(res);
	for (int z = a->minzoom; z <= a->maxzoom; z++)
	{
		TileRange	cover = tile_cover(&x->area, z);

		for (size_t i = 0; i < x->nfeatures; i++)
		{
			const Feature *f = &x->features[i];
			TileRange	t;

			if (f->element && z < TL_ELEMENT_MINZOOM)
				continue;
			t = tile_touching(&f->box, z, TL_TILE_BUFFER + 1, TL_TILE_EXTENT);
			if (t.x0 < cover.x0)
				t.x0 = cover.x0;
			if (t.y0 < cover.y0)
				t.y0 = cover.y0;
			if (t.x1 > cover.x1)
				t.x1 = cover.x1;
			if (t.y1 > cover.y1)
				t.y1 = cover.y1;
			for (long tx = t.x0; tx <= t.x1; tx++)
				for (long ty = t.y0; ty <= t.y1; ty++)
				{
					if (f->element && f->shaped)
					{
						Box			b = box_grow(tile_bounds(z, tx, ty, TL_TILE_BUFFER + 1, TL_TILE_EXTENT),
												 EXPORT_BOX_SLACK);

						if (!shape_reaches(&f->shape, &b))
							continue;
					}
					if (add_id(x, &cap, pmt_tile_id(z, (uint32_t) tx, (uint32_t) ty)) != 0)
						return -1;
				}
		}
	}
	if (x->nids)
	{
		qsort(x->ids, x->nids, sizeof *x->ids, cmp_u64);
		for (size_t i = 0; i < x->nids; i++)
			if (kept == 0 || x->ids[i] != x->ids[kept - 1])
				x->ids[kept++] = x->ids[i];
		x->nids = kept;
	}
	return 0;
}

/* ---------------------------------------------------------------------------
 * making the tiles
 */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The connections that make the tiles, opened at the start: each makes an
 * empty tile at once, in the background while the first connection plans
 * (a backend's first tailings.tile() loads PostGIS and plans the function's
 * statements: about 0.2 s of CPU, more than a hundred tiles).
 */
static int
workers_start(Export *x)
{
	if ((x->workers = calloc((size_t) x->a.jobs, sizeof *x->workers)) == NULL)
		return -1;
	for (int i = 0; i < x->a.jobs; i++)
	{
		x->workers[i].idx = -1;
		if ((x->workers[i].conn = connect_db(x->a.db)) == NULL)
			return -1;
		x->nworkers++;
		/* a tile of zoom 22 in the Gulf of Guinea: nothing is there */
		if (!PQsendQuery(x->workers[i].conn, "SELECT tailings.tile(22, 0, 0)"))
		{
			fprintf(stderr, "tailings-tileserver export: %s", PQerrorMessage(x->workers[i].conn));
			return -1;
		}
	}
	return 0;
}

/* a worker's first tile over; then its transaction in the first one's snapshot, the tile statement prepared, non-blocking */
static int
worker_ready(Export *x, PGconn *c)
{
	PGresult   *res;
	int			ok = 1;

	while ((res = PQgetResult(c)) != NULL)
	{
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			fprintf(stderr, "tailings-tileserver export: %s", PQresultErrorMessage(res));
			ok = 0;
		}
		PQclear(res);
	}
	if (!ok || run_ok(c, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY") != 0)
		return -1;
	if (x->snapshot[0])
	{
		char	   *lit = PQescapeLiteral(c, x->snapshot, strlen(x->snapshot));
		char		sql[256];

		if (lit == NULL)
			return -1;
		snprintf(sql, sizeof sql, "SET TRANSACTION SNAPSHOT %s", lit);
		PQfreemem(lit);
		if (run_ok(c, sql) != 0)
			return -1;
	}
	res = PQprepare(c, "tile", "SELECT tailings.tile($1::int, $2::int, $3::int)", 3, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		fprintf(stderr, "tailings-tileserver export: %s", PQerrorMessage(c));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return PQsetnonblocking(c, 1) == 0 ? 0 : -1;
}

static int
worker_send(Worker *w, const Export *x, long idx)
{
	int			z;
	uint32_t	tx,
				ty;
	char		zs[8],
				xs[16],
				ys[16];
	const char *params[3] = {zs, xs, ys};

	pmt_tile_zxy(x->ids[idx], &z, &tx, &ty);
	snprintf(zs, sizeof zs, "%d", z);
	snprintf(xs, sizeof xs, "%u", tx);
	snprintf(ys, sizeof ys, "%u", ty);
	if (!PQsendQueryPrepared(w->conn, "tile", 3, params, NULL, NULL, 1))
	{
		fprintf(stderr, "tailings-tileserver export: %s", PQerrorMessage(w->conn));
		return -1;
	}
	w->idx = idx;
	return 0;
}

/* what came on w's connection: its tile into its slot, and w free again once the query is over */
static int
worker_read(Worker *w, Slot *slots, long nslots)
{
	PGresult   *res;

	if (!PQconsumeInput(w->conn))
	{
		fprintf(stderr, "tailings-tileserver export: %s", PQerrorMessage(w->conn));
		return -1;
	}
	while (!PQisBusy(w->conn))
	{
		if ((res = PQgetResult(w->conn)) == NULL)
		{
			w->idx = -1;
			return 0;
		}
		if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		{
			fprintf(stderr, "tailings-tileserver export: %s", PQresultErrorMessage(res));
			PQclear(res);
			return -1;
		}
		{
			Slot	   *s = &slots[w->idx % nslots];
			size_t		len = PQgetisnull(res, 0, 0) ? 0 : (size_t) PQgetlength(res, 0, 0);

			s->len = len;
			s->data = len ? malloc(len) : NULL;
			if (len && s->data == NULL)
			{
				PQclear(res);
				fprintf(stderr, "tailings-tileserver export: out of memory\n");
				return -1;
			}
			if (len)
				memcpy(s->data, PQgetvalue(res, 0, 0), len);
			s->done = 1;
		}
		PQclear(res);
	}
	return 0;
}

/* the progress line: on a terminal rewritten in place, else a line now and then */
static void
progress(const Export *x, size_t done, size_t kept, double t0, int last)
{
	static double shown = 0;
	double		t = now_s();
	int			tty = isatty(STDERR_FILENO);
	int			z = 0;
	uint32_t	tx,
				ty;

	if (!last && t - (shown > t0 ? shown : t0) < (tty ? 0.2 : 2.0))
		return;
	shown = t;
	if (done > 0 && done <= x->nids)
		pmt_tile_zxy(x->ids[done - 1], &z, &tx, &ty);
	fprintf(stderr, "%sexport: %zu/%zu tiles (%.0f%%), %zu kept, %.0f tiles/s, zoom %d%s",
			tty ? "\r" : "", done, x->nids, x->nids ? 100.0 * (double) done / (double) x->nids : 100.0, kept,
			t > t0 ? (double) done / (t - t0) : 0.0, z, tty && !last ? "\033[K" : "\n");
	fflush(stderr);
}

/* every planned tile made and the non-empty ones given to the writer in tile id order */
static int
make_tiles(Export *x, PmtWriter *pw, double *elapsed, size_t *kept_out)
{
	int			njobs = x->nworkers;
	long		nslots = (long) njobs * EXPORT_AHEAD;
	Worker	   *w = x->workers;
	Slot	   *slots = calloc((size_t) nslots, sizeof *slots);
	struct pollfd *pfd = calloc((size_t) njobs, sizeof *pfd);
	long		next_send = 0,
				next_write = 0,
				n = (long) x->nids;
	size_t		kept = 0;
	double		t0 = now_s();
	int			rc = -1;

	if (slots == NULL || pfd == NULL)
	{
		fprintf(stderr, "tailings-tileserver export: out of memory\n");
		goto done;
	}
	for (int i = 0; i < njobs; i++)
		if (worker_ready(x, w[i].conn) != 0)
			goto done;
	t0 = now_s();
	while (next_write < n)
	{
		int			npfd = 0;

		if (export_stop)
		{
			fprintf(stderr, "\ntailings-tileserver export: interrupted\n");
			goto done;
		}
		/* a tile to each free connection, not too far ahead of the next one to write */
		for (int i = 0; i < njobs; i++)
			if (w[i].idx < 0 && next_send < n && next_send < next_write + nslots)
			{
				if (worker_send(&w[i], x, next_send) != 0)
					goto done;
				next_send++;
			}
		for (int i = 0; i < njobs; i++)
			if (w[i].idx >= 0)
			{
				int			f = PQflush(w[i].conn);

				if (f < 0)
				{
					fprintf(stderr, "tailings-tileserver export: %s", PQerrorMessage(w[i].conn));
					goto done;
				}
				pfd[npfd].fd = PQsocket(w[i].conn);
				pfd[npfd].events = (short) (POLLIN | (f ? POLLOUT : 0));
				pfd[npfd].revents = 0;
				npfd++;
			}
		if (npfd > 0 && poll(pfd, (nfds_t) npfd, 1000) < 0 && errno != EINTR)
		{
			fprintf(stderr, "tailings-tileserver export: poll: %s\n", strerror(errno));
			goto done;
		}
		for (int i = 0, k = 0; i < njobs; i++)
			if (w[i].idx >= 0)
			{
				if ((pfd[k].revents & (POLLIN | POLLERR | POLLHUP)) && worker_read(&w[i], slots, nslots) != 0)
					goto done;
				k++;
			}
		/* the tiles done, in order */
		while (next_write < n && slots[next_write % nslots].done)
		{
			Slot	   *s = &slots[next_write % nslots];

			if (s->len > 0)
			{
				if (pmt_writer_add(pw, x->ids[next_write], s->data, s->len) != 0)
				{
					fprintf(stderr, "tailings-tileserver export: %s\n", pmt_writer_error(pw));
					goto done;
				}
				kept++;
			}
			free(s->data);
			memset(s, 0, sizeof *s);
			next_write++;
		}
		progress(x, (size_t) next_write, kept, t0, 0);
	}
	progress(x, (size_t) next_write, kept, t0, 1);
	*elapsed = now_s() - t0;
	*kept_out = kept;
	rc = 0;
done:
	for (long i = 0; slots && i < nslots; i++)
		free(slots[i].data);
	free(slots);
	free(pfd);
	return rc;
}

/* ---------------------------------------------------------------------------
 * the metadata and the files
 */

static void
put_area(struct evbuffer *m, const Export *x)
{
	if (x->a.area == AREA_POND)
		evbuffer_add_printf(m, "{\"pond\":%lld}", x->a.pond);
	else if (x->a.area == AREA_COUNTY)
		evbuffer_add_printf(m, "{\"county\":\"%s\"}", x->a.county);
	else
		evbuffer_add_printf(m, "{\"bbox\":[%.7f,%.7f,%.7f,%.7f]}", x->a.bbox.xmin, x->a.bbox.ymin,
							x->a.bbox.xmax, x->a.bbox.ymax);
}

/* the last part of a path */
static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* the zoom at which the area is about one tile across */
static int
center_zoom(const Export *x)
{
	double		span = fmax(x->area.xmax - x->area.xmin, (x->area.ymax - x->area.ymin) * 1.2);
	int			z = span > 0 ? (int) floor(log2(360.0 / span)) : x->a.maxzoom;

	return z < x->a.minzoom ? x->a.minzoom : z > x->a.maxzoom ? x->a.maxzoom : z;
}

/*
 * The archive's JSON metadata: TileJSON's keys (name, description,
 * attribution, zooms, bounds, center, vector_layers as the server's
 * TileJSON has them) and what the export was (tailings: area, ponds, time).
 */
static struct evbuffer *
metadata(const Export *x)
{
	struct evbuffer *m = evbuffer_new();
	char		name[512];

	if (m == NULL)
		return NULL;
	snprintf(name, sizeof name, "Tailings One-Map: %s", x->title);
	evbuffer_add_printf(m, "{\"name\":");
	style_json_string(m, name);
	evbuffer_add_printf(m, ",\"description\":\"" STYLE_TILES_DESCRIPTION "\",\"attribution\":\"" STYLE_TILES_ATTRIBUTION "\","
						"\"type\":\"overlay\",\"format\":\"pbf\",\"generator\":\"tailings-tileserver export\","
						"\"minzoom\":%d,\"maxzoom\":%d,\"bounds\":[%.7f,%.7f,%.7f,%.7f],\"center\":[%.7f,%.7f,%d],"
						"\"vector_layers\":",
						x->a.minzoom, x->a.maxzoom, x->area.xmin, x->area.ymin, x->area.xmax, x->area.ymax,
						(x->area.xmin + x->area.xmax) / 2, (x->area.ymin + x->area.ymax) / 2, center_zoom(x));
	style_vector_layers(m, route_all_layers());
	evbuffer_add_printf(m, ",\"tailings\":{\"area\":");
	put_area(m, x);
	evbuffer_add_printf(m, ",\"exported_at\":\"%s\",\"ponds\":[", x->exported_at);
	for (int i = 0; i < x->nponds; i++)
		evbuffer_add_printf(m, "%s%lld", i ? "," : "", x->ponds[i]);
	evbuffer_add_printf(m, "],\"files\":");
	if (x->a.with_files)
		style_json_string(m, base_name(x->files_dir));
	else
		evbuffer_add_printf(m, "null");
	evbuffer_add_printf(m, "}}");
	return m;
}

static int
write_file(const char *dir, const char *name, const char *bytes, size_t len)
{
	char		path[PATH_MAX];
	FILE	   *f;
	int			ok;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL)
	{
		fprintf(stderr, "tailings-tileserver export: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	ok = fwrite(bytes, 1, len, f) == len;
	ok &= fclose(f) == 0;
	if (!ok)
		fprintf(stderr, "tailings-tileserver export: cannot write %s: %s\n", path, strerror(errno));
	return ok ? 0 : -1;
}

/* remove a directory of files (no subdirectories) */
static void
remove_dir(const char *dir)
{
	DIR		   *d = opendir(dir);
	struct dirent *e;
	char		path[PATH_MAX];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
	{
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static const char SQL_POND_FILE[] = "SELECT tailings.pond_file($1::bigint)::text";
static const char SQL_INDEX[] =
	"SELECT coalesce(json_agg(" API_SQL_POND_SUMMARY " ORDER BY p.code), '[]')::text"
	" FROM tailings.pond p JOIN tailings.pond_overview o USING (id) WHERE p.id = ANY ($1::bigint[])";

/* each pond's file, in Chinese (ID.json) and English (ID.en.json), and index.json, into the temporary directory */
static int
write_files(Export *x)
{
	static const char *const langs[2] = {"zh", "en"};
	struct evbuffer *ids = evbuffer_new(),
			   *index = evbuffer_new();
	PGresult   *res = NULL;
	char		name[64];
	const char *params[1];
	int			rc = -1;

	if (ids == NULL || index == NULL)
		goto done;
	for (int l = 0; l < 2; l++)
	{
		char		sql[128];

		snprintf(sql, sizeof sql, "SELECT set_config('tailings.language', '%s', true)", langs[l]);
		if (run_ok(x->conn, sql) != 0)
			goto done;
		for (int i = 0; i < x->nponds; i++)
		{
			char		id[32];

			if (export_stop)
				goto done;
			snprintf(id, sizeof id, "%lld", x->ponds[i]);
			params[0] = id;
			if ((res = run(x->conn, SQL_POND_FILE, 1, params)) == NULL)
				goto done;
			if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
			{
				fprintf(stderr, "tailings-tileserver export: no file for pond %s\n", id);
				goto done;
			}
			snprintf(name, sizeof name, "%s%s.json", id, l ? ".en" : "");
			if (write_file(x->tmp_files, name, PQgetvalue(res, 0, 0), (size_t) PQgetlength(res, 0, 0)) != 0)
				goto done;
			PQclear(res);
			res = NULL;
		}
	}
	evbuffer_add_printf(ids, "{");
	for (int i = 0; i < x->nponds; i++)
		evbuffer_add_printf(ids, "%s%lld", i ? "," : "", x->ponds[i]);
	evbuffer_add_printf(ids, "}");
	evbuffer_add(ids, "", 1);
	params[0] = (const char *) evbuffer_pullup(ids, -1);
	if ((res = run(x->conn, SQL_INDEX, 1, params)) == NULL)
		goto done;
	evbuffer_add_printf(index, "{\"archive\":");
	style_json_string(index, base_name(x->a.out));
	evbuffer_add_printf(index, ",\"area\":");
	put_area(index, x);
	evbuffer_add_printf(index, ",\"exported_at\":\"%s\",\"files\":{\"zh\":\"{id}.json\",\"en\":\"{id}.en.json\"},"
						"\"ponds\":%s}\n", x->exported_at, PQgetvalue(res, 0, 0));
	rc = write_file(x->tmp_files, "index.json", (const char *) evbuffer_pullup(index, -1), evbuffer_get_length(index));
done:
	PQclear(res);
	if (ids)
		evbuffer_free(ids);
	if (index)
		evbuffer_free(index);
	return rc;
}

/* the files' directory in place: one there before is replaced */
static int
place_files(Export *x)
{
	char		old[PATH_MAX];
	int			had_old = 0;

	if (snprintf(old, sizeof old, "%s.old-XXXXXX", x->files_dir) >= (int) sizeof old)
		return -1;
	if (access(x->files_dir, F_OK) == 0)
	{
		if (mkdtemp(old) == NULL || rmdir(old) != 0 || rename(x->files_dir, old) != 0)
		{
			fprintf(stderr, "tailings-tileserver export: cannot replace %s: %s\n", x->files_dir, strerror(errno));
			return -1;
		}
		had_old = 1;
	}
	if (rename(x->tmp_files, x->files_dir) != 0)
	{
		fprintf(stderr, "tailings-tileserver export: cannot make %s: %s\n", x->files_dir, strerror(errno));
		if (had_old)
			rename(old, x->files_dir);
		return -1;
	}
	x->tmp_files[0] = '\0';
	if (had_old)
		remove_dir(old);
	return 0;
}

/* ---------------------------------------------------------------------------
 * the whole export
 */

static void
export_free(Export *x)
{
	if (x->tmp_out[0])
		unlink(x->tmp_out);
	if (x->tmp_files[0])
		remove_dir(x->tmp_files);
	PQfinish(x->conn);
	for (int i = 0; i < x->nworkers; i++)
		PQfinish(x->workers[i].conn);
	free(x->workers);
	free(x->title);
	free(x->ponds);
	for (size_t i = 0; i < x->nfeatures; i++)
		shape_free(&x->features[i].shape);
	free(x->features);
	free(x->ids);
}

/* the scratch file of the tile data, beside the output, unlinked at once */
static FILE *
scratch_file(const char *out)
{
	char		path[PATH_MAX];
	int			fd;
	FILE	   *f;

	if (snprintf(path, sizeof path, "%s.data-XXXXXX", out) >= (int) sizeof path || (fd = mkstemp(path)) < 0)
		return NULL;
	unlink(path);
	if ((f = fdopen(fd, "w+b")) == NULL)
		close(fd);
	return f;
}

int
export_main(int argc, char **argv)
{
	Export		x;
	char		err[512] = "";
	PmtWriter  *pw = NULL;
	FILE	   *out = NULL;
	struct evbuffer *meta = NULL;
	PmtHeader	info;
	struct sigaction sa;
	const char *env_root = getenv("TAILINGS_PMTILES_ROOT_MAX");
	size_t		root_max = PMT_ROOT_MAX;
	size_t		kept = 0;
	double		elapsed = 0;
	int			fd,
				rc;

	memset(&x, 0, sizeof x);
	rc = parse_args(argc, argv, &x.a, err, sizeof err);
	if (rc == 1)
		return 0;
	if (rc != 0)
	{
		fprintf(stderr, "tailings-tileserver export: %s\n", err);
		return 2;
	}
	rc = 1;
	/* for tests: a smaller root directory, so that a small archive has leaf directories */
	if (env_root && atol(env_root) > 0)
		root_max = (size_t) atol(env_root);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* the output's temporary name first: a directory that cannot be written fails before any work */
	fd = snprintf(x.tmp_out, sizeof x.tmp_out, "%s.tmp-XXXXXX", x.a.out) >= (int) sizeof x.tmp_out ? -1
		: mkstemp(x.tmp_out);
	if (fd < 0 || (out = fdopen(fd, "wb")) == NULL)
	{
		fprintf(stderr, "tailings-tileserver export: cannot write %s: %s\n", x.a.out, strerror(errno));
		if (fd >= 0)
			close(fd);
		else
			x.tmp_out[0] = '\0';
		goto done;
	}
	/* as a file made by open(2) would be: mkstemp's 0600 opened to the umask */
	{
		mode_t		um = umask(0);

		umask(um);
		fchmod(fd, 0666 & ~um);
		x.umask = um;
	}
	if (x.a.with_files)
	{
		size_t		n = strlen(x.a.out);
		const char *ext = ".pmtiles";
		size_t		e = strlen(ext);

		int			len;

		if (n > e && strcmp(x.a.out + n - e, ext) == 0)
			len = snprintf(x.files_dir, sizeof x.files_dir, "%.*s.files", (int) (n - e), x.a.out);
		else
			len = snprintf(x.files_dir, sizeof x.files_dir, "%s.files", x.a.out);
		if (len >= (int) sizeof x.files_dir ||
			snprintf(x.tmp_files, sizeof x.tmp_files, "%s.tmp-XXXXXX", x.files_dir) >= (int) sizeof x.tmp_files ||
			mkdtemp(x.tmp_files) == NULL)
		{
			fprintf(stderr, "tailings-tileserver export: cannot make %s: %s\n", x.files_dir, strerror(errno));
			x.tmp_files[0] = '\0';
			goto done;
		}
		chmod(x.tmp_files, 0777 & ~x.umask);
	}
	if ((x.conn = connect_db(x.a.db)) == NULL || begin_snapshot(&x) != 0 || workers_start(&x) != 0 ||
		find_area(&x) != 0 || plan_tiles(&x) != 0)
		goto done;
	fprintf(stderr, "export: %s, zooms %d-%d, box %.6f,%.6f,%.6f,%.6f: %zu tiles to make (%zu features near), %d job%s\n",
			x.title, x.a.minzoom, x.a.maxzoom, x.area.xmin, x.area.ymin, x.area.xmax, x.area.ymax, x.nids,
			x.nfeatures, x.a.jobs, x.a.jobs > 1 ? "s" : "");
	if (x.nids == 0)
	{
		fprintf(stderr, "tailings-tileserver export: nothing to map in the area at zooms %d-%d\n", x.a.minzoom, x.a.maxzoom);
		goto done;
	}
	if ((pw = pmt_writer_new(root_max, scratch_file(x.a.out))) == NULL)
	{
		fprintf(stderr, "tailings-tileserver export: cannot make a scratch file beside %s: %s\n", x.a.out, strerror(errno));
		goto done;
	}
	if (make_tiles(&x, pw, &elapsed, &kept) != 0)
		goto done;
	if (kept == 0)
	{
		fprintf(stderr, "tailings-tileserver export: every tile of the area is empty at zooms %d-%d\n", x.a.minzoom, x.a.maxzoom);
		goto done;
	}
	if ((meta = metadata(&x)) == NULL)
		goto done;
	memset(&info, 0, sizeof info);
	info.min_zoom = x.a.minzoom;
	info.max_zoom = x.a.maxzoom;
	info.min_lon = x.area.xmin;
	info.min_lat = x.area.ymin;
	info.max_lon = x.area.xmax;
	info.max_lat = x.area.ymax;
	info.center_lon = (x.area.xmin + x.area.xmax) / 2;
	info.center_lat = (x.area.ymin + x.area.ymax) / 2;
	info.center_zoom = center_zoom(&x);
	if (pmt_writer_finish(pw, out, (const char *) evbuffer_pullup(meta, -1), evbuffer_get_length(meta), &info) != 0)
	{
		fprintf(stderr, "tailings-tileserver export: %s\n", pmt_writer_error(pw));
		goto done;
	}
	if (fsync(fileno(out)) != 0 || fclose(out) != 0)
	{
		out = NULL;
		fprintf(stderr, "tailings-tileserver export: cannot write %s: %s\n", x.a.out, strerror(errno));
		goto done;
	}
	out = NULL;
	if (x.a.with_files && (write_files(&x) != 0 || place_files(&x) != 0))
		goto done;
	if (export_stop)
	{
		fprintf(stderr, "tailings-tileserver export: interrupted\n");
		goto done;
	}
	if (rename(x.tmp_out, x.a.out) != 0)
	{
		fprintf(stderr, "tailings-tileserver export: cannot write %s: %s\n", x.a.out, strerror(errno));
		goto done;
	}
	x.tmp_out[0] = '\0';
	{
		PmtStats	st = pmt_writer_stats(pw);
		struct stat sb;

		stat(x.a.out, &sb);
		fprintf(stderr, "export: %s: %llu tiles (%llu distinct, %llu directory entries, %llu leaf directories), "
				"%lld bytes; %zu tiles made in %.2f s, %.0f tiles/s%s%s%s\n",
				x.a.out, (unsigned long long) st.addressed, (unsigned long long) st.contents,
				(unsigned long long) st.entries, (unsigned long long) st.leaves, (long long) sb.st_size, x.nids,
				elapsed, elapsed > 0 ? (double) x.nids / elapsed : 0.0,
				x.a.with_files ? "; pond files in " : "", x.a.with_files ? x.files_dir : "",
				x.a.with_files ? "/" : "");
	}
	rc = 0;
done:
	if (out)
		fclose(out);
	if (meta)
		evbuffer_free(meta);
	pmt_writer_free(pw);
	export_free(&x);
	return rc;
}
