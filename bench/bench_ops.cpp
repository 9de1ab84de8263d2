// SPDX-License-Identifier: MIT
// bench_ops: times every raw Backend kernel call of the kernel lab's table
// (kernels/lab/op_cases.h) at DIEN's shapes, on the CPU and, when a GPU is present, on CUDA, in
// one process so the ratios are side by side. Kernels alone: no ops, no autograd, no loss.
//   bench_ops                 Markdown table (B = 1024 sequences, T = 100, H = 36, E = 18)
//   bench_ops --quick         B = 256 and a smaller time budget per row
//   bench_ops --json          one JSON object per line on stdout (op, kernel, variant, device,
//                             dtype, shape, median_ms, reps, threads, gb_per_s[, gflop_per_s]);
//                             the table then goes to stderr
//   bench_ops --filter S      only calls whose case or kernel name contains S (e.g. rnn_scan)
//   bench_ops --threads N     CPU intra-op threads (default: the library's default)
//   bench_ops --dtype f64     time f64 instead of each case's first dtype (f32 for the floating ones)
//   bench_ops --device cpu    only the CPU (or cuda: only the GPU)
// Each row is the median of repeats (bench/bench_util.h): as many as fit the row's time budget,
// at least 3. GB/s counts each tensor the call reads or writes once (a floor on the traffic, so
// it reads as a fraction of memory bandwidth); GFLOP/s only where the kernel is compute bound.
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "core/threads.h"
#include "kernels/lab/op_cases.h"

using namespace dien;

namespace {

struct Options {
  bool json = false, quick = false;
  std::string filter, device = "all";
  int threads = -1;
  DType dtype = DType::F32;
  bool dtype_set = false;
};

int usage(FILE* f, int rc) {
  std::fprintf(f,
               "usage: bench_ops [--json] [--quick] [--filter S] [--threads N] [--dtype f32|f64] "
               "[--device cpu|cuda|all]\n"
               "  times each raw Backend kernel call of the kernel lab (kernels/lab/op_cases.h)\n");
  return rc;
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o;
}

struct Row {
  double ms = 0, gbs = 0, gflops = 0;
  int reps = 0;
};

Row time_call(const lab::Instance& inst, const lab::Call& call, std::vector<Tensor>& t, Device d, bool quick) {
  Backend& be = backend_for(d);
  auto body = [&] { call.fn(be, t); };
  // One run first (it is also the warmup), then as many repeats as fit the budget.
  const double first = bench::median_ms(body, d.is_cuda(), 1, 0);
  const double budget_ms = quick ? 100.0 : 300.0;
  const int max_reps = quick ? 10 : 30;
  Row r;
  r.reps = std::max(3, std::min(max_reps, static_cast<int>(budget_ms / std::max(first, 1e-3))));
  r.ms = bench::median_ms(body, d.is_cuda(), r.reps, 1);
  r.gbs = inst.bytes(call) / (r.ms * 1e6);
  r.gflops = call.flops / (r.ms * 1e6);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) std::exit(usage(stderr, 2));
      return argv[++i];
    };
    if (a == "--json") o.json = true;
    else if (a == "--quick") o.quick = true;
    else if (a == "--filter") o.filter = value();
    else if (a == "--threads") o.threads = std::atoi(value().c_str());
    else if (a == "--device") o.device = value();
    else if (a == "--dtype") {
      std::string v = value();
      if (v != "f32" && v != "f64") return usage(stderr, 2);
      o.dtype = v == "f32" ? DType::F32 : DType::F64;
      o.dtype_set = true;
    } else return usage(a == "--help" || a == "-h" ? stdout : stderr, a == "--help" || a == "-h" ? 0 : 2);
  }
  if (o.threads >= 0) set_num_threads(o.threads);
  std::vector<Device> devs;
  if (o.device != "cuda") devs.push_back(Device::cpu());
  if (o.device != "cpu" && cuda_device_count() > 0) devs.push_back(Device::cuda(0));
  if (devs.empty()) {
    std::fprintf(stderr, "bench_ops: no CUDA device\n");
    return 1;
  }
  const lab::Size size = o.quick ? lab::Size::Quick : lab::Size::Full;

  // The Markdown table goes to stdout, or to stderr when --json takes stdout.
  FILE* table = o.json ? stderr : stdout;
  std::fprintf(table, "| op | kernel | dtype | shape |");
  for (Device d : devs) std::fprintf(table, " %s ms | GB/s | GFLOP/s |", d.str().c_str());
  if (devs.size() > 1) std::fprintf(table, " cpu/cuda |");
  std::fprintf(table, "\n|---|---|---|---|");
  for (size_t i = 0; i < devs.size(); ++i) std::fprintf(table, "---:|---:|---:|");
  if (devs.size() > 1) std::fprintf(table, "---:|");
  std::fprintf(table, "\n");

  for (const lab::OpCase& c : lab::op_cases()) {
    DType dt = c.dtypes.front();
    if (o.dtype_set) {
      bool has = false;
      for (DType x : c.dtypes) has |= x == o.dtype;
      if (!has) continue;
      dt = o.dtype;
    }
    auto selected = [&](const lab::Call& call) {
      return call.timed && (o.filter.empty() || c.name.find(o.filter) != std::string::npos ||
                            call.kernel.find(o.filter) != std::string::npos);
    };
    Generator g(2024);
    const lab::Instance inst = c.build(size, dt, g);
    bool any = false;
    for (const lab::Call& call : inst.calls) any |= selected(call);
    if (!any) continue;
    // Per device: fresh copies of the case's tensors; the calls run in order (later calls
    // read what earlier ones wrote), each timed on its own.
    std::vector<std::vector<Row>> rows(inst.calls.size());
    for (Device d : devs) {
      std::vector<Tensor> t = lab::copy_to(inst.tensors(), d);
      for (size_t k = 0; k < inst.calls.size(); ++k) {
        const lab::Call& call = inst.calls[k];
        if (!selected(call)) {
          call.fn(backend_for(d), t);  // still run: a later call may read its outputs
          continue;
        }
        Row r = time_call(inst, call, t, d, o.quick);
        rows[k].push_back(r);
        if (o.json) {
          std::printf("{\"op\":\"%s\",\"kernel\":\"%s\",\"variant\":\"%s\",\"device\":\"%s\",\"dtype\":\"%s\","
                      "\"shape\":\"%s\",\"median_ms\":%.6f,\"reps\":%d,\"threads\":%d,\"gb_per_s\":%.3f",
                      json_escape(c.name).c_str(), json_escape(call.kernel).c_str(), json_escape(call.variant).c_str(),
                      d.str().c_str(), dtype_name(dt), json_escape(inst.shape).c_str(), r.ms, r.reps,
                      d.is_cpu() ? num_threads() : 0, r.gbs);
          if (call.flops > 0) std::printf(",\"gflop_per_s\":%.3f", r.gflops);
          std::printf("}\n");
          std::fflush(stdout);
        }
      }
    }
    for (size_t k = 0; k < inst.calls.size(); ++k) {
      if (rows[k].empty()) continue;
      const lab::Call& call = inst.calls[k];
      std::string kernel = call.kernel + (call.variant.empty() ? "" : " (" + call.variant + ")");
      std::fprintf(table, "| %s | %s | %s | %s |", c.name.c_str(), kernel.c_str(), dtype_name(dt), inst.shape.c_str());
      for (const Row& r : rows[k]) {
        std::fprintf(table, " %.4f | %.1f |", r.ms, r.gbs);
        if (call.flops > 0) std::fprintf(table, " %.1f |", r.gflops);
        else std::fprintf(table, " |");
      }
      if (rows[k].size() > 1) std::fprintf(table, " %.1fx |", rows[k][0].ms / rows[k][1].ms);
      std::fprintf(table, "\n");
    }
    std::fflush(table);
  }
  return 0;
}
