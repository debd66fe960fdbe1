// batch_norm: x of shape [N, C, *] normalized per channel c over the batch and the spatial
// dims (M = N * prod(*) values):
//   mean_c = sum x / M,  var_c = sum (x - mean_c)^2 / M (biased),  rstd_c = 1 / sqrt(var_c + eps),
//   x_hat = (x - mean_c) rstd_c,  y = x_hat * weight_c + bias_c.
// Backward (docs/training.md, "Batch normalization"), with dy_hat = dy * weight_c:
//   dx = rstd_c * (dy_hat - mean_c(dy_hat) - x_hat * mean_c(dy_hat * x_hat)),
//   dweight_c = sum(dy * x_hat),  dbias_c = sum(dy),
// layer_norm's rule over other dims (the channel's values play the row's part). A backward
// that is not recorded runs the fused channel kernel (ops/kernels/math/batch_norm_channels.hpp)
// on the statistics the forward saved; under create_graph it is written with ops, so it
// differentiates again.
// Inputs 3 and 4, running_mean and running_var, are optional buffers that the forward
// updates in place, as libtorch's batch_norm does in training:
//   running = (1 - momentum) running + momentum * batch value (the variance unbiased, x M / (M - 1)).
// They take no gradient and do not change y.
// Reference: the composition with mean / sub / mul / sqrt / div.
#include "autograd/grad_mode.hpp"
#include "ops/elementwise.hpp"
#include "ops/kernels/math/batch_norm_channels.hpp"
#include "ops/normalization.hpp"
#include "ops/normalization/normalization_ops.hpp"
#include "ops/reduction.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"
#include "tensor/parallel.hpp"

namespace tg {

namespace {

// The dims a channel's statistics run over: 0 and 2, 3, ...
Dims statistic_dims(const Tensor& x) {
  Dims dims{0};
  for (std::int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  return dims;
}

// [1, C, 1, ...]: a per-channel tensor broadcast against x.
Shape channel_shape(const Tensor& x) {
  Shape shape(static_cast<std::size_t>(x.dim()), 1);
  shape[1] = x.size(1);
  return shape;
}

kernels::ChannelLayout channel_layout(const Tensor& x) {
  const std::int64_t batch = x.size(0), channels = x.size(1);
  return {.batch = batch, .channels = channels, .spatial = batch * channels == 0 ? 0 : x.numel() / (batch * channels)};
}

void check_inputs(std::string_view op, const Tensor& x, std::span<const Tensor> per_channel, const BatchNormAttrs& a) {
  TG_CHECK(x.dim() >= 2, ShapeError, "{}: input must have shape [N, C, ...], got {}", op, x.shape());
  const char* names[] = {"weight", "bias", "running_mean", "running_var"};
  for (std::size_t i = 0; i < per_channel.size(); ++i) {
    const Tensor& t = per_channel[i];
    if (!t.defined()) continue;
    TG_CHECK(t.shape() == Shape{x.size(1)}, ShapeError, "{}: {} has shape {}, expected [{}] for input {}", op, names[i],
             t.shape(), x.size(1), x.shape());
    TG_CHECK(i >= 2 || t.dtype() == x.dtype(), DTypeError, "{}: {} has dtype {}, input {}", op, names[i],
             dtype_name(t.dtype()), dtype_name(x.dtype()));
    TG_CHECK(i < 2 || !t.requires_grad(), ValueError, "{}: {} is a buffer and must not require grad", op, names[i]);
  }
  TG_CHECK(per_channel[2].defined() == per_channel[3].defined(), ValueError,
           "{}: running_mean and running_var go together (one of them is undefined)", op);
  TG_CHECK(a.eps >= 0.0, ValueError, "{}: eps must be non-negative, got {}", op, a.eps);
  TG_CHECK(a.momentum >= 0.0 && a.momentum <= 1.0, ValueError, "{}: momentum must lie in [0, 1], got {}", op,
           a.momentum);
}

// running = (1 - momentum) running + momentum batch, per channel; the variance unbiased.
void update_running_statistics(std::string_view op, const Tensor& running_mean, const Tensor& running_var,
                               const Tensor& stats, std::int64_t count, double momentum) {
  TG_CHECK(count > 1, ValueError,
           "{}: updating running statistics needs more than 1 value per channel, got {} (batch x spatial)", op, count);
  const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
  const double* s = stats.data<double>();
  for (std::int64_t c = 0; c < running_mean.numel(); ++c) {
    running_mean.set_value({c}, (1.0 - momentum) * running_mean.value({c}) + momentum * s[2 * c]);
    running_var.set_value({c}, (1.0 - momentum) * running_var.value({c}) + momentum * s[2 * c + 1] * unbias);
  }
}

Tensor batch_norm_forward(ForwardContext& ctx, const BatchNormAttrs& a) {
  const Tensor& x = ctx.input(0);
  const Tensor per_channel[] = {ctx.input(1), ctx.input(2), ctx.input(3), ctx.input(4)};
  check_inputs(ctx.op_name(), x, per_channel, a);
  const kernels::ChannelLayout layout = channel_layout(x);
  // Per channel: mean and biased variance, for the backward and the running statistics.
  const Tensor stats = empty({layout.channels, 2}, {.dtype = DType::Float64});
  Tensor y = visit_floating(x.dtype(), ctx.op_name(), [&](auto tag) {
    using T = decltype(tag);
    const Tensor xc = raw::contiguous(x);
    const Tensor wc = per_channel[0].defined() ? raw::contiguous(per_channel[0]) : Tensor();
    const Tensor bc = per_channel[1].defined() ? raw::contiguous(per_channel[1]) : Tensor();
    Tensor y = empty(x.shape(), {.dtype = x.dtype()});
    if (layout.count() == 0) return y;
    const kernels::BatchNormForwardChannels<T> channels{.x = xc.data<T>(),
                                                        .weight = wc.defined() ? wc.data<T>() : nullptr,
                                                        .bias = bc.defined() ? bc.data<T>() : nullptr,
                                                        .y = y.data<T>(),
                                                        .stats = stats.data<double>(),
                                                        .layout = layout,
                                                        .eps = a.eps};
    // Channels are independent, so any split of them gives the same bits.
    parallel_for(
        layout.channels, std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(layout.count(), 1)),
        [&](std::int64_t first, std::int64_t last) { kernels::batch_norm_forward_channels(channels, first, last); });
    return y;
  });
  // An empty batch leaves them as they are (libtorch does the same).
  if (per_channel[2].defined() && layout.count() > 0) {
    update_running_statistics(ctx.op_name(), per_channel[2], per_channel[3], stats, layout.count(), a.momentum);
  }
  if (ctx.recording()) {
    ctx.save("x", x);
    ctx.save("weight", per_channel[0]);  // undefined without affine weight
    ctx.save("stats", stats);
  }
  return y;
}

std::vector<Tensor> batch_norm_backward_fused(const Tensor& dy, const Tensor& x, const Tensor& w,
                                              const std::vector<bool>& needs, const Tensor& stats, double eps) {
  const kernels::ChannelLayout layout = channel_layout(x);
  return visit_floating(x.dtype(), "batch_norm backward", [&](auto tag) -> std::vector<Tensor> {
    using T = decltype(tag);
    const TensorOptions opts{.dtype = x.dtype()};
    Tensor dx = needs[0] ? empty(x.shape(), opts) : Tensor();
    // Zeros: with no values the sums are empty.
    Tensor dw = needs[1] ? zeros({layout.channels}, opts) : Tensor();
    Tensor db = needs[2] ? zeros({layout.channels}, opts) : Tensor();
    if (layout.count() == 0) return {dx, dw, db, Tensor(), Tensor()};
    const Tensor dyc = raw::contiguous(dy);
    const Tensor xc = raw::contiguous(x);
    const Tensor wc = w.defined() ? raw::contiguous(w) : Tensor();
    const kernels::BatchNormBackwardChannels<T> channels{.dy = dyc.data<T>(),
                                                         .x = xc.data<T>(),
                                                         .weight = wc.defined() ? wc.data<T>() : nullptr,
                                                         .stats = stats.data<double>(),
                                                         .dx = dx.defined() ? dx.data<T>() : nullptr,
                                                         .dweight = dw.defined() ? dw.data<T>() : nullptr,
                                                         .dbias = db.defined() ? db.data<T>() : nullptr,
                                                         .layout = layout,
                                                         .eps = eps};
    parallel_for(
        layout.channels, std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(layout.count(), 1)),
        [&](std::int64_t first, std::int64_t last) { kernels::batch_norm_backward_channels(channels, first, last); });
    return {dx, dw, db, Tensor(), Tensor()};
  });
}

std::vector<Tensor> batch_norm_backward(const BackwardContext& ctx, const Tensor& g, const BatchNormAttrs& a) {
  const Tensor& x = ctx.saved("x");
  const Tensor& w = ctx.saved("weight");
  const std::vector<bool> needs{ctx.needs_input_grad(0), ctx.needs_input_grad(1), ctx.needs_input_grad(2)};
  if (!is_grad_enabled()) return batch_norm_backward_fused(g, x, w, needs, ctx.saved("stats"), a.eps);
  const Dims dims = statistic_dims(x);
  const detail::Normalized n = detail::normalize_with_ops(x, dims, a.eps);
  const Tensor dx =
      needs[0] ? detail::normalized_input_grad(w.defined() ? g * reshape(w, channel_shape(x)) : g, n, dims) : Tensor();
  const Shape channels{x.size(1)};
  return {dx, needs[1] ? reshape(sum(g * n.x_hat, dims), channels) : Tensor(),
          needs[2] ? reshape(sum(g, dims), channels) : Tensor(), Tensor(), Tensor()};
}

Tensor batch_norm_composition(std::span<const Tensor> in, const BatchNormAttrs& a) {
  const Tensor& x = in[0];
  Tensor y = detail::normalize_with_ops(x, statistic_dims(x), a.eps).x_hat;
  if (in[1].defined()) y = y * reshape(in[1], channel_shape(x));
  if (in[2].defined()) y = y + reshape(in[2], channel_shape(x));
  return y;
}

std::vector<OpSample<BatchNormAttrs>> batch_norm_samples() {
  Generator gen(samples::kSeed + 1800);
  const auto arg = [&](const Shape& s) { return samples::arg(s, gen, -2.0, 2.0); };
  const auto buffer = [](double value) { return full({3}, value, {.dtype = DType::Float64}); };
  Tensor base = arg({4, 3, 2});
  // [2, 3, 4] over a [4, 3, 2] buffer: x's channels are not contiguous.
  Tensor permuted = raw::as_strided(base.detach(), {2, 3, 4}, {1, 2, 6}, 0).set_requires_grad(true);
  // Every sample has all five inputs: gradcheck needs defined inputs (tests/test_batch_norm.cpp
  // covers batch_norm without them). The running statistics change at every call and do not
  // change y.
  const auto sample = [&](std::string label, Tensor x, BatchNormAttrs attrs) {
    return OpSample<BatchNormAttrs>{
        std::move(label), {std::move(x), arg({3}), arg({3}), buffer(0.0), buffer(1.0)}, attrs};
  };
  return {
      sample("[4, 3, 5]", arg({4, 3, 5}), {}),
      sample("[2, 3, 2, 2], eps 0.1, momentum 0.5", arg({2, 3, 2, 2}), {.momentum = 0.5, .eps = 0.1}),
      sample("non-contiguous [2, 3, 4]", permuted, {}),
      sample("[0, 3, 4] (empty batch)", arg({0, 3, 4}), {}),
      {.label = "[2, 3, 4] with weight [2] (not one per channel)",
       .inputs = {arg({2, 3, 4}), arg({2}), arg({3}), buffer(0.0), buffer(1.0)},
       .attrs = BatchNormAttrs{},
       .rejects = &typeid(ShapeError)},
  };
}

}  // namespace

OpDef<BatchNormAttrs> make_batch_norm_op() {
  return {
      .name = "batch_norm",
      .arity = 5,
      .forward = batch_norm_forward,
      .backward = batch_norm_backward,
      .reference = batch_norm_composition,
      .samples = batch_norm_samples,
      .summary =
          "batch normalization per channel over batch and spatial dims (batch statistics, running "
          "statistics updated in place)",
  };
}

Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, double momentum, double eps) {
  return call(normalization_ops().batch_norm, {x, weight, bias, running_mean, running_var},
              BatchNormAttrs{.momentum = momentum, .eps = eps});
}

}  // namespace tg
