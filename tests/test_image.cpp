// tg::save_image: PNG files read back by libpng's reader, pixels compared with bytes worked
// out by hand (round(255 v), clamped to [0, 255]).
#include <doctest/doctest.h>
#include <png.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tapegrad.hpp"
#include "test_nn_util.hpp"

using namespace tg;

namespace {

struct Decoded {
  std::uint32_t width = 0, height = 0, channels = 0;
  std::vector<std::uint8_t> pixels;  // rows of interleaved channels
};

Decoded decode(const std::string& bytes) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  REQUIRE(png_image_begin_read_from_memory(&img, bytes.data(), bytes.size()) != 0);
  Decoded d{img.width, img.height, PNG_IMAGE_PIXEL_CHANNELS(img.format), {}};
  REQUIRE((img.format == PNG_FORMAT_GRAY || img.format == PNG_FORMAT_RGB));  // 8 bits, no alpha, no colour map
  d.pixels.resize(PNG_IMAGE_SIZE(img));
  REQUIRE(png_image_finish_read(&img, nullptr, d.pixels.data(), 0, nullptr) != 0);
  return d;
}

}  // namespace

TEST_CASE("save_image: a grey 2x3 image, values clamped and rounded") {
  const Tensor t = tensor({0.0, 0.25, 0.5, 0.75, 1.5, -0.2}, {.dtype = f32}).reshape({2, 3});
  const Decoded d = decode(encode_png(t));
  CHECK(d.width == 3);
  CHECK(d.height == 2);
  CHECK(d.channels == 1);
  // 255 * 0.25 = 63.75 -> 64; 127.5 -> 128; 191.25 -> 191; 1.5 and -0.2 clamp to 255 and 0.
  CHECK(d.pixels == std::vector<std::uint8_t>{0, 64, 128, 191, 255, 0});
  // [1, H, W] and [1, 1, H, W] are the same single image, without padding.
  CHECK(decode(encode_png(t.reshape({1, 2, 3}))).pixels == d.pixels);
  CHECK(decode(encode_png(t.reshape({1, 1, 2, 3}))).pixels == d.pixels);
}

TEST_CASE("save_image: RGB channels are interleaved per pixel") {
  // [3, 1, 2]: red (1, 0), green (0, 0.5), blue (0.2, 1).
  const Tensor t = tensor({1.0, 0.0, 0.0, 0.5, 0.2, 1.0}).reshape({3, 1, 2});
  const Decoded d = decode(encode_png(t));
  CHECK(d.channels == 3);
  CHECK(d.width == 2);
  CHECK(d.height == 1);
  CHECK(d.pixels == std::vector<std::uint8_t>{255, 0, 51, 0, 128, 255});
}

TEST_CASE("save_image: a batch becomes a grid of nrow images with padding") {
  // Three 2x2 images of constant value 0.25, 0.5, 0.75 (bytes 64, 128, 191), two per row,
  // padding 1 of value 1 (255): 2 * (2 + 1) + 1 = 7 pixels square; the fourth cell is padding.
  const Tensor t = tensor({0.25, 0.5, 0.75}).reshape({3, 1, 1, 1}).expand({3, 1, 2, 2});
  const Decoded d = decode(encode_png(t, {.nrow = 2, .padding = 1, .pad_value = 1.0}));
  REQUIRE(d.width == 7);
  REQUIRE(d.height == 7);
  const char* layout[7] = {"PPPPPPP", "PaaPbbP", "PaaPbbP", "PPPPPPP", "PccPPPP", "PccPPPP", "PPPPPPP"};
  std::vector<std::uint8_t> expected;
  for (const char* row : layout)
    for (const char* p = row; *p != '\0'; ++p)
      expected.push_back(*p == 'P' ? 255 : *p == 'a' ? 64 : *p == 'b' ? 128 : 191);
  CHECK(d.pixels == expected);
  // nrow larger than the batch: one row of three.
  const Decoded wide = decode(encode_png(t, {.nrow = 8, .padding = 0}));
  CHECK(wide.width == 6);
  CHECK(wide.height == 2);
  CHECK(wide.pixels == std::vector<std::uint8_t>{64, 64, 128, 128, 191, 191, 64, 64, 128, 128, 191, 191});
}

TEST_CASE("save_image: normalize maps min..max, or a given range, onto 0..1") {
  const Tensor t = tensor({-1.0, 0.0, 1.0, 3.0}).reshape({1, 4});
  // (v + 1) / 4: 0, 0.25, 0.5, 1.
  CHECK(decode(encode_png(t, {.normalize = true})).pixels == std::vector<std::uint8_t>{0, 64, 128, 255});
  // Range [0, 2]: -1 and 3 clamp to its ends; v / 2.
  CHECK(decode(encode_png(t, {.normalize = true, .value_range = std::pair{0.0, 2.0}})).pixels ==
        std::vector<std::uint8_t>{0, 0, 128, 255});
  // A constant image does not divide by zero.
  CHECK(decode(encode_png(full({1, 2}, 5.0), {.normalize = true})).pixels == std::vector<std::uint8_t>{0, 0});
}

TEST_CASE("save_image: writes the file atomically; refuses what is not an image") {
  nn_test::TempDir dir;
  const Tensor t = tensor({0.0, 1.0}).reshape({1, 2});
  save_image(t, dir.file("a.png"));
  CHECK(nn_test::read_bytes(dir.file("a.png")) == encode_png(t));
  CHECK(nn_test::read_bytes(dir.file("a.png")).substr(1, 3) == "PNG");
  CHECK_THROWS_AS(save_image(t, dir.file("missing-dir/a.png")), IOError);
  CHECK_THROWS_WITH_AS(encode_png(tensor({1.0, 2.0}).to(i64).reshape({1, 2})), doctest::Contains("float32 or float64"),
                       ValueError);
  CHECK_THROWS_WITH_AS(encode_png(zeros({2, 2, 2})), doctest::Contains("1 (grey) or 3 (RGB) channels"), ValueError);
  CHECK_THROWS_WITH_AS(encode_png(zeros({4})), doctest::Contains("[H, W]"), ValueError);
  CHECK_THROWS_WITH_AS(encode_png(zeros({1, 1, 1, 2, 2})), doctest::Contains("[N, C, H, W]"), ValueError);
  CHECK_THROWS_WITH_AS(encode_png(zeros({0, 3})), doctest::Contains("empty"), ValueError);
  CHECK_THROWS_WITH_AS(encode_png(tensor({0.0, std::nan("")}).reshape({1, 2})), doctest::Contains("not finite"),
                       ValueError);
  CHECK_THROWS_AS(encode_png(zeros({2, 1, 2, 2}), {.nrow = 0}), ValueError);
  CHECK_THROWS_AS(encode_png(t, {.normalize = true, .value_range = std::pair{1.0, 0.0}}), ValueError);
}
