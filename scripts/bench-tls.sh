#!/usr/bin/env bash
# TLS next to plaintext, in one run on one node (issue 13): the same strom serves a PLAINTEXT and an
# SSL listener (PEM keystore from a throwaway openssl CA); bench/rdbench (system librdkafka) produces
# 1 KiB records with acks=1 and consumes them over each listener in turn. Prints MB/s, the broker's
# CPU seconds per GB and the TLS/plaintext ratios. Over TLS fetched records are read into memory and
# encrypted (no sendfile), so consume is where the difference shows.
#
#   scripts/bench-tls.sh [--no-build] [--workdir DIR]
#
# BENCH_TLS_BYTES (1000000000 per produce phase), BENCH_TLS_MAX_SECONDS (40), BENCH_PARTITIONS (4),
# BENCH_MAX_IN_FLIGHT (2), BENCH_STROM (default .build-release/release/strom).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
BUILD=1
WORK=$REPO/.build-bench/tls-run
while [ $# -gt 0 ]; do
    case $1 in
        --no-build) BUILD=0 ;;
        --workdir) WORK=$(realpath -m "$2"); shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
BYTES=${BENCH_TLS_BYTES:-1000000000}
MAX_SECONDS=${BENCH_TLS_MAX_SECONDS:-40}
PARTITIONS=${BENCH_PARTITIONS:-4}
MAX_IN_FLIGHT=${BENCH_MAX_IN_FLIGHT:-2}
STROM=${BENCH_STROM:-$REPO/.build-release/release/strom}
RDBENCH=$REPO/.build-bench/rdbench
say() { printf '\n== %s\n' "$*" >&2; }

[ -f /usr/include/librdkafka/rdkafka.h ] || { echo "needs librdkafka-dev (apt-get install librdkafka-dev)" >&2; exit 1; }
if [ "$BUILD" = 1 ]; then
    say "building strom (release, .build-release)"
    swift build -c release --product strom --scratch-path .build-release 2>&1 | tail -3 >&2
fi
[ -x "$STROM" ] || { echo "no $STROM: run without --no-build" >&2; exit 1; }
mkdir -p "$(dirname "$RDBENCH")"
if [ ! -x "$RDBENCH" ] || [ bench/rdbench.c -nt "$RDBENCH" ]; then
    cc -O2 -Wall -o "$RDBENCH" bench/rdbench.c -lrdkafka -lpthread
fi
rm -rf "$WORK"; mkdir -p "$WORK/data" "$WORK/certs"
RESULTS=$WORK/results.txt; : > "$RESULTS"

say "certificates (openssl): a CA and a server certificate for 127.0.0.1"
(
    cd "$WORK/certs"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj "/CN=bench CA" \
        -addext basicConstraints=critical,CA:TRUE 2>/dev/null
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out server.key 2>/dev/null
    openssl req -new -key server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
    echo "subjectAltName=DNS:localhost,IP:127.0.0.1" > server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile server.ext 2>/dev/null
    cat server.key server.crt > keystore.pem
)

read -r PORT TLS_PORT CPORT < <(python3 -c '
import socket
s = [socket.socket() for _ in range(3)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
say "starting strom: PLAINTEXT on $PORT, SSL on $TLS_PORT"
"$STROM" --override "listeners=PLAINTEXT://127.0.0.1:$PORT,SSL://127.0.0.1:$TLS_PORT,CONTROLLER://127.0.0.1:$CPORT" \
    --override "advertised.listeners=PLAINTEXT://127.0.0.1:$PORT,SSL://127.0.0.1:$TLS_PORT" \
    --override "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SSL:SSL,CONTROLLER:PLAINTEXT" \
    --override "ssl.keystore.type=PEM" --override "ssl.keystore.location=$WORK/certs/keystore.pem" \
    --override "controller.quorum.voters=1@127.0.0.1:$CPORT" \
    --override "log.dirs=$WORK/data" > "$WORK/broker.log" 2>&1 &
BROKER_PID=$!
trap 'kill $BROKER_PID 2>/dev/null; wait $BROKER_PID 2>/dev/null || true' EXIT
for _ in $(seq 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    kill -0 "$BROKER_PID" 2>/dev/null || { cat "$WORK/broker.log" >&2; exit 1; }
    sleep 0.2
done
TICK=$(getconf CLK_TCK)
broker_ticks() { sed 's/^.*) //' "/proc/$BROKER_PID/stat" | awk '{ print $12 + $13 }'; }
PLAIN=(brokers="127.0.0.1:$PORT")
TLS=(brokers="127.0.0.1:$TLS_PORT" X.security.protocol=SSL X.ssl.ca.location="$WORK/certs/ca.crt")
for t in plain tls; do
    for _ in $(seq 20); do "$RDBENCH" create brokers="127.0.0.1:$PORT" topic="t-$t" partitions="$PARTITIONS" >/dev/null 2>&1 && break; sleep 0.5; done
done

phase() { # NAME rdbench-args...
    local name=$1; shift
    sync; sleep 1
    local t0 t1 out
    t0=$(broker_ticks)
    out=$("$RDBENCH" "$@" 2>>"$WORK/rdbench.log" | grep '^RESULT' | sed 's/^RESULT //') || { echo "phase $name failed (see $WORK/rdbench.log)" >&2; exit 1; }
    t1=$(broker_ticks)
    echo "phase=$name broker_cpu_s=$(awk -v a="$t0" -v b="$t1" -v t="$TICK" 'BEGIN { printf "%.2f", (b - a) / t }') $out" >> "$RESULTS"
    echo "$name: $(tail -1 "$RESULTS")" >&2
}
field() { grep "^phase=$1 " "$RESULTS" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

COMMON=(partitions="$PARTITIONS" size=1024 max_bytes="$BYTES" max_seconds="$MAX_SECONDS" acks=1 X.max.in.flight="$MAX_IN_FLIGHT")
say "produce 1 KiB, acks=1: plaintext, then TLS"
phase produce-plain produce "${PLAIN[@]}" topic=t-plain "${COMMON[@]}"
phase produce-tls produce "${TLS[@]}" topic=t-tls "${COMMON[@]}"
say "consume what was produced: plaintext (sendfile), then TLS (copied and encrypted)"
phase consume-plain consume "${PLAIN[@]}" topic=t-plain partitions="$PARTITIONS" expect="$(field produce-plain delivered)"
phase consume-tls consume "${TLS[@]}" topic=t-tls partitions="$PARTITIONS" expect="$(field produce-tls delivered)"

python3 - "$RESULTS" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    f = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
    rows[f["phase"]] = f
def mbps(r): return float(r.get("MBps", 0))
def cpu_per_gb(r):
    gb = float(r.get("bytes", 0)) / 1e9
    return float(r["broker_cpu_s"]) / gb if gb else float("nan")
print("\n%-10s %10s %10s %8s   %s" % ("phase", "plain MB/s", "TLS MB/s", "TLS/plain", "broker core-s/GB plain -> TLS"))
for p in ("produce", "consume"):
    a, b = rows[p + "-plain"], rows[p + "-tls"]
    print("%-10s %10.1f %10.1f %8.2f   %.2f -> %.2f" % (p, mbps(a), mbps(b), mbps(b) / mbps(a), cpu_per_gb(a), cpu_per_gb(b)))
PY
