#!/usr/bin/env bash
# The closed loop of a hazard in the web viewer (issue 13, "Done means"; items 8 and 9), in a real
# browser: headless Chromium driven by playwright-core (tests/browser/hazard.test.mjs) against the
# tile server with --auth token on a private copy of the sample, with the members of
# tests/lib/auth.sh: the enterprise of pond 8 records a self-check hazard in its pond's file, moves
# it to rectifying and rectified; the county's check fails it with a note; the enterprise rectifies
# it again; the city's check closes it.  At each step the panel, the database and the hazard's
# point on the map (its colour) agree; an overdue hazard is emphasised; the board's CSV has the
# row; the ledger's and the monitoring's charts are read back against their axes.
# Screenshots (hazard-*.png) are left in tests/browser/screenshots/ for a person to look at.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
. "$here/../lib/auth.sh"
root=$(cd "$here/../.." && pwd)
db=viewer_hazard_db
shots=$root/tests/browser/screenshots

browser_ready

suite_begin "$db"
auth_members vhazard
export TOKEN_ENT8 TOKEN_COUNTY TOKEN_CITY
rm -f "$shots"/hazard-*.png

auth_server hazard --www "$root/tileserver/www"
suite_browser hazard.test.mjs
suite_end
