-- The pond's file and the closed loop (design §8), first part: the annual
-- ledger and the papers with their checks; hazards and their checks, every
-- move of the state machine allowed and refused; hazard_overdue; who may do
-- what on each of the four tables; the file rules of the completeness check
-- in both languages.  In a database of its own, with its own ponds and
-- members.  The file rules depend on today's date: the data are made
-- relative to it, and the messages are shown with their dates as <date> and
-- their years named (<due year>, <due year-1>), the dates compared where
-- they matter.
\set test_db :DBNAME '_hazard'
\getenv abs_srcdir PG_ABS_SRCDIR
\set include :abs_srcdir '/include/own_db.sql'
\i :include
SET search_path = tailings, public;
\set SHOW_CONTEXT never
\set VERBOSITY default

-- the dates of a message as <date> and its years relative to the ledger due
-- (<due year>, <due year-1>): the output stays the same from day to day; the
-- dates themselves are compared where they matter
CREATE FUNCTION pg_temp.dates(message text) RETURNS text
	LANGUAGE plpgsql STABLE
AS $$
DECLARE
	due_year int := CASE WHEN extract(month FROM current_date) = 1 THEN extract(year FROM current_date) - 2
	                     ELSE extract(year FROM current_date) - 1 END;
BEGIN
	message := regexp_replace(message, '(?<![0-9])[0-9]{4}-[0-9]{2}-[0-9]{2}(?![0-9])', '<date>', 'g');
	FOR k IN -5 .. 2 LOOP
		message := regexp_replace(message, '(?<![0-9])' || (due_year + k) || '(?![0-9])',
		                          '<due year' || CASE WHEN k > 0 THEN '+' || k WHEN k < 0 THEN k::text ELSE '' END || '>', 'g');
	END LOOP;
	RETURN message;
END
$$;
-- an error as one line: SQLSTATE, message, column, detail, hint (or "no error")
CREATE FUNCTION pg_temp.fails(statement text) RETURNS text
	LANGUAGE plpgsql
AS $$
DECLARE
	state text;
	msg text;
	col text;
	detail text;
	hint text;
BEGIN
	EXECUTE statement;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, col = COLUMN_NAME,
		detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
	RETURN pg_temp.dates(state || ' ' || msg || coalesce(' | COLUMN: ' || nullif(col, ''), '')
	       || coalesce(' | DETAIL: ' || nullif(regexp_replace(detail, '^Failing row contains .*', ''), ''), '')
	       || coalesce(' | HINT: ' || nullif(hint, ''), ''));
END
$$;
-- a statement tried as a role and undone: "ok N" (rows) or the SQLSTATE
CREATE FUNCTION pg_temp.try_as(r name, statement text) RETURNS text
	LANGUAGE plpgsql
AS $$
DECLARE
	n bigint;
	result text;
BEGIN
	BEGIN
		EXECUTE format('SET LOCAL ROLE %I', r);
		EXECUTE statement;
		GET DIAGNOSTICS n = ROW_COUNT;
		result := 'ok ' || n;
		RAISE EXCEPTION 'undo' USING ERRCODE = 'ZZ001';
	EXCEPTION WHEN SQLSTATE 'ZZ001' THEN
		RETURN result;
	WHEN OTHERS THEN
		RETURN SQLSTATE;
	END;
END
$$;
-- the ledger due today: last year's, or in January the year before's
SELECT (CASE WHEN extract(month FROM current_date) = 1 THEN extract(year FROM current_date) - 2
             ELSE extract(year FROM current_date) - 1 END)::int AS due_year \gset
SELECT make_date(:due_year + 1, 1, 31) AS due_date \gset

---------------------------------------------------------------------------
-- Ponds, elements and members
---------------------------------------------------------------------------
INSERT INTO pond (code, name, enterprise, enterprise_code, county_code, supervision_level, status, location, gw_flow_azimuth)
VALUES ('HZ-1', '甲尾矿库', '甲矿业有限公司', '91510400MA00000014', '510411', 2, 'in_use',
        ST_SetSRID(ST_MakePoint(101.700, 26.500), 4490), 90),
       ('HZ-2', '乙尾矿库', '乙矿业有限公司', '91510400MA00000027', '510411', 3, 'suspended',
        ST_SetSRID(ST_MakePoint(101.800, 26.600), 4490), NULL),
       ('HZ-3', '丙尾矿库', '甲矿业有限公司', '91510400MA00000014', '510422', 3, 'closed',
        ST_SetSRID(ST_MakePoint(101.900, 26.700), 4490), NULL);
SELECT id AS p1 FROM pond WHERE code = 'HZ-1' \gset
SELECT id AS p2 FROM pond WHERE code = 'HZ-2' \gset
SELECT id AS p3 FROM pond WHERE code = 'HZ-3' \gset
INSERT INTO element (pond_id, kind, geom, name, verified_on) VALUES
 (:p1, 'dam', 'SRID=4490;LINESTRING(101.695 26.495,101.705 26.495)', '主坝', '2025-01-10'),
 (:p1, 'discharge_outlet', 'SRID=4490;POINT(101.706 26.494)', '1#排放口', '2025-01-10'),
 (:p1, 'leachate_pool', 'SRID=4490;POLYGON((101.701 26.493,101.702 26.493,101.702 26.494,101.701 26.493))', '渗滤液池', '2025-01-10'),
 (:p2, 'dam', 'SRID=4490;LINESTRING(101.795 26.595,101.805 26.595)', '乙主坝', '2025-01-10');
SELECT id AS dam1 FROM element WHERE name = '主坝' \gset
SELECT id AS outlet1 FROM element WHERE name = '1#排放口' \gset
SELECT id AS pool1 FROM element WHERE name = '渗滤液池' \gset
SELECT id AS dam2 FROM element WHERE name = '乙主坝' \gset

DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY '{regress_hz_ent1,regress_hz_ent2,regress_hz_county,regress_hz_county2,regress_hz_city,regress_hz_province,regress_hz_reader,regress_hz_nobody}'::text[] LOOP
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I LOGIN', r);
		END IF;
	END LOOP;
END
$$;
SELECT add_member('regress_hz_ent1', 'enterprise', '91510400MA00000014', '甲矿业有限公司 安全员'),
       add_member('regress_hz_ent2', 'enterprise', '91510400MA00000027', '乙矿业有限公司'),
       add_member('regress_hz_county', 'county', '510411', '仁和区生态环境分局 王工'),
       add_member('regress_hz_county2', 'county', '510422', '盐边县生态环境局'),
       add_member('regress_hz_city', 'city', '5104', '攀枝花市生态环境局 李科长'),
       add_member('regress_hz_province', 'province', '51', '四川省生态环境厅');
GRANT tailings_reader TO regress_hz_reader;
GRANT USAGE ON SCHEMA tailings TO regress_hz_nobody;

\d ledger
\d document
\d hazard
\d hazard_check

---------------------------------------------------------------------------
-- 1. The ledger: the enterprise reports it; amounts not below zero (23514
-- naming the column); the year not in the future; reported_on stamped
---------------------------------------------------------------------------
SET ROLE regress_hz_ent1;
INSERT INTO ledger (pond_id, year, produced_t, stored_t, reused_t, stock_t, return_water_m3, discharged_m3,
                    leachate_m3, leachate_treated_m3)
VALUES (:p1, :due_year, 520000, 410000, 110000, 12410000, 1800000, 0, 36000, 36000)
RETURNING year = :due_year AS due_year, reported_on = current_date AS reported_today, produced_t, stock_t;
SELECT pg_temp.fails(format('INSERT INTO tailings.ledger (pond_id, year, produced_t) VALUES (%s, %s, -1)', :p1, :due_year - 1));
SELECT pg_temp.fails(format('INSERT INTO tailings.ledger (pond_id, year, leachate_treated_m3) VALUES (%s, %s, %L)', :p1, :due_year - 1, 'NaN'));
SELECT pg_temp.fails(format('INSERT INTO tailings.ledger (pond_id, year, stock_t) VALUES (%s, %s, %L)', :p1, :due_year - 1, 'Infinity'));
SELECT pg_temp.fails(format('UPDATE tailings.ledger SET reused_t = -0.5 WHERE pond_id = %s', :p1));
-- the year not begun, and the day reported: the member's is today's
SELECT pg_temp.fails(format('INSERT INTO tailings.ledger (pond_id, year) VALUES (%s, %s)', :p1,
                            extract(year FROM current_date) + 1));
SELECT pg_temp.fails(format('INSERT INTO tailings.ledger (pond_id, year, reported_on) VALUES (%s, %s, %L)', :p1, :due_year - 1, '2020-01-01'));
SELECT pg_temp.fails(format('UPDATE tailings.ledger SET reported_on = %L WHERE pond_id = %s', '2020-01-01', :p1));
-- a second report of the year is an update
SELECT pg_temp.fails(format('INSERT INTO tailings.ledger (pond_id, year) VALUES (%s, %s)', :p1, :due_year));
-- another enterprise's pond
SELECT pg_temp.fails(format('INSERT INTO tailings.ledger (pond_id, year) VALUES (%s, %s)', :p2, :due_year));
RESET ROLE;
-- the constraints hold without the trigger's words too
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'ledger'::regclass AND contype = 'c' ORDER BY conname;
-- a day reported before the year began, or in the future
SELECT pg_temp.fails(format('UPDATE tailings.ledger SET reported_on = %L WHERE pond_id = %s',
                            make_date(:due_year - 1, 12, 31), :p1));
SELECT pg_temp.fails(format('UPDATE tailings.ledger SET reported_on = current_date + 2 WHERE pond_id = %s', :p1));

---------------------------------------------------------------------------
-- 2. Stock against the year before (a warning, never a refusal): within 1%
-- of the expected stock, at least 100 t
---------------------------------------------------------------------------
-- the year before: 12,000,000 t; this year 12,000,000 + 410,000 - 110,000 = 12,300,000 expected,
-- 12,410,000 reported: 110,000 t off, tolerance 123,000 t
INSERT INTO ledger (pond_id, year, produced_t, stored_t, reused_t, stock_t, reported_on)
VALUES (:p1, :due_year - 1, 500000, 400000, 100000, 12000000, make_date(:due_year, 1, 20)),
       (:p1, :due_year - 2, 480000, 380000, 100000, 11000000, make_date(:due_year - 1, 1, 25)),
       (:p1, :due_year - 3, NULL, NULL, NULL, NULL, make_date(:due_year - 2, 1, 25));
SELECT year - :due_year AS year, previous_stock_t, stored_t, reused_t, expected_stock_t, stock_t, difference_t,
       tolerance_t, consistent
  FROM ledger_balance ORDER BY year;
-- a small pond: at least 100 t; exactly at the tolerance is consistent, beyond it not
INSERT INTO ledger (pond_id, year, stored_t, reused_t, stock_t) VALUES
 (:p2, :due_year - 2, 0, 0, 5000), (:p2, :due_year - 1, 20, NULL, 5120), (:p2, :due_year, 0, 0, 5019);
SELECT year - :due_year AS year, expected_stock_t, stock_t, difference_t, tolerance_t, consistent
  FROM ledger_balance WHERE pond_id = :p2 ORDER BY year;

---------------------------------------------------------------------------
-- 3. The papers: filed by the enterprise or a bureau, removed by a bureau
---------------------------------------------------------------------------
SET ROLE regress_hz_ent1;
INSERT INTO document (pond_id, kind, number, issued_on, valid_until, issuer)
VALUES (:p1, 'eia_approval', '攀环审〔2012〕45号', '2012-06-01', NULL, '攀枝花市环境保护局')
RETURNING kind, number, issued_on, valid_until;
SELECT pg_temp.fails(format('INSERT INTO tailings.document (pond_id, kind) VALUES (%s, %L)', :p1, 'business_licence'));
SELECT pg_temp.fails(format('INSERT INTO tailings.document (pond_id, kind, issued_on, valid_until) VALUES (%s, %L, %L, %L)',
                            :p1, 'discharge_permit', '2024-01-01', '2023-12-31'));
SELECT pg_temp.fails(format('INSERT INTO tailings.document (pond_id, kind, issued_on) VALUES (%s, %L, current_date + 2)',
                            :p1, 'emergency_plan'));
SELECT pg_temp.fails(format('INSERT INTO tailings.document (pond_id, kind, issued_on, attrs) VALUES (%s, %L, %L, %L)',
                            :p1, 'emergency_plan', '2024-01-01', '{"reviewed_on": "2023-12-01"}'));
SELECT pg_temp.fails(format('INSERT INTO tailings.document (pond_id, kind, issued_on, attrs) VALUES (%s, %L, %L, %L)',
                            :p1, 'emergency_plan', '2024-01-01', '{"reviewed_on": "soon"}'));
SELECT pg_temp.fails(format('INSERT INTO tailings.document (pond_id, kind, number) VALUES (%s, %L, %L)', :p1, 'emergency_plan', ' '));
SELECT pg_temp.fails(format('INSERT INTO tailings.document (pond_id, kind) VALUES (%s, %L)', :p2, 'emergency_plan'));
-- an enterprise does not remove a paper
SELECT pg_temp.fails(format('DELETE FROM tailings.document WHERE pond_id = %s', :p1));
RESET ROLE;
SET ROLE regress_hz_county;
INSERT INTO document (pond_id, kind, number, issued_on, issuer) VALUES (:p1, 'monitoring_plan', '错误录入', '2024-01-01', '县局')
RETURNING kind, number;
DELETE FROM document WHERE number = '错误录入' RETURNING kind, number;
RESET ROLE;

---------------------------------------------------------------------------
-- 4. Who may do what: every role on every operation of the four tables
-- (each statement undone; "ok N": N rows, 0 when row-level security hides
-- them; else the SQLSTATE)
---------------------------------------------------------------------------
INSERT INTO hazard (pond_id, found_level, found_by, description, deadline)
VALUES (:p1, 'county', '仁和区生态环境分局 王工', '回水管穿越农田段未设套管', current_date + 30)
RETURNING id AS h_open \gset
INSERT INTO document (pond_id, kind, number, issued_on) VALUES (:p1, 'monitoring_plan', 'JC-2024-01', '2024-02-01');
CREATE TEMP TABLE matrix (ord int, tbl text, op text, statement text);
GRANT SELECT ON matrix TO PUBLIC;
INSERT INTO matrix VALUES
 (1, 'ledger', 'SELECT', format('SELECT * FROM tailings.ledger WHERE pond_id = %s', :p1)),
 (2, 'ledger', 'INSERT', format('INSERT INTO tailings.ledger (pond_id, year, produced_t) VALUES (%s, %s, 1)', :p1, :due_year - 4)),
 (3, 'ledger', 'UPDATE', format('UPDATE tailings.ledger SET produced_t = 1 WHERE pond_id = %s AND year = %s', :p1, :due_year)),
 (4, 'ledger', 'DELETE', format('DELETE FROM tailings.ledger WHERE pond_id = %s AND year = %s', :p1, :due_year)),
 (5, 'document', 'SELECT', format('SELECT * FROM tailings.document WHERE pond_id = %s', :p1)),
 (6, 'document', 'INSERT', format('INSERT INTO tailings.document (pond_id, kind) VALUES (%s, %L)', :p1, 'closure_design')),
 (7, 'document', 'UPDATE', format('UPDATE tailings.document SET issuer = %L WHERE pond_id = %s AND kind = %L', 'x', :p1, 'monitoring_plan')),
 (8, 'document', 'DELETE', format('DELETE FROM tailings.document WHERE pond_id = %s AND kind = %L', :p1, 'monitoring_plan')),
 (9, 'hazard', 'SELECT', format('SELECT * FROM tailings.hazard WHERE pond_id = %s', :p1)),
 (10, 'hazard', 'INSERT', format('INSERT INTO tailings.hazard (pond_id, description) VALUES (%s, %L)', :p1, '坝面裂缝')),
 (11, 'hazard', 'UPDATE description', format('UPDATE tailings.hazard SET description = %L WHERE id = %s', '回水管穿越农田段无套管', :h_open)),
 (12, 'hazard', 'UPDATE deadline', format('UPDATE tailings.hazard SET deadline = deadline + 10 WHERE id = %s', :h_open)),
 (13, 'hazard', 'UPDATE rectification', format('UPDATE tailings.hazard SET rectification = %L WHERE id = %s', '加装套管', :h_open)),
 (14, 'hazard', 'UPDATE to rectifying', format('UPDATE tailings.hazard SET status = %L WHERE id = %s', 'rectifying', :h_open)),
 (15, 'hazard', 'DELETE', format('DELETE FROM tailings.hazard WHERE id = %s', :h_open)),
 (16, 'hazard_check', 'SELECT', format('SELECT * FROM tailings.hazard_check WHERE pond_id = %s', :p1)),
 (17, 'hazard_check', 'INSERT', format('INSERT INTO tailings.hazard_check (hazard_id, passed, note) VALUES (%s, false, %L)', :h_open, '未整改')),
 (18, 'hazard_check', 'UPDATE', 'UPDATE tailings.hazard_check SET note = ''x'''),
 (19, 'hazard_check', 'DELETE', 'DELETE FROM tailings.hazard_check'),
 (20, 'ledger_balance', 'SELECT', format('SELECT * FROM tailings.ledger_balance WHERE pond_id = %s', :p1)),
 (21, 'hazard_overdue', 'SELECT', 'SELECT * FROM tailings.hazard_overdue');
-- a check to update and delete (a failed check of an open hazard leaves it open)
INSERT INTO hazard_check (hazard_id, level, checked_by, passed, note) VALUES (:h_open, 'county', '王工', false, '尚未整改');
SELECT tbl, op,
       pg_temp.try_as('regress_hz_ent1', statement) AS ent1,
       pg_temp.try_as('regress_hz_ent2', statement) AS ent2,
       pg_temp.try_as('regress_hz_county', statement) AS county,
       pg_temp.try_as('regress_hz_county2', statement) AS county2,
       pg_temp.try_as('regress_hz_city', statement) AS city,
       pg_temp.try_as('regress_hz_province', statement) AS province,
       pg_temp.try_as('regress_hz_reader', statement) AS reader,
       pg_temp.try_as('regress_hz_nobody', statement) AS nobody
  FROM matrix ORDER BY ord;
SELECT status FROM hazard WHERE id = :h_open;

---------------------------------------------------------------------------
-- 5. Recording a hazard: at the member's own level, open, at an element of
-- its pond or a position within 5 km
---------------------------------------------------------------------------
SET ROLE regress_hz_ent1;
INSERT INTO hazard (pond_id, element_id, campaign, severity, description, found_on)
VALUES (:p1, :pool1, '2025年汛前隐患排查', 'general', '渗滤液池防渗膜局部破损', current_date - 20)
RETURNING id AS h_self, found_level, found_by, status, category, ST_AsText(location) AS location,
          ST_Intersects(location, (SELECT geom FROM element WHERE id = :pool1)) AS on_the_pool \gset
SELECT :'found_level' AS found_level, :'found_by' AS found_by, :'status' AS status, :'category' AS category,
       :'on_the_pool' AS on_the_pool;
-- an enterprise records its own self-checks only
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard (pond_id, found_level, description) VALUES (%s, %L, %L)',
                            :p1, 'county', '坝面冲沟'));
-- an element of another pond, seen or not
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard (pond_id, element_id, description) VALUES (%s, %s, %L)',
                            :p1, :dam2, '坝面冲沟'));
RESET ROLE;
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard (pond_id, element_id, found_level, description) VALUES (%s, %s, %L, %L)',
                            :p1, :dam2, 'county', '坝面冲沟'));
SET ROLE regress_hz_county;
-- the county's own level, by default; not another's
INSERT INTO hazard (pond_id, location, description, severity, deadline, found_on)
VALUES (:p1, 'SRID=4490;POINT(101.703 26.497)', '坝体下游坡渗水', 'major', current_date + 15, current_date - 10)
RETURNING id AS h_county, found_level, found_by, element_id IS NULL AS no_element, category IS NULL AS no_category \gset
SELECT :'found_level' AS found_level, :'found_by' AS found_by, :'no_element' AS no_element, :'no_category' AS no_category;
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard (pond_id, found_level, description) VALUES (%s, %L, %L)',
                            :p1, 'city', '坝面冲沟'));
-- where: within 5 km, longitude first, a point of CGCS2000
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard (pond_id, location, description) VALUES (%s, %L, %L)',
                            :p1, 'SRID=4490;POINT(101.76 26.50)', '远处'));
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard (pond_id, location, description) VALUES (%s, %L, %L)',
                            :p1, 'SRID=4490;POINT(26.50 101.70)', '颠倒'));
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard (pond_id, location, description) VALUES (%s, %L, %L)',
                            :p1, 'SRID=4490;POINT EMPTY', '空'));
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard (pond_id, location, description) VALUES (%s, %L, %L)',
                            :p1, 'SRID=4326;POINT(101.70 26.50)', 'WGS 84'));
-- when: not in the future; the deadline not before
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard (pond_id, description, found_on) VALUES (%s, %L, current_date + 2)',
                            :p1, '明天'));
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard (pond_id, description, found_on, deadline) VALUES (%s, %L, %L, %L)',
                            :p1, '期限', '2026-03-01', '2026-02-01'));
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard (pond_id, description) VALUES (%s, %L)', :p1, ' '));
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard (pond_id, description, severity) VALUES (%s, %L, %L)', :p1, '坝面', 'critical'));
-- recorded open, not further on
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard (pond_id, description, status) VALUES (%s, %L, %L)', :p1, '已整改', 'rectified'));
RESET ROLE;
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard (pond_id, found_level, description, status, rectification, rectified_on) VALUES (%s, %L, %L, %L, %L, current_date)',
                            :p1, 'county', '已整改', 'rectified', '已处理'));
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard (pond_id, found_level, description, rectified_on) VALUES (%s, %L, %L, current_date)',
                            :p1, 'county', '已整改'));
-- a province records its own and the ministry's
SET ROLE regress_hz_province;
INSERT INTO hazard (pond_id, found_level, description, campaign) VALUES (:p1, 'ministry', '未按要求开展地下水监测', '2025年汛前隐患排查')
RETURNING found_level, found_by;
RESET ROLE;
-- a hazard stays with its pond
SELECT pg_temp.fails(format('UPDATE tailings.hazard SET pond_id = %s WHERE id = %s', :p2, :h_county));

---------------------------------------------------------------------------
-- 6. The state machine: every move from every status, as a role without a
-- member row (the state machine only); then who may make the allowed ones
---------------------------------------------------------------------------
-- a hazard in each status (as the owner: the moves are the same)
CREATE FUNCTION pg_temp.hazard_in(wanted text, element bigint DEFAULT NULL) RETURNS bigint
	LANGUAGE plpgsql
AS $$
DECLARE
	h bigint;
BEGIN
	INSERT INTO tailings.hazard (pond_id, element_id, found_level, found_by, description, found_on)
	SELECT p.id, element, 'county', '测试', '状态测试：' || wanted, current_date - 60 FROM tailings.pond p WHERE p.code = 'HZ-1'
	RETURNING id INTO h;
	IF wanted <> 'open' THEN
		UPDATE tailings.hazard SET status = 'rectifying', rectification = '处理中' WHERE id = h;
	END IF;
	IF wanted IN ('rectified', 'closed') THEN
		UPDATE tailings.hazard SET status = 'rectified', rectification = '已处理', rectified_on = current_date - 10 WHERE id = h;
	END IF;
	IF wanted = 'closed' THEN
		INSERT INTO tailings.hazard_check (hazard_id, level, checked_by, passed, checked_on) VALUES (h, 'city', '测试', true, current_date - 5);
	END IF;
	RETURN h;
END
$$;
CREATE FUNCTION pg_temp.move(h bigint, status text) RETURNS text
	LANGUAGE plpgsql
AS $$
DECLARE
	state text;
	msg text;
BEGIN
	EXECUTE format('UPDATE tailings.hazard SET status = %L WHERE id = %s', status, h);
	RETURN 'moved';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
	RETURN pg_temp.dates(state || ' ' || regexp_replace(msg, 'hazard [0-9]+', 'hazard #', 'g'));
END
$$;
SELECT f AS "from", t AS "to", pg_temp.move(pg_temp.hazard_in(f), t) AS status_only
  FROM unnest('{open,rectifying,rectified,closed}'::text[]) WITH ORDINALITY a(f, i),
       unnest('{open,rectifying,rectified,closed,done}'::text[]) WITH ORDINALITY b(t, j)
 WHERE f <> t
 ORDER BY i, j;
-- the allowed moves, named in DETAIL, from each status
SELECT f AS "from", regexp_replace(pg_temp.fails(format('UPDATE tailings.hazard SET status = %L WHERE id = %s', 'open', pg_temp.hazard_in(f))),
                                   'hazard [0-9]+', 'hazard #', 'g') AS refused
  FROM unnest('{rectifying,rectified,closed}'::text[]) f;
SELECT pg_temp.fails(format('UPDATE tailings.hazard SET status = %L WHERE id = %s', 'closed', pg_temp.hazard_in('open'))) ~ 'From open it moves to rectifying' AS names_the_move;

-- open -> rectifying: the enterprise (not a bureau: it checks)
SET ROLE regress_hz_county;
SELECT pg_temp.fails(format('UPDATE tailings.hazard SET status = %L WHERE id = %s', 'rectifying', :h_county));
RESET ROLE;
SET ROLE regress_hz_ent1;
-- (rectified_on comes with rectified)
SELECT pg_temp.fails(format('UPDATE tailings.hazard SET status = %L, rectified_on = current_date WHERE id = %s', 'rectifying', :h_county));
SELECT pg_temp.fails(format('UPDATE tailings.hazard SET rectified_on = current_date WHERE id = %s', :h_county));
UPDATE hazard SET status = 'rectifying', rectification = '下游坡设置反滤层并加强观测' WHERE id = :h_county
RETURNING status, rectification, rectified_on;
-- rectifying -> rectified: the enterprise, with what was done and when
SELECT pg_temp.fails(format('UPDATE tailings.hazard SET status = %L, rectification = NULL, rectified_on = current_date WHERE id = %s', 'rectified', :h_county));
SELECT pg_temp.fails(format('UPDATE tailings.hazard SET status = %L WHERE id = %s', 'rectified', :h_county));
SELECT pg_temp.fails(format('UPDATE tailings.hazard SET status = %L, rectified_on = current_date + 2 WHERE id = %s', 'rectified', :h_county));
SELECT pg_temp.fails(format('UPDATE tailings.hazard SET status = %L, rectified_on = current_date - 11 WHERE id = %s', 'rectified', :h_county));
-- an enterprise changes nothing else of its hazards
SELECT pg_temp.fails(format('UPDATE tailings.hazard SET deadline = NULL WHERE id = %s', :h_county));
RESET ROLE;
SET ROLE regress_hz_city;
SELECT pg_temp.fails(format('UPDATE tailings.hazard SET status = %L WHERE id = %s', 'rectified', :h_county));
RESET ROLE;
SET ROLE regress_hz_ent1;
UPDATE hazard SET status = 'rectified', rectified_on = current_date - 3 WHERE id = :h_county
RETURNING status, rectified_on = current_date - 3 AS rectified_3_days_ago;
-- awaiting its check, the rectification stays as it is
SELECT pg_temp.fails(format('UPDATE tailings.hazard SET rectification = %L WHERE id = %s', '另行处理', :h_county));
SELECT pg_temp.fails(format('UPDATE tailings.hazard SET rectified_on = current_date WHERE id = %s', :h_county));
-- and only a check moves it on
SELECT pg_temp.fails(format('UPDATE tailings.hazard SET status = %L WHERE id = %s', 'closed', :h_county));
SELECT pg_temp.fails(format('UPDATE tailings.hazard SET status = %L WHERE id = %s', 'rectifying', :h_county));
RESET ROLE;

---------------------------------------------------------------------------
-- 7. Checks: by a county or higher, at its level; a passed one needs a
-- rectification to pass; a failed one says what is wrong; dated on or after
-- the rectification; never changed nor deleted
---------------------------------------------------------------------------
SET ROLE regress_hz_ent1;
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard_check (hazard_id, passed) VALUES (%s, true)', :h_county));
RESET ROLE;
SET ROLE regress_hz_county;
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard_check (hazard_id, level, passed) VALUES (%s, %L, true)', :h_county, 'city'));
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard_check (hazard_id, passed) VALUES (%s, false)', :h_county));
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard_check (hazard_id, passed, note) VALUES (%s, false, %L)', :h_county, '  '));
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard_check (hazard_id, passed, checked_on) VALUES (%s, true, current_date - 4)', :h_county));
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard_check (hazard_id, passed, checked_on) VALUES (%s, true, current_date + 2)', :h_county));
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard_check (hazard_id, passed) VALUES (%s, true)', :h_self));
SELECT pg_temp.fails('INSERT INTO tailings.hazard_check (hazard_id, passed) VALUES (999999, true)');
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard_check (hazard_id, passed, pond_id) VALUES (%s, true, %s)', :h_county, :p2));
RESET ROLE;
-- another county's inspector does not see it
SET ROLE regress_hz_county2;
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard_check (hazard_id, passed) VALUES (%s, true)', :h_county));
RESET ROLE;
-- before it was found; a level that is no bureau's
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard_check (hazard_id, level, checked_by, passed, note, checked_on) VALUES (%s, %L, %L, false, %L, current_date - 30)',
                            :h_county, 'county', 'x', '早于发现'));
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard_check (hazard_id, level, checked_by, passed) VALUES (%s, %L, %L, true)',
                            :h_county, 'enterprise', 'x'));
-- a failed check of the rectification returns the hazard to rectifying
SET ROLE regress_hz_county;
INSERT INTO hazard_check (hazard_id, passed, note) VALUES (:h_county, false, '反滤层未完工，坡脚仍有渗水')
RETURNING level, checked_by, checked_on = current_date AS today, pond_id = :p1 AS pond_copied;
SELECT status, rectification, rectified_on FROM hazard WHERE id = :h_county;
RESET ROLE;
-- the second rectification: finished on or after the failed check
SET ROLE regress_hz_ent1;
SELECT pg_temp.fails(format('UPDATE tailings.hazard SET status = %L, rectified_on = current_date - 1 WHERE id = %s', 'rectified', :h_county));
UPDATE hazard SET status = 'rectified', rectification = '反滤层完工，坡脚渗水消失', rectified_on = current_date WHERE id = :h_county
RETURNING status;
RESET ROLE;
-- a passed check by the city closes it
SET ROLE regress_hz_city;
INSERT INTO hazard_check (hazard_id, passed, note) VALUES (:h_county, true, '现场核查，渗水消失') RETURNING level, checked_by;
SELECT status, rectified_on = current_date AS rectified_today FROM hazard WHERE id = :h_county;
RESET ROLE;
-- closed is final: nothing changes it, no check reaches it
SET ROLE regress_hz_county;
SELECT pg_temp.fails(format('UPDATE tailings.hazard SET description = %L WHERE id = %s', '改', :h_county));
SELECT pg_temp.fails(format('UPDATE tailings.hazard SET status = %L WHERE id = %s', 'rectifying', :h_county));
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard_check (hazard_id, passed, note) VALUES (%s, false, %L)', :h_county, '复发'));
RESET ROLE;
-- nobody changes or deletes a check, the owner neither; nobody truncates the tables
SELECT pg_temp.fails(format('UPDATE tailings.hazard_check SET passed = false WHERE hazard_id = %s', :h_county));
SELECT pg_temp.fails(format('DELETE FROM tailings.hazard_check WHERE hazard_id = %s', :h_county));
SELECT pg_temp.fails('TRUNCATE tailings.hazard_check');
SELECT pg_temp.fails('TRUNCATE tailings.hazard, tailings.hazard_check');
SELECT pg_temp.fails('TRUNCATE tailings.ledger');
SELECT pg_temp.fails('TRUNCATE tailings.document');
-- a hazard with checks is not deleted
SELECT pg_temp.fails(format('DELETE FROM tailings.hazard WHERE id = %s', :h_county));
-- a province checks at its level or the ministry's
SELECT pg_temp.hazard_in('rectified') AS h_prov \gset
SET ROLE regress_hz_province;
INSERT INTO hazard_check (hazard_id, level, passed) VALUES (:h_prov, 'ministry', true) RETURNING level, checked_by;
SELECT status FROM hazard WHERE id = :h_prov;
RESET ROLE;
-- the element a hazard is at may still be removed (closed or not): the hazard keeps its position
SELECT id AS h_pool FROM hazard WHERE element_id = :pool1 \gset
SELECT pg_temp.hazard_in('closed', :pool1) AS h_closed_at_pool \gset
SELECT pg_temp.fails(format('UPDATE tailings.hazard SET element_id = %s WHERE id = %s', :dam1, :h_closed_at_pool));
SET ROLE regress_hz_county;
DELETE FROM element WHERE id = :pool1;
RESET ROLE;
SELECT id = :h_pool AS self_check_hazard, element_id, location IS NOT NULL AS position_kept, status
  FROM hazard WHERE id IN (:h_pool, :h_closed_at_pool) ORDER BY id;

---------------------------------------------------------------------------
-- 8. The closed loop of the issue, with its history: an enterprise's
-- self-check finds it, the enterprise rectifies, a county check fails it,
-- the second rectification passes a city check, the hazard closes
---------------------------------------------------------------------------
SELECT max(id) AS log_before FROM change_log \gset
SET ROLE regress_hz_ent1;
INSERT INTO hazard (pond_id, element_id, description, severity, campaign)
VALUES (:p1, :dam1, '坝顶排水沟淤堵', 'general', '2025年汛前隐患排查') RETURNING id AS h_loop \gset
UPDATE hazard SET status = 'rectifying', rectification = '清淤' WHERE id = :h_loop;
UPDATE hazard SET status = 'rectified', rectified_on = current_date WHERE id = :h_loop;
RESET ROLE;
SET ROLE regress_hz_county;
UPDATE hazard SET deadline = current_date + 30 WHERE id = :h_loop;
INSERT INTO hazard_check (hazard_id, passed, note) VALUES (:h_loop, false, '下游段仍淤堵');
RESET ROLE;
SET ROLE regress_hz_ent1;
UPDATE hazard SET status = 'rectified', rectification = '全段清淤并加设沉砂池', rectified_on = current_date WHERE id = :h_loop;
RESET ROLE;
SET ROLE regress_hz_city;
INSERT INTO hazard_check (hazard_id, passed, note) VALUES (:h_loop, true, '全段畅通');
RESET ROLE;
SELECT c.table_name, c.op, c.actor, c.session_role, c.changed,
       coalesce(c.new_row, c.old_row) ->> 'status' AS status, c.new_row ->> 'passed' AS passed,
       c.pond_id = :p1 AS pond, c.row_id = :h_loop OR (c.new_row ->> 'hazard_id')::bigint = :h_loop AS of_the_hazard
  FROM change_log c
 WHERE c.id > :log_before
 ORDER BY c.id;
-- the history of a pond's file is its pond's: another enterprise sees none of it
SET ROLE regress_hz_ent2;
SELECT count(*) AS ent2_sees FROM change_log
 WHERE table_name IN ('tailings.hazard', 'tailings.hazard_check', 'tailings.ledger', 'tailings.document') AND pond_id = :p1;
RESET ROLE;
SET ROLE regress_hz_ent1;
SELECT table_name, count(*) > 0 AS ent1_sees FROM change_log
 WHERE table_name IN ('tailings.hazard', 'tailings.hazard_check', 'tailings.ledger', 'tailings.document')
 GROUP BY 1 ORDER BY 1;
RESET ROLE;
SELECT relid, builtin FROM tracked_table WHERE relid::text IN ('ledger', 'document', 'hazard', 'hazard_check') ORDER BY 1;

---------------------------------------------------------------------------
-- 9. Overdue hazards and campaigns by name
---------------------------------------------------------------------------
INSERT INTO hazard (pond_id, found_level, found_by, description, found_on, deadline) VALUES
 (:p1, 'city', '市局', '逾期：昨日到期', current_date - 40, current_date - 1),
 (:p1, 'city', '市局', '今日到期', current_date - 40, current_date),
 (:p1, 'city', '市局', '未定期限', current_date - 40, NULL),
 (:p2, 'county', '区局', '逾期：乙库', current_date - 100, current_date - 31);
SELECT pg_temp.hazard_in('rectified') AS h_late_rectified \gset
UPDATE hazard SET deadline = current_date - 20, description = '逾期：已整改待核查' WHERE id = :h_late_rectified;
-- (a closed hazard past its deadline is not overdue)
SELECT pg_temp.hazard_in('open') AS h_late_closed \gset
UPDATE hazard SET deadline = current_date - 50 WHERE id = :h_late_closed;
UPDATE hazard SET status = 'rectifying', rectification = 'x' WHERE id = :h_late_closed;
UPDATE hazard SET status = 'rectified', rectified_on = current_date - 2 WHERE id = :h_late_closed;
INSERT INTO hazard_check (hazard_id, level, checked_by, passed) VALUES (:h_late_closed, 'county', 'x', true);
SELECT pond_code, description, status, days_overdue, deadline = current_date - days_overdue AS deadline_ok
  FROM hazard_overdue ORDER BY days_overdue DESC, id;
SET ROLE regress_hz_ent2;
SELECT pond_code, description FROM hazard_overdue;
RESET ROLE;
SELECT campaign, count(*) AS hazards, count(*) FILTER (WHERE status = 'closed') AS closed, string_agg(found_level, ',' ORDER BY id) AS found_by
  FROM hazard WHERE campaign IS NOT NULL GROUP BY campaign;

---------------------------------------------------------------------------
-- 10. The file in the completeness check (warnings, and the major hazard
-- an error), in both languages
---------------------------------------------------------------------------
CREATE FUNCTION pg_temp.file_rules(pond bigint) RETURNS TABLE (rule text, category element_category, required int, present int,
                                                               passed boolean, severity text, message text)
	LANGUAGE sql
AS $$
	SELECT c.rule, c.category, c.required, c.present, c.passed, c.severity, pg_temp.dates(c.message)
	  FROM tailings.check_completeness(pond) c
	 WHERE c.rule IN ('ledger_reported', 'ledger_balance', 'emergency_plan', 'discharge_permit', 'major_hazard')
$$;
-- each pond: the ledger (all), the emergency plan (in use and suspended), the
-- discharge permit (a pond with an outlet), the open major hazards (here: the first pond's)
SELECT p.code, f.* FROM pond p, pg_temp.file_rules(p.id) f ORDER BY p.code;
-- the ledger: reported today, late; on time; missing
UPDATE ledger SET reported_on = :'due_date'::date - 5 WHERE pond_id = :p1 AND year = :due_year;
SELECT rule, passed, message FROM pg_temp.file_rules(:p1) WHERE rule = 'ledger_reported';
UPDATE ledger SET reported_on = :'due_date'::date + 1 WHERE pond_id = :p1 AND year = :due_year;
SELECT rule, passed, message FROM pg_temp.file_rules(:p1) WHERE rule = 'ledger_reported';
SELECT message ~ (:due_year || '.*' || (:due_year + 1) || '-01-31') AS names_the_year_and_the_deadline
  FROM check_completeness(:p1) WHERE rule = 'ledger_reported';
-- the stock made consistent
UPDATE ledger SET stock_t = 11300000 WHERE pond_id = :p1 AND year = :due_year - 1;
UPDATE ledger SET stock_t = 11610000 WHERE pond_id = :p1 AND year = :due_year;
SELECT rule, required, present, passed, message FROM pg_temp.file_rules(:p1) WHERE rule = 'ledger_balance';
-- the emergency plan: undated, reviewed too long ago, reviewed within three years, expired
INSERT INTO document (pond_id, kind, number, issuer) VALUES (:p1, 'emergency_plan', '510411-YJ-015-L', '仁和区生态环境分局');
SELECT rule, passed, message FROM pg_temp.file_rules(:p1) WHERE rule = 'emergency_plan';
UPDATE document SET issued_on = current_date - interval '3 years 1 day' WHERE kind = 'emergency_plan' AND pond_id = :p1;
SELECT rule, passed, message FROM pg_temp.file_rules(:p1) WHERE rule = 'emergency_plan';
UPDATE document SET issued_on = current_date - interval '3 years' WHERE kind = 'emergency_plan' AND pond_id = :p1;
SELECT rule, passed, message FROM pg_temp.file_rules(:p1) WHERE rule = 'emergency_plan';
UPDATE document SET issued_on = current_date - interval '5 years',
                    attrs = jsonb_build_object('reviewed_on', to_char(current_date - 200, 'YYYY-MM-DD'))
 WHERE kind = 'emergency_plan' AND pond_id = :p1;
SELECT rule, passed, message FROM pg_temp.file_rules(:p1) WHERE rule = 'emergency_plan';
UPDATE document SET valid_until = current_date - 1 WHERE kind = 'emergency_plan' AND pond_id = :p1;
SELECT rule, passed, message FROM pg_temp.file_rules(:p1) WHERE rule = 'emergency_plan';
-- the discharge permit: expired; in force; in force without expiry
INSERT INTO document (pond_id, kind, number, issued_on, valid_until) VALUES
 (:p1, 'discharge_permit', '91510400MA00000014001P', current_date - 1000, current_date - 1);
SELECT rule, passed, message FROM pg_temp.file_rules(:p1) WHERE rule = 'discharge_permit';
INSERT INTO document (pond_id, kind, number, issued_on, valid_until) VALUES
 (:p1, 'discharge_permit', '91510400MA00000014002P', current_date - 10, current_date + 1815);
SELECT rule, passed, message FROM pg_temp.file_rules(:p1) WHERE rule = 'discharge_permit';
INSERT INTO document (pond_id, kind, issued_on) VALUES (:p1, 'discharge_permit', current_date - 5);
SELECT rule, passed, message FROM pg_temp.file_rules(:p1) WHERE rule = 'discharge_permit';
-- a permit not yet in force does not count
DELETE FROM document WHERE kind = 'discharge_permit' AND valid_until IS DISTINCT FROM current_date - 1;
INSERT INTO document (pond_id, kind, number, issued_on) VALUES (:p1, 'discharge_permit', '明日生效', current_date + 1);
SELECT rule, passed, message FROM pg_temp.file_rules(:p1) WHERE rule = 'discharge_permit';
-- an open major hazard fails the pond's completeness (an error); the one
-- major hazard so far is closed: no row
SELECT count(*) AS major_hazard_rows FROM check_completeness(:p1) WHERE rule = 'major_hazard';
SELECT completeness(:p1)::text AS score_before \gset
SELECT errors_failed AS errors_before, warnings_failed AS warnings_before FROM pond_overview WHERE id = :p1 \gset
SET ROLE regress_hz_city;
INSERT INTO hazard (pond_id, element_id, description, severity, deadline)
VALUES (:p1, :dam1, '坝体浸润线偏高，下游坡局部沼泽化，排渗设施淤堵失效，需组织专家论证并制定整改方案', 'major', current_date + 20) RETURNING id AS h_major \gset
RESET ROLE;
SELECT rule, required, present, passed, severity, message FROM pg_temp.file_rules(:p1) WHERE rule = 'major_hazard';
SELECT completeness(:p1) < :'score_before'::real AS score_down, o.score = completeness(:p1) AS overview_agrees,
       o.errors_failed - :errors_before AS more_errors, o.warnings_failed - :warnings_before AS more_warnings
  FROM pond_overview o WHERE o.id = :p1;
SELECT ((count(*) FILTER (WHERE passed))::float8 / count(*))::real = completeness(:p1) AS score_is_errors_passed_of_errors
  FROM check_completeness(:p1) WHERE severity = 'error';
-- the warnings never change the score: a general hazard is none, nor any file rule
UPDATE hazard SET severity = 'general' WHERE id = :h_major;
SELECT completeness(:p1)::text = :'score_before' AS score_back, count(*) FILTER (WHERE rule = 'major_hazard') AS major_hazard_rows,
       count(*) FILTER (WHERE severity = 'warning' AND NOT passed) AS failed_warnings
  FROM check_completeness(:p1);
UPDATE hazard SET severity = 'major' WHERE id = :h_major;
-- each not closed listed (at most five), the overdue said
UPDATE hazard SET severity = 'major' WHERE description = '逾期：昨日到期';
SELECT rule, required, present, passed, severity, message FROM pg_temp.file_rules(:p1) WHERE rule = 'major_hazard';
-- in English
SET tailings.language = en;
SELECT p.code, f.rule, f.passed, f.message FROM pond p, pg_temp.file_rules(p.id) f ORDER BY p.code, f.rule;
UPDATE ledger SET reported_on = :'due_date'::date - 5 WHERE pond_id = :p1 AND year = :due_year;
UPDATE ledger SET stock_t = 12000000 WHERE pond_id = :p1 AND year = :due_year - 1;
UPDATE document SET valid_until = NULL WHERE kind = 'emergency_plan' AND pond_id = :p1;
UPDATE document SET issued_on = current_date - 1 WHERE number = '明日生效';
SELECT rule, passed, message FROM pg_temp.file_rules(:p1) ORDER BY rule;
DELETE FROM ledger WHERE pond_id = :p1 AND year = :due_year;
SELECT rule, passed, message FROM pg_temp.file_rules(:p1) WHERE rule = 'ledger_reported';
RESET tailings.language;
SELECT rule, passed, message FROM pg_temp.file_rules(:p1) WHERE rule IN ('ledger_reported', 'ledger_balance') ORDER BY rule;
-- a drawing is checked with the pond's file and the drawing's outlets:
-- unchanged, as check_completeness; without the outlet, no permit is wanted
SET ROLE regress_hz_ent1;
SELECT (SELECT array_agg(c::text) FROM check_submission(import_geojson(:p1, pond_geojson(:p1))) c)
     = (SELECT array_agg(c::text) FROM check_completeness(:p1) c) AS check_equals_check_completeness;
SELECT rule FROM check_submission(import_geojson(:p1,
	jsonb_set(pond_geojson(:p1), '{features}',
	          (SELECT jsonb_agg(f) FROM jsonb_array_elements(pond_geojson(:p1) -> 'features') f
	            WHERE f -> 'properties' ->> 'kind' <> 'discharge_outlet'))))
 WHERE rule IN ('ledger_reported', 'ledger_balance', 'emergency_plan', 'discharge_permit', 'major_hazard')
 ORDER BY rule;
-- read as the caller: the file rules of a pond not seen are not seen
SELECT pg_temp.fails(format('SELECT * FROM tailings.check_completeness(%s)', :p2));
RESET ROLE;

---------------------------------------------------------------------------
-- 11. A member in a second group by mistake keeps to its level: the
-- triggers and policies go by the member row, not by the grants
---------------------------------------------------------------------------
GRANT tailings_enterprise TO regress_hz_county;
GRANT tailings_county TO regress_hz_ent1;
SELECT pg_temp.hazard_in('rectifying') AS h_mixed \gset
SET ROLE regress_hz_county;
SELECT pg_temp.fails(format('UPDATE tailings.hazard SET rectification = %L WHERE id = %s', '县局代填', :h_mixed));
SELECT pg_temp.fails(format('UPDATE tailings.hazard SET status = %L, rectified_on = current_date WHERE id = %s', 'rectified', :h_mixed));
SELECT pg_temp.fails(format('INSERT INTO tailings.ledger (pond_id, year) VALUES (%s, %s)', :p1, :due_year - 6));
RESET ROLE;
SET ROLE regress_hz_ent1;
SELECT pg_temp.fails(format('UPDATE tailings.hazard SET description = %L, deadline = NULL WHERE id = %s', '企业改写', :h_mixed));
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard (pond_id, found_level, description) VALUES (%s, %L, %L)', :p1, 'county', '冒充县局'));
SELECT pg_temp.fails(format('INSERT INTO tailings.hazard_check (hazard_id, level, checked_by, passed, note) VALUES (%s, %L, %L, false, %L)',
                            :h_mixed, 'county', '冒充县局', '未整改'));
RESET ROLE;
REVOKE tailings_enterprise FROM regress_hz_county;
REVOKE tailings_county FROM regress_hz_ent1;

---------------------------------------------------------------------------
-- 12. A superuser session restoring a dump reloads rows as they were
---------------------------------------------------------------------------
SET check_function_bodies = off;
INSERT INTO hazard (pond_id, found_level, found_by, description, found_on, status, rectification, rectified_on)
VALUES (:p2, 'city', '市局', '恢复：已销号', '2024-03-01', 'closed', '已处理', '2024-04-01') RETURNING id AS h_restored \gset
INSERT INTO hazard_check (hazard_id, checked_on, level, checked_by, passed, note, pond_id)
VALUES (:h_restored, '2024-04-10', 'city', '市局', true, NULL, :p2);
INSERT INTO ledger (pond_id, year, stock_t, reported_on) VALUES (:p3, 2020, 1000, '2021-01-10');
RESET check_function_bodies;
SELECT status, (SELECT count(*) FROM hazard_check WHERE hazard_id = :h_restored) AS checks FROM hazard WHERE id = :h_restored;

---------------------------------------------------------------------------
-- 13. Audit: nothing of this is SECURITY DEFINER
---------------------------------------------------------------------------
SELECT p.oid::regprocedure AS security_definer
  FROM pg_proc p
 WHERE p.pronamespace = 'tailings'::regnamespace AND p.prosecdef
 ORDER BY 1;

\c :regress_db
DROP DATABASE :test_db;
DROP ROLE regress_hz_ent1, regress_hz_ent2, regress_hz_county, regress_hz_county2, regress_hz_city,
	regress_hz_province, regress_hz_reader, regress_hz_nobody;
