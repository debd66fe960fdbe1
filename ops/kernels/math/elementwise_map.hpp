// Elementwise kernels: out = f(inputs...) over a broadcast output shape (out is allocated
// contiguous, so its inner stride is 1). Contiguous, same-shape operands take a flat loop
// the compiler vectorises; everything else goes through the strided row walker, whose
// unit-stride rows get the same plain loop. Large tensors are split across threads in
// fixed chunks (elementwise results never depend on the partition).
#pragma once

#include <array>
#include <cstdint>
#include <type_traits>

#include "tensor/strided_loop.hpp"
#include "tensor/tensor.hpp"

namespace tg::kernels {

inline constexpr std::int64_t kElementwiseGrain = 32768;

// p[i], with bool read as its byte (0 or 1): GCC does not vectorise loops that mix bool
// with wider lanes, but does with unsigned char.
template <class T>
T load(const T* p, std::int64_t i) {
  if constexpr (std::is_same_v<T, bool>) {
    return reinterpret_cast<const unsigned char*>(p)[i] != 0;
  } else {
    return p[i];
  }
}

// out[i] = f(a[i]) with a of type In, out of type Out (out allocated contiguous).
template <class Out, class In, class F>
Tensor unary_map(const Tensor& a, F f) {
  Tensor out = empty(a.shape(), {.dtype = dtype_of<Out>()});
  Out* o = out.data<Out>();
  const In* base = static_cast<const In*>(a.impl().storage->data());
  if (a.is_contiguous()) {
    const In* x = base + a.offset();
    parallel_for(a.numel(), kElementwiseGrain, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) o[i] = f(x[i]);
    });
    return out;
  }
  for_each_row<2>(a.shape(), {out.strides(), a.strides()}, {0, a.offset()},
                  [&](const std::array<std::int64_t, 2>& off, std::int64_t n, const std::array<std::int64_t, 2>& inc) {
                    Out* op = o + off[0];
                    const In* x = base + off[1];
                    if (inc[0] == 1 && inc[1] == 1) {
                      for (std::int64_t i = 0; i < n; ++i) op[i] = f(x[i]);
                    } else {
                      for (std::int64_t i = 0; i < n; ++i) op[i * inc[0]] = f(x[i * inc[1]]);
                    }
                  });
  return out;
}

// out[i] = f(a[i], b[i]) with a, b broadcast to `shape`; a, b of type In.
template <class Out, class In, class F>
Tensor binary_map(const Tensor& a, const Tensor& b, const Shape& shape, F f) {
  Tensor out = empty(shape, {.dtype = dtype_of<Out>()});
  Out* o = out.data<Out>();
  const In* pa = static_cast<const In*>(a.impl().storage->data());
  const In* pb = static_cast<const In*>(b.impl().storage->data());
  if (a.shape() == shape && b.shape() == shape && a.is_contiguous() && b.is_contiguous()) {
    const In* x = pa + a.offset();
    const In* y = pb + b.offset();
    parallel_for(out.numel(), kElementwiseGrain, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) o[i] = f(x[i], y[i]);
    });
    return out;
  }
  const Strides sa = broadcast_strides(a.shape(), a.strides(), shape, "broadcast");
  const Strides sb = broadcast_strides(b.shape(), b.strides(), shape, "broadcast");
  for_each_row<3>(shape, {out.strides(), sa, sb}, {0, a.offset(), b.offset()},
                  [&](const std::array<std::int64_t, 3>& off, std::int64_t n, const std::array<std::int64_t, 3>& inc) {
                    Out* op = o + off[0];
                    const In* x = pa + off[1];
                    const In* y = pb + off[2];
                    if (inc[1] == 1 && inc[2] == 1) {
                      for (std::int64_t i = 0; i < n; ++i) op[i] = f(x[i], y[i]);
                    } else if (inc[1] == 1 && inc[2] == 0) {
                      const In yv = *y;
                      for (std::int64_t i = 0; i < n; ++i) op[i] = f(x[i], yv);
                    } else if (inc[1] == 0 && inc[2] == 1) {
                      const In xv = *x;
                      for (std::int64_t i = 0; i < n; ++i) op[i] = f(xv, y[i]);
                    } else {
                      for (std::int64_t i = 0; i < n; ++i) op[i] = f(x[i * inc[1]], y[i * inc[2]]);
                    }
                  });
  return out;
}

// out[i] = f(a[i], b[i], c[i]) with all three broadcast to `shape`; types A, B, C.
template <class Out, class A, class B, class C, class F>
Tensor ternary_map(const Tensor& a, const Tensor& b, const Tensor& c, const Shape& shape, F f) {
  Tensor out = empty(shape, {.dtype = dtype_of<Out>()});
  Out* o = out.data<Out>();
  const A* pa = static_cast<const A*>(a.impl().storage->data());
  const B* pb = static_cast<const B*>(b.impl().storage->data());
  const C* pc = static_cast<const C*>(c.impl().storage->data());
  const Strides sa = broadcast_strides(a.shape(), a.strides(), shape, "broadcast");
  const Strides sb = broadcast_strides(b.shape(), b.strides(), shape, "broadcast");
  const Strides sc = broadcast_strides(c.shape(), c.strides(), shape, "broadcast");
  for_each_row<4>(shape, {out.strides(), sa, sb, sc}, {0, a.offset(), b.offset(), c.offset()},
                  [&](const std::array<std::int64_t, 4>& off, std::int64_t n, const std::array<std::int64_t, 4>& inc) {
                    Out* op = o + off[0];
                    const A* x = pa + off[1];
                    const B* y = pb + off[2];
                    const C* z = pc + off[3];
                    if (inc[1] == 1 && inc[2] == 1 && inc[3] == 1) {
                      for (std::int64_t i = 0; i < n; ++i) op[i] = f(load(x, i), load(y, i), load(z, i));
                    } else {
                      for (std::int64_t i = 0; i < n; ++i) {
                        op[i] = f(load(x, i * inc[1]), load(y, i * inc[2]), load(z, i * inc[3]));
                      }
                    }
                  });
  return out;
}

}  // namespace tg::kernels
