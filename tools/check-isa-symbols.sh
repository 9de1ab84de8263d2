#!/usr/bin/env bash
# The per-instruction-set objects (kernels/cpu/isa/*_avx2.cpp, *_avx512.cpp) are compiled with
# -mavx2 / -mavx512f. If one of them defined a weak (vague-linkage) symbol that another object
# also defines — an inline function or template instantiation of a shared header — the linker
# could keep the AVX copy for every caller, and a CPU without AVX would crash in code that never
# asked for it. So these objects may define only: their own tables and entry points (strong
# symbols in dien::isa::<isa>), anything with internal linkage, Eigen renamed to a namespace of
# its own (dien_eigen_<isa>, kernels/cpu/isa/eigen_gemm.inc: every symbol whose mangled name
# holds it), and the EH personality reference.
# Usage: tools/check-isa-symbols.sh BUILD_DIR. Run by ctest ("isa-symbols").
set -euo pipefail
build=${1:?usage: check-isa-symbols.sh BUILD_DIR}
command -v nm >/dev/null || { echo "isa-symbols: nm not found, skipped"; exit 77; }
mapfile -t objs < <(find "$build" -path '*dien_objects.dir/kernels/cpu/isa/*' -name '*_avx*.o' | sort)
if [ "${#objs[@]}" -eq 0 ]; then echo "isa-symbols: no per-ISA objects in $build (not x86-64?), skipped"; exit 77; fi
bad=0
for o in "${objs[@]}"; do
  while IFS= read -r line; do
    echo "isa-symbols: $(basename "$o") defines the weak symbol: $line"
    bad=1
  done < <(nm --defined-only "$o" | awk '$2 ~ /^[WVuvw]$/ {print $3}' |
             grep -v -E 'dien_eigen_avx(2|512)|^DW\.ref\.__gxx_personality_v0$' | c++filt || true)
done
[ "$bad" -eq 0 ] && echo "isa-symbols: ${#objs[@]} objects, no weak symbol shared with generic code"
exit "$bad"
