// SPDX-License-Identifier: MIT
#include "support/test_util.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <sstream>

namespace dien::test {

Tensor rand_tensor(const Shape& s, Generator& g, DType dt, double lo, double hi, double min_abs) {
  Tensor u = uniform(s, lo, hi, g, DType::F64);
  std::vector<double> v = u.to_vector<double>();
  for (auto& x : v)
    if (std::fabs(x) < min_abs) x = x < 0 ? -min_abs - std::fabs(x) : min_abs + x;
  return from_vector(v, s).to(dt);
}

std::vector<double> values(const Tensor& t) { return t.detach().to(Device::cpu()).to(DType::F64).to_vector<double>(); }

Tensor poisoned(const Shape& s, DType dt) {
  double p = is_floating(dt) ? std::numeric_limits<double>::quiet_NaN() : -123456.0;
  return full(s, p, dt);
}

CloseReport all_close(const Tensor& t, const std::vector<double>& ref, double rtol, double atol) {
  CloseReport r;
  std::vector<double> v = values(t);
  std::ostringstream os;
  os.precision(10);
  if (v.size() != ref.size()) {
    r.ok = false;
    os << "size mismatch: " << v.size() << " vs reference " << ref.size() << " (" << t.describe() << ")";
    r.msg = os.str();
    return r;
  }
  double max_abs = 0, max_rel = 0;
  int64_t first_bad = -1;
  for (size_t i = 0; i < v.size(); ++i) {
    double a = v[i], b = ref[i], d = std::fabs(a - b);
    bool bad = !(d <= atol + rtol * std::fabs(b));  // NaN fails
    if (bad && first_bad < 0) first_bad = static_cast<int64_t>(i);
    max_abs = std::max(max_abs, d);
    if (b != 0) max_rel = std::max(max_rel, d / std::fabs(b));
  }
  r.ok = first_bad < 0;
  os << t.describe() << ": max_abs=" << max_abs << " max_rel=" << max_rel;
  if (!r.ok) os << "; first mismatch at flat index " << first_bad << ": got " << v[first_bad] << ", want " << ref[first_bad];
  r.msg = os.str();
  return r;
}

CloseReport all_close(const Tensor& a, const Tensor& b, double rtol, double atol) {
  if (a.shape() != b.shape()) return {false, "shape mismatch: " + a.describe() + " vs " + b.describe()};
  return all_close(a, values(b), rtol, atol);
}

void require_error(const std::function<void()>& f, const std::vector<std::string>& parts) {
  std::string msg;
  bool threw = false;
  try {
    f();
  } catch (const dien::Error& e) {
    threw = true;
    msg = e.what();
  }
  INFO("message: " << msg);
  REQUIRE(threw);
  for (const auto& p : parts) {
    INFO("expected the message to contain: " << p);
    CHECK(msg.find(p) != std::string::npos);
  }
}

std::string fresh_temp_dir(const std::string& name) {
  namespace fs = std::filesystem;
  fs::path p = fs::temp_directory_path() / ("dien_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

}  // namespace dien::test
