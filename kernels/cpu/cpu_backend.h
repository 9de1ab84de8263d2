// SPDX-License-Identifier: MIT
// The CPU backend: an adapter from Tensors to the Eigen/loop kernels in kernels/cpu/*.cpp.
// Its member functions are defined in the file of their family (fill.cpp, elementwise.cpp,
// matmul.cpp, ...), next to the kernels they call.
#pragma once
#include "kernels/backend.h"

namespace dien::cpu {

class CpuBackend final : public Backend {
 public:
  const char* name() const override { return "cpu"; }

  void* allocate(size_t nbytes, Device device) override;
  void deallocate(void* p, Device device) override;
  void copy_bytes(void* dst, Device dst_dev, const void* src, Device src_dev, size_t nbytes) override;
  void fill(Tensor& t, double value) override;
  void cast(const Tensor& src, Tensor& dst) override;
  void axpy(double alpha, const Tensor& x, Tensor& y) override;
  void scale_shift(const Tensor& x, double alpha, double beta, Tensor& y) override;
  void unary_forward(UnaryOp op, const Tensor& x, Tensor& y) override;
  void unary_backward(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& gy, Tensor& gx, double beta) override;
  void binary_forward(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) override;
  void sum_to(const Tensor& x, Tensor& out, double beta) override;
  void expand(const Tensor& x, Tensor& out) override;
  void gemm(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, Tensor& c, double alpha, double beta) override;
  void linear_forward(const Tensor& x, const Tensor& w, const Tensor* b, const UnaryOp* act, Tensor& y,
                      const Tensor* init) override;
  void matmul_dact(const Tensor& g, const Tensor& w, const Tensor& y, UnaryOp act, Tensor& gx) override;
  void copy_band(const Tensor& src, int64_t src_start, Tensor& dst, int64_t dst_start, int dim, int64_t len, double beta) override;
  void transpose_last2(const Tensor& x, Tensor& out) override;
  void prelu_forward(const Tensor& x, const Tensor& w, Tensor& y) override;
  void prelu_backward(const Tensor& x, const Tensor& w, const Tensor& gy, Tensor* gx, Tensor* gw, double beta_w) override;
  void softmax_forward(const Tensor& x, const Tensor* mask, Tensor& y) override;
  void softmax_backward(const Tensor& y, const Tensor& gy, Tensor& gx) override;
  void embedding_forward(const Tensor& weight, const Tensor& ids, Tensor& out) override;
  void embedding_backward(const Tensor& gy, const Tensor& ids, Tensor& gw) override;
  void embedding_scatter(const Tensor& src, const Tensor& ids, Tensor& dst) override;
  void gather_rows_backward(const Tensor& gy, const Tensor& ids, Tensor& gw) override;
  void dropout_mask(Tensor& mask, double p, uint64_t seed, uint64_t offset) override;
  void batch_norm_forward(const Tensor& x, const Tensor* gamma, const Tensor* beta, Tensor* running_mean, Tensor* running_var, bool training, double momentum, double eps, Tensor& y, Tensor& save_mean, Tensor& save_invstd) override;
  void batch_norm_backward(const Tensor& x, const Tensor* gamma, const Tensor& save_mean, const Tensor& save_invstd, const Tensor& gy, bool training, Tensor* gx, Tensor* ggamma, Tensor* gbeta) override;
  void bce_forward(const Tensor& p, const Tensor& t, double eps, Tensor& l) override;
  void bce_backward(const Tensor& p, const Tensor& t, double eps, const Tensor& gl, Tensor& gp) override;
  void bce_logits_forward(const Tensor& x, const Tensor& t, Tensor& l) override;
  void bce_logits_backward(const Tensor& x, const Tensor& t, const Tensor& gl, Tensor& gx) override;
  void sequence_mask(const Tensor& lengths, Tensor& mask) override;
  void rnn_scan_forward(RnnCell cell, GateLayout layout, const Tensor& gi, const Tensor& lengths, const Tensor* att, const Tensor* h0, const Tensor& w_hh, const Tensor* b_hh, Tensor& states, Tensor& last, Tensor* ws) override;
  void rnn_scan_forward_x(RnnCell cell, GateLayout layout, const Tensor& x, const Tensor& w_ih, const Tensor* b_ih, const Tensor& lengths, const Tensor* att, const Tensor* h0, const Tensor& w_hh, const Tensor* b_hh, Tensor& states, Tensor& last, Tensor* ws) override;
  void rnn_scan_backward(RnnCell cell, GateLayout layout, const Tensor& gi, const Tensor& lengths, const Tensor* att, const Tensor* h0, const Tensor& w_hh, const Tensor* b_hh, const Tensor& states, const Tensor& ws, const Tensor* g_states, const Tensor* g_last, Tensor& g_gi, Tensor* g_h0, Tensor* g_att, Tensor* g_w_hh, Tensor* g_b_hh) override;
  void rnn_scan_backward_x(RnnCell cell, GateLayout layout, const Tensor* x, const Tensor* w_ih, const Tensor& lengths, const Tensor* att, const Tensor* h0, const Tensor& w_hh, const Tensor* b_hh, const Tensor& states, const Tensor& ws, const Tensor* g_states, const Tensor* g_last, Tensor* g_x, Tensor* g_h0, Tensor* g_att, Tensor* g_w_ih, Tensor* g_b_ih, Tensor* g_w_hh, Tensor* g_b_hh) override;
  void attention_forward(const Tensor& scores, const Tensor& lengths, bool normalize, Tensor& y) override;
  void attention_backward(const Tensor& y, const Tensor& gy, const Tensor& lengths, bool normalize, Tensor& gx) override;
  void aux_bce_forward(const Tensor& p_pos, const Tensor& p_neg, const Tensor& lengths, double eps, Tensor& loss) override;
  void aux_bce_backward(const Tensor& p_pos, const Tensor& p_neg, const Tensor& lengths, double eps, const Tensor& g, Tensor& g_pos, Tensor& g_neg) override;
  void sgd_step(Tensor& param, const Tensor& grad, Tensor* momentum_buf, double lr, double momentum, double dampening, bool nesterov, double weight_decay, bool first_step) override;
  void adam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq, int64_t step, double lr, double beta1, double beta2, double eps, double weight_decay) override;
  void adam_step_rows(Tensor& param, const Tensor& index, const Tensor& grad_rows, Tensor& exp_avg, Tensor& exp_avg_sq, int64_t step, double lr, double beta1, double beta2, double eps, double weight_decay) override;
  void adagrad_step(Tensor& param, const Tensor& grad, Tensor& sum_sq, int64_t step, double lr, double lr_decay, double eps, double weight_decay) override;
  void rmsprop_step(Tensor& param, const Tensor& grad, Tensor& square_avg, Tensor* momentum_buf, double lr, double alpha, double eps, double momentum, double weight_decay) override;
};

}  // namespace dien::cpu
