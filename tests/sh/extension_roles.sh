#!/usr/bin/env bash
# The extension's group roles belong to the cluster (design §7): on a cluster of its own
# (the roles are dropped and made again here, which the shared test cluster cannot afford),
#   - a role of one of their names that can log in (or is a superuser, ...) is refused, not trusted;
#   - the first CREATE EXTENSION makes them, NOLOGIN; a second database finds them, and two
#     databases creating the extension at the same time both succeed;
#   - DROP EXTENSION leaves them (and the empty schema tailings with their USAGE); DROP ROLE is
#     refused while a database uses them; the documented cleanup (README) drops them; and
#     CREATE EXTENSION after it makes them again;
#   - DROP EXTENSION then CREATE EXTENSION in the same database works, members come back empty.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/http.sh"
root=$(cd "$here/../.." && pwd)
pgdir=$TAILINGS_TEST_WORK/extension_roles_pg
port=$(http_free_port)
cleanup() { "$root/scripts/cluster.sh" stop "$pgdir" >/dev/null 2>&1; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
"$root/scripts/cluster.sh" start "$pgdir" "$port" >/dev/null || die "the cluster did not start"
export PGHOST=$pgdir/sock PGPORT=$port PGUSER=postgres
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
groups="'tailings_reader', 'tailings_enterprise', 'tailings_county', 'tailings_city', 'tailings_province', 'tailings_app'"
group_roles() {   # name:login:super per group role, in name order
	q -d postgres -c "SELECT string_agg(rolname || ':' || rolcanlogin || ':' || rolsuper, ' ' ORDER BY rolname)
	                    FROM pg_roles WHERE rolname IN ($groups)"
}
for d in one two three; do createdb "$d" || die "createdb $d"; done

echo "# a role of the same name that is not a group role"
q -d postgres -c "CREATE ROLE tailings_reader LOGIN"
out=$(psql -X -q -d one -v VERBOSITY=verbose -c "CREATE EXTENSION tailings CASCADE" 2>&1)
expect_match "CREATE EXTENSION refuses a tailings_reader that can log in (42710)" "$out" \
	'42710: role tailings_reader exists and is not a group role'
expect_match "... and says what to do" "$out" 'HINT:  Rename or drop the existing role tailings_reader'
expect_eq "... and creates nothing" "$(q -d one -c "SELECT count(*) FROM pg_extension WHERE extname = 'tailings'") $(group_roles)" \
	"0 tailings_reader:true:false"
q -d postgres -c "ALTER ROLE tailings_reader NOLOGIN SUPERUSER"
out=$(psql -X -q -d one -c "CREATE EXTENSION tailings CASCADE" 2>&1)
expect_match "... nor a superuser" "$out" 'role tailings_reader exists and is not a group role'
q -d postgres -c "DROP ROLE tailings_reader"

echo "# the first database makes the roles, a second finds them"
check "CREATE EXTENSION in database one" q -d one -c "SET client_min_messages = warning; CREATE EXTENSION tailings CASCADE"
expect_eq "six group roles, NOLOGIN, not superusers" "$(group_roles)" \
	"tailings_app:false:false tailings_city:false:false tailings_county:false:false tailings_enterprise:false:false tailings_province:false:false tailings_reader:false:false"
oids=$(q -d postgres -c "SELECT string_agg(oid::text, ',' ORDER BY rolname) FROM pg_roles WHERE rolname IN ($groups)")
expect_match "with comments" "$(q -d postgres -c "SELECT shobj_description('tailings_county'::regrole, 'pg_authid')")" '^tailings: county'
check "CREATE EXTENSION in database two (the roles exist)" q -d two -c "SET client_min_messages = warning; CREATE EXTENSION tailings CASCADE"
expect_eq "... the same roles" "$(q -d postgres -c "SELECT string_agg(oid::text, ',' ORDER BY rolname) FROM pg_roles WHERE rolname IN ($groups)")" "$oids"

echo "# a member in each, and the tile server's role"
q -d postgres -c "CREATE ROLE er_county LOGIN"
q -d one -c "SELECT tailings.add_member('er_county', 'county', '510421', '米易县 王工')" >/dev/null
q -d one -f "$root/sql/roles/tileserver.sql" >/dev/null
q -d one -c "INSERT INTO tailings.pond (code, name, county_code, supervision_level, status, location)
             VALUES ('P', 'p', '510421', 3, 'in_use', ST_SetSRID(ST_MakePoint(101.9, 26.9), 4490))"
expect_eq "the member sees its pond in database one" "$(psql -X -q -At -d one -U er_county -c "SELECT count(*) FROM tailings.pond")" 1
expect_eq "... and nothing in database two, where it is not a member (the group is cluster-wide, the member row is not)" \
	"$(psql -X -q -At -d two -U er_county -c "SELECT count(*) FROM tailings.pond")" 0

echo "# DROP EXTENSION, then CREATE EXTENSION, in one database"
check "DROP EXTENSION tailings in database two" q -d two -c "DROP EXTENSION tailings"
expect_eq "the roles stay" "$(group_roles | wc -w)" 6
expect_eq "... and the empty schema, with their USAGE" \
	"$(q -d two -c "SELECT count(*) || ' ' || has_schema_privilege('tailings_app', 'tailings', 'USAGE') FROM pg_class WHERE relnamespace = 'tailings'::regnamespace")" "0 true"
check "CREATE EXTENSION again in database two" q -d two -c "SET client_min_messages = warning; CREATE EXTENSION tailings"
expect_eq "... no member rows, the same roles" \
	"$(q -d two -c "SELECT count(*) FROM tailings.member") $(q -d postgres -c "SELECT string_agg(oid::text, ',' ORDER BY rolname) FROM pg_roles WHERE rolname IN ($groups)")" "0 $oids"

echo "# two databases making the roles at the same time"
q -d postgres -c "CREATE DATABASE race_a" -c "CREATE DATABASE race_b"
# the roles gone first (the cleanup below, in short) so that both have to make them
for d in one two; do q -d "$d" -c "DROP EXTENSION tailings CASCADE" -c "DROP SCHEMA tailings"; done
q -d postgres -c "DROP ROLE $(echo "$groups" | tr -d "'")"
expect_eq "no group role left" "$(group_roles)" ""
psql -X -q -v ON_ERROR_STOP=1 -d race_a -c "SET client_min_messages = warning" \
	-c "BEGIN" -c "CREATE EXTENSION tailings CASCADE" -c "SELECT pg_sleep(2)" -c "COMMIT" >"$TAILINGS_TEST_WORK/race_a.out" 2>&1 &
race_a=$!
sleep 1
psql -X -q -v ON_ERROR_STOP=1 -d race_b -c "SET client_min_messages = warning" -c "CREATE EXTENSION tailings CASCADE" \
	>"$TAILINGS_TEST_WORK/race_b.out" 2>&1
race_b=$?
wait "$race_a"
race_a=$?
expect_eq "both succeed (the second waits for the first's roles, and takes them)" "$race_a $race_b" "0 0"
expect_eq "... six roles, once each" "$(group_roles | wc -w)" 6

echo "# what DROP EXTENSION leaves, and the cleanup README gives"
q -d race_a -c "DROP EXTENSION tailings"
out=$(psql -X -q -d postgres -c "DROP ROLE tailings_reader" 2>&1)
expect_match "DROP ROLE is refused while a database still has the extension" "$out" \
	'role "tailings_reader" cannot be dropped because some objects depend on it'
q -d race_b -c "DROP EXTENSION tailings"
out=$(psql -X -q -d postgres -c "DROP ROLE tailings_reader" 2>&1)
expect_match "... and while a database keeps the empty schema with their USAGE" "$out" '1 object in database race_b'
for d in race_a race_b three; do check "DROP SCHEMA tailings (if any) in $d" q -d "$d" -c "DROP SCHEMA IF EXISTS tailings"; done
check "then DROP ROLE of the six succeeds" q -d postgres -c "DROP ROLE tailings_reader, tailings_enterprise, tailings_county, tailings_city, tailings_province, tailings_app"
# (the server's login stays a member of the members' logins, sql/roles/tileserver.sql: not of a group role)
expect_eq "no group role left, the logins stay" \
	"$(group_roles)|$(q -d postgres -c "SELECT count(*) FROM pg_roles WHERE rolname IN ('er_county', 'tailings_tileserver')")|$(q -d postgres -c "SELECT count(*) FROM pg_auth_members am JOIN pg_roles r ON r.oid = am.member JOIN pg_roles g ON g.oid = am.roleid WHERE r.rolname IN ('er_county', 'tailings_tileserver') AND g.rolname LIKE 'tailings\_%' AND g.rolname <> 'tailings_tileserver'")" \
	"|2|0"
check "CREATE EXTENSION after it makes them again" q -d three -c "SET client_min_messages = warning; CREATE EXTENSION tailings CASCADE"
expect_eq "... six" "$(group_roles | wc -w)" 6

http_finish
