# Members, tokens and a server with --auth token, for the suites of the tile server's auth
# (tests/sh/http_auth.sh, http_scope.sh, http_write.sh, http_fuzz.sh, http_valgrind.sh); source
# it after suite.sh, once suite_begin has made $db.
#
#   auth_members PREFIX   login roles PREFIX_county (county 510411: ponds 8 to 15), PREFIX_ent8
#                         and PREFIX_ent9 (the enterprises of ponds 8 and 9), PREFIX_city (5104),
#                         PREFIX_reader (tailings_reader), the NOLOGIN PREFIX_anon (a reader: the
#                         public map); members of $db, and tokens in TOKEN_COUNTY, TOKEN_ENT8,
#                         TOKEN_ENT9, TOKEN_CITY, TOKEN_READER; then sql/roles/tileserver.sql with
#                         -v anonymous_role=PREFIX_anon.  The roles are dropped at exit.
#   auth_server NAME [ARGS...]   suite_server, logged in as tailings_tileserver, --auth token
#   as TOKEN [CURL ARGS...] PATH fetch with Authorization: Bearer TOKEN ("" for none)
#
# Tile 10/801/433 holds ponds 8, 9 and 11 (all three in county 510411); 14/12824/6942 pond 8.
AUTH_TILE=/tiles/all/10/801/433.mvt

auth_token() {   # auth_token ROLE [LABEL]: a new token for it, valid a day (a label of its own by default)
	q -d "$db" -c "SELECT tailings.create_token('$1', '${2:-test $(date +%s.%N)}', '1 day')"
}

auth_members() {
	local p=$1 r
	AUTH_PREFIX=$p
	for r in county ent8 ent9 city reader; do
		q -d postgres -c "DROP ROLE IF EXISTS ${p}_$r; CREATE ROLE ${p}_$r LOGIN" || die "role ${p}_$r"
	done
	q -d postgres -c "DROP ROLE IF EXISTS ${p}_anon; CREATE ROLE ${p}_anon NOLOGIN" || die "role ${p}_anon"
	suite_at_exit "auth_drop_roles $p"
	q -d postgres -c "GRANT tailings_reader TO ${p}_reader, ${p}_anon" || die "readers"
	q -d "$db" -c "SELECT tailings.add_member('${p}_county', 'county', '510411', '东区生态环境局 王工');
	               SELECT tailings.add_member('${p}_ent8', 'enterprise', '91510411752211513W', '龙佰 安全员');
	               SELECT tailings.add_member('${p}_ent9', 'enterprise', '915104113521174560', '九号库 安全员');
	               SELECT tailings.add_member('${p}_city', 'city', '5104', '攀枝花市生态环境局 李科长')" >/dev/null \
		|| die "add_member"
	TOKEN_COUNTY=$(auth_token "${p}_county") && TOKEN_ENT8=$(auth_token "${p}_ent8") &&
		TOKEN_ENT9=$(auth_token "${p}_ent9") && TOKEN_CITY=$(auth_token "${p}_city") &&
		TOKEN_READER=$(auth_token "${p}_reader") || die "create_token"
	q -d "$db" -v anonymous_role="${p}_anon" -f "$http_root/sql/roles/tileserver.sql" >/dev/null || die "tileserver.sql"
}

auth_drop_roles() {   # (at exit, once the databases are gone)
	local r
	for r in county ent8 ent9 city reader anon; do
		psql -X -q -d postgres -c "DROP ROLE IF EXISTS ${1}_$r" >/dev/null 2>&1
	done
}

auth_server() {   # auth_server NAME [ARGS...]
	local name=$1
	shift
	http_start "$name" --db "host=$PGHOST port=$PGPORT user=tailings_tileserver dbname=$db" --auth token "$@"
	http_wait_health 15 || die "the server $name did not come up"
}

as() {   # as TOKEN [CURL ARGS...] PATH
	local t=$1
	shift
	if [ -n "$t" ]; then fetch -H "Authorization: Bearer $t" "$@"; else fetch "$@"; fi
}
