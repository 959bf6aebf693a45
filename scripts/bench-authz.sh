#!/usr/bin/env bash
# What the authorizer costs, in one run (issue 13): two strom nodes side by side, one without an
# authorizer and one with `authorizer.class.name` and 1,000 ACLs (the client's own ALLOWs on a prefix
# of topic names among 999 others on other topics and principals, so every decision scans its resource
# type's ACLs and none is a super user's shortcut); both serve metrics. bench/rdbench (system
# librdkafka) produces 1 KiB records with acks=1 and consumes them from each node in turn. Prints MB/s,
# the broker's CPU seconds per GB and the ratios.
#
#   scripts/bench-authz.sh [--no-build] [--workdir DIR]
#
# BENCH_AUTHZ_BYTES (1000000000 per produce phase), BENCH_AUTHZ_MAX_SECONDS (40), BENCH_PARTITIONS (4),
# BENCH_MAX_IN_FLIGHT (2), BENCH_AUTHZ_ACLS (1000), BENCH_STROM (default .build-release/release/strom).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
BUILD=1
WORK=$REPO/.build-bench/authz-run
while [ $# -gt 0 ]; do
    case $1 in
        --no-build) BUILD=0 ;;
        --workdir) WORK=$(realpath -m "$2"); shift ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
BYTES=${BENCH_AUTHZ_BYTES:-1000000000}
MAX_SECONDS=${BENCH_AUTHZ_MAX_SECONDS:-40}
PARTITIONS=${BENCH_PARTITIONS:-4}
MAX_IN_FLIGHT=${BENCH_MAX_IN_FLIGHT:-2}
ACLS=${BENCH_AUTHZ_ACLS:-1000}
STROM=${BENCH_STROM:-$REPO/.build-release/release/strom}
RDBENCH=$REPO/.build-bench/rdbench
PYTHON=${PYTHON:-$REPO/.venv/bin/python}
. scripts/bench-lib.sh
bench_build "$BUILD"
[ -x "$PYTHON" ] || { echo "needs the interop venv's confluent-kafka ($PYTHON): scripts/install-test-clients.sh" >&2; exit 1; }
rm -rf "$WORK"; mkdir -p "$WORK/open" "$WORK/acl"
RESULTS=$WORK/results.txt; : > "$RESULTS"

start() { # NAME PORT CPORT extra-overrides...
    local name=$1 port=$2 cport=$3; shift 3
    "$STROM" --override "listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport" \
        --override "advertised.listeners=PLAINTEXT://127.0.0.1:$port" \
        --override "controller.quorum.voters=1@127.0.0.1:$cport" --override "log.dirs=$WORK/$name/data" \
        --override "strom.metrics.listener=http://127.0.0.1:0" "$@" > "$WORK/$name/broker.log" 2>&1 &
    echo $!
}
read -r OPEN_PORT OPEN_CPORT ACL_PORT ACL_CPORT < <(bench_free_ports 4)
say "starting strom twice: without an authorizer on $OPEN_PORT, with one on $ACL_PORT"
OPEN_PID=$(start open "$OPEN_PORT" "$OPEN_CPORT")
# allow.everyone.if.no.acl.found lets the set-up (User:ANONYMOUS) create the first ACLs; once they
# exist, every topic and the cluster are decided by them.
ACL_PID=$(start acl "$ACL_PORT" "$ACL_CPORT" --override "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer" \
    --override "allow.everyone.if.no.acl.found=true")
trap 'kill $OPEN_PID $ACL_PID 2>/dev/null; wait $OPEN_PID $ACL_PID 2>/dev/null || true' EXIT
bench_wait_port "$OPEN_PORT" "$OPEN_PID" "$WORK/open/broker.log"
bench_wait_port "$ACL_PORT" "$ACL_PID" "$WORK/acl/broker.log"

say "creating $ACLS ACLs on the authorizing node"
"$PYTHON" - "127.0.0.1:$ACL_PORT" "$ACLS" <<'PY'
import sys
from confluent_kafka.admin import (AclBinding, AclOperation, AclPermissionType, AdminClient, ResourcePatternType,
                                   ResourceType)
bootstrap, count = sys.argv[1], int(sys.argv[2])
admin = AdminClient({"bootstrap.servers": bootstrap})
allow = AclPermissionType.ALLOW
acls = [AclBinding(ResourceType.BROKER, "kafka-cluster", ResourcePatternType.LITERAL, "User:ANONYMOUS", "*", AclOperation.ALL, allow),
        AclBinding(ResourceType.TOPIC, "t-", ResourcePatternType.PREFIXED, "User:ANONYMOUS", "*", AclOperation.ALL, allow)]
acls += [AclBinding(ResourceType.TOPIC, "other-%d" % i, ResourcePatternType.LITERAL, "User:user-%d" % i, "*",
                    AclOperation.WRITE, allow) for i in range(max(0, count - len(acls)))]
for start in range(0, len(acls), 500):
    for f in admin.create_acls(acls[start:start + 500]).values():
        f.result(timeout=60)
print("created %d ACLs" % len(acls), file=sys.stderr)
PY
for node in open acl; do
    port=$([ $node = open ] && echo "$OPEN_PORT" || echo "$ACL_PORT")
    for _ in $(seq 20); do "$RDBENCH" create brokers="127.0.0.1:$port" topic="t-$node" partitions="$PARTITIONS" >/dev/null 2>&1 && break; sleep 0.5; done
done

COMMON=(partitions="$PARTITIONS" size=1024 max_bytes="$BYTES" max_seconds="$MAX_SECONDS" acks=1 X.max.in.flight="$MAX_IN_FLIGHT")
say "produce 1 KiB, acks=1: without, then with the authorizer"
bench_phase produce-open "$OPEN_PID" produce brokers="127.0.0.1:$OPEN_PORT" topic=t-open "${COMMON[@]}"
bench_phase produce-acl "$ACL_PID" produce brokers="127.0.0.1:$ACL_PORT" topic=t-acl "${COMMON[@]}"
say "consume what was produced, from each node"
bench_phase consume-open "$OPEN_PID" consume brokers="127.0.0.1:$OPEN_PORT" topic=t-open partitions="$PARTITIONS" expect="$(bench_field produce-open delivered)"
bench_phase consume-acl "$ACL_PID" consume brokers="127.0.0.1:$ACL_PORT" topic=t-acl partitions="$PARTITIONS" expect="$(bench_field produce-acl delivered)"
grep -c "is Denied" "$WORK/acl/broker.log" | sed 's/^/denials logged on the authorizing node: /' >&2 || true
bench_compare open acl "no authz" "1000 ACLs"
