-- Views for GIS clients: tailings.element_point, element_line, element_polygon.
-- One geometry family each, kind as text, writable through INSTEAD OF
-- triggers that go through element's checks and change tracking.
-- in a database of its own: the ids and rows of the other files stay as they are
\set test_db :DBNAME '_gis_views'
\getenv abs_srcdir PG_ABS_SRCDIR
\set include :abs_srcdir '/include/own_db.sql'
\i :include
SET search_path = tailings, public;
\set SHOW_CONTEXT never
\set VERBOSITY default
INSERT INTO pond (code, name, supervision_level, status, location)
VALUES ('GV-1', '视图测试库', 2, 'in_use', ST_SetSRID(ST_MakePoint(101.7, 26.5), 4490));
SELECT id AS pond_id FROM pond WHERE code = 'GV-1' \gset
INSERT INTO element (pond_id, kind, geom, name) VALUES
 (:pond_id, 'dam', ST_GeomFromText('LINESTRING(101.700 26.500, 101.710 26.500)', 4490), 'dam'),
 (:pond_id, 'pond_boundary', ST_GeomFromText('POLYGON((101.70 26.50, 101.71 26.50, 101.71 26.51, 101.70 26.50))', 4490), 'boundary'),
 (:pond_id, 'sign', ST_GeomFromText('POINT(101.701 26.501)', 4490), 'sign'),
 (:pond_id, 'leachate_pool', ST_GeomFromText('MULTIPOINT((101.702 26.502), (101.703 26.503))', 4490), 'two pools');

-- what a GIS client sees: one type and SRID per view, in geometry_columns
SELECT f_table_name, f_geometry_column, type, srid, coord_dimension
  FROM geometry_columns WHERE f_table_schema = 'tailings' AND f_table_name LIKE 'element%' ORDER BY 1;
-- columns: kind and kind_label are text; the rest as in element
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relname = 'element_point' AND c.relnamespace = 'tailings'::regnamespace AND a.attnum > 0
 ORDER BY a.attnum;
SELECT relname, reloptions FROM pg_class
 WHERE relname IN ('element_point', 'element_line', 'element_polygon') AND relnamespace = 'tailings'::regnamespace
 ORDER BY 1;
-- each element in the view of its family, single and multi parts alike
SELECT 'point' AS view, kind, kind_label, name, ST_AsText(geom) FROM element_point WHERE pond_id = :pond_id
UNION ALL
SELECT 'line', kind, kind_label, name, ST_AsText(geom) FROM element_line WHERE pond_id = :pond_id
UNION ALL
SELECT 'polygon', kind, kind_label, name, ST_AsText(geom) FROM element_polygon WHERE pond_id = :pond_id
ORDER BY 1, 2;
-- every element is in exactly one view
SELECT (SELECT count(*) FROM element)
     = (SELECT count(*) FROM element_point) + (SELECT count(*) FROM element_line)
       + (SELECT count(*) FROM element_polygon) AS each_once;
-- a filter on the text kind
SELECT count(*) AS dams FROM element_line WHERE kind = 'dam' AND pond_id = :pond_id;

---------------------------------------------------------------------------
-- writes go to element, with its checks and its change log
---------------------------------------------------------------------------
SELECT coalesce(max(id), 0) AS log_before FROM change_log \gset
-- insert: the id comes back; a one-part MultiPoint is stored as a POINT
INSERT INTO element_point (pond_id, kind, name, source, geom, attrs)
VALUES (:pond_id, 'gw_monitoring_well', 'JC9', 'ground',
        ST_GeomFromText('MULTIPOINT((101.705 26.495))', 4490), '{"depth_m": 30}')
RETURNING kind, kind_label, name, ST_AsText(geom), attrs;
SELECT id AS well FROM element WHERE pond_id = :pond_id AND name = 'JC9' \gset
SELECT kind, ST_AsText(geom), source, attrs FROM element WHERE id = :well;
-- the Chinese label as kind, or only kind_label
INSERT INTO element_point (pond_id, kind, geom) VALUES (:pond_id, '地下水本底井',
        ST_GeomFromText('MULTIPOINT((101.695 26.505))', 4490)) RETURNING kind, kind_label;
INSERT INTO element_point (pond_id, kind_label, geom) VALUES (:pond_id, '视频监控点',
        ST_GeomFromText('MULTIPOINT((101.700 26.505))', 4490)) RETURNING kind, kind_label;
-- update: move and rename; the unchanged geometry of another row stays as stored
UPDATE element_point SET geom = ST_GeomFromText('MULTIPOINT((101.706 26.494))', 4490), name = 'JC9 moved'
 WHERE id = :well RETURNING name, ST_AsText(geom);
UPDATE element_point SET name = 'two pools, renamed' WHERE pond_id = :pond_id AND kind = 'leachate_pool';
UPDATE element_line SET accuracy_m = 0.5 WHERE pond_id = :pond_id AND kind = 'dam';
SELECT name, ST_AsText(geom), accuracy_m FROM element
 WHERE pond_id = :pond_id AND kind IN ('leachate_pool', 'dam', 'gw_monitoring_well') ORDER BY id;
-- a change of kind through the text code
UPDATE element_point SET kind = 'gw_diffusion_well' WHERE id = :well RETURNING kind, kind_label;
UPDATE element_point SET kind = 'gw_monitoring_well' WHERE id = :well;
-- delete
DELETE FROM element_point WHERE pond_id = :pond_id AND kind = 'video_monitor';
SELECT count(*) AS video_monitors FROM element WHERE pond_id = :pond_id AND kind = 'video_monitor';
-- polygons and lines are writable too
INSERT INTO element_polygon (pond_id, kind, name, geom)
VALUES (:pond_id, 'liner_area', 'liner',
        ST_GeomFromText('MULTIPOLYGON(((101.701 26.501, 101.705 26.501, 101.705 26.505, 101.701 26.501)))', 4490))
RETURNING kind, ST_AsText(geom);
INSERT INTO element_line (pond_id, kind, name, geom)
VALUES (:pond_id, 'leachate_pipe', 'pipe',
        ST_GeomFromText('MULTILINESTRING((101.70 26.49, 101.702 26.502), (101.71 26.49, 101.703 26.503))', 4490))
RETURNING kind, ST_NumGeometries(geom);
DELETE FROM element_polygon WHERE pond_id = :pond_id AND name = 'liner';
DELETE FROM element_line WHERE pond_id = :pond_id AND name = 'pipe';

-- the change log has each, as for the table
SELECT op, table_name, new_row->>'kind' AS new_kind, old_row->>'kind' AS old_kind, changed,
       moved_m IS NOT NULL AND moved_m > 0 AS moved
  FROM change_log WHERE id > :log_before ORDER BY id;

---------------------------------------------------------------------------
-- refused: the same errors as the table's
---------------------------------------------------------------------------
\set VERBOSITY default
-- another family than the view's (its column type): 22023
INSERT INTO element_point (pond_id, kind, geom)
VALUES (:pond_id, 'sign', ST_GeomFromText('LINESTRING(101.70 26.50, 101.71 26.50)', 4490));
\echo :LAST_ERROR_SQLSTATE
-- a family the kind does not take (the table's check): 23514
INSERT INTO element_point (pond_id, kind, geom)
VALUES (:pond_id, 'dam', ST_GeomFromText('MULTIPOINT((101.70 26.50))', 4490));
\echo :LAST_ERROR_SQLSTATE
UPDATE element_point SET kind = 'dam' WHERE id = :well;
\echo :LAST_ERROR_SQLSTATE
-- an unknown kind: 22P02
INSERT INTO element_point (pond_id, kind, geom)
VALUES (:pond_id, 'gw_monitor_well', ST_GeomFromText('MULTIPOINT((101.70 26.50))', 4490));
\echo :LAST_ERROR_SQLSTATE
-- the value checks of element (a required attribute that is not a positive number): 23514
UPDATE element_point SET attrs = '{"depth_m": -3}' WHERE id = :well;
\echo :LAST_ERROR_SQLSTATE
-- another SRID: 22023
INSERT INTO element_point (pond_id, kind, geom)
VALUES (:pond_id, 'sign', ST_GeomFromText('MULTIPOINT((101.70 26.50))', 4326));
\echo :LAST_ERROR_SQLSTATE
-- no pond: 23503; no kind (what a GIS client that cannot see kind sends): 23502
INSERT INTO element_point (pond_id, kind, geom)
VALUES (-1, 'sign', ST_GeomFromText('MULTIPOINT((101.70 26.50))', 4490));
\echo :LAST_ERROR_SQLSTATE
INSERT INTO element_point (pond_id, geom)
VALUES (:pond_id, ST_GeomFromText('MULTIPOINT((101.70 26.50))', 4490));
\echo :LAST_ERROR_SQLSTATE
-- nothing of the refused writes reached the log
SELECT count(*) AS log_rows FROM change_log WHERE id > :log_before;

---------------------------------------------------------------------------
-- security_invoker: the caller's rights on element apply, not the owner's
---------------------------------------------------------------------------
\set VERBOSITY terse
CREATE ROLE gis_views_reader;
GRANT USAGE ON SCHEMA tailings TO gis_views_reader;
GRANT SELECT, UPDATE ON element_point TO gis_views_reader;
SET ROLE gis_views_reader;
SELECT count(*) FROM tailings.element_point;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- a reader (tailings_reader: SELECT on element, and row-level security shows it every row)
GRANT tailings_reader TO gis_views_reader;
SET ROLE gis_views_reader;
SELECT count(*) > 0 AS reads_with_its_own_rights FROM tailings.element_point;
-- and writing needs element's write rights too
UPDATE tailings.element_point SET name = 'x' WHERE id = :well;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE ALL ON element, element_point FROM gis_views_reader;
REVOKE ALL ON SCHEMA tailings FROM gis_views_reader;
DROP ROLE gis_views_reader;

\c :regress_db
DROP DATABASE :test_db;
