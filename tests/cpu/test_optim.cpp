// SPDX-License-Identifier: MIT
// Optimizers: every update rule against a naive loop written here from the torch.optim
// documentation (several steps, with and without weight decay / momentum / Nesterov /
// lr decay, f32 and f64, a size that takes the parallel path), skipping of parameters without
// gradients, minimisation of a quadratic, bit-identical resume through save/load, and errors.
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>

#include "optim/optimizer.h"
#include "core/serialize.h"
#include "kernels/dispatch.h"
#include "support/test_util.h"
#include "optim_reference.h"

using namespace dien;
using dien::test::rand_tensor;
using dien::test::require_error;
using dien::test::values;

namespace {

std::string temp_path(const std::string& stem) {
  return (std::filesystem::temp_directory_path() /
          ("dien_test_optim_" + std::to_string(::getpid()) + "_" + stem + ".safetensors"))
      .string();
}

// ---- naive references (double precision, formulas as in the torch.optim docs) ----------
using namespace dien::test::optim_ref;

RefUpdate ref_sgd(double lr, double momentum, double dampening, bool nesterov, double wd) {
  return [=](Vec& p, const Vec& g, Bufs& bufs, int t) {
    Vec& buf = bufs["momentum_buffer"];
    if (buf.empty()) buf.assign(p.size(), 0);
    for (size_t i = 0; i < p.size(); ++i) {
      double d = g[i] + wd * p[i];
      if (momentum != 0) {
        buf[i] = t == 1 ? d : momentum * buf[i] + (1 - dampening) * d;
        d = nesterov ? d + momentum * buf[i] : buf[i];
      }
      p[i] -= lr * d;
    }
    if (momentum == 0) bufs.erase("momentum_buffer");
  };
}

using MakeOpt = std::function<std::unique_ptr<Optimizer>(NamedParameters)>;

struct Case {
  std::string label;
  MakeOpt make;
  RefUpdate ref;
};

// Runs `steps` updates on two parameters with gradients and one without, comparing every
// parameter and every state buffer with the reference after each step.
void check_against_reference(const Case& c, DType dt, int64_t n, int steps) {
  INFO(c.label << " " << dtype_name(dt) << " n=" << n);
  Generator gen(1234 + n);
  Tensor w = rand_tensor({n}, gen, dt);
  Tensor m = rand_tensor({3, 5}, gen, dt);
  Tensor frozen = rand_tensor({4}, gen, dt);
  const Vec frozen0 = values(frozen);
  auto opt = c.make({{"w", w}, {"m", m}, {"frozen", frozen}});

  std::map<std::string, Vec> ref_p{{"w", values(w)}, {"m", values(m)}};
  std::map<std::string, Bufs> ref_b;
  // f32: the RMSprop momentum buffer sums terms of size ~10 that can cancel, hence atol 1e-5.
  const double rtol = dt == DType::F32 ? 2e-5 : 1e-12, atol = dt == DType::F32 ? 1e-5 : 1e-13;
  for (int t = 1; t <= steps; ++t) {
    INFO("step " << t);
    Tensor gw = rand_tensor({n}, gen, dt, -2.0, 2.0), gm = rand_tensor({3, 5}, gen, dt, -2.0, 2.0);
    w.set_grad(gw);
    m.set_grad(gm);
    opt->step();
    c.ref(ref_p["w"], values(gw), ref_b["w"], t);
    c.ref(ref_p["m"], values(gm), ref_b["m"], t);
    REQUIRE_CLOSE(w, ref_p["w"], rtol, atol);
    REQUIRE_CLOSE(m, ref_p["m"], rtol, atol);
    REQUIRE(values(frozen) == frozen0);  // no gradient: skipped
    OptimizerState st = opt->state_dict();
    for (const std::string pn : {"w", "m"}) {
      for (const auto& [bn, bv] : ref_b[pn]) {
        INFO("buffer " << pn << "." << bn);
        REQUIRE(st.tensors.count(pn + "." + bn));
        REQUIRE_CLOSE(st.tensors.at(pn + "." + bn), bv, rtol, atol);
      }
      REQUIRE(opt->step_count(pn) == t);
    }
    REQUIRE(opt->step_count("frozen") == 0);
  }
}

std::vector<Case> sgd_cases() {
  auto mk = [](SGDOptions o) { return [o](NamedParameters p) { return std::make_unique<SGD>(std::move(p), o); }; };
  return {
      {"sgd plain", mk({.lr = 0.1}), ref_sgd(0.1, 0, 0, false, 0)},
      {"sgd weight decay", mk({.lr = 0.1, .weight_decay = 0.05}), ref_sgd(0.1, 0, 0, false, 0.05)},
      {"sgd momentum", mk({.lr = 0.05, .momentum = 0.9}), ref_sgd(0.05, 0.9, 0, false, 0)},
      {"sgd momentum dampening decay", mk({.lr = 0.05, .momentum = 0.9, .dampening = 0.3, .weight_decay = 0.02}),
       ref_sgd(0.05, 0.9, 0.3, false, 0.02)},
      {"sgd nesterov decay", mk({.lr = 0.05, .momentum = 0.8, .weight_decay = 0.01, .nesterov = true}),
       ref_sgd(0.05, 0.8, 0, true, 0.01)},
  };
}

std::vector<Case> adam_cases() {
  auto mk = [](AdamOptions o) { return [o](NamedParameters p) { return std::make_unique<Adam>(std::move(p), o); }; };
  return {
      {"adam defaults", mk({}), ref_adam(1e-3, 0.9, 0.999, 1e-8, 0)},
      {"adam betas eps decay", mk({.lr = 0.02, .beta1 = 0.8, .beta2 = 0.95, .eps = 1e-3, .weight_decay = 0.05}),
       ref_adam(0.02, 0.8, 0.95, 1e-3, 0.05)},
  };
}

std::vector<Case> adagrad_cases() {
  auto mk = [](AdagradOptions o) {
    return [o](NamedParameters p) { return std::make_unique<Adagrad>(std::move(p), o); };
  };
  return {
      {"adagrad defaults", mk({}), ref_adagrad(1e-2, 0, 1e-10, 0)},
      {"adagrad lr decay eps decay", mk({.lr = 0.1, .lr_decay = 0.05, .weight_decay = 0.02, .eps = 1e-3}),
       ref_adagrad(0.1, 0.05, 1e-3, 0.02)},
  };
}

std::vector<Case> rmsprop_cases() {
  auto mk = [](RMSpropOptions o) {
    return [o](NamedParameters p) { return std::make_unique<RMSprop>(std::move(p), o); };
  };
  return {
      {"rmsprop defaults", mk({}), ref_rmsprop(1e-2, 0.99, 1e-8, 0, 0)},
      {"rmsprop alpha eps decay", mk({.lr = 0.01, .alpha = 0.9, .eps = 1e-3, .weight_decay = 0.03}),
       ref_rmsprop(0.01, 0.9, 1e-3, 0, 0.03)},
      {"rmsprop momentum decay", mk({.lr = 0.01, .weight_decay = 0.01, .momentum = 0.7}),
       ref_rmsprop(0.01, 0.99, 1e-8, 0.7, 0.01)},
  };
}

void run_cases(const std::vector<Case>& cases) {
  DType dt = GENERATE(DType::F32, DType::F64);
  int64_t n = GENERATE(7, 40000);  // 40000 takes the parallel path
  for (const Case& c : cases) check_against_reference(c, dt, n, 5);
}

}  // namespace

TEST_CASE("optim: SGD matches the reference update", "[optim][cpu]") { run_cases(sgd_cases()); }
TEST_CASE("optim: Adam matches the reference update", "[optim][cpu]") { run_cases(adam_cases()); }
TEST_CASE("optim: Adagrad matches the reference update", "[optim][cpu]") { run_cases(adagrad_cases()); }
TEST_CASE("optim: RMSprop matches the reference update", "[optim][cpu]") { run_cases(rmsprop_cases()); }

TEST_CASE("optim: kernels called directly follow the given step number", "[optim][cpu]") {
  // The Optimizer counts steps itself; here the kernels see step numbers other than 1..k.
  Generator gen(77);
  Backend& be = backend_for(Device::cpu());
  Tensor p = rand_tensor({9}, gen), g = rand_tensor({9}, gen);
  Vec rp = values(p);
  Bufs rb;
  SECTION("adam at step 6") {
    Tensor m = rand_tensor({9}, gen, DType::F64, 0.1, 0.5), v = rand_tensor({9}, gen, DType::F64, 0.1, 0.5);
    rb["exp_avg"] = values(m);
    rb["exp_avg_sq"] = values(v);
    be.adam_step(p, g, m, v, 6, 0.01, 0.9, 0.99, 1e-4, 0.1);
    ref_adam(0.01, 0.9, 0.99, 1e-4, 0.1)(rp, values(g), rb, 6);
    REQUIRE_CLOSE(m, rb["exp_avg"], 1e-13, 0);
    REQUIRE_CLOSE(v, rb["exp_avg_sq"], 1e-13, 0);
  }
  SECTION("adagrad at step 4 with lr decay") {
    Tensor s = rand_tensor({9}, gen, DType::F64, 0.1, 0.5);
    rb["sum"] = values(s);
    be.adagrad_step(p, g, s, 4, 0.1, 0.5, 1e-6, 0.1);
    ref_adagrad(0.1, 0.5, 1e-6, 0.1)(rp, values(g), rb, 4);
    REQUIRE_CLOSE(s, rb["sum"], 1e-13, 0);
  }
  SECTION("sgd with an existing momentum buffer") {
    Tensor buf = rand_tensor({9}, gen);
    rb["momentum_buffer"] = values(buf);
    be.sgd_step(p, g, &buf, 0.1, 0.9, 0.25, false, 0.1, /*first_step=*/false);
    ref_sgd(0.1, 0.9, 0.25, false, 0.1)(rp, values(g), rb, 2);
    REQUIRE_CLOSE(buf, rb["momentum_buffer"], 1e-13, 0);
  }
  SECTION("rmsprop with an existing momentum buffer") {
    Tensor a = rand_tensor({9}, gen, DType::F64, 0.1, 0.5), buf = rand_tensor({9}, gen);
    rb["square_avg"] = values(a);
    rb["momentum_buffer"] = values(buf);
    be.rmsprop_step(p, g, a, &buf, 0.01, 0.9, 1e-4, 0.5, 0.1);
    ref_rmsprop(0.01, 0.9, 1e-4, 0.5, 0.1)(rp, values(g), rb, 3);
    REQUIRE_CLOSE(a, rb["square_avg"], 1e-13, 0);
    REQUIRE_CLOSE(buf, rb["momentum_buffer"], 1e-13, 0);
  }
  REQUIRE_CLOSE(p, rp, 1e-13, 0);
}

namespace {

// f(x) = sum_i c_i (x_i - t_i)^2: minimum 0 at x = t.
const Vec kTarget{1.5, -2.0, 0.75, 3.0, -0.5};
const Vec kCurv{1.0, 0.5, 2.0, 0.25, 1.5};

Tensor quadratic_loss(const Tensor& x) {
  Tensor t = from_vector<double>(kTarget, {5}).to(x.dtype());
  Tensor c = from_vector<double>(kCurv, {5}).to(x.dtype());
  Tensor d = sub(x, t);
  return sum(mul(c, mul(d, d)));
}

void train(Optimizer& opt, Tensor& x, int steps) {
  for (int i = 0; i < steps; ++i) {
    opt.zero_grad();
    quadratic_loss(x).backward();
    opt.step();
  }
}

}  // namespace

TEST_CASE("optim: every optimizer minimises a quadratic", "[optim][cpu]") {
  struct Run {
    std::string label;
    MakeOpt make;
    int steps;
  };
  std::vector<Run> runs{
      {"sgd", [](NamedParameters p) { return std::make_unique<SGD>(std::move(p), SGDOptions{.lr = 0.1}); }, 200},
      {"sgd nesterov",
       [](NamedParameters p) {
         return std::make_unique<SGD>(std::move(p), SGDOptions{.lr = 0.05, .momentum = 0.9, .nesterov = true});
       },
       300},
      {"adam", [](NamedParameters p) { return std::make_unique<Adam>(std::move(p), AdamOptions{.lr = 0.05}); }, 1500},
      {"adagrad",
       [](NamedParameters p) { return std::make_unique<Adagrad>(std::move(p), AdagradOptions{.lr = 0.5}); }, 1500},
      {"rmsprop",
       [](NamedParameters p) { return std::make_unique<RMSprop>(std::move(p), RMSpropOptions{.lr = 0.01}); },
       1500},
  };
  DType dt = GENERATE(DType::F32, DType::F64);
  for (const Run& r : runs) {
    INFO(r.label << " " << dtype_name(dt));
    Tensor x = zeros({5}, dt).set_requires_grad();
    auto opt = r.make({{"x", x}});
    double before = quadratic_loss(x).item();
    train(*opt, x, r.steps);
    double after = quadratic_loss(x).item();
    INFO("loss " << before << " -> " << after << ", x = " << x.str());
    REQUIRE(after < 1e-3 * before);
    REQUIRE_CLOSE(x, kTarget, 0, 0.05);
  }
}

TEST_CASE("optim: learning rate get/set takes effect", "[optim][cpu]") {
  Tensor x = from_vector<double>({1.0, -1.0}, {2}).set_requires_grad();
  SGD opt({{"x", x}}, {.lr = 0.5});
  REQUIRE(opt.lr() == 0.5);
  opt.set_lr(0.25);
  REQUIRE(opt.lr() == 0.25);
  x.set_grad(from_vector<double>({2.0, 4.0}, {2}));
  opt.step();
  REQUIRE_CLOSE(x, Vec({0.5, -2.0}), 0, 0);
  require_error([&] { opt.set_lr(-1); }, {"sgd", "lr", "-1"});
  REQUIRE(opt.lr() == 0.25);
}

TEST_CASE("optim: zero_grad drops gradients", "[optim][cpu]") {
  Tensor x = from_vector<double>({1.0, 2.0}, {2}).set_requires_grad();
  Adam opt({{"x", x}});
  sum(mul(x, x)).backward();
  REQUIRE(x.grad().defined());
  opt.zero_grad();
  REQUIRE_FALSE(x.grad().defined());
  opt.step();  // nothing to do
  REQUIRE(opt.step_count("x") == 0);
  REQUIRE_CLOSE(x, Vec({1.0, 2.0}), 0, 0);
}

namespace {

std::vector<uint8_t> bytes_of(const Tensor& t) {
  std::vector<uint8_t> b(t.nbytes());
  std::memcpy(b.data(), t.raw_data(), b.size());
  return b;
}

// Runs k steps, saves, loads into a fresh optimizer over fresh parameters (built with other
// options, which the load must overwrite), continues m steps; compares with k+m uninterrupted.
void check_resume(const std::string& label, const MakeOpt& make, const MakeOpt& make_other, DType dt) {
  INFO(label << " " << dtype_name(dt));
  const int k = 4, m = 5;
  Generator gen(99);
  Tensor init = rand_tensor({5}, gen, dt, -3.0, 3.0);

  Tensor xa = init.clone().detach().set_requires_grad();
  auto a = make({{"x", xa}});
  train(*a, xa, k + m);

  Tensor xb = init.clone().detach().set_requires_grad();
  auto b = make({{"x", xb}});
  train(*b, xb, k);
  const std::string opt_path = temp_path(label + "_opt"), param_path = temp_path(label + "_param");
  b->save(opt_path);
  save_safetensors(param_path, {{"x", xb}});
  b.reset();

  Tensor xc = load_safetensors(param_path).tensors.at("x").set_requires_grad();
  auto c = make_other({{"x", xc}});
  c->load(opt_path);
  REQUIRE(c->step_count("x") == k);
  train(*c, xc, m);
  REQUIRE(bytes_of(xc) == bytes_of(xa));
  // The whole state agrees too, buffer by buffer.
  OptimizerState sa = a->state_dict(), sc = c->state_dict();
  REQUIRE(sa.hyper == sc.hyper);
  REQUIRE(sa.tensors.size() == sc.tensors.size());
  for (const auto& [name, t] : sa.tensors) {
    INFO("state " << name);
    REQUIRE(bytes_of(t) == bytes_of(sc.tensors.at(name)));
  }
  std::filesystem::remove(opt_path);
  std::filesystem::remove(param_path);
}

template <class O, class Opts>
MakeOpt maker(Opts o) {
  return [o](NamedParameters p) { return std::make_unique<O>(std::move(p), o); };
}

}  // namespace

TEST_CASE("optim: save, load and continue equals uninterrupted training bit for bit", "[optim][cpu]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  check_resume("sgd", maker<SGD>(SGDOptions{.lr = 0.05, .momentum = 0.9, .dampening = 0.1, .weight_decay = 0.01}),
               maker<SGD>(SGDOptions{.lr = 1.0}), dt);
  check_resume("adam", maker<Adam>(AdamOptions{.lr = 0.03, .beta1 = 0.85, .weight_decay = 0.01}),
               maker<Adam>(AdamOptions{}), dt);
  check_resume("adagrad", maker<Adagrad>(AdagradOptions{.lr = 0.2, .lr_decay = 0.01}),
               maker<Adagrad>(AdagradOptions{}), dt);
  check_resume("rmsprop", maker<RMSprop>(RMSpropOptions{.lr = 0.02, .weight_decay = 0.01, .momentum = 0.5}),
               maker<RMSprop>(RMSpropOptions{}), dt);
}

TEST_CASE("optim: loading a mismatched state throws and changes nothing", "[optim][cpu]") {
  Tensor w = from_vector<float>({1, 2, 3}, {3}).set_requires_grad();
  Adam saved({{"w", w}}, {.lr = 0.01});
  w.set_grad(from_vector<float>({0.5f, -0.5f, 0.25f}, {3}));
  saved.step();
  OptimizerState st = saved.state_dict();

  SECTION("shape") {
    Tensor w4 = from_vector<float>({1, 2, 3, 4}, {4}).set_requires_grad();
    Adam other({{"w", w4}}, {.lr = 0.5});
    require_error([&] { other.load_state_dict(st); }, {"adam", "'w'", "[4]", "[3]"});
    REQUIRE(other.lr() == 0.5);
    REQUIRE(other.step_count("w") == 0);
  }
  SECTION("names") {
    Tensor v = from_vector<float>({1, 2, 3}, {3}).set_requires_grad();
    Adam other({{"v", v}});
    require_error([&] { other.load_state_dict(st); }, {"'v'", "no state entry", "v.step"});
    Adam both({{"v", v}, {"w", w}});
    require_error([&] { both.load_state_dict(st); }, {"'v'", "no state entry"});
    OptimizerState extra = st;
    extra.tensors["u.exp_avg"] = zeros({3});
    Adam same({{"w", w}});
    require_error([&] { same.load_state_dict(extra); }, {"'u.exp_avg'", "matches no parameter"});
  }
  SECTION("dtype") {
    Tensor w64 = from_vector<double>({1, 2, 3}, {3}).set_requires_grad();
    Adam other({{"w", w64}});
    require_error([&] { other.load_state_dict(st); }, {"'w'", "f64", "f32"});
  }
  SECTION("optimizer kind and hyper-parameters") {
    SGD sgd({{"w", w}}, {.lr = 0.1});
    require_error([&] { sgd.load_state_dict(st); }, {"'adam'", "'sgd'"});
    OptimizerState bad = st;
    bad.hyper["beta2"] = "0.9x";
    Adam other({{"w", w}}, {.lr = 0.5});
    require_error([&] { other.load_state_dict(bad); }, {"beta2", "0.9x"});
    bad.hyper.erase("beta2");
    require_error([&] { other.load_state_dict(bad); }, {"beta2", "lacks"});
    REQUIRE(other.lr() == 0.5);
  }
  SECTION("from a file, naming it") {
    const std::string path = temp_path("mismatch");
    saved.save(path);
    Tensor w4 = from_vector<float>({1, 2, 3, 4}, {4}).set_requires_grad();
    Adam other({{"w", w4}});
    require_error([&] { other.load(path); }, {path, "'w'", "[4]", "[3]"});
    std::filesystem::remove(path);
  }
}

TEST_CASE("optim: invalid options and parameters are rejected", "[optim][cpu]") {
  Tensor w = from_vector<double>({1, 2}, {2}).set_requires_grad();
  require_error([&] { SGD({{"w", w}}, {}); }, {"sgd", "lr is required"});
  require_error([&] { SGD({{"w", w}}, {.lr = 0.1, .nesterov = true}); }, {"nesterov", "momentum"});
  require_error([&] { Adam({{"w", w}}, {.beta2 = 1.0}); }, {"adam", "beta2", "1"});
  require_error([&] { Adagrad({{"w", w}}, {.lr_decay = -0.1}); }, {"adagrad", "lr_decay"});
  require_error([&] { RMSprop({{"w", w}}, {.alpha = -1}); }, {"rmsprop", "alpha"});
  require_error([&] { Adam({{"w", w}, {"w", w.detach()}}); }, {"'w'", "twice"});
  require_error([&] { Adam({{"a", w}, {"b", w}}); }, {"'a'", "'b'", "same tensor"});
  require_error([&] { Adam({{"i", arange(3)}}); }, {"'i'", "not floating", "i64"});
}
