// SPDX-License-Identifier: MIT
// THE list of kernels. Every op of dien is declared here once and implemented by each
// backend (kernels/cpu: Eigen + plain loops; kernels/cuda: CUDA + cuBLAS). Autograd ops
// (autograd/ops/*.cpp) validate shapes, dtypes and devices, allocate outputs and call these;
// kernels never validate user input (they may assume what the op checked).
//
// Conventions
// - All tensors are contiguous and on this backend's device; floating kernels take f32 or f64
//   (all floating operands of one call share a dtype).
// - Outputs are preallocated by the caller with the documented shape.
// - `beta` on a backward kernel: 0 overwrites the gradient output, 1 accumulates into it.
// - Forward and backward of an op sit next to each other.
#pragma once
#include <cstdint>

#include "core/device.h"
#include "core/tensor.h"

namespace dien {

enum class UnaryOp : uint8_t { Neg, Exp, Log, Sigmoid, Tanh, Relu };

// Recurrent cells of the sequence scans (docs/gradients.md). Gates, PyTorch layout (rows r|z|n of
// W_ih [3H,D] and W_hh [3H,H]): r = σ(gi_r + gh_r), g = σ(gi_z + gh_z), and
//   LinearBeforeReset: n = tanh(gi_n + r ⊙ gh_n)            with gh = h W_hhᵀ + b_hh
//   ResetBeforeLinear: n = tanh(gi_n + (r ⊙ h) W_hnᵀ + b_hn)
// where gi = x W_ihᵀ + b_ih. Then, per cell:
//   Gru:             h' = g ⊙ h + (1 - g) ⊙ n                       (PyTorch nn.GRU)
//   AugruPaper:      u = a·g,      h' = (1 - u) ⊙ h + u ⊙ n          (DIEN paper Eq. 11-12)
//   AugruReference:  k = (1 - a)·g, h' = k ⊙ h + (1 - k) ⊙ n         (authors' VecAttGRUCell)
//   Agru:            h' = (1 - a) ⊙ h + a ⊙ n      (no update gate; its rows get zero gradient)
enum class RnnCell : uint8_t { Gru, AugruPaper, AugruReference, Agru };
enum class GateLayout : uint8_t { LinearBeforeReset, ResetBeforeLinear };
const char* rnn_cell_name(RnnCell c);
// Workspace a training-mode scan saves for backward: [B, T, kRnnWorkspaceGates * H], per step
// r | g | n | hn, with hn = h W_hnᵀ + b_hn (LinearBeforeReset) or (r ⊙ h) W_hnᵀ + b_hn. Where a
// (row, step) sits in it is the backend's own (the CPU's float32 scans keep the valid steps
// compact, in the order they write them); only the same backend's backward reads it.
inline constexpr int kRnnWorkspaceGates = 4;
enum class BinaryOp : uint8_t { Add, Sub, Mul, Div };
const char* unary_op_name(UnaryOp op);
const char* binary_op_name(BinaryOp op);

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;

  // ---- memory ----------------------------------------------------------------
  virtual void* allocate(size_t nbytes, Device device) = 0;
  virtual void deallocate(void* p, Device device) = 0;
  // Copies nbytes between two tensors' memory; either side may be on the host.
  virtual void copy_bytes(void* dst, Device dst_dev, const void* src, Device src_dev, size_t nbytes) = 0;

  // ---- fill / cast / axpy (kernels/cpu/fill.cpp) -------------------------------
  virtual void fill(Tensor& t, double value) = 0;                   // any dtype
  virtual void cast(const Tensor& src, Tensor& dst) = 0;            // same numel, any dtypes
  virtual void axpy(double alpha, const Tensor& x, Tensor& y) = 0;  // y += alpha*x, same shape
  virtual void scale_shift(const Tensor& x, double alpha, double beta, Tensor& y) = 0;  // y = alpha*x+beta

  // ---- elementwise (kernels/cpu/elementwise.cpp) --------------------------------
  // y = op(x), same shape.
  virtual void unary_forward(UnaryOp op, const Tensor& x, Tensor& y) = 0;
  // gx (=|+=) gy * op'(x); kernels read x or y, whichever the derivative needs.
  virtual void unary_backward(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& gy,
                              Tensor& gx, double beta) = 0;
  // out = a op b with NumPy broadcasting; out has the broadcast shape. out may alias a or b
  // when it has that operand's shape.
  virtual void binary_forward(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) = 0;
  // out (=|+=) sum of x over the dimensions broadcast from out's shape to x's shape
  // (the adjoint of broadcasting); out's shape must broadcast to x's shape.
  virtual void sum_to(const Tensor& x, Tensor& out, double beta) = 0;
  // out = x broadcast to out's shape.
  virtual void expand(const Tensor& x, Tensor& out) = 0;

  // ---- matmul (kernels/cpu/matmul.cpp) -----------------------------------------
  // c = alpha * op(a) op(b) + beta * c. 2-D: a [M,K] (or [K,M] if trans_a), b [K,N] (or [N,K]),
  // c [M,N]. 3-D: the same per batch; a, b and c have the same leading batch size.
  virtual void gemm(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, Tensor& c,
                    double alpha, double beta) = 0;
  // A Linear layer's forward: y [R, H] = act(init + b + x [R, D] wᵀ), w [H, D], b [H] or null, act
  // null, Relu or Sigmoid; init [Ri, H] (R a multiple of Ri: row r adds init row r mod Ri) or null,
  // never with b. The default (kernels/backend.cpp) is expand(b or init) + gemm + unary_forward;
  // the CPU's float32 path starts its product's tiles from the bias or init rows and applies the
  // activation to them (one pass over y, the same bits as the default there).
  virtual void linear_forward(const Tensor& x, const Tensor& w, const Tensor* b, const UnaryOp* act, Tensor& y,
                              const Tensor* init = nullptr);
  // A layer's input gradient through the previous layer's activation: gx [R, D] = (g [R, H] w [H, D])
  // ⊙ act'(y), y [R, D] the previous layer's output, act Relu ([y > 0]) or Sigmoid (y (1 - y)).
  // The default is gemm + unary_backward (in place on gx); the CPU's float32 path applies act' to
  // the product's tiles while they are in L1 (the same bits).
  virtual void matmul_dact(const Tensor& g, const Tensor& w, const Tensor& y, UnaryOp act, Tensor& gx);

  // ---- shape (kernels/cpu/shape_ops.cpp) ----------------------------------------
  // Copies a band along `dim`: dst[..., dst_start + i, ...] (=|+=) src[..., src_start + i, ...]
  // for i in [0, len). src and dst have the same shape except along `dim`. Concat, slice,
  // split and their backwards are all this kernel.
  virtual void copy_band(const Tensor& src, int64_t src_start, Tensor& dst, int64_t dst_start,
                         int dim, int64_t len, double beta) = 0;
  // out = x with the last two dimensions swapped: x [..., M, N] -> out [..., N, M].
  virtual void transpose_last2(const Tensor& x, Tensor& out) = 0;

  // ---- activations with parameters (kernels/cpu/activation.cpp) -----------------
  // PReLU over the last dim: y = x > 0 ? x : w[c] * x, w [C] or [1]. x [..., C].
  virtual void prelu_forward(const Tensor& x, const Tensor& w, Tensor& y) = 0;
  // gx = gy * (x > 0 ? 1 : w) (overwrites); gw (=|+=) sum over rows of gy * min(x, 0)-part.
  virtual void prelu_backward(const Tensor& x, const Tensor& w, const Tensor& gy, Tensor* gx,
                              Tensor* gw, double beta_w) = 0;

  // ---- softmax (kernels/cpu/softmax.cpp) ----------------------------------------
  // y = softmax(x) over the last dim; with `mask` (same shape as x, nonzero = valid), masked
  // entries get 0 and a fully masked row is all 0.
  virtual void softmax_forward(const Tensor& x, const Tensor* mask, Tensor& y) = 0;
  // gx = y * (gy - sum(gy * y)) per row (overwrites).
  virtual void softmax_backward(const Tensor& y, const Tensor& gy, Tensor& gx) = 0;

  // ---- embedding (kernels/cpu/embedding.cpp) ------------------------------------
  // out[i, :] = weight[ids[i], :]; weight [V, E], ids i32/i64 with n elements, out [n, E].
  // Ids were range-checked by the op.
  virtual void embedding_forward(const Tensor& weight, const Tensor& ids, Tensor& out) = 0;
  // gw[ids[i], :] += gy[i, :] (accumulates; gw must be initialised).
  virtual void embedding_backward(const Tensor& gy, const Tensor& ids, Tensor& gw) = 0;
  // dst[ids[i], :] = src[i, :]; src [n, E], ids i32/i64 [n], distinct and in range, dst [V, E].
  // Writes rows back after a lazy optimizer step on gathered rows (optim/optimizer.cpp).
  virtual void embedding_scatter(const Tensor& src, const Tensor& ids, Tensor& dst) = 0;
  // The gradient of a gather of distinct rows: gw [V, E] = 0 except gw[ids[i], :] = gy[i, :]
  // (overwrites gw; ids i64 [n], distinct and in range). Default (kernels/backend.cpp): fill 0,
  // embedding_scatter; the CPU writes every row of gw once.
  virtual void gather_rows_backward(const Tensor& gy, const Tensor& ids, Tensor& gw);

  // ---- dropout / random (kernels/cpu/dropout.cpp) -------------------------------
  // mask[i] = u_i >= p ? 1/(1-p) : 0, where u_i is the i-th uniform of the Philox stream
  // (seed, offset) as defined in core/philox.h: CPU and CUDA draw identical masks.
  virtual void dropout_mask(Tensor& mask, double p, uint64_t seed, uint64_t offset) = 0;

  // ---- batch norm (kernels/cpu/batch_norm.cpp) ----------------------------------
  // x [N, C]. Training: batch statistics (biased variance for normalising, unbiased for the
  // running update: running = (1-momentum)*running + momentum*batch); save_mean/save_invstd [C]
  // receive the batch mean and 1/sqrt(var+eps). Eval: running statistics, copied into
  // save_mean/save_invstd. gamma/beta may be null (no affine).
  virtual void batch_norm_forward(const Tensor& x, const Tensor* gamma, const Tensor* beta,
                                  Tensor* running_mean, Tensor* running_var, bool training,
                                  double momentum, double eps, Tensor& y, Tensor& save_mean,
                                  Tensor& save_invstd) = 0;
  // Gradients (overwrite) of x, gamma, beta; any output may be null when not needed.
  // training: through the batch statistics; eval: statistics are constants.
  virtual void batch_norm_backward(const Tensor& x, const Tensor* gamma, const Tensor& save_mean,
                                   const Tensor& save_invstd, const Tensor& gy, bool training,
                                   Tensor* gx, Tensor* ggamma, Tensor* gbeta) = 0;

  // ---- losses (kernels/cpu/loss.cpp) --------------------------------------------
  // Elementwise binary cross-entropy on probabilities, p clamped to [eps, 1-eps]:
  // l = -(t log p + (1-t) log(1-p)).
  virtual void bce_forward(const Tensor& p, const Tensor& t, double eps, Tensor& l) = 0;
  // gp = gl * (p - t) / (p (1 - p)) inside the clamp, 0 where p was clamped.
  virtual void bce_backward(const Tensor& p, const Tensor& t, double eps, const Tensor& gl,
                            Tensor& gp) = 0;
  // Elementwise BCE on logits, stable: l = max(x,0) - x t + log(1 + exp(-|x|)).
  virtual void bce_logits_forward(const Tensor& x, const Tensor& t, Tensor& l) = 0;
  // gx = gl * (sigmoid(x) - t).
  virtual void bce_logits_backward(const Tensor& x, const Tensor& t, const Tensor& gl, Tensor& gx) = 0;

  // ---- sequences (kernels/cpu/sequence.cpp) -------------------------------------
  // mask [B, T] (any dtype) = 1 where t < lengths[b], else 0; lengths i32/i64 [B], checked
  // to lie in [0, T] by the op.
  virtual void sequence_mask(const Tensor& lengths, Tensor& mask) = 0;

  // ---- recurrent scans (kernels/cpu/rnn_scan.cpp) ---------------------------------
  // One launch (CUDA) / one call (CPU) runs the whole recurrence over T steps.
  // gi [B,T,3H]: input projections of every step (one GEMM before the scan, by the op).
  // lengths i64 [B], values in [0,T] (checked by the op), any order. att [B,T] for the
  // attention cells (null for Gru). h0 [B,H] or null (zeros). w_hh [3H,H]; b_hh [3H] or null.
  // Outputs: states [B,T,H] (row b, step t: the state after step t for t < lengths[b], else 0);
  // last [B,H] (the state after step lengths[b]-1; h0, or zeros, when lengths[b] == 0).
  // ws: [B,T,4H] workspace saved for backward (see kRnnWorkspaceGates), or null in inference;
  // entries at t >= lengths[b] are unspecified.
  virtual void rnn_scan_forward(RnnCell cell, GateLayout layout, const Tensor& gi, const Tensor& lengths,
                                const Tensor* att, const Tensor* h0, const Tensor& w_hh, const Tensor* b_hh,
                                Tensor& states, Tensor& last, Tensor* ws) = 0;
  // The same scan from the inputs: gi = x W_ihᵀ + b_ih (x [B,T,D], w_ih [3H,D], b_ih [3H] or null)
  // is formed by the backend. The default (kernels/backend.cpp) is expand + gemm + rnn_scan_forward;
  // the CPU backend computes each row block's projections step by step instead, in cache, so the
  // [B,T,3H] projections never go through memory.
  virtual void rnn_scan_forward_x(RnnCell cell, GateLayout layout, const Tensor& x, const Tensor& w_ih,
                                  const Tensor* b_ih, const Tensor& lengths, const Tensor* att, const Tensor* h0,
                                  const Tensor& w_hh, const Tensor* b_hh, Tensor& states, Tensor& last, Tensor* ws);
  // Reverse scan. g_states [B,T,H] and g_last [B,H] may be null (zero). Writes (overwrites):
  // g_gi [B,T,3H] (0 at t >= lengths[b]); g_h0 [B,H], g_att [B,T] (0 at padded steps),
  // g_w_hh [3H,H], g_b_hh [3H] when non-null. Padded entries of g_states never matter. Only gi's
  // shape, dtype and device are read (the gates are in ws): callers may pass g_gi for it.
  virtual void rnn_scan_backward(RnnCell cell, GateLayout layout, const Tensor& gi, const Tensor& lengths,
                                 const Tensor* att, const Tensor* h0, const Tensor& w_hh, const Tensor* b_hh,
                                 const Tensor& states, const Tensor& ws, const Tensor* g_states,
                                 const Tensor* g_last, Tensor& g_gi, Tensor* g_h0, Tensor* g_att,
                                 Tensor* g_w_hh, Tensor* g_b_hh) = 0;

  // The same reverse scan ending at the inputs: with g_gi = dL/dgi (gi = x W_ihᵀ + b_ih, as
  // rnn_scan_forward_x), writes g_x = g_gi W_ih [B,T,D] (needs w_ih), g_w_ih = g_giᵀ x [3H,D]
  // (needs x), g_b_ih = Σ g_gi [3H] and the rest as rnn_scan_backward, each when non-null. The
  // default (kernels/backend.cpp) is rnn_scan_backward + two GEMMs + sum_to; the CPU backend's
  // f32 blocks keep g_gi in cache and never write it.
  virtual void rnn_scan_backward_x(RnnCell cell, GateLayout layout, const Tensor* x, const Tensor* w_ih,
                                   const Tensor& lengths, const Tensor* att, const Tensor* h0, const Tensor& w_hh,
                                   const Tensor* b_hh, const Tensor& states, const Tensor& ws,
                                   const Tensor* g_states, const Tensor* g_last, Tensor* g_x, Tensor* g_h0,
                                   Tensor* g_att, Tensor* g_w_ih, Tensor* g_b_ih, Tensor* g_w_hh, Tensor* g_b_hh);

  // ---- attention weights (kernels/cpu/attention.cpp) -------------------------------
  // scores [B,T], lengths i64 [B]. normalize: y = softmax over the valid steps t < lengths[b]
  // (0 elsewhere; a length-0 row is all 0). !normalize: y = scores at valid steps, 0 elsewhere.
  virtual void attention_forward(const Tensor& scores, const Tensor& lengths, bool normalize, Tensor& y) = 0;
  // gx (overwrite) from y and gy; 0 at padded steps.
  virtual void attention_backward(const Tensor& y, const Tensor& gy, const Tensor& lengths, bool normalize,
                                  Tensor& gx) = 0;

  // ---- auxiliary loss of DIEN (kernels/cpu/aux_loss.cpp) ----------------------------
  // p_pos, p_neg [B,P]: aux-net probabilities of (h_t, e_{t+1}) and (h_t, e'_{t+1}); pair t of
  // row b is valid iff t < lengths[b] - 1. loss (shape []) = sum over valid pairs of
  // [-log p_pos - log(1 - p_neg)] / (2 * number of valid pairs), p clamped to [eps, 1-eps];
  // 0 when no pair is valid. (The mean of the 2n BCE terms, as DeepCTR-Torch computes it.)
  virtual void aux_bce_forward(const Tensor& p_pos, const Tensor& p_neg, const Tensor& lengths, double eps,
                               Tensor& loss) = 0;
  // g_pos, g_neg [B,P] (overwrite) for upstream gradient g (shape []); 0 at invalid pairs and
  // where p was clamped.
  virtual void aux_bce_backward(const Tensor& p_pos, const Tensor& p_neg, const Tensor& lengths, double eps,
                                const Tensor& g, Tensor& g_pos, Tensor& g_neg) = 0;

  // ---- optimizers (kernels/cpu/optim.cpp); param, grad, state: same shape -------
  virtual void sgd_step(Tensor& param, const Tensor& grad, Tensor* momentum_buf, double lr,
                        double momentum, double dampening, bool nesterov, double weight_decay,
                        bool first_step) = 0;
  virtual void adam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
                         int64_t step, double lr, double beta1, double beta2, double eps,
                         double weight_decay) = 0;
  // adam_step on the rows index [k] (i64, distinct) of param [V, E] and its state, in place, with
  // their gradients grad_rows [k, E]: the lazy (row-sparse) update, each touched row changed
  // exactly as adam_step would change it. Default (kernels/backend.cpp): gather the rows,
  // adam_step, scatter them back; the CPU updates them where they are.
  virtual void adam_step_rows(Tensor& param, const Tensor& index, const Tensor& grad_rows, Tensor& exp_avg,
                              Tensor& exp_avg_sq, int64_t step, double lr, double beta1, double beta2, double eps,
                              double weight_decay);
  virtual void adagrad_step(Tensor& param, const Tensor& grad, Tensor& sum_sq, int64_t step,
                            double lr, double lr_decay, double eps, double weight_decay) = 0;
  virtual void rmsprop_step(Tensor& param, const Tensor& grad, Tensor& square_avg,
                            Tensor* momentum_buf, double lr, double alpha, double eps,
                            double momentum, double weight_decay) = 0;
};

}  // namespace dien
