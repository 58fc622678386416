# The second half of tests/sh/http_valgrind.sh (sourced by it, after the --auth none server):
# a server with --auth token under valgrind, every path of auth.c, submissions.c, body.c,
# inspections.c, monitoring.c, conn_body.c
# and the per-scope parts of tiles.c and live.c.  Uses the suite's $db, $www, valgrind_clean.
. "$here/../lib/auth.sh"
auth_members vg
vlog2=$HTTP_WORK/valgrind-auth.log
J='Content-Type: application/json'
HTTP_WRAPPER=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
	--show-leak-kinds=definite,indirect --num-callers=30 --log-file="$vlog2")
http_start valgrind_auth --db "host=$PGHOST port=$PGPORT user=tailings_tileserver dbname=$db" --auth token \
	--anonymous-role vg_anon --www "$www" --pool 3 --cache-mb 1 --max-body-mb 1 --header-timeout-s 5
HTTP_WRAPPER=()
http_wait_health 60 || die "the server with --auth token did not come up under valgrind"

echo "# tokens: resolved, kept, refused, many at once"
for t in "" "$TOKEN_COUNTY" "$TOKEN_ENT8" "$TOKEN_ENT9" "$TOKEN_READER" "$TOKEN_COUNTY"; do
	as "$t" /api/whoami
	expect_eq "whoami as ${t:0:6}...: 200" "$ST" 200
done
for bad in tl_unknown "tl_$(head -c 600 /dev/zero | tr '\0' a)" 'x"y'; do
	as "$bad" /api/whoami
	expect_eq "a bad token: 401" "$ST" 401
done
fetch -H "Authorization: Basic eDp5" -H "Authorization: Bearer x" /api/ponds
expect_eq "two Authorization headers: 401" "$ST" 401
many=$(auth_token vg_city)
"$PY" "$HTTP_CLIENT" burst "$HTTP_PORT" 6 /api/whoami "Authorization: Bearer $many" >"$HTTP_WORK/vg-auth-burst.txt"
expect_eq "a new token asked by six at once: six 200s" "$(cut -d' ' -f1 "$HTTP_WORK/vg-auth-burst.txt" | tr '\n' ' ')" \
	"200 200 200 200 200 200 "
as "$many" /api/whoami
expect_eq "... then again" "$ST $(json_q "$BODY" 'd["role"]')" "200 vg_city"

echo "# tiles per scope, coalesced and given up on while the database holds them"
check "the element table locked" db_lock "$db" tailings.element
pids=()
for t in "$TOKEN_COUNTY" "$TOKEN_COUNTY" "$TOKEN_ENT9" ""; do
	curl -s -o /dev/null --max-time 30 ${t:+-H "Authorization: Bearer $t"} "$HTTP_URL$AUTH_TILE" &
	pids+=($!)
done
curl -s -o /dev/null --max-time 1 -H "Authorization: Bearer $TOKEN_ENT8" "$HTTP_URL$AUTH_TILE" &
pids+=($!)
sleep 1.5
db_unlock
wait "${pids[@]}"
for t in "$TOKEN_COUNTY" "$TOKEN_ENT8" "$TOKEN_ENT9" ""; do
	as "$t" -H 'Accept-Encoding: gzip' "$AUTH_TILE"
	expect_eq "the tile again (cached per scope)" "$ST" 200
	as "$t" -H "If-None-Match: $(hdr ETag)" -H 'Accept-Encoding: gzip' "$AUTH_TILE"
	expect_eq "... 304 with its ETag" "$ST" 304
done

echo "# the write API"
as "$TOKEN_ENT8" "/api/ponds/8/geojson?for=drawing"
cp "$BODY" "$HTTP_WORK/vg-pond8.geojson"
as "$TOKEN_ENT8" -X POST -H "$J" --data-binary "@$HTTP_WORK/vg-pond8.geojson" /api/ponds/8/submissions
expect_eq "a drawing: 201" "$ST" 201
sid=$(json_q "$BODY" 'd["id"]')
"$PY" - "$HTTP_WORK/vg-pond8.geojson" "$HTTP_WORK/vg-bad.geojson" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["features"][1]["geometry"] = {"type": "Point", "coordinates": [0, 0]}
json.dump(d, open(sys.argv[2], "w"))
EOF
as "$TOKEN_ENT8" -X POST -H "$J" --data-binary "@$HTTP_WORK/vg-bad.geojson" /api/ponds/8/submissions
expect_eq "a bad drawing: 422 with its feature" "$ST $(json_q "$BODY" 'd.get("feature_index")')" "422 1"
for s in "$sid" 999999; do
	as "$TOKEN_COUNTY" "/api/submissions/$s"
	echo "# GET /api/submissions/$s: $ST"
done
as "$TOKEN_COUNTY" "/api/submissions?status=draft&pond=8"
expect_eq "the list" "$ST" 200
for step in "ENT8 approve" "COUNTY submit" "ENT8 submit" "COUNTY reject {}" "COUNTY reject {\"note\":5" "COUNTY approve {\"note\":\"ok\"}" \
	"ENT8 withdraw"; do
	read -r who verb body <<<"$step"
	var=TOKEN_$who
	as "${!var}" -X POST -H "$J" ${body:+--data-binary "$body"} "/api/submissions/$sid/$verb"
	echo "# $who $verb: $ST $(snip "$BODY" 100)"
done
for c in 'text/plain|{}' 'application/json|[1' "application/json|$(head -c 300 /dev/zero | tr '\0' '[')"; do
	as "$TOKEN_ENT8" -X POST -H "Content-Type: ${c%%|*}" --data-binary "${c#*|}" /api/ponds/8/submissions
	expect_match "a bad body: 4xx" "$ST" '^4'
done
as "$TOKEN_ENT8" -X POST -H "$J" /api/ponds/8/submissions
expect_eq "no body: 400" "$ST" 400
head -c 1100000 /dev/zero | tr '\0' ' ' >"$HTTP_WORK/vg-big.json"
as "$TOKEN_ENT8" -X POST -H "$J" --data-binary "@$HTTP_WORK/vg-big.json" /api/ponds/8/submissions
expect_eq "a declared body over 1 MiB: 413" "$ST" 413
as "$TOKEN_ENT8" -X POST -H "$J" -H 'Transfer-Encoding: chunked' --data-binary "@$HTTP_WORK/vg-big.json" /api/ponds/8/submissions
expect_eq "a chunked body over 1 MiB: 413" "$ST" 413
printf 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nPOST /api/ponds/8/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 9999999\r\n\r\n{' \
	| raw_http 3 >"$HTTP_WORK/vg-pipe.raw" || true
expect_eq "pipelined, then too large: 200 and 413" "$(grep -aoE 'HTTP/1.1 [0-9]{3}' "$HTTP_WORK/vg-pipe.raw" | cut -d' ' -f2 | tr '\n' ' ')" "200 413 "

echo "# inspections, visits, samples and monitoring (inspections.c, monitoring.c)"
as "$TOKEN_COUNTY" /api/ponds/8/checklist
expect_eq "the checklist: 200" "$ST" 200
as "$TOKEN_COUNTY" -X POST -H "$J" --data '{"campaign": "汛前"}' /api/ponds/8/inspections
expect_eq "an inspection: 201" "$ST" 201
vi=$(json_q "$BODY" 'd["id"]')
ve=$(json_q "$BODY" 'd["coverage"][0]["element_id"]')
for step in "PUT 201 /api/inspections/$vi/visits/$ve {\"state\":\"normal\",\"lon\":101.79,\"lat\":26.47}" \
	"PUT 200 /api/inspections/$vi/visits/$ve {\"state\":\"normal\",\"lon\":101.79,\"lat\":26.47}" \
	"PUT 422 /api/inspections/$vi/visits/$ve {\"state\":\"x\"}" "PUT 404 /api/inspections/$vi/visits/999999 {\"state\":\"normal\"}" \
	"PUT 400 /api/inspections/$vi/visits/$ve {" "PATCH 200 /api/inspections/$vi {\"campaign\":null}" \
	"PATCH 404 /api/inspections/999999 {}" "POST 405 /api/inspections/$vi {}" \
	"POST 201 /api/ponds/8/samples {\"element_id\":193,\"sampled_on\":\"2025-05-10\",\"parameter\":\"Mn\",\"value\":80,\"unit\":\"µg/L\"}" \
	"POST 409 /api/ponds/8/samples {\"element_id\":193,\"sampled_on\":\"2025-05-10\",\"parameter\":\"Mn\",\"value\":80}" \
	"POST 422 /api/ponds/8/samples {\"element_id\":193}"; do
	read -r m want p body <<<"$step"
	who=$TOKEN_COUNTY
	case $p in */samples) who=$TOKEN_ENT8 ;; esac
	as "$who" -X "$m" -H "$J" --data-binary "$body" "$p"
	expect_eq "$m $p: $want" "$ST" "$want"
done
for p in "/api/inspections/$vi?lang=en" /api/ponds/8/inspections "/api/ponds/8/samples?parameter=%E9%94%B0" /api/ponds/8/monitoring; do
	as "$TOKEN_ENT8" "$p"
	expect_eq "GET $p: 200" "$ST" 200
done
as "$TOKEN_ENT9" "/api/inspections/$vi"
expect_eq "another enterprise: 404" "$ST" 404

echo "# hazards, checks, the board, the pond's file, the ledger and the papers"
as "$TOKEN_ENT8" -X POST -H "$J" --data-binary '{"description": "井口保护盖缺失", "lon": 101.7925, "lat": 26.4685}' /api/ponds/8/hazards
expect_eq "a hazard: 201" "$ST" 201
hid=$(json_q "$BODY" 'd["id"]')
for step in "ENT8 PATCH /api/hazards/$hid {\"status\":\"rectifying\"}" "ENT8 PATCH /api/hazards/$hid {\"status\":\"closed\"}" \
	"COUNTY PATCH /api/hazards/$hid {\"rectification\":\"x\"}" "ENT8 PATCH /api/hazards/$hid {\"state\":1}" \
	"ENT8 PATCH /api/hazards/$hid {\"lon\":1}" "ENT8 PATCH /api/hazards/$hid {}" "ENT8 PATCH /api/hazards/$hid [1" \
	"ENT8 PATCH /api/hazards/$hid {\"status\":\"rectified\",\"rectification\":\"加盖\",\"rectified_on\":\"$(date +%F)\"}" \
	"ENT8 POST /api/hazards/$hid/checks {\"passed\":true}" "COUNTY POST /api/hazards/$hid/checks {\"passed\":false,\"note\":\"未锁\"}" \
	"ENT9 PATCH /api/hazards/$hid {\"status\":\"rectified\"}" "COUNTY POST /api/hazards/999999/checks {\"passed\":true}" \
	"ENT8 PUT /api/ponds/8/ledger/2024 {\"produced_t\":100}" "ENT8 PUT /api/ponds/8/ledger/2024 {\"produced_t\":-1}" \
	"COUNTY PUT /api/ponds/8/ledger/2024 {\"produced_t\":1}" "ENT8 POST /api/ponds/8/documents {\"kind\":\"emergency_plan\"}" \
	"ENT8 PATCH /api/documents/1 {\"number\":\"2024-1\"}" "ENT8 DELETE /api/documents/1" "COUNTY DELETE /api/documents/1"; do
	read -r who method path body <<<"$step"
	var=TOKEN_$who
	as "${!var}" -X "$method" -H "$J" ${body:+--data-binary "$body"} "$path"
	echo "# $who $method $path: $ST $(snip "$BODY" 100)"
done
as "$TOKEN_ENT8" -X PATCH -H 'Content-Type: text/plain' --data-binary '{}' "/api/hazards/$hid"
expect_eq "a hazard's body not JSON by its type: 415" "$ST" 415
as "$TOKEN_ENT8" -X POST -H "$J" --data-binary "@$HTTP_WORK/vg-big.json" /api/ponds/8/hazards
expect_eq "a hazard's body over 1 MiB: 413" "$ST" 413
as "$TOKEN_COUNTY" "/api/hazards/$hid/checks"
cid=$(json_q "$BODY" 'd[0]["id"]')
for p in "/api/hazards/$hid" "/api/hazards/$hid/checks" "/api/hazards/$hid/checks/$cid" /api/ponds/8/hazards /api/ponds/8/file \
	"/api/ponds/8/file?lang=en" /api/ponds/8/ledger /api/ponds/8/ledger/2024 /api/ponds/8/documents /api/hazards \
	"/api/hazards?status=open,rectifying&overdue=0&county=5104&severity=general&pond=8" "/api/hazards?format=csv" \
	"/api/hazards?format=geojson"; do
	as "$TOKEN_COUNTY" "$p"
	expect_eq "GET $p: 200" "$ST" 200
done
as "$TOKEN_ENT9" /api/ponds/8/file
expect_eq "another enterprise's pond's file: 404" "$ST" 404

echo "# the change stream per scope"
for who in COUNTY ENT9; do
	var=TOKEN_$who
	curl -s -N --max-time 60 -H "Authorization: Bearer ${!var}" "$HTTP_URL/events" >"$HTTP_WORK/vg-ev-$who.sse" &
	wait_for "$HTTP_WORK/vg-ev-$who.sse" '^event: hello$' 10
done
curl -s -N --max-time 60 "$HTTP_URL/events" >"$HTTP_WORK/vg-ev-anon.sse" &
streams=$!
wait_for "$HTTP_WORK/vg-ev-anon.sse" '^event: hello$' 10
move_jc2 "$db"
check "pond 8's change reached the county" wait_for "$HTTP_WORK/vg-ev-COUNTY.sse" '"pond_id":8,' 20
check "... and the anonymous role" wait_for "$HTTP_WORK/vg-ev-anon.sse" '"pond_id":8,' 20

echo "# SIGTERM with a request waiting for its token"
fresh=$(auth_token vg_ent9)
db_lock "$db" tailings.api_token
curl -s -o /dev/null --max-time 30 -H "Authorization: Bearer $fresh" "$HTTP_URL/api/whoami" &
waiting=$!
sleep 1
http_stop 90
db_unlock
wait "$waiting" "$streams" 2>/dev/null
valgrind_clean "$vlog2" "--auth token"
