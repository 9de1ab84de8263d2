// SPDX-License-Identifier: MIT
// float64 gradcheck of elementwise ops and reductions, across broadcasting patterns.
#include "support/test_util.h"

using namespace dien;
using dien::test::rand_tensor;

namespace {
struct Pair {
  Shape a, b;
};
const std::vector<Pair> kPairs = {
    {{3}, {3}}, {{1}, {1}}, {{2, 3}, {}}, {{2, 3}, {3}}, {{2, 3}, {2, 1}}, {{1, 4}, {3, 1}}, {{2, 1, 3}, {1, 2, 1}},
};
}  // namespace

TEST_CASE("gradcheck: add, sub, mul, div with broadcasting", "[elementwise][gradcheck]") {
  Generator g(21);
  for (const auto& p : kPairs) {
    Tensor a = rand_tensor(p.a, g).set_requires_grad();
    Tensor b = rand_tensor(p.b, g, DType::F64, 0.5, 1.5).set_requires_grad();
    INFO("a " << a.describe() << " b " << b.describe());
    REQUIRE_GRADCHECK([](const TensorList& in) { return add(in[0], in[1]); }, {a, b});
    REQUIRE_GRADCHECK([](const TensorList& in) { return sub(in[0], in[1]); }, {a, b});
    REQUIRE_GRADCHECK([](const TensorList& in) { return mul(in[0], in[1]); }, {a, b});
    REQUIRE_GRADCHECK([](const TensorList& in) { return div(in[0], in[1]); }, {a, b});
    REQUIRE_GRADCHECK([](const TensorList& in) { return div(in[1], in[0]); }, {a, b});
  }
}

TEST_CASE("gradcheck: the same tensor on both sides", "[elementwise][gradcheck]") {
  Generator g(22);
  Tensor a = rand_tensor({2, 3}, g).set_requires_grad();
  REQUIRE_GRADCHECK([](const TensorList& in) { return mul(in[0], in[0]); }, {a});
  REQUIRE_GRADCHECK([](const TensorList& in) { return div(add(in[0], 3.0), in[0]); }, {a});
}

TEST_CASE("gradcheck: unary activations and scalar maps", "[elementwise][gradcheck]") {
  Generator g(23);
  for (Shape s : {Shape{1}, Shape{5}, Shape{2, 1, 3}}) {
    Tensor x = rand_tensor(s, g, DType::F64, -2, 2, 0.1).set_requires_grad();
    Tensor xp = rand_tensor(s, g, DType::F64, 0.2, 3).set_requires_grad();
    REQUIRE_GRADCHECK([](const TensorList& in) { return neg(in[0]); }, {x});
    REQUIRE_GRADCHECK([](const TensorList& in) { return exp(in[0]); }, {x});
    REQUIRE_GRADCHECK([](const TensorList& in) { return log(in[0]); }, {xp});
    REQUIRE_GRADCHECK([](const TensorList& in) { return sigmoid(in[0]); }, {x});
    REQUIRE_GRADCHECK([](const TensorList& in) { return tanh(in[0]); }, {x});
    REQUIRE_GRADCHECK([](const TensorList& in) { return relu(in[0]); }, {x});
    REQUIRE_GRADCHECK([](const TensorList& in) { return affine(in[0], -1.7, 0.3); }, {x});
    REQUIRE_GRADCHECK([](const TensorList& in) { return 1.0 - in[0] * 2.0; }, {x});
  }
}

TEST_CASE("gradcheck: sum, mean, sum_to, expand", "[reduce][gradcheck]") {
  Generator g(24);
  Tensor x = rand_tensor({2, 1, 3}, g).set_requires_grad();
  REQUIRE_GRADCHECK([](const TensorList& in) { return sum(in[0]); }, {x});
  REQUIRE_GRADCHECK([](const TensorList& in) { return mean(in[0]); }, {x});
  for (int d : {0, 1, 2, -1}) {
    REQUIRE_GRADCHECK([d](const TensorList& in) { return sum(in[0], d); }, {x});
    REQUIRE_GRADCHECK([d](const TensorList& in) { return mean(in[0], d, true); }, {x});
  }
  Tensor big = rand_tensor({2, 3, 4}, g).set_requires_grad();
  for (Shape s : {Shape{}, Shape{4}, Shape{3, 1}, Shape{2, 1, 4}, Shape{1, 3, 1}}) {
    REQUIRE_GRADCHECK([s](const TensorList& in) { return sum_to(in[0], s); }, {big});
  }
  Tensor small = rand_tensor({3, 1}, g).set_requires_grad();
  REQUIRE_GRADCHECK([](const TensorList& in) { return expand(in[0], Shape{2, 3, 4}); }, {small});
}
