#!/usr/bin/env bash
# tailings-tileserver reading from hot standbys (--db-replica), against the primary alone in the
# same run:
#   uncached tiles/s (--cache-mb 0: every request runs tailings.tile()) with the primary alone,
#   with one standby, with two, over the same tile list and connections (wrk,
#   bench/tileserver_tiles.lua), the three alternating round by round; the reads each standby
#   and the primary answered;
#   a soak with two standbys and the cache on: wrk reads the tile list while an editor moves an
#   element of one listed tile after another on the primary (back and forth), waits for the
#   server to apply the change (its notification confirmed), fetches that tile and compares it
#   with the primary's tailings.tile(): the stale count must be 0.
# The standbys are made of the benchmark's cluster by pg_basebackup -R (streaming, a slot
# each) and run on the same machine: they share its CPUs with the primary, the server and wrk,
# so on one machine they show what routing costs, not what more machines would add.
#   bench/replicas.sh [PONDS]          default 1000 ponds (the national list: 7820)
# Environment: DURATION (s per measurement, 10), WARMUP (s, 3), ROUNDS (2), TILES (200),
# CONNS (8), THREADS (wrk -t, 2), POOL (per database, 4), SOAK_S (20).
# Needs wrk and curl (apt-get install -y wrk curl).
for tool in wrk curl; do
	command -v "$tool" >/dev/null 2>&1 || { echo "bench/replicas.sh: $tool is missing: apt-get install -y wrk curl" >&2; exit 2; }
done
ponds=${1:-1000}
duration=${DURATION:-10}
warmup=${WARMUP:-3}
rounds=${ROUNDS:-2}
ntiles=${TILES:-200}
conns=${CONNS:-8}
threads=${THREADS:-2}
pool=${POOL:-4}
soak_s=${SOAK_S:-20}
for v in "$ponds" "$duration" "$warmup" "$rounds" "$ntiles" "$conns" "$threads" "$pool" "$soak_s"; do
	case "$v" in '' | *[!0-9]* | 0)
		echo "usage: bench/replicas.sh [PONDS]  (PONDS, DURATION, WARMUP, ROUNDS, TILES, ...: positive integers)" >&2
		exit 2 ;;
	esac
done

. "$(dirname "$0")/lib.sh"			# cd to the repository, cluster up, trap on EXIT
lua=$root/bench/tileserver_tiles.lua
work=$bench_work/replicas
mkdir -p "$work"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
say() { echo ".. $*" >&2; }
die() { echo "bench/replicas.sh: $*" >&2; exit 1; }
server_pid=
reader_pid=
standbys=()
replicas_cleanup() {
	[ -z "$reader_pid" ] || kill "$reader_pid" 2>/dev/null
	if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
	for s in ${standbys[@]+"${standbys[@]}"}; do scripts/cluster.sh stop "$bench_work/$s"; done
	bench_cleanup
}
trap replicas_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

used_ports=" $PGPORT "
free_port() {   # a free port in REPLY, never one handed out before in this run
	local p
	for p in $(shuf -i 20000-32000 -n 50); do
		case "$used_ports" in *" $p "*) continue ;; esac
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			used_ports="$used_ports$p "
			REPLY=$p
			return 0
		fi
	done
	die "no free port found"
}

say "building tailings-tileserver"
make -s -C tileserver >&2 || die "make -C tileserver failed"
cp tileserver/build/tailings-tileserver "$work/tailings-tileserver"
server_rev="$(git rev-parse --short HEAD 2>/dev/null || echo '?')"
git diff --quiet HEAD -- tileserver 2>/dev/null || server_rev="$server_rev + uncommitted changes in tileserver/"

# ---------------------------------------------------------------------------
# data, the tile list, and for the soak an element in each of the first tiles
bench_national_tiles "$ponds" "$ntiles" "$work/paths.txt"
srid=$(psql -X -At -d bench -c "SELECT Find_SRID('tailings', 'element', 'geom')")
psql -X -q -d bench -v ON_ERROR_STOP=1 -v srid="$srid" <<'SQL'
-- the soak's edits: a point element inside each tile of z14 and more (moved back and forth by 1e-6 degree)
CREATE TABLE bench_edits AS
SELECT t.i, t.z, t.x, t.y, e.id AS element_id
  FROM bench_tiles t
  CROSS JOIN LATERAL (SELECT e.id FROM tailings.element e
                       WHERE GeometryType(e.geom) = 'POINT'
                         AND ST_Intersects(e.geom, ST_Transform(ST_TileEnvelope(t.z, t.x, t.y), :srid))
                       ORDER BY e.id LIMIT 1) e
 WHERE t.z >= 14;
SQL
nedits=$(psql -X -At -d bench -c "SELECT count(*) FROM bench_edits")
[ "$nedits" -gt 0 ] || die "no tiles to edit"
elements=$(psql -X -At -d bench -c "SELECT count(*) FROM tailings.element")

# ---------------------------------------------------------------------------
# two standbys
for s in standby1 standby2; do
	mkdir -p "$bench_work/$s"
	[ "$(id -u)" = 0 ] && chown postgres: "$bench_work/$s"
	chmod 700 "$bench_work/$s"
	as_pg "$(pg_config --bindir)/pg_basebackup" -D "$bench_work/$s/data" -R -X stream -c fast --no-sync -C -S "bench_$s" \
		-h "$PGHOST" -p "$PGPORT" -U postgres || die "pg_basebackup $s"
	free_port
	scripts/cluster.sh start "$bench_work/$s" "$REPLY" >&2 || die "$s did not start"
	standbys+=("$s")
	eval "${s}_conninfo='host=$bench_work/$s/sock port=$REPLY user=postgres dbname=bench'"
	eval "${s}_port=$REPLY"
done
# queries a standby cancelled for its replay (recovery conflicts), both standbys
conflicts() {
	local n=0 s port
	for s in standby1 standby2; do
		eval "port=\$${s}_port"
		n=$((n + $(psql -X -At -h "$bench_work/$s/sock" -p "$port" -d bench -c \
			"SELECT confl_tablespace + confl_lock + confl_snapshot + confl_bufferpin + confl_deadlock FROM pg_stat_database_conflicts WHERE datname = 'bench'")))
	done
	echo "$n"
}

start_server() {   # CACHE_MB [STANDBY...]: start, wait until its pools are connected and its standbys up
	local cache=$1 args=() h
	shift
	for s in "$@"; do
		eval "args+=(--db-replica \"\$${s}_conninfo\")"
	done
	free_port
	"$work/tailings-tileserver" --db "host=$PGHOST port=$PGPORT user=postgres dbname=bench" \
		--listen "127.0.0.1:$REPLY" --cache-mb "$cache" --pool "$pool" --access-log off ${args[@]+"${args[@]}"} \
		>>"$work/server.log" 2>&1 &
	server_pid=$!
	server_url=http://127.0.0.1:$REPLY
	for _ in $(seq 300); do
		kill -0 "$server_pid" 2>/dev/null || { tail -20 "$work/server.log" >&2; die "tailings-tileserver did not start"; }
		h=$(curl -s --max-time 2 "$server_url/health" || true)
		if [[ $h == *"\"idle\":$pool,"* ]] && [ "$(grep -o '"state":"up"' <<<"$h" | wc -l)" = $# ]; then return 0; fi
		sleep 0.1
	done
	die "tailings-tileserver not ready after 30 s: $h"
}
stop_server() {
	kill -TERM "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
	server_pid=
}
metric() { curl -s --max-time 5 "$server_url/metrics" | awk -v n="$1" '$1 == n {v = $2} END {print v + 0}'; }
run_wrk() {   # SECONDS: wrk over the tile list; W_rps, W_requests, W_errors, W_p50_us
	local out line kv
	out=$(wrk -t"$threads" -c"$conns" -d"$1"s --timeout 10s --latency -s "$lua" "$server_url" -- "$work/paths.txt" "$threads" 2>&1) \
		|| { echo "$out" >&2; die "wrk failed"; }
	line=$(grep '^RESULT ' <<<"$out") || { echo "$out" >&2; die "no RESULT line from wrk"; }
	for kv in ${line#RESULT }; do printf -v "W_${kv%%=*}" '%s' "${kv#*=}"; done
	W_rps=$(awk -v n="$W_requests" -v us="$W_duration_us" 'BEGIN {printf "%.0f", n / (us / 1e6)}')
	W_errors=$((W_err_connect + W_err_read + W_err_write + W_err_status + W_err_timeout))
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

cat <<EOF
tailings-tileserver with hot standbys ($server_rev)
$(nproc) CPUs shared by everything: wrk, the server, the primary and both standbys; load average $(cut -d' ' -f1-3 /proc/loadavg) at the start
data: $ponds ponds, $elements elements; $ntiles non-empty tiles z12-z16; wrk -t$threads -c$conns, --pool $pool per database
each configuration warmed up ${warmup} s, then $rounds rounds of ${duration} s, the configurations in turn

EOF

# ---------------------------------------------------------------------------
# 1. uncached tiles/s: the primary alone, one standby, two
echo "uncached (--cache-mb 0): tiles/s"
declare -A rps
configs=("primary" "1 standby" "2 standbys")
config_standbys() { case $1 in primary) ;; "1 standby") echo standby1 ;; *) echo standby1 standby2 ;; esac; }
for ((r = 1; r <= rounds; r++)); do
	for c in "${configs[@]}"; do
		say "$c, round $r"
		# shellcheck disable=SC2046
		start_server 0 $(config_standbys "$c")
		run_wrk "$warmup"
		p0=$(metric tailings_primary_reads_total)
		s1=$(metric 'tailings_replica_reads_total{replica="1"}')
		s2=$(metric 'tailings_replica_reads_total{replica="2"}')
		run_wrk "$duration"
		p=$(($(metric tailings_primary_reads_total) - p0))
		a=$(($(metric 'tailings_replica_reads_total{replica="1"}') - s1))
		b=$(($(metric 'tailings_replica_reads_total{replica="2"}') - s2))
		stop_server
		if [ "$W_errors" != 0 ]; then
			echo "  $c, round $r: $W_errors wrk errors (connect $W_err_connect, read $W_err_read, write $W_err_write, status $W_err_status, timeout $W_err_timeout); the server's log:" >&2
			tail -20 "$work/server.log" >&2
			for s in standby1 standby2; do echo "  $s's log:" >&2; tail -10 "$bench_work/$s/server.log" >&2; done
		fi
		[ "$c" = primary ] && p=$W_requests
		printf '  round %s  %-11s %6s tiles/s  p50 %6.2f ms  (%s requests, %s errors; reads: primary %s, standby 1 %s, standby 2 %s)\n' \
			"$r" "$c" "$W_rps" "$(awk -v u="$W_p50_us" 'BEGIN {print u / 1000}')" "$W_requests" "$W_errors" "$p" "$a" "$b"
		rps[$c]="${rps[$c]:-}$W_rps "
	done
done
base=$(median <<<"${rps[primary]}")
for c in "${configs[@]}"; do
	m=$(median <<<"${rps[$c]}")
	printf '  median %-11s %6.0f tiles/s  ratio to the primary alone %s\n' "$c" "$m" "$(ratio "$m" "$base")"
done
echo

# ---------------------------------------------------------------------------
# 2. soak: the cache on, two standbys, wrk reading, an editor checking every tile it changed
echo "soak: ${soak_s} s, --cache-mb 64, two standbys, wrk -c$conns reading the $ntiles tiles; edits of $nedits of them, each checked after its notification"
start_server 64 standby1 standby2
coproc PQ { psql -X -q -At -d bench 2>&1; }
pq() {
	local line out=
	printf '%s;\nSELECT %s;\n' "$1" "'pq-end'" >&"${PQ[1]}"
	while IFS= read -r -t 10 line <&"${PQ[0]}"; do
		[ "$line" = pq-end ] && break
		out+=$line
	done
	printf '%s\n' "$out"
}
mapfile -t edits < <(psql -X -At -F ' ' -d bench -c "SELECT z, x, y, element_id FROM bench_edits ORDER BY i")
p0=$(metric tailings_primary_reads_total)
s1=$(metric 'tailings_replica_reads_total{replica="1"}')
s2=$(metric 'tailings_replica_reads_total{replica="2"}')
k0=$(conflicts)
wrk -t"$threads" -c"$conns" -d"$((soak_s + 5))"s --timeout 10s -s "$lua" "$server_url" -- "$work/paths.txt" "$threads" \
	>"$work/soak.wrk" 2>&1 &
reader_pid=$!
n=0 stale=0 missed=0 sign=1
end=$((SECONDS + soak_s))
while [ "$SECONDS" -lt "$end" ]; do
	read -r z x y id <<<"${edits[$((n % ${#edits[@]}))]}"
	a=$(metric tailings_changes_applied_total)
	pq "UPDATE tailings.element SET geom = ST_Translate(geom, $((sign))e-6, 0) WHERE id = $id" >/dev/null
	sign=$((-sign))
	n=$((n + 1))
	for ((i = 0; i < 500; i++)); do
		[ "$(metric tailings_changes_applied_total)" -gt "$a" ] && break
		sleep 0.02
	done
	[ "$i" -lt 500 ] || { missed=$((missed + 1)); continue; }
	got=$(curl -s --max-time 10 "$server_url/tiles/all/$z/$x/$y.mvt" | md5sum | cut -d' ' -f1)
	[ "$got" = "$(pq "SELECT md5(tailings.tile($z, $x, $y))")" ] || { stale=$((stale + 1)); echo "  stale: edit $n, tile $z/$x/$y" >&2; }
done
wait "$reader_pid"
reader_pid=
p=$(($(metric tailings_primary_reads_total) - p0))
a=$(($(metric 'tailings_replica_reads_total{replica="1"}') - s1))
b=$(($(metric 'tailings_replica_reads_total{replica="2"}') - s2))
hits=$(metric tailings_cache_hits_total)
retried=$(($(metric 'tailings_replica_retried_total{replica="1"}') + $(metric 'tailings_replica_retried_total{replica="2"}')))
stop_server
exec {PQ[1]}>&-
line=$(grep '^RESULT ' "$work/soak.wrk") || { cat "$work/soak.wrk" >&2; die "no RESULT line from the soak's wrk"; }
for kv in ${line#RESULT }; do printf -v "W_${kv%%=*}" '%s' "${kv#*=}"; done
printf '  %s edits, each tile checked after commit + notification: %s stale (must be 0)%s\n' "$n" "$stale" \
	"$([ "$missed" = 0 ] || echo ", $missed edits not applied within 10 s")"
printf '  wrk: %s requests (%s/s), %s cache hits; database reads: primary %s, standby 1 %s, standby 2 %s\n' \
	"$W_requests" "$(awk -v n="$W_requests" -v us="$W_duration_us" 'BEGIN {printf "%.0f", n / (us / 1e6)}')" "$hits" "$p" "$a" "$b"
printf '  reads the standbys handed to the primary: %s; queries the standbys cancelled for their replay (recovery conflicts): %s\n' \
	"$retried" "$(($(conflicts) - k0))"
[ "$stale" = 0 ] && [ "$missed" = 0 ]
