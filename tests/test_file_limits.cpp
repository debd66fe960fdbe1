// Hostile files: sizes in a header that overflow, claim more than the file holds, or make
// the reader allocate or read without bound. Each file is crafted byte by byte here; the
// readers must answer with a typed error without allocating what the header claims.
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "tapegrad.hpp"
#include "test_nn_util.hpp"

using namespace tg;

namespace {

std::string le64(std::uint64_t v) {
  std::string out;
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

std::string be32(std::uint32_t v) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
  return out;
}

// A safetensors file: 8-byte little-endian header length, the JSON header, the data.
std::string safetensors_file(const std::string& header, const std::string& data) {
  return le64(header.size()) + header + data;
}

}  // namespace

TEST_CASE("file limits: safetensors shapes whose element count overflows are refused") {
  // 2^24 * 2^40 elements wrap to 0 in 64 bits: the file claimed a tensor of 0 bytes.
  const std::string header =
      R"({"a":{"dtype":"BOOL","shape":[16777216],"data_offsets":[0,16777216]},)"
      R"("b":{"dtype":"F32","shape":[16777216,1099511627776],"data_offsets":[16777216,16777216]}})";
  CHECK_THROWS_WITH_AS(
      nn::decode_safetensors(safetensors_file(header, std::string(16777216, '\0')), "wrap.safetensors"),
      doctest::Contains("'b'"), IOError);
  // 0 elements, but contiguous strides of 2^80.
  const std::string zero = R"({"b":{"dtype":"F32","shape":[0,1099511627776,1099511627776],"data_offsets":[0,0]}})";
  CHECK_THROWS_AS(nn::decode_safetensors(safetensors_file(zero, ""), "strides.safetensors"), IOError);
  // The same shapes with sizes that fit still load.
  const std::string fine = R"({"b":{"dtype":"F32","shape":[0,1099511627776,4],"data_offsets":[0,0]}})";
  const auto loaded = nn::decode_safetensors(safetensors_file(fine, ""), "fine.safetensors");
  REQUIRE(loaded.tensors.size() == 1);
  CHECK(loaded.tensors[0].second.strides() == Strides{std::int64_t{1} << 42, 4, 1});
}

TEST_CASE("file limits: safetensors BOOL bytes other than 0 and 1 are refused, as in .npy") {
  const std::string header = R"({"b":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}})";
  CHECK_THROWS_WITH_AS(
      nn::decode_safetensors(safetensors_file(header, std::string("\x01\x02\xff", 3)), "b.safetensors"),
      doctest::Contains("bool"), IOError);
  const auto ok = nn::decode_safetensors(safetensors_file(header, std::string("\x01\x00\x01", 3)), "b.safetensors");
  CHECK(ok.tensors[0].second.to_vector() == std::vector<double>{1, 0, 1});
}

TEST_CASE("file limits: safetensors headers are capped at 16 MiB") {
  // A valid header, one byte too long (padded with spaces as the format allows).
  const std::string body = R"({"__metadata__":{"k":")" + std::string(1000, 'x') + "\"}}";
  std::string big = body + std::string((16u << 20) + 1 - body.size(), ' ');
  CHECK_THROWS_WITH_AS(nn::decode_safetensors(safetensors_file(big, ""), "big.safetensors"),
                       doctest::Contains("header"), IOError);
  big.pop_back();  // exactly at the cap
  CHECK(nn::decode_safetensors(safetensors_file(big, ""), "big.safetensors").metadata.size() == 1);
}

TEST_CASE("file limits: load_safetensors refuses what is not a regular file instead of reading without end") {
  if (!std::filesystem::exists("/dev/zero")) return;
  CHECK_THROWS_WITH_AS(nn::load_safetensors("/dev/zero"), doctest::Contains("regular file"), IOError);
}

TEST_CASE("file limits: safetensors headers with many keys parse in O(n log n), duplicates still found") {
  constexpr int kKeys = 40000;
  std::string meta = R"({"__metadata__":{)";
  for (int i = 0; i < kKeys; ++i) meta += fmt::format(R"({}"key{}":"{}")", i ? "," : "", i, i);
  const auto contents = nn::decode_safetensors(safetensors_file(meta + "}}", ""), "many.safetensors");
  REQUIRE(contents.metadata.size() == kKeys);
  CHECK(contents.metadata[12345] == std::pair<std::string, std::string>{"key12345", "12345"});  // file order kept
  // A duplicate at the end, and one inside a tensor entry.
  CHECK_THROWS_WITH_AS(nn::decode_safetensors(safetensors_file(meta + R"(,"key777":"x"}})", ""), "dup.safetensors"),
                       doctest::Contains("duplicate key 'key777'"), IOError);
  CHECK_THROWS_WITH_AS(
      nn::decode_safetensors(
          safetensors_file(R"({"a":{"dtype":"F32","shape":[0],"dtype":"F64","data_offsets":[0,0]}})", ""), "dup"),
      doctest::Contains("duplicate key 'dtype'"), IOError);
  // The same key in two objects is no duplicate.
  const auto two = nn::decode_safetensors(safetensors_file(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},)"
                                                           R"("b":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})",
                                                           std::string(8, '\0')),
                                          "two.safetensors");
  CHECK(two.tensors.size() == 2);
}

TEST_CASE("file limits: safetensors headers nest at most 64 levels") {
  auto nested = [](int levels) {
    return R"({"__metadata__":{},"x":)" + std::string(static_cast<std::size_t>(levels - 1), '[') +
           std::string(static_cast<std::size_t>(levels - 1), ']') + "}";
  };
  // 64 levels parse (and are then refused as a tensor entry that is not an object);
  // 65 are refused by the parser.
  CHECK_THROWS_WITH_AS(nn::decode_safetensors(safetensors_file(nested(64), ""), "deep"),
                       doctest::Contains("no 'dtype'"), IOError);
  CHECK_THROWS_WITH_AS(nn::decode_safetensors(safetensors_file(nested(65), ""), "deeper"),
                       doctest::Contains("deeper than 64"), IOError);
}

TEST_CASE("file limits: an IDX header claiming gigabytes does not make the reader allocate them") {
  nn_test::TempDir dir;
  const std::int64_t before = nn_test::peak_rss();
  // 16 bytes claiming 1024^3 one-byte images, and 20 bytes claiming 8 GiB.
  nn_test::write_bytes(dir.file("a.idx"), std::string("\0\0\x08\x03", 4) + be32(1024) + be32(1024) + be32(1024));
  nn_test::write_bytes(dir.file("b.idx"), std::string("\0\0\x08\x04", 4) + be32(2048) + be32(1024) + be32(1024) +
                                              be32(4) + std::string(100, '\x07'));
  CHECK_THROWS_WITH_AS(nn::read_idx(dir.file("a.idx")), doctest::Contains("truncated"), IOError);
  CHECK_THROWS_WITH_AS(nn::read_idx(dir.file("b.idx")), doctest::Contains("truncated"), IOError);
  CHECK(nn_test::peak_rss() - before < (std::int64_t{256} << 20));
  // Real files of several chunks still load completely.
  nn::IdxArray big{.shape = {3, 1000, 1000}, .data = std::vector<std::uint8_t>(3000000)};
  for (std::size_t i = 0; i < big.data.size(); ++i) big.data[i] = static_cast<std::uint8_t>(i * 7 % 251);
  nn::write_idx(dir.file("c.idx.gz"), big, true);
  const nn::IdxArray back = nn::read_idx(dir.file("c.idx.gz"));
  CHECK(back.shape == big.shape);
  CHECK(back.data == big.data);
}

TEST_CASE("file limits: .npy shapes whose strides overflow are refused") {
  nn_test::TempDir dir;
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1099511627776, 1099511627776), }";
  header += std::string(64 - (10 + header.size() + 1) % 64, ' ') + "\n";
  const std::string file = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(header.size() & 0xff) +
                           static_cast<char>(header.size() >> 8) + header;
  nn_test::write_bytes(dir.file("z.npy"), file);
  CHECK_THROWS_WITH_AS(load_npy(dir.file("z.npy")), doctest::Contains("too large"), IOError);
}
