-- Inspections driven by the map and groundwater monitoring (design §8):
-- inspection_checklist's walking order on a pond whose best walk is known,
-- inspection_coverage's missed points and offsets, inspection_due around
-- 1 June for levels 1 and 2, samples against GB/T 14848-2017 class III and the
-- background well (monitoring_assessment), each well's state in the tiles,
-- and who may do what with the four tables (and the attacks).
-- In a database of its own, with its own ponds, elements and members.
\set test_db :DBNAME '_inspection'
\getenv abs_srcdir PG_ABS_SRCDIR
\set include :abs_srcdir '/include/own_db.sql'
\i :include
SET search_path = tailings, public;
-- the inspectors' day (visits are dated in it; the checks allow a day's grace either side)
SET TimeZone = 'Asia/Shanghai';
SET DateStyle = 'ISO, YMD';
\set SHOW_CONTEXT never
\set VERBOSITY default

-- an error as one line: SQLSTATE, message, detail, hint (or "no error")
CREATE FUNCTION pg_temp.fails(statement text) RETURNS text
	LANGUAGE plpgsql
AS $$
DECLARE
	state text;
	msg text;
	detail text;
	hint text;
BEGIN
	EXECUTE statement;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
		detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
	RETURN state || ' ' || msg || coalesce(' | DETAIL: ' || nullif(detail, ''), '')
	       || coalesce(' | HINT: ' || nullif(hint, ''), '');
END
$$;
-- a point dx metres east and dy metres north of 101.7 E, 26.5 N (a local
-- plane: about 99 624 m a degree of longitude, 110 854 m of latitude there)
CREATE FUNCTION pg_temp.xy(dx float8, dy float8) RETURNS geometry
	LANGUAGE sql IMMUTABLE
	RETURN ST_SetSRID(ST_MakePoint(101.7 + dx / 99624.0, 26.5 + dy / 110854.0), 4490);
-- metres east and north of 101.7 E, 26.5 N of a longitude and latitude, rounded
CREATE FUNCTION pg_temp.en(lon float8, lat float8) RETURNS text
	LANGUAGE sql IMMUTABLE
	RETURN format('(%s, %s)', round(((lon - 101.7) * 99624.0)::numeric), round(((lat - 26.5) * 110854.0)::numeric));

---------------------------------------------------------------------------
-- Ponds, elements and members
---------------------------------------------------------------------------
-- P1 (level 1) and P5 (level 1) of enterprise A, P2 (level 2) of enterprise B
-- in county 510411; P3 (level 2) in county 510422; P4 (level 3).
INSERT INTO pond (code, name, enterprise, enterprise_code, county_code, supervision_level, status, location)
VALUES ('INS-1', '甲一尾矿库', '甲矿业有限公司', '91510400MA00000014', '510411', 1, 'in_use', pg_temp.xy(0, 0)),
       ('INS-2', '乙尾矿库', '乙矿业有限公司', '91510400MA00000027', '510411', 2, 'in_use', pg_temp.xy(5000, 0)),
       ('INS-3', '丙尾矿库', '丙矿业有限公司', '91510400MA0000003A', '510422', 2, 'suspended', pg_temp.xy(10000, 0)),
       ('INS-4', '丁尾矿库', '丙矿业有限公司', '91510400MA0000003A', '510422', 3, 'closed', pg_temp.xy(15000, 0)),
       ('INS-5', '甲二尾矿库', '甲矿业有限公司', '91510400MA00000014', '510411', 1, 'in_use', pg_temp.xy(20000, 0));
SELECT id AS p1 FROM pond WHERE code = 'INS-1' \gset
SELECT id AS p2 FROM pond WHERE code = 'INS-2' \gset
SELECT id AS p3 FROM pond WHERE code = 'INS-3' \gset
SELECT id AS p4 FROM pond WHERE code = 'INS-4' \gset
SELECT id AS p5 FROM pond WHERE code = 'INS-5' \gset

-- The hand-made pond P1, its registry point at (0, 0): the boundary around
-- it, three points on the east-west line through it (A 100 m east, B 150 m
-- west, C 300 m east) and the dam, a line 400 m north from 400 m west to
-- 400 m east.  The shortest walk: the boundary (the walker is in it), B, A,
-- C, then the dam at its point nearest to C, (300, 400): 0 + 150 + 250 + 200
-- + 400 = 1000 m.  The nearest neighbour walks boundary, A, C, the dam (400 m
-- from C, nearer than B at 450 m), then B: 100 + 200 + 400 + 602 = 1302 m;
-- 2-opt alone cannot mend it (no reversal of a stretch puts B first), Or-opt
-- (moving B to the front) does.
INSERT INTO element (pond_id, kind, geom, name, attrs) VALUES
 (:p1, 'pond_boundary', ST_MakeEnvelope(101.7 - 40 / 99624.0, 26.5 - 40 / 110854.0, 101.7 + 40 / 99624.0, 26.5 + 40 / 110854.0, 4490),
  '库区边界', '{}'),
 (:p1, 'gw_monitoring_well', pg_temp.xy(100, 0), '监视井 A', '{"depth_m": 30}'),
 (:p1, 'gw_background_well', pg_temp.xy(-150, 0), '本底井 B', '{"depth_m": 30}'),
 (:p1, 'sign', pg_temp.xy(300, 0), '标志牌 C', '{}'),
 (:p1, 'dam', ST_MakeLine(pg_temp.xy(-400, 400), pg_temp.xy(400, 400)), '坝', '{}'),
 (:p2, 'gw_monitoring_well', pg_temp.xy(5100, 0), '乙监视井', '{"depth_m": 30}'),
 (:p2, 'dam', ST_MakeLine(pg_temp.xy(4900, 100), pg_temp.xy(5100, 100)), '乙坝', '{}'),
 (:p3, 'gw_monitoring_well', pg_temp.xy(10100, 0), '丙监视井', '{"depth_m": 30}');
SELECT id AS e_boundary FROM element WHERE name = '库区边界' \gset
SELECT id AS e_a FROM element WHERE name = '监视井 A' \gset
SELECT id AS e_b FROM element WHERE name = '本底井 B' \gset
SELECT id AS e_c FROM element WHERE name = '标志牌 C' \gset
SELECT id AS e_dam FROM element WHERE name = '坝' \gset
SELECT id AS e_p2well FROM element WHERE name = '乙监视井' \gset
SELECT id AS e_p2dam FROM element WHERE name = '乙坝' \gset
SELECT id AS e_p3well FROM element WHERE name = '丙监视井' \gset

DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY '{regress_insp_ent_a,regress_insp_ent_b,regress_insp_county,regress_insp_county2,regress_insp_city,regress_insp_province,regress_insp_reader,regress_insp_nobody}'::text[] LOOP
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I LOGIN', r);
		END IF;
	END LOOP;
END
$$;
SELECT add_member('regress_insp_ent_a', 'enterprise', '91510400MA00000014', '甲矿业有限公司'),
       add_member('regress_insp_ent_b', 'enterprise', '91510400MA00000027', '乙矿业有限公司'),
       add_member('regress_insp_county', 'county', '510411', '仁和区生态环境分局 王工'),
       add_member('regress_insp_county2', 'county', '510422', '盐边县生态环境局 周工'),
       add_member('regress_insp_city', 'city', '5104', '攀枝花市生态环境局 李科长'),
       add_member('regress_insp_province', 'province', '51', '四川省生态环境厅 赵处长');
GRANT tailings_reader TO regress_insp_reader;

---------------------------------------------------------------------------
-- 1. The checklist: every element, in walking order from the registry point
---------------------------------------------------------------------------
SET ROLE regress_insp_county;
SELECT c.seq, c.element_id = :e_boundary AS boundary, c.kind, c.name, pg_temp.en(c.lon, c.lat) AS "metres E, N"
  FROM inspection_checklist(:p1) c ORDER BY c.seq;
-- for a line, the point nearest the stop before it: on the dam, and as near C as the dam gets
SELECT ST_DWithin(d.geom::geography, ST_SetSRID(ST_MakePoint(c.lon, c.lat), 4490)::geography, 0.01) AS on_the_dam,
       round(ST_Distance(ST_SetSRID(ST_MakePoint(c.lon, c.lat), 4490)::geography, pg_temp.xy(300, 0)::geography)::numeric)
     = round(ST_Distance(d.geom::geography, pg_temp.xy(300, 0)::geography)::numeric) AS nearest_to_c
  FROM inspection_checklist(:p1) c JOIN element d ON d.id = c.element_id
 WHERE c.kind = 'dam';
RESET ROLE;
-- The walk is as short as the best of all 120 orders of the five elements
-- (each element's stop its point nearest the stop before, lengths on the
-- ellipsoid; the shapes are aligned with the axes, so the nearest point in
-- degrees is the nearest point on the ground), and shorter than the nearest
-- neighbour's walk.
CREATE TEMP TABLE walk_elements AS SELECT e.id, e.geom FROM element e WHERE e.pond_id = :p1;
WITH RECURSIVE walks (ids, at, metres) AS (
	SELECT '{}'::bigint[], pg_temp.xy(0, 0), 0::float8
	UNION ALL
	SELECT w.ids || e.id, ST_ClosestPoint(e.geom, w.at),
	       w.metres + ST_Distance(w.at::geography, ST_ClosestPoint(e.geom, w.at)::geography)
	  FROM walks w JOIN walk_elements e ON e.id <> ALL (w.ids)),
checklist AS (
	SELECT sum(ST_Distance(ST_SetSRID(ST_MakePoint(c.prev_lon, c.prev_lat), 4490)::geography,
	                       ST_SetSRID(ST_MakePoint(c.lon, c.lat), 4490)::geography)) AS metres
	  FROM (SELECT c.lon, c.lat, coalesce(lag(c.lon) OVER (ORDER BY c.seq), 101.7) AS prev_lon,
	               coalesce(lag(c.lat) OVER (ORDER BY c.seq), 26.5) AS prev_lat
	          FROM inspection_checklist(:p1) c) c),
nearest_neighbour AS (
	SELECT ST_Length(ST_MakeLine(ARRAY[pg_temp.xy(0, 0), pg_temp.xy(100, 0), pg_temp.xy(300, 0), pg_temp.xy(300, 400),
	                                   pg_temp.xy(-150, 0)])::geography) AS metres)
SELECT count(*) AS orders, round(min(w.metres)::numeric) AS best_m, round((SELECT metres FROM checklist)::numeric) AS checklist_m,
       (SELECT metres FROM checklist) <= min(w.metres) + 0.01 AS checklist_is_best,
       round((SELECT metres FROM nearest_neighbour)::numeric) AS nearest_neighbour_m
  FROM walks w WHERE cardinality(w.ids) = 5;
-- _walk_order itself: the stops of the nearest neighbour's order (A, C, B on
-- the line), and a walk that crosses itself (2-opt uncrosses it)
SELECT _walk_order(0, 0, '{100,300,-150}', '{0,0,0}') AS line,
       _walk_order(0, 0, '{0,100,0,100}', '{100,0,0,100}') AS crossed,
       _walk_order(0, 0, '{}', '{}') AS none,
       _walk_order(5, 5, '{7}', '{9}') AS one;
SELECT pg_temp.fails($$SELECT tailings._walk_order(0, 0, '{1,2}', '{1}')$$);
SELECT pg_temp.fails($$SELECT tailings._walk_order(0, 0, '{1,NaN}', '{1,2}')$$);
SELECT pg_temp.fails($$SELECT tailings._walk_order(0, 0, '{1,NULL}', '{1,2}')$$);
-- the same order every time; a pond of no elements has an empty checklist; a pond out of scope is not there
SELECT (SELECT array_agg(element_id ORDER BY seq) FROM inspection_checklist(:p1))
     = (SELECT array_agg(element_id ORDER BY seq) FROM inspection_checklist(:p1)) AS stable;
SELECT count(*) AS p4_items FROM inspection_checklist(:p4);
SET ROLE regress_insp_county2;
SELECT pg_temp.fails(format('SELECT * FROM tailings.inspection_checklist(%s)', :p1));
RESET ROLE;

---------------------------------------------------------------------------
-- 2. An inspection and its coverage: a missed point, offsets, positions to correct
---------------------------------------------------------------------------
SET ROLE regress_insp_county;
-- level and inspector default to the member's
INSERT INTO inspection (pond_id, campaign, started_on) VALUES (:p1, '2025年秋季巡查', '2025-10-20')
RETURNING pond_id = :p1 AS p1, level, campaign, inspector, started_on, finished_on;
SELECT max(id) AS i1 FROM inspection \gset
-- the boundary from inside it (offset 0), B 10 m off, A 40 m off (a position
-- to correct), the dam 29 m off (not), C missed
INSERT INTO inspection_visit (inspection_id, element_id, visited_at, position, state, note) VALUES
 (:i1, :e_boundary, '2025-10-20 09:00', pg_temp.xy(5, 5), 'normal', NULL),
 (:i1, :e_b, '2025-10-20 09:10', pg_temp.xy(-150, 10), 'normal', NULL),
 (:i1, :e_a, '2025-10-20 09:20', pg_temp.xy(140, 0), 'normal', '井位与图上不符'),
 (:i1, :e_dam, '2025-10-20 09:40', pg_temp.xy(0, 429), 'abnormal', '坝面局部冲刷')
RETURNING element_id = :e_a AS a, visited_at, state, pond_id = :p1 AS p1;
SELECT c.name, c.kind, c.visited, c.state, round(c.offset_m::numeric) AS offset_m, c.to_correct
  FROM inspection_coverage(:i1) c ORDER BY c.element_id;
-- a visit is of one element once: the phone's resent visit is an upsert
INSERT INTO inspection_visit (inspection_id, element_id, visited_at, position, state)
VALUES (:i1, :e_b, '2025-10-20 09:10', pg_temp.xy(-150, 0), 'normal')
ON CONFLICT (inspection_id, element_id) DO UPDATE SET position = excluded.position, state = excluded.state;
SELECT round(offset_m::numeric) AS b_offset_m FROM inspection_coverage(:i1) WHERE element_id = :e_b;
-- an element not found is a finding, not a position to correct, however far off
INSERT INTO element (pond_id, kind, geom, name, attrs) VALUES (:p1, 'seepage_well', pg_temp.xy(0, -200), '排渗井 E', '{}');
SELECT id AS e_e FROM element WHERE name = '排渗井 E' \gset
INSERT INTO inspection_visit (inspection_id, element_id, visited_at, position, state)
VALUES (:i1, :e_e, '2025-10-21 10:00', pg_temp.xy(0, -300), 'not_found');
SELECT name, visited, state, round(offset_m::numeric) AS offset_m, to_correct FROM inspection_coverage(:i1) WHERE element_id = :e_e;
-- a visit without a position (no fix): visited, offset unknown
UPDATE inspection_visit SET position = NULL WHERE inspection_id = :i1 AND element_id = :e_e;
SELECT name, visited, state, offset_m, to_correct FROM inspection_coverage(:i1) WHERE element_id = :e_e;
-- finished: an element mapped afterwards was not on its checklist, and is no missed point of it
UPDATE inspection SET finished_on = '2025-10-21' WHERE id = :i1;
RESET ROLE;
INSERT INTO element (pond_id, kind, geom, name, attrs) VALUES (:p1, 'sign', pg_temp.xy(20, 0), '新标志牌 F', '{}');
SET ROLE regress_insp_county;
SELECT count(*) AS elements, count(*) FILTER (WHERE NOT visited) AS missed,
       string_agg(name, ', ' ORDER BY element_id) FILTER (WHERE NOT visited) AS missed_points
  FROM inspection_coverage(:i1);
-- ... and is one of an inspection still running
INSERT INTO inspection (pond_id, started_on) VALUES (:p1, '2025-11-01');
SELECT max(id) AS i_running FROM inspection \gset
SELECT count(*) AS elements, count(*) FILTER (WHERE NOT visited) AS missed FROM inspection_coverage(:i_running);
DELETE FROM inspection WHERE id = :i_running;
RESET ROLE;
-- everyone in scope reads the coverage; out of scope, the inspection is not there
SET ROLE regress_insp_ent_a;
SELECT count(*) FILTER (WHERE to_correct) AS to_correct_for_enterprise FROM inspection_coverage(:i1);
SET ROLE regress_insp_ent_b;
SELECT pg_temp.fails(format('SELECT * FROM tailings.inspection_coverage(%s)', :i1));
RESET ROLE;
SELECT pg_temp.fails('SELECT * FROM tailings.inspection_coverage(999999)');

-- the checks of an inspection and its visits
SET ROLE regress_insp_county;
SELECT pg_temp.fails(format($$INSERT INTO tailings.inspection (pond_id, level) VALUES (%s, 'city')$$, :p1));
SELECT pg_temp.fails(format($$INSERT INTO tailings.inspection (pond_id, started_on) VALUES (%s, '2999-01-01')$$, :p1));
SELECT pg_temp.fails(format($$INSERT INTO tailings.inspection (pond_id, started_on, finished_on) VALUES (%s, '2025-05-02', '2025-05-01')$$, :p1));
SELECT pg_temp.fails('INSERT INTO tailings.inspection (pond_id) VALUES (999999)');
SELECT pg_temp.fails(format($$INSERT INTO tailings.inspection (pond_id) VALUES (%s)$$, :p3));
SELECT pg_temp.fails(format('UPDATE tailings.inspection SET level = %L WHERE id = %s', 'city', :i1));
SELECT pg_temp.fails(format('UPDATE tailings.inspection SET pond_id = %s WHERE id = %s', :p2, :i1));
-- moved to days after its visits
SELECT pg_temp.fails(format($$UPDATE tailings.inspection SET started_on = '2025-10-25', finished_on = '2025-10-26' WHERE id = %s$$, :i1));
-- a visit of another pond's element, of no element, of an element not there, outside its days, in the future
SELECT pg_temp.fails(format($$INSERT INTO tailings.inspection_visit (inspection_id, element_id, state) VALUES (%s, %s, 'normal')$$, :i1, :e_p2dam));
SELECT pg_temp.fails(format($$INSERT INTO tailings.inspection_visit (inspection_id, state) VALUES (%s, 'normal')$$, :i1));
SELECT pg_temp.fails(format($$INSERT INTO tailings.inspection_visit (inspection_id, element_id, state) VALUES (%s, 999999, 'normal')$$, :i1));
SELECT pg_temp.fails(format($$INSERT INTO tailings.inspection_visit (inspection_id, element_id, state) VALUES (%s, %s, 'normal')$$, :i1, :e_p3well));
SELECT pg_temp.fails(format($$INSERT INTO tailings.inspection_visit (inspection_id, element_id, state, visited_at) VALUES (%s, %s, 'normal', '2025-10-10 10:00')$$, :i1, :e_c));
SELECT pg_temp.fails(format($$INSERT INTO tailings.inspection_visit (inspection_id, element_id, state, visited_at) VALUES (%s, %s, 'normal', '2999-01-01 10:00')$$, :i1, :e_c));
SELECT pg_temp.fails(format($$INSERT INTO tailings.inspection_visit (inspection_id, element_id, visited_at, state) VALUES (%s, %s, '2025-10-21 11:00', 'broken')$$, :i1, :e_c));
SELECT pg_temp.fails(format($$INSERT INTO tailings.inspection_visit (inspection_id, element_id, visited_at, state, position) VALUES (%s, %s, '2025-10-21 11:00', 'normal', 'SRID=4490;POINT(200 95)')$$, :i1, :e_c));
SELECT pg_temp.fails(format($$INSERT INTO tailings.inspection_visit (inspection_id, element_id, visited_at, state, position) VALUES (%s, %s, '2025-10-21 11:00', 'normal', 'SRID=4326;POINT(101.7 26.5)')$$, :i1, :e_c));
SELECT pg_temp.fails(format('UPDATE tailings.inspection_visit SET inspection_id = inspection_id WHERE inspection_id = %s', :i1));
SELECT pg_temp.fails(format('UPDATE tailings.inspection_visit SET pond_id = %s WHERE inspection_id = %s', :p2, :i1));
RESET ROLE;
-- TRUNCATE would lose history
SELECT pg_temp.fails('TRUNCATE tailings.inspection_visit');
SELECT pg_temp.fails('TRUNCATE tailings.inspection CASCADE');

---------------------------------------------------------------------------
-- 3. The inspections due, around 1 June, for levels 1 and 2
---------------------------------------------------------------------------
-- P1 (level 1): one finished 20 May 2025, one 10 September; P5 (level 1): one
-- finished 1 June 2025 (too late for the flood season); P2 (level 2): one
-- finished 1 June; P3 (level 2): one never finished and one of 2024; P4
-- (level 3): none, never due.
INSERT INTO inspection (pond_id, level, inspector, started_on, finished_on) VALUES
 (:p1, 'county', '王工', '2025-05-19', '2025-05-20'),
 (:p1, 'city', '李科长', '2025-09-10', '2025-09-10'),
 (:p5, 'county', '王工', '2025-05-30', '2025-06-01'),
 (:p2, 'city', '李科长', '2025-06-01', '2025-06-01'),
 (:p3, 'county', '周工', '2025-03-01', NULL),
 (:p3, 'county', '周工', '2024-12-30', '2024-12-30');
SELECT d.day, q.code, q.supervision_level AS level, q.required, q.done, q.done_before_flood AS before_flood,
       q.due_by, q.overdue, q.missing
  FROM (VALUES ('2025-05-19'::date), ('2025-05-31'), ('2025-06-01'), ('2025-12-31')) d(day),
       LATERAL inspection_due_on(d.day) q
 ORDER BY d.day, q.code;
SET tailings.language = en;
SELECT q.code, q.missing FROM inspection_due_on('2025-05-31') q ORDER BY q.code;
SELECT q.code, q.missing FROM inspection_due_on('2025-06-01') q ORDER BY q.code;
RESET tailings.language;
-- the view is the function on today
SELECT (SELECT coalesce(array_agg(x::text ORDER BY x.pond_id), '{}') FROM inspection_due x)
     = (SELECT coalesce(array_agg(x::text ORDER BY x.pond_id), '{}') FROM inspection_due_on(current_date) x) AS view_is_today;
-- each member sees its own ponds' (the enterprise A: P1 and P5)
SET ROLE regress_insp_ent_a;
SELECT string_agg(code, ' ' ORDER BY code) AS due_for_a FROM inspection_due_on('2025-05-31');
RESET ROLE;

---------------------------------------------------------------------------
-- 4. Groundwater: samples, limits, the assessment
---------------------------------------------------------------------------
-- the limits: GB/T 14848-2017 class III, every parameter of shared/domain.md
SELECT parameter, max_value, min_value, unit, label_zh FROM gw_limit ORDER BY id;
-- A (monitoring) and B (background) of P1, sampled by enterprise A; B's older
-- manganese exceeded and its latest does not; A's manganese is given in µg/L
SET ROLE regress_insp_ent_a;
INSERT INTO sample (element_id, sampled_on, parameter, value, unit) VALUES
 (:e_b, '2025-03-10', 'Mn', 0.15, DEFAULT),
 (:e_b, '2025-06-10', 'manganese', 0.05, DEFAULT),
 (:e_b, '2025-06-10', 'pH', 7.1, DEFAULT),
 (:e_b, '2025-06-10', 'vanadium', 0.01, DEFAULT),
 (:e_a, '2025-03-10', '锰', 0.12, DEFAULT),
 (:e_a, '2025-06-10', 'manganese', 350, 'µg/L'),
 (:e_a, '2025-06-10', 'pH', 6.2, DEFAULT),
 (:e_a, '2025-06-10', '硝酸盐氮', 5, DEFAULT),
 (:e_a, '2025-06-10', 'vanadium', 0.02, DEFAULT),
 (:e_a, '2025-06-10', 'COD_Mn', 3.0, DEFAULT)
RETURNING element_id = :e_a AS a, sampled_on, parameter, value, unit, pond_id = :p1 AS p1;
SELECT a.name, a.kind, a.parameter, a.sampled_on, a.value, a.unit, a.limit_min, a.limit_max, a.exceeds,
       a.background, round(a.ratio_to_background::numeric, 2) AS ratio
  FROM monitoring_assessment(:p1) a;
RESET ROLE;
-- each well's state: A exceeds (manganese 0.35 > 0.10, pH 6.2 < 6.5), B ok (its latest manganese is), the others no data
SELECT e.name, _well_state(e.id, NULL) AS gw_state FROM element e WHERE category(e.kind) = 'groundwater' ORDER BY e.id;
-- the tiles carry it: the groundwater layer of the z14 tile of P1 has the key
-- gw_state and the values exceeds and ok (MVT string values: 0x0a, length, bytes)
SELECT floor((101.7 + 180) / 360 * 2 ^ 14) AS tx,
       floor((1 - ln(tan(radians(26.5)) + 1 / cos(radians(26.5))) / pi()) / 2 * 2 ^ 14) AS ty \gset
SELECT position('\x0867775f7374617465'::bytea IN t) > 0 AS key_gw_state,
       position('\x0a0765786365656473'::bytea IN t) > 0 AS value_exceeds,
       position('\x0a026f6b'::bytea IN t) > 0 AS value_ok,
       position('\x0a076e6f5f64617461'::bytea IN t) > 0 AS value_no_data
  FROM tile(14, :tx, :ty, '{groundwater}') t;
SELECT layer, field, type FROM tile_fields() WHERE layer = 'groundwater' ORDER BY 1, 2;
-- the map as it was before the samples: no data
SELECT _well_state(:e_a, (SELECT min(changed_at) FROM change_log WHERE table_name = 'tailings.sample') - interval '1 second') AS a_before_samples,
       _well_state(:e_a, now()) AS a_now;
-- a limit is an edit away (the city): with manganese at 0.5, A's latest is within it
SET ROLE regress_insp_city;
UPDATE gw_limit SET max_value = 0.5 WHERE parameter = 'manganese';
SELECT a.parameter, a.value, a.limit_max, a.exceeds FROM monitoring_assessment(:p1) a
 WHERE a.element_id = :e_a AND a.parameter = 'manganese';
UPDATE gw_limit SET max_value = 0.10 WHERE parameter = 'manganese';
-- a reference value of another source, marked so
INSERT INTO gw_limit (parameter, max_value, label_zh, label_en, source)
VALUES ('vanadium', 0.05, '钒', 'Vanadium', 'GB 3838-2002 表3（参考值，非地下水III类限值）')
RETURNING parameter, max_value, unit, source, builtin;
SELECT a.parameter, a.value, a.limit_max, a.exceeds, a.ratio_to_background FROM monitoring_assessment(:p1) a
 WHERE a.element_id = :e_a AND a.parameter = 'vanadium';
DELETE FROM gw_limit WHERE parameter = 'vanadium';
SELECT pg_temp.fails($$DELETE FROM tailings.gw_limit WHERE parameter = 'manganese'$$);
SELECT pg_temp.fails($$UPDATE tailings.gw_limit SET builtin = false WHERE parameter = 'manganese'$$);
SELECT pg_temp.fails($$UPDATE tailings.gw_limit SET max_value = -1 WHERE parameter = 'manganese'$$);
SELECT pg_temp.fails($$UPDATE tailings.gw_limit SET min_value = 9, max_value = 8 WHERE parameter = 'pH'$$);
RESET ROLE;
-- the checks of a sample
SET ROLE regress_insp_ent_a;
SELECT pg_temp.fails(format($$INSERT INTO tailings.sample (element_id, sampled_on, parameter, value) VALUES (%s, '2025-06-10', 'iron', 0.1)$$, :e_dam));
SELECT pg_temp.fails(format($$INSERT INTO tailings.sample (element_id, sampled_on, parameter, value, unit) VALUES (%s, '2025-06-10', 'iron', 0.1, 'mg/kg')$$, :e_a));
SELECT pg_temp.fails(format($$INSERT INTO tailings.sample (element_id, sampled_on, parameter, value) VALUES (%s, '2025-06-11', 'pH', 15)$$, :e_a));
SELECT pg_temp.fails(format($$INSERT INTO tailings.sample (element_id, sampled_on, parameter, value) VALUES (%s, '2025-06-11', 'iron', -0.1)$$, :e_a));
SELECT pg_temp.fails(format($$INSERT INTO tailings.sample (element_id, sampled_on, parameter, value) VALUES (%s, '2025-06-11', 'iron', 'NaN')$$, :e_a));
SELECT pg_temp.fails(format($$INSERT INTO tailings.sample (element_id, sampled_on, parameter, value) VALUES (%s, '2999-01-01', 'iron', 0.1)$$, :e_a));
SELECT pg_temp.fails(format($$INSERT INTO tailings.sample (element_id, sampled_on, parameter, value) VALUES (%s, '2025-06-10', 'Mn', 0.2)$$, :e_a));
SELECT pg_temp.fails($$INSERT INTO tailings.sample (sampled_on, parameter, value) VALUES ('2025-06-10', 'iron', 0.1)$$);
-- another enterprise's well is no well at all for it (the same answer as an id that does not exist)
SELECT pg_temp.fails(format($$INSERT INTO tailings.sample (element_id, sampled_on, parameter, value) VALUES (%s, '2025-06-10', 'iron', 0.1)$$, :e_p2well));
SELECT pg_temp.fails($$INSERT INTO tailings.sample (element_id, sampled_on, parameter, value) VALUES (999999, '2025-06-10', 'iron', 0.1)$$);
-- nor may a sample be moved to another pond, or its pond or point be written
SELECT pg_temp.fails(format('UPDATE tailings.sample SET pond_id = %s WHERE element_id = %s', :p2, :e_a));
SELECT pg_temp.fails(format('UPDATE tailings.sample SET location = NULL WHERE element_id = %s', :e_a));
RESET ROLE;
INSERT INTO element (pond_id, kind, geom, name, attrs) VALUES (:p5, 'gw_monitoring_well', pg_temp.xy(20100, 0), '甲二监视井', '{"depth_m": 30}');
SET ROLE regress_insp_ent_a;
SELECT pg_temp.fails(format($$UPDATE tailings.sample SET element_id = (SELECT id FROM tailings.element WHERE name = '甲二监视井') WHERE element_id = %s AND parameter = 'nitrate_n'$$, :e_a));
SELECT pg_temp.fails(format($$UPDATE tailings.sample SET element_id = %s WHERE element_id = %s AND parameter = 'nitrate_n'$$, :e_p2well, :e_a));
-- a value corrected: the latest is the corrected one
UPDATE sample SET value = 80 WHERE element_id = :e_a AND parameter = 'manganese' AND sampled_on = '2025-06-10';
SELECT parameter, value, exceeds FROM monitoring_assessment(:p1) WHERE element_id = :e_a AND parameter = 'manganese';
UPDATE sample SET value = 350, unit = 'µg/L' WHERE element_id = :e_a AND parameter = 'manganese' AND sampled_on = '2025-06-10';
RESET ROLE;
SELECT pg_temp.fails(format('SELECT * FROM tailings.monitoring_assessment(%s)', 999999));
SET ROLE regress_insp_ent_b;
SELECT pg_temp.fails(format('SELECT * FROM tailings.monitoring_assessment(%s)', :p1));
SELECT count(*) AS p2_rows, count(parameter) AS p2_values FROM monitoring_assessment(:p2);
RESET ROLE;

---------------------------------------------------------------------------
-- 5. The change log has every change, with the pond and the member
---------------------------------------------------------------------------
SELECT table_name, op, count(*), string_agg(DISTINCT actor, ', ') AS actors,
       bool_and(pond_id IS NOT NULL) AS with_pond, bool_and(bbox IS NOT NULL) AS with_area
  FROM change_log
 WHERE table_name IN ('tailings.inspection', 'tailings.inspection_visit', 'tailings.sample', 'tailings.gw_limit')
 GROUP BY table_name, op ORDER BY table_name, op;
SELECT relid, builtin FROM tracked_table ORDER BY relid::text;

---------------------------------------------------------------------------
-- 6. The matrix: each role, each table, SELECT (rows seen), INSERT, UPDATE,
-- DELETE (rows it may change), or the SQLSTATE of the refusal.  Each write
-- is rolled back.
---------------------------------------------------------------------------
CREATE FUNCTION pg_temp.try(who name, sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
	result text;
BEGIN
	BEGIN
		EXECUTE format('SET LOCAL ROLE %I', who);
		IF sql ~* '^\s*SELECT' THEN
			EXECUTE sql INTO n;
		ELSE
			EXECUTE sql;
			GET DIAGNOSTICS n = ROW_COUNT;
		END IF;
		result := 'ok ' || n;
		RAISE EXCEPTION 'roll back' USING ERRCODE = 'T0001';
	EXCEPTION
		WHEN SQLSTATE 'T0001' THEN NULL;
		WHEN OTHERS THEN result := SQLSTATE;
	END;
	RETURN result;
END
$$;
CREATE TEMP TABLE who (ord int, role name, what text);
INSERT INTO who VALUES
 (1, 'regress_insp_reader', 'reader'), (2, 'regress_insp_ent_a', 'enterprise A'),
 (3, 'regress_insp_ent_b', 'enterprise B'), (4, 'regress_insp_county', 'county 510411'),
 (5, 'regress_insp_county2', 'county 510422'), (6, 'regress_insp_city', 'city 5104'),
 (7, 'regress_insp_province', 'province 51'), (8, 'regress_insp_nobody', 'login, not a member');
-- the inspections the writes aim at: P1's county one (i1) and a city one of P1
INSERT INTO inspection (pond_id, level, inspector) VALUES (:p1, 'city', '李科长') RETURNING id AS i_city \gset
INSERT INTO inspection_visit (inspection_id, element_id, state) VALUES (:i_city, :e_a, 'normal');
CREATE TEMP TABLE ops (ord int, tbl text, sel text, ins text, upd text, del text);
INSERT INTO ops VALUES
 (1, 'inspection', 'SELECT count(*) FROM tailings.inspection',
  format('INSERT INTO tailings.inspection (pond_id) VALUES (%s)', :p1),
  'UPDATE tailings.inspection SET campaign = campaign',
  'DELETE FROM tailings.inspection'),
 (2, 'inspection_visit', 'SELECT count(*) FROM tailings.inspection_visit',
  format($$INSERT INTO tailings.inspection_visit (inspection_id, element_id, visited_at, state) VALUES (%s, %s, '2025-10-21 11:00', 'normal')$$, :i1, :e_c),
  'UPDATE tailings.inspection_visit SET note = note',
  'DELETE FROM tailings.inspection_visit'),
 (3, 'sample', 'SELECT count(*) FROM tailings.sample',
  format($$INSERT INTO tailings.sample (element_id, sampled_on, parameter, value) VALUES (%s, '2025-09-10', 'iron', 0.1)$$, :e_a),
  'UPDATE tailings.sample SET value = value',
  'DELETE FROM tailings.sample'),
 (4, 'gw_limit', 'SELECT count(*) FROM tailings.gw_limit',
  $$INSERT INTO tailings.gw_limit (parameter, max_value, label_zh, label_en) VALUES ('titanium', 0.1, '钛', 'Titanium')$$,
  'UPDATE tailings.gw_limit SET max_value = max_value',
  'DELETE FROM tailings.gw_limit WHERE NOT builtin'),
 (5, 'inspection_due', 'SELECT count(*) FROM tailings.inspection_due_on(''2025-05-31'')', NULL, NULL, NULL);
SELECT w.what AS role, o.tbl AS "table",
       pg_temp.try(w.role, o.sel) AS "select", CASE WHEN o.ins IS NOT NULL THEN pg_temp.try(w.role, o.ins) END AS "insert",
       CASE WHEN o.upd IS NOT NULL THEN pg_temp.try(w.role, o.upd) END AS "update",
       CASE WHEN o.del IS NOT NULL THEN pg_temp.try(w.role, o.del) END AS "delete"
  FROM who w CROSS JOIN ops o ORDER BY w.ord, o.ord;
-- nothing of it stayed
SELECT (SELECT count(*) FROM inspection) AS inspections, (SELECT count(*) FROM inspection_visit) AS visits,
       (SELECT count(*) FROM sample) AS samples, (SELECT count(*) FROM gw_limit) AS limits;
-- a city member does not change a county inspection's visits, nor a county member a city's
SET ROLE regress_insp_city;
SELECT pg_temp.fails(format($$INSERT INTO tailings.inspection_visit (inspection_id, element_id, visited_at, state) VALUES (%s, %s, '2025-10-21 11:00', 'normal')$$, :i1, :e_c));
UPDATE inspection_visit SET note = 'city' WHERE inspection_id = :i1;
UPDATE inspection SET campaign = 'city' WHERE id = :i1;
SET ROLE regress_insp_county;
UPDATE inspection_visit SET note = 'county' WHERE inspection_id = :i_city;
DELETE FROM inspection WHERE id = :i_city;
RESET ROLE;
SELECT count(*) FILTER (WHERE note IN ('city', 'county')) AS notes_changed FROM inspection_visit;
SELECT count(*) FILTER (WHERE campaign = 'city') AS campaigns_changed, count(*) FILTER (WHERE id = :i_city) AS city_inspection_kept
  FROM inspection;

---------------------------------------------------------------------------
-- 7. An element removed from the map: its visits and samples stay, without it
---------------------------------------------------------------------------
DELETE FROM inspection_visit WHERE element_id = :e_a AND inspection_id = :i_city;
DELETE FROM element WHERE id = :e_a;
SELECT count(*) AS visits_kept, count(element_id) AS with_element FROM inspection_visit WHERE inspection_id = :i1 AND state = 'normal' AND note = '井位与图上不符';
SELECT count(*) AS samples_kept, count(element_id) AS with_well, bool_and(pond_id = :p1) AS still_p1 FROM sample WHERE value IN (350, 6.2, 5);
SET ROLE regress_insp_ent_a;
SELECT count(*) AS samples_enterprise_a_sees FROM sample WHERE element_id IS NULL;
SELECT string_agg(DISTINCT name, ', ') AS p1_wells, count(parameter) AS p1_values FROM monitoring_assessment(:p1);
RESET ROLE;
SET ROLE regress_insp_ent_b;
SELECT count(*) AS samples_enterprise_b_sees FROM sample WHERE element_id IS NULL;
RESET ROLE;

\c :regress_db
DROP DATABASE :test_db;
DROP ROLE regress_insp_ent_a, regress_insp_ent_b, regress_insp_county, regress_insp_county2, regress_insp_city,
	regress_insp_province, regress_insp_reader, regress_insp_nobody;
