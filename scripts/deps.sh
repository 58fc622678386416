#!/usr/bin/env bash
# What the build, `make run` and `make test` need, in one list (the table below).
#   scripts/deps.sh           installs the Debian packages the build and `make run` need, when
#                             they are missing (make run runs it)
#   scripts/deps.sh test      also what `make test` needs (make test and .ci/run run it)
#   scripts/deps.sh --check   installs nothing: checks that what the build needs is there (by
#                             its command, pkg-config module or file, so a build on another
#                             system passes too); names what is missing and exits 1 (make runs it)
# The build needs FreeType and fonts-noto-cjk (the map's glyph ranges are made from Noto Sans
# CJK at build time, FONT_FILE) and node and npm (the viewer's MapLibre GL JS comes from the
# npm registry); make test also needs Chromium for the browser tests, valgrind, Python,
# poppler-utils for the printed sheet, QGIS's Python bindings and GDAL for
# tests/sh/qgis_style.sh, GDAL and jq for tests/sh/import_ogr.sh, nginx for tests/sh/nginx_cache.sh,
# PyYAML for tests/sh/compose_check.sh.  Root installs directly; other users through sudo.
set -euo pipefail

# Debian package           for    installed when     the build's check (--check)
table='
gcc                        build  dpkg               cmd  cc
make                       build  dpkg               cmd  make
pkg-config                 build  dpkg               cmd  pkg-config
postgresql-server-dev-15   build  dpkg               pgxs
libpq-dev                  build  dpkg               pc   libpq postgresql/libpq-fe.h
libprotobuf-c-dev          build  dpkg               pc   libprotobuf-c protobuf-c/protobuf-c.h
protobuf-c-compiler        build  dpkg               cmd  protoc-c
libevent-dev               build  dpkg               pc   libevent event2/event.h
zlib1g-dev                 build  dpkg               pc   zlib zlib.h
libssl-dev                 build  dpkg               pc   libcrypto openssl/evp.h
libfreetype-dev            build  dpkg               pc   freetype2 freetype2/ft2build.h
fonts-noto-cjk             build  dpkg               font
nodejs                     build  no-command         cmd  node
npm                        build  no-command         cmd  npm
postgresql-15              run    dpkg
postgresql-client-15       run    dpkg
postgresql-15-postgis-3    run    dpkg
curl                       run    dpkg
chromium                   test   dpkg
valgrind                   test   dpkg
python3                    test   dpkg
poppler-utils              test   dpkg
python3-qgis               test   dpkg
gdal-bin                   test   dpkg
jq                         test   dpkg
nginx                      test   dpkg
python3-yaml               test   dpkg
'
# nodejs and npm: any packaging of node will do, so only a missing command installs them

PG_CONFIG=${PG_CONFIG:-pg_config}
FONT_FILE=${FONT_FILE:-/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc}

# probe KIND ARGS...: what the build needs is there
probe() {
	local f
	case $1 in
	cmd) command -v "$2" >/dev/null ;;
	pgxs) f=$("$PG_CONFIG" --pgxs 2>/dev/null) && [ -f "$f" ] ;;
	# by pkg-config when there is one (its missing row is reported on its own), else the header
	pc) if command -v pkg-config >/dev/null; then pkg-config --exists "$2"; else [ -f "/usr/include/$3" ]; fi ;;
	font) [ -f "$FONT_FILE" ] ;;
	esac
}
# what a missing probe means to the reader
missing_what() {
	case $1 in
	cmd) echo "the command $2" ;;
	pgxs) echo "PostgreSQL's PGXS ($PG_CONFIG --pgxs)" ;;
	pc) echo "$2 (pkg-config module)" ;;
	font) echo "the font $FONT_FILE (FONT_FILE)" ;;
	esac
}

mode=${1:-}
case $mode in
"" | test | --check) ;;
*) echo "usage: $0 [test | --check]" >&2; exit 2 ;;
esac

if [ "$mode" = --check ]; then
	missing=() pkgs=()
	while read -r pkg for _ kind a b; do
		[ "$for" = build ] || continue
		probe "$kind" "$a" "$b" && continue
		missing+=("$(missing_what "$kind" "$a") — Debian package $pkg")
		pkgs+=("$pkg")
	done <<<"$(sed '/^$/d' <<<"$table")"
	[ ${#missing[@]} = 0 ] && exit 0
	{
		echo "make: the build needs what this machine lacks:"
		printf '   %s\n' "${missing[@]}"
		echo "Install it with scripts/deps.sh (as root or through sudo; make run and make test run it"
		echo "themselves), or: apt-get install ${pkgs[*]}; then run make again."
	} >&2
	exit 1
fi

dpkg_pkgs=() cmd_pkgs=()
while read -r pkg for when kind a _; do
	case $for in build | run) ;; test) [ "$mode" = test ] || continue ;; esac
	if [ "$when" = dpkg ]; then dpkg_pkgs+=("$pkg"); else cmd_pkgs+=("$pkg:$a"); fi
done <<<"$(sed '/^$/d' <<<"$table")"

need=()
# one dpkg-query for every package (one each costs about 0.5 s);
# it exits 1 when dpkg has never heard of one, which only means it is missing
installed=" $(dpkg-query -W -f='${db:Status-Abbrev}${Package}\n' "${dpkg_pkgs[@]}" 2>/dev/null | sed -n 's/^ii *//p' | tr '\n' ' ' || true) "
for p in "${dpkg_pkgs[@]}"; do
	[[ $installed == *" $p "* ]] || need+=("$p")
done
for pc in "${cmd_pkgs[@]}"; do
	command -v "${pc#*:}" >/dev/null || need+=("${pc%%:*}")
done
[ ${#need[@]} = 0 ] && exit 0
echo "== installing Debian packages: ${need[*]}"
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
if [ -n "$sudo" ] && ! command -v sudo >/dev/null; then
	echo "missing packages: ${need[*]}; install them as root (apt-get install ${need[*]})" >&2
	exit 1
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
	|| { echo "apt-get install ${need[*]} failed: see its messages above" >&2; exit 1; }
