// SPDX-License-Identifier: MIT
// CPU-vs-CUDA parity of row-sparse embedding gradients and lazy optimizer updates: the
// embedding_scatter kernel (exact); the row-sparse gradient of several lookups of one table
// (rows equal; values bit-identical with dien::set_deterministic(true), whose scatter-add is the
// CPU's loop); lazy steps of every optimizer (parameters and state after every step, f32 rtol
// 1e-5, f64 1e-12; untouched rows unchanged on both). Runs only where a GPU exists.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "optim/optimizer.h"
#include "tests/cuda/parity.h"

using namespace dien;
using dien::test::DeterministicScope;
using dien::test::rand_tensor;

namespace {

const Device kGpu = Device::cuda(0);

Tensor ids_of(const std::vector<int64_t>& v, Device d = Device::cpu()) {
  return from_vector<int64_t>(v, Shape{static_cast<int64_t>(v.size())}).to(d);
}

using MakeOpt = std::function<std::unique_ptr<Optimizer>(NamedParameters)>;
template <class Opt, class Options>
MakeOpt maker(Options o) {
  return [o](NamedParameters p) { return std::make_unique<Opt>(std::move(p), o); };
}

}  // namespace

TEST_CASE("cuda kernels: embedding_scatter matches the CPU", "[embedding][cuda][kernel]") {
  const DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(401);
  Tensor dst = rand_tensor({50, 5}, g, dt), src = rand_tensor({4, 5}, g, dt);
  Tensor ids = ids_of({49, 0, 17, 3});
  Tensor dc = dst.clone(), dg = dst.to(kGpu);
  backend_for(Device::cpu()).embedding_scatter(src, ids, dc);
  backend_for(kGpu).embedding_scatter(src.to(kGpu), ids.to(kGpu), dg);
  REQUIRE_CLOSE(dg, dc, 0.0, 0.0);
}

TEST_CASE("cuda parity: row-sparse gradients of a shared table", "[embedding][cuda]") {
  const DType dt = GENERATE(DType::F32, DType::F64);
  DeterministicScope det(true);
  Generator g(402);
  Tensor w0 = rand_tensor({30, 4}, g, dt);
  Tensor c1 = rand_tensor({6, 4}, g, dt), c2 = rand_tensor({5, 4}, g, dt);
  const std::vector<int64_t> a = {3, 29, 3, 3, 0, 7}, b = {7, 7, 12, 3, 29};
  auto run = [&](Device d) {
    Tensor w = w0.to(d).detach().clone().set_requires_grad();
    w.set_row_sparse_grad();
    Tensor loss = sum(embedding(w, ids_of(a, d)) * c1.to(d)) + sum(embedding(w, ids_of(b, d)) * c2.to(d));
    loss.backward();
    return w;
  };
  Tensor wc = run(Device::cpu()), wg = run(kGpu);
  REQUIRE(wg.grad_rows()->rows == wc.grad_rows()->rows);
  REQUIRE(wg.grad_rows()->index.device() == kGpu);
  REQUIRE_CLOSE(wg.grad_rows()->values, wc.grad_rows()->values, 0.0, 0.0);
  REQUIRE_CLOSE(wg.grad(), wc.grad(), 0.0, 0.0);
}

TEST_CASE("cuda parity: lazy optimizer steps match the CPU", "[optim][cuda]") {
  const DType dt = GENERATE(DType::F32, DType::F64);
  const double tol = dt == DType::F32 ? 1e-5 : 1e-12;
  const std::vector<std::pair<std::string, MakeOpt>> cases = {
      {"sgd momentum dampening decay",
       maker<SGD>(SGDOptions{.lr = 0.05, .momentum = 0.9, .dampening = 0.3, .weight_decay = 0.02})},
      {"adam decay", maker<Adam>(AdamOptions{.lr = 0.02, .weight_decay = 0.05})},
      {"adagrad lr decay", maker<Adagrad>(AdagradOptions{.lr = 0.1, .lr_decay = 0.05})},
      {"rmsprop momentum", maker<RMSprop>(RMSpropOptions{.lr = 0.01, .momentum = 0.7})},
  };
  const std::vector<std::vector<int64_t>> steps = {{1, 4, 4, 7}, {0, 4, 8}, {}, {2, 2}};
  for (const auto& [label, make] : cases) {
    INFO(label << " " << dtype_name(dt));
    Generator g(403);
    Tensor w0 = rand_tensor({9, 3}, g, dt);
    Tensor wc = w0.clone().set_requires_grad(), wg = w0.to(kGpu).set_requires_grad();
    wc.set_row_sparse_grad();
    wg.set_row_sparse_grad();
    auto oc = make({{"emb", wc}}), og = make({{"emb", wg}});
    for (const auto& ids : steps) {
      Tensor c = rand_tensor({static_cast<int64_t>(ids.size()), 3}, g, dt);
      oc->zero_grad();
      og->zero_grad();
      sum(embedding(wc, ids_of(ids)) * c).backward();
      sum(embedding(wg, ids_of(ids, kGpu)) * c.to(kGpu)).backward();
      oc->step();
      og->step();
      REQUIRE_CLOSE(wg, wc, tol, tol);
      OptimizerState sc = oc->state_dict(), sg = og->state_dict();
      for (const auto& [key, t] : sc.tensors) {
        INFO("state " << key);
        REQUIRE_CLOSE(sg.tensors.at(key), t, tol, tol);
      }
    }
    REQUIRE(dien::test::values(wc)[5 * 3] == dien::test::values(w0)[5 * 3]);  // row 5: never touched
  }
}
