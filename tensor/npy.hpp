// NumPy .npy files (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
//
// Supported: C order, little-endian float32 ('<f4'), float64 ('<f8'), int64 ('<i8') and
// bool ('|b1'); format versions 1.0, 2.0 and 3.0 on reading. Writing produces version 1.0,
// or 2.0 when the header does not fit 1.0's 16-bit length, with the header padded to a
// multiple of 64 bytes as NumPy does.
#pragma once

#include <filesystem>

#include "tensor/tensor.hpp"

namespace tg {

// Writes `t` (any layout; written in logical C order) to `path`. The data goes to a
// temporary file in the same directory that is renamed over `path` only once complete, so
// a failure never leaves a partial file. Throws IOError naming the file.
void save_npy(const std::filesystem::path& path, const Tensor& t);

// Reads a contiguous tensor. Throws IOError naming the file and the problem for a missing
// file, bad magic, unsupported version, malformed header, Fortran order, big-endian or
// unsupported dtypes, truncated data or trailing bytes, and bool bytes other than 0 and 1.
Tensor load_npy(const std::filesystem::path& path);

}  // namespace tg
