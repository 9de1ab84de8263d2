// TEMPORARY: placeholders until this family is implemented; delete this file when done.
#include "kernels/cpu/cpu_backend.h"
namespace dien::cpu {
void CpuBackend::prelu_forward(const Tensor& x, const Tensor& w, Tensor& y) { fail("prelu_forward", "not implemented yet"); }
void CpuBackend::prelu_backward(const Tensor& x, const Tensor& w, const Tensor& gy, Tensor* gx, Tensor* gw, double beta_w) { fail("prelu_backward", "not implemented yet"); }
void CpuBackend::embedding_forward(const Tensor& weight, const Tensor& ids, Tensor& out) { fail("embedding_forward", "not implemented yet"); }
void CpuBackend::embedding_backward(const Tensor& gy, const Tensor& ids, Tensor& gw) { fail("embedding_backward", "not implemented yet"); }
void CpuBackend::dropout_mask(Tensor& mask, double p, uint64_t seed, uint64_t offset) { fail("dropout_mask", "not implemented yet"); }
void CpuBackend::batch_norm_forward(const Tensor& x, const Tensor* gamma, const Tensor* beta, Tensor* running_mean, Tensor* running_var, bool training, double momentum, double eps, Tensor& y, Tensor& save_mean, Tensor& save_invstd) { fail("batch_norm_forward", "not implemented yet"); }
void CpuBackend::batch_norm_backward(const Tensor& x, const Tensor* gamma, const Tensor& save_mean, const Tensor& save_invstd, const Tensor& gy, bool training, Tensor* gx, Tensor* ggamma, Tensor* gbeta) { fail("batch_norm_backward", "not implemented yet"); }
void CpuBackend::bce_forward(const Tensor& p, const Tensor& t, double eps, Tensor& l) { fail("bce_forward", "not implemented yet"); }
void CpuBackend::bce_backward(const Tensor& p, const Tensor& t, double eps, const Tensor& gl, Tensor& gp) { fail("bce_backward", "not implemented yet"); }
void CpuBackend::bce_logits_forward(const Tensor& x, const Tensor& t, Tensor& l) { fail("bce_logits_forward", "not implemented yet"); }
void CpuBackend::bce_logits_backward(const Tensor& x, const Tensor& t, const Tensor& gl, Tensor& gx) { fail("bce_logits_backward", "not implemented yet"); }
void CpuBackend::sequence_mask(const Tensor& lengths, Tensor& mask) { fail("sequence_mask", "not implemented yet"); }
}
