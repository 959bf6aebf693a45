#!/usr/bin/env bash
# Installs the C libraries Strom links (zlib, lz4, zstd, snappy) when any is missing.
# Idempotent and quiet when everything is present; needs root (or sudo) to install.
set -euo pipefail

packages=(zlib1g-dev liblz4-dev libzstd-dev libsnappy-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${missing[@]}" >/dev/null
