#!/bin/bash
# Run once by the postgres image on an empty data directory: the extension,
# the search path, and the Panzhihua sample in $POSTGRES_DB.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE EXTENSION tailings CASCADE;
ALTER DATABASE "$POSTGRES_DB" SET search_path = "\$user", public, tailings;
SQL
if [ "${TAILINGS_SAMPLE:-on}" = on ]; then
	psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -f /opt/tailings/sql/sample/panzhihua.sql
fi
