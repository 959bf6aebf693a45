#!/usr/bin/env bash
# Drive kcat (Debian's, librdkafka 2.0.2) through one capture scenario.
#
#   drive_kcat.sh --print-id
#   drive_kcat.sh --bootstrap B --scenario S [--topic T] [--group G] [--expect N] [--codec C] [--idempotent]
#
# (the same flags as the Python drivers; the codec comes from the scenario name)
#
# Scenarios: bootstrap-metadata, produce-<codec> (none gzip snappy lz4 zstd), produce-idempotent,
# group-consume-commit. kcat has no admin API, so there is no create-topics scenario.
# Exits 0 only when the scenario really happened.
set -euo pipefail

if [[ "${1:-}" == "--print-id" ]]; then
  v=$(kcat -V 2>&1 | sed -n 's/^Version \([^ ]*\) .*librdkafka \([0-9.]*\).*/\1 \2/p')
  kv=${v% *}; lv=${v#* }
  printf 'kcat-librdkafka-%s\tkcat %s, librdkafka %s\n' "$lv" "$kv" "$lv"
  exit 0
fi

B=127.0.0.1:19092 SCEN="" TOPIC="" GROUP="" EXPECT=0
while (($#)); do
  case $1 in
    --bootstrap) B=$2; shift 2 ;;
    --scenario) SCEN=$2; shift 2 ;;
    --topic) TOPIC=$2; shift 2 ;;
    --group) GROUP=$2; shift 2 ;;
    --expect) EXPECT=$2; shift 2 ;;
    --codec) shift 2 ;;
    --idempotent) shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
T=${KCAT_TIMEOUT:-40}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Six key:value lines of varied sizes; line 3 and 6 have an empty key, sent as NULL with -Z.
records() {
  local sizes=(1 17 150 1024 6000 40) i n key val
  for i in 0 1 2 3 4 5; do
    n=${sizes[$i]}
    # Codec scenarios: +200 bytes each so that every batch shrinks when compressed (librdkafka
    # sends a batch uncompressed when compression does not make it smaller).
    case $SCEN in produce-none | produce-idempotent) ;; *) n=$((n + 200)) ;; esac
    if (( i % 3 == 2 )); then key=""; else key="key-$i"; fi
    val=""
    while (( ${#val} < n )); do val+="kcat $SCEN record $i; "; done
    val=${val:0:n}
    printf '%s:%s\n' "$key" "$val"
  done
}

case "$SCEN" in
  bootstrap-metadata)
    timeout "$T" kcat -b "$B" -L -m 15
    ;;
  produce-*)
    extra=(-X acks=all -X linger.ms=50)
    if [[ "$SCEN" == produce-idempotent ]]; then
      extra+=(-X enable.idempotence=true)
    else
      extra+=(-X compression.codec="${SCEN#produce-}")
    fi
    records >"$tmp/in"
    # -K: key delimiter; -Z: empty key -> NULL; -H: headers on every record; -c: stop after 6.
    timeout "$T" kcat -b "$B" -P -t "$TOPIC" -K: -Z -H trace-id=kcat -H client=kcat "${extra[@]}" \
      -c 6 <"$tmp/in" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
    if grep -qi "fail\|error" "$tmp/err"; then cat "$tmp/err" >&2; exit 1; fi
    echo "produced 6 records"
    ;;
  group-consume-commit)
    # High-level consumer: -G group; -e exits at end of all assigned partitions. kcat only has
    # auto commit, which librdkafka flushes synchronously when the consumer closes.
    timeout "$T" kcat -b "$B" -G "$GROUP" -e -q -f '%t %p %o %k\n' \
      -X auto.offset.reset=earliest -X auto.commit.interval.ms=200 "$TOPIC" >"$tmp/out" 2>"$tmp/err" \
      || { cat "$tmp/err" >&2; exit 1; }
    got=$(wc -l <"$tmp/out")
    echo "consumed $got records"
    if (( got < EXPECT )); then
      echo "consumed $got of $EXPECT" >&2; cat "$tmp/err" >&2; exit 1
    fi
    ;;
  *)
    echo "unknown scenario $SCEN" >&2; exit 2
    ;;
esac
