#!/usr/bin/env bash
# Builds Strom (release) and runs one node. With no arguments: the embedded single-node default,
# clients on 127.0.0.1:9092, data in ./strom-data (formatted on first start). Any arguments go to
# `strom` (e.g. --config server.properties, --override key=value, format, random-uuid).
# Installs the C libraries it links (zlib, lz4, zstd, snappy) when they are missing.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
"$repo/scripts/install-build-deps.sh"
swift build -c release --product strom --package-path "$repo" >&2
exec "$repo/.build/release/strom" "$@"
