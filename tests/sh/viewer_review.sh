#!/usr/bin/env bash
# Signing in, drawings and their review in the web viewer (issue 12, item 8), in a real browser:
# headless Chromium driven by playwright-core (tests/browser/review.test.mjs) against the tile
# server with --auth token on a private copy of the sample, with the members of tests/lib/auth.sh
# (enterprise A of pond 8, enterprise B of pond 9, the county 510411) and their tokens:
#   - no anonymous role: the whole flow with two browsers, enterprise A and the county (sign in,
#     download, upload an edited drawing, its differences on the map and its check, submit; the
#     queue, approve with a note; approved, the note, the new element on the map), enterprise B
#     seeing none of it, the reject path (a stale drawing's 409, a note required), refused uploads;
#   - --anonymous-role (a reader): the public map, a bad token, signing in and out, English;
#   - --auth none: no sign-in at all.
# Screenshots (review-*.png) are left in tests/browser/screenshots/ for a person to look at.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
. "$here/../lib/auth.sh"
root=$(cd "$here/../.." && pwd)
db=viewer_review_db
shots=$root/tests/browser/screenshots

browser_ready

suite_begin "$db"
auth_members vreview
export TOKEN_ENT8 TOKEN_ENT9 TOKEN_COUNTY
export ROLE_ENT8=vreview_ent8 ROLE_COUNTY=vreview_county
rm -f "$shots"/review-*.png

echo "# --auth token, no anonymous role: the whole flow, two browsers"
auth_server review --www "$root/tileserver/www"
suite_browser review.test.mjs token

echo "# --auth token with an anonymous role: the public map, signing in and out"
auth_server review_anon --www "$root/tileserver/www" --anonymous-role vreview_anon
suite_browser review.test.mjs anon

echo "# --auth none: nothing to sign in to"
suite_server review_none --www "$root/tileserver/www"
suite_browser review.test.mjs none
suite_end
