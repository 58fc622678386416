-- tailings 0.1.0: element catalog types, catalog functions, the one-map tables
-- and the bureau's default template.
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

CREATE OPERATOR = (LEFTARG = element_category, RIGHTARG = element_category,
	PROCEDURE = element_category_eq, COMMUTATOR = =, NEGATOR = <>,
	RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR <> (LEFTARG = element_category, RIGHTARG = element_category,
	PROCEDURE = element_category_ne, COMMUTATOR = <>, NEGATOR = =,
	RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR < (LEFTARG = element_category, RIGHTARG = element_category,
	PROCEDURE = element_category_lt, COMMUTATOR = >, NEGATOR = >=,
	RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR <= (LEFTARG = element_category, RIGHTARG = element_category,
	PROCEDURE = element_category_le, COMMUTATOR = >=, NEGATOR = >,
	RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR > (LEFTARG = element_category, RIGHTARG = element_category,
	PROCEDURE = element_category_gt, COMMUTATOR = <, NEGATOR = <=,
	RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR >= (LEFTARG = element_category, RIGHTARG = element_category,
	PROCEDURE = element_category_ge, COMMUTATOR = <=, NEGATOR = <,
	RESTRICT = scalargesel, JOIN = scalargejoinsel);

CREATE OPERATOR = (LEFTARG = element_kind, RIGHTARG = element_kind,
	PROCEDURE = element_kind_eq, COMMUTATOR = =, NEGATOR = <>,
	RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR <> (LEFTARG = element_kind, RIGHTARG = element_kind,
	PROCEDURE = element_kind_ne, COMMUTATOR = <>, NEGATOR = =,
	RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR < (LEFTARG = element_kind, RIGHTARG = element_kind,
	PROCEDURE = element_kind_lt, COMMUTATOR = >, NEGATOR = >=,
	RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR <= (LEFTARG = element_kind, RIGHTARG = element_kind,
	PROCEDURE = element_kind_le, COMMUTATOR = >=, NEGATOR = >,
	RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR > (LEFTARG = element_kind, RIGHTARG = element_kind,
	PROCEDURE = element_kind_gt, COMMUTATOR = <, NEGATOR = <=,
	RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR >= (LEFTARG = element_kind, RIGHTARG = element_kind,
	PROCEDURE = element_kind_ge, COMMUTATOR = <=, NEGATOR = <,
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
CREATE AGGREGATE min(element_category) (SFUNC = element_category_smaller, STYPE = element_category,
	COMBINEFUNC = element_category_smaller, SORTOP = <, PARALLEL = SAFE);
CREATE AGGREGATE max(element_category) (SFUNC = element_category_larger, STYPE = element_category,
	COMBINEFUNC = element_category_larger, SORTOP = >, PARALLEL = SAFE);
CREATE AGGREGATE min(element_kind) (SFUNC = element_kind_smaller, STYPE = element_kind,
	COMBINEFUNC = element_kind_smaller, SORTOP = <, PARALLEL = SAFE);
CREATE AGGREGATE max(element_kind) (SFUNC = element_kind_larger, STYPE = element_kind,
	COMBINEFUNC = element_kind_larger, SORTOP = >, PARALLEL = SAFE);

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

CREATE FUNCTION kinds(OUT kind element_kind, OUT category element_category,
	OUT geometry_types text[], OUT label_zh text, OUT label_en text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'tl_kinds_fn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 40;
COMMENT ON FUNCTION kinds() IS 'the element kinds of the catalog, in catalog order';

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
	CONSTRAINT pond_location_in_range CHECK (
		NOT ST_IsEmpty(location)
		AND ST_X(location) BETWEEN -180 AND 180 AND ST_Y(location) BETWEEN -90 AND 90)
);
CREATE INDEX pond_location_idx ON pond USING gist (location);
CREATE INDEX pond_status_level_idx ON pond (status, supervision_level);
COMMENT ON TABLE pond IS 'supervised tailings ponds (尾矿库): the registry, one row per pond';
COMMENT ON COLUMN pond.code IS 'the pond''s code in the national tailings register';
COMMENT ON COLUMN pond.county_code IS 'GB/T 2260 code of the county or district';
COMMENT ON COLUMN pond.supervision_level IS 'environmental supervision level 1-3 (尾矿污染环境防治管理办法 Art. 5)';
COMMENT ON COLUMN pond.location IS 'registry point, CGCS2000 (EPSG:4490); the drawn boundary is an element of kind pond_boundary';
COMMENT ON COLUMN pond.gw_flow_azimuth IS 'direction groundwater flows to, degrees clockwise from north; null when unknown';
COMMENT ON COLUMN pond.attrs IS 'the rest of the pond''s file (一库一档): basin, ore, dam height, capacity, ...';

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
	CONSTRAINT requirement_kinds_in_category CHECK (kinds_in_category(kinds, category))
);
COMMENT ON TABLE requirement IS
	'the bureau''s unified template: elements each pond must have, by status and supervision level';
COMMENT ON COLUMN requirement.kinds IS 'kinds that count towards the rule; several kinds mean "one of"';
COMMENT ON COLUMN requirement.min_count IS 'how many elements of these kinds the pond needs';
COMMENT ON COLUMN requirement.statuses IS 'pond statuses the rule applies to';
COMMENT ON COLUMN requirement.levels IS 'supervision levels the rule applies to';
COMMENT ON COLUMN requirement.enabled IS 'false: the rule is kept but not applied';
COMMENT ON COLUMN requirement.builtin IS 'a rule of the default template shipped with the extension';

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
 '坝面应采取扬尘防护措施（办法 第16条）', 'The dam face needs dust protection (办法 Art. 16)', true),
('emergency_pool', 'emergency', '{emergency_pool}', '{in_use,suspended}', DEFAULT,
 '应设置事故应急池（办法 第22条）', 'An emergency pool is required (办法 Art. 22)', true),
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
 'Level 1 and 2 ponds need an emergency interception dam (办法 Art. 22)', true);

---------------------------------------------------------------------------
-- pg_dump keeps the user data of the extension's tables
---------------------------------------------------------------------------
SELECT pg_catalog.pg_extension_config_dump('pond', '');
SELECT pg_catalog.pg_extension_config_dump('pond_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('element', '');
SELECT pg_catalog.pg_extension_config_dump('element_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('requirement', '');
SELECT pg_catalog.pg_extension_config_dump('requirement_id_seq', '');
