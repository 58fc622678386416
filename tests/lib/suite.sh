# What the shell suites against a server share (tests/sh/http_*.sh, viewer*.sh, sheet.sh);
# source it (it sources tests/lib/http.sh).
#
#   suite_begin DB [DB...]         traps (servers, background sessions and jobs go at exit),
#                                  and a fresh copy of tailings_sample in each DB; db=the first
#   suite_at_exit COMMAND          one more command for the exit trap (a string, eval'd)
#   suite_server NAME [ARGS...]    start a server on $db with ARGS, wait for /health, or die
#   suite_end                      stop the servers, drop the databases, print the tally,
#                                  the exit status
#
#   suite_browser SCRIPT [ARGS...] run tests/browser/SCRIPT (node, PGDATABASE=$db) against the server
#                                  with the screenshot directory; its checks join the tally; then
#                                  stop the server and show its stderr
#   streams                        how many change streams /health counts
#
#   wait_until SECONDS COMMAND...  run COMMAND every 0.1 s until it succeeds; 1 at the deadline
#   wait_status PATH STATUS [SECONDS [CURL ARGS...]]
#                                  fetch PATH until its status is STATUS (default 10 s); the last
#                                  fetch stays in $ST, $HDR, $BODY
#   metric_is NAME OP VALUE        the metric compares (test's -ge, -gt, =, ...) with VALUE
#   gone PID [SECONDS]             the process has exited (default 5 s)
#
#   db_session DB                  a psql session in the background (one at a time)
#   db_send SQL                    run SQL in it and wait for it to finish (10 s); 1 on a timeout
#   db_close                       end it (\q, then wait for it; killed at exit if still there)
#   db_lock DB TABLE               a session holding TABLE in ACCESS EXCLUSIVE mode (so that a
#                                  query needing it waits); db_unlock commits and closes it
#
# Needs TAILINGS_TEST_WORK and the PG* environment of tests/run.sh.
. "$(dirname "${BASH_SOURCE[0]}")/http.sh"

SUITE_DBS=()
SUITE_EXIT=()
DB_SESSION_PID=
DB_SESSION_FD=
DB_SESSION_N=0

suite_cleanup() {
	local c
	http_cleanup
	if [ -n "$DB_SESSION_PID" ]; then kill "$DB_SESSION_PID" 2>/dev/null; fi
	for c in ${SUITE_EXIT[@]+"${SUITE_EXIT[@]}"}; do eval "$c"; done
	kill $(jobs -p) 2>/dev/null
	return 0
}
suite_at_exit() { SUITE_EXIT+=("$1"); }

suite_begin() {
	local d
	trap suite_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	db=$1
	for d in "$@"; do
		dropdb --if-exists "$d" || die "dropdb $d"
		createdb -T tailings_sample "$d" || die "createdb $d"
		SUITE_DBS+=("$d")
	done
}

suite_server() {   # suite_server NAME [ARGS...]
	local name=$1
	shift
	http_start "$name" --db "$(http_conninfo "$db")" "$@"
	http_wait_health 15 || die "the server $name did not come up"
}

suite_end() {
	local d
	http_cleanup     # the servers and sessions go first: a database in use cannot be dropped
	db_close
	for d in ${SUITE_DBS[@]+"${SUITE_DBS[@]}"}; do dropdb --if-exists "$d"; done
	[ "$HTTP_TILES_VALIDATED" = 0 ] || echo "# tiles validated as MVT: $HTTP_TILES_VALIDATED"
	http_finish
}

suite_browser() {   # suite_browser SCRIPT [ARGS...]
	local script=$1 out=$HTTP_WORK/browser.out
	shift
	browser_ready
	mkdir -p "$http_root/tests/browser/screenshots"
	PGDATABASE=$db node "$http_root/tests/browser/$script" "$HTTP_URL" "$http_root/tests/browser/screenshots" "$@" \
		| tee "$out"
	HTTP_PASSES=$((HTTP_PASSES + $(grep -c '^ok ' "$out")))
	HTTP_FAILS=$((HTTP_FAILS + $(grep -c '^not ok ' "$out")))
	grep -qE '^[0-9]+ passed, 0 failed$' "$out" || not_ok "$script ran to its end"
	http_stop
	if [ -s "$HTTP_ERR" ]; then echo "# the server's stderr:"; sed 's/^/#   /' "$HTTP_ERR"; fi
}

streams() { curl -s --max-time 5 "$HTTP_URL/health" | sed -n 's/.*"event_streams":\([0-9]*\).*/\1/p'; }

wait_until() {   # wait_until SECONDS COMMAND...
	local limit=$1 i
	shift
	for ((i = 0; i < limit * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

wait_status() {   # wait_status PATH STATUS [SECONDS [CURL ARGS...]]
	local path=$1 want=$2 limit=${3:-10} i
	shift 2
	[ $# -gt 0 ] && shift
	for ((i = 0; i < limit * 10; i++)); do
		fetch "$@" "$path"
		[ "$ST" = "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

metric_is() {   # metric_is NAME OP VALUE
	[ "$(metric "$1")" "$2" "$3" ] 2>/dev/null
}

gone() {   # gone PID [SECONDS]
	wait_until "${2:-5}" eval "! kill -0 $1 2>/dev/null"
}

db_session() {   # db_session DB
	local fifo=$HTTP_WORK/session.fifo
	[ -z "$DB_SESSION_PID" ] || die "db_session: a session is already open"
	rm -f "$fifo"
	mkfifo "$fifo" || die "mkfifo"
	DB_SESSION_OUT=$HTTP_WORK/session.out
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" <"$fifo" >"$DB_SESSION_OUT" 2>&1 &
	DB_SESSION_PID=$!
	exec {DB_SESSION_FD}>"$fifo"
	rm -f "$fifo"
}

db_send() {   # db_send SQL: run it in the session; 0 once it has finished
	DB_SESSION_N=$((DB_SESSION_N + 1))
	echo "$1" >&"$DB_SESSION_FD"
	echo "SELECT 'done $DB_SESSION_N';" >&"$DB_SESSION_FD"
	wait_for "$DB_SESSION_OUT" "^done $DB_SESSION_N\$" 10
}

db_close() {
	[ -n "$DB_SESSION_PID" ] || return 0
	echo '\q' >&"$DB_SESSION_FD"
	exec {DB_SESSION_FD}>&-
	wait "$DB_SESSION_PID" 2>/dev/null
	DB_SESSION_PID=
}

db_lock() {   # db_lock DB TABLE: 0 once the table is locked
	db_session "$1"
	db_send "BEGIN; LOCK TABLE $2 IN ACCESS EXCLUSIVE MODE;"
}

db_unlock() {   # db_unlock: commit, so that what waited goes on; 0 once committed
	local rc
	db_send "COMMIT;"
	rc=$?
	db_close
	return $rc
}
