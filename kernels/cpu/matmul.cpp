// SPDX-License-Identifier: MIT
// CPU gemm: c = alpha * op(a) op(b) + beta * c over Eigen maps of row-major matrices
// (2-D, or 3-D batched with one product per leading index). Eigen picks its blocked GEMM
// (OpenMP-threaded for large sizes) for every product; beta == 0 never reads c.
#include <Eigen/Core>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/cpu_util.h"

namespace dien::cpu {

namespace {

template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using ConstMap = Eigen::Map<const RowMat<T>>;
template <class T>
using Map = Eigen::Map<RowMat<T>>;

// c (=|+=) alpha * opa * opb, where opa/opb are (possibly transposed) Eigen maps.
template <class T, class A, class B>
void gemm_into(Map<T>& c, const A& opa, const B& opb, T alpha, T beta) {
  if (beta == T(0)) {
    c.noalias() = alpha * (opa * opb);
  } else {
    if (beta != T(1)) c *= beta;
    c.noalias() += alpha * (opa * opb);
  }
}

// One product. a: [M,K] (or [K,M] if ta), b: [K,N] (or [N,K] if tb), c: [M,N].
template <class T>
void gemm_one(const T* a, bool ta, const T* b, bool tb, T* c, int64_t M, int64_t N, int64_t K, T alpha,
              T beta) {
  Map<T> cm(c, M, N);
  if (K == 0) {  // empty inner dimension: the product is zero
    if (beta == T(0)) cm.setZero();
    else cm *= beta;
    return;
  }
  ConstMap<T> am(a, ta ? K : M, ta ? M : K);
  ConstMap<T> bm(b, tb ? N : K, tb ? K : N);
  if (!ta && !tb) gemm_into<T>(cm, am, bm, alpha, beta);
  else if (!ta && tb) gemm_into<T>(cm, am, bm.transpose(), alpha, beta);
  else if (ta && !tb) gemm_into<T>(cm, am.transpose(), bm, alpha, beta);
  else gemm_into<T>(cm, am.transpose(), bm.transpose(), alpha, beta);
}

}  // namespace

// a [M,K]|[K,M] or [B,M,K]|[B,K,M]; b [K,N]|[N,K] or [B,K,N]|[B,N,K]; c [M,N] or [B,M,N].
void CpuBackend::gemm(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, Tensor& c, double alpha,
                      double beta) {
  EigenThreads threads;
  dispatch_float(c.dtype(), "gemm", [&](auto tag) {
    using T = decltype(tag);
    const int nd = c.ndim();
    const int64_t batch = nd == 3 ? c.size(0) : 1;
    const int64_t M = c.size(-2), N = c.size(-1);
    const int64_t K = trans_a ? a.size(-2) : a.size(-1);
    const T* ap = a.data<T>();
    const T* bp = b.data<T>();
    T* cp = c.data<T>();
    for (int64_t i = 0; i < batch; ++i)
      gemm_one<T>(ap + i * M * K, trans_a, bp + i * K * N, trans_b, cp + i * M * N, M, N, K,
                  static_cast<T>(alpha), static_cast<T>(beta));
  });
}

}  // namespace dien::cpu
