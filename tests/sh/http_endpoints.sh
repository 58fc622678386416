#!/usr/bin/env bash
# tailings-tileserver over HTTP, against a private copy of the sample: the
# configuration (--help, invalid values, flags > env > file), every endpoint
# and status, content types, JSON, gzip, ETags and 304, CORS and OPTIONS, 405,
# 414, HEAD, TileJSON's Host, static files, cache invalidation by NOTIFY and
# `at` tiles kept, request coalescing, and the graceful shutdown.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/http.sh"
db=http_endpoints_db
locker=
trap 'http_cleanup; [ -n "$locker" ] && kill "$locker" 2>/dev/null' EXIT
trap 'exit 1' INT TERM HUP

dropdb --if-exists "$db" || die "dropdb"
createdb -T tailings_sample "$db" || die "createdb"
conninfo=$(http_conninfo "$db")
T=/tiles/all/14/12824/6942.mvt     # pond 8, 龙佰丰源牛场坪尾矿库

# ---------------------------------------------------------------------------
echo "# configuration"
out=$("$TAILINGS_TILESERVER" --help 2>"$HTTP_WORK/help.err")
rc=$?
expect_eq "--help exits 0" "$rc" 0
expect_match "--help prints a usage" "$out" '^usage: tailings-tileserver'
for f in db listen pool cache-mb www cors-origin statement-timeout-ms queue timeout-s max-age-s access-log config; do
	grep -q -- "--$f" <<<"$out" || not_ok "--help names --$f"
done
check "--help prints nothing on stderr" test ! -s "$HTTP_WORK/help.err"

bad_conf() {   # bad_conf DESC [VAR=VALUE...] -- ARGS...: exit 2 and one line on stderr
	local desc=$1 envs=() rc lines
	shift
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	env -i PATH="$PATH" ${envs[@]+"${envs[@]}"} timeout 10 "$TAILINGS_TILESERVER" "$@" \
		>"$HTTP_WORK/bad.out" 2>"$HTTP_WORK/bad.err"
	rc=$?
	lines=$(wc -l <"$HTTP_WORK/bad.err")
	if [ "$rc" = 2 ] && [ "$lines" = 1 ]; then
		ok "invalid: $desc -> exit 2: $(cat "$HTTP_WORK/bad.err")"
	else
		not_ok "invalid: $desc -> exit $rc, $lines lines on stderr: $(head -3 "$HTTP_WORK/bad.err")"
	fi
}
p=$(http_free_port)
ok_args=(--db "$conninfo" --listen "127.0.0.1:$p")
cf=$HTTP_WORK/bad.conf
bad_conf "--pool 0" -- "${ok_args[@]}" --pool 0
bad_conf "--pool abc" -- "${ok_args[@]}" --pool abc
bad_conf "--pool 257" -- "${ok_args[@]}" --pool 257
bad_conf "--pool=4x" -- "${ok_args[@]}" --pool=4x
bad_conf "--cache-mb -1" -- "${ok_args[@]}" --cache-mb -1
bad_conf "--listen nope" -- "${ok_args[@]}" --listen nope
bad_conf "--listen 127.0.0.1:70000" -- "${ok_args[@]}" --listen 127.0.0.1:70000
bad_conf "--access-log maybe" -- "${ok_args[@]}" --access-log maybe
bad_conf "--statement-timeout-ms 0" -- "${ok_args[@]}" --statement-timeout-ms 0
bad_conf "--queue x" -- "${ok_args[@]}" --queue x
bad_conf "--timeout-s 0" -- "${ok_args[@]}" --timeout-s 0
bad_conf "--max-age-s -5" -- "${ok_args[@]}" --max-age-s -5
bad_conf "--pool 99999999999999999999" -- "${ok_args[@]}" --pool 99999999999999999999
bad_conf "unknown option --bogus" -- "${ok_args[@]}" --bogus 1
bad_conf "--pool without a value" -- "${ok_args[@]}" --pool
bad_conf "a positional argument" -- "${ok_args[@]}" extra
bad_conf "TAILINGS_POOL=many" TAILINGS_POOL=many -- "${ok_args[@]}"
bad_conf "TAILINGS_ACCESS_LOG=yes" TAILINGS_ACCESS_LOG=yes -- "${ok_args[@]}"
bad_conf "TAILINGS_LISTEN=:0" TAILINGS_LISTEN=:0 -- --db "$conninfo"
printf 'pool = 0\n' >"$cf"
bad_conf "config file pool = 0" -- "${ok_args[@]}" --config "$cf"
printf '# comment\nnonsense = 1\n' >"$cf"
bad_conf "config file unknown key" -- "${ok_args[@]}" --config "$cf"
printf 'pool 4\n' >"$cf"
bad_conf "config file line without =" -- "${ok_args[@]}" --config "$cf"
bad_conf "TAILINGS_CONFIG=/nonexistent" TAILINGS_CONFIG=/nonexistent/x.conf -- "${ok_args[@]}"
bad_conf "--config /nonexistent" -- "${ok_args[@]}" --config /nonexistent/x.conf
bad_conf "no database" -- --listen "127.0.0.1:$p"
bad_conf "empty DATABASE_URL" DATABASE_URL= -- --listen "127.0.0.1:$p"

# precedence: flags > environment > config file > defaults, seen in the port
# listened on, the CORS origin, Cache-Control's max-age, /health's pool size
# and whether the access log is written
pf=$(http_free_port); pe=$(http_free_port); pg=$(http_free_port)
while [ "$pe" = "$pf" ]; do pe=$(http_free_port); done
while [ "$pg" = "$pf" ] || [ "$pg" = "$pe" ]; do pg=$(http_free_port); done
conf=$HTTP_WORK/server.conf
cat >"$conf" <<EOF
# tailings-tileserver test configuration
db = $conninfo
listen = 127.0.0.1:$pf
cors-origin = https://file.example   # a comment after the value
max-age-s = 11
pool = 2
access-log = off
EOF
sed 's/^db = .*/db = dbname=no_such_database_here host=\/nonexistent/' "$conf" >"$conf.baddb"
precedence() {   # precedence DESC PORT ORIGIN MAXAGE POOL LOG(on|off) [VAR=VALUE...] -- ARGS...
	local desc=$1 port=$2 origin=$3 maxage=$4 pool=$5 log=$6 envs=() code
	shift 6
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	env -i PATH="$PATH" ${envs[@]+"${envs[@]}"} "$TAILINGS_TILESERVER" "$@" \
		>"$HTTP_WORK/prec.out" 2>"$HTTP_WORK/prec.err" &
	HTTP_PID=$!
	HTTP_PIDS+=("$HTTP_PID")
	HTTP_URL=http://127.0.0.1:$port
	HTTP_ERR=$HTTP_WORK/prec.err
	if ! http_wait_health 15; then
		not_ok "$desc: no healthy server on port $port"
		http_stop
		return
	fi
	fetch /health
	expect_eq "$desc: pool size" "$(json_q "$BODY" 'd["database"]["pool"]')" "$pool"
	fetch /tiles/all/3/1/1.mvt
	expect_eq "$desc: CORS origin" "$(hdr Access-Control-Allow-Origin)" "$origin"
	expect_eq "$desc: Cache-Control of a current tile" "$(hdr Cache-Control)" "public, max-age=$maxage"
	fetch /index.html
	expect_eq "$desc: no --www: static files are 404" "$ST" 404
	for other in "$pf" "$pe" "$pg"; do
		[ "$other" = "$port" ] && continue
		if http_port_open "$other"; then not_ok "$desc: also listening on $other"; fi
	done
	http_stop
	expect_eq "$desc: SIGTERM exits 0" "$HTTP_RC" 0
	if [ "$log" = on ]; then
		check "$desc: access log written" grep -q '"GET /health"' "$HTTP_WORK/prec.out"
	else
		check "$desc: access log off" test ! -s "$HTTP_WORK/prec.out"
	fi
}
precedence "config file" "$pf" https://file.example 11 2 off -- --config "$conf"
precedence "env over file" "$pe" https://env.example 22 3 off \
	TAILINGS_CONFIG="$conf.baddb" DATABASE_URL="$conninfo" TAILINGS_LISTEN="127.0.0.1:$pe" \
	TAILINGS_CORS_ORIGIN=https://env.example TAILINGS_MAX_AGE_S=22 TAILINGS_POOL=3 --
precedence "flags over env" "$pg" https://flag.example 33 4 on \
	TAILINGS_CONFIG=/nonexistent/ignored.conf DATABASE_URL="dbname=no_such_database_here host=/nonexistent" \
	TAILINGS_LISTEN="127.0.0.1:$pe" TAILINGS_CORS_ORIGIN=https://env.example TAILINGS_MAX_AGE_S=22 \
	TAILINGS_POOL=3 TAILINGS_ACCESS_LOG=off -- \
	--config "$conf.baddb" --db "$conninfo" --listen "127.0.0.1:$pg" --cors-origin https://flag.example \
	--max-age-s 33 --pool 4 --access-log on

# ---------------------------------------------------------------------------
echo "# the server under test"
www=$HTTP_WORK/www
rm -rf "$www"
mkdir -p "$www/sub/dir"
printf '<!doctype html><title>Tailings One-Map</title>\n' >"$www/index.html"
printf 'console.log("app");\n' >"$www/app.js"
printf '<p>sub</p>\n' >"$www/sub/index.html"
printf 'secret\n' >"$www/.secret"
printf 'outside the www directory\n' >"$HTTP_WORK/outside.txt"
http_start main --db "$conninfo" --www "$www" --pool 4 --server-name maps.example.org
http_wait_health 15 || die "the server did not start"
log=$HTTP_OUT

expect_error() {   # expect_error DESC STATUS [CURL ARGS...] PATH: a JSON error with that status
	local desc=$1 want=$2
	shift 2
	fetch "$@"
	if [ "$ST" != "$want" ]; then
		not_ok "$desc: status $ST, want $want: $(snip "$BODY")"
	elif [ "$(hdr Content-Type)" != application/json ]; then
		not_ok "$desc: $ST but Content-Type '$(hdr Content-Type)'"
	elif [ "$(json_q "$BODY" 'd["status"] if isinstance(d.get("error"), str) and d["error"] else "bad"' 2>/dev/null)" != "$want" ]; then
		not_ok "$desc: $ST but body $(snip "$BODY")"
	else
		ok "$desc -> $ST $(snip "$BODY" 120)"
	fi
}

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

echo "# methods, CORS, limits"
for m in POST PUT DELETE PATCH; do
	for path in /health "$T" /api/ponds /index.html; do
		expect_error "$m $path" 405 -X "$m" "$path"
		expect_match "$m $path: Allow" "$(hdr Allow)" 'GET.*HEAD'
	done
done
expect_error "POST with a body" 405 -X POST --data-binary 'x=1' /api/ponds
fetch -X OPTIONS -H 'Origin: https://viewer.example' -H 'Access-Control-Request-Method: GET' \
	-H 'Access-Control-Request-Headers: If-None-Match' "$T"
expect_eq "OPTIONS: 204" "$ST" 204
expect_eq "OPTIONS: Allow-Origin" "$(hdr Access-Control-Allow-Origin)" '*'
expect_match "OPTIONS: Allow-Methods" "$(hdr Access-Control-Allow-Methods)" 'GET.*HEAD'
expect_match "OPTIONS: Allow-Headers" "$(hdr Access-Control-Allow-Headers)" 'If-None-Match'
check "OPTIONS: no body" test ! -s "$BODY"
fetch -X OPTIONS /no/such/thing
expect_eq "OPTIONS anywhere: 204" "$ST" 204
for n in 2049 3000 2100; do
	long=/$(head -c $((n - 1)) /dev/zero | tr '\0' a)
	expect_error "URI of $n bytes" 414 "$long"
done
long=/$(head -c 2047 /dev/zero | tr '\0' a)
expect_error "URI of 2048 bytes: not too long" 404 "$long"
long=/tiles/all/3/1/1.mvt?pad=$(head -c 3000 /dev/zero | tr '\0' a)
expect_error "query string making the URI long" 414 "$long"
HTTP_NO_CORS=1 fetch -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)" /health
expect_match "a 9 KB header: a 4xx" "$ST" '^4[0-9][0-9]$'
big=()
for i in $(seq 200); do big+=(-H "X-Header-$i: $(head -c 50 /dev/zero | tr '\0' b)"); done
HTTP_NO_CORS=1 fetch "${big[@]}" /health
expect_match "200 headers of 9+ KB: a 4xx" "$ST" '^4[0-9][0-9]$'
fetch /health
expect_eq "still healthy" "$ST" 200

echo "# HEAD"
head_same() {   # head_same PATH [HEADER]: HEAD has GET's status and headers, no body
	local path=$1 extra=${2:-} g h
	g=$HTTP_WORK/get.resp
	h=$HTTP_WORK/head.resp
	[ -n "$extra" ] && extra=$extra$'\r\n'
	printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sConnection: close\r\n\r\n' "$path" "$extra" | raw_http >"$g"
	printf 'HEAD %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sConnection: close\r\n\r\n' "$path" "$extra" | raw_http >"$h"
	"$PY" - "$g" "$h" "$path" <<'PY'
import sys
g, h, path = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read(), sys.argv[3]
def split(r):
    head, sep, body = r.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    return lines[0], [l for l in lines[1:] if not l.lower().startswith('date:')], body
gs, gh, gb = split(g)
hs, hh, hb = split(h)
problems = []
if gs != hs:
    problems.append('status %r vs %r' % (gs, hs))
if hb:
    problems.append('HEAD carries a body of %d bytes' % len(hb))
only_get = [l for l in gh if l not in hh and not l.lower().startswith('content-length:')]
only_head = [l for l in hh if l not in gh and not l.lower().startswith('content-length:')]
if only_get or only_head:
    problems.append('headers only in GET %s, only in HEAD %s' % (only_get, only_head))
cl = [l for l in gh if l.lower().startswith('content-length:')]
if cl and cl[0] not in hh:
    print('# note: HEAD %s lacks GET\'s %s' % (path, cl[0]))
if problems:
    print('not ok - HEAD %s: %s' % (path, '; '.join(problems)))
    sys.exit(1)
print('ok - HEAD %s: %s, same headers, no body' % (path, hs))
PY
}
for path in "$T" /tiles/all/3/1/1.mvt /tiles/all.json /style.json /sprite.png /api/ponds/8 /health \
	/index.html /no/such/file "/tiles/all/1/0/0.png" /api/ponds/99999; do
	if head_same "$path"; then HTTP_PASSES=$((HTTP_PASSES + 1)); else HTTP_FAILS=$((HTTP_FAILS + 1)); fi
done
if head_same "$T" "Accept-Encoding: gzip"; then HTTP_PASSES=$((HTTP_PASSES + 1)); else HTTP_FAILS=$((HTTP_FAILS + 1)); fi
# HEAD then GET on one kept-alive connection: the GET's answer is intact
printf 'HEAD %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$T" \
	| raw_http >"$HTTP_WORK/pipe.resp"
expect_eq "HEAD then GET on one connection: two answers, the second 200" \
	"$(grep -ac '^HTTP/1.1 ' "$HTTP_WORK/pipe.resp") $(grep -a '^HTTP/1.1 ' "$HTTP_WORK/pipe.resp" | tail -1 | tr -d '\r')" "2 HTTP/1.1 200 OK"

echo "# static files"
fetch /
expect_eq "/ serves index.html" "$ST $(hdr Content-Type)" "200 text/html; charset=utf-8"
check "/: the file's bytes" cmp -s "$BODY" "$www/index.html"
fetch /index.html
expect_eq "/index.html" "$ST" 200
setag=$(hdr ETag)
expect_match "/index.html: ETag" "$setag" '^"[^"]+"$'
fetch -H "If-None-Match: $setag" /index.html
expect_eq "/index.html with its ETag: 304" "$ST" 304
check "static 304: no body" test ! -s "$BODY"
fetch -H 'If-None-Match: "other"' /index.html
expect_eq "/index.html with another ETag: 200" "$ST" 200
fetch /app.js
expect_eq "/app.js" "$ST $(hdr Content-Type)" "200 text/javascript; charset=utf-8"
echo "# static files: a gzip-compressed copy beside the file"
gzip -9 -n -k -f "$www/app.js"
fetch -H 'Accept-Encoding: gzip' /app.js
expect_eq "gzip accepted: the .gz copy, as gzip, with the file's type" "$ST $(hdr Content-Encoding) $(hdr Content-Type)" \
	"200 gzip text/javascript; charset=utf-8"
check "... its bytes are the .gz copy" cmp -s "$BODY" "$www/app.js.gz"
expect_eq "... Vary: Accept-Encoding" "$(hdr Vary)" "Accept-Encoding"
gzetag=$(hdr ETag)
fetch /app.js
expect_eq "gzip not accepted: the file itself" "$ST $(hdr Content-Encoding)" "200 "
check "... its bytes" cmp -s "$BODY" "$www/app.js"
check "... another ETag" test "$(hdr ETag)" != "$gzetag"
fetch -H 'Accept-Encoding: gzip;q=0' /app.js
expect_eq "gzip;q=0: the file itself" "$ST $(hdr Content-Encoding)" "200 "
fetch -H 'Accept-Encoding: gzip' -H "If-None-Match: $gzetag" /app.js
expect_eq "the .gz copy's ETag: 304" "$ST" 304
touch -d '+1 minute' "$www/app.js"
fetch -H 'Accept-Encoding: gzip' /app.js
expect_eq "a .gz copy older than the file is not used" "$ST $(hdr Content-Encoding)" "200 "
rm -f "$www/app.js.gz"
touch "$www/app.js"
fetch /sub/
check "/sub/ serves sub/index.html" test "$ST" = 200 -a "$(cat "$BODY")" = "<p>sub</p>"
expect_error "a directory without /" 404 /sub
expect_error "an empty directory with /" 404 /sub/dir/
expect_error "a missing file" 404 /missing.html
expect_error "a hidden file" 404 /.secret
expect_error "../ out of www" 404 /../outside.txt
expect_error "../../ out of www" 404 /sub/../../outside.txt
for esc in /%2e%2e/outside.txt /%2E%2E/outside.txt /sub/%2e%2e/%2e%2e/outside.txt /..%2foutside.txt /.%2e/outside.txt \
	"/..\\outside.txt" /%2e%2e%5coutside.txt /%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd /../../../../etc/passwd; do
	fetch "$esc"
	if [ "$ST" = 200 ] || grep -q -e 'outside the www' -e 'root:' "$BODY"; then
		not_ok "escape $esc: $ST $(snip "$BODY" 100)"
	else
		ok "escape $esc: $ST"
	fi
done
expect_error "an encoded NUL" 400 /index.html%00.png
expect_error "an encoded NUL in a tile path" 400 /tiles/all/3/1/1%00.mvt

# ---------------------------------------------------------------------------
echo "# invalidation by NOTIFY; \`at\` tiles kept"
jc2() { "$TAILINGS_MVTCHECK" --geojson --tile 14/12824/6942 "$1" | grep 'JC2' | sed -E 's/.*"coordinates":\[([^]]*)\].*/\1/'; }
fetch_tile "before the edit" 200 "$T"
cp "$BODY" "$HTTP_WORK/before.mvt"
etag_before=$(hdr ETag)
fetch -H 'Accept-Encoding: gzip' "$T"
etag_gz_before=$(hdr ETag)
jc2_before=$(jc2 "$HTTP_WORK/before.mvt")
check "JC2 in the tile ($jc2_before)" test -n "$jc2_before"
read -r at_utc at_cst < <(q -d "$db" -F ' ' -c "SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), to_char(t AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+08:00\"') FROM (SELECT clock_timestamp() AS t) s")
sleep 0.2
fetch_tile "at=$at_utc before the edit" 200 "$T?at=$at_utc"
cp "$BODY" "$HTTP_WORK/at_before.mvt"
etag_at=$(hdr ETag)
expect_eq "at tile before the edit: JC2 where it is" "$(jc2 "$HTTP_WORK/at_before.mvt")" "$jc2_before"
notif0=$(metric tailings_notifications_total)
move_jc2 "$db"
t0=$(date +%s%N)
changed=
for _ in $(seq 40); do
	fetch "$T"
	if [ "$ST" = 200 ] && [ "$(hdr ETag)" != "$etag_before" ]; then
		changed=$((($(date +%s%N) - t0) / 1000000))
		break
	fi
	sleep 0.05
	[ $((($(date +%s%N) - t0) / 1000000)) -gt 1000 ] && break
done
if [ -n "$changed" ]; then ok "after the UPDATE, a new ETag within 1 s (${changed} ms)"; else not_ok "after the UPDATE, the same ETag for more than 1 s"; fi
mvt_ok "$BODY" || not_ok "the new tile is invalid"
cp "$BODY" "$HTTP_WORK/after.mvt"
check "the new tile equals tailings.tile() now" \
	test "$(q -d "$db" -c "SELECT md5(tailings.tile(14, 12824, 6942))")" = "$(md5sum <"$HTTP_WORK/after.mvt" | cut -d' ' -f1)"
jc2_after=$(jc2 "$HTTP_WORK/after.mvt")
check "JC2 moved 0.0005° east ($jc2_before -> $jc2_after)" "$PY" -c "
import sys
b = [float(v) for v in '$jc2_before'.split(',')]; a = [float(v) for v in '${jc2_after:-0,0}'.split(',')]
sys.exit(not (abs(a[0] - b[0] - 0.0005) < 2e-5 and abs(a[1] - b[1]) < 2e-5))"
fetch -H 'Accept-Encoding: gzip' "$T"
check "the gzip ETag changed too" test "$ST" = 200 -a "$(hdr ETag)" != "$etag_gz_before"
check "a notification counted ($notif0 -> $(metric tailings_notifications_total))" \
	test "$(metric tailings_notifications_total)" -gt "$notif0"
fetch_tile "at=$at_utc after the edit" 200 "$T?at=$at_utc"
expect_eq "at tile after the edit: same ETag" "$(hdr ETag)" "$etag_at"
check "at tile after the edit: same bytes" cmp -s "$BODY" "$HTTP_WORK/at_before.mvt"
check "access log: the at tile was a cache hit" \
	test "$(grep -F "\"GET $T?at=$at_utc\" " "$log" | tail -1 | grep -oE '(hit|miss|coalesced)$')" = hit
fetch_tile "the same instant as +08:00 (not cached)" 200 "$T?at=$at_cst"
expect_eq "the at tile made after the edit: JC2 where it was" "$(jc2 "$BODY")" "$jc2_before"
check "the at tile made after the edit: same bytes as before" cmp -s "$BODY" "$HTTP_WORK/at_before.mvt"
# a pond edit reaches the ponds layer of a tile around the pond (score, name)
fetch_tile "ponds layer" 200 /tiles/ponds/14/12824/6942.mvt
e_ponds=$(hdr ETag)
q -d "$db" -c "UPDATE tailings.pond SET name = name || '（改）' WHERE id = 8"
wait_new_etag /tiles/ponds/14/12824/6942.mvt "$e_ponds" 20 0.05; changed=$?
# (the name twice: on the boundary and on its anchor point, which carries the label)
check "a pond edit: new ponds tile with the new name" \
	test "$changed" = 0 -a "$("$TAILINGS_MVTCHECK" "$BODY" | grep -c '（改）')" = 2

# ---------------------------------------------------------------------------
echo "# coalescing"
C=/tiles/all/13/6412/3471.mvt
coproc LOCKER { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" 2>&1; }
locker=$LOCKER_PID
echo "BEGIN; LOCK TABLE tailings.element IN ACCESS EXCLUSIVE MODE; SELECT 'locked';" >&"${LOCKER[1]}"
read -r -t 10 line <&"${LOCKER[0]}"
expect_eq "the element table locked" "$line" locked
q0=$(metric tailings_db_queries_total)
c0=$(metric tailings_tile_coalesced_total)
"$PY" "$HTTP_CLIENT" burst "$HTTP_PORT" 20 "$C" >"$HTTP_WORK/burst.txt" &
burst_pid=$!
for _ in $(seq 100); do
	[ "$(metric tailings_tile_coalesced_total)" -ge $((c0 + 19)) ] && break
	sleep 0.05
done
expect_eq "20 requests waiting for one tile: 19 coalesced" "$(($(metric tailings_tile_coalesced_total) - c0))" 19
echo "COMMIT; SELECT 'unlocked';" >&"${LOCKER[1]}"
read -r -t 10 line <&"${LOCKER[0]}"
echo '\q' >&"${LOCKER[1]}"
wait "$burst_pid"
wait "$locker" 2>/dev/null
locker=
expect_eq "20 answers, all 200, identical" \
	"$(wc -l <"$HTTP_WORK/burst.txt") $(cut -d' ' -f1 "$HTTP_WORK/burst.txt" | sort -u) $(cut -d' ' -f2- "$HTTP_WORK/burst.txt" | sort -u | wc -l)" "20 200 1"
expect_eq "one database query for the 20" "$(($(metric tailings_db_queries_total) - q0))" 1
expect_eq "access log: 1 miss, 19 coalesced" \
	"$(grep -F "\"GET $C\" " "$log" | grep -oE '(miss|hit|coalesced)$' | sort | uniq -c | tr -s ' ' | tr '\n' ,)" " 19 coalesced, 1 miss,"
fetch_tile "the coalesced tile, from the cache" 200 "$C"
expect_eq "the coalesced tile: the bytes all 20 got" "$(md5sum <"$BODY" | cut -d' ' -f1)" "$(cut -d' ' -f2 "$HTTP_WORK/burst.txt" | head -1)"

echo "# metrics"
fetch /metrics
expect_eq "/metrics 200" "$ST $(hdr Content-Type)" "200 text/plain; version=0.0.4"
cp "$BODY" "$HTTP_WORK/metrics.txt"
for m in 'tailings_http_requests_total{endpoint="tile",status="200"}' 'tailings_http_requests_total{endpoint="tile",status="204"}' \
	'tailings_http_requests_total{endpoint="tile",status="304"}' 'tailings_http_requests_total{endpoint="tile",status="400"}' \
	'tailings_http_requests_total{endpoint="other",status="405"}' 'tailings_http_requests_total{endpoint="other",status="414"}' \
	'tailings_http_requests_total{endpoint="static",status="404"}' 'tailings_http_requests_total{endpoint="pond",status="404"}' \
	tailings_tile_seconds_count tailings_cache_hits_total tailings_cache_misses_total tailings_cache_bytes \
	tailings_notifications_total tailings_db_pool_connections; do
	v=$(awk -v n="$m" '$1 == n { print $2 }' "$HTTP_WORK/metrics.txt")
	check "metric $m = ${v:-absent} > 0" test "${v:-0}" -gt 0
done
for m in tailings_cache_evictions_total tailings_db_reconnects_total tailings_db_pool_busy tailings_db_pool_idle; do
	check "metric $m present" grep -q "^$m " "$HTTP_WORK/metrics.txt"
done
expect_eq "metrics: the pool size" "$(awk '$1 == "tailings_db_pool_connections" { print $2 }' "$HTTP_WORK/metrics.txt")" 4
check "metrics: every line a comment or NAME{LABELS} VALUE" \
	test -z "$(grep -vE '^(# (HELP|TYPE) .*|[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+)$' "$HTTP_WORK/metrics.txt")"
check "metrics: histogram buckets grow, +Inf = count" "$PY" - "$HTTP_WORK/metrics.txt" <<'PY'
import sys
b, count = [], None
for line in open(sys.argv[1]):
    if line.startswith('tailings_tile_seconds_bucket'):
        b.append(float(line.split()[1]))
    elif line.startswith('tailings_tile_seconds_count'):
        count = float(line.split()[1])
sys.exit(not (b and all(x <= y for x, y in zip(b, b[1:])) and b[-1] == count))
PY
fetch /health
expect_eq "health: the cache holds entries" "$(json_q "$BODY" 'd["cache"]["entries"] > 0')" true

# ---------------------------------------------------------------------------
echo "# graceful shutdown"
S=/tiles/all/12/3206/1735.mvt
coproc LOCKER { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" 2>&1; }
locker=$LOCKER_PID
echo "BEGIN; LOCK TABLE tailings.element IN ACCESS EXCLUSIVE MODE; SELECT 'locked';" >&"${LOCKER[1]}"
read -r -t 10 line <&"${LOCKER[0]}"
curl -s -o "$HTTP_WORK/inflight.mvt" -w '%{http_code}' --max-time 20 "$HTTP_URL$S" >"$HTTP_WORK/inflight.status" &
curl_pid=$!
for _ in $(seq 100); do
	[ "$(metric tailings_db_pool_busy)" -ge 1 ] && break
	sleep 0.05
done
expect_eq "a tile request in flight" "$(metric tailings_db_pool_busy)" 1
pid=$HTTP_PID
kill -TERM "$pid"
sleep 0.5
check "after SIGTERM: still running while a request is in flight" kill -0 "$pid"
check "after SIGTERM: no longer accepting connections" eval '! http_port_open "$HTTP_PORT"'
echo "COMMIT; SELECT 'unlocked';" >&"${LOCKER[1]}"
read -r -t 10 line <&"${LOCKER[0]}"
echo '\q' >&"${LOCKER[1]}"
wait "$locker" 2>/dev/null
locker=
wait "$curl_pid"
expect_eq "the request in flight answered 200" "$(cat "$HTTP_WORK/inflight.status")" 200
check "the request in flight: a valid tile" mvt_ok "$HTTP_WORK/inflight.mvt"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
check "the server exited by itself once the request was answered" eval '! kill -0 "$pid" 2>/dev/null'
http_stop 10
expect_eq "SIGTERM: exit status 0" "$HTTP_RC" 0
check "the port is closed" eval '! http_port_open "$HTTP_PORT"'
check "stderr: no tile errors" eval '! grep -qiE "^tile |error" "$HTTP_ERR"'
echo "# tiles validated as MVT: $HTTP_TILES_VALIDATED"
dropdb --if-exists "$db"
http_finish
