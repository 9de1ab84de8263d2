// SPDX-License-Identifier: MIT
// CRC-32 (the zlib / gzip / PNG polynomial, computed by zlib's crc32_z) of bytes and of files,
// used by checkpoint manifests (models/checkpoint_manifest.h) to detect damaged files.
//
//   uint32_t c = dien::crc32_bytes(text.data(), text.size());
//   dien::FileChecksum f = dien::checksum_file("ckpt/model.safetensors");   // f.size, f.crc32
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace dien {

// CRC-32 of `n` bytes, continuing from `crc` (0 to start).
uint32_t crc32_bytes(const void* data, size_t n, uint32_t crc = 0);

struct FileChecksum {
  uint64_t size = 0;
  uint32_t crc32 = 0;
};
// Size and CRC-32 of the whole file, read in chunks. Throws dien::Error("<op>: <path>: ...") when
// the file cannot be opened or a read fails.
FileChecksum checksum_file(const std::string& path, const char* op = "checksum_file");

// "0x1a2b3c4d": how messages and manifests show a CRC-32.
std::string crc32_hex(uint32_t crc);

}  // namespace dien
