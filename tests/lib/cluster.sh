#!/usr/bin/env bash
# Throwaway PostgreSQL clusters for tests and `make run`.
#   cluster.sh start DIR PORT   initdb DIR if needed, start on PORT, socket in DIR/sock
#   cluster.sh stop DIR         stop the cluster in DIR (fast shutdown)
# PostgreSQL refuses to run as root: when invoked by root the cluster belongs
# to the `postgres` user; otherwise to the invoking user.
set -euo pipefail

PGBIN=${PGBIN:-$(pg_config --bindir)}
as_owner() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cmd=${1:?start|stop}
dir=${2:?data directory}
case "$cmd" in
start)
	port=${3:?port}
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown postgres: "$dir"
	chmod 700 "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as_owner "$PGBIN/initdb" -A trust -U postgres -E UTF8 --locale=C.UTF-8 -D "$dir/data" >"$dir/initdb.log" 2>&1 \
			|| { cat "$dir/initdb.log" >&2; exit 1; }
	fi
	as_owner mkdir -p "$dir/sock"
	as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-p $port -k $dir/sock -c listen_addresses='' -c fsync=off -c full_page_writes=off" start >/dev/null \
		|| { tail -20 "$dir/server.log" >&2; exit 1; }
	;;
stop)
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
	fi
	;;
*)
	echo "usage: $0 start DIR PORT | stop DIR" >&2
	exit 2
	;;
esac
