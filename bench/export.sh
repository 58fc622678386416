#!/usr/bin/env bash
# tailings-tileserver export against the server's own uncached rate for the same tiles.
#   export    `tailings-tileserver export --county C --jobs J` timed whole (connecting, each new
#             connection's first tile(), which costs about 0.2 s of CPU, planning, the tiles, the
#             archive written), and its tile phase alone (its summary line: the connections ready)
#   server    tailings-tileserver --cache-mb 0 --pool J: the very tiles of the archive fetched once
#             each by curl with J requests in flight (keep-alive, gzip accepted: the server
#             compresses each tile, as the export does), timed whole
# The export asks only for tiles a feature's shape reaches, so it makes the archive's tiles and no
# other (the summary says how many it made).
# Rounds alternate (export, server, server, export, ...) after one warm-up of each; the ratio is of
# the medians.  The data: the Panzhihua sample (sql/sample/panzhihua.sql).
#   bench/export.sh [AREA ARGS]     default: --county 510421 (12 ponds; zooms 8-16)
# Environment: JOBS (4), ROUNDS (3).  Needs curl and node (the archive's tile list is read with
# the pmtiles npm package that make installs).
jobs=${JOBS:-4}
rounds=${ROUNDS:-3}
for v in "$jobs" "$rounds"; do
	case "$v" in '' | *[!0-9]* | 0) echo "bench/export.sh: JOBS and ROUNDS are positive integers" >&2; exit 2 ;; esac
done
area=("$@")
[ ${#area[@]} -gt 0 ] || area=(--county 510421)

. "$(dirname "$0")/lib.sh"			# cd to the repository, cluster up, trap on EXIT
work=$bench_work/export
mkdir -p "$work"
server_pid=
export_cleanup() {
	if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
	bench_cleanup
}
trap export_cleanup EXIT
trap 'exit 130' INT
say() { echo ".. $*" >&2; }
die() { echo "bench/export.sh: $*" >&2; exit 1; }

say "building tailings-tileserver"
make -s -C tileserver >&2 || die "make -C tileserver failed"
cp tileserver/build/tailings-tileserver "$work/tailings-tileserver"
[ -f tileserver/node_modules/pmtiles/package.json ] || die "the pmtiles npm package is missing (make -C tileserver)"

createdb bench
psql -X -q -d bench -c "CREATE EXTENSION tailings CASCADE"
psql -X -q -d bench -f sql/sample/panzhihua.sql >/dev/null
psql -X -q -d bench -c "VACUUM ANALYZE"
conn="host=$PGHOST port=$PGPORT user=postgres dbname=bench"

port=
for p in $(shuf -i 20000-32000 -n 50); do
	[ "$p" = "$PGPORT" ] && continue
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || die "no free port"
"$work/tailings-tileserver" --db "$conn" --listen "127.0.0.1:$port" --cache-mb 0 --pool "$jobs" --access-log off \
	>"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 300); do
	curl -sf --max-time 2 "http://127.0.0.1:$port/health" | grep -q "\"idle\":$jobs," && break
	kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; die "the server did not start"; }
	sleep 0.1
done

now() { date +%s.%N; }
run_export() {  # seconds on stdout: the whole export, and its tile phase (from its summary line)
	local t0 t1
	t0=$(now)
	"$work/tailings-tileserver" export --db "$conn" --out "$work/area.pmtiles" "${area[@]}" --jobs "$jobs" \
		2>"$work/export.err" || { cat "$work/export.err" >&2; die "the export failed"; }
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", b - a}'
	sed -nE 's/.* tiles made in ([0-9.]+) s, .*/\1/p' "$work/export.err"
}
run_server() {  # seconds on stdout
	local t0 t1 codes
	t0=$(now)
	codes=$(curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max "$jobs" -H 'Accept-Encoding: gzip' \
		-w '%{http_code}\n' -K "$work/curl.conf") || die "curl failed"
	t1=$(now)
	[ "$(grep -c '^200$' <<<"$codes")" = "$ntiles" ] \
		|| die "the server did not answer 200 to every tile: $(sort <<<"$codes" | uniq -c | tr -s ' \n' ' ')"
	awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", b - a}'
}

say "warm-up: an export, and the server over its tiles"
run_export >/dev/null
# the archive's tiles, as the pmtiles package reads its directories
node --input-type=module -e "
	const { PMTiles, tileIdToZxy } = await import('$root/tileserver/node_modules/pmtiles/dist/esm/index.js');
	const { readFileSync } = await import('node:fs');
	const b = readFileSync('$work/area.pmtiles');
	const src = { getKey: () => 'a', getBytes: async (o, l) => ({ data: b.buffer.slice(b.byteOffset + o, b.byteOffset + o + l) }) };
	const p = new PMTiles(src);
	const h = await p.getHeader();
	const out = [];
	const walk = async (o, l) => { for (const e of await p.cache.getDirectory(src, o, l, h)) {
		if (e.runLength === 0) await walk(h.leafDirectoryOffset + e.offset, e.length);
		else for (let i = 0; i < e.runLength; i++) out.push(tileIdToZxy(e.tileId + i).join('/')); } };
	await walk(h.rootDirectoryOffset, h.rootDirectoryLength);
	console.log(out.map(t => '/tiles/all/' + t + '.mvt').join('\n'));" >"$work/paths.txt" || die "cannot read the archive"
ntiles=$(wc -l <"$work/paths.txt")
sed "s|.*|url = \"http://127.0.0.1:$port&\"\noutput = \"/dev/null\"|" "$work/paths.txt" >"$work/curl.conf"
run_server >/dev/null
made=$(sed -nE 's/.* ([0-9]+) tiles made in .*/\1/p' "$work/export.err")
summary=$(tail -1 "$work/export.err")

E=()
L=()
S=()
one_export() { local out; out=($(run_export)); E+=("${out[0]}"); L+=("${out[1]}"); }
for ((r = 1; r <= rounds; r++)); do
	if ((r % 2)); then one_export; S+=("$(run_server)"); else S+=("$(run_server)"); one_export; fi
	say "round $r: export ${E[-1]} s (tiles ${L[-1]} s), server ${S[-1]} s"
done
e=$(printf '%s\n' "${E[@]}" | median)
l=$(printf '%s\n' "${L[@]}" | median)
s=$(printf '%s\n' "${S[@]}" | median)
rate() { awk -v n="$1" -v t="$2" 'BEGIN {printf "%.0f", n / t}'; }
echo "area: ${area[*]}; $ntiles tiles in the archive, $made made by the export; $jobs jobs / pool $jobs; $rounds rounds"
echo "  ${summary#export: }"
echo "export, whole:     $(rate "$ntiles" "$e") tiles/s  (median $e s: connecting, each connection's first tile, planning, the tiles, the archive)"
echo "export, tiles:     $(rate "$made" "$l") tiles/s  (median $l s making them, the connections ready)"
echo "server, uncached:  $(rate "$ntiles" "$s") tiles/s  (median $s s for the same $ntiles tiles over HTTP, its connections warm)"
echo "ratio export/server: $(awk -v a="$s" -v b="$e" 'BEGIN {printf "%.2f", a / b}') whole, $(awk -v a="$s" -v b="$l" -v m="$made" -v n="$ntiles" 'BEGIN {printf "%.2f", (m / b) / (n / a)}') tiles"
