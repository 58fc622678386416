-- The completeness rules of tailings.check_completeness() (the template's,
-- the placement rules and the pond's file rules) written as one plain
-- SQL query over all ponds: the reference bench/completeness.sh compares
-- tailings.pond_overview with.  Same columns: id, score, rules,
-- errors_failed, warnings_failed.
WITH counts AS (
	SELECT pond_id, kind, count(*) AS n FROM tailings.element GROUP BY pond_id, kind),
count_rules AS (
	SELECT p.id, r.severity = 'error' AS is_error,
	       coalesce((SELECT sum(c.n) FROM counts c WHERE c.pond_id = p.id AND c.kind = ANY (r.kinds)), 0)
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
-- the file rules: the ledger due (last year's, in January the year before's) reported by 31
-- January; the stock against the year before; an emergency plan reviewed within three years
-- (in use, suspended); a discharge permit in force (a pond with an outlet); open major hazards
due AS (
	SELECT (extract(year FROM current_date) - CASE WHEN extract(month FROM current_date) = 1 THEN 2 ELSE 1 END)::int AS y),
file AS (
	SELECT p.id,
	       EXISTS (SELECT FROM tailings.ledger l, due
	                WHERE l.pond_id = p.id AND l.year = due.y AND l.reported_on <= make_date(due.y + 1, 1, 31)) AS ledger_ok,
	       (SELECT count(*) FROM tailings.ledger_balance b WHERE b.pond_id = p.id) AS balance_years,
	       (SELECT count(*) FROM tailings.ledger_balance b WHERE b.pond_id = p.id AND NOT b.consistent) AS balance_off,
	       p.status IN ('in_use', 'suspended') AS operating,
	       (SELECT greatest(d.issued_on, tailings._drawing_date(d.attrs -> 'reviewed_on')) >= (current_date - interval '3 years')::date
	               AND coalesce(d.valid_until >= current_date, true)
	          FROM tailings.document d WHERE d.pond_id = p.id AND d.kind = 'emergency_plan'
	         ORDER BY greatest(d.issued_on, tailings._drawing_date(d.attrs -> 'reviewed_on')) DESC NULLS LAST,
	                  d.valid_until DESC NULLS FIRST, d.id DESC LIMIT 1) AS plan_ok,
	       o.pond_id IS NOT NULL AS outlet,
	       EXISTS (SELECT FROM tailings.document d WHERE d.pond_id = p.id AND d.kind = 'discharge_permit'
	                 AND coalesce(d.issued_on <= current_date, true) AND coalesce(d.valid_until >= current_date, true)) AS permit_ok,
	       EXISTS (SELECT FROM tailings.hazard h WHERE h.pond_id = p.id AND h.severity = 'major' AND h.status <> 'closed') AS major_open
	  FROM tailings.pond p
	  LEFT JOIN (SELECT DISTINCT e.pond_id FROM tailings.element e WHERE e.kind = 'discharge_outlet') o ON o.pond_id = p.id),
file_rules AS (
	SELECT id,
	       1 + (balance_years > 0)::int + operating::int + outlet::int + major_open::int AS rules,
	       (NOT ledger_ok)::int + (balance_off > 0)::int + (operating AND NOT coalesce(plan_ok, false))::int
	         + (outlet AND NOT permit_ok)::int AS warnings_failed,
	       major_open::int AS errors_failed
	  FROM file),
scored AS (
	SELECT id, count(*) FILTER (WHERE is_error) AS errors, count(*) FILTER (WHERE is_error AND passed) AS errors_passed,
	       count(*) AS rules,
	       count(*) FILTER (WHERE is_error AND NOT passed) AS errors_failed,
	       count(*) FILTER (WHERE NOT is_error AND NOT passed) AS warnings_failed
	  FROM count_rules GROUP BY id)
SELECT p.id,
       CASE WHEN coalesce(s.errors, 0) + f.errors_failed = 0 THEN 1
            ELSE (coalesce(s.errors_passed, 0)::float8 / (coalesce(s.errors, 0) + f.errors_failed))::real END AS score,
       coalesce(s.rules, 0) + coalesce(pl.rules, 0) + f.rules AS rules,
       coalesce(s.errors_failed, 0) + f.errors_failed AS errors_failed,
       coalesce(s.warnings_failed, 0) + coalesce(pl.failed, 0) + f.warnings_failed AS warnings_failed
  FROM tailings.pond p LEFT JOIN scored s ON s.id = p.id LEFT JOIN placement pl ON pl.pond_id = p.id
  JOIN file_rules f ON f.id = p.id
