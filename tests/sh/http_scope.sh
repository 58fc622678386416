#!/usr/bin/env bash
# Scopes with --auth token (design §9): tiles are cached, coalesced and revalidated per scope and
# never served across scopes; the change stream tells a member only the changes of its scope.
# Tile 10/801/433 holds ponds 8, 9 and 11: the county (510411) sees all three, enterprise 8 and
# enterprise 9 one each (tests/lib/auth.sh).
#   - the same tile asked at once by the county (twice), enterprise 8 and enterprise 9 while the
#     database holds it back: four answers, three scopes, each its own scope's bytes (those a
#     server without a cache makes for that role), one coalesced request (the county's second);
#   - each scope's ETag; a scope's ETag sent by another scope is no 304; the same bytes in two
#     scopes have two ETags; private Cache-Control and Vary: Authorization;
#   - readers and the anonymous role (a reader) share one scope: the second is a cache hit;
#     the city (all of 5104) is a scope of its own (a miss);
#   - /events: a change of pond 8 reaches the county, enterprise 8 and the reader, not enterprise
#     9; a change of pond 9 reaches enterprise 9 and not enterprise 8.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
. "$here/../lib/auth.sh"
suite_begin http_scope_db
auth_members scope
T=$AUTH_TILE

echo "# references: each role's tile from a server that keeps nothing"
auth_server ref --pool 2 --cache-mb 0
for who in COUNTY ENT8 ENT9 CITY READER; do
	var=TOKEN_$who
	as "${!var}" "$T"
	cp "$BODY" "$HTTP_WORK/ref_$who.mvt"
	echo "# $who: $ST, $(stat -c %s "$BODY") bytes"
done
expect_eq "the reference tiles: the county's, enterprise 8's and 9's all differ" \
	"$(md5sum "$HTTP_WORK"/ref_{COUNTY,ENT8,ENT9}.mvt | cut -d' ' -f1 | sort -u | wc -l)" 3
check "... and the county's is the largest (it sees the three ponds)" \
	test "$(stat -c %s "$HTTP_WORK/ref_COUNTY.mvt")" -gt "$(stat -c %s "$HTTP_WORK/ref_ENT8.mvt")"
http_stop

echo "# the same tile at once, from three scopes"
auth_server scoped --pool 4 --anonymous-role scope_anon
for t in "$TOKEN_COUNTY" "$TOKEN_ENT8" "$TOKEN_ENT9"; do as "$t" /api/whoami; done   # tokens known first
db_lock "$db" tailings.element
pids=()
for c in COUNTY:c1 ENT9:e9 COUNTY:c2 ENT8:e8; do
	var=TOKEN_${c%%:*}
	curl -s --max-time 20 -H "Authorization: Bearer ${!var}" -o "$HTTP_WORK/at_once_${c#*:}.mvt" \
		-w '%{http_code}' "$HTTP_URL$T" >"$HTTP_WORK/at_once_${c#*:}.st" &
	pids+=($!)
	sleep 0.2   # in this order
done
check "the four wait for the database" wait_until 5 eval '[ "$(q -d "$db" -c "SELECT count(*) FROM pg_stat_activity
	WHERE application_name = '"'"'tailings-tileserver'"'"' AND wait_event_type = '"'"'Lock'"'"'")" = 3 ]'
db_unlock
wait "${pids[@]}"
same() { cmp -s "$1" "$2"; }
expect_eq "four answers" "$(cat "$HTTP_WORK"/at_once_{c1,c2,e8,e9}.st)" 200200200200
check "the county's first: the county's tile" same "$HTTP_WORK/at_once_c1.mvt" "$HTTP_WORK/ref_COUNTY.mvt"
check "the county's second (coalesced): the county's tile" same "$HTTP_WORK/at_once_c2.mvt" "$HTTP_WORK/ref_COUNTY.mvt"
check "enterprise 9's: its own tile, not the county's" same "$HTTP_WORK/at_once_e9.mvt" "$HTTP_WORK/ref_ENT9.mvt"
check "enterprise 8's: its own tile" same "$HTTP_WORK/at_once_e8.mvt" "$HTTP_WORK/ref_ENT8.mvt"
expect_eq "one request coalesced (the county's second), none across scopes" "$(metric tailings_tile_coalesced_total)" 1
expect_eq "the access log: three misses, one coalesced" \
	"$(grep -c "GET $T\" 200 .* miss$" "$HTTP_OUT") $(grep -c "GET $T\" 200 .* coalesced$" "$HTTP_OUT")" "3 1"

echo "# cached per scope, ETags per scope"
etag_of() { as "$1" "$T"; hdr ETag; }
e_county=$(etag_of "$TOKEN_COUNTY")
check "the county again: its tile from the cache" same "$BODY" "$HTTP_WORK/ref_COUNTY.mvt"
e_ent9=$(etag_of "$TOKEN_ENT9")
check "enterprise 9 again: its tile from the cache" same "$BODY" "$HTTP_WORK/ref_ENT9.mvt"
expect_eq "... both hits" "$(tail -2 "$HTTP_OUT" | grep -c ' hit$')" 2
as "$TOKEN_COUNTY" -H "If-None-Match: $e_county" "$T"
expect_eq "the county with its ETag: 304" "$ST" 304
as "$TOKEN_ENT9" -H "If-None-Match: $e_county" "$T"
expect_eq "enterprise 9 with the county's ETag: 200, its own tile" "$ST" 200
check "... its own bytes" same "$BODY" "$HTTP_WORK/ref_ENT9.mvt"
as "$TOKEN_COUNTY" -H "If-None-Match: $e_ent9" "$T"
expect_eq "the county with enterprise 9's ETag: 200" "$ST" 200
as "$TOKEN_COUNTY" -H "Accept-Encoding: gzip" "$T"
eg_county=$(hdr ETag)
as "$TOKEN_ENT9" -H "Accept-Encoding: gzip" -H "If-None-Match: $eg_county" "$T"
expect_eq "gzip: enterprise 9 with the county's gzip ETag: 200" "$ST" 200
as "$TOKEN_COUNTY" /tiles/all/14/12824/6942.mvt
p8_county=$BODY.county
cp "$BODY" "$p8_county"
e1=$(hdr ETag)
as "$TOKEN_ENT8" /tiles/all/14/12824/6942.mvt
check "pond 8's tile: the same bytes for the county and enterprise 8" same "$BODY" "$p8_county"
expect_eq "... under two ETags" "$([ "$e1" != "$(hdr ETag)" ] && echo differ)" differ
as "$TOKEN_COUNTY" "$T"
expect_eq "Cache-Control private, Vary: Authorization" "$(hdr Cache-Control) | $(hdr Vary)" \
	"private, no-cache | Accept-Encoding, Authorization"

echo "# readers and the anonymous role share a scope; the city has its own"
as "" "$T"
expect_eq "the anonymous role: a miss" "$ST $(tail -1 "$HTTP_OUT" | awk '{ print $NF }')" "200 miss"
cp "$BODY" "$HTTP_WORK/anon.mvt"
as "$TOKEN_READER" "$T"
expect_eq "a reader: a hit (the same scope)" "$ST $(tail -1 "$HTTP_OUT" | awk '{ print $NF }')" "200 hit"
check "... the anonymous role's bytes, the reader's reference" same "$BODY" "$HTTP_WORK/ref_READER.mvt"
as "$TOKEN_CITY" "$T"
expect_eq "the city: a miss (a scope of its own)" "$ST $(tail -1 "$HTTP_OUT" | awk '{ print $NF }')" "200 miss"
check "... the city's tile" same "$BODY" "$HTTP_WORK/ref_CITY.mvt"

echo "# the change stream per scope"
for who in COUNTY ENT8 ENT9 READER; do
	var=TOKEN_$who
	curl -s -N --max-time 60 -H "Authorization: Bearer ${!var}" "$HTTP_URL/events" >"$HTTP_WORK/ev_$who.sse" &
done
for who in COUNTY ENT8 ENT9 READER; do
	check "$who's stream says hello" wait_for "$HTTP_WORK/ev_$who.sse" '^event: hello' 10
done
move_jc2 "$db"
for who in COUNTY ENT8 READER; do
	check "a change of pond 8 reaches $who" wait_for "$HTTP_WORK/ev_$who.sse" '"pond_id":8,' 10
done
q -d "$db" -c "UPDATE tailings.element SET accuracy_m = coalesce(accuracy_m, 1) + 0.5
               WHERE id = (SELECT min(id) FROM tailings.element WHERE pond_id = 9)"
for who in COUNTY ENT9 READER; do
	check "a change of pond 9 reaches $who" wait_for "$HTTP_WORK/ev_$who.sse" '"pond_id":9,' 10
done
# changes reach a scope in order: pond 9's came, so pond 8's would have come before it
check "enterprise 9 was not told of pond 8's change" eval '! grep -q "\"pond_id\":8," "$HTTP_WORK/ev_ENT9.sse"'
sleep 0.5
check "enterprise 8 was not told of pond 9's change" eval '! grep -q "\"pond_id\":9," "$HTTP_WORK/ev_ENT8.sse"'
expect_eq "the county heard both, in order" "$(grep -o '"pond_id":[0-9]*' "$HTTP_WORK/ev_COUNTY.sse" | tr '\n' ' ')" \
	'"pond_id":8 "pond_id":9 '
as "$TOKEN_ENT8" /tiles/all/14/12824/6942.mvt
check "pond 8's tile for enterprise 8 was dropped by the change (JC2 moved)" eval '! cmp -s "$BODY" "$p8_county"'
http_stop
expect_eq "the server stopped cleanly" "$HTTP_RC" 0
suite_end
