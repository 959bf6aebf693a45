#!/usr/bin/env bash
# Controller failover, measured on three local strom processes (bench/quorum_failover.py): the time
# from kill -9 of the active controller to a new quorum leader, and until CreateTopics succeeds again.
#
#   scripts/bench-quorum.sh [runs]      # default 5; STROM_BIN picks the binary (default .build/debug/strom)
set -euo pipefail
cd "$(dirname "$0")/.."
export STROM_BIN="${STROM_BIN:-$PWD/.build/debug/strom}"
scripts/install-test-clients.sh >/dev/null
exec .venv/bin/python bench/quorum_failover.py "${1:-5}"
