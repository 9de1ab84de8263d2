// SPDX-License-Identifier: MIT
// The kernel lab's table (kernels/lab/op_cases.h) on the CPU: every case is well formed, and
// every call of every case, at every dtype it lists, writes all its outputs (they start
// poisoned), leaves every tensor it does not declare as written bit for bit unchanged, and
// gives the same result when run again. The GPU side is tests/cuda/test_lab_parity.cpp.
#include <cstring>
#include <set>
#include <string>

#include "tests/lab/lab_util.h"

using namespace dien;
using lab::Role;

namespace {

// Every value finite (floating) or not the poison sentinel (integers).
bool all_written(const Tensor& t) {
  for (double v : test::values(t))
    if (!std::isfinite(v) || (!is_floating(t.dtype()) && v == -123456.0)) return false;
  return true;
}

// Bit for bit the same (NaN poison included).
bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

}  // namespace

TEST_CASE("lab: every op case is well formed", "[lab]") {
  std::set<std::string> names;
  for (const lab::OpCase& c : lab::op_cases()) {
    INFO("case " << c.name);
    CHECK(names.insert(c.name).second);  // unique
    REQUIRE(!c.dtypes.empty());
    Generator g(3);
    lab::Instance inst = c.build(lab::Size::Small, c.dtypes.front(), g);
    CHECK(!inst.calls.empty());
    CHECK(!inst.shape.empty());
    const int n = static_cast<int>(inst.args.size());
    std::set<int> used;
    for (const lab::Call& call : inst.calls) {
      INFO("call " << call.kernel << " " << call.variant);
      CHECK(!call.kernel.empty());
      for (const auto* list : {&call.reads, &call.writes})
        for (int i : *list) {
          REQUIRE((i >= 0 && i < n));
          used.insert(i);
        }
      for (int i : call.writes) CHECK(inst.args[i].role != Role::In);
    }
    CHECK(used.size() == inst.args.size());  // no tensor that no call touches
    if (!inst.grad) continue;
    const lab::Grad& gr = *inst.grad;
    REQUIRE(gr.forward < static_cast<int>(inst.calls.size()));
    REQUIRE(!gr.backward.empty());
    for (int b : gr.backward) REQUIRE(b < static_cast<int>(inst.calls.size()));
    REQUIRE(gr.outs.size() == gr.g_outs.size());
    REQUIRE(gr.wrt.size() == gr.g_wrt.size());
    for (size_t j = 0; j < gr.outs.size(); ++j) CHECK(inst.args[gr.outs[j]].t.shape() == inst.args[gr.g_outs[j]].t.shape());
    for (size_t k = 0; k < gr.wrt.size(); ++k) CHECK(inst.args[gr.wrt[k]].t.shape() == inst.args[gr.g_wrt[k]].t.shape());
    bool has_f64 = false;
    for (DType dt : c.dtypes) has_f64 |= dt == DType::F64;
    CHECK(has_f64);  // gradcheck runs in f64
  }
}

TEST_CASE("lab: every call writes its outputs, keeps everything else, and repeats exactly", "[lab]") {
  Backend& cpu = backend_for(Device::cpu());
  for (const lab::OpCase& c : lab::op_cases())
    for (DType dt : c.dtypes) {
      Generator g(5), g2(5);
      lab::Instance inst = c.build(lab::Size::Small, dt, g);
      lab::Instance again = c.build(lab::Size::Small, dt, g2);
      std::vector<Tensor> t = inst.tensors(), t2 = again.tensors();
      for (const lab::Call& call : inst.calls) {
        INFO(test::call_label(c, dt, call));
        test::poison_outputs(inst, call, t);
        const std::vector<Tensor> before = lab::copy_to(t, Device::cpu());
        call.fn(cpu, t);
        std::set<int> written(call.writes.begin(), call.writes.end());
        for (size_t i = 0; i < t.size(); ++i) {
          INFO("tensor " << inst.args[i].name);
          if (!written.count(static_cast<int>(i))) {
            CHECK(same_bits(t[i], before[i]));
          } else if (inst.args[i].role != Role::Scratch) {
            CHECK(all_written(t[i]));
          }
        }
        test::poison_outputs(again, again.calls[&call - inst.calls.data()], t2);
        again.calls[&call - inst.calls.data()].fn(cpu, t2);
        for (int i : call.writes)
          if (inst.args[i].role != Role::Scratch) {
            INFO("tensor " << inst.args[i].name << " on a second run");
            CHECK(same_bits(t2[i], t[i]));
          }
      }
    }
}
