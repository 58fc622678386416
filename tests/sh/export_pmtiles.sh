#!/usr/bin/env bash
# tailings-tileserver export: PMTiles archives of a pond and of a county, read back with the
# `pmtiles` npm package (tests/lib/pmtiles_check.mjs) and compared tile by tile with what the
# server serves for the same area; the pond files written beside an archive (--with-files); bad
# arguments, a missing pond, an unwritable place and an interruption: a clear message, a non-zero
# exit and nothing left behind.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/suite.sh"
db=export_db
pond=8          # 龙佰丰源牛场坪尾矿库 (county 510411)
county=510402   # 3 ponds

[ -f "$http_root/tileserver/node_modules/pmtiles/package.json" ] || die "the pmtiles npm package is not installed: run make"
command -v node >/dev/null || die "node is missing"
suite_begin "$db"
suite_server export
conn=$(http_conninfo "$db")
out=$HTTP_WORK/out
mkdir -p "$out"
export_() { "$TAILINGS_TILESERVER" export --db "$conn" "$@"; }
# the area's box, W,S,E,N: the registry points and the elements of the ponds that WHERE picks
area_of() {
	q -d "$db" -F, -c "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT ST_Extent(g) b FROM (
		SELECT p.location g FROM tailings.pond p WHERE $1 UNION ALL
		SELECT e.geom FROM tailings.element e JOIN tailings.pond p ON p.id = e.pond_id WHERE $1) s) x"
}
# the archive read back and compared with the server: its checks join the tally
read_back() {   # read_back NAME ARCHIVE AREA MINZOOM MAXZOOM [FLAGS]
	local name=$1 log=$HTTP_WORK/check-$1.out
	shift
	node "$http_root/tests/lib/pmtiles_check.mjs" "$1" "$HTTP_URL" "${@:2}" >"$log" 2>&1
	sed -e "s/^ok - /ok - $name: /" -e "s/^not ok - /not ok - $name: /" -e '/^[0-9]* passed, [0-9]* failed$/d' "$log"
	HTTP_PASSES=$((HTTP_PASSES + $(grep -c '^ok ' "$log")))
	HTTP_FAILS=$((HTTP_FAILS + $(grep -c '^not ok ' "$log")))
	grep -qE '^[0-9]+ passed, 0 failed$' "$log" || not_ok "$name: the reader ran to its end ($(tail -3 "$log" | tr '\n' ' '))"
}
# nothing but what is named is in the output directory (no temporary or partial file)
only_in_out() {
	local got
	got=$(cd "$out" && ls -A | sort | tr '\n' ' ')
	[ "$got" = "$* " ] || { echo "# in $out: $got"; return 1; }
}

# ---------------------------------------------------------------------------
echo "# a pond, the default zooms, with its file"
export_ --out "$out/pond8.pmtiles" --pond $pond --with-files 2>"$HTTP_WORK/pond8.err"
rc=$?
sed 's/^/#   /' "$HTTP_WORK/pond8.err"
expect_eq "export of pond $pond: exit 0" "$rc" 0
check "a progress line on stderr (tiles done / total, tiles/s)" grep -qE '^export: [0-9]+/[0-9]+ tiles \(100%\), [0-9]+ kept, [0-9]+ tiles/s' "$HTTP_WORK/pond8.err"
check "the archive and the files' directory, nothing else" only_in_out pond8.files pond8.pmtiles
read_back pond8 "$out/pond8.pmtiles" "$(area_of "p.id = $pond")" 8 16

echo "# the pond's file beside the archive"
files=$out/pond8.files
check "pond8.files/: $pond.json, $pond.en.json, index.json" test "$(cd "$files" && ls | tr '\n' ' ')" = "$pond.en.json $pond.json index.json "
for lang in zh en; do
	f=$files/$pond.json
	[ $lang = en ] && f=$files/$pond.en.json
	fetch "/api/ponds/$pond/file?lang=$lang"
	check "$(basename "$f") is the file the server gives (GET /api/ponds/$pond/file?lang=$lang)" \
		"$PY" -c 'import json, sys; sys.exit(json.load(open(sys.argv[1], encoding="utf-8")) != json.load(open(sys.argv[2], encoding="utf-8")))' "$f" "$BODY"
done
expect_eq "the Chinese file's status label" "$(json_q "$files/$pond.json" "d['basic']['status_label']")" "在用"
expect_eq "the English file's status label" "$(json_q "$files/$pond.en.json" "d['basic']['status_label']")" "In use"
fetch /api/ponds
check "index.json: the archive, the area, and the pond as GET /api/ponds lists it" "$PY" -c '
import json, sys
i = json.load(open(sys.argv[1], encoding="utf-8")); ponds = json.load(open(sys.argv[2], encoding="utf-8"))
sys.exit(not (i["archive"] == "pond8.pmtiles" and i["area"] == {"pond": int(sys.argv[3])}
	and i["ponds"] == [p for p in ponds if p["id"] == int(sys.argv[3])] and i["files"]["zh"] == "{id}.json"))' \
	"$files/index.json" "$BODY" $pond

# ---------------------------------------------------------------------------
echo "# the pond at zooms 17-18: tiles inside its boundary repeat (deduplicated, run-length encoded)"
export_ --out "$out/pond8-deep.pmtiles" --pond $pond --minzoom 17 --maxzoom 18 2>"$HTTP_WORK/deep.err"
expect_eq "export at zooms 17-18: exit 0" "$?" 0
tail -1 "$HTTP_WORK/deep.err" | sed 's/^/#   /'
read_back pond8-deep "$out/pond8-deep.pmtiles" "$(area_of "p.id = $pond")" 17 18 --dedup
rm -f "$out/pond8-deep.pmtiles"

# ---------------------------------------------------------------------------
echo "# a county, with leaf directories (a root directory limited to 64 bytes)"
TAILINGS_PMTILES_ROOT_MAX=64 export_ --out "$out/county.pmtiles" --county $county --jobs 3 2>"$HTTP_WORK/county.err"
expect_eq "export of county $county: exit 0" "$?" 0
tail -1 "$HTTP_WORK/county.err" | sed 's/^/#   /'
read_back county "$out/county.pmtiles" "$(area_of "p.county_code = '$county'")" 8 16 --leaves
check "the county's metadata lists its ponds" node --input-type=module -e "
	const { PMTiles } = await import('$http_root/tileserver/node_modules/pmtiles/dist/esm/index.js');
	const { readFileSync } = await import('node:fs');
	const b = readFileSync('$out/county.pmtiles');
	const p = new PMTiles({ getKey: () => 'c', getBytes: async (o, l) => ({ data: b.buffer.slice(b.byteOffset + o, b.byteOffset + o + l) }) });
	const m = await p.getMetadata();
	process.exit(JSON.stringify(m.tailings.ponds) === JSON.stringify([$(q -d "$db" -c "SELECT string_agg(id::text, ',' ORDER BY code) FROM tailings.pond WHERE county_code = '$county'")]) ? 0 : 1);"
rm -f "$out/county.pmtiles"

# ---------------------------------------------------------------------------
echo "# an archive is replaced whole"
before=$(stat -c %Y.%s "$out/pond8.pmtiles")
sleep 1
export_ --out "$out/pond8.pmtiles" --pond $pond --with-files 2>/dev/null
expect_eq "a second export to the same place: exit 0" "$?" 0
check "the archive is the new one, the files' directory replaced, nothing else left" \
	eval 'test "$(stat -c %Y.%s "$out/pond8.pmtiles")" != "$before" && only_in_out pond8.files pond8.pmtiles && test -f "$files/index.json"'

# ---------------------------------------------------------------------------
echo "# bad arguments: a clear message, exit 2, nothing written"
bad() {   # bad DESC STATUS ERE ARGS...
	local desc=$1 want=$2 ere=$3 rc err
	shift 3
	err=$("$TAILINGS_TILESERVER" export "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" = "$want" ] && [[ $err =~ $ere ]] && only_in_out pond8.files pond8.pmtiles; then
		ok "$desc: exit $want, \"$err\""
	else
		not_ok "$desc (exit $rc, want $want; message '$err', want /$ere/)"
	fi
}
o=$out/x.pmtiles
bad "no --out" 2 'no --out' --db "$conn" --pond $pond
bad "no area" 2 'no area' --db "$conn" --out "$o"
bad "two areas" 2 'one area only' --db "$conn" --out "$o" --pond $pond --county $county
bad "a pond id that is no number" 2 'invalid value "8x" for --pond' --db "$conn" --out "$o" --pond 8x
bad "pond 0" 2 'for --pond' --db "$conn" --out "$o" --pond 0
bad "a county code with letters" 2 'for --county' --db "$conn" --out "$o" --county 51x402
bad "a box of three numbers" 2 'for --bbox' --db "$conn" --out "$o" --bbox 101,26,102
bad "a box west of itself" 2 'for --bbox' --db "$conn" --out "$o" --bbox 102,26,101,27
bad "a box beyond the poles of Web Mercator" 2 'for --bbox' --db "$conn" --out "$o" --bbox 101,26,102,89
bad "zoom 23" 2 'for --maxzoom: expected 0 to 22' --db "$conn" --out "$o" --pond $pond --maxzoom 23
bad "minzoom above maxzoom" 2 'minzoom 12 is above --maxzoom 11' --db "$conn" --out "$o" --pond $pond --minzoom 12 --maxzoom 11
bad "jobs 0" 2 'for --jobs' --db "$conn" --out "$o" --pond $pond --jobs 0
bad "an unknown option" 2 'unknown option --zoom' --db "$conn" --out "$o" --pond $pond --zoom 12
bad "an option without its value" 2 'option --pond needs a value' --db "$conn" --out "$o" --pond
bad "no database" 2 'no database' --out "$o" --pond $pond
echo "# failures: a clear message, exit 1, nothing written"
bad "a pond that does not exist" 1 'no pond 999999' --db "$conn" --out "$o" --pond 999999
bad "a county without ponds" 1 'no pond in county 999999' --db "$conn" --out "$o" --county 999999
bad "a box where nothing is mapped" 1 'nothing to map' --db "$conn" --out "$o" --bbox 10,10,11,11
bad "a database that is not there" 1 'cannot connect' --db "host=$PGHOST port=1 dbname=none connect_timeout=2" --out "$o" --pond $pond
bad "a directory that does not exist" 1 'cannot write' --db "$conn" --out "$out/no/such/dir/x.pmtiles" --pond $pond
check "--help: the usage, exit 0" eval '"$TAILINGS_TILESERVER" export --help | grep -q -- "--with-files"'

# ---------------------------------------------------------------------------
echo "# interrupted (SIGINT) while it waits for the database: exit 1, nothing left behind"
db_lock "$db" tailings.element
"$TAILINGS_TILESERVER" export --db "$conn" --out "$out/int.pmtiles" --pond $pond --with-files 2>"$HTTP_WORK/int.err" &
pid=$!
waiting() {   # its first connection waits (and the others' first tiles)
	test "$(q -d "$db" -c "SELECT count(*) FROM pg_stat_activity
		WHERE application_name = 'tailings-tileserver export' AND wait_event_type = 'Lock'
		  AND query LIKE '%ST_Extent%'")" = 1
}
check "the export waits for the locked table" wait_until 10 waiting
check "its temporary files are there meanwhile" eval 'ls "$out" | grep -q "^int.pmtiles.tmp-"'
kill -INT $pid
db_unlock
wait $pid
expect_eq "interrupted: exit 1" "$?" 1
check "interrupted: said so" grep -q 'interrupted' "$HTTP_WORK/int.err"
check "interrupted: no archive, no files, no temporary file" only_in_out pond8.files pond8.pmtiles

suite_end
