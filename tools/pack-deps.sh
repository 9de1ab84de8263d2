#!/usr/bin/env bash
# Copies the third-party headers the build needs (Eigen, nlohmann-json, CLI11, Catch2 v2 and
# its CMake scripts, zlib's headers and shared library; DeepCTR-Torch where installed) from this
# machine into .deps/ (git-ignored), so that a machine without those Debian packages (the GPU
# machine) can build:
# cmake/dien_deps.cmake and tests/CMakeLists.txt fall back to .deps/ when the system has none.
#   tools/pack-deps.sh            # then carry ".deps" to the other machine
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh >/dev/null
rm -rf .deps
mkdir -p .deps/include .deps/cmake
cp -r /usr/include/eigen3 .deps/include/eigen3
cp -r /usr/include/nlohmann .deps/include/nlohmann
cp -r /usr/include/CLI .deps/include/CLI
cp -r /usr/include/catch2 .deps/include/catch2
mkdir -p .deps/lib
cp /usr/include/zlib.h "$(dpkg -L zlib1g-dev | grep '/zconf\.h$' | head -1)" .deps/include/
cp -L "$(dpkg -L zlib1g-dev | grep '/libz\.so$' | head -1)" .deps/lib/libz.so
catch_cmake=$(dirname "$(dpkg -L catch2 | grep '/Catch.cmake$' | head -1)")
cp "$catch_cmake"/Catch.cmake "$catch_cmake"/CatchAddTests.cmake .deps/cmake/
# DeepCTR-Torch (pure Python), the peer of bench_train on the GPU machine, which has PyTorch but
# no package registry: copied when this machine's Python has it (tools/gpu-check.sh puts
# .deps/python on PYTHONPATH).
ctr=$(/usr/bin/python3 -c 'import os, deepctr_torch; print(os.path.dirname(deepctr_torch.__file__))' 2>/dev/null || true)
if [ -n "$ctr" ]; then
  mkdir -p .deps/python
  cp -r "$ctr" .deps/python/deepctr_torch
fi
echo "pack-deps: $(du -sh .deps | cut -f1) in .deps/"
