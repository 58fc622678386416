#!/usr/bin/env bash
# Drawings made outside the database (design §7, issue 12 item 3): an
# enterprise draws in QGIS or walks with a GPS, converts with ogr2ogr (GDAL,
# which QGIS writes its files with), and imports the GeoJSON.
#  1. the pond's map, re-saved as QGIS saves a layer (crs CRS84, every line a
#     MultiLineString, numbers of text fields as text), imports unchanged;
#  2. a QGIS-style drawing with an added ditch (MultiLineString, numeric
#     strings, null columns), a changed pool volume and a removed sign
#     imports as add / change / remove, and its approval applies it;
#  3. a GPX track and waypoint (a comment as the depth, a time), converted by
#     ogr2ogr and merged with the map by ogrmerge.py, import as the new ditch
#     and well;
#  4. a KML placemark (a height, dropped), and the map through Shapefiles
#     (10-character field names) and back, import too.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/http.sh"
work=${TAILINGS_TEST_WORK:?}/import_ogr
mkdir -p "$work"
command -v ogr2ogr >/dev/null || die "ogr2ogr is not installed (apt-get install gdal-bin)"

db=import_ogr
dropdb --if-exists "$db" && createdb -T tailings_sample "$db" || die "cannot copy the sample"
pond=1
read -r lon lat county <<<"$(q -d "$db" -F ' ' -c "SELECT ST_X(location), ST_Y(location), county_code FROM tailings.pond WHERE id = $pond")"
[ -n "$lon" ] || die "pond $pond is not in the sample"
elements=$(q -d "$db" -c "SELECT count(*) FROM tailings.element WHERE pond_id = $pond")

# import FILE: the new submission's id (the error on stderr)
import() {
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" -v pond="$pond" -v f="$(cat "$1")" <<'SQL'
SELECT tailings.import_geojson(:pond, :'f');
SQL
}
# ops ID: the diff as "add 1, same 27"
ops() {
	q -d "$db" -c "SELECT string_agg(op || ' ' || n, ', ' ORDER BY op)
	                 FROM (SELECT op, count(*) AS n FROM tailings.submission_diff($1) GROUP BY op) x"
}

q -d "$db" -c "SELECT tailings.pond_geojson($pond)" >"$work/map.geojson"
check "pond_geojson is a FeatureCollection of the pond's $elements elements" \
	test "$(jq '.features | length' "$work/map.geojson")" = "$elements"

echo "# 1. the map, re-saved as QGIS saves it"
ogr2ogr -f GeoJSON -t_srs EPSG:4326 -nlt PROMOTE_TO_MULTI -mapFieldType Integer=String,Integer64=String,Real=String \
	"$work/qgis.geojson" "$work/map.geojson" || die "ogr2ogr failed"
expect_eq "the file names its crs" "$(jq -r '.crs.properties.name' "$work/qgis.geojson")" "urn:ogc:def:crs:OGC:1.3:CRS84"
expect_match "its lines are MultiLineStrings" "$(jq -r '[.features[].geometry.type] | unique | join(",")' "$work/qgis.geojson")" \
	'MultiLineString'
expect_match "its numbers are text" "$(jq -c '[.features[].properties | select(.volume_m3 != null) | .volume_m3][0]' "$work/qgis.geojson")" \
	'^"[0-9]+"$'
same=$(import "$work/qgis.geojson")
expect_eq "imported unchanged" "$(ops "$same")" "same $elements"
expect_eq "its template check is check_completeness's" \
	"$(q -d "$db" -c "SELECT (SELECT array_agg(c::text) FROM tailings.check_submission($same) c)
	                        = (SELECT array_agg(c::text) FROM tailings.check_completeness($pond) c)")" t

echo "# 2. a QGIS-style drawing: a ditch added, a pool's volume changed, a sign removed"
pool=$(q -d "$db" -c "SELECT min(id) FROM tailings.element WHERE pond_id = $pond AND kind::text = 'leachate_pool'")
sign=$(q -d "$db" -c "SELECT min(id) FROM tailings.element WHERE pond_id = $pond AND kind::text = 'sign'")
jq --arg pool "$pool" --arg sign "$sign" --argjson lon "$lon" --argjson lat "$lat" '
	.features |= map(select(.properties.id != $sign)
	                 | if .properties.id == $pool then .properties.volume_m3 = "800" else . end)
	| .features += [{"type": "Feature",
	                 "properties": (.features[0].properties | map_values(null)
	                                + {"kind": "截洪沟", "name": "北侧截洪沟（新建）", "accuracy_m": "0.5",
	                                   "source": "ground", "surveyed_on": "2025/03/01"}),
	                 "geometry": {"type": "MultiLineString",
	                              "coordinates": [[[($lon - 0.004), ($lat + 0.005)], [($lon + 0.004), ($lat + 0.005)]]]}}]
	' "$work/qgis.geojson" >"$work/drawing.geojson"
drawing=$(import "$work/drawing.geojson")
expect_eq "the diff" "$(ops "$drawing")" "add 1, change 1, remove 1, same $((elements - 2))"
expect_eq "the pool's volume: a number" \
	"$(q -d "$db" -c "SELECT changed FROM tailings.submission_diff($drawing) WHERE op = 'change' AND element_id = $pool")" "{attrs}"
expect_eq "the ditch: a LineString of kind interception_ditch, accuracy a number" \
	"$(q -d "$db" -c "SELECT f->'geometry'->>'type', f->'properties'->>'kind', jsonb_typeof(f->'properties'->'accuracy_m')
	                    FROM tailings.submission, jsonb_array_elements(features->'features') f
	                   WHERE id = $drawing AND f->'properties'->>'name' = '北侧截洪沟（新建）'")" "LineString|interception_ditch|number"
# a county reviewer approves it
q -d "$db" -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'import_ogr_county')
               THEN CREATE ROLE import_ogr_county LOGIN; END IF; END \$\$" >/dev/null
q -d "$db" -c "SELECT tailings.add_member('import_ogr_county', 'county', '$county', '区生态环境分局')" >/dev/null
q -d "$db" -c "SELECT tailings.submit($drawing)" >/dev/null
expect_eq "approved" "$(q -d "$db" -c "SET ROLE import_ogr_county; SELECT tailings.approve($drawing, '同意')")" approved
expect_eq "the map has it" \
	"$(q -d "$db" -c "SELECT (SELECT attrs->'volume_m3' FROM tailings.element WHERE id = $pool),
	                         (SELECT count(*) FROM tailings.element WHERE id = $sign),
	                         (SELECT GeometryType(geom) FROM tailings.element WHERE name = '北侧截洪沟（新建）')")" "800|0|LINESTRING"
expect_eq "the change log records the submission" \
	"$(q -d "$db" -c "SELECT string_agg(op::text, '' ORDER BY id) FROM tailings.change_log
	                   WHERE submission_id = $drawing AND table_name = 'tailings.element'")" "DUI"
# the sample's pre-flood inspection visited the sign: the visit stays, without its element, in the same change
expect_eq "the removed sign's visit is kept, without it" \
	"$(q -d "$db" -c "SELECT string_agg(c.op::text || ':' || coalesce(c.new_row ->> 'element_id', 'null'), ',' ORDER BY c.id)
	                    FROM tailings.change_log c
	                   WHERE c.submission_id = $drawing AND c.table_name <> 'tailings.element'
	                     AND (c.old_row ->> 'element_id')::bigint = $sign")" "U:null"
expect_eq "the approved drawing is the map" "$(ops "$drawing")" "same $elements"
q -d "$db" -c "SELECT tailings.pond_geojson($pond)" >"$work/map.geojson"

echo "# 3. a GPX track and waypoint from the field"
gpx_lat() { awk -v a="$lat" -v d="$1" 'BEGIN { printf "%.6f", a + d }'; }
gpx_lon() { awk -v a="$lon" -v d="$1" 'BEGIN { printf "%.6f", a + d }'; }
cat >"$work/walk.gpx" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="handheld GPS" xmlns="http://www.topografix.com/GPX/1/1">
 <wpt lat="$(gpx_lat 0.004)" lon="$(gpx_lon -0.003)"><ele>1510.2</ele><time>2025-03-01T02:10:00Z</time><name>JC3</name><cmt>30</cmt></wpt>
 <trk><name>西侧截洪沟</name>
  <trkseg>
   <trkpt lat="$(gpx_lat 0.006)" lon="$(gpx_lon -0.006)"><ele>1522.0</ele><time>2025-03-01T02:00:00Z</time></trkpt>
   <trkpt lat="$(gpx_lat 0.0065)" lon="$(gpx_lon -0.002)"><ele>1521.4</ele><time>2025-03-01T02:03:00Z</time></trkpt>
   <trkpt lat="$(gpx_lat 0.006)" lon="$(gpx_lon 0.003)"><ele>1519.9</ele><time>2025-03-01T02:06:00Z</time></trkpt>
  </trkseg>
 </trk>
</gpx>
EOF
rm -f "$work/track.geojson" "$work/well.geojson" "$work/walked.geojson"
ogr2ogr -f GeoJSON "$work/track.geojson" "$work/walk.gpx" \
	-sql "SELECT name, 'interception_ditch' AS kind, 'ground' AS source, '2025-03-01' AS surveyed_on FROM tracks" \
	|| die "ogr2ogr (track) failed"
ogr2ogr -f GeoJSON "$work/well.geojson" "$work/walk.gpx" \
	-sql "SELECT name, 'gw_monitoring_well' AS kind, cmt AS depth_m, time AS surveyed_on FROM waypoints" \
	|| die "ogr2ogr (waypoint) failed"
expect_eq "the track is a MultiLineString" "$(jq -r '.features[0].geometry.type' "$work/track.geojson")" MultiLineString
ogrmerge.py -single -field_strategy Union -f GeoJSON -o "$work/walked.geojson" -nln drawing \
	"$work/map.geojson" "$work/track.geojson" "$work/well.geojson" || die "ogrmerge.py failed"
walked=$(import "$work/walked.geojson")
expect_eq "the walk adds a ditch and a well" "$(ops "$walked")" "add 2, same $elements"
expect_eq "as walked: a well with its depth a number and its day, a ditch of 3 points" \
	"$(q -d "$db" -c "SELECT string_agg(concat_ws(' ', f->'geometry'->>'type', f->'properties'->>'name',
	                                            jsonb_array_length(f->'geometry'->'coordinates'),
	                                            f->'properties'->'depth_m', f->'properties'->>'surveyed_on'), ';'
	                                  ORDER BY f->'properties'->>'kind')
	                    FROM tailings.submission, jsonb_array_elements(features->'features') f
	                   WHERE id = $walked AND f->'properties'->'id' = 'null'")" \
	"Point JC3 2 30 2025-03-01;LineString 西侧截洪沟 3 2025-03-01"

echo "# 4. a KML placemark, and the map through Shapefiles"
cat >"$work/points.kml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>现场</name><Folder><name>wells</name>
<Placemark><name>JC4</name><Point><coordinates>$(gpx_lon 0.001),$(gpx_lat -0.004),0</coordinates></Point></Placemark>
</Folder></Document></kml>
EOF
rm -f "$work/kml.geojson" "$work/with_kml.geojson"
ogr2ogr -f GeoJSON "$work/kml.geojson" "$work/points.kml" \
	-sql "SELECT Name AS name, 'gw_diffusion_well' AS kind, '25' AS depth_m FROM wells" || die "ogr2ogr (KML) failed"
expect_eq "the placemark has a height" "$(jq '.features[0].geometry.coordinates | length' "$work/kml.geojson")" 3
ogrmerge.py -single -field_strategy Union -f GeoJSON -o "$work/with_kml.geojson" -nln drawing \
	"$work/map.geojson" "$work/kml.geojson" || die "ogrmerge.py failed"
with_kml=$(import "$work/with_kml.geojson")
expect_eq "the placemark adds a well" "$(ops "$with_kml")" "add 1, same $elements"
expect_eq "as a 2D point" "$(q -d "$db" -c "SELECT f->'geometry'->>'type', jsonb_array_length(f->'geometry'->'coordinates')
	FROM tailings.submission, jsonb_array_elements(features->'features') f
	WHERE id = $with_kml AND f->'properties'->>'name' = 'JC4'")" "Point|2"
rm -rf "$work/shp" "$work/from_shp.geojson"
mkdir -p "$work/shp"
for t in POINT LINESTRING POLYGON; do
	ogr2ogr -f "ESRI Shapefile" -lco ENCODING=UTF-8 -where "OGR_GEOMETRY LIKE '%$t'" \
		"$work/shp/map_$t.shp" "$work/map.geojson" 2>/dev/null || die "ogr2ogr (Shapefile $t) failed"
done
expect_match "Shapefile field names are cut to 10 characters" "$(ogrinfo -so "$work/shp/map_POINT.shp" map_POINT)" 'surveyed_o: Date'
ogrmerge.py -single -field_strategy Union -f GeoJSON -o "$work/from_shp.geojson" -nln drawing "$work"/shp/*.shp \
	|| die "ogrmerge.py failed"
expect_eq "the map through Shapefiles imports unchanged" "$(ops "$(import "$work/from_shp.geojson")")" "same $elements"

# a drawing ogr2ogr left projected is refused, naming the feature
ogr2ogr -f GeoJSON -t_srs EPSG:3857 "$work/projected.geojson" "$work/track.geojson" 2>/dev/null
expect_match "a projected drawing is refused" "$(import "$work/projected.geojson" 2>&1)" "crs is not CGCS2000 or WGS 84"
jq 'del(.crs)' "$work/projected.geojson" >"$work/projected_nocrs.geojson"
expect_match "and without its crs, its feature is named" "$(import "$work/projected_nocrs.geojson" 2>&1)" \
	'features\[0\] \(interception_ditch .*\): coordinates lie outside China'

http_finish
