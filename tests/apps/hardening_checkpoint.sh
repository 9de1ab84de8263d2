#!/usr/bin/env bash
# Checkpoint integrity through the `dien` command (issue 12), end to end (ctest label `apps`):
#   tests/apps/hardening_checkpoint.sh PATH/TO/dien
# 1. a checkpoint carries manifest.json, and `dien info` says it verified;
# 2. one flipped bit in the weights: predict, eval and info refuse the checkpoint, naming the file;
# 3. NaN weights are refused, naming the tensor; --allow-nonfinite-weights loads them (predict,
#    eval, info), and `train --resume` refuses or accepts non-finite optimizer state the same way;
# 4. a checkpoint without a manifest (an older dien's) loads with one warning, and info says so;
# 5. a manifest from a newer dien is refused.
# Tiny synthetic data keeps every step well under a second.
source "$(dirname "$0")/lib.sh" "$@"

# Byte surgery on a safetensors file: the header's size, and the data offset of the first tensor
# whose name matches $2 (a grep -E pattern) and whose dtype is F32.
header_size() { od -An -tu8 -N8 "$1" | tr -d ' '; }
tensor_offset() {
  local h begin
  h=$(header_size "$1")
  begin=$(dd if="$1" bs=1 skip=8 count="$h" 2> /dev/null |
    grep -oE "\"$2\":\\{\"data_offsets\":\\[[0-9]+,[0-9]+\\],\"dtype\":\"F32\"" | head -1 |
    sed -E 's/.*"data_offsets":\[([0-9]+),.*/\1/')
  [ -n "$begin" ] || { echo "no F32 tensor matching $2 in $1" >&2; return 1; }
  echo $((8 + h + begin))
}
# put_bytes FILE OFFSET '\xNN\xNN...'
put_bytes() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2> /dev/null; }
flip_bit() {  # FILE OFFSET BIT
  local b
  b=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
  put_bytes "$1" "$2" "\\$(printf %03o $((b ^ (1 << $3))))"
}
nan='\x00\x00\xc0\x7f'
inf='\x00\x00\x80\x7f'

echo "== 1. manifest.json, verified by info"
"$DIEN" train "${tiny[@]}" "${net[@]}" --epochs 1 --out "$T/m" > /dev/null 2>&1
for d in best last; do [ -f "$T/m/$d/manifest.json" ] || fail "$d/ has no manifest.json"; done
"$DIEN" info "$T/m" > "$T/info" 2> "$T/err" || { cat "$T/err"; fail "info failed on a fresh checkpoint"; }
grep -q "^integrity   manifest.json (version 1): 4 files, sizes and CRC-32 verified" "$T/info" ||
  { cat "$T/info"; fail "info does not say the manifest verified"; }
"$DIEN" info "$T/m" --json > "$T/info.json"
grep -q '"manifest": true' "$T/info.json" || fail "info --json lacks the integrity record"
[ ! -s "$T/err" ] || { cat "$T/err"; fail "a fresh checkpoint warned"; }
"$DIEN" predict "$T/m" --out "$T/p0.txt" 2> /dev/null || fail "predict failed on a fresh checkpoint"

echo "== 2. one flipped bit in the weights"
cp -r "$T/m" "$T/flip"
w=$T/flip/best/model.safetensors
flip_bit "$w" $(($(stat -c %s "$w") - 3)) 2
for cmd in predict eval info; do
  must_fail "$DIEN" $cmd "$T/flip"
  grep -q "model.safetensors: CRC-32 mismatch (stored 0x[0-9a-f]\{8\}, computed 0x[0-9a-f]\{8\}): the file is damaged" "$T/err" &&
    grep -q "$T/flip/best" "$T/err" || { cat "$T/err"; fail "$cmd: a flipped bit is not refused by name"; }
done
cp "$T/m/best/model.safetensors" "$w"
"$DIEN" predict "$T/flip" --out "$T/p1.txt" 2> /dev/null && cmp -s "$T/p0.txt" "$T/p1.txt" ||
  fail "the repaired checkpoint does not predict as before"

echo "== 3. non-finite weights, and --allow-nonfinite-weights"
cp -r "$T/m" "$T/nan"
rm "$T/nan/best/manifest.json"  # past the checksum, to the NaN check (as an older dien's checkpoint)
w=$T/nan/best/model.safetensors
put_bytes "$w" "$(tensor_offset "$w" 'linear[^"]*weight')" "$nan"
for cmd in predict eval info; do
  must_fail "$DIEN" $cmd "$T/nan"
  grep -q "model.safetensors: tensor '[^']*linear[^']*weight' holds nan at index 0" "$T/err" &&
    grep -q -- "--allow-nonfinite-weights" "$T/err" || { cat "$T/err"; fail "$cmd: NaN weights are not refused by name"; }
  "$DIEN" $cmd "$T/nan" --allow-nonfinite-weights > "$T/out" 2> "$T/err" ||
    { cat "$T/err"; fail "$cmd --allow-nonfinite-weights did not load NaN weights"; }
done
# Resume: infinite optimizer state in last/ (Adam then leaves that weight where it is).
cp -r "$T/m" "$T/inf"
rm "$T/inf/last/manifest.json"
o=$T/inf/last/optimizer.safetensors
put_bytes "$o" "$(tensor_offset "$o" '[^"]*exp_avg_sq')" "$inf"
must_fail "$DIEN" train --out "$T/inf" --resume --epochs 2
grep -q "optimizer.safetensors: tensor '[^']*exp_avg_sq' holds inf at index 0" "$T/err" ||
  { cat "$T/err"; fail "train --resume does not refuse infinite optimizer state by name"; }
"$DIEN" train --out "$T/inf" --resume --epochs 2 --allow-nonfinite-weights > "$T/out" 2> "$T/err" ||
  { cat "$T/err"; fail "train --resume --allow-nonfinite-weights failed"; }
grep -q "^epoch 2/2" "$T/out" || fail "the resume with --allow-nonfinite-weights did not train epoch 2"
grep -q "allow-nonfinite" "$T/inf/run.json" && fail "--allow-nonfinite-weights was recorded in run.json"
must_fail "$DIEN" train "${tiny[@]}" --out "$T/x" --allow-nonfinite-weights
grep -q -- "--resume" "$T/err" || { cat "$T/err"; fail "--allow-nonfinite-weights without --resume was not refused"; }

echo "== 4. a checkpoint without a manifest: loads, one warning"
cp -r "$T/m" "$T/old"
rm "$T/old/best/manifest.json"
"$DIEN" info "$T/old" > "$T/info" 2> "$T/err" || { cat "$T/err"; fail "info refused a checkpoint without a manifest"; }
grep -q "^integrity   no manifest.json (saved by an older dien): files not verified" "$T/info" ||
  { cat "$T/info"; fail "info does not say that nothing was verified"; }
"$DIEN" predict "$T/old" --out "$T/p2.txt" 2> "$T/err" || { cat "$T/err"; fail "predict refused an old checkpoint"; }
cmp -s "$T/p0.txt" "$T/p2.txt" || fail "the old checkpoint predicts differently"
[ "$(grep -c "^dien: warning: .*old/best: no manifest.json" "$T/err")" -eq 1 ] && [ "$(grep -c warning "$T/err")" -eq 1 ] ||
  { cat "$T/err"; fail "predict on an old checkpoint did not warn exactly once"; }

echo "== 5. a manifest from a newer dien"
cp -r "$T/m" "$T/future"
sed -i 's/"version": 1/"version": 2/' "$T/future/best/manifest.json"
must_fail "$DIEN" predict "$T/future"
grep -q "manifest.json: format version 2 is not one this dien reads" "$T/err" ||
  { cat "$T/err"; fail "a manifest from the future is not refused"; }

finish
echo "checkpoint hardening checks passed"
