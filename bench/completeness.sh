#!/usr/bin/env bash
# Completeness at national scale: N synthetic ponds (default 7,820, the
# national list) with about 40 elements each (sql/generate_national.sql);
# tailings.pond_overview over all of them, against the same rules written as
# one plain SQL query (bench/completeness_plain.sql).  Both give the same
# answer for every pond (checked here); median of 3 runs each.
#   bench/completeness.sh [PONDS]
. "$(dirname "$0")/lib.sh"
ponds=${1:-7820}
runs=3
createdb bench
psql -X -q -d bench -c "CREATE EXTENSION tailings CASCADE"
echo "generating $ponds ponds ..." >&2
psql -X -q -d bench -v ponds="$ponds" -f sql/generate_national.sql
psql -X -q -d bench -c "VACUUM ANALYZE"
elements=$(psql -X -At -d bench -c "SELECT count(*) FROM tailings.element")
psql -X -q -d bench -c "CREATE VIEW plain_overview AS $(cat bench/completeness_plain.sql)"

differ=$(psql -X -At -d bench -c "SELECT count(*) FROM plain_overview x JOIN tailings.pond_overview o USING (id)
	WHERE (x.score, x.rules, x.errors_failed, x.warnings_failed)
	      IS DISTINCT FROM (o.score, o.rules::bigint, o.errors_failed::bigint, o.warnings_failed::bigint)")

c_sql="SELECT sum(score), sum(rules), sum(errors_failed), sum(warnings_failed) FROM tailings.pond_overview"
p_sql="SELECT sum(score), sum(rules), sum(errors_failed), sum(warnings_failed) FROM plain_overview"
for r in $(seq $runs); do
	echo "c $(time_ms bench "$c_sql")"
	echo "plain $(time_ms bench "$p_sql")"
done >"$bench_work/times.txt"
c=$(awk '$1 == "c" {print $2}' "$bench_work/times.txt" | median)
p=$(awk '$1 == "plain" {print $2}' "$bench_work/times.txt" | median)
echo
echo "$ponds ponds, $elements elements; pond_overview and the plain SQL query differ on $differ ponds"
awk -v c="$c" -v p="$p" -v n="$ponds" 'BEGIN {
	printf "tailings.pond_overview (C check):  %8.0f ms  %8.0f ponds/s   (goal: under 5 s)\n", c, n / c * 1000;
	printf "same rules as one plain SQL query: %8.0f ms  %8.0f ponds/s\n", p, n / p * 1000;
	printf "ratio plain SQL time / C time: %.2f\n", p / c;
}'
