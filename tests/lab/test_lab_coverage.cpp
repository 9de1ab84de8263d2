// SPDX-License-Identifier: MIT
// Every kernel of kernels/backend.h (each `virtual ... name(` of class Backend) is called by some
// op case of the kernel lab (kernels/lab/op_cases.cpp), so parity, gradcheck and bench_ops reach
// it. A new Backend method without a case fails here, named.
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "tests/lab/lab_util.h"

using namespace dien;

namespace {

// Backend methods that are not kernels.
const std::set<std::string> kNotKernels = {"name"};

// The virtual member functions declared in kernels/backend.h (comments stripped; destructors skipped).
std::vector<std::string> backend_methods() {
  std::ifstream in(std::string(DIEN_SOURCE_DIR) + "/kernels/backend.h");
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = std::regex_replace(ss.str(), std::regex("//[^\n]*"), "");
  static const std::regex decl(R"(virtual\s+[^;(~{}]*?\b(\w+)\s*\()");
  std::vector<std::string> names;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), decl); it != std::sregex_iterator(); ++it)
    names.push_back((*it)[1].str());
  return names;
}

}  // namespace

TEST_CASE("lab: every Backend kernel has an op case", "[lab]") {
  const std::vector<std::string> methods = backend_methods();
  const std::vector<std::string> covered = lab::covered_kernels();
  const std::set<std::string> have(covered.begin(), covered.end());
  INFO("kernels/backend.h declares " << methods.size() << " methods");
  REQUIRE(methods.size() >= 30);  // the parse found the list
  std::string missing;
  for (const std::string& m : methods)
    if (!kNotKernels.count(m) && !have.count(m)) missing += " " + m;
  INFO("Backend kernels without a case in kernels/lab/op_cases.cpp:" << missing);
  CHECK(missing.empty());
  // And the other way round: every name a case gives is a method (DIEN_LAB_KERNEL checks that at
  // compile time; this checks the parse).
  const std::set<std::string> declared(methods.begin(), methods.end());
  for (const std::string& k : covered) {
    INFO("kernel named by a case: " << k);
    CHECK(declared.count(k));
  }
}
