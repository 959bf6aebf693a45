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
. scripts/bench-lib.sh
bench_build "$BUILD"
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

read -r PORT TLS_PORT CPORT < <(bench_free_ports 3)
say "starting strom: PLAINTEXT on $PORT, SSL on $TLS_PORT"
"$STROM" --override "listeners=PLAINTEXT://127.0.0.1:$PORT,SSL://127.0.0.1:$TLS_PORT,CONTROLLER://127.0.0.1:$CPORT" \
    --override "advertised.listeners=PLAINTEXT://127.0.0.1:$PORT,SSL://127.0.0.1:$TLS_PORT" \
    --override "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SSL:SSL,CONTROLLER:PLAINTEXT" \
    --override "ssl.keystore.type=PEM" --override "ssl.keystore.location=$WORK/certs/keystore.pem" \
    --override "controller.quorum.voters=1@127.0.0.1:$CPORT" --override "strom.metrics.listener=" \
    --override "log.dirs=$WORK/data" > "$WORK/broker.log" 2>&1 &
BROKER_PID=$!
trap 'kill $BROKER_PID 2>/dev/null; wait $BROKER_PID 2>/dev/null || true' EXIT
bench_wait_port "$PORT" "$BROKER_PID" "$WORK/broker.log"
PLAIN=(brokers="127.0.0.1:$PORT")
TLS=(brokers="127.0.0.1:$TLS_PORT" X.security.protocol=SSL X.ssl.ca.location="$WORK/certs/ca.crt")
for t in plain tls; do
    for _ in $(seq 20); do "$RDBENCH" create brokers="127.0.0.1:$PORT" topic="t-$t" partitions="$PARTITIONS" >/dev/null 2>&1 && break; sleep 0.5; done
done

COMMON=(partitions="$PARTITIONS" size=1024 max_bytes="$BYTES" max_seconds="$MAX_SECONDS" acks=1 X.max.in.flight="$MAX_IN_FLIGHT")
say "produce 1 KiB, acks=1: plaintext, then TLS"
bench_phase produce-plain "$BROKER_PID" produce "${PLAIN[@]}" topic=t-plain "${COMMON[@]}"
bench_phase produce-tls "$BROKER_PID" produce "${TLS[@]}" topic=t-tls "${COMMON[@]}"
say "consume what was produced: plaintext (sendfile), then TLS (copied and encrypted)"
bench_phase consume-plain "$BROKER_PID" consume "${PLAIN[@]}" topic=t-plain partitions="$PARTITIONS" expect="$(bench_field produce-plain delivered)"
bench_phase consume-tls "$BROKER_PID" consume "${TLS[@]}" topic=t-tls partitions="$PARTITIONS" expect="$(bench_field produce-tls delivered)"
bench_compare plain tls plain TLS
