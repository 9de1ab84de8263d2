// TEMPORARY: placeholders until this family is implemented; delete this file when done.
#include "kernels/cuda/cuda_backend.h"
namespace dien::cuda {
void CudaBackend::dropout_mask(Tensor& mask, double p, uint64_t seed, uint64_t offset) { fail("dropout_mask", "CUDA kernel not implemented yet"); }
void CudaBackend::bce_forward(const Tensor& p, const Tensor& t, double eps, Tensor& l) { fail("bce_forward", "CUDA kernel not implemented yet"); }
void CudaBackend::bce_backward(const Tensor& p, const Tensor& t, double eps, const Tensor& gl, Tensor& gp) { fail("bce_backward", "CUDA kernel not implemented yet"); }
void CudaBackend::bce_logits_forward(const Tensor& x, const Tensor& t, Tensor& l) { fail("bce_logits_forward", "CUDA kernel not implemented yet"); }
void CudaBackend::bce_logits_backward(const Tensor& x, const Tensor& t, const Tensor& gl, Tensor& gx) { fail("bce_logits_backward", "CUDA kernel not implemented yet"); }
void CudaBackend::sequence_mask(const Tensor& lengths, Tensor& mask) { fail("sequence_mask", "CUDA kernel not implemented yet"); }
void CudaBackend::sgd_step(Tensor& param, const Tensor& grad, Tensor* momentum_buf, double lr, double momentum, double dampening, bool nesterov, double weight_decay, bool first_step) { fail("sgd_step", "CUDA kernel not implemented yet"); }
void CudaBackend::adam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq, int64_t step, double lr, double beta1, double beta2, double eps, double weight_decay) { fail("adam_step", "CUDA kernel not implemented yet"); }
void CudaBackend::adagrad_step(Tensor& param, const Tensor& grad, Tensor& sum_sq, int64_t step, double lr, double lr_decay, double eps, double weight_decay) { fail("adagrad_step", "CUDA kernel not implemented yet"); }
void CudaBackend::rmsprop_step(Tensor& param, const Tensor& grad, Tensor& square_avg, Tensor* momentum_buf, double lr, double alpha, double eps, double momentum, double weight_decay) { fail("rmsprop_step", "CUDA kernel not implemented yet"); }
}
