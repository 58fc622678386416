#!/usr/bin/env bash
# Two reviewers approve two drawings of the same pond, both made from the same
# map, at the same moment (design §7): the second waits for the first to
# commit, then is refused as stale (SQLSTATE 40001) naming the element the
# first changed; the map has the first drawing only.  A drawing of another
# pond is approved meanwhile without waiting.  The order is forced with
# locks, not with sleeps.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/http.sh"
own_sample submission_race
q -d "$db" >/dev/null <<'SQL' || die "setup failed"
DO $$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'race_county') THEN CREATE ROLE race_county LOGIN; END IF;
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'race_city') THEN CREATE ROLE race_city LOGIN; END IF;
END $$;
SELECT tailings.add_member('race_county', 'county', (SELECT county_code FROM tailings.pond WHERE id = 1), '县局'),
       tailings.add_member('race_city', 'city', (SELECT left(county_code, 4) FROM tailings.pond WHERE id = 1), '市局');
SQL
other=$(q -d "$db" -c "SELECT min(id) FROM tailings.pond WHERE id <> 1 AND county_code = (SELECT county_code FROM tailings.pond WHERE id = 1)")
[ -n "$other" ] || die "the sample has no second pond in pond 1's county"
first_el=$(q -d "$db" -c "SELECT (tailings.pond_geojson(1) -> 'features' -> 0 -> 'properties' ->> 'id')")
d1=$(q -d "$db" -c "SELECT tailings.import_geojson(1, jsonb_set(tailings.pond_geojson(1), '{features,0,properties,name}', '\"甲\"'))")
d2=$(q -d "$db" -c "SELECT tailings.import_geojson(1, jsonb_set(tailings.pond_geojson(1), '{features,1,properties,name}', '\"乙\"'))")
d3=$(q -d "$db" -c "SELECT tailings.import_geojson($other, jsonb_set(tailings.pond_geojson($other), '{features,0,properties,name}', '\"丙\"'))")
for d in "$d1" "$d2" "$d3"; do q -d "$db" -c "SELECT tailings.submit($d)" >/dev/null; done

# A gate the test holds (advisory lock 4242, in a session it feeds through a
# FIFO): the county approves d1 and then waits at the gate, its transaction
# (and its hold on pond 1) open until the test lets it go.  No timing.
gate_close 4242 race
psql -X -q -At -d "$db" >"$work/first.out" 2>&1 <<SQL &
SET ROLE race_county;
BEGIN;
SELECT tailings.approve($d1);
SELECT pg_advisory_lock_shared(4242);
COMMIT;
SQL
first=$!
db_poll "the county approved and waits at the gate" "SELECT EXISTS (SELECT FROM pg_locks WHERE $gate_lock AND NOT granted)"
# meanwhile the city approves another pond's drawing (a hang here fails the suite)
expect_eq "another pond's drawing is approved while pond 1 is held" \
	"$(timeout 30 psql -X -q -At -d "$db" -c "SET ROLE race_city" -c "SELECT tailings.approve($d3)" 2>&1)" approved
# and d2, of the same pond, waits for the county's approval
psql -X -q -At -d "$db" >"$work/second.out" 2>&1 <<SQL &
\set VERBOSITY verbose
SET ROLE race_city;
SELECT tailings.approve($d2);
SQL
second=$!
db_poll "the second approval of pond 1 waits for the first" \
	"SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND NOT ($gate_lock))"
# the gate opens: the county commits, then the city's approval goes on
gate_open 4242
wait "$gate" "$first" "$second"
expect_match "the first approval commits" "$(cat "$work/first.out")" 'approved'
expect_match "the second is refused as stale (40001)" "$(cat "$work/second.out")" 'ERROR:  40001: the map of pond 1 changed after submission'
expect_match "naming what the first changed" "$(cat "$work/second.out")" "Changed since: [a-z_]+ #$first_el \"甲\" \\(changed\\)"
expect_eq "statuses" "$(q -d "$db" -c "SELECT string_agg(status, ',' ORDER BY id) FROM tailings.submission WHERE id IN ($d1, $d2, $d3)")" \
	"approved,submitted,approved"
expect_eq "the map has the first drawing only" \
	"$(q -d "$db" -c "SELECT string_agg(name, ',' ORDER BY id) FROM tailings.element WHERE pond_id = 1 AND name IN ('甲', '乙')")" "甲"
http_finish
