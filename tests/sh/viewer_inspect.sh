#!/usr/bin/env bash
# Inspection mode on a phone (issue 13, item 10), in a real browser: headless Chromium with a
# phone's screen and a mocked position (tests/browser/inspect.test.mjs) against the tile server
# with --auth token on a private copy of the sample, with the members of tests/lib/auth.sh (the
# county 510411's inspector; enterprise A of pond 8, which gets no inspection mode): the checklist
# in walking order on the map, the distance to the next point, visits with the device's position,
# two of them made offline (queued, kept over a reload, sent once when back), one from 40 m (a
# position to correct), a hazard at a point, two points skipped and shown missed once finished as
# the database's coverage says, a visit the server refuses dropped with an error.
# Screenshots (inspect-*.png) are left in tests/browser/screenshots/ for a person to look at.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
. "$here/../lib/auth.sh"
root=$(cd "$here/../.." && pwd)
db=viewer_inspect_db
shots=$root/tests/browser/screenshots

browser_ready

suite_begin "$db"
auth_members vinspect
export TOKEN_ENT8 TOKEN_COUNTY
export ROLE_COUNTY=vinspect_county
rm -f "$shots"/inspect-*.png

echo "# --auth token: the county's inspector on a phone"
auth_server inspect --www "$root/tileserver/www"
suite_browser inspect.test.mjs
suite_end
