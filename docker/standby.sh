#!/bin/bash
# The hot standby's entrypoint (docker/compose.yaml, profile "scale"), in the database image: on an
# empty data directory, a base backup of the primary (service db) with pg_basebackup -R (it writes
# standby.signal and primary_conninfo) on a replication slot of its own, so that the primary keeps
# the WAL the standby has not received yet (up to max_slot_wal_keep_size); then the image's own
# entrypoint starts PostgreSQL on it: a read-only copy that replays the primary's WAL as it comes.
#   PRIMARY_HOST (db), STANDBY_SLOT (tailings_standby), TAILINGS_REPLICATION_PASSWORD
set -euo pipefail
: "${TAILINGS_REPLICATION_PASSWORD:?the replication password is not set: TAILINGS_REPLICATION_PASSWORD in docker/.env}"
primary=${PRIMARY_HOST:-db}
slot=${STANDBY_SLOT:-tailings_standby}
export PGDATA=${PGDATA:-/var/lib/postgresql/data}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
	until pg_isready -q -h "$primary"; do
		echo "standby: waiting for the primary $primary" >&2
		sleep 2
	done
	mkdir -p "$PGDATA"
	chown postgres: "$PGDATA"
	chmod 700 "$PGDATA"
	backup() {
		PGPASSWORD=$TAILINGS_REPLICATION_PASSWORD gosu postgres \
			pg_basebackup -h "$primary" -U tailings_replicator -D "$PGDATA" -R -X stream -S "$slot" "$@"
	}
	# the slot is made with the backup; when it is there already (a standby made anew), it is reused
	if ! backup -C; then
		rm -rf "${PGDATA:?}"/*
		backup
	fi
fi
exec docker-entrypoint.sh postgres -c hot_standby=on
