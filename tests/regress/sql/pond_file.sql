-- The pond's file in one call (design §8, 一库一档): tailings.pond_file(pond_id)
-- gives the whole file as one JSON object: its keys, what each section holds
-- for a pond whose file is built here (ledger and balance, papers and their
-- expiry, elements with their latest inspected state, hazards with their
-- checks and whether overdue, inspections with their coverage, the wells'
-- assessment and series, the completeness check, the latest changes), the
-- file of a pond with nothing (empty arrays), the labels in both languages,
-- and who sees which file (row-level security: a pond out of scope is P0002,
-- as one that does not exist).  In a database of its own.  The data carry
-- fixed past dates; what depends on today (days overdue, days to expiry) is
-- compared with today in SQL, so the output stays the same from day to day.
\set test_db :DBNAME '_pond_file'
\getenv abs_srcdir PG_ABS_SRCDIR
\set include :abs_srcdir '/include/own_db.sql'
\i :include
SET search_path = tailings, public;
SET TimeZone = 'Asia/Shanghai';
SET DateStyle = 'ISO, YMD';
\set SHOW_CONTEXT never
\set VERBOSITY default

-- an error as one line: SQLSTATE, message, hint (or "no error")
CREATE FUNCTION pg_temp.fails(statement text) RETURNS text
	LANGUAGE plpgsql
AS $$
DECLARE
	state text;
	msg text;
	hint text;
BEGIN
	EXECUTE statement;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
	RETURN state || ' ' || msg || coalesce(' | HINT: ' || nullif(hint, ''), '');
END
$$;
-- a point dx metres east and dy metres north of 101.7 E, 26.5 N
CREATE FUNCTION pg_temp.xy(dx float8, dy float8) RETURNS geometry
	LANGUAGE sql IMMUTABLE
	RETURN ST_SetSRID(ST_MakePoint(101.7 + dx / 99624.0, 26.5 + dy / 110854.0), 4490);

---------------------------------------------------------------------------
-- Ponds, elements and members
---------------------------------------------------------------------------
-- PF-1: enterprise A, county 510411, the pond whose file is built here
-- (groundwater flows east: the background well lies west, upstream);
-- PF-2: enterprise B, same county; PF-3: enterprise A, county 510422;
-- PF-E: enterprise A, county 510411, a pond with nothing on file.
INSERT INTO pond (code, name, enterprise, enterprise_code, county_code, supervision_level, status, location, gw_flow_azimuth, attrs)
VALUES ('PF-1', '甲尾矿库', '甲矿业有限公司', '91510400MA00000014', '510411', 2, 'in_use', pg_temp.xy(0, 0), 90,
        '{"ore": "钒钛磁铁矿", "dam_height_m": 45}'),
       ('PF-2', '乙尾矿库', '乙矿业有限公司', '91510400MA00000027', '510411', 3, 'suspended', pg_temp.xy(5000, 0), NULL, '{}'),
       ('PF-3', '丙尾矿库', '甲矿业有限公司', '91510400MA00000014', '510422', 3, 'closed', pg_temp.xy(10000, 0), NULL, '{}'),
       ('PF-E', '空尾矿库', '甲矿业有限公司', '91510400MA00000014', '510411', 3, 'closed', pg_temp.xy(15000, 0), NULL, '{}');
SELECT id AS p1 FROM pond WHERE code = 'PF-1' \gset
SELECT id AS p2 FROM pond WHERE code = 'PF-2' \gset
SELECT id AS p3 FROM pond WHERE code = 'PF-3' \gset
SELECT id AS pe FROM pond WHERE code = 'PF-E' \gset
INSERT INTO element (pond_id, kind, geom, name, attrs, source, verified_on) VALUES
 (:p1, 'dam', ST_MakeLine(pg_temp.xy(300, -200), pg_temp.xy(300, 200)), '主坝', '{"height_m": 45}', 'ground', '2025-02-01'),
 (:p1, 'leachate_pool', ST_MakePolygon(ST_MakeLine(ARRAY[pg_temp.xy(390, -10), pg_temp.xy(410, -10), pg_temp.xy(410, 10),
                                                         pg_temp.xy(390, 10), pg_temp.xy(390, -10)])),
  '渗滤液收集池', '{"volume_m3": 800}', 'ground', '2025-02-01'),
 (:p1, 'gw_background_well', pg_temp.xy(-600, 0), '本底井 JC1', '{"depth_m": 30}', 'ground', '2025-02-01'),
 (:p1, 'gw_monitoring_well', pg_temp.xy(600, 0), '监视井 JC2', '{"depth_m": 25}', 'ground', '2025-02-01'),
 (:p1, 'gw_diffusion_well', pg_temp.xy(200, -300), '扩散井 JC4', '{"depth_m": 28}', 'drone', NULL),
 (:p1, 'sign', pg_temp.xy(320, 250), '环境保护图形标志牌', '{}', 'ground', '2025-02-01'),
 (:p2, 'dam', ST_MakeLine(pg_temp.xy(5300, -200), pg_temp.xy(5300, 200)), '乙主坝', '{}', 'ground', NULL);
SELECT id AS e_dam FROM element WHERE name = '主坝' \gset
SELECT id AS e_pool FROM element WHERE name = '渗滤液收集池' \gset
SELECT id AS e_bg FROM element WHERE name = '本底井 JC1' \gset
SELECT id AS e_mon FROM element WHERE name = '监视井 JC2' \gset
SELECT id AS e_diff FROM element WHERE name = '扩散井 JC4' \gset
SELECT id AS e_sign FROM element WHERE name = '环境保护图形标志牌' \gset

DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY '{regress_pf_ent_a,regress_pf_ent_b,regress_pf_county,regress_pf_county2,regress_pf_city,regress_pf_reader,regress_pf_nobody}'::text[] LOOP
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I LOGIN', r);
		END IF;
	END LOOP;
END
$$;
SELECT add_member('regress_pf_ent_a', 'enterprise', '91510400MA00000014', '甲矿业 安全员'),
       add_member('regress_pf_ent_b', 'enterprise', '91510400MA00000027', '乙矿业 安全员'),
       add_member('regress_pf_county', 'county', '510411', '仁和区生态环境分局 王工'),
       add_member('regress_pf_county2', 'county', '510422', '盐边县生态环境局 周工'),
       add_member('regress_pf_city', 'city', '5104', '攀枝花市生态环境局 李科长');
GRANT tailings_reader TO regress_pf_reader;
GRANT USAGE ON SCHEMA tailings TO regress_pf_nobody;

---------------------------------------------------------------------------
-- The file of PF-1: ledgers, papers, hazards, inspections, samples
---------------------------------------------------------------------------
-- three years of ledger: 2023 reported late (after 31 January 2024) and its
-- stock 80 000 t off the year before's stock + stored - reused
INSERT INTO ledger (pond_id, year, produced_t, stored_t, reused_t, stock_t, return_water_m3, discharged_m3,
                    leachate_m3, leachate_treated_m3, reported_on) VALUES
 (:p1, 2022, 500000, 400000, 100000, 3000000, 1500000, 0, 30000, 30000, '2023-01-20'),
 (:p1, 2023, 520000, 420000, 100000, 3400000, 1550000, 0, 31000, 31000, '2024-03-05'),
 (:p1, 2024, 510000, 410000, 120000, 3690000, 1600000, 0, 32000, 32000, '2025-01-15');
-- the papers: an EIA approval that does not expire, a discharge permit
-- expired at the end of 2025 and its successor, an emergency plan issued in
-- 2021 and reviewed in 2024
SET ROLE regress_pf_ent_a;
INSERT INTO document (pond_id, kind, number, issued_on, valid_until, issuer, attrs) VALUES
 (:p1, 'eia_approval', '攀环审〔2012〕18号', '2012-06-18', NULL, '攀枝花市环境保护局', '{}'),
 (:p1, 'discharge_permit', '91510400MA00000014001V', '2020-12-20', '2025-12-31', '攀枝花市生态环境局', '{}'),
 (:p1, 'discharge_permit', '91510400MA00000014002V', '2025-12-20', '2099-12-31', '攀枝花市生态环境局', '{}'),
 (:p1, 'emergency_plan', '510411-2021-035-M', '2021-04-01', NULL, '攀枝花市仁和生态环境局', '{"reviewed_on": "2024-04-01"}');
RESET ROLE;

-- hazards: A found by the county in the pre-flood campaign at the dam, open
-- and past its deadline; B found by the enterprise's self-check at the
-- leachate pool, rectified, failed by the county, rectified again and
-- closed by the city (past its deadline, but closed: not overdue); C a
-- major one found by the city at a position on the map, open, due in 2099
SET ROLE regress_pf_county;
INSERT INTO hazard (pond_id, element_id, found_on, campaign, description, deadline)
VALUES (:p1, :e_dam, '2025-05-20', '2025年汛前隐患排查', '坝面局部冲刷，排水沟淤堵', '2025-06-30')
RETURNING id AS h_a \gset
RESET ROLE;
SET ROLE regress_pf_ent_a;
INSERT INTO hazard (pond_id, element_id, found_on, description, deadline)
VALUES (:p1, :e_pool, '2025-03-01', '渗滤液收集池防渗膜破损', '2025-04-30')
RETURNING id AS h_b \gset
UPDATE hazard SET status = 'rectifying', rectification = '更换破损防渗膜' WHERE id = :h_b;
UPDATE hazard SET status = 'rectified', rectified_on = '2025-04-10' WHERE id = :h_b;
SET ROLE regress_pf_county;
INSERT INTO hazard_check (hazard_id, checked_on, passed, note) VALUES (:h_b, '2025-04-15', false, '池壁仍有渗漏');
SET ROLE regress_pf_ent_a;
UPDATE hazard SET status = 'rectified', rectified_on = '2025-04-25', rectification = '整池重新铺设防渗膜' WHERE id = :h_b;
SET ROLE regress_pf_city;
INSERT INTO hazard_check (hazard_id, checked_on, passed, note) VALUES (:h_b, '2025-05-05', true, '复核合格，予以销号');
INSERT INTO hazard (pond_id, location, found_on, description, severity, deadline)
VALUES (:p1, pg_temp.xy(100, 100), '2025-09-10', '库区东侧坡体出现裂缝', 'major', '2099-12-31')
RETURNING id AS h_c \gset
RESET ROLE;

-- inspections: the county's pre-flood one (the background well found 40 m
-- from where it is mapped, the sign not found, the pool and the diffusion
-- well missed) and the city's later one (the dam only, abnormal)
SET ROLE regress_pf_county;
INSERT INTO inspection (pond_id, campaign, started_on, finished_on) VALUES (:p1, '2025年汛前检查', '2025-05-20', '2025-05-21')
RETURNING id AS i_county \gset
INSERT INTO inspection_visit (inspection_id, element_id, visited_at, position, state, note) VALUES
 (:i_county, :e_dam, '2025-05-20 09:00', pg_temp.xy(300, 0), 'normal', NULL),
 (:i_county, :e_bg, '2025-05-20 10:00', pg_temp.xy(-600, 40), 'normal', '井位与图上不符'),
 (:i_county, :e_mon, '2025-05-20 10:30', pg_temp.xy(605, 0), 'normal', NULL),
 (:i_county, :e_sign, '2025-05-21 09:00', pg_temp.xy(320, 300), 'not_found', '标志牌缺失');
SET ROLE regress_pf_city;
INSERT INTO inspection (pond_id, campaign, started_on, finished_on) VALUES (:p1, NULL, '2025-09-10', '2025-09-10')
RETURNING id AS i_city \gset
INSERT INTO inspection_visit (inspection_id, element_id, visited_at, position, state, note)
VALUES (:i_city, :e_dam, '2025-09-10 15:00', pg_temp.xy(300, 10), 'abnormal', '坝面裂缝');
RESET ROLE;

-- samples: quarterly manganese at the background well and the monitoring
-- well (one in µg/L; the last one over 0.10 mg/L), pH, vanadium (no limit);
-- the diffusion well has none
SET ROLE regress_pf_ent_a;
INSERT INTO sample (element_id, sampled_on, parameter, value, unit)
SELECT w.id, d.day, x.parameter, x.value, x.unit
  FROM (VALUES (:e_bg), (:e_mon)) w(id),
       (VALUES ('2024-03-15'::date), ('2024-06-15'), ('2024-09-15'), ('2024-12-15')) d(day),
       (VALUES ('pH', 7.3, '无量纲'), ('sulfate', 60, 'mg/L')) x(parameter, value, unit);
INSERT INTO sample (element_id, sampled_on, parameter, value, unit) VALUES
 (:e_bg, '2025-03-15', 'manganese', 0.03, DEFAULT),
 (:e_bg, '2025-06-15', 'manganese', 0.04, DEFAULT),
 (:e_bg, '2025-09-15', 'manganese', 0.035, DEFAULT),
 (:e_mon, '2025-03-15', 'manganese', 0.06, DEFAULT),
 (:e_mon, '2025-06-15', 'Mn', 80, 'µg/L'),
 (:e_mon, '2025-09-15', 'manganese', 0.35, DEFAULT),
 (:e_mon, '2025-09-15', 'vanadium', 12, 'µg/L');
RESET ROLE;
-- the county moves the sign 20 m (a field correction)
SET ROLE regress_pf_county;
UPDATE element SET geom = pg_temp.xy(320, 270) WHERE id = :e_sign;
RESET ROLE;

---------------------------------------------------------------------------
-- 1. The keys, and the kinds of their values
---------------------------------------------------------------------------
SELECT k.key, jsonb_typeof(k.value) AS type,
       CASE jsonb_typeof(k.value) WHEN 'array' THEN jsonb_array_length(k.value)::text
                                  ELSE (SELECT string_agg(x, ',' ORDER BY x) FROM jsonb_object_keys(k.value) x) END AS content
  FROM jsonb_each(pond_file(:p1)) k ORDER BY k.key;

---------------------------------------------------------------------------
-- 2. basic: the registry row, its registry point, its score
---------------------------------------------------------------------------
SELECT b ->> 'code' AS code, b ->> 'name' AS name, b ->> 'enterprise' AS enterprise,
       b ->> 'enterprise_code' AS enterprise_code, b ->> 'county_code' AS county_code,
       b -> 'supervision_level' AS level, b ->> 'status' AS status, b ->> 'status_label' AS status_label,
       b -> 'attrs' AS attrs, b -> 'gw_flow_azimuth' AS azimuth, b -> 'elements' AS elements
  FROM (SELECT pond_file(:p1) -> 'basic' AS b) f;
SELECT (f.b ->> 'lon')::float8 = ST_X(p.location) AND (f.b ->> 'lat')::float8 = ST_Y(p.location) AS registry_point,
       (f.b ->> 'id')::bigint = p.id AS id,
       (f.b ->> 'score')::real = completeness(p.id) AS score,
       (f.b ->> 'score')::real < 1 AS below_one,
       ((f.b ->> 'rules')::int, (f.b ->> 'errors_failed')::int, (f.b ->> 'warnings_failed')::int)
           = (SELECT s.rules, s.errors_failed, s.warnings_failed FROM _pond_summary(p.id) s) AS summary
  FROM pond p, LATERAL (SELECT pond_file(p.id) -> 'basic' AS b) f
 WHERE p.id = :p1;

---------------------------------------------------------------------------
-- 3. ledger: oldest first, each with the balance against the year before
---------------------------------------------------------------------------
SELECT l ->> 'year' AS year, l ->> 'produced_t' AS produced_t, l ->> 'stored_t' AS stored_t,
       l ->> 'reused_t' AS reused_t, l ->> 'stock_t' AS stock_t, l ->> 'reported_on' AS reported_on,
       l -> 'late' AS late, l ->> 'previous_stock_t' AS previous, l ->> 'expected_stock_t' AS expected,
       l ->> 'difference_t' AS difference, l ->> 'tolerance_t' AS tolerance, l -> 'consistent' AS consistent
  FROM jsonb_array_elements(pond_file(:p1) -> 'ledger') l;
SELECT string_agg(k, ',' ORDER BY k) AS ledger_keys FROM jsonb_object_keys(pond_file(:p1) -> 'ledger' -> 0) k;

---------------------------------------------------------------------------
-- 4. documents: by kind, the latest first; expired, days to expiry, superseded
---------------------------------------------------------------------------
SELECT d ->> 'kind' AS kind, d ->> 'kind_label' AS kind_label, d ->> 'number' AS number, d ->> 'issued_on' AS issued_on,
       d ->> 'valid_until' AS valid_until, d ->> 'reviewed_on' AS reviewed_on, d -> 'expired' AS expired,
       d -> 'superseded' AS superseded,
       (d ->> 'expires_in_days')::int IS NOT DISTINCT FROM (d ->> 'valid_until')::date - current_date AS days_to_expiry_right
  FROM jsonb_array_elements(pond_file(:p1) -> 'documents') d;
-- the expired permit: its days to expiry are negative
SELECT (d ->> 'expires_in_days')::int < 0 AS negative
  FROM jsonb_array_elements(pond_file(:p1) -> 'documents') d WHERE d ->> 'number' = '91510400MA00000014001V';

---------------------------------------------------------------------------
-- 5. facilities: every element in catalog order, a point on it, its latest visit
---------------------------------------------------------------------------
SELECT f ->> 'kind' AS kind, f ->> 'kind_label' AS kind_label, f ->> 'category' AS category,
       f ->> 'category_label' AS category_label, f ->> 'name' AS name, f ->> 'source' AS source,
       f ->> 'verified_on' AS verified_on,
       f -> 'last_visit' ->> 'level' AS visit_level, f -> 'last_visit' ->> 'state' AS visit_state,
       f -> 'last_visit' ->> 'state_label' AS state_label, f -> 'last_visit' ->> 'visited_at' AS visited_at,
       f -> 'last_visit' ->> 'offset_m' AS offset_m, f -> 'last_visit' ->> 'note' AS note
  FROM jsonb_array_elements(pond_file(:p1) -> 'facilities') f;
-- each point lies on its element (the pool: inside it; the dam: on the line)
SELECT count(*) AS facilities,
       count(*) FILTER (WHERE ST_DWithin(e.geom, ST_SetSRID(ST_MakePoint((f ->> 'lon')::float8, (f ->> 'lat')::float8), 4490), 1e-9))
           AS points_on_their_element,
       (SELECT count(*) FROM element WHERE pond_id = :p1) AS elements_of_pond
  FROM jsonb_array_elements(pond_file(:p1) -> 'facilities') f
  JOIN element e ON e.id = (f ->> 'id')::bigint;
-- never inspected: last_visit is JSON null (the key is there)
SELECT f ->> 'name' AS never_inspected, f ? 'last_visit' AS has_key, jsonb_typeof(f -> 'last_visit') AS type
  FROM jsonb_array_elements(pond_file(:p1) -> 'facilities') f WHERE f -> 'last_visit' = 'null';

---------------------------------------------------------------------------
-- 6. hazards: newest found first, with their checks; overdue and days overdue
---------------------------------------------------------------------------
SELECT (h ->> 'id')::bigint = ANY (ARRAY[:h_a, :h_b, :h_c]) AS ours, h ->> 'description' AS description,
       h ->> 'found_on' AS found_on, h ->> 'found_by' AS found_by, h ->> 'found_level' AS found_level,
       h ->> 'campaign' AS campaign, h ->> 'element_name' AS element, h ->> 'category' AS category,
       h ->> 'severity' AS severity, h ->> 'severity_label' AS severity_label, h ->> 'deadline' AS deadline,
       h ->> 'status' AS status, h ->> 'status_label' AS status_label, h ->> 'rectification' AS rectification,
       h ->> 'rectified_on' AS rectified_on, h -> 'overdue' AS overdue,
       (h ->> 'days_overdue')::int IS NOT DISTINCT FROM
           CASE WHEN (h -> 'overdue')::boolean THEN current_date - (h ->> 'deadline')::date END AS days_overdue_right,
       jsonb_array_length(h -> 'checks') AS checks
  FROM jsonb_array_elements(pond_file(:p1) -> 'hazards') h;
-- the same hazards as hazard_overdue lists, with its days
SELECT (SELECT array_agg((h ->> 'id')::bigint ORDER BY (h ->> 'id')::bigint)
          FROM jsonb_array_elements(pond_file(:p1) -> 'hazards') h WHERE (h -> 'overdue')::boolean)
     = (SELECT array_agg(o.id ORDER BY o.id) FROM hazard_overdue o WHERE o.pond_id = :p1) AS overdue_as_the_view,
       (SELECT array_agg((h ->> 'days_overdue')::int ORDER BY (h ->> 'id')::bigint)
          FROM jsonb_array_elements(pond_file(:p1) -> 'hazards') h WHERE (h -> 'overdue')::boolean)
     = (SELECT array_agg(o.days_overdue ORDER BY o.id) FROM hazard_overdue o WHERE o.pond_id = :p1) AS days_as_the_view;
-- B's checks, oldest first; the position of C (a point on the map, no element)
SELECT c ->> 'checked_on' AS checked_on, c ->> 'level' AS level, c ->> 'level_label' AS level_label,
       c ->> 'checked_by' AS checked_by, c -> 'passed' AS passed, c ->> 'note' AS note,
       (c ->> 'hazard_id')::bigint = :h_b AS of_b
  FROM jsonb_array_elements(pond_file(:p1) -> 'hazards') h, jsonb_array_elements(h -> 'checks') c
 WHERE (h ->> 'id')::bigint = :h_b;
SELECT h -> 'element_id' AS element_id,
       ST_Equals(ST_SetSRID(ST_MakePoint((h ->> 'lon')::float8, (h ->> 'lat')::float8), 4490), pg_temp.xy(100, 100)) AS at_its_position
  FROM jsonb_array_elements(pond_file(:p1) -> 'hazards') h WHERE (h ->> 'id')::bigint = :h_c;

---------------------------------------------------------------------------
-- 7. inspections: newest first, with their coverage
---------------------------------------------------------------------------
SELECT i ->> 'level' AS level, i ->> 'level_label' AS level_label, i ->> 'campaign' AS campaign,
       i ->> 'inspector' AS inspector, i ->> 'started_on' AS started_on, i ->> 'finished_on' AS finished_on,
       i -> 'elements' AS elements, i -> 'visited' AS visited, i -> 'missed' AS missed, i -> 'to_correct' AS to_correct,
       (SELECT string_agg(m ->> 'name', ', ') FROM jsonb_array_elements(i -> 'missed_points') m) AS missed_points,
       (SELECT string_agg(format('%s %s m', m ->> 'name', round((m ->> 'offset_m')::numeric)), ', ')
          FROM jsonb_array_elements(i -> 'positions_to_correct') m) AS to_correct_points
  FROM jsonb_array_elements(pond_file(:p1) -> 'inspections') i;
-- the counts are inspection_coverage's
SELECT bool_and((i ->> 'elements')::bigint = c.elements AND (i ->> 'visited')::bigint = c.visited
                AND (i ->> 'missed')::bigint = c.missed AND (i ->> 'to_correct')::bigint = c.to_correct) AS as_coverage
  FROM jsonb_array_elements(pond_file(:p1) -> 'inspections') i,
       LATERAL (SELECT count(*) AS elements, count(*) FILTER (WHERE visited) AS visited,
                       count(*) FILTER (WHERE NOT visited) AS missed, count(*) FILTER (WHERE to_correct) AS to_correct
                  FROM inspection_coverage((i ->> 'id')::bigint)) c;

---------------------------------------------------------------------------
-- 8. monitoring: the assessment, and the series of each well and parameter
---------------------------------------------------------------------------
SELECT a ->> 'name' AS name, a ->> 'kind' AS kind, a ->> 'parameter' AS parameter,
       a ->> 'parameter_label' AS parameter_label, a ->> 'sampled_on' AS sampled_on, a ->> 'value' AS value,
       a ->> 'unit' AS unit, a ->> 'limit_max' AS limit_max, a ->> 'limit_min' AS limit_min, a -> 'exceeds' AS exceeds,
       a ->> 'background' AS background, round((a ->> 'ratio_to_background')::numeric, 2) AS ratio
  FROM jsonb_array_elements(pond_file(:p1) -> 'monitoring' -> 'assessment') a;
SELECT jsonb_array_length(pond_file(:p1) -> 'monitoring' -> 'assessment')
     = (SELECT count(*) FROM monitoring_assessment(:p1)) AS assessment_rows;
-- for the charts: the role of each well (the catalog's placement role), the
-- limit line, the points oldest first, in the limit's unit (80 µg/L is 0.08)
SELECT s ->> 'name' AS name, s ->> 'role' AS role, s ->> 'parameter' AS parameter, s ->> 'parameter_label' AS label,
       s ->> 'unit' AS unit, s ->> 'limit_max' AS limit_max, s ->> 'limit_min' AS limit_min,
       (SELECT string_agg(format('%s %s', p ->> 'sampled_on', p ->> 'value'), '; ') FROM jsonb_array_elements(s -> 'series') p)
           AS series
  FROM jsonb_array_elements(pond_file(:p1) -> 'monitoring' -> 'series') s;

---------------------------------------------------------------------------
-- 9. completeness: check_completeness's rows, in its order
---------------------------------------------------------------------------
SELECT (SELECT jsonb_agg(jsonb_build_array(c ->> 'rule', c ->> 'category', (c ->> 'required')::int, (c ->> 'present')::int,
                                           (c ->> 'passed')::boolean, c ->> 'severity', c ->> 'message'))
          FROM jsonb_array_elements(pond_file(:p1) -> 'completeness') c)
     = (SELECT jsonb_agg(jsonb_build_array(c.rule, c.category, c.required, c.present, c.passed, c.severity, c.message))
          FROM check_completeness(:p1) c) AS as_check_completeness;
SELECT c ->> 'rule' AS rule, c ->> 'category_label' AS category_label, c -> 'passed' AS passed, c ->> 'severity' AS severity
  FROM jsonb_array_elements(pond_file(:p1) -> 'completeness') c
 WHERE c ->> 'rule' IN ('major_hazard', 'dam', 'ledger_balance');

---------------------------------------------------------------------------
-- 10. changes: the latest 50 of the pond, newest first
---------------------------------------------------------------------------
SELECT (SELECT count(*) FROM change_log WHERE pond_id = :p1) > 50 AS more_than_50_logged,
       jsonb_array_length(pond_file(:p1) -> 'changes') AS changes,
       (SELECT array_agg((c ->> 'id')::bigint) FROM jsonb_array_elements(pond_file(:p1) -> 'changes') c)
     = (SELECT array_agg(x.id) FROM (SELECT id FROM change_log WHERE pond_id = :p1 ORDER BY changed_at DESC, id DESC LIMIT 50) x)
           AS the_latest_newest_first;
-- the latest: the county's move of the sign, 20 m
SELECT c ->> 'table' AS "table", c ->> 'op' AS op, (c ->> 'row_id')::bigint = :e_sign AS sign, c ->> 'actor' AS actor,
       c -> 'changed' AS changed, round((c ->> 'moved_m')::numeric) AS moved_m,
       (c ->> 'changed_at')::timestamptz = (SELECT max(changed_at) FROM change_log WHERE pond_id = :p1) AS changed_at
  FROM jsonb_array_elements(pond_file(:p1) -> 'changes') c LIMIT 1;
-- the tables of the 50, and an entry's keys
SELECT c ->> 'table' AS "table", c ->> 'op' AS op, count(*)
  FROM jsonb_array_elements(pond_file(:p1) -> 'changes') c GROUP BY 1, 2 ORDER BY 1, 2;
SELECT string_agg(k, ',' ORDER BY k) AS change_keys FROM jsonb_object_keys(pond_file(:p1) -> 'changes' -> 0) k;

---------------------------------------------------------------------------
-- 11. A pond with nothing on file: empty arrays, never null
---------------------------------------------------------------------------
SELECT k.key, jsonb_typeof(k.value) AS type,
       CASE jsonb_typeof(k.value) WHEN 'array' THEN jsonb_array_length(k.value)::text END AS length
  FROM jsonb_each(pond_file(:pe)) k ORDER BY k.key;
SELECT jsonb_typeof(m.value) AS monitoring_type, m.key, jsonb_array_length(m.value) AS length
  FROM jsonb_each(pond_file(:pe) -> 'monitoring') m ORDER BY m.key;
SELECT pond_file(:pe) -> 'basic' ->> 'elements' AS elements, pond_file(:pe) -> 'changes' -> 0 ->> 'table' AS its_one_change;

---------------------------------------------------------------------------
-- 12. The labels follow tailings.language
---------------------------------------------------------------------------
SET tailings.language = en;
SELECT f -> 'basic' ->> 'status_label' AS status_label,
       (SELECT string_agg(DISTINCT d ->> 'kind_label', ', ') FROM jsonb_array_elements(f -> 'documents') d) AS documents,
       (SELECT f2 ->> 'kind_label' FROM jsonb_array_elements(f -> 'facilities') f2 WHERE (f2 ->> 'id')::bigint = :e_dam) AS dam,
       (SELECT f2 -> 'last_visit' ->> 'state_label' FROM jsonb_array_elements(f -> 'facilities') f2
         WHERE (f2 ->> 'id')::bigint = :e_dam) AS dam_state,
       (SELECT string_agg(h ->> 'status_label' || ' / ' || (h ->> 'severity_label'), ', ' ORDER BY h ->> 'id')
          FROM jsonb_array_elements(f -> 'hazards') h) AS hazards,
       (SELECT string_agg(i ->> 'level_label', ', ') FROM jsonb_array_elements(f -> 'inspections') i) AS inspections
  FROM pond_file(:p1) f;
SELECT a ->> 'parameter_label' AS parameter_label FROM jsonb_array_elements(pond_file(:p1) -> 'monitoring' -> 'assessment') a
 WHERE a ->> 'parameter' = 'manganese' LIMIT 1;
SELECT c ->> 'message' AS message FROM jsonb_array_elements(pond_file(:p1) -> 'completeness') c WHERE c ->> 'rule' = 'major_hazard';
-- (the same as check_completeness in English)
SELECT (SELECT jsonb_agg(c -> 'message') FROM jsonb_array_elements(pond_file(:p1) -> 'completeness') c)
     = (SELECT jsonb_agg(to_jsonb(c.message)) FROM check_completeness(:p1) c) AS messages_as_check_completeness;
RESET tailings.language;
SELECT f -> 'basic' ->> 'status_label' AS status_label,
       (SELECT string_agg(DISTINCT d ->> 'kind_label', ', ') FROM jsonb_array_elements(f -> 'documents') d) AS documents,
       (SELECT string_agg(h ->> 'status_label' || ' / ' || (h ->> 'severity_label'), ', ' ORDER BY h ->> 'id')
          FROM jsonb_array_elements(f -> 'hazards') h) AS hazards
  FROM pond_file(:p1) f;

---------------------------------------------------------------------------
-- 13. Who sees which file: the caller's row-level security decides
---------------------------------------------------------------------------
-- a member in scope gets the whole file, as the superuser does
SET ROLE regress_pf_ent_a;
SELECT pond_file(:p1) AS ent_a_file \gset
RESET ROLE;
SELECT :'ent_a_file'::jsonb = pond_file(:p1) AS enterprise_gets_the_whole_file;
SET ROLE regress_pf_county;
SELECT pond_file(:p1) = :'ent_a_file'::jsonb AS county_in_scope_too;
SET ROLE regress_pf_city;
SELECT pond_file(:p1) = :'ent_a_file'::jsonb AS city_too;
SET ROLE regress_pf_reader;
SELECT pond_file(:p1) = :'ent_a_file'::jsonb AS reader_too;
-- another enterprise's member, a county out of scope: as if the pond did not exist
SET ROLE regress_pf_ent_b;
SELECT pg_temp.fails(format('SELECT tailings.pond_file(%s)', :p1)) AS ent_b_on_p1;
SELECT pond_file(:p2) -> 'basic' ->> 'code' AS ent_b_own;
SET ROLE regress_pf_county2;
SELECT pg_temp.fails(format('SELECT tailings.pond_file(%s)', :p1)) AS county2_on_p1;
SELECT pond_file(:p3) -> 'basic' ->> 'code' AS county2_own;
-- enterprise A sees its pond in the other county
SET ROLE regress_pf_ent_a;
SELECT pond_file(:p3) -> 'basic' ->> 'code' AS ent_a_other_county;
-- a login that is no member reads nothing
SET ROLE regress_pf_nobody;
SELECT pg_temp.fails(format('SELECT tailings.pond_file(%s)', :p1)) AS nobody;
RESET ROLE;
-- no such pond, no pond
SELECT pg_temp.fails('SELECT tailings.pond_file(999999)');
SELECT pg_temp.fails('SELECT tailings.pond_file(NULL)');

---------------------------------------------------------------------------
-- 14. How it is declared: STABLE, as the caller, search_path pinned
---------------------------------------------------------------------------
SELECT p.oid::regprocedure AS function, p.provolatile, p.prosecdef, p.proconfig,
       has_function_privilege('regress_pf_nobody', p.oid, 'EXECUTE') AS public_execute
  FROM pg_proc p
 WHERE p.pronamespace = 'tailings'::regnamespace AND p.proname IN ('pond_file', '_file_label')
 ORDER BY 1::text;

\c :regress_db
DROP DATABASE :test_db;
DROP ROLE regress_pf_ent_a, regress_pf_ent_b, regress_pf_county, regress_pf_county2, regress_pf_city,
	regress_pf_reader, regress_pf_nobody;
