// SPDX-License-Identifier: MIT
// CPU-vs-CUDA parity of the nn ops whose kernels live in kernels/cuda/activation.cu (prelu, and
// dice through batch_norm), embedding.cu (atomic and deterministic backward), dropout.cu,
// batch_norm.cu, loss.cu and sequence.cu: outputs, input gradients and running statistics, at
// odd sizes and size-1 dims, f32 (rtol 1e-5) and f64 (rtol 1e-12). These go through the ops,
// so they also need the elementwise/reduce CUDA kernels; test_parity_nn_kernels.cpp checks the
// same kernels called directly. Runs only where a GPU exists.
#include <cstdint>
#include <vector>

#include "tests/cuda/parity.h"

using namespace dien;
using dien::test::DeterministicScope;
using dien::test::rand_tensor;
using dien::test::require_parity;

namespace {

const Device kGpu = Device::cuda(0);

double rtol_for(DType dt) { return dt == DType::F32 ? 1e-5 : 1e-12; }
double atol_for(DType dt) { return dt == DType::F32 ? 1e-6 : 1e-12; }
// Embedding backward with atomics: sums of hundreds of rows in an arbitrary order. Seen on an
// H200: 2.3e-5 absolute (380 f32 ulps) for ~500 rows of [-1, 1] values summing to ~0.3.
double atomic_rtol(DType dt) { return dt == DType::F32 ? 1e-4 : 1e-11; }
double atomic_atol(DType dt) { return dt == DType::F32 ? 2e-4 : 1e-11; }

// A random leaf that requires grad (never zero; |x| >= min_abs).
Tensor leaf(const Shape& s, Generator& g, DType dt, double lo = -1.0, double hi = 1.0, double min_abs = 0.05) {
  Tensor t = rand_tensor(s, g, dt, lo, hi, min_abs);
  t.set_requires_grad();
  return t;
}


}  // namespace

// ---- prelu -------------------------------------------------------------------------

TEST_CASE("cuda parity: prelu with a per-channel and a shared weight", "[activation][cuda]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  // {9000, 7}: more than 256 chunks of 32 rows in the weight-gradient reduction.
  auto dims = GENERATE(values<std::vector<int64_t>>({{1}, {7}, {1, 1}, {33, 65}, {127, 1}, {2, 7, 33}, {9000, 7}}));
  auto shared = GENERATE(false, true);
  Shape s(dims);
  INFO("x " << s.str() << " " << dtype_name(dt) << (shared ? " shared w" : " per-channel w"));
  Generator g(201);
  Tensor x = leaf(s, g, dt), w = leaf({shared ? 1 : s.back()}, g, dt, 0.05, 0.5);
  require_parity([](const TensorList& in) { return TensorList{prelu(in[0], in[1])}; }, {x, w}, rtol_for(dt),
                 atol_for(dt));
  SECTION("only the weight requires grad (gx not computed)") {
    Tensor xc = x.detach();
    require_parity([](const TensorList& in) { return TensorList{prelu(in[0], in[1])}; }, {xc, w}, rtol_for(dt),
                   atol_for(dt));
  }
}

// ---- dice (batch_norm + elementwise ops) ---------------------------------------------

TEST_CASE("cuda parity: dice in training and eval, with and without gamma/beta", "[activation][cuda]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  auto dims = GENERATE(values<std::vector<int64_t>>({{2, 1}, {7, 33}, {65, 7}, {3, 7, 5}, {4, 33, 65}}));
  auto training = GENERATE(true, false);
  auto affine = GENERATE(false, true);
  Shape s(dims);
  const int64_t C = s.back();
  INFO("x " << s.str() << " " << dtype_name(dt) << (training ? " training" : " eval")
            << (affine ? " affine" : " no affine"));
  Generator g(203);
  Tensor x = leaf(s, g, dt, -2.0, 2.0), alpha = leaf({C}, g, dt, -0.5, 0.5);
  Tensor gamma = affine ? leaf({C}, g, dt, 0.5, 1.5) : Tensor();
  Tensor beta = affine ? leaf({C}, g, dt, -0.5, 0.5) : Tensor();
  Tensor rm = rand_tensor({C}, g, dt, -0.3, 0.3), rv = rand_tensor({C}, g, dt, 0.5, 1.5);
  // Outputs 1 and 2 are the running statistics after the call (updated in place in training).
  require_parity(
      [training](const TensorList& in) {
        Tensor m = in[4], v = in[5];
        Tensor y = dice(in[0], in[1], in[2], in[3], m, v, training);
        return TensorList{y, m, v};
      },
      {x, alpha, gamma, beta, rm, rv}, rtol_for(dt), atol_for(dt));
}

// ---- embedding -----------------------------------------------------------------------

namespace {

// ids of shape s and dtype idt: ids[i] = pick(i) (i64 on the host, cast on the CPU).
Tensor make_ids(const std::vector<int64_t>& v, const Shape& s, DType idt) { return from_vector(v, s).to(idt); }

// Random ids in [0, V); with `pad`, every other id is 0 (a long run of one id, like padding).
std::vector<int64_t> rand_id_values(int64_t n, int64_t V, Generator& g, bool pad) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    v[i] = pad && i % 2 == 0 ? 0 : static_cast<int64_t>(g.randint(static_cast<uint64_t>(V)));
  if (n > 1) v[n - 1] = V - 1;  // the last row of the table is always used
  return v;
}

}  // namespace

TEST_CASE("cuda parity: embedding forward and backward, atomic and deterministic", "[embedding][cuda]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  auto idt = GENERATE(DType::I32, DType::I64);
  auto deterministic = GENERATE(false, true);
  auto which = GENERATE(0, 1, 2, 3, 4);
  Generator g(204);
  int64_t V = 0, E = 0;
  Tensor ids;
  switch (which) {
    case 0: V = 5, E = 7, ids = make_ids({3}, {1}, idt); break;                                       // one id
    case 1: V = 1, E = 1, ids = make_ids({0, 0, 0}, {3, 1}, idt); break;                              // size-1 dims
    case 2: V = 7, E = 33, ids = make_ids(rand_id_values(130, 7, g, false), {2, 65}, idt); break;     // repeats
    case 3: V = 127, E = 65, ids = make_ids(rand_id_values(508, 127, g, false), {4, 127}, idt); break;
    default: V = 1000, E = 16, ids = make_ids(rand_id_values(3001, 1000, g, true), {3001}, idt); break;  // pad
  }
  INFO("V=" << V << " E=" << E << " ids " << ids.describe() << " " << dtype_name(dt)
            << (deterministic ? " deterministic" : " atomic"));
  Tensor w = leaf({V, E}, g, dt);
  DeterministicScope scope(deterministic);
  // The deterministic path adds each id's rows in position order from the same zeros, exactly
  // the CPU's loop, so its gradient must match bit for bit. Atomics add in any order: an f32 sum
  // of ~1500 rows (id 0 in case 4) then differs by many ulps, hence atomic_rtol/atol.
  const double rtol = deterministic ? 0.0 : atomic_rtol(dt), atol = deterministic ? 0.0 : atomic_atol(dt);
  require_parity([](const TensorList& in) { return TensorList{embedding(in[0], in[1])}; }, {w, ids}, rtol, atol);
}

// ---- dropout -------------------------------------------------------------------------

TEST_CASE("cuda parity: dropout draws the same mask on CPU and GPU", "[dropout][cuda]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  auto dims = GENERATE(values<std::vector<int64_t>>({{1}, {7}, {1, 1}, {33}, {65, 7}, {2, 127, 5}}));
  auto p = GENERATE(0.1, 0.5, 0.9, 1.0);
  Shape s(dims);
  INFO("x " << s.str() << " " << dtype_name(dt) << " p=" << p);
  Generator g(206);
  Tensor x = leaf(s, g, dt);
  // Generators with the same seed and offset on both sides; y = x * mask and gx = gy * mask are
  // single products of identical values, so everything must match exactly.
  require_parity(
      [p](const TensorList& in) {
        Generator gen(4321);
        gen.set_offset(5);
        return TensorList{dropout(in[0], p, true, gen)};
      },
      {x}, 0.0, 0.0);
}

// ---- batch_norm ----------------------------------------------------------------------

TEST_CASE("cuda parity: batch_norm in training and eval, affine or not, with running statistics", "[batch_norm][cuda]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  // {9000, 3}: more than 256 chunks of 32 rows in the column sums.
  auto nc = GENERATE(values<std::vector<int64_t>>({{2, 1}, {1, 3}, {7, 33}, {65, 7}, {127, 65}, {9000, 3}}));
  auto training = GENERATE(true, false);
  auto affine = GENERATE(false, true);
  auto x_grad = GENERATE(true, false);  // false: gx is not computed (null output)
  const int64_t N = nc[0], C = nc[1];
  if (training && N == 1) return;  // an error in training mode
  INFO("x [" << N << ", " << C << "] " << dtype_name(dt) << (training ? " training" : " eval")
             << (affine ? " affine" : " no affine") << (x_grad ? "" : ", x without grad"));
  Generator g(207);
  // Mean ~1: the variance pass must subtract a non-zero mean.
  Tensor x = rand_tensor({N, C}, g, dt, -1.0, 3.0);
  if (x_grad) x.set_requires_grad();
  Tensor gamma = affine ? leaf({C}, g, dt, 0.5, 1.5) : Tensor();
  Tensor beta = affine ? leaf({C}, g, dt, -0.5, 0.5) : Tensor();
  Tensor rm = rand_tensor({C}, g, dt, -0.3, 0.3), rv = rand_tensor({C}, g, dt, 0.5, 1.5);
  require_parity(
      [training](const TensorList& in) {
        Tensor m = in[3], v = in[4];
        Tensor y = batch_norm(in[0], in[1], in[2], m, v, training, 0.1, 1e-5);
        return TensorList{y, m, v};
      },
      {x, gamma, beta, rm, rv}, rtol_for(dt), atol_for(dt));
}

TEST_CASE("cuda parity: batch_norm in training without running statistics", "[batch_norm][cuda]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  Generator g(208);
  Tensor x = leaf({33, 7}, g, dt, -2.0, 2.0), gamma = leaf({7}, g, dt, 0.5, 1.5);
  require_parity(
      [](const TensorList& in) {
        Tensor m, v;  // undefined: no running update
        return TensorList{batch_norm(in[0], in[1], Tensor(), m, v, true)};
      },
      {x, gamma}, rtol_for(dt), atol_for(dt));
}

// ---- losses --------------------------------------------------------------------------

TEST_CASE("cuda parity: bce, bce_with_logits and mse for each reduction", "[loss][cuda]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  auto dims = GENERATE(values<std::vector<int64_t>>({{1}, {1, 1}, {7}, {127}, {33, 65}, {3, 1, 7}}));
  auto r = GENERATE(Reduction::None, Reduction::Mean, Reduction::Sum);
  Shape s(dims);
  INFO("shape " << s.str() << " " << dtype_name(dt) << " reduction " << static_cast<int>(r));
  Generator g(209);
  Tensor p = leaf(s, g, dt, 0.02, 0.98), t = rand_tensor(s, g, dt, 0.0, 1.0, 0.0);
  Tensor x = leaf(s, g, dt, -30.0, 30.0), a = leaf(s, g, dt), b = leaf(s, g, dt);
  SECTION("bce, p inside the clamp") {
    require_parity([r](const TensorList& in) { return TensorList{bce(in[0], in[1], r)}; }, {p, t}, rtol_for(dt),
                   atol_for(dt));
  }
  SECTION("bce, eps = 0.1: some p clamped (gradient 0 there)") {
    require_parity([r](const TensorList& in) { return TensorList{bce(in[0], in[1], r, 0.1)}; }, {p, t},
                   rtol_for(dt), atol_for(dt));
  }
  SECTION("bce_with_logits, |x| up to 30") {
    require_parity([r](const TensorList& in) { return TensorList{bce_with_logits(in[0], in[1], r)}; }, {x, t},
                   rtol_for(dt), atol_for(dt));
  }
  SECTION("mse, both arguments") {
    require_parity([r](const TensorList& in) { return TensorList{mse(in[0], in[1], r)}; }, {a, b}, rtol_for(dt),
                   atol_for(dt));
  }
}

// ---- sequence_mask -------------------------------------------------------------------

TEST_CASE("cuda parity: sequence_mask for every lengths/mask dtype pair, lengths 0 and T", "[sequence][cuda]") {
  auto idt = GENERATE(DType::I32, DType::I64);
  auto mdt = GENERATE(DType::F32, DType::F64, DType::I32, DType::I64);
  auto bt = GENERATE(values<std::vector<int64_t>>({{1, 1}, {1, 7}, {7, 7}, {33, 65}, {5, 1}, {4, 0}}));
  const int64_t B = bt[0], T = bt[1];
  INFO("B=" << B << " T=" << T << " lengths " << dtype_name(idt) << " mask " << dtype_name(mdt));
  Generator g(210);
  std::vector<int64_t> len(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b)
    len[b] = b % 3 == 0 ? T : b % 3 == 1 ? 0 : static_cast<int64_t>(g.randint(static_cast<uint64_t>(T + 1)));
  if (B == 1 && T == 7) len[0] = 0;  // a single empty sequence
  Tensor lengths = from_vector(len, {B}).to(idt);
  require_parity([T, mdt](const TensorList& in) { return TensorList{sequence_mask(in[0], T, mdt)}; }, {lengths},
                 0.0, 0.0);
}
