#!/usr/bin/env bash
# QGIS and GDAL read what the server publishes (issue 10, defect 10):
#  - /style.json is a valid MapLibre style (the style spec's validator, when the viewer's
#    node_modules are there);
#  - QGIS 3.22's QgsMapBoxGlStyleConverter converts it without a warning for the pond and
#    element layers, and a QgsVectorTileLayer of the server's tiles drawn with the converted
#    renderer shows a pond's status fill and its completeness band's outline
#    (tests/qgis/style.py; images in tests/qgis/out/ for a person to look at);
#  - GDAL's MVT driver, given the TileJSON as its metadata, types the tile fields:
#    level, score, pond_id numbers, verified boolean.
# Skips (with a message, and passes) when python3-qgis or gdal-bin is not installed:
# scripts/deps.sh test installs both.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/../lib/http.sh"
trap 'http_cleanup' EXIT
trap 'exit 1' INT TERM HUP

out=$root/tests/qgis/out
mkdir -p "$out"
http_start qgis --db "$(http_conninfo tailings_sample)" --access-log off
http_wait_health || die "server did not start"

echo "# the style"
fetch /style.json
expect_eq "style.json 200" "$ST" 200
cp "$BODY" "$out/style.json"
validate=$root/tileserver/node_modules/@maplibre/maplibre-gl-style-spec/dist/gl-style-validate.mjs
if command -v node >/dev/null && [ -f "$validate" ]; then
	if msgs=$(node "$validate" "$out/style.json" 2>&1) && [ -z "$msgs" ]; then
		ok "style.json passes the MapLibre style spec's validator"
	else
		not_ok "style.json fails the MapLibre style spec's validator: $msgs"
	fi
else
	echo "# SKIP the style spec validator: no node or no tileserver/node_modules (run make)"
fi

echo "# QGIS"
if QT_QPA_PLATFORM=offscreen /usr/bin/python3 -c 'import qgis.core' 2>/dev/null; then
	# key ponds: 烂坝山 (in use, complete) and 丙谷 (in use, severe gaps)
	fetch /api/ponds
	ids=$(json_q "$BODY" '" ".join(str(p["id"]) for p in d if "烂坝山" in p["name"] or "丙谷" in p["name"])')
	expect_eq "the key ponds 烂坝山 and 丙谷 are in the sample" "$(wc -w <<<"$ids")" 2
	if QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=$HTTP_WORK /usr/bin/python3 "$root/tests/qgis/style.py" \
		"$HTTP_URL" "$out" $ids >"$HTTP_WORK/qgis.log" 2>"$HTTP_WORK/qgis.err"; then
		ok "QGIS converts and draws the style ($(grep -c '^ok' "$HTTP_WORK/qgis.log") checks)"
	else
		not_ok "QGIS converts and draws the style: $(grep -c '^not ok' "$HTTP_WORK/qgis.log") checks failed"
	fi
	sed 's/^/    /' "$HTTP_WORK/qgis.log"
	grep -v -e XDG_RUNTIME_DIR -e '^$' "$HTTP_WORK/qgis.err" | head -20
else
	echo "# SKIP QGIS: python3-qgis is not installed (apt-get install python3-qgis; scripts/deps.sh test)"
fi

echo "# GDAL"
if command -v ogrinfo >/dev/null; then
	# pond 8's tile: ponds and elements; the TileJSON as the MVT driver's metadata
	info=$(ogrinfo -ro -so -oo "METADATA_FILE=/vsicurl/$HTTP_URL/tiles/all.json" \
		"MVT:/vsicurl/$HTTP_URL/tiles/all/14/12824/6942.mvt" ponds groundwater 2>&1)
	echo "$info" | grep -E '^(Layer name|[a-z_]+): ' | sed 's/^/    /'
	field() {   # field LAYER NAME: the type GDAL gives it
		awk -v l="$1" -v f="$2" '/^Layer name: / { in_l = ($3 == l) } in_l && $1 == f ":" { print $2; exit }' <<<"$info"
	}
	expect_match "GDAL: ponds.level is a number" "$(field ponds level)" '^(Integer|Integer64|Real)$'
	expect_match "GDAL: ponds.score is a number" "$(field ponds score)" '^(Integer|Integer64|Real)$'
	expect_match "GDAL: ponds.failed is a number" "$(field ponds failed)" '^(Integer|Integer64|Real)$'
	expect_match "GDAL: ponds.anchor is a boolean" "$(field ponds anchor)" '^Integer\(Boolean\)$'
	expect_match "GDAL: groundwater.pond_id is a number" "$(field groundwater pond_id)" '^(Integer|Integer64|Real)$'
	expect_match "GDAL: groundwater.verified is a boolean" "$(field groundwater verified)" '^Integer\(Boolean\)$'
	expect_eq "GDAL: groundwater.kind is a string" "$(field groundwater kind)" String
else
	echo "# SKIP GDAL: gdal-bin is not installed (apt-get install gdal-bin; scripts/deps.sh test)"
fi

echo "# TileJSON fields are exactly Number, String or Boolean; words go to the description"
fetch /tiles/all.json
expect_eq "every field type is Number, String or Boolean" \
	"$(json_q "$BODY" 'sorted({t for l in d["vector_layers"] for t in l["fields"].values()})')" \
	'["Boolean", "Number", "String"]'
expect_eq "the ponds layer's fields" \
	"$(json_q "$BODY" 'sorted(next(l for l in d["vector_layers"] if l["id"] == "ponds")["fields"].items())')" \
	'[["anchor", "Boolean"], ["code", "String"], ["county_code", "String"], ["enterprise", "String"], ["failed", "Number"], ["gw_flow_azimuth", "Number"], ["level", "Number"], ["name", "String"], ["pond_id", "Number"], ["score", "Number"], ["status", "String"]]'
expect_eq "each layer describes its fields" \
	"$(json_q "$BODY" 'all("verified" in l["description"] or l["id"] == "ponds" for l in d["vector_layers"]) and "supervision level" in d["vector_layers"][0]["description"]')" true
http_finish
