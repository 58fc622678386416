#!/usr/bin/env bash
# Two checks of one rectified hazard at the same moment (design §8): a county
# passes it and a city fails it.  The second waits for the first to commit,
# then is judged against the hazard as committed (closed) and refused (23514)
# by the check's own rule, before it is stored: the hazard keeps the one
# check that decided it, and its history one move.  (The check's trigger
# locks its hazard first; without that lock, a check could be judged against
# the hazard as it was before a concurrent check and stored against a hazard
# that check had just closed.)  A check of another hazard goes on meanwhile
# without waiting.  The order is forced with locks, not with sleeps.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/http.sh"
own_sample hazard_race
q -d "$db" >/dev/null <<'SQL' || die "setup failed"
DO $$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hazard_race_county') THEN CREATE ROLE hazard_race_county LOGIN; END IF;
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hazard_race_city') THEN CREATE ROLE hazard_race_city LOGIN; END IF;
END $$;
SELECT tailings.add_member('hazard_race_county', 'county', (SELECT county_code FROM tailings.pond WHERE id = 1), '县局'),
       tailings.add_member('hazard_race_city', 'city', (SELECT left(county_code, 4) FROM tailings.pond WHERE id = 1), '市局');
-- two hazards of pond 1, rectified
INSERT INTO tailings.hazard (pond_id, found_level, found_by, description, found_on)
VALUES (1, 'county', '县局', '坝面冲沟', current_date - 30), (1, 'county', '县局', '排水沟淤堵', current_date - 30);
UPDATE tailings.hazard SET status = 'rectifying', rectification = '已处理' WHERE pond_id = 1 AND description IN ('坝面冲沟', '排水沟淤堵');
UPDATE tailings.hazard SET status = 'rectified', rectified_on = current_date - 1 WHERE pond_id = 1 AND description IN ('坝面冲沟', '排水沟淤堵');
SQL
h1=$(q -d "$db" -c "SELECT id FROM tailings.hazard WHERE description = '坝面冲沟'")
h2=$(q -d "$db" -c "SELECT id FROM tailings.hazard WHERE description = '排水沟淤堵'")

# A gate the test holds (advisory lock 4343, in a session it feeds through a
# FIFO): the county's check is made, then waits at the gate, its transaction
# open until the test lets it go.
gate_close 4343 race
psql -X -q -At -d "$db" >"$work/first.out" 2>&1 <<SQL &
SET ROLE hazard_race_county;
BEGIN;
INSERT INTO tailings.hazard_check (hazard_id, passed, note) VALUES ($h1, true, '已消除');
SELECT status FROM tailings.hazard WHERE id = $h1;
SELECT pg_advisory_lock_shared(4343);
COMMIT;
SQL
first=$!
db_poll "the county's check is made and waits at the gate" "SELECT EXISTS (SELECT FROM pg_locks WHERE $gate_lock AND NOT granted)"
# meanwhile another hazard is checked (a hang here fails the suite)
expect_eq "another hazard's check goes on while the first is held" \
	"$(timeout 30 psql -X -q -At -d "$db" -c "SET ROLE hazard_race_city" \
		-c "INSERT INTO tailings.hazard_check (hazard_id, passed, note) VALUES ($h2, false, '下游段仍淤堵')" \
		-c "SELECT status FROM tailings.hazard WHERE id = $h2" 2>&1)" rectifying
# and the city's check of the same hazard waits for the county's
psql -X -q -At -d "$db" >"$work/second.out" 2>&1 <<SQL &
\set VERBOSITY verbose
SET application_name = 'hazard_race_second';
SET ROLE hazard_race_city;
INSERT INTO tailings.hazard_check (hazard_id, passed, note) VALUES ($h1, false, '仍有冲沟');
SQL
second=$!
db_poll "the city's check of the same hazard waits for the county's" \
	"SELECT EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'hazard_race_second' AND wait_event_type = 'Lock')"
gate_open 4343
wait "$gate" "$first" "$second"
expect_match "the county's passed check closes the hazard" "$(cat "$work/first.out")" '^closed$'
expect_match "the city's, after it, is refused: the hazard is closed (23514)" "$(cat "$work/second.out")" \
	"ERROR:  23514: hazard $h1 is closed"
expect_match "... by the check's rule, which waited for the hazard (not by the move that would follow)" \
	"$(cat "$work/second.out")" "LOCATION:  tl_hazard_check_guard"
expect_eq "the hazard keeps the check that decided it" \
	"$(q -d "$db" -c "SELECT string_agg(level || ':' || passed, ',' ORDER BY id) FROM tailings.hazard_check WHERE hazard_id = $h1")" "county:true"
expect_eq "its history: rectifying, rectified, closed, and no move back" \
	"$(q -d "$db" -c "SELECT string_agg(new_row ->> 'status', ',' ORDER BY id) FROM tailings.change_log
	                  WHERE table_name = 'tailings.hazard' AND row_id = $h1 AND op = 'U'")" rectifying,rectified,closed
expect_eq "statuses" "$(q -d "$db" -c "SELECT string_agg(status, ',' ORDER BY id) FROM tailings.hazard WHERE id IN ($h1, $h2)")" \
	"closed,rectifying"
dropdb "$db"
q -d postgres -c "DROP ROLE hazard_race_county, hazard_race_city" >/dev/null
http_finish
