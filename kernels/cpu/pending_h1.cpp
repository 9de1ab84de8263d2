// TEMPORARY: placeholders until this family is implemented; delete this file when done.
#include "kernels/cpu/cpu_backend.h"
namespace dien::cpu {
void CpuBackend::gemm(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, Tensor& c, double alpha, double beta) { fail("gemm", "not implemented yet"); }
void CpuBackend::copy_band(const Tensor& src, int64_t src_start, Tensor& dst, int64_t dst_start, int dim, int64_t len, double beta) { fail("copy_band", "not implemented yet"); }
void CpuBackend::transpose_last2(const Tensor& x, Tensor& out) { fail("transpose_last2", "not implemented yet"); }
void CpuBackend::softmax_forward(const Tensor& x, const Tensor* mask, Tensor& y) { fail("softmax_forward", "not implemented yet"); }
void CpuBackend::softmax_backward(const Tensor& y, const Tensor& gy, Tensor& gx) { fail("softmax_backward", "not implemented yet"); }
}
