-- tile(): argument checks and sizes (contents are decoded by tests/sh/tile_contents.sh),
-- on the Panzhihua sample in a database of its own
\set test_db :DBNAME '_tile'
\getenv abs_srcdir PG_ABS_SRCDIR
\set include :abs_srcdir '/include/sample_db.sql'
\i :include
SET search_path = tailings, public;
\set SHOW_CONTEXT never

-- z 0..22, x and y 0..2^z-1, known layers
SELECT tile(23, 0, 0);
\echo :LAST_ERROR_SQLSTATE
SELECT tile(-1, 0, 0);
\echo :LAST_ERROR_SQLSTATE
SELECT tile(3, 8, 0);
\echo :LAST_ERROR_SQLSTATE
SELECT tile(3, 0, -1);
\echo :LAST_ERROR_SQLSTATE
SELECT tile(3, 1, 1, '{ponds,wells}');
\echo :LAST_ERROR_SQLSTATE
SELECT tile(3, 1, 1, '{ponds,NULL}');
\echo :LAST_ERROR_SQLSTATE
SELECT tile(NULL, 0, 0);
\echo :LAST_ERROR_SQLSTATE

-- a tile with nothing is an empty bytea; so is the whole map before the sample was loaded
SELECT tile(3, 1, 1) = ''::bytea AS empty_far_away, tile(22, 0, 0) = ''::bytea AS empty_deep;
SELECT tile(0, 0, 0, NULL, '2000-01-01') = ''::bytea AS empty_in_2000;
SELECT tile(0, 0, 0, '{}') = ''::bytea AS no_layers;
-- whole-world and whole-city tiles carry the ponds only, and stay small
SELECT length(tile(0, 0, 0)) BETWEEN 1000 AND 20000 AS world_small, length(tile(8, 200, 108)) > 0 AS city;
-- the 4490 GiST index serves the tile's bounding box (a plain index scan, whatever the statistics)
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM element
 WHERE geom && ST_Transform(ST_TileEnvelope(14, 12824, 6942, margin => 64.0 / 4096), 4490);
RESET enable_seqscan;
RESET enable_bitmapscan;
-- argument order usable by other tile servers' function sources
SELECT p.oid::regprocedure, p.provolatile, p.proparallel, pg_get_function_arguments(p.oid)
  FROM pg_proc p WHERE p.proname = 'tile' AND p.pronamespace = 'tailings'::regnamespace;

\c :regress_db
DROP DATABASE :test_db;
