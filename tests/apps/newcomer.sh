#!/usr/bin/env bash
# What a new user meets with the `dien` command (issue 13), end to end (ctest label `apps`):
#   tests/apps/newcomer.sh PATH/TO/dien
# 1. --resume reuses the run's recorded flags, refuses a conflicting one by name (--override
#    changes it), and says when nothing is left to train;
# 2. --threads on every subcommand that computes, whole-number checks, --version;
# 3. messages once, in the user's terms, with the fix: readable ranges, no GPU, format hints,
#    comma-joined histories, an empty validation set, gen-data's train hint, objective vs loss;
# 4. the CSV spec example of docs/data.md trains, and eval reads CSV with the stored spec.
# Tiny synthetic data keeps every step well under a second.
source "$(dirname "$0")/lib.sh" "$@"

echo "== 1. --resume remembers the run"
"$DIEN" train "${tiny[@]}" "${net[@]}" --lr 0.002 --batch-size 64 --epochs 1 --out "$T/m" > /dev/null 2>&1
[ -f "$T/m/run.json" ] || fail "train wrote no run.json"
grep -q '"--lr"' "$T/m/run.json" || fail "run.json lacks --lr"
# Only what changes: the data and network flags come from run.json.
"$DIEN" train --out "$T/m" --resume --epochs 2 > "$T/r.out" 2> "$T/r.err" || { cat "$T/r.err"; fail "a resume with only --epochs failed"; }
grep -q "^epoch 2/2" "$T/r.out" || fail "the resume did not train epoch 2"
grep -q "240 training\|192 training" "$T/r.out" || { cat "$T/r.out"; fail "the resume did not use the run's data flags"; }
# A conflicting flag is refused, naming it and the way to change it.
must_fail "$DIEN" train --out "$T/m" --resume --epochs 3 --lr 0.01
grep -q -- "--lr 0.01" "$T/err" && grep -q -- "--lr 0.002" "$T/err" && grep -q -- "--override" "$T/err" ||
  { cat "$T/err"; fail "a conflicting --lr is not refused by name with --override as the way out"; }
[ "$(wc -c < "$T/err")" -lt 600 ] || fail "the refusal is $(wc -c < "$T/err") bytes long"
# The same value written differently is no conflict.
"$DIEN" train --out "$T/m" --resume --epochs 2 --lr 2e-3 > /dev/null 2> "$T/err" && fail "nothing was left, yet it trained"
grep -q "nothing left to train" "$T/err" || { cat "$T/err"; fail "--lr 2e-3 == 0.002 was refused"; }
# A flag that shapes the weights cannot change, even with --override: no weight-mismatch dump.
must_fail "$DIEN" train --out "$T/m" --resume --epochs 3 --dnn-hidden-units 16 8 --override
grep -q -- "--dnn-hidden-units 16 8" "$T/err" && grep -q "cannot change" "$T/err" ||
  { cat "$T/err"; fail "a changed --dnn-hidden-units is not refused by name"; }
[ "$(wc -c < "$T/err")" -lt 600 ] || fail "the refusal is $(wc -c < "$T/err") bytes long"
# --override changes a setting from here on, and says so.
"$DIEN" train --out "$T/m" --resume --epochs 3 --lr 0.01 --override > "$T/o.out" 2> "$T/o.err" ||
  { cat "$T/o.err"; fail "--override failed"; }
grep -q "^epoch 3/3" "$T/o.out" || fail "--override did not train epoch 3"
grep -q -- "--override: --lr 0.01" "$T/o.err" || fail "--override did not say what changed"
grep -q '"0.01"' "$T/m/run.json" || fail "run.json does not record the overridden --lr"
"$DIEN" info "$T/m" | grep -q "^run flags .*--lr 0.01" || fail "dien info does not show the run's flags"
# Nothing left to train: an error that says so, not a silent success.
must_fail "$DIEN" train --out "$T/m" --resume
grep -q "nothing left to train.*completed 3 epochs.*--epochs 4" "$T/err" || { cat "$T/err"; fail "no 'nothing left to train'"; }
grep -q "^epoch" "$T/out" && fail "a finished run trained again"
must_fail "$DIEN" train --out "$T/none" --resume
grep -q "no run to resume" "$T/err" || fail "resume of a missing run"
must_fail "$DIEN" train "${tiny[@]}" --out "$T/x" --override
grep -q -- "--override requires --resume" "$T/err" || { cat "$T/err"; fail "--override without --resume"; }
# --embedding-grad: the run's mode is kept, a different one refused by the same rule.
must_fail "$DIEN" train --out "$T/m" --resume --epochs 4 --embedding-grad dense
grep -q -- "--embedding-grad dense (the run used the default, sparse)" "$T/err" ||
  { cat "$T/err"; fail "--embedding-grad dense on a sparse run"; }
"$DIEN" train --out "$T/m" --resume --epochs 4 --embedding-grad sparse > /dev/null 2> "$T/err" ||
  { cat "$T/err"; fail "--embedding-grad sparse on a sparse run"; }

echo "== 2. flags every subcommand should have"
"$DIEN" --version | grep -q "^dien [0-9]*\.[0-9]*\.[0-9]" || fail "--version"
"$DIEN" predict "$T/m" --threads 1 --out "$T/p1.txt" 2> /dev/null || fail "predict --threads 1"
"$DIEN" predict "$T/m" --threads 2 --workers 2 --out "$T/p2.txt" 2> /dev/null || fail "predict --threads 2 --workers 2"
cmp -s "$T/p1.txt" "$T/p2.txt" || fail "predictions depend on --threads"
for c in "train ${tiny[*]}" "eval $T/m" "predict $T/m" "compare ${tiny[*]}"; do
  # shellcheck disable=SC2086
  must_fail "$DIEN" $c --threads -1
  grep -q -- "--threads: must be a whole number >= 0, got '-1'" "$T/err" || { cat "$T/err"; fail "dien ${c%% *} --threads -1"; }
done
must_fail "$DIEN" predict "$T/m" --workers -2
grep -q -- "--workers: must be a whole number >= 0" "$T/err" || { cat "$T/err"; fail "predict --workers -2"; }

echo "== 3. messages"
must_fail "$DIEN" train --epochs 0
grep -q -- "--epochs: must be a whole number >= 1, got '0'" "$T/err" || { cat "$T/err"; fail "--epochs 0"; }
grep -q "[0-9]\{20\}" "$T/err" && fail "--epochs 0 prints a huge number"
must_fail "$DIEN" gen-data --test-fraction 2
grep -q -- "--test-fraction: must lie in \[0, 0.9\], got '2'" "$T/err" || { cat "$T/err"; fail "--test-fraction 2"; }
must_fail "$DIEN" eval "$T/nowhere"
grep -q "dien: error: dien" "$T/err" && fail "'dien: error: dien' twice"
grep -c "error" "$T/err" | grep -q "^1$" || { cat "$T/err"; fail "not one error line"; }
if "$DIEN" train "${tiny[@]}" "${net[@]}" --epochs 1 --device cuda --out "$T/gpu" > /dev/null 2> "$T/err"; then
  echo "   (a GPU is present: the no-GPU message is not tested here)"
else
  grep -q "no GPU found\|built without CUDA" "$T/err" || { cat "$T/err"; fail "--device cuda without a GPU"; }
  grep -q "device(s) are available" "$T/err" && fail "--device cuda: the tensor-level message"
fi
# An 8-column MovieLens sample read with the default format.
printf '1\t1\t2\t3,2,1,0\t3\t4\t5\t1\n2\t0\t3\t4,2,0,0\t2\t1\t5\t0\n' > "$T/movie.txt"
must_fail "$DIEN" train --data "$T/movie.txt" --epochs 1 --out "$T/mv"
grep -q -- "--format movielens" "$T/err" || { cat "$T/err"; fail "no --format movielens hint"; }
# Histories joined by commas instead of \x02.
"$DIEN" gen-data "${tiny[@]}" --out "$T/tr.txt" --test-out "$T/te.txt" > "$T/gen.out"
grep -q "dien train --data $T/tr.txt --val $T/te.txt --exclude user_id" "$T/gen.out" ||
  { cat "$T/gen.out"; fail "gen-data's hint leaves out --exclude user_id"; }
tr '\002' ',' < "$T/tr.txt" > "$T/comma.txt"
"$DIEN" train --data "$T/comma.txt" "${net[@]}" --negsampling false --epochs 1 --out "$T/c" > /dev/null 2> "$T/err" || true
grep -q 'no \\x02 separator' "$T/err" || { cat "$T/err"; fail "comma-joined histories read without a word"; }
# The gen-data hint as printed trains without a flood of unknown users.
"$DIEN" train --data "$T/tr.txt" --val "$T/te.txt" --exclude user_id "${net[@]}" --epochs 1 --out "$T/g" > /dev/null 2> "$T/err"
grep -q "train with --exclude user_id" "$T/err" && fail "the hint's own command gets the --exclude hint"
"$DIEN" train --data "$T/tr.txt" --val "$T/te.txt" "${net[@]}" --epochs 1 --out "$T/g2" > /dev/null 2> "$T/err"
grep -q "train with --exclude user_id" "$T/err" || { cat "$T/err"; fail "unseen validation users: no --exclude hint"; }
# A tiny file: no validation row.
head -n 3 "$T/tr.txt" > "$T/three.txt"
"$DIEN" train --data "$T/three.txt" "${net[@]}" --epochs 1 --out "$T/t3" > /dev/null 2> "$T/err" || { cat "$T/err"; fail "3 rows"; }
grep -q "warning: no validation samples" "$T/err" || { cat "$T/err"; fail "0 validation rows without a warning"; }
# objective (progress) and loss (epoch lines) are explained on screen.
"$DIEN" train "${tiny[@]}" "${net[@]}" --epochs 1 --out "$T/l" > "$T/l.out" 2> /dev/null
grep -q "objective = the loss minimised.*loss = log loss of the epoch's training predictions" "$T/l.out" ||
  { cat "$T/l.out"; fail "objective and loss are not explained"; }
finish

echo "== 4. the CSV spec of docs/data.md works as documented"
docs=$(cd "$(dirname "$0")/../.." && pwd)/docs/data.md
awk '/A minimal spec/ { armed = 1 } armed && /^```/ { if (inside) exit; inside = 1; next } inside' "$docs" > "$T/spec.json"
[ -s "$T/spec.json" ] || fail "docs/data.md shows no CSV spec example"
{ echo "label,user_id,item_id,hist_item_id"
  for i in $(seq 1 60); do echo "$((i % 2)),u$((i % 7)),$((i % 13)),$((i % 5))|$((i % 11))|$((i % 3))"; done; } > "$T/t.csv"
"$DIEN" train --data "$T/t.csv" --spec "$T/spec.json" --model din "${net[@]}" --epochs 1 --out "$T/csv" > /dev/null 2> "$T/err" ||
  { cat "$T/err"; fail "the docs' CSV spec does not train"; }
"$DIEN" eval "$T/csv" --data "$T/t.csv" | grep -q "^rows *60" || fail "eval of a CSV run without --spec"
echo "all newcomer checks passed"
