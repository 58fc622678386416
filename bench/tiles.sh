#!/usr/bin/env bash
# Tile generation: tailings.tile() over a fixed list of tiles, z10 to z16,
# around every 50th pond of the national data set (sql/generate_national.sql,
# default 7,820 ponds): tiles per second and mean bytes, by zoom; against a
# reference run in the same session: a bare ST_AsMVT of the same elements in
# one layer with two properties (no pond layer, no scores, no layer split).
#   bench/tiles.sh [PONDS]
. "$(dirname "$0")/lib.sh"
ponds=${1:-7820}
createdb bench
psql -X -q -d bench -c "CREATE EXTENSION tailings CASCADE"
echo "generating $ponds ponds ..." >&2
psql -X -q -d bench -v ponds="$ponds" -f sql/generate_national.sql >&2
psql -X -q -d bench -c "VACUUM ANALYZE" >&2
psql -X -q -d bench <<'SQL'
CREATE TABLE tiles AS
SELECT z, floor((ST_X(p.location) + 180) / 360 * 2 ^ z)::int AS x,
       floor((1 - ln(tan(radians(ST_Y(p.location))) + 1 / cos(radians(ST_Y(p.location)))) / pi()) / 2 * 2 ^ z)::int AS y
  FROM tailings.pond p, generate_series(10, 16) AS z
 WHERE p.id % 50 = 0;
CREATE TABLE results (what text, z int, ms float8, bytes int);
CREATE FUNCTION reference_tile(z int, x int, y int) RETURNS bytea LANGUAGE sql STABLE AS $$
	SELECT coalesce(ST_AsMVT(q, 'elements', 4096, 'geom'), '')
	  FROM (SELECT e.id, e.kind::text AS kind,
	               ST_AsMVTGeom(ST_Transform(e.geom, 3857), ST_TileEnvelope(z, x, y), 4096, 64, true) AS geom
	          FROM tailings.element e
	         WHERE e.geom && ST_Transform(ST_TileEnvelope(z, x, y, margin => 64.0 / 4096), 4490)) q
$$;
-- each tile timed on its own, three passes, alternating the two
DO $$
DECLARE t record; t0 timestamptz; b bytea;
BEGIN
	FOR pass IN 1..3 LOOP
		FOR t IN SELECT * FROM tiles ORDER BY z, x, y LOOP
			t0 := clock_timestamp();
			b := tailings.tile(t.z, t.x, t.y);
			INSERT INTO results VALUES ('tile', t.z, extract(epoch FROM clock_timestamp() - t0) * 1000, length(b));
			t0 := clock_timestamp();
			b := reference_tile(t.z, t.x, t.y);
			INSERT INTO results VALUES ('reference', t.z, extract(epoch FROM clock_timestamp() - t0) * 1000, length(b));
		END LOOP;
	END LOOP;
END $$;
SQL
echo
psql -X -q -d bench -P footer=off <<'SQL'
SELECT (SELECT count(*) FROM tiles) AS tiles, (SELECT count(*) FROM tailings.pond) AS ponds,
       (SELECT count(*) FROM tailings.element) AS elements;
SELECT z,
       round(count(*) FILTER (WHERE what = 'tile') / (sum(ms) FILTER (WHERE what = 'tile') / 1000))::int AS tiles_per_s,
       round(avg(bytes) FILTER (WHERE what = 'tile'))::int AS mean_bytes,
       round(count(*) FILTER (WHERE what = 'reference') / (sum(ms) FILTER (WHERE what = 'reference') / 1000))::int AS reference_per_s,
       round(avg(bytes) FILTER (WHERE what = 'reference'))::int AS reference_bytes
  FROM results GROUP BY ROLLUP (z) ORDER BY z NULLS LAST;
SELECT format('tailings.tile: %s tiles/s, mean %s bytes; reference ST_AsMVT: %s tiles/s; ratio tile / reference speed %s',
              round(count(*) FILTER (WHERE what = 'tile') / (sum(ms) FILTER (WHERE what = 'tile') / 1000)),
              round(avg(bytes) FILTER (WHERE what = 'tile')),
              round(count(*) FILTER (WHERE what = 'reference') / (sum(ms) FILTER (WHERE what = 'reference') / 1000)),
              round(((sum(ms) FILTER (WHERE what = 'reference')) / (sum(ms) FILTER (WHERE what = 'tile')))::numeric, 2)) AS summary
  FROM results;
SQL
