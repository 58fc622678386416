#!/usr/bin/env bash
# The JSON of tailings-tileserver, against a private copy of the sample:
# TileJSON (its URLs from the Host sent), style.json, the sprites, glyph
# ranges' statuses, and the pond API (/api/ponds, /api/ponds/{id},
# completeness; 400 and 404).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
suite_begin http_api_db
T=/tiles/all/14/12824/6942.mvt     # pond 8, 龙佰丰源牛场坪尾矿库
suite_server api --pool 4 --server-name maps.example.org
log=$HTTP_OUT
# the tile that TileJSON's URL must serve
fetch_tile "tile $T" 200 "$T"
cp "$BODY" "$HTTP_WORK/t.mvt"

echo "# TileJSON, style, sprite, glyphs"
fetch -H 'Host: maps.example.org:8443' /tiles/all.json
expect_eq "TileJSON 200" "$ST" 200
expect_match "TileJSON Content-Type" "$(hdr Content-Type)" '^application/json'
check "TileJSON valid JSON" json_ok "$BODY"
expect_eq "TileJSON tiles URL from the Host sent" "$(json_q "$BODY" 'd["tiles"]')" \
	'["http://maps.example.org:8443/tiles/all/{z}/{x}/{y}.mvt"]'
expect_eq "TileJSON 3.0.0, zooms 0-22" "$(json_q "$BODY" '[d["tilejson"], d["minzoom"], d["maxzoom"]]')" '["3.0.0", 0, 22]'
expect_eq "TileJSON vector_layers" "$(json_q "$BODY" '",".join(l["id"] for l in d["vector_layers"])')" \
	ponds,site,dust,seepage,leachate,groundwater,stormwater,water_return,emergency,receptor
expect_eq "TileJSON every layer has fields" \
	"$(json_q "$BODY" 'all(isinstance(l["fields"], dict) and l["fields"] for l in d["vector_layers"])')" true
expect_eq "TileJSON bounds hold pond 8" \
	"$(json_q "$BODY" 'len(d["bounds"]) == 4 and d["bounds"][0] <= 101.792 <= d["bounds"][2] and d["bounds"][1] <= 26.468 <= d["bounds"][3]')" true
fetch -H 'Host: maps.example.org' -H 'X-Forwarded-Proto: https' /tiles/ponds,groundwater.json
expect_eq "TileJSON, two layers; X-Forwarded-Proto is not read (--public-url is)" \
	"$(json_q "$BODY" '[d["tiles"][0], len(d["vector_layers"])]')" \
	'["http://maps.example.org/tiles/ponds,groundwater/{z}/{x}/{y}.mvt", 2]'
fetch -H "Host: 127.0.0.1:$HTTP_PORT" /tiles/all.json
url=$(json_q "$BODY" 'd["tiles"][0]')
url=${url/\{z\}/14}; url=${url/\{x\}/12824}; url=${url/\{y\}/6942}
check "TileJSON's tile URL serves the tile" test "$(curl -s "$url" | md5sum)" = "$(md5sum <"$HTTP_WORK/t.mvt")"
fetch -H 'Host: evil"><x' /tiles/all.json
expect_eq "TileJSON with a hostile Host: 400, a JSON error" "$ST $(json_q "$BODY" 'd["status"]' 2>/dev/null)" "400 400"
fetch -H 'Host: maps.example.org' /style.json
expect_eq "style 200" "$ST" 200
expect_match "style Content-Type" "$(hdr Content-Type)" '^application/json'
expect_eq "style: MapLibre v8 with layers" "$(json_q "$BODY" '[d["version"], len(d["layers"]) > 0]')" '[8, true]'
expect_eq "style: URLs from the Host" \
	"$(json_q "$BODY" '[d["sprite"], d["glyphs"], d["sources"]["tailings"]["url"]]')" \
	'["http://maps.example.org/sprite", "http://maps.example.org/fonts/{fontstack}/{range}.pbf", "http://maps.example.org/tiles/all.json"]'
for s in "" @2x; do
	ratio=1
	[ -n "$s" ] && ratio=2
	fetch "/sprite$s.json"
	expect_eq "sprite$s.json" "$ST $(hdr Content-Type) $(json_q "$BODY" 'all(i["pixelRatio"] == '$ratio' for i in d.values())')" \
		"200 application/json true"
	dims=$(json_q "$BODY" 'max(i["x"] + i["width"] for i in d.values()), max(i["y"] + i["height"] for i in d.values())')
	fetch "/sprite$s.png"
	expect_eq "sprite$s.png" "$ST $(hdr Content-Type) $(head -c 8 "$BODY" | xxd -p)" "200 image/png 89504e470d0a1a0a"
	png=$("$PY" -c 'import struct, sys; b = open(sys.argv[1], "rb").read(); print(list(struct.unpack(">II", b[16:24])))' "$BODY")
	check "sprite$s.png ($png) holds every icon ($dims)" "$PY" -c "import sys; w, h = $png; x, y = ${dims//[\[\]]/}; sys.exit(not (w >= x and h >= y))"
done
# (tests/sh/http_glyphs.sh decodes the ranges)
fetch "/fonts/Open%20Sans%20Regular,Noto%20Sans%20CJK%20SC%20Regular/0-255.pbf"
expect_eq "glyphs: the stack's font that is here" "$ST $(hdr Content-Type) $(($(stat -c %s "$BODY") > 10000))" "200 application/x-protobuf 1"
fetch "/fonts/Noto%20Sans%20CJK%20SC%20Regular/65280-65535.pbf"
expect_eq "glyphs: the last range" "$ST" 200
expect_error "glyphs: an unknown fontstack" 404 "/fonts/Noto%20Sans%20Regular,Arial%20Unicode%20MS%20Regular/0-255.pbf"
expect_error "glyphs: not a whole range of 256" 400 /fonts/x/0-256.pbf
expect_error "glyphs: reversed range" 400 /fonts/x/255-0.pbf
expect_error "glyphs: not numbers" 400 /fonts/x/a-b.pbf
expect_error "glyphs: beyond 65535" 400 /fonts/x/0-65536.pbf

echo "# JSON API"
fetch /api/ponds
expect_eq "/api/ponds 200" "$ST $(hdr Content-Type)" "200 application/json; charset=utf-8"
expect_eq "/api/ponds: 40 ponds" "$(json_q "$BODY" 'len(d)')" 40
expect_eq "/api/ponds: fields" \
	"$(json_q "$BODY" 'all(all(k in p for k in ("id", "code", "name", "status", "level", "score")) for p in d)')" true
expect_eq "/api/ponds: unique ids" "$(json_q "$BODY" 'len(set(p["id"] for p in d))')" 40
expect_eq "/api/ponds: pond 8" "$(json_q "$BODY" '[p["name"] for p in d if p["id"] == 8][0]')" 龙佰丰源牛场坪尾矿库
fetch /api/ponds/
expect_eq "/api/ponds/ too" "$ST $(json_q "$BODY" 'len(d)')" "200 40"
fetch /api/ponds/8
expect_eq "/api/ponds/8 200" "$ST" 200
expect_eq "/api/ponds/8: the pond" "$(json_q "$BODY" '[d["id"], d["name"]]')" '[8, "龙佰丰源牛场坪尾矿库"]'
expect_eq "/api/ponds/8: elements by category, completeness, recent changes" \
	"$(json_q "$BODY" '[isinstance(d["elements"], dict) and "groundwater" in d["elements"], isinstance(d["completeness"], list) and len(d["completeness"]) > 0, isinstance(d["recent_changes"], list)]')" \
	'[true, true, true]'
expect_eq "/api/ponds/8: JC2 among its groundwater wells" \
	"$(json_q "$BODY" 'any("JC2" in (e["name"] or "") for e in d["elements"]["groundwater"])')" true
fetch /api/ponds/8/completeness
expect_eq "/api/ponds/8/completeness" "$ST $(json_q "$BODY" 'isinstance(d, list) and len(d) > 0 and all("rule" in r and "passed" in r for r in d)')" "200 true"
expect_error "unknown pond" 404 /api/ponds/99999
expect_error "pond 0" 404 /api/ponds/0
expect_error "unknown pond's completeness" 404 /api/ponds/99999/completeness
expect_error "non-numeric pond id" 400 /api/ponds/abc
expect_error "negative pond id" 400 /api/ponds/-8
expect_error "pond id too long" 400 /api/ponds/1234567890123456789012
expect_error "unknown pond sub-resource" 404 /api/ponds/8/nothing

suite_end
