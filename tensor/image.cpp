#include "tensor/image.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <png.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "tensor/atomic_file.hpp"
#include "tensor/checked_math.hpp"

namespace tg {

namespace {

// PNG limits each side to 2^31 - 1; a grid must also fit in memory as bytes.
constexpr std::int64_t kMaxSide = (std::int64_t{1} << 31) - 1;
constexpr std::int64_t kMaxPixelBytes = std::int64_t{1} << 32;

// The tensor as [N, C, H, W], its values as doubles (clamped and normalized later).
struct Batch {
  std::int64_t n, c, h, w;
  std::vector<double> values;
};

Batch as_batch(const Tensor& image) {
  TG_CHECK(image.defined(), ValueError, "save_image: the tensor is undefined");
  TG_CHECK(image.is_floating_point(), ValueError, "save_image: needs a float32 or float64 tensor, got {}",
           dtype_name(image.dtype()));
  Shape s = image.shape();
  TG_CHECK(s.size() >= 2 && s.size() <= 4, ValueError,
           "save_image: needs a shape [H, W], [C, H, W] or [N, C, H, W], got {}", s);
  s.insert(s.begin(), 4 - s.size(), 1);
  TG_CHECK(s[1] == 1 || s[1] == 3, ValueError, "save_image: needs 1 (grey) or 3 (RGB) channels, got {} in shape {}",
           s[1], image.shape());
  TG_CHECK(image.numel() > 0, ValueError, "save_image: an empty image (shape {}) has no pixel to write", image.shape());
  Batch b{s[0], s[1], s[2], s[3], image.to_vector()};
  const auto bad = std::find_if(b.values.begin(), b.values.end(), [](double v) { return !std::isfinite(v); });
  TG_CHECK(bad == b.values.end(), ValueError, "save_image: value {} at element {} of shape {} is not finite", *bad,
           bad - b.values.begin(), image.shape());
  return b;
}

// Maps [low, high] onto [0, 1] in place, as torchvision's make_grid(normalize=True).
void normalize(std::vector<double>& values, const SaveImageOptions& options) {
  const auto [min, max] = std::minmax_element(values.begin(), values.end());
  const auto [low, high] = options.value_range.value_or(std::pair{*min, *max});
  TG_CHECK(low <= high, ValueError, "save_image: value_range [{}, {}] is empty", low, high);
  const double scale = std::max(high - low, 1e-5);
  for (double& v : values) v = (std::clamp(v, low, high) - low) / scale;
}

std::uint8_t to_byte(double v) { return static_cast<std::uint8_t>(std::floor(255.0 * std::clamp(v, 0.0, 1.0) + 0.5)); }

}  // namespace

std::string encode_png(const Tensor& image, const SaveImageOptions& options) {
  Batch b = as_batch(image);
  TG_CHECK(options.nrow >= 1 && options.padding >= 0, ValueError,
           "save_image: needs nrow >= 1 and padding >= 0, got nrow {} and padding {}", options.nrow, options.padding);
  TG_CHECK(std::isfinite(options.pad_value), ValueError, "save_image: pad_value {} is not finite", options.pad_value);
  if (options.normalize) normalize(b.values, options);
  // A single image is written as it is; a batch as a grid with padding (as torchvision does).
  const std::int64_t cols = std::min(options.nrow, b.n), rows = (b.n + cols - 1) / cols;
  const std::int64_t pad = b.n == 1 ? 0 : options.padding;
  std::int64_t width = 0, height = 0, bytes = 0;
  const bool too_big = mul_overflows(b.w + pad, cols, width) || add_overflows(width, pad, width) ||
                       mul_overflows(b.h + pad, rows, height) || add_overflows(height, pad, height) ||
                       mul_overflows(width, height, bytes) || mul_overflows(bytes, b.c, bytes);
  TG_CHECK(!too_big && width <= kMaxSide && height <= kMaxSide && bytes <= kMaxPixelBytes, ValueError,
           "save_image: a grid of {} images of {}x{} in rows of {} is too large for a PNG", b.n, b.h, b.w, cols);

  // Interleaved rows of pixels (PNG's layout); the tensor is planar (C, H, W).
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(bytes), to_byte(options.pad_value));
  for (std::int64_t k = 0; k < b.n; ++k) {
    const std::int64_t top = pad + k / cols * (b.h + pad), left = pad + k % cols * (b.w + pad);
    for (std::int64_t ch = 0; ch < b.c; ++ch)
      for (std::int64_t i = 0; i < b.h; ++i)
        for (std::int64_t j = 0; j < b.w; ++j)
          pixels[static_cast<std::size_t>(((top + i) * width + left + j) * b.c + ch)] =
              to_byte(b.values[static_cast<std::size_t>(((k * b.c + ch) * b.h + i) * b.w + j)]);
  }

  // libpng's simplified API reports errors in `message` instead of longjmp-ing through C++.
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(width);
  png.height = static_cast<png_uint_32>(height);
  png.format = b.c == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  std::string out;
  for (int pass = 0; pass < 2; ++pass) {  // the first pass measures, the second writes
    if (pass == 1) out.resize(size);
    const int ok =
        png_image_write_to_memory(&png, pass == 0 ? nullptr : out.data(), &size, 0, pixels.data(), 0, nullptr);
    TG_CHECK(ok != 0, IOError, "save_image: libpng: {}", png.message);
  }
  out.resize(size);
  png_image_free(&png);
  return out;
}

void save_image(const Tensor& image, const std::string& path, const SaveImageOptions& options) {
  write_file_atomically(path, encode_png(image, options), "image");
}

}  // namespace tg
