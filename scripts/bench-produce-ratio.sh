#!/usr/bin/env bash
# Single-node acks=all produce against the disk, interleaved (never part of the test run): the one
# figure issue 11 sets a target for (≥ 0.8 of dd conv=fdatasync), measured so that a disk or a VM
# whose speed drifts from minute to minute cannot decide it.
#
# One broker (or two, A and B, started side by side for a comparison) on fresh data dirs; then ROUNDS
# rounds, each: dd of BYTES with conv=fdatasync into the data dirs' filesystem; `rdbench synclog`
# (bench/synclog.c: the same appends and fdatasyncs as the broker makes, 1 MB to 4 files in turn,
# 5 unsynced at most, without a broker); then for every broker rawproduce (bench/rawproduce.c: one
# connection, 5 requests of ~1 MB in flight, idempotent acks=all) of BYTES into a new 4-partition
# topic; then dd again. Each produce and each synclog is divided by the mean of the dd just before
# and just after it; the table gives every round and the medians. With two brokers their order
# alternates from round to round, so neither always runs first.
#
# Every measured phase starts right after BYTES were written to a scratch file and the file removed
# (unmeasured). On a VM that hands freed memory back to its host (virtio-balloon free page
# reporting), a page the guest has not touched lately costs several times more to write into than
# one it just freed; without this, whichever phase ran right after a dd (which frees its file) was
# up to three times faster than the next, for either binary.
#
# That warm-up only lasts as long as the freed pages stay the guest's. This VM's kernel reports a page
# that has been free for `page_reporting.min_free_ms` (0 by default) to the host within 1-3 s, and the
# next write into it costs about ten times the CPU: 1 GB into the page cache took 0.3 s of system time
# on just-freed pages and 3-4 s on reported ones (perf: `copy_folio_from_iter_atomic`). dd and synclog
# delete their files and start writing within a second of the warm-up; the broker keeps its log and
# starts later, so most of its rounds drew reported pages (3-4 core-s/GB against 1). When that
# parameter exists and is writable, the script sets it to 60 s for the run and restores it at exit,
# so that every phase writes into pages it just freed (BENCH_KEEP_REPORTING=1 leaves it alone).
#
#   scripts/bench-produce-ratio.sh [--no-build] [--rounds N] [--bytes B] [--workdir DIR]
#
# Environment: BENCH_STROM (default .build-release/release/strom), BENCH_STROM_B (a second binary:
# compared with the first in the same run), BENCH_PARTITIONS (4).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

BUILD=1 ROUNDS=6 BYTES=2000000000
WORK=$REPO/.build-bench/ratio
while [ $# -gt 0 ]; do
    case $1 in
        --no-build) BUILD=0 ;;
        --rounds) ROUNDS=$2; shift ;;
        --bytes) BYTES=$2; shift ;;
        --workdir) WORK=$(realpath -m "$2"); shift ;;
        -h|--help) sed -n '2,33p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
PARTITIONS=${BENCH_PARTITIONS:-4}
STROM=${BENCH_STROM:-$REPO/.build-release/release/strom}
STROM_B=${BENCH_STROM_B:-}
RDBENCH=$REPO/.build-bench/rdbench
RESULTS=$WORK/results.txt
. scripts/bench-lib.sh

bench_build "$BUILD"
[ -z "$STROM_B" ] || [ -x "$STROM_B" ] || { echo "no $STROM_B" >&2; exit 1; }

rm -rf "$WORK"
mkdir -p "$WORK"
: > "$RESULTS"
echo "phase=info when=$(date -u +%Y-%m-%dT%H:%MZ) commit=$(git rev-parse --short HEAD) rounds=$ROUNDS bytes=$BYTES cores=$(nproc) kernel=$(uname -r)" >> "$RESULTS"

PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$p" 2>/dev/null || true
    done
    rm -rf "$WORK"/data-* "$WORK/ddtest" "$WORK/warm" "$WORK"/synclog-*.log
    if [ -n "$REPORTING_WAS" ]; then echo "$REPORTING_WAS" > "$REPORTING"; fi
}
trap cleanup EXIT

# Free pages stay the guest's for 60 s while the run lasts (see the header).
REPORTING=/sys/module/page_reporting/parameters/min_free_ms REPORTING_WAS=
if [ -z "${BENCH_KEEP_REPORTING:-}" ] && [ -w "$REPORTING" ]; then
    REPORTING_WAS=$(cat "$REPORTING")
    echo 60000 > "$REPORTING"
fi
echo "phase=memory page_reporting_min_free_ms=$(cat "$REPORTING" 2>/dev/null || echo none)" >> "$RESULTS"

# start NAME BINARY: a node on free ports with its own data dir; sets PORT_<NAME> and PID_<NAME>.
start() {
    local name=$1 bin=$2 port cport
    read -r port cport < <(bench_free_ports 2)
    "$bin" --override "listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport" \
        --override "advertised.listeners=PLAINTEXT://127.0.0.1:$port" \
        --override "controller.quorum.voters=1@127.0.0.1:$cport" \
        --override "log.dirs=$WORK/data-$name" > "$WORK/broker-$name.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    bench_wait_port "$port" "$pid" "$WORK/broker-$name.log"
    printf -v "PORT_$name" %s "$port"
    printf -v "PID_$name" %s "$pid"
    echo "phase=binary name=$name path=$bin built=$(stat -c %y "$bin" | cut -d. -f1 | tr ' ' _)" >> "$RESULTS"
}

NAMES=(A)
start A "$STROM"
if [ -n "$STROM_B" ]; then NAMES+=(B); start B "$STROM_B"; fi

# Writes BYTES into a scratch file and removes it: the next phase finds as many recently freed pages.
warm() {
    dd if=/dev/zero of="$WORK/warm" bs=1M count=$((BYTES >> 20)) status=none
    rm -f "$WORK/warm"
}

# bench_phase (bench-lib.sh) calls this before it starts the clock.
bench_before_phase() { warm; }

# dd of BYTES (rounded down to MiB) with one fdatasync at the end; MB/s in 10^6 bytes.
dd_phase() { # LABEL
    warm
    sync; sleep 1
    local rate
    rate=$(bench_dd_rate $((BYTES >> 20)))
    echo "phase=$1 MBps=$rate" >> "$RESULTS"
    echo "$1: $rate MB/s" >&2
}

for round in $(seq "$ROUNDS"); do
    order=("${NAMES[@]}")
    if [ "${#NAMES[@]}" = 2 ] && [ $((round % 2)) = 0 ]; then order=(B A); fi
    dd_phase "dd-$round-before"
    warm
    sync; sleep 1
    line=$("$RDBENCH" synclog dir="$WORK" bytes="$BYTES") || { echo "synclog failed" >&2; exit 1; }
    echo "phase=synclog-$round ${line#RESULT }" >> "$RESULTS"
    echo "synclog-$round: $(tail -1 "$RESULTS")" >&2
    for name in "${order[@]}"; do
        port_var=PORT_$name pid_var=PID_$name
        topic=raw-$round-$name
        for _ in $(seq 20); do
            "$RDBENCH" create brokers="127.0.0.1:${!port_var}" topic="$topic" partitions="$PARTITIONS" >/dev/null 2>>"$WORK/rdbench.log" && break
            sleep 0.5
        done
        bench_phase "raw-$round-$name" "${!pid_var}" rawproduce brokers="127.0.0.1:${!port_var}" topic="$topic" partitions="$PARTITIONS" \
            size=1024 max_bytes="$BYTES" max_seconds=120 acks=all idempotent=1
    done
    dd_phase "dd-$round-after"
done

python3 - "$RESULTS" "${NAMES[@]}" <<'PY'
import statistics, sys
path, names = sys.argv[1], sys.argv[2:]
rows = {}
for line in open(path):
    f = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
    rows[f["phase"]] = f
rounds = sorted({int(p.split("-")[1]) for p in rows if p.startswith("raw-")})
print("\nround  dd before  dd after  synclog x dd  " + "  ".join("%s MB/s  %s x dd  %s core-s/GB" % (n, n, n) for n in names))
ratios = {n: [] for n in names}
cpu = {n: [] for n in names}
floor = []
for r in rounds:
    before, after = float(rows["dd-%d-before" % r]["MBps"]), float(rows["dd-%d-after" % r]["MBps"])
    dd = (before + after) / 2
    floor.append(float(rows["synclog-%d" % r]["MBps"]) / dd)
    cells = []
    for n in names:
        row = rows["raw-%d-%s" % (r, n)]
        mbps = float(row["MBps"])
        per_gb = float(row["broker_cpu_s"]) / (float(row["bytes"]) / 1e9)
        ratios[n].append(mbps / dd)
        cpu[n].append(per_gb)
        cells.append("%9.1f  %8.2f  %15.2f" % (mbps, mbps / dd, per_gb))
    print("%5d  %9.1f  %8.1f  %12.2f  %s" % (r, before, after, floor[-1], "  ".join(cells)))
print("synclog (no broker): median %.2f x dd" % statistics.median(floor))
for n in names:
    print("%s: median %.2f x dd (min %.2f, max %.2f) over %d rounds; broker %.2f core-s/GB (median)"
          % (n, statistics.median(ratios[n]), min(ratios[n]), max(ratios[n]), len(ratios[n]), statistics.median(cpu[n])))
    # Against synclog, the same appends and fsyncs without a broker, in the same round: how much the
    # broker itself costs, whatever state the VM's memory and disk are in that minute.
    own = [x / f for x, f in zip(ratios[n], floor)]
    print("%s / synclog, round by round: median %.2f (%s)" % (n, statistics.median(own), " ".join("%.2f" % x for x in own)))
if len(names) == 2:
    paired = [b / a for a, b in zip(ratios["A"], ratios["B"])]
    print("B / A, round by round: median %.3f (%s)" % (statistics.median(paired), " ".join("%.2f" % p for p in paired)))
print("target: >= 0.8 x dd (issue 11)")
PY
echo "raw results: $RESULTS" >&2
