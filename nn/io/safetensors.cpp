#include "nn/io/safetensors.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <tuple>

#include "tensor/atomic_file.hpp"
#include "tensor/checked_math.hpp"

namespace tg::nn {

static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

namespace {

constexpr const char* kCrcKey = "tapegrad.crc32";

std::string dtype_code(DType d) {
  switch (d) {
    case DType::Float32:
      return "F32";
    case DType::Float64:
      return "F64";
    case DType::Int64:
      return "I64";
    case DType::Bool:
      return "BOOL";
  }
  return "?";
}

bool parse_dtype(const std::string& code, DType& out) {
  if (code == "F32")
    out = DType::Float32;
  else if (code == "F64")
    out = DType::Float64;
  else if (code == "I64")
    out = DType::Int64;
  else if (code == "BOOL")
    out = DType::Bool;
  else
    return false;
  return true;
}

std::uint32_t crc_of(const char* data, std::size_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (n > 0) {
    const uInt chunk = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data), chunk);
    data += chunk;
    n -= chunk;
  }
  return static_cast<std::uint32_t>(crc);
}

// Tensor entries are written with their keys in the format's order (dtype, shape, offsets).
using OrderedJson = nlohmann::ordered_json;

// The JSON text of a part of the header: names and metadata must be valid UTF-8, as JSON is.
std::string to_json_text(const OrderedJson& value) {
  try {
    return value.dump();
  } catch (const nlohmann::json::exception& e) {
    fail<ValueError>("safetensors: a tensor name or metadata string is not valid UTF-8 ({})", e.what());
  }
}

// The maximum nesting of arrays and objects in a header (tensor entries nest 3 deep).
constexpr std::size_t kMaxJsonDepth = 64;

// A parsed header: its values, and in the file's order its top-level keys and those of
// __metadata__ (nlohmann::json sorts keys; ordered_json finds each key by a linear scan, which
// is quadratic in their number).
struct Header {
  nlohmann::json value;
  std::vector<std::string> order, metadata_order;
};

// Strict RFC 8259 parsing by nlohmann::json, with what it leaves open decided: duplicate keys
// are refused (it would keep the last), nesting is capped. Each open object's keys sit in a
// set, so n keys cost O(n log n) whoever chose them. Errors throw `bad`'s IOError.
template <typename Bad>
Header parse_header(std::string_view text, const Bad& bad) {
  Header header;
  std::vector<std::set<std::string>> open;  // one per open object or array (arrays' stay empty)
  const auto check = [&](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start || event == Event::array_start) {
      if (open.size() >= kMaxJsonDepth) bad(fmt::format("JSON header nests deeper than {} levels", kMaxJsonDepth));
      open.emplace_back();
    } else if (event == Event::object_end || event == Event::array_end) {
      open.pop_back();
    } else if (event == Event::key) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!open.back().insert(key).second) bad(fmt::format("bad JSON header (duplicate key '{}')", key));
      if (open.size() == 1) header.order.push_back(key);
      // A key one level down belongs to the last top-level key's object (when the top level is an
      // object at all: an array there has no keys, and is refused after parsing).
      if (open.size() == 2 && !header.order.empty() && header.order.back() == "__metadata__") {
        header.metadata_order.push_back(key);
      }
    }
    return true;
  };
  try {
    header.value = nlohmann::json::parse(text, check);
  } catch (const nlohmann::json::exception& e) {
    bad(fmt::format("bad JSON header ({})", e.what()));
  }
  return header;
}

// An integer that fits int64 (JSON integers above it parse as unsigned), or nothing.
std::optional<std::int64_t> as_int64(const nlohmann::json& v) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<std::int64_t>();
  return std::nullopt;
}

}  // namespace

std::string encode_safetensors(const std::vector<NamedTensor>& tensors, const Metadata& metadata) {
  std::string data, text = "{";
  std::set<std::string_view> names;
  for (const auto& [name, t] : tensors) {
    TG_CHECK(t.defined(), ValueError, "safetensors: tensor '{}' is undefined", name);
    TG_CHECK(name != "__metadata__" && names.insert(name).second, ValueError,
             "safetensors: duplicate or reserved tensor name '{}'", name);
    const Tensor c = raw::contiguous(t);
    const std::size_t begin = data.size();
    data.append(static_cast<const char*>(c.raw_data()), static_cast<std::size_t>(c.numel()) * itemsize(c.dtype()));
    OrderedJson entry;
    entry["dtype"] = dtype_code(c.dtype());
    entry["shape"] = c.shape();
    entry["data_offsets"] = {begin, data.size()};
    text += to_json_text(name) + ':' + to_json_text(entry) + ',';
  }
  OrderedJson meta = OrderedJson::object();
  for (const auto& [k, v] : metadata)
    if (k != kCrcKey) meta[k] = v;  // a repeated key keeps its first place and its last value
  meta[kCrcKey] = fmt::format("{:08x}", crc_of(data.data(), data.size()));
  text += "\"__metadata__\":" + to_json_text(meta) + '}';
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  const std::uint64_t n = text.size();
  std::memcpy(out.data(), &n, 8);
  out += text;
  out += data;
  return out;
}

SafetensorsContents decode_safetensors(const std::string& bytes, const std::string& source) {
  auto bad = [&](const std::string& what) { fail<IOError>("safetensors: {}: {}", source, what); };
  if (bytes.size() < 8) bad(fmt::format("file too short ({} bytes) to hold the header length", bytes.size()));
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  if (n > kMaxSafetensorsHeader)
    bad(fmt::format("header length {} exceeds the limit of {} bytes (not a safetensors file?)", n,
                    kMaxSafetensorsHeader));
  if (n > bytes.size() - 8)
    bad(fmt::format("header length {} exceeds the file size {} (truncated or not a safetensors file)", n,
                    bytes.size()));
  const Header header = parse_header(std::string_view(bytes).substr(8, n), bad);
  if (!header.value.is_object()) bad("the JSON header is not an object");
  const std::size_t data_start = 8 + n;
  const std::uint64_t data_size = bytes.size() - data_start;

  SafetensorsContents out;
  struct Span {
    std::uint64_t begin, end;
    std::size_t index;
  };
  std::vector<Span> spans;
  std::string crc;
  for (const std::string& name : header.order) {
    const nlohmann::json& entry = header.value.at(name);
    if (name == "__metadata__") {
      if (!entry.is_object()) bad("__metadata__ is not an object");
      for (const std::string& k : header.metadata_order) {
        const nlohmann::json& v = entry.at(k);
        if (!v.is_string()) bad(fmt::format("metadata value of '{}' is not a string", k));
        if (k == kCrcKey)
          crc = v.get<std::string>();
        else
          out.metadata.emplace_back(k, v.get<std::string>());
      }
      continue;
    }
    auto field = [&](const char* key) -> const nlohmann::json& {
      if (!entry.is_object() || !entry.contains(key)) bad(fmt::format("tensor '{}' has no '{}'", name, key));
      return entry.at(key);
    };
    const nlohmann::json& dt = field("dtype");
    DType dtype{};
    if (!dt.is_string() || !parse_dtype(dt.get<std::string>(), dtype))
      bad(fmt::format("tensor '{}' has unsupported dtype {}", name, dt.dump()));
    const nlohmann::json& sh = field("shape");
    if (!sh.is_array()) bad(fmt::format("tensor '{}' has a non-array shape", name));
    Shape shape;
    for (const auto& d : sh) {
      const std::optional<std::int64_t> size = as_int64(d);
      if (!size || *size < 0) bad(fmt::format("tensor '{}' has a bad shape {}", name, sh.dump()));
      shape.push_back(*size);
    }
    // A shape must be valid as a tensor's (element count and strides within int64, checked
    // without wrapping around), and then its bytes must fit in the data.
    if (!is_valid_shape(shape)) bad(fmt::format("tensor '{}' has a shape {} that is too large", name, shape));
    const auto count = static_cast<std::uint64_t>(numel(shape));
    if (count > data_size / itemsize(dtype))
      bad(fmt::format("tensor '{}' of shape {} does not fit in the {} data bytes", name, shape, data_size));
    const nlohmann::json& off = field("data_offsets");
    const bool pair = off.is_array() && off.size() == 2;
    const std::optional<std::int64_t> first = pair ? as_int64(off[0]) : std::nullopt;
    const std::optional<std::int64_t> last = pair ? as_int64(off[1]) : std::nullopt;
    if (!first || !last) bad(fmt::format("tensor '{}' has bad data_offsets {}", name, off.dump()));
    const std::int64_t b = *first, e = *last;
    if (b < 0 || e < b || static_cast<std::uint64_t>(e) > data_size)
      bad(fmt::format("tensor '{}' has data_offsets [{}, {}] outside the {} data bytes (truncated file?)", name, b, e,
                      data_size));
    if (static_cast<std::uint64_t>(e - b) != count * itemsize(dtype))
      bad(fmt::format("tensor '{}' ({} {}) needs {} bytes but data_offsets span {}", name, dtype_code(dtype), shape,
                      count * itemsize(dtype), e - b));
    const char* src = bytes.data() + data_start + b;
    if (dtype == DType::Bool) {
      // Any byte but 0 and 1 is not a bool (reading it as one is undefined behaviour); .npy
      // files are held to the same rule.
      const auto* p = reinterpret_cast<const unsigned char*>(src);
      const auto* invalid = std::find_if(p, p + count, [](unsigned char c) { return c > 1; });
      if (invalid != p + count)
        bad(fmt::format("tensor '{}' has an invalid bool value {} at element {}", name, *invalid, invalid - p));
    }
    Tensor t = empty(shape, {.dtype = dtype});
    if (count > 0) std::memcpy(t.raw_data(), src, static_cast<std::size_t>(e - b));
    spans.push_back({static_cast<std::uint64_t>(b), static_cast<std::uint64_t>(e), out.tensors.size()});
    out.tensors.emplace_back(name, t);
  }
  // The data must be covered exactly once, without holes (as the format requires). Empty
  // tensors come before a tensor starting at the same byte; ties keep the header's order.
  std::stable_sort(spans.begin(), spans.end(),
                   [](const Span& a, const Span& b) { return std::tie(a.begin, a.end) < std::tie(b.begin, b.end); });
  std::uint64_t expect = 0;
  for (const auto& s : spans) {
    if (s.begin != expect) bad(fmt::format("tensor data overlaps or leaves a gap at byte {}", expect));
    expect = s.end;
  }
  if (expect != data_size)
    bad(fmt::format("{} data bytes but tensors cover {} (truncated or padded file)", data_size, expect));
  if (!crc.empty() && crc != fmt::format("{:08x}", crc_of(bytes.data() + data_start, data_size)))
    bad("checksum mismatch: the tensor data is corrupted");
  std::vector<NamedTensor> ordered;
  for (const auto& s : spans) ordered.push_back(std::move(out.tensors[s.index]));
  out.tensors = std::move(ordered);
  return out;
}

void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors, const Metadata& metadata) {
  write_file_atomically(path, encode_safetensors(tensors, metadata), "safetensors");
}

SafetensorsContents load_safetensors(const std::string& path) {
  // Only regular files, read by their size: a device or pipe (say /dev/zero) could feed bytes
  // without end. The size is known before reading, so nothing grows without bound.
  std::error_code ec;
  TG_CHECK(std::filesystem::is_regular_file(path, ec), IOError, "safetensors: '{}' is not a regular file{}", path,
           ec ? fmt::format(" ({})", ec.message()) : "");
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  TG_CHECK(!ec, IOError, "safetensors: cannot read the size of '{}': {}", path, ec.message());
  std::ifstream f(path, std::ios::binary);
  TG_CHECK(f.good(), IOError, "safetensors: cannot open '{}'", path);
  std::string bytes(static_cast<std::size_t>(size), '\0');
  f.read(bytes.data(), static_cast<std::streamsize>(size));
  TG_CHECK(static_cast<std::uintmax_t>(f.gcount()) == size, IOError,
           "safetensors: error reading '{}' ({} of {} bytes read)", path, f.gcount(), size);
  return decode_safetensors(bytes, path);
}

}  // namespace tg::nn
