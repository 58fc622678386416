#!/usr/bin/env bash
# How fast a committed edit reaches open viewers: the tile server's change
# stream (/events) against a direct LISTEN client of the database, in the same
# run (bench/events.py).  The sample is loaded into a throwaway cluster; a pond's
# well is moved back and forth EDITS times, one committed UPDATE at a time.
#   bench/events.sh [CLIENTS] [EDITS]     default 100 streams, 200 edits
# Needs Debian's python3-psycopg2 (apt-get install -y python3-psycopg2).
. "$(dirname "$0")/lib.sh"
clients=${1:-100}
edits=${2:-200}
py=/usr/bin/python3
if ! "$py" -c 'import psycopg2' 2>/dev/null; then
	echo "bench/events.sh: python3-psycopg2 is missing: apt-get install -y python3-psycopg2" >&2
	exit 2
fi
createdb tailings_bench
psql -X -q -v ON_ERROR_STOP=1 -d tailings_bench -c 'CREATE EXTENSION tailings CASCADE' -f sql/sample/panzhihua.sql
for p in $(shuf -i 20000-32000 -n 20); do
	(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { http_port=$p; break; }
done
tileserver/build/tailings-tileserver --db "host=$PGHOST port=$PGPORT user=postgres dbname=tailings_bench" \
	--listen "127.0.0.1:$http_port" --access-log off --max-streams $((clients + 10)) \
	--max-streams-per-ip 0 --max-conns-per-ip 0 >"$bench_work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; bench_cleanup' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$http_port/health" >/dev/null && break; sleep 0.1; done
"$py" bench/events.py "$http_port" "host=$PGHOST port=$PGPORT user=postgres dbname=tailings_bench" "$clients" "$edits"
