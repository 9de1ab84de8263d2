// SPDX-License-Identifier: MIT
// score_file.cpp: examples/embed/score_file.c with the C++ API (dien::serve::Session, linked
// from the static library dien::dien_static): one probability per line of a DIEN Amazon-format
// file, consecutive lines of one user and history scored as one request of K candidates.
//
//   score_file_cpp MODEL FILE [THREADS]
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "serve/session.h"

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: score_file_cpp MODEL FILE [THREADS]\n");
    return 2;
  }
  try {
    dien::serve::SessionOptions options;
    if (argc == 4) options.threads = std::stoi(argv[3]);
    auto session = dien::serve::Session::open(argv[1], options);
    dien::serve::Request request = session->new_request();
    std::ifstream in(argv[2]);
    if (!in) throw std::runtime_error(std::string("cannot read ") + argv[2]);
    std::vector<std::vector<std::string>> group;  // lines of one user and history
    auto flush = [&] {
      if (group.empty()) return;
      const auto& first = group.front();
      request.clear();
      request.set_user("user_id", first[1]);
      request.set_sequence("hist_item_id", split(first[4], '\x02'));
      request.set_sequence("hist_cate_id", split(first[5], '\x02'));
      std::vector<std::string> items, cates;
      for (const auto& g : group) {
        items.push_back(g[2]);
        cates.push_back(g[3]);
      }
      request.set_candidates("item_id", items);
      request.set_candidates("cate_id", cates);
      for (float p : session->score(request)) std::printf("%.6f\n", static_cast<double>(p));
      group.clear();
    };
    std::string line;
    for (size_t line_no = 1; std::getline(in, line); ++line_no) {
      std::vector<std::string> f = split(line, '\t');
      if (f.size() != 6)
        throw std::runtime_error(std::string(argv[2]) + ":" + std::to_string(line_no) + ": expected 6 tab-separated fields");
      if (!group.empty() && (f[1] != group[0][1] || f[4] != group[0][4] || f[5] != group[0][5])) flush();
      group.push_back(std::move(f));
    }
    flush();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "score_file_cpp: %s\n", e.what());
    return 1;
  }
  return 0;
}
