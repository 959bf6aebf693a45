#!/usr/bin/env bash
# Runs the Swift suite N times (default 10) while background processes keep both cores and the disk
# busy, and prints each run's failures. Not part of CI: a suite that passes here 10 of 10 times does
# not depend on timing. Load: two CPU spinners (niced 0, like a compile beside the tests) and one
# writer that appends 64 MiB and fdatasyncs in a loop. Exit 0 only when every run passed.
#
#     scripts/flake-check.sh 10            # STROM_TEST_LOG=1 adds the brokers' debug logs to each run's output
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
out="${FLAKE_DIR:-$(mktemp -d /tmp/strom-flake-XXXXXX)}"
mkdir -p "$out"

swift build --build-tests >"$out/build.log" 2>&1 || { echo "build failed: $out/build.log"; exit 1; }

load_pids=()
stop_load() { for p in "${load_pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -f "$out/disk-load"; }
trap stop_load EXIT
for _ in 1 2; do (while :; do :; done) & load_pids+=($!); done
(while :; do dd if=/dev/zero of="$out/disk-load" bs=1M count=64 conv=fdatasync status=none; done) & load_pids+=($!)

failed=0
start=$(date +%s)
for i in $(seq 1 "$runs"); do
    t0=$(date +%s)
    if swift test --skip-build --parallel >"$out/run-$i.log" 2>&1; then
        echo "run $i: passed ($(( $(date +%s) - t0 )) s)"
    else
        failed=$((failed + 1))
        echo "run $i: FAILED ($(( $(date +%s) - t0 )) s), $out/run-$i.log:"
        grep -E "✘ Test .*(recorded an issue|failed)|error: .*XCTAssert|Fatal error|Test Case .* failed" "$out/run-$i.log" | head -20 | sed 's/^/    /'
    fi
done
echo "$((runs - failed)) passed, $failed failed ($(( $(date +%s) - start )) s under load; logs in $out)"
[ "$failed" -eq 0 ]
