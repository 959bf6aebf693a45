#!/usr/bin/env bash
# Drive the sarama test client (scripts/clients/sarama-client, built by
# scripts/install-test-clients.sh into .gopath/bin) with the Python drivers' flags:
#   drive_sarama.sh --print-id
#   drive_sarama.sh --bootstrap B --scenario S [--topic T] [--group G] [--codec C] [--idempotent] [--expect N]
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="${SARAMA_CLIENT:-$REPO/.gopath/bin/sarama-client}"

if [[ "${1:-}" == "--print-id" ]]; then
  dv=$(dpkg-query -W -f='${Version}' golang-github-shopify-sarama-dev)
  uv=${dv%-*}
  printf 'sarama-%s\tsarama %s (Debian %s; Config.Version = sarama.MaxVersion = 2.2.0)\n' "$uv" "$uv" "$dv"
  exit 0
fi
[[ -x "$BIN" ]] || { echo "$BIN not built: run scripts/install-test-clients.sh" >&2; exit 1; }

args=()
while (($#)); do
  case $1 in
    --scenario)
      s=$2
      [[ $s == produce-* ]] && s=produce   # the codec comes with --codec, idempotence with --idempotent
      args+=(-scenario "$s"); shift 2 ;;
    --idempotent) args+=(-idempotent); shift ;;
    --bootstrap | --topic | --group | --codec | --expect) args+=("-${1#--}" "$2"); shift 2 ;;
    --timeout) args+=(-timeout "${2}s"); shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
exec "$BIN" "${args[@]}"
