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

---------------------------------------------------------------------------
-- Each pond's file (sql/sample/panzhihua_file.sql): dated from today, so
-- what is asserted here holds in any year.  Y is the year whose ledger is
-- due (last year; in January the year before); years are shown relative to it.
---------------------------------------------------------------------------
SELECT (CASE WHEN extract(month FROM current_date) = 1 THEN extract(year FROM current_date) - 2
             ELSE extract(year FROM current_date) - 1 END)::int AS y \gset
-- the ledgers of Y-3 .. Y: every pond, but for one without Y's and one without Y-1's and Y's
SELECT year - :y AS year_from_y, count(*) AS ledgers FROM ledger GROUP BY 1 ORDER BY 1;
SELECT p.code, string_agg((l.year - :y)::text, ',' ORDER BY l.year) AS years
  FROM pond p JOIN ledger l ON l.pond_id = p.id GROUP BY p.code HAVING count(*) < 4 ORDER BY 1;
-- closed and suspended ponds produce nothing; in use, every year
SELECT p.status, count(*) AS ledgers, count(*) FILTER (WHERE l.produced_t > 0) AS producing,
       count(*) FILTER (WHERE l.stored_t > 0) AS storing, count(*) FILTER (WHERE l.reused_t > 0) AS reusing
  FROM pond p JOIN ledger l ON l.pond_id = p.id GROUP BY 1 ORDER BY 1;
-- stocks agree with the year before but for two re-surveys (warnings)
SELECT p.code, b.year - :y AS year_from_y, b.consistent, round(100 * b.difference_t / b.expected_stock_t, 1) AS percent_off
  FROM ledger_balance b JOIN pond p ON p.id = b.pond_id WHERE NOT b.consistent ORDER BY 1;
SELECT count(*) AS compared, count(*) FILTER (WHERE consistent) AS consistent FROM ledger_balance;
-- Y's ledger: most reported by 31 January, three late, two missing; the earlier years on time
-- but for one
SELECT c.passed, string_agg(p.code, ' ' ORDER BY p.code) AS ponds
  FROM pond p, check_completeness(p.id) c WHERE c.rule = 'ledger_reported' GROUP BY 1 ORDER BY 1;
SELECT p.code, l.year - :y AS year_from_y
  FROM ledger l JOIN pond p ON p.id = l.pond_id WHERE l.reported_on > make_date(l.year + 1, 1, 31) ORDER BY 1, 2;
-- the papers: an EIA approval for every pond, acceptances, plans for ponds in use and
-- suspended, permits for ponds in use, closure papers for closed ponds
SELECT d.kind, count(*) AS papers, count(DISTINCT d.pond_id) AS ponds,
       string_agg(DISTINCT p.status::text, ',') AS statuses,
       count(*) FILTER (WHERE d.valid_until < current_date) AS expired
  FROM document d JOIN pond p ON p.id = d.pond_id GROUP BY 1 ORDER BY 1;
SELECT count(*) FILTER (WHERE attrs ->> 'note' LIKE '示例数据%') = count(*) AS all_marked_sample FROM document;
-- the expired permits, and which is renewed; the plans not reviewed for three years
SELECT p.code, d.number,
       EXISTS (SELECT FROM document n WHERE n.pond_id = d.pond_id AND n.kind = d.kind AND n.valid_until >= current_date) AS renewed
  FROM document d JOIN pond p ON p.id = d.pond_id
 WHERE d.kind = 'discharge_permit' AND d.valid_until < current_date ORDER BY 1;
SELECT c.rule, c.passed, string_agg(p.code, ' ' ORDER BY p.code) AS ponds
  FROM pond p, check_completeness(p.id) c WHERE c.rule IN ('emergency_plan', 'discharge_permit')
 GROUP BY 1, 2 ORDER BY 1, 2;
-- hazards in every state, some overdue, some major; the checks as the state machine wants them
SELECT status, count(*) AS hazards, count(*) FILTER (WHERE severity = 'major') AS major,
       count(*) FILTER (WHERE status <> 'closed' AND deadline < current_date) AS overdue,
       count(campaign) AS in_campaign, count(element_id) AS at_an_element
  FROM hazard GROUP BY 1 ORDER BY array_position('{open,rectifying,rectified,closed}', status);
SELECT count(*) AS overdue, count(DISTINCT pond_id) AS ponds FROM hazard_overdue;
SELECT DISTINCT campaign = :y || '年汛前隐患排查' AS campaign_of_y FROM hazard WHERE campaign IS NOT NULL;
SELECT count(*) FILTER (WHERE description LIKE '%（示例）') = count(*) AS all_marked_sample FROM hazard;
-- a closed hazard has its passed check (county or above) on or after it was rectified; a failed
-- check sent three of them back once; a rectified one awaits its check; the checks by level
SELECT h.status, count(*) AS hazards,
       count(*) FILTER (WHERE EXISTS (SELECT FROM hazard_check c WHERE c.hazard_id = h.id AND c.passed
                                        AND c.checked_on >= h.rectified_on)) AS passed_after_rectified,
       count(*) FILTER (WHERE EXISTS (SELECT FROM hazard_check c WHERE c.hazard_id = h.id AND NOT c.passed)) AS failed_once,
       count(*) FILTER (WHERE h.rectification IS NOT NULL) AS with_rectification
  FROM hazard h GROUP BY 1 ORDER BY array_position('{open,rectifying,rectified,closed}', h.status);
SELECT level, passed, count(*) FROM hazard_check GROUP BY 1, 2 ORDER BY 1, 2;
-- the major hazards not closed are at ponds whose map is not finished: the 14 finished maps
-- keep their score of 1
SELECT p.code, h.status, round(o.score::numeric, 3) < 1 AS below_one
  FROM hazard h JOIN pond p ON p.id = h.pond_id JOIN pond_overview o ON o.id = p.id
 WHERE h.severity = 'major' ORDER BY 1;
SELECT count(*) FILTER (WHERE score = 1) AS finished_maps FROM pond_overview;
-- the change log names the people: the finder, the enterprise that rectified, the checker
SELECT c.table_name, c.op, count(*) AS changes, count(DISTINCT c.actor) AS actors,
       count(*) FILTER (WHERE c.actor LIKE '%（示例）') AS by_sample_people
  FROM change_log c WHERE c.table_name IN ('tailings.hazard', 'tailings.hazard_check', 'tailings.ledger', 'tailings.document',
                                            'tailings.inspection', 'tailings.inspection_visit', 'tailings.sample')
 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) AS hazards_logged_by_their_finder
  FROM hazard h JOIN change_log c ON c.table_name = 'tailings.hazard' AND c.row_id = h.id AND c.op = 'I'
 WHERE c.actor = h.found_by;
-- Y's pre-flood inspections of the 8 level 2 ponds: missed points at three, one position to correct
SELECT p.code, i.level, i.campaign = :y || '年汛前隐患排查' AS campaign_of_y, i.started_on = make_date(:y, 5, extract(day FROM i.started_on)::int) AS in_may_of_y,
       i.finished_on IS NOT NULL AS finished, count(*) AS elements, count(*) FILTER (WHERE c.visited) AS visited,
       string_agg(c.kind::text, ',' ORDER BY c.kind) FILTER (WHERE NOT c.visited) AS missed,
       string_agg(c.state, ',' ORDER BY c.state) FILTER (WHERE c.state <> 'normal') AS findings,
       count(*) FILTER (WHERE c.to_correct) AS to_correct
  FROM inspection i JOIN pond p ON p.id = i.pond_id, inspection_coverage(i.id) c
 GROUP BY p.code, i.id ORDER BY 1;
SELECT (SELECT count(*) FROM pond WHERE supervision_level = 2) AS level_2_ponds,
       (SELECT count(DISTINCT pond_id) FROM inspection) AS inspected;
SELECT p.code, c.name, c.state, round(c.offset_m) AS offset_m
  FROM inspection i JOIN pond p ON p.id = i.pond_id, inspection_coverage(i.id) c WHERE c.to_correct;
SELECT round(max(c.offset_m)) AS largest_other_offset_m
  FROM inspection i, inspection_coverage(i.id) c WHERE NOT c.to_correct;
-- the campaign's hazards at the elements the inspectors found abnormal
SELECT count(*) AS abnormal, count(*) FILTER (WHERE EXISTS (SELECT FROM hazard h WHERE h.element_id = v.element_id
                                                                             AND h.campaign IS NOT NULL)) AS with_hazard
  FROM inspection_visit v WHERE v.state = 'abnormal';
-- groundwater: quarterly samples of Y at the four key ponds, background well and two
-- monitoring wells; one exceedance, manganese downstream at 安宁铁钛烂坝山
SELECT p.name, e.kind, e.name AS well, count(*) AS samples, count(DISTINCT s.parameter) AS parameters,
       string_agg(DISTINCT extract(month FROM s.sampled_on)::text, ',') AS months,
       bool_and(extract(year FROM s.sampled_on) = :y) AS of_y
  FROM sample s JOIN element e ON e.id = s.element_id JOIN pond p ON p.id = s.pond_id
 GROUP BY p.name, e.kind, e.name ORDER BY 1, 2, 3;
SELECT p.name, a.name AS well, a.parameter, a.value, a.limit_max, a.background, round(a.ratio_to_background::numeric, 1) AS ratio
  FROM pond p, monitoring_assessment(p.id) a WHERE a.exceeds ORDER BY 1;
SELECT p.name, extract(quarter FROM s.sampled_on) AS quarter, s.value
  FROM sample s JOIN pond p ON p.id = s.pond_id JOIN element e ON e.id = s.element_id
 WHERE s.parameter = 'manganese' AND e.name = '地下水监视井 JC2' AND p.name = '安宁铁钛烂坝山尾矿库' ORDER BY 2;
SELECT count(*) FILTER (WHERE _well_state(e.id, NULL) = 'exceeds') AS exceeds, count(*) FILTER (WHERE _well_state(e.id, NULL) = 'ok') AS ok,
       count(*) FILTER (WHERE _well_state(e.id, NULL) = 'no_data') AS no_data
  FROM element e WHERE category(e.kind) = 'groundwater';
-- and each pond's file gathers it
SELECT p.code, jsonb_array_length(f -> 'ledger') AS ledger, jsonb_array_length(f -> 'documents') AS documents,
       jsonb_array_length(f -> 'hazards') AS hazards, jsonb_array_length(f -> 'inspections') AS inspections,
       jsonb_array_length(f -> 'monitoring' -> 'series') AS series,
       (SELECT count(*) FROM jsonb_array_elements(f -> 'facilities') x WHERE x -> 'last_visit' <> 'null') AS visited_facilities
  FROM pond p, pond_file(p.id) f WHERE p.code IN ('510421-002', '510422-001', '510411-008') ORDER BY 1;

\c :regress_db
DROP DATABASE :test_db;
