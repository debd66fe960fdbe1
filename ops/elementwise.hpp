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

// Smooth elementwise functions (float32/float64; PyTorch's semantics and NaN/inf results).
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor erf(const Tensor& x);
Tensor log1p(const Tensor& x);  // log(1 + x), accurate near 0; NaN below -1
Tensor expm1(const Tensor& x);  // e^x - 1, accurate near 0
Tensor rsqrt(const Tensor& x);  // 1 / sqrt(x); NaN below 0, inf at 0

// Activations (float32/float64), as torch.nn.functional.
enum class GeluApproximate { None, Tanh };
// None: x Phi(x) = 1/2 x (1 + erf(x / sqrt 2)); Tanh: 1/2 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
Tensor gelu(const Tensor& x, GeluApproximate approximate = GeluApproximate::None);
Tensor silu(const Tensor& x);  // x sigmoid(x)
// The gradient maps of gelu and silu: grad * f'(x), in one pass.
Tensor gelu_backward(const Tensor& grad, const Tensor& x, GeluApproximate approximate = GeluApproximate::None);
Tensor silu_backward(const Tensor& grad, const Tensor& x);
// log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (for stability).
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
Tensor elu(const Tensor& x, double alpha = 1.0);  // x for x > 0, alpha (e^x - 1) else
// x for x > 0, negative_slope x else; gradient negative_slope at 0, as PyTorch.
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);

// Comparisons: bool results, not differentiable.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
// With a scalar (scalar_like: the scalar takes the tensor's dtype).
Tensor eq(const Tensor& a, double b);
Tensor ne(const Tensor& a, double b);
Tensor lt(const Tensor& a, double b);
Tensor le(const Tensor& a, double b);
Tensor gt(const Tensor& a, double b);
Tensor ge(const Tensor& a, double b);

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
// Comparisons as operators (bool tensors). == and != are left out on purpose: a Tensor
// operator== that does not return bool would break equality on containers of tensors.
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, double b);
Tensor operator<=(const Tensor& a, double b);
Tensor operator>(const Tensor& a, double b);
Tensor operator>=(const Tensor& a, double b);
Tensor operator<(double a, const Tensor& b);
Tensor operator<=(double a, const Tensor& b);
Tensor operator>(double a, const Tensor& b);
Tensor operator>=(double a, const Tensor& b);

// Named forms with a scalar operand, as LibTorch writes them (mul(x, 0.5)).
Tensor add(const Tensor& a, double b);
Tensor add(double a, const Tensor& b);
Tensor sub(const Tensor& a, double b);
Tensor sub(double a, const Tensor& b);
Tensor mul(const Tensor& a, double b);
Tensor mul(double a, const Tensor& b);
Tensor div(const Tensor& a, double b);
Tensor div(double a, const Tensor& b);
Tensor maximum(const Tensor& a, double b);
Tensor minimum(const Tensor& a, double b);
Tensor where(const Tensor& cond, const Tensor& a, double b);
Tensor where(const Tensor& cond, double a, const Tensor& b);

}  // namespace tg
