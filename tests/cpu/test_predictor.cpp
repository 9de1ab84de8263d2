// SPDX-License-Identifier: MIT
// models/predictor.h: equal to model.predict, the same from 8 threads at once, no fresh
// allocations after warm-up, no graph.
#include <catch2/catch.hpp>
#include <numeric>
#include <thread>

#include "autograd/grad_mode.h"
#include "models/predictor.h"
#include "support/test_util.h"
#include "tiny_ctr_model.h"

using namespace dien;
using dien::test::TinyCtrModel;

namespace {
std::vector<data::Batch> batches(const data::Dataset& d, int64_t size) {
  std::vector<int64_t> order(static_cast<size_t>(d.rows()));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::vector<data::Batch> out;
  for (int64_t b = 0; b < d.rows(); b += size) out.push_back(d.gather(order, b, std::min(d.rows(), b + size)));
  return out;
}
}  // namespace

TEST_CASE("predictor: equals model.predict and builds no graph", "[predictor][cpu]") {
  auto m = std::make_shared<TinyCtrModel>(test::tiny_options(), test::tiny_features());
  Predictor pred(m);
  auto bs = batches(test::tiny_dataset(300, 31), 64);
  REQUIRE(grad_enabled());
  for (const auto& b : bs) {
    Tensor direct = m->predict(b);
    REQUIRE(direct.grad_fn() == nullptr);
    REQUIRE(!direct.requires_grad());
    REQUIRE(pred.predict(b) == direct.to_vector<float>());
    std::vector<float> buf(static_cast<size_t>(b.size()) + 3, -1.f);
    pred.predict(b, buf.data(), buf.size());
    REQUIRE(std::vector<float>(buf.begin(), buf.begin() + b.size()) == direct.to_vector<float>());
    REQUIRE(buf.back() == -1.f);  // nothing written past the batch
  }
  REQUIRE(grad_enabled());  // the predictor's NoGradGuard is gone
  for (const auto& t : m->parameters()) REQUIRE(!t.grad().defined());
  std::vector<float> small(3);
  dien::test::require_error([&] { pred.predict(bs[0], small.data(), small.size()); },
                            {"Predictor::predict", "holds 3 floats", "64 rows"});
}

TEST_CASE("predictor: calls record no graph even when the model's predict would", "[predictor][cpu]") {
  auto m = std::make_shared<test::UngardedTinyModel>(test::tiny_options(), test::tiny_features());
  auto bs = batches(test::tiny_dataset(100, 34), 50);
  m->predict(bs[0]);  // grad mode on, no guard: this output has a graph
  REQUIRE(m->outputs_with_graph == 1);
  Predictor pred(m);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (const auto& b : bs) pred.predict(b);
    });
  for (auto& th : threads) th.join();
  REQUIRE(m->outputs_with_graph == 1);  // none of the predictor's calls made one
  REQUIRE(grad_enabled());
}

TEST_CASE("predictor: 8 threads at once give the serial results", "[predictor][cpu]") {
  auto m = std::make_shared<TinyCtrModel>(test::tiny_options(), test::tiny_features());
  Predictor pred(m);
  auto bs = batches(test::tiny_dataset(1000, 32), 37);
  std::vector<std::vector<float>> serial;
  for (const auto& b : bs) serial.push_back(m->predict(b).to_vector<float>());
  constexpr int kThreads = 8, kRounds = 20;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r)
        for (size_t i = 0; i < bs.size(); ++i) {
          size_t k = (i + static_cast<size_t>(t) * 5) % bs.size();  // threads start at different batches
          if (pred.predict(bs[k]) != serial[k]) ++mismatches[t];
        }
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) REQUIRE(mismatches[t] == 0);
  REQUIRE(pred.workspaces() >= 1);
  REQUIRE(pred.workspaces() <= kThreads);
}

TEST_CASE("predictor: after warm-up, calls take every block from the cache", "[predictor][cpu]") {
  auto m = std::make_shared<TinyCtrModel>(test::tiny_options(), test::tiny_features());
  Predictor pred(m);
  auto bs = batches(test::tiny_dataset(256, 33), 64);
  for (const auto& b : bs) pred.predict(b);  // warm-up: one shape
  Workspace::Stats warm = pred.workspace_stats();
  REQUIRE(warm.fresh > 0);
  for (int r = 0; r < 10; ++r)
    for (const auto& b : bs) pred.predict(b);
  Workspace::Stats after = pred.workspace_stats();
  REQUIRE(after.fresh == warm.fresh);
  REQUIRE(after.reused > warm.reused);
  REQUIRE(after.returned - warm.returned == after.reused - warm.reused);  // every block came back
  REQUIRE(pred.workspaces() == 1);
}
