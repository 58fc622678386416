#!/usr/bin/env bash
# The web viewer in a real browser: headless Chromium (Debian's /usr/bin/chromium)
# driven by playwright-core (tests/browser/viewer.test.mjs) against the tile
# server on a private copy of the sample.  Screenshots are left in
# tests/browser/screenshots/ for a person to look at.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/http.sh"
root=$(cd "$here/../.." && pwd)
db=viewer_db
shots=$root/tests/browser/screenshots
trap 'http_cleanup' EXIT
trap 'exit 1' INT TERM HUP

browser_ready

dropdb --if-exists "$db" || die "dropdb"
createdb -T tailings_sample "$db" || die "createdb"
# a base map served by the test itself (tests/browser/viewer.test.mjs listens on this port)
basemap_port=$(http_free_port) || die "no free port for the base map"
basemap=()
if "$TAILINGS_TILESERVER" --help 2>&1 | grep -q -- '--basemap'; then
	basemap=(--basemap "http://127.0.0.1:$basemap_port/{z}/{x}/{y}.png" --basemap-name "测试底图"
		--basemap-attribution "Test base map $basemap_port")
else
	echo "# this tile server has no --basemap: the base map checks fail"
fi
http_start viewer --db "$(http_conninfo "$db")" --www "$root/tileserver/www" "${basemap[@]}"
http_wait_health || die "the server did not come up"
rm -f "$shots"/viewer-*.png   # this suite's own screenshots only (the sheet and history suites leave theirs)
PGDATABASE=$db BASEMAP_PORT=$basemap_port node "$root/tests/browser/viewer.test.mjs" "$HTTP_URL" "$shots"
rc=$?
http_stop
[ -s "$HTTP_ERR" ] && { echo "# the server's stderr:"; sed 's/^/#   /' "$HTTP_ERR"; }
dropdb --if-exists "$db"
exit $rc
