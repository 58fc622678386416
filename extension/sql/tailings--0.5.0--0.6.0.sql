-- tailings 0.5.0 -> 0.6.0: one definition of each contract.  The tile's
-- extent, buffer, ponds layer name and fields come from the C headers the
-- tile server reads too; the placement rules read the kinds' roles from the
-- catalog; tile() is one plain query.
\echo Use "ALTER EXTENSION tailings UPDATE TO '0.6.0'" to load this file. \quit

---------------------------------------------------------------------------
-- Catalog: placement roles
---------------------------------------------------------------------------
CREATE FUNCTION _placement_role(element_kind) RETURNS text
	AS 'MODULE_PATHNAME', 'tl_placement_role' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

DROP FUNCTION kinds();
CREATE FUNCTION kinds(OUT kind element_kind, OUT category element_category,
	OUT geometry_types text[], OUT label_zh text, OUT label_en text, OUT directed boolean,
	OUT placement_role text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'tl_kinds_fn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 40;
COMMENT ON FUNCTION kinds() IS
	'the element kinds of the catalog, in catalog order; placement_role: leachate_line, leachate_sink, '
	'upstream_well or downstream_well for the kinds the placement rules place, else null';

DROP FUNCTION _element_placement(bigint);
CREATE FUNCTION _element_placement(pond_id bigint)
	RETURNS TABLE (id bigint, kind element_kind, name text, verified boolean, attrs_ok boolean,
	               dist_m double precision, bearing double precision, leachate_line boolean,
	               end_m double precision, start_m double precision)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT e.id, e.kind, e.name, e.verified_on IS NOT NULL,
	       e.attrs ?& required_attrs(e.kind),
	       ST_Distance(e.geom::geography, p.location::geography, false),
	       CASE WHEN _placement_role(e.kind) IN ('upstream_well', 'downstream_well')
	            THEN degrees(ST_Azimuth(p.location::geography, ST_PointOnSurface(e.geom)::geography)) END,
	       l.leachate_line,
	       CASE WHEN l.leachate_line THEN
	           (SELECT min(ST_Distance(ST_EndPoint(ST_GeometryN(e.geom, ST_NumGeometries(e.geom)))::geography,
	                                   t.geom::geography, false))
	              FROM element t
	             WHERE t.pond_id = e.pond_id AND _placement_role(t.kind) = 'leachate_sink') END,
	       CASE WHEN l.leachate_line THEN
	           (SELECT min(ST_Distance(ST_StartPoint(ST_GeometryN(e.geom, 1))::geography,
	                                   t.geom::geography, false))
	              FROM element t
	             WHERE t.pond_id = e.pond_id AND _placement_role(t.kind) = 'leachate_sink') END
	  FROM element e JOIN pond p ON p.id = e.pond_id,
	       LATERAL (SELECT _placement_role(e.kind) = 'leachate_line'
	                       AND GeometryType(e.geom) IN ('LINESTRING', 'MULTILINESTRING') AS leachate_line) l
	 WHERE e.pond_id = _element_placement.pond_id
	 ORDER BY e.id;
END;

---------------------------------------------------------------------------
-- Vector tiles: the contract's constants, and tile() as one query
---------------------------------------------------------------------------
CREATE FUNCTION _tile_extent() RETURNS integer
	AS 'MODULE_PATHNAME', 'tl_tile_extent' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _tile_buffer() RETURNS integer
	AS 'MODULE_PATHNAME', 'tl_tile_buffer' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _ponds_layer() RETURNS text
	AS 'MODULE_PATHNAME', 'tl_ponds_layer' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION tile_fields(OUT layer text, OUT field text, OUT type text, OUT description text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'tl_tile_fields' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 56;
COMMENT ON FUNCTION tile_fields() IS
	'the properties of each tile layer''s features and their types (Number, String, Boolean), as TileJSON lists them';

-- tile() checks its arguments and gives the map now (_tile_now) or as it was
-- at "at" (_tile_at).  The two are PL/pgSQL so that each query's plan is
-- prepared once per session and kept; they differ only in where the rows come
-- from (the tables, or the rows as of "at") and in the scores (none for a
-- past moment).  The tile's box in CGCS2000, with the buffer, is written out
-- in each filter rather than joined from a CTE, so that each filter is an
-- index condition on the GiST indexes; NOT MATERIALIZED lets the filters
-- reach into the tables.  The features' properties are those tile_fields()
-- lists (contract.h).  jit off: compiling would cost more than the tile.
CREATE FUNCTION _tile_now(z integer, x integer, y integer, layers text[])
	RETURNS bytea LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path FROM CURRENT SET jit = off
AS $tile$
DECLARE
	mvt bytea;
BEGIN
	WITH elems AS NOT MATERIALIZED (SELECT * FROM element),
	ponds AS NOT MATERIALIZED (SELECT * FROM pond),
	-- the ponds: drawn boundary from the element zoom on, else the registry point
	boundaries AS (
		SELECT e.pond_id, ST_Collect(e.geom) AS geom
		  FROM elems e
		 WHERE z >= _element_minzoom() AND e.kind = 'pond_boundary'
		   AND e.geom && ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)
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
		 WHERE p.location && ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)),
	-- each pond's score and failed rules once, however many shapes it has here
	summaries AS MATERIALIZED (
		SELECT d.id, s.score, s.errors_failed
		  FROM (SELECT DISTINCT id FROM pond_shapes) d, LATERAL _pond_summary(d.id) s
		 WHERE layers IS NULL OR _ponds_layer() = ANY (layers)),
	-- the features' properties: tile_fields() (contract.h) lists them
	pond_features AS (
		SELECT CASE WHEN NOT p.anchor THEN p.id END AS id,	-- an anchor has no feature id
		       p.id AS pond_id, p.code, p.name, p.enterprise, p.county_code, p.supervision_level AS level,
		       p.status::text AS status, s.score, s.errors_failed AS failed, p.gw_flow_azimuth, p.anchor,
		       ST_AsMVTGeom(ST_Transform(p.shape, 3857), ST_TileEnvelope(z, x, y),
		                    _tile_extent(), _tile_buffer(), true) AS geom
		  FROM pond_shapes p JOIN summaries s USING (id)),
	element_features AS (
		SELECT category(e.kind) AS category, e.id, e.kind::text AS kind, e.name, e.pond_id,
		       e.source::text AS source, e.verified_on IS NOT NULL AS verified,
		       ST_AsMVTGeom(ST_Transform(e.geom, 3857), ST_TileEnvelope(z, x, y),
		                    _tile_extent(), _tile_buffer(), true) AS geom
		  FROM elems e
		 WHERE z >= _element_minzoom()
		   AND e.geom && ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)
		   AND (layers IS NULL OR category(e.kind)::text = ANY (layers))),
	-- one layer of ponds, then one per category in catalog order
	layer_tiles AS (
		SELECT 0 AS ord, NULL::element_category AS category,
		       ST_AsMVT(f, _ponds_layer(), _tile_extent(), 'geom', 'id' ORDER BY f.pond_id, f.anchor) AS mvt
		  FROM pond_features f
		 WHERE f.geom IS NOT NULL
		HAVING count(*) > 0
		UNION ALL
		SELECT 1, ef.category, ST_AsMVT(f, ef.category::text, _tile_extent(), 'geom', 'id' ORDER BY f.id)
		  FROM element_features ef,
		       LATERAL (SELECT ef.id, ef.kind, ef.name, ef.pond_id, ef.source, ef.verified, ef.geom) f
		 WHERE ef.geom IS NOT NULL
		 GROUP BY ef.category)
	SELECT coalesce(string_agg(lt.mvt, ''::bytea ORDER BY lt.ord, lt.category), ''::bytea) INTO mvt
	  FROM layer_tiles lt;
	RETURN mvt;
END
$tile$;

CREATE FUNCTION _tile_at(z integer, x integer, y integer, layers text[], at timestamptz)
	RETURNS bytea LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path FROM CURRENT SET jit = off
AS $tile$
DECLARE
	mvt bytea;
BEGIN
	WITH elems AS NOT MATERIALIZED (SELECT * FROM _elements_as_of(at)),
	ponds AS NOT MATERIALIZED (SELECT * FROM _ponds_as_of(at)),
	-- the ponds: drawn boundary from the element zoom on, else the registry point
	boundaries AS (
		SELECT e.pond_id, ST_Collect(e.geom) AS geom
		  FROM elems e
		 WHERE z >= _element_minzoom() AND e.kind = 'pond_boundary'
		   AND e.geom && ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)
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
		 WHERE p.location && ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)),
	-- a past moment has no scores
	summaries AS MATERIALIZED (
		SELECT DISTINCT id, NULL::real AS score, NULL::integer AS errors_failed
		  FROM pond_shapes
		 WHERE layers IS NULL OR _ponds_layer() = ANY (layers)),
	-- the features' properties: tile_fields() (contract.h) lists them
	pond_features AS (
		SELECT CASE WHEN NOT p.anchor THEN p.id END AS id,	-- an anchor has no feature id
		       p.id AS pond_id, p.code, p.name, p.enterprise, p.county_code, p.supervision_level AS level,
		       p.status::text AS status, s.score, s.errors_failed AS failed, p.gw_flow_azimuth, p.anchor,
		       ST_AsMVTGeom(ST_Transform(p.shape, 3857), ST_TileEnvelope(z, x, y),
		                    _tile_extent(), _tile_buffer(), true) AS geom
		  FROM pond_shapes p JOIN summaries s USING (id)),
	element_features AS (
		SELECT category(e.kind) AS category, e.id, e.kind::text AS kind, e.name, e.pond_id,
		       e.source::text AS source, e.verified_on IS NOT NULL AS verified,
		       ST_AsMVTGeom(ST_Transform(e.geom, 3857), ST_TileEnvelope(z, x, y),
		                    _tile_extent(), _tile_buffer(), true) AS geom
		  FROM elems e
		 WHERE z >= _element_minzoom()
		   AND e.geom && ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)
		   AND (layers IS NULL OR category(e.kind)::text = ANY (layers))),
	-- one layer of ponds, then one per category in catalog order
	layer_tiles AS (
		SELECT 0 AS ord, NULL::element_category AS category,
		       ST_AsMVT(f, _ponds_layer(), _tile_extent(), 'geom', 'id' ORDER BY f.pond_id, f.anchor) AS mvt
		  FROM pond_features f
		 WHERE f.geom IS NOT NULL
		HAVING count(*) > 0
		UNION ALL
		SELECT 1, ef.category, ST_AsMVT(f, ef.category::text, _tile_extent(), 'geom', 'id' ORDER BY f.id)
		  FROM element_features ef,
		       LATERAL (SELECT ef.id, ef.kind, ef.name, ef.pond_id, ef.source, ef.verified, ef.geom) f
		 WHERE ef.geom IS NOT NULL
		 GROUP BY ef.category)
	SELECT coalesce(string_agg(lt.mvt, ''::bytea ORDER BY lt.ord, lt.category), ''::bytea) INTO mvt
	  FROM layer_tiles lt;
	RETURN mvt;
END
$tile$;

CREATE OR REPLACE FUNCTION tile(z integer, x integer, y integer, layers text[] DEFAULT NULL, at timestamptz DEFAULT NULL)
	RETURNS bytea LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path FROM CURRENT
AS $tile$
BEGIN
	-- the arguments are checked first, whatever the tile holds
	PERFORM _tile_args(z, x, y, layers);
	IF at IS NULL THEN
		RETURN _tile_now(z, x, y, layers);
	END IF;
	PERFORM _history_kept(at);
	RETURN _tile_at(z, x, y, layers, at);
END
$tile$;
