// SPDX-License-Identifier: MIT
// The CTR models (models/): DeepCTR-Torch parameter names, seed determinism, fused vs unfused,
// padding that never leaks, all-zero-length batches, the loss and its L2 terms, predict from
// several threads, options and config round trips, Module::to.
#include <nlohmann/json.hpp>

#include <cmath>
#include <set>
#include <thread>

#include "autograd/grad_mode.h"
#include "model_test_util.h"
#include "models/ctr_model.h"

using namespace dien;
using dien::test::require_error;
using dien::test::small_batch;
using dien::test::small_features;
using dien::test::small_options;
using dien::test::values;

namespace {

std::map<std::string, std::vector<double>> grads_of(const CtrModel& m) {
  std::map<std::string, std::vector<double>> out;
  for (auto& [n, p] : m.named_parameters()) out[n] = p.grad().defined() ? values(p.grad()) : std::vector<double>{};
  return out;
}

// loss.backward() in training mode; returns the loss value.
double train_step(CtrModel& m, const data::Batch& b) {
  m.train();
  m.zero_grad();
  ForwardResult r = m.forward(b);
  Tensor loss = m.loss(b, r);
  loss.backward();
  return loss.item();
}

using dien::test::kAllGruTypes;

}  // namespace

TEST_CASE("models: DIEN parameter names are DeepCTR-Torch's state dict names", "[models]") {
  ModelOptions o = small_options("dien", "AUGRU");
  o.use_bn = true;
  o.att_activation = "dice";
  auto m = make_model(o, small_features());
  std::vector<std::string> names;
  for (auto& [n, t] : m->named_parameters()) names.push_back(n);
  const std::vector<std::string> want = {
      "embedding_dict.user_id.weight", "embedding_dict.item_id.weight", "embedding_dict.cate_id.weight",
      "embedding_dict.tags.weight", "out.bias",
      "interest_extractor.gru.weight_ih_l0", "interest_extractor.gru.weight_hh_l0",
      "interest_extractor.gru.bias_ih_l0", "interest_extractor.gru.bias_hh_l0",
      "interest_extractor.auxiliary_net.linears.0.weight", "interest_extractor.auxiliary_net.linears.0.bias",
      "interest_extractor.auxiliary_net.linears.1.weight", "interest_extractor.auxiliary_net.linears.1.bias",
      "interest_extractor.auxiliary_net.linears.2.weight", "interest_extractor.auxiliary_net.linears.2.bias",
      "interest_evolution.attention.local_att.dnn.linears.0.weight",
      "interest_evolution.attention.local_att.dnn.linears.0.bias",
      "interest_evolution.attention.local_att.dnn.linears.1.weight",
      "interest_evolution.attention.local_att.dnn.linears.1.bias",
      "interest_evolution.attention.local_att.dnn.activation_layers.0.alpha",
      "interest_evolution.attention.local_att.dnn.activation_layers.0.bn.weight",
      "interest_evolution.attention.local_att.dnn.activation_layers.0.bn.bias",
      "interest_evolution.attention.local_att.dnn.activation_layers.1.alpha",
      "interest_evolution.attention.local_att.dnn.activation_layers.1.bn.weight",
      "interest_evolution.attention.local_att.dnn.activation_layers.1.bn.bias",
      "interest_evolution.attention.local_att.dense.weight", "interest_evolution.attention.local_att.dense.bias",
      "interest_evolution.interest_evolution.rnn.weight_ih", "interest_evolution.interest_evolution.rnn.weight_hh",
      "interest_evolution.interest_evolution.rnn.bias_ih", "interest_evolution.interest_evolution.rnn.bias_hh",
      "dnn.linears.0.weight", "dnn.linears.0.bias", "dnn.linears.1.weight", "dnn.linears.1.bias",
      "dnn.bn.0.weight", "dnn.bn.0.bias", "dnn.bn.1.weight", "dnn.bn.1.bias", "linear.weight"};
  REQUIRE(names == want);
  std::vector<std::string> buffers;
  for (auto& [n, t] : m->named_buffers()) buffers.push_back(n);
  REQUIRE(buffers == std::vector<std::string>{
                         "interest_evolution.attention.local_att.dnn.activation_layers.0.bn.running_mean",
                         "interest_evolution.attention.local_att.dnn.activation_layers.0.bn.running_var",
                         "interest_evolution.attention.local_att.dnn.activation_layers.1.bn.running_mean",
                         "interest_evolution.attention.local_att.dnn.activation_layers.1.bn.running_var",
                         "dnn.bn.0.running_mean", "dnn.bn.0.running_var", "dnn.bn.1.running_mean",
                         "dnn.bn.1.running_var"});
  // The two AUGRU biases are distinct tensors (DeepCTR-Torch aliases them).
  auto sd = m->state_dict();
  REQUIRE_FALSE(sd.at("interest_evolution.interest_evolution.rnn.bias_ih")
                    .same(sd.at("interest_evolution.interest_evolution.rnn.bias_hh")));

  ModelOptions og = small_options("dien", "GRU");
  og.use_negsampling = false;
  auto mg = make_model(og, small_features());
  auto sg = mg->state_dict();
  REQUIRE(sg.count("interest_evolution.interest_evolution.weight_ih_l0"));
  REQUIRE(sg.count("interest_evolution.interest_evolution.bias_hh_l0"));
  REQUIRE_FALSE(sg.count("interest_extractor.auxiliary_net.linears.0.weight"));
  ModelOptions ob = small_options("dien", "GRU");
  ob.attention = "bilinear";
  REQUIRE(make_model(ob, small_features())->state_dict().count("interest_evolution.bilinear.weight"));
  auto din = make_model(small_options("din"), small_features());
  auto sd_din = din->state_dict();
  REQUIRE(sd_din.count("attention.local_att.dense.weight"));
  REQUIRE(sd_din.count("dnn_linear.weight"));
  REQUIRE(sd_din.at("attention.local_att.dnn.activation_layers.0.alpha").shape() == Shape{6, 1});
}

TEST_CASE("models: the seed fixes every parameter; another seed changes them", "[models]") {
  for (const char* init : {"glorot", "deepctr"}) {
    ModelOptions o = small_options("dien");
    o.init = init;
    auto a = make_model(o, small_features()), b = make_model(o, small_features());
    o.seed += 1;
    auto c = make_model(o, small_features());
    auto sa = a->state_dict(), sb = b->state_dict(), sc = c->state_dict();
    bool any_diff = false;
    for (auto& [n, t] : sa) {
      INFO(init << " " << n);
      REQUIRE(values(t) == values(sb.at(n)));
      any_diff = any_diff || values(t) != values(sc.at(n));
    }
    REQUIRE(any_diff);
  }
}

TEST_CASE("models: glorot init has orthogonal recurrent blocks and zero biases", "[models]") {
  auto m = make_model(small_options("dien", "GRU"), small_features());
  auto sd = m->state_dict();
  std::vector<double> w = values(sd.at("interest_extractor.gru.weight_hh_l0"));  // [18, 6]
  const int H = 6;
  for (int gate = 0; gate < 3; ++gate)
    for (int i = 0; i < H; ++i)
      for (int j = 0; j < H; ++j) {
        double d = 0;
        for (int k = 0; k < H; ++k) d += w[(gate * H + i) * H + k] * w[(gate * H + j) * H + k];
        REQUIRE(d == Approx(i == j ? 1.0 : 0.0).margin(1e-5));
      }
  for (double v : values(sd.at("interest_extractor.gru.bias_ih_l0"))) REQUIRE(v == 0.0);
  for (double v : values(sd.at("dnn.linears.0.bias"))) REQUIRE(v == 0.0);
}

TEST_CASE("models: fused and unfused give the same loss and gradients", "[models]") {
  for (const auto& kind : {std::string("dien"), std::string("din")}) {
    for (const auto& gt : kAllGruTypes) {
      if (kind == "din" && gt != "GRU") continue;
      ModelOptions o = small_options(kind, gt);
      auto a = make_model(o, small_features());
      o.fused = false;
      auto b = make_model(o, small_features());
      Generator g(7);
      data::Batch batch = small_batch(g, {5, 0, 3, 1, 2});
      INFO(kind << " " << gt);
      REQUIRE(train_step(*a, batch) == Approx(train_step(*b, batch)).epsilon(1e-5));
      auto ga = grads_of(*a), gb = grads_of(*b);
      for (auto& [n, v] : ga) {
        INFO(n);
        REQUIRE(v.size() == gb.at(n).size());
        for (size_t i = 0; i < v.size(); ++i) REQUIRE(v[i] == Approx(gb.at(n)[i]).margin(1e-6).epsilon(1e-4));
      }
    }
  }
}

TEST_CASE("models: ids at padded steps change neither outputs nor gradients", "[models]") {
  for (const auto& kind : {std::string("dien"), std::string("din"), std::string("base")}) {
    for (const auto& gt : kAllGruTypes) {
      if (kind != "dien" && gt != "GRU") continue;
      ModelOptions o = small_options(kind, gt);
      o.l2_reg_embedding = 1e-2;  // the L2 of used rows must ignore padding too
      auto m = make_model(o, small_features());
      Generator g1(9), g2(9);
      data::Batch clean = small_batch(g1, {5, 0, 3, 1, 2}, 0), dirty = small_batch(g2, {5, 0, 3, 1, 2}, 3);
      REQUIRE(values(clean.at("hist_item_id")) != values(dirty.at("hist_item_id")));
      INFO(kind << " " << gt);
      double l1 = train_step(*m, clean);
      auto g_clean = grads_of(*m);
      double l2 = train_step(*m, dirty);
      auto g_dirty = grads_of(*m);
      REQUIRE(l1 == l2);
      REQUIRE(g_clean == g_dirty);
      REQUIRE(values(m->predict(clean)) == values(m->predict(dirty)));
    }
  }
}

TEST_CASE("models: an all-zero-length batch works (aux loss 0, gradients finite)", "[models]") {
  for (const auto& gt : kAllGruTypes) {
    auto m = make_model(small_options("dien", gt), small_features());
    Generator g(11);
    data::Batch batch = small_batch(g, {0, 0, 0});
    m->train();
    ForwardResult r = m->forward(batch);
    REQUIRE(r.aux_loss.item() == 0.0);
    REQUIRE(r.logits.shape() == Shape{3});
    Tensor loss = m->loss(batch, r);
    loss.backward();
    for (auto& [n, p] : m->named_parameters())
      if (p.grad().defined())
        for (double v : values(p.grad())) REQUIRE(std::isfinite(v));
    for (double p : values(m->predict(batch))) REQUIRE((p > 0 && p < 1));
  }
}

TEST_CASE("models: loss = main + alpha * aux + L2 terms, per loss_reduction and l2_embedding_scope", "[models]") {
  ModelOptions o = small_options("dien");
  o.alpha = 0.7;
  o.l2_reg_embedding = 0.01;
  o.l2_reg_dnn = 0.02;
  Generator g(13);
  data::Batch batch = small_batch(g, {5, 2, 3, 1});
  for (const char* red : {"mean", "sum"}) {
    for (const char* scope : {"batch", "all"}) {
      o.loss_reduction = red;
      o.l2_embedding_scope = scope;
      auto m = make_model(o, small_features());
      ForwardResult r = m->run(batch, /*training=*/false, /*aux=*/true);  // eval semantics with the aux loss
      std::vector<double> z = values(r.logits), y = values(batch.y);
      double main = 0;
      for (size_t i = 0; i < z.size(); ++i) main += std::max(z[i], 0.0) - z[i] * y[i] + std::log1p(std::exp(-std::fabs(z[i])));
      if (std::string(red) == "mean") main /= static_cast<double>(z.size());
      // L2 by hand: used rows (distinct, padding excluded) or whole tables; DNN linear weights.
      auto sd = m->state_dict();
      double emb = 0;
      auto rows = [&](const std::string& table, std::set<int64_t> ids) {
        std::vector<double> w = values(sd.at("embedding_dict." + table + ".weight"));
        const int64_t E = sd.at("embedding_dict." + table + ".weight").size(1);
        if (std::string(scope) == "all")
          for (double v : w) emb += v * v;
        else
          for (int64_t id : ids)
            for (int64_t e = 0; e < E; ++e) emb += w[id * E + e] * w[id * E + e];
      };
      auto ids_of = [&](std::initializer_list<const char*> names) {
        std::set<int64_t> s;
        std::vector<int64_t> len = batch.at("seq_length").to_vector<int64_t>();
        for (const char* n : names) {
          Tensor t = batch.at(n);
          std::vector<int64_t> v = t.to_vector<int64_t>();
          if (t.ndim() == 1) {
            s.insert(v.begin(), v.end());
          } else {
            for (size_t b = 0; b < len.size(); ++b)
              for (int64_t k = 0; k < len[b]; ++k) s.insert(v[b * t.size(1) + k]);
          }
        }
        return s;
      };
      rows("user_id", ids_of({"user_id"}));
      rows("item_id", ids_of({"item_id", "hist_item_id", "neg_hist_item_id"}));
      rows("cate_id", ids_of({"cate_id", "hist_cate_id", "neg_hist_cate_id"}));
      if (std::string(scope) == "all") rows("tags", {});
      double dnn = 0;
      for (const char* w : {"dnn.linears.0.weight", "dnn.linears.1.weight"})
        for (double v : values(sd.at(w))) dnn += v * v;
      const double want = main + 0.7 * r.aux_loss.item() + 0.01 * emb + 0.02 * dnn;
      INFO(red << " " << scope);
      REQUIRE(m->loss(batch, r).item() == Approx(want).epsilon(1e-5));
      REQUIRE(m->regularization_loss(batch).item() == Approx(0.01 * emb + 0.02 * dnn).epsilon(1e-5));
    }
  }
}

TEST_CASE("models: predict is eval-mode, records no graph, changes no state, and runs on several threads",
          "[models]") {
  ModelOptions o = small_options("dien", "AUGRU");
  o.use_bn = true;
  o.att_activation = "dice";
  o.dnn_dropout = 0.5;
  auto m = make_model(o, small_features());
  Generator g(15);
  data::Batch batch = small_batch(g, {5, 0, 3, 1, 2, 4});
  m->train();
  train_step(*m, batch);  // moves the running statistics away from their initial values
  auto before = m->state_dict();
  std::map<std::string, std::vector<double>> snap;
  for (auto& [n, t] : before) snap[n] = values(t);
  Tensor ref = m->predict(batch);
  REQUIRE(m->is_training());
  REQUIRE_FALSE(ref.requires_grad());
  m->eval();
  REQUIRE(values(ref) == values(sigmoid(m->forward(batch).logits)));
  m->train();
  std::vector<std::vector<double>> got(4);
  std::vector<std::thread> th;
  for (int i = 0; i < 4; ++i)
    th.emplace_back([&, i] {
      for (int k = 0; k < 5; ++k) got[i] = values(m->predict(batch));
    });
  for (auto& t : th) t.join();
  for (auto& v : got) REQUIRE(v == values(ref));
  for (auto& [n, t] : m->state_dict()) {
    INFO(n);
    REQUIRE(values(t) == snap.at(n));
  }
}

TEST_CASE("models: options defaults, validation and JSON; config() rebuilds the model", "[models]") {
  ModelOptions din = ModelOptions::defaults("din");
  REQUIRE(din.att_activation == "dice");
  REQUIRE_FALSE(din.att_weight_normalization);
  REQUIRE(ModelOptions::defaults("dien").att_weight_normalization);
  REQUIRE(ModelOptions::defaults("dien").dnn_hidden_units == std::vector<int64_t>{256, 128});
  require_error([] { ModelOptions::defaults("wide"); }, {"ModelOptions", "wide"});
  ModelOptions bad = ModelOptions::defaults("dien");
  bad.gru_type = "LSTM";
  require_error([&] { bad.validate(); }, {"gru_type", "LSTM"});
  bad = ModelOptions::defaults("dien");
  bad.dnn_dropout = 1.0;
  require_error([&] { bad.validate(); }, {"dnn_dropout"});
  bad = ModelOptions::defaults("dien");
  bad.att_activation = "swish";
  require_error([&] { bad.validate(); }, {"att_activation", "swish"});
  require_error([] { ModelOptions::from_json(nlohmann::json{{"kind", "dien"}, {"gru_typ", "GRU"}}); }, {"gru_typ"});
  require_error([] { ModelOptions::from_json(nlohmann::json{{"alpha", "x"}}); }, {"alpha"});

  ModelOptions o = small_options("dien", "AGRU");
  o.network = "authors";
  o.use_bn = true;
  ModelOptions back = ModelOptions::from_json(o.to_json());
  REQUIRE(back.to_json() == o.to_json());
  REQUIRE(ModelOptions::from_json(nlohmann::json{{"kind", "din"}}).att_activation == "dice");

  auto m = make_model(o, small_features());
  auto m2 = make_model(m->config());
  m2->load_state_dict(m->state_dict());
  Generator g(17);
  data::Batch batch = small_batch(g, {5, 1, 0});
  REQUIRE(values(m->predict(batch)) == values(m2->predict(batch)));
}

TEST_CASE("models: DIN, base and the authors' network train; loss decreases on a fixed batch", "[models]") {
  for (const char* kind : {"din", "base", "dien"}) {
    ModelOptions o = small_options(kind, "AUGRU");
    if (std::string(kind) == "dien") o.network = "authors", o.use_bn = true, o.dnn_activation = "dice";
    auto m = make_model(o, small_features());
    Generator g(19);
    data::Batch batch = small_batch(g, {5, 0, 3, 1, 2, 4, 5, 2});
    AdamOptions ao;
    ao.lr = 0.01;
    Adam opt(m->named_parameters(), ao);
    double first = 0, last = 0;
    for (int step = 0; step < 30; ++step) {
      double l = train_step(*m, batch);
      opt.step();
      if (step == 0) first = l;
      last = l;
    }
    INFO(kind << " first " << first << " last " << last);
    REQUIRE(last < first);
  }
}

TEST_CASE("models: bad input names the problem", "[models]") {
  auto m = make_model(small_options("dien"), small_features());
  Generator g(21);
  data::Batch batch = small_batch(g, {2, 1});
  data::Batch missing = batch;
  missing.x.erase("neg_hist_item_id");
  // Prediction never reads the negatives (test_inference_semantics.cpp); training needs them.
  require_error([&] { m->run(missing, /*training=*/true); }, {"neg_hist_item_id"});
  data::Batch no_hist = batch;
  no_hist.x.erase("hist_cate_id");
  require_error([&] { m->predict(no_hist); }, {"hist_cate_id"});
  data::Batch out_of_range = batch;
  out_of_range.x["item_id"] = from_vector<int64_t>({1, 11});
  require_error([&] { m->predict(out_of_range); }, {"item_id"});
  ModelOptions o = small_options("dien");
  FeatureConfig no_neg = small_features();
  no_neg.features.erase(no_neg.features.begin() + 6, no_neg.features.begin() + 8);
  require_error([&] { make_model(o, no_neg); }, {"neg_hist_item_id"});
}

TEST_CASE("models: Module::to keeps every handle (CPU to CPU here)", "[models]") {
  auto m = make_model(small_options("dien"), small_features());
  auto before = m->state_dict();
  m->to(Device::cpu());
  REQUIRE(m->device() == Device::cpu());
  for (auto& [n, t] : m->state_dict()) REQUIRE(values(t) == values(before.at(n)));
  REQUIRE(m->config()["options"]["device"] == "cpu");
}

TEST_CASE("models: a regularization term whose weight is 0 is not computed", "[models]") {
  for (const auto& kind : {std::string("dien"), std::string("din"), std::string("base")}) {
    INFO(kind);
    ModelOptions o = small_options(kind, "AUGRU");
    o.l2_reg_embedding = 0;
    o.l2_reg_dnn = 0;
    auto m = make_model(o, small_features());
    Generator g(9);
    data::Batch batch = small_batch(g, {5, 0, 3, 1, 2});
    Tensor r = m->regularization_loss(batch);
    REQUIRE(r.item() == 0.0);
    REQUIRE_FALSE(r.requires_grad());  // no graph: nothing to back-propagate
    o.l2_reg_embedding = 1e-3;
    auto m2 = make_model(o, small_features());
    REQUIRE(m2->regularization_loss(batch).requires_grad());
  }
}
