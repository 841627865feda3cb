#!/usr/bin/env bash
# Installs the Debian 12 packages the build, the tests and the benchmarks need.
# Idempotent and quick when everything is present; run as root (or via sudo).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git ccache
  libboost-dev libboost-program-options-dev   # Boost.DLL (header-only), program_options
  libluajit-5.1-dev luajit                    # Lua rules
  libyaml-cpp-dev                             # config
  liblmdb-dev lmdb-utils                      # state
  libspdlog-dev libfmt-dev                    # logging
  libhiredis-dev redis-server redis-tools     # control plane; tests start a real redis-server
  catch2                                      # tests (v2, header-only)
  nlohmann-json3-dev libvalijson-dev          # JSON and JSON Schema validation
  libssl-dev                                  # SHA-256 digests, HMAC-signed reloads; TLS for live providers
  libsimdjson-dev zlib1g-dev                  # binance provider: frame parsing, compressed captures
  openssl                                     # binance tests make a TLS certificate at test time
  clang libclang-rt-14-dev                    # fuzz/: libFuzzer, ASan, UBSan (tools/fuzz.sh)
  abigail-tools                               # abidw, abidiff: the ABI check (tools/check-abi.sh)
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
