#!/usr/bin/env bash
# tailings-mvtcheck itself: it accepts the tiles tailings.tile() makes, in
# binary and hex, prints GeoJSON in longitude and latitude, and rejects what
# is not a vector tile -- under valgrind when it is installed, with no errors
# and no leaks.
set -euo pipefail
check=${TAILINGS_MVTCHECK:?}
work=$TAILINGS_TEST_WORK/mvtcheck
mkdir -p "$work"
run=("$check")
if command -v valgrind >/dev/null; then
	run=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=all "$check")
fi
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

q -d tailings_sample -c "SELECT encode(tailings.tile(14, 12824, 6942), 'hex')" >"$work/t.hex"
xxd -r -p "$work/t.hex" "$work/t.mvt" 2>/dev/null || python3 -c "import sys; open(sys.argv[2],'wb').write(bytes.fromhex(open(sys.argv[1]).read().strip()))" "$work/t.hex" "$work/t.mvt"
"${run[@]}" "$work/t.mvt" >"$work/bin.txt"
"${run[@]}" --hex "$work/t.hex" >"$work/hex.txt"
diff "$work/bin.txt" "$work/hex.txt"
grep -q '^layer ponds:' "$work/bin.txt"
"${run[@]}" --geojson --tile 14/12824/6942 "$work/t.mvt" >"$work/t.geojson"
# the pond's registry point (101.792, 26.468) lies inside the tile the GeoJSON spans
grep -o '\[101\.79[0-9]*,26\.46[0-9]*\]' "$work/t.geojson" | head -1 | grep -q .
"${run[@]}" --quiet "$work/t.mvt"
# an empty tile is valid
: >"$work/empty.mvt"
test "$("${run[@]}" "$work/empty.mvt")" = "empty tile"

expect_invalid() {  # expect_invalid FILE: exit status 1, a reason on stderr
	local rc=0
	"${run[@]}" --quiet "$1" 2>"$work/err.txt" || rc=$?
	cat "$work/err.txt"
	test "$rc" = 1
	grep -q 'invalid tile' "$work/err.txt"
}
# garbage, a truncated tile, a tile with its bytes flipped
head -c 200 /dev/urandom >"$work/random.bin"
expect_invalid "$work/random.bin"
head -c $(( $(stat -c %s "$work/t.mvt") / 2 )) "$work/t.mvt" >"$work/half.mvt"
expect_invalid "$work/half.mvt"
# a layer of version 1: walk the protocol buffer to the first layer's field 15
python3 - "$work/t.mvt" "$work/v1.mvt" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
def varint(i):
    v = s = 0
    while True:
        v |= (b[i] & 0x7f) << s; s += 7; i += 1
        if not b[i - 1] & 0x80: return v, i
tag, i = varint(0)
assert tag == (3 << 3) | 2            # Tile.layers
length, i = varint(i)
end = i + length
while i < end:
    tag, j = varint(i)
    if tag == (15 << 3):               # Layer.version, a varint
        assert b[j] == 2
        b[j] = 1
        break
    if tag & 7 == 0:
        _, i = varint(j)
    else:                              # length-delimited
        n, j = varint(j)
        i = j + n
else:
    sys.exit("no version field")
open(sys.argv[2], 'wb').write(b)
PY
expect_invalid "$work/v1.mvt"
grep -q 'version 1, not 2' "$work/err.txt"
# usage errors: exit status 2
rc=0; "$check" --tile 3/9/0 "$work/t.mvt" 2>/dev/null || rc=$?; test "$rc" = 2
rc=0; "$check" --nonsense 2>/dev/null || rc=$?; test "$rc" = 2
rc=0; echo "zz" | "$check" --hex 2>/dev/null || rc=$?; test "$rc" = 2
echo "mvtcheck: as expected"
