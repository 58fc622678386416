#!/usr/bin/env bash
# Binary COPY round trip of element_kind and element_category (send/receive),
# and of the element table itself.
set -euo pipefail
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
dropdb --if-exists copy_bin
createdb copy_bin
q -d copy_bin <<'SQL'
CREATE EXTENSION tailings CASCADE;
CREATE TABLE src AS SELECT kind, category, label_zh FROM tailings.kinds();
INSERT INTO src VALUES (NULL, NULL, 'nulls');
CREATE TABLE dst (LIKE src);
SQL
q -d copy_bin -c "COPY src TO STDOUT (FORMAT binary)" >"$TAILINGS_TEST_WORK/kinds.bin"
# the binary form of a kind is its code as text
grep -q 'gw_monitoring_well' "$TAILINGS_TEST_WORK/kinds.bin"
q -d copy_bin -c "COPY dst FROM STDIN (FORMAT binary)" <"$TAILINGS_TEST_WORK/kinds.bin"
test "$(q -d copy_bin -c "SELECT count(*) FROM dst")" = 41
test "$(q -d copy_bin -c "SELECT count(*) FROM (SELECT * FROM src EXCEPT SELECT * FROM dst) d")" = 0
test "$(q -d copy_bin -c "SELECT count(*) FROM dst WHERE kind IS NULL AND category IS NULL")" = 1

# a binary value naming an unknown kind is refused with 22P02
q -d copy_bin -c "CREATE TABLE one (k tailings.element_kind)"
printf 'PGCOPY\n\377\r\n\0' >"$TAILINGS_TEST_WORK/bad.bin"
printf '\0\0\0\0\0\0\0\0' >>"$TAILINGS_TEST_WORK/bad.bin"           # flags, header extension
printf '\0\1\0\0\0\5pools' >>"$TAILINGS_TEST_WORK/bad.bin"          # 1 field, 5 bytes
printf '\377\377' >>"$TAILINGS_TEST_WORK/bad.bin"                   # trailer
out=$(psql -X -q -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -d copy_bin \
	-c "\\set VERBOSITY verbose" -c "COPY one FROM STDIN (FORMAT binary)" <"$TAILINGS_TEST_WORK/bad.bin" 2>&1 || true)
echo "$out"
echo "$out" | grep -q '22P02'
echo "$out" | grep -q 'invalid input value for element_kind: "pools"'
test "$(q -d copy_bin -c "SELECT count(*) FROM one")" = 0

# the sample's element table, binary out and in
q -d copy_bin -c "CREATE TABLE el (LIKE tailings.element)"
q -d tailings_sample -c "COPY tailings.element TO STDOUT (FORMAT binary)" | q -d copy_bin -c "COPY el FROM STDIN (FORMAT binary)"
test "$(q -d copy_bin -c "SELECT count(*) FROM el")" = "$(q -d tailings_sample -c "SELECT count(*) FROM tailings.element")"
test "$(q -d copy_bin -c "SELECT string_agg(kind::text, ',' ORDER BY id) FROM el" | md5sum)" = \
     "$(q -d tailings_sample -c "SELECT string_agg(kind::text, ',' ORDER BY id) FROM tailings.element" | md5sum)"
echo "binary copy: round trip exact"
