# Tailings One-Map: the tailings extension, tailings-tileserver and tailings-mvtcheck.
#   make          build
#   make install  install the extension into the PostgreSQL found by pg_config
#   make test     every suite against a throwaway cluster; ends "N passed, N failed"
#   make run      embedded cluster (or DATABASE_URL) + extension + Panzhihua sample + tile server
#   make stop     stop the embedded cluster of `make run`
#   make clean
PG_CONFIG ?= pg_config
SUDO := $(shell [ -w "$$($(PG_CONFIG) --sharedir 2>/dev/null)/extension" ] || echo sudo)

.PHONY: all deps extension tileserver install test run stop clean

all: extension tileserver

deps:
	@tests/lib/deps.sh

extension: deps
	$(MAKE) -C extension PG_CONFIG=$(PG_CONFIG)

tileserver: deps
	$(MAKE) -C tileserver

install: extension
	$(SUDO) $(MAKE) -C extension PG_CONFIG=$(PG_CONFIG) install

test: install tileserver
	@tests/lib/deps.sh test
	@tests/run.sh

run: install tileserver
	@tests/lib/run.sh

stop:
	@tests/lib/cluster.sh stop .run/pg

clean:
	$(MAKE) -C extension clean
	$(MAKE) -C tileserver clean
	rm -rf extension/results tests/results
