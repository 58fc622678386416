#!/usr/bin/env bash
# --auth token and --anonymous-role (design §9), against a private copy of the sample with
# members and tokens (tests/lib/auth.sh), the server logged in as tailings_tileserver:
#   - 401 with a JSON body and WWW-Authenticate: Bearer for no token (no anonymous role), an
#     unknown, malformed, expired or revoked token, two Authorization headers; a bad token is
#     401 even when there is an anonymous role; public routes need no token; CORS preflight;
#   - each request runs as its token's role (current_user, what row-level security shows);
#   - nothing leaks to the next request on the same database connection (--pool 1): a member's
#     request, then the anonymous one, another member's, one that failed in its transaction,
#     one cut by the statement timeout; the connection is idle, in no transaction, after each;
#   - a token's resolution is kept a while, a failure never: a token made after it was refused
#     works at once, the database down is 503 (not 401) and the token works when it is back;
#   - the server's login not a member of the token's role: 500, and stderr says what to grant.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
. "$here/../lib/auth.sh"
suite_begin http_auth_db
auth_members auth
log_has() { grep -q "$1" "$HTTP_OUT"; }

echo "# without an anonymous role"
auth_server strict --pool 1
for case in "no token|" "an unknown token|tl_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "not a token's characters|tl_a\"b" \
	"a token of 513 characters|$(head -c 513 /dev/zero | tr '\0' a)"; do
	as "${case#*|}" /api/whoami
	expect_eq "${case%%|*}: 401 JSON" "$ST $(hdr Content-Type) $(json_q "$BODY" 'd["status"]' 2>/dev/null)" \
		"401 application/json 401"
	expect_match "${case%%|*}: WWW-Authenticate: Bearer" "$(hdr WWW-Authenticate)" '^Bearer realm="tailings"'
done
as "" /api/whoami
expect_eq "no token: no error code in the challenge (RFC 6750), readable across origins" \
	"$(hdr WWW-Authenticate) | $(hdr Access-Control-Expose-Headers)" 'Bearer realm="tailings" | WWW-Authenticate'
as tl_unknown /api/whoami
expect_match "an unknown token: error=\"invalid_token\"" "$(hdr WWW-Authenticate)" 'error="invalid_token"'
fetch -H "Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l" /api/whoami
expect_eq "Basic, not Bearer: 401 invalid_request" "$ST $(hdr WWW-Authenticate)" \
	'401 Bearer realm="tailings", error="invalid_request"'
fetch -H "Authorization: Bearer $TOKEN_COUNTY" -H "Authorization: Bearer $TOKEN_ENT8" /api/whoami
expect_eq "two Authorization headers: 401" "$ST" 401
for path in /tiles/all/14/12824/6942.mvt /tiles/all.json /api/ponds /api/ponds/8 /api/history /events /api/submissions; do
	fetch "$path"
	expect_eq "$path without a token: 401" "$ST" 401
done
for path in /health /metrics /style.json /api/catalog /sprite.json; do
	fetch "$path"
	expect_eq "$path needs no token" "$ST" 200
done
fetch -X OPTIONS -H 'Origin: http://example.org' -H 'Access-Control-Request-Method: POST' \
	-H 'Access-Control-Request-Headers: authorization,content-type' /api/submissions/1/submit
expect_eq "preflight: 204, POST and Authorization allowed" \
	"$ST $(hdr Access-Control-Allow-Methods | grep -c POST) $(hdr Access-Control-Allow-Headers | grep -ic authorization)" "204 1 1"

echo "# each request as its token's role"
for t in county ent8 ent9 city reader; do
	var=TOKEN_${t^^}
	as "${!var}" /api/whoami
	expect_eq "whoami as $t" "$ST $(json_q "$BODY" '[d["role"], d["auth"]]')" "200 [\"auth_$t\", \"token\"]"
done
as "$TOKEN_COUNTY" /api/whoami
expect_eq "the county member's row" "$(json_q "$BODY" '[d["level"], d["scope"], d["display_name"]]')" \
	'["county", "510411", "东区生态环境局 王工"]'
ponds() { as "$1" /api/ponds; json_q "$BODY" 'sorted(p["id"] for p in d)'; }
expect_eq "/api/ponds as enterprise 8: its pond" "$(ponds "$TOKEN_ENT8")" "[8]"
expect_eq "/api/ponds as enterprise 9: its pond" "$(ponds "$TOKEN_ENT9")" "[9]"
expect_eq "/api/ponds as the county: 8 to 15" "$(ponds "$TOKEN_COUNTY")" "[8, 9, 10, 11, 12, 13, 14, 15]"
expect_eq "/api/ponds as the reader: all 40" "$(as "$TOKEN_READER" /api/ponds; json_q "$BODY" 'len(d)')" 40
as "$TOKEN_ENT8" /api/ponds/9
expect_eq "enterprise 8 asks for pond 9: 404, as if it did not exist" "$ST" 404
as "$TOKEN_ENT8" /api/ponds/8
expect_eq "enterprise 8 asks for pond 8: 200" "$ST $(json_q "$BODY" 'd["id"]')" "200 8"

echo "# nothing leaks to the next request on the one connection (--pool 1)"
seq_roles=""
for t in "$TOKEN_ENT8" "$TOKEN_READER" "$TOKEN_ENT9" "$TOKEN_COUNTY" "$TOKEN_ENT8"; do
	as "$t" /api/whoami
	seq_roles+="$(json_q "$BODY" 'd["role"]') "
done
expect_eq "one connection, five requests, each its own role" "$seq_roles" \
	"auth_ent8 auth_reader auth_ent9 auth_county auth_ent8 "
# a request that fails inside its transaction (an enterprise approving: refused), then another role's
as "$TOKEN_ENT8" -X POST /api/submissions/999999/approve
expect_eq "a request refused inside its transaction" "$ST" 404
expect_eq "... the next one on the connection is its own role" \
	"$(ponds "$TOKEN_ENT9") $(as "$TOKEN_READER" /api/whoami; json_q "$BODY" 'd["role"]')" "[9] auth_reader"
# the server's own statements run as its login: resolving a new token (EXECUTE on token_role is
# the login's alone) right after a member's request on the connection
newcomer=$(auth_token auth_county)
as "$TOKEN_ENT8" /api/whoami
as "$newcomer" /api/whoami
expect_eq "a member's request, then a new token resolved as the server's login" "$ST $(json_q "$BODY" 'd["role"]')" \
	"200 auth_county"
server_conn() {   # state and role of the server's pool connection (not the listener)
	q -d "$db" -c "SELECT state || ' ' || usename || ' ' || (backend_xid IS NULL) FROM pg_stat_activity
	               WHERE application_name = 'tailings-tileserver' AND query NOT LIKE '%LISTEN%'
	                 AND query NOT LIKE '%pg_notify%' ORDER BY backend_start LIMIT 1"
}
check "the pool connection is idle, in no transaction, as the server's login" \
	wait_until 5 eval '[ "$(server_conn)" = "idle tailings_tileserver true" ]'
fetch /metrics
expect_match "metrics: 401s counted" "$(grep '^tailings_http_requests_total{endpoint="whoami",status="401"}' "$BODY")" ' [1-9]'
expect_match "metrics: refusals counted" "$(grep '^tailings_auth_total{result="refused"}' "$BODY")" ' [1-9]'
http_stop

echo "# the anonymous role"
auth_server anon --pool 1 --anonymous-role auth_anon --statement-timeout-ms 300
as "" /api/whoami
expect_eq "no token: the anonymous role" "$ST $(json_q "$BODY" 'd["role"]')" "200 auth_anon"
as "" /api/ponds
expect_eq "... which reads every pond (a reader)" "$ST $(json_q "$BODY" 'len(d)')" "200 40"
as tl_unknown /api/whoami
expect_eq "an unknown token with an anonymous role: still 401" "$ST" 401
as "$TOKEN_ENT9" /api/whoami
as "" /api/whoami
expect_eq "a member, then no token, on one connection: the anonymous role" "$(json_q "$BODY" 'd["role"]')" auth_anon
db_lock "$db" tailings.pond
as "$TOKEN_ENT8" /api/ponds
expect_eq "a request cut by the statement timeout: 504" "$ST" 504
db_unlock
as "" /api/ponds
expect_eq "... then the anonymous one on the connection: every pond, as itself" \
	"$ST $(json_q "$BODY" 'len(d)') $(as "" /api/whoami; json_q "$BODY" 'd["role"]')" "200 40 auth_anon"
http_stop

echo "# resolutions: kept a while, failures never"
auth_server cache --pool 2
fresh=tl_$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
as "$fresh" /api/whoami
expect_eq "a token the database does not know: 401" "$ST" 401
sha=$(printf %s "$fresh" | sha256sum | cut -d' ' -f1)
q -d "$db" -c "INSERT INTO tailings.api_token (role_name, label, token_sha256, expires_at)
               VALUES ('auth_ent9', 'made after it was refused', '\\x$sha', now() + interval '1 hour')"
as "$fresh" /api/whoami
expect_eq "... known a moment later: works at once (the refusal was not kept)" "$ST $(json_q "$BODY" 'd["role"]')" \
	"200 auth_ent9"
expired=$(q -d "$db" -c "SELECT tailings.create_token('auth_ent8', 'short', '1 second')")
sleep 1.2
as "$expired" /api/whoami
expect_eq "an expired token: 401" "$ST" 401
revoked=$(auth_token auth_city "to revoke")
as "$revoked" /api/whoami
expect_eq "a token about to be revoked works" "$ST" 200
q -d "$db" -c "SELECT tailings.revoke_token('auth_city', 'to revoke')" >/dev/null
check "... revoked: 401 within 15 s (the resolution's time)" wait_status /api/whoami 401 20 -H "Authorization: Bearer $revoked"
http_stop

echo "# the database down: 503, not 401, and nothing kept"
auth_server down --pool 1
unused=$(auth_token auth_reader)
q -d "$db" -c "ALTER FUNCTION tailings.token_role(bytea) RENAME TO token_role_away"
as "$unused" /api/whoami
expect_eq "no token_role(): 500 (the server cannot say), not 401" "$ST" 500
check "... and stderr says what is missing" grep -q 'token_role' "$HTTP_ERR"
q -d "$db" -c "ALTER FUNCTION tailings.token_role_away(bytea) RENAME TO token_role"
as "$unused" /api/whoami
expect_eq "... back: the token works at once" "$ST $(json_q "$BODY" 'd["role"]')" "200 auth_reader"
q -d postgres -c "REVOKE auth_ent9 FROM tailings_tileserver"
stranger=$(auth_token auth_ent9)
sleep 1.1   # such lines are at most one a second
as "$stranger" /api/whoami
expect_eq "the server's login not a member of the token's role: 500" "$ST" 500
check "... and stderr says to grant it" grep -q 'GRANT role TO login' "$HTTP_ERR"
q -d postgres -c "GRANT auth_ent9 TO tailings_tileserver"
as "$stranger" /api/whoami
expect_eq "... granted: works at once" "$ST $(json_q "$BODY" 'd["role"]')" "200 auth_ent9"
fetch /metrics
expect_match "metrics: 500s counted" "$(grep '^tailings_http_requests_total{endpoint="whoami",status="500"}' "$BODY")" ' [1-9]'
expect_match "metrics: tokens resolved by the database" "$(grep '^tailings_auth_total{result="resolved"}' "$BODY")" ' [1-9]'
http_stop
expect_eq "the server stopped cleanly" "$HTTP_RC" 0
suite_end
