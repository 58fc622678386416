#!/usr/bin/env bash
# The cost of --auth token (design §9, issue 12): the same tiles from the same server binary,
# logged in as tailings_tileserver, with --auth none (the login itself, a reader) against
# --auth token with a county member's token (each request a pipeline of RESET ALL, BEGIN READ
# ONLY, SET LOCAL ROLE, the tile, COMMIT; row-level security by the member's scope):
#   uncached  --cache-mb 0: every request makes its tile in the database;  aim: county >= 0.90 x none
#             and, to tell the two costs apart, a reader's token (the same pipeline, the
#             reader's policy: every row): reader / none is the pipeline's cost, county / reader
#             the cost of the member's row-level security
#   cached    the cache warm (per scope): the same tiles from memory;        aim: county >= 0.95 x none
# The tiles: non-empty tiles z12-z16 at the ponds of the county that has the most ponds of the
# national data set (sql/generate_national.sql), in a fixed shuffled order, cycled by wrk
# (bench/tileserver_tiles.lua: no two requests in flight ask for the same tile).  Each side is
# warmed up, then measured ROUNDS times, the sides alternating (A B B A ...); the ratios are of
# the medians of requests per second.
#   bench/auth.sh [PONDS]              default 2000 ponds
# Environment: DURATION (s per measurement, 10), WARMUP (s, 3), ROUNDS (2), TILES (200),
# UNCACHED_CONNS (8), CACHED_CONNS (32), THREADS (2).  Needs wrk and curl.
for tool in wrk curl; do
	command -v "$tool" >/dev/null 2>&1 || { echo "bench/auth.sh: $tool is missing: apt-get install -y wrk curl" >&2; exit 2; }
done
ponds=${1:-2000}
duration=${DURATION:-10}
warmup=${WARMUP:-3}
rounds=${ROUNDS:-2}
ntiles=${TILES:-200}
uncached_conns=${UNCACHED_CONNS:-8}
cached_conns=${CACHED_CONNS:-32}
threads=${THREADS:-2}
pool=8
for v in "$ponds" "$duration" "$warmup" "$rounds" "$ntiles" "$uncached_conns" "$cached_conns" "$threads"; do
	case "$v" in '' | *[!0-9]* | 0) echo "usage: bench/auth.sh [PONDS] (PONDS, DURATION, ...: positive integers)" >&2; exit 2 ;; esac
done

. "$(dirname "$0")/lib.sh"
work=$bench_work/auth
mkdir -p "$work"
server_pid=
auth_cleanup() {
	if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
	bench_cleanup
}
trap auth_cleanup EXIT
say() { echo ".. $*" >&2; }
die() { echo "bench/auth.sh: $*" >&2; exit 1; }

say "building tailings-tileserver"
make -s -C tileserver build/tailings-tileserver >&2 || die "make failed"
cp tileserver/build/tailings-tileserver "$work/tailings-tileserver"

createdb bench
psql -X -q -d bench -c "CREATE EXTENSION tailings CASCADE"
say "generating $ponds ponds"
psql -X -q -d bench -v ponds="$ponds" -f sql/generate_national.sql >/dev/null
psql -X -q -d bench -c "VACUUM ANALYZE"
county=$(psql -X -At -d bench -c "SELECT county_code FROM tailings.pond GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
county_ponds=$(psql -X -At -d bench -c "SELECT count(*) FROM tailings.pond WHERE county_code = '$county'")
psql -X -q -d bench -v ON_ERROR_STOP=1 -v county="$county" -v ntiles="$ntiles" <<'SQL'
CREATE TABLE bench_tiles AS
SELECT row_number() OVER (ORDER BY md5(format('%s/%s/%s', z, x, y)))::int AS i, z, x, y
  FROM (SELECT DISTINCT z, floor((ST_X(p.location) + 180) / 360 * 2 ^ z)::int AS x,
               floor((1 - ln(tan(radians(ST_Y(p.location))) + 1 / cos(radians(ST_Y(p.location)))) / pi()) / 2 * 2 ^ z)::int AS y
          FROM tailings.pond p, generate_series(12, 16) AS z
         WHERE p.county_code = :'county') c
 WHERE length(tailings.tile(z, x, y)) > 0
 ORDER BY 1 LIMIT :ntiles;
SQL
ntiles=$(psql -X -At -d bench -c "SELECT count(*) FROM bench_tiles")
[ "$ntiles" -gt 0 ] || die "no tile"
psql -X -At -d bench -c "SELECT format('/tiles/all/%s/%s/%s.mvt', z, x, y) FROM bench_tiles ORDER BY i" >"$work/paths.txt"
psql -X -q -d postgres -c "CREATE ROLE bench_county LOGIN"
psql -X -q -d bench -c "SELECT tailings.add_member('bench_county', 'county', '$county', 'bench')" >/dev/null
token=$(psql -X -At -d bench -c "SELECT tailings.create_token('bench_county', 'bench', '1 day')")
psql -X -q -d postgres -c "CREATE ROLE bench_reader LOGIN; GRANT tailings_reader TO bench_reader"
reader_token=$(psql -X -At -d bench -c "SELECT tailings.create_token('bench_reader', 'bench', '1 day')")
psql -X -q -d bench -v ON_ERROR_STOP=1 -f sql/roles/tileserver.sql >/dev/null

start_server() {  # SIDE (none, reader, county) CACHE_MB
	local h
	server_port=$(shuf -i 20000-32000 -n 1)
	"$work/tailings-tileserver" --db "host=$PGHOST port=$PGPORT user=tailings_tileserver dbname=bench" \
		--listen "127.0.0.1:$server_port" --auth "$([ "$1" = none ] && echo none || echo token)" --cache-mb "$2" \
		--pool "$pool" --access-log off \
		>>"$work/server.log" 2>&1 &
	server_pid=$!
	for _ in $(seq 300); do
		kill -0 "$server_pid" 2>/dev/null || { tail "$work/server.log" >&2; die "the server did not start"; }
		h=$(curl -s --max-time 2 "http://127.0.0.1:$server_port/health" || true)
		case "$h" in *"\"idle\":$pool,"*) server_url=http://127.0.0.1:$server_port; return 0 ;; esac
		sleep 0.1
	done
	die "the server was not ready in 30 s"
}
stop_server() { kill -TERM "$server_pid"; wait "$server_pid" || die "the server exited with $?"; server_pid=; }
header() {  # SIDE: the same length of header on every side
	case $1 in
	county) echo "Authorization: Bearer $token" ;;
	reader) echo "Authorization: Bearer $reader_token" ;;
	*) echo "X-Authorization: none-$token" ;;
	esac
}

check_tiles() {  # AUTH: every tile 200; their mean size
	local codes
	codes=$(sed "s|.*|url = \"$server_url&\"\noutput = \"/dev/null\"|" "$work/paths.txt" \
		| curl -s -H "$(header "$1")" -w '%{http_code} %{size_download}\n' -K -)
	[ "$(grep -c '^200 ' <<<"$codes")" = "$ntiles" ] || die "--auth $1: not every tile answered 200"
	awk '{ s += $2 } END { printf "%.0f", s / NR }' <<<"$codes"
}

rps() {  # AUTH CONNECTIONS SECONDS: requests per second
	local out line
	out=$(wrk -t"$threads" -c"$2" -d"$3"s --timeout 10s -H "$(header "$1")" -s bench/tileserver_tiles.lua "$server_url" \
		-- "$work/paths.txt" "$threads" 2>&1) || { echo "$out" >&2; die "wrk failed"; }
	line=$(grep '^RESULT ' <<<"$out") || die "no RESULT from wrk"
	grep -q 'err_status=0 ' <<<"$line" || die "--auth $1: wrk saw error statuses: $line"
	awk -v l="$line" 'BEGIN { split(l, f, /[ =]/); for (i = 2; i < length(f); i += 2) v[f[i]] = f[i + 1];
		printf "%.0f", v["requests"] / (v["duration_us"] / 1e6) }'
}

declare -A R
measure() {  # PHASE CACHE_MB CONNECTIONS SIDE...
	local phase=$1 cache=$2 conns=$3 side order=() r
	shift 3
	for ((r = 0; r < rounds; r++)); do
		if ((r % 2)); then for ((i = $#; i >= 1; i--)); do order+=("${!i}"); done; else order+=("$@"); fi
	done
	for side in "${order[@]}"; do
		start_server "$side" "$cache"
		B[$side]=$(check_tiles "$side")
		rps "$side" "$conns" "$warmup" >/dev/null
		v=$(rps "$side" "$conns" "$duration")
		R[$phase/$side]="${R[$phase/$side]:-}$v "
		say "$phase $side: $v requests/s"
		stop_server
	done
}
declare -A B
med() { tr ' ' '\n' <<<"${R[$1]}" | grep . | median | awk '{ printf "%.0f", $1 }'; }

say "$ntiles tiles at the $county_ponds ponds of county $county"
measure uncached 0 "$uncached_conns" none reader county
measure cached 256 "$cached_conns" none county
r() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
met() { awk -v a="$1" -v b="$2" -v g="$3" 'BEGIN { print (a / b >= g) ? "met" : "NOT met" }'; }
echo
echo "bench/auth.sh: $ponds ponds, county $county ($county_ponds ponds), $ntiles tiles z12-z16, $rounds rounds of $duration s"
echo "  mean tile: ${B[none]} bytes as the login (a reader), ${B[reader]} as a reader's token, ${B[county]} as the county member"
n=$(med uncached/none); rd=$(med uncached/reader); c=$(med uncached/county)
echo "  uncached (--cache-mb 0, $uncached_conns connections): --auth none $n req/s, a reader's token $rd, the county's token $c"
echo "    county / none $(r "$c" "$n") (aim >= 0.90: $(met "$c" "$n" 0.90)); the pipeline (reader / none) $(r "$rd" "$n");" \
	"the member's row-level security (county / reader) $(r "$c" "$rd")"
echo "    rounds: none [${R[uncached/none]}] reader [${R[uncached/reader]}] county [${R[uncached/county]}]"
n=$(med cached/none); c=$(med cached/county)
echo "  cached ($cached_conns connections): --auth none $n req/s, the county's token $c: county / none $(r "$c" "$n")" \
	"(aim >= 0.95: $(met "$c" "$n" 0.95))"
echo "    rounds: none [${R[cached/none]}] county [${R[cached/county]}]"
