# Tailings One-Map: the tailings extension, tailings-tileserver and tailings-mvtcheck.
#   make          build
#   make install  install the extension into the PostgreSQL found by pg_config
#   make test     every suite against a throwaway cluster; ends "N passed, N failed"
#   make run      embedded cluster (or DATABASE_URL) + extension + Panzhihua sample + tile server
#   make stop     stop the embedded cluster of `make run` when it was left running
#                 (make run stops the cluster it started on Ctrl-C)
#   make clean
PG_CONFIG ?= pg_config
SUDO := $(shell [ -w "$$($(PG_CONFIG) --sharedir 2>/dev/null)/extension" ] || echo sudo)

.PHONY: all deps extension tileserver install install-if-changed test run stop clean

all: extension tileserver

deps:
	@tests/lib/deps.sh

extension: deps
	$(MAKE) -C extension PG_CONFIG=$(PG_CONFIG)

tileserver: deps
	$(MAKE) -C tileserver

install: extension
	$(SUDO) $(MAKE) -C extension PG_CONFIG=$(PG_CONFIG) install

# install only when the built files differ from the installed ones: a second
# make run copies nothing and, for other users than root, asks sudo nothing
install-if-changed: extension
	@lib=$$($(PG_CONFIG) --pkglibdir); share=$$($(PG_CONFIG) --sharedir)/extension; \
	for f in extension/tailings.so extension/tailings.control extension/sql/tailings--*.sql; do \
		case $$f in *.so) dest=$$lib ;; *) dest=$$share ;; esac; \
		cmp -s "$$f" "$$dest/$${f##*/}" || exec $(MAKE) --no-print-directory install; \
	done

test: install tileserver
	@tests/lib/deps.sh test
	@tests/run.sh

run: install-if-changed tileserver
	@tests/lib/run.sh

stop:
	@tests/lib/cluster.sh stop .run/pg

clean:
	$(MAKE) -C extension clean
	$(MAKE) -C tileserver clean
	rm -rf extension/results tests/results
