-- tailings 0.7.0 -> 0.8.0: the pond's file and the closed loop (design §8),
-- first part: the annual ledger and the papers, hazards and their checks,
-- and the file rules of the completeness check (completeness.c) with what
-- they read.
\echo Use "ALTER EXTENSION tailings UPDATE TO '0.8.0'" to load this file. \quit

---------------------------------------------------------------------------
-- The pond's file (一库一档): the annual ledger and the papers (design §8)
--
-- An enterprise reports its pond's ledger (年度尾矿台账) once a year, by 31
-- January for the year before (办法 Art. 7); the bureaus read it.  The
-- amounts are never negative (23514, naming the column).  Whether each
-- year's stock agrees with the year before (stock + stored - reused) is a
-- warning, never a refusal: ledger_balance shows it, and the completeness
-- check reports it (rule ledger_balance), as it reports a late or missing
-- ledger (ledger_reported).
--
-- The papers (construction-project and environmental-management documents)
-- are filed by the enterprise or a bureau; the completeness check wants an
-- emergency plan reviewed within three years for a pond in use or
-- suspended (emergency_plan), and a discharge permit in force for a pond
-- with a discharge outlet on its map (discharge_permit).
---------------------------------------------------------------------------
CREATE TABLE ledger (
	pond_id bigint NOT NULL REFERENCES pond (id),
	year smallint NOT NULL CONSTRAINT ledger_year_range CHECK (year >= 1950),
	produced_t numeric CONSTRAINT ledger_produced_t_nonnegative CHECK (produced_t >= 0 AND produced_t < 'Infinity'),
	stored_t numeric CONSTRAINT ledger_stored_t_nonnegative CHECK (stored_t >= 0 AND stored_t < 'Infinity'),
	reused_t numeric CONSTRAINT ledger_reused_t_nonnegative CHECK (reused_t >= 0 AND reused_t < 'Infinity'),
	stock_t numeric CONSTRAINT ledger_stock_t_nonnegative CHECK (stock_t >= 0 AND stock_t < 'Infinity'),
	return_water_m3 numeric
		CONSTRAINT ledger_return_water_m3_nonnegative CHECK (return_water_m3 >= 0 AND return_water_m3 < 'Infinity'),
	discharged_m3 numeric
		CONSTRAINT ledger_discharged_m3_nonnegative CHECK (discharged_m3 >= 0 AND discharged_m3 < 'Infinity'),
	leachate_m3 numeric CONSTRAINT ledger_leachate_m3_nonnegative CHECK (leachate_m3 >= 0 AND leachate_m3 < 'Infinity'),
	leachate_treated_m3 numeric
		CONSTRAINT ledger_leachate_treated_m3_nonnegative CHECK (leachate_treated_m3 >= 0 AND leachate_treated_m3 < 'Infinity'),
	reported_on date NOT NULL DEFAULT current_date,
	PRIMARY KEY (pond_id, year)
);
COMMENT ON TABLE ledger IS
	'the annual tailings ledger (年度尾矿台账) of each pond, reported by its enterprise by 31 January for the year before '
	'(MEE Order No. 26, Measures on Tailings Pollution, Art. 7); kept permanently';
COMMENT ON COLUMN ledger.year IS 'the year the ledger is for';
COMMENT ON COLUMN ledger.produced_t IS 'tailings produced in the year, tonnes';
COMMENT ON COLUMN ledger.stored_t IS 'tailings put into the pond in the year, tonnes';
COMMENT ON COLUMN ledger.reused_t IS 'tailings reused (综合利用) in the year, tonnes';
COMMENT ON COLUMN ledger.stock_t IS
	'tailings in the pond at the end of the year, tonnes: about the year before''s stock + stored - reused (view ledger_balance)';
COMMENT ON COLUMN ledger.return_water_m3 IS 'tailings water returned to the concentrator, m³';
COMMENT ON COLUMN ledger.discharged_m3 IS 'water discharged, m³';
COMMENT ON COLUMN ledger.leachate_m3 IS 'leachate produced, m³';
COMMENT ON COLUMN ledger.leachate_treated_m3 IS 'leachate treated, m³';
COMMENT ON COLUMN ledger.reported_on IS
	'the day the ledger was reported: stamped on insert for members, who cannot change it (due by 31 January of the next year)';

-- The ledger's values beyond their types: every amount a number not below
-- zero (23514 naming the column, before the constraint of the same name says
-- it less clearly); the year not in the future; reported on a day between the
-- start of the year and tomorrow (a day's grace for time zones).
CREATE FUNCTION _ledger_validate() RETURNS trigger
	LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
DECLARE
	r jsonb;
	col text;
	v numeric;
BEGIN
	IF _restoring() THEN
		RETURN NEW;
	END IF;
	r := to_jsonb(NEW);
	FOREACH col IN ARRAY ARRAY['produced_t', 'stored_t', 'reused_t', 'stock_t', 'return_water_m3', 'discharged_m3',
	                           'leachate_m3', 'leachate_treated_m3'] LOOP
		CONTINUE WHEN r ->> col IS NULL;
		v := (r ->> col)::numeric;
		IF v < 0 OR v IN ('NaN', 'Infinity') THEN
			RAISE EXCEPTION '% of the % ledger of pond % must be a number not below zero, not %', col, NEW.year, NEW.pond_id, v
				USING ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = col,
				      CONSTRAINT = 'ledger_' || col || '_nonnegative',
				      HINT = CASE WHEN col LIKE '%\_t' THEN 'Tonnes; 0 when there were none.' ELSE 'Cubic metres; 0 when there were none.' END;
		END IF;
	END LOOP;
	IF NEW.year > extract(year FROM current_date) THEN
		RAISE EXCEPTION 'the ledger of pond % is for %, a year not yet begun', NEW.pond_id, NEW.year
			USING ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = 'year',
			      HINT = 'A year''s ledger is reported after the year, by 31 January.';
	END IF;
	IF NEW.reported_on > current_date + 1 OR NEW.reported_on < make_date(NEW.year, 1, 1) THEN
		RAISE EXCEPTION 'the % ledger of pond % cannot be reported on %', NEW.year, NEW.pond_id, to_char(NEW.reported_on, 'YYYY-MM-DD')
			USING ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = 'reported_on',
			      DETAIL = CASE WHEN NEW.reported_on > current_date + 1 THEN 'The day is in the future.'
			                    ELSE format('The day is before %s began.', NEW.year) END;
	END IF;
	RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION _ledger_validate() FROM PUBLIC;
CREATE TRIGGER ledger_validate BEFORE INSERT OR UPDATE ON ledger
	FOR EACH ROW EXECUTE FUNCTION _ledger_validate();

-- Stock against the year before.  A missing stored or reused amount counts as
-- none; a year without the year before, or a stock not given, is not compared.
CREATE VIEW ledger_balance WITH (security_invoker) AS
SELECT l.pond_id, l.year, p.stock_t AS previous_stock_t, l.stored_t, l.reused_t,
       b.expected_stock_t, l.stock_t, l.stock_t - b.expected_stock_t AS difference_t, b.tolerance_t,
       abs(l.stock_t - b.expected_stock_t) <= b.tolerance_t AS consistent
  FROM ledger l
  JOIN ledger p ON p.pond_id = l.pond_id AND p.year = l.year - 1,
       LATERAL (SELECT p.stock_t + coalesce(l.stored_t, 0) - coalesce(l.reused_t, 0) AS expected_stock_t) e,
       LATERAL (SELECT e.expected_stock_t, greatest(100, round(0.01 * abs(e.expected_stock_t), 2)) AS tolerance_t) b
 WHERE l.stock_t IS NOT NULL AND p.stock_t IS NOT NULL;
COMMENT ON VIEW ledger_balance IS
	'each year''s stock against the year before''s stock + stored - reused (missing amounts as 0); consistent within '
	'the tolerance: 1% of the expected stock, at least 100 t.  A warning (completeness rule ledger_balance), never a refusal';

CREATE TABLE document (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	pond_id bigint NOT NULL REFERENCES pond (id),
	kind text NOT NULL CHECK (kind IN ('eia_approval', 'env_acceptance', 'discharge_permit', 'emergency_plan',
	                                   'monitoring_plan', 'closure_design', 'closure_acceptance')),
	number text CHECK (btrim(number) <> ''),
	issued_on date,
	valid_until date,
	issuer text CHECK (btrim(issuer) <> ''),
	attrs jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attrs) = 'object'),
	CONSTRAINT document_valid_after_issue CHECK (valid_until >= issued_on)
);
CREATE INDEX document_pond_kind_idx ON document (pond_id, kind);
COMMENT ON TABLE document IS
	'the pond''s construction-project and environmental-management papers: EIA approval (环评批复), environmental '
	'acceptance (环保验收), discharge permit (排污许可证), emergency plan (突发环境事件应急预案), self-monitoring plan '
	'(自行监测方案), closure design and acceptance (闭库设计, 闭库验收)';
COMMENT ON COLUMN document.number IS 'the paper''s number (文号, 许可证编号, 备案编号)';
COMMENT ON COLUMN document.issued_on IS 'the day it was issued, approved or filed; a revised paper is a new row';
COMMENT ON COLUMN document.valid_until IS 'the last day it is valid; null when it does not expire';
COMMENT ON COLUMN document.issuer IS 'who issued, approved or filed it';
COMMENT ON COLUMN document.attrs IS
	'the rest: reviewed_on (an emergency plan''s latest review, YYYY-MM-DD), last_drill_on, a link to the scan, ...';

-- A paper's dates: issued not in the future (a day's grace); an emergency
-- plan's reviewed_on a date, not before its issue nor in the future.
CREATE FUNCTION _document_validate() RETURNS trigger
	LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
DECLARE
	reviewed date;
BEGIN
	IF _restoring() THEN
		RETURN NEW;
	END IF;
	IF NEW.issued_on > current_date + 1 THEN
		RAISE EXCEPTION 'the % of pond % is issued on %, in the future', NEW.kind, NEW.pond_id, to_char(NEW.issued_on, 'YYYY-MM-DD')
			USING ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = 'issued_on';
	END IF;
	IF NEW.attrs ? 'reviewed_on' AND jsonb_typeof(NEW.attrs -> 'reviewed_on') <> 'null' THEN
		reviewed := _drawing_date(NEW.attrs -> 'reviewed_on');
		IF reviewed IS NULL OR reviewed > current_date + 1 OR reviewed < NEW.issued_on THEN
			RAISE EXCEPTION 'attrs.reviewed_on of the % of pond % must be a day between its issue and today, not %',
				NEW.kind, NEW.pond_id, NEW.attrs -> 'reviewed_on'
				USING ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = 'attrs',
				      HINT = 'Write it as YYYY-MM-DD.';
		END IF;
	END IF;
	RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION _document_validate() FROM PUBLIC;
CREATE TRIGGER document_validate BEFORE INSERT OR UPDATE ON document
	FOR EACH ROW EXECUTE FUNCTION _document_validate();

-- every change in the change log (a ledger's row_id is its year)
CREATE TRIGGER ledger_track_changes AFTER INSERT OR UPDATE OR DELETE ON ledger
	FOR EACH ROW EXECUTE FUNCTION track_changes('year', 'pond_id');
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger
	FOR EACH STATEMENT EXECUTE FUNCTION _tracked_truncate_guard();
CREATE TRIGGER document_track_changes AFTER INSERT OR UPDATE OR DELETE ON document
	FOR EACH ROW EXECUTE FUNCTION track_changes();
CREATE TRIGGER document_no_truncate BEFORE TRUNCATE ON document
	FOR EACH STATEMENT EXECUTE FUNCTION _tracked_truncate_guard();
INSERT INTO tracked_table (relid, builtin) VALUES ('ledger'::regclass, true), ('document'::regclass, true);

-- Who does what: an enterprise reports its ledger (not the day it reported:
-- reported_on is stamped); the enterprise and the bureaus file papers, the
-- bureaus remove a paper filed by mistake; nobody removes a ledger.
REVOKE ALL ON TABLE ledger, document, ledger_balance FROM PUBLIC;
GRANT SELECT ON TABLE ledger, document, ledger_balance
	TO tailings_reader, tailings_enterprise, tailings_county, tailings_city, tailings_province;
GRANT INSERT (pond_id, year, produced_t, stored_t, reused_t, stock_t, return_water_m3, discharged_m3, leachate_m3,
	          leachate_treated_m3),
	UPDATE (produced_t, stored_t, reused_t, stock_t, return_water_m3, discharged_m3, leachate_m3, leachate_treated_m3)
	ON TABLE ledger TO tailings_enterprise;
GRANT INSERT (pond_id, kind, number, issued_on, valid_until, issuer, attrs),
	UPDATE (kind, number, issued_on, valid_until, issuer, attrs)
	ON TABLE document TO tailings_enterprise, tailings_county, tailings_city, tailings_province;
GRANT DELETE ON TABLE document TO tailings_county, tailings_city, tailings_province;

ALTER TABLE ledger ENABLE ROW LEVEL SECURITY;
CREATE POLICY ledger_reader ON ledger FOR SELECT TO tailings_reader USING (true);
CREATE POLICY ledger_member ON ledger FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id));
CREATE POLICY ledger_enterprise_insert ON ledger FOR INSERT TO tailings_enterprise
	WITH CHECK (_member_level() = 'enterprise' AND _pond_visible(pond_id));
CREATE POLICY ledger_enterprise_update ON ledger FOR UPDATE TO tailings_enterprise
	USING (_member_level() = 'enterprise' AND _pond_visible(pond_id))
	WITH CHECK (_member_level() = 'enterprise' AND _pond_visible(pond_id));

ALTER TABLE document ENABLE ROW LEVEL SECURITY;
CREATE POLICY document_reader ON document FOR SELECT TO tailings_reader USING (true);
CREATE POLICY document_member ON document FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id));
CREATE POLICY document_member_insert ON document FOR INSERT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	WITH CHECK (_member_level() IS NOT NULL AND _pond_visible(pond_id));
CREATE POLICY document_member_update ON document FOR UPDATE
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_member_level() IS NOT NULL AND _pond_visible(pond_id))
	WITH CHECK (_member_level() IS NOT NULL AND _pond_visible(pond_id));
CREATE POLICY document_bureau_delete ON document FOR DELETE TO tailings_county, tailings_city, tailings_province
	USING (_member_level() IN ('county', 'city', 'province') AND _pond_visible(pond_id));

SELECT pg_catalog.pg_extension_config_dump('ledger', '');
SELECT pg_catalog.pg_extension_config_dump('document', '');
SELECT pg_catalog.pg_extension_config_dump('document_id_seq', '');

---------------------------------------------------------------------------
-- Hazards and their checks: the closed loop (排查 -> 治理 -> 成效核查) (design §8)
--
-- A hazard (隐患) is found by an enterprise's self-check or by a county,
-- city, province or the ministry, often in a campaign ('2025年汛前隐患排查');
-- it may point at an element of the map, at a position on it, or at both.
-- Its enterprise rectifies it; a check (核查) by a county or a higher level
-- closes it when it passes, and sends it back to rectifying when it fails.
--
--   open -> rectifying -> rectified -> closed
--                            `-> rectifying (a failed check)
--
-- The state machine is the C trigger _hazard_guard (hazard.c), whatever
-- writes the row: each other move is refused (23514) with the allowed moves
-- in DETAIL; rectified needs rectification and rectified_on; closed needs a
-- passed check by a county or higher level dated on or after rectified_on.
-- A check is inserted only (nobody changes or deletes one); inserting one
-- moves a rectified hazard on (_hazard_check_apply).  Members act at their own
-- level: an enterprise records what its self-checks find (found_level
-- enterprise) and moves its hazards to rectifying and rectified; a county,
-- city or province records hazards and checks at its level (a province also
-- the ministry's).  A closed hazard is final.  Everything runs as the
-- caller, under row-level security by pond.
--
-- hazard_check.pond_id, beyond design §8, is the hazard's pond, copied by the
-- trigger: row-level security and the change log read it.
---------------------------------------------------------------------------
CREATE TABLE hazard (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	pond_id bigint NOT NULL REFERENCES pond (id),
	element_id bigint REFERENCES element (id) ON DELETE SET NULL,
	location geometry(Point, 4490),
	found_on date NOT NULL DEFAULT current_date,
	found_by text NOT NULL CHECK (btrim(found_by) <> ''),
	found_level text NOT NULL CHECK (found_level IN ('enterprise', 'county', 'city', 'province', 'ministry')),
	campaign text CHECK (btrim(campaign) <> ''),
	category element_category,
	severity text NOT NULL DEFAULT 'general' CHECK (severity IN ('general', 'major')),
	description text NOT NULL CHECK (btrim(description) <> ''),
	deadline date,
	status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'rectifying', 'rectified', 'closed')),
	rectification text CHECK (btrim(rectification) <> ''),
	rectified_on date,
	CONSTRAINT hazard_deadline_after_found CHECK (deadline >= found_on),
	CONSTRAINT hazard_rectified_after_found CHECK (rectified_on >= found_on),
	CONSTRAINT hazard_rectified_state CHECK (
		(status IN ('rectified', 'closed')) = (rectified_on IS NOT NULL)
		AND (status NOT IN ('rectified', 'closed') OR rectification IS NOT NULL)),
	CONSTRAINT hazard_location_in_range CHECK (
		NOT ST_IsEmpty(location) AND ST_X(location) BETWEEN -180 AND 180 AND ST_Y(location) BETWEEN -90 AND 90)
);
CREATE INDEX hazard_pond_status_idx ON hazard (pond_id, status);
CREATE INDEX hazard_element_idx ON hazard (element_id);
CREATE INDEX hazard_campaign_idx ON hazard (campaign);
CREATE INDEX hazard_open_deadline_idx ON hazard (deadline) WHERE status <> 'closed';
CREATE INDEX hazard_location_overlaps_idx ON hazard USING gist (location geometry_overlaps_ops);
COMMENT ON TABLE hazard IS
	'hazards (隐患) found at the ponds and their rectification: open -> rectifying -> rectified -> closed by a passed '
	'check (hazard_check) of a county or higher level; a failed check returns a rectified hazard to rectifying';
COMMENT ON COLUMN hazard.element_id IS 'the element of the map the hazard is at, if any (null again when the element is removed)';
COMMENT ON COLUMN hazard.location IS
	'where on the map (CGCS2000), within 5 km of the pond; the element''s point when only an element is given';
COMMENT ON COLUMN hazard.found_by IS 'who found it (the member''s display_name unless given)';
COMMENT ON COLUMN hazard.found_level IS
	'enterprise (self-check), county, city, province or ministry: a member''s own level (a province may record the ministry''s)';
COMMENT ON COLUMN hazard.campaign IS 'the campaign it was found in, by name, e.g. 2025年汛前隐患排查; null for a routine finding';
COMMENT ON COLUMN hazard.category IS 'the category of elements it concerns (the element''s unless given)';
COMMENT ON COLUMN hazard.severity IS 'general (一般) or major (重大): an open major hazard fails its pond''s completeness';
COMMENT ON COLUMN hazard.deadline IS 'the day it must be rectified by (整改期限); past it and not closed: hazard_overdue';
COMMENT ON COLUMN hazard.status IS
	'open -> rectifying -> rectified (the enterprise) -> closed (a passed check); a failed check: rectified -> rectifying';
COMMENT ON COLUMN hazard.rectification IS 'what is done or planned about it (整改措施); required from rectified on';
COMMENT ON COLUMN hazard.rectified_on IS 'the day the rectification was finished; set with rectified, cleared by a failed check';

CREATE TABLE hazard_check (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	hazard_id bigint NOT NULL REFERENCES hazard (id),
	checked_on date NOT NULL DEFAULT current_date,
	level text NOT NULL CHECK (level IN ('county', 'city', 'province', 'ministry')),
	checked_by text NOT NULL CHECK (btrim(checked_by) <> ''),
	passed boolean NOT NULL,
	note text CHECK (btrim(note) <> ''),
	pond_id bigint NOT NULL REFERENCES pond (id),
	CONSTRAINT hazard_check_failure_noted CHECK (passed OR note IS NOT NULL)
);
CREATE INDEX hazard_check_hazard_idx ON hazard_check (hazard_id, checked_on);
COMMENT ON TABLE hazard_check IS
	'checks of a hazard''s rectification (成效核查) by a county, city, province or the ministry: a passed check of a '
	'rectified hazard closes it, a failed one returns it to rectifying; never changed nor deleted';
COMMENT ON COLUMN hazard_check.level IS 'county, city, province or ministry: the member''s own level (a province may record the ministry''s)';
COMMENT ON COLUMN hazard_check.checked_by IS 'who checked (the member''s display_name unless given)';
COMMENT ON COLUMN hazard_check.note IS 'what was found; required when the check fails';
COMMENT ON COLUMN hazard_check.pond_id IS 'the hazard''s pond (copied by the trigger; for row-level security and the change log)';

-- The rules (hazard.c); the SQL they read through, as the caller (each a
-- set-returning SQL function, which the planner inlines into the C code's
-- kept plans: planned once a session, not once a row)
CREATE FUNCTION _hazard_guard() RETURNS trigger
	AS 'MODULE_PATHNAME', 'tl_hazard_guard' LANGUAGE C;
CREATE FUNCTION _hazard_check_guard() RETURNS trigger
	AS 'MODULE_PATHNAME', 'tl_hazard_check_guard' LANGUAGE C;
CREATE FUNCTION _hazard_check_apply() RETURNS trigger
	AS 'MODULE_PATHNAME', 'tl_hazard_check_apply' LANGUAGE C;
REVOKE ALL ON FUNCTION _hazard_guard(), _hazard_check_guard(), _hazard_check_apply() FROM PUBLIC;

-- the current role's member row: level and display name (none: no row)
CREATE FUNCTION _member_self() RETURNS TABLE (level text, display_name text)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT m.level, m.display_name FROM member m WHERE m.role_name = CURRENT_USER;
END;

-- an element as a hazard sees it: its pond, a point on it, its category
CREATE FUNCTION _hazard_element(element_id bigint)
	RETURNS TABLE (pond_id bigint, point geometry, category element_category)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT e.pond_id, ST_PointOnSurface(e.geom), category(e.kind) FROM element e WHERE e.id = _hazard_element.element_id;
END;

-- a hazard's position: empty, its coordinates, and (for coordinates in
-- range) its distance from the pond's registry point in metres; no row when
-- the pond is not seen
CREATE FUNCTION _hazard_place(pond_id bigint, location geometry)
	RETURNS TABLE (empty boolean, lon double precision, lat double precision, dist_m double precision)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT x.empty, x.lon, x.lat,
	       CASE WHEN NOT x.empty AND x.lon BETWEEN -180 AND 180 AND x.lat BETWEEN -90 AND 90
	            THEN ST_Distance(_hazard_place.location::geography, p.location::geography, false) END
	  FROM pond p,
	       LATERAL (SELECT ST_IsEmpty(_hazard_place.location) AS empty,
	                       CASE WHEN NOT ST_IsEmpty(_hazard_place.location) THEN ST_X(_hazard_place.location) END AS lon,
	                       CASE WHEN NOT ST_IsEmpty(_hazard_place.location) THEN ST_Y(_hazard_place.location) END AS lat) x
	 WHERE p.id = _hazard_place.pond_id;
END;

-- the checks of a hazard that decide its moves: a passed one by a county or
-- higher level and a failed one dated on or after "since", and the day of
-- its latest check
CREATE FUNCTION _hazard_checks(hazard_id bigint, since date)
	RETURNS TABLE (passed boolean, failed boolean, last_checked_on date)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT coalesce(bool_or(c.passed AND c.checked_on >= _hazard_checks.since
	                        AND c.level IN ('county', 'city', 'province', 'ministry')), false),
	       coalesce(bool_or(NOT c.passed AND c.checked_on >= _hazard_checks.since), false),
	       max(c.checked_on)
	  FROM hazard_check c WHERE c.hazard_id = _hazard_checks.hazard_id;
END;

CREATE TRIGGER hazard_guard BEFORE INSERT OR UPDATE ON hazard
	FOR EACH ROW EXECUTE FUNCTION _hazard_guard();
CREATE TRIGGER hazard_check_guard BEFORE INSERT OR UPDATE OR DELETE ON hazard_check
	FOR EACH ROW EXECUTE FUNCTION _hazard_check_guard();
CREATE TRIGGER hazard_check_verdict AFTER INSERT ON hazard_check
	FOR EACH ROW EXECUTE FUNCTION _hazard_check_apply();

CREATE TRIGGER hazard_track_changes AFTER INSERT OR UPDATE OR DELETE ON hazard
	FOR EACH ROW EXECUTE FUNCTION track_changes();
CREATE TRIGGER hazard_no_truncate BEFORE TRUNCATE ON hazard
	FOR EACH STATEMENT EXECUTE FUNCTION _tracked_truncate_guard();
CREATE TRIGGER hazard_check_track_changes AFTER INSERT OR UPDATE OR DELETE ON hazard_check
	FOR EACH ROW EXECUTE FUNCTION track_changes();
CREATE TRIGGER hazard_check_no_truncate BEFORE TRUNCATE ON hazard_check
	FOR EACH STATEMENT EXECUTE FUNCTION _tracked_truncate_guard();
INSERT INTO tracked_table (relid, builtin) VALUES ('hazard'::regclass, true), ('hazard_check'::regclass, true);

CREATE VIEW hazard_overdue WITH (security_invoker) AS
SELECT h.*, current_date - h.deadline AS days_overdue,
       p.code AS pond_code, p.name AS pond_name, p.enterprise, p.county_code
  FROM hazard h JOIN pond p ON p.id = h.pond_id
 WHERE h.status <> 'closed' AND h.deadline < current_date;
COMMENT ON VIEW hazard_overdue IS
	'hazards not closed and past their deadline, with how many days and their pond (code, name, enterprise, county)';

-- Who does what (the trigger holds members to it too, by their level): an
-- enterprise records its self-checks' hazards and rectifies; the bureaus
-- record hazards, edit what they say and when they are due, and record
-- checks; nobody deletes a hazard or changes or deletes a check.
REVOKE ALL ON TABLE hazard, hazard_check, hazard_overdue FROM PUBLIC;
GRANT SELECT ON TABLE hazard, hazard_check, hazard_overdue
	TO tailings_reader, tailings_enterprise, tailings_county, tailings_city, tailings_province;
GRANT INSERT (pond_id, element_id, location, found_on, found_by, found_level, campaign, category, severity,
	          description, deadline, rectification)
	ON TABLE hazard TO tailings_enterprise, tailings_county, tailings_city, tailings_province;
GRANT UPDATE (status, rectification, rectified_on) ON TABLE hazard TO tailings_enterprise;
GRANT UPDATE (element_id, location, campaign, category, severity, description, deadline, status)
	ON TABLE hazard TO tailings_county, tailings_city, tailings_province;
GRANT INSERT (hazard_id, checked_on, level, checked_by, passed, note)
	ON TABLE hazard_check TO tailings_county, tailings_city, tailings_province;

ALTER TABLE hazard ENABLE ROW LEVEL SECURITY;
CREATE POLICY hazard_reader ON hazard FOR SELECT TO tailings_reader USING (true);
CREATE POLICY hazard_member ON hazard FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id));
CREATE POLICY hazard_member_insert ON hazard FOR INSERT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	WITH CHECK (_member_level() IS NOT NULL AND _pond_visible(pond_id));
CREATE POLICY hazard_member_update ON hazard FOR UPDATE
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_member_level() IS NOT NULL AND _pond_visible(pond_id))
	WITH CHECK (_member_level() IS NOT NULL AND _pond_visible(pond_id));

ALTER TABLE hazard_check ENABLE ROW LEVEL SECURITY;
CREATE POLICY hazard_check_reader ON hazard_check FOR SELECT TO tailings_reader USING (true);
CREATE POLICY hazard_check_member ON hazard_check FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id));
CREATE POLICY hazard_check_bureau_insert ON hazard_check FOR INSERT TO tailings_county, tailings_city, tailings_province
	WITH CHECK (_member_level() IN ('county', 'city', 'province') AND _pond_visible(pond_id));

SELECT pg_catalog.pg_extension_config_dump('hazard', '');
SELECT pg_catalog.pg_extension_config_dump('hazard_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('hazard_check', '');
SELECT pg_catalog.pg_extension_config_dump('hazard_check_id_seq', '');

---------------------------------------------------------------------------
-- The pond's file in its completeness check (completeness.c, file_rules[])
---------------------------------------------------------------------------
-- What the file rules read of a pond, as the caller (one row; a set-returning
-- SQL function so that the check's kept plan inlines it): the ledger of the year
-- due (the day it was reported, or null), the years whose stock was compared
-- with the year before and those that disagree, the emergency plan most
-- recently reviewed (its latest review: attrs.reviewed_on or its issue), the
-- discharge permit in force longest, and the major hazards, all and not
-- closed.
CREATE FUNCTION _pond_file_facts(pond_id bigint, ledger_year smallint)
	RETURNS TABLE (ledger_reported_on date, balance_years integer, balance_off integer,
	               plan_number text, plan_reviewed_on date, plan_valid_until date, plan_found boolean,
	               permit_number text, permit_valid_until date, permit_found boolean,
	               major_hazards integer, major_open integer)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT (SELECT l.reported_on FROM ledger l
	         WHERE l.pond_id = _pond_file_facts.pond_id AND l.year = _pond_file_facts.ledger_year),
	       b.years, b.off,
	       pl.number, pl.reviewed_on, pl.valid_until, pl.id IS NOT NULL,
	       pe.number, pe.valid_until, pe.id IS NOT NULL,
	       h.major, h.open
	  FROM (SELECT count(*)::integer AS years, (count(*) FILTER (WHERE NOT lb.consistent))::integer AS off
	          FROM ledger_balance lb WHERE lb.pond_id = _pond_file_facts.pond_id) b
	  LEFT JOIN LATERAL (
	       SELECT d.id, d.number, d.valid_until, greatest(d.issued_on, _drawing_date(d.attrs -> 'reviewed_on')) AS reviewed_on
	         FROM document d
	        WHERE d.pond_id = _pond_file_facts.pond_id AND d.kind = 'emergency_plan'
	        ORDER BY 4 DESC NULLS LAST, d.valid_until DESC NULLS FIRST, d.id DESC
	        LIMIT 1) pl ON true
	  LEFT JOIN LATERAL (
	       SELECT d.id, d.number, d.valid_until
	         FROM document d
	        WHERE d.pond_id = _pond_file_facts.pond_id AND d.kind = 'discharge_permit'
	          AND (d.issued_on IS NULL OR d.issued_on <= current_date)
	        ORDER BY d.valid_until DESC NULLS FIRST, d.id DESC
	        LIMIT 1) pe ON true
	  CROSS JOIN (SELECT count(*)::integer AS major, (count(*) FILTER (WHERE x.status <> 'closed'))::integer AS open
	                FROM hazard x WHERE x.pond_id = _pond_file_facts.pond_id AND x.severity = 'major') h;
END;

-- the years whose stock disagrees with the year before, for the message
CREATE FUNCTION _ledger_off(pond_id bigint,
	OUT year smallint, OUT stock_t bigint, OUT expected_stock_t bigint, OUT difference_t bigint, OUT tolerance_t bigint)
	RETURNS SETOF record
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT b.year, round(b.stock_t)::bigint, round(b.expected_stock_t)::bigint, round(b.difference_t)::bigint,
	       round(b.tolerance_t)::bigint
	  FROM ledger_balance b
	 WHERE b.pond_id = _ledger_off.pond_id AND NOT b.consistent
	 ORDER BY b.year;
END;

-- the major hazards not closed, for the message
CREATE FUNCTION _major_hazards_open(pond_id bigint,
	OUT id bigint, OUT description text, OUT status text, OUT deadline date, OUT overdue boolean)
	RETURNS SETOF record
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT h.id, CASE WHEN length(h.description) > 30 THEN left(h.description, 30) || '…' ELSE h.description END,
	       h.status, h.deadline, h.deadline < current_date
	  FROM hazard h
	 WHERE h.pond_id = _major_hazards_open.pond_id AND h.severity = 'major' AND h.status <> 'closed'
	 ORDER BY h.id;
END;
