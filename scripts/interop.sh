#!/usr/bin/env bash
# Runs the interop suite (interop/README.md): the real strom binary driven by seven stock Kafka
# clients. Builds nothing of Strom's: the binary comes from $STROM_BIN (default
# .build/debug/strom, from `swift build --product strom`). Installs the clients first
# (scripts/install-test-clients.sh, idempotent; needs root the first time), then runs pytest from
# the venv. Exits non-zero on any failure; pytest's last line says `N passed, N failed`.
#
#   scripts/interop.sh                                  # everything (about 3 minutes against strom)
#   scripts/interop.sh -k sarama                        # one client (any pytest arguments)
#   INTEROP_BROKER=recording scripts/interop.sh         # against the in-memory recording broker
set -euo pipefail
cd "$(dirname "$0")/.."

export STROM_BIN="${STROM_BIN:-$PWD/.build/debug/strom}"

scripts/install-test-clients.sh

if [[ "${INTEROP_BROKER:-strom}" == strom && ! -x "$STROM_BIN" ]]; then
  # Not a reason to skip: every test that needs the broker fails and says why.
  echo "interop: strom binary not found at $STROM_BIN (swift build --product strom, or set STROM_BIN)" >&2
fi

exec .venv/bin/python -m pytest interop "$@"
