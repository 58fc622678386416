#!/bin/bash
# Run once by the postgres image on an empty data directory: the extension,
# the search path, the Panzhihua sample in $POSTGRES_DB, and the tile server's
# read-only role tailings_tileserver with the password $TAILINGS_TILESERVER_PASSWORD
# (sql/roles/tileserver.sql, the same file make run and DBAs use).
set -euo pipefail
: "${TAILINGS_TILESERVER_PASSWORD:?the tile server password is not set: TAILINGS_TILESERVER_PASSWORD in docker/.env}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE EXTENSION tailings CASCADE;
ALTER DATABASE "$POSTGRES_DB" SET search_path = "\$user", public, tailings;
SQL
if [ "${TAILINGS_SAMPLE:-on}" = on ]; then
	psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -f /opt/tailings/sql/sample/panzhihua.sql
fi
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
	-v tileserver_password="$TAILINGS_TILESERVER_PASSWORD" -f /opt/tailings/sql/roles/tileserver.sql
