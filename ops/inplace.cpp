// In-place updates of tensor data. Not recorded by autograd: writing into a tensor that
// requires grad while recording is refused. Every update bumps the storage's version, so a
// backward that saved this data (or a view of it) before the write throws instead of
// computing with the new values.
#include "autograd/grad_mode.hpp"
#include "ops/kernels/elementwise.hpp"

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
    const Tensor src = other.dtype() == self.dtype() ? other : other.clone_as(self.dtype());
    const Strides ss = src.is_same(other) ? so : broadcast_strides(src.shape(), src.strides(), self.shape(), op);
    T* d = static_cast<T*>(self.impl().storage->data());
    const T* s = static_cast<const T*>(src.impl().storage->data());
    for_each_row<2>(self.shape(), {self.strides(), ss}, {self.offset(), src.offset()},
                    [&](const std::array<std::int64_t, 2>& off, std::int64_t n, const std::array<std::int64_t, 2>& inc) {
                      for (std::int64_t i = 0; i < n; ++i) {
                        T& x = d[off[0] + i * inc[0]];
                        x = static_cast<T>(f(x, s[off[1] + i * inc[1]]));
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
  update(*this, other, "add_", [alpha](auto x, auto y) { return x + alpha * y; });
  return *this;
}
Tensor& Tensor::sub_(const Tensor& other) {
  update(*this, other, "sub_", [](auto x, auto y) { return x - y; });
  return *this;
}
Tensor& Tensor::mul_(const Tensor& other) {
  update(*this, other, "mul_", [](auto x, auto y) { return x * y; });
  return *this;
}
Tensor& Tensor::mul_(double factor) {
  update(*this, scalar_tensor(factor, {.dtype = DType::Float64}), "mul_", [](auto x, auto y) { return x * y; });
  return *this;
}
Tensor& Tensor::fill_(double value) {
  update(*this, scalar_tensor(value, {.dtype = DType::Float64}), "fill_", [](auto, auto y) { return y; });
  return *this;
}

}  // namespace tg
