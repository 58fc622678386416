#!/usr/bin/env bash
# make run: the embedded cluster in .run/pg (or $DATABASE_URL), the extension,
# the Panzhihua sample, a summary of every pond, then the tile server until
# Ctrl-C.
#   TAILINGS_PG_PORT  port of the embedded cluster (default 54329; it listens
#                     only on its socket in .run/pg/sock)
#   TAILINGS_LISTEN   address of the tile server (default 127.0.0.1:7800)
#   DATABASE_URL      an existing PostGIS database to use instead of the
#                     embedded cluster; it creates the extension there and
#                     loads the sample if the database holds no ponds; the
#                     tile server connects with it as given (a warning when
#                     its user is a superuser)
#   TAILINGS_RUN_PGDIR  directory of the embedded cluster (default .run/pg;
#                     tests/sh/run_roles.sh uses a throwaway one)
# On the embedded cluster the tile server connects as tailings_tileserver, a
# read-only login that sql/roles/tileserver.sql creates and grants (again on
# every run: it is idempotent); setting up uses the superuser postgres.
# Ctrl-C (SIGINT), SIGTERM or SIGHUP stops the tile server (it finishes the
# requests in flight) and the embedded cluster if this run started it; its data
# stays in .run/pg.  A cluster that was already running, and the database of
# DATABASE_URL, are left running.  A second Ctrl-C does not wait for requests
# in flight.  Exit status 0 after such a stop, 1 when something failed (nothing
# this run started is left running), 128+N when interrupted while starting.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
PORT=${TAILINGS_PG_PORT:-54329}
listen=${TAILINGS_LISTEN:-127.0.0.1:7800}
pgdir=${TAILINGS_RUN_PGDIR:-$root/.run/pg}
server=tileserver/build/tailings-tileserver
PGBIN=${PGBIN:-$(pg_config --bindir)}
export PGBIN
export PGOPTIONS="-c client_min_messages=warning"
export PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-10}

# ---------------------------------------------------------------- helpers
now() { local t=$EPOCHREALTIME; echo "${t/[.,]/}"; }    # microseconds
started=$(now)
secs() { local us=$(($(now) - $1)); printf '%d.%d' $((us / 1000000)) $((us % 1000000 / 100000)); }
step() { printf '== %s\n' "$*"; }
note() { printf '   %s\n' "$*"; }
# note "<what> in N s" when it took more than a second
timed() { if (($(now) - $1 >= 1000000)); then note "$2 in $(secs "$1") s"; fi; }
# fail MESSAGE [WHAT TO DO...]: stop what this run started, then say it
fail_msg=()
fail() { fail_msg=("$@"); exit 1; }
indent() { sed 's/^/   | /'; }
# the tile server's process is still running (not exited, not a zombie)
alive() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	[ "${s:0:1}" != Z ]
}
# something accepts TCP connections on host $1, port $2
# shellcheck disable=SC2016  # $0 and $1 belong to the inner bash
port_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }
# a connection string without its password, to show
masked() { sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#; s#(password=)[^ ]*#\1***#' <<<"$1"; }

# ---------------------------------------------------------------- stopping
server_pid=
cluster_ours=0      # this run started the embedded cluster: stop it at the end
serving=0           # everything is set up: the tile server was started
stop_signal=
doing="starting"

stop_server() {     # $1: the signal to send first
	local i
	kill -"$1" "$server_pid" 2>/dev/null || true
	# requests in flight end within the statement timeout (10 s by default)
	for ((i = 0; i < 150; i++)); do alive "$server_pid" || break; sleep 0.1; done
	if alive "$server_pid"; then
		note "the tile server is still finishing requests; stopping it now"
		kill -INT "$server_pid" 2>/dev/null || true     # a second signal: no more waiting
		for ((i = 0; i < 50; i++)); do alive "$server_pid" || break; sleep 0.1; done
		alive "$server_pid" && kill -KILL "$server_pid" 2>/dev/null
	fi
	wait "$server_pid" 2>/dev/null || true
	server_pid=
}

# a second Ctrl-C while stopping: the tile server stops without waiting
hurry() { if [ -n "$server_pid" ]; then kill -INT "$server_pid" 2>/dev/null || true; fi; }

finish() {
	local rc=$? stopped=() t
	set +e
	trap hurry INT TERM HUP
	if [ -n "$stop_signal" ]; then
		echo
		if [ $serving = 1 ]; then
			step "SIG$stop_signal: stopping"
			rc=0
		else
			step "SIG$stop_signal while $doing: stopping"
		fi
	fi
	if [ -n "$server_pid" ]; then
		[ -n "$stop_signal" ] || step "stopping the tile server"
		case "$stop_signal" in INT) stop_server INT ;; *) stop_server TERM ;; esac
		stopped+=("the tile server")
	fi
	if [ $cluster_ours = 1 ] && scripts/cluster.sh status "$pgdir"; then
		step "stopping the embedded cluster"
		t=$(now)
		# in a session of its own: a second Ctrl-C does not cut the shutdown short
		setsid -w scripts/cluster.sh stop "$pgdir" </dev/null
		timed "$t" "stopped"
		if scripts/cluster.sh status "$pgdir"; then
			fail_msg+=("the embedded cluster did not stop: see .run/pg/server.log, then make stop")
			rc=1
		else
			stopped+=("the embedded cluster")
		fi
	fi
	local what=
	case ${#stopped[@]} in
	1) what="Stopped ${stopped[0]}" ;;
	2) what="Stopped ${stopped[0]} and ${stopped[1]}" ;;
	esac
	if [ -z "$what" ]; then
		:
	elif [ -n "${DATABASE_URL:-}" ]; then
		echo "$what; the database of DATABASE_URL was left as it is, running."
	elif [ $cluster_ours = 1 ]; then
		echo "$what; the data is kept in .run/pg (make run starts again with it)."
	else
		echo "$what. The embedded cluster was already running before this make run and keeps running (make stop stops it); its data is in .run/pg."
	fi
	if [ ${#fail_msg[@]} -gt 0 ]; then
		printf 'make run: %s\n' "${fail_msg[0]}" >&2
		[ ${#fail_msg[@]} = 1 ] || printf '   %s\n' "${fail_msg[@]:1}" >&2
	fi
	exit "$rc"
}
on_signal() {
	stop_signal=$1
	case $1 in INT) exit 130 ;; TERM) exit 143 ;; *) exit 129 ;; esac
}
trap finish EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

# ---------------------------------------------------------------- checks first
if [[ $listen =~ ^\[([^]]*)\]:([0-9]+)$ ]] || [[ $listen =~ ^([^][]*):([0-9]+)$ ]]; then
	lhost=${BASH_REMATCH[1]}
	lport=${BASH_REMATCH[2]}
else
	lhost='' lport=0
fi
if [ "${#lport}" -gt 5 ] || [ "$lport" -lt 1 ] || [ "$lport" -gt 65535 ]; then
	fail "TAILINGS_LISTEN=$listen is not an address HOST:PORT" \
		"for example TAILINGS_LISTEN=127.0.0.1:7801 make run, or 0.0.0.0:8080 to serve other machines"
fi
# where to reach it from here, and the URL to show
case $lhost in
"" | 0.0.0.0 | "*") chost=127.0.0.1; url=http://127.0.0.1:$lport ;;
:: ) chost=::1; url="http://[::1]:$lport" ;;
*:*) chost=$lhost; url="http://[$lhost]:$lport" ;;
*) chost=$lhost; url=http://$lhost:$lport ;;
esac
if port_open "$chost" "$lport"; then
	holder=
	if command -v ss >/dev/null; then
		pid=$(ss -Hltnp "sport = :$lport" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
		if [ -n "$pid" ]; then
			holder=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -d' ' -f1)
			holder="${holder##*/}, pid $pid"
		fi
	fi
	fail "$listen is already in use${holder:+ (by $holder)}: the tile server could not listen there" \
		"stop what listens there (another make run?), or choose another address: TAILINGS_LISTEN=${lhost:-127.0.0.1}:$((lport == 65535 ? 7801 : lport + 1)) make run"
fi
[ -x "$server" ] || fail "$server is not built" "make run builds it (make tileserver)"
if [ -z "${DATABASE_URL:-}" ]; then
	if ! [[ $PORT =~ ^[0-9]{1,5}$ ]] || [ "$PORT" -lt 1 ] || [ "$PORT" -gt 65535 ]; then
		fail "TAILINGS_PG_PORT=$PORT is not a port number (1-65535)" "for example TAILINGS_PG_PORT=54330 make run"
	fi
fi

# ---------------------------------------------------------------- the database
q() { psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }
if [ -n "${DATABASE_URL:-}" ]; then
	db=$DATABASE_URL
	shown=$(masked "$db")
	step "using DATABASE_URL=$shown (the embedded cluster is not used)"
	doing="connecting to DATABASE_URL"
	case $db in
	postgres://* | postgresql://* | *=*) ;;
	*) fail "DATABASE_URL=$shown is not a connection string" \
		"write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE (or host=... dbname=...), or run make run without DATABASE_URL to use the embedded cluster in .run/pg" ;;
	esac
	if ! err=$(psql -X -d "$db" -Atqc 'SELECT 1' 2>&1 >/dev/null); then
		err=$(printf '%s\n' "$err" | head -5 | indent)
		hint="check the URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE), that the server runs there and lets this user in"
		case $err in
		*"database \""*"\" does not exist"*) hint="create the database first (createdb, or CREATE DATABASE as its owner), or point DATABASE_URL at an existing one" ;;
		*"Connection refused"* | *"No such file or directory"*) hint="no PostgreSQL server listens there: start it, or correct the host and port in DATABASE_URL" ;;
		*"password authentication failed"* | *"no password supplied"*) hint="check the user and password in DATABASE_URL" ;;
		*"invalid URI"* | *"invalid connection option"* | *"missing \"=\""* | *"invalid integer value"* | *"invalid port"*) hint="DATABASE_URL is not a valid connection string: postgres://USER:PASSWORD@HOST:PORT/DATABASE" ;;
		esac
		fail "cannot connect to DATABASE_URL=$shown:
$err" "$hint;" "or run make run without DATABASE_URL to use the embedded cluster in .run/pg. Nothing was changed."
	fi
else
	if scripts/cluster.sh status "$pgdir"; then
		running=$(sed -n 4p "$pgdir/data/postmaster.pid" 2>/dev/null || true)
		step "the embedded cluster in .run/pg is already running (port ${running:-$PORT}); it is left running at the end"
		if [ -n "$running" ] && [ "$running" != "$PORT" ]; then
			note "TAILINGS_PG_PORT=$PORT applies the next time it starts"
			PORT=$running
		fi
		doing="waiting for the embedded cluster"
		pg_isready -q -h "$pgdir/sock" -p "$PORT" -t 60 \
			|| fail "the embedded cluster in .run/pg runs but does not accept connections" \
				"see .run/pg/server.log; make stop, then make run again"
	else
		if [ -f "$pgdir/data/PG_VERSION" ]; then
			step "starting the embedded cluster in .run/pg (port $PORT)"
			started_what=started
		else
			step "creating the embedded cluster in .run/pg (port $PORT; first run)"
			started_what="created and started"
		fi
		doing="starting the embedded cluster"
		t=$(now)
		cluster_ours=1
		if ! out=$(scripts/cluster.sh start "$pgdir" "$PORT" --durable 2>&1); then
			printf '%s\n' "$out" >&2
			case $out in
			*"already in use"* | *"lock file"*"already exists"* | *"could not bind"* | *"could not create"*"socket"*)
				fail "the embedded cluster could not use port $PORT (the end of .run/pg/server.log is above)" \
					"choose another port: TAILINGS_PG_PORT=$((PORT == 65535 ? 54330 : PORT + 1)) make run" ;;
			*)
				fail "the embedded cluster did not start (the end of .run/pg/server.log is above)" \
					"correct what the log says and run make run again; rm -rf .run/pg starts afresh but deletes its data" ;;
			esac
		fi
		timed "$t" "$started_what"
	fi
	db="host=$pgdir/sock port=$PORT user=postgres dbname=tailings"
	info=$(psql -X -h "$pgdir/sock" -p "$PORT" -U postgres -d postgres -Atqc \
		"SELECT EXISTS (SELECT FROM pg_database WHERE datname = 'tailings'), current_setting('fsync')") \
		|| fail "cannot connect to the embedded cluster (its message is above)" "see .run/pg/server.log; make stop, then make run again"
	IFS='|' read -r has_db fsync <<<"$info"
	if [ "$has_db" != t ]; then
		step "creating the database tailings"
		createdb -h "$pgdir/sock" -p "$PORT" -U postgres tailings
	fi
	if [ "$fsync" = off ]; then
		note "this cluster runs with fsync=off (as test clusters do), so a crash could lose data:"
		note "make stop, then make run, restarts it with the safe settings"
	fi
fi

doing="creating the extension"
info=$(q -Atc "
	SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'tailings'),
	       EXISTS (SELECT FROM pg_available_extensions WHERE name = 'tailings'),
	       EXISTS (SELECT FROM pg_available_extensions WHERE name = 'postgis'),
	       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), current_user,
	       (SELECT extversion FROM pg_extension WHERE extname = 'tailings'),
	       (SELECT default_version FROM pg_available_extensions WHERE name = 'tailings'),
	       (SELECT c FROM pg_db_role_setting s, unnest(s.setconfig) c
	         WHERE s.setrole = 0 AND s.setdatabase = d.oid AND c LIKE 'search_path=%'),
	       pg_has_role(d.datdba, 'USAGE')
	  FROM pg_database d WHERE d.datname = current_database()") \
	|| fail "cannot read the database (the message is above)"
IFS='|' read -r has_ext avail_ext avail_postgis is_super user ext_ver default_ver sp can_alter <<<"$info"
if [ -n "${DATABASE_URL:-}" ]; then where="on the server of DATABASE_URL"; else where="for PostgreSQL 15 here"; fi
if [ "$has_ext" = f ]; then
	[ "$avail_postgis" = t ] || fail "PostGIS is not installed $where: the extension tailings needs it" \
		"install it on that machine: apt-get install postgresql-15-postgis-3 (Debian; make run does it for the local PostgreSQL). Nothing was changed."
	[ "$avail_ext" = t ] || fail "the extension tailings is not installed $where" \
		"install it on that machine: make install (builds with the pg_config of that PostgreSQL). Nothing was changed."
	[ "$is_super" = t ] || fail "creating the extension tailings needs a superuser, and $user is not one" \
		"have a superuser run CREATE EXTENSION tailings CASCADE in that database, or use a superuser in DATABASE_URL. Nothing was changed."
	step "creating the extension tailings (and PostGIS if missing)"
	t=$(now)
	q -c "CREATE EXTENSION tailings CASCADE"
	timed "$t" "created the extension"
elif [ -n "$default_ver" ] && [ "$ext_ver" != "$default_ver" ]; then
	step "updating the extension tailings from $ext_ver to $default_ver"
	q -c "ALTER EXTENSION tailings UPDATE"
fi
# tailings on the database's search path, unless the database has a search path of its own
if [ -z "$sp" ] && [ "$can_alter" = t ]; then
	q <<'SQL'
SELECT format('ALTER DATABASE %I SET search_path = "$user", public, tailings', current_database()) \gexec
SQL
elif [ -n "$sp" ] && [[ $sp != *tailings* ]]; then
	note "the database sets ${sp/=/ = }; add tailings to it to call the extension's functions without tailings."
fi

doing="loading the sample"
ponds=$(q -Atc 'SELECT count(*) FROM tailings.pond')
if [ "$ponds" = 0 ]; then
	step "loading the Panzhihua sample (40 ponds, about 1,000 elements)"
	t=$(now)
	q -f sql/sample/panzhihua.sql
	timed "$t" "loaded the sample"
else
	step "the database already holds $ponds ponds; the sample is not loaded again"
fi
# the tile server's read-only role, on the embedded cluster (with DATABASE_URL a DBA runs
# sql/roles/tileserver.sql and names that role in DATABASE_URL)
if [ -z "${DATABASE_URL:-}" ]; then
	doing="creating the tile server's role"
	q -f sql/roles/tileserver.sql >/dev/null \
		|| fail "sql/roles/tileserver.sql failed (its message is above)" "see .run/pg/server.log"
	server_db="host=$pgdir/sock port=$PORT user=tailings_tileserver dbname=tailings"
	server_user="tailings_tileserver, read-only"
else
	server_db=$db
	server_user=$user
fi
doing="printing the summary"
echo
q -P footer=off <<'SQL'
SELECT o.code, o.name, o.supervision_level AS level, o.status, o.elements,
       (SELECT count(*) FROM tailings.element e WHERE e.pond_id = o.id AND e.verified_on IS NOT NULL) AS verified,
       round(o.score::numeric, 2) AS score, o.errors_failed AS missing, o.warnings_failed AS warnings
  FROM tailings.pond_overview o ORDER BY o.code;
SELECT supervision_level AS level, count(*) AS ponds,
       count(*) FILTER (WHERE status = 'in_use') AS in_use,
       count(*) FILTER (WHERE status = 'suspended') AS suspended,
       count(*) FILTER (WHERE status = 'closed') AS closed,
       count(*) FILTER (WHERE score = 1) AS complete_maps
  FROM tailings.pond_overview GROUP BY ROLLUP (1) ORDER BY 1;
SQL
echo
if [ -z "${DATABASE_URL:-}" ]; then
	if [ $cluster_ours = 1 ]; then
		echo "The database:  psql \"$db\"   (Ctrl-C stops it with the tile server; the data stays in .run/pg)"
	else
		echo "The database:  psql \"$db\"   (it keeps running after the tile server stops; make stop stops it)"
	fi
fi

# ---------------------------------------------------------------- the tile server
if [ -n "${DATABASE_URL:-}" ] && [ "$is_super" = t ]; then
	echo
	printf 'warning: DATABASE_URL connects as %s, a superuser: the tile server only reads, and a\n' "$user" >&2
	printf '   superuser login in its settings could change or drop anything. Give it a read-only role:\n' >&2
	# shellcheck disable=SC2016  # $DATABASE_URL is shown as written, for the reader to type
	printf '   psql -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -f sql/roles/tileserver.sql   (as a superuser), then\n' >&2
	printf '   DATABASE_URL=postgres://tailings_tileserver:PASSWORD@HOST:PORT/DATABASE (README.md, "The tile server'"'"'s role")\n' >&2
fi
www=()
[ -d tileserver/www ] && www=(--www tileserver/www)
echo
step "starting the tile server on $listen (as $server_user)"
doing="starting the tile server"
# in a session of its own: Ctrl-C reaches this script, which stops the server
# with one signal (a second one would make it skip the requests in flight)
setsid "$server" --db "$server_db" --listen "$listen" "${www[@]}" </dev/null &
server_pid=$!
serving=1
for ((i = 0; i < 200; i++)); do
	if ! alive "$server_pid"; then
		rc=0
		wait "$server_pid" || rc=$?
		server_pid=
		if [ $rc = 2 ]; then
			fail "the tile server did not start: its settings are invalid (its message is above)" \
				"it also reads TAILINGS_* variables from the environment (tailings-tileserver --help lists them)"
		fi
		fail "the tile server did not start (exit status $rc; its message is above)" \
			"if $listen is in use, choose another address: TAILINGS_LISTEN=${lhost:-127.0.0.1}:$((lport == 65535 ? 7801 : lport + 1)) make run"
	fi
	port_open "$chost" "$lport" && break
	sleep 0.1
done
port_open "$chost" "$lport" || fail "the tile server did not listen on $listen within 20 s"
doing="serving"
echo
if [ ${#www[@]} -gt 0 ]; then
	echo "   the map  $url/"
else
	echo "   the map  (no viewer: tileserver/www is missing; $url/ answers 404)"
fi
echo "   tiles    $url/tiles/all/{z}/{x}/{y}.mvt   (TileJSON: $url/tiles/all.json)"
echo "   style    $url/style.json"
echo "   API      $url/api/ponds   $url/health   $url/metrics"
case $lhost in "" | 0.0.0.0 | "*" | ::) echo "   (listening on every interface, port $lport)" ;; esac
echo
if [ -n "${DATABASE_URL:-}" ]; then
	echo "Ready in $(secs "$started") s. Ctrl-C stops the tile server (the database is left running)."
elif [ $cluster_ours = 1 ]; then
	echo "Ready in $(secs "$started") s. Ctrl-C stops the tile server and the embedded cluster (the data stays in .run/pg)."
else
	echo "Ready in $(secs "$started") s. Ctrl-C stops the tile server (the embedded cluster was already running and keeps running)."
fi
rc=0
wait "$server_pid" || rc=$?
# here only when the server stopped by itself (a signal to this script exits through finish)
server_pid=
[ $rc = 0 ] || fail "the tile server stopped unexpectedly (exit status $rc; its messages are above)" \
	"run make run again; if it keeps stopping, see .run/pg/server.log and the messages above"
step "the tile server stopped"
