#include "nn/modules/conv.hpp"

#include <fmt/format.h>

#include "nn/modules/linear.hpp"

namespace tg::nn {

namespace {

void check_channels(const char* layer, std::int64_t in, std::int64_t out, std::int64_t groups, Pair2 k) {
  TG_CHECK(in > 0 && out > 0 && groups > 0 && k.h > 0 && k.w > 0, ValueError,
           "{}: channels, groups and kernel size must be positive, got in={} out={} groups={} kernel=({}, {})", layer,
           in, out, groups, k.h, k.w);
  TG_CHECK(in % groups == 0 && out % groups == 0, ValueError,
           "{}: in_channels {} and out_channels {} must be divisible by groups {}", layer, in, out, groups);
}

std::string pair(Pair2 p) { return fmt::format("({}, {})", p.h, p.w); }

}  // namespace

Conv2d::Conv2d(std::int64_t in_channels, std::int64_t out_channels, Pair2 kernel_size, Conv2dLayerOptions options,
               Generator& gen)
    : Module("Conv2d"),
      in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_size_(kernel_size),
      options_(options) {
  check_channels("Conv2d", in_channels, out_channels, options.groups, kernel_size);
  weight = register_parameter(
      "weight",
      empty({out_channels, in_channels / options.groups, kernel_size.h, kernel_size.w}, {.dtype = options.dtype}));
  if (options.bias) bias = register_parameter("bias", empty({out_channels}, {.dtype = options.dtype}));
  reset_parameters_like_pytorch(weight, bias, gen);
}

Tensor Conv2d::forward(const Tensor& x) {
  return conv2d(x, weight, bias,
                {.stride = options_.stride,
                 .padding = options_.padding,
                 .dilation = options_.dilation,
                 .groups = options_.groups});
}

std::string Conv2d::describe() const {
  return fmt::format("Conv2d({}, {}, kernel_size={}, stride={}, padding={}{}{}{})", in_channels_, out_channels_,
                     pair(kernel_size_), pair(options_.stride), pair(options_.padding),
                     options_.dilation == Pair2(1) ? "" : ", dilation=" + pair(options_.dilation),
                     options_.groups == 1 ? "" : fmt::format(", groups={}", options_.groups),
                     options_.bias ? "" : ", bias=false");
}

ConvTranspose2d::ConvTranspose2d(std::int64_t in_channels, std::int64_t out_channels, Pair2 kernel_size,
                                 ConvTranspose2dLayerOptions options, Generator& gen)
    : Module("ConvTranspose2d"),
      in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_size_(kernel_size),
      options_(options) {
  check_channels("ConvTranspose2d", in_channels, out_channels, options.groups, kernel_size);
  weight = register_parameter(
      "weight",
      empty({in_channels, out_channels / options.groups, kernel_size.h, kernel_size.w}, {.dtype = options.dtype}));
  if (options.bias) bias = register_parameter("bias", empty({out_channels}, {.dtype = options.dtype}));
  reset_parameters_like_pytorch(weight, bias, gen);
}

Tensor ConvTranspose2d::forward(const Tensor& x) {
  return conv_transpose2d(x, weight, bias,
                          {.stride = options_.stride,
                           .padding = options_.padding,
                           .output_padding = options_.output_padding,
                           .dilation = options_.dilation,
                           .groups = options_.groups});
}

std::string ConvTranspose2d::describe() const {
  return fmt::format("ConvTranspose2d({}, {}, kernel_size={}, stride={}, padding={}{}{})", in_channels_, out_channels_,
                     pair(kernel_size_), pair(options_.stride), pair(options_.padding),
                     options_.output_padding == Pair2(0) ? "" : ", output_padding=" + pair(options_.output_padding),
                     options_.bias ? "" : ", bias=false");
}

}  // namespace tg::nn
