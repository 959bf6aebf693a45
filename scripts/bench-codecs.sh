#!/usr/bin/env bash
# Runs strom-bench (CRC32C, record batch decode, codec throughput) in release mode and prints its tables.
# Uses its own scratch path so it does not disturb other builds. Takes about a minute after the build.
set -euo pipefail
cd "$(dirname "$0")/.."
exec swift run -c release --scratch-path "${SCRATCH_PATH:-.build-codecs}" strom-bench "$@"
