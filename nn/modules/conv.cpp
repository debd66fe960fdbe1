#include "nn/modules/conv.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "nn/modules/linear.hpp"

namespace tg::nn {

namespace {

std::string pair(Pair2 p) { return fmt::format("({}, {})", p.h, p.w); }

}  // namespace

ConvLayer::ConvLayer(std::string name, const Parameters& p, Generator& gen) : Module(name) {
  const bool positive_kernel = std::all_of(p.kernel_size.begin(), p.kernel_size.end(), [](auto k) { return k > 0; });
  TG_CHECK(p.in_channels > 0 && p.out_channels > 0 && p.groups > 0 && positive_kernel, ValueError,
           "{}: channels, groups and kernel size must be positive, got in={} out={} groups={} kernel=({})", name,
           p.in_channels, p.out_channels, p.groups, fmt::join(p.kernel_size, ", "));
  TG_CHECK(p.in_channels % p.groups == 0 && p.out_channels % p.groups == 0, ValueError,
           "{}: in_channels {} and out_channels {} must be divisible by groups {}", name, p.in_channels, p.out_channels,
           p.groups);
  Shape weight_shape =
      p.transposed ? Shape{p.in_channels, p.out_channels / p.groups} : Shape{p.out_channels, p.in_channels / p.groups};
  weight_shape.insert(weight_shape.end(), p.kernel_size.begin(), p.kernel_size.end());
  weight = register_parameter("weight", empty(weight_shape, {.dtype = p.dtype}));
  if (p.bias) bias = register_parameter("bias", empty({p.out_channels}, {.dtype = p.dtype}));
  reset_parameters_like_pytorch(weight, bias, gen);
}

Conv1d::Conv1d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size,
               Conv1dLayerOptions options, Generator& gen)
    : ConvLayer("Conv1d",
                {.in_channels = in_channels,
                 .out_channels = out_channels,
                 .groups = options.groups,
                 .kernel_size = {kernel_size},
                 .bias = options.bias,
                 .dtype = options.dtype},
                gen),
      in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_size_(kernel_size),
      options_(options) {}

Tensor Conv1d::forward(const Tensor& x) {
  return conv1d(x, weight, bias,
                {.stride = options_.stride,
                 .padding = options_.padding,
                 .dilation = options_.dilation,
                 .groups = options_.groups});
}

std::string Conv1d::describe() const {
  return fmt::format(
      "Conv1d({}, {}, kernel_size={}, stride={}, padding={}{}{}{})", in_channels_, out_channels_, kernel_size_,
      options_.stride, options_.padding, options_.dilation == 1 ? "" : fmt::format(", dilation={}", options_.dilation),
      options_.groups == 1 ? "" : fmt::format(", groups={}", options_.groups), options_.bias ? "" : ", bias=false");
}

Conv2d::Conv2d(std::int64_t in_channels, std::int64_t out_channels, Pair2 kernel_size, Conv2dLayerOptions options,
               Generator& gen)
    : ConvLayer("Conv2d",
                {.in_channels = in_channels,
                 .out_channels = out_channels,
                 .groups = options.groups,
                 .kernel_size = {kernel_size.h, kernel_size.w},
                 .bias = options.bias,
                 .dtype = options.dtype},
                gen),
      in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_size_(kernel_size),
      options_(options) {}

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
    : ConvLayer("ConvTranspose2d",
                {.in_channels = in_channels,
                 .out_channels = out_channels,
                 .groups = options.groups,
                 .kernel_size = {kernel_size.h, kernel_size.w},
                 .transposed = true,
                 .bias = options.bias,
                 .dtype = options.dtype},
                gen),
      in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_size_(kernel_size),
      options_(options) {}

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
