#!/usr/bin/env bash
# Installs what Yibiao needs from Debian 12 packages. Idempotent: installs only what is missing.
# usage: scripts/setup.sh [build|test]   (test adds what the test suite and benchmarks use)
set -euo pipefail
what=${1:-build}

build_pkgs=(build-essential cmake pkg-config git ca-certificates
  libcpp-httplib-dev libssl-dev zlib1g-dev libbrotli-dev
  libsqlite3-dev nlohmann-json3-dev libspdlog-dev libboost-program-options-dev
  doctest-dev libsodium-dev)
test_pkgs=(python3 curl sqlite3 wrk)

pkgs=("${build_pkgs[@]}")
[ "$what" = test ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "setup: these Debian packages are missing: ${missing[*]}" >&2
  echo "setup: run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
