-- time travel: elements_at(pond_id, at) rebuilt from the change log
SET search_path = tailings, public;
\set SHOW_CONTEXT never

INSERT INTO pond (code, name, supervision_level, status, location)
VALUES ('TT-1', '时间旅行库', 3, 'closed', ST_SetSRID(ST_MakePoint(101.9, 26.6), 4490));
SELECT id AS pond_id FROM pond WHERE code = 'TT-1' \gset
SELECT clock_timestamp() AS t0 \gset
-- transaction 1: two wells
INSERT INTO element (pond_id, kind, geom, name)
VALUES (:pond_id, 'gw_background_well', ST_SetSRID(ST_MakePoint(101.899, 26.6), 4490), 'A'),
       (:pond_id, 'gw_monitoring_well', ST_SetSRID(ST_MakePoint(101.901, 26.6), 4490), 'B');
SELECT clock_timestamp() AS t1 \gset
-- transaction 2: A moves about 200 m and is renamed
UPDATE element SET geom = ST_SetSRID(ST_MakePoint(101.897, 26.6), 4490), name = 'A2' WHERE name = 'A';
SELECT clock_timestamp() AS t2 \gset
-- transaction 3: B is deleted, C added
BEGIN;
DELETE FROM element WHERE name = 'B';
INSERT INTO element (pond_id, kind, geom, name)
VALUES (:pond_id, 'gw_diffusion_well', ST_SetSRID(ST_MakePoint(101.9, 26.601), 4490), 'C');
COMMIT;
SELECT clock_timestamp() AS t3 \gset

SELECT 't0' AS at, count(*) AS elements FROM elements_at(:pond_id, :'t0');
SELECT 't1' AS at, name, kind, ST_AsText(geom) FROM elements_at(:pond_id, :'t1');
SELECT 't2' AS at, name, kind, ST_AsText(geom) FROM elements_at(:pond_id, :'t2');
SELECT 't3' AS at, name, kind, ST_AsText(geom) FROM elements_at(:pond_id, :'t3');
-- the present equals the table
SELECT count(*) AS differences FROM (
	(SELECT * FROM elements_at(:pond_id, now() + interval '1 minute') EXCEPT SELECT * FROM element WHERE pond_id = :pond_id)
	UNION ALL
	(SELECT * FROM element WHERE pond_id = :pond_id EXCEPT SELECT * FROM elements_at(:pond_id, now() + interval '1 minute'))) d;
-- the rebuilt rows are whole rows of tailings.element, with their ids and geometry
SELECT e.id = c.row_id AS same_id, ST_SRID(e.geom), GeometryType(e.geom)
  FROM elements_at(:pond_id, :'t1') e
  JOIN change_log c ON c.table_name = 'tailings.element' AND c.row_id = e.id AND c.op = 'I'
 ORDER BY e.name;
-- another pond's history does not leak in; null arguments give nothing
SELECT count(*) FROM elements_at(-1, :'t1');
SELECT count(*) FROM elements_at(:pond_id, NULL);


-- compare(from, to): what changed between two moments, element by element
SELECT name, kind, change, round(moved_m) AS moved_m, ST_AsText(old_geom) AS old, ST_AsText(new_geom) AS new
  FROM compare(:'t0', :'t1', :pond_id);
SELECT name, change, round(moved_m) AS moved_m, ST_AsText(old_geom) AS old, ST_AsText(new_geom) AS new
  FROM compare(:'t1', :'t3', :pond_id) ORDER BY name;
-- a rename alone is a change, not a move
UPDATE element SET name = 'C2' WHERE name = 'C';
SELECT name, change, moved_m FROM compare(:'t3', clock_timestamp(), :pond_id);
-- nothing changes between a moment and itself; backwards, added and removed swap
SELECT count(*) AS same_moment FROM compare(:'t2', :'t2', :pond_id);
SELECT name, change FROM compare(:'t3', :'t1', :pond_id) ORDER BY name;
-- every pond when none is named: this pond's rows are among them
SELECT count(*) FILTER (WHERE pond_id = :pond_id) AS ours FROM compare(:'t0', :'t3');
-- history starts with the oldest change kept
SELECT history_start() <= :'t0'::timestamptz AS starts_before_t0,
       history_start() = (SELECT min(changed_at) FROM change_log) AS oldest_change;

DELETE FROM element WHERE pond_id = :pond_id;
DELETE FROM pond WHERE id = :pond_id;
