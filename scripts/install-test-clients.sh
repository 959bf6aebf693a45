#!/usr/bin/env bash
# Installs the stock Kafka clients used to capture wire fixtures (see Fixtures/README.md).
#
# Idempotent and non-interactive; meant to run as root. It only installs what is missing:
#   - Debian packages: kcat (librdkafka 2.0.2), python3-confluent-kafka, python3-kafka (2.0.2),
#     the Go toolchain and the sources of sarama and kafka-go (golang-github-shopify-sarama-dev,
#     golang-github-segmentio-kafka-go-dev), plus the compression
#     modules kafka-python 2.0.2 needs for lz4/snappy/zstd (and xxhash, for magic 0 lz4) under /usr/bin/python3, and nftables
#     (nft: the fault tests' network partitions, interop/cluster.py's isolate).
#   - A venv at <repo>/.venv with pinned PyPI clients (confluent-kafka, kafka-python 3.x, aiokafka) and
#     prometheus-client (its text parser checks /metrics)
#     and pytest + pytest-timeout, which run the interop suite (scripts/interop.sh).
#   - The Go clients, built offline in GOPATH mode into <repo>/.gopath/bin: sarama-client
#     (fixture capture), sarama-interop and sarama-group (interop suite), and kafka-go-interop
#     (Debian's segmentio/kafka-go 0.2.1, a client frozen at Kafka 0.10's protocol).
#   - librdkafka 2.0.2's own test suite, built from Debian's source into <repo>/.librdkafka
#     (scripts/install-librdkafka-tests.sh; scripts/librdkafka-suite.sh runs it).
#
# Environment knobs: PYTHON (interpreter for the venv; default python3 on PATH),
#                    SKIP_VENV=1, SKIP_SARAMA=1, SKIP_LIBRDKAFKA_TESTS=1.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DEBIAN_FRONTEND=noninteractive

# Exact versions, pinned for reproducible captures (newest on PyPI when this was written).
CONFLUENT_KAFKA_VERSION="2.16.1"   # bundles librdkafka 2.16.x
KAFKA_PYTHON_VERSION="3.0.12"
AIOKAFKA_VERSION="0.14.0"
PYTEST_VERSION="9.2.0"
PYTEST_TIMEOUT_VERSION="2.4.0"
PROMETHEUS_CLIENT_VERSION="0.21.1"

APT_PACKAGES=(
  kcat
  python3-confluent-kafka
  python3-kafka
  python3-lz4
  python3-snappy
  python3-zstandard
  python3-xxhash
  python3-venv
  golang-go
  golang-github-shopify-sarama-dev
  golang-github-segmentio-kafka-go-dev
  nftables
)

log() { printf '[install-test-clients] %s\n' "$*"; }

# ---------------------------------------------------------------- apt
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    log "need root to install: ${missing[*]}"; exit 1
  fi
  log "apt-get install ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  log "apt packages already installed"
fi

# ---------------------------------------------------------------- venv
if [[ "${SKIP_VENV:-0}" != 1 ]]; then
  PYTHON="${PYTHON:-python3}"
  VENV="$REPO/.venv"
  if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating venv $VENV with $("$PYTHON" --version 2>&1)"
    "$PYTHON" -m venv "$VENV"
  fi
  want=(
    "confluent-kafka==$CONFLUENT_KAFKA_VERSION"
    "kafka-python[lz4,snappy,zstd]==$KAFKA_PYTHON_VERSION"
    "aiokafka[lz4,snappy,zstd]==$AIOKAFKA_VERSION"
    "pytest==$PYTEST_VERSION"
    "pytest-timeout==$PYTEST_TIMEOUT_VERSION"
    "prometheus-client==$PROMETHEUS_CLIENT_VERSION"
  )
  have_all=1
  "$VENV/bin/python" - "$CONFLUENT_KAFKA_VERSION" "$KAFKA_PYTHON_VERSION" "$AIOKAFKA_VERSION" \
      "$PYTEST_VERSION" "$PYTEST_TIMEOUT_VERSION" "$PROMETHEUS_CLIENT_VERSION" <<'EOF' || have_all=0
import sys
from importlib.metadata import version, PackageNotFoundError
want = dict(zip(["confluent-kafka", "kafka-python", "aiokafka", "pytest", "pytest-timeout", "prometheus-client"], sys.argv[1:]))
try:
    ok = all(version(n) == v for n, v in want.items())
    # compression extras
    for mod in ("lz4", "zstandard", "cramjam"):
        __import__(mod)
except (PackageNotFoundError, ImportError):
    ok = False
sys.exit(0 if ok else 1)
EOF
  if ((have_all)); then
    log "venv clients already at pinned versions"
  else
    log "pip install ${want[*]}"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${want[@]}"
  fi
fi

# ---------------------------------------------------------------- sarama
if [[ "${SKIP_SARAMA:-0}" != 1 ]]; then
  GOPATH_DIR="$REPO/.gopath"
  mkdir -p "$GOPATH_DIR/bin" "$GOPATH_DIR/cache"
  # Keep the whole GOPATH (binaries, build cache) out of git without touching the root .gitignore.
  [[ -f "$GOPATH_DIR/.gitignore" ]] || echo '*' >"$GOPATH_DIR/.gitignore"
  # build_go NAME SOURCE_DIR: build the package in SOURCE_DIR into .gopath/bin/NAME unless up to date.
  build_go() {
    local bin="$GOPATH_DIR/bin/$1" src=$2
    if [[ ! -x "$bin" || -n $(find "$src" -name '*.go' -newer "$bin") ]]; then
      log "building $bin (GOPATH mode, offline)"
      (
        cd "$src"
        GO111MODULE=off GOPROXY=off GOFLAGS= \
        GOPATH="$GOPATH_DIR:/usr/share/gocode" GOCACHE="$GOPATH_DIR/cache" \
          go build -o "$bin" .
      )
    else
      log "$1 already built"
    fi
  }
  build_go sarama-client "$REPO/scripts/clients/sarama-client"
  build_go sarama-interop "$REPO/interop/drivers/sarama-interop"
  build_go sarama-group "$REPO/interop/drivers/sarama-group"
  build_go kafka-go-interop "$REPO/interop/drivers/kafka-go-interop"
fi

# ---------------------------------------------------------------- librdkafka's test suite
if [[ "${SKIP_LIBRDKAFKA_TESTS:-0}" != 1 ]]; then
  "$REPO/scripts/install-librdkafka-tests.sh"
fi

log "done"
