#!/usr/bin/env bash
# README command (2): builds dien and runs the whole test suite. .ci/run calls exactly this.
#  1. installs missing Debian packages (tools/install-deps.sh; --fuzz unless SANITIZERS=0);
#  2. configures build/ with DIEN_CUDA=AUTO (CUDA code compiles whenever nvcc exists; CUDA tests
#     report themselves skipped without a GPU), builds everything, runs ctest;
#  3. when step 2 built CUDA, also builds build-nocuda/ with DIEN_CUDA=OFF and runs its tests,
#     so that the CPU-only configuration cannot rot;
#  4. the sanitizer suite: build-asan/ with AddressSanitizer + UndefinedBehaviorSanitizer (GCC,
#     the compiler of the other builds; any report aborts), CUDA off, runs the whole suite there
#     (the install test aside: it links a consumer outside the sanitized build);
#  5. the fuzzers: build-fuzz/ with clang (libFuzzer, ASan + UBSan), only the harnesses of
#     tests/fuzz, each run for DIEN_FUZZ_SECONDS (default 20) from its seed corpus
#     (docs/reliability.md). SANITIZERS=0 skips steps 4 and 5.
# Environment: JOBS (default: nproc), BUILD_TYPE (default Release), SANITIZERS (default 1),
# DIEN_FUZZ_SECONDS (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
BUILD_TYPE=${BUILD_TYPE:-Release}
if [ "${SANITIZERS:-1}" != 0 ]; then bash tools/install-deps.sh --fuzz; else bash tools/install-deps.sh; fi

run_suite() {  # dir, extra cmake args... [-- extra ctest args...]
  local dir=$1; shift
  local cm=() ct=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do cm+=("$1"); shift; done
  [ $# -gt 0 ] && shift && ct=("$@")
  echo "== configure $dir (${cm[*]})"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" "${cm[@]}"
  echo "== build $dir"
  cmake --build "$dir" -j "$JOBS"
  echo "== test $dir"
  ctest --test-dir "$dir" -j "$JOBS" --output-on-failure "${ct[@]}"
}

run_suite build -DDIEN_CUDA=AUTO
if grep -q '^DIEN_HAS_CUDA_CACHED:INTERNAL=ON' build/CMakeCache.txt; then
  run_suite build-nocuda -DDIEN_CUDA=OFF
fi
if [ "${SANITIZERS:-1}" != 0 ]; then
  run_suite build-asan -DDIEN_CUDA=OFF -DDIEN_SANITIZE=address,undefined -DDIEN_BUILD_BENCH=OFF -- -LE install
  echo "== configure build-fuzz (clang, libFuzzer)"
  cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DDIEN_CUDA=OFF -DDIEN_SANITIZE=address,undefined \
    -DDIEN_FUZZ=ON -DDIEN_FUZZ_SECONDS="${DIEN_FUZZ_SECONDS:-20}" -DDIEN_BUILD_BENCH=OFF -DDIEN_BUILD_EXAMPLES=OFF \
    -DDIEN_BUILD_APPS=OFF -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
  echo "== build build-fuzz"
  cmake --build build-fuzz -j "$JOBS" --target dien_fuzzers
  # One at a time: each fuzzer is timed, and two would share a core.
  echo "== fuzz build-fuzz (bounded: ${DIEN_FUZZ_SECONDS:-20} s per harness)"
  ctest --test-dir build-fuzz -j 1 --output-on-failure -L fuzz
fi
