// SPDX-License-Identifier: MIT
// CPU-vs-CUDA parity of the nn kernels of kernels/cuda/{activation,embedding,dropout,batch_norm,
// loss,sequence}.cu called directly through the backends, on identical inputs (the GPU gets
// copies). Only host<->device copies are used besides the kernel under test, so a failure here
// points at that kernel, not at the elementwise/reduce kernels that the op-level tests
// (test_parity_nn_ops.cpp) also run. Covers the paths the ops never take: accumulating
// (beta_w = 1, embedding into an initialised gw), null gradient outputs, null running stats.
// Outputs start NaN-poisoned on both sides, so an element left unwritten fails.
// Runs only where a GPU exists.
#include <cstdint>
#include <string>
#include <vector>

#include "tests/cuda/parity.h"

using namespace dien;
using dien::test::poisoned;
using dien::test::DeterministicScope;
using dien::test::rand_tensor;

namespace {

const Device kGpu = Device::cuda(0);

double rtol_for(DType dt) { return dt == DType::F32 ? 1e-5 : 1e-12; }
double atol_for(DType dt) { return dt == DType::F32 ? 1e-6 : 1e-12; }
// Embedding backward with atomics: sums of hundreds of rows in an arbitrary order. Seen on an
// H200: 2.3e-5 absolute (380 f32 ulps) for ~500 rows of [-1, 1] values summing to ~0.3.
double atomic_rtol(DType dt) { return dt == DType::F32 ? 1e-4 : 1e-11; }
double atomic_atol(DType dt) { return dt == DType::F32 ? 2e-4 : 1e-11; }

Backend& cpu() { return backend_for(Device::cpu()); }
Backend& gpu() { return backend_for(kGpu); }

// A NaN-poisoned (integers: sentinel) output on the CPU and its copy on the GPU.
struct OutPair {
  Tensor c, g;
  OutPair(const Shape& s, DType dt) : c(poisoned(s, dt)), g(poisoned(s, dt).to(kGpu)) {}
};

Tensor ids_tensor(const std::vector<int64_t>& v, DType idt) {
  return from_vector(v, {static_cast<int64_t>(v.size())}).to(idt);
}

// Random ids in [0, V); with `pad`, every other id is 0 (a long run of one id, like padding).
std::vector<int64_t> rand_id_values(int64_t n, int64_t V, Generator& g, bool pad) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    v[i] = pad && i % 2 == 0 ? 0 : static_cast<int64_t>(g.randint(static_cast<uint64_t>(V)));
  if (n > 1) v[n - 1] = V - 1;
  return v;
}


}  // namespace

// ---- prelu -------------------------------------------------------------------------

TEST_CASE("cuda kernels: prelu forward and backward, accumulate and null outputs", "[activation][cuda][kernel]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  // {9000, 7}: more than 256 chunks of 32 rows in the weight-gradient reduction; {3, 100}: a
  // shared weight summed over several column tiles.
  auto dims = GENERATE(values<std::vector<int64_t>>({{1}, {7}, {1, 1}, {33, 65}, {127, 1}, {2, 7, 33}, {3, 100},
                                                     {9000, 7}}));
  auto shared = GENERATE(false, true);
  Shape s(dims);
  INFO("x " << s.str() << " " << dtype_name(dt) << (shared ? " shared w" : " per-channel w"));
  Generator g(301);
  Tensor x = rand_tensor(s, g, dt), gy = rand_tensor(s, g, dt);
  Tensor w = rand_tensor({shared ? 1 : s.back()}, g, dt, 0.05, 0.5);
  Tensor gw0 = rand_tensor(w.shape(), g, dt);
  const Tensor xg = x.to(kGpu), wg = w.to(kGpu), gyg = gy.to(kGpu);

  OutPair y(s, dt);  // one product per element on both sides: exact
  cpu().prelu_forward(x, w, y.c);
  gpu().prelu_forward(xg, wg, y.g);
  REQUIRE_CLOSE(y.g, y.c, 0.0, 0.0);

  OutPair gx(s, dt), gw(w.shape(), dt);  // beta_w = 0: gw is overwritten (starts NaN)
  cpu().prelu_backward(x, w, gy, &gx.c, &gw.c, 0.0);
  gpu().prelu_backward(xg, wg, gyg, &gx.g, &gw.g, 0.0);
  REQUIRE_CLOSE(gx.g, gx.c, 0.0, 0.0);
  REQUIRE_CLOSE(gw.g, gw.c, rtol_for(dt), atol_for(dt));

  Tensor acc_c = gw0.clone(), acc_g = gw0.to(kGpu);  // beta_w = 1, gx null
  cpu().prelu_backward(x, w, gy, nullptr, &acc_c, 1.0);
  gpu().prelu_backward(xg, wg, gyg, nullptr, &acc_g, 1.0);
  REQUIRE_CLOSE(acc_g, acc_c, rtol_for(dt), atol_for(dt));

  OutPair gx_only(s, dt);  // gw null
  gpu().prelu_backward(xg, wg, gyg, &gx_only.g, nullptr, 0.0);
  REQUIRE_CLOSE(gx_only.g, gx.c, 0.0, 0.0);
}

// ---- embedding -----------------------------------------------------------------------

TEST_CASE("cuda kernels: embedding forward gathers and backward adds into an initialised gw",
          "[embedding][cuda][kernel]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  auto idt = GENERATE(DType::I32, DType::I64);
  auto deterministic = GENERATE(false, true);
  // {V, E, n, pad}: one id; a one-wide table; heavy repeats; a long run of id 0.
  auto cfg = GENERATE(values<std::vector<int64_t>>({{5, 7, 1, 0}, {3, 1, 9, 0}, {7, 33, 130, 0}, {127, 65, 508, 0},
                                                    {33, 65, 1000, 1}, {1000, 16, 3001, 1}}));
  const int64_t V = cfg[0], E = cfg[1], n = cfg[2];
  INFO("V=" << V << " E=" << E << " n=" << n << " " << dtype_name(dt) << " ids " << dtype_name(idt)
            << (deterministic ? " deterministic" : " atomic"));
  Generator g(302);
  Tensor w = rand_tensor({V, E}, g, dt), gy = rand_tensor({n, E}, g, dt), gw0 = rand_tensor({V, E}, g, dt);
  Tensor ids = ids_tensor(rand_id_values(n, V, g, cfg[3] != 0), idt);
  const Tensor idg = ids.to(kGpu);

  OutPair out({n, E}, dt);
  cpu().embedding_forward(w, ids, out.c);
  gpu().embedding_forward(w.to(kGpu), idg, out.g);
  REQUIRE_CLOSE(out.g, out.c, 0.0, 0.0);

  DeterministicScope scope(deterministic);
  Tensor gw_c = gw0.clone();
  cpu().embedding_backward(gy, ids, gw_c);
  auto run_gpu = [&] {
    Tensor gw_g = gw0.to(kGpu);
    gpu().embedding_backward(gy.to(kGpu), idg, gw_g);
    return gw_g;
  };
  Tensor first = run_gpu();
  // Deterministic: each id's rows added in position order onto the same start, exactly the
  // CPU's loop, so bit-identical, and identical from run to run. Atomics add in any order.
  if (deterministic) {
    REQUIRE_CLOSE(first, gw_c, 0.0, 0.0);
    REQUIRE_CLOSE(run_gpu(), first, 0.0, 0.0);
  } else {
    REQUIRE_CLOSE(first, gw_c, atomic_rtol(dt), atomic_atol(dt));
  }
}

// ---- dropout -------------------------------------------------------------------------

TEST_CASE("cuda kernels: dropout_mask matches the CPU bit for bit at any offset", "[dropout][cuda][kernel]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  auto n = GENERATE(int64_t{1}, int64_t{3}, int64_t{4}, int64_t{5}, int64_t{127}, int64_t{100003});
  auto offset = GENERATE(uint64_t{0}, uint64_t{5}, uint64_t{1} << 40, ~uint64_t{0} - 2);  // the last wraps
  auto p = GENERATE(0.0, 0.3, 1.0);
  const uint64_t seed = 0x123456789abcdefull;
  INFO("n=" << n << " " << dtype_name(dt) << " offset=" << offset << " p=" << p);
  OutPair m({n}, dt);
  cpu().dropout_mask(m.c, p, seed, offset);
  gpu().dropout_mask(m.g, p, seed, offset);
  REQUIRE_CLOSE(m.g, m.c, 0.0, 0.0);
}

// ---- batch_norm ----------------------------------------------------------------------

TEST_CASE("cuda kernels: batch_norm forward and backward, every optional tensor present or null",
          "[batch_norm][cuda][kernel]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  // {9000, 3}: more than 256 chunks; {40, 70}: three column tiles, the last partial.
  auto nc = GENERATE(values<std::vector<int64_t>>({{2, 1}, {1, 3}, {7, 33}, {65, 7}, {127, 65}, {40, 70}, {9000, 3}}));
  auto training = GENERATE(true, false);
  auto affine = GENERATE(false, true);
  auto running = GENERATE(true, false);  // false: null running stats (training only)
  const int64_t N = nc[0], C = nc[1];
  if (!training && !running) return;  // eval needs running statistics
  if (training && N == 1) return;     // the op forbids it
  INFO("x [" << N << ", " << C << "] " << dtype_name(dt) << (training ? " training" : " eval")
             << (affine ? " affine" : "") << (running ? " running stats" : " no running stats"));
  Generator g(303);
  Tensor x = rand_tensor({N, C}, g, dt, -1.0, 3.0), gy = rand_tensor({N, C}, g, dt);
  Tensor gamma = rand_tensor({C}, g, dt, 0.5, 1.5), beta = rand_tensor({C}, g, dt, -0.5, 0.5);
  Tensor rm = rand_tensor({C}, g, dt, -0.3, 0.3), rv = rand_tensor({C}, g, dt, 0.5, 1.5);
  const Tensor xg = x.to(kGpu), gyg = gy.to(kGpu), gammag = gamma.to(kGpu), betag = beta.to(kGpu);
  const double rtol = rtol_for(dt), atol = atol_for(dt);

  Tensor rm_c = rm.clone(), rv_c = rv.clone(), rm_g = rm.to(kGpu), rv_g = rv.to(kGpu);
  OutPair y({N, C}, dt), mean({C}, dt), invstd({C}, dt);
  cpu().batch_norm_forward(x, affine ? &gamma : nullptr, affine ? &beta : nullptr, running ? &rm_c : nullptr,
                           running ? &rv_c : nullptr, training, 0.1, 1e-5, y.c, mean.c, invstd.c);
  gpu().batch_norm_forward(xg, affine ? &gammag : nullptr, affine ? &betag : nullptr, running ? &rm_g : nullptr,
                           running ? &rv_g : nullptr, training, 0.1, 1e-5, y.g, mean.g, invstd.g);
  REQUIRE_CLOSE(y.g, y.c, rtol, atol);
  REQUIRE_CLOSE(mean.g, mean.c, rtol, atol);
  REQUIRE_CLOSE(invstd.g, invstd.c, rtol, atol);
  REQUIRE_CLOSE(rm_g, rm_c, rtol, atol);
  REQUIRE_CLOSE(rv_g, rv_c, rtol, atol);

  // Backward from the CPU's saved statistics on both sides (identical inputs).
  const Tensor mean_g = mean.c.to(kGpu), invstd_g = invstd.c.to(kGpu);
  auto backward = [&](bool want_gx, bool want_gamma, bool want_beta) {
    INFO("outputs:" << (want_gx ? " gx" : "") << (want_gamma ? " ggamma" : "") << (want_beta ? " gbeta" : ""));
    OutPair gx({N, C}, dt), gg({C}, dt), gb({C}, dt);
    cpu().batch_norm_backward(x, affine ? &gamma : nullptr, mean.c, invstd.c, gy, training, want_gx ? &gx.c : nullptr,
                              want_gamma ? &gg.c : nullptr, want_beta ? &gb.c : nullptr);
    gpu().batch_norm_backward(xg, affine ? &gammag : nullptr, mean_g, invstd_g, gyg, training,
                              want_gx ? &gx.g : nullptr, want_gamma ? &gg.g : nullptr, want_beta ? &gb.g : nullptr);
    if (want_gx) REQUIRE_CLOSE(gx.g, gx.c, rtol, atol);
    if (want_gamma) REQUIRE_CLOSE(gg.g, gg.c, rtol, atol);
    if (want_beta) REQUIRE_CLOSE(gb.g, gb.c, rtol, atol);
  };
  backward(true, true, true);
  backward(true, false, false);
  backward(false, true, true);
}

// ---- losses --------------------------------------------------------------------------

TEST_CASE("cuda kernels: bce and bce_logits forward and backward", "[loss][cuda][kernel]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  auto n = GENERATE(int64_t{1}, int64_t{7}, int64_t{127}, int64_t{2145});
  INFO("n=" << n << " " << dtype_name(dt));
  Generator g(304);
  const Shape s{n};
  Tensor p = rand_tensor(s, g, dt, 0.02, 0.98), t = rand_tensor(s, g, dt, 0.0, 1.0, 0.0);
  Tensor x = rand_tensor(s, g, dt, -30.0, 30.0), gl = rand_tensor(s, g, dt);
  const Tensor pg = p.to(kGpu), tg = t.to(kGpu), xg = x.to(kGpu), glg = gl.to(kGpu);
  const double rtol = rtol_for(dt), atol = atol_for(dt);
  for (double eps : {1e-7, 0.1}) {  // 0.1: some p are clamped (gradient 0 there)
    INFO("eps=" << eps);
    OutPair l(s, dt), gp(s, dt);
    cpu().bce_forward(p, t, eps, l.c);
    gpu().bce_forward(pg, tg, eps, l.g);
    REQUIRE_CLOSE(l.g, l.c, rtol, atol);
    cpu().bce_backward(p, t, eps, gl, gp.c);
    gpu().bce_backward(pg, tg, eps, glg, gp.g);
    REQUIRE_CLOSE(gp.g, gp.c, rtol, atol);
  }
  OutPair l(s, dt), gx(s, dt);
  cpu().bce_logits_forward(x, t, l.c);
  gpu().bce_logits_forward(xg, tg, l.g);
  REQUIRE_CLOSE(l.g, l.c, rtol, atol);
  cpu().bce_logits_backward(x, t, gl, gx.c);
  gpu().bce_logits_backward(xg, tg, glg, gx.g);
  REQUIRE_CLOSE(gx.g, gx.c, rtol, atol);
}

// ---- sequence_mask -------------------------------------------------------------------

TEST_CASE("cuda kernels: sequence_mask for every lengths/mask dtype pair", "[sequence][cuda][kernel]") {
  auto idt = GENERATE(DType::I32, DType::I64);
  auto mdt = GENERATE(DType::F32, DType::F64, DType::I32, DType::I64);
  auto bt = GENERATE(values<std::vector<int64_t>>({{1, 1}, {1, 7}, {7, 7}, {33, 65}, {5, 1}, {4, 0}}));
  const int64_t B = bt[0], T = bt[1];
  INFO("B=" << B << " T=" << T << " lengths " << dtype_name(idt) << " mask " << dtype_name(mdt));
  Generator g(305);
  std::vector<int64_t> len(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b)  // T, 0, random, T, 0, ...
    len[b] = b % 3 == 0 ? T : b % 3 == 1 ? 0 : static_cast<int64_t>(g.randint(static_cast<uint64_t>(T + 1)));
  if (B == 1 && T == 7) len[0] = 0;
  Tensor lengths = ids_tensor(len, idt);
  OutPair m({B, T}, mdt);
  cpu().sequence_mask(lengths, m.c);
  gpu().sequence_mask(lengths.to(kGpu), m.g);
  REQUIRE_CLOSE(m.g, m.c, 0.0, 0.0);
}
