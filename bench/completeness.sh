#!/usr/bin/env bash
# Completeness at national scale: N synthetic ponds (default 7,820, the
# national list) with about 40 elements each (sql/generate_national.sql).
#  1. tailings.pond_overview over all of them, reading the kept summaries
#     (tailings.pond_summary, 0.9.0), against the same view recomputing every
#     pond as it did before 0.9.0 (_pond_summary_computed: the check, as
#     _pond_summary was), and against the same rules written as one plain SQL
#     query (bench/completeness_plain.sql).  All three give the same answer
#     for every pond (checked here).
#  2. What keeping the summaries costs a bulk edit: inserting and then
#     updating 20 elements in each of P ponds (default 500: 10,000 rows, one
#     statement each, committed), with the summary triggers and without them
#     (disabled), as a ratio; and a template change (every pond checked at its commit).
# Median of 3 runs each.
#   bench/completeness.sh [PONDS] [EDITED_PONDS]
. "$(dirname "$0")/lib.sh"
ponds=${1:-7820}
edited=${2:-500}
runs=3
createdb bench
psql -X -q -d bench -c "CREATE EXTENSION tailings CASCADE"
echo "generating $ponds ponds ..." >&2
psql -X -q -d bench -v ponds="$ponds" -f sql/generate_national.sql
psql -X -q -d bench -c "VACUUM ANALYZE"
elements=$(psql -X -At -d bench -c "SELECT count(*) FROM tailings.element")
psql -X -q -d bench -c "CREATE VIEW plain_overview AS $(cat bench/completeness_plain.sql)"
# pond_overview as it was before 0.9.0: every pond's summary computed on every read
psql -X -q -d bench -c "CREATE VIEW recomputed_overview AS
SELECT p.id, p.code, p.name, p.enterprise, p.county_code, p.supervision_level, p.status,
       s.score, s.rules, s.errors_failed, s.warnings_failed,
       (SELECT count(*) FROM tailings.element e WHERE e.pond_id = p.id) AS elements
  FROM tailings.pond p CROSS JOIN LATERAL tailings._pond_summary_computed(p.id) s"

differ=$(psql -X -At -d bench -c "SELECT count(*) FROM plain_overview x JOIN tailings.pond_overview o USING (id)
	JOIN recomputed_overview r USING (id)
	WHERE (x.score, x.rules, x.errors_failed, x.warnings_failed)
	      IS DISTINCT FROM (o.score, o.rules::bigint, o.errors_failed::bigint, o.warnings_failed::bigint)
	   OR (o.*)::text IS DISTINCT FROM (r.*)::text")
kept=$(psql -X -At -d bench -c "SELECT count(*) FROM tailings.pond_summary
	WHERE current_date >= valid_from AND current_date < valid_until")

k_sql="SELECT sum(score), sum(rules), sum(errors_failed), sum(warnings_failed), sum(elements) FROM tailings.pond_overview"
c_sql="SELECT sum(score), sum(rules), sum(errors_failed), sum(warnings_failed), sum(elements) FROM recomputed_overview"
p_sql="SELECT sum(score), sum(rules), sum(errors_failed), sum(warnings_failed) FROM plain_overview"
for r in $(seq $runs); do
	echo "kept $(time_ms bench "$k_sql")"
	echo "c $(time_ms bench "$c_sql")"
	echo "plain $(time_ms bench "$p_sql")"
done >"$bench_work/times.txt"

# bulk edits, with and without the summary triggers: 20 elements in each of the first $edited ponds
ins_sql="INSERT INTO tailings.element (pond_id, kind, geom, name, verified_on)
SELECT p.id, 'sign', ST_Translate(p.location, 0.001 * (i % 5), 0.001 * (i / 5)), 'bench ' || i, DATE '2025-03-01'
  FROM (SELECT id, location FROM tailings.pond ORDER BY id LIMIT $edited) p, generate_series(1, 20) i"
upd_sql="UPDATE tailings.element SET verified_on = NULL WHERE name LIKE 'bench %'"
del_sql="DELETE FROM tailings.element WHERE name LIKE 'bench %'"
summary_triggers() {  # ENABLE|DISABLE
	psql -X -q -d bench -c "ALTER TABLE tailings.element $1 TRIGGER element_summary_insert,
		$1 TRIGGER element_summary_update, $1 TRIGGER element_summary_delete" 2>/dev/null ||
	for t in element_summary_insert element_summary_update element_summary_delete; do
		psql -X -q -d bench -c "ALTER TABLE tailings.element $1 TRIGGER $t"
	done
}
for r in $(seq $runs); do
	for mode in with without; do
		[ $mode = with ] && summary_triggers ENABLE || summary_triggers DISABLE
		echo "insert_$mode $(time_ms bench "$ins_sql")"
		echo "update_$mode $(time_ms bench "$upd_sql")"
		psql -X -q -d bench -c "$del_sql"
	done
done >>"$bench_work/times.txt"
summary_triggers ENABLE
psql -X -q -d bench -c "SELECT tailings.refresh_pond_summaries()" >/dev/null
# a template change: every pond checked once at its commit
template=$(time_ms bench "UPDATE tailings.requirement SET min_count = min_count WHERE name = 'dam'")

med() { awk -v k="$1" '$1 == k {print $2}' "$bench_work/times.txt" | median; }
k=$(med kept); c=$(med c); p=$(med plain)
iw=$(med insert_with); io=$(med insert_without); uw=$(med update_with); uo=$(med update_without)
echo
echo "$ponds ponds, $elements elements; $kept summaries kept; the kept, recomputed and plain SQL overviews differ on $differ ponds"
awk -v k="$k" -v c="$c" -v p="$p" -v n="$ponds" 'BEGIN {
	printf "tailings.pond_overview (kept summaries):   %8.0f ms  %8.0f ponds/s   (goal: under 300 ms)\n", k, n / k * 1000;
	printf "pond_overview recomputing (before 0.9.0): %8.0f ms  %8.0f ponds/s\n", c, n / c * 1000;
	printf "same rules as one plain SQL query:        %8.0f ms  %8.0f ponds/s\n", p, n / p * 1000;
	printf "ratio recomputing / kept: %.1f; plain SQL / kept: %.1f\n", c / k, p / k;
}'
awk -v iw="$iw" -v io="$io" -v uw="$uw" -v uo="$uo" -v e="$edited" 'BEGIN {
	printf "insert of %d elements in %d ponds, committed: %8.0f ms with the summaries kept, %8.0f ms without: ratio %.2f\n", e * 20, e, iw, io, iw / io;
	printf "update of the same %d elements, committed:     %8.0f ms with the summaries kept, %8.0f ms without: ratio %.2f\n", e * 20, uw, uo, uw / uo;
}'
awk -v t="$template" -v n="$ponds" 'BEGIN { printf "a template change, committed (every pond checked once): %.0f ms, %.2f ms a pond\n", t, t / n }'
