-- tailings 0.8.0 -> 0.9.0: fast at national scale (issue 15): time travel
-- through an index, cheaper tracking, completeness summaries kept current.
\echo Use "ALTER EXTENSION tailings UPDATE TO '0.9.0'" to load this file. \quit

---------------------------------------------------------------------------
-- Time travel through history tables (issue 15)
---------------------------------------------------------------------------
-- The change log is the audit record; time travel reads history tables.  A
-- history table has the columns of its table plus "valid", the period
-- [from, until) during which that version of the row was the row: every
-- version of every row, the current one with an open end.  tile(..., at),
-- elements_at() and compare() find the versions valid at a moment with
-- "valid @># at" under a GiST index on the geometry and the period, as a
-- current tile finds the current rows, however long the history.
-- track_changes() keeps them in the same transaction as the change (run as
-- the log's owner); a rolled back change takes its history with it.
--
-- The periods are those the change log gives, so that a history table and the
-- log agree at every moment: a version is valid from the start of the
-- transaction that wrote it (changed_at) and until the start of the one that
-- replaced it, except that a period never starts before the one it follows
-- (a transaction that started earlier but wrote later, under read committed):
-- the row at moment t is the one before the first change logged after t, as
-- the log says.  Several changes of a row in one transaction leave one version.
-- A superuser's change with tailings.tracking off writes no log row: the
-- history is corrected as if the change had always been so (the current
-- version is replaced), as reading the log would have it.
--
-- The extension keeps history for the tables that have a time travel
-- function (element, pond, sample); tailings.add_history() gives another
-- tracked table one (its period, its indexes, no policies: its owner grants).

-- valid @># at: the period contains the moment.  PostgreSQL's @> for ranges
-- and elements, declared LEAKPROOF (it compares two values and raises no
-- error), so that under row-level security the period reaches the index, as
-- tailings.&&# does for the box.
CREATE FUNCTION _valid_at(tstzrange, timestamptz) RETURNS boolean
	AS 'range_contains_elem' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION _valid_at(tstzrange, timestamptz) IS
	'the period contains the moment (PostgreSQL''s @>), declared LEAKPROOF: the operator tailings.@>#';
-- (its estimate: PostgreSQL's for @>, from the period's statistics)
CREATE FUNCTION _valid_at_sel(internal, oid, internal, integer) RETURNS double precision
	AS 'MODULE_PATHNAME', 'tl_valid_at_sel' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE OPERATOR tailings.@># (LEFTARG = tstzrange, RIGHTARG = timestamptz, PROCEDURE = _valid_at,
	RESTRICT = _valid_at_sel, JOIN = contjoinsel);
COMMENT ON OPERATOR tailings.@># (tstzrange, timestamptz) IS
	'the period contains the moment (PostgreSQL''s @>), LEAKPROOF, for the indexes row-level security may use';
CREATE OPERATOR CLASS valid_period_ops FOR TYPE tstzrange USING gist AS
	OPERATOR 16 tailings.@># (tstzrange, timestamptz),
	FUNCTION 1 range_gist_consistent (internal, anyrange, smallint, oid, internal),
	FUNCTION 2 range_gist_union (internal, internal),
	FUNCTION 5 range_gist_penalty (internal, internal, internal),
	FUNCTION 6 range_gist_picksplit (internal, internal),
	FUNCTION 7 range_gist_same (anyrange, anyrange, internal);
COMMENT ON OPERATOR CLASS valid_period_ops USING gist IS
	'GiST over periods (PostgreSQL''s range support functions) for the LEAKPROOF tailings.@>#';

-- No row-level security: configuration, not a pond's data (as tracked_table).
CREATE TABLE history_table (
	relid regclass PRIMARY KEY REFERENCES tracked_table (relid) ON DELETE CASCADE,
	history regclass NOT NULL UNIQUE,
	id_column name NOT NULL,
	builtin boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE history_table IS
	'the tracked tables that have a history table (tailings.add_history), which track_changes keeps';
REVOKE ALL ON TABLE history_table FROM PUBLIC;
GRANT SELECT ON TABLE history_table TO tailings_reader, tailings_enterprise, tailings_county, tailings_city,
	tailings_province;
-- a registration that changes reaches every session's trigger (as tracked_table's)
CREATE TRIGGER history_table_changed AFTER INSERT OR UPDATE OR DELETE ON history_table
	FOR EACH ROW EXECUTE FUNCTION _tracked_table_changed();
SELECT pg_catalog.pg_extension_config_dump('history_table', 'WHERE NOT builtin');

-- (Re)build a history table from the change log and the table: for each
-- logged UPDATE or DELETE, the old row, valid from the (running latest)
-- moment of the change before it until its own; the current row from its
-- last change on (from -infinity when the log has none).  The same rows the
-- trigger writes one change at a time.
CREATE FUNCTION rebuild_history(rel regclass) RETURNS bigint
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	h tailings.history_table;
	tname text;
	n bigint;
BEGIN
	SELECT * INTO h FROM tailings.history_table t WHERE t.relid = rel;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'table % has no history table', rel
			USING ERRCODE = 'undefined_table', HINT = 'SELECT tailings.add_history(...) makes one.';
	END IF;
	SELECT format('%s.%s', n.nspname, c.relname) INTO tname
	  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel;
	EXECUTE format('DELETE FROM %s', h.history);
	EXECUTE format($q$
		INSERT INTO %1$s
		SELECT r.*, v.valid
		  FROM (SELECT c.old_row, tstzrange(coalesce(lag(c.m) OVER w, '-infinity'), c.m) AS valid, c.op
		          FROM (SELECT x.id, x.row_id, x.op, x.old_row,
		                       max(x.changed_at) OVER (PARTITION BY x.row_id ORDER BY x.id) AS m
		                  FROM tailings.change_log x
		                 WHERE x.table_name = %3$L AND x.row_id IS NOT NULL) c
		        WINDOW w AS (PARTITION BY c.row_id ORDER BY c.id)) v,
		       LATERAL jsonb_populate_record(NULL::%2$s, v.old_row) r
		 WHERE v.op <> 'I' AND NOT isempty(v.valid)
		UNION ALL
		SELECT r.*, tstzrange(coalesce(l.m, '-infinity'), NULL)
		  FROM %2$s r
		  LEFT JOIN (SELECT x.row_id, max(x.changed_at) AS m FROM tailings.change_log x
		              WHERE x.table_name = %3$L GROUP BY x.row_id) l ON l.row_id = r.%4$I$q$,
		h.history, rel, tname, h.id_column);
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION rebuild_history(regclass) IS
	'rebuilds the table''s history table from the change log and the table''s rows; returns how many versions';
REVOKE ALL ON FUNCTION rebuild_history(regclass) FROM PUBLIC;

-- A history table for a tracked table: <table>_history beside it, the same
-- columns and "valid", a btree on the row id (the trigger closes a row's
-- version by it), a GiST on the geometry and the period, one on the period
-- alone when there is no geometry, and a btree on the pond when there is one;
-- built from the log at once.  Owned by the log's owner, who alone writes it;
-- row-level security on, without policies: the table's owner grants.
CREATE FUNCTION add_history(rel regclass, id_column text DEFAULT 'id', pond_column text DEFAULT 'pond_id',
	geometry_column text DEFAULT NULL) RETURNS regclass
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	nsp name;
	relname name;
	hist regclass;
	geom text := geometry_column;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM tailings.tracked_table t WHERE t.relid = rel) THEN
		RAISE EXCEPTION 'table % is not tracked', rel
			USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'SELECT tailings.track_table(...) first.';
	END IF;
	SELECT n.nspname, c.relname INTO nsp, relname
	  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel;
	IF geom IS NULL THEN
		SELECT a.attname INTO geom FROM pg_attribute a
		 WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid IN (SELECT t.oid FROM pg_type t WHERE t.typname = 'geometry')
		 ORDER BY a.attnum LIMIT 1;
	END IF;
	EXECUTE format('CREATE TABLE %I.%I (LIKE %s, valid tstzrange NOT NULL)', nsp, relname || '_history', rel);
	hist := format('%I.%I', nsp, relname || '_history')::regclass;
	EXECUTE format('COMMENT ON TABLE %s IS %L', hist,
	               format('every version of the rows of %s with its period (valid), kept by tailings.track_changes', rel));
	EXECUTE format('CREATE INDEX %I ON %s (%I)', relname || '_history_id_idx', hist, id_column);
	IF geom IS NOT NULL AND geom <> '' THEN
		EXECUTE format('CREATE INDEX %I ON %s USING gist (%I tailings.geometry_overlaps_ops, valid tailings.valid_period_ops)',
		               relname || '_history_geom_valid_idx', hist, geom);
	ELSE
		EXECUTE format('CREATE INDEX %I ON %s USING gist (valid tailings.valid_period_ops)',
		               relname || '_history_valid_idx', hist);
	END IF;
	IF pond_column IS NOT NULL AND pond_column <> '' AND pond_column <> id_column THEN
		EXECUTE format('CREATE INDEX %I ON %s (%I)', relname || '_history_pond_idx', hist, pond_column);
	END IF;
	EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', hist);
	EXECUTE format('REVOKE ALL ON TABLE %s FROM PUBLIC', hist);
	EXECUTE format('ALTER TABLE %s OWNER TO %I', hist,
	               (SELECT c.relowner::regrole::text FROM pg_class c WHERE c.oid = 'tailings.change_log'::regclass));
	INSERT INTO tailings.history_table (relid, history, id_column) VALUES (rel, hist, id_column);
	PERFORM tailings.rebuild_history(rel);
	RETURN hist;
END
$$;
COMMENT ON FUNCTION add_history(regclass, text, text, text) IS
	'gives a tracked table a history table (<table>_history) that track_changes keeps, for time travel through an index '
	'(superusers, or roles granted EXECUTE by one); returns it';
REVOKE ALL ON FUNCTION add_history(regclass, text, text, text) FROM PUBLIC;

SELECT add_history('element');
-- (the element's: a pond's elements of a kind, as element_pond_kind_idx finds them now)
DROP INDEX element_history_pond_idx;
CREATE INDEX element_history_pond_kind_idx ON element_history (pond_id, kind);
SELECT add_history('pond', 'id', 'id', 'location');
SELECT add_history('sample');
UPDATE history_table SET builtin = true;
-- (the registrations are the extension's, and so are the tables; their rows are data)
SELECT pg_catalog.pg_extension_config_dump('element_history', '');
SELECT pg_catalog.pg_extension_config_dump('pond_history', '');
SELECT pg_catalog.pg_extension_config_dump('sample_history', '');

-- who reads them: who reads the tables, through the same policies (a
-- version is seen when its pond is seen, as the table's rows); nobody but the
-- log's owner writes them
GRANT SELECT ON TABLE element_history, pond_history, sample_history
	TO tailings_reader, tailings_enterprise, tailings_county, tailings_city, tailings_province;
CREATE POLICY pond_history_reader ON pond_history FOR SELECT TO tailings_reader USING (true);
CREATE POLICY pond_history_member ON pond_history FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_in_scope(enterprise_code, county_code));
CREATE POLICY element_history_reader ON element_history FOR SELECT TO tailings_reader USING (true);
CREATE POLICY element_history_member ON element_history FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id));
CREATE POLICY sample_history_reader ON sample_history FOR SELECT TO tailings_reader USING (true);
CREATE POLICY sample_history_member ON sample_history FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id));

-- The rows as they were at "at": the versions valid then (at null: now).
CREATE OR REPLACE FUNCTION _elements_as_of(at timestamptz) RETURNS SETOF element
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT h.id, h.pond_id, h.kind, h.geom, h.name, h.source, h.accuracy_m, h.surveyed_on, h.verified_on, h.attrs
	  FROM element_history h
	 WHERE h.valid @># coalesce(_elements_as_of.at, 'infinity');
END;

CREATE OR REPLACE FUNCTION _ponds_as_of(at timestamptz) RETURNS SETOF pond
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT h.id, h.code, h.name, h.enterprise, h.county_code, h.supervision_level, h.status, h.location,
	       h.gw_flow_azimuth, h.attrs, h.enterprise_code
	  FROM pond_history h
	 WHERE h.valid @># coalesce(_ponds_as_of.at, 'infinity');
END;

CREATE OR REPLACE FUNCTION _samples_as_of(at timestamptz) RETURNS SETOF sample
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT h.id, h.element_id, h.sampled_on, h.parameter, h.value, h.unit, h.pond_id, h.location
	  FROM sample_history h
	 WHERE h.valid @># coalesce(_samples_as_of.at, 'infinity');
END;
COMMENT ON FUNCTION elements_at(bigint, timestamptz) IS
	'the pond''s elements as they were at that moment (from tailings.element_history)';
