#!/usr/bin/env bash
# tools/gpu-check.sh REPORT_DIR — the one GPU check, for a machine with an NVIDIA GPU, the CUDA
# toolkit and CMake (Eigen/Catch2/… may be missing: run tools/pack-deps.sh first and carry .deps).
#  1. records the card, driver and commit;
#  2. builds Release with CUDA for this card's architecture (build-gpu/);
#  3. runs `ctest -L cuda` (CPU-vs-GPU parity, allocator, device tests), then the CPU suite;
#  4. runs the GPU benchmarks that exist (bench_ops, bench_augru --quick for AUGRU and GRU,
#     bench_train --device cuda at B = 4096 and 256 with its device-to-host copies per step, and
#     DeepCTR-Torch's DIEN on the same card where PyTorch and deepctr_torch import, e.g. from
#     .deps/python after tools/pack-deps.sh; bench_serve --device cuda: one request through the
#     Predictor on the GPU, its kernel launches and their share of the latency, which decides
#     on CUDA graphs for serving);
#  5. runs compute-sanitizer's memcheck, racecheck and synccheck over the CUDA kernel tests
#     ([kernel]: the lab's every call of every op case and the direct kernel tests), each within
#     DIEN_SANITIZER_TIMEOUT seconds (default 90; DIEN_SANITIZE=0 skips them);
#  6. writes REPORT_DIR/gpu-report.md (card, driver, pass/fail per test, timings) and raw logs.
# Exit status: 0 when every CUDA test passed, 1 otherwise.
set -uo pipefail
out=${1:?usage: tools/gpu-check.sh REPORT_DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$(dirname "$0")/.."
t_start=$(date +%s)
report=$out/gpu-report.md
jobs=$(nproc)

gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader 2>/dev/null | head -1)
cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '.[:space:]')
[ -n "$cap" ] || cap=90
commit=${DIEN_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
dirty=$(git status --porcelain 2>/dev/null | grep -v '^??' | head -1)
[ -n "$dirty" ] && commit="$commit+local-changes"

gen=()
if [ ! -f build-gpu/CMakeCache.txt ] && ! command -v make >/dev/null && command -v ninja >/dev/null; then
  gen=(-G Ninja)
fi
echo "== configure (sm_$cap)"
{ command -v c++ g++ make ninja; cmake --version | head -1; c++ --version | head -1; } >"$out/tools.log" 2>&1
cmake -S . -B build-gpu "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DDIEN_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="$cap" \
  >"$out/configure.log" 2>&1
cfg=$?
echo "== build ($jobs jobs)"
t0=$(date +%s)
build=1
if [ $cfg -eq 0 ]; then
  cmake --build build-gpu -j "$jobs" >"$out/build.log" 2>&1
  build=$?
fi
t_build=$(( $(date +%s) - t0 ))

cuda_rc=1
cpu_rc=1
if [ $build -eq 0 ]; then
  echo "== ctest -L cuda"
  t0=$(date +%s)
  ctest --test-dir build-gpu -L cuda -j 4 --output-on-failure --timeout 300 >"$out/ctest-cuda.log" 2>&1
  cuda_rc=$?
  t_cuda=$(( $(date +%s) - t0 ))
  echo "== ctest (CPU labels)"
  ctest --test-dir build-gpu -LE cuda -j "$jobs" --timeout 300 >"$out/ctest-cpu.log" 2>&1
  cpu_rc=$?
  echo "== benchmarks"
  timeout 150 build-gpu/bench/bench_ops --json >"$out/bench_ops.jsonl" 2>"$out/bench_ops.md"
  for op in augru gru; do
    timeout 120 build-gpu/bench/bench_augru --op $op --device cuda --quick --json \
      >"$out/bench_$op.jsonl" 2>"$out/bench_$op.md"
  done
  echo "== bench_train --device cuda"
  peer=0
  pypath=.deps/python${PYTHONPATH:+:$PYTHONPATH}
  PYTHONPATH=$pypath python3 -c "import torch, deepctr_torch" 2>/dev/null && peer=1
  for B in 4096 256; do
    timeout 150 build-gpu/bench/bench_train --device cuda -B $B --json >"$out/bench_train_B$B.jsonl" \
      2>"$out/bench_train_B$B.md"
    if [ $peer -eq 1 ]; then
      PYTHONPATH=$pypath timeout 240 python3 bench/peers/deepctr_dien.py \
        --device cuda -B $B >"$out/peer_B$B.jsonl" 2>"$out/peer_B$B.md"
    fi
  done
  echo "== bench_serve --device cuda"
  timeout 120 build-gpu/bench/bench_serve --device cuda --quick --mode single >"$out/bench_serve_single.md" 2>&1
  timeout 120 build-gpu/bench/bench_serve --device cuda --quick --mode candidates >"$out/bench_serve_candidates.md" 2>&1
  if [ "${DIEN_SANITIZE:-1}" != 0 ]; then
    san=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
    for tool in memcheck racecheck synccheck; do
      echo "== compute-sanitizer --tool $tool"
      if [ -x "$san" ]; then
        timeout "${DIEN_SANITIZER_TIMEOUT:-90}" "$san" --tool $tool --error-exitcode 3 \
          build-gpu/tests/dien_tests_cuda "[kernel]" >"$out/sanitizer-$tool.log" 2>&1
        echo $? >"$out/sanitizer-$tool.rc"
      fi
    done
  fi
fi

{
  echo "# dien GPU check"
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| date | $(date -u +%Y-%m-%dT%H:%MZ) |"
  echo "| card, driver, memory, compute capability | ${gpu:-no nvidia-smi} |"
  echo "| nvcc | $(nvcc --version 2>/dev/null | grep -o 'release [0-9.]*' | head -1) |"
  echo "| commit | $commit |"
  echo "| configure | $([ $cfg -eq 0 ] && echo ok || echo FAILED: see configure.log) |"
  echo "| build | $([ $build -eq 0 ] && echo "ok (${t_build}s, $jobs jobs)" || echo FAILED: see build.log) |"
  echo "| CUDA tests | $([ $cuda_rc -eq 0 ] && echo "all passed (${t_cuda:-?}s)" || echo FAILED) |"
  echo "| CPU tests | $([ $cpu_rc -eq 0 ] && echo "all passed" || echo FAILED) |"
  echo "| total time | $(( $(date +%s) - t_start ))s |"
  echo
  echo "Tools: $(tr '\n' ' ' <"$out/tools.log")"
  echo
  if [ $cfg -ne 0 ]; then
    echo "## Configure errors"
    echo '```'
    tail -30 "$out/configure.log"
    echo '```'
  fi
  if [ $build -ne 0 ]; then
    echo "## Build errors"
    echo '```'
    grep -E -m 40 'error|Error' "$out/build.log"
    echo '```'
  fi
  if [ -f "$out/ctest-cuda.log" ]; then
    echo "## CUDA tests"
    echo
    echo "| test | result | seconds |"
    echo "|---|---|---|"
    sed -n -E 's/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: (.*[^ .]) \.+ *(\*\*\*)?([A-Za-z]+[^0-9]*) +([0-9.]+) sec$/| \1 | \3 | \4 |/p' "$out/ctest-cuda.log"
    echo
    grep -E 'tests passed|tests failed' "$out/ctest-cuda.log"
    echo
  fi
  if grep -q FAILED "$out/ctest-cuda.log" 2>/dev/null || [ $cuda_rc -ne 0 ]; then
    echo "## Failures (first 150 lines of output)"
    echo '```'
    grep -n -E -A12 'FAILED|failed|Error|error' "$out/ctest-cuda.log" | head -150
    echo '```'
  fi
  if [ -s "$out/bench_ops.md" ]; then
    echo "## bench_ops (median ms; GB/s = minimum bytes / time)"
    echo
    cat "$out/bench_ops.md"
    echo
  fi
  for op in augru gru; do
    if [ -s "$out/bench_$op.md" ]; then
      echo "## bench_augru --op $op --device cuda --quick (fused vs unfused)"
      echo
      cat "$out/bench_$op.md"
      echo
    fi
  done
  for B in 4096 256; do
    if [ -s "$out/bench_train_B$B.md" ]; then
      echo "## bench_train --device cuda -B $B (whole DIEN training steps)"
      echo
      cat "$out/bench_train_B$B.md"
      [ -s "$out/peer_B$B.md" ] && { echo; echo "DeepCTR-Torch on the same card:"; echo; cat "$out/peer_B$B.md"; }
      echo
    fi
  done
  for mode in single candidates; do
    if [ -s "$out/bench_serve_$mode.md" ]; then
      echo "## bench_serve --device cuda --quick --mode $mode (CPU session, CPU Predictor, GPU Predictor)"
      echo
      cat "$out/bench_serve_$mode.md"
      echo
    fi
  done
  if ls "$out"/sanitizer-*.rc >/dev/null 2>&1; then
    echo "## compute-sanitizer over the CUDA kernel tests ([kernel])"
    echo
    echo "| tool | result |"
    echo "|---|---|"
    for tool in memcheck racecheck synccheck; do
      [ -f "$out/sanitizer-$tool.rc" ] || continue
      rc=$(cat "$out/sanitizer-$tool.rc")
      case $rc in
        0) r="no errors" ;;
        124) r="timed out (DIEN_SANITIZER_TIMEOUT): no verdict" ;;
        3) r="ERRORS: $(grep -m1 -E 'ERROR SUMMARY' "$out/sanitizer-$tool.log")" ;;
        *) r="exit $rc (tests failed or the tool could not run): see sanitizer-$tool.log" ;;
      esac
      echo "| $tool | $r |"
    done
    echo
  fi
} >"$report"
echo "report: $report"
[ $cuda_rc -eq 0 ]
