// The IDX format of the MNIST files: magic (0, 0, type, ndim), ndim big-endian uint32
// sizes, then the data. Only unsigned-byte data (type 0x08), as MNIST uses, is supported.
// Files may be gzip-compressed (read through zlib) or plain.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tg::nn {

struct IdxArray {
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> data;  // row-major, product(shape) bytes
};

// Throws IOError naming the file and what is wrong (missing, bad magic, unsupported type,
// bad sizes, truncated data, trailing bytes, corrupt gzip stream).
IdxArray read_idx(const std::string& path);
// Writes an unsigned-byte IDX file, gzip-compressed if `gzip`.
void write_idx(const std::string& path, const IdxArray& array, bool gzip);

}  // namespace tg::nn
