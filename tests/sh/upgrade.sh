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
test "$(grep -c '^pg_catalog|' "$TAILINGS_TEST_WORK/operators.fresh")" = 16   # 12 operators, 4 aggregates
# the data is kept and the new parts work on it
test "$(q -d upgraded -c "SELECT count(*) FROM tailings.element")" = 999
test "$(q -d upgraded -c "SELECT min_count FROM tailings.requirement WHERE name = 'dam'")" = 2
test "$(q -d upgraded -c "SELECT count(*) FROM tailings.pond_overview WHERE score = 1")" = 0   # two dams now required
q -d upgraded -c "UPDATE tailings.requirement SET min_count = 1 WHERE name = 'dam'"
test "$(q -d upgraded -c "SELECT count(*) FROM tailings.pond_overview WHERE score = 1")" = 14
test "$(q -d upgraded -c "SELECT count(*) FROM tailings.change_log")" = 1
test "$(q -d upgraded -c "SELECT length(tailings.tile(14, 12824, 6942)) > 0")" = t
echo "update: as a fresh install"

# from the previous version too: its update script alone must reach the same objects
previous=$(ls "$(pg_config --sharedir)/extension"/tailings--*--"$latest".sql | sed -nE 's/.*tailings--([0-9.]+)--[0-9.]+\.sql$/\1/p')
echo "updating $previous -> $latest"
dropdb --if-exists upgraded; createdb upgraded
q -d upgraded -c "CREATE EXTENSION tailings VERSION '$previous' CASCADE"
q -d upgraded -f sql/sample/panzhihua.sql
q -d upgraded -c "ALTER EXTENSION tailings UPDATE"
members upgraded >"$TAILINGS_TEST_WORK/members.upgraded"
diff "$TAILINGS_TEST_WORK/members.fresh" "$TAILINGS_TEST_WORK/members.upgraded"
diff <(defs fresh) <(defs upgraded)
operators upgraded >"$TAILINGS_TEST_WORK/operators.upgraded"
diff "$TAILINGS_TEST_WORK/operators.fresh" "$TAILINGS_TEST_WORK/operators.upgraded"
test "$(q -d upgraded -c "SELECT count(*) FROM tailings.pond_overview WHERE score = 1")" = 14
echo "update from $previous: as a fresh install"
