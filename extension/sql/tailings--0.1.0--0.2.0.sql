-- tailings 0.1.0 -> 0.2.0: change log and tracking trigger, time travel,
-- completeness check, vector tiles.
\echo Use "ALTER EXTENSION tailings UPDATE TO '0.2.0'" to load this file. \quit

---------------------------------------------------------------------------
-- Change log
---------------------------------------------------------------------------
CREATE TABLE change_log (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	txid xid8 NOT NULL,
	changed_at timestamptz NOT NULL,
	actor text NOT NULL,
	table_name text NOT NULL,
	row_id bigint,
	pond_id bigint,
	op "char" NOT NULL,
	old_row jsonb,
	new_row jsonb,
	changed text[],
	moved_m double precision
);
-- Few indexes: each one costs every tracked edit.  The log is appended in
-- time order, so a BRIN index serves time ranges (time travel) at little cost;
-- a pond's history has a btree.
CREATE INDEX change_log_changed_at_idx ON change_log USING brin (changed_at);
CREATE INDEX change_log_pond_idx ON change_log (pond_id, changed_at);
COMMENT ON TABLE change_log IS
	'every change of a tracked row (append-only; old entries go through tailings.prune_changes)';
COMMENT ON COLUMN change_log.txid IS 'transaction that made the change';
COMMENT ON COLUMN change_log.changed_at IS 'start of that transaction';
COMMENT ON COLUMN change_log.actor IS 'tailings.actor when set, else the session user';
COMMENT ON COLUMN change_log.table_name IS 'schema-qualified name of the changed table';
COMMENT ON COLUMN change_log.op IS 'I insert, U update, D delete (written by tailings.track_changes only)';
COMMENT ON COLUMN change_log.changed IS 'columns an UPDATE changed';
COMMENT ON COLUMN change_log.moved_m IS 'when an UPDATE moved the geometry: metres between old and new centroid, on the ellipsoid';

CREATE TABLE change_log_pruned (
	pruned_at timestamptz NOT NULL DEFAULT now(),
	before timestamptz NOT NULL,
	rows_removed bigint NOT NULL
);
COMMENT ON TABLE change_log_pruned IS 'each call of prune_changes: history before "before" is gone';

CREATE FUNCTION _change_log_guard() RETURNS trigger
	AS 'MODULE_PATHNAME', 'tl_change_log_guard' LANGUAGE C;
CREATE TRIGGER change_log_append_only BEFORE UPDATE OR DELETE ON change_log
	FOR EACH ROW EXECUTE FUNCTION _change_log_guard();
CREATE TRIGGER change_log_no_truncate BEFORE TRUNCATE ON change_log
	FOR EACH STATEMENT EXECUTE FUNCTION _change_log_guard();
CREATE TRIGGER change_log_pruned_append_only BEFORE UPDATE OR DELETE ON change_log_pruned
	FOR EACH ROW EXECUTE FUNCTION _change_log_guard();
CREATE TRIGGER change_log_pruned_no_truncate BEFORE TRUNCATE ON change_log_pruned
	FOR EACH STATEMENT EXECUTE FUNCTION _change_log_guard();

CREATE FUNCTION prune_changes(before timestamptz) RETURNS bigint
	AS 'MODULE_PATHNAME', 'tl_prune_changes' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION prune_changes(timestamptz) IS
	'removes change log entries older than "before" and returns how many; time travel before it is no longer possible';
REVOKE ALL ON FUNCTION prune_changes(timestamptz) FROM PUBLIC;

CREATE FUNCTION track_changes() RETURNS trigger
	AS 'MODULE_PATHNAME', 'tl_track_changes' LANGUAGE C SECURITY DEFINER;
COMMENT ON FUNCTION track_changes() IS
	'AFTER INSERT OR UPDATE OR DELETE ... FOR EACH ROW trigger writing tailings.change_log and notifying tailings_changes; '
	'arguments: id column (default id), pond id column (default pond_id), geometry column (default: the first)';
REVOKE ALL ON TABLE change_log, change_log_pruned FROM PUBLIC;
GRANT SELECT ON TABLE change_log, change_log_pruned TO PUBLIC;

CREATE TRIGGER pond_track_changes AFTER INSERT OR UPDATE OR DELETE ON pond
	FOR EACH ROW EXECUTE FUNCTION track_changes('id', 'id');
CREATE TRIGGER element_track_changes AFTER INSERT OR UPDATE OR DELETE ON element
	FOR EACH ROW EXECUTE FUNCTION track_changes();
CREATE TRIGGER requirement_track_changes AFTER INSERT OR UPDATE OR DELETE ON requirement
	FOR EACH ROW EXECUTE FUNCTION track_changes('id', '');

---------------------------------------------------------------------------
-- Time travel
---------------------------------------------------------------------------
-- The rows of a tracked table as they were at "at": a row changed after "at"
-- is given by the old row of its first later change (an insert means it did
-- not exist yet); rows not changed since are as they are now.
DO $do$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['element', 'pond'] LOOP
		EXECUTE format($f$
CREATE FUNCTION %1$I(at timestamptz) RETURNS SETOF %2$I
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	WITH first_after AS (
		SELECT DISTINCT ON (c.row_id) c.row_id, c.op, c.old_row
		  FROM change_log c
		 WHERE c.table_name = %3$L AND c.changed_at > %1$I.at
		 ORDER BY c.row_id, c.id)
	SELECT x.* FROM %2$I x
	 WHERE NOT EXISTS (SELECT 1 FROM first_after f WHERE f.row_id = x.id)
	UNION ALL
	SELECT r.* FROM first_after f, jsonb_populate_record(NULL::%2$I, f.old_row) r
	 WHERE f.op <> 'I';
END $f$, CASE t WHEN 'element' THEN '_elements_as_of' ELSE '_ponds_as_of' END, t, 'tailings.' || t);
	END LOOP;
END
$do$;

CREATE FUNCTION _history_kept(at timestamptz) RETURNS boolean
	LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	horizon timestamptz;
BEGIN
	SELECT max(before) INTO horizon FROM tailings.change_log_pruned;
	IF at < horizon THEN
		RAISE EXCEPTION 'the change log before % has been pruned', horizon
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = format('Time travel to %s is no longer possible.', at);
	END IF;
	RETURN true;
END
$$;

CREATE FUNCTION elements_at(pond_id bigint, at timestamptz) RETURNS SETOF element
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT e.* FROM _elements_as_of(elements_at.at) e
	 WHERE e.pond_id = elements_at.pond_id AND _history_kept(elements_at.at)
	 ORDER BY e.id;
END;
COMMENT ON FUNCTION elements_at(bigint, timestamptz) IS
	'the pond''s elements as they were at that moment, rebuilt from the change log';

---------------------------------------------------------------------------
-- Completeness check
---------------------------------------------------------------------------
CREATE FUNCTION _element_placement(pond_id bigint)
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
	       e.kind IN ('leachate_pipe', 'leachate_ditch'),
	       CASE WHEN e.kind IN ('leachate_pipe', 'leachate_ditch') THEN
	           (SELECT min(ST_Distance(ST_EndPoint(ST_GeometryN(e.geom, ST_NumGeometries(e.geom)))::geography,
	                                   t.geom::geography, false))
	              FROM element t
	             WHERE t.pond_id = e.pond_id AND t.kind IN ('leachate_pool', 'leachate_pump')) END,
	       CASE WHEN e.kind IN ('leachate_pipe', 'leachate_ditch') THEN
	           (SELECT min(ST_Distance(ST_StartPoint(ST_GeometryN(e.geom, 1))::geography,
	                                   t.geom::geography, false))
	              FROM element t
	             WHERE t.pond_id = e.pond_id AND t.kind IN ('leachate_pool', 'leachate_pump')) END
	  FROM element e JOIN pond p ON p.id = e.pond_id
	 WHERE e.pond_id = _element_placement.pond_id
	 ORDER BY e.id;
END;

CREATE FUNCTION check_completeness(pond_id bigint)
	RETURNS TABLE (rule text, category element_category, required integer, present integer,
	               passed boolean, severity text, message text)
	AS 'MODULE_PATHNAME', 'tl_check_completeness' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION check_completeness(bigint) IS
	'the pond checked against the template (one row per applicable rule) and the placement rules; messages in tailings.language';

CREATE FUNCTION completeness(pond_id bigint) RETURNS real
	AS 'MODULE_PATHNAME', 'tl_completeness' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION completeness(bigint) IS
	'share of the applicable error-severity rules the pond passes, 0 to 1';

CREATE FUNCTION _pond_summary(pond_id bigint,
	OUT score real, OUT rules integer, OUT errors_failed integer, OUT warnings_failed integer)
	AS 'MODULE_PATHNAME', 'tl_pond_summary' LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE VIEW pond_overview AS
SELECT p.id, p.code, p.name, p.enterprise, p.county_code, p.supervision_level, p.status,
       s.score, s.rules, s.errors_failed, s.warnings_failed,
       (SELECT count(*) FROM element e WHERE e.pond_id = p.id) AS elements
  FROM pond p CROSS JOIN LATERAL _pond_summary(p.id) s;
COMMENT ON VIEW pond_overview IS 'every pond with its completeness score and the number of failed rules';

---------------------------------------------------------------------------
-- Vector tiles
---------------------------------------------------------------------------
CREATE FUNCTION _tile_args(z integer, x integer, y integer, layers text[]) RETURNS boolean
	AS 'MODULE_PATHNAME', 'tl_tile_args' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _element_minzoom() RETURNS integer
	AS 'MODULE_PATHNAME', 'tl_element_minzoom' LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- tile() is PL/pgSQL, so that its query's plan is prepared once per session
-- and kept, with search_path fixed to this extension's and PostGIS's schemas as
-- they are at creation.  The query is written once below and used twice: on
-- the tables (the current map) and on the rows as they were at "at", so that
-- each gets a plan of its own.  jit off: JIT compilation would cost more than
-- the tile.
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
	pond_shapes AS (
		SELECT p.*, b.geom AS shape
		  FROM boundaries b JOIN ponds p ON p.id = b.pond_id
		UNION ALL
		SELECT p.*, p.location
		  FROM ponds p
		 WHERE p.location && ST_Transform(ST_TileEnvelope(z, x, y, margin => 64.0 / 4096), 4490)
		   AND (z < _element_minzoom()
		        OR NOT EXISTS (SELECT 1 FROM elems e WHERE e.pond_id = p.id AND e.kind = 'pond_boundary'))),
	pond_features AS (
		SELECT p.id, p.code, p.name, p.enterprise, p.county_code, p.supervision_level AS level,
		       p.status::text AS status,
		       @score@ AS score,
		       ST_AsMVTGeom(ST_Transform(p.shape, 3857), ST_TileEnvelope(z, x, y), 4096, 64, true) AS geom
		  FROM pond_shapes p
		 WHERE layers IS NULL OR 'ponds' = ANY (layers)),
	element_features AS (
		SELECT category(e.kind) AS category, e.id, e.kind::text AS kind, e.name, e.pond_id,
		       e.source::text AS source, e.verified_on IS NOT NULL AS verified,
		       ST_AsMVTGeom(ST_Transform(e.geom, 3857), ST_TileEnvelope(z, x, y), 4096, 64, true) AS geom
		  FROM elems e
		 WHERE z >= _element_minzoom()
		   AND e.geom && ST_Transform(ST_TileEnvelope(z, x, y, margin => 64.0 / 4096), 4490)
		   AND (layers IS NULL OR category(e.kind)::text = ANY (layers))),
	layer_tiles AS (
		SELECT 0 AS ord, NULL::element_category AS category, ST_AsMVT(f, 'ponds', 4096, 'geom', 'id' ORDER BY f.id) AS mvt
		  FROM (SELECT id, code, name, enterprise, county_code, level, status, score, geom
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
CREATE FUNCTION tile(z integer, x integer, y integer, layers text[] DEFAULT NULL, at timestamptz DEFAULT NULL)
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
		replace(replace(replace(q, '@elements@', 'element'), '@ponds@', 'pond'), '@score@', 'completeness(p.id)'),
		replace(replace(replace(q, '@elements@', '_elements_as_of(at)'), '@ponds@', '_ponds_as_of(at)'), '@score@', 'NULL::real'));
END
$do$;
COMMENT ON FUNCTION tile(integer, integer, integer, text[], timestamptz) IS
	'Mapbox Vector Tile z/x/y of the layers (null: all; "ponds" and the category codes), optionally as it was at "at"';

---------------------------------------------------------------------------
-- pg_dump keeps the change log
---------------------------------------------------------------------------
SELECT pg_catalog.pg_extension_config_dump('change_log', '');
SELECT pg_catalog.pg_extension_config_dump('change_log_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('change_log_pruned', '');
