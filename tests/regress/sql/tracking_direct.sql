-- the trigger's own writing.  1. The change log's rows as jsonb: what
-- to_jsonb() makes of the row (the geometry as its hex EWKB text), for every
-- kind of column.  The trigger makes the common types' jsonb itself, and
-- leaves the others (arrays, composites, json, types with a cast to json) to
-- to_jsonb(); both must give the same.  2. The log and the history tables are
-- kept open from a statement's first row to its end: statements that fail,
-- savepoints, exception blocks, nested statements, COPY, and a history
-- dropped after its writes, each leave the log and the history whole.
\set regress_db :DBNAME
SET client_min_messages = warning;
DROP DATABASE IF EXISTS tailings_tracking_direct;
CREATE DATABASE tailings_tracking_direct;
\c tailings_tracking_direct
SET client_min_messages = warning;
CREATE EXTENSION tailings CASCADE;
SET search_path = tailings, public;
\set VERBOSITY terse

CREATE TYPE public.mood AS ENUM ('calm', 'tense');
CREATE DOMAIN public.depth AS numeric(6, 2) CHECK (VALUE >= 0);
CREATE DOMAIN public.small AS smallint;
CREATE TABLE public.typed (
	id bigint PRIMARY KEY,
	pond_id integer,
	s small,
	i4 integer,
	n numeric,
	d depth,
	r real,
	f double precision,
	b boolean,
	day date,
	ts timestamp,
	tstz timestamptz,
	t text,
	vc varchar(8),
	ch char(4),
	m mood,
	u uuid,
	iv interval,
	ip inet,
	j jsonb,
	kind element_kind,
	geom geometry(Geometry, 4490)
);
SELECT track_table('public.typed', 'id', 'pond_id', 'geom');
ALTER TABLE public.typed DROP COLUMN i4;  -- a dropped column is no key

-- what to_jsonb() makes of each changed row (the geometry as its text), kept
-- beside the log by a PL/pgSQL trigger
CREATE FUNCTION public.expected(r public.typed) RETURNS jsonb LANGUAGE sql AS $$
	SELECT to_jsonb(r) - 'geom' || jsonb_build_object('geom', (r).geom::text) $$;
CREATE TABLE public.seen (n serial, op text, row_id bigint, old_row jsonb, new_row jsonb);
CREATE FUNCTION public.see() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.seen (op, row_id, old_row, new_row)
	VALUES (left(TG_OP, 1), CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END,
	        CASE WHEN TG_OP <> 'INSERT' THEN public.expected(OLD) END,
	        CASE WHEN TG_OP <> 'DELETE' THEN public.expected(NEW) END);
	RETURN NULL;
END $$;
CREATE TRIGGER see AFTER INSERT OR UPDATE OR DELETE ON public.typed FOR EACH ROW EXECUTE FUNCTION public.see();

INSERT INTO public.typed VALUES
	(1, 10, 7, 12.50, 3.25, 1.5, 2.5, true, '2026-11-30', '2026-11-30 08:15:00.123456',
	 '2026-11-30 08:15:00+08', 'plain', 'v', 'ab', 'calm', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
	 '1 day 2 hours', '10.0.0.1/8', '{"depth_m": 20, "n": [1, 2, {"x": null}], "s": "ü \" \\ \n"}',
	 'gw_monitoring_well', ST_SetSRID(ST_MakePoint(101.7, 26.5), 4490)),
	(2, NULL, -32768, 'NaN', 0, 'NaN', '-Infinity', false, 'infinity', '-infinity',
	 'infinity', E'tab\there "quoted" 尾矿库', '', '', 'tense', NULL,
	 '-3 years', '::1', '"a scalar"', NULL, ST_SetSRID(ST_MakeLine(ST_MakePoint(101.7, 26.5), ST_MakePoint(101.8, 26.6)), 4490)),
	(3, 30, NULL, 1e-20, NULL, 1e30, 1.0e-30, NULL, '0044-03-15 BC', '0001-01-01 00:00:00',
	 '1999-12-31 23:59:59.999999-12', repeat('x', 5000), NULL, NULL, NULL, NULL,
	 NULL, NULL, '[1, "two", [3]]', NULL, NULL),
	(4, 40, 32767, -0.000, 9999.99, 3.4028235e38, -0.0, true, NULL, NULL,
	 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '{}', NULL, NULL),
	(5, 50, 1, 123456789012345678901234567890.123456789, 0, 1, 1, true, NULL, NULL,
	 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'null', NULL, NULL);
UPDATE public.typed SET t = coalesce(t, '') || '*', j = j || '[true]' WHERE id IN (1, 2, 3);
DELETE FROM public.typed WHERE id = 5;

-- every row of the log is what to_jsonb() gives: inserts, updates (both rows) and the delete
SELECT c.row_id, c.op, c.old_row::text IS NOT DISTINCT FROM s.old_row::text AS old_same,
       c.new_row::text IS NOT DISTINCT FROM s.new_row::text AS new_same
  FROM (SELECT *, row_number() OVER (ORDER BY id) AS k FROM change_log WHERE table_name = 'public.typed') c
  FULL JOIN (SELECT *, row_number() OVER (ORDER BY n) AS k FROM public.seen) s USING (k)
 ORDER BY k;
-- a few values as a reader of the log sees them
SELECT row_id, new_row -> 's' AS s, new_row -> 'n' AS n, new_row -> 'r' AS r, new_row -> 'f' AS f,
       new_row -> 'day' AS day, new_row -> 'ts' AS ts, new_row -> 'ch' AS ch, new_row -> 'j' AS j
  FROM change_log WHERE table_name = 'public.typed' AND op = 'I' ORDER BY row_id;

-- a cast to json made later is taken at once, as to_jsonb() takes it
CREATE FUNCTION public.mood_json(public.mood) RETURNS json LANGUAGE sql IMMUTABLE
	AS $$ SELECT json_build_object('mood', $1::text) $$;
CREATE CAST (public.mood AS json) WITH FUNCTION public.mood_json(public.mood);
INSERT INTO public.typed (id, m) VALUES (6, 'tense');
SELECT new_row -> 'm' AS m_with_cast FROM change_log WHERE table_name = 'public.typed' AND row_id = 6;
DROP CAST (public.mood AS json);
INSERT INTO public.typed (id, m) VALUES (7, 'tense');
SELECT new_row -> 'm' AS m_without_cast FROM change_log WHERE table_name = 'public.typed' AND row_id = 7;

-- a table with columns to_jsonb() makes itself (an array, a composite, json)
CREATE TABLE public.other (id integer PRIMARY KEY, tags text[], pt point, doc json, pair public.mood[],
                           geom geometry(Point, 4490));
SELECT track_table('public.other', 'id', '', 'geom');
INSERT INTO public.other VALUES (1, '{a,"b c"}', '(1,2)', '{"k": [1, 2]}', '{calm,tense}',
                                 ST_SetSRID(ST_MakePoint(101.7, 26.5), 4490));
SELECT new_row::text = (to_jsonb(o) - 'geom' || jsonb_build_object('geom', o.geom::text))::text AS other_same
  FROM change_log c, public.other o WHERE c.table_name = 'public.other' AND o.id = c.row_id;


-- 2. the element's history through statements that fail and succeed
INSERT INTO pond (code, name, supervision_level, status, location)
VALUES ('T-1', 'direct', 3, 'in_use', ST_SetSRID(ST_MakePoint(101.7, 26.5), 4490));
-- what must hold after every step: each element has one current version, the
-- same as the row; a deleted one has none; an id's versions do not overlap;
-- and each element's log rows end in its current row
CREATE FUNCTION public.history_whole() RETURNS TABLE (broken text) LANGUAGE sql AS $$
	SELECT 'no current version of ' || e.id FROM element e
	 WHERE (SELECT count(*) FROM element_history h WHERE h.id = e.id AND upper_inf(h.valid)) <> 1
	UNION ALL
	SELECT 'current version differs: ' || e.id FROM element e JOIN element_history h ON h.id = e.id AND upper_inf(h.valid)
	 WHERE (e.pond_id, e.kind, e.geom::text, e.name, e.attrs) IS DISTINCT FROM (h.pond_id, h.kind, h.geom::text, h.name, h.attrs)
	UNION ALL
	SELECT 'deleted but current: ' || h.id FROM element_history h
	 WHERE upper_inf(h.valid) AND NOT EXISTS (SELECT 1 FROM element e WHERE e.id = h.id)
	UNION ALL
	SELECT 'overlapping versions of ' || a.id FROM element_history a JOIN element_history b
	    ON a.id = b.id AND a.ctid <> b.ctid AND a.valid && b.valid
	UNION ALL
	SELECT 'log ends elsewhere: ' || e.id FROM element e
	 WHERE (SELECT c.new_row ->> 'name' FROM change_log c WHERE c.table_name = 'tailings.element' AND c.row_id = e.id
	         ORDER BY c.id DESC LIMIT 1) IS DISTINCT FROM e.name
$$;
CREATE FUNCTION public.wells(n integer, label text) RETURNS SETOF bigint LANGUAGE sql AS $$
	INSERT INTO element (pond_id, kind, geom, name)
	SELECT (SELECT id FROM pond WHERE code = 'T-1'), 'gw_monitoring_well',
	       ST_SetSRID(ST_MakePoint(101.7 + i * 0.001, 26.5), 4490), label || i
	  FROM generate_series(1, n) i RETURNING id $$;
SELECT count(*) AS inserted FROM wells(50, 'a');
-- a statement that fails at its 30th row: none of it is kept
UPDATE element SET name = CASE WHEN name = 'a30' THEN NULL::text ELSE name || '+' END,
                   kind = CASE WHEN name = 'a30' THEN 'dam' ELSE kind END
 WHERE name LIKE 'a%';
SELECT count(*) FILTER (WHERE name LIKE '%+') AS changed_by_failed_update FROM element;
SELECT * FROM history_whole();
-- savepoints: a statement rolled back to a savepoint, the next one kept
BEGIN;
UPDATE element SET name = name || '1' WHERE name LIKE 'a%';
SAVEPOINT s;
UPDATE element SET name = name || '2' WHERE name LIKE 'a%';
ROLLBACK TO SAVEPOINT s;
UPDATE element SET name = name || '3' WHERE name LIKE 'a1%';
DELETE FROM element WHERE name LIKE 'a2%';
COMMIT;
SELECT count(*) FILTER (WHERE name LIKE 'a%13') AS a1_13, count(*) FILTER (WHERE name LIKE '%2') AS rolled_back,
       count(*) AS elements FROM element;
SELECT * FROM history_whole();
-- exception blocks inside one statement: each row's subtransaction fails or not
CREATE FUNCTION public.rename_some(e element) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	BEGIN
		UPDATE element SET name = e.name || '!' WHERE id = e.id;
		IF e.id % 3 = 0 THEN
			RAISE EXCEPTION 'undo %', e.id;
		END IF;
	EXCEPTION WHEN raise_exception THEN
		RETURN 'undone';
	END;
	RETURN 'kept';
END $$;
SELECT rename_some(e) AS outcome, count(*) FROM element e WHERE name LIKE 'a%' GROUP BY 1 ORDER BY 1;
SELECT count(*) FILTER (WHERE name LIKE '%!' AND id % 3 = 0) AS undone_but_kept,
       count(*) FILTER (WHERE name LIKE '%!') AS renamed FROM element;
SELECT * FROM history_whole();
-- a statement whose rows each run a nested tracked statement that fails in an exception
-- block: the statement's own log and history stay open and whole through those failures
CREATE FUNCTION public.touch_and_fail() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	BEGIN
		UPDATE element SET name = name || '?' WHERE id = NEW.id;
		RAISE EXCEPTION 'undo the nested update of %', NEW.id;
	EXCEPTION WHEN raise_exception THEN
		NULL;
	END;
	RETURN NULL;
END $$;
CREATE TRIGGER touch_and_fail AFTER UPDATE ON element FOR EACH ROW
	WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION public.touch_and_fail();
UPDATE element SET name = name || '#' WHERE name LIKE 'a1%';
DROP TRIGGER touch_and_fail ON element;
SELECT count(*) FILTER (WHERE name LIKE 'a1%#') AS updated, count(*) FILTER (WHERE name LIKE '%?') AS nested_kept
  FROM element;
SELECT * FROM history_whole();
-- a tracked table written by the trigger of another: statements within a statement
CREATE FUNCTION public.mirror() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.name NOT LIKE 'mirror%' THEN
		INSERT INTO element (pond_id, kind, geom, name) VALUES (NEW.pond_id, NEW.kind, NEW.geom, 'mirror of ' || NEW.name);
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER mirror AFTER INSERT ON element FOR EACH ROW EXECUTE FUNCTION public.mirror();
SELECT count(*) AS inserted FROM wells(20, 'm');
DROP TRIGGER mirror ON element;
SELECT count(*) FILTER (WHERE name LIKE 'mirror of m%') AS mirrors FROM element;
SELECT * FROM history_whole();
-- COPY (its rows are written without a statement's end)
COPY element (pond_id, kind, geom, name) FROM STDIN;
1	gw_monitoring_well	SRID=4490;POINT(101.8 26.6)	c1
1	gw_monitoring_well	SRID=4490;POINT(101.8 26.7)	c2
\.
SELECT count(*) AS copied FROM element WHERE name IN ('c1', 'c2');
SELECT * FROM history_whole();
-- the history dropped later in the transaction that wrote it
CREATE TABLE public.site (id integer PRIMARY KEY, name text, geom geometry(Point, 4490));
SELECT track_table('public.site', 'id', '', 'geom');
SELECT add_history('public.site', 'id', '');
BEGIN;
INSERT INTO public.site SELECT i, 's' || i, ST_SetSRID(ST_MakePoint(101, 26), 4490) FROM generate_series(1, 10) i;
UPDATE public.site SET name = name || '*';
SELECT count(*) AS site_versions FROM public.site_history;
DROP TABLE public.site_history;
UPDATE public.site SET name = name || '*';
COMMIT;
SELECT count(*) AS site_log_rows, count(*) FILTER (WHERE new_row ->> 'name' = 's1**') AS last_update_logged
  FROM change_log WHERE table_name = 'public.site';

\c :regress_db
DROP DATABASE tailings_tracking_direct;
