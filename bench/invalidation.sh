#!/usr/bin/env bash
# Cache invalidation through the whole server: the tile cache filled with
# about 100,000 tiles around the Panzhihua sample's ponds (z12-z18), then one
# UPDATE of all 999 elements (one transaction, 999 changes across 40 ponds).
# For this build and for a reference build of the server before the cache
# index (git revision REF, default 51dbeeb), prints:
#   - how long the event loop stalled (the slowest /health answer while the
#     changes were applied, probed every 5 ms),
#   - for this build, the server's own time dropping tiles and telling
#     viewers (tailings_changes_apply_seconds),
#   - the tiles dropped, and the ratio of the stalls.
#   bench/invalidation.sh [TILES] [REF]
. "$(dirname "$0")/lib.sh"
tiles=${1:-100000}
ref=${2:-51dbeeb}
PY=$(python3 -c 'import sys; print(sys.executable)')

# the reference server, built from git as it was
git archive "$ref" tileserver include | tar -x -C "$bench_work"
make -s -C "$bench_work/tileserver" build/tailings-tileserver >/dev/null
new_bin=$root/tileserver/build/tailings-tileserver
ref_bin=$bench_work/tileserver/build/tailings-tileserver

createdb inv
psql -X -q -d inv -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION tailings CASCADE' -f sql/sample/panzhihua.sql >/dev/null
# tile paths near the ponds, nearest first at each zoom, TILES in all
psql -X -At -d inv -c "SELECT ST_X(location), ST_Y(location) FROM tailings.pond ORDER BY id" |
"$PY" -c '
import math, sys
n = int(sys.argv[1])
ponds = [tuple(map(float, l.split("|"))) for l in sys.stdin if l.strip()]
def tile(lon, lat, z):
    k = 2 ** z
    x = int((lon + 180) / 360 * k)
    r = math.radians(lat)
    y = int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * k)
    return x, y
seen, out = set(), []
for z, half in ((12, 1), (13, 2), (14, 3), (15, 5), (16, 8), (17, 14), (18, 26)):
    for lon, lat in ponds:
        cx, cy = tile(lon, lat, z)
        for dx in range(-half, half + 1):
            for dy in range(-half, half + 1):
                t = (z, cx + dx, cy + dy)
                if t not in seen:
                    seen.add(t)
                    out.append("/tiles/all/%d/%d/%d.mvt" % t)
print("\n".join(out[:n]))
' "$tiles" >"$bench_work/paths.txt"
echo "tile paths: $(wc -l <"$bench_work/paths.txt")"

# fetch every path once (8 connections), and probe /health while the change is applied
cat >"$bench_work/client.py" <<'PY'
import http.client, sys, threading, time
port = int(sys.argv[2])
def fill(paths):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for p in paths:
        c.request("GET", p)
        c.getresponse().read()
def probe(seconds, out):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    worst, end = 0.0, time.monotonic() + seconds
    while time.monotonic() < end:
        t = time.monotonic()
        c.request("GET", "/health")
        c.getresponse().read()
        worst = max(worst, time.monotonic() - t)
        time.sleep(0.005)
    open(out, "w").write("%.1f\n" % (worst * 1000))
if sys.argv[1] == "fill":
    paths = [l.strip() for l in open(sys.argv[3]) if l.strip()]
    ts = [threading.Thread(target=fill, args=(paths[i::8],)) for i in range(8)]
    [t.start() for t in ts]
    [t.join() for t in ts]
else:
    probe(float(sys.argv[3]), sys.argv[4])
PY

metric() { curl -s "http://127.0.0.1:$port/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }
run() {   # run NAME BINARY [FLAGS...]
	local name=$1 bin=$2 t0 t1 pid dropped inv0 sec0 sec1 probe
	shift 2
	port=$(shuf -i 20000-32000 -n 1)
	"$bin" --listen "127.0.0.1:$port" --db "host=$PGHOST port=$PGPORT user=postgres dbname=inv" \
		--pool 4 --cache-mb 4096 --access-log off "$@" >/dev/null 2>"$bench_work/$name.err" &
	pid=$!
	for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.1; done
	t0=$(date +%s)
	"$PY" "$bench_work/client.py" fill "$port" "$bench_work/paths.txt"
	t1=$(date +%s)
	echo "$name: cache filled with $(metric tailings_cache_entries) tiles in $((t1 - t0)) s"
	inv0=$(metric tailings_cache_invalidations_total)
	sec0=$(metric tailings_changes_apply_seconds_sum)
	"$PY" "$bench_work/client.py" probe "$port" 8 "$bench_work/$name.stall" &
	probe=$!
	sleep 1
	psql -X -q -d inv -c "UPDATE tailings.element SET accuracy_m = coalesce(accuracy_m, 0) + 1"
	wait $probe
	dropped=$(($(metric tailings_cache_invalidations_total) - inv0))
	sec1=$(metric tailings_changes_apply_seconds_sum)
	echo "$name: one UPDATE of 999 elements: the event loop stalled at most $(cat "$bench_work/$name.stall") ms;" \
		"$dropped tiles dropped${sec1:+; applying the changes took $(awk -v a="${sec0:-0}" -v b="$sec1" 'BEGIN { printf "%.1f", (b - a) * 1000 }') ms of server time}"
	kill "$pid"; wait "$pid" 2>/dev/null || true
}
run reference "$ref_bin"
run this "$new_bin" --max-conns-per-ip 0
awk -v r="$(cat "$bench_work/reference.stall")" -v t="$(cat "$bench_work/this.stall")" \
	'BEGIN { printf "stall, reference / this build: %.1f\n", r / t }'
