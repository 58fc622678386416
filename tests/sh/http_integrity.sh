#!/usr/bin/env bash
# The tile server trusts nothing it cannot verify and never keeps a stale tile:
# forged and replayed notifications are refused; a tile whose query began
# before an edit is not cached; ?at= in the future or after the oldest open
# transaction is not immutable, and history already served does not change;
# fractions of a second do not bypass the cache; a deaf listener is noticed
# (health 503, no caching); hung backends give 504, not a hang.
# Each part reproduces an attack or a race that the server before it lost.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
db=http_integrity_db
db2=http_integrity_hung
T=/tiles/all/14/12824/6942.mvt                    # pond 8, with its well JC2
TG=/tiles/groundwater/14/12824/6942.mvt
tile_md5() {   # tile_md5 DB LAYERS [AT]: md5 of the tile straight from SQL
	q -d "$1" -c "SELECT md5(tailings.tile(14, 12824, 6942, $2, $3))"
}
body_md5() { if [ "$(hdr Content-Encoding)" = gzip ]; then gzip -dc <"$BODY"; else cat "$BODY"; fi | md5sum | cut -d' ' -f1; }
last_note() { tail -1 "$HTTP_OUT" | awk '{ print $NF }'; }   # hit, miss or coalesced of the last tile

suite_begin "$db" "$db2"
suite_at_exit 'kill -CONT $(cat "$HTTP_WORK/stopped" 2>/dev/null) 2>/dev/null'
q -d postgres -c "DROP ROLE IF EXISTS integrity_connect" -c "CREATE ROLE integrity_connect LOGIN"
suite_server integrity
SERVER=$HTTP_PID
main_server() { HTTP_PID=$SERVER; HTTP_URL=$SERVER_URL; HTTP_PORT=$SERVER_PORT; HTTP_OUT=$SERVER_OUT; HTTP_ERR=$SERVER_ERR; }
SERVER_URL=$HTTP_URL SERVER_PORT=$HTTP_PORT SERVER_OUT=$HTTP_OUT SERVER_ERR=$HTTP_ERR

echo "# forged and replayed notifications (a role with only CONNECT)"
old_id=$(q -d "$db" -c "SELECT max(id) FROM tailings.change_log")   # a real change, made before the server started
fetch "$T"; fetch "$T"
expect_eq "the tile is cached" "$(last_note)" hit
entries=$(metric tailings_cache_entries)
curl -sS -N --max-time 60 "$HTTP_URL/events" >"$HTTP_WORK/forged.sse" 2>/dev/null &
sse=$!
wait_for "$HTTP_WORK/forged.sse" '^event: hello$' || not_ok "no hello"
forge() { q -d "$db" -U integrity_connect -c "SELECT pg_notify('tailings_changes', '$1')" >/dev/null; }
forge '{"table":"tailings.element","op":"U","pond_id":8,"row_id":1,"bbox":[-180,-90,180,90]}'
forge '{"id":987654321,"table":"tailings.element","op":"U","pond_id":8,"row_id":1,"bbox":[-180,-90,180,90]}'
forge "{\"id\":$old_id,\"table\":\"tailings.element\",\"op\":\"U\",\"pond_id\":8,\"row_id\":1,\"bbox\":[-180,-90,180,90]}"
forge '{"id":"1; DROP TABLE x","bbox":[-180,-90,180,90]}'
forge '{"ping":"00000000000000000000000000000000"}'
wait_until 5 metric_is tailings_changes_refused_total -ge 4
expect_eq "four forged notifications refused" "$(metric tailings_changes_refused_total)" 4
expect_eq "none applied" "$(metric tailings_changes_applied_total)" 0
fetch "$T"
expect_eq "the cached tile is still cached after a forged world-wide change" "$(last_note)" hit
expect_eq "the cache kept every tile" "$(metric tailings_cache_entries)" "$entries"
move_jc2 "$db"
check "a real edit is announced" wait_for "$HTTP_WORK/forged.sse" '^event: change$'
real_id=$(q -d "$db" -c "SELECT max(id) FROM tailings.change_log")
expect_match "the event is the log's row, with its id and time" "$(grep '^data: {"id"' "$HTTP_WORK/forged.sse" | tail -1)" \
	"^data: \\{\"id\":$real_id,\"table\":\"tailings.element\",\"op\":\"U\",\"pond_id\":8,\"row_id\":[0-9]+,\"bbox\":\\[[-0-9.,e]+\\],\"changed_at\":\"20"
fetch "$T"
expect_eq "after the real edit the tile is fetched anew" "$(last_note)" miss
forge "{\"id\":$real_id,\"table\":\"tailings.element\",\"op\":\"U\",\"pond_id\":8,\"row_id\":1,\"bbox\":[-180,-90,180,90]}"
sleep 1
expect_eq "a replay of the real change is not relayed again" "$(grep -c '^event: change$' "$HTTP_WORK/forged.sse")" 1
expect_eq "... nor applied again" "$(metric tailings_changes_applied_total)" 1
fetch "$T"
expect_eq "... and the tile stays cached" "$(last_note)" hit
kill $sse 2>/dev/null
# the pond's file names the login beside the actor an application (or anyone) claims
q -d "$db" -c "SET tailings.actor = '市生态环境局 张科长'" \
	-c "UPDATE tailings.element SET name = name WHERE false" \
	-c "UPDATE tailings.element SET verified_on = current_date WHERE pond_id = 8 AND name = '地下水监视井 JC2'" >/dev/null
fetch /api/ponds/8
expect_eq "recent changes: the claimed actor and the login that made the change" \
	"$(json_q "$BODY" 'd["recent_changes"][0]["actor"] + " / " + d["recent_changes"][0]["session_role"]')" \
	"市生态环境局 张科长 / ${PGUSER:-postgres}"

echo "# a tile whose query began before an edit is not cached"
# another session holds sample locked (the groundwater tile reads it for the wells' state; an
# edit of an element does not, nor does its pond's completeness recomputed at its commit): the
# tile's query takes its snapshot, then waits; meanwhile an edit commits and is announced; then
# the lock goes and the query ends
check "sample is locked" db_lock "$db" tailings.sample
applied=$(metric tailings_changes_applied_total)
curl -sS --max-time 30 -o "$HTTP_WORK/waited.mvt" "$HTTP_URL$TG" &
waiter=$!
sleep 0.5
move_jc2 "$db"
wait_until 5 metric_is tailings_changes_applied_total -gt "$applied"
db_unlock
wait $waiter
old=$(md5sum <"$HTTP_WORK/waited.mvt" | cut -d' ' -f1)
fetch "$TG"
expect_eq "the next request is not served the tile that waited from the cache" "$(last_note)" miss
expect_eq "... it gets the map after the edit" "$(body_md5)" "$(tile_md5 "$db" "'{groundwater}'" NULL)"
check "... which differs from the one that waited (its snapshot predated the edit)" test "$(body_md5)" != "$old"

echo "# ?at= in the future is the current map, not immutable"
fetch "$T?at=2099-01-01T00:00:00Z"
expect_eq "a future at: 200" "$ST" 200
expect_match "a future at is not cached for a year" "$(hdr Cache-Control)" '^(no-cache|public, max-age=[0-9]+)$'
f1=$(body_md5)
applied=$(metric tailings_changes_applied_total)
move_jc2 "$db"
wait_until 3 metric_is tailings_changes_applied_total -gt "$applied"
fetch "$T?at=2099-01-01T00:00:00Z"
expect_eq "a future at follows an edit" "$(body_md5)" "$(tile_md5 "$db" NULL "'2099-01-01T00:00:00Z'")"
check "... so it changed" test "$(body_md5)" != "$f1"

echo "# history after the oldest open transaction is not yet final"
db_session "$db"
check "a transaction is open" db_send "BEGIN;"
sleep 1.2
at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
fetch "$T?at=$at"
expect_eq "at after the open transaction began: 200" "$ST" 200
expect_match "... not immutable" "$(hdr Cache-Control)" '^(no-cache|public, max-age=[0-9]+)$'
before=$(body_md5)
applied=$(metric tailings_changes_applied_total)
db_send "UPDATE tailings.element SET geom = ST_Translate(geom, 0.0005, 0) WHERE pond_id = 8 AND name = '地下水监视井 JC2'; COMMIT;"
db_close
wait_until 3 metric_is tailings_changes_applied_total -gt "$applied"
fetch "$T?at=$at"
expect_eq "the map of that moment now holds the edit, stamped at its transaction's start" "$(body_md5)" \
	"$(tile_md5 "$db" NULL "'$at'")"
check "... which changed it" test "$(body_md5)" != "$before"
fetch "$T?at=2025-06-01T00:00:00Z"
expect_match "a moment before every open transaction is immutable" "$(hdr Cache-Control)" 'immutable'

echo "# fractions of a second do not bypass the cache"
fetch "$T?at=2025-06-01T00:00:00.123Z"
expect_eq "at with a fraction: from the cache" "$(last_note)" hit
fetch "$T?at=2025-06-01T00:00:00.987654Z"
expect_eq "another fraction of the same second: from the cache" "$(last_note)" hit

echo "# past moments cannot take the pool from the current map"
# the elements' history held locked: maps of past moments (made from it) wait, the current map
# does not
check "the elements' history is locked" db_lock "$db" tailings.element_history
moments=()
for sec in 10 11 12 13 14 15; do
	curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 "$HTTP_URL$T?at=2026-01-01T00:00:${sec}Z" >>"$HTTP_WORK/moments.txt" &
	moments+=($!)
	sleep 0.2
done
wait_until 5 metric_is tailings_history_tiles_waiting = 4
expect_eq "two past moments being made, four waiting" "$(metric tailings_history_tiles_running) $(metric tailings_history_tiles_waiting)" "2 4"
fetch_tile "the current map meanwhile" 200 /tiles/site/14/12824/6942.mvt
expect_eq "... from the database, not the cache" "$(last_note)" miss
db_unlock
wait "${moments[@]}"
sort "$HTTP_WORK/moments.txt" | uniq -c | sed 's/^/# /'
expect_eq "the six moments, two made at a time (a pool of 8), the others waiting their turn: all answered" \
	"$(grep -cE '^20[04]$' "$HTTP_WORK/moments.txt")" 6
expect_eq "... none refused" "$(metric tailings_history_tiles_refused_total)" 0

echo "# at most 256 past moments wait; more are refused at once"
suite_server moments --max-conns-per-ip 0
check "the elements' history is locked again" db_lock "$db" tailings.element_history
"$PY" - "$HTTP_PORT" 300 "$HTTP_WORK/many.txt" <<'PY' &
import socket, sys, threading
port, n, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
codes = []
def one(i):
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    at = "2026-01-01T%02d:%02d:%02dZ" % (i // 3600, i // 60 % 60, i % 60)
    s.sendall(("GET /tiles/all/14/12824/6942.mvt?at=%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n" % (at, port)).encode())
    data = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    except OSError:
        pass
    codes.append(data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "none")
ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
[t.start() for t in ts]
[t.join() for t in ts]
open(out, "w").write("\n".join(codes) + "\n")
PY
many=$!
for i in $(seq 100); do [ "$(metric tailings_history_tiles_waiting)" = 256 ] && [ "$(metric tailings_history_tiles_refused_total)" = 42 ] && break; sleep 0.1; done
expect_eq "2 being made, 256 waiting, 42 refused" \
	"$(metric tailings_history_tiles_running) $(metric tailings_history_tiles_waiting) $(metric tailings_history_tiles_refused_total)" "2 256 42"
fetch_tile "the current map meanwhile" 200 /tiles/site/14/12824/6942.mvt
db_unlock
wait $many
expect_eq "the 258 taken are all answered once the log is free, the 42 others got 503" \
	"$(grep -cE '^20[04]$' "$HTTP_WORK/many.txt") $(grep -c '^503$' "$HTTP_WORK/many.txt")" "258 42"
http_stop
main_server

echo "# a deaf listener is noticed"
lpid=$(q -d "$db" -c "SELECT pid FROM pg_stat_activity WHERE datname = '$db' AND query LIKE '%LISTEN%' AND pid <> pg_backend_pid()")
check "the listener's backend found" test -n "$lpid"
fetch "$T"
fetch "$T"
expect_eq "cached before" "$(last_note)" hit
kill -STOP "$lpid" && echo "$lpid" >"$HTTP_WORK/stopped"
move_jc2 "$db"
want=$(tile_md5 "$db" NULL NULL)
# The server notices within its ping timeout (15 s after a ping goes unheard, pings every 5 s),
# says so, reports "degraded" (503) and connects a new listener at once: the 503 lasts only as
# long as that reconnection, too short to be caught by polling, so what is checked is that it
# was noticed and acted on (the log line and a reconnection), and below that nothing stale was
# served from the cache meanwhile.
reconnects_now() { curl -s "$HTTP_URL/health" >"$HTTP_WORK/h.json"; json_q "$HTTP_WORK/h.json" "d['database']['reconnects']"; }
reconnected() { [ "$(reconnects_now)" -gt "$reconnects" ]; }
reconnects=$(reconnects_now)
noticed_at=$SECONDS
check "the deaf listener is noticed within 30 s (the server says so)" \
	wait_for "$HTTP_ERR" 'did not hear its ping' 30
echo "# noticed after about $((SECONDS - noticed_at)) s"
check "... and a new listener is connected (database.reconnects grew)" \
	wait_until 10 reconnected
fetch "$T"
expect_eq "the tile is the edited map, though no notification came" "$(body_md5)" "$want"
check "the server connects a new listener by itself: health 200 while the deaf one is still stopped" http_wait_health 30
fetch "$T"; fetch "$T"
expect_eq "tiles are cached again" "$(last_note)" hit
move_jc2 "$db"
for i in $(seq 50); do fetch "$T"; [ "$(body_md5)" = "$(tile_md5 "$db" NULL NULL)" ] && break; sleep 0.1; done
expect_eq "... and the new listener hears the next edit" "$(body_md5)" "$(tile_md5 "$db" NULL NULL)"
kill -CONT "$lpid"; rm -f "$HTTP_WORK/stopped"

echo "# hung backends: 504, not a hang"
http_start hung --db "$(http_conninfo "$db2")" --pool 2 --statement-timeout-ms 1000
http_wait_health || die "the second server did not come up"
pids=$(q -d postgres -c "SELECT string_agg(pid::text, ' ') FROM pg_stat_activity WHERE datname = '$db2' AND application_name = 'tailings-tileserver'")
kill -STOP $pids && echo "$pids" >"$HTTP_WORK/stopped"
t0=$(date +%s%N)
fetch /tiles/all/14/12825/6942.mvt
took=$((($(date +%s%N) - t0) / 1000000))
echo "# answered $ST after $took ms"
expect_match "a tile with the database's backends hung: 504 (or 503)" "$ST" '^50[34]$'
check "... within the deadline (the statement timeout and a grace), not after 20 s" test "$took" -lt 12000
wait_status /api/ponds 200 5
expect_eq "the hung connections were dropped: new ones answer at once" "$ST" 200
kill -CONT $pids; rm -f "$HTTP_WORK/stopped"
check "the server recovers when the backends do" http_wait_health 30
fetch_tile "a tile after the recovery" 200 /tiles/all/14/12825/6942.mvt
expect_match "the timeouts are counted" "$(metric tailings_db_timeouts_total)" '^[1-9]'
http_stop
main_server
http_stop
expect_eq "SIGTERM: exit status 0" "$HTTP_RC" 0
check "no tile error logged" bash -c "! grep -q '^tile ' '$HTTP_WORK/integrity.err'"
q -d postgres -c "DROP ROLE integrity_connect"
suite_end
