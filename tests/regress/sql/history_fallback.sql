-- track_changes writes the change log and a history table directly (without the SQL
-- executor) when they fit, and by SQL statements when a DBA changed them so that they do not:
-- a trigger or rule of theirs, another column, no btree on the row id, row-level security
-- forced on the log's owner, a privilege taken from it.  For each such change, the same
-- edits on a twin table give the same history and the same log rows as on a table whose
-- history fits, and what the DBA added (defaults, rules, triggers, policies, privileges) is
-- applied as a statement would apply it.
-- in a database of its own: it changes the owner of the change log
\set test_db :DBNAME '_history_fallback'
\getenv abs_srcdir PG_ABS_SRCDIR
\set include :abs_srcdir '/include/own_db.sql'
\i :include
SET search_path = tailings, public;
\set SHOW_CONTEXT never
\set VERBOSITY terse

-- a twin: a tracked table with four rows, then its history (built from the log)
CREATE FUNCTION public.twin(name text) RETURNS regclass LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('CREATE TABLE public.%I (id int PRIMARY KEY, pond_id bigint NOT NULL, note varchar(20),'
	               ' geom geometry(Point, 4490))', name);
	PERFORM tailings.track_table(format('public.%I', name));
	EXECUTE format('INSERT INTO public.%I SELECT i, 1, ''n'' || i, ST_SetSRID(ST_MakePoint(101.7 + i / 1000.0, 26.5), 4490)'
	               ' FROM generate_series(1, 4) i', name);
	PERFORM tailings.add_history(format('public.%I', name));
	RETURN format('public.%I', name)::regclass;
END $$;
-- the edits, one transaction each (%1$s: the table); the fifth is rolled back, the ninth made
-- with tracking off (a superuser's: not logged, the history follows)
CREATE TABLE public.step (tx int, n int, sql text, PRIMARY KEY (tx, n));
INSERT INTO public.step VALUES
	-- rows inserted; several changed by one statement; one moved
	(1, 1, $$INSERT INTO %1$s VALUES (5, 1, 'n5', ST_SetSRID(ST_MakePoint(101.705, 26.5), 4490)),
	                               (6, 2, 'n6', ST_SetSRID(ST_MakePoint(101.706, 26.5), 4490))$$),
	(1, 2, $$UPDATE %1$s SET note = note || '+' WHERE id IN (1, 2)$$),
	(1, 3, $$UPDATE %1$s SET geom = ST_Translate(geom, 0.001, 0) WHERE id = 3$$),
	-- a row changed twice (by two statements), an update that changes nothing
	(2, 1, $$UPDATE %1$s SET note = 'twice 1' WHERE id = 1$$),
	(2, 2, $$UPDATE %1$s SET note = 'twice 2', geom = ST_Translate(geom, 0, 0.001) WHERE id = 1$$),
	(2, 3, $$UPDATE %1$s SET note = note WHERE id = 2$$),
	-- a delete; a row inserted and changed
	(3, 1, $$DELETE FROM %1$s WHERE id = 4$$),
	(3, 2, $$INSERT INTO %1$s VALUES (7, 2, 'n7', ST_SetSRID(ST_MakePoint(101.707, 26.5), 4490))$$),
	(3, 3, $$UPDATE %1$s SET note = 'n7+' WHERE id = 7$$),
	-- the deleted id back; another delete
	(4, 1, $$INSERT INTO %1$s VALUES (4, 1, 'n4 again', ST_SetSRID(ST_MakePoint(101.704, 26.5), 4490))$$),
	(4, 2, $$DELETE FROM %1$s WHERE id = 5$$),
	-- rolled back
	(5, 1, $$UPDATE %1$s SET note = 'rolled back' WHERE id = 6$$),
	(5, 2, $$DELETE FROM %1$s WHERE id = 3$$),
	(5, 3, $$INSERT INTO %1$s VALUES (8, 1, 'n8', NULL)$$),
	-- deleted and back in one transaction; an id changed
	(6, 1, $$DELETE FROM %1$s WHERE id = 6$$),
	(6, 2, $$INSERT INTO %1$s VALUES (6, 2, 'n6 back', ST_SetSRID(ST_MakePoint(101.706, 26.5), 4490))$$),
	(6, 3, $$UPDATE %1$s SET id = 9 WHERE id = 7$$),
	-- every row by one statement
	(7, 1, $$UPDATE %1$s SET pond_id = pond_id + 1$$),
	-- inserted and deleted in one transaction
	(8, 1, $$INSERT INTO %1$s VALUES (10, 1, 'n10', NULL)$$),
	(8, 2, $$DELETE FROM %1$s WHERE id = 10$$),
	-- tracking off
	(9, 1, $$SET LOCAL tailings.tracking = off$$),
	(9, 2, $$UPDATE %1$s SET note = 'silent' WHERE id = 2$$),
	-- and on again
	(10, 1, $$UPDATE %1$s SET note = 'after silent' WHERE id = 2$$);
CREATE PROCEDURE public.edit(t regclass) LANGUAGE plpgsql AS $$
DECLARE
	s record;
	last int := NULL;
BEGIN
	FOR s IN SELECT * FROM public.step ORDER BY tx, n LOOP
		IF last IS NOT NULL AND s.tx <> last THEN
			IF last = 5 THEN ROLLBACK; ELSE COMMIT; END IF;
			-- (each transaction starts at a moment of its own)
			PERFORM pg_sleep(0.001);
		END IF;
		EXECUTE format(s.sql, t);
		last := s.tx;
	END LOOP;
	COMMIT;
END $$;

-- a table's versions: its columns, and the period as the transactions of its log (1: the one
-- that made the twin; "now": still current)
CREATE FUNCTION public.versions(t regclass)
RETURNS TABLE (id int, pond_id bigint, note text, geom text, valid_from text, valid_until text)
LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY EXECUTE format($q$
	WITH tx AS (SELECT c.changed_at, dense_rank() OVER (ORDER BY c.changed_at)::text AS n
	              FROM (SELECT DISTINCT changed_at FROM tailings.change_log WHERE table_name = %2$L) c)
	SELECT h.id, h.pond_id, h.note::text, ST_AsText(h.geom, 6),
	       coalesce(f.n, 'not a transaction: ' || lower(h.valid)),
	       CASE WHEN upper_inf(h.valid) THEN 'now' ELSE coalesce(u.n, 'not a transaction: ' || upper(h.valid)) END
	  FROM %1$s h LEFT JOIN tx f ON f.changed_at = lower(h.valid) LEFT JOIN tx u ON u.changed_at = upper(h.valid)$q$,
	(SELECT history FROM tailings.history_table WHERE relid = t),
	(SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = t));
END $$;
-- its log rows, with their transactions and order in the table's log
CREATE FUNCTION public.log_rows(t regclass)
RETURNS TABLE (tx bigint, txid bigint, n bigint, actor text, row_id bigint, pond_id bigint, op "char", old_row jsonb,
               new_row jsonb, changed text[], moved_m double precision, session_role text, bbox double precision[],
               submission_id bigint)
LANGUAGE sql AS $$
	SELECT dense_rank() OVER (ORDER BY changed_at), dense_rank() OVER (ORDER BY c.txid), row_number() OVER (ORDER BY id),
	       actor, row_id, pond_id, op, old_row, new_row, changed, moved_m, session_role, bbox, submission_id
	  FROM tailings.change_log c
	 WHERE table_name = (SELECT n.nspname || '.' || r.relname FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace
	                      WHERE r.oid = t)
$$;
-- how many versions and log rows the twin has, and how many differ from the reference's
CREATE FUNCTION public.compare(twin regclass, reference regclass)
RETURNS TABLE (versions bigint, log_rows bigint, versions_differing bigint, log_rows_differing bigint)
LANGUAGE sql AS $$
	SELECT (SELECT count(*) FROM public.versions(twin)), (SELECT count(*) FROM public.log_rows(twin)),
	       (SELECT count(*) FROM ((SELECT * FROM public.versions(twin) EXCEPT ALL SELECT * FROM public.versions(reference))
	                              UNION ALL
	                              (SELECT * FROM public.versions(reference) EXCEPT ALL SELECT * FROM public.versions(twin))) d),
	       (SELECT count(*) FROM ((SELECT * FROM public.log_rows(twin) EXCEPT ALL SELECT * FROM public.log_rows(reference))
	                              UNION ALL
	                              (SELECT * FROM public.log_rows(reference) EXCEPT ALL SELECT * FROM public.log_rows(twin))) d)
$$;

-- the reference: a history as add_history makes it, written directly
SELECT public.twin('plain');
CALL public.edit('public.plain');
SELECT * FROM public.versions('public.plain') ORDER BY id, valid_from;
SELECT count(*) AS log_rows, count(DISTINCT tx) AS transactions FROM public.log_rows('public.plain');

-- a column of the DBA's own, with a default: each version gets it (as the log's owner, who writes)
SELECT public.twin('with_default');
ALTER TABLE public.with_default_history ADD COLUMN kept_by name NOT NULL DEFAULT current_user;
CALL public.edit('public.with_default');
SELECT * FROM public.compare('public.with_default', 'public.plain');
SELECT kept_by, count(*) FROM public.with_default_history GROUP BY kept_by;

-- a column of another type (the history's note widened to text)
SELECT public.twin('retyped');
ALTER TABLE public.retyped_history ALTER COLUMN note TYPE text;
CALL public.edit('public.retyped');
SELECT * FROM public.compare('public.retyped', 'public.plain');

-- no index on the row id
SELECT public.twin('no_index');
DROP INDEX public.no_index_history_id_idx;
CALL public.edit('public.no_index');
SELECT * FROM public.compare('public.no_index', 'public.plain');

-- a hash index on the row id instead of the btree
SELECT public.twin('hash_index');
DROP INDEX public.hash_index_history_id_idx;
CREATE INDEX hash_index_history_id_hash ON public.hash_index_history USING hash (id);
CALL public.edit('public.hash_index');
SELECT * FROM public.compare('public.hash_index', 'public.plain');

-- a rule copying each new version elsewhere: it runs for every version written
CREATE TABLE public.archive (id int, note text);
SELECT public.twin('with_rule');
CREATE RULE archive AS ON INSERT TO public.with_rule_history DO ALSO INSERT INTO public.archive VALUES (NEW.id, NEW.note);
CALL public.edit('public.with_rule');
SELECT * FROM public.compare('public.with_rule', 'public.plain');
-- (the versions of its logged inserts and updates since it was made, and of the change made with
-- tracking off)
SELECT id, note FROM public.archive
EXCEPT ALL SELECT row_id, new_row ->> 'note' FROM public.log_rows('public.with_rule') WHERE op <> 'D' AND tx > 1;
SELECT count(*) AS versions_not_archived
  FROM (SELECT row_id, new_row ->> 'note' FROM public.log_rows('public.with_rule') WHERE op <> 'D' AND tx > 1
        EXCEPT ALL SELECT id, note FROM public.archive) d;

-- a statement trigger on the change log forwarding its new rows elsewhere (an outbox): it runs
-- for every log row's INSERT and sees the row; the log rows and the history are the same
CREATE TABLE public.outbox (log_id bigint);
CREATE FUNCTION public.forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.outbox SELECT id FROM new_rows; RETURN NULL; END $$;
CREATE TRIGGER forward AFTER INSERT ON change_log REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION public.forward();
SELECT public.twin('log_trigger');
CALL public.edit('public.log_trigger');
DROP TRIGGER forward ON change_log;
SELECT * FROM public.compare('public.log_trigger', 'public.plain');
SELECT count(*) AS forwarded, count(DISTINCT log_id) FILTER (WHERE log_id IN (
           SELECT id FROM change_log WHERE table_name = 'public.log_trigger')) AS its_log_rows
  FROM public.outbox;

-- row-level security forced on the history, with a policy refusing a version without a note: the
-- log's owner (a superuser, as CREATE EXTENSION makes it) is not bound by it, as PostgreSQL's
-- superusers are not, FORCE or not
CREATE FUNCTION public.forced_twin(name text) RETURNS regclass LANGUAGE plpgsql AS $$
BEGIN
	PERFORM public.twin(name);
	EXECUTE format('ALTER TABLE public.%I FORCE ROW LEVEL SECURITY', name || '_history');
	EXECUTE format('CREATE POLICY with_note ON public.%I USING (true) WITH CHECK (note IS NOT NULL)', name || '_history');
	RETURN format('public.%I', name)::regclass;
END $$;
SELECT public.forced_twin('forced_superuser');
CALL public.edit('public.forced_superuser');
SELECT * FROM public.compare('public.forced_superuser', 'public.plain');
UPDATE public.forced_superuser SET note = NULL WHERE id = 4;
SELECT count(*) AS versions_without_note FROM public.forced_superuser_history WHERE note IS NULL;

-- The log's owner a role without superuser (a reader, to read the registrations): the
-- histories add_history makes are its own
CREATE ROLE regress_fallback_keeper NOLOGIN;
GRANT tailings_reader TO regress_fallback_keeper;
ALTER TABLE change_log OWNER TO regress_fallback_keeper;
SELECT public.twin('kept');
SELECT relowner::regrole AS history_owner FROM pg_class WHERE oid = 'public.kept_history'::regclass;
CALL public.edit('public.kept');
SELECT * FROM public.compare('public.kept', 'public.plain');

-- row-level security forced on the history, with a policy refusing a version without a note
-- (none of the edits makes one): the same history, and the policy holds
SELECT public.forced_twin('forced');
CALL public.edit('public.forced');
SELECT * FROM public.compare('public.forced', 'public.kept');
UPDATE public.forced SET note = NULL WHERE id = 4;
\echo :LAST_ERROR_SQLSTATE
SELECT id, note FROM public.forced WHERE id = 4;
SELECT count(*) AS versions_without_note FROM public.forced_history WHERE note IS NULL;

-- the log's owner without DELETE on the history: a row changed once in a transaction needs none
-- (its version is ended), a row changed twice does (the version of the first change goes) and is
-- refused
SELECT public.twin('no_delete');
REVOKE DELETE ON public.no_delete_history FROM regress_fallback_keeper;
UPDATE public.no_delete SET note = 'once' WHERE id = 1;
SELECT * FROM public.versions('public.no_delete') WHERE id = 1 ORDER BY valid_from;
BEGIN;
UPDATE public.no_delete SET note = 'twice 1' WHERE id = 2;
UPDATE public.no_delete SET note = 'twice 2' WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT * FROM public.versions('public.no_delete') WHERE id = 2 ORDER BY valid_from;

\c :regress_db
DROP DATABASE :test_db;
DROP ROLE regress_fallback_keeper;
