// SPDX-License-Identifier: MIT
// float64 central-difference gradchecks (max rel error < 1e-6) of matmul (all transpose flags,
// 2-D, batched, 3-D x 2-D), linear (with/without bias, 2-D/3-D x), the shape ops and
// softmax/masked_softmax (fully masked and mixed rows). Shapes stay small: the Jacobian is full.
#include "support/test_util.h"

using namespace dien;

namespace {

Tensor leaf(const Shape& s, Generator& g, double lo = -1.0, double hi = 1.0) {
  return test::rand_tensor(s, g, DType::F64, lo, hi).set_requires_grad();
}

Shape mat(int64_t batch, int64_t r, int64_t c) { return batch ? Shape{batch, r, c} : Shape{r, c}; }

// Weighted sum of the outputs of a multi-output op, so that every piece gets a distinct gradient.
Tensor weighted(const TensorList& parts) {
  Tensor acc;
  for (size_t i = 0; i < parts.size(); ++i) {
    Tensor p = mul(parts[i], static_cast<double>(i + 1));
    Tensor flat = p.reshape({-1});
    acc = acc.defined() ? concat({acc, flat}, 0) : flat;
  }
  return acc;
}

}  // namespace

TEST_CASE("gradcheck: matmul, every transpose, 2-D / batched / 3-D x 2-D", "[matmul][gradcheck]") {
  bool ta = GENERATE(false, true), tb = GENERATE(false, true);
  auto [ba, bb] = GENERATE(std::pair<int64_t, int64_t>{0, 0}, std::pair<int64_t, int64_t>{2, 2},
                           std::pair<int64_t, int64_t>{1, 1}, std::pair<int64_t, int64_t>{2, 0});
  Generator g(41);
  struct D { int64_t M, N, K; };
  for (D d : {D{2, 3, 4}, D{1, 3, 1}, D{3, 1, 2}}) {
    INFO("M=" << d.M << " N=" << d.N << " K=" << d.K << " ta=" << ta << " tb=" << tb << " batch " << ba << "/" << bb);
    Tensor a = leaf(ta ? mat(ba, d.K, d.M) : mat(ba, d.M, d.K), g);
    Tensor b = leaf(tb ? mat(bb, d.N, d.K) : mat(bb, d.K, d.N), g);
    auto f = [ta, tb](const TensorList& in) { return matmul(in[0], in[1], ta, tb); };
    REQUIRE_GRADCHECK(f, {a, b});
  }
  // Only one operand requiring grad.
  Tensor a = leaf(ta ? Shape{3, 2} : Shape{2, 3}, g), b = test::rand_tensor({3, 3}, g);
  auto fa = [b, ta, tb](const TensorList& in) { return matmul(in[0], b, ta, tb); };
  REQUIRE_GRADCHECK(fa, {a});
  auto fb = [a, ta, tb](const TensorList& in) { return matmul(a.detach(), in[0], ta, tb); };
  REQUIRE_GRADCHECK(fb, {leaf({3, 3}, g)});
}

TEST_CASE("gradcheck: linear with and without bias, 2-D and 3-D x", "[matmul][gradcheck]") {
  bool with_bias = GENERATE(true, false);
  Generator g(42);
  for (const Shape& xs : std::vector<Shape>{{3, 4}, {1, 1}, {2, 3, 4}, {1, 2, 1}}) {
    for (int64_t H : {1, 3}) {
      INFO("x " << xs.str() << " H=" << H << " bias=" << with_bias);
      Tensor x = leaf(xs, g), w = leaf({H, xs.back()}, g);
      Tensor b = with_bias ? leaf({H}, g) : Tensor();
      auto f = [](const TensorList& in) { return linear(in[0], in[1], in[2]); };
      REQUIRE_GRADCHECK(f, {x, w, b});
    }
  }
}

TEST_CASE("gradcheck: transpose and reshape", "[shape][gradcheck]") {
  Generator g(43);
  for (const Shape& s : std::vector<Shape>{{2, 3}, {1, 4}, {2, 1, 3}, {2, 2, 1, 3}}) {
    INFO(s.str());
    Tensor x = leaf(s, g);
    auto t = [](const TensorList& in) { return transpose(in[0]); };
    REQUIRE_GRADCHECK(t, {x});
    auto r = [](const TensorList& in) { return reshape(in[0], {-1, 1}); };
    REQUIRE_GRADCHECK(r, {x});
  }
}

TEST_CASE("gradcheck: concat along every dim", "[shape][gradcheck]") {
  Generator g(44);
  for (const Shape& s : std::vector<Shape>{{3}, {2, 3}, {1, 2, 1}, {2, 1, 2}}) {
    for (int d = 0; d < s.size(); ++d) {
      INFO(s.str() << " dim=" << d);
      Shape s1 = s, s2 = s;
      s1[d] = 1;
      s2[d] = 2;
      Tensor a = leaf(s, g), b = leaf(s1, g), c = leaf(s2, g);
      const int neg = d - s.size();
      auto f = [neg](const TensorList& in) { return concat(in, neg); };  // negative dims as well
      REQUIRE_GRADCHECK(f, {a, b, c});
      auto f2 = [d](const TensorList& in) { return concat(in, d); };
      REQUIRE_GRADCHECK(f2, {a, b, c});
      // One input that needs no gradient.
      Tensor fixed = test::rand_tensor(s1, g);
      auto f3 = [d, fixed](const TensorList& in) { return concat({in[0], fixed, in[1]}, d); };
      REQUIRE_GRADCHECK(f3, {a, c});
    }
  }
}

TEST_CASE("gradcheck: slice, split, chunk", "[shape][gradcheck]") {
  Generator g(45);
  for (const Shape& s : std::vector<Shape>{{5}, {3, 4}, {1, 5, 1}, {2, 3, 2}}) {
    for (int d = 0; d < s.size(); ++d) {
      INFO(s.str() << " dim=" << d);
      const int64_t n = s[d];
      Tensor x = leaf(s, g);
      auto sl = [d, n](const TensorList& in) { return slice(in[0], d, n / 3, n - n / 4); };
      REQUIRE_GRADCHECK(sl, {x});
      auto sl_end = [d, n](const TensorList& in) { return slice(in[0], d, n - 1, n); };
      REQUIRE_GRADCHECK(sl_end, {x});
      auto sp = [d, n](const TensorList& in) {
        return weighted(split(in[0], n > 1 ? std::vector<int64_t>{n - 1, 1} : std::vector<int64_t>{1}, d));
      };
      REQUIRE_GRADCHECK(sp, {x});
      // Only one piece of the split used: the engine supplies zeros for the others.
      auto sp_one = [d, n](const TensorList& in) {
        return split(in[0], n > 1 ? std::vector<int64_t>{1, n - 1} : std::vector<int64_t>{1}, d).back();
      };
      REQUIRE_GRADCHECK(sp_one, {x});
      auto ch = [d](const TensorList& in) { return weighted(chunk(in[0], 2, d)); };
      REQUIRE_GRADCHECK(ch, {x});
    }
  }
}

TEST_CASE("gradcheck: unsqueeze and squeeze", "[shape][gradcheck]") {
  Generator g(46);
  Tensor x = leaf({2, 1, 3}, g);
  auto u = [](const TensorList& in) { return mul(unsqueeze(in[0], -1), 2.0); };
  REQUIRE_GRADCHECK(u, {x});
  auto s = [](const TensorList& in) { return mul(squeeze(in[0], 1), 2.0); };
  REQUIRE_GRADCHECK(s, {x});
  auto s_noop = [](const TensorList& in) { return mul(squeeze(in[0], 0), 2.0); };
  REQUIRE_GRADCHECK(s_noop, {x});
}

TEST_CASE("gradcheck: softmax", "[softmax][gradcheck]") {
  Generator g(47);
  for (const Shape& s : std::vector<Shape>{{1}, {4}, {3, 1}, {2, 5}, {2, 1, 3}}) {
    INFO(s.str());
    Tensor x = leaf(s, g, -2, 2);
    auto f = [](const TensorList& in) { return softmax(in[0]); };
    REQUIRE_GRADCHECK(f, {x});
    // Through a weighted sum as well, so that the output gradient is not one-hot.
    Tensor w = test::rand_tensor(s, g, DType::F64, -2, 2);
    auto fw = [w](const TensorList& in) { return sum(mul(softmax(in[0]), w)); };
    REQUIRE_GRADCHECK(fw, {x});
  }
}

TEST_CASE("gradcheck: masked_softmax with fully masked and mixed rows", "[softmax][gradcheck]") {
  DType mdt = GENERATE(DType::F64, DType::I32);
  Generator g(48);
  // Rows: fully masked, all valid, prefix of length 2, scattered, single valid entry.
  Tensor m5 = from_vector<double>({0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0}, {5, 4}).to(mdt);
  Tensor x5 = leaf({5, 4}, g, -2, 2);
  auto f = [m5](const TensorList& in) { return masked_softmax(in[0], m5); };
  REQUIRE_GRADCHECK(f, {x5});
  // 3-D with a size-1 dim; mask rows of lengths 0, 3, 1.
  Tensor m3 = from_vector<double>({0, 0, 0, 1, 1, 1, 1, 0, 0}, {3, 1, 3}).to(mdt);
  Tensor x3 = leaf({3, 1, 3}, g, -2, 2);
  auto f3 = [m3](const TensorList& in) { return masked_softmax(in[0], m3); };
  REQUIRE_GRADCHECK(f3, {x3});
  // Fully masked everywhere: zero output and zero gradient.
  Tensor m0 = zeros({2, 3}, mdt);
  Tensor x0 = leaf({2, 3}, g);
  auto f0 = [m0](const TensorList& in) { return masked_softmax(in[0], m0); };
  REQUIRE_GRADCHECK(f0, {x0});
  Tensor w = test::rand_tensor({5, 4}, g);
  sum(mul(masked_softmax(x5, m5), w)).backward();
  auto gx = test::values(x5.grad());
  for (int j = 0; j < 4; ++j) REQUIRE(gx[j] == 0.0);  // the fully masked row
  REQUIRE(gx[4 * 2 + 2] == 0.0);                       // a masked entry of a valid row
}
