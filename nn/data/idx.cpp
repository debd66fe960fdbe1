#include "nn/data/idx.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <memory>

#include "tensor/error.hpp"

namespace tg::nn {

namespace {

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

// Reads up to n bytes; returns the count read (less at the end of the stream).
std::size_t read_some(gzFile f, const std::string& path, void* buf, std::size_t n) {
  std::size_t done = 0;
  while (done < n) {
    const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - done, 1u << 30));
    const int got = gzread(f, static_cast<char*>(buf) + done, chunk);
    if (got < 0) {
      int err = 0;
      const char* msg = gzerror(f, &err);
      fail<IOError>("idx: {}: corrupt compressed data ({})", path, msg != nullptr ? msg : "unknown zlib error");
    }
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  return done;
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  GzFile file(gzopen(path.c_str(), "rb"));
  TG_CHECK(file != nullptr, IOError, "idx: cannot open '{}'", path);
  gzFile f = file.get();
  std::array<std::uint8_t, 4> magic{};
  TG_CHECK(read_some(f, path, magic.data(), 4) == 4, IOError, "idx: {}: file too short for the 4-byte magic number",
           path);
  TG_CHECK(magic[0] == 0 && magic[1] == 0, IOError,
           "idx: {}: bad magic number {:02x}{:02x}{:02x}{:02x} (expected 0000 then type and dims)", path, magic[0],
           magic[1], magic[2], magic[3]);
  TG_CHECK(magic[2] == 0x08, IOError, "idx: {}: unsupported data type 0x{:02x} (only unsigned byte, 0x08)", path,
           magic[2]);
  const int ndim = magic[3];
  TG_CHECK(ndim >= 1 && ndim <= 4, IOError, "idx: {}: unsupported number of dimensions {} (1 to 4)", path, ndim);
  IdxArray out;
  std::uint64_t total = 1;
  for (int d = 0; d < ndim; ++d) {
    std::array<std::uint8_t, 4> b{};
    TG_CHECK(read_some(f, path, b.data(), 4) == 4, IOError, "idx: {}: truncated header (size of dim {} missing)", path,
             d);
    const std::uint32_t size =
        (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | std::uint32_t{b[3]};
    TG_CHECK(size > 0 && size <= (1u << 28), IOError, "idx: {}: bad size {} for dim {}", path, size, d);
    out.shape.push_back(size);
    total *= size;
    TG_CHECK(total <= (std::uint64_t{1} << 33), IOError, "idx: {}: sizes {} are implausibly large", path, out.shape);
  }
  // The header is not trusted with memory: a 16-byte file may claim gigabytes. The buffer
  // grows (geometrically, by std::vector) only as data actually arrives from the
  // (decompressed) stream, one chunk at a time.
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  std::size_t got = 0;
  while (got < total) {
    const std::size_t want = std::min<std::size_t>(kChunk, static_cast<std::size_t>(total) - got);
    out.data.resize(got + want);
    const std::size_t n = read_some(f, path, out.data.data() + got, want);
    got += n;
    if (n < want) break;
  }
  out.data.resize(got);
  TG_CHECK(got == total, IOError, "idx: {}: truncated data: shape {} needs {} bytes, found {}", path, out.shape, total,
           got);
  out.data.shrink_to_fit();  // growth may have over-reserved up to twice the size
  std::uint8_t extra = 0;
  TG_CHECK(read_some(f, path, &extra, 1) == 0, IOError, "idx: {}: unexpected bytes after the {} data bytes of shape {}",
           path, total, out.shape);
  int err = 0;
  gzerror(f, &err);
  TG_CHECK(err == Z_OK || err == Z_BUF_ERROR, IOError, "idx: {}: corrupt compressed data", path);
  TG_CHECK(err == Z_OK, IOError, "idx: {}: truncated compressed stream", path);
  return out;
}

void write_idx(const std::string& path, const IdxArray& array, bool gzip) {
  std::uint64_t total = 1;
  for (auto s : array.shape) total *= static_cast<std::uint64_t>(s);
  TG_CHECK(!array.shape.empty() && array.shape.size() <= 4 && total == array.data.size(), ValueError,
           "idx: cannot write '{}': shape {} does not match {} bytes", path, array.shape, array.data.size());
  std::string bytes{0, 0, 0x08, static_cast<char>(array.shape.size())};
  for (auto s : array.shape)
    for (int shift = 24; shift >= 0; shift -= 8)
      bytes += static_cast<char>((static_cast<std::uint32_t>(s) >> shift) & 0xFF);
  bytes.append(reinterpret_cast<const char*>(array.data.data()), array.data.size());
  GzFile file(gzopen(path.c_str(), gzip ? "wb" : "wbT"));
  TG_CHECK(file != nullptr, IOError, "idx: cannot open '{}' for writing", path);
  TG_CHECK(gzwrite(file.get(), bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()),
           IOError, "idx: writing '{}' failed", path);
  TG_CHECK(gzclose(file.release()) == Z_OK, IOError, "idx: closing '{}' failed", path);
}

}  // namespace tg::nn
