// SPDX-License-Identifier: MIT
// Test helpers: random never-zero tensors, poisoning, closeness checks that report the worst
// element, and an error-message matcher.
#pragma once
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "autograd/functions.h"
#include "autograd/gradcheck.h"
#include "core/rng.h"
#include "core/tensor.h"

namespace dien::test {

// Uniform in [lo, hi) with |x| >= min_abs (values closer to 0 are pushed away): never zeros,
// and away from the kinks of relu/prelu/abs when min_abs > eps.
Tensor rand_tensor(const Shape& s, Generator& g, DType dt = DType::F64, double lo = -1.0, double hi = 1.0,
                   double min_abs = 0.05);
// Same values as a host vector of doubles (any dtype).
std::vector<double> values(const Tensor& t);
// A tensor filled with NaN (floating) or a sentinel (integers): kernels must overwrite it.
Tensor poisoned(const Shape& s, DType dt);

// Compares t with `ref` element by element: |a-b| <= atol + rtol*|b|. On failure the message
// names the first bad index, both values and the max abs/rel error.
struct CloseReport {
  bool ok = true;
  std::string msg;
};
CloseReport all_close(const Tensor& t, const std::vector<double>& ref, double rtol, double atol);
CloseReport all_close(const Tensor& a, const Tensor& b, double rtol, double atol);

// REQUIRE_CLOSE(tensor, ref-vector-or-tensor, rtol, atol)
#define REQUIRE_CLOSE(a, b, rtol, atol)                               \
  do {                                                                \
    auto _rep = ::dien::test::all_close((a), (b), (rtol), (atol));    \
    INFO(_rep.msg);                                                   \
    REQUIRE(_rep.ok);                                                 \
  } while (0)

// REQUIRE_GRADCHECK(fn, inputs): float64 gradcheck with max rel error < 1e-6.
#define REQUIRE_GRADCHECK(fn, ...)                                    \
  do {                                                                \
    auto _gc = ::dien::gradcheck((fn), __VA_ARGS__);                  \
    INFO(_gc.summary());                                              \
    REQUIRE(_gc.ok);                                                  \
  } while (0)

// Requires `f()` to throw dien::Error whose message contains every one of `parts`.
void require_error(const std::function<void()>& f, const std::vector<std::string>& parts);

// An empty directory <tmp>/dien_test_<name>_<pid>, emptied first if a killed run left it.
std::string fresh_temp_dir(const std::string& name);

}  // namespace dien::test
