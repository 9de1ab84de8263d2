// SPDX-License-Identifier: MIT
// ServingPlan::build: the model's state dict (DeepCTR-Torch names, models/dien.h) packed for the
// serving kernels. Folds: batch norm (eval: running statistics) into the linear before it or
// after it; Dice's batch norm into a per-channel scale and shift.
#include "serve/plan.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "layers/activation.h"
#include "layers/interest_evolving.h"
#include "models/inputs.h"

namespace dien::serve {

namespace {

constexpr const char* kOp = "serving plan";

using State = std::map<std::string, Tensor>;

// The tensor `name` as doubles (checked: present, CPU, f32), with its shape.
struct Dense {
  std::vector<double> v;
  Shape shape;
};
Dense get(const State& s, const std::string& name) {
  auto it = s.find(name);
  if (it == s.end()) fail(kOp, "the model has no tensor '", name, "'");
  const Tensor& t = it->second;
  if (!t.device().is_cpu()) fail(kOp, "tensor '", name, "' is on ", t.device().str(), "; serving runs on the CPU");
  if (t.dtype() != DType::F32) fail(kOp, "tensor '", name, "' is ", dtype_name(t.dtype()), "; serving needs f32");
  std::vector<float> f = t.to_vector<float>();
  return Dense{std::vector<double>(f.begin(), f.end()), t.shape()};
}

// A torch Linear (weight [out, in], bias [out] or none) with a per-output affine after it
// (scale/shift, empty: none) and a per-input affine before it (in_scale/in_shift, empty: none).
PackedLinear pack_linear(const std::vector<double>& w, const std::vector<double>* b, int64_t out, int64_t in,
                         int64_t width, const std::vector<double>& scale = {}, const std::vector<double>& shift = {},
                         const std::vector<double>& in_scale = {}, const std::vector<double>& in_shift = {}) {
  PackedLinear p;
  p.in = in;
  p.out = out;
  p.out_pad = pad_to(out, width);
  p.wt.assign(static_cast<size_t>(in * p.out_pad), 0.f);
  p.bias.assign(static_cast<size_t>(p.out_pad), 0.f);
  for (int64_t o = 0; o < out; ++o) {
    double bias = b ? (*b)[o] : 0.0;
    for (int64_t i = 0; i < in; ++i) {
      double wi = w[o * in + i];
      if (!in_shift.empty()) bias += wi * in_shift[i];
      if (!in_scale.empty()) wi *= in_scale[i];
      p.wt[i * p.out_pad + o] = static_cast<float>(scale.empty() ? wi : wi * scale[o]);
    }
    p.bias[o] = static_cast<float>(scale.empty() ? bias : bias * scale[o] + shift[o]);
  }
  return p;
}

// Eval-mode batch norm as y = x scale + shift.
void bn_affine(const State& s, const std::string& prefix, double eps, std::vector<double>& scale,
               std::vector<double>& shift) {
  const Dense g = get(s, prefix + "weight"), b = get(s, prefix + "bias");
  const Dense m = get(s, prefix + "running_mean"), v = get(s, prefix + "running_var");
  const size_t C = g.v.size();
  scale.resize(C);
  shift.resize(C);
  for (size_t c = 0; c < C; ++c) {
    scale[c] = g.v[c] / std::sqrt(v.v[c] + eps);
    shift[c] = b.v[c] - m.v[c] * scale[c];
  }
}

PackedAct pack_act(const State& s, const std::string& prefix, ActKind kind, int64_t channels, int64_t width) {
  PackedAct a;
  const size_t cp = static_cast<size_t>(pad_to(channels, width));
  switch (kind) {
    case ActKind::Linear: a.kind = Act::Linear; break;
    case ActKind::Relu: a.kind = Act::Relu; break;
    case ActKind::Sigmoid: a.kind = Act::Sigmoid; break;
    case ActKind::PRelu: {
      a.kind = Act::PRelu;
      const Dense w = get(s, prefix + "weight");
      if (w.v.size() != 1) fail(kOp, "'", prefix, "weight' must hold one shared PReLU weight");
      a.slope = {static_cast<float>(w.v[0])};
      break;
    }
    case ActKind::Dice: {
      a.kind = Act::Dice;
      const Dense al = get(s, prefix + "alpha");
      std::vector<double> sc, sh;
      bn_affine(s, prefix + "bn.", 1e-8, sc, sh);  // Dice's batch norm: eps 1e-8 (layers/activation.h)
      a.alpha.assign(cp, 0.f);
      a.scale.assign(cp, 0.f);
      a.shift.assign(cp, 0.f);
      for (int64_t c = 0; c < channels; ++c) {
        a.alpha[c] = static_cast<float>(al.v[c]);
        a.scale[c] = static_cast<float>(sc[c]);
        a.shift[c] = static_cast<float>(sh[c]);
      }
      break;
    }
  }
  return a;
}

// DeepCTR's DNN under `prefix` ("dnn."): linears.<i>, bn.<i> (use_bn), activation_layers.<i>.
// in_scale/in_shift: an input batch norm folded into the first layer.
PackedMlp pack_dnn(const State& s, const std::string& prefix, const std::vector<int64_t>& units, int64_t in,
                   ActKind act, bool use_bn, int64_t width, const std::vector<double>& in_scale = {},
                   const std::vector<double>& in_shift = {}) {
  PackedMlp m;
  int64_t prev = in;
  for (size_t i = 0; i < units.size(); ++i) {
    const std::string li = prefix + "linears." + std::to_string(i) + ".";
    const Dense w = get(s, li + "weight"), b = get(s, li + "bias");
    if (w.shape != Shape{units[i], prev})
      fail(kOp, "'", li, "weight' is ", w.shape.str(), ", expected [", units[i], ", ", prev, "]");
    std::vector<double> sc, sh;
    if (use_bn) bn_affine(s, prefix + "bn." + std::to_string(i) + ".", 1e-5, sc, sh);
    m.linears.push_back(pack_linear(w.v, &b.v, units[i], prev, width, sc, sh, i == 0 ? in_scale : std::vector<double>{},
                                    i == 0 ? in_shift : std::vector<double>{}));
    m.acts.push_back(pack_act(s, prefix + "activation_layers." + std::to_string(i) + ".", act, units[i], width));
    prev = units[i];
  }
  return m;
}

PackedGru pack_gru(const State& s, const std::string& prefix, const std::string& suffix, int64_t in, int64_t H,
                   int64_t width) {
  PackedGru g;
  g.in = in;
  g.hidden = H;
  g.hp = pad_to(H, width);
  const int64_t G = 3 * g.hp;
  auto pack = [&](const std::string& name, int64_t cols, std::vector<float>& wt) {
    const Dense w = get(s, prefix + name + suffix);
    if (w.shape != Shape{3 * H, cols}) fail(kOp, "'", prefix, name, suffix, "' is ", w.shape.str(), ", expected [", 3 * H, ", ", cols, "]");
    wt.assign(static_cast<size_t>(cols * G), 0.f);
    for (int64_t gate = 0; gate < 3; ++gate)
      for (int64_t j = 0; j < H; ++j)
        for (int64_t i = 0; i < cols; ++i) wt[i * G + gate * g.hp + j] = static_cast<float>(w.v[(gate * H + j) * cols + i]);
  };
  auto bias = [&](const std::string& name, std::vector<float>& b) {
    const Dense v = get(s, prefix + name + suffix);
    b.assign(static_cast<size_t>(G), 0.f);
    for (int64_t gate = 0; gate < 3; ++gate)
      for (int64_t j = 0; j < H; ++j) b[gate * g.hp + j] = static_cast<float>(v.v[gate * H + j]);
  };
  pack("weight_ih", in, g.wih_t);
  pack("weight_hh", H, g.whh_t);
  const Dense whh = get(s, prefix + "weight_hh" + suffix), bhh = get(s, prefix + "bias_hh" + suffix);
  g.whh.assign(whh.v.begin(), whh.v.end());
  g.bhh_rows.assign(bhh.v.begin(), bhh.v.end());
  bias("bias_ih", g.bih);
  bias("bias_hh", g.bhh);
  return g;
}

// The local activation unit under `prefix` ("...local_att.") for queries/keys of width E.
void pack_din_attention(ServingPlan& p, const State& s, const std::string& prefix, const ModelOptions& o) {
  const int64_t E = p.E, w = p.k->width;
  const std::vector<int64_t>& units = o.att_hidden_units;
  const ActKind act = parse_activation(o.att_activation, "att_activation");
  const Dense w0 = get(s, prefix + "dnn.linears.0.weight"), b0 = get(s, prefix + "dnn.linears.0.bias");
  const int64_t A1 = units.front();
  if (w0.shape != Shape{A1, 4 * E}) fail(kOp, "'", prefix, "dnn.linears.0.weight' is ", w0.shape.str(), ", expected [", A1, ", ", 4 * E, "]");
  // Column blocks of the first layer: q | k | q - k | q * k.
  std::vector<double> wq(static_cast<size_t>(A1 * E)), wk(wq.size()), wp(wq.size());
  for (int64_t o2 = 0; o2 < A1; ++o2)
    for (int64_t i = 0; i < E; ++i) {
      const double q = w0.v[o2 * 4 * E + i], k = w0.v[o2 * 4 * E + E + i], d = w0.v[o2 * 4 * E + 2 * E + i];
      wq[o2 * E + i] = q + d;
      wk[o2 * E + i] = k - d;
      wp[o2 * E + i] = w0.v[o2 * 4 * E + 3 * E + i];
    }
  p.q_side = pack_linear(wq, nullptr, A1, E, w);
  p.k_side = pack_linear(wk, &b0.v, A1, E, w);
  p.p_side = pack_linear(wp, nullptr, A1, E, w);
  p.act0 = pack_act(s, prefix + "dnn.activation_layers.0.", act, A1, w);
  int64_t prev = A1;
  for (size_t i = 1; i < units.size(); ++i) {
    const std::string li = prefix + "dnn.linears." + std::to_string(i) + ".";
    const Dense wi = get(s, li + "weight"), bi = get(s, li + "bias");
    p.rest.linears.push_back(pack_linear(wi.v, &bi.v, units[i], prev, w));
    p.rest.acts.push_back(pack_act(s, prefix + "dnn.activation_layers." + std::to_string(i) + ".", act, units[i], w));
    prev = units[i];
  }
  const Dense dw = get(s, prefix + "dense.weight"), db = get(s, prefix + "dense.bias");
  p.dense_w.assign(dw.v.begin(), dw.v.end());
  p.dense_b = static_cast<float>(db.v[0]);
  p.normalize = o.att_weight_normalization;
  p.attention = Attention::Din;
}

}  // namespace

ActParams PackedAct::params() const {
  ActParams a;
  a.kind = kind;
  a.slope = slope.empty() ? nullptr : slope.data();
  a.alpha = alpha.empty() ? nullptr : alpha.data();
  a.scale = scale.empty() ? nullptr : scale.data();
  a.shift = shift.empty() ? nullptr : shift.data();
  return a;
}

const EmbeddingTable& ServingPlan::table_of(const std::string& feature) const {
  auto it = tables.find(features.at(feature).table());
  if (it == tables.end()) fail(kOp, "no embedding table for feature '", feature, "'");
  return it->second;
}

std::shared_ptr<const ServingPlan> ServingPlan::build(std::shared_ptr<const CtrModel> model, const Kernels& k) {
  if (!model) fail(kOp, "the model is null");
  auto p = std::make_shared<ServingPlan>();
  const ModelOptions& o = model->options();
  const FeatureConfig& fc = model->features();
  const State s = model->state_dict();
  const int64_t w = k.width;
  p->model = model;
  p->k = &k;
  p->kind = o.kind;
  p->binary = o.task == "binary";
  p->features = fc;
  if (fc.history_features.empty()) fail(kOp, "the model has no history feature");
  for (const auto& f : fc.history_features) {
    p->history.push_back(f);
    p->sequences.push_back("hist_" + f);
    p->query_offset.push_back(p->E);
    p->E += fc.at(f).embedding_dim;
  }
  p->Ep = pad_to(p->E, w);
  const FeatureSpec& h0 = fc.at(p->sequences[0]);
  p->maxlen = h0.maxlen;
  p->length_column = h0.length_name;
  for (const FeatureSpec& f : fc.features) {
    if (f.kind == FeatureKind::Dense || p->tables.count(f.table())) continue;
    const std::string name = "embedding_dict." + f.table() + ".weight";
    auto it = s.find(name);
    if (it == s.end()) fail(kOp, "the model has no embedding table '", name, "'");
    const Tensor& t = it->second;
    if (!t.device().is_cpu() || t.dtype() != DType::F32 || t.ndim() != 2)
      fail(kOp, "embedding '", name, "' must be a CPU f32 matrix, got ", t.describe());
    p->tables[f.table()] = EmbeddingTable{t.data<float>(), t.size(0), t.size(1)};
  }

  for (size_t i = 0; i < p->history.size(); ++i) {
    p->query_tables.push_back(p->table_of(p->history[i]));
    p->sequence_tables.push_back(p->table_of(p->sequences[i]));
  }
  const ActKind dnn_act = parse_activation(o.dnn_activation, "dnn_activation");
  std::vector<std::string> sparse = model_inputs::names_of(fc, FeatureKind::Sparse);
  std::vector<std::string> dense = model_inputs::names_of(fc, FeatureKind::Dense);
  int64_t in = 0;
  auto seg = [&](SegmentKind kind, const std::string& feature, int64_t width) {
    Segment s;
    s.kind = kind;
    s.feature = feature;
    s.offset = in;
    s.width = width;
    if (kind == SegmentKind::Sparse || kind == SegmentKind::Pooled) s.table = p->table_of(feature);
    if (kind == SegmentKind::Sparse) {
      auto h = std::find(p->history.begin(), p->history.end(), feature);
      if (h != p->history.end()) s.history = static_cast<int>(h - p->history.begin());
    }
    if (kind == SegmentKind::Pooled) s.combiner = fc.at(feature).combiner;
    p->segments.push_back(std::move(s));
    in += width;
  };
  std::vector<double> in_scale, in_shift;
  bool dnn_bn = o.use_bn;
  std::string dnn_prefix = "dnn.", out_name;
  if (o.kind == "dien") {
    const int64_t E = p->E;
    p->extractor = pack_gru(s, "interest_extractor.gru.", "_l0", E, E, w);
    const GruType gt = parse_gru_type(o.gru_type);
    const bool cell_names = gt == GruType::Agru || gt == GruType::Augru;
    p->evolving = cell_names ? pack_gru(s, "interest_evolution.interest_evolution.rnn.", "", E, E, w)
                             : pack_gru(s, "interest_evolution.interest_evolution.", "_l0", E, E, w);
    p->evolution = gt == GruType::Gru ? Evolution::Gru
                   : gt == GruType::Aigru ? Evolution::Aigru
                   : gt == GruType::Agru ? Evolution::Agru
                                         : Evolution::Augru;
    p->cell = gt == GruType::Agru ? Cell::Agru
              : gt == GruType::Augru ? (o.augru_form == "paper" ? Cell::AugruPaper : Cell::AugruReference)
                                     : Cell::Gru;
    p->lbr = o.gate_layout != "rbl";
    if (o.attention == "bilinear") {
      const Dense bw = get(s, "interest_evolution.bilinear.weight");
      p->bilinear = pack_linear(bw.v, nullptr, E, E, w);
      p->attention = Attention::Bilinear;
    } else {
      pack_din_attention(*p, s, "interest_evolution.attention.local_att.", o);
    }
    if (o.network == "authors") {
      for (const auto& f : sparse)
        if (std::find(fc.history_features.begin(), fc.history_features.end(), f) == fc.history_features.end())
          seg(SegmentKind::Sparse, f, fc.at(f).embedding_dim);
      seg(SegmentKind::Query, "", E);
      seg(SegmentKind::HistSum, "", E);
      seg(SegmentKind::QueryTimesHist, "", E);
      seg(SegmentKind::Final, "", E);
      for (const auto& f : dense) seg(SegmentKind::Dense, f, fc.at(f).dimension);
      p->needs_hist_sum = true;
      if (o.use_bn) bn_affine(s, "input_bn.", 1e-5, in_scale, in_shift);
      dnn_bn = false;
    } else {
      seg(SegmentKind::Final, "", E);
      for (const auto& f : sparse) seg(SegmentKind::Sparse, f, fc.at(f).embedding_dim);
      for (const auto& f : dense) seg(SegmentKind::Dense, f, fc.at(f).dimension);
    }
    out_name = "linear.weight";
  } else {
    for (const auto& f : sparse) seg(SegmentKind::Sparse, f, fc.at(f).embedding_dim);
    for (const auto& f : model_inputs::other_varlen(fc)) seg(SegmentKind::Pooled, f, fc.at(f).embedding_dim);
    if (o.kind == "din") {
      pack_din_attention(*p, s, "attention.local_att.", o);
      seg(SegmentKind::Final, "", p->E);
    } else {
      seg(SegmentKind::HistSum, "", p->E);
      p->needs_hist_sum = true;
    }
    for (const auto& f : dense) seg(SegmentKind::Dense, f, fc.at(f).dimension);
    out_name = "dnn_linear.weight";
  }
  p->dnn = pack_dnn(s, dnn_prefix, o.dnn_hidden_units, in, dnn_act, dnn_bn, w, in_scale, in_shift);
  const Dense fw = get(s, out_name), fb = get(s, "out.bias");
  if (static_cast<int64_t>(fw.v.size()) != o.dnn_hidden_units.back())
    fail(kOp, "'", out_name, "' is ", fw.shape.str(), ", expected [1, ", o.dnn_hidden_units.back(), "]");
  p->final_w.assign(fw.v.begin(), fw.v.end());
  p->final_b = static_cast<float>(fb.v[0]);
  return p;
}

}  // namespace dien::serve
