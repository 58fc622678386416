#!/usr/bin/env bash
# make test: every suite against a throwaway PostgreSQL cluster.
# Ends with one line "N passed, N failed"; exits non-zero on any failure.
#   tests/run.sh [--keep] [SUITE...]
#       --keep leaves the cluster and outputs in place; SUITE names (a pg_regress
#       suite, test_units, or a tests/sh script without .sh) run only those
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
keep=0
[ "${1:-}" = "--keep" ] && { keep=1; shift; }
only=" $* "
wanted() { [ "$only" = "  " ] || [[ $only == *" $1 "* ]]; }

PGBIN=$(pg_config --bindir)
PG_REGRESS=$(pg_config --pkglibdir)/pgxs/src/test/regress/pg_regress
work=$(mktemp -d "${TMPDIR:-/tmp}/tailings-test.XXXXXX")
chmod 755 "$work"
export TAILINGS_TEST_WORK=$work

# a free port for the cluster
port=
for p in $(shuf -i 20000-32000 -n 20); do
	if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && [ ! -e "/tmp/.s.PGSQL.$p" ]; then port=$p; break; fi
done
[ -n "$port" ] || { echo "no free port found" >&2; exit 1; }

cleanup() {
	scripts/cluster.sh stop "$work/pg"
	if [ $keep = 0 ] && [ "$failed" = 0 ]; then rm -rf "$work"; else echo "outputs kept in $work"; fi
}
passed=0
failed=0
trap cleanup EXIT

echo "== starting a throwaway cluster on port $port"
scripts/cluster.sh start "$work/pg" "$port" || { echo "0 passed, 1 failed"; failed=1; exit 1; }
export PGHOST=$work/pg/sock PGPORT=$port PGUSER=postgres PGDATABASE=postgres
export PGOPTIONS="-c client_min_messages=warning"
export TAILINGS_MVTCHECK=$root/tileserver/build/tailings-mvtcheck
export TAILINGS_TILESERVER=${TAILINGS_TILESERVER:-$root/tileserver/build/tailings-tileserver}

# the sample database the shell suites copy or read (the pg_regress suites load their own)
shell_suites=$(for t in tests/sh/*.sh; do t=$(basename "$t" .sh); wanted "$t" && echo "$t"; done)
if [ -n "$shell_suites" ]; then
	echo "== loading the Panzhihua sample"
	if createdb tailings_sample \
		&& psql -X -q -v ON_ERROR_STOP=1 -d tailings_sample -c 'CREATE EXTENSION tailings CASCADE' \
		&& psql -X -q -v ON_ERROR_STOP=1 -d tailings_sample -f sql/sample/panzhihua.sql; then
		echo "ok - sample loads"
		passed=$((passed + 1))
	else
		echo "FAILED - sample loads"
		failed=$((failed + 1))
	fi
fi

echo "== pg_regress suites"
# the list of make installcheck (extension/Makefile's REGRESS), each suite counted once; the
# tally is read from pg_regress's summary line, the failed suites from regression.diffs
. tests/lib/pg_regress.sh
all_regress=$(make -s --no-print-directory -C extension print-regress) && [ -n "$all_regress" ] \
	|| { echo "FAILED - the list of pg_regress suites (make -C extension print-regress)"; failed=$((failed + 1)); }
regress_tests=$(for t in $all_regress; do wanted "$t" && echo "$t"; done)
if [ -n "$regress_tests" ]; then
	mkdir -p "$work/regress"
	"$PG_REGRESS" \
		--bindir="$PGBIN" --inputdir=tests/regress --outputdir="$work/regress" \
		--host="$PGHOST" --port="$PGPORT" --user=postgres --dbname=tailings_regress \
		--load-extension=postgis --load-extension=tailings \
		$regress_tests >"$work/regress/pg_regress.log" 2>&1
	if tally=$(pg_regress_summary "$work/regress/pg_regress.log") \
		&& [ $((${tally% *} + ${tally#* })) = $(wc -w <<<"$regress_tests") ]; then
		failed_tests=" $(pg_regress_failed "$work/regress/regression.diffs" | tr '\n' ' ') "
		for t in $regress_tests; do
			if [[ $failed_tests == *" $t "* ]]; then echo "FAILED - $t"; else echo "ok - $t"; fi
		done
		echo "pg_regress: ${tally% *} passed, ${tally#* } failed"
		passed=$((passed + ${tally% *}))
		failed=$((failed + ${tally#* }))
	else
		# no summary, or not every suite ran: pg_regress stopped short
		cat "$work/regress/pg_regress.log"
		echo "FAILED - pg_regress did not run every suite"
		failed=$((failed + 1))
	fi
	if [ -s "$work/regress/regression.diffs" ]; then
		head -150 "$work/regress/regression.diffs"
	fi
fi

echo "== C unit tests (tile server: paths, configuration, tile bounds, cache), plain and with ASan/UBSan"
for t in test_units test_units_asan; do
	wanted test_units || continue
	if "tileserver/build/$t" >"$work/$t.log" 2>&1; then
		echo "ok - $t ($(grep -c '^ok' "$work/$t.log") checks)"
		passed=$((passed + 1))
	else
		grep '^not ok' "$work/$t.log" || tail -20 "$work/$t.log"
		echo "FAILED - $t"
		failed=$((failed + 1))
	fi
done

echo "== shell suites"
for t in tests/sh/*.sh; do
	name=$(basename "$t" .sh)
	wanted "$name" || continue
	if bash "$t" >"$work/$name.log" 2>&1; then
		echo "ok - $name"
		passed=$((passed + 1))
	else
		echo "FAILED - $name (log: $work/$name.log)"
		tail -30 "$work/$name.log"
		failed=$((failed + 1))
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
