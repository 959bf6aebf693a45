#!/usr/bin/env bash
# Runs every Strom test: installs missing build dependencies, builds once, runs the whole Swift
# suite in one `swift test` invocation, then the interop suite (the real strom binary driven by
# seven stock Kafka clients, installed on first use). ../shared/kafka-protocol beside the
# repository enables the check of Protocol/ against Kafka's own schemas (CI always has it).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-build-deps.sh

if [ ! -d ../shared/kafka-protocol ]; then
    echo "note: ../shared/kafka-protocol not found; the upstream schema check will be reported as skipped" >&2
fi

swift build --build-tests
swift test --skip-build --parallel

STROM_BIN="$PWD/.build/debug/strom" scripts/interop.sh -q
