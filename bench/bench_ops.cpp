// SPDX-License-Identifier: MIT
// bench_ops: times core ops (forward, and forward+backward where it applies) on the CPU and,
// when a GPU is present, on CUDA, in one process so the ratios are side by side.
//   bench_ops            Markdown table with the CPU/CUDA ratio
//   bench_ops --json     one JSON object per line on stdout (op, device, shape, pass, median_ms,
//                        gb_per_s); the table then goes to stderr
//   bench_ops --quick    fewer repeats, smaller shapes
// GB/s counts the bytes each op must read and write at least once (a floor, not what the
// kernel moves), so it reads as achieved fraction of memory bandwidth.
#include <cstring>
#include <map>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "bench/bench_util.h"
#include "optim/optimizer.h"

using namespace dien;

namespace {

struct Case {
  std::string op, shape, pass;
  double bytes;                         // minimum traffic, for GB/s
  std::function<std::function<void()>(Device)> make;  // builds inputs on a device, returns the timed body
};

std::vector<Case> cases(bool quick) {
  const int64_t N = quick ? (1 << 18) : (1 << 22);
  const int64_t M = quick ? 256 : 1024, B = quick ? 512 : 4096, T = 100, H = 36;
  std::vector<Case> cs;
  auto gen = [](uint64_t s) { return Generator(s); };
  cs.push_back({"add", "[" + std::to_string(N) + "]", "fwd", 12.0 * N, [=](Device d) {
                  Generator g = gen(1);
                  Tensor a = uniform({N}, -1, 1, g, DType::F32, d), b = uniform({N}, -1, 1, g, DType::F32, d);
                  return std::function<void()>([=] { NoGradGuard ng; add(a, b); });
                }});
  cs.push_back({"sigmoid", "[" + std::to_string(N) + "]", "fwd+bwd", 16.0 * N, [=](Device d) {
                  Generator g = gen(2);
                  Tensor a = uniform({N}, -1, 1, g, DType::F32, d).set_requires_grad();
                  return std::function<void()>([=] { sum(sigmoid(a)).backward(); });
                }});
  cs.push_back({"matmul", "[" + std::to_string(M) + "^3]", "fwd", 12.0 * M * M, [=](Device d) {
                  Generator g = gen(3);
                  Tensor a = uniform({M, M}, -1, 1, g, DType::F32, d), b = uniform({M, M}, -1, 1, g, DType::F32, d);
                  return std::function<void()>([=] { NoGradGuard ng; matmul(a, b); });
                }});
  cs.push_back({"linear", "[" + std::to_string(B) + ",256]x[200,256]", "fwd+bwd", 4.0 * (B * 256 * 2 + B * 200 * 2),
                [=](Device d) {
                  Generator g = gen(4);
                  Tensor x = uniform({B, 256}, -1, 1, g, DType::F32, d).set_requires_grad();
                  Tensor w = uniform({200, 256}, -1, 1, g, DType::F32, d).set_requires_grad();
                  Tensor b = uniform({200}, -1, 1, g, DType::F32, d).set_requires_grad();
                  return std::function<void()>([=] { sum(linear(x, w, b)).backward(); });
                }});
  cs.push_back({"masked_softmax", "[" + std::to_string(B) + "," + std::to_string(T) + "]", "fwd+bwd",
                4.0 * B * T * 5, [=](Device d) {
                  Generator g = gen(5);
                  Tensor x = uniform({B, T}, -3, 3, g, DType::F32, d).set_requires_grad();
                  std::vector<int64_t> len(B);
                  for (int64_t i = 0; i < B; ++i) len[i] = static_cast<int64_t>(g.randint(T + 1));
                  Tensor mask = sequence_mask(from_vector(len, {B}).to(d), T);
                  return std::function<void()>([=] { sum(masked_softmax(x, mask)).backward(); });
                }});
  cs.push_back({"embedding", "V=100000,E=18,ids=[" + std::to_string(B) + "," + std::to_string(T) + "]", "fwd+bwd",
                4.0 * B * T * 18 * 3, [=](Device d) {
                  Generator g = gen(6);
                  Tensor w = uniform({100000, 18}, -1, 1, g, DType::F32, d).set_requires_grad();
                  std::vector<int64_t> ids(B * T);
                  for (auto& v : ids) v = static_cast<int64_t>(g.randint(100000));
                  Tensor id = from_vector(ids, {B, T}).to(d);
                  return std::function<void()>([=] { sum(embedding(w, id)).backward(); });
                }});
  cs.push_back({"batch_norm", "[" + std::to_string(B * 4) + "," + std::to_string(H * 4) + "]", "fwd+bwd",
                4.0 * B * 4 * H * 4 * 5, [=](Device d) {
                  Generator g = gen(7);
                  Tensor x = uniform({B * 4, H * 4}, -1, 1, g, DType::F32, d).set_requires_grad();
                  Tensor ga = ones({H * 4}, DType::F32, d).set_requires_grad(), be = zeros({H * 4}, DType::F32, d);
                  return std::function<void()>([=] {
                    Tensor rm, rv;
                    sum(batch_norm(x, ga, be, rm, rv, true)).backward();
                  });
                }});
  cs.push_back({"adam_step", "[" + std::to_string(N) + "]", "step", 4.0 * N * 7, [=](Device d) {
                  Generator g = gen(8);
                  Tensor p = uniform({N}, -1, 1, g, DType::F32, d).set_requires_grad();
                  p.set_grad(uniform({N}, -1, 1, g, DType::F32, d));
                  auto opt = std::make_shared<Adam>(NamedParameters{{"p", p}}, AdamOptions{});
                  return std::function<void()>([=] { opt->step(); });
                }});
  return cs;
}

}  // namespace

int main(int argc, char** argv) {
  bool json = false, quick = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json")) json = true;
    else if (!std::strcmp(argv[i], "--quick")) quick = true;
    else {
      std::printf("usage: bench_ops [--json] [--quick]\n  times core ops on the CPU and (if present) CUDA\n");
      return std::strcmp(argv[i], "--help") && std::strcmp(argv[i], "-h") ? 2 : 0;
    }
  }
  std::vector<Device> devs{Device::cpu()};
  if (cuda_device_count() > 0) devs.push_back(Device::cuda(0));
  // The Markdown table goes to stdout, or to stderr when --json takes stdout.
  FILE* table = json ? stderr : stdout;
  std::fprintf(table, "| op | shape | pass |");
  for (auto d : devs) std::fprintf(table, " %s ms | %s GB/s |", d.str().c_str(), d.str().c_str());
  if (devs.size() > 1) std::fprintf(table, " cpu/cuda |");
  std::fprintf(table, "\n|---|---|---|");
  for (size_t i = 0; i < devs.size(); ++i) std::fprintf(table, "---|---|");
  if (devs.size() > 1) std::fprintf(table, "---|");
  std::fprintf(table, "\n");
  for (const Case& c : cases(quick)) {
    std::vector<double> ms;
    for (Device d : devs) {
      auto body = c.make(d);
      double t = bench::median_ms(body, d.is_cuda(), quick ? 5 : 20);
      ms.push_back(t);
      if (json)
        std::printf("{\"op\":\"%s\",\"device\":\"%s\",\"shape\":\"%s\",\"pass\":\"%s\",\"median_ms\":%.6f,\"gb_per_s\":%.3f}\n",
                    c.op.c_str(), d.str().c_str(), c.shape.c_str(), c.pass.c_str(), t, c.bytes / (t * 1e6));
    }
    std::fprintf(table, "| %s | %s | %s |", c.op.c_str(), c.shape.c_str(), c.pass.c_str());
    for (double t : ms) std::fprintf(table, " %.4f | %.1f |", t, c.bytes / (t * 1e6));
    if (ms.size() > 1) std::fprintf(table, " %.1fx |", ms[0] / ms[1]);
    std::fprintf(table, "\n");
    std::fflush(stdout);
    std::fflush(table);
  }
  return 0;
}
