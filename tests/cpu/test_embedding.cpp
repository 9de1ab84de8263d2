// SPDX-License-Identifier: MIT
// Embedding: gather forward and scatter-add backward kernels against naive loops (i32 and i64
// ids, repeated ids), the op's output shape S + [E] and weight gradient, and id errors.
#include "cpu/reference_nn.h"
#include "autograd/gradcheck.h"
#include "core/threads.h"
#include "kernels/dispatch.h"
#include "support/test_util.h"

using namespace dien;
using dien::test::poisoned;
using dien::test::rand_tensor;
using dien::test::values;
using namespace dien::test::nn;

namespace {

// Random ids in [0, V) of shape s and dtype dt (repeats are likely when n > V).
Tensor rand_ids(const Shape& s, int64_t V, Generator& g, DType dt) {
  std::vector<int64_t> v(static_cast<size_t>(s.numel()));
  for (auto& id : v) id = static_cast<int64_t>(g.randint(static_cast<uint64_t>(V)));
  return from_vector(v, s).to(dt);
}

std::vector<int64_t> id_values(const Tensor& ids) {
  std::vector<int64_t> out;
  for (double d : values(ids)) out.push_back(static_cast<int64_t>(d));
  return out;
}

}  // namespace

TEST_CASE("embedding: forward kernel gathers rows like a naive loop", "[embedding][cpu]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  auto idt = GENERATE(DType::I32, DType::I64);
  auto ve = GENERATE(values<std::vector<int64_t>>({{1, 1}, {1, 5}, {10, 1}, {7, 3}, {33, 8}}));
  auto n = GENERATE(1, 9, 65);
  const int64_t V = ve[0], E = ve[1];
  INFO("V=" << V << " E=" << E << " n=" << n << " " << dtype_name(dt) << " ids " << dtype_name(idt));
  Generator g(21);
  Tensor w = rand_tensor({V, E}, g, dt);
  Tensor ids = rand_ids({n}, V, g, idt);
  Tensor out = poisoned({n, E}, dt);
  backend_for(Device::cpu()).embedding_forward(w, ids, out);
  auto wv = values(w);
  auto iv = id_values(ids);
  std::vector<double> ref;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < E; ++k) ref.push_back(wv[iv[i] * E + k]);
  REQUIRE_CLOSE(out, ref, 0, 0);
}

TEST_CASE("embedding: backward kernel accumulates repeated ids into gw", "[embedding][cpu]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  auto idt = GENERATE(DType::I32, DType::I64);
  auto ve = GENERATE(values<std::vector<int64_t>>({{1, 1}, {3, 4}, {7, 1}, {5, 9}}));
  const int64_t V = ve[0], E = ve[1], n = 17;  // n > V: ids repeat
  INFO("V=" << V << " E=" << E << " " << dtype_name(dt) << " ids " << dtype_name(idt));
  Generator g(22);
  Tensor gy = rand_tensor({n, E}, g, dt);
  Tensor ids = rand_ids({n}, V, g, idt);
  Tensor gw = rand_tensor({V, E}, g, dt);  // initialised: the kernel must add, not overwrite
  std::vector<double> ref = values(gw);
  auto gv = values(gy);
  auto iv = id_values(ids);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < E; ++k) ref[iv[i] * E + k] += gv[i * E + k];
  backend_for(Device::cpu()).embedding_backward(gy, ids, gw);
  REQUIRE_CLOSE(gw, ref, rtol_for(dt), atol_for(dt));
}

TEST_CASE("embedding: backward kernel on several threads adds each row in position order (bit-equal)",
          "[embedding][cpu][threads]") {
  // Large enough to run on the pool (threads own ranges of table rows): every row's sum keeps the
  // serial order, so 1, 2 and 3 threads give the serial loop's bits.
  Generator g(23);
  const int64_t V = 101, E = 36, n = 5000;
  Tensor gy = rand_tensor({n, E}, g, DType::F32);
  Tensor ids = rand_ids({n}, V, g, DType::I64);
  Tensor init = rand_tensor({V, E}, g, DType::F32);
  std::vector<float> ref = init.to_vector<float>();
  const std::vector<float> gv = gy.to_vector<float>();
  const auto iv = id_values(ids);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < E; ++k) ref[static_cast<size_t>(iv[i] * E + k)] += gv[static_cast<size_t>(i * E + k)];
  for (int threads : {1, 2, 3}) {
    ThreadScope scope(threads);
    Tensor gw = init.clone();
    backend_for(Device::cpu()).embedding_backward(gy, ids, gw);
    INFO("threads " << threads);
    REQUIRE(gw.to_vector<float>() == ref);
  }
}

TEST_CASE("embedding: the op returns S + [E] and its weight gradient scatters", "[embedding][cpu]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  auto ids_dims = GENERATE(values<std::vector<int64_t>>({{}, {1}, {6}, {2, 3}, {1, 1, 5}, {3, 1, 4}}));
  Shape s(ids_dims);
  const int64_t V = 4, E = 3;
  INFO("ids shape " << s.str() << " " << dtype_name(dt));
  Generator g(23);
  Tensor w = rand_tensor({V, E}, g, dt).set_requires_grad();
  Tensor ids = rand_ids(s, V, g, DType::I64);
  Tensor out = embedding(w, ids);
  std::vector<int64_t> want = ids_dims;
  want.push_back(E);
  REQUIRE(out.shape() == Shape(want));
  auto wv = values(w);
  auto iv = id_values(ids);
  std::vector<double> ref;
  for (int64_t id : iv)
    for (int64_t k = 0; k < E; ++k) ref.push_back(wv[id * E + k]);
  REQUIRE_CLOSE(out, ref, 0, 0);

  Tensor gy = rand_tensor(out.shape(), g, dt);
  out.backward(gy);
  std::vector<double> gw_ref(V * E, 0.0);
  auto gv = values(gy);
  for (size_t i = 0; i < iv.size(); ++i)
    for (int64_t k = 0; k < E; ++k) gw_ref[iv[i] * E + k] += gv[i * E + k];
  REQUIRE_CLOSE(w.grad(), gw_ref, rtol_for(dt), atol_for(dt));
}

TEST_CASE("embedding: misuse names the op, the id and the shapes", "[embedding][cpu]") {
  Generator g(24);
  Tensor w = rand_tensor({10, 4}, g, DType::F32);
  Tensor bad = from_vector<int64_t>({1, 2, 3, 4, 5, 12, 0}, {7});
  dien::test::require_error([&] { embedding(w, bad); },
                            {"embedding: id 12 at position 5 is outside the vocabulary [0, 10) of weight [10, 4] f32 cpu"});
  Tensor neg = from_vector<int32_t>({0, -1}, {1, 2});
  dien::test::require_error([&] { embedding(w, neg); }, {"embedding", "id -1", "position 1", "[0, 10)"});
  Tensor fids = from_vector<float>({1, 2}, {2});
  dien::test::require_error([&] { embedding(w, fids); }, {"embedding", "i32 or i64", "[2] f32 cpu"});
  dien::test::require_error([&] { embedding(rand_tensor({10}, g, DType::F32), from_vector<int64_t>({1}, {1})); },
                            {"embedding", "[V, E]", "[10] f32 cpu"});
}

TEST_CASE("gather_rows: distinct rows, gradient written once per row (zeros elsewhere); gradcheck; repeats refused",
          "[embedding][cpu]") {
  Generator g(24);
  const int64_t V = 40, E = 7;
  const std::vector<int64_t> rows{5, 0, 39, 12, 13, 2};
  const Tensor idx = from_vector<int64_t>(rows, Shape{6});
  for (DType dt : {DType::F32, DType::F64}) {
    Tensor m = rand_tensor({V, E}, g, dt).set_requires_grad();
    Tensor gy = rand_tensor({6, E}, g, dt);
    Tensor y = gather_rows(m, idx);
    REQUIRE_CLOSE(y, values(embedding(m.detach(), idx)), 0, 0);
    sum(mul(y, gy)).backward();
    std::vector<double> want(static_cast<size_t>(V * E), 0.0);
    const std::vector<double> gv = values(gy);
    for (size_t i = 0; i < rows.size(); ++i)
      for (int64_t k = 0; k < E; ++k) want[static_cast<size_t>(rows[i] * E + k)] = gv[i * E + k];
    REQUIRE_CLOSE(m.grad(), want, 0, 0);
    // The CPU kernel against Backend's default (fill 0, scatter), on a poisoned output.
    Tensor a = poisoned({V, E}, dt), b = poisoned({V, E}, dt);
    backend_for(Device::cpu()).gather_rows_backward(gy, idx, a);
    backend_for(Device::cpu()).Backend::gather_rows_backward(gy, idx, b);
    REQUIRE_CLOSE(a, values(b), 0, 0);
  }
  Tensor m64 = rand_tensor({V, E}, g).set_requires_grad();
  const GradcheckResult r = gradcheck([&](const TensorList& in) { return gather_rows(in[0], idx); }, {m64});
  INFO(r.summary());
  REQUIRE(r.ok);
  dien::test::require_error([&] { gather_rows(m64, from_vector<int64_t>({3, 4, 3}, Shape{3})); },
                            {"gather_rows", "rows[2] = 3", "repeats"});
  dien::test::require_error([&] { gather_rows(m64, from_vector<int64_t>({40}, Shape{1})); },
                            {"gather_rows", "rows[0] = 40", "[0, 40)"});
}
