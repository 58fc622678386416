#!/usr/bin/env bash
# The instructions tailings.track_changes() adds to a row's change, counted by
# callgrind (stable where the machine's times are not). One backend in
# single-user mode runs ROWS inserts, then ROWS updates (moving the geometry,
# renaming), then ROWS deletes, on three copies of tailings.element, one
# after the other in one cluster:
#   none     no trigger
#   c        track_changes(), the log only (a tracked table without a history)
#   c_hist   track_changes() with a history table (tailings.add_history), as
#            element, pond and sample have
# each after a warm-up change of its own (the caches filled). Prints each
# total, and what c and c_hist add to none, in all and per change.
#   bench/tracking_instructions.sh [ROWS]      (default 1000)
for tool in valgrind callgrind_annotate; do
	command -v $tool >/dev/null || { echo "$tool is missing: apt-get install valgrind" >&2; exit 2; }
done
. "$(dirname "$0")/lib.sh"
rows=${1:-1000}
createdb cg
psql -X -q -d cg -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE EXTENSION tailings CASCADE;
INSERT INTO tailings.pond (code, name, supervision_level, status, location)
VALUES ('B-1', 'bench', 3, 'in_use', ST_SetSRID(ST_MakePoint(101.7, 26.5), 4490));
CREATE TABLE bench_none (LIKE tailings.element INCLUDING ALL);
CREATE TABLE bench_c (LIKE tailings.element INCLUDING ALL);
CREATE TABLE bench_c_hist (LIKE tailings.element INCLUDING ALL);
SELECT tailings.track_table('bench_c');
SELECT tailings.track_table('bench_c_hist');
SELECT tailings.add_history('bench_c_hist');
-- (the element's history indexes: the row id, geometry and period, pond and kind)
DROP INDEX bench_c_hist_history_pond_idx;
CREATE INDEX ON bench_c_hist_history (pond_id, kind);
SQL
scripts/cluster.sh stop "$bench_work/pg"
chmod 777 "$bench_work"
declare -A total
for v in none c c_hist; do
	warm="INSERT INTO bench_$v (pond_id, kind, geom, name) VALUES (1, 'sign', ST_SetSRID(ST_MakePoint(101.7, 26.5), 4490), 'warm'); UPDATE bench_$v SET name = 'w2'; DELETE FROM bench_$v;"
	work="INSERT INTO bench_$v (pond_id, kind, geom, name, source, attrs) SELECT 1, 'gw_monitoring_well', ST_SetSRID(ST_MakePoint(101.7 + (i % 1000) * 0.0001, 26.5 + (i / 1000) * 0.0001), 4490), 'well ' || i, 'drone', jsonb_build_object('depth_m', 20 + i % 10) FROM generate_series(1, $rows) AS i;
UPDATE bench_$v SET geom = ST_Translate(geom, 0.0001, 0), name = name || '*';
DELETE FROM bench_$v;"
	out=$bench_work/callgrind.$v.out
	printf '%s\n%s\n' "$warm" "$work" | (cd /tmp && runuser -u postgres -- valgrind --tool=callgrind \
		--callgrind-out-file="$out" "$(pg_config --bindir)/postgres" --single -D "$bench_work/pg/data" \
		-c client_min_messages=warning cg >"$bench_work/single.$v.log" 2>&1) ||
		{ echo "postgres --single failed for $v:" >&2; tail -5 "$bench_work/single.$v.log" >&2; exit 1; }
	total[$v]=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
	awk -v v=$v -v t="${total[$v]}" 'BEGIN { printf "%-7s %9.1f M instructions\n", v, t / 1e6 }'
done
echo
for v in c c_hist; do
	awk -v v=$v -v t="${total[$v]}" -v n="${total[none]}" -v rows=$rows 'BEGIN {
		printf "%-7s adds %7.1f M instructions to %d inserts, updates and deletes: %.0f per change\n",
		       v, (t - n) / 1e6, rows, (t - n) / (3 * rows) }'
done
