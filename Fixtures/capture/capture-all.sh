#!/usr/bin/env bash
# Re-capture Fixtures/requests from stock Kafka clients.
#
# Starts recording_broker.py on 127.0.0.1:$PORT, then runs every client through the scenarios
# bootstrap-metadata, create-topics, produce-{none,gzip,snappy,lz4,zstd,idempotent} and
# group-consume-commit (plus describe-cluster for kafka-python 3.x, whose admin API sends
# DescribeCluster; librdkafka's and aiokafka's describe_cluster use Metadata), then, for clients
# with an admin API, topic-admin and group-admin (plus describe-quorum for kafka-python 3.x),
# labelling each through the broker's control file. Afterwards it runs
# check_fixtures.py. Needs scripts/install-test-clients.sh to have run.
#
#   Fixtures/capture/capture-all.sh                  # all clients, fresh Fixtures/requests
#   CLIENTS="kcat sarama" Fixtures/capture/capture-all.sh
#   KEEP=1 ...                                        # add to the existing capture instead of wiping it
#   KEEP=1 SCENARIOS="topic-admin group-admin describe-quorum" ...   # only these scenarios
#
# Environment: PORT (19092), SCHEMAS (<repo>/../shared/kafka-protocol), CLIENTS, KEEP, WORK (a
# scratch dir for the control file and logs; default: a new temp dir), SCENARIO_TIMEOUT (60 s),
# SCENARIOS (space-separated labels to run; default: all).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PORT="${PORT:-19092}"
BOOT="127.0.0.1:$PORT"
SCHEMAS="${SCHEMAS:-$REPO/../shared/kafka-protocol}"
OUT="$REPO/Fixtures/requests"
VENV_PY="$REPO/.venv/bin/python"
SYS_PY=/usr/bin/python3
SARAMA="$REPO/.gopath/bin/sarama-client"
CLIENTS="${CLIENTS:-kcat confluent-venv confluent-debian kafka-python-venv kafka-python-debian aiokafka sarama}"
SCENARIO_TIMEOUT="${SCENARIO_TIMEOUT:-60}"
WORK="${WORK:-$(mktemp -d /tmp/strom-capture.XXXXXX)}"
mkdir -p "$WORK"
CONTROL="$WORK/control.json"
BROKER_LOG="$WORK/broker.log"
SUMMARY="$WORK/summary.tsv"
CODECS=(none gzip snappy lz4 zstd)
RECORDS_PER_PRODUCE=6

say() { printf '[capture] %s\n' "$*"; }

if [[ "${KEEP:-0}" != 1 ]]; then
  rm -rf "$OUT"
fi
mkdir -p "$OUT"

echo '{"client": "unlabelled", "scenario": "startup"}' >"$CONTROL"
python3 "$HERE/recording_broker.py" --port "$PORT" --schemas "$SCHEMAS" --out "$OUT" \
  --control "$CONTROL" >"$BROKER_LOG" 2>&1 &
BROKER_PID=$!
trap 'kill "$BROKER_PID" 2>/dev/null; wait "$BROKER_PID" 2>/dev/null' EXIT
for _ in $(seq 50); do
  if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null; then
    break
  fi
  kill -0 "$BROKER_PID" 2>/dev/null || { cat "$BROKER_LOG"; say "broker failed to start"; exit 1; }
  sleep 0.2
done
say "broker pid $BROKER_PID on $BOOT; log: $BROKER_LOG"

printf 'client\tscenario\tresult\n' >"$SUMMARY"
failures=0

label() {  # label SLUG VERSION SCENARIO
  python3 - "$CONTROL" "$1" "$2" "$3" <<'EOF'
import json, os, sys
path, client, version, scenario = sys.argv[1:]
tmp = path + ".tmp"
with open(tmp, "w") as f:
    json.dump({"client": client, "client_version": version, "scenario": scenario}, f)
os.replace(tmp, path)
EOF
  # The broker notices a change by mtime; make sure two quick labels never share one.
  sleep 0.05
}

# run CLIENT_SLUG CLIENT_VERSION SCENARIO CMD... : label, run with a timeout, record the result.
# A scenario not in $SCENARIOS (when set) is skipped and fails nothing.
run() {
  local slug=$1 version=$2 scen=$3
  shift 3
  if [[ -n ${SCENARIOS:-} && " $SCENARIOS " != *" $scen "* ]]; then
    return 1
  fi
  label "$slug" "$version" "$scen"
  local log="$WORK/$slug.$scen.log"
  if timeout --kill-after=5 "$SCENARIO_TIMEOUT" "$@" >"$log" 2>&1; then
    say "ok    $slug $scen: $(tail -n 1 "$log" | cut -c1-150)"
    printf '%s\t%s\tok\n' "$slug" "$scen" >>"$SUMMARY"
    return 0
  fi
  say "FAIL  $slug $scen (see $log):"
  tail -n 5 "$log" | sed 's/^/        /'
  printf '%s\t%s\tFAIL\n' "$slug" "$scen" >>"$SUMMARY"
  failures=$((failures + 1))
  return 1
}

# capture_client KEY SLUG VERSION ADMIN(yes/no) IDEMPOTENT(yes/no) DRIVER...
# DRIVER takes: --bootstrap B --scenario S --topic T [--group G] [--codec C] [--idempotent] [--expect N]
capture_client() {
  local key=$1 slug=$2 version=$3 admin=$4 idem=$5
  shift 5
  local topic="fx-$key" produced=0 c
  say "=== $slug ($version)"
  run "$slug" "$version" bootstrap-metadata "$@" --bootstrap "$BOOT" --scenario bootstrap-metadata
  if [[ ${DESCRIBE_CLUSTER:-no} == yes ]]; then  # extra scenario, for clients whose admin API sends DescribeCluster
    run "$slug" "$version" describe-cluster "$@" --bootstrap "$BOOT" --scenario describe-cluster
  fi
  if [[ $admin == yes ]]; then
    run "$slug" "$version" create-topics "$@" --bootstrap "$BOOT" --scenario create-topics --topic "$topic-admin"
  fi
  for c in "${CODECS[@]}"; do
    run "$slug" "$version" "produce-$c" "$@" --bootstrap "$BOOT" --scenario "produce-$c" --topic "$topic" --codec "$c" \
      && produced=$((produced + RECORDS_PER_PRODUCE))
  done
  if [[ $idem == yes ]]; then
    run "$slug" "$version" produce-idempotent "$@" --bootstrap "$BOOT" --scenario produce-idempotent --topic "$topic" \
      --idempotent && produced=$((produced + RECORDS_PER_PRODUCE))
  fi
  run "$slug" "$version" group-consume-commit "$@" --bootstrap "$BOOT" --scenario group-consume-commit \
    --topic "$topic" --group "$topic-group" --expect "$produced"
  if [[ $admin == yes ]]; then
    capture_admin "$key" "$slug" "$version" "$@"
  fi
}

# capture_admin KEY SLUG VERSION DRIVER... : the admin scenarios, each self-contained (it creates
# what it works on): topic-admin (DeleteTopics, CreatePartitions, IncrementalAlterConfigs,
# DeleteRecords, DescribeConfigs, as far as the client's admin API reaches) and group-admin
# (ListGroups, DescribeGroups, OffsetFetch, OffsetDelete, DeleteGroups, admin OffsetCommit), plus
# describe-quorum where DESCRIBE_QUORUM=yes.
capture_admin() {
  local key=$1 slug=$2 version=$3
  shift 3
  run "$slug" "$version" topic-admin "$@" --bootstrap "$BOOT" --scenario topic-admin --topic "fx-$key-topic-admin"
  run "$slug" "$version" group-admin "$@" --bootstrap "$BOOT" --scenario group-admin \
    --topic "fx-$key-group-admin" --group "fx-$key-admin-group"
  if [[ ${DESCRIBE_QUORUM:-no} == yes ]]; then  # kafka-python 3.x: describe_metadata_quorum
    run "$slug" "$version" describe-quorum "$@" --bootstrap "$BOOT" --scenario describe-quorum
  fi
}

id_of() { "$@" --print-id 2>/dev/null; }

for client in $CLIENTS; do
  case $client in
    kcat)
      IFS=$'\t' read -r slug version < <("$HERE/drive_kcat.sh" --print-id)
      capture_client kcat "$slug" "$version" no yes "$HERE/drive_kcat.sh"
      ;;
    confluent-venv)
      IFS=$'\t' read -r slug version < <(id_of "$VENV_PY" "$HERE/drive_confluent.py")
      capture_client cfk-venv "$slug" "$version" yes yes "$VENV_PY" "$HERE/drive_confluent.py"
      ;;
    confluent-debian)
      IFS=$'\t' read -r slug version < <(id_of "$SYS_PY" "$HERE/drive_confluent.py")
      capture_client cfk-debian "$slug" "$version" yes yes "$SYS_PY" "$HERE/drive_confluent.py"
      ;;
    kafka-python-venv)
      IFS=$'\t' read -r slug version < <(id_of "$VENV_PY" "$HERE/drive_kafka_python.py")
      DESCRIBE_CLUSTER=yes DESCRIBE_QUORUM=yes capture_client kp-venv "$slug" "$version" yes yes "$VENV_PY" "$HERE/drive_kafka_python.py"
      ;;
    kafka-python-debian)
      # kafka-python 2.0.2 has no idempotent producer: its plain produce is produce-none.
      IFS=$'\t' read -r slug version < <(id_of "$SYS_PY" "$HERE/drive_kafka_python.py")
      capture_client kp-debian "$slug" "$version" yes no "$SYS_PY" "$HERE/drive_kafka_python.py"
      ;;
    aiokafka)
      IFS=$'\t' read -r slug version < <(id_of "$VENV_PY" "$HERE/drive_aiokafka.py")
      capture_client aiokafka "$slug" "$version" yes yes "$VENV_PY" "$HERE/drive_aiokafka.py"
      ;;
    sarama)
      if [[ ! -x "$SARAMA" ]]; then
        say "FAIL  sarama: $SARAMA not built (run scripts/install-test-clients.sh)"
        failures=$((failures + 1))
        continue
      fi
      IFS=$'\t' read -r slug version < <("$HERE/drive_sarama.sh" --print-id)
      capture_client sarama "$slug" "$version" yes yes "$HERE/drive_sarama.sh"
      ;;
    *)
      say "unknown client $client"; failures=$((failures + 1))
      ;;
  esac
  slug=""
done

label "unlabelled" "" "shutdown"
kill "$BROKER_PID" 2>/dev/null
wait "$BROKER_PID" 2>/dev/null
trap - EXIT

if grep -q "cannot decode\|Traceback" "$BROKER_LOG"; then
  say "broker reported problems:"
  grep -n "cannot decode\|Traceback\|not implemented" "$BROKER_LOG" | head -20
  failures=$((failures + 1))
fi
grep "not implemented" "$BROKER_LOG" | sed 's/^/[capture] broker: /' | sort -u -k3 | head -20

say "fixture files per client:"
for d in "$OUT"/*/; do
  [[ -d $d ]] && printf '  %-45s %s\n' "$(basename "$d")" "$(find "$d" -name '*.bin' | wc -l)"
done
say "checking fixtures"
python3 "$HERE/check_fixtures.py" --fixtures "$OUT" --schemas "$SCHEMAS" || failures=$((failures + 1))
say "scenario results: $SUMMARY; scratch dir: $WORK"
if ((failures)); then
  say "$failures failure(s)"
  exit 1
fi
say "all scenarios passed"
