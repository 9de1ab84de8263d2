#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs the CUDA parity tests (tests/cuda) with the CUDA kernels emulated on the host, for machines
# without a GPU. Each kernels/cuda/*.cu (except device/memory/caching_allocator.cu, replaced by
# emu_stubs.cpp: "device" memory is host memory, NaN-poisoned as in the real tests) is turned
# into C++ by prep.py and compiled with emu_shim.h, where every CUDA thread is a cooperative
# fiber (__syncthreads and warp shuffles/votes are barriers; a barrier that some thread of the
# block or warp never reaches hangs, so use a timeout), blocks run one after another (a 1-D grid
# capped at EMU_BLOCKS when set: grid-stride loops cover the rest; 2-D and 3-D grids, the tilings
# of column_sum.cuh, always run whole), and cuBLAS gemm is a
# naive column-major reference with cuBLAS's leading-dimension checks.
#
# What it checks: indexing, broadcasting, tiling, reductions, barrier/shuffle placement, the
# row-major <-> cuBLAS argument mapping. What it cannot: device math precision (expf etc.), FMA
# contraction, launch limits, memory-model races, performance, or anything the real cuBLAS does
# differently from its documentation. Dynamic shared memory is one NaN-poisoned buffer per block;
# CUB's radix sort is a host stable sort. Not supported: cooperative groups, atomics other than
# atomicAdd, streams and events (one queue, run at once).
#
#   tools/cuda_emu/run.sh BUILD_DIR [catch test spec...]
# BUILD_DIR must hold a CUDA build (DIEN_CUDA=ON) of this tree with dien and dien_tests_cuda
# built. Test specs default to every test except the allocator/device ones, which need the
# real allocator.
set -euo pipefail
B=$(cd "$1" && pwd); shift
SRC=$(cd "$(dirname "$0")/../.." && pwd)
E=$(cd "$(dirname "$0")" && pwd)
O=$B/cuda_emu
mkdir -p "$O"
# Headers with kernel launches (kernels/cuda/*.cuh) are converted too, into $O/inc, searched first.
mkdir -p "$O/inc/kernels/cuda"
for h in "$SRC"/kernels/cuda/*.cuh; do python3 "$E/prep.py" "$h" "$O/inc/kernels/cuda/$(basename "$h")"; done
FLAGS="-O2 -std=c++20 -w -DDIEN_WITH_CUDA=1 -DDIEN_WITH_OPENMP=1 -I$O/inc -I$SRC -isystem /usr/local/cuda/include -include $E/emu_shim.h"
objs=()
for cu in "$SRC"/kernels/cuda/*.cu; do
  name=$(basename "$cu" .cu)
  case $name in device|memory|caching_allocator) continue ;; esac
  python3 "$E/prep.py" "$cu" "$O/$name.cpp"
  g++ $FLAGS -c "$O/$name.cpp" -o "$O/$name.o"
  objs+=("$O/$name.o")
done
g++ $FLAGS -c "$E/emu_stubs.cpp" -o "$O/emu_stubs.o"
# The library's objects (dien_objects: the static and shared libraries' common objects) without
# the CUDA ones, the kernel lab (test_lab_parity), the CUDA tests and their main.
mapfile -t lib < <(find "$B/CMakeFiles/dien_objects.dir" -name '*.o' | grep -v '/kernels/cuda/')
g++ -o "$O/dien_tests_cuda_emu" "${objs[@]}" "$O/emu_stubs.o" "${lib[@]}" \
  "$B"/tests/CMakeFiles/dien_tests_cuda.dir/cuda/*.o "$B/tests/CMakeFiles/dien_tests_cuda.dir/mains/cuda_main.cpp.o" \
  "$B/libdien_kernel_lab.a" "$B/tests/libdien_test_support.a" -fopenmp -lpthread -lz
if [ $# -eq 0 ]; then set -- "~[device]~[allocator]"; fi
# Whole grids unless EMU_BLOCKS says otherwise: the scans' kernels give each block a group of rows
# for the whole recurrence (not a grid-stride loop), so they need every block. EMU_BLOCKS=2 runs
# the grid-stride loops of the other kernels with fewer blocks than they asked for.
export EMU_BLOCKS=${EMU_BLOCKS:-0}
exec "$O/dien_tests_cuda_emu" "$@"
