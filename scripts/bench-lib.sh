# Shared by the one-node benchmarks (bench-broker.sh, bench-tls.sh, bench-authz.sh, bench-scale.sh): building strom and
# bench/rdbench, free ports, waiting for a broker, the broker's CPU time, and one measured phase.
# Source it after `set -euo pipefail` and `cd` to the repository; it reads REPO, STROM, RDBENCH,
# RESULTS and WORK from the caller.

say() { printf '\n== %s\n' "$*" >&2; }

# Builds the release strom (when asked) and bench/rdbench (when missing or older than its source).
bench_build() { # BUILD(0|1)
    [ -f /usr/include/librdkafka/rdkafka.h ] || { echo "needs librdkafka-dev (apt-get install librdkafka-dev)" >&2; exit 1; }
    if [ "$1" = 1 ]; then
        say "building strom (release, .build-release)"
        swift build -c release --product strom --scratch-path .build-release 2>&1 | tail -3 >&2
    fi
    [ -x "$STROM" ] || { echo "no $STROM: run without --no-build" >&2; exit 1; }
    mkdir -p "$(dirname "$RDBENCH")"
    rdbench_build
}

# bench/rdbench from its sources, when missing or older than any of them.
rdbench_build() {
    local f
    for f in bench/rdbench.c bench/rawproduce.c bench/synclog.c bench/rdbench.h; do
        if [ ! -x "$RDBENCH" ] || [ "$f" -nt "$RDBENCH" ]; then
            cc -O2 -Wall -o "$RDBENCH" bench/rdbench.c bench/rawproduce.c bench/synclog.c -lrdkafka -lpthread
            return
        fi
    done
}

# N free loopback ports, on one line, below the ephemeral range (interop/broker.py's free_ports says why).
bench_free_ports() { # N
    python3 -c 'import sys; sys.path.insert(0, "interop"); from broker import free_ports; print(*free_ports(int(sys.argv[1])))' "$1"
}

# Waits until PORT accepts a connection; fails (printing LOG) if PID exits first.
bench_wait_port() { # PORT PID LOG
    for _ in $(seq 150); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || { cat "$3" >&2; exit 1; }
        sleep 0.2
    done
    echo "port $1 never opened" >&2; exit 1
}

# dd of MIB MiB from /dev/zero into $WORK/ddtest with FLAG (conv=fdatasync by default), the file
# removed after: MB/s (10^6 bytes) from dd's own byte count and seconds.
bench_dd_rate() { # MIB [FLAG]
    sync
    local line
    line=$(LC_ALL=C dd if=/dev/zero of="$WORK/ddtest" bs=1M count="$1" "${2:-conv=fdatasync}" 2>&1 | tail -1)
    rm -f "$WORK/ddtest"
    awk -v l="$line" 'BEGIN { split(l, f, " "); for (i = 1; i <= length(f); i++) if (f[i] ~ /^s,?$/) s = f[i-1]; printf "%.1f", f[1] / s / 1e6 }'
}

# A process's CPU time so far (user + system), in clock ticks.
bench_ticks() { # PID
    sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# Runs one rdbench phase and appends `phase=NAME broker_cpu_s=… <rdbench RESULT fields>` to RESULTS.
bench_phase() { # NAME BROKER_PID rdbench-args...
    local name=$1 pid=$2; shift 2
    if [ "$(type -t bench_before_phase)" = function ]; then bench_before_phase; fi
    sync; sleep 1
    local t0 t1 out tick
    tick=$(getconf CLK_TCK)
    t0=$(bench_ticks "$pid")
    # rdbench prints its RESULT line also when it fails (a partition error: failed=, first_error=): the
    # line goes to rdbench.log, so the reason is kept.
    out=$("$RDBENCH" "$@" 2>>"$WORK/rdbench.log") || {
        printf '%s %s\n' "$name" "$out" >> "$WORK/rdbench.log"
        echo "phase $name failed (see $WORK/rdbench.log): $(grep -o 'failed=[0-9]* first_error=[-0-9]*' <<<"$out")" >&2
        exit 1
    }
    out=$(grep '^RESULT' <<<"$out" | sed 's/^RESULT //')
    t1=$(bench_ticks "$pid")
    echo "phase=$name broker_cpu_s=$(awk -v a="$t0" -v b="$t1" -v t="$tick" 'BEGIN { printf "%.2f", (b - a) / t }') $out" >> "$RESULTS"
    echo "$name: $(tail -1 "$RESULTS")" >&2
}

# One field of a phase's line in RESULTS.
bench_field() { # PHASE KEY
    grep "^phase=$1 " "$RESULTS" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# Prints "phase A MB/s B MB/s B/A core-s/GB A -> B" for produce and consume, from phases
# produce-A, produce-B, consume-A, consume-B.
bench_compare() { # A B LABEL_A LABEL_B
    python3 - "$RESULTS" "$@" <<'PY'
import sys
path, a, b, la, lb = sys.argv[1:6]
rows = {}
for line in open(path):
    f = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
    rows[f["phase"]] = f
def mbps(r): return float(r.get("MBps", 0))
def cpu_per_gb(r):
    gb = float(r.get("bytes", 0)) / 1e9
    return float(r["broker_cpu_s"]) / gb if gb else float("nan")
print("\n%-10s %12s %12s %8s   %s" % ("phase", la + " MB/s", lb + " MB/s", "ratio", "broker core-s/GB %s -> %s" % (la, lb)))
for p in ("produce", "consume"):
    x, y = rows["%s-%s" % (p, a)], rows["%s-%s" % (p, b)]
    print("%-10s %12.1f %12.1f %8.2f   %.2f -> %.2f" % (p, mbps(x), mbps(y), mbps(y) / mbps(x), cpu_per_gb(x), cpu_per_gb(y)))
PY
}
