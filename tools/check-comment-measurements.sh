#!/usr/bin/env bash
# Numbers that rot stay out of code comments and out of the prose that cannot be re-run:
#  - no source comment states a measured time ("Measured ... 244 µs") or a model's AUC or that
#    one variant "scored higher": the reasoning stays in the code, the numbers go to
#    bench/RESULTS.md or docs/ next to the card and commit they belong to;
#  - README.md and docs/ give no hard-coded count of CUDA test cases ("all 58 CUDA test cases"):
#    `ctest -L cuda -N` lists them (bench/RESULTS.md, a dated record, may).
# Exits 1 naming each line.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=0
comments=$(grep -rnE '//.*([Mm]easured|[Tt]imed).*[0-9](\.[0-9]+)? ?(µs|us|ms|s)\b|//.*AUC (of )?0\.[0-9]{2}|//.*(scored|reached) (higher|lower|better)' \
  --include='*.cu' --include='*.cuh' --include='*.cpp' --include='*.h' --include='*.c' \
  apps autograd capi core data kernels layers models optim serve examples 2> /dev/null || true)
if [ -n "$comments" ]; then
  echo "a code comment holds a measurement (move it to bench/RESULTS.md or docs/ with its commit):"
  echo "$comments"
  bad=1
fi
counts=$(grep -nE '[0-9]+ CUDA test( case)?s' README.md docs/*.md || true)
if [ -n "$counts" ]; then
  echo "a hard-coded count of CUDA tests (it drifts; say how to list them instead):"
  echo "$counts"
  bad=1
fi
[ "$bad" -eq 0 ] && echo "no measurements in code comments, no CUDA test counts in the docs"
exit "$bad"
