// load_npy on arbitrary bytes: it returns a tensor that accounts for every byte of the file,
// or throws a tg:: error. Anything else (another exception, a crash, a sanitizer report, an
// allocation beyond -malloc_limit_mb) is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "fuzz/input_file.hpp"
#include "tensor/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static InputFile file;
  try {
    const tg::Tensor t = tg::load_npy(file.hold(data, size));
    // The data section is the file's tail, numel elements long, copied unchanged (the host
    // is little-endian).
    const auto bytes = static_cast<std::size_t>(t.numel()) * tg::itemsize(t.dtype());
    if (!t.is_contiguous() || bytes > size) std::abort();
    if (bytes > 0 && std::memcmp(t.raw_data(), data + size - bytes, bytes) != 0) std::abort();
  } catch (const tg::Error&) {
  }
  return 0;
}
