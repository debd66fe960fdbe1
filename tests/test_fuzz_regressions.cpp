// Inputs the fuzzers found (fuzz/regressions/<target>/, docs/fuzzing.md), each loaded and
// checked against what the format requires.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "nn/data/idx.hpp"
#include "nn/io/safetensors.hpp"
#include "tensor/npy.hpp"
#include "test_nn_util.hpp"

using namespace tg::nn;

namespace {

// "a b c": readable when a check fails.
std::string names(const SafetensorsContents& c) {
  std::string out;
  for (const auto& [name, t] : c.tensors) out += (out.empty() ? "" : " ") + name;
  return out;
}

// The 8-byte length, the header padded with spaces, then the data.
std::string safetensors_bytes(std::string header, const std::string& data) {
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string bytes(8, '\0');
  const std::uint64_t n = header.size();
  std::memcpy(bytes.data(), &n, 8);
  return bytes + header + data;
}

}  // namespace

TEST_CASE("fuzz regression: safetensors keeps empty tensors in header order, through a round trip") {
  // 20 empty F32 tensors named t19, t18, ..., t00 in header order, all at data_offsets [0, 0].
  // Spans used to be ordered by an unstable sort on their start: the order came out
  // scrambled, and changed again when the result was written and read back.
  const auto contents = load_safetensors(TAPEGRAD_FUZZ_REGRESSIONS "/safetensors/empty_tensors_reordered.safetensors");
  std::string header_order = "t19";
  for (int i = 18; i >= 0; --i) header_order += fmt::format(" t{:02}", i);
  CHECK(names(contents) == header_order);
  const auto again = decode_safetensors(encode_safetensors(contents.tensors, contents.metadata), "re-encoded");
  CHECK(names(again) == header_order);
}

TEST_CASE("fuzz regression: a safetensors header that is an array of objects is refused, not misread") {
  // The header parser records the order of __metadata__'s keys one level below the top. With
  // an array on top there is no top-level key yet, and it read the last one of none (UBSan:
  // an offset applied to a null pointer). The found input is broken JSON too; a well-formed
  // array header is an IOError like any header that is not an object.
  const std::string message = nn_test::error_of<tg::IOError>(
      [] { load_safetensors(TAPEGRAD_FUZZ_REGRESSIONS "/safetensors/top_level_array_of_objects.safetensors"); });
  CHECK(message.find("top_level_array_of_objects.safetensors") != std::string::npos);  // names the file
  for (const std::string header : {"[{\"a\":1}]", "[{\"__metadata__\":{\"k\":\"v\"}}]", "[[{\"a\":{\"b\":2}}]]"}) {
    INFO(header);
    CHECK_THROWS_AS(decode_safetensors(safetensors_bytes(header, ""), "array.safetensors"), tg::IOError);
  }
}

TEST_CASE("safetensors: an empty tensor may sit where a non-empty one starts") {
  // Valid: "e" covers no bytes at offset 0, "w" covers [0, 4). (The reference implementation
  // orders spans by (start, end).) It was rejected as a gap at byte 4 when "w" came first.
  const float w = 2.5f;
  const std::string bytes = safetensors_bytes(
      R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"e":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]}})",
      std::string(reinterpret_cast<const char*>(&w), 4));
  const auto c = decode_safetensors(bytes, "empty-at-start.safetensors");
  CHECK(names(c) == "e w");  // file order: by (start, end)
  CHECK(c.tensors[0].second.shape() == tg::Shape{0, 3});
  CHECK(c.tensors[1].second.to_vector() == std::vector<double>{2.5});
}

TEST_CASE("fuzz regression: safetensors with a zero dimension before huge ones is refused, not wrapped") {
  // Shape [0, 2^40, 2^40, 2^40] at offsets [0, 0]: no element, but strides of 2^120. The
  // stride computation overflowed (UBSan: signed integer overflow in contiguous_strides).
  CHECK_THROWS_AS(load_safetensors(TAPEGRAD_FUZZ_REGRESSIONS "/safetensors/zero_dim_then_huge_dims.safetensors"),
                  tg::IOError);
}

TEST_CASE("fuzz regression: an IDX header claiming more data than the file holds allocates nothing for it") {
  // 13 bytes whose header claims 84 MB of data: the reader allocated it all before reading.
  // It now grows its buffer as data arrives, so the file is refused as truncated with only
  // the bytes that arrived held in memory.
  const std::int64_t before = nn_test::peak_rss();
  CHECK_THROWS_WITH_AS(read_idx(TAPEGRAD_FUZZ_REGRESSIONS "/idx/huge_dim_allocated_before_data.idx"),
                       doctest::Contains("truncated"), tg::IOError);
  CHECK(nn_test::peak_rss() - before < (std::int64_t{16} << 20));
}

TEST_CASE("fuzz regression: an empty .npy array of shape (0, 0) is contiguous") {
  // Strides of a zero dim count it as 1 (as PyTorch's do), which is_contiguous took for a
  // transposed layout; an empty tensor has no element to be out of order.
  const tg::Tensor t = tg::load_npy(TAPEGRAD_FUZZ_REGRESSIONS "/npy/zero_by_zero_not_contiguous.npy");
  CHECK(t.shape() == tg::Shape{0, 0});
  CHECK(t.is_contiguous());
  CHECK(tg::zeros({3, 0, 2}).is_contiguous());
  CHECK(tg::zeros({0, 4}).transpose(0, 1).is_contiguous());
  CHECK_FALSE(tg::zeros({2, 3}).transpose(0, 1).is_contiguous());  // a non-empty transpose still is not
}
