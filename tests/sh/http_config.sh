#!/usr/bin/env bash
# tailings-tileserver's configuration: --help, invalid values (exit 2 and one
# line on stderr), and the precedence flags > environment > config file, seen
# in a running server.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
suite_begin http_config_db
conninfo=$(http_conninfo "$db")

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
suite_end
