#!/usr/bin/env bash
# The pond's one-map sheet: GET /api/ponds/{id}/geojson (a valid FeatureCollection with every
# element of the pond once, its geometry type the kind's, its properties and the pond; ?lang=;
# 400/404) and GET /sheet/{id} (the print page; 400/404), their metrics labels; then the page in
# headless Chromium (tests/browser/sheet.test.mjs): printed to an A3 landscape PDF and checked
# with pdfinfo and pdftotext, and in the DOM (scale, scale bar, flow arrows, legend, tables).
# The screenshot and the PDF are left in tests/browser/screenshots/ (sheet.png, sheet.pdf).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
root=$(cd "$here/../.." && pwd)
db=sheet_db
shots=$root/tests/browser/screenshots

suite_begin "$db"
# a pond with nothing drawn yet
empty=$(q -d "$db" -c "INSERT INTO tailings.pond (code, name, enterprise, county_code, supervision_level, status, location)
	VALUES ('510421-T01', '测试空库', '测试企业', '510421', 3, 'in_use', ST_SetSRID(ST_MakePoint(101.9, 26.9), 4490))
	RETURNING id") || die "insert the empty pond"
suite_server sheet --www "$root/tileserver/www"
# the key pond, by name (tests/browser/lib.mjs's KEY_POND_NAME): a boundary, every category,
# directed and undirected lines
KEY=$(q -d "$db" -c "SELECT id FROM tailings.pond WHERE name = '干坝塘尾矿库'")
[ -n "$KEY" ] || die "no pond named 干坝塘尾矿库"

echo "# /api/ponds/{id}/geojson"
fetch /api/ponds/$KEY/geojson
expect_eq "GeoJSON of pond $KEY: 200" "$ST" 200
expect_eq "GeoJSON: Content-Type" "$(hdr Content-Type)" "application/geo+json; charset=utf-8"
check "GeoJSON: valid JSON" json_ok "$BODY"
cp "$BODY" "$HTTP_WORK/key.geojson"
expect_eq "GeoJSON: a FeatureCollection" "$(json_q "$BODY" 'd["type"]')" FeatureCollection
# every element of the pond once, in the database's own words: id, kind, geometry type, name
q -d "$db" -F $'\t' -c "SELECT e.id, e.kind, GeometryType(e.geom), array_to_string(tailings.geometry_types(e.kind), ','),
	coalesce(e.name, ''), e.source, e.accuracy_m, coalesce(e.verified_on::text, ''), tailings.label(e.kind, 'zh'),
	tailings.label(e.kind, 'en'), tailings.category(e.kind)
	FROM tailings.element e WHERE e.pond_id = $KEY ORDER BY e.id" >"$HTTP_WORK/key.tsv"
check "the key pond has elements" test -s "$HTTP_WORK/key.tsv"
out=$("$PY" - "$HTTP_WORK/key.geojson" "$HTTP_WORK/key.tsv" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[2], encoding="utf-8")]
bad = []
feats = d["features"]
ids = [f["id"] for f in feats]
if sorted(ids) != sorted(int(r[0]) for r in rows):
    bad.append(f"feature ids {sorted(ids)} are not the elements {[int(r[0]) for r in rows]}")
if len(set(ids)) != len(ids):
    bad.append("an element twice")
want = {"id", "kind", "label", "category", "name", "source", "accuracy_m", "surveyed_on", "verified_on", "verified", "attrs"}
by = {f["id"]: f for f in feats}
for r in rows:
    f = by.get(int(r[0]))
    if f is None:
        continue
    p, g = f["properties"], f["geometry"]
    if f.get("type") != "Feature" or not isinstance(g, dict) or not isinstance(p, dict):
        bad.append(f"{r[0]}: not a Feature with a geometry and properties"); continue
    if want - p.keys():
        bad.append(f"{r[0]}: properties lack {sorted(want - p.keys())}")
    if p["id"] != int(r[0]) or p["kind"] != r[1] or (p["name"] or "") != r[4] or p["source"] != r[5]:
        bad.append(f"{r[0]}: id/kind/name/source {p['id']}/{p['kind']}/{p['name']}/{p['source']} != {r[:2] + r[4:6]}")
    if g["type"].upper() != r[2] or r[2] not in r[3].split(","):
        bad.append(f"{r[0]} ({r[1]}): geometry {g['type']}, the database has {r[2]}, the kind takes {r[3]}")
    if p["verified"] != (r[7] != "") or (p["verified_on"] or "") != r[7]:
        bad.append(f"{r[0]}: verified {p['verified']} / {p['verified_on']} but verified_on is '{r[7]}'")
    if p["label"] != r[8] or p["category"] != r[10]:
        bad.append(f"{r[0]}: label/category {p['label']}/{p['category']} != {r[8]}/{r[10]}")
    if abs(float(p["accuracy_m"]) - float(r[6])) > 1e-6:
        bad.append(f"{r[0]}: accuracy {p['accuracy_m']} != {r[6]}")
    # coordinates: lon/lat pairs in the pond's part of the world
    def pairs(c):
        return [c] if isinstance(c[0], (int, float)) else [x for y in c for x in pairs(y)]
    if not all(100 < x < 103 and 25 < y < 28 and len(c) == 2 for c in pairs(g["coordinates"]) for x, y in [c]):
        bad.append(f"{r[0]}: coordinates are not lon/lat near Panzhihua")
    if "crs" in g:
        bad.append(f"{r[0]}: a crs member (RFC 7946 has none)")
print("\n".join(bad) or "ok")
EOF
)
expect_eq "GeoJSON: every element of the pond once, with its kind's geometry type and its properties" "$out" ok
pond=$(q -d "$db" -F '|' -c "SELECT id, code, name, county_code, supervision_level, status, round(ST_X(location)::numeric, 6), round(ST_Y(location)::numeric, 6) FROM tailings.pond WHERE id = $KEY")
expect_eq "GeoJSON: the pond object" \
	"$(json_q "$BODY" '"|".join(str(x) for x in [d["pond"]["id"], d["pond"]["code"], d["pond"]["name"], d["pond"]["county_code"], d["pond"]["level"], d["pond"]["status"], "%.6f" % d["pond"]["location"]["coordinates"][0], "%.6f" % d["pond"]["location"]["coordinates"][1]])')" "$pond"
point=$(q -d "$db" -F '|' -c "SELECT id, ST_X(geom), ST_Y(geom) FROM tailings.element WHERE pond_id = $KEY AND GeometryType(geom) = 'POINT' ORDER BY id LIMIT 1")
IFS='|' read -r pid px py <<<"$point"
expect_eq "GeoJSON: a point's coordinates are the element's (1e-7 degree)" \
	"$(json_q "$BODY" "[abs(f['geometry']['coordinates'][0] - $px) < 1e-7 and abs(f['geometry']['coordinates'][1] - $py) < 1e-7 for f in d['features'] if f['id'] == $pid]")" "[true]"
expect_eq "GeoJSON: updated_at is the pond's latest logged change" \
	"$(json_q "$BODY" 'd["updated_at"][:19]')" \
	"$(q -d "$db" -c "SELECT to_char(max(changed_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') FROM tailings.change_log WHERE pond_id = $KEY")"
fetch "/api/ponds/$KEY/geojson?lang=en"
expect_eq "GeoJSON ?lang=en: 200" "$ST" 200
expect_eq "GeoJSON ?lang=en: English labels" \
	"$(json_q "$BODY" '"|".join(f["properties"]["label"] for f in sorted(d["features"], key=lambda f: f["id"]))')" \
	"$(cut -f10 "$HTTP_WORK/key.tsv" | paste -sd'|')"
fetch "/api/ponds/$empty/geojson"
expect_eq "GeoJSON of a pond with nothing drawn: 200, no features" \
	"$ST $(json_q "$BODY" '[len(d["features"]), d["pond"]["name"]]')" "200 [0, \"测试空库\"]"
fetch /api/ponds/999999/geojson
expect_eq "GeoJSON of an unknown pond: 404" "$ST" 404
expect_eq "GeoJSON of an unknown pond: a JSON error" "$(json_q "$BODY" 'd["error"]')" "no such pond"
for p in /api/ponds/abc/geojson /api/ponds/-1/geojson /api/ponds/1x/geojson "/api/ponds/$KEY/geojson?lang=fr"; do
	fetch "$p"
	expect_eq "GET $p: 400 with a JSON error" "$ST $(json_q "$BODY" '"error" in d')" "400 true"
done
fetch /api/ponds/$KEY/geojson/more
expect_eq "below the GeoJSON: 404" "$ST" 404

echo "# /sheet/{id}"
fetch /sheet/$KEY
expect_eq "/sheet/$KEY: 200" "$ST" 200
expect_eq "/sheet/$KEY: HTML" "$(hdr Content-Type)" "text/html; charset=utf-8"
check "/sheet/$KEY: the sheet's page (its script)" grep -q 'src="/sheet.js"' "$BODY"
size=$(wc -c <"$BODY")
fetch -I /sheet/$KEY
expect_eq "HEAD /sheet/$KEY: 200 and the page's length" "$ST $(hdr Content-Length)" "200 $size"
fetch "/sheet/$KEY?lang=en"
expect_eq "/sheet/$KEY?lang=en: 200" "$ST" 200
fetch /sheet/999999
expect_eq "/sheet of an unknown pond: 404 with a JSON error" "$ST $(json_q "$BODY" 'd["error"]')" "404 no such pond"
for p in /sheet/abc /sheet/ /sheet/-3 /sheet/12345678901234567890 "/sheet/$KEY?lang=de"; do
	fetch "$p"
	expect_eq "GET $p: 400 with a JSON error" "$ST $(json_q "$BODY" '"error" in d')" "400 true"
done
fetch /sheet/$KEY/2
expect_eq "/sheet/$KEY/2: 404" "$ST" 404
for f in sheet.js:text/javascript sheet.css:text/css counties.js:text/javascript; do
	fetch "/${f%%:*}"
	expect_match "/${f%%:*}: 200 ${f#*:}" "$ST $(hdr Content-Type)" "^200 ${f#*:}"
done
fetch /sheet.css
check "the sheet prints A3 landscape" grep -q '@page { size: A3 landscape' "$BODY"
expect_eq "metrics: the GeoJSON's requests under endpoint=\"geojson\"" \
	"$(metric 'tailings_http_requests_total{endpoint="geojson",status="200"}')" 3
expect_eq "metrics: the sheet's 404 under endpoint=\"sheet\"" \
	"$(metric 'tailings_http_requests_total{endpoint="sheet",status="404"}')" 1

echo "# the sheet in a browser, printed to PDF"
if ! command -v pdfinfo >/dev/null; then
	not_ok "the browser test needs pdfinfo/pdftotext (poppler-utils): make test installs them"
else
	suite_browser sheet.test.mjs "$KEY" "$empty"
fi
suite_end
