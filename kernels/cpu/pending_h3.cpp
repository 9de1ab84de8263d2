// TEMPORARY: placeholders until this family is implemented; delete this file when done.
#include "kernels/cpu/cpu_backend.h"
namespace dien::cpu {
void CpuBackend::sgd_step(Tensor& param, const Tensor& grad, Tensor* momentum_buf, double lr, double momentum, double dampening, bool nesterov, double weight_decay, bool first_step) { fail("sgd_step", "not implemented yet"); }
void CpuBackend::adam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq, int64_t step, double lr, double beta1, double beta2, double eps, double weight_decay) { fail("adam_step", "not implemented yet"); }
void CpuBackend::adagrad_step(Tensor& param, const Tensor& grad, Tensor& sum_sq, int64_t step, double lr, double lr_decay, double eps, double weight_decay) { fail("adagrad_step", "not implemented yet"); }
void CpuBackend::rmsprop_step(Tensor& param, const Tensor& grad, Tensor& square_avg, Tensor* momentum_buf, double lr, double alpha, double eps, double momentum, double weight_decay) { fail("rmsprop_step", "not implemented yet"); }
}
