#!/usr/bin/env bash
# HTTP itself in tailings-tileserver: methods (405 and Allow), CORS and
# OPTIONS, URI and header limits (414, 4xx), HEAD (GET's status and headers, no
# body), and static files from --www (index, ETag and 304, gzip copies, no way
# out of the directory, hidden files, encoded NULs).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
suite_begin http_protocol_db
T=/tiles/all/14/12824/6942.mvt     # pond 8, 龙佰丰源牛场坪尾矿库
www=$HTTP_WORK/www
rm -rf "$www"
mkdir -p "$www/sub/dir"
printf '<!doctype html><title>Tailings One-Map</title>\n' >"$www/index.html"
printf 'console.log("app");\n' >"$www/app.js"
printf '<p>sub</p>\n' >"$www/sub/index.html"
printf 'secret\n' >"$www/.secret"
printf 'outside the www directory\n' >"$HTTP_WORK/outside.txt"
suite_server protocol --www "$www" --pool 4 --server-name maps.example.org

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

suite_end
