// SPDX-License-Identifier: MIT
// float64 gradchecks (central differences, max rel error < 1e-6) of the nn ops: prelu, dice,
// embedding, dropout, batch_norm, bce, bce_with_logits and mse, at small shapes including
// size-1 dims. Inputs stay away from kinks (prelu at 0) and from the bce clamp.
#include "support/test_util.h"

using namespace dien;
using dien::test::rand_tensor;

namespace {
Tensor param(const Shape& s, Generator& g, double lo = -1.0, double hi = 1.0, double min_abs = 0.05) {
  return rand_tensor(s, g, DType::F64, lo, hi, min_abs).set_requires_grad();
}
}  // namespace

TEST_CASE("gradcheck: prelu w.r.t. x and w", "[activation][gradcheck]") {
  auto dims = GENERATE(values<std::vector<int64_t>>({{1}, {5}, {1, 1}, {3, 4}, {2, 1, 3}}));
  auto shared = GENERATE(false, true);
  Shape s(dims);
  INFO("shape " << s.str() << (shared ? " shared w" : " per-channel w"));
  Generator g(71);
  Tensor x = param(s, g), w = param({shared ? 1 : s.back()}, g, 0.05, 0.5);
  REQUIRE_GRADCHECK([](const TensorList& in) { return prelu(in[0], in[1]); }, {x, w});
}

TEST_CASE("gradcheck: dice w.r.t. x and alpha, training and eval", "[activation][gradcheck]") {
  auto dims = GENERATE(values<std::vector<int64_t>>({{2, 1}, {4, 3}, {1, 3, 2}, {2, 2, 3}}));
  auto training = GENERATE(true, false);
  Shape s(dims);
  const int64_t C = s.back();
  INFO("shape " << s.str() << (training ? " training" : " eval"));
  Generator g(72);
  Tensor x = param(s, g, -2.0, 2.0), alpha = param({C}, g, -0.5, 0.5);
  Tensor rm = rand_tensor({C}, g, DType::F64, -0.3, 0.3), rv = rand_tensor({C}, g, DType::F64, 0.5, 1.5);
  // Running statistics are copied per call so that training-mode updates do not leak between
  // evaluations (they do not affect the training output anyway).
  auto fn = [&](const TensorList& in) {
    Tensor m = rm.clone(), v = rv.clone();
    return dice(in[0], in[1], m, v, training);
  };
  REQUIRE_GRADCHECK(fn, {x, alpha});
}

TEST_CASE("gradcheck: dice with an affine batch norm w.r.t. x, alpha, gamma, beta", "[activation][gradcheck]") {
  auto training = GENERATE(true, false);
  Generator g(74);
  Tensor x = param({3, 2, 3}, g, -2.0, 2.0), alpha = param({3}, g, -0.5, 0.5);
  Tensor gamma = param({3}, g, 0.5, 1.5), beta = param({3}, g, -0.5, 0.5);
  Tensor rm = rand_tensor({3}, g, DType::F64, -0.3, 0.3), rv = rand_tensor({3}, g, DType::F64, 0.5, 1.5);
  auto fn = [&](const TensorList& in) {
    Tensor m = rm.clone(), v = rv.clone();
    return dice(in[0], in[1], in[2], in[3], m, v, training);
  };
  REQUIRE_GRADCHECK(fn, {x, alpha, gamma, beta});
}

TEST_CASE("gradcheck: embedding w.r.t. weight with repeated ids", "[embedding][gradcheck]") {
  auto ids_case = GENERATE(0, 1, 2, 3);
  Generator g(73);
  Tensor w = param({4, 3}, g);
  Tensor ids;
  switch (ids_case) {
    case 0: ids = from_vector<int64_t>({2}, {1}); break;
    case 1: ids = from_vector<int64_t>({1, 3, 1, 1, 0}, {5}); break;
    case 2: ids = from_vector<int32_t>({3, 3, 0, 2, 3, 1}, {2, 3}); break;
    default: ids = from_vector<int32_t>({0, 0}, {1, 2, 1}); break;
  }
  INFO("ids " << ids.str());
  REQUIRE_GRADCHECK([&](const TensorList& in) { return embedding(in[0], ids); }, {w});
  SECTION("a one-wide table") {
    Tensor w1 = param({3, 1}, g);
    Tensor ids1 = from_vector<int64_t>({2, 0, 2}, {3});
    REQUIRE_GRADCHECK([&](const TensorList& in) { return embedding(in[0], ids1); }, {w1});
  }
}

TEST_CASE("gradcheck: dropout with a fixed generator seed", "[dropout][gradcheck]") {
  auto dims = GENERATE(values<std::vector<int64_t>>({{1}, {7}, {3, 5}, {2, 1, 4}}));
  auto p = GENERATE(0.2, 0.6, 1.0);  // 1.0: everything dropped, gradient 0
  Shape s(dims);
  INFO("shape " << s.str() << " p=" << p);
  Generator g(74);
  Tensor x = param(s, g);
  REQUIRE_GRADCHECK(
      [p](const TensorList& in) {
        Generator gen(1234);  // same mask at every evaluation
        return dropout(in[0], p, true, gen);
      },
      {x});
}

TEST_CASE("gradcheck: batch_norm w.r.t. x, gamma and beta", "[batch_norm][gradcheck]") {
  auto nc = GENERATE(values<std::vector<int64_t>>({{2, 1}, {1, 3}, {3, 2}, {5, 3}}));
  auto training = GENERATE(true, false);
  auto affine = GENERATE(true, false);
  const int64_t N = nc[0], C = nc[1];
  if (training && N == 1) return;  // an error in training mode
  INFO("[" << N << ", " << C << "]" << (training ? " training" : " eval") << (affine ? " affine" : " no affine"));
  Generator g(75);
  Tensor x = param({N, C}, g, -2.0, 2.0);
  Tensor gamma = affine ? param({C}, g, 0.5, 1.5) : Tensor(), beta = affine ? param({C}, g) : Tensor();
  Tensor rm = rand_tensor({C}, g, DType::F64, -0.3, 0.3), rv = rand_tensor({C}, g, DType::F64, 0.5, 1.5);
  auto fn = [&](const TensorList& in) {
    Tensor m = rm.clone(), v = rv.clone();
    return batch_norm(in[0], in[1], in[2], m, v, training, 0.1, 1e-3);
  };
  REQUIRE_GRADCHECK(fn, {x, gamma, beta});
}

TEST_CASE("gradcheck: bce, bce_with_logits and mse for each reduction", "[loss][gradcheck]") {
  auto dims = GENERATE(values<std::vector<int64_t>>({{1}, {1, 1}, {4}, {2, 3}, {3, 1, 2}}));
  auto r = GENERATE(Reduction::None, Reduction::Mean, Reduction::Sum);
  Shape s(dims);
  INFO("shape " << s.str() << " reduction " << static_cast<int>(r));
  Generator g(76);
  Tensor p = param(s, g, 0.05, 0.95), x = param(s, g, -3.0, 3.0), b = param(s, g);
  Tensor t = rand_tensor(s, g, DType::F64, 0.0, 1.0, 0.0);
  REQUIRE_GRADCHECK([&](const TensorList& in) { return bce(in[0], t, r); }, {p});
  REQUIRE_GRADCHECK([&](const TensorList& in) { return bce_with_logits(in[0], t, r); }, {x});
  REQUIRE_GRADCHECK([&](const TensorList& in) { return mse(in[0], in[1], r); }, {x, b});
}
