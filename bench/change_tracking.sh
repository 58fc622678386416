#!/usr/bin/env bash
# Change tracking: 100,000 element inserts, then 100,000 updates (each moving
# the geometry and renaming), on five copies of tailings.element:
#   none     no trigger
#   c        tailings.track_changes(), the C trigger, writing the change log only
#            (a tracked table without a history table: the trigger of 0.8.0)
#   c_hist   the same trigger on a table with a history table (tailings.add_history),
#            as element, pond and sample have from 0.9.0: the log and the history
#   plpgsql  a PL/pgSQL trigger writing the same change log and notification
#   plpgsql_hist  the same PL/pgSQL trigger also keeping the same history table
#            (the statements track_changes falls back to: end or remove the
#            current version, begin the next), with the same indexes: the
#            PL/pgSQL twin of c_hist
#   periods  the periods extension's system versioning (history table)
# Each run in one statement and one transaction, committed; median of 3 runs (RUNS=N for
# more), the variants in turn within each run.
# Prints the time of each and the ratios the goals are stated in:
#   c overhead / plpgsql overhead, c_hist overhead / plpgsql_hist overhead (the
#   same work; goal <= 0.4), c_hist overhead / plpgsql overhead (c_hist does
#   more: the history too), and c / periods (goal <= 1), also for a row's whole
#   life (insert + update)
#   bench/change_tracking.sh [ROWS]
if [ ! -f "$(pg_config --sharedir)/extension/periods.control" ]; then
	echo "the periods extension is missing: apt-get install postgresql-15-periods" >&2
	exit 2
fi
. "$(dirname "$0")/lib.sh"
rows=${1:-100000}
runs=${RUNS:-3}
createdb bench
psql -X -q -d bench -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION tailings CASCADE;
CREATE EXTENSION periods CASCADE;
INSERT INTO tailings.pond (code, name, supervision_level, status, location)
VALUES ('B-1', 'bench', 3, 'in_use', ST_SetSRID(ST_MakePoint(101.7, 26.5), 4490));
-- the PL/pgSQL twin of tailings.track_changes(): same log row, same notification
CREATE FUNCTION public.track_changes_plpgsql() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	o jsonb;
	n jsonb;
	stripped record;
	cols text[];
	geom_changed boolean := false;
	box box2d;
	r record := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
BEGIN
	-- the rows as jsonb with the geometry as hex EWKB text, as the C trigger writes them
	IF TG_OP <> 'INSERT' THEN
		stripped := OLD; stripped.geom := NULL;
		o := to_jsonb(stripped) || jsonb_build_object('geom', OLD.geom::text);
	END IF;
	IF TG_OP <> 'DELETE' THEN
		stripped := NEW; stripped.geom := NULL;
		n := to_jsonb(stripped) || jsonb_build_object('geom', NEW.geom::text);
	END IF;
	IF TG_OP = 'UPDATE' THEN
		SELECT array_agg(key ORDER BY key) INTO cols
		  FROM jsonb_each(n) AS ne(key, value)
		 WHERE ne.value IS DISTINCT FROM o -> ne.key;
		IF cols IS NULL THEN RETURN NULL; END IF;
		geom_changed := 'geom' = ANY (cols);
	END IF;
	-- (the elements are CGCS2000, which is used as longitude and latitude directly, as the C trigger does)
	box := Box2D(CASE WHEN TG_OP = 'DELETE' THEN OLD.geom
	                  WHEN geom_changed THEN ST_Collect(OLD.geom, NEW.geom)
	                  ELSE NEW.geom END);
	INSERT INTO tailings.change_log (txid, changed_at, actor, session_role, table_name, row_id, pond_id, op,
		old_row, new_row, changed, moved_m, bbox)
	VALUES (pg_current_xact_id(), now(), coalesce(nullif(current_setting('tailings.actor', true), ''), session_user),
		session_user, TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, r.id, r.pond_id, left(TG_OP, 1),
		o, n, cols, CASE WHEN geom_changed
		                 THEN ST_Distance(ST_Centroid(OLD.geom)::geography, ST_Centroid(NEW.geom)::geography) END,
		ARRAY[ST_XMin(box), ST_YMin(box), ST_XMax(box), ST_YMax(box)]);
	PERFORM pg_notify('tailings_changes', json_build_object('table', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME,
		'op', left(TG_OP, 1), 'pond_id', r.pond_id, 'row_id', r.id,
		'bbox', json_build_array(ST_XMin(box), ST_YMin(box), ST_XMax(box), ST_YMax(box)))::text);
	-- (the history, for the twin of c_hist)
	RETURN NULL;
END $$;
SQL
# the PL/pgSQL twin of c_hist: the same function, keeping the history too, with the
# statements track_changes itself falls back to (history_plan in track.c)
psql -X -q -d bench -v ON_ERROR_STOP=1 -At -c "SELECT pg_get_functiondef('public.track_changes_plpgsql'::regproc)" |
	sed -e 's/public.track_changes_plpgsql()/public.track_changes_plpgsql_hist()/' \
	    -e 's/^DECLARE$/DECLARE\n\tbegin_at timestamptz;\n\thave_from boolean := false;/' \
	    -e '/-- (the history, for the twin of c_hist)/r '<(cat <<'HIST'
	IF TG_OP <> 'INSERT' THEN
		UPDATE public.bench_plpgsql_hist_history SET valid = tstzrange(lower(valid), now())
		 WHERE id = OLD.id AND upper_inf(valid) AND lower(valid) < now();
		IF FOUND THEN
			begin_at := now();
			have_from := true;
		ELSE
			DELETE FROM public.bench_plpgsql_hist_history WHERE id = OLD.id AND upper_inf(valid)
			RETURNING lower(valid) INTO begin_at;
			have_from := FOUND;
		END IF;
	END IF;
	IF TG_OP <> 'DELETE' THEN
		IF have_from AND OLD.id = NEW.id THEN
			INSERT INTO public.bench_plpgsql_hist_history SELECT NEW.*, tstzrange(begin_at, NULL);
		ELSE
			INSERT INTO public.bench_plpgsql_hist_history
			SELECT NEW.*, tstzrange(GREATEST(now(), p.until), NULL)
			  FROM (SELECT max(upper(x.valid)) AS until FROM public.bench_plpgsql_hist_history x WHERE x.id = NEW.id) p;
		END IF;
	END IF;
HIST
) | psql -X -q -d bench -v ON_ERROR_STOP=1 >/dev/null

setup() {  # a fresh copy of the element table for one variant
	psql -X -q -d bench -v ON_ERROR_STOP=1 <<SQL
DROP TABLE IF EXISTS bench_$1 CASCADE;
DROP TABLE IF EXISTS bench_$1_history CASCADE;
CREATE TABLE bench_$1 (LIKE tailings.element INCLUDING ALL);
SQL
	# (the element's history indexes: the row id, geometry and period, pond and kind)
	[ "$1" = c_hist ] && psql -X -q -d bench -c "SELECT tailings.track_table('bench_c_hist')" \
		-c "SELECT tailings.add_history('bench_c_hist')" -c "DROP INDEX bench_c_hist_history_pond_idx" \
		-c "CREATE INDEX ON bench_c_hist_history (pond_id, kind)" >/dev/null
	case $1 in
	c) psql -X -q -d bench -c "SELECT tailings.track_table('bench_c')" >/dev/null ;;
	plpgsql) psql -X -q -d bench -c "CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON bench_plpgsql FOR EACH ROW EXECUTE FUNCTION track_changes_plpgsql()" ;;
	plpgsql_hist)
		# the history table and indexes add_history makes, and c_hist's (pond_id, kind)
		psql -X -q -d bench -v ON_ERROR_STOP=1 \
			-c "CREATE TABLE bench_plpgsql_hist_history (LIKE bench_plpgsql_hist, valid tstzrange NOT NULL)" \
			-c "CREATE INDEX ON bench_plpgsql_hist_history (id)" \
			-c "CREATE INDEX ON bench_plpgsql_hist_history USING gist (geom tailings.geometry_overlaps_ops, valid tailings.valid_period_ops)" \
			-c "CREATE INDEX ON bench_plpgsql_hist_history (pond_id, kind)" \
			-c "CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON bench_plpgsql_hist FOR EACH ROW EXECUTE FUNCTION track_changes_plpgsql_hist()" ;;
	periods) psql -X -q -d bench -c "SELECT periods.add_system_time_period('bench_periods')" -c "SELECT periods.add_system_versioning('bench_periods')" >/dev/null ;;
	esac
}
insert_sql() {
	echo "INSERT INTO bench_$1 (pond_id, kind, geom, name, source, attrs)
	SELECT 1, 'gw_monitoring_well', ST_SetSRID(ST_MakePoint(101.7 + (i % 1000) * 0.0001, 26.5 + (i / 1000) * 0.0001), 4490),
	       'well ' || i, 'drone', jsonb_build_object('depth_m', 20 + i % 10)
	  FROM generate_series(1, $rows) AS i"
}
update_sql() { echo "UPDATE bench_$1 SET geom = ST_Translate(geom, 0.0001, 0), name = name || '*'"; }

declare -A ins upd
variants="none c c_hist plpgsql plpgsql_hist periods"
# the variants taken in turn within each run, so that a noisy minute falls on all of them
for r in $(seq $runs); do
	for v in $variants; do
		setup $v
		psql -X -q -d bench -c "CHECKPOINT" -c "VACUUM tailings.change_log"
		echo "$v insert $(time_ms bench "$(insert_sql $v)")"
		echo "$v update $(time_ms bench "$(update_sql $v)")"
	done
done | tee "$bench_work/times.txt" | sed 's/^/  /' >&2
for v in $variants; do
	ins[$v]=$(awk -v v=$v '$1 == v && $2 == "insert" {print $3}' "$bench_work/times.txt" | median)
	upd[$v]=$(awk -v v=$v '$1 == v && $2 == "update" {print $3}' "$bench_work/times.txt" | median)
done
echo
printf '%-13s %12s %12s   (%d rows, median of %d, ms)\n' variant insert update "$rows" "$runs"
for v in $variants; do printf '%-13s %12.0f %12.0f\n' $v "${ins[$v]}" "${upd[$v]}"; done
echo
ratios() {  # ratios NAME C_VARIANT PLPGSQL_VARIANT
	awk -v name="$1" -v cn="${ins[$2]}" -v pn="${ins[$3]}" -v nn="${ins[none]}" -v per="${ins[periods]}" \
	    -v cu="${upd[$2]}" -v pu="${upd[$3]}" -v nu="${upd[none]}" -v peru="${upd[periods]}" 'BEGIN {
		printf "%-22s overhead / PL/pgSQL overhead: insert %.2f, update %.2f (goal <= 0.4)\n", name, (cn-nn)/(pn-nn), (cu-nu)/(pu-nu);
	}'
}
ratios "c / plpgsql" c plpgsql
ratios "c_hist / plpgsql_hist" c_hist plpgsql_hist
ratios "c_hist / plpgsql" c_hist plpgsql
echo "  (c_hist / plpgsql: the C trigger keeping the history against the PL/pgSQL one keeping only the log)"
for c in c c_hist; do
	awk -v c=$c -v cn="${ins[$c]}" -v per="${ins[periods]}" -v cu="${upd[$c]}" -v peru="${upd[periods]}" 'BEGIN {
		printf "%-6s / periods: insert %.2f, update %.2f, insert + update %.2f (goal <= 1)\n", c, cn/per, cu/peru, (cn+cu)/(per+peru);
	}'
done
