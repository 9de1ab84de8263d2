// SPDX-License-Identifier: MIT
// CRC-32 through zlib (crc32_z takes a size_t length, so no chunking is needed for big buffers).
#include "core/checksum.h"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "core/error.h"

namespace dien {

uint32_t crc32_bytes(const void* data, size_t n, uint32_t crc) {
  return static_cast<uint32_t>(::crc32_z(crc, static_cast<const Bytef*>(data), n));
}

FileChecksum checksum_file(const std::string& path, const char* op) {
  struct Closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Closer> f(std::fopen(path.c_str(), "rb"));
  if (!f) fail(op, path, ": cannot open: ", std::strerror(errno));
  std::vector<unsigned char> buf(1 << 20);
  FileChecksum out;
  for (;;) {
    const size_t got = std::fread(buf.data(), 1, buf.size(), f.get());
    out.crc32 = crc32_bytes(buf.data(), got, out.crc32);
    out.size += got;
    if (got < buf.size()) {
      // A short read is the end of the file or an I/O error; only the former ends the checksum.
      if (std::ferror(f.get())) fail(op, path, ": read error after ", out.size, " bytes: ", std::strerror(errno));
      break;
    }
  }
  return out;
}

std::string crc32_hex(uint32_t crc) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", crc);
  return buf;
}

}  // namespace dien
