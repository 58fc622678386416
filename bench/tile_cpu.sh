#!/usr/bin/env bash
# The tile server's own CPU per uncached tile, and what it costs in throughput,
# for this build and for a reference build (git revision REF, default 3047b20:
# before issue 15's server work), in one run on one database:
#   1. callgrind: each server under valgrind --tool=callgrind, --cache-mb 0,
#      fetches the tile list once (warm-up: backends, plans), then the counters
#      are zeroed and the list is fetched PASSES times more over one keep-alive
#      connection (curl), identity and then gzip (Accept-Encoding: gzip); the
#      instructions the server executed, divided by the tiles fetched.  Exact
#      counts: the machine's noise does not change them.
#   2. throughput: wrk against each server (--cache-mb 0 --pool 8) and pgbench
#      running the same tailings.tile() calls (-M prepared) over the same tiles
#      with as many connections, ROUNDS rounds of DURATION s in a rotating
#      order; the medians and the ratios server / pgbench, as bench/tileserver.sh
#      measures its uncached ratio (goal >= 0.9).
# The tiles: non-empty tiles z12-z16 at ponds of the national data set
# (sql/generate_national.sql), in a fixed shuffled order, as bench/tileserver.sh.
#   bench/tile_cpu.sh [PONDS] [REF]        default 1000 ponds, REF 3047b20
# Environment: TILES (200), PASSES (2), DURATION (s, 10), WARMUP (s, 4),
# ROUNDS (3), CONNS (8), THREADS (wrk -t, pgbench -j: 2), CALLGRIND_DIR (keep the
# callgrind dumps there, for callgrind_annotate).
# Needs wrk, curl and valgrind.
for tool in wrk curl valgrind callgrind_control; do
	command -v "$tool" >/dev/null 2>&1 || { echo "bench/tile_cpu.sh: $tool is missing: apt-get install -y wrk curl valgrind" >&2; exit 2; }
done
ponds=${1:-1000}
ref=${2:-3047b20}
ntiles=${TILES:-200}
passes=${PASSES:-2}
duration=${DURATION:-10}
warmup=${WARMUP:-4}
rounds=${ROUNDS:-3}
conns=${CONNS:-8}
threads=${THREADS:-2}
pool=8
pgbench=$(pg_config --bindir)/pgbench

. "$(dirname "$0")/lib.sh"			# cd to the repository, cluster up, trap on EXIT
lua=$root/bench/tileserver_tiles.lua
work=$bench_work/tile_cpu
mkdir -p "$work"
server_pid=
cpu_cleanup() {
	if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
	bench_cleanup
}
trap cpu_cleanup EXIT
say() { echo ".. $*" >&2; }
die() { echo "bench/tile_cpu.sh: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------
# the two builds (private copies: the source may change during the run)
say "building this tree and $ref"
make -s -C tileserver build/tailings-tileserver >&2 || die "make -C tileserver failed"
cp tileserver/build/tailings-tileserver "$work/new"
mkdir -p "$work/ref-src"
git archive "$ref" tileserver include | tar -x -C "$work/ref-src"
make -s -C "$work/ref-src/tileserver" build/tailings-tileserver >/dev/null 2>&1 || die "building $ref failed"
cp "$work/ref-src/tileserver/build/tailings-tileserver" "$work/ref"
new_rev="$(git rev-parse --short HEAD)"
git diff --quiet HEAD -- tileserver 2>/dev/null || new_rev="$new_rev + uncommitted changes"

# ---------------------------------------------------------------------------
# data and the tile list (bench/lib.sh)
bench_national_tiles "$ponds" "$ntiles" "$work/paths.txt"
tile_bytes=$(psql -X -At -d bench -c "SELECT round(avg(bytes)) FROM bench_tiles")

# ---------------------------------------------------------------------------
port=
free_port() {
	local p
	for p in $(shuf -i 20000-32000 -n 50); do
		[ "$p" = "$PGPORT" ] && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; return 0; fi
	done
	die "no free port"
}
start() {  # BINARY WRAPPER... -- SERVER ARGS: start, wait until the whole pool is up
	local bin=$1 h
	shift
	free_port
	"$@" "$bin" --db "host=$PGHOST port=$PGPORT user=postgres dbname=bench" --listen "127.0.0.1:$port" \
		--cache-mb 0 --pool "$pool" --access-log off ${SERVER_ARGS:-} >>"$work/server.log" 2>&1 &
	server_pid=$!
	for _ in $(seq 600); do
		kill -0 "$server_pid" 2>/dev/null || { tail -20 "$work/server.log" >&2; die "the server did not start"; }
		h=$(curl -s --max-time 5 "http://127.0.0.1:$port/health" || true)
		case "$h" in *"\"idle\":$pool,"*) return 0 ;; esac
		sleep 0.2
	done
	die "the server was not ready in time: ${h:-no answer}"
}
stop() {
	kill -TERM "$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true
	server_pid=
}
fetch() {  # TIMES [CURL ARGS]: the tile list over one connection; every answer 200
	local n=$1 codes
	shift
	: >"$work/curl.conf"
	for ((i = 0; i < n; i++)); do
		sed "s|.*|url = \"http://127.0.0.1:$port&\"\noutput = \"/dev/null\"|" "$work/paths.txt" >>"$work/curl.conf"
	done
	codes=$(curl -s "$@" -w '%{http_code}\n' -K "$work/curl.conf") || die "curl failed"
	[ "$(grep -c '^200$' <<<"$codes")" = $((n * ntiles)) ] || die "not every tile answered 200: $(sort <<<"$codes" | uniq -c | tr -s ' \n' ' ')"
}
ir() {  # the instructions of a callgrind dump
	awk '/^(summary|totals):/ {print $2; exit}' "$1"
}
declare -A IR
callgrind() {  # NAME BINARY: instructions per tile, identity and gzip
	local name=$1 bin=$2 out=$work/cg.$1
	start "$bin" valgrind --tool=callgrind --callgrind-out-file="$out.%p" --
	fetch 1
	callgrind_control -z "$server_pid" >/dev/null
	fetch "$passes"
	callgrind_control -d identity "$server_pid" >/dev/null
	callgrind_control -z "$server_pid" >/dev/null
	fetch "$passes" -H 'Accept-Encoding: gzip'
	callgrind_control -d gzip "$server_pid" >/dev/null
	stop
	[ -z "${CALLGRIND_DIR:-}" ] || cp "$out".* "$CALLGRIND_DIR"/
	local f
	for f in "$out".*; do
		case "$f" in
			*.1) IR[$name/identity]=$(( $(ir "$f") / (passes * ntiles) )) ;;
			*.2) IR[$name/gzip]=$(( $(ir "$f") / (passes * ntiles) )) ;;
		esac
	done
}

cat <<EOF
tailings-tileserver: its own CPU per uncached tile, $new_rev against $ref
$(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg) at the start
data: $ponds ponds; tiles: $ntiles non-empty, z12-z16, all layers, mean $tile_bytes bytes

EOF
echo "callgrind, --cache-mb 0: instructions the server executes per tile ($passes passes over the $ntiles tiles after one of warm-up, one keep-alive connection)"
for b in ref new; do
	say "callgrind: $b"
	callgrind "$b" "$work/$b"
done
printf '  %-28s %12s %12s\n' "" identity gzip
printf '  %-28s %12s %12s\n' "before ($ref)" "${IR[ref/identity]}" "${IR[ref/gzip]}"
printf '  %-28s %12s %12s\n' "after ($new_rev)" "${IR[new/identity]}" "${IR[new/gzip]}"
printf '  %-28s %12s %12s\n' "after / before" \
	"$(awk -v a="${IR[new/identity]}" -v b="${IR[ref/identity]}" 'BEGIN {printf "%.3f", a / b}')" \
	"$(awk -v a="${IR[new/gzip]}" -v b="${IR[ref/gzip]}" 'BEGIN {printf "%.3f", a / b}')"
echo

# ---------------------------------------------------------------------------
# throughput
cat >"$work/pgbench_tile.sql" <<EOF
\\set k :k + 1
\\set i 1 + (:client_id * $ntiles / $conns + :k) % $ntiles
SELECT tailings.tile(z, x, y) FROM bench_tiles WHERE i = :i;
EOF
run_wrk() {  # URL SECONDS: sets W_rps
	local out line kv
	out=$(wrk -t"$threads" -c"$conns" -d"$2"s --timeout 10s -s "$lua" "$1" -- "$work/paths.txt" "$threads" 2>&1) \
		|| { echo "$out" >&2; die "wrk failed"; }
	line=$(grep '^RESULT ' <<<"$out") || { echo "$out" >&2; die "no RESULT line from wrk"; }
	for kv in ${line#RESULT }; do printf -v "W_${kv%%=*}" '%s' "${kv#*=}"; done
	[ $((W_err_connect + W_err_read + W_err_write + W_err_status + W_err_timeout)) = 0 ] || die "wrk: errors: $line"
	W_rps=$(awk -v n="$W_requests" -v us="$W_duration_us" 'BEGIN {printf "%.0f", n / (us / 1e6)}')
}
run_pgbench() {  # sets P_tps (the DURATION s after WARMUP s: new backends pay for their first tile() calls)
	local out dir=$work/pgbench
	rm -rf "$dir"
	mkdir -p "$dir"
	out=$(cd "$dir" && "$pgbench" -n -M prepared -c "$conns" -j "$threads" -T "$((warmup + duration + 2))" \
		-D k=0 -f "$work/pgbench_tile.sql" -l --log-prefix=tx bench 2>&1) || { echo "$out" >&2; die "pgbench failed"; }
	P_tps=$(cat "$dir"/tx.* | awk -v w="$warmup" -v d="$duration" '
		{ t[NR] = $5 + $6 / 1e6; if (NR == 1 || t[NR] < t0) t0 = t[NR]; if (t[NR] > t1) t1 = t[NR] }
		END { a = t0 + w; b = (t0 + w + d < t1) ? t0 + w + d : t1; n = 0
		      for (i = 1; i <= NR; i++) if (t[i] > a && t[i] <= b) n++
		      printf "%.0f\n", n / (b - a) }')
}
declare -A R
add() { R[$1]="${R[$1]:-}$2 "; }
med() { tr ' ' '\n' <<<"${R[$1]}" | grep . | median | awk '{printf "%.0f", $1}'; }
echo "throughput, --cache-mb 0 --pool $pool: wrk -t$threads -c$conns (identity) vs pgbench -M prepared -c$conns -j$threads, $rounds rounds of $duration s"
sides=(ref new pgbench)
for ((r = 1; r <= rounds; r++)); do
	line="  round $r:"
	for ((k = 0; k < 3; k++)); do
		side=${sides[$(( (k + r - 1) % 3 ))]}
		say "round $r: $side"
		if [ "$side" = pgbench ]; then
			run_pgbench
			add pgbench "$P_tps"
			line="$line  pgbench $P_tps"
		else
			start "$work/$side"
			run_wrk "http://127.0.0.1:$port" "$warmup"	# new backends: their first tile() calls
			run_wrk "http://127.0.0.1:$port" "$duration"
			stop
			add "$side" "$W_rps"
			line="$line  $side $W_rps"
		fi
	done
	echo "$line tiles/s"
done
ref_rps=$(med ref) new_rps=$(med new) pg_tps=$(med pgbench)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo "  median tiles/s: before $ref_rps, after $new_rps, pgbench $pg_tps"
echo "  server / pgbench: before $(ratio "$ref_rps" "$pg_tps"), after $(ratio "$new_rps" "$pg_tps") (goal >= 0.9); after / before $(ratio "$new_rps" "$ref_rps")"
echo "  load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
