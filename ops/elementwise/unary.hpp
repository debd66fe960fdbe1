// Shared machinery of the unary elementwise ops (neg, exp, log, ..., clamp) and of the
// constant masks their backward rules multiply by.
#pragma once

#include <string_view>

#include "autograd/node.hpp"
#include "ops/elementwise.hpp"
#include "ops/kernels/math/elementwise_map.hpp"

namespace tg::detail {

// out = f(x) for a float32/float64 x (DTypeError naming `op` otherwise). Raw.
template <class F>
Tensor map_floating(std::string_view op, const Tensor& x, F f) {
  return visit_floating(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    return kernels::unary_map<T, T>(x, [&](T v) { return static_cast<T>(f(v)); });
  });
}

// out = f(x) for a float32/float64/int64 x (DTypeError naming `op` for bool). Raw.
template <class F>
Tensor map_numeric(std::string_view op, const Tensor& x, F f) {
  return visit_numeric(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    return kernels::unary_map<T, T>(x, [&](T v) { return static_cast<T>(f(v)); });
  });
}

}  // namespace tg::detail
