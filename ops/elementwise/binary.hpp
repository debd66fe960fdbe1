// Shared machinery of the broadcasting binary ops (add, sub, mul, div, pow, ...).
#pragma once

#include <string_view>

#include "autograd/node.hpp"
#include "ops/elementwise.hpp"
#include "ops/kernels/math/elementwise_map.hpp"
#include "ops/reduction.hpp"

namespace tg::detail {

// Promotes a and b to their common dtype (at least `min_float` when `to_float`), broadcasts
// and applies f(x, y) -> T elementwise. Raw: for use inside a forward.
template <class F>
Tensor broadcast_binary(std::string_view op, const Tensor& a, const Tensor& b, F f, bool to_float = false) {
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  DType dtype = promote_types(a.dtype(), b.dtype());
  if (to_float && !is_floating(dtype)) dtype = DType::Float32;
  const Tensor x = a.dtype() == dtype ? a : a.clone_as(dtype);
  const Tensor y = b.dtype() == dtype ? b : b.clone_as(dtype);
  return visit_numeric(dtype, op, [&](auto tag) {
    using T = decltype(tag);
    return kernels::binary_map<T, T>(x, y, shape, [&](T u, T v) { return static_cast<T>(f(u, v)); });
  });
}

// The gradient for input i of a broadcasting op: g summed back to the input's shape and
// converted to its dtype.
inline Tensor reduce_grad(const BackwardContext& ctx, std::size_t i, const Tensor& g) {
  Tensor r = sum_to(g, ctx.input_shape(i));
  return r.dtype() == ctx.input_dtype(i) ? r : cast(r, ctx.input_dtype(i));
}

}  // namespace tg::detail
