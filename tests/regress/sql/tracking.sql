-- change tracking: tailings.track_changes() and the append-only change log
-- in a database of its own: it prunes the whole change log, and time travel
-- before the pruned horizon is refused
\set test_db :DBNAME '_tracking'
\getenv abs_srcdir PG_ABS_SRCDIR
\set include :abs_srcdir '/include/own_db.sql'
\i :include
SET search_path = tailings, public;
\set SHOW_CONTEXT never

-- entries of this test only
SELECT coalesce(max(id), 0) AS start FROM change_log \gset

-- insert: one row per changed row, new row as jsonb, session user as actor
INSERT INTO pond (code, name, supervision_level, status, location, gw_flow_azimuth)
VALUES ('TR-1', '追踪测试库', 3, 'in_use', ST_SetSRID(ST_MakePoint(102.0, 26.8), 4490), 90);
SELECT id AS pond_id FROM pond WHERE code = 'TR-1' \gset
CREATE TEMP VIEW log AS
SELECT table_name, op, actor, pond_id = :pond_id AS our_pond, changed, round(moved_m::numeric, 1) AS moved_m
  FROM change_log WHERE id > :start ORDER BY id;
BEGIN;
INSERT INTO element (pond_id, kind, geom, name, attrs)
VALUES (:pond_id, 'gw_monitoring_well', ST_SetSRID(ST_MakePoint(102.001, 26.8), 4490), 'JC1', '{"depth_m": 20}'),
       (:pond_id, 'dam', ST_GeomFromText('LINESTRING(101.999 26.801, 101.999 26.799)', 4490), '坝', '{}');
-- written in the same transaction, stamped with its id and start time
-- (the geometry is kept as its hex EWKB text: exact, and a cast away from a geometry)
SELECT new_row->>'name' AS name, new_row->'attrs' AS attrs, ST_AsText((new_row->>'geom')::geometry) AS geom,
       old_row IS NULL AS no_old_row, txid = pg_current_xact_id() AS this_tx, changed_at = now() AS this_time
  FROM change_log WHERE table_name = 'tailings.element' AND id > :start ORDER BY id;
COMMIT;
SELECT * FROM log;
-- the two elements were inserted in one transaction
SELECT count(DISTINCT txid) AS transactions, count(DISTINCT changed_at) AS times
  FROM change_log WHERE table_name = 'tailings.element' AND id > :start;

-- tailings.actor names the person behind a shared login
SET tailings.actor = '张工（县局）';
UPDATE element SET name = 'JC-1' WHERE name = 'JC1';
RESET tailings.actor;
-- a move of about 100 m east (0.001 degree of longitude at 26.8 N is 99.4 m)
UPDATE element SET geom = ST_SetSRID(ST_MakePoint(102.002, 26.8), 4490) WHERE name = 'JC-1';
-- several columns at once
UPDATE element SET verified_on = '2025-03-01', source = 'ground', accuracy_m = 0.5 WHERE name = 'JC-1';
SELECT * FROM log WHERE op = 'U';
SELECT old_row->>'name' AS old_name, new_row->>'name' AS new_name FROM change_log
 WHERE id > :start AND op = 'U' AND 'name' = ANY (changed) ORDER BY id;
-- an UPDATE that changes nothing writes nothing
SELECT count(*) AS before FROM change_log \gset
UPDATE element SET name = name WHERE name = 'JC-1';
UPDATE element SET attrs = '{"depth_m": 20}' WHERE name = 'JC-1';
UPDATE element SET geom = ST_SetSRID(ST_MakePoint(102.002, 26.8), 4490) WHERE name = 'JC-1';
SELECT count(*) - :before AS new_rows FROM change_log;
-- a rolled-back change leaves nothing
BEGIN;
UPDATE element SET name = 'rolled back' WHERE name = 'JC-1';
DELETE FROM element WHERE name = '坝';
ROLLBACK;
SELECT count(*) - :before AS new_rows FROM change_log;
-- delete: the old row is kept
DELETE FROM element WHERE name = '坝';
SELECT op, old_row->>'name' AS name, old_row->>'kind' AS kind, new_row IS NULL AS no_new_row
  FROM change_log WHERE id > :start AND op = 'D';

-- the trigger follows ALTER TABLE on a tracked table
ALTER TABLE element ADD COLUMN remark text;
UPDATE element SET remark = '井盖损坏' WHERE name = 'JC-1';
SELECT changed, new_row->>'remark' AS remark FROM change_log ORDER BY id DESC LIMIT 1;
ALTER TABLE element DROP COLUMN remark;
UPDATE element SET name = 'JC-01' WHERE name = 'JC-1';
SELECT changed, new_row ? 'remark' AS has_remark FROM change_log ORDER BY id DESC LIMIT 1;
ALTER TABLE element RENAME COLUMN source TO positioned_by;
UPDATE element SET positioned_by = 'drone' WHERE name = 'JC-01';
SELECT changed FROM change_log ORDER BY id DESC LIMIT 1;
ALTER TABLE element RENAME COLUMN positioned_by TO source;

-- pond and requirement are tracked too (requirement rows have no pond)
UPDATE pond SET status = 'suspended' WHERE code = 'TR-1';
UPDATE requirement SET min_count = 2 WHERE name = 'dam';
UPDATE requirement SET min_count = 1 WHERE name = 'dam';
SELECT table_name, op, pond_id IS NULL AS no_pond, changed FROM change_log
 WHERE id > :start AND table_name IN ('tailings.pond', 'tailings.requirement') AND op = 'U' ORDER BY id;

-- a superuser registers users' tables for tracking (the trigger is attached by it)
CREATE TABLE public.inspection (
	inspection_id bigserial PRIMARY KEY,
	pond bigint,
	spot geometry(Point, 4490),
	finding text);
SELECT track_table('public.inspection', 'inspection_id', 'pond');
INSERT INTO public.inspection (pond, spot, finding)
VALUES (:pond_id, ST_SetSRID(ST_MakePoint(102.0, 26.8), 4490), '渗滤液收集池溢流');
UPDATE public.inspection SET spot = ST_SetSRID(ST_MakePoint(102.0, 26.801), 4490);
SELECT table_name, row_id, pond_id = :pond_id AS our_pond, op, changed, round(moved_m::numeric) AS moved_m
  FROM change_log WHERE table_name = 'public.inspection' ORDER BY id;
-- a table without geometry, in another SRID, or with other id columns
CREATE TABLE public.notes (id int PRIMARY KEY, body text);
SELECT track_table('public.notes', 'id', NULL);
INSERT INTO public.notes VALUES (7, 'first');
UPDATE public.notes SET body = 'second';
SELECT table_name, row_id, pond_id, op, changed, moved_m FROM change_log
 WHERE table_name = 'public.notes' ORDER BY id;
CREATE TABLE public.utm_points (id int, geom geometry(Point, 32648));
SELECT track_table('public.utm_points');
INSERT INTO public.utm_points VALUES (1, ST_SetSRID(ST_MakePoint(500000, 2960000), 32648));
UPDATE public.utm_points SET geom = ST_SetSRID(ST_MakePoint(500300, 2960400), 32648);
SELECT round(moved_m::numeric) AS moved_m FROM change_log WHERE table_name = 'public.utm_points' AND op = 'U';
SELECT relid, builtin FROM tracked_table ORDER BY relid::text;
-- misuse is a clear error
CREATE TABLE public.bad (id text, pond_id bigint);
SELECT track_table('public.bad');
INSERT INTO public.bad VALUES ('x', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT untrack_table('public.bad');
-- the trigger on a table nobody registered writes nothing, and refuses the change
CREATE TABLE public.unregistered (id bigint, pond_id bigint);
CREATE TRIGGER unregistered_track AFTER INSERT ON public.unregistered FOR EACH ROW EXECUTE FUNCTION tailings.track_changes();
INSERT INTO public.unregistered VALUES (1, 1);
\echo :LAST_ERROR_SQLSTATE
-- temporary tables, and the extension's own, cannot be registered or unregistered
CREATE TEMP TABLE scratch (id bigint);
SELECT track_table('scratch');
SELECT untrack_table('tailings.element');
INSERT INTO public.bad VALUES ('y', 2);
CREATE TRIGGER bad_track BEFORE INSERT ON public.bad FOR EACH ROW EXECUTE FUNCTION tailings.track_changes();
INSERT INTO public.bad VALUES ('x', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT tailings.track_changes();
\echo :LAST_ERROR_SQLSTATE

-- the change log is append-only, for everyone
UPDATE change_log SET actor = 'nobody';
\echo :LAST_ERROR_SQLSTATE
DELETE FROM change_log;
\echo :LAST_ERROR_SQLSTATE
TRUNCATE change_log;
\echo :LAST_ERROR_SQLSTATE
TRUNCATE change_log_pruned;
\echo :LAST_ERROR_SQLSTATE
-- a role of no group may not read it (PUBLIC has no SELECT since 0.7.0); a reader may read it
-- but not write it
CREATE ROLE tracking_reader;
GRANT USAGE ON SCHEMA tailings TO tracking_reader;
SET ROLE tracking_reader;
SELECT count(*) > 0 AS can_read FROM tailings.change_log;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT tailings_reader TO tracking_reader;
SET ROLE tracking_reader;
SELECT count(*) > 0 AS can_read FROM tailings.change_log;
INSERT INTO tailings.change_log (txid, changed_at, actor, table_name, op) VALUES (pg_current_xact_id(), now(), 'x', 'x', 'I');
\echo :LAST_ERROR_SQLSTATE
SELECT tailings.prune_changes(now());
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP OWNED BY tracking_reader;
DROP ROLE tracking_reader;

-- prune_changes removes old entries, and nothing else can
SELECT count(*) AS before FROM change_log \gset
SELECT prune_changes('2000-01-01') AS removed_nothing;
SELECT prune_changes(now() + interval '1 day') = :before AS removed_all;
SELECT count(*) AS left_over FROM change_log;
SELECT rows_removed = 0 AS first, rows_removed = :before AS second FROM change_log_pruned ORDER BY pruned_at;
-- the pruned entries cannot be touched either
UPDATE change_log_pruned SET rows_removed = 0;
\echo :LAST_ERROR_SQLSTATE
-- time travel to before the pruned horizon is refused (SQLSTATE 22023)
DO $$
BEGIN
	PERFORM * FROM tailings.elements_at(1, now() - interval '1 hour');
	RAISE WARNING 'not refused';
EXCEPTION WHEN invalid_parameter_value THEN
	RAISE WARNING 'refused: %', regexp_replace(SQLERRM, 'before .* has', 'before <horizon> has');
END $$;
SELECT count(*) AS after_horizon FROM elements_at(:pond_id, now() + interval '2 days');

-- a dropped table leaves the registry
DROP TABLE public.inspection, public.notes, public.utm_points, public.bad, public.unregistered;
SELECT relid FROM tracked_table ORDER BY relid::text;

\c :regress_db
DROP DATABASE :test_db;
