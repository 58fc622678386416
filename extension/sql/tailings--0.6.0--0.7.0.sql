-- tailings 0.6.0 -> 0.7.0: who does what (design §7).  The group roles,
-- members and their scopes, the enterprises' unified social credit codes,
-- row-level security on the tables that belong to a pond, the change log's
-- actor taken from the member and its submission, and API tokens.
\echo Use "ALTER EXTENSION tailings UPDATE TO '0.7.0'" to load this file. \quit

---------------------------------------------------------------------------
-- Group roles
---------------------------------------------------------------------------
-- Roles belong to the cluster, not to a database: the first CREATE EXTENSION
-- (or this update) in a cluster creates them; in another database of the same
-- cluster they are found and used as they are.  A role of one of these names
-- that can log in, is a superuser, bypasses row-level security or creates
-- roles is not a group role of this extension: refused rather than trusted.
-- DROP EXTENSION leaves them (README, "Roles, members and tokens").
DO $roles$
DECLARE
	r text;
	a record;
BEGIN
	FOREACH r IN ARRAY ARRAY['tailings_reader', 'tailings_enterprise', 'tailings_county', 'tailings_city',
	                         'tailings_province', 'tailings_app'] LOOP
		SELECT rolcanlogin, rolsuper, rolbypassrls, rolcreaterole, rolreplication INTO a
		  FROM pg_catalog.pg_roles WHERE rolname = r;
		IF NOT FOUND THEN
			BEGIN
				EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
			EXCEPTION WHEN duplicate_object OR unique_violation THEN
				NULL;	-- created meanwhile by CREATE EXTENSION in another database
			END;
		ELSIF a.rolcanlogin OR a.rolsuper OR a.rolbypassrls OR a.rolcreaterole OR a.rolreplication THEN
			RAISE EXCEPTION 'role % exists and is not a group role', r
				USING ERRCODE = 'duplicate_object',
				      DETAIL = 'The extension''s group roles are NOLOGIN roles without superuser, BYPASSRLS, '
				               'CREATEROLE or REPLICATION; members get their rights through them.',
				      HINT = pg_catalog.format('Rename or drop the existing role %I, or make it NOLOGIN NOSUPERUSER '
				                               'NOBYPASSRLS NOCREATEROLE NOREPLICATION, then try again.', r);
		END IF;
	END LOOP;
END
$roles$;
COMMENT ON ROLE tailings_reader IS 'tailings: reads every pond, element and change (row-level security shows all)';
COMMENT ON ROLE tailings_enterprise IS 'tailings: an enterprise''s members (tailings.member); read their ponds';
COMMENT ON ROLE tailings_county IS 'tailings: county bureaus'' members; read and correct the elements of their county''s ponds';
COMMENT ON ROLE tailings_city IS 'tailings: city bureaus'' members; as a county for their city, and edit the template';
COMMENT ON ROLE tailings_province IS 'tailings: province bureaus'' members; as a city for their province, and keep the list of ponds';
COMMENT ON ROLE tailings_app IS 'tailings: applications acting for people; only these roles may name the actor with tailings.actor';

---------------------------------------------------------------------------
-- Unified social credit codes (统一社会信用代码, GB 32100-2015)
---------------------------------------------------------------------------
-- 18 characters of the code's alphabet, the digits and the capitals without
-- I, O, S, V and Z: the registration authority and the kind of organization
-- (2), the GB/T 2260 code of the registering division (6 digits), the
-- organization code (9), and the check character, whose value is
-- 31 - (sum of value(i) * 3^(i-1) mod 31, over the first 17) mod 31, taken
-- mod 31.
CREATE FUNCTION _uscc_check_char(code text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT substr('0123456789ABCDEFGHJKLMNPQRTUWXY',
	              ((31 - sum(v.value * ('{1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28}'::integer[])[v.i]) % 31) % 31)::integer + 1,
	              1)
	  FROM (SELECT i, strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(_uscc_check_char.code, i, 1)) - 1 AS value
	          FROM generate_series(1, 17) AS i) AS v
	HAVING length(_uscc_check_char.code) >= 17 AND bool_and(v.value >= 0);
END;
COMMENT ON FUNCTION _uscc_check_char(text) IS
	'the check character (GB 32100-2015) of a unified social credit code''s first 17 characters; null when they are not of its alphabet';

CREATE FUNCTION uscc_valid(code text) RETURNS boolean
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT uscc_valid.code ~ '^[0-9ABCDEFGHJKLMNPQRTUWXY]{2}[0-9]{6}[0-9ABCDEFGHJKLMNPQRTUWXY]{10}$'
	       AND right(uscc_valid.code, 1) = _uscc_check_char(uscc_valid.code);
END;
COMMENT ON FUNCTION uscc_valid(text) IS
	'true for a well-formed unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters of 0-9 and A-Z '
	'without I, O, S, V, Z, the registering division''s 6 digits at 3-8, and a right check character';

ALTER TABLE pond ADD COLUMN enterprise_code text
	CONSTRAINT pond_enterprise_code_uscc CHECK (uscc_valid(enterprise_code));
COMMENT ON COLUMN pond.enterprise_code IS
	'the enterprise''s unified social credit code (统一社会信用代码, GB 32100-2015): the scope of its members';

-- pond's rows as of a moment: its body's pond.* was expanded when it was
-- made, so it is made again with the new column
CREATE OR REPLACE FUNCTION _ponds_as_of(at timestamptz) RETURNS SETOF pond
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	WITH first_after AS (
		SELECT DISTINCT ON (c.row_id) c.row_id, c.op, c.old_row
		  FROM change_log c
		 WHERE c.table_name = 'tailings.pond' AND c.changed_at > _ponds_as_of.at
		 ORDER BY c.row_id, c.id)
	SELECT x.* FROM pond x
	 WHERE NOT EXISTS (SELECT 1 FROM first_after f WHERE f.row_id = x.id)
	UNION ALL
	SELECT r.* FROM first_after f, jsonb_populate_record(NULL::pond, f.old_row) r
	 WHERE f.op <> 'I';
END;

---------------------------------------------------------------------------
-- The change log: the submission behind a change, and who the actor is
---------------------------------------------------------------------------
ALTER TABLE change_log ADD COLUMN submission_id bigint;
COMMENT ON COLUMN change_log.submission_id IS
	'the submission whose approval made the change (the transaction-local setting tailings.submission_id, '
	'which tailings.approve sets); null for a direct edit';
COMMENT ON COLUMN change_log.actor IS
	'who made the change: tailings.actor when set and the role has the rights of tailings_app (an application acting '
	'for people); else the member''s display_name when the role is a member (tailings.member); else the session user';

---------------------------------------------------------------------------
-- Members and their scopes
---------------------------------------------------------------------------
CREATE TABLE member (
	role_name name PRIMARY KEY,
	level text NOT NULL CHECK (level IN ('enterprise', 'county', 'city', 'province')),
	scope text NOT NULL,
	display_name text NOT NULL CHECK (btrim(display_name) <> ''),
	CONSTRAINT member_scope_format CHECK (CASE level
		WHEN 'enterprise' THEN uscc_valid(scope)
		WHEN 'county' THEN scope ~ '^[0-9]{6}$'
		WHEN 'city' THEN scope ~ '^[0-9]{4}$'
		WHEN 'province' THEN scope ~ '^[0-9]{2}$' END)
);
COMMENT ON TABLE member IS
	'whom a login role acts for: an enterprise, or a county, city or province bureau (tailings.add_member registers one)';
COMMENT ON COLUMN member.role_name IS 'the login role (cluster-wide); it is granted the group role tailings_<level>';
COMMENT ON COLUMN member.scope IS
	'enterprise: its unified social credit code (pond.enterprise_code); county, city, province: the GB/T 2260 code '
	'prefix of 6, 4 or 2 digits that pond.county_code starts with';
COMMENT ON COLUMN member.display_name IS 'the person or office, as the change log names them (the actor)';

-- What a member may see, for the row-level security policies (scope.c): the
-- current role's member row (level, scope), whether a pond's codes are in its
-- scope, and whether a pond is visible to it (exactly "pond_id IN (SELECT
-- p.id FROM tailings.pond p)", with pond's policies deciding).  They read
-- with the caller's rights and keep each answer for the rest of the
-- statement's snapshot: a policy costs a hash lookup per row.
CREATE FUNCTION _member_level() RETURNS text
	AS 'MODULE_PATHNAME', 'tl_member_level' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION _member_level() IS 'the level of the current role''s member row (enterprise, county, city, province), or null';
CREATE FUNCTION _member_scope() RETURNS text
	AS 'MODULE_PATHNAME', 'tl_member_scope' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION _member_scope() IS 'the scope of the current role''s member row, or null';
CREATE FUNCTION _pond_in_scope(enterprise_code text, county_code text) RETURNS boolean
	AS 'MODULE_PATHNAME', 'tl_pond_in_scope' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION _pond_in_scope(text, text) IS
	'true when a pond of these codes is in the current role''s scope: an enterprise''s code equal, '
	'or the county code starting with the county''s, city''s or province''s';
CREATE FUNCTION _pond_visible(pond_id bigint) RETURNS boolean
	AS 'MODULE_PATHNAME', 'tl_pond_visible' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _pond_visible(bigint) IS
	'true when the current role sees the pond (pond_id IN (SELECT p.id FROM tailings.pond p)); '
	'the policy of every table that belongs to a pond';

-- The tracking trigger looks a role's member row up once per transaction;
-- a change of member forgets what it looked up.
CREATE FUNCTION _member_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', 'tl_member_changed' LANGUAGE C;
REVOKE ALL ON FUNCTION _member_changed() FROM PUBLIC;
CREATE TRIGGER member_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON member
	FOR EACH STATEMENT EXECUTE FUNCTION _member_changed();

-- add_member and remove_member run with the caller's rights (not SECURITY
-- DEFINER): the GRANT and REVOKE of the group role are the caller's, so only
-- a role that may grant it (a superuser; a CREATEROLE role in PostgreSQL 15,
-- one with ADMIN OPTION on the group role from 16 on) and may write member
-- can register members.
CREATE FUNCTION add_member(role name, level text, scope text, display_name text) RETURNS void
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r record;
	g text;
	want text;
BEGIN
	SELECT oid, rolcanlogin, rolsuper, rolbypassrls INTO r FROM pg_catalog.pg_roles WHERE rolname = add_member.role;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'role "%" does not exist', add_member.role
			USING ERRCODE = 'undefined_object',
			      HINT = 'Create the login first: CREATE ROLE ... LOGIN PASSWORD ...; then add it as a member.';
	END IF;
	IF add_member.role IN ('tailings_reader', 'tailings_enterprise', 'tailings_county', 'tailings_city',
	                       'tailings_province', 'tailings_app') THEN
		RAISE EXCEPTION 'role "%" is one of the extension''s group roles', add_member.role
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'A member is a login role; add_member grants it the group role of its level.';
	END IF;
	IF NOT r.rolcanlogin THEN
		RAISE EXCEPTION 'role "%" cannot log in', add_member.role
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = 'A member is a login role (a person, an office or an application acting for one).',
			      HINT = pg_catalog.format('ALTER ROLE %I LOGIN, or name a login role.', add_member.role);
	END IF;
	IF r.rolsuper OR r.rolbypassrls THEN
		RAISE EXCEPTION 'role "%" is a superuser or bypasses row-level security', add_member.role
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = 'Row-level security would not apply to it: it would see and change every pond.',
			      HINT = 'Make a plain login role for the member.';
	END IF;
	IF add_member.level IS NULL OR add_member.level NOT IN ('enterprise', 'county', 'city', 'province') THEN
		RAISE EXCEPTION 'unknown member level "%"', coalesce(add_member.level, 'null')
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'The levels are enterprise, county, city and province.';
	END IF;
	want := CASE add_member.level WHEN 'enterprise' THEN 'an enterprise''s unified social credit code (18 characters)'
	                              WHEN 'county' THEN 'a county''s GB/T 2260 code (6 digits, e.g. 510421)'
	                              WHEN 'city' THEN 'a city''s GB/T 2260 code prefix (4 digits, e.g. 5104)'
	                              ELSE 'a province''s GB/T 2260 code prefix (2 digits, e.g. 51)' END;
	IF add_member.scope IS NULL
	   OR add_member.level = 'county' AND add_member.scope !~ '^[0-9]{6}$'
	   OR add_member.level = 'city' AND add_member.scope !~ '^[0-9]{4}$'
	   OR add_member.level = 'province' AND add_member.scope !~ '^[0-9]{2}$'
	   OR add_member.level = 'enterprise'
	      AND add_member.scope !~ '^[0-9ABCDEFGHJKLMNPQRTUWXY]{2}[0-9]{6}[0-9ABCDEFGHJKLMNPQRTUWXY]{10}$' THEN
		RAISE EXCEPTION 'scope "%" is not %', coalesce(add_member.scope, 'null'), want
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = CASE WHEN add_member.level = 'enterprise' THEN
			                   'A unified social credit code has 18 characters of 0-9 and A-Z without I, O, S, V and Z; '
			                   'characters 3 to 8 are digits.'
			                   ELSE 'GB/T 2260 codes: 2 digits for a province, 4 for a city, 6 for a county.' END,
			      HINT = 'A county''s, city''s or province''s scope is matched against the start of pond.county_code; '
			             'an enterprise''s against pond.enterprise_code.';
	END IF;
	IF add_member.level = 'enterprise' AND NOT tailings.uscc_valid(add_member.scope) THEN
		RAISE EXCEPTION 'scope "%" is not a valid unified social credit code: its check character is wrong', add_member.scope
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = pg_catalog.format('By GB 32100-2015 the 18th character of %s... is %s, not %s.',
			                                 left(add_member.scope, 17), tailings._uscc_check_char(add_member.scope),
			                                 right(add_member.scope, 1)),
			      HINT = 'Copy the code from the business licence (营业执照) again.';
	END IF;
	IF add_member.display_name IS NULL OR btrim(add_member.display_name) = '' THEN
		RAISE EXCEPTION 'a member needs a display name'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'The person or office, as the change log will name them, e.g. ''米易县生态环境局 王工''.';
	END IF;
	-- exactly one level group: the new one granted, the others taken back
	FOREACH g IN ARRAY ARRAY['enterprise', 'county', 'city', 'province'] LOOP
		IF EXISTS (SELECT FROM pg_catalog.pg_auth_members am
		            WHERE am.member = r.oid
		              AND am.roleid = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = 'tailings_' || g)) THEN
			IF g <> add_member.level THEN
				EXECUTE pg_catalog.format('REVOKE %I FROM %I', 'tailings_' || g, add_member.role);
			END IF;
		ELSIF g = add_member.level THEN
			EXECUTE pg_catalog.format('GRANT %I TO %I', 'tailings_' || g, add_member.role);
		END IF;
	END LOOP;
	INSERT INTO tailings.member AS m (role_name, level, scope, display_name)
	VALUES (add_member.role, add_member.level, add_member.scope, btrim(add_member.display_name))
	ON CONFLICT (role_name) DO UPDATE
	   SET level = excluded.level, scope = excluded.scope, display_name = excluded.display_name;
END
$$;
COMMENT ON FUNCTION add_member(name, text, text, text) IS
	'registers a login role as a member (or changes its level, scope or name) and grants it the group role '
	'tailings_<level>; the caller must be able to grant that role and write tailings.member';
REVOKE ALL ON FUNCTION add_member(name, text, text, text) FROM PUBLIC;

CREATE FUNCTION remove_member(role name) RETURNS void
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	old_level text;
BEGIN
	DELETE FROM tailings.member m WHERE m.role_name = remove_member.role RETURNING m.level INTO old_level;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'role "%" is not a member', remove_member.role
			USING ERRCODE = 'no_data_found',
			      HINT = 'SELECT role_name, level, scope FROM tailings.member lists the members.';
	END IF;
	IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = remove_member.role) THEN
		EXECUTE pg_catalog.format('REVOKE %I FROM %I', 'tailings_' || old_level, remove_member.role);
	END IF;
	UPDATE tailings.api_token t SET revoked_at = now()
	 WHERE t.role_name = remove_member.role AND t.revoked_at IS NULL;
END
$$;
COMMENT ON FUNCTION remove_member(name) IS
	'removes a member: its row, its group role, and its API tokens (revoked); the login role itself stays';
REVOKE ALL ON FUNCTION remove_member(name) FROM PUBLIC;

---------------------------------------------------------------------------
-- API tokens (design §9)
---------------------------------------------------------------------------
-- A token is given once, by create_token; only its SHA-256 is kept.  The tile
-- server hashes the token a request carries and asks token_role() which role
-- it stands for, then runs the request as that role.
CREATE TABLE api_token (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	role_name name NOT NULL,
	label text NOT NULL CHECK (btrim(label) <> ''),
	token_sha256 bytea NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
	created_at timestamptz NOT NULL DEFAULT now(),
	created_by name NOT NULL DEFAULT CURRENT_USER,
	expires_at timestamptz NOT NULL,
	revoked_at timestamptz,
	CONSTRAINT api_token_expires_after_creation CHECK (expires_at > created_at)
);
CREATE UNIQUE INDEX api_token_live_label_idx ON api_token (role_name, label) WHERE revoked_at IS NULL;
COMMENT ON TABLE api_token IS
	'the tile server''s bearer tokens: the SHA-256 of each (never the token), its role, expiry and revocation';
COMMENT ON COLUMN api_token.token_sha256 IS 'SHA-256 of the token''s text (UTF-8), as the server computes it';

CREATE FUNCTION _random_bytes(n integer) RETURNS bytea
	AS 'MODULE_PATHNAME', 'tl_random_bytes' LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _random_bytes(integer) IS 'n (1 to 1024) bytes from the operating system''s strong random source';

-- The roles a token may stand for: a member, or a reader; never a role that
-- could do more than its grants (superuser, BYPASSRLS, CREATEROLE,
-- REPLICATION), since the server takes on the role it names.
CREATE FUNCTION create_token(role name, label text, valid interval) RETURNS text
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r record;
	token text;
BEGIN
	SELECT oid, rolsuper, rolbypassrls, rolcreaterole, rolreplication INTO r
	  FROM pg_catalog.pg_roles WHERE rolname = create_token.role;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'role "%" does not exist', create_token.role
			USING ERRCODE = 'undefined_object';
	END IF;
	IF r.rolsuper OR r.rolbypassrls OR r.rolcreaterole OR r.rolreplication THEN
		RAISE EXCEPTION 'no token for role "%": it is a superuser or has BYPASSRLS, CREATEROLE or REPLICATION', create_token.role
			USING ERRCODE = 'insufficient_privilege',
			      DETAIL = 'The tile server takes on the role a token names; such a role could do more than its grants.';
	END IF;
	IF NOT EXISTS (SELECT FROM tailings.member m WHERE m.role_name = create_token.role)
	   AND NOT pg_catalog.pg_has_role(r.oid, 'tailings_reader', 'USAGE') THEN
		RAISE EXCEPTION 'no token for role "%": it is neither a member nor a reader', create_token.role
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'tailings.add_member() registers a member; GRANT tailings_reader TO ... makes a reader.';
	END IF;
	IF create_token.valid IS NULL OR create_token.valid <= interval '0'
	   OR NOT isfinite(now() + create_token.valid) THEN
		RAISE EXCEPTION 'a token must be valid for a positive, finite interval, not %', coalesce(create_token.valid::text, 'null')
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'For example interval ''90 days''.';
	END IF;
	IF EXISTS (SELECT FROM tailings.api_token t
	            WHERE t.role_name = create_token.role AND t.label = create_token.label AND t.revoked_at IS NULL) THEN
		RAISE EXCEPTION 'role "%" has a live token labelled "%"', create_token.role, create_token.label
			USING ERRCODE = 'unique_violation',
			      HINT = pg_catalog.format('Choose another label, or revoke that token first: '
			                               'SELECT tailings.revoke_token(%L, %L).', create_token.role, create_token.label);
	END IF;
	-- 256 random bits, in base64url: "tl_" and 43 characters
	token := 'tl_' || translate(encode(tailings._random_bytes(32), 'base64'), E'+/=\n', '-_');
	INSERT INTO tailings.api_token (role_name, label, token_sha256, expires_at)
	VALUES (create_token.role, create_token.label, sha256(convert_to(token, 'UTF8')), now() + create_token.valid);
	RETURN token;
END
$$;
COMMENT ON FUNCTION create_token(name, text, interval) IS
	'a new API token for a member or reader, valid for the interval; returned once (only its SHA-256 is stored)';
REVOKE ALL ON FUNCTION create_token(name, text, interval) FROM PUBLIC;

CREATE FUNCTION revoke_token(role name, label text DEFAULT NULL) RETURNS integer
	LANGUAGE sql VOLATILE
BEGIN ATOMIC
	WITH revoked AS (
		UPDATE api_token t SET revoked_at = now()
		 WHERE t.role_name = revoke_token.role AND t.revoked_at IS NULL
		   AND (revoke_token.label IS NULL OR t.label = revoke_token.label)
		RETURNING 1)
	SELECT count(*)::integer FROM revoked;
END;
COMMENT ON FUNCTION revoke_token(name, text) IS
	'revokes the role''s live tokens of that label (null: all of them); returns how many';
REVOKE ALL ON FUNCTION revoke_token(name, text) FROM PUBLIC;

-- The one SECURITY DEFINER function of this part: the tile server resolves
-- the token it was given without being able to read the table (no listing of
-- roles, labels or hashes).  One argument, compared for equality; every name
-- bound when the function was created (BEGIN ATOMIC); search_path pinned all
-- the same.  EXECUTE only for the roles a DBA grants it to
-- (sql/roles/tileserver.sql grants it to tailings_tileserver).
CREATE FUNCTION token_role(sha256 bytea) RETURNS name
	LANGUAGE sql STABLE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	SELECT t.role_name
	  FROM tailings.api_token t JOIN pg_catalog.pg_roles r ON r.rolname = t.role_name
	 WHERE t.token_sha256 = token_role.sha256
	   AND t.revoked_at IS NULL AND t.expires_at > pg_catalog.now()
	   AND NOT (r.rolsuper OR r.rolbypassrls OR r.rolcreaterole OR r.rolreplication)
	   AND (EXISTS (SELECT FROM tailings.member m WHERE m.role_name = t.role_name)
	        OR pg_catalog.pg_has_role(r.oid, 'tailings_reader', 'USAGE'));
END;
COMMENT ON FUNCTION token_role(bytea) IS
	'the role a live token stands for, given the SHA-256 of its text; null for an unknown, expired or revoked token '
	'or a role it may no longer stand for (for the tile server''s role only)';
REVOKE ALL ON FUNCTION token_role(bytea) FROM PUBLIC;

---------------------------------------------------------------------------
-- A bounding-box operator that row-level security lets through
---------------------------------------------------------------------------
-- Under row-level security PostgreSQL checks a condition of the query before
-- the policies only when the condition is LEAKPROOF: it cannot reveal
-- anything of a row the policies would hide.  PostGIS's && is not declared
-- so, and a member's tile would read every element of its scope instead of
-- the tile's few through the spatial index.  tailings.&&# is PostGIS's &&
-- (the same function underneath: two bounding boxes compared, no error for
-- any value), declared LEAKPROOF, with a GiST operator class of its own over
-- PostGIS's support functions and an index on element.geom and pond.location;
-- tile() uses it.  It has a name of its own, so that "&&" means PostGIS's
-- whatever the search_path (and its indexes serve the queries that use it).
-- PostGIS's own && and indexes are left as they are.
CREATE FUNCTION _geom_overlaps(geometry, geometry) RETURNS boolean
	AS 'MODULE_PATHNAME', 'tl_geom_overlaps' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION _geom_overlaps(geometry, geometry) IS
	'PostGIS''s && (bounding boxes overlap), declared LEAKPROOF: the operator tailings.&&#';
CREATE OPERATOR tailings.&&# (LEFTARG = geometry, RIGHTARG = geometry, PROCEDURE = _geom_overlaps,
	COMMUTATOR = OPERATOR(tailings.&&#), RESTRICT = gserialized_gist_sel_2d, JOIN = gserialized_gist_joinsel_2d);
COMMENT ON OPERATOR tailings.&&# (geometry, geometry) IS
	'bounding boxes overlap (PostGIS''s &&), LEAKPROOF, for the indexes row-level security may use';
-- PostGIS's 2D GiST support functions; its sort support (a faster index
-- build) where the installed PostGIS has it
DO $opclass$
BEGIN
	EXECUTE 'CREATE OPERATOR CLASS geometry_overlaps_ops FOR TYPE geometry USING gist AS STORAGE box2df,'
	        ' OPERATOR 3 tailings.&&# (geometry, geometry),'
	        ' FUNCTION 1 geometry_gist_consistent_2d (internal, geometry, integer),'
	        ' FUNCTION 2 geometry_gist_union_2d (bytea, internal),'
	        ' FUNCTION 3 geometry_gist_compress_2d (internal),'
	        ' FUNCTION 4 geometry_gist_decompress_2d (internal),'
	        ' FUNCTION 5 geometry_gist_penalty_2d (internal, internal, internal),'
	        ' FUNCTION 6 geometry_gist_picksplit_2d (internal, internal),'
	        ' FUNCTION 7 geometry_gist_same_2d (geometry, geometry, internal)'
	        || CASE WHEN pg_catalog.to_regprocedure('geometry_gist_sortsupport_2d(internal)') IS NOT NULL
	                THEN ', FUNCTION 11 geometry_gist_sortsupport_2d (internal)' ELSE '' END;
END
$opclass$;
COMMENT ON OPERATOR CLASS geometry_overlaps_ops USING gist IS
	'GiST over geometries'' 2D boxes (PostGIS''s support functions) for the LEAKPROOF tailings.&&#';
CREATE INDEX element_geom_overlaps_idx ON element USING gist (geom geometry_overlaps_ops);
CREATE INDEX pond_location_overlaps_idx ON pond USING gist (location geometry_overlaps_ops);

-- tile() now uses it
CREATE OR REPLACE FUNCTION _tile_now(z integer, x integer, y integer, layers text[])
	RETURNS bytea LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path FROM CURRENT SET jit = off
AS $tile$
DECLARE
	mvt bytea;
BEGIN
	WITH elems AS NOT MATERIALIZED (SELECT * FROM element),
	ponds AS NOT MATERIALIZED (SELECT * FROM pond),
	-- the ponds: drawn boundary from the element zoom on, else the registry point
	boundaries AS (
		SELECT e.pond_id, ST_Collect(e.geom) AS geom
		  FROM elems e
		 WHERE z >= _element_minzoom() AND e.kind = 'pond_boundary'
		   AND e.geom &&# ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)
		 GROUP BY e.pond_id),
	-- a pond with a drawn boundary: the boundary, and its registry point as an
	-- "anchor" (for the label and the groundwater flow arrow: one per pond,
	-- not one per tile piece); a pond without one: its registry point
	pond_shapes AS (
		SELECT p.*, b.geom AS shape, false AS anchor
		  FROM boundaries b JOIN ponds p ON p.id = b.pond_id
		UNION ALL
		SELECT p.*, p.location,
		       z >= _element_minzoom()
		       AND EXISTS (SELECT 1 FROM elems e WHERE e.pond_id = p.id AND e.kind = 'pond_boundary')
		  FROM ponds p
		 WHERE p.location &&# ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)),
	-- each pond's score and failed rules once, however many shapes it has here
	summaries AS MATERIALIZED (
		SELECT d.id, s.score, s.errors_failed
		  FROM (SELECT DISTINCT id FROM pond_shapes) d, LATERAL _pond_summary(d.id) s
		 WHERE layers IS NULL OR _ponds_layer() = ANY (layers)),
	-- the features' properties: tile_fields() (contract.h) lists them
	pond_features AS (
		SELECT CASE WHEN NOT p.anchor THEN p.id END AS id,	-- an anchor has no feature id
		       p.id AS pond_id, p.code, p.name, p.enterprise, p.county_code, p.supervision_level AS level,
		       p.status::text AS status, s.score, s.errors_failed AS failed, p.gw_flow_azimuth, p.anchor,
		       ST_AsMVTGeom(ST_Transform(p.shape, 3857), ST_TileEnvelope(z, x, y),
		                    _tile_extent(), _tile_buffer(), true) AS geom
		  FROM pond_shapes p JOIN summaries s USING (id)),
	element_features AS (
		SELECT category(e.kind) AS category, e.id, e.kind::text AS kind, e.name, e.pond_id,
		       e.source::text AS source, e.verified_on IS NOT NULL AS verified,
		       ST_AsMVTGeom(ST_Transform(e.geom, 3857), ST_TileEnvelope(z, x, y),
		                    _tile_extent(), _tile_buffer(), true) AS geom
		  FROM elems e
		 WHERE z >= _element_minzoom()
		   AND e.geom &&# ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)
		   AND (layers IS NULL OR category(e.kind)::text = ANY (layers))),
	-- one layer of ponds, then one per category in catalog order
	layer_tiles AS (
		SELECT 0 AS ord, NULL::element_category AS category,
		       ST_AsMVT(f, _ponds_layer(), _tile_extent(), 'geom', 'id' ORDER BY f.pond_id, f.anchor) AS mvt
		  FROM pond_features f
		 WHERE f.geom IS NOT NULL
		HAVING count(*) > 0
		UNION ALL
		SELECT 1, ef.category, ST_AsMVT(f, ef.category::text, _tile_extent(), 'geom', 'id' ORDER BY f.id)
		  FROM element_features ef,
		       LATERAL (SELECT ef.id, ef.kind, ef.name, ef.pond_id, ef.source, ef.verified, ef.geom) f
		 WHERE ef.geom IS NOT NULL
		 GROUP BY ef.category)
	SELECT coalesce(string_agg(lt.mvt, ''::bytea ORDER BY lt.ord, lt.category), ''::bytea) INTO mvt
	  FROM layer_tiles lt;
	RETURN mvt;
END
$tile$;
CREATE OR REPLACE FUNCTION _tile_at(z integer, x integer, y integer, layers text[], at timestamptz)
	RETURNS bytea LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path FROM CURRENT SET jit = off
AS $tile$
DECLARE
	mvt bytea;
BEGIN
	WITH elems AS NOT MATERIALIZED (SELECT * FROM _elements_as_of(at)),
	ponds AS NOT MATERIALIZED (SELECT * FROM _ponds_as_of(at)),
	-- the ponds: drawn boundary from the element zoom on, else the registry point
	boundaries AS (
		SELECT e.pond_id, ST_Collect(e.geom) AS geom
		  FROM elems e
		 WHERE z >= _element_minzoom() AND e.kind = 'pond_boundary'
		   AND e.geom &&# ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)
		 GROUP BY e.pond_id),
	-- a pond with a drawn boundary: the boundary, and its registry point as an
	-- "anchor" (for the label and the groundwater flow arrow: one per pond,
	-- not one per tile piece); a pond without one: its registry point
	pond_shapes AS (
		SELECT p.*, b.geom AS shape, false AS anchor
		  FROM boundaries b JOIN ponds p ON p.id = b.pond_id
		UNION ALL
		SELECT p.*, p.location,
		       z >= _element_minzoom()
		       AND EXISTS (SELECT 1 FROM elems e WHERE e.pond_id = p.id AND e.kind = 'pond_boundary')
		  FROM ponds p
		 WHERE p.location &&# ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)),
	-- a past moment has no scores
	summaries AS MATERIALIZED (
		SELECT DISTINCT id, NULL::real AS score, NULL::integer AS errors_failed
		  FROM pond_shapes
		 WHERE layers IS NULL OR _ponds_layer() = ANY (layers)),
	-- the features' properties: tile_fields() (contract.h) lists them
	pond_features AS (
		SELECT CASE WHEN NOT p.anchor THEN p.id END AS id,	-- an anchor has no feature id
		       p.id AS pond_id, p.code, p.name, p.enterprise, p.county_code, p.supervision_level AS level,
		       p.status::text AS status, s.score, s.errors_failed AS failed, p.gw_flow_azimuth, p.anchor,
		       ST_AsMVTGeom(ST_Transform(p.shape, 3857), ST_TileEnvelope(z, x, y),
		                    _tile_extent(), _tile_buffer(), true) AS geom
		  FROM pond_shapes p JOIN summaries s USING (id)),
	element_features AS (
		SELECT category(e.kind) AS category, e.id, e.kind::text AS kind, e.name, e.pond_id,
		       e.source::text AS source, e.verified_on IS NOT NULL AS verified,
		       ST_AsMVTGeom(ST_Transform(e.geom, 3857), ST_TileEnvelope(z, x, y),
		                    _tile_extent(), _tile_buffer(), true) AS geom
		  FROM elems e
		 WHERE z >= _element_minzoom()
		   AND e.geom &&# ST_Transform(ST_TileEnvelope(z, x, y, margin => _tile_buffer()::float8 / _tile_extent()), 4490)
		   AND (layers IS NULL OR category(e.kind)::text = ANY (layers))),
	-- one layer of ponds, then one per category in catalog order
	layer_tiles AS (
		SELECT 0 AS ord, NULL::element_category AS category,
		       ST_AsMVT(f, _ponds_layer(), _tile_extent(), 'geom', 'id' ORDER BY f.pond_id, f.anchor) AS mvt
		  FROM pond_features f
		 WHERE f.geom IS NOT NULL
		HAVING count(*) > 0
		UNION ALL
		SELECT 1, ef.category, ST_AsMVT(f, ef.category::text, _tile_extent(), 'geom', 'id' ORDER BY f.id)
		  FROM element_features ef,
		       LATERAL (SELECT ef.id, ef.kind, ef.name, ef.pond_id, ef.source, ef.verified, ef.geom) f
		 WHERE ef.geom IS NOT NULL
		 GROUP BY ef.category)
	SELECT coalesce(string_agg(lt.mvt, ''::bytea ORDER BY lt.ord, lt.category), ''::bytea) INTO mvt
	  FROM layer_tiles lt;
	RETURN mvt;
END
$tile$;

---------------------------------------------------------------------------
-- Privileges and row-level security (design §7)
---------------------------------------------------------------------------
-- Who may do what is granted to the group roles; which rows, row-level
-- security decides, from the current role's member row: an enterprise sees
-- the ponds with its code, a county, city or province those whose county
-- code starts with its own; tailings_reader sees all (as do superusers and
-- the tables' owner, to whom row-level security does not apply).  A role
-- granted a group but without a member row sees nothing through it.  The
-- tables of a pond follow pond's rows: "pond_id IN (SELECT p.id FROM
-- tailings.pond p)" is evaluated with the caller's rights, so pond's policies
-- decide; _pond_visible(pond_id) says the same, faster.
-- (tailings_app too: it needs nothing more, but the grant keeps it from being dropped while
-- a database uses it, as the others are)
GRANT USAGE ON SCHEMA tailings TO tailings_reader, tailings_enterprise, tailings_county, tailings_city, tailings_province,
	tailings_app;

-- reading
REVOKE SELECT ON TABLE change_log, change_log_pruned, tracked_table FROM PUBLIC;
GRANT SELECT ON TABLE pond, element, requirement, change_log, change_log_pruned, tracked_table, member,
	pond_overview, element_point, element_line, element_polygon
	TO tailings_reader, tailings_enterprise, tailings_county, tailings_city, tailings_province;
-- every role reads its own member row (and _member_level() works for all)
GRANT SELECT ON TABLE member TO PUBLIC;
REVOKE ALL ON TABLE api_token FROM PUBLIC;
-- the pond overview's scores are computed with the caller's rights
ALTER VIEW pond_overview SET (security_invoker = true);

-- writing: county and above correct the elements of their ponds; the city and
-- above edit the template; the province keeps the list (ponds, levels,
-- statuses).  Not the ids, nor a rule's builtin flag.
GRANT INSERT, UPDATE, DELETE ON TABLE element, element_point, element_line, element_polygon
	TO tailings_county, tailings_city, tailings_province;
GRANT INSERT (name, category, kinds, min_count, statuses, levels, severity, description_zh, description_en, enabled),
	UPDATE (name, category, kinds, min_count, statuses, levels, severity, description_zh, description_en, enabled),
	DELETE ON TABLE requirement TO tailings_city, tailings_province;
GRANT INSERT (code, name, enterprise, enterprise_code, county_code, supervision_level, status, location,
	          gw_flow_azimuth, attrs),
	UPDATE (code, name, enterprise, enterprise_code, county_code, supervision_level, status, location,
	        gw_flow_azimuth, attrs),
	DELETE ON TABLE pond TO tailings_province;

ALTER TABLE pond ENABLE ROW LEVEL SECURITY;
CREATE POLICY pond_reader ON pond FOR SELECT TO tailings_reader USING (true);
CREATE POLICY pond_member ON pond FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_in_scope(enterprise_code, county_code));
CREATE POLICY pond_province_insert ON pond FOR INSERT TO tailings_province
	WITH CHECK (_member_level() = 'province' AND _pond_in_scope(enterprise_code, county_code));
CREATE POLICY pond_province_update ON pond FOR UPDATE TO tailings_province
	USING (_member_level() = 'province' AND _pond_in_scope(enterprise_code, county_code))
	WITH CHECK (_member_level() = 'province' AND _pond_in_scope(enterprise_code, county_code));
CREATE POLICY pond_province_delete ON pond FOR DELETE TO tailings_province
	USING (_member_level() = 'province' AND _pond_in_scope(enterprise_code, county_code));

ALTER TABLE element ENABLE ROW LEVEL SECURITY;
CREATE POLICY element_reader ON element FOR SELECT TO tailings_reader USING (true);
CREATE POLICY element_member ON element FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (_pond_visible(pond_id));
CREATE POLICY element_bureau_insert ON element FOR INSERT TO tailings_county, tailings_city, tailings_province
	WITH CHECK (_member_level() IN ('county', 'city', 'province') AND _pond_visible(pond_id));
CREATE POLICY element_bureau_update ON element FOR UPDATE TO tailings_county, tailings_city, tailings_province
	USING (_member_level() IN ('county', 'city', 'province') AND _pond_visible(pond_id))
	WITH CHECK (_member_level() IN ('county', 'city', 'province') AND _pond_visible(pond_id));
CREATE POLICY element_bureau_delete ON element FOR DELETE TO tailings_county, tailings_city, tailings_province
	USING (_member_level() IN ('county', 'city', 'province') AND _pond_visible(pond_id));

ALTER TABLE requirement ENABLE ROW LEVEL SECURITY;
CREATE POLICY requirement_read ON requirement FOR SELECT
	TO tailings_reader, tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (true);
CREATE POLICY requirement_city_insert ON requirement FOR INSERT TO tailings_city, tailings_province
	WITH CHECK (_member_level() IN ('city', 'province'));
CREATE POLICY requirement_city_update ON requirement FOR UPDATE TO tailings_city, tailings_province
	USING (_member_level() IN ('city', 'province'))
	WITH CHECK (_member_level() IN ('city', 'province'));
CREATE POLICY requirement_city_delete ON requirement FOR DELETE TO tailings_city, tailings_province
	USING (_member_level() IN ('city', 'province'));

-- the log of a member's ponds, and the changes of no pond (the template);
-- written by the tracking trigger only (as the log's owner)
ALTER TABLE change_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY change_log_reader ON change_log FOR SELECT TO tailings_reader USING (true);
CREATE POLICY change_log_member ON change_log FOR SELECT
	TO tailings_enterprise, tailings_county, tailings_city, tailings_province
	USING (pond_id IS NULL OR _pond_visible(pond_id));

-- a role reads its own member row, a reader all; the rows are written by
-- add_member and remove_member, with the rights of their caller: the policies
-- for writing let the privileges decide (the owner's, and those a superuser
-- grants to an administrator)
ALTER TABLE member ENABLE ROW LEVEL SECURITY;
CREATE POLICY member_self ON member FOR SELECT TO PUBLIC USING (role_name = CURRENT_USER);
CREATE POLICY member_reader ON member FOR SELECT TO tailings_reader USING (true);
CREATE POLICY member_insert_by_grant ON member FOR INSERT TO PUBLIC WITH CHECK (true);
CREATE POLICY member_update_by_grant ON member FOR UPDATE TO PUBLIC USING (true) WITH CHECK (true);
CREATE POLICY member_delete_by_grant ON member FOR DELETE TO PUBLIC USING (true);

---------------------------------------------------------------------------
-- pg_dump keeps the members and the tokens
---------------------------------------------------------------------------
SELECT pg_catalog.pg_extension_config_dump('member', '');
SELECT pg_catalog.pg_extension_config_dump('api_token', '');
SELECT pg_catalog.pg_extension_config_dump('api_token_id_seq', '');
