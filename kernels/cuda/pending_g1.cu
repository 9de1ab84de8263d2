// TEMPORARY: placeholders until this family is implemented; delete this file when done.
#include "kernels/cuda/cuda_backend.h"
namespace dien::cuda {
void CudaBackend::fill(Tensor& t, double value) { fail("fill", "CUDA kernel not implemented yet"); }
void CudaBackend::cast(const Tensor& src, Tensor& dst) { fail("cast", "CUDA kernel not implemented yet"); }
void CudaBackend::axpy(double alpha, const Tensor& x, Tensor& y) { fail("axpy", "CUDA kernel not implemented yet"); }
void CudaBackend::scale_shift(const Tensor& x, double alpha, double beta, Tensor& y) { fail("scale_shift", "CUDA kernel not implemented yet"); }
void CudaBackend::unary_forward(UnaryOp op, const Tensor& x, Tensor& y) { fail("unary_forward", "CUDA kernel not implemented yet"); }
void CudaBackend::unary_backward(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& gy, Tensor& gx, double beta) { fail("unary_backward", "CUDA kernel not implemented yet"); }
void CudaBackend::binary_forward(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) { fail("binary_forward", "CUDA kernel not implemented yet"); }
void CudaBackend::sum_to(const Tensor& x, Tensor& out, double beta) { fail("sum_to", "CUDA kernel not implemented yet"); }
void CudaBackend::expand(const Tensor& x, Tensor& out) { fail("expand", "CUDA kernel not implemented yet"); }
void CudaBackend::gemm(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, Tensor& c, double alpha, double beta) { fail("gemm", "CUDA kernel not implemented yet"); }
void CudaBackend::copy_band(const Tensor& src, int64_t src_start, Tensor& dst, int64_t dst_start, int dim, int64_t len, double beta) { fail("copy_band", "CUDA kernel not implemented yet"); }
void CudaBackend::transpose_last2(const Tensor& x, Tensor& out) { fail("transpose_last2", "CUDA kernel not implemented yet"); }
void CudaBackend::softmax_forward(const Tensor& x, const Tensor* mask, Tensor& y) { fail("softmax_forward", "CUDA kernel not implemented yet"); }
void CudaBackend::softmax_backward(const Tensor& y, const Tensor& gy, Tensor& gx) { fail("softmax_backward", "CUDA kernel not implemented yet"); }
}
