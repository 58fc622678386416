#!/usr/bin/env bash
# The change stream (/events, server-sent events) and the catalog and language
# of the JSON API: stream headers, hello, a committed edit announced to every
# open client with its pond and area (and nothing for a rolled-back one),
# clients that leave, --max-streams, HEAD, a stream open at shutdown;
# /api/catalog against the catalog in SQL; ?lang= on the pond API.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
db=http_events_db

suite_begin "$db"
suite_server events --max-streams 3

declare -A SSE_PID
stream() {   # stream NAME [SECONDS]: read /events into $HTTP_WORK/NAME.sse in the background
	curl -sS -N --max-time "${2:-30}" -D "$HTTP_WORK/$1.hdr" "$HTTP_URL/events" >"$HTTP_WORK/$1.sse" 2>/dev/null &
	SSE_PID[$1]=$!
}

echo "# the stream"
stream a
stream b
check "a client gets hello" wait_for "$HTTP_WORK/a.sse" '^event: hello$'
check "a second client too" wait_for "$HTTP_WORK/b.sse" '^event: hello$'
expect_match "text/event-stream" "$(tr -d '\r' <"$HTTP_WORK/a.hdr")" $'Content-Type: text/event-stream'
expect_match "not stored by caches" "$(tr -d '\r' <"$HTTP_WORK/a.hdr")" $'Cache-Control: no-store'
expect_match "CORS on the stream" "$(tr -d '\r' <"$HTTP_WORK/a.hdr")" $'Access-Control-Allow-Origin: \\*'
check "a retry interval is given" grep -q '^retry: [0-9]' "$HTTP_WORK/a.sse"
expect_eq "/health counts 2 open streams" "$(streams)" 2

echo "# a committed edit reaches every client"
jc2_x() { q -d "$db" -c "SELECT ST_X(geom) FROM tailings.element WHERE pond_id = 8 AND name = '地下水监视井 JC2'"; }
old_x=$(jc2_x)
move_jc2 "$db"
new_x=$(jc2_x)
check "client a gets the change" wait_for "$HTTP_WORK/a.sse" '^event: change$'
check "client b too" wait_for "$HTTP_WORK/b.sse" '^event: change$'
line=$(grep -A1 '^event: change$' "$HTTP_WORK/a.sse" | sed -n 's/^data: //p' | head -1)
expect_match "the change names the table and operation" "$line" '"table":"tailings.element","op":"U"'
expect_match "... the pond" "$line" '"pond_id":8[,}]'
expect_eq "... and the changed area: from the old place to the new" "$("$PY" -c '
import json, sys
b = json.loads(sys.argv[1])["bbox"]
print(abs(b[0] - float(sys.argv[2])) < 1e-6 and abs(b[2] - float(sys.argv[3])) < 1e-6 and b[1] == b[3])' "$line" "$old_x" "$new_x")" True
expect_match "events carry increasing ids" "$(grep '^id: ' "$HTTP_WORK/a.sse" | tail -1)" '^id: [0-9]+$'
n_before=$(grep -c '^event: change$' "$HTTP_WORK/a.sse")
q -d "$db" -c "BEGIN; UPDATE tailings.element SET name = name || 'x' WHERE pond_id = 8; ROLLBACK;"
q -d "$db" -c "UPDATE tailings.pond SET name = name WHERE id = 8"   # changes nothing: no entry, no event
sleep 1
expect_eq "a rolled-back edit and a no-op are not announced" "$(grep -c '^event: change$' "$HTTP_WORK/a.sse")" "$n_before"
q -d "$db" -c "INSERT INTO tailings.element (pond_id, kind, name, geom, source)
  VALUES (3, 'sign', '测试标志牌', ST_SetSRID(ST_MakePoint(101.70, 26.60), 4490), 'ground')"
check "an insert is announced" wait_for "$HTTP_WORK/b.sse" '"op":"I","pond_id":3'

echo "# clients that leave, the limit, HEAD"
kill "${SSE_PID[a]}" 2>/dev/null
wait_until 2 eval '[ "$(streams)" = 1 ]'
expect_eq "a client that left is dropped" "$(streams)" 1
resp=$(printf 'HEAD /events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' | raw_http | tr -d '\r')
expect_match "HEAD /events: 200, the stream's type" "$resp" $'^HTTP/1.1 200 OK\n.*Content-Type: text/event-stream'
expect_eq "HEAD /events: no body" "$(printf '%s' "$resp" | sed '1,/^$/d' | wc -c)" 0
stream c
stream d
wait_for "$HTTP_WORK/d.sse" '^event: hello$' 5
fetch /events
expect_eq "beyond --max-streams 3: 503" "$ST" 503
expect_match "... with a JSON reason" "$(cat "$BODY")" '"error":"too many open change streams"'
expect_eq "metrics count the streams" "$(metric tailings_event_streams)" 3
check "metrics count the events sent" test "$(metric tailings_events_sent_total)" -gt 0

echo "# the catalog"
fetch /api/catalog
expect_eq "/api/catalog: 200" "$ST" 200
want=$(q -d "$db" -c "SELECT string_agg(c.category || ':' || (SELECT string_agg(k.kind::text, ',' ORDER BY k.ordinality)
  FROM tailings.kinds() WITH ORDINALITY k WHERE k.category::text = c.category::text), ';' ORDER BY c.ordinality)
  FROM tailings.categories() WITH ORDINALITY c")
got=$("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(";".join(c["code"] + ":" + ",".join(k["code"] for k in c["kinds"]) for c in d["categories"]))' "$BODY")
expect_eq "/api/catalog lists the categories and kinds of SQL's catalog, in order" "$got" "$want"
expect_eq "/api/catalog's directed kinds are SQL's" \
	"$(json_q "$BODY" '",".join(k["code"] for c in d["categories"] for k in c["kinds"] if k["directed"])')" \
	"$(q -d "$db" -c "SELECT string_agg(kind::text, ',' ORDER BY kind) FROM tailings.kinds() WHERE directed")"
expect_eq "... with Chinese and English labels" "$("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
k = d["categories"][4]["kinds"][1]
print(d["categories"][4]["label_zh"], k["label_zh"], k["label_en"], k["geometry"])' "$BODY")" \
	"地下水监测 地下水监视井 Groundwater monitoring well ['point']"

echo "# the pond API's language"
fetch "/api/ponds/8/completeness?lang=en"
expect_match "?lang=en: English messages" "$(cat "$BODY")" '"message":"[0-9]+ drawn: Pond boundary'
fetch "/api/ponds/8/completeness"
expect_match "without lang: the database's language (zh)" "$(cat "$BODY")" '"message":"已标绘'
fetch "/api/ponds/8?lang=en"
expect_match "?lang=en: English kind labels in the pond file" "$(cat "$BODY")" '"label" : "Pond boundary"'
fetch "/api/ponds/8?lang=fr"
expect_eq "?lang=fr: 400" "$ST" 400
fetch "/api/ponds/8"
expect_match "the language does not stick to the pooled connection" "$(cat "$BODY")" '"label" : "库区边界"'

echo "# a read-only role is enough for the server"
# the tile server's role as make run, Docker and DBAs create it (tests/sh/run_roles.sh checks what it may not do)
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$here/../../sql/roles/tileserver.sql" || die "sql/roles/tileserver.sql failed"
main_pid=$HTTP_PID main_url=$HTTP_URL
http_start reader --db "host=$PGHOST port=$PGPORT user=tailings_tileserver dbname=$db"
http_wait_health || die "the read-only server did not come up"
for p in /tiles/all/14/12824/6942.mvt "/tiles/all/14/12824/6942.mvt?at=2030-01-01T00:00:00Z" /api/ponds /api/ponds/8 \
	/api/ponds/8/completeness /tiles/all.json; do
	fetch "$p"
	expect_eq "read-only role: $p" "$ST" 200
done
stream reader
check "read-only role: the change stream" wait_for "$HTTP_WORK/reader.sse" '^event: hello$'
move_jc2 "$db"
check "read-only role: the change reaches the stream" wait_for "$HTTP_WORK/reader.sse" '^event: change$'
http_stop
HTTP_PID=$main_pid HTTP_URL=$main_url

echo "# shutdown with streams open"
http_stop
expect_eq "the server stops cleanly with streams open" "$HTTP_RC" 0
check "the open streams were ended by the server" gone "${SSE_PID[c]}" 5
check "... all of them" gone "${SSE_PID[d]}" 1
suite_end
