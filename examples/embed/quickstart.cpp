// SPDX-License-Identifier: MIT
// quickstart.cpp: examples/embed/quickstart.c with the C++ API, plus the user-state cache: the
// history goes in one event at a time, as a service that sees clicks would feed it.
//   quickstart_cpp MODEL HIST_ITEMS HIST_CATES CAND_ITEMS CAND_CATES
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "serve/session.h"

static std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string v; std::getline(in, v, ',');) out.push_back(v);
  return out;
}

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: quickstart_cpp MODEL HIST_ITEMS HIST_CATES CAND_ITEMS CAND_CATES\n");
    return 2;
  }
  try {
    dien::serve::SessionOptions options;
    options.user_cache_capacity = 10000;  // users whose interest states are kept
    auto session = dien::serve::Session::open(argv[1], options);
    const std::vector<std::string> items = split(argv[2]), cates = split(argv[3]);
    for (size_t t = 0; t < items.size() && t < cates.size(); ++t)  // one click at a time
      session->append_event("user-42", {{"item_id", items[t]}, {"cate_id", cates[t]}});
    dien::serve::Request request = session->new_request();
    request.set_user_key("user-42");  // the history comes from the cache
    const std::vector<std::string> cand = split(argv[4]);
    request.set_candidates("item_id", cand);
    request.set_candidates("cate_id", split(argv[5]));
    const std::vector<float> p = session->score(request);
    for (size_t i = 0; i < p.size(); ++i) std::printf("%s\t%.6f\n", cand[i].c_str(), static_cast<double>(p[i]));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "quickstart_cpp: %s\n", e.what());
    return 1;
  }
  return 0;
}
