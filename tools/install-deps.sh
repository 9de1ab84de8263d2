#!/usr/bin/env bash
# Installs the Debian packages that dien's build and tests need, when they are missing.
# Idempotent; run as root (or with sudo available). Does nothing when all are present.
set -euo pipefail
# clang, libclang-rt-14-dev (ASan, UBSan, libFuzzer runtimes) and llvm-14 (llvm-symbolizer, for
# readable sanitizer reports): tools/test.sh's sanitizer suite and tools/fuzz.sh.
pkgs=(cmake g++ gcc make pkgconf libeigen3-dev catch2 nlohmann-json3-dev libcli11-dev zlib1g-dev clang libclang-rt-14-dev llvm-14)
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
