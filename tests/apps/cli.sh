#!/usr/bin/env bash
# End-to-end test of the `dien` command as a new user runs it (ctest label `apps`):
#   tests/apps/cli.sh PATH/TO/dien
# Small synthetic data keeps it to a few seconds. Each step checks exit codes and output.
set -euo pipefail
DIEN=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
small=(--users 300 --items 400 --categories 12 --samples-per-user 6 --dnn-hidden-units 32 16 --att-hidden-units 16 8)

echo "== help"
"$DIEN" --help | grep -q "compare" || fail "--help does not list the subcommands"
for c in train eval predict gen-data prepare compare info; do
  "$DIEN" "$c" --help > /dev/null || fail "dien $c --help"
done

echo "== train (synthetic, DIEN AUGRU + aux loss), then resume to 3 epochs"
"$DIEN" train "${small[@]}" --epochs 2 --out "$T/m" > "$T/train.out" 2> "$T/train.err"
grep -q "model: dien (AUGRU, auxiliary loss)" "$T/train.out" || fail "train did not default to DIEN AUGRU with aux loss"
[ "$(grep -c '^epoch [0-9]/2 .*val_auc' "$T/train.out")" = 2 ] || fail "train did not print val_auc per epoch"
grep -q "^validation AUC: 0\.[0-9]" "$T/train.out" || fail "train did not print the validation AUC"
for f in best/config.json best/model.safetensors last/optimizer.safetensors last/trainer.json history.csv history.json; do
  [ -f "$T/m/$f" ] || fail "missing $f"
done
"$DIEN" train "${small[@]}" --epochs 3 --out "$T/m" --resume > "$T/resume.out" 2>/dev/null
grep -q "^epoch 3/3" "$T/resume.out" || fail "--resume did not continue with epoch 3"
grep -q "^epoch 1/3" "$T/resume.out" && fail "--resume started over"

echo "== --deterministic: two runs, the same weights bit for bit"
"$DIEN" train "${small[@]}" --epochs 1 --deterministic --out "$T/det1" > /dev/null 2>&1
"$DIEN" train "${small[@]}" --epochs 1 --deterministic --out "$T/det2" > /dev/null 2>&1
cmp -s "$T/det1/last/model.safetensors" "$T/det2/last/model.safetensors" || fail "--deterministic runs differ"
cmp -s "$T/det1/last/optimizer.safetensors" "$T/det2/last/optimizer.safetensors" || fail "--deterministic optimizer states differ"

echo "== eval, info, predict"
"$DIEN" eval "$T/m" > "$T/eval.out"
grep -q "^auc  *0\.[0-9]" "$T/eval.out" || fail "eval printed no auc"
"$DIEN" eval "$T/m" --json | grep -q '"auc":' || fail "eval --json"
"$DIEN" info "$T/m" | grep -q "hist_item_id" || fail "info lists no features"
"$DIEN" info "$T/m" | grep -q "training    3 epochs" || fail "info shows no training history"
"$DIEN" predict "$T/m" --out "$T/p.txt" --workers 3 2> "$T/predict.err"
rows=$(grep '^rows' "$T/eval.out" | awk '{print $2}')
[ "$(wc -l < "$T/p.txt")" = "$rows" ] || fail "predict wrote $(wc -l < "$T/p.txt") lines for $rows rows"
awk '$1 < 0 || $1 > 1 { bad = 1 } END { exit bad }' "$T/p.txt" || fail "a prediction outside [0, 1]"
"$DIEN" predict "$T/m" --out "$T/p1.txt" --workers 1 2>/dev/null
cmp -s "$T/p.txt" "$T/p1.txt" || fail "predictions depend on the number of worker threads"

echo "== gen-data -> train from files (DIN) -> eval on the test file"
"$DIEN" gen-data --users 300 --items 400 --categories 12 --samples-per-user 6 --out "$T/tr.txt" --test-out "$T/te.txt" > /dev/null
"$DIEN" train --data "$T/tr.txt" --val "$T/te.txt" --model din --epochs 1 --dnn-hidden-units 16 --att-hidden-units 8 \
  --out "$T/d" > "$T/din.out" 2>/dev/null
grep -q "model: din" "$T/din.out" || fail "--model din"
"$DIEN" eval "$T/d" --data "$T/te.txt" | grep -q "^auc" || fail "eval --data"

echo "== bad input names the place"
printf '1\tu1\ti1\tc1\ti2\x02i3\tc2\n' > "$T/bad.txt"
if "$DIEN" train --data "$T/bad.txt" --epochs 1 --out "$T/bad" > /dev/null 2> "$T/bad.err"; then fail "a malformed file trained"; fi
grep -q "bad.txt:1" "$T/bad.err" || { cat "$T/bad.err"; fail "the error does not name file:line"; }
if "$DIEN" eval "$T/nowhere" 2> "$T/bad2.err"; then fail "eval of a missing model succeeded"; fi
grep -q "does not exist" "$T/bad2.err" || fail "missing model error"

echo "== prepare from a log"
{
  echo "user,item,category,time"
  for u in 1 2 3 4 5 6 7 8 9 10; do for s in 1 2 3 4 5; do echo "u$u,i$(( (u * 7 + s * 3) % 23 )),c$(( s % 4 )),$s"; done; done
} > "$T/log.csv"
"$DIEN" prepare --input "$T/log.csv" --out-dir "$T/prep" --test-fraction 0.2 > "$T/prep.out"
[ "$(wc -l < "$T/prep/train.txt")" = 16 ] || fail "prepare: expected 8 users x 2 samples in train.txt"
[ "$(wc -l < "$T/prep/test.txt")" = 4 ] || fail "prepare: expected 2 users x 2 samples in test.txt"

echo "== compare --json"
"$DIEN" compare "${small[@]}" --epochs 1 --models base din dien-augru --json > "$T/cmp.json" 2>/dev/null
[ "$(wc -l < "$T/cmp.json")" = 3 ] || fail "compare --json: expected 3 lines"
for k in '"model":"base"' '"model":"din"' '"model":"dien-augru"' '"val_auc":' '"val_logloss":' '"seconds":'; do
  grep -q "$k" "$T/cmp.json" || fail "compare --json lacks $k"
done
echo "all dien command checks passed"
