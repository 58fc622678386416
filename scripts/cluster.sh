#!/usr/bin/env bash
# Throwaway PostgreSQL clusters for tests and `make run`.
#   cluster.sh start DIR PORT [--durable]
#                               initdb DIR if needed, start on PORT, socket in DIR/sock;
#                               without --durable it runs with fsync=off and
#                               full_page_writes=off (fast, for throwaway test data);
#                               --durable keeps PostgreSQL's safe defaults (make run)
#   cluster.sh stop DIR         stop the cluster in DIR (fast shutdown)
#   cluster.sh status DIR       exit 0 when the cluster in DIR is running, 3 when not
# PostgreSQL refuses to run as root: when invoked by root the cluster belongs
# to the `postgres` user; otherwise to the invoking user.
set -euo pipefail

PGBIN=${PGBIN:-$(pg_config --bindir)}
as_owner() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cmd=${1:?start|stop|status}
dir=$(realpath -m "${2:?data directory}")   # the server chdirs: the socket path must be absolute
case "$cmd" in
start)
	port=${3:?port}
	settings="-c fsync=off -c full_page_writes=off"
	case "${4:-}" in
	"") ;;
	--durable) settings= ;;
	*) echo "usage: $0 start DIR PORT [--durable]" >&2; exit 2 ;;
	esac
	mkdir -p "$dir"
	if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
	chmod 700 "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as_owner "$PGBIN/initdb" -A trust -U postgres -E UTF8 --locale=C.UTF-8 -D "$dir/data" >"$dir/initdb.log" 2>&1 \
			|| { echo "initdb failed ($dir/initdb.log):" >&2; cat "$dir/initdb.log" >&2; exit 1; }
	fi
	as_owner mkdir -p "$dir/sock"
	# the end of server.log before this start, to show only what this start wrote
	logsize=$(stat -c %s "$dir/server.log" 2>/dev/null || echo 0)
	as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-p $port -k $dir/sock -c listen_addresses='' $settings" start >/dev/null \
		|| {
			echo "the PostgreSQL server in $dir did not start; the end of $dir/server.log:" >&2
			new=$(tail -c +$((logsize + 1)) "$dir/server.log" 2>/dev/null | tail -20)
			[ -n "$new" ] || new=$(tail -20 "$dir/server.log" 2>/dev/null)
			printf '%s\n' "$new" | sed 's/^/   | /' >&2
			exit 1
		}
	;;
stop)
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
	fi
	;;
status)
	[ -f "$dir/data/PG_VERSION" ] || exit 3
	as_owner "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 || exit 3
	;;
*)
	echo "usage: $0 start DIR PORT [--durable] | stop DIR | status DIR" >&2
	exit 2
	;;
esac
