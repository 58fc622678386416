#!/usr/bin/env bash
# make run: the embedded cluster (or $DATABASE_URL), the extension, the
# Panzhihua sample, and a summary of every pond.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
PORT=${TAILINGS_PG_PORT:-54329}
state=$root/.run
export PGOPTIONS="-c client_min_messages=warning"

if [ -n "${DATABASE_URL:-}" ]; then
	db=$DATABASE_URL
	echo "== using DATABASE_URL"
else
	echo "== starting the embedded cluster in .run/pg (port $PORT)"
	if [ -f "$state/pg/data/postmaster.pid" ] && psql -X -h "$state/pg/sock" -p "$PORT" -U postgres -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1; then
		echo "   already running"
	else
		tests/lib/cluster.sh start "$state/pg" "$PORT"
	fi
	if ! psql -X -h "$state/pg/sock" -p "$PORT" -U postgres -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = 'tailings'" | grep -q 1; then
		createdb -h "$state/pg/sock" -p "$PORT" -U postgres tailings
	fi
	db="host=$state/pg/sock port=$PORT user=postgres dbname=tailings"
fi
q() { psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }

if ! q -Atc "SELECT 1" >/dev/null; then
	echo "cannot connect to the database; check DATABASE_URL or .run/pg/server.log" >&2
	exit 1
fi
q -c "CREATE EXTENSION IF NOT EXISTS tailings CASCADE" \
  || { echo "CREATE EXTENSION failed: is PostGIS 3 installed on the database server?" >&2; exit 1; }
q -c "ALTER EXTENSION tailings UPDATE"
q -Atc "SELECT format('ALTER DATABASE %I SET search_path = \"\$user\", public, tailings', current_database())" | q
if [ "$(q -Atc 'SELECT count(*) FROM tailings.pond')" = 0 ]; then
	echo "== loading the Panzhihua sample"
	q -f sql/sample/panzhihua.sql
else
	echo "== the database already holds ponds; the sample is not loaded again"
fi
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
	echo "The database:  psql \"$db\"   (it keeps running after the tile server stops; make stop stops it)"
fi

listen=${TAILINGS_LISTEN:-127.0.0.1:7800}
www=()
[ -d tileserver/www ] && www=(--www tileserver/www)
echo
echo "== starting the tile server: http://$listen/"
echo "   tiles    http://$listen/tiles/all/{z}/{x}/{y}.mvt   (TileJSON: http://$listen/tiles/all.json)"
echo "   style    http://$listen/style.json"
echo "   API      http://$listen/api/ponds   http://$listen/health   http://$listen/metrics"
echo "   Ctrl-C stops it."
exec tileserver/build/tailings-tileserver --db "$db" --listen "$listen" "${www[@]}"
