#!/usr/bin/env bash
# Moved to scripts/cluster.sh (make run and the benchmarks use it too).  Kept only for
# tests/sh/http_db_restart.sh until it names scripts/cluster.sh; then delete this file.
exec "$(dirname "$0")/../../scripts/cluster.sh" "$@"
