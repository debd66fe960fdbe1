// json::parse on arbitrary text: it returns a value or throws a tg:: error. A value written
// back by json::dump must parse to the same value (compared through a second dump). Anything
// else (another exception, a crash, a sanitizer report, a wrong round trip) is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "nn/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tg::json::Value value;
  try {
    value = tg::json::parse(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const tg::Error&) {
    return 0;
  }
  // Outside the try: the parser accepts only finite numbers, so nothing here may throw.
  const std::string text = tg::json::dump(value);
  if (tg::json::dump(tg::json::parse(text)) != text) std::abort();
  return 0;
}
