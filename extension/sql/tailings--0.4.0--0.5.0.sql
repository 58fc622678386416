-- tailings 0.4.0 -> 0.5.0: for SQL and GIS users.  The catalog types compare
-- with literals whatever the search_path; English messages are English; views
-- of one geometry family each, for QGIS and other GIS clients.
\echo Use "ALTER EXTENSION tailings UPDATE TO '0.5.0'" to load this file. \quit

---------------------------------------------------------------------------
-- The comparison operators and min()/max() of the catalog types live in
-- pg_catalog.
--
-- PostgreSQL finds an operator or a function by searching the search_path,
-- and pg_catalog is always searched (first, unless the path names it
-- elsewhere).  Enums compare anywhere because their operators are
-- pg_catalog's polymorphic anyenum ones; a base type's operators are found
-- only where its extension's schema is on the path, which is why
--   SELECT * FROM tailings.element WHERE kind = 'dam'
-- fails with "operator does not exist" for a user, a tool (QGIS, an ORM) or
-- a restore script (pg_dump sets search_path to '') that writes
-- schema-qualified names.  PostGIS, pgvector and ip4r keep their operators in
-- their own schema and ask users to add it to the path or to write
-- OPERATOR(schema.=); we would rather the types behave like enums.
--
-- The extension is created by a superuser (superuser = true), who may create
-- objects in pg_catalog; contrib's adminpack did so for its functions, and
-- pgrx supports it for operators.  What follows from it:
--   * the operators are members of the extension like any other: DROP
--     EXTENSION drops them, ALTER EXTENSION UPDATE may change them, and
--     pg_dump leaves them to CREATE EXTENSION (with --binary-upgrade, for
--     pg_upgrade, it writes CREATE OPERATOR pg_catalog.= ... and adds it to
--     the extension, as for any member);
--   * the btree and hash operator classes refer to operators by OID, so they
--     are unchanged: indexes, ORDER BY, GROUP BY, DISTINCT, merge and hash
--     joins use them as before (the default operator class of a type is found
--     by type, not through the search_path);
--   * queries, views and SQL-body functions keep the operators they were
--     bound to (by OID).  Their text is now written with a plain "=" instead of
--     OPERATOR(tailings.=), which restores anywhere: pg_dump of a user view
--     made before 0.5.0 writes OPERATOR(tailings.=), which a 0.5.0 database no
--     longer has, so update the extension before dumping (README, Upgrade);
--   * the names cannot clash: pg_catalog has no operator or min()/max() taking
--     these types, and an operator is identified by its name and argument
--     types.
-- The support functions (element_kind_eq, ...) and the operator classes stay
-- in schema tailings; only the names a query resolves move.
---------------------------------------------------------------------------
ALTER OPERATOR = (element_category, element_category) SET SCHEMA pg_catalog;
ALTER OPERATOR <> (element_category, element_category) SET SCHEMA pg_catalog;
ALTER OPERATOR < (element_category, element_category) SET SCHEMA pg_catalog;
ALTER OPERATOR <= (element_category, element_category) SET SCHEMA pg_catalog;
ALTER OPERATOR > (element_category, element_category) SET SCHEMA pg_catalog;
ALTER OPERATOR >= (element_category, element_category) SET SCHEMA pg_catalog;
ALTER OPERATOR = (element_kind, element_kind) SET SCHEMA pg_catalog;
ALTER OPERATOR <> (element_kind, element_kind) SET SCHEMA pg_catalog;
ALTER OPERATOR < (element_kind, element_kind) SET SCHEMA pg_catalog;
ALTER OPERATOR <= (element_kind, element_kind) SET SCHEMA pg_catalog;
ALTER OPERATOR > (element_kind, element_kind) SET SCHEMA pg_catalog;
ALTER OPERATOR >= (element_kind, element_kind) SET SCHEMA pg_catalog;
ALTER AGGREGATE min(element_category) SET SCHEMA pg_catalog;
ALTER AGGREGATE max(element_category) SET SCHEMA pg_catalog;
ALTER AGGREGATE min(element_kind) SET SCHEMA pg_catalog;
ALTER AGGREGATE max(element_kind) SET SCHEMA pg_catalog;

---------------------------------------------------------------------------
-- English messages name the regulation in English: the 2022 尾矿污染环境防治
-- 管理办法 is MEE Order No. 26, the Measures on Tailings Pollution.
-- Only the default rules' wording changes; the change log does not record the
-- extension's own correction of its rows.
---------------------------------------------------------------------------
DO $$
BEGIN
	PERFORM set_config('tailings.tracking', 'off', true);
	UPDATE requirement
	   SET description_en = replace(description_en, '(办法 Art. ',
	                                '(MEE Order No. 26, Measures on Tailings Pollution, Art. ')
	 WHERE builtin AND description_en LIKE '%(办法 Art. %';
	PERFORM set_config('tailings.tracking', 'on', true);
END
$$;
COMMENT ON COLUMN pond.supervision_level IS
	'environmental supervision level 1-3 (MEE Order No. 26, Measures on Tailings Pollution, Art. 5; 尾矿污染环境防治管理办法 第5条)';

---------------------------------------------------------------------------
-- Views for GIS clients: one geometry family each (design §4)
--
-- A GIS client needs one geometry type and SRID per layer, a key column and
-- fields of types it knows.  tailings.element has a generic geometry column
-- holding points, lines and polygons, and a C type for kind, which QGIS
-- ignores.  Each view shows the elements of one family with kind as its text
-- code, kind_label (Chinese), the other columns of element, and geom cast to
-- the family's Multi type (QGIS edits a layer of one type; a Multi layer takes
-- single and multi parts alike).
--
-- security_invoker: the caller's rights and the row-level security of element
-- apply, not the view owner's.  Writes go through INSTEAD OF triggers to
-- tailings.element, so the same constraints (geometry_fits, value checks of
-- _element_validate) and the same change tracking apply; the trigger function
-- is not SECURITY DEFINER.  A geometry of one part is stored as a single one
-- (a point stays a POINT), a geometry left unchanged by an UPDATE stays as it
-- was stored, and kind accepts the code or the Chinese label (kind_label is
-- read when kind is null).  A geometry of another family is refused by the
-- view column's type (22023); a family the kind does not take by the table's
-- check (23514).
---------------------------------------------------------------------------
CREATE VIEW element_point WITH (security_invoker) AS
SELECT e.id, e.pond_id, e.kind::text AS kind, label(e.kind, 'zh') AS kind_label,
       e.name, e.source, e.accuracy_m, e.surveyed_on, e.verified_on, e.attrs,
       ST_Multi(e.geom)::geometry(MultiPoint, 4490) AS geom
  FROM element e
 WHERE GeometryType(e.geom) IN ('POINT', 'MULTIPOINT');

CREATE VIEW element_line WITH (security_invoker) AS
SELECT e.id, e.pond_id, e.kind::text AS kind, label(e.kind, 'zh') AS kind_label,
       e.name, e.source, e.accuracy_m, e.surveyed_on, e.verified_on, e.attrs,
       ST_Multi(e.geom)::geometry(MultiLineString, 4490) AS geom
  FROM element e
 WHERE GeometryType(e.geom) IN ('LINESTRING', 'MULTILINESTRING');

CREATE VIEW element_polygon WITH (security_invoker) AS
SELECT e.id, e.pond_id, e.kind::text AS kind, label(e.kind, 'zh') AS kind_label,
       e.name, e.source, e.accuracy_m, e.surveyed_on, e.verified_on, e.attrs,
       ST_Multi(e.geom)::geometry(MultiPolygon, 4490) AS geom
  FROM element e
 WHERE GeometryType(e.geom) IN ('POLYGON', 'MULTIPOLYGON');

COMMENT ON VIEW element_point IS
	'elements drawn as points, for GIS clients: kind as text, geometry MultiPoint (EPSG:4490); writable';
COMMENT ON VIEW element_line IS
	'elements drawn as lines, for GIS clients: kind as text, geometry MultiLineString (EPSG:4490); writable';
COMMENT ON VIEW element_polygon IS
	'elements drawn as polygons, for GIS clients: kind as text, geometry MultiPolygon (EPSG:4490); writable';

-- search_path FROM CURRENT: this schema and PostGIS's, as during CREATE EXTENSION
CREATE FUNCTION _element_view_write() RETURNS trigger
	LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
DECLARE
	e tailings.element;
	g geometry;
BEGIN
	IF TG_OP = 'DELETE' THEN
		DELETE FROM tailings.element WHERE id = OLD.id;
		RETURN CASE WHEN FOUND THEN OLD END;
	END IF;
	-- one part: stored single, as elements are drawn
	g := CASE WHEN NEW.geom IS NOT NULL AND ST_NumGeometries(NEW.geom) = 1
	          THEN ST_GeometryN(NEW.geom, 1) ELSE NEW.geom END;
	IF TG_OP = 'INSERT' THEN
		IF coalesce(NEW.kind, NEW.kind_label) IS NULL THEN
			RAISE EXCEPTION 'null value in column "kind" of relation "%" violates not-null constraint', TG_TABLE_NAME
				USING ERRCODE = 'not_null_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = 'kind',
				      HINT = 'Give kind as its code (gw_monitoring_well) or its Chinese label (地下水监视井).';
		END IF;
		IF NEW.id IS NULL THEN
			INSERT INTO tailings.element (pond_id, kind, geom, name, source, accuracy_m,
			                              surveyed_on, verified_on, attrs)
			VALUES (NEW.pond_id, coalesce(NEW.kind, NEW.kind_label)::tailings.element_kind, g,
			        NEW.name, NEW.source, NEW.accuracy_m, NEW.surveyed_on, NEW.verified_on,
			        coalesce(NEW.attrs, '{}'))
			RETURNING * INTO e;
		ELSE
			INSERT INTO tailings.element (id, pond_id, kind, geom, name, source, accuracy_m,
			                              surveyed_on, verified_on, attrs)
			VALUES (NEW.id, NEW.pond_id, coalesce(NEW.kind, NEW.kind_label)::tailings.element_kind, g,
			        NEW.name, NEW.source, NEW.accuracy_m, NEW.surveyed_on, NEW.verified_on,
			        coalesce(NEW.attrs, '{}'))
			RETURNING * INTO e;
		END IF;
	ELSE
		UPDATE tailings.element t
		   SET id = NEW.id, pond_id = NEW.pond_id,
		       kind = CASE WHEN NEW.kind IS DISTINCT FROM OLD.kind
		                   THEN NEW.kind::tailings.element_kind
		                   WHEN NEW.kind_label IS DISTINCT FROM OLD.kind_label
		                   THEN NEW.kind_label::tailings.element_kind
		                   ELSE t.kind END,
		       geom = CASE WHEN NEW.geom IS NOT DISTINCT FROM OLD.geom THEN t.geom ELSE g END,
		       name = NEW.name, source = NEW.source, accuracy_m = NEW.accuracy_m,
		       surveyed_on = NEW.surveyed_on, verified_on = NEW.verified_on,
		       attrs = coalesce(NEW.attrs, '{}')
		 WHERE t.id = OLD.id
		RETURNING t.* INTO e;
		IF NOT FOUND THEN
			RETURN NULL;
		END IF;
	END IF;
	-- what RETURNING shows: the row as stored
	NEW.id := e.id;
	NEW.pond_id := e.pond_id;
	NEW.kind := e.kind::text;
	NEW.kind_label := tailings.label(e.kind, 'zh');
	NEW.attrs := e.attrs;
	NEW.geom := ST_Multi(e.geom);
	RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION _element_view_write() FROM PUBLIC;
CREATE TRIGGER element_point_write INSTEAD OF INSERT OR UPDATE OR DELETE ON element_point
	FOR EACH ROW EXECUTE FUNCTION _element_view_write();
CREATE TRIGGER element_line_write INSTEAD OF INSERT OR UPDATE OR DELETE ON element_line
	FOR EACH ROW EXECUTE FUNCTION _element_view_write();
CREATE TRIGGER element_polygon_write INSTEAD OF INSERT OR UPDATE OR DELETE ON element_polygon
	FOR EACH ROW EXECUTE FUNCTION _element_view_write();
