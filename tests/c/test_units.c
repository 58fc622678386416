/*
 * Unit tests of the tile server's pure parts: path parsing, configuration,
 * tile bounds, and the cache (eviction, bounding-box invalidation, ETags).
 * Prints "ok N - name" / "not ok N - name" lines (TAP) and exits non-zero on
 * any failure.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "conf.h"
#include "route.h"
#include "tilemath.h"

static int	ntests = 0,
			nfailed = 0;

#define CHECK(cond, name) check((cond), (name), __LINE__)

static void
check(int ok, const char *name, int line)
{
	ntests++;
	if (ok)
		printf("ok %d - %s\n", ntests, name);
	else
	{
		nfailed++;
		printf("not ok %d - %s (line %d)\n", ntests, name, line);
	}
}

static Route
parse(const char *path, const char *query)
{
	Route		r;

	route_parse(path, query, &r);
	return r;
}

static void
test_routes(void)
{
	Route		r;
	char		buf[256];

	r = parse("/tiles/all/14/12824/6942.mvt", NULL);
	CHECK(r.kind == ROUTE_TILE && r.z == 14 && r.x == 12824 && r.y == 6942 && r.layers == route_all_layers(),
		  "tile path with all layers");
	r = parse("/tiles/ponds,groundwater/0/0/0.pbf", NULL);
	CHECK(r.kind == ROUTE_TILE && r.layers == (LAYER_PONDS | (1u << 5)), "tile path with two layers, .pbf");
	route_layers_array(r.layers, buf, sizeof buf);
	CHECK(strcmp(buf, "{ponds,groundwater}") == 0, "layers as a text[] literal");
	route_layers_name(r.layers, buf, sizeof buf);
	CHECK(strcmp(buf, "ponds,groundwater") == 0, "layers as a name");
	route_layers_name(route_all_layers(), buf, sizeof buf);
	CHECK(strcmp(buf, "all") == 0, "all layers named all");
	r = parse("/tiles/wells/1/0/0.mvt", NULL);
	CHECK(r.kind == ROUTE_NOT_FOUND && strcmp(r.layer_error, "wells") == 0, "unknown layer is 404");
	r = parse("/tiles/ponds,/1/0/0.mvt", NULL);
	CHECK(r.kind == ROUTE_NOT_FOUND, "empty layer name is 404");
	CHECK(parse("/tiles/all/23/0/0.mvt", NULL).kind == ROUTE_BAD, "z 23 is 400");
	CHECK(parse("/tiles/all/3/8/0.mvt", NULL).kind == ROUTE_BAD, "x = 2^z is 400");
	CHECK(parse("/tiles/all/3/7/7.mvt", NULL).kind == ROUTE_TILE, "x, y = 2^z - 1 is a tile");
	CHECK(parse("/tiles/all/3/-1/0.mvt", NULL).kind == ROUTE_BAD, "negative x is 400");
	CHECK(parse("/tiles/all/3/1/1.png", NULL).kind == ROUTE_BAD, "wrong extension is 400");
	CHECK(parse("/tiles/all/3/1.mvt", NULL).kind == ROUTE_BAD, "missing y is 400");
	CHECK(parse("/tiles/all/a/1/1.mvt", NULL).kind == ROUTE_BAD, "letters in z are 400");
	CHECK(parse("/tiles/all/99999999999999999999/1/1.mvt", NULL).kind == ROUTE_BAD, "huge z is 400");
	r = parse("/tiles/all/3/1/1.mvt", "at=2025-03-01T08:00:00+08:00");
	CHECK(r.kind == ROUTE_TILE && strcmp(r.at, "2025-03-01T08:00:00+08:00") == 0, "at with offset");
	r = parse("/tiles/all/3/1/1.mvt", "at=2025-03-01T08:00:00 08:00");
	CHECK(r.kind == ROUTE_TILE && strcmp(r.at, "2025-03-01T08:00:00+08:00") == 0, "at: a + sent as a space");
	CHECK(parse("/tiles/all/3/1/1.mvt", "x=1&at=2025-03-01").kind == ROUTE_TILE, "at among other parameters");
	r = parse("/tiles/all/3/1/1.mvt", "at=2025-03-01T08:00:00%2B08:00");
	CHECK(r.kind == ROUTE_TILE && strcmp(r.at, "2025-03-01T08:00:00+08:00") == 0, "at percent-encoded");
	CHECK(parse("/tiles/all/3/1/1.mvt", "at=2025-03-01T08:00:00%2").kind == ROUTE_BAD, "truncated escape is 400");
	CHECK(parse("/tiles/all/3/1/1.mvt", "at=2025-03-01T08:00:00%zz").kind == ROUTE_BAD, "bad escape is 400");
	r = parse("/tiles/\xe5\xb0\xbe\"x/1/0/0.mvt", NULL);
	CHECK(r.kind == ROUTE_NOT_FOUND && strcmp(r.layer_error, "????x") == 0, "unknown layer named in ASCII only");
	CHECK(parse("/tiles/all/3/1/1.mvt", "at=yesterday").kind == ROUTE_BAD, "at not ISO 8601 is 400");
	CHECK(parse("/tiles/all/3/1/1.mvt", "at=2025-13").kind == ROUTE_BAD, "truncated at is 400");
	CHECK(route_valid_time("2025-03-01") && route_valid_time("2025-03-01T08:00Z") &&
		  route_valid_time("2025-03-01T08:00:00.123456-05") && !route_valid_time("2025-03-01T8:00") &&
		  !route_valid_time("2025-03-01T08:00:00+0800x"), "ISO 8601 forms");
	/* any fraction of a second is the same cached moment, not a query of its own */
	r = parse("/tiles/all/3/1/1.mvt", "at=2025-03-01T08:00:00.123456%2B08:00");
	CHECK(r.kind == ROUTE_TILE && strcmp(r.at, "2025-03-01T08:00:00+08:00") == 0, "at fraction dropped");
	r = parse("/tiles/all/3/1/1.mvt", "at=2025-03-01T08:00:59.9Z");
	CHECK(r.kind == ROUTE_TILE && strcmp(r.at, "2025-03-01T08:00:59Z") == 0, "at to the second");
	r = parse("/tiles/groundwater.json", NULL);
	CHECK(r.kind == ROUTE_TILEJSON && r.layers == (1u << 5), "TileJSON path");
	CHECK(parse("/tiles/nope.json", NULL).kind == ROUTE_NOT_FOUND, "TileJSON of an unknown layer is 404");
	CHECK(parse("/style.json", NULL).kind == ROUTE_STYLE, "style");
	r = parse("/sprite@2x.png", NULL);
	CHECK(r.kind == ROUTE_SPRITE && r.sprite_png && r.sprite_2x, "sprite @2x png");
	CHECK(parse("/fonts/Noto Sans Regular/0-255.pbf", NULL).kind == ROUTE_GLYPHS, "glyph range");
	CHECK(parse("/fonts/x/255-0.pbf", NULL).kind == ROUTE_BAD, "reversed glyph range is 400");
	CHECK(parse("/api/ponds", NULL).kind == ROUTE_PONDS, "pond list");
	r = parse("/api/ponds/42", NULL);
	CHECK(r.kind == ROUTE_POND && r.pond_id == 42, "one pond");
	r = parse("/api/ponds/42/completeness", NULL);
	CHECK(r.kind == ROUTE_POND_COMPLETENESS && r.pond_id == 42, "a pond's completeness");
	CHECK(parse("/api/ponds/x", NULL).kind == ROUTE_BAD, "pond id not a number is 400");
	CHECK(parse("/api/ponds/42/other", NULL).kind == ROUTE_NOT_FOUND, "unknown pond sub-resource is 404");
	CHECK(parse("/health", NULL).kind == ROUTE_HEALTH && parse("/metrics", NULL).kind == ROUTE_METRICS,
		  "health and metrics");
	CHECK(parse("/index.html", NULL).kind == ROUTE_STATIC && parse("/", NULL).kind == ROUTE_STATIC, "static files");
	CHECK(parse("relative", NULL).kind == ROUTE_BAD, "a path without / is 400");
}

/* the connection limits, --public-url and the repeatable --server-name */
static void
test_conf_limits(FILE *devnull)
{
	Conf		c;
	char		err[512];
	char		path[] = "/tmp/tailings-conf-XXXXXX";
	int			fd = mkstemp(path);
	FILE	   *f = fdopen(fd, "w");

	unsetenv("TAILINGS_SERVER_NAME");
	unsetenv("TAILINGS_PUBLIC_URL");
	{
		char	   *argv[] = {"x", "--db", "d", NULL};

		CHECK(conf_load(&c, 3, argv, err, sizeof err, devnull) == 0 && c.header_timeout_s == 10 && c.max_conns == 0 &&
			  c.max_conns_per_ip == 64 && c.max_streams_per_ip == 8 && c.public_url == NULL && c.nserver_names == 0,
			  "limits: defaults");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--db", "d", "--header-timeout-s", "0", NULL};

		CHECK(conf_load(&c, 5, argv, err, sizeof err, devnull) == 2 && strstr(err, "header-timeout-s"),
			  "header-timeout-s 0 is exit 2");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--db", "d", "--max-conns-per-ip=0", "--max-conns", "500", "--max-streams-per-ip", "2", NULL};

		CHECK(conf_load(&c, 8, argv, err, sizeof err, devnull) == 0 && c.max_conns_per_ip == 0 && c.max_conns == 500 &&
			  c.max_streams_per_ip == 2, "limits from flags");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--db", "d", "--public-url", "https://Maps.example.org:8443/one-map//", NULL};

		CHECK(conf_load(&c, 5, argv, err, sizeof err, devnull) == 0 &&
			  strcmp(c.public_url, "https://Maps.example.org:8443/one-map") == 0, "public-url, trailing slashes dropped");
		conf_free(&c);
	}
	{
		const char *bad[] = {"javascript:alert(1)", "http://", "https:///x", "http://a b", "http://x\"><y", "http://x?q=1",
		"ftp://x"};

		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		{
			char	   *argv[] = {"x", "--db", "d", "--public-url", (char *) bad[i], NULL};

			CHECK(conf_load(&c, 5, argv, err, sizeof err, devnull) == 2 && strstr(err, "public-url") &&
				  strchr(err, '\n') == NULL, "a bad public-url is exit 2 with a one-line message");
			conf_free(&c);
		}
	}
	setenv("TAILINGS_PUBLIC_URL", "http://env.example", 1);
	{
		char	   *argv[] = {"x", "--db", "d", NULL};

		CHECK(conf_load(&c, 3, argv, err, sizeof err, devnull) == 0 && strcmp(c.public_url, "http://env.example") == 0,
			  "public-url from the environment");
		conf_free(&c);
	}
	unsetenv("TAILINGS_PUBLIC_URL");
	fprintf(f, "db = d\nserver-name = file1.example\nserver-name = file2.example\n");
	fclose(f);
	{
		char	   *argv[] = {"x", "--config", path, NULL};

		CHECK(conf_load(&c, 3, argv, err, sizeof err, devnull) == 0 && c.nserver_names == 2 &&
			  strcmp(c.server_names[1], "file2.example") == 0, "server-name lines of the file add up");
		conf_free(&c);
	}
	setenv("TAILINGS_SERVER_NAME", "a.example, B.example", 1);
	{
		char	   *argv[] = {"x", "--config", path, NULL};

		CHECK(conf_load(&c, 3, argv, err, sizeof err, devnull) == 0 && c.nserver_names == 2 &&
			  strcmp(c.server_names[0], "a.example") == 0 && strcmp(c.server_names[1], "b.example") == 0,
			  "TAILINGS_SERVER_NAME: a list, replacing the file's, lower case");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--config", path, "--server-name", "x.example", "--server-name=y.example:8443", NULL};

		CHECK(conf_load(&c, 6, argv, err, sizeof err, devnull) == 0 && c.nserver_names == 2 &&
			  strcmp(c.server_names[0], "x.example") == 0 && strcmp(c.server_names[1], "y.example:8443") == 0,
			  "repeated --server-name flags add up and replace the environment's");
		conf_free(&c);
	}
	unsetenv("TAILINGS_SERVER_NAME");
	{
		char	   *argv[] = {"x", "--db", "d", "--server-name", "evil\"name", NULL};

		CHECK(conf_load(&c, 5, argv, err, sizeof err, devnull) == 2 && strstr(err, "server-name"),
			  "a bad server-name is exit 2");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--db", "d", "--server-name", " , ", NULL};

		CHECK(conf_load(&c, 5, argv, err, sizeof err, devnull) == 2, "an empty server-name is exit 2");
		conf_free(&c);
	}
	unlink(path);
}

static void
test_conf(void)
{
	Conf		c;
	char		err[512];
	FILE	   *devnull = fopen("/dev/null", "w");
	char		path[] = "/tmp/tailings-conf-XXXXXX";
	int			fd = mkstemp(path);
	FILE	   *f = fdopen(fd, "w");

	unsetenv("DATABASE_URL");
	unsetenv("TAILINGS_POOL");
	unsetenv("TAILINGS_CONFIG");
	{
		char	   *argv[] = {"x", "--db", "dbname=a", NULL};

		CHECK(conf_load(&c, 3, argv, err, sizeof err, devnull) == 0 && c.pool == 8 && c.cache_mb == 256 &&
			  c.listen_port == 7800 && strcmp(c.listen_host, "127.0.0.1") == 0 && strcmp(c.cors_origin, "*") == 0,
			  "defaults");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", NULL};

		CHECK(conf_load(&c, 1, argv, err, sizeof err, devnull) == 2 && strstr(err, "DATABASE_URL") != NULL,
			  "no database is exit 2");
		conf_free(&c);
	}
	fprintf(f, "# a comment\npool = 3\ncache-mb = 7 # trailing\nlisten = 0.0.0.0:9000\ndb = dbname=file\n");
	fclose(f);
	setenv("TAILINGS_POOL", "5", 1);
	{
		char	   *argv[] = {"x", "--config", path, NULL};

		CHECK(conf_load(&c, 3, argv, err, sizeof err, devnull) == 0 && c.pool == 5 && c.cache_mb == 7 &&
			  c.listen_port == 9000 && strcmp(c.db, "dbname=file") == 0, "environment beats the file");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--config", path, "--pool=9", NULL};

		CHECK(conf_load(&c, 4, argv, err, sizeof err, devnull) == 0 && c.pool == 9, "a flag beats the environment");
		conf_free(&c);
	}
	unsetenv("TAILINGS_POOL");
	{
		char	   *argv[] = {"x", "--db", "d", "--pool", "0", NULL};

		CHECK(conf_load(&c, 5, argv, err, sizeof err, devnull) == 2 && strstr(err, "pool") != NULL,
			  "pool 0 is exit 2 with a message");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--db", "d", "--listen", "nowhere", NULL};

		CHECK(conf_load(&c, 5, argv, err, sizeof err, devnull) == 2, "bad listen address is exit 2");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--db", "d", "--frobnicate", "1", NULL};

		CHECK(conf_load(&c, 5, argv, err, sizeof err, devnull) == 2 && strstr(err, "frobnicate"), "unknown flag");
		conf_free(&c);
	}
	{
		char	   *argv[] = {"x", "--help", NULL};

		CHECK(conf_load(&c, 2, argv, err, sizeof err, devnull) == 1, "--help");
		conf_free(&c);
	}
	{
		char	   *host;
		int			port;

		CHECK(conf_parse_listen("[::1]:8080", &host, &port) == 0 && strcmp(host, "::1") == 0 && port == 8080,
			  "IPv6 listen address");
		free(host);
		CHECK(conf_parse_listen("h:70000", &host, &port) != 0, "port out of range");
	}
	test_conf_limits(devnull);
	unlink(path);
	fclose(devnull);
}

static void
test_tilemath(void)
{
	Box			b = tile_bounds(0, 0, 0, 0, 4096);
	Box			t;

	CHECK(fabs(b.xmin + 180) < 1e-9 && fabs(b.xmax - 180) < 1e-9 && fabs(b.ymax - 85.0511287798) < 1e-6,
		  "world tile bounds");
	t = tile_bounds(14, 12824, 6942, 0, 4096);
	CHECK(t.xmin < 101.792 && 101.792 < t.xmax && t.ymin < 26.468 && 26.468 < t.ymax, "tile 14/12824/6942 holds pond 8");
	b = tile_bounds(14, 12824, 6942, 64, 4096);
	CHECK(b.xmin < t.xmin && b.xmax > t.xmax && b.ymin < t.ymin && b.ymax > t.ymax, "buffer grows the bounds");
	CHECK(tile_valid(3, 7, 7, 22) && !tile_valid(3, 8, 0, 22) && !tile_valid(23, 0, 0, 22), "tile_valid");
	{
		Box			a = {0, 0, 1, 1},
					c = {1, 1, 2, 2},
					d = {1.1, 0, 2, 1};

		CHECK(box_intersects(&a, &c) && !box_intersects(&a, &d), "box intersection (touching counts)");
	}
}

static void
test_cache(void)
{
	Cache	   *c = cache_create(4000);
	uint8_t		data[1000];
	Box			west = {100, 26, 101, 27},
				east = {102, 26, 103, 27};
	char		key[32];
	const CacheEntry *e;
	CacheStats	s;

	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t) (i * 7);
	e = cache_put(c, "a", data, 500, west, LAYER_PONDS, 0);
	CHECK(e != NULL && cache_get(c, "a") == e && e->raw_len == 500, "put and get");
	CHECK(cache_get(c, "missing") == NULL, "miss");
	CHECK(e->etag[0] == '"' && strcmp(e->etag, e->etag_gz) != 0, "strong ETags differ by encoding");
	{
		char		etag2[40];

		cache_etag(data, 500, "", etag2, sizeof etag2);
		CHECK(strcmp(etag2, e->etag) == 0, "ETag depends on the bytes only");
		cache_etag(data, 499, "", etag2, sizeof etag2);
		CHECK(strcmp(etag2, e->etag) != 0, "other bytes, other ETag");
	}
	/* fill beyond capacity: the least recently used go first */
	for (int i = 0; i < 10; i++)
	{
		snprintf(key, sizeof key, "k%d", i);
		cache_put(c, key, data, 900, east, 2, 0);
	}
	cache_stats(c, &s);
	CHECK(s.bytes <= 4000 && s.evictions > 0 && cache_get(c, "k9") != NULL && cache_get(c, "k0") == NULL,
		  "LRU eviction within capacity");
	CHECK(cache_get(c, "a") == NULL, "oldest entry evicted");
	/* invalidation by box */
	cache_put(c, "w", data, 100, west, 2, 0);
	cache_put(c, "w-hist", data, 100, west, 2, 1);
	cache_put(c, "e-ponds", data, 100, east, LAYER_PONDS, 0);
	{
		Box			change = {100.5, 26.5, 100.6, 26.6};
		long		n = cache_invalidate(c, change, LAYER_PONDS, 0.05);

		CHECK(n == 1 && cache_get(c, "w") == NULL && cache_get(c, "w-hist") != NULL && cache_get(c, "e-ponds") != NULL,
			  "a change drops the current tiles it meets, not historical ones");
	}
	{
		Box			near = {101.98, 26.5, 101.99, 26.6};	/* 0.01 degree west of the east box */

		CHECK(cache_invalidate(c, near, LAYER_PONDS, 0.05) == 1 && cache_get(c, "e-ponds") == NULL,
			  "pond tiles within the margin are dropped too");
	}
	cache_put(c, "p", data, 100, east, LAYER_PONDS | 2, 0);
	CHECK(cache_invalidate_layers(c, LAYER_PONDS) >= 1 && cache_get(c, "p") == NULL, "invalidate by layer");
	/* replacing a key keeps one entry */
	cache_put(c, "r", data, 100, east, 2, 0);
	cache_put(c, "r", data, 200, east, 2, 0);
	e = cache_get(c, "r");
	CHECK(e && e->raw_len == 200, "a put replaces the entry");
	/* an empty tile has no gzip form */
	e = cache_put(c, "empty", data, 0, east, 2, 0);
	CHECK(e && e->raw_len == 0 && e->gz == NULL, "empty tile");
	cache_free(c);

	c = cache_create(0);
	CHECK(cache_put(c, "a", data, 10, west, 2, 0) == NULL && cache_get(c, "a") == NULL, "a zero cache keeps nothing");
	cache_free(c);
}

int
main(void)
{
	test_routes();
	test_conf();
	test_tilemath();
	test_cache();
	printf("1..%d\n", ntests);
	return nfailed ? 1 : 0;
}
