# PostgreSQL 15 + PostGIS 3 + the tailings extension, with the Panzhihua sample
# loaded into database "tailings" on first start; also the hot standby of profile
# "scale" (docker/compose.yaml), started by /usr/local/bin/tailings-standby.sh.
#   docker build -f docker/db.Dockerfile -t tailings-db .      (from the repository root)
FROM postgres:15-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15-postgis-3 postgresql-server-dev-15 gcc make libc6-dev \
 && rm -rf /var/lib/apt/lists/*

COPY include /opt/tailings/include
COPY extension /opt/tailings/extension
RUN make -C /opt/tailings/extension install \
 && make -C /opt/tailings/extension clean \
 && apt-get purge -y --auto-remove postgresql-server-dev-15 gcc make libc6-dev

# the sample and its shared drawing functions, kept in their layout (\ir paths)
COPY sql /opt/tailings/sql
COPY docker/initdb-tailings.sh /docker-entrypoint-initdb.d/10-tailings.sh
# the role a hot standby replicates as (profile "scale"), and the standby's own entrypoint
COPY docker/initdb-replication.sh /docker-entrypoint-initdb.d/20-replication.sh
COPY docker/standby.sh /usr/local/bin/tailings-standby.sh
