-- catalog functions: kinds(), categories(), category(), label(), geometry_types(), required_attrs()
SET search_path = tailings, public;
\set SHOW_CONTEXT never

SELECT * FROM categories();
SELECT * FROM kinds();
SELECT category, count(*) FROM kinds() GROUP BY category ORDER BY category;

SELECT category('gw_diffusion_well'), category('排洪洞'), category('soil_monitor');

-- labels: tailings.language decides when no language is given (default zh)
SHOW tailings.language;
SELECT label('dam'::element_kind), label('leachate'::element_category);
SELECT label('dam'::element_kind, 'en'), label('dam'::element_kind, 'zh'), label('dam'::element_kind, 'EN');
SELECT label('leachate'::element_category, 'en');
SET tailings.language = 'en';
SELECT label('dam'::element_kind), label('leachate'::element_category);
SELECT label('dam'::element_kind, 'zh');
SET tailings.language = 'fr';
RESET tailings.language;
SELECT label('dam'::element_kind, 'fr');
\echo :LAST_ERROR_SQLSTATE
SELECT label('dam'::element_kind, NULL) IS NULL AS null_language_gives_null;

SELECT geometry_types('leachate_pool'), geometry_types('dam'), geometry_types('surface_water'),
       geometry_types('pond_boundary');
SELECT kind, required_attrs(kind) FROM kinds() WHERE cardinality(required_attrs(kind)) > 0;
SELECT count(*) AS kinds_without_required_attrs FROM kinds() WHERE required_attrs(kind) = '{}';

-- geometry_fits: MULTI forms and XYM accepted, wrong family is an error
SELECT geometry_fits('leachate_pool', 'POINT'), geometry_fits('leachate_pool', 'MULTIPOLYGON'),
       geometry_fits('dam', 'MULTILINESTRING'), geometry_fits('sign', 'POINTM');
SELECT geometry_fits('leachate_pool', 'LINESTRING');
\echo :LAST_ERROR_SQLSTATE
SELECT geometry_fits('dam', 'GEOMETRYCOLLECTION');
\echo :LAST_ERROR_SQLSTATE

-- declared properties of the catalog functions
SELECT p.oid::regprocedure AS function, p.provolatile, p.proparallel, p.proisstrict
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'tailings'
   AND p.proname IN ('category', 'label', 'geometry_types', 'required_attrs', 'kinds', 'categories', 'geometry_fits')
 ORDER BY p.oid::regprocedure::text;

-- extension housekeeping
SELECT extname, extversion, extrelocatable, extnamespace::regnamespace FROM pg_extension WHERE extname = 'tailings';
SELECT * FROM pg_extension_update_paths('tailings') ORDER BY source, target;
ALTER EXTENSION tailings UPDATE;

-- directed kinds: the flowing lines (pipes, ditches, the flood tunnel, rivers), never dams
SELECT kind, label_zh FROM kinds() WHERE directed ORDER BY kind;
SELECT directed('dam') AS dam, directed('interception_dam') AS interception_dam,
       directed('flood_tunnel') AS flood_tunnel, directed('地表水体') AS surface_water;
-- every directed kind takes lines
SELECT count(*) AS directed_without_lines FROM kinds() WHERE directed AND NOT 'LINESTRING' = ANY (geometry_types);

-- placement roles: the kinds the placement rules place, and nothing else
SELECT kind, placement_role FROM kinds() WHERE placement_role IS NOT NULL ORDER BY kind;
-- a leachate line is a directed leachate line; the wells are groundwater wells
SELECT kind FROM kinds()
 WHERE (placement_role = 'leachate_line' AND NOT (directed AND category = 'leachate'))
    OR (placement_role IN ('upstream_well', 'downstream_well') AND category <> 'groundwater');

-- the tile layers' properties: the ponds layer, then the same five on each category's layer
SELECT layer, count(*) AS fields, string_agg(field || ':' || type, ' ' ORDER BY n) AS typed
  FROM tile_fields() WITH ORDINALITY AS f(layer, field, type, description, n)
 GROUP BY layer ORDER BY layer <> 'ponds', layer;
