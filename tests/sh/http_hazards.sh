#!/usr/bin/env bash
# Hazards, their checks, the city's hazard board, the pond's file, its ledger and papers over HTTP
# (design §8, §9; notes api13), with --auth token and tests/lib/auth.sh's members:
#   - the closed loop: enterprise 8 records a hazard its self-check found (201, Location, the
#     member's name and level), starts and finishes the rectification; the county's check fails it
#     (back to rectifying, the note kept, rectified_on cleared); rectified again; the city's check
#     passes (closed); every answer is the object its GET gives; the change log names each actor;
#   - every refusal with its status and JSON body: an enterprise's check 403, a bureau writing the
#     rectification 403, an illegal move 422 naming the allowed moves, another enterprise's hazard
#     404, bad JSON 400, a wrong content type 415, a body over --max-body-mb 413, an unknown hazard
#     404, a field that is none 422, a missing description 422 (23502), lon without lat 422, 405;
#   - the board: scope (the county sees its county only, the city all of 5104), overdue first then
#     by deadline, each filter against the database, days overdue; ?format=csv (a BOM, a header,
#     RFC 4180, CRLF, the JSON's rows in its order, Chinese text, a description with a comma, a
#     quote and a line break, a cell that would be a formula written as text) and ?format=geojson
#     (the hazards with a position, at the hazard's coordinates);
#   - the pond's file (its keys, 404 out of scope, ?lang=en; as the first statement of a connection,
#     before the extension's library is loaded and its setting tailings.language known), the ledger (PUT 201 then 200, 403 for
#     a bureau, 422 for a negative amount) and the papers (POST, PATCH, DELETE by a bureau only).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
. "$here/../lib/auth.sh"
suite_begin http_hazards_db
auth_members hz
J='Content-Type: application/json'
err() { json_q "$BODY" "[d['status'], d.get('sqlstate')]" 2>/dev/null; }
send() {   # send TOKEN METHOD PATH [BODY]: a JSON body (none when absent)
	local t=$1 m=$2 p=$3
	if [ $# -ge 4 ]; then as "$t" -X "$m" -H "$J" --data-binary "$4" "$p"; else as "$t" -X "$m" "$p"; fi
}
same_as_get() {   # same_as_get TOKEN PATH: the last answer is the object GET PATH gives
	cp "$BODY" "$HTTP_WORK/written.json"
	as "$1" "$2"
	"$PY" -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
		"$HTTP_WORK/written.json" "$BODY"
}
today=$(q -d "$db" -c "SELECT current_date")
jc2=$(q -d "$db" -c "SELECT id FROM tailings.element WHERE pond_id = 8 AND name = '地下水监视井 JC2'")
[ -n "$jc2" ] || die "no well JC2 at pond 8"

echo "# the file as a connection's first statement (the extension's library not loaded yet)"
suite_server first --pool 1
fetch /api/ponds/8/file
expect_eq "GET /api/ponds/8/file first: 200, in the default language" "$ST $(json_q "$BODY" 'd["basic"]["status_label"]')" "200 在用"
http_stop

auth_server hazards --pool 2 --max-body-mb 1

echo "# the closed loop: found, rectified, checked"
send "$TOKEN_ENT8" POST /api/ponds/8/hazards \
	"{\"element_id\": $jc2, \"lon\": 101.7981591, \"lat\": 26.4620911, \"description\": \"JC2 井口保护盖缺失，雨水可灌入\",
	  \"severity\": \"major\", \"category\": \"groundwater\", \"deadline\": \"2099-06-30\"}"
expect_eq "enterprise 8 records its self-check's hazard: 201" "$ST" 201
h1=$(json_q "$BODY" 'd["id"]')
expect_eq "... Location: the new hazard, readable across origins" "$(hdr Location) $(hdr Access-Control-Expose-Headers)" \
	"$HTTP_URL/api/hazards/$h1 Location"
expect_eq "... open, found today by the member at its level, its element named, no checks" \
	"$(json_q "$BODY" '[d["status"], d["found_on"], d["found_by"], d["found_level"], d["element_name"], d["checks"], d["overdue"], d["days_overdue"]]')" \
	"[\"open\", \"$today\", \"龙佰 安全员\", \"enterprise\", \"地下水监视井 JC2\", [], false, null]"
expect_eq "... at the position given" "$(json_q "$BODY" '[d["lon"], d["lat"]]')" "[101.7981591, 26.4620911]"
check "... the same object as GET /api/hazards/$h1" same_as_get "$TOKEN_ENT8" "/api/hazards/$h1"
expect_eq "... Cache-Control: no-store" "$(hdr Cache-Control)" no-store
send "$TOKEN_ENT8" PATCH "/api/hazards/$h1" '{"status": "rectifying"}'
expect_eq "the enterprise starts the rectification: 200 rectifying" "$ST $(json_q "$BODY" 'd["status"]')" "200 rectifying"
send "$TOKEN_ENT8" PATCH "/api/hazards/$h1" "{\"status\": \"rectified\", \"rectification\": \"加装井口保护盖\", \"rectified_on\": \"$today\"}"
expect_eq "... and finishes it: 200 rectified, with what was done" \
	"$ST $(json_q "$BODY" '[d["status"], d["rectification"], d["rectified_on"]]')" "200 [\"rectified\", \"加装井口保护盖\", \"$today\"]"
check "... the same object as its GET" same_as_get "$TOKEN_ENT8" "/api/hazards/$h1"
send "$TOKEN_COUNTY" POST "/api/hazards/$h1/checks" '{"passed": false, "note": "保护盖未上锁"}'
expect_eq "the county's check fails it: 201, the check at the county's level, the hazard back to rectifying" \
	"$ST $(json_q "$BODY" '[d["hazard_id"], d["passed"], d["level"], d["checked_by"], d["note"], d["checked_on"], d["hazard_status"]]')" \
	"201 [$h1, false, \"county\", \"东区生态环境局 王工\", \"保护盖未上锁\", \"$today\", \"rectifying\"]"
c1=$(json_q "$BODY" 'd["id"]')
expect_eq "... Location: the check" "$(hdr Location)" "$HTTP_URL/api/hazards/$h1/checks/$c1"
check "... the same object as its GET" same_as_get "$TOKEN_COUNTY" "/api/hazards/$h1/checks/$c1"
as "$TOKEN_ENT8" "/api/hazards/$h1"
expect_eq "the enterprise sees it rectifying, rectified_on cleared, the county's note in its checks" \
	"$(json_q "$BODY" '[d["status"], d["rectified_on"], [(c["level"], c["passed"], c["note"]) for c in d["checks"]]]')" \
	'["rectifying", null, [["county", false, "保护盖未上锁"]]]'
send "$TOKEN_ENT8" PATCH "/api/hazards/$h1" "{\"status\": \"rectified\", \"rectification\": \"加装带锁保护盖\", \"rectified_on\": \"$today\"}"
expect_eq "rectified again: 200" "$ST $(json_q "$BODY" 'd["status"]')" "200 rectified"
send "$TOKEN_CITY" POST "/api/hazards/$h1/checks" '{"passed": true, "note": "已上锁，合格"}'
expect_eq "the city's check passes it: 201, closed" \
	"$ST $(json_q "$BODY" '[d["level"], d["checked_by"], d["passed"], d["hazard_status"]]')" \
	'201 ["city", "攀枝花市生态环境局 李科长", true, "closed"]'
as "$TOKEN_ENT8" "/api/hazards/$h1/checks"
expect_eq "its checks, oldest first" "$ST $(json_q "$BODY" '[(c["level"], c["passed"]) for c in d]')" \
	'200 [["county", false], ["city", true]]'
as "$TOKEN_ENT8" /api/ponds/8/hazards
expect_eq "the pond's hazards: the closed one, with its checks" \
	"$ST $(json_q "$BODY" "[(h['id'], h['status'], len(h['checks'])) for h in d if h['id'] == $h1]")" "200 [[$h1, \"closed\", 2]]"
expect_eq "the change log: each step by its actor" \
	"$(q -d "$db" -c "SELECT string_agg(format('%s %s %s', replace(table_name, 'tailings.', ''), op, actor), '; ' ORDER BY id)
		FROM tailings.change_log WHERE (table_name = 'tailings.hazard' AND row_id = $h1)
		OR (table_name = 'tailings.hazard_check' AND (new_row->>'hazard_id')::bigint = $h1)")" \
	"hazard I 龙佰 安全员; hazard U 龙佰 安全员; hazard U 龙佰 安全员; hazard_check I 东区生态环境局 王工; hazard U 东区生态环境局 王工; hazard U 龙佰 安全员; hazard_check I 攀枝花市生态环境局 李科长; hazard U 攀枝花市生态环境局 李科长"
as "$TOKEN_COUNTY" /api/ponds/8
expect_eq "... and the pond's recent changes over HTTP name them" \
	"$(json_q "$BODY" 'sorted(set(c["actor"] for c in d["recent_changes"] if c["table"] in ("tailings.hazard", "tailings.hazard_check")))')" \
	'["东区生态环境局 王工", "攀枝花市生态环境局 李科长", "龙佰 安全员"]'

echo "# refusals"
send "$TOKEN_ENT8" POST /api/ponds/8/hazards '{"description": "尾矿库排洪井盖板裂缝", "deadline": "2099-01-01"}'
h2=$(json_q "$BODY" 'd["id"]')
expect_eq "a second hazard, no position: 201, general by default, no lon/lat" \
	"$ST $(json_q "$BODY" '[d["severity"], d["lon"], d["lat"]]')" "201 [\"general\", null, null]"
send "$TOKEN_ENT8" POST "/api/hazards/$h2/checks" '{"passed": true}'
expect_eq "the enterprise records a check: 403 JSON (42501)" "$(err)" '[403, "42501"]'
send "$TOKEN_COUNTY" PATCH "/api/hazards/$h2" '{"rectification": "县局代写"}'
expect_eq "the county writes the rectification: 403 (42501)" "$(err)" '[403, "42501"]'
send "$TOKEN_ENT8" PATCH "/api/hazards/$h2" '{"status": "closed"}'
expect_eq "open -> closed: 422 (23514)" "$(err)" '[422, "23514"]'
expect_eq "... the database's message names the move" "$(json_q "$BODY" 'd["error"]')" "hazard $h2 cannot go from open to closed"
expect_match "... the detail names the allowed moves" "$(json_q "$BODY" 'd["detail"]')" 'From open it moves to rectifying'
send "$TOKEN_ENT8" PATCH "/api/hazards/$h2" '{"status": "rectifying", "rectified_on": "2020-01-01"}'
expect_eq "rectified_on before rectified: 422" "$(err)" '[422, "23514"]'
send "$TOKEN_COUNTY" POST "/api/hazards/$h2/checks" '{"passed": false}'
expect_eq "a failed check without a note: 422" "$(err)" '[422, "23514"]'
send "$TOKEN_COUNTY" POST "/api/hazards/$h2/checks" '{"note": "?"}'
expect_eq "a check that does not say whether it passed: 422 (23502)" "$(err)" '[422, "23502"]'
send "$TOKEN_COUNTY" PATCH "/api/hazards/$h1" '{"deadline": "2099-12-31"}'
expect_eq "a closed hazard changed: 422, final" "$(err) $(json_q "$BODY" 'd["detail"]')" \
	"[422, \"23514\"] A hazard moves open -> rectifying -> rectified -> closed, and from rectified back to rectifying when a check fails. Closed is final: a new finding is a new hazard."
for p in "/api/hazards/$h2" "/api/hazards/$h2/checks" "/api/hazards/$h1/checks/$c1" /api/ponds/8/hazards; do
	as "$TOKEN_ENT9" "$p"
	expect_eq "enterprise 9 reads $p: 404 JSON" "$(err)" '[404, null]'
done
send "$TOKEN_ENT9" PATCH "/api/hazards/$h2" '{"status": "rectifying"}'
expect_eq "enterprise 9 moves enterprise 8's hazard: 404" "$ST" 404
as "$TOKEN_ENT8" "/api/hazards/$h2"
expect_eq "... which stays open" "$(json_q "$BODY" 'd["status"]')" open
send "$TOKEN_ENT8" POST /api/ponds/9/hazards '{"description": "x"}'
expect_eq "enterprise 8 records a hazard of pond 9: 404 (it cannot see it)" "$(err)" '[404, null]'
send "$TOKEN_ENT8" PATCH "/api/hazards/$h2" '{"status": "rectifying"'
expect_eq "bad JSON: 400 JSON" "$(err)" '[400, null]'
send "$TOKEN_ENT8" PATCH "/api/hazards/$h2" '{"status": "rectifying", "status": }'
expect_eq "... another: 400" "$ST" 400
as "$TOKEN_ENT8" -X PATCH -H 'Content-Type: text/plain' --data-binary '{"status": "rectifying"}' "/api/hazards/$h2"
expect_eq "Content-Type text/plain: 415 JSON" "$(err)" '[415, null]'
head -c 1100000 /dev/zero | tr '\0' ' ' >"$HTTP_WORK/big.json"
as "$TOKEN_ENT8" -X POST -H "$J" --data-binary "@$HTTP_WORK/big.json" /api/ponds/8/hazards
expect_eq "a body over --max-body-mb 1: 413 JSON" "$(err)" '[413, null]'
as "$TOKEN_COUNTY" /api/hazards/999999
expect_eq "an unknown hazard: 404 JSON" "$(err)" '[404, null]'
send "$TOKEN_COUNTY" PATCH /api/hazards/999999 '{"deadline": "2099-01-01"}'
expect_eq "... changed: 404 JSON" "$(err)" '[404, null]'
send "$TOKEN_COUNTY" POST /api/hazards/999999/checks '{"passed": false, "note": "x"}'
expect_eq "a check of an unknown hazard: 404" "$ST" 404
send "$TOKEN_ENT8" PATCH "/api/hazards/$h2" '{"state": "rectifying"}'
expect_eq "a field that is none: 422, the fields listed" "$(err) $(json_q "$BODY" 'd["detail"]')" \
	'[422, null] The fields are: status, rectification, rectified_on, deadline, description, severity, category, campaign, element_id, lon, lat.'
send "$TOKEN_ENT8" PATCH "/api/hazards/$h2" '{}'
expect_eq "a body that changes nothing: 422" "$(err)" '[422, null]'
send "$TOKEN_ENT8" PATCH "/api/hazards/$h2" '["status"]'
expect_eq "a body that is no object: 422" "$(err)" '[422, null]'
send "$TOKEN_ENT8" PATCH "/api/hazards/$h2"
expect_eq "no body: 400" "$(err)" '[400, null]'
send "$TOKEN_ENT8" POST /api/ponds/8/hazards '{"severity": "major"}'
expect_eq "a hazard without a description: 422 (23502)" "$(err)" '[422, "23502"]'
send "$TOKEN_ENT8" POST /api/ponds/8/hazards '{"description": "x", "lon": 101.79}'
expect_eq "lon without lat: 422" "$(err) $(json_q "$BODY" 'd["error"]')" '[422, null] a position is lon and lat together'
send "$TOKEN_ENT8" POST /api/ponds/8/hazards '{"description": "x", "lon": 101.656, "lat": 26.436}'
expect_match "a position 13 km from the pond: 422, the database's message" "$(err) $(json_q "$BODY" 'd["error"]')" \
	'^\[422, "23514"\] the location of a hazard of pond 8 lies 1[34]\.[0-9] km from the pond, more than 5 km$'
send "$TOKEN_ENT8" POST /api/ponds/8/hazards '{"description": "x", "found_level": "city"}'
expect_eq "an enterprise records a city's finding: 403" "$(err)" '[403, "42501"]'
send "$TOKEN_ENT8" POST /api/ponds/8/hazards '{"description": "x", "deadline": "someday"}'
expect_eq "a deadline that is no date: 400" "$(err)" '[400, "22007"]'
send "$TOKEN_ENT8" PUT "/api/hazards/$h2" '{}'
expect_eq "PUT on a hazard: 405, Allow: GET, HEAD, PATCH" "$ST $(hdr Allow)" "405 GET, HEAD, PATCH, OPTIONS"
send "$TOKEN_ENT8" DELETE /api/ponds/8/hazards
expect_eq "DELETE on a pond's hazards: 405, Allow: GET, HEAD, POST" "$ST $(hdr Allow)" "405 GET, HEAD, POST, OPTIONS"
send "" POST /api/ponds/8/hazards '{"description": "x"}'
expect_eq "no token: 401" "$ST" 401

echo "# the board"
# hazards the sample does not have: overdue ones, in a campaign, at pond 1 (county 510402), a
# description a CSV must quote, one a spreadsheet would take for a formula
q -d "$db" -c "INSERT INTO tailings.hazard (pond_id, found_on, found_by, found_level, campaign, severity, description,
		deadline, location)
	SELECT v.pond_id, current_date - 60, '市局 检查组', 'city', v.campaign, v.severity, v.description, current_date + v.due,
		CASE WHEN v.located THEN ST_SetSRID(ST_MakePoint(ST_X(p.location) + 0.0012345, ST_Y(p.location) - 0.0006789), 4490) END
	FROM (VALUES (9, '2025年汛前隐患排查', 'major', E'坝坡冲沟, 深约\"0.5 m\"\n需回填', -20, true),
	             (9, '2025年汛前隐患排查', 'general', '排水沟淤堵', -5, false),
	             (11, NULL, 'general', '=1+2 浸润线偏高', 30, true),
	             (11, NULL, 'major', '库尾违规堆放', -1, true),
	             (1, '2025年汛前隐患排查', 'major', '东区的坝体裂缝', -3, true)) v(pond_id, campaign, severity, description, due, located)
	JOIN tailings.pond p ON p.id = v.pond_id" >/dev/null || die "the board's hazards"
board() {   # board TOKEN [QUERY]: the board's JSON into $HTTP_WORK/board.json
	as "$1" "/api/hazards${2:-}"
	cp "$BODY" "$HTTP_WORK/board.json"
}
ids() { json_q "$HTTP_WORK/board.json" '[h["id"] for h in d]'; }
db_ids() {   # db_ids WHERE: the ids of the hazards that match, in the board's order (the superuser's view)
	q -d "$db" -c "SELECT coalesce(json_agg(h.id ORDER BY v.days_overdue IS NULL, h.deadline NULLS LAST, h.id), '[]')
		FROM tailings.hazard h JOIN tailings.pond p ON p.id = h.pond_id
		LEFT JOIN tailings.hazard_overdue v ON v.id = h.id WHERE $1" | tr -d ' ' | sed 's/,/, /g'
}
board "$TOKEN_COUNTY"
expect_eq "the county's board: every hazard of county 510411, overdue first, then by deadline" "$(ids)" \
	"$(db_ids "p.county_code = '510411'")"
expect_eq "... none of county 510402's" "$(json_q "$HTTP_WORK/board.json" 'sorted(set(h["county_code"] for h in d))')" '["510411"]'
expect_eq "... with pond, enterprise and the latest check, no checks list" \
	"$(json_q "$HTTP_WORK/board.json" '[sorted(set(("pond_code", "pond_name", "enterprise", "last_check") ) - set(h)) + (["checks"] if "checks" in h else []) for h in d][0]')" '[]'
expect_eq "... the closed hazard's latest check: the city's pass" \
	"$(json_q "$HTTP_WORK/board.json" "[(h['last_check']['level'], h['last_check']['passed']) for h in d if h['id'] == $h1]")" '[["city", true]]'
expect_eq "... days overdue: today minus the deadline, for those not closed past it" \
	"$(json_q "$HTTP_WORK/board.json" '[(h["overdue"], h["days_overdue"]) for h in d if h["found_by"] == "市局 检查组" and h["pond_id"] != 1]')" \
	'[[true, 20], [true, 5], [true, 1], [false, null]]'
board "$TOKEN_CITY"
expect_eq "the city's board: all of 5104, pond 1's included" "$(ids)" "$(db_ids "p.county_code LIKE '5104%'")"
board "$TOKEN_ENT9"
expect_eq "enterprise 9's board: pond 9's only" "$(ids)" "$(db_ids "h.pond_id = 9")"
board "$TOKEN_CITY" '?status=open,rectifying'
expect_eq "?status=open,rectifying" "$(ids)" "$(db_ids "h.status IN ('open', 'rectifying')")"
board "$TOKEN_CITY" '?status=closed'
expect_eq "?status=closed" "$(ids)" "$(db_ids "h.status = 'closed'")"
expect_eq "... the closed loop's hazard among them" "$(json_q "$HTTP_WORK/board.json" "$h1 in [h['id'] for h in d]")" true
board "$TOKEN_CITY" '?overdue=1'
expect_eq "?overdue=1: the view hazard_overdue's" "$(ids)" "$(db_ids "v.id IS NOT NULL")"
board "$TOKEN_CITY" '?overdue=0'
expect_eq "?overdue=0: the others" "$(ids)" "$(db_ids "v.id IS NULL")"
board "$TOKEN_CITY" '?county=510402'
expect_eq "?county=510402 (the city)" "$(ids)" "$(db_ids "p.county_code = '510402'")"
board "$TOKEN_COUNTY" '?county=510402'
expect_eq "... the county asks for another county's: none" "$(ids)" "[]"
board "$TOKEN_CITY" '?campaign=2025%E5%B9%B4%E6%B1%9B%E5%89%8D%E9%9A%90%E6%82%A3%E6%8E%92%E6%9F%A5'
expect_eq "?campaign=2025年汛前隐患排查" "$(ids)" "$(db_ids "h.campaign = '2025年汛前隐患排查'")"
board "$TOKEN_CITY" '?severity=major&overdue=1&pond=9'
expect_eq "?severity=major&overdue=1&pond=9" "$(ids)" "$(db_ids "h.severity = 'major' AND v.id IS NOT NULL AND h.pond_id = 9")"
check "... not none" test "$(json_q "$HTTP_WORK/board.json" 'len(d)')" -ge 1
for bad in 'status=lost' 'overdue=maybe' 'county=east' 'severity=minor' 'pond=x' 'format=xlsx'; do
	as "$TOKEN_CITY" "/api/hazards?$bad"
	expect_eq "?$bad: 400 JSON" "$(err)" '[400, null]'
done

echo "# the board as CSV"
board "$TOKEN_CITY"
as "$TOKEN_CITY" '/api/hazards?format=csv'
expect_eq "?format=csv: 200 text/csv, an attachment hazards.csv, no-store" \
	"$ST | $(hdr Content-Type) | $(hdr Content-Disposition) | $(hdr Cache-Control)" \
	'200 | text/csv; charset=utf-8 | attachment; filename="hazards.csv" | no-store'
expect_eq "... starts with the UTF-8 byte order mark" "$(head -c 3 "$BODY" | od -An -tx1 | tr -d ' ')" efbbbf
"$PY" - "$BODY" "$HTTP_WORK/board.json" >"$HTTP_WORK/csv.txt" <<'EOF'
import csv, io, json, sys
raw = open(sys.argv[1], "rb").read()
board = json.load(open(sys.argv[2], encoding="utf-8"))
text = raw.decode("utf-8-sig")
rows = list(csv.DictReader(io.StringIO(text, newline="")))
first = text.split("\r\n", 1)[0]
print("header", first)
print("rows", len(rows), len(board))
print("ids", [int(r["id"]) for r in rows] == [h["id"] for h in board])
print("crlf", raw.count(b"\r\n") == len(rows) + 1, raw.endswith(b"\r\n"))
byid = {int(r["id"]): r for r in rows}
same = True
for h in board:
    r = byid[h["id"]]
    for k in ("description", "pond_name", "enterprise", "found_by", "status", "campaign", "deadline"):
        want = "" if h[k] is None else str(h[k])
        if want.startswith("="):
            want = "'" + want
        if r[k] != want:
            same = False
            print("differs", h["id"], k, repr(r[k]), repr(want))
    if (r["lon"], r["lat"]) != ("" if h["lon"] is None else repr(h["lon"]), "" if h["lat"] is None else repr(h["lat"])):
        same = False
        print("position differs", h["id"], r["lon"], h["lon"])
    if r["overdue"] != str(h["overdue"]).lower() or r["days_overdue"] != ("" if h["days_overdue"] is None else str(h["days_overdue"])):
        same = False
        print("overdue differs", h["id"])
print("same", same)
hard = [r["description"] for r in rows if r["description"].startswith("坝坡冲沟")]
print("hard", json.dumps(hard, ensure_ascii=False))
print("formula", json.dumps([r["description"] for r in rows if "浸润线" in r["description"]], ensure_ascii=False))
EOF
expect_eq "... the header: the board's fields, the latest check's as columns" "$(sed -n 's/^header //p' "$HTTP_WORK/csv.txt")" \
	'id,pond_id,element_id,element_name,lon,lat,found_on,found_by,found_level,campaign,category,severity,description,deadline,status,rectification,rectified_on,overdue,days_overdue,pond_code,pond_name,enterprise,county_code,last_checked_on,last_check_level,last_checked_by,last_check_passed,last_check_note'
n=$(json_q "$HTTP_WORK/board.json" 'len(d)')
expect_eq "... as many rows as the JSON ($n)" "$(sed -n 's/^rows //p' "$HTTP_WORK/csv.txt")" "$n $n"
expect_eq "... the same hazards in the same order" "$(sed -n 's/^ids //p' "$HTTP_WORK/csv.txt")" True
expect_eq "... lines end in CRLF" "$(sed -n 's/^crlf //p' "$HTTP_WORK/csv.txt")" "True True"
expect_eq "... every row's text as the JSON's (Chinese intact)" "$(sed -n 's/^same //p' "$HTTP_WORK/csv.txt")" True
expect_eq "... a description with a comma, quotes and a line break comes back whole" \
	"$(sed -n 's/^hard //p' "$HTTP_WORK/csv.txt")" '["坝坡冲沟, 深约\"0.5 m\"\n需回填"]'
expect_eq "... one that a spreadsheet would compute is text" "$(sed -n 's/^formula //p' "$HTTP_WORK/csv.txt")" "[\"'=1+2 浸润线偏高\"]"
grep -v '^same True' "$HTTP_WORK/csv.txt" | grep '^\(differs\|position\|overdue\)' | head -5
board "$TOKEN_COUNTY" '?overdue=1'
as "$TOKEN_COUNTY" '/api/hazards?format=csv&overdue=1'
expect_eq "... filtered as the JSON: the county's overdue hazards" \
	"$("$PY" -c 'import csv, io, sys; print([int(r["id"]) for r in csv.DictReader(io.StringIO(open(sys.argv[1], encoding="utf-8-sig", newline="").read()))])' "$BODY")" \
	"$(ids)"

echo "# the board as GeoJSON (the viewer's hazards layer)"
board "$TOKEN_CITY"
as "$TOKEN_CITY" '/api/hazards?format=geojson'
expect_eq "?format=geojson: 200 application/geo+json, a FeatureCollection" \
	"$ST $(hdr Content-Type) $(json_q "$BODY" 'd["type"]')" "200 application/geo+json; charset=utf-8 FeatureCollection"
expect_eq "... the hazards with a position, in the board's order" "$(json_q "$BODY" '[f["id"] for f in d["features"]]')" \
	"$(json_q "$HTTP_WORK/board.json" '[h["id"] for h in d if h["lon"] is not None]')"
check "... some have none (they are left out)" test "$(json_q "$HTTP_WORK/board.json" 'sum(h["lon"] is None for h in d)')" -ge 2
expect_eq "... each a Point at the hazard's coordinates" \
	"$(json_q "$BODY" '[(f["geometry"]["type"], f["geometry"]["coordinates"]) for f in d["features"]]')" \
	"$(json_q "$HTTP_WORK/board.json" '[("Point", [h["lon"], h["lat"]]) for h in d if h["lon"] is not None]')"
expect_eq "... properties: the board's fields but the position" \
	"$(json_q "$BODY" 'sorted(d["features"][0]["properties"])')" \
	"$(json_q "$HTTP_WORK/board.json" 'sorted(set(d[0]) - {"lon", "lat"})')"
expect_eq "... the values of the board's" \
	"$(json_q "$BODY" '[f["properties"]["description"] for f in d["features"]]')" \
	"$(json_q "$HTTP_WORK/board.json" '[h["description"] for h in d if h["lon"] is not None]')"
as "$TOKEN_ENT8" '/api/hazards?format=geojson&status=open,closed'
expect_eq "... in scope and filtered: enterprise 8's open and closed ones with a position" \
	"$(json_q "$BODY" '[f["id"] for f in d["features"]]')" \
	"$(db_ids "h.pond_id = 8 AND h.status IN ('open', 'closed') AND h.location IS NOT NULL")"
expect_eq "... the closed loop's hazard among them, not the open one without a position" \
	"$(json_q "$BODY" "[x in [f['id'] for f in d['features']] for x in ($h1, $h2)]")" "[true, false]"

echo "# the pond's file"
as "$TOKEN_ENT8" /api/ponds/8/file
expect_eq "GET /api/ponds/8/file: 200 JSON, no-store" "$ST $(hdr Content-Type) $(hdr Cache-Control)" \
	"200 application/json; charset=utf-8 no-store"
expect_eq "... the file's parts" "$(json_q "$BODY" 'sorted(d)')" \
	'["basic", "changes", "completeness", "documents", "facilities", "hazards", "inspections", "ledger", "monitoring"]'
expect_eq "... pond 8's, its hazards among them" \
	"$(json_q "$BODY" "[d['basic']['id'], sorted(h['id'] for h in d['hazards'] if h['id'] in ($h1, $h2))]")" "[8, [$h1, $h2]]"
q -d "$db" -c "SELECT tailings.pond_file(8)::text" >"$HTTP_WORK/file.sql.json"
expect_eq "... as tailings.pond_file(8) gives it (the sections that do not age)" \
	"$(json_q "$BODY" '[d["basic"]["code"], d["basic"]["status_label"], len(d["facilities"]), len(d["completeness"])]')" \
	"$(json_q "$HTTP_WORK/file.sql.json" '[d["basic"]["code"], d["basic"]["status_label"], len(d["facilities"]), len(d["completeness"])]')"
as "$TOKEN_ENT8" '/api/ponds/8/file?lang=en'
expect_eq "?lang=en: the labels in English" "$ST $(json_q "$BODY" 'd["basic"]["status_label"]')" "200 In use"
as "$TOKEN_ENT8" '/api/ponds/8/file?lang=zh'
expect_eq "?lang=zh: in Chinese" "$(json_q "$BODY" 'd["basic"]["status_label"]')" "在用"
as "$TOKEN_ENT9" /api/ponds/8/file
expect_eq "enterprise 9 asks for pond 8's file: 404 JSON" "$(err)" '[404, null]'
as "$TOKEN_COUNTY" /api/ponds/99999/file
expect_eq "an unknown pond's file: 404" "$ST" 404
as "$TOKEN_ENT8" '/api/ponds/8/file?lang=fr'
expect_eq "?lang=fr: 400" "$ST" 400

echo "# the ledger"
year=$(($(date +%Y) - 1))   # last year's, due by 31 January
q -d "$db" -c "DELETE FROM tailings.ledger WHERE pond_id = 8 AND year = $year" >/dev/null
send "$TOKEN_ENT8" PUT "/api/ponds/8/ledger/$year" '{"produced_t": 1200000, "stored_t": 950000, "reused_t": 250000, "stock_t": 8400000}'
expect_eq "enterprise 8 reports $year: 201, Location, reported today" \
	"$ST $(hdr Location) $(json_q "$BODY" '[d["pond_id"], d["year"], d["stored_t"], d["leachate_m3"], d["reported_on"]]')" \
	"201 $HTTP_URL/api/ponds/8/ledger/$year [8, $year, 950000, null, \"$today\"]"
check "... the same object as its GET" same_as_get "$TOKEN_COUNTY" "/api/ponds/8/ledger/$year"
send "$TOKEN_ENT8" PUT "/api/ponds/8/ledger/$year" '{"produced_t": 1200000, "stored_t": 960000, "reused_t": 250000, "stock_t": 8410000}'
expect_eq "... corrected: 200, no Location, the row replaced" "$ST [$(hdr Location)] $(json_q "$BODY" 'd["stored_t"]')" "200 [] 960000"
as "$TOKEN_COUNTY" /api/ponds/8/ledger
expect_eq "the county reads the ledger" "$ST $(json_q "$BODY" "[(l['year'], l['stock_t']) for l in d if l['year'] == $year]")" \
	"200 [[$year, 8410000]]"
send "$TOKEN_COUNTY" PUT "/api/ponds/8/ledger/$year" '{"produced_t": 1}'
expect_eq "the county reports it: 403" "$(err)" '[403, "42501"]'
send "$TOKEN_ENT9" PUT "/api/ponds/8/ledger/$year" '{"produced_t": 1}'
expect_eq "enterprise 9 reports pond 8's: 404" "$(err)" '[404, null]'
as "$TOKEN_COUNTY" "/api/ponds/8/ledger/$year"
expect_eq "... neither changed it" "$(json_q "$BODY" 'd["produced_t"]')" 1200000
send "$TOKEN_ENT8" PUT /api/ponds/8/ledger/2023 '{"reused_t": -5}'
expect_eq "a negative amount: 422 naming it" "$(err) $(json_q "$BODY" 'd["error"]')" \
	'[422, "23514"] reused_t of the 2023 ledger of pond 8 must be a number not below zero, not -5'
send "$TOKEN_ENT8" PUT "/api/ponds/8/ledger/$((year + 2))" '{"produced_t": 5}'
expect_eq "a year not yet begun: 422" "$(err)" '[422, "23514"]'
send "$TOKEN_ENT8" PUT "/api/ponds/8/ledger/$year" '{"tonnes": 5}'
expect_eq "an amount that is none: 422" "$(err)" '[422, null]'
as "$TOKEN_ENT8" /api/ponds/8/ledger/2019
expect_eq "a year not reported: 404" "$ST" 404

echo "# the papers"
send "$TOKEN_ENT8" POST /api/ponds/8/documents \
	'{"kind": "emergency_plan", "number": "510411-2024-017", "issued_on": "2024-03-01", "issuer": "攀枝花市生态环境局东区分局", "attrs": {"reviewed_on": "2025-03-01"}}'
expect_eq "enterprise 8 files its emergency plan: 201" "$ST $(json_q "$BODY" '[d["pond_id"], d["kind"], d["attrs"]]')" \
	'201 [8, "emergency_plan", {"reviewed_on": "2025-03-01"}]'
d1=$(json_q "$BODY" 'd["id"]')
expect_eq "... Location" "$(hdr Location)" "$HTTP_URL/api/documents/$d1"
check "... the same object as its GET" same_as_get "$TOKEN_COUNTY" "/api/documents/$d1"
send "$TOKEN_ENT8" PATCH "/api/documents/$d1" '{"valid_until": "2027-02-28"}'
expect_eq "... its validity added: 200, the rest kept" "$ST $(json_q "$BODY" '[d["number"], d["valid_until"]]')" \
	'200 ["510411-2024-017", "2027-02-28"]'
send "$TOKEN_ENT8" PATCH "/api/documents/$d1" '{"valid_until": "2020-01-01"}'
expect_eq "... valid until before its issue: 422" "$(err)" '[422, "23514"]'
send "$TOKEN_ENT8" POST /api/ponds/8/documents '{"kind": "permit"}'
expect_eq "a kind of paper that is none: 422" "$(err)" '[422, "23514"]'
send "$TOKEN_ENT9" PATCH "/api/documents/$d1" '{"number": "x"}'
expect_eq "enterprise 9 edits it: 404" "$ST" 404
as "$TOKEN_ENT8" /api/ponds/8/documents
expect_eq "the pond's papers, this one among them" "$ST $(json_q "$BODY" "[p['id'] for p in d if p['id'] == $d1]")" "200 [$d1]"
send "$TOKEN_ENT8" DELETE "/api/documents/$d1"
expect_eq "the enterprise removes it: 403" "$(err)" '[403, "42501"]'
send "$TOKEN_COUNTY" DELETE "/api/documents/$d1"
expect_eq "the county removes it (filed by mistake): 204, no body" "$ST $(stat -c %s "$BODY")" "204 0"
as "$TOKEN_COUNTY" "/api/documents/$d1"
expect_eq "... gone: 404" "$ST" 404
send "$TOKEN_COUNTY" DELETE "/api/documents/$d1"
expect_eq "... removed again: 404" "$ST" 404

fetch /metrics
check "metrics: no 500 counted" eval '! grep -E "status=\"5(00|04)\"" "$BODY"'
for e in pond_hazard_new hazard hazard_patch hazard_check_new hazards pond_file ledger_put document_delete; do
	check "metrics: requests of $e counted" grep -q "^tailings_http_requests_total{endpoint=\"$e\"," "$BODY"
done
http_stop
expect_eq "the server stopped cleanly" "$HTTP_RC" 0
check "stderr: nothing but the start, the stop and the body refused" \
	test -z "$(grep -vE '^tailings-tileserver: (listening on|SIGTERM|stopped|127\.0\.0\.1 sent a body over)' "$HTTP_ERR")"
suite_end
