#!/usr/bin/env bash
# HTTP hygiene of tailings-tileserver, each attack reproduced:
#  - static files: a symbolic link in --www to /etc/passwd (and a linked
#    directory) is not followed; a FIFO there does not freeze the event loop
#  - Host: a name the server does not answer for is 400 on every endpoint
#    (DNS rebinding, poisoned URLs in style.json and TileJSON); the listen
#    address, its loopback names and --server-name names are answered;
#    --public-url makes every absolute URL and ignores the headers;
#    X-Forwarded-Proto is not read
#  - an ambiguous message length (two Content-Length, Transfer-Encoding with
#    Content-Length, a length that is not a number) is 400, connection closed
# With TAILINGS_TILESERVER set to an older binary, flags it does not know are
# left out, so the same attacks run against it.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/http.sh"
db=http_hygiene_db
trap 'http_cleanup; kill $(jobs -p) 2>/dev/null' EXIT
trap 'exit 1' INT TERM HUP

dropdb --if-exists "$db" || die "dropdb"
createdb -T tailings_sample "$db" || die "createdb"
conninfo=$(http_conninfo "$db")

www=$HTTP_WORK/hy-www
rm -rf "$www"
mkdir -p "$www/sub"
printf '<!doctype html><title>hygiene</title>\n' >"$www/index.html"
printf 'inside\n' >"$www/sub/a.txt"
ln -s /etc/passwd "$www/passwd.txt"
ln -s /etc "$www/etc"
ln -s sub "$www/sublink"
mkfifo "$www/fifo.txt"

# shellcheck disable=SC2046
http_start hygiene --db "$conninfo" --www "$www" --pool 2 $(opt server-name maps.example.org)
http_wait_health || die "the server did not start"

echo "# static files"
fetch /sub/a.txt
expect_eq "a regular file inside --www" "$ST $(cat "$BODY")" "200 inside"
fetch /passwd.txt
expect_eq "a symbolic link to /etc/passwd: 404" "$ST" 404
check "... /etc/passwd not served" eval '! grep -q "root:" "$BODY"'
fetch /etc/passwd
expect_eq "a linked directory: 404" "$ST" 404
fetch /sublink/a.txt
expect_eq "a link inside --www is not followed either: 404" "$ST" 404
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$HTTP_URL/fifo.txt" || true)
expect_eq "a FIFO: 404 at once" "$code" 404
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$HTTP_URL/health" || true)
expect_eq "... and the event loop still runs" "$code" 200
# (an old server is stuck in open(): a writer lets it go; opening the FIFO waits for a reader: bounded)
timeout 2 bash -c 'exec 3>"$1"' _ "$www/fifo.txt" 2>/dev/null || true

echo "# Host"
for p in /health /style.json /tiles/all.json /api/ponds /tiles/all/14/12824/6942.mvt /index.html /events /metrics; do
	code=$(curl -s -o "$BODY" -w '%{http_code}' --max-time 5 -H 'Host: rebind.attacker.example' "$HTTP_URL$p" || true)
	expect_eq "Host rebind.attacker.example: $p is 400, a JSON error" \
		"$code $(json_q "$BODY" 'd["status"]' 2>/dev/null)" "400 400"
done
for h in "127.0.0.1:$HTTP_PORT" "localhost:$HTTP_PORT" "[::1]:$HTTP_PORT" 127.0.0.1 LOCALHOST maps.example.org \
	maps.example.org:443; do
	fetch -H "Host: $h" /health
	expect_eq "Host $h: 200" "$ST" 200
done
for h in "127.0.0.1:1" "maps.example.org.evil.example" "127.0.0.2:$HTTP_PORT"; do
	fetch -H "Host: $h" /health
	expect_eq "Host $h: 400" "$ST" 400
done
fetch -H 'Host: maps.example.org' /style.json
expect_eq "style.json: URLs of a --server-name" "$(json_q "$BODY" 'd["sources"]["tailings"]["url"]')" \
	"http://maps.example.org/tiles/all.json"
fetch -H 'Host: maps.example.org' -H 'X-Forwarded-Proto: https' /tiles/all.json
expect_eq "X-Forwarded-Proto is not read" "$(json_q "$BODY" 'd["tiles"][0]')" \
	"http://maps.example.org/tiles/all/{z}/{x}/{y}.mvt"

echo "# message length"
raw() {   # raw REQUEST: the first status line and whether the connection was closed after one answer
	printf "$1" | raw_http 3 >"$HTTP_WORK/hy.raw" || true
	echo "$(head -1 "$HTTP_WORK/hy.raw" | tr -d '\r' | cut -d' ' -f2) $(grep -c '^HTTP/1' "$HTTP_WORK/hy.raw")"
}
expect_eq "two Content-Length: 400, the smuggled request not answered" \
	"$(raw 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nContent-Length: 45\r\n\r\nGET /api/ponds HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')" "400 1"
expect_eq "Transfer-Encoding beside Content-Length: 400" \
	"$(raw 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')" "400 1"
expect_eq "a Content-Length that is not a number (HEAD): 400" \
	"$(raw 'HEAD /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1x\r\nConnection: close\r\n\r\n')" "400 1"
expect_eq "a transfer coding other than chunked: 400" \
	"$(raw 'HEAD /health HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n')" "400 1"
expect_eq "one Content-Length: answered" \
	"$(raw 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')" "200 1"
http_stop 15

echo "# --public-url"
# shellcheck disable=SC2046
http_start public --db "$conninfo" --pool 2 $(opt public-url https://maps.example.org/one-map/)
http_wait_health || die "the server did not start"
fetch -H 'Host: evil.example' -H 'X-Forwarded-Proto: http' /style.json
expect_eq "style.json: every URL from --public-url, whatever Host says" \
	"$(json_q "$BODY" '[d["sprite"], d["sources"]["tailings"]["url"]]' 2>/dev/null)" \
	'["https://maps.example.org/one-map/sprite", "https://maps.example.org/one-map/tiles/all.json"]'
fetch -H 'Host: evil.example' /tiles/ponds.json
expect_eq "TileJSON too" "$(json_q "$BODY" 'd["tiles"][0]' 2>/dev/null)" \
	"https://maps.example.org/one-map/tiles/ponds/{z}/{x}/{y}.mvt"
http_stop 15
if knows public-url; then
	out=$(TAILINGS_PUBLIC_URL='javascript:alert(1)' "$TAILINGS_TILESERVER" --db x 2>&1)
	rc=$?
	expect_eq "a bad TAILINGS_PUBLIC_URL: exit 2, one line" "$rc $(echo "$out" | wc -l)" "2 1"
	out=$("$TAILINGS_TILESERVER" --db x --public-url 'https://x.example/"><' 2>&1)
	expect_eq "a --public-url with quotes: exit 2" "$?" 2
	out=$("$TAILINGS_TILESERVER" --db x --server-name 'a b"c' 2>&1)
	expect_eq "a bad --server-name: exit 2" "$?" 2
else
	not_ok "--public-url is not a flag of this binary"
fi

dropdb --if-exists "$db"
http_finish
