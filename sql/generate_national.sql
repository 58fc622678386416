-- National-scale data set for benchmarks: N synthetic supervised tailings
-- ponds (default 7,820, the 2024 national list) in the proportions of that
-- list -- level 1: 76, level 2: 2,109, level 3: 5,635 of 7,820 -- spread over
-- a grid across the mining provinces, each drawn like the Panzhihua sample
-- (sql/lib/draw_pond.sql) at a mix of mapping stages.  Deterministic.
--
--   psql -d DB -v ponds=7820 -f sql/generate_national.sql
--
-- Loads into a database with the tailings extension; the pond codes (G00001,
-- ...) must be free.  Everything in it is synthetic.

\set ON_ERROR_STOP on
\if :{?ponds}
\else
\set ponds 7820
\endif
BEGIN;
\ir lib/draw_pond.sql

CREATE TEMP TABLE national AS
SELECT i,
       -- a deterministic shuffle of 1..7820 gives each pond its level in the national proportions
       (i::bigint * 2654435761 % 7820) AS r,
       ((i::bigint * 40503) % 1000) / 1000.0 AS u1,
       ((i::bigint * 69069) % 1000) / 1000.0 AS u2,
       ((i::bigint * 48271) % 1000) / 1000.0 AS u3
  FROM generate_series(1, :ponds) AS i;

INSERT INTO tailings.pond (code, name, enterprise, county_code, supervision_level, status, location,
	gw_flow_azimuth, attrs)
SELECT 'G' || lpad(i::text, 5, '0'),
       '模拟尾矿库' || i,
       '模拟矿业公司' || (i % 997),
       (110000 + (i % 31) * 10000 + 101 + (i % 7))::text,
       CASE WHEN r < 76 THEN 1 WHEN r < 76 + 2109 THEN 2 ELSE 3 END,
       (CASE WHEN u1 < 0.28 THEN 'in_use' WHEN u1 < 0.63 THEN 'suspended' ELSE 'closed' END)::tailings.pond_status,
       -- a jittered grid over 98-122 E, 22-42 N, about 25 km apart
       ST_SetSRID(ST_MakePoint(98 + 24.0 * ((i - 1) % 100 + 0.25 + 0.5 * u2) / 100,
                               22 + 20.0 * (((i - 1) / 100) % 80 + 0.25 + 0.5 * u3) / 80), 4490),
       CASE WHEN u2 < 0.9 THEN (u3 * 360)::real END,
       jsonb_build_object('synthetic', true)
  FROM national ORDER BY i;

SELECT sum(drawn) AS elements_drawn FROM (
	SELECT pg_temp.draw_pond(p.id, coalesce(p.gw_flow_azimuth, n.u1 * 360), 0.6 + n.u2 * 0.9,
	       CASE WHEN n.u3 < 0.50 THEN 'complete' WHEN n.u3 < 0.85 THEN 'ground'
	            WHEN n.u3 < 0.95 THEN 'drone' ELSE 'satellite' END,
	       CASE WHEN n.u3 < 0.50 OR n.u3 >= 0.85 THEN '{}'
	            WHEN n.i % 4 = 0 THEN '{gw_diffusion_well}'
	            WHEN n.i % 4 = 1 THEN '{emergency_pool,no_volume}'
	            WHEN n.i % 4 = 2 THEN '{pipe_reversed,sign}'
	            ELSE '{no_depth,interception_ditch}' END::text[]) AS drawn
	  FROM national n JOIN tailings.pond p ON p.code = 'G' || lpad(n.i::text, 5, '0')
	 ORDER BY p.id) AS d \gset
-- more monitoring than the template asks, as large sites have: a ring of soil
-- monitoring points, leak detection along the dam, video on the dam crest
INSERT INTO tailings.element (pond_id, kind, geom, name, source, verified_on, attrs)
SELECT p.id, x.kind::tailings.element_kind,
       pg_temp.at(p.location, coalesce(p.gw_flow_azimuth, 0), 1, x.u, x.v), x.name, 'ground', DATE '2025-03-01', '{}'
  FROM tailings.pond p
 CROSS JOIN (VALUES ('soil_monitor', 800, -600, '土壤监测点 T1'), ('soil_monitor', 800, 600, '土壤监测点 T2'),
                    ('soil_monitor', -900, -500, '土壤监测点 T3'), ('soil_monitor', -900, 500, '土壤监测点 T4'),
                    ('soil_monitor', 1500, 0, '土壤监测点 T5'), ('soil_monitor', 0, 900, '土壤监测点 T6'),
                    ('leak_detection', 370, -150, '渗漏检测点 L1'), ('leak_detection', 370, 0, '渗漏检测点 L2'),
                    ('leak_detection', 370, 150, '渗漏检测点 L3'), ('video_monitor', 300, -280, '视频监控 V1'),
                    ('video_monitor', 300, 280, '视频监控 V2'), ('video_monitor', 600, 0, '视频监控 V3'))
       AS x(kind, u, v, name)
 WHERE p.code LIKE 'G_____' AND p.code <= 'G' || lpad(:ponds::text, 5, '0');
SELECT count(*) AS elements FROM tailings.element e JOIN tailings.pond p ON p.id = e.pond_id
 WHERE p.code LIKE 'G_____' \gset
\echo generated :ponds ponds with :elements elements
COMMIT;
