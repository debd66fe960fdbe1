// Value comparisons of whole tensors (for tests, checks and tools; never recorded).
// Tensors of different dtypes compare by value (converted to double; int64 and bool pairs
// compare exactly).
#pragma once

#include "tensor/tensor.hpp"

namespace tg {

// NumPy's allclose: |a - b| <= atol + rtol * |b| elementwise over the broadcast of a and b.
// Infinities match only themselves; NaN matches NaN only with equal_nan. Throws ShapeError
// if the shapes do not broadcast, ValueError for a negative or NaN tolerance.
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false);

// Same shape and equal values (NaN never equals anything). Different shapes give false.
bool equal(const Tensor& a, const Tensor& b);

// max |a - b| over the broadcast of a and b (0 for empty tensors, NaN if any pair involves
// NaN); equal infinities count as 0. Throws ShapeError if the shapes do not broadcast.
double max_abs_diff(const Tensor& a, const Tensor& b);

}  // namespace tg
