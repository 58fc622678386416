-- A tour of the one map for SQL users of the bureau.
--
-- Runs with psql against a database with the extension and the Panzhihua
-- sample (`make run` gives one):
--     psql -d DB -f sql/examples.sql
-- Every section is a comment saying what it shows, then the statements.  The
-- edits in the middle are made inside BEGIN ... ROLLBACK: the database is left
-- as it was found (only the element id sequence moves on, as sequences do).
-- Ponds are found by name, never by id.

-- The extension's functions, tables and operators live in schema tailings.
-- With it on the search path, kinds compare with plain = and the functions
-- need no prefix (otherwise write tailings.label(...), kind::text = 'dam').
SET search_path = tailings, public;

---------------------------------------------------------------------------
-- 1. The catalog: 9 categories, 40 kinds
---------------------------------------------------------------------------

-- The 9 categories of supervision elements (GB 18599-2020), in catalog order.
SELECT category, label_zh, label_en FROM categories() ORDER BY category;

-- How many kinds each category has, and their Chinese labels.
SELECT category, label(category, 'zh') AS category_zh, count(*) AS kinds,
       string_agg(label_zh, '、' ORDER BY kind) AS kinds_zh
  FROM kinds()
 GROUP BY category ORDER BY category;

-- The kinds of one category, with the geometry types they may be drawn with
-- and the attributes they must carry.
SELECT kind, label_zh, label_en, geometry_types, required_attrs(kind) AS required_attrs
  FROM kinds() WHERE category = 'groundwater' ORDER BY kind;

-- Labels in Chinese or English; without a language, the setting
-- tailings.language decides (zh unless changed).
SELECT label('dam'::element_kind) AS label, label('dam'::element_kind, 'zh') AS zh,
       label('dam'::element_kind, 'en') AS en, label('groundwater'::element_category, 'en') AS category_en;

-- Kinds and categories are typed values: a cast accepts the English code (in
-- any case) or the Chinese label, and always prints the code.  A kind casts
-- to its category; category() takes text too.
SELECT '地下水监视井'::element_kind AS from_label,
       'Leachate_Pipe'::element_kind AS from_code,
       '渗滤液收集导排'::element_category AS category_from_label,
       '排洪洞'::element_kind::element_category AS kind_to_category,
       category('回水管') AS category_of,
       'sign'::element_kind::text AS to_text;

---------------------------------------------------------------------------
-- 2. Finding ponds
---------------------------------------------------------------------------

-- The city's 40 supervised ponds by supervision level and status
-- (the bulletin: 8 at level 2, 32 at level 3; 11 in use, 14 suspended, 15 closed).
SELECT supervision_level AS level,
       count(*) FILTER (WHERE status = 'in_use') AS in_use,
       count(*) FILTER (WHERE status = 'suspended') AS suspended,
       count(*) FILTER (WHERE status = 'closed') AS closed,
       count(*) AS ponds
  FROM pond GROUP BY ROLLUP (supervision_level) ORDER BY supervision_level NULLS LAST;

-- The ponds of 米易县 (county code 510421), in use first.
SELECT code, name, status, supervision_level AS level, attrs->>'basin' AS basin
  FROM pond WHERE county_code = '510421'
 ORDER BY status, code;

-- Level-2 ponds still in use: the ones under closest watch.
SELECT code, name, enterprise FROM pond
 WHERE supervision_level = 2 AND status = 'in_use' ORDER BY code;

-- Ponds within 10 km of the city seat (炳草岗, 26.585 N 101.713 E), nearest first.
SELECT name, status,
       round((ST_Distance(location::geography,
                          ST_SetSRID(ST_MakePoint(101.713, 26.585), 4490)::geography) / 1000)::numeric, 1) AS km
  FROM pond
 WHERE ST_DWithin(location::geography, ST_SetSRID(ST_MakePoint(101.713, 26.585), 4490)::geography, 10000)
 ORDER BY km, name;

-- What is drawn around one pond, by category: elements and how many were
-- checked on the ground.
SELECT category(e.kind) AS category, label(category(e.kind), 'zh') AS label,
       count(*) AS elements, count(e.verified_on) AS ground_verified
  FROM element e JOIN pond p ON p.id = e.pond_id
 WHERE p.name = '麻陇沟尾矿库'
 GROUP BY 1 ORDER BY 1;

---------------------------------------------------------------------------
-- 3. The completeness check of one pond
---------------------------------------------------------------------------

-- 麻陇沟尾矿库 (in use, level 3) against the template: the rules it fails.
-- Count rules (severity error) come from tailings.requirement; placement
-- rules (flow direction, wells up- and downstream, 5 km, ground check,
-- attributes) are warnings, and so are the rules of the pond's file (the
-- ledger reported by 31 January, an emergency plan reviewed within three
-- years, a discharge permit for a pond with an outlet); an open major hazard
-- is an error.  (ledger_reported names the year whose ledger is due, which
-- changes every year: the tour leaves its message out.)
SELECT rule, category, required, present, severity, message
  FROM check_completeness((SELECT id FROM pond WHERE name = '麻陇沟尾矿库'))
 WHERE NOT passed AND rule <> 'ledger_reported' ORDER BY severity, rule;

-- All its rules, in short: how many apply, how many pass.
SELECT severity, count(*) AS rules, count(*) FILTER (WHERE passed) AS passed
  FROM check_completeness((SELECT id FROM pond WHERE name = '麻陇沟尾矿库'))
 GROUP BY severity ORDER BY severity;

-- The score: the share of the applicable error rules passed (17 of 18).
SELECT round(completeness(id)::numeric, 3) AS score FROM pond WHERE name = '麻陇沟尾矿库';

-- Messages follow tailings.language.
SET tailings.language = 'en';
SELECT rule, message
  FROM check_completeness((SELECT id FROM pond WHERE name = '麻陇沟尾矿库'))
 WHERE NOT passed AND rule <> 'ledger_reported' ORDER BY severity, rule;
RESET tailings.language;

---------------------------------------------------------------------------
-- 4. The city overview
---------------------------------------------------------------------------

-- Every pond with its score, the rules applied, the failed ones and the
-- elements drawn; the least complete first.
SELECT code, name, status, supervision_level AS level, round(score::numeric, 3) AS score,
       rules, errors_failed, warnings_failed, elements
  FROM pond_overview ORDER BY score, code;

-- The same by status: finished maps (score 1) and the mean score.
SELECT status, count(*) AS ponds, count(*) FILTER (WHERE score = 1) AS finished_maps,
       round(avg(score)::numeric, 3) AS mean_score
  FROM pond_overview GROUP BY ROLLUP (status) ORDER BY status NULLS LAST;

---------------------------------------------------------------------------
-- 5. Adding an element
---------------------------------------------------------------------------

-- Everything from here to the ROLLBACK below is an example edit: it is undone.
BEGIN;

-- The person the change log records for this transaction's edits (by default
-- the session user; an application sharing one login sets it per person).
SET LOCAL tailings.actor = '张工（示例）';

-- 麻陇沟 lacks a floating pump barge (浮船取水).  The drone survey found it on
-- the pond's water; its position is a GPS reading in WGS 84 (EPSG:4326).
-- Elements are stored in CGCS2000 (EPSG:4490), so the point is transformed
-- (the two datums agree within centimetres); the kind is given by its label.
INSERT INTO element (pond_id, kind, geom, name, source, accuracy_m, surveyed_on, attrs)
SELECT id, '浮船取水',
       ST_Transform(ST_SetSRID(ST_MakePoint(102.18044, 27.01862), 4326), 4490),
       '1#浮船取水', 'drone', 3, '2025-05-12', '{"pump_kw": 75}'
  FROM pond WHERE name = '麻陇沟尾矿库'
RETURNING kind, name, ST_AsText(geom) AS geom, ST_SRID(geom) AS srid, source;

---------------------------------------------------------------------------
-- 6. Editing it
---------------------------------------------------------------------------

-- The ground check corrects the barge's position: 6 m to the north-east.
UPDATE element e
   SET geom = ST_Project(e.geom::geography, 6, radians(45))::geometry,
       source = 'ground', accuracy_m = 0.05, verified_on = '2025-05-20'
  FROM pond p
 WHERE p.id = e.pond_id AND p.name = '麻陇沟尾矿库' AND e.name = '1#浮船取水'
RETURNING e.name, ST_AsText(e.geom, 7) AS geom, e.source, e.verified_on IS NOT NULL AS ground_verified;

-- It also finds the leachate pipe drawn against the flow: a pipe must end at
-- its pool.  Reversing the line fixes the direction without moving it.
UPDATE element e SET geom = ST_Reverse(e.geom)
  FROM pond p
 WHERE p.id = e.pond_id AND p.name = '麻陇沟尾矿库' AND e.kind = 'leachate_pipe'
RETURNING e.name, ST_AsText(ST_StartPoint(e.geom), 6) AS starts_at, ST_AsText(ST_EndPoint(e.geom), 6) AS ends_at;

-- The pond now passes every error rule; only the ground check of the
-- farmland is left (a warning).
SELECT rule, severity, message
  FROM check_completeness((SELECT id FROM pond WHERE name = '麻陇沟尾矿库'))
 WHERE NOT passed AND rule <> 'ledger_reported' ORDER BY rule;
SELECT round(completeness(id)::numeric, 3) AS score FROM pond WHERE name = '麻陇沟尾矿库';

---------------------------------------------------------------------------
-- 7. The change log: who changed what, when, and how far it moved
---------------------------------------------------------------------------

-- One row per changed row, written in the same transaction.  changed_at is the
-- transaction's start, now(); moved_m the metres between the old and new
-- centroid (0 for the reversed pipe: it did not move).
SELECT actor, changed_at = now() AS in_this_transaction, table_name, op,
       coalesce(new_row, old_row)->>'name' AS element, changed,
       round(moved_m::numeric, 2) AS moved_m
  FROM change_log
 WHERE txid = pg_current_xact_id()
 ORDER BY id;

-- The old and new row are kept in full (the geometry as EWKB hex text).
SELECT ST_AsText((old_row->>'geom')::geometry, 5) AS old_geom,
       ST_AsText((new_row->>'geom')::geometry, 5) AS new_geom,
       old_row->>'source' AS old_source, new_row->>'source' AS new_source
  FROM change_log
 WHERE txid = pg_current_xact_id() AND op = 'U' AND new_row->>'name' = '1#浮船取水';

---------------------------------------------------------------------------
-- 8. Time travel
---------------------------------------------------------------------------

-- elements_at(pond, at) rebuilds a pond's elements as they were at "at" from
-- the change log.  Changes count from their transaction's start, so inside
-- this transaction "before the edits" is a microsecond before now(), and
-- "now" already shows them.
SELECT 'before' AS map, count(*) AS elements,
       count(*) FILTER (WHERE kind = 'floating_intake') AS barges,
       min(ST_AsText(ST_StartPoint(geom), 6)) FILTER (WHERE kind = 'leachate_pipe') AS pipe_starts_at
  FROM elements_at((SELECT id FROM pond WHERE name = '麻陇沟尾矿库'), now() - interval '1 microsecond')
UNION ALL
SELECT 'after', count(*),
       count(*) FILTER (WHERE kind = 'floating_intake'),
       min(ST_AsText(ST_StartPoint(geom), 6)) FILTER (WHERE kind = 'leachate_pipe')
  FROM elements_at((SELECT id FROM pond WHERE name = '麻陇沟尾矿库'), now())
ORDER BY map DESC;

-- Tiles travel too: the water-return layer of the zoom-16 tile holding the
-- barge, now and before the edits (see section 9 for the tile numbers).
WITH b AS (
  SELECT ST_Y(e.geom) AS lat, ST_X(e.geom) AS lon
    FROM element e JOIN pond p ON p.id = e.pond_id
   WHERE p.name = '麻陇沟尾矿库' AND e.name = '1#浮船取水'),
t AS (
  SELECT 16 AS z, floor((lon + 180) / 360 * 2 ^ 16)::int AS x,
         floor((1 - asinh(tan(radians(lat))) / pi()) / 2 * 2 ^ 16)::int AS y FROM b)
SELECT z, x, y,
       length(tile(z, x, y, '{water_return}')) AS bytes_now,
       length(tile(z, x, y, '{water_return}', now() - interval '1 microsecond')) AS bytes_before
  FROM t;

-- Undo the example edits: the elements, the log rows and the notifications
-- go with the transaction.
ROLLBACK;

-- As it was: 32 elements, score 0.944, no log rows by the example's actor.
SELECT count(*) AS elements, round(completeness(p.id)::numeric, 3) AS score,
       (SELECT count(*) FROM change_log WHERE actor = '张工（示例）') AS example_log_rows
  FROM pond p JOIN element e ON e.pond_id = p.id
 WHERE p.name = '麻陇沟尾矿库' GROUP BY p.id;

---------------------------------------------------------------------------
-- 9. Vector tiles
---------------------------------------------------------------------------

-- tile(z, x, y [, layers] [, at]) returns a Mapbox Vector Tile (bytea).  The
-- tiles holding 麻陇沟's registry point at four zooms, numbered as web maps
-- number them (web mercator, y from the north), and their sizes: below zoom 12
-- a tile carries only the ponds, as points (here the 10 ponds of this corner
-- of 米易县); from zoom 12 the drawn boundary and the elements too, one layer
-- per category.
WITH t AS (
  SELECT z, floor((ST_X(p.location) + 180) / 360 * 2 ^ z)::int AS x,
         floor((1 - asinh(tan(radians(ST_Y(p.location)))) / pi()) / 2 * 2 ^ z)::int AS y,
         p.location
    FROM pond p, (VALUES (10), (12), (14), (16)) AS zooms(z)
   WHERE p.name = '麻陇沟尾矿库')
SELECT z, x, y,
       ST_Intersects(ST_TileEnvelope(z, x, y), ST_Transform(location, 3857)) AS holds_pond,
       length(tile(z, x, y)) AS bytes,
       length(tile(z, x, y, '{ponds}')) AS ponds_layer,
       length(tile(z, x, y, '{groundwater,leachate}')) AS groundwater_and_leachate
  FROM t ORDER BY z;

-- A tile with nothing in it is an empty bytea (zoom 10, the top-left corner of
-- the world map, 85° N 180° W).
SELECT length(tile(10, 0, 0)) AS bytes;

---------------------------------------------------------------------------
-- 10. The pond's file (一库一档)
---------------------------------------------------------------------------

-- pond_file(pond_id) gives a pond's whole file as one JSON object, labels in
-- tailings.language (what the API's /api/ponds/{id}/file serves).  Its
-- sections for 安宁铁钛烂坝山 and how many entries each holds.
SELECT f.key, CASE jsonb_typeof(f.value) WHEN 'array' THEN jsonb_array_length(f.value)::text
                                         ELSE jsonb_typeof(f.value) END AS entries
  FROM pond p, jsonb_each(pond_file(p.id)) f
 WHERE p.name = '安宁铁钛烂坝山尾矿库' ORDER BY f.key;

-- Its wells' manganese over the year, for the charts: the background well
-- upstream, the monitoring wells downstream, the class III line (0.10 mg/L);
-- JC2's last sample is above it.
SELECT s ->> 'name' AS well, s ->> 'role' AS role, s ->> 'limit_max' AS limit_max,
       (SELECT string_agg(v ->> 'value', ' → ' ORDER BY v ->> 'sampled_on') FROM jsonb_array_elements(s -> 'series') v)
           AS manganese
  FROM pond p, jsonb_array_elements(pond_file(p.id) -> 'monitoring' -> 'series') s
 WHERE p.name = '安宁铁钛烂坝山尾矿库' AND s ->> 'parameter' = 'manganese';

-- The city's hazards past their deadline, and not closed (hazard_overdue
-- also gives days_overdue, which grows every day).
SELECT pond_code, pond_name, severity, status, description
  FROM hazard_overdue ORDER BY pond_code, id;

-- Where the ground and the map disagree: the positions the pre-flood
-- inspections found more than 30 m from where they are mapped.
SELECT p.name AS pond, c.name, c.state, round(c.offset_m) AS offset_m
  FROM inspection i JOIN pond p ON p.id = i.pond_id, inspection_coverage(i.id) c
 WHERE c.to_correct;
