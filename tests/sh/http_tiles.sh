#!/usr/bin/env bash
# Tiles over HTTP, against a private copy of the sample: /health, every layer
# and layer list, the world and empty tiles, `at` tiles' Cache-Control,
# malformed tile paths (400) and unknown layers (404); gzip, ETags and 304, and
# the gzip of the JSON made per request.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
suite_begin http_tiles_db
T=/tiles/all/14/12824/6942.mvt     # pond 8, 龙佰丰源牛场坪尾矿库
suite_server tiles --pool 4 --server-name maps.example.org
log=$HTTP_OUT

echo "# health and metrics"
fetch /health
expect_eq "/health 200" "$ST" 200
expect_eq "/health Content-Type" "$(hdr Content-Type)" application/json
expect_eq "/health says ok, database up" "$(json_q "$BODY" '[d["status"], d["database"]["up"]]')" '["ok", true]'

echo "# tiles"
fetch_tile "tile $T" 200 "$T"
cp "$BODY" "$HTTP_WORK/t.mvt"
etag_id=$(hdr ETag)
expect_eq "tile: Cache-Control of a current tile" "$(hdr Cache-Control)" no-cache
expect_eq "tile: Vary" "$(hdr Vary)" Accept-Encoding
expect_match "tile: a strong ETag" "$etag_id" '^"[^"]+"$'
check "tile: no Content-Encoding without Accept-Encoding" test -z "$(hdr Content-Encoding)"
check "tile: about 3 KB" test "$(stat -c %s "$HTTP_WORK/t.mvt")" -gt 1000
"$TAILINGS_MVTCHECK" "$HTTP_WORK/t.mvt" >"$HTTP_WORK/t.txt"
expect_eq "tile: every layer present" "$(grep -c '^layer' "$HTTP_WORK/t.txt")" 10
check "tile: pond 8's boundary" grep -q 'id=8 POLYGON' "$HTTP_WORK/t.txt"
check "tile: same tile as tailings.tile()" \
	test "$(q -d "$db" -c "SELECT md5(tailings.tile(14, 12824, 6942))")" = "$(md5sum <"$HTTP_WORK/t.mvt" | cut -d' ' -f1)"
fetch_tile "tile again" 200 "$T"
check "tile again: same bytes" cmp -s "$BODY" "$HTTP_WORK/t.mvt"
expect_eq "tile again: same ETag" "$(hdr ETag)" "$etag_id"
check "access log: miss, then hit" \
	test "$(grep -F "\"GET $T\" " "$log" | grep -oE ' (miss|hit|coalesced)$' | tr -d ' ' | tr '\n' ,)" = "miss,hit,"
fetch_tile "tile as .pbf" 200 "${T%.mvt}.pbf"
check ".pbf: same bytes as .mvt" cmp -s "$BODY" "$HTTP_WORK/t.mvt"
fetch_tile "ponds,groundwater" 200 /tiles/ponds,groundwater/14/12824/6942.mvt
expect_eq "ponds,groundwater: two layers" \
	"$("$TAILINGS_MVTCHECK" "$BODY" | grep '^layer' | cut -d: -f1 | tr '\n' ' ')" "layer ponds layer groundwater "
for l in ponds site dust seepage leachate groundwater stormwater water_return emergency receptor; do
	fetch_tile "layer $l" 200 "/tiles/$l/14/12824/6942.mvt" || continue
	expect_eq "layer $l: only it" "$("$TAILINGS_MVTCHECK" "$BODY" | grep '^layer' | cut -d: -f1)" "layer $l"
done
fetch_tile "world tile 0/0/0" 200 /tiles/all/0/0/0.mvt
expect_eq "0/0/0: 40 pond points" "$("$TAILINGS_MVTCHECK" "$BODY" | grep -c ' POINT ')" 40
fetch_tile "empty tile 3/1/1" 204 /tiles/all/3/1/1.mvt
check "empty tile: no body" test ! -s "$BODY"
expect_match "empty tile: an ETag" "$(hdr ETag)" '^"[^"]+"$'
fetch_tile "empty tile at z22" 204 /tiles/all/22/4194303/4194303.mvt
fetch_tile "empty tile with a query string" 204 "/tiles/all/3/1/1.mvt?foo=bar&x"
for at in 2025-03-01 2025-03-01T08:00:00Z 2025-03-01T08:00:00%2B08:00 2025-03-01T08:00:00+08:00 \
	2025-03-01T08:00:00.123456-05:30 2025-03-01T08:00Z; do
	fetch "$T?at=$at"
	if [ "$ST" = 200 ] || [ "$ST" = 204 ]; then
		[ "$ST" = 200 ] && { mvt_ok "$BODY" || not_ok "at=$at: invalid tile"; }
		expect_eq "at=$at ($ST): Cache-Control" "$(hdr Cache-Control)" "public, max-age=31536000, immutable"
	else
		not_ok "at=$at: status $ST $(snip "$BODY")"
	fi
done
for bad in /tiles/all/x/0/0.mvt /tiles/all/1/x/0.mvt /tiles/all/1/0/x.mvt /tiles/all/1/0/0.png \
	/tiles/all/1/0/0 /tiles/all/1/0.mvt /tiles/all/1.mvt /tiles/all//0/0.mvt /tiles/all/1//0.mvt \
	/tiles/all/1/0/.mvt /tiles/all/1/0/0.mvt.mvt /tiles/all/1/0/0.mvtx /tiles/all/23/0/0.mvt \
	/tiles/all/1/2/0.mvt /tiles/all/1/0/2.mvt /tiles/all/14/16384/0.mvt /tiles/all/-1/0/0.mvt \
	/tiles/all/1/-1/0.mvt /tiles/all/99999999999/0/0.mvt /tiles/all/1/99999999999999999999/0.mvt \
	/tiles/all/+1/0/0.mvt /tiles/all/1.0/0/0.mvt \
	"/tiles/all/3/1/1.mvt?at=yesterday" "/tiles/all/3/1/1.mvt?at=2025-13-45" \
	"/tiles/all/3/1/1.mvt?at=2025-03-01T25:00:00Z" "/tiles/all/3/1/1.mvt?at=2025-03-01T08:00:00X" \
	"/tiles/all/3/1/1.mvt?at=" "/tiles/all/3/1/1.mvt?at=2025-03-01T08:00:00%2B0800%2B" \
	"/tiles/all/3/1/1.mvt?at=$(printf '2025-03-01T08:00:00.%040d' 0)"; do
	expect_error "malformed tile $bad" 400 "$bad"
done
expect_error "unknown layer" 404 /tiles/bogus/1/0/0.mvt
expect_error "unknown layer in a list" 404 /tiles/ponds,bogus/14/12824/6942.mvt
expect_error "empty layer name" 404 /tiles/ponds,/14/12824/6942.mvt
expect_error "unknown layer with a long Chinese name (UTF-8 JSON)" 404 "/tiles/尾矿库尾矿库尾矿库尾矿库尾矿/0/0/0.mvt"
expect_error "unknown layer %ff (UTF-8 JSON)" 404 "/tiles/%ff/0/0/0.mvt"
expect_error "/tiles/" 404 /tiles/
expect_error "unknown layer TileJSON" 404 /tiles/bogus.json

echo "# gzip, ETags, 304"
fetch -H 'Accept-Encoding: gzip' "$T"
expect_eq "gzip: 200" "$ST" 200
expect_eq "gzip: Content-Encoding" "$(hdr Content-Encoding)" gzip
expect_eq "gzip: Vary" "$(hdr Vary)" Accept-Encoding
etag_gz=$(hdr ETag)
expect_match "gzip: a strong ETag" "$etag_gz" '^"[^"]+"$'
check "gzip: ETag differs from identity's" test "$etag_gz" != "$etag_id"
check "gzip: smaller than identity" test "$(stat -c %s "$BODY")" -lt "$(stat -c %s "$HTTP_WORK/t.mvt")"
gzip -dc <"$BODY" >"$HTTP_WORK/t.gunzip" 2>/dev/null
check "gzip: decompresses to the identity bytes" cmp -s "$HTTP_WORK/t.gunzip" "$HTTP_WORK/t.mvt"
check "gzip: a valid tile" mvt_ok "$BODY" gzip
fetch --compressed "$T"
check "curl --compressed: same bytes as identity" cmp -s "$BODY" "$HTTP_WORK/t.mvt"
fetch -H 'Accept-Encoding: deflate, gzip;q=0' "$T"
check "gzip;q=0: identity" test -z "$(hdr Content-Encoding)" -a "$(hdr ETag)" = "$etag_id"
fetch -H 'Accept-Encoding: br, gzip;q=0.5' "$T"
expect_eq "gzip;q=0.5: gzip" "$(hdr Content-Encoding)" gzip
fetch -H "If-None-Match: $etag_id" "$T"
expect_eq "If-None-Match identity ETag: 304" "$ST" 304
check "304: no body" test ! -s "$BODY"
expect_eq "304: the ETag" "$(hdr ETag)" "$etag_id"
expect_eq "304: Cache-Control" "$(hdr Cache-Control)" no-cache
fetch -H "If-None-Match: $etag_gz" -H 'Accept-Encoding: gzip' "$T"
expect_eq "If-None-Match gzip ETag with gzip: 304" "$ST" 304
fetch -H "If-None-Match: $etag_id" -H 'Accept-Encoding: gzip' "$T"
expect_eq "If-None-Match identity ETag, gzip accepted: 200 gzip" "$ST/$(hdr Content-Encoding)" 200/gzip
fetch -H "If-None-Match: $etag_gz" "$T"
expect_eq "If-None-Match gzip ETag without gzip: 200" "$ST" 200
fetch -H "If-None-Match: \"nope\", $etag_id" "$T"
expect_eq "If-None-Match list: 304" "$ST" 304
fetch -H 'If-None-Match: *' "$T"
expect_eq "If-None-Match *: 304" "$ST" 304
fetch -H 'If-None-Match: "0000"' "$T"
expect_eq "If-None-Match other: 200" "$ST" 200
fetch -I -H "If-None-Match: $etag_id" "$T"
expect_eq "HEAD with If-None-Match: 304" "$ST" 304
fetch /tiles/all/3/1/1.mvt
e204=$(hdr ETag)
fetch -H "If-None-Match: $e204" /tiles/all/3/1/1.mvt
expect_eq "empty tile with its ETag: 304" "$ST" 304
# JSON made per request (the style, the API) is gzipped for clients that accept it
for path in /style.json /api/ponds "/api/ponds/8?lang=en" /api/ponds/8/geojson; do
	fetch "$path"
	cp "$BODY" "$HTTP_WORK/json.plain"
	check "$path: plain without Accept-Encoding" test -z "$(hdr Content-Encoding)" -a "$(hdr Vary)" = Accept-Encoding
	fetch -H 'Accept-Encoding: gzip' "$path"
	expect_eq "$path with gzip accepted: gzip" "$(hdr Content-Encoding)/$(hdr Vary)" gzip/Accept-Encoding
	gzip -dc <"$BODY" >"$HTTP_WORK/json.gunzip" 2>/dev/null
	check "$path: decompresses to the plain JSON, at a quarter of its size or less" \
		test "$(stat -c %s "$BODY")" -le $(($(stat -c %s "$HTTP_WORK/json.plain") / 4)) -a -s "$HTTP_WORK/json.plain"
	check "$path: ... the same JSON" cmp -s "$HTTP_WORK/json.gunzip" "$HTTP_WORK/json.plain"
	gz_len=$(stat -c %s "$BODY")
	fetch -I -H 'Accept-Encoding: gzip' "$path"
	expect_eq "HEAD $path: the gzip body's length" "$(hdr Content-Length)/$(hdr Content-Encoding)" "$gz_len/gzip"
done
fetch -H 'Accept-Encoding: gzip' /api/ponds/999999
check "an error stays plain" test "$ST" = 404 -a -z "$(hdr Content-Encoding)"

suite_end
