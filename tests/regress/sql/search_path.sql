-- The catalog types work without schema tailings on the search_path, as enums
-- do: their comparison operators and min()/max() are in pg_catalog (0.5.0).
-- in a database of its own: the ids and rows of the other files stay as they are
\set test_db :DBNAME '_search_path'
\getenv abs_srcdir PG_ABS_SRCDIR
\set include :abs_srcdir '/include/own_db.sql'
\i :include
\set SHOW_CONTEXT never
\set VERBOSITY terse
SET search_path = tailings, public;
INSERT INTO pond (code, name, supervision_level, status, location)
VALUES ('SP-1', '搜索路径测试库', 2, 'in_use', ST_SetSRID(ST_MakePoint(101.7, 26.5), 4490));
SELECT id AS pond_id FROM pond WHERE code = 'SP-1' \gset
INSERT INTO element (pond_id, kind, geom, name) VALUES
 (:pond_id, 'dam', ST_GeomFromText('LINESTRING(101.70 26.50, 101.71 26.50)', 4490), 'dam one'),
 (:pond_id, 'dam', ST_GeomFromText('LINESTRING(101.70 26.51, 101.71 26.51)', 4490), 'dam two'),
 (:pond_id, 'sign', ST_GeomFromText('POINT(101.70 26.50)', 4490), 'sign'),
 (:pond_id, 'emergency_pool', ST_GeomFromText('POINT(101.702 26.502)', 4490), 'pool');

-- where the names a query resolves live: pg_catalog (not tailings)
SELECT o.oprname, o.oprnamespace::regnamespace, count(*)
  FROM pg_operator o
 WHERE o.oprleft IN ('tailings.element_kind'::regtype, 'tailings.element_category'::regtype)
 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT p.proname, p.pronamespace::regnamespace, count(*)
  FROM pg_proc p
 WHERE p.prokind = 'a'
   AND p.proargtypes[0] IN ('tailings.element_kind'::regtype, 'tailings.element_category'::regtype)
 GROUP BY 1, 2 ORDER BY 1, 2;

---------------------------------------------------------------------------
-- the same queries with only pg_catalog searched, then with an empty path
---------------------------------------------------------------------------
SET search_path = pg_catalog;
SELECT count(*) AS dams FROM tailings.element WHERE pond_id = :pond_id AND kind = 'dam';
SELECT count(*) AS not_dams FROM tailings.element WHERE pond_id = :pond_id AND kind <> 'dam';
SELECT count(*) AS by_label FROM tailings.element WHERE pond_id = :pond_id AND kind = '坝体';
SELECT count(*) AS in_list FROM tailings.element WHERE pond_id = :pond_id AND kind IN ('dam', 'sign');
SELECT count(*) AS any_array FROM tailings.element WHERE pond_id = :pond_id AND kind = ANY ('{sign,emergency_pool}');
SELECT rule, present, passed FROM tailings.check_completeness(:pond_id) WHERE category = 'emergency' ORDER BY rule;
SELECT count(*) FILTER (WHERE category >= 'site') = count(category) AS all_site_or_after,
       count(*) FILTER (WHERE category > 'site') < count(category) AS some_after_site
  FROM tailings.check_completeness(:pond_id);
-- catalog order, not text order: dam (102) sorts before sign (105) and after pond_boundary (101)
SELECT 'dam'::tailings.element_kind < 'sign', 'dam'::tailings.element_kind > 'pond_boundary';
SELECT min(kind), max(kind), min(tailings.category(kind)), max(tailings.category(kind))
  FROM tailings.element WHERE pond_id = :pond_id;
SELECT kind, count(*) FROM tailings.element WHERE pond_id = :pond_id GROUP BY kind ORDER BY kind;
SELECT DISTINCT kind FROM tailings.element WHERE pond_id = :pond_id ORDER BY 1;
SELECT tailings.category(kind) AS category, count(DISTINCT kind) FROM tailings.element
 WHERE pond_id = :pond_id GROUP BY 1 ORDER BY 1;

-- a temporary table with btree and hash indexes, and the planner uses them
CREATE TEMP TABLE kinds_here AS
SELECT kind, tailings.category(kind) AS category FROM tailings.element, generate_series(1, 200)
 WHERE pond_id = :pond_id;
CREATE INDEX kinds_here_hash ON kinds_here USING hash (kind);
CREATE INDEX kinds_here_btree ON kinds_here (category);
ANALYZE kinds_here;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM kinds_here WHERE kind = 'sign';
EXPLAIN (COSTS OFF) SELECT count(*) FROM kinds_here WHERE category = 'emergency';
SELECT count(*) > 0 AS signs FROM kinds_here WHERE kind = 'sign';
RESET enable_seqscan;
-- hash and merge joins on the types
SET enable_mergejoin = off; SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM tailings.element e JOIN tailings.kinds() k ON k.kind = e.kind;
RESET enable_mergejoin; SET enable_hashjoin = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM tailings.element e JOIN tailings.kinds() k ON k.kind = e.kind;
RESET enable_hashjoin; RESET enable_nestloop;
-- the table's own index serves a query written without the schema on the path
SET enable_seqscan = off; SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM tailings.element WHERE pond_id = 1 AND kind = 'dam';
RESET enable_seqscan; RESET enable_bitmapscan;

SET search_path = '';
SELECT count(*) AS dams FROM tailings.element WHERE pond_id = :pond_id AND kind = 'dam';
SELECT rule FROM tailings.check_completeness(:pond_id) WHERE category = 'emergency' ORDER BY rule;
SELECT count(DISTINCT kind) AS kinds FROM kinds_here;
SELECT max(kind) FROM kinds_here;

-- a view made without the schema on the path deparses with a plain "=",
-- which restores under pg_dump's empty search_path
CREATE TEMP VIEW dams AS SELECT id FROM tailings.element WHERE kind = 'dam';
SELECT pg_catalog.pg_get_viewdef('dams'::pg_catalog.regclass);
SET search_path = tailings, public;

---------------------------------------------------------------------------
-- DROP EXTENSION takes its pg_catalog members with it, and CREATE EXTENSION
-- makes them again (in a database of its own)
---------------------------------------------------------------------------
\set drop_db :test_db '_drop'
CREATE DATABASE :drop_db;
\c :drop_db
SET client_min_messages = warning;
CREATE EXTENSION tailings CASCADE;
SELECT count(*) AS in_pg_catalog FROM pg_depend d JOIN pg_extension x ON x.oid = d.refobjid
 WHERE x.extname = 'tailings' AND d.deptype = 'e'
   AND ((d.classid = 'pg_operator'::regclass
         AND (SELECT oprnamespace FROM pg_operator WHERE oid = d.objid) = 'pg_catalog'::regnamespace)
     OR (d.classid = 'pg_proc'::regclass
         AND (SELECT pronamespace FROM pg_proc WHERE oid = d.objid) = 'pg_catalog'::regnamespace));
DROP EXTENSION tailings;
SELECT count(*) AS left_in_pg_catalog FROM pg_operator
 WHERE oprname = '=' AND oprleft::regtype::text LIKE '%element_kind%';
SELECT count(*) AS aggregates_left FROM pg_proc WHERE proname IN ('min', 'max') AND prorettype::regtype::text LIKE '%element%';
CREATE EXTENSION tailings;
SET search_path = pg_catalog;
SELECT 'dam'::tailings.element_kind = 'dam' AS equal_again;
\c :test_db
DROP DATABASE :drop_db;
SET search_path = tailings, public;

\c :regress_db
DROP DATABASE :test_db;
