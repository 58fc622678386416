#!/usr/bin/env bash
# tailings-tileserver while the database goes away and comes back: cached
# tiles still served, uncached tiles and the API 503 with Retry-After, /health
# 503; after the restart, within 10 s, /health 200 and every request served
# again by the same server process, with reconnects counted.
# The test cluster is stopped and restarted: it is running again when this
# script exits, whatever happens.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
db=http_restart_db
pgdir=$(dirname "$PGHOST")     # tests/run.sh: $TAILINGS_TEST_WORK/pg, socket in pg/sock

cluster_up() { psql -X -At -d postgres -c 'SELECT 1' >/dev/null 2>&1; }
ensure_cluster() {
	cluster_up && return 0
	echo "# restarting the test cluster in $pgdir"
	"$http_root/scripts/cluster.sh" start "$pgdir" "$PGPORT" || return 1
	for _ in $(seq 100); do cluster_up && return 0; sleep 0.1; done
	return 1
}
cluster_up || die "the test cluster is not running"
suite_begin "$db"
suite_at_exit 'ensure_cluster || echo "FATAL: the test cluster did not come back" >&2'
suite_server restart --pool 4
listening() {   # /health 200, listening for changes
	fetch /health
	[ "$ST" = 200 ] && [ "$(json_q "$BODY" 'd["database"]["listening"]')" = true ]
}

W=/tiles/all/14/12824/6942.mvt
fetch_tile "warm $W" 200 "$W"
cp "$BODY" "$HTTP_WORK/warm.mvt"
etag=$(hdr ETag)
fetch -H 'Accept-Encoding: gzip' "$W"
etag_gz=$(hdr ETag)
fetch_tile "warm the empty tile" 204 /tiles/all/3/1/1.mvt
r0=$(metric tailings_db_reconnects_total)
expect_eq "metrics: the database up" "$(metric tailings_db_up)" 1

echo "# stopping the cluster"
"$http_root/scripts/cluster.sh" stop "$pgdir"
check "the cluster is down" eval '! cluster_up'
t_down=$(date +%s)

fetch_tile "database down: the cached tile" 200 "$W"
expect_eq "database down: the cached tile's ETag" "$(hdr ETag)" "$etag"
check "database down: the cached tile's bytes" cmp -s "$BODY" "$HTTP_WORK/warm.mvt"
fetch -H 'Accept-Encoding: gzip' "$W"
expect_eq "database down: the cached gzip tile" "$ST $(hdr ETag)" "200 $etag_gz"
fetch -H "If-None-Match: $etag" "$W"
expect_eq "database down: the cached tile revalidates: 304" "$ST" 304
fetch_tile "database down: the cached empty tile" 204 /tiles/all/3/1/1.mvt

# /health follows the database: 503 soon after it went (allow 3 s to notice)
wait_status /health 503 3
expect_eq "database down: /health 503 within 3 s" "$ST" 503
expect_eq "database down: /health says so" "$(json_q "$BODY" '[d["status"], d["database"]["up"]]' 2>/dev/null)" '["unavailable", false]'
expect_eq "database down: /health carries Retry-After" "$(hdr Retry-After)" 1
expect_eq "database down: metrics tailings_db_up" "$(metric tailings_db_up)" 0

i=0
for t in 14/12825/6942 14/12824/6943 13/6412/3471 12/3206/1735 0/0/0 15/25649/13884; do
	i=$((i + 1))
	fetch "/tiles/all/$t.mvt"
	if [ "$ST" = 503 ] && [ -n "$(hdr Retry-After)" ] && [ "$(json_q "$BODY" 'd["status"]' 2>/dev/null)" = 503 ]; then
		ok "database down: uncached tile $t -> 503, Retry-After $(hdr Retry-After), $(cat "$BODY")"
	else
		not_ok "database down: uncached tile $t -> $ST, Retry-After '$(hdr Retry-After)': $(snip "$BODY")"
	fi
done
fetch /health
expect_eq "database down: /health 503 after those failed queries" "$ST" 503
for p in /api/ponds /api/ponds/8 /tiles/all.json; do
	fetch "$p"
	if [ "$ST" = 503 ] && [ -n "$(hdr Retry-After)" ]; then
		ok "database down: $p -> 503 with Retry-After"
	else
		not_ok "database down: $p -> $ST, Retry-After '$(hdr Retry-After)'"
	fi
done
for p in /style.json /sprite.json /metrics; do
	fetch "$p"
	expect_eq "database down: $p needs no database" "$ST" 200
done
check "database down: the server still runs" kill -0 "$HTTP_PID"
# keep it down a few seconds so that the reconnect backoff grows
while [ $(($(date +%s) - t_down)) -lt 4 ]; do sleep 0.2; done

echo "# restarting the cluster"
"$http_root/scripts/cluster.sh" start "$pgdir" "$PGPORT" || die "the cluster did not restart"
t_up=$(date +%s%N)
wait_status /health 200 10
expect_eq "database back: /health 200 within 10 s ($((($(date +%s%N) - t_up) / 1000000)) ms)" "$ST" 200
expect_eq "database back: /health says ok" "$(json_q "$BODY" '[d["status"], d["database"]["up"]]' 2>/dev/null)" '["ok", true]'

# every request served again, also several at once (every pooled connection used)
for t in 14/12825/6942 14/12824/6943 13/6412/3471; do
	fetch_tile "database back: uncached tile $t" 200 "/tiles/all/$t.mvt"
done
fetch /api/ponds/8
expect_eq "database back: /api/ponds/8" "$ST" 200
par=$HTTP_WORK/parallel
rm -rf "$par"
mkdir -p "$par"
n=0
pids=()
for x in 12822 12823 12825 12826; do
	for y in 6940 6941 6943 6944; do
		n=$((n + 1))
		curl -s --max-time 20 -o "$par/$x-$y.mvt" -w '%{http_code}\n' "$HTTP_URL/tiles/all/14/$x/$y.mvt" >"$par/$x-$y.status" &
		pids+=($!)
	done
done
fetch /api/ponds
for p in "${pids[@]}"; do wait "$p"; done
statuses=$(cat "$par"/*.status | sort | uniq -c | tr -s ' ' | tr '\n' ,)
check "database back: $n tiles at once, all 200 or 204 ($statuses)" test -z "$(cat "$par"/*.status | grep -vE '^20[04]$')"
expect_eq "database back: /api/ponds beside them" "$ST" 200
for f in "$par"/*.mvt; do
	[ -s "$f" ] && { mvt_ok "$f" || not_ok "database back: $f is not a valid tile"; }
done
fetch_tile "database back: the warm tile" 200 "$W"
check "database back: the warm tile's bytes" cmp -s "$BODY" "$HTTP_WORK/warm.mvt"
r1=$(metric tailings_db_reconnects_total)
check "metrics: reconnects counted ($r0 -> $r1)" test "$r1" -ge $((r0 + 1))
expect_eq "metrics: the database up" "$(metric tailings_db_up)" 1
fetch /metrics
check "metrics: 503s counted" grep -q '^tailings_http_requests_total{endpoint="tile",status="503"} [1-9]' "$BODY"

# the change listener is back too: an edit reaches the tile
wait_until 5 listening
expect_eq "database back: listening for changes again" "$(json_q "$BODY" 'd["database"]["listening"]')" true
fetch "$W"
e1=$(hdr ETag)
move_jc2 "$db"
check "database back: an UPDATE invalidates the tile within 1 s" wait_new_etag "$W" "$e1" 20 0.05

# a second outage with no request while the database is away: after it, the
# pooled connections that saw nothing must not fail requests either
echo "# a second outage, no requests meanwhile"
"$http_root/scripts/cluster.sh" stop "$pgdir"
sleep 1
"$http_root/scripts/cluster.sh" start "$pgdir" "$PGPORT" || die "the cluster did not restart"
wait_until 10 listening
expect_eq "second outage over: /health 200" "$ST" 200
"$PY" "$HTTP_CLIENT" burst "$HTTP_PORT" 8 /api/ponds >"$HTTP_WORK/burst2.txt"
expect_eq "second outage over: 8 concurrent /api/ponds all 200" \
	"$(cut -d' ' -f1 "$HTTP_WORK/burst2.txt" | sort | uniq -c | tr -s ' ' | tr '\n' ,)" " 8 200,"
sts=
for t in 16/51298/27768 16/51299/27768 16/51298/27769; do
	fetch "/tiles/all/$t.mvt"
	[ "$ST" = 200 ] && { mvt_ok "$BODY" || ST=invalid; }
	sts="$sts $ST"
done
expect_eq "second outage over: 3 uncached tiles right after, all 200" "$sts" " 200 200 200"
# however long it took, requests are served again within 10 s
t_back=$(date +%s%N)
served=
for i in $(seq 100); do
	fetch "/tiles/all/16/51299/$((27769 + i)).mvt"
	if [ "$ST" = 200 ] || [ "$ST" = 204 ]; then served=$((($(date +%s%N) - t_back) / 1000000)); break; fi
	sleep 0.1
done
check "second outage over: uncached tiles served again within 10 s (after ${served:-more than 10000} ms)" test -n "$served"

http_stop 10
expect_eq "SIGTERM: exit status 0" "$HTTP_RC" 0
check "the server logged no tile error" eval '! grep -q "^tile " "$HTTP_ERR"'
suite_end
