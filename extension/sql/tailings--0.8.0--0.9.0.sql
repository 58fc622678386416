-- tailings 0.8.0 -> 0.9.0: fast at national scale (issue 15): time travel
-- through an index, cheaper tracking, completeness summaries kept current.
\echo Use "ALTER EXTENSION tailings UPDATE TO '0.9.0'" to load this file. \quit

---------------------------------------------------------------------------
-- Completeness summaries kept current (issue 15)
--
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
---------------------------------------------------------------------------
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
