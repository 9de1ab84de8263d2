#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A profile of the DIEN training step: `perf record -g` of build/bench/bench_train (its timed steps
# only: set-up and warm-up are left out through perf's control FIFO), then the top functions (self
# time) and the share of the samples by category, from the symbol names:
#   GEMM         Eigen's products (gebp, gemm_pack, general_matrix_*), BLAS, dien's matmul/gemm kernels
#   scan         the recurrent scans (rnn_scan, GRU/AUGRU cells)
#   attention    attention scores and softmax over the history
#   embedding    lookups and their backward (gather / scatter / index_add)
#   optimizer    Adam & co.
#   elementwise  activations, unary/binary/broadcast ops, reductions, losses
#   copy         memcpy / memset / memmove, contiguous copies, concat / transpose
#   allocation   malloc / free / new / delete, mmap / munmap / brk, dien's workspace and pools
#   page faults  the kernel's fault path (only where perf may sample the kernel)
#   threading    libgomp (barriers, spinning, team start), pthread, futex, sched_yield
#   autograd     the graph engine and its nodes (bookkeeping outside the kernels)
#   other        everything else
# The patterns are a heuristic: `--top 60` and `--unmatched` show what fell where.
#
#   bench/profile_train.sh                               # the issue's shape, 2 threads, 30 steps
#   bench/profile_train.sh --threads 1 -- --vocab 400000 # bench_train options after --
#   bench/profile_train.sh --report perf.data            # categorise an existing recording
#
# Options: --threads N (default 2), --steps N (default 30), --out FILE (default
# /tmp/dien-train.perf.data), --top N (functions listed, default 25), --unmatched (list the top
# symbols of "other"), --call-graph fp|dwarf|lbr (default fp: cheap, and Release builds of dien
# are not built with frame pointers, so the call chains are shallow; the self-time shares below
# do not depend on them), --freq N (samples/s, default 999), --report FILE (no recording).
# Needs perf (linux-perf) and Python 3. A page-fault count comes from `perf stat` of the same
# steps in a second short run (--no-stat skips it).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
bench="${BENCH_TRAIN:-$root/build/bench/bench_train}"
perf="${PERF:-perf}"
command -v "$perf" >/dev/null || perf=/usr/bin/perf

threads=2 steps=30 out=/tmp/dien-train.perf.data top=25 unmatched=0 callgraph=fp freq=999 report="" stat=1
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --top) top="$2"; shift 2 ;;
    --unmatched) unmatched=1; shift ;;
    --call-graph) callgraph="$2"; shift 2 ;;
    --freq) freq="$2"; shift 2 ;;
    --report) report="$2"; shift 2 ;;
    --no-stat) stat=0; shift ;;
    -h|--help) sed -n '3,33p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "profile_train.sh: unknown option '$1' (bench_train options go after --)" >&2; exit 2 ;;
  esac
done
[[ -x "$perf" ]] || command -v "$perf" >/dev/null || { echo "profile_train.sh: perf not found (apt-get install linux-perf)" >&2; exit 2; }

if [[ -z "$report" ]]; then
  [[ -x "$bench" ]] || { echo "profile_train.sh: no $bench (cmake --build build --target bench_train)" >&2; exit 2; }
  dir="$(mktemp -d)"
  trap 'rm -rf "$dir"' EXIT
  mkfifo "$dir/ctl" "$dir/ack"
  args=(--threads "$threads" --steps "$steps" --warmup 2 "${extra[@]}")
  echo "profile_train.sh: perf record -g ($callgraph) of: $bench ${args[*]}" >&2
  # -D -1: start disabled; bench_train enables recording for its timed steps (DIEN_PERF_CTL).
  DIEN_PERF_CTL="$dir/ctl" DIEN_PERF_ACK="$dir/ack" \
    "$perf" record -F "$freq" -g --call-graph "$callgraph" -D -1 --control "fifo:$dir/ctl,$dir/ack" \
    -o "$out" -- "$bench" "${args[@]}" >&2
  report="$out"
  if [[ $stat == 1 ]]; then
    # Page faults and scheduling of the timed steps (the same bracketing, a shorter run).
    mkfifo "$dir/ctl2" "$dir/ack2"
    DIEN_PERF_CTL="$dir/ctl2" DIEN_PERF_ACK="$dir/ack2" \
      "$perf" stat -e task-clock,page-faults,minor-faults,major-faults,context-switches,cpu-migrations \
      -D -1 --control "fifo:$dir/ctl2,$dir/ack2" -o "$dir/stat.txt" -- "$bench" \
      --threads "$threads" --steps "$(( steps < 10 ? steps : 10 ))" --warmup 2 "${extra[@]}" >/dev/null 2>&1 || true
    stat_file="$dir/stat.txt"
  fi
fi

echo
echo "## Training-step profile ($report)"
echo
"$perf" report -i "$report" --stdio --no-children --sort dso,symbol --percent-limit 0 -g none 2>/dev/null \
  | python3 "$here/perf_categories.py" --top "$top" $([[ $unmatched == 1 ]] && echo --unmatched)
if [[ -n "${stat_file:-}" && -s "$stat_file" ]]; then
  echo
  echo "perf stat of the timed steps (a separate run of $(( steps < 10 ? steps : 10 )) steps):"
  echo '```'
  grep -E 'task-clock|faults|context-switches|cpu-migrations|seconds time elapsed' "$stat_file" | sed 's/^ *//'
  echo '```'
  awk -v n="$(( steps < 10 ? steps : 10 ))" '$2 == "page-faults" { gsub(",", "", $1); printf "page faults per step: %.0f (about %.1f MB of fresh 4 KiB pages)\n", $1 / n, $1 / n * 4096 / 1e6 }' "$stat_file"
fi
