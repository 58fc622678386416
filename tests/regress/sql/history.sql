-- time travel through the history tables (element_history, pond_history,
-- sample_history): the same rows as rebuilding them from the change log (the
-- functions of 0.8.0, copied here), at every moment of a random history;
-- pruning, row-level security, and writes refused.
-- in a database of its own (the ids and rows of the other files stay as they are)
\set regress_db :DBNAME
SET client_min_messages = warning;
DROP DATABASE IF EXISTS tailings_history;
CREATE DATABASE tailings_history;
\c tailings_history
SET client_min_messages = warning;
CREATE EXTENSION tailings CASCADE;
SET search_path = tailings, public;
\set SHOW_CONTEXT never
\set VERBOSITY terse

-- the 0.8.0 way: the rows at "at" rebuilt from the change log
CREATE FUNCTION public.old_as_of(tab text, at timestamptz) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY EXECUTE format($q$
	WITH first_after AS (
		SELECT DISTINCT ON (c.row_id) c.row_id, c.op, c.old_row
		  FROM tailings.change_log c
		 WHERE c.table_name = 'tailings.%1$s' AND c.changed_at > $1
		 ORDER BY c.row_id, c.id)
	SELECT x::text FROM (
		SELECT x.* FROM tailings.%1$s x
		 WHERE NOT EXISTS (SELECT 1 FROM first_after f WHERE f.row_id = x.id)
		UNION ALL
		SELECT r.* FROM first_after f, jsonb_populate_record(NULL::tailings.%1$s, f.old_row) r
		 WHERE f.op <> 'I') x$q$, tab) USING at;
END $$;
CREATE FUNCTION public.new_as_of(tab text, at timestamptz) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY EXECUTE format('SELECT x::text FROM tailings._%ss_as_of($1) x', tab) USING at;
END $$;
-- the moments at which old and new differ, of those given
CREATE FUNCTION public.differ(moments timestamptz[]) RETURNS TABLE (tab text, at timestamptz) LANGUAGE sql AS $$
	SELECT t, m FROM unnest(moments) m, unnest(ARRAY['element', 'pond', 'sample']) t
	 WHERE EXISTS ((SELECT * FROM public.old_as_of(t, m) EXCEPT ALL SELECT * FROM public.new_as_of(t, m))
	               UNION ALL
	               (SELECT * FROM public.new_as_of(t, m) EXCEPT ALL SELECT * FROM public.old_as_of(t, m)))
$$;

-- a random history, one transaction per step (a procedure that commits), some rolled back:
-- updates (several of one row in one transaction), moves between ponds,
-- deletes and re-inserts with the same id, samples, pond edits
INSERT INTO pond (code, name, county_code, supervision_level, status, location)
SELECT 'H-' || i, 'history ' || i, CASE WHEN i % 2 = 0 THEN '510402' ELSE '510421' END, 3, 'in_use',
       ST_SetSRID(ST_MakePoint(101.7 + i * 0.01, 26.5), 4490)
  FROM generate_series(1, 4) i;
INSERT INTO element (pond_id, kind, geom, name)
SELECT p.id, CASE WHEN i % 3 = 0 THEN 'gw_monitoring_well' ELSE 'sign' END::element_kind,
       ST_SetSRID(ST_MakePoint(ST_X(p.location) + i * 0.0001, 26.5), 4490), 'e' || i
  FROM pond p, generate_series(1, 6) i WHERE p.code LIKE 'H-%';
CREATE PROCEDURE public.random_history(steps int) LANGUAGE plpgsql AS $$
DECLARE
	e tailings.element;
	w bigint;
	r double precision;
BEGIN
	PERFORM setseed(0.15);
	FOR step IN 1 .. steps LOOP
		r := random();
		SELECT * INTO e FROM tailings.element ORDER BY random() LIMIT 1;
		IF r < 0.3 THEN
			-- an update, sometimes three of the same row in one transaction
			FOR k IN 1 .. CASE WHEN random() < 0.3 THEN 3 ELSE 1 END LOOP
				UPDATE tailings.element SET name = name || '+', geom = ST_Translate(geom, 0.00001, 0) WHERE id = e.id;
			END LOOP;
		ELSIF r < 0.45 AND e.kind = 'sign' THEN
			-- a move to another pond (not a well: its samples are its pond's)
			UPDATE tailings.element SET pond_id = (SELECT p.id FROM tailings.pond p WHERE p.id <> e.pond_id
			                                        AND p.code LIKE 'H-%' ORDER BY random() LIMIT 1)
			 WHERE id = e.id;
		ELSIF r < 0.55 THEN
			-- deleted, and (in the same transaction, or a later one) back with the same id
			DELETE FROM tailings.element WHERE id = e.id;
			IF random() < 0.5 THEN
				COMMIT;
			END IF;
			INSERT INTO tailings.element SELECT (e).*;
		ELSIF r < 0.62 THEN
			-- inserted and changed in one transaction, or inserted and deleted
			INSERT INTO tailings.element (pond_id, kind, geom, name)
			VALUES (e.pond_id, 'sign', ST_Translate(e.geom, 0.0002, 0), 'new') RETURNING id INTO w;
			IF random() < 0.5 THEN
				UPDATE tailings.element SET name = 'new+' WHERE id = w;
			ELSE
				DELETE FROM tailings.element WHERE id = w;
			END IF;
		ELSIF r < 0.75 THEN
			-- a sample of a well, its value changed, or one deleted
			SELECT id INTO w FROM tailings.element WHERE kind = 'gw_monitoring_well' ORDER BY random() LIMIT 1;
			INSERT INTO tailings.sample (element_id, sampled_on, parameter, value)
			VALUES (w, DATE '2025-01-01' + step, 'arsenic', random() / 10);
			UPDATE tailings.sample SET value = value * 2 WHERE id = (SELECT min(id) FROM tailings.sample);
			IF random() < 0.3 THEN
				DELETE FROM tailings.sample WHERE id = (SELECT max(id) FROM tailings.sample);
			END IF;
		ELSIF r < 0.85 THEN
			-- a pond edit
			UPDATE tailings.pond SET status = CASE WHEN status = 'in_use' THEN 'suspended' ELSE 'in_use' END::tailings.pond_status,
			       location = ST_Translate(location, 0, 0.0001)
			 WHERE id = e.pond_id;
		ELSIF r < 0.92 THEN
			-- a change rolled back
			UPDATE tailings.element SET name = 'rolled back' WHERE id = e.id;
			DELETE FROM tailings.element WHERE id <> e.id AND id = (SELECT max(id) FROM tailings.element);
			ROLLBACK;
			CONTINUE;
		ELSE
			-- a superuser's change with tracking off: not logged, the history follows
			SET LOCAL tailings.tracking = off;
			UPDATE tailings.element SET name = name || ' (silent)' WHERE id = e.id;
		END IF;
		COMMIT;
	END LOOP;
END $$;
CALL public.random_history(120);
SELECT count(*) > 150 AS enough_changes, count(DISTINCT changed_at) > 100 AS enough_transactions,
       count(*) FILTER (WHERE table_name = 'tailings.sample') > 5 AS with_samples,
       count(*) FILTER (WHERE op = 'D') > 5 AS with_deletes FROM change_log;
-- every moment a change was logged at, a microsecond before it, halfway to the next, and long before and after
CREATE TEMP TABLE moments AS
SELECT array_agg(m) AS m FROM (
	SELECT DISTINCT unnest(ARRAY[changed_at, changed_at - interval '1 microsecond',
	                             changed_at + (lead(changed_at) OVER (ORDER BY changed_at) - changed_at) / 2]) AS m
	  FROM change_log
	UNION SELECT '-infinity' UNION SELECT 'infinity' UNION SELECT now() - interval '1 day') x WHERE m IS NOT NULL;
SELECT cardinality(m) > 300 AS enough_moments FROM moments;
SELECT * FROM public.differ((SELECT m FROM moments));
-- the present is the tables
SELECT (SELECT count(*) FROM element) = (SELECT count(*) FROM _elements_as_of(NULL)) AS present_alike;

-- several versions in one transaction leave one; no period overlaps another of the same row
SELECT count(*) AS empty_or_overlapping FROM element_history a JOIN element_history b
    ON a.id = b.id AND a.ctid <> b.ctid AND a.valid && b.valid;
SELECT count(*) AS empty_periods FROM element_history WHERE isempty(valid);

-- rebuild_history() (what the update from 0.8.0 runs) gives the same history
CREATE TEMP TABLE kept AS SELECT h::text AS v FROM element_history h;
SELECT rebuild_history('element') > 0 AS rebuilt;
SELECT count(*) AS differences FROM ((SELECT v FROM kept EXCEPT ALL SELECT h::text FROM element_history h)
                                     UNION ALL (SELECT h::text FROM element_history h EXCEPT ALL SELECT v FROM kept)) d;

-- a past tile's rows come from an index scan of the history (no scan of the log)
CREATE FUNCTION public.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	line text;
	plan text := '';
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		plan := plan || line;
	END LOOP;
	RETURN plan;
END $$;
SELECT p LIKE '%Index Scan using element_history_geom_valid_idx%' AS index_scan,
       p LIKE '%@>#%' AS period_in_index, p NOT LIKE '%change_log%' AS no_log
  FROM public.plan_of($$SELECT id FROM tailings._elements_as_of(now() - interval '1 hour')
                       WHERE geom OPERATOR(tailings.&&#) ST_MakeEnvelope(101.7, 26.4, 101.8, 26.6, 4490)$$) p;

-- row-level security: a county member sees the history of its county's ponds only, the same
-- as the tables; it writes none of it
CREATE ROLE regress_history_county LOGIN;
SELECT add_member('regress_history_county', 'county', '510402', '东区');
SELECT array_agg(id) AS other_ponds FROM pond WHERE county_code <> '510402' \gset
-- (what there is to hide: versions of the other county's ponds, elements that moved between the counties)
SELECT count(*) > 0 AS other_county_versions, count(DISTINCT h.id) FILTER (WHERE EXISTS (
           SELECT FROM element_history o WHERE o.id = h.id AND o.pond_id <> ALL (:'other_ponds'))) > 0 AS moved_across
  FROM element_history h WHERE h.pond_id = ANY (:'other_ponds');
SELECT count(*) > 0 AS other_county_pond_versions FROM pond_history WHERE id = ANY (:'other_ponds');
SET ROLE regress_history_county;
SELECT count(*) > 0 AS sees_own FROM element_history;
SELECT count(*) AS other_county_versions FROM element_history h WHERE h.pond_id = ANY (:'other_ponds');
SELECT count(*) AS other_county_ponds FROM pond_history WHERE id = ANY (:'other_ponds');
SELECT count(*) AS other_county_samples FROM sample_history WHERE pond_id = ANY (:'other_ponds');
SELECT count(*) AS other_county_past_elements FROM _elements_as_of(now() - interval '1 second')
 WHERE pond_id = ANY (:'other_ponds');
INSERT INTO element_history SELECT * FROM element_history LIMIT 1;
UPDATE element_history SET valid = tstzrange('-infinity', NULL);
DELETE FROM pond_history;
INSERT INTO history_table (relid, history, id_column) VALUES ('tailings.pond', 'tailings.element_history', 'id');
SELECT rebuild_history('element');
RESET ROLE;

-- pruning: the versions that ended before the horizon go with the log; time travel to then is refused
SELECT (SELECT m[cardinality(m) / 2] FROM moments) AS horizon \gset
SELECT count(*) > 0 AS versions_ended_before FROM element_history WHERE upper(valid) <= :'horizon';
SELECT prune_changes(:'horizon') > 0 AS pruned;
SELECT count(*) AS versions_ended_before FROM element_history WHERE upper(valid) <= :'horizon';
\set VERBOSITY sqlstate
SELECT count(*) FROM elements_at((SELECT min(id) FROM pond), :'horizon'::timestamptz - interval '1 second');
\set VERBOSITY terse
-- and after it, the same rows as before
SELECT * FROM public.differ((SELECT array_agg(x) FROM unnest((SELECT m FROM moments)) x WHERE x >= :'horizon'));

-- another tracked table, given a history
CREATE TABLE public.plot (id bigint PRIMARY KEY, pond_id bigint, geom geometry(Point, 4490), note text);
SELECT track_table('public.plot');
INSERT INTO public.plot VALUES (1, 1, ST_SetSRID(ST_MakePoint(101, 26), 4490), 'a');
SELECT add_history('public.plot');
SELECT id, note, upper_inf(valid) AS current FROM public.plot_history ORDER BY lower(valid);
UPDATE public.plot SET note = 'b';
SELECT id, note, upper_inf(valid) AS current FROM public.plot_history ORDER BY lower(valid);
-- a history with a trigger of its own is written by statements, which fire it (as an UPDATE and an
-- INSERT of it would, a statement trigger too); its versions are the same
CREATE TABLE public.plot_history_seen (op text);
CREATE FUNCTION public.plot_history_seen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.plot_history_seen VALUES (TG_OP); RETURN NULL; END $$;
CREATE TRIGGER seen AFTER INSERT OR UPDATE ON public.plot_history FOR EACH STATEMENT EXECUTE FUNCTION public.plot_history_seen();
UPDATE public.plot SET note = 'c';
SELECT id, note, upper_inf(valid) AS current FROM public.plot_history ORDER BY lower(valid);
SELECT op, count(*) FROM public.plot_history_seen GROUP BY op ORDER BY op;
DROP TABLE public.plot, public.plot_history, public.plot_history_seen;
DROP FUNCTION public.plot_history_seen();
SELECT count(*) AS registrations_left FROM history_table WHERE NOT builtin;

\c :regress_db
DROP DATABASE tailings_history;
DROP ROLE regress_history_county;
