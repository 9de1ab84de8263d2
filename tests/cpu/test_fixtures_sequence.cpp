// SPDX-License-Identifier: MIT
// The sequence ops against PyTorch: tests/fixtures/*.safetensors hold float64 references made by
// tools/reference/make_fixtures.py (nn.GRU with packed sequences, DeepCTR-Torch's AUGRU/AGRU
// cells, the authors' TF VecAttGRUCell, oneDNN's lbr_augru, masked softmax, DeepCTR's aux BCE):
// inputs, weights, a fixed upstream gradient, outputs and every gradient. Each fused op and its
// unfused twin runs in f64 and f32 (inputs cast here) with i64 and i32 lengths; outputs and all
// gradients must match (f64 ~1e-10, f32 1e-5 relative), and entries the reference holds at
// exactly zero (padded steps, AGRU's unused update-gate rows) must be exactly zero.
// No expected value lives in this file: every number comes from the fixtures.
#include <cmath>
#include <map>
#include <string>

#include "autograd/grad_mode.h"
#include "core/serialize.h"
#include "support/test_util.h"

#ifndef DIEN_FIXTURE_DIR
#error "DIEN_FIXTURE_DIR must name tests/fixtures (set in tests/CMakeLists.txt)"
#endif

using namespace dien;

namespace {

struct Fixture {
  std::string name;
  SafetensorsFile file;
  const Tensor& operator[](const std::string& key) const {
    auto it = file.tensors.find(key);
    INFO("fixture " << name << " needs tensor '" << key << "' (regenerate with tools/reference/make_fixtures.py)");
    REQUIRE(it != file.tensors.end());
    return it->second;
  }
  bool has(const std::string& key) const { return file.tensors.count(key) > 0; }
  std::string meta(const std::string& key) const {
    auto it = file.metadata.find(key);
    INFO("fixture " << name << " needs metadata '" << key << "'");
    REQUIRE(it != file.metadata.end());
    return it->second;
  }
};

Fixture load_fixture(const std::string& name) {
  return {name, load_safetensors(std::string(DIEN_FIXTURE_DIR) + "/" + name + ".safetensors")};
}

// A fresh leaf of dtype dt holding the fixture's values (never shares the fixture's tensor).
Tensor leaf(const Tensor& t, DType dt, bool requires_grad = true) {
  Tensor l = t.dtype() == dt ? t.clone() : t.to(dt);
  l = l.detach();
  if (requires_grad) l.set_requires_grad();
  return l;
}

// Tolerances against the float64 reference: |got - ref| <= atol + rtol |ref|, with atol scaled to
// the tensor's largest magnitude so that near-zero entries are judged on the tensor's scale.
void require_matches(const std::string& what, const Tensor& got, const Tensor& ref) {
  INFO(what << " (" << (got.defined() ? got.describe() : std::string("undefined")) << ")");
  REQUIRE(got.defined());
  REQUIRE(got.shape() == ref.shape());
  std::vector<double> r = test::values(ref), g = test::values(got);
  double scale = 1.0;
  for (double v : r) scale = std::max(scale, std::fabs(v));
  const bool f32 = got.dtype() == DType::F32;
  const double rtol = f32 ? 1e-5 : 1e-10, atol = (f32 ? 1e-6 : 1e-12) * scale;
  REQUIRE_CLOSE(got, ref, rtol, atol);
  // Exact zeros of the reference (padded steps, unused gate rows, length-0 rows) stay exact.
  for (size_t i = 0; i < r.size(); ++i)
    if (r[i] == 0.0 && g[i] != 0.0) FAIL(what << ": flat index " << i << " is " << g[i] << ", want exactly 0");
}

RnnCell parse_cell(const std::string& s) {
  if (s == "gru") return RnnCell::Gru;
  if (s == "augru_paper") return RnnCell::AugruPaper;
  if (s == "augru_reference") return RnnCell::AugruReference;
  if (s == "agru") return RnnCell::Agru;
  FAIL("unknown cell '" << s << "' in a fixture");
  return RnnCell::Gru;
}

GateLayout parse_layout(const std::string& s) {
  if (s == "lbr") return GateLayout::LinearBeforeReset;
  if (s == "rbl") return GateLayout::ResetBeforeLinear;
  FAIL("unknown layout '" << s << "' in a fixture");
  return GateLayout::LinearBeforeReset;
}

// One recurrent fixture run: `bare` leaves h0 and both biases undefined (the fixture's bare.*
// keys), `fused` picks rnn_scan/aigru_scan(fused) or the unfused twin.
void check_rnn_fixture(const std::string& name, bool fused, DType dt, DType len_dt, bool bare) {
  Fixture f = load_fixture(name);
  const std::string cell_name = f.meta("cell"), prefix = bare ? "bare." : "";
  const bool aigru = cell_name == "aigru";
  const GateLayout layout = parse_layout(f.meta("layout"));
  const RnnCell cell = aigru ? RnnCell::Gru : parse_cell(cell_name);
  const bool with_att = f.has("att");
  INFO("fixture " << name << " (" << f.meta("source") << "), " << (fused ? "fused" : "unfused") << ", "
                  << dtype_name(dt) << ", lengths " << dtype_name(len_dt) << (bare ? ", no h0/biases" : ""));

  Tensor lengths = f["lengths"].to(len_dt);
  Tensor x = leaf(f["x"], dt), w_ih = leaf(f["w_ih"], dt), w_hh = leaf(f["w_hh"], dt);
  Tensor att = with_att ? leaf(f["att"], dt) : Tensor();
  Tensor h0 = bare ? Tensor() : leaf(f["h0"], dt);
  Tensor b_ih = bare ? Tensor() : leaf(f["b_ih"], dt), b_hh = bare ? Tensor() : leaf(f["b_hh"], dt);
  auto run = [&] {
    if (aigru) return aigru_scan(x, lengths, att, h0, w_ih, w_hh, b_ih, b_hh, layout, fused);
    return fused ? rnn_scan(cell, x, lengths, att, h0, w_ih, w_hh, b_ih, b_hh, layout)
                 : rnn_scan_unfused(cell, x, lengths, att, h0, w_ih, w_hh, b_ih, b_hh, layout);
  };

  RnnOutput out = run();
  require_matches("states", out.states, f[prefix + "states"]);
  require_matches("last", out.last, f[prefix + "last"]);

  Tensor g_states = leaf(f["g_states"], dt, false), g_last = leaf(f["g_last"], dt, false);
  (sum(out.states * g_states) + sum(out.last * g_last)).backward();
  require_matches("grad x", x.grad(), f[prefix + "grad_x"]);
  require_matches("grad w_ih", w_ih.grad(), f[prefix + "grad_w_ih"]);
  require_matches("grad w_hh", w_hh.grad(), f[prefix + "grad_w_hh"]);
  if (with_att) require_matches("grad att", att.grad(), f[prefix + "grad_att"]);
  if (!bare) {
    require_matches("grad h0", h0.grad(), f["grad_h0"]);
    require_matches("grad b_ih", b_ih.grad(), f["grad_b_ih"]);
    require_matches("grad b_hh", b_hh.grad(), f["grad_b_hh"]);
  }

  // Inference (nothing saved for backward) gives the same outputs.
  NoGradGuard ng;
  RnnOutput inf = run();
  REQUIRE_FALSE(inf.states.requires_grad());
  require_matches("states (no grad)", inf.states, f[prefix + "states"]);
  require_matches("last (no grad)", inf.last, f[prefix + "last"]);
}

const char* const kRnnFixtures[] = {
    "gru_lbr",         "gru_rbl",          "augru_paper_lbr", "augru_paper_rbl", "augru_reference_lbr",
    "augru_reference_rbl", "agru_lbr",     "agru_rbl",        "aigru_lbr",       "aigru_rbl"};

}  // namespace

TEST_CASE("fixtures: every fixture file loads with the tensors the tests read", "[fixtures][cpu]") {
  for (const char* name : kRnnFixtures) {
    Fixture f = load_fixture(name);
    INFO(name);
    for (const char* k : {"x", "lengths", "w_ih", "w_hh", "b_ih", "b_hh", "h0", "g_states", "g_last", "states",
                          "last", "grad_x", "grad_w_ih", "grad_w_hh", "grad_b_ih", "grad_b_hh", "grad_h0",
                          "bare.states", "bare.last", "bare.grad_x", "bare.grad_w_ih", "bare.grad_w_hh"})
      CHECK(f.has(k));
    REQUIRE(f["x"].dtype() == DType::F64);
    REQUIRE(f["lengths"].dtype() == DType::I64);
  }
  Fixture a = load_fixture("attention"), l = load_fixture("aux_bce");
  CHECK(a.has("softmax.y"));
  CHECK(a.has("raw.grad_scores"));
  CHECK(l.has("empty.loss"));
}

TEST_CASE("fixtures: recurrent scans (GRU, AUGRU paper/reference, AGRU, AIGRU; both layouts) match PyTorch",
          "[fixtures][cpu]") {
  const std::string name = GENERATE(from_range(std::begin(kRnnFixtures), std::end(kRnnFixtures)));
  const bool fused = GENERATE(true, false);
  const DType dt = GENERATE(DType::F64, DType::F32);
  const bool bare = GENERATE(false, true);
  const DType len_dt = GENERATE(DType::I64, DType::I32);
  check_rnn_fixture(name, fused, dt, len_dt, bare);
}

TEST_CASE("fixtures: attention weights (masked softmax and raw) match PyTorch", "[fixtures][cpu]") {
  const bool fused = GENERATE(true, false);
  const bool normalize = GENERATE(true, false);
  const DType dt = GENERATE(DType::F64, DType::F32);
  const DType len_dt = GENERATE(DType::I64, DType::I32);
  Fixture f = load_fixture("attention");
  const std::string prefix = normalize ? "softmax." : "raw.";
  INFO((fused ? "fused" : "unfused") << ", " << prefix << " " << dtype_name(dt) << ", lengths " << dtype_name(len_dt));
  Tensor scores = leaf(f["scores"], dt), lengths = f["lengths"].to(len_dt);
  Tensor y = fused ? attention_weights(scores, lengths, normalize) : attention_weights_unfused(scores, lengths, normalize);
  require_matches("y", y, f[prefix + "y"]);
  sum(y * leaf(f["g_y"], dt, false)).backward();
  require_matches("grad scores", scores.grad(), f[prefix + "grad_scores"]);
}

TEST_CASE("fixtures: DIEN auxiliary BCE matches DeepCTR-Torch's loss", "[fixtures][cpu]") {
  const bool fused = GENERATE(true, false);
  const DType dt = GENERATE(DType::F64, DType::F32);
  const DType len_dt = GENERATE(DType::I64, DType::I32);
  const bool empty = GENERATE(false, true);
  Fixture f = load_fixture("aux_bce");
  const std::string prefix = empty ? "empty." : "";
  INFO((fused ? "fused" : "unfused") << ", " << dtype_name(dt) << ", lengths " << dtype_name(len_dt)
                                     << (empty ? ", no valid pair" : ""));
  Tensor p_pos = leaf(f["p_pos"], dt), p_neg = leaf(f["p_neg"], dt);
  Tensor lengths = f[prefix + "lengths"].to(len_dt);
  Tensor loss = fused ? aux_bce(p_pos, p_neg, lengths) : aux_bce_unfused(p_pos, p_neg, lengths);
  REQUIRE(loss.shape() == Shape{});
  require_matches("loss", loss, f[prefix + "loss"]);
  if (!loss.requires_grad()) {  // a constant 0 needs no graph; then the reference gradients are 0
    require_matches("grad p_pos (constant loss)", zeros_like(p_pos), f[prefix + "grad_p_pos"]);
    require_matches("grad p_neg (constant loss)", zeros_like(p_neg), f[prefix + "grad_p_neg"]);
    return;
  }
  loss.backward(leaf(f["g_loss"], dt, false));
  require_matches("grad p_pos", p_pos.grad(), f[prefix + "grad_p_pos"]);
  require_matches("grad p_neg", p_neg.grad(), f[prefix + "grad_p_neg"]);
}
