#!/usr/bin/env bash
# Base maps (issue 10, defect 5, the server's half): --basemap URL (repeatable: XYZ raster
# templates, '|'-joined ones drawn as one, or a MapLibre style URL), --basemap-name and
# --basemap-attribution (of the base map given just before), the same in the config file and
# the environment; invalid values stop the server with one line.  style.json draws raster base
# maps right above the background and under everything else (the first visible), lists every
# base map in metadata["tailings:basemaps"], and its tile URLs fetch real tiles from an XYZ
# server this test runs (python3 -m http.server on PNG tiles it writes).  Without --basemap
# the style names no base map.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/../lib/http.sh"
xyz_pid=
trap '[ -n "$xyz_pid" ] && kill "$xyz_pid" 2>/dev/null; http_cleanup' EXIT
trap 'exit 1' INT TERM HUP
conninfo=$(http_conninfo tailings_sample)

# ---------------------------------------------------------------------------
echo "# invalid values: exit 2 with one line"
bad_conf() {   # bad_conf DESC WANT_ERE [VAR=VALUE...] -- ARGS...
	local desc=$1 want=$2 envs=() rc lines
	shift 2
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	env -i PATH="$PATH" ${envs[@]+"${envs[@]}"} timeout 10 "$TAILINGS_TILESERVER" --db "$conninfo" \
		--listen "127.0.0.1:$(http_free_port)" "$@" >"$HTTP_WORK/bad.out" 2>"$HTTP_WORK/bad.err"
	rc=$?
	lines=$(wc -l <"$HTTP_WORK/bad.err")
	if [ "$rc" = 2 ] && [ "$lines" = 1 ] && grep -qE -- "$want" "$HTTP_WORK/bad.err"; then
		ok "invalid: $desc -> exit 2: $(cat "$HTTP_WORK/bad.err")"
	else
		not_ok "invalid: $desc -> exit $rc, $lines lines: $(head -3 "$HTTP_WORK/bad.err") (want /$want/)"
	fi
}
T='{z}/{x}/{y}.png'
bad_conf "not http" 'http:// or https://' -- --basemap "ftp://tiles.example/$T"
bad_conf "no {y}" 'needs \{z\}, \{x\} and \{y\}' -- --basemap 'https://tiles.example/{z}/{x}.png'
bad_conf "{s} (not MapLibre's)" '\{s\}' -- --basemap "https://{s}.tiles.example/$T"
bad_conf "unknown placeholder" 'unknown \{placeholder\}' -- --basemap "https://tiles.example/{zoom}/$T"
bad_conf "a space" 'printable ASCII' -- --basemap "https://tiles.example/a b/$T"
bad_conf "a quote" 'printable ASCII' -- --basemap "https://tiles.example/\"/$T"
bad_conf "no host" 'no host' -- --basemap "https:///$T"
bad_conf "style URLs joined by |" 'only XYZ' -- --basemap 'https://a.example/style.json|https://b.example/style.json'
bad_conf "a raster joined with a style URL" 'needs \{z\}' -- --basemap "https://a.example/$T|https://b.example/style.json"
bad_conf "attribution before any base map" 'names no base map' -- --basemap-attribution x --basemap "https://a.example/$T"
bad_conf "name before any base map" 'names no base map' -- --basemap-name x
bad_conf "a control character in the attribution" 'control' -- --basemap "https://a.example/$T" --basemap-attribution $'a\tb'
nine=()
for i in 0 1 2 3 4 5 6 7 8; do nine+=(--basemap "https://t$i.example/$T"); done
bad_conf "nine base maps" 'at most 8' -- "${nine[@]}"
printf 'basemap-attribution = x\n' >"$HTTP_WORK/bad.conf"
bad_conf "config file: attribution first" 'bad.conf:1' -- --config "$HTTP_WORK/bad.conf"
bad_conf "environment: attribution without TAILINGS_BASEMAP" 'TAILINGS_BASEMAP is not' TAILINGS_BASEMAP_ATTRIBUTION=x --

# ---------------------------------------------------------------------------
echo "# an XYZ server of PNG tiles, run by this test"
tiles=$HTTP_WORK/xyz
mkdir -p "$tiles/12/3202"
"$PY" - "$tiles/12/3202/1744.png" <<'PY'
import struct, sys, zlib
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
raw = b"".join(b"\0" + b"\x20\x80\xc0" * 256 for _ in range(256))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 256, 256, 8, 2, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
echo '{"version":8,"sources":{},"layers":[]}' >"$tiles/style.json"
xyz_port=$(http_free_port) || die "no free port"
(cd "$tiles" && exec "$PY" -m http.server "$xyz_port" --bind 127.0.0.1) >"$HTTP_WORK/xyz.log" 2>&1 &
xyz_pid=$!
for _ in $(seq 50); do http_port_open "$xyz_port" && break; sleep 0.1; done
xyz=http://127.0.0.1:$xyz_port

# ---------------------------------------------------------------------------
echo "# no base map unless configured"
http_start none --db "$conninfo" --access-log off
http_wait_health || die "server did not start"
fetch /style.json
expect_eq "no --basemap: no base map source, layer or metadata" \
	"$(json_q "$BODY" '[[s for s in d["sources"] if s != "tailings"], [l["id"] for l in d["layers"] if l["type"] == "raster"], d["metadata"]["tailings:basemaps"]]')" \
	'[[], [], []]'
http_stop

# ---------------------------------------------------------------------------
echo "# flags: a raster base map, a two-layer raster base map, a style"
http_start flags --db "$conninfo" --access-log off \
	--basemap "$xyz/$T" --basemap-name "本地底图" --basemap-attribution "© 测试 <b>test</b>" \
	--basemap "$xyz/$T|$xyz/labels/$T" \
	--basemap "$xyz/style.json" --basemap-name "A style" --basemap-attribution "© style"
http_wait_health || die "server did not start"
fetch /style.json
cp "$BODY" "$HTTP_WORK/style-basemaps.json"
expect_eq "metadata lists the three base maps in order" \
	"$(json_q "$BODY" '[[b["id"], b["name"], b["type"], b["attribution"], b.get("layers")] for b in d["metadata"]["tailings:basemaps"]]')" \
	'[["basemap-0", "本地底图", "raster", "© 测试 <b>test</b>", ["basemap-0"]], ["basemap-1", "127.0.0.1", "raster", null, ["basemap-1", "basemap-1-1"]], ["basemap-2", "A style", "style", "© style", null]]'
expect_eq "metadata keeps the URLs as given" \
	"$(json_q "$BODY" '[b["url"] for b in d["metadata"]["tailings:basemaps"]] == ["'"$xyz/$T"'", "'"$xyz/$T|$xyz/labels/$T"'", "'"$xyz"'/style.json"]')" true
expect_eq "raster sources: one per template, the attribution on the first" \
	"$(json_q "$BODY" '[[k, s["type"], s["tiles"], s.get("attribution")] for k, s in d["sources"].items() if k != "tailings"]')" \
	"[[\"basemap-0\", \"raster\", [\"$xyz/$T\"], \"© 测试 <b>test</b>\"], [\"basemap-1\", \"raster\", [\"$xyz/$T\"], null], [\"basemap-1-1\", \"raster\", [\"$xyz/labels/$T\"], null]]"
expect_eq "raster layers right above the background, the first visible, under every other layer" \
	"$(json_q "$BODY" '[[l["id"], l["type"], l.get("layout", {}).get("visibility")] for l in d["layers"][:5]]')" \
	'[["background", "background", null], ["basemap-0", "raster", "visible"], ["basemap-1", "raster", "none"], ["basemap-1-1", "raster", "none"], ["ponds-fill", "fill", null]]'
expect_eq "a style base map is in the metadata only" \
	"$(json_q "$BODY" '[k for k in d["sources"] if "2" in k] + [l["id"] for l in d["layers"] if "basemap-2" in l["id"]]')" '[]'
# the style's tile URL filled in as MapLibre does fetches the test server's tile
url=$(json_q "$BODY" 'd["sources"]["basemap-0"]["tiles"][0].replace("{z}", "12").replace("{x}", "3202").replace("{y}", "1744")')
code=$(curl -s -o "$HTTP_WORK/tile.png" -w '%{http_code} %{content_type}' "$url")
expect_eq "it fetches the XYZ server's tile: $url" "$code" "200 image/png"
expect_eq "the raster template is the one given" "$(json_q "$BODY" 'd["sources"]["basemap-0"]["tiles"][0]')" "$xyz/$T"
validate=$root/tileserver/node_modules/@maplibre/maplibre-gl-style-spec/dist/gl-style-validate.mjs
if command -v node >/dev/null && [ -f "$validate" ]; then
	msgs=$(node "$validate" "$HTTP_WORK/style-basemaps.json" 2>&1)
	expect_eq "the style with base maps passes the MapLibre style spec's validator" "$msgs" ""
fi
check "the tile server fetched nothing from the base map server" test "$(grep -c 'GET' "$HTTP_WORK/xyz.log")" = 1
http_stop

# ---------------------------------------------------------------------------
echo "# the config file and the environment"
cat >"$HTTP_WORK/basemap.conf" <<CONF
basemap = $xyz/$T
basemap-name = File map
basemap-attribution = © file
basemap = $xyz/style.json
CONF
http_start conf --db "$conninfo" --access-log off --config "$HTTP_WORK/basemap.conf"
http_wait_health || die "server did not start"
fetch /style.json
expect_eq "config file: two base maps, name and attribution of the first" \
	"$(json_q "$BODY" '[[b["name"], b["type"], b["attribution"]] for b in d["metadata"]["tailings:basemaps"]] + [d["sources"]["basemap-0"]["attribution"]]')" \
	'[["File map", "raster", "© file"], ["127.0.0.1", "style", null], "© file"]'
http_stop
TAILINGS_BASEMAP="$xyz/env/$T" TAILINGS_BASEMAP_ATTRIBUTION="© env" \
	http_start env --db "$conninfo" --access-log off --config "$HTTP_WORK/basemap.conf"
http_wait_health || die "server did not start"
fetch /style.json
expect_eq "the environment's base map replaces the file's" \
	"$(json_q "$BODY" '[[b["url"], b["attribution"]] for b in d["metadata"]["tailings:basemaps"]]')" \
	"[[\"$xyz/env/$T\", \"© env\"]]"
http_stop
TAILINGS_BASEMAP="$xyz/env/$T" \
	http_start flagwins --db "$conninfo" --access-log off --config "$HTTP_WORK/basemap.conf" --basemap "$xyz/flag/$T"
http_wait_health || die "server did not start"
fetch /style.json
expect_eq "flags replace the environment's and the file's base maps" \
	"$(json_q "$BODY" '[b["url"] for b in d["metadata"]["tailings:basemaps"]]')" "[\"$xyz/flag/$T\"]"
http_stop
http_finish
