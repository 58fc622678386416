-- Values are checked, not only their types: what 0.2.0 accepted and then
-- broke on (checks, tiles, the API) is refused at input with a clear error.
SET search_path = tailings, public;
\set SHOW_CONTEXT never
\set VERBOSITY default
INSERT INTO pond (code, name, supervision_level, status, location)
VALUES ('VAL-1', '校验测试库', 3, 'in_use', ST_SetSRID(ST_MakePoint(101.7, 26.5), 4490));
SELECT id AS pond_id FROM pond WHERE code = 'VAL-1' \gset

---------------------------------------------------------------------------
-- 6. template rules: a NULL kind, or a two-dimensional array
---------------------------------------------------------------------------
\set VERBOSITY terse
INSERT INTO requirement (name, category, kinds) VALUES ('null_kind', 'site', '{dam,NULL}');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO requirement (name, category, kinds) VALUES ('flat_2d', 'site', '{{dam},{sign}}');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO requirement (name, category, kinds, statuses) VALUES ('null_status', 'site', '{dam}', '{in_use,NULL}');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO requirement (name, category, kinds, levels) VALUES ('null_level', 'site', '{dam}', '{1,NULL}');
\echo :LAST_ERROR_SQLSTATE
UPDATE requirement SET kinds = kinds || NULL::element_kind WHERE name = 'dam';
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
-- so the check and the overview still work for every pond
SELECT count(*) > 0 AS check_works FROM check_completeness(:pond_id);
SELECT count(*) = (SELECT count(*) FROM pond) AS overview_works FROM pond_overview;

---------------------------------------------------------------------------
-- 7. kind and category input: a megabyte costs no more than a word
---------------------------------------------------------------------------
SET statement_timeout = '2s';
SELECT repeat('x', 1000000)::element_kind;
\echo :LAST_ERROR_SQLSTATE
SELECT repeat('渗', 300000)::element_category;
SELECT count(*) FROM generate_series(1, 2000) i WHERE repeat('dam ', 20)::element_kind IS NOT NULL;
RESET statement_timeout;
-- short input still gets its suggestions
SELECT 'leachate_pol'::element_kind;

---------------------------------------------------------------------------
-- 8. geometry, numbers, dates and attributes
---------------------------------------------------------------------------
INSERT INTO element (pond_id, kind, geom, name)
VALUES (:pond_id, 'leachate_pipe', ST_GeomFromText('LINESTRING(101.7 26.5, NaN 26.51, 101.71 26.52)', 4490), 'NaN 管');
INSERT INTO element (pond_id, kind, geom, name)
VALUES (:pond_id, 'sign', ST_SetSRID(ST_MakePoint('NaN', 'NaN'), 4490), 'NaN 标志');
INSERT INTO element (pond_id, kind, geom, name)
VALUES (:pond_id, 'sign', ST_SetSRID(ST_MakePoint('Infinity', 26.5), 4490), '无穷');
INSERT INTO element (pond_id, kind, geom, name)
VALUES (:pond_id, 'liner_area', ST_GeomFromText('POLYGON((101.7 26.5, 101.71 26.51, 101.71 26.5, 101.7 26.51, 101.7 26.5))', 4490), '蝴蝶结');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO element (pond_id, kind, geom, name)
VALUES (:pond_id, 'liner_area', ST_GeomFromText('POLYGON((101.7 26.5, 101.71 26.5, 101.72 26.5, 101.7 26.5))', 4490), '零面积');
INSERT INTO element (pond_id, kind, geom, name)
VALUES (:pond_id, 'sign', ST_GeomFromText('MULTIPOINT(EMPTY, 101.7 26.5)', 4490), '空点');
INSERT INTO element (pond_id, kind, geom, name, accuracy_m)
VALUES (:pond_id, 'sign', ST_SetSRID(ST_MakePoint(101.7, 26.5), 4490), '精度', 'NaN');
INSERT INTO element (pond_id, kind, geom, name, surveyed_on, verified_on)
VALUES (:pond_id, 'sign', ST_SetSRID(ST_MakePoint(101.7, 26.5), 4490), '倒序', '2025-05-01', '2025-04-01');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO element (pond_id, kind, geom, name, surveyed_on)
VALUES (:pond_id, 'sign', ST_SetSRID(ST_MakePoint(101.7, 26.5), 4490), '未来', '2999-01-01');
INSERT INTO element (pond_id, kind, geom, name, attrs)
VALUES (:pond_id, 'leachate_pool', ST_SetSRID(ST_MakePoint(101.7, 26.5), 4490), '池', '{"volume_m3": "unknown"}');
INSERT INTO element (pond_id, kind, geom, name, attrs)
VALUES (:pond_id, 'leachate_pool', ST_SetSRID(ST_MakePoint(101.7, 26.5), 4490), '池', '{"volume_m3": -500}');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO element (pond_id, kind, geom, name, attrs)
VALUES (:pond_id, 'leachate_pool', ST_SetSRID(ST_MakePoint(101.7, 26.5), 4490), '池', '{"volume_m3": null}');
INSERT INTO element (pond_id, kind, geom, name, attrs)
VALUES (:pond_id, 'gw_monitoring_well', ST_SetSRID(ST_MakePoint(101.7, 26.5), 4490), '井', '{"depth_m": {}}');
-- what is right is accepted: valid shapes, dates in order, positive numbers,
-- and an attribute left out while it is not known (the check reports it)
INSERT INTO element (pond_id, kind, geom, name, accuracy_m, surveyed_on, verified_on, attrs) VALUES
 (:pond_id, 'liner_area', ST_GeomFromText('POLYGON((101.7 26.5, 101.71 26.5, 101.71 26.51, 101.7 26.51, 101.7 26.5))', 4490),
  '防渗区', 0.5, '2025-04-01', '2025-05-01', '{}'),
 (:pond_id, 'leachate_pool', ST_SetSRID(ST_MakePoint(101.7, 26.5), 4490), '池', 1, current_date, current_date, '{"volume_m3": 500}'),
 (:pond_id, 'gw_monitoring_well', ST_SetSRID(ST_MakePoint(101.701, 26.5), 4490), '井', NULL, NULL, NULL, '{}');
SELECT name, kind FROM element WHERE pond_id = :pond_id ORDER BY id;
-- updates are checked too, for what they change
UPDATE element SET attrs = '{"depth_m": -3}' WHERE pond_id = :pond_id AND name = '井';
\echo :LAST_ERROR_SQLSTATE
UPDATE element SET verified_on = '2025-01-01' WHERE pond_id = :pond_id AND name = '防渗区';
UPDATE element SET geom = ST_GeomFromText('POLYGON((101.7 26.5, 101.71 26.51, 101.71 26.5, 101.7 26.51, 101.7 26.5))', 4490)
 WHERE pond_id = :pond_id AND name = '防渗区';
UPDATE element SET attrs = '{"depth_m": 35.5}' WHERE pond_id = :pond_id AND name = '井';
SELECT name, attrs FROM element WHERE pond_id = :pond_id AND name = '井';
-- NaN in the pond's registry point and azimuth is refused as before
\set VERBOSITY terse
INSERT INTO pond (code, name, supervision_level, status, location)
VALUES ('VAL-2', 'NaN 库', 3, 'in_use', ST_SetSRID(ST_MakePoint('NaN', 26.5), 4490));
\echo :LAST_ERROR_SQLSTATE
UPDATE pond SET gw_flow_azimuth = 'NaN' WHERE id = :pond_id;
\echo :LAST_ERROR_SQLSTATE

DELETE FROM element WHERE pond_id = :pond_id;
DELETE FROM pond WHERE id = :pond_id;
