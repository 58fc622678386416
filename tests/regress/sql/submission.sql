-- Drawings and their review (design §7): pond_geojson, import_geojson,
-- submission_diff, check_submission, submit, withdraw, approve, reject; the
-- state machine, who may do what, the second enterprise that sees nothing,
-- the conflict (40001), each import error naming its feature.
-- In a database of its own, with its own ponds, elements and members.
\set regress_db :DBNAME
SET client_min_messages = warning;
DROP DATABASE IF EXISTS tailings_submission;
CREATE DATABASE tailings_submission;
\c tailings_submission
SET client_min_messages = warning;
CREATE EXTENSION tailings CASCADE;
SET search_path = tailings, public;
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
-- a FeatureCollection of the features given
CREATE FUNCTION pg_temp.fc(VARIADIC features jsonb[] DEFAULT '{}') RETURNS jsonb
	LANGUAGE sql IMMUTABLE
	RETURN jsonb_build_object('type', 'FeatureCollection', 'features', to_jsonb(features));
-- a point feature
CREATE FUNCTION pg_temp.pt(lon float8, lat float8, props jsonb) RETURNS jsonb
	LANGUAGE sql IMMUTABLE
	RETURN jsonb_build_object('type', 'Feature', 'properties', props,
	                          'geometry', jsonb_build_object('type', 'Point', 'coordinates', jsonb_build_array(lon, lat)));

---------------------------------------------------------------------------
-- Ponds, elements and members
---------------------------------------------------------------------------
INSERT INTO pond (code, name, enterprise, enterprise_code, county_code, supervision_level, status, location, gw_flow_azimuth)
VALUES ('SUB-1', '甲尾矿库', '甲矿业有限公司', '91510400MA00000014', '510411', 2, 'in_use',
        ST_SetSRID(ST_MakePoint(101.700, 26.500), 4490), 90),
       ('SUB-2', '乙尾矿库', '乙矿业有限公司', '91510400MA00000027', '510411', 3, 'in_use',
        ST_SetSRID(ST_MakePoint(101.800, 26.600), 4490), NULL),
       ('SUB-3', '丙尾矿库', '丙矿业有限公司', '91510400MA0000003A', '510422', 3, 'closed',
        ST_SetSRID(ST_MakePoint(101.900, 26.700), 4490), NULL);
SELECT id AS p1 FROM pond WHERE code = 'SUB-1' \gset
SELECT id AS p2 FROM pond WHERE code = 'SUB-2' \gset
SELECT id AS p3 FROM pond WHERE code = 'SUB-3' \gset
INSERT INTO element (pond_id, kind, geom, name, verified_on, attrs) VALUES
 (:p1, 'pond_boundary', 'SRID=4490;POLYGON((101.695 26.495,101.705 26.495,101.705 26.505,101.695 26.505,101.695 26.495))',
  '库区边界', '2025-01-10', '{}'),
 (:p1, 'dam', 'SRID=4490;LINESTRING(101.695 26.495,101.705 26.495)', '主坝', '2025-01-10', '{"height_m": 32}'),
 (:p1, 'sign', 'SRID=4490;POINT(101.699 26.499)', '标志牌', '2025-01-10', '{}'),
 (:p1, 'leachate_pool', 'SRID=4490;POINT(101.702 26.494)', '1号渗滤液池', '2025-01-10', '{"volume_m3": 300}'),
 (:p1, 'leachate_pipe', 'SRID=4490;LINESTRING(101.700 26.496,101.702 26.4941)', '渗滤液管', '2025-01-10', '{}'),
 (:p1, 'gw_background_well', 'SRID=4490;POINT(101.690 26.500)', 'JC1', '2025-01-10', '{"depth_m": 30}'),
 (:p1, 'gw_monitoring_well', 'SRID=4490;POINT(101.710 26.500)', 'JC2', '2025-01-10', '{"depth_m": 25}'),
 -- drawn before depths were required: no depth_m, not ground-verified
 (:p1, 'seepage_well', 'SRID=4490;POINT(101.701 26.501)', '1#排渗井', NULL, '{}'),
 (:p2, 'sign', 'SRID=4490;POINT(101.801 26.601)', '乙标志牌', '2025-01-10', '{}');
SELECT min(id) AS e1, max(id) FILTER (WHERE pond_id = :p1) AS e8, max(id) AS e9 FROM element \gset

DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY '{regress_sub_ent1,regress_sub_ent1b,regress_sub_ent2,regress_sub_county,regress_sub_county2,regress_sub_city,regress_sub_reader}'::text[] LOOP
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I LOGIN', r);
		END IF;
	END LOOP;
END
$$;
SELECT add_member('regress_sub_ent1', 'enterprise', '91510400MA00000014', '甲矿业有限公司'),
       add_member('regress_sub_ent1b', 'enterprise', '91510400MA00000014', '甲矿业有限公司（测绘员）'),
       add_member('regress_sub_ent2', 'enterprise', '91510400MA00000027', '乙矿业有限公司'),
       add_member('regress_sub_county', 'county', '510411', '东区生态环境分局'),
       add_member('regress_sub_county2', 'county', '510422', '西区生态环境分局'),
       add_member('regress_sub_city', 'city', '5104', '攀枝花市生态环境局');
GRANT tailings_reader TO regress_sub_reader;

---------------------------------------------------------------------------
-- 1. The current map, for the enterprise: pond_geojson
---------------------------------------------------------------------------
SET ROLE regress_sub_ent1;
SELECT g ->> 'type' AS type, g ->> 'name' AS name, g -> 'crs' -> 'properties' ->> 'name' AS crs,
       jsonb_array_length(g -> 'features') AS features
  FROM pond_geojson(:p1) g;
SELECT f -> 'geometry' AS geometry, f -> 'properties' AS properties
  FROM jsonb_array_elements(pond_geojson(:p1) -> 'features') f
 WHERE f -> 'properties' ->> 'kind' IN ('dam', 'leachate_pool');
-- another enterprise's pond does not exist for it
SELECT pg_temp.fails(format('SELECT tailings.pond_geojson(%s)', :p2));

---------------------------------------------------------------------------
-- 2. The map, imported back unchanged: every feature the same, and the
-- check of the map it would make is check_completeness's, row for row
---------------------------------------------------------------------------
RESET ROLE;
SELECT count(*) AS all_log_rows FROM change_log \gset
SET ROLE regress_sub_ent1;
SELECT count(*) AS log_rows FROM change_log \gset
SELECT import_geojson(:p1, pond_geojson(:p1)) AS same_map \gset
SELECT op, count(*) FROM submission_diff(:same_map) GROUP BY op;
-- (and in one statement, the diff sees the draft the import just made)
SELECT op, count(*) FROM submission_diff(import_geojson(:p1, pond_geojson(:p1))) GROUP BY op;
SELECT (SELECT array_agg(c::text) FROM check_submission(:same_map) c)
     = (SELECT array_agg(c::text) FROM check_completeness(:p1) c) AS check_equals_check_completeness,
       (SELECT count(*) FROM check_submission(:same_map)) AS rules;
-- the stored drawing is the map as pond_geojson writes it
SELECT features = pond_geojson(:p1) - 'name' AS stored_as_exported, status, created_by, base <> '{}' AS base_recorded
  FROM submission WHERE id = :same_map;
-- the enterprise wrote nothing to the map, and no history appeared
SELECT has_table_privilege('element', 'INSERT') AS can_insert_elements,
       (SELECT count(*) FROM change_log) - :log_rows AS new_log_rows;
RESET ROLE;
SELECT count(*) - :all_log_rows AS new_log_rows FROM change_log;
SET ROLE regress_sub_ent1;

---------------------------------------------------------------------------
-- 3. A drawing as QGIS writes one: crs, a MultiLineString of one part,
-- numeric strings, null for the columns a feature does not have, a kind by
-- its Chinese label, GDAL's YYYY/MM/DD dates
---------------------------------------------------------------------------
SELECT import_geojson(:p1, format($json$
{"type": "FeatureCollection", "name": "drawing",
 "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
 "features": [
  {"type": "Feature", "properties": {"id": %1$s, "kind": "pond_boundary", "name": "库区边界", "verified_on": "2025-01-10", "volume_m3": null},
   "geometry": {"type": "Polygon", "coordinates": [[[101.695, 26.495], [101.705, 26.495], [101.705, 26.505], [101.695, 26.505], [101.695, 26.495]]]}},
  {"type": "Feature", "properties": {"id": "%2$s", "kind": "dam", "name": "主坝（初期坝）", "verified_on": "2025-01-10", "height_m": 32, "volume_m3": null},
   "geometry": {"type": "LineString", "coordinates": [[101.695, 26.495], [101.705, 26.495]]}},
  {"type": "Feature", "properties": {"id": %3$s, "kind": "sign", "name": "标志牌", "verified_on": "2025-01-10", "source": null},
   "geometry": {"type": "Point", "coordinates": [101.6995, 26.499]}},
  {"type": "Feature", "properties": {"id": %4$s, "kind": "leachate_pool", "name": "1号渗滤液池", "verified_on": "2025-01-10", "volume_m3": "300"},
   "geometry": {"type": "Point", "coordinates": [101.702, 26.494, 1520.5]}},
  {"type": "Feature", "properties": {"id": %5$s, "kind": "leachate_pipe", "name": "渗滤液管", "verified_on": "2025/01/10"},
   "geometry": {"type": "MultiLineString", "coordinates": [[[101.700, 26.496], [101.702, 26.4941]]]}},
  {"type": "Feature", "properties": {"id": %6$s, "kind": "gw_background_well", "name": "JC1", "verified_on": "2025-01-10", "depth_m": 30},
   "geometry": {"type": "Point", "coordinates": [101.690, 26.500]}},
  {"type": "Feature", "properties": {"id": %7$s, "kind": "gw_monitoring_well", "name": "JC2", "verified_on": "2025-01-10", "depth_m": "25"},
   "geometry": {"type": "MultiPoint", "coordinates": [[101.710, 26.500]]}},
  {"type": "Feature", "properties": {"id": null, "kind": "事故应急池", "name": null, "volume_m3": "500", "remark": "新建"},
   "geometry": {"type": "Point", "coordinates": [101.703, 26.496]}},
  {"type": "Feature", "properties": {"kind": "interception_ditch", "name": "北侧截洪沟", "accuracy_m": "0.5", "surveyed_on": "2025/03/01", "source": "地面勘察"},
   "geometry": {"type": "MultiLineString", "coordinates": [[[101.694, 26.506], [101.706, 26.506]]]}}
 ]}$json$, :e1, :e1 + 1, :e1 + 2, :e1 + 3, :e1 + 4, :e1 + 5, :e1 + 6)::jsonb) AS d1 \gset
-- what approving it would do: the seepage well, left out, is removed
SELECT op, element_id - :e1 + 1 AS element_no, feature_index, kind, name, round(moved_m::numeric, 1) AS moved_m, changed
  FROM submission_diff(:d1);
-- stored as elements are: one part single, no heights, numbers as numbers
SELECT i, f -> 'geometry' ->> 'type' AS geometry, jsonb_array_length(f -> 'geometry' -> 'coordinates') AS coordinates,
       (f -> 'properties') - '{kind_label,id,verified_on,name}'::text[] AS properties
  FROM submission, jsonb_array_elements(features -> 'features') WITH ORDINALITY x(f, i)
 WHERE id = :d1 AND i IN (4, 5, 7, 8, 9)
 ORDER BY i;
-- the template check of the map the drawing would make, against the map now
SELECT c.rule, n.passed AS now, c.passed AS drawn, c.message
  FROM check_submission(:d1) c LEFT JOIN check_completeness(:p1) n USING (rule)
 WHERE c.passed IS DISTINCT FROM n.passed OR c.rule IN ('ground_verified', 'required_attrs')
 ORDER BY c.rule;
SET tailings.language = en;
SELECT rule, message FROM check_submission(:d1) WHERE rule IN ('ground_verified', 'within_5km');
RESET tailings.language;

---------------------------------------------------------------------------
-- 4. The state machine: who may make which move
---------------------------------------------------------------------------
-- a draft is not reviewed
SELECT pg_temp.fails(format('SELECT tailings.approve(%s)', :d1));
RESET ROLE; SET ROLE regress_sub_county;
SELECT pg_temp.fails(format('SELECT tailings.approve(%s)', :d1));
-- only its author submits it, not a colleague of the same enterprise
RESET ROLE; SET ROLE regress_sub_ent1b;
SELECT count(*) AS ent1b_sees FROM submission WHERE id = :d1;
SELECT pg_temp.fails(format('SELECT tailings.submit(%s)', :d1));
RESET ROLE; SET ROLE regress_sub_ent1;
SELECT submit(:d1);
SELECT pg_temp.fails(format('SELECT tailings.submit(%s)', :d1));
SELECT status, submitted_at IS NOT NULL AS submitted_at, withdrawn_at, reviewed_by FROM submission WHERE id = :d1;
-- the author is no reviewer, and an enterprise none either
SELECT pg_temp.fails(format('SELECT tailings.approve(%s)', :d1));
-- direct writes meet the same rules, and the columns the trigger stamps are not the author's
SELECT pg_temp.fails(format('UPDATE tailings.submission SET status = %L WHERE id = %s', 'approved', :d1));
SELECT pg_temp.fails(format('UPDATE tailings.submission SET reviewed_by = %L WHERE id = %s', 'regress_sub_county', :d1));
SELECT pg_temp.fails(format('UPDATE tailings.submission SET features = features WHERE id = %s', :d1));
SELECT pg_temp.fails(format('INSERT INTO tailings.submission (pond_id, features, status) VALUES (%s, %L, %L)',
                            :p1, pg_temp.fc(), 'approved'));
SELECT pg_temp.fails(format('DELETE FROM tailings.submission WHERE id = %s', :d1));
-- an enterprise never writes the map itself
SELECT pg_temp.fails(format('UPDATE tailings.element SET name = %L WHERE id = %s', 'x', :e1));
-- a reader sees the submission but reviews nothing
RESET ROLE; SET ROLE regress_sub_reader;
SELECT count(*) AS reader_sees FROM submission;
SELECT pg_temp.fails(format('SELECT tailings.approve(%s)', :d1));
-- another county's reviewer does not see it at all
RESET ROLE; SET ROLE regress_sub_county2;
SELECT count(*) AS county2_sees FROM submission;
SELECT pg_temp.fails(format('SELECT tailings.approve(%s)', :d1));
-- a rejection needs a note
RESET ROLE; SET ROLE regress_sub_county;
SELECT count(*) AS county_queue FROM submission WHERE status = 'submitted';
SELECT pg_temp.fails(format('SELECT tailings.reject(%s, NULL)', :d1));
SELECT pg_temp.fails(format('SELECT tailings.reject(%s, %L)', :d1, '  '));

---------------------------------------------------------------------------
-- 5. Approval: the diff applied by the reviewer in one transaction, the
-- change log recording the submission
---------------------------------------------------------------------------
RESET ROLE;
SELECT max(id) AS log_before FROM change_log \gset
SET ROLE regress_sub_county;
SELECT approve(:d1, '同意，按图更新');
SELECT status, reviewed_by, reviewed_at IS NOT NULL AS reviewed_at, review_note FROM submission WHERE id = :d1;
-- the map is the drawing now: its new features are the elements the approval added
SELECT op, count(*) FROM submission_diff(:d1) GROUP BY op;
SELECT (SELECT array_agg(c::text) FROM check_submission(:d1) c)
     = (SELECT array_agg(c::text) FROM check_completeness(:p1) c) AS check_equals_check_completeness;
SELECT id - :e1 + 1 AS element_no, kind, name, ST_AsText(geom) AS geom, attrs, accuracy_m, surveyed_on, source
  FROM element WHERE pond_id = :p1 AND id > :e9 OR id IN (:e1 + 1, :e1 + 2) ORDER BY id;
SELECT count(*) AS seepage_wells FROM element WHERE pond_id = :p1 AND kind = 'seepage_well';
RESET ROLE;
SELECT op, row_id - :e1 + 1 AS element_no, changed, round(moved_m::numeric, 1) AS moved_m, submission_id = :d1 AS of_d1
  FROM change_log WHERE id > :log_before ORDER BY id;
-- final states stay final
SET ROLE regress_sub_city;
SELECT pg_temp.fails(format('SELECT tailings.approve(%s)', :d1));
SELECT pg_temp.fails(format('SELECT tailings.reject(%s, %L)', :d1, '再看看'));
RESET ROLE; SET ROLE regress_sub_ent1;
SELECT pg_temp.fails(format('SELECT tailings.withdraw(%s)', :d1));
SELECT pg_temp.fails(format('UPDATE tailings.submission SET status = %L WHERE id = %s', 'draft', :d1));

-- the mark is approve()'s: a reviewer who sets it to credit its own edits to
-- the submission is refused, and so is any other change made under it
RESET ROLE; SET ROLE regress_sub_county;
BEGIN;
SELECT set_config('tailings.submission_id', :'d1', true);
SELECT pg_temp.fails(format('UPDATE tailings.element SET name = %L WHERE id = %s', '伪造', :e1));
SELECT pg_temp.fails(format('DELETE FROM tailings.element WHERE id = %s', :e1 + 2));
ROLLBACK;
RESET ROLE;
BEGIN;
SET LOCAL tailings.submission_id = 1;
SELECT pg_temp.fails(format('UPDATE tailings.pond SET name = %L WHERE id = %s', '伪造', :p1));
ROLLBACK;

---------------------------------------------------------------------------
-- 6. A reviewer's own drawing is reviewed by another; withdrawing
---------------------------------------------------------------------------
SET ROLE regress_sub_county;
SELECT import_geojson(:p1, pond_geojson(:p1)) AS by_county \gset
SELECT submit(:by_county);
SELECT pg_temp.fails(format('SELECT tailings.approve(%s)', :by_county));
RESET ROLE; SET ROLE regress_sub_city;
SELECT approve(:by_county);
SELECT reviewed_by FROM submission WHERE id = :by_county;
RESET ROLE; SET ROLE regress_sub_ent1;
SELECT import_geojson(:p1, pond_geojson(:p1)) AS draft_out \gset
SELECT withdraw(:draft_out);
SELECT pg_temp.fails(format('SELECT tailings.submit(%s)', :draft_out));
SELECT import_geojson(:p1, pond_geojson(:p1)) AS submitted_out \gset
SELECT submit(:submitted_out);
RESET ROLE; SET ROLE regress_sub_ent1b;
SELECT pg_temp.fails(format('SELECT tailings.withdraw(%s)', :submitted_out));
RESET ROLE; SET ROLE regress_sub_ent1;
SELECT withdraw(:submitted_out);
SELECT status, submitted_at IS NOT NULL AS submitted_at, withdrawn_at IS NOT NULL AS withdrawn_at
  FROM submission WHERE id IN (:draft_out, :submitted_out) ORDER BY id;
RESET ROLE; SET ROLE regress_sub_county;
SELECT pg_temp.fails(format('SELECT tailings.approve(%s)', :submitted_out));

---------------------------------------------------------------------------
-- 7. The conflict: the map changed after the draft was made
---------------------------------------------------------------------------
RESET ROLE; SET ROLE regress_sub_ent1;
SELECT import_geojson(:p1, jsonb_set(pond_geojson(:p1), '{features,0,properties,name}', '"库区边界（新测）"')) AS d2 \gset
SELECT op, element_id - :e1 + 1 AS element_no, changed FROM submission_diff(:d2) WHERE op <> 'same';
SELECT submit(:d2);
-- meanwhile the county corrects the map in the field
RESET ROLE; SET ROLE regress_sub_county;
UPDATE element SET name = '主坝（复核）' WHERE id = :e1 + 1;
INSERT INTO element (pond_id, kind, geom, name) VALUES (:p1, 'sprinkler', 'SRID=4490;POINT(101.700 26.497)', '喷淋1');
SELECT max(id) AS e_new FROM element \gset
SELECT pg_temp.fails(format('SELECT tailings.approve(%s)', :d2));
SELECT status FROM submission WHERE id = :d2;
-- the diff against the map now shows what approving would undo
SELECT op, element_id = :e_new AS is_new_sprinkler, element_id - :e1 + 1 AS element_no, changed
  FROM submission_diff(:d2) WHERE op <> 'same';
SELECT reject(:d2, '地图已更新，请基于最新地图重新绘制');
RESET ROLE; SET ROLE regress_sub_ent1;
SELECT status, reviewed_by, review_note FROM submission WHERE id = :d2;

---------------------------------------------------------------------------
-- 8. The second enterprise sees nothing of it, and its own pond only
---------------------------------------------------------------------------
RESET ROLE; SET ROLE regress_sub_ent2;
SELECT count(*) AS ent2_sees FROM submission;
SELECT pg_temp.fails(format('SELECT * FROM tailings.submission_diff(%s)', :d1));
SELECT pg_temp.fails(format('SELECT * FROM tailings.check_submission(%s)', :d1));
SELECT pg_temp.fails(format('SELECT tailings.withdraw(%s)', :d2));
SELECT pg_temp.fails(format('SELECT tailings.import_geojson(%s, %L)', :p1, pg_temp.fc()));
SELECT pg_temp.fails(format('INSERT INTO tailings.submission (pond_id, features) VALUES (%s, %L)', :p1, pg_temp.fc()));
WITH u AS (UPDATE submission SET status = 'withdrawn' RETURNING 1) SELECT count(*) AS ent2_withdrew FROM u;
SELECT count(*) AS ent2_sees_elements_of_p1 FROM element WHERE pond_id = :p1;
-- an element of another pond is no element of its drawing
SELECT pg_temp.fails(format('SELECT tailings.import_geojson(%s, %L)', :p2,
	pg_temp.fc(pg_temp.pt(101.801, 26.601, jsonb_build_object('id', :e1 + 2, 'kind', 'sign')))));
SELECT import_geojson(:p2, pond_geojson(:p2)) AS ent2_draft \gset
SELECT op, count(*) FROM submission_diff(:ent2_draft) GROUP BY op;
RESET ROLE; SET ROLE regress_sub_ent1;
SELECT count(*) AS ent1_sees_ent2_draft FROM submission WHERE id = :ent2_draft;
-- its own temporary tables do not stand in for the extension's
SELECT array_agg(d::text) AS diff FROM submission_diff(:same_map) d \gset
CREATE TEMP TABLE element (id bigint, pond_id bigint);
CREATE TEMP TABLE submission (id bigint, pond_id bigint, features jsonb);
CREATE TEMP TABLE pond (id bigint);
SELECT array_agg(d::text) = :'diff' AS same_diff, count(*) FROM submission_diff(:same_map) d;
SELECT count(*) AS rules FROM check_submission(:same_map);
DROP TABLE pg_temp.element, pg_temp.submission, pg_temp.pond;
RESET ROLE;

---------------------------------------------------------------------------
-- 9. Import errors, each naming its feature (features[i], from 0), and
-- nothing stored
---------------------------------------------------------------------------
SET ROLE regress_sub_ent1;
SELECT count(*) AS submissions_before FROM submission \gset
\pset format unaligned
SELECT t.what || ': ' || pg_temp.fails(format('SELECT tailings.import_geojson(%s, %L)', :p1, t.drawing)) AS error
  FROM (VALUES
  ('not a collection', '{"type": "Feature"}'::jsonb),
  ('features not an array', '{"type": "FeatureCollection", "features": {}}'),
  ('a projected crs', '{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}, "features": []}'),
  ('a linked crs', '{"type": "FeatureCollection", "crs": {"type": "link", "properties": {"href": "http://example.com/crs"}}, "features": []}'),
  ('not a feature', pg_temp.fc(pg_temp.pt(101.7, 26.5, '{"kind": "sign"}'), '[1, 2]')),
  ('no kind', pg_temp.fc(pg_temp.pt(101.7, 26.5, '{"kind": "sign"}'), pg_temp.pt(101.7, 26.5, '{"name": "x", "kind": null}'))),
  ('unknown kind', pg_temp.fc(pg_temp.pt(101.7, 26.5, '{"kind": "sign"}'), pg_temp.pt(101.7, 26.5, '{"kind": "leachate_pol"}'))),
  ('unknown label', pg_temp.fc(pg_temp.pt(101.7, 26.5, '{"kind": "标志"}'))),
  ('kind not text', pg_temp.fc(pg_temp.pt(101.7, 26.5, '{"kind": 3}'))),
  ('kind and label disagree', pg_temp.fc(pg_temp.pt(101.7, 26.5, '{"kind": "sign", "kind_label": "排放口"}'))),
  ('no geometry', pg_temp.fc('{"type": "Feature", "properties": {"kind": "sign"}, "geometry": null}')),
  ('geometry collection', pg_temp.fc('{"type": "Feature", "properties": {"kind": "sign"}, "geometry": {"type": "GeometryCollection", "geometries": []}}')),
  ('bad coordinates', pg_temp.fc('{"type": "Feature", "properties": {"kind": "sign"}, "geometry": {"type": "Point", "coordinates": [101.7]}}')),
  ('empty geometry', pg_temp.fc('{"type": "Feature", "properties": {"kind": "sign"}, "geometry": {"type": "MultiPoint", "coordinates": []}}')),
  ('wrong geometry for the kind', pg_temp.fc(pg_temp.pt(101.7, 26.5, '{"kind": "sign"}'), pg_temp.pt(101.7, 26.5, '{"kind": "sign"}'), pg_temp.pt(101.7, 26.5, '{"kind": "dam"}'))),
  ('a polygon for a line', pg_temp.fc('{"type": "Feature", "properties": {"kind": "leachate_pipe"}, "geometry": {"type": "Polygon", "coordinates": [[[101.70, 26.50], [101.71, 26.50], [101.71, 26.51], [101.70, 26.50]]]}}')),
  ('invalid polygon', pg_temp.fc('{"type": "Feature", "properties": {"kind": "liner_area"}, "geometry": {"type": "Polygon", "coordinates": [[[101.70, 26.50], [101.71, 26.51], [101.71, 26.50], [101.70, 26.51], [101.70, 26.50]]]}}')),
  ('outside China', pg_temp.fc(pg_temp.pt(13.4, 52.5, '{"kind": "sign"}'))),
  ('swapped', pg_temp.fc(pg_temp.pt(26.5, 101.7, '{"kind": "sign"}'))),
  ('far from the pond', pg_temp.fc(pg_temp.pt(101.7, 26.5, '{"kind": "sign"}'), pg_temp.pt(101.8, 26.5, '{"kind": "sign"}'))),
  ('missing volume', pg_temp.fc(pg_temp.pt(101.7, 26.5, '{"kind": "emergency_pool", "volume_m3": null}'))),
  ('volume not positive', pg_temp.fc(pg_temp.pt(101.7, 26.5, '{"kind": "emergency_pool", "volume_m3": "-5"}'))),
  ('volume zero', pg_temp.fc(pg_temp.pt(101.7, 26.5, '{"kind": "emergency_pool", "volume_m3": 0}'))),
  ('volume not a number', pg_temp.fc(pg_temp.pt(101.7, 26.5, '{"kind": "emergency_pool", "volume_m3": "五百"}'))),
  ('id not of this pond', pg_temp.fc(pg_temp.pt(101.7, 26.5, jsonb_build_object('id', :e9, 'kind', 'sign')))),
  ('id of no element', pg_temp.fc(pg_temp.pt(101.7, 26.5, '{"id": 999999, "kind": "sign"}'))),
  ('id not a number', pg_temp.fc(pg_temp.pt(101.7, 26.5, '{"id": "SIGN-1", "kind": "sign"}'))),
  ('id twice', pg_temp.fc(pg_temp.pt(101.7, 26.5, jsonb_build_object('id', :e1 + 2, 'kind', 'sign')), pg_temp.pt(101.7, 26.5, jsonb_build_object('id', :e1 + 2, 'kind', 'sign')))),
  ('pond_id of another pond', pg_temp.fc(pg_temp.pt(101.7, 26.5, jsonb_build_object('pond_id', :p2, 'kind', 'sign')))),
  ('source', pg_temp.fc(pg_temp.pt(101.7, 26.5, '{"kind": "sign", "source": "helicopter"}'))),
  ('date', pg_temp.fc(pg_temp.pt(101.7, 26.5, '{"kind": "sign", "surveyed_on": "last week"}'))),
  ('no such day', pg_temp.fc(pg_temp.pt(101.7, 26.5, '{"kind": "sign", "surveyed_on": "2025-02-30"}'))),
  ('future', pg_temp.fc(pg_temp.pt(101.7, 26.5, '{"kind": "sign", "verified_on": "2999-01-01"}'))),
  ('verified before surveyed', pg_temp.fc(pg_temp.pt(101.7, 26.5, '{"kind": "sign", "surveyed_on": "2025-03-01", "verified_on": "2025-01-01"}'))),
  ('accuracy negative', pg_temp.fc(pg_temp.pt(101.7, 26.5, '{"kind": "sign", "accuracy_m": -1}'))),
  ('accuracy not a number', pg_temp.fc(pg_temp.pt(101.7, 26.5, '{"kind": "sign", "accuracy_m": "good"}'))),
  ('name an object', pg_temp.fc(pg_temp.pt(101.7, 26.5, '{"kind": "sign", "name": {"zh": "牌"}}'))),
  ('attrs not an object', pg_temp.fc(pg_temp.pt(101.7, 26.5, '{"kind": "sign", "attrs": [1]}'))),
  ('attrs text not JSON', pg_temp.fc(pg_temp.pt(101.7, 26.5, '{"kind": "sign", "attrs": "{oops"}'))),
  ('properties not an object', pg_temp.fc('{"type": "Feature", "properties": [1], "geometry": {"type": "Point", "coordinates": [101.7, 26.5]}}')),
  ('null', NULL)
  ) t(what, drawing);
\pset format aligned
SELECT count(*) - :submissions_before AS stored FROM submission;
-- a required attribute the element has may not be dropped; one it lacks
-- today (drawn before it was required) does not block the drawing, and an
-- element already far away is not refused for staying where it is
SELECT pg_temp.fails(format('SELECT tailings.import_geojson(%s, %L)', :p1,
	pg_temp.fc(pg_temp.pt(101.702, 26.494, jsonb_build_object('id', :e1 + 3, 'kind', 'leachate_pool')))));
RESET ROLE;
INSERT INTO element (pond_id, kind, geom, name) VALUES (:p1, 'gw_diffusion_well', 'SRID=4490;POINT(101.700 26.580)', '远处扩散井');
SET ROLE regress_sub_ent1;
SELECT import_geojson(:p1, pond_geojson(:p1)) AS legacy \gset
SELECT op, count(*) FROM submission_diff(:legacy) GROUP BY op;
SELECT rule, passed, message FROM check_submission(:legacy) WHERE rule IN ('within_5km', 'required_attrs');
-- moving it elsewhere far away is refused
SELECT pg_temp.fails(format('SELECT tailings.import_geojson(%s, %L)', :p1,
	(SELECT pg_temp.fc(VARIADIC array_agg(CASE WHEN f -> 'properties' ->> 'name' = '远处扩散井'
	                                           THEN jsonb_set(f, '{geometry,coordinates}', '[101.700, 26.581]') ELSE f END))
	   FROM jsonb_array_elements(pond_geojson(:p1) -> 'features') f)));
-- the accepted names of CGCS2000 and WGS 84
SELECT c AS crs, pg_temp.fails(format('SELECT tailings.import_geojson(%s, %L)', :p1,
	jsonb_build_object('type', 'FeatureCollection', 'features', '[]'::jsonb,
	                   'crs', jsonb_build_object('type', 'name', 'properties', jsonb_build_object('name', c))))) AS result
  FROM unnest('{EPSG:4490,urn:ogc:def:crs:EPSG::4490,EPSG:4326,urn:ogc:def:crs:EPSG::4326,urn:ogc:def:crs:OGC:1.3:CRS84,http://www.opengis.net/def/crs/EPSG/0/4490,EPSG:4214,EPSG:32648}'::text[]) c;
RESET ROLE;

---------------------------------------------------------------------------
-- 10. Audit: nothing here is SECURITY DEFINER but the interface's
---------------------------------------------------------------------------
SELECT p.oid::regprocedure AS security_definer
  FROM pg_proc p
 WHERE p.pronamespace = 'tailings'::regnamespace AND p.prosecdef
 ORDER BY 1;

\c :regress_db
DROP DATABASE tailings_submission;
DROP ROLE regress_sub_ent1, regress_sub_ent1b, regress_sub_ent2, regress_sub_county, regress_sub_county2,
	regress_sub_city, regress_sub_reader;
