// SPDX-License-Identifier: MIT
// A model trained on the CPU loads and predicts on CUDA and back: checkpoint -> load -> to(cuda)
// -> predict equals the CPU predictions; a training step on CUDA, then to(cpu), predicts what
// CUDA predicted. Every model kind and DIEN gru_type.
#include <cmath>
#include <filesystem>

#include "layers/embedding.h"
#include "models/checkpoint.h"
#include "models/predictor.h"
#include "models/trainer.h"
#include "tests/cuda/model_util.h"
#include "tests/cuda/parity.h"

using namespace dien;

namespace {

void require_near(const std::vector<float>& a, const std::vector<float>& b, double tol) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("row " << i << ": " << a[i] << " vs " << b[i]);
    REQUIRE(std::isfinite(a[i]));
    REQUIRE(std::fabs(a[i] - b[i]) <= tol);
  }
}

}  // namespace

TEST_CASE("cuda: a CPU-trained model predicts the same on CUDA and back", "[models][cuda]") {
  const Device gpu = Device::cuda(0);
  const std::string kinds[][2] = {{"dien", "GRU"}, {"dien", "AIGRU"}, {"dien", "AGRU"}, {"dien", "AUGRU"},
                                  {"din", ""},     {"base", ""}};
  for (const auto& k : kinds) {
    DYNAMIC_SECTION(k[0] << " " << k[1]) {
      std::shared_ptr<CtrModel> m = test::small_model(k[0], k[1]);
      Generator g(7);
      data::Batch batch = test::small_batch(g, {5, 0, 3, 1, 2, 4});
      // one CPU training step so that the weights are not the initial ones
      auto opt = make_optimizer("adam", m->named_parameters(), 1e-2);
      m->train();
      ForwardResult r = m->forward(batch);
      m->loss(batch, r).backward();
      opt->step();
      const std::vector<float> cpu = m->predict(batch).to_vector<float>();

      const auto dir = std::filesystem::temp_directory_path() / ("dien_cuda_roundtrip_" + k[0] + k[1]);
      save_checkpoint(dir.string(), *m);
      std::shared_ptr<CtrModel> loaded = load_model(dir.string());
      loaded->to(gpu);
      REQUIRE(loaded->device() == gpu);
      data::Batch gb = batch.to(gpu);
      const std::vector<float> on_gpu = loaded->predict(gb).to(Device::cpu()).to_vector<float>();
      require_near(on_gpu, cpu, 1e-5);
      Predictor pred(loaded);
      require_near(pred.predict(gb), cpu, 1e-5);

      // a training step on the GPU, then back to the CPU
      auto gopt = make_optimizer("adam", loaded->named_parameters(), 1e-2);
      loaded->train();
      ForwardResult gr = loaded->forward(gb);
      loaded->loss(gb, gr).backward();
      gopt->step();
      const std::vector<float> after_gpu = loaded->predict(gb).to(Device::cpu()).to_vector<float>();
      loaded->to(Device::cpu());
      REQUIRE(loaded->device() == Device::cpu());
      require_near(loaded->predict(batch).to_vector<float>(), after_gpu, 1e-5);
      std::filesystem::remove_all(dir);
    }
  }
}

// dien::set_deterministic(true) (`dien train --deterministic`): the GPU's embedding backward and
// the row-sparse gradients' merges run order-fixed instead of with atomics, so two runs of the same
// training steps give the same parameters bit for bit; with row-sparse and dense embedding
// gradients.
TEST_CASE("cuda: deterministic training steps give the same bits twice", "[models][cuda]") {
  const Device gpu = Device::cuda(0);
  set_deterministic(true);
  for (bool sparse : {true, false}) {
    DYNAMIC_SECTION((sparse ? "row-sparse" : "dense") << " embedding gradients") {
      auto run = [&] {
        std::shared_ptr<CtrModel> m = test::small_model("dien", "AUGRU");
        m->to(gpu);
        set_embedding_grad(*m, sparse);
        auto opt = make_optimizer("adam", m->named_parameters(), 1e-2);
        m->train();
        Generator g(9);
        for (int step = 0; step < 3; ++step) {
          data::Batch batch = test::small_batch(g, {5, 0, 3, 1, 2, 4}).to(gpu);
          opt->zero_grad();
          ForwardResult r = m->forward(batch);
          m->loss(batch, r).backward();
          opt->step();
        }
        std::vector<std::vector<double>> params;
        for (const auto& [name, t] : m->named_parameters())
          params.push_back(t.detach().to(Device::cpu()).to(DType::F64).to_vector<double>());
        return params;
      };
      const auto a = run(), b = run();
      REQUIRE(a.size() == b.size());
      for (size_t i = 0; i < a.size(); ++i) REQUIRE(a[i] == b[i]);
    }
  }
  set_deterministic(false);
}
