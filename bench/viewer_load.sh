#!/usr/bin/env bash
# The viewer's first load, this build against a reference build of the viewer and server
# (git revision REF, default e2dbab4: before issue 10's symbols, labels and base maps), on
# the same database, in headless Chromium with an empty cache.  Prints each load's requests
# and bytes on the wire, the bytes by resource, and the ratio this/reference.
#   bench/viewer_load.sh [RUNS] [REF]
. "$(dirname "$0")/lib.sh"
runs=${1:-3}
ref=${2:-e2dbab4}
[ -f tests/browser/node_modules/playwright-core/package.json ] ||
	(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)

createdb load_db
psql -X -q -v ON_ERROR_STOP=1 -d load_db -c 'CREATE EXTENSION tailings CASCADE' -f sql/sample/panzhihua.sql >/dev/null

echo "== building the reference ($ref)"
mkdir -p "$bench_work/ref"
git archive "$ref" tileserver include tests/c | tar -x -C "$bench_work/ref"
make -s -C "$bench_work/ref/tileserver" >"$bench_work/ref-build.log" 2>&1 || { tail -20 "$bench_work/ref-build.log"; exit 1; }

serve() {  # serve NAME BINARY WWW PORT
	"$2" --db "host=$PGHOST port=$PGPORT dbname=load_db user=postgres" --listen "127.0.0.1:$4" --www "$3" \
		>"$bench_work/$1.log" 2>&1 &
	for _ in $(seq 50); do curl -fs "http://127.0.0.1:$4/health" >/dev/null && return; sleep 0.2; done
	echo "$1 did not start" >&2; cat "$bench_work/$1.log" >&2; exit 1
}
port_this=$((bench_port + 1)); port_ref=$((bench_port + 2))
serve this tileserver/build/tailings-tileserver tileserver/www $port_this
serve ref "$bench_work/ref/tileserver/build/tailings-tileserver" "$bench_work/ref/tileserver/www" $port_ref
trap 'kill $(jobs -p) 2>/dev/null; bench_cleanup' EXIT

cp bench/viewer_load.mjs tests/browser/.viewer_load.mjs   # resolves playwright-core from tests/browser
trap 'rm -f tests/browser/.viewer_load.mjs; kill $(jobs -p) 2>/dev/null; bench_cleanup' EXIT
for name in ref this; do
	port=$port_ref; [ $name = this ] && port=$port_this
	for i in $(seq "$runs"); do
		node tests/browser/.viewer_load.mjs "http://127.0.0.1:$port" >>"$bench_work/$name.json"
	done
	echo "== $name: $(python3 - "$bench_work/$name.json" <<'PY'
import json, sys, statistics
runs = [json.loads(l) for l in open(sys.argv[1])]
print("requests %s, bytes %s (median of %d loads)" % (
    statistics.median(r["requests"] for r in runs), statistics.median(r["bytes"] for r in runs), len(runs)))
last = runs[-1]["by_type"]
for k in sorted(last, key=lambda k: -last[k]):
    print("     %8d  %s" % (last[k], k))
PY
)"
done
python3 - "$bench_work/this.json" "$bench_work/ref.json" <<'PY'
import json, sys, statistics
med = lambda f, k: statistics.median(json.loads(l)[k] for l in open(f))
t, r = sys.argv[1], sys.argv[2]
print("ratio this/reference: bytes %.2f, requests %.2f" % (med(t, "bytes") / med(r, "bytes"), med(t, "requests") / med(r, "requests")))
PY
