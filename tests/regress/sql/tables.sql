-- the one-map tables: pond, element, requirement; constraints and indexes
-- in a database of its own: the ids below are those of a fresh database
\set test_db :DBNAME '_tables'
\getenv abs_srcdir PG_ABS_SRCDIR
\set include :abs_srcdir '/include/own_db.sql'
\i :include
SET search_path = tailings, public;
\set SHOW_CONTEXT never

\d pond
\d element

INSERT INTO pond (code, name, enterprise, county_code, supervision_level, status, location, gw_flow_azimuth)
VALUES ('T-1', '测试尾矿库', '测试企业', '510421', 2, 'in_use', ST_SetSRID(ST_MakePoint(102.1, 26.9), 4490), 180)
RETURNING id, code, status, ST_AsText(location), attrs;

-- element of each geometry family; MULTI forms are accepted
INSERT INTO element (pond_id, kind, geom, name, source)
SELECT id, k, ST_GeomFromText(g, 4490), n, 'drone' FROM pond,
 (VALUES ('dam', 'LINESTRING(102.1 26.9, 102.101 26.9)', '坝'),
         ('渗滤液收集池', 'POINT(102.1 26.899)', '池'),
         ('leachate_pool', 'POLYGON((102.1 26.9, 102.1001 26.9, 102.1001 26.9001, 102.1 26.9))', '池2'),
         ('sign', 'MULTIPOINT((102.1 26.9), (102.1002 26.9))', '标志'),
         ('interception_ditch', 'MULTILINESTRING((102.1 26.9, 102.1 26.91), (102.11 26.9, 102.11 26.91))', '沟'),
         ('farmland', 'MULTIPOLYGON(((102.12 26.9, 102.121 26.9, 102.121 26.901, 102.12 26.9)))', '耕地')) AS v(k, g, n)
WHERE code = 'T-1'
RETURNING kind, GeometryType(geom), name, attrs;

-- a geometry of the wrong type for its kind is rejected
INSERT INTO element (pond_id, kind, geom)
SELECT id, 'leachate_pool', ST_GeomFromText('LINESTRING(102.1 26.9, 102.2 26.9)', 4490) FROM pond WHERE code = 'T-1';
\echo :LAST_ERROR_SQLSTATE
INSERT INTO element (pond_id, kind, geom)
SELECT id, 'dam', ST_GeomFromText('POINT(102.1 26.9)', 4490) FROM pond WHERE code = 'T-1';
\echo :LAST_ERROR_SQLSTATE
INSERT INTO element (pond_id, kind, geom)
SELECT id, 'sign', ST_GeomFromText('GEOMETRYCOLLECTION(POINT(102.1 26.9))', 4490) FROM pond WHERE code = 'T-1';
\echo :LAST_ERROR_SQLSTATE
-- ... also when an UPDATE changes the kind or the geometry
UPDATE element SET kind = 'sign' WHERE name = '坝';
\echo :LAST_ERROR_SQLSTATE
UPDATE element SET geom = ST_GeomFromText('POINT(102.1 26.9)', 4490) WHERE name = '沟';
\echo :LAST_ERROR_SQLSTATE
-- unknown kind
INSERT INTO element (pond_id, kind, geom)
SELECT id, 'leachate_tank', ST_GeomFromText('POINT(102.1 26.9)', 4490) FROM pond WHERE code = 'T-1';
\echo :LAST_ERROR_SQLSTATE
-- unknown pond: foreign key
INSERT INTO element (pond_id, kind, geom) VALUES (999999, 'sign', ST_GeomFromText('POINT(102.1 26.9)', 4490));
\echo :LAST_ERROR_SQLSTATE
-- another SRID than CGCS2000
INSERT INTO element (pond_id, kind, geom)
SELECT id, 'sign', ST_GeomFromText('POINT(102.1 26.9)', 4326) FROM pond WHERE code = 'T-1';
\echo :LAST_ERROR_SQLSTATE
-- empty geometry, and latitude and longitude swapped out of range
INSERT INTO element (pond_id, kind, geom)
SELECT id, 'sign', ST_GeomFromText('POINT EMPTY', 4490) FROM pond WHERE code = 'T-1';
\echo :LAST_ERROR_SQLSTATE
INSERT INTO element (pond_id, kind, geom)
SELECT id, 'sign', ST_GeomFromText('POINT(26.9 102.1)', 4490) FROM pond WHERE code = 'T-1';
\echo :LAST_ERROR_SQLSTATE
-- attrs must be an object; accuracy not negative
INSERT INTO element (pond_id, kind, geom, attrs)
SELECT id, 'sign', ST_GeomFromText('POINT(102.1 26.9)', 4490), '[1]' FROM pond WHERE code = 'T-1';
\echo :LAST_ERROR_SQLSTATE
INSERT INTO element (pond_id, kind, geom, accuracy_m)
SELECT id, 'sign', ST_GeomFromText('POINT(102.1 26.9)', 4490), -1 FROM pond WHERE code = 'T-1';
\echo :LAST_ERROR_SQLSTATE
-- a pond with elements cannot be deleted
DELETE FROM pond WHERE code = 'T-1';
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS elements_kept FROM element;

-- pond constraints
INSERT INTO pond (code, name, supervision_level, status, location)
VALUES ('T-2', 'x', 4, 'in_use', ST_SetSRID(ST_MakePoint(102, 26), 4490));
\echo :LAST_ERROR_SQLSTATE
INSERT INTO pond (code, name, supervision_level, status, location)
VALUES ('T-2', 'x', 3, 'abandoned', ST_SetSRID(ST_MakePoint(102, 26), 4490));
\echo :LAST_ERROR_SQLSTATE
INSERT INTO pond (code, name, supervision_level, status, location, county_code)
VALUES ('T-2', 'x', 3, 'closed', ST_SetSRID(ST_MakePoint(102, 26), 4490), '5104');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO pond (code, name, supervision_level, status, location, gw_flow_azimuth)
VALUES ('T-2', 'x', 3, 'closed', ST_SetSRID(ST_MakePoint(102, 26), 4490), 360);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO pond (code, name, supervision_level, status, location)
VALUES ('T-1', 'duplicate code', 3, 'closed', ST_SetSRID(ST_MakePoint(102, 26), 4490));
\echo :LAST_ERROR_SQLSTATE
INSERT INTO pond (code, name, supervision_level, status, location)
VALUES ('T-2', 'line', 3, 'closed', ST_GeomFromText('LINESTRING(102 26, 103 26)', 4490));
\echo :LAST_ERROR_SQLSTATE

-- the GiST indexes serve bounding-box queries
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM element WHERE geom && ST_MakeEnvelope(102, 26, 103, 27, 4490);
EXPLAIN (COSTS OFF) SELECT id FROM pond WHERE location && ST_MakeEnvelope(102, 26, 103, 27, 4490);
RESET enable_seqscan;
SELECT indexrelid::regclass, indrelid::regclass, am.amname
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
 WHERE indrelid IN ('pond'::regclass, 'element'::regclass, 'requirement'::regclass)
 ORDER BY indexrelid::regclass::text;

-- requirement: kinds must belong to the rule's category, at least one kind
INSERT INTO requirement (name, category, kinds) VALUES ('bad_mix', 'dust', '{sprinkler,dam}');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO requirement (name, category, kinds) VALUES ('empty', 'dust', '{}');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO requirement (name, category, kinds, levels) VALUES ('bad_level', 'dust', '{sprinkler}', '{4}');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO requirement (name, category, kinds, severity) VALUES ('bad_severity', 'dust', '{sprinkler}', 'fatal');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO requirement (name, category, kinds) VALUES ('Bad Name', 'dust', '{sprinkler}');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO requirement (name, category, kinds, severity, description_en)
VALUES ('second_sprinkler', '扬尘防护', '{洒水抑尘设施}', 'warning', 'two sprinklers')
RETURNING name, category, kinds, min_count, statuses, levels, severity, enabled, builtin;
DELETE FROM requirement WHERE name = 'second_sprinkler';
-- default template rows may be edited and disabled, not deleted
DELETE FROM requirement WHERE name = 'sign';
\echo :LAST_ERROR_SQLSTATE
UPDATE requirement SET enabled = false WHERE name = 'sign' RETURNING name, enabled, builtin;
UPDATE requirement SET enabled = true WHERE name = 'sign';

-- pg_dump keeps the user rows of the extension's tables and their sequences
SELECT unnest(extconfig)::regclass AS config_relation, unnest(extcondition) AS filter
  FROM pg_extension WHERE extname = 'tailings' ORDER BY 1;

DELETE FROM element;
DELETE FROM pond;

\c :regress_db
DROP DATABASE :test_db;
