#!/usr/bin/env bash
# NOTIFY tailings_changes: a listening session receives one JSON payload per
# committed change (table, op, pond id, row id, bbox in EPSG:4326 covering the
# old and new geometry), at commit and not before; nothing for a rollback.
set -euo pipefail
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
dropdb --if-exists notify_db
createdb -T tailings_sample notify_db

# the listening session: commands in on a pipe, output collected in a file
out=$TAILINGS_TEST_WORK/notify.out
coproc LISTENER { psql -X -q -At -d notify_db >"$out" 2>&1; }
send() { echo "$1" >&"${LISTENER[1]}"; }
sync_listener() {   # run a statement in the listener and wait for its output
	send "SELECT 'sync $1';"
	for _ in $(seq 100); do grep -q "^sync $1\$" "$out" && return 0; sleep 0.1; done
	echo "listener did not answer" >&2; return 1
}
send "LISTEN tailings_changes;"
sync_listener 0

eid=$(q -d notify_db -c "SELECT id FROM tailings.element WHERE kind::text = 'gw_monitoring_well' ORDER BY id LIMIT 1")
pid=$(q -d notify_db -c "SELECT pond_id FROM tailings.element WHERE id = $eid")
# an open transaction notifies nothing until it commits
coproc WRITER { psql -X -q -At -v ON_ERROR_STOP=1 -d notify_db >"$TAILINGS_TEST_WORK/writer.out" 2>&1; }
echo "BEGIN; UPDATE tailings.element SET geom = ST_Translate(geom, 0.01, 0.005) WHERE id = $eid;" >&"${WRITER[1]}"
sleep 0.5
sync_listener 1
if grep -q 'Asynchronous notification' "$out"; then echo "notified before commit" >&2; exit 1; fi
echo "COMMIT;" >&"${WRITER[1]}"
exec {WRITER[1]}>&-
wait "$WRITER_PID"
sync_listener 2
grep 'Asynchronous notification' "$out" >"$TAILINGS_TEST_WORK/n1.txt"
cat "$TAILINGS_TEST_WORK/n1.txt"
test "$(wc -l <"$TAILINGS_TEST_WORK/n1.txt")" = 1
payload=$(sed -E 's/.*with payload "(.*)" received from server process.*/\1/' "$TAILINGS_TEST_WORK/n1.txt")
echo "payload: $payload"
# the payload is JSON with the expected members; the bbox spans the old and the new position
q -d notify_db -v p="$payload" -v eid="$eid" -v pid="$pid" <<'SQL' | tee "$TAILINGS_TEST_WORK/n1.check"
WITH p AS (SELECT :'p'::jsonb AS j),
     e AS (SELECT geom FROM tailings.element WHERE id = :eid)
SELECT j->>'table' = 'tailings.element', j->>'op' = 'U', (j->>'pond_id')::bigint = :pid,
       (j->>'row_id')::bigint = :eid, jsonb_array_length(j->'bbox') = 4,
       -- new position inside, and the box reaches back 0.01 degree west and 0.005 south to the old one
       ST_Within(e.geom, ST_MakeEnvelope((j->'bbox'->>0)::float8 - 1e-6, (j->'bbox'->>1)::float8 - 1e-6,
                                         (j->'bbox'->>2)::float8 + 1e-6, (j->'bbox'->>3)::float8 + 1e-6, 4490)),
       abs((j->'bbox'->>2)::float8 - (j->'bbox'->>0)::float8 - 0.01) < 1e-6,
       abs((j->'bbox'->>3)::float8 - (j->'bbox'->>1)::float8 - 0.005) < 1e-6,
       -- the id names the change's log row, which holds the same area (a listener reads it there)
       (SELECT c.row_id = :eid AND c.op = 'U' AND c.session_role = session_user
               AND abs(c.bbox[1] - (j->'bbox'->>0)::float8) < 1e-6 AND abs(c.bbox[4] - (j->'bbox'->>3)::float8) < 1e-6
          FROM tailings.change_log c WHERE c.id = (j->>'id')::bigint)
  FROM p, e;
SQL
test "$(cat "$TAILINGS_TEST_WORK/n1.check")" = "t|t|t|t|t|t|t|t|t"

# a rollback notifies nothing; insert, delete and a pond edit each notify once per row
q -d notify_db -c "BEGIN; DELETE FROM tailings.element WHERE id = $eid; ROLLBACK;"
q -d notify_db -c "INSERT INTO tailings.element (pond_id, kind, geom, name) VALUES ($pid, 'sign', ST_SetSRID(ST_MakePoint(101.8, 26.47), 4490), 'n')"
q -d notify_db -c "DELETE FROM tailings.element WHERE name = 'n'"
q -d notify_db -c "UPDATE tailings.pond SET name = name || '（改）' WHERE id = $pid"
q -d notify_db -c "UPDATE tailings.requirement SET min_count = 1 WHERE name = 'dam'"   # no change: no notification
q -d notify_db -c "UPDATE tailings.requirement SET min_count = 2 WHERE name = 'dam'"
sync_listener 3
grep 'Asynchronous notification' "$out" | tail -n +2 | sed -E 's/.*with payload "(.*)" received from server process.*/\1/' \
	| sed -E 's/"id":[0-9]+/"id":L/; s/"row_id":[0-9]+/"row_id":N/; s/"pond_id":[0-9]+/"pond_id":P/; s/"bbox":\[[^]]*\]/"bbox":[...]/' \
	>"$TAILINGS_TEST_WORK/n2.txt"
cat "$TAILINGS_TEST_WORK/n2.txt"
diff - "$TAILINGS_TEST_WORK/n2.txt" <<'EOF2'
{"id":L,"table":"tailings.element","op":"I","pond_id":P,"row_id":N,"bbox":[...]}
{"id":L,"table":"tailings.element","op":"D","pond_id":P,"row_id":N,"bbox":[...]}
{"id":L,"table":"tailings.pond","op":"U","pond_id":P,"row_id":N,"bbox":[...]}
{"id":L,"table":"tailings.requirement","op":"U","pond_id":null,"row_id":N,"bbox":null}
EOF2

# a bulk change notifies once per row, all at commit
q -d notify_db -c "UPDATE tailings.element SET verified_on = '2025-06-01' WHERE pond_id = $pid AND kind::text IN ('sign', 'dam')"
sync_listener 4
test "$(grep -c 'Asynchronous notification' "$out")" = 7
send "\\q"
wait "$LISTENER_PID" || true
echo "notifications: as expected"
