// SPDX-License-Identifier: MIT
// The vector kernels: the float32 loops a scoring session runs (serve/scorer.cpp) and the steps of
// the fused recurrent scan (kernels/cpu/rnn_scan.cpp), written once (kernels_impl.inc,
// scan_impl.inc) over GCC vector types and compiled once per instruction set
// (kernels_<isa>.cpp); the fastest one the CPU supports is picked at run time, so the default
// build runs AVX-512 or AVX2+FMA code where the CPU has it, without -march=native.
//
// Layout: every matrix is row-major with a row stride (ld) in floats; the N side of a product
// (output columns) is padded to a multiple of the kernel's vector width (`width`), and padded
// weight columns are zeros, so padded output columns hold finite junk or zeros that nothing
// reads as an input (inputs are read over their true K only).
//
// Determinism: each output element is computed by the same sequence of operations whatever M,
// the tile it falls in, or the thread that runs it: c = init, then c += a_k b_k for k = 0..K-1
// in order (fused multiply-adds where the instruction set has them). So one row scored alone
// equals the same row scored in a batch bit for bit, and a state advanced one step at a time
// equals one computed in one go (the user-state cache relies on this).
#pragma once
#include <cstdint>

namespace dien::isa {

// Sigmoid is the serving kernels' (1 + tanh(x/2)) / 2 (absolute error about 1e-7); Logistic is
// 1 / (1 + exp(-x)), the training path's float sigmoid (sigmoid_tanh kind 0), bit for bit.
enum class Act : uint8_t { Linear, Relu, Sigmoid, PRelu, Dice, Logistic };
enum class Cell : uint8_t { Gru, AugruPaper, AugruReference, Agru };

// Per-channel parameters of an activation: PRelu uses slope[0] (one shared weight, torch's
// nn.PReLU()); Dice (eval semantics) y = x (alpha + p (1 - alpha)), p = sigmoid(x scale + shift)
// with scale = gamma / sqrt(running_var + eps), shift = beta - running_mean scale.
struct ActParams {
  Act kind = Act::Linear;
  const float* slope = nullptr;  // PRelu: [1]
  const float* alpha = nullptr;  // Dice: [N padded]
  const float* scale = nullptr;  // Dice
  const float* shift = nullptr;  // Dice
};

// One step t of the fused scan for the M running rows of a row block (kernels/cpu/rnn_scan.cpp).
// Row m is the caller's sequence rows[m]; at step t its input projections (b_ih included, gates
// r | z | n) are gi + (rows[m] Tn + t) 3H, its new state goes to states + (rows[m] Tn + t) H and,
// when training (ws non-null), its gates r | g | n | hn to ws + m 4H (the caller points ws at the
// step's rows: kernels/cpu/rnn_scan_f32.cpp keeps them compact by block and step); att [B, Tn]
// holds the scores (AUGRU, AGRU) or is null. The block's running states h [M, Hp] and hidden
// projections gh [M, ld3] (gate blocks at 0, gs, 2gs, below) are padded buffers (Hp a multiple of
// width).
// gh rows (and gi_blk's) are ld3 floats apart with gate blocks at 0, gs, 2gs: gs = Hp (blocks
// padded one by one; ld3 = 3Hp) or gs = H (LinearBeforeReset: packed, ld3 = 3H rounded up to the
// width, lanes past a gate's H holding the next gate's values, which only padded lanes see).
// gi_blk (when non-null) replaces gi: the block's own projections of step t, row m at
// gi_blk + m ld3 (rnn_scan_forward_x computes them in cache).
struct ScanStep {
  const int64_t* rows;
  int64_t t, Tn, H, Hp, gs, ld3;
  const float* gi;
  const float* att;
  float* states;
  float* ws;
  const float* gi_blk = nullptr;
};
// The backward step t: dh = carry (rows that ran at t+1: m < m_after) or g_last, plus g_states;
// h_{t-1} from states (t > 0), h0 or 0; the saved gates of row m at ws + m 4H (as ScanStep's).
// Writes g_gi (or, when g_gi_blk is non-null, row m's at
// g_gi_blk + m 3H instead), g_att (when non-null).
struct ScanBack {
  const int64_t* rows;
  int64_t t, Tn, H, Hp;
  const float* att;
  const float* h0;
  const float* states;
  const float* ws;
  const float* g_states;
  const float* g_last;
  float* g_gi;
  float* g_att;
  float* g_gi_blk = nullptr;
};

struct Kernels {
  const char* isa;  // "avx512", "avx2", "generic"
  int width;        // floats per vector: N-side padding unit

  // C[M, N] = init + A[M, K] B[K, N]; init = C itself (accumulate), else bias[N] broadcast over
  // rows (bias may be null: 0). N is a multiple of width; lda >= K, ldb and ldc >= N.
  void (*gemm)(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
               int64_t ldc, const float* bias, bool accumulate);
  // C = act(init + bias + A B): init [M, N] (stride ldi; may be C itself) or null, bias [N] or
  // null, act or null; the same per-element order as gemm. Fuses the passes around a product.
  void (*gemm_ex)(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
                  int64_t ldc, const float* init, int64_t ldi, const float* bias, const ActParams* act);
  // x[M, N] (stride ld) = act(x) in place, N a multiple of width.
  void (*activate)(const ActParams& p, float* x, int64_t M, int64_t N, int64_t ld);
  // out[m] = dot(A[m, 0:K], w) + b for m < M (K any).
  void (*rowdot)(int64_t M, int64_t K, const float* A, int64_t lda, const float* w, float b, float* out);
  // In place over x[0:n]: softmax (max subtracted, the sum in double). n >= 0.
  void (*softmax)(float* x, int64_t n);
  // y[M, N] = x[M, N] * v[N] (v broadcast over rows), N a multiple of width.
  void (*mul_rows)(int64_t M, int64_t N, const float* x, int64_t ldx, const float* v, float* y, int64_t ldy);

  // One recurrent step for M rows of hidden size Hp (padded; gate blocks r | z | n at 0, Hp, 2Hp).
  // gi: input projections incl. b_ih, row m at gi + m * gi_ld (gi_ld 0: one row shared by all);
  //   aigru_scale (non-null): the projections are a[m] * gi_row + gi_bias (AIGRU's input a_t x_t,
  //   its projection taken once per user), with a[m] = aigru_scale[m * scale_ld].
  // gh: h W_hhᵀ + b_hh [M, 3Hp] (LinearBeforeReset) — for ResetBeforeLinear see the two below.
  // att[m * att_ld]: the attention score of row m (AUGRU, AGRU).
  // h [M, Hp] (stride h_ld) is updated in place.
  void (*gru_lbr)(Cell cell, int64_t M, int64_t Hp, const float* gi, int64_t gi_ld, const float* aigru_scale,
                  int64_t scale_ld, const float* gi_bias, const float* gh, int64_t gh_ld, const float* att,
                  int64_t att_ld, float* h, int64_t h_ld);
  // ResetBeforeLinear, phase 1: r, z gates into gh's r and z blocks (in place), rh = r ⊙ h.
  void (*gru_rbl_reset)(Cell cell, int64_t M, int64_t Hp, const float* gi, int64_t gi_ld, const float* aigru_scale,
                        int64_t scale_ld, const float* gi_bias, float* gh, int64_t gh_ld, const float* h,
                        int64_t h_ld, float* rh, int64_t rh_ld);
  // Phase 2, after the caller put hn = rh W_hnᵀ + b_hn into gh's n block: n = tanh(gi_n + hn),
  // then the cell update of h.
  void (*gru_rbl_update)(Cell cell, int64_t M, int64_t Hp, const float* gi, int64_t gi_ld, const float* aigru_scale,
                         int64_t scale_ld, const float* gi_bias, const float* gh, int64_t gh_ld, const float* att,
                         int64_t att_ld, float* h, int64_t h_ld);
  // The LinearBeforeReset step transposed, for many rows (candidates) at once: hT [H, ld] holds
  // candidate c in column c (N columns, a multiple of width), gh = W_hh hT + b_hh [3H, ld]; gi
  // the step's projections (gate blocks at 0, gi_hp, 2 gi_hp), one value per hidden unit shared
  // by every column; scale (AIGRU): a[c] * gi + gi_bias; att[c]: AGRU/AUGRU's score. Each
  // element gets the same operations as in gru_lbr, so both layouts agree bit for bit.
  void (*gru_lbr_cols)(Cell cell, int64_t H, int64_t N, int64_t ld, const float* gi, int64_t gi_hp, const float* scale,
                       const float* gi_bias, const float* gh, const float* att, float* hT);
  // C[j, 0:N] = v[j] for j < M.
  void (*fill_rows)(int64_t M, int64_t N, const float* v, float* C, int64_t ldc);

  // C[M, N] (+)= Aᵀ B, A [K, M] (row stride lda), B [K, N] (N a multiple of width): each element
  // summed over k in order.
  void (*gemm_tn)(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb,
                  float* C, int64_t ldc, bool accumulate);
  // The fused scan's forward step, given gh = h W_hhᵀ + b_hh (LinearBeforeReset): gates, cell
  // update of h, states and (training) ws.
  void (*scan_lbr)(Cell cell, const ScanStep& s, int64_t M, const float* gh, float* h);
  // ResetBeforeLinear: r and g into gh's first two blocks, rh [M, Hp] = r ⊙ h; then, with hn in
  // gh's third block, the rest of the step.
  void (*scan_rbl_reset)(Cell cell, const ScanStep& s, int64_t M, float* gh, const float* h, float* rh);
  void (*scan_rbl_update)(Cell cell, const ScanStep& s, int64_t M, const float* gh, float* h);
  // Backward step: from dh and the saved gates, g_gi, g_att, G [M, 3H] = dL/dgh (LinearBeforeReset
  // complete; ResetBeforeLinear without its r block), P [M, Hp] = h_{t-1}, next [M, Hp] = the
  // direct term of dL/dh_{t-1} (the caller adds G W_hh).
  void (*scan_back_cell)(Cell cell, bool lbr, const ScanBack& s, int64_t M, int64_t m_after, const float* carry,
                         float* next, float* G, float* P);
  // ResetBeforeLinear, given drh = G_n W_hn [M, Hp]: G's and g_gi's r block, RH = r ⊙ h_{t-1},
  // next += drh ⊙ r.
  void (*scan_back_rbl)(const ScanBack& s, int64_t M, const float* drh, const float* P, float* G, float* RH,
                        float* next);
  // y[0:n] = sigmoid(x) (kind 0) or tanh(x) (kind 1): the elementwise activations' float path.
  void (*sigmoid_tanh)(int kind, const float* x, float* y, int64_t n);
  // Eigen's float GEMM compiled for this instruction set (eigen_gemm.inc): c [M,N] (row stride
  // ldc) = alpha op(a) op(b) + beta c, op a transpose when ta / tb. Null for "generic", where the
  // baseline build's Eigen (kernels/cpu/matmul.cpp) is that GEMM.
  void (*sgemm)(const float* a, bool ta, const float* b, bool tb, float* c, int64_t M, int64_t N, int64_t K,
                float alpha, float beta, int64_t lda, int64_t ldb, int64_t ldc);
  // C[M, N] (row stride ldc) = act(init + bias + op(A) B), any N (the last partial vector of a row
  // is masked): init [M, N] (row stride ldi; may be C itself: accumulate) or null (0), bias [N] or
  // null; op(A) = A [M, K] (lda), or with ta its transpose (A [K, M], lda); B [K, N] (ldb >= N);
  // act Linear, Relu or Logistic. No packing and no zeroing pass; each element is
  // init + bias + a_0 b_0 + a_1 b_1 + ... in k order whatever the shape (a layer's products:
  // kernels/cpu/matmul.cpp).
  void (*gemm_any)(bool ta, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
                   int64_t ldb, float* C, int64_t ldc, const float* init, int64_t ldi, const float* bias, Act act);
  // C[M, N] (ldc) = (A B) ⊙ act'(Y): A [M, K] (lda), B [K, N] (ldb >= N), Y [M, N] (ldy) the output
  // of the activation act (Relu: [Y > 0]; Logistic: Y (1 - Y)). A layer's input gradient G W
  // through the previous layer's activation in one pass (autograd/ops/mlp.cpp); each element is
  // the sum of gemm_any times act'(y) with the elementwise backward's operations, bit for bit.
  void (*gemm_dact)(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb,
                    float* C, int64_t ldc, const float* Y, int64_t ldy, Act act);
};

// The kernels for `isa`: "auto" (the best the CPU supports; the environment variable DIEN_ISA,
// when set, overrides auto), "avx512", "avx2" or "generic". Throws dien::Error naming the isa
// when it is unknown, not compiled in, or not supported by this CPU.
const Kernels& select_kernels(const char* isa = "auto");
// The instruction sets compiled in and supported here, best first (e.g. {"avx512", "avx2",
// "generic"}); for tests that compare them.
int available_isas(const char** out, int capacity);

}  // namespace dien::isa
