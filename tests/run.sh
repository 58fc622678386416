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

# the sample database the sample, dump and server suites read
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

echo "== pg_regress suites"
regress_tests=$(for t in $(ls tests/regress/sql/*.sql | xargs -n1 basename | sed 's/\.sql$//' | sort); do
	wanted "$t" && echo "$t"; done)
# order matters: sample reads the database loaded above; the others use their own
mkdir -p "$work/regress"
[ -n "$regress_tests" ] && PG_ABS_SRCDIR=$root/tests/regress PG_ABS_BUILDDIR=$work/regress \
"$PG_REGRESS" \
	--bindir="$PGBIN" --inputdir=tests/regress --outputdir="$work/regress" \
	--host="$PGHOST" --port="$PGPORT" --user=postgres --dbname=tailings_regress \
	--load-extension=postgis --load-extension=tailings \
	$regress_tests >"$work/regress/pg_regress.log" 2>&1
grep -E '^(test|     ) |^ok|^not ok' "$work/regress/pg_regress.log" | grep -E '\.\.\. ' || true
r_ok=$(grep -cE '\.\.\. ok' "$work/regress/pg_regress.log" 2>/dev/null)
r_fail=$(grep -cE '\.\.\. FAILED|\.\.\. failed' "$work/regress/pg_regress.log" 2>/dev/null)
if [ -n "$regress_tests" ] && [ "$r_ok" = 0 ] && [ "$r_fail" = 0 ]; then
	cat "$work/regress/pg_regress.log"
	r_fail=1
fi
passed=$((passed + r_ok))
failed=$((failed + r_fail))
if [ "$r_fail" != 0 ] && [ -f "$work/regress/regression.diffs" ]; then
	head -150 "$work/regress/regression.diffs"
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
