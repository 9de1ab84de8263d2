// SPDX-License-Identifier: MIT
// float64 gradcheck of the model layers (layers/): DNN with each activation, with and without
// batch norm, in training and eval mode; the DIN local activation unit and attention pooling; the
// bilinear attention; the interest extractor with its auxiliary loss; the interest evolving layer
// for each gru_type. Every sequence batch has a length-0 row. The gradients are checked for the
// inputs and for every parameter of the layer (gradcheck perturbs the parameters in place).
#include <cmath>
#include <memory>

#include "layers/attention.h"
#include "layers/dnn.h"
#include "layers/interest_evolving.h"
#include "layers/interest_extractor.h"
#include "support/test_util.h"

using namespace dien;
using dien::test::rand_tensor;

namespace {

// Every parameter to non-trivial values (alpha of Dice, biases and batch-norm affine included).
void randomise(Module& m, Generator& g, double scale = 0.8) {
  for (auto& [n, p] : m.named_parameters()) init::assign(p, rand_tensor(p.shape(), g, DType::F64, -scale, scale));
}

TensorList with_params(const Module& m, TensorList inputs) {
  for (auto& p : m.parameters()) inputs.push_back(p);
  return inputs;
}

Tensor flat(const Tensor& x) { return reshape(x, {-1}); }

}  // namespace

TEST_CASE("gradcheck: DNN with each activation, batch norm on/off, train and eval", "[layers][gradcheck]") {
  Generator g(101);
  init::Initializer ini(init::Scheme::DeepCtr, 0.5, g, DType::F64);
  for (const char* act : {"relu", "sigmoid", "prelu", "dice", "linear"}) {
    for (bool bn : {false, true}) {
      for (bool training : {true, false}) {
        DNN dnn(5, {4, 3}, act, 0.0, 0.0, bn, ini);
        randomise(dnn, g);
        for (auto& [n, b] : dnn.named_buffers())
          init::assign(b, n.find("running_var") != std::string::npos ? rand_tensor(b.shape(), g, DType::F64, 0.5, 1.5)
                                                                    : rand_tensor(b.shape(), g));
        Tensor x = rand_tensor({6, 5}, g).set_requires_grad();
        INFO("activation " << act << " bn " << bn << " training " << training);
        REQUIRE_GRADCHECK([&](const TensorList& in) { return dnn.forward(in[0], training); }, with_params(dnn, {x}));
      }
    }
  }
}

TEST_CASE("gradcheck: DNN with Dice over [B, T, C] (dice_dim 3)", "[layers][gradcheck]") {
  Generator g(102);
  init::Initializer ini(init::Scheme::DeepCtr, 0.5, g, DType::F64);
  DNN dnn(4, {3, 2}, "dice", 0.0, 0.0, false, ini, 3);
  randomise(dnn, g);
  REQUIRE(dnn.state_dict().at("activation_layers.0.alpha").shape() == Shape{3, 1});
  Tensor x = rand_tensor({2, 3, 4}, g).set_requires_grad();
  REQUIRE_GRADCHECK([&](const TensorList& in) { return dnn.forward(in[0], true); }, with_params(dnn, {x}));
}

TEST_CASE("gradcheck: attention pooling (local activation unit), normalised or not, scores or pooled",
          "[layers][gradcheck]") {
  Generator g(103);
  init::Initializer ini(init::Scheme::DeepCtr, 0.5, g, DType::F64);
  Tensor lengths = from_vector<int64_t>({3, 0, 2, 4});
  for (const char* act : {"relu", "dice"}) {
    for (bool normalize : {true, false}) {
      for (bool ret : {true, false}) {
        AttentionSequencePooling att(3, {4, 2}, act, normalize, ret, ini);
        randomise(att, g);
        Tensor q = rand_tensor({4, 3}, g).set_requires_grad();
        Tensor k = rand_tensor({4, 4, 3}, g).set_requires_grad();
        INFO("activation " << act << " normalize " << normalize << " return_score " << ret);
        for (bool fused : {true, false})
          REQUIRE_GRADCHECK([&](const TensorList& in) { return att.forward(in[0], in[1], lengths, true, fused); },
                            with_params(att, {q, k}));
      }
    }
  }
}

TEST_CASE("attention: the valid-steps path (fused, CPU) equals the padded grid, and padding gets no gradient",
          "[layers]") {
  // Fused attention without Dice runs its net on the valid steps only (layers/attention.cpp
  // valid_step_scores); the unfused path runs it on every step and masks after. Same weights, same
  // gradients; the keys at padded steps (set to large values here) receive exactly zero.
  Generator g(106);
  init::Initializer ini(init::Scheme::DeepCtr, 0.5, g, DType::F64);
  const Tensor lengths = from_vector<int64_t>({3, 0, 5, 1, 5});
  for (bool normalize : {true, false}) {
    AttentionSequencePooling att(3, {4, 2}, "relu", normalize, true, ini);
    randomise(att, g);
    Tensor q = rand_tensor({5, 3}, g);
    std::vector<double> kv = dien::test::values(rand_tensor({5, 5, 3}, g));
    const std::vector<int64_t> len{3, 0, 5, 1, 5};
    for (int64_t b = 0; b < 5; ++b)
      for (int64_t t = len[static_cast<size_t>(b)]; t < 5; ++t)
        for (int64_t e = 0; e < 3; ++e) kv[static_cast<size_t>((b * 5 + t) * 3 + e)] = 1e3 * (e + 1);
    Tensor k = from_vector<double>(kv, Shape{5, 5, 3});
    Tensor gw = rand_tensor({5, 5}, g);
    std::vector<std::vector<double>> grads[2];
    std::vector<double> w[2];
    for (int fused = 0; fused < 2; ++fused) {
      Tensor qq = q.detach().clone().set_requires_grad(), kk = k.detach().clone().set_requires_grad();
      for (Tensor p : att.parameters()) p.zero_grad();
      Tensor y = att.forward(qq, kk, lengths, true, fused == 1);
      w[fused] = dien::test::values(y);
      sum(mul(y, gw)).backward();
      grads[fused].push_back(dien::test::values(qq.grad()));
      grads[fused].push_back(dien::test::values(kk.grad()));
      for (const Tensor& p : att.parameters()) grads[fused].push_back(dien::test::values(p.grad()));
    }
    INFO("normalize " << normalize);
    REQUIRE(w[0].size() == w[1].size());
    for (size_t i = 0; i < w[0].size(); ++i) REQUIRE(std::fabs(w[0][i] - w[1][i]) <= 1e-12);
    REQUIRE(grads[0].size() == grads[1].size());
    for (size_t j = 0; j < grads[0].size(); ++j)
      for (size_t i = 0; i < grads[0][j].size(); ++i) REQUIRE(std::fabs(grads[0][j][i] - grads[1][j][i]) <= 1e-10);
    const std::vector<double>& gk = grads[1][1];
    for (int64_t b = 0; b < 5; ++b)
      for (int64_t t = len[static_cast<size_t>(b)]; t < 5; ++t)
        for (int64_t e = 0; e < 3; ++e) REQUIRE(gk[static_cast<size_t>((b * 5 + t) * 3 + e)] == 0.0);
  }
}

TEST_CASE("gradcheck: bilinear attention (paper Eq. 8)", "[layers][gradcheck]") {
  Generator g(104);
  init::Initializer ini(init::Scheme::Glorot, 0.0, g, DType::F64);
  BilinearAttention att(3, 2, ini);
  Tensor lengths = from_vector<int64_t>({3, 0, 1});
  Tensor q = rand_tensor({3, 2}, g).set_requires_grad();
  Tensor k = rand_tensor({3, 4, 3}, g).set_requires_grad();
  REQUIRE_GRADCHECK([&](const TensorList& in) { return att.weights(in[0], in[1], lengths, true); },
                    with_params(att, {q, k}));
}

TEST_CASE("gradcheck: interest extractor states and auxiliary loss", "[layers][gradcheck]") {
  Generator g(105);
  init::Initializer ini(init::Scheme::DeepCtr, 0.5, g, DType::F64);
  InterestExtractor ex(3, true, ini);
  randomise(ex, g, 0.5);
  Tensor lengths = from_vector<int64_t>({4, 0, 2, 1});
  Tensor keys = rand_tensor({4, 4, 3}, g).set_requires_grad();
  Tensor neg = rand_tensor({4, 4, 3}, g).set_requires_grad();
  for (GateLayout layout : {GateLayout::LinearBeforeReset, GateLayout::ResetBeforeLinear}) {
    for (bool fused : {true, false}) {
      INFO("fused " << fused);
      REQUIRE_GRADCHECK(
          [&](const TensorList& in) {
            ExtractorOutput o = ex.forward(in[0], lengths, in[1], true, fused, layout);
            return concat({flat(o.states), reshape(o.aux_loss, {1})}, 0);
          },
          with_params(ex, {keys, neg}));
    }
  }
}

TEST_CASE("gradcheck: interest evolving layer for each gru_type", "[layers][gradcheck]") {
  Generator g(106);
  init::Initializer ini(init::Scheme::DeepCtr, 0.5, g, DType::F64);
  Tensor lengths = from_vector<int64_t>({3, 0, 4, 1});
  struct Case {
    GruType type;
    const char* form;
    const char* attention;
  };
  for (Case c : {Case{GruType::Gru, "reference", "din"}, Case{GruType::Aigru, "reference", "din"},
                 Case{GruType::Agru, "reference", "din"}, Case{GruType::Augru, "reference", "din"},
                 Case{GruType::Augru, "paper", "din"}, Case{GruType::Augru, "reference", "bilinear"}}) {
    EvolvingOptions eo;
    eo.gru_type = c.type;
    eo.att_hidden_units = {4, 2};
    eo.att_activation = "sigmoid";
    eo.augru_form = c.form;
    eo.attention = c.attention;
    InterestEvolving ev(3, eo, ini);
    randomise(ev, g);
    Tensor q = rand_tensor({4, 3}, g).set_requires_grad();
    Tensor k = rand_tensor({4, 4, 3}, g).set_requires_grad();
    for (bool fused : {true, false}) {
      INFO("gru_type " << int(c.type) << " form " << c.form << " attention " << c.attention << " fused " << fused);
      REQUIRE_GRADCHECK(
          [&](const TensorList& in) {
            return ev.forward(in[0], in[1], lengths, true, fused, GateLayout::LinearBeforeReset);
          },
          with_params(ev, {q, k}));
    }
  }
}
