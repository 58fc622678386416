#!/usr/bin/env bash
# pg_dump keeps the user rows of the extension's tables, with edits to the
# default template, and a restore into a fresh database (which runs CREATE
# EXTENSION itself) gives back identical contents.  Custom and plain formats.
set -euo pipefail
work=${TAILINGS_TEST_WORK:?}/dump
mkdir -p "$work"
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

dropdb --if-exists dump_src; dropdb --if-exists dump_custom; dropdb --if-exists dump_plain
createdb -T tailings_sample dump_src
# the sample's change log (its pond files are dated from today): the edits below add 21 entries
logged=$(q -d dump_src -c "SELECT count(*) FROM tailings.change_log")
q -d dump_src <<'SQL'
SET search_path = tailings, public;
UPDATE requirement SET min_count = 2, description_en = 'Two dams, edited' WHERE name = 'dam';
UPDATE requirement SET name = 'dam_face_dust' WHERE name = 'dam_face_dust_cover';
UPDATE requirement SET enabled = false WHERE name = 'sign';
INSERT INTO requirement (name, category, kinds, severity) VALUES ('bureau_tsp', 'dust', '{tsp_monitor}', 'warning');
-- a table of the bureau's own, registered for tracking
CREATE TABLE public.field_notes (id bigint PRIMARY KEY, pond_id bigint, note text);
SELECT track_table('public.field_notes');
SELECT add_history('public.field_notes', 'id', 'pond_id', '');
INSERT INTO public.field_notes VALUES (7, 1, 'before the dump');
-- history for time travel: an element moved and renamed, one deleted
UPDATE element SET geom = ST_Translate(geom, 0.001, 0), name = name || ' (moved)' WHERE id = 5;
DELETE FROM element WHERE id = 998;
-- drawings: a draft, and one submitted and rejected by a county reviewer
DO $$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dump_reviewer') THEN CREATE ROLE dump_reviewer LOGIN; END IF;
END $$;
SELECT add_member('dump_reviewer', 'county', (SELECT county_code FROM pond WHERE id = 1), '审核员');
SELECT import_geojson(1, pond_geojson(1));
SELECT submit(import_geojson(1, pond_geojson(1)));
SET ROLE dump_reviewer;
SELECT reject(max(id), '请补充验收资料') FROM submission;
RESET ROLE;
-- the pond's file (beyond the sample's): a ledger, a paper, and two hazards
-- rectified and checked: one sent back to rectifying by a failed check, one
-- closed by a passed one (the restore reloads them as they are: no trigger
-- moves or re-stamps them)
INSERT INTO ledger (pond_id, year, stock_t, reported_on) VALUES (1, 2015, 1000, '2016-01-20');
INSERT INTO document (pond_id, kind, number, issued_on, attrs) VALUES (1, 'emergency_plan', 'YJ-1', '2024-05-01', '{"reviewed_on": "2025-05-01"}');
INSERT INTO hazard (pond_id, found_level, found_by, description, found_on)
VALUES (1, 'county', '县局', '坝面冲沟', '2025-03-01'), (1, 'city', '市局', '坡脚渗水', '2025-03-02');
UPDATE hazard SET status = 'rectifying', rectification = '回填压实' WHERE description IN ('坝面冲沟', '坡脚渗水');
UPDATE hazard SET status = 'rectified', rectified_on = '2025-04-01' WHERE description IN ('坝面冲沟', '坡脚渗水');
INSERT INTO hazard_check (hazard_id, level, checked_by, passed, note, checked_on)
SELECT id, 'county', '县局', false, '仍有冲沟', '2025-04-02' FROM hazard WHERE description = '坝面冲沟';
INSERT INTO hazard_check (hazard_id, level, checked_by, passed, checked_on)
SELECT id, 'city', '市局', true, '2025-04-03' FROM hazard WHERE description = '坡脚渗水';
-- an inspection with a visit, a sample of a well, the limits edited and one added (design §8)
INSERT INTO inspection (pond_id, level, inspector, started_on, finished_on) VALUES (8, 'city', '李科长', '2025-05-20', '2025-05-21');
INSERT INTO inspection_visit (inspection_id, element_id, visited_at, position, state, note)
SELECT max(i.id), 193, '2025-05-20 10:00+08', ST_SetSRID(ST_MakePoint(101.7982, 26.4621), 4490), 'abnormal', '井盖缺失'
  FROM inspection i;
-- (dated today: the latest of the well's samples)
INSERT INTO sample (element_id, sampled_on, parameter, value) VALUES (193, current_date, 'manganese', 0.35);
UPDATE gw_limit SET max_value = 0.2 WHERE parameter = 'manganese';
INSERT INTO gw_limit (parameter, max_value, label_zh, label_en, source)
VALUES ('vanadium', 0.05, '钒', 'Vanadium', 'GB 3838-2002 表3（参考值）');
SQL
# a member and its token (roles are the cluster's: the restore finds the login and its group)
q -d dump_src -c "DROP ROLE IF EXISTS dump_county" -c "CREATE ROLE dump_county LOGIN"
q -d dump_src -c "SELECT tailings.add_member('dump_county', 'county', '510421', '米易县 王工')" >/dev/null
token=$(q -d dump_src -c "SELECT tailings.create_token('dump_county', 'laptop', '30 days')")

# the contents, as one text per table, in a fixed order
snapshot() {
	q -d "$1" <<'SQL'
SELECT 'pond', md5(string_agg(p::text, '|' ORDER BY id)) FROM tailings.pond p;
SELECT 'element', md5(string_agg(e::text, '|' ORDER BY id)) FROM tailings.element e;
SELECT 'requirement', md5(string_agg(r::text, '|' ORDER BY id)) FROM tailings.requirement r;
-- the drawings with their stamps, as they were (the restore neither re-stamps nor re-checks them)
SELECT 'submission', count(*), string_agg(status, ',' ORDER BY id), md5(string_agg(s::text, '|' ORDER BY id)),
       (SELECT last_value FROM tailings.submission_id_seq) FROM tailings.submission s;
SELECT 'counts', (SELECT count(*) FROM tailings.pond), (SELECT count(*) FROM tailings.element), (SELECT count(*) FROM tailings.requirement);
SELECT 'member', md5(string_agg(m::text, '|' ORDER BY role_name)) FROM tailings.member m;
SELECT 'api_token', md5(string_agg(t::text, '|' ORDER BY id)) FROM tailings.api_token t;
SELECT 'file', (SELECT md5(string_agg(l::text, '|' ORDER BY pond_id, year)) FROM tailings.ledger l),
       (SELECT md5(string_agg(d::text, '|' ORDER BY id)) FROM tailings.document d),
       (SELECT string_agg(status, ',' ORDER BY id) || ' ' || md5(string_agg(h::text, '|' ORDER BY id)) FROM tailings.hazard h),
       (SELECT md5(string_agg(c::text, '|' ORDER BY id)) FROM tailings.hazard_check c),
       (SELECT last_value FROM tailings.hazard_id_seq), (SELECT last_value FROM tailings.hazard_check_id_seq);
SELECT 'inspection', count(*), md5(string_agg(i::text, '|' ORDER BY id)) FROM tailings.inspection i;
SELECT 'inspection_visit', count(*), md5(string_agg(v::text, '|' ORDER BY id)) FROM tailings.inspection_visit v;
SELECT 'sample', count(*), md5(string_agg(s::text, '|' ORDER BY id)) FROM tailings.sample s;
SELECT 'gw_limit', count(*), md5(string_agg(g::text, '|' ORDER BY id)), (SELECT last_value FROM tailings.gw_limit_id_seq)
  FROM tailings.gw_limit g;
SELECT 'next ids', (SELECT last_value FROM tailings.pond_id_seq), (SELECT last_value FROM tailings.element_id_seq), (SELECT last_value FROM tailings.requirement_id_seq), (SELECT last_value FROM tailings.change_log_id_seq);
-- the history tables (time travel) come back as they were, the bureau's too
SELECT 'history', (SELECT md5(string_agg(h::text, '|' ORDER BY id, lower(valid))) FROM tailings.element_history h),
       (SELECT md5(string_agg(h::text, '|' ORDER BY id, lower(valid))) FROM tailings.pond_history h),
       (SELECT md5(string_agg(h::text, '|' ORDER BY id, lower(valid))) FROM tailings.sample_history h),
       (SELECT string_agg(n.note || ' ' || upper_inf(n.valid), ',') FROM public.field_notes_history n),
       (SELECT string_agg(relid::text, ',' ORDER BY relid::text) FROM tailings.history_table);
SELECT 'time travel', count(*) FILTER (WHERE e.id = 998), md5(string_agg(e::text, '|' ORDER BY e.id))
  FROM tailings._elements_as_of((SELECT max(c.changed_at) - interval '1 microsecond' FROM tailings.change_log c
                                  WHERE c.table_name = 'tailings.element' AND c.row_id = 998 AND c.op = 'D')) e;
-- the change log comes back as it was: the restore itself records nothing
SELECT 'change_log', count(*), md5(string_agg(c::text, '|' ORDER BY id)) FROM tailings.change_log c;
SQL
}
snapshot dump_src >"$work/src.txt"
cat "$work/src.txt"
grep -q '^counts|40|' "$work/src.txt"
grep -q '^counts|40|998|23$' "$work/src.txt"   # 22 default rules and the bureau's own
grep -q "^change_log|$((logged + 24))|" "$work/src.txt"    # the sample's inserts and the edits above
grep -q '^history|[0-9a-f]*|[0-9a-f]*|[0-9a-f]*|before the dump true|field_notes,tailings.element,tailings.pond,tailings.sample$' "$work/src.txt"
grep -q '^time travel|1|' "$work/src.txt"   # the deleted element, before its delete
grep -q '^gw_limit|29|' "$work/src.txt"         # GB/T 14848's 28 and the bureau's own
grep -q '^submission|2|draft,rejected|' "$work/src.txt"
grep -q '^file|[0-9a-f]*|[0-9a-f]*|[a-z,]*,rectifying,closed ' "$work/src.txt"   # the sample's hazards, then these

pg_dump -Fc -f "$work/sample.dump" dump_src
createdb dump_custom
pg_restore --exit-on-error -d dump_custom "$work/sample.dump"
snapshot dump_custom >"$work/custom.txt"
diff "$work/src.txt" "$work/custom.txt"

pg_dump -Fp -f "$work/sample.sql" dump_src
createdb dump_plain
q -d dump_plain -f "$work/sample.sql" >/dev/null
snapshot dump_plain >"$work/plain.txt"
diff "$work/src.txt" "$work/plain.txt"

# the completeness summaries are not dumped: the restore keeps them again (its rows' triggers
# mark every pond), each what a fresh check says
summaries_off() {
	q -d "$1" -c "SELECT count(*) FROM tailings.pond p LEFT JOIN tailings.pond_summary k ON k.pond_id = p.id,
		tailings._pond_summary_computed(p.id) c
		WHERE k.pond_id IS NULL
		   OR (k.score, k.rules, k.errors_failed, k.warnings_failed, k.valid_from, k.valid_until)
		      IS DISTINCT FROM (c.score, c.rules, c.errors_failed, c.warnings_failed, c.valid_from, c.valid_until)"
}
for d in dump_src dump_custom dump_plain; do
	test "$(q -d "$d" -c "SELECT count(*) FROM tailings.pond_summary")" = 40
	test "$(summaries_off "$d")" = 0
	test "$(q -d "$d" -c "SELECT count(*) FROM tailings.summary_pending")" = 0
done
if grep -q 'pond_summary' "$work/sample.sql"; then echo "the summaries were dumped" >&2; exit 1; fi

# the restore made the extension (not the tables by hand), and its rows work
test "$(q -d dump_custom -c "SELECT extversion FROM pg_extension WHERE extname = 'tailings'")" = \
     "$(q -d dump_custom -c "SELECT default_version FROM pg_available_extensions WHERE name = 'tailings'")"
q -d dump_custom -c "SELECT count(*) FROM pg_depend d JOIN pg_extension x ON x.oid = d.refobjid
	WHERE x.extname = 'tailings' AND d.classid = 'pg_class'::regclass AND d.objid = 'tailings.element'::regclass" | grep -qx 1
# new rows continue after the restored ids
last=$(q -d dump_src -c "SELECT last_value FROM tailings.requirement_id_seq")
test "$(q -d dump_custom -c "INSERT INTO tailings.requirement (name, category, kinds) VALUES ('after_restore', 'dust', '{sprinkler}') RETURNING id")" = $((last + 1))
# and are tracked again
q -d dump_custom -c "UPDATE tailings.pond SET name = name || '*' WHERE id = 1"
test "$(q -d dump_custom -c "SELECT count(*) FROM tailings.change_log")" = $((logged + 26))   # the rule inserted above and this edit
# and kept in the history: the pond's old name until now, its new one from now on
test "$(q -d dump_custom -c "SELECT string_agg(upper_inf(valid)::text, ',' ORDER BY lower(valid)) FROM tailings.pond_history WHERE id = 1")" = false,true
test "$(q -d dump_custom -c "SELECT h.name = p.name FROM tailings.pond_history h JOIN tailings.pond p USING (id) WHERE id = 1 AND upper_inf(h.valid)")" = t
# the bureau's registered table is still tracked (registration and trigger restored)
test "$(q -d dump_custom -c "SELECT string_agg(relid::text, ',' ORDER BY relid::text) FROM tailings.tracked_table WHERE NOT builtin")" = field_notes
q -d dump_custom -c "INSERT INTO public.field_notes VALUES (1, 1, 'restored and tracked')"
test "$(q -d dump_custom -c "SELECT count(*) FROM tailings.change_log WHERE table_name = 'public.field_notes'")" = 2
test "$(q -d dump_custom -c "SELECT string_agg(note, ',' ORDER BY id) FROM public.field_notes_history WHERE upper_inf(valid)")" = \
     "restored and tracked,before the dump"
test "$(q -d dump_plain -c "SELECT count(*) FROM tailings.tracked_table")" = 12   # 11 the extension's
# the restored hazards move on as before: a passed check of the one sent back and rectified again closes it
q -d dump_custom -c "UPDATE tailings.hazard SET status = 'rectified', rectified_on = '2025-04-10' WHERE description = '坝面冲沟'"
q -d dump_custom -c "INSERT INTO tailings.hazard_check (hazard_id, level, checked_by, passed, checked_on)
	SELECT id, 'city', '市局', true, '2025-04-11' FROM tailings.hazard WHERE description = '坝面冲沟'"
test "$(q -d dump_custom -c "SELECT string_agg(status, ',' ORDER BY id) FROM tailings.hazard WHERE description IN ('坝面冲沟', '坡脚渗水')")" = closed,closed
# the defaults stay undeletable after the restore
if q -d dump_custom -c "DELETE FROM tailings.requirement WHERE name = 'dam'" 2>/dev/null; then
	echo "a default rule could be deleted after restore" >&2; exit 1
fi
if q -d dump_custom -c "DELETE FROM tailings.gw_limit WHERE parameter = 'manganese'" 2>/dev/null; then
	echo "a shipped limit could be deleted after restore" >&2; exit 1
fi
# the edited limit is the one restored (not the shipped one), and judges the restored sample
test "$(q -d dump_plain -c "SELECT max_value FROM tailings.gw_limit WHERE parameter = 'manganese'")" = 0.2
test "$(q -d dump_plain -c "SELECT tailings._well_state(193, NULL)")" = exceeds
test "$(q -d dump_plain -c "SELECT count(*) FROM tailings.inspection_coverage((SELECT max(id) FROM tailings.inspection)) WHERE visited")" = 1
# the member sees its county's ponds in the restored database, and its token still stands for it
test "$(psql -X -q -At -d dump_custom -U dump_county -c "SELECT count(*) FROM tailings.pond")" = \
     "$(q -d dump_src -c "SELECT count(*) FROM tailings.pond WHERE county_code = '510421'")"
test "$(q -d dump_plain -c "SELECT tailings.token_role(sha256(convert_to('$token', 'UTF8')))")" = dump_county
for d in dump_src dump_custom dump_plain; do q -d "$d" -c "SELECT tailings.remove_member('dump_county')" >/dev/null; done
dropdb dump_custom; dropdb dump_plain; dropdb dump_src
q -d postgres -c "DROP ROLE dump_county"
echo "dump and restore: identical"
