#!/usr/bin/env bash
# Runs every Strom test: installs missing build dependencies, builds once, runs the whole Swift
# suite in one `swift test` invocation, then the interop suite (the real strom binary driven by
# eight stock Kafka clients, installed on first use), then librdkafka's own test suite against the
# same binary (its allowlisted tests; interop/librdkafka/README.md). ../shared/kafka-protocol beside the
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

# librdkafka's own test suite, the tests on interop/librdkafka/allowlist.txt (about 10 minutes).
STROM_BIN="$PWD/.build/debug/strom" scripts/librdkafka-suite.sh
