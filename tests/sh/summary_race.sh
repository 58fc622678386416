#!/usr/bin/env bash
# Two transactions change one pond at the same moment (READ COMMITTED): its
# kept summary (tailings.pond_summary) must come out with both changes, and
# neither may wait for the other until a commit.  (e) The second changes the
# pond and commits while the first, which changed it too, is held open:
# nothing waits.  (a)-(d) The first recomputes its ponds (SET CONSTRAINTS
# ... IMMEDIATE: their summary rows locked until its commit) and is held at
# a gate, uncommitted; the second changes the pond and waits for that lock
# to recompute: (a) at its commit, (b) at its statement's end, (c) after the
# first rolled back, (d) a template change (every pond).  The second must
# check the pond in a snapshot taken after the lock, which sees the first's
# rows.  Each time the kept summary equals a fresh check_completeness for
# every pond.  The order is forced with locks, not with sleeps.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/http.sh"
own_sample summary_race
q -d "$db" >/dev/null <<'SQL' || die "setup failed"
-- ponds whose kept summary is not what check_completeness says now
CREATE VIEW public.summary_drift AS
SELECT coalesce(string_agg(p.id::text, ',' ORDER BY p.id), 'none')
  FROM tailings.pond p
  LEFT JOIN tailings.pond_summary k ON k.pond_id = p.id,
  LATERAL (SELECT CASE WHEN count(*) FILTER (WHERE c.severity = 'error') = 0 THEN 1
                       ELSE (count(*) FILTER (WHERE c.severity = 'error' AND c.passed))::float8
                            / count(*) FILTER (WHERE c.severity = 'error') END::real AS score,
                  count(*)::integer AS rules,
                  (count(*) FILTER (WHERE c.severity = 'error' AND NOT c.passed))::integer AS errors_failed,
                  (count(*) FILTER (WHERE c.severity = 'warning' AND NOT c.passed))::integer AS warnings_failed
             FROM tailings.check_completeness(p.id) c) f
 WHERE k.pond_id IS NULL OR NOT (current_date >= k.valid_from AND current_date < k.valid_until)
    OR (k.score, k.rules, k.errors_failed, k.warnings_failed)
       IS DISTINCT FROM (f.score, f.rules, f.errors_failed, f.warnings_failed);
SQL
expect_eq "the sample's summaries are kept and right" "$(q -d "$db" -c "SELECT * FROM summary_drift")" none


# race NAME FIRST_SQL FIRST_END SECOND_SQL: FIRST_SQL runs in a transaction,
# which recomputes its ponds and is held at the gate, then ends with FIRST_END
# (COMMIT or ROLLBACK); SECOND_SQL (a transaction) starts while the first is
# held and must wait for it
race() {
	local name=$1 first_sql=$2 first_end=$3 second_sql=$4 gate first second
	gate_close 4344 "$name"
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" >"$work/$name.first.out" 2>&1 <<SQL &
BEGIN;
$first_sql
SET CONSTRAINTS tailings.pond_summary_refresh IMMEDIATE;
SELECT pg_advisory_lock_shared(4344);
$first_end;
SQL
	first=$!
	db_poll "$name: the first transaction has changed the pond and waits at the gate" \
		"SELECT EXISTS (SELECT FROM pg_locks WHERE $gate_lock AND NOT granted)"
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" >"$work/$name.second.out" 2>&1 <<SQL &
SET application_name = 'summary_race_second';
$second_sql
SQL
	second=$!
	db_poll "$name: the second waits for the summary's lock" \
		"SELECT EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'summary_race_second' AND wait_event_type = 'Lock')"
	gate_open 4344
	wait "$gate"
	wait "$first" || not_ok "$name: the first transaction failed: $(cat "$work/$name.first.out")"
	wait "$second" || not_ok "$name: the second transaction failed: $(cat "$work/$name.second.out")"
	expect_eq "$name: every pond's kept summary is check_completeness's" "$(q -d "$db" -c "SELECT * FROM summary_drift")" none
}

pond=$(q -d "$db" -c "SELECT id FROM tailings.pond WHERE code = '510421-001'")
state() { q -d "$db" -c "SELECT errors_failed || '/' || warnings_failed FROM tailings.pond_summary WHERE pond_id = $pond"; }
before=$(state)

# (a) recomputed at each commit: the second's, after the first committed, sees both
race commit "DELETE FROM tailings.element WHERE pond_id = $pond AND kind = 'sign';" COMMIT \
	"BEGIN; DELETE FROM tailings.element WHERE pond_id = $pond AND kind = 'dam'; COMMIT;"
expect_eq "(a) both changes counted: the sign's rule and the dam's fail, two more failed errors than before" "$(( $(state | cut -d/ -f1) - ${before%/*} ))" 2

# (b) recomputed at the end of the second's statement, which began before the first committed
race immediate "INSERT INTO tailings.element (pond_id, kind, geom, name)
	VALUES ($pond, 'dam', ST_SetSRID(ST_MakeLine(ST_MakePoint(101.95, 26.85), ST_MakePoint(101.951, 26.85)), 4490), 'race dam');" COMMIT \
	"BEGIN; SET CONSTRAINTS tailings.pond_summary_refresh IMMEDIATE;
	 UPDATE tailings.element SET verified_on = current_date WHERE pond_id = $pond;
	 SELECT count(*) FROM tailings.summary_pending;
	 COMMIT;"
expect_match "(b) the summary was kept at the statement's end (nothing left noted)" "$(cat "$work/immediate.second.out")" '^0$'

# (c) the first rolls back: the second's recompute has only its own change
race rollback "DELETE FROM tailings.element WHERE pond_id = $pond;" ROLLBACK \
	"BEGIN; UPDATE tailings.element SET verified_on = NULL WHERE pond_id = $pond AND kind = 'dam'; COMMIT;"
expect_eq "(c) the rolled back deletion left the elements" \
	"$(q -d "$db" -c "SELECT count(*) > 0 FROM tailings.element WHERE pond_id = $pond")" t

# (d) the template changed while a pond's edit is held: every pond waits, and comes out right
race template "UPDATE tailings.element SET verified_on = current_date WHERE pond_id = $pond;" COMMIT \
	"BEGIN; UPDATE tailings.requirement SET min_count = 2 WHERE name = 'sign'; COMMIT;"

# (e) no waiting while the first is open: the second changes the same pond and commits
gate_close 4344 open
psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" >"$work/open.first.out" 2>&1 <<SQL &
BEGIN;
UPDATE tailings.element SET verified_on = NULL WHERE pond_id = $pond AND kind = 'pond_boundary';
SELECT pg_advisory_lock_shared(4344);
COMMIT;
SQL
first=$!
db_poll "open: the first has changed the pond and waits at the gate" \
	"SELECT EXISTS (SELECT FROM pg_locks WHERE $gate_lock AND NOT granted)"
expect_eq "open: the second changes the same pond and commits without waiting" \
	"$(timeout 30 psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" \
		-c "UPDATE tailings.element SET verified_on = NULL WHERE pond_id = $pond AND kind = 'sign'" \
		-c "SELECT count(*) FROM tailings.summary_pending" 2>&1)" 0
gate_open 4344
wait "$gate" "$first"
expect_eq "open: every pond's kept summary is check_completeness's" "$(q -d "$db" -c "SELECT * FROM summary_drift")" none

dropdb "$db"
http_finish
