#!/usr/bin/env bash
# The viewer offline in a real browser (tests/browser/offline.test.mjs): a pond's package exported
# with `tailings-tileserver export --with-files` is opened after the page has loaded and the network
# is cut; the map draws the pond from the archive, its file opens from the JSON; then, the server
# stopped, the page opens again from the viewer's service worker and opens the package.  Screenshots are
# left in tests/browser/screenshots/ (offline-*.png) for a person to look at.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
root=$(cd "$here/../.." && pwd)
db=viewer_offline_db
pond=8          # 龙佰丰源牛场坪尾矿库: a boundary, points, lines, hazards, a ledger
shots=$root/tests/browser/screenshots

browser_ready
[ -f "$root/tileserver/www/vendor/pmtiles.mjs" ] || die "the viewer's PMTiles reader is not built: run make"
suite_begin "$db"
pkg=$HTTP_WORK/package
mkdir -p "$pkg"
"$TAILINGS_TILESERVER" export --db "$(http_conninfo "$db")" --out "$pkg/pond$pond.pmtiles" --pond $pond --with-files \
	2>"$HTTP_WORK/export.err"
rc=$?
tail -1 "$HTTP_WORK/export.err" | sed 's/^/# /'
expect_eq "the package is exported" "$rc" 0
suite_server viewer_offline --www "$root/tileserver/www"
rm -f "$shots"/offline-*.png
suite_browser offline.test.mjs "$pkg" $pond "$HTTP_PID"   # the test stops the server at its end
suite_end
