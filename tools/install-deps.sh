#!/usr/bin/env bash
# Installs the Debian packages that dien's build and tests need, when they are missing.
# Idempotent; run as root (or with sudo available). Does nothing when all are present.
#   tools/install-deps.sh            what the build needs (README's command (1))
#   tools/install-deps.sh --fuzz     also clang, libclang-rt-14-dev (ASan, UBSan and libFuzzer
#                                    runtimes) and llvm-14 (llvm-symbolizer, readable reports):
#                                    tools/test.sh's fuzzers and tools/fuzz.sh
set -euo pipefail
pkgs=(cmake g++ gcc make pkgconf libeigen3-dev catch2 nlohmann-json3-dev libcli11-dev zlib1g-dev)
if [ "${1:-}" = "--fuzz" ]; then
  pkgs+=(clang libclang-rt-14-dev llvm-14)
elif [ $# -gt 0 ]; then
  echo "install-deps: unknown argument '$1' (the only one is --fuzz)" >&2
  exit 2
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all present (${pkgs[*]})"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
