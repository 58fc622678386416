#!/usr/bin/env bash
# ALTER EXTENSION tailings UPDATE: a database made with the first version and
# its data, updated, has exactly the objects of a fresh install (which runs the
# latest version's full script alone), keeps its rows, and works (tracking,
# check, tiles).  So does one made with the previous version.
set -euo pipefail
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
first=$(ls "$(pg_config --sharedir)/extension"/tailings--*.sql | sed -nE 's/.*tailings--([0-9.]+)\.sql$/\1/p' | sort -V | head -1)
latest=$(q -d postgres -c "SELECT default_version FROM pg_available_extensions WHERE name = 'tailings'")
echo "updating $first -> $latest"
for db in upgraded fresh; do dropdb --if-exists "$db"; createdb "$db"; done
q -d upgraded -c "CREATE EXTENSION tailings VERSION '$first' CASCADE"
q -d upgraded -f sql/sample/panzhihua.sql
q -d upgraded -c "UPDATE tailings.requirement SET min_count = 2 WHERE name = 'dam'"
q -d upgraded -c "ALTER EXTENSION tailings UPDATE"
q -d fresh -c "CREATE EXTENSION tailings CASCADE"
test "$(q -d upgraded -c "SELECT extversion FROM pg_extension WHERE extname = 'tailings'")" = "$latest"

# CREATE EXTENSION runs the full script of the latest version, not the chain
test -f "$(pg_config --sharedir)/extension/tailings--$latest.sql"
grep -q "^-- tailings $latest: the full install script" "$(pg_config --sharedir)/extension/tailings--$latest.sql"

# the extension's member objects, described, are the same
members() {
	q -d "$1" <<'SQL'
SELECT pg_describe_object(classid, objid, objsubid)
  FROM pg_depend d JOIN pg_extension x ON x.oid = d.refobjid
 WHERE x.extname = 'tailings' AND d.deptype = 'e'
 ORDER BY 1;
SQL
}
members upgraded >"$TAILINGS_TEST_WORK/members.upgraded"
members fresh >"$TAILINGS_TEST_WORK/members.fresh"
diff "$TAILINGS_TEST_WORK/members.fresh" "$TAILINGS_TEST_WORK/members.upgraded"
echo "$(wc -l <"$TAILINGS_TEST_WORK/members.fresh") member objects alike"
# and so are the definitions of the tables and functions
defs() {
	pg_dump --schema-only --schema=tailings "$1" | grep -v -e '^--' -e '^\\restrict' -e '^\\unrestrict' | sed '/^$/d' | sort
}
diff <(defs fresh) <(defs upgraded)
# and the operators and aggregates it keeps in pg_catalog (outside the dump above)
operators() {
	q -d "$1" <<'SQL'
SELECT o.oprnamespace::regnamespace, o.oprname, o.oprleft::regtype, o.oprright::regtype,
       o.oprcom::regoperator, o.oprnegate::regoperator, o.oprcode, o.oprrest, o.oprjoin, o.oprcanhash, o.oprcanmerge
  FROM pg_operator o
 WHERE 'tailings.element_kind'::regtype IN (o.oprleft, o.oprright)
    OR 'tailings.element_category'::regtype IN (o.oprleft, o.oprright)
UNION ALL
SELECT p.pronamespace::regnamespace, p.proname, p.proargtypes[0]::regtype, NULL, a.aggsortop::regoperator, NULL,
       a.aggtransfn, a.aggcombinefn, NULL, NULL, NULL
  FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
 WHERE p.proargtypes[0] IN ('tailings.element_kind'::regtype, 'tailings.element_category'::regtype)
 ORDER BY 1, 2, 3;
SQL
}
operators fresh >"$TAILINGS_TEST_WORK/operators.fresh"
operators upgraded >"$TAILINGS_TEST_WORK/operators.upgraded"
diff "$TAILINGS_TEST_WORK/operators.fresh" "$TAILINGS_TEST_WORK/operators.upgraded"
# and, since pg_dump leaves an extension's member objects out of the dump above, their
# definitions read from the catalog: columns in order, constraints, indexes, policies and
# row-level security, triggers, functions' bodies and settings, views, privileges (and the
# initial privileges pg_dump compares with), comments, the schema's privileges
catalog() {
	q -d "$1" <<'SQL'
WITH rels AS (SELECT c.oid, c.relname, c.relkind FROM pg_class c WHERE c.relnamespace = 'tailings'::regnamespace)
SELECT 'relation ' || r.relname || ' ' || r.relkind::text || ' options=' || coalesce(c.reloptions::text, '')
       || ' rls=' || c.relrowsecurity || '/' || c.relforcerowsecurity || ' acl=' || coalesce(c.relacl::text, '')
       || ' comment=' || coalesce(obj_description(c.oid, 'pg_class'), '')
  FROM rels r JOIN pg_class c ON c.oid = r.oid
UNION ALL
SELECT 'column ' || r.relname || '.' || row_number() OVER (PARTITION BY r.oid ORDER BY a.attnum) || ' ' || a.attname
       || ' ' || format_type(a.atttypid, a.atttypmod) || ' notnull=' || a.attnotnull || ' identity=' || a.attidentity::text
       || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') || ' acl=' || coalesce(a.attacl::text, '')
       || ' comment=' || coalesce(col_description(r.oid, a.attnum), '')
  FROM rels r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = r.oid AND d.adnum = a.attnum
UNION ALL
SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'tailings'::regnamespace
UNION ALL
SELECT 'index ' || pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN rels r ON r.oid = i.indrelid
UNION ALL
SELECT 'policy ' || tablename || ' ' || policyname || ' ' || permissive || ' ' || roles::text || ' ' || cmd
       || ' using=' || coalesce(qual, '') || ' check=' || coalesce(with_check, '')
  FROM pg_policies WHERE schemaname = 'tailings'
UNION ALL
SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
  FROM pg_trigger t JOIN rels r ON r.oid = t.tgrelid WHERE NOT t.tgisinternal
UNION ALL
SELECT 'function ' || p.oid::regprocedure || ' acl=' || coalesce(p.proacl::text, '') || ' comment='
       || coalesce(obj_description(p.oid, 'pg_proc'), '') || ' ' || CASE WHEN p.prokind = 'a' THEN '' ELSE pg_get_functiondef(p.oid) END
  FROM pg_proc p WHERE p.pronamespace = 'tailings'::regnamespace
UNION ALL
SELECT 'view ' || r.relname || ' ' || pg_get_viewdef(r.oid) FROM rels r WHERE r.relkind IN ('v', 'm')
UNION ALL
SELECT 'type ' || t.oid::regtype || ' ' || coalesce(obj_description(t.oid, 'pg_type'), '') || ' '
       || coalesce((SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), '')
  FROM pg_type t WHERE t.typnamespace = 'tailings'::regnamespace AND t.typrelid = 0 AND t.typelem = 0
UNION ALL
SELECT 'operator ' || o.oid::regoperator || ' ' || o.oprcode::regprocedure || ' ' || o.oprcom::regoperator
       || ' ' || o.oprrest || ' ' || o.oprjoin
  FROM pg_operator o WHERE o.oprnamespace = 'tailings'::regnamespace
UNION ALL
SELECT 'operator class ' || c.opcname || ' ' || am.amname || ' ' || c.opcintype::regtype || ' ' || c.opckeytype::regtype
       || ' ' || coalesce((SELECT string_agg(a.amopstrategy || ':' || a.amopopr::regoperator, ' ' ORDER BY a.amopstrategy)
                             FROM pg_amop a WHERE a.amopfamily = c.opcfamily), '')
       || ' ' || coalesce((SELECT string_agg(p.amprocnum || ':' || p.amproc::regprocedure, ' ' ORDER BY p.amprocnum)
                             FROM pg_amproc p WHERE p.amprocfamily = c.opcfamily), '')
  FROM pg_opclass c JOIN pg_am am ON am.oid = c.opcmethod WHERE c.opcnamespace = 'tailings'::regnamespace
UNION ALL
SELECT 'schema acl=' || coalesce(nspacl::text, '') FROM pg_namespace WHERE nspname = 'tailings'
UNION ALL
SELECT 'init privileges ' || pg_describe_object(classoid, objoid, objsubid) || ' ' || initprivs::text
  FROM pg_init_privs WHERE privtype = 'e'
   AND (classoid, objoid) IN (SELECT 'pg_class'::regclass, oid FROM rels
                              UNION ALL SELECT 'pg_proc'::regclass, oid FROM pg_proc WHERE pronamespace = 'tailings'::regnamespace)
UNION ALL
SELECT 'event trigger ' || evtname || ' ' || evtevent || ' ' || evtfoid::regproc || ' ' || coalesce(evttags::text, '')
  FROM pg_event_trigger
ORDER BY 1;
SQL
}
catalog fresh >"$TAILINGS_TEST_WORK/catalog.fresh"
catalog upgraded >"$TAILINGS_TEST_WORK/catalog.upgraded"
diff "$TAILINGS_TEST_WORK/catalog.fresh" "$TAILINGS_TEST_WORK/catalog.upgraded"
echo "$(grep -c '^policy ' "$TAILINGS_TEST_WORK/catalog.fresh") policies, $(grep -c '^function ' "$TAILINGS_TEST_WORK/catalog.fresh") functions alike"
test "$(grep -c '^pg_catalog|' "$TAILINGS_TEST_WORK/operators.fresh")" = 16   # 12 operators, 4 aggregates
# the data is kept and the new parts work on it
test "$(q -d upgraded -c "SELECT count(*) FROM tailings.element")" = 999
test "$(q -d upgraded -c "SELECT min_count FROM tailings.requirement WHERE name = 'dam'")" = 2
test "$(q -d upgraded -c "SELECT count(*) FROM tailings.pond_overview WHERE score = 1")" = 0   # two dams now required
q -d upgraded -c "UPDATE tailings.requirement SET min_count = 1 WHERE name = 'dam'"
test "$(q -d upgraded -c "SELECT count(*) FROM tailings.pond_overview WHERE score = 1")" = 14
test "$(q -d upgraded -c "SELECT count(*) FROM tailings.change_log")" = 1
test "$(q -d upgraded -c "SELECT length(tailings.tile(14, 12824, 6942)) > 0")" = t
test "$(q -d upgraded -c "SELECT count(*) FROM tailings._ponds_as_of(now())")" = 40
echo "update: as a fresh install"

# from the previous version too: its update script alone must reach the same objects
previous=$(ls "$(pg_config --sharedir)/extension"/tailings--*--"$latest".sql | sed -nE 's/.*tailings--([0-9.]+)--[0-9.]+\.sql$/\1/p')
echo "updating $previous -> $latest"
dropdb --if-exists upgraded; createdb upgraded
q -d upgraded -c "CREATE EXTENSION tailings VERSION '$previous' CASCADE"
q -d upgraded -f sql/sample/panzhihua.sql
# a history made with the previous version (one transaction per step: updates, several
# of one row at once, a delete and re-insert with the same id, moves between ponds, pond
# edits, samples, a rolled back change); after the update the history tables built from
# the log give the rows the previous version's functions gave, at every moment
for i in 1 2 3 4 5; do
	q -d upgraded <<SQL
UPDATE tailings.element SET name = name || '*' WHERE id % 50 = $i + 10;
BEGIN;
UPDATE tailings.element SET geom = ST_Translate(geom, 0.0001, 0) WHERE id = $i * 3;
UPDATE tailings.element SET name = name || '+' WHERE id = $i * 3;
CREATE TEMP TABLE k AS SELECT * FROM tailings.element WHERE id = $i * 7;
DELETE FROM tailings.element WHERE id = $i * 7;
INSERT INTO tailings.element SELECT * FROM k;
COMMIT;
SELECT id AS moved, pond_id AS home FROM tailings.element WHERE kind = 'sign' ORDER BY id OFFSET $i LIMIT 1 \gset
UPDATE tailings.element SET pond_id = (SELECT min(p.id) FROM tailings.pond p WHERE p.id <> element.pond_id)
 WHERE id = :moved;
UPDATE tailings.element SET pond_id = :home WHERE id = :moved;
UPDATE tailings.pond SET name = name || '*', location = ST_Translate(location, 0, 0.0001) WHERE id = $i;
INSERT INTO tailings.sample (element_id, sampled_on, parameter, value)
SELECT min(id), DATE '2025-06-01' + $i, 'arsenic', $i * 0.01 FROM tailings.element WHERE kind = 'gw_monitoring_well';
UPDATE tailings.sample SET value = value * 2 WHERE id = (SELECT min(id) FROM tailings.sample);
BEGIN;
DELETE FROM tailings.element WHERE id = $i * 11;
ROLLBACK;
SQL
done
last=$(q -d upgraded -c "SELECT max(id) FROM tailings.change_log")
as_of_all() {  # at the moments of the history above
	q -d upgraded -v last="$last" <<'SQL'
WITH moments AS (SELECT DISTINCT unnest(ARRAY[changed_at, changed_at - interval '1 microsecond']) AS m
                   FROM tailings.change_log WHERE id <= :last UNION SELECT '-infinity')
SELECT m, (SELECT md5(string_agg(x::text, ',' ORDER BY x.id)) FROM tailings._elements_as_of(m) x),
       (SELECT md5(string_agg(x::text, ',' ORDER BY x.id)) FROM tailings._ponds_as_of(m) x),
       (SELECT md5(string_agg(x::text, ',' ORDER BY x.id)) FROM tailings._samples_as_of(m) x)
  FROM moments ORDER BY m;
SQL
}
as_of_all >"$TAILINGS_TEST_WORK/as_of.before"
test "$(wc -l <"$TAILINGS_TEST_WORK/as_of.before")" -gt 40
# one session tracks a change before the update (the log has the previous version's
# columns) and after it (the log insert is made again with the new ones)
test "$(q -d upgraded <<'SQL'
UPDATE tailings.element SET name = name || ' (before)' WHERE id = 1;
ALTER EXTENSION tailings UPDATE;
BEGIN;
-- (only approve() may set the submission; its guard is set aside for this one change)
ALTER TABLE tailings.element DISABLE TRIGGER element_submission_mark;
SELECT set_config('tailings.submission_id', '7', true) \g /dev/null
UPDATE tailings.element SET name = name || ' (after)' WHERE id = 1;
ALTER TABLE tailings.element ENABLE TRIGGER element_submission_mark;
COMMIT;
SELECT string_agg(coalesce(submission_id::text, '-') || ':' || (new_row->>'name' LIKE '%(after)'), ',' ORDER BY id)
  FROM tailings.change_log WHERE row_id = 1 AND table_name = 'tailings.element' AND op = 'U';
SQL
)" = "-:false,7:true"
members upgraded >"$TAILINGS_TEST_WORK/members.upgraded"
diff "$TAILINGS_TEST_WORK/members.fresh" "$TAILINGS_TEST_WORK/members.upgraded"
diff <(defs fresh) <(defs upgraded)
operators upgraded >"$TAILINGS_TEST_WORK/operators.upgraded"
diff "$TAILINGS_TEST_WORK/operators.fresh" "$TAILINGS_TEST_WORK/operators.upgraded"
catalog upgraded >"$TAILINGS_TEST_WORK/catalog.upgraded"
diff "$TAILINGS_TEST_WORK/catalog.fresh" "$TAILINGS_TEST_WORK/catalog.upgraded"
as_of_all >"$TAILINGS_TEST_WORK/as_of.after"
diff "$TAILINGS_TEST_WORK/as_of.before" "$TAILINGS_TEST_WORK/as_of.after"
echo "update from $previous: time travel alike at $(wc -l <"$TAILINGS_TEST_WORK/as_of.after") moments"
test "$(q -d upgraded -c "SELECT count(*) FROM tailings.pond_overview WHERE score = 1")" = 14
# the update kept every pond's completeness summary (tailings.pond_summary, 0.9.0), each what a fresh check says
test "$(q -d upgraded -c "SELECT count(*) FROM tailings.pond_summary")" = 40
test "$(q -d upgraded -c "SELECT count(*) FROM tailings.summary_pending")" = 0
test "$(q -d upgraded -c "SELECT count(*) FROM tailings.pond p LEFT JOIN tailings.pond_summary k ON k.pond_id = p.id,
	tailings._pond_summary_computed(p.id) c
	WHERE k.pond_id IS NULL
	   OR (k.score, k.rules, k.errors_failed, k.warnings_failed, k.valid_from, k.valid_until)
	      IS DISTINCT FROM (c.score, c.rules, c.errors_failed, c.warnings_failed, c.valid_from, c.valid_until)")" = 0
echo "update from $previous: as a fresh install"
