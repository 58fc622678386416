#!/usr/bin/env bash
# tailings-tileserver against thousands of random and malformed requests over
# raw sockets (tests/lib/http_fuzz.py, a fixed seed): no answer of 500 or more,
# every answer HTTP/1.x, every JSON error well formed, the limits' statuses
# (bad Host and ambiguous lengths 400, stalled heads 408), and the server alive
# and healthy afterwards; then --max-conns-per-ip: connections beyond it 503.  Then a server
# with --auth token against the same and two more kinds (tests/lib/auth.sh's members): the
# Authorization header (a mangled token 401, a live one its route) and JSON bodies to the write
# API: drawings, steps, inspections, visits and samples (any status a client can cause, never
# 500).  HTTP_FUZZ_SEED and HTTP_FUZZ_COUNT override the seed and the number of cases.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
db=http_fuzz_db
seed=${HTTP_FUZZ_SEED:-20250301}
count=${HTTP_FUZZ_COUNT:-3500}

suite_begin "$db"
www=$HTTP_WORK/fuzz-www
mkdir -p "$www/sub"
printf '<!doctype html><title>fuzz</title>\n' >"$www/index.html"
printf 'x\n' >"$www/sub/a.txt"
suite_server fuzz --www "$www" --pool 4 --timeout-s 5 --header-timeout-s 2 \
	--max-conns-per-ip 16

"$PY" "$http_root/tests/lib/http_fuzz.py" "$HTTP_PORT" --seed "$seed" --count "$count" --workers 8 \
	--log "$HTTP_WORK/fuzz-cases.log" | tee "$HTTP_WORK/fuzz.txt"
rc=${PIPESTATUS[0]}
expect_eq "fuzz: $count cases with seed $seed, no violations" "$rc" 0
answered=$(awk '/ responses; /{ print $1 }' "$HTTP_WORK/fuzz.txt")
check "fuzz: at least 3000 answers (${answered:-0})" test "${answered:-0}" -ge 3000
check "the server is still running" kill -0 "$HTTP_PID"
fetch /health
expect_eq "/health 200 after the fuzz" "$ST" 200
fetch_tile "a tile after the fuzz" 200 /tiles/all/14/12824/6942.mvt
fetch /api/ponds
expect_eq "/api/ponds after the fuzz" "$ST $("$PY" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$BODY")" "200 40"
echo "# the cap per address: 16 held, the 17th refused"
rm -f "$HTTP_WORK/fz.ready" "$HTTP_WORK/fz.go"
"$PY" "$http_root/tests/lib/http_attack.py" hold "$HTTP_PORT" 16 "$HTTP_WORK/fz.ready" "$HTTP_WORK/fz.go" "$HTTP_WORK/fz.json" &
holder=$!
wait_until 20 test -e "$HTTP_WORK/fz.ready"
HTTP_NO_CORS=1 fetch /health
expect_eq "a 17th connection from the address: 503 JSON" "$ST $(json_q "$BODY" 'd["status"]' 2>/dev/null)" "503 503"
touch "$HTTP_WORK/fz.go"
wait "$holder"
fetch /health
expect_eq "served again once they closed" "$ST" 200
fetch /metrics
expect_match "metrics: the stalled heads closed at the deadline" \
	"$(grep '^tailings_connections_refused_total{reason="header_timeout"}' "$BODY")" ' [1-9][0-9]*$'
check "metrics: no 500 counted" eval '! grep -E "status=\"5(00|04)\"" "$BODY"'
grep -E '^tailings_http_requests_total' "$BODY" | sed 's/^/# /'
http_stop 15
expect_eq "SIGTERM after the fuzz: exit status 0" "$HTTP_RC" 0
ok_lines='^tailings-tileserver: (listening on|SIGTERM|stopped|127\.0\.0\.1 has 16 connections open|127\.0\.0\.1 sent a body over)'
check "stderr: nothing but the start, the stop and the refusals" test -z "$(grep -vE "$ok_lines" "$HTTP_ERR")"
grep -vE "$ok_lines" "$HTTP_ERR" | head -5

echo "# --auth token: the Authorization header and JSON bodies"
. "$here/../lib/auth.sh"
auth_members fuzz
printf '%s\n' "$TOKEN_ENT8" "$TOKEN_COUNTY" "$TOKEN_ENT9" "$TOKEN_READER" >"$HTTP_WORK/fuzz-tokens"
# inspection 1: pond 8's, at county level, which the json cases visit, change and read
iid=$(q -d "$db" -c "INSERT INTO tailings.inspection (pond_id, level, inspector) VALUES (8, 'county', 'fuzz') RETURNING id")
[ "$iid" = 1 ] || die "inspection 1 ($iid)"
auth_server fuzzauth --www "$www" --pool 4 --timeout-s 5 --header-timeout-s 2 --max-conns-per-ip 16 --max-body-mb 1
"$PY" "$http_root/tests/lib/http_fuzz.py" "$HTTP_PORT" --seed "$((seed + 1))" --count "$count" --workers 8 \
	--tokens "$HTTP_WORK/fuzz-tokens" --log "$HTTP_WORK/fuzz-auth-cases.log" | tee "$HTTP_WORK/fuzz-auth.txt"
rc=${PIPESTATUS[0]}
expect_eq "fuzz with tokens: $count cases with seed $((seed + 1)), no violations" "$rc" 0
for kind in auth json; do
	n=$(awk -v k="$kind" '$1 == k { print $4 }' "$HTTP_WORK/fuzz-auth.txt" | tr -d ,)
	check "fuzz with tokens: $kind cases answered (${n:-0})" test "${n:-0}" -ge 200
done
as "$TOKEN_ENT8" /api/whoami
expect_eq "a live token after the fuzz" "$ST $(json_q "$BODY" 'd["role"]')" "200 fuzz_ent8"
n=$(q -d "$db" -c "SELECT (SELECT count(*) FROM tailings.inspection_visit) || ' ' || (SELECT count(*) FROM tailings.sample)")
check "fuzz with tokens: some visits and samples written (${n})" test "${n% *}" -ge 1 -a "${n#* }" -ge 1
as "$TOKEN_COUNTY" /api/inspections/1
expect_eq "inspection 1 after the fuzz: 200, its visits as many as the table's" \
	"$ST $(json_q "$BODY" 'len(d["visits"]) == d["visited"]')" "200 true"
fetch /metrics
check "metrics: no 500 counted" eval '! grep -E "status=\"5(00|04)\"" "$BODY"'
http_stop 15
expect_eq "SIGTERM after the fuzz: exit status 0" "$HTTP_RC" 0
check "stderr: nothing but the start, the stop and refusals" test -z "$(grep -vE "$ok_lines" "$HTTP_ERR")"
grep -vE "$ok_lines" "$HTTP_ERR" | head -5
suite_end
