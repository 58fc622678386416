#!/usr/bin/env bash
# tailings-tileserver under valgrind (memcheck): every endpoint once, a few
# tiles, gzip, 304, errors, HEAD, malformed requests, coalesced requests,
# clients that go away while their tile is made, a change notification, and
# SIGTERM: no memory error and no definite or indirect leak.  Then a server with
# --auth token (tests/lib/auth.sh's members) the same way: tokens resolved,
# kept, refused and in flight at once; tiles per scope, coalesced and given up
# on while the database holds them; the write API's every path (drawings,
# steps, 4xx from the database, 409), bodies over the limit (declared,
# chunked, pipelined); the change stream per scope; SIGTERM with a client
# waiting for its token.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
db=http_valgrind_db

if ! command -v valgrind >/dev/null; then
	echo "# valgrind is missing: installing it"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null 2>&1 || die "valgrind is not installed"
fi
suite_begin "$db"
www=$HTTP_WORK/vg-www
mkdir -p "$www"
printf '<!doctype html><title>valgrind</title>\n' >"$www/index.html"
printf 'console.log("valgrind");\n' >"$www/app.js"
gzip -9 -n -k "$www/app.js"
vlog=$HTTP_WORK/valgrind.log
HTTP_WRAPPER=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
	--show-leak-kinds=definite,indirect --num-callers=30 --log-file="$vlog")
ln -sf /etc/passwd "$www/passwd.txt"
http_start valgrind --db "$(http_conninfo "$db")" --www "$www" --pool 3 --cache-mb 1 \
	--header-timeout-s 2 --max-conns-per-ip 8 --max-streams-per-ip 8
HTTP_WRAPPER=()
http_wait_health 60 || die "the server did not come up under valgrind"
T=/tiles/all/14/12824/6942.mvt

echo "# endpoints"
for p in /health /metrics /style.json /sprite.json /sprite.png /sprite@2x.json /sprite@2x.png \
	"/fonts/Noto%20Sans%20CJK%20SC%20Regular/0-255.pbf" /tiles/all.json /tiles/ponds,groundwater.json /api/ponds /api/ponds/8 \
	/api/ponds/8/completeness /index.html /; do
	fetch "$p"
	expect_eq "GET $p" "$ST" 200
done
fetch_tile "tile" 200 "$T"
cp "$BODY" "$HTTP_WORK/vg.mvt"
etag=$(hdr ETag)
fetch_tile "tile from the cache" 200 "$T"
fetch -H 'Accept-Encoding: gzip' "$T"
gzip -dc <"$BODY" >"$HTTP_WORK/vg.gunzip" 2>/dev/null
check "gzip round trip" cmp -s "$HTTP_WORK/vg.gunzip" "$HTTP_WORK/vg.mvt"
fetch -H "If-None-Match: $etag" "$T"
expect_eq "304" "$ST" 304
fetch_tile "empty tile" 204 /tiles/all/3/1/1.mvt
fetch_tile "world" 200 /tiles/all/0/0/0.mvt
fetch_tile "two layers" 200 /tiles/ponds,groundwater/14/12824/6942.mvt
fetch_tile "at" 200 "$T?at=2030-01-01T00:00:00Z"
fetch_tile "at with a bad date" 400 "$T?at=2025-13-45"
n=0
for x in 12822 12823 12824 12825; do   # more tiles, some of them empty
	for y in 6941 6943; do
		fetch "/tiles/all/14/$x/$y.mvt"
		case $ST in
		200) mvt_ok "$BODY" && n=$((n + 1)) ;;
		204) n=$((n + 1)) ;;
		esac
	done
done
expect_eq "8 more tiles, 200 or 204" "$n" 8
fetch /index.html
fetch -H "If-None-Match: $(hdr ETag)" /index.html
expect_eq "static 304" "$ST" 304
fetch -H 'Accept-Encoding: gzip' /app.js
expect_eq "static, its .gz copy" "$ST $(hdr Content-Encoding)" "200 gzip"

echo "# errors"
for pe in "400 /tiles/all/23/0/0.mvt" "400 /tiles/all/x/0/0.mvt" "404 /tiles/bogus/0/0/0.mvt" "404 /tiles/bogus.json" \
	"404 /api/ponds/99999" "404 /api/ponds/99999/completeness" "400 /api/ponds/abc" "404 /missing" "404 /../etc/passwd" \
	"400 /index.html%00" "400 /fonts/x/9-1.pbf" "404 /tiles/尾矿库尾矿库尾矿库尾矿库尾矿/0/0/0.mvt"; do
	fetch "${pe#* }"
	expect_eq "GET ${pe#* }" "$ST" "${pe%% *}"
done
fetch -X POST --data-binary 'x' /api/ponds
expect_eq "POST 405" "$ST" 405
fetch -X OPTIONS "$T"
expect_eq "OPTIONS 204" "$ST" 204
fetch "/$(head -c 3000 /dev/zero | tr '\0' a)"
expect_eq "414" "$ST" 414
HTTP_NO_CORS=1 fetch -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)" /health
expect_match "a 9 KB header: 4xx" "$ST" '^4'
for req in 'HEAD /tiles/all/14/12824/6942.mvt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' \
	'HEAD /api/ponds/8 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' \
	'BREW /pot HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' 'GET / HTTP/9.9\r\n\r\n' '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03garbage\r\n\r\n' \
	'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nab' 'GET /tiles/all/1/0/0.mvt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' \
	'GET /health HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'; do
	printf "$req" | raw_http 2 >"$HTTP_WORK/vg.raw" || true
	echo "# raw $(printf '%s' "$req" | cut -c1-40): $(head -1 "$HTTP_WORK/vg.raw" | tr -d '\r' | cut -c1-60)"
done

echo "# coalescing, and clients that go away while their tile is made"
check "the element table locked" db_lock "$db" tailings.element
"$PY" "$HTTP_CLIENT" burst "$HTTP_PORT" 5 /tiles/all/12/3206/1735.mvt >"$HTTP_WORK/vg-burst.txt" &
burst_pid=$!
# two that give up: the first asks alone, the second joins a tile being made
curl -s -o /dev/null --max-time 1 "$HTTP_URL/tiles/all/15/25649/13884.mvt" &
gone1=$!
curl -s -o /dev/null --max-time 1 "$HTTP_URL/tiles/all/12/3206/1735.mvt" &
gone2=$!
wait "$gone1" "$gone2"
sleep 0.5
db_unlock
wait "$burst_pid"
expect_eq "5 coalesced requests: 5 identical 200s" \
	"$(cut -d' ' -f1 "$HTTP_WORK/vg-burst.txt" | sort | uniq -c | tr -s ' ') $(cut -d' ' -f2 "$HTTP_WORK/vg-burst.txt" | sort -u | wc -l)" " 5 200 1"
fetch_tile "the tile a client gave up on" 200 /tiles/all/15/25649/13884.mvt

echo "# a change notification, and the change stream"
curl -s -N --max-time 60 "$HTTP_URL/events" >"$HTTP_WORK/vg-left.sse" &   # leaves after the change
left=$!
curl -s -N --max-time 60 "$HTTP_URL/events" >"$HTTP_WORK/vg-stays.sse" &   # open at SIGTERM
stays=$!
curl -s -N --http1.0 --max-time 60 "$HTTP_URL/events" >"$HTTP_WORK/vg-10.sse" &   # HTTP/1.0: not chunked
for f in stays left 10; do wait_for "$HTTP_WORK/vg-$f.sse" '^event: hello$' 10; done
fetch /api/catalog
expect_eq "/api/catalog" "$ST" 200
fetch "/api/ponds/8?lang=en"
expect_eq "/api/ponds/8?lang=en" "$ST" 200
fetch_tile "before the edit" 200 "$T"
before=$(hdr ETag)
move_jc2 "$db"
check "the tile changed after the UPDATE" wait_new_etag "$T" "$before" 50 0.1
for f in stays left 10; do
	check "the change reached stream $f" grep -q '^event: change' "$HTTP_WORK/vg-$f.sse"
done
kill "$left"
sleep 0.5
q -d "$db" -c "UPDATE tailings.requirement SET min_count = min_count + 1 WHERE name = 'dam'"   # a notification without a bbox
sleep 0.5
fetch_tile "after a rule change" 200 "$T"
fetch /metrics
check "metrics: notifications counted" grep -q '^tailings_notifications_total [1-9]' "$BODY"

echo "# limits and hygiene"
fetch -H 'Host: rebind.example' /health
expect_eq "a bad Host: 400" "$ST" 400
fetch /passwd.txt
expect_eq "a symbolic link in --www: 404" "$ST" 404
printf 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nContent-Length: 3\r\n\r\nabc' | raw_http 3 >"$HTTP_WORK/vg.raw" || true
expect_match "two Content-Length: 400" "$(head -1 "$HTTP_WORK/vg.raw")" '^HTTP/1.1 400'
res=$("$PY" "$http_root/tests/lib/http_attack.py" trickle "$HTTP_PORT" 15)
expect_match "a trickled head: 408 at the deadline" "$res" '^closed [0-9.]+ HTTP/1.1 408'
rm -f "$HTTP_WORK/vg-hold."*
"$PY" "$http_root/tests/lib/http_attack.py" hold "$HTTP_PORT" 8 "$HTTP_WORK/vg-hold.ready" "$HTTP_WORK/vg-hold.go" "$HTTP_WORK/vg-hold.json" &
holder=$!
wait_until 30 test -e "$HTTP_WORK/vg-hold.ready"
HTTP_NO_CORS=1 fetch /health
expect_eq "a ninth connection from the address: 503" "$ST" 503
touch "$HTTP_WORK/vg-hold.go"
wait "$holder"
rm -f "$HTTP_WORK/vg-nr."*
"$PY" "$http_root/tests/lib/http_attack.py" nonreaders "$HTTP_PORT" 3 "$HTTP_WORK/vg-nr.ready" "$HTTP_WORK/vg-nr.go" "$HTTP_WORK/vg-nr.json" &
nr=$!
wait_until 30 test -e "$HTTP_WORK/vg-nr.ready"
sleep 1
# real changes (only changes found in the log are relayed): 2 x 999 elements
for _ in 1 2; do
	q -d "$db" -c "UPDATE tailings.element SET accuracy_m = coalesce(accuracy_m, 0) + 1" >/dev/null
done
wait_until 60 metric_is tailings_event_streams_dropped_total -ge 3
check "3 non-reading streams dropped" test "$(metric tailings_event_streams_dropped_total)" -ge 3
touch "$HTTP_WORK/vg-nr.go"
wait "$nr"
expect_eq "... their connections closed" "$(json_q "$HTTP_WORK/vg-nr.json" 'd["eof"]' 2>/dev/null)" 3

echo "# SIGTERM"
http_stop 90
wait "$stays" 2>/dev/null
valgrind_clean() {   # valgrind_clean LOG WHAT: exit status 0, no error, nothing definitely or indirectly lost
	local vlog=$1 what=$2 errors definite indirect
	echo "# valgrind ($what):"
	grep -E 'ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|still reachable|in use at exit|total heap usage' "$vlog" | sed 's/^==[0-9]*== */#   /'
	expect_eq "$what: exit status 0 under valgrind (99: valgrind errors)" "$HTTP_RC" 0
	errors=$(grep -oE 'ERROR SUMMARY: [0-9]+' "$vlog" | tail -1 | grep -oE '[0-9]+$')
	expect_eq "$what: valgrind: no errors" "${errors:-missing}" 0
	definite=$(grep -E 'definitely lost:' "$vlog" | tail -1 | sed -E 's/.*definitely lost: ([0-9,]+) bytes.*/\1/' | tr -d ,)
	indirect=$(grep -E 'indirectly lost:' "$vlog" | tail -1 | sed -E 's/.*indirectly lost: ([0-9,]+) bytes.*/\1/' | tr -d ,)
	if grep -q 'All heap blocks were freed' "$vlog"; then definite=0; indirect=0; fi
	expect_eq "$what: valgrind: nothing definitely lost" "${definite:-missing}" 0
	expect_eq "$what: valgrind: nothing indirectly lost" "${indirect:-missing}" 0
	if [ "${errors:-1}" != 0 ] || [ "${definite:-1}" != 0 ] || [ "${indirect:-1}" != 0 ]; then
		sed -n '/ERROR SUMMARY\|Invalid\|uninitialised\|definitely lost in\|indirectly lost in/,+25p' "$vlog" | head -120
	fi
}
valgrind_clean "$vlog" "--auth none"

. "$here/../lib/http_valgrind_auth.sh"
suite_end
