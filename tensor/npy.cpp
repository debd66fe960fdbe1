#include "tensor/npy.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "tensor/atomic_file.hpp"

namespace tg {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLength = 6;
constexpr std::size_t kAlign = 64;  // NumPy pads the header so data starts 64-byte aligned

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

std::string errno_text(int error) { return std::error_code(error, std::generic_category()).message(); }

// Throws IOError "<op>: '<path>': <what>".
template <class... Args>
[[noreturn]] void io_fail(std::string_view op, const std::filesystem::path& path, fmt::format_string<Args...> what,
                          Args&&... args) {
  fail<IOError>("{}: '{}': {}", op, path.string(), fmt::format(what, std::forward<Args>(args)...));
}

// Element bytes in the file are little-endian; swap on big-endian hosts.
void to_or_from_little_endian(void* data, std::size_t count, std::size_t size) {
  if constexpr (std::endian::native == std::endian::big) {
    auto* bytes = static_cast<unsigned char*>(data);
    for (std::size_t i = 0; i < count; ++i) std::reverse(bytes + i * size, bytes + (i + 1) * size);
  } else {
    (void)data, (void)count, (void)size;
  }
}

std::string_view descr_of(DType dtype) {
  switch (dtype) {
    case DType::Float32:
      return "<f4";
    case DType::Float64:
      return "<f8";
    case DType::Int64:
      return "<i8";
    case DType::Bool:
      return "|b1";
  }
  return "?";
}

// ---- header parsing: the Python dict literal NumPy writes, e.g.
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }

struct Header {
  DType dtype = DType::Float32;
  Shape shape;
};

class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::filesystem::path& path) : text_(text), path_(path) {}

  Header parse() {
    std::optional<std::string> descr;
    std::optional<bool> fortran_order;
    std::optional<Shape> shape;
    skip_space();
    expect('{', "the header to start with '{'");
    for (;;) {
      skip_space();
      if (consume('}')) break;
      const std::string key = parse_string("a key");
      skip_space();
      expect(':', "':' after a key");
      skip_space();
      if (key == "descr" && !descr) {
        if (peek() != '\'' && peek() != '"')
          error("unsupported dtype descr (only simple little-endian dtypes are supported)");
        descr = parse_string("a dtype string");
      } else if (key == "fortran_order" && !fortran_order) {
        fortran_order = parse_bool();
      } else if (key == "shape" && !shape) {
        shape = parse_shape();
      } else {
        error(fmt::format("unexpected or repeated key '{}'", key));
      }
      skip_space();
      if (!consume(',')) {
        expect('}', "',' or '}' after a value");
        break;
      }
    }
    skip_space();
    if (pos_ != text_.size()) error("unexpected characters after the header dict");
    if (!descr || !fortran_order || !shape) error("the header must have the keys 'descr', 'fortran_order' and 'shape'");
    if (*fortran_order) io_fail("load_npy", path_, "Fortran-order arrays are not supported");
    return {parse_descr(*descr), *shape};
  }

 private:
  [[noreturn]] void error(const std::string& what) const {
    constexpr std::size_t kShown = 200;  // headers can be 4 GiB; quote only their start
    const std::string_view shown = text_.substr(0, kShown);
    io_fail("load_npy", path_, "malformed header: {} (at offset {} of \"{}{}\")", what, pos_, shown,
            text_.size() > kShown ? "..." : "");
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool consume(char c) {
    if (pos_ >= text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  void expect(char c, std::string_view what) {
    if (!consume(c)) error(fmt::format("expected {}", what));
  }
  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  std::string parse_string(std::string_view what) {
    const char quote = peek();
    if (quote != '\'' && quote != '"') error(fmt::format("expected {}", what));
    const std::size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) error("unterminated string");
    std::string s(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return s;
  }
  bool parse_bool() {
    if (text_.substr(pos_, 4) == "True") return pos_ += 4, true;
    if (text_.substr(pos_, 5) == "False") return pos_ += 5, false;
    error("expected True or False for 'fortran_order'");
  }
  // A Python tuple of non-negative ints: (), (5,), (2, 3) or (2, 3,).
  Shape parse_shape() {
    Shape shape;
    expect('(', "a tuple for 'shape'");
    bool trailing_comma = false;
    for (;;) {
      skip_space();
      if (consume(')')) break;
      if (peek() < '0' || peek() > '9') error("expected a non-negative integer in 'shape'");
      std::int64_t n = 0;
      while (peek() >= '0' && peek() <= '9') {
        const int digit = text_[pos_++] - '0';
        if (n > (std::numeric_limits<std::int64_t>::max() - digit) / 10) error("a dimension in 'shape' is too large");
        n = n * 10 + digit;
      }
      shape.push_back(n);
      skip_space();
      trailing_comma = consume(',');
      if (!trailing_comma) {
        expect(')', "',' or ')' in 'shape'");
        break;
      }
    }
    if (shape.size() == 1 && !trailing_comma)
      error("'shape' is not a tuple (a 1-element tuple needs a trailing comma)");
    return shape;
  }
  DType parse_descr(const std::string& descr) const {
    const bool known_order = !descr.empty() && std::string_view("<>|=").find(descr[0]) != std::string_view::npos;
    const std::string_view body = known_order ? std::string_view(descr).substr(1) : std::string_view(descr);
    std::optional<DType> dtype;
    if (body == "f4") dtype = DType::Float32;
    if (body == "f8") dtype = DType::Float64;
    if (body == "i8") dtype = DType::Int64;
    if (body == "b1") dtype = DType::Bool;
    if (!known_order || !dtype) {
      io_fail("load_npy", path_, "unsupported dtype '{}' (supported: <f4, <f8, <i8, |b1)", descr);
    }
    const bool big = descr[0] == '>' || (descr[0] == '=' && std::endian::native == std::endian::big);
    if (big && itemsize(*dtype) > 1) io_fail("load_npy", path_, "big-endian data ('{}') is not supported", descr);
    if (descr[0] == '|' && itemsize(*dtype) > 1)
      io_fail("load_npy", path_, "invalid dtype '{}' ('|' needs a 1-byte type)", descr);
    return *dtype;
  }

  std::string_view text_;
  const std::filesystem::path& path_;
  std::size_t pos_ = 0;
};

// The whole preamble: magic, version, header length and the padded header text.
std::string make_preamble(const Tensor& t) {
  std::string shape = "(";
  for (std::size_t i = 0; i < t.shape().size(); ++i) shape += fmt::format("{}{}", i ? ", " : "", t.shape()[i]);
  shape += t.shape().size() == 1 ? ",)" : ")";
  std::string header =
      fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descr_of(t.dtype()), shape);
  const bool v1 = header.size() + 1 + kMagicLength + 4 + kAlign <= 0xffff;  // fits a 16-bit length with any padding
  const std::size_t length_bytes = v1 ? 2 : 4;
  const std::size_t used = kMagicLength + 2 + length_bytes + header.size() + 1;
  header += std::string((kAlign - used % kAlign) % kAlign, ' ') + "\n";
  std::string out(kMagic, kMagicLength);
  out += v1 ? '\x01' : '\x02';
  out += '\x00';
  for (std::size_t i = 0; i < length_bytes; ++i) out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header;
}

}  // namespace

void save_npy(const std::filesystem::path& path, const Tensor& t) {
  TG_CHECK(!path.filename().empty(), IOError, "save_npy: '{}': not a file name", path.string());
  const Tensor c = raw::contiguous(t);
  const std::string preamble = make_preamble(c);
  const auto count = static_cast<std::size_t>(c.numel());
  const std::size_t size = itemsize(c.dtype());

  std::string bytes = preamble;
  bytes.resize(preamble.size() + count * size);
  if (count > 0) {
    char* data = bytes.data() + preamble.size();
    std::memcpy(data, c.raw_data(), count * size);
    if constexpr (std::endian::native != std::endian::little) to_or_from_little_endian(data, count, size);
  }
  write_file_atomically(path.string(), bytes, "save_npy");
}

Tensor load_npy(const std::filesystem::path& path) {
  File file(std::fopen(path.c_str(), "rb"));
  if (!file) io_fail("load_npy", path, "cannot open: {}", errno_text(errno));
  std::error_code ec;
  const std::uintmax_t file_size = std::filesystem::file_size(path, ec);
  if (ec) io_fail("load_npy", path, "cannot read the file size: {}", ec.message());

  auto read = [&](void* dst, std::size_t n, std::string_view what) {
    if (std::fread(dst, 1, n, file.get()) != n) io_fail("load_npy", path, "truncated file: cannot read {}", what);
  };
  unsigned char start[kMagicLength + 2];
  read(start, sizeof start, "the magic string and version");
  if (std::memcmp(start, kMagic, kMagicLength) != 0) io_fail("load_npy", path, "not a .npy file (bad magic string)");
  const int major = start[kMagicLength];
  const int minor = start[kMagicLength + 1];
  if ((major < 1 || major > 3) || minor != 0)
    io_fail("load_npy", path, "unsupported format version {}.{}", major, minor);
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  unsigned char length_le[4] = {};
  read(length_le, length_bytes, "the header length");
  std::size_t header_length = 0;
  for (std::size_t i = 0; i < length_bytes; ++i) header_length |= static_cast<std::size_t>(length_le[i]) << (8 * i);
  const std::uintmax_t data_start = sizeof start + length_bytes + header_length;
  if (data_start > file_size) {
    io_fail("load_npy", path, "truncated header: {} bytes announced, the file has {} bytes", header_length, file_size);
  }
  std::string text(header_length, '\0');
  read(text.data(), header_length, "the header");
  const Header header = HeaderParser(text, path).parse();

  const std::size_t size = itemsize(header.dtype);
  // Bound the element count before multiplying: by int64 (tensor sizes) and, unless a dim
  // is 0, by what the file can hold.
  const std::uintmax_t present = file_size - data_start;
  const bool has_zero_dim = std::find(header.shape.begin(), header.shape.end(), 0) != header.shape.end();
  const std::uintmax_t limit = has_zero_dim ? std::numeric_limits<std::int64_t>::max() : present / size;
  std::uintmax_t count = 1;
  for (auto d : header.shape) {
    if (d == 0) continue;
    if (count > limit / static_cast<std::uintmax_t>(d)) {
      if (has_zero_dim) io_fail("load_npy", path, "shape {} is too large", header.shape);
      io_fail("load_npy", path, "truncated data: shape {} of {} needs more than the {} bytes present", header.shape,
              descr_of(header.dtype), present);
    }
    count *= static_cast<std::uintmax_t>(d);
  }
  if (has_zero_dim) count = 0;
  const std::uintmax_t expected = count * size;
  if (present < expected) {
    io_fail("load_npy", path, "truncated data: shape {} of {} needs {} bytes, the file has {}", header.shape,
            descr_of(header.dtype), expected, present);
  }
  if (present > expected) {
    io_fail("load_npy", path, "{} unexpected bytes after the data for shape {} of {}", present - expected, header.shape,
            descr_of(header.dtype));
  }

  Tensor t = empty(header.shape, {.dtype = header.dtype});
  read(t.raw_data(), static_cast<std::size_t>(expected), "the data");
  to_or_from_little_endian(t.raw_data(), static_cast<std::size_t>(count), size);
  if (header.dtype == DType::Bool) {
    // Any byte but 0 and 1 would be an invalid bool value.
    const auto* bytes = static_cast<const unsigned char*>(t.raw_data());
    for (std::uintmax_t i = 0; i < count; ++i) {
      if (bytes[i] > 1) io_fail("load_npy", path, "invalid bool value {} at element {}", bytes[i], i);
    }
  }
  return t;
}

}  // namespace tg
