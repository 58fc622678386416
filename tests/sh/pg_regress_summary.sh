#!/usr/bin/env bash
# tests/run.sh's reading of a pg_regress run (tests/lib/pg_regress.sh) on canned outputs of
# PostgreSQL 15 (per-test lines "test x ... ok", a framed summary) and 16 and later (TAP: "ok 1 - x",
# the summary as a "#" comment): the tally comes from the summary line, the failed tests from
# regression.diffs, whatever the per-test format.
set -u
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TAILINGS_TEST_WORK:-/tmp}/pg_regress_summary.XXXXXX")
trap 'rm -rf "$work"' EXIT
TAILINGS_TEST_WORK=${TAILINGS_TEST_WORK:-$work}
. "$here/../lib/http.sh"
. "$here/../lib/pg_regress.sh"

tally() {   # tally DESC WANT: pg_regress_summary of $work/log
	local got
	got=$(pg_regress_summary "$work/log") || got="no summary"
	expect_eq "$1" "$got" "$2"
}

echo "# PostgreSQL 15"
cat >"$work/log" <<'EOF'
============== dropping database "contrib_regression" ==============
SET
DROP DATABASE
============== creating database "contrib_regression" ==============
CREATE DATABASE
ALTER DATABASE
============== installing postgis                     ==============
CREATE EXTENSION
============== running regression test queries        ==============
test catalog                      ... ok           16 ms
test completeness                 ... ok          931 ms
test tables                       ... ok          419 ms

=====================
 All 3 tests passed. 
=====================

EOF
tally "all passed" "3 0"
cat >"$work/log" <<'EOF'
============== running regression test queries        ==============
test catalog                      ... ok           24 ms
test tables                       ... FAILED       46 ms
test timetravel                   ... FAILED       82 ms
test types                        ... ok           34 ms

========================
 2 of 4 tests failed. 
========================

The differences that caused some tests to fail can be viewed in the
file "/tmp/x/regression.diffs".  A copy of the test summary that you see
above is saved in the file "/tmp/x/regression.out".

EOF
tally "some failed" "2 2"
printf '%s\n' 'test a ... ok' 'test b ... failed (ignored)' '' \
	' 1 of 2 tests passed, 1 failed test(s) ignored. ' >"$work/log"
tally "a failure the schedule ignores is no failure" "1 0"
printf '%s\n' 'test a ... FAILED' 'test b ... failed (ignored)' 'test c ... ok' '' \
	' 2 of 3 tests failed, 1 of these failures ignored. ' >"$work/log"
tally "... nor a pass" "1 1"

echo "# PostgreSQL 16 and later: TAP"
cat >"$work/log" <<'EOF'
# using postmaster on /tmp/x/sock, port 5432
ok 1         - catalog                                    16 ms
ok 2         - completeness                              931 ms
ok 3         - tables                                    419 ms
1..3
# All 3 tests passed.
EOF
tally "all passed" "3 0"
cat >"$work/log" <<'EOF'
# using postmaster on /tmp/x/sock, port 5432
ok 1         - catalog                                    24 ms
not ok 2     - tables                                     46 ms
not ok 3     - timetravel                                 82 ms
ok 4         - types                                      34 ms
1..4
# 2 of 4 tests failed.
# The differences that caused some tests to fail can be viewed in the file "/tmp/x/regression.diffs".
# A copy of the test summary that you see above is saved in the file "/tmp/x/regression.out".
EOF
tally "some failed" "2 2"

echo "# no summary: pg_regress stopped before it"
printf '%s\n' '============== running regression test queries        ==============' \
	'test catalog                      ... ok           16 ms' >"$work/log"
tally "15, cut short" "no summary"
printf '%s\n' '# using postmaster on /tmp/x/sock, port 5432' \
	'Bail out!# command failed: "psql" -X -q -c "CREATE DATABASE x"' >"$work/log"
tally "16, bailed out" "no summary"
# a test's own output that looks like a summary is not one
printf '%s\n' 'test a ... ok' '-- All 9 tests passed.' >"$work/log"
tally "a line quoting a summary" "no summary"

echo "# the failed tests, from regression.diffs (the same in 15 and 16)"
cat >"$work/regression.diffs" <<'EOF'
diff -U3 /src/tests/regress/expected/tables.out /tmp/x/results/tables.out
--- /src/tests/regress/expected/tables.out	2026-11-30 06:28:43.404804871 +0000
+++ /tmp/x/results/tables.out	2026-11-30 06:30:28.360182064 +0000
@@ -69,7 +69,7 @@
-  1 | T-1  | in_use | POINT(102.1 26.9) | {}
+  6 | T-1  | in_use | POINT(102.1 26.9) | {}
diff -U3 /src/tests/regress/expected/tracking_security.out /tmp/x/results/tracking_security.out
--- /src/tests/regress/expected/tracking_security.out	2026-11-30 06:28:43.404804871 +0000
+++ /tmp/x/results/tracking_security.out	2026-11-30 06:30:28.360182064 +0000
@@ -43,7 +43,7 @@
-diff of a line that quotes /results/x.out
EOF
expect_eq "failed tests" "$(pg_regress_failed "$work/regression.diffs" | tr '\n' ' ')" "tables tracking_security "
expect_eq "none without regression.diffs" "$(pg_regress_failed "$work/none")" ""

http_finish
