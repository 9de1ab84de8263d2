// SPDX-License-Identifier: MIT
// Shape ops against naive index loops in this file: the copy_band and transpose_last2 kernels
// (overwrite and accumulate), transpose, concat, slice, split, chunk (torch.chunk sizes),
// reshape, unsqueeze/squeeze, and the error messages of misuse.
#include "kernels/dispatch.h"
#include "support/test_util.h"

using namespace dien;
using dien::test::values;

namespace {

// Row-major (outer, along, inner) view of shape s around dim d.
struct Split3 {
  int64_t outer = 1, along = 1, inner = 1;
};
Split3 split3(const Shape& s, int d) {
  Split3 r;
  for (int i = 0; i < s.size(); ++i) {
    if (i < d) r.outer *= s[i];
    else if (i == d) r.along = s[i];
    else r.inner *= s[i];
  }
  return r;
}

// Naive concat of host values along d.
std::vector<double> naive_concat(const TensorList& xs, int d) {
  std::vector<double> out;
  const int64_t outer = split3(xs[0].shape(), d).outer;
  std::vector<std::vector<double>> v;
  for (const auto& x : xs) v.push_back(values(x));
  for (int64_t o = 0; o < outer; ++o)
    for (size_t i = 0; i < xs.size(); ++i) {
      Split3 p = split3(xs[i].shape(), d);
      for (int64_t j = 0; j < p.along; ++j)
        for (int64_t k = 0; k < p.inner; ++k) out.push_back(v[i][(o * p.along + j) * p.inner + k]);
    }
  return out;
}

// Naive x[..., start:end, ...] along d.
std::vector<double> naive_slice(const Tensor& x, int d, int64_t start, int64_t end) {
  auto v = values(x);
  Split3 p = split3(x.shape(), d);
  std::vector<double> out;
  for (int64_t o = 0; o < p.outer; ++o)
    for (int64_t j = start; j < end; ++j)
      for (int64_t k = 0; k < p.inner; ++k) out.push_back(v[(o * p.along + j) * p.inner + k]);
  return out;
}

const std::vector<Shape> kShapes = {{1}, {7}, {65}, {1, 1}, {7, 33}, {33, 1}, {1, 7, 1}, {3, 7, 5}, {2, 1, 3, 65}};

}  // namespace

TEST_CASE("copy_band: overwrite touches only the band, accumulate adds into it", "[shape][cpu]") {
  DType dt = GENERATE(DType::F32, DType::F64, DType::I32, DType::I64);
  double beta = GENERATE(0.0, 1.0);
  Generator g(21);
  const Shape ss{3, 7, 5}, ds{3, 9, 5};
  for (int dim = 0; dim < 3; ++dim) {
    Shape s = ss, d = ss;
    d[dim] = ds[dim];
    const int64_t len = std::min<int64_t>(s[dim], 2), src_start = s[dim] - len, dst_start = d[dim] > 1 ? 1 : 0;
    INFO(dtype_name(dt) << " dim=" << dim << " beta=" << beta);
    Tensor src = test::rand_tensor(s, g, DType::F64, -9, 9).to(dt);  // integers: truncated, mostly nonzero
    Tensor dst = test::rand_tensor(d, g, DType::F64, -9, 9).to(dt);
    auto sv = values(src), dv = values(dst);
    backend_for(Device::cpu()).copy_band(src, src_start, dst, dst_start, dim, len, beta);
    Split3 ps = split3(s, dim), pd = split3(d, dim);
    std::vector<double> ref = dv;
    for (int64_t o = 0; o < ps.outer; ++o)
      for (int64_t j = 0; j < len; ++j)
        for (int64_t k = 0; k < ps.inner; ++k) {
          double& r = ref[(o * pd.along + dst_start + j) * pd.inner + k];
          r = beta * r + sv[(o * ps.along + src_start + j) * ps.inner + k];
        }
    // Overwrites and integer sums are exact; float accumulation rounds once.
    REQUIRE_CLOSE(dst, ref, beta != 0 && dt == DType::F32 ? 1e-6 : 0.0, 0);
  }
}

TEST_CASE("transpose: swaps the last two dims like naive loops (kernel and op)", "[shape][cpu]") {
  DType dt = GENERATE(DType::F32, DType::F64, DType::I64);
  Generator g(22);
  for (const Shape& s : std::vector<Shape>{{1, 1}, {7, 33}, {65, 1}, {1, 7}, {3, 7, 5}, {2, 1, 33, 7}}) {
    INFO(dtype_name(dt) << " " << s.str());
    Tensor x = test::rand_tensor(s, g, DType::F64, -50, 50).to(dt);
    Tensor y = transpose(x);
    const int64_t M = s[s.size() - 2], N = s[s.size() - 1], B = s.numel() / (M * N);
    std::vector<int64_t> want = s.vec();
    std::swap(want[want.size() - 1], want[want.size() - 2]);
    REQUIRE(y.shape() == Shape(want));
    auto xv = values(x);
    std::vector<double> ref(xv.size());
    for (int64_t b = 0; b < B; ++b)
      for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) ref[b * M * N + n * M + m] = xv[b * M * N + m * N + n];
    REQUIRE_CLOSE(y, ref, 0, 0);
  }
}

TEST_CASE("concat: matches naive loops along every dim, negative dims too", "[shape][cpu]") {
  DType dt = GENERATE(DType::F32, DType::F64, DType::I32);
  bool negative_dim = GENERATE(false, true);
  Generator g(23);
  for (const Shape& s : kShapes) {
    for (int d = 0; d < s.size(); ++d) {
      // Three inputs with sizes 1, s[d] and 2 along d (odd sizes, size-1 bands).
      TensorList xs;
      for (int64_t n : {int64_t{1}, s[d], int64_t{2}}) {
        Shape si = s;
        si[d] = n;
        xs.push_back(test::rand_tensor(si, g, DType::F64, -50, 50).to(dt));
      }
      int dim = negative_dim ? d - s.size() : d;
      INFO(dtype_name(dt) << " " << s.str() << " dim=" << dim);
      Tensor y = concat(xs, dim);
      Shape want = s;
      want[d] = 1 + s[d] + 2;
      REQUIRE(y.shape() == want);
      REQUIRE_CLOSE(y, naive_concat(xs, d), 0, 0);  // pure copies are exact
    }
  }
  Tensor one = test::rand_tensor({3, 4}, g);
  REQUIRE_CLOSE(concat({one}, 1), values(one), 0, 0);
}

TEST_CASE("slice / split / chunk: pieces match naive loops", "[shape][cpu]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(24);
  for (const Shape& s : kShapes) {
    for (int d = 0; d < s.size(); ++d) {
      INFO(dtype_name(dt) << " " << s.str() << " dim=" << d);
      Tensor x = test::rand_tensor(s, g, dt);
      const int64_t n = s[d];
      // slice: full range, a middle band, an empty band at the end.
      for (auto [st, en] : std::vector<std::pair<int64_t, int64_t>>{{0, n}, {n / 3, n - n / 3}, {n, n}}) {
        Tensor y = slice(x, d - s.size(), st, en);
        REQUIRE(y.size(d) == en - st);
        REQUIRE_CLOSE(y, naive_slice(x, d, st, en), 0, 0);
      }
      // split into (1, n-1) when possible, else (n).
      std::vector<int64_t> sizes = n > 1 ? std::vector<int64_t>{1, n - 1} : std::vector<int64_t>{n};
      TensorList parts = split(x, sizes, d);
      REQUIRE(parts.size() == sizes.size());
      for (size_t i = 0, at = 0; i < parts.size(); at += sizes[i], ++i)
        REQUIRE_CLOSE(parts[i], naive_slice(x, d, at, at + sizes[i]), 0, 0);
      // chunk(3): torch sizes ceil(n/3), ..., remainder.
      TensorList ch = chunk(x, 3, d);
      int64_t step = (n + 2) / 3, at = 0;
      for (const Tensor& c : ch) {
        int64_t len = std::min(step, n - at);
        REQUIRE(c.size(d) == len);
        REQUIRE_CLOSE(c, naive_slice(x, d, at, at + len), 0, 0);
        at += len;
      }
      REQUIRE(at == n);
    }
  }
}

TEST_CASE("concat / slice / transpose: large tensors (the threaded paths) match naive loops", "[shape][cpu]") {
  Generator g(28);
  Tensor a = test::rand_tensor({300, 129}, g), b = test::rand_tensor({300, 3}, g);  // > 32768 elements per band
  for (int d : {0, 1}) {
    TensorList xs = {a, d == 0 ? test::rand_tensor({5, 129}, g) : b};
    REQUIRE_CLOSE(concat(xs, d), naive_concat(xs, d), 0, 0);
    REQUIRE_CLOSE(slice(a, d, 1, a.size(d) - 2), naive_slice(a, d, 1, a.size(d) - 2), 0, 0);
  }
  Tensor x = test::rand_tensor({4, 129, 65}, g);
  auto xv = values(x);
  std::vector<double> ref(xv.size());
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t m = 0; m < 129; ++m)
      for (int64_t n = 0; n < 65; ++n) ref[(i * 65 + n) * 129 + m] = xv[(i * 129 + m) * 65 + n];
  REQUIRE_CLOSE(transpose(x), ref, 0, 0);
}

TEST_CASE("chunk: torch.chunk piece sizes", "[shape][cpu]") {
  Generator g(25);
  auto sizes = [&](int64_t n, int64_t chunks) {
    std::vector<int64_t> out;
    for (const Tensor& t : chunk(test::rand_tensor({2, n}, g), chunks, 1)) out.push_back(t.size(1));
    return out;
  };
  REQUIRE(sizes(5, 4) == std::vector<int64_t>{2, 2, 1});  // fewer chunks than asked
  REQUIRE(sizes(6, 4) == std::vector<int64_t>{2, 2, 2});
  REQUIRE(sizes(7, 3) == std::vector<int64_t>{3, 3, 1});
  REQUIRE(sizes(6, 3) == std::vector<int64_t>{2, 2, 2});  // exact division
  REQUIRE(sizes(9, 4) == std::vector<int64_t>{3, 3, 3});
  REQUIRE(sizes(1, 3) == std::vector<int64_t>{1});
  REQUIRE(sizes(4, 1) == std::vector<int64_t>{4});
  REQUIRE(sizes(0, 2) == std::vector<int64_t>{0});
}

TEST_CASE("reshape / unsqueeze / squeeze: shapes change, values do not", "[shape][cpu]") {
  Generator g(26);
  Tensor x = test::rand_tensor({3, 1, 5}, g);
  auto xv = values(x);
  REQUIRE(reshape(x, {5, -1}).shape() == Shape({5, 3}));
  REQUIRE_CLOSE(reshape(x, {15}), xv, 0, 0);
  REQUIRE(unsqueeze(x, 0).shape() == Shape({1, 3, 1, 5}));
  REQUIRE(unsqueeze(x, 3).shape() == Shape({3, 1, 5, 1}));
  REQUIRE(unsqueeze(x, -1).shape() == Shape({3, 1, 5, 1}));
  REQUIRE(unsqueeze(x, -4).shape() == Shape({1, 3, 1, 5}));
  REQUIRE_CLOSE(unsqueeze(x, 1), xv, 0, 0);
  REQUIRE(squeeze(x, 1).shape() == Shape({3, 5}));
  REQUIRE(squeeze(x, -2).shape() == Shape({3, 5}));
  REQUIRE_CLOSE(squeeze(x, 1), xv, 0, 0);
  // Like torch: squeezing a dim whose size is not 1 is a no-op.
  REQUIRE(squeeze(x, 0).shape() == Shape({3, 1, 5}));
  REQUIRE(squeeze(x, 2).shape() == Shape({3, 1, 5}));
}

TEST_CASE("shape ops: misuse names the op, the dim/range and the shapes", "[shape][cpu]") {
  Generator g(27);
  auto r = [&](Shape s, DType dt = DType::F32) { return test::rand_tensor(s, g, dt); };
  test::require_error([&] { concat({r({2, 3}), r({3, 3})}, 1); }, {"concat", "[2, 3]", "[3, 3]"});
  test::require_error([&] { concat({r({2, 3}), r({2, 3, 1})}, 0); }, {"concat", "[2, 3]", "[2, 3, 1]"});
  test::require_error([&] { concat({r({2, 3}), r({2, 4}, DType::F64)}, 1); }, {"concat", "dtype", "[2, 3]", "[2, 4]"});
  test::require_error([&] { concat({}, 0); }, {"concat"});
  test::require_error([&] { concat({r({2, 3})}, 2); }, {"concat", "2"});
  test::require_error([&] { slice(r({4, 6}), 1, 2, 7); }, {"slice", "dim 1", "[2, 7)", "[4, 6]"});
  test::require_error([&] { slice(r({4, 6}), 0, 3, 2); }, {"slice", "dim 0", "[3, 2)", "[4, 6]"});
  test::require_error([&] { slice(r({4, 6}), 0, -1, 2); }, {"slice", "[-1, 2)", "[4, 6]"});
  test::require_error([&] { split(r({4, 6}), {2, 3}, 1); }, {"split", "[2, 3]", "5", "[4, 6]"});
  test::require_error([&] { split(r({4, 6}), {7, -1}, 1); }, {"split", "-1", "[4, 6]"});
  test::require_error([&] { chunk(r({4, 6}), 0, 1); }, {"chunk", "[4, 6]"});
  test::require_error([&] { transpose(r({4})); }, {"transpose", "[4]"});
  test::require_error([&] { unsqueeze(r({1, 2, 3, 4}), 0); }, {"unsqueeze", "[1, 2, 3, 4]"});
  test::require_error([&] { unsqueeze(r({2, 3}), 3); }, {"unsqueeze", "3", "[2, 3]"});
  test::require_error([&] { squeeze(r({2, 3}), 2); }, {"squeeze", "[2, 3]"});
}
