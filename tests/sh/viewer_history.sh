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

browser_ready

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
