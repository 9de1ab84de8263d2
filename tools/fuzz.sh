#!/usr/bin/env bash
# Runs dien's libFuzzer harnesses (tests/fuzz; docs/reliability.md) on a copy of their seeds.
#   tools/fuzz.sh [--seconds N] [--build DIR] [--report FILE] [NAME ...]
# NAME: a harness (safetensors, csv, ...; default: all). Each runs N seconds (default 60) from
# tests/fuzz/corpus/NAME; new inputs go to a temporary corpus, findings (crash-*, leak-*,
# timeout-*, oom-*) to DIR/fuzz-findings/NAME/. Exit 1 when any harness found something.
# --report appends one line per harness: name, seconds, executions, final corpus size, findings.
# The build (tools/test.sh makes the same): cmake -S . -B build-fuzz -DDIEN_CUDA=OFF
#   -DDIEN_SANITIZE=address,undefined -DDIEN_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++
#   -DCMAKE_C_COMPILER=clang && cmake --build build-fuzz --target dien_fuzzers
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_EACH=60 BUILD=$ROOT/build-fuzz REPORT=""
names=()
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) SECONDS_EACH=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    --report) REPORT=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) names+=("$1"); shift ;;
  esac
done
if [ ${#names[@]} -eq 0 ]; then
  for d in "$ROOT"/tests/fuzz/corpus/*/; do names+=("$(basename "$d")"); done
fi
status=0
for name in "${names[@]}"; do
  exe=$BUILD/tests/fuzz/fuzz_$name
  seeds=$ROOT/tests/fuzz/corpus/$name
  [ -x "$exe" ] || { echo "fuzz.sh: no harness $exe (configure with -DDIEN_FUZZ=ON)" >&2; exit 2; }
  [ -d "$seeds" ] || { echo "fuzz.sh: no seed corpus $seeds" >&2; exit 2; }
  work=$(mktemp -d)
  findings=$BUILD/fuzz-findings/$name
  mkdir -p "$findings"
  log=$work/log
  mkdir -p "$work/corpus"
  echo "== fuzz $name: ${SECONDS_EACH} s, seeds $(ls "$seeds" | wc -l)"
  set +e
  # -rss_limit_mb / -malloc_limit_mb: an input that makes dien allocate gigabytes is a finding
  # (sizes from files are checked before allocating). -timeout: one input may take 10 s at most.
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  "$exe" -max_total_time="$SECONDS_EACH" -rss_limit_mb=3072 -malloc_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$findings/" \
    "$work/corpus" "$seeds" > "$log" 2>&1 &
  wait $!
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | awk '{s+=$2} END {print s+0}')
  corpus=$(ls "$work/corpus" 2>/dev/null | wc -l)
  found=$(ls "$findings" | wc -l)
  echo "   executions $execs, new corpus inputs $corpus, findings $found (rc $rc)"
  [ -n "$REPORT" ] && printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$SECONDS_EACH" "$execs" "$corpus" "$found" >> "$REPORT"
  if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
    status=1
    echo "   FINDING: see $findings; the fuzzer's log:" >&2
    grep -A40 -m1 "ERROR\|==ERROR\|runtime error\|deadly signal\|Timeout\|out-of-memory\|uncaught" "$log" | head -60 >&2 || tail -40 "$log" >&2
  fi
  rm -rf "$work"
done
exit $status
