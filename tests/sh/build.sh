#!/usr/bin/env bash
# The build installs nothing and fails clearly when a package is missing; the one package list
# (scripts/deps.sh) installs for make run and make test; -Werror only with WERROR=1.
# apt-get, sudo and dpkg-query are replaced by stubs that log their calls: nothing is installed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/http.sh"
root=$http_root
cd "$root"
# not the make test around us: its flags (WERROR=1, the job server) would leak into these makes
unset MAKEFLAGS MAKELEVEL MFLAGS WERROR
work=$(mktemp -d "${TAILINGS_TEST_WORK:-/tmp}/build.XXXXXX")
trap '[ "${KEEP:-}" ] || rm -rf "$work"' EXIT
log=$work/calls.log
: >"$log"
stubs=$work/stubs
mkdir -p "$stubs"
cat >"$stubs/apt-get" <<EOF
#!/bin/sh
echo "apt-get \$*" >>"$log"
EOF
cat >"$stubs/sudo" <<EOF
#!/bin/sh
echo "sudo \$*" >>"$log"
exec "\$@"
EOF
# dpkg knows of no package: every one is missing
cat >"$stubs/dpkg-query" <<'EOF'
#!/bin/sh
exit 1
EOF
chmod +x "$stubs"/*

echo "# scripts/deps.sh installs the one list"
PATH=$stubs:$PATH scripts/deps.sh >"$work/deps.out" 2>&1
install=$(grep '^apt-get install' "$log")
for p in postgresql-15-postgis-3 postgresql-server-dev-15 protobuf-c-compiler libfreetype-dev fonts-noto-cjk libevent-dev; do
	check "make run's packages include $p" grep -qw -- "$p" <<<"$install"
done
check "... and not the test packages (chromium)" bash -c '! grep -qw chromium <<<"$1"' _ "$install"
check "... nor nodejs, since node is there" bash -c '! grep -qw nodejs <<<"$1"' _ "$install"
: >"$log"
PATH=$stubs:$PATH scripts/deps.sh test >"$work/deps_test.out" 2>&1
install=$(grep '^apt-get install' "$log")
for p in chromium valgrind poppler-utils python3-qgis gdal-bin postgresql-15-postgis-3; do
	check "make test's packages include $p" grep -qw -- "$p" <<<"$install"
done

echo "# scripts/deps.sh --check installs nothing and names what is missing"
# a PATH with the commands the check uses, but no protoc-c
bin=$work/bin
mkdir -p "$bin"
for c in bash sed cc make pkg-config node npm pg_config dirname; do
	p=$(command -v "$c") && ln -s "$p" "$bin/$c"
done
ln -s "$stubs/apt-get" "$bin/apt-get"
ln -s "$stubs/sudo" "$bin/sudo"
: >"$log"
# Debian's /usr/bin/pg_config is a wrapper needing more commands: the real one
real_pg_config=$(pg_config --bindir)/pg_config
PATH=$bin PG_CONFIG=$real_pg_config scripts/deps.sh --check >/dev/null 2>"$work/check.err"
expect_eq "without protoc-c the check fails (exit status)" "$?" 1
check "... naming protoc-c" grep -q 'protoc-c' "$work/check.err"
check "... and its Debian package" grep -q 'protobuf-c-compiler' "$work/check.err"
check "... and the script that installs it" grep -q 'scripts/deps.sh' "$work/check.err"
check "... and reports nothing else missing" bash -c '[ "$(grep -c "Debian package" "$1")" = 1 ]' _ "$work/check.err"
scripts/deps.sh --check 2>"$work/check_all.err"
expect_eq "the check passes on this machine (exit status)" "$?" 0
expect_eq "... silently" "$(cat "$work/check_all.err")" ""

echo "# a plain make on a machine that lacks a package: a message, no apt-get, nothing built"
: >"$log"
PATH=$stubs:$PATH make --no-print-directory FONT_FILE=/nonexistent/NotoSansCJK-Regular.ttc \
	>"$work/make.out" 2>"$work/make.err"
rc=$?
check "make fails (exit status $rc)" test "$rc" != 0
check "... naming the font and its package" grep -q 'fonts-noto-cjk' "$work/make.err"
check "... and scripts/deps.sh" grep -q 'scripts/deps.sh' "$work/make.err"
expect_eq "... without calling apt-get or sudo" "$(cat "$log")" ""
check "... before compiling anything" bash -c '! grep -qE "(^| )(cc|gcc) " "$1" "$2"' _ "$work/make.out" "$work/make.err"

echo "# make's recipes: build, test and run (SUDO= : a dry run asks sudo nothing)"
make -n -B >"$work/n_all.out" 2>&1
check "make checks with scripts/deps.sh --check" grep -q 'scripts/deps.sh --check' "$work/n_all.out"
check "... and installs nothing (no apt-get, no deps.sh without --check)" \
	bash -c '! grep -E "apt-get|deps\.sh( test)?$" "$1"' _ "$work/n_all.out"
make -n test SUDO= >"$work/n_test.out" 2>&1
check "make test installs with scripts/deps.sh test" grep -qx 'scripts/deps.sh test' "$work/n_test.out"
check "... builds with WERROR=1" grep -q 'WERROR=1' "$work/n_test.out"
check "... and runs tests/run.sh" grep -qx 'tests/run.sh' "$work/n_test.out"
make -n run SUDO= >"$work/n_run.out" 2>&1
check "make run installs with scripts/deps.sh" grep -qx 'scripts/deps.sh' "$work/n_run.out"
check "... and runs scripts/run.sh" grep -qx 'scripts/run.sh' "$work/n_run.out"
check ".ci/run installs with scripts/deps.sh test" grep -qx 'scripts/deps.sh test' .ci/run

echo "# -Werror with WERROR=1 only"
werror() {   # werror ARGS...: how many compiler lines of make -n -B ARGS carry -Werror (not -Werror=...)
	make -n -B "$@" 2>&1 | grep -cE -- '-Werror( |$)'
}
expect_eq "tileserver: no -Werror by default" "$(werror -C tileserver build/server.o build/tailings-glyphs)" 0
expect_eq "tileserver: -Werror with WERROR=1 (a server file, tools/glyphs.c)" \
	"$(werror -C tileserver build/server.o build/tailings-glyphs WERROR=1)" 2
expect_eq "extension: no -Werror by default" "$(werror -C extension src/geo.o)" 0
expect_eq "extension: -Werror with WERROR=1" "$(werror -C extension src/geo.o WERROR=1)" 1
expect_eq "... or WERROR=1 in the environment" "$(WERROR=1 werror -C extension src/geo.o)" 1
make -n -B WERROR=1 2>&1 | grep -E -- '-Werror( |$)' >"$work/n_werror.out"
check "make WERROR=1 passes it to extension/" grep -q -- '-c -o src/geo.o' "$work/n_werror.out"
check "... and to tileserver/" grep -q -- '-c -o build/server.o' "$work/n_werror.out"

echo "# scripts that are not tests live outside tests/"
check "Makefile, .ci/run, bench/ and docker/ call nothing in tests/lib" \
	bash -c '! grep -n "tests/lib" Makefile .ci/run bench/*.sh docker/*'
http_finish
