#!/usr/bin/env bash
# The map's glyph ranges (/fonts/{fontstack}/{start}-{end}.pbf): the signed
# distance fields make builds from Noto Sans CJK SC (tailings-glyphs), as the
# server sends them, decoded by tests/lib/glyphs_pbf.py (a decoder of its own,
# not the encoder's code):
#  - the Latin letters, digits and signs of the labels ("JC1", "1#排渗井",
#    "DN250") are there with real fields: upright (J's hook at the bottom,
#    7's bar at the top), on the baseline, with their advances
#  - CJK ideographs (排 U+6392 in 25344-25599), fullwidth forms
#  - HTTP: ETag and 304, gzip when accepted (the same range), HEAD,
#    Cache-Control; a comma-separated stack takes the first font it has; a
#    range the font has no glyph in is an empty but valid range (200); an
#    unknown stack is 404, a malformed range 400; no way out of --fonts
#    (.., hidden names, symbolic links)
#  - every text-font stack of style.json is served
#  - --fonts DIR serves another directory; a --fonts that is no directory
#    stops the server at start (exit 2)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
root=$(cd "$here/../.." && pwd)
db=http_glyphs_db
DEC=$root/tests/lib/glyphs_pbf.py
STACK="Noto Sans CJK SC Regular"
S=Noto%20Sans%20CJK%20SC%20Regular

[ -f "$root/tileserver/build/fonts/$STACK/0-255.pbf" ] || die "the glyph ranges are not built: run make"
suite_begin "$db"
conninfo=$(http_conninfo "$db")

# a line of the decoder for code point $2 of file $1: id char width height left top advance inside
glyph() { "$PY" "$DEC" "$1" | awk -v id="$2" '$1 == id'; }
# field N (1-based, after the id) of that line
gf() { glyph "$1" "$2" | awk -v n="$3" '{ print $(n + 1) }'; }
py() { "$PY" -c "import sys; sys.path.insert(0, '$root/tests/lib'); import glyphs_pbf as G; $1" "${@:2}"; }

# the server with its default --fonts: fonts/ beside the executable (tileserver/build/fonts)
suite_server glyphs

echo "# Latin, digits and signs: 0-255"
fetch "/fonts/$S/0-255.pbf"
expect_eq "0-255: 200 protobuf, cached a day" "$ST $(hdr Content-Type) $(hdr Cache-Control)" \
	"200 application/x-protobuf public, max-age=86400"
cp "$BODY" "$HTTP_WORK/latin.pbf"
L=$HTTP_WORK/latin.pbf
etag=$(hdr ETag)
check "0-255: an ETag" test -n "$etag"
check "0-255: a valid glyph range (decoder)" "$PY" "$DEC" "$L"
expect_eq "0-255: one stack, its name and range" \
	"$(py 'st = G.decode(open(sys.argv[1], "rb").read()); print(len(st), st[0]["name"], st[0]["range"], len(st[0]["glyphs"]) >= 95)' "$L")" \
	"1 $STACK 0-255 True"
for c in J C 1 '#' D N 2 5 0; do
	id=$(printf '%d' "'$c")
	line=$(glyph "$L" "$id")
	# id char width height left top advance inside
	read -r _ _ w h _ _ adv inside <<<"$line"
	if [ -z "$line" ]; then
		not_ok "'$c' ($id) is in 0-255"
	else
		check "'$c': a field of ${w}x${h} px, $inside px inside (between a sixth and all of its box), advance $adv" \
			test "$w" -ge 4 -a "$h" -ge 12 -a "$h" -le 22 -a "$inside" -ge $((w * h / 6)) -a "$inside" -le $((w * h)) \
			-a "$adv" -ge 6 -a "$adv" -le 18
	fi
done
check "'J' and '1' are different drawings" test "$(gf "$L" 74 7)/$(gf "$L" 74 2)" != "$(gf "$L" 49 7)/$(gf "$L" 49 2)"
# upright, not mirrored: J's hook is at the bottom left, 7's bar at the top, L's foot at the bottom
expect_eq "J: the inside pixels of its left third lie in its lower half (the hook)" \
	"$(py 'g = G.decode(open(sys.argv[1], "rb").read())[0]["glyphs"][74]; w = g["width"] + 6; h = g["height"] + 6
px = [(i % w, i // w) for i, v in enumerate(g["bitmap"]) if v >= 192]
left = [y for x, y in px if x < w / 3]
print(bool(left) and min(left) > h / 2)' "$L")" True
expect_eq "7: its top inside row is wider than its bottom one (the bar)" \
	"$(py 'g = G.decode(open(sys.argv[1], "rb").read())[0]["glyphs"][55]; w = g["width"] + 6
rows = [sum(1 for v in g["bitmap"][y * w:(y + 1) * w] if v >= 192) for y in range(g["height"] + 6)]
rows = [r for r in rows if r]
print(rows[0] > 2 * rows[-1])' "$L")" True
expect_eq "L: its bottom inside row is wider than its top one (the foot)" \
	"$(py 'g = G.decode(open(sys.argv[1], "rb").read())[0]["glyphs"][76]; w = g["width"] + 6
rows = [sum(1 for v in g["bitmap"][y * w:(y + 1) * w] if v >= 192) for y in range(g["height"] + 6)]
rows = [r for r in rows if r]
print(rows[-1] > 2 * rows[0])' "$L")" True
# a distance field, not a mask: values fall off outside the outline across the 3 px border
expect_eq "J: a distance field (values between 1 and 191 around the outline, 0 far out, 192 or more inside)" \
	"$(py 'g = G.decode(open(sys.argv[1], "rb").read())[0]["glyphs"][74]; b = g["bitmap"]
print(sum(1 for v in b if 0 < v < 192) > len(b) // 4, min(b) == 0, max(b) >= 220)' "$L")" "True True True"
# the baseline: 'x' sits on it, '.' is low, 'g' and 'p' go below it, 'J' and 'x' share it
top() { gf "$L" "$1" 5; }
bottom() { echo $(($(gf "$L" "$1" 5) - $(gf "$L" "$1" 3))); }
check "baseline: x and J end on the same line (+-1 px)" test $(($(bottom 120) - $(bottom 74))) -ge -1 -a $(($(bottom 120) - $(bottom 74))) -le 1
check "descenders: g and p end 3 px or more below x" test $(($(bottom 120) - $(bottom 103))) -ge 3 -a $(($(bottom 120) - $(bottom 112))) -ge 3
check "x-height: x's top is 3 px or more below J's" test $(($(top 74) - $(top 120))) -ge 3
expect_eq "space: advance only, no field" "$(glyph "$L" 32 | awk '{ print $3, $4, $8 }')" "0 0 0"
check "space: an advance" test "$(gf "$L" 32 6)" -ge 4

echo "# the style's text-font stacks are served"
fetch /style.json
stacks=$(json_q "$BODY" '"\n".join(sorted({",".join(l["layout"]["text-font"]) for l in d["layers"]
	if isinstance(l.get("layout", {}).get("text-font"), list)}))')
check "style.json has labels with a text-font" test -n "$stacks"
while IFS= read -r st; do
	[ -n "$st" ] || continue
	fetch "/fonts/$("$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$st")/0-255.pbf"
	expect_eq "style's text-font \"$st\": 0-255 has J" "$ST $([ -n "$(glyph "$BODY" 74)" ] && echo J)" "200 J"
done <<<"$stacks"

echo "# CJK"
fetch "/fonts/$S/25344-25599.pbf"
cp "$BODY" "$HTTP_WORK/cjk.pbf"
expect_eq "25344-25599: 200" "$ST" 200
line=$(glyph "$HTTP_WORK/cjk.pbf" 25490)
read -r _ _ w h _ _ adv inside <<<"$line"
check "排 (U+6392): ${w}x${h} px, advance $adv (a full em), $inside px inside" \
	test -n "$line" -a "${adv:-0}" = 24 -a "${w:-0}" -ge 18 -a "${h:-0}" -ge 18 -a "${inside:-0}" -ge 60
expect_eq "25344-25599: all 256 ideographs" "$(py 'print(len(G.decode(open(sys.argv[1], "rb").read())[0]["glyphs"]))' "$HTTP_WORK/cjk.pbf")" 256
for r in 19968-20223 40704-40959 12288-12543 65280-65535 256-511 8192-8447; do
	fetch "/fonts/$S/$r.pbf"
	expect_eq "$r: 200 with glyphs" "$ST $(py 'print(len(G.decode(open(sys.argv[1], "rb").read())[0]["glyphs"]) > 0)' "$BODY")" "200 True"
done
fetch "/fonts/$S/65280-65535.pbf"
check "65280-65535: fullwidth Ａ (U+FF21) is there" test -n "$(glyph "$BODY" 65313)"

echo "# HTTP"
fetch -H "If-None-Match: $etag" "/fonts/$S/0-255.pbf"
expect_eq "its ETag: 304" "$ST" 304
fetch -H 'Accept-Encoding: gzip' "/fonts/$S/0-255.pbf"
expect_eq "gzip accepted: Content-Encoding gzip, Vary" "$ST $(hdr Content-Encoding) $(hdr Vary)" "200 gzip Accept-Encoding"
check "gzip: the same range" cmp -s <(gzip -dc "$BODY") "$L"
check "gzip: another ETag" test "$(hdr ETag)" != "$etag"
fetch -I "/fonts/$S/0-255.pbf"
# (curl -I writes the head where the body would go: nothing may follow it)
expect_eq "HEAD: 200, the length, no body" "$ST $(hdr Content-Length) $(($(stat -c %s "$BODY") - $(stat -c %s "$HDR")))" \
	"200 $(stat -c %s "$L") 0"
fetch "/fonts/Open%20Sans%20Regular,$S/0-255.pbf"
check "a stack takes its first font this server has" cmp -s "$BODY" "$L"
fetch "/fonts/%20$S%20,Arial%20Unicode%20MS%20Regular/0-255.pbf"
check "a stack: blanks around names are not part of them" cmp -s "$BODY" "$L"
fetch "/fonts/$S/57344-57599.pbf"
cp "$BODY" "$HTTP_WORK/empty.pbf"
expect_eq "a range without glyphs (private use): 200, a valid range with no glyph" \
	"$ST $(hdr Content-Type) $(py 'st = G.decode(open(sys.argv[1], "rb").read()); print(len(st), st[0]["name"] == sys.argv[2], st[0]["range"], len(st[0]["glyphs"]))' "$BODY" "$STACK")" \
	"200 application/x-protobuf 1 True 57344-57599 0"
e=$(hdr ETag)
fetch -H "If-None-Match: $e" "/fonts/$S/57344-57599.pbf"
expect_eq "the empty range: an ETag and 304" "$([ -n "$e" ] && echo etag) $ST" "etag 304"
fetch "/fonts/Open%20Sans%20Regular,Arial%20Unicode%20MS%20Regular/0-255.pbf"
expect_eq "an unknown stack: 404 JSON" "$ST $(hdr Content-Type) $(json_q "$BODY" 'd["status"]')" "404 application/json 404"
for p in "/fonts/x/0-256.pbf" "/fonts/x/1-256.pbf" "/fonts/x/256-255.pbf" "/fonts/x/0-511.pbf" \
	"/fonts/x/255-0.pbf" "/fonts/x/a-b.pbf" "/fonts/x/65536-65791.pbf" "/fonts/$S/0-255" "/fonts//0-255.pbf"; do
	fetch "$p"
	expect_eq "malformed $p: 400 JSON" "$ST $(json_q "$BODY" 'd["status"]' 2>/dev/null)" "400 400"
done

echo "# no way out of --fonts"
fonts=$HTTP_WORK/gl-fonts
rm -rf "$fonts"
mkdir -p "$fonts/Test Font" "$fonts/.hidden"
cp "$L" "$fonts/Test Font/0-255.pbf"
cp "$L" "$fonts/.hidden/0-255.pbf"
ln -s "$root/tileserver/build/fonts/$STACK" "$fonts/Linked"
ln -s /etc/passwd "$fonts/Test Font/256-511.pbf"
mkdir -p "$HTTP_WORK/gl-outside"
cp "$L" "$HTTP_WORK/gl-outside/0-255.pbf"
http_stop
suite_server glyphs2 --fonts "$fonts"
fetch "/fonts/Test%20Font/0-255.pbf"
check "--fonts DIR: its font served" cmp -s "$BODY" "$L"
fetch "/fonts/$S/0-255.pbf"
expect_eq "--fonts DIR: the build's fonts are not looked at" "$ST" 404
fetch "/fonts/Test%20Font/256-511.pbf"
expect_eq "a symbolic link to /etc/passwd: not followed (an empty range)" \
	"$ST $(grep -c root: "$BODY") $(py 'print(len(G.decode(open(sys.argv[1], "rb").read())[0]["glyphs"]))' "$BODY")" "200 0 0"
for p in "/fonts/Linked/0-255.pbf" "/fonts/.hidden/0-255.pbf" "/fonts/..%2Fgl-outside/0-255.pbf" \
	"/fonts/%2E%2E/gl-outside/0-255.pbf" "/fonts/../gl-outside/0-255.pbf" "/fonts/./0-255.pbf" "/fonts/..,Test%20Font/0-255.pbf"; do
	fetch "$p"
	case $p in
		*Test%20Font*) expect_eq "$p: only the name inside --fonts" "$ST $(cmp -s "$BODY" "$L" && echo same)" "200 same" ;;
		*) expect_eq "$p: 404 JSON" "$ST $(json_q "$BODY" 'd["status"]' 2>/dev/null)" "404 404" ;;
	esac
done
http_stop

out=$("$TAILINGS_TILESERVER" --db "$conninfo" --listen "127.0.0.1:$(http_free_port)" --fonts "$HTTP_WORK/no-such-dir" 2>&1)
expect_eq "--fonts that is no directory: exit 2 at start" "$? $out" \
	"2 tailings-tileserver: fonts: \"$HTTP_WORK/no-such-dir\" is not a directory"

suite_end
