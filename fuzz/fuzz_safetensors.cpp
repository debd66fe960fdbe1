// decode_safetensors on arbitrary bytes (the 8-byte header length, the JSON header and the
// data): it returns the tensors or throws a tg:: error. What it returns must survive
// encode_safetensors and a second decode unchanged (names, dtypes, shapes, bytes, metadata).
// Anything else (another exception, a crash, a sanitizer report, an allocation beyond
// -malloc_limit_mb, a wrong round trip) is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "nn/io/safetensors.hpp"

namespace {

bool same(const tg::nn::SafetensorsContents& a, const tg::nn::SafetensorsContents& b) {
  if (a.tensors.size() != b.tensors.size() || a.metadata != b.metadata) return false;
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    const auto& [name_a, ta] = a.tensors[i];
    const auto& [name_b, tb] = b.tensors[i];
    if (name_a != name_b || ta.dtype() != tb.dtype() || ta.shape() != tb.shape()) return false;
    const auto bytes = static_cast<std::size_t>(ta.numel()) * tg::itemsize(ta.dtype());
    if (bytes > 0 && std::memcmp(ta.raw_data(), tb.raw_data(), bytes) != 0) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tg::nn::SafetensorsContents contents;
  try {
    contents = tg::nn::decode_safetensors(std::string(reinterpret_cast<const char*>(data), size), "fuzz input");
  } catch (const tg::Error&) {
    return 0;
  }
  // Outside the try: re-encoding what was read must neither throw nor change it.
  const std::string encoded = tg::nn::encode_safetensors(contents.tensors, contents.metadata);
  if (!same(tg::nn::decode_safetensors(encoded, "re-encoded fuzz input"), contents)) std::abort();
  return 0;
}
