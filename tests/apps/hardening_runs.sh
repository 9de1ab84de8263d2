#!/usr/bin/env bash
# Safe runs and writers (issue 12), end to end (ctest label `apps`):
#   tests/apps/hardening_runs.sh PATH/TO/dien
# `train --out` refuses an existing run unless --resume or --overwrite; one run at a time per
# directory (a lock); --resume refuses other data unless --resume-any-data; gen-data and
# predict fail on a full device and leave it a device.
set -euo pipefail
DIEN=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
small=(--users 200 --items 300 --categories 10 --samples-per-user 5 --dnn-hidden-units 16 8 --att-hidden-units 8 4)

echo "== an empty --out directory is fine; a second train into the run is refused"
mkdir "$T/m"
"$DIEN" train "${small[@]}" --epochs 1 --out "$T/m" > /dev/null 2>&1 || fail "train into an empty directory"
before=$(cksum < "$T/m/last/model.safetensors")
if "$DIEN" train "${small[@]}" --epochs 1 --out "$T/m" > /dev/null 2> "$T/again.err"; then
  fail "a second train into an existing run succeeded"
fi
grep -q "$T/m" "$T/again.err" && grep -q -- "--resume" "$T/again.err" && grep -q -- "--overwrite" "$T/again.err" ||
  fail "the refusal does not name the directory, --resume and --overwrite: $(cat "$T/again.err")"
[ "$(cksum < "$T/m/last/model.safetensors")" = "$before" ] || fail "the refused train changed the run"

echo "== --overwrite replaces the run; --resume continues it"
"$DIEN" train "${small[@]}" --epochs 1 --seed 7 --out "$T/m" --overwrite > /dev/null 2>&1 || fail "--overwrite"
grep -q '"--seed"' "$T/m/run.json" || fail "--overwrite did not record the new run's flags"
"$DIEN" train --epochs 2 --out "$T/m" --resume > "$T/resume.out" 2>&1 || fail "--resume: $(cat "$T/resume.out")"
grep -q "^epoch 2/2" "$T/resume.out" || fail "--resume did not train epoch 2"
if "$DIEN" train --epochs 3 --out "$T/m" --resume --overwrite > /dev/null 2>&1; then
  fail "--resume with --overwrite was accepted"
fi

echo "== two runs into one directory: the second is refused at once"
"$DIEN" train "${small[@]}" --epochs 30 --out "$T/busy" > /dev/null 2>&1 &
first=$!
for _ in $(seq 100); do [ -s "$T/busy/.lock" ] && break; sleep 0.1; done
[ -s "$T/busy/.lock" ] || fail "the first run wrote no lock file"
start=$SECONDS
if "$DIEN" train "${small[@]}" --epochs 1 --out "$T/busy" --overwrite > /dev/null 2> "$T/busy.err"; then
  kill "$first" 2>/dev/null || true
  fail "a second concurrent run into the same directory succeeded"
fi
kill "$first" 2>/dev/null || true
wait "$first" 2>/dev/null || true
[ $((SECONDS - start)) -le 5 ] || fail "the second run did not fail at once"
grep -q "another run (pid $first) is training into $T/busy" "$T/busy.err" ||
  fail "the refusal does not name the directory and the other pid: $(cat "$T/busy.err")"
# The lock dies with its process: a new run may take the directory over.
"$DIEN" train "${small[@]}" --epochs 1 --out "$T/busy" --overwrite > /dev/null 2>&1 || fail "lock not released"

echo "== --resume refuses different or reordered data, unless --resume-any-data"
"$DIEN" gen-data --users 200 --items 300 --categories 10 --samples-per-user 5 --out "$T/train.txt" --test-out "$T/test.txt" > /dev/null 2>&1
"$DIEN" train --data "$T/train.txt" --dnn-hidden-units 16 8 --att-hidden-units 8 4 --epochs 1 --out "$T/f" \
  > /dev/null 2>&1 || fail "train on a file"
(head -n 1 "$T/train.txt"; tail -n +2 "$T/train.txt" | tac) > "$T/reordered.txt"
cp "$T/reordered.txt" "$T/train.txt"
if "$DIEN" train --epochs 2 --out "$T/f" --resume > /dev/null 2> "$T/data.err"; then
  fail "--resume on a reordered data file succeeded"
fi
grep -q "training data differ" "$T/data.err" && grep -q -- "--resume-any-data" "$T/data.err" && grep -q "train.txt" "$T/data.err" ||
  fail "the refusal does not name the file and --resume-any-data: $(cat "$T/data.err")"
"$DIEN" train --epochs 2 --out "$T/f" --resume --resume-any-data > "$T/any.out" 2>&1 || fail "--resume-any-data: $(cat "$T/any.out")"
grep -q "^epoch 2/2" "$T/any.out" || fail "--resume-any-data did not train epoch 2"
# Synthetic data: its generator settings are its fingerprint (recorded in run.json).
grep -q '"synthetic"' "$T/m/run.json" || fail "run.json records no generator settings for synthetic data"
if "$DIEN" train --epochs 3 --out "$T/m" --resume --data-seed 5 --override > /dev/null 2> "$T/seed.err"; then
  fail "--resume on synthetic data of another seed succeeded"
fi
grep -q "seed 5 (the run's: 1234)" "$T/seed.err" || fail "the refusal does not name the seed: $(cat "$T/seed.err")"

echo "== writers: full devices fail, non-zero, and stay devices"
full=/dev/full
if [ "$(id -u)" = 0 ] && mknod "$T/full" c 1 7 2>/dev/null; then full="$T/full"; fi
if "$DIEN" gen-data --users 200 --items 300 --categories 10 --samples-per-user 5 --out "$full" --test-out "$T/gt.txt" 2> "$T/gen.err"; then
  fail "gen-data --out $full succeeded"
fi
grep -q "No space left on device" "$T/gen.err" || fail "gen-data gave no ENOSPC error: $(cat "$T/gen.err")"
[ -c "$full" ] || fail "gen-data replaced $full"
if [ "$(id -u)" = 0 ]; then
  if "$DIEN" gen-data --users 200 --items 300 --categories 10 --samples-per-user 5 --out /dev/full --test-out "$T/gt.txt" 2>/dev/null; then
    fail "gen-data --out /dev/full succeeded"
  fi
  [ -c /dev/full ] || fail "gen-data --out /dev/full replaced the device"
else
  echo "(not root: gen-data --out /dev/full cannot replace the device anyway; checked on $full only)"
fi
if "$DIEN" predict "$T/m" --out "$full" 2> "$T/predict.err"; then fail "predict --out $full succeeded"; fi
grep -q "No space left on device" "$T/predict.err" || fail "predict gave no ENOSPC error: $(cat "$T/predict.err")"
[ -c "$full" ] || fail "predict replaced $full"
if "$DIEN" predict "$T/m" > /dev/full 2>/dev/null; then fail "predict > /dev/full (--out -) succeeded"; fi
echo kept > "$T/log.txt"
"$DIEN" predict "$T/m" --out /dev/stdout >> "$T/log.txt" 2>/dev/null || fail "predict --out /dev/stdout"
[ "$(head -n 1 "$T/log.txt")" = kept ] || fail "predict --out /dev/stdout >> FILE replaced FILE instead of appending"
"$DIEN" predict "$T/m" --out "$T/p.txt" 2>/dev/null || fail "predict --out FILE"
[ -s "$T/p.txt" ] || fail "predict wrote nothing"

echo "== predict never writes a non-finite score"
# A regression model's score is the raw output: a dense value of 1e39 (inf as a float) makes it
# infinite. (A reader that refuses the value is as good: either way no score is written.)
cat > "$T/spec.json" <<'JSON'
{"delimiter": ",", "header": true, "history_features": ["item_id"],
 "columns": [{"name": "label", "role": "label"}, {"name": "user_id", "role": "sparse"},
             {"name": "item_id", "role": "sparse"},
             {"name": "hist_item_id", "role": "varlen", "maxlen": 5, "truncate": true, "embedding_name": "item_id"},
             {"name": "price", "role": "dense"}]}
JSON
{ echo "label,user_id,item_id,hist_item_id,price"
  for i in $(seq 1 60); do echo "$((i % 2)),u$((i % 7)),$((i % 13)),$((i % 5))|$((i % 11)),0.$i"; done; } > "$T/t.csv"
{ echo "label,user_id,item_id,hist_item_id,price"; echo "1,u1,3,1|2,0.5"; echo "0,u2,4,2|3,1e39"; } > "$T/inf.csv"
"$DIEN" train --data "$T/t.csv" --spec "$T/spec.json" --model din --task regression --dnn-hidden-units 8 \
  --att-hidden-units 4 --epochs 1 --out "$T/reg" > /dev/null 2>&1 || fail "train a regression model"
if "$DIEN" predict "$T/reg" --data "$T/inf.csv" --out "$T/inf.txt" 2> "$T/inf.err"; then
  fail "predict wrote non-finite scores with exit 0: $(cat "$T/inf.txt")"
fi
if [ -e "$T/inf.txt" ]; then fail "predict wrote $T/inf.txt: $(cat "$T/inf.txt")"; fi
grep -q "finite" "$T/inf.err" && grep -q "inf.csv" "$T/inf.err" || fail "the error names no file and row: $(cat "$T/inf.err")"
echo "hardening_runs: all passed"
