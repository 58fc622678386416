#!/usr/bin/env bash
# QGIS sees and edits elements through the GIS views (issue 11, item 3):
# tests/qgis/views.py loads tailings.element_point, _line and _polygon with the
# postgres provider (geometry type, "kind" a string field, key id), filters
# "kind" = 'dam', and adds, moves, renames and deletes a groundwater
# monitoring well through the layer's edit buffer; then the change log must
# have each of them, written by the same tracking as the table's.
# Skips (with a message, and passes) when python3-qgis is not installed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/../lib/http.sh"
work=${TAILINGS_TEST_WORK:?}/qgis_views
mkdir -p "$work"
chmod 700 "$work"   # QGIS's XDG_RUNTIME_DIR

if ! QT_QPA_PLATFORM=offscreen /usr/bin/python3 -c 'import qgis.core' 2>/dev/null; then
	echo "# SKIP QGIS: python3-qgis is not installed (apt-get install python3-qgis; tests/lib/deps.sh test)"
	exit 0
fi

db=qgis_views
dropdb --if-exists "$db" && createdb -T tailings_sample "$db" || die "cannot copy the sample"
# the key pond 烂坝山, its registry point, its dams
read -r pond lon lat <<<"$(q -d "$db" -F ' ' -c "SELECT id, ST_X(location), ST_Y(location) FROM tailings.pond WHERE name LIKE '%烂坝山%'")"
[ -n "$pond" ] || die "pond 烂坝山 is not in the sample"
dams=$(q -d "$db" -c "SELECT count(*) FROM tailings.element WHERE kind::text = 'dam' AND GeometryType(geom) LIKE '%LINESTRING'")
log_before=$(q -d "$db" -c "SELECT coalesce(max(id), 0) FROM tailings.change_log")

if QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=$work /usr/bin/python3 "$root/tests/qgis/views.py" \
	"$PGHOST" "$PGPORT" "$db" "$pond" "$lon" "$lat" "$dams" >"$work/qgis.log" 2>"$work/qgis.err"; then
	ok "QGIS loads, filters and edits the views ($(grep -c '^ok' "$work/qgis.log") checks)"
else
	not_ok "QGIS loads, filters and edits the views: $(grep -c '^not ok' "$work/qgis.log") checks failed"
fi
sed 's/^/    /' "$work/qgis.log"
grep -v -e XDG_RUNTIME_DIR -e '^$' "$work/qgis.err" | head -20

echo "# the change log has each edit, as for the table"
q -d "$db" -F ' ' -c "SELECT id, op, changed, moved_m, coalesce(new_row->>'name', old_row->>'name')
	FROM tailings.change_log WHERE id > $log_before ORDER BY id" | sed 's/^/    /'
expect_eq "the log: the insert, the move and rename, the delete, all of tailings.element" \
	"$(q -d "$db" -c "SELECT string_agg(op::text || coalesce('(' || array_to_string(changed, ',') || ')', ''), ' ' ORDER BY id)
		FROM tailings.change_log WHERE id > $log_before AND table_name = 'tailings.element'") $(q -d "$db" -c "SELECT count(*) FROM tailings.change_log WHERE id > $log_before")" \
	"I U(geom,name) D 3"
expect_eq "the insert: a gw_monitoring_well of pond $pond, named, a POINT" \
	"$(q -d "$db" -c "SELECT new_row->>'kind', new_row->>'pond_id', new_row->>'name', GeometryType((new_row->>'geom')::geometry)
		FROM tailings.change_log WHERE id > $log_before AND op = 'I'" -F ' ')" \
	"gw_monitoring_well $pond QGIS 监视井 JC-Q1 POINT"
expect_eq "the update: renamed and moved some 140 m" \
	"$(q -d "$db" -c "SELECT new_row->>'name', round(moved_m / 10) * 10 BETWEEN 100 AND 160
		FROM tailings.change_log WHERE id > $log_before AND op = 'U'" -F ' ')" \
	"QGIS 监视井 JC-Q1 moved t"
expect_eq "the delete: the renamed well" \
	"$(q -d "$db" -c "SELECT old_row->>'name' FROM tailings.change_log WHERE id > $log_before AND op = 'D'")" \
	"QGIS 监视井 JC-Q1 moved"
dropdb "$db"
http_finish
