// conv1d: cross-correlation over NCL, as conv2d of a height-1 image (no op of its own):
//   y[n,k,i] = b[k] + sum_{c,u} w[k,c,u] * x[n, g*Cg + c, i*s + u*d - p]
// is conv2d's formula with one row, so x [N, C, L] and w [O, C/groups, K] gain a unit
// height dim, conv2d runs with stride/padding/dilation (1, s)/(0, p)/(1, d), and the result
// loses it again; gradients flow through those views and conv2d's rules.
#include <fmt/format.h>

#include "ops/conv.hpp"
#include "ops/shape_ops.hpp"
#include "tensor/error.hpp"

namespace tg {

namespace {

// conv2d's checks do the validation; their errors keep their type and gain the conv1d shapes,
// since the height-1 shapes they name are not the caller's.
template <class E>
[[noreturn]] void rethrow_for_conv1d(const E& error, const Tensor& x, const Tensor& weight) {
  throw E(fmt::format("conv1d on input {} and weight {} (as conv2d over a height of 1): {}", x.shape(), weight.shape(),
                      error.what()));
}

}  // namespace

Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, Conv1dOptions options) {
  TG_CHECK(x.defined() && weight.defined() && x.dim() == 3 && weight.dim() == 3, ShapeError,
           "conv1d: expected input [N, C_in, L] and weight [C_out, C_in/groups, K], got {} and {}", x.shape(),
           weight.shape());
  try {
    return squeeze(conv2d(unsqueeze(x, 2), unsqueeze(weight, 2), bias,
                          {.stride = {1, options.stride},
                           .padding = {0, options.padding},
                           .dilation = {1, options.dilation},
                           .groups = options.groups}),
                   2);
  } catch (const ShapeError& e) {
    rethrow_for_conv1d(e, x, weight);
  } catch (const DTypeError& e) {
    rethrow_for_conv1d(e, x, weight);
  } catch (const ValueError& e) {
    rethrow_for_conv1d(e, x, weight);
  }
}

}  // namespace tg
