-- completeness summaries kept current (tailings.pond_summary): after every kind
-- of change (elements inserted, updated, deleted, moved between ponds; pond
-- rows; the template; the ledger, documents and hazards through their state
-- machine; rollbacks; another day), the kept summary of EVERY pond equals
-- the one derived from a fresh check_completeness, and pond_overview shows
-- it; who may read and write the summaries.  On the Panzhihua sample, in a
-- database of its own.
\set test_db :DBNAME '_pond_summary'
\getenv abs_srcdir PG_ABS_SRCDIR
\set include :abs_srcdir '/include/sample_db.sql'
\i :include
SET search_path = tailings, public;
\set SHOW_CONTEXT never
SELECT setseed(0.15);

-- the summary check_completeness gives now (the reference: the rows a user sees)
CREATE FUNCTION pg_temp.fresh(pond_id bigint,
	OUT score real, OUT rules integer, OUT errors_failed integer, OUT warnings_failed integer)
	LANGUAGE sql STABLE
AS $$
	SELECT CASE WHEN count(*) FILTER (WHERE c.severity = 'error') = 0 THEN 1
	            ELSE (count(*) FILTER (WHERE c.severity = 'error' AND c.passed))::float8
	                 / count(*) FILTER (WHERE c.severity = 'error') END::real,
	       count(*)::integer,
	       (count(*) FILTER (WHERE c.severity = 'error' AND NOT c.passed))::integer,
	       (count(*) FILTER (WHERE c.severity = 'warning' AND NOT c.passed))::integer
	  FROM tailings.check_completeness(pond_id) c
$$;
-- ponds whose kept summary is missing, stale, not holding today, or not what
-- check_completeness says; and ponds whose pond_overview row differs from it
CREATE VIEW pg_temp.drift WITH (security_invoker) AS
SELECT count(*) FILTER (WHERE k.pond_id IS NULL
                          OR NOT (current_date >= k.valid_from AND current_date < k.valid_until)
                          OR (k.score, k.rules, k.errors_failed, k.warnings_failed)
                             IS DISTINCT FROM (f.score, f.rules, f.errors_failed, f.warnings_failed)) AS kept_wrong,
       count(*) FILTER (WHERE (o.score, o.rules, o.errors_failed, o.warnings_failed)
                              IS DISTINCT FROM (f.score, f.rules, f.errors_failed, f.warnings_failed)) AS overview_wrong,
       count(*) AS ponds
  FROM tailings.pond p
  LEFT JOIN tailings.pond_summary k ON k.pond_id = p.id
  JOIN tailings.pond_overview o ON o.id = p.id
  CROSS JOIN LATERAL pg_temp.fresh(p.id) f;
GRANT SELECT ON pg_temp.drift TO PUBLIC;

-- 1. The sample, as loaded: every pond kept, and right
SELECT * FROM pg_temp.drift;
SELECT count(*) AS kept, (SELECT count(*) FROM summary_pending) AS pending FROM pond_summary;

-- 2. Random edits, each round committed, then every pond compared
-- elements inserted (copies of other ponds' elements: far from their new pond)
INSERT INTO element (pond_id, kind, geom, name, verified_on, attrs)
SELECT (SELECT p.id FROM pond p WHERE p.id <> e.pond_id + 0 * e.id ORDER BY random() LIMIT 1),
       e.kind, e.geom, 'regress copy ' || e.id, e.verified_on, e.attrs
  FROM element e ORDER BY random() LIMIT 60;
SELECT * FROM pg_temp.drift;
-- updated: ground verification dropped, attributes removed, lines reversed
UPDATE element SET verified_on = NULL WHERE id IN (SELECT id FROM element ORDER BY random() LIMIT 40);
UPDATE element SET attrs = '{}' WHERE id IN (SELECT id FROM element WHERE attrs <> '{}' ORDER BY random() LIMIT 15);
UPDATE element SET geom = ST_Reverse(geom)
 WHERE id IN (SELECT id FROM element WHERE kind IN ('leachate_pipe', 'leachate_ditch') ORDER BY random() LIMIT 10);
SELECT * FROM pg_temp.drift;
-- moved between ponds (the old pond loses them, the new one gains them)
UPDATE element e SET pond_id = (SELECT p.id FROM pond p WHERE p.id <> e.pond_id ORDER BY random() LIMIT 1)
 WHERE e.id IN (SELECT id FROM element WHERE kind IN ('dam', 'sign', 'leachate_pool', 'gw_monitoring_well')
                ORDER BY random() LIMIT 25);
SELECT * FROM pg_temp.drift;
-- deleted (a pond's whole kind gone: a count rule fails)
DELETE FROM element WHERE name LIKE 'regress copy %' AND id % 2 = 0;
DELETE FROM element WHERE pond_id = (SELECT min(id) FROM pond WHERE status = 'in_use') AND kind = 'dam';
SELECT * FROM pg_temp.drift;
-- several statements on one pond in one transaction
BEGIN;
UPDATE element SET verified_on = current_date WHERE pond_id = 5;
INSERT INTO element (pond_id, kind, geom, name)
SELECT 5, kind, geom, 'regress second' FROM element WHERE pond_id = 6 LIMIT 3;
DELETE FROM element WHERE pond_id = 5 AND kind = 'sign';
COMMIT;
SELECT * FROM pg_temp.drift;

-- 3. Pond rows: status and level (other rules apply), flow azimuth (the wells' rules)
UPDATE pond SET status = 'in_use' WHERE id IN (SELECT id FROM pond WHERE status = 'closed' ORDER BY random() LIMIT 4);
UPDATE pond SET supervision_level = 1 WHERE id IN (SELECT id FROM pond ORDER BY random() LIMIT 4);
UPDATE pond SET gw_flow_azimuth = (gw_flow_azimuth::int + 180) % 360 WHERE gw_flow_azimuth IS NOT NULL AND id % 3 = 0;
UPDATE pond SET gw_flow_azimuth = NULL WHERE id IN (SELECT id FROM pond WHERE gw_flow_azimuth IS NOT NULL ORDER BY random() LIMIT 2);
SELECT * FROM pg_temp.drift;
-- a new pond, its id changed (its summary follows), the pond removed (its summary goes with it)
INSERT INTO pond (code, name, supervision_level, status, location, county_code)
VALUES ('REGRESS-NEW', '新库', 2, 'in_use', ST_SetSRID(ST_MakePoint(101.7, 26.6), 4490), '510421');
SELECT * FROM pg_temp.drift;
UPDATE pond SET id = id + 1000 WHERE code = 'REGRESS-NEW';
SELECT * FROM pg_temp.drift;
DELETE FROM pond WHERE code = 'REGRESS-NEW';
SELECT count(*) AS orphans FROM pond_summary s WHERE NOT EXISTS (SELECT 1 FROM pond p WHERE p.id = s.pond_id);

-- 4. The template: a rule disabled, a count raised, a rule added for some statuses, removed
UPDATE requirement SET enabled = false WHERE name = 'sign';
SELECT * FROM pg_temp.drift;
UPDATE requirement SET min_count = 2 WHERE name = 'dam';
INSERT INTO requirement (name, category, kinds, statuses, levels, severity)
VALUES ('regress_two_wells', 'groundwater', '{gw_monitoring_well}', '{in_use}', '{1,2}', 'error');
SELECT * FROM pg_temp.drift;
UPDATE requirement SET severity = 'warning' WHERE name = 'regress_two_wells';
SELECT * FROM pg_temp.drift;
DELETE FROM requirement WHERE name = 'regress_two_wells';
UPDATE requirement SET enabled = true WHERE name = 'sign';
SELECT * FROM pg_temp.drift;

-- 5. The file: ledgers (reported, late, a stock that disagrees), papers, hazards
INSERT INTO ledger (pond_id, year, stored_t, reused_t, stock_t, reported_on)
SELECT p.id, y.year, 1000, 100, 5000 + 900 * (y.year - 2020) + CASE WHEN p.id % 4 = 0 THEN 700 ELSE 0 END,
       make_date(y.year + 1, 1, 20)
  FROM pond p, (VALUES (2021::smallint), (2022::smallint)) y (year)
 WHERE p.id % 2 = 0
ON CONFLICT DO NOTHING;
SELECT * FROM pg_temp.drift;
UPDATE ledger SET stock_t = stock_t + 5000 WHERE pond_id IN (SELECT id FROM pond WHERE id % 6 = 0) AND year = 2022;
SELECT * FROM pg_temp.drift;
INSERT INTO document (pond_id, kind, number, issued_on, valid_until)
SELECT id, 'emergency_plan', 'YA-' || id, current_date - 400, CASE WHEN id % 3 = 0 THEN current_date - 1 END
  FROM pond WHERE id % 5 IN (1, 2);
INSERT INTO document (pond_id, kind, number, issued_on, valid_until)
SELECT DISTINCT e.pond_id, 'discharge_permit', 'PW-' || e.pond_id, current_date - 100, current_date + 100
  FROM element e WHERE e.kind = 'discharge_outlet' AND e.pond_id % 2 = 0;
SELECT * FROM pg_temp.drift;
UPDATE document SET valid_until = current_date - 2 WHERE kind = 'discharge_permit' AND pond_id % 4 = 0;
DELETE FROM document WHERE kind = 'emergency_plan' AND pond_id % 5 = 2;
SELECT * FROM pg_temp.drift;
-- a major hazard (an error: the score falls), through its states to closed
INSERT INTO hazard (pond_id, found_level, found_by, description, severity, deadline)
SELECT id, 'county', '县局', '坝体裂缝', 'major', current_date + 30 FROM pond WHERE id IN (3, 8, 16);
SELECT * FROM pg_temp.drift;
SELECT pond_id, score < 1 AS lowered FROM pond_summary WHERE pond_id IN (3, 8, 16) ORDER BY 1;
UPDATE hazard SET status = 'rectifying' WHERE pond_id IN (3, 8, 16) AND description = '坝体裂缝';
UPDATE hazard SET status = 'rectified', rectification = '已灌浆', rectified_on = current_date
 WHERE pond_id IN (8, 16) AND description = '坝体裂缝';
SELECT * FROM pg_temp.drift;
INSERT INTO hazard_check (hazard_id, level, checked_by, passed)
SELECT id, 'county', '县局', true FROM hazard WHERE pond_id = 16 AND description = '坝体裂缝';
SELECT pond_id, status FROM hazard WHERE description = '坝体裂缝' ORDER BY pond_id;
SELECT * FROM pg_temp.drift;

-- 6. Rolled back: the summaries are as before; inside the transaction, what is
-- shown is already the transaction's own (its ponds computed, being noted)
CREATE TEMP TABLE before AS SELECT * FROM pond_summary;
BEGIN;
DELETE FROM element WHERE pond_id IN (1, 2, 3) AND kind IN ('dam', 'pond_boundary');
UPDATE requirement SET min_count = 3 WHERE name = 'sign';
UPDATE pond SET status = 'closed' WHERE id = 11;
SELECT * FROM pg_temp.drift;
SELECT count(DISTINCT pond_id) AS noted_inside FROM summary_pending;
ROLLBACK;
SELECT count(*) AS changed FROM pond_summary s FULL JOIN before b USING (pond_id)
 WHERE (s.*)::text IS DISTINCT FROM (b.*)::text;
SELECT count(*) AS noted_after FROM summary_pending;
SELECT * FROM pg_temp.drift;
-- a subtransaction rolled back, the rest committed
BEGIN;
UPDATE element SET verified_on = NULL WHERE pond_id = 20;
SAVEPOINT s;
DELETE FROM element WHERE pond_id = 21;
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT * FROM pg_temp.drift;

-- 7. Once per pond per statement, not per row: a 1,000-row update of one
-- pond, an update over many ponds, a template change (the trigger calls)
SET track_functions = 'all';
SET stats_fetch_consistency = 'none';
INSERT INTO element (pond_id, kind, geom, name)
SELECT 30, 'sign', ST_SetSRID(ST_MakePoint(101.6 + i * 0.00001, 26.5), 4490), 'bulk ' || i
  FROM generate_series(1, 1000) i;
CREATE FUNCTION pg_temp.calls(fn regproc) RETURNS bigint LANGUAGE sql AS
	$$ SELECT coalesce((SELECT calls FROM pg_stat_user_functions WHERE funcid = fn), 0) $$;
SELECT pg_stat_force_next_flush();
SELECT pg_temp.calls('_pond_summary_invalidate') AS inv0, pg_temp.calls('_pond_summary_refresh') AS ref0 \gset
UPDATE element SET verified_on = current_date WHERE pond_id = 30 AND name LIKE 'bulk %';
SELECT pg_stat_force_next_flush();
SELECT pg_temp.calls('_pond_summary_invalidate') - :inv0 AS invalidated, pg_temp.calls('_pond_summary_refresh') - :ref0 AS recomputed;
SELECT pg_temp.calls('_pond_summary_invalidate') AS inv0, pg_temp.calls('_pond_summary_refresh') AS ref0 \gset
UPDATE element SET accuracy_m = 1 WHERE pond_id BETWEEN 1 AND 10;
SELECT pg_stat_force_next_flush();
SELECT pg_temp.calls('_pond_summary_invalidate') - :inv0 AS invalidated, pg_temp.calls('_pond_summary_refresh') - :ref0 AS recomputed;
SELECT pg_temp.calls('_pond_summary_invalidate') AS inv0, pg_temp.calls('_pond_summary_refresh') AS ref0 \gset
UPDATE requirement SET description_en = description_en || '.' WHERE builtin;
SELECT pg_stat_force_next_flush();
SELECT pg_temp.calls('_pond_summary_invalidate') - :inv0 AS invalidated,
       pg_temp.calls('_pond_summary_refresh') - :ref0 = (SELECT count(*) FROM pond) AS each_pond_once;
RESET track_functions;
SELECT * FROM pg_temp.drift;

-- 8. Another day.  A summary holds for the days its outcome holds: a paper
-- expiring today, a plan reviewed three years ago today, a permit issued
-- tomorrow (a day's grace).  Written where it is the earliest day on earth
-- (UTC-12) and read where it is a day or two later (UTC+14), the kept
-- summary no longer holds, and what is shown is computed for that day.
SET TimeZone = 'Etc/GMT+12';
DELETE FROM document WHERE pond_id = 13 AND kind = 'emergency_plan';
INSERT INTO document (pond_id, kind, number, issued_on, valid_until) VALUES
 (8, 'emergency_plan', 'DAY-1', current_date - 10, current_date),
 (13, 'emergency_plan', 'DAY-2', (current_date - interval '3 years')::date, NULL);
INSERT INTO document (pond_id, kind, number, issued_on, valid_until)
SELECT DISTINCT e.pond_id, 'discharge_permit', 'DAY-3', current_date + 1, NULL::date
  FROM element e WHERE e.kind = 'discharge_outlet' AND e.pond_id % 4 = 0;
SELECT * FROM pg_temp.drift;
SELECT s.pond_id, s.valid_until - current_date AS holds_days FROM pond_summary s WHERE s.pond_id IN (8, 13) ORDER BY 1;
SELECT count(*) AS permit_tomorrow FROM pond_summary s
 WHERE s.valid_until = current_date + 1 AND s.pond_id IN (SELECT pond_id FROM document WHERE number = 'DAY-3');
CREATE TEMP TABLE west AS
SELECT p.id, c.rule, c.passed FROM pond p, check_completeness(p.id) c WHERE c.rule IN ('emergency_plan', 'discharge_permit');
SET TimeZone = 'Etc/GMT-14';
-- the rules that come out otherwise there: the plans expired or past three years, the permits in force
SELECT w.id, w.rule, w.passed AS west, c.passed AS east
  FROM west w JOIN LATERAL check_completeness(w.id) c ON c.rule = w.rule WHERE c.passed <> w.passed ORDER BY 1, 2;
SELECT * FROM pg_temp.drift \gset
SELECT :overview_wrong AS overview_wrong_east, :kept_wrong > 0 AS some_kept_not_holding_east;
-- the days ran out: refresh_pond_summaries() keeps them again for the new day
SELECT refresh_pond_summaries() > 0 AS refreshed;
SELECT * FROM pg_temp.drift;
RESET TimeZone;
SELECT refresh_pond_summaries() >= 0 AS refreshed;
SELECT * FROM pg_temp.drift;
-- a kept row that no longer holds is not shown, whatever it says
UPDATE pond_summary SET score = 0.5, errors_failed = 99, valid_until = current_date WHERE pond_id = 1;
SELECT score = (pg_temp.fresh(1)).score AND errors_failed <> 99 AS computed_instead FROM pond_overview WHERE id = 1;
SELECT (_pond_summary(1)).errors_failed <> 99 AS summary_computed_instead;
SELECT refresh_pond_summaries() AS refreshed;
SELECT * FROM pg_temp.drift;
-- rows changed with the triggers off: the summaries did not see it; every pond computed again
ALTER TABLE requirement DISABLE TRIGGER requirement_summary;
UPDATE requirement SET min_count = 50 WHERE name = 'sign';
ALTER TABLE requirement ENABLE TRIGGER requirement_summary;
SELECT kept_wrong > 0 AS wrong_without_triggers FROM pg_temp.drift;
SELECT refresh_pond_summaries() AS not_holding;
SELECT refresh_pond_summaries(true) = (SELECT count(*) FROM pond) AS every_pond;
SELECT * FROM pg_temp.drift;
UPDATE requirement SET min_count = 1 WHERE name = 'sign';
SELECT * FROM pg_temp.drift;

-- 9. Who reads and writes them.  A member sees the summaries of its ponds
-- (as pond's other tables); nobody but the owner writes them (to fake a
-- score), not even through the trigger functions.
CREATE ROLE regress_sum_county LOGIN;
CREATE ROLE regress_sum_ent LOGIN;
CREATE ROLE regress_sum_reader LOGIN;
CREATE ROLE regress_sum_nobody LOGIN;
GRANT tailings_reader TO regress_sum_reader;
SELECT add_member('regress_sum_county', 'county', '510421', '米易县 测试') IS NOT NULL AS member;
SELECT add_member('regress_sum_ent', 'enterprise', (SELECT enterprise_code FROM pond WHERE id = 16), '企业 测试') IS NOT NULL AS member;
SET ROLE regress_sum_county;
SELECT count(*) AS seen, count(*) FILTER (WHERE p.county_code <> '510421') AS outside
  FROM pond_summary s JOIN pond p ON p.id = s.pond_id;
-- the kept summary is what check_completeness says to this role, for every pond it sees
SELECT * FROM pg_temp.drift;
SELECT count(*) AS others_seen FROM pond_summary WHERE pond_id = 1;
SELECT _pond_summary(1);
\echo :LAST_ERROR_SQLSTATE
UPDATE pond_summary SET score = 1 WHERE pond_id = 16;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO pond_summary (pond_id, score, rules, errors_failed, warnings_failed, valid_from, valid_until)
VALUES (16, 1, 1, 0, 0, '-infinity', 'infinity');
\echo :LAST_ERROR_SQLSTATE
DELETE FROM pond_summary WHERE pond_id = 16;
\echo :LAST_ERROR_SQLSTATE
CREATE TEMP TABLE mine (pond_id bigint);
CREATE TRIGGER fake AFTER INSERT ON mine REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION tailings._pond_summary_invalidate('pond_id');
\echo :LAST_ERROR_SQLSTATE
SELECT refresh_pond_summaries();
\echo :LAST_ERROR_SQLSTATE
-- its own edits keep its ponds' summaries (written as the owner, by the triggers)
UPDATE element SET verified_on = NULL WHERE pond_id = 16 AND kind = 'sign';
RESET ROLE;
SET ROLE regress_sum_ent;
SELECT array_agg(pond_id) AS enterprise_sees FROM pond_summary;
INSERT INTO ledger (pond_id, year, stock_t) SELECT 16, min(year) - 1, 100 FROM ledger WHERE pond_id = 16;
INSERT INTO summary_pending VALUES (16);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE regress_sum_reader;
SELECT count(*) AS reader_sees FROM pond_summary;
UPDATE pond_summary SET score = 1;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE regress_sum_nobody;
SELECT count(*) FROM tailings.pond_summary;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT * FROM pg_temp.drift;
DROP TABLE mine;
SELECT remove_member('regress_sum_county') IS NOT NULL AS removed, remove_member('regress_sum_ent') IS NOT NULL AS removed;
DROP ROLE regress_sum_county, regress_sum_ent, regress_sum_reader, regress_sum_nobody;

-- 10. The trigger functions refuse to be used otherwise
CREATE TABLE pg_temp.t (pond_id bigint);
CREATE TRIGGER t_row AFTER INSERT ON pg_temp.t FOR EACH ROW EXECUTE FUNCTION _pond_summary_invalidate('pond_id');
INSERT INTO pg_temp.t VALUES (1);
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER t_row ON pg_temp.t;
CREATE TRIGGER t_refresh AFTER INSERT ON pg_temp.t FOR EACH ROW EXECUTE FUNCTION _pond_summary_refresh();
INSERT INTO pg_temp.t VALUES (1);
\echo :LAST_ERROR_SQLSTATE

\c :regress_db
DROP DATABASE :test_db;
