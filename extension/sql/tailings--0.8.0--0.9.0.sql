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

---------------------------------------------------------------------------
-- Completeness summaries kept current (issue 15)
---------------------------------------------------------------------------
-- pond_summary keeps each pond's summary (score, rules, failed errors and
-- warnings: what _pond_summary gives) with the days it holds for.  A pond's
-- completeness reads its row, its elements, its file (ledger, document,
-- hazard), the template (requirement) and the day; statement-level triggers
-- on those tables note the ponds a statement touched in
-- summary_pending (the template: every pond), which takes no lock that
-- another transaction waits for, and the deferred constraint trigger
-- pond_summary_refresh recomputes each noted pond once, at commit: it locks
-- their summary rows in pond order, then checks them in a snapshot taken
-- after the locks (completeness.c).  A transaction's own pending rows are
-- seen by it alone: until its commit, _pond_summary and pond_overview compute
-- its ponds instead of reading them, and on a day outside valid_from ..
-- valid_until any pond: what they give is always what check_completeness
-- says at that moment.  Readers see the summaries of the ponds they see;
-- nobody but the owner writes either table (the triggers write as the
-- owner); neither is dumped (a restore fills them again, its data's triggers
-- noting every pond).
CREATE TABLE pond_summary (
	pond_id bigint PRIMARY KEY REFERENCES pond (id) ON DELETE CASCADE ON UPDATE CASCADE,
	score real NOT NULL,
	rules integer NOT NULL,
	errors_failed integer NOT NULL,
	warnings_failed integer NOT NULL,
	valid_from date NOT NULL,
	valid_until date NOT NULL
);
COMMENT ON TABLE pond_summary IS
	'each pond''s completeness summary, kept current by triggers (pond_overview, tile() and the tile server read it)';
COMMENT ON COLUMN pond_summary.valid_from IS 'the first day the summary holds (the file rules depend on the day)';
COMMENT ON COLUMN pond_summary.valid_until IS 'the day the summary stops holding: on it and after, it is computed afresh';

-- the ponds a transaction changed, until its commit recomputes them (no key: no waiting)
CREATE TABLE summary_pending (
	pond_id bigint NOT NULL
);
CREATE INDEX summary_pending_pond_idx ON summary_pending (pond_id);
COMMENT ON TABLE summary_pending IS
	'the ponds changed by the current transaction, whose summaries its commit recomputes; empty outside one';

CREATE FUNCTION _pond_summary_computed(pond_id bigint,
	OUT score real, OUT rules integer, OUT errors_failed integer, OUT warnings_failed integer,
	OUT valid_from date, OUT valid_until date)
	AS 'MODULE_PATHNAME', 'tl_pond_summary_computed' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _pond_summary_computed(bigint) IS
	'the pond''s summary computed now as the caller, whatever is kept, with the days it holds for';

CREATE FUNCTION _pond_summary_invalidate() RETURNS trigger
	AS 'MODULE_PATHNAME', 'tl_pond_summary_invalidate' LANGUAGE C;
CREATE FUNCTION _pond_summary_refresh() RETURNS trigger
	AS 'MODULE_PATHNAME', 'tl_pond_summary_refresh' LANGUAGE C;
REVOKE ALL ON FUNCTION _pond_summary_invalidate(), _pond_summary_refresh() FROM PUBLIC;

CREATE CONSTRAINT TRIGGER pond_summary_refresh AFTER INSERT ON summary_pending
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION _pond_summary_refresh();

CREATE TRIGGER pond_summary_insert AFTER INSERT ON pond
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('id');
CREATE TRIGGER pond_summary_update AFTER UPDATE ON pond
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('id');
CREATE TRIGGER element_summary_insert AFTER INSERT ON element
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
CREATE TRIGGER element_summary_update AFTER UPDATE ON element
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
CREATE TRIGGER element_summary_delete AFTER DELETE ON element
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
CREATE TRIGGER ledger_summary_insert AFTER INSERT ON ledger
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
CREATE TRIGGER ledger_summary_update AFTER UPDATE ON ledger
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
CREATE TRIGGER ledger_summary_delete AFTER DELETE ON ledger
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
CREATE TRIGGER document_summary_insert AFTER INSERT ON document
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
CREATE TRIGGER document_summary_update AFTER UPDATE ON document
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
CREATE TRIGGER document_summary_delete AFTER DELETE ON document
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
CREATE TRIGGER hazard_summary_insert AFTER INSERT ON hazard
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
CREATE TRIGGER hazard_summary_update AFTER UPDATE ON hazard
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
CREATE TRIGGER hazard_summary_delete AFTER DELETE ON hazard
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
-- the template: every pond
CREATE TRIGGER requirement_summary AFTER INSERT OR UPDATE OR DELETE ON requirement
	FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate();

-- read as pond's other tables are; written by nobody but the owner
REVOKE ALL ON TABLE pond_summary, summary_pending FROM PUBLIC;
GRANT SELECT ON TABLE pond_summary, summary_pending
	TO tailings_reader, tailings_enterprise, tailings_county, tailings_city, tailings_province;
ALTER TABLE pond_summary ENABLE ROW LEVEL SECURITY;
CREATE POLICY pond_summary_reader ON pond_summary FOR SELECT TO tailings_reader USING (true);
CREATE POLICY pond_summary_member ON pond_summary FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id));
ALTER TABLE summary_pending ENABLE ROW LEVEL SECURITY;
CREATE POLICY summary_pending_reader ON summary_pending FOR SELECT TO tailings_reader USING (true);
CREATE POLICY summary_pending_member ON summary_pending FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id));

-- every pond whose summary is missing or does not hold today (every_pond: every pond), noted for
-- its commit to compute again (as the owner); for a DBA daily, so that the summaries whose days
-- ran out are kept again, and with every_pond after rows were loaded or changed with triggers
-- disabled (granted to nobody: the owner and superusers)
CREATE FUNCTION refresh_pond_summaries(every_pond boolean DEFAULT false) RETURNS bigint
	LANGUAGE sql SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	WITH noted AS (
		INSERT INTO tailings.summary_pending (pond_id)
		SELECT p.id FROM tailings.pond p
		 WHERE refresh_pond_summaries.every_pond
		    OR NOT EXISTS (SELECT 1 FROM tailings.pond_summary k
		                    WHERE k.pond_id = p.id AND current_date >= k.valid_from AND current_date < k.valid_until)
		 ORDER BY p.id
		RETURNING 1)
	SELECT count(*) FROM noted;
END;
COMMENT ON FUNCTION refresh_pond_summaries(boolean) IS
	'notes every pond whose summary is missing or does not hold today (every_pond: every pond), for recomputing at commit; returns how many';
REVOKE ALL ON FUNCTION refresh_pond_summaries(boolean) FROM PUBLIC;

-- pond_overview reads the kept summaries (those holding today); a pond whose summary is
-- missing, not holding today or pending in this transaction is computed as the caller
CREATE OR REPLACE VIEW pond_overview WITH (security_invoker) AS
SELECT p.id, p.code, p.name, p.enterprise, p.county_code, p.supervision_level, p.status,
       s.score, s.rules, s.errors_failed, s.warnings_failed,
       (SELECT count(*) FROM element e WHERE e.pond_id = p.id) AS elements
  FROM pond p
  LEFT JOIN pond_summary k
         ON k.pond_id = p.id AND current_date >= k.valid_from AND current_date < k.valid_until
        AND NOT EXISTS (SELECT 1 FROM summary_pending q WHERE q.pond_id = p.id)
  CROSS JOIN LATERAL (
       SELECT k.score, k.rules, k.errors_failed, k.warnings_failed WHERE k.pond_id IS NOT NULL
       UNION ALL
       SELECT c.score, c.rules, c.errors_failed, c.warnings_failed FROM _pond_summary(p.id) c WHERE k.pond_id IS NULL) s;

-- the summaries of the ponds there are, computed at the end of the update
INSERT INTO summary_pending (pond_id) SELECT id FROM pond ORDER BY id;
