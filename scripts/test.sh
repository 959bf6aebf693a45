#!/usr/bin/env bash
# Runs every Strom test: installs missing build dependencies, builds once, runs the whole
# swift test suite in one invocation. ../shared/kafka-protocol beside the repository enables the
# check of Protocol/ against Kafka's own schemas (CI always has it).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-build-deps.sh

if [ ! -d ../shared/kafka-protocol ]; then
    echo "note: ../shared/kafka-protocol not found; the upstream schema check will be reported as skipped" >&2
fi

swift build --build-tests
swift test --skip-build --parallel
