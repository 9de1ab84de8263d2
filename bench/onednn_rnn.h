// SPDX-License-Identifier: MIT
// oneDNN's GRU-family RNN primitives as CPU peers for bench_augru (compiled only when CMake finds
// oneDNN; never part of the library). Gates in oneDNN's order u|r|o (ours: r|z|n; kOurs below),
// oneDNN's update convention h' = u~ h + (1 - u~) c, zero initial state. Each primitive is one of
// dien's rnn_scan cells (kernels/backend.h), which bench_augru checks before timing it:
//   vanilla_gru    c = tanh(W_o x + U_o (r h) + B_o)            = RnnCell::Gru, ResetBeforeLinear
//                  (3 bias gates: b_ih + b_hh summed per gate), u~ = u
//   lbr_gru        c = tanh(W_o x + B_o + r (U_o h + B_o'))      = RnnCell::Gru, LinearBeforeReset
//                  (4 bias gates: u, r, o input + hidden summed, then the hidden bias of o), u~ = u
//   vanilla_augru  vanilla_gru with u~ = (1 - a) u            = RnnCell::AugruReference, ResetBeforeLinear
//   lbr_augru      lbr_gru with u~ = (1 - a) u                = RnnCell::AugruReference, LinearBeforeReset
// (u = our z = g: oneDNN's h' = u h + (1 - u) c is PyTorch's h' = z h + (1 - z) n.) The paper form
// of AUGRU (RnnCell::AugruPaper: u = a g, h' = (1 - u) h + u n) has no oneDNN primitive.
// oneDNN has no per-row lengths, so it is only run (and only comparable) with full lengths.
// Layouts: x, attention [T, N, 1] and the states as tnc (the backward of oneDNN 2.6 accepts no
// ntc; inputs are transposed once at set-up, outside the timing, so oneDNN gets its preferred
// layout for free), weights given as ldigo and reordered once to the primitive's choice. Timed
// bodies run the primitives only (forward inference, or forward training + backward with diff
// weights cleared first, as oneDNN accumulates them).
#pragma once
#include <cstring>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "core/tensor.h"

namespace dien::bench {

enum class OnednnCell { VanillaGru, LbrGru, VanillaAugru, LbrAugru };

inline const char* onednn_cell_name(OnednnCell c) {
  switch (c) {
    case OnednnCell::VanillaGru: return "vanilla_gru";
    case OnednnCell::LbrGru: return "lbr_gru";
    case OnednnCell::VanillaAugru: return "vanilla_augru";
    case OnednnCell::LbrAugru: return "lbr_augru";
  }
  return "?";
}
inline bool onednn_cell_lbr(OnednnCell c) { return c == OnednnCell::LbrGru || c == OnednnCell::LbrAugru; }
inline bool onednn_cell_att(OnednnCell c) { return c == OnednnCell::VanillaAugru || c == OnednnCell::LbrAugru; }

class OnednnRnn {
 public:
  using tag = dnnl::memory::format_tag;
  using dt = dnnl::memory::data_type;
  using md = dnnl::memory::desc;

  // x [B,T,D], att [B,T] (the AUGRU cells; ignored by the GRU ones), w_ih [3H,D], w_hh [3H,H],
  // b_ih/b_hh [3H], all f32 on the CPU.
  OnednnRnn(OnednnCell cell, const Tensor& x, const Tensor& att, const Tensor& w_ih, const Tensor& w_hh,
            const Tensor& b_ih, const Tensor& b_hh)
      : cell_(cell), lbr_(onednn_cell_lbr(cell)), att_on_(onednn_cell_att(cell)),
        eng_(dnnl::engine::kind::cpu, 0), strm_(eng_) {
    N_ = x.size(0), T_ = x.size(1), C_ = x.size(2), H_ = w_hh.size(1);
    x_ = to_tnc(x.to_vector<float>(), C_);
    if (att_on_) att_ = to_tnc(att.to_vector<float>(), 1);
    std::vector<float> wi = w_ih.to_vector<float>(), wh = w_hh.to_vector<float>();
    std::vector<float> bi = b_ih.to_vector<float>(), bh = b_hh.to_vector<float>();
    // ldigo: [1][1][in][gate][out]; oneDNN gate k is our row block kOurs[k].
    wl_.assign(C_ * 3 * H_, 0.f);
    wi_.assign(H_ * 3 * H_, 0.f);
    for (int k = 0; k < 3; ++k)
      for (int64_t o = 0; o < H_; ++o) {
        const int64_t row = kOurs[k] * H_ + o;
        for (int64_t i = 0; i < C_; ++i) wl_[(i * 3 + k) * H_ + o] = wi[row * C_ + i];
        for (int64_t i = 0; i < H_; ++i) wi_[(i * 3 + k) * H_ + o] = wh[row * H_ + i];
      }
    // ldgo. lbr: 4 gates: u, r, o (input + hidden biases summed; o: input only), then the hidden
    // bias of o. vanilla: 3 gates, input + hidden summed (ResetBeforeLinear adds b_hn after the
    // product, outside r, so it sums with b_in like the others).
    bias_gates_ = lbr_ ? 4 : 3;
    bias_.assign(bias_gates_ * H_, 0.f);
    for (int k = 0; k < 3; ++k)
      for (int64_t o = 0; o < H_; ++o) {
        const int64_t row = kOurs[k] * H_ + o;
        bias_[k * H_ + o] = (k == 2 && lbr_) ? bi[row] : bi[row] + bh[row];
        if (k == 2 && lbr_) bias_[3 * H_ + o] = bh[row];
      }
    src_md_ = md({T_, N_, C_}, dt::f32, tag::tnc);
    att_md_ = md({T_, N_, 1}, dt::f32, tag::tnc);
    dst_md_ = md({T_, N_, H_}, dt::f32, tag::tnc);
    last_md_ = md({1, 1, N_, H_}, dt::f32, tag::ldnc);
    bias_md_ = md({1, 1, bias_gates_, H_}, dt::f32, tag::ldgo);
    wl_user_md_ = md({1, 1, C_, 3, H_}, dt::f32, tag::ldigo);
    wi_user_md_ = md({1, 1, H_, 3, H_}, dt::f32, tag::ldigo);
    dst_.assign(N_ * T_ * H_, 0.f);
    last_.assign(N_ * H_, 0.f);
  }

  const char* name() const { return onednn_cell_name(cell_); }

  // Forward (inference or training); returns the body that runs it.
  std::function<void()> forward(bool training) {
    const auto pk = training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
    const auto dir = dnnl::rnn_direction::unidirectional_left2right;
    const md wl_any = any({1, 1, C_, 3, H_}), wi_any = any({1, 1, H_, 3, H_});
    std::shared_ptr<dnnl::primitive> prim;
    switch (cell_) {
      case OnednnCell::VanillaGru: {
        dnnl::gru_forward::desc d(pk, dir, src_md_, md(), wl_any, wi_any, bias_md_, dst_md_, last_md_);
        auto pd = dnnl::gru_forward::primitive_desc(d, eng_);
        gru_fwd_pd_ = pd;
        fwd_pd_ = pd;
        prim = std::make_shared<dnnl::gru_forward>(pd);
        break;
      }
      case OnednnCell::LbrGru: {
        dnnl::lbr_gru_forward::desc d(pk, dir, src_md_, md(), wl_any, wi_any, bias_md_, dst_md_, last_md_);
        auto pd = dnnl::lbr_gru_forward::primitive_desc(d, eng_);
        lbr_gru_fwd_pd_ = pd;
        fwd_pd_ = pd;
        prim = std::make_shared<dnnl::lbr_gru_forward>(pd);
        break;
      }
      case OnednnCell::VanillaAugru: {
        dnnl::augru_forward::desc d(pk, dir, src_md_, md(), att_md_, wl_any, wi_any, bias_md_, dst_md_, last_md_);
        auto pd = dnnl::augru_forward::primitive_desc(d, eng_);
        augru_fwd_pd_ = pd;
        fwd_pd_ = pd;
        prim = std::make_shared<dnnl::augru_forward>(pd);
        break;
      }
      case OnednnCell::LbrAugru: {
        dnnl::lbr_augru_forward::desc d(pk, dir, src_md_, md(), att_md_, wl_any, wi_any, bias_md_, dst_md_,
                                        last_md_);
        auto pd = dnnl::lbr_augru_forward::primitive_desc(d, eng_);
        lbr_augru_fwd_pd_ = pd;
        fwd_pd_ = pd;
        prim = std::make_shared<dnnl::lbr_augru_forward>(pd);
        break;
      }
    }
    auto wl = weights(wl_, wl_user_md_, fwd_pd_.weights_layer_desc());
    auto wi = weights(wi_, wi_user_md_, fwd_pd_.weights_iter_desc());
    args_fwd_ = {{DNNL_ARG_SRC_LAYER, mem(src_md_, x_.data())},
                 {DNNL_ARG_WEIGHTS_LAYER, wl},
                 {DNNL_ARG_WEIGHTS_ITER, wi},
                 {DNNL_ARG_BIAS, mem(bias_md_, bias_.data())},
                 {DNNL_ARG_DST_LAYER, mem(dst_md_, dst_.data())},
                 {DNNL_ARG_DST_ITER, mem(last_md_, last_.data())}};
    if (att_on_) args_fwd_[DNNL_ARG_AUGRU_ATTENTION] = mem(att_md_, att_.data());
    if (training) {
      workspace_ = dnnl::memory(fwd_pd_.workspace_desc(), eng_);
      args_fwd_[DNNL_ARG_WORKSPACE] = workspace_;
    }
    return [this, prim] {
      prim->execute(strm_, args_fwd_);
      strm_.wait();
    };
  }

  // Forward training + backward with upstream gradients of the states and the last state, ones
  // (the bench's sum(states) + sum(last)).
  std::function<void()> forward_backward() {
    auto fwd = forward(true);
    gdst_.assign(N_ * T_ * H_, 1.f);
    glast_.assign(N_ * H_, 1.f);
    gx_.assign(N_ * T_ * C_, 0.f);
    gatt_.assign(att_on_ ? N_ * T_ : 0, 0.f);
    gbias_.assign(bias_gates_ * H_, 0.f);
    const auto dir = dnnl::rnn_direction::unidirectional_left2right;
    const auto bk = dnnl::prop_kind::backward;
    const md wl_any = any({1, 1, C_, 3, H_}), wi_any = any({1, 1, H_, 3, H_});
    std::shared_ptr<dnnl::primitive> prim;
    switch (cell_) {
      case OnednnCell::VanillaGru: {
        dnnl::gru_backward::desc d(bk, dir, src_md_, md(), wl_any, wi_any, bias_md_, dst_md_, last_md_, src_md_,
                                   md(), wl_any, wi_any, bias_md_, dst_md_, last_md_);
        auto pd = dnnl::gru_backward::primitive_desc(
            d, eng_, gru_fwd_pd_);
        bwd_pd_ = pd;
        prim = std::make_shared<dnnl::gru_backward>(pd);
        break;
      }
      case OnednnCell::LbrGru: {
        dnnl::lbr_gru_backward::desc d(bk, dir, src_md_, md(), wl_any, wi_any, bias_md_, dst_md_, last_md_,
                                       src_md_, md(), wl_any, wi_any, bias_md_, dst_md_, last_md_);
        auto pd = dnnl::lbr_gru_backward::primitive_desc(
            d, eng_, lbr_gru_fwd_pd_);
        bwd_pd_ = pd;
        prim = std::make_shared<dnnl::lbr_gru_backward>(pd);
        break;
      }
      case OnednnCell::VanillaAugru: {
        dnnl::augru_backward::desc d(bk, dir, src_md_, md(), att_md_, wl_any, wi_any, bias_md_, dst_md_, last_md_,
                                     src_md_, md(), att_md_, wl_any, wi_any, bias_md_, dst_md_, last_md_);
        auto pd = dnnl::augru_backward::primitive_desc(
            d, eng_, augru_fwd_pd_);
        bwd_pd_ = pd;
        prim = std::make_shared<dnnl::augru_backward>(pd);
        break;
      }
      case OnednnCell::LbrAugru: {
        dnnl::lbr_augru_backward::desc d(bk, dir, src_md_, md(), att_md_, wl_any, wi_any, bias_md_, dst_md_,
                                         last_md_, src_md_, md(), att_md_, wl_any, wi_any, bias_md_, dst_md_,
                                         last_md_);
        auto pd = dnnl::lbr_augru_backward::primitive_desc(
            d, eng_, lbr_augru_fwd_pd_);
        bwd_pd_ = pd;
        prim = std::make_shared<dnnl::lbr_augru_backward>(pd);
        break;
      }
    }
    auto wl = weights(wl_, wl_user_md_, bwd_pd_.weights_layer_desc());
    auto wi = weights(wi_, wi_user_md_, bwd_pd_.weights_iter_desc());
    gwl_ = dnnl::memory(bwd_pd_.diff_weights_layer_desc(), eng_);
    gwi_ = dnnl::memory(bwd_pd_.diff_weights_iter_desc(), eng_);
    args_bwd_ = {{DNNL_ARG_SRC_LAYER, args_fwd_.at(DNNL_ARG_SRC_LAYER)},
                 {DNNL_ARG_WEIGHTS_LAYER, wl},
                 {DNNL_ARG_WEIGHTS_ITER, wi},
                 {DNNL_ARG_BIAS, args_fwd_.at(DNNL_ARG_BIAS)},
                 {DNNL_ARG_DST_LAYER, args_fwd_.at(DNNL_ARG_DST_LAYER)},
                 {DNNL_ARG_DST_ITER, args_fwd_.at(DNNL_ARG_DST_ITER)},
                 {DNNL_ARG_WORKSPACE, workspace_},
                 {DNNL_ARG_DIFF_SRC_LAYER, mem(src_md_, gx_.data())},
                 {DNNL_ARG_DIFF_WEIGHTS_LAYER, gwl_},
                 {DNNL_ARG_DIFF_WEIGHTS_ITER, gwi_},
                 {DNNL_ARG_DIFF_BIAS, mem(bias_md_, gbias_.data())},
                 {DNNL_ARG_DIFF_DST_LAYER, mem(dst_md_, gdst_.data())},
                 {DNNL_ARG_DIFF_DST_ITER, mem(last_md_, glast_.data())}};
    if (att_on_) {
      args_bwd_[DNNL_ARG_AUGRU_ATTENTION] = args_fwd_.at(DNNL_ARG_AUGRU_ATTENTION);
      args_bwd_[DNNL_ARG_DIFF_AUGRU_ATTENTION] = mem(att_md_, gatt_.data());
    }
    return [this, fwd, prim] {
      fwd();
      for (dnnl::memory* m : {&gwl_, &gwi_})
        std::memset(m->get_data_handle(), 0, m->get_desc().get_size());
      std::memset(gbias_.data(), 0, gbias_.size() * sizeof(float));
      prim->execute(strm_, args_bwd_);
      strm_.wait();
    };
  }

  // Results in dien's layouts (after running a body): states [B,T,H], last [B,H], and after a
  // backward: g_x [B,T,D], g_att [B,T], g_w_ih [3H,D], g_w_hh [3H,H], g_b_ih, g_b_hh [3H].
  std::vector<float> states() const { return to_ntc(dst_, H_); }
  const std::vector<float>& last() const { return last_; }
  std::vector<float> grad_x() const { return to_ntc(gx_, C_); }
  std::vector<float> grad_att() const { return to_ntc(gatt_, 1); }
  std::vector<float> grad_w_ih() { return unpack(gwl_, C_); }
  std::vector<float> grad_w_hh() { return unpack(gwi_, H_); }
  std::vector<float> grad_b_ih() const { return unpack_bias(false); }
  std::vector<float> grad_b_hh() const { return unpack_bias(true); }

 private:
  static constexpr int kOurs[3] = {1, 0, 2};  // oneDNN u, r, o -> our z, r, n row blocks

  md any(const dnnl::memory::dims& d) const { return md(d, dt::f32, tag::any); }
  // [N, T, c] <-> [T, N, c]
  std::vector<float> to_tnc(const std::vector<float>& v, int64_t c) const {
    std::vector<float> r(v.size());
    for (int64_t n = 0; n < N_; ++n)
      for (int64_t t = 0; t < T_; ++t)
        for (int64_t i = 0; i < c; ++i) r[(t * N_ + n) * c + i] = v[(n * T_ + t) * c + i];
    return r;
  }
  std::vector<float> to_ntc(const std::vector<float>& v, int64_t c) const {
    std::vector<float> r(v.size());
    for (int64_t n = 0; n < N_; ++n)
      for (int64_t t = 0; t < T_; ++t)
        for (int64_t i = 0; i < c; ++i) r[(n * T_ + t) * c + i] = v[(t * N_ + n) * c + i];
    return r;
  }
  dnnl::memory mem(const md& m, float* p) { return dnnl::memory(m, eng_, p); }
  dnnl::memory weights(std::vector<float>& user, const md& user_md, const md& want) {
    dnnl::memory u(user_md, eng_, user.data());
    if (want == user_md) return u;
    dnnl::memory w(want, eng_);
    dnnl::reorder(u, w).execute(strm_, u, w);
    strm_.wait();
    return w;
  }
  // diff weights (any layout) -> ldigo -> our [3H, in] rows r|z|n.
  std::vector<float> unpack(dnnl::memory& m, int64_t in) {
    std::vector<float> ldigo(in * 3 * H_);
    dnnl::memory u(md({1, 1, in, 3, H_}, dt::f32, tag::ldigo), eng_, ldigo.data());
    dnnl::reorder(m, u).execute(strm_, m, u);
    strm_.wait();
    std::vector<float> ours(3 * H_ * in);
    for (int k = 0; k < 3; ++k)
      for (int64_t o = 0; o < H_; ++o)
        for (int64_t i = 0; i < in; ++i) ours[(kOurs[k] * H_ + o) * in + i] = ldigo[(i * 3 + k) * H_ + o];
    return ours;
  }
  std::vector<float> unpack_bias(bool hidden) const {
    std::vector<float> ours(3 * H_);
    for (int k = 0; k < 3; ++k)
      for (int64_t o = 0; o < H_; ++o)
        ours[kOurs[k] * H_ + o] = (k == 2 && hidden && lbr_) ? gbias_[3 * H_ + o] : gbias_[k * H_ + o];
    return ours;
  }

  OnednnCell cell_;
  bool lbr_, att_on_;
  int64_t bias_gates_ = 4;
  dnnl::engine eng_;
  dnnl::stream strm_;
  int64_t N_ = 0, T_ = 0, C_ = 0, H_ = 0;
  std::vector<float> x_, att_, wl_, wi_, bias_, dst_, last_, gdst_, glast_, gx_, gatt_, gbias_;
  md src_md_, att_md_, dst_md_, last_md_, bias_md_, wl_user_md_, wi_user_md_;
  dnnl::rnn_primitive_desc_base fwd_pd_, bwd_pd_;  // (handles shared with the typed ones)
  dnnl::gru_forward::primitive_desc gru_fwd_pd_;
  dnnl::lbr_gru_forward::primitive_desc lbr_gru_fwd_pd_;
  dnnl::augru_forward::primitive_desc augru_fwd_pd_;
  dnnl::lbr_augru_forward::primitive_desc lbr_augru_fwd_pd_;
  dnnl::memory workspace_, gwl_, gwi_;
  std::unordered_map<int, dnnl::memory> args_fwd_, args_bwd_;
};

}  // namespace dien::bench
