# Shared helpers of the HTTP suites (tests/sh/http_*.sh); source it.
#
#   http_free_port                 a free TCP port in 20000-32000 (below the ephemeral range) on stdout
#   http_start NAME [ARGS...]      start tailings-tileserver on a free port with ARGS
#                                  (under "${HTTP_WRAPPER[@]}" when set); stdout
#                                  (the access log) in $HTTP_WORK/NAME.out, stderr
#                                  in NAME.err; sets HTTP_PID, HTTP_PORT, HTTP_URL
#   http_wait_health [SECONDS]     wait until /health answers 200 (default 15 s)
#   http_stop [SECONDS]            SIGTERM, wait (default 15 s); sets HTTP_RC
#   http_cleanup                   kill every server still running (for a trap)
#   fetch [CURL ARGS...] PATH      GET $HTTP_URL$PATH: $ST status, $HDR headers,
#                                  $BODY body; checks CORS on every response
#   hdr NAME                       a header of the last fetch
#   expect_error DESC STATUS [CURL ARGS...] PATH   fetch; ok when a JSON error with that status
#   wait_for FILE ERE [SECONDS]    until a line of FILE matches (default 10 s)
#   ok / not_ok / check / expect_eq / http_finish   TAP-like results
#   own_sample NAME                $work (TAILINGS_TEST_WORK/NAME, made) and $db (NAME), a fresh
#                                  copy of tailings_sample; dies when it cannot be made
#
# Needs TAILINGS_TEST_WORK; TAILINGS_TILESERVER defaults to the build.
http_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TAILINGS_TILESERVER=${TAILINGS_TILESERVER:-$http_root/tileserver/build/tailings-tileserver}
TAILINGS_MVTCHECK=${TAILINGS_MVTCHECK:-$http_root/tileserver/build/tailings-mvtcheck}
HTTP_CLIENT=$http_root/tests/lib/http_client.py
# the interpreter itself, not a shim in front of it (a pyenv shim costs 0.3 s a call)
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=python3
[ -x "$PY" ] || PY=python3
HTTP_PASSES=0
HTTP_FAILS=0
HTTP_PIDS=()
HTTP_PID=
HTTP_CORS_SEEN=0
HTTP_CORS_MISSING=0

die() { echo "FATAL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; HTTP_PASSES=$((HTTP_PASSES + 1)); }
not_ok() { echo "not ok - $*"; HTTP_FAILS=$((HTTP_FAILS + 1)); }
check() {   # check DESC COMMAND...: ok when the command succeeds
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
expect_eq() {   # expect_eq DESC GOT WANT
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got '$2', want '$3')"; fi
}
expect_match() {   # expect_match DESC GOT ERE
	if [[ $2 =~ $3 ]]; then ok "$1"; else not_ok "$1 (got '$2', want /$3/)"; fi
}
http_finish() {
	if [ "$HTTP_CORS_SEEN" -gt 0 ]; then
		expect_eq "Access-Control-Allow-Origin on all $HTTP_CORS_SEEN responses fetched" "$HTTP_CORS_MISSING" 0
	fi
	echo "$HTTP_PASSES passed, $HTTP_FAILS failed"
	[ "$HTTP_FAILS" = 0 ]
}

http_free_port() {
	local p
	for p in $(shuf -i 20000-32000 -n 50); do
		[ "$p" = "${PGPORT:-}" ] && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && [ ! -e "/tmp/.s.PGSQL.$p" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

http_port_open() {   # http_port_open PORT: something accepts connections there
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

HTTP_WORK=${HTTP_WORK:-${TAILINGS_TEST_WORK:?}/http}
mkdir -p "$HTTP_WORK"
HDR=$HTTP_WORK/last.hdr
BODY=$HTTP_WORK/last.body

http_conninfo() {   # http_conninfo DB
	echo "host=$PGHOST port=$PGPORT user=${PGUSER:-postgres} dbname=$1"
}

http_start() {
	local name=$1
	shift
	HTTP_PORT=$(http_free_port) || die "no free port"
	HTTP_URL=http://127.0.0.1:$HTTP_PORT
	HTTP_OUT=$HTTP_WORK/$name.out
	HTTP_ERR=$HTTP_WORK/$name.err
	${HTTP_WRAPPER[@]+"${HTTP_WRAPPER[@]}"} "$TAILINGS_TILESERVER" --listen "127.0.0.1:$HTTP_PORT" "$@" \
		>"$HTTP_OUT" 2>"$HTTP_ERR" &
	HTTP_PID=$!
	HTTP_PIDS+=("$HTTP_PID")
	echo "# started $name (pid $HTTP_PID) on $HTTP_URL"
}

http_wait_health() {   # http_wait_health [SECONDS]: /health 200, else fail with the server's stderr
	local limit=${1:-15} i code
	for ((i = 0; i < limit * 10; i++)); do
		if ! kill -0 "$HTTP_PID" 2>/dev/null; then
			echo "server exited early:" >&2
			cat "$HTTP_ERR" >&2
			return 1
		fi
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$HTTP_URL/health" 2>/dev/null) || true
		[ "$code" = 200 ] && return 0
		sleep 0.1
	done
	echo "no healthy server after $limit s" >&2
	tail -20 "$HTTP_ERR" >&2
	return 1
}

http_stop() {   # http_stop [SECONDS]: SIGTERM and wait; HTTP_RC is the exit status (137 after a forced kill)
	local limit=${1:-15} i
	HTTP_RC=
	[ -n "$HTTP_PID" ] || return 0
	kill -TERM "$HTTP_PID" 2>/dev/null || true
	for ((i = 0; i < limit * 10; i++)); do
		kill -0 "$HTTP_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$HTTP_PID" 2>/dev/null; then
		echo "# server $HTTP_PID did not stop within $limit s: killing it" >&2
		kill -KILL "$HTTP_PID" 2>/dev/null || true
	fi
	HTTP_RC=0
	wait "$HTTP_PID" 2>/dev/null || HTTP_RC=$?
	HTTP_PID=
}

http_cleanup() {
	local p
	for p in ${HTTP_PIDS[@]+"${HTTP_PIDS[@]}"}; do
		if kill -0 "$p" 2>/dev/null; then
			kill -TERM "$p" 2>/dev/null || true
			for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
			kill -KILL "$p" 2>/dev/null || true
		fi
	done
	wait 2>/dev/null || true
}

q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

own_sample() {   # own_sample NAME: $work and $db of a suite with a database of its own
	work=${TAILINGS_TEST_WORK:?}/$1
	mkdir -p "$work"
	db=$1
	dropdb --if-exists "$db" && createdb -T tailings_sample "$db" || die "cannot copy the sample"
}

db_poll() {   # db_poll DESC SQL: ok once the query on $db answers t (at most 30 s), else not ok
	local i
	for i in $(seq 300); do
		[ "$(q -d "$db" -c "$2")" = t ] && { ok "$1"; return 0; }
		sleep 0.1
	done
	not_ok "$1: timed out"
	return 1
}

# A gate that orders a race with locks rather than sleeps: advisory lock KEY
# held by a session of the suite's own, fed through a FIFO on descriptor 3,
# until gate_open.  Sets $gate (that session's pid) and $gate_lock (the lock's
# condition on pg_locks, for db_poll: NOT granted is a transaction waiting at
# the gate, which takes pg_advisory_lock_shared(KEY)).
gate_close() {   # gate_close KEY NAME: the gate's output is $work/NAME.gate.out
	rm -f "$work/gate"
	mkfifo "$work/gate"
	psql -X -q -At -d "$db" <"$work/gate" >"$work/$2.gate.out" 2>&1 &
	gate=$!
	exec 3>"$work/gate"
	echo "SELECT pg_advisory_lock($1);" >&3
	gate_lock="locktype = 'advisory' AND classid = 0 AND objid = $1"
	db_poll "$2: the gate is closed" "SELECT EXISTS (SELECT FROM pg_locks WHERE $gate_lock AND granted)"
}
gate_open() {   # gate_open KEY: the transactions at the gate go on
	echo "SELECT pg_advisory_unlock($1);" >&3
	exec 3>&-
}

move_jc2() {   # move_jc2 DB: a committed edit: pond 8's well JC2 moves 0.0005 degree east
	q -d "$1" -c "UPDATE tailings.element SET geom = ST_Translate(geom, 0.0005, 0) WHERE pond_id = 8 AND name = '地下水监视井 JC2'"
}

wait_for() {   # wait_for FILE ERE [SECONDS]: until a line of the file matches (a stream read in the background)
	local i
	for ((i = 0; i < ${3:-10} * 10; i++)); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

wait_new_etag() {   # wait_new_etag PATH OLD_ETAG TRIES SECONDS: fetch PATH until a 200 with another ETag
	local i
	for i in $(seq "$3"); do
		sleep "$4"
		fetch "$1"
		[ "$ST" = 200 ] && [ "$(hdr ETag)" != "$2" ] && return 0
	done
	return 1
}

fetch() {   # fetch [CURL ARGS...] PATH
	local path=${*: -1}
	local args=("${@:1:$#-1}")
	: >"$HDR"
	: >"$BODY"
	ST=$(curl -sS --path-as-is --max-time 20 -o "$BODY" -D "$HDR" -w '%{http_code}' \
		${args[@]+"${args[@]}"} "$HTTP_URL$path" 2>"$HTTP_WORK/curl.err") || ST=000
	# HTTP_NO_CORS=1: an answer libevent makes itself (a request it could not parse) is not counted
	if [ "$ST" != 000 ] && [ -z "${HTTP_NO_CORS:-}" ]; then
		HTTP_CORS_SEEN=$((HTTP_CORS_SEEN + 1))
		if ! grep -qi '^Access-Control-Allow-Origin:' "$HDR"; then
			HTTP_CORS_MISSING=$((HTTP_CORS_MISSING + 1))
			echo "# no Access-Control-Allow-Origin on $path" >&2
		fi
	fi
}

expect_error() {   # expect_error DESC STATUS [CURL ARGS...] PATH: a JSON error with that status
	local desc=$1 want=$2
	shift 2
	fetch "$@"
	if [ "$ST" != "$want" ]; then
		not_ok "$desc: status $ST, want $want: $(snip "$BODY")"
	elif [ "$(hdr Content-Type)" != application/json ]; then
		not_ok "$desc: $ST but Content-Type '$(hdr Content-Type)'"
	elif [ "$(json_q "$BODY" 'd["status"] if isinstance(d.get("error"), str) and d["error"] else "bad"' 2>/dev/null)" != "$want" ]; then
		not_ok "$desc: $ST but body $(snip "$BODY")"
	else
		ok "$desc -> $ST $(snip "$BODY" 120)"
	fi
}

hdr() {   # hdr NAME: the last value of a header of the last fetch (or of FILE)
	grep -i "^$1:" "${2:-$HDR}" | tail -1 | cut -d: -f2- | sed -e 's/^ *//' -e 's/\r$//'
}

snip() {   # snip FILE [N]: the first N (200) bytes, printable ASCII only (logs stay text)
	head -c "${2:-200}" "$1" | tr -d '\n' | LC_ALL=C tr -c '[:print:]' '?'
}

json_ok() {   # json_ok FILE: valid JSON
	"$PY" -m json.tool "$1" >/dev/null 2>&1
}

json_q() {   # json_q FILE EXPR: a Python expression over d, the parsed document
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
r = eval(sys.argv[2])
print(json.dumps(r, ensure_ascii=False) if not isinstance(r, str) else r)' "$1" "$2"
}

mvt_ok() {   # mvt_ok FILE [ENCODING]: a valid vector tile (gunzipped first when ENCODING is gzip)
	if [ "${2:-}" = gzip ]; then
		gzip -dc <"$1" >"$1.raw" || return 1
		"$TAILINGS_MVTCHECK" --quiet "$1.raw"
	else
		"$TAILINGS_MVTCHECK" --quiet "$1"
	fi
}

# fetch_tile DESC WANT_STATUS [CURL ARGS...] PATH: fetch a tile, expect its status, and
# validate every 200 as MVT with the content type of a vector tile
HTTP_TILES_VALIDATED=0
fetch_tile() {
	local desc=$1 want=$2
	shift 2
	fetch "$@"
	if [ "$ST" != "$want" ]; then
		not_ok "$desc: status $ST, want $want"
		return 1
	fi
	if [ "$ST" = 200 ]; then
		if [ "$(hdr Content-Type)" != application/vnd.mapbox-vector-tile ]; then
			not_ok "$desc: Content-Type '$(hdr Content-Type)'"
			return 1
		fi
		if ! mvt_ok "$BODY" "$(hdr Content-Encoding)"; then
			not_ok "$desc: not a valid vector tile"
			return 1
		fi
		HTTP_TILES_VALIDATED=$((HTTP_TILES_VALIDATED + 1))
	fi
	ok "$desc ($ST)"
}

metric() {   # metric NAME_WITH_LABELS: its value from /metrics (0 when absent)
	local v
	v=$(curl -s --max-time 5 "$HTTP_URL/metrics" | awk -v n="$1" '$1 == n { print $2 }')
	echo "${v:-0}"
}

raw_http() {   # raw_http [TIMEOUT]: send stdin as one request over a socket, response bytes on stdout
	"$PY" "$HTTP_CLIENT" raw "$HTTP_PORT" "${1:-5}"
}

browser_ready() {   # browser_ready: Chromium, node and the viewer's MapLibre there, playwright-core installed; else die
	local root chromium=${CHROMIUM:-/usr/bin/chromium}
	root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	[ -x "$chromium" ] || die "$chromium is missing: apt-get install chromium (make test installs it)"
	command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are missing: apt-get install nodejs npm"
	[ -f "$root/tileserver/www/vendor/maplibre-gl.mjs" ] || die "the viewer's MapLibre GL JS is not built: run make"
	# playwright-core at the version tests/browser/package-lock.json pins
	if [ ! -f "$root/tests/browser/node_modules/playwright-core/package.json" ] ||
		[ "$root/tests/browser/package-lock.json" -nt "$root/tests/browser/node_modules/.package-lock.json" ]; then
		(cd "$root/tests/browser" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in tests/browser failed"
	fi
}

# knows FLAG: the server binary ($TAILINGS_TILESERVER) has --FLAG.  The help is read whole before
# it is searched: `--help | grep -q` can end the pipe while the server still writes, and under
# pipefail the SIGPIPE then reads as "no such flag".
knows() {
	local help
	help=$("$TAILINGS_TILESERVER" --help 2>/dev/null)
	grep -q -- "--$1 " <<<"$help"
}
opt() {   # opt FLAG VALUE: "--FLAG VALUE" when the binary knows the flag (words on stdout), else nothing
	if knows "$1"; then echo "--$1 $2"; fi
}
