#!/usr/bin/env bash
# Runs librdkafka's own test suite (2.0.2, Debian's source) against the real strom binary
# (interop/librdkafka/README.md). Builds nothing of Strom's: the binary comes from $STROM_BIN
# (default .build/debug/strom). Installs first what it needs (scripts/install-test-clients.sh,
# idempotent; needs root the first time, for apt): librdkafka's tests/test-runner, built from
# Debian's source by scripts/install-librdkafka-tests.sh, and the venv whose confluent-kafka runs
# the stand-ins for Kafka's kafka-topics.sh and kafka-acls.sh (interop/librdkafka/kafka/bin).
#
#   scripts/librdkafka-suite.sh                    # the allowlist (CI): fails unless every listed test passes
#   scripts/librdkafka-suite.sh --all              # every test that needs a broker, per-test results (never fails)
#   scripts/librdkafka-suite.sh 0012 0045 --repeat 3 -v
#
# Every test number gets a fresh node on free ports. The last line counts passed, failed, skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

export STROM_BIN="${STROM_BIN:-$PWD/.build/debug/strom}"
if [[ ! -x "$STROM_BIN" ]]; then
  echo "librdkafka-suite: strom binary not found at $STROM_BIN (swift build --product strom, or set STROM_BIN)" >&2
  exit 1
fi

scripts/install-test-clients.sh

exec python3 interop/librdkafka/run.py "$@"
