#!/usr/bin/env bash
# The write API (design §9) end to end, with --auth token (tests/lib/auth.sh): an enterprise
# downloads its pond as a drawing, sends it back (201, Location), sees it with its diff and its
# check, submits it; the county approves, and the map, the tiles and the change log show it;
# the statuses: 401, 403 (42501: an enterprise reviewing, --auth none writing), 404 (a
# submission or pond out of scope), 409 (40001: a draft made stale by another approval), 413,
# 415, 422 (22023/23514 with the database's message, and a bad drawing's feature index), 400
# (not JSON, a NUL byte, no body), 405; and the body limit (--max-body-mb 1): a declared length
# over it answered 413 before the body is sent, a chunked body once its chunks pass it, a
# pipelined request after a good one, exactly 1 MiB taken.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
. "$here/../lib/auth.sh"
suite_begin http_write_db
auth_members write
J='Content-Type: application/json'
G='Content-Type: application/geo+json'
post() {   # post TOKEN PATH [CURL ARGS...]: POST as TOKEN
	local t=$1 p=$2
	shift 2
	as "$t" -X POST "$@" "$p"
}
err() { json_q "$BODY" "[d['status'], d.get('sqlstate'), d.get('feature_index')]" 2>/dev/null; }

echo "# --auth none only reads"
suite_server none --pool 2
fetch -X POST -H "$J" --data '{}' /api/ponds/8/submissions
expect_eq "POST with --auth none: 403 JSON" "$ST $(json_q "$BODY" 'd["status"]')" "403 403"
http_stop

auth_server write --pool 2 --max-body-mb 1
echo "# the drawing: download, send back, look at"
as "$TOKEN_ENT8" "/api/ponds/8/geojson?for=drawing"
expect_eq "the pond as a drawing: 200 GeoJSON, an attachment" \
	"$ST | $(hdr Content-Type) | $(hdr Content-Disposition)" \
	'200 | application/geo+json; charset=utf-8 | attachment; filename="pond-8.geojson"'
cp "$BODY" "$HTTP_WORK/pond8.geojson"
n=$(json_q "$BODY" 'len(d["features"])')
check "... a FeatureCollection of the pond's elements ($n), with the properties a drawing reads" \
	test "$(json_q "$BODY" 'd["type"] == "FeatureCollection" and all("kind" in f["properties"] and "id" in f["properties"] for f in d["features"])')" = true
as "$TOKEN_ENT8" "/api/ponds/8/geojson?for=everything"
expect_eq "?for= something else: 400" "$ST" 400
as "$TOKEN_ENT9" "/api/ponds/8/geojson?for=drawing"
expect_eq "enterprise 9 asks for pond 8's drawing: 404" "$ST" 404
post "$TOKEN_ENT8" /api/ponds/8/submissions -H "$G" --data-binary "@$HTTP_WORK/pond8.geojson"
expect_eq "the drawing sent back: 201 draft" "$ST $(json_q "$BODY" '[d["pond_id"], d["status"]]')" '201 [8, "draft"]'
s1=$(json_q "$BODY" 'd["id"]')
expect_eq "... Location: the new submission, readable across origins" \
	"$(hdr Location) $(hdr Access-Control-Expose-Headers)" "$HTTP_URL/api/submissions/$s1 Location"
fetch -H "Authorization: Bearer $TOKEN_ENT8" "$(hdr Location | sed "s|^$HTTP_URL||")"
expect_eq "the submission: draft, its author, every feature the same as the map" \
	"$ST $(json_q "$BODY" '[d["status"], d["created_by"], sorted(set(x["op"] for x in d["diff"])), len(d["diff"]), d["feature_count"]]')" \
	"200 [\"draft\", \"write_ent8\", [\"same\"], $n, $n]"
check "... the check of the map it would make (rules, each passed or not)" \
	test "$(json_q "$BODY" 'len(d["check"]) > 0 and all("rule" in c and "passed" in c for c in d["check"])')" = true
check "... and the drawing itself" test "$(json_q "$BODY" 'len(d["features"]["features"])')" = "$n"
as "$TOKEN_ENT9" "/api/submissions/$s1"
expect_eq "enterprise 9 asks for it: 404" "$ST" 404
list() { as "$1" "/api/submissions${2:-}"; json_q "$BODY" '[s["id"] for s in d]'; }
expect_eq "the list: enterprise 8 sees it" "$(list "$TOKEN_ENT8")" "[$s1]"
expect_eq "... the county sees it" "$(list "$TOKEN_COUNTY")" "[$s1]"
expect_eq "... enterprise 9 sees nothing" "$(list "$TOKEN_ENT9")" "[]"
expect_eq "... ?status=draft&pond=8" "$(list "$TOKEN_COUNTY" '?status=draft&pond=8')" "[$s1]"
expect_eq "... ?status=submitted" "$(list "$TOKEN_COUNTY" '?status=submitted')" "[]"
as "$TOKEN_COUNTY" '/api/submissions?status=lost'
expect_eq "... ?status= no status: 400" "$ST" 400

echo "# bad drawings and bodies"
"$PY" - "$HTTP_WORK/pond8.geojson" "$HTTP_WORK/bad.geojson" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["features"][3]["properties"]["kind"] = "no_such_kind"
json.dump(d, open(sys.argv[2], "w"))
EOF
post "$TOKEN_ENT8" /api/ponds/8/submissions -H "$J" --data-binary "@$HTTP_WORK/bad.geojson"
expect_eq "an unknown kind in features[3]: 422, 22023, feature_index 3" "$(err)" '[422, "22023", 3]'
expect_match "... the database's message names it" "$(json_q "$BODY" 'd["error"]')" 'features\[3\].*no_such_kind'
post "$TOKEN_ENT8" /api/ponds/8/submissions -H "$J" --data-binary '{"type": "FeatureCollection", "features": [1'
expect_eq "not JSON: 400, 22P02" "$(err)" '[400, "22P02", null]'
post "$TOKEN_ENT8" /api/ponds/8/submissions -H 'Content-Type: text/plain' --data-binary '{}'
expect_eq "Content-Type text/plain: 415" "$ST" 415
post "$TOKEN_ENT8" /api/ponds/8/submissions -H "$J"
expect_eq "no body: 400" "$ST" 400
printf '{"type":"FeatureCollection","features":[]}\0{}' >"$HTTP_WORK/nul.json"
post "$TOKEN_ENT8" /api/ponds/8/submissions -H "$J" --data-binary "@$HTTP_WORK/nul.json"
expect_eq "a NUL byte in the body: 400" "$ST" 400
post "$TOKEN_ENT9" /api/ponds/8/submissions -H "$J" --data-binary "@$HTTP_WORK/pond8.geojson"
expect_eq "enterprise 9 draws pond 8: 404 (it cannot see it)" "$(err)" '[404, "P0002", null]'
post "" /api/ponds/8/submissions -H "$J" --data-binary "@$HTTP_WORK/pond8.geojson"
expect_eq "no token: 401" "$ST" 401
as "$TOKEN_ENT8" /api/ponds/8/submissions
expect_eq "GET on the submissions of a pond: 405, Allow: POST" "$ST $(hdr Allow)" "405 POST, OPTIONS"
post "$TOKEN_ENT8" /api/submissions
expect_eq "POST on the list: 405" "$ST" 405
post "$TOKEN_ENT8" "/api/submissions/$s1/publish"
expect_eq "an unknown step: 404" "$ST" 404

echo "# the review"
post "$TOKEN_ENT8" "/api/submissions/$s1/approve"
expect_eq "the author approves its draft: 422 (no such move), 23514" "$(err)" '[422, "23514", null]'
post "$TOKEN_COUNTY" "/api/submissions/$s1/submit"
expect_eq "the county submits another's draft: 403 (42501)" "$(err)" '[403, "42501", null]'
post "$TOKEN_ENT8" "/api/submissions/$s1/submit"
expect_eq "the author submits: 200 submitted" "$ST $(json_q "$BODY" 'd')" "200 {\"id\": $s1, \"status\": \"submitted\"}"
post "$TOKEN_ENT8" "/api/submissions/$s1/approve" -H "$J" --data '{"note": "mine"}'
expect_eq "the author approves it: 403 (42501), the database's message" "$(err) $(json_q "$BODY" 'd["error"]')" \
	"[403, \"42501\", null] only a county, city or province reviewer with pond 8 in scope can approve submission $s1"
post "$TOKEN_ENT9" "/api/submissions/$s1/approve"
expect_eq "enterprise 9 approves it: 404 (it cannot see it)" "$ST" 404
post "$TOKEN_COUNTY" "/api/submissions/$s1/reject" -H "$J" --data '{}'
expect_eq "the county rejects without a note: 422" "$(err)" '[422, "23514", null]'
post "$TOKEN_COUNTY" "/api/submissions/$s1/reject" -H "$J" --data '{"note": 5'
expect_eq "a note that is no JSON: 400" "$ST" 400
post "$TOKEN_COUNTY" "/api/submissions/$s1/reject" -H "$J" --data '{"note": "请补充 JC2 的监测井井深"}'
expect_eq "the county rejects with a note: 200 rejected" "$ST $(json_q "$BODY" 'd["status"]')" "200 rejected"
as "$TOKEN_ENT8" "/api/submissions/$s1"
expect_eq "... the author reads the note and the reviewer" "$(json_q "$BODY" '[d["status"], d["review_note"], d["reviewed_by"]]')" \
	'["rejected", "请补充 JC2 的监测井井深", "write_county"]'

echo "# approved: the map, the tiles, the change log; a stale draft: 409"
"$PY" - "$HTTP_WORK/pond8.geojson" "$HTTP_WORK/moved.geojson" "$HTTP_WORK/renamed.geojson" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
well = next(f for f in d["features"] if "JC2" in (f["properties"].get("name") or ""))
well["geometry"]["coordinates"][0] += 0.0005
json.dump(d, open(sys.argv[2], "w"))
d = json.load(open(sys.argv[1]))
well = next(f for f in d["features"] if "JC2" in (f["properties"].get("name") or ""))
well["properties"]["name"] = "地下水监视井 JC2（新）"
json.dump(d, open(sys.argv[3], "w"))
EOF
post "$TOKEN_ENT8" /api/ponds/8/submissions -H "$G" --data-binary "@$HTTP_WORK/moved.geojson"
s2=$(json_q "$BODY" 'd["id"]')
post "$TOKEN_ENT8" /api/ponds/8/submissions -H "$G" --data-binary "@$HTTP_WORK/renamed.geojson"
s3=$(json_q "$BODY" 'd["id"]')
as "$TOKEN_ENT8" "/api/submissions/$s2"
expect_eq "the moved well: one move in the diff" "$(json_q "$BODY" '[x["op"] for x in d["diff"] if x["op"] != "same"]')" '["move"]'
post "$TOKEN_ENT8" "/api/submissions/$s2/submit"
post "$TOKEN_ENT8" "/api/submissions/$s3/submit"
expect_eq "two drafts from the same map, both submitted" "$ST $(list "$TOKEN_COUNTY" '?status=submitted')" "200 [$s3, $s2]"
as "$TOKEN_ENT8" /tiles/all/14/12824/6942.mvt
tile_before=$HTTP_WORK/tile_before.mvt
cp "$BODY" "$tile_before"
post "$TOKEN_COUNTY" "/api/submissions/$s2/approve" -H "$J" --data '{"note": "核实无误"}'
expect_eq "the county approves the move: 200 approved" "$ST $(json_q "$BODY" 'd["status"]')" "200 approved"
expect_eq "the change log: the move, by the county's officer, with the submission" \
	"$(q -d "$db" -c "SELECT format('%s %s %s', actor, op, submission_id) FROM tailings.change_log WHERE submission_id = $s2")" \
	"东区生态环境局 王工 U $s2"
check "the tile of pond 8 changes for enterprise 8 (the change reached the cache)" \
	wait_until 10 eval 'as "$TOKEN_ENT8" /tiles/all/14/12824/6942.mvt; ! cmp -s "$BODY" "$tile_before"'
post "$TOKEN_COUNTY" "/api/submissions/$s3/approve"
expect_eq "the other draft, now stale: 409 (40001)" "$(err)" '[409, "40001", null]'
expect_match "... naming what changed" "$(json_q "$BODY" 'd["detail"]')" '^Changed since: '
post "$TOKEN_ENT8" "/api/submissions/$s3/withdraw"
expect_eq "its author withdraws it: 200 withdrawn" "$ST $(json_q "$BODY" 'd["status"]')" "200 withdrawn"
post "$TOKEN_COUNTY" /api/submissions/999999/approve
expect_eq "an unknown submission: 404, P0002" "$(err)" '[404, "P0002", null]'

echo "# the body limit: 1 MiB"
"$PY" - "$HTTP_WORK/pond8.geojson" "$HTTP_WORK/exact.geojson" <<'EOF'
import sys
body = open(sys.argv[1], "rb").read().rstrip()
open(sys.argv[2], "wb").write(body + b" " * (1024 * 1024 - len(body)))
EOF
post "$TOKEN_ENT8" /api/ponds/8/submissions -H "$G" --data-binary "@$HTTP_WORK/exact.geojson"
expect_eq "a drawing of exactly 1 MiB: taken (201)" "$ST" 201
printf ' ' >>"$HTTP_WORK/exact.geojson"
post "$TOKEN_ENT8" /api/ponds/8/submissions -H "$G" --data-binary "@$HTTP_WORK/exact.geojson"
expect_eq "1 MiB and a byte: 413 JSON" "$ST $(hdr Content-Type) $(json_q "$BODY" 'd["status"]')" "413 application/json 413"
raw_413() {   # raw_413 MODE: send a head (and what MODE adds), read the answer without sending more
	"$PY" - "$HTTP_PORT" "$1" "$TOKEN_ENT8" <<'EOF'
import re, socket, sys
port, mode, token = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", port))
s.settimeout(5)
head = ("POST /api/ponds/8/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Authorization: Bearer %s\r\n" % token).encode()
if mode == "length":      # the head alone: a body of 50 MiB declared, none sent
    s.sendall(head + b"Content-Length: 52428800\r\n\r\n")
elif mode == "chunked":   # chunks of 64 KiB until the server answers
    s.sendall(head + b"Transfer-Encoding: chunked\r\n\r\n")
    try:
        for _ in range(64):
            s.sendall(b"10000\r\n" + b" " * 65536 + b"\r\n")
    except OSError:
        pass
elif mode == "pipelined":  # a good request, then one too large, in one write
    s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + head + b"Content-Length: 2097152\r\n\r\n{")
data = b""
try:
    while True:
        got = s.recv(65536)
        if not got:
            break
        data += got
except OSError:
    pass
text = data.decode("latin-1")
print(" ".join(re.findall(r"HTTP/1\.1 (\d{3}) ", text)),
      "json" if '"status":413' in text else "no-json", "closed" if not got else "open")
EOF
}
expect_eq "a declared 50 MiB: 413 JSON before the body, connection closed" "$(raw_413 length)" "413 json closed"
expect_eq "a chunked body past 1 MiB: 413 JSON, closed" "$(raw_413 chunked)" "413 json closed"
expect_eq "pipelined after a good request: 200, then 413 JSON" "$(raw_413 pipelined)" "200 413 json closed"
curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN_ENT8" -H "$J" \
	--data-binary "@$HTTP_WORK/exact.geojson" "$HTTP_URL/api/ponds/8/submissions" >"$HTTP_WORK/expect.st"
expect_eq "curl's Expect: 100-continue with a body too large: 413" "$(cat "$HTTP_WORK/expect.st")" 413
expect_match "metrics: bodies refused" "$(metric tailings_bodies_refused_total)" '^[4-9]$'
fetch /health
expect_eq "the server is fine after all that" "$ST" 200
http_stop
expect_eq "the server stopped cleanly" "$HTTP_RC" 0
suite_end
