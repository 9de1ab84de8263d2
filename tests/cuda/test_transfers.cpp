// SPDX-License-Identifier: MIT
// The CUDA backend's count of device-to-host copies (dien::cuda_device_to_host_copies: what a
// training step should not make; bench_train --device cuda reports it per step): host-to-device
// and device-to-device copies are not counted, every device-to-host copy is, once; host mirrors
// of ids and lengths (Tensor::set_host_mirror) read back without one; a training step makes none.
#include <cmath>

#include "kernels/dispatch.h"
#include "layers/embedding.h"
#include "models/predictor.h"
#include "models/trainer.h"
#include "tests/cpu/tiny_ctr_model.h"
#include "tests/cuda/model_util.h"
#include "tests/cuda/parity.h"

using namespace dien;

TEST_CASE("cuda: device-to-host copies are counted, the other directions are not", "[cuda][transfers]") {
  Generator g(41);
  const Tensor host = test::rand_tensor({7, 5}, g, DType::F32);
  const uint64_t n0 = cuda_device_to_host_copies();
  Tensor dev = host.to(Device::cuda(0));      // host to device
  Tensor dev2 = dev.clone();                  // device to device
  Tensor dev3 = dev2 * 2.0;                   // a kernel
  REQUIRE(cuda_device_to_host_copies() == n0);
  Tensor back = dev3.to(Device::cpu());       // device to host: one
  REQUIRE(cuda_device_to_host_copies() == n0 + 1);
  const double s = sum(dev3).item();          // one more (item reads the scalar)
  REQUIRE(cuda_device_to_host_copies() == n0 + 2);
  double want = 0;
  for (float v : back.to_vector<float>()) want += v;
  REQUIRE(s == Approx(want).epsilon(1e-5));
  std::vector<float> hv = host.to_vector<float>(), bv = back.to_vector<float>();
  for (size_t i = 0; i < hv.size(); ++i) REQUIRE(bv[i] == hv[i] * 2.f);
}

// Tensor::set_host_mirror: an integer device tensor made from host values keeps a copy of them, and
// reads back to the host (to(cpu), to_vector, and the same for its views) from that copy: no
// device-to-host copy. Batch::to and index_tensor set it; misuse is refused.
TEST_CASE("cuda: host mirrors of ids and lengths read back without a device copy", "[cuda][transfers]") {
  const std::vector<int64_t> ids = {4, 0, 7, 7, 2, 9};
  const Tensor idx = index_tensor(ids, Shape{2, 3}, Device::cuda(0));
  REQUIRE(idx.device() == Device::cuda(0));
  const uint64_t n0 = cuda_device_to_host_copies();
  REQUIRE(idx.to_vector<int64_t>() == ids);
  REQUIRE(idx.to(Device::cpu()).to_vector<int64_t>() == ids);
  REQUIRE(reshape(idx, {6}).to_vector<int64_t>() == ids);
  REQUIRE(reshape(idx.detach(), {3, 2}).to(Device::cpu()).to_vector<int64_t>() == ids);
  REQUIRE(cuda_device_to_host_copies() == n0);
  // The device holds the same values: a kernel reading it agrees.
  Tensor w = from_vector<float>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, Shape{10, 1}).to(Device::cuda(0));
  REQUIRE(embedding(w, idx).to(Device::cpu()).to_vector<float>() == std::vector<float>{4, 0, 7, 7, 2, 9});
  REQUIRE(cuda_device_to_host_copies() == n0 + 1);  // the float result: no mirror
  // A batch moved to the GPU: its integer columns carry mirrors, its float columns do not.
  data::Batch b;
  b.x["item"] = from_vector<int64_t>({3, 1, 2}, Shape{3});
  b.x["price"] = from_vector<float>({0.5f, 1.5f, 2.5f}, Shape{3});
  data::Batch gb = b.to(Device::cuda(0));
  const uint64_t n1 = cuda_device_to_host_copies();
  REQUIRE(gb.at("item").to_vector<int64_t>() == std::vector<int64_t>{3, 1, 2});
  REQUIRE(cuda_device_to_host_copies() == n1);
  REQUIRE(gb.at("price").to_vector<float>() == std::vector<float>{0.5f, 1.5f, 2.5f});
  REQUIRE(cuda_device_to_host_copies() == n1 + 1);
  // Misuse: a float tensor, a host tensor, a mirror of another shape.
  Tensor f = from_vector<float>({1, 2}, Shape{2}).to(Device::cuda(0));
  test::require_error([&] { f.set_host_mirror(from_vector<float>({1, 2}, Shape{2})); }, {"set_host_mirror", "integer"});
  Tensor h = from_vector<int64_t>({1, 2}, Shape{2});
  test::require_error([&] { h.set_host_mirror(h); }, {"set_host_mirror", "device tensor"});
  Tensor d = from_vector<int64_t>({1, 2, 3}, Shape{3}).to(Device::cuda(0));
  test::require_error([&] { d.set_host_mirror(h); }, {"set_host_mirror", "[2]"});
}

// The target: a whole training step (zero_grad, forward, the loss with its auxiliary and
// L2 terms, backward, the optimizer's step) makes no device-to-host copy, for every model kind;
// the ops' host-side checks of ids and lengths read the batch's mirrors. (fit() reads the losses
// and predictions of many steps at once: the next test.)
TEST_CASE("cuda: a training step makes no device-to-host copy", "[cuda][transfers][models]") {
  const std::string kinds[][2] = {{"dien", "AUGRU"}, {"dien", "GRU"}, {"din", ""}, {"base", ""}};
  for (const auto& k : kinds)
    for (bool sparse : {true, false}) {
      DYNAMIC_SECTION(k[0] << " " << k[1] << (sparse ? " row-sparse" : " dense") << " embedding gradients") {
        std::shared_ptr<CtrModel> m = test::small_model(k[0], k[1]);
        m->to(Device::cuda(0));
        set_embedding_grad(*m, sparse);
        auto opt = make_optimizer("adam", m->named_parameters(), 1e-2);
        m->train();
        Generator g(9);
        for (int step = 0; step < 2; ++step) {
          data::Batch batch = test::small_batch(g, {5, 0, 3, 1, 2, 4}).to(Device::cuda(0));
          const uint64_t n0 = cuda_device_to_host_copies();
          opt->zero_grad();
          ForwardResult r = m->forward(batch);
          Tensor loss = m->loss(batch, r);
          loss.backward();
          opt->step();
          INFO("step " << step);
          REQUIRE(cuda_device_to_host_copies() == n0);
          REQUIRE(std::isfinite(loss.item()));
        }
      }
    }
}

// fit() and predict() on a GPU read the device's losses and predictions 64 steps or batches at a
// time (and at the epoch's end, and when the progress line is drawn): 100 steps of a silent epoch
// are two reads of two copies each; 10 batches of predict() one copy. The results equal the
// CPU's, and a loss that is not finite still names its step.
TEST_CASE("cuda: fit and predict read the device a few times an epoch", "[cuda][transfers][models]") {
  const data::Dataset train = test::tiny_dataset(800, 21);
  FitOptions o;
  o.epochs = 1;
  o.batch_size = 8;
  o.lr = 0.02;
  o.verbose = 0;
  o.shuffle = false;
  test::TinyCtrModel cpu(test::tiny_options(), test::tiny_features()), gpu(test::tiny_options(), test::tiny_features());
  gpu.to(Device::cuda(0));
  const TrainerState want = fit(cpu, train, o);
  const uint64_t n0 = cuda_device_to_host_copies();
  const TrainerState got = fit(gpu, train, o);
  REQUIRE(cuda_device_to_host_copies() == n0 + 4);
  REQUIRE(got.global_step == 100);
  REQUIRE(got.history.at(0).train_objective == Approx(want.history.at(0).train_objective).epsilon(1e-4));
  REQUIRE(got.history.at(0).train_auc == Approx(want.history.at(0).train_auc).epsilon(1e-4));
  const uint64_t n1 = cuda_device_to_host_copies();
  const std::vector<float> p = predict(gpu, train, 80);
  REQUIRE(cuda_device_to_host_copies() == n1 + 1);
  const std::vector<float> q = predict(cpu, train, 80);
  REQUIRE(p.size() == q.size());
  for (size_t i = 0; i < p.size(); ++i) REQUIRE(p[i] == Approx(q[i]).margin(1e-4));
  data::Dataset bad = train;
  bad.columns["price"].values[300] = NAN;  // row 300: step 38 of 8-row batches in order
  test::require_error([&] { fit(gpu, bad, o); }, {"epoch 1 step 38: the loss is NaN"});
}

// dien::cuda_kernel_launches counts every kernel launch and cuBLAS GEMM call (bench_serve
// --device cuda reports them per request): one per elementwise op or GEMM, and a Predictor call
// makes the same number each time, with one device-to-host copy (the scores).
TEST_CASE("cuda: kernel launches are counted; a prediction makes the same number each time", "[cuda][transfers]") {
  Generator g(43);
  const Tensor a = test::rand_tensor({6, 5}, g, DType::F32).to(Device::cuda(0));
  const Tensor b = test::rand_tensor({5, 4}, g, DType::F32).to(Device::cuda(0));
  NoGradGuard no_grad;
  uint64_t n0 = cuda_kernel_launches();
  Tensor r = relu(a);
  REQUIRE(cuda_kernel_launches() == n0 + 1);
  n0 = cuda_kernel_launches();
  Tensor m = matmul(a, b);
  REQUIRE(cuda_kernel_launches() == n0 + 1);
  std::shared_ptr<CtrModel> model = test::small_model("dien", "AUGRU");
  model->to(Device::cuda(0));
  model->eval();
  Predictor pred(model);
  Generator bg(5);
  const data::Batch batch = test::small_batch(bg, {5, 0, 3, 1});
  std::vector<uint64_t> launches, copies;
  for (int call = 0; call < 3; ++call) {
    const uint64_t l0 = cuda_kernel_launches(), c0 = cuda_device_to_host_copies();
    std::vector<float> p = pred.predict(batch.to(Device::cuda(0)));
    REQUIRE(p.size() == 4);
    launches.push_back(cuda_kernel_launches() - l0);
    copies.push_back(cuda_device_to_host_copies() - c0);
  }
  INFO("launches per call " << launches[0]);
  REQUIRE(launches[0] > 10);
  REQUIRE(launches[1] == launches[0]);
  REQUIRE(launches[2] == launches[0]);
  REQUIRE(copies == std::vector<uint64_t>{1, 1, 1});
}
