// SPDX-License-Identifier: MIT
// Tensors to and from files in the safetensors format (https://github.com/huggingface/safetensors):
//   8 bytes   little-endian u64 N, the size of the header
//   N bytes   JSON: {"<name>": {"dtype": "F32"|"F64"|"I32"|"I64", "shape": [...],
//                               "data_offsets": [begin, end]}, ...,
//                    "__metadata__": {"<key>": "<string value>", ...}}
//   the rest  raw little-endian tensor bytes; offsets are relative to this byte buffer, which
//             the tensors cover exactly (no holes, no overlaps).
// Files written here load in Python with safetensors.torch.load_file and vice versa (for the
// four dtypes dien has).
//
//   std::map<std::string, dien::Tensor> ts{{"w", w}, {"b", b}};
//   dien::save_safetensors("model.safetensors", ts, {{"step", "100"}});
//   auto f = dien::load_safetensors("model.safetensors");   // tensors on the CPU
//   dien::Tensor w2 = f.tensors.at("w").to(dien::Device::cuda());
//   std::string step = f.metadata.at("step");
#pragma once
#include <map>
#include <string>

#include "core/tensor.h"

namespace dien {

struct SafetensorsFile {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;
};

// Writes `tensors` (any device; copied to the host) and `metadata` to `path` with
// dien::write_file (core/file_write.h): a regular file is written under a temporary name in the
// same folder and renamed over `path`, so an existing file is replaced whole or not at all.
// Throws dien::Error naming the file on any I/O failure.
void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Reads a file written by save_safetensors (or by the safetensors library). Tensors are on
// the CPU. Every malformed input throws dien::Error naming the file and what is wrong.
SafetensorsFile load_safetensors(const std::string& path);

// The header's spelling of a dtype: "F32", "F64", "I32", "I64".
const char* safetensors_dtype_tag(DType t);

}  // namespace dien
