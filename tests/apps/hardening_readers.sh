#!/usr/bin/env bash
# Bad data files fail at load time, in seconds, naming file, line and column (issue 12, readers;
# ctest label `apps`):
#   tests/apps/hardening_readers.sh PATH/TO/dien
# `dien train` on a CSV with a label outside {0, 1}, a dense value that is no finite float
# (1e39), an Amazon-format file with an id that is not UTF-8, or a MovieLens sample with a
# non-canonical integer id stops before epoch 1 (these used to fail after an epoch, with nothing
# saved, or train on inf); `dien eval` and `dien predict` check the files they read the same way.
source "$(dirname "$0")/lib.sh" "$@"
net+=(--epochs 1 --batch-size 32)

# Runs `dien "$@"`, which must fail within 10 s before any epoch, with every later argument of
# the form +TEXT found in its stderr.
must_fail_fast() {
  local args=() want=()
  for a in "$@"; do if [[ $a == +* ]]; then want+=("${a:1}"); else args+=("$a"); fi; done
  local t0 t1
  t0=$(date +%s)
  if timeout 120 "$DIEN" "${args[@]}" > "$T/out" 2> "$T/err"; then fail "succeeded: dien ${args[*]}"; return; fi
  t1=$(date +%s)
  [ $((t1 - t0)) -le 10 ] || fail "dien ${args[*]} took $((t1 - t0)) s to fail"
  if grep -q "^epoch 1" "$T/out"; then fail "dien ${args[*]} trained an epoch before failing"; fi
  for w in "${want[@]}"; do
    grep -qF -- "$w" "$T/err" || { cat "$T/err" >&2; fail "dien ${args[*]}: the error does not say '$w'"; }
  done
}

cat > "$T/spec.json" <<'JSON'
{"delimiter": ",", "header": true, "group": "user_id", "history_features": ["item_id"],
 "columns": [{"name": "label", "role": "label"},
             {"name": "user_id", "role": "sparse"},
             {"name": "item_id", "role": "sparse"},
             {"name": "price", "role": "dense"},
             {"name": "hist_item_id", "role": "varlen", "maxlen": 5, "embedding_name": "item_id"}]}
JSON
{ echo "label,user_id,item_id,price,hist_item_id"
  for i in $(seq 1 80); do echo "$((i % 2)),u$((i % 7)),$((i % 13)),$((i % 5)).5,$((i % 5))|$((i % 11))|$((i % 3))"; done; } > "$T/good.csv"

echo "== a good CSV trains (the model for eval/predict below)"
"$DIEN" train --data "$T/good.csv" --spec "$T/spec.json" --model din "${net[@]}" --out "$T/m" > /dev/null 2> "$T/err" ||
  { cat "$T/err"; fail "the good CSV does not train"; }

echo "== a CSV label outside {0, 1}"
sed '31s/^[01],/2,/' "$T/good.csv" > "$T/label.csv"
must_fail_fast train --data "$T/label.csv" --spec "$T/spec.json" --model din "${net[@]}" --out "$T/m1" \
  "+label.csv:31:1 (column 'label')" "+label must be 0 or 1"

echo "== a dense value that is not a finite 32-bit float"
awk -F, -v OFS=, 'NR == 20 { $4 = "1e39" } 1' "$T/good.csv" > "$T/dense.csv"
must_fail_fast train --data "$T/dense.csv" --spec "$T/spec.json" --model din "${net[@]}" --out "$T/m2" \
  "+dense.csv:20:4 (column 'price')" "+1e39" "+not finite as a 32-bit float"

echo "== an Amazon-format id that is not UTF-8"
"$DIEN" gen-data --users 40 --items 50 --categories 5 --samples-per-user 3 --maxlen 8 --out "$T/g.txt" \
  --test-out "$T/g_test.txt" > /dev/null 2>&1
awk -F'\t' -v OFS='\t' 'NR == 7 { $3 = $3 "\xff" } 1' "$T/g.txt" > "$T/utf8.txt"
must_fail_fast train --data "$T/utf8.txt" --format amazon --model din "${net[@]}" --out "$T/m3" \
  "+utf8.txt:7:3 (column 'item')" "+not valid UTF-8" "+0xFF"

echo "== a MovieLens-sample id that is not a canonical integer"
{ for u in 1 2 3 4 5 6; do for m in 10 20 30; do printf '%s\t1\t2\t%s\t1\t%s\t7\t%s\n' "$u" "30,0,0" "$m" $((u % 2)); done; done; } > "$T/ms.txt"
sed '8s/^3\t/03\t/' "$T/ms.txt" > "$T/ms_bad.txt"
must_fail_fast train --data "$T/ms_bad.txt" --format movielens --model din "${net[@]}" --out "$T/m4" \
  "+ms_bad.txt:8:1 (column 'user_id')" "+expected '3'"

echo "== eval and predict check the files they read"
must_fail_fast eval "$T/m" --data "$T/label.csv" "+label.csv:31:1 (column 'label')"
must_fail_fast predict "$T/m" --data "$T/dense.csv" --out "$T/p.txt" "+dense.csv:20:4 (column 'price')"
[ ! -e "$T/p.txt" ] || fail "predict wrote $T/p.txt from a file it refused"
awk -F, -v OFS=, 'NR == 9 { $2 = $2 "\xc3" } 1' "$T/good.csv" > "$T/user.csv"
must_fail_fast predict "$T/m" --data "$T/user.csv" "+user.csv:9:2 (column 'user_id')" "+not valid UTF-8"
"$DIEN" predict "$T/m" --data "$T/good.csv" --out "$T/p.txt" 2> /dev/null || fail "predict of the good CSV failed"
[ "$(wc -l < "$T/p.txt")" -eq 80 ] || fail "predict wrote $(wc -l < "$T/p.txt") lines for 80 rows"
if grep -qi nan "$T/p.txt"; then fail "predict wrote NaN"; fi

finish
echo "hardening_readers: all checks passed"
