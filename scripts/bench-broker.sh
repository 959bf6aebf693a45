#!/usr/bin/env bash
# End-to-end broker benchmark (never part of the test run). In one run it measures this machine's
# disk (dd with fdatasync) and loopback limits, starts the release `strom` on a fresh data dir,
# drives it with bench/rdbench (C, system librdkafka) — produce 1 KiB and 100 B records with acks=1
# and acks=all (idempotent), 1 KiB again with rdbench's own lean producer (bench/rawproduce.c),
# consume everything back, produce latency at a fixed low rate — reads
# the broker's CPU (utime+stime) around every phase, profiles a produce and a consume run with
# `perf record`, and prints one table with the targets. About 3 minutes after the builds.
# See bench/README.md for what each number means.
#
#   scripts/bench-broker.sh [--no-build] [--no-profile] [--quick] [--keep-data] [--workdir DIR]
#
# Knobs (environment): BENCH_1K_BYTES (default 2000000000), BENCH_1K_MAX_SECONDS (60),
# BENCH_100B_SECONDS (20), BENCH_LAT_RATE (500 msgs/s), BENCH_LAT_SECONDS (20), BENCH_PARTITIONS (4),
# BENCH_MAX_IN_FLIGHT (2), BENCH_DD_MB (1024), BENCH_LOOPBACK_BYTES (4000000000), BENCH_PROFILE_SECONDS (12),
# BENCH_STROM (the strom binary; default .build-release/release/strom; e.g. an older build to compare).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
COMMAND_LINE="scripts/bench-broker.sh${*:+ $*}"

BUILD=1 PROFILE=1 KEEP=0
WORK=$REPO/.build-bench/run
while [ $# -gt 0 ]; do
    case $1 in
        --no-build) BUILD=0 ;;
        --no-profile) PROFILE=0 ;;
        --keep-data) KEEP=1 ;;
        --quick)
            : "${BENCH_1K_BYTES:=200000000}" "${BENCH_100B_SECONDS:=5}" "${BENCH_LAT_SECONDS:=4}"
            : "${BENCH_DD_MB:=256}" "${BENCH_LOOPBACK_BYTES:=1000000000}" "${BENCH_PROFILE_SECONDS:=5}" ;;
        --workdir) WORK=$(realpath -m "$2"); shift ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
ONE_K_BYTES=${BENCH_1K_BYTES:-2000000000}
ONE_K_MAX_SECONDS=${BENCH_1K_MAX_SECONDS:-60}
SMALL_SECONDS=${BENCH_100B_SECONDS:-20}
LAT_RATE=${BENCH_LAT_RATE:-500}
LAT_SECONDS=${BENCH_LAT_SECONDS:-20}
# librdkafka's requests in flight per connection: with more than 2, its broker thread busy-polls
# while it waits for a free slot (a whole core at acks=all, taken from the broker on this 2-core
# machine). rawproduce keeps 5 in flight.
MAX_IN_FLIGHT=${BENCH_MAX_IN_FLIGHT:-2}
PARTITIONS=${BENCH_PARTITIONS:-4}
DD_MB=${BENCH_DD_MB:-1024}
LOOPBACK_BYTES=${BENCH_LOOPBACK_BYTES:-4000000000}
PROFILE_SECONDS=${BENCH_PROFILE_SECONDS:-12}

STROM=${BENCH_STROM:-$REPO/.build-release/release/strom}
RDBENCH=$REPO/.build-bench/rdbench
RESULTS=$WORK/results.txt
. scripts/bench-lib.sh   # say, bench_build

# ---- prerequisites ---------------------------------------------------------------------------
apt_install() {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get install -y "$@" >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y "$@" >/dev/null; }
    else
        echo "missing $*: install it (apt-get install $*)" >&2; exit 1
    fi
}
[ -f /usr/include/librdkafka/rdkafka.h ] || { say "installing librdkafka-dev"; apt_install librdkafka-dev; }
command -v cc >/dev/null || apt_install gcc
if [ "$PROFILE" = 1 ] && ! command -v perf >/dev/null; then say "installing linux-perf"; apt_install linux-perf; fi

bench_build "$BUILD"

rm -rf "$WORK"
mkdir -p "$WORK/data"
: > "$RESULTS"
record() { echo "$*" >> "$RESULTS"; }
record phase=info "when=$(date -u +%Y-%m-%dT%H:%MZ)" "max_in_flight=$MAX_IN_FLIGHT" "commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Package.swift || echo -dirty)" \
    "cores=$(nproc)" "kernel=$(uname -r)" "strom=$(stat -c %y "$STROM" | cut -d. -f1 | tr ' ' _)" \
    "librdkafka=$(pkg-config --modversion rdkafka 2>/dev/null || echo ?)"

BROKER_PID=
PERF_PID=
cleanup() {
    [ -n "$PERF_PID" ] && kill -INT "$PERF_PID" 2>/dev/null || true
    if [ -n "$BROKER_PID" ] && kill -0 "$BROKER_PID" 2>/dev/null; then
        kill -TERM "$BROKER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$BROKER_PID" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$BROKER_PID" 2>/dev/null || true
    fi
    [ "$KEEP" = 1 ] || rm -rf "$WORK/data" "$WORK/ddtest"
}
trap cleanup EXIT

# ---- 1. machine limits -------------------------------------------------------------------------
dd_rate() { bench_dd_rate "$DD_MB" "$1"; } # flag -> MB/s
say "disk: dd $DD_MB MiB conv=fdatasync and oflag=dsync into $WORK (same filesystem as the data dir)"
record phase=dd-fdatasync count="$DD_MB" MBps="$(dd_rate conv=fdatasync)"
record phase=dd-dsync count="$DD_MB" MBps="$(dd_rate oflag=dsync)"
say "page cache: CPU cost of buffered 1 MiB pwrites of $DD_MB MiB into a new file, twice (no sync)"
for i in 1 2; do
    record phase=pagecache-$i $("$RDBENCH" pagecache file="$WORK/ddtest" bytes=$((DD_MB << 20)) | sed 's/^RESULT //')
done
say "loopback: $LOOPBACK_BYTES bytes through 127.0.0.1"
record phase=loopback $("$RDBENCH" loopback bytes="$LOOPBACK_BYTES" | sed 's/^RESULT //')
tail -5 "$RESULTS" >&2

# ---- 2. broker ----------------------------------------------------------------------------------
read -r PORT CPORT < <(bench_free_ports 2)
BROKERS=127.0.0.1:$PORT
say "starting strom on $BROKERS (data in $WORK/data)"
"$STROM" --override "listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT" \
    --override "advertised.listeners=PLAINTEXT://127.0.0.1:$PORT" \
    --override "controller.quorum.voters=1@127.0.0.1:$CPORT" \
    --override "log.dirs=$WORK/data" > "$WORK/broker.log" 2>&1 &
BROKER_PID=$!
for _ in $(seq 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    kill -0 "$BROKER_PID" 2>/dev/null || { cat "$WORK/broker.log" >&2; exit 1; }
    sleep 0.2
done
TICK=$(getconf CLK_TCK)
broker_ticks() { sed 's/^.*) //' "/proc/$BROKER_PID/stat" | awk '{ print $12 + $13 }'; }
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }  # busy, all cores

create_topic() {
    for _ in $(seq 20); do
        "$RDBENCH" create brokers="$BROKERS" topic="$1" partitions="$PARTITIONS" >/dev/null 2>>"$WORK/rdbench.log" && return 0
        sleep 0.5
    done
    echo "could not create topic $1 (see $WORK/rdbench.log)" >&2; exit 1
}

# phase NAME rdbench-args...: runs rdbench, records its RESULT line plus the broker's CPU seconds.
phase() {
    local name=$1; shift
    sync; sleep 1   # no writeback left over from the phase before
    local t0 t1 m0 m1 out
    local free_mb
    free_mb=$(awk '/^MemFree:/ { print int($2 / 1024) }' /proc/meminfo)
    t0=$(broker_ticks); m0=$(machine_ticks)
    out=$("$RDBENCH" "$@" 2>>"$WORK/rdbench.log") || { echo "phase $name failed: $out (see $WORK/rdbench.log)" >&2; exit 1; }
    t1=$(broker_ticks); m1=$(machine_ticks)
    out=$(echo "$out" | grep '^RESULT' | sed 's/^RESULT //')
    record "phase=$name" "broker_cpu_s=$(awk -v a="$t0" -v b="$t1" -v t="$TICK" 'BEGIN { printf "%.2f", (b - a) / t }')" \
        "machine_cpu_s=$(awk -v a="$m0" -v b="$m1" -v t="$TICK" 'BEGIN { printf "%.2f", (b - a) / t }')" "free_mb=$free_mb" \
        "$out" "$(extra_fields "$@")"
    echo "$name: $(tail -1 "$RESULTS")" >&2
}
extra_fields() { local a; for a in "$@"; do case $a in rate=*|linger_ms=*) printf '%s ' "$a" ;; esac; done; }
field() { grep "^phase=$1 " "$RESULTS" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

for t in t1k-acks1 t1k-acksall t1k-acksall-raw t1k-acks1-raw t1k-txn1000 t1k-txn100ms t100b-acks1 t100b-acksall lat-acks1 lat-acksall prof-produce; do create_topic "$t"; done
COMMON=(brokers="$BROKERS" partitions="$PARTITIONS")
sync; sleep 1
i0=$(broker_ticks); sleep 5; i1=$(broker_ticks)
record phase=idle "broker_cores=$(awk -v a="$i0" -v b="$i1" -v t="$TICK" 'BEGIN { printf "%.3f", (b - a) / t / 5 }')"
PRODUCE=(produce "${COMMON[@]}" X.max.in.flight="$MAX_IN_FLIGHT")

say "produce 1 KiB x $ONE_K_BYTES bytes (at most $ONE_K_MAX_SECONDS s), acks=1 then acks=all idempotent"
phase produce-1k-acks1 "${PRODUCE[@]}" topic=t1k-acks1 size=1024 max_bytes="$ONE_K_BYTES" max_seconds="$ONE_K_MAX_SECONDS" acks=1
phase produce-1k-acksall "${PRODUCE[@]}" topic=t1k-acksall size=1024 max_bytes="$ONE_K_BYTES" max_seconds="$ONE_K_MAX_SECONDS" acks=all idempotent=1
say "produce 1 KiB with rawproduce (one connection, 5 requests of ~1 MB in flight, no librdkafka): acks=all idempotent, then acks=1"
# librdkafka spends about as much CPU as the broker here, on the same two cores: this driver costs
# ~0.2 core-s/GB, so what it reaches is the broker's produce path (bench/rawproduce.c).
RAW=(rawproduce "${COMMON[@]}" size=1024 max_bytes="$ONE_K_BYTES" max_seconds="$ONE_K_MAX_SECONDS")
phase produce-1k-acksall-raw "${RAW[@]}" topic=t1k-acksall-raw acks=all idempotent=1
phase produce-1k-acks1-raw "${RAW[@]}" topic=t1k-acks1-raw acks=1 idempotent=0
say "produce 1 KiB transactional: a commit every 1,000 records, then every 100 ms"
# With the 1 GB queue of the other phases, 100 ms of produce() calls queue a second's worth of records
# that the commit then waits for; 32 MiB (the Java producer's buffer.memory) keeps a transaction near 100 ms.
phase produce-1k-txn1000 "${PRODUCE[@]}" topic=t1k-txn1000 size=1024 max_bytes="$ONE_K_BYTES" max_seconds="$ONE_K_MAX_SECONDS" acks=all txn_records=1000
phase produce-1k-txn100ms "${PRODUCE[@]}" topic=t1k-txn100ms size=1024 max_bytes="$ONE_K_BYTES" max_seconds="$ONE_K_MAX_SECONDS" acks=all txn_ms=100 \
    X.queue.buffering.max.kbytes=32768
say "produce 100 B for $SMALL_SECONDS s, acks=1 then acks=all idempotent"
phase produce-100b-acks1 "${PRODUCE[@]}" topic=t100b-acks1 size=100 max_bytes=1000000000000 max_seconds="$SMALL_SECONDS" acks=1
phase produce-100b-acksall "${PRODUCE[@]}" topic=t100b-acksall size=100 max_bytes=1000000000000 max_seconds="$SMALL_SECONDS" acks=all idempotent=1
say "consume everything back (partition assignment, from the beginning)"
phase consume-1k consume "${COMMON[@]}" topic=t1k-acksall expect="$(field produce-1k-acksall delivered)"
phase consume-100b consume "${COMMON[@]}" topic=t100b-acksall expect="$(field produce-100b-acksall delivered)"
# linger.ms=1, not 0: with 0, librdkafka 2.0 also busy-polls whenever every in-flight slot is taken.
say "produce latency: 1 KiB at $LAT_RATE msgs/s for $LAT_SECONDS s, linger.ms=1"
phase latency-1k-acks1 "${PRODUCE[@]}" topic=lat-acks1 size=1024 rate="$LAT_RATE" max_seconds="$LAT_SECONDS" acks=1 latency=1 linger_ms=1
phase latency-1k-acksall "${PRODUCE[@]}" topic=lat-acksall size=1024 rate="$LAT_RATE" max_seconds="$LAT_SECONDS" acks=all idempotent=1 latency=1 linger_ms=1

# ---- 3. profiles --------------------------------------------------------------------------------
profile() { # NAME TITLE rdbench-args...: perf record -g on the broker while rdbench runs
    local name=$1 title=$2; shift 2
    sync; sleep 1
    perf record -e cpu-clock -F 499 -g -p "$BROKER_PID" -o "$WORK/perf-$name.data" >"$WORK/perf-$name.log" 2>&1 &
    PERF_PID=$!
    sleep 0.5
    "$RDBENCH" "$@" 2>>"$WORK/rdbench.log" | sed "s/^RESULT /profile $name: /" >&2
    kill -INT "$PERF_PID"; wait "$PERF_PID" || true; PERF_PID=
    perf script -i "$WORK/perf-$name.data" -F comm,tid,ip,sym,dso 2>/dev/null \
        | { if command -v swift-demangle >/dev/null; then swift-demangle; else cat; fi; } > "$WORK/stacks-$name.txt"
    python3 bench/perf_summary.py "$WORK/stacks-$name.txt" --title "$title" > "$WORK/profile-$name.txt"
}
if [ "$PROFILE" = 1 ]; then
    say "profiling: perf record -g during a 1 KiB acks=all produce ($PROFILE_SECONDS s) and a 1 KiB consume"
    profile produce "strom during a 1 KiB acks=all idempotent produce" "${PRODUCE[@]}" topic=prof-produce size=1024 max_bytes="$ONE_K_BYTES" max_seconds="$PROFILE_SECONDS" acks=all idempotent=1
    profile consume "strom during a 1 KiB consume (page cache warm)" consume "${COMMON[@]}" topic=t1k-acksall expect="$(field produce-1k-acksall delivered)"
    say "profiling: per-request cost, 1 KiB acks=1 at 2000 msgs/s with linger.ms=0 (about one record per request)"
    profile requests "strom serving small requests: 1 KiB acks=1, 2000 msgs/s, linger.ms=0" \
        "${PRODUCE[@]}" topic=lat-acks1 size=1024 rate=2000 max_seconds="$PROFILE_SECONDS" acks=1 linger_ms=0
    say "syscall time: perf trace -s during a 1 KiB acks=all produce ($PROFILE_SECONDS s)"
    sync; sleep 1
    perf trace -s -p "$BROKER_PID" -o "$WORK/trace-produce.txt" >/dev/null 2>&1 &
    PERF_PID=$!
    sleep 0.5
    "$RDBENCH" "${PRODUCE[@]}" topic=prof-produce size=1024 max_bytes="$ONE_K_BYTES" max_seconds="$PROFILE_SECONDS" acks=all idempotent=1 \
        2>>"$WORK/rdbench.log" | sed "s/^RESULT /perf trace: /" >&2
    kill -INT "$PERF_PID"; wait "$PERF_PID" || true; PERF_PID=
    python3 bench/perf_summary.py --syscalls "$WORK/trace-produce.txt" > "$WORK/syscalls-produce.txt"
fi

say "disk again: dd conv=fdatasync (the disk's rate drifts; the ratio uses the mean of both)"
record phase=dd-fdatasync-end count="$DD_MB" MBps="$(dd_rate conv=fdatasync)"

# ---- report ---------------------------------------------------------------------------------------
echo "broker.log: $(grep -ciE 'error|warning' "$WORK/broker.log" || true) warning/error lines ($WORK/broker.log)" >&2
if [ "$PROFILE" = 1 ]; then
    echo
    cat "$WORK/profile-produce.txt"; echo
    cat "$WORK/profile-consume.txt"; echo
    cat "$WORK/profile-requests.txt"; echo
    cat "$WORK/syscalls-produce.txt"; echo
fi
python3 bench/report.py "$RESULTS" --command "$COMMAND_LINE"
echo
echo "raw results, logs and perf data: $WORK"
