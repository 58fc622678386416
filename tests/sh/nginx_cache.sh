#!/usr/bin/env bash
# Two tile servers behind nginx's shared cache (README "Scaling out"): a real nginx running
# docker/nginx.conf itself (the lines marked "# site:" rewritten to this test's ports and
# directories), two tailings-tileservers with --s-maxage-s 1 on one copy of the sample.
#   - the servers' headers: current tiles "public, max-age=0, s-maxage=1", one ETag for the same
#     tile from either server; nginx stores a tile (MISS, then HIT), revalidates it once expired
#     with If-None-Match (REVALIDATED: the server answered 304, nginx kept its body), answers a
#     client's If-None-Match with 304, keeps gzip and identity apart;
#   - load balancing: tiles spread over both servers, each tile always to the same one; a burst
#     of requests: each tile made once, the others served from nginx's store ($upstream_cache_status
#     in the access log), and the servers saw only what nginx did not serve itself;
#   - an edit through nginx: a viewer told of change ID by the change stream (through nginx) asks
#     for ?v=ID and gets the new tile at once, from a server, and the next viewer from nginx; a
#     plain URL is never served old once s-maxage (1 s, nginx counts whole seconds) has passed
#     since nginx stored it, and never old again once it was new;
#   - a server stopped: its share of the tiles comes from the other;
#   - --auth token: Authorization passes through (whoami); a member's tile never comes from nor
#     goes into the shared cache (BYPASS, private), each member gets its own scope's tile, not the
#     public one nor another member's; the public (anonymous) tiles are shared; a bad token is 401.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
. "$here/../lib/auth.sh"
root=$(cd "$here/../.." && pwd)
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx_bin" ] || die "nginx is missing (apt-get install nginx; scripts/deps.sh test)"
suite_begin nginx_cache_db
T=/tiles/all/14/12824/6942.mvt     # pond 8; JC2 is in it (move_jc2)
ng=$HTTP_WORK/nginx
mkdir -p "$ng/log" "$ng/cache"
chmod 755 "$ng" "$ng/cache"        # nginx's workers run as nobody when the test runs as root

# ports: nginx and the two servers, fixed for the whole run (nginx's upstreams name them)
NG_PORT=$(http_free_port) || die "no free port"
NG_URL=http://127.0.0.1:$NG_PORT
declare -a TS_PORT TS_PID TS_URL
for n in 1 2; do
	while :; do
		p=$(http_free_port) || die "no free port"
		[ "$p" != "$NG_PORT" ] && [ "$p" != "${TS_PORT[1]:-}" ] && break
	done
	TS_PORT[$n]=$p
	TS_URL[$n]=http://127.0.0.1:$p
done

# ts_start N [ARGS...]: server N on its port, in front of nginx (README: --public-url, no
# per-address caps, s-maxage); its access log appended to ts$N.out
ts_start() {
	local n=$1 i code
	shift
	"$TAILINGS_TILESERVER" --listen "127.0.0.1:${TS_PORT[$n]}" --public-url "$NG_URL" --s-maxage-s 1 \
		--max-conns-per-ip 0 --max-streams-per-ip 0 --pool 4 "$@" \
		>>"$HTTP_WORK/ts$n.out" 2>>"$HTTP_WORK/ts$n.err" &
	TS_PID[$n]=$!
	HTTP_PIDS+=("${TS_PID[$n]}")
	for ((i = 0; i < 150; i++)); do
		kill -0 "${TS_PID[$n]}" 2>/dev/null || { cat "$HTTP_WORK/ts$n.err" >&2; die "server $n exited"; }
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "${TS_URL[$n]}/health") || true
		[ "$code" = 200 ] && return 0
		sleep 0.1
	done
	die "server $n not healthy after 15 s"
}
ts_stop() {   # ts_stop N
	kill -TERM "${TS_PID[$1]}" 2>/dev/null
	wait "${TS_PID[$1]}" 2>/dev/null
	TS_PID[$1]=
}

# via BASE_URL [CURL ARGS...] PATH: fetch from that base ($ST, $HDR, $BODY as fetch)
via() {
	local saved=$HTTP_URL
	HTTP_URL=$1
	shift
	fetch "$@"
	HTTP_URL=$saved
}
HTTP_URL=$NG_URL
cache_status() { hdr X-Cache-Status; }
etag_md5() { md5sum <"$BODY" | cut -d' ' -f1; }

echo "# docker/nginx.conf, rewritten for this test"
"$PY" - "$root/docker/nginx.conf" "$ng/nginx.conf" "$ng" "$NG_PORT" "${TS_PORT[1]}" "${TS_PORT[2]}" <<'PY' \
	|| die "docker/nginx.conf: the site lines are not as this test expects"
import re, sys
src, dst, ng, ngport, p1, p2 = sys.argv[1:]
# every line marked "# site:" must be rewritten by exactly one rule; nothing else is touched
rules = [
    (r"^(\s*pid )/var/run/nginx\.pid;", rf"\g<1>{ng}/nginx.pid;"),
    (r"^(\s*error_log )/var/log/nginx/", rf"\g<1>{ng}/log/"),
    (r"^(\s*access_log )/var/log/nginx/", rf"\g<1>{ng}/log/"),
    (r"^(\s*\w+_temp_path )/var/cache/nginx/", rf"\g<1>{ng}/cache/"),
    (r"^(\s*proxy_cache_path )/var/cache/nginx/", rf"\g<1>{ng}/cache/"),
    (r"^(\s*server )tileserver-1:7800", rf"\g<1>127.0.0.1:{p1}"),
    (r"^(\s*server )tileserver-2:7800", rf"\g<1>127.0.0.1:{p2}"),
    (r"^(\s*listen )8080;", rf"\g<1>127.0.0.1:{ngport};"),
]
out, hits, bad = [], [0] * len(rules), []
for line in open(src):
    if re.search(r"^[^#].*# site:", line):
        done = False
        for i, (pat, rep) in enumerate(rules):
            new, n = re.subn(pat, rep, line)
            if n:
                line, done = new, True
                hits[i] += 1
                break
        if not done:
            bad.append(line.strip())
    out.append(line)
text = "".join(out)
want = [1, 1, 1, 5, 1, 2, 2, 1]
if bad or hits != want or re.search(r"tileserver-\d|/var/", text):
    print("unrewritten:", bad, "rule hits:", hits, "want:", want, file=sys.stderr)
    sys.exit(1)
open(dst, "w").write(text)
PY
ok "every site line rewritten (pid, logs, temp and cache paths, the two servers twice, listen)"
check "nginx -t accepts it" "$nginx_bin" -t -q -p "$ng/" -c "$ng/nginx.conf" -e "$ng/log/error.log"

q -d "$db" -c "VACUUM ANALYZE" >/dev/null
for n in 1 2; do ts_start "$n" --db "$(http_conninfo "$db")"; done
"$nginx_bin" -p "$ng/" -c "$ng/nginx.conf" -e "$ng/log/error.log" -g 'daemon off;' &
NG_PID=$!
HTTP_PIDS+=("$NG_PID")
check "nginx answers /health from a server" wait_status /health 200 10
nglog=$ng/log/access.log

echo "# the servers' headers"
via "${TS_URL[1]}" "$T"
etag1=$(hdr ETag)
expect_eq "a current tile: public, max-age=0 (browsers revalidate), s-maxage=1 (a shared cache keeps it 1 s)" \
	"$ST | $(hdr Cache-Control) | $(hdr Vary)" "200 | public, max-age=0, s-maxage=1 | Accept-Encoding"
via "${TS_URL[2]}" "$T"
expect_eq "the other server: the same ETag for the same tile (either may revalidate it)" "$(hdr ETag)" "$etag1"
cp "$BODY" "$HTTP_WORK/direct.mvt"

echo "# through nginx: stored, revalidated, 304"
: >"$nglog"
fetch "$T"
expect_eq "first request: 200 from a server (MISS), the server's ETag" "$ST $(cache_status) $(hdr ETag)" "200 MISS $etag1"
check "... the server's bytes" cmp -s "$BODY" "$HTTP_WORK/direct.mvt"
fetch "$T"
expect_match "second: from nginx's store (HIT; REVALIDATED past its second on a loaded machine)" "$ST $(cache_status)" '^200 (HIT|REVALIDATED)$'
check "... the same bytes" cmp -s "$BODY" "$HTTP_WORK/direct.mvt"
fetch -H "If-None-Match: $etag1" "$T"
expect_match "a client's If-None-Match: 304 from nginx" "$ST $(cache_status)" '^304 (HIT|REVALIDATED)$'
fetch -H 'Accept-Encoding: gzip' "$T"
expect_eq "gzip: a variant of its own (Vary), the server's gzip ETag" "$ST $(hdr Content-Encoding) $(hdr ETag)" \
	"200 gzip ${etag1%\"}-gz\""
sleep 2.1   # s-maxage=1 has passed (nginx counts whole seconds)
fetch "$T"
expect_eq "once expired: revalidated (REVALIDATED), the same bytes" "$ST $(cache_status) $(etag_md5)" \
	"200 REVALIDATED $(md5sum <"$HTTP_WORK/direct.mvt" | cut -d' ' -f1)"
expect_match "... nginx asked with If-None-Match and the server said 304 (nginx's log)" \
	"$(grep -F "\"GET $T HTTP/1.1\"" "$nglog" | grep 'cache=REVALIDATED' | tail -1)" 'upstream_status=304 '

echo "# load balancing: each tile to one server; a burst of requests mostly from nginx's store"
# 40 tiles z12-z16 around the sample's ponds, each asked 10 times in turn over keep-alive
q -d "$db" -c "SELECT format('/tiles/all/%s/%s/%s.mvt', z, x, y) FROM (
	SELECT DISTINCT z, floor((ST_X(location) + 180) / 360 * 2 ^ z)::int AS x,
	       floor((1 - ln(tan(radians(ST_Y(location))) + 1 / cos(radians(ST_Y(location)))) / pi()) / 2 * 2 ^ z)::int AS y
	  FROM tailings.pond, generate_series(12, 16) AS z) t ORDER BY md5(z || '/' || x || '/' || y) LIMIT 40" \
	>"$HTTP_WORK/tiles.txt"
ntiles=$(wc -l <"$HTTP_WORK/tiles.txt")
check "40 distinct tiles" test "$ntiles" = 40
for n in 1 2; do before[$n]=$(wc -l <"$HTTP_WORK/ts$n.out"); done
: >"$nglog"
for pass in $(seq 10); do sed "s|.*|url = \"$NG_URL&?v=burst\"\noutput = /dev/null|" "$HTTP_WORK/tiles.txt"; done >"$HTTP_WORK/burst.conf"
codes=$(curl -s -w '%{http_code}\n' -K "$HTTP_WORK/burst.conf" | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}')
expect_match "400 answers, all 200 or 204" "$codes" '^(200:[0-9]+ )?(204:[0-9]+ )?$'
miss=$(grep -c 'v=burst.* cache=MISS ' "$nglog")
hit=$(grep -c 'v=burst.* cache=HIT ' "$nglog")
reval=$(grep -c 'v=burst.* cache=REVALIDATED ' "$nglog")
expect_eq "each tile made once (40 MISS); the other 360 from nginx's store (HIT $hit, REVALIDATED $reval)" \
	"$miss $((hit + reval))" "40 360"
echo "# hit ratio of the burst: $hit HIT of 400 ($(awk -v h="$hit" 'BEGIN {printf "%.0f", h / 4}') %), $reval revalidated"
seen=0
for n in 1 2; do
	tail -n +"$((before[$n] + 1))" "$HTTP_WORK/ts$n.out" | grep -o '"GET /tiles/[^"]*v=burst"' | sort >"$HTTP_WORK/burst.ts$n"
	got[$n]=$(wc -l <"$HTTP_WORK/burst.ts$n")
	seen=$((seen + got[$n]))
done
expect_eq "the servers saw only what nginx did not serve from its store (MISS + REVALIDATED)" "$seen" "$((miss + reval))"
check "both servers got tiles (${got[1]} and ${got[2]} requests)" test "${got[1]}" -gt 0 -a "${got[2]}" -gt 0
expect_eq "no tile went to both servers (consistent hashing by the tile's path)" \
	"$(sort -u "$HTTP_WORK/burst.ts1" | comm -12 - <(sort -u "$HTTP_WORK/burst.ts2") | wc -l)" 0

echo "# an edit through nginx, as the viewer sees it (v= the last change id)"
curl -sN --max-time 60 "$NG_URL/events" >"$HTTP_WORK/events.txt" &
events_pid=$!
wait_for "$HTTP_WORK/events.txt" '^event: hello' 10 || not_ok "the change stream through nginx says hello"
fetch "$T?v=0"
fetch "$T?v=0"
expect_match "before the edit, the viewer's tile (v=0) is in nginx's store" "$ST $(cache_status) $(etag_md5)" \
	"^200 (HIT|REVALIDATED) $(md5sum <"$HTTP_WORK/direct.mvt" | cut -d' ' -f1)\$"
move_jc2 "$db"
wait_for "$HTTP_WORK/events.txt" '^data: \{"id":' 10 || not_ok "the change reaches the stream through nginx (not buffered)"
change_id=$(sed -n 's/^data: {"id":\([0-9]*\),.*/\1/p' "$HTTP_WORK/events.txt" | tail -1)
kill "$events_pid" 2>/dev/null
wait "$events_pid" 2>/dev/null
new_md5=$(q -d "$db" -c "SELECT md5(tailings.tile(14, 12824, 6942))")
check "the edit changed the tile" test "$new_md5" != "$(md5sum <"$HTTP_WORK/direct.mvt" | cut -d' ' -f1)"
sleep 0.2   # the viewer's debounce
fetch "$T?v=$change_id"
expect_eq "v=$change_id (the change's id): at once the new tile, from a server (MISS)" \
	"$ST $(cache_status) $(etag_md5)" "200 MISS $new_md5"
fetch "$T?v=$change_id"
expect_match "... and for the next viewer, the new tile from nginx's store (HIT)" "$ST $(cache_status) $(etag_md5)" \
	"^200 (HIT|REVALIDATED) $new_md5\$"

echo "# an edit through nginx, a plain URL: old at most s-maxage after nginx stored it"
now_ms() { echo $(($(date +%s%N) / 1000000)); }
old_md5=$new_md5
# the tile after the next edit (JC2 another 0.0005 degree east), made in a transaction rolled back
move2="UPDATE tailings.element SET geom = ST_Translate(geom, 0.0005, 0) WHERE pond_id = 8 AND name = '地下水监视井 JC2'"
new_md5=$(q -d "$db" -c "BEGIN" -c "$move2" -c "SELECT md5(tailings.tile(14, 12824, 6942))" -c "ROLLBACK" | grep -E '^[0-9a-f]{32}$')
check "the next edit makes a third tile" test -n "$new_md5" -a "$new_md5" != "$old_md5"
# nginx's entry for the plain URL: the current (old) tile, stored anew just now
for ((i = 0; i < 40; i++)); do
	fetch "$T"
	[ "$(etag_md5)" = "$old_md5" ] && [ "$(cache_status)" != HIT ] && break
	sleep 0.1
done
stored_ms=$(now_ms)       # nginx stored it before this moment
fetch "$T"
expect_eq "the plain URL's tile in nginx's store, stored anew just now" "$ST $(cache_status) $(etag_md5)" "200 HIT $old_md5"
q -d "$db" -c "$move2"
log=$HTTP_WORK/race.txt
: >"$log"
for ((i = 0; i < 80; i++)); do     # every 50 ms for up to 4 s, or until both are new 1 s long
	for side in nginx s1 s2; do
		start=$(now_ms)
		case $side in nginx) fetch "$T" ;; s1) via "${TS_URL[1]}" "$T" ;; s2) via "${TS_URL[2]}" "$T" ;; esac
		m=$(etag_md5)
		state=other
		[ "$m" = "$old_md5" ] && state=old
		[ "$m" = "$new_md5" ] && state=new
		echo "$((start - stored_ms)) $side $ST $state $(cache_status)" >>"$log"
	done
	last_old=$(awk '$4 != "new" {t = $1} END {print t + 0}' "$log")
	[ "$(tail -1 "$log" | cut -d' ' -f1)" -gt $((last_old + 1000)) ] && [ "$(grep -c ' new' "$log")" -gt 0 ] && break
	sleep 0.05
done
direct_new=$(awk '$2 != "nginx" && $4 == "new" {print $1; exit}' "$log")
nginx_new=$(awk '$2 == "nginx" && $4 == "new" {print $1; exit}' "$log")
nginx_last_old=$(awk '$2 == "nginx" && $4 == "old" {t = $1} END {print t}' "$log")
echo "# ms after nginx stored the tile: the servers new from ${direct_new:-never}, nginx new from ${nginx_new:-never}, nginx's last old answer ${nginx_last_old:-none}"
expect_eq "every answer 200, old or new, none other" "$(awk '$3 != 200 || $4 == "other"' "$log" | wc -l)" 0
check "the servers gave the new tile" test -n "$direct_new"
check "nginx gave the new tile" test -n "$nginx_new"
expect_eq "the servers never old again once new" \
	"$(awk -v t="${direct_new:-0}" '$2 != "nginx" && $1 > t + 200 && $4 == "old"' "$log" | wc -l)" 0
expect_eq "nginx never old again once new" "$(awk -v t="${nginx_new:-0}" '$2 == "nginx" && $1 > t && $4 == "old"' "$log" | wc -l)" 0
check "nginx never old for a request made 2 s or more after it stored the tile (s-maxage=1, whole seconds)" \
	test "${nginx_last_old:-0}" -lt 2000
expect_eq "the old tile from nginx only from its store (HIT), never fetched anew" \
	"$(awk '$2 == "nginx" && $4 == "old" && $5 != "HIT"' "$log" | wc -l)" 0

echo "# a server stopped: its share comes from the other"
ts_stop 2
: >"$nglog"
sed "s|.*|url = \"$NG_URL&?v=failover\"\noutput = /dev/null|" "$HTTP_WORK/tiles.txt" >"$HTTP_WORK/failover.conf"
codes=$(curl -s -w '%{http_code}\n' -K "$HTTP_WORK/failover.conf" | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}')
expect_match "with server 2 stopped, all 40 tiles answered (200 or 204)" "$codes" '^(200:[0-9]+ )?(204:[0-9]+ )?$'
expect_eq "... all of them by server 1" \
	"$(grep 'v=failover' "$nglog" | grep -c "upstream=\(127.0.0.1:${TS_PORT[2]}, \)\?127.0.0.1:${TS_PORT[1]} ")" 40
ts_stop 1

echo "# --auth token: a member's tiles never shared, the public ones shared"
auth_members ngx
for n in 1 2; do
	ts_start "$n" --db "host=$PGHOST port=$PGPORT user=tailings_tileserver dbname=$db" --auth token \
		--anonymous-role ngx_anon
done
A="$AUTH_TILE?v=auth"   # 10/801/433: ponds 8, 9 and 11; each enterprise sees its own
for who in ENT8 ENT9; do
	var=TOKEN_$who
	via "${TS_URL[1]}" -H "Authorization: Bearer ${!var}" "$A"
	cp "$BODY" "$HTTP_WORK/ref_$who.mvt"
done
via "${TS_URL[2]}" "$A"
cp "$BODY" "$HTTP_WORK/ref_ANON.mvt"
expect_eq "references from the servers: the public tile, enterprise 8's and 9's all differ" \
	"$(md5sum "$HTTP_WORK"/ref_{ANON,ENT8,ENT9}.mvt | cut -d' ' -f1 | sort -u | wc -l)" 3
expect_eq "... the public tile: public, s-maxage, varies by Authorization" "$(hdr Cache-Control) | $(hdr Vary)" \
	"public, max-age=0, s-maxage=1 | Accept-Encoding, Authorization"
as "$TOKEN_ENT8" /api/whoami
expect_match "Authorization passes through nginx (/api/whoami)" "$ST $(cat "$BODY")" '^200 .*"role" ?: ?"ngx_ent8"'
as "" "$A"
as "" "$A"
expect_match "the public tile: shared (HIT, or REVALIDATED past its second), the public bytes" "$ST $(cache_status) $(etag_md5)" \
	"^200 (HIT|REVALIDATED) $(md5sum <"$HTTP_WORK/ref_ANON.mvt" | cut -d' ' -f1)\$"
for who in ENT8 ENT9 ENT8; do
	var=TOKEN_$who
	as "${!var}" "$A"
	expect_eq "enterprise ${who#ENT} through nginx: its own tile, not from the store (BYPASS), private" \
		"$ST $(cache_status) $(hdr Cache-Control) $(etag_md5)" \
		"200 BYPASS private, no-cache $(md5sum <"$HTTP_WORK/ref_$who.mvt" | cut -d' ' -f1)"
done
as "$TOKEN_ENT9" -H "If-None-Match: $(as "" "$A"; hdr ETag)" "$A"
expect_eq "enterprise 9 with the public tile's ETag: 200, its own tile" "$ST $(etag_md5)" \
	"200 $(md5sum <"$HTTP_WORK/ref_ENT9.mvt" | cut -d' ' -f1)"
as "" "$A"
# from the store: HIT, or REVALIDATED when its second (s-maxage) has passed on a loaded machine (the
# server's 304 to the stored entry's ETag, which a member's tile would not have)
expect_match "the public tile again: from the store, still the public bytes (no member's tile went into it)" \
	"$ST $(cache_status) $(etag_md5)" "^200 (HIT|REVALIDATED) $(md5sum <"$HTTP_WORK/ref_ANON.mvt" | cut -d' ' -f1)\$"
as "tl_not_a_token" "$A"
expect_eq "a bad token: 401 from the server, not the public tile" "$ST $(cache_status)" "401 BYPASS"

kill -TERM "$NG_PID" 2>/dev/null
wait "$NG_PID" 2>/dev/null
expect_eq "nothing above a warning in nginx's error log but the stopped server's refusals" \
	"$(grep -vE '\[(warn|notice|info)\]' "$ng/log/error.log" | grep -v "(111: Connection refused) while connecting to upstream.*127.0.0.1:${TS_PORT[2]}" | grep -c .)" 0
suite_end
