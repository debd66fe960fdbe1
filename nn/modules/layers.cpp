#include "nn/modules/layers.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "ops/elementwise.hpp"
#include "ops/reduction.hpp"

namespace tg::nn {

namespace {
std::string pool_args(const Pool2dOptions& o) {
  const Pair2 stride = o.stride == Pair2(0) ? o.kernel_size : o.stride;
  return fmt::format("kernel_size=({}, {}), stride=({}, {}), padding=({}, {})", o.kernel_size.h, o.kernel_size.w,
                     stride.h, stride.w, o.padding.h, o.padding.w);
}
}  // namespace

Tensor MaxPool2d::forward(const Tensor& x) { return max_pool2d(x, options_); }
std::string MaxPool2d::describe() const { return fmt::format("MaxPool2d({})", pool_args(options_)); }

Tensor AvgPool2d::forward(const Tensor& x) { return avg_pool2d(x, options_); }
std::string AvgPool2d::describe() const { return fmt::format("AvgPool2d({})", pool_args(options_)); }

Tensor AdaptiveAvgPool2d::forward(const Tensor& x) { return adaptive_avg_pool2d(x, output_size_); }
std::string AdaptiveAvgPool2d::describe() const {
  return fmt::format("AdaptiveAvgPool2d(output_size=({}, {}))", output_size_.h, output_size_.w);
}

BatchNorm::BatchNorm(std::string name, std::int64_t num_features, BatchNormLayerOptions options,
                     std::vector<std::int64_t> ranks, std::string layouts)
    : Module(std::move(name)),
      num_features_(num_features),
      options_(options),
      ranks_(std::move(ranks)),
      layouts_(std::move(layouts)) {
  TG_CHECK(num_features > 0, ValueError, "{}: num_features must be positive, got {}", type_name(), num_features);
  if (options.affine) {
    weight = register_parameter("weight", ones({num_features}, {.dtype = options.dtype}));
    bias = register_parameter("bias", zeros({num_features}, {.dtype = options.dtype}));
  }
  if (options.track_running_stats) {
    running_mean = register_buffer("running_mean", zeros({num_features}, {.dtype = options.dtype}));
    running_var = register_buffer("running_var", ones({num_features}, {.dtype = options.dtype}));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, {.dtype = DType::Int64}));
  }
}

Tensor BatchNorm::forward(const Tensor& x) {
  const bool rank_ok = std::find(ranks_.begin(), ranks_.end(), x.dim()) != ranks_.end();
  TG_CHECK(rank_ok && x.size(1) == num_features_, ShapeError, "{}: expected input {}, got shape {}", type_name(),
           fmt::format(fmt::runtime(layouts_), num_features_), x.shape());
  // Without running statistics, batch statistics are used in eval too (as PyTorch).
  const bool use_batch_stats = is_training() || !options_.track_running_stats;
  if (is_training() && options_.track_running_stats)
    num_batches_tracked.set_value(std::initializer_list<std::int64_t>{}, num_batches_tracked.item() + 1.0);
  return functional::batch_norm(x, running_mean, running_var, weight, bias, use_batch_stats,
                                {.momentum = options_.momentum, .eps = options_.eps});
}

std::string BatchNorm::describe() const {
  return fmt::format("{}({}, eps={}, momentum={}, affine={}, track_running_stats={})", type_name(), num_features_,
                     options_.eps, options_.momentum, options_.affine, options_.track_running_stats);
}

Dropout::Dropout(double p) : Dropout(p, default_generator().fork()) {}

Dropout::Dropout(double p, Generator generator) : Module("Dropout"), p_(p), gen_(generator) {
  TG_CHECK(p >= 0.0 && p <= 1.0, ValueError, "Dropout: p must be in [0, 1], got {}", p);
  register_generator("generator", gen_);
}
Tensor Dropout::forward(const Tensor& x) { return functional::dropout(x, p_, is_training(), gen_); }
std::string Dropout::describe() const { return fmt::format("Dropout(p={})", p_); }

std::string Flatten::describe() const { return fmt::format("Flatten(start_dim={}, end_dim={})", start_dim_, end_dim_); }

Tensor ReLU::forward(const Tensor& x) { return relu(x); }
std::string LeakyReLU::describe() const { return fmt::format("LeakyReLU(negative_slope={})", slope_); }
Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }
Tensor Tanh::forward(const Tensor& x) { return tanh(x); }
Tensor Softmax::forward(const Tensor& x) { return softmax(x, dim_); }
std::string Softmax::describe() const { return fmt::format("Softmax(dim={})", dim_); }
Tensor LogSoftmax::forward(const Tensor& x) { return log_softmax(x, dim_); }
std::string LogSoftmax::describe() const { return fmt::format("LogSoftmax(dim={})", dim_); }

}  // namespace tg::nn
