// Elementwise ops. Binary ops broadcast NumPy-style and promote dtypes
// (bool < int64 < float32 < float64); a double scalar takes the tensor's dtype.
#pragma once

#include <optional>

#include "tensor/tensor.hpp"

namespace tg {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& base, const Tensor& exponent);
Tensor pow(const Tensor& base, double exponent);
Tensor maximum(const Tensor& a, const Tensor& b);  // gradient split evenly on ties
Tensor minimum(const Tensor& a, const Tensor& b);

Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);   // gradient 0 at 0
Tensor relu(const Tensor& x);  // gradient 0 at 0
// relu's gradient map: grad where output > 0, else 0 (output = relu(x)).
Tensor relu_backward(const Tensor& grad, const Tensor& output);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
// Gradient 1 strictly inside (min, max) and at the bounds, 0 outside (PyTorch's rule).
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max);
// cond (bool) picks a where true, b where false; all three broadcast.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor cast(const Tensor& x, DType dtype);  // differentiable between float types

// Comparisons: bool results, not differentiable.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);

// A 0-d tensor holding `value` in `like`'s dtype (float32 if `like` is int64 and value is
// not an integer), for mixing scalars into binary ops.
Tensor scalar_like(const Tensor& like, double value);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& x);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);

}  // namespace tg
