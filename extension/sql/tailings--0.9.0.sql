-- tailings 0.9.0: the full install script.  CREATE EXTENSION tailings runs
-- this file alone; a database made with an earlier version gets here through
-- the update scripts beside it (tailings--A--B.sql), and tests/sh/upgrade.sh
-- checks that both end with the same objects.
\echo Use "CREATE EXTENSION tailings CASCADE" to load this file. \quit

-- During CREATE EXTENSION the search_path is this extension's schema followed
-- by PostGIS's, so PostGIS names resolve here and are bound at creation.

---------------------------------------------------------------------------
-- Types element_category and element_kind
---------------------------------------------------------------------------
CREATE TYPE element_category;
CREATE TYPE element_kind;

CREATE FUNCTION element_category_in(cstring) RETURNS element_category
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION element_category_out(element_category) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION element_category_recv(internal) RETURNS element_category
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION element_category_send(element_category) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION element_kind_in(cstring) RETURNS element_kind
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION element_kind_out(element_kind) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION element_kind_recv(internal) RETURNS element_kind
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION element_kind_send(element_kind) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE element_category (
	INPUT = element_category_in,
	OUTPUT = element_category_out,
	RECEIVE = element_category_recv,
	SEND = element_category_send,
	INTERNALLENGTH = 2,
	PASSEDBYVALUE,
	ALIGNMENT = int2,
	STORAGE = plain
);
COMMENT ON TYPE element_category IS
	'one of the 9 categories of environmental supervision elements (GB 18599-2020); input: English code or Chinese label';

CREATE TYPE element_kind (
	INPUT = element_kind_in,
	OUTPUT = element_kind_out,
	RECEIVE = element_kind_recv,
	SEND = element_kind_send,
	INTERNALLENGTH = 2,
	PASSEDBYVALUE,
	ALIGNMENT = int2,
	STORAGE = plain
);
COMMENT ON TYPE element_kind IS
	'a kind of supervision element (dam, leachate pool, groundwater well, ...); input: English code or Chinese label';

-- comparison, in catalog order
CREATE FUNCTION element_category_eq(element_category, element_category) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION element_category_ne(element_category, element_category) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION element_category_lt(element_category, element_category) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION element_category_le(element_category, element_category) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION element_category_gt(element_category, element_category) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION element_category_ge(element_category, element_category) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION element_category_cmp(element_category, element_category) RETURNS int4
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION element_category_hash(element_category) RETURNS int4
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION element_category_hash_extended(element_category, int8) RETURNS int8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE FUNCTION element_kind_eq(element_kind, element_kind) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION element_kind_ne(element_kind, element_kind) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION element_kind_lt(element_kind, element_kind) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION element_kind_le(element_kind, element_kind) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION element_kind_gt(element_kind, element_kind) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION element_kind_ge(element_kind, element_kind) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION element_kind_cmp(element_kind, element_kind) RETURNS int4
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION element_kind_hash(element_kind) RETURNS int4
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION element_kind_hash_extended(element_kind, int8) RETURNS int8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

-- The comparison operators and min()/max() live in pg_catalog, which
-- PostgreSQL always searches: like an enum's, they are found whatever the
-- search_path, so that "tailings.element WHERE kind = 'dam'" works for a user,
-- a tool (QGIS, an ORM) or a restore script (pg_dump sets search_path to '')
-- that writes schema-qualified names.  The extension is created by a
-- superuser, who may create objects there; they are members of the extension
-- like any other (DROP EXTENSION drops them).  pg_catalog has no operator or
-- aggregate taking these types, so the names cannot clash.  The support
-- functions and the operator classes stay in schema tailings.
CREATE OPERATOR pg_catalog.= (LEFTARG = element_category, RIGHTARG = element_category,
	PROCEDURE = element_category_eq, COMMUTATOR = OPERATOR(pg_catalog.=), NEGATOR = OPERATOR(pg_catalog.<>),
	RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR pg_catalog.<> (LEFTARG = element_category, RIGHTARG = element_category,
	PROCEDURE = element_category_ne, COMMUTATOR = OPERATOR(pg_catalog.<>), NEGATOR = OPERATOR(pg_catalog.=),
	RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR pg_catalog.< (LEFTARG = element_category, RIGHTARG = element_category,
	PROCEDURE = element_category_lt, COMMUTATOR = OPERATOR(pg_catalog.>), NEGATOR = OPERATOR(pg_catalog.>=),
	RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR pg_catalog.<= (LEFTARG = element_category, RIGHTARG = element_category,
	PROCEDURE = element_category_le, COMMUTATOR = OPERATOR(pg_catalog.>=), NEGATOR = OPERATOR(pg_catalog.>),
	RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR pg_catalog.> (LEFTARG = element_category, RIGHTARG = element_category,
	PROCEDURE = element_category_gt, COMMUTATOR = OPERATOR(pg_catalog.<), NEGATOR = OPERATOR(pg_catalog.<=),
	RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR pg_catalog.>= (LEFTARG = element_category, RIGHTARG = element_category,
	PROCEDURE = element_category_ge, COMMUTATOR = OPERATOR(pg_catalog.<=), NEGATOR = OPERATOR(pg_catalog.<),
	RESTRICT = scalargesel, JOIN = scalargejoinsel);

CREATE OPERATOR pg_catalog.= (LEFTARG = element_kind, RIGHTARG = element_kind,
	PROCEDURE = element_kind_eq, COMMUTATOR = OPERATOR(pg_catalog.=), NEGATOR = OPERATOR(pg_catalog.<>),
	RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR pg_catalog.<> (LEFTARG = element_kind, RIGHTARG = element_kind,
	PROCEDURE = element_kind_ne, COMMUTATOR = OPERATOR(pg_catalog.<>), NEGATOR = OPERATOR(pg_catalog.=),
	RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR pg_catalog.< (LEFTARG = element_kind, RIGHTARG = element_kind,
	PROCEDURE = element_kind_lt, COMMUTATOR = OPERATOR(pg_catalog.>), NEGATOR = OPERATOR(pg_catalog.>=),
	RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR pg_catalog.<= (LEFTARG = element_kind, RIGHTARG = element_kind,
	PROCEDURE = element_kind_le, COMMUTATOR = OPERATOR(pg_catalog.>=), NEGATOR = OPERATOR(pg_catalog.>),
	RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR pg_catalog.> (LEFTARG = element_kind, RIGHTARG = element_kind,
	PROCEDURE = element_kind_gt, COMMUTATOR = OPERATOR(pg_catalog.<), NEGATOR = OPERATOR(pg_catalog.<=),
	RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR pg_catalog.>= (LEFTARG = element_kind, RIGHTARG = element_kind,
	PROCEDURE = element_kind_ge, COMMUTATOR = OPERATOR(pg_catalog.<=), NEGATOR = OPERATOR(pg_catalog.<),
	RESTRICT = scalargesel, JOIN = scalargejoinsel);

-- min() and max() in catalog order
CREATE FUNCTION element_category_smaller(element_category, element_category) RETURNS element_category
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION element_category_larger(element_category, element_category) RETURNS element_category
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION element_kind_smaller(element_kind, element_kind) RETURNS element_kind
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION element_kind_larger(element_kind, element_kind) RETURNS element_kind
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE AGGREGATE pg_catalog.min(element_category) (SFUNC = element_category_smaller, STYPE = element_category,
	COMBINEFUNC = element_category_smaller, SORTOP = OPERATOR(pg_catalog.<), PARALLEL = SAFE);
CREATE AGGREGATE pg_catalog.max(element_category) (SFUNC = element_category_larger, STYPE = element_category,
	COMBINEFUNC = element_category_larger, SORTOP = OPERATOR(pg_catalog.>), PARALLEL = SAFE);
CREATE AGGREGATE pg_catalog.min(element_kind) (SFUNC = element_kind_smaller, STYPE = element_kind,
	COMBINEFUNC = element_kind_smaller, SORTOP = OPERATOR(pg_catalog.<), PARALLEL = SAFE);
CREATE AGGREGATE pg_catalog.max(element_kind) (SFUNC = element_kind_larger, STYPE = element_kind,
	COMBINEFUNC = element_kind_larger, SORTOP = OPERATOR(pg_catalog.>), PARALLEL = SAFE);

CREATE OPERATOR CLASS element_category_ops DEFAULT FOR TYPE element_category USING btree AS
	OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >,
	FUNCTION 1 element_category_cmp(element_category, element_category);
CREATE OPERATOR CLASS element_category_ops DEFAULT FOR TYPE element_category USING hash AS
	OPERATOR 1 =,
	FUNCTION 1 element_category_hash(element_category),
	FUNCTION 2 element_category_hash_extended(element_category, int8);

CREATE OPERATOR CLASS element_kind_ops DEFAULT FOR TYPE element_kind USING btree AS
	OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >,
	FUNCTION 1 element_kind_cmp(element_kind, element_kind);
CREATE OPERATOR CLASS element_kind_ops DEFAULT FOR TYPE element_kind USING hash AS
	OPERATOR 1 =,
	FUNCTION 1 element_kind_hash(element_kind),
	FUNCTION 2 element_kind_hash_extended(element_kind, int8);

---------------------------------------------------------------------------
-- Catalog functions
---------------------------------------------------------------------------
CREATE FUNCTION category(element_kind) RETURNS element_category
	AS 'MODULE_PATHNAME', 'tl_kind_category' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION category(element_kind) IS 'the category a kind belongs to';

-- label(x) follows the tailings.language setting, so it is STABLE;
-- label(x, lang) with an explicit 'zh' or 'en' is IMMUTABLE.
CREATE FUNCTION label(element_kind) RETURNS text
	AS 'MODULE_PATHNAME', 'tl_kind_label_fn' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION label(element_kind, lang text) RETURNS text
	AS 'MODULE_PATHNAME', 'tl_kind_label_fn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION label(element_category) RETURNS text
	AS 'MODULE_PATHNAME', 'tl_category_label_fn' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION label(element_category, lang text) RETURNS text
	AS 'MODULE_PATHNAME', 'tl_category_label_fn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION label(element_kind) IS 'label of a kind in the tailings.language setting (zh or en)';
COMMENT ON FUNCTION label(element_kind, text) IS 'label of a kind in the given language (zh or en)';
COMMENT ON FUNCTION label(element_category) IS 'label of a category in the tailings.language setting (zh or en)';
COMMENT ON FUNCTION label(element_category, text) IS 'label of a category in the given language (zh or en)';

CREATE FUNCTION geometry_types(element_kind) RETURNS text[]
	AS 'MODULE_PATHNAME', 'tl_geometry_types' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION geometry_types(element_kind) IS
	'geometry types a kind may be drawn with (POINT, LINESTRING, POLYGON; MULTI forms are accepted too)';

CREATE FUNCTION required_attrs(element_kind) RETURNS text[]
	AS 'MODULE_PATHNAME', 'tl_required_attrs' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION required_attrs(element_kind) IS
	'keys an element of this kind must carry in attrs (volume_m3 for pools and tanks, depth_m for wells)';

CREATE FUNCTION directed(element_kind) RETURNS boolean
	AS 'MODULE_PATHNAME', 'tl_directed' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION directed(element_kind) IS
	'true for the flowing kinds (pipes, ditches, the flood tunnel, rivers): their lines run in the direction of flow';

CREATE FUNCTION _placement_role(element_kind) RETURNS text
	AS 'MODULE_PATHNAME', 'tl_placement_role' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION kinds(OUT kind element_kind, OUT category element_category,
	OUT geometry_types text[], OUT label_zh text, OUT label_en text, OUT directed boolean,
	OUT placement_role text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'tl_kinds_fn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 40;
COMMENT ON FUNCTION kinds() IS
	'the element kinds of the catalog, in catalog order; placement_role: leachate_line, leachate_sink, '
	'upstream_well or downstream_well for the kinds the placement rules place, else null';

CREATE FUNCTION categories(OUT category element_category, OUT label_zh text, OUT label_en text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'tl_categories_fn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 9;
COMMENT ON FUNCTION categories() IS 'the 9 categories of supervision elements, in catalog order';

CREATE FUNCTION geometry_fits(kind element_kind, geometry_type text) RETURNS bool
	AS 'MODULE_PATHNAME', 'tl_geometry_fits' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION geometry_fits(element_kind, text) IS
	'true when a geometry of this GeometryType() may represent the kind; raises check_violation otherwise';

CREATE FUNCTION kinds_in_category(kinds element_kind[], category element_category) RETURNS bool
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT coalesce(bool_and(category(k) = kinds_in_category.category), false)
	FROM unnest(kinds_in_category.kinds) AS k;
END;
COMMENT ON FUNCTION kinds_in_category(element_kind[], element_category) IS
	'true when the array is not empty and every kind in it belongs to the category';

CREATE CAST (element_kind AS element_category) WITH FUNCTION category(element_kind);
CREATE CAST (text AS element_kind) WITH INOUT AS ASSIGNMENT;
CREATE CAST (element_kind AS text) WITH INOUT AS ASSIGNMENT;
CREATE CAST (varchar AS element_kind) WITH INOUT AS ASSIGNMENT;
CREATE CAST (element_kind AS varchar) WITH INOUT AS ASSIGNMENT;
CREATE CAST (text AS element_category) WITH INOUT AS ASSIGNMENT;
CREATE CAST (element_category AS text) WITH INOUT AS ASSIGNMENT;
CREATE CAST (varchar AS element_category) WITH INOUT AS ASSIGNMENT;
CREATE CAST (element_category AS varchar) WITH INOUT AS ASSIGNMENT;

---------------------------------------------------------------------------
-- Enums
---------------------------------------------------------------------------
CREATE TYPE pond_status AS ENUM ('in_use', 'suspended', 'closed');
COMMENT ON TYPE pond_status IS 'in_use 在用, suspended 停用, closed 闭库';
CREATE TYPE survey_source AS ENUM ('satellite', 'drone', 'ground');
COMMENT ON TYPE survey_source IS
	'how an element was positioned: satellite 卫星遥感, drone 无人机航拍, ground 地面勘察 (the "three-step collection")';

---------------------------------------------------------------------------
-- Group roles
---------------------------------------------------------------------------
-- Roles belong to the cluster, not to a database: the first CREATE EXTENSION
-- (or this update) in a cluster creates them; in another database of the same
-- cluster they are found and used as they are.  A role of one of these names
-- that can log in, is a superuser, bypasses row-level security or creates
-- roles is not a group role of this extension: refused rather than trusted.
-- DROP EXTENSION leaves them (README, "Roles, members and tokens").
DO $roles$
DECLARE
	r text;
	a record;
BEGIN
	FOREACH r IN ARRAY ARRAY['tailings_reader', 'tailings_enterprise', 'tailings_county', 'tailings_city',
	                         'tailings_province', 'tailings_app'] LOOP
		SELECT rolcanlogin, rolsuper, rolbypassrls, rolcreaterole, rolreplication INTO a
		  FROM pg_catalog.pg_roles WHERE rolname = r;
		IF NOT FOUND THEN
			BEGIN
				EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
			EXCEPTION WHEN duplicate_object OR unique_violation THEN
				NULL;	-- created meanwhile by CREATE EXTENSION in another database
			END;
		ELSIF a.rolcanlogin OR a.rolsuper OR a.rolbypassrls OR a.rolcreaterole OR a.rolreplication THEN
			RAISE EXCEPTION 'role % exists and is not a group role', r
				USING ERRCODE = 'duplicate_object',
				      DETAIL = 'The extension''s group roles are NOLOGIN roles without superuser, BYPASSRLS, '
				               'CREATEROLE or REPLICATION; members get their rights through them.',
				      HINT = pg_catalog.format('Rename or drop the existing role %I, or make it NOLOGIN NOSUPERUSER '
				                               'NOBYPASSRLS NOCREATEROLE NOREPLICATION, then try again.', r);
		END IF;
	END LOOP;
END
$roles$;
COMMENT ON ROLE tailings_reader IS 'tailings: reads every pond, element and change (row-level security shows all)';
COMMENT ON ROLE tailings_enterprise IS 'tailings: an enterprise''s members (tailings.member); read their ponds';
COMMENT ON ROLE tailings_county IS 'tailings: county bureaus'' members; read and correct the elements of their county''s ponds';
COMMENT ON ROLE tailings_city IS 'tailings: city bureaus'' members; as a county for their city, and edit the template';
COMMENT ON ROLE tailings_province IS 'tailings: province bureaus'' members; as a city for their province, and keep the list of ponds';
COMMENT ON ROLE tailings_app IS 'tailings: applications acting for people; only these roles may name the actor with tailings.actor';

---------------------------------------------------------------------------
-- Unified social credit codes (统一社会信用代码, GB 32100-2015)
---------------------------------------------------------------------------
-- 18 characters of the code's alphabet, the digits and the capitals without
-- I, O, S, V and Z: the registration authority and the kind of organization
-- (2), the GB/T 2260 code of the registering division (6 digits), the
-- organization code (9), and the check character, whose value is
-- 31 - (sum of value(i) * 3^(i-1) mod 31, over the first 17) mod 31, taken
-- mod 31.
CREATE FUNCTION _uscc_check_char(code text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT substr('0123456789ABCDEFGHJKLMNPQRTUWXY',
	              ((31 - sum(v.value * ('{1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28}'::integer[])[v.i]) % 31) % 31)::integer + 1,
	              1)
	  FROM (SELECT i, strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(_uscc_check_char.code, i, 1)) - 1 AS value
	          FROM generate_series(1, 17) AS i) AS v
	HAVING length(_uscc_check_char.code) >= 17 AND bool_and(v.value >= 0);
END;
COMMENT ON FUNCTION _uscc_check_char(text) IS
	'the check character (GB 32100-2015) of a unified social credit code''s first 17 characters; null when they are not of its alphabet';

CREATE FUNCTION uscc_valid(code text) RETURNS boolean
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT uscc_valid.code ~ '^[0-9ABCDEFGHJKLMNPQRTUWXY]{2}[0-9]{6}[0-9ABCDEFGHJKLMNPQRTUWXY]{10}$'
	       AND right(uscc_valid.code, 1) = _uscc_check_char(uscc_valid.code);
END;
COMMENT ON FUNCTION uscc_valid(text) IS
	'true for a well-formed unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters of 0-9 and A-Z '
	'without I, O, S, V, Z, the registering division''s 6 digits at 3-8, and a right check character';

---------------------------------------------------------------------------
-- Tables
---------------------------------------------------------------------------
CREATE TABLE pond (
	id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	code text NOT NULL UNIQUE CHECK (code <> ''),
	name text NOT NULL CHECK (name <> ''),
	enterprise text,
	county_code text CHECK (county_code ~ '^[0-9]{6}$'),
	supervision_level smallint NOT NULL CHECK (supervision_level BETWEEN 1 AND 3),
	status pond_status NOT NULL,
	location geometry(Point, 4490) NOT NULL,
	gw_flow_azimuth real CHECK (gw_flow_azimuth >= 0 AND gw_flow_azimuth < 360),
	attrs jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attrs) = 'object'),
	enterprise_code text CONSTRAINT pond_enterprise_code_uscc CHECK (uscc_valid(enterprise_code)),
	CONSTRAINT pond_location_in_range CHECK (
		NOT ST_IsEmpty(location)
		AND ST_X(location) BETWEEN -180 AND 180 AND ST_Y(location) BETWEEN -90 AND 90)
);
CREATE INDEX pond_location_idx ON pond USING gist (location);
CREATE INDEX pond_status_level_idx ON pond (status, supervision_level);
COMMENT ON TABLE pond IS 'supervised tailings ponds (尾矿库): the registry, one row per pond';
COMMENT ON COLUMN pond.code IS 'the pond''s code in the national tailings register';
COMMENT ON COLUMN pond.county_code IS 'GB/T 2260 code of the county or district';
COMMENT ON COLUMN pond.supervision_level IS
	'environmental supervision level 1-3 (MEE Order No. 26, Measures on Tailings Pollution, Art. 5; 尾矿污染环境防治管理办法 第5条)';
COMMENT ON COLUMN pond.location IS 'registry point, CGCS2000 (EPSG:4490); the drawn boundary is an element of kind pond_boundary';
COMMENT ON COLUMN pond.gw_flow_azimuth IS 'direction groundwater flows to, degrees clockwise from north; null when unknown';
COMMENT ON COLUMN pond.attrs IS 'the rest of the pond''s file (一库一档): basin, ore, dam height, capacity, ...';
COMMENT ON COLUMN pond.enterprise_code IS
	'the enterprise''s unified social credit code (统一社会信用代码, GB 32100-2015): the scope of its members';

CREATE TABLE element (
	id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	pond_id bigint NOT NULL REFERENCES pond (id),
	kind element_kind NOT NULL,
	geom geometry(Geometry, 4490) NOT NULL,
	name text,
	source survey_source,
	accuracy_m real CHECK (accuracy_m >= 0),
	surveyed_on date,
	verified_on date,
	attrs jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attrs) = 'object'),
	CONSTRAINT element_geom_fits_kind CHECK (geometry_fits(kind, GeometryType(geom))),
	CONSTRAINT element_geom_in_range CHECK (
		NOT ST_IsEmpty(geom)
		AND ST_XMin(geom) >= -180 AND ST_XMax(geom) <= 180
		AND ST_YMin(geom) >= -90 AND ST_YMax(geom) <= 90)
);
CREATE INDEX element_geom_idx ON element USING gist (geom);
CREATE INDEX element_pond_kind_idx ON element (pond_id, kind);
COMMENT ON TABLE element IS 'environmental supervision elements of the ponds, as drawn on the one map';
COMMENT ON COLUMN element.geom IS 'CGCS2000 (EPSG:4490); lines run in the direction of flow';
COMMENT ON COLUMN element.source IS 'how the position was collected';
COMMENT ON COLUMN element.accuracy_m IS 'estimated horizontal accuracy, metres';
COMMENT ON COLUMN element.verified_on IS 'date of the ground check (实地校核); null when not ground-verified';
COMMENT ON COLUMN element.attrs IS 'attributes; see tailings.required_attrs(kind)';

CREATE TABLE requirement (
	id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	name text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9_]+$'),
	category element_category NOT NULL,
	kinds element_kind[] NOT NULL,
	min_count integer NOT NULL DEFAULT 1 CHECK (min_count >= 0),
	statuses pond_status[] NOT NULL DEFAULT '{in_use,suspended,closed}',
	levels smallint[] NOT NULL DEFAULT '{1,2,3}' CHECK (levels <@ '{1,2,3}'::smallint[]),
	severity text NOT NULL DEFAULT 'error' CHECK (severity IN ('error', 'warning')),
	description_zh text,
	description_en text,
	enabled boolean NOT NULL DEFAULT true,
	builtin boolean NOT NULL DEFAULT false,
	CONSTRAINT requirement_kinds_in_category CHECK (kinds_in_category(kinds, category)),
	-- a NULL kind passed the category check and then broke every check of every pond
	CONSTRAINT requirement_arrays_plain CHECK (
		array_ndims(kinds) = 1 AND array_position(kinds, NULL) IS NULL
		AND array_ndims(statuses) = 1 AND array_position(statuses, NULL) IS NULL
		AND array_ndims(levels) = 1 AND array_position(levels, NULL) IS NULL)
);
COMMENT ON TABLE requirement IS
	'the bureau''s unified template: elements each pond must have, by status and supervision level';
COMMENT ON COLUMN requirement.kinds IS 'kinds that count towards the rule; several kinds mean "one of"';
COMMENT ON COLUMN requirement.min_count IS 'how many elements of these kinds the pond needs';
COMMENT ON COLUMN requirement.statuses IS 'pond statuses the rule applies to';
COMMENT ON COLUMN requirement.levels IS 'supervision levels the rule applies to';
COMMENT ON COLUMN requirement.enabled IS 'false: the rule is kept but not applied';
COMMENT ON COLUMN requirement.builtin IS 'a rule of the default template shipped with the extension';
COMMENT ON CONSTRAINT requirement_arrays_plain ON requirement IS
	'kinds, statuses and levels are one-dimensional arrays without NULL elements';

-- Default template rows may be edited or disabled but not deleted: a dump
-- carries them with their edits, and the restore replaces the freshly seeded
-- default of the same id or name with the dumped row (see below).
CREATE FUNCTION requirement_guard() RETURNS trigger
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		IF OLD.builtin THEN
			RAISE EXCEPTION 'rule "%" belongs to the default template and cannot be deleted', OLD.name
				USING ERRCODE = 'restrict_violation',
					  HINT = 'Set enabled = false to stop applying it.';
		END IF;
		RETURN OLD;
	END IF;
	-- INSERT of a builtin row (pg_restore of a dump): supersede the seeded default
	IF NEW.builtin THEN
		DELETE FROM tailings.requirement r
		 WHERE r.builtin AND (r.id = NEW.id OR r.name = NEW.name);
	END IF;
	RETURN NEW;
END
$$;
-- the trigger function's own DELETE must pass the delete guard
CREATE TRIGGER requirement_guard_insert BEFORE INSERT ON requirement
	FOR EACH ROW WHEN (NEW.builtin) EXECUTE FUNCTION requirement_guard();
CREATE TRIGGER requirement_guard_delete BEFORE DELETE ON requirement
	FOR EACH ROW WHEN (OLD.builtin AND pg_trigger_depth() < 1) EXECUTE FUNCTION requirement_guard();

-- The default template (design §3).  Clauses: GB 18599-2020 and the 2022
-- 尾矿污染环境防治管理办法 (办法).
INSERT INTO requirement (name, category, kinds, statuses, levels, description_zh, description_en, builtin) VALUES
('pond_boundary', 'site', '{pond_boundary}', DEFAULT, DEFAULT,
 '应标绘库区边界', 'The pond boundary must be drawn', true),
('dam', 'site', '{dam}', DEFAULT, DEFAULT,
 '应标绘坝体', 'The dam must be drawn', true),
('sign', 'site', '{sign}', DEFAULT, DEFAULT,
 '应设置环境保护图形标志', 'An environmental protection sign must be in place', true),
('liner_area', 'seepage', '{liner_area}', DEFAULT, DEFAULT,
 '应标绘防渗区（GB 18599 5.3）', 'The lined area must be drawn (GB 18599 5.3)', true),
('leachate_pool', 'leachate', '{leachate_pool}', DEFAULT, DEFAULT,
 '应设置渗滤液收集池（GB 18599 5.1.3）', 'A leachate collection pool is required (GB 18599 5.1.3)', true),
('leachate_conveyance', 'leachate', '{leachate_pipe,leachate_ditch}', DEFAULT, DEFAULT,
 '应设置渗滤液收集管或导排沟（GB 18599 5.1.3）',
 'A leachate collection pipe or drainage ditch is required (GB 18599 5.1.3)', true),
('gw_background_well', 'groundwater', '{gw_background_well}', DEFAULT, DEFAULT,
 '地下水流场上游应设置本底井（GB 18599 10.3.2）',
 'A groundwater background well upstream is required (GB 18599 10.3.2)', true),
('gw_monitoring_well', 'groundwater', '{gw_monitoring_well}', DEFAULT, DEFAULT,
 '地下水流场下游应设置监视井（GB 18599 10.3.2）',
 'A groundwater monitoring well downstream is required (GB 18599 10.3.2)', true),
('gw_diffusion_well', 'groundwater', '{gw_diffusion_well}', DEFAULT, DEFAULT,
 '可能出现污染扩散区域应设置扩散井（GB 18599 10.3.2）',
 'A groundwater diffusion well where pollution may spread is required (GB 18599 10.3.2)', true),
('interception_ditch', 'stormwater', '{interception_ditch}', DEFAULT, DEFAULT,
 '应设置截洪沟，实现雨污分流（GB 18599 5.1.3）',
 'A flood interception ditch separating storm water is required (GB 18599 5.1.3)', true),
('flood_discharge', 'stormwater', '{spillway_tower,flood_tunnel}', DEFAULT, DEFAULT,
 '应设置溢洪塔或排洪洞（GB 18599 5.1.2）',
 'A spillway tower or flood discharge tunnel is required (GB 18599 5.1.2)', true),
('receptor', 'receptor', '{residential_area,drinking_water_source,surface_water,farmland,surface_water_monitor,soil_monitor}',
 DEFAULT, DEFAULT,
 '应标识周边环境敏感目标', 'Surrounding sensitive receptors must be identified', true),
('dam_face_dust_cover', 'dust', '{dam_face_dust_cover}', '{in_use,suspended}', DEFAULT,
 '坝面应采取扬尘防护措施（办法 第16条）', 'The dam face needs dust protection (MEE Order No. 26, Measures on Tailings Pollution, Art. 16)', true),
('emergency_pool', 'emergency', '{emergency_pool}', '{in_use,suspended}', DEFAULT,
 '应设置事故应急池（办法 第22条）', 'An emergency pool is required (MEE Order No. 26, Measures on Tailings Pollution, Art. 22)', true),
('dry_beach', 'site', '{dry_beach}', '{in_use}', DEFAULT,
 '在用库应标绘干滩', 'The dry beach of a pond in use must be drawn', true),
('sprinkler', 'dust', '{sprinkler}', '{in_use}', DEFAULT,
 '在用库应设置洒水抑尘设施（GB 18599 7.5）', 'A pond in use needs sprinkling against dust (GB 18599 7.5)', true),
('water_intake', 'water_return', '{floating_intake,return_pool}', '{in_use}', DEFAULT,
 '在用库应设置浮船取水或回水池', 'A pond in use needs a floating pump barge or a return water pool', true),
('return_pipe', 'water_return', '{return_pipe}', '{in_use}', DEFAULT,
 '在用库应设置回水管，尾矿水优先回用', 'A pond in use needs a return water pipe: tailings water is reused first', true),
('closure_cover', 'site', '{closure_cover}', '{closed}', DEFAULT,
 '闭库应标绘封场覆盖区（GB 18599 9）', 'A closed pond must show its closure cover (GB 18599 9)', true),
('tsp_monitor', 'dust', '{tsp_monitor}', '{in_use,suspended}', '{1,2}',
 '一、二级库应设置颗粒物监测点（GB 18599 10.5.3）',
 'Level 1 and 2 ponds need a TSP monitoring point (GB 18599 10.5.3)', true),
('video_monitor', 'emergency', '{video_monitor}', '{in_use,suspended}', '{1,2}',
 '一、二级库应设置视频监控', 'Level 1 and 2 ponds need video surveillance', true),
('interception_dam', 'emergency', '{interception_dam}', '{in_use,suspended}', '{1,2}',
 '一、二级库应设置事故拦截坝（办法 第22条）',
 'Level 1 and 2 ponds need an emergency interception dam (MEE Order No. 26, Measures on Tailings Pollution, Art. 22)', true);

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
	moved_m double precision,
	session_role text,
	bbox double precision[] CHECK (cardinality(bbox) = 4),
	submission_id bigint
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
COMMENT ON COLUMN change_log.actor IS
	'who made the change: tailings.actor when set and the role has the rights of tailings_app (an application acting '
	'for people); else the member''s display_name when the role is a member (tailings.member); else the session user';
COMMENT ON COLUMN change_log.table_name IS 'schema-qualified name of the changed table';
COMMENT ON COLUMN change_log.op IS 'I insert, U update, D delete (written by tailings.track_changes only)';
COMMENT ON COLUMN change_log.changed IS 'columns an UPDATE changed';
COMMENT ON COLUMN change_log.moved_m IS 'when an UPDATE moved the geometry: metres between old and new centroid, on the ellipsoid';
COMMENT ON COLUMN change_log.session_role IS
	'the session user (database login) that made the change, whatever tailings.actor says';
COMMENT ON COLUMN change_log.bbox IS
	'the changed area in EPSG:4326: xmin, ymin, xmax, ymax (both versions of a moved geometry)';
COMMENT ON COLUMN change_log.submission_id IS
	'the submission whose approval made the change (the transaction-local setting tailings.submission_id, '
	'which tailings.approve sets); null for a direct edit';

-- No row-level security: a row is a city-wide pruning horizon, not a pond's
-- data (no pond_id); every reader needs it to know where history starts.
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

-- track_changes() runs as whoever changed the row; only its INSERT of
-- already-serialised values into the log runs as the log's owner (see
-- track.c).  Attaching it needs EXECUTE, which PUBLIC does not have, and a
-- table writes the log only when registered in tracked_table.
CREATE FUNCTION track_changes() RETURNS trigger
	AS 'MODULE_PATHNAME', 'tl_track_changes' LANGUAGE C;
COMMENT ON FUNCTION track_changes() IS
	'AFTER INSERT OR UPDATE OR DELETE ... FOR EACH ROW trigger writing tailings.change_log and notifying tailings_changes, '
	'for tables registered with tailings.track_table (which attaches it); '
	'arguments: id column (default id), pond id column (default pond_id), geometry column (default: the first)';

REVOKE ALL ON FUNCTION track_changes() FROM PUBLIC;
REVOKE ALL ON FUNCTION _change_log_guard() FROM PUBLIC;
REVOKE ALL ON TABLE change_log, change_log_pruned FROM PUBLIC;
GRANT SELECT ON TABLE change_log, change_log_pruned TO PUBLIC;

CREATE TRIGGER pond_track_changes AFTER INSERT OR UPDATE OR DELETE ON pond
	FOR EACH ROW EXECUTE FUNCTION track_changes('id', 'id');
CREATE TRIGGER element_track_changes AFTER INSERT OR UPDATE OR DELETE ON element
	FOR EACH ROW EXECUTE FUNCTION track_changes();
CREATE TRIGGER requirement_track_changes AFTER INSERT OR UPDATE OR DELETE ON requirement
	FOR EACH ROW EXECUTE FUNCTION track_changes('id', '');

-- No row-level security: the list of tracked tables is configuration, not a
-- pond's data (no pond_id); members read it, only its owner writes it.
CREATE TABLE tracked_table (
	relid regclass PRIMARY KEY,
	builtin boolean NOT NULL DEFAULT false,
	registered_at timestamptz NOT NULL DEFAULT now(),
	registered_by text NOT NULL DEFAULT session_user
);
COMMENT ON TABLE tracked_table IS
	'the tables whose changes are written to the change log (tailings.track_table registers one; superusers only)';
REVOKE ALL ON TABLE tracked_table FROM PUBLIC;
GRANT SELECT ON TABLE tracked_table TO PUBLIC;

CREATE FUNCTION _tracked_table_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', 'tl_tracked_table_changed' LANGUAGE C;
REVOKE ALL ON FUNCTION _tracked_table_changed() FROM PUBLIC;
CREATE TRIGGER tracked_table_changed AFTER INSERT OR UPDATE OR DELETE ON tracked_table
	FOR EACH ROW EXECUTE FUNCTION _tracked_table_changed();

INSERT INTO tracked_table (relid, builtin)
VALUES ('pond'::regclass, true), ('element'::regclass, true), ('requirement'::regclass, true);

-- TRUNCATE would remove rows without a log row each
CREATE FUNCTION _tracked_truncate_guard() RETURNS trigger
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RAISE EXCEPTION 'table %.% is tracked: TRUNCATE would remove its rows without history', TG_TABLE_SCHEMA, TG_TABLE_NAME
		USING ERRCODE = 'insufficient_privilege',
		      HINT = 'Delete the rows with DELETE, which records each one.';
END
$$;
REVOKE ALL ON FUNCTION _tracked_truncate_guard() FROM PUBLIC;
CREATE TRIGGER pond_no_truncate BEFORE TRUNCATE ON pond
	FOR EACH STATEMENT EXECUTE FUNCTION _tracked_truncate_guard();
CREATE TRIGGER element_no_truncate BEFORE TRUNCATE ON element
	FOR EACH STATEMENT EXECUTE FUNCTION _tracked_truncate_guard();
CREATE TRIGGER requirement_no_truncate BEFORE TRUNCATE ON requirement
	FOR EACH STATEMENT EXECUTE FUNCTION _tracked_truncate_guard();

CREATE FUNCTION track_table(rel regclass, id_column text DEFAULT 'id', pond_column text DEFAULT 'pond_id',
	geometry_column text DEFAULT NULL) RETURNS void
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF (SELECT c.relpersistence FROM pg_class c WHERE c.oid = rel) = 't' THEN
		RAISE EXCEPTION 'temporary table % cannot be tracked', rel
			USING ERRCODE = 'feature_not_supported';
	END IF;
	EXECUTE format('CREATE TRIGGER tailings_track_changes AFTER INSERT OR UPDATE OR DELETE ON %s'
	               ' FOR EACH ROW EXECUTE FUNCTION tailings.track_changes(%L, %L%s)',
	               rel, id_column, coalesce(pond_column, ''),
	               CASE WHEN geometry_column IS NULL THEN '' ELSE format(', %L', geometry_column) END);
	EXECUTE format('CREATE TRIGGER tailings_no_truncate BEFORE TRUNCATE ON %s'
	               ' FOR EACH STATEMENT EXECUTE FUNCTION tailings._tracked_truncate_guard()', rel);
	INSERT INTO tailings.tracked_table (relid) VALUES (rel);
END
$$;
COMMENT ON FUNCTION track_table(regclass, text, text, text) IS
	'registers a table for change tracking and attaches the trigger (superusers, or roles granted EXECUTE by one); '
	'pond_column NULL or '''' for none; geometry_column NULL for the first geometry column';
REVOKE ALL ON FUNCTION track_table(regclass, text, text, text) FROM PUBLIC;

CREATE FUNCTION untrack_table(rel regclass) RETURNS void
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF (SELECT t.builtin FROM tailings.tracked_table t WHERE t.relid = rel) THEN
		RAISE EXCEPTION 'table % belongs to the extension and stays tracked', rel
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	EXECUTE format('DROP TRIGGER IF EXISTS tailings_track_changes ON %s', rel);
	EXECUTE format('DROP TRIGGER IF EXISTS tailings_no_truncate ON %s', rel);
	DELETE FROM tailings.tracked_table WHERE relid = rel;
END
$$;
COMMENT ON FUNCTION untrack_table(regclass) IS 'stops tracking a table (its history stays in the log)';
REVOKE ALL ON FUNCTION untrack_table(regclass) FROM PUBLIC;

-- a dropped table leaves the registry, so that its OID, reused, is not tracked
CREATE FUNCTION _tracked_table_dropped() RETURNS event_trigger
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	DELETE FROM tailings.tracked_table t
	 USING pg_event_trigger_dropped_objects() d
	 WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0 AND d.objid = t.relid::oid;
END
$$;
REVOKE ALL ON FUNCTION _tracked_table_dropped() FROM PUBLIC;
CREATE EVENT TRIGGER tailings_tracked_table_dropped ON sql_drop
	EXECUTE FUNCTION _tracked_table_dropped();

SELECT pg_catalog.pg_extension_config_dump('tracked_table', 'WHERE NOT builtin');

---------------------------------------------------------------------------
-- Time travel
---------------------------------------------------------------------------
-- The rows of a tracked table as they were at "at": a row changed after "at"
-- is given by the old row of its first later change (an insert means it did
-- not exist yet); rows not changed since are as they are now.
-- (These bodies are 0.8.0's, read from the change log; the functions that
-- use them are bound to them here.  Since 0.9.0 they are replaced, keeping
-- their identity, at the end of this script, "Time travel through history
-- tables", by reads of the history tables made there.)
CREATE FUNCTION _elements_as_of(at timestamptz) RETURNS SETOF element
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	WITH first_after AS (
		SELECT DISTINCT ON (c.row_id) c.row_id, c.op, c.old_row
		  FROM change_log c
		 WHERE c.table_name = 'tailings.element' AND c.changed_at > _elements_as_of.at
		 ORDER BY c.row_id, c.id)
	SELECT x.* FROM element x
	 WHERE NOT EXISTS (SELECT 1 FROM first_after f WHERE f.row_id = x.id)
	UNION ALL
	SELECT r.* FROM first_after f, jsonb_populate_record(NULL::element, f.old_row) r
	 WHERE f.op <> 'I';
END;

CREATE FUNCTION _ponds_as_of(at timestamptz) RETURNS SETOF pond
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	WITH first_after AS (
		SELECT DISTINCT ON (c.row_id) c.row_id, c.op, c.old_row
		  FROM change_log c
		 WHERE c.table_name = 'tailings.pond' AND c.changed_at > _ponds_as_of.at
		 ORDER BY c.row_id, c.id)
	SELECT x.* FROM pond x
	 WHERE NOT EXISTS (SELECT 1 FROM first_after f WHERE f.row_id = x.id)
	UNION ALL
	SELECT r.* FROM first_after f, jsonb_populate_record(NULL::pond, f.old_row) r
	 WHERE f.op <> 'I';
END;

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

-- changed_at is the start of the writing transaction.  A transaction still
-- running can still add history stamped at its start; before the start of
-- the oldest one, history is final.  (Sessions and background workers count;
-- autovacuum and replication never write the log.)
CREATE FUNCTION history_horizon() RETURNS timestamptz
	LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	SELECT CASE
	       WHEN EXISTS (SELECT 1 FROM pg_prepared_xacts x WHERE x.database = current_database())
	       THEN '-infinity'::timestamptz
	       ELSE least(now(), (SELECT min(a.xact_start) FROM pg_stat_activity a
	                           WHERE a.datname = current_database()
	                             AND a.backend_type IN ('client backend', 'background worker')))
	       END;
END;
COMMENT ON FUNCTION history_horizon() IS
	'the moment before which the change log is final: the start of the oldest transaction still open in this database '
	'(-infinity while a prepared transaction waits); the map as of an earlier moment never changes';

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

---------------------------------------------------------------------------
-- Values that are checked
---------------------------------------------------------------------------
-- An element's values, beyond their types: a valid geometry of finite
-- coordinates without empty parts; an accuracy that is a number; dates in
-- order and not in the future; the attributes a kind requires, when given,
-- positive numbers.  On UPDATE only what changed is checked, so a row from
-- before these checks can still be corrected one column at a time.
CREATE FUNCTION _element_validate() RETURNS trigger
	LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
DECLARE
	what text := coalesce(format('element "%s"', NEW.name), format('the %s', NEW.kind));
	v record;
	k text;
	val jsonb;
BEGIN
	IF TG_OP = 'INSERT' OR NEW.geom IS DISTINCT FROM OLD.geom THEN
		IF 'NaN'::float8 IN (ST_XMin(NEW.geom), ST_YMin(NEW.geom), ST_XMax(NEW.geom), ST_YMax(NEW.geom))
		   OR abs(ST_XMin(NEW.geom)) = 'Infinity' OR abs(ST_XMax(NEW.geom)) = 'Infinity'
		   OR abs(ST_YMin(NEW.geom)) = 'Infinity' OR abs(ST_YMax(NEW.geom)) = 'Infinity' THEN
			RAISE EXCEPTION 'coordinates of % are not finite numbers', what
				USING ERRCODE = 'check_violation', HINT = 'Longitude and latitude in degrees, CGCS2000.';
		END IF;
		SELECT * INTO v FROM ST_IsValidDetail(NEW.geom);
		IF NOT v.valid THEN
			RAISE EXCEPTION 'geometry of % is not valid: %', what, v.reason
				USING ERRCODE = 'check_violation',
				      DETAIL = CASE WHEN v.location IS NOT NULL THEN format('At or near %s.', ST_AsText(v.location)) END,
				      HINT = 'Redraw it, or repair it with ST_MakeValid(geom).';
		END IF;
		IF ST_NumGeometries(NEW.geom) > 1
		   AND EXISTS (SELECT 1 FROM ST_Dump(NEW.geom) d WHERE ST_IsEmpty(d.geom)) THEN
			RAISE EXCEPTION 'geometry of % has an empty part', what
				USING ERRCODE = 'check_violation', HINT = 'Leave the empty part out.';
		END IF;
	END IF;
	IF (TG_OP = 'INSERT' OR NEW.accuracy_m IS DISTINCT FROM OLD.accuracy_m)
	   AND (NEW.accuracy_m = 'NaN' OR NEW.accuracy_m = 'Infinity') THEN
		RAISE EXCEPTION 'accuracy_m of % must be a number of metres, not %', what, NEW.accuracy_m
			USING ERRCODE = 'check_violation';
	END IF;
	IF TG_OP = 'INSERT' OR NEW.surveyed_on IS DISTINCT FROM OLD.surveyed_on
	   OR NEW.verified_on IS DISTINCT FROM OLD.verified_on THEN
		-- a day's grace: the surveyor's day may be ahead of the server's time zone
		IF NEW.surveyed_on > current_date + 1 OR NEW.verified_on > current_date + 1 THEN
			RAISE EXCEPTION 'dates of % are in the future (surveyed_on %, verified_on %)', what,
				coalesce(to_char(NEW.surveyed_on, 'YYYY-MM-DD'), 'null'),
				coalesce(to_char(NEW.verified_on, 'YYYY-MM-DD'), 'null')
				USING ERRCODE = 'check_violation';
		END IF;
		IF NEW.verified_on < NEW.surveyed_on THEN
			RAISE EXCEPTION 'the ground check of % (verified_on %) is before its survey (surveyed_on %)', what,
				to_char(NEW.verified_on, 'YYYY-MM-DD'), to_char(NEW.surveyed_on, 'YYYY-MM-DD')
				USING ERRCODE = 'check_violation';
		END IF;
	END IF;
	IF TG_OP = 'INSERT' OR NEW.attrs IS DISTINCT FROM OLD.attrs OR NEW.kind IS DISTINCT FROM OLD.kind THEN
		FOREACH k IN ARRAY required_attrs(NEW.kind) LOOP
			val := NEW.attrs -> k;
			CONTINUE WHEN val IS NULL;	-- absent: the completeness check reports it
			IF jsonb_typeof(val) <> 'number' OR val::numeric <= 0 THEN
				RAISE EXCEPTION 'attribute % of % must be a positive number, not %', k, what, val
					USING ERRCODE = 'check_violation',
					      HINT = format('For example {"%s": 500}; leave it out while it is not known.', k);
			END IF;
		END LOOP;
	END IF;
	RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION _element_validate() FROM PUBLIC;
CREATE TRIGGER element_validate BEFORE INSERT OR UPDATE ON element
	FOR EACH ROW EXECUTE FUNCTION _element_validate();

---------------------------------------------------------------------------
-- Completeness check
---------------------------------------------------------------------------
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

CREATE VIEW pond_overview WITH (security_invoker) AS
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

CREATE FUNCTION _tile_extent() RETURNS integer
	AS 'MODULE_PATHNAME', 'tl_tile_extent' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _tile_buffer() RETURNS integer
	AS 'MODULE_PATHNAME', 'tl_tile_buffer' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _ponds_layer() RETURNS text
	AS 'MODULE_PATHNAME', 'tl_ponds_layer' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION tile_fields(OUT layer text, OUT field text, OUT type text, OUT description text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'tl_tile_fields' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 57;
COMMENT ON FUNCTION tile_fields() IS
	'the properties of each tile layer''s features and their types (Number, String, Boolean), as TileJSON lists them';

-- tile() checks its arguments and gives the map now (_tile_now) or as it was
-- at "at" (_tile_at).  The two are PL/pgSQL so that each query's plan is
-- prepared once per session and kept; they differ only in where the rows come
-- from (the tables, or the rows as of "at") and in the scores (none for a
-- past moment).  The tile's box in CGCS2000, with the buffer, is written out
-- in each filter rather than joined from a CTE, so that each filter is an
-- index condition on the GiST indexes; NOT MATERIALIZED lets the filters
-- reach into the tables.  The box filters use &&# (tailings.&&#), which row-level
-- security lets reach the spatial index too.  The features' properties are
-- those tile_fields() lists (contract.h); a well's gw_state is
-- _well_state()'s, from the samples (as they were at "at").  jit off: compiling would cost more
-- than the tile.
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
		   AND e.geom &&# ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)
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
		 WHERE p.location &&# ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)),
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
		   AND e.geom &&# ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)
		   AND category(e.kind) <> 'groundwater'
		   AND (layers IS NULL OR category(e.kind)::text = ANY (layers))),
	-- the groundwater layer's wells, with their state (gw_state)
	well_features AS (
		SELECT e.id, e.kind::text AS kind, e.name, e.pond_id,
		       e.source::text AS source, e.verified_on IS NOT NULL AS verified,
		       _well_state(e.id, NULL) AS gw_state,
		       ST_AsMVTGeom(ST_Transform(e.geom, 3857), ST_TileEnvelope(z, x, y),
		                    _tile_extent(), _tile_buffer(), true) AS geom
		  FROM elems e
		 WHERE z >= _element_minzoom()
		   AND e.geom &&# ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)
		   AND category(e.kind) = 'groundwater'
		   AND (layers IS NULL OR 'groundwater' = ANY (layers))),
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
		 GROUP BY ef.category
		UNION ALL
		SELECT 1, 'groundwater'::element_category,
		       ST_AsMVT(f, 'groundwater', _tile_extent(), 'geom', 'id' ORDER BY f.id)
		  FROM well_features f
		 WHERE f.geom IS NOT NULL
		HAVING count(*) > 0)
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
		   AND e.geom &&# ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)
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
		 WHERE p.location &&# ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)),
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
		   AND e.geom &&# ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)
		   AND category(e.kind) <> 'groundwater'
		   AND (layers IS NULL OR category(e.kind)::text = ANY (layers))),
	-- the groundwater layer's wells, with their state (gw_state)
	well_features AS (
		SELECT e.id, e.kind::text AS kind, e.name, e.pond_id,
		       e.source::text AS source, e.verified_on IS NOT NULL AS verified,
		       _well_state(e.id, at) AS gw_state,
		       ST_AsMVTGeom(ST_Transform(e.geom, 3857), ST_TileEnvelope(z, x, y),
		                    _tile_extent(), _tile_buffer(), true) AS geom
		  FROM elems e
		 WHERE z >= _element_minzoom()
		   AND e.geom &&# ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)
		   AND category(e.kind) = 'groundwater'
		   AND (layers IS NULL OR 'groundwater' = ANY (layers))),
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
		 GROUP BY ef.category
		UNION ALL
		SELECT 1, 'groundwater'::element_category,
		       ST_AsMVT(f, 'groundwater', _tile_extent(), 'geom', 'id' ORDER BY f.id)
		  FROM well_features f
		 WHERE f.geom IS NOT NULL
		HAVING count(*) > 0)
	SELECT coalesce(string_agg(lt.mvt, ''::bytea ORDER BY lt.ord, lt.category), ''::bytea) INTO mvt
	  FROM layer_tiles lt;
	RETURN mvt;
END
$tile$;

CREATE FUNCTION tile(z integer, x integer, y integer, layers text[] DEFAULT NULL, at timestamptz DEFAULT NULL)
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
COMMENT ON FUNCTION tile(integer, integer, integer, text[], timestamptz) IS
	'Mapbox Vector Tile z/x/y of the layers (null: all; "ponds" and the category codes), optionally as it was at "at"';

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

---------------------------------------------------------------------------
-- Members and their scopes
---------------------------------------------------------------------------
CREATE TABLE member (
	role_name name PRIMARY KEY,
	level text NOT NULL CHECK (level IN ('enterprise', 'county', 'city', 'province')),
	scope text NOT NULL,
	display_name text NOT NULL CHECK (btrim(display_name) <> ''),
	CONSTRAINT member_scope_format CHECK (CASE level
		WHEN 'enterprise' THEN uscc_valid(scope)
		WHEN 'county' THEN scope ~ '^[0-9]{6}$'
		WHEN 'city' THEN scope ~ '^[0-9]{4}$'
		WHEN 'province' THEN scope ~ '^[0-9]{2}$' END)
);
COMMENT ON TABLE member IS
	'whom a login role acts for: an enterprise, or a county, city or province bureau (tailings.add_member registers one)';
COMMENT ON COLUMN member.role_name IS 'the login role (cluster-wide); it is granted the group role tailings_<level>';
COMMENT ON COLUMN member.scope IS
	'enterprise: its unified social credit code (pond.enterprise_code); county, city, province: the GB/T 2260 code '
	'prefix of 6, 4 or 2 digits that pond.county_code starts with';
COMMENT ON COLUMN member.display_name IS 'the person or office, as the change log names them (the actor)';

-- What a member may see, for the row-level security policies (scope.c): the
-- current role's member row (level, scope), whether a pond's codes are in its
-- scope, and whether a pond is visible to it (exactly "pond_id IN (SELECT
-- p.id FROM tailings.pond p)", with pond's policies deciding).  They read
-- with the caller's rights and keep each answer for the rest of the
-- statement's snapshot: a policy costs a hash lookup per row.
CREATE FUNCTION _member_level() RETURNS text
	AS 'MODULE_PATHNAME', 'tl_member_level' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION _member_level() IS 'the level of the current role''s member row (enterprise, county, city, province), or null';
CREATE FUNCTION _member_scope() RETURNS text
	AS 'MODULE_PATHNAME', 'tl_member_scope' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION _member_scope() IS 'the scope of the current role''s member row, or null';
CREATE FUNCTION _pond_in_scope(enterprise_code text, county_code text) RETURNS boolean
	AS 'MODULE_PATHNAME', 'tl_pond_in_scope' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION _pond_in_scope(text, text) IS
	'true when a pond of these codes is in the current role''s scope: an enterprise''s code equal, '
	'or the county code starting with the county''s, city''s or province''s';
CREATE FUNCTION _pond_visible(pond_id bigint) RETURNS boolean
	AS 'MODULE_PATHNAME', 'tl_pond_visible' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _pond_visible(bigint) IS
	'true when the current role sees the pond (pond_id IN (SELECT p.id FROM tailings.pond p)); '
	'the policy of every table that belongs to a pond';

-- The tracking trigger looks a role's member row up once per transaction;
-- a change of member forgets what it looked up.
CREATE FUNCTION _member_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', 'tl_member_changed' LANGUAGE C;
REVOKE ALL ON FUNCTION _member_changed() FROM PUBLIC;
CREATE TRIGGER member_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON member
	FOR EACH STATEMENT EXECUTE FUNCTION _member_changed();

-- add_member and remove_member run with the caller's rights (not SECURITY
-- DEFINER): the GRANT and REVOKE of the group role are the caller's, so only
-- a role that may grant it (a superuser; a CREATEROLE role in PostgreSQL 15,
-- one with ADMIN OPTION on the group role from 16 on) and may write member
-- can register members.
CREATE FUNCTION add_member(role name, level text, scope text, display_name text) RETURNS void
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r record;
	g text;
	want text;
BEGIN
	SELECT oid, rolcanlogin, rolsuper, rolbypassrls INTO r FROM pg_catalog.pg_roles WHERE rolname = add_member.role;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'role "%" does not exist', add_member.role
			USING ERRCODE = 'undefined_object',
			      HINT = 'Create the login first: CREATE ROLE ... LOGIN PASSWORD ...; then add it as a member.';
	END IF;
	IF add_member.role IN ('tailings_reader', 'tailings_enterprise', 'tailings_county', 'tailings_city',
	                       'tailings_province', 'tailings_app') THEN
		RAISE EXCEPTION 'role "%" is one of the extension''s group roles', add_member.role
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'A member is a login role; add_member grants it the group role of its level.';
	END IF;
	IF NOT r.rolcanlogin THEN
		RAISE EXCEPTION 'role "%" cannot log in', add_member.role
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = 'A member is a login role (a person, an office or an application acting for one).',
			      HINT = pg_catalog.format('ALTER ROLE %I LOGIN, or name a login role.', add_member.role);
	END IF;
	IF r.rolsuper OR r.rolbypassrls THEN
		RAISE EXCEPTION 'role "%" is a superuser or bypasses row-level security', add_member.role
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = 'Row-level security would not apply to it: it would see and change every pond.',
			      HINT = 'Make a plain login role for the member.';
	END IF;
	IF add_member.level IS NULL OR add_member.level NOT IN ('enterprise', 'county', 'city', 'province') THEN
		RAISE EXCEPTION 'unknown member level "%"', coalesce(add_member.level, 'null')
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'The levels are enterprise, county, city and province.';
	END IF;
	want := CASE add_member.level WHEN 'enterprise' THEN 'an enterprise''s unified social credit code (18 characters)'
	                              WHEN 'county' THEN 'a county''s GB/T 2260 code (6 digits, e.g. 510421)'
	                              WHEN 'city' THEN 'a city''s GB/T 2260 code prefix (4 digits, e.g. 5104)'
	                              ELSE 'a province''s GB/T 2260 code prefix (2 digits, e.g. 51)' END;
	IF add_member.scope IS NULL
	   OR add_member.level = 'county' AND add_member.scope !~ '^[0-9]{6}$'
	   OR add_member.level = 'city' AND add_member.scope !~ '^[0-9]{4}$'
	   OR add_member.level = 'province' AND add_member.scope !~ '^[0-9]{2}$'
	   OR add_member.level = 'enterprise'
	      AND add_member.scope !~ '^[0-9ABCDEFGHJKLMNPQRTUWXY]{2}[0-9]{6}[0-9ABCDEFGHJKLMNPQRTUWXY]{10}$' THEN
		RAISE EXCEPTION 'scope "%" is not %', coalesce(add_member.scope, 'null'), want
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = CASE WHEN add_member.level = 'enterprise' THEN
			                   'A unified social credit code has 18 characters of 0-9 and A-Z without I, O, S, V and Z; '
			                   'characters 3 to 8 are digits.'
			                   ELSE 'GB/T 2260 codes: 2 digits for a province, 4 for a city, 6 for a county.' END,
			      HINT = 'A county''s, city''s or province''s scope is matched against the start of pond.county_code; '
			             'an enterprise''s against pond.enterprise_code.';
	END IF;
	IF add_member.level = 'enterprise' AND NOT tailings.uscc_valid(add_member.scope) THEN
		RAISE EXCEPTION 'scope "%" is not a valid unified social credit code: its check character is wrong', add_member.scope
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = pg_catalog.format('By GB 32100-2015 the 18th character of %s... is %s, not %s.',
			                                 left(add_member.scope, 17), tailings._uscc_check_char(add_member.scope),
			                                 right(add_member.scope, 1)),
			      HINT = 'Copy the code from the business licence (营业执照) again.';
	END IF;
	IF add_member.display_name IS NULL OR btrim(add_member.display_name) = '' THEN
		RAISE EXCEPTION 'a member needs a display name'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'The person or office, as the change log will name them, e.g. ''米易县生态环境局 王工''.';
	END IF;
	-- exactly one level group: the new one granted, the others taken back
	FOREACH g IN ARRAY ARRAY['enterprise', 'county', 'city', 'province'] LOOP
		IF EXISTS (SELECT FROM pg_catalog.pg_auth_members am
		            WHERE am.member = r.oid
		              AND am.roleid = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = 'tailings_' || g)) THEN
			IF g <> add_member.level THEN
				EXECUTE pg_catalog.format('REVOKE %I FROM %I', 'tailings_' || g, add_member.role);
			END IF;
		ELSIF g = add_member.level THEN
			EXECUTE pg_catalog.format('GRANT %I TO %I', 'tailings_' || g, add_member.role);
		END IF;
	END LOOP;
	INSERT INTO tailings.member AS m (role_name, level, scope, display_name)
	VALUES (add_member.role, add_member.level, add_member.scope, btrim(add_member.display_name))
	ON CONFLICT (role_name) DO UPDATE
	   SET level = excluded.level, scope = excluded.scope, display_name = excluded.display_name;
END
$$;
COMMENT ON FUNCTION add_member(name, text, text, text) IS
	'registers a login role as a member (or changes its level, scope or name) and grants it the group role '
	'tailings_<level>; the caller must be able to grant that role and write tailings.member';
REVOKE ALL ON FUNCTION add_member(name, text, text, text) FROM PUBLIC;

CREATE FUNCTION remove_member(role name) RETURNS void
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	old_level text;
BEGIN
	DELETE FROM tailings.member m WHERE m.role_name = remove_member.role RETURNING m.level INTO old_level;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'role "%" is not a member', remove_member.role
			USING ERRCODE = 'no_data_found',
			      HINT = 'SELECT role_name, level, scope FROM tailings.member lists the members.';
	END IF;
	-- (the membership is the cluster's: a login that is a member in another database of the
	-- cluster loses the group there too)
	IF EXISTS (SELECT FROM pg_catalog.pg_auth_members am
	            WHERE am.member = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = remove_member.role)
	              AND am.roleid = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = 'tailings_' || old_level)) THEN
		EXECUTE pg_catalog.format('REVOKE %I FROM %I', 'tailings_' || old_level, remove_member.role);
	END IF;
	UPDATE tailings.api_token t SET revoked_at = now()
	 WHERE t.role_name = remove_member.role AND t.revoked_at IS NULL;
END
$$;
COMMENT ON FUNCTION remove_member(name) IS
	'removes a member: its row, its group role, and its API tokens (revoked); the login role itself stays';
REVOKE ALL ON FUNCTION remove_member(name) FROM PUBLIC;

---------------------------------------------------------------------------
-- API tokens (design §9)
---------------------------------------------------------------------------
-- A token is given once, by create_token; only its SHA-256 is kept.  The tile
-- server hashes the token a request carries and asks token_role() which role
-- it stands for, then runs the request as that role.
-- No row-level security: no member role has any privilege on api_token; it is
-- read only through token_role() (SECURITY DEFINER, search_path pinned) and
-- written by create_token/revoke_token, which are granted to no one by default.
CREATE TABLE api_token (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	role_name name NOT NULL,
	label text NOT NULL CHECK (btrim(label) <> ''),
	token_sha256 bytea NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
	created_at timestamptz NOT NULL DEFAULT now(),
	created_by name NOT NULL DEFAULT CURRENT_USER,
	expires_at timestamptz NOT NULL,
	revoked_at timestamptz,
	CONSTRAINT api_token_expires_after_creation CHECK (expires_at > created_at)
);
CREATE UNIQUE INDEX api_token_live_label_idx ON api_token (role_name, label) WHERE revoked_at IS NULL;
COMMENT ON TABLE api_token IS
	'the tile server''s bearer tokens: the SHA-256 of each (never the token), its role, expiry and revocation';
COMMENT ON COLUMN api_token.token_sha256 IS 'SHA-256 of the token''s text (UTF-8), as the server computes it';

CREATE FUNCTION _random_bytes(n integer) RETURNS bytea
	AS 'MODULE_PATHNAME', 'tl_random_bytes' LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _random_bytes(integer) IS 'n (1 to 1024) bytes from the operating system''s strong random source';

-- The roles a token may stand for: a member, or a reader; never a role that
-- could do more than its grants (superuser, BYPASSRLS, CREATEROLE,
-- REPLICATION), since the server takes on the role it names.
CREATE FUNCTION create_token(role name, label text, valid interval) RETURNS text
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r record;
	token text;
BEGIN
	SELECT oid, rolsuper, rolbypassrls, rolcreaterole, rolreplication INTO r
	  FROM pg_catalog.pg_roles WHERE rolname = create_token.role;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'role "%" does not exist', create_token.role
			USING ERRCODE = 'undefined_object';
	END IF;
	IF r.rolsuper OR r.rolbypassrls OR r.rolcreaterole OR r.rolreplication THEN
		RAISE EXCEPTION 'no token for role "%": it is a superuser or has BYPASSRLS, CREATEROLE or REPLICATION', create_token.role
			USING ERRCODE = 'insufficient_privilege',
			      DETAIL = 'The tile server takes on the role a token names; such a role could do more than its grants.';
	END IF;
	IF NOT EXISTS (SELECT FROM tailings.member m WHERE m.role_name = create_token.role)
	   AND NOT pg_catalog.pg_has_role(r.oid, 'tailings_reader', 'USAGE') THEN
		RAISE EXCEPTION 'no token for role "%": it is neither a member nor a reader', create_token.role
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'tailings.add_member() registers a member; GRANT tailings_reader TO ... makes a reader.';
	END IF;
	IF create_token.valid IS NULL OR create_token.valid <= interval '0'
	   OR NOT isfinite(now() + create_token.valid) THEN
		RAISE EXCEPTION 'a token must be valid for a positive, finite interval, not %', coalesce(create_token.valid::text, 'null')
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'For example interval ''90 days''.';
	END IF;
	IF EXISTS (SELECT FROM tailings.api_token t
	            WHERE t.role_name = create_token.role AND t.label = create_token.label AND t.revoked_at IS NULL) THEN
		RAISE EXCEPTION 'role "%" has a live token labelled "%"', create_token.role, create_token.label
			USING ERRCODE = 'unique_violation',
			      HINT = pg_catalog.format('Choose another label, or revoke that token first: '
			                               'SELECT tailings.revoke_token(%L, %L).', create_token.role, create_token.label);
	END IF;
	-- 256 random bits, in base64url: "tl_" and 43 characters
	token := 'tl_' || translate(encode(tailings._random_bytes(32), 'base64'), E'+/=\n', '-_');
	INSERT INTO tailings.api_token (role_name, label, token_sha256, expires_at)
	VALUES (create_token.role, create_token.label, sha256(convert_to(token, 'UTF8')), now() + create_token.valid);
	RETURN token;
END
$$;
COMMENT ON FUNCTION create_token(name, text, interval) IS
	'a new API token for a member or reader, valid for the interval; returned once (only its SHA-256 is stored)';
REVOKE ALL ON FUNCTION create_token(name, text, interval) FROM PUBLIC;

CREATE FUNCTION revoke_token(role name, label text DEFAULT NULL) RETURNS integer
	LANGUAGE sql VOLATILE
BEGIN ATOMIC
	WITH revoked AS (
		UPDATE api_token t SET revoked_at = now()
		 WHERE t.role_name = revoke_token.role AND t.revoked_at IS NULL
		   AND (revoke_token.label IS NULL OR t.label = revoke_token.label)
		RETURNING 1)
	SELECT count(*)::integer FROM revoked;
END;
COMMENT ON FUNCTION revoke_token(name, text) IS
	'revokes the role''s live tokens of that label (null: all of them); returns how many';
REVOKE ALL ON FUNCTION revoke_token(name, text) FROM PUBLIC;

-- The one SECURITY DEFINER function of this part: the tile server resolves
-- the token it was given without being able to read the table (no listing of
-- roles, labels or hashes).  One argument, compared for equality; every name
-- bound when the function was created (BEGIN ATOMIC); search_path pinned all
-- the same.  EXECUTE only for the roles a DBA grants it to
-- (sql/roles/tileserver.sql grants it to tailings_tileserver).
CREATE FUNCTION token_role(sha256 bytea) RETURNS name
	LANGUAGE sql STABLE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	SELECT t.role_name
	  FROM tailings.api_token t JOIN pg_catalog.pg_roles r ON r.rolname = t.role_name
	 WHERE t.token_sha256 = token_role.sha256
	   AND t.revoked_at IS NULL AND t.expires_at > pg_catalog.now()
	   AND NOT (r.rolsuper OR r.rolbypassrls OR r.rolcreaterole OR r.rolreplication)
	   AND (EXISTS (SELECT FROM tailings.member m WHERE m.role_name = t.role_name)
	        OR pg_catalog.pg_has_role(r.oid, 'tailings_reader', 'USAGE'));
END;
COMMENT ON FUNCTION token_role(bytea) IS
	'the role a live token stands for, given the SHA-256 of its text; null for an unknown, expired or revoked token '
	'or a role it may no longer stand for (for the tile server''s role only)';
REVOKE ALL ON FUNCTION token_role(bytea) FROM PUBLIC;

---------------------------------------------------------------------------
-- A bounding-box operator that row-level security lets through
---------------------------------------------------------------------------
-- Under row-level security PostgreSQL checks a condition of the query before
-- the policies only when the condition is LEAKPROOF: it cannot reveal
-- anything of a row the policies would hide.  PostGIS's && is not declared
-- so, and a member's tile would read every element of its scope instead of
-- the tile's few through the spatial index.  tailings.&&# is PostGIS's &&
-- (the same function underneath: two bounding boxes compared, no error for
-- any value), declared LEAKPROOF, with a GiST operator class of its own over
-- PostGIS's support functions and an index on element.geom and pond.location;
-- tile() uses it.  It has a name of its own, so that "&&" means PostGIS's
-- whatever the search_path (and its indexes serve the queries that use it).
-- PostGIS's own && and indexes are left as they are.
CREATE FUNCTION _geom_overlaps(geometry, geometry) RETURNS boolean
	AS 'MODULE_PATHNAME', 'tl_geom_overlaps' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION _geom_overlaps(geometry, geometry) IS
	'PostGIS''s && (bounding boxes overlap), declared LEAKPROOF: the operator tailings.&&#';
CREATE OPERATOR tailings.&&# (LEFTARG = geometry, RIGHTARG = geometry, PROCEDURE = _geom_overlaps,
	COMMUTATOR = OPERATOR(tailings.&&#), RESTRICT = gserialized_gist_sel_2d, JOIN = gserialized_gist_joinsel_2d);
COMMENT ON OPERATOR tailings.&&# (geometry, geometry) IS
	'bounding boxes overlap (PostGIS''s &&), LEAKPROOF, for the indexes row-level security may use';
-- PostGIS's 2D GiST support functions; its sort support (a faster index
-- build) where the installed PostGIS has it
DO $opclass$
BEGIN
	EXECUTE 'CREATE OPERATOR CLASS geometry_overlaps_ops FOR TYPE geometry USING gist AS STORAGE box2df,'
	        ' OPERATOR 3 tailings.&&# (geometry, geometry),'
	        ' FUNCTION 1 geometry_gist_consistent_2d (internal, geometry, integer),'
	        ' FUNCTION 2 geometry_gist_union_2d (bytea, internal),'
	        ' FUNCTION 3 geometry_gist_compress_2d (internal),'
	        ' FUNCTION 4 geometry_gist_decompress_2d (internal),'
	        ' FUNCTION 5 geometry_gist_penalty_2d (internal, internal, internal),'
	        ' FUNCTION 6 geometry_gist_picksplit_2d (internal, internal),'
	        ' FUNCTION 7 geometry_gist_same_2d (geometry, geometry, internal)'
	        || CASE WHEN pg_catalog.to_regprocedure('geometry_gist_sortsupport_2d(internal)') IS NOT NULL
	                THEN ', FUNCTION 11 geometry_gist_sortsupport_2d (internal)' ELSE '' END;
END
$opclass$;
COMMENT ON OPERATOR CLASS geometry_overlaps_ops USING gist IS
	'GiST over geometries'' 2D boxes (PostGIS''s support functions) for the LEAKPROOF tailings.&&#';
CREATE INDEX element_geom_overlaps_idx ON element USING gist (geom geometry_overlaps_ops);
CREATE INDEX pond_location_overlaps_idx ON pond USING gist (location geometry_overlaps_ops);

---------------------------------------------------------------------------
-- Privileges and row-level security (design §7)
---------------------------------------------------------------------------
-- Who may do what is granted to the group roles; which rows, row-level
-- security decides, from the current role's member row: an enterprise sees
-- the ponds with its code, a county, city or province those whose county
-- code starts with its own; tailings_reader sees all (as do superusers and
-- the tables' owner, to whom row-level security does not apply).  A role
-- granted a group but without a member row sees nothing through it.  The
-- tables of a pond follow pond's rows: "pond_id IN (SELECT p.id FROM
-- tailings.pond p)" is evaluated with the caller's rights, so pond's policies
-- decide; _pond_visible(pond_id) says the same, faster.
-- (tailings_app too: it needs nothing more, but the grant keeps it from being dropped while
-- a database uses it, as the others are)
GRANT USAGE ON SCHEMA tailings TO tailings_reader, tailings_enterprise, tailings_county, tailings_city, tailings_province,
	tailings_app;

-- reading
REVOKE SELECT ON TABLE change_log, change_log_pruned, tracked_table FROM PUBLIC;
GRANT SELECT ON TABLE pond, element, requirement, change_log, change_log_pruned, tracked_table, member,
	pond_overview, element_point, element_line, element_polygon
	TO tailings_reader, tailings_enterprise, tailings_county, tailings_city, tailings_province;
-- every role reads its own member row (and _member_level() works for all)
GRANT SELECT ON TABLE member TO PUBLIC;
REVOKE ALL ON TABLE api_token FROM PUBLIC;

-- writing: county and above correct the elements of their ponds; the city and
-- above edit the template; the province keeps the list (ponds, levels,
-- statuses).  Not the ids, nor a rule's builtin flag.
GRANT INSERT, UPDATE, DELETE ON TABLE element, element_point, element_line, element_polygon
	TO tailings_county, tailings_city, tailings_province;
GRANT INSERT (name, category, kinds, min_count, statuses, levels, severity, description_zh, description_en, enabled),
	UPDATE (name, category, kinds, min_count, statuses, levels, severity, description_zh, description_en, enabled),
	DELETE ON TABLE requirement TO tailings_city, tailings_province;
GRANT INSERT (code, name, enterprise, enterprise_code, county_code, supervision_level, status, location,
	          gw_flow_azimuth, attrs),
	UPDATE (code, name, enterprise, enterprise_code, county_code, supervision_level, status, location,
	        gw_flow_azimuth, attrs),
	DELETE ON TABLE pond TO tailings_province;

ALTER TABLE pond ENABLE ROW LEVEL SECURITY;
CREATE POLICY pond_reader ON pond FOR SELECT TO tailings_reader USING (true);
CREATE POLICY pond_member ON pond FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_in_scope(enterprise_code, county_code));
CREATE POLICY pond_province_insert ON pond FOR INSERT TO tailings_province
	WITH CHECK (_member_level() = 'province' AND _pond_in_scope(enterprise_code, county_code));
CREATE POLICY pond_province_update ON pond FOR UPDATE TO tailings_province
	USING (_member_level() = 'province' AND _pond_in_scope(enterprise_code, county_code))
	WITH CHECK (_member_level() = 'province' AND _pond_in_scope(enterprise_code, county_code));
CREATE POLICY pond_province_delete ON pond FOR DELETE TO tailings_province
	USING (_member_level() = 'province' AND _pond_in_scope(enterprise_code, county_code));

ALTER TABLE element ENABLE ROW LEVEL SECURITY;
CREATE POLICY element_reader ON element FOR SELECT TO tailings_reader USING (true);
CREATE POLICY element_member ON element FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id));
CREATE POLICY element_bureau_insert ON element FOR INSERT TO tailings_county, tailings_city, tailings_province
	WITH CHECK (_member_level() IN ('county', 'city', 'province') AND _pond_visible(pond_id));
CREATE POLICY element_bureau_update ON element FOR UPDATE TO tailings_county, tailings_city, tailings_province
	USING (_member_level() IN ('county', 'city', 'province') AND _pond_visible(pond_id))
	WITH CHECK (_member_level() IN ('county', 'city', 'province') AND _pond_visible(pond_id));
CREATE POLICY element_bureau_delete ON element FOR DELETE TO tailings_county, tailings_city, tailings_province
	USING (_member_level() IN ('county', 'city', 'province') AND _pond_visible(pond_id));

ALTER TABLE requirement ENABLE ROW LEVEL SECURITY;
CREATE POLICY requirement_read ON requirement FOR SELECT
	TO tailings_reader, tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (true);
CREATE POLICY requirement_city_insert ON requirement FOR INSERT TO tailings_city, tailings_province
	WITH CHECK (_member_level() IN ('city', 'province'));
CREATE POLICY requirement_city_update ON requirement FOR UPDATE TO tailings_city, tailings_province
	USING (_member_level() IN ('city', 'province'))
	WITH CHECK (_member_level() IN ('city', 'province'));
CREATE POLICY requirement_city_delete ON requirement FOR DELETE TO tailings_city, tailings_province
	USING (_member_level() IN ('city', 'province'));

-- the log of a member's ponds, and the changes of no pond (the template);
-- written by the tracking trigger only (as the log's owner)
ALTER TABLE change_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY change_log_reader ON change_log FOR SELECT TO tailings_reader USING (true);
CREATE POLICY change_log_member ON change_log FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (pond_id IS NULL OR _pond_visible(pond_id));

-- a role reads its own member row, a reader all; the rows are written by
-- add_member and remove_member, with the rights of their caller: the policies
-- for writing let the privileges decide (the owner's, and those a superuser
-- grants to an administrator)
ALTER TABLE member ENABLE ROW LEVEL SECURITY;
CREATE POLICY member_self ON member FOR SELECT TO PUBLIC USING (role_name = CURRENT_USER);
CREATE POLICY member_reader ON member FOR SELECT TO tailings_reader USING (true);
CREATE POLICY member_insert_by_grant ON member FOR INSERT TO PUBLIC WITH CHECK (true);
CREATE POLICY member_update_by_grant ON member FOR UPDATE TO PUBLIC USING (true) WITH CHECK (true);
CREATE POLICY member_delete_by_grant ON member FOR DELETE TO PUBLIC USING (true);

---------------------------------------------------------------------------
-- pg_dump keeps the user data of the extension's tables
---------------------------------------------------------------------------
SELECT pg_catalog.pg_extension_config_dump('pond', '');
SELECT pg_catalog.pg_extension_config_dump('pond_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('element', '');
SELECT pg_catalog.pg_extension_config_dump('element_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('requirement', '');
SELECT pg_catalog.pg_extension_config_dump('requirement_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('change_log', '');
SELECT pg_catalog.pg_extension_config_dump('change_log_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('change_log_pruned', '');
SELECT pg_catalog.pg_extension_config_dump('member', '');
SELECT pg_catalog.pg_extension_config_dump('api_token', '');
SELECT pg_catalog.pg_extension_config_dump('api_token_id_seq', '');

---------------------------------------------------------------------------
-- Drawings and their review (submissions) (design §7)
--
-- An enterprise never writes pond or element: it draws its pond's whole map
-- (in QGIS, from GPS tracks, or starting from pond_geojson()) and imports it
-- as a draft; it looks at the diff against the map and at the template check
-- of the map the drawing would make, then submits it.  A reviewer (county,
-- city or province, the pond in scope, never the author) approves it, which
-- applies the diff to element in the reviewer's transaction with the
-- reviewer's rights, or rejects it with a note.
--
-- The rules live in the table's triggers, not in the functions: import_geojson,
-- submit, withdraw, approve and reject are an INSERT and UPDATEs of
-- tailings.submission, and the same INSERT or UPDATE written by hand is
-- checked, stamped and applied the same way.  Nothing here is SECURITY
-- DEFINER: every read and write runs as the caller, under the row-level
-- security of pond, element and submission.
--
-- - INSERT (pond_id, features): the features are validated and normalised
--   (_drawing_normalize; a bad feature is an error naming its index,
--   features[i], counted from 0 as in the JSON array), created_by and
--   created_at are stamped, and base records the pond's elements as the
--   author saw them (a fingerprint each).
-- - UPDATE status: only the moves of the state machine, by the right role;
--   the timestamps and the reviewer are stamped; the drawing never changes.
-- - submitted -> approved: refused (40001) when an element of the pond was
--   added, changed or removed since the draft was made (base); otherwise the
--   AFTER trigger applies the diff, with tailings.submission_id set so that
--   the change log records the submission.
--
-- Submissions are not in the change log: a drawing never changes after its
-- import, and each move stamps its own columns (submitted_at, withdrawn_at,
-- reviewed_by, reviewed_at, review_note); the element changes an approval
-- makes are logged with the submission's id.
---------------------------------------------------------------------------
CREATE TABLE submission (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	pond_id bigint NOT NULL REFERENCES pond (id),
	status text NOT NULL DEFAULT 'draft'
		CHECK (status IN ('draft', 'submitted', 'approved', 'rejected', 'withdrawn')),
	features jsonb NOT NULL
		CHECK (jsonb_typeof(features) = 'object' AND features ->> 'type' = 'FeatureCollection'
		       AND jsonb_typeof(features -> 'features') = 'array'),
	created_by name NOT NULL DEFAULT current_user,
	created_at timestamptz NOT NULL DEFAULT now(),
	submitted_at timestamptz,
	withdrawn_at timestamptz,
	reviewed_by name,
	reviewed_at timestamptz,
	review_note text,
	base jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(base) = 'object'),
	CONSTRAINT submission_stamps CHECK (
		(status = 'draft') = (submitted_at IS NULL AND withdrawn_at IS NULL AND reviewed_at IS NULL)
		AND (status IN ('submitted', 'approved', 'rejected') <= (submitted_at IS NOT NULL))
		AND ((status = 'withdrawn') = (withdrawn_at IS NOT NULL))
		AND ((status IN ('approved', 'rejected')) = (reviewed_by IS NOT NULL AND reviewed_at IS NOT NULL))
		AND (status <> 'rejected' OR btrim(coalesce(review_note, '')) <> ''))
);
CREATE INDEX submission_pond_status_idx ON submission (pond_id, status);
COMMENT ON TABLE submission IS
	'drawings of a pond''s map proposed by its enterprise (or a bureau) and their review; '
	'written through import_geojson, submit, withdraw, approve and reject (or the same INSERT and UPDATE)';
COMMENT ON COLUMN submission.status IS
	'draft -> submitted or withdrawn (author); submitted -> approved or rejected (reviewer), or withdrawn (author)';
COMMENT ON COLUMN submission.features IS
	'the drawing, normalised: a GeoJSON FeatureCollection in CGCS2000 longitude/latitude, as pond_geojson() writes one';
COMMENT ON COLUMN submission.created_by IS 'the author: the role that imported the drawing';
COMMENT ON COLUMN submission.reviewed_by IS 'the role that approved or rejected it';
COMMENT ON COLUMN submission.review_note IS 'the reviewer''s note (required for a rejection)';
COMMENT ON COLUMN submission.base IS
	'the pond''s elements when the draft was made: element id -> [fingerprint, kind, name]; '
	'approve() refuses the draft when the map differs from it';
COMMENT ON CONSTRAINT submission_stamps ON submission IS
	'each status has its timestamps: submitted_at once submitted, withdrawn_at when withdrawn, '
	'reviewed_by and reviewed_at when approved or rejected, a note when rejected';

-- A superuser session restoring a dump (pg_dump's scripts set
-- check_function_bodies off) reloads submissions as they were: the triggers
-- neither re-stamp nor re-validate them (as track_changes() records nothing).
CREATE FUNCTION _restoring() RETURNS boolean
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT NOT current_setting('check_function_bodies')::boolean
	       AND EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname = session_user AND r.rolsuper);
END;

-- The properties of a drawing's feature that are element columns; every
-- other property is an attribute (attrs).  kind_label (the Chinese label,
-- written by pond_geojson for people) and pond_id (written by the GIS views)
-- are read and checked, never stored as attributes; surveyed_o and
-- verified_o are surveyed_on and verified_on cut to a Shapefile's 10
-- characters.
CREATE FUNCTION _drawing_keys() RETURNS text[]
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN '{id,kind,kind_label,pond_id,name,source,surveyed_on,verified_on,accuracy_m,attrs,surveyed_o,verified_o}'::text[];

-- Two geometries are the same drawing when they have the same type and the
-- same vertices in the same order (a line's direction is its flow), each
-- within 1e-9 degrees (about 0.1 mm): a GIS that writes coordinates with 15
-- significant digits does not move anything.
CREATE FUNCTION _geom_same(a geometry, b geometry) RETURNS boolean
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT ST_OrderingEquals(a, b)
	       OR (GeometryType(a) = GeometryType(b) AND ST_NPoints(a) = ST_NPoints(b)
	           AND (SELECT count(*) = ST_NPoints(a)
	                       AND bool_and(abs(ST_X(pa.geom) - ST_X(pb.geom)) <= 1e-9
	                                    AND abs(ST_Y(pa.geom) - ST_Y(pb.geom)) <= 1e-9)
	                  FROM ST_DumpPoints(a) pa JOIN ST_DumpPoints(b) pb ON pa.path = pb.path));
END;

-- An element's fingerprint: every column, written exactly and without
-- depending on session settings (geometry as EWKB, dates as ISO, accuracy
-- through float8).
CREATE FUNCTION _element_fingerprint(e element) RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT md5(format('%s|%s|%L|%L|%L|%L|%L|%L|%L|%L', e.id, e.pond_id, e.kind::text,
	                  encode(ST_AsEWKB(e.geom), 'hex'), e.name, e.source::text,
	                  e.accuracy_m::float8::numeric, to_char(e.surveyed_on, 'YYYY-MM-DD'),
	                  to_char(e.verified_on, 'YYYY-MM-DD'), e.attrs::text));
END;

-- the pond's elements as the caller sees them: id -> [fingerprint, kind, name]
CREATE FUNCTION _pond_fingerprints(p_pond bigint) RETURNS jsonb
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT coalesce(jsonb_object_agg(e.id::text, jsonb_build_array(_element_fingerprint(e), e.kind::text, e.name)),
	                '{}'::jsonb)
	  FROM tailings.element e
	 WHERE e.pond_id = _pond_fingerprints.p_pond;
END;

-- An element as a drawing's feature: GeoJSON, longitude/latitude (CGCS2000),
-- properties id, kind (code), kind_label (Chinese), name, source,
-- surveyed_on, verified_on, accuracy_m, then the attributes as properties of
-- their own (those named like a column above go in an "attrs" object; null
-- attributes are left out).  import_geojson reads it back unchanged.
CREATE FUNCTION _element_feature(e element) RETURNS jsonb
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT jsonb_build_object(
	           'type', 'Feature',
	           'geometry', ST_AsGeoJSON(e.geom, 15, 0)::jsonb,
	           'properties',
	           jsonb_build_object('id', e.id, 'kind', e.kind::text, 'kind_label', label(e.kind, 'zh'),
	                              'name', e.name, 'source', e.source, 'surveyed_on', e.surveyed_on,
	                              'verified_on', e.verified_on, 'accuracy_m', e.accuracy_m::numeric)
	           || coalesce((SELECT jsonb_object_agg(a.key, a.value) FROM jsonb_each(e.attrs) a
	                         WHERE a.key <> ALL (_drawing_keys()) AND jsonb_typeof(a.value) <> 'null'),
	                       '{}'::jsonb)
	           || coalesce((SELECT jsonb_build_object('attrs', jsonb_object_agg(a.key, a.value))
	                          FROM jsonb_each(e.attrs) a
	                         WHERE a.key = ANY (_drawing_keys()) AND jsonb_typeof(a.value) <> 'null'
	                        HAVING count(*) > 0),
	                       '{}'::jsonb));
END;

-- A normalised feature (as _element_feature writes it) as an element row of
-- the pond; id is the element it is, or null for a new one.
CREATE FUNCTION _feature_element(p_pond bigint, f jsonb) RETURNS element
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT ROW((x.p ->> 'id')::bigint, _feature_element.p_pond, (x.p ->> 'kind')::tailings.element_kind,
	           ST_SetSRID(ST_GeomFromGeoJSON(_feature_element.f -> 'geometry'), 4490),
	           x.p ->> 'name', (x.p ->> 'source')::tailings.survey_source, (x.p ->> 'accuracy_m')::real,
	           (x.p ->> 'surveyed_on')::date, (x.p ->> 'verified_on')::date,
	           jsonb_strip_nulls(x.p - _drawing_keys())
	           || CASE WHEN jsonb_typeof(x.p -> 'attrs') = 'object' THEN x.p -> 'attrs' ELSE '{}'::jsonb END)::tailings.element
	  FROM (SELECT _feature_element.f -> 'properties' AS p) x;
END;

-- A number, given as a JSON number or as a numeric string ("500"), or null.
CREATE FUNCTION _drawing_number(v jsonb) RETURNS numeric
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT CASE
	       WHEN jsonb_typeof(v) = 'number' THEN (v #>> '{}')::numeric
	       WHEN jsonb_typeof(v) = 'string'
	            AND btrim(v #>> '{}') ~ '^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$'
	       THEN btrim(v #>> '{}')::numeric
	       END;
END;

-- A date given as "YYYY-MM-DD" or "YYYY/MM/DD" (as GDAL writes date fields),
-- a time of day after it being ignored; null when it is not one.
CREATE FUNCTION _drawing_date(v jsonb) RETURNS date
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT CASE WHEN m IS NOT NULL AND m[1]::int BETWEEN 1 AND 9999 AND m[2]::int BETWEEN 1 AND 12
	             AND m[3]::int BETWEEN 1
	                 AND extract(day FROM make_date(m[1]::int, m[2]::int, 1) + interval '1 month - 1 day')
	       THEN make_date(m[1]::int, m[2]::int, m[3]::int) END
	  FROM (SELECT CASE WHEN jsonb_typeof(v) = 'string'
	                    THEN regexp_match(v #>> '{}', '^\s*([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})([T ][0-9:.+Z-]*)?\s*$')
	               END AS m) x;
END;

-- The crs member of a drawing: absent or null (GeoJSON's WGS 84), or a name
-- of CGCS2000 or WGS 84 in longitude/latitude.
CREATE FUNCTION _drawing_crs_ok(crs jsonb) RETURNS boolean
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT crs IS NULL OR jsonb_typeof(crs) = 'null'
	       OR (crs ->> 'type' = 'name'
	           AND lower(crs -> 'properties' ->> 'name') ~ ('^(urn:ogc:def:crs:(epsg:[0-9.]*:(4326|4490)|ogc:(1\.3)?:crs84)'
	                                                      '|epsg:(4326|4490)|(ogc:)?crs84'
	                                                      '|https?://www\.opengis\.net/def/crs/(epsg/0/(4326|4490)|ogc/1\.3/crs84))$'))
	       OR (lower(crs ->> 'type') = 'epsg' AND crs -> 'properties' ->> 'code' IN ('4326', '4490'));
END;

-- Validates a drawing for a pond and returns it normalised.  Each error names
-- the feature, features[i] (counted from 0, as in the JSON array), and what is
-- wrong: SQLSTATE 22023 for what is not a drawing (no Feature, no geometry,
-- an unknown kind, a value of the wrong type, another CRS), 23514 for what
-- breaks a rule (a geometry the kind does not take, outside China, more than
-- 5 km from the pond, a required attribute missing or not a positive number,
-- an id that is not an element of this pond, dates in the future).  A feature
-- with the id of an element and that element's geometry is not refused for
-- where it lies, nor for an attribute the element lacks today: a drawing is
-- refused only for what it changes (check_submission still warns).
CREATE FUNCTION _drawing_normalize(p_pond bigint, collection jsonb) RETURNS jsonb
	LANGUAGE plpgsql STABLE SET search_path FROM CURRENT
AS $$
DECLARE
	loc geometry;
	features jsonb;
	result jsonb[] := '{}';
	seen bigint[] := '{}';	-- the element ids given so far, in order of their features
	seen_at integer[] := '{}';
	idx integer;
	stage text;			-- what is being read, when an error may come from a type or PostGIS
	f jsonb;
	p jsonb;
	g jsonb;
	k tailings.element_kind;
	k2 tailings.element_kind;
	eid bigint;
	cur tailings.element;
	geom geometry;
	gtype text;
	v record;
	dist double precision;
	nm text;
	src tailings.survey_source;
	acc numeric;
	surveyed date;
	verified date;
	attrs jsonb;
	key text;
	num numeric;
	what text;
	msg text;
	err_hint text;
BEGIN
	IF collection IS NULL OR jsonb_typeof(collection) <> 'object'
	   OR collection ->> 'type' IS DISTINCT FROM 'FeatureCollection'
	   OR jsonb_typeof(collection -> 'features') IS DISTINCT FROM 'array' THEN
		RAISE EXCEPTION 'a drawing is a GeoJSON FeatureCollection'
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = format('Got %s.', coalesce(CASE WHEN jsonb_typeof(collection) = 'object'
			                                               THEN 'an object of type ' || coalesce(collection ->> 'type', 'null')
			                                                    || CASE WHEN collection ? 'features' THEN ', features ' || jsonb_typeof(collection -> 'features') ELSE ' without features' END
			                                               ELSE jsonb_typeof(collection) END, 'null')),
			      HINT = '{"type": "FeatureCollection", "features": [...]}; tailings.pond_geojson(pond_id) gives one to start from.';
	END IF;
	IF NOT _drawing_crs_ok(collection -> 'crs') THEN
		RAISE EXCEPTION 'the drawing''s crs is not CGCS2000 or WGS 84 longitude/latitude: %', collection -> 'crs'
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = 'Accepted: EPSG:4490 (CGCS2000), EPSG:4326 or OGC CRS84 (WGS 84), as a name, URN or URL; or no crs.',
			      HINT = 'Convert the drawing first, e.g. ogr2ogr -f GeoJSON -t_srs EPSG:4490 drawing.geojson drawing.shp';
	END IF;
	SELECT po.location INTO loc FROM tailings.pond po WHERE po.id = p_pond;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'pond % does not exist', p_pond
			USING ERRCODE = 'no_data_found', HINT = 'SELECT id, code, name FROM tailings.pond lists the ponds you can see.';
	END IF;
	features := collection -> 'features';

	FOR i IN 0 .. jsonb_array_length(features) - 1 LOOP
		idx := i;
		stage := NULL;
		f := features -> i;
		IF jsonb_typeof(f) IS DISTINCT FROM 'object' OR f ->> 'type' IS DISTINCT FROM 'Feature' THEN
			RAISE EXCEPTION 'features[%] is not a GeoJSON Feature', i
				USING ERRCODE = 'invalid_parameter_value',
				      HINT = '{"type": "Feature", "geometry": {...}, "properties": {"kind": "dam", ...}}';
		END IF;
		p := coalesce(f -> 'properties', '{}');
		IF jsonb_typeof(p) = 'null' THEN
			p := '{}';
		ELSIF jsonb_typeof(p) <> 'object' THEN
			RAISE EXCEPTION 'features[%]: properties is a JSON %, not an object', i, jsonb_typeof(p)
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
		-- a GIS writes every column for every feature: null, or an empty
		-- text (a Shapefile's blank cell), is "not given"
		p := coalesce((SELECT jsonb_object_agg(a.key, a.value) FROM jsonb_each(p) a
		                WHERE jsonb_typeof(a.value) <> 'null'
		                  AND NOT (jsonb_typeof(a.value) = 'string' AND btrim(a.value #>> '{}') = '')), '{}');
		-- a Shapefile cuts field names to 10 characters
		IF p ? 'surveyed_o' AND NOT p ? 'surveyed_on' THEN
			p := p - 'surveyed_o' || jsonb_build_object('surveyed_on', p -> 'surveyed_o');
		END IF;
		IF p ? 'verified_o' AND NOT p ? 'verified_on' THEN
			p := p - 'verified_o' || jsonb_build_object('verified_on', p -> 'verified_o');
		END IF;

		-- kind: its code or its Chinese label (kind_label too, as pond_geojson writes it)
		IF (p ? 'kind' AND jsonb_typeof(p -> 'kind') <> 'string')
		   OR (p ? 'kind_label' AND jsonb_typeof(p -> 'kind_label') <> 'string') THEN
			RAISE EXCEPTION 'features[%]: kind must be text, not %', i, coalesce(p -> 'kind', p -> 'kind_label')
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
		IF coalesce(p ->> 'kind', p ->> 'kind_label') IS NULL THEN
			RAISE EXCEPTION 'features[%] has no kind', i
				USING ERRCODE = 'invalid_parameter_value',
				      HINT = 'Give the property "kind": its code (leachate_pool) or its Chinese label (渗滤液收集池); '
				             'SELECT kind, label_zh FROM tailings.kinds() lists them.';
		END IF;
		stage := 'kind';
		k := btrim(coalesce(p ->> 'kind', p ->> 'kind_label'))::tailings.element_kind;
		IF p ? 'kind' AND p ? 'kind_label' THEN
			k2 := btrim(p ->> 'kind_label')::tailings.element_kind;
			stage := NULL;
			IF k2 <> k THEN
				RAISE EXCEPTION 'features[%]: kind "%" and kind_label "%" disagree', i, p ->> 'kind', p ->> 'kind_label'
					USING ERRCODE = 'invalid_parameter_value',
					      HINT = 'Correct one of them, or leave kind_label out: kind decides.';
			END IF;
		END IF;
		stage := NULL;
		what := format('%s (%s)', k, label(k, 'zh'));

		-- id: the element this feature is, when it is one of the pond's
		eid := NULL;
		cur := NULL;
		IF p ? 'id' THEN
			IF jsonb_typeof(p -> 'id') NOT IN ('number', 'string') OR btrim(p ->> 'id') !~ '^[0-9]{1,18}$' THEN
				RAISE EXCEPTION 'features[%]: id % is not an element id', i, p -> 'id'
					USING ERRCODE = 'invalid_parameter_value',
					      HINT = 'id is the id of one of the pond''s elements (a whole number), or absent for a new element.';
			END IF;
			eid := btrim(p ->> 'id')::bigint;
			SELECT * INTO cur FROM tailings.element e WHERE e.id = eid AND e.pond_id = p_pond;
			IF NOT FOUND THEN
				RAISE EXCEPTION 'features[%]: id % is not an element of pond %', i, eid, p_pond
					USING ERRCODE = 'check_violation',
					      HINT = 'Leave id out for a new element; tailings.pond_geojson(pond_id) gives the pond''s elements with their ids.';
			END IF;
			IF eid = ANY (seen) THEN
				RAISE EXCEPTION 'features[%]: element % is features[%] already', i, eid, seen_at[array_position(seen, eid)]
					USING ERRCODE = 'check_violation',
					      HINT = 'Each element appears once; give a copy no id to add a new element.';
			END IF;
			seen := seen || eid;
			seen_at := seen_at || i;
		END IF;
		IF p ? 'pond_id' AND btrim(p ->> 'pond_id') IS DISTINCT FROM p_pond::text THEN
			RAISE EXCEPTION 'features[%] belongs to pond % (its pond_id), not to pond %', i, p ->> 'pond_id', p_pond
				USING ERRCODE = 'check_violation';
		END IF;

		-- geometry: a Point, LineString or Polygon (or Multi-) the kind takes,
		-- longitude/latitude in China, within 5 km of the pond
		g := f -> 'geometry';
		IF g IS NULL OR jsonb_typeof(g) <> 'object' THEN
			RAISE EXCEPTION 'features[%] (%) has no geometry', i, what
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
		IF g ->> 'type' = 'GeometryCollection' THEN
			RAISE EXCEPTION 'features[%] (%): a GeometryCollection is not an element''s geometry', i, what
				USING ERRCODE = 'invalid_parameter_value',
				      HINT = 'Draw one feature per element, each a Point, LineString or Polygon (or a Multi- of one type).';
		END IF;
		stage := 'geometry';
		geom := ST_GeomFromGeoJSON(g);
		stage := NULL;
		-- heights (GPS tracks) are dropped; one part is stored single
		geom := ST_SetSRID(ST_Force2D(geom), 4490);
		IF ST_IsEmpty(geom) THEN
			RAISE EXCEPTION 'features[%] (%): the geometry is empty', i, what
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
		IF ST_NumGeometries(geom) = 1 AND GeometryType(geom) LIKE 'MULTI%' THEN
			geom := ST_GeometryN(geom, 1);
		END IF;
		IF 'NaN'::float8 IN (ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom))
		   OR abs(ST_XMin(geom)) = 'Infinity' OR abs(ST_XMax(geom)) = 'Infinity'
		   OR abs(ST_YMin(geom)) = 'Infinity' OR abs(ST_YMax(geom)) = 'Infinity' THEN
			RAISE EXCEPTION 'features[%] (%): coordinates are not finite numbers', i, what
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
		gtype := GeometryType(geom);
		IF replace(gtype, 'MULTI', '') <> ALL (geometry_types(k)) THEN
			RAISE EXCEPTION 'features[%]: % is drawn as %, not %', i, what,
				array_to_string(geometry_types(k), ' or '), gtype
				USING ERRCODE = 'check_violation',
				      HINT = 'SELECT kind, geometry_types FROM tailings.kinds() lists the geometry of each kind.';
		END IF;
		SELECT * INTO v FROM ST_IsValidDetail(geom);
		IF NOT v.valid THEN
			RAISE EXCEPTION 'features[%] (%): the geometry is not valid: %', i, what, v.reason
				USING ERRCODE = 'check_violation',
				      DETAIL = CASE WHEN v.location IS NOT NULL THEN format('At or near %s.', ST_AsText(v.location)) END,
				      HINT = 'Redraw it (QGIS: Vector > Geometry Tools > Check Validity).';
		END IF;
		IF cur.id IS NOT NULL AND _geom_same(cur.geom, geom) THEN
			geom := cur.geom;	-- unchanged: kept exactly as stored
		ELSE
			IF ST_XMin(geom) < 73 OR ST_XMax(geom) > 136 OR ST_YMin(geom) < 3 OR ST_YMax(geom) > 54 THEN
				RAISE EXCEPTION 'features[%] (%): coordinates lie outside China (73–136°E, 3–54°N)', i, what
					USING ERRCODE = 'check_violation',
					      DETAIL = format('Its extent is %s–%s°E, %s–%s°N.', round(ST_XMin(geom)::numeric, 6),
					                      round(ST_XMax(geom)::numeric, 6), round(ST_YMin(geom)::numeric, 6),
					                      round(ST_YMax(geom)::numeric, 6)),
					      HINT = CASE WHEN ST_XMin(geom) >= 3 AND ST_XMax(geom) <= 54 AND ST_YMin(geom) >= 73 AND ST_YMax(geom) <= 136
					                  THEN 'Longitude and latitude look swapped: GeoJSON gives [longitude, latitude].'
					                  ELSE 'Coordinates are longitude and latitude in degrees (CGCS2000 or WGS 84); convert a projected '
					                       'drawing first: ogr2ogr -f GeoJSON -t_srs EPSG:4490 out.geojson in.shp' END;
			END IF;
			dist := ST_Distance(geom::geography, loc::geography, false);
			IF dist > 5000 THEN
				RAISE EXCEPTION 'features[%] (%) lies % km from pond %, more than 5 km', i, what,
					round((dist / 1000)::numeric, 1), p_pond
					USING ERRCODE = 'check_violation',
					      HINT = 'Check that it belongs to this pond and that its longitude and latitude are not swapped.';
			END IF;
		END IF;

		-- the other columns
		nm := NULL;
		IF p ? 'name' THEN
			IF jsonb_typeof(p -> 'name') IN ('object', 'array') THEN
				RAISE EXCEPTION 'features[%] (%): name must be text, not a JSON %', i, what, jsonb_typeof(p -> 'name')
					USING ERRCODE = 'invalid_parameter_value';
			END IF;
			nm := nullif(btrim(p ->> 'name'), '');
		END IF;
		src := NULL;
		IF p ? 'source' THEN
			src := CASE lower(btrim(p ->> 'source'))
			       WHEN 'satellite' THEN 'satellite' WHEN '卫星' THEN 'satellite' WHEN '卫星遥感' THEN 'satellite'
			       WHEN 'drone' THEN 'drone' WHEN '无人机' THEN 'drone' WHEN '无人机航拍' THEN 'drone'
			       WHEN 'ground' THEN 'ground' WHEN '地面' THEN 'ground' WHEN '地面勘察' THEN 'ground'
			       WHEN '实地' THEN 'ground' END::tailings.survey_source;
			IF src IS NULL AND btrim(p ->> 'source') <> '' THEN
				RAISE EXCEPTION 'features[%] (%): source % is not satellite, drone or ground', i, what, p -> 'source'
					USING ERRCODE = 'invalid_parameter_value',
					      HINT = 'satellite 卫星遥感, drone 无人机航拍, ground 地面勘察.';
			END IF;
		END IF;
		acc := NULL;
		IF p ? 'accuracy_m' THEN
			acc := _drawing_number(p -> 'accuracy_m');
			IF acc IS NULL OR abs(acc) > 1e30 THEN
				RAISE EXCEPTION 'features[%] (%): accuracy_m % is not a number of metres', i, what, p -> 'accuracy_m'
					USING ERRCODE = 'invalid_parameter_value';
			END IF;
			IF acc < 0 THEN
				RAISE EXCEPTION 'features[%] (%): accuracy_m must not be negative, not %', i, what, acc
					USING ERRCODE = 'check_violation';
			END IF;
		END IF;
		surveyed := NULL;
		verified := NULL;
		FOREACH key IN ARRAY '{surveyed_on,verified_on}'::text[] LOOP
			CONTINUE WHEN NOT p ? key;
			IF _drawing_date(p -> key) IS NULL THEN
				RAISE EXCEPTION 'features[%] (%): % % is not a date', i, what, key, p -> key
					USING ERRCODE = 'invalid_parameter_value', HINT = 'Write dates as YYYY-MM-DD.';
			END IF;
			IF key = 'surveyed_on' THEN surveyed := _drawing_date(p -> key); ELSE verified := _drawing_date(p -> key); END IF;
		END LOOP;
		IF surveyed > current_date + 1 OR verified > current_date + 1 THEN
			RAISE EXCEPTION 'features[%] (%): dates are in the future (surveyed_on %, verified_on %)', i, what,
				coalesce(to_char(surveyed, 'YYYY-MM-DD'), 'null'), coalesce(to_char(verified, 'YYYY-MM-DD'), 'null')
				USING ERRCODE = 'check_violation';
		END IF;
		IF verified < surveyed THEN
			RAISE EXCEPTION 'features[%] (%): the ground check (verified_on %) is before the survey (surveyed_on %)', i, what,
				to_char(verified, 'YYYY-MM-DD'), to_char(surveyed, 'YYYY-MM-DD')
				USING ERRCODE = 'check_violation';
		END IF;

		-- attributes: every other property, and those of an "attrs" object
		attrs := p - _drawing_keys();
		IF p ? 'attrs' THEN
			IF jsonb_typeof(p -> 'attrs') = 'string' THEN
				-- a GIS may write a JSON column as text
				stage := 'attrs';
				p := jsonb_set(p, '{attrs}', jsonb_strip_nulls((p ->> 'attrs')::jsonb));
				stage := NULL;
			END IF;
			IF jsonb_typeof(p -> 'attrs') <> 'object' THEN
				RAISE EXCEPTION 'features[%] (%): attrs must be a JSON object, not %', i, what, p -> 'attrs'
					USING ERRCODE = 'invalid_parameter_value';
			END IF;
			attrs := attrs || (p -> 'attrs');
		END IF;
		FOREACH key IN ARRAY required_attrs(k) LOOP
			IF NOT attrs ? key THEN
				-- refused for a new element, or when the element has it now
				IF cur.id IS NULL OR cur.attrs -> key IS NOT NULL AND jsonb_typeof(cur.attrs -> key) <> 'null' THEN
					RAISE EXCEPTION 'features[%] (%) needs the attribute %', i, what, key
						USING ERRCODE = 'check_violation',
						      HINT = format('A positive number, e.g. "%s": 500; SELECT tailings.required_attrs(''%s'') lists what the kind needs.', key, k);
				END IF;
				CONTINUE;
			END IF;
			num := _drawing_number(attrs -> key);
			IF num IS NULL OR num <= 0 THEN
				RAISE EXCEPTION 'features[%] (%): attribute % must be a positive number, not %', i, what, key, attrs -> key
					USING ERRCODE = 'check_violation',
					      HINT = format('For example "%s": 500.', key);
			END IF;
			attrs := jsonb_set(attrs, ARRAY[key], to_jsonb(num));	-- "500" is stored as 500
		END LOOP;
		-- other numbers a GIS wrote as text ("32"): numbers where the element
		-- has a number; any other text stays text (codes such as "0012")
		IF cur.id IS NOT NULL THEN
			SELECT attrs || coalesce(jsonb_object_agg(a.key, to_jsonb(_drawing_number(a.value))), '{}')
			  INTO attrs
			  FROM jsonb_each(attrs) a
			 WHERE jsonb_typeof(a.value) = 'string' AND jsonb_typeof(cur.attrs -> a.key) = 'number'
			   AND _drawing_number(a.value) IS NOT NULL;
		END IF;

		result := result || _element_feature(
			ROW(eid, p_pond, k, geom, nm, src, acc::real, surveyed, verified, attrs)::tailings.element);
	END LOOP;
	RETURN jsonb_build_object('type', 'FeatureCollection',
	                          'crs', jsonb_build_object('type', 'name', 'properties', jsonb_build_object('name', 'urn:ogc:def:crs:EPSG::4490')),
	                          'features', to_jsonb(result));
EXCEPTION WHEN OTHERS THEN
	IF stage IS NULL THEN
		RAISE;
	END IF;
	-- an error of the kind's input function, PostGIS's GeoJSON reader or jsonb
	GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, err_hint = PG_EXCEPTION_HINT;
	IF stage = 'kind' THEN
		RAISE EXCEPTION 'features[%]: unknown kind %', idx, coalesce(p -> 'kind', p -> 'kind_label')
			USING ERRCODE = 'invalid_parameter_value', DETAIL = msg,
			      HINT = coalesce(nullif(err_hint, ''), 'SELECT kind, label_zh FROM tailings.kinds() lists the kinds.');
	END IF;
	RAISE EXCEPTION 'features[%] (%): % is not valid: %', idx, what, stage, msg
		USING ERRCODE = 'invalid_parameter_value',
		      HINT = CASE stage WHEN 'geometry' THEN 'A GeoJSON geometry: {"type": "Point", "coordinates": [longitude, latitude]}.'
		                        ELSE 'attrs: a JSON object.' END;
END
$$;

-- The plan of a drawing against the pond's map as it is now, as the caller
-- sees it: one row per feature (add, move, change, same), then one per
-- element of the map the drawing leaves out (remove).  elem is the element
-- as approval would write it (for a feature of an element, the element's
-- stored values where the feature does not change them).  moved_m: between
-- the centroids, on the ellipsoid, as compare() measures.  new_ids: the
-- elements an approval made of the features without id, in their order.
CREATE FUNCTION _drawing_plan(p_pond bigint, features jsonb, new_ids bigint[] DEFAULT NULL)
	RETURNS TABLE (op text, element_id bigint, feature_index integer, kind element_kind, name text,
	               moved_m double precision, changed text[], elem element)
	LANGUAGE plpgsql STABLE SET search_path FROM CURRENT
AS $$
DECLARE
	x record;
	n tailings.element;
	o tailings.element;
	ch text[];
	seen bigint[] := '{}';
	added integer := 0;
BEGIN
	FOR x IN SELECT (t.ord - 1)::integer AS idx, t.feature
	           FROM jsonb_array_elements(features -> 'features') WITH ORDINALITY t(feature, ord)
	          ORDER BY t.ord LOOP
		n := _feature_element(p_pond, x.feature);
		IF n.id IS NULL AND new_ids IS NOT NULL THEN
			added := added + 1;
			n.id := new_ids[added];
		END IF;
		o := NULL;
		IF n.id IS NOT NULL THEN
			SELECT * INTO o FROM tailings.element e WHERE e.id = n.id AND e.pond_id = p_pond;
		END IF;
		feature_index := x.idx;
		kind := n.kind;
		name := n.name;
		moved_m := NULL;
		IF o.id IS NULL THEN
			-- new, or an element removed since the draft was made
			n.id := NULL;
			op := 'add';
			element_id := NULL;
			changed := NULL;
		ELSE
			seen := seen || o.id;
			ch := '{}';
			IF n.kind <> o.kind THEN ch := ch || 'kind'::text; END IF;
			IF _geom_same(o.geom, n.geom) THEN
				n.geom := o.geom;
			ELSE
				ch := ch || 'geom'::text;
				moved_m := ST_Distance(ST_Centroid(ST_Transform(o.geom, 4326))::geography,
				                       ST_Centroid(ST_Transform(n.geom, 4326))::geography, true);
			END IF;
			IF n.name IS DISTINCT FROM o.name THEN ch := ch || 'name'::text; END IF;
			IF n.source IS DISTINCT FROM o.source THEN ch := ch || 'source'::text; END IF;
			IF n.accuracy_m::numeric IS DISTINCT FROM o.accuracy_m::numeric THEN
				ch := ch || 'accuracy_m'::text;
			ELSE
				n.accuracy_m := o.accuracy_m;
			END IF;
			IF n.surveyed_on IS DISTINCT FROM o.surveyed_on THEN ch := ch || 'surveyed_on'::text; END IF;
			IF n.verified_on IS DISTINCT FROM o.verified_on THEN ch := ch || 'verified_on'::text; END IF;
			IF n.attrs <> jsonb_strip_nulls(o.attrs) THEN
				ch := ch || 'attrs'::text;
			ELSE
				n.attrs := o.attrs;
			END IF;
			op := CASE WHEN ch = '{}' THEN 'same' WHEN 'geom' = ANY (ch) THEN 'move' ELSE 'change' END;
			element_id := o.id;
			changed := ch;
		END IF;
		elem := n;
		RETURN NEXT;
	END LOOP;
	FOR o IN SELECT * FROM tailings.element e WHERE e.pond_id = p_pond AND e.id <> ALL (seen) ORDER BY e.id LOOP
		op := 'remove';
		element_id := o.id;
		feature_index := NULL;
		kind := o.kind;
		name := o.name;
		moved_m := NULL;
		changed := NULL;
		elem := NULL;
		RETURN NEXT;
	END LOOP;
END
$$;

-- _element_placement(pond_id) for a given set of elements (a drawing's map):
-- the same columns, computed the same way from the array instead of the
-- table, and feature_index, each row's position in the array from 0.  Keep
-- the two in step (the submission suite checks that an unchanged drawing
-- gets check_completeness's rows).
CREATE FUNCTION _element_placement(pond_id bigint, elements element[])
	RETURNS TABLE (id bigint, kind element_kind, name text, verified boolean, attrs_ok boolean,
	               dist_m double precision, bearing double precision, leachate_line boolean,
	               end_m double precision, start_m double precision, feature_index integer)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	WITH e AS MATERIALIZED (
		SELECT x.id, x.kind, x.geom, x.name, x.verified_on, x.attrs, (x.ordinality - 1)::integer AS feature_index
		  FROM unnest(_element_placement.elements) WITH ORDINALITY x)
	SELECT e.id, e.kind, e.name, e.verified_on IS NOT NULL,
	       e.attrs ?& required_attrs(e.kind),
	       ST_Distance(e.geom::geography, p.location::geography, false),
	       CASE WHEN _placement_role(e.kind) IN ('upstream_well', 'downstream_well')
	            THEN degrees(ST_Azimuth(p.location::geography, ST_PointOnSurface(e.geom)::geography)) END,
	       l.leachate_line,
	       CASE WHEN l.leachate_line THEN
	           (SELECT min(ST_Distance(ST_EndPoint(ST_GeometryN(e.geom, ST_NumGeometries(e.geom)))::geography,
	                                   t.geom::geography, false))
	              FROM e t
	             WHERE _placement_role(t.kind) = 'leachate_sink') END,
	       CASE WHEN l.leachate_line THEN
	           (SELECT min(ST_Distance(ST_StartPoint(ST_GeometryN(e.geom, 1))::geography,
	                                   t.geom::geography, false))
	              FROM e t
	             WHERE _placement_role(t.kind) = 'leachate_sink') END,
	       e.feature_index
	  FROM e JOIN tailings.pond p ON p.id = _element_placement.pond_id,
	       LATERAL (SELECT _placement_role(e.kind) = 'leachate_line'
	                       AND GeometryType(e.geom) IN ('LINESTRING', 'MULTILINESTRING') AS leachate_line) l
	 ORDER BY e.id NULLS LAST, e.feature_index;
END;

CREATE FUNCTION _check_elements(pond_id bigint, elements element[])
	RETURNS TABLE (rule text, category element_category, required integer, present integer,
	               passed boolean, severity text, message text)
	AS 'MODULE_PATHNAME', 'tl_check_elements' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _check_elements(bigint, element[]) IS
	'check_completeness of the pond as if its elements were these (reads the array, writes nothing)';

-- elements added, changed or removed since a draft was made, described; null when none
CREATE FUNCTION _drawing_stale(base jsonb, p_pond bigint) RETURNS text
	LANGUAGE sql STABLE
BEGIN ATOMIC
	SELECT string_agg(format('%s #%s%s (%s)', x.v ->> 1, x.id,
	                         CASE WHEN x.v ->> 2 IS NOT NULL THEN format(' "%s"', x.v ->> 2) ELSE '' END, x.what),
	                  ', ' ORDER BY x.id)
	  FROM (SELECT coalesce(b.key, c.key)::bigint AS id, coalesce(c.value, b.value) AS v,
	               CASE WHEN c.key IS NULL THEN 'removed' WHEN b.key IS NULL THEN 'added' ELSE 'changed' END AS what
	          FROM jsonb_each(_drawing_stale.base) b
	               FULL JOIN jsonb_each(_pond_fingerprints(_drawing_stale.p_pond)) c ON c.key = b.key
	         WHERE b.value ->> 0 IS DISTINCT FROM c.value ->> 0) x;
END;

-- BEFORE INSERT: validate and normalise the drawing, stamp its author and
-- time, and record the map it was drawn against.
CREATE FUNCTION _submission_insert() RETURNS trigger
	LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
BEGIN
	IF _restoring() THEN
		RETURN NEW;
	END IF;
	IF NEW.status IS DISTINCT FROM 'draft' THEN
		RAISE EXCEPTION 'a new submission is a draft, not %', coalesce(NEW.status, 'null')
			USING ERRCODE = 'check_violation',
			      HINT = 'Import it (tailings.import_geojson), then submit it (tailings.submit).';
	END IF;
	IF NEW.pond_id IS NULL OR NOT EXISTS (SELECT FROM tailings.pond p WHERE p.id = NEW.pond_id) THEN
		RAISE EXCEPTION 'pond % does not exist', coalesce(NEW.pond_id::text, 'null')
			USING ERRCODE = 'no_data_found', HINT = 'SELECT id, code, name FROM tailings.pond lists the ponds you can see.';
	END IF;
	NEW.features := _drawing_normalize(NEW.pond_id, NEW.features);
	NEW.created_by := current_user;
	NEW.created_at := now();
	NEW.submitted_at := NULL;
	NEW.withdrawn_at := NULL;
	NEW.reviewed_by := NULL;
	NEW.reviewed_at := NULL;
	NEW.review_note := NULL;
	NEW.base := _pond_fingerprints(NEW.pond_id);
	RETURN NEW;
END
$$;

-- BEFORE UPDATE: the state machine.  Only status (and, with a review, the
-- note) changes, by the moves below and by the right person; the rest is
-- stamped here.
CREATE FUNCTION _submission_update() RETURNS trigger
	LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
DECLARE
	moves constant text := 'Allowed moves: draft -> submitted or withdrawn (by its author); '
	                       'submitted -> approved or rejected (by a county, city or province reviewer with the pond '
	                       'in scope, not its author), or withdrawn (by its author); approved, rejected and withdrawn are final.';
	move text := OLD.status || ' -> ' || NEW.status;
	level text;
	stale text;
BEGIN
	IF _restoring() THEN
		RETURN NEW;
	END IF;
	IF NEW.id <> OLD.id OR NEW.pond_id <> OLD.pond_id OR NEW.features <> OLD.features
	   OR NEW.created_by <> OLD.created_by OR NEW.created_at <> OLD.created_at OR NEW.base <> OLD.base THEN
		RAISE EXCEPTION 'the drawing of submission % cannot be changed', OLD.id
			USING ERRCODE = 'insufficient_privilege',
			      HINT = 'Import a new drawing with tailings.import_geojson(pond_id, collection); withdraw this one.';
	END IF;
	IF NEW.status = OLD.status THEN
		IF (NEW.submitted_at, NEW.withdrawn_at, NEW.reviewed_by, NEW.reviewed_at, NEW.review_note)
		   IS DISTINCT FROM (OLD.submitted_at, OLD.withdrawn_at, OLD.reviewed_by, OLD.reviewed_at, OLD.review_note) THEN
			RAISE EXCEPTION 'submission % is %: its stamps and note are set by its moves', OLD.id, OLD.status
				USING ERRCODE = 'insufficient_privilege', DETAIL = moves;
		END IF;
		RETURN NEW;
	END IF;
	-- the stamps are the trigger's
	NEW.submitted_at := OLD.submitted_at;
	NEW.withdrawn_at := OLD.withdrawn_at;
	NEW.reviewed_by := OLD.reviewed_by;
	NEW.reviewed_at := OLD.reviewed_at;
	IF move NOT IN ('submitted -> approved', 'submitted -> rejected') THEN
		NEW.review_note := OLD.review_note;
	END IF;
	CASE move
	WHEN 'draft -> submitted', 'draft -> withdrawn', 'submitted -> withdrawn' THEN
		IF OLD.created_by <> current_user THEN
			RAISE EXCEPTION 'only the author of submission % (%) can % it', OLD.id, OLD.created_by,
				CASE NEW.status WHEN 'submitted' THEN 'submit' ELSE 'withdraw' END
				USING ERRCODE = 'insufficient_privilege', DETAIL = moves;
		END IF;
		IF NEW.status = 'submitted' THEN
			NEW.submitted_at := now();
		ELSE
			NEW.withdrawn_at := now();
		END IF;
	WHEN 'submitted -> approved', 'submitted -> rejected' THEN
		level := _member_level();
		IF level IS NULL OR level NOT IN ('county', 'city', 'province')
		   OR NOT EXISTS (SELECT FROM tailings.pond p WHERE p.id = OLD.pond_id) THEN
			RAISE EXCEPTION 'only a county, city or province reviewer with pond % in scope can % submission %',
				OLD.pond_id, CASE NEW.status WHEN 'approved' THEN 'approve' ELSE 'reject' END, OLD.id
				USING ERRCODE = 'insufficient_privilege',
				      DETAIL = format('%s is %s.', current_user,
				                      CASE WHEN level IS NULL THEN 'not a member (tailings.member)' ELSE 'a member at level ' || level END);
		END IF;
		IF OLD.created_by = current_user THEN
			RAISE EXCEPTION 'the author of submission % cannot review it', OLD.id
				USING ERRCODE = 'insufficient_privilege',
				      HINT = 'Another reviewer approves or rejects it; its author may withdraw it.';
		END IF;
		IF NEW.status = 'rejected' AND btrim(coalesce(NEW.review_note, '')) = '' THEN
			RAISE EXCEPTION 'rejecting submission % needs a note saying what to correct', OLD.id
				USING ERRCODE = 'check_violation',
				      HINT = 'SELECT tailings.reject(id, note).';
		END IF;
		NEW.reviewed_by := current_user;
		NEW.reviewed_at := now();
		IF NEW.status = 'approved' THEN
			-- one approval of the pond at a time; its elements stay as checked until commit
			PERFORM pg_advisory_xact_lock(hashtextextended('tailings.submission pond ' || OLD.pond_id, 0));
			PERFORM FROM tailings.element e WHERE e.pond_id = OLD.pond_id FOR UPDATE;
			stale := _drawing_stale(OLD.base, OLD.pond_id);
			IF stale IS NOT NULL THEN
				RAISE EXCEPTION 'the map of pond % changed after submission % was drawn', OLD.pond_id, OLD.id
					USING ERRCODE = 'serialization_failure',
					      DETAIL = 'Changed since: ' || stale || '.',
					      HINT = 'Its author imports a new drawing made from the map as it is now '
					             '(tailings.pond_geojson); reject this one with a note.';
			END IF;
		END IF;
	ELSE
		RAISE EXCEPTION 'submission % cannot go from % to %', OLD.id, OLD.status, NEW.status
			USING ERRCODE = 'check_violation', DETAIL = moves,
			      HINT = CASE WHEN OLD.status = 'draft' AND NEW.status IN ('approved', 'rejected')
			                  THEN format('Its author submits it first: SELECT tailings.submit(%s).', OLD.id)
			                  WHEN OLD.status IN ('approved', 'rejected', 'withdrawn')
			                  THEN 'A new drawing is a new submission: tailings.import_geojson(pond_id, collection).' END;
	END CASE;
	RETURN NEW;
END
$$;

-- AFTER UPDATE, submitted -> approved: the diff, applied as the reviewer, in
-- the reviewer's transaction; the change log records the submission.
CREATE FUNCTION _submission_apply() RETURNS trigger
	LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
DECLARE
	r record;
	prev text := coalesce(current_setting('tailings.submission_id', true), '');
BEGIN
	PERFORM set_config('tailings.submission_id', NEW.id::text, true);
	FOR r IN SELECT * FROM _drawing_plan(NEW.pond_id, NEW.features) x
	          WHERE x.op <> 'same'
	          ORDER BY CASE x.op WHEN 'remove' THEN 0 WHEN 'add' THEN 2 ELSE 1 END, x.feature_index, x.element_id LOOP
		CASE r.op
		WHEN 'remove' THEN
			DELETE FROM tailings.element e WHERE e.id = r.element_id;
		WHEN 'add' THEN
			INSERT INTO tailings.element (pond_id, kind, geom, name, source, accuracy_m, surveyed_on, verified_on, attrs)
			VALUES (NEW.pond_id, (r.elem).kind, (r.elem).geom, (r.elem).name, (r.elem).source, (r.elem).accuracy_m,
			        (r.elem).surveyed_on, (r.elem).verified_on, (r.elem).attrs);
		ELSE
			UPDATE tailings.element e
			   SET kind = (r.elem).kind, geom = (r.elem).geom, name = (r.elem).name, source = (r.elem).source,
			       accuracy_m = (r.elem).accuracy_m, surveyed_on = (r.elem).surveyed_on,
			       verified_on = (r.elem).verified_on, attrs = (r.elem).attrs
			 WHERE e.id = r.element_id;
		END CASE;
	END LOOP;
	PERFORM set_config('tailings.submission_id', prev, true);
	RETURN NULL;
END
$$;

-- tailings.submission_id is the transaction-local mark approve() sets for the
-- change log.  Anyone can set a setting: a change made while it is set must
-- be part of the approval of that submission, by this role, in this
-- transaction, or history would credit a submission with edits it never held.
CREATE FUNCTION _submission_mark_guard() RETURNS trigger
	LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
DECLARE
	sid text := current_setting('tailings.submission_id', true);
	row_pond bigint;
BEGIN
	IF TG_TABLE_NAME = 'element' THEN
		row_pond := CASE WHEN TG_OP = 'DELETE' THEN OLD.pond_id ELSE NEW.pond_id END;
		IF sid ~ '^[0-9]{1,18}$'
		   AND EXISTS (SELECT FROM tailings.submission s
		                WHERE s.id = sid::bigint AND s.status = 'approved' AND s.pond_id = row_pond
		                  AND s.reviewed_by = current_user AND s.reviewed_at = now()) THEN
			RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
		END IF;
	END IF;
	RAISE EXCEPTION 'tailings.submission_id is set to %, but this change is not part of approving that submission', sid
		USING ERRCODE = 'insufficient_privilege',
		      DETAIL = 'Only tailings.approve() sets it, for the element changes of the submission it approves.',
		      HINT = 'RESET tailings.submission_id;';
END
$$;
CREATE TRIGGER element_submission_mark BEFORE INSERT OR UPDATE OR DELETE ON element
	FOR EACH ROW WHEN (coalesce(current_setting('tailings.submission_id', true), '') <> '')
	EXECUTE FUNCTION _submission_mark_guard();
CREATE TRIGGER pond_submission_mark BEFORE INSERT OR UPDATE OR DELETE ON pond
	FOR EACH ROW WHEN (coalesce(current_setting('tailings.submission_id', true), '') <> '')
	EXECUTE FUNCTION _submission_mark_guard();
CREATE TRIGGER requirement_submission_mark BEFORE INSERT OR UPDATE OR DELETE ON requirement
	FOR EACH ROW WHEN (coalesce(current_setting('tailings.submission_id', true), '') <> '')
	EXECUTE FUNCTION _submission_mark_guard();

CREATE TRIGGER submission_insert BEFORE INSERT ON submission
	FOR EACH ROW EXECUTE FUNCTION _submission_insert();
CREATE TRIGGER submission_update BEFORE UPDATE ON submission
	FOR EACH ROW EXECUTE FUNCTION _submission_update();
CREATE TRIGGER submission_apply AFTER UPDATE ON submission
	FOR EACH ROW WHEN (OLD.status = 'submitted' AND NEW.status = 'approved')
	EXECUTE FUNCTION _submission_apply();
REVOKE ALL ON FUNCTION _submission_insert(), _submission_update(), _submission_apply(),
	_submission_mark_guard() FROM PUBLIC;

-- a submission is seen with its pond (_pond_visible: the pond's row-level security, per pond)
ALTER TABLE submission ENABLE ROW LEVEL SECURITY;
CREATE POLICY submission_scope ON submission
	USING (_pond_visible(pond_id))
	WITH CHECK (_pond_visible(pond_id));
REVOKE ALL ON TABLE submission FROM PUBLIC;
GRANT SELECT ON TABLE submission TO tailings_reader, tailings_enterprise, tailings_county, tailings_city,
	tailings_province;
GRANT INSERT (pond_id, features) ON TABLE submission TO tailings_enterprise, tailings_county, tailings_city,
	tailings_province;
GRANT UPDATE (status, review_note) ON TABLE submission TO tailings_enterprise, tailings_county, tailings_city,
	tailings_province;

---------------------------------------------------------------------------
-- The functions of design §7
---------------------------------------------------------------------------
CREATE FUNCTION import_geojson(pond_id bigint, collection jsonb) RETURNS bigint
	LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
DECLARE
	new_id bigint;
BEGIN
	INSERT INTO tailings.submission (pond_id, features)
	VALUES (import_geojson.pond_id, import_geojson.collection)
	RETURNING submission.id INTO new_id;
	RETURN new_id;
END
$$;
COMMENT ON FUNCTION import_geojson(bigint, jsonb) IS
	'a GeoJSON FeatureCollection (longitude/latitude, CGCS2000 or WGS 84) drawing the pond''s whole map, '
	'as a new draft submission; returns its id.  All or nothing: a bad feature is an error naming it, '
	'features[i] counted from 0 (SQLSTATE 22023 or 23514)';

-- a submission the caller sees, or P0002
CREATE FUNCTION _submission_get(submission_id bigint) RETURNS submission
	LANGUAGE plpgsql STABLE SET search_path FROM CURRENT
AS $$
DECLARE
	s tailings.submission;
BEGIN
	SELECT * INTO s FROM tailings.submission x WHERE x.id = _submission_get.submission_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'submission % does not exist', coalesce(submission_id::text, 'null')
			USING ERRCODE = 'no_data_found',
			      HINT = 'SELECT id, pond_id, status FROM tailings.submission lists the submissions you can see.';
	END IF;
	RETURN s;
END
$$;

-- The elements an approved submission added, in the order of its features
-- without id (approval inserts them in that order; the change log has them,
-- stamped with the submission and the approval's time); null otherwise.
CREATE FUNCTION _submission_new_ids(s submission) RETURNS bigint[]
	LANGUAGE sql STABLE
BEGIN ATOMIC
	SELECT CASE WHEN s.status = 'approved' THEN
	       ARRAY(SELECT c.row_id FROM change_log c
	              WHERE c.pond_id = s.pond_id AND c.changed_at = s.reviewed_at AND c.submission_id = s.id
	                AND c.table_name = 'tailings.element' AND c.op = 'I'
	              ORDER BY c.id) END;
END;

-- submission_diff and check_submission are VOLATILE so that they see a
-- submission imported in the same statement:
-- SELECT * FROM tailings.submission_diff(tailings.import_geojson(8, ...)).
CREATE FUNCTION submission_diff(submission_id bigint)
	RETURNS TABLE (op text, element_id bigint, feature_index integer, kind element_kind, name text,
	               moved_m double precision, changed text[])
	LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
DECLARE
	s tailings.submission := _submission_get(submission_id);
BEGIN
	RETURN QUERY SELECT x.op, x.element_id, x.feature_index, x.kind, x.name, x.moved_m, x.changed
	               FROM _drawing_plan(s.pond_id, s.features, _submission_new_ids(s)) x;
END
$$;
COMMENT ON FUNCTION submission_diff(bigint) IS
	'the submission against the pond''s map as it is now (what approving it would do): a row per feature (add, move, '
	'change, same; changed names the columns) and per element the drawing leaves out (remove); '
	'an approved one''s new features are the elements its approval added';

CREATE FUNCTION check_submission(submission_id bigint)
	RETURNS TABLE (rule text, category element_category, required integer, present integer,
	               passed boolean, severity text, message text)
	LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
DECLARE
	s tailings.submission := _submission_get(submission_id);
BEGIN
	RETURN QUERY SELECT c.* FROM _check_elements(s.pond_id,
		ARRAY(SELECT x.elem FROM _drawing_plan(s.pond_id, s.features, _submission_new_ids(s)) x
		       WHERE x.op <> 'remove' ORDER BY x.feature_index)) c;
END
$$;
COMMENT ON FUNCTION check_submission(bigint) IS
	'check_completeness of the map the submission would make (nothing is written); '
	'a new element without a name is named by its feature, features[i]';

CREATE FUNCTION _submission_move(submission_id bigint, status text, note text) RETURNS text
	LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
DECLARE
	cur tailings.submission := _submission_get(submission_id);
	result text;
BEGIN
	IF cur.status = _submission_move.status THEN
		RAISE EXCEPTION 'submission % is % already', cur.id, cur.status
			USING ERRCODE = 'check_violation';
	END IF;
	UPDATE tailings.submission s
	   SET status = _submission_move.status,
	       review_note = CASE WHEN _submission_move.status IN ('approved', 'rejected') THEN note ELSE s.review_note END
	 WHERE s.id = _submission_move.submission_id
	RETURNING s.status INTO result;
	RETURN result;
END
$$;

CREATE FUNCTION submit(id bigint) RETURNS text
	LANGUAGE sql SET search_path FROM CURRENT
	RETURN _submission_move(submit.id, 'submitted', NULL);
CREATE FUNCTION withdraw(id bigint) RETURNS text
	LANGUAGE sql SET search_path FROM CURRENT
	RETURN _submission_move(withdraw.id, 'withdrawn', NULL);
CREATE FUNCTION approve(id bigint, note text DEFAULT NULL) RETURNS text
	LANGUAGE sql SET search_path FROM CURRENT
	RETURN _submission_move(approve.id, 'approved', approve.note);
CREATE FUNCTION reject(id bigint, note text) RETURNS text
	LANGUAGE sql SET search_path FROM CURRENT
	RETURN _submission_move(reject.id, 'rejected', reject.note);
COMMENT ON FUNCTION submit(bigint) IS 'the author submits a draft for review; returns the new status';
COMMENT ON FUNCTION withdraw(bigint) IS 'the author withdraws a draft or a submitted drawing; returns the new status';
COMMENT ON FUNCTION approve(bigint, text) IS
	'a reviewer (county or above, pond in scope, not the author) approves: the diff is applied to the map in this '
	'transaction; refused (40001) when the map changed after the draft was made';
COMMENT ON FUNCTION reject(bigint, text) IS
	'a reviewer (county or above, pond in scope, not the author) rejects, with a note saying what to correct';

CREATE FUNCTION pond_geojson(pond_id bigint) RETURNS jsonb
	LANGUAGE plpgsql STABLE SET search_path FROM CURRENT
AS $$
DECLARE
	result jsonb;
BEGIN
	SELECT jsonb_build_object(
	           'type', 'FeatureCollection',
	           'name', p.code,
	           'crs', jsonb_build_object('type', 'name', 'properties', jsonb_build_object('name', 'urn:ogc:def:crs:EPSG::4490')),
	           'features', coalesce((SELECT jsonb_agg(_element_feature(e) ORDER BY e.id)
	                                   FROM tailings.element e WHERE e.pond_id = p.id), '[]'::jsonb))
	  INTO result
	  FROM tailings.pond p
	 WHERE p.id = pond_geojson.pond_id;
	IF result IS NULL THEN
		RAISE EXCEPTION 'pond % does not exist', coalesce(pond_id::text, 'null')
			USING ERRCODE = 'no_data_found', HINT = 'SELECT id, code, name FROM tailings.pond lists the ponds you can see.';
	END IF;
	RETURN result;
END
$$;
COMMENT ON FUNCTION pond_geojson(bigint) IS
	'the pond''s map as a GeoJSON FeatureCollection (CGCS2000 longitude/latitude), the starting point of a drawing: '
	'import_geojson reads it back unchanged';

SELECT pg_catalog.pg_extension_config_dump('submission', '');
SELECT pg_catalog.pg_extension_config_dump('submission_id_seq', '');

---------------------------------------------------------------------------
-- The pond's file (一库一档): the annual ledger and the papers (design §8)
--
-- An enterprise reports its pond's ledger (年度尾矿台账) once a year, by 31
-- January for the year before (办法 Art. 7); the bureaus read it.  The
-- amounts are never negative (23514, naming the column).  Whether each
-- year's stock agrees with the year before (stock + stored - reused) is a
-- warning, never a refusal: ledger_balance shows it, and the completeness
-- check reports it (rule ledger_balance), as it reports a late or missing
-- ledger (ledger_reported).
--
-- The papers (construction-project and environmental-management documents)
-- are filed by the enterprise or a bureau; the completeness check wants an
-- emergency plan reviewed within three years for a pond in use or
-- suspended (emergency_plan), and a discharge permit in force for a pond
-- with a discharge outlet on its map (discharge_permit).
---------------------------------------------------------------------------
CREATE TABLE ledger (
	pond_id bigint NOT NULL REFERENCES pond (id),
	year smallint NOT NULL CONSTRAINT ledger_year_range CHECK (year >= 1950),
	produced_t numeric CONSTRAINT ledger_produced_t_nonnegative CHECK (produced_t >= 0 AND produced_t < 'Infinity'),
	stored_t numeric CONSTRAINT ledger_stored_t_nonnegative CHECK (stored_t >= 0 AND stored_t < 'Infinity'),
	reused_t numeric CONSTRAINT ledger_reused_t_nonnegative CHECK (reused_t >= 0 AND reused_t < 'Infinity'),
	stock_t numeric CONSTRAINT ledger_stock_t_nonnegative CHECK (stock_t >= 0 AND stock_t < 'Infinity'),
	return_water_m3 numeric
		CONSTRAINT ledger_return_water_m3_nonnegative CHECK (return_water_m3 >= 0 AND return_water_m3 < 'Infinity'),
	discharged_m3 numeric
		CONSTRAINT ledger_discharged_m3_nonnegative CHECK (discharged_m3 >= 0 AND discharged_m3 < 'Infinity'),
	leachate_m3 numeric CONSTRAINT ledger_leachate_m3_nonnegative CHECK (leachate_m3 >= 0 AND leachate_m3 < 'Infinity'),
	leachate_treated_m3 numeric
		CONSTRAINT ledger_leachate_treated_m3_nonnegative CHECK (leachate_treated_m3 >= 0 AND leachate_treated_m3 < 'Infinity'),
	reported_on date NOT NULL DEFAULT current_date,
	PRIMARY KEY (pond_id, year)
);
COMMENT ON TABLE ledger IS
	'the annual tailings ledger (年度尾矿台账) of each pond, reported by its enterprise by 31 January for the year before '
	'(MEE Order No. 26, Measures on Tailings Pollution, Art. 7); kept permanently';
COMMENT ON COLUMN ledger.year IS 'the year the ledger is for';
COMMENT ON COLUMN ledger.produced_t IS 'tailings produced in the year, tonnes';
COMMENT ON COLUMN ledger.stored_t IS 'tailings put into the pond in the year, tonnes';
COMMENT ON COLUMN ledger.reused_t IS 'tailings reused (综合利用) in the year, tonnes';
COMMENT ON COLUMN ledger.stock_t IS
	'tailings in the pond at the end of the year, tonnes: about the year before''s stock + stored - reused (view ledger_balance)';
COMMENT ON COLUMN ledger.return_water_m3 IS 'tailings water returned to the concentrator, m³';
COMMENT ON COLUMN ledger.discharged_m3 IS 'water discharged, m³';
COMMENT ON COLUMN ledger.leachate_m3 IS 'leachate produced, m³';
COMMENT ON COLUMN ledger.leachate_treated_m3 IS 'leachate treated, m³';
COMMENT ON COLUMN ledger.reported_on IS
	'the day the ledger was reported: stamped on insert for members, who cannot change it (due by 31 January of the next year)';

-- The ledger's values beyond their types: every amount a number not below
-- zero (23514 naming the column, before the constraint of the same name says
-- it less clearly); the year not in the future; reported on a day between the
-- start of the year and tomorrow (a day's grace for time zones).
CREATE FUNCTION _ledger_validate() RETURNS trigger
	LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
DECLARE
	r jsonb;
	col text;
	v numeric;
BEGIN
	IF _restoring() THEN
		RETURN NEW;
	END IF;
	r := to_jsonb(NEW);
	FOREACH col IN ARRAY ARRAY['produced_t', 'stored_t', 'reused_t', 'stock_t', 'return_water_m3', 'discharged_m3',
	                           'leachate_m3', 'leachate_treated_m3'] LOOP
		CONTINUE WHEN r ->> col IS NULL;
		v := (r ->> col)::numeric;
		IF v < 0 OR v IN ('NaN', 'Infinity') THEN
			RAISE EXCEPTION '% of the % ledger of pond % must be a number not below zero, not %', col, NEW.year, NEW.pond_id, v
				USING ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = col,
				      CONSTRAINT = 'ledger_' || col || '_nonnegative',
				      HINT = CASE WHEN col LIKE '%\_t' THEN 'Tonnes; 0 when there were none.' ELSE 'Cubic metres; 0 when there were none.' END;
		END IF;
	END LOOP;
	IF NEW.year > extract(year FROM current_date) THEN
		RAISE EXCEPTION 'the ledger of pond % is for %, a year not yet begun', NEW.pond_id, NEW.year
			USING ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = 'year',
			      HINT = 'A year''s ledger is reported after the year, by 31 January.';
	END IF;
	IF NEW.reported_on > current_date + 1 OR NEW.reported_on < make_date(NEW.year, 1, 1) THEN
		RAISE EXCEPTION 'the % ledger of pond % cannot be reported on %', NEW.year, NEW.pond_id, to_char(NEW.reported_on, 'YYYY-MM-DD')
			USING ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = 'reported_on',
			      DETAIL = CASE WHEN NEW.reported_on > current_date + 1 THEN 'The day is in the future.'
			                    ELSE format('The day is before %s began.', NEW.year) END;
	END IF;
	RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION _ledger_validate() FROM PUBLIC;
CREATE TRIGGER ledger_validate BEFORE INSERT OR UPDATE ON ledger
	FOR EACH ROW EXECUTE FUNCTION _ledger_validate();

-- Stock against the year before.  A missing stored or reused amount counts as
-- none; a year without the year before, or a stock not given, is not compared.
CREATE VIEW ledger_balance WITH (security_invoker) AS
SELECT l.pond_id, l.year, p.stock_t AS previous_stock_t, l.stored_t, l.reused_t,
       b.expected_stock_t, l.stock_t, l.stock_t - b.expected_stock_t AS difference_t, b.tolerance_t,
       abs(l.stock_t - b.expected_stock_t) <= b.tolerance_t AS consistent
  FROM ledger l
  JOIN ledger p ON p.pond_id = l.pond_id AND p.year = l.year - 1,
       LATERAL (SELECT p.stock_t + coalesce(l.stored_t, 0) - coalesce(l.reused_t, 0) AS expected_stock_t) e,
       LATERAL (SELECT e.expected_stock_t, greatest(100, round(0.01 * abs(e.expected_stock_t), 2)) AS tolerance_t) b
 WHERE l.stock_t IS NOT NULL AND p.stock_t IS NOT NULL;
COMMENT ON VIEW ledger_balance IS
	'each year''s stock against the year before''s stock + stored - reused (missing amounts as 0); consistent within '
	'the tolerance: 1% of the expected stock, at least 100 t.  A warning (completeness rule ledger_balance), never a refusal';

CREATE TABLE document (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	pond_id bigint NOT NULL REFERENCES pond (id),
	kind text NOT NULL CHECK (kind IN ('eia_approval', 'env_acceptance', 'discharge_permit', 'emergency_plan',
	                                   'monitoring_plan', 'closure_design', 'closure_acceptance')),
	number text CHECK (btrim(number) <> ''),
	issued_on date,
	valid_until date,
	issuer text CHECK (btrim(issuer) <> ''),
	attrs jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attrs) = 'object'),
	CONSTRAINT document_valid_after_issue CHECK (valid_until >= issued_on)
);
CREATE INDEX document_pond_kind_idx ON document (pond_id, kind);
COMMENT ON TABLE document IS
	'the pond''s construction-project and environmental-management papers: EIA approval (环评批复), environmental '
	'acceptance (环保验收), discharge permit (排污许可证), emergency plan (突发环境事件应急预案), self-monitoring plan '
	'(自行监测方案), closure design and acceptance (闭库设计, 闭库验收)';
COMMENT ON COLUMN document.number IS 'the paper''s number (文号, 许可证编号, 备案编号)';
COMMENT ON COLUMN document.issued_on IS 'the day it was issued, approved or filed; a revised paper is a new row';
COMMENT ON COLUMN document.valid_until IS 'the last day it is valid; null when it does not expire';
COMMENT ON COLUMN document.issuer IS 'who issued, approved or filed it';
COMMENT ON COLUMN document.attrs IS
	'the rest: reviewed_on (an emergency plan''s latest review, YYYY-MM-DD), last_drill_on, a link to the scan, ...';

-- A paper's dates: issued not in the future (a day's grace); an emergency
-- plan's reviewed_on a date, not before its issue nor in the future.
CREATE FUNCTION _document_validate() RETURNS trigger
	LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
DECLARE
	reviewed date;
BEGIN
	IF _restoring() THEN
		RETURN NEW;
	END IF;
	IF NEW.issued_on > current_date + 1 THEN
		RAISE EXCEPTION 'the % of pond % is issued on %, in the future', NEW.kind, NEW.pond_id, to_char(NEW.issued_on, 'YYYY-MM-DD')
			USING ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = 'issued_on';
	END IF;
	IF NEW.attrs ? 'reviewed_on' AND jsonb_typeof(NEW.attrs -> 'reviewed_on') <> 'null' THEN
		reviewed := _drawing_date(NEW.attrs -> 'reviewed_on');
		IF reviewed IS NULL OR reviewed > current_date + 1 OR reviewed < NEW.issued_on THEN
			RAISE EXCEPTION 'attrs.reviewed_on of the % of pond % must be a day between its issue and today, not %',
				NEW.kind, NEW.pond_id, NEW.attrs -> 'reviewed_on'
				USING ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = 'attrs',
				      HINT = 'Write it as YYYY-MM-DD.';
		END IF;
	END IF;
	RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION _document_validate() FROM PUBLIC;
CREATE TRIGGER document_validate BEFORE INSERT OR UPDATE ON document
	FOR EACH ROW EXECUTE FUNCTION _document_validate();

-- every change in the change log (a ledger's row_id is its year)
CREATE TRIGGER ledger_track_changes AFTER INSERT OR UPDATE OR DELETE ON ledger
	FOR EACH ROW EXECUTE FUNCTION track_changes('year', 'pond_id');
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger
	FOR EACH STATEMENT EXECUTE FUNCTION _tracked_truncate_guard();
CREATE TRIGGER document_track_changes AFTER INSERT OR UPDATE OR DELETE ON document
	FOR EACH ROW EXECUTE FUNCTION track_changes();
CREATE TRIGGER document_no_truncate BEFORE TRUNCATE ON document
	FOR EACH STATEMENT EXECUTE FUNCTION _tracked_truncate_guard();
INSERT INTO tracked_table (relid, builtin) VALUES ('ledger'::regclass, true), ('document'::regclass, true);

-- Who does what: an enterprise reports its ledger (not the day it reported:
-- reported_on is stamped); the enterprise and the bureaus file papers, the
-- bureaus remove a paper filed by mistake; nobody removes a ledger.
REVOKE ALL ON TABLE ledger, document, ledger_balance FROM PUBLIC;
GRANT SELECT ON TABLE ledger, document, ledger_balance
	TO tailings_reader, tailings_enterprise, tailings_county, tailings_city, tailings_province;
GRANT INSERT (pond_id, year, produced_t, stored_t, reused_t, stock_t, return_water_m3, discharged_m3, leachate_m3,
	          leachate_treated_m3),
	UPDATE (produced_t, stored_t, reused_t, stock_t, return_water_m3, discharged_m3, leachate_m3, leachate_treated_m3)
	ON TABLE ledger TO tailings_enterprise;
GRANT INSERT (pond_id, kind, number, issued_on, valid_until, issuer, attrs),
	UPDATE (kind, number, issued_on, valid_until, issuer, attrs)
	ON TABLE document TO tailings_enterprise, tailings_county, tailings_city, tailings_province;
GRANT DELETE ON TABLE document TO tailings_county, tailings_city, tailings_province;

ALTER TABLE ledger ENABLE ROW LEVEL SECURITY;
CREATE POLICY ledger_reader ON ledger FOR SELECT TO tailings_reader USING (true);
CREATE POLICY ledger_member ON ledger FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id));
CREATE POLICY ledger_enterprise_insert ON ledger FOR INSERT TO tailings_enterprise
	WITH CHECK (_member_level() = 'enterprise' AND _pond_visible(pond_id));
CREATE POLICY ledger_enterprise_update ON ledger FOR UPDATE TO tailings_enterprise
	USING (_member_level() = 'enterprise' AND _pond_visible(pond_id))
	WITH CHECK (_member_level() = 'enterprise' AND _pond_visible(pond_id));

ALTER TABLE document ENABLE ROW LEVEL SECURITY;
CREATE POLICY document_reader ON document FOR SELECT TO tailings_reader USING (true);
CREATE POLICY document_member ON document FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id));
CREATE POLICY document_member_insert ON document FOR INSERT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	WITH CHECK (_member_level() IS NOT NULL AND _pond_visible(pond_id));
CREATE POLICY document_member_update ON document FOR UPDATE
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_member_level() IS NOT NULL AND _pond_visible(pond_id))
	WITH CHECK (_member_level() IS NOT NULL AND _pond_visible(pond_id));
CREATE POLICY document_bureau_delete ON document FOR DELETE TO tailings_county, tailings_city, tailings_province
	USING (_member_level() IN ('county', 'city', 'province') AND _pond_visible(pond_id));

SELECT pg_catalog.pg_extension_config_dump('ledger', '');
SELECT pg_catalog.pg_extension_config_dump('document', '');
SELECT pg_catalog.pg_extension_config_dump('document_id_seq', '');

---------------------------------------------------------------------------
-- Hazards and their checks: the closed loop (排查 -> 治理 -> 成效核查) (design §8)
--
-- A hazard (隐患) is found by an enterprise's self-check or by a county,
-- city, province or the ministry, often in a campaign ('2025年汛前隐患排查');
-- it may point at an element of the map, at a position on it, or at both.
-- Its enterprise rectifies it; a check (核查) by a county or a higher level
-- closes it when it passes, and sends it back to rectifying when it fails.
--
--   open -> rectifying -> rectified -> closed
--                            `-> rectifying (a failed check)
--
-- The state machine is the C trigger _hazard_guard (hazard.c), whatever
-- writes the row: each other move is refused (23514) with the allowed moves
-- in DETAIL; rectified needs rectification and rectified_on; closed needs a
-- passed check by a county or higher level dated on or after rectified_on.
-- A check is inserted only (nobody changes or deletes one); inserting one
-- moves a rectified hazard on (_hazard_check_apply).  Members act at their own
-- level: an enterprise records what its self-checks find (found_level
-- enterprise) and moves its hazards to rectifying and rectified; a county,
-- city or province records hazards and checks at its level (a province also
-- the ministry's).  A closed hazard is final.  Everything runs as the
-- caller, under row-level security by pond.
--
-- hazard_check.pond_id, beyond design §8, is the hazard's pond, copied by the
-- trigger: row-level security and the change log read it.
---------------------------------------------------------------------------
CREATE TABLE hazard (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	pond_id bigint NOT NULL REFERENCES pond (id),
	element_id bigint REFERENCES element (id) ON DELETE SET NULL,
	location geometry(Point, 4490),
	found_on date NOT NULL DEFAULT current_date,
	found_by text NOT NULL CHECK (btrim(found_by) <> ''),
	found_level text NOT NULL CHECK (found_level IN ('enterprise', 'county', 'city', 'province', 'ministry')),
	campaign text CHECK (btrim(campaign) <> ''),
	category element_category,
	severity text NOT NULL DEFAULT 'general' CHECK (severity IN ('general', 'major')),
	description text NOT NULL CHECK (btrim(description) <> ''),
	deadline date,
	status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'rectifying', 'rectified', 'closed')),
	rectification text CHECK (btrim(rectification) <> ''),
	rectified_on date,
	CONSTRAINT hazard_deadline_after_found CHECK (deadline >= found_on),
	CONSTRAINT hazard_rectified_after_found CHECK (rectified_on >= found_on),
	CONSTRAINT hazard_rectified_state CHECK (
		(status IN ('rectified', 'closed')) = (rectified_on IS NOT NULL)
		AND (status NOT IN ('rectified', 'closed') OR rectification IS NOT NULL)),
	CONSTRAINT hazard_location_in_range CHECK (
		NOT ST_IsEmpty(location) AND ST_X(location) BETWEEN -180 AND 180 AND ST_Y(location) BETWEEN -90 AND 90)
);
CREATE INDEX hazard_pond_status_idx ON hazard (pond_id, status);
CREATE INDEX hazard_element_idx ON hazard (element_id);
CREATE INDEX hazard_campaign_idx ON hazard (campaign);
CREATE INDEX hazard_open_deadline_idx ON hazard (deadline) WHERE status <> 'closed';
CREATE INDEX hazard_location_overlaps_idx ON hazard USING gist (location geometry_overlaps_ops);
COMMENT ON TABLE hazard IS
	'hazards (隐患) found at the ponds and their rectification: open -> rectifying -> rectified -> closed by a passed '
	'check (hazard_check) of a county or higher level; a failed check returns a rectified hazard to rectifying';
COMMENT ON COLUMN hazard.element_id IS 'the element of the map the hazard is at, if any (null again when the element is removed)';
COMMENT ON COLUMN hazard.location IS
	'where on the map (CGCS2000), within 5 km of the pond; the element''s point when only an element is given';
COMMENT ON COLUMN hazard.found_by IS 'who found it (the member''s display_name unless given)';
COMMENT ON COLUMN hazard.found_level IS
	'enterprise (self-check), county, city, province or ministry: a member''s own level (a province may record the ministry''s)';
COMMENT ON COLUMN hazard.campaign IS 'the campaign it was found in, by name, e.g. 2025年汛前隐患排查; null for a routine finding';
COMMENT ON COLUMN hazard.category IS 'the category of elements it concerns (the element''s unless given)';
COMMENT ON COLUMN hazard.severity IS 'general (一般) or major (重大): an open major hazard fails its pond''s completeness';
COMMENT ON COLUMN hazard.deadline IS 'the day it must be rectified by (整改期限); past it and not closed: hazard_overdue';
COMMENT ON COLUMN hazard.status IS
	'open -> rectifying -> rectified (the enterprise) -> closed (a passed check); a failed check: rectified -> rectifying';
COMMENT ON COLUMN hazard.rectification IS 'what is done or planned about it (整改措施); required from rectified on';
COMMENT ON COLUMN hazard.rectified_on IS 'the day the rectification was finished; set with rectified, cleared by a failed check';

CREATE TABLE hazard_check (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	hazard_id bigint NOT NULL REFERENCES hazard (id),
	checked_on date NOT NULL DEFAULT current_date,
	level text NOT NULL CHECK (level IN ('county', 'city', 'province', 'ministry')),
	checked_by text NOT NULL CHECK (btrim(checked_by) <> ''),
	passed boolean NOT NULL,
	note text CHECK (btrim(note) <> ''),
	pond_id bigint NOT NULL REFERENCES pond (id),
	CONSTRAINT hazard_check_failure_noted CHECK (passed OR note IS NOT NULL)
);
CREATE INDEX hazard_check_hazard_idx ON hazard_check (hazard_id, checked_on);
COMMENT ON TABLE hazard_check IS
	'checks of a hazard''s rectification (成效核查) by a county, city, province or the ministry: a passed check of a '
	'rectified hazard closes it, a failed one returns it to rectifying; never changed nor deleted';
COMMENT ON COLUMN hazard_check.level IS 'county, city, province or ministry: the member''s own level (a province may record the ministry''s)';
COMMENT ON COLUMN hazard_check.checked_by IS 'who checked (the member''s display_name unless given)';
COMMENT ON COLUMN hazard_check.note IS 'what was found; required when the check fails';
COMMENT ON COLUMN hazard_check.pond_id IS 'the hazard''s pond (copied by the trigger; for row-level security and the change log)';

-- The rules (hazard.c); the SQL they read through, as the caller (each a
-- set-returning SQL function, which the planner inlines into the C code's
-- kept plans: planned once a session, not once a row)
CREATE FUNCTION _hazard_guard() RETURNS trigger
	AS 'MODULE_PATHNAME', 'tl_hazard_guard' LANGUAGE C;
CREATE FUNCTION _hazard_check_guard() RETURNS trigger
	AS 'MODULE_PATHNAME', 'tl_hazard_check_guard' LANGUAGE C;
CREATE FUNCTION _hazard_check_apply() RETURNS trigger
	AS 'MODULE_PATHNAME', 'tl_hazard_check_apply' LANGUAGE C;
REVOKE ALL ON FUNCTION _hazard_guard(), _hazard_check_guard(), _hazard_check_apply() FROM PUBLIC;

-- the current role's member row: level and display name (none: no row)
CREATE FUNCTION _member_self() RETURNS TABLE (level text, display_name text)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT m.level, m.display_name FROM member m WHERE m.role_name = CURRENT_USER;
END;

-- an element as a hazard sees it: its pond, a point on it, its category
CREATE FUNCTION _hazard_element(element_id bigint)
	RETURNS TABLE (pond_id bigint, point geometry, category element_category)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT e.pond_id, ST_PointOnSurface(e.geom), category(e.kind) FROM element e WHERE e.id = _hazard_element.element_id;
END;

-- a hazard's position: empty, its coordinates, and (for coordinates in
-- range) its distance from the pond's registry point in metres; no row when
-- the pond is not seen
CREATE FUNCTION _hazard_place(pond_id bigint, location geometry)
	RETURNS TABLE (empty boolean, lon double precision, lat double precision, dist_m double precision)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT x.empty, x.lon, x.lat,
	       CASE WHEN NOT x.empty AND x.lon BETWEEN -180 AND 180 AND x.lat BETWEEN -90 AND 90
	            THEN ST_Distance(_hazard_place.location::geography, p.location::geography, false) END
	  FROM pond p,
	       LATERAL (SELECT ST_IsEmpty(_hazard_place.location) AS empty,
	                       CASE WHEN NOT ST_IsEmpty(_hazard_place.location) THEN ST_X(_hazard_place.location) END AS lon,
	                       CASE WHEN NOT ST_IsEmpty(_hazard_place.location) THEN ST_Y(_hazard_place.location) END AS lat) x
	 WHERE p.id = _hazard_place.pond_id;
END;

-- the checks of a hazard that decide its moves: a passed one by a county or
-- higher level and a failed one dated on or after "since", and the day of
-- its latest check
CREATE FUNCTION _hazard_checks(hazard_id bigint, since date)
	RETURNS TABLE (passed boolean, failed boolean, last_checked_on date)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT coalesce(bool_or(c.passed AND c.checked_on >= _hazard_checks.since
	                        AND c.level IN ('county', 'city', 'province', 'ministry')), false),
	       coalesce(bool_or(NOT c.passed AND c.checked_on >= _hazard_checks.since), false),
	       max(c.checked_on)
	  FROM hazard_check c WHERE c.hazard_id = _hazard_checks.hazard_id;
END;

CREATE TRIGGER hazard_guard BEFORE INSERT OR UPDATE ON hazard
	FOR EACH ROW EXECUTE FUNCTION _hazard_guard();
CREATE TRIGGER hazard_check_guard BEFORE INSERT OR UPDATE OR DELETE ON hazard_check
	FOR EACH ROW EXECUTE FUNCTION _hazard_check_guard();
CREATE TRIGGER hazard_check_verdict AFTER INSERT ON hazard_check
	FOR EACH ROW EXECUTE FUNCTION _hazard_check_apply();

CREATE TRIGGER hazard_track_changes AFTER INSERT OR UPDATE OR DELETE ON hazard
	FOR EACH ROW EXECUTE FUNCTION track_changes();
CREATE TRIGGER hazard_no_truncate BEFORE TRUNCATE ON hazard
	FOR EACH STATEMENT EXECUTE FUNCTION _tracked_truncate_guard();
CREATE TRIGGER hazard_check_track_changes AFTER INSERT OR UPDATE OR DELETE ON hazard_check
	FOR EACH ROW EXECUTE FUNCTION track_changes();
CREATE TRIGGER hazard_check_no_truncate BEFORE TRUNCATE ON hazard_check
	FOR EACH STATEMENT EXECUTE FUNCTION _tracked_truncate_guard();
INSERT INTO tracked_table (relid, builtin) VALUES ('hazard'::regclass, true), ('hazard_check'::regclass, true);

CREATE VIEW hazard_overdue WITH (security_invoker) AS
SELECT h.*, current_date - h.deadline AS days_overdue,
       p.code AS pond_code, p.name AS pond_name, p.enterprise, p.county_code
  FROM hazard h JOIN pond p ON p.id = h.pond_id
 WHERE h.status <> 'closed' AND h.deadline < current_date;
COMMENT ON VIEW hazard_overdue IS
	'hazards not closed and past their deadline, with how many days and their pond (code, name, enterprise, county)';

-- Who does what (the trigger holds members to it too, by their level): an
-- enterprise records its self-checks' hazards and rectifies; the bureaus
-- record hazards, edit what they say and when they are due, and record
-- checks; nobody deletes a hazard or changes or deletes a check.
REVOKE ALL ON TABLE hazard, hazard_check, hazard_overdue FROM PUBLIC;
GRANT SELECT ON TABLE hazard, hazard_check, hazard_overdue
	TO tailings_reader, tailings_enterprise, tailings_county, tailings_city, tailings_province;
GRANT INSERT (pond_id, element_id, location, found_on, found_by, found_level, campaign, category, severity,
	          description, deadline, rectification)
	ON TABLE hazard TO tailings_enterprise, tailings_county, tailings_city, tailings_province;
GRANT UPDATE (status, rectification, rectified_on) ON TABLE hazard TO tailings_enterprise;
GRANT UPDATE (element_id, location, campaign, category, severity, description, deadline, status)
	ON TABLE hazard TO tailings_county, tailings_city, tailings_province;
GRANT INSERT (hazard_id, checked_on, level, checked_by, passed, note)
	ON TABLE hazard_check TO tailings_county, tailings_city, tailings_province;

ALTER TABLE hazard ENABLE ROW LEVEL SECURITY;
CREATE POLICY hazard_reader ON hazard FOR SELECT TO tailings_reader USING (true);
CREATE POLICY hazard_member ON hazard FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id));
CREATE POLICY hazard_member_insert ON hazard FOR INSERT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	WITH CHECK (_member_level() IS NOT NULL AND _pond_visible(pond_id));
CREATE POLICY hazard_member_update ON hazard FOR UPDATE
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_member_level() IS NOT NULL AND _pond_visible(pond_id))
	WITH CHECK (_member_level() IS NOT NULL AND _pond_visible(pond_id));

ALTER TABLE hazard_check ENABLE ROW LEVEL SECURITY;
CREATE POLICY hazard_check_reader ON hazard_check FOR SELECT TO tailings_reader USING (true);
CREATE POLICY hazard_check_member ON hazard_check FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id));
CREATE POLICY hazard_check_bureau_insert ON hazard_check FOR INSERT TO tailings_county, tailings_city, tailings_province
	WITH CHECK (_member_level() IN ('county', 'city', 'province') AND _pond_visible(pond_id));

SELECT pg_catalog.pg_extension_config_dump('hazard', '');
SELECT pg_catalog.pg_extension_config_dump('hazard_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('hazard_check', '');
SELECT pg_catalog.pg_extension_config_dump('hazard_check_id_seq', '');

---------------------------------------------------------------------------
-- The pond's file in its completeness check (completeness.c, file_rules[])
---------------------------------------------------------------------------
-- What the file rules read of a pond, as the caller (one row; a set-returning
-- SQL function so that the check's kept plan inlines it): the ledger of the year
-- due (the day it was reported, or null), the years whose stock was compared
-- with the year before and those that disagree, the emergency plan most
-- recently reviewed (its latest review: attrs.reviewed_on or its issue), the
-- discharge permit in force longest, and the major hazards, all and not
-- closed.
CREATE FUNCTION _pond_file_facts(pond_id bigint, ledger_year smallint)
	RETURNS TABLE (ledger_reported_on date, balance_years integer, balance_off integer,
	               plan_number text, plan_reviewed_on date, plan_valid_until date, plan_found boolean,
	               permit_number text, permit_valid_until date, permit_found boolean,
	               major_hazards integer, major_open integer)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT (SELECT l.reported_on FROM ledger l
	         WHERE l.pond_id = _pond_file_facts.pond_id AND l.year = _pond_file_facts.ledger_year),
	       b.years, b.off,
	       pl.number, pl.reviewed_on, pl.valid_until, pl.id IS NOT NULL,
	       pe.number, pe.valid_until, pe.id IS NOT NULL,
	       h.major, h.open
	  FROM (SELECT count(*)::integer AS years, (count(*) FILTER (WHERE NOT lb.consistent))::integer AS off
	          FROM ledger_balance lb WHERE lb.pond_id = _pond_file_facts.pond_id) b
	  LEFT JOIN LATERAL (
	       SELECT d.id, d.number, d.valid_until, greatest(d.issued_on, _drawing_date(d.attrs -> 'reviewed_on')) AS reviewed_on
	         FROM document d
	        WHERE d.pond_id = _pond_file_facts.pond_id AND d.kind = 'emergency_plan'
	        ORDER BY 4 DESC NULLS LAST, d.valid_until DESC NULLS FIRST, d.id DESC
	        LIMIT 1) pl ON true
	  LEFT JOIN LATERAL (
	       SELECT d.id, d.number, d.valid_until
	         FROM document d
	        WHERE d.pond_id = _pond_file_facts.pond_id AND d.kind = 'discharge_permit'
	          AND (d.issued_on IS NULL OR d.issued_on <= current_date)
	        ORDER BY d.valid_until DESC NULLS FIRST, d.id DESC
	        LIMIT 1) pe ON true
	  CROSS JOIN (SELECT count(*)::integer AS major, (count(*) FILTER (WHERE x.status <> 'closed'))::integer AS open
	                FROM hazard x WHERE x.pond_id = _pond_file_facts.pond_id AND x.severity = 'major') h;
END;

-- the years whose stock disagrees with the year before, for the message
CREATE FUNCTION _ledger_off(pond_id bigint,
	OUT year smallint, OUT stock_t bigint, OUT expected_stock_t bigint, OUT difference_t bigint, OUT tolerance_t bigint)
	RETURNS SETOF record
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT b.year, round(b.stock_t)::bigint, round(b.expected_stock_t)::bigint, round(b.difference_t)::bigint,
	       round(b.tolerance_t)::bigint
	  FROM ledger_balance b
	 WHERE b.pond_id = _ledger_off.pond_id AND NOT b.consistent
	 ORDER BY b.year;
END;

-- the major hazards not closed, for the message
CREATE FUNCTION _major_hazards_open(pond_id bigint,
	OUT id bigint, OUT description text, OUT status text, OUT deadline date, OUT overdue boolean)
	RETURNS SETOF record
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT h.id, CASE WHEN length(h.description) > 30 THEN left(h.description, 30) || '…' ELSE h.description END,
	       h.status, h.deadline, h.deadline < current_date
	  FROM hazard h
	 WHERE h.pond_id = _major_hazards_open.pond_id AND h.severity = 'major' AND h.status <> 'closed'
	 ORDER BY h.id;
END;

---------------------------------------------------------------------------
-- Inspections driven by the map (三级核查 on the ground) (design §8)
--
-- A county, city or province bureau inspects a pond on the ground with its
-- map: inspection_checklist(pond_id) gives every element in a walking order
-- from the registry point; each element visited is an inspection_visit (its
-- state, where the inspector stood, a note); inspection_coverage(id) gives the
-- missed points (遗漏点位: the elements not visited) and how far each visit
-- stood from the mapped element, and flags the elements whose mapped position
-- is more than 30 m off as positions to correct (实地校核、修正数据偏差);
-- inspection_due lists the ponds short of the year's inspections.
--
-- Who: every member reads the inspections of the ponds in its scope; county,
-- city and province members record their own bureau's inspections and visits
-- (an inspection's level is its recorder's level; a bureau does not change
-- another level's records).  Enterprises read them.  Both tables are tracked
-- in the change log; row-level security follows the pond (a visit carries its
-- inspection's pond, set by its trigger).
---------------------------------------------------------------------------
CREATE TABLE inspection (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	pond_id bigint NOT NULL REFERENCES pond (id),
	level text NOT NULL CHECK (level IN ('county', 'city', 'province')),
	campaign text CHECK (btrim(campaign) <> ''),
	inspector text NOT NULL CHECK (btrim(inspector) <> ''),
	started_on date NOT NULL DEFAULT current_date,
	finished_on date,
	CONSTRAINT inspection_dates CHECK (finished_on >= started_on)
);
CREATE INDEX inspection_pond_idx ON inspection (pond_id, finished_on);
COMMENT ON TABLE inspection IS
	'inspections of a pond on the ground by a county, city or province bureau (三级核查), driven by the map';
COMMENT ON COLUMN inspection.level IS
	'the inspecting bureau''s level: county, city or province (a member records its own level''s inspections)';
COMMENT ON COLUMN inspection.campaign IS 'the campaign it belongs to, by name (e.g. 2025年汛前检查), or null';
COMMENT ON COLUMN inspection.inspector IS 'who inspected (default: the member''s display_name)';
COMMENT ON COLUMN inspection.finished_on IS
	'the day the inspection was finished; null while it runs (only finished inspections count in inspection_due)';

CREATE TABLE inspection_visit (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	inspection_id bigint NOT NULL REFERENCES inspection (id) ON DELETE CASCADE,
	element_id bigint REFERENCES element (id) ON DELETE SET NULL,
	visited_at timestamptz NOT NULL DEFAULT now(),
	position geometry(Point, 4490),
	state text NOT NULL CHECK (state IN ('normal', 'abnormal', 'out_of_service', 'not_found')),
	note text,
	pond_id bigint NOT NULL REFERENCES pond (id),
	CONSTRAINT inspection_visit_once UNIQUE (inspection_id, element_id),
	CONSTRAINT inspection_visit_position_in_range CHECK (
		NOT ST_IsEmpty(position) AND ST_X(position) BETWEEN -180 AND 180 AND ST_Y(position) BETWEEN -90 AND 90)
);
CREATE INDEX inspection_visit_element_idx ON inspection_visit (element_id);
CREATE INDEX inspection_visit_pond_idx ON inspection_visit (pond_id);
COMMENT ON TABLE inspection_visit IS
	'the elements an inspection visited: one row per element and inspection (a correction is an UPDATE)';
COMMENT ON COLUMN inspection_visit.element_id IS
	'the element visited, of the inspection''s pond; null once the element is removed from the map';
COMMENT ON COLUMN inspection_visit.position IS
	'where the inspector stood (the device''s position), CGCS2000; null without a fix';
COMMENT ON COLUMN inspection_visit.state IS
	'what the inspector found: normal 正常, abnormal 异常, out_of_service 停用, not_found 未找到';
COMMENT ON COLUMN inspection_visit.pond_id IS 'the inspection''s pond (set by the trigger; row-level security follows it)';

-- BEFORE INSERT OR UPDATE on inspection: the level and the inspector default
-- to the member's; a member records its own level's inspections; dates not in
-- the future (a day's grace for the inspector's time zone), and a finished
-- inspection's visits within its days.
CREATE FUNCTION _inspection_write() RETURNS trigger
	LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
DECLARE
	lvl text := _member_level();
BEGIN
	IF _restoring() THEN
		RETURN NEW;
	END IF;
	IF TG_OP = 'INSERT' THEN
		IF NEW.pond_id IS NULL OR NOT EXISTS (SELECT FROM tailings.pond p WHERE p.id = NEW.pond_id) THEN
			RAISE EXCEPTION 'pond % does not exist', coalesce(NEW.pond_id::text, 'null')
				USING ERRCODE = 'no_data_found', HINT = 'SELECT id, code, name FROM tailings.pond lists the ponds you can see.';
		END IF;
		IF NEW.level IS NULL AND lvl IN ('county', 'city', 'province') THEN
			NEW.level := lvl;
		END IF;
		IF NEW.inspector IS NULL THEN
			NEW.inspector := coalesce((SELECT m.display_name FROM tailings.member m WHERE m.role_name = current_user),
			                          current_user::text);
		END IF;
	ELSIF NEW.pond_id IS DISTINCT FROM OLD.pond_id OR NEW.level IS DISTINCT FROM OLD.level THEN
		RAISE EXCEPTION 'inspection % is of pond % at % level: its pond and level do not change', OLD.id, OLD.pond_id, OLD.level
			USING ERRCODE = 'check_violation',
			      HINT = 'Record another inspection; delete this one if it was recorded by mistake.';
	END IF;
	IF lvl IS NOT NULL AND NEW.level IS DISTINCT FROM lvl THEN
		RAISE EXCEPTION 'a % member records % inspections, not % ones', lvl, lvl, coalesce(NEW.level, 'null')
			USING ERRCODE = 'insufficient_privilege',
			      DETAIL = format('%s is a member at level %s.', current_user, lvl),
			      HINT = 'Leave level out: it is the member''s own.';
	END IF;
	IF NEW.started_on > current_date + 1 OR NEW.finished_on > current_date + 1 THEN
		RAISE EXCEPTION 'inspection dates are in the future (started_on %, finished_on %)',
			to_char(NEW.started_on, 'YYYY-MM-DD'), coalesce(to_char(NEW.finished_on, 'YYYY-MM-DD'), 'null')
			USING ERRCODE = 'check_violation';
	END IF;
	IF TG_OP = 'UPDATE' AND (NEW.started_on, NEW.finished_on) IS DISTINCT FROM (OLD.started_on, OLD.finished_on)
	   AND EXISTS (SELECT FROM tailings.inspection_visit v
	                WHERE v.inspection_id = NEW.id AND NOT _inspection_day_ok(NEW.started_on, NEW.finished_on, v.visited_at)) THEN
		RAISE EXCEPTION 'inspection % has visits outside % to %', NEW.id,
			to_char(NEW.started_on, 'YYYY-MM-DD'), coalesce(to_char(NEW.finished_on, 'YYYY-MM-DD'), 'today')
			USING ERRCODE = 'check_violation',
			      DETAIL = (SELECT 'Visited at ' || string_agg(to_char(v.visited_at, 'YYYY-MM-DD HH24:MI'), ', ' ORDER BY v.visited_at)
			                  FROM tailings.inspection_visit v
			                 WHERE v.inspection_id = NEW.id AND NOT _inspection_day_ok(NEW.started_on, NEW.finished_on, v.visited_at)) || '.';
	END IF;
	RETURN NEW;
END
$$;

-- a visit at "at" lies within an inspection of these days (a day's grace either side, for time zones)
CREATE FUNCTION _inspection_day_ok(started_on date, finished_on date, at timestamptz) RETURNS boolean
	LANGUAGE sql STABLE PARALLEL SAFE
RETURN at::date >= started_on - 1 AND (finished_on IS NULL OR at::date <= finished_on + 1);

-- BEFORE INSERT OR UPDATE on inspection_visit: the inspection and the element
-- as the caller sees them, the element of the inspection's pond, the visit
-- within the inspection's days and not in the future; pond_id is the
-- inspection's.
CREATE FUNCTION _inspection_visit_write() RETURNS trigger
	LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
DECLARE
	i tailings.inspection;
	e_pond bigint;
BEGIN
	IF _restoring() THEN
		RETURN NEW;
	END IF;
	IF TG_OP = 'UPDATE' AND NEW.inspection_id IS DISTINCT FROM OLD.inspection_id THEN
		RAISE EXCEPTION 'a visit stays with its inspection (%)', OLD.inspection_id
			USING ERRCODE = 'check_violation';
	END IF;
	SELECT * INTO i FROM tailings.inspection x WHERE x.id = NEW.inspection_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'inspection % does not exist', coalesce(NEW.inspection_id::text, 'null')
			USING ERRCODE = 'no_data_found',
			      HINT = 'SELECT id, pond_id, level, started_on FROM tailings.inspection lists the inspections you can see.';
	END IF;
	NEW.pond_id := i.pond_id;
	IF TG_OP = 'INSERT' AND NEW.element_id IS NULL THEN
		RAISE EXCEPTION 'a visit is of an element: element_id is missing'
			USING ERRCODE = 'not_null_violation', HINT = 'tailings.inspection_checklist(pond_id) lists the elements to visit.';
	END IF;
	-- (an UPDATE that sets it null is the foreign key's, when the element is removed)
	IF NEW.element_id IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.element_id IS DISTINCT FROM OLD.element_id) THEN
		SELECT e.pond_id INTO e_pond FROM tailings.element e WHERE e.id = NEW.element_id;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'element % does not exist', NEW.element_id
				USING ERRCODE = 'no_data_found';
		END IF;
		IF e_pond <> i.pond_id THEN
			RAISE EXCEPTION 'element % is of pond %, not of pond % that inspection % inspects', NEW.element_id, e_pond,
				i.pond_id, i.id
				USING ERRCODE = 'check_violation',
				      HINT = format('tailings.inspection_checklist(%s) lists the elements of the pond.', i.pond_id);
		END IF;
	END IF;
	IF TG_OP = 'INSERT' OR NEW.visited_at IS DISTINCT FROM OLD.visited_at THEN
		IF NEW.visited_at > now() + interval '1 day' THEN
			RAISE EXCEPTION 'the visit is in the future (%)', to_char(NEW.visited_at, 'YYYY-MM-DD HH24:MI')
				USING ERRCODE = 'check_violation';
		END IF;
		IF NOT _inspection_day_ok(i.started_on, i.finished_on, NEW.visited_at) THEN
			RAISE EXCEPTION 'the visit (%) is outside inspection % (% to %)', to_char(NEW.visited_at, 'YYYY-MM-DD HH24:MI'), i.id,
				to_char(i.started_on, 'YYYY-MM-DD'), coalesce(to_char(i.finished_on, 'YYYY-MM-DD'), 'today')
				USING ERRCODE = 'check_violation';
		END IF;
	END IF;
	IF (TG_OP = 'INSERT' OR NEW.position IS DISTINCT FROM OLD.position) AND NEW.position IS NOT NULL
	   AND ('NaN'::float8 IN (ST_X(NEW.position), ST_Y(NEW.position))
	        OR abs(ST_X(NEW.position)) = 'Infinity' OR abs(ST_Y(NEW.position)) = 'Infinity') THEN
		RAISE EXCEPTION 'the visit''s position is not finite numbers'
			USING ERRCODE = 'check_violation', HINT = 'Longitude and latitude in degrees, CGCS2000; or null without a fix.';
	END IF;
	RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION _inspection_write(), _inspection_visit_write() FROM PUBLIC;
CREATE TRIGGER inspection_write BEFORE INSERT OR UPDATE ON inspection
	FOR EACH ROW EXECUTE FUNCTION _inspection_write();
CREATE TRIGGER inspection_visit_write BEFORE INSERT OR UPDATE ON inspection_visit
	FOR EACH ROW EXECUTE FUNCTION _inspection_visit_write();

-- every change in the change log, as pond's and element's
CREATE TRIGGER inspection_track_changes AFTER INSERT OR UPDATE OR DELETE ON inspection
	FOR EACH ROW EXECUTE FUNCTION track_changes();
CREATE TRIGGER inspection_visit_track_changes AFTER INSERT OR UPDATE OR DELETE ON inspection_visit
	FOR EACH ROW EXECUTE FUNCTION track_changes();
CREATE TRIGGER inspection_no_truncate BEFORE TRUNCATE ON inspection
	FOR EACH STATEMENT EXECUTE FUNCTION _tracked_truncate_guard();
CREATE TRIGGER inspection_visit_no_truncate BEFORE TRUNCATE ON inspection_visit
	FOR EACH STATEMENT EXECUTE FUNCTION _tracked_truncate_guard();
INSERT INTO tracked_table (relid, builtin)
VALUES ('inspection'::regclass, true), ('inspection_visit'::regclass, true);

-- privileges: everyone in scope reads; county and above write their own level's
REVOKE ALL ON TABLE inspection, inspection_visit FROM PUBLIC;
GRANT SELECT ON TABLE inspection, inspection_visit
	TO tailings_reader, tailings_enterprise, tailings_county, tailings_city, tailings_province;
GRANT INSERT (pond_id, level, campaign, inspector, started_on, finished_on),
	UPDATE (campaign, inspector, started_on, finished_on), DELETE
	ON TABLE inspection TO tailings_county, tailings_city, tailings_province;
GRANT INSERT (inspection_id, element_id, visited_at, position, state, note),
	UPDATE (visited_at, position, state, note), DELETE
	ON TABLE inspection_visit TO tailings_county, tailings_city, tailings_province;

ALTER TABLE inspection ENABLE ROW LEVEL SECURITY;
CREATE POLICY inspection_reader ON inspection FOR SELECT TO tailings_reader USING (true);
CREATE POLICY inspection_member ON inspection FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id));
CREATE POLICY inspection_bureau_insert ON inspection FOR INSERT TO tailings_county, tailings_city, tailings_province
	WITH CHECK (level = _member_level() AND _pond_visible(pond_id));
CREATE POLICY inspection_bureau_update ON inspection FOR UPDATE TO tailings_county, tailings_city, tailings_province
	USING (level = _member_level() AND _pond_visible(pond_id))
	WITH CHECK (level = _member_level() AND _pond_visible(pond_id));
CREATE POLICY inspection_bureau_delete ON inspection FOR DELETE TO tailings_county, tailings_city, tailings_province
	USING (level = _member_level() AND _pond_visible(pond_id));

-- a visit is written by a member of its inspection's level (the inspection as the caller sees it)
CREATE FUNCTION _inspection_writable(inspection_id bigint) RETURNS boolean
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT EXISTS (SELECT FROM inspection i
	                WHERE i.id = _inspection_writable.inspection_id AND i.level = _member_level());
END;
ALTER TABLE inspection_visit ENABLE ROW LEVEL SECURITY;
CREATE POLICY inspection_visit_reader ON inspection_visit FOR SELECT TO tailings_reader USING (true);
CREATE POLICY inspection_visit_member ON inspection_visit FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id));
CREATE POLICY inspection_visit_bureau_insert ON inspection_visit FOR INSERT
	TO tailings_county, tailings_city, tailings_province
	WITH CHECK (_pond_visible(pond_id) AND _inspection_writable(inspection_id));
CREATE POLICY inspection_visit_bureau_update ON inspection_visit FOR UPDATE
	TO tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id) AND _inspection_writable(inspection_id))
	WITH CHECK (_pond_visible(pond_id) AND _inspection_writable(inspection_id));
CREATE POLICY inspection_visit_bureau_delete ON inspection_visit FOR DELETE
	TO tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id) AND _inspection_writable(inspection_id));

---------------------------------------------------------------------------
-- The checklist: every element, in walking order from the registry point
---------------------------------------------------------------------------
-- Metres per degree of longitude (kx) and latitude (ky) at a latitude, on the
-- CGCS2000 ellipsoid (a = 6378137 m, f = 1/298.257222101): a pond's elements,
-- within a few kilometres of its registry point, are laid on a local plane
-- with them (an error of well under 0.1 % there).
CREATE FUNCTION _metres_per_degree(lat double precision, OUT kx double precision, OUT ky double precision)
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT pi() / 180 * 6378137 * cosd(lat) / sqrt(1 - 0.0066943800229 * sind(lat) ^ 2),
	       pi() / 180 * 6378137 * (1 - 0.0066943800229) / (1 - 0.0066943800229 * sind(lat) ^ 2) ^ 1.5;
END;

CREATE FUNCTION _walk_order(x0 double precision, y0 double precision, x double precision[], y double precision[])
	RETURNS integer[]
	AS 'MODULE_PATHNAME', 'tl_walk_order' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _walk_order(double precision, double precision, double precision[], double precision[]) IS
	'the stops (x[i], y[i]), metres on a plane, in the order of a short open walk from (x0, y0): the order given, '
	'improved by 2-opt and Or-opt moves until none shortens it; returns the indexes of x and y in walking order';

-- The walk: from the registry point, the nearest element next (an element's
-- stop is its point nearest to where the walker stands: a point is itself, a
-- line or an area the point of it nearest the walker; ties by element id);
-- then, after the areas the walk starts in, 2-opt and Or-opt over the stops
-- (_walk_order), each stop moved again to its element's point nearest the
-- stop before it, for as long as that shortens the walk.
CREATE FUNCTION inspection_checklist(pond_id bigint)
	RETURNS TABLE (seq integer, element_id bigint, kind element_kind, name text, lon double precision,
	               lat double precision)
	LANGUAGE plpgsql STABLE SET search_path FROM CURRENT
AS $$
DECLARE
	p tailings.pond;
	lon0 double precision;
	lat0 double precision;
	kx double precision;
	ky double precision;
	ids bigint[];
	kinds tailings.element_kind[];
	names text[];
	points boolean[];
	geoms geometry[];
	n integer;
	taken boolean[];
	origin constant geometry := 'POINT(0 0)'::geometry;
	cur geometry;
	stop geometry;
	ord integer[] := '{}';
	stops geometry[] := '{}';
	best double precision := 0;
	len double precision;
	perm integer[];
	cand integer[];
	cand_stops geometry[];
	k integer;
	here integer;
BEGIN
	SELECT * INTO p FROM tailings.pond x WHERE x.id = inspection_checklist.pond_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'pond % does not exist', coalesce(inspection_checklist.pond_id::text, 'null')
			USING ERRCODE = 'no_data_found', HINT = 'SELECT id, code, name FROM tailings.pond lists the ponds you can see.';
	END IF;
	lon0 := ST_X(p.location);
	lat0 := ST_Y(p.location);
	SELECT m.kx, m.ky INTO kx, ky FROM _metres_per_degree(lat0) m;
	-- the elements on the local plane, metres east and north of the registry point
	SELECT array_agg(e.id ORDER BY e.id), array_agg(e.kind ORDER BY e.id), array_agg(e.name ORDER BY e.id),
	       array_agg(GeometryType(e.geom) = 'POINT' ORDER BY e.id),
	       array_agg(ST_Affine(ST_SetSRID(e.geom, 0), kx, 0, 0, ky, -lon0 * kx, -lat0 * ky) ORDER BY e.id)
	  INTO ids, kinds, names, points, geoms
	  FROM tailings.element e
	 WHERE e.pond_id = p.id;
	n := coalesce(cardinality(ids), 0);
	IF n = 0 THEN
		RETURN;
	END IF;

	-- nearest neighbour
	taken := array_fill(false, ARRAY[n]);
	cur := origin;
	FOR step IN 1..n LOOP
		SELECT g.i INTO k
		  FROM generate_subscripts(ids, 1) g(i)
		 WHERE NOT taken[g.i]
		 ORDER BY ST_Distance(geoms[g.i], cur), ids[g.i]
		 LIMIT 1;
		stop := ST_ClosestPoint(geoms[k], cur);
		best := best + ST_Distance(cur, stop);
		taken[k] := true;
		ord := ord || k;
		stops := stops || stop;
		cur := stop;
	END LOOP;

	-- the elements the walker stands in at the start (an area around the
	-- registry point) are visited there, first; the rest of the walk is
	-- improved: 2-opt and Or-opt over the stops, the stops moved to their
	-- elements' nearest points, while that shortens it
	here := 0;
	WHILE here < n AND ST_Distance(geoms[ord[here + 1]], origin) = 0 LOOP
		here := here + 1;
	END LOOP;
	FOR pass IN 1..10 LOOP
		EXIT WHEN n - here < 2;
		perm := _walk_order(0, 0, ARRAY(SELECT ST_X(s.g) FROM unnest(stops[here + 1:n]) WITH ORDINALITY s(g, o) ORDER BY s.o),
		                    ARRAY(SELECT ST_Y(s.g) FROM unnest(stops[here + 1:n]) WITH ORDINALITY s(g, o) ORDER BY s.o));
		cand := ord[1:here] || ARRAY(SELECT ord[here + q.j] FROM unnest(perm) WITH ORDINALITY q(j, o) ORDER BY q.o);
		cand_stops := stops[1:here];
		cur := origin;
		len := 0;
		FOREACH k IN ARRAY cand[here + 1:n] LOOP
			stop := ST_ClosestPoint(geoms[k], cur);
			len := len + ST_Distance(cur, stop);
			cand_stops := cand_stops || stop;
			cur := stop;
		END LOOP;
		EXIT WHEN len >= best - 1e-6;
		ord := cand;
		stops := cand_stops;
		best := len;
	END LOOP;

	FOR j IN 1..n LOOP
		k := ord[j];
		seq := j;
		element_id := ids[k];
		kind := kinds[k];
		name := names[k];
		IF points[k] THEN
			-- a point is where it is drawn
			SELECT ST_X(e.geom), ST_Y(e.geom) INTO lon, lat FROM tailings.element e WHERE e.id = ids[k];
		ELSE
			lon := round((lon0 + ST_X(stops[j]) / kx)::numeric, 9)::double precision;
			lat := round((lat0 + ST_Y(stops[j]) / ky)::numeric, 9)::double precision;
		END IF;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION inspection_checklist(bigint) IS
	'every element of the pond to visit, in walking order from the registry point (nearest neighbour, improved by '
	'2-opt and Or-opt); lon, lat: the point to walk to (CGCS2000), for a line or an area its point nearest the stop before';

---------------------------------------------------------------------------
-- Coverage: the missed points and the offsets
---------------------------------------------------------------------------
-- The pond's elements (as the map is now, less those added to the map after
-- the inspection was recorded as finished: they were not on its checklist;
-- an inspection entered afterwards, of an earlier day, keeps every element
-- mapped before it was entered), each with its
-- visit: visited or missed (遗漏点位), the state found, and offset_m, the
-- distance on the ellipsoid from where the inspector stood to the mapped
-- element (0 inside an area).  An element found more than 30 m from where it
-- is mapped is a map position to correct (to_correct), for the ground check
-- (实地校核、修正数据偏差); one not found is not (it is a finding, not an offset).
CREATE FUNCTION inspection_coverage(inspection_id bigint)
	RETURNS TABLE (element_id bigint, kind element_kind, name text, visited boolean, state text,
	               offset_m double precision, to_correct boolean)
	LANGUAGE plpgsql STABLE SET search_path FROM CURRENT
AS $$
DECLARE
	i tailings.inspection;
	finished_at timestamptz;
BEGIN
	SELECT * INTO i FROM tailings.inspection x WHERE x.id = inspection_coverage.inspection_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'inspection % does not exist', coalesce(inspection_coverage.inspection_id::text, 'null')
			USING ERRCODE = 'no_data_found',
			      HINT = 'SELECT id, pond_id, level, started_on FROM tailings.inspection lists the inspections you can see.';
	END IF;
	-- when the inspection was recorded as finished (the change log's last setting of finished_on)
	IF i.finished_on IS NOT NULL THEN
		SELECT max(c.changed_at) INTO finished_at
		  FROM tailings.change_log c
		 WHERE c.pond_id = i.pond_id AND c.table_name = 'tailings.inspection' AND c.row_id = i.id
		   AND c.new_row ->> 'finished_on' IS NOT NULL AND (c.op = 'I' OR 'finished_on' = ANY (c.changed));
	END IF;
	RETURN QUERY
	SELECT e.id, e.kind, e.name, v.id IS NOT NULL, v.state, d.offset_m,
	       coalesce(v.state <> 'not_found' AND d.offset_m > 30, false)
	  FROM tailings.element e
	  LEFT JOIN tailings.inspection_visit v ON v.inspection_id = i.id AND v.element_id = e.id
	  CROSS JOIN LATERAL (SELECT ST_Distance(v.position::geography, e.geom::geography, true) AS offset_m) d
	 WHERE e.pond_id = i.pond_id
	   AND (finished_at IS NULL OR v.id IS NOT NULL
	        OR NOT EXISTS (SELECT FROM tailings.change_log c
	                        WHERE c.pond_id = i.pond_id AND c.changed_at > finished_at
	                          AND c.table_name = 'tailings.element' AND c.row_id = e.id AND c.op = 'I'))
	 ORDER BY e.id;
END
$$;
COMMENT ON FUNCTION inspection_coverage(bigint) IS
	'the pond''s elements and the inspection''s visits: visited (false: a missed point, 遗漏点位), the state found, '
	'offset_m from where the inspector stood to the mapped element (metres, ellipsoid), to_correct when a found '
	'element is more than 30 m from its mapped position';

---------------------------------------------------------------------------
-- The inspections due
---------------------------------------------------------------------------
-- City inspections: a level 1 pond at least twice a year, one of them before
-- the flood season (finished before 1 June); a level 2 pond at least once a
-- year; level 3 ponds by random spot checks (not due).  Counted on a day:
-- the inspections finished from 1 January of its year to that day, at any
-- bureau level.  A row per pond short of them, naming what is missing (in
-- tailings.language); due_by is the day by which the next missing one is due
-- (31 May for the pre-flood one, else 31 December); overdue when that day has
-- passed.
CREATE FUNCTION inspection_due_on(day date)
	RETURNS TABLE (pond_id bigint, code text, name text, county_code text, supervision_level smallint,
	               year integer, required integer, done integer, done_before_flood integer, due_by date,
	               overdue boolean, missing text)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	WITH c AS (
		SELECT p.id, p.code, p.name, p.county_code, p.supervision_level,
		       extract(year FROM inspection_due_on.day)::integer AS y,
		       CASE p.supervision_level WHEN 1 THEN 2 ELSE 1 END AS required,
		       count(i.id)::integer AS done,
		       count(i.id) FILTER (WHERE i.finished_on < make_date(extract(year FROM inspection_due_on.day)::integer, 6, 1))::integer
		           AS done_before_flood
		  FROM pond p
		  LEFT JOIN inspection i
		         ON i.pond_id = p.id AND i.finished_on <= inspection_due_on.day
		        AND i.finished_on >= make_date(extract(year FROM inspection_due_on.day)::integer, 1, 1)
		 WHERE p.supervision_level IN (1, 2)
		 GROUP BY p.id),
	s AS (
		SELECT c.*, c.supervision_level = 1 AND c.done_before_flood = 0 AS flood_missing,
		       greatest(c.required - c.done, 0) AS more,
		       coalesce(current_setting('tailings.language', true), 'zh') = 'en' AS en
		  FROM c)
	SELECT s.id, s.code, s.name, s.county_code, s.supervision_level, s.y, s.required, s.done, s.done_before_flood,
	       CASE WHEN s.flood_missing AND inspection_due_on.day <= make_date(s.y, 5, 31) THEN make_date(s.y, 5, 31)
	            ELSE make_date(s.y, 12, 31) END,
	       s.flood_missing AND inspection_due_on.day > make_date(s.y, 5, 31),
	       concat_ws(CASE WHEN s.en THEN '; ' ELSE '；' END,
	                 CASE WHEN s.flood_missing THEN
	                      CASE WHEN s.en THEN 'an inspection before the flood season (before 1 June)'
	                                          || CASE WHEN inspection_due_on.day > make_date(s.y, 5, 31) THEN ', missed' ELSE '' END
	                           ELSE '汛期前（6月1日前）检查' || CASE WHEN inspection_due_on.day > make_date(s.y, 5, 31) THEN '（已逾期）' ELSE '' END
	                      END END,
	                 CASE WHEN s.more > 0 THEN
	                      CASE WHEN s.en THEN format('%s more inspection%s in %s (at least %s a year, %s done)', s.more,
	                                                 CASE WHEN s.more > 1 THEN 's' ELSE '' END, s.y, s.required, s.done)
	                           ELSE format('%s年还需检查%s次（每年至少%s次，已检查%s次）', s.y, s.more, s.required, s.done)
	                      END END)
	  FROM s
	 WHERE s.flood_missing OR s.more > 0
	 ORDER BY s.supervision_level, s.code;
END;
COMMENT ON FUNCTION inspection_due_on(date) IS
	'the level 1 and 2 ponds short of their inspections on that day (level 1: two a year, one finished before 1 June; '
	'level 2: one a year), naming what is missing in tailings.language';

CREATE VIEW inspection_due WITH (security_invoker) AS
SELECT * FROM inspection_due_on(current_date);
COMMENT ON VIEW inspection_due IS
	'the level 1 and 2 ponds short of this year''s inspections today (inspection_due_on(current_date))';
GRANT SELECT ON TABLE inspection_due TO tailings_reader, tailings_enterprise, tailings_county, tailings_city,
	tailings_province;

SELECT pg_catalog.pg_extension_config_dump('inspection', '');
SELECT pg_catalog.pg_extension_config_dump('inspection_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('inspection_visit', '');
SELECT pg_catalog.pg_extension_config_dump('inspection_visit_id_seq', '');

---------------------------------------------------------------------------
-- Groundwater monitoring against GB/T 14848-2017 class III (design §8)
--
-- The enterprise runs the monitoring of its pond's wells (GB 18599 10.3;
-- 办法 Art. 18): it records each sample's value (sample); every member in
-- scope reads them.  gw_limit holds the class III limits of GB/T 14848-2017
-- (city and above may add reference values of their own, marked by source);
-- monitoring_assessment(pond_id) gives each well's latest value of each
-- parameter against its limit and against the pond's background well; the
-- groundwater layer of the tiles carries each well's state (gw_state:
-- exceeds, ok, no_data).
---------------------------------------------------------------------------
CREATE TABLE gw_limit (
	parameter text PRIMARY KEY CHECK (parameter ~ '^[A-Za-z][A-Za-z0-9_]*$'),
	max_value double precision,
	min_value double precision,
	unit text NOT NULL DEFAULT 'mg/L' CHECK (btrim(unit) <> ''),
	label_zh text NOT NULL CHECK (btrim(label_zh) <> ''),
	label_en text NOT NULL CHECK (btrim(label_en) <> ''),
	aliases text[] NOT NULL DEFAULT '{}' CHECK (array_ndims(aliases) IS NULL OR array_ndims(aliases) = 1),
	source text NOT NULL DEFAULT 'GB/T 14848-2017 III类' CHECK (btrim(source) <> ''),
	builtin boolean NOT NULL DEFAULT false,
	id integer GENERATED ALWAYS AS IDENTITY UNIQUE,
	CONSTRAINT gw_limit_bounds CHECK (
		(max_value IS NOT NULL OR min_value IS NOT NULL)
		AND max_value >= 0 AND max_value < 'Infinity' AND min_value >= 0 AND min_value < 'Infinity'
		AND min_value <= max_value)
);
COMMENT ON TABLE gw_limit IS
	'groundwater quality limits a sample is judged by: GB/T 14848-2017 class III (III类) as shipped; '
	'a row of another source (e.g. GB 3838-2002 Table 3 for vanadium) says so in source';
COMMENT ON COLUMN gw_limit.parameter IS 'the parameter''s code, as samples name it';
COMMENT ON COLUMN gw_limit.max_value IS 'the highest value within the limit, in unit; null for none';
COMMENT ON COLUMN gw_limit.min_value IS 'the lowest value within the limit (pH 6.5), in unit; null for none';
COMMENT ON COLUMN gw_limit.aliases IS 'other names a sample may give (symbols such as Mn); matched without regard to case';
COMMENT ON COLUMN gw_limit.source IS 'the standard the limit comes from';
COMMENT ON COLUMN gw_limit.builtin IS 'a limit shipped with the extension (it may be edited, not deleted)';
COMMENT ON CONSTRAINT gw_limit_bounds ON gw_limit IS
	'a maximum or a minimum (or both), finite and not negative, the minimum not above the maximum';

-- GB/T 14848-2017 《地下水质量标准》 Table 1 and Table 2, class III (shared/domain.md).
INSERT INTO gw_limit (parameter, max_value, min_value, unit, label_zh, label_en, aliases, builtin) VALUES
('pH', 8.5, 6.5, '无量纲', 'pH', 'pH', '{}', true),
('total_hardness', 450, NULL, 'mg/L', '总硬度（以CaCO₃计）', 'Total hardness (as CaCO3)', '{总硬度}', true),
('tds', 1000, NULL, 'mg/L', '溶解性总固体', 'Total dissolved solids', '{TDS}', true),
('sulfate', 250, NULL, 'mg/L', '硫酸盐', 'Sulfate', '{SO4,硫酸根}', true),
('chloride', 250, NULL, 'mg/L', '氯化物', 'Chloride', '{Cl,氯离子}', true),
('iron', 0.3, NULL, 'mg/L', '铁', 'Iron', '{Fe}', true),
('manganese', 0.10, NULL, 'mg/L', '锰', 'Manganese', '{Mn}', true),
('cod_mn', 3.0, NULL, 'mg/L', '耗氧量（COD_Mn法，以O₂计）', 'Permanganate index (COD_Mn, as O2)', '{CODMn,耗氧量}', true),
('ammonia_n', 0.50, NULL, 'mg/L', '氨氮（以N计）', 'Ammonia nitrogen (as N)', '{NH3-N,氨氮}', true),
('nitrite_n', 1.00, NULL, 'mg/L', '亚硝酸盐（以N计）', 'Nitrite (as N)', '{NO2-N,亚硝酸盐,亚硝酸盐氮}', true),
('nitrate_n', 20.0, NULL, 'mg/L', '硝酸盐（以N计）', 'Nitrate (as N)', '{NO3-N,硝酸盐,硝酸盐氮}', true),
('fluoride', 1.0, NULL, 'mg/L', '氟化物', 'Fluoride', '{F}', true),
('mercury', 0.001, NULL, 'mg/L', '汞', 'Mercury', '{Hg}', true),
('arsenic', 0.01, NULL, 'mg/L', '砷', 'Arsenic', '{As}', true),
('cadmium', 0.005, NULL, 'mg/L', '镉', 'Cadmium', '{Cd}', true),
('chromium_vi', 0.05, NULL, 'mg/L', '铬（六价）', 'Chromium (VI)', '{Cr6+,Cr(VI),六价铬}', true),
('lead', 0.01, NULL, 'mg/L', '铅', 'Lead', '{Pb}', true),
('copper', 1.00, NULL, 'mg/L', '铜', 'Copper', '{Cu}', true),
('zinc', 1.00, NULL, 'mg/L', '锌', 'Zinc', '{Zn}', true),
('aluminium', 0.20, NULL, 'mg/L', '铝', 'Aluminium', '{Al,aluminum}', true),
('volatile_phenol', 0.002, NULL, 'mg/L', '挥发性酚类（以苯酚计）', 'Volatile phenols (as phenol)', '{挥发酚}', true),
('sulfide', 0.02, NULL, 'mg/L', '硫化物', 'Sulfide', '{}', true),
('sodium', 200, NULL, 'mg/L', '钠', 'Sodium', '{Na}', true),
('cyanide', 0.05, NULL, 'mg/L', '氰化物', 'Cyanide', '{CN}', true),
('iodide', 0.08, NULL, 'mg/L', '碘化物', 'Iodide', '{}', true),
('selenium', 0.01, NULL, 'mg/L', '硒', 'Selenium', '{Se}', true),
('nickel', 0.02, NULL, 'mg/L', '镍', 'Nickel', '{Ni}', true),
('cobalt', 0.05, NULL, 'mg/L', '钴', 'Cobalt', '{Co}', true);

-- As for the template: shipped limits are edited, not deleted, and a dump's
-- row of one (pg_restore) replaces the freshly shipped row of its parameter.
CREATE FUNCTION _gw_limit_guard() RETURNS trigger
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		RAISE EXCEPTION 'the limit of % is shipped with the extension (%) and cannot be deleted', OLD.parameter, OLD.source
			USING ERRCODE = 'restrict_violation',
			      HINT = 'Edit its values if the standard says otherwise.';
	END IF;
	DELETE FROM tailings.gw_limit g WHERE g.builtin AND g.parameter = NEW.parameter;
	RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION _gw_limit_guard() FROM PUBLIC;
CREATE TRIGGER gw_limit_guard_insert BEFORE INSERT ON gw_limit
	FOR EACH ROW WHEN (NEW.builtin) EXECUTE FUNCTION _gw_limit_guard();
CREATE TRIGGER gw_limit_guard_delete BEFORE DELETE ON gw_limit
	FOR EACH ROW WHEN (OLD.builtin AND pg_trigger_depth() < 1) EXECUTE FUNCTION _gw_limit_guard();

-- A unit written the one way: lower case, no spaces, µ (either sign) as u,
-- and every way of saying "no unit" (pH) as 无量纲.
CREATE FUNCTION _unit_norm(unit text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT CASE WHEN u IN ('无量纲', 'ph', '-', '1', 'none', 'dimensionless', 'unitless') THEN '无量纲' ELSE u END
	  FROM (SELECT replace(replace(replace(lower(_unit_norm.unit), ' ', ''), 'µ', 'u'), 'μ', 'u') AS u) x;
END;

-- How many of unit "to" one of unit "from" is (exact, numeric), for
-- concentrations (g/L, mg/L, µg/L, ng/L) and a unit to itself; null when one
-- cannot be turned into the other.
CREATE FUNCTION _unit_factor(from_unit text, to_unit text) RETURNS numeric
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT CASE WHEN _unit_norm(_unit_factor.from_unit) = _unit_norm(_unit_factor.to_unit) THEN 1::numeric
	            ELSE a.g / b.g END
	  FROM (SELECT CASE _unit_norm(_unit_factor.from_unit) WHEN 'g/l' THEN 1 WHEN 'mg/l' THEN 0.001
	                    WHEN 'ug/l' THEN 0.000001 WHEN 'ng/l' THEN 0.000000001 END::numeric AS g) a,
	       (SELECT CASE _unit_norm(_unit_factor.to_unit) WHEN 'g/l' THEN 1 WHEN 'mg/l' THEN 0.001
	                    WHEN 'ug/l' THEN 0.000001 WHEN 'ng/l' THEN 0.000000001 END::numeric AS g) b;
END;

-- a value in another unit, exactly (null when the units do not convert)
CREATE FUNCTION _unit_convert(value double precision, from_unit text, to_unit text) RETURNS double precision
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (_unit_convert.value::numeric * _unit_factor(_unit_convert.from_unit, _unit_convert.to_unit))::double precision;

-- the limit a parameter's name (its code, English or Chinese label, or an alias, in any case) stands for
CREATE FUNCTION _gw_parameter(name text) RETURNS gw_limit
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT g.* FROM gw_limit g
	 WHERE lower(g.parameter) = lower(btrim(_gw_parameter.name)) OR lower(g.label_en) = lower(btrim(_gw_parameter.name))
	    OR g.label_zh = btrim(_gw_parameter.name)
	    OR lower(btrim(_gw_parameter.name)) IN (SELECT lower(a) FROM unnest(g.aliases) a)
	 ORDER BY lower(g.parameter) = lower(btrim(_gw_parameter.name)) DESC, g.parameter
	 LIMIT 1;
END;

CREATE TABLE sample (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	element_id bigint REFERENCES element (id) ON DELETE SET NULL,
	sampled_on date NOT NULL,
	parameter text NOT NULL CHECK (btrim(parameter) <> ''),
	value double precision NOT NULL,
	unit text NOT NULL DEFAULT 'mg/L' CHECK (btrim(unit) <> ''),
	pond_id bigint NOT NULL REFERENCES pond (id),
	location geometry(Point, 4490),
	CONSTRAINT sample_once UNIQUE (element_id, parameter, sampled_on),
	CONSTRAINT sample_value_finite CHECK (value >= 0 AND value < 'Infinity')
);
CREATE INDEX sample_pond_idx ON sample (pond_id);
COMMENT ON TABLE sample IS
	'groundwater samples of the ponds'' wells, recorded by the enterprise that runs the monitoring: one value of a '
	'parameter at a well on a day';
COMMENT ON COLUMN sample.element_id IS 'the well (an element of the groundwater category); null once it is removed from the map';
COMMENT ON COLUMN sample.parameter IS
	'the parameter: a gw_limit code (a label or an alias is stored as its code), or another name (no limit then)';
COMMENT ON COLUMN sample.unit IS
	'the value''s unit; a concentration is judged in its limit''s unit (µg/L and mg/L are converted); pH has none';
COMMENT ON COLUMN sample.pond_id IS 'the well''s pond (set by the trigger; row-level security follows it)';
COMMENT ON COLUMN sample.location IS
	'the well''s point when the sample was last written (set by the trigger): where the change shows on the map';
COMMENT ON CONSTRAINT sample_value_finite ON sample IS 'a value is a finite number, not negative';

-- BEFORE INSERT OR UPDATE on sample: the well as the caller sees it (an
-- element of the groundwater category; its pond and point are the sample's),
-- the parameter's name as its code, the unit of the limit (pH has none;
-- concentrations in a unit that converts), the day not in the future.
CREATE FUNCTION _sample_write() RETURNS trigger
	LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
DECLARE
	e tailings.element;
	g tailings.gw_limit;
BEGIN
	IF _restoring() THEN
		RETURN NEW;
	END IF;
	IF TG_OP = 'INSERT' AND NEW.element_id IS NULL THEN
		RAISE EXCEPTION 'a sample is of a well: element_id is missing'
			USING ERRCODE = 'not_null_violation';
	END IF;
	IF TG_OP = 'UPDATE' THEN
		NEW.pond_id := OLD.pond_id;
		NEW.location := OLD.location;
	END IF;
	-- (an UPDATE that sets element_id null is the foreign key's, when the well is removed)
	IF NEW.element_id IS NOT NULL THEN
		SELECT * INTO e FROM tailings.element x WHERE x.id = NEW.element_id;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'well % does not exist', NEW.element_id
				USING ERRCODE = 'no_data_found',
				      HINT = 'SELECT id, kind, name FROM tailings.element WHERE tailings.category(kind) = ''groundwater'' lists the wells you can see.';
		END IF;
		IF category(e.kind) <> 'groundwater' THEN
			RAISE EXCEPTION 'element % (%) is not a groundwater well', e.id, coalesce(e.name, e.kind::text)
				USING ERRCODE = 'check_violation',
				      HINT = 'Samples are of the wells: gw_background_well, gw_monitoring_well, gw_diffusion_well, gw_outlet_well.';
		END IF;
		IF TG_OP = 'UPDATE' AND e.pond_id <> OLD.pond_id THEN
			RAISE EXCEPTION 'well % is of pond %, not of pond % the sample belongs to', e.id, e.pond_id, OLD.pond_id
				USING ERRCODE = 'check_violation', HINT = 'Delete the sample and record it at the other well.';
		END IF;
		NEW.pond_id := e.pond_id;
		NEW.location := ST_PointOnSurface(e.geom);
	END IF;
	IF TG_OP = 'INSERT' OR NEW.parameter IS DISTINCT FROM OLD.parameter OR NEW.unit IS DISTINCT FROM OLD.unit THEN
		NEW.parameter := btrim(NEW.parameter);
		NEW.unit := btrim(NEW.unit);
		g := _gw_parameter(NEW.parameter);
		IF g.parameter IS NOT NULL THEN
			NEW.parameter := g.parameter;
			-- a parameter without a unit (pH) is never in mg/L, the column's default
			IF _unit_factor(g.unit, 'mg/L') IS NULL AND NEW.unit = 'mg/L' THEN
				NEW.unit := g.unit;
			END IF;
			IF _unit_factor(NEW.unit, g.unit) IS NULL THEN
				RAISE EXCEPTION 'a value of % in % cannot be judged against its limit in %', g.parameter, NEW.unit, g.unit
					USING ERRCODE = 'check_violation',
					      HINT = format('Give the value in %s%s.', g.unit,
					                    CASE WHEN _unit_factor(g.unit, 'mg/L') IS NOT NULL THEN ' (or g/L, µg/L, ng/L)' ELSE '' END);
			END IF;
		END IF;
	END IF;
	IF NEW.value = 'NaN' THEN
		RAISE EXCEPTION 'the value of % is not a number', NEW.parameter
			USING ERRCODE = 'check_violation';
	END IF;
	IF NEW.parameter = 'pH' AND NEW.value > 14 THEN
		RAISE EXCEPTION 'a pH of % is not possible', NEW.value
			USING ERRCODE = 'check_violation', HINT = 'pH is between 0 and 14.';
	END IF;
	IF NEW.sampled_on > current_date + 1 THEN
		RAISE EXCEPTION 'the sample is dated in the future (%)', to_char(NEW.sampled_on, 'YYYY-MM-DD')
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION _sample_write() FROM PUBLIC;
CREATE TRIGGER sample_write BEFORE INSERT OR UPDATE ON sample
	FOR EACH ROW EXECUTE FUNCTION _sample_write();

-- every change in the change log: a sample with the well's point (the tile
-- server redraws the well), a limit without a pond (every well may change)
CREATE TRIGGER sample_track_changes AFTER INSERT OR UPDATE OR DELETE ON sample
	FOR EACH ROW EXECUTE FUNCTION track_changes();
CREATE TRIGGER gw_limit_track_changes AFTER INSERT OR UPDATE OR DELETE ON gw_limit
	FOR EACH ROW EXECUTE FUNCTION track_changes('id', '');
CREATE TRIGGER sample_no_truncate BEFORE TRUNCATE ON sample
	FOR EACH STATEMENT EXECUTE FUNCTION _tracked_truncate_guard();
CREATE TRIGGER gw_limit_no_truncate BEFORE TRUNCATE ON gw_limit
	FOR EACH STATEMENT EXECUTE FUNCTION _tracked_truncate_guard();
INSERT INTO tracked_table (relid, builtin) VALUES ('sample'::regclass, true), ('gw_limit'::regclass, true);

-- privileges: everyone in scope reads; the enterprise records its wells'
-- samples; the city and above edit the limits
REVOKE ALL ON TABLE sample, gw_limit FROM PUBLIC;
GRANT SELECT ON TABLE sample, gw_limit
	TO tailings_reader, tailings_enterprise, tailings_county, tailings_city, tailings_province;
GRANT INSERT (element_id, sampled_on, parameter, value, unit),
	UPDATE (element_id, sampled_on, parameter, value, unit), DELETE
	ON TABLE sample TO tailings_enterprise;
GRANT INSERT (parameter, max_value, min_value, unit, label_zh, label_en, aliases, source),
	UPDATE (max_value, min_value, unit, label_zh, label_en, aliases, source), DELETE
	ON TABLE gw_limit TO tailings_city, tailings_province;

ALTER TABLE sample ENABLE ROW LEVEL SECURITY;
CREATE POLICY sample_reader ON sample FOR SELECT TO tailings_reader USING (true);
CREATE POLICY sample_member ON sample FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id));
CREATE POLICY sample_enterprise_insert ON sample FOR INSERT TO tailings_enterprise
	WITH CHECK (_member_level() = 'enterprise' AND _pond_visible(pond_id));
CREATE POLICY sample_enterprise_update ON sample FOR UPDATE TO tailings_enterprise
	USING (_member_level() = 'enterprise' AND _pond_visible(pond_id))
	WITH CHECK (_member_level() = 'enterprise' AND _pond_visible(pond_id));
CREATE POLICY sample_enterprise_delete ON sample FOR DELETE TO tailings_enterprise
	USING (_member_level() = 'enterprise' AND _pond_visible(pond_id));

ALTER TABLE gw_limit ENABLE ROW LEVEL SECURITY;
CREATE POLICY gw_limit_read ON gw_limit FOR SELECT
	TO tailings_reader, tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (true);
CREATE POLICY gw_limit_city_insert ON gw_limit FOR INSERT TO tailings_city, tailings_province
	WITH CHECK (_member_level() IN ('city', 'province'));
CREATE POLICY gw_limit_city_update ON gw_limit FOR UPDATE TO tailings_city, tailings_province
	USING (_member_level() IN ('city', 'province'))
	WITH CHECK (_member_level() IN ('city', 'province'));
CREATE POLICY gw_limit_city_delete ON gw_limit FOR DELETE TO tailings_city, tailings_province
	USING (_member_level() IN ('city', 'province'));

-- The samples as they were at "at" (from the change log, as _elements_as_of;
-- replaced since 0.9.0 at the end of this script by a read of sample_history).
CREATE FUNCTION _samples_as_of(at timestamptz) RETURNS SETOF sample
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	WITH first_after AS (
		SELECT DISTINCT ON (c.row_id) c.row_id, c.op, c.old_row
		  FROM change_log c
		 WHERE c.table_name = 'tailings.sample' AND c.changed_at > _samples_as_of.at
		 ORDER BY c.row_id, c.id)
	SELECT x.* FROM sample x
	 WHERE NOT EXISTS (SELECT 1 FROM first_after f WHERE f.row_id = x.id)
	UNION ALL
	SELECT r.* FROM first_after f, jsonb_populate_record(NULL::sample, f.old_row) r
	 WHERE f.op <> 'I';
END;

-- A well's state for the map (the groundwater layer's gw_state): exceeds when
-- the latest value of a parameter with a limit is outside it, ok when there is
-- such a value and none is outside, no_data when there is none.  Now (at
-- null), or as the samples were known at "at" (those dated by then).
CREATE FUNCTION _well_state(well bigint, at timestamptz) RETURNS text
	LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path FROM CURRENT
AS $$
DECLARE
	state text;
BEGIN
	-- (PL/pgSQL, so that the tiles' many calls reuse one plan of each query a session)
	IF at IS NULL THEN
		SELECT CASE WHEN bool_or(j.v > j.max_value OR j.v < j.min_value) THEN 'exceeds'
		            WHEN count(j.v) > 0 THEN 'ok'
		            ELSE 'no_data' END
		  INTO state
		  FROM (SELECT _unit_convert(l.value, l.unit, g.unit) AS v, g.max_value, g.min_value
		          FROM (SELECT DISTINCT ON (s.parameter) s.parameter, s.value, s.unit
		                  FROM tailings.sample s
		                 WHERE s.element_id = _well_state.well
		                 ORDER BY s.parameter, s.sampled_on DESC, s.id DESC) l
		          JOIN tailings.gw_limit g ON g.parameter = l.parameter) j;
	ELSE
		SELECT CASE WHEN bool_or(j.v > j.max_value OR j.v < j.min_value) THEN 'exceeds'
		            WHEN count(j.v) > 0 THEN 'ok'
		            ELSE 'no_data' END
		  INTO state
		  FROM (SELECT _unit_convert(l.value, l.unit, g.unit) AS v, g.max_value, g.min_value
		          FROM (SELECT DISTINCT ON (s.parameter) s.parameter, s.value, s.unit
		                  FROM _samples_as_of(_well_state.at) s
		                 WHERE s.element_id = _well_state.well AND s.sampled_on <= _well_state.at::date
		                 ORDER BY s.parameter, s.sampled_on DESC, s.id DESC) l
		          JOIN tailings.gw_limit g ON g.parameter = l.parameter) j;
	END IF;
	RETURN state;
END
$$;
COMMENT ON FUNCTION _well_state(bigint, timestamptz) IS
	'exceeds, ok or no_data: the well''s latest values against gw_limit, now (at null) or as known at "at"';

-- Each groundwater well of the pond and each parameter sampled there: the
-- latest value (in its limit's unit), the limit, whether it is outside it,
-- and the latest value of the same parameter at the pond's background well
-- (本底井; the latest of them when there are several) with the ratio of the
-- two (none for pH, a logarithm).  A well without samples is one row without
-- a parameter.
CREATE FUNCTION monitoring_assessment(pond_id bigint)
	RETURNS TABLE (element_id bigint, kind element_kind, parameter text, sampled_on date, value double precision,
	               limit_max double precision, exceeds boolean, background double precision,
	               ratio_to_background double precision, limit_min double precision, unit text, name text)
	LANGUAGE plpgsql STABLE SET search_path FROM CURRENT
AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM tailings.pond p WHERE p.id = monitoring_assessment.pond_id) THEN
		RAISE EXCEPTION 'pond % does not exist', coalesce(monitoring_assessment.pond_id::text, 'null')
			USING ERRCODE = 'no_data_found', HINT = 'SELECT id, code, name FROM tailings.pond lists the ponds you can see.';
	END IF;
	RETURN QUERY
	WITH wells AS (
		SELECT e.id, e.kind, e.name
		  FROM tailings.element e
		 WHERE e.pond_id = monitoring_assessment.pond_id AND category(e.kind) = 'groundwater'),
	latest AS (
		SELECT DISTINCT ON (s.element_id, s.parameter) s.element_id, s.parameter, s.sampled_on, s.value, s.unit
		  FROM tailings.sample s JOIN wells w ON w.id = s.element_id
		 ORDER BY s.element_id, s.parameter, s.sampled_on DESC, s.id DESC),
	valued AS (
		SELECT l.element_id, l.parameter, l.sampled_on, g.max_value, g.min_value,
		       coalesce(g.unit, l.unit) AS vunit,
		       _unit_convert(l.value, l.unit, coalesce(g.unit, l.unit)) AS v
		  FROM latest l LEFT JOIN tailings.gw_limit g ON g.parameter = l.parameter),
	bg AS (
		SELECT DISTINCT ON (x.parameter) x.parameter, x.v, x.vunit
		  FROM valued x JOIN wells w ON w.id = x.element_id
		 WHERE w.kind = 'gw_background_well' AND x.v IS NOT NULL
		 ORDER BY x.parameter, x.sampled_on DESC, x.element_id)
	SELECT w.id, w.kind, x.parameter, x.sampled_on, x.v, x.max_value,
	       CASE WHEN x.v IS NOT NULL AND (x.max_value IS NOT NULL OR x.min_value IS NOT NULL)
	            THEN coalesce(x.v > x.max_value, false) OR coalesce(x.v < x.min_value, false) END,
	       b.v,
	       CASE WHEN x.parameter <> 'pH' AND b.v > 0 THEN x.v / b.v END,
	       x.min_value, x.vunit, w.name
	  FROM wells w
	  LEFT JOIN valued x ON x.element_id = w.id
	  LEFT JOIN LATERAL (SELECT _unit_convert(y.v, y.vunit, x.vunit) AS v FROM bg y WHERE y.parameter = x.parameter) b ON true
	 ORDER BY w.kind, w.id, x.parameter;
END
$$;
COMMENT ON FUNCTION monitoring_assessment(bigint) IS
	'each groundwater well of the pond and parameter: the latest value (in the limit''s unit), the GB/T 14848 class III '
	'limit, whether it exceeds it, the background well''s latest value of the parameter and the ratio to it';

SELECT pg_catalog.pg_extension_config_dump('sample', '');
SELECT pg_catalog.pg_extension_config_dump('sample_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('gw_limit', '');
SELECT pg_catalog.pg_extension_config_dump('gw_limit_id_seq', '');

---------------------------------------------------------------------------
-- The pond's file in one call (一库一档) (design §8)
--
-- pond_file(pond_id) gives the whole file of a pond as one JSON object, in
-- the session's language (tailings.language), for the API, the viewer's
-- file panel and the printed sheet:
--   basic        the registry row, its registry point, its score
--   ledger       the years, oldest first, each with its balance (ledger_balance)
--   documents    the papers, each with its kind's label, expired and expires_in_days
--   facilities   every element, a point on it, and its latest inspected state
--   hazards      newest found first, each with its checks and whether it is overdue
--   inspections  newest first, with their coverage (elements, visited, missed, to correct)
--   monitoring   monitoring_assessment's rows, and each well's series per parameter
--   completeness check_completeness's rows
--   changes      the pond's latest 50 changes of the change log
-- Every list is an array, empty when there is nothing.  It runs as the
-- caller: row-level security decides what it reads, and a pond the caller
-- does not see is SQLSTATE P0002, as a pond that does not exist.
---------------------------------------------------------------------------

-- The labels of the file's codes, in Chinese or English: the papers' kinds,
-- the ponds' statuses, the hazards' statuses and severities, the levels of
-- the finders, checkers and inspectors, and the states an inspector finds.
CREATE FUNCTION _file_label(domain text, code text, en boolean) RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT CASE WHEN _file_label.en THEN l.en ELSE l.zh END
	  FROM (VALUES
	        ('document', 'eia_approval', '环评批复', 'EIA approval'),
	        ('document', 'env_acceptance', '环保验收', 'Environmental acceptance'),
	        ('document', 'discharge_permit', '排污许可证', 'Discharge permit'),
	        ('document', 'emergency_plan', '突发环境事件应急预案', 'Environmental emergency plan'),
	        ('document', 'monitoring_plan', '自行监测方案', 'Self-monitoring plan'),
	        ('document', 'closure_design', '闭库设计', 'Closure design'),
	        ('document', 'closure_acceptance', '闭库验收', 'Closure acceptance'),
	        ('pond_status', 'in_use', '在用', 'In use'),
	        ('pond_status', 'suspended', '停用', 'Suspended'),
	        ('pond_status', 'closed', '闭库', 'Closed'),
	        ('hazard_status', 'open', '待整改', 'Open'),
	        ('hazard_status', 'rectifying', '整改中', 'Rectifying'),
	        ('hazard_status', 'rectified', '已整改待核查', 'Rectified, awaiting check'),
	        ('hazard_status', 'closed', '已销号', 'Closed'),
	        ('severity', 'general', '一般隐患', 'General'),
	        ('severity', 'major', '重大隐患', 'Major'),
	        ('level', 'enterprise', '企业', 'Enterprise'),
	        ('level', 'county', '县级', 'County'),
	        ('level', 'city', '市级', 'City'),
	        ('level', 'province', '省级', 'Province'),
	        ('level', 'ministry', '部级', 'Ministry'),
	        ('visit_state', 'normal', '正常', 'Normal'),
	        ('visit_state', 'abnormal', '异常', 'Abnormal'),
	        ('visit_state', 'out_of_service', '停用', 'Out of service'),
	        ('visit_state', 'not_found', '未找到', 'Not found')) AS l(domain, code, zh, en)
	 WHERE l.domain = _file_label.domain AND l.code = _file_label.code;
END;
COMMENT ON FUNCTION _file_label(text, text, boolean) IS
	'the Chinese or English label of a code of the pond''s file (document kinds, statuses, severities, levels, visit states)';

CREATE FUNCTION pond_file(pond_id bigint) RETURNS jsonb
	LANGUAGE plpgsql STABLE SET search_path FROM CURRENT
AS $$
DECLARE
	p tailings.pond;
	en constant boolean := coalesce(current_setting('tailings.language', true), 'zh') = 'en';
	today constant date := current_date;
	result jsonb;
BEGIN
	SELECT * INTO p FROM tailings.pond x WHERE x.id = pond_file.pond_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'pond % does not exist', coalesce(pond_file.pond_id::text, 'null')
			USING ERRCODE = 'no_data_found', HINT = 'SELECT id, code, name FROM tailings.pond lists the ponds you can see.';
	END IF;

	SELECT jsonb_build_object(
	-- the registry row, its point and its score
	'basic', (
		SELECT jsonb_build_object(
		           'id', p.id, 'code', p.code, 'name', p.name, 'enterprise', p.enterprise,
		           'enterprise_code', p.enterprise_code, 'county_code', p.county_code,
		           'supervision_level', p.supervision_level, 'status', p.status,
		           'status_label', _file_label('pond_status', p.status::text, en),
		           'lon', ST_X(p.location), 'lat', ST_Y(p.location), 'gw_flow_azimuth', p.gw_flow_azimuth,
		           'attrs', p.attrs, 'score', s.score, 'rules', s.rules, 'errors_failed', s.errors_failed,
		           'warnings_failed', s.warnings_failed,
		           'elements', (SELECT count(*) FROM tailings.element e WHERE e.pond_id = p.id))
		  FROM _pond_summary(p.id) s),
	-- the ledgers, oldest first, with the balance against the year before
	'ledger', coalesce((
		SELECT jsonb_agg(jsonb_build_object(
		           'year', l.year, 'produced_t', l.produced_t, 'stored_t', l.stored_t, 'reused_t', l.reused_t,
		           'stock_t', l.stock_t, 'return_water_m3', l.return_water_m3, 'discharged_m3', l.discharged_m3,
		           'leachate_m3', l.leachate_m3, 'leachate_treated_m3', l.leachate_treated_m3,
		           'reported_on', l.reported_on, 'late', l.reported_on > make_date(l.year + 1, 1, 31),
		           'previous_stock_t', b.previous_stock_t, 'expected_stock_t', b.expected_stock_t,
		           'difference_t', b.difference_t, 'tolerance_t', b.tolerance_t, 'consistent', b.consistent)
		           ORDER BY l.year)
		  FROM tailings.ledger l
		  LEFT JOIN tailings.ledger_balance b ON b.pond_id = l.pond_id AND b.year = l.year
		 WHERE l.pond_id = p.id), '[]'::jsonb),
	-- the papers, by kind, the latest first; expires_in_days is negative once expired
	'documents', coalesce((
		SELECT jsonb_agg(jsonb_build_object(
		           'id', d.id, 'kind', d.kind, 'kind_label', _file_label('document', d.kind, en),
		           'number', d.number, 'issued_on', d.issued_on, 'valid_until', d.valid_until, 'issuer', d.issuer,
		           'reviewed_on', _drawing_date(d.attrs -> 'reviewed_on'), 'attrs', d.attrs,
		           'expired', coalesce(d.valid_until < today, false), 'expires_in_days', d.valid_until - today,
		           'superseded', EXISTS (SELECT FROM tailings.document n
		                                  WHERE n.pond_id = d.pond_id AND n.kind = d.kind AND n.id <> d.id
		                                    AND n.issued_on > d.issued_on))
		           ORDER BY array_position(ARRAY['eia_approval', 'env_acceptance', 'discharge_permit', 'emergency_plan',
		                                         'monitoring_plan', 'closure_design', 'closure_acceptance'], d.kind),
		                    d.issued_on DESC NULLS LAST, d.id DESC)
		  FROM tailings.document d
		 WHERE d.pond_id = p.id), '[]'::jsonb),
	-- every element in catalog order, a point on it, and its latest visit (null: never inspected)
	'facilities', coalesce((
		SELECT jsonb_agg(jsonb_build_object(
		           'id', e.id, 'kind', e.kind, 'kind_label', label(e.kind), 'category', category(e.kind),
		           'category_label', label(category(e.kind)), 'name', e.name,
		           'lon', ST_X(g.pt), 'lat', ST_Y(g.pt), 'source', e.source, 'verified_on', e.verified_on,
		           'attrs', e.attrs, 'last_visit', v.visit)
		           ORDER BY e.kind, e.id)
		  FROM tailings.element e
		 CROSS JOIN LATERAL (SELECT ST_PointOnSurface(e.geom) AS pt) g
		  LEFT JOIN LATERAL (
		       SELECT jsonb_build_object(
		                  'inspection_id', i.id, 'level', i.level, 'level_label', _file_label('level', i.level, en),
		                  'campaign', i.campaign, 'state', x.state, 'state_label', _file_label('visit_state', x.state, en),
		                  'visited_at', x.visited_at, 'note', x.note,
		                  'offset_m', round(ST_Distance(x.position::geography, e.geom::geography, true)::numeric, 1)) AS visit
		         FROM tailings.inspection_visit x JOIN tailings.inspection i ON i.id = x.inspection_id
		        WHERE x.element_id = e.id
		        ORDER BY x.visited_at DESC, x.id DESC
		        LIMIT 1) v ON true
		 WHERE e.pond_id = p.id), '[]'::jsonb),
	-- the hazards, newest found first, with their checks (oldest first)
	'hazards', coalesce((
		SELECT jsonb_agg(jsonb_build_object(
		           'id', h.id, 'pond_id', h.pond_id, 'element_id', h.element_id, 'element_name', e.name,
		           'lon', ST_X(h.location), 'lat', ST_Y(h.location), 'found_on', h.found_on, 'found_by', h.found_by,
		           'found_level', h.found_level, 'found_level_label', _file_label('level', h.found_level, en),
		           'campaign', h.campaign, 'category', h.category,
		           'category_label', CASE WHEN h.category IS NOT NULL THEN label(h.category) END,
		           'severity', h.severity, 'severity_label', _file_label('severity', h.severity, en),
		           'description', h.description, 'deadline', h.deadline,
		           'status', h.status, 'status_label', _file_label('hazard_status', h.status, en),
		           'rectification', h.rectification, 'rectified_on', h.rectified_on,
		           'overdue', o.overdue, 'days_overdue', CASE WHEN o.overdue THEN today - h.deadline END,
		           'checks', coalesce((
		               SELECT jsonb_agg(jsonb_build_object(
		                          'id', c.id, 'hazard_id', c.hazard_id, 'checked_on', c.checked_on, 'level', c.level,
		                          'level_label', _file_label('level', c.level, en), 'checked_by', c.checked_by,
		                          'passed', c.passed, 'note', c.note)
		                          ORDER BY c.checked_on, c.id)
		                 FROM tailings.hazard_check c
		                WHERE c.hazard_id = h.id), '[]'::jsonb))
		           ORDER BY h.found_on DESC, h.id DESC)
		  FROM tailings.hazard h
		  LEFT JOIN tailings.element e ON e.id = h.element_id
		 CROSS JOIN LATERAL (SELECT h.status <> 'closed' AND coalesce(h.deadline < today, false) AS overdue) o
		 WHERE h.pond_id = p.id), '[]'::jsonb),
	-- the inspections, newest first, with their coverage
	'inspections', coalesce((
		SELECT jsonb_agg(jsonb_build_object(
		           'id', i.id, 'pond_id', i.pond_id, 'level', i.level, 'level_label', _file_label('level', i.level, en),
		           'campaign', i.campaign, 'inspector', i.inspector, 'started_on', i.started_on,
		           'finished_on', i.finished_on, 'elements', c.elements, 'visited', c.visited, 'missed', c.missed,
		           'to_correct', c.to_correct, 'missed_points', c.missed_points,
		           'positions_to_correct', c.positions_to_correct)
		           ORDER BY i.started_on DESC, i.id DESC)
		  FROM tailings.inspection i
		 CROSS JOIN LATERAL (
		       SELECT count(*) AS elements, count(*) FILTER (WHERE v.visited) AS visited,
		              count(*) FILTER (WHERE NOT v.visited) AS missed, count(*) FILTER (WHERE v.to_correct) AS to_correct,
		              coalesce(jsonb_agg(jsonb_build_object('element_id', v.element_id, 'kind', v.kind,
		                                                    'kind_label', label(v.kind), 'name', v.name)
		                                 ORDER BY v.element_id) FILTER (WHERE NOT v.visited), '[]'::jsonb) AS missed_points,
		              coalesce(jsonb_agg(jsonb_build_object('element_id', v.element_id, 'kind', v.kind,
		                                                    'kind_label', label(v.kind), 'name', v.name,
		                                                    'offset_m', round(v.offset_m::numeric, 1))
		                                 ORDER BY v.element_id) FILTER (WHERE v.to_correct), '[]'::jsonb) AS positions_to_correct
		         FROM inspection_coverage(i.id) v) c
		 WHERE i.pond_id = p.id), '[]'::jsonb),
	-- the wells: the latest values against class III and the background
	-- well, and each well's samples of each parameter over time (in the
	-- limit's unit, else in the unit of the latest sample when it converts)
	'monitoring', jsonb_build_object(
		'assessment', coalesce((
			SELECT jsonb_agg(jsonb_build_object(
			           'element_id', a.element_id, 'kind', a.kind, 'kind_label', label(a.kind), 'name', a.name,
			           'parameter', a.parameter,
			           'parameter_label', CASE WHEN en THEN g.label_en ELSE g.label_zh END,
			           'sampled_on', a.sampled_on, 'value', a.value, 'unit', a.unit, 'limit_max', a.limit_max,
			           'limit_min', a.limit_min, 'exceeds', a.exceeds, 'background', a.background,
			           'ratio_to_background', a.ratio_to_background)
			           ORDER BY a.ordinality)
			  FROM monitoring_assessment(p.id) WITH ORDINALITY a
			  LEFT JOIN tailings.gw_limit g ON g.parameter = a.parameter), '[]'::jsonb),
		'series', coalesce((
			SELECT jsonb_agg(jsonb_build_object(
			           'element_id', w.id, 'kind', w.kind, 'name', w.name,
			           'role', CASE _placement_role(w.kind) WHEN 'upstream_well' THEN 'upstream'
			                                                WHEN 'downstream_well' THEN 'downstream' END,
			           'parameter', t.parameter,
			           'parameter_label', CASE WHEN en THEN t.label_en ELSE t.label_zh END,
			           'unit', t.unit, 'limit_max', t.max_value, 'limit_min', t.min_value, 'series', t.points)
			           ORDER BY w.kind, w.id, t.parameter, t.unit)
			  FROM tailings.element w
			 CROSS JOIN LATERAL (
			       SELECT u.parameter, u.unit, max(u.label_zh) AS label_zh, max(u.label_en) AS label_en,
			              max(u.max_value) AS max_value, max(u.min_value) AS min_value,
			              jsonb_agg(jsonb_build_object('sampled_on', u.sampled_on, 'value', u.value)
			                        ORDER BY u.sampled_on, u.id) AS points
			         FROM (SELECT s.id, s.parameter, s.sampled_on, g.label_zh, g.label_en, g.max_value, g.min_value,
			                      CASE WHEN _unit_factor(s.unit, k.unit) IS NOT NULL THEN k.unit ELSE s.unit END AS unit,
			                      coalesce(_unit_convert(s.value, s.unit, k.unit), s.value) AS value
			                 FROM tailings.sample s
			                 LEFT JOIN tailings.gw_limit g ON g.parameter = s.parameter
			                CROSS JOIN LATERAL (
			                      SELECT coalesce(g.unit,
			                                      (SELECT z.unit FROM tailings.sample z
			                                        WHERE z.element_id = s.element_id AND z.parameter = s.parameter
			                                        ORDER BY z.sampled_on DESC, z.id DESC LIMIT 1)) AS unit) k
			                WHERE s.element_id = w.id) u
			        GROUP BY u.parameter, u.unit) t
			 WHERE w.pond_id = p.id AND category(w.kind) = 'groundwater'), '[]'::jsonb)),
	-- the completeness check, as check_completeness gives it
	'completeness', coalesce((
		SELECT jsonb_agg(jsonb_build_object(
		           'rule', c.rule, 'category', c.category,
		           'category_label', CASE WHEN c.category IS NOT NULL THEN label(c.category) END,
		           'required', c.required, 'present', c.present, 'passed', c.passed, 'severity', c.severity,
		           'message', c.message)
		           ORDER BY c.ordinality)
		  FROM check_completeness(p.id) WITH ORDINALITY c), '[]'::jsonb),
	-- the latest 50 changes of the pond, newest first
	'changes', coalesce((
		SELECT jsonb_agg(jsonb_build_object(
		           'id', c.id, 'changed_at', c.changed_at, 'actor', c.actor,
		           'table', regexp_replace(c.table_name, '^tailings\.', ''), 'op', c.op::text, 'row_id', c.row_id,
		           'changed', c.changed, 'moved_m', c.moved_m, 'submission_id', c.submission_id)
		           ORDER BY c.changed_at DESC, c.id DESC)
		  FROM (SELECT * FROM tailings.change_log x
		         WHERE x.pond_id = p.id
		         ORDER BY x.changed_at DESC, x.id DESC
		         LIMIT 50) c), '[]'::jsonb))
	  INTO result;
	RETURN result;
END
$$;
COMMENT ON FUNCTION pond_file(bigint) IS
	'the pond''s whole file (一库一档) as one JSON object in tailings.language: basic, ledger, documents, facilities, '
	'hazards, inspections, monitoring, completeness, changes; P0002 for a pond the caller does not see';

---------------------------------------------------------------------------
-- Time travel through history tables (issue 15)
---------------------------------------------------------------------------
-- The change log is the audit record; time travel reads history tables.  A
-- history table has the columns of its table plus "valid", the period
-- [from, until) during which that version of the row was the row: every
-- version of every row, the current one with an open end.  tile(..., at),
-- elements_at() and compare() find the versions valid at a moment with
-- "valid @># at" under a GiST index on the geometry and the period, as a
-- current tile finds the current rows, however long the history.
-- track_changes() keeps them in the same transaction as the change (run as
-- the log's owner); a rolled back change takes its history with it.
--
-- The periods are those the change log gives, so that a history table and the
-- log agree at every moment: a version is valid from the start of the
-- transaction that wrote it (changed_at) and until the start of the one that
-- replaced it, except that a period never starts before the one it follows
-- (a transaction that started earlier but wrote later, under read committed):
-- the row at moment t is the one before the first change logged after t, as
-- the log says.  Several changes of a row in one transaction leave one version.
-- A superuser's change with tailings.tracking off writes no log row: the
-- history is corrected as if the change had always been so (the current
-- version is replaced), as reading the log would have it.
--
-- The extension keeps history for the tables that have a time travel
-- function (element, pond, sample); tailings.add_history() gives another
-- tracked table one (its period, its indexes, no policies: its owner grants).

-- valid @># at: the period contains the moment.  PostgreSQL's @> for ranges
-- and elements, declared LEAKPROOF (it compares two values and raises no
-- error), so that under row-level security the period reaches the index, as
-- tailings.&&# does for the box.
CREATE FUNCTION _valid_at(tstzrange, timestamptz) RETURNS boolean
	AS 'range_contains_elem' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION _valid_at(tstzrange, timestamptz) IS
	'the period contains the moment (PostgreSQL''s @>), declared LEAKPROOF: the operator tailings.@>#';
-- (its estimate: PostgreSQL's for @>, from the period's statistics)
CREATE FUNCTION _valid_at_sel(internal, oid, internal, integer) RETURNS double precision
	AS 'MODULE_PATHNAME', 'tl_valid_at_sel' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE OPERATOR tailings.@># (LEFTARG = tstzrange, RIGHTARG = timestamptz, PROCEDURE = _valid_at,
	RESTRICT = _valid_at_sel, JOIN = contjoinsel);
COMMENT ON OPERATOR tailings.@># (tstzrange, timestamptz) IS
	'the period contains the moment (PostgreSQL''s @>), LEAKPROOF, for the indexes row-level security may use';
CREATE OPERATOR CLASS valid_period_ops FOR TYPE tstzrange USING gist AS
	OPERATOR 16 tailings.@># (tstzrange, timestamptz),
	FUNCTION 1 range_gist_consistent (internal, anyrange, smallint, oid, internal),
	FUNCTION 2 range_gist_union (internal, internal),
	FUNCTION 5 range_gist_penalty (internal, internal, internal),
	FUNCTION 6 range_gist_picksplit (internal, internal),
	FUNCTION 7 range_gist_same (anyrange, anyrange, internal);
COMMENT ON OPERATOR CLASS valid_period_ops USING gist IS
	'GiST over periods (PostgreSQL''s range support functions) for the LEAKPROOF tailings.@>#';

-- No row-level security: configuration, not a pond's data (as tracked_table).
CREATE TABLE history_table (
	relid regclass PRIMARY KEY REFERENCES tracked_table (relid) ON DELETE CASCADE,
	history regclass NOT NULL UNIQUE,
	id_column name NOT NULL,
	builtin boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE history_table IS
	'the tracked tables that have a history table (tailings.add_history), which track_changes keeps';
REVOKE ALL ON TABLE history_table FROM PUBLIC;
GRANT SELECT ON TABLE history_table TO tailings_reader, tailings_enterprise, tailings_county, tailings_city,
	tailings_province;
-- a registration that changes reaches every session's trigger (as tracked_table's)
CREATE TRIGGER history_table_changed AFTER INSERT OR UPDATE OR DELETE ON history_table
	FOR EACH ROW EXECUTE FUNCTION _tracked_table_changed();
SELECT pg_catalog.pg_extension_config_dump('history_table', 'WHERE NOT builtin');

-- (Re)build a history table from the change log and the table: for each
-- logged UPDATE or DELETE, the old row, valid from the (running latest)
-- moment of the change before it until its own; the current row from its
-- last change on (from -infinity when the log has none).  The same rows the
-- trigger writes one change at a time.
CREATE FUNCTION rebuild_history(rel regclass) RETURNS bigint
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	h tailings.history_table;
	tname text;
	n bigint;
BEGIN
	SELECT * INTO h FROM tailings.history_table t WHERE t.relid = rel;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'table % has no history table', rel
			USING ERRCODE = 'undefined_table', HINT = 'SELECT tailings.add_history(...) makes one.';
	END IF;
	SELECT format('%s.%s', n.nspname, c.relname) INTO tname
	  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel;
	EXECUTE format('DELETE FROM %s', h.history);
	EXECUTE format($q$
		INSERT INTO %1$s
		SELECT r.*, v.valid
		  FROM (SELECT c.old_row, tstzrange(coalesce(lag(c.m) OVER w, '-infinity'), c.m) AS valid, c.op
		          FROM (SELECT x.id, x.row_id, x.op, x.old_row,
		                       max(x.changed_at) OVER (PARTITION BY x.row_id ORDER BY x.id) AS m
		                  FROM tailings.change_log x
		                 WHERE x.table_name = %3$L AND x.row_id IS NOT NULL) c
		        WINDOW w AS (PARTITION BY c.row_id ORDER BY c.id)) v,
		       LATERAL jsonb_populate_record(NULL::%2$s, v.old_row) r
		 WHERE v.op <> 'I' AND NOT isempty(v.valid)
		UNION ALL
		SELECT r.*, tstzrange(coalesce(l.m, '-infinity'), NULL)
		  FROM %2$s r
		  LEFT JOIN (SELECT x.row_id, max(x.changed_at) AS m FROM tailings.change_log x
		              WHERE x.table_name = %3$L GROUP BY x.row_id) l ON l.row_id = r.%4$I$q$,
		h.history, rel, tname, h.id_column);
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION rebuild_history(regclass) IS
	'rebuilds the table''s history table from the change log and the table''s rows; returns how many versions';
REVOKE ALL ON FUNCTION rebuild_history(regclass) FROM PUBLIC;

-- A history table for a tracked table: <table>_history beside it, the same
-- columns and "valid", a btree on the row id (the trigger closes a row's
-- version by it), a GiST on the geometry and the period, one on the period
-- alone when there is no geometry, and a btree on the pond when there is one;
-- built from the log at once.  Owned by the log's owner, who alone writes it;
-- row-level security on, without policies: the table's owner grants.
CREATE FUNCTION add_history(rel regclass, id_column text DEFAULT 'id', pond_column text DEFAULT 'pond_id',
	geometry_column text DEFAULT NULL) RETURNS regclass
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	nsp name;
	relname name;
	hist regclass;
	geom text := geometry_column;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM tailings.tracked_table t WHERE t.relid = rel) THEN
		RAISE EXCEPTION 'table % is not tracked', rel
			USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'SELECT tailings.track_table(...) first.';
	END IF;
	SELECT n.nspname, c.relname INTO nsp, relname
	  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel;
	IF geom IS NULL THEN
		SELECT a.attname INTO geom FROM pg_attribute a
		 WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid IN (SELECT t.oid FROM pg_type t WHERE t.typname = 'geometry')
		 ORDER BY a.attnum LIMIT 1;
	END IF;
	EXECUTE format('CREATE TABLE %I.%I (LIKE %s, valid tstzrange NOT NULL)', nsp, relname || '_history', rel);
	hist := format('%I.%I', nsp, relname || '_history')::regclass;
	EXECUTE format('COMMENT ON TABLE %s IS %L', hist,
	               format('every version of the rows of %s with its period (valid), kept by tailings.track_changes', rel));
	EXECUTE format('CREATE INDEX %I ON %s (%I)', relname || '_history_id_idx', hist, id_column);
	IF geom IS NOT NULL AND geom <> '' THEN
		EXECUTE format('CREATE INDEX %I ON %s USING gist (%I tailings.geometry_overlaps_ops, valid tailings.valid_period_ops)',
		               relname || '_history_geom_valid_idx', hist, geom);
	ELSE
		EXECUTE format('CREATE INDEX %I ON %s USING gist (valid tailings.valid_period_ops)',
		               relname || '_history_valid_idx', hist);
	END IF;
	IF pond_column IS NOT NULL AND pond_column <> '' AND pond_column <> id_column THEN
		EXECUTE format('CREATE INDEX %I ON %s (%I)', relname || '_history_pond_idx', hist, pond_column);
	END IF;
	EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', hist);
	EXECUTE format('REVOKE ALL ON TABLE %s FROM PUBLIC', hist);
	EXECUTE format('ALTER TABLE %s OWNER TO %I', hist,
	               (SELECT c.relowner::regrole::text FROM pg_class c WHERE c.oid = 'tailings.change_log'::regclass));
	INSERT INTO tailings.history_table (relid, history, id_column) VALUES (rel, hist, id_column);
	PERFORM tailings.rebuild_history(rel);
	RETURN hist;
END
$$;
COMMENT ON FUNCTION add_history(regclass, text, text, text) IS
	'gives a tracked table a history table (<table>_history) that track_changes keeps, for time travel through an index '
	'(superusers, or roles granted EXECUTE by one); returns it';
REVOKE ALL ON FUNCTION add_history(regclass, text, text, text) FROM PUBLIC;

SELECT add_history('element');
-- (the element's: a pond's elements of a kind, as element_pond_kind_idx finds them now)
DROP INDEX element_history_pond_idx;
CREATE INDEX element_history_pond_kind_idx ON element_history (pond_id, kind);
SELECT add_history('pond', 'id', 'id', 'location');
SELECT add_history('sample');
UPDATE history_table SET builtin = true;
-- (the registrations are the extension's, and so are the tables; their rows are data)
SELECT pg_catalog.pg_extension_config_dump('element_history', '');
SELECT pg_catalog.pg_extension_config_dump('pond_history', '');
SELECT pg_catalog.pg_extension_config_dump('sample_history', '');

-- who reads them: who reads the tables, through the same policies (a
-- version is seen when its pond is seen, as the table's rows); nobody but the
-- log's owner writes them
GRANT SELECT ON TABLE element_history, pond_history, sample_history
	TO tailings_reader, tailings_enterprise, tailings_county, tailings_city, tailings_province;
CREATE POLICY pond_history_reader ON pond_history FOR SELECT TO tailings_reader USING (true);
CREATE POLICY pond_history_member ON pond_history FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_in_scope(enterprise_code, county_code));
CREATE POLICY element_history_reader ON element_history FOR SELECT TO tailings_reader USING (true);
CREATE POLICY element_history_member ON element_history FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id));
CREATE POLICY sample_history_reader ON sample_history FOR SELECT TO tailings_reader USING (true);
CREATE POLICY sample_history_member ON sample_history FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id));

-- The rows as they were at "at": the versions valid then (at null: now).
CREATE OR REPLACE FUNCTION _elements_as_of(at timestamptz) RETURNS SETOF element
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT h.id, h.pond_id, h.kind, h.geom, h.name, h.source, h.accuracy_m, h.surveyed_on, h.verified_on, h.attrs
	  FROM element_history h
	 WHERE h.valid @># coalesce(_elements_as_of.at, 'infinity');
END;

CREATE OR REPLACE FUNCTION _ponds_as_of(at timestamptz) RETURNS SETOF pond
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT h.id, h.code, h.name, h.enterprise, h.county_code, h.supervision_level, h.status, h.location,
	       h.gw_flow_azimuth, h.attrs, h.enterprise_code
	  FROM pond_history h
	 WHERE h.valid @># coalesce(_ponds_as_of.at, 'infinity');
END;

CREATE OR REPLACE FUNCTION _samples_as_of(at timestamptz) RETURNS SETOF sample
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT h.id, h.element_id, h.sampled_on, h.parameter, h.value, h.unit, h.pond_id, h.location
	  FROM sample_history h
	 WHERE h.valid @># coalesce(_samples_as_of.at, 'infinity');
END;
COMMENT ON FUNCTION elements_at(bigint, timestamptz) IS
	'the pond''s elements as they were at that moment (from tailings.element_history)';

---------------------------------------------------------------------------
-- Completeness summaries kept current (issue 15)
---------------------------------------------------------------------------
-- pond_summary keeps each pond's summary (score, rules, failed errors and
-- warnings: what _pond_summary gives) with the days it holds for.  A pond's
-- completeness reads its row, its elements, its file (ledger, document,
-- hazard), the template (requirement) and the day; statement-level triggers
-- on those tables note the ponds a statement touched in
-- summary_pending (the template: every pond), which takes no lock that
-- another transaction waits for, and the deferred constraint trigger
-- pond_summary_refresh recomputes each noted pond once, at commit: it locks
-- their summary rows in pond order, then checks them in a snapshot taken
-- after the locks (completeness.c).  A transaction's own pending rows are
-- seen by it alone: until its commit, _pond_summary and pond_overview compute
-- its ponds instead of reading them, and on a day outside valid_from ..
-- valid_until any pond: what they give is always what check_completeness
-- says at that moment.  Readers see the summaries of the ponds they see;
-- nobody but the owner writes either table (the triggers write as the
-- owner); neither is dumped (a restore fills them again, its data's triggers
-- noting every pond).
CREATE TABLE pond_summary (
	pond_id bigint PRIMARY KEY REFERENCES pond (id) ON DELETE CASCADE ON UPDATE CASCADE,
	score real NOT NULL,
	rules integer NOT NULL,
	errors_failed integer NOT NULL,
	warnings_failed integer NOT NULL,
	valid_from date NOT NULL,
	valid_until date NOT NULL
);
COMMENT ON TABLE pond_summary IS
	'each pond''s completeness summary, kept current by triggers (pond_overview, tile() and the tile server read it)';
COMMENT ON COLUMN pond_summary.valid_from IS 'the first day the summary holds (the file rules depend on the day)';
COMMENT ON COLUMN pond_summary.valid_until IS 'the day the summary stops holding: on it and after, it is computed afresh';

-- the ponds a transaction changed, until its commit recomputes them (no key: no waiting)
CREATE TABLE summary_pending (
	pond_id bigint NOT NULL
);
CREATE INDEX summary_pending_pond_idx ON summary_pending (pond_id);
COMMENT ON TABLE summary_pending IS
	'the ponds changed by the current transaction, whose summaries its commit recomputes; empty outside one';

CREATE FUNCTION _pond_summary_computed(pond_id bigint,
	OUT score real, OUT rules integer, OUT errors_failed integer, OUT warnings_failed integer,
	OUT valid_from date, OUT valid_until date)
	AS 'MODULE_PATHNAME', 'tl_pond_summary_computed' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _pond_summary_computed(bigint) IS
	'the pond''s summary computed now as the caller, whatever is kept, with the days it holds for';

CREATE FUNCTION _pond_summary_invalidate() RETURNS trigger
	AS 'MODULE_PATHNAME', 'tl_pond_summary_invalidate' LANGUAGE C;
CREATE FUNCTION _pond_summary_refresh() RETURNS trigger
	AS 'MODULE_PATHNAME', 'tl_pond_summary_refresh' LANGUAGE C;
REVOKE ALL ON FUNCTION _pond_summary_invalidate(), _pond_summary_refresh() FROM PUBLIC;

CREATE CONSTRAINT TRIGGER pond_summary_refresh AFTER INSERT ON summary_pending
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION _pond_summary_refresh();

CREATE TRIGGER pond_summary_insert AFTER INSERT ON pond
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('id');
CREATE TRIGGER pond_summary_update AFTER UPDATE ON pond
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('id');
CREATE TRIGGER element_summary_insert AFTER INSERT ON element
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
CREATE TRIGGER element_summary_update AFTER UPDATE ON element
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
CREATE TRIGGER element_summary_delete AFTER DELETE ON element
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
CREATE TRIGGER ledger_summary_insert AFTER INSERT ON ledger
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
CREATE TRIGGER ledger_summary_update AFTER UPDATE ON ledger
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
CREATE TRIGGER ledger_summary_delete AFTER DELETE ON ledger
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
CREATE TRIGGER document_summary_insert AFTER INSERT ON document
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
CREATE TRIGGER document_summary_update AFTER UPDATE ON document
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
CREATE TRIGGER document_summary_delete AFTER DELETE ON document
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
CREATE TRIGGER hazard_summary_insert AFTER INSERT ON hazard
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
CREATE TRIGGER hazard_summary_update AFTER UPDATE ON hazard
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
CREATE TRIGGER hazard_summary_delete AFTER DELETE ON hazard
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
-- the template: every pond
CREATE TRIGGER requirement_summary AFTER INSERT OR UPDATE OR DELETE ON requirement
	FOR EACH STATEMENT EXECUTE FUNCTION _pond_summary_invalidate();

-- read as pond's other tables are; written by nobody but the owner
REVOKE ALL ON TABLE pond_summary, summary_pending FROM PUBLIC;
GRANT SELECT ON TABLE pond_summary, summary_pending
	TO tailings_reader, tailings_enterprise, tailings_county, tailings_city, tailings_province;
ALTER TABLE pond_summary ENABLE ROW LEVEL SECURITY;
CREATE POLICY pond_summary_reader ON pond_summary FOR SELECT TO tailings_reader USING (true);
CREATE POLICY pond_summary_member ON pond_summary FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id));
ALTER TABLE summary_pending ENABLE ROW LEVEL SECURITY;
CREATE POLICY summary_pending_reader ON summary_pending FOR SELECT TO tailings_reader USING (true);
CREATE POLICY summary_pending_member ON summary_pending FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id));

-- every pond whose summary is missing or does not hold today (every_pond: every pond), noted for
-- its commit to compute again (as the owner); for a DBA daily, so that the summaries whose days
-- ran out are kept again, and with every_pond after rows were loaded or changed with triggers
-- disabled (granted to nobody: the owner and superusers)
CREATE FUNCTION refresh_pond_summaries(every_pond boolean DEFAULT false) RETURNS bigint
	LANGUAGE sql SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	WITH noted AS (
		INSERT INTO tailings.summary_pending (pond_id)
		SELECT p.id FROM tailings.pond p
		 WHERE refresh_pond_summaries.every_pond
		    OR NOT EXISTS (SELECT 1 FROM tailings.pond_summary k
		                    WHERE k.pond_id = p.id AND current_date >= k.valid_from AND current_date < k.valid_until)
		 ORDER BY p.id
		RETURNING 1)
	SELECT count(*) FROM noted;
END;
COMMENT ON FUNCTION refresh_pond_summaries(boolean) IS
	'notes every pond whose summary is missing or does not hold today (every_pond: every pond), for recomputing at commit; returns how many';
REVOKE ALL ON FUNCTION refresh_pond_summaries(boolean) FROM PUBLIC;

-- pond_overview reads the kept summaries (those holding today); a pond whose summary is
-- missing, not holding today or pending in this transaction is computed as the caller
CREATE OR REPLACE VIEW pond_overview WITH (security_invoker) AS
SELECT p.id, p.code, p.name, p.enterprise, p.county_code, p.supervision_level, p.status,
       s.score, s.rules, s.errors_failed, s.warnings_failed,
       (SELECT count(*) FROM element e WHERE e.pond_id = p.id) AS elements
  FROM pond p
  LEFT JOIN pond_summary k
         ON k.pond_id = p.id AND current_date >= k.valid_from AND current_date < k.valid_until
        AND NOT EXISTS (SELECT 1 FROM summary_pending q WHERE q.pond_id = p.id)
  CROSS JOIN LATERAL (
       SELECT k.score, k.rules, k.errors_failed, k.warnings_failed WHERE k.pond_id IS NOT NULL
       UNION ALL
       SELECT c.score, c.rules, c.errors_failed, c.warnings_failed FROM _pond_summary(p.id) c WHERE k.pond_id IS NULL) s;
