-- Draws a pond's elements as a real valley site is laid out, in the pond's
-- local frame: u metres down the valley (azimuth valley_az), v metres to the
-- right of it; the registry point is the centre of the basin and the dam
-- closes the valley at u = +300 m, times scale.  What gets drawn follows the
-- template for the pond's status and level, and the stage of its map:
--   complete   all three collection steps done: everything required, mostly ground-verified
--   ground     ground check under way: as complete, minus the gaps
--   drone      drawn from the drone survey: nothing ground-verified, no wells
--   satellite  boundary, dam and receptors identified from imagery only
-- gaps: kinds not drawn, and defects: pipe_reversed (leachate pipe drawn
-- against the flow), no_depth (wells without depth_m), no_volume (pools
-- without volume_m3), misplaced (the sign drawn 8 km away).
-- Used by sql/sample/panzhihua.sql and sql/generate_national.sql (psql \ir).
-- Returns the number of elements drawn.

-- A point at (u, v) metres in a pond's frame.
CREATE FUNCTION pg_temp.at(o geometry, az float8, s float8, u float8, v float8)
RETURNS geometry LANGUAGE sql IMMUTABLE AS $$
	SELECT ST_SetSRID(ST_MakePoint(
		ST_X(o) + (s * u * sind(az) + s * v * cosd(az)) / (111320.0 * cosd(ST_Y(o))),
		ST_Y(o) + (s * u * cosd(az) - s * v * sind(az)) / 110574.0), 4490)
$$;

-- A line through (u1, v1, u2, v2, ...), in that order (= direction of flow).
CREATE FUNCTION pg_temp.line(o geometry, az float8, s float8, VARIADIC uv float8[])
RETURNS geometry LANGUAGE sql IMMUTABLE AS $$
	SELECT ST_MakeLine(array_agg(pg_temp.at(o, az, s, uv[i], uv[i + 1]) ORDER BY i))
	FROM generate_series(1, array_length(uv, 1) - 1, 2) AS i
$$;

-- A polygon with the ring (u1, v1, u2, v2, ...), closed automatically.
CREATE FUNCTION pg_temp.area(o geometry, az float8, s float8, VARIADIC uv float8[])
RETURNS geometry LANGUAGE sql IMMUTABLE AS $$
	SELECT ST_MakePolygon(ST_AddPoint(l, ST_StartPoint(l)))
	FROM (SELECT pg_temp.line(o, az, s, VARIADIC uv) AS l) AS x
$$;

CREATE FUNCTION pg_temp.draw_pond(pond_id bigint, valley_az float8, scale float8, stage text, gaps text[])
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	p tailings.pond;
	o geometry;
	az float8;
	s float8;
	src tailings.survey_source;
	verified bool;
	want text[];
	drawn integer;
BEGIN
	SELECT * INTO STRICT p FROM tailings.pond WHERE id = draw_pond.pond_id;
	o := p.location;
	az := valley_az;
	s := scale;
	src := CASE stage WHEN 'satellite' THEN 'satellite' WHEN 'drone' THEN 'drone' ELSE 'ground' END;
	verified := stage IN ('complete', 'ground');

	want := ARRAY['pond_boundary', 'dam', 'residential_area', 'surface_water', 'farmland'];
	IF stage <> 'satellite' THEN
		want := want || ARRAY['sign', 'liner_area', 'leachate_pool', 'leachate_pipe', 'leachate_pump',
			'interception_ditch', 'spillway_tower', 'flood_tunnel', 'flood_tunnel_outlet',
			'surface_water_monitor', 'soil_monitor'];
		IF p.status <> 'closed' THEN
			want := want || ARRAY['dam_face_dust_cover', 'emergency_pool', 'emergency_gate', 'emergency_store'];
		END IF;
		IF p.status = 'in_use' THEN
			want := want || ARRAY['dry_beach', 'sprinkler', 'floating_intake', 'return_pipe',
				'high_level_tank', 'return_pool', 'tailings_pipe'];
		END IF;
		IF p.status = 'closed' THEN
			want := want || ARRAY['closure_cover'];
		END IF;
		IF p.supervision_level <= 2 AND p.status <> 'closed' THEN
			want := want || ARRAY['tsp_monitor', 'video_monitor', 'interception_dam'];
		END IF;
		IF p.supervision_level <= 2 AND p.status = 'in_use' THEN
			want := want || ARRAY['discharge_outlet'];
		END IF;
		IF p.supervision_level <= 2 THEN
			want := want || ARRAY['leachate_ditch', 'drinking_water_source', 'gw_outlet_well', 'leak_detection'];
		END IF;
	END IF;
	IF stage IN ('complete', 'ground') THEN
		want := want || ARRAY['gw_background_well', 'gw_monitoring_well', 'gw_diffusion_well', 'seepage_well'];
	END IF;
	want := ARRAY(SELECT k FROM unnest(want) k WHERE k <> ALL (gaps));

	-- one row per element: kind, geometry, name, attrs
	INSERT INTO tailings.element (pond_id, kind, geom, name, source, accuracy_m, surveyed_on, verified_on, attrs)
	SELECT p.id, e.kind::tailings.element_kind, e.geom, e.name,
		-- receptors and the boundary come from imagery; the rest from the pond's stage
		CASE WHEN e.kind IN ('pond_boundary', 'residential_area', 'farmland', 'drinking_water_source', 'surface_water')
			 THEN 'satellite'::tailings.survey_source ELSE src END,
		CASE WHEN verified AND e.kind NOT IN ('farmland', 'drinking_water_source') THEN 0.5
			 WHEN src = 'drone' THEN 2.0 ELSE 5.0 END,
		DATE '2024-09-01' + ((p.id * 7 + e.ord * 3) % 150)::int,
		CASE WHEN verified AND e.kind NOT IN ('farmland', 'drinking_water_source')
			 THEN DATE '2025-02-01' + ((p.id * 5 + e.ord) % 60)::int END,
		e.attrs
	FROM (VALUES
		(1, 'pond_boundary', pg_temp.area(o, az, s, -600,0, -520,-150, -350,-230, -100,-250, 150,-250, 302,-265,
			302,265, 150,250, -100,250, -350,230, -520,150), '库区边界', '{}'::jsonb),
		(2, 'dam', pg_temp.line(o, az, s, 300,-275, 300,275), '初期坝及堆积坝', jsonb_build_object('height_m', round(40 * s * s))),
		(3, 'dry_beach', pg_temp.area(o, az, s, 180,-230, 290,-245, 290,245, 180,230), '干滩', '{}'),
		(4, 'closure_cover', pg_temp.area(o, az, s, -570,0, -495,-140, -330,-215, -95,-235, 145,-235, 290,-250,
			290,250, 145,235, -95,235, -330,215, -495,140), '封场覆盖区', '{}'),
		(5, 'sign', CASE WHEN 'misplaced' = ANY (gaps) THEN pg_temp.at(o, az, 1, 8000, 0)
			ELSE pg_temp.at(o, az, s, 330, 285) END, '环境保护图形标志牌', '{}'),
		(6, 'dam_face_dust_cover', pg_temp.area(o, az, s, 300,-270, 380,-235, 380,235, 300,270), '坝面覆绿及防尘网', '{}'),
		(7, 'sprinkler', pg_temp.at(o, az, s, 240, -100), '1#洒水抑尘设施', '{}'),
		(8, 'tsp_monitor', pg_temp.at(o, az, s, 420, 150), '颗粒物监测点', '{}'),
		(9, 'liner_area', pg_temp.area(o, az, s, -560,0, -490,-130, -330,-205, -90,-225, 140,-225, 290,-240,
			290,240, 140,225, -90,225, -330,205, -490,130), '库底防渗区', jsonb_build_object('liner', 'HDPE 1.5mm')),
		(10, 'leak_detection', pg_temp.at(o, az, s, 360, -30), '渗漏检测点', '{}'),
		(11, 'leachate_pool', pg_temp.area(o, az, s, 505,-15, 535,-15, 535,15, 505,15),
			'渗滤液收集池', CASE WHEN 'no_volume' = ANY (gaps) THEN '{}'::jsonb
				ELSE jsonb_build_object('volume_m3', round(800 * s)) END),
		(12, 'leachate_pipe', CASE WHEN 'pipe_reversed' = ANY (gaps)
			THEN pg_temp.line(o, az, s, 505, 0, 440, 0, 380, 0)
			ELSE pg_temp.line(o, az, s, 380, 0, 440, 0, 505, 0) END, '渗滤液收集管', '{}'),
		(13, 'leachate_ditch', pg_temp.line(o, az, s, 390, -220, 400, -40, 505, -12), '坝脚渗滤液导排沟', '{}'),
		(14, 'seepage_well', pg_temp.at(o, az, s, 310, 100), '1#排渗井',
			CASE WHEN 'no_depth' = ANY (gaps) THEN '{}'::jsonb ELSE jsonb_build_object('depth_m', round(25 * s)) END),
		(15, 'leachate_pump', pg_temp.at(o, az, s, 545, 30), '渗滤液回抽泵站', '{}'),
		(16, 'gw_background_well', pg_temp.at(o, az, s, -650, 0), '地下水本底井 JC1',
			CASE WHEN 'no_depth' = ANY (gaps) THEN '{}'::jsonb ELSE '{"depth_m": 30}'::jsonb END),
		(17, 'gw_monitoring_well', pg_temp.at(o, az, s, 640, 20), '地下水监视井 JC2',
			CASE WHEN 'no_depth' = ANY (gaps) THEN '{}'::jsonb ELSE '{"depth_m": 25}'::jsonb END),
		(18, 'gw_monitoring_well', pg_temp.at(o, az, s, 680, -20), '地下水监视井 JC3', '{"depth_m": 25}'),
		(19, 'gw_diffusion_well', pg_temp.at(o, az, s, 200, -300), '地下水扩散井 JC4', '{"depth_m": 28}'),
		(20, 'gw_diffusion_well', pg_temp.at(o, az, s, 200, 300), '地下水扩散井 JC5', '{"depth_m": 28}'),
		(21, 'gw_outlet_well', pg_temp.at(o, az, s, 450, -60), '导排出口监测井', '{"depth_m": 12}'),
		(22, 'interception_ditch', pg_temp.line(o, az, s, -620,-40, -540,-190, -360,-285, -100,-300, 150,-300, 330,-310, 420,-330),
			'左岸截洪沟', '{}'),
		(23, 'interception_ditch', pg_temp.line(o, az, s, -620,40, -540,190, -360,285, -100,300, 150,300, 330,310, 420,330),
			'右岸截洪沟', '{}'),
		(24, 'spillway_tower', pg_temp.at(o, az, s, -100, 50), '1#溢洪塔', '{}'),
		(25, 'flood_tunnel', pg_temp.line(o, az, s, -100, 50, 100, 80, 300, 120, 700, 150), '排洪洞', '{}'),
		(26, 'flood_tunnel_outlet', pg_temp.at(o, az, s, 700, 150), '排洪洞出口', '{}'),
		(27, 'floating_intake', pg_temp.at(o, az, s, -200, -60), '浮船取水泵站', '{}'),
		(28, 'high_level_tank', pg_temp.at(o, az, s, -420, -1230), '选厂高位水池', jsonb_build_object('volume_m3', round(2000 * s))),
		(29, 'return_pool', pg_temp.area(o, az, s, 545,-180, 585,-180, 585,-140, 545,-140), '回水池',
			jsonb_build_object('volume_m3', round(1500 * s))),
		(30, 'return_pipe', pg_temp.line(o, az, s, -200, -60, -200, -320, -300, -700, -420, -1215), '回水管 DN250', '{}'),
		(31, 'tailings_pipe', pg_temp.line(o, az, s, -600, -1500, -580, -700, -560, -120), '输尾管', '{}'),
		(32, 'emergency_pool', pg_temp.area(o, az, s, 590,-90, 640,-90, 640,-40, 590,-40), '事故应急池',
			CASE WHEN 'no_volume' = ANY (gaps) THEN '{}'::jsonb ELSE jsonb_build_object('volume_m3', round(3000 * s)) END),
		(33, 'interception_dam', pg_temp.line(o, az, s, 900, -130, 900, 130), '下游拦截坝', '{}'),
		(34, 'emergency_gate', pg_temp.at(o, az, s, 560, -40), '应急闸阀', '{}'),
		(35, 'emergency_store', pg_temp.at(o, az, s, 450, 320), '应急物资库', '{}'),
		(36, 'video_monitor', pg_temp.at(o, az, s, 340, 260), '坝顶视频监控', '{}'),
		(37, 'residential_area', pg_temp.area(o, az, 1, 2100,300, 2300,300, 2300,520, 2100,520), '下游村民聚居点', '{}'),
		(38, 'surface_water', pg_temp.line(o, az, 1, 2500,-2200, 2600,-800, 2650,0, 2620,900, 2700,2300), '河流', '{}'),
		(39, 'farmland', pg_temp.area(o, az, 1, 1700,-700, 1950,-700, 1950,-350, 1700,-350), '基本农田', '{}'),
		(40, 'drinking_water_source', pg_temp.at(o, az, 1, 3400, 600), '集中式饮用水水源地', '{}'),
		(41, 'surface_water_monitor', pg_temp.at(o, az, 1, 2650, 0), '地表水监测断面', '{}'),
		(42, 'soil_monitor', pg_temp.at(o, az, s, 1000, 300), '土壤监测点', '{}'),
		(43, 'discharge_outlet', pg_temp.at(o, az, s, 950, 200), '尾矿水排放口',
			'{"flowmeter": true, "video": true}')
	) AS e(ord, kind, geom, name, attrs)
	WHERE e.kind = ANY (want);
	GET DIAGNOSTICS drawn = ROW_COUNT;
	RETURN drawn;
END $$;
