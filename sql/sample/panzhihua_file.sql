-- The Panzhihua sample's pond files (一库一档, design §8): for every pond its
-- annual ledgers, its papers, hazards found and rectified in a closed loop,
-- the pre-flood inspections of the level 2 ponds, and quarterly groundwater
-- samples of the four key ponds.  All of it is synthetic (the text says
-- （示例）), made to look like a real city's files.
--
-- Included by sql/sample/panzhihua.sql (psql \ir, inside its transaction,
-- after the ponds are drawn) when the extension has the file's tables (0.8.0
-- on).  It runs as the loading superuser, in the order the triggers accept (a
-- hazard is recorded open, then rectified, then checked), and each change is
-- logged with the person it stands for as its actor (tailings.actor).
--
-- The dates are computed from today, so that what depends on them stays true
-- in any later year: Y is the year whose ledger is due (last year; in January,
-- the year before), so the sample always has the ledgers of Y-3 .. Y, most of
-- Y's reported by 31 January of Y+1; the pre-flood inspections and the
-- quarterly samples are of Y; the deadlines, expiry days and reviews that must
-- lie before or after today are counted from today.  On 30 November 2026: Y =
-- 2025, ledgers 2022-2025, the 2025 pre-flood inspections.

-- the year whose ledger is due today
CREATE FUNCTION pg_temp.file_year() RETURNS integer LANGUAGE sql STABLE
RETURN (CASE WHEN extract(month FROM current_date) = 1 THEN extract(year FROM current_date) - 2
             ELSE extract(year FROM current_date) - 1 END)::integer;

-- the point dx metres east and dy metres north of a point (a pond's few
-- kilometres are a plane at this scale)
CREATE FUNCTION pg_temp.offset_m(g geometry, dx float8, dy float8) RETURNS geometry LANGUAGE sql STABLE
RETURN (SELECT ST_SetSRID(ST_MakePoint(ST_X(g) + dx / m.kx, ST_Y(g) + dy / m.ky), 4490)
          FROM tailings._metres_per_degree(ST_Y(g)) m);

-- the ponds as the file needs them
CREATE TEMP TABLE fp AS
SELECT p.id::integer AS id, p.code, p.name, p.enterprise, p.enterprise_code, p.county_code, p.supervision_level AS level,
       p.status::text AS status, p.location, s.valley_az, s.scale, s.stage,
       (p.attrs ->> 'capacity_10k_m3')::numeric * 10000 * 1.45 AS capacity_t,
       EXISTS (SELECT FROM tailings.element e WHERE e.pond_id = p.id AND e.kind = 'discharge_outlet') AS has_outlet,
       p.enterprise || ' 安全环保部（示例）' AS enterprise_person,
       b.bureau AS county_bureau, b.bureau || ' ' || b.person || '（示例）' AS county_person
  FROM tailings.pond p
  JOIN sample_pond s USING (code)
  JOIN (VALUES ('510402', '攀枝花市东区生态环境局', '张工'), ('510403', '攀枝花市西区生态环境局', '刘工'),
               ('510411', '攀枝花市仁和区生态环境局', '王工'), ('510421', '米易县生态环境局', '陈工'),
               ('510422', '盐边县生态环境局', '杨工')) b(county_code, bureau, person)
    ON b.county_code = p.county_code;
\set city_person '攀枝花市生态环境局 李科长（示例）'
\set province_person '四川省生态环境厅 赵处长（示例）'

---------------------------------------------------------------------------
-- Ledgers of Y-3 .. Y (年度尾矿台账)
---------------------------------------------------------------------------
-- In use: production grows a little each year; 86% of it goes into the pond,
-- and 9% as much is taken out again for building materials (综合利用).
-- Suspended: no production; a third of them sell old tailings.  Closed: no
-- production, the stock stays.  Each stock is the year before's + stored -
-- reused, except two: 510411-005's stock of Y-1 re-surveyed 6% lower, and
-- 510422-006's of Y 3% higher (both beyond the 1% tolerance).  Reported by
-- 31 January of the next year, except 510411-006, 510421-009 and 510422-010,
-- late with Y's, and 510421-009 late with Y-2's too; 510421-007 has not
-- reported Y's yet, 510422-009 neither Y's nor Y-1's.
CREATE TEMP TABLE file_ledger AS
WITH years AS (
	SELECT fp.*, y.year, y.year - (pg_temp.file_year() - 3) AS k
	  FROM fp, generate_series(pg_temp.file_year() - 3, pg_temp.file_year()) y(year)),
flows AS (
	SELECT y.*,
	       CASE WHEN y.status = 'in_use'
	            THEN round(y.capacity_t * 0.06 * (1 + 0.04 * y.k) * (1 + (y.id % 5) / 20.0), -2) ELSE 0 END AS produced
	  FROM years y),
amounts AS (
	SELECT f.*,
	       round(f.produced * 0.86, -2) AS stored,
	       CASE WHEN f.status = 'in_use' THEN round(f.produced * 0.09, -2)
	            WHEN f.status = 'suspended' AND f.id % 3 = 0 THEN round(f.capacity_t * 0.01 * (1 + f.k % 2), -2)
	            ELSE 0 END AS reused,
	       round(f.capacity_t * CASE f.status WHEN 'in_use' THEN 0.40 + (f.id * 13 % 30) / 100.0
	                                          WHEN 'suspended' THEN 0.60 + (f.id * 7 % 20) / 100.0
	                                          ELSE 0.85 + (f.id % 10) / 100.0 END, -3) AS stock_before
	  FROM flows f),
stocks AS (
	SELECT a.*,
	       a.stock_before + sum(a.stored - a.reused) OVER (PARTITION BY a.id ORDER BY a.year)
	       -- the re-surveys: the books start again from the surveyed stock
	       + CASE WHEN a.code = '510411-005' AND a.year >= pg_temp.file_year() - 1 THEN -round(0.06 * a.stock_before, -3)
	              WHEN a.code = '510422-006' AND a.year >= pg_temp.file_year() THEN round(0.03 * a.stock_before, -3)
	              ELSE 0 END AS stock
	  FROM amounts a)
SELECT s.id AS pond_id, s.year::smallint AS year, s.produced AS produced_t, s.stored AS stored_t, s.reused AS reused_t,
       s.stock AS stock_t,
       CASE WHEN s.status = 'in_use' THEN round(s.stored * 2.2, -2) ELSE 0 END AS return_water_m3,
       CASE WHEN s.has_outlet THEN round(s.stored * 0.12, -2) ELSE 0 END AS discharged_m3,
       round(s.capacity_t / 1.45 * CASE s.status WHEN 'in_use' THEN 0.004 WHEN 'suspended' THEN 0.003 ELSE 0.0015 END
             * (1 + 0.1 * (s.k % 2)), -1) AS leachate_m3,
       s.enterprise_person AS actor,
       CASE WHEN s.year = pg_temp.file_year() AND s.code IN ('510411-006', '510421-009', '510422-010')
            THEN least(make_date(s.year + 1, 3, 10 + s.id % 10), current_date)
            WHEN s.year = pg_temp.file_year() - 2 AND s.code = '510421-009' THEN make_date(s.year + 1, 4, 2)
            ELSE make_date(s.year + 1, 1, 5 + s.id % 25) END AS reported_on
  FROM stocks s
 WHERE NOT (s.code = '510421-007' AND s.year = pg_temp.file_year())
   AND NOT (s.code = '510422-009' AND s.year >= pg_temp.file_year() - 1);

DO $$
DECLARE
	r record;
BEGIN
	FOR r IN SELECT * FROM file_ledger ORDER BY reported_on, pond_id, year LOOP
		PERFORM set_config('tailings.actor', r.actor, true);
		INSERT INTO tailings.ledger (pond_id, year, produced_t, stored_t, reused_t, stock_t, return_water_m3, discharged_m3,
		                             leachate_m3, leachate_treated_m3, reported_on)
		VALUES (r.pond_id, r.year, r.produced_t, r.stored_t, r.reused_t, r.stock_t, r.return_water_m3, r.discharged_m3,
		        r.leachate_m3, r.leachate_m3, r.reported_on);
	END LOOP;
END
$$;

---------------------------------------------------------------------------
-- Papers
---------------------------------------------------------------------------
-- Every pond: its EIA approval (2006-2016, by the city's environmental
-- protection bureau) and, but for 510421-007 and 510422-009, the
-- environmental acceptance two or three years later.  In use and suspended:
-- an emergency plan (filed with the county bureau); most reviewed within the
-- last three years, four not (510411-004, 510411-006, 510421-009,
-- 510422-008); 510411-001 revised its plan last year (the old one is
-- superseded).  In use: a discharge permit (five years); 510422-005's (a pond
-- with a discharge outlet), 510421-006's and 510422-006's have expired;
-- 510411-001 renewed its permit.  Level 2: a self-monitoring plan.  Closed:
-- the closure design and, for eleven of them, the closure acceptance.  Each
-- says in attrs.note that it is sample data; the numbers written in Chinese
-- carry （示例）, those the completeness check quotes (the permits' and the
-- plans') keep their real, ASCII form.
CREATE TEMP TABLE file_document AS
-- EIA approvals
SELECT fp.id AS pond_id, 'eia_approval' AS kind,
       format('攀环审〔%s〕%s号（示例）', 2006 + fp.id % 11, 10 + fp.id * 3) AS number,
       make_date(2006 + fp.id % 11, 1 + fp.id % 12, 5 + fp.id % 20) AS issued_on, NULL::date AS valid_until,
       '攀枝花市环境保护局' AS issuer, '{}'::jsonb AS attrs, fp.enterprise_person AS actor
  FROM fp
UNION ALL
-- acceptances
SELECT fp.id, 'env_acceptance', format('攀环验〔%s〕%s号（示例）', 2008 + fp.id % 11 + fp.id % 2, 5 + fp.id * 2),
       make_date(2008 + fp.id % 11 + fp.id % 2, 1 + (fp.id + 5) % 12, 3 + fp.id % 22), NULL, '攀枝花市环境保护局', '{}',
       fp.enterprise_person
  FROM fp WHERE fp.code NOT IN ('510421-007', '510422-009')
UNION ALL
-- emergency plans: four older than three years and never reviewed
SELECT fp.id, 'emergency_plan', format('%s-%s-%s-%s', fp.county_code, extract(year FROM d.issued_on), lpad((fp.id * 7 % 90 + 1)::text, 3, '0'),
                                       CASE WHEN fp.level = 2 THEN 'M' ELSE 'L' END),
       d.issued_on, NULL, fp.county_bureau,
       CASE WHEN d.reviewed_on IS NULL THEN '{}' ELSE jsonb_build_object('reviewed_on', d.reviewed_on) END,
       fp.enterprise_person
  FROM fp
 CROSS JOIN LATERAL (
       SELECT CASE WHEN fp.code IN ('510411-004', '510411-006', '510421-009', '510422-008')
                   THEN current_date - (3 * 365 + 60 + fp.id * 11 % 300)
                   WHEN fp.code = '510411-001' THEN current_date - 320
                   WHEN fp.id % 3 = 0 THEN current_date - (200 + fp.id * 17 % 800)
                   ELSE current_date - (1100 + fp.id * 17 % 400) END AS issued_on,
              CASE WHEN fp.code IN ('510411-004', '510411-006', '510421-009', '510422-008', '510411-001') OR fp.id % 3 = 0
                   THEN NULL
                   ELSE current_date - (60 + fp.id * 23 % 500) END AS reviewed_on) d
 WHERE fp.status IN ('in_use', 'suspended')
UNION ALL
-- 510411-001's plan before its revision
SELECT fp.id, 'emergency_plan', format('%s-%s-%s-M', fp.county_code, extract(year FROM current_date - 1500), '021'),
       current_date - 1500, NULL, fp.county_bureau,
       jsonb_build_object('reviewed_on', current_date - 1100), fp.enterprise_person
  FROM fp WHERE fp.code = '510411-001'
UNION ALL
-- discharge permits of five years: three expired, one renewed
SELECT fp.id, 'discharge_permit', fp.enterprise_code || '001V', d.issued_on,
       (d.issued_on + interval '5 years' - interval '1 day')::date, '攀枝花市生态环境局', '{}', fp.enterprise_person
  FROM fp
 CROSS JOIN LATERAL (
       SELECT CASE WHEN fp.code IN ('510422-005', '510421-006', '510422-006')
                   THEN (current_date - interval '5 years')::date - (30 + fp.id % 60)
                   WHEN fp.code = '510411-001' THEN (current_date - interval '5 years')::date - 70
                   ELSE current_date - (200 + fp.id * 29 % 1200) END AS issued_on) d
 WHERE fp.status = 'in_use'
UNION ALL
SELECT fp.id, 'discharge_permit', fp.enterprise_code || '002V', current_date - 100,
       (current_date - 100 + interval '5 years' - interval '1 day')::date, '攀枝花市生态环境局', '{}', fp.enterprise_person
  FROM fp WHERE fp.code = '510411-001'
UNION ALL
-- self-monitoring plans of the level 2 ponds
SELECT fp.id, 'monitoring_plan', format('%s-JC-%s（示例）', fp.code, extract(year FROM current_date - (60 + fp.id * 13 % 400))),
       current_date - (60 + fp.id * 13 % 400), NULL, fp.enterprise, '{}', fp.enterprise_person
  FROM fp WHERE fp.level = 2
UNION ALL
-- closure design and acceptance
SELECT fp.id, 'closure_design', format('攀应急审〔%s〕%s号（示例）', 2018 + fp.id % 5, 40 + fp.id), make_date(2018 + fp.id % 5, 3 + fp.id % 9, 8),
       NULL, '攀枝花市应急管理局', '{}', fp.enterprise_person
  FROM fp WHERE fp.status = 'closed'
UNION ALL
SELECT fp.id, 'closure_acceptance', format('攀应急验〔%s〕%s号（示例）', 2019 + fp.id % 5, 20 + fp.id), make_date(2019 + fp.id % 5, 4 + fp.id % 8, 18),
       NULL, '攀枝花市应急管理局', '{}', fp.enterprise_person
  FROM fp WHERE fp.status = 'closed' AND fp.code NOT IN ('510403-004', '510421-011', '510422-012', '510422-013');

DO $$
DECLARE
	r record;
BEGIN
	FOR r IN SELECT * FROM file_document ORDER BY issued_on, pond_id, kind LOOP
		PERFORM set_config('tailings.actor', r.actor, true);
		INSERT INTO tailings.document (pond_id, kind, number, issued_on, valid_until, issuer, attrs)
		VALUES (r.pond_id, r.kind, r.number, r.issued_on, r.valid_until, r.issuer,
		        r.attrs || '{"note": "示例数据，非真实文件"}');
	END LOOP;
END
$$;

---------------------------------------------------------------------------
-- The pre-flood inspections of Y (汛前检查) of the level 2 ponds
---------------------------------------------------------------------------
-- Each county bureau walks its level 2 ponds with the map in May of Y, the
-- checklist's walking order, a stop every seven minutes, where the
-- inspector stands a few metres from the mapped point (the phone's fix).
-- 510403-001, 510421-005 and 510422-005 leave points out (missed points,
-- 遗漏点位); 510422-001's monitoring well JC3 is found 40 m from where it is
-- mapped (a position to correct); what the campaign's hazards are at is
-- found abnormal; a few points are out of service or not found.
CREATE TEMP TABLE file_inspection AS
SELECT fp.id AS pond_id, fp.code, fp.county_person AS inspector, make_date(pg_temp.file_year(), 5, d.day) AS started_on,
       make_date(pg_temp.file_year(), 5, d.day + d.days - 1) AS finished_on,
       format('%s年汛前隐患排查', pg_temp.file_year()) AS campaign, d.skip
  FROM fp
  JOIN (VALUES ('510402-001', 12, 1, '{}'::text[]),
               ('510403-001', 13, 1, '{drinking_water_source,surface_water_monitor}'),
               ('510411-001', 14, 1, '{}'),
               ('510421-001', 19, 2, '{}'),
               ('510421-002', 20, 1, '{}'),
               ('510421-005', 21, 1, '{gw_outlet_well,leak_detection,soil_monitor}'),
               ('510422-001', 26, 1, '{}'),
               ('510422-005', 27, 1, '{drinking_water_source,high_level_tank}')) d(code, day, days, skip)
    ON d.code = fp.code;

---------------------------------------------------------------------------
-- Hazards and their checks (排查 -> 治理 -> 成效核查)
---------------------------------------------------------------------------
-- 32 hazards: 13 found in the pre-flood campaign of Y at the level 2 ponds
-- (found on the day of the pond's inspection), the others found lately by
-- the enterprises' self-checks and the bureaus (found "days before today").
-- Offsets are days after the finding: the deadline; rectified (r1), a failed
-- check (c1), rectified again (r2), the passed check (c2).  14 closed (3
-- after a failed check), 6 rectifying, 4 rectified awaiting their check, 8
-- open; 9 past their deadline; 5 major, of which 4 are not closed, all at
-- ponds whose map is not finished (a finished map keeps its score of 1).
CREATE TEMP TABLE file_hazard (
	n int, code text, kind text, element_name text, u float8, v float8, category text,
	found_ago int,       -- null: found on the campaign's inspection day; else days before today
	finder text, severity text, description text, deadline int, status text,
	rectification text, r1 int, c1 int, c1_level text, c1_note text, rectification2 text, r2 int, c2 int, c2_level text,
	c2_note text);
INSERT INTO file_hazard VALUES
 (1, '510411-001', 'dam', NULL, NULL, NULL, NULL, NULL, 'county', 'general', '坝面排水沟局部淤堵，汛前须清理（示例）', 20, 'closed',
  '清理坝面排水沟淤积物（示例）', 12, NULL, NULL, NULL, NULL, NULL, 18, 'county', '已清理，排水通畅（示例）'),
 (2, '510411-001', 'flood_tunnel', NULL, NULL, NULL, NULL, NULL, 'county', 'general', '排洪洞进口拦污栅被杂物堵塞（示例）', 15, 'closed',
  '清除拦污栅杂物（示例）', 8, 12, 'county', '拦污栅后仍有淤积（示例）', '清淤并加密巡查（示例）', 20, 26, 'county', '复核合格（示例）'),
 (3, '510421-001', 'dry_beach', NULL, NULL, NULL, NULL, NULL, 'city', 'major', '干滩长度不足设计最小值，调洪能力不够（示例）', 30, 'closed',
  '降低库水位（示例）', 25, 30, 'city', '干滩长度仍未达到设计要求（示例）', '加大回水量，库水位降至设计控制水位以下（示例）', 55, 62,
  'city', '干滩长度满足设计要求，予以销号（示例）'),
 (4, '510421-001', 'interception_ditch', '左岸截洪沟', NULL, NULL, NULL, NULL, 'county', 'general', '左岸截洪沟局部垮塌（示例）', 40,
  'rectifying', '已编制修复方案，待施工（示例）', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (5, '510421-002', 'leachate_pool', NULL, NULL, NULL, NULL, NULL, 'county', 'general', '渗滤液收集池液位偏高，回抽泵故障（示例）', 10, 'closed',
  '更换回抽泵，液位恢复正常（示例）', 6, NULL, NULL, NULL, NULL, NULL, 14, 'county', NULL),
 (6, '510421-002', 'gw_monitoring_well', '地下水监视井 JC2', NULL, NULL, NULL, NULL, 'county', 'general', '监视井井口保护装置破损（示例）', 30,
  'rectified', '更换井口保护装置（示例）', 21, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (7, '510422-001', 'emergency_pool', NULL, NULL, NULL, NULL, NULL, 'county', 'general', '事故应急池积存雨水，有效容积不足（示例）', 30, 'open',
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (8, '510422-001', 'sign', NULL, NULL, NULL, NULL, NULL, 'county', 'general', '环境保护图形标志牌褪色、信息不全（示例）', 30, 'closed',
  '更换标志牌（示例）', 10, NULL, NULL, NULL, NULL, NULL, 25, 'county', NULL),
 (9, '510402-001', 'closure_cover', NULL, NULL, NULL, NULL, NULL, 'county', 'general', '封场覆盖层局部雨水冲刷（示例）', 45, 'closed',
  '回填覆土并植草（示例）', 30, NULL, NULL, NULL, NULL, NULL, 40, 'county', NULL),
 (10, '510403-001', 'dam_face_dust_cover', NULL, NULL, NULL, NULL, NULL, 'county', 'general', '坝面防尘网破损（示例）', 30, 'closed',
  '更换破损防尘网（示例）', 15, NULL, NULL, NULL, NULL, NULL, 21, 'city', '市级抽查合格（示例）'),
 (11, '510421-005', 'spillway_tower', NULL, NULL, NULL, NULL, NULL, 'county', 'major', '溢洪塔塔身出现贯穿裂缝（示例）', 60, 'open',
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (12, '510422-005', 'dam', NULL, NULL, NULL, NULL, NULL, 'county', 'major', '坝体下游坡局部渗水（示例）', 45, 'rectifying',
  '增设排渗盲沟（示例）', 30, 36, 'county', '渗水点仍在，浸润线偏高（示例）', NULL, NULL, NULL, NULL, NULL),
 (13, '510422-005', 'discharge_outlet', NULL, NULL, NULL, NULL, NULL, 'county', 'general', '排放口在线监测设备故障（示例）', 20, 'closed',
  '维修在线监测设备并联网（示例）', 14, NULL, NULL, NULL, NULL, NULL, 19, 'county', NULL),
 (14, '510411-001', 'return_pipe', NULL, NULL, NULL, NULL, 80, 'enterprise', 'general', '回水管接头渗漏（示例）', 15, 'closed',
  '更换接头密封件（示例）', 10, NULL, NULL, NULL, NULL, NULL, 20, 'county', NULL),
 (15, '510421-001', 'tailings_pipe', NULL, NULL, NULL, NULL, 40, 'enterprise', 'general', '输尾管支墩松动（示例）', 60, 'rectified',
  '加固支墩（示例）', 30, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (16, '510421-002', 'sprinkler', NULL, NULL, NULL, NULL, 150, 'enterprise', 'general', '洒水抑尘设施喷头堵塞（示例）', 15, 'closed',
  '疏通更换喷头（示例）', 7, NULL, NULL, NULL, NULL, NULL, 12, 'county', NULL),
 (17, '510422-001', 'floating_intake', NULL, NULL, NULL, NULL, 25, 'enterprise', 'general', '浮船取水泵站锚固钢缆锈蚀（示例）', 55, 'rectifying',
  '已采购钢缆，待更换（示例）', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (18, '510421-003', 'return_pool', NULL, NULL, NULL, NULL, 12, 'county', 'general', '回水池周边护栏缺失（示例）', 37, 'open',
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (19, '510421-006', 'leachate_pump', NULL, NULL, NULL, NULL, 50, 'county', 'general', '渗滤液回抽泵站备用泵损坏（示例）', 40, 'open',
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (20, '510422-007', 'dam', NULL, NULL, NULL, NULL, 120, 'enterprise', 'general', '坝顶排水沟淤积（示例）', 30, 'closed',
  '清理坝顶排水沟（示例）', 20, 26, 'county', '排水沟末端仍淤堵（示例）', '全线清淤并修复沟底（示例）', 40, 47, 'county', NULL),
 (21, '510411-004', 'tailings_pipe', NULL, NULL, NULL, NULL, 20, 'county', 'major', '输尾管沿线未设事故池，存在跑冒风险（示例）', 60, 'open',
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (22, '510411-005', NULL, NULL, 520, 0, 'leachate', 120, 'county', 'general', '坝脚渗滤液外渗，未设收集池（示例）', 90, 'rectifying',
  '已开挖临时收集坑，收集池待建（示例）', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (23, '510422-006', NULL, NULL, 240, -100, 'dust', 30, 'county', 'general', '干滩扬尘，未设洒水抑尘设施（示例）', 45, 'open',
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (24, '510411-002', 'interception_ditch', '右岸截洪沟', NULL, NULL, NULL, 60, 'county', 'general', '右岸截洪沟淤堵（示例）', 55, 'rectified',
  '清理截洪沟（示例）', 45, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (25, '510422-002', 'sign', NULL, NULL, NULL, NULL, 200, 'county', 'general', '环境保护图形标志牌缺失（示例）', 30, 'closed',
  '补设标志牌（示例）', 20, NULL, NULL, NULL, NULL, NULL, 35, 'county', NULL),
 (26, '510411-003', 'closure_cover', NULL, NULL, NULL, NULL, 35, 'county', 'general', '封场覆盖区植被退化（示例）', 95, 'rectifying',
  '补植草种，雨季前完成（示例）', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (27, '510421-010', NULL, NULL, 0, 0, 'site', 90, 'city', 'major', '封场覆盖未完成，尾矿裸露（示例）', 100, 'rectified',
  '完成封场覆盖层施工（示例）', 85, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (28, '510422-011', NULL, NULL, -100, 50, 'stormwater', 100, 'county', 'general', '排洪设施缺失，汛期存在漫坝风险（示例）', 60, 'open',
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (29, '510421-007', 'dam', NULL, NULL, NULL, NULL, 45, 'county', 'general', '未建渗滤液收集设施（示例）', 75, 'open',
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (30, '510422-008', NULL, NULL, 340, 0, 'dust', 40, 'county', 'general', '坝面未覆盖，扬尘污染（示例）', 60, 'rectifying',
  '坝面覆盖防尘网，计划分段实施（示例）', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (31, '510421-004', 'gw_monitoring_well', '地下水监视井 JC2', NULL, NULL, NULL, 300, 'county', 'general', '监视井井盖缺失（示例）', 30, 'closed',
  '加装井盖并上锁（示例）', 15, NULL, NULL, NULL, NULL, NULL, 22, 'county', NULL),
 (32, '510422-004', 'closure_cover', NULL, NULL, NULL, NULL, 260, 'province', 'general', '封场区雨水冲沟（示例）', 60, 'closed',
  '修复冲沟并完善排水（示例）', 40, NULL, NULL, NULL, NULL, NULL, 50, 'province', '省级抽查合格（示例）');

-- where and when: the element, or the point (u, v) in the pond's frame; the
-- day it was found and the people
CREATE TEMP TABLE file_hazard_plan AS
SELECT h.*, fp.id AS pond_id, fp.enterprise_person,
       e.id AS element_id,
       CASE WHEN h.kind IS NULL THEN pg_temp.at(fp.location, fp.valley_az, fp.scale, h.u, h.v) END AS location,
       coalesce(i.started_on, current_date - h.found_ago) AS found_on,
       CASE WHEN h.found_ago IS NULL THEN i.campaign END AS campaign,
       CASE h.finder WHEN 'county' THEN fp.county_person WHEN 'city' THEN :'city_person'
                     WHEN 'province' THEN :'province_person' ELSE fp.enterprise_person END AS found_by,
       CASE h.c1_level WHEN 'county' THEN fp.county_person WHEN 'city' THEN :'city_person' WHEN 'province' THEN :'province_person' END
           AS c1_by,
       CASE h.c2_level WHEN 'county' THEN fp.county_person WHEN 'city' THEN :'city_person' WHEN 'province' THEN :'province_person' END
           AS c2_by
  FROM file_hazard h
  JOIN fp ON fp.code = h.code
  LEFT JOIN file_inspection i ON i.code = h.code AND h.found_ago IS NULL
  LEFT JOIN LATERAL (SELECT x.id FROM tailings.element x
                      WHERE x.pond_id = fp.id AND x.kind::text = h.kind AND (h.element_name IS NULL OR x.name = h.element_name)
                      ORDER BY x.id LIMIT 1) e ON true;

DO $$
DECLARE
	h record;
	hid bigint;
BEGIN
	FOR h IN SELECT * FROM file_hazard_plan ORDER BY found_on, n LOOP
		IF h.kind IS NOT NULL AND h.element_id IS NULL THEN
			RAISE EXCEPTION 'sample hazard %: pond % has no % %', h.n, h.code, h.kind, coalesce(h.element_name, '');
		END IF;
		-- found
		PERFORM set_config('tailings.actor', h.found_by, true);
		INSERT INTO tailings.hazard (pond_id, element_id, location, found_on, found_by, found_level, campaign, category,
		                             severity, description, deadline)
		VALUES (h.pond_id, h.element_id, h.location, h.found_on, h.found_by, h.finder, h.campaign,
		        h.category::tailings.element_category, h.severity, h.description, h.found_on + h.deadline)
		RETURNING tailings.hazard.id INTO hid;
		CONTINUE WHEN h.status = 'open';
		-- the enterprise rectifies
		PERFORM set_config('tailings.actor', h.enterprise_person, true);
		UPDATE tailings.hazard SET status = 'rectifying', rectification = h.rectification WHERE tailings.hazard.id = hid;
		CONTINUE WHEN h.r1 IS NULL;
		UPDATE tailings.hazard SET status = 'rectified', rectified_on = h.found_on + h.r1 WHERE tailings.hazard.id = hid;
		-- a failed check sends it back; the enterprise rectifies again
		IF h.c1 IS NOT NULL THEN
			PERFORM set_config('tailings.actor', h.c1_by, true);
			INSERT INTO tailings.hazard_check (hazard_id, checked_on, level, checked_by, passed, note)
			VALUES (hid, h.found_on + h.c1, h.c1_level, h.c1_by, false, h.c1_note);
			CONTINUE WHEN h.r2 IS NULL;
			PERFORM set_config('tailings.actor', h.enterprise_person, true);
			UPDATE tailings.hazard SET status = 'rectified', rectified_on = h.found_on + h.r2,
			       rectification = coalesce(h.rectification2, rectification)
			 WHERE tailings.hazard.id = hid;
		END IF;
		-- the passed check closes it
		IF h.c2 IS NOT NULL THEN
			PERFORM set_config('tailings.actor', h.c2_by, true);
			INSERT INTO tailings.hazard_check (hazard_id, checked_on, level, checked_by, passed, note)
			VALUES (hid, h.found_on + h.c2, h.c2_level, h.c2_by, true, h.c2_note);
		END IF;
	END LOOP;
END
$$;
-- each hazard is where the table says
DO $$
DECLARE
	wrong text;
BEGIN
	SELECT string_agg(format('%s: %s, not %s', p.n, h.status, p.status), '; ') INTO wrong
	  FROM file_hazard_plan p JOIN tailings.hazard h ON h.pond_id = p.pond_id AND h.description = p.description
	 WHERE h.status <> p.status;
	IF wrong IS NOT NULL THEN
		RAISE EXCEPTION 'sample hazards in the wrong state: %', wrong;
	END IF;
END
$$;

-- The inspections and their visits (after the hazards: an element a
-- campaign hazard is at was found abnormal, with the hazard's description)
DO $$
DECLARE
	i record;
	v record;
	iid bigint;
	n integer;
BEGIN
	FOR i IN SELECT * FROM file_inspection ORDER BY started_on, pond_id LOOP
		PERFORM set_config('tailings.actor', i.inspector, true);
		INSERT INTO tailings.inspection (pond_id, level, campaign, inspector, started_on, finished_on)
		VALUES (i.pond_id, 'county', i.campaign, i.inspector, i.started_on, i.finished_on)
		RETURNING id INTO iid;
		n := 0;
		FOR v IN
			SELECT c.seq, c.element_id, c.kind::text AS kind, e.name, c.lon, c.lat,
			       (SELECT h.description FROM tailings.hazard h
			         WHERE h.element_id = c.element_id AND h.campaign = i.campaign
			         ORDER BY h.id LIMIT 1) AS finding
			  FROM tailings.inspection_checklist(i.pond_id) c JOIN tailings.element e ON e.id = c.element_id
			 WHERE c.kind::text <> ALL (i.skip)
			 ORDER BY c.seq
		LOOP
			n := n + 1;
			INSERT INTO tailings.inspection_visit (inspection_id, element_id, visited_at, position, state, note)
			VALUES (iid, v.element_id,
			        -- a stop every seven minutes from 08:30; a second day from the 22nd stop
			        make_timestamptz(extract(year FROM i.started_on)::int, 5,
			                         extract(day FROM i.started_on)::int + CASE WHEN i.finished_on > i.started_on AND n > 21 THEN 1 ELSE 0 END,
			                         8, 30, 0, 'Asia/Shanghai')
			            + make_interval(mins => 7 * (CASE WHEN i.finished_on > i.started_on AND n > 21 THEN n - 22 ELSE n - 1 END)),
			        CASE WHEN i.code = '510422-001' AND v.name = '地下水监视井 JC3'
			             THEN pg_temp.offset_m(ST_SetSRID(ST_MakePoint(v.lon, v.lat), 4490), 0, 40)
			             ELSE pg_temp.offset_m(ST_SetSRID(ST_MakePoint(v.lon, v.lat), 4490),
			                                   (v.element_id * 37) % 13 - 6, (v.element_id * 53) % 13 - 6) END,
			        CASE WHEN v.finding IS NOT NULL THEN 'abnormal'
			             WHEN i.code = '510403-001' AND v.kind = 'tsp_monitor' THEN 'out_of_service'
			             WHEN i.code = '510421-005' AND v.kind = 'video_monitor' THEN 'out_of_service'
			             WHEN i.code = '510422-005' AND v.kind = 'soil_monitor' THEN 'not_found'
			             ELSE 'normal' END,
			        CASE WHEN v.finding IS NOT NULL THEN v.finding
			             WHEN i.code = '510422-001' AND v.name = '地下水监视井 JC3' THEN '井位实测与图上相差约40米，需修正（示例）'
			             WHEN i.code = '510403-001' AND v.kind = 'tsp_monitor' THEN '停用期间颗粒物监测设备停运（示例）'
			             WHEN i.code = '510421-005' AND v.kind = 'video_monitor' THEN '视频监控停用（示例）'
			             WHEN i.code = '510422-005' AND v.kind = 'soil_monitor' THEN '未找到土壤监测点标识桩（示例）' END);
		END LOOP;
	END LOOP;
END
$$;

---------------------------------------------------------------------------
-- Groundwater samples of Y at the four key ponds (地下水监测)
---------------------------------------------------------------------------
-- Quarterly, at the background well JC1 (upstream) and the monitoring wells
-- JC2 and JC3 (downstream), by the enterprise: the parameters of the pond's
-- self-monitoring plan for vanadium-titanium magnetite tailings, within
-- class III, downstream a little above the background; vanadium (no class
-- III limit) in µg/L.  Manganese at 安宁铁钛烂坝山 (510421-002) JC2 rises over
-- the year and exceeds 0.10 mg/L in the fourth quarter: 0.26 mg/L.
CREATE TEMP TABLE file_sample AS
SELECT e.id AS element_id, make_date(pg_temp.file_year(), q.month, q.day) AS sampled_on, x.parameter,
       CASE WHEN fp.code = '510421-002' AND e.name = '地下水监视井 JC2' AND x.parameter = 'manganese'
            THEN (ARRAY[0.05, 0.07, 0.09, 0.26])[q.q]
            WHEN x.parameter = 'pH' THEN round((CASE WHEN up THEN x.bg ELSE x.down END + 0.1 * ((q.q + fp.id + x.i) % 5 - 2))::numeric, 2)
            ELSE round((CASE WHEN up THEN x.bg ELSE x.down END * (1 + 0.06 * ((q.q + fp.id + e.id + x.i) % 5 - 2)))::numeric, x.digits)
       END::float8 AS value,
       x.unit, fp.enterprise_person AS actor
  FROM fp
  JOIN tailings.element e ON e.pond_id = fp.id AND e.name IN ('地下水本底井 JC1', '地下水监视井 JC2', '地下水监视井 JC3')
 CROSS JOIN LATERAL (SELECT e.kind = 'gw_background_well' AS up) w
 CROSS JOIN (VALUES (1, 3, 12), (2, 6, 12), (3, 9, 12), (4, 12, 8)) q(q, month, day)
 CROSS JOIN (VALUES (1, 'pH', 7.6, 7.8, 2, '无量纲'), (2, 'total_hardness', 210, 262, 0, 'mg/L'), (3, 'sulfate', 45, 96, 0, 'mg/L'),
                    (4, 'iron', 0.05, 0.12, 3, 'mg/L'), (5, 'manganese', 0.025, 0.04, 3, 'mg/L'),
                    (6, 'ammonia_n', 0.05, 0.08, 3, 'mg/L'), (7, 'fluoride', 0.30, 0.45, 2, 'mg/L'),
                    (8, 'vanadium', 2.1, 6.5, 1, 'µg/L')) x(i, parameter, bg, down, digits, unit)
 WHERE fp.code IN ('510411-001', '510421-001', '510421-002', '510422-001');

DO $$
DECLARE
	r record;
BEGIN
	FOR r IN SELECT * FROM file_sample ORDER BY sampled_on, element_id, parameter LOOP
		PERFORM set_config('tailings.actor', r.actor, true);
		INSERT INTO tailings.sample (element_id, sampled_on, parameter, value, unit)
		VALUES (r.element_id, r.sampled_on, r.parameter, r.value, r.unit);
	END LOOP;
	PERFORM set_config('tailings.actor', '', true);
END
$$;

DROP TABLE fp, file_ledger, file_document, file_inspection, file_hazard, file_hazard_plan, file_sample;
