// SPDX-License-Identifier: MIT
// safetensors reader and writer (format described in core/serialize.h). The reader validates
// the whole header (sizes, dtypes, shapes, offsets) before it allocates or reads any tensor.
#include "core/serialize.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/file_write.h"
#include "core/checked.h"
#include "core/json_limits.h"

namespace dien {

static_assert(std::endian::native == std::endian::little,
              "safetensors stores little-endian bytes; dien copies them as they are");

namespace {

using json = nlohmann::json;

// The safetensors library refuses headers above 100 MB; so does dien.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;


bool parse_st_dtype(const std::string& s, DType& out) {
  for (DType t : {DType::F32, DType::F64, DType::I32, DType::I64})
    if (s == safetensors_dtype_tag(t)) {
      out = t;
      return true;
    }
  return false;
}

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f) std::fclose(f);
  }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

std::string errno_text() { return std::strerror(errno); }

// ---- writing --------------------------------------------------------------------

template <class... Args>
[[noreturn]] void save_fail(const std::string& path, const Args&... args) {
  fail("save_safetensors", path, ": ", args...);
}

// ---- reading --------------------------------------------------------------------

template <class... Args>
[[noreturn]] void load_fail(const std::string& path, const Args&... args) {
  fail("load_safetensors", path, ": ", args...);
}

struct Entry {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

std::string offsets_str(const Entry& e) {
  return detail::cat("[", e.begin, ", ", e.end, "]");
}

std::string dims_str(const std::vector<int64_t>& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s += detail::cat(i ? ", " : "", d[i]);
  return s + "]";
}

// Parses and checks one tensor entry of the header against a data buffer of `buffer` bytes.
Entry parse_entry(const std::string& path, const std::string& name, const json& v, uint64_t buffer) {
  Entry e;
  e.name = name;
  auto bad = [&](const auto&... args) { load_fail(path, "tensor '", name, "': ", args...); };
  if (!v.is_object()) bad("entry is not a JSON object");
  for (const char* key : {"dtype", "shape", "data_offsets"})
    if (!v.contains(key)) bad("missing \"", key, "\"");

  const json& dt = v["dtype"];
  if (!dt.is_string()) bad("\"dtype\" is not a string");
  if (!parse_st_dtype(dt.get<std::string>(), e.dtype))
    bad("unknown dtype '", dt.get<std::string>(), "' (dien reads F32, F64, I32, I64)");

  const json& sh = v["shape"];
  if (!sh.is_array()) bad("\"shape\" is not an array");
  if (sh.size() > static_cast<size_t>(Shape::kMaxDims))
    bad(sh.size(), " dimensions, dien supports at most ", Shape::kMaxDims, " (shape ", json_excerpt(sh), ")");
  for (const json& d : sh) {
    if (!d.is_number_integer())
      bad("shape ", json_excerpt(sh), " has an entry that is not an integer");
    if (d.is_number_unsigned()) {
      uint64_t n = d.get<uint64_t>();
      if (n > static_cast<uint64_t>(INT64_MAX)) bad("dimension ", n, " of shape ", json_excerpt(sh), " is too large");
      e.shape.push_back(static_cast<int64_t>(n));
    } else {
      e.shape.push_back(d.get<int64_t>());  // negative: refused by checked_numel below
    }
  }
  // Every dimension is checked, zeros included: [2^62, 2^62, 0] holds no element but its
  // partial products overflow.
  const int64_t numel = checked_numel(e.shape, "load_safetensors", path, ": tensor '", name, "'");
  const uint64_t nbytes = static_cast<uint64_t>(numel) * dtype_size(e.dtype);  // numel <= kMaxNumel

  const json& off = v["data_offsets"];
  if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
    bad("\"data_offsets\" must be two non-negative integers, got ", json_excerpt(off));
  e.begin = off[0].get<uint64_t>();
  e.end = off[1].get<uint64_t>();
  if (e.end < e.begin) bad("data_offsets ", offsets_str(e), " end before they begin");
  if (e.end > buffer)
    bad("data_offsets ", offsets_str(e), " out of range: the data buffer has ", buffer, " bytes");
  if (nbytes != e.end - e.begin)
    bad("shape ", dims_str(e.shape), " ", safetensors_dtype_tag(e.dtype), " needs ", nbytes, " bytes",
        " but data_offsets ", offsets_str(e), " span ", e.end - e.begin, " bytes");
  return e;
}

// The entries, sorted by offset, must tile [0, buffer) exactly.
void check_layout(const std::string& path, std::vector<Entry>& es, uint64_t buffer) {
  std::sort(es.begin(), es.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t pos = 0;
  const Entry* prev = nullptr;
  for (const Entry& e : es) {
    if (e.begin < pos)
      load_fail(path, "tensors '", prev->name, "' ", offsets_str(*prev), " and '", e.name, "' ",
                offsets_str(e), " overlap");
    if (e.begin > pos)
      load_fail(path, "bytes [", pos, ", ", e.begin, ") of the data buffer belong to no tensor");
    pos = e.end;
    prev = &e;
  }
  if (pos != buffer)
    load_fail(path, "bytes [", pos, ", ", buffer, ") of the data buffer belong to no tensor");
}

}  // namespace

void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  std::vector<Tensor> host;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    if (name.empty()) save_fail(path, "a tensor has an empty name");
    if (name == "__metadata__") save_fail(path, "\"__metadata__\" is reserved and cannot name a tensor");
    if (!t.defined()) save_fail(path, "tensor '", name, "' is undefined");
    Tensor h = t.detach();
    if (!h.device().is_cpu()) h = h.to(Device::cpu());
    uint64_t n = h.nbytes();
    header[name] = {{"dtype", safetensors_dtype_tag(h.dtype())},
                    {"shape", h.shape().vec()},
                    {"data_offsets", {offset, offset + n}}};
    offset += n;
    host.push_back(h);
  }
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // pad so the data buffer starts 8-aligned
  uint8_t size_le[8];
  const uint64_t hsize = text.size();
  for (int i = 0; i < 8; ++i) size_le[i] = static_cast<uint8_t>(hsize >> (8 * i));

  write_file(
      path,
      [&](std::ostream& os) {
        os.write(reinterpret_cast<const char*>(size_le), 8);
        os.write(text.data(), static_cast<std::streamsize>(text.size()));
        for (const Tensor& h : host)
          os.write(static_cast<const char*>(h.raw_data()), static_cast<std::streamsize>(h.nbytes()));
      },
      "save_safetensors");
}

SafetensorsFile load_safetensors(const std::string& path) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) load_fail(path, "cannot open: ", errno_text());
  if (std::fseek(f.get(), 0, SEEK_END) != 0) load_fail(path, "cannot seek: ", errno_text());
  long fsize = std::ftell(f.get());
  if (fsize < 0) load_fail(path, "cannot tell the file size: ", errno_text());
  const uint64_t size = static_cast<uint64_t>(fsize);
  std::rewind(f.get());

  if (size < 8) load_fail(path, "truncated: ", size, " bytes, fewer than the 8-byte header size");
  uint8_t size_le[8];
  if (std::fread(size_le, 1, 8, f.get()) != 8) load_fail(path, "cannot read the header size");
  uint64_t hsize = 0;
  for (int i = 0; i < 8; ++i) hsize |= static_cast<uint64_t>(size_le[i]) << (8 * i);
  if (hsize > kMaxHeaderBytes)
    load_fail(path, "header too large: ", hsize, " bytes (the limit is ", kMaxHeaderBytes, ")");
  if (hsize > size - 8)
    load_fail(path, "truncated: the header claims ", hsize, " bytes but only ", size - 8, " follow");
  std::string text(hsize, '\0');
  if (hsize && std::fread(text.data(), 1, hsize, f.get()) != hsize) load_fail(path, "cannot read the header");
  const uint64_t buffer = size - 8 - hsize;

  const json header = parse_json_limited(text, path + ": the header", "load_safetensors", kMaxHeaderBytes);
  if (!header.is_object()) load_fail(path, "the header is not a JSON object");

  SafetensorsFile out;
  std::vector<Entry> entries;
  for (const auto& [key, v] : header.items()) {
    if (key == "__metadata__") {
      if (!v.is_object()) load_fail(path, "\"__metadata__\" is not a JSON object");
      for (const auto& [mk, mv] : v.items()) {
        if (!mv.is_string()) load_fail(path, "metadata value of '", mk, "' is not a string: ", json_excerpt(mv));
        out.metadata[mk] = mv.get<std::string>();
      }
      continue;
    }
    entries.push_back(parse_entry(path, key, v, buffer));
  }
  check_layout(path, entries, buffer);

  for (const Entry& e : entries) {
    Tensor t = Tensor::empty(Shape(e.shape), e.dtype, Device::cpu());
    uint64_t n = e.end - e.begin;
    if (n) {
      if (std::fseek(f.get(), static_cast<long>(8 + hsize + e.begin), SEEK_SET) != 0 ||
          std::fread(t.raw_data(), 1, n, f.get()) != n)
        load_fail(path, "cannot read the data of tensor '", e.name, "'");
    }
    out.tensors.emplace(e.name, std::move(t));
  }
  return out;
}

const char* safetensors_dtype_tag(DType t) {
  switch (t) {
    case DType::F32: return "F32";
    case DType::F64: return "F64";
    case DType::I32: return "I32";
    case DType::I64: return "I64";
  }
  return "?";
}

}  // namespace dien
