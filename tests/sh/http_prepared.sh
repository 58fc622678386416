#!/usr/bin/env bash
# The tile statement prepared once per database connection (db_prepare_always):
# with a pool of one connection, 6 tiles are 1 parse of the named statement and
# 6 executions of it (PostgreSQL's statement log of this database), the bytes
# those of tailings.tile(); a prepare that failed (the function missing when
# the first tile comes) is tried again, not taken for done; a function renamed
# under the prepared statement answers an error, then tiles again once it is
# back; a gzip tile (compressed on demand for an uncached tile) unpacks to the
# same bytes; the same with --auth token (the statement inside a role's
# pipeline).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
. "$here/../lib/auth.sh"
suite_begin http_prepared_db
auth_members prep
pglog=$(dirname "$PGHOST")/server.log
[ -f "$pglog" ] || die "no PostgreSQL log at $pglog"
q -d "$db" -c "ALTER DATABASE $db SET log_min_duration_statement = 0" >/dev/null
tiles=(14/12824/6942 14/12824/6943 13/6412/3471 12/3206/1735 15/25648/13884 14/12825/6942)
log_from=$(stat -c %s "$pglog")
logged() {   # lines of the PostgreSQL log since the server started that match ERE
	tail -c +$((log_from + 1)) "$pglog" | grep -cE "$1"
}

echo "# --cache-mb 0 --pool 1: every tile a query on the one connection"
suite_server prep --pool 1 --cache-mb 0
same=0
for t in "${tiles[@]}"; do
	fetch "/tiles/all/$t.mvt"
	want=$(q -d "$db" -c "SELECT coalesce(md5(tailings.tile(${t//\//, })), md5(''))")
	got=$(md5sum <"$BODY" | cut -d' ' -f1)
	case "$ST" in 200 | 204) [ "$got" = "$want" ] && same=$((same + 1)) ;; esac
done
expect_eq "${#tiles[@]} tiles, each the bytes of tailings.tile()" "$same" "${#tiles[@]}"
sleep 0.3	# the log is written by the backend: let it land
expect_eq "the tile statement parsed once on the connection" "$(logged 'parse tailings_tileserver_1:')" 1
expect_eq "and executed by name for every tile" "$(logged 'execute tailings_tileserver_1:')" "${#tiles[@]}"
expect_eq "no unnamed tile statement" "$(logged 'execute <unnamed>: SELECT tailings.tile')" 0

fetch -H 'Accept-Encoding: gzip' "/tiles/all/${tiles[0]}.mvt"
expect_eq "gzip: Content-Encoding" "$(hdr Content-Encoding)" gzip
check "gzip: the same bytes unpacked" test "$(gzip -dc <"$BODY" | md5sum | cut -d' ' -f1)" = \
	"$(q -d "$db" -c "SELECT md5(tailings.tile(${tiles[0]//\//, }))")"
check "gzip: the ETag of the gzip form" eval '[[ "$(hdr ETag)" == *-gz\" ]]'
fetch "/tiles/all/${tiles[0]}.mvt"
etag=$(hdr ETag)
fetch -H "If-None-Match: $etag" "/tiles/all/${tiles[0]}.mvt"
expect_eq "an uncached tile's ETag revalidates: 304" "$ST" 304

echo "# the function renamed under the prepared statement, and back"
sig="tailings.tile(integer, integer, integer, text[], timestamptz)"
q -d "$db" -c "ALTER FUNCTION $sig RENAME TO tile_away" >/dev/null
fetch "/tiles/all/${tiles[0]}.mvt"
check "without the function: an error ($ST), not a tile" test "$ST" -ge 500
q -d "$db" -c "ALTER FUNCTION tailings.tile_away(integer, integer, integer, text[], timestamptz) RENAME TO tile" >/dev/null
fetch_tile "the function back: the tile again" 200 "/tiles/all/${tiles[0]}.mvt"
http_stop

echo "# the function missing when the connection prepares first: tried again"
q -d "$db" -c "ALTER FUNCTION $sig RENAME TO tile_away" >/dev/null
suite_server prep2 --pool 1 --cache-mb 0
fetch "/tiles/all/${tiles[0]}.mvt"
check "the first tile: an error ($ST)" test "$ST" -ge 500
q -d "$db" -c "ALTER FUNCTION tailings.tile_away(integer, integer, integer, text[], timestamptz) RENAME TO tile" >/dev/null
fetch_tile "the function back: the statement prepared now" 200 "/tiles/all/${tiles[0]}.mvt"
fetch_tile "and run by name next" 200 "/tiles/all/${tiles[1]}.mvt"
http_stop

echo "# --auth token: the statement in a role's pipeline"
log_from=$(stat -c %s "$pglog")
auth_server prep3 --pool 1 --cache-mb 0
same=0
for t in "${tiles[@]}"; do
	as "$TOKEN_COUNTY" "/tiles/all/$t.mvt"
	case "$ST" in 200 | 204) same=$((same + 1)) ;; esac
done
expect_eq "${#tiles[@]} tiles as a county member's role" "$same" "${#tiles[@]}"
sleep 0.3
expect_eq "the tile statement parsed once in the pipeline" "$(logged 'parse tailings_tileserver_1:')" 1
expect_eq "and executed by name for every tile" "$(logged 'execute tailings_tileserver_1:')" "${#tiles[@]}"
http_stop
q -d "$db" -c "ALTER DATABASE $db RESET log_min_duration_statement" >/dev/null
suite_end
