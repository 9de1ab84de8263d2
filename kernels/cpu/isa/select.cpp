// SPDX-License-Identifier: MIT
// Run-time choice of the vector kernels' instruction set (kernels/cpu/isa/kernels.h).
#include "kernels/cpu/isa/kernels.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "core/error.h"

namespace dien::isa {

namespace generic {
extern const Kernels table;
}
#if DIEN_ISA_X86
namespace avx2 {
extern const Kernels table;
}
namespace avx512 {
extern const Kernels table;
}
#endif

namespace {

bool cpu_has(const char* isa) {
#if DIEN_ISA_X86
  __builtin_cpu_init();
  if (std::strcmp(isa, "avx512") == 0)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("fma");
  if (std::strcmp(isa, "avx2") == 0) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return std::strcmp(isa, "generic") == 0;
}

const Kernels* table_of(const char* isa) {
#if DIEN_ISA_X86
  if (std::strcmp(isa, "avx512") == 0) return &avx512::table;
  if (std::strcmp(isa, "avx2") == 0) return &avx2::table;
#endif
  if (std::strcmp(isa, "generic") == 0) return &generic::table;
  return nullptr;
}

constexpr const char* kBestFirst[] = {"avx512", "avx2", "generic"};

}  // namespace

int available_isas(const char** out, int capacity) {
  int n = 0;
  for (const char* isa : kBestFirst)
    if (table_of(isa) && cpu_has(isa)) {
      if (n < capacity) out[n] = isa;
      ++n;
    }
  return n;
}

const Kernels& select_kernels(const char* isa) {
  std::string want = isa ? isa : "auto";
  if (want == "auto") {
    const char* env = std::getenv("DIEN_ISA");
    if (env && *env) want = env;
  }
  if (want == "auto") {
    for (const char* c : kBestFirst)
      if (table_of(c) && cpu_has(c)) return *table_of(c);
  }
  const Kernels* t = table_of(want.c_str());
  if (!t) fail("vector kernels", "unknown or not compiled instruction set '", want, "' (expected auto, avx512, avx2 or generic)");
  if (!cpu_has(want.c_str())) fail("vector kernels", "this CPU does not support the instruction set '", want, "'");
  return *t;
}

}  // namespace dien::isa
