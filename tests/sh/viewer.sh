#!/usr/bin/env bash
# The web viewer in a real browser: headless Chromium (Debian's /usr/bin/chromium)
# driven by playwright-core (tests/browser/viewer.test.mjs) against the tile
# server on a private copy of the sample.  Screenshots are left in
# tests/browser/screenshots/ for a person to look at.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
root=$(cd "$here/../.." && pwd)
db=viewer_db
shots=$root/tests/browser/screenshots

browser_ready

suite_begin "$db"
# a base map served by the test itself (tests/browser/viewer.test.mjs listens on this port)
basemap_port=$(http_free_port) || die "no free port for the base map"
basemap=()
if "$TAILINGS_TILESERVER" --help 2>&1 | grep -q -- '--basemap'; then
	basemap=(--basemap "http://127.0.0.1:$basemap_port/{z}/{x}/{y}.png" --basemap-name "测试底图"
		--basemap-attribution "Test base map $basemap_port")
else
	echo "# this tile server has no --basemap: the base map checks fail"
fi
suite_server viewer --www "$root/tileserver/www" "${basemap[@]}"
rm -f "$shots"/viewer-*.png   # this suite's own screenshots only (the sheet and history suites leave theirs)
BASEMAP_PORT=$basemap_port suite_browser viewer.test.mjs
suite_end
