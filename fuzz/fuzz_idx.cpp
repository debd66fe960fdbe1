// read_idx on arbitrary bytes (plain or gzip-compressed, as zlib's gzread takes either):
// it returns an array whose shape accounts for every data byte, or throws a tg:: error.
// Anything else (another exception, a crash, a sanitizer report, an allocation beyond
// -malloc_limit_mb) is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "fuzz/input_file.hpp"
#include "nn/data/idx.hpp"
#include "tensor/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static InputFile file;
  try {
    const tg::nn::IdxArray array = tg::nn::read_idx(file.hold(data, size));
    std::uint64_t count = 1;
    for (const auto d : array.shape) count *= static_cast<std::uint64_t>(d);
    if (array.shape.empty() || count != array.data.size()) std::abort();
  } catch (const tg::Error&) {
  }
  return 0;
}
