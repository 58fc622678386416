#!/usr/bin/env bash
# Identify and history in the web viewer (issue 10, defects 7 and 8), in a real
# browser: headless Chromium driven by playwright-core (tests/browser/history.test.mjs)
# against the tile server on a private copy of the sample, which the test edits
# (insert, delete, move) between two moments it then compares.  Screenshots
# (history-*.png) are left in tests/browser/screenshots/ for a person to look at.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/http.sh"
root=$(cd "$here/../.." && pwd)
db=viewer_history_db
shots=$root/tests/browser/screenshots
trap 'http_cleanup' EXIT
trap 'exit 1' INT TERM HUP

chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || die "$chromium is missing: apt-get install chromium (make test installs it)"
command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are missing: apt-get install nodejs npm"
[ -f "$root/tileserver/www/vendor/maplibre-gl.mjs" ] || die "the viewer's MapLibre GL JS is not built: run make"
# playwright-core at the version tests/browser/package-lock.json pins
if [ ! -f "$root/tests/browser/node_modules/playwright-core/package.json" ] ||
	[ "$root/tests/browser/package-lock.json" -nt "$root/tests/browser/node_modules/.package-lock.json" ]; then
	(cd "$root/tests/browser" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in tests/browser failed"
fi

dropdb --if-exists "$db" || die "dropdb"
createdb -T tailings_sample "$db" || die "createdb"
http_start viewer --db "$(http_conninfo "$db")" --www "$root/tileserver/www"
http_wait_health || die "the server did not come up"
rm -f "$shots"/history-*.png
PGDATABASE=$db node "$root/tests/browser/history.test.mjs" "$HTTP_URL" "$shots"
rc=$?
http_stop
[ -s "$HTTP_ERR" ] && { echo "# the server's stderr:"; sed 's/^/#   /' "$HTTP_ERR"; }
dropdb --if-exists "$db"
exit $rc
