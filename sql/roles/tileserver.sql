-- The tile server's role: tailings_tileserver, a login that can read the map and nothing more.
--
-- Run by a superuser, with psql, in the database that holds the extension tailings:
--
--   psql -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -f sql/roles/tileserver.sql
--   psql -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -v tileserver_password="$PW" -f sql/roles/tileserver.sql
--
-- The second form also sets the role's password (for connections that need one; make run's
-- embedded cluster trusts its private socket and needs none).  Without tileserver_password an
-- existing password is left as it is.  Then start the server with
--   DATABASE_URL=postgres://tailings_tileserver:PASSWORD@HOST:PORT/DATABASE
--
-- Safe to run again, and to be run after ALTER EXTENSION tailings UPDATE (new tables and
-- functions get their grants).  The role is cluster-wide; the grants are for this database:
-- run it in every database the tile server reads.  It is used by make run (scripts/run.sh),
-- by the Docker database image (docker/initdb-tailings.sh) and by the tests
-- (tests/sh/run_roles.sh, tests/sh/http_events.sh): one definition.
--
-- What the server does, and so what the role may do (tileserver/src/server.c, db.c):
--   SELECT tailings.tile(z, x, y, layers, at)            tiles, now and ?at=
--   SELECT ... FROM tailings.pond, pond_overview          /api/ponds
--   tailings.completeness(), check_completeness(), label(), category(), tailings.element,
--   tailings.change_log                                   /api/ponds/{id}, .../completeness
--   ST_Extent(tailings.pond.location)                     TileJSON bounds (PostGIS)
--   LISTEN tailings_changes                               /events (needs no grant)
--   tailings.token_role(sha256)                           --auth token: the role a token stands for
-- Through tailings_reader, row-level security shows it every pond (0.7.0); it reads no API token row.
-- It may not write anything: no INSERT, UPDATE, DELETE or TRUNCATE, no CREATE in the schemas
-- tailings and public, and not change its own attributes (SQLSTATE 42501 for each).
--
-- With --auth token the server runs each request as the role its token names (SET LOCAL ROLE
-- in the request's transaction), which PostgreSQL allows only to a member of that role: the
-- last block grants it every member's role (tailings.member) and every role a live API token
-- stands for, and with -v anonymous_role=ROLE the --anonymous-role.  Run this file again after
-- add_member() or create_token() for a new role (or GRANT the role to tailings_tileserver).
-- Never a role that is a superuser or has BYPASSRLS, CREATEROLE or REPLICATION (token_role()
-- names none either).  PostgreSQL 15 has no membership without inheritance: tailings_tileserver
-- holds its members' privileges too, but row-level security lets a role with no member row
-- write no pond or element, and its own transactions stay read-only.

SET client_min_messages = warning;

DO $role$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tailings_tileserver') THEN
		CREATE ROLE tailings_tileserver LOGIN;
	END IF;
END
$role$;

-- whatever it was before: a plain login, no superuser, no role or database creation
ALTER ROLE tailings_tileserver LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
	INHERIT CONNECTION LIMIT -1;
COMMENT ON ROLE tailings_tileserver IS
	'tailings-tileserver: reads the map (sql/roles/tileserver.sql); writes nothing';
-- its sessions are read-only transactions by default (a second guard behind the grants)
ALTER ROLE tailings_tileserver SET default_transaction_read_only = on;

\if :{?tileserver_password}
ALTER ROLE tailings_tileserver PASSWORD :'tileserver_password';
\endif

DO $grants$
DECLARE
	postgis_schema name := (SELECT n.nspname FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
	                         WHERE x.extname = 'postgis');
	f regprocedure;
BEGIN
	IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'tailings') THEN
		RAISE EXCEPTION 'the extension tailings is not in database %', current_database()
			USING HINT = 'run CREATE EXTENSION tailings CASCADE first, or connect to the database that has it';
	END IF;
	EXECUTE format('GRANT CONNECT ON DATABASE %I TO tailings_tileserver', current_database());
	EXECUTE format('REVOKE CREATE ON DATABASE %I FROM tailings_tileserver', current_database());

	-- reading: the schemas, every table and view of tailings, and nothing else
	GRANT USAGE ON SCHEMA tailings TO tailings_tileserver;
	REVOKE CREATE ON SCHEMA tailings FROM tailings_tileserver;
	REVOKE ALL ON ALL TABLES IN SCHEMA tailings FROM tailings_tileserver;
	GRANT SELECT ON ALL TABLES IN SCHEMA tailings TO tailings_tileserver;
	REVOKE ALL ON ALL SEQUENCES IN SCHEMA tailings FROM tailings_tileserver;
	REVOKE CREATE ON SCHEMA public FROM tailings_tileserver;
	IF postgis_schema IS NOT NULL THEN
		EXECUTE format('GRANT USAGE ON SCHEMA %I TO tailings_tileserver', postgis_schema);
	END IF;

	-- the functions its SQL calls (every overload).  Extension functions are executable by
	-- PUBLIC unless a DBA revoked that; prune_changes, which deletes history, is not, and is
	-- not granted here.
	FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
	           WHERE p.pronamespace = 'tailings'::regnamespace
	             AND p.proname IN ('tile', 'elements_at', 'completeness', 'check_completeness', 'label', 'category', 'history_horizon')
	LOOP
		EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO tailings_tileserver', f);
	END LOOP;

	-- with the roles of design §7 (0.7.0), the read-only group that row-level security shows
	-- every pond: the tile server serves the whole map
	IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'tailings_reader' AND NOT rolcanlogin) THEN
		GRANT tailings_reader TO tailings_tileserver;
	END IF;
	-- the API tokens: the server never reads the table (hashes, roles, labels), it asks which
	-- role the hash of a token it was given stands for (--auth token)
	IF to_regclass('tailings.api_token') IS NOT NULL THEN
		REVOKE ALL ON TABLE tailings.api_token FROM tailings_tileserver;
	END IF;
	IF to_regprocedure('tailings.token_role(bytea)') IS NOT NULL THEN
		GRANT EXECUTE ON FUNCTION tailings.token_role(bytea) TO tailings_tileserver;
	END IF;
END
$grants$;

-- --auth token: the roles the server takes on (see above)
\if :{?anonymous_role}
SELECT pg_catalog.set_config('tileserver_sql.anonymous_role', :'anonymous_role', false) \g /dev/null
\endif
DO $members$
DECLARE
	r name;
	more name[];
	wanted name[] := '{}';
	anonymous text := nullif(current_setting('tileserver_sql.anonymous_role', true), '');
BEGIN
	IF anonymous IS NOT NULL THEN
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = anonymous) THEN
			RAISE EXCEPTION 'the anonymous role % does not exist', anonymous USING ERRCODE = 'undefined_object';
		END IF;
		wanted := wanted || anonymous::name;
	END IF;
	-- (before 0.7.0 there are neither members nor tokens)
	IF to_regclass('tailings.member') IS NOT NULL THEN
		EXECUTE 'SELECT array_agg(role_name) FROM tailings.member' INTO more;
		wanted := wanted || coalesce(more, '{}');
	END IF;
	IF to_regclass('tailings.api_token') IS NOT NULL THEN
		EXECUTE 'SELECT array_agg(role_name) FROM tailings.api_token WHERE revoked_at IS NULL AND expires_at > now()'
		   INTO more;
		wanted := wanted || coalesce(more, '{}');
	END IF;
	FOR r IN SELECT DISTINCT o.rolname FROM unnest(wanted) w JOIN pg_roles o ON o.rolname = w
	          WHERE NOT (o.rolsuper OR o.rolbypassrls OR o.rolcreaterole OR o.rolreplication)
	            AND o.rolname <> 'tailings_tileserver'
	            AND NOT pg_has_role('tailings_tileserver', o.oid, 'MEMBER')
	            AND NOT pg_has_role(o.oid, 'tailings_tileserver', 'MEMBER')
	LOOP
		EXECUTE format('GRANT %I TO tailings_tileserver', r);
	END LOOP;
END
$members$;

RESET client_min_messages;
