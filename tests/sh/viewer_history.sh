#!/usr/bin/env bash
# Identify and history in the web viewer (issue 10, defects 7 and 8), in a real
# browser: headless Chromium driven by playwright-core (tests/browser/history.test.mjs)
# against the tile server on a private copy of the sample, which the test edits
# (insert, delete, move) between two moments it then compares.  Screenshots
# (history-*.png) are left in tests/browser/screenshots/ for a person to look at.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
root=$(cd "$here/../.." && pwd)
db=viewer_history_db
shots=$root/tests/browser/screenshots

browser_ready

suite_begin "$db"
suite_server viewer --www "$root/tileserver/www"
rm -f "$shots"/history-*.png
suite_browser history.test.mjs
suite_end
