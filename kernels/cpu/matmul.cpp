// SPDX-License-Identifier: MIT
// CPU gemm: c = alpha * op(a) op(b) + beta * c over row-major matrices (2-D, or 3-D batched with
// one product per leading index). float32 on a CPU with AVX2 or AVX-512 runs the instruction
// set's own tile kernel (kernels/cpu/isa/ gemm_any: no packing, no zeroing pass) for alpha = 1,
// beta 0 or 1 and at most one transposed operand; everything else (float64, the baseline
// instruction set, other alphas and betas) runs Eigen's blocked GEMM (for float compiled per
// instruction set: kernels/cpu/isa/eigen_gemm.inc), single-threaded (EIGEN_DONT_PARALLELIZE).
// Large products are split into row (or, for few rows, column) panels of C run by the library's
// pool (core/parallel.h). The panels depend on the shape only, never on the thread count, so
// results do not change with threads.
// beta == 0 never reads c.
#include <Eigen/Core>
#include <algorithm>
#include <type_traits>
#include <vector>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/cpu_util.h"
#include "kernels/cpu/isa/kernels.h"

namespace dien::cpu {

namespace {

#include "kernels/cpu/isa/eigen_gemm.inc"  // eigen_gemm<T>: the baseline build's Eigen GEMM

// Multiply-adds below which a product runs on one thread, and the panel size above it.
constexpr int64_t kGemmSerialFlops = 1 << 18;
constexpr int64_t kPanel = 64, kRowPanel = 256, kKPanel = 1024;

// dst [cols, rows] (contiguous) = the transpose of src [rows, cols] with row stride ld: a weight
// made op(b) = Wᵀ for the tile kernels, which read b row-major.
void transpose_into(const float* src, int64_t rows, int64_t cols, int64_t ld, std::vector<float>& dst) {
  dst.resize(static_cast<size_t>(std::max<int64_t>(rows * cols, 1)));
  for (int64_t j = 0; j < rows; ++j)
    for (int64_t k = 0; k < cols; ++k) dst[static_cast<size_t>(k * rows + j)] = src[j * ld + k];
}

// rows(r, m) over rows [0, R) of each of `groups` groups (group g: rows g*R .. g*R + R - 1), in
// panels of rows on the pool when the product is large (flops = its multiply-adds), else serially
// a group at a time: the split of the layers' products (linear_forward, matmul_dact).
template <class F>
void row_panels(int64_t groups, int64_t R, int64_t flops, F&& rows) {
  if (flops < kGemmSerialFlops) {
    for (int64_t g = 0; g < groups; ++g) rows(g * R, R);
    return;
  }
  const int64_t rp = R >= 4 * kRowPanel ? kRowPanel : kPanel, per = (R + rp - 1) / rp;
  parallel_for(groups * per, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t g = p / per, r = (p % per) * rp;
      rows(g * R + r, std::min(rp, R - r));
    }
  });
}

// One product. a: [M,K] (or [K,M] if ta), b: [K,N] (or [N,K] if tb), c: [M,N] with row stride ldc.
template <class T>
void gemm_block(const T* a, bool ta, const T* b, bool tb, T* c, int64_t M, int64_t N, int64_t K, T alpha, T beta,
                int64_t lda, int64_t ldb, int64_t ldc, const isa::Kernels& kern) {
  if constexpr (std::is_same_v<T, float>) {
    if (kern.sgemm && alpha == 1.f && (beta == 0.f || beta == 1.f) && !(ta && tb)) {
      // The instruction set's own kernel (kernels/cpu/isa/kernels.h gemm_any): a layer's thin
      // products (a few dozen columns, thousands of rows) without Eigen's packing of both operands
      // and its zeroing pass. op(b) = bᵀ (x Wᵀ) is the small weight: transposed once per call.
      const float* bk = b;
      int64_t ldk = ldb;
      if (tb) {
        thread_local std::vector<float> bt;
        transpose_into(b, N, K, ldb, bt);
        bk = bt.data();
        ldk = N;
      }
      kern.gemm_any(ta, M, N, K, a, lda, bk, ldk, c, ldc, beta == 1.f ? c : nullptr, ldc, nullptr, isa::Act::Linear);
      return;
    }
    if (kern.sgemm) {  // Eigen compiled for the CPU's instruction set
      kern.sgemm(a, ta, b, tb, c, M, N, K, alpha, beta, lda, ldb, ldc);
      return;
    }
  }
  eigen_gemm<T>(a, ta, b, tb, c, M, N, K, alpha, beta, lda, ldb, ldc);
}

// c [M,N] (contiguous) = alpha op(a) op(b) + beta c, in panels of rows of c (columns when M is
// small) on the pool. A row panel of c needs rows of op(a): rows of a, or columns when ta.
template <class T>
void gemm_one(const T* a, bool ta, const T* b, bool tb, T* c, int64_t M, int64_t N, int64_t K, T alpha, T beta) {
  const isa::Kernels& kern = isa::select_kernels();
  const int64_t lda = ta ? M : K, ldb = tb ? K : N;
  if (M < 2 * kPanel && N < 2 * kPanel && K >= 2 * kKPanel && M * N * K >= kGemmSerialFlops) {
    // A small output summed over many rows (a weight gradient Gᵀ X over the batch): panels of
    // kKPanel along K on the pool, each a partial product, added in panel order.
    const int64_t panels = (K + kKPanel - 1) / kKPanel;
    std::vector<T> part(static_cast<size_t>(panels * M * N));
    parallel_for(panels, 1, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const int64_t k0 = p * kKPanel, k = std::min(kKPanel, K - k0);
        const T* ap = ta ? a + k0 * lda : a + k0;  // columns k0.. of op(a)
        const T* bp = tb ? b + k0 : b + k0 * ldb;  // rows k0.. of op(b)
        gemm_block<T>(ap, ta, bp, tb, &part[static_cast<size_t>(p * M * N)], M, N, k, T(1), T(0), lda, ldb, N, kern);
      }
    });
    for (int64_t p = 1; p < panels; ++p)
      for (int64_t i = 0; i < M * N; ++i) part[static_cast<size_t>(i)] += part[static_cast<size_t>(p * M * N + i)];
    for (int64_t i = 0; i < M * N; ++i)
      c[i] = beta == T(0) ? alpha * part[static_cast<size_t>(i)] : alpha * part[static_cast<size_t>(i)] + beta * c[i];
    return;
  }
  if (M * N * std::max<int64_t>(K, 1) < kGemmSerialFlops || (M < 2 * kPanel && N < 2 * kPanel)) {
    gemm_block<T>(a, ta, b, tb, c, M, N, K, alpha, beta, lda, ldb, N, kern);
    return;
  }
  if (M >= N || M >= 2 * kPanel) {
    // Tall products (the batch's rows): panels of kRowPanel rows, few enough that Eigen's per-call
    // packing and set-up stay small, many enough to spread over the pool.
    const int64_t rp = M >= 4 * kRowPanel ? kRowPanel : kPanel;
    parallel_for((M + rp - 1) / rp, 1, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const int64_t r = p * rp, m = std::min(rp, M - r);
        gemm_block<T>(ta ? a + r : a + r * lda, ta, b, tb, c + r * N, m, N, K, alpha, beta, lda, ldb, N, kern);
      }
    });
  } else {
    parallel_for((N + kPanel - 1) / kPanel, 1, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const int64_t col = p * kPanel, n = std::min(kPanel, N - col);
        gemm_block<T>(a, ta, tb ? b + col * ldb : b + col, tb, c + col, M, n, K, alpha, beta, lda, ldb, N, kern);
      }
    });
  }
}

}  // namespace

// a [M,K]|[K,M] or [B,M,K]|[B,K,M]; b [K,N]|[N,K] or [B,K,N]|[B,N,K]; c [M,N] or [B,M,N].
void CpuBackend::gemm(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, Tensor& c, double alpha,
                      double beta) {
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

// float32 on a CPU with AVX2 or AVX-512: Wᵀ packed once, then row panels of the instruction set's
// tile kernel starting from the init rows or the bias and applying the activation to each tile
// while it is in L1 (Logistic: the bits of the elementwise float sigmoid). Else the default
// composition.
void CpuBackend::linear_forward(const Tensor& x, const Tensor& w, const Tensor* b, const UnaryOp* act, Tensor& y,
                                const Tensor* init) {
  const isa::Kernels& kern = isa::select_kernels();
  if (y.dtype() != DType::F32 || !kern.sgemm || (act && *act != UnaryOp::Relu && *act != UnaryOp::Sigmoid)) {
    Backend::linear_forward(x, w, b, act, y, init);
    return;
  }
  const int64_t R = x.size(0), D = x.size(1), H = w.size(0);
  const float* wp = w.data<float>();
  std::vector<float> wt;
  transpose_into(wp, H, D, D, wt);
  const float* xp = x.data<float>();
  const float* bias = b ? b->data<float>() : nullptr;
  const float* ip = init ? init->data<float>() : nullptr;
  const int64_t Ri = init ? init->size(0) : R;  // rows of a group: y's row r starts from init row r mod Ri
  float* yp = y.data<float>();
  const isa::Act a = !act ? isa::Act::Linear : *act == UnaryOp::Relu ? isa::Act::Relu : isa::Act::Logistic;
  // Rows r .. r + m - 1 of one group.
  auto rows = [&](int64_t r, int64_t m) {
    kern.gemm_any(false, m, H, D, xp + r * D, D, wt.data(), H, yp + r * H, H, ip ? ip + (r % Ri) * H : nullptr, H,
                  bias, a);
  };
  row_panels(Ri > 0 ? R / Ri : 0, Ri, R * H * std::max<int64_t>(D, 1), rows);
}

// float32 with the instruction set's kernels: row panels of gemm_dact (g w with act' applied to
// each tile in L1); w [H, D] is already op(b) = b row-major. Else the default composition.
void CpuBackend::matmul_dact(const Tensor& g, const Tensor& w, const Tensor& y, UnaryOp act, Tensor& gx) {
  const isa::Kernels& kern = isa::select_kernels();
  if (gx.dtype() != DType::F32 || !kern.sgemm || (act != UnaryOp::Relu && act != UnaryOp::Sigmoid)) {
    Backend::matmul_dact(g, w, y, act, gx);
    return;
  }
  const int64_t R = g.size(0), H = g.size(1), D = w.size(1);
  const float* gp = g.data<float>();
  const float* wp = w.data<float>();
  const float* yp = y.data<float>();
  float* op = gx.data<float>();
  const isa::Act a = act == UnaryOp::Relu ? isa::Act::Relu : isa::Act::Logistic;
  auto rows = [&](int64_t r, int64_t m) {
    kern.gemm_dact(m, D, H, gp + r * H, H, wp, D, op + r * D, D, yp + r * D, D, a);
  };
  row_panels(1, R, R * D * std::max<int64_t>(H, 1), rows);
}

}  // namespace dien::cpu
