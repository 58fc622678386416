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


---------------------------------------------------------------------------
-- Inspections driven by the map (三级核查 on the ground) (design §8)
--
-- A county, city or province bureau inspects a pond on the ground with its
-- map: inspection_checklist(pond_id) gives every element in a walking order
-- from the registry point; each element visited is an inspection_visit (its
-- state, where the inspector stood, a note); inspection_coverage(id) gives the
-- missed points (遗漏点位: the elements not visited) and how far each visit
-- stood from the mapped element, and flags the elements whose mapped position
-- is more than 30 m off as positions to correct (实地校核、修正数据偏差);
-- inspection_due lists the ponds short of the year's inspections.
--
-- Who: every member reads the inspections of the ponds in its scope; county,
-- city and province members record their own bureau's inspections and visits
-- (an inspection's level is its recorder's level; a bureau does not change
-- another level's records).  Enterprises read them.  Both tables are tracked
-- in the change log; row-level security follows the pond (a visit carries its
-- inspection's pond, set by its trigger).
---------------------------------------------------------------------------
CREATE TABLE inspection (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	pond_id bigint NOT NULL REFERENCES pond (id),
	level text NOT NULL CHECK (level IN ('county', 'city', 'province')),
	campaign text CHECK (btrim(campaign) <> ''),
	inspector text NOT NULL CHECK (btrim(inspector) <> ''),
	started_on date NOT NULL DEFAULT current_date,
	finished_on date,
	CONSTRAINT inspection_dates CHECK (finished_on >= started_on)
);
CREATE INDEX inspection_pond_idx ON inspection (pond_id, finished_on);
COMMENT ON TABLE inspection IS
	'inspections of a pond on the ground by a county, city or province bureau (三级核查), driven by the map';
COMMENT ON COLUMN inspection.level IS
	'the inspecting bureau''s level: county, city or province (a member records its own level''s inspections)';
COMMENT ON COLUMN inspection.campaign IS 'the campaign it belongs to, by name (e.g. 2025年汛前检查), or null';
COMMENT ON COLUMN inspection.inspector IS 'who inspected (default: the member''s display_name)';
COMMENT ON COLUMN inspection.finished_on IS
	'the day the inspection was finished; null while it runs (only finished inspections count in inspection_due)';

CREATE TABLE inspection_visit (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	inspection_id bigint NOT NULL REFERENCES inspection (id) ON DELETE CASCADE,
	element_id bigint REFERENCES element (id) ON DELETE SET NULL,
	visited_at timestamptz NOT NULL DEFAULT now(),
	position geometry(Point, 4490),
	state text NOT NULL CHECK (state IN ('normal', 'abnormal', 'out_of_service', 'not_found')),
	note text,
	pond_id bigint NOT NULL REFERENCES pond (id),
	CONSTRAINT inspection_visit_once UNIQUE (inspection_id, element_id),
	CONSTRAINT inspection_visit_position_in_range CHECK (
		NOT ST_IsEmpty(position) AND ST_X(position) BETWEEN -180 AND 180 AND ST_Y(position) BETWEEN -90 AND 90)
);
CREATE INDEX inspection_visit_element_idx ON inspection_visit (element_id);
CREATE INDEX inspection_visit_pond_idx ON inspection_visit (pond_id);
COMMENT ON TABLE inspection_visit IS
	'the elements an inspection visited: one row per element and inspection (a correction is an UPDATE)';
COMMENT ON COLUMN inspection_visit.element_id IS
	'the element visited, of the inspection''s pond; null once the element is removed from the map';
COMMENT ON COLUMN inspection_visit.position IS
	'where the inspector stood (the device''s position), CGCS2000; null without a fix';
COMMENT ON COLUMN inspection_visit.state IS
	'what the inspector found: normal 正常, abnormal 异常, out_of_service 停用, not_found 未找到';
COMMENT ON COLUMN inspection_visit.pond_id IS 'the inspection''s pond (set by the trigger; row-level security follows it)';

-- BEFORE INSERT OR UPDATE on inspection: the level and the inspector default
-- to the member's; a member records its own level's inspections; dates not in
-- the future (a day's grace for the inspector's time zone), and a finished
-- inspection's visits within its days.
CREATE FUNCTION _inspection_write() RETURNS trigger
	LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
DECLARE
	lvl text := _member_level();
BEGIN
	IF _restoring() THEN
		RETURN NEW;
	END IF;
	IF TG_OP = 'INSERT' THEN
		IF NEW.pond_id IS NULL OR NOT EXISTS (SELECT FROM tailings.pond p WHERE p.id = NEW.pond_id) THEN
			RAISE EXCEPTION 'pond % does not exist', coalesce(NEW.pond_id::text, 'null')
				USING ERRCODE = 'no_data_found', HINT = 'SELECT id, code, name FROM tailings.pond lists the ponds you can see.';
		END IF;
		IF NEW.level IS NULL AND lvl IN ('county', 'city', 'province') THEN
			NEW.level := lvl;
		END IF;
		IF NEW.inspector IS NULL THEN
			NEW.inspector := coalesce((SELECT m.display_name FROM tailings.member m WHERE m.role_name = current_user),
			                          current_user::text);
		END IF;
	ELSIF NEW.pond_id IS DISTINCT FROM OLD.pond_id OR NEW.level IS DISTINCT FROM OLD.level THEN
		RAISE EXCEPTION 'inspection % is of pond % at % level: its pond and level do not change', OLD.id, OLD.pond_id, OLD.level
			USING ERRCODE = 'check_violation',
			      HINT = 'Record another inspection; delete this one if it was recorded by mistake.';
	END IF;
	IF lvl IS NOT NULL AND NEW.level IS DISTINCT FROM lvl THEN
		RAISE EXCEPTION 'a % member records % inspections, not % ones', lvl, lvl, coalesce(NEW.level, 'null')
			USING ERRCODE = 'insufficient_privilege',
			      DETAIL = format('%s is a member at level %s.', current_user, lvl),
			      HINT = 'Leave level out: it is the member''s own.';
	END IF;
	IF NEW.started_on > current_date + 1 OR NEW.finished_on > current_date + 1 THEN
		RAISE EXCEPTION 'inspection dates are in the future (started_on %, finished_on %)',
			to_char(NEW.started_on, 'YYYY-MM-DD'), coalesce(to_char(NEW.finished_on, 'YYYY-MM-DD'), 'null')
			USING ERRCODE = 'check_violation';
	END IF;
	IF TG_OP = 'UPDATE' AND (NEW.started_on, NEW.finished_on) IS DISTINCT FROM (OLD.started_on, OLD.finished_on)
	   AND EXISTS (SELECT FROM tailings.inspection_visit v
	                WHERE v.inspection_id = NEW.id AND NOT _inspection_day_ok(NEW.started_on, NEW.finished_on, v.visited_at)) THEN
		RAISE EXCEPTION 'inspection % has visits outside % to %', NEW.id,
			to_char(NEW.started_on, 'YYYY-MM-DD'), coalesce(to_char(NEW.finished_on, 'YYYY-MM-DD'), 'today')
			USING ERRCODE = 'check_violation',
			      DETAIL = (SELECT 'Visited at ' || string_agg(to_char(v.visited_at, 'YYYY-MM-DD HH24:MI'), ', ' ORDER BY v.visited_at)
			                  FROM tailings.inspection_visit v
			                 WHERE v.inspection_id = NEW.id AND NOT _inspection_day_ok(NEW.started_on, NEW.finished_on, v.visited_at)) || '.';
	END IF;
	RETURN NEW;
END
$$;

-- a visit at "at" lies within an inspection of these days (a day's grace either side, for time zones)
CREATE FUNCTION _inspection_day_ok(started_on date, finished_on date, at timestamptz) RETURNS boolean
	LANGUAGE sql STABLE PARALLEL SAFE
RETURN at::date >= started_on - 1 AND (finished_on IS NULL OR at::date <= finished_on + 1);

-- BEFORE INSERT OR UPDATE on inspection_visit: the inspection and the element
-- as the caller sees them, the element of the inspection's pond, the visit
-- within the inspection's days and not in the future; pond_id is the
-- inspection's.
CREATE FUNCTION _inspection_visit_write() RETURNS trigger
	LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
DECLARE
	i tailings.inspection;
	e_pond bigint;
BEGIN
	IF _restoring() THEN
		RETURN NEW;
	END IF;
	IF TG_OP = 'UPDATE' AND NEW.inspection_id IS DISTINCT FROM OLD.inspection_id THEN
		RAISE EXCEPTION 'a visit stays with its inspection (%)', OLD.inspection_id
			USING ERRCODE = 'check_violation';
	END IF;
	SELECT * INTO i FROM tailings.inspection x WHERE x.id = NEW.inspection_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'inspection % does not exist', coalesce(NEW.inspection_id::text, 'null')
			USING ERRCODE = 'no_data_found',
			      HINT = 'SELECT id, pond_id, level, started_on FROM tailings.inspection lists the inspections you can see.';
	END IF;
	NEW.pond_id := i.pond_id;
	IF TG_OP = 'INSERT' AND NEW.element_id IS NULL THEN
		RAISE EXCEPTION 'a visit is of an element: element_id is missing'
			USING ERRCODE = 'not_null_violation', HINT = 'tailings.inspection_checklist(pond_id) lists the elements to visit.';
	END IF;
	-- (an UPDATE that sets it null is the foreign key's, when the element is removed)
	IF NEW.element_id IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.element_id IS DISTINCT FROM OLD.element_id) THEN
		SELECT e.pond_id INTO e_pond FROM tailings.element e WHERE e.id = NEW.element_id;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'element % does not exist', NEW.element_id
				USING ERRCODE = 'no_data_found';
		END IF;
		IF e_pond <> i.pond_id THEN
			RAISE EXCEPTION 'element % is of pond %, not of pond % that inspection % inspects', NEW.element_id, e_pond,
				i.pond_id, i.id
				USING ERRCODE = 'check_violation',
				      HINT = format('tailings.inspection_checklist(%s) lists the elements of the pond.', i.pond_id);
		END IF;
	END IF;
	IF TG_OP = 'INSERT' OR NEW.visited_at IS DISTINCT FROM OLD.visited_at THEN
		IF NEW.visited_at > now() + interval '1 day' THEN
			RAISE EXCEPTION 'the visit is in the future (%)', to_char(NEW.visited_at, 'YYYY-MM-DD HH24:MI')
				USING ERRCODE = 'check_violation';
		END IF;
		IF NOT _inspection_day_ok(i.started_on, i.finished_on, NEW.visited_at) THEN
			RAISE EXCEPTION 'the visit (%) is outside inspection % (% to %)', to_char(NEW.visited_at, 'YYYY-MM-DD HH24:MI'), i.id,
				to_char(i.started_on, 'YYYY-MM-DD'), coalesce(to_char(i.finished_on, 'YYYY-MM-DD'), 'today')
				USING ERRCODE = 'check_violation';
		END IF;
	END IF;
	IF (TG_OP = 'INSERT' OR NEW.position IS DISTINCT FROM OLD.position) AND NEW.position IS NOT NULL
	   AND ('NaN'::float8 IN (ST_X(NEW.position), ST_Y(NEW.position))
	        OR abs(ST_X(NEW.position)) = 'Infinity' OR abs(ST_Y(NEW.position)) = 'Infinity') THEN
		RAISE EXCEPTION 'the visit''s position is not finite numbers'
			USING ERRCODE = 'check_violation', HINT = 'Longitude and latitude in degrees, CGCS2000; or null without a fix.';
	END IF;
	RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION _inspection_write(), _inspection_visit_write() FROM PUBLIC;
CREATE TRIGGER inspection_write BEFORE INSERT OR UPDATE ON inspection
	FOR EACH ROW EXECUTE FUNCTION _inspection_write();
CREATE TRIGGER inspection_visit_write BEFORE INSERT OR UPDATE ON inspection_visit
	FOR EACH ROW EXECUTE FUNCTION _inspection_visit_write();

-- every change in the change log, as pond's and element's
CREATE TRIGGER inspection_track_changes AFTER INSERT OR UPDATE OR DELETE ON inspection
	FOR EACH ROW EXECUTE FUNCTION track_changes();
CREATE TRIGGER inspection_visit_track_changes AFTER INSERT OR UPDATE OR DELETE ON inspection_visit
	FOR EACH ROW EXECUTE FUNCTION track_changes();
CREATE TRIGGER inspection_no_truncate BEFORE TRUNCATE ON inspection
	FOR EACH STATEMENT EXECUTE FUNCTION _tracked_truncate_guard();
CREATE TRIGGER inspection_visit_no_truncate BEFORE TRUNCATE ON inspection_visit
	FOR EACH STATEMENT EXECUTE FUNCTION _tracked_truncate_guard();
INSERT INTO tracked_table (relid, builtin)
VALUES ('inspection'::regclass, true), ('inspection_visit'::regclass, true);

-- privileges: everyone in scope reads; county and above write their own level's
REVOKE ALL ON TABLE inspection, inspection_visit FROM PUBLIC;
GRANT SELECT ON TABLE inspection, inspection_visit
	TO tailings_reader, tailings_enterprise, tailings_county, tailings_city, tailings_province;
GRANT INSERT (pond_id, level, campaign, inspector, started_on, finished_on),
	UPDATE (campaign, inspector, started_on, finished_on), DELETE
	ON TABLE inspection TO tailings_county, tailings_city, tailings_province;
GRANT INSERT (inspection_id, element_id, visited_at, position, state, note),
	UPDATE (visited_at, position, state, note), DELETE
	ON TABLE inspection_visit TO tailings_county, tailings_city, tailings_province;

ALTER TABLE inspection ENABLE ROW LEVEL SECURITY;
CREATE POLICY inspection_reader ON inspection FOR SELECT TO tailings_reader USING (true);
CREATE POLICY inspection_member ON inspection FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id));
CREATE POLICY inspection_bureau_insert ON inspection FOR INSERT TO tailings_county, tailings_city, tailings_province
	WITH CHECK (level = _member_level() AND _pond_visible(pond_id));
CREATE POLICY inspection_bureau_update ON inspection FOR UPDATE TO tailings_county, tailings_city, tailings_province
	USING (level = _member_level() AND _pond_visible(pond_id))
	WITH CHECK (level = _member_level() AND _pond_visible(pond_id));
CREATE POLICY inspection_bureau_delete ON inspection FOR DELETE TO tailings_county, tailings_city, tailings_province
	USING (level = _member_level() AND _pond_visible(pond_id));

-- a visit is written by a member of its inspection's level (the inspection as the caller sees it)
CREATE FUNCTION _inspection_writable(inspection_id bigint) RETURNS boolean
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT EXISTS (SELECT FROM inspection i
	                WHERE i.id = _inspection_writable.inspection_id AND i.level = _member_level());
END;
ALTER TABLE inspection_visit ENABLE ROW LEVEL SECURITY;
CREATE POLICY inspection_visit_reader ON inspection_visit FOR SELECT TO tailings_reader USING (true);
CREATE POLICY inspection_visit_member ON inspection_visit FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id));
CREATE POLICY inspection_visit_bureau_insert ON inspection_visit FOR INSERT
	TO tailings_county, tailings_city, tailings_province
	WITH CHECK (_pond_visible(pond_id) AND _inspection_writable(inspection_id));
CREATE POLICY inspection_visit_bureau_update ON inspection_visit FOR UPDATE
	TO tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id) AND _inspection_writable(inspection_id))
	WITH CHECK (_pond_visible(pond_id) AND _inspection_writable(inspection_id));
CREATE POLICY inspection_visit_bureau_delete ON inspection_visit FOR DELETE
	TO tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id) AND _inspection_writable(inspection_id));

---------------------------------------------------------------------------
-- The checklist: every element, in walking order from the registry point
---------------------------------------------------------------------------
-- Metres per degree of longitude (kx) and latitude (ky) at a latitude, on the
-- CGCS2000 ellipsoid (a = 6378137 m, f = 1/298.257222101): a pond's elements,
-- within a few kilometres of its registry point, are laid on a local plane
-- with them (an error of well under 0.1 % there).
CREATE FUNCTION _metres_per_degree(lat double precision, OUT kx double precision, OUT ky double precision)
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT pi() / 180 * 6378137 * cosd(lat) / sqrt(1 - 0.0066943800229 * sind(lat) ^ 2),
	       pi() / 180 * 6378137 * (1 - 0.0066943800229) / (1 - 0.0066943800229 * sind(lat) ^ 2) ^ 1.5;
END;

CREATE FUNCTION _walk_order(x0 double precision, y0 double precision, x double precision[], y double precision[])
	RETURNS integer[]
	AS 'MODULE_PATHNAME', 'tl_walk_order' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _walk_order(double precision, double precision, double precision[], double precision[]) IS
	'the stops (x[i], y[i]), metres on a plane, in the order of a short open walk from (x0, y0): the order given, '
	'improved by 2-opt and Or-opt moves until none shortens it; returns the indexes of x and y in walking order';

-- The walk: from the registry point, the nearest element next (an element's
-- stop is its point nearest to where the walker stands: a point is itself, a
-- line or an area the point of it nearest the walker; ties by element id);
-- then, after the areas the walk starts in, 2-opt and Or-opt over the stops
-- (_walk_order), each stop moved again to its element's point nearest the
-- stop before it, for as long as that shortens the walk.
CREATE FUNCTION inspection_checklist(pond_id bigint)
	RETURNS TABLE (seq integer, element_id bigint, kind element_kind, name text, lon double precision,
	               lat double precision)
	LANGUAGE plpgsql STABLE SET search_path FROM CURRENT
AS $$
DECLARE
	p tailings.pond;
	lon0 double precision;
	lat0 double precision;
	kx double precision;
	ky double precision;
	ids bigint[];
	kinds tailings.element_kind[];
	names text[];
	points boolean[];
	geoms geometry[];
	n integer;
	taken boolean[];
	origin constant geometry := 'POINT(0 0)'::geometry;
	cur geometry;
	stop geometry;
	ord integer[] := '{}';
	stops geometry[] := '{}';
	best double precision := 0;
	len double precision;
	perm integer[];
	cand integer[];
	cand_stops geometry[];
	k integer;
	here integer;
BEGIN
	SELECT * INTO p FROM tailings.pond x WHERE x.id = inspection_checklist.pond_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'pond % does not exist', coalesce(inspection_checklist.pond_id::text, 'null')
			USING ERRCODE = 'no_data_found', HINT = 'SELECT id, code, name FROM tailings.pond lists the ponds you can see.';
	END IF;
	lon0 := ST_X(p.location);
	lat0 := ST_Y(p.location);
	SELECT m.kx, m.ky INTO kx, ky FROM _metres_per_degree(lat0) m;
	-- the elements on the local plane, metres east and north of the registry point
	SELECT array_agg(e.id ORDER BY e.id), array_agg(e.kind ORDER BY e.id), array_agg(e.name ORDER BY e.id),
	       array_agg(GeometryType(e.geom) = 'POINT' ORDER BY e.id),
	       array_agg(ST_Affine(ST_SetSRID(e.geom, 0), kx, 0, 0, ky, -lon0 * kx, -lat0 * ky) ORDER BY e.id)
	  INTO ids, kinds, names, points, geoms
	  FROM tailings.element e
	 WHERE e.pond_id = p.id;
	n := coalesce(cardinality(ids), 0);
	IF n = 0 THEN
		RETURN;
	END IF;

	-- nearest neighbour
	taken := array_fill(false, ARRAY[n]);
	cur := origin;
	FOR step IN 1..n LOOP
		SELECT g.i INTO k
		  FROM generate_subscripts(ids, 1) g(i)
		 WHERE NOT taken[g.i]
		 ORDER BY ST_Distance(geoms[g.i], cur), ids[g.i]
		 LIMIT 1;
		stop := ST_ClosestPoint(geoms[k], cur);
		best := best + ST_Distance(cur, stop);
		taken[k] := true;
		ord := ord || k;
		stops := stops || stop;
		cur := stop;
	END LOOP;

	-- the elements the walker stands in at the start (an area around the
	-- registry point) are visited there, first; the rest of the walk is
	-- improved: 2-opt and Or-opt over the stops, the stops moved to their
	-- elements' nearest points, while that shortens it
	here := 0;
	WHILE here < n AND ST_Distance(geoms[ord[here + 1]], origin) = 0 LOOP
		here := here + 1;
	END LOOP;
	FOR pass IN 1..10 LOOP
		EXIT WHEN n - here < 2;
		perm := _walk_order(0, 0, ARRAY(SELECT ST_X(s.g) FROM unnest(stops[here + 1:n]) WITH ORDINALITY s(g, o) ORDER BY s.o),
		                    ARRAY(SELECT ST_Y(s.g) FROM unnest(stops[here + 1:n]) WITH ORDINALITY s(g, o) ORDER BY s.o));
		cand := ord[1:here] || ARRAY(SELECT ord[here + q.j] FROM unnest(perm) WITH ORDINALITY q(j, o) ORDER BY q.o);
		cand_stops := stops[1:here];
		cur := origin;
		len := 0;
		FOREACH k IN ARRAY cand[here + 1:n] LOOP
			stop := ST_ClosestPoint(geoms[k], cur);
			len := len + ST_Distance(cur, stop);
			cand_stops := cand_stops || stop;
			cur := stop;
		END LOOP;
		EXIT WHEN len >= best - 1e-6;
		ord := cand;
		stops := cand_stops;
		best := len;
	END LOOP;

	FOR j IN 1..n LOOP
		k := ord[j];
		seq := j;
		element_id := ids[k];
		kind := kinds[k];
		name := names[k];
		IF points[k] THEN
			-- a point is where it is drawn
			SELECT ST_X(e.geom), ST_Y(e.geom) INTO lon, lat FROM tailings.element e WHERE e.id = ids[k];
		ELSE
			lon := round((lon0 + ST_X(stops[j]) / kx)::numeric, 9)::double precision;
			lat := round((lat0 + ST_Y(stops[j]) / ky)::numeric, 9)::double precision;
		END IF;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION inspection_checklist(bigint) IS
	'every element of the pond to visit, in walking order from the registry point (nearest neighbour, improved by '
	'2-opt and Or-opt); lon, lat: the point to walk to (CGCS2000), for a line or an area its point nearest the stop before';

---------------------------------------------------------------------------
-- Coverage: the missed points and the offsets
---------------------------------------------------------------------------
-- The pond's elements (as the map is now, less those added to the map after
-- the inspection was recorded as finished: they were not on its checklist;
-- an inspection entered afterwards, of an earlier day, keeps every element
-- mapped before it was entered), each with its
-- visit: visited or missed (遗漏点位), the state found, and offset_m, the
-- distance on the ellipsoid from where the inspector stood to the mapped
-- element (0 inside an area).  An element found more than 30 m from where it
-- is mapped is a map position to correct (to_correct), for the ground check
-- (实地校核、修正数据偏差); one not found is not (it is a finding, not an offset).
CREATE FUNCTION inspection_coverage(inspection_id bigint)
	RETURNS TABLE (element_id bigint, kind element_kind, name text, visited boolean, state text,
	               offset_m double precision, to_correct boolean)
	LANGUAGE plpgsql STABLE SET search_path FROM CURRENT
AS $$
DECLARE
	i tailings.inspection;
	finished_at timestamptz;
BEGIN
	SELECT * INTO i FROM tailings.inspection x WHERE x.id = inspection_coverage.inspection_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'inspection % does not exist', coalesce(inspection_coverage.inspection_id::text, 'null')
			USING ERRCODE = 'no_data_found',
			      HINT = 'SELECT id, pond_id, level, started_on FROM tailings.inspection lists the inspections you can see.';
	END IF;
	-- when the inspection was recorded as finished (the change log's last setting of finished_on)
	IF i.finished_on IS NOT NULL THEN
		SELECT max(c.changed_at) INTO finished_at
		  FROM tailings.change_log c
		 WHERE c.pond_id = i.pond_id AND c.table_name = 'tailings.inspection' AND c.row_id = i.id
		   AND c.new_row ->> 'finished_on' IS NOT NULL AND (c.op = 'I' OR 'finished_on' = ANY (c.changed));
	END IF;
	RETURN QUERY
	SELECT e.id, e.kind, e.name, v.id IS NOT NULL, v.state, d.offset_m,
	       coalesce(v.state <> 'not_found' AND d.offset_m > 30, false)
	  FROM tailings.element e
	  LEFT JOIN tailings.inspection_visit v ON v.inspection_id = i.id AND v.element_id = e.id
	  CROSS JOIN LATERAL (SELECT ST_Distance(v.position::geography, e.geom::geography, true) AS offset_m) d
	 WHERE e.pond_id = i.pond_id
	   AND (finished_at IS NULL OR v.id IS NOT NULL
	        OR NOT EXISTS (SELECT FROM tailings.change_log c
	                        WHERE c.pond_id = i.pond_id AND c.changed_at > finished_at
	                          AND c.table_name = 'tailings.element' AND c.row_id = e.id AND c.op = 'I'))
	 ORDER BY e.id;
END
$$;
COMMENT ON FUNCTION inspection_coverage(bigint) IS
	'the pond''s elements and the inspection''s visits: visited (false: a missed point, 遗漏点位), the state found, '
	'offset_m from where the inspector stood to the mapped element (metres, ellipsoid), to_correct when a found '
	'element is more than 30 m from its mapped position';

---------------------------------------------------------------------------
-- The inspections due
---------------------------------------------------------------------------
-- City inspections: a level 1 pond at least twice a year, one of them before
-- the flood season (finished before 1 June); a level 2 pond at least once a
-- year; level 3 ponds by random spot checks (not due).  Counted on a day:
-- the inspections finished from 1 January of its year to that day, at any
-- bureau level.  A row per pond short of them, naming what is missing (in
-- tailings.language); due_by is the day by which the next missing one is due
-- (31 May for the pre-flood one, else 31 December); overdue when that day has
-- passed.
CREATE FUNCTION inspection_due_on(day date)
	RETURNS TABLE (pond_id bigint, code text, name text, county_code text, supervision_level smallint,
	               year integer, required integer, done integer, done_before_flood integer, due_by date,
	               overdue boolean, missing text)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	WITH c AS (
		SELECT p.id, p.code, p.name, p.county_code, p.supervision_level,
		       extract(year FROM inspection_due_on.day)::integer AS y,
		       CASE p.supervision_level WHEN 1 THEN 2 ELSE 1 END AS required,
		       count(i.id)::integer AS done,
		       count(i.id) FILTER (WHERE i.finished_on < make_date(extract(year FROM inspection_due_on.day)::integer, 6, 1))::integer
		           AS done_before_flood
		  FROM pond p
		  LEFT JOIN inspection i
		         ON i.pond_id = p.id AND i.finished_on <= inspection_due_on.day
		        AND i.finished_on >= make_date(extract(year FROM inspection_due_on.day)::integer, 1, 1)
		 WHERE p.supervision_level IN (1, 2)
		 GROUP BY p.id),
	s AS (
		SELECT c.*, c.supervision_level = 1 AND c.done_before_flood = 0 AS flood_missing,
		       greatest(c.required - c.done, 0) AS more,
		       coalesce(current_setting('tailings.language', true), 'zh') = 'en' AS en
		  FROM c)
	SELECT s.id, s.code, s.name, s.county_code, s.supervision_level, s.y, s.required, s.done, s.done_before_flood,
	       CASE WHEN s.flood_missing AND inspection_due_on.day <= make_date(s.y, 5, 31) THEN make_date(s.y, 5, 31)
	            ELSE make_date(s.y, 12, 31) END,
	       s.flood_missing AND inspection_due_on.day > make_date(s.y, 5, 31),
	       concat_ws(CASE WHEN s.en THEN '; ' ELSE '；' END,
	                 CASE WHEN s.flood_missing THEN
	                      CASE WHEN s.en THEN 'an inspection before the flood season (before 1 June)'
	                                          || CASE WHEN inspection_due_on.day > make_date(s.y, 5, 31) THEN ', missed' ELSE '' END
	                           ELSE '汛期前（6月1日前）检查' || CASE WHEN inspection_due_on.day > make_date(s.y, 5, 31) THEN '（已逾期）' ELSE '' END
	                      END END,
	                 CASE WHEN s.more > 0 THEN
	                      CASE WHEN s.en THEN format('%s more inspection%s in %s (at least %s a year, %s done)', s.more,
	                                                 CASE WHEN s.more > 1 THEN 's' ELSE '' END, s.y, s.required, s.done)
	                           ELSE format('%s年还需检查%s次（每年至少%s次，已检查%s次）', s.y, s.more, s.required, s.done)
	                      END END)
	  FROM s
	 WHERE s.flood_missing OR s.more > 0
	 ORDER BY s.supervision_level, s.code;
END;
COMMENT ON FUNCTION inspection_due_on(date) IS
	'the level 1 and 2 ponds short of their inspections on that day (level 1: two a year, one finished before 1 June; '
	'level 2: one a year), naming what is missing in tailings.language';

CREATE VIEW inspection_due WITH (security_invoker) AS
SELECT * FROM inspection_due_on(current_date);
COMMENT ON VIEW inspection_due IS
	'the level 1 and 2 ponds short of this year''s inspections today (inspection_due_on(current_date))';
GRANT SELECT ON TABLE inspection_due TO tailings_reader, tailings_enterprise, tailings_county, tailings_city,
	tailings_province;

SELECT pg_catalog.pg_extension_config_dump('inspection', '');
SELECT pg_catalog.pg_extension_config_dump('inspection_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('inspection_visit', '');
SELECT pg_catalog.pg_extension_config_dump('inspection_visit_id_seq', '');

---------------------------------------------------------------------------
-- Groundwater monitoring against GB/T 14848-2017 class III (design §8)
--
-- The enterprise runs the monitoring of its pond's wells (GB 18599 10.3;
-- 办法 Art. 18): it records each sample's value (sample); every member in
-- scope reads them.  gw_limit holds the class III limits of GB/T 14848-2017
-- (city and above may add reference values of their own, marked by source);
-- monitoring_assessment(pond_id) gives each well's latest value of each
-- parameter against its limit and against the pond's background well; the
-- groundwater layer of the tiles carries each well's state (gw_state:
-- exceeds, ok, no_data).
---------------------------------------------------------------------------
CREATE TABLE gw_limit (
	parameter text PRIMARY KEY CHECK (parameter ~ '^[A-Za-z][A-Za-z0-9_]*$'),
	max_value double precision,
	min_value double precision,
	unit text NOT NULL DEFAULT 'mg/L' CHECK (btrim(unit) <> ''),
	label_zh text NOT NULL CHECK (btrim(label_zh) <> ''),
	label_en text NOT NULL CHECK (btrim(label_en) <> ''),
	aliases text[] NOT NULL DEFAULT '{}' CHECK (array_ndims(aliases) IS NULL OR array_ndims(aliases) = 1),
	source text NOT NULL DEFAULT 'GB/T 14848-2017 III类' CHECK (btrim(source) <> ''),
	builtin boolean NOT NULL DEFAULT false,
	id integer GENERATED ALWAYS AS IDENTITY UNIQUE,
	CONSTRAINT gw_limit_bounds CHECK (
		(max_value IS NOT NULL OR min_value IS NOT NULL)
		AND max_value >= 0 AND max_value < 'Infinity' AND min_value >= 0 AND min_value < 'Infinity'
		AND min_value <= max_value)
);
COMMENT ON TABLE gw_limit IS
	'groundwater quality limits a sample is judged by: GB/T 14848-2017 class III (III类) as shipped; '
	'a row of another source (e.g. GB 3838-2002 Table 3 for vanadium) says so in source';
COMMENT ON COLUMN gw_limit.parameter IS 'the parameter''s code, as samples name it';
COMMENT ON COLUMN gw_limit.max_value IS 'the highest value within the limit, in unit; null for none';
COMMENT ON COLUMN gw_limit.min_value IS 'the lowest value within the limit (pH 6.5), in unit; null for none';
COMMENT ON COLUMN gw_limit.aliases IS 'other names a sample may give (symbols such as Mn); matched without regard to case';
COMMENT ON COLUMN gw_limit.source IS 'the standard the limit comes from';
COMMENT ON COLUMN gw_limit.builtin IS 'a limit shipped with the extension (it may be edited, not deleted)';
COMMENT ON CONSTRAINT gw_limit_bounds ON gw_limit IS
	'a maximum or a minimum (or both), finite and not negative, the minimum not above the maximum';

-- GB/T 14848-2017 《地下水质量标准》 Table 1 and Table 2, class III (shared/domain.md).
INSERT INTO gw_limit (parameter, max_value, min_value, unit, label_zh, label_en, aliases, builtin) VALUES
('pH', 8.5, 6.5, '无量纲', 'pH', 'pH', '{}', true),
('total_hardness', 450, NULL, 'mg/L', '总硬度（以CaCO₃计）', 'Total hardness (as CaCO3)', '{总硬度}', true),
('tds', 1000, NULL, 'mg/L', '溶解性总固体', 'Total dissolved solids', '{TDS}', true),
('sulfate', 250, NULL, 'mg/L', '硫酸盐', 'Sulfate', '{SO4,硫酸根}', true),
('chloride', 250, NULL, 'mg/L', '氯化物', 'Chloride', '{Cl,氯离子}', true),
('iron', 0.3, NULL, 'mg/L', '铁', 'Iron', '{Fe}', true),
('manganese', 0.10, NULL, 'mg/L', '锰', 'Manganese', '{Mn}', true),
('cod_mn', 3.0, NULL, 'mg/L', '耗氧量（COD_Mn法，以O₂计）', 'Permanganate index (COD_Mn, as O2)', '{CODMn,耗氧量}', true),
('ammonia_n', 0.50, NULL, 'mg/L', '氨氮（以N计）', 'Ammonia nitrogen (as N)', '{NH3-N,氨氮}', true),
('nitrite_n', 1.00, NULL, 'mg/L', '亚硝酸盐（以N计）', 'Nitrite (as N)', '{NO2-N,亚硝酸盐,亚硝酸盐氮}', true),
('nitrate_n', 20.0, NULL, 'mg/L', '硝酸盐（以N计）', 'Nitrate (as N)', '{NO3-N,硝酸盐,硝酸盐氮}', true),
('fluoride', 1.0, NULL, 'mg/L', '氟化物', 'Fluoride', '{F}', true),
('mercury', 0.001, NULL, 'mg/L', '汞', 'Mercury', '{Hg}', true),
('arsenic', 0.01, NULL, 'mg/L', '砷', 'Arsenic', '{As}', true),
('cadmium', 0.005, NULL, 'mg/L', '镉', 'Cadmium', '{Cd}', true),
('chromium_vi', 0.05, NULL, 'mg/L', '铬（六价）', 'Chromium (VI)', '{Cr6+,Cr(VI),六价铬}', true),
('lead', 0.01, NULL, 'mg/L', '铅', 'Lead', '{Pb}', true),
('copper', 1.00, NULL, 'mg/L', '铜', 'Copper', '{Cu}', true),
('zinc', 1.00, NULL, 'mg/L', '锌', 'Zinc', '{Zn}', true),
('aluminium', 0.20, NULL, 'mg/L', '铝', 'Aluminium', '{Al,aluminum}', true),
('volatile_phenol', 0.002, NULL, 'mg/L', '挥发性酚类（以苯酚计）', 'Volatile phenols (as phenol)', '{挥发酚}', true),
('sulfide', 0.02, NULL, 'mg/L', '硫化物', 'Sulfide', '{}', true),
('sodium', 200, NULL, 'mg/L', '钠', 'Sodium', '{Na}', true),
('cyanide', 0.05, NULL, 'mg/L', '氰化物', 'Cyanide', '{CN}', true),
('iodide', 0.08, NULL, 'mg/L', '碘化物', 'Iodide', '{}', true),
('selenium', 0.01, NULL, 'mg/L', '硒', 'Selenium', '{Se}', true),
('nickel', 0.02, NULL, 'mg/L', '镍', 'Nickel', '{Ni}', true),
('cobalt', 0.05, NULL, 'mg/L', '钴', 'Cobalt', '{Co}', true);

-- As for the template: shipped limits are edited, not deleted, and a dump's
-- row of one (pg_restore) replaces the freshly shipped row of its parameter.
CREATE FUNCTION _gw_limit_guard() RETURNS trigger
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		RAISE EXCEPTION 'the limit of % is shipped with the extension (%) and cannot be deleted', OLD.parameter, OLD.source
			USING ERRCODE = 'restrict_violation',
			      HINT = 'Edit its values if the standard says otherwise.';
	END IF;
	DELETE FROM tailings.gw_limit g WHERE g.builtin AND g.parameter = NEW.parameter;
	RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION _gw_limit_guard() FROM PUBLIC;
CREATE TRIGGER gw_limit_guard_insert BEFORE INSERT ON gw_limit
	FOR EACH ROW WHEN (NEW.builtin) EXECUTE FUNCTION _gw_limit_guard();
CREATE TRIGGER gw_limit_guard_delete BEFORE DELETE ON gw_limit
	FOR EACH ROW WHEN (OLD.builtin AND pg_trigger_depth() < 1) EXECUTE FUNCTION _gw_limit_guard();

-- A unit written the one way: lower case, no spaces, µ (either sign) as u,
-- and every way of saying "no unit" (pH) as 无量纲.
CREATE FUNCTION _unit_norm(unit text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT CASE WHEN u IN ('无量纲', 'ph', '-', '1', 'none', 'dimensionless', 'unitless') THEN '无量纲' ELSE u END
	  FROM (SELECT replace(replace(replace(lower(_unit_norm.unit), ' ', ''), 'µ', 'u'), 'μ', 'u') AS u) x;
END;

-- How many of unit "to" one of unit "from" is (exact, numeric), for
-- concentrations (g/L, mg/L, µg/L, ng/L) and a unit to itself; null when one
-- cannot be turned into the other.
CREATE FUNCTION _unit_factor(from_unit text, to_unit text) RETURNS numeric
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT CASE WHEN _unit_norm(_unit_factor.from_unit) = _unit_norm(_unit_factor.to_unit) THEN 1::numeric
	            ELSE a.g / b.g END
	  FROM (SELECT CASE _unit_norm(_unit_factor.from_unit) WHEN 'g/l' THEN 1 WHEN 'mg/l' THEN 0.001
	                    WHEN 'ug/l' THEN 0.000001 WHEN 'ng/l' THEN 0.000000001 END::numeric AS g) a,
	       (SELECT CASE _unit_norm(_unit_factor.to_unit) WHEN 'g/l' THEN 1 WHEN 'mg/l' THEN 0.001
	                    WHEN 'ug/l' THEN 0.000001 WHEN 'ng/l' THEN 0.000000001 END::numeric AS g) b;
END;

-- a value in another unit, exactly (null when the units do not convert)
CREATE FUNCTION _unit_convert(value double precision, from_unit text, to_unit text) RETURNS double precision
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (_unit_convert.value::numeric * _unit_factor(_unit_convert.from_unit, _unit_convert.to_unit))::double precision;

-- the limit a parameter's name (its code, English or Chinese label, or an alias, in any case) stands for
CREATE FUNCTION _gw_parameter(name text) RETURNS gw_limit
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT g.* FROM gw_limit g
	 WHERE lower(g.parameter) = lower(btrim(_gw_parameter.name)) OR lower(g.label_en) = lower(btrim(_gw_parameter.name))
	    OR g.label_zh = btrim(_gw_parameter.name)
	    OR lower(btrim(_gw_parameter.name)) IN (SELECT lower(a) FROM unnest(g.aliases) a)
	 ORDER BY lower(g.parameter) = lower(btrim(_gw_parameter.name)) DESC, g.parameter
	 LIMIT 1;
END;

CREATE TABLE sample (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	element_id bigint REFERENCES element (id) ON DELETE SET NULL,
	sampled_on date NOT NULL,
	parameter text NOT NULL CHECK (btrim(parameter) <> ''),
	value double precision NOT NULL,
	unit text NOT NULL DEFAULT 'mg/L' CHECK (btrim(unit) <> ''),
	pond_id bigint NOT NULL REFERENCES pond (id),
	location geometry(Point, 4490),
	CONSTRAINT sample_once UNIQUE (element_id, parameter, sampled_on),
	CONSTRAINT sample_value_finite CHECK (value >= 0 AND value < 'Infinity')
);
CREATE INDEX sample_pond_idx ON sample (pond_id);
COMMENT ON TABLE sample IS
	'groundwater samples of the ponds'' wells, recorded by the enterprise that runs the monitoring: one value of a '
	'parameter at a well on a day';
COMMENT ON COLUMN sample.element_id IS 'the well (an element of the groundwater category); null once it is removed from the map';
COMMENT ON COLUMN sample.parameter IS
	'the parameter: a gw_limit code (a label or an alias is stored as its code), or another name (no limit then)';
COMMENT ON COLUMN sample.unit IS
	'the value''s unit; a concentration is judged in its limit''s unit (µg/L and mg/L are converted); pH has none';
COMMENT ON COLUMN sample.pond_id IS 'the well''s pond (set by the trigger; row-level security follows it)';
COMMENT ON COLUMN sample.location IS
	'the well''s point when the sample was last written (set by the trigger): where the change shows on the map';
COMMENT ON CONSTRAINT sample_value_finite ON sample IS 'a value is a finite number, not negative';

-- BEFORE INSERT OR UPDATE on sample: the well as the caller sees it (an
-- element of the groundwater category; its pond and point are the sample's),
-- the parameter's name as its code, the unit of the limit (pH has none;
-- concentrations in a unit that converts), the day not in the future.
CREATE FUNCTION _sample_write() RETURNS trigger
	LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
DECLARE
	e tailings.element;
	g tailings.gw_limit;
BEGIN
	IF _restoring() THEN
		RETURN NEW;
	END IF;
	IF TG_OP = 'INSERT' AND NEW.element_id IS NULL THEN
		RAISE EXCEPTION 'a sample is of a well: element_id is missing'
			USING ERRCODE = 'not_null_violation';
	END IF;
	IF TG_OP = 'UPDATE' THEN
		NEW.pond_id := OLD.pond_id;
		NEW.location := OLD.location;
	END IF;
	-- (an UPDATE that sets element_id null is the foreign key's, when the well is removed)
	IF NEW.element_id IS NOT NULL THEN
		SELECT * INTO e FROM tailings.element x WHERE x.id = NEW.element_id;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'well % does not exist', NEW.element_id
				USING ERRCODE = 'no_data_found',
				      HINT = 'SELECT id, kind, name FROM tailings.element WHERE tailings.category(kind) = ''groundwater'' lists the wells you can see.';
		END IF;
		IF category(e.kind) <> 'groundwater' THEN
			RAISE EXCEPTION 'element % (%) is not a groundwater well', e.id, coalesce(e.name, e.kind::text)
				USING ERRCODE = 'check_violation',
				      HINT = 'Samples are of the wells: gw_background_well, gw_monitoring_well, gw_diffusion_well, gw_outlet_well.';
		END IF;
		IF TG_OP = 'UPDATE' AND e.pond_id <> OLD.pond_id THEN
			RAISE EXCEPTION 'well % is of pond %, not of pond % the sample belongs to', e.id, e.pond_id, OLD.pond_id
				USING ERRCODE = 'check_violation', HINT = 'Delete the sample and record it at the other well.';
		END IF;
		NEW.pond_id := e.pond_id;
		NEW.location := ST_PointOnSurface(e.geom);
	END IF;
	IF TG_OP = 'INSERT' OR NEW.parameter IS DISTINCT FROM OLD.parameter OR NEW.unit IS DISTINCT FROM OLD.unit THEN
		NEW.parameter := btrim(NEW.parameter);
		NEW.unit := btrim(NEW.unit);
		g := _gw_parameter(NEW.parameter);
		IF g.parameter IS NOT NULL THEN
			NEW.parameter := g.parameter;
			-- a parameter without a unit (pH) is never in mg/L, the column's default
			IF _unit_factor(g.unit, 'mg/L') IS NULL AND NEW.unit = 'mg/L' THEN
				NEW.unit := g.unit;
			END IF;
			IF _unit_factor(NEW.unit, g.unit) IS NULL THEN
				RAISE EXCEPTION 'a value of % in % cannot be judged against its limit in %', g.parameter, NEW.unit, g.unit
					USING ERRCODE = 'check_violation',
					      HINT = format('Give the value in %s%s.', g.unit,
					                    CASE WHEN _unit_factor(g.unit, 'mg/L') IS NOT NULL THEN ' (or g/L, µg/L, ng/L)' ELSE '' END);
			END IF;
		END IF;
	END IF;
	IF NEW.value = 'NaN' THEN
		RAISE EXCEPTION 'the value of % is not a number', NEW.parameter
			USING ERRCODE = 'check_violation';
	END IF;
	IF NEW.parameter = 'pH' AND NEW.value > 14 THEN
		RAISE EXCEPTION 'a pH of % is not possible', NEW.value
			USING ERRCODE = 'check_violation', HINT = 'pH is between 0 and 14.';
	END IF;
	IF NEW.sampled_on > current_date + 1 THEN
		RAISE EXCEPTION 'the sample is dated in the future (%)', to_char(NEW.sampled_on, 'YYYY-MM-DD')
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION _sample_write() FROM PUBLIC;
CREATE TRIGGER sample_write BEFORE INSERT OR UPDATE ON sample
	FOR EACH ROW EXECUTE FUNCTION _sample_write();

-- every change in the change log: a sample with the well's point (the tile
-- server redraws the well), a limit without a pond (every well may change)
CREATE TRIGGER sample_track_changes AFTER INSERT OR UPDATE OR DELETE ON sample
	FOR EACH ROW EXECUTE FUNCTION track_changes();
CREATE TRIGGER gw_limit_track_changes AFTER INSERT OR UPDATE OR DELETE ON gw_limit
	FOR EACH ROW EXECUTE FUNCTION track_changes('id', '');
CREATE TRIGGER sample_no_truncate BEFORE TRUNCATE ON sample
	FOR EACH STATEMENT EXECUTE FUNCTION _tracked_truncate_guard();
CREATE TRIGGER gw_limit_no_truncate BEFORE TRUNCATE ON gw_limit
	FOR EACH STATEMENT EXECUTE FUNCTION _tracked_truncate_guard();
INSERT INTO tracked_table (relid, builtin) VALUES ('sample'::regclass, true), ('gw_limit'::regclass, true);

-- privileges: everyone in scope reads; the enterprise records its wells'
-- samples; the city and above edit the limits
REVOKE ALL ON TABLE sample, gw_limit FROM PUBLIC;
GRANT SELECT ON TABLE sample, gw_limit
	TO tailings_reader, tailings_enterprise, tailings_county, tailings_city, tailings_province;
GRANT INSERT (element_id, sampled_on, parameter, value, unit),
	UPDATE (element_id, sampled_on, parameter, value, unit), DELETE
	ON TABLE sample TO tailings_enterprise;
GRANT INSERT (parameter, max_value, min_value, unit, label_zh, label_en, aliases, source),
	UPDATE (max_value, min_value, unit, label_zh, label_en, aliases, source), DELETE
	ON TABLE gw_limit TO tailings_city, tailings_province;

ALTER TABLE sample ENABLE ROW LEVEL SECURITY;
CREATE POLICY sample_reader ON sample FOR SELECT TO tailings_reader USING (true);
CREATE POLICY sample_member ON sample FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id));
CREATE POLICY sample_enterprise_insert ON sample FOR INSERT TO tailings_enterprise
	WITH CHECK (_member_level() = 'enterprise' AND _pond_visible(pond_id));
CREATE POLICY sample_enterprise_update ON sample FOR UPDATE TO tailings_enterprise
	USING (_member_level() = 'enterprise' AND _pond_visible(pond_id))
	WITH CHECK (_member_level() = 'enterprise' AND _pond_visible(pond_id));
CREATE POLICY sample_enterprise_delete ON sample FOR DELETE TO tailings_enterprise
	USING (_member_level() = 'enterprise' AND _pond_visible(pond_id));

ALTER TABLE gw_limit ENABLE ROW LEVEL SECURITY;
CREATE POLICY gw_limit_read ON gw_limit FOR SELECT
	TO tailings_reader, tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (true);
CREATE POLICY gw_limit_city_insert ON gw_limit FOR INSERT TO tailings_city, tailings_province
	WITH CHECK (_member_level() IN ('city', 'province'));
CREATE POLICY gw_limit_city_update ON gw_limit FOR UPDATE TO tailings_city, tailings_province
	USING (_member_level() IN ('city', 'province'))
	WITH CHECK (_member_level() IN ('city', 'province'));
CREATE POLICY gw_limit_city_delete ON gw_limit FOR DELETE TO tailings_city, tailings_province
	USING (_member_level() IN ('city', 'province'));

-- The samples as they were at "at" (from the change log, as _elements_as_of).
CREATE FUNCTION _samples_as_of(at timestamptz) RETURNS SETOF sample
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	WITH first_after AS (
		SELECT DISTINCT ON (c.row_id) c.row_id, c.op, c.old_row
		  FROM change_log c
		 WHERE c.table_name = 'tailings.sample' AND c.changed_at > _samples_as_of.at
		 ORDER BY c.row_id, c.id)
	SELECT x.* FROM sample x
	 WHERE NOT EXISTS (SELECT 1 FROM first_after f WHERE f.row_id = x.id)
	UNION ALL
	SELECT r.* FROM first_after f, jsonb_populate_record(NULL::sample, f.old_row) r
	 WHERE f.op <> 'I';
END;

-- A well's state for the map (the groundwater layer's gw_state): exceeds when
-- the latest value of a parameter with a limit is outside it, ok when there is
-- such a value and none is outside, no_data when there is none.  Now (at
-- null), or as the samples were known at "at" (those dated by then).
CREATE FUNCTION _well_state(well bigint, at timestamptz) RETURNS text
	LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path FROM CURRENT
AS $$
DECLARE
	state text;
BEGIN
	-- (PL/pgSQL, so that the tiles' many calls reuse one plan of each query a session)
	IF at IS NULL THEN
		SELECT CASE WHEN bool_or(j.v > j.max_value OR j.v < j.min_value) THEN 'exceeds'
		            WHEN count(j.v) > 0 THEN 'ok'
		            ELSE 'no_data' END
		  INTO state
		  FROM (SELECT _unit_convert(l.value, l.unit, g.unit) AS v, g.max_value, g.min_value
		          FROM (SELECT DISTINCT ON (s.parameter) s.parameter, s.value, s.unit
		                  FROM tailings.sample s
		                 WHERE s.element_id = _well_state.well
		                 ORDER BY s.parameter, s.sampled_on DESC, s.id DESC) l
		          JOIN tailings.gw_limit g ON g.parameter = l.parameter) j;
	ELSE
		SELECT CASE WHEN bool_or(j.v > j.max_value OR j.v < j.min_value) THEN 'exceeds'
		            WHEN count(j.v) > 0 THEN 'ok'
		            ELSE 'no_data' END
		  INTO state
		  FROM (SELECT _unit_convert(l.value, l.unit, g.unit) AS v, g.max_value, g.min_value
		          FROM (SELECT DISTINCT ON (s.parameter) s.parameter, s.value, s.unit
		                  FROM _samples_as_of(_well_state.at) s
		                 WHERE s.element_id = _well_state.well AND s.sampled_on <= _well_state.at::date
		                 ORDER BY s.parameter, s.sampled_on DESC, s.id DESC) l
		          JOIN tailings.gw_limit g ON g.parameter = l.parameter) j;
	END IF;
	RETURN state;
END
$$;
COMMENT ON FUNCTION _well_state(bigint, timestamptz) IS
	'exceeds, ok or no_data: the well''s latest values against gw_limit, now (at null) or as known at "at"';

-- Each groundwater well of the pond and each parameter sampled there: the
-- latest value (in its limit's unit), the limit, whether it is outside it,
-- and the latest value of the same parameter at the pond's background well
-- (本底井; the latest of them when there are several) with the ratio of the
-- two (none for pH, a logarithm).  A well without samples is one row without
-- a parameter.
CREATE FUNCTION monitoring_assessment(pond_id bigint)
	RETURNS TABLE (element_id bigint, kind element_kind, parameter text, sampled_on date, value double precision,
	               limit_max double precision, exceeds boolean, background double precision,
	               ratio_to_background double precision, limit_min double precision, unit text, name text)
	LANGUAGE plpgsql STABLE SET search_path FROM CURRENT
AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM tailings.pond p WHERE p.id = monitoring_assessment.pond_id) THEN
		RAISE EXCEPTION 'pond % does not exist', coalesce(monitoring_assessment.pond_id::text, 'null')
			USING ERRCODE = 'no_data_found', HINT = 'SELECT id, code, name FROM tailings.pond lists the ponds you can see.';
	END IF;
	RETURN QUERY
	WITH wells AS (
		SELECT e.id, e.kind, e.name
		  FROM tailings.element e
		 WHERE e.pond_id = monitoring_assessment.pond_id AND category(e.kind) = 'groundwater'),
	latest AS (
		SELECT DISTINCT ON (s.element_id, s.parameter) s.element_id, s.parameter, s.sampled_on, s.value, s.unit
		  FROM tailings.sample s JOIN wells w ON w.id = s.element_id
		 ORDER BY s.element_id, s.parameter, s.sampled_on DESC, s.id DESC),
	valued AS (
		SELECT l.element_id, l.parameter, l.sampled_on, g.max_value, g.min_value,
		       coalesce(g.unit, l.unit) AS vunit,
		       _unit_convert(l.value, l.unit, coalesce(g.unit, l.unit)) AS v
		  FROM latest l LEFT JOIN tailings.gw_limit g ON g.parameter = l.parameter),
	bg AS (
		SELECT DISTINCT ON (x.parameter) x.parameter, x.v, x.vunit
		  FROM valued x JOIN wells w ON w.id = x.element_id
		 WHERE w.kind = 'gw_background_well' AND x.v IS NOT NULL
		 ORDER BY x.parameter, x.sampled_on DESC, x.element_id)
	SELECT w.id, w.kind, x.parameter, x.sampled_on, x.v, x.max_value,
	       CASE WHEN x.v IS NOT NULL AND (x.max_value IS NOT NULL OR x.min_value IS NOT NULL)
	            THEN coalesce(x.v > x.max_value, false) OR coalesce(x.v < x.min_value, false) END,
	       b.v,
	       CASE WHEN x.parameter <> 'pH' AND b.v > 0 THEN x.v / b.v END,
	       x.min_value, x.vunit, w.name
	  FROM wells w
	  LEFT JOIN valued x ON x.element_id = w.id
	  LEFT JOIN LATERAL (SELECT _unit_convert(y.v, y.vunit, x.vunit) AS v FROM bg y WHERE y.parameter = x.parameter) b ON true
	 ORDER BY w.kind, w.id, x.parameter;
END
$$;
COMMENT ON FUNCTION monitoring_assessment(bigint) IS
	'each groundwater well of the pond and parameter: the latest value (in the limit''s unit), the GB/T 14848 class III '
	'limit, whether it exceeds it, the background well''s latest value of the parameter and the ratio to it';

SELECT pg_catalog.pg_extension_config_dump('sample', '');
SELECT pg_catalog.pg_extension_config_dump('sample_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('gw_limit', '');
SELECT pg_catalog.pg_extension_config_dump('gw_limit_id_seq', '');

---------------------------------------------------------------------------
-- Vector tiles: each well's groundwater state (gw_state, contract.h)
---------------------------------------------------------------------------
ALTER FUNCTION tile_fields() ROWS 57;

-- tile() checks its arguments and gives the map now (_tile_now) or as it was
-- at "at" (_tile_at).  The two are PL/pgSQL so that each query's plan is
-- prepared once per session and kept; they differ only in where the rows come
-- from (the tables, or the rows as of "at") and in the scores (none for a
-- past moment).  The tile's box in CGCS2000, with the buffer, is written out
-- in each filter rather than joined from a CTE, so that each filter is an
-- index condition on the GiST indexes; NOT MATERIALIZED lets the filters
-- reach into the tables.  The box filters use &&# (tailings.&&#), which row-level
-- security lets reach the spatial index too.  The features' properties are
-- those tile_fields() lists (contract.h); a well's gw_state is
-- _well_state()'s, from the samples (as they were at "at").
CREATE OR REPLACE FUNCTION _tile_now(z integer, x integer, y integer, layers text[])
	RETURNS bytea LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path FROM CURRENT SET jit = off
AS $tile$
DECLARE
	mvt bytea;
BEGIN
	WITH elems AS NOT MATERIALIZED (SELECT * FROM element),
	ponds AS NOT MATERIALIZED (SELECT * FROM pond),
	-- the ponds: drawn boundary from the element zoom on, else the registry point
	boundaries AS (
		SELECT e.pond_id, ST_Collect(e.geom) AS geom
		  FROM elems e
		 WHERE z >= _element_minzoom() AND e.kind = 'pond_boundary'
		   AND e.geom &&# ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)
		 GROUP BY e.pond_id),
	-- a pond with a drawn boundary: the boundary, and its registry point as an
	-- "anchor" (for the label and the groundwater flow arrow: one per pond,
	-- not one per tile piece); a pond without one: its registry point
	pond_shapes AS (
		SELECT p.*, b.geom AS shape, false AS anchor
		  FROM boundaries b JOIN ponds p ON p.id = b.pond_id
		UNION ALL
		SELECT p.*, p.location,
		       z >= _element_minzoom()
		       AND EXISTS (SELECT 1 FROM elems e WHERE e.pond_id = p.id AND e.kind = 'pond_boundary')
		  FROM ponds p
		 WHERE p.location &&# ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)),
	-- each pond's score and failed rules once, however many shapes it has here
	summaries AS MATERIALIZED (
		SELECT d.id, s.score, s.errors_failed
		  FROM (SELECT DISTINCT id FROM pond_shapes) d, LATERAL _pond_summary(d.id) s
		 WHERE layers IS NULL OR _ponds_layer() = ANY (layers)),
	-- the features' properties: tile_fields() (contract.h) lists them
	pond_features AS (
		SELECT CASE WHEN NOT p.anchor THEN p.id END AS id,	-- an anchor has no feature id
		       p.id AS pond_id, p.code, p.name, p.enterprise, p.county_code, p.supervision_level AS level,
		       p.status::text AS status, s.score, s.errors_failed AS failed, p.gw_flow_azimuth, p.anchor,
		       ST_AsMVTGeom(ST_Transform(p.shape, 3857), ST_TileEnvelope(z, x, y),
		                    _tile_extent(), _tile_buffer(), true) AS geom
		  FROM pond_shapes p JOIN summaries s USING (id)),
	element_features AS (
		SELECT category(e.kind) AS category, e.id, e.kind::text AS kind, e.name, e.pond_id,
		       e.source::text AS source, e.verified_on IS NOT NULL AS verified,
		       ST_AsMVTGeom(ST_Transform(e.geom, 3857), ST_TileEnvelope(z, x, y),
		                    _tile_extent(), _tile_buffer(), true) AS geom
		  FROM elems e
		 WHERE z >= _element_minzoom()
		   AND e.geom &&# ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)
		   AND category(e.kind) <> 'groundwater'
		   AND (layers IS NULL OR category(e.kind)::text = ANY (layers))),
	-- the groundwater layer's wells, with their state (gw_state)
	well_features AS (
		SELECT e.id, e.kind::text AS kind, e.name, e.pond_id,
		       e.source::text AS source, e.verified_on IS NOT NULL AS verified,
		       _well_state(e.id, NULL) AS gw_state,
		       ST_AsMVTGeom(ST_Transform(e.geom, 3857), ST_TileEnvelope(z, x, y),
		                    _tile_extent(), _tile_buffer(), true) AS geom
		  FROM elems e
		 WHERE z >= _element_minzoom()
		   AND e.geom &&# ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)
		   AND category(e.kind) = 'groundwater'
		   AND (layers IS NULL OR 'groundwater' = ANY (layers))),
	-- one layer of ponds, then one per category in catalog order
	layer_tiles AS (
		SELECT 0 AS ord, NULL::element_category AS category,
		       ST_AsMVT(f, _ponds_layer(), _tile_extent(), 'geom', 'id' ORDER BY f.pond_id, f.anchor) AS mvt
		  FROM pond_features f
		 WHERE f.geom IS NOT NULL
		HAVING count(*) > 0
		UNION ALL
		SELECT 1, ef.category, ST_AsMVT(f, ef.category::text, _tile_extent(), 'geom', 'id' ORDER BY f.id)
		  FROM element_features ef,
		       LATERAL (SELECT ef.id, ef.kind, ef.name, ef.pond_id, ef.source, ef.verified, ef.geom) f
		 WHERE ef.geom IS NOT NULL
		 GROUP BY ef.category
		UNION ALL
		SELECT 1, 'groundwater'::element_category,
		       ST_AsMVT(f, 'groundwater', _tile_extent(), 'geom', 'id' ORDER BY f.id)
		  FROM well_features f
		 WHERE f.geom IS NOT NULL
		HAVING count(*) > 0)
	SELECT coalesce(string_agg(lt.mvt, ''::bytea ORDER BY lt.ord, lt.category), ''::bytea) INTO mvt
	  FROM layer_tiles lt;
	RETURN mvt;
END
$tile$;

CREATE OR REPLACE FUNCTION _tile_at(z integer, x integer, y integer, layers text[], at timestamptz)
	RETURNS bytea LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path FROM CURRENT SET jit = off
AS $tile$
DECLARE
	mvt bytea;
BEGIN
	WITH elems AS NOT MATERIALIZED (SELECT * FROM _elements_as_of(at)),
	ponds AS NOT MATERIALIZED (SELECT * FROM _ponds_as_of(at)),
	-- the ponds: drawn boundary from the element zoom on, else the registry point
	boundaries AS (
		SELECT e.pond_id, ST_Collect(e.geom) AS geom
		  FROM elems e
		 WHERE z >= _element_minzoom() AND e.kind = 'pond_boundary'
		   AND e.geom &&# ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)
		 GROUP BY e.pond_id),
	-- a pond with a drawn boundary: the boundary, and its registry point as an
	-- "anchor" (for the label and the groundwater flow arrow: one per pond,
	-- not one per tile piece); a pond without one: its registry point
	pond_shapes AS (
		SELECT p.*, b.geom AS shape, false AS anchor
		  FROM boundaries b JOIN ponds p ON p.id = b.pond_id
		UNION ALL
		SELECT p.*, p.location,
		       z >= _element_minzoom()
		       AND EXISTS (SELECT 1 FROM elems e WHERE e.pond_id = p.id AND e.kind = 'pond_boundary')
		  FROM ponds p
		 WHERE p.location &&# ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)),
	-- a past moment has no scores
	summaries AS MATERIALIZED (
		SELECT DISTINCT id, NULL::real AS score, NULL::integer AS errors_failed
		  FROM pond_shapes
		 WHERE layers IS NULL OR _ponds_layer() = ANY (layers)),
	-- the features' properties: tile_fields() (contract.h) lists them
	pond_features AS (
		SELECT CASE WHEN NOT p.anchor THEN p.id END AS id,	-- an anchor has no feature id
		       p.id AS pond_id, p.code, p.name, p.enterprise, p.county_code, p.supervision_level AS level,
		       p.status::text AS status, s.score, s.errors_failed AS failed, p.gw_flow_azimuth, p.anchor,
		       ST_AsMVTGeom(ST_Transform(p.shape, 3857), ST_TileEnvelope(z, x, y),
		                    _tile_extent(), _tile_buffer(), true) AS geom
		  FROM pond_shapes p JOIN summaries s USING (id)),
	element_features AS (
		SELECT category(e.kind) AS category, e.id, e.kind::text AS kind, e.name, e.pond_id,
		       e.source::text AS source, e.verified_on IS NOT NULL AS verified,
		       ST_AsMVTGeom(ST_Transform(e.geom, 3857), ST_TileEnvelope(z, x, y),
		                    _tile_extent(), _tile_buffer(), true) AS geom
		  FROM elems e
		 WHERE z >= _element_minzoom()
		   AND e.geom &&# ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)
		   AND category(e.kind) <> 'groundwater'
		   AND (layers IS NULL OR category(e.kind)::text = ANY (layers))),
	-- the groundwater layer's wells, with their state (gw_state)
	well_features AS (
		SELECT e.id, e.kind::text AS kind, e.name, e.pond_id,
		       e.source::text AS source, e.verified_on IS NOT NULL AS verified,
		       _well_state(e.id, at) AS gw_state,
		       ST_AsMVTGeom(ST_Transform(e.geom, 3857), ST_TileEnvelope(z, x, y),
		                    _tile_extent(), _tile_buffer(), true) AS geom
		  FROM elems e
		 WHERE z >= _element_minzoom()
		   AND e.geom &&# ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)
		   AND category(e.kind) = 'groundwater'
		   AND (layers IS NULL OR 'groundwater' = ANY (layers))),
	-- one layer of ponds, then one per category in catalog order
	layer_tiles AS (
		SELECT 0 AS ord, NULL::element_category AS category,
		       ST_AsMVT(f, _ponds_layer(), _tile_extent(), 'geom', 'id' ORDER BY f.pond_id, f.anchor) AS mvt
		  FROM pond_features f
		 WHERE f.geom IS NOT NULL
		HAVING count(*) > 0
		UNION ALL
		SELECT 1, ef.category, ST_AsMVT(f, ef.category::text, _tile_extent(), 'geom', 'id' ORDER BY f.id)
		  FROM element_features ef,
		       LATERAL (SELECT ef.id, ef.kind, ef.name, ef.pond_id, ef.source, ef.verified, ef.geom) f
		 WHERE ef.geom IS NOT NULL
		 GROUP BY ef.category
		UNION ALL
		SELECT 1, 'groundwater'::element_category,
		       ST_AsMVT(f, 'groundwater', _tile_extent(), 'geom', 'id' ORDER BY f.id)
		  FROM well_features f
		 WHERE f.geom IS NOT NULL
		HAVING count(*) > 0)
	SELECT coalesce(string_agg(lt.mvt, ''::bytea ORDER BY lt.ord, lt.category), ''::bytea) INTO mvt
	  FROM layer_tiles lt;
	RETURN mvt;
END
$tile$;

---------------------------------------------------------------------------
-- The pond's file in one call (一库一档) (design §8)
--
-- pond_file(pond_id) gives the whole file of a pond as one JSON object, in
-- the session's language (tailings.language), for the API, the viewer's
-- file panel and the printed sheet:
--   basic        the registry row, its registry point, its score
--   ledger       the years, oldest first, each with its balance (ledger_balance)
--   documents    the papers, each with its kind's label, expired and expires_in_days
--   facilities   every element, a point on it, and its latest inspected state
--   hazards      newest found first, each with its checks and whether it is overdue
--   inspections  newest first, with their coverage (elements, visited, missed, to correct)
--   monitoring   monitoring_assessment's rows, and each well's series per parameter
--   completeness check_completeness's rows
--   changes      the pond's latest 50 changes of the change log
-- Every list is an array, empty when there is nothing.  It runs as the
-- caller: row-level security decides what it reads, and a pond the caller
-- does not see is SQLSTATE P0002, as a pond that does not exist.
---------------------------------------------------------------------------

-- The labels of the file's codes, in Chinese or English: the papers' kinds,
-- the ponds' statuses, the hazards' statuses and severities, the levels of
-- the finders, checkers and inspectors, and the states an inspector finds.
CREATE FUNCTION _file_label(domain text, code text, en boolean) RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT CASE WHEN _file_label.en THEN l.en ELSE l.zh END
	  FROM (VALUES
	        ('document', 'eia_approval', '环评批复', 'EIA approval'),
	        ('document', 'env_acceptance', '环保验收', 'Environmental acceptance'),
	        ('document', 'discharge_permit', '排污许可证', 'Discharge permit'),
	        ('document', 'emergency_plan', '突发环境事件应急预案', 'Environmental emergency plan'),
	        ('document', 'monitoring_plan', '自行监测方案', 'Self-monitoring plan'),
	        ('document', 'closure_design', '闭库设计', 'Closure design'),
	        ('document', 'closure_acceptance', '闭库验收', 'Closure acceptance'),
	        ('pond_status', 'in_use', '在用', 'In use'),
	        ('pond_status', 'suspended', '停用', 'Suspended'),
	        ('pond_status', 'closed', '闭库', 'Closed'),
	        ('hazard_status', 'open', '待整改', 'Open'),
	        ('hazard_status', 'rectifying', '整改中', 'Rectifying'),
	        ('hazard_status', 'rectified', '已整改待核查', 'Rectified, awaiting check'),
	        ('hazard_status', 'closed', '已销号', 'Closed'),
	        ('severity', 'general', '一般隐患', 'General'),
	        ('severity', 'major', '重大隐患', 'Major'),
	        ('level', 'enterprise', '企业', 'Enterprise'),
	        ('level', 'county', '县级', 'County'),
	        ('level', 'city', '市级', 'City'),
	        ('level', 'province', '省级', 'Province'),
	        ('level', 'ministry', '部级', 'Ministry'),
	        ('visit_state', 'normal', '正常', 'Normal'),
	        ('visit_state', 'abnormal', '异常', 'Abnormal'),
	        ('visit_state', 'out_of_service', '停用', 'Out of service'),
	        ('visit_state', 'not_found', '未找到', 'Not found')) AS l(domain, code, zh, en)
	 WHERE l.domain = _file_label.domain AND l.code = _file_label.code;
END;
COMMENT ON FUNCTION _file_label(text, text, boolean) IS
	'the Chinese or English label of a code of the pond''s file (document kinds, statuses, severities, levels, visit states)';

CREATE FUNCTION pond_file(pond_id bigint) RETURNS jsonb
	LANGUAGE plpgsql STABLE SET search_path FROM CURRENT
AS $$
DECLARE
	p tailings.pond;
	en constant boolean := coalesce(current_setting('tailings.language', true), 'zh') = 'en';
	today constant date := current_date;
	result jsonb;
BEGIN
	SELECT * INTO p FROM tailings.pond x WHERE x.id = pond_file.pond_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'pond % does not exist', coalesce(pond_file.pond_id::text, 'null')
			USING ERRCODE = 'no_data_found', HINT = 'SELECT id, code, name FROM tailings.pond lists the ponds you can see.';
	END IF;

	SELECT jsonb_build_object(
	-- the registry row, its point and its score
	'basic', (
		SELECT jsonb_build_object(
		           'id', p.id, 'code', p.code, 'name', p.name, 'enterprise', p.enterprise,
		           'enterprise_code', p.enterprise_code, 'county_code', p.county_code,
		           'supervision_level', p.supervision_level, 'status', p.status,
		           'status_label', _file_label('pond_status', p.status::text, en),
		           'lon', ST_X(p.location), 'lat', ST_Y(p.location), 'gw_flow_azimuth', p.gw_flow_azimuth,
		           'attrs', p.attrs, 'score', s.score, 'rules', s.rules, 'errors_failed', s.errors_failed,
		           'warnings_failed', s.warnings_failed,
		           'elements', (SELECT count(*) FROM tailings.element e WHERE e.pond_id = p.id))
		  FROM _pond_summary(p.id) s),
	-- the ledgers, oldest first, with the balance against the year before
	'ledger', coalesce((
		SELECT jsonb_agg(jsonb_build_object(
		           'year', l.year, 'produced_t', l.produced_t, 'stored_t', l.stored_t, 'reused_t', l.reused_t,
		           'stock_t', l.stock_t, 'return_water_m3', l.return_water_m3, 'discharged_m3', l.discharged_m3,
		           'leachate_m3', l.leachate_m3, 'leachate_treated_m3', l.leachate_treated_m3,
		           'reported_on', l.reported_on, 'late', l.reported_on > make_date(l.year + 1, 1, 31),
		           'previous_stock_t', b.previous_stock_t, 'expected_stock_t', b.expected_stock_t,
		           'difference_t', b.difference_t, 'tolerance_t', b.tolerance_t, 'consistent', b.consistent)
		           ORDER BY l.year)
		  FROM tailings.ledger l
		  LEFT JOIN tailings.ledger_balance b ON b.pond_id = l.pond_id AND b.year = l.year
		 WHERE l.pond_id = p.id), '[]'::jsonb),
	-- the papers, by kind, the latest first; expires_in_days is negative once expired
	'documents', coalesce((
		SELECT jsonb_agg(jsonb_build_object(
		           'id', d.id, 'kind', d.kind, 'kind_label', _file_label('document', d.kind, en),
		           'number', d.number, 'issued_on', d.issued_on, 'valid_until', d.valid_until, 'issuer', d.issuer,
		           'reviewed_on', _drawing_date(d.attrs -> 'reviewed_on'), 'attrs', d.attrs,
		           'expired', coalesce(d.valid_until < today, false), 'expires_in_days', d.valid_until - today,
		           'superseded', EXISTS (SELECT FROM tailings.document n
		                                  WHERE n.pond_id = d.pond_id AND n.kind = d.kind AND n.id <> d.id
		                                    AND n.issued_on > d.issued_on))
		           ORDER BY array_position(ARRAY['eia_approval', 'env_acceptance', 'discharge_permit', 'emergency_plan',
		                                         'monitoring_plan', 'closure_design', 'closure_acceptance'], d.kind),
		                    d.issued_on DESC NULLS LAST, d.id DESC)
		  FROM tailings.document d
		 WHERE d.pond_id = p.id), '[]'::jsonb),
	-- every element in catalog order, a point on it, and its latest visit (null: never inspected)
	'facilities', coalesce((
		SELECT jsonb_agg(jsonb_build_object(
		           'id', e.id, 'kind', e.kind, 'kind_label', label(e.kind), 'category', category(e.kind),
		           'category_label', label(category(e.kind)), 'name', e.name,
		           'lon', ST_X(g.pt), 'lat', ST_Y(g.pt), 'source', e.source, 'verified_on', e.verified_on,
		           'attrs', e.attrs, 'last_visit', v.visit)
		           ORDER BY e.kind, e.id)
		  FROM tailings.element e
		 CROSS JOIN LATERAL (SELECT ST_PointOnSurface(e.geom) AS pt) g
		  LEFT JOIN LATERAL (
		       SELECT jsonb_build_object(
		                  'inspection_id', i.id, 'level', i.level, 'level_label', _file_label('level', i.level, en),
		                  'campaign', i.campaign, 'state', x.state, 'state_label', _file_label('visit_state', x.state, en),
		                  'visited_at', x.visited_at, 'note', x.note,
		                  'offset_m', round(ST_Distance(x.position::geography, e.geom::geography, true)::numeric, 1)) AS visit
		         FROM tailings.inspection_visit x JOIN tailings.inspection i ON i.id = x.inspection_id
		        WHERE x.element_id = e.id
		        ORDER BY x.visited_at DESC, x.id DESC
		        LIMIT 1) v ON true
		 WHERE e.pond_id = p.id), '[]'::jsonb),
	-- the hazards, newest found first, with their checks (oldest first)
	'hazards', coalesce((
		SELECT jsonb_agg(jsonb_build_object(
		           'id', h.id, 'pond_id', h.pond_id, 'element_id', h.element_id, 'element_name', e.name,
		           'lon', ST_X(h.location), 'lat', ST_Y(h.location), 'found_on', h.found_on, 'found_by', h.found_by,
		           'found_level', h.found_level, 'found_level_label', _file_label('level', h.found_level, en),
		           'campaign', h.campaign, 'category', h.category,
		           'category_label', CASE WHEN h.category IS NOT NULL THEN label(h.category) END,
		           'severity', h.severity, 'severity_label', _file_label('severity', h.severity, en),
		           'description', h.description, 'deadline', h.deadline,
		           'status', h.status, 'status_label', _file_label('hazard_status', h.status, en),
		           'rectification', h.rectification, 'rectified_on', h.rectified_on,
		           'overdue', o.overdue, 'days_overdue', CASE WHEN o.overdue THEN today - h.deadline END,
		           'checks', coalesce((
		               SELECT jsonb_agg(jsonb_build_object(
		                          'id', c.id, 'hazard_id', c.hazard_id, 'checked_on', c.checked_on, 'level', c.level,
		                          'level_label', _file_label('level', c.level, en), 'checked_by', c.checked_by,
		                          'passed', c.passed, 'note', c.note)
		                          ORDER BY c.checked_on, c.id)
		                 FROM tailings.hazard_check c
		                WHERE c.hazard_id = h.id), '[]'::jsonb))
		           ORDER BY h.found_on DESC, h.id DESC)
		  FROM tailings.hazard h
		  LEFT JOIN tailings.element e ON e.id = h.element_id
		 CROSS JOIN LATERAL (SELECT h.status <> 'closed' AND coalesce(h.deadline < today, false) AS overdue) o
		 WHERE h.pond_id = p.id), '[]'::jsonb),
	-- the inspections, newest first, with their coverage
	'inspections', coalesce((
		SELECT jsonb_agg(jsonb_build_object(
		           'id', i.id, 'pond_id', i.pond_id, 'level', i.level, 'level_label', _file_label('level', i.level, en),
		           'campaign', i.campaign, 'inspector', i.inspector, 'started_on', i.started_on,
		           'finished_on', i.finished_on, 'elements', c.elements, 'visited', c.visited, 'missed', c.missed,
		           'to_correct', c.to_correct, 'missed_points', c.missed_points,
		           'positions_to_correct', c.positions_to_correct)
		           ORDER BY i.started_on DESC, i.id DESC)
		  FROM tailings.inspection i
		 CROSS JOIN LATERAL (
		       SELECT count(*) AS elements, count(*) FILTER (WHERE v.visited) AS visited,
		              count(*) FILTER (WHERE NOT v.visited) AS missed, count(*) FILTER (WHERE v.to_correct) AS to_correct,
		              coalesce(jsonb_agg(jsonb_build_object('element_id', v.element_id, 'kind', v.kind,
		                                                    'kind_label', label(v.kind), 'name', v.name)
		                                 ORDER BY v.element_id) FILTER (WHERE NOT v.visited), '[]'::jsonb) AS missed_points,
		              coalesce(jsonb_agg(jsonb_build_object('element_id', v.element_id, 'kind', v.kind,
		                                                    'kind_label', label(v.kind), 'name', v.name,
		                                                    'offset_m', round(v.offset_m::numeric, 1))
		                                 ORDER BY v.element_id) FILTER (WHERE v.to_correct), '[]'::jsonb) AS positions_to_correct
		         FROM inspection_coverage(i.id) v) c
		 WHERE i.pond_id = p.id), '[]'::jsonb),
	-- the wells: the latest values against class III and the background
	-- well, and each well's samples of each parameter over time (in the
	-- limit's unit, else in the unit of the latest sample when it converts)
	'monitoring', jsonb_build_object(
		'assessment', coalesce((
			SELECT jsonb_agg(jsonb_build_object(
			           'element_id', a.element_id, 'kind', a.kind, 'kind_label', label(a.kind), 'name', a.name,
			           'parameter', a.parameter,
			           'parameter_label', CASE WHEN en THEN g.label_en ELSE g.label_zh END,
			           'sampled_on', a.sampled_on, 'value', a.value, 'unit', a.unit, 'limit_max', a.limit_max,
			           'limit_min', a.limit_min, 'exceeds', a.exceeds, 'background', a.background,
			           'ratio_to_background', a.ratio_to_background)
			           ORDER BY a.ordinality)
			  FROM monitoring_assessment(p.id) WITH ORDINALITY a
			  LEFT JOIN tailings.gw_limit g ON g.parameter = a.parameter), '[]'::jsonb),
		'series', coalesce((
			SELECT jsonb_agg(jsonb_build_object(
			           'element_id', w.id, 'kind', w.kind, 'name', w.name,
			           'role', CASE _placement_role(w.kind) WHEN 'upstream_well' THEN 'upstream'
			                                                WHEN 'downstream_well' THEN 'downstream' END,
			           'parameter', t.parameter,
			           'parameter_label', CASE WHEN en THEN t.label_en ELSE t.label_zh END,
			           'unit', t.unit, 'limit_max', t.max_value, 'limit_min', t.min_value, 'series', t.points)
			           ORDER BY w.kind, w.id, t.parameter, t.unit)
			  FROM tailings.element w
			 CROSS JOIN LATERAL (
			       SELECT u.parameter, u.unit, max(u.label_zh) AS label_zh, max(u.label_en) AS label_en,
			              max(u.max_value) AS max_value, max(u.min_value) AS min_value,
			              jsonb_agg(jsonb_build_object('sampled_on', u.sampled_on, 'value', u.value)
			                        ORDER BY u.sampled_on, u.id) AS points
			         FROM (SELECT s.id, s.parameter, s.sampled_on, g.label_zh, g.label_en, g.max_value, g.min_value,
			                      CASE WHEN _unit_factor(s.unit, k.unit) IS NOT NULL THEN k.unit ELSE s.unit END AS unit,
			                      coalesce(_unit_convert(s.value, s.unit, k.unit), s.value) AS value
			                 FROM tailings.sample s
			                 LEFT JOIN tailings.gw_limit g ON g.parameter = s.parameter
			                CROSS JOIN LATERAL (
			                      SELECT coalesce(g.unit,
			                                      (SELECT z.unit FROM tailings.sample z
			                                        WHERE z.element_id = s.element_id AND z.parameter = s.parameter
			                                        ORDER BY z.sampled_on DESC, z.id DESC LIMIT 1)) AS unit) k
			                WHERE s.element_id = w.id) u
			        GROUP BY u.parameter, u.unit) t
			 WHERE w.pond_id = p.id AND category(w.kind) = 'groundwater'), '[]'::jsonb)),
	-- the completeness check, as check_completeness gives it
	'completeness', coalesce((
		SELECT jsonb_agg(jsonb_build_object(
		           'rule', c.rule, 'category', c.category,
		           'category_label', CASE WHEN c.category IS NOT NULL THEN label(c.category) END,
		           'required', c.required, 'present', c.present, 'passed', c.passed, 'severity', c.severity,
		           'message', c.message)
		           ORDER BY c.ordinality)
		  FROM check_completeness(p.id) WITH ORDINALITY c), '[]'::jsonb),
	-- the latest 50 changes of the pond, newest first
	'changes', coalesce((
		SELECT jsonb_agg(jsonb_build_object(
		           'id', c.id, 'changed_at', c.changed_at, 'actor', c.actor,
		           'table', regexp_replace(c.table_name, '^tailings\.', ''), 'op', c.op::text, 'row_id', c.row_id,
		           'changed', c.changed, 'moved_m', c.moved_m, 'submission_id', c.submission_id)
		           ORDER BY c.changed_at DESC, c.id DESC)
		  FROM (SELECT * FROM tailings.change_log x
		         WHERE x.pond_id = p.id
		         ORDER BY x.changed_at DESC, x.id DESC
		         LIMIT 50) c), '[]'::jsonb))
	  INTO result;
	RETURN result;
END
$$;
COMMENT ON FUNCTION pond_file(bigint) IS
	'the pond''s whole file (一库一档) as one JSON object in tailings.language: basic, ledger, documents, facilities, '
	'hazards, inspections, monitoring, completeness, changes; P0002 for a pond the caller does not see';
