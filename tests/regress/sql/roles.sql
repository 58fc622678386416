-- Who does what (design §7): group roles, members and scopes, row-level
-- security and privileges, the change log's actor, API tokens, and the
-- attacks of a member that wants more.
-- in a database of its own, with data of its own (the ids and rows of the other files stay as they are)
\set regress_db :DBNAME
SET client_min_messages = warning;
DROP DATABASE IF EXISTS tailings_roles;
CREATE DATABASE tailings_roles;
\c tailings_roles
SET client_min_messages = warning;
CREATE EXTENSION tailings CASCADE;
SET search_path = tailings, public;
\set SHOW_CONTEXT never
\set VERBOSITY terse

---------------------------------------------------------------------------
-- 1. The group roles: cluster-wide, NOLOGIN, nothing more
---------------------------------------------------------------------------
SELECT rolname, rolcanlogin, rolsuper, rolbypassrls, rolcreaterole, rolinherit
  FROM pg_roles WHERE rolname IN ('tailings_reader', 'tailings_enterprise', 'tailings_county', 'tailings_city',
                                  'tailings_province', 'tailings_app') ORDER BY 1;
-- a second database of the same cluster creates the extension with them, and
-- drops and creates it again
DROP DATABASE IF EXISTS tailings_roles_second;
CREATE DATABASE tailings_roles_second;
\c tailings_roles_second
SET client_min_messages = warning;
CREATE EXTENSION tailings CASCADE;
SELECT count(*) AS group_roles FROM pg_roles WHERE rolname IN ('tailings_reader', 'tailings_enterprise',
	'tailings_county', 'tailings_city', 'tailings_province', 'tailings_app') AND NOT rolcanlogin;
DROP EXTENSION tailings;
-- what DROP EXTENSION leaves: the roles (cluster-wide), and the empty schema with their USAGE
SELECT count(*) AS group_roles_left FROM pg_roles WHERE rolname IN ('tailings_reader', 'tailings_enterprise',
	'tailings_county', 'tailings_city', 'tailings_province', 'tailings_app');
SELECT nspname, (SELECT count(*) FROM pg_class WHERE relnamespace = n.oid) AS relations,
       has_schema_privilege('tailings_reader', n.oid, 'USAGE') AS reader_usage
  FROM pg_namespace n WHERE nspname = 'tailings';
CREATE EXTENSION tailings;
SELECT extversion FROM pg_extension WHERE extname = 'tailings';
-- while a database uses them, the roles cannot be dropped
DROP ROLE tailings_reader;
\echo :SQLSTATE
\c tailings_roles
DROP DATABASE tailings_roles_second;
SET search_path = tailings, public;
\set SHOW_CONTEXT never
\set VERBOSITY terse

---------------------------------------------------------------------------
-- 2. Unified social credit codes (GB 32100-2015)
---------------------------------------------------------------------------
SELECT code, uscc_valid(code), _uscc_check_char(code) AS check_char
  FROM (VALUES ('91350100M000100Y43'),   -- the form's usual example
               ('91350100M000100Y44'),   -- check character wrong
               ('9144030071526726XG'),
               ('91330100716105852F'),
               ('914403001922038216'),
               ('91510421MA6ABCDE1L'),
               ('91510421MA6ABCDE1l'),   -- lower case
               ('91510421MA6ABCDI1L'),   -- I is not in the alphabet (nor O, S, V, Z)
               ('9151042XMA6ABCDE1L'),   -- the division code is 6 digits
               ('91510421MA6ABCDE1'),    -- 17 characters
               ('91510421MA6ABCDE1LL'),  -- 19
               ('')) AS v(code);
-- the pond's column checks it
INSERT INTO pond (code, name, enterprise_code, supervision_level, status, location)
VALUES ('BAD', '坏代码', '91510421MA6ABCDE1X', 3, 'in_use', ST_SetSRID(ST_MakePoint(101.8, 26.9), 4490));
\echo :SQLSTATE

---------------------------------------------------------------------------
-- 3. The data: five ponds in two provinces, two enterprises in Panzhihua
---------------------------------------------------------------------------
--   RL-A1, RL-A2  enterprise A (91510421MA6ABCDE1L), county 510421 (米易县, city 5104)
--   RL-B1         enterprise B (91510422MA6XYW123G), county 510422 (盐边县, city 5104)
--   RL-C1         enterprise C (91530102MA6QQQ0014), county 530102 (Yunnan)
--   RL-E          no enterprise code, county 510421, no elements
INSERT INTO pond (code, name, enterprise, enterprise_code, county_code, supervision_level, status, location) VALUES
 ('RL-A1', '甲一库', '甲公司', '91510421MA6ABCDE1L', '510421', 2, 'in_use', ST_SetSRID(ST_MakePoint(101.800, 26.900), 4490)),
 ('RL-A2', '甲二库', '甲公司', '91510421MA6ABCDE1L', '510421', 3, 'suspended', ST_SetSRID(ST_MakePoint(101.900, 26.950), 4490)),
 ('RL-B1', '乙一库', '乙公司', '91510422MA6XYW123G', '510422', 3, 'in_use', ST_SetSRID(ST_MakePoint(101.802, 26.901), 4490)),
 ('RL-C1', '丙一库', '丙公司', '91530102MA6QQQ0014', '530102', 3, 'closed', ST_SetSRID(ST_MakePoint(102.700, 25.000), 4490)),
 ('RL-E', '无主库', NULL, NULL, '510421', 3, 'closed', ST_SetSRID(ST_MakePoint(101.950, 26.800), 4490));
SELECT id AS a1 FROM pond WHERE code = 'RL-A1' \gset
SELECT id AS a2 FROM pond WHERE code = 'RL-A2' \gset
SELECT id AS b1 FROM pond WHERE code = 'RL-B1' \gset
SELECT id AS c1 FROM pond WHERE code = 'RL-C1' \gset
SELECT id AS e FROM pond WHERE code = 'RL-E' \gset
INSERT INTO element (pond_id, kind, geom, name) VALUES
 (:a1, 'sign', ST_SetSRID(ST_MakePoint(101.8001, 26.9001), 4490), 'A1 sign'),
 (:a1, 'gw_monitoring_well', ST_SetSRID(ST_MakePoint(101.8003, 26.8995), 4490), 'A1 well'),
 (:a2, 'sign', ST_SetSRID(ST_MakePoint(101.9001, 26.9501), 4490), 'A2 sign'),
 (:b1, 'sign', ST_SetSRID(ST_MakePoint(101.8021, 26.9011), 4490), 'B1 sign'),
 (:b1, 'dam', ST_GeomFromText('LINESTRING(101.8020 26.9005, 101.8030 26.9005)', 4490), 'B1 dam'),
 (:c1, 'sign', ST_SetSRID(ST_MakePoint(102.7001, 25.0001), 4490), 'C1 sign');
INSERT INTO requirement (name, category, kinds, description_en) VALUES ('regress_extra', 'site', '{sign}', 'an extra rule');

-- the logins: one per member, a reader, a login that is nothing, an application
CREATE ROLE regress_roles_reader LOGIN;
CREATE ROLE regress_roles_ent_a LOGIN;
CREATE ROLE regress_roles_ent_b LOGIN;
CREATE ROLE regress_roles_county LOGIN;
CREATE ROLE regress_roles_city LOGIN;
CREATE ROLE regress_roles_province LOGIN;
CREATE ROLE regress_roles_nobody LOGIN;
CREATE ROLE regress_roles_app LOGIN;
GRANT tailings_reader TO regress_roles_reader;
GRANT tailings_app TO regress_roles_app;
SELECT add_member('regress_roles_ent_a', 'enterprise', '91510421MA6ABCDE1L', '甲公司 安全员');
SELECT add_member('regress_roles_ent_b', 'enterprise', '91510422MA6XYW123G', '乙公司 安全员');
SELECT add_member('regress_roles_county', 'county', '510421', '米易县生态环境局 王工');
SELECT add_member('regress_roles_city', 'city', '5104', '攀枝花市生态环境局 李科长');
SELECT add_member('regress_roles_province', 'province', '51', '四川省生态环境厅 赵处长');
SELECT m.role_name, m.level, m.scope, m.display_name,
       (SELECT string_agg(g.rolname, ',' ORDER BY g.rolname) FROM pg_auth_members am JOIN pg_roles g ON g.oid = am.roleid
         WHERE am.member = r.oid) AS groups
  FROM member m JOIN pg_roles r ON r.rolname = m.role_name ORDER BY 1;

---------------------------------------------------------------------------
-- 4. The matrix: each role, each table, SELECT (rows seen), INSERT, UPDATE,
-- DELETE (rows it may change), or the SQLSTATE of the refusal.  Each write
-- is rolled back.
---------------------------------------------------------------------------
CREATE FUNCTION pg_temp.try(who name, sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
	result text;
BEGIN
	BEGIN
		EXECUTE format('SET LOCAL ROLE %I', who);
		IF sql ~* '^\s*SELECT' THEN
			EXECUTE sql INTO n;
		ELSE
			EXECUTE sql;
			GET DIAGNOSTICS n = ROW_COUNT;
		END IF;
		result := 'ok ' || n;
		RAISE EXCEPTION 'roll back' USING ERRCODE = 'T0001';
	EXCEPTION
		WHEN SQLSTATE 'T0001' THEN NULL;
		WHEN OTHERS THEN result := SQLSTATE;
	END;
	RETURN result;
END
$$;
CREATE TEMP TABLE who (ord int, role name, what text);
INSERT INTO who VALUES
 (1, 'regress_roles_reader', 'reader'), (2, 'regress_roles_ent_a', 'enterprise A'),
 (3, 'regress_roles_ent_b', 'enterprise B'), (4, 'regress_roles_county', 'county 510421'),
 (5, 'regress_roles_city', 'city 5104'), (6, 'regress_roles_province', 'province 51'),
 (7, 'regress_roles_nobody', 'login, not a member'), (8, 'regress_roles_app', 'tailings_app only');
CREATE TEMP TABLE ops (ord int, tbl text, sel text, ins text, upd text, del text);
INSERT INTO ops VALUES
 (1, 'pond', 'SELECT count(*) FROM tailings.pond',
  $$INSERT INTO tailings.pond (code, name, county_code, supervision_level, status, location)
    VALUES ('RL-N', '新库', '510421', 3, 'in_use', ST_SetSRID(ST_MakePoint(101.85, 26.85), 4490))$$,
  'UPDATE tailings.pond SET status = status',
  'DELETE FROM tailings.pond p WHERE NOT EXISTS (SELECT FROM tailings.element e WHERE e.pond_id = p.id)'),
 (2, 'element', 'SELECT count(*) FROM tailings.element',
  format($$INSERT INTO tailings.element (pond_id, kind, geom) VALUES (%s, 'sign', ST_SetSRID(ST_MakePoint(101.8002, 26.9002), 4490))$$, :a1),
  'UPDATE tailings.element SET name = name',
  'DELETE FROM tailings.element'),
 (3, 'requirement', 'SELECT count(*) FROM tailings.requirement',
  $$INSERT INTO tailings.requirement (name, category, kinds) VALUES ('regress_new', 'site', '{dam}')$$,
  'UPDATE tailings.requirement SET enabled = enabled',
  'DELETE FROM tailings.requirement WHERE NOT builtin'),
 (4, 'change_log', 'SELECT count(*) FROM tailings.change_log',
  $$INSERT INTO tailings.change_log (txid, changed_at, actor, table_name, op) VALUES (pg_current_xact_id(), now(), 'x', 'x', 'I')$$,
  'UPDATE tailings.change_log SET actor = actor',
  'DELETE FROM tailings.change_log'),
 (5, 'member', 'SELECT count(*) FROM tailings.member',
  $$INSERT INTO tailings.member VALUES (current_user, 'province', '51', 'me')$$,
  'UPDATE tailings.member SET display_name = display_name',
  'DELETE FROM tailings.member'),
 (6, 'api_token', 'SELECT count(*) FROM tailings.api_token',
  $$INSERT INTO tailings.api_token (role_name, label, token_sha256, expires_at) VALUES (current_user, 'x', sha256('x'), now() + interval '1 day')$$,
  'UPDATE tailings.api_token SET label = label',
  'DELETE FROM tailings.api_token'),
 (7, 'submission', 'SELECT count(*) FROM tailings.submission',
  format($$INSERT INTO tailings.submission (pond_id, features) VALUES (%s, tailings.pond_geojson(%s))$$, :a1, :a1),
  'UPDATE tailings.submission SET review_note = review_note',
  'DELETE FROM tailings.submission');
-- (enterprise A's draft of its pond, for the submission rows)
SET ROLE regress_roles_ent_a;
SELECT tailings.import_geojson(:a1, tailings.pond_geojson(:a1)) IS NOT NULL AS drafted;
RESET ROLE;
SELECT w.what AS role, o.tbl AS "table",
       pg_temp.try(w.role, o.sel) AS "select", pg_temp.try(w.role, o.ins) AS "insert",
       pg_temp.try(w.role, o.upd) AS "update", pg_temp.try(w.role, o.del) AS "delete"
  FROM who w CROSS JOIN ops o ORDER BY w.ord, o.ord;
-- nothing of it stayed
SELECT (SELECT count(*) FROM pond) AS ponds, (SELECT count(*) FROM element) AS elements,
       (SELECT count(*) FROM requirement) AS rules, (SELECT count(*) FROM member) AS members,
       (SELECT count(*) FROM api_token) AS tokens;

-- which rows each sees
CREATE FUNCTION pg_temp.seen(who name, OUT ponds text, OUT elements text, OUT log_ponds text, OUT log_rows_of_no_pond bigint)
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('SET LOCAL ROLE %I', who);
	SELECT string_agg(p.code, ' ' ORDER BY p.code) INTO ponds FROM tailings.pond p;
	SELECT string_agg(e.name, ', ' ORDER BY e.name) INTO elements FROM tailings.element e;
	SELECT string_agg(DISTINCT p.code, ' ' ORDER BY p.code) INTO log_ponds
	  FROM tailings.change_log c JOIN tailings.pond p ON p.id = c.pond_id;
	SELECT count(*) INTO log_rows_of_no_pond FROM tailings.change_log c WHERE c.pond_id IS NULL;
	RESET ROLE;
END
$$;
SELECT w.what AS role, s.* FROM who w, LATERAL pg_temp.seen(w.role) s WHERE w.ord <= 6 ORDER BY w.ord;

---------------------------------------------------------------------------
-- 5. Through the views and functions: the same rows
---------------------------------------------------------------------------
SET ROLE regress_roles_county;
SELECT count(*) AS element_point, count(*) FILTER (WHERE pond_id <> ALL (ARRAY[:a1, :a2])) AS outside
  FROM element_point;
SELECT code, score IS NOT NULL AS scored FROM pond_overview ORDER BY code;
SELECT count(*) AS elements_at_b1 FROM elements_at(:b1, now());
SELECT count(*) AS check_rows_b1 FROM check_completeness(:b1);
\echo :SQLSTATE
-- the GIS views write with the member's rights: in scope, and not outside it
INSERT INTO element_point (pond_id, kind, geom) VALUES (:a2, 'gw_background_well', ST_GeomFromText('MULTIPOINT((101.9002 26.9502))', 4490))
RETURNING kind, kind_label;
INSERT INTO element_point (pond_id, kind, geom) VALUES (:b1, 'gw_background_well', ST_GeomFromText('MULTIPOINT((101.8022 26.9012))', 4490));
\echo :SQLSTATE
UPDATE element_point SET name = 'moved out' WHERE pond_id = :a2 AND kind = 'gw_background_well';
UPDATE element SET pond_id = :b1 WHERE name = 'moved out';
\echo :SQLSTATE
DELETE FROM element_point WHERE name = 'moved out';
RESET ROLE;
-- tiles: a member's tile holds its ponds only; a reader's all
SELECT 14 AS z, floor((101.801 + 180) / 360 * 2 ^ 14)::int AS x,
       floor((1 - ln(tan(radians(26.9005)) + 1 / cos(radians(26.9005))) / pi()) / 2 * 2 ^ 14)::int AS y \gset
CREATE TEMP TABLE tiles AS SELECT 'superuser'::text AS who, tile(:z, :x, :y) AS mvt;
GRANT SELECT, INSERT ON pg_temp.tiles TO PUBLIC;
SET ROLE regress_roles_reader;
INSERT INTO tiles SELECT 'reader', tailings.tile(:z, :x, :y);
SET ROLE regress_roles_ent_a;
INSERT INTO tiles SELECT 'enterprise A', tailings.tile(:z, :x, :y);
SET ROLE regress_roles_ent_b;
INSERT INTO tiles SELECT 'enterprise B', tailings.tile(:z, :x, :y);
SET ROLE regress_roles_county;
INSERT INTO tiles SELECT 'county 510421', tailings.tile(:z, :x, :y);
RESET ROLE;
SELECT who, position('RL-A1'::bytea IN mvt) > 0 AS has_a1, position('RL-B1'::bytea IN mvt) > 0 AS has_b1,
       position('A1 well'::bytea IN mvt) > 0 AS has_a1_well, position('B1 dam'::bytea IN mvt) > 0 AS has_b1_dam,
       mvt = (SELECT t.mvt FROM tiles t WHERE t.who = 'superuser') AS as_superuser
  FROM tiles ORDER BY who;

---------------------------------------------------------------------------
-- 6. The change log: the actor is the member, tailings.actor only for an application
---------------------------------------------------------------------------
SELECT max(id) AS log_before FROM change_log \gset
SET ROLE regress_roles_county;
UPDATE element SET name = 'A1 sign, checked' WHERE name = 'A1 sign';
-- a member cannot name someone else
SET tailings.actor = '四川省生态环境厅 赵处长';
UPDATE element SET name = 'A1 sign' WHERE name = 'A1 sign, checked';
RESET tailings.actor;
RESET ROLE;
-- an application (tailings_app), itself the county's member, names the person it acts for;
-- without tailings.actor, the log names the member
SELECT add_member('regress_roles_app', 'county', '510421', '一张图 App');
SET ROLE regress_roles_app;
UPDATE element SET accuracy_m = 0.5 WHERE name = 'A1 sign';
SET tailings.actor = '米易县 外业 张三';
UPDATE element SET accuracy_m = 0.4 WHERE name = 'A1 sign';
RESET tailings.actor;
RESET ROLE;
-- roles change within a transaction: each change names its own
BEGIN;
SET LOCAL ROLE regress_roles_city;
UPDATE element SET accuracy_m = 0.3 WHERE name = 'A1 sign';
SET LOCAL ROLE regress_roles_province;
UPDATE element SET accuracy_m = 0.2 WHERE name = 'A1 sign';
COMMIT;
-- the submission behind a change: tailings.approve sets it for its transaction, and nobody
-- else may: a change made under a hand-set submission id is refused (the submission suite
-- shows approve's own changes carrying it)
BEGIN;
SELECT set_config('tailings.submission_id', '42', true) AS submission;
SET LOCAL ROLE regress_roles_county;
UPDATE element SET accuracy_m = 0.1 WHERE name = 'A1 sign';
COMMIT;
SET ROLE regress_roles_county;
UPDATE element SET accuracy_m = NULL WHERE name = 'A1 sign';
RESET ROLE;
SET tailings.submission_id = 'abc';
\echo :SQLSTATE
SET tailings.submission_id = '-1';
\echo :SQLSTATE
-- a superuser's tailings.actor is honoured, as before
SET tailings.actor = '数据迁移';
UPDATE element SET accuracy_m = 1 WHERE name = 'A1 sign';
RESET tailings.actor;
SELECT actor, session_role, submission_id, changed FROM change_log WHERE id > :log_before ORDER BY id;
-- a member removed within a transaction is no longer named
BEGIN;
SET LOCAL ROLE regress_roles_app;
UPDATE element SET accuracy_m = 2 WHERE name = 'A1 sign';
RESET ROLE;
SELECT remove_member('regress_roles_app');
SELECT add_member('regress_roles_app', 'county', '510421', '一张图 App (新)');
SET LOCAL ROLE regress_roles_app;
UPDATE element SET accuracy_m = 3 WHERE name = 'A1 sign';
RESET ROLE;
SELECT actor FROM change_log WHERE row_id = (SELECT id FROM element WHERE name = 'A1 sign') ORDER BY id DESC LIMIT 2;
ROLLBACK;

---------------------------------------------------------------------------
-- 7. Attacks of a member that wants more
---------------------------------------------------------------------------
-- as its own session (SET ROLE from a superuser's session could take any role)
SET SESSION AUTHORIZATION regress_roles_ent_a;
-- a level of its own
GRANT tailings_province TO regress_roles_ent_a;
\echo :SQLSTATE
SET ROLE tailings_province;
\echo :SQLSTATE
SELECT tailings.add_member('regress_roles_ent_a', 'province', '51', 'me');
\echo :SQLSTATE
UPDATE tailings.member SET level = 'province', scope = '51';
\echo :SQLSTATE
SELECT tailings.remove_member('regress_roles_ent_b');
\echo :SQLSTATE
-- the change log written directly, or its guard
INSERT INTO tailings.change_log (txid, changed_at, actor, table_name, row_id, pond_id, op)
VALUES (pg_current_xact_id(), now(), '米易县生态环境局 王工', 'tailings.element', 1, :a1, 'U');
\echo :SQLSTATE
SELECT tailings.prune_changes(now());
\echo :SQLSTATE
-- a view, a function, a leaky function of its own: still its own rows
CREATE TEMP VIEW my_ponds AS SELECT * FROM tailings.pond;
SELECT count(*) AS through_own_view FROM my_ponds;
CREATE FUNCTION pg_temp.all_ponds() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS 'SELECT count(*) FROM tailings.pond';
SELECT pg_temp.all_ponds() AS through_own_definer;
CREATE FUNCTION pg_temp.leak(text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001
AS $$ BEGIN RAISE NOTICE 'leaked: %', $1; RETURN true; END $$;
SET client_min_messages = notice;
SELECT count(*) AS through_leaky_filter FROM tailings.pond WHERE pg_temp.leak(code);
SELECT count(*) AS through_leaky_filter FROM tailings.element WHERE pg_temp.leak(name);
SET client_min_messages = warning;
-- the codes of another enterprise, tried as the filter
SELECT count(*) AS b_ponds FROM tailings.pond WHERE enterprise_code = '91510422MA6XYW123G';
SELECT tailings._pond_in_scope('91510422MA6XYW123G', '510422') AS b_in_my_scope, tailings._pond_visible(:b1) AS b_visible;
-- history of B's pond, and the pond through time travel
SELECT count(*) AS b_history FROM tailings.change_log WHERE pond_id = :b1;
SELECT count(*) AS b_compare FROM tailings.compare('-infinity', now(), :b1);
-- tokens: not its business
SELECT tailings.create_token('regress_roles_ent_a', 'mine', '1 day');
\echo :SQLSTATE
SELECT tailings.token_role(sha256('x'));
\echo :SQLSTATE
RESET SESSION AUTHORIZATION;
-- an enterprise never writes the map, even through the GIS views (42501)
SET ROLE regress_roles_ent_a;
UPDATE tailings.element_point SET name = 'x' WHERE pond_id = :a1;
\echo :SQLSTATE
RESET ROLE;
-- the county cannot move a pond, nor the province take one out of its scope
SET ROLE regress_roles_county;
UPDATE tailings.pond SET supervision_level = 1 WHERE id = :a1;
\echo :SQLSTATE
SET ROLE regress_roles_province;
UPDATE tailings.pond SET county_code = '530102' WHERE id = :a1;
\echo :SQLSTATE
UPDATE tailings.pond SET supervision_level = 1 WHERE id = :c1;
SELECT supervision_level AS c1_level FROM tailings.pond WHERE id = :c1;
UPDATE tailings.pond SET supervision_level = 1, status = 'closed' WHERE id = :a2 RETURNING code, supervision_level, status;
-- nor give a rule the builtin flag, nor an id
UPDATE tailings.requirement SET builtin = true WHERE name = 'regress_extra';
\echo :SQLSTATE
RESET ROLE;
-- a role granted the group by hand, without a member row, sees and writes nothing
CREATE ROLE regress_roles_handmade LOGIN;
GRANT tailings_county TO regress_roles_handmade;
SET ROLE regress_roles_handmade;
SELECT count(*) AS ponds, tailings._member_level() AS level FROM tailings.pond;
INSERT INTO tailings.element (pond_id, kind, geom) VALUES (:a1, 'sign', ST_SetSRID(ST_MakePoint(101.8, 26.9), 4490));
\echo :SQLSTATE
RESET ROLE;
-- ... nor one whose member row is of another level than its grant
GRANT tailings_county TO regress_roles_ent_a;
SET ROLE regress_roles_ent_a;
INSERT INTO tailings.element (pond_id, kind, geom) VALUES (:a1, 'sign', ST_SetSRID(ST_MakePoint(101.8, 26.9), 4490));
\echo :SQLSTATE
RESET ROLE;
REVOKE tailings_county FROM regress_roles_ent_a;

---------------------------------------------------------------------------
-- 8. Members: what add_member checks, and level changes
---------------------------------------------------------------------------
\set VERBOSITY default
SELECT add_member('regress_roles_missing', 'county', '510421', 'x');
SELECT add_member('tailings_reader', 'county', '510421', 'x');
CREATE ROLE regress_roles_group NOLOGIN;
SELECT add_member('regress_roles_group', 'county', '510421', 'x');
SELECT add_member('postgres', 'province', '51', 'x');
SELECT add_member('regress_roles_nobody', 'ministry', '51', 'x');
SELECT add_member('regress_roles_nobody', 'county', '5104', 'x');
SELECT add_member('regress_roles_nobody', 'city', '510421', 'x');
SELECT add_member('regress_roles_nobody', 'province', '510', 'x');
SELECT add_member('regress_roles_nobody', 'enterprise', '91510421MA6ABCDE1X', 'x');
SELECT add_member('regress_roles_nobody', 'enterprise', '91510421ma6abcde1l', 'x');
SELECT add_member('regress_roles_nobody', 'county', '510421', ' ');
\set VERBOSITY terse
-- a new level: the old group is taken back
SELECT add_member('regress_roles_nobody', 'county', '510422', '盐边县 值班');
SELECT add_member('regress_roles_nobody', 'city', '5104', '攀枝花市 值班');
SELECT m.level, m.scope, m.display_name,
       (SELECT string_agg(g.rolname, ',' ORDER BY g.rolname) FROM pg_auth_members am JOIN pg_roles g ON g.oid = am.roleid
         WHERE am.member = r.oid) AS groups
  FROM member m JOIN pg_roles r ON r.rolname = m.role_name WHERE m.role_name = 'regress_roles_nobody';
SELECT remove_member('regress_roles_nobody');
SELECT count(*) AS groups_left FROM pg_auth_members am JOIN pg_roles r ON r.oid = am.member
 WHERE r.rolname = 'regress_roles_nobody';
SELECT remove_member('regress_roles_nobody');
\echo :SQLSTATE
-- the member table's own check, for rows written by hand
INSERT INTO member VALUES ('regress_roles_nobody', 'city', '510421', 'x');
\echo :SQLSTATE
-- an administrator that is not a superuser: CREATEROLE, the writes on member and
-- api_token, EXECUTE on the functions (README)
CREATE ROLE regress_roles_admin LOGIN CREATEROLE;
SET ROLE regress_roles_admin;
SELECT tailings.add_member('regress_roles_nobody', 'county', '510421', 'x');
\echo :SQLSTATE
RESET ROLE;
GRANT tailings_reader TO regress_roles_admin;
GRANT INSERT, UPDATE, DELETE ON member TO regress_roles_admin;
GRANT SELECT, INSERT, UPDATE ON api_token TO regress_roles_admin;
GRANT EXECUTE ON FUNCTION add_member(name, text, text, text), remove_member(name), create_token(name, text, interval),
	revoke_token(name, text) TO regress_roles_admin;
SET ROLE regress_roles_admin;
SELECT tailings.add_member('regress_roles_nobody', 'county', '510421', '米易县 值班');
SELECT length(tailings.create_token('regress_roles_nobody', 'phone', '7 days')) AS token_length;
SELECT tailings.remove_member('regress_roles_nobody');
RESET ROLE;
SELECT role_name, label, created_by, revoked_at IS NOT NULL AS revoked FROM api_token ORDER BY id;

---------------------------------------------------------------------------
-- 9. API tokens
---------------------------------------------------------------------------
-- the tile server's role, as sql/roles/tileserver.sql makes it: a reader, and token_role()
CREATE ROLE regress_roles_server LOGIN;
GRANT tailings_reader TO regress_roles_server;
GRANT EXECUTE ON FUNCTION token_role(bytea) TO regress_roles_server;
SELECT create_token('regress_roles_county', 'laptop', '30 days') AS token \gset
SELECT create_token('regress_roles_reader', 'wall map', '1 day') AS reader_token \gset
SELECT :'token' ~ '^tl_[A-Za-z0-9_-]{43}$' AS token_form, :'token' <> :'reader_token' AS tokens_differ;
-- only the hash is kept
SELECT count(*) AS rows_with_token_text FROM api_token t
 WHERE position(convert_to(:'token', 'UTF8') IN t.token_sha256) > 0 OR t.label = :'token';
SET ROLE regress_roles_server;
SELECT tailings.token_role(sha256(convert_to(:'token', 'UTF8'))) AS county_token,
       tailings.token_role(sha256(convert_to(:'reader_token', 'UTF8'))) AS reader_token,
       tailings.token_role(sha256(convert_to(:'token' || 'x', 'UTF8'))) AS wrong_token,
       tailings.token_role(sha256('')) AS empty, tailings.token_role(NULL) AS null_hash,
       tailings.token_role('\x00') AS short_hash;
-- the server's role reads no token row
SELECT count(*) FROM tailings.api_token;
\echo :SQLSTATE
RESET ROLE;
-- refused: a second live token of the same label, a role that is neither member nor reader,
-- a superuser, a role with CREATEROLE, a validity that is not positive
SELECT create_token('regress_roles_county', 'laptop', '30 days');
\echo :SQLSTATE
SELECT create_token('regress_roles_handmade', 'x', '1 day');
\echo :SQLSTATE
SELECT create_token('postgres', 'x', '1 day');
\echo :SQLSTATE
SELECT create_token('regress_roles_admin', 'x', '1 day');
\echo :SQLSTATE
SELECT create_token('regress_roles_county', 'x', '0 seconds');
\echo :SQLSTATE
SELECT create_token('regress_roles_county', 'x', NULL);
\echo :SQLSTATE
-- expired, revoked, or its role made more powerful since: no role
CREATE FUNCTION pg_temp.resolve(token text) RETURNS name LANGUAGE sql
	AS $$ SELECT tailings.token_role(sha256(convert_to(token, 'UTF8'))) $$;
ALTER ROLE regress_roles_county CREATEROLE;
SELECT pg_temp.resolve(:'token') AS after_createrole;
ALTER ROLE regress_roles_county NOCREATEROLE;
SELECT pg_temp.resolve(:'token') AS again;
UPDATE api_token SET expires_at = now() - interval '1 second', created_at = now() - interval '1 day'
 WHERE label = 'laptop';
SELECT pg_temp.resolve(:'token') AS expired;
UPDATE api_token SET expires_at = now() + interval '1 day' WHERE label = 'laptop';
SELECT revoke_token('regress_roles_county', 'laptop') AS revoked, revoke_token('regress_roles_county', 'laptop') AS again;
SELECT pg_temp.resolve(:'token') AS revoked;
SELECT create_token('regress_roles_county', 'laptop', '30 days') IS NOT NULL AS same_label_after_revoke;
-- search_path tricks on the definer: a table, a function and an operator of the caller's
-- named like the ones it uses; the caller's search_path first
CREATE SCHEMA regress_roles_attack AUTHORIZATION regress_roles_server;
SET ROLE regress_roles_server;
CREATE TABLE regress_roles_attack.api_token (role_name name, token_sha256 bytea, revoked_at timestamptz,
	expires_at timestamptz);
INSERT INTO regress_roles_attack.api_token VALUES ('postgres', sha256('forged'), NULL, 'infinity');
CREATE FUNCTION regress_roles_attack.now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT '-infinity'::timestamptz $$;
CREATE FUNCTION regress_roles_attack.byteaeq(bytea, bytea) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR regress_roles_attack.= (LEFTARG = bytea, RIGHTARG = bytea, PROCEDURE = regress_roles_attack.byteaeq);
CREATE TEMP TABLE api_token AS SELECT * FROM regress_roles_attack.api_token;
SET search_path = regress_roles_attack, pg_temp, pg_catalog, tailings;
SELECT tailings.token_role(sha256('forged')) AS forged, tailings.token_role(sha256('anything')) AS anything;
-- the other definer functions are as deaf to it (history_horizon() calls now())
SELECT tailings.history_horizon() > '-infinity' AS horizon_not_fooled;
RESET search_path;
DROP TABLE pg_temp.api_token;
RESET ROLE;
DROP SCHEMA regress_roles_attack CASCADE;
SET search_path = tailings, public;
-- removing a member revokes its tokens
SELECT count(*) FILTER (WHERE revoked_at IS NULL) AS live_before FROM api_token WHERE role_name = 'regress_roles_county';
SELECT remove_member('regress_roles_county');
SELECT count(*) FILTER (WHERE revoked_at IS NULL) AS live_after FROM api_token WHERE role_name = 'regress_roles_county';

---------------------------------------------------------------------------
-- 10. The audit: SECURITY DEFINER functions pin search_path; what PUBLIC may not execute
---------------------------------------------------------------------------
SELECT p.oid::regprocedure AS definer, p.proconfig
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
  JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'tailings'
 WHERE p.prosecdef ORDER BY 1::text;
SELECT p.oid::regprocedure AS not_for_public
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
  JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'tailings'
 WHERE NOT has_function_privilege('regress_roles_nobody', p.oid, 'EXECUTE') ORDER BY 1::text;
-- row-level security: on every table that belongs to a pond, and on member; the policies
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
  FROM pg_class c WHERE c.relnamespace = 'tailings'::regnamespace AND c.relkind = 'r' ORDER BY 1;
SELECT tablename, policyname, roles, cmd FROM pg_policies WHERE schemaname = 'tailings' ORDER BY 1, 2;
-- the operator that row-level security lets reach the spatial index
SELECT o.oid::regoperator, p.proleakproof FROM pg_operator o JOIN pg_proc p ON p.oid = o.oprcode
 WHERE o.oprnamespace = 'tailings'::regnamespace AND o.oprname = '&&#';
SET ROLE regress_roles_province;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM tailings.element
 WHERE geom OPERATOR(tailings.&&#) ST_MakeEnvelope(101.80, 26.90, 101.81, 26.91, 4490);
RESET enable_seqscan;
RESET ROLE;

---------------------------------------------------------------------------
-- cleanup: the roles go (their memberships with them)
---------------------------------------------------------------------------
\c :regress_db
DROP DATABASE tailings_roles;
DROP ROLE regress_roles_reader, regress_roles_ent_a, regress_roles_ent_b, regress_roles_county, regress_roles_city,
	regress_roles_province, regress_roles_nobody, regress_roles_app, regress_roles_handmade, regress_roles_group,
	regress_roles_admin, regress_roles_server;
