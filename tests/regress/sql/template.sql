-- the default template of design §3, one row per rule
SET search_path = tailings, public;

SELECT id, name, category, kinds, min_count, statuses, levels, severity, enabled, builtin
  FROM requirement ORDER BY id;
SELECT name, description_zh, description_en FROM requirement ORDER BY id;

-- rules applying to each status / level combination
SELECT s.status, l.level, count(r.*) AS rules
  FROM unnest(enum_range(NULL::pond_status)) AS s(status)
 CROSS JOIN generate_series(1, 3) AS l(level)
  LEFT JOIN requirement r ON s.status = ANY (r.statuses) AND l.level = ANY (r.levels)
 GROUP BY 1, 2 ORDER BY 1, 2;

-- rules per category: the template covers all 9 categories
SELECT c.category, count(r.*) AS rules
  FROM categories() c LEFT JOIN requirement r ON r.category = c.category
 GROUP BY 1 ORDER BY 1;
