#!/usr/bin/env bash
# Time travel at scale: a tile as of a past moment against the current tile,
# as the change log grows.  The national data set (sql/generate_national.sql),
# then a generated history (bench/time_travel_history.sql: updates, moves
# between ponds, deletes and re-inserts, one transaction per 1,000 changes)
# until the change log holds each SIZE rows.  At each size, the same tiles
# (z12 to z16 around 12 ponds spread over the country) are made now and as of the middle of
# the history, three ways in the same run:
#   current  tailings.tile(z, x, y): the tables
#   history  tailings._tile_at(z, x, y, NULL, at): the history tables (0.9.0)
#   log      the same tile from the change log: 0.8.0's _elements_as_of,
#            _ponds_as_of and _samples_as_of, copied below into schema
#            bench_old with copies of _tile_at and _well_state that use them
# and prints past tile / current tile time for each (goal: history <= 2x at
# 200k rows and the same at 2M), and checks that both ways give the same rows.
#   bench/time_travel.sh [PONDS [SIZE...]]      (default 7820 ponds, 200000 rows)
#   bench/time_travel.sh 7820 200000 2000000
. "$(dirname "$0")/lib.sh"
ponds=${1:-7820}
shift || true
sizes=${*:-200000}
createdb bench
psql -X -q -d bench -c "CREATE EXTENSION tailings CASCADE"
echo "generating $ponds ponds ..." >&2
# (loaded with tracking off: the log starts empty, the rows are in the history from -infinity)
PGOPTIONS="$PGOPTIONS -c tailings.tracking=off" psql -X -q -d bench -v ponds="$ponds" -f sql/generate_national.sql >&2
psql -X -q -d bench -v ON_ERROR_STOP=1 -f bench/time_travel_history.sql >&2
psql -X -q -d bench -v ON_ERROR_STOP=1 <<'SQL'
-- 0.8.0's time travel: the rows at "at" rebuilt from the change log
CREATE SCHEMA bench_old;
CREATE FUNCTION bench_old._elements_as_of(at timestamptz) RETURNS SETOF tailings.element
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	WITH first_after AS (
		SELECT DISTINCT ON (c.row_id) c.row_id, c.op, c.old_row
		  FROM tailings.change_log c
		 WHERE c.table_name = 'tailings.element' AND c.changed_at > _elements_as_of.at
		 ORDER BY c.row_id, c.id)
	SELECT x.* FROM tailings.element x
	 WHERE NOT EXISTS (SELECT 1 FROM first_after f WHERE f.row_id = x.id)
	UNION ALL
	SELECT r.* FROM first_after f, jsonb_populate_record(NULL::tailings.element, f.old_row) r
	 WHERE f.op <> 'I';
END;
CREATE FUNCTION bench_old._ponds_as_of(at timestamptz) RETURNS SETOF tailings.pond
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	WITH first_after AS (
		SELECT DISTINCT ON (c.row_id) c.row_id, c.op, c.old_row
		  FROM tailings.change_log c
		 WHERE c.table_name = 'tailings.pond' AND c.changed_at > _ponds_as_of.at
		 ORDER BY c.row_id, c.id)
	SELECT x.* FROM tailings.pond x
	 WHERE NOT EXISTS (SELECT 1 FROM first_after f WHERE f.row_id = x.id)
	UNION ALL
	SELECT r.* FROM first_after f, jsonb_populate_record(NULL::tailings.pond, f.old_row) r
	 WHERE f.op <> 'I';
END;
CREATE FUNCTION bench_old._samples_as_of(at timestamptz) RETURNS SETOF tailings.sample
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	WITH first_after AS (
		SELECT DISTINCT ON (c.row_id) c.row_id, c.op, c.old_row
		  FROM tailings.change_log c
		 WHERE c.table_name = 'tailings.sample' AND c.changed_at > _samples_as_of.at
		 ORDER BY c.row_id, c.id)
	SELECT x.* FROM tailings.sample x
	 WHERE NOT EXISTS (SELECT 1 FROM first_after f WHERE f.row_id = x.id)
	UNION ALL
	SELECT r.* FROM first_after f, jsonb_populate_record(NULL::tailings.sample, f.old_row) r
	 WHERE f.op <> 'I';
END;
-- _tile_at and _well_state as installed, resolving the as-of functions in bench_old first
DO $$
DECLARE
	f text;
	def text;
BEGIN
	FOREACH f IN ARRAY ARRAY['_tile_at', '_well_state'] LOOP
		def := pg_get_functiondef(('tailings.' || f)::regproc);
		def := replace(def, 'FUNCTION tailings.' || f || '(', 'FUNCTION bench_old.' || f || '(');
		def := replace(def, 'SET search_path TO ''tailings''', 'SET search_path TO ''bench_old'', ''tailings''');
		EXECUTE def;
	END LOOP;
END $$;
CREATE TABLE tiles AS SELECT DISTINCT * FROM (
SELECT z, floor((ST_X(p.location) + 180) / 360 * 2 ^ z)::int AS x,
       floor((1 - ln(tan(radians(ST_Y(p.location))) + 1 / cos(radians(ST_Y(p.location)))) / pi()) / 2 * 2 ^ z)::int AS y
  FROM tailings.pond p, generate_series(12, 16) AS z
 WHERE p.id % (SELECT greatest(count(*) / 12, 1) FROM tailings.pond) = 0) t;
CREATE TABLE results (size bigint, what text, z int, x int, y int, ms float8, bytes bytea);
CREATE TABLE same_rows (size bigint, elements_differing bigint, ponds_differing bigint, elements_then bigint);
SQL
report() {  # the figures so far (after each size)
echo
psql -X -q -d bench -P footer=off <<'SQL'
SELECT (SELECT count(*) FROM tiles) AS tiles, (SELECT count(*) FROM tailings.pond) AS ponds,
       (SELECT count(*) FROM tailings.element) AS elements, (SELECT count(*) FROM tailings.change_log) AS change_log_rows,
       (SELECT count(*) FROM tailings.element_history) AS element_versions;
-- the two ways give the same rows, and tiles of the same size (a pond's boundary pieces may
-- be collected in another order: the bytes may differ, not their number)
SELECT * FROM same_rows ORDER BY size;
SELECT size, count(*) FILTER (WHERE length(h.bytes) IS DISTINCT FROM length(l.bytes)) AS tiles_differing_in_size,
       count(*) FILTER (WHERE length(h.bytes) > 0) AS tiles_with_features
  FROM (SELECT * FROM results WHERE what = 'history' AND bytes IS NOT NULL) h
  JOIN (SELECT * FROM results WHERE what = 'log') l USING (size, z, x, y)
 GROUP BY size ORDER BY size;
SELECT size AS change_log_rows, z,
       round(avg(ms) FILTER (WHERE what = 'current')::numeric, 2) AS current_ms,
       round(avg(ms) FILTER (WHERE what = 'history')::numeric, 2) AS history_ms,
       round(avg(ms) FILTER (WHERE what = 'log')::numeric, 2) AS log_ms
  FROM results GROUP BY ROLLUP (size, z) HAVING size IS NOT NULL ORDER BY size, z NULLS LAST;
SELECT format('%s change log rows: past tile / current tile = %s from the history tables (goal <= 2, %s tiles), '
              '%s from the change log (0.8.0, %s of the tiles)',
              size, round((sum(ms) FILTER (WHERE what = 'history') / sum(ms) FILTER (WHERE what = 'current'))::numeric, 2),
              count(DISTINCT (z, x, y)) FILTER (WHERE what = 'history'),
              round((sum(ms) FILTER (WHERE what = 'log') / sum(ms) FILTER (WHERE what = 'current' AND (z, x, y) IN (
                  SELECT l.z, l.x, l.y FROM results l WHERE l.what = 'log' AND l.size = r.size)))::numeric, 2),
              count(*) FILTER (WHERE what = 'log')) AS summary
  FROM results r GROUP BY size ORDER BY size;
SQL
}
first_log=$(psql -X -At -d bench -c "SELECT coalesce(max(id), 0) FROM tailings.change_log")
for size in $sizes; do
	echo "history up to $size change log rows ..." >&2
	start=$(date +%s)
	psql -X -q -d bench -v ON_ERROR_STOP=1 -c "CALL bench_history_until($size)" >&2
	echo "  generated in $(($(date +%s) - start)) s" >&2
	psql -X -q -d bench -c "VACUUM ANALYZE" >&2
	psql -X -q -d bench -v ON_ERROR_STOP=1 -v size="$size" -v first_log="$first_log" <<'SQL'
-- the moment: the middle of the generated history
SELECT changed_at AS at FROM tailings.change_log
 WHERE id >= (:first_log + (SELECT max(id) FROM tailings.change_log)) / 2 ORDER BY id LIMIT 1 \gset
SELECT set_config('bench.size', :'size', false), set_config('bench.at', :'at', false) \g /dev/null
-- the two ways give the same rows at that moment
INSERT INTO same_rows
SELECT :size, (SELECT count(*) FROM ((SELECT x::text FROM tailings._elements_as_of(:'at') x
                                      EXCEPT ALL SELECT x::text FROM bench_old._elements_as_of(:'at') x)
                                     UNION ALL (SELECT x::text FROM bench_old._elements_as_of(:'at') x
                                      EXCEPT ALL SELECT x::text FROM tailings._elements_as_of(:'at') x)) d),
       (SELECT count(*) FROM ((SELECT x::text FROM tailings._ponds_as_of(:'at') x
                                      EXCEPT ALL SELECT x::text FROM bench_old._ponds_as_of(:'at') x)
                                     UNION ALL (SELECT x::text FROM bench_old._ponds_as_of(:'at') x
                                      EXCEPT ALL SELECT x::text FROM tailings._ponds_as_of(:'at') x)) d),
       (SELECT count(*) FROM tailings._elements_as_of(:'at'));
-- each tile on its own, two passes, the three ways alternating (the change log's once: it is slow)
DO $$
DECLARE t record; t0 timestamptz; b bytea; n int := 0;
	size bigint := current_setting('bench.size');
	at timestamptz := current_setting('bench.at');
BEGIN
	FOR pass IN 1..2 LOOP
		FOR t IN SELECT * FROM tiles ORDER BY z, x, y LOOP
			t0 := clock_timestamp();
			b := tailings.tile(t.z, t.x, t.y);
			INSERT INTO results VALUES (size, 'current', t.z, t.x, t.y, extract(epoch FROM clock_timestamp() - t0) * 1000, NULL);
			t0 := clock_timestamp();
			b := tailings._tile_at(t.z, t.x, t.y, NULL, at);
			INSERT INTO results VALUES (size, 'history', t.z, t.x, t.y, extract(epoch FROM clock_timestamp() - t0) * 1000,
			                            CASE WHEN pass = 1 THEN b END);
			-- (0.8.0's way: once, on every k-th tile from 400k rows on, k = rows / 200k: it takes
			-- seconds to minutes a tile; its ratio is over the tiles it made)
			n := n + 1;
			IF pass = 1 AND n % greatest(size / 200000, 1) = 0 THEN
				t0 := clock_timestamp();
				b := bench_old._tile_at(t.z, t.x, t.y, NULL, at);
				INSERT INTO results VALUES (size, 'log', t.z, t.x, t.y, extract(epoch FROM clock_timestamp() - t0) * 1000, b);
			END IF;
		END LOOP;
	END LOOP;
END $$;
SQL
	report
done
