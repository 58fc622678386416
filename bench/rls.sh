#!/usr/bin/env bash
# The cost of row-level security on uncached tiles: tailings.tile() over the same tiles
# (z10 to z16 around every 10th pond of the national data set, sql/generate_national.sql)
# as a superuser (row-level security does not apply), as a county member (SET ROLE; its
# scope covers every pond: the generated ponds are put in its county first, so that the
# three draw the same tiles, which the script checks byte for byte) and as tailings_reader
# (a reader: every row, through the policies).  Each role in a session of its own (plans
# cached after a warm-up pass of 50 tiles; the faster of two passes), the three one after the other (each round begins with the next), five rounds;
# the median of each.  Prints the times and the ratios, member / superuser and reader /
# superuser (goal < 1.10).
#   bench/rls.sh [PONDS]
. "$(dirname "$0")/lib.sh"
ponds=${1:-2000}
rounds=5
createdb bench
psql -X -q -d bench -c "CREATE EXTENSION tailings CASCADE"
echo "generating $ponds ponds ..." >&2
psql -X -q -d bench -v ponds="$ponds" -f sql/generate_national.sql >&2
psql -X -q -v ON_ERROR_STOP=1 -d bench >&2 <<'SQL'
SET tailings.tracking = off;
UPDATE tailings.pond SET county_code = '510421';
RESET tailings.tracking;
CREATE ROLE bench_county LOGIN;
CREATE ROLE bench_reader LOGIN IN ROLE tailings_reader;
SELECT tailings.add_member('bench_county', 'county', '510421', 'bench county');
VACUUM ANALYZE;
CREATE TABLE public.tiles AS
SELECT z, floor((ST_X(p.location) + 180) / 360 * 2 ^ z)::int AS x,
       floor((1 - ln(tan(radians(ST_Y(p.location))) + 1 / cos(radians(ST_Y(p.location)))) / pi()) / 2 * 2 ^ z)::int AS y
  FROM tailings.pond p, generate_series(10, 16) AS z
 WHERE p.id % 10 = 0;
GRANT SELECT ON public.tiles TO PUBLIC;
SQL

# one pass over the tiles as ROLE (empty: the superuser): "ms bytes md5"
pass() {
	psql -X -q -At -v ON_ERROR_STOP=1 -d bench <<SQL
SET client_min_messages = notice;
${1:+SET ROLE $1;}
-- warm-up: the plans of tile() prepared and cached for this role
SELECT count(length(tailings.tile(z, x, y))) FROM (SELECT * FROM public.tiles ORDER BY z, x, y LIMIT 50) t \g /dev/null
CREATE TEMP TABLE out (ord int, mvt bytea);
-- two passes, the faster counts (a pause of the machine's other work in one of them is left out)
DO \$\$
DECLARE t record; t0 timestamptz; i int; best float8;
BEGIN
	FOR pass IN 1..2 LOOP
		TRUNCATE out;
		i := 0;
		t0 := clock_timestamp();
		FOR t IN SELECT * FROM public.tiles ORDER BY z, x, y LOOP
			i := i + 1;
			INSERT INTO out VALUES (i, tailings.tile(t.z, t.x, t.y));
		END LOOP;
		best := least(best, extract(epoch FROM clock_timestamp() - t0) * 1000);
	END LOOP;
	RAISE NOTICE 'ms %', round(best::numeric, 1);
END \$\$;
SELECT sum(length(mvt)) || ' ' || md5(string_agg(mvt, '' ORDER BY ord)) FROM out;
SQL
}
declare -A ms bytes sums
order=(superuser county reader)
for r in $(seq $rounds); do
	# each round starts with another role: no role always runs first
	for i in 0 1 2; do
		who=${order[$(((i + r) % 3))]}
		case $who in superuser) role= ;; county) role=bench_county ;; reader) role=bench_reader ;; esac
		out=$(pass "$role" 2>&1)
		t=$(sed -nE 's/.*NOTICE:  ms ([0-9.]+).*/\1/p' <<<"$out")
		read -r b s < <(grep -E '^[0-9]+ [0-9a-f]{32}$' <<<"$out")
		[ -n "$t" ] && [ -n "$s" ] || { echo "the pass as $who failed: $out" >&2; exit 1; }
		echo "  round $r $who $t ms, $b bytes" >&2
		ms[$who]+="$t "
		bytes[$who]=$b
		sums[$who]=$s
	done
done
tiles=$(psql -X -q -At -d bench -c "SELECT count(*) FROM public.tiles")
echo
printf '%-10s %10s %10s %12s   (%d tiles z10-z16, %d ponds, median of %d)\n' role ms tiles/s bytes "$tiles" "$ponds" "$rounds"
declare -A med
for who in superuser county reader; do
	med[$who]=$(tr ' ' '\n' <<<"${ms[$who]}" | sed '/^$/d' | median)
	printf '%-10s %10.1f %10.0f %12s\n' "$who" "${med[$who]}" "$(awk -v t="${med[$who]}" -v n="$tiles" 'BEGIN {print n / (t / 1000)}')" "${bytes[$who]}"
done
echo
same=yes
[ "${sums[county]}" = "${sums[superuser]}" ] && [ "${sums[reader]}" = "${sums[superuser]}" ] || same=no
echo "the three drew the same tiles, byte for byte: $same"
awk -v s="${med[superuser]}" -v c="${med[county]}" -v r="${med[reader]}" 'BEGIN {
	printf "row-level security on uncached tiles: county member / superuser = %.2f, reader / superuser = %.2f (goal < 1.10)\n", c / s, r / s
}'
[ "$same" = yes ]
