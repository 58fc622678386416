#!/usr/bin/env bash
# Installs the Debian packages the build and `make run` need, when they are
# missing (FreeType and fonts-noto-cjk: the map's glyph ranges are made from
# Noto Sans CJK at build time); `deps.sh test` also what `make test` needs
# (Chromium for the browser tests, valgrind, Python, poppler-utils for the
# printed sheet; QGIS's Python bindings and GDAL for tests/sh/qgis_style.sh).  Root installs
# directly; other users through sudo.
set -euo pipefail
need=()
pkgs=(postgresql-15 postgresql-client-15 postgresql-15-postgis-3 postgresql-server-dev-15
	libprotobuf-c-dev protobuf-c-compiler libevent-dev libpq-dev zlib1g-dev libfreetype-dev fonts-noto-cjk
	pkg-config curl gcc make)
[ "${1:-}" = test ] && pkgs+=(chromium valgrind python3 poppler-utils python3-qgis gdal-bin)
# one dpkg-query for every package (one each costs about 0.5 s on every make);
# it exits 1 when dpkg has never heard of one, which only means it is missing
installed=" $(dpkg-query -W -f='${db:Status-Abbrev}${Package}\n' "${pkgs[@]}" 2>/dev/null | sed -n 's/^ii *//p' | tr '\n' ' ' || true) "
for p in "${pkgs[@]}"; do
	[[ $installed == *" $p "* ]] || need+=("$p")
done
# node and npm fetch the viewer's MapLibre GL JS from the npm registry (any packaging of node will do)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
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
