#!/usr/bin/env bash
# Installs what Yibiao needs from Debian 12 packages. Idempotent: installs only what is missing.
# usage: scripts/setup.sh [build|test]   (test adds what the test suite and benchmarks use)
set -euo pipefail
what=${1:-build}

build_pkgs=(build-essential cmake pkg-config git ca-certificates python3
  libcpp-httplib-dev libssl-dev zlib1g-dev libbrotli-dev
  libsqlite3-dev nlohmann-json3-dev libspdlog-dev libboost-program-options-dev
  doctest-dev libsodium-dev libxlsxwriter-dev libjemalloc-dev libkainjow-mustache-dev
  libopencc-dev libopencc-data libicu-dev)
test_pkgs=(python3 python3-openpyxl curl sqlite3 wrk chromium fonts-noto-cjk fonts-noto-core openssl)

pkgs=("${build_pkgs[@]}")
if [ "$what" = test ]; then
  pkgs+=("${test_pkgs[@]}")
  # Node.js and npm run the signature and browser tests; a machine may already have them from
  # another source, whose packages would conflict with Debian's.
  command -v node >/dev/null || pkgs+=(nodejs)
  command -v npm >/dev/null || pkgs+=(npm)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: these Debian packages are missing: ${missing[*]}" >&2
    echo "setup: run as root (or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages used only by tests (signature verification, browser tests), from the npm
# registry, pinned by tests/node/package-lock.json.
here=$(cd "$(dirname "$0")/.." && pwd)
if [ "$what" = test ] && [ -f "$here/tests/node/package.json" ]; then
  if [ ! -d "$here/tests/node/node_modules" ] || [ "$here/tests/node/package.json" -nt "$here/tests/node/node_modules" ]; then
    echo "setup: installing test packages from npm (tests/node)"
    (cd "$here/tests/node" && npm install --no-audit --no-fund --loglevel=error >/dev/null && touch node_modules)
  fi
fi
