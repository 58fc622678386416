-- tailings 0.2.0 -> 0.3.0: history that cannot be bypassed or forged, and
-- values that are checked.
\echo Use "ALTER EXTENSION tailings UPDATE TO '0.3.0'" to load this file. \quit

---------------------------------------------------------------------------
-- Change tracking without elevated rights
---------------------------------------------------------------------------
-- track_changes() runs as whoever changed the row; only its INSERT of
-- already-serialised values into the log runs as the log's owner (see
-- track.c).  Attaching it needs EXECUTE, which PUBLIC no longer has, and a
-- table writes the log only when registered in tracked_table.
ALTER FUNCTION track_changes() SECURITY INVOKER;
REVOKE ALL ON FUNCTION track_changes() FROM PUBLIC;
REVOKE ALL ON FUNCTION _change_log_guard() FROM PUBLIC;
COMMENT ON FUNCTION track_changes() IS
	'AFTER INSERT OR UPDATE OR DELETE ... FOR EACH ROW trigger writing tailings.change_log and notifying tailings_changes, '
	'for tables registered with tailings.track_table (which attaches it); '
	'arguments: id column (default id), pond id column (default pond_id), geometry column (default: the first)';

ALTER TABLE change_log
	ADD COLUMN session_role text,
	ADD COLUMN bbox double precision[] CHECK (cardinality(bbox) = 4);
COMMENT ON COLUMN change_log.actor IS
	'tailings.actor when set (the person an application acts for), else the session user';
COMMENT ON COLUMN change_log.session_role IS
	'the session user (database login) that made the change, whatever tailings.actor says';
COMMENT ON COLUMN change_log.bbox IS
	'the changed area in EPSG:4326: xmin, ymin, xmax, ymax (both versions of a moved geometry)';

CREATE TABLE tracked_table (
	relid regclass PRIMARY KEY,
	builtin boolean NOT NULL DEFAULT false,
	registered_at timestamptz NOT NULL DEFAULT now(),
	registered_by text NOT NULL DEFAULT session_user
);
COMMENT ON TABLE tracked_table IS
	'the tables whose changes are written to the change log (tailings.track_table registers one; superusers only)';
REVOKE ALL ON TABLE tracked_table FROM PUBLIC;
GRANT SELECT ON TABLE tracked_table TO PUBLIC;

CREATE FUNCTION _tracked_table_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', 'tl_tracked_table_changed' LANGUAGE C;
REVOKE ALL ON FUNCTION _tracked_table_changed() FROM PUBLIC;
CREATE TRIGGER tracked_table_changed AFTER INSERT OR UPDATE OR DELETE ON tracked_table
	FOR EACH ROW EXECUTE FUNCTION _tracked_table_changed();

INSERT INTO tracked_table (relid, builtin)
VALUES ('pond'::regclass, true), ('element'::regclass, true), ('requirement'::regclass, true);

-- TRUNCATE would remove rows without a log row each
CREATE FUNCTION _tracked_truncate_guard() RETURNS trigger
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RAISE EXCEPTION 'table %.% is tracked: TRUNCATE would remove its rows without history', TG_TABLE_SCHEMA, TG_TABLE_NAME
		USING ERRCODE = 'insufficient_privilege',
		      HINT = 'Delete the rows with DELETE, which records each one.';
END
$$;
REVOKE ALL ON FUNCTION _tracked_truncate_guard() FROM PUBLIC;
CREATE TRIGGER pond_no_truncate BEFORE TRUNCATE ON pond
	FOR EACH STATEMENT EXECUTE FUNCTION _tracked_truncate_guard();
CREATE TRIGGER element_no_truncate BEFORE TRUNCATE ON element
	FOR EACH STATEMENT EXECUTE FUNCTION _tracked_truncate_guard();
CREATE TRIGGER requirement_no_truncate BEFORE TRUNCATE ON requirement
	FOR EACH STATEMENT EXECUTE FUNCTION _tracked_truncate_guard();

CREATE FUNCTION track_table(rel regclass, id_column text DEFAULT 'id', pond_column text DEFAULT 'pond_id',
	geometry_column text DEFAULT NULL) RETURNS void
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF (SELECT c.relpersistence FROM pg_class c WHERE c.oid = rel) = 't' THEN
		RAISE EXCEPTION 'temporary table % cannot be tracked', rel
			USING ERRCODE = 'feature_not_supported';
	END IF;
	EXECUTE format('CREATE TRIGGER tailings_track_changes AFTER INSERT OR UPDATE OR DELETE ON %s'
	               ' FOR EACH ROW EXECUTE FUNCTION tailings.track_changes(%L, %L%s)',
	               rel, id_column, coalesce(pond_column, ''),
	               CASE WHEN geometry_column IS NULL THEN '' ELSE format(', %L', geometry_column) END);
	EXECUTE format('CREATE TRIGGER tailings_no_truncate BEFORE TRUNCATE ON %s'
	               ' FOR EACH STATEMENT EXECUTE FUNCTION tailings._tracked_truncate_guard()', rel);
	INSERT INTO tailings.tracked_table (relid) VALUES (rel);
END
$$;
COMMENT ON FUNCTION track_table(regclass, text, text, text) IS
	'registers a table for change tracking and attaches the trigger (superusers, or roles granted EXECUTE by one); '
	'pond_column NULL or '''' for none; geometry_column NULL for the first geometry column';
REVOKE ALL ON FUNCTION track_table(regclass, text, text, text) FROM PUBLIC;

CREATE FUNCTION untrack_table(rel regclass) RETURNS void
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF (SELECT t.builtin FROM tailings.tracked_table t WHERE t.relid = rel) THEN
		RAISE EXCEPTION 'table % belongs to the extension and stays tracked', rel
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	EXECUTE format('DROP TRIGGER IF EXISTS tailings_track_changes ON %s', rel);
	EXECUTE format('DROP TRIGGER IF EXISTS tailings_no_truncate ON %s', rel);
	DELETE FROM tailings.tracked_table WHERE relid = rel;
END
$$;
COMMENT ON FUNCTION untrack_table(regclass) IS 'stops tracking a table (its history stays in the log)';
REVOKE ALL ON FUNCTION untrack_table(regclass) FROM PUBLIC;

-- a dropped table leaves the registry, so that its OID, reused, is not tracked
CREATE FUNCTION _tracked_table_dropped() RETURNS event_trigger
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	DELETE FROM tailings.tracked_table t
	 USING pg_event_trigger_dropped_objects() d
	 WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0 AND d.objid = t.relid::oid;
END
$$;
REVOKE ALL ON FUNCTION _tracked_table_dropped() FROM PUBLIC;
CREATE EVENT TRIGGER tailings_tracked_table_dropped ON sql_drop
	EXECUTE FUNCTION _tracked_table_dropped();

SELECT pg_catalog.pg_extension_config_dump('tracked_table', 'WHERE NOT builtin');

---------------------------------------------------------------------------
-- History that, once served, does not change
---------------------------------------------------------------------------
-- changed_at is the start of the writing transaction.  A transaction still
-- running can still add history stamped at its start; before the start of
-- the oldest one, history is final.  (Sessions and background workers count;
-- autovacuum and replication never write the log.)
CREATE FUNCTION history_horizon() RETURNS timestamptz
	LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	SELECT CASE
	       WHEN EXISTS (SELECT 1 FROM pg_prepared_xacts x WHERE x.database = current_database())
	       THEN '-infinity'::timestamptz
	       ELSE least(now(), (SELECT min(a.xact_start) FROM pg_stat_activity a
	                           WHERE a.datname = current_database()
	                             AND a.backend_type IN ('client backend', 'background worker')))
	       END;
END;
COMMENT ON FUNCTION history_horizon() IS
	'the moment before which the change log is final: the start of the oldest transaction still open in this database '
	'(-infinity while a prepared transaction waits); the map as of an earlier moment never changes';

---------------------------------------------------------------------------
-- Values that are checked
---------------------------------------------------------------------------
-- A rule's arrays: one dimension, no NULL element (a NULL kind passed the
-- category check and then broke every check of every pond).
ALTER TABLE requirement
	ADD CONSTRAINT requirement_arrays_plain CHECK (
		array_ndims(kinds) = 1 AND array_position(kinds, NULL) IS NULL
		AND array_ndims(statuses) = 1 AND array_position(statuses, NULL) IS NULL
		AND array_ndims(levels) = 1 AND array_position(levels, NULL) IS NULL);
COMMENT ON CONSTRAINT requirement_arrays_plain ON requirement IS
	'kinds, statuses and levels are one-dimensional arrays without NULL elements';

-- An element's values, beyond their types: a valid geometry of finite
-- coordinates without empty parts; an accuracy that is a number; dates in
-- order and not in the future; the attributes a kind requires, when given,
-- positive numbers.  On UPDATE only what changed is checked, so a row from
-- before these checks can still be corrected one column at a time.
CREATE FUNCTION _element_validate() RETURNS trigger
	LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
DECLARE
	what text := coalesce(format('element "%s"', NEW.name), format('the %s', NEW.kind));
	v record;
	k text;
	val jsonb;
BEGIN
	IF TG_OP = 'INSERT' OR NEW.geom IS DISTINCT FROM OLD.geom THEN
		IF 'NaN'::float8 IN (ST_XMin(NEW.geom), ST_YMin(NEW.geom), ST_XMax(NEW.geom), ST_YMax(NEW.geom))
		   OR abs(ST_XMin(NEW.geom)) = 'Infinity' OR abs(ST_XMax(NEW.geom)) = 'Infinity'
		   OR abs(ST_YMin(NEW.geom)) = 'Infinity' OR abs(ST_YMax(NEW.geom)) = 'Infinity' THEN
			RAISE EXCEPTION 'coordinates of % are not finite numbers', what
				USING ERRCODE = 'check_violation', HINT = 'Longitude and latitude in degrees, CGCS2000.';
		END IF;
		SELECT * INTO v FROM ST_IsValidDetail(NEW.geom);
		IF NOT v.valid THEN
			RAISE EXCEPTION 'geometry of % is not valid: %', what, v.reason
				USING ERRCODE = 'check_violation',
				      DETAIL = CASE WHEN v.location IS NOT NULL THEN format('At or near %s.', ST_AsText(v.location)) END,
				      HINT = 'Redraw it, or repair it with ST_MakeValid(geom).';
		END IF;
		IF ST_NumGeometries(NEW.geom) > 1
		   AND EXISTS (SELECT 1 FROM ST_Dump(NEW.geom) d WHERE ST_IsEmpty(d.geom)) THEN
			RAISE EXCEPTION 'geometry of % has an empty part', what
				USING ERRCODE = 'check_violation', HINT = 'Leave the empty part out.';
		END IF;
	END IF;
	IF (TG_OP = 'INSERT' OR NEW.accuracy_m IS DISTINCT FROM OLD.accuracy_m)
	   AND (NEW.accuracy_m = 'NaN' OR NEW.accuracy_m = 'Infinity') THEN
		RAISE EXCEPTION 'accuracy_m of % must be a number of metres, not %', what, NEW.accuracy_m
			USING ERRCODE = 'check_violation';
	END IF;
	IF TG_OP = 'INSERT' OR NEW.surveyed_on IS DISTINCT FROM OLD.surveyed_on
	   OR NEW.verified_on IS DISTINCT FROM OLD.verified_on THEN
		-- a day's grace: the surveyor's day may be ahead of the server's time zone
		IF NEW.surveyed_on > current_date + 1 OR NEW.verified_on > current_date + 1 THEN
			RAISE EXCEPTION 'dates of % are in the future (surveyed_on %, verified_on %)', what,
				coalesce(to_char(NEW.surveyed_on, 'YYYY-MM-DD'), 'null'),
				coalesce(to_char(NEW.verified_on, 'YYYY-MM-DD'), 'null')
				USING ERRCODE = 'check_violation';
		END IF;
		IF NEW.verified_on < NEW.surveyed_on THEN
			RAISE EXCEPTION 'the ground check of % (verified_on %) is before its survey (surveyed_on %)', what,
				to_char(NEW.verified_on, 'YYYY-MM-DD'), to_char(NEW.surveyed_on, 'YYYY-MM-DD')
				USING ERRCODE = 'check_violation';
		END IF;
	END IF;
	IF TG_OP = 'INSERT' OR NEW.attrs IS DISTINCT FROM OLD.attrs OR NEW.kind IS DISTINCT FROM OLD.kind THEN
		FOREACH k IN ARRAY required_attrs(NEW.kind) LOOP
			val := NEW.attrs -> k;
			CONTINUE WHEN val IS NULL;	-- absent: the completeness check reports it
			IF jsonb_typeof(val) <> 'number' OR val::numeric <= 0 THEN
				RAISE EXCEPTION 'attribute % of % must be a positive number, not %', k, what, val
					USING ERRCODE = 'check_violation',
					      HINT = format('For example {"%s": 500}; leave it out while it is not known.', k);
			END IF;
		END LOOP;
	END IF;
	RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION _element_validate() FROM PUBLIC;
CREATE TRIGGER element_validate BEFORE INSERT OR UPDATE ON element
	FOR EACH ROW EXECUTE FUNCTION _element_validate();
