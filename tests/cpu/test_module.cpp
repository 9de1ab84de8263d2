// SPDX-License-Identifier: MIT
// Module and Linear: the parameter/buffer/child registry with dotted names, train/eval,
// zero_grad, PyTorch's Linear initialisation, state_dict round trips through memory and
// safetensors files, and the errors of mismatched states. (Linear::forward is covered with
// the linear op's tests.)
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <numeric>

#include "layers/linear.h"
#include "layers/module.h"
#include "support/test_util.h"

using namespace dien;
using dien::test::require_error;
using dien::test::values;

namespace {

std::string temp_path(const std::string& stem) {
  return (std::filesystem::temp_directory_path() /
          ("dien_test_module_" + std::to_string(::getpid()) + "_" + stem + ".safetensors"))
      .string();
}

struct Inner : Module {
  explicit Inner(Generator& g) { w = register_parameter("w", uniform({2, 2}, -1, 1, g)); }
  Tensor w;
};

struct Block : Module {
  explicit Block(Generator& g) {
    inner = register_module("inner", std::make_shared<Inner>(g));
    steps = register_buffer("steps", from_vector<int64_t>({3}, {1}));
  }
  std::shared_ptr<Inner> inner;
  Tensor steps;
};

struct Net : Module {
  explicit Net(uint64_t seed) : gen(seed) {
    scale = register_parameter("scale", uniform({3}, 0.5, 1.5, gen));
    fc1 = register_module("fc1", std::make_shared<Linear>(4, 3, true, gen));
    fc2 = register_module("fc2", std::make_shared<Linear>(3, 2, false, gen));
    block = register_module("block", std::make_shared<Block>(gen));
    running = register_buffer("running", uniform({3}, -1, 1, gen));
  }
  Generator gen;
  Tensor scale, running;
  std::shared_ptr<Linear> fc1, fc2;
  std::shared_ptr<Block> block;
};

std::vector<std::string> names(const NamedParameters& ps) {
  std::vector<std::string> out;
  for (const auto& p : ps) out.push_back(p.first);
  return out;
}

std::vector<uint8_t> bytes_of(const Tensor& t) {
  std::vector<uint8_t> b(t.nbytes());
  std::memcpy(b.data(), t.raw_data(), b.size());
  return b;
}

}  // namespace

TEST_CASE("module: parameters and buffers are found recursively with dotted names", "[module][cpu]") {
  Net net(1);
  REQUIRE(names(net.named_parameters()) ==
          std::vector<std::string>{"scale", "fc1.weight", "fc1.bias", "fc2.weight", "block.inner.w"});
  REQUIRE(names(net.named_buffers()) == std::vector<std::string>{"running", "block.steps"});
  auto ps = net.parameters();
  REQUIRE(ps.size() == 5);
  REQUIRE(ps[1].same(net.fc1->weight()));
  for (const auto& p : ps) REQUIRE(p.requires_grad());
  REQUIRE_FALSE(net.running.requires_grad());
  auto sd = net.state_dict();
  REQUIRE(sd.size() == 7);
  REQUIRE(sd.count("block.steps"));
  REQUIRE(sd.at("fc1.bias").shape() == Shape({3}));
  REQUIRE(net.named_children().size() == 3);
}

TEST_CASE("module: train and eval reach every child", "[module][cpu]") {
  Net net(1);
  REQUIRE(net.is_training());
  net.eval();
  REQUIRE_FALSE(net.is_training());
  REQUIRE_FALSE(net.fc1->is_training());
  REQUIRE_FALSE(net.block->inner->is_training());
  net.block->train();
  REQUIRE(net.block->inner->is_training());
  REQUIRE_FALSE(net.fc2->is_training());
  net.train();
  REQUIRE(net.fc2->is_training());
}

TEST_CASE("module: zero_grad drops every parameter's gradient", "[module][cpu]") {
  Net net(2);
  for (auto& p : net.parameters()) sum(mul(p, p)).backward();
  for (auto& p : net.parameters()) REQUIRE(p.grad().defined());
  net.zero_grad();
  for (auto& p : net.parameters()) REQUIRE_FALSE(p.grad().defined());
}

TEST_CASE("module: registration errors", "[module][cpu]") {
  Net net(3);
  require_error([&] { net.register_parameter("scale", ones({1})); }, {"'scale'", "already registered"});
  require_error([&] { net.register_buffer("fc1", ones({1})); }, {"'fc1'", "already registered"});
  require_error([&] { net.register_parameter("a.b", ones({1})); }, {"'a.b'", "'.'"});
  require_error([&] { net.register_parameter("", ones({1})); }, {"non-empty name"});
  require_error([&] { net.register_parameter("ids", arange(3)); }, {"floating", "i64"});
  Tensor leaf = ones({2}).set_requires_grad();
  require_error([&] { net.register_parameter("made", mul(leaf, 2.0)); }, {"'made'", "leaf", "affine"});
  require_error([&] { net.register_module("none", std::shared_ptr<Module>()); }, {"'none'", "null"});
}

TEST_CASE("linear: PyTorch's default initialisation", "[module][cpu]") {
  Generator gen(11);
  Linear fc(16, 64, true, gen);
  REQUIRE(fc.in_features() == 16);
  REQUIRE(fc.out_features() == 64);
  REQUIRE(fc.weight().shape() == Shape({64, 16}));
  REQUIRE(fc.bias().shape() == Shape({64}));
  REQUIRE(fc.weight().dtype() == DType::F32);
  const double bound = 0.25;  // 1/sqrt(16)
  for (const Tensor& t : {fc.weight(), fc.bias()}) {
    auto v = values(t);
    double lo = *std::min_element(v.begin(), v.end()), hi = *std::max_element(v.begin(), v.end());
    double mean = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
    INFO(t.describe() << " min " << lo << " max " << hi << " mean " << mean);
    REQUIRE(lo >= -bound);
    REQUIRE(hi <= bound);
    REQUIRE(lo < -0.8 * bound);  // spread over the whole range, not a narrower one
    REQUIRE(hi > 0.8 * bound);
    REQUIRE(std::fabs(mean) < 0.1 * bound);
  }
  Generator same(11), other(12);
  REQUIRE(values(Linear(16, 64, true, same).weight()) == values(fc.weight()));
  REQUIRE(values(Linear(16, 64, true, other).weight()) != values(fc.weight()));

  Generator g2(1);
  Linear nb(5, 2, false, g2, DType::F64);
  REQUIRE_FALSE(nb.bias().defined());
  REQUIRE(names(nb.named_parameters()) == std::vector<std::string>{"weight"});
  REQUIRE(nb.weight().dtype() == DType::F64);
  for (double w : values(nb.weight())) REQUIRE(std::fabs(w) <= 1 / std::sqrt(5.0));
  require_error([&] { Linear(0, 3); }, {"Linear", "positive", "0"});
}

TEST_CASE("module: state round trip through memory and files", "[module][cpu]") {
  Net a(10), b(20);
  REQUIRE(values(a.fc1->weight()) != values(b.fc1->weight()));
  Tensor b_w = b.fc1->weight();  // a handle held elsewhere (e.g. by an optimizer)

  SECTION("in memory") { b.load_state_dict(a.state_dict()); }
  SECTION("through a safetensors file") {
    const std::string p = temp_path("roundtrip");
    a.save(p);
    b.load(p);
    std::filesystem::remove(p);
  }
  auto sa = a.state_dict(), sb = b.state_dict();
  for (const auto& [n, t] : sa) {
    INFO(n);
    REQUIRE(sb.at(n).dtype() == t.dtype());
    REQUIRE(bytes_of(sb.at(n)) == bytes_of(t));
  }
  REQUIRE(b_w.same(b.fc1->weight()));                        // loaded in place
  REQUIRE(bytes_of(b_w) == bytes_of(a.fc1->weight()));      // the held handle sees the values
  REQUIRE(b.fc1->weight().requires_grad());
}

TEST_CASE("module: loading casts dtypes into the module's tensors", "[module][cpu]") {
  Generator g(4);
  Linear f32(3, 2, true, g), f64(3, 2, true, g, DType::F64);
  f32.load_state_dict(f64.state_dict());
  REQUIRE(f32.weight().dtype() == DType::F32);
  REQUIRE_CLOSE(f32.weight(), values(f64.weight()), 1e-7, 0);
}

TEST_CASE("module: mismatched states are rejected and change nothing", "[module][cpu]") {
  Net net(5);
  const auto before = values(net.fc1->weight());
  auto sd = Net(6).state_dict();
  SECTION("shape") {
    sd["fc1.weight"] = zeros({4, 3});
    require_error([&] { net.load_state_dict(sd); }, {"'fc1.weight'", "[3, 4]", "[4, 3]"});
  }
  SECTION("missing and unexpected names, all listed") {
    sd.erase("fc2.weight");
    sd.erase("block.steps");
    sd["fc3.weight"] = zeros({2, 3});
    require_error([&] { net.load_state_dict(sd); },
                  {"missing 'fc2.weight' [2, 3]", "missing 'block.steps'", "unexpected 'fc3.weight' [2, 3]"});
  }
  SECTION("from a file, naming it") {
    Generator g(1);
    Linear small(2, 2, true, g);
    const std::string p = temp_path("small");
    small.save(p);
    Generator g2(1);
    Linear big(4, 2, true, g2);
    require_error([&] { big.load(p); }, {p, "'weight'", "[2, 4]", "[2, 2]"});
    std::filesystem::remove(p);
  }
  REQUIRE(values(net.fc1->weight()) == before);
}
