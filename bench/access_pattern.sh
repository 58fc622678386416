#!/usr/bin/env bash
# Cache hit ratios of a national deployment, from a synthesised tile access pattern
# (bench/access_pattern.py has the model: who the viewers are, what they look at, edits), and
# what the database behind the caches must do: docs/scale.md is written from its output.
#   1. the national data set (sql/generate_national.sql, PONDS ponds, default 7,820);
#   2. the request log: VIEWERS concurrent viewers (1,000) for MINUTES simulated minutes (40, the
#      first WARMUP_MIN (10) not counted), EDITS_PER_HOUR edits (120); its distinct tiles;
#   3. each distinct tile's size: tailings.tile() on the database (also: tiles/s of one session
#      over the whole mix), gzip ratios per zoom from a sample (zlib level 6, as the server);
#      a server cache entry's own bytes measured through the server (its /metrics);
#   4. the replay through LRU simulations of the caches: nginx's (per s-maxage) and the servers'
#      (per total size: SERVER_MB), scenarios "public" (nginx shared) and "members" (per scope);
#   5. tiles/s per database: pgbench running tailings.tile() over a sample of the distinct tiles
#      (the database's share is the misses: first requests), 1 and 2 clients (this machine's 2 CPUs);
#   6. the model checked against the real server: the first REPLAY (100,000) requests that reach
#      the servers, replayed through tailings-tileserver with --cache-mb REPLAY_MB (32): its hit
#      ratio from /metrics against the LRU simulation's on the same requests.
#   bench/access_pattern.sh [PONDS]
set -euo pipefail
ponds=${1:-7820}
replay=${REPLAY:-100000}
replay_mb=${REPLAY_MB:-32}
pg_seconds=${PGBENCH_S:-20}
for v in "$ponds" "$replay" "$replay_mb" "$pg_seconds"; do
	case "$v" in '' | *[!0-9]* | 0) echo "usage: bench/access_pattern.sh [PONDS] (PONDS, REPLAY, REPLAY_MB, PGBENCH_S: positive integers)" >&2; exit 2 ;; esac
done
PY=$(python3 -c 'import sys; print(sys.executable)')
pgbench=$(pg_config --bindir)/pgbench
[ -x "$pgbench" ] || { echo "bench/access_pattern.sh: pgbench is missing ($pgbench)" >&2; exit 2; }
. "$(dirname "$0")/lib.sh"
work=$bench_work/access
mkdir -p "$work"
model=$root/bench/access_pattern.py
say() { echo ".. $*" >&2; }
server_pid=
cleanup() {
	if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
	bench_cleanup
}
trap cleanup EXIT

say "building tailings-tileserver"
make -s -C tileserver >&2
cp tileserver/build/tailings-tileserver "$work/"

createdb bench
psql -X -q -d bench -c "CREATE EXTENSION tailings CASCADE"
say "generating $ponds ponds"
psql -X -q -d bench -v ponds="$ponds" -f sql/generate_national.sql >/dev/null
psql -X -q -d bench -c "VACUUM ANALYZE"
elements=$(psql -X -At -d bench -c "SELECT count(*) FROM tailings.element")
psql -X -q -d bench -c "\\copy (SELECT id, ST_X(location) AS lon, ST_Y(location) AS lat, supervision_level AS level FROM tailings.pond ORDER BY id) TO '$work/ponds.csv' CSV HEADER"

echo "access pattern of a national deployment ($(git rev-parse --short HEAD 2>/dev/null || echo '?')): $ponds ponds, $elements elements; $(nproc) CPUs"
say "the request log"
"$PY" "$model" generate "$work/ponds.csv" "$work"
distinct=$(wc -l <"$work/tiles.tsv")

say "the size of each of the $distinct distinct tiles (tailings.tile())"
psql -X -q -d bench -c "CREATE TABLE req_tiles (z int, x int, y int)" -c "\\copy req_tiles FROM '$work/tiles.tsv'"
if [ -n "${SIZE_SAMPLE:-}" ] && [ "$SIZE_SAMPLE" -lt "$distinct" ]; then
	# a sample of them measured, the others given a measured size of their zoom (access_pattern.py)
	psql -X -q -d bench -c "CREATE TABLE req_sample AS SELECT z, x, y FROM req_tiles ORDER BY md5(z || '/' || x || '/' || y) LIMIT $SIZE_SAMPLE" \
		-c "DROP TABLE req_tiles" -c "ALTER TABLE req_sample RENAME TO req_tiles"
	echo "sizes: measured for a sample of $SIZE_SAMPLE of the $distinct distinct tiles (SIZE_SAMPLE)"
	distinct=$SIZE_SAMPLE
fi
t0=$(date +%s%N)
psql -X -q -d bench -c "\\copy (SELECT z, x, y, coalesce(length(tailings.tile(z, x, y)), 0) FROM req_tiles) TO '$work/sizes.tsv'"
ms=$((($(date +%s%N) - t0) / 1000000))
psql -X -At -d bench -c "SELECT z, replace(encode(tailings.tile(z, x, y), 'base64'), E'\\n', '') FROM (
	SELECT z, x, y, row_number() OVER (PARTITION BY z ORDER BY md5(x || '/' || y)) AS n FROM req_tiles) s WHERE n <= 60" \
	| "$PY" -c '
import base64, collections, sys, zlib
raw, gz = collections.Counter(), collections.Counter()
for line in sys.stdin:
    z, _, b = line.rstrip("\n").partition("|")
    data = base64.b64decode(b)
    if not data:
        continue
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    g = c.compress(data) + c.flush()
    raw[z] += len(data)
    gz[z] += len(g) if len(g) < len(data) else 0
for z in raw:
    print("gz", z, round(gz[z] / raw[z], 3))
' >>"$work/sizes.tsv"
awk -v n="$distinct" -v ms="$ms" '$1 != "gz" {b += $4; e += ($4 == 0)} END {
	printf "sizes: %d distinct tiles in %.1f s (%.0f tiles/s, one session); %d empty (204); mean %.0f bytes (raw)\n", n, ms / 1000, n / (ms / 1000), e, b / n }' "$work/sizes.tsv"
echo "gzip / raw by zoom: $(awk '$1 == "gz" {printf "z%s %s  ", $2, $3}' "$work/sizes.tsv")"

# a server cache entry's own bytes: the server's tailings_cache_bytes after 300 tiles, less their bytes
port=
for p in $(shuf -i 20000-32000 -n 50); do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { port=$p; break; }; done
start_server() {  # CACHE_MB
	"$work/tailings-tileserver" --db "host=$PGHOST port=$PGPORT user=postgres dbname=bench" --listen "127.0.0.1:$port" \
		--cache-mb "$1" --pool 4 --access-log off >>"$work/server.log" 2>&1 &
	server_pid=$!
	for _ in $(seq 150); do
		curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$port/health" && return 0
		sleep 0.1
	done
	echo "the server did not start:" >&2; tail "$work/server.log" >&2; exit 1
}
stop_server() { kill -TERM "$server_pid"; wait "$server_pid" || true; server_pid=; }
metric() { curl -sf "http://127.0.0.1:$port/metrics" | awk -v n="$1" '$1 == n {print $2}'; }
start_server 1024
"$PY" "$model" replay-list "$work" "$replay" >"$work/replay.txt"
head -300 "$work/replay.txt" | sort -u >"$work/calib.txt"
ncal=$(wc -l <"$work/calib.txt")
body=0
while read -r path; do
	r=$(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:$port$path")
	g=$(curl -s -o /dev/null -H 'Accept-Encoding: gzip' -w '%{size_download} %header{content-encoding}' "http://127.0.0.1:$port$path")
	case "$g" in *gzip*) body=$((body + r + ${g%% *})) ;; *) body=$((body + r)) ;; esac
done <"$work/calib.txt"
entries=$(metric tailings_cache_entries)
bytes=$(metric tailings_cache_bytes)
overhead=$(( (bytes - body) / entries ))
stop_server
echo "a server cache entry: the tile, its gzip copy and $overhead bytes ($ncal tiles: $bytes bytes in the cache, $body of them the tiles')"
export SERVER_ENTRY_OVERHEAD=$overhead

say "the caches (LRU simulations)"
"$PY" "$model" simulate "$work" "$work/sizes.tsv"

say "tiles/s per database: pgbench"
psql -X -q -d bench -c "CREATE TABLE pg_tiles AS SELECT row_number() OVER (ORDER BY md5(z || '/' || x || '/' || y))::int AS i, z, x, y FROM req_tiles ORDER BY 1 LIMIT 3000" \
	-c "ALTER TABLE pg_tiles ADD PRIMARY KEY (i)" -c "ANALYZE pg_tiles"
n=$(psql -X -At -d bench -c "SELECT count(*) FROM pg_tiles")
cat >"$work/tile.sql" <<EOF
\\set i random(1, $n)
SELECT length(tailings.tile(z, x, y)) FROM pg_tiles WHERE i = :i;
EOF
for c in 1 2; do
	"$pgbench" -n -M prepared -c "$c" -j "$c" -T "$pg_seconds" -f "$work/tile.sql" bench >"$work/pgbench.$c" 2>&1
	tps=$(sed -nE 's/^tps = ([0-9.]+) .*/\1/p' "$work/pgbench.$c")
	lat=$(sed -nE 's/^latency average = ([0-9.]+) ms.*/\1/p' "$work/pgbench.$c")
	echo "database: pgbench -c $c -j $c -T $pg_seconds, tailings.tile() over $n distinct requested tiles (z8-16 as asked): $tps tiles/s, mean $lat ms"
done

say "the data's size, and edits as the database takes them"
psql -X -q -d bench -c "VACUUM ANALYZE"
psql -X -At -F '|' -d bench -c "SELECT count(*) FILTER (WHERE c.relkind IN ('r', 'p')), pg_size_pretty(sum(pg_total_relation_size(c.oid))),
	sum(pg_total_relation_size(c.oid)), pg_size_pretty(pg_database_size('bench'))
	FROM pg_class c WHERE c.relnamespace = 'tailings'::regnamespace AND c.relkind IN ('r', 'p', 'm')" \
	| { IFS='|' read -r ntab pretty total db
	    echo "data: the $ntab tables of schema tailings $pretty with their indexes and TOAST ($(( total / elements )) bytes an element); the whole database $db (PostGIS's own tables too)"; }
echo "  largest: $(psql -X -At -d bench -c "SELECT string_agg(format('%s %s', relname, pg_size_pretty(s)), ', ' ORDER BY s DESC)
	FROM (SELECT relname, pg_total_relation_size(oid) AS s FROM pg_class WHERE relnamespace = 'tailings'::regnamespace AND relkind = 'r'
	       ORDER BY 2 DESC LIMIT 5) c")"
log0=$(psql -X -At -d bench -c "SELECT count(*), pg_total_relation_size('tailings.change_log') FROM tailings.change_log")
maxid=$(psql -X -At -d bench -c "SELECT max(id) FROM tailings.element")
printf '%s\n' "\\set e random(1, $maxid)" \
	"UPDATE tailings.element SET geom = ST_Translate(geom, 0.00001, 0) WHERE id = (SELECT min(id) FROM tailings.element WHERE id >= :e);" \
	>"$work/edit.sql"
wal0=$(psql -X -At -d bench -c "SELECT pg_current_wal_lsn()")
"$pgbench" -n -c 2 -j 2 -T "$pg_seconds" -f "$work/edit.sql" bench >"$work/pgbench.edit" 2>&1
wal1=$(psql -X -At -d bench -c "SELECT pg_current_wal_lsn()")
tx=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$work/pgbench.edit")
tps=$(sed -nE 's/^tps = ([0-9.]+) .*/\1/p' "$work/pgbench.edit")
log1=$(psql -X -At -d bench -c "SELECT count(*), pg_total_relation_size('tailings.change_log') FROM tailings.change_log")
echo "edits: pgbench -c 2 -j 2 -T $pg_seconds, one element moved a transaction (its change-log row and notification;" \
	"fsync off in this throwaway cluster): $tps edits/s;" \
	"WAL $(psql -X -At -d bench -c "SELECT round(pg_wal_lsn_diff('$wal1', '$wal0') / $tx)") bytes an edit;" \
	"change log $(( (${log1#*|} - ${log0#*|}) / (${log1%%|*} - ${log0%%|*}) )) bytes a change with its indexes"

say "the model against the real server: $replay requests, --cache-mb $replay_mb"
start_server "$replay_mb"
split -n r/4 "$work/replay.txt" "$work/replay.part."
curls=()
for f in "$work"/replay.part.??; do
	sed "s|.*|url = \"http://127.0.0.1:$port&\"\noutput = /dev/null|" "$f" >"$f.conf"
	curl -s -H 'Accept-Encoding: gzip' -K "$f.conf" >/dev/null &
	curls+=($!)
done
wait "${curls[@]}"
hits=$(metric tailings_cache_hits_total)
misses=$(metric tailings_cache_misses_total)
stop_server
read -r sim_hits sim_n < <("$PY" "$model" lru "$work" "$work/sizes.tsv" "$replay" "$replay_mb")
echo "replay of the first $sim_n requests reaching the servers (4 connections), --cache-mb $replay_mb:" \
	"the server's hit ratio $(awk -v h="$hits" -v m="$misses" 'BEGIN {printf "%.3f", h / (h + m)}') ($hits hits, $misses misses);" \
	"the LRU simulation's $(awk -v h="$sim_hits" -v n="$sim_n" 'BEGIN {printf "%.3f", h / n}') ($sim_hits of $sim_n)"
