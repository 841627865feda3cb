#!/usr/bin/env bash
# Installs the Debian 12 packages the build, the tests and the benchmarks need.
# Idempotent and quick when everything is present; run as root (or via sudo).
#
#   tools/install-deps.sh          everything: host, plugins, tests, fuzzing
#   tools/install-deps.sh --host   only what building the host and its
#                                  plugins needs (the Quick start's first command)
set -euo pipefail

HOST_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libboost-dev libboost-program-options-dev   # Boost.DLL (header-only), program_options
  libluajit-5.1-dev                           # Lua rules
  libyaml-cpp-dev                             # config
  liblmdb-dev                                 # state
  libspdlog-dev libfmt-dev                    # logging
  libhiredis-dev                              # control plane
  nlohmann-json3-dev libvalijson-dev          # JSON and JSON Schema validation
  libssl-dev                                  # SHA-256 digests, HMAC-signed reloads; TLS for live providers
  libsimdjson-dev zlib1g-dev                  # exchange providers: frame parsing, compressed captures
)
TEST_PACKAGES=(
  git ccache luajit lmdb-utils
  redis-server redis-tools                    # tests start a real redis-server
  catch2                                      # tests (v2, header-only)
  openssl                                     # exchange tests make a TLS certificate at test time
  clang libclang-rt-14-dev                    # fuzz/: libFuzzer, ASan, UBSan (tools/fuzz.sh)
  abigail-tools                               # abidw, abidiff: the ABI check (tools/check-abi.sh)
  prometheus                                  # promtool: tests check the host's /metrics with it
  chromium fonts-dejavu-core                  # headless Chromium: the status page test renders it
  systemd                                     # systemd-analyze verify: the service unit's test
)
case "${1:-}" in
  --host) PACKAGES=("${HOST_PACKAGES[@]}") ;;
  "") PACKAGES=("${HOST_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
  *) echo "usage: tools/install-deps.sh [--host]" >&2; exit 2 ;;
esac

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
