# Tailings One-Map: the tailings extension, tailings-tileserver and tailings-mvtcheck.
#   make          build (installs nothing: when the build lacks a package it says so and
#                 names scripts/deps.sh, which installs them)
#   make WERROR=1 build with warnings as errors (make test and .ci/run do)
#   make install  install the extension into the PostgreSQL found by pg_config
#   make test     scripts/deps.sh test, then every suite against a throwaway cluster;
#                 ends "N passed, N failed"
#   make run      scripts/deps.sh, then the embedded cluster (or DATABASE_URL) + extension + Panzhihua sample + tile server
#   make stop     stop the embedded cluster of `make run` when it was left running
#                 (make run stops the cluster it started on Ctrl-C)
#   make clean
PG_CONFIG ?= pg_config
SUDO := $(shell [ -w "$$($(PG_CONFIG) --sharedir 2>/dev/null)/extension" ] || echo sudo)

.PHONY: all check-deps extension tileserver install install-if-changed test run stop clean

all: extension tileserver

# what the build needs is there (installs nothing; FONT_FILE as tileserver/Makefile reads it)
check-deps:
	@PG_CONFIG='$(PG_CONFIG)' FONT_FILE='$(FONT_FILE)' scripts/deps.sh --check

extension: check-deps
	$(MAKE) -C extension PG_CONFIG=$(PG_CONFIG)

tileserver: check-deps
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

# the packages first, then the build (with warnings as errors), then the suites
test:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory WERROR=1 install tileserver
	@tests/run.sh

run:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory install-if-changed tileserver
	@scripts/run.sh

stop:
	@scripts/cluster.sh stop .run/pg

clean:
	$(MAKE) -C extension clean
	$(MAKE) -C tileserver clean
	rm -rf extension/results tests/results
