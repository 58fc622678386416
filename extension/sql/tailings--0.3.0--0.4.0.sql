-- tailings 0.3.0 -> 0.4.0: a map that tells the truth.  The catalog says which
-- kinds are directed; the ponds layer carries what a reader needs (failed
-- rules, groundwater flow, one anchor point per pond for its label); history
-- says where it starts and what changed between two moments.
\echo Use "ALTER EXTENSION tailings UPDATE TO '0.4.0'" to load this file. \quit

---------------------------------------------------------------------------
-- Catalog: directed kinds
---------------------------------------------------------------------------
CREATE FUNCTION directed(element_kind) RETURNS boolean
	AS 'MODULE_PATHNAME', 'tl_directed' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION directed(element_kind) IS
	'true for the flowing kinds (pipes, ditches, the flood tunnel, rivers): their lines run in the direction of flow';

DROP FUNCTION kinds();
CREATE FUNCTION kinds(OUT kind element_kind, OUT category element_category,
	OUT geometry_types text[], OUT label_zh text, OUT label_en text, OUT directed boolean)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'tl_kinds_fn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 40;
COMMENT ON FUNCTION kinds() IS 'the element kinds of the catalog, in catalog order';

-- the placement rule "a directed leachate line ends at a pool or pump" reads
-- the catalog's flag instead of a list of kinds
CREATE OR REPLACE FUNCTION _element_placement(pond_id bigint)
	RETURNS TABLE (id bigint, kind element_kind, name text, verified boolean, attrs_ok boolean,
	               dist_m double precision, bearing double precision, directed boolean,
	               end_m double precision, start_m double precision)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT e.id, e.kind, e.name, e.verified_on IS NOT NULL,
	       e.attrs ?& required_attrs(e.kind),
	       ST_Distance(e.geom::geography, p.location::geography, false),
	       CASE WHEN e.kind IN ('gw_background_well', 'gw_monitoring_well')
	            THEN degrees(ST_Azimuth(p.location::geography, ST_PointOnSurface(e.geom)::geography)) END,
	       l.leachate_line,
	       CASE WHEN l.leachate_line THEN
	           (SELECT min(ST_Distance(ST_EndPoint(ST_GeometryN(e.geom, ST_NumGeometries(e.geom)))::geography,
	                                   t.geom::geography, false))
	              FROM element t
	             WHERE t.pond_id = e.pond_id AND t.kind IN ('leachate_pool', 'leachate_pump')) END,
	       CASE WHEN l.leachate_line THEN
	           (SELECT min(ST_Distance(ST_StartPoint(ST_GeometryN(e.geom, 1))::geography,
	                                   t.geom::geography, false))
	              FROM element t
	             WHERE t.pond_id = e.pond_id AND t.kind IN ('leachate_pool', 'leachate_pump')) END
	  FROM element e JOIN pond p ON p.id = e.pond_id,
	       LATERAL (SELECT category(e.kind) = 'leachate' AND directed(e.kind)
	                       AND GeometryType(e.geom) IN ('LINESTRING', 'MULTILINESTRING') AS leachate_line) l
	 WHERE e.pond_id = _element_placement.pond_id
	 ORDER BY e.id;
END;

---------------------------------------------------------------------------
-- Vector tiles: the ponds layer gains failed, gw_flow_azimuth and anchor
---------------------------------------------------------------------------
DO $do$
DECLARE
	q text := $q$
	-- The tile's box in CGCS2000 (with the 64-unit buffer) is written out in each
	-- filter rather than joined from a CTE, so that each filter is an index
	-- condition on the GiST indexes.
	-- NOT MATERIALIZED: the filters reach into the tables and their indexes.
	WITH elems AS NOT MATERIALIZED (SELECT * FROM @elements@),
	ponds AS NOT MATERIALIZED (SELECT * FROM @ponds@),
	-- the ponds: drawn boundary from the element zoom on, else the registry point
	boundaries AS (
		SELECT e.pond_id, ST_Collect(e.geom) AS geom
		  FROM elems e
		 WHERE z >= _element_minzoom() AND e.kind = 'pond_boundary'
		   AND e.geom && ST_Transform(ST_TileEnvelope(z, x, y, margin => 64.0 / 4096), 4490)
		 GROUP BY e.pond_id),
	-- a pond with a drawn boundary: the boundary, and its registry point as an
	-- "anchor" (for the label and the groundwater flow arrow: one per pond,
	-- not one per tile piece); a pond without one: its registry point
	pond_shapes AS (
		SELECT p.*, b.geom AS shape, false AS anchor
		  FROM boundaries b JOIN ponds p ON p.id = b.pond_id
		UNION ALL
		SELECT p.*, p.location,
		       z >= _element_minzoom()
		       AND EXISTS (SELECT 1 FROM elems e WHERE e.pond_id = p.id AND e.kind = 'pond_boundary')
		  FROM ponds p
		 WHERE p.location && ST_Transform(ST_TileEnvelope(z, x, y, margin => 64.0 / 4096), 4490)),
	-- each pond's score and failed rules once, however many shapes it has here
	summaries AS MATERIALIZED (
		SELECT d.id, s.score, s.errors_failed
		  FROM (SELECT DISTINCT id FROM pond_shapes) d, LATERAL @summary@ s
		 WHERE layers IS NULL OR 'ponds' = ANY (layers)),
	pond_features AS (
		SELECT p.id, p.id AS pond_id, p.code, p.name, p.enterprise, p.county_code, p.supervision_level AS level,
		       p.status::text AS status, s.score, s.errors_failed AS failed,
		       p.gw_flow_azimuth, p.anchor,
		       ST_AsMVTGeom(ST_Transform(p.shape, 3857), ST_TileEnvelope(z, x, y), 4096, 64, true) AS geom
		  FROM pond_shapes p JOIN summaries s USING (id)),
	element_features AS (
		SELECT category(e.kind) AS category, e.id, e.kind::text AS kind, e.name, e.pond_id,
		       e.source::text AS source, e.verified_on IS NOT NULL AS verified,
		       ST_AsMVTGeom(ST_Transform(e.geom, 3857), ST_TileEnvelope(z, x, y), 4096, 64, true) AS geom
		  FROM elems e
		 WHERE z >= _element_minzoom()
		   AND e.geom && ST_Transform(ST_TileEnvelope(z, x, y, margin => 64.0 / 4096), 4490)
		   AND (layers IS NULL OR category(e.kind)::text = ANY (layers))),
	layer_tiles AS (
		SELECT 0 AS ord, NULL::element_category AS category, ST_AsMVT(f, 'ponds', 4096, 'geom', 'id' ORDER BY f.pond_id, f.anchor) AS mvt
		  -- an anchor has no feature id: ids stay unique in the layer (pond_id names the pond)
		  FROM (SELECT CASE WHEN NOT anchor THEN id END AS id, pond_id, code, name, enterprise, county_code,
		               level, status, score, failed, gw_flow_azimuth, anchor, geom
		          FROM pond_features WHERE geom IS NOT NULL) f
		HAVING count(*) > 0
		UNION ALL
		SELECT 1, ef.category, ST_AsMVT(f, ef.category::text, 4096, 'geom', 'id' ORDER BY f.id)
		  FROM element_features ef,
		       LATERAL (SELECT ef.id, ef.kind, ef.name, ef.pond_id, ef.source, ef.verified, ef.geom) f
		 WHERE ef.geom IS NOT NULL
		 GROUP BY ef.category)
	SELECT coalesce(string_agg(lt.mvt, ''::bytea ORDER BY lt.ord, lt.category), ''::bytea) INTO mvt
	  FROM layer_tiles lt;
$q$;
BEGIN
	EXECUTE format($f$
CREATE OR REPLACE FUNCTION tile(z integer, x integer, y integer, layers text[] DEFAULT NULL, at timestamptz DEFAULT NULL)
	RETURNS bytea LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path FROM CURRENT SET jit = off
AS $tile$
DECLARE
	mvt bytea;
BEGIN
	-- the arguments are checked first, whatever the tile holds
	PERFORM _tile_args(z, x, y, layers);
	IF at IS NULL THEN
%s
	ELSE
		PERFORM _history_kept(at);
%s
	END IF;
	RETURN mvt;
END
$tile$ $f$,
		replace(replace(replace(q, '@elements@', 'element'), '@ponds@', 'pond'), '@summary@', '_pond_summary(d.id)'),
		replace(replace(replace(q, '@elements@', '_elements_as_of(at)'), '@ponds@', '_ponds_as_of(at)'), '@summary@', '(SELECT NULL::real AS score, NULL::integer AS errors_failed)'));
END
$do$;
COMMENT ON FUNCTION tile(integer, integer, integer, text[], timestamptz) IS
	'Mapbox Vector Tile z/x/y of the layers (null: all; "ponds" and the category codes), optionally as it was at "at"';

---------------------------------------------------------------------------
-- History: where it starts, and what changed between two moments
---------------------------------------------------------------------------
CREATE FUNCTION history_start() RETURNS timestamptz
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT greatest((SELECT max(before) FROM change_log_pruned),
	                (SELECT min(changed_at) FROM change_log));
END;
COMMENT ON FUNCTION history_start() IS
	'the earliest moment the map can be rebuilt for (the oldest change kept); null while the log is empty';

CREATE FUNCTION compare(from_at timestamptz, to_at timestamptz, pond_id bigint DEFAULT NULL)
	RETURNS TABLE (id bigint, pond_id bigint, kind element_kind, name text, change text,
	               moved_m double precision, old_geom geometry, new_geom geometry)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	WITH a AS MATERIALIZED (
		SELECT e.* FROM _elements_as_of(compare.from_at) e
		 WHERE _history_kept(compare.from_at) AND (compare.pond_id IS NULL OR e.pond_id = compare.pond_id)),
	b AS MATERIALIZED (
		SELECT e.* FROM _elements_as_of(compare.to_at) e
		 WHERE _history_kept(compare.to_at) AND (compare.pond_id IS NULL OR e.pond_id = compare.pond_id)),
	d AS (
		SELECT coalesce(b.id, a.id) AS id, coalesce(b.pond_id, a.pond_id) AS pond_id,
		       coalesce(b.kind, a.kind) AS kind, coalesce(b.name, a.name) AS name,
		       CASE WHEN a.id IS NULL THEN 'added'
		            WHEN b.id IS NULL THEN 'removed'
		            WHEN NOT ST_OrderingEquals(a.geom, b.geom) THEN 'moved'
		            ELSE 'changed' END AS change,
		       a.geom AS old_geom, b.geom AS new_geom
		  FROM a FULL JOIN b ON a.id = b.id
		 WHERE a.id IS NULL OR b.id IS NULL OR to_jsonb(a) IS DISTINCT FROM to_jsonb(b))
	SELECT d.id, d.pond_id, d.kind, d.name, d.change,
	       CASE WHEN d.change = 'moved' THEN
	           ST_Distance(ST_Centroid(ST_Transform(d.old_geom, 4326))::geography,
	                       ST_Centroid(ST_Transform(d.new_geom, 4326))::geography, true) END,
	       d.old_geom, d.new_geom
	  FROM d
	 ORDER BY d.id;
END;
COMMENT ON FUNCTION compare(timestamptz, timestamptz, bigint) IS
	'the elements (of one pond, or all) that differ between two moments: added, removed, moved (with how far), changed';
