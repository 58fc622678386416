#!/usr/bin/env bash
# What changed on the map, over HTTP: /api/history (where history starts),
# /api/compare (added, removed, moved and changed elements between two
# moments, as GeoJSON), and the pond file's change entries named by the
# element's kind and name, with the actor as recorded.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
db=http_history_db

suite_begin "$db"
suite_server history
pond=8    # 龙佰丰源牛场坪尾矿库

# ---------------------------------------------------------------------------
echo "# /api/history"
fetch /api/history
expect_eq "history: 200" "$ST" 200
want=$(q -d "$db" -c "SELECT to_json(min(changed_at))#>>'{}' FROM tailings.change_log")
got=$(json_q "$BODY" "d['start']")
check "history starts at the oldest change ($want)" \
	test "$(q -d "$db" -c "SELECT '$got'::timestamptz = '$want'::timestamptz")" = t

# ---------------------------------------------------------------------------
echo "# /api/compare: three edits between two moments"
t0=$(q -d "$db" -c "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
sleep 1.1
added=$(q -d "$db" -c "SET tailings.actor = '张三'; INSERT INTO tailings.element (pond_id, kind, geom, name)
	VALUES ($pond, 'gw_outlet_well', ST_SetSRID(ST_MakePoint(101.6301, 26.5699), 4490), '导排出口井 DK9') RETURNING id" | tail -1)
moved=$(q -d "$db" -c "SELECT id FROM tailings.element WHERE pond_id = $pond AND kind::text = 'gw_monitoring_well' ORDER BY id LIMIT 1")
old_xy=$(q -d "$db" -c "SELECT round(ST_X(geom)::numeric, 6) || ',' || round(ST_Y(geom)::numeric, 6) FROM tailings.element WHERE id = $moved")
q -d "$db" -c "SET tailings.actor = '李四'; UPDATE tailings.element SET geom = ST_Translate(geom, 0, 0.0009) WHERE id = $moved"
new_xy=$(q -d "$db" -c "SELECT round(ST_X(geom)::numeric, 6) || ',' || round(ST_Y(geom)::numeric, 6) FROM tailings.element WHERE id = $moved")
removed=$(q -d "$db" -c "SELECT id FROM tailings.element WHERE pond_id = $pond AND kind::text = 'sign' ORDER BY id LIMIT 1")
removed_name=$(q -d "$db" -c "SELECT name FROM tailings.element WHERE id = $removed")
q -d "$db" -c "DELETE FROM tailings.element WHERE id = $removed"
sleep 1.1
t1=$(q -d "$db" -c "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")

fetch "/api/compare?from=$t0&to=$t1&lang=en"
expect_eq "compare: 200" "$ST" 200
check "compare: valid JSON" json_ok "$BODY"
expect_eq "compare: a FeatureCollection" "$(json_q "$BODY" "d['type']")" FeatureCollection
expect_eq "compare: exactly the three edited elements, by id" \
	"$(json_q "$BODY" "sorted(f['id'] for f in d['features'])")" \
	"$(python3 -c "print(sorted([$added, $moved, $removed]))")"
change() { json_q "$BODY" "[f['properties']['$2'] for f in d['features'] if f['id'] == $1][0]"; }
expect_eq "the new well is added" "$(change "$added" change)" added
expect_eq "the moved well is moved" "$(change "$moved" change)" moved
expect_eq "the sign is removed" "$(change "$removed" change)" removed
expect_eq "the removed element keeps its name" "$(change "$removed" name)" "$removed_name"
expect_eq "the added element is named by its kind's label (en)" "$(change "$added" label)" "Drainage outlet monitoring well"
pt() { json_q "$BODY" "','.join('%.6f' % v for v in [f['properties']['$2'] for f in d['features'] if f['id'] == $1][0])"; }
expect_eq "moved: from its old position" "$(pt "$moved" old_point)" "$(python3 -c "print(','.join('%.6f' % float(v) for v in '$old_xy'.split(',')))")"
expect_eq "moved: to its new position" "$(pt "$moved" new_point)" "$(python3 -c "print(','.join('%.6f' % float(v) for v in '$new_xy'.split(',')))")"
m=$(change "$moved" moved_m)
check "moved: about 100 m north (got $m)" python3 -c "import sys; sys.exit(not 95 < float('$m') < 105)"
expect_eq "added: no old point" "$(change "$added" old_point)" null
expect_eq "removed: no new point, and its geometry as it was" "$(change "$removed" new_point)" null
expect_eq "geometry has no crs member (RFC 7946)" "$(json_q "$BODY" "sum('crs' in f['geometry'] for f in d['features'])")" 0
# backwards, added and removed swap
fetch "/api/compare?from=$t1&to=$t0"
expect_eq "backwards: the added one is removed" "$(change "$added" change)" removed
expect_eq "backwards: the removed one is added" "$(change "$removed" change)" added
# one pond only
fetch "/api/compare?from=$t0&to=$t1&pond=1"
expect_eq "another pond: nothing changed" "$(json_q "$BODY" "len(d['features'])")" 0
fetch "/api/compare?from=$t0&to=$t1&pond=$pond"
expect_eq "this pond: three changes" "$(json_q "$BODY" "len(d['features'])")" 3
# bad requests
for bad in "from=$t0" "to=$t1" "from=yesterday&to=$t1" "from=$t0&to=$t1&pond=x" "from=$t0&to=$t1&lang=fr"; do
	fetch "/api/compare?$bad"
	expect_eq "compare?$bad: 400" "$ST" 400
	check "compare?$bad: a JSON error" json_ok "$BODY"
done

# ---------------------------------------------------------------------------
echo "# the pond file: change entries and element coordinates"
fetch "/api/ponds/$pond?lang=zh"
expect_eq "pond: 200" "$ST" 200
# (the sample's pre-flood inspection visited the sign: the removal keeps the visit, without it)
expect_eq "the sign's visit kept, without its element" \
	"$(json_q "$BODY" "[(c['row_id'], c['changed']) for c in d['recent_changes'] if c['table'] == 'tailings.inspection_visit'][0]")" \
	"$(q -d "$db" -c "SELECT '[' || v.id || ', [\"element_id\"]]' FROM tailings.inspection_visit v
	                   JOIN tailings.inspection i ON i.id = v.inspection_id WHERE i.pond_id = $pond AND v.element_id IS NULL")"
el="[c for c in d['recent_changes'] if c['table'] == 'tailings.element']"
expect_eq "latest change of an element: the deleted sign, by name" "$(json_q "$BODY" "$el[0]['name']")" "$removed_name"
expect_eq "latest change of an element: the kind's label" "$(json_q "$BODY" "$el[0]['label']")" 环境保护标志
expect_eq "the move: actor as recorded" "$(json_q "$BODY" "$el[1]['actor']")" 李四
expect_eq "the move: the login beside it" "$(json_q "$BODY" "$el[1]['session_role']")" postgres
expect_eq "the insert: kind and name" "$(json_q "$BODY" "$el[2]['kind'] + ' ' + $el[2]['name']")" "gw_outlet_well 导排出口井 DK9"
expect_eq "element coordinates are the database's (CGCS2000)" \
	"$(json_q "$BODY" "[('%.6f,%.6f' % (e['lon'], e['lat'])) for e in d['elements']['groundwater'] if e['id'] == $added][0]")" \
	"$(q -d "$db" -c "SELECT round(ST_X(geom)::numeric, 6) || ',' || round(ST_Y(geom)::numeric, 6) FROM tailings.element WHERE id = $added")"
expect_eq "element geometry types" "$(json_q "$BODY" "sorted(set(e['geometry_type'] for c in d['elements'].values() for e in c))")" \
	"$(q -d "$db" -c "SELECT '[' || string_agg('\"' || t || '\"', ', ' ORDER BY t) || ']' FROM (SELECT DISTINCT GeometryType(geom) t FROM tailings.element WHERE pond_id = $pond) s")"

# ---------------------------------------------------------------------------
echo "# pruned history: a moment before what is kept is refused, with the reason"
q -d "$db" -c "SELECT tailings.prune_changes(clock_timestamp())" >/dev/null
fetch "/api/compare?from=$t0&to=$t1"
expect_eq "compare before the pruned horizon: 400" "$ST" 400
expect_match "... saying the log was pruned" "$(json_q "$BODY" "d['error']")" 'pruned'
fetch /api/history
check "history now starts at the horizon, after the edits" \
	test "$(q -d "$db" -c "SELECT '$(json_q "$BODY" "d['start']")'::timestamptz >= '$t1'::timestamptz")" = t

http_stop
suite_end
