-- A history for bench/time_travel.sh: CALL bench_history_until(N) changes the
-- national data set until the change log holds N rows, in transactions of
-- about 1,000 changes each (so the history spreads over as many moments):
-- 600 elements moved a little and renamed, 200 moved to the next pond, 100
-- deleted (and put back, with the same ids, in the next transaction), 10
-- ponds' status changed.  Deterministic for a given data set.
CREATE TABLE bench_deleted (LIKE tailings.element);
CREATE PROCEDURE bench_history_until(target bigint) LANGUAGE plpgsql AS $$
DECLARE
	logged bigint := (SELECT count(*) FROM tailings.change_log);
	max_element bigint := (SELECT max(id) FROM tailings.element);
	max_pond bigint := (SELECT max(id) FROM tailings.pond);
	batch int := (SELECT count(*) FROM tailings.change_log) / 1000;
	n bigint;
BEGIN
	WHILE logged < target LOOP
		batch := batch + 1;
		PERFORM setseed((batch % 1000) / 1000.0);
		UPDATE tailings.element SET geom = ST_Translate(geom, 0.00001 * (random() - 0.5), 0.00001 * (random() - 0.5)),
		       name = coalesce(name, '') || '.'
		 WHERE id = ANY (ARRAY(SELECT 1 + (random() * (max_element - 1))::bigint FROM generate_series(1, 600)));
		GET DIAGNOSTICS n = ROW_COUNT;
		logged := logged + n;
		UPDATE tailings.element SET pond_id = CASE WHEN pond_id < max_pond THEN pond_id + 1 ELSE 1 END
		 WHERE id = ANY (ARRAY(SELECT 1 + (random() * (max_element - 1))::bigint FROM generate_series(1, 200)))
		   AND tailings.category(kind) <> 'groundwater';
		GET DIAGNOSTICS n = ROW_COUNT;
		logged := logged + n;
		INSERT INTO tailings.element SELECT * FROM bench_deleted;
		GET DIAGNOSTICS n = ROW_COUNT;
		logged := logged + n;
		DELETE FROM bench_deleted;
		WITH d AS (DELETE FROM tailings.element
		            WHERE id = ANY (ARRAY(SELECT 1 + (random() * (max_element - 1))::bigint FROM generate_series(1, 100)))
		              AND tailings.category(kind) <> 'groundwater'
		           RETURNING *)
		INSERT INTO bench_deleted SELECT * FROM d;
		GET DIAGNOSTICS n = ROW_COUNT;
		logged := logged + n;
		UPDATE tailings.pond SET status = CASE status WHEN 'in_use' THEN 'suspended' ELSE 'in_use' END::tailings.pond_status
		 WHERE id = ANY (ARRAY(SELECT 1 + (random() * (max_pond - 1))::bigint FROM generate_series(1, 10)));
		GET DIAGNOSTICS n = ROW_COUNT;
		logged := logged + n;
		COMMIT;
	END LOOP;
END $$;
