#!/usr/bin/env bash
# tailings.tile() decoded with tailings-mvtcheck: every tile valid MVT 2.1;
# layer names, feature ids and properties; the layer filter; the empty tile;
# and `at`, the map as it was.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
check=${TAILINGS_MVTCHECK:?}
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
work=$TAILINGS_TEST_WORK/tiles
mkdir -p "$work"
dropdb --if-exists tile_db
createdb -T tailings_sample tile_db

tile() {  # tile DB Z X Y [LAYERS] [AT] -> summary on stdout, invalid tile fails
	local layers=${5:-} at=${6:-}
	q -d "$1" -c "SELECT tailings.tile($2, $3, $4, $( [ -n "$layers" ] && echo "'{$layers}'" || echo NULL ), $( [ -n "$at" ] && echo "'$at'" || echo NULL ))" \
		| "$check" --hex
}

# the tile around 龙佰丰源牛场坪 (pond 8) at z14: every layer it reaches, feature by feature
tile tile_db 14 12824 6942 >"$work/z14.txt"
diff "$here/expected/tile_z14_12824_6942.txt" "$work/z14.txt"
# each layer's properties are exactly those tailings.tile_fields() lists (contract.h, which the
# server's TileJSON gives too), with values of the listed type
q -d tile_db -c "SELECT layer, field, type FROM tailings.tile_fields()" >"$work/fields.txt"
test "$(wc -l <"$work/fields.txt")" = 57
python3 - "$work/fields.txt" "$work/z14.txt" <<'PY'
import re, sys
want = {}
for line in open(sys.argv[1]):
    layer, field, typ = line.rstrip("\n").split("|")
    want.setdefault(layer, {})[field] = typ
seen, layer = {}, None
for line in open(sys.argv[2]):
    m = re.match(r"layer (\w+):", line)
    if m:
        layer = m.group(1); seen[layer] = {}; continue
    for key, val in re.findall(r' (\w+)=("(?:[^"\\]|\\.)*"|\S+)', line):
        if key in ("id", "parts", "points"):
            continue
        typ = "String" if val.startswith('"') else "Boolean" if val in ("true", "false") else "Number"
        seen[layer].setdefault(key, set()).add(typ)
assert len(seen) == 10, sorted(seen)
for layer, fields in seen.items():
    assert set(fields) == set(want[layer]), (layer, sorted(fields), sorted(want[layer]))
    for key, types in fields.items():
        assert types == {want[layer][key]}, (layer, key, types, want[layer][key])
print("fields: %d layers as tile_fields() lists them" % len(seen))
PY
# the layer filter
tile tile_db 14 12824 6942 groundwater,ponds >"$work/z14_gw.txt"
grep '^layer' "$work/z14_gw.txt"
test "$(grep -c '^layer' "$work/z14_gw.txt")" = 2
grep -q '^layer ponds:' "$work/z14_gw.txt"
grep -q '^layer groundwater:' "$work/z14_gw.txt"
# each well's groundwater state (gw_state): the sample's quarterly samples of JC2 and JC3 (pond 8 is
# a key pond) are within class III, ok; the wells never sampled, no data; a sample of today with
# JC2's manganese above class III (0.35 > 0.10 mg/L), it exceeds; JC3's within it (60 µg/L), ok;
# the map as it was before that sample, ok again
grep -q 'name="地下水监视井 JC2" .*gw_state="ok"' "$work/z14_gw.txt"
grep -q 'name="地下水监视井 JC3" .*gw_state="ok"' "$work/z14_gw.txt"
test "$(grep -c 'gw_state="no_data"' "$work/z14_gw.txt")" = "$(( $(grep -c '^  id=' <(sed -n '/^layer groundwater:/,/^layer /p' "$work/z14_gw.txt")) - 2 ))"
test "$(q -d tile_db -c "SELECT count(*) FROM tailings.sample s JOIN tailings.element e ON e.id = s.element_id
                         WHERE e.pond_id = 8 AND e.name IN ('地下水监视井 JC2', '地下水监视井 JC3')")" -gt 0
test "$(q -d tile_db -c "SELECT count(*) FROM tailings.sample s JOIN tailings.element e ON e.id = s.element_id
                         WHERE e.pond_id = 8 AND e.kind::text IN ('gw_diffusion_well', 'gw_outlet_well')")" = 0
! grep -q 'gw_state=' <(grep -v '^  id=.*kind="gw_' "$work/z14.txt")   # only the groundwater layer has it
before_samples=$(q -d tile_db -c "SELECT clock_timestamp()")
sleep 0.1
q -d tile_db -c "INSERT INTO tailings.sample (element_id, sampled_on, parameter, value, unit)
	SELECT e.id, current_date, 'manganese', v.value, v.unit
	  FROM tailings.element e JOIN (VALUES ('地下水监视井 JC2', 0.35, 'mg/L'), ('地下水监视井 JC3', 60, 'µg/L')) v(name, value, unit)
	    ON v.name = e.name
	 WHERE e.pond_id = 8"
tile tile_db 14 12824 6942 groundwater >"$work/z14_gw_sampled.txt"
grep 'JC' "$work/z14_gw_sampled.txt"
grep -q 'name="地下水监视井 JC2" .*gw_state="exceeds"' "$work/z14_gw_sampled.txt"
grep -q 'name="地下水监视井 JC3" .*gw_state="ok"' "$work/z14_gw_sampled.txt"
test "$(grep -c 'gw_state="no_data"' "$work/z14_gw_sampled.txt")" = "$(( $(grep -c '^  id=' "$work/z14_gw_sampled.txt") - 2 ))"
tile tile_db 14 12824 6942 groundwater "$before_samples" >"$work/z14_gw_before_samples.txt"
! grep -q 'gw_state="exceeds"' "$work/z14_gw_before_samples.txt"
grep -q 'name="地下水监视井 JC2" .*gw_state="ok"' "$work/z14_gw_before_samples.txt"
q -d tile_db -c "DELETE FROM tailings.sample WHERE sampled_on = current_date AND pond_id = 8"
# an empty tile
test "$(tile tile_db 14 0 0)" = "empty tile"
# the whole world: ponds as points only
tile tile_db 0 0 0 >"$work/z0.txt"
grep '^layer' "$work/z0.txt"
test "$(grep -c '^layer' "$work/z0.txt")" = 1
test "$(grep -c ' POINT ' "$work/z0.txt")" = 40
test "$(grep -c 'anchor=false' "$work/z0.txt")" = 40    # below z12 a pond point is the pond itself
# the ponds layer tells a reader the failed rules and the groundwater flow, as the database has them
test "$(grep -c 'failed=' "$work/z0.txt")" = 40
test "$(grep -c 'gw_flow_azimuth=' "$work/z0.txt")" = "$(q -d tile_db -c "SELECT count(*) FROM tailings.pond WHERE gw_flow_azimuth IS NOT NULL")"
q -d tile_db -c "SELECT format('pond_id=%s .* failed=%s', o.id, o.errors_failed) FROM tailings.pond_overview o" |
	while read -r want; do grep -qE "$want( |$)" "$work/z0.txt" || { echo "missing: $want"; exit 1; }; done
# every pond is a polygon (its boundary) or a point (no boundary drawn) at z12 and above
for zxy in "12 3206 1735" "13 6412 3471" "15 25649 13884" "16 51298 27768"; do
	set -- $zxy
	tile tile_db "$1" "$2" "$3" >"$work/z$1.txt"
	echo "z$1: $(grep -c '^  id=' "$work/z$1.txt") features in $(grep -c '^layer' "$work/z$1.txt") layers"
	grep -q '^layer ponds:' "$work/z$1.txt"
	grep -q 'id=8 POLYGON' "$work/z$1.txt"     # the boundary ...
	# ... and its registry point once, as an anchor for the label, with no feature id of its own
	test "$(grep -cE '^  id=- POINT .*pond_id=8 .*anchor=true' "$work/z$1.txt")" = 1
	! grep -qE '^  id=8 POINT' "$work/z$1.txt"
done

# `at`: move a well and delete the pond's dam; the tile as it was shows them as they were
before=$(q -d tile_db -c "SELECT clock_timestamp()")
sleep 0.1
q -d tile_db -c "UPDATE tailings.element SET geom = ST_Translate(geom, 0.0005, 0) WHERE pond_id = 8 AND name = '地下水监视井 JC2'"
q -d tile_db -c "DELETE FROM tailings.element WHERE pond_id = 8 AND kind::text = 'dam'"
now_gj=$(q -d tile_db -c "SELECT tailings.tile(14, 12824, 6942, '{groundwater,site}')" | "$check" --hex --geojson --tile 14/12824/6942)
then_gj=$(q -d tile_db -c "SELECT tailings.tile(14, 12824, 6942, '{groundwater,site}', '$before')" | "$check" --hex --geojson --tile 14/12824/6942)
test "$(echo "$now_gj" | grep -c '"kind":"dam"' || true)" = 0
test "$(echo "$then_gj" | grep -c '"kind":"dam"' || true)" = 1
jc2_now=$(echo "$now_gj" | grep 'JC2' | sed -E 's/.*"coordinates":(\[[^]]*\]).*/\1/')
jc2_then=$(echo "$then_gj" | grep 'JC2' | sed -E 's/.*"coordinates":(\[[^]]*\]).*/\1/')
echo "JC2 now $jc2_now, then $jc2_then"
test -n "$jc2_now" && test -n "$jc2_then" && test "$jc2_now" != "$jc2_then"
# ... and the element layers as they were equal those of the tile before the edits, byte for byte
test "$(q -d tile_db -c "SELECT md5(tailings.tile(14, 12824, 6942, '{groundwater,site}', '$before'))")" = \
     "$(q -d tailings_sample -c "SELECT md5(tailings.tile(14, 12824, 6942, '{groundwater,site}'))")"
echo "tiles: as expected"
