#!/bin/bash
# Run once by the postgres image on an empty data directory (after initdb-tailings.sh): the role
# the hot standby copies and follows the primary as (docker/standby.sh: pg_basebackup -R), with the
# password $TAILINGS_REPLICATION_PASSWORD, and the pg_hba.conf line that lets it in from the
# compose network, for replication only.  The role can read everything the database holds
# (a base backup is a copy of it all): keep its password as the superuser's.
set -euo pipefail
: "${TAILINGS_REPLICATION_PASSWORD:?the replication password is not set: TAILINGS_REPLICATION_PASSWORD in docker/.env}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
	-v pw="$TAILINGS_REPLICATION_PASSWORD" <<'SQL'
SET password_encryption = 'scram-sha-256';
CREATE ROLE tailings_replicator WITH REPLICATION LOGIN PASSWORD :'pw';
SQL
# (the image's own "host all all all scram-sha-256" does not cover replication connections)
echo "host replication tailings_replicator all scram-sha-256" >>"$PGDATA/pg_hba.conf"
