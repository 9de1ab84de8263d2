#!/usr/bin/env bash
# Sizes and JSON from flags and files (issue 12), end to end (ctest label `apps`):
#   tests/apps/hardening_sizes.sh PATH/TO/dien
# Each check used to crash, wrap silently or run effectively forever; now each is an error that
# names the flag or the file. Tiny synthetic data keeps every step well under a second.
source "$(dirname "$0")/lib.sh" "$@"
tiny=(--users 40 --items 50 --categories 5 --samples-per-user 4 --maxlen 8)  # smaller than lib.sh's
# deep N PREFIX SUFFIX: PREFIX, N nested arrays around 1, SUFFIX.
deep() { awk -v n="$1" -v pre="$2" -v suf="$3" 'BEGIN { printf "%s", pre; for (i = 0; i < n; i++) printf "["; printf "1";
                                                     for (i = 0; i < n; i++) printf "]"; printf "%s", suf }'; }

echo "== size flags are whole numbers within their limits"
for flag in --dnn-hidden-units --att-hidden-units; do
  must_fail "$DIEN" train "${tiny[@]}" "${net[@]}" "$flag" 4611686018427387904 --epochs 1 --out "$T/x"
  says "$flag" "4611686018427387904" "[1, 1048576]"
done
must_fail "$DIEN" train "${tiny[@]}" "${net[@]}" --embedding-dim 4294967296 --epochs 1 --out "$T/x"
says "--embedding-dim" "4294967296" "[1, 1048576]"
must_fail "$DIEN" train "${tiny[@]}" "${net[@]}" --batch-size 9223372036854775807 --epochs 1 --out "$T/x"
says "--batch-size" "9223372036854775807" "[1, 16777216]"
[ ! -e "$T/x" ] || fail "a refused train wrote $T/x"

echo "== a small run to predict from and resume"
"$DIEN" train "${tiny[@]}" "${net[@]}" --epochs 1 --out "$T/m" > /dev/null 2>&1 || fail "the small run failed"
"$DIEN" predict "$T/m" --out "$T/p.txt" > /dev/null 2>&1 || fail "predict failed"
[ -s "$T/p.txt" ] || fail "predict wrote nothing"
must_fail "$DIEN" predict "$T/m" --batch-size 9223372036854775807 --out "$T/p2.txt"
says "--batch-size" "9223372036854775807" "[1, 16777216]"
must_fail "$DIEN" eval "$T/m" --batch-size 0
says "--batch-size" "[1, 16777216]"

echo "== trainer.json: epoch 2147483648 is refused, not wrapped"
tj=$T/m/last/trainer.json
cp "$tj" "$T/trainer.json.bak"
# Without its manifest (as a checkpoint of an older dien), so that the edited files reach the
# checks under test instead of failing their CRC-32; the manifest is put back below.
mv "$T/m/last/manifest.json" "$T/manifest.json.bak"
# The first "epoch" is the run's (keys are sorted; the history's records come later).
sed -i '0,/"epoch": [0-9]*/s//"epoch": 2147483648/' "$tj"
grep -q '"epoch": 2147483648' "$tj" || fail "could not edit $tj"
must_fail "$DIEN" train --out "$T/m" --resume --epochs 2
says "trainer.json" "'epoch'" "2147483648"
grep -q "^epoch" "$T/out" && fail "a resume from epoch 2147483648 trained"
cp "$T/trainer.json.bak" "$tj"

echo "== JSON nested 100k levels deep"
deep 100000 '{"dnn_hidden_units": ' '}' > "$T/opts.json"
must_fail "$DIEN" train "${tiny[@]}" "${net[@]}" --model-options "$T/opts.json" --epochs 1 --out "$T/x"
says "opts.json" "nests deeper than 64 levels"
cfg=$T/m/last/config.json
cp "$cfg" "$T/config.json.bak"
deep 100000 '{"format": "dien-checkpoint", "version": ' '}' > "$cfg"
must_fail "$DIEN" info "$T/m/last"
says "config.json" "nests deeper than 64 levels"
must_fail "$DIEN" predict "$T/m/last" --out "$T/p3.txt"
says "config.json" "nests deeper than 64 levels"
cp "$T/config.json.bak" "$cfg"
mv "$T/manifest.json.bak" "$T/m/last/manifest.json"
deep 100000 '{"flags": ' '}' > "$T/m/run.json"
"$DIEN" info "$T/m" > "$T/out" 2> "$T/err" || { cat "$T/err"; fail "info failed on a deep run.json"; }
grep -q "run.json is not readable.*nests deeper than 64 levels" "$T/out" || { cat "$T/out"; fail "info did not say run.json is too deep"; }
must_fail "$DIEN" train --out "$T/m" --resume --epochs 2
says "run.json" "nests deeper than 64 levels"

echo "== prepare --time-column beyond the header's columns"
printf 'time,user,item,category\n' > "$T/log.csv"
for u in 1 2 3 4 5 6; do for i in 1 2 3 4; do printf '%d,U%d,I%d,c,x,x,x,x,x\n' "$i" "$u" "$((u + i))"; done; done >> "$T/log.csv"
must_fail "$DIEN" prepare --input "$T/log.csv" --time-column 9 --out-dir "$T/prep"
says "--time-column 9" "log.csv" "4 columns"
must_fail "$DIEN" prepare --input "$T/log.csv" --time-column 99999999999999999999 --out-dir "$T/prep"
says "--time-column 99999999999999999999" "log.csv"
"$DIEN" prepare --input "$T/log.csv" --time-column 1 --out-dir "$T/prep" > /dev/null 2>&1 || fail "prepare with --time-column 1 failed"

finish
echo "hardening_sizes: all checks passed"
