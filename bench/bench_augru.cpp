// SPDX-License-Identifier: MIT
// bench_augru: the fused recurrent scan (rnn_scan: one node, one call per direction) against its
// unfused twin (rnn_scan_unfused: the step-by-step composition of primitive ops a framework runs),
// forward (under NoGradGuard) and forward+backward, on the CPU and, when a GPU is present, CUDA.
//   bench_augru                    Markdown table with the unfused/fused ratio (AUGRU, paper form)
//   bench_augru --op gru           the same for the plain GRU (also: augru_ref, agru)
//   bench_augru --json             one JSON object per line on stdout (op, cell, layout, impl,
//                                  device, B, T, H, D, lengths, pass, median_ms, reps, threads);
//                                  the table then goes to stderr
//   bench_augru --quick            a few shapes, fewer repeats (< 2 minutes on a 2-core CPU); keeps
//                                  B=1024 T=100 H=36 forward+backward, fused vs unfused
//   bench_augru --threads N        OpenMP (and so Eigen) threads
//   bench_augru --layout rbl       ResetBeforeLinear gates instead of LinearBeforeReset
//   bench_augru --device cpu|cuda  one device only
//   bench_augru --shape B,T,H      one shape only (e.g. 1024,100,36); --lengths full|mixed one kind
//   bench_augru --onednn LIST      oneDNN peers (comma list of vanilla_gru, lbr_gru, vanilla_augru,
//                                  lbr_augru; "all", the default, or "none")
// Shapes: B in {1, 128, 1024, 4096}, T in {50, 100}, H in {18, 36, 64}, D = H; lengths "full"
// (all T) or "mixed" (uniform in [1, T]); f32. Each time is the median of repeated runs
// (bench/bench_util.h), the repeats sized so that one configuration takes about a second.
// With oneDNN found at configure time (DIEN_BENCH_ONEDNN), every --op adds impl=onednn rows on the
// CPU: oneDNN's vanilla_gru, lbr_gru, vanilla_augru and lbr_augru primitives (forward inference,
// and forward training + backward), the cells Gru / AugruReference with ResetBeforeLinear /
// LinearBeforeReset (bench/onednn_rnn.h), on the same shape and threads, with full lengths only
// (oneDNN has no per-row lengths), as columns beside dien's fused and unfused times, with the
// ratio onednn lbr_gru / dien fused (the GRU a framework would call, against dien's cell of --op).
// Each primitive and pass is first checked against rnn_scan of its equivalent cell on a small
// problem and timed only where it agrees (--onednn-unchecked: time it anyway); oneDNN 2.6.3's
// AUGRU backward does not agree (its attention gradient is wrong: see bench/RESULTS.md). JSON rows
// of oneDNN carry impl "onednn", primitive (its name), cell and layout (the equivalent dien cell),
// checked (whether that pass agreed with rnn_scan).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "bench/bench_util.h"
#include "core/error.h"
#include "core/threads.h"
#if DIEN_WITH_OPENMP
#include <omp.h>
#endif
#if DIEN_BENCH_ONEDNN
#include "bench/onednn_rnn.h"
#endif

using namespace dien;

namespace {

struct Options {
  bool json = false, quick = false, onednn_unchecked = false;
  int threads = 0;  // 0: the OpenMP default
  std::string op = "augru", layout = "lbr", device = "all", lengths = "both", onednn = "all";
  int64_t shape_B = 0, shape_T = 0, shape_H = 0;  // --shape: one shape only
};

struct Shape4 {
  int64_t B, T, H;
  std::string lengths;  // full | mixed
};

struct OpInfo {
  RnnCell cell;
  const char* cell_name;
  bool att;
};

std::optional<OpInfo> op_info(const std::string& op) {
  if (op == "gru") return OpInfo{RnnCell::Gru, "gru", false};
  if (op == "augru") return OpInfo{RnnCell::AugruPaper, "augru_paper", true};
  if (op == "augru_ref") return OpInfo{RnnCell::AugruReference, "augru_reference", true};
  if (op == "agru") return OpInfo{RnnCell::Agru, "agru", true};
  return std::nullopt;
}

std::vector<Shape4> shapes_of(bool quick) {
  std::vector<Shape4> s;
  if (quick) {
    for (const char* l : {"mixed", "full"}) s.push_back({1024, 100, 36, l});
    s.push_back({1, 50, 18, "mixed"});
    s.push_back({128, 50, 36, "mixed"});
    s.push_back({1024, 50, 64, "mixed"});
    return s;
  }
  for (int64_t B : {1, 128, 1024, 4096})
    for (int64_t T : {50, 100})
      for (int64_t H : {18, 36, 64})
        for (const char* l : {"full", "mixed"}) s.push_back({B, T, H, l});
  return s;
}

// The shapes of this run: --shape (both length kinds, unless --lengths), else the list above.
std::vector<Shape4> shapes(const Options& o) {
  std::vector<Shape4> s;
  if (o.shape_B > 0) {
    for (const char* l : {"mixed", "full"})
      if (o.lengths == "both" || o.lengths == l) s.push_back({o.shape_B, o.shape_T, o.shape_H, l});
    return s;
  }
  for (const Shape4& x : shapes_of(o.quick))
    if (o.lengths == "both" || o.lengths == x.lengths) s.push_back(x);
  return s;
}

// Inputs of one configuration on one device: x [B,T,D], att [B,T], lengths [B], weights and
// biases with PyTorch's GRU init; no h0 (DIEN starts from zeros).
struct Inputs {
  Tensor x, att, lengths, w_ih, w_hh, b_ih, b_hh;
  std::vector<int64_t> len;
  std::vector<Tensor> leaves() const {
    std::vector<Tensor> v{x, w_ih, w_hh, b_ih, b_hh};
    if (att.defined()) v.push_back(att);
    return v;
  }
};

Inputs make_inputs(const Shape4& s, bool with_att, Device d, uint64_t seed) {
  Generator g(seed);
  const int64_t D = s.H;
  const double k = 1.0 / std::sqrt(static_cast<double>(s.H));
  Inputs in;
  in.x = uniform({s.B, s.T, D}, -1, 1, g, DType::F32, d);
  if (with_att) in.att = uniform({s.B, s.T}, 0, 1, g, DType::F32, d);
  in.w_ih = uniform({3 * s.H, D}, -k, k, g, DType::F32, d);
  in.w_hh = uniform({3 * s.H, s.H}, -k, k, g, DType::F32, d);
  in.b_ih = uniform({3 * s.H}, -k, k, g, DType::F32, d);
  in.b_hh = uniform({3 * s.H}, -k, k, g, DType::F32, d);
  in.len.resize(s.B);
  for (auto& l : in.len) l = s.lengths == "full" ? s.T : 1 + static_cast<int64_t>(g.randint(s.T));
  in.lengths = from_vector(in.len, {s.B}).to(d);
  return in;
}

// The timed body: forward under NoGradGuard, or forward + backward of sum(states) + sum(last)
// into every input (gradients dropped before each run so none accumulates).
std::function<void()> make_body(const OpInfo& op, GateLayout layout, bool fused, bool backward, const Inputs& in) {
  if (!backward)
    return [=] {
      NoGradGuard ng;
      if (fused) rnn_scan(op.cell, in.x, in.lengths, in.att, Tensor(), in.w_ih, in.w_hh, in.b_ih, in.b_hh, layout);
      else rnn_scan_unfused(op.cell, in.x, in.lengths, in.att, Tensor(), in.w_ih, in.w_hh, in.b_ih, in.b_hh, layout);
    };
  std::vector<Tensor> leaves = in.leaves();
  for (Tensor& t : leaves) t.set_requires_grad();
  return [=]() mutable {
    for (Tensor& t : leaves) t.zero_grad();
    RnnOutput o = fused ? rnn_scan(op.cell, in.x, in.lengths, in.att, Tensor(), in.w_ih, in.w_hh, in.b_ih, in.b_hh, layout)
                        : rnn_scan_unfused(op.cell, in.x, in.lengths, in.att, Tensor(), in.w_ih, in.w_hh, in.b_ih,
                                           in.b_hh, layout);
    (sum(o.states) + sum(o.last)).backward();
  };
}

// Median over repeats sized so that one configuration takes about `budget_ms` (at least 3
// repeats, at most max_reps), after one untimed warm-up run that also measures.
struct Timing {
  double ms = 0;
  int reps = 0;
};
Timing time_body(const std::function<void()>& body, bool gpu, double budget_ms, int max_reps) {
  double first = bench::median_ms(body, gpu, 1, 1);
  int reps = static_cast<int>(budget_ms / std::max(first, 1e-3));
  reps = std::max(3, std::min(max_reps, reps));
  return {bench::median_ms(body, gpu, reps, 0), reps};
}

#if DIEN_BENCH_ONEDNN
// A oneDNN primitive and the rnn_scan cell it equals (bench/onednn_rnn.h), with the passes that
// agreed with rnn_scan (or that are timed regardless, with --onednn-unchecked).
struct OnednnPeer {
  bench::OnednnCell cell;
  RnnCell dien_cell;
  GateLayout layout;
  bool forward = false, backward = false;  // agreed with rnn_scan
  const char* name() const { return bench::onednn_cell_name(cell); }
  const char* cell_name() const { return dien_cell == RnnCell::Gru ? "gru" : "augru_reference"; }
  const char* layout_name() const { return layout == GateLayout::LinearBeforeReset ? "lbr" : "rbl"; }
};

std::vector<OnednnPeer> onednn_peers(const std::string& list) {
  using C = bench::OnednnCell;
  const OnednnPeer all[] = {{C::VanillaGru, RnnCell::Gru, GateLayout::ResetBeforeLinear},
                            {C::LbrGru, RnnCell::Gru, GateLayout::LinearBeforeReset},
                            {C::VanillaAugru, RnnCell::AugruReference, GateLayout::ResetBeforeLinear},
                            {C::LbrAugru, RnnCell::AugruReference, GateLayout::LinearBeforeReset}};
  std::vector<OnednnPeer> r;
  if (list == "none") return r;
  for (const OnednnPeer& p : all)
    if (list == "all" || ("," + list + ",").find("," + std::string(p.name()) + ",") != std::string::npos)
      r.push_back(p);
  return r;
}

// The oneDNN peer's timed body; it keeps the primitive and its buffers alive.
std::function<void()> onednn_body(const OnednnPeer& peer, const Inputs& in, bool backward) {
  auto p = std::make_shared<bench::OnednnRnn>(peer.cell, in.x, in.att, in.w_ih, in.w_hh, in.b_ih, in.b_hh);
  auto body = backward ? p->forward_backward() : p->forward(false);
  return [p, body] { body(); };
}

double max_abs_diff(const std::vector<float>& a, const Tensor& b) {
  std::vector<float> v = b.to_vector<float>();
  double m = a.size() == v.size() ? 0.0 : INFINITY;
  for (size_t i = 0; i < a.size() && i < v.size(); ++i) m = std::max(m, std::fabs(double(a[i]) - double(v[i])));
  return m;
}

// Before timing it, checks that a oneDNN primitive computes what its rnn_scan cell computes, on a
// small full-length problem: forward (states, last) and backward (every gradient) separately, and
// records which passes agree in peer.forward / peer.backward. oneDNN 2.6.3 (Debian bookworm)
// agrees on the AUGRU forward to f32 rounding, but its AUGRU backward disagrees with finite
// differences of its own forward (the attention enters it wrongly; with a = 0 it matches).
void onednn_check(OnednnPeer& peer) {
  const bool att = bench::onednn_cell_att(peer.cell);
  Shape4 s{8, 10, 8, "full"};
  Inputs in = make_inputs(s, att, Device::cpu(), 99);
  bench::OnednnRnn p(peer.cell, in.x, in.att, in.w_ih, in.w_hh, in.b_ih, in.b_hh);
  p.forward_backward()();
  for (Tensor& t : in.leaves()) t.set_requires_grad();
  RnnOutput o = rnn_scan(peer.dien_cell, in.x, in.lengths, in.att, Tensor(), in.w_ih, in.w_hh, in.b_ih, in.b_hh,
                         peer.layout);
  (sum(o.states) + sum(o.last)).backward();
  auto report = [&](const char* pass, std::vector<std::pair<const char*, double>> diffs) {
    double d = 0;
    std::string detail;
    for (const auto& [what, v] : diffs) {
      d = std::max(d, v);
      char buf[64];
      std::snprintf(buf, sizeof buf, "%s%s %.2g", detail.empty() ? "" : ", ", what, v);
      detail += buf;
    }
    const bool ok = d < 1e-4;
    std::fprintf(stderr, "bench_augru: oneDNN %d.%d %s %s vs rnn_scan(%s, %s): max abs differences %s -> %s\n",
                 dnnl_version()->major, dnnl_version()->minor, peer.name(), pass, rnn_cell_name(peer.dien_cell),
                 peer.layout == GateLayout::LinearBeforeReset ? "LinearBeforeReset" : "ResetBeforeLinear",
                 detail.c_str(), ok ? "agrees, timed" : "DISAGREES, not timed");
    return ok;
  };
  peer.forward = report("forward", {{"states", max_abs_diff(p.states(), o.states)}, {"last", max_abs_diff(p.last(), o.last)}});
  std::vector<std::pair<const char*, double>> g = {{"x", max_abs_diff(p.grad_x(), in.x.grad())},
                                                   {"w_ih", max_abs_diff(p.grad_w_ih(), in.w_ih.grad())},
                                                   {"w_hh", max_abs_diff(p.grad_w_hh(), in.w_hh.grad())},
                                                   {"b_ih", max_abs_diff(p.grad_b_ih(), in.b_ih.grad())},
                                                   {"b_hh", max_abs_diff(p.grad_b_hh(), in.b_hh.grad())}};
  if (att) g.insert(g.begin() + 1, {"att", max_abs_diff(p.grad_att(), in.att.grad())});
  peer.backward = report("backward", g);
}
#endif

int current_threads() {
#if DIEN_WITH_OPENMP
  return dien::num_threads();
#else
  return 1;
#endif
}

void usage(FILE* f) {
  std::fprintf(f,
               "usage: bench_augru [--op augru|augru_ref|gru|agru] [--layout lbr|rbl] [--json] [--quick]\n"
               "                   [--threads N] [--device all|cpu|cuda] [--shape B,T,H] [--lengths full|mixed]\n"
               "                   [--onednn all|none|LIST] [--onednn-unchecked]\n"
               "  fused rnn_scan vs its unfused twin, forward and forward+backward, CPU and (if present) CUDA;\n"
               "  with oneDNN (%s in this build): its GRU/AUGRU primitives beside them (full lengths, CPU).\n"
               "  --shape B,T,H        one shape only (both length kinds unless --lengths)\n"
               "  --onednn LIST        comma list of vanilla_gru, lbr_gru, vanilla_augru, lbr_augru (default all)\n"
               "  --onednn-unchecked   time oneDNN passes that disagree with rnn_scan too (JSON checked=false)\n",
#if DIEN_BENCH_ONEDNN
               "found"
#else
               "not found"
#endif
  );
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    auto arg = [&](const char* name) -> const char* {
      if (std::strcmp(argv[i], name)) return nullptr;
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_augru: %s needs a value\n", name);
        std::exit(2);
      }
      return argv[++i];
    };
    const char* v = nullptr;
    if (!std::strcmp(argv[i], "--json")) o.json = true;
    else if (!std::strcmp(argv[i], "--quick")) o.quick = true;
    else if (!std::strcmp(argv[i], "--onednn-unchecked")) o.onednn_unchecked = true;
    else if ((v = arg("--threads"))) o.threads = std::atoi(v);
    else if ((v = arg("--op"))) o.op = v;
    else if ((v = arg("--layout"))) o.layout = v;
    else if ((v = arg("--device"))) o.device = v;
    else if ((v = arg("--lengths"))) o.lengths = v;
    else if ((v = arg("--onednn"))) o.onednn = v;
    else if ((v = arg("--shape"))) {
      long long b = 0, t = 0, h = 0;
      char tail = 0;
      if (std::sscanf(v, "%lld,%lld,%lld%c", &b, &t, &h, &tail) != 3 || b < 1 || t < 1 || h < 1) {
        std::fprintf(stderr, "bench_augru: --shape expects B,T,H (positive), got '%s'\n", v);
        return 2;
      }
      o.shape_B = b, o.shape_T = t, o.shape_H = h;
    } else {
      bool help = !std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h");
      usage(help ? stdout : stderr);
      return help ? 0 : 2;
    }
  }
  auto op = op_info(o.op);
  if (!op || (o.layout != "lbr" && o.layout != "rbl") || (o.device != "all" && o.device != "cpu" && o.device != "cuda") ||
      o.threads < 0 || (o.lengths != "both" && o.lengths != "full" && o.lengths != "mixed")) {
    usage(stderr);
    return 2;
  }
  const GateLayout layout = o.layout == "lbr" ? GateLayout::LinearBeforeReset : GateLayout::ResetBeforeLinear;
#if DIEN_WITH_OPENMP
  if (o.threads > 0) {
    dien::set_num_threads(o.threads);
    // oneDNN (OpenMP runtime, as Debian builds it) sizes its teams by omp_get_max_threads(), not
    // by dien's setting: without this its "1 thread" rows ran on every core.
    omp_set_num_threads(o.threads);
  }
#else
  if (o.threads > 1) std::fprintf(stderr, "bench_augru: built without OpenMP, --threads ignored\n");
#endif
  const int threads = current_threads();

  std::vector<Device> devs;
  if (o.device != "cuda") devs.push_back(Device::cpu());
  if (o.device != "cpu" && cuda_device_count() > 0) devs.push_back(Device::cuda(0));
  if (devs.empty()) {
    std::fprintf(stderr, "bench_augru: no CUDA device\n");
    return 1;
  }
  // The oneDNN peers (columns): each checked against its rnn_scan cell first.
  std::vector<std::string> onednn_cols;  // primitive names, in column order
#if DIEN_BENCH_ONEDNN
  std::vector<OnednnPeer> peers;
  if (o.device != "cuda") {
    peers = onednn_peers(o.onednn);
    if (peers.empty() && o.onednn != "none") {
      std::fprintf(stderr, "bench_augru: --onednn '%s' names no primitive (vanilla_gru, lbr_gru, vanilla_augru, lbr_augru)\n",
                   o.onednn.c_str());
      return 2;
    }
    for (OnednnPeer& p : peers) {
      try {
        onednn_check(p);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_augru: oneDNN %s check failed (%s); not timing it\n", p.name(), e.what());
        continue;
      }
      if (p.forward || p.backward || o.onednn_unchecked) onednn_cols.push_back(p.name());
    }
  }
#else
  if (o.onednn != "all" && o.onednn != "none")
    std::fprintf(stderr, "bench_augru: built without oneDNN (libdnnl-dev), --onednn ignored\n");
#endif
  const bool with_onednn = !onednn_cols.empty();
  // The ratio column: oneDNN's lbr_gru (PyTorch's and cuDNN's GRU) over dien's fused cell of --op.
  const char* ratio_peer = "lbr_gru";
  const bool with_ratio = std::find(onednn_cols.begin(), onednn_cols.end(), ratio_peer) != onednn_cols.end();

  FILE* table = o.json ? stderr : stdout;
  std::fprintf(table, "%s (%s), f32, %d CPU threads%s\n\n", o.op.c_str(), op->cell_name, threads,
               o.quick ? ", --quick" : "");
  std::fprintf(table, "| device | B | T | H | lengths | pass | fused ms | unfused ms | unfused/fused |");
  for (const std::string& c : onednn_cols) std::fprintf(table, " onednn %s ms |", c.c_str());
  if (with_ratio) std::fprintf(table, " onednn %s/fused |", ratio_peer);
  std::fprintf(table, "\n|---|---|---|---|---|---|---|---|---|");
  for (size_t i = 0; i < onednn_cols.size() + (with_ratio ? 1 : 0); ++i) std::fprintf(table, "---|");
  std::fprintf(table, "\n");

  const double budget_ms = o.quick ? 600 : 1500;
  const int max_reps = o.quick ? 5 : 20;
  // Unfused runs slower than this (one warm-up run, ms) are timed with the minimum repeats; in
  // --quick mode the twin is skipped on shapes other than the kept one when it would cost more.
  const double quick_unfused_skip_ms = 400;
  uint64_t seed = 1;
  std::vector<std::string> ratio_lines;  // "dien fused vs onednn gru", printed after the table
  for (Device d : devs) {
    const bool gpu = d.is_cuda();
    for (const Shape4& s : shapes(o)) {
      Inputs in = make_inputs(s, op->att, d, seed++);
      // oneDNN's inputs: the same, with attention for its AUGRU cells even where --op has none.
      Inputs in_onednn;
      if (with_onednn && !gpu && s.lengths == "full") in_onednn = op->att ? in : make_inputs(s, true, d, seed + 1000);
      for (bool bwd : {false, true}) {
        const char* pass = bwd ? "fwdbwd" : "fwd";
        std::map<std::string, double> ms;
        // key: "fused", "unfused" or a oneDNN primitive's name. extra: JSON keys of oneDNN rows;
        // cell / layout: the dien cell the row computes.
        auto emit = [&](const std::string& key, const char* impl, const Timing& t, const char* cell_name,
                        const char* layout_name, const std::string& extra) {
          ms[key] = t.ms;
          if (o.json)
            std::printf(
                "{\"op\":\"%s\",\"cell\":\"%s\",\"layout\":\"%s\",\"impl\":\"%s\",%s\"device\":\"%s\",\"B\":%lld,"
                "\"T\":%lld,\"H\":%lld,\"D\":%lld,\"lengths\":\"%s\",\"pass\":\"%s\",\"median_ms\":%.6f,"
                "\"reps\":%d,\"threads\":%d,\"dtype\":\"f32\"}\n",
                o.op.c_str(), cell_name, layout_name, impl, extra.c_str(), gpu ? "cuda" : "cpu", (long long)s.B,
                (long long)s.T, (long long)s.H, (long long)s.H, s.lengths.c_str(), pass, t.ms, t.reps, threads);
          std::fflush(stdout);
        };
        auto attempt_as = [&](const std::string& key, const char* impl, const char* cell_name, const char* layout_name,
                              const std::string& extra, const std::function<Timing()>& f) {
          try {
            emit(key, impl, f(), cell_name, layout_name, extra);
          } catch (const std::exception& e) {
            std::fprintf(stderr, "bench_augru: %s %s B=%lld T=%lld H=%lld %s: %s\n", key.c_str(), pass, (long long)s.B,
                         (long long)s.T, (long long)s.H, gpu ? "cuda" : "cpu", e.what());
          }
        };
        auto attempt = [&](const char* impl, const std::function<Timing()>& f) {
          attempt_as(impl, impl, op->cell_name, o.layout.c_str(), "", f);
        };
        attempt("fused", [&] { return time_body(make_body(*op, layout, true, bwd, in), gpu, budget_ms, max_reps); });
        const bool kept = s.B == 1024 && s.T == 100 && s.H == 36;
        attempt("unfused", [&] {
          auto body = make_body(*op, layout, false, bwd, in);
          if (o.quick && !kept) {
            double first = bench::median_ms(body, gpu, 1, 0);
            if (first > quick_unfused_skip_ms) throw Error("skipped in --quick (one run took " + std::to_string(first) + " ms)");
          }
          return time_body(body, gpu, budget_ms, max_reps);
        });
#if DIEN_BENCH_ONEDNN
        // oneDNN has no per-row lengths: it is timed on full lengths only.
        if (with_onednn && !gpu && s.lengths == "full")
          for (const OnednnPeer& p : peers) {
            const bool checked = bwd ? p.backward : p.forward;
            if (!checked && !o.onednn_unchecked) continue;
            const std::string extra = std::string("\"primitive\":\"") + p.name() + "\",\"checked\":" +
                                      (checked ? "true" : "false") + ",";
            attempt_as(p.name(), "onednn", p.cell_name(), p.layout_name(), extra,
                       [&] { return time_body(onednn_body(p, in_onednn, bwd), false, budget_ms, max_reps); });
          }
#endif
        if (with_ratio && ms.count(ratio_peer) && ms.count("fused"))
          ratio_lines.push_back(std::string(gpu ? "cuda" : "cpu") + " B=" + std::to_string(s.B) + " T=" +
                                std::to_string(s.T) + " H=" + std::to_string(s.H) + " " + pass + ": onednn " +
                                ratio_peer + " " + std::to_string(ms[ratio_peer]) + " ms / dien fused " + o.op +
                                " " + std::to_string(ms["fused"]) + " ms = " +
                                std::to_string(ms[ratio_peer] / ms["fused"]) + "x");
        auto cell = [&](const std::string& impl) {
          if (!ms.count(impl)) return std::string("-");
          char buf[32];
          std::snprintf(buf, sizeof buf, "%.3f", ms[impl]);
          return std::string(buf);
        };
        auto ratio = [&](const std::string& a) {
          if (!ms.count(a) || !ms.count("fused")) return std::string("-");
          char buf[32];
          std::snprintf(buf, sizeof buf, "%.2fx", ms[a] / ms["fused"]);
          return std::string(buf);
        };
        std::fprintf(table, "| %s | %lld | %lld | %lld | %s | %s | %s | %s | %s |", gpu ? "cuda" : "cpu",
                     (long long)s.B, (long long)s.T, (long long)s.H, s.lengths.c_str(), pass, cell("fused").c_str(),
                     cell("unfused").c_str(), ratio("unfused").c_str());
        for (const std::string& c : onednn_cols) std::fprintf(table, " %s |", cell(c).c_str());
        if (with_ratio) std::fprintf(table, " %s |", ratio(ratio_peer).c_str());
        std::fprintf(table, "\n");
        std::fflush(table);
      }
    }
  }
  if (!ratio_lines.empty()) {
    std::fprintf(table, "\ndien fused vs onednn gru (onednn %s ms / dien fused ms; > 1: dien faster):\n", ratio_peer);
    for (const std::string& l : ratio_lines) std::fprintf(table, "  %s\n", l.c_str());
  }
  return 0;
}
