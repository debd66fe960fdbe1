// Operator sugar and scalar handling for the binary ops and comparisons.
#include <cmath>

#include "ops/elementwise.hpp"
#include "tensor/checked_math.hpp"

namespace tg {

// The scalar as a tensor of like's dtype, or float32 when it is not an integer an int64 can
// hold (as PyTorch promotes an int tensor combined with a Python float).
Tensor scalar_like(const Tensor& like, double value) {
  DType dtype = like.dtype();
  const bool int64_value = std::floor(value) == value && fits_integer<std::int64_t>(value);
  if (!is_floating(dtype) && (!int64_value || dtype == DType::Bool)) dtype = DType::Float32;
  return scalar_tensor(value, {.dtype = dtype});
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator+(const Tensor& a, double b) { return add(a, scalar_like(a, b)); }
Tensor operator-(const Tensor& a, double b) { return sub(a, scalar_like(a, b)); }
Tensor operator*(const Tensor& a, double b) { return mul(a, scalar_like(a, b)); }
Tensor operator/(const Tensor& a, double b) { return div(a, scalar_like(a, b)); }
Tensor operator+(double a, const Tensor& b) { return add(scalar_like(b, a), b); }
Tensor operator-(double a, const Tensor& b) { return sub(scalar_like(b, a), b); }
Tensor operator*(double a, const Tensor& b) { return mul(scalar_like(b, a), b); }
Tensor operator/(double a, const Tensor& b) { return div(scalar_like(b, a), b); }

Tensor eq(const Tensor& a, double b) { return eq(a, scalar_like(a, b)); }
Tensor ne(const Tensor& a, double b) { return ne(a, scalar_like(a, b)); }
Tensor lt(const Tensor& a, double b) { return lt(a, scalar_like(a, b)); }
Tensor le(const Tensor& a, double b) { return le(a, scalar_like(a, b)); }
Tensor gt(const Tensor& a, double b) { return gt(a, scalar_like(a, b)); }
Tensor ge(const Tensor& a, double b) { return ge(a, scalar_like(a, b)); }

Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }
Tensor operator<(const Tensor& a, double b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, double b) { return le(a, b); }
Tensor operator>(const Tensor& a, double b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, double b) { return ge(a, b); }
Tensor operator<(double a, const Tensor& b) { return lt(scalar_like(b, a), b); }
Tensor operator<=(double a, const Tensor& b) { return le(scalar_like(b, a), b); }
Tensor operator>(double a, const Tensor& b) { return gt(scalar_like(b, a), b); }
Tensor operator>=(double a, const Tensor& b) { return ge(scalar_like(b, a), b); }

Tensor add(const Tensor& a, double b) { return a + b; }
Tensor add(double a, const Tensor& b) { return a + b; }
Tensor sub(const Tensor& a, double b) { return a - b; }
Tensor sub(double a, const Tensor& b) { return a - b; }
Tensor mul(const Tensor& a, double b) { return a * b; }
Tensor mul(double a, const Tensor& b) { return a * b; }
Tensor div(const Tensor& a, double b) { return a / b; }
Tensor div(double a, const Tensor& b) { return a / b; }
Tensor maximum(const Tensor& a, double b) { return maximum(a, scalar_like(a, b)); }
Tensor minimum(const Tensor& a, double b) { return minimum(a, scalar_like(a, b)); }
Tensor where(const Tensor& cond, const Tensor& a, double b) { return where(cond, a, scalar_like(a, b)); }
Tensor where(const Tensor& cond, double a, const Tensor& b) { return where(cond, scalar_like(b, a), b); }

}  // namespace tg
