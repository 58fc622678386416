-- Attacks on the history by the roles a bureau gives out: a read-only role and
-- an editor.  Each was possible in 0.2.0; each must fail now.
SET search_path = tailings, public;
\set SHOW_CONTEXT never
\set VERBOSITY terse

CREATE ROLE regress_reader LOGIN;
GRANT USAGE ON SCHEMA tailings TO regress_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA tailings TO regress_reader;
CREATE ROLE regress_editor LOGIN;
GRANT USAGE ON SCHEMA tailings TO regress_editor;
GRANT SELECT ON ALL TABLES IN SCHEMA tailings TO regress_editor;
GRANT INSERT, UPDATE, DELETE, TRUNCATE ON pond, element TO regress_editor;
-- the editor is a county bureau's member (row-level security lets it edit its county's ponds)
SELECT add_member('regress_editor', 'county', '510421', '米易县生态环境局 外业');
INSERT INTO pond (code, name, county_code, supervision_level, status, location)
VALUES ('SEC-1', '安全测试库', '510421', 3, 'in_use', ST_SetSRID(ST_MakePoint(101.7, 26.5), 4490));
SELECT id AS pond_id FROM pond WHERE code = 'SEC-1' \gset
INSERT INTO element (pond_id, kind, geom, name)
VALUES (:pond_id, 'sign', ST_SetSRID(ST_MakePoint(101.7001, 26.5), 4490), 'S1');
SELECT id AS eid FROM element WHERE pond_id = :pond_id \gset

---------------------------------------------------------------------------
-- 1. A read-only role makes itself superuser through the tracking trigger:
-- a temp enum whose cast to json (called by to_jsonb) runs ALTER ROLE.
---------------------------------------------------------------------------
SET SESSION AUTHORIZATION regress_reader;
CREATE TYPE pg_temp.mood AS ENUM ('up');
CREATE FUNCTION pg_temp.mood_json(pg_temp.mood) RETURNS json LANGUAGE plpgsql
AS $$ BEGIN ALTER ROLE regress_reader SUPERUSER; RETURN '"up"'; END $$;
CREATE CAST (pg_temp.mood AS json) WITH FUNCTION pg_temp.mood_json(pg_temp.mood);
CREATE TEMP TABLE attack (id bigint, pond_id bigint, m pg_temp.mood);
-- the trigger function is not PUBLIC's to attach
CREATE TRIGGER attack_track AFTER INSERT ON attack FOR EACH ROW EXECUTE FUNCTION tailings.track_changes();
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
SELECT rolsuper AS reader_is_superuser FROM pg_roles WHERE rolname = 'regress_reader';

-- even where a DBA granted EXECUTE, an unregistered table writes nothing
GRANT EXECUTE ON FUNCTION track_changes() TO regress_reader;
SET SESSION AUTHORIZATION regress_reader;
CREATE TRIGGER attack_track AFTER INSERT ON attack FOR EACH ROW EXECUTE FUNCTION tailings.track_changes();
-- (the message names the temporary schema, whose number depends on the server's other sessions)
\set VERBOSITY sqlstate
INSERT INTO attack VALUES (1, :pond_id, 'up');
\set VERBOSITY terse
SELECT regexp_replace(:'LAST_ERROR_MESSAGE', 'pg_temp_[0-9]+', 'pg_temp_N') AS error;
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
SELECT rolsuper AS reader_is_superuser FROM pg_roles WHERE rolname = 'regress_reader';

-- and on a registered table of the reader's, its cast runs with the reader's
-- rights only: ALTER ROLE is refused and so is the row
CREATE SCHEMA regress_own AUTHORIZATION regress_reader;
SET SESSION AUTHORIZATION regress_reader;
CREATE TYPE regress_own.mood AS ENUM ('up');
CREATE FUNCTION regress_own.mood_json(regress_own.mood) RETURNS json LANGUAGE plpgsql
AS $$ BEGIN ALTER ROLE regress_reader SUPERUSER; RETURN '"up"'; END $$;
CREATE CAST (regress_own.mood AS json) WITH FUNCTION regress_own.mood_json(regress_own.mood);
CREATE TABLE regress_own.t (id bigint, pond_id bigint, m regress_own.mood);
RESET SESSION AUTHORIZATION;
SELECT track_table('regress_own.t');
SET SESSION AUTHORIZATION regress_reader;
INSERT INTO regress_own.t VALUES (1, :pond_id, 'up');
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
SELECT rolsuper AS reader_is_superuser FROM pg_roles WHERE rolname = 'regress_reader';
SELECT count(*) AS log_rows_of_attack FROM change_log WHERE table_name LIKE 'regress_own.%' OR table_name LIKE 'pg_temp%';
REVOKE EXECUTE ON FUNCTION track_changes() FROM regress_reader;
DROP SCHEMA regress_own CASCADE;
SELECT count(*) AS registered_after_drop FROM tracked_table WHERE relid::text LIKE 'regress_own.%';

-- and the reader cannot register a table of its own
SET SESSION AUTHORIZATION regress_reader;
CREATE TEMP TABLE mine (id bigint, pond_id bigint);
SELECT tailings.track_table('mine');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO tailings.tracked_table (relid) VALUES ('mine');
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;

---------------------------------------------------------------------------
-- 2. An editor edits without history: check_function_bodies off, or the
-- tracking setting, or TRUNCATE.
---------------------------------------------------------------------------
SELECT max(id) AS log_before FROM change_log \gset
SET SESSION AUTHORIZATION regress_editor;
BEGIN;
SET LOCAL check_function_bodies = off;
UPDATE tailings.element SET name = 'S1-edited' WHERE id = :eid;
INSERT INTO tailings.element (pond_id, kind, geom, name)
VALUES (:pond_id, 'sign', ST_SetSRID(ST_MakePoint(101.7002, 26.5), 4490), 'S2');
DELETE FROM tailings.element WHERE name = 'S2';
COMMIT;
SET tailings.tracking = off;
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SET LOCAL tailings.tracking = off;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- (hazards point at elements: the foreign key refuses first, 0A000; with the
-- hazards too, the editor lacks the privilege; and nobody gets past the guard)
TRUNCATE tailings.element;
\echo :LAST_ERROR_SQLSTATE
TRUNCATE tailings.element CASCADE;
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
TRUNCATE tailings.element CASCADE;
\echo :LAST_ERROR_SQLSTATE
SELECT op, session_role, new_row->>'name' AS name FROM change_log WHERE id > :log_before ORDER BY id;

-- a superuser may still turn tracking off: a restore, or tailings.tracking
SELECT max(id) AS log_before FROM change_log \gset
BEGIN;
SET LOCAL check_function_bodies = off;
UPDATE element SET name = 'restored' WHERE id = :eid;
COMMIT;
SET tailings.tracking = off;
UPDATE element SET name = 'S1' WHERE id = :eid;
RESET tailings.tracking;
SELECT count(*) AS log_rows_written FROM change_log WHERE id > :log_before;
-- but a superuser's SECURITY DEFINER function called by an editor does not
-- count as a superuser session
CREATE FUNCTION public.regress_rename(id bigint, n text) RETURNS void LANGUAGE sql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	UPDATE tailings.element SET name = n WHERE element.id = regress_rename.id;
END;
GRANT EXECUTE ON FUNCTION public.regress_rename(bigint, text) TO regress_editor;
SET SESSION AUTHORIZATION regress_editor;
BEGIN;
SET LOCAL check_function_bodies = off;
SELECT public.regress_rename(:eid, 'via definer');
COMMIT;
RESET SESSION AUTHORIZATION;
SELECT count(*) AS log_rows_written, max(session_role) AS session_role FROM change_log WHERE id > :log_before;
DROP FUNCTION public.regress_rename(bigint, text);

---------------------------------------------------------------------------
-- 3. Forged history: the reader writes log rows for a pond under a bureau
-- officer's name.
---------------------------------------------------------------------------
SET SESSION AUTHORIZATION regress_reader;
CREATE TEMP TABLE fake (id bigint, pond_id bigint, geom geometry(Point, 4490));
CREATE TRIGGER fake_track AFTER INSERT ON fake FOR EACH ROW EXECUTE FUNCTION tailings.track_changes();
\echo :LAST_ERROR_SQLSTATE
SET tailings.actor = '市生态环境局 张科长';
INSERT INTO tailings.change_log (txid, changed_at, actor, table_name, row_id, pond_id, op)
VALUES (pg_current_xact_id(), now(), '市生态环境局 张科长', 'tailings.element', 1, :pond_id, 'U');
\echo :LAST_ERROR_SQLSTATE
RESET tailings.actor;
RESET SESSION AUTHORIZATION;
-- an editor (a member) cannot name someone else: the log names the member
SET SESSION AUTHORIZATION regress_editor;
SET tailings.actor = '市生态环境局 张科长';
UPDATE tailings.element SET name = 'S1-field' WHERE id = :eid;
RESET tailings.actor;
RESET SESSION AUTHORIZATION;
SELECT actor, session_role FROM change_log ORDER BY id DESC LIMIT 1;
-- an application (granted tailings_app) names the person it acts for, and the log keeps its
-- login too
GRANT tailings_app TO regress_editor;
SET SESSION AUTHORIZATION regress_editor;
SET tailings.actor = '市生态环境局 张科长';
UPDATE tailings.element SET name = 'S1-app' WHERE id = :eid;
RESET tailings.actor;
RESET SESSION AUTHORIZATION;
SELECT actor, session_role FROM change_log ORDER BY id DESC LIMIT 1;
REVOKE tailings_app FROM regress_editor;

---------------------------------------------------------------------------
-- 4. The audit: every SECURITY DEFINER function of the extension pins
-- search_path; the functions PUBLIC may not execute.
---------------------------------------------------------------------------
SELECT p.oid::regprocedure AS definer, p.proconfig
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
  JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'tailings'
 WHERE p.prosecdef ORDER BY 1::text;
SELECT p.oid::regprocedure AS not_for_public
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
  JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'tailings'
 WHERE NOT has_function_privilege('regress_reader', p.oid, 'EXECUTE') ORDER BY 1::text;
-- the log, its registry and the horizon record are written by the extension only
SELECT c.relname, has_table_privilege('regress_editor', c.oid, 'INSERT') AS ins,
       has_table_privilege('regress_editor', c.oid, 'UPDATE') AS upd,
       has_table_privilege('regress_editor', c.oid, 'DELETE') AS del
  FROM pg_class c WHERE c.relnamespace = 'tailings'::regnamespace
   AND c.relname IN ('change_log', 'change_log_pruned', 'tracked_table') ORDER BY 1;

---------------------------------------------------------------------------
-- 5. History, once final, does not change: the horizon is the start of the
-- oldest open transaction (this one, here).
---------------------------------------------------------------------------
BEGIN;
SELECT history_horizon() = now() AS horizon_is_this_transaction;
SELECT history_horizon() <= statement_timestamp() AS not_later_than_now;
COMMIT;
SET SESSION AUTHORIZATION regress_reader;
SELECT history_horizon() <= now() AS reader_may_ask;
RESET SESSION AUTHORIZATION;

DELETE FROM element WHERE pond_id = :pond_id;
DELETE FROM pond WHERE id = :pond_id;
SELECT remove_member('regress_editor');
DISCARD TEMP;
DROP OWNED BY regress_reader, regress_editor;
DROP ROLE regress_reader, regress_editor;
