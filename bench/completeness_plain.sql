-- The completeness rules of tailings.check_completeness() written as one plain
-- SQL query over all ponds: the reference bench/completeness.sh compares
-- tailings.pond_overview with.  Same columns: id, score, rules,
-- errors_failed, warnings_failed.
WITH counts AS (
	SELECT pond_id, kind, count(*) AS n FROM tailings.element GROUP BY pond_id, kind),
count_rules AS (
	SELECT p.id, r.severity = 'error' AS is_error,
	       coalesce((SELECT sum(c.n) FROM counts c WHERE c.pond_id = p.id AND c.kind OPERATOR(tailings.=) ANY (r.kinds)), 0)
	         >= r.min_count AS passed
	  FROM tailings.pond p JOIN tailings.requirement r
	    ON r.enabled AND p.status = ANY (r.statuses) AND p.supervision_level = ANY (r.levels)),
el AS (
	SELECT e.pond_id, e.kind::text AS kind, e.verified_on IS NOT NULL AS verified,
	       cardinality(tailings.required_attrs(e.kind)) > 0 AS needs_attrs,
	       e.attrs ?& tailings.required_attrs(e.kind) AS attrs_ok,
	       ST_Distance(e.geom::geography, p.location::geography, false) <= 5000 AS near,
	       CASE WHEN p.gw_flow_azimuth IS NOT NULL AND e.kind::text IN ('gw_background_well', 'gw_monitoring_well')
	            THEN cosd(degrees(ST_Azimuth(p.location::geography, ST_PointOnSurface(e.geom)::geography)) - p.gw_flow_azimuth) END AS along,
	       CASE WHEN e.kind::text IN ('leachate_pipe', 'leachate_ditch') THEN
	           (SELECT min(ST_Distance(ST_EndPoint(ST_GeometryN(e.geom, ST_NumGeometries(e.geom)))::geography,
	                                   t.geom::geography, false))
	              FROM tailings.element t
	             WHERE t.pond_id = e.pond_id AND t.kind::text IN ('leachate_pool', 'leachate_pump')) END AS end_m
	  FROM tailings.element e JOIN tailings.pond p ON p.id = e.pond_id),
placement AS (
	SELECT pond_id,
	       2 + bool_or(kind IN ('leachate_pipe', 'leachate_ditch'))::int
	         + bool_or(kind = 'gw_background_well' AND along IS NOT NULL)::int
	         + bool_or(kind = 'gw_monitoring_well' AND along IS NOT NULL)::int
	         + bool_or(needs_attrs)::int AS rules,
	       bool_or(kind IN ('leachate_pipe', 'leachate_ditch') AND NOT coalesce(end_m <= 30, false))::int
	         + bool_or(kind = 'gw_background_well' AND along >= 0)::int
	         + bool_or(kind = 'gw_monitoring_well' AND along <= 0)::int
	         + (NOT bool_and(near))::int
	         + (NOT bool_and(verified))::int
	         + bool_or(needs_attrs AND NOT attrs_ok)::int AS failed
	  FROM el GROUP BY pond_id),
scored AS (
	SELECT id, coalesce(avg(passed::int) FILTER (WHERE is_error), 1)::real AS score, count(*) AS rules,
	       count(*) FILTER (WHERE is_error AND NOT passed) AS errors_failed,
	       count(*) FILTER (WHERE NOT is_error AND NOT passed) AS warnings_failed
	  FROM count_rules GROUP BY id)
SELECT p.id, coalesce(s.score, 1) AS score,
       coalesce(s.rules, 0) + coalesce(pl.rules, 0) AS rules,
       coalesce(s.errors_failed, 0) AS errors_failed,
       coalesce(s.warnings_failed, 0) + coalesce(pl.failed, 0) AS warnings_failed
  FROM tailings.pond p LEFT JOIN scored s ON s.id = p.id LEFT JOIN placement pl ON pl.pond_id = p.id
