#!/usr/bin/env bash
# tailings-tileserver's tile cache against a private copy of the sample:
# invalidation by NOTIFY after a committed edit (a new tile and ETag within
# 1 s, the same as tailings.tile()), `at` tiles kept; request coalescing (20
# requests for a tile being made, one query); the metrics that count it all.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
suite_begin http_cache_db
T=/tiles/all/14/12824/6942.mvt     # pond 8, 龙佰丰源牛场坪尾矿库
www=$HTTP_WORK/cache-www
mkdir -p "$www"
printf '<!doctype html><title>cache</title>\n' >"$www/index.html"
suite_server cache --pool 4 --www "$www" --server-name maps.example.org
log=$HTTP_OUT

echo "# invalidation by NOTIFY; \`at\` tiles kept"
jc2() { "$TAILINGS_MVTCHECK" --geojson --tile 14/12824/6942 "$1" | grep 'JC2' | sed -E 's/.*"coordinates":\[([^]]*)\].*/\1/'; }
fetch_tile "before the edit" 200 "$T"
cp "$BODY" "$HTTP_WORK/before.mvt"
etag_before=$(hdr ETag)
fetch -H 'Accept-Encoding: gzip' "$T"
etag_gz_before=$(hdr ETag)
jc2_before=$(jc2 "$HTTP_WORK/before.mvt")
check "JC2 in the tile ($jc2_before)" test -n "$jc2_before"
read -r at_utc at_cst < <(q -d "$db" -F ' ' -c "SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), to_char(t AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+08:00\"') FROM (SELECT clock_timestamp() AS t) s")
sleep 0.2
fetch_tile "at=$at_utc before the edit" 200 "$T?at=$at_utc"
cp "$BODY" "$HTTP_WORK/at_before.mvt"
etag_at=$(hdr ETag)
expect_eq "at tile before the edit: JC2 where it is" "$(jc2 "$HTTP_WORK/at_before.mvt")" "$jc2_before"
notif0=$(metric tailings_notifications_total)
move_jc2 "$db"
t0=$(date +%s%N)
changed=
for _ in $(seq 40); do
	fetch "$T"
	if [ "$ST" = 200 ] && [ "$(hdr ETag)" != "$etag_before" ]; then
		changed=$((($(date +%s%N) - t0) / 1000000))
		break
	fi
	sleep 0.05
	[ $((($(date +%s%N) - t0) / 1000000)) -gt 1000 ] && break
done
if [ -n "$changed" ]; then ok "after the UPDATE, a new ETag within 1 s (${changed} ms)"; else not_ok "after the UPDATE, the same ETag for more than 1 s"; fi
mvt_ok "$BODY" || not_ok "the new tile is invalid"
cp "$BODY" "$HTTP_WORK/after.mvt"
check "the new tile equals tailings.tile() now" \
	test "$(q -d "$db" -c "SELECT md5(tailings.tile(14, 12824, 6942))")" = "$(md5sum <"$HTTP_WORK/after.mvt" | cut -d' ' -f1)"
jc2_after=$(jc2 "$HTTP_WORK/after.mvt")
check "JC2 moved 0.0005° east ($jc2_before -> $jc2_after)" "$PY" -c "
import sys
b = [float(v) for v in '$jc2_before'.split(',')]; a = [float(v) for v in '${jc2_after:-0,0}'.split(',')]
sys.exit(not (abs(a[0] - b[0] - 0.0005) < 2e-5 and abs(a[1] - b[1]) < 2e-5))"
fetch -H 'Accept-Encoding: gzip' "$T"
check "the gzip ETag changed too" test "$ST" = 200 -a "$(hdr ETag)" != "$etag_gz_before"
check "a notification counted ($notif0 -> $(metric tailings_notifications_total))" \
	test "$(metric tailings_notifications_total)" -gt "$notif0"
fetch_tile "at=$at_utc after the edit" 200 "$T?at=$at_utc"
expect_eq "at tile after the edit: same ETag" "$(hdr ETag)" "$etag_at"
check "at tile after the edit: same bytes" cmp -s "$BODY" "$HTTP_WORK/at_before.mvt"
check "access log: the at tile was a cache hit" \
	test "$(grep -F "\"GET $T?at=$at_utc\" " "$log" | tail -1 | grep -oE '(hit|miss|coalesced)$')" = hit
fetch_tile "the same instant as +08:00 (not cached)" 200 "$T?at=$at_cst"
expect_eq "the at tile made after the edit: JC2 where it was" "$(jc2 "$BODY")" "$jc2_before"
check "the at tile made after the edit: same bytes as before" cmp -s "$BODY" "$HTTP_WORK/at_before.mvt"
# a pond edit reaches the ponds layer of a tile around the pond (score, name)
fetch_tile "ponds layer" 200 /tiles/ponds/14/12824/6942.mvt
e_ponds=$(hdr ETag)
q -d "$db" -c "UPDATE tailings.pond SET name = name || '（改）' WHERE id = 8"
wait_new_etag /tiles/ponds/14/12824/6942.mvt "$e_ponds" 20 0.05; changed=$?
# (the name twice: on the boundary and on its anchor point, which carries the label)
check "a pond edit: new ponds tile with the new name" \
	test "$changed" = 0 -a "$("$TAILINGS_MVTCHECK" "$BODY" | grep -c '（改）')" = 2

# a sample reaches its well's groundwater state in the tiles around it; a change of the
# limits (no pond, no area) reaches every well's
G=/tiles/groundwater/14/12824/6942.mvt
jc2_state() { "$TAILINGS_MVTCHECK" "$BODY" | grep 'JC2' | grep -oE 'gw_state="[a-z_]+"'; }
fetch_tile "groundwater layer" 200 "$G"
e_gw=$(hdr ETag)
expect_eq "JC2 with the sample's quarterly samples, within class III" "$(jc2_state)" 'gw_state="ok"'
q -d "$db" -c "INSERT INTO tailings.sample (element_id, sampled_on, parameter, value)
	SELECT id, current_date, 'manganese', 0.35 FROM tailings.element WHERE pond_id = 8 AND name = '地下水监视井 JC2'"
wait_new_etag "$G" "$e_gw" 20 0.05; changed=$?
check "a sample: a new groundwater tile" test "$changed" = 0
expect_eq "JC2's manganese above class III" "$(jc2_state)" 'gw_state="exceeds"'
e_gw=$(hdr ETag)
q -d "$db" -c "UPDATE tailings.gw_limit SET max_value = 0.5 WHERE parameter = 'manganese'"
wait_new_etag "$G" "$e_gw" 20 0.05; changed=$?
check "a limit edited: a new groundwater tile" test "$changed" = 0
expect_eq "JC2 within the edited limit" "$(jc2_state)" 'gw_state="ok"'
check "the groundwater tile equals tailings.tile() now" \
	test "$(q -d "$db" -c "SELECT md5(tailings.tile(14, 12824, 6942, '{groundwater}'))")" = "$(md5sum <"$BODY" | cut -d' ' -f1)"
q -d "$db" -c "UPDATE tailings.gw_limit SET max_value = 0.10 WHERE parameter = 'manganese'"

# ---------------------------------------------------------------------------
echo "# coalescing"
C=/tiles/all/13/6412/3471.mvt
check "the element table locked" db_lock "$db" tailings.element
q0=$(metric tailings_db_queries_total)
c0=$(metric tailings_tile_coalesced_total)
"$PY" "$HTTP_CLIENT" burst "$HTTP_PORT" 20 "$C" >"$HTTP_WORK/burst.txt" &
burst_pid=$!
wait_until 5 metric_is tailings_tile_coalesced_total -ge $((c0 + 19))
expect_eq "20 requests waiting for one tile: 19 coalesced" "$(($(metric tailings_tile_coalesced_total) - c0))" 19
db_unlock
wait "$burst_pid"
expect_eq "20 answers, all 200, identical" \
	"$(wc -l <"$HTTP_WORK/burst.txt") $(cut -d' ' -f1 "$HTTP_WORK/burst.txt" | sort -u) $(cut -d' ' -f2- "$HTTP_WORK/burst.txt" | sort -u | wc -l)" "20 200 1"
expect_eq "one database query for the 20" "$(($(metric tailings_db_queries_total) - q0))" 1
expect_eq "access log: 1 miss, 19 coalesced" \
	"$(grep -F "\"GET $C\" " "$log" | grep -oE '(miss|hit|coalesced)$' | sort | uniq -c | tr -s ' ' | tr '\n' ,)" " 19 coalesced, 1 miss,"
fetch_tile "the coalesced tile, from the cache" 200 "$C"
expect_eq "the coalesced tile: the bytes all 20 got" "$(md5sum <"$BODY" | cut -d' ' -f1)" "$(cut -d' ' -f2 "$HTTP_WORK/burst.txt" | head -1)"

echo "# a request of each status the metrics count"
fetch_tile "an empty tile" 204 /tiles/all/3/1/1.mvt
fetch_tile "a tile" 200 "$T"
fetch -H "If-None-Match: $(hdr ETag)" "$T"
expect_eq "a tile with its ETag: 304" "$ST" 304
for bad in "/tiles/all/3/1/1.mvt?at=yesterday" "/tiles/all/3/1/1.mvt?at=2025-13-45" "/tiles/all/3/1/1.mvt?at=2025-03-01T25:00:00Z"; do
	expect_error "a malformed tile $bad" 400 "$bad"
done
expect_error "POST /health" 405 -X POST /health
expect_error "TRACE, which no endpoint takes" 405 -X TRACE /health
expect_error "a URI of 2049 bytes" 414 "/$(head -c 2048 /dev/zero | tr '\0' a)"
expect_error "a missing file" 404 /missing.html
expect_error "an unknown pond" 404 /api/ponds/99999

echo "# metrics"
fetch /metrics
expect_eq "/metrics 200" "$ST $(hdr Content-Type)" "200 text/plain; version=0.0.4"
cp "$BODY" "$HTTP_WORK/metrics.txt"
for m in 'tailings_http_requests_total{endpoint="tile",status="200"}' 'tailings_http_requests_total{endpoint="tile",status="204"}' \
	'tailings_http_requests_total{endpoint="tile",status="304"}' 'tailings_http_requests_total{endpoint="tile",status="400"}' \
	'tailings_http_requests_total{endpoint="health",status="405"}' 'tailings_http_requests_total{endpoint="other",status="405"}' \
	'tailings_http_requests_total{endpoint="other",status="414"}' \
	'tailings_http_requests_total{endpoint="static",status="404"}' 'tailings_http_requests_total{endpoint="pond",status="404"}' \
	tailings_tile_seconds_count tailings_cache_hits_total tailings_cache_misses_total tailings_cache_bytes \
	tailings_notifications_total tailings_db_pool_connections; do
	v=$(awk -v n="$m" '$1 == n { print $2 }' "$HTTP_WORK/metrics.txt")
	check "metric $m = ${v:-absent} > 0" test "${v:-0}" -gt 0
done
for m in tailings_cache_evictions_total tailings_db_reconnects_total tailings_db_pool_busy tailings_db_pool_idle; do
	check "metric $m present" grep -q "^$m " "$HTTP_WORK/metrics.txt"
done
expect_eq "metrics: the pool size" "$(awk '$1 == "tailings_db_pool_connections" { print $2 }' "$HTTP_WORK/metrics.txt")" 4
check "metrics: every line a comment or NAME{LABELS} VALUE" \
	test -z "$(grep -vE '^(# (HELP|TYPE) .*|[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+)$' "$HTTP_WORK/metrics.txt")"
check "metrics: histogram buckets grow, +Inf = count" "$PY" - "$HTTP_WORK/metrics.txt" <<'PY'
import sys
b, count = [], None
for line in open(sys.argv[1]):
    if line.startswith('tailings_tile_seconds_bucket'):
        b.append(float(line.split()[1]))
    elif line.startswith('tailings_tile_seconds_count'):
        count = float(line.split()[1])
sys.exit(not (b and all(x <= y for x, y in zip(b, b[1:])) and b[-1] == count))
PY
fetch /health
expect_eq "health: the cache holds entries" "$(json_q "$BODY" 'd["cache"]["entries"] > 0')" true

suite_end
