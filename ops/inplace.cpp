// In-place updates of tensor data. Not recorded by autograd: writing into a tensor that
// requires grad while recording is refused. Every update bumps the storage's version, so a
// backward that saved this data (or a view of it) before the write throws instead of
// computing with the new values. `other` is converted to this tensor's dtype first (a float
// that does not fit an int64 is a ValueError, before anything is written); int64 arithmetic
// wraps around, as in the ops.
#include <cmath>
#include <type_traits>

#include "autograd/grad_mode.hpp"
#include "ops/kernels/math/elementwise_map.hpp"
#include "tensor/checked_math.hpp"

namespace tg {
namespace {

void check_writable(const Tensor& t, std::string_view op) {
  TG_CHECK(!(t.requires_grad() && is_grad_enabled()), AutogradError,
           "{}: in-place update of a tensor (shape {}) that requires grad while recording; wrap it in tg::NoGradGuard",
           op, t.shape());
}

// this[i] = f(this[i], other[i]) with `other` broadcast to this tensor's shape.
template <class F>
void update(const Tensor& self, const Tensor& other, std::string_view op, F f) {
  check_writable(self, op);
  const Strides so = broadcast_strides(other.shape(), other.strides(), self.shape(), op);
  visit_dtype(self.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Tensor src = other.dtype() == self.dtype() ? other : other.clone_as(self.dtype(), op);
    const Strides ss = src.is_same(other) ? so : broadcast_strides(src.shape(), src.strides(), self.shape(), op);
    T* d = static_cast<T*>(self.impl().storage->data());
    const T* s = static_cast<const T*>(src.impl().storage->data());
    for_each_row<2>(
        self.shape(), {self.strides(), ss}, {self.offset(), src.offset()},
        [&](const std::array<std::int64_t, 2>& off, std::int64_t n, const std::array<std::int64_t, 2>& inc) {
          for (std::int64_t i = 0; i < n; ++i) {
            T& x = d[off[0] + i * inc[0]];
            x = f(x, s[off[1] + i * inc[1]]);
          }
        });
  });
  self.bump_version();
}

}  // namespace

Tensor& Tensor::copy_(const Tensor& other) {
  update(*this, other, "copy_", [](auto, auto y) { return y; });
  return *this;
}
Tensor& Tensor::add_(const Tensor& other, double alpha) {
  // An int64 tensor takes an integral alpha (as in PyTorch) and stays in integer arithmetic.
  std::int64_t alpha_int = 0;
  if (dtype() == DType::Int64) {
    TG_CHECK(std::trunc(alpha) == alpha, ValueError, "add_: alpha {} is not an integer, as an int64 tensor needs",
             alpha);
    alpha_int = convert_element<std::int64_t>(alpha, "add_");
  }
  update(*this, other, "add_", [alpha, alpha_int](auto x, auto y) {
    using T = decltype(x);
    if constexpr (std::is_same_v<T, std::int64_t>) {
      return wrapping_add(x, wrapping_mul(alpha_int, y));
    } else {
      return static_cast<T>(x + alpha * y);
    }
  });
  return *this;
}
Tensor& Tensor::sub_(const Tensor& other) {
  update(*this, other, "sub_",
         [](auto x, auto y) { return static_cast<decltype(x)>(wrapping_sub(x, y)); });  // bool: x != y
  return *this;
}
Tensor& Tensor::mul_(const Tensor& other) {
  update(*this, other, "mul_", [](auto x, auto y) {
    if constexpr (std::is_same_v<decltype(x), bool>) {
      return x && y;
    } else {
      return wrapping_mul(x, y);
    }
  });
  return *this;
}
Tensor& Tensor::mul_(double factor) {
  TG_CHECK(dtype() != DType::Int64 || std::trunc(factor) == factor, ValueError,
           "mul_: factor {} is not an integer, as an int64 tensor needs", factor);
  return mul_(scalar_tensor(factor, {.dtype = DType::Float64}));
}
Tensor& Tensor::fill_(double value) {
  update(*this, scalar_tensor(value, {.dtype = DType::Float64}), "fill_", [](auto, auto y) { return y; });
  return *this;
}

}  // namespace tg
