#!/usr/bin/env bash
# README command (2): builds dien and runs the whole test suite. .ci/run calls exactly this.
#  1. installs missing Debian packages (tools/install-deps.sh);
#  2. configures build/ with DIEN_CUDA=AUTO (CUDA code compiles whenever nvcc exists; CUDA tests
#     report themselves skipped without a GPU), builds everything, runs ctest;
#  3. when step 2 built CUDA, also builds build-nocuda/ with DIEN_CUDA=OFF and runs its tests,
#     so that the CPU-only configuration cannot rot.
# Environment: JOBS (default: nproc), BUILD_TYPE (default Release).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
BUILD_TYPE=${BUILD_TYPE:-Release}
bash tools/install-deps.sh

run_suite() {  # dir, extra cmake args...
  local dir=$1; shift
  echo "== configure $dir ($*)"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" "$@"
  echo "== build $dir"
  cmake --build "$dir" -j "$JOBS"
  echo "== test $dir"
  ctest --test-dir "$dir" -j "$JOBS" --output-on-failure
}

run_suite build -DDIEN_CUDA=AUTO
if grep -q '^DIEN_HAS_CUDA_CACHED:INTERNAL=ON' build/CMakeCache.txt; then
  run_suite build-nocuda -DDIEN_CUDA=OFF
fi
