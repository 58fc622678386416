# Shared by the benchmarks: a throwaway cluster with the extension, like the tests'.
# Source it; it sets PGHOST, PGPORT, PGUSER and stops the cluster on exit.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bench_work=$(mktemp -d /tmp/tailings-bench.XXXXXX)
chmod 755 "$bench_work"
bench_port=
for p in $(shuf -i 20000-32000 -n 20); do
	if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && [ ! -e "/tmp/.s.PGSQL.$p" ]; then bench_port=$p; break; fi
done
bench_cleanup() { scripts/cluster.sh stop "$bench_work/pg"; rm -rf "$bench_work"; }
trap bench_cleanup EXIT
scripts/cluster.sh start "$bench_work/pg" "$bench_port"
export PGHOST=$bench_work/pg/sock PGPORT=$bench_port PGUSER=postgres PGDATABASE=postgres
export PGOPTIONS="-c client_min_messages=warning"

# milliseconds a statement takes, as psql's \timing reports it (committed)
time_ms() {  # time_ms DB SQL
	psql -X -q -d "$1" -v ON_ERROR_STOP=1 -c '\timing on' -c "$2" | sed -nE 's/^Time: ([0-9.]+) ms.*/\1/p' | tail -1
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# The national data set in database "bench" (sql/generate_national.sql, PONDS
# ponds) and the tiles the server benchmarks ask for (bench/tile_list.sql:
# bench_tiles), their paths written to PATHS; sets ntiles to how many there are.
bench_national_tiles() {  # bench_national_tiles PONDS NTILES PATHS
	local t0=$SECONDS
	createdb bench
	psql -X -q -d bench -c "CREATE EXTENSION tailings CASCADE"
	echo ".. generating $1 ponds" >&2
	psql -X -q -d bench -v ponds="$1" -f sql/generate_national.sql >/dev/null
	psql -X -q -d bench -c "VACUUM ANALYZE"
	echo ".. generated in $((SECONDS - t0)) s" >&2
	psql -X -q -d bench -v ntiles="$2" -f bench/tile_list.sql
	ntiles=$(psql -X -At -d bench -c "SELECT count(*) FROM bench_tiles")
	[ "$ntiles" -gt 0 ] || { echo "no non-empty tile found" >&2; exit 1; }
	psql -X -At -d bench -c "SELECT format('/tiles/all/%s/%s/%s.mvt', z, x, y) FROM bench_tiles ORDER BY i" >"$3"
}
