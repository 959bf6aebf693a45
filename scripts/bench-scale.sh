#!/usr/bin/env bash
# One node holding many partitions (issue: "10,000 and 50,000 partitions"), in one run per count N:
#   1. a fresh node; N partitions created with CreateTopics (topics of BENCH_SCALE_PER_TOPIC partitions,
#      several topics per request), every request timed (a cost growing with what the node already
#      holds shows as later requests taking longer);
#   2. Metadata v12 on the raw wire (bench/scale.py): all topics and one topic, p50/p99, response size;
#   3. produce with one librdkafka producer (confluent-kafka), 1 KiB values, record i to partition
#      i mod N: acks=all, then acks=1; the same producer and volume on a 10-partition topic of the same
#      node as the baseline (ratios); then raw Produce v8 requests (bench/scale.py wire-produce), the
#      broker's side without librdkafka's per-partition cost: 1,000 partitions x 1 record per request
#      against 10 partitions x 100 records;
#   4. restart (SIGTERM, wait for exit, start): time to /health/ready = 200, from the node's own
#      (JSON, millisecond) log lines where start-up spends it;
#   5. resident memory (VmRSS, VmHWM), /proc/PID/smaps_rollup (anonymous vs file-mapped), open
#      descriptors, threads and memory mappings at each step; per partition, against the empty node.
# With perf available (and no --no-profile), `perf record -e cpu-clock -g` of the broker during the
# creation, the acks=all produce and the start-up, summarised by bench/perf_summary.py.
#
#   scripts/bench-scale.sh [--partitions 10000,50000] [--quick] [--no-profile] [--keep-data] [--workdir DIR]
#
# --quick: 1,000 partitions and 20,000 records (a smoke run of the script, not for figures).
# Environment: STROM_BIN (default .build-release/release/strom, else the main worktree's),
# PYTHON (a python with confluent-kafka; default .venv/bin/python, else the main worktree's),
# BENCH_SCALE_PER_TOPIC (1000), BENCH_SCALE_RECORDS (200000 per produce phase), BENCH_SCALE_SIZE (1024),
# BENCH_SCALE_MAX_SECONDS (300 per produce phase), BENCH_SCALE_METADATA_REPEAT (20),
# BENCH_SCALE_BASELINE_PARTITIONS (10).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
COMMAND_LINE="scripts/bench-scale.sh${*:+ $*}"
COUNTS=10000,50000 PROFILE=1 KEEP=0 QUICK=0
WORK=$REPO/.build-bench/scale-run
while [ $# -gt 0 ]; do
    case $1 in
        --partitions) COUNTS=$2; shift ;;
        --quick) QUICK=1; COUNTS=1000; : "${BENCH_SCALE_RECORDS:=20000}" ;;
        --no-profile) PROFILE=0 ;;
        --keep-data) KEEP=1 ;;
        --workdir) WORK=$(realpath -m "$2"); shift ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
PER_TOPIC=${BENCH_SCALE_PER_TOPIC:-1000}
RECORDS=${BENCH_SCALE_RECORDS:-200000}
SIZE=${BENCH_SCALE_SIZE:-1024}
MAX_SECONDS=${BENCH_SCALE_MAX_SECONDS:-300}
MD_REPEAT=${BENCH_SCALE_METADATA_REPEAT:-20}
BASE_PARTITIONS=${BENCH_SCALE_BASELINE_PARTITIONS:-10}
# CreateTopics takes at most 10,000 partitions per request (CreateTopics.maxPartitionsPerRequest).
PER_REQUEST=$(( 5000 / PER_TOPIC > 0 ? 5000 / PER_TOPIC : 1 ))

# A worktree has no build or venv of its own: fall back to the main worktree's.
MAIN=$(cd "$(git rev-parse --git-common-dir)/.." && pwd)
STROM=${STROM_BIN:-${BENCH_STROM:-}}
if [ -z "$STROM" ]; then
    STROM=$REPO/.build-release/release/strom
    [ -x "$STROM" ] || STROM=$MAIN/.build-release/release/strom
fi
PYTHON=${PYTHON:-$REPO/.venv/bin/python}
[ -x "$PYTHON" ] || PYTHON=$MAIN/.venv/bin/python
[ -x "$STROM" ] || { echo "no strom binary at $STROM (set STROM_BIN)" >&2; exit 1; }
"$PYTHON" -c 'import confluent_kafka' 2>/dev/null || { echo "needs confluent-kafka in $PYTHON (scripts/install-test-clients.sh)" >&2; exit 1; }
command -v curl >/dev/null || { echo "needs curl" >&2; exit 1; }
if [ "$PROFILE" = 1 ] && ! command -v perf >/dev/null; then echo "no perf: profiles skipped" >&2; PROFILE=0; fi

. scripts/bench-lib.sh
rm -rf "$WORK"; mkdir -p "$WORK"
RESULTS=$WORK/results.txt; : > "$RESULTS"
SCALE=(bench/scale.py)
BROKER_PID= NODE_PID= PERF_PID=
cleanup() {
    [ -n "$PERF_PID" ] && kill -INT "$PERF_PID" 2>/dev/null && wait "$PERF_PID" 2>/dev/null || true
    [ -n "$NODE_PID" ] && kill "$NODE_PID" 2>/dev/null || true
    [ -n "$BROKER_PID" ] && wait "$BROKER_PID" 2>/dev/null || true
}
trap cleanup EXIT

# ---- measuring the node ------------------------------------------------------------------------
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# `key=value ...` of the broker process: memory, smaps_rollup, descriptors, threads, mappings, CPU.
proc_state() { # PID
    local pid=$1
    awk '/^(VmRSS|VmHWM|VmSize|Threads):/ { printf "%s=%s ", $1, $2 }' "/proc/$pid/status" | tr -d ':'
    awk '/^(Anonymous|Pss_Anon|Pss_File|Private_Dirty|Shared_Clean|Private_Clean):/ { printf "%s=%s ", $1, $2 }' "/proc/$pid/smaps_rollup" | tr -d ':'
    printf 'fds=%s maps=%s index_maps=%s cpu_s=%s\n' "$(ls "/proc/$pid/fd" | wc -l)" "$(wc -l < "/proc/$pid/maps")" \
        "$(grep -cE '\.(index|timeindex|txnindex)' "/proc/$pid/maps" || true)" \
        "$(awk -v t="$(bench_ticks "$pid")" -v h="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / h }')"
}
record() { # KEY=VALUE...: one line of RESULTS
    echo "n=$N $*" >> "$RESULTS"
    echo "  $*" >&2
}

# Starts the node on DATA (ports chosen once per N); sets LAUNCHED (epoch seconds), NODE_PID (strom's)
# and BROKER_PID (the job this shell waits for). With WRAP=record the node runs under `perf record -g`
# (on-CPU samples), with WRAP=trace under `perf trace -s` (wall time in system calls): then BROKER_PID
# is perf's. perf attached with -p to a process that is just starting misses the threads it creates.
start_node() {
    LAUNCHED=$(now)
    local prefix=()
    case ${WRAP:-} in
        record) prefix=(perf record -e cpu-clock -F 499 -g -k CLOCK_MONOTONIC -o "$NWORK/perf-startup.data" --) ;;
        trace) prefix=(perf trace -s -o "$NWORK/trace-startup.txt" --) ;;
    esac
    "${prefix[@]}" "$STROM" --log-format json \
        --override "listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT" \
        --override "advertised.listeners=PLAINTEXT://127.0.0.1:$PORT" \
        --override "controller.quorum.voters=1@127.0.0.1:$CPORT" --override "log.dirs=$DATA" \
        --override "strom.metrics.listener=http://127.0.0.1:$MPORT" --override "num.partitions=1" \
        >> "$NWORK/broker.log" 2>&1 &
    BROKER_PID=$! NODE_PID=$!
    if [ -n "${WRAP:-}" ]; then
        NODE_PID=
        for _ in $(seq 100); do NODE_PID=$(pgrep -P "$BROKER_PID" -x strom || true); [ -n "$NODE_PID" ] && break; sleep 0.05; done
        [ -n "$NODE_PID" ] || { echo "no strom under perf" >&2; exit 1; }
    fi
}

# Seconds from launch until /health/ready answers 200 (fails if the node exits, or after 30 min).
wait_ready() {
    local deadline=$(( $(date +%s) + 1800 ))
    while [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/health/ready" 2>/dev/null)" != 200 ]; do
        kill -0 "$BROKER_PID" 2>/dev/null || { tail -20 "$NWORK/broker.log" >&2; echo "strom exited during start-up" >&2; exit 1; }
        [ "$(date +%s)" -lt "$deadline" ] || { echo "not ready after 30 min" >&2; exit 1; }
        sleep 0.05
    done
    elapsed "$LAUNCHED"
}

# SIGTERM and wait for exit; sets STOP_S, the seconds it took. (Not in a $(...) subshell: only this
# shell can wait for its child.)
stop_node() {
    local t0 rc=0; t0=$(now)
    kill -TERM "$NODE_PID"
    wait "$BROKER_PID" || rc=$?
    [ "$rc" = 0 ] || echo "strom exited with $rc after SIGTERM" >&2
    BROKER_PID= NODE_PID=
    STOP_S=$(elapsed "$t0")
}

profile_start() { # NAME
    [ "$PROFILE" = 1 ] || return 0
    perf record -e cpu-clock -F 499 -g -p "$NODE_PID" -o "$NWORK/perf-$1.data" > "$NWORK/perf-$1.log" 2>&1 &
    PERF_PID=$!
    sleep 0.3
}
profile_stop() { # NAME TITLE
    [ "$PROFILE" = 1 ] && [ -n "$PERF_PID" ] || return 0
    kill -INT "$PERF_PID"; wait "$PERF_PID" 2>/dev/null || true; PERF_PID=
    profile_summary "$@"
}
profile_summary() { # NAME TITLE [PERF_SCRIPT_TIME]: perf-NAME.data summarised into profile-NAME.txt
    perf script -i "$NWORK/perf-$1.data" -F comm,tid,ip,sym,dso ${3:+--time "$3"} 2>/dev/null \
        | { if command -v swift-demangle >/dev/null; then swift-demangle; else cat; fi; } > "$NWORK/stacks-$1.txt"
    python3 bench/perf_summary.py "$NWORK/stacks-$1.txt" --title "$2" > "$NWORK/profile-$1.txt" 2>&1 || true
    rm -f "$NWORK/stacks-$1.txt"
}

# One produce phase: bench/scale.py produce, with the broker's CPU seconds around it.
produce_phase() { # NAME PREFIX TOPICS PER_TOPIC ACKS
    local name=$1 t0 t1 out
    t0=$(bench_ticks "$NODE_PID")
    out=$("$PYTHON" "${SCALE[@]}" produce "127.0.0.1:$PORT" "$2" "$3" "$4" "$RECORDS" --size "$SIZE" --acks "$5" \
        --max-seconds "$MAX_SECONDS" 2>>"$NWORK/client.log" | sed -n 's/^RESULT //p') || { echo "produce $name failed: $out (see $NWORK/client.log)" >&2; exit 1; }
    t1=$(bench_ticks "$NODE_PID")
    record "step=$name broker_cpu_s=$(awk -v a="$t0" -v b="$t1" -v h="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / h }') $out"
}

# One bench/scale.py wire-produce phase, with the broker's CPU seconds around it.
wire_phase() { # NAME PREFIX TOPICS PER_TOPIC wire-produce-options...
    local name=$1 t0 t1 out; shift
    t0=$(bench_ticks "$NODE_PID")
    out=$("$PYTHON" "${SCALE[@]}" wire-produce "127.0.0.1:$PORT" "$@" --size "$SIZE" 2>>"$NWORK/client.log" \
        | sed -n 's/^RESULT //p') || { echo "wire-produce $name failed: $out (see $NWORK/client.log)" >&2; exit 1; }
    t1=$(bench_ticks "$NODE_PID")
    record "step=$name broker_cpu_s=$(awk -v a="$t0" -v b="$t1" -v h="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / h }') $out"
}

# The start-up's log lines (JSON, ms timestamps) as "+seconds-from-launch message" into FILE.
startup_timeline() { # FROM_BYTE FILE
    tail -c +"$(( $1 + 1 ))" "$NWORK/broker.log" | python3 -c '
import json, sys, datetime
launched = float(sys.argv[1])
for line in sys.stdin:
    try:
        e = json.loads(line)
    except ValueError:
        continue
    ts = e.get("timestamp") or e.get("@timestamp") or e.get("time")
    try:
        t = datetime.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
    except Exception:
        continue
    meta = e.get("metadata") or {}
    short = " ".join("%s=%s" % (k, str(v)[:60]) for k, v in meta.items() if k not in ("kafka.partitions", "groups.loaded", "groups.unloaded", "config"))
    print("%+8.3f s  %s  %s" % (t - launched, e.get("message", ""), short))
' "$LAUNCHED" > "$2"
}

# ---- the run -----------------------------------------------------------------------------------
say "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB, open files limit $(ulimit -n), vm.max_map_count $(cat /proc/sys/vm/max_map_count); $(uptime | sed 's/^ *//')"
echo "machine cores=$(nproc) mem_gib=$(free -g | awk '/^Mem:/ { print $2 }') nofile=$(ulimit -n) load_start=\"$(cut -d' ' -f1-3 /proc/loadavg)\"" >> "$RESULTS"

IFS=, read -ra NS <<< "$COUNTS"
for N in "${NS[@]}"; do
    NWORK=$WORK/n$N DATA=$WORK/n$N/data
    mkdir -p "$NWORK"
    read -r PORT CPORT MPORT < <(bench_free_ports 3)
    TOPICS=$(( (N + PER_TOPIC - 1) / PER_TOPIC ))
    say "N=$N: a fresh node on $PORT ($TOPICS topics of $PER_TOPIC partitions, $PER_REQUEST topics per CreateTopics request); load $(cut -d' ' -f1-3 /proc/loadavg)"
    start_node
    record "step=fresh ready_s=$(wait_ready) load=\"$(cut -d' ' -f1-3 /proc/loadavg)\" $(proc_state "$NODE_PID")"

    say "N=$N: creating $N partitions"
    profile_start create
    t0=$(now)
    out=$("$PYTHON" "${SCALE[@]}" create "127.0.0.1:$PORT" s "$TOPICS" "$PER_TOPIC" --per-request "$PER_REQUEST" 2>>"$NWORK/client.log" \
        | sed -n 's/^RESULT //p') || { echo "create failed (see $NWORK/client.log)" >&2; exit 1; }
    # Then until all-topics Metadata lists every partition with its leader.
    "$PYTHON" "${SCALE[@]}" wait "127.0.0.1:$PORT" "$(( TOPICS * PER_TOPIC ))" >> "$NWORK/client.log"
    all_s=$(elapsed "$t0")
    profile_stop create "creating $N partitions"
    record "step=create all_s=$all_s $out $(proc_state "$NODE_PID")"
    "$PYTHON" "${SCALE[@]}" create "127.0.0.1:$PORT" base 1 "$BASE_PARTITIONS" 2>>"$NWORK/client.log" >/dev/null

    say "N=$N: Metadata v12, ${MD_REPEAT}x all topics and ${MD_REPEAT}x one topic"
    out=$("$PYTHON" "${SCALE[@]}" metadata "127.0.0.1:$PORT" s-00000 --repeat "$MD_REPEAT" | sed -n 's/^RESULT //p')
    record "step=metadata $out"

    say "N=$N: produce $RECORDS x $SIZE B round robin over $N partitions, and over $BASE_PARTITIONS (baseline)"
    profile_start produce
    produce_phase produce-all-many s "$TOPICS" "$PER_TOPIC" all
    profile_stop produce "acks=all produce over $N partitions"
    produce_phase produce-all-base base 1 "$BASE_PARTITIONS" all
    produce_phase produce-1-many s "$TOPICS" "$PER_TOPIC" 1
    produce_phase produce-1-base base 1 "$BASE_PARTITIONS" 1
    # acks=all over every partition again: the first pass was also each partition's first write
    # (leader-epoch checkpoint, directory fsyncs); this one is the steady state.
    produce_phase produce-all-many-again s "$TOPICS" "$PER_TOPIC" all
    # The broker's side alone: librdkafka's own CPU per record grows with the partitions it produces
    # to (a core at 50,000), so the same bytes again as raw Produce v8 requests, one at a time: every
    # partition once, one 1-record batch each, 1,000 partitions per request; against the baseline
    # topic with 100 records per partition in each request (1,000 records per request either way).
    for acks in -1 1; do
        wire_phase "wire-$acks-many" s "$TOPICS" "$PER_TOPIC" --per-request 1000 --records 1 --acks "$acks"
        wire_phase "wire-$acks-base" base 1 "$BASE_PARTITIONS" --per-request "$BASE_PARTITIONS" --records $(( 1000 / BASE_PARTITIONS )) \
            --acks "$acks" --passes $(( N / 1000 > 0 ? N / 1000 : 1 ))
    done
    record "step=after-produce $(proc_state "$NODE_PID")"
    out=$("$PYTHON" "${SCALE[@]}" metadata "127.0.0.1:$PORT" s-00000 --repeat "$MD_REPEAT" | sed -n 's/^RESULT //p')
    record "step=metadata-after-produce $out"

    say "N=$N: restart (SIGTERM, then start)"
    stop_node
    du_kib=$(du -sk "$DATA" | cut -f1)
    files=$(find "$DATA" -type f | wc -l)
    from=$(stat -c %s "$NWORK/broker.log")
    start_node
    ready=$(wait_ready)
    startup_timeline "$from" "$NWORK/startup-timeline.txt"
    opened_ms=$(grep -o 'opened [0-9,]* partitions .*duration_ms=[0-9]*' "$NWORK/startup-timeline.txt" | tail -1 | sed 's/.*duration_ms=//' || true)
    record "step=restart stop_s=$STOP_S ready_s=$ready open_logs_ms=${opened_ms:-?} data_kib=$du_kib data_files=$files $(proc_state "$NODE_PID")"
    out=$("$PYTHON" "${SCALE[@]}" metadata "127.0.0.1:$PORT" s-00000 --repeat "$MD_REPEAT" | sed -n 's/^RESULT //p')
    record "step=metadata-after-restart $out"
    sed 's/^/    /' "$NWORK/startup-timeline.txt" | grep -v '^    *[+-][0-9.]* s  *configuration' >&2 || true
    stop_node
    if [ "$PROFILE" = 1 ]; then
        # Once more under `perf trace -s`: wall time inside each system call during start-up (the
        # profile above samples on-CPU time only; waiting for the disk does not show there).
        say "N=$N: start-up again under perf record -g, then under perf trace -s (their times are not the figure above)"
        WRAP=record start_node
        record "step=restart-profiled ready_s=$(wait_ready) cpu_s=$(proc_state "$NODE_PID" | sed 's/.*cpu_s=//')"
        ready_mono=$(python3 -c 'import time; print("%.6f" % time.monotonic())')  # perf's clock (-k CLOCK_MONOTONIC)
        stop_node
        profile_summary startup "start-up with $N partitions (until ready)" ",$ready_mono"
        WRAP=trace start_node
        record "step=restart-traced ready_s=$(wait_ready)"
        stop_node
        python3 bench/perf_summary.py --syscalls "$NWORK/trace-startup.txt" 2>&1 | sed "1s/during a 1 KiB acks=all produce/during start-up with $N partitions/" > "$NWORK/syscalls-startup.txt" || true
    fi
    [ "$KEEP" = 1 ] || rm -rf "$DATA"
done
echo "machine load_end=\"$(cut -d' ' -f1-3 /proc/loadavg)\"" >> "$RESULTS"

python3 bench/report_scale.py "$RESULTS" --command "$COMMAND_LINE" --strom "$STROM" --records "$RECORDS" --size "$SIZE" \
    --per-topic "$PER_TOPIC" --baseline "$BASE_PARTITIONS"
echo "raw results, logs, start-up timelines and profiles: $WORK" >&2
