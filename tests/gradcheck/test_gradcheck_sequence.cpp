// SPDX-License-Identifier: MIT
// float64 central-difference gradchecks (max rel error < 1e-6) of the fused sequence ops:
// rnn_scan for every cell x gate layout, w.r.t. x, att, h0 and all weights and biases (and with
// h0 / biases undefined), over lengths that mix 0, 1, T-1 and T in unsorted order, through both
// outputs (states and last); aigru_scan; attention_weights (both modes, length-0 rows); aux_bce
// (including a batch where no pair is valid). Shapes stay small: the Jacobian is full.
#include "support/test_util.h"

using namespace dien;

namespace {

Tensor leaf(const Shape& s, Generator& g, double lo = -1.0, double hi = 1.0) {
  return test::rand_tensor(s, g, DType::F64, lo, hi).set_requires_grad();
}

// Both outputs as one vector, last weighted by 2 so that its Jacobian rows differ from states'.
Tensor both(const RnnOutput& o) { return concat({o.states.reshape({-1}), mul(o.last, 2.0).reshape({-1})}, 0); }

const char* layout_name(GateLayout l) {
  return l == GateLayout::LinearBeforeReset ? "linear-before-reset" : "reset-before-linear";
}

}  // namespace

TEST_CASE("gradcheck: rnn_scan, every cell and layout, w.r.t. every input", "[sequence][gradcheck]") {
  RnnCell cell = GENERATE(RnnCell::Gru, RnnCell::AugruPaper, RnnCell::AugruReference, RnnCell::Agru);
  GateLayout layout = GENERATE(GateLayout::LinearBeforeReset, GateLayout::ResetBeforeLinear);
  bool with_h0 = GENERATE(true, false);
  bool with_bias = GENERATE(true, false);
  INFO(rnn_cell_name(cell) << " " << layout_name(layout) << " h0=" << with_h0 << " bias=" << with_bias);
  const int64_t B = 4, T = 4, D = 3, H = 2;
  Generator g(7001);
  // Unsorted, with 0, 1, T-1 and T.
  Tensor lengths = from_vector<int64_t>({3, 0, 4, 1}, {B});
  Tensor x = leaf({B, T, D}, g);
  Tensor att = cell == RnnCell::Gru ? Tensor() : leaf({B, T}, g, 0.1, 0.9);
  Tensor h0 = with_h0 ? leaf({B, H}, g) : Tensor();
  Tensor w_ih = leaf({3 * H, D}, g), w_hh = leaf({3 * H, H}, g);
  Tensor b_ih = with_bias ? leaf({3 * H}, g) : Tensor(), b_hh = with_bias ? leaf({3 * H}, g) : Tensor();
  auto f = [cell, layout, lengths](const TensorList& in) {
    return both(rnn_scan(cell, in[0], lengths, in[1], in[2], in[3], in[4], in[5], in[6], layout));
  };
  REQUIRE_GRADCHECK(f, {x, att, h0, w_ih, w_hh, b_ih, b_hh});
}

TEST_CASE("gradcheck: rnn_scan, each output alone and i32 lengths", "[sequence][gradcheck]") {
  RnnCell cell = GENERATE(RnnCell::Gru, RnnCell::AugruPaper, RnnCell::AugruReference, RnnCell::Agru);
  GateLayout layout = GENERATE(GateLayout::LinearBeforeReset, GateLayout::ResetBeforeLinear);
  INFO(rnn_cell_name(cell) << " " << layout_name(layout));
  const int64_t B = 3, T = 3, D = 2, H = 3;
  Generator g(7002);
  Tensor lengths = from_vector<int32_t>({2, 3, 0}, {B});
  Tensor x = leaf({B, T, D}, g), h0 = leaf({B, H}, g);
  Tensor att = cell == RnnCell::Gru ? Tensor() : leaf({B, T}, g, 0.1, 0.9);
  Tensor w_ih = leaf({3 * H, D}, g), w_hh = leaf({3 * H, H}, g), b_ih = leaf({3 * H}, g), b_hh = leaf({3 * H}, g);
  const TensorList inputs{x, att, h0, w_ih, w_hh, b_ih, b_hh};
  // Only `states` reaches the loss: g_last arrives as zeros from the engine.
  auto f_states = [cell, layout, lengths](const TensorList& in) {
    return rnn_scan(cell, in[0], lengths, in[1], in[2], in[3], in[4], in[5], in[6], layout).states;
  };
  REQUIRE_GRADCHECK(f_states, inputs);
  // Only `last`: g_states arrives as zeros.
  auto f_last = [cell, layout, lengths](const TensorList& in) {
    return rnn_scan(cell, in[0], lengths, in[1], in[2], in[3], in[4], in[5], in[6], layout).last;
  };
  REQUIRE_GRADCHECK(f_last, inputs);
}

TEST_CASE("gradcheck: aigru_scan (fused), w.r.t. x, att, h0 and weights", "[sequence][gradcheck]") {
  GateLayout layout = GENERATE(GateLayout::LinearBeforeReset, GateLayout::ResetBeforeLinear);
  INFO(layout_name(layout));
  const int64_t B = 4, T = 4, D = 3, H = 2;
  Generator g(7003);
  Tensor lengths = from_vector<int64_t>({1, 4, 0, 3}, {B});
  Tensor x = leaf({B, T, D}, g), att = leaf({B, T}, g, 0.1, 0.9), h0 = leaf({B, H}, g);
  Tensor w_ih = leaf({3 * H, D}, g), w_hh = leaf({3 * H, H}, g), b_ih = leaf({3 * H}, g), b_hh = leaf({3 * H}, g);
  auto f = [layout, lengths](const TensorList& in) {
    return both(aigru_scan(in[0], lengths, in[1], in[2], in[3], in[4], in[5], in[6], layout, true));
  };
  REQUIRE_GRADCHECK(f, {x, att, h0, w_ih, w_hh, b_ih, b_hh});
}

TEST_CASE("gradcheck: attention_weights, both modes, with length-0 rows", "[sequence][gradcheck]") {
  bool normalize = GENERATE(true, false);
  INFO("normalize=" << normalize);
  Generator g(7004);
  Tensor lengths = from_vector<int64_t>({3, 0, 5, 1, 4}, {5});
  Tensor s = leaf({5, 5}, g, -2, 2);
  auto f = [lengths, normalize](const TensorList& in) { return attention_weights(in[0], lengths, normalize); };
  REQUIRE_GRADCHECK(f, {s});
  // Through a weighted sum, so that the output gradient is not one-hot.
  Tensor w = test::rand_tensor({5, 5}, g, DType::F64, -2, 2);
  auto fw = [lengths, normalize, w](const TensorList& in) {
    return sum(mul(attention_weights(in[0], lengths, normalize), w));
  };
  REQUIRE_GRADCHECK(fw, {s});
  // Every row empty.
  Tensor none = from_vector<int32_t>({0, 0}, {2});
  auto f0 = [none, normalize](const TensorList& in) { return attention_weights(in[0], none, normalize); };
  REQUIRE_GRADCHECK(f0, {leaf({2, 3}, g)});
}

TEST_CASE("gradcheck: aux_bce, with and without valid pairs", "[sequence][gradcheck]") {
  Generator g(7005);
  // P = 4 pairs; lengths 5 (4 pairs), 0, 1 (no pair), 3 (2 pairs), 2 (1 pair).
  Tensor lengths = from_vector<int64_t>({5, 0, 1, 3, 2}, {5});
  Tensor pp = leaf({5, 4}, g, 0.05, 0.95), pn = leaf({5, 4}, g, 0.05, 0.95);
  auto f = [lengths](const TensorList& in) { return aux_bce(in[0], in[1], lengths); };
  REQUIRE_GRADCHECK(f, {pp, pn});
  // No valid pair in the whole batch: the loss is 0 and so is every gradient.
  Tensor none = from_vector<int64_t>({1, 0, 1, 0, 1}, {5});
  auto f0 = [none](const TensorList& in) { return aux_bce(in[0], in[1], none); };
  REQUIRE_GRADCHECK(f0, {pp, pn});
}
