#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# dien against DeepCTR-Torch on whole DIEN training steps, back to back on the same shape and
# threads: build/bench/bench_train, then bench/peers/deepctr_dien.py, for every combination of
# the --threads / --compete / --vocab lists; prints one row per combination with the ratio
# dien samples/s / DeepCTR-Torch samples/s.
#
#   bench/run_train_compare.sh                                  # 2 threads, idle, 3,000 items
#   bench/run_train_compare.sh --threads 1,2 --compete 0,2 --vocab 3000,400000
#   bench/run_train_compare.sh --json ... > rows.jsonl          # both programs' JSON lines
#   bench/run_train_compare.sh --quick                          # a smoke test (few steps)
#
# Options (lists are comma-separated; each combination runs dien, then the peer):
#   --threads LIST   intra-op threads of both (default: 2)
#   --compete LIST   busy-looping processes each program starts while it times (default: 0)
#   --vocab LIST     item vocabulary (default: 3000)
#   --no-peer        dien only (e.g. without DeepCTR-Torch)
#   --json           JSON lines (both programs' keys; impl = dien | deepctr-torch) on stdout, the
#                    summary table on stderr
#   anything else    passed to both: -B/--batch-size, -T/--maxlen, --embedding-dim, --dnn,
#                    --gru-type, --negsampling, --categories, --users, --steps, --warmup,
#                    --batches, --seed, --quick
# Environment: BENCH_TRAIN (default: build/bench/bench_train of this tree), PYTHON (default: the
# first of python3, /usr/bin/python3 that imports deepctr_torch). The peer needs PyTorch and
# DeepCTR-Torch (pip install deepctr-torch; bench/peers/deepctr_dien.py says how on Debian);
# neither is a dependency of dien. Exit status: 0, or 3 when the peer could not run (dien's rows
# are still printed).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
bench="${BENCH_TRAIN:-$root/build/bench/bench_train}"
peer="$here/peers/deepctr_dien.py"

threads_list=2 compete_list=0 vocab_list=3000 json=0 with_peer=1
common=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) threads_list="$2"; shift 2 ;;
    --compete) compete_list="$2"; shift 2 ;;
    --vocab) vocab_list="$2"; shift 2 ;;
    --json) json=1; shift ;;
    --no-peer) with_peer=0; shift ;;
    --quick) common+=("$1"); shift ;;
    -h|--help) sed -n '3,28p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) [[ $# -ge 2 ]] || { echo "run_train_compare.sh: $1 needs a value" >&2; exit 2; }
        common+=("$1" "$2"); shift 2 ;;
    *) echo "run_train_compare.sh: unexpected argument '$1'" >&2; exit 2 ;;
  esac
done
[[ -x "$bench" ]] || { echo "run_train_compare.sh: no $bench (build it: cmake --build build --target bench_train)" >&2; exit 2; }

py=""
if [[ $with_peer == 1 ]]; then
  if [[ -n "${PYTHON:-}" ]]; then py="$PYTHON"; else
    for c in python3 /usr/bin/python3; do
      if command -v "$c" >/dev/null && "$c" -c 'import torch, deepctr_torch' >/dev/null 2>&1; then py="$c"; break; fi
    done
  fi
  if [[ -z "$py" ]]; then
    echo "run_train_compare.sh: no Python with torch and deepctr_torch (pip install deepctr-torch; see $peer)" >&2
    py=python3  # the peer prints what is missing
  fi
fi

rows="$(mktemp)"
trap 'rm -f "$rows"' EXIT
peer_failed=0
IFS=, read -ra T_LIST <<< "$threads_list"
IFS=, read -ra C_LIST <<< "$compete_list"
IFS=, read -ra V_LIST <<< "$vocab_list"
for v in "${V_LIST[@]}"; do
  for c in "${C_LIST[@]}"; do
    for t in "${T_LIST[@]}"; do
      args=(--threads "$t" --compete "$c" --vocab "$v" "${common[@]}")
      echo "run_train_compare.sh: threads $t, compete $c, vocab $v: dien..." >&2
      "$bench" --json "${args[@]}" 2>/dev/null | tee -a "$rows" | { [[ $json == 1 ]] && cat || cat >/dev/null; }
      if [[ $with_peer == 1 ]]; then
        echo "run_train_compare.sh: threads $t, compete $c, vocab $v: deepctr-torch..." >&2
        if out="$("$py" "$peer" "${args[@]}" 2> >(grep -v -e '^|' -e 'Please check the latest version' >&2))"; then
          printf '%s\n' "$out" | tee -a "$rows" | { [[ $json == 1 ]] && cat || cat >/dev/null; }
        else
          peer_failed=1
        fi
      fi
    done
  done
done

# The summary: one row per combination, the ratio of samples/s.
summary() {
  python3 - "$rows" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
key = lambda r: (r["threads"], r["competing"], r["vocab"], r["B"], r["T"], r["H"], r["gru_type"])
by = {}
for r in rows:
    by.setdefault(key(r), {})[r["impl"]] = r
print("| model | gru_type | B | T | H | vocab | threads | competing | dien step ms | dien samples/s "
      "| deepctr-torch step ms | deepctr-torch samples/s | dien/deepctr-torch |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for k, g in by.items():
    d, p = g.get("dien"), g.get("deepctr-torch")
    a = d or p
    f = lambda r, x, fmt: (fmt % r[x]) if r else "-"
    ratio = "%.2fx" % (d["samples_per_s"] / p["samples_per_s"]) if d and p else "-"
    print("| %s | %s | %d | %d | %d | %d | %d | %d | %s | %s | %s | %s | %s |" % (
        a["model"], a["gru_type"], a["B"], a["T"], a["H"], a["vocab"], a["threads"], a["competing"],
        f(d, "step_ms", "%.1f"), f(d, "samples_per_s", "%.0f"), f(p, "step_ms", "%.1f"),
        f(p, "samples_per_s", "%.0f"), ratio))
EOF
}
if [[ $json == 1 ]]; then summary >&2; else summary; fi
[[ $peer_failed == 0 ]] || { echo "run_train_compare.sh: the DeepCTR-Torch peer failed (see above)" >&2; exit 3; }
