// SPDX-License-Identifier: MIT
// CUDA gemm through cuBLAS, the twin of kernels/cpu/matmul.cpp: c = alpha * op(a) op(b) +
// beta * c on row-major matrices, 2-D (cublas{S,D}gemm) or 3-D batched with one product per
// leading index (cublas{S,D}gemmStridedBatched).
//
// Row-major vs cuBLAS's column-major: a row-major [R, C] matrix is, byte for byte, the
// column-major [C, R] matrix (its transpose) with leading dimension C. So the row-major
// C = op(A) op(B) is the column-major C^T = op(B)^T op(A)^T: call cuBLAS with B first, A second,
// m = N, n = M, each operand's transpose flag unchanged, and each leading dimension the row
// length of the operand as stored (its last dim). No data is moved.
//
// beta == 0 does not read c (cuBLAS guarantees it; c may hold NaN poison). TF32 for f32 is the
// handle's math mode (kernels/cuda/device.cu, off unless enabled).
#include <climits>

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/launch.cuh"

namespace dien::cuda {

namespace {

// c [n] = beta == 0 ? 0 : beta * c: the product with an empty inner dimension (K == 0), which
// is zero, so only the beta term remains. Done here rather than relying on cuBLAS with k = 0.
template <class T>
__global__ void scale_c_kernel(T* c, T beta, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    c[i] = beta == T(0) ? T(0) : beta * c[i];
}

// Typed cuBLAS entry points (column-major arguments, as cuBLAS documents them).
cublasStatus_t gemm_call(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                         const float* alpha, const float* a, int lda, const float* b, int ldb, const float* beta,
                         float* c, int ldc) {
  count_launch();
  return cublasSgemm(h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
cublasStatus_t gemm_call(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                         const double* alpha, const double* a, int lda, const double* b, int ldb,
                         const double* beta, double* c, int ldc) {
  count_launch();
  return cublasDgemm(h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
cublasStatus_t gemm_batched_call(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                                 const float* alpha, const float* a, int lda, long long sa, const float* b, int ldb,
                                 long long sb, const float* beta, float* c, int ldc, long long sc, int batch) {
  count_launch();
  return cublasSgemmStridedBatched(h, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch);
}
cublasStatus_t gemm_batched_call(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                                 const double* alpha, const double* a, int lda, long long sa, const double* b,
                                 int ldb, long long sb, const double* beta, double* c, int ldc, long long sc,
                                 int batch) {
  count_launch();
  return cublasDgemmStridedBatched(h, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch);
}

void check_int(const char* what, int64_t v, const Tensor& a, const Tensor& b, const Tensor& c) {
  if (v > INT_MAX)
    fail("gemm", what, " = ", v, " exceeds cuBLAS's int range: a ", a.describe(), ", b ", b.describe(), ", c ",
         c.describe());
}

}  // namespace

// a [M,K]|[K,M] or [B,M,K]|[B,K,M]; b [K,N]|[N,K] or [B,K,N]|[B,N,K]; c [M,N] or [B,M,N].
void CudaBackend::gemm(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, Tensor& c, double alpha,
                       double beta) {
  const int nd = c.ndim();
  const int64_t batch = nd == 3 ? c.size(0) : 1;
  const int64_t M = c.size(-2), N = c.size(-1);
  const int64_t K = trans_a ? a.size(-2) : a.size(-1);
  if (batch == 0 || M == 0 || N == 0) return;  // nothing to write
  DeviceGuard g(c.device());
  dispatch_float(c.dtype(), "gemm", [&](auto tag) {
    using T = decltype(tag);
    const T al = static_cast<T>(alpha), be = static_cast<T>(beta);
    T* cp = c.data<T>();
    if (K == 0) {  // empty inner dimension: the product is zero (as the CPU's gemm_one)
      const int64_t n = c.numel();
      scale_c_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(cp, be, n);
      DIEN_LAUNCH_CHECK("gemm");
      return;
    }
    check_int("M", M, a, b, c);
    check_int("N", N, a, b, c);
    check_int("K", K, a, b, c);
    check_int("batch", batch, a, b, c);
    // Leading dimensions: each operand's row length as stored (its last dim); see the file top.
    const int lda = static_cast<int>(a.size(-1)), ldb = static_cast<int>(b.size(-1)), ldc = static_cast<int>(N);
    const cublasOperation_t opa = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    const cublasOperation_t opb = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    const T* ap = a.data<T>();
    const T* bp = b.data<T>();
    cublasHandle_t h = cublas();
    if (nd == 2) {
      // Column-major C^T [N, M] = op(B)^T [N, K] * op(A)^T [K, M].
      DIEN_CUBLAS_CHECK("gemm", gemm_call(h, opb, opa, static_cast<int>(N), static_cast<int>(M),
                                          static_cast<int>(K), &al, bp, ldb, ap, lda, &be, cp, ldc));
    } else {
      // One product per batch index; a 2-D operand (not produced by the ops, which fold
      // 3-D x 2-D into one 2-D product) would be shared by every batch (stride 0).
      const long long sa = a.ndim() == 3 ? static_cast<long long>(M * K) : 0LL;
      const long long sb = b.ndim() == 3 ? static_cast<long long>(K * N) : 0LL;
      const long long sc = static_cast<long long>(M * N);
      DIEN_CUBLAS_CHECK("gemm", gemm_batched_call(h, opb, opa, static_cast<int>(N), static_cast<int>(M),
                                                  static_cast<int>(K), &al, bp, ldb, sb, ap, lda, sa, &be, cp,
                                                  ldc, sc, static_cast<int>(batch)));
    }
  });
}

}  // namespace dien::cuda
