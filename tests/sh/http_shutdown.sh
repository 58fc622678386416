#!/usr/bin/env bash
# tailings-tileserver's graceful shutdown: after SIGTERM it stops accepting
# connections, answers the request in flight (a tile held up by a lock), then
# exits 0 by itself with its port closed and no errors on stderr.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
suite_begin http_shutdown_db
suite_server shutdown --pool 4

echo "# graceful shutdown"
S=/tiles/all/12/3206/1735.mvt
check "the element table locked" db_lock "$db" tailings.element
curl -s -o "$HTTP_WORK/inflight.mvt" -w '%{http_code}' --max-time 20 "$HTTP_URL$S" >"$HTTP_WORK/inflight.status" &
curl_pid=$!
wait_until 5 metric_is tailings_db_pool_busy -ge 1
expect_eq "a tile request in flight" "$(metric tailings_db_pool_busy)" 1
pid=$HTTP_PID
kill -TERM "$pid"
sleep 0.5
check "after SIGTERM: still running while a request is in flight" kill -0 "$pid"
check "after SIGTERM: no longer accepting connections" eval '! http_port_open "$HTTP_PORT"'
check "the lock released" db_unlock
wait "$curl_pid"
expect_eq "the request in flight answered 200" "$(cat "$HTTP_WORK/inflight.status")" 200
check "the request in flight: a valid tile" mvt_ok "$HTTP_WORK/inflight.mvt"
check "the server exited by itself once the request was answered" gone "$pid" 10
http_stop 10
expect_eq "SIGTERM: exit status 0" "$HTTP_RC" 0
check "the port is closed" eval '! http_port_open "$HTTP_PORT"'
check "stderr: no tile errors" eval '! grep -qiE "^tile |error" "$HTTP_ERR"'
suite_end
