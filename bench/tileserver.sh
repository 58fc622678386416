#!/usr/bin/env bash
# tailings-tileserver under load, against a reference measured in the same run
# with the same concurrency:
#   cached    the server with its tile cache warm vs nginx serving the very
#             bytes the server returned, as static files under the same URL
#             paths (wrk, identity encoding on both sides);   goal ratio >= 0.8
#   uncached  the server with --cache-mb 0, so that every request runs
#             tailings.tile() on the database, vs pgbench running the same SQL
#             call over the same tiles on as many connections; goal ratio >= 0.9
# The tiles: a fixed list of non-empty tiles z12-z16 (all layers) at ponds of
# the national data set (sql/generate_national.sql), in a fixed shuffled order;
# wrk (bench/tileserver_tiles.lua: each thread cycles through its own share of
# the list) and pgbench (each client cycles through all of it from its own
# offset) go through it again and again.  Each side is warmed up, then
# measured ROUNDS times, the two sides alternating (A B B A ...); the ratios
# are of the medians.
#   bench/tileserver.sh [PONDS]        default 2000 ponds (the national list: 7820)
# Environment: DURATION (s per measurement, 15), WARMUP (s, 5), ROUNDS (2),
# TILES (300), CACHED_CONNS (32), UNCACHED_CONNS (8), THREADS (wrk -t, pgbench -j: 2),
# SERVER_ENV (NAME=VALUE ... for the server's environment only, to try run-time
# settings: MALLOC_TRIM_THRESHOLD_=..., EVENT_EPOLL_USE_CHANGELIST=1).
# Needs wrk, nginx and curl (apt-get install -y wrk nginx curl).
for tool in wrk nginx curl; do
	if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
		echo "bench/tileserver.sh: $tool is missing: apt-get install -y wrk nginx curl" >&2
		exit 2
	fi
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
pgbench=$(pg_config --bindir)/pgbench
if [ ! -x "$pgbench" ]; then
	echo "bench/tileserver.sh: pgbench is missing ($pgbench)" >&2
	exit 2
fi
ponds=${1:-2000}
duration=${DURATION:-15}
warmup=${WARMUP:-5}
rounds=${ROUNDS:-2}
ntiles=${TILES:-300}
cached_conns=${CACHED_CONNS:-32}
uncached_conns=${UNCACHED_CONNS:-8}
threads=${THREADS:-2}
pool=8
for v in "$ponds" "$duration" "$warmup" "$rounds" "$ntiles" "$cached_conns" "$uncached_conns" "$threads"; do
	case "$v" in '' | *[!0-9]* | 0)
		echo "usage: bench/tileserver.sh [PONDS]  (PONDS, DURATION, WARMUP, ROUNDS, TILES, ...: positive integers)" >&2
		exit 2 ;;
	esac
done

for v in ${SERVER_ENV:-}; do
	[[ "$v" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || { echo "bench/tileserver.sh: SERVER_ENV holds NAME=VALUE words, not \"$v\"" >&2; exit 2; }
done

. "$(dirname "$0")/lib.sh"			# cd to the repository, cluster up, trap on EXIT
lua=$root/bench/tileserver_tiles.lua
work=$bench_work/tileserver		# removed with the cluster by bench_cleanup
mkdir -p "$work/www" "$work/check" "$work/nginx/tmp"
chmod -R 755 "$work"				# nginx's workers run as nobody

server_pid=
nginx_pid=
warnings=()
tileserver_cleanup() {
	if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
	if [ -n "$nginx_pid" ]; then kill -TERM "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; fi
	bench_cleanup
}
trap tileserver_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { echo ".. $*" >&2; }
die() { echo "bench/tileserver.sh: $*" >&2; exit 1; }

# a free port on 127.0.0.1 in REPLY, never one handed out before in this run,
# below the ephemeral range (32768-) that wrk's and curl's own ports come from
used_ports=" $PGPORT "
free_port() {
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

# ---------------------------------------------------------------------------
# build (a private copy of the binary: the source may change during the run)
say "building tailings-tileserver"
make -s -C tileserver >&2 || die "make -C tileserver failed"
cp tileserver/build/tailings-tileserver "$work/tailings-tileserver"
server_rev="$(git rev-parse --short HEAD 2>/dev/null || echo '?')"
git diff --quiet HEAD -- tileserver 2>/dev/null || server_rev="$server_rev + uncommitted changes in tileserver/"

# ---------------------------------------------------------------------------
# data and the tile list
bench_national_tiles "$ponds" "$ntiles" "$work/paths.txt"
psql -X -At -F ' ' -d bench -c "SELECT format('tiles/all/%s/%s/%s.mvt', z, x, y), md5 FROM bench_tiles" \
	| LC_ALL=C sort >"$work/md5.expected"
tile_mix=$(psql -X -At -d bench -c "SELECT string_agg(format('z%s: %s', z, n), ', ' ORDER BY z) FROM (SELECT z, count(*) AS n FROM bench_tiles GROUP BY z) s")
tile_bytes=$(psql -X -At -d bench -c "SELECT round(avg(bytes)) FROM bench_tiles")
elements=$(psql -X -At -d bench -c "SELECT count(*) FROM tailings.element")

# ---------------------------------------------------------------------------
# the server, nginx, wrk, pgbench, metrics
start_server() {  # CACHE_MB: start the server, wait until its whole pool is connected
	local attempt h
	for attempt in 1 2 3; do
		free_port
		server_port=$REPLY
		echo "--- start: --cache-mb $1 --listen 127.0.0.1:$server_port" >>"$work/server.log"
		env ${SERVER_ENV:-} "$work/tailings-tileserver" --db "host=$PGHOST port=$PGPORT user=postgres dbname=bench" \
			--listen "127.0.0.1:$server_port" --cache-mb "$1" --pool "$pool" --access-log off \
			>>"$work/server.log" 2>&1 &
		server_pid=$!
		for _ in $(seq 300); do
			if ! kill -0 "$server_pid" 2>/dev/null; then
				wait "$server_pid" || true
				server_pid=
				case "$(tail -1 "$work/server.log")" in *"cannot listen"*) continue 2 ;; esac	# the port was taken meanwhile
				tail -20 "$work/server.log" >&2
				die "tailings-tileserver did not start"
			fi
			h=$(curl -s --max-time 2 "http://127.0.0.1:$server_port/health" || true)
			case "$h" in *"\"idle\":$pool,"*) server_url=http://127.0.0.1:$server_port; return 0 ;; esac
			sleep 0.1
		done
		tail -20 "$work/server.log" >&2
		die "tailings-tileserver not ready after 30 s: ${h:-no answer from /health}"
	done
	die "tailings-tileserver: no free port to listen on"
}

stop_server() {  # CACHE_MB (for the messages)
	local rc=0
	if ! kill -0 "$server_pid" 2>/dev/null; then
		warnings+=("tailings-tileserver (--cache-mb $1) died during the run")
		tail -20 "$work/server.log" >&2
	fi
	kill -TERM "$server_pid" 2>/dev/null || true
	wait "$server_pid" || rc=$?
	server_pid=
	if [ "$rc" != 0 ]; then
		warnings+=("tailings-tileserver (--cache-mb $1) exited with status $rc after SIGTERM")
		tail -20 "$work/server.log" >&2
	fi
}

metrics() { curl -sf --max-time 5 "$server_url/metrics" >"$work/metrics.$1" || die "GET /metrics failed"; }
metric() {  # SNAPSHOT NAME: a value from a saved /metrics, 0 when absent
	awk -v n="$2" '$1 == n {v = $2} END {print v + 0}' "$work/metrics.$1"
}
metric_delta() { echo $(( $(metric "$2" "$3") - $(metric "$1" "$3") )); }
tile_status_other() {  # SNAPSHOT: tile answers other than 200
	awk '$1 ~ /^tailings_http_requests_total\{endpoint="tile"/ && $1 !~ /status="200"/ {s += $2} END {print s + 0}' "$work/metrics.$1"
}

# fetch every tile of the list from BASE_URL into DIR (one curl, keep-alive);
# every answer must be 200
fetch_all() {  # BASE_URL DIR
	local codes
	sed "s|.*|url = \"$1&\"\noutput = \"$2&\"|" "$work/paths.txt" >"$work/curl.conf"
	codes=$(curl -s --create-dirs -w '%{http_code}\n' -K "$work/curl.conf") || die "curl $1 failed"
	[ "$(grep -c '^200$' <<<"$codes")" = "$ntiles" ] \
		|| die "$1: $(grep -vc '^200$' <<<"$codes") of $ntiles tiles not answered 200: $(sort <<<"$codes" | uniq -c | tr -s ' \n' ' ')"
}

# wrk over the tile list; sets W_requests, W_rps, W_p50_us, W_p99_us, W_bytes, W_err_*
run_wrk() {  # URL CONNECTIONS SECONDS
	local out line kv
	out=$(wrk -t"$threads" -c"$2" -d"$3"s --timeout 10s --latency -s "$lua" "$1" -- "$work/paths.txt" "$threads" 2>&1) \
		|| { echo "$out" >&2; die "wrk failed"; }
	printf '=== wrk -t%s -c%s -d%ss %s\n%s\n' "$threads" "$2" "$3" "$1" "$out" >>"$work/wrk.log"
	line=$(grep '^RESULT ' <<<"$out") || { echo "$out" >&2; die "no RESULT line from wrk"; }
	for kv in ${line#RESULT }; do printf -v "W_${kv%%=*}" '%s' "${kv#*=}"; done
	[ "$W_requests" -gt 0 ] || die "wrk made no request against $1"
	W_rps=$(awk -v n="$W_requests" -v us="$W_duration_us" 'BEGIN {printf "%.0f", n / (us / 1e6)}')
	W_errors=$((W_err_connect + W_err_read + W_err_write + W_err_status + W_err_timeout))
}

# pgbench over the same list, each client cycling through it from its own offset.
# -M prepared: the reference parses and plans its statement once per client,
# where the server sends an unnamed statement with each tile; the reference
# also looks the tile up in bench_tiles (primary key) and receives the bytea
# as hex text: both small next to tile() itself.
# One run of WARMUP + DURATION s (+3 s of slack): new backends pay for their
# first tile() call (loading PostGIS, planning: ~0.2 s each), so the count is
# taken from the per-transaction log, over the DURATION s after the first
# WARMUP s.  Sets P_tps, P_tx, P_span, P_p50_us, P_p99_us, P_failed.
cat >"$work/pgbench_tile.sql" <<EOF
\\set k :k + 1
\\set i 1 + (:client_id * $ntiles / $uncached_conns + :k) % $ntiles
SELECT tailings.tile(z, x, y) FROM bench_tiles WHERE i = :i;
EOF
pct() { sort -n | awk -v p="$1" '{a[NR] = $1} END {i = int(NR * p + 0.999999); if (i < 1) i = 1; print a[i]}'; }
run_pgbench() {  # RUN (a name for its log files)
	local out dir=$work/pgbench.$1
	mkdir -p "$dir"
	out=$(cd "$dir" && "$pgbench" -n -M prepared -c "$uncached_conns" -j "$threads" -T "$((warmup + duration + 3))" \
		-D k=0 -f "$work/pgbench_tile.sql" -l --log-prefix=tx bench 2>&1) || { echo "$out" >&2; die "pgbench failed"; }
	echo "$out" >>"$work/pgbench.log"
	P_failed=$(sed -nE 's/^number of failed transactions: ([0-9]+).*/\1/p' <<<"$out")
	P_failed=${P_failed:-0}
	# log lines: client transaction latency_us script epoch_s us (when the transaction ended)
	cat "$dir"/tx.* | awk -v w="$warmup" -v d="$duration" -v lat="$dir/window.lat" '
		{ t[NR] = $5 + $6 / 1e6; l[NR] = $3; if (NR == 1 || t[NR] < t0) t0 = t[NR]; if (t[NR] > t1) t1 = t[NR] }
		END {
			a = t0 + w; b = (t0 + w + d < t1) ? t0 + w + d : t1
			for (i = 1; i <= NR; i++) if (t[i] > a && t[i] <= b) print l[i] > lat
			printf "%.3f\n", b - a
		}' >"$dir/window.span"
	[ -s "$dir/window.lat" ] || { echo "$out" >&2; die "pgbench: no transaction in the measurement window"; }
	P_tx=$(wc -l <"$dir/window.lat")
	P_span=$(cat "$dir/window.span")
	P_tps=$(awk -v n="$P_tx" -v s="$P_span" 'BEGIN {printf "%.0f", n / s}')
	P_p50_us=$(pct 0.50 <"$dir/window.lat")
	P_p99_us=$(pct 0.99 <"$dir/window.lat")
	rm -f "$dir"/tx.*
}

ms() { awk -v us="$1" 'BEGIN {printf "%.2f", us / 1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
verdict() { awk -v r="$1" -v g="$2" 'BEGIN {print (r >= g) ? "met" : "NOT met"}'; }
declare -A R	# measurements: "phase/side/what" -> values, space-separated
add() { R[$1]="${R[$1]:-}$2 "; }
med() { tr ' ' '\n' <<<"${R[$1]}" | grep . | median | awk '{printf "%.0f", $1}'; }
report_wrk() {  # ROUND LABEL UNIT
	printf '  round %s  %-30s %6s %-7s p50 %6s ms  p99 %6s ms  (%s requests, %s bytes/response, %s errors)\n' \
		"$1" "$2" "$W_rps" "$3" "$(ms "$W_p50_us")" "$(ms "$W_p99_us")" "$W_requests" \
		"$((W_bytes / W_requests))" "$W_errors"
	[ "$W_errors" = 0 ] || warnings+=("$2, round $1: $W_errors wrk errors (connect $W_err_connect, read $W_err_read, write $W_err_write, status>=400 $W_err_status, timeout $W_err_timeout)")
}
order() {  # ROUND A B: A B in odd rounds, B A in even ones
	if [ $(($1 % 2)) = 1 ]; then echo "$2 $3"; else echo "$3 $2"; fi
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
cat <<EOF
tailings-tileserver benchmark ($server_rev)${SERVER_ENV:+, server environment: $SERVER_ENV}
$(nproc) CPUs shared by everything: wrk, the server, nginx, pgbench and PostgreSQL; load average $load_start at the start
data: $ponds ponds, $elements elements; tiles: $ntiles non-empty, z12-z16, all layers ($tile_mix), mean $tile_bytes bytes
wrk -t$threads, identity encoding, the $ntiles URLs in a cycle; each side warmed up ${warmup} s, then $rounds rounds of ${duration} s alternating

EOF

# ---------------------------------------------------------------------------
# 1. cached tiles vs nginx serving the same bytes
echo "cached: --cache-mb 256 vs nginx (worker_processes auto, sendfile, open_file_cache), $cached_conns connections"
start_server 256
say "warming the cache and saving the server's bytes"
fetch_all "$server_url" "$work/www"
(cd "$work/www" && find tiles -name '*.mvt' -exec md5sum {} + | awk '{print $2, $1}' | LC_ALL=C sort) >"$work/md5.server"
diff -q "$work/md5.expected" "$work/md5.server" >/dev/null \
	|| warnings+=("the server's tile bytes differ from tailings.tile() for $(diff "$work/md5.expected" "$work/md5.server" | grep -c '^>') tiles")
metrics warm
[ "$(metric warm tailings_cache_entries)" = "$ntiles" ] \
	|| warnings+=("after the warm-up the cache holds $(metric warm tailings_cache_entries) entries, not $ntiles")
chmod -R a+rX "$work/www"

start_nginx() {  # on a free port; sets nginx_pid, nginx_url
	local attempt
	for attempt in 1 2 3; do
		free_port
		nginx_port=$REPLY
		write_nginx_conf
		: >"$work/nginx/error.log"
		"$nginx_bin" -t -q -e "$work/nginx/error.log" -p "$work/nginx/" -c "$work/nginx.conf" 2>&1 \
			|| die "nginx rejects $work/nginx.conf"
		"$nginx_bin" -e "$work/nginx/error.log" -p "$work/nginx/" -c "$work/nginx.conf" 2>>"$work/nginx/error.log" &
		nginx_pid=$!
		nginx_url=http://127.0.0.1:$nginx_port
		for _ in $(seq 100); do
			if ! kill -0 "$nginx_pid" 2>/dev/null; then
				wait "$nginx_pid" || true
				nginx_pid=
				grep -q "Address already in use" "$work/nginx/error.log" && continue 2
				cat "$work/nginx/error.log" >&2
				die "nginx did not start"
			fi
			curl -sf --max-time 2 -o /dev/null "$nginx_url$(head -1 "$work/paths.txt")" && return 0
			sleep 0.1
		done
		die "nginx not ready after 10 s"
	done
	die "nginx: no free port to listen on"
}
write_nginx_conf() {
cat >"$work/nginx.conf" <<EOF
# generated by bench/tileserver.sh
daemon off;
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	types { }
	default_type application/vnd.mapbox-vector-tile;
	sendfile on;
	tcp_nopush on;
	tcp_nodelay on;
	keepalive_timeout 75s;
	keepalive_requests 100000000;
	open_file_cache max=10000 inactive=600s;
	open_file_cache_valid 600s;
	client_body_temp_path $work/nginx/tmp/body;
	proxy_temp_path $work/nginx/tmp/proxy;
	fastcgi_temp_path $work/nginx/tmp/fastcgi;
	uwsgi_temp_path $work/nginx/tmp/uwsgi;
	scgi_temp_path $work/nginx/tmp/scgi;
	server {
		listen 127.0.0.1:$nginx_port;
		root $work/www;
		location / { }
	}
}
EOF
}
start_nginx
fetch_all "$nginx_url" "$work/check"
diff -rq "$work/www" "$work/check" >/dev/null || die "nginx does not serve the bytes saved from the server"

say "wrk: warm-up"
run_wrk "$server_url" "$cached_conns" "$warmup"
run_wrk "$nginx_url" "$cached_conns" "$warmup"
metrics before
for ((r = 1; r <= rounds; r++)); do
	for side in $(order "$r" server nginx); do
		say "wrk: $side, round $r"
		if [ "$side" = server ]; then
			run_wrk "$server_url" "$cached_conns" "$duration"
			report_wrk "$r" "tailings-tileserver (cache)" req/s
		else
			run_wrk "$nginx_url" "$cached_conns" "$duration"
			report_wrk "$r" "nginx (static files)" req/s
		fi
		add "c/$side/rps" "$W_rps"
		add "c/$side/p50" "$W_p50_us"
		add "c/$side/p99" "$W_p99_us"
	done
done
metrics after
c_misses=$(metric_delta before after tailings_cache_misses_total)
c_queries=$(metric_delta before after tailings_db_queries_total)
[ "$c_misses" = 0 ] || warnings+=("cached runs: $c_misses cache misses during the measurements")
[ "$c_queries" = 0 ] || warnings+=("cached runs: $c_queries database queries during the measurements")
kill -TERM "$nginx_pid" 2>/dev/null || true
wait "$nginx_pid" || true
nginx_pid=
stop_server 256
c_rps=$(med c/server/rps) n_rps=$(med c/nginx/rps)
c_ratio=$(ratio "$c_rps" "$n_rps")
echo "  median: server $c_rps req/s, nginx $n_rps req/s; ratio server / nginx $c_ratio (goal >= 0.8: $(verdict "$c_ratio" 0.8))"
echo

# ---------------------------------------------------------------------------
# 2. uncached tiles vs pgbench running the same SQL calls
echo "uncached: --cache-mb 0 --pool $pool vs pgbench -M prepared -j $threads, $uncached_conns connections"
start_server 0
say "wrk: warm-up"
run_wrk "$server_url" "$uncached_conns" "$warmup"
u_queries=0 u_coalesced=0 u_other=0 u_requests=0
for ((r = 1; r <= rounds; r++)); do
	for side in $(order "$r" server pgbench); do
		say "$side, round $r"
		if [ "$side" = server ]; then
			metrics before
			run_wrk "$server_url" "$uncached_conns" "$duration"
			metrics after
			report_wrk "$r" "tailings-tileserver (no cache)" tiles/s
			u_requests=$((u_requests + W_requests))
			u_queries=$((u_queries + $(metric_delta before after tailings_db_queries_total)))
			u_coalesced=$((u_coalesced + $(metric_delta before after tailings_tile_coalesced_total)))
			u_other=$((u_other + $(tile_status_other after) - $(tile_status_other before)))
			add u/server/rps "$W_rps"
			add u/server/p50 "$W_p50_us"
			add u/server/p99 "$W_p99_us"
		else
			run_pgbench "$r"
			printf '  round %s  %-30s %6s %-7s p50 %6s ms  p99 %6s ms  (%s transactions in %s s after %s s of warm-up, %s failed)\n' \
				"$r" "pgbench (same SQL)" "$P_tps" tiles/s "$(ms "$P_p50_us")" "$(ms "$P_p99_us")" "$P_tx" "$P_span" "$warmup" "$P_failed"
			[ "$P_failed" = 0 ] || warnings+=("pgbench, round $r: $P_failed failed transactions")
			add u/pgbench/rps "$P_tps"
			add u/pgbench/p50 "$P_p50_us"
			add u/pgbench/p99 "$P_p99_us"
		fi
	done
done
stop_server 0
echo "  server counters over the measurements: $u_queries tile queries, $u_coalesced coalesced, $u_other answers other than 200"
# coalesced requests share another's query: none expected, wrk's threads share no tile
[ $((u_coalesced * 100)) -le "$u_requests" ] \
	|| warnings+=("uncached runs: $u_coalesced requests were coalesced (they did not run a query of their own)")
[ "$u_other" = 0 ] || warnings+=("uncached runs: $u_other tile answers other than 200")
u_rps=$(med u/server/rps) p_tps=$(med u/pgbench/rps)
u_ratio=$(ratio "$u_rps" "$p_tps")
echo "  median: server $u_rps tiles/s, pgbench $p_tps tiles/s; ratio server / pgbench $u_ratio (goal >= 0.9: $(verdict "$u_ratio" 0.9))"
echo

# ---------------------------------------------------------------------------
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
echo "summary: $ponds ponds, $ntiles tiles, medians of $rounds rounds of ${duration} s; $(nproc) CPUs shared by load generator, server and database"
echo "  cached:   server $c_rps req/s, nginx $n_rps req/s, ratio $c_ratio (goal >= 0.8: $(verdict "$c_ratio" 0.8));" \
	"server p50 $(ms "$(med c/server/p50)") ms p99 $(ms "$(med c/server/p99)") ms;" \
	"nginx p50 $(ms "$(med c/nginx/p50)") ms p99 $(ms "$(med c/nginx/p99)") ms"
echo "  uncached: server $u_rps tiles/s, pgbench $p_tps tiles/s, ratio $u_ratio (goal >= 0.9: $(verdict "$u_ratio" 0.9));" \
	"server p50 $(ms "$(med u/server/p50)") ms p99 $(ms "$(med u/server/p99)") ms;" \
	"pgbench p50 $(ms "$(med u/pgbench/p50)") ms p99 $(ms "$(med u/pgbench/p99)") ms"
# anything the server said besides starting and stopping
unusual=$(grep -cvE '^(--- start: |tailings-tileserver: (listening on|SIGTERM|stopped))' "$work/server.log" || true)
[ "$unusual" = 0 ] || warnings+=("the server wrote $unusual unexpected lines on stderr, e.g.: $(grep -vE '^(--- start: |tailings-tileserver: (listening on|SIGTERM|stopped))' "$work/server.log" | head -3 | tr '\n' ' ')")
echo "  load average at the start $load_start, at the end $load_end (well above 0: other processes ran, noisier figures)"
if [ ${#warnings[@]} -gt 0 ]; then
	echo "warnings:"
	printf '  %s\n' "${warnings[@]}"
fi
