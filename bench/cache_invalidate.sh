#!/usr/bin/env bash
# The tile cache's invalidation: the index (cache_invalidate) against a walk
# over every entry (cache_invalidate_walk, what cache_invalidate did before),
# in the same run over the same entries: 100,000 tiles z10-z18 around one city,
# 1,000 single-element changes (boxes of 0.0003 degrees), once with the
# server's rule (pond tiles within 0.05 degrees too: POND_MARGIN_DEG) and once
# with the box alone.  Prints the time per change of each and the ratio; then,
# when valgrind is installed, the instructions of each (callgrind, inclusive;
# tiles of no bytes there, as compressing them is slow under valgrind).
# Goal: 1,000 changes in < 50 ms of server time with 100,000 cached tiles.
#   bench/cache_invalidate.sh [TILES [CHANGES]]
# Environment: CALLGRIND=0 skips callgrind; CG_CHANGES: changes under callgrind (100,
# the walk being slow there).  No database needed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tiles=${1:-100000}
changes=${2:-1000}
cg_changes=${CG_CHANGES:-100}
make -s -C "$root/tileserver" build/bench_cache_invalidate
bin=$root/tileserver/build/bench_cache_invalidate
for margin in 0.05 0; do
	echo "== margin $margin"
	"$bin" "$tiles" "$changes" "$margin" both
done
if [ "${CALLGRIND:-1}" != 0 ] && command -v valgrind >/dev/null; then
	out=$(mktemp /tmp/cache_invalidate.callgrind.XXXXXX)
	trap 'rm -f "$out"' EXIT
	echo "== callgrind, margin 0.05, $cg_changes changes (instructions in cache_invalidate and cache_invalidate_walk, inclusive)"
	valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect=cache_invalidate \
		--toggle-collect=cache_invalidate_walk "$bin" "$tiles" "$cg_changes" 0.05 both empty >/dev/null 2>&1
	callgrind_annotate --inclusive=yes "$out" 2>/dev/null |
		awk -v n="$cg_changes" '/ [^ ]*:cache_invalidate(_walk)? / {
			gsub(",", "", $1); f = $NF; sub(/.*:/, "", f); if (f ~ /\]$/) f = $(NF-1); sub(/.*:/, "", f)
			ir[f] = $1; printf "%-22s %15d Ir, %12.0f Ir per change\n", f, $1, $1 / n }
			END { if (ir["cache_invalidate"] > 0) printf "ratio walk/index: %.1f\n", ir["cache_invalidate_walk"] / ir["cache_invalidate"] }'
else
	echo "(callgrind skipped: valgrind missing or CALLGRIND=0)"
fi
