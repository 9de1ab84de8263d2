// SPDX-License-Identifier: MIT
// The row schedule of the CPU recurrent scans (kernels/cpu/rnn_scan.cpp has the story), shared
// by the double-precision path (rnn_scan.cpp) and the float32 row-block path (rnn_scan_f32.cpp).
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "kernels/backend.h"

namespace dien::cpu {

struct Schedule {
  std::vector<int64_t> len;     // [B] lengths in the caller's order
  std::vector<int64_t> order;   // [B] sorted position -> caller row (lengths descending, stable)
  std::vector<int64_t> active;  // [maxlen] rows with length > t (a prefix of order)
  std::vector<int64_t> offset;  // [maxlen+1] Σ_{t'<t} active[t']: compact step-major row offset
  int64_t maxlen = 0;
};

Schedule make_schedule(const Tensor& lengths);

// The float32 scans on the vector kernels (kernels/cpu/isa/kernels.h), rows in blocks that
// threads own for the whole recurrence. Arguments as CpuBackend::rnn_scan_forward/backward's.
// With x non-null (x [B,T,D], w_ih [3H,D], b_ih [3H] or null) gi is unused: each block forms its
// rows' projections x W_ihᵀ + b_ih step by step (rnn_scan_forward_x).
void scan_forward_f32(RnnCell cell, GateLayout layout, const Schedule& s, const float* gi, const float* att,
                      const float* h0, const float* w_hh, const float* b_hh, float* states, float* last, float* ws,
                      int64_t Tn, int64_t H, const float* x = nullptr, int64_t D = 0,
                      const float* w_ih = nullptr, const float* b_ih = nullptr);
// With g_gi null, g_gi stays in the blocks' buffers and the inputs' gradients are formed there:
// g_x = g_gi W_ih [B,T,D] (w_ih [3H,D]), g_w_ih = g_giᵀ x [3H,D] (x [B,T,D]), g_b_ih = Σ g_gi [3H],
// each when non-null (rnn_scan_backward_x).
struct ScanInputGrads {
  const float* x = nullptr;
  const float* w_ih = nullptr;
  int64_t D = 0;
  float* g_x = nullptr;
  float* g_w_ih = nullptr;
  float* g_b_ih = nullptr;
};
void scan_backward_f32(RnnCell cell, GateLayout layout, const Schedule& s, const float* att, const float* h0,
                       const float* w_hh, const float* states, const float* ws, const float* g_states,
                       const float* g_last, float* g_gi, float* g_h0, float* g_att, float* g_w_hh, float* g_b_hh,
                       int64_t Tn, int64_t H, const ScanInputGrads& in = {});

}  // namespace dien::cpu
