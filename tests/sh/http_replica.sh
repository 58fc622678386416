#!/usr/bin/env bash
# tailings-tileserver with a hot standby (--db-replica), never a stale tile: the test cluster is
# the primary, a real standby is made of it with pg_basebackup -R (streaming, its own slot) and
# started beside it.
#   reads go to the standby (tiles and the JSON API: its metric counts them), and its tiles are
#   the primary's tailings.tile();
#   with the standby's replay paused, an edit's tile through the server is the new one (the
#   standby itself still makes the old one), and so is the JSON API's answer; a write through
#   the API (--auth token) is read back at once; the paused standby goes "lagging" past
#   --replica-max-lag-s and back "up" once it replays;
#   with the standby stopped, tiles keep coming (from the primary) and /health says it is down;
#   started again, it is put back in rotation;
#   a soak (~20 s) of edits and tile reads with the standby replaying 200 ms late
#   (recovery_min_apply_delay) and a reader in the background: after each commit and its
#   notification the server's tiles equal the primary's tailings.tile(): no stale tile.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
. "$here/../lib/auth.sh"
db=http_replica_db
SOAK_S=${SOAK_S:-20}
T=/tiles/all/14/12824/6942.mvt     # pond 8; JC2 is in it
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "$(q -d postgres -c 'SHOW wal_level')" in
replica | logical) ;;
*) die "the test cluster's wal_level is $(q -d postgres -c 'SHOW wal_level'): a standby needs replica" ;;
esac
suite_begin "$db"
auth_members repl

echo "# a hot standby of the test cluster"
sdir=$TAILINGS_TEST_WORK/standby
slot=tailings_test_standby_$$
sport=$(http_free_port) || die "no free port"
mkdir -p "$sdir"
[ "$(id -u)" = 0 ] && chown postgres: "$sdir"
chmod 700 "$sdir"
standby_gone() {
	"$http_root/scripts/cluster.sh" stop "$sdir"
	psql -X -q -d postgres -c "SELECT pg_drop_replication_slot('$slot') FROM pg_replication_slots WHERE slot_name = '$slot'" >/dev/null 2>&1
}
suite_at_exit standby_gone
as_pg "$(pg_config --bindir)/pg_basebackup" -D "$sdir/data" -R -X stream -c fast --no-sync -C -S "$slot" \
	-h "$PGHOST" -p "$PGPORT" -U postgres || die "pg_basebackup"
"$http_root/scripts/cluster.sh" start "$sdir" "$sport" || die "the standby did not start"
sq() { q -h "$sdir/sock" -p "$sport" "$@"; }
standby_has_db() { [ "$(sq -d "$db" -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ]; }
wait_until 15 standby_has_db || die "the standby does not answer"
ok "a standby made by pg_basebackup -R, in recovery, streaming ($(q -d postgres -c "SELECT state FROM pg_stat_replication WHERE application_name = 'walreceiver' LIMIT 1"))"
standby_conninfo() { echo "host=$sdir/sock port=$sport user=${1:-postgres} dbname=$db"; }

# helpers over /health and the primary's own tiles
state() { fetch /health && json_q "$BODY" 'd["replicas"][0]["state"]'; }
state_is() { [ "$(state)" = "$1" ]; }
reads() { metric 'tailings_replica_reads_total{replica="1"}'; }
primary_reads() { metric tailings_primary_reads_total; }
applied() { metric tailings_changes_applied_total; }
# md5 of tailings.tile(z, x, y) on the primary (the empty tile: md5 of nothing, as a 204's body)
primary_md5() { q -d "$db" -c "SELECT md5(tailings.tile($1, $2, $3))"; }
standby_md5() { sq -d "$db" -c "SELECT md5(tailings.tile($1, $2, $3))"; }
tile_md5() { md5sum <"$BODY" | cut -d' ' -f1; }
jc2_x() { q -d "$db" -c "SELECT round(ST_X(geom)::numeric, 6) FROM tailings.element WHERE pond_id = 8 AND name = '地下水监视井 JC2'"; }
wait_applied() {   # wait_applied N: until the server has applied more than N changes (10 s)
	local i
	for ((i = 0; i < 500; i++)); do
		[ "$(applied)" -gt "$1" ] && return 0
		sleep 0.02
	done
	return 1
}

# A: --auth none, a short --replica-max-lag-s; B: --auth token, for the write API; C (the soak) below
# A runs under valgrind (memcheck) when it is there: the standby's every path, its end checked last
vlog=$HTTP_WORK/replica-valgrind.log
command -v valgrind >/dev/null && HTTP_WRAPPER=(valgrind --error-exitcode=99 --leak-check=full
	--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --num-callers=30 --log-file="$vlog")
http_start replica --db "$(http_conninfo "$db")" --pool 4 --db-replica "$(standby_conninfo)" --replica-max-lag-s 3
HTTP_WRAPPER=()
http_wait_health 60 || die "the server A did not come up"
A_URL=$HTTP_URL
A_ERR=$HTTP_ERR
A_PID=$HTTP_PID
auth_server replica_auth --pool 2 --db-replica "$(standby_conninfo tailings_tileserver)"
B_URL=$HTTP_URL
B_ERR=$HTTP_ERR
on() { case $1 in A) HTTP_URL=$A_URL ;; B) HTTP_URL=$B_URL ;; C) HTTP_URL=$C_URL ;; esac; }
on B
wait_until 10 state_is up
expect_eq "B: the standby is up" "$(state)" up
on A
wait_until 10 state_is up
expect_eq "/health: the standby is up" "$(state)" up
expect_eq "/health: its fields" "$(json_q "$BODY" 'sorted(d["replicas"][0])')" \
	'["lag_bytes", "lag_s", "reads", "replay_lsn", "replica", "retried", "state", "why"]'
expect_eq "metrics: tailings_replica_up" "$(metric 'tailings_replica_up{replica="1"}')" 1

echo "# reads go to the standby"
r0=$(reads)
p0=$(primary_reads)
n=0
for t in 14/12824/6942 14/12825/6942 13/6412/3471 12/3206/1735 10/801/433; do
	fetch_tile "tile $t" 200 "/tiles/all/$t.mvt"
	n=$((n + 1))
	expect_eq "... the primary's tailings.tile()" "$(tile_md5)" "$(primary_md5 ${t//\// })"
done
for p in /api/ponds /api/ponds/8 /api/ponds/8/completeness /api/ponds/8/geojson /api/ponds/8/file /tiles/all.json; do
	fetch "$p"
	expect_eq "GET $p" "$ST" 200
	n=$((n + 1))
done
expect_eq "the standby answered all $n reads (tailings_replica_reads_total)" "$(($(reads) - r0))" "$n"
expect_eq "the primary none of them (tailings_primary_reads_total)" "$(($(primary_reads) - p0))" 0
expect_eq "no read handed back to the primary (retried)" "$(metric 'tailings_replica_retried_total{replica="1"}')" 0
check "the standby runs the server's queries (pg_stat_activity there)" \
	test "$(sq -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tailings-tileserver' AND datname = '$db'")" -ge 1

echo "# the standby's replay paused once it has everything"
# /health: the standby up, nothing to replay, past the server's barrier
LSN='(lambda v: int(v.split("/")[0], 16) << 32 | int(v.split("/")[1], 16))'
caught_up() {
	fetch /health && [ "$(json_q "$BODY" "(lambda r, lsn: r['state'] == 'up' and r['lag_bytes'] == 0 and lsn(r['replay_lsn']) >= lsn(d['read_barrier_lsn']))(d['replicas'][0], $LSN)" 2>/dev/null)" = true ]
}
on B
wait_until 10 caught_up || not_ok "B: the standby caught up: $(snip "$BODY" 600)"
on A
wait_until 10 caught_up || not_ok "A: the standby caught up: $(snip "$BODY" 600)"
sq -d postgres -c 'SELECT pg_wal_replay_pause()' >/dev/null
wait_until 5 eval '[ "$(sq -d postgres -c "SELECT pg_get_wal_replay_pause_state()")" = paused ]'

echo "# a write through the API (--auth token) is read back at once"
on B
as "$TOKEN_ENT8" "/api/ponds/8/geojson?for=drawing"
expect_eq "B: a read before the write" "$ST" 200
cp "$BODY" "$HTTP_WORK/pond8.geojson"
expect_eq "... made by the paused standby (it has everything so far)" "$(reads)" 1
as "$TOKEN_ENT8" -X POST -H 'Content-Type: application/geo+json' --data-binary "@$HTTP_WORK/pond8.geojson" \
	/api/ponds/8/submissions
expect_eq "POST a drawing: 201" "$ST" 201
sid=$(json_q "$BODY" 'd["id"]')
p0=$(primary_reads)
as "$TOKEN_ENT8" "/api/submissions/$sid"
expect_eq "GET it at once: 200, the draft" "$ST $(json_q "$BODY" 'd["status"]')" "200 draft"
expect_eq "... read on the primary" "$(($(primary_reads) - p0))" 1
expect_eq "... which the paused standby indeed lacks" "$(sq -d "$db" -c "SELECT count(*) FROM tailings.submission WHERE id = $sid")" 0
on A

echo "# replay paused: an edit's tile is the new one all the same"
fetch_tile "the tile before the edit (cached)" 200 "$T"
old=$(tile_md5)
x_old=$(jc2_x)
a0=$(applied)
p0=$(primary_reads)
move_jc2 "$db"
wait_applied "$a0" || not_ok "the change was not applied within 10 s"
new=$(primary_md5 14 12824 6942)
check "the edit changed the primary's tile" test "$new" != "$old"
expect_eq "the paused standby still makes the old tile (so this test means something)" "$(standby_md5 14 12824 6942)" "$old"
fetch_tile "the tile after the edit" 200 "$T"
expect_eq "... is the new one (the primary's tailings.tile())" "$(tile_md5)" "$new"
fetch_tile "... again (now cached)" 200 "$T"
expect_eq "... still the new one" "$(tile_md5)" "$new"
fetch_tile "a tile the edit also touched (z13)" 200 /tiles/all/13/6412/3471.mvt
expect_eq "... the new one" "$(tile_md5)" "$(primary_md5 13 6412 3471)"
check "... both made by the primary (tailings_primary_reads_total $p0 -> $(primary_reads))" test "$(primary_reads)" -ge $((p0 + 2))
fetch /api/ponds/8/geojson
expect_eq "the JSON API: JC2 where the edit put it (x $x_old -> $(jc2_x))" \
	"$(json_q "$BODY" '[round(f["geometry"]["coordinates"][0], 6) for f in d["features"] if f["properties"].get("name") == "地下水监视井 JC2"]')" \
	"[$(jc2_x)]"

echo "# the paused standby lags past --replica-max-lag-s 3: out of rotation, back once it replays"
wait_until 8 state_is lagging
expect_eq "/health: lagging" "$(state)" lagging
check "... its lag in bytes (> 0) and seconds (> 3): $(json_q "$BODY" '[d["replicas"][0]["lag_bytes"], d["replicas"][0]["lag_s"]]')" \
	test "$(json_q "$BODY" 'd["replicas"][0]["lag_bytes"] > 0 and d["replicas"][0]["lag_s"] > 3')" = true
expect_eq "/health stays 200 (the primary serves)" "$ST" 200
expect_eq "metrics: tailings_replica_up 0, state lagging" \
	"$(metric 'tailings_replica_up{replica="1"}') $(metric 'tailings_replica_state{replica="1",state="lagging"}')" "0 1"
sq -d postgres -c 'SELECT pg_wal_replay_resume()' >/dev/null
wait_until 5 state_is up
expect_eq "replay resumed: up again" "$(state)" up
lag0() { fetch /health && [ "$(json_q "$BODY" '[d["replicas"][0]["lag_bytes"], d["replicas"][0]["lag_s"]]')" = "[0, 0.0]" ]; }
wait_until 10 lag0
expect_eq "... and its lag 0 once it has replayed" "$(json_q "$BODY" '[d["replicas"][0]["lag_bytes"], d["replicas"][0]["lag_s"]]')" "[0, 0.0]"
r0=$(reads)
fetch_tile "an uncached tile" 200 /tiles/all/15/25650/13884.mvt
expect_eq "... made by the standby again" "$(($(reads) - r0))" 1

echo "# the standby stopped: tiles keep coming, /health says it is down; started again, back in rotation"
"$http_root/scripts/cluster.sh" stop "$sdir"
i=0
for t in 14/12823/6941 14/12824/6941 14/12825/6941 14/12826/6941 15/25648/13884; do
	fetch "/tiles/all/$t.mvt"
	if [ "$ST" = 200 ] || [ "$ST" = 204 ]; then
		expect_eq "standby down: tile $t ($ST) is the primary's" "$(tile_md5)" "$(primary_md5 ${t//\// })"
	else
		not_ok "standby down: tile $t -> $ST $(snip "$BODY")"
	fi
done
wait_until 3 state_is down
expect_eq "/health: down within 3 s" "$(state)" down
expect_eq "... why" "$(json_q "$BODY" 'd["replicas"][0]["why"]')" unreachable
expect_eq "... and the server is ok" "$ST $(json_q "$BODY" 'd["status"]')" "200 ok"
expect_eq "metrics: tailings_replica_up 0, state down" \
	"$(metric 'tailings_replica_up{replica="1"}') $(metric 'tailings_replica_state{replica="1",state="down"}')" "0 1"
fetch /api/ponds/9
expect_eq "the JSON API too" "$ST" 200
"$http_root/scripts/cluster.sh" start "$sdir" "$sport" || die "the standby did not start again"
wait_until 10 state_is up
expect_eq "started again: up within 10 s" "$(state)" up
r0=$(reads)
fetch_tile "an uncached tile" 200 /tiles/all/15/25650/13885.mvt
expect_eq "... made by the standby again" "$(($(reads) - r0))" 1

echo "# soak: ${SOAK_S} s of edits and reads, the standby replaying 200 ms late"
as_pg sh -c "echo \"recovery_min_apply_delay = '200ms'\" >>'$sdir/data/postgresql.auto.conf'"
sq -d postgres -c 'SELECT pg_reload_conf()' >/dev/null
wait_until 5 eval '[ "$(sq -d postgres -c "SHOW recovery_min_apply_delay")" = 200ms ]'
# C: the same without a cache, so that every read is made anew (on the standby once it has replayed)
suite_server replica_nocache --pool 4 --cache-mb 0 --db-replica "$(standby_conninfo)"
C_URL=$HTTP_URL
C_ERR=$HTTP_ERR
wait_until 10 state_is up
soak_tiles="14/12824/6942 13/6412/3471 12/3206/1735 14/12825/6942 15/25649/13884 11/1603/867"
readers=()
for u in "$A_URL" "$C_URL"; do
	(
		while :; do
			for t in $soak_tiles; do curl -s -o /dev/null --max-time 5 "$u/tiles/all/$t.mvt"; done
		done
	) &
	readers+=($!)
done
# one session on the primary for the edits and its tiles (a new backend loads PostGIS each time)
coproc PQ { psql -X -q -At -d "$db" 2>&1; }
pq() {   # pq SQL: its output (one line per row), from the session
	local line out=
	printf '%s;\nSELECT %s;\n' "$1" "'pq-end'" >&"${PQ[1]}"
	while IFS= read -r -t 10 line <&"${PQ[0]}"; do
		[ "$line" = pq-end ] && break
		out+=$line
	done
	printf '%s\n' "$out"
}
soak_check() {   # soak_check SERVER WHEN: its tiles against the primary's now
	local t want
	for t in 14/12824/6942 13/6412/3471; do
		fetch "/tiles/all/$t.mvt"
		want=$(pq "SELECT md5(tailings.tile(${t//\//, }))")
		checked=$((checked + 1))
		if [ "$ST" != 200 ] || [ "$(tile_md5)" != "$want" ]; then
			stale=$((stale + 1))
			echo "# stale: server $1, edit $iters ($2), tile $t: $ST $(tile_md5) want $want"
		fi
	done
}
declare -A r0 p0
for x in A C; do
	on "$x"
	r0[$x]=$(reads)
	p0[$x]=$(primary_reads)
done
iters=0
checked=0
stale=0
step=0.0005
# SOAK_S seconds, and on a loaded machine on until 8 edits are done (at most 4 times as long)
end=$(($(date +%s) + SOAK_S))
hard_end=$(($(date +%s) + 4 * SOAK_S))
while [ "$(date +%s)" -lt "$end" ] || { [ "$iters" -lt 8 ] && [ "$(date +%s)" -lt "$hard_end" ]; }; do
	on A
	a=$(applied)
	on C
	c=$(applied)
	pq "UPDATE tailings.element SET geom = ST_Translate(geom, $step, 0) WHERE pond_id = 8 AND name = '地下水监视井 JC2'" >/dev/null
	step=$(awk -v s="$step" 'BEGIN { print -s }')
	iters=$((iters + 1))
	on A
	wait_applied "$a" || { not_ok "soak: A did not apply a change within 10 s"; break; }
	soak_check A "at once"
	on C
	wait_applied "$c" || { not_ok "soak: C did not apply a change within 10 s"; break; }
	soak_check C "at once"
	# long enough, now and then, for the standby to replay it and serve
	sleep "0.$((RANDOM % 6))"
	soak_check C later
	on A
	soak_check A later
done
kill "${readers[@]}" 2>/dev/null
wait "${readers[@]}" 2>/dev/null
exec {PQ[1]}>&-
for x in A C; do
	on "$x"
	echo "# soak: server $x: reads by the standby $(($(reads) - r0[$x])), by the primary $(($(primary_reads) - p0[$x]))"
done
echo "# soak: $iters edits, $checked tiles checked after commit + notification, $stale stale"
check "soak: at least 8 edits ($iters)" test "$iters" -ge 8
expect_eq "soak: stale tiles observed" "$stale" 0
check "soak: the standby served reads meanwhile (C: $(($(reads) - r0[C])))" test "$(($(reads) - r0[C]))" -ge "$iters"
check "the servers' stderr has no error" eval '! grep -iE "error|sanitizer" "$A_ERR" "$B_ERR" "$C_ERR"'
HTTP_PID=$A_PID
http_stop 60
expect_eq "A: exit status 0 after SIGTERM (99: valgrind found errors)" "$HTTP_RC" 0
if [ -s "$vlog" ]; then
	grep -E 'ERROR SUMMARY|definitely lost|indirectly lost' "$vlog" | sed 's/^==[0-9]*== */# valgrind: /'
	expect_eq "A under valgrind: no errors" "$(grep -oE 'ERROR SUMMARY: [0-9]+' "$vlog" | tail -1 | grep -oE '[0-9]+$')" 0
	check "A under valgrind: nothing definitely or indirectly lost" \
		eval 'grep -q "All heap blocks were freed" "$vlog" || ! grep -qE "(definitely|indirectly) lost: [1-9]" "$vlog"'
else
	echo "# valgrind is not installed: A ran without it"
fi
suite_end
