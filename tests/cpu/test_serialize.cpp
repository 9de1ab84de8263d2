// SPDX-License-Identifier: MIT
// safetensors: bit-identical round trips of all four dtypes (special float values, 0-d, empty
// and 4-d tensors), the on-disk layout, reading a hand-written file, atomic replacement, and
// one test per kind of malformed input.
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/serialize.h"
#include "support/test_util.h"

using namespace dien;
using dien::test::require_error;

namespace {

namespace fs = std::filesystem;

// A fresh folder per process (ctest runs test cases in parallel processes), removed at exit.
fs::path temp_dir() {
  static const struct Dir {
    fs::path path = fs::temp_directory_path() / ("dien_test_serialize_" + std::to_string(::getpid()));
    ~Dir() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  } dir;
  fs::create_directories(dir.path);
  return dir.path;
}

std::vector<uint8_t> bytes_of(const Tensor& t) {
  std::vector<uint8_t> b(t.nbytes());
  if (!b.empty()) std::memcpy(b.data(), t.raw_data(), b.size());
  return b;
}

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Writes the raw bytes of a safetensors file: header size (or `size_override`), header, data.
fs::path write_raw(const std::string& name, const std::string& header, const std::string& data,
                   uint64_t size_override = UINT64_MAX) {
  fs::path p = temp_dir() / name;
  std::ofstream f(p, std::ios::binary);
  uint64_t n = size_override == UINT64_MAX ? header.size() : size_override;
  for (int i = 0; i < 8; ++i) f.put(static_cast<char>(n >> (8 * i)));
  f << header << data;
  return p;
}

std::string floats(std::initializer_list<float> v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), std::data(v), s.size());
  return s;
}

}  // namespace

TEST_CASE("serialize: round trip of all four dtypes is bit-identical", "[serialize][cpu]") {
  Generator gen(5);
  const float fnan = std::numeric_limits<float>::quiet_NaN(), finf = std::numeric_limits<float>::infinity();
  std::map<std::string, Tensor> ts{
      {"f32", from_vector<float>({1.5f, -0.0f, fnan, finf, -finf, 1e-40f /* denormal */}, {2, 3})},
      {"f64", uniform({2, 1, 3, 2}, -5, 5, gen, DType::F64)},
      {"i32", from_vector<int32_t>({INT32_MIN, -7, 0, 42, INT32_MAX}, {5})},
      {"i64", from_vector<int64_t>({INT64_MIN, -1, 1LL << 40, INT64_MAX}, {2, 2})},
      {"scalar", scalar_tensor(3.25, DType::F64)},
      {"empty", zeros({0, 4}, DType::F32)},
      {"layer.weight", uniform({3, 7}, -1, 1, gen)},
  };
  std::map<std::string, std::string> meta{{"step", "17"}, {"note", "ünïcode \"quoted\""}};
  const fs::path p = temp_dir() / "roundtrip.safetensors";
  save_safetensors(p.string(), ts, meta);
  SafetensorsFile f = load_safetensors(p.string());
  REQUIRE(f.metadata == meta);
  REQUIRE(f.tensors.size() == ts.size());
  for (const auto& [name, t] : ts) {
    INFO(name);
    REQUIRE(f.tensors.count(name));
    const Tensor& u = f.tensors.at(name);
    REQUIRE(u.shape() == t.shape());
    REQUIRE(u.dtype() == t.dtype());
    REQUIRE(u.device().is_cpu());
    REQUIRE(bytes_of(u) == bytes_of(t));
  }
  fs::remove(p);
}

TEST_CASE("serialize: the file layout is standard safetensors", "[serialize][cpu]") {
  const fs::path p = temp_dir() / "layout.safetensors";
  save_safetensors(p.string(), {{"b", from_vector<int64_t>({7, 8}, {2})}, {"a", from_vector<float>({1.5f}, {1, 1})}},
                   {{"k", "v"}});
  std::string raw = read_file(p);
  REQUIRE(raw.size() >= 8);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<uint8_t>(raw[i])) << (8 * i);
  REQUIRE(n % 8 == 0);  // the data buffer starts 8-aligned
  REQUIRE(raw.size() == 8 + n + 4 + 16);
  auto h = nlohmann::json::parse(raw.substr(8, n));
  REQUIRE(h["a"]["dtype"] == "F32");
  REQUIRE(h["a"]["shape"] == nlohmann::json::array({1, 1}));
  REQUIRE(h["b"]["dtype"] == "I64");
  REQUIRE(h["__metadata__"]["k"] == "v");
  auto ao = h["a"]["data_offsets"].get<std::vector<uint64_t>>();
  auto bo = h["b"]["data_offsets"].get<std::vector<uint64_t>>();
  REQUIRE(ao[1] - ao[0] == 4);
  REQUIRE(bo[1] - bo[0] == 16);
  float a;
  std::memcpy(&a, raw.data() + 8 + n + ao[0], 4);
  REQUIRE(a == 1.5f);
  int64_t b1;
  std::memcpy(&b1, raw.data() + 8 + n + bo[0] + 8, 8);
  REQUIRE(b1 == 8);
  fs::remove(p);
}

TEST_CASE("serialize: reads a hand-written file with tensors out of order", "[serialize][cpu]") {
  // As the Python library may write it: keys in any order, no metadata, no padding.
  std::string header =
      R"({"y":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  fs::path p = write_raw("handwritten.safetensors", header, floats({1.5f, -2.0f, 0.25f}));
  SafetensorsFile f = load_safetensors(p.string());
  REQUIRE(f.metadata.empty());
  REQUIRE(f.tensors.at("x").to_vector<float>() == std::vector<float>{1.5f, -2.0f});
  REQUIRE(f.tensors.at("y").to_vector<float>() == std::vector<float>{0.25f});
  fs::remove(p);
}

TEST_CASE("serialize: saving replaces a file whole or not at all", "[serialize][cpu]") {
  const fs::path dir = temp_dir() / "atomic";
  fs::create_directories(dir);
  const fs::path p = dir / "model.safetensors";
  save_safetensors(p.string(), {{"w", from_vector<double>({1, 2, 3}, {3})}});
  const std::string before = read_file(p);

  // A failing save (an undefined tensor) leaves the old file and no temporary behind.
  require_error([&] { save_safetensors(p.string(), {{"w", from_vector<double>({9}, {1})}, {"z", Tensor()}}); },
                {"save_safetensors", p.string(), "'z'", "undefined"});
  REQUIRE(read_file(p) == before);
  // Into a folder that does not exist: names the file, creates nothing.
  const fs::path missing = dir / "no_such_dir" / "m.safetensors";
  require_error([&] { save_safetensors(missing.string(), {{"w", ones({1})}}); }, {missing.string(), "cannot create"});
  // A successful save replaces it.
  save_safetensors(p.string(), {{"w", from_vector<double>({4, 5}, {2})}});
  REQUIRE(load_safetensors(p.string()).tensors.at("w").to_vector<double>() == std::vector<double>{4, 5});
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  REQUIRE(files == 1);
  fs::remove_all(dir);
}

TEST_CASE("serialize: every malformed input is an error naming the file", "[serialize][cpu]") {
  const std::string ok_entry = R"("x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  const std::string two = floats({1.0f, 2.0f});

  SECTION("missing file") {
    std::string p = (temp_dir() / "does_not_exist.safetensors").string();
    require_error([&] { load_safetensors(p); }, {"load_safetensors", p, "cannot open"});
  }
  SECTION("shorter than the size field") {
    fs::path p = temp_dir() / "tiny.safetensors";
    std::ofstream(p, std::ios::binary) << "abc";
    require_error([&] { load_safetensors(p.string()); }, {p.string(), "truncated", "3 bytes"});
  }
  SECTION("header longer than the file") {
    fs::path p = write_raw("short_header.safetensors", "{" + ok_entry + "}", two, 5000);
    require_error([&] { load_safetensors(p.string()); }, {p.string(), "truncated", "5000"});
  }
  SECTION("data cut short") {
    fs::path p = write_raw("cut.safetensors", "{" + ok_entry + "}", two.substr(0, 6));
    require_error([&] { load_safetensors(p.string()); }, {p.string(), "'x'", "out of range", "6 bytes"});
  }
  SECTION("header too large") {
    fs::path p = write_raw("huge.safetensors", "{}", "", 200'000'000);
    require_error([&] { load_safetensors(p.string()); }, {p.string(), "header too large", "200000000"});
  }
  SECTION("bad JSON") {
    fs::path p = write_raw("badjson.safetensors", "{\"x\": {\"dtype\": ", two);
    require_error([&] { load_safetensors(p.string()); }, {p.string(), "not valid JSON"});
    fs::path q = write_raw("array.safetensors", "[1, 2]", "");
    require_error([&] { load_safetensors(q.string()); }, {q.string(), "not a JSON object"});
  }
  SECTION("unknown dtype") {
    fs::path p = write_raw("bf16.safetensors", R"({"x":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})",
                           two.substr(0, 4));
    require_error([&] { load_safetensors(p.string()); }, {p.string(), "'x'", "unknown dtype", "BF16"});
  }
  SECTION("offsets out of range") {
    fs::path p = write_raw("range.safetensors", R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", two);
    require_error([&] { load_safetensors(p.string()); }, {p.string(), "'x'", "[4, 12]", "out of range"});
    fs::path q = write_raw("reversed.safetensors", R"({"x":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", two);
    require_error([&] { load_safetensors(q.string()); }, {q.string(), "'x'", "[8, 0]"});
  }
  SECTION("overlapping offsets") {
    fs::path p = write_raw(
        "overlap.safetensors",
        R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
        two);
    require_error([&] { load_safetensors(p.string()); }, {p.string(), "'a'", "'b'", "overlap"});
  }
  SECTION("bytes that belong to no tensor") {
    fs::path p = write_raw("hole.safetensors", R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", two);
    require_error([&] { load_safetensors(p.string()); }, {p.string(), "[0, 4)", "no tensor"});
    fs::path q = write_raw("tail.safetensors", R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", two);
    require_error([&] { load_safetensors(q.string()); }, {q.string(), "[4, 8)", "no tensor"});
  }
  SECTION("shape and offsets disagree") {
    fs::path p = write_raw("size.safetensors", R"({"x":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}})", two);
    require_error([&] { load_safetensors(p.string()); }, {p.string(), "'x'", "[2]", "16 bytes", "span 8"});
    fs::path q = write_raw("absurd.safetensors",
                           R"({"x":{"dtype":"F64","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}})", two);
    require_error([&] { load_safetensors(q.string()); }, {q.string(), "'x'", "too many elements"});
  }
  SECTION("more than 4 dims") {
    fs::path p =
        write_raw("5d.safetensors", R"({"x":{"dtype":"F32","shape":[1,1,1,1,2],"data_offsets":[0,8]}})", two);
    require_error([&] { load_safetensors(p.string()); }, {p.string(), "'x'", "5 dimensions", "at most 4"});
  }
  SECTION("malformed entries and metadata") {
    fs::path p = write_raw("nodtype.safetensors", R"({"x":{"shape":[2],"data_offsets":[0,8]}})", two);
    require_error([&] { load_safetensors(p.string()); }, {p.string(), "'x'", "missing", "dtype"});
    fs::path q = write_raw("negshape.safetensors", R"({"x":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", two);
    require_error([&] { load_safetensors(q.string()); }, {q.string(), "'x'", "shape [-2]", "negative dimension"});
    fs::path r = write_raw("meta.safetensors", "{" + ok_entry + R"(,"__metadata__":{"epoch":3}})", two);
    require_error([&] { load_safetensors(r.string()); }, {r.string(), "'epoch'", "not a string"});
  }
}

TEST_CASE("serialize: names that cannot be saved are rejected", "[serialize][cpu]") {
  const std::string p = (temp_dir() / "names.safetensors").string();
  require_error([&] { save_safetensors(p, {{"", ones({1})}}); }, {p, "empty name"});
  require_error([&] { save_safetensors(p, {{"__metadata__", ones({1})}}); }, {p, "reserved"});
  REQUIRE_FALSE(fs::exists(p));
}
