-- the Panzhihua sample (sql/sample/panzhihua.sql), loaded into a database of
-- its own
\set test_db :DBNAME '_sample'
\getenv abs_srcdir PG_ABS_SRCDIR
\set include :abs_srcdir '/include/sample_db.sql'
\i :include
SET search_path = tailings, public;

-- the bulletin's figures: 40 ponds; level 2: 8, level 3: 32; 11 in use, 14 suspended, 15 closed
SELECT count(*) AS ponds FROM pond;
SELECT supervision_level, count(*) FROM pond GROUP BY 1 ORDER BY 1;
SELECT status, count(*) FROM pond GROUP BY 1 ORDER BY 1;
SELECT county_code, count(*) FROM pond GROUP BY 1 ORDER BY 1;
-- all inside the city (26.1-27.2 N, 101.1-102.3 E)
SELECT count(*) AS outside_city FROM pond
 WHERE NOT ST_Within(location, ST_MakeEnvelope(101.1, 26.1, 102.3, 27.2, 4490));

-- the four named key ponds; 烂坝山 lies in 米易县 (510421)
SELECT name, county_code, supervision_level, status FROM pond
 WHERE name IN ('龙佰丰源牛场坪尾矿库', '龙佰矿冶牛望田尾矿库', '攀钢新白马矿业万年沟尾矿库', '安宁铁钛烂坝山尾矿库')
 ORDER BY name;

SELECT count(*) AS elements, count(DISTINCT kind) AS kinds_used FROM element;

-- every enterprise has a unified social credit code of valid form and check character
-- (GB 32100-2015), registered in its pond's county; one code per enterprise, and one
-- enterprise per code
SELECT count(*) AS ponds_with_code, count(*) FILTER (WHERE uscc_valid(enterprise_code)) AS valid,
       count(DISTINCT enterprise) AS enterprises, count(DISTINCT enterprise_code) AS codes,
       count(*) FILTER (WHERE substr(enterprise_code, 3, 6) = county_code) AS registered_in_county
  FROM pond WHERE enterprise_code IS NOT NULL;
SELECT count(*) AS enterprises_with_two_codes FROM (
	SELECT enterprise FROM pond GROUP BY enterprise HAVING count(DISTINCT enterprise_code) > 1) s;
SELECT count(*) AS codes_of_two_enterprises FROM (
	SELECT enterprise_code FROM pond GROUP BY enterprise_code HAVING count(DISTINCT enterprise) > 1) s;

-- the template counted in plain SQL: exactly 14 ponds have every required element
CREATE TEMP VIEW template_check AS
SELECT p.id, p.name, r.name AS rule, r.min_count,
       (SELECT count(*) FROM element e WHERE e.pond_id = p.id AND e.kind = ANY (r.kinds)) AS present
  FROM pond p JOIN requirement r
    ON r.enabled AND r.severity = 'error' AND p.status = ANY (r.statuses) AND p.supervision_level = ANY (r.levels);
CREATE TEMP TABLE finished AS
SELECT id, name FROM template_check GROUP BY id, name HAVING bool_and(present >= min_count);
SELECT count(*) AS finished_maps FROM finished;
SELECT name FROM finished ORDER BY name;
SELECT p.supervision_level, p.status, count(*) FROM finished f JOIN pond p USING (id) GROUP BY 1, 2 ORDER BY 1, 2;
-- every other pond misses at least one required element
SELECT count(DISTINCT id) AS unfinished, min(missing) AS fewest_gaps, max(missing) AS most_gaps
  FROM (SELECT id, count(*) FILTER (WHERE present < min_count) AS missing FROM template_check GROUP BY id) s
 WHERE missing > 0;

-- the finished maps are laid out like real sites:
-- leachate pipes and ditches end (in the direction of flow) at a pool or pump within 30 m, and start farther away
SELECT e.kind, count(*) AS lines,
       count(*) FILTER (WHERE end_m <= 30) AS end_at_pool,
       count(*) FILTER (WHERE start_m > 30) AS start_away
  FROM finished f JOIN element e ON e.pond_id = f.id
 CROSS JOIN LATERAL (
   SELECT min(ST_Distance(ST_EndPoint(e.geom)::geography, t.geom::geography)) AS end_m,
          min(ST_Distance(ST_StartPoint(e.geom)::geography, t.geom::geography)) AS start_m
     FROM element t WHERE t.pond_id = e.pond_id AND t.kind IN ('leachate_pool', 'leachate_pump')) d
 WHERE e.kind IN ('leachate_pipe', 'leachate_ditch')
 GROUP BY e.kind ORDER BY e.kind;
-- background wells upstream, monitoring wells downstream along the recorded groundwater flow azimuth
SELECT e.kind, count(*) AS wells,
       count(*) FILTER (WHERE cosd(degrees(ST_Azimuth(p.location::geography, e.geom::geography)) - p.gw_flow_azimuth) > 0.5) AS downstream,
       count(*) FILTER (WHERE cosd(degrees(ST_Azimuth(p.location::geography, e.geom::geography)) - p.gw_flow_azimuth) < -0.5) AS upstream
  FROM finished f JOIN pond p USING (id) JOIN element e ON e.pond_id = p.id
 WHERE e.kind IN ('gw_background_well', 'gw_monitoring_well') AND p.gw_flow_azimuth IS NOT NULL
 GROUP BY e.kind ORDER BY e.kind;
-- the dam lies across the valley, downstream of the pond's centre
SELECT count(*) AS dams, count(*) FILTER (WHERE ST_Crosses(d.geom, b.geom)) AS crossing_boundary,
       count(*) FILTER (WHERE cosd(degrees(ST_Azimuth(p.location::geography, ST_Centroid(d.geom)::geography)) - p.gw_flow_azimuth) > 0.9) AS downstream
  FROM finished f JOIN pond p USING (id)
  JOIN element d ON d.pond_id = p.id AND d.kind = 'dam'
  JOIN element b ON b.pond_id = p.id AND b.kind = 'pond_boundary';
-- receptors within a few km; all elements of finished maps within 5 km of their pond
SELECT max(round(ST_Distance(p.location::geography, e.geom::geography) / 1000)) AS farthest_km,
       count(*) FILTER (WHERE category(e.kind) = 'receptor') AS receptors
  FROM finished f JOIN pond p USING (id) JOIN element e ON e.pond_id = p.id;
-- most elements ground-verified; required attributes present
SELECT round(avg((verified_on IS NOT NULL)::int), 2) AS share_verified,
       count(*) FILTER (WHERE NOT attrs ?& required_attrs(kind)::text[]) AS missing_required_attrs,
       count(*) FILTER (WHERE verified_on < surveyed_on) AS verified_before_survey
  FROM finished f JOIN element e ON e.pond_id = f.id;

-- the unfinished maps carry realistic defects too
SELECT count(*) FILTER (WHERE NOT attrs ?& required_attrs(kind)::text[]) AS missing_required_attrs,
       count(*) FILTER (WHERE verified_on IS NULL) AS not_verified
  FROM element e WHERE pond_id NOT IN (SELECT id FROM finished);
SELECT p.name, e.kind, round(ST_Distance(p.location::geography, e.geom::geography) / 1000) AS km
  FROM pond p JOIN element e ON e.pond_id = p.id
 WHERE ST_Distance(p.location::geography, e.geom::geography) > 5000;

\c :regress_db
DROP DATABASE :test_db;
