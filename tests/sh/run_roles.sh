#!/usr/bin/env bash
# The tile server's read-only role (sql/roles/tileserver.sql) and who make run
# and Docker connect as: the role file runs twice on a throwaway database; the
# role's attributes; a tile server connected as that role answers tiles, the API
# and the change stream; the role cannot write (INSERT, UPDATE, DELETE, TRUNCATE,
# CREATE in tailings and public, ALTER ROLE itself, ... each 42501; by default
# its sessions are read-only, 25006); make run's script (scripts/run.sh) on
# a throwaway embedded cluster starts the server as that role, and with a
# superuser's DATABASE_URL warns; docker/compose.yaml holds no password and
# docker/.env is ignored by git.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/http.sh"
root=$(cd "$here/../.." && pwd)
db=run_roles_db
role=tailings_tileserver
roles_sql=$root/sql/roles/tileserver.sql
run_pid=
run_pgdir=$HTTP_WORK/run_roles_pg
cleanup() {
	http_cleanup
	if [ -n "$run_pid" ]; then kill -TERM "$run_pid" 2>/dev/null; wait "$run_pid" 2>/dev/null; fi
	"$root/scripts/cluster.sh" stop "$run_pgdir" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

dropdb --if-exists "$db" || die "dropdb"
createdb -T tailings_sample "$db" || die "createdb"

echo "# the role file, twice"
check "sql/roles/tileserver.sql runs" q -d "$db" -f "$roles_sql"
check "... and again (idempotent)" q -d "$db" -f "$roles_sql"
check "... and with a password (psql -v tileserver_password=...)" \
	q -d "$db" -v tileserver_password=not-a-real-secret -f "$roles_sql"
expect_eq "the password is stored (SCRAM)" \
	"$(q -d "$db" -c "SELECT left(rolpassword, 13) FROM pg_authid WHERE rolname = '$role'")" 'SCRAM-SHA-256'
q -d "$db" -f "$roles_sql"
expect_eq "... and kept when the file runs again without one" \
	"$(q -d "$db" -c "SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = '$role'")" t
expect_eq "one role of that name" "$(q -d "$db" -c "SELECT count(*) FROM pg_roles WHERE rolname = '$role'")" 1
expect_eq "a login, no superuser, createdb, createrole, replication or bypassrls" \
	"$(q -d "$db" -c "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls
	                    FROM pg_roles WHERE rolname = '$role'")" 't|f|f|f|f|f'
# a role that was made too powerful by hand is brought back to the definition
q -d "$db" -c "ALTER ROLE $role SUPERUSER CREATEDB; GRANT INSERT, DELETE ON tailings.element TO $role"
q -d "$db" -f "$roles_sql"
expect_eq "the file takes back SUPERUSER, CREATEDB and table writes given by hand" \
	"$(q -d "$db" -c "SELECT rolsuper, rolcreatedb, has_table_privilege('$role', 'tailings.element', 'INSERT'),
	                         has_table_privilege('$role', 'tailings.element', 'DELETE')
	                    FROM pg_roles WHERE rolname = '$role'")" 'f|f|f|f'
expect_match "SELECT on every table and view of tailings but the API tokens" \
	"$(q -d "$db" -c "SELECT count(*) FILTER (WHERE NOT has_table_privilege('$role', c.oid, 'SELECT')) || ' of ' || count(*)
	                    FROM pg_class c WHERE c.relnamespace = 'tailings'::regnamespace AND c.relkind IN ('r', 'v', 'p', 'm')
	                     AND c.oid <> 'tailings.api_token'::regclass")" '^0 of [1-9]'
expect_eq "a reader (tailings_reader: row-level security shows it every pond); no API token row; token_role()" \
	"$(q -d "$db" -c "SELECT pg_has_role('$role', 'tailings_reader', 'MEMBER'),
	                         has_table_privilege('$role', 'tailings.api_token', 'SELECT'),
	                         has_function_privilege('$role', 'tailings.token_role(bytea)', 'EXECUTE'),
	                         has_function_privilege('tailings_reader', 'tailings.token_role(bytea)', 'EXECUTE')")" 't|f|t|f'
expect_eq "as $role: every pond and element of the sample (row-level security)" \
	"$(psql -X -q -At -d "$db" -U "$role" -c "SELECT (SELECT count(*) FROM tailings.pond) || ' ' || (SELECT count(*) FROM tailings.element)")" \
	"$(q -d "$db" -c "SELECT (SELECT count(*) FROM tailings.pond) || ' ' || (SELECT count(*) FROM tailings.element)")"
expect_eq "EXECUTE on the functions the server calls, not on prune_changes" \
	"$(q -d "$db" -c "SELECT has_function_privilege('$role', 'tailings.completeness(bigint)', 'EXECUTE'),
	                         bool_and(has_function_privilege('$role', p.oid, 'EXECUTE')),
	                         has_function_privilege('$role', 'tailings.prune_changes(timestamptz)', 'EXECUTE')
	                    FROM pg_proc p WHERE p.pronamespace = 'tailings'::regnamespace
	                     AND p.proname IN ('tile', 'check_completeness', 'label', 'category')")" 't|t|f'
out=$(psql -X -q -v ON_ERROR_STOP=1 -d postgres -f "$roles_sql" 2>&1)
expect_match "in a database without the extension: an error that says so" "$out" 'the extension tailings is not in database postgres'

echo "# the tile server as that role"
conn="host=$PGHOST port=$PGPORT user=$role dbname=$db"
http_start roles --db "$conn"
http_wait_health || die "the server did not come up as $role"
for p in /tiles/all/14/12824/6942.mvt "/tiles/all/14/12824/6942.mvt?at=2020-01-01T00:00:00Z" /tiles/ponds/10/801/433.mvt \
	/tiles/all.json /api/ponds /api/ponds/8 /api/ponds/8/completeness; do
	fetch "$p"
	case $p in
	*at=2020*) expect_match "as $role: $p (200 or 204: nothing drawn yet)" "$ST" '^20[04]$' ;;
	*) expect_eq "as $role: $p" "$ST" 200 ;;
	esac
done
expect_eq "the server's connections are $role's" \
	"$(q -d "$db" -c "SELECT string_agg(DISTINCT usename, ',') FROM pg_stat_activity WHERE datname = '$db' AND backend_type = 'client backend' AND pid <> pg_backend_pid()")" "$role"
curl -sS -N --max-time 20 "$HTTP_URL/events" >"$HTTP_WORK/roles.sse" 2>/dev/null &
sse=$!
check "the change stream (LISTEN) works as $role" wait_for "$HTTP_WORK/roles.sse" '^event: hello$'
q -d "$db" -c "UPDATE tailings.element SET name = name || ' ' WHERE id = (SELECT min(id) FROM tailings.element)"
check "... and brings a change" wait_for "$HTTP_WORK/roles.sse" '^event: change$'
kill "$sse" 2>/dev/null
http_stop
expect_eq "it stops cleanly" "$HTTP_RC" 0

echo "# $role cannot write"
counts() { q -d "$db" -c "SELECT (SELECT count(*) FROM tailings.pond), (SELECT count(*) FROM tailings.element),
	(SELECT count(*) FROM tailings.change_log), (SELECT max(changed_at) FROM tailings.change_log)"; }
counts_before=$(counts)
# in a read-write transaction, so that what refuses is the lack of privilege (42501), not
# the role's default_transaction_read_only (25006, checked after)
refused() {   # refused SQL: as the role, the statement fails with SQLSTATE 42501
	local out
	out=$(PGOPTIONS="${PGOPTIONS:-} -c default_transaction_read_only=off" \
		psql -X -q -d "$db" -U "$role" -v VERBOSITY=sqlstate -c "$1" 2>&1)
	expect_eq "refused (42501): $1" "$out" "ERROR:  42501"
}
refused "INSERT INTO tailings.element (pond_id, kind, name, geom) VALUES (3, 'sign', 'x', ST_SetSRID(ST_MakePoint(101.7, 26.6), 4490))"
refused "UPDATE tailings.element SET name = 'x' WHERE id = (SELECT min(id) FROM tailings.element)"
refused "DELETE FROM tailings.element"
refused "INSERT INTO tailings.pond (code, name) VALUES ('X', 'x')"
refused "UPDATE tailings.pond SET name = 'x'"
refused "DELETE FROM tailings.pond"
refused "TRUNCATE tailings.element"
refused "UPDATE tailings.requirement SET enabled = false"
refused "DELETE FROM tailings.change_log"
refused "SELECT nextval('tailings.element_id_seq')"
refused "SELECT tailings.prune_changes(now())"
refused "CREATE TABLE tailings.x (a int)"
refused "CREATE FUNCTION tailings.x() RETURNS int LANGUAGE sql AS 'SELECT 1'"
refused "CREATE TABLE public.x (a int)"
refused "CREATE SCHEMA x"
refused "ALTER ROLE $role SUPERUSER"
refused "ALTER ROLE $role CREATEDB"
refused "ALTER ROLE $role CREATEROLE"
refused "CREATE ROLE x"
refused "CREATE DATABASE x"
out=$(psql -X -q -d "$db" -U "$role" -v VERBOSITY=sqlstate -c "DELETE FROM tailings.element" 2>&1)
expect_eq "by default its transactions are read-only (25006)" "$out" "ERROR:  25006"
expect_eq "nothing was changed: ponds, elements, the change log" "$(counts)" "$counts_before"
expect_eq "... and nothing was created" "$(q -d "$db" -c "SELECT to_regclass('tailings.x') IS NULL AND to_regclass('public.x') IS NULL
	AND to_regprocedure('tailings.x()') IS NULL AND to_regnamespace('x') IS NULL
	AND NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'x') AND NOT EXISTS (SELECT FROM pg_database WHERE datname = 'x')")" t

echo "# make run (scripts/run.sh) on a throwaway embedded cluster"
lport=$(http_free_port)
pport=$(http_free_port)
run_out=$HTTP_WORK/run.out
run_err=$HTTP_WORK/run.err
(
	unset DATABASE_URL PGHOST PGPORT PGUSER PGDATABASE
	exec env TAILINGS_RUN_PGDIR="$run_pgdir" TAILINGS_PG_PORT="$pport" TAILINGS_LISTEN="127.0.0.1:$lport" \
		"$root/scripts/run.sh" >"$run_out" 2>"$run_err"
) &
run_pid=$!
check "make run is ready (embedded cluster created, sample loaded)" wait_for "$run_out" '^Ready in ' 180
expect_match "it says whom the tile server connects as" "$(cat "$run_out")" 'starting the tile server on [^ ]+ \(as tailings_tileserver, read-only\)'
run_q() { q -h "$run_pgdir/sock" -p "$pport" -U postgres -d tailings "$@"; }
expect_eq "make run's tile server connects as $role, not postgres" \
	"$(run_q -c "SELECT string_agg(DISTINCT usename, ',') FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")" "$role"
HTTP_URL=http://127.0.0.1:$lport
fetch /tiles/all/14/12824/6942.mvt
expect_eq "make run: a tile, 200" "$ST" 200
fetch /api/ponds
expect_eq "make run: /api/ponds, 200" "$ST" 200
check "make run: no warning about a superuser" bash -c "! grep -q superuser '$run_err'"
kill -TERM "$run_pid"
rc=0
wait "$run_pid" || rc=$?
run_pid=
expect_eq "make run stops on SIGTERM (exit 0)" "$rc" 0
check "... and stops its cluster" bash -c "! '$root/scripts/cluster.sh' status '$run_pgdir'"

echo "# make run with DATABASE_URL"
run_url() {   # run_url NAME URL: scripts/run.sh with DATABASE_URL=URL until it is ready, then SIGTERM
	local lp
	lp=$(http_free_port)
	(
		unset PGUSER PGDATABASE
		exec env DATABASE_URL="$2" TAILINGS_LISTEN="127.0.0.1:$lp" "$root/scripts/run.sh" \
			>"$HTTP_WORK/$1.out" 2>"$HTTP_WORK/$1.err"
	) &
	run_pid=$!
	wait_for "$HTTP_WORK/$1.out" '^Ready in ' 60
	local ready=$?
	kill -TERM "$run_pid" 2>/dev/null
	wait "$run_pid" 2>/dev/null
	run_pid=
	return $ready
}
check "DATABASE_URL naming a superuser: it runs" run_url super "postgresql://postgres@/$db?host=$PGHOST&port=$PGPORT"
expect_match "... and warns that the tile server should not be a superuser" "$(cat "$HTTP_WORK/super.err")" \
	'warning: DATABASE_URL connects as postgres, a superuser.*sql/roles/tileserver.sql'
check "DATABASE_URL naming $role: it runs (the extension and the sample are there)" \
	run_url reader "postgresql://$role@/$db?host=$PGHOST&port=$PGPORT"
check "... and gives no warning" bash -c "! grep -q 'warning' '$HTTP_WORK/reader.err'"

echo "# Docker: no password in compose.yaml, docker/.env not committed"
compose=$root/docker/compose.yaml
expect_eq "compose.yaml is YAML; every password comes from a required variable; DATABASE_URL names tailings_tileserver" "$("$PY" - "$compose" <<'PY'
import re, sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
bad = []
for name, svc in doc["services"].items():
    env = svc.get("environment", {})
    if isinstance(env, list):
        env = dict(e.split("=", 1) for e in env)
    for k, v in env.items():
        v = str(v)
        if "PASSWORD" in k and not re.fullmatch(r"\$\{[A-Z_]+:\?[^}]*\}", v):
            bad.append(f"{name}.{k}")
        if k == "DATABASE_URL":
            m = re.match(r"postgres(?:ql)?://([^:@/]*)(?::([^@]*))?@", v)
            if not m or m.group(1) != "tailings_tileserver" or not re.fullmatch(r"(\$\{[A-Z_]+:\?[^}]*\})?", m.group(2) or ""):
                bad.append(f"{name}.{k}")
print(" ".join(bad) or "ok")
PY
)" ok
check "compose.yaml holds no literal password (no POSTGRES_PASSWORD: or :PASSWORD@ other than \${...})" \
	bash -c "! grep -nE '^ *[A-Z_]*PASSWORD[A-Z_]*: *[^\$ ]|://[^:/@]+:[^\$@/][^@/]*@' '$compose'"
check "docker/.env is ignored by git" git -C "$root" check-ignore -q docker/.env
check "... and not committed" bash -c "[ -z \"\$(git -C '$root' ls-files docker/.env)\" ]"
check "docker/env.example is committed" bash -c "[ -n \"\$(git -C '$root' ls-files docker/env.example)\" ]"
check "docker/env.example names every variable compose.yaml requires" "$PY" - "$compose" "$root/docker/env.example" <<'PY'
import re, sys
need = set(re.findall(r"\$\{([A-Z_]+):\?", open(sys.argv[1]).read()))
have = {l.split("=", 1)[0].strip() for l in open(sys.argv[2]) if "=" in l and not l.lstrip().startswith("#")}
sys.exit(0 if need and need <= have else print("missing:", need - have) or 1)
PY
check "the database image's init runs sql/roles/tileserver.sql" grep -q 'sql/roles/tileserver.sql' "$root/docker/initdb-tailings.sh"

dropdb --if-exists "$db"
http_finish
