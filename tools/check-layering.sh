#!/usr/bin/env bash
# The library's folders form layers; a folder may include only its own and lower layers:
#   core, kernels < autograd < optim < data < layers < models < serve < capi
# (core and kernels are one layer: tensors dispatch to the kernel backends, which take tensors).
# Prints every include that runs upwards and exits 1 if there is one. Run by ctest ("layering").
set -euo pipefail
cd "$(dirname "$0")/.."
rank() {
  case $1 in
    core|kernels) echo 0 ;; autograd) echo 1 ;; optim) echo 2 ;; data) echo 3 ;;
    layers) echo 4 ;; models) echo 5 ;; serve) echo 6 ;; capi) echo 7 ;; *) echo -1 ;;
  esac
}
bad=0
for dir in core kernels autograd optim data layers models serve capi; do
  [ -d "$dir" ] || continue
  r=$(rank "$dir")
  while IFS= read -r line; do
    file=${line%%:*}
    inc=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$line")
    top=${inc%%/*}
    tr=$(rank "$top")
    if [ "$tr" -gt "$r" ]; then
      echo "layering: $file includes \"$inc\" ($top is above $dir)"
      bad=1
    fi
  done < <(grep -rn --include='*.h' --include='*.cpp' --include='*.cu' --include='*.cuh' --include='*.inc' \
             '^[[:space:]]*#[[:space:]]*include "' "$dir" || true)
done
if [ "$bad" -eq 0 ]; then echo "layering: no include runs upwards"; fi
exit "$bad"
