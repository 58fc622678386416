-- Panzhihua sample: the 40 supervised tailings ponds of the city's 2025 pilot
-- (攀枝花市生态美市建设工作简报 2025年第2期), for a database with the tailings
-- extension:  psql -d DB -f sql/sample/panzhihua.sql
--
-- Published facts it matches: 40 ponds, 8 at supervision level 2 and 32 at
-- level 3; 11 in use, 14 suspended, 15 closed; 14 with a finished map, among
-- them the four named key ponds; 烂坝山 lies in 米易县.  Everything else -- the
-- other 36 names, enterprises, codes, coordinates, layouts, dates and
-- attributes -- is synthetic, made to look like real sites (see README.md).
-- The enterprises' unified social credit codes (统一社会信用代码) are
-- synthetic too, one per enterprise: valid in form and check digits
-- (GB 32100-2015, with a GB 11714 organization code inside), registered in
-- the pond's county, and not the real enterprises' codes.
--
-- Elements are drawn in each pond's local frame: u metres down the valley
-- (the groundwater flow azimuth), v metres to the right of it.  The pond's
-- registry point is the centre of the basin; the dam closes the valley at
-- u = +300 m (times the pond's scale).
--
-- With extension 0.8.0 or later, every pond gets its file too (一库一档:
-- ledgers, papers, hazards, inspections, groundwater samples), synthetic and
-- marked （示例）, dated from today: sql/sample/panzhihua_file.sql.
--
-- Loading is all or nothing, and refuses a database that already holds ponds.

\set ON_ERROR_STOP on
BEGIN;

DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM tailings.pond) THEN
		RAISE EXCEPTION 'tailings.pond already holds rows: the Panzhihua sample loads into an empty database';
	END IF;
END $$;

\ir ../lib/draw_pond.sql

CREATE TEMP TABLE sample_pond (
	code text, name text, enterprise text, enterprise_code text, county_code text, level smallint,
	status tailings.pond_status, lon float8, lat float8,
	valley_az float8,     -- direction the valley (and groundwater) runs
	gw_known bool,        -- flow azimuth recorded in the pond's file
	scale float8,         -- size of the site relative to the template layout
	stage text,           -- complete | ground | drone | satellite
	gaps text[]           -- kinds not drawn yet, and defects (see below)
);

-- Stages: complete = finished map (all three collection steps); ground =
-- ground check under way, a few gaps; drone = drawn from the drone survey,
-- nothing ground-verified, no wells; satellite = boundary, dam and receptors
-- identified from imagery only.
-- Defects: pipe_reversed (leachate pipe drawn against the flow), no_depth
-- (wells without depth_m), no_volume (pools without volume_m3), misplaced (a
-- sign drawn 8 km away).
INSERT INTO sample_pond VALUES
-- the four named key ponds (names published; places, codes and layouts synthetic except 烂坝山 in 米易县)
('510411-001', '龙佰丰源牛场坪尾矿库', '攀枝花龙佰丰源矿业有限公司', '91510411752211513W', '510411', 2, 'in_use', 101.792, 26.468, 135, true, 1.4, 'complete', '{}'),
('510422-001', '龙佰矿冶牛望田尾矿库', '龙佰四川矿冶有限公司', '91510422MA6R2TBJ8P', '510422', 2, 'in_use', 101.905, 26.742, 200, true, 1.3, 'complete', '{}'),
('510421-001', '攀钢新白马矿业万年沟尾矿库', '攀钢集团新白马矿业有限责任公司', '91510421MA6F6J8R8T', '510421', 2, 'in_use', 102.072, 27.052, 160, true, 1.5, 'complete', '{}'),
('510421-002', '安宁铁钛烂坝山尾矿库', '攀枝花安宁铁钛股份有限公司', '91510421143078411C', '510421', 2, 'in_use', 102.146, 26.946, 250, true, 1.2, 'complete', '{}'),
-- other finished maps
('510403-001', '大水箐尾矿库', '攀枝花市西区宏达选矿有限公司', '91510403MA60BN713P', '510403', 2, 'suspended', 101.566, 26.621, 190, true, 1.0, 'complete', '{}'),
('510402-001', '干坝塘尾矿库', '攀枝花市东区鑫源钛业有限公司', '91510402MA6NBG563G', '510402', 2, 'closed', 101.768, 26.612, 170, true, 0.9, 'complete', '{}'),
('510421-003', '新山沟尾矿库', '米易县新山选矿有限责任公司', '915104219116887827', '510421', 3, 'in_use', 102.031, 26.842, 110, true, 0.8, 'complete', '{}'),
('510422-002', '黑谷田尾矿库', '盐边县黑谷田矿业有限公司', '91510422MA6C841G02', '510422', 3, 'suspended', 101.812, 26.732, 160, true, 0.8, 'complete', '{}'),
('510422-003', '马鹿箐尾矿库', '盐边县惠民矿业有限责任公司', '91510422MA6TBYLG18', '510422', 3, 'suspended', 101.693, 26.862, 90, true, 0.7, 'complete', '{}'),
('510411-002', '羊圈沟尾矿库', '攀枝花市仁和区永兴选厂', '915104113521174560', '510411', 3, 'suspended', 101.656, 26.436, 180, true, 0.7, 'complete', '{}'),
('510411-003', '大湾子尾矿库', '攀枝花市仁和区金江矿业有限公司', '91510411MA6PBFKD5R', '510411', 3, 'closed', 101.712, 26.384, 150, true, 0.7, 'complete', '{}'),
('510421-004', '白沙坡尾矿库', '米易县白沙坡钒钛有限公司', '91510421MA6EENDG3N', '510421', 3, 'closed', 101.992, 26.974, 200, true, 0.6, 'complete', '{}'),
('510422-004', '青杠坪尾矿库', '盐边县青杠坪选矿厂', '91510422762790272J', '510422', 3, 'closed', 101.548, 26.958, 120, true, 0.6, 'complete', '{}'),
('510403-002', '石灰窑沟尾矿库', '攀枝花市西区恒鑫工贸有限公司', '91510403MA6WUJYP38', '510403', 3, 'closed', 101.618, 26.585, 210, true, 0.6, 'complete', '{}'),
-- maps in progress: level 2
('510422-005', '朱家沟尾矿库', '盐边县朱家沟矿业有限公司', '91510422MA6EW7M55D', '510422', 2, 'in_use', 101.758, 26.988, 140, true, 1.2, 'ground', '{gw_diffusion_well,interception_dam}'),
('510421-005', '撒莲沟尾矿库', '米易县撒莲矿业有限公司', '91510421015226424H', '510421', 2, 'suspended', 102.118, 26.812, 230, true, 1.1, 'ground', '{emergency_pool,no_volume}'),
-- maps in progress: level 3, in use
('510421-006', '麻陇沟尾矿库', '米易县麻陇选矿厂', '91510421MA6WC5GK1E', '510421', 3, 'in_use', 102.182, 27.018, 100, true, 0.8, 'ground', '{floating_intake,return_pool,pipe_reversed}'),
('510422-006', '红果沟尾矿库', '盐边县红果矿业有限责任公司', '91510422MA6MQ81K18', '510422', 3, 'in_use', 101.472, 26.902, 70, false, 0.7, 'ground', '{sprinkler,dry_beach}'),
('510411-004', '务本尾矿库', '攀枝花市仁和区务本选厂', '91510411541014798H', '510411', 3, 'in_use', 101.602, 26.502, 160, true, 0.7, 'drone', '{}'),
('510421-007', '丙谷尾矿库', '米易县丙谷钛业有限公司', '91510421MA68CHWF3P', '510421', 3, 'in_use', 102.052, 26.902, 190, false, 0.6, 'satellite', '{}'),
('510422-007', '永兴尾矿库', '盐边县永兴选矿有限公司', '91510422MA62NN577R', '510422', 3, 'in_use', 101.622, 26.782, 120, true, 0.7, 'ground', '{return_pipe,misplaced}'),
-- maps in progress: level 3, suspended
('510421-008', '普威沟尾矿库', '米易县普威矿业有限公司', '91510421075646607A', '510421', 3, 'suspended', 102.006, 27.102, 150, true, 0.6, 'ground', '{gw_background_well,no_depth}'),
('510421-009', '挂榜尾矿库', '米易县挂榜选矿厂', '91510421MA6461EF9E', '510421', 3, 'suspended', 102.092, 26.762, 210, false, 0.6, 'drone', '{}'),
('510422-008', '渔门尾矿库', '盐边县渔门矿业有限公司', '91510422MA66NJQ65U', '510422', 3, 'suspended', 101.872, 26.822, 170, true, 0.7, 'ground', '{dam_face_dust_cover}'),
('510422-009', '惠民尾矿库', '盐边县惠民选厂', '91510422339603337Q', '510422', 3, 'suspended', 101.742, 26.922, 80, false, 0.6, 'satellite', '{}'),
('510411-005', '总发尾矿库', '攀枝花市仁和区总发矿业有限公司', '91510411MA631EC43A', '510411', 3, 'suspended', 101.852, 26.412, 130, true, 0.6, 'ground', '{leachate_pool,pipe_reversed}'),
('510411-006', '平地尾矿库', '攀枝花市仁和区平地选矿厂', '91510411MA60TE0H3D', '510411', 3, 'suspended', 101.552, 26.352, 200, false, 0.6, 'drone', '{}'),
('510403-003', '格里坪尾矿库', '攀枝花市西区格里坪选矿厂', '915104034064298191', '510403', 3, 'suspended', 101.528, 26.652, 160, true, 0.5, 'ground', '{interception_ditch,no_depth}'),
('510402-002', '弄弄坪尾矿库', '攀枝花市东区弄弄坪工贸有限公司', '91510402MA6FB6382R', '510402', 3, 'suspended', 101.738, 26.642, 190, true, 0.5, 'ground', '{residential_area,drinking_water_source,surface_water,farmland,surface_water_monitor,soil_monitor}'),
('510422-010', '共和尾矿库', '盐边县共和矿业有限公司', '91510422MA6Y71UD79', '510422', 3, 'suspended', 101.652, 27.032, 110, false, 0.6, 'satellite', '{}'),
-- maps in progress: level 3, closed
('510421-010', '攀莲尾矿库', '米易县攀莲矿业有限公司', '91510421435064265A', '510421', 3, 'closed', 102.132, 26.872, 180, true, 0.6, 'ground', '{closure_cover}'),
('510421-011', '草场尾矿库', '米易县草场选矿厂', '91510421MA6FMK9460', '510421', 3, 'closed', 101.962, 26.802, 140, false, 0.5, 'drone', '{}'),
('510421-012', '得石尾矿库', '米易县得石选厂', '91510421MA60D9724F', '510421', 3, 'closed', 101.936, 27.062, 200, true, 0.5, 'ground', '{gw_monitoring_well}'),
('510422-011', '红格尾矿库', '盐边县红格矿业有限公司', '91510422102644616J', '510422', 3, 'closed', 101.962, 26.662, 160, true, 0.5, 'ground', '{spillway_tower,flood_tunnel,flood_tunnel_outlet}'),
('510422-012', '桐子林尾矿库', '盐边县桐子林选矿厂', '91510422MA63E32C66', '510422', 3, 'closed', 101.822, 26.632, 130, false, 0.5, 'satellite', '{}'),
('510422-013', '国胜尾矿库', '盐边县国胜矿业有限公司', '91510422MA6L25AL7C', '510422', 3, 'closed', 101.582, 26.832, 150, true, 0.5, 'drone', '{}'),
('510411-007', '同德尾矿库', '攀枝花市仁和区同德选矿厂', '91510411722955693J', '510411', 3, 'closed', 101.902, 26.502, 220, true, 0.5, 'ground', '{liner_area}'),
('510411-008', '大龙潭尾矿库', '攀枝花市仁和区大龙潭矿业有限公司', '91510411MA69JBQ05X', '510411', 3, 'closed', 101.752, 26.302, 170, false, 0.5, 'satellite', '{}'),
('510403-004', '河门口尾矿库', '攀枝花市西区河门口选厂', '91510403MA62C3CBXJ', '510403', 3, 'closed', 101.588, 26.612, 100, true, 0.5, 'ground', '{sign,leachate_pipe,leachate_ditch}'),
('510402-003', '倮果尾矿库', '攀枝花市东区倮果工贸有限公司', '91510402968321228K', '510402', 3, 'closed', 101.798, 26.582, 190, true, 0.5, 'ground', '{gw_diffusion_well,no_depth}');

-- the enterprises' codes go in from 0.7.0 on, which has pond.enterprise_code
-- (the sample also loads into earlier versions, as tests/sh/upgrade.sh does)
SELECT EXISTS (SELECT FROM pg_attribute
                WHERE attrelid = 'tailings.pond'::regclass AND attname = 'enterprise_code'
                  AND NOT attisdropped) AS has_enterprise_code \gset
\if :has_enterprise_code
\set enterprise_code_column ', enterprise_code'
\else
\set enterprise_code_column ''
\endif
INSERT INTO tailings.pond (code, name, enterprise, county_code, supervision_level, status,
	location, gw_flow_azimuth, attrs :enterprise_code_column)
SELECT code, name, enterprise, county_code, level, status,
	ST_SetSRID(ST_MakePoint(lon, lat), 4490),
	CASE WHEN gw_known THEN valley_az END,
	jsonb_build_object(
		'basin', CASE county_code WHEN '510421' THEN '安宁河' WHEN '510422' THEN '雅砻江' ELSE '金沙江' END,
		'ore', '钒钛磁铁矿',
		'pond_type', '山谷型',
		'dam_height_m', round((40 * scale * scale)::numeric, 0),
		'capacity_10k_m3', round((180 * scale ^ 3)::numeric, 0),
		'safety_grade', CASE WHEN scale >= 1.2 THEN '三等' WHEN scale >= 0.8 THEN '四等' ELSE '五等' END,
		'list_year', 2024)
	:enterprise_code_column
FROM sample_pond
ORDER BY code;

-- Draw every pond's elements.
SELECT sum(drawn) AS elements_drawn FROM (
	SELECT pg_temp.draw_pond(tp.id, sp.valley_az, sp.scale, sp.stage, sp.gaps) AS drawn
	  FROM sample_pond sp JOIN tailings.pond tp USING (code)
	 ORDER BY tp.id) AS d \gset

-- Each pond's file (ledgers, papers, hazards, inspections, groundwater
-- samples: sql/sample/panzhihua_file.sql), from 0.8.0 on, which has its tables
SELECT to_regclass('tailings.ledger') IS NOT NULL AND to_regclass('tailings.hazard') IS NOT NULL
       AND to_regclass('tailings.inspection') IS NOT NULL AND to_regclass('tailings.sample') IS NOT NULL AS has_pond_file \gset
\if :has_pond_file
\ir panzhihua_file.sql
\endif

COMMIT;
