#include "ops/conv/conv_common.hpp"

#include "ops/reduction.hpp"
#include "tensor/checked_math.hpp"

namespace tg::detail {

namespace {

// Upper bound of every stride, padding, dilation and pooling kernel size (cuDNN's int
// range). The kernels add and multiply these with the sizes of materialised tensors
// (< 2^61 elements), e.g. ceil divisions (a + stride - 1) / stride: bounded options keep
// all of it far from int64 overflow. Larger values have no use (a stride beyond the input
// gives one output, as a stride equal to it does).
constexpr std::int64_t kMaxOption = (std::int64_t{1} << 31) - 1;

void check_option_range(std::string_view op, std::string_view name, Pair2 v) {
  TG_CHECK(v.h <= kMaxOption && v.w <= kMaxOption, ValueError, "{}: {} ({}, {}) exceeds the limit of {}", op, name, v.h,
           v.w, kMaxOption);
}

}  // namespace

std::int64_t padded_size(std::string_view op, std::int64_t in, std::int64_t padding) {
  std::int64_t twice = 0;
  std::int64_t r = 0;
  TG_CHECK(!mul_overflows(padding, 2, twice) && !add_overflows(in, twice, r), ValueError,
           "{}: padding {} on a size of {} overflows int64", op, padding, in);
  return r;
}

std::int64_t dilated_size(std::string_view op, std::int64_t kernel, std::int64_t dilation) {
  std::int64_t r = 0;
  TG_CHECK(!mul_overflows(dilation, kernel - 1, r) && !add_overflows(r, 1, r), ValueError,
           "{}: kernel size {} with dilation {} overflows int64", op, kernel, dilation);
  return r;
}

std::int64_t conv_out_size(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t padding,
                           std::int64_t dilation) {
  return (in + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;
}

void check_conv_tensor(std::string_view op, std::string_view what, const Tensor& t, std::int64_t rank) {
  TG_CHECK(t.defined(), ValueError, "{}: {} is undefined", op, what);
  TG_CHECK(t.dim() == rank, ShapeError, "{}: {} must be {}-D, got shape {}", op, what, rank, t.shape());
  TG_CHECK(t.is_floating_point(), DTypeError, "{}: {} must be float32 or float64, got {}", op, what, t.dtype());
}

void check_same_dtype(std::string_view op, const Tensor& a, const Tensor& b) {
  TG_CHECK(a.dtype() == b.dtype(), DTypeError, "{}: dtypes differ: {} and {}", op, a.dtype(), b.dtype());
}

void check_conv_options(std::string_view op, const Conv2dOptions& o) {
  TG_CHECK(o.stride.h >= 1 && o.stride.w >= 1, ValueError, "{}: stride must be >= 1, got ({}, {})", op, o.stride.h,
           o.stride.w);
  TG_CHECK(o.dilation.h >= 1 && o.dilation.w >= 1, ValueError, "{}: dilation must be >= 1, got ({}, {})", op,
           o.dilation.h, o.dilation.w);
  TG_CHECK(o.padding.h >= 0 && o.padding.w >= 0, ValueError, "{}: padding must be >= 0, got ({}, {})", op, o.padding.h,
           o.padding.w);
  TG_CHECK(o.groups >= 1, ValueError, "{}: groups must be >= 1, got {}", op, o.groups);
  check_option_range(op, "stride", o.stride);
  check_option_range(op, "padding", o.padding);
  check_option_range(op, "dilation", o.dilation);
}

kernels::ConvLoopGeometry conv2d_geometry_from_shapes(std::string_view op, const Shape& input_shape,
                                                      const Shape& weight_shape, const Shape& output_shape,
                                                      const Conv2dOptions& o) {
  check_conv_options(op, o);
  TG_CHECK(input_shape.size() == 4 && weight_shape.size() == 4 && (output_shape.empty() || output_shape.size() == 4),
           ShapeError, "{}: input {}, weight {} and output {} must all be 4-D", op, input_shape, weight_shape,
           output_shape);
  kernels::ConvLoopGeometry g;
  g.batch = input_shape[0];
  g.in_channels = input_shape[1];
  g.in_h = input_shape[2];
  g.in_w = input_shape[3];
  g.out_channels = weight_shape[0];
  g.kernel_h = weight_shape[2];
  g.kernel_w = weight_shape[3];
  g.groups = o.groups;
  g.stride_h = o.stride.h;
  g.stride_w = o.stride.w;
  g.dilation_h = o.dilation.h;
  g.dilation_w = o.dilation.w;
  g.pad_top = o.padding.h;
  g.pad_left = o.padding.w;
  TG_CHECK(g.in_channels % o.groups == 0, ShapeError, "{}: input channels {} (input {}) are not divisible by groups {}",
           op, g.in_channels, input_shape, o.groups);
  TG_CHECK(g.out_channels % o.groups == 0, ShapeError,
           "{}: output channels {} (weight {}) are not divisible by groups {}", op, g.out_channels, weight_shape,
           o.groups);
  // in_channels / groups, not weight_shape[1] * groups, which could overflow.
  TG_CHECK(weight_shape[1] == g.in_channels / o.groups, ShapeError,
           "{}: weight {} expects {} input channels per group x {} groups, but the input {} has {}", op, weight_shape,
           weight_shape[1], o.groups, input_shape, g.in_channels);
  TG_CHECK(g.kernel_h >= 1 && g.kernel_w >= 1, ShapeError, "{}: empty kernel in weight {}", op, weight_shape);
  const std::int64_t span_h = dilated_size(op, g.kernel_h, o.dilation.h);
  const std::int64_t span_w = dilated_size(op, g.kernel_w, o.dilation.w);
  const std::int64_t padded_h = padded_size(op, g.in_h, o.padding.h);
  const std::int64_t padded_w = padded_size(op, g.in_w, o.padding.w);
  TG_CHECK(span_h <= padded_h && span_w <= padded_w, ShapeError,
           "{}: the kernel {}x{} (dilated {}x{}) is larger than the padded input {}x{} (input {}, padding ({}, {}))",
           op, g.kernel_h, g.kernel_w, span_h, span_w, padded_h, padded_w, input_shape, o.padding.h, o.padding.w);
  g.out_h = conv_out_size(g.in_h, g.kernel_h, o.stride.h, o.padding.h, o.dilation.h);
  g.out_w = conv_out_size(g.in_w, g.kernel_w, o.stride.w, o.padding.w, o.dilation.w);
  const Shape expected{g.batch, g.out_channels, g.out_h, g.out_w};
  TG_CHECK(output_shape.empty() || output_shape == expected, ShapeError,
           "{}: an output (gradient) of shape {} does not match input {} and weight {}, which give {}", op,
           output_shape, input_shape, weight_shape, expected);
  return g;
}

kernels::ConvLoopGeometry conv2d_geometry(std::string_view op, const Tensor& x, const Tensor& weight,
                                          const Tensor& bias, const Conv2dOptions& o) {
  check_conv_tensor(op, "input", x);
  check_conv_tensor(op, "weight", weight);
  check_same_dtype(op, x, weight);
  if (bias.defined()) {
    check_conv_tensor(op, "bias", bias, 1);
    check_same_dtype(op, x, bias);
    TG_CHECK(bias.size(0) == weight.size(0), ShapeError,
             "{}: bias {} does not match the {} output channels of weight {}", op, bias.shape(), weight.size(0),
             weight.shape());
  }
  return conv2d_geometry_from_shapes(op, x.shape(), weight.shape(), {}, o);
}

kernels::PoolGeometry pool2d_geometry_from_shape(std::string_view op, const Shape& s, const Pool2dOptions& o,
                                                 bool allow_dilation) {
  TG_CHECK(s.size() == 4, ShapeError, "{}: input must be 4-D [N, C, H, W], got shape {}", op, s);
  const Pair2 stride =
      Pair2{o.stride.h == 0 ? o.kernel_size.h : o.stride.h, o.stride.w == 0 ? o.kernel_size.w : o.stride.w};
  TG_CHECK(o.kernel_size.h >= 1 && o.kernel_size.w >= 1, ValueError, "{}: kernel_size must be >= 1, got ({}, {})", op,
           o.kernel_size.h, o.kernel_size.w);
  TG_CHECK(stride.h >= 1 && stride.w >= 1, ValueError, "{}: stride must be >= 1 (or 0 for kernel_size), got ({}, {})",
           op, o.stride.h, o.stride.w);
  TG_CHECK(o.dilation.h >= 1 && o.dilation.w >= 1, ValueError, "{}: dilation must be >= 1, got ({}, {})", op,
           o.dilation.h, o.dilation.w);
  check_option_range(op, "kernel_size", o.kernel_size);
  check_option_range(op, "stride", stride);
  check_option_range(op, "padding", o.padding);
  check_option_range(op, "dilation", o.dilation);
  TG_CHECK(allow_dilation || (o.dilation.h == 1 && o.dilation.w == 1), ValueError,
           "{}: dilation is not supported, got ({}, {})", op, o.dilation.h, o.dilation.w);
  // Padding beyond half the kernel would create windows made of padding only (p <= k / 2 is
  // 2p <= k without the overflow of 2p).
  TG_CHECK(
      o.padding.h >= 0 && o.padding.w >= 0 && o.padding.h <= o.kernel_size.h / 2 && o.padding.w <= o.kernel_size.w / 2,
      ValueError, "{}: padding ({}, {}) must be >= 0 and at most half the kernel size ({}, {})", op, o.padding.h,
      o.padding.w, o.kernel_size.h, o.kernel_size.w);
  kernels::PoolGeometry g;
  g.planes = s[0] * s[1];
  g.in_h = s[2];
  g.in_w = s[3];
  g.kernel_h = o.kernel_size.h;
  g.kernel_w = o.kernel_size.w;
  g.stride_h = stride.h;
  g.stride_w = stride.w;
  g.pad_h = o.padding.h;
  g.pad_w = o.padding.w;
  g.dilation_h = o.dilation.h;
  g.dilation_w = o.dilation.w;
  g.count_include_pad = o.count_include_pad;
  const std::int64_t span_h = dilated_size(op, o.kernel_size.h, o.dilation.h);
  const std::int64_t span_w = dilated_size(op, o.kernel_size.w, o.dilation.w);
  const std::int64_t padded_h = padded_size(op, g.in_h, g.pad_h);
  const std::int64_t padded_w = padded_size(op, g.in_w, g.pad_w);
  TG_CHECK(span_h <= padded_h && span_w <= padded_w, ShapeError,
           "{}: the window {}x{} (dilated {}x{}) is larger than the padded input {}x{} (input {})", op, g.kernel_h,
           g.kernel_w, span_h, span_w, padded_h, padded_w, s);
  // Everything below stays within padded <= 2^63 - 1: no overflow.
  auto out_size = [&](std::int64_t in, std::int64_t pad, std::int64_t padded, std::int64_t span, std::int64_t st) {
    const std::int64_t room = padded - span;
    std::int64_t out = (o.ceil_mode ? room / st + (room % st != 0) : room / st) + 1;
    // In ceil mode the last window must still start inside the input or its left padding:
    // (out - 1) * st >= in + pad, written as a division.
    if (o.ceil_mode && out - 1 > (in + pad - 1) / st) --out;
    return out;
  };
  g.out_h = out_size(g.in_h, g.pad_h, padded_h, span_h, g.stride_h);
  g.out_w = out_size(g.in_w, g.pad_w, padded_w, span_w, g.stride_w);
  return g;
}

kernels::PoolGeometry pool2d_geometry(std::string_view op, const Tensor& x, const Pool2dOptions& o,
                                      bool allow_dilation) {
  check_conv_tensor(op, "input", x);
  return pool2d_geometry_from_shape(op, x.shape(), o, allow_dilation);
}

kernels::PoolGeometry adaptive_pool2d_geometry(std::string_view op, const Shape& xs, Pair2 out) {
  TG_CHECK(xs.size() == 4, ShapeError, "{}: input must be 4-D [N, C, H, W], got shape {}", op, xs);
  TG_CHECK(out.h >= 1 && out.w >= 1, ValueError, "{}: output size must be >= 1, got ({}, {})", op, out.h, out.w);
  check_option_range(op, "output size", out);
  TG_CHECK(xs[2] >= 1 && xs[3] >= 1, ShapeError, "{}: empty input plane in shape {}", op, xs);
  kernels::PoolGeometry g;
  g.planes = xs[0] * xs[1];
  g.in_h = xs[2];
  g.in_w = xs[3];
  g.out_h = out.h;
  g.out_w = out.w;
  return g;
}

Tensor conv_bias_grad(const Tensor& dy) { return sum(sum(dy, {2, 3}), {0}); }

}  // namespace tg::detail
