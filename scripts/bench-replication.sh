#!/usr/bin/env bash
# Replication benchmark (never part of the test run). In one run: the disk's dd conv=fdatasync rate;
# a single node (and, with BENCH_BASELINE_STROM, an older binary the same way); then the three-node
# cluster of docker/compose.yaml (scripts/cluster.sh, every port shifted by BENCH_PORT_OFFSET) with a
# replication factor 3 topic (min.insync.replicas=2) and a replication factor 1 topic. For each: 1 KiB
# idempotent acks=all produce throughput and broker CPU, and produce latency at a fixed moderate rate
# (bench/rdbench, C over the system librdkafka). Then leader failover: kill -9 of a partition leader
# under an idempotent acks=all producer, several runs, the medians, and the node logs' fence and
# election times (bench/replication_failover.py). Prints one table (bench/report_replication.py).
# About 10 minutes after the build. See bench/README.md.
#
#   scripts/bench-replication.sh [--no-build] [--quick] [--no-failover] [--runs N] [--keep-data] [--workdir DIR]
#
# Knobs (environment): BENCH_PORT_OFFSET (0: compose.yaml's ports 9092-29094; other people's clusters
# use those, so pick an offset), BENCH_STROM (default .build-release/release/strom), BENCH_BASELINE_STROM
# (an older strom for the single-node rows, e.g. one built before a change; BENCH_BASELINE_LABEL names
# it in the table), BENCH_1K_BYTES (2000000000), BENCH_1K_MAX_SECONDS (30), BENCH_LAT_RATE (500 msgs/s),
# BENCH_LAT_SECONDS (20), BENCH_PARTITIONS (single node, 4), BENCH_CLUSTER_PARTITIONS (3),
# BENCH_MAX_IN_FLIGHT (5), BENCH_DD_MB (1024), BENCH_FAILOVER_RUNS (5 per kind of victim),
# BENCH_FAILOVER_RATE (1000 msgs/s), BENCH_FAILOVER_KINDS (leader,controller), BENCH_FAILOVER_TRACE (set:
# a librdkafka debug log and a loopback pcap per failover run, which needs tcpdump).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
COMMAND_LINE="scripts/bench-replication.sh${*:+ $*}"

BUILD=1 KEEP=0 FAILOVER=1
WORK=$REPO/.build-bench/replication
while [ $# -gt 0 ]; do
    case $1 in
        --no-build) BUILD=0 ;;
        --no-failover) FAILOVER=0 ;;
        --keep-data) KEEP=1 ;;
        --runs) BENCH_FAILOVER_RUNS=$2; shift ;;
        --quick)
            : "${BENCH_1K_BYTES:=300000000}" "${BENCH_LAT_SECONDS:=4}" "${BENCH_DD_MB:=256}" "${BENCH_FAILOVER_RUNS:=1}" ;;
        --workdir) WORK=$(realpath -m "$2"); shift ;;
        -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
ONE_K_BYTES=${BENCH_1K_BYTES:-2000000000}
ONE_K_MAX_SECONDS=${BENCH_1K_MAX_SECONDS:-30}
LAT_RATE=${BENCH_LAT_RATE:-500}
LAT_SECONDS=${BENCH_LAT_SECONDS:-20}
PARTITIONS=${BENCH_PARTITIONS:-4}
CLUSTER_PARTITIONS=${BENCH_CLUSTER_PARTITIONS:-3}
MAX_IN_FLIGHT=${BENCH_MAX_IN_FLIGHT:-5}
DD_MB=${BENCH_DD_MB:-1024}
PORT_OFFSET=${BENCH_PORT_OFFSET:-0}
FAILOVER_RUNS=${BENCH_FAILOVER_RUNS:-5}
FAILOVER_RATE=${BENCH_FAILOVER_RATE:-1000}
FAILOVER_KINDS=${BENCH_FAILOVER_KINDS:-leader,controller}

STROM=$(realpath -m "${BENCH_STROM:-$REPO/.build-release/release/strom}")
BASELINE=${BENCH_BASELINE_STROM:+$(realpath -m "$BENCH_BASELINE_STROM")}
RDBENCH=$REPO/.build-bench/rdbench
RESULTS=$WORK/results.txt
. scripts/bench-lib.sh   # say, rdbench_build

# ---- prerequisites ---------------------------------------------------------------------------
[ -f /usr/include/librdkafka/rdkafka.h ] || { echo "missing librdkafka-dev (apt-get install librdkafka-dev)" >&2; exit 1; }
if [ "$BUILD" = 1 ]; then
    say "building strom (release, .build-release)"
    swift build -c release --product strom --scratch-path .build-release 2>&1 | tail -3 >&2
fi
for bin in "$STROM" ${BASELINE:+"$BASELINE"}; do [ -x "$bin" ] || { echo "no executable $bin" >&2; exit 1; }; done
mkdir -p "$(dirname "$RDBENCH")"
rdbench_build

rm -rf "$WORK"
mkdir -p "$WORK"
: > "$RESULTS"
record() { echo "$*" >> "$RESULTS"; }
load() { cut -d' ' -f1-3 /proc/loadavg | tr ' ' /; }
version_of() { stat -c %y "$1" | cut -d. -f1 | tr ' ' _; }  # a binary's build time
record phase=info "when=$(date -u +%Y-%m-%dT%H:%MZ)" "max_in_flight=$MAX_IN_FLIGHT" \
    "commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Package.swift || echo -dirty)" \
    "cores=$(nproc)" "kernel=$(uname -r)" "strom=$(version_of "$STROM")" "baseline=${BENCH_BASELINE_LABEL:-${BASELINE:+$(version_of "$BASELINE")}}" \
    "librdkafka=$(pkg-config --modversion rdkafka 2>/dev/null || echo ?)" "load_start=$(load)" \
    "lat_rate=$LAT_RATE" "partitions=$PARTITIONS" "cluster_partitions=$CLUSTER_PARTITIONS" "port_offset=$PORT_OFFSET"

BROKER_PIDS=()
SINGLE_PID=
CLUSTER_DIR=$WORK/cluster
COMPOSE=$WORK/compose.yaml
WRAPPER=$WORK/strom-stamped
cleanup() {
    if [ -n "$SINGLE_PID" ] && kill -0 "$SINGLE_PID" 2>/dev/null; then
        kill -TERM "$SINGLE_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SINGLE_PID" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$SINGLE_PID" 2>/dev/null || true
    fi
    if [ -d "$CLUSTER_DIR" ]; then
        STROM_BIN=$WRAPPER STROM_COMPOSE=$COMPOSE STROM_CLUSTER_DIR=$CLUSTER_DIR scripts/cluster.sh stop >/dev/null 2>&1 || true
        [ "$KEEP" = 1 ] || rm -rf "$CLUSTER_DIR"/*/data
    fi
    [ "$KEEP" = 1 ] || rm -rf "$WORK/single" "$WORK/ddtest"
}
trap cleanup EXIT

# ---- measuring ------------------------------------------------------------------------------------
dd_rate() { bench_dd_rate "$DD_MB" "$@"; } # [dd flag] -> MB/s of dd conv=fdatasync (or the flag) into the work dir (the data dirs' filesystem)
TICK=$(getconf CLK_TCK)
broker_ticks() { local p s=0; for p in "${BROKER_PIDS[@]}"; do s=$((s + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }'))); done; echo "$s"; }
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }

# ISR changes the cluster's leaders proposed so far (a follower falling behind for replica.lag.time.max.ms
# leaves the ISR, and acks=all then waits for fewer replicas).
isr_changes() { cat "$CLUSTER_DIR"/*/strom.log 2>/dev/null | grep -c 'proposing ISR changes' || true; }

# phase NAME rdbench-args...: runs rdbench, records its RESULT line, the brokers' CPU seconds (all of
# BROKER_PIDS) and the machine's.
phase() {
    local name=$1; shift
    sync; sleep 1
    local t0 t1 m0 m1 out
    local i0 i1 free_mb
    free_mb=$(awk '/^MemFree:/ { print int($2 / 1024) }' /proc/meminfo)
    t0=$(broker_ticks); m0=$(machine_ticks); i0=$(isr_changes)
    out=$("$RDBENCH" "$@" 2>>"$WORK/rdbench.log") || { echo "phase $name failed: $out (see $WORK/rdbench.log)" >&2; exit 1; }
    t1=$(broker_ticks); m1=$(machine_ticks); i1=$(isr_changes)
    out=$(echo "$out" | grep '^RESULT' | sed 's/^RESULT //')
    record "phase=$name" "broker_cpu_s=$(awk -v a="$t0" -v b="$t1" -v t="$TICK" 'BEGIN { printf "%.2f", (b - a) / t }')" \
        "machine_cpu_s=$(awk -v a="$m0" -v b="$m1" -v t="$TICK" 'BEGIN { printf "%.2f", (b - a) / t }')" \
        "brokers=${#BROKER_PIDS[@]}" "load=$(load)" "isr_changes=$((i1 - i0))" "free_mb=$free_mb" "$out"
    echo "$name: $(tail -1 "$RESULTS")" >&2
}

create_topic() { # BROKERS TOPIC PARTITIONS [rdbench create args...]
    local brokers=$1 topic=$2 n=$3; shift 3
    for _ in $(seq 30); do
        "$RDBENCH" create brokers="$brokers" topic="$topic" partitions="$n" "$@" >/dev/null 2>>"$WORK/rdbench.log" && return 0
        sleep 1
    done
    echo "could not create topic $topic (see $WORK/rdbench.log)" >&2; exit 1
}

# in_sync BROKERS TOPIC: waits until every partition of TOPIC has all its replicas in its ISR (a phase
# that started with a follower still joining would measure a smaller ISR).
in_sync() {
    for _ in $(seq 240); do
        "$RDBENCH" metadata brokers="$1" topic="$2" 2>>"$WORK/rdbench.log" | awk '
            /^PARTITION/ { for (k = 1; k <= NF; k++) { if ($k ~ /^replicas=/) r = substr($k, 10); if ($k ~ /^isr=/) i = substr($k, 5) }
                           if (split(r, a, ",") != split(i, b, ",")) bad = 1; n++ }
            END { exit (n > 0 && !bad) ? 0 : 1 }' && return 0
        sleep 0.5
    done
    echo "topic $2: replicas still missing from the ISR after 120 s" >&2; exit 1
}

# produce_phases PREFIX BROKERS PARTITIONS TOPIC-PREFIX: throughput, then latency at LAT_RATE.
produce_phases() {
    local prefix=$1 brokers=$2 n=$3 topic=$4
    local common=(produce brokers="$brokers" partitions="$n" X.max.in.flight="$MAX_IN_FLIGHT" size=1024 acks=all idempotent=1)
    in_sync "$brokers" "$topic-tput"
    phase "$prefix-tput" "${common[@]}" topic="$topic-tput" max_bytes="$ONE_K_BYTES" max_seconds="$ONE_K_MAX_SECONDS"
    # linger.ms=1, not 0: with 0, librdkafka 2.0 busy-polls whenever every in-flight slot is taken.
    in_sync "$brokers" "$topic-lat"
    phase "$prefix-lat" "${common[@]}" topic="$topic-lat" rate="$LAT_RATE" max_seconds="$LAT_SECONDS" latency=1 linger_ms=1
}

# ---- 1. disk ----------------------------------------------------------------------------------------
say "disk: dd $DD_MB MiB conv=fdatasync into $WORK"
record phase=dd-start MBps="$(dd_rate)" count="$DD_MB"
# Every 1 MiB synced on its own: what one fdatasync per 1 MB produce request would allow without overlap.
record phase=dd-dsync MBps="$(dd_rate oflag=dsync)" count="$DD_MB"

# ---- 2. single node -------------------------------------------------------------------------------
single_node() { # NAME BINARY
    local name=$1 bin=$2 port cport
    read -r port cport < <(bench_free_ports 2)
    rm -rf "$WORK/single"; mkdir -p "$WORK/single"
    say "single node $name: $bin on 127.0.0.1:$port"
    "$bin" --override "listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport" \
        --override "advertised.listeners=PLAINTEXT://127.0.0.1:$port" \
        --override "controller.quorum.voters=1@127.0.0.1:$cport" \
        --override "log.dirs=$WORK/single" > "$WORK/broker-$name.log" 2>&1 &
    SINGLE_PID=$!
    for _ in $(seq 150); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        kill -0 "$SINGLE_PID" 2>/dev/null || { cat "$WORK/broker-$name.log" >&2; exit 1; }
        sleep 0.2
    done
    BROKER_PIDS=("$SINGLE_PID")
    create_topic "127.0.0.1:$port" "$name-tput" "$PARTITIONS"
    create_topic "127.0.0.1:$port" "$name-lat" "$PARTITIONS"
    produce_phases "$name" "127.0.0.1:$port" "$PARTITIONS" "$name"
    kill -TERM "$SINGLE_PID"; wait "$SINGLE_PID" || true
    SINGLE_PID=
    rm -rf "$WORK/single"
}
single_node single "$STROM"
[ -z "$BASELINE" ] || single_node baseline "$BASELINE"
say "disk again: dd conv=fdatasync (the disk drifts; the single-node ratio uses the mean of the two around it)"
record phase=dd-mid MBps="$(dd_rate)" count="$DD_MB"

# ---- 3. three-node cluster ------------------------------------------------------------------------------
# compose.yaml with every port (9092-9094, 19092-19094, 29092-29094) shifted by PORT_OFFSET.
python3 -c '
import re, sys
off = int(sys.argv[1])
text = open(sys.argv[2]).read()
sys.stdout.write(re.sub(r"\b(?:9|19|29)09[234]\b", lambda m: str(int(m.group()) + off), text))' \
    "$PORT_OFFSET" docker/compose.yaml > "$COMPOSE"
# strom with every line of its output prefixed by the wall clock, `@<unix seconds.ms> `, for the failover
# timelines (strom's own log lines carry whole seconds). exec keeps strom's pid the one cluster.sh records.
cat > "$WORK/stamp.py" <<'EOF'
import sys, time
out = sys.stdout.buffer
for line in iter(sys.stdin.buffer.readline, b""):
    out.write(b"@%.3f " % time.time() + line)
    out.flush()
EOF
cat > "$WRAPPER" <<EOF
#!/usr/bin/env bash
[ "\${1:-}" = print-config ] && exec "$STROM" "\$@"
exec "$STROM" "\$@" > >(exec python3 -u "$WORK/stamp.py") 2>&1
EOF
chmod +x "$WRAPPER"
export STROM_BIN=$WRAPPER STROM_COMPOSE=$COMPOSE STROM_CLUSTER_DIR=$CLUSTER_DIR
# Preferred leaders come back within seconds of a restarted node rejoining the ISR, so every failover
# run starts from the same balanced leadership (Kafka's default check is every 300 s).
export STROM_CLUSTER_OVERRIDES="leader.imbalance.check.interval.seconds=2"
ports=()
for n in 1 2 3; do ports+=("127.0.0.1:$(scripts/cluster.sh env "$n" | sed -nE 's#^KAFKA_ADVERTISED_LISTENERS=(.*,)?PLAINTEXT://[^,]*:([0-9]+).*#\2#p')"); done
CLUSTER_BROKERS=$(IFS=,; echo "${ports[*]}")
say "three-node cluster on $CLUSTER_BROKERS (compose ports + $PORT_OFFSET, $CLUSTER_DIR)"
# Shifted ports can land in the kernel's ephemeral range (net.ipv4.ip_local_port_range, 32768-60999 here).
# There a node's port may be some connection's local end for a while: the other nodes' own retries to
# reach it walk the ephemeral ports, and one that picks the very port it connects to is connected to
# itself (TCP simultaneous open) until it times out. The start is retried for the nodes left, for up to
# a minute; an offset that keeps every port below the range avoids this.
for attempt in $(seq 12); do
    scripts/cluster.sh start >&2 && break
    [ "$attempt" = 12 ] && { echo "the cluster did not start (see $CLUSTER_DIR/*/strom.log)" >&2; exit 1; }
    sleep 5
done
BROKER_PIDS=($(cat "$CLUSTER_DIR"/{1,2,3}/strom.pid))
# Every node must know all three brokers before a replication factor 3 topic can be placed.
create_topic "$CLUSTER_BROKERS" rf3-tput "$CLUSTER_PARTITIONS" replication_factor=3 T.min.insync.replicas=2
create_topic "$CLUSTER_BROKERS" rf3-lat "$CLUSTER_PARTITIONS" replication_factor=3 T.min.insync.replicas=2
create_topic "$CLUSTER_BROKERS" rf1-tput "$CLUSTER_PARTITIONS" replication_factor=1
create_topic "$CLUSTER_BROKERS" rf1-lat "$CLUSTER_PARTITIONS" replication_factor=1
create_topic "$CLUSTER_BROKERS" failover "$CLUSTER_PARTITIONS" replication_factor=3 T.min.insync.replicas=2
"$RDBENCH" metadata brokers="$CLUSTER_BROKERS" topic=rf3-tput 2>>"$WORK/rdbench.log" | sed 's/^/rf3-tput /' >&2
produce_phases rf3 "$CLUSTER_BROKERS" "$CLUSTER_PARTITIONS" rf3
produce_phases rf1 "$CLUSTER_BROKERS" "$CLUSTER_PARTITIONS" rf1

if [ "$FAILOVER" = 1 ]; then
    say "leader failover: kill -9 of a partition leader, $FAILOVER_RUNS runs per kind ($FAILOVER_KINDS)"
    python3 bench/replication_failover.py --cluster-dir "$CLUSTER_DIR" --compose "$COMPOSE" --strom "$WRAPPER" \
        --rdbench "$RDBENCH" --topic failover --partitions "$CLUSTER_PARTITIONS" --runs "$FAILOVER_RUNS" \
        --kinds "$FAILOVER_KINDS" --rate "$FAILOVER_RATE" --results "$RESULTS" --workdir "$WORK/failover" \
        --producer-arg X.max.in.flight="$MAX_IN_FLIGHT" ${BENCH_FAILOVER_TRACE:+--trace} >/dev/null
fi
scripts/cluster.sh stop >&2

say "disk at the end: dd conv=fdatasync"
record phase=dd-end MBps="$(dd_rate)" count="$DD_MB" "load_end=$(load)"

# ---- report ------------------------------------------------------------------------------------------
for f in "$WORK"/broker-*.log "$CLUSTER_DIR"/*/strom.log; do
    echo "$f: $(grep -ciE 'error|warning' "$f" || true) warning/error lines" >&2
done
python3 bench/report_replication.py "$RESULTS" --command "$COMMAND_LINE"
echo
echo "raw results and logs: $WORK"
