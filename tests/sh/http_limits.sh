#!/usr/bin/env bash
# Denial of service against tailings-tileserver, each attack reproduced:
#  - slowloris: 1,000 connections trickling request heads at a server with
#    256 descriptors; a legitimate client still gets its tile and stderr stays
#    short (--header-timeout-s, --max-conns from the descriptor limit, the
#    listener paused at the ceiling, rate-limited log lines)
#  - one address holding connections: --max-conns-per-ip answers 503, and
#    takes connections again once they close
#  - a request head trickled byte by byte: 408 and closed at the deadline
#  - 512 /events clients that never read, fed thousands of changes: the
#    server's memory stays bounded and their connections are closed
#  - --max-streams-per-ip: a ninth stream from one address is 503
# With TAILINGS_TILESERVER set to an older binary, the flags it does not know
# are left out (see knows), so the same attacks run against it.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/http.sh"
db=http_limits_db
ATTACK=$http_root/tests/lib/http_attack.py
trap 'http_cleanup; kill $(jobs -p) 2>/dev/null' EXIT
trap 'exit 1' INT TERM HUP

dropdb --if-exists "$db" || die "dropdb"
createdb -T tailings_sample "$db" || die "createdb"
conninfo=$(http_conninfo "$db")
T=/tiles/all/14/12824/6942.mvt

wait_file() {   # wait_file FILE SECONDS
	local i
	for ((i = 0; i < $2 * 10; i++)); do [ -e "$1" ] && return 0; sleep 0.1; done
	return 1
}
code_of() {   # code_of PATH: the status of a GET, also of a stream cut after 2 s
	curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$HTTP_URL$1" || true
}
rss_mb() { awk '/^VmRSS:/ { print int($2 / 1024) }' "/proc/$1/status"; }
nfds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

echo "# slowloris: 1000 trickling connections, 256 descriptors"
# shellcheck disable=SC2046
HTTP_WRAPPER=(prlimit --nofile=256:256)
http_start slowloris --db "$conninfo" --pool 4 $(opt header-timeout-s 2) $(opt max-conns-per-ip 0)
HTTP_WRAPPER=()
http_wait_health || die "the server did not start"
"$PY" "$ATTACK" slowloris "$HTTP_PORT" 1000 30 "$HTTP_WORK/slowloris.json" &
attack=$!
sleep 6
fetch_tile "a tile for a legitimate client during the attack" 200 "$T"
fetch /health
expect_eq "/health during the attack" "$ST" 200
wait "$attack"
echo "# attack: $(cat "$HTTP_WORK/slowloris.json" 2>/dev/null)"
closed=$(json_q "$HTTP_WORK/slowloris.json" 'd["closed"]' 2>/dev/null)
check "the server closed trickling connections (${closed:-none})" test "${closed:-0}" -ge 500
got408=$(json_q "$HTTP_WORK/slowloris.json" 'd["got_408"]' 2>/dev/null)
check "... with 408 (${got408:-none})" test "${got408:-0}" -ge 100
check "the server is still running" kill -0 "$HTTP_PID"
fetch_tile "a tile after the attack" 200 "$T"
size=$(stat -c %s "$HTTP_ERR")
check "stderr under 8 KB after the 30 s attack, a line a second at most per kind ($size bytes)" test "$size" -lt 8192
head -c 1500 "$HTTP_ERR" | sed 's/^/#   /'
fetch /metrics
closed_srv=$(awk '/^tailings_connections_refused_total\{reason="(header_timeout|evicted)"\}/ { s += $2 } END { print s + 0 }' "$BODY")
check "metrics: trickling connections closed at the deadline or to make room ($closed_srv)" test "$closed_srv" -ge 500
expect_match "metrics: the ceiling under 256 descriptors" "$(grep '^tailings_connections_max ' "$BODY")" \
	'^tailings_connections_max (1[0-9][0-9]|[1-9][0-9])$'
http_stop 15
expect_eq "SIGTERM: exit status 0" "$HTTP_RC" 0

echo "# one address holding connections: --max-conns-per-ip 5"
# shellcheck disable=SC2046
http_start perip --db "$conninfo" --pool 2 $(opt max-conns-per-ip 5)
http_wait_health || die "the server did not start"
rm -f "$HTTP_WORK/hold.ready" "$HTTP_WORK/hold.go"
"$PY" "$ATTACK" hold "$HTTP_PORT" 5 "$HTTP_WORK/hold.ready" "$HTTP_WORK/hold.go" "$HTTP_WORK/hold.json" &
holder=$!
check "5 connections held open" wait_file "$HTTP_WORK/hold.ready" 20
HTTP_NO_CORS=1 fetch /health
expect_eq "a sixth connection from the address: 503" "$ST" 503
expect_eq "... a JSON error" "$(json_q "$BODY" 'd["status"]' 2>/dev/null)" 503
expect_eq "... with Retry-After" "$(hdr Retry-After)" 1
touch "$HTTP_WORK/hold.go"
wait "$holder"
expect_eq "the 5 held connections answered 200 and closed" \
	"$(json_q "$HTTP_WORK/hold.json" '[sorted(set(d["statuses"])), d["eof"]]')" '[["HTTP/1.1 200 OK"], 5]'
fetch /health
expect_eq "once they closed, the address is served again" "$ST" 200
check "stderr: the refusal logged once" test "$(grep -c 'max-conns-per-ip' "$HTTP_ERR")" -eq 1
http_stop 15

echo "# a request head trickled byte by byte: --header-timeout-s 2"
# shellcheck disable=SC2046
http_start deadline --db "$conninfo" --pool 2 $(opt header-timeout-s 2)
http_wait_health || die "the server did not start"
res=$("$PY" "$ATTACK" trickle "$HTTP_PORT" 12)
echo "# trickle: $res"
expect_match "closed with 408 at the deadline, not kept open by each byte" "$res" '^closed [0-9.]+ HTTP/1.1 408'
fetch /health
expect_eq "other clients served" "$ST" 200
http_stop 15

echo "# 512 change streams that never read"
# shellcheck disable=SC2046
http_start nonreaders --db "$conninfo" --pool 2 --max-streams 1024 $(opt max-streams-per-ip 0) $(opt max-conns-per-ip 0)
http_wait_health || die "the server did not start"
rss0=$(rss_mb "$HTTP_PID")
rm -f "$HTTP_WORK/nr.ready" "$HTTP_WORK/nr.go"
"$PY" "$ATTACK" nonreaders "$HTTP_PORT" 512 "$HTTP_WORK/nr.ready" "$HTTP_WORK/nr.go" "$HTTP_WORK/nr.json" &
nr=$!
wait_file "$HTTP_WORK/nr.ready" 60
streams() { curl -s --max-time 5 "$HTTP_URL/health" | sed -n 's/.*"event_streams":\([0-9]*\).*/\1/p'; }
for _ in $(seq 100); do [ "$(streams)" = 512 ] && break; sleep 0.2; done
expect_eq "512 streams open" "$(streams)" 512
# real changes (the server relays only changes it finds in the log): 4 x 999 elements
for _ in 1 2 3 4; do
	q -d "$db" -c "UPDATE tailings.element SET accuracy_m = coalesce(accuracy_m, 0) + 1" >/dev/null
done
for _ in $(seq 300); do
	[ "$(metric tailings_event_streams_dropped_total)" -ge 512 ] 2>/dev/null && break
	sleep 0.2
done
expect_eq "every non-reader dropped" "$(metric tailings_event_streams_dropped_total)" 512
sleep 1
# bytes the kernel holds for the server's sockets to them (Send-Q), closed ones included
sendq=$(ss -tnH state all "( sport = :$HTTP_PORT )" | awk '{ s += $3 } END { print int(s / 1048576) }')
check "kernel send queues to the non-readers under 64 MB (${sendq} MB)" test "${sendq:-999}" -lt 64
rss=$(rss_mb "$HTTP_PID")
fds=$(nfds "$HTTP_PID")
echo "# RSS ${rss0} MB before, ${rss} MB after; ${fds} descriptors open"
check "server RSS under 200 MB after 512 non-readers and 3996 changes (${rss} MB)" test "$rss" -lt 200
check "the dropped streams' connections are closed (${fds} descriptors open)" test "$fds" -lt 100
stream_new=$HTTP_WORK/nr-after.sse
curl -s -N --max-time 20 "$HTTP_URL/events" >"$stream_new" &
check "a new stream gets hello" wait_for "$stream_new" '^event: hello$' 10
move_jc2 "$db"
check "... and the next change" wait_for "$stream_new" '^event: change$' 10
touch "$HTTP_WORK/nr.go"
wait "$nr"
expect_eq "every non-reader sees its connection closed" "$(json_q "$HTTP_WORK/nr.json" 'd["eof"]' 2>/dev/null)" 512
http_stop 15

echo "# change streams from one address: --max-streams-per-ip 2"
# shellcheck disable=SC2046
http_start streamcap --db "$conninfo" --pool 2 $(opt max-streams-per-ip 2)
http_wait_health || die "the server did not start"
curl -s -N --max-time 30 "$HTTP_URL/events" >"$HTTP_WORK/cap1.sse" &
c1=$!
curl -s -N --max-time 30 "$HTTP_URL/events" >"$HTTP_WORK/cap2.sse" &
c2=$!
wait_for "$HTTP_WORK/cap1.sse" '^event: hello$' 10
wait_for "$HTTP_WORK/cap2.sse" '^event: hello$' 10
expect_eq "a third stream from the address: 503" "$(code_of /events)" 503
kill "$c1" 2>/dev/null
wait "$c1" 2>/dev/null
sleep 0.5
expect_eq "one closed: a stream again" "$(code_of /events)" 200
kill "$c2" 2>/dev/null
http_stop 15

dropdb --if-exists "$db"
http_finish
