#include "nn/data/transforms.hpp"

#include <algorithm>
#include <cmath>

#include "tensor/error.hpp"

namespace tg::nn {

namespace {

// Checks for a float image [C, H, W] and returns it contiguous.
Tensor checked_image(std::string_view op, const Tensor& image) {
  TG_CHECK(image.defined() && image.dim() == 3, ShapeError, "{}: expected an image [C, H, W], got shape {}", op,
           image.defined() ? image.shape() : Shape{});
  TG_CHECK(is_floating(image.dtype()), DTypeError, "{}: expected a float image, got {}", op, dtype_name(image.dtype()));
  return raw::contiguous(image.detach());
}

// out[c, y, x] = in[c, y + dy, x + dx] where that lies inside `in`, else fill: the one
// copy loop behind crop, pad and flip (mirror: x runs backwards through the source row).
template <class T>
void copy_window(const T* in, std::int64_t channels, std::int64_t in_h, std::int64_t in_w, T* out, std::int64_t out_h,
                 std::int64_t out_w, std::int64_t dy, std::int64_t dx, bool mirror, T fill) {
  for (std::int64_t c = 0; c < channels; ++c) {
    for (std::int64_t y = 0; y < out_h; ++y) {
      const std::int64_t sy = y + dy;
      T* row = out + (c * out_h + y) * out_w;
      for (std::int64_t x = 0; x < out_w; ++x) {
        const std::int64_t sx = mirror ? in_w - 1 - (x + dx) : x + dx;
        const bool inside = sy >= 0 && sy < in_h && sx >= 0 && sx < in_w;
        row[x] = inside ? in[(c * in_h + sy) * in_w + sx] : fill;
      }
    }
  }
}

Tensor window(std::string_view op, const Tensor& image, std::int64_t out_h, std::int64_t out_w, std::int64_t dy,
              std::int64_t dx, bool mirror, double fill) {
  const Tensor src = checked_image(op, image);
  Tensor out = empty({src.size(0), out_h, out_w}, {.dtype = src.dtype()});
  visit_floating(src.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    copy_window<T>(src.data<T>(), src.size(0), src.size(1), src.size(2), out.data<T>(), out_h, out_w, dy, dx, mirror,
                   static_cast<T>(fill));
  });
  return out;
}

void check_probability(std::string_view op, double p) {
  TG_CHECK(p >= 0.0 && p <= 1.0, ValueError, "{}: p must be in [0, 1], got {}", op, p);
}

}  // namespace

Tensor Normalize::operator()(const Tensor& x) const {
  TG_CHECK(!mean.empty() && mean.size() == std.size(), ValueError,
           "Normalize: mean and std need the same number of values (one, or one per channel), got {} and {}",
           mean.size(), std.size());
  for (double s : std) TG_CHECK(s != 0.0, ValueError, "Normalize: std must be non-zero, got {}", s);
  TG_CHECK(is_floating(x.dtype()), DTypeError, "Normalize: expected a float tensor, got {}", dtype_name(x.dtype()));
  const auto values = static_cast<std::int64_t>(mean.size());
  const std::int64_t channels = values == 1 ? 1 : (x.dim() >= 3 ? x.size(x.dim() - 3) : -1);
  TG_CHECK(channels == values, ShapeError,
           "Normalize: {} means and stds for shape {} (channels at dim -3 of [C, H, W] or [N, C, H, W])", values,
           x.shape());
  const Tensor c = raw::contiguous(x.detach());
  Tensor out = empty(c.shape(), {.dtype = c.dtype()});
  // Elements of one channel form runs of `plane` (H * W); the runs cycle through the channels.
  const std::int64_t plane = values == 1 ? std::max<std::int64_t>(c.numel(), 1) : c.size(-2) * c.size(-1);
  visit_floating(c.dtype(), "Normalize", [&](auto tag) {
    using T = decltype(tag);
    const T* p = c.data<T>();
    T* o = out.data<T>();
    for (std::int64_t i = 0; i < c.numel(); i += plane) {
      const auto k = static_cast<std::size_t>((i / plane) % values);
      const T m = static_cast<T>(mean[k]), inv = static_cast<T>(1.0 / std[k]);
      for (std::int64_t j = i; j < std::min(i + plane, c.numel()); ++j) o[j] = (p[j] - m) * inv;
    }
  });
  return out;
}

Tensor RandomCrop::operator()(const Tensor& image, Generator& gen) const {
  TG_CHECK(height > 0 && width > 0 && padding >= 0, ValueError,
           "RandomCrop: size must be positive and padding non-negative, got {}x{} with padding {}", height, width,
           padding);
  const Tensor src = checked_image("RandomCrop", image);
  TG_CHECK(height <= src.size(1) + 2 * padding && width <= src.size(2) + 2 * padding, ShapeError,
           "RandomCrop: a {}x{} window does not fit image {} padded by {}", height, width, src.shape(), padding);
  const std::int64_t top = gen.integer(0, src.size(1) + 2 * padding - height + 1);
  const std::int64_t left = gen.integer(0, src.size(2) + 2 * padding - width + 1);
  return window("RandomCrop", src, height, width, top - padding, left - padding, false, fill);
}

Tensor RandomHorizontalFlip::operator()(const Tensor& image, Generator& gen) const {
  check_probability("RandomHorizontalFlip", p);
  const Tensor src = checked_image("RandomHorizontalFlip", image);
  if (gen.uniform() >= p) return src.clone();
  return window("RandomHorizontalFlip", src, src.size(1), src.size(2), 0, 0, true, 0.0);
}

Tensor RandomErasing::operator()(const Tensor& image, Generator& gen) const {
  check_probability("RandomErasing", p);
  TG_CHECK(scale_min > 0.0 && scale_min <= scale_max && scale_max <= 1.0 && ratio_min > 0.0 && ratio_min <= ratio_max,
           ValueError,
           "RandomErasing: need 0 < scale_min <= scale_max <= 1 and 0 < ratio_min <= ratio_max, got scale "
           "[{}, {}] and ratio [{}, {}]",
           scale_min, scale_max, ratio_min, ratio_max);
  Tensor out = checked_image("RandomErasing", image).clone();
  if (gen.uniform() >= p) return out;
  const std::int64_t channels = out.size(0), h_in = out.size(1), w_in = out.size(2);
  const double area = static_cast<double>(h_in * w_in);
  const double log_lo = std::log(ratio_min), log_hi = std::log(ratio_max);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = area * (scale_min + (scale_max - scale_min) * gen.uniform());
    const double aspect = std::exp(log_lo + (log_hi - log_lo) * gen.uniform());
    const auto h = static_cast<std::int64_t>(std::llround(std::sqrt(target * aspect)));
    const auto w = static_cast<std::int64_t>(std::llround(std::sqrt(target / aspect)));
    if (!(h < h_in && w < w_in)) continue;
    const std::int64_t top = gen.integer(0, h_in - h + 1);
    const std::int64_t left = gen.integer(0, w_in - w + 1);
    visit_floating(out.dtype(), "RandomErasing", [&](auto tag) {
      using T = decltype(tag);
      T* o = out.data<T>();
      for (std::int64_t c = 0; c < channels; ++c)
        for (std::int64_t y = top; y < top + h; ++y)
          std::fill_n(o + (c * h_in + y) * w_in + left, w, static_cast<T>(value));
    });
    return out;
  }
  return out;
}

Compose::Compose(std::vector<SampleTransform> transforms) : transforms_(std::move(transforms)) {
  for (const SampleTransform& t : transforms_)
    TG_CHECK(static_cast<bool>(t), ValueError, "Compose: a transform is empty");
}

Tensor Compose::operator()(const Tensor& sample, Generator& gen) const {
  Tensor x = sample;
  for (const SampleTransform& t : transforms_) x = t(x, gen);
  return x;
}

}  // namespace tg::nn
