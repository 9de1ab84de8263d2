// SPDX-License-Identifier: MIT
// The differentiable API of dien. Each function validates its inputs (errors name the op and
// the shapes/dtypes/devices), runs the kernel of the tensors' backend and, when grad mode is on
// and an input requires grad, records its backward. Definitions live in autograd/ops/<family>.cpp;
// the derivation of every backward is in docs/derivations/<family>.md.
//
//   using namespace dien;
//   Tensor h = relu(linear(x, w1, b1));          // x [N, D], w1 [H, D], b1 [H]
//   Tensor p = sigmoid(linear(h, w2, b2));       // [N, 1]
//   Tensor loss = bce(p, y);                     // mean over the batch
//   loss.backward();
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "autograd/node.h"
#include "core/rng.h"
#include "kernels/backend.h"
#include "core/tensor.h"

namespace dien {

// ---- elementwise (autograd/ops/elementwise.cpp); NumPy broadcasting ----------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, double s);        // a + s
Tensor mul(const Tensor& a, double s);        // a * s
Tensor rsub(const Tensor& a, double s);       // s - a
Tensor affine(const Tensor& a, double alpha, double beta);  // alpha * a + beta
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor relu(const Tensor& x);
inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& a) { return neg(a); }
inline Tensor operator+(const Tensor& a, double s) { return add(a, s); }
inline Tensor operator-(const Tensor& a, double s) { return add(a, -s); }
inline Tensor operator*(const Tensor& a, double s) { return mul(a, s); }
inline Tensor operator*(double s, const Tensor& a) { return mul(a, s); }
inline Tensor operator-(double s, const Tensor& a) { return rsub(a, s); }

// ---- reductions (autograd/ops/reduce.cpp) ------------------------------------------
Tensor sum(const Tensor& x);                                  // all elements -> shape []
Tensor sum(const Tensor& x, int dim, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, int dim, bool keepdim = false);
Tensor sum_to(const Tensor& x, const Shape& shape);           // adjoint of broadcasting
Tensor expand(const Tensor& x, const Shape& shape);           // broadcast to shape

// ---- matmul (autograd/ops/matmul.cpp) ----------------------------------------------
// a [M,K] or [B,M,K]; b [K,N] or [B,K,N] (a 3-D a with a 2-D b multiplies every batch by b).
// trans_a/trans_b use the transposed last two dims of a/b.
Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a = false, bool trans_b = false);
// y = x w^T + b. x [..., D] (2-D or 3-D), w [H, D], b [H] or undefined -> y [..., H].
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b);
// init + x wᵀ in one node: init [Ri, H] is added to each group of Ri consecutive rows of x's rows
// (Ri = the rows of x: a plain sum); its gradient sums dL/dy over the groups.
Tensor linear_add(const Tensor& x, const Tensor& w, const Tensor& init);
// act(x wᵀ + b), act = UnaryOp::Relu or Sigmoid: the same values as the two ops, one node and one
// tensor (the bias and activation applied in place on the product).
Tensor linear_act(const Tensor& x, const Tensor& w, const Tensor& b, UnaryOp act);

// ---- mlp (autograd/ops/mlp.cpp) ----------------------------------------------------
// A stack of Linear layers as one node: y_i = act_i(y_{i-1} w_iᵀ + b_i), y_{-1} = x (2-D or 3-D
// [..., D]), act none, Relu or Sigmoid, b undefined or [H_i]; init [Ri, H_0] (or undefined) starts
// layer 0 instead of its bias, as in linear_add. The values of the chain of linear / linear_act
// nodes; its backward applies each hidden activation's derivative inside the product that makes
// its gradient (no pass of its own).
struct MlpLayer {
  Tensor w, b;
  std::optional<UnaryOp> act;
};
Tensor mlp(const Tensor& x, const Tensor& init, const std::vector<MlpLayer>& layers);

// ---- shape (autograd/ops/shape.cpp) ------------------------------------------------
Tensor reshape(const Tensor& x, const std::vector<int64_t>& shape);
Tensor transpose(const Tensor& x);                            // swaps the last two dims
Tensor concat(const TensorList& xs, int dim);
Tensor slice(const Tensor& x, int dim, int64_t start, int64_t end);  // [start, end)
TensorList split(const Tensor& x, const std::vector<int64_t>& sizes, int dim);
TensorList chunk(const Tensor& x, int64_t chunks, int dim);  // like torch.chunk
Tensor unsqueeze(const Tensor& x, int dim);
Tensor squeeze(const Tensor& x, int dim);

// ---- activations with parameters (autograd/ops/activation.cpp) ---------------------
// PReLU over the last dim: w [C] (per channel) or [1] (shared).
Tensor prelu(const Tensor& x, const Tensor& w);
// Dice (DIN, Zhou et al. 2018): p = sigmoid(BN(x)) with BN without affine over the last dim
// (x [N, C] or [B, T, C]; statistics over all other dims), y = p*x + (1-p)*alpha*x.
// running_mean/var [C] are updated in training mode. alpha [C].
Tensor dice(const Tensor& x, const Tensor& alpha, Tensor& running_mean, Tensor& running_var,
            bool training, double momentum = 0.1, double eps = 1e-8);
// Dice with an affine batch norm (gamma, beta [C], either may be undefined), as DeepCTR-Torch's
// Dice, whose nn.BatchNorm1d keeps its default affine=True.
Tensor dice(const Tensor& x, const Tensor& alpha, const Tensor& gamma, const Tensor& beta,
            Tensor& running_mean, Tensor& running_var, bool training, double momentum = 0.1,
            double eps = 1e-8);

// ---- softmax (autograd/ops/softmax.cpp) --------------------------------------------
Tensor softmax(const Tensor& x);                              // over the last dim
// mask: same shape as x, nonzero = valid; masked entries and fully masked rows give 0.
Tensor masked_softmax(const Tensor& x, const Tensor& mask);

// ---- embedding (autograd/ops/embedding.cpp) ----------------------------------------
// weight [V, E], ids i32/i64 of any shape S -> S + [E]. Ids outside [0, V) are an error that
// names the id and its position.
Tensor embedding(const Tensor& weight, const Tensor& ids);
// matrix [V, E], rows i64 [n], distinct (an error otherwise) -> [n, E]: the differentiable row
// gather of a model's own activations (the valid steps of a [B*T, E] matrix); its backward writes
// each row of the gradient once.
Tensor gather_rows(const Tensor& matrix, const Tensor& rows);

// ---- dropout (autograd/ops/dropout.cpp) ---------------------------------------------
// Training: zero with probability p, scale survivors by 1/(1-p); mask drawn from gen's
// Philox stream. Eval (training=false) or p == 0: identity.
Tensor dropout(const Tensor& x, double p, bool training, Generator& gen = default_generator());

// ---- batch norm (autograd/ops/batch_norm.cpp) --------------------------------------
// x [N, C]. gamma/beta [C] or undefined (no affine). running_mean/var [C] (may be undefined
// in training mode: then no running update; required in eval mode).
Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& running_mean,
                  Tensor& running_var, bool training, double momentum = 0.1, double eps = 1e-5);

// ---- losses (autograd/ops/loss.cpp) ------------------------------------------------
enum class Reduction : uint8_t { None, Mean, Sum };
// Binary cross-entropy on probabilities p in [0,1], targets t of the same shape.
Tensor bce(const Tensor& p, const Tensor& t, Reduction r = Reduction::Mean, double eps = 1e-7);
Tensor bce_with_logits(const Tensor& x, const Tensor& t, Reduction r = Reduction::Mean);
Tensor mse(const Tensor& a, const Tensor& b, Reduction r = Reduction::Mean);

// ---- sequences (autograd/ops/sequence.cpp) -----------------------------------------
// lengths i32/i64 [B] with values in [0, maxlen] -> mask [B, maxlen] of `dtype` (1 valid, 0 pad).
Tensor sequence_mask(const Tensor& lengths, int64_t maxlen, DType dtype = DType::F32);

// ---- recurrent scans (autograd/ops/rnn_scan.cpp fused; rnn_scan_unfused.cpp the twin) ----
// RnnCell and GateLayout are defined with the kernels (kernels/backend.h) and documented there.
// x [B,T,D]; lengths [B] (i32/i64, values in [0,T], any order; steps t >= lengths[b] leave the
// state unchanged and output zeros); att [B,T] for the attention cells (undefined for Gru);
// h0 [B,H] or undefined (zeros); w_ih [3H,D], w_hh [3H,H], b_ih/b_hh [3H] or undefined.
// Returns the states [B,T,H] and each row's state after its last valid step [B,H] (h0, or
// zeros, for a length-0 row). Gradients flow to x, att, h0 and all weights and biases.
// The fused form is one autograd node (input projections one GEMM before the scan, weight
// gradients GEMMs after the reverse scan); in inference (NoGradGuard) it saves nothing.
struct RnnOutput {
  Tensor states;  // [B,T,H]
  Tensor last;    // [B,H]
};
RnnOutput rnn_scan(RnnCell cell, const Tensor& x, const Tensor& lengths, const Tensor& att, const Tensor& h0,
                   const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh,
                   GateLayout layout = GateLayout::LinearBeforeReset);
// The unfused twin: the same function composed step by step from primitive differentiable ops
// (linear, chunk, sigmoid, tanh, mul, add, masks), the way a framework runs it. Test oracle and
// benchmark baseline.
RnnOutput rnn_scan_unfused(RnnCell cell, const Tensor& x, const Tensor& lengths, const Tensor& att,
                           const Tensor& h0, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                           const Tensor& b_hh, GateLayout layout = GateLayout::LinearBeforeReset);
// AIGRU (DIEN): a plain GRU over att_t * x_t.
RnnOutput aigru_scan(const Tensor& x, const Tensor& lengths, const Tensor& att, const Tensor& h0,
                     const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh,
                     GateLayout layout = GateLayout::LinearBeforeReset, bool fused = true);

// ---- attention weights (autograd/ops/attention.cpp) ---------------------------------
// scores [B,T] (DIN local-activation scores), lengths [B]. normalize: masked softmax over the
// valid steps (a length-0 row gives zeros); !normalize: scores with padded steps zeroed.
Tensor attention_weights(const Tensor& scores, const Tensor& lengths, bool normalize = true);
Tensor attention_weights_unfused(const Tensor& scores, const Tensor& lengths, bool normalize = true);

// ---- auxiliary loss (autograd/ops/aux_loss.cpp) --------------------------------------
// p_pos, p_neg [B,P] probabilities of the aux net for clicked next items and sampled negatives;
// pair t of row b counts iff t < lengths[b] - 1. Returns the mean of the 2n BCE terms over the
// n valid pairs (shape []), 0 when n == 0. Gradients flow to p_pos and p_neg.
Tensor aux_bce(const Tensor& p_pos, const Tensor& p_neg, const Tensor& lengths, double eps = 1e-7);
Tensor aux_bce_unfused(const Tensor& p_pos, const Tensor& p_neg, const Tensor& lengths, double eps = 1e-7);

// ---- validation helpers shared by the ops (autograd/ops/checks.cpp) -----------------
// Each throws dien::Error naming `op` and describing the tensors.
void check_defined(const char* op, const Tensor& t, const char* what);
void check_floating(const char* op, const Tensor& t);
void check_same_dtype(const char* op, const Tensor& a, const Tensor& b);
void check_same_device(const char* op, const Tensor& a, const Tensor& b);
void check_shape(const char* op, const Tensor& t, const Shape& want, const char* what);
// Both defined, floating, same dtype and device; `what_a`/`what_b` name them in the message.
void check_float_pair(const char* op, const Tensor& a, const char* what_a, const Tensor& b, const char* what_b);

}  // namespace dien
