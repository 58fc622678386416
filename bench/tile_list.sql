-- The tiles the server benchmarks ask for (bench/lib.sh bench_national_tiles):
-- candidates are the tiles z12-z16 at the location of about ntiles/5 * 1.3
-- ponds spread over the data set; kept are the non-empty ones, at most ntiles,
-- in a fixed shuffled order (i), with each tile's size and md5.
--   psql -v ntiles=N -f bench/tile_list.sql
\set ON_ERROR_STOP 1
CREATE TABLE bench_candidates AS
WITH p AS (SELECT location, row_number() OVER (ORDER BY id) AS n, count(*) OVER () AS total FROM tailings.pond)
SELECT DISTINCT z, floor((ST_X(p.location) + 180) / 360 * 2 ^ z)::int AS x,
       floor((1 - ln(tan(radians(ST_Y(p.location))) + 1 / cos(radians(ST_Y(p.location)))) / pi()) / 2 * 2 ^ z)::int AS y
  FROM p, generate_series(12, 16) AS z
 WHERE p.n % greatest(1, p.total / ceil(:ntiles * 1.3 / 5)::int) = 0;
CREATE TABLE bench_tiles AS
SELECT row_number() OVER (ORDER BY md5(format('%s/%s/%s', z, x, y)))::int AS i, z, x, y, bytes, md5
  FROM (SELECT z, x, y, length(t) AS bytes, md5(t) AS md5
          FROM (SELECT z, x, y, tailings.tile(z, x, y) AS t FROM bench_candidates) c) c
 WHERE bytes > 0
 ORDER BY i LIMIT :ntiles;
ALTER TABLE bench_tiles ADD PRIMARY KEY (i);
ANALYZE bench_tiles;
