#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and `make run` need, when
# they are missing.  Root installs directly; other users through sudo.
set -euo pipefail
need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for p in postgresql-15 postgresql-client-15 postgresql-15-postgis-3 postgresql-server-dev-15 \
	libprotobuf-c-dev protobuf-c-compiler libevent-dev libpq-dev zlib1g-dev curl gcc make; do
	have_pkg "$p" || need+=("$p")
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
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
