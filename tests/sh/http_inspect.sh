#!/usr/bin/env bash
# Inspections on the ground, samples and monitoring over HTTP (design §8, /work/notes/api13.md "H2"),
# with --auth token (tests/lib/auth.sh): the county's inspector takes pond 8's checklist (from the
# registry point, every element once), records an inspection, visits all but two elements (one
# 40 m from where it is mapped); the inspection shows exactly those two as missed and that one to
# correct, about 40 m off; a visit sent again (the phone's offline queue) is 200 and changes
# nothing (no second row, no second change-log entry); the inspection is finished.  Who: the
# enterprise reads it but cannot record one (403), another enterprise and a county outside the
# pond's county get 404, a county cannot write a city's inspection (403).  Bad input: 422 naming
# the field (a state not among the four, named), an element of another pond 422 (in scope: the
# database's check) or 404 (out of scope: not to be seen).  Samples: the enterprise records its
# wells' values (µg/L judged in mg/L), manganese above class III exceeds in /monitoring, a bad
# parameter is 422, a second sample of the day 409.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
. "$here/../lib/auth.sh"
suite_begin http_inspect_db
auth_members insp
J='Content-Type: application/json'
send() {   # send METHOD TOKEN PATH [JSON]: the request with a JSON body (none when JSON is absent)
	local m=$1 t=$2 p=$3
	if [ $# -ge 4 ]; then as "$t" -X "$m" -H "$J" --data-binary "$4" "$p"; else as "$t" -X "$m" "$p"; fi
}
err() { json_q "$BODY" "[d['status'], d.get('field', d.get('sqlstate'))]" 2>/dev/null; }
today=$(q -d "$db" -c "SELECT current_date")
now=$("$PY" -c 'import datetime as t; print(t.datetime.now(t.timezone(t.timedelta(hours=8))).isoformat(timespec="seconds"))')
log_visits() { q -d "$db" -c "SELECT count(*) FROM tailings.change_log WHERE table_name = 'tailings.inspection_visit'"; }

auth_server inspect --pool 2

echo "# the checklist: from the registry point, every element once"
as "$TOKEN_COUNTY" /api/ponds/8/checklist
cp "$BODY" "$HTTP_WORK/checklist.json"
expect_eq "the county asks pond 8's checklist: 200 JSON, no-store" "$ST $(hdr Content-Type) $(hdr Cache-Control)" \
	"200 application/json; charset=utf-8 no-store"
ids=$(q -d "$db" -c "SELECT json_agg(id ORDER BY id) FROM tailings.element WHERE pond_id = 8")
expect_eq "... every element of the pond exactly once" "$(json_q "$BODY" 'sorted(c["element_id"] for c in d)')" \
	"$(json_q <(echo "$ids") 'd')"
expect_eq "... seq 1 to n in order" "$(json_q "$BODY" '[c["seq"] for c in d] == list(range(1, len(d) + 1))')" true
reg=$(q -d "$db" -c "SELECT json_build_array(ST_X(location), ST_Y(location)) FROM tailings.pond WHERE id = 8")
"$PY" - "$BODY" "$reg" >"$HTTP_WORK/walk.txt" <<'EOF'
import json, math, sys
stops, (x0, y0) = json.load(open(sys.argv[1])), json.loads(sys.argv[2])
kx, ky = 111320 * math.cos(math.radians(y0)), 110574   # metres per degree, near enough for a pond
def d(a, b): return math.hypot((a[0] - b[0]) * kx, (a[1] - b[1]) * ky)
pts = [(c["lon"], c["lat"]) for c in stops]
first = d(pts[0], (x0, y0))
walk = sum(d(a, b) for a, b in zip([(x0, y0)] + pts, pts))
by_id = [(c["lon"], c["lat"]) for c in sorted(stops, key=lambda c: c["element_id"])]
print("%.1f %.1f %d %d" % (first, min(d(p, (x0, y0)) for p in pts), walk, sum(d(a, b) for a, b in zip([(x0, y0)] + by_id, by_id))))
EOF
read -r first nearest walk by_id <"$HTTP_WORK/walk.txt"
echo "# first stop ${first} m from the registry point (nearest stop ${nearest} m); walk ${walk} m, in id order ${by_id} m"
expect_eq "... the walk starts at the stop nearest the registry point" "$first" "$nearest"
check "... within 50 m of it" test "${first%.*}" -lt 50
check "... and is shorter than visiting the elements in id order" test "$walk" -lt "$by_id"
as "$TOKEN_COUNTY" "/api/ponds/8/checklist?lang=en"
expect_eq "?lang=en: the kinds' labels in English" "$(json_q "$BODY" '[c["label"] for c in d if c["kind"] == "dam"][:1]')" '["Dam"]'
as "$TOKEN_ENT9" /api/ponds/8/checklist
expect_eq "enterprise 9 asks pond 8's checklist: 404" "$ST" 404

echo "# an inspection: recorded, visited, shown"
send POST "$TOKEN_COUNTY" /api/ponds/8/inspections '{"campaign": "2025年汛前检查"}'
iid=$(json_q "$BODY" 'd["id"]')
expect_eq "the county records an inspection of pond 8: 201, Location, readable across origins" \
	"$ST $(hdr Location) $(hdr Access-Control-Expose-Headers)" "201 $HTTP_URL/api/inspections/$iid Location"
expect_eq "... at its level, by its member's name, 42 elements to visit, none visited, not finished" \
	"$(json_q "$BODY" '[d["pond_id"], d["level"], d["inspector"], d["campaign"], d["started_on"], d["finished_on"], d["elements"], d["visited"], d["missed"], d["to_correct"], len(d["coverage"]), d["visits"]]')" \
	"[8, \"county\", \"东区生态环境局 王工\", \"2025年汛前检查\", \"$today\", null, 42, 0, 42, 0, 42, []]"
# the visits: every stop but the last two; the first point element's visit stands 40 m north of it
"$PY" - "$HTTP_WORK/checklist.json" "$now" "$HTTP_WORK/visits" <<'EOF'
import json, math, sys
stops, now, out = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
a, e2 = 6378137.0, 0.0066943800229
with open(out, "w") as f:
    far = None
    for c in stops[:-2]:
        lat = c["lat"]
        if far is None and c["kind"] in ("gw_monitoring_well", "gw_background_well", "sign", "monitoring_station"):
            far = c["element_id"]
            # 40 m north on the CGCS2000 ellipsoid: metres per degree of latitude there
            m = math.pi / 180 * a * (1 - e2) / (1 - e2 * math.sin(math.radians(lat)) ** 2) ** 1.5
            lat += 40 / m
        body = {"state": "normal", "visited_at": now, "lon": c["lon"], "lat": lat}
        f.write("%d\t%s\n" % (c["element_id"], json.dumps(body)))
print(far, file=open(out + ".far", "w"))
print(json.dumps(sorted(c["element_id"] for c in stops[-2:])), file=open(out + ".missed", "w"))
EOF
far=$(cat "$HTTP_WORK/visits.far")
missed=$(cat "$HTTP_WORK/visits.missed")
codes=
while IFS=$'\t' read -r eid body; do
	send PUT "$TOKEN_COUNTY" "/api/inspections/$iid/visits/$eid" "$body"
	codes+="$ST "
done <"$HTTP_WORK/visits"
expect_eq "40 visits PUT: 40 times 201" "$(printf '%s\n' $codes | sort | uniq -c | tr -s ' ')" " 40 201"
read -r eid body <"$HTTP_WORK/visits"
log_before=$(log_visits)
send PUT "$TOKEN_COUNTY" "/api/inspections/$iid/visits/$eid" "$body"
expect_eq "the first visit sent again (the same body): 200, the same visit" \
	"$ST $(json_q "$BODY" '[d["element_id"], d["state"]]')" "200 [$eid, \"normal\"]"
vid=$(json_q "$BODY" 'd["id"]')
expect_eq "... no second row" "$(q -d "$db" -c "SELECT count(*), min(id) FROM tailings.inspection_visit WHERE inspection_id = $iid AND element_id = $eid")" "1|$vid"
expect_eq "... no change-log entry (40 visits, 40 entries)" "$log_before $(log_visits)" "40 40"
last=$(cut -f1 "$HTTP_WORK/visits" | grep -vx -e "$far" -e "$eid" | tail -1)
send PUT "$TOKEN_COUNTY" "/api/inspections/$iid/visits/$last" '{"state": "abnormal", "note": "排水沟堵塞"}'
at1=$(json_q "$BODY" 'd["visited_at"]')
expect_eq "a correction without visited_at nor position: 200, abnormal, the note, no position" \
	"$ST $(json_q "$BODY" '[d["state"], d["note"], d["lon"], d["offset_m"]]')" '200 ["abnormal", "排水沟堵塞", null, null]'
expect_eq "... visited_at kept (the time of the visit, not of the correction)" \
	"$(json_q "$BODY" '__import__("datetime").datetime.fromisoformat(d["visited_at"]) == __import__("datetime").datetime.fromisoformat("'"$now"'")')" true
send PUT "$TOKEN_COUNTY" "/api/inspections/$iid/visits/$last" '{"state": "abnormal", "note": "排水沟堵塞"}'
expect_eq "... sent again: 200, visited_at the same, one change-log entry for the correction" \
	"$ST $(json_q "$BODY" 'd["visited_at"]') $(log_visits)" "200 $at1 41"
as "$TOKEN_COUNTY" "/api/inspections/$iid"
cp "$BODY" "$HTTP_WORK/inspection.json"
expect_eq "the inspection: 42 elements, 40 visited, 2 missed, 1 to correct" \
	"$(json_q "$BODY" '[d["elements"], d["visited"], d["missed"], d["to_correct"], len(d["visits"])]')" "[42, 40, 2, 1, 40]"
expect_eq "... the missed points are exactly the two not visited" \
	"$(json_q "$BODY" 'sorted(c["element_id"] for c in d["coverage"] if not c["visited"])')" "$missed"
expect_eq "... the one to correct is the visit 40 m off" \
	"$(json_q "$BODY" '[c["element_id"] for c in d["coverage"] if c["to_correct"]]')" "[$far]"
expect_match "... its offset about 40 m" "$(json_q "$BODY" '[c["offset_m"] for c in d["coverage"] if c["to_correct"]][0]')" '^(39\.[5-9]|40\.[0-4])[0-9]*$'
expect_eq "... every other visit within 1 m of its element" \
	"$(json_q "$BODY" 'all(v["offset_m"] is None or v["offset_m"] < 1 or v["element_id"] == '"$far"' for v in d["visits"])')" true
expect_eq "... the coverage carries each element's point" \
	"$(json_q "$BODY" 'all(isinstance(c["lon"], float) and isinstance(c["lat"], float) for c in d["coverage"])')" true
as "$TOKEN_COUNTY" /api/ponds/8/inspections
expect_eq "pond 8's inspections: this one, with its counts, without visits" \
	"$(json_q "$BODY" '[[i["id"], i["visited"], i["missed"], "visits" in i] for i in d]')" "[[$iid, 40, 2, false]]"

echo "# finished"
send PATCH "$TOKEN_COUNTY" "/api/inspections/$iid" "{\"finished_on\": \"$today\"}"
expect_eq "the county finishes it: 200, finished today, the same counts" \
	"$ST $(json_q "$BODY" '[d["finished_on"], d["visited"], d["missed"]]')" "200 [\"$today\", 40, 2]"
send PATCH "$TOKEN_COUNTY" "/api/inspections/$iid" '{"finished_on": "2025-02-30"}'
expect_eq "finished on 30 February: 422 naming finished_on" "$(err)" '[422, "finished_on"]'
send PATCH "$TOKEN_COUNTY" "/api/inspections/$iid" '{"finished_on": "2999-01-01"}'
expect_eq "finished in the future: 422 (the database's check)" "$(err)" '[422, "23514"]'
send PATCH "$TOKEN_COUNTY" "/api/inspections/$iid" '{"level": "province"}'
expect_eq "a field an inspection does not change: 422 naming it" "$(err)" '[422, "level"]'
send PATCH "$TOKEN_COUNTY" "/api/inspections/$iid"
expect_eq "PATCH without a body: 400" "$ST" 400

echo "# who sees and writes what"
send POST "$TOKEN_ENT8" /api/ponds/8/inspections '{}'
expect_eq "enterprise 8 records an inspection of its pond: 403" "$(err)" '[403, "42501"]'
as "$TOKEN_ENT8" "/api/inspections/$iid"
expect_eq "... but reads the county's: 200, the same coverage" \
	"$ST $(json_q "$BODY" '[d["visited"], d["missed"], d["to_correct"]]')" "200 [40, 2, 1]"
send PUT "$TOKEN_ENT8" "/api/inspections/$iid/visits/$eid" "$body"
expect_eq "... and cannot visit for it: 403" "$ST" 403
send PATCH "$TOKEN_ENT8" "/api/inspections/$iid" '{"finished_on": null}'
expect_eq "... nor reopen it: 403" "$ST" 403
for p in "/api/inspections/$iid" /api/ponds/8/inspections /api/ponds/8/checklist; do
	as "$TOKEN_ENT9" "$p"
	expect_eq "enterprise 9 asks $p: 404" "$ST $(json_q "$BODY" 'd["status"]')" "404 404"
done
as "$TOKEN_READER" "/api/inspections/$iid"
expect_eq "a reader sees it" "$ST $(json_q "$BODY" 'd["id"]')" "200 $iid"
send POST "$TOKEN_CITY" /api/ponds/16/inspections '{"started_on": "'"$today"'"}'
i16=$(json_q "$BODY" 'd["id"]')
expect_eq "the city records an inspection of pond 16 (county 510421): 201, at city level" \
	"$ST $(json_q "$BODY" '[d["pond_id"], d["level"]]')" "201 [16, \"city\"]"
as "$TOKEN_COUNTY" "/api/inspections/$i16"
expect_eq "the county of 510411 asks for it: 404" "$ST" 404
as "$TOKEN_COUNTY" /api/ponds/16/inspections
expect_eq "... pond 16's inspections: 404" "$ST" 404
send POST "$TOKEN_COUNTY" /api/ponds/16/inspections '{}'
expect_eq "... records one of pond 16: 404" "$(err)" '[404, null]'
send PUT "$TOKEN_COUNTY" "/api/inspections/$i16/visits/$eid" '{"state": "normal"}'
expect_eq "... visits for it: 404" "$ST" 404
send PATCH "$TOKEN_COUNTY" "/api/inspections/$i16" '{"finished_on": null}'
expect_eq "... finishes it: 404" "$ST" 404
send POST "$TOKEN_CITY" /api/ponds/8/inspections
i8city=$(json_q "$BODY" 'd["id"]')
expect_eq "the city inspects pond 8 too (no body: defaults): 201" "$ST $(json_q "$BODY" 'd["level"]')" "201 city"
send PUT "$TOKEN_COUNTY" "/api/inspections/$i8city/visits/$eid" '{"state": "normal"}'
expect_eq "the county visits for the city's inspection: 403" "$(err)" '[403, "42501"]'
send PATCH "$TOKEN_COUNTY" "/api/inspections/$i8city" "{\"finished_on\": \"$today\"}"
expect_match "... finishes it: 403, naming the level" "$(err) $(json_q "$BODY" 'd["error"]')" '^\[403, null\] .*city inspection'

echo "# bad visits"
V="/api/inspections/$iid/visits/$eid"
send PUT "$TOKEN_COUNTY" "$V" '{"state": "broken"}'
expect_eq "a state not among the four: 422 naming state" "$(err)" '[422, "state"]'
expect_match "... and the four" "$(json_q "$BODY" 'd["error"]')" 'normal, abnormal, out_of_service or not_found'
send PUT "$TOKEN_COUNTY" "$V" '{"lon": 101.79, "lat": 26.47}'
expect_eq "no state: 422 naming state" "$(err)" '[422, "state"]'
send PUT "$TOKEN_COUNTY" "$V" '{"state": "normal", "lon": 101.79}'
expect_eq "lon without lat: 422" "$(err)" '[422, "lon"]'
send PUT "$TOKEN_COUNTY" "$V" '{"state": "normal", "lon": "101.79", "lat": 26.47}'
expect_eq "lon a string: 422" "$(err)" '[422, "lon"]'
send PUT "$TOKEN_COUNTY" "$V" '{"state": "normal", "lon": 1e400, "lat": 26.47}'
expect_eq "lon beyond any double: 422" "$(err)" '[422, "lon"]'
send PUT "$TOKEN_COUNTY" "$V" '{"state": "normal", "visited_at": "yesterday"}'
expect_eq "visited_at not a time: 422" "$(err)" '[422, "visited_at"]'
send PUT "$TOKEN_COUNTY" "$V" '{"state": "normal", "visited_at": "2025-03-01T08:00:00"}'
expect_eq "visited_at without its offset: 422" "$(err)" '[422, "visited_at"]'
send PUT "$TOKEN_COUNTY" "$V" '{"state": "normal", "visited_at": "2020-03-01T08:00:00+08:00"}'
expect_eq "visited_at outside the inspection's days: 422 (the database's check)" "$(err)" '[422, "23514"]'
send PUT "$TOKEN_COUNTY" "$V" '{"state": "normal", "photo": "x.jpg"}'
expect_eq "an unknown field: 422 naming it" "$(err)" '[422, "photo"]'
send PUT "$TOKEN_COUNTY" "$V" '[{"state": "normal"}]'
expect_eq "an array: 422" "$(err)" '[422, null]'
send PUT "$TOKEN_COUNTY" "$V" '{"state": "normal"'
expect_eq "not JSON: 400" "$(err)" '[400, "22P02"]'
as "$TOKEN_COUNTY" -X PUT -H 'Content-Type: text/plain' --data '{"state": "normal"}' "$V"
expect_eq "Content-Type text/plain: 415" "$ST" 415
send PUT "$TOKEN_COUNTY" "$V"
expect_eq "no body: 400" "$ST" 400
e9=$(q -d "$db" -c "SELECT min(id) FROM tailings.element WHERE pond_id = 9")
send PUT "$TOKEN_COUNTY" "/api/inspections/$iid/visits/$e9" '{"state": "normal"}'
expect_eq "an element of pond 9 (in the county's scope) in pond 8's inspection: 422 (23514)" "$(err)" '[422, "23514"]'
expect_match "... the message names both ponds, the hint the checklist" \
	"$(json_q "$BODY" 'd["error"] + " | " + d["hint"]')" "of pond 9, not of pond 8 .*inspection_checklist\(8\)"
e16=$(q -d "$db" -c "SELECT min(id) FROM tailings.element WHERE pond_id = 16")
send PUT "$TOKEN_COUNTY" "/api/inspections/$iid/visits/$e16" '{"state": "normal"}'
expect_eq "an element of pond 16 (out of its scope): 404, as one that does not exist" "$(err)" '[404, "P0002"]'
send PUT "$TOKEN_COUNTY" "/api/inspections/$iid/visits/999999" '{"state": "normal"}'
expect_eq "an element that does not exist: 404" "$(err)" '[404, "P0002"]'
send PUT "$TOKEN_COUNTY" "/api/inspections/999999/visits/$eid" '{"state": "normal"}'
expect_eq "an inspection that does not exist: 404" "$(err)" '[404, "P0002"]'
expect_eq "nothing of that was written: 41 change-log entries, 40 visits" \
	"$(log_visits) $(q -d "$db" -c "SELECT count(*) FROM tailings.inspection_visit WHERE inspection_id = $iid")" "41 40"

echo "# methods"
send POST "$TOKEN_COUNTY" "/api/inspections/$iid" '{}'
expect_eq "POST on an inspection: 405, Allow GET, HEAD, PATCH" "$ST $(hdr Allow)" "405 GET, HEAD, PATCH, OPTIONS"
as "$TOKEN_COUNTY" "$V"
expect_eq "GET on a visit: 405, Allow PUT" "$ST $(hdr Allow)" "405 PUT, OPTIONS"
send PUT "$TOKEN_COUNTY" /api/ponds/8/inspections '{}'
expect_eq "PUT on a pond's inspections: 405, Allow GET, HEAD, POST" "$ST $(hdr Allow)" "405 GET, HEAD, POST, OPTIONS"
send PATCH "$TOKEN_COUNTY" /api/ponds/8/checklist '{}'
expect_eq "PATCH on the checklist: 405" "$ST" 405
as "$TOKEN_COUNTY" -I "/api/inspections/$iid"
expect_eq "HEAD on an inspection: 200" "$ST" 200
fetch -X OPTIONS "$V"
expect_match "OPTIONS: PUT and PATCH allowed across origins" "$(hdr Access-Control-Allow-Methods)" 'PUT, PATCH'
as "$TOKEN_COUNTY" "/api/inspections/$iid/visits"
expect_eq "/api/inspections/{id}/visits: 404" "$ST" 404
as "$TOKEN_COUNTY" /api/inspections/x
expect_eq "an inspection id not a number: 400" "$ST" 400

echo "# samples and monitoring"
jc1=$(q -d "$db" -c "SELECT id FROM tailings.element WHERE pond_id = 8 AND name = '地下水本底井 JC1'")
jc2=$(q -d "$db" -c "SELECT id FROM tailings.element WHERE pond_id = 8 AND name = '地下水监视井 JC2'")
send POST "$TOKEN_ENT8" /api/ponds/8/samples "{\"element_id\": $jc2, \"sampled_on\": \"2025-05-10\", \"parameter\": \"Mn\", \"value\": 80, \"unit\": \"µg/L\"}"
expect_eq "enterprise 8 records manganese at JC2, 80 µg/L as Mn: 201, stored as manganese, judged as 0.08 mg/L" \
	"$ST $(json_q "$BODY" '[d["element_name"], d["parameter"], d["value"], d["unit"], d["value_in_limit_unit"], d["limit_max"], d["limit_unit"], d["exceeds"]]')" \
	'201 ["地下水监视井 JC2", "manganese", 80, "µg/L", 0.08, 0.1, "mg/L", false]'
as "$TOKEN_COUNTY" /api/ponds/8/monitoring
expect_eq "/monitoring: JC2's manganese 0.08 mg/L, within class III (0.10)" \
	"$ST $(json_q "$BODY" '[[m["value"], m["unit"], m["limit_max"], m["exceeds"]] for m in d if m["element_id"] == '"$jc2"' and m["parameter"] == "manganese"]')" \
	'200 [[0.08, "mg/L", 0.1, false]]'
expect_eq "... every well of the pond, one without samples a row without a parameter" \
	"$(json_q "$BODY" 'len(set(m["element_id"] for m in d))') $(json_q "$BODY" 'sum(1 for m in d if m["parameter"] is None)')" "6 5"
send POST "$TOKEN_ENT8" /api/ponds/8/samples "{\"element_id\": $jc2, \"sampled_on\": \"2025-05-10\", \"parameter\": \"manganese\", \"value\": 0.09}"
expect_eq "the same well, parameter and day again: 409 (23505)" "$(err)" '[409, "23505"]'
send POST "$TOKEN_ENT8" /api/ponds/8/samples "{\"element_id\": $jc2, \"sampled_on\": \"2025-08-10\", \"parameter\": \"锰\", \"value\": 0.25}"
expect_eq "manganese at JC2 in August, 0.25 mg/L as 锰: 201, exceeds" "$ST $(json_q "$BODY" '[d["parameter"], d["exceeds"]]')" \
	'201 ["manganese", true]'
send POST "$TOKEN_ENT8" /api/ponds/8/samples "{\"element_id\": $jc1, \"sampled_on\": \"2025-08-10\", \"parameter\": \"manganese\", \"value\": 0.05, \"unit\": \"mg/L\"}"
expect_eq "the background well JC1: 0.05 mg/L" "$ST" 201
as "$TOKEN_ENT8" "/api/ponds/8/monitoring?lang=en"
expect_eq "/monitoring: JC2's latest manganese 0.25 exceeds=true, 5 times the background well's" \
	"$(json_q "$BODY" '[[m["sampled_on"], m["value"], m["exceeds"], m["background"], m["ratio_to_background"], m["parameter_label"]] for m in d if m["element_id"] == '"$jc2"' and m["parameter"] == "manganese"]')" \
	'[["2025-08-10", 0.25, true, 0.05, 5, "Manganese"]]'
expect_eq "... JC1 within the limit" \
	"$(json_q "$BODY" '[m["exceeds"] for m in d if m["element_id"] == '"$jc1"' and m["parameter"] == "manganese"]')" '[false]'
as "$TOKEN_COUNTY" "/api/ponds/8/samples?parameter=%E9%94%B0"
expect_eq "the samples of 锰 (its Chinese name): JC1's, then JC2's by date" \
	"$ST $(json_q "$BODY" '[[s["element_id"], s["sampled_on"]] for s in d]')" \
	"200 [[$jc1, \"2025-08-10\"], [$jc2, \"2025-05-10\"], [$jc2, \"2025-08-10\"]]"
as "$TOKEN_COUNTY" "/api/ponds/8/samples?element_id=$jc1"
expect_eq "... of JC1" "$(json_q "$BODY" '[s["element_id"] for s in d]')" "[$jc1]"
as "$TOKEN_COUNTY" "/api/ponds/8/samples?parameter=iron"
expect_eq "... of iron: none" "$ST $(json_q "$BODY" 'd')" "200 []"
as "$TOKEN_COUNTY" "/api/ponds/8/samples?element_id=x"
expect_eq "... ?element_id= not a number: 400" "$ST" 400
for p in /api/ponds/8/samples /api/ponds/8/monitoring; do
	as "$TOKEN_ENT9" "$p"
	expect_eq "enterprise 9 asks $p: 404" "$ST" 404
done
S=/api/ponds/8/samples
send POST "$TOKEN_ENT8" "$S" "{\"element_id\": $jc2, \"sampled_on\": \"2025-09-10\", \"parameter\": \"\", \"value\": 1}"
expect_eq "an empty parameter: 422 naming parameter" "$(err)" '[422, "parameter"]'
send POST "$TOKEN_ENT8" "$S" "{\"element_id\": $jc2, \"sampled_on\": \"2025-09-10\", \"parameter\": 25, \"value\": 1}"
expect_eq "a parameter that is a number: 422" "$(err)" '[422, "parameter"]'
send POST "$TOKEN_ENT8" "$S" "{\"element_id\": $jc2, \"sampled_on\": \"2025-09-10\", \"parameter\": \"manganese\", \"value\": 1, \"unit\": \"%\"}"
expect_eq "manganese in %: 422 (it cannot be judged against mg/L)" "$(err)" '[422, "23514"]'
expect_match "... the hint names the units it takes" "$(json_q "$BODY" 'd["hint"]')" 'mg/L'
send POST "$TOKEN_ENT8" "$S" "{\"element_id\": $jc2, \"sampled_on\": \"2025-09-10\", \"parameter\": \"manganese\", \"value\": \"0.2\"}"
expect_eq "a value that is a string: 422 naming value" "$(err)" '[422, "value"]'
send POST "$TOKEN_ENT8" "$S" "{\"element_id\": $jc2, \"sampled_on\": \"2025-09-31\", \"parameter\": \"manganese\", \"value\": 0.2}"
expect_eq "sampled on 31 September: 422 naming sampled_on" "$(err)" '[422, "sampled_on"]'
send POST "$TOKEN_ENT8" "$S" "{\"sampled_on\": \"2025-09-10\", \"parameter\": \"manganese\", \"value\": 0.2}"
expect_eq "no well: 422 naming element_id" "$(err)" '[422, "element_id"]'
dam=$(q -d "$db" -c "SELECT min(id) FROM tailings.element WHERE pond_id = 8 AND kind = 'dam'")
send POST "$TOKEN_ENT8" "$S" "{\"element_id\": $dam, \"sampled_on\": \"2025-09-10\", \"parameter\": \"manganese\", \"value\": 0.2}"
expect_eq "a sample of the dam: 422 (not a well)" "$(err)" '[422, "23514"]'
# enterprise 8 runs pond 10 too: a well it sees, of another pond than the path's
q -d "$db" -c "UPDATE tailings.pond SET enterprise_code = '91510411752211513W' WHERE id = 10"
w10=$(q -d "$db" -c "SELECT min(id) FROM tailings.element WHERE pond_id = 10 AND tailings.category(kind) = 'groundwater'")
send POST "$TOKEN_ENT8" "$S" "{\"element_id\": $w10, \"sampled_on\": \"2025-09-10\", \"parameter\": \"manganese\", \"value\": 0.2}"
expect_eq "a well of pond 10 posted to pond 8's samples: 422 naming element_id (not recorded for pond 10)" \
	"$(err) $(q -d "$db" -c "SELECT count(*) FROM tailings.sample WHERE pond_id = 10")" '[422, "element_id"] 0'
send POST "$TOKEN_COUNTY" "$S" "{\"element_id\": $jc2, \"sampled_on\": \"2025-09-10\", \"parameter\": \"manganese\", \"value\": 0.2}"
expect_eq "the county records a sample: 403 (the enterprise runs the monitoring)" "$(err)" '[403, "42501"]'
send POST "$TOKEN_ENT9" "$S" "{\"element_id\": $jc2, \"sampled_on\": \"2025-09-10\", \"parameter\": \"manganese\", \"value\": 0.2}"
expect_eq "enterprise 9 records one at pond 8: 404" "$ST" 404
as "$TOKEN_COUNTY" /api/ponds/99999/monitoring
expect_eq "the monitoring of a pond that does not exist: 404" "$ST" 404
expect_eq "three samples in all" "$(q -d "$db" -c "SELECT count(*) FROM tailings.sample")" 3
http_stop
expect_eq "the server stopped cleanly" "$HTTP_RC" 0
check "... and wrote nothing on stderr but its start and stop" \
	test -z "$(grep -vE '^tailings-tileserver: (listening on|SIGTERM|stopped)' "$HTTP_ERR")"

echo "# --auth none: reads only"
suite_server none --pool 1
fetch "/api/inspections/$iid"
expect_eq "GET an inspection: 200" "$ST $(json_q "$BODY" 'd["missed"]')" "200 2"
fetch -X PUT -H "$J" --data '{"state": "normal"}' "$V"
expect_eq "PUT a visit: 403 (this server only reads)" "$ST" 403
fetch -X POST -H "$J" --data '{}' /api/ponds/8/inspections
expect_eq "POST an inspection: 403" "$ST" 403
http_stop
suite_end
