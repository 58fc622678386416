# What tests/run.sh reads from a pg_regress run; source it.  Only the summary line and
# regression.diffs are read, not the per-test lines, whose format changed in PostgreSQL 16 (TAP).
#
#   pg_regress_summary LOG      "PASSED FAILED" from pg_regress's summary line; status 1 when
#                               the log has none (pg_regress stopped before it)
#   pg_regress_failed DIFFS     the tests regression.diffs holds a difference for, one a line
#
# The summary lines, PostgreSQL 15 (between lines of "="; each with a space either side):
#   All 15 tests passed.
#   2 of 15 tests failed.
#   14 of 15 tests passed, 1 failed test(s) ignored.
#   2 of 15 tests failed, 1 of these failures ignored.
# PostgreSQL 16 and later, as TAP comments (the passed line on stdout, the others on stderr):
#   # All 15 tests passed.
#   # 2 of 15 tests failed.
# A failure the schedule ignores counts as neither passed nor failed.

pg_regress_summary() {
	local line passed= failed=
	local all='^[# ]*All ([0-9]+) tests passed\.'
	local some_failed='^[# ]*([0-9]+) of ([0-9]+) tests failed(, ([0-9]+) of these failures ignored)?\.'
	local ignored='^[# ]*([0-9]+) of ([0-9]+) tests passed, ([0-9]+) failed test\(s\) ignored\.'
	while IFS= read -r line; do
		if [[ $line =~ $all ]]; then
			passed=${BASH_REMATCH[1]} failed=0
		elif [[ $line =~ $some_failed ]]; then
			passed=$((BASH_REMATCH[2] - BASH_REMATCH[1]))
			failed=$((BASH_REMATCH[1] - ${BASH_REMATCH[4]:-0}))
		elif [[ $line =~ $ignored ]]; then
			passed=${BASH_REMATCH[1]} failed=0
		fi
	done <"$1"
	[ -n "$passed" ] || return 1
	echo "$passed $failed"
}

pg_regress_failed() {
	[ -f "$1" ] || return 0
	sed -n 's#^diff .* [^ ]*/results/\([^/ ]*\)\.out$#\1#p' "$1"
}
