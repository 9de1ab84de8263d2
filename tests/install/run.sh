#!/usr/bin/env bash
# Install-and-consume test (ctest "install: ..."): installs the build into a temporary prefix,
# trains a tiny model with the dien command, and checks that
#   (a) a C99 program compiled as C through pkg-config (libdien.so, the C API only), and
#   (b) a CMake project through find_package(dien CONFIG) (C API via dien::dien, C++ API via
#       dien::dien_static)
# score the test file exactly as `dien predict` does (to the 6 decimals it prints).
# Also: libdien.so exports only dien_* symbols and has a SONAME; dien.pc's version is the library's.
# usage: run.sh BUILD_DIR SOURCE_DIR DIEN_CLI
set -euo pipefail
build=$1 src=$2 cli=$3
for tool in pkg-config cc readelf nm; do
  command -v "$tool" > /dev/null || { echo "skipped: $tool not found (tools/install-deps.sh installs it)"; exit 77; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/dien-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
step() { echo "== $*"; }

step "cmake --install into $prefix"
cmake --install "$build" --prefix "$prefix" > "$work/install.log"
test -f "$prefix/include/dien/dien.h"
pc=$(find "$prefix" -name dien.pc | head -1)
so=$(find "$prefix" -name 'libdien.so.*.*' | head -1)
libdir=$(dirname "$so")
test -n "$pc" && test -n "$so" && test -f "$libdir/libdien.a"
test -f "$libdir/cmake/dien/dienConfig.cmake" && test -f "$libdir/cmake/dien/dienConfigVersion.cmake"

step "libdien.so: SONAME and exported symbols"
readelf -d "$so" | grep -q 'SONAME.*libdien\.so\.[0-9]'
others=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TtWwVvDdBbRr]$/ && $3 !~ /^dien_/ {print $3}' | grep -v '^DIEN_' || true)
if [ -n "$others" ]; then echo "libdien.so exports more than the C API:"; echo "$others" | head; exit 1; fi

step "a tiny model and dien predict"
(cd "$work" &&
 "$cli" gen-data --out train.txt --test-out test.txt --users 120 --items 60 --categories 6 --samples-per-user 4 \
   --maxlen 12 > /dev/null &&
 "$cli" train --data train.txt --val test.txt --epochs 1 --embedding-dim 4 --dnn-hidden-units 16 8 \
   --att-hidden-units 8 4 --maxlen 12 --exclude user_id --out model > /dev/null 2>&1 &&
 "$cli" predict model --data test.txt --out want.txt 2> /dev/null)

same() {  # file file: equal line by line to 2e-6 (both print %.6f)
  awk -v a="$1" -v b="$2" 'BEGIN {
    n = 0; while ((getline x < a) > 0) { if ((getline y < b) <= 0) { print "fewer lines in " b; exit 1 }
      d = x - y; if (d < 0) d = -d; if (d > 2e-6) { print "line " n + 1 ": " x " vs " y; exit 1 } n++ }
    if ((getline y < b) > 0) { print "more lines in " b; exit 1 }
    if (n == 0) { print "no predictions"; exit 1 } }'
}

step "(a) C99 through pkg-config"
export PKG_CONFIG_PATH=$(dirname "$pc")
test "$(pkg-config --modversion dien)" = "$(sed -n 's/^Version: //p' "$pc")"
cc=${CC:-cc}
# shellcheck disable=SC2046
"$cc" -std=c99 -Wall -Wextra -pedantic -o "$work/score_c" "$src/examples/embed/score_file.c" \
  $(pkg-config --cflags --libs dien)
LD_LIBRARY_PATH=$libdir "$work/score_c" "$work/model" "$work/test.txt" > "$work/got_c.txt"
same "$work/want.txt" "$work/got_c.txt"
echo "C consumer: $(wc -l < "$work/got_c.txt") predictions equal to dien predict's"

step "(b) CMake project through find_package(dien CONFIG)"
cmake -S "$src/tests/install/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
  -DDIEN_SOURCE_DIR="$src" -DCMAKE_BUILD_TYPE=Release > "$work/consumer.log" || { cat "$work/consumer.log"; exit 1; }
cmake --build "$work/consumer" -j2 > "$work/consumer-build.log" || { cat "$work/consumer-build.log"; exit 1; }
"$work/consumer/score_c" "$work/model" "$work/test.txt" > "$work/got_cmake_c.txt"
same "$work/want.txt" "$work/got_cmake_c.txt"
"$work/consumer/score_cpp" "$work/model" "$work/test.txt" 2 > "$work/got_cmake_cpp.txt"
same "$work/want.txt" "$work/got_cmake_cpp.txt"
"$work/consumer/quickstart_c" "$work/model" 3,7,11 1,2,3 5,9 2,4 > "$work/quickstart.txt"
test "$(wc -l < "$work/quickstart.txt")" -eq 2
echo "CMake consumer: C and C++ predictions equal to dien predict's; quickstart scored 2 candidates"
echo "install test passed"
